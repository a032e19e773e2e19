//! One conversation: each user turn walks forward through understand -> state ->
//! candidates -> rerank -> explain -> respond, and comes back as a structured reply.

use std::sync::Arc;

use crate::acts::{Act, ActKind, ItemMention, ParseContext};
use crate::apply::apply_acts;
use crate::assist::{checked_order, PhraseInput, RerankCandidate, RerankInput, UnderstandInput};
use crate::candidates::{self, Candidate};
use crate::engine::Engine;
use crate::explain;
use crate::policy;
use crate::reply::{ShownItem, TurnReply};
use crate::respond::{compose, ReplyInput};
use crate::state::{SessionState, TurnRecord};
use crate::understand::reconcile;

/// Earlier free-text requests still matched besides the latest: "set in space", then
/// "funny" looks for funny films set in space.
const QUERIES_COMBINED: usize = 2;

/// Candidates an assistant may rerank: the recommender's top 20, as in Chat-Rec.
pub const RERANK_POOL: usize = 20;

/// A conversation with one user over a shared [`Engine`]. Cheap to create; not shared
/// between threads (each conversation owns its state).
pub struct Session {
    engine: Arc<Engine>,
    state: SessionState,
    turns: u32,
}

impl Session {
    pub(crate) fn new(engine: Arc<Engine>, user: Option<u32>) -> Self {
        Self {
            engine,
            state: SessionState::new(user),
            turns: 0,
        }
    }

    /// What the session remembers: profile, constraints, shown and rejected items.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Starts the session from opinions given outside it (recorded feedback).
    pub(crate) fn set_opinions(&mut self, opinions: &[(u32, f32)]) {
        for &(item, sentiment) in opinions {
            self.state.set_opinion(item, sentiment);
        }
    }

    /// Answers one user turn. Never fails: input that cannot be understood gets a reply
    /// that says what can be asked.
    pub fn turn(&mut self, text: &str) -> TurnReply {
        let context = self.parse_context();
        let builtin = self.engine.understander.parse(text, &context);
        let assisted = self.engine.assistant.as_ref().and_then(|assistant| {
            assistant.understand(&UnderstandInput {
                engine: &self.engine,
                state: &self.state,
                text,
                context: &context,
                builtin: &builtin,
            })
        });
        let acts = reconcile(builtin, assisted.unwrap_or_default());
        self.answer(text, acts)
    }

    /// A thumbs up (`liked`) or down on one item, as a turn: the opinion is applied as if
    /// the user had said "I loved X" or "I hated X", and the reply follows. `text` is what
    /// the turn records as the user's words. `None` when `item` is not in the catalog.
    pub fn feedback(&mut self, item: u32, liked: bool, text: &str) -> Option<TurnReply> {
        let found = self.engine.catalog.items().get(item as usize)?;
        let mention = ItemMention {
            item,
            item_id: found.id.clone(),
            title: found.display_title(),
            mention: text.to_owned(),
        };
        let sentiment = if liked { 1.0 } else { -1.0 };
        let act = Act::new(
            ActKind::Feedback {
                items: vec![mention],
                sentiment,
                rating: None,
            },
            1.0,
        );
        Some(self.answer(text, vec![act]))
    }

    /// The turn from its acts on: state -> candidates -> rerank -> explain -> respond.
    fn answer(&mut self, text: &str, acts: Vec<Act>) -> TurnReply {
        self.turns += 1;
        let engine = self.engine.clone();

        // state
        let effects = apply_acts(&engine, &mut self.state, &acts);
        let plan = policy::decide(&effects, &self.state);

        // candidates -> rerank -> explain
        let items = if plan.recommend && plan.ask.is_none() {
            self.recommend()
        } else {
            Vec::new()
        };
        let explained = self.explained(&plan.explain, &plan.describe);

        // respond
        let (draft, question) = compose(&ReplyInput {
            engine: &engine,
            state: &self.state,
            effects: &effects,
            plan: &plan,
            items: &items,
            explained: &explained,
            turn: self.turns,
        });
        let reply = self.phrased(text, draft, question, &items, &explained);
        if !items.is_empty() {
            self.state.mark_shown(&items);
        }
        self.state.history.push(TurnRecord {
            user: text.to_owned(),
            reply: reply.clone(),
            shown: items.iter().map(|s| s.item).collect(),
        });
        TurnReply {
            turn: self.turns,
            user: text.to_owned(),
            reply,
            acts,
            items,
            question,
        }
    }

