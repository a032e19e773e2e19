//! Applies one turn's acts to the session state and collects what the turn asks of the
//! reply. This is the only place acts change state, so a turn's effect is exactly its acts.

use crate::acts::{Act, ActKind, Constraint, ItemMention, Polarity, Target, TitleRole};
use crate::engine::Engine;
use crate::state::{ChoiceUse, HeldConstraint, PendingChoice, SessionState};

/// A question the reply must ask before it can go on.
#[derive(Debug, Clone, PartialEq)]
pub enum Question {
    /// "Which one do you mean?" among catalog items.
    WhichTitle { mention: String, options: Vec<u32> },
    /// A reference ("that one") with several candidates or none.
    WhichShown { mention: String },
}

/// What the turn asks of the reply, besides the state changes already made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnEffects {
    /// The user asked for items, or changed what they want: show a fresh list.
    pub recommend: bool,
    /// "more": the next items for the same request.
    pub more: bool,
    /// Items to explain ("why X?"); empty with `why_last` for "why?".
    pub why: Vec<u32>,
    pub why_last: bool,
    /// Items to describe ("tell me more about 2").
    pub tell_more: Vec<u32>,
    pub profile: bool,
    pub started_over: bool,
    pub greeted: bool,
    /// Items the user gave an opinion on, rejected or marked seen this turn.
    pub acknowledged_feedback: Vec<(u32, f32)>,
    pub acknowledged_rejects: Vec<u32>,
    pub acknowledged_seen: Vec<u32>,
    /// Wishes the catalog cannot serve ("nothing too long").
    pub unsupported: Vec<String>,
    /// Title-like phrases that match nothing.
    pub unknown_titles: Vec<String>,
    pub question: Option<Question>,
    /// Nothing in the turn was understood.
    pub not_understood: bool,
}

/// Applies `acts` in order to `state`, resolving "older"/"newer" against the items the
/// conversation is about and answers to a pending question against its options.
pub fn apply_acts(engine: &Engine, state: &mut SessionState, acts: &[Act]) -> TurnEffects {
    let mut effects = TurnEffects::default();
    let pending = state.pending.take();
    // A new "like X" is the new subject of the request: earlier anchors would blend two
    // requests into one list. Opinions stay; they describe the user, not the request.
    if acts
        .iter()
        .any(|a| matches!(a.kind, ActKind::LikeItem { .. }))
    {
        state.anchors.clear();
        state.wanted_relations.clear();
    }
    let mut understood_something = false;
    for act in acts {
        if !matches!(act.kind, ActKind::Unknown { .. }) {
            understood_something = true;
        }
        apply_one(engine, state, &act.kind, pending.as_ref(), &mut effects);
    }
    if !understood_something {
        effects.not_understood = true;
        // An unanswered question stays open: the user may still answer it.
        state.pending = pending;
    }
    effects
}

fn items_of(mentions: &[ItemMention]) -> Vec<u32> {
    SessionState::mentions(mentions)
}

fn apply_one(
    engine: &Engine,
    state: &mut SessionState,
    act: &ActKind,
    pending: Option<&PendingChoice>,
    effects: &mut TurnEffects,
) {
    match act {
        ActKind::Request => effects.recommend = true,
        ActKind::Constrain {
            constraint,
            polarity,
            strictness,
        } => {
            let constraint = resolve_era(engine, state, constraint);
            state.constrain(HeldConstraint {
                constraint,
                polarity: *polarity,
                strictness: *strictness,
            });
            effects.recommend = true;
        }
        ActKind::Query { text } => {
            state.queries.insert(0, text.clone());
            effects.recommend = true;
        }
        ActKind::LikeItem { item, via } => {
            state.add_anchor(item.item);
            if let Some(relation) = via {
                state.want_relation(item.item, *relation);
            }
            state.focus = Some(item.item);
            effects.recommend = true;
        }
        ActKind::Reject { items } => {
            for item in items_of(items) {
                state.reject(item);
                effects.acknowledged_rejects.push(item);
            }
            effects.recommend = true;
        }
        ActKind::Feedback {
            items, sentiment, ..
        } => {
            for item in items_of(items) {
                state.set_opinion(item, *sentiment);
                effects.acknowledged_feedback.push((item, *sentiment));
            }
            effects.recommend = true;
        }
        ActKind::Seen { items } => {
            for item in items_of(items) {
                state.seen.insert(item);
                effects.acknowledged_seen.push(item);
            }
            effects.recommend = true;
        }
        ActKind::Select { items } => select(state, &items_of(items), pending, effects),
        ActKind::Why { target } => match target {
            Target::Items { items } => {
                let items = items_of(items);
                state.focus = items.last().copied().or(state.focus);
                effects.why.extend(items);
            }
            Target::LastShown => effects.why_last = true,
        },
        ActKind::TellMore { target } => match target {
            Target::Items { items } => {
                let items = items_of(items);
                state.focus = items.last().copied().or(state.focus);
                effects.tell_more.extend(items);
            }
            Target::LastShown => match state.focus {
                Some(item) => effects.tell_more.push(item),
                None => effects.tell_more.extend(state.last_shown.iter().copied()),
            },
        },
        ActKind::More => {
            effects.recommend = true;
            effects.more = true;
        }
        ActKind::SomethingElse => {
            let last = state.last_shown.clone();
            state.steer_away.extend(last);
            effects.recommend = true;
        }
        ActKind::StartOver => {
            state.reset();
            *effects = TurnEffects {
                started_over: true,
                ..TurnEffects::default()
            };
        }
        ActKind::Profile => effects.profile = true,
        ActKind::Unsupported { what } => effects.unsupported.push(what.clone()),
        ActKind::AmbiguousTitle {
            mention,
            options,
            role,
        } => {
            let options: Vec<u32> = items_of(options);
            let on_choice = choice_use(*role);
            state.pending = Some(PendingChoice {
                options: options.clone(),
                on_choice,
            });
            effects.question = Some(Question::WhichTitle {
                mention: mention.clone(),
                options,
            });
        }
        ActKind::UnknownTitle { mention } => effects.unknown_titles.push(mention.clone()),
        ActKind::UnresolvedReference { mention, role } => {
            // The answer ("the second one") completes what the user started; a reference
            // that misses the options of an open question leaves that question open.
            if let Some(open) = pending {
                state.pending = Some(open.clone());
            } else if !state.last_shown.is_empty() {
                state.pending = Some(PendingChoice {
                    options: state.last_shown.clone(),
                    on_choice: choice_use(*role),
                });
            }
            effects.question = Some(Question::WhichShown {
                mention: mention.clone(),
            });
        }
        ActKind::Greeting => effects.greeted = true,
        ActKind::Unknown { .. } => {}
    }
}

