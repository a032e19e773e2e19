//! What one turn gives back: the text, the items with scores and evidence, the parsed acts.
//! Field names are a stable contract (`chatrec chat --json`, the HTTP server).

use serde::Serialize;

use crate::acts::Act;

/// A liked or disliked item of the profile that evidence points at.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileItem {
    pub item_id: String,
    pub title: String,
}

/// One verifiable reason why an item was recommended. Every sentence of a reply about an
/// item is generated from one of these, so a claim can always be traced to data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Evidence {
    /// Collaborative: users who liked `liked` (an item in the user's profile) also liked
    /// this item. `co_likers` counts those users in the training data; `similarity` is the
    /// cosine of the two items' user sets.
    LikedItem {
        liked: ProfileItem,
        co_likers: u32,
        similarity: f32,
    },
    /// A knowledge-graph fact shared with `liked` (an item in the profile or the anchor
    /// of "like X"): same director, shared cast, sequel. `relation` and `entities` are the
    /// graph's own; `fact` is the short English phrase.
    SharedFact {
        liked: ProfileItem,
        relation: String,
        entities: Vec<String>,
        fact: String,
    },
    /// Categories the item shares with `liked` (an item in the profile or the anchor of
    /// "like X"), in the catalog's spelling.
    SharedCategories {
        liked: ProfileItem,
        categories: Vec<String>,
    },
    /// A constraint of the conversation that the item satisfies ("category Sci-Fi",
    /// "released 1980-1989").
    MatchedConstraint { constraint: String },
    /// The request's words match the item's text.
    MatchedQuery { query: String, score: f32 },
    /// Users who share liked items with this profile rated the item: `raters` of them,
    /// mean rating `mean_rating` (on the data's own scale).
    SimilarUsers { raters: u32, mean_rating: f32 },
    /// Rated by many users overall: `raters`, mean rating `mean_rating` (0 when the data
    /// has no ratings).
    Popular { raters: u32, mean_rating: f32 },
}

/// One recommended item as the turn returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShownItem {
    /// Dense catalog index.
    #[serde(skip)]
    pub item: u32,
    pub item_id: String,
    pub title: String,
    pub score: f32,
    pub evidence: Vec<Evidence>,
}

/// The result of one turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TurnReply {
    /// 1-based turn number within the session (reset by "start over" does not reset it).
    pub turn: u32,
    /// The user's text as given.
    pub user: String,
    pub reply: String,
    /// What the turn was understood as: typed acts (request, constrain, like_item, …).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub acts: Vec<Act>,
    /// The recommended items, best first; empty when the turn asked a question or only
    /// answered one.
    pub items: Vec<ShownItem>,
    /// Whether the reply is a question the user should answer (clarification).
    pub question: bool,
}
