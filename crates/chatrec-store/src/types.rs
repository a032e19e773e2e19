//! Records the store keeps, as plain serde-friendly values.
//!
//! Times are milliseconds since the Unix epoch (`*_ms: i64`). Times that belong to the domain
//! (when a feedback event happened, when a session or turn was created) are given by the
//! caller, so imports keep their original times; bookkeeping times (when a model version was
//! put) are set by the store.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Milliseconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A catalog item. Mirrors `chatrec_core::Item` plus free-form `attributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub categories: Vec<String>,
    /// Free text (description, tags); empty when there is none.
    #[serde(default)]
    pub text: String,
    /// A JSON object of further attributes (director, price, …).
    #[serde(default = "empty_object")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attributes: Value,
}

impl Item {
    /// An item with a title and nothing else.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Item {
            id: id.into(),
            title: title.into(),
            year: None,
            categories: Vec::new(),
            text: String::new(),
            attributes: empty_object(),
        }
    }
}

/// A user: an id and a JSON object of attributes (age, occupation, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    #[serde(default = "empty_object")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attributes: Value,
}

impl User {
    /// A user with no attributes.
    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            attributes: empty_object(),
        }
    }
}

/// An empty JSON object, the default for attribute fields.
pub fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// How many rows of an upsert were new and how many replaced an existing row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpsertSummary {
    pub inserted: u64,
    pub updated: u64,
}

/// Position in the feedback log. Ids only grow: an event committed after another has a
/// larger id, and ids are never reused, so a replica catches up by asking for events after
/// the last id it has seen.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventId(pub i64);

impl EventId {
    /// Before the first event: `list_feedback_since(EventId::START, …)` reads from the start.
    pub const START: EventId = EventId(0);
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a feedback event says about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FeedbackKind {
    /// An explicit rating; `value` is the rating.
    Rating,
    Like,
    Dislike,
    View,
    Click,
    Purchase,
}

impl FeedbackKind {
    pub const ALL: [FeedbackKind; 6] = [
        FeedbackKind::Rating,
        FeedbackKind::Like,
        FeedbackKind::Dislike,
        FeedbackKind::View,
        FeedbackKind::Click,
        FeedbackKind::Purchase,
    ];

    /// The name stored in the database and used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Rating => "rating",
            FeedbackKind::Like => "like",
            FeedbackKind::Dislike => "dislike",
            FeedbackKind::View => "view",
            FeedbackKind::Click => "click",
            FeedbackKind::Purchase => "purchase",
        }
    }
}

impl fmt::Display for FeedbackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not one of [`FeedbackKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown feedback kind {0:?} (expected one of rating, like, dislike, view, click, purchase)"
)]
pub struct UnknownFeedbackKind(pub String);

impl FromStr for FeedbackKind {
    type Err = UnknownFeedbackKind;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        FeedbackKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| UnknownFeedbackKind(name.to_string()))
    }
}

/// A feedback event to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewFeedback {
    pub user_id: String,
    pub item_id: String,
    pub kind: FeedbackKind,
    /// Rating or weight; 1.0 for events that carry no value.
    pub value: f32,
    pub timestamp_ms: i64,
}

/// A recorded feedback event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackEvent {
    pub id: EventId,
    pub user_id: String,
    pub item_id: String,
    pub kind: FeedbackKind,
    pub value: f32,
    pub timestamp_ms: i64,
}

/// A conversation to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSession {
    pub id: String,
    /// The user talking, when known; need not be a catalog user.
    pub user_id: Option<String>,
    pub created_at_ms: i64,
}

/// One turn to append: what the user said and the structured reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTurn {
    /// 1 for the first turn, then 2, 3, … without gaps.
    pub turn_number: u32,
    pub user_text: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub reply: Value,
    pub created_at_ms: i64,
}

/// A stored turn.
pub type Turn = NewTurn;

/// A session with all its turns in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub id: String,
    pub user_id: Option<String>,
    pub created_at_ms: i64,
    pub turns: Vec<Turn>,
}

/// A session as listed: without its turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionSummary {
    pub id: String,
    pub user_id: Option<String>,
    pub created_at_ms: i64,
    pub turn_count: u32,
}

/// Number of a model version; versions only grow.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelVersion(pub i64);

impl fmt::Display for ModelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A trained model to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModelVersion {
    /// What the bytes are (model kind, parameters, metrics, training data size, …).
    pub metadata: Value,
    /// The serialized model.
    pub artifact: Vec<u8>,
}

/// A model version as listed: everything but the bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelVersionInfo {
    pub version: ModelVersion,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: Value,
    pub size_bytes: u64,
    /// Hex SHA-256 of the bytes, checked on every read.
    pub sha256: String,
    pub created_at_ms: i64,
    /// Whether this is the version servers should use.
    pub active: bool,
}

/// A model version with its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelArtifact {
    pub info: ModelVersionInfo,
    pub artifact: Vec<u8>,
}

/// Which page of a listing to read: records whose id sorts after `after`, at most `limit`.
/// Keyset paging stays correct while rows are added or removed between pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: u32,
}

impl PageRequest {
    /// The largest `limit` accepted.
    pub const MAX_LIMIT: u32 = 10_000;

    pub fn first(limit: u32) -> Self {
        PageRequest { after: None, limit }
    }

    pub fn after(cursor: impl Into<String>, limit: u32) -> Self {
        PageRequest {
            after: Some(cursor.into()),
            limit,
        }
    }
}

/// One page of a listing, ordered by id. `next_after` is the cursor of the next page, `None`
/// on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub records: Vec<T>,
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// A page from rows fetched with `limit + 1`: the extra row only says that another page
    /// exists, and the last kept row's key is where it starts.
    pub(crate) fn from_fetched(mut records: Vec<T>, limit: u32, key: impl Fn(&T) -> &str) -> Self {
        let limit = limit as usize;
        let next_after = if records.len() > limit {
            records.truncate(limit);
            records.last().map(|record| key(record).to_string())
        } else {
            None
        };
        Page {
            records,
            next_after,
        }
    }
}

/// A `COUNT(*)` as returned by the database (never negative).
pub(crate) fn count_from_db(count: i64) -> u64 {
    u64::try_from(count).unwrap_or(0)
}

/// What `forget_user` deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForgetReport {
    /// Whether the user existed in the users table.
    pub user_deleted: bool,
    pub feedback_events_deleted: u64,
    pub sessions_deleted: u64,
    pub turns_deleted: u64,
}

/// How many records of each kind the store holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreCounts {
    pub items: u64,
    pub users: u64,
    pub feedback_events: u64,
    pub sessions: u64,
    pub turns: u64,
    pub model_versions: u64,
}

/// Which database a store uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}
