//! Playing simulated conversations and the no-dialogue baseline.
//!
//! [`plan_cases`] picks the users (seeded) and fixes each one's [`Case`]; [`converse`]
//! plays one case as a known or a cold user through [`Session::turn`] only, for at most
//! `max_turns` user turns, and records whether and when the target was shown, plus the
//! plain recommender's top-5 at turn 0 (the baseline). Conversations are independent and
//! deterministic for (seed, case, group), so callers may run them in parallel in any order.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::engine::Engine;
use crate::reply::TurnReply;
use crate::session::Session;

use super::user::{Behaviour, Case, Group, SimulatedUser};
use super::world::SimWorld;
use super::SimulateError;

/// Items of the no-dialogue baseline list.
pub const BASELINE_K: usize = 5;

/// Sessions of one engine run on many threads at once.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Engine>();
    shared::<SimWorld>();
};

/// How conversations are played.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// User turns before the user gives up.
    pub max_turns: u32,
    /// Seeds the choice of users and targets and the users' phrasing.
    pub seed: u64,
    /// Behaviours of the simulated user switched off (all on by default).
    pub without: Vec<Behaviour>,
}

impl SimOptions {
    pub fn new(max_turns: u32, seed: u64) -> Self {
        Self {
            max_turns,
            seed,
            without: Vec::new(),
        }
    }
}

/// Picks up to `users` users (seeded by `options.seed`) that have a liked held-out film and
/// a liked training film, with their cases, in a fixed order.
pub fn plan_cases(
    world: &SimWorld,
    users: usize,
    options: &SimOptions,
) -> Result<Vec<Case>, SimulateError> {
    let seed = options.seed;
    let most_related = !options.without.contains(&Behaviour::Related);
    if users == 0 {
        return Err(SimulateError::NoUsersAsked);
    }
    let mut order: Vec<u32> = (0..world.engine.interactions.n_rows() as u32).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    order.shuffle(&mut rng);
    let mut cases = Vec::with_capacity(users);
    for user in order {
        if cases.len() == users {
            break;
        }
        if let Some(case) = Case::plan(world, user, seed, most_related) {
            cases.push(case);
        }
    }
    if cases.is_empty() {
        return Err(SimulateError::NoEligibleUsers);
    }
    Ok(cases)
}

/// An item as the transcript shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownTitle {
    pub item_id: String,
    pub title: String,
}

/// One exchange of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnLog {
    pub turn: u32,
    pub user: String,
    pub reply: String,
    pub question: bool,
    /// The engine's parse of the user's text, recorded for diagnosing failures only: the
    /// simulated user never reads it.
    pub acts: serde_json::Value,
    pub shown: Vec<ShownTitle>,
    /// Whether the target was among the items shown.
    pub hit: bool,
}

/// One played conversation with its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub group: Group,
    pub user_id: String,
    pub target_id: String,
    pub target: String,
    pub target_categories: Vec<String>,
    /// Liked films the case lets the user name (a cold user reveals them; the cold baseline
    /// folds them in).
    pub revealed: Vec<String>,
    /// The first turn that showed the target.
    pub success_turn: Option<u32>,
    /// Whether the plain recommender's top-5 at turn 0 held the target.
    pub baseline_hit: bool,
    /// Items shown, and those of them that fit every category and the decade the user had
    /// asked for by then (how well the engine followed what it was told).
    pub shown_total: usize,
    pub shown_fitting: usize,
    /// Turns the engine answered with a question.
    pub questions: u32,
    pub turns: Vec<TurnLog>,
}

/// Plays `case` as a `group` user for at most `options.max_turns` turns.
pub fn converse(
    world: &SimWorld,
    case: &Case,
    group: Group,
    options: &SimOptions,
) -> Result<Conversation, SimulateError> {
    if options.max_turns == 0 {
        return Err(SimulateError::MaxTurns);
    }
    let engine = world.engine();
    let catalog = engine.catalog();
    let mut session: Session = match group {
        Group::Known => engine.session_for(&case.user_id)?,
        Group::Cold => engine.new_session(),
    };
    let mut user = SimulatedUser::new(world, case, group, options.seed, &options.without);
    let mut last: Option<TurnReply> = None;
    let mut turns = Vec::new();
    let mut success_turn = None;
    let (mut shown_total, mut shown_fitting, mut questions) = (0, 0, 0);
    for t in 1..=options.max_turns {
        let text = user.speak(last.as_ref());
        let reply = session.turn(&text);
        let hit = reply.items.iter().any(|s| s.item == case.target);
        let said = user.said();
        for shown in &reply.items {
            let item = catalog.item(shown.item);
            let category_ok = said.categories.iter().all(|c| item.categories.contains(c));
            let decade_ok = said
                .decade
                .is_none_or(|d| item.year.map(super::speech::decade_of) == Some(d));
            shown_total += 1;
            shown_fitting += usize::from(category_ok && decade_ok);
        }
        questions += u32::from(reply.question);
        turns.push(TurnLog {
            turn: t,
            user: text,
            reply: reply.reply.clone(),
            question: reply.question,
            acts: serde_json::to_value(&reply.acts).unwrap_or_default(),
            shown: reply
                .items
                .iter()
                .map(|s| ShownTitle {
                    item_id: s.item_id.clone(),
                    title: s.title.clone(),
                })
                .collect(),
            hit,
        });
        if hit {
            success_turn = Some(t);
            break;
        }
        last = Some(reply);
    }
    let target = catalog.item(case.target);
    Ok(Conversation {
        group,
        user_id: case.user_id.clone(),
        target_id: target.id.clone(),
        target: target.display_title(),
        target_categories: target.categories.clone(),
        revealed: case
            .related
            .iter()
            .take(case.reveal)
            .map(|&i| catalog.item(i).display_title())
            .collect(),
        success_turn,
        baseline_hit: baseline_hit(world, case, group),
        shown_total,
        shown_fitting,
        questions,
        turns,
    })
}

/// The plain recommender's top-5 with no dialogue: a known user's own scores (training
/// items excluded); for a cold user, the fold-in of the liked films it would reveal (those
/// excluded).
pub fn baseline_hit(world: &SimWorld, case: &Case, group: Group) -> bool {
    let engine = world.engine();
    let model = engine.model();
    let top = match group {
        Group::Known => {
            // Row indices are sorted, as `recommend` wants.
            let exclude = engine.interactions.row_indices(case.user as usize);
            model.recommend(case.user, BASELINE_K, exclude)
        }
        Group::Cold => {
            let strength = if engine.has_ratings { 5.0 } else { 1.0 };
            let mut revealed: Vec<u32> = case.related.iter().copied().take(case.reveal).collect();
            revealed.sort_unstable();
            let history: Vec<(u32, f32)> = revealed.iter().map(|&i| (i, strength)).collect();
            model.recommend_history(&history, BASELINE_K, &revealed)
        }
    };
    top.iter().any(|s| s.item == case.target)
}
