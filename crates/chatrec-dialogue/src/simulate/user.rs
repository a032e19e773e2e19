//! The simulated user: a person of the data who wants one film it has not told anyone
//! about (a liked film of its held-out part) and describes it over several turns.
//!
//! A [`Case`] fixes everything before the conversation: the target, what can be said about
//! it (its categories in the order the user would name them, its decade, its relations to
//! films the user can name, the liked films most related to it) and how many liked films a
//! cold user reveals. A [`SimulatedUser`] then plays the case as a known or a cold user: it
//! reads only the engine's [`TurnReply`] (text, items, whether it is a question) and
//! answers with text, revealing one more clue per turn, rejecting wrong lists with a
//! reason, and answering questions.

use std::collections::{BTreeSet, VecDeque};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use chatrec_knowledge::graph::EvidenceKind;

use crate::reply::{ShownItem, TurnReply};

use super::speech::{self, Relation};
use super::world::SimWorld;

/// Most liked films a user names, and most graph relations it keeps ready.
pub const MAX_REVEALED: usize = 3;
const MAX_FACTS: usize = 3;
/// Added to the co-liking cosine of a liked film that also shares a graph fact with the
/// target, when choosing which liked films to name.
const FACT_BONUS: f32 = 0.2;
/// Stream offsets of the random generators: one for planning the cases, one per played
/// conversation.
const PLAN_STREAM: u64 = 1 << 40;
const ORDER_STREAM: u64 = 2 << 40;

/// Whether the engine knows the user's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// A user of the data: the session starts from its training history.
    Known,
    /// A new user: the session knows nothing; the user names liked films.
    Cold,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Known => "known",
            Group::Cold => "cold",
        }
    }
}

/// A behaviour of the simulated user that can be switched off, to measure what it brings
/// (`chatrec eval-dialogue --without ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// Says "I've already seen X" about shown films it rated.
    SeenIt,
    /// Gives a reason when rejecting a list (the decade or a category it wants).
    Reasons,
    /// Names knowledge-graph relations ("by the same director as Fargo").
    Relations,
    /// A known user names liked films too (a cold user always does).
    LikedFilms,
    /// Corrects a category or period the engine holds but it never asked for.
    Corrections,
    /// Names rarer categories first (else in random order).
    RareFirst,
    /// Names the liked films most related to the target (else liked films at random).
    Related,
}

impl Behaviour {
    pub const ALL: [Behaviour; 7] = [
        Behaviour::SeenIt,
        Behaviour::Reasons,
        Behaviour::Relations,
        Behaviour::LikedFilms,
        Behaviour::Corrections,
        Behaviour::RareFirst,
        Behaviour::Related,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::SeenIt => "seen",
            Behaviour::Reasons => "reasons",
            Behaviour::Relations => "relations",
            Behaviour::LikedFilms => "liked",
            Behaviour::Corrections => "corrections",
            Behaviour::RareFirst => "rare-first",
            Behaviour::Related => "related",
        }
    }
}

impl std::str::FromStr for Behaviour {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_lowercase();
        Behaviour::ALL
            .into_iter()
            .find(|b| b.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Behaviour::ALL.iter().map(|b| b.name()).collect();
                format!("unknown behaviour `{text}`; known: {}", names.join(", "))
            })
    }
}

/// A relation of the target to a film the user can name.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FactClue {
    pub anchor: u32,
    pub relation: Relation,
    /// Whether the user rated the anchor (else it is a famous film anyone could name).
    pub from_history: bool,
}

/// One simulated user's fixed setup, played once as a known and once as a cold user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub user: u32,
    pub user_id: String,
    /// The hidden film the user wants: a liked film of its held-out data.
    pub target: u32,
    /// The target's categories the user can name, in the order it would name them.
    pub categories: Vec<String>,
    pub decade: Option<i32>,
    /// Relations of the target to films the user can name, best first.
    pub facts: Vec<FactClue>,
    /// The user's liked training films most related to the target, best first.
    pub related: Vec<u32>,
    /// How many of `related` the user reveals (1..=3): a cold user names them, and the
    /// cold baseline folds them in.
    pub reveal: usize,
}

