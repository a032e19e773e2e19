//! chatrec-dialogue: the conversation. One turn walks forward through
//! understand (text -> typed acts) -> state (the session's profile, constraints, shown and
//! rejected items) -> candidates (the recommender for this user or a folded-in new user,
//! the request's text, knowledge-graph neighbours of liked items, hard filters) -> rerank
//! (relevance and constraint fit, diversified) -> explain (evidence from the data) ->
//! respond (text from templates, every claim backed by an evidence record).
//! It knows nothing of HTTP, SQL or language models; a model plugs into the understand,
//! rerank and phrase seams through the [`assist::Assistant`] trait.

pub mod acts;
pub mod apply;
pub mod assist;
pub mod candidates;
pub mod engine;
pub mod explain;
pub mod policy;
pub mod profile;
pub mod reply;
pub mod respond;
pub mod session;
pub mod simulate;
pub mod state;
pub mod understand;

pub use acts::{
    Act, ActKind, Constraint, ItemMention, ParseContext, Polarity, Relation, Strictness, Target,
    TitleRole,
};
pub use assist::{Assistant, AssistantCounts, TaskCounts};
pub use engine::{DialogueError, Engine, EngineOptions};
pub use profile::{ListRequest, Profile};
pub use reply::{Evidence, ProfileItem, ShownItem, TurnReply};
pub use session::Session;
pub use understand::Understander;
