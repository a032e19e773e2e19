//! When to ask and when to recommend: a turn's effects and the session's knowledge decide
//! what the reply does.

use crate::apply::{Question, TurnEffects};
use crate::state::SessionState;

/// What the reply must ask, instead of recommending.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// A title or reference that must be resolved first.
    Resolve(Question),
    /// A request with nothing to go on: offer concrete choices.
    Preferences,
    /// Nothing in the turn was understood: say what can be said.
    Rephrase,
}

/// What one reply does, in the order the text gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub ask: Option<Ask>,
    pub recommend: bool,
    /// Items to explain in full.
    pub explain: Vec<u32>,
    /// Items to describe.
    pub describe: Vec<u32>,
    pub profile: bool,
}

/// Decides the reply. A pending clarification wins over everything; a request with nothing
/// known about the user asks for preferences; explanations and descriptions are answered
/// alongside a new list when the turn asks for both.
pub fn decide(effects: &TurnEffects, state: &SessionState) -> Plan {
    let mut plan = Plan {
        explain: effects.why.clone(),
        describe: effects.tell_more.clone(),
        profile: effects.profile,
        ..Plan::default()
    };
    if effects.why_last {
        match state.focus {
            Some(item) if state.last_shown.contains(&item) => plan.explain.push(item),
            _ => plan.explain.extend(state.last_shown.iter().copied()),
        }
    }
    dedup_in_order(&mut plan.explain);
    dedup_in_order(&mut plan.describe);

    if let Some(question) = &effects.question {
        plan.ask = Some(Ask::Resolve(question.clone()));
        return plan;
    }
    if effects.not_understood {
        plan.ask = Some(if state.knows_anything() {
            Ask::Rephrase
        } else {
            Ask::Preferences
        });
        return plan;
    }
    let answered_something = !plan.explain.is_empty() || !plan.describe.is_empty() || plan.profile;
    if effects.recommend {
        if state.knows_anything() {
            plan.recommend = true;
        } else {
            plan.ask = Some(Ask::Preferences);
        }
    } else if (effects.started_over
        || (effects.greeted && !answered_something)
        || (!answered_something && !has_notes(effects)))
        && !state.knows_anything()
    {
        plan.ask = Some(Ask::Preferences);
    }
    plan
}

fn has_notes(effects: &TurnEffects) -> bool {
    !effects.unsupported.is_empty() || !effects.unknown_titles.is_empty()
}

fn dedup_in_order(items: &mut Vec<u32>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(*i));
}