/// Order in which relations are worth naming: the most specific first.
fn relation_rank(relation: Relation) -> u32 {
    match relation {
        Relation::SequelOf | Relation::PrequelOf => 0,
        Relation::Director => 1,
        Relation::Writer => 2,
        Relation::Cast { count } if count >= 2 => 3,
        Relation::Producer => 4,
        Relation::Cast { .. } => 5,
    }
}

fn relation_of(kind: &EvidenceKind) -> Option<Relation> {
    Some(match kind {
        EvidenceKind::SequelOf => Relation::SequelOf,
        EvidenceKind::PrequelOf => Relation::PrequelOf,
        EvidenceKind::SameDirector => Relation::Director,
        EvidenceKind::SameWriter => Relation::Writer,
        EvidenceKind::SharedCast { count } => Relation::Cast { count: *count },
        EvidenceKind::SameProducer => Relation::Producer,
        _ => return None,
    })
}

impl Case {
    /// Plans the case of `user`, or `None` when it has no liked held-out film or no liked
    /// training film it could name without hinting at the target's title.
    pub fn plan(world: &SimWorld, user: u32, seed: u64, most_related: bool) -> Option<Case> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(PLAN_STREAM + user as u64);
        let liked_test: Vec<u32> = world
            .test_row(user)
            .filter(|&(_, v)| world.is_like(v))
            .map(|(i, _)| i)
            .collect();
        let target = *liked_test.choose(&mut rng)?;
        Self::with_target(world, user, target, &mut rng, most_related)
    }

    /// Plans the case of `user` wanting `target`, or `None` when the user has no liked
    /// training film it could name without hinting at the target's title. `rng` picks how
    /// many liked films it reveals and the order of the categories; `most_related` names
    /// the liked films most related to the target (else liked films at random).
    pub fn with_target(
        world: &SimWorld,
        user: u32,
        target: u32,
        rng: &mut ChaCha8Rng,
        most_related: bool,
    ) -> Option<Case> {
        let engine = &world.engine;
        let catalog = &engine.catalog;
        let target_title = catalog.item(target).title.as_str();
        let nameable = |item: u32| {
            item != target && !speech::shares_title_word(&catalog.item(item).title, target_title)
        };
        let train: Vec<(u32, f32)> = world.train_row(user).collect();
        let liked_train: Vec<u32> = train
            .iter()
            .filter(|&&(i, v)| world.is_like(v) && nameable(i))
            .map(|&(i, _)| i)
            .collect();
        if liked_train.is_empty() {
            return None;
        }

        let graph = engine.graph.as_deref();
        let best_relation = |anchor: u32| -> Option<Relation> {
            graph?
                .evidence(anchor, target)
                .iter()
                .filter_map(|e| relation_of(&e.kind))
                .min_by_key(|&r| relation_rank(r))
        };

        // Liked films most related to the target: co-liked in training, plus a bonus when
        // the graph relates them.
        let popularity = |i: u32| engine.popularity[i as usize].0;
        let mut related: Vec<(f32, u32)> = liked_train
            .iter()
            .map(|&i| {
                let bonus = if best_relation(i).is_some() {
                    FACT_BONUS
                } else {
                    0.0
                };
                (world.co_liking(i, target) + bonus, i)
            })
            .collect();
        if most_related {
            related.sort_by(|a, b| {
                b.0.total_cmp(&a.0)
                    .then_with(|| popularity(b.1).cmp(&popularity(a.1)))
                    .then_with(|| a.1.cmp(&b.1))
            });
        } else {
            related.shuffle(rng);
        }
        let related: Vec<u32> = related
            .into_iter()
            .take(MAX_REVEALED)
            .map(|(_, i)| i)
            .collect();
        let reveal = rng.gen_range(1..=MAX_REVEALED).min(related.len());

        // Relations to films the user can name: liked ones first, then others it rated,
        // then famous ones; the most specific relation of each.
        let mut facts: Vec<(u32, FactClue)> = Vec::new();
        if graph.is_some() {
            let liked_set: BTreeSet<u32> = liked_train.iter().copied().collect();
            let rated: BTreeSet<u32> = train.iter().map(|&(i, _)| i).collect();
            let mut anchors: Vec<(u32, u32)> = Vec::new();
            for &(i, _) in &train {
                if nameable(i) {
                    anchors.push((if liked_set.contains(&i) { 0 } else { 1 }, i));
                }
            }
            for (i, &famous) in world.famous.iter().enumerate() {
                let i = i as u32;
                if famous && !rated.contains(&i) && nameable(i) {
                    anchors.push((2, i));
                }
            }
            for (tier, anchor) in anchors {
                if let Some(relation) = best_relation(anchor) {
                    // Nobody knows a minor actor or a producer of a film they have not seen.
                    let obscure =
                        matches!(relation, Relation::Cast { count: 1 } | Relation::Producer);
                    if tier == 2 && obscure {
                        continue;
                    }
                    facts.push((
                        relation_rank(relation) + tier,
                        FactClue {
                            anchor,
                            relation,
                            from_history: tier < 2,
                        },
                    ));
                }
            }
            facts.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| popularity(b.1.anchor).cmp(&popularity(a.1.anchor)))
                    .then_with(|| a.1.anchor.cmp(&b.1.anchor))
            });
        }
        let facts: Vec<FactClue> = facts.into_iter().take(MAX_FACTS).map(|f| f.1).collect();

        // Categories: rarer ones are more telling and more likely named first.
        let mut left: Vec<String> = catalog
            .item(target)
            .categories
            .iter()
            .filter(|c| speech::speakable(c))
            .cloned()
            .collect();
        let mut categories = Vec::with_capacity(left.len());
        while !left.is_empty() {
            let weights: Vec<f64> = left
                .iter()
                .map(|c| 1.0 / world.category_count(c) as f64)
                .collect();
            let total: f64 = weights.iter().sum();
            let mut draw = rng.gen::<f64>() * total;
            let mut chosen = left.len() - 1;
            for (k, w) in weights.iter().enumerate() {
                if draw < *w {
                    chosen = k;
                    break;
                }
                draw -= w;
            }
            categories.push(left.remove(chosen));
        }

        Some(Case {
            user,
            user_id: catalog.user_ids().id(user).to_owned(),
            target,
            categories,
            decade: catalog.item(target).year.map(speech::decade_of),
            facts,
            related,
            reveal,
        })
    }
}

