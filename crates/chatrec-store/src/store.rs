//! The [`Store`] trait: everything chatrec persists, behind one interface that SQLite and
//! PostgreSQL implement alike.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::types::{
    Backend, EventId, FeedbackEvent, ForgetReport, Item, ModelArtifact, ModelVersion,
    ModelVersionInfo, NewFeedback, NewModelVersion, NewSession, NewTurn, Page, PageRequest,
    Session, SessionSummary, StoreCounts, UpsertSummary, User,
};

/// Persistence of catalog, users, feedback, conversations and model artifacts.
///
/// # Why `async_trait`
/// Servers hold the store as `Arc<dyn Store>` and pick the backend at run time from a URL,
/// so the trait must be dyn-compatible. Native `async fn` in traits is not (its future type
/// is unnamed and unsized behind `dyn`), so each method returns a boxed `Send` future. The
/// `async_trait` macro writes exactly that (`Pin<Box<dyn Future + Send>>`) from ordinary
/// `async fn` signatures; writing the boxes by hand would cost the same one allocation per
/// call, which is noise next to a database round trip, with more boilerplate.
///
/// # Guarantees every backend keeps
/// - Each write method is one transaction: a batch is written whole or not at all, and a
///   refused batch reports every bad row ([`crate::StoreError::InvalidBatch`]).
/// - A write that returned `Ok` is durable (SQLite `synchronous=FULL`; PostgreSQL commits).
/// - Several handles, in one process or many, may share one database: what one writes,
///   the others read on their next call (no caches inside the store).
/// - Feedback event ids grow in commit order and are never reused, so
///   [`Store::list_feedback_since`] never skips an event.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Which database this store writes to.
    fn backend(&self) -> Backend;

    /// Checks the database answers (for readiness probes).
    async fn ping(&self) -> StoreResult<()>;

    /// The schema version this database is migrated to.
    async fn schema_version(&self) -> StoreResult<i64>;

    /// Closes the connections, waiting for running queries. Later calls fail with
    /// [`crate::StoreError::Unavailable`].
    async fn close(&self);

    /// A number that grows whenever items are added, changed or deleted, or users deleted
    /// (forgotten): servers poll it to know when to rebuild what they derived from the data.
    /// Feedback events do not change it (follow them with [`Store::list_feedback_since`]).
    async fn data_revision(&self) -> StoreResult<i64>;

    /// Record counts, for health pages and checks.
    async fn counts(&self) -> StoreResult<StoreCounts>;

    // ---- catalog items ----

    /// Inserts or replaces items by id, all or nothing.
    async fn upsert_items(&self, items: &[Item]) -> StoreResult<UpsertSummary>;
    async fn get_item(&self, id: &str) -> StoreResult<Option<Item>>;
    /// Items ordered by id.
    async fn list_items(&self, page: &PageRequest) -> StoreResult<Page<Item>>;
    /// Deletes an item and the feedback events about it; false if there was none.
    async fn delete_item(&self, id: &str) -> StoreResult<bool>;

    // ---- users ----

    /// Inserts or replaces users by id, all or nothing.
    async fn upsert_users(&self, users: &[User]) -> StoreResult<UpsertSummary>;
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>>;
    /// Users ordered by id.
    async fn list_users(&self, page: &PageRequest) -> StoreResult<Page<User>>;
    /// Deletes a user and their feedback events (not their sessions: see
    /// [`Store::forget_user`]); false if there was none.
    async fn delete_user(&self, id: &str) -> StoreResult<bool>;

    // ---- feedback events ----

    /// Appends events, all or nothing, and returns their ids in input order. Every event
    /// must name an existing user and item.
    async fn insert_feedback(&self, events: &[NewFeedback]) -> StoreResult<Vec<EventId>>;

    /// Appends one event.
    async fn insert_feedback_event(&self, event: &NewFeedback) -> StoreResult<EventId> {
        let ids = self.insert_feedback(std::slice::from_ref(event)).await?;
        ids.first().copied().ok_or_else(|| {
            crate::StoreError::Malformed("insert of one event returned no id".into())
        })
    }

    /// A user's events, oldest id first.
    async fn list_user_feedback(&self, user_id: &str) -> StoreResult<Vec<FeedbackEvent>> {
        self.list_user_feedback_after(user_id, EventId::START).await
    }

    /// A user's events with ids after `after`, oldest first: what a model trained up to
    /// `after` has not seen (one index range scan, usually empty).
    async fn list_user_feedback_after(
        &self,
        user_id: &str,
        after: EventId,
    ) -> StoreResult<Vec<FeedbackEvent>>;

    /// At most `limit` events with ids after `after`, in id order: how a replica catches up.
    async fn list_feedback_since(
        &self,
        after: EventId,
        limit: u32,
    ) -> StoreResult<Vec<FeedbackEvent>>;

    /// The largest event id, if any event exists.
    async fn last_feedback_id(&self) -> StoreResult<Option<EventId>>;

    // ---- sessions and turns ----

    /// Creates an empty session; [`crate::StoreError::AlreadyExists`] if the id is taken.
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;

    /// Appends the next turn. `turn.turn_number` must be one more than the last turn's
    /// (1 for the first), else [`crate::StoreError::TurnOutOfOrder`].
    async fn append_turn(&self, session_id: &str, turn: &NewTurn) -> StoreResult<()>;

    /// A session with its turns in order.
    async fn get_session(&self, id: &str) -> StoreResult<Option<Session>>;

    /// Sessions ordered by id, of one user when `user_id` is given.
    async fn list_sessions(
        &self,
        user_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<SessionSummary>>;

    /// Deletes a session and its turns; false if there was none.
    async fn delete_session(&self, id: &str) -> StoreResult<bool>;

    // ---- model artifacts ----

    /// Stores a new model version (not yet active) and returns its number.
    async fn put_model_version(&self, model: &NewModelVersion) -> StoreResult<ModelVersion>;

    /// All versions, oldest first, without their bytes.
    async fn list_model_versions(&self) -> StoreResult<Vec<ModelVersionInfo>>;

    /// Makes `version` the one every server should use.
    async fn activate_model_version(&self, version: ModelVersion) -> StoreResult<()>;

    /// The active version without its bytes: cheap enough to poll.
    async fn active_model_version(&self) -> StoreResult<Option<ModelVersionInfo>>;

    /// The active version with its bytes (checksum verified).
    async fn get_active_model(&self) -> StoreResult<Option<ModelArtifact>>;

    /// One version with its bytes (checksum verified).
    async fn get_model_version(&self, version: ModelVersion) -> StoreResult<Option<ModelArtifact>>;

    // ---- privacy ----

    /// Deletes the user, their feedback events, and their sessions with all turns, in one
    /// transaction. Works (and reports zeros) for ids the store has never seen.
    async fn forget_user(&self, user_id: &str) -> StoreResult<ForgetReport>;
}