fn choice_use(role: TitleRole) -> ChoiceUse {
    match role {
        TitleRole::Anchor | TitleRole::Choose => ChoiceUse::Anchor,
        TitleRole::Opinion { sentiment } => ChoiceUse::Opinion(sentiment),
        TitleRole::Reject => ChoiceUse::Reject,
        TitleRole::Seen => ChoiceUse::Seen,
        TitleRole::Explain => ChoiceUse::Explain,
        TitleRole::Describe => ChoiceUse::Describe,
    }
}

/// Items named without a verb: the answer to a pending question, a shown item picked out
/// ("the second one": tell more about it), or a title to recommend from.
fn select(
    state: &mut SessionState,
    items: &[u32],
    pending: Option<&PendingChoice>,
    effects: &mut TurnEffects,
) {
    if let Some(choice) = pending {
        let chosen: Vec<u32> = items
            .iter()
            .copied()
            .filter(|i| choice.options.contains(i))
            .collect();
        let chosen = if chosen.is_empty() {
            items.to_vec()
        } else {
            chosen
        };
        for item in chosen {
            match choice.on_choice {
                ChoiceUse::Anchor => {
                    state.add_anchor(item);
                    state.focus = Some(item);
                }
                ChoiceUse::Opinion(sentiment) => {
                    state.set_opinion(item, sentiment);
                    effects.acknowledged_feedback.push((item, sentiment));
                }
                ChoiceUse::Reject => {
                    state.reject(item);
                    effects.acknowledged_rejects.push(item);
                }
                ChoiceUse::Seen => {
                    state.seen.insert(item);
                    effects.acknowledged_seen.push(item);
                }
                ChoiceUse::Explain => {
                    state.focus = Some(item);
                    effects.why.push(item);
                }
                ChoiceUse::Describe => {
                    state.focus = Some(item);
                    effects.tell_more.push(item);
                }
            }
        }
        effects.recommend |= !matches!(choice.on_choice, ChoiceUse::Explain | ChoiceUse::Describe);
        return;
    }
    let (shown, other): (Vec<u32>, Vec<u32>) =
        items.iter().partition(|i| state.last_shown.contains(i));
    if let Some(&last) = shown.last() {
        state.focus = Some(last);
        effects.tell_more.extend(shown);
    }
    for item in other {
        state.add_anchor(item);
        state.focus = Some(item);
        effects.recommend = true;
    }
}

/// Turns "older"/"newer" into years relative to what the conversation is about: the
/// anchors and liked items first, else the last list shown, else the catalog's median year.
fn resolve_era(engine: &Engine, state: &SessionState, constraint: &Constraint) -> Constraint {
    let (older, newer) = match constraint {
        Constraint::Older => (true, false),
        Constraint::Newer => (false, true),
        other => return other.clone(),
    };
    let period = state
        .constraints
        .iter()
        .filter(|c| c.polarity == Polarity::Include)
        .find_map(|c| match c.constraint {
            Constraint::Years { from, to } => Some((from, to)),
            _ => None,
        });
    let years_of = |items: &mut dyn Iterator<Item = u32>| -> Vec<i32> {
        items.filter_map(|i| engine.catalog.item(i).year).collect()
    };
    let mut reference = years_of(
        &mut state
            .anchors
            .iter()
            .copied()
            .chain(state.liked().map(|(i, _)| i)),
    );
    if reference.is_empty() {
        reference = years_of(&mut state.focus.into_iter());
    }
    if reference.is_empty() {
        reference = years_of(&mut state.last_shown.iter().copied());
    }
    if older {
        let before = match period {
            Some((Some(from), _)) => from,
            _ => reference
                .iter()
                .copied()
                .min()
                .unwrap_or(engine.median_year),
        };
        Constraint::Years {
            from: None,
            to: Some(before - 1),
        }
    } else {
        debug_assert!(newer);
        let after = match period {
            Some((_, Some(to))) => to,
            _ => reference
                .iter()
                .copied()
                .max()
                .unwrap_or(engine.median_year),
        };
        Constraint::Years {
            from: Some(after + 1),
            to: None,
        }
    }
}