/// One piece of information about the target the user can give.
#[derive(Debug, Clone, PartialEq)]
enum Clue {
    Category(String),
    Decade(i32),
    Fact(FactClue),
    Liked(Vec<u32>),
}

/// What the user has told the engine so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Said {
    pub categories: Vec<String>,
    pub decade: Option<i32>,
    /// Liked films named.
    pub liked: Vec<u32>,
    /// Films named as the anchor of a relation.
    pub anchors: Vec<u32>,
}

/// A user playing a [`Case`] in one conversation.
pub struct SimulatedUser<'w> {
    world: &'w SimWorld,
    case: &'w Case,
    group: Group,
    rng: ChaCha8Rng,
    opening: Vec<Clue>,
    agenda: VecDeque<Clue>,
    said: Said,
    /// Films named in the last sentence, for "which one do you mean?".
    named: Vec<u32>,
    /// Films already picked out of an engine's question.
    chosen: BTreeSet<u32>,
    /// Misunderstandings already corrected (category names, "1960s").
    corrected: BTreeSet<String>,
    /// Behaviours switched off.
    without: Vec<Behaviour>,
    /// Everything the user has rated apart from the target: "seen it".
    seen: BTreeSet<u32>,
    turns: u32,
}

impl<'w> SimulatedUser<'w> {
    /// The user of `case` in `group`; `seed` varies its phrasing.
    pub fn new(
        world: &'w SimWorld,
        case: &'w Case,
        group: Group,
        seed: u64,
        without: &[Behaviour],
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(2 * case.user as u64 + u64::from(group == Group::Cold));
        let seen: BTreeSet<u32> = world
            .train_row(case.user)
            .chain(world.test_row(case.user))
            .map(|(i, _)| i)
            .filter(|&i| i != case.target)
            .collect();
        let mut categories = case.categories.clone();
        if without.contains(&Behaviour::RareFirst) {
            // The same order for the known and the cold play of a case.
            let mut order = ChaCha8Rng::seed_from_u64(seed);
            order.set_stream(ORDER_STREAM + case.user as u64);
            categories.shuffle(&mut order);
        }
        let (opening, agenda) = plan_agenda(case, &categories, group, without, &mut rng);
        Self {
            world,
            case,
            group,
            rng,
            opening,
            agenda,
            said: Said::default(),
            named: Vec::new(),
            chosen: BTreeSet::new(),
            corrected: BTreeSet::new(),
            without: without.to_vec(),
            seen,
            turns: 0,
        }
    }

