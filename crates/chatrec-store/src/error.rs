//! Typed errors of the store.
//!
//! Validation problems are values ([`Problem`]) so that the HTTP layer can turn them into
//! 4xx JSON bodies; a rejected batch lists every bad row ([`RowError`]) and writes nothing.

use std::fmt;

use serde::Serialize;

/// Result type of every store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// The kind of record an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Entity {
    Item,
    User,
    Session,
    ModelVersion,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::Item => "item",
            Entity::User => "user",
            Entity::Session => "session",
            Entity::ModelVersion => "model version",
        })
    }
}

/// Why one value (or one row of a batch) was refused before anything was written.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Problem {
    #[error("{field} is empty")]
    EmptyId { field: &'static str },
    #[error("{field} is {len} bytes long, more than the {max} allowed")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field} contains a control character")]
    ControlCharacter { field: &'static str },
    /// PostgreSQL cannot store NUL in text or JSON; both backends refuse it alike.
    #[error("{field} contains a NUL character")]
    NulCharacter { field: &'static str },
    #[error("{field} must be a JSON object")]
    NotAJsonObject { field: &'static str },
    #[error("{field} contains an empty category")]
    EmptyCategory { field: &'static str },
    #[error("value {value} is not a finite number")]
    NonFiniteValue { value: f32 },
    #[error("id {id:?} occurs more than once in the batch (first at row {first_row})")]
    DuplicateInBatch { id: String, first_row: usize },
    #[error("unknown user {id:?}")]
    UnknownUser { id: String },
    #[error("unknown item {id:?}")]
    UnknownItem { id: String },
    #[error("turn number must be at least 1")]
    TurnNumberZero,
    #[error("page limit {limit} is outside 1..={max}")]
    PageLimit { limit: u32, max: u32 },
}

/// One refused row of a batch: its index in the batch (from 0) and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub row: usize,
    #[serde(flatten)]
    pub problem: Problem,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}: {}", self.row, self.problem)
    }
}

/// Every error a [`crate::Store`] returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// `open` was given a URL it cannot use.
    #[error("unsupported store url {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// A single value was refused; nothing was written.
    #[error("invalid input: {0}")]
    Invalid(#[from] Problem),

    /// A batch was refused as a whole; nothing was written. Lists every bad row.
    #[error("batch of {batch_len} rows refused, nothing written: {}", summarize_rows(.rows))]
    InvalidBatch {
        batch_len: usize,
        rows: Vec<RowError>,
    },

    #[error("{entity} {id:?} not found")]
    NotFound { entity: Entity, id: String },

    #[error("{entity} {id:?} already exists")]
    AlreadyExists { entity: Entity, id: String },

    /// Turns of a session are numbered 1, 2, 3, … without gaps; a concurrent writer or a
    /// retried request gets this instead of a duplicate turn.
    #[error("session {session_id:?} expects turn {expected}, got turn {got}")]
    TurnOutOfOrder {
        session_id: String,
        expected: u32,
        got: u32,
    },

    /// The stored bytes of a model version no longer match the checksum taken when it was put.
    #[error("model version {version} is corrupt: its bytes do not match the stored sha256")]
    CorruptArtifact { version: i64 },

    /// A value read back from the database does not have the shape the store wrote.
    #[error("malformed stored data: {0}")]
    Malformed(String),

    /// The schema could not be brought to this build's version.
    #[error("migration failed: {0}")]
    Migration(String),

    /// The database was migrated by a newer build; this one refuses to touch it.
    #[error("database schema version {found} is newer than this build supports ({supported}); upgrade chatrec")]
    SchemaTooNew { found: i64, supported: i64 },

    /// The database cannot be reached right now (connection refused, pool timed out or closed,
    /// I/O error). Worth retrying; the HTTP layer answers 503.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),

    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// True for errors caused by the request (4xx), false for the server's own (5xx).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            StoreError::Invalid(_)
                | StoreError::InvalidBatch { .. }
                | StoreError::NotFound { .. }
                | StoreError::AlreadyExists { .. }
                | StoreError::TurnOutOfOrder { .. }
        )
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error),
            sqlx::Error::Database(ref db) if db.code().is_some_and(|code| is_transient(&code)) => {
                StoreError::Unavailable(error)
            }
            other => StoreError::Database(other),
        }
    }
}

/// Error codes that mean "busy, try again" rather than "wrong": SQLite's primary and extended
/// SQLITE_BUSY / SQLITE_LOCKED codes (after the busy timeout ran out), and PostgreSQL's
/// SQLSTATEs for too many connections, shutdown, serialization failure and deadlock.
fn is_transient(code: &str) -> bool {
    matches!(
        code,
        "5" | "6"
            | "261"
            | "517"
            | "773"
            | "53300"
            | "57P01"
            | "57P02"
            | "57P03"
            | "40001"
            | "40P01"
    )
}

fn summarize_rows(rows: &[RowError]) -> String {
    const SHOWN: usize = 5;
    let mut text = rows
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if rows.len() > SHOWN {
        text.push_str(&format!("; and {} more", rows.len() - SHOWN));
    }
    text
}
