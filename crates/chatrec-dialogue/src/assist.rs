//! The seams where a language model may take over part of a turn: understanding the user's
//! words, reranking the recommender's candidates, phrasing the reply. The dialogue knows
//! nothing of models or servers; it asks an [`Assistant`] and keeps its own answer when the
//! assistant declines (returns `None`).
//!
//! Whatever an assistant returns is checked again here, so the guarantees of the built-in
//! path hold whatever the model does: a reranked list holds only candidates (which already
//! satisfy every hard constraint), each once; acts name only catalog items.

use serde::Serialize;

use crate::acts::{Act, ParseContext};
use crate::engine::Engine;
use crate::reply::ShownItem;
use crate::state::SessionState;

/// The turn's words and what the session knows, for understanding.
pub struct UnderstandInput<'a> {
    pub engine: &'a Engine,
    pub state: &'a SessionState,
    pub text: &'a str,
    pub context: &'a ParseContext,
    /// The built-in parser's reading of the same words, for checking the model's against.
    pub builtin: &'a [Act],
}

/// One candidate offered for reranking, best first by the recommender.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RerankCandidate {
    pub item: u32,
    pub score: f32,
}

/// The recommender's best candidates for this turn; every one satisfies the session's hard
/// constraints and none was shown, rejected or seen.
pub struct RerankInput<'a> {
    pub engine: &'a Engine,
    pub state: &'a SessionState,
    /// The free-text request of the conversation, if any.
    pub query: Option<&'a str>,
    pub candidates: &'a [RerankCandidate],
    /// How many items to choose.
    pub k: usize,
}

/// A written reply and the structured content it must stay faithful to.
pub struct PhraseInput<'a> {
    pub engine: &'a Engine,
    pub state: &'a SessionState,
    pub user_text: &'a str,
    /// The built-in reply for this turn: what must be said, in template wording.
    pub draft: &'a str,
    /// Items recommended this turn, with their evidence.
    pub items: &'a [ShownItem],
    /// Items explained or described this turn, with their evidence.
    pub explained: &'a [ShownItem],
}

/// How often each task was answered by the assistant and how often the built-in layer
/// had to answer instead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TaskCounts {
    /// Requests the assistant answered with valid output (after at most one repair).
    pub answered: u64,
    /// Answers that needed the repair attempt to become valid.
    pub repaired: u64,
    /// Requests left to the built-in layer: invalid twice, or the model failed.
    pub fallbacks: u64,
}

/// Counts per task since the assistant was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AssistantCounts {
    pub understand: TaskCounts,
    pub rerank: TaskCounts,
    pub phrase: TaskCounts,
}

/// Something that can do the language tasks of a turn. Each method returns `None` to leave
/// the task to the built-in layer (the model is off for that task, failed, or answered
/// invalidly); implementations count those fallbacks in [`Assistant::counts`].
pub trait Assistant: Send + Sync {
    /// The turn as typed acts, or `None` for the built-in parser's. The session reconciles
    /// them with the parser's reading ([`crate::understand::reconcile`]).
    fn understand(&self, input: &UnderstandInput<'_>) -> Option<Vec<Act>>;
    /// `k` candidates in the order to show them, or `None` for the built-in reranker.
    fn rerank(&self, input: &RerankInput<'_>) -> Option<Vec<u32>>;
    /// The reply's text, or `None` for the built-in wording.
    fn phrase(&self, input: &PhraseInput<'_>) -> Option<String>;
    /// Answers and fallbacks per task so far.
    fn counts(&self) -> AssistantCounts;
}

/// `order` when it lists `k` distinct candidates (or all of them when there are fewer):
/// the last check between any assistant and the user.
pub(crate) fn checked_order(
    order: Vec<u32>,
    candidates: &[RerankCandidate],
    k: usize,
) -> Option<Vec<u32>> {
    let wanted = k.min(candidates.len());
    let mut seen = std::collections::HashSet::new();
    let valid = order.len() == wanted
        && order
            .iter()
            .all(|item| candidates.iter().any(|c| c.item == *item) && seen.insert(*item));
    valid.then_some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(items: &[u32]) -> Vec<RerankCandidate> {
        items
            .iter()
            .map(|&item| RerankCandidate { item, score: 1.0 })
            .collect()
    }

    #[test]
    fn an_order_must_name_k_distinct_candidates() {
        let pool = candidates(&[4, 8, 15, 16]);
        assert_eq!(
            checked_order(vec![8, 4, 16], &pool, 3),
            Some(vec![8, 4, 16])
        );
        assert_eq!(
            checked_order(vec![8, 4, 99], &pool, 3),
            None,
            "not a candidate"
        );
        assert_eq!(checked_order(vec![8, 8, 4], &pool, 3), None, "repeated");
        assert_eq!(checked_order(vec![8, 4], &pool, 3), None, "too short");
        assert_eq!(
            checked_order(vec![8, 4, 15, 16], &pool, 3),
            None,
            "too long"
        );
        assert_eq!(
            checked_order(vec![8, 4], &candidates(&[4, 8]), 3),
            Some(vec![8, 4])
        );
    }
}