    pub fn said(&self) -> &Said {
        &self.said
    }

    pub fn case(&self) -> &Case {
        self.case
    }

    /// The user's next message, given the engine's last reply (`None` to open).
    pub fn speak(&mut self, last: Option<&TurnReply>) -> String {
        self.turns += 1;
        let sentence = match last {
            None => self.open(),
            Some(reply) => self.answer(reply),
        };
        self.guard(sentence)
    }

    fn answer(&mut self, reply: &TurnReply) -> String {
        if reply.question {
            if let Some(item) = self.meant_in(&reply.reply) {
                self.chosen.insert(item);
                self.named.clear();
                let it = self.world.engine.catalog.item(item);
                let title = speech::spoken_title(&it.title);
                return speech::choose(&title, it.year, &mut self.rng);
            }
            // "What do you like?": a cold user names its liked films first.
            if self.group == Group::Cold {
                if let Some(pos) = self.agenda.iter().position(|c| matches!(c, Clue::Liked(_))) {
                    if let Some(clue) = self.agenda.remove(pos) {
                        return self.say(clue);
                    }
                }
            }
        }
        // What the engine says it understood is visible in its reply; a person corrects a
        // category or period it never asked for.
        let correction = if self.without.contains(&Behaviour::Corrections) {
            None
        } else {
            self.correction(&reply.reply)
        };
        if let Some(correction) = correction {
            return format!("{correction} {}", self.next_clue());
        }
        if reply.question || reply.items.is_empty() {
            return self.next_clue();
        }
        let (reaction, told_something) = self.react(&reply.items);
        if told_something {
            reaction
        } else {
            format!("{reaction} {}", self.next_clue())
        }
    }

    /// The film of the last sentence the engine's question is about, if any: one named in
    /// the question itself ("Which \"heat\" do you mean: Heat (1995) or Heat (1986)?"), not
    /// in an acknowledgement before it ("Noted: you liked Fargo. Which of these ...?").
    fn meant_in(&self, reply: &str) -> Option<u32> {
        let catalog = &self.world.engine.catalog;
        let lower = reply.to_lowercase();
        let end = lower.find('?').unwrap_or(lower.len());
        let start = ["which", "do you mean", "did you mean"]
            .iter()
            .filter_map(|w| lower[..end].rfind(w))
            .max()?;
        let question = &reply[start..];
        self.named
            .iter()
            .copied()
            .filter(|i| !self.chosen.contains(i))
            .find(|&i| speech::mentions_title(question, &catalog.item(i).title))
    }

    /// A correction of something the engine's reply says it holds but the user never asked
    /// for: a category the target lacks, or another decade. Read from the reply's first line
    /// (its summary or question; the lines after it list titles), without the titles it
    /// names. Each is corrected once.
    fn correction(&mut self, reply: &str) -> Option<String> {
        // Titles in the reply ("Noted: you loved True Romance (1993)") are not what it
        // holds: their words are left out.
        let mut first = reply.lines().next().unwrap_or("").to_owned();
        for title in &self.world.display_titles {
            if first.contains(title.as_str()) {
                first = first.replace(title.as_str(), " ");
            }
        }
        let said = speech::tokens(&first);
        let catalog = &self.world.engine.catalog;
        let wanted = &catalog.item(self.case.target).categories;
        let spurious = self.world.category_counts.keys().find(|c| {
            let words = speech::tokens(c);
            speech::speakable(c)
                && !wanted.contains(c)
                && !self.corrected.contains(*c)
                && !words.is_empty()
                && said.windows(words.len()).any(|w| w == words.as_slice())
        });
        if let Some(category) = spurious.cloned() {
            let text = speech::not_asked_category(&category, &mut self.rng);
            self.corrected.insert(category);
            return Some(text);
        }
        let decade = self.case.decade?;
        let other = said.windows(2).find_map(|w| {
            let d = w[1].strip_suffix('s')?.parse::<i32>().ok()?;
            (w[0] == "the" && d >= 1000 && d % 10 == 0 && d != decade).then_some(d)
        })?;
        let key = format!("{other}s");
        if self.corrected.contains(&key) {
            return None;
        }
        self.corrected.insert(key);
        self.said.decade = Some(decade);
        self.agenda.retain(|c| *c != Clue::Decade(decade));
        let wrong = format!("{other}s");
        let right = speech::decade_phrase(decade, &mut self.rng);
        Some(speech::not_asked_decade(&wrong, &right, &mut self.rng))
    }

