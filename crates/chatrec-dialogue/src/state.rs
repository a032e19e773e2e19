//! What a session remembers between turns, and how each act changes it. Applying acts is
//! the only way state changes, so a turn's effect is exactly its acts.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::acts::{Constraint, ItemMention, Polarity, Relation, Strictness};
use crate::reply::ShownItem;

/// A constraint kept by the session, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldConstraint {
    pub constraint: Constraint,
    pub polarity: Polarity,
    pub strictness: Strictness,
}

/// A question the session asked and the act an answer completes: "Which Star Wars?"
/// waits for a choice among `options`, then applies `on_choice` to it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingChoice {
    pub options: Vec<u32>,
    pub on_choice: ChoiceUse,
}

/// What a chosen item becomes once the user picks it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChoiceUse {
    Anchor,
    Opinion(f32),
    Reject,
    Seen,
    Explain,
    Describe,
}

/// One past turn, for the transcript and "what have you learned about me?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnRecord {
    pub user: String,
    pub reply: String,
    pub shown: Vec<u32>,
}

/// The session's memory. Items are catalog indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionState {
    /// A user of the data, whose history the recommender already knows.
    pub user: Option<u32>,
    /// In-conversation opinions: +1 loved ... -1 hated. The latest opinion of an item wins.
    pub opinions: BTreeMap<u32, f32>,
    /// "like X" anchors, in the order given.
    pub anchors: Vec<u32>,
    /// Relations to anchors the user asked for ("the same director as X").
    pub wanted_relations: Vec<(u32, Relation)>,
    pub constraints: Vec<HeldConstraint>,
    /// Free text of the request for semantic matching, latest first.
    pub queries: Vec<String>,
    /// Every item shown so far, in order.
    pub shown: Vec<u32>,
    /// The list of the last recommending turn, in order.
    pub last_shown: Vec<u32>,
    /// Items the user turned down; never shown again.
    pub rejected: BTreeSet<u32>,
    /// Items the user has seen (said so, or gave an opinion on); never recommended.
    pub seen: BTreeSet<u32>,
    /// The item last talked about, for "that one" and "it".
    pub focus: Option<u32>,
    /// Items of "something else": the next list moves away from them.
    pub steer_away: Vec<u32>,
    /// Evidence of every item shown, for "why X?" and "tell me more".
    pub explained: BTreeMap<u32, ShownItem>,
    pub pending: Option<PendingChoice>,
    pub history: Vec<TurnRecord>,
}

impl SessionState {
    pub fn new(user: Option<u32>) -> Self {
        Self {
            user,
            ..Self::default()
        }
    }

    /// Forgets the conversation; a known user stays known.
    pub fn reset(&mut self) {
        let user = self.user;
        let history = std::mem::take(&mut self.history);
        *self = Self::new(user);
        self.history = history;
    }

    pub fn set_opinion(&mut self, item: u32, sentiment: f32) {
        self.opinions.insert(item, sentiment.clamp(-1.0, 1.0));
        self.seen.insert(item);
        if sentiment < 0.0 {
            self.anchors.retain(|&a| a != item);
        }
    }

    pub fn add_anchor(&mut self, item: u32) {
        if !self.anchors.contains(&item) {
            self.anchors.push(item);
        }
        self.rejected.remove(&item);
    }

    pub fn reject(&mut self, item: u32) {
        self.rejected.insert(item);
        self.anchors.retain(|&a| a != item);
        self.wanted_relations.retain(|&(a, _)| a != item);
    }

    /// Asks for films related to `anchor` through `relation`.
    pub fn want_relation(&mut self, anchor: u32, relation: Relation) {
        if !self.wanted_relations.contains(&(anchor, relation)) {
            self.wanted_relations.push((anchor, relation));
        }
    }

    /// Adds a constraint. A later statement about the same thing replaces an earlier one:
    /// "no horror" then "horror" keeps only the inclusion; a new period replaces the old.
    pub fn constrain(&mut self, held: HeldConstraint) {
        let same_subject = |a: &Constraint, b: &Constraint| match (a, b) {
            (Constraint::Category { category: x }, Constraint::Category { category: y }) => x == y,
            (Constraint::Category { .. }, _) | (_, Constraint::Category { .. }) => false,
            // Periods: "older", "from the 80s", "after 1995" all restate the period.
            _ => true,
        };
        self.constraints
            .retain(|c| !same_subject(&c.constraint, &held.constraint));
        self.constraints.push(held);
    }

    pub fn liked(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.opinions
            .iter()
            .filter(|(_, &s)| s > 0.0)
            .map(|(&i, &s)| (i, s))
    }

    pub fn disliked(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.opinions
            .iter()
            .filter(|(_, &s)| s < 0.0)
            .map(|(&i, &s)| (i, s))
    }

    pub fn hard_constraints(&self) -> impl Iterator<Item = &HeldConstraint> {
        self.constraints
            .iter()
            .filter(|c| c.strictness == Strictness::Hard)
    }

    /// Whether anything is known to recommend from.
    pub fn knows_anything(&self) -> bool {
        self.user.is_some()
            || !self.opinions.is_empty()
            || !self.anchors.is_empty()
            || !self.constraints.is_empty()
            || !self.queries.is_empty()
    }

    pub fn mark_shown(&mut self, items: &[ShownItem]) {
        self.last_shown = items.iter().map(|s| s.item).collect();
        for s in items {
            self.shown.push(s.item);
            self.explained.insert(s.item, s.clone());
        }
        self.focus = match self.last_shown.as_slice() {
            [only] => Some(*only),
            _ => None,
        };
    }

    pub fn mentions(items: &[ItemMention]) -> Vec<u32> {
        items.iter().map(|m| m.item).collect()
    }
}