    /// What references in the next turn point at: the options of a pending question,
    /// else the last list.
    fn parse_context(&self) -> ParseContext {
        let shown = match &self.state.pending {
            Some(pending) => pending.options.clone(),
            None => self.state.last_shown.clone(),
        };
        ParseContext {
            shown,
            focus: self.state.focus,
        }
    }

    fn query_text(&self) -> Option<String> {
        let queries: Vec<&str> = self
            .state
            .queries
            .iter()
            .take(QUERIES_COMBINED)
            .map(String::as_str)
            .collect();
        (!queries.is_empty()).then(|| queries.join(" "))
    }

    /// A fresh list: candidates scored for this session, diversified, each with evidence.
    fn recommend(&self) -> Vec<ShownItem> {
        let engine = &self.engine;
        let options = engine.options();
        let query_text = self.query_text();
        let query_scores = query_text.as_deref().map(|q| engine.query_scores(q));
        let ranked = candidates::rank(
            engine,
            &self.state,
            query_scores.as_deref(),
            options.candidate_pool,
        );
        let picked = self
            .reranked(&ranked, query_text.as_deref())
            .unwrap_or_else(|| {
                candidates::diversify(engine, &ranked, options.items_per_turn, options.mmr_lambda)
                    .iter()
                    .map(|c| (c.item, c.score))
                    .collect()
            });
        let query = query_text.as_deref().zip(query_scores.as_deref());
        self.with_evidence(picked.into_iter(), query)
    }

    /// The assistant's choice and order among the best candidates, with the recommender's
    /// scores; `None` when there is no assistant or it declined.
    fn reranked(&self, ranked: &[Candidate], query: Option<&str>) -> Option<Vec<(u32, f32)>> {
        let assistant = self.engine.assistant.as_ref()?;
        let k = self.engine.options().items_per_turn;
        let offered: Vec<RerankCandidate> = ranked
            .iter()
            .take(RERANK_POOL)
            .map(|c| RerankCandidate {
                item: c.item,
                score: c.score,
            })
            .collect();
        if offered.is_empty() {
            return None;
        }
        let order = assistant.rerank(&RerankInput {
            engine: &self.engine,
            state: &self.state,
            query,
            candidates: &offered,
            k,
        })?;
        let order = checked_order(order, &offered, k)?;
        Some(
            order
                .into_iter()
                .filter_map(|item| offered.iter().find(|c| c.item == item))
                .map(|c| (c.item, c.score))
                .collect(),
        )
    }

    /// The assistant's wording of a reply that carries items or explanations; the
    /// built-in `draft` otherwise (and always for questions, whose options must stay
    /// exactly as listed).
    fn phrased(
        &self,
        text: &str,
        draft: String,
        question: bool,
        items: &[ShownItem],
        explained: &[ShownItem],
    ) -> String {
        let Some(assistant) = self.engine.assistant.as_ref() else {
            return draft;
        };
        if question || (items.is_empty() && explained.is_empty()) {
            return draft;
        }
        assistant
            .phrase(&PhraseInput {
                engine: &self.engine,
                state: &self.state,
                user_text: text,
                draft: &draft,
                items,
                explained,
            })
            .filter(|reply| !reply.trim().is_empty())
            .unwrap_or(draft)
    }

    /// Evidence for the items a turn explains or describes: as shown when they were shown,
    /// computed now for items named that were never shown.
    fn explained(&self, explain: &[u32], describe: &[u32]) -> Vec<ShownItem> {
        let mut out: Vec<ShownItem> = Vec::new();
        let mut fresh: Vec<u32> = Vec::new();
        for &item in explain.iter().chain(describe) {
            if out.iter().any(|s| s.item == item) || fresh.contains(&item) {
                continue;
            }
            match self.state.explained.get(&item) {
                Some(shown) => out.push(shown.clone()),
                None => fresh.push(item),
            }
        }
        let query_text = self.query_text();
        let query_scores = query_text
            .as_deref()
            .filter(|_| !fresh.is_empty())
            .map(|q| self.engine.query_scores(q));
        let query = query_text.as_deref().zip(query_scores.as_deref());
        out.extend(self.with_evidence(fresh.into_iter().map(|i| (i, f32::NAN)), query));
        out
    }

    fn with_evidence(
        &self,
        items: impl Iterator<Item = (u32, f32)>,
        query: Option<(&str, &[f32])>,
    ) -> Vec<ShownItem> {
        explain::shown_with_evidence(&self.engine, &self.state, items, query, usize::MAX)
    }
}