    fn open(&mut self) -> String {
        let clues = std::mem::take(&mut self.opening);
        let mut category = None;
        let mut decade = None;
        let mut rest = Vec::new();
        for clue in clues {
            match clue {
                Clue::Category(c) if category.is_none() => {
                    category = self.category_np(&c);
                    self.said.categories.push(c);
                }
                Clue::Decade(d) if decade.is_none() => {
                    decade = Some(speech::decade_phrase(d, &mut self.rng));
                    self.said.decade = Some(d);
                }
                other => rest.push(other),
            }
        }
        let mut sentence = if category.is_some() || decade.is_some() || rest.is_empty() {
            speech::request(category.as_deref(), decade.as_deref(), &mut self.rng)
        } else {
            String::new()
        };
        for clue in rest {
            let part = self.say(clue);
            if sentence.is_empty() {
                sentence = part;
            } else {
                sentence = format!("{sentence} {part}");
            }
        }
        sentence
    }

    fn category_np(&mut self, category: &str) -> Option<String> {
        speech::category_phrase(category, &mut self.rng)
    }

    fn next_clue(&mut self) -> String {
        match self.agenda.pop_front() {
            Some(clue) => self.say(clue),
            None => {
                self.named.clear();
                speech::more(&mut self.rng)
            }
        }
    }

    fn say(&mut self, clue: Clue) -> String {
        let catalog = &self.world.engine.catalog;
        self.named.clear();
        match clue {
            Clue::Category(c) => {
                let np = self.category_np(&c).unwrap_or_else(|| c.clone());
                self.said.categories.push(c);
                speech::add_category(&np, &mut self.rng)
            }
            Clue::Decade(d) => {
                self.said.decade = Some(d);
                let dp = speech::decade_phrase(d, &mut self.rng);
                speech::add_decade(&dp, &mut self.rng)
            }
            Clue::Fact(f) => {
                self.named.push(f.anchor);
                self.said.anchors.push(f.anchor);
                let title = speech::spoken_title(&catalog.item(f.anchor).title);
                speech::relation(f.relation, &title, &mut self.rng)
            }
            Clue::Liked(items) => {
                let titles: Vec<String> = items
                    .iter()
                    .map(|&i| speech::spoken_title(&catalog.item(i).title))
                    .collect();
                self.named.extend(&items);
                self.said.liked.extend(&items);
                speech::liked(&titles, &mut self.rng)
            }
        }
    }

    /// The reaction to a list without the target, and whether it already told something
    /// new (a reason that reveals a clue).
    fn react(&mut self, shown: &[ShownItem]) -> (String, bool) {
        let catalog = &self.world.engine.catalog;
        let target_title = &catalog.item(self.case.target).title;
        // Seen films whose titles hint at the target's ("I've seen Die Hard" when it wants
        // Die Hard 2) are left unsaid.
        let seen: Vec<String> = shown
            .iter()
            .filter(|s| self.seen.contains(&s.item))
            .filter(|s| !speech::shares_title_word(&catalog.item(s.item).title, target_title))
            .take(2)
            .map(|s| speech::spoken_title(&catalog.item(s.item).title))
            .collect();
        if !seen.is_empty() && !self.without.contains(&Behaviour::SeenIt) {
            self.named.clear();
            return (speech::seen(&seen, &mut self.rng), false);
        }
        if self.without.contains(&Behaviour::Reasons) {
            return (speech::not_those(&mut self.rng), false);
        }
        if let Some(decade) = self.case.decade {
            let off = shown
                .iter()
                .filter(|s| catalog.item(s.item).year.map(speech::decade_of) != Some(decade))
                .count();
            if off * 2 > shown.len() {
                let dp = speech::decade_phrase(decade, &mut self.rng);
                if self.said.decade == Some(decade) {
                    return (speech::wrong_decade(&dp, true, &mut self.rng), false);
                }
                if let Some(pos) = self.agenda.iter().position(|c| *c == Clue::Decade(decade)) {
                    self.agenda.remove(pos);
                    self.said.decade = Some(decade);
                    self.named.clear();
                    return (speech::wrong_decade(&dp, false, &mut self.rng), true);
                }
            }
        }
        let wanted = &catalog.item(self.case.target).categories;
        if !self.case.categories.is_empty() {
            let off = shown
                .iter()
                .filter(|s| {
                    !catalog
                        .item(s.item)
                        .categories
                        .iter()
                        .any(|c| wanted.contains(c))
                })
                .count();
            if off * 2 > shown.len() {
                if let Some(pos) = self
                    .agenda
                    .iter()
                    .position(|c| matches!(c, Clue::Category(_)))
                {
                    if let Some(Clue::Category(c)) = self.agenda.remove(pos) {
                        let np = self.category_np(&c).unwrap_or_else(|| c.clone());
                        self.said.categories.push(c);
                        self.named.clear();
                        return (speech::wrong_category(&np, false, &mut self.rng), true);
                    }
                }
                if let Some(c) = self.said.categories.first().cloned() {
                    let np = self.category_np(&c).unwrap_or(c);
                    return (speech::wrong_category(&np, true, &mut self.rng), false);
                }
            }
        }
        (speech::not_those(&mut self.rng), false)
    }

