//! Recommendations outside a conversation: a list for a user (known to the model, folded in
//! from events the model has not seen, or both), the evidence for one item, items similar to
//! one item. The same candidates, filters and evidence as a conversation, so an API answer
//! and a chat answer never disagree about why an item fits.

use crate::acts::{Constraint, Polarity, Strictness};
use crate::candidates;
use crate::engine::Engine;
use crate::explain;
use crate::reply::{Evidence, ShownItem};
use crate::state::{HeldConstraint, SessionState};

/// Profile items an API list's evidence is looked for in: the strongest likes first. A
/// list shows more items than a chat turn and is asked for far more often, and evidence
/// costs one comparison per item and profile item (about 60% of a request's time with the
/// full 200 on MovieLens-100K); the strongest 50 still name the best-known links.
const EVIDENCE_PROFILE_ITEMS: usize = 50;

/// Who the list is for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// A user of the model's training data (dense index), whose history it knows.
    pub user: Option<u32>,
    /// Opinions the model has not seen (events since it was trained, or the liked items of
    /// an anonymous visitor): item and sentiment in [-1, 1]. Items with an opinion are
    /// never recommended back.
    pub opinions: Vec<(u32, f32)>,
}

/// Which part of the ranking to return.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListRequest {
    pub n: usize,
    /// Skips the first `offset` items (paging).
    pub offset: usize,
    /// Every returned item has all these categories (catalog spelling).
    pub categories: Vec<String>,
    /// Items never to return (dense indices).
    pub exclude: Vec<u32>,
}

impl Profile {
    fn state(&self) -> SessionState {
        let mut state = SessionState::new(self.user);
        for &(item, sentiment) in &self.opinions {
            state.set_opinion(item, sentiment);
        }
        state
    }
}

impl Engine {
    /// The best items for `profile`, best first, each with its evidence. Relevance order
    /// (no diversification: a list API pages through one ranking).
    pub fn recommend_for(&self, profile: &Profile, request: &ListRequest) -> Vec<ShownItem> {
        let mut state = profile.state();
        state.seen.extend(request.exclude.iter().copied());
        for category in &request.categories {
            state.constrain(HeldConstraint {
                constraint: Constraint::Category {
                    category: category.clone(),
                },
                polarity: Polarity::Include,
                strictness: Strictness::Hard,
            });
        }
        let ranked = candidates::rank(self, &state, None, request.offset + request.n);
        let page: Vec<(u32, f32)> = ranked
            .iter()
            .skip(request.offset)
            .map(|c| (c.item, c.score))
            .collect();
        self.shown_with_evidence(&state, &page)
    }

    /// Why `item` would suit `profile`: the evidence a recommendation of it carries.
    pub fn explain_for(&self, profile: &Profile, item: u32) -> Vec<Evidence> {
        let state = profile.state();
        let profile_items = explain::profile_items(self, &state);
        let neighbours = explain::neighbour_users(self, &state, &profile_items);
        explain::evidence_for(self, &state, item, &profile_items, &neighbours, None)
    }

    /// The `n` items the model finds most similar to `item`, each with the evidence that
    /// links it to `item` (co-likers, shared facts, shared categories).
    pub fn similar_to(&self, item: u32, n: usize) -> Vec<ShownItem> {
        let state = Profile {
            user: None,
            opinions: vec![(item, 1.0)],
        }
        .state();
        let similar: Vec<(u32, f32)> = self
            .model
            .similar_items(item, n + self.unavailable_count())
            .into_iter()
            .filter(|s| self.is_available(s.item))
            .take(n)
            .map(|s| (s.item, s.score))
            .collect();
        self.shown_with_evidence(&state, &similar)
    }

    fn shown_with_evidence(&self, state: &SessionState, items: &[(u32, f32)]) -> Vec<ShownItem> {
        explain::shown_with_evidence(
            self,
            state,
            items.iter().copied(),
            None,
            EVIDENCE_PROFILE_ITEMS,
        )
    }
}
