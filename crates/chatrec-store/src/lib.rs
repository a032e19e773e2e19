//! chatrec store: persistence of the catalog, users, feedback events, conversations and model
//! artifacts behind one async trait, [`Store`].
//!
//! Two backends implement it alike: [`SqliteStore`], one embedded SQLite file (the default),
//! and [`PgStore`], a PostgreSQL database that several `chatrec serve` processes share.
//! [`open`] picks one from a URL:
//!
//! ```no_run
//! # async fn example() -> Result<(), chatrec_store::StoreError> {
//! let store = chatrec_store::open("sqlite://data/chatrec.db").await?;
//! store.upsert_users(&[chatrec_store::User::new("u1")]).await?;
//! # Ok(()) }
//! ```
//!
//! See `docs/storage.md` for the schema, the durability choices and how replicas share data.

mod artifact;
mod error;
mod migrations;
mod postgres;
mod sqlite;
mod store;
mod types;
mod validate;

use std::sync::Arc;

pub use error::{Entity, Problem, RowError, StoreError, StoreResult};
pub use postgres::{PgStore, DEFAULT_POSTGRES_CONNECTIONS};
pub use sqlite::{SqliteStore, DEFAULT_SQLITE_CONNECTIONS};
pub use store::Store;
pub use types::{
    empty_object, now_ms, Backend, EventId, FeedbackEvent, FeedbackKind, ForgetReport, Item,
    ModelArtifact, ModelVersion, ModelVersionInfo, NewFeedback, NewModelVersion, NewSession,
    NewTurn, Page, PageRequest, Session, SessionSummary, StoreCounts, Turn, UnknownFeedbackKind,
    UpsertSummary, User,
};
pub use validate::{MAX_ID_BYTES, MAX_TEXT_BYTES, MAX_TITLE_BYTES};

/// Re-exported so callers can build [`PgStore::connect_with`] options without naming sqlx.
pub use sqlx::postgres::PgConnectOptions;

/// The schema version this build migrates databases to.
pub fn schema_version_supported() -> i64 {
    migrations::latest_version(migrations::SQLITE_MIGRATIONS)
}

/// Opens the store a URL names, creating and migrating it as needed:
/// - `sqlite://path/to/file.db` (relative to the working directory) or
///   `sqlite:///absolute/path.db`: one SQLite file, created with its folders if missing;
/// - `postgres://user[:password]@host[:port]/database[?options]` (or `postgresql://`): a
///   pool of connections to a shared PostgreSQL database.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if let Some(path) = sqlite_path(url)? {
        return Ok(Arc::new(SqliteStore::open(path).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::connect(url).await?));
    }
    Err(StoreError::InvalidUrl {
        url: redacted_url(url),
        reason: "expected sqlite://PATH or postgres://…".into(),
    })
}

/// The file path of a `sqlite:` URL, `None` for other schemes.
fn sqlite_path(url: &str) -> StoreResult<Option<&str>> {
    let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(None);
    };
    let refuse = |reason: &str| StoreError::InvalidUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    if path.is_empty() {
        return Err(refuse("no file path"));
    }
    if path.contains(":memory:") || path.contains('?') {
        return Err(refuse(
            "give a plain file path: in-memory databases and URL parameters are not supported \
             (WAL and durability need a file)",
        ));
    }
    Ok(Some(path))
}

/// A URL fit for messages and logs: the scheme and host part without any password.
pub fn redacted_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let after_credentials = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://…@{after_credentials}")
        }
        None => url.chars().take(16).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_files() -> StoreResult<()> {
        assert_eq!(sqlite_path("sqlite://data/x.db")?, Some("data/x.db"));
        assert_eq!(sqlite_path("sqlite:///tmp/x.db")?, Some("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite:x.db")?, Some("x.db"));
        assert_eq!(sqlite_path("postgres://h/db")?, None);
        assert!(sqlite_path("sqlite::memory:").is_err());
        assert!(sqlite_path("sqlite://").is_err());
        assert!(sqlite_path("sqlite://x.db?mode=ro").is_err());
        Ok(())
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        let shown = redacted_url("postgres://app:s3cret@db.example:5432/chatrec");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.example:5432/chatrec"), "{shown}");
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused() {
        let Err(error) = open("mysql://localhost/db").await else {
            panic!("mysql is not a backend");
        };
        assert!(matches!(error, StoreError::InvalidUrl { .. }), "{error}");
    }
}