    /// Never sends the target's title: a sentence that would contain it is replaced by a
    /// plain request for other films.
    fn guard(&mut self, sentence: String) -> String {
        let title = &self.world.engine.catalog.item(self.case.target).title;
        if !speech::mentions_title(&sentence, title) {
            return sentence;
        }
        self.named.clear();
        const FALLBACKS: [&str; 5] = [
            "Show me some others.",
            "Anything else?",
            "Other suggestions?",
            "Keep going.",
            "Hmm.",
        ];
        FALLBACKS
            .iter()
            .find(|s| !speech::mentions_title(s, title))
            .map_or_else(|| "...".to_owned(), |s| (*s).to_owned())
    }
}

/// The opening clues and the order of the later ones.
///
/// Known user: turn 1 a category and, half the time, the decade; then the decade or a
/// second category; a graph relation; one or two related liked films; a second relation;
/// the remaining categories; the rest. Cold user: the same opening, then its liked films
/// (1 to 3), then the decade or a second category, relations, the rest.
fn plan_agenda(
    case: &Case,
    categories: &[String],
    group: Group,
    without: &[Behaviour],
    rng: &mut ChaCha8Rng,
) -> (Vec<Clue>, VecDeque<Clue>) {
    let mut categories: VecDeque<Clue> = categories.iter().cloned().map(Clue::Category).collect();
    let mut decade = case.decade.map(Clue::Decade);
    let mut facts: VecDeque<Clue> = if without.contains(&Behaviour::Relations) {
        VecDeque::new()
    } else {
        case.facts.iter().copied().map(Clue::Fact).collect()
    };
    let revealed: Vec<u32> = case.related.iter().copied().take(case.reveal).collect();

    let mut opening = Vec::new();
    if let Some(c) = categories.pop_front() {
        opening.push(c);
        if rng.gen_bool(0.5) {
            opening.extend(decade.take());
        }
    } else if let Some(d) = decade.take() {
        opening.push(d);
    }
    let mut agenda = VecDeque::new();
    let mut liked_left: Vec<u32> = match group {
        Group::Known if without.contains(&Behaviour::LikedFilms) => Vec::new(),
        Group::Known => case.related.clone(),
        Group::Cold => revealed,
    };
    if opening.is_empty() && !liked_left.is_empty() {
        opening.push(Clue::Liked(std::mem::take(&mut liked_left)));
    }
    if group == Group::Cold && !liked_left.is_empty() {
        agenda.push_back(Clue::Liked(std::mem::take(&mut liked_left)));
    }
    if let Some(d) = decade.take() {
        agenda.push_back(d);
    } else {
        agenda.extend(categories.pop_front());
    }
    agenda.extend(facts.pop_front());
    if group == Group::Known && !liked_left.is_empty() {
        let n = rng.gen_range(1..=2).min(liked_left.len());
        let now: Vec<u32> = liked_left.drain(..n).collect();
        agenda.push_back(Clue::Liked(now));
    }
    agenda.extend(facts.pop_front());
    agenda.extend(categories.drain(..));
    agenda.extend(facts.drain(..));
    if !liked_left.is_empty() {
        agenda.push_back(Clue::Liked(liked_left));
    }
    (opening, agenda)
}
