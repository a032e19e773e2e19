//! The embedded backend: one SQLite file in WAL mode.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row, Sqlite, SqlitePool, Transaction};

use crate::artifact;
use crate::error::{Entity, StoreError, StoreResult};
use crate::migrations;
use crate::store::Store;
use crate::types::{
    count_from_db, now_ms, Backend, EventId, FeedbackEvent, ForgetReport, Item, ModelArtifact,
    ModelVersion, ModelVersionInfo, NewFeedback, NewModelVersion, NewSession, NewTurn, Page,
    PageRequest, Session, SessionSummary, StoreCounts, Turn, UpsertSummary, User,
};
use crate::validate;

/// Connections in the pool by default. SQLite has one writer at a time; extra connections
/// serve concurrent reads, which WAL lets run alongside the writer.
pub const DEFAULT_SQLITE_CONNECTIONS: u32 = 4;

/// How long a writer waits for another connection or process holding the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A store in one SQLite file. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating the file and its parent folders if missing) and migrates the database.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        Self::open_with(path, DEFAULT_SQLITE_CONNECTIONS).await
    }

    /// Like [`SqliteStore::open`] with a given number of pooled connections (at least 1).
    ///
    /// Servers opening a new file at the same moment can meet SQLITE_BUSY while one of them
    /// switches the file to WAL, a step SQLite does not wait on with the busy timeout; such
    /// an open is retried a few times after a short pause instead of failing the start.
    pub async fn open_with(path: impl AsRef<Path>, max_connections: u32) -> StoreResult<Self> {
        const ATTEMPTS: u32 = 10;
        let mut attempt = 1;
        loop {
            match Self::open_once(path.as_ref(), max_connections).await {
                Err(StoreError::Unavailable(_)) if attempt < ATTEMPTS => {
                    tokio::time::sleep(std::time::Duration::from_millis(25 * u64::from(attempt)))
                        .await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn open_once(path: &Path, max_connections: u32) -> StoreResult<Self> {
        let path = path.to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                context: format!("creating folder {}", parent.display()),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            // WAL: readers never block the writer nor each other, and several processes
            // (replicas on one machine) can share the file.
            .journal_mode(SqliteJournalMode::Wal)
            // FULL, not NORMAL: in WAL mode NORMAL fsyncs only at checkpoints, so a commit
            // already acknowledged to a client can vanish on power loss or an OS crash. FULL
            // fsyncs the WAL at every commit, so an acknowledged write survives any crash.
            // Its cost is one fsync per write transaction, which batching amortizes.
            .synchronous(SqliteSynchronous::Full)
            // Cascades (item -> feedback, session -> turns) and references are enforced.
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(BUSY_TIMEOUT * 3)
            .connect_with(options)
            .await?;
        migrations::migrate_sqlite(&pool).await?;
        Ok(SqliteStore { pool, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs the migrations again (a no-op when up to date); returns how many were applied.
    pub async fn migrate(&self) -> StoreResult<usize> {
        migrations::migrate_sqlite(&self.pool).await
    }

    /// A write transaction that takes the write lock at once. A deferred `BEGIN` that reads
    /// and then writes can fail with SQLITE_BUSY without waiting when another writer got in
    /// between; `BEGIN IMMEDIATE` waits its turn (up to the busy timeout) instead.
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

const ITEM_COLUMNS: &str = "id, title, year, categories, text, attributes";

fn item_from_row(row: &SqliteRow) -> StoreResult<Item> {
    Ok(Item {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        year: row.try_get("year")?,
        categories: row.try_get::<Json<Vec<String>>, _>("categories")?.0,
        text: row.try_get("text")?,
        attributes: row.try_get::<Json<Value>, _>("attributes")?.0,
    })
}

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        id: row.try_get("id")?,
        attributes: row.try_get::<Json<Value>, _>("attributes")?.0,
    })
}

fn feedback_from_row(row: &SqliteRow) -> StoreResult<FeedbackEvent> {
    let kind: String = row.try_get("kind")?;
    Ok(FeedbackEvent {
        id: EventId(row.try_get("id")?),
        user_id: row.try_get("user_id")?,
        item_id: row.try_get("item_id")?,
        kind: kind
            .parse()
            .map_err(|error| StoreError::Malformed(format!("feedback: {error}")))?,
        value: row.try_get("value")?,
        timestamp_ms: row.try_get("timestamp_ms")?,
    })
}

const MODEL_INFO_COLUMNS: &str =
    "m.version, m.metadata, m.size_bytes, m.sha256, m.created_at_ms, a.version IS NOT NULL AS active";

fn model_info_from_row(row: &SqliteRow) -> StoreResult<ModelVersionInfo> {
    let size_bytes: i64 = row.try_get("size_bytes")?;
    Ok(ModelVersionInfo {
        version: ModelVersion(row.try_get("version")?),
        metadata: row.try_get::<Json<Value>, _>("metadata")?.0,
        size_bytes: u64::try_from(size_bytes)
            .map_err(|_| StoreError::Malformed(format!("model size {size_bytes}")))?,
        sha256: row.try_get("sha256")?,
        created_at_ms: row.try_get("created_at_ms")?,
        active: row.try_get("active")?,
    })
}

fn model_from_row(row: &SqliteRow) -> StoreResult<ModelArtifact> {
    artifact::verified(model_info_from_row(row)?, row.try_get("artifact")?)
}

/// `WHERE key > ?N` on pages after the first, nothing on the first page. Two statements
/// instead of one `?N IS NULL OR key > ?N`, which SQLite cannot answer from the index.
fn keyset_condition(page: &PageRequest, key: &str, placeholder: usize) -> String {
    match page.after {
        Some(_) => format!("WHERE {key} > ?{placeholder}"),
        None => String::new(),
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>;

fn bind_after<'q>(query: SqliteQuery<'q>, page: &'q PageRequest) -> SqliteQuery<'q> {
    match &page.after {
        Some(after) => query.bind(after.as_str()),
        None => query,
    }
}

/// Rows to fetch for a page: one more than the limit, to learn whether another page exists.
fn page_fetch_len(page: &PageRequest) -> i64 {
    i64::from(page.limit) + 1
}

/// Which of `ids` exist in `table_query`'s table, in one statement: the ids travel as one
/// JSON array and `json_each` turns them into rows.
async fn existing_ids(
    tx: &mut Transaction<'static, Sqlite>,
    query: &'static str,
    ids: &BTreeSet<&str>,
) -> StoreResult<HashSet<String>> {
    let found: Vec<String> = sqlx::query_scalar(query)
        .bind(Json(ids))
        .fetch_all(&mut **tx)
        .await?;
    Ok(found.into_iter().collect())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn schema_version(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn data_revision(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT revision FROM data_revision WHERE singleton = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn counts(&self) -> StoreResult<StoreCounts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM items) AS items, (SELECT COUNT(*) FROM users) AS users, \
             (SELECT COUNT(*) FROM feedback) AS feedback, (SELECT COUNT(*) FROM sessions) AS sessions, \
             (SELECT COUNT(*) FROM turns) AS turns, (SELECT COUNT(*) FROM model_versions) AS models",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(StoreCounts {
            items: count_from_db(row.try_get("items")?),
            users: count_from_db(row.try_get("users")?),
            feedback_events: count_from_db(row.try_get("feedback")?),
            sessions: count_from_db(row.try_get("sessions")?),
            turns: count_from_db(row.try_get("turns")?),
            model_versions: count_from_db(row.try_get("models")?),
        })
    }

    async fn upsert_items(&self, items: &[Item]) -> StoreResult<UpsertSummary> {
        validate::batch(items, |item| &item.id, validate::item)?;
        let mut summary = UpsertSummary::default();
        if items.is_empty() {
            return Ok(summary);
        }
        let mut tx = self.begin_write().await?;
        for item in items {
            let existed = sqlx::query("SELECT 1 FROM items WHERE id = ?")
                .bind(&item.id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            sqlx::query(
                "INSERT INTO items (id, title, year, categories, text, attributes) \
                 VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, year = excluded.year, \
                 categories = excluded.categories, text = excluded.text, \
                 attributes = excluded.attributes",
            )
            .bind(&item.id)
            .bind(&item.title)
            .bind(item.year)
            .bind(Json(&item.categories))
            .bind(&item.text)
            .bind(Json(&item.attributes))
            .execute(&mut *tx)
            .await?;
            if existed {
                summary.updated += 1;
            } else {
                summary.inserted += 1;
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    async fn get_item(&self, id: &str) -> StoreResult<Option<Item>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = ?");
        sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(item_from_row)
            .transpose()
    }

    async fn list_items(&self, page: &PageRequest) -> StoreResult<Page<Item>> {
        validate::page(page)?;
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items {} ORDER BY id LIMIT ?1",
            keyset_condition(page, "id", 2)
        );
        let rows = bind_after(
            sqlx::query(AssertSqlSafe(sql)).bind(page_fetch_len(page)),
            page,
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(item_from_row).collect::<StoreResult<_>>()?;
        Ok(Page::from_fetched(items, page.limit, |item: &Item| {
            &item.id
        }))
    }

    async fn delete_item(&self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM items WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn upsert_users(&self, users: &[User]) -> StoreResult<UpsertSummary> {
        validate::batch(users, |user| &user.id, validate::user)?;
        let mut summary = UpsertSummary::default();
        if users.is_empty() {
            return Ok(summary);
        }
        let mut tx = self.begin_write().await?;
        for user in users {
            let existed = sqlx::query("SELECT 1 FROM users WHERE id = ?")
                .bind(&user.id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            sqlx::query(
                "INSERT INTO users (id, attributes) VALUES (?, ?) \
                 ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes",
            )
            .bind(&user.id)
            .bind(Json(&user.attributes))
            .execute(&mut *tx)
            .await?;
            if existed {
                summary.updated += 1;
            } else {
                summary.inserted += 1;
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        sqlx::query("SELECT id, attributes FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn list_users(&self, page: &PageRequest) -> StoreResult<Page<User>> {
        validate::page(page)?;
        let sql = format!(
            "SELECT id, attributes FROM users {} ORDER BY id LIMIT ?1",
            keyset_condition(page, "id", 2)
        );
        let rows = bind_after(
            sqlx::query(AssertSqlSafe(sql)).bind(page_fetch_len(page)),
            page,
        )
        .fetch_all(&self.pool)
        .await?;
        let users = rows.iter().map(user_from_row).collect::<StoreResult<_>>()?;
        Ok(Page::from_fetched(users, page.limit, |user: &User| {
            &user.id
        }))
    }

    async fn delete_user(&self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn insert_feedback(&self, events: &[NewFeedback]) -> StoreResult<Vec<EventId>> {
        // Rows with problems of their own are refused together with rows naming unknown
        // users or items (checked below), so a client sees every bad row at once.
        let refused_rows = validate::row_problems(events, validate::feedback);
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let user_ids: BTreeSet<&str> = events.iter().map(|e| e.user_id.as_str()).collect();
        let item_ids: BTreeSet<&str> = events.iter().map(|e| e.item_id.as_str()).collect();
        let known_users = existing_ids(
            &mut tx,
            "SELECT value FROM json_each(?) WHERE value IN (SELECT id FROM users)",
            &user_ids,
        )
        .await?;
        let known_items = existing_ids(
            &mut tx,
            "SELECT value FROM json_each(?) WHERE value IN (SELECT id FROM items)",
            &item_ids,
        )
        .await?;
        validate::refuse_feedback(
            events,
            refused_rows,
            |user| known_users.contains(user),
            |item| known_items.contains(item),
        )?;
        let mut ids = Vec::with_capacity(events.len());
        for event in events {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO feedback (user_id, item_id, kind, value, timestamp_ms) \
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(&event.user_id)
            .bind(&event.item_id)
            .bind(event.kind.as_str())
            .bind(event.value)
            .bind(event.timestamp_ms)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(EventId(id));
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn list_user_feedback_after(
        &self,
        user_id: &str,
        after: EventId,
    ) -> StoreResult<Vec<FeedbackEvent>> {
        let rows = sqlx::query(
            "SELECT id, user_id, item_id, kind, value, timestamp_ms FROM feedback \
             WHERE user_id = ? AND id > ? ORDER BY id",
        )
        .bind(user_id)
        .bind(after.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(feedback_from_row).collect()
    }

    async fn list_feedback_since(
        &self,
        after: EventId,
        limit: u32,
    ) -> StoreResult<Vec<FeedbackEvent>> {
        validate::limit(limit)?;
        let rows = sqlx::query(
            "SELECT id, user_id, item_id, kind, value, timestamp_ms FROM feedback \
             WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(feedback_from_row).collect()
    }

    async fn last_feedback_id(&self) -> StoreResult<Option<EventId>> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM feedback")
            .fetch_one(&self.pool)
            .await?;
        Ok(last.map(EventId))
    }

    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        validate::session(session)?;
        let result =
            sqlx::query("INSERT INTO sessions (id, user_id, created_at_ms) VALUES (?, ?, ?)")
                .bind(&session.id)
                .bind(session.user_id.as_deref())
                .bind(session.created_at_ms)
                .execute(&self.pool)
                .await;
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                Err(StoreError::AlreadyExists {
                    entity: Entity::Session,
                    id: session.id.clone(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn append_turn(&self, session_id: &str, turn: &NewTurn) -> StoreResult<()> {
        validate::turn(session_id, turn)?;
        let mut tx = self.begin_write().await?;
        let last_turn: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT (SELECT MAX(turn_number) FROM turns WHERE session_id = ?1) \
             FROM sessions WHERE id = ?1",
        )
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(last_turn) = last_turn else {
            return Err(StoreError::NotFound {
                entity: Entity::Session,
                id: session_id.to_string(),
            });
        };
        let expected = last_turn.unwrap_or(0) + 1;
        if i64::from(turn.turn_number) != expected {
            return Err(StoreError::TurnOutOfOrder {
                session_id: session_id.to_string(),
                expected: u32::try_from(expected).unwrap_or(u32::MAX),
                got: turn.turn_number,
            });
        }
        sqlx::query(
            "INSERT INTO turns (session_id, turn_number, user_text, reply, created_at_ms) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(session_id)
        .bind(i64::from(turn.turn_number))
        .bind(&turn.user_text)
        .bind(Json(&turn.reply))
        .bind(turn.created_at_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        // One statement, so the session and its turns come from one snapshot.
        let rows = sqlx::query(
            "SELECT s.id, s.user_id, s.created_at_ms, t.turn_number, t.user_text, t.reply, \
             t.created_at_ms AS turn_created_at_ms \
             FROM sessions s LEFT JOIN turns t ON t.session_id = s.id \
             WHERE s.id = ? ORDER BY t.turn_number",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut session = Session {
            id: first.try_get("id")?,
            user_id: first.try_get("user_id")?,
            created_at_ms: first.try_get("created_at_ms")?,
            turns: Vec::with_capacity(rows.len()),
        };
        for row in &rows {
            let Some(turn_number) = row.try_get::<Option<i64>, _>("turn_number")? else {
                continue;
            };
            session.turns.push(Turn {
                turn_number: u32::try_from(turn_number)
                    .map_err(|_| StoreError::Malformed(format!("turn number {turn_number}")))?,
                user_text: row.try_get("user_text")?,
                reply: row.try_get::<Json<Value>, _>("reply")?.0,
                created_at_ms: row.try_get("turn_created_at_ms")?,
            });
        }
        Ok(Some(session))
    }

    async fn list_sessions(
        &self,
        user_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<SessionSummary>> {
        validate::page(page)?;
        // ?1 is the limit; the optional filters take the next placeholders in order.
        let mut conditions = Vec::new();
        if user_id.is_some() {
            conditions.push("s.user_id = ?2".to_string());
        }
        if page.after.is_some() {
            let placeholder = if user_id.is_some() { 3 } else { 2 };
            conditions.push(format!("s.id > ?{placeholder}"));
        }
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT s.id, s.user_id, s.created_at_ms, \
             (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS turn_count \
             FROM sessions s {where_clause} ORDER BY s.id LIMIT ?1"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(page_fetch_len(page));
        if let Some(user_id) = user_id {
            query = query.bind(user_id);
        }
        let rows = bind_after(query, page).fetch_all(&self.pool).await?;
        let sessions = rows
            .iter()
            .map(|row| {
                let turn_count: i64 = row.try_get("turn_count")?;
                Ok(SessionSummary {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    turn_count: u32::try_from(turn_count).unwrap_or(u32::MAX),
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(Page::from_fetched(
            sessions,
            page.limit,
            |s: &SessionSummary| &s.id,
        ))
    }

    async fn delete_session(&self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM sessions WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn put_model_version(&self, model: &NewModelVersion) -> StoreResult<ModelVersion> {
        validate::model_metadata(&model.metadata)?;
        let size_bytes = i64::try_from(model.artifact.len())
            .map_err(|_| StoreError::Malformed("model artifact too large".into()))?;
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO model_versions (metadata, artifact, size_bytes, sha256, created_at_ms) \
             VALUES (?, ?, ?, ?, ?) RETURNING version",
        )
        .bind(Json(&model.metadata))
        .bind(model.artifact.as_slice())
        .bind(size_bytes)
        .bind(artifact::sha256_hex(&model.artifact))
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(ModelVersion(version))
    }

    async fn list_model_versions(&self) -> StoreResult<Vec<ModelVersionInfo>> {
        let sql = format!(
            "SELECT {MODEL_INFO_COLUMNS} FROM model_versions m \
             LEFT JOIN active_model a ON a.version = m.version ORDER BY m.version"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(model_info_from_row).collect()
    }

    async fn activate_model_version(&self, version: ModelVersion) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 FROM model_versions WHERE version = ?")
            .bind(version.0)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound {
                entity: Entity::ModelVersion,
                id: version.to_string(),
            });
        }
        sqlx::query(
            "INSERT INTO active_model (singleton, version, activated_at_ms) VALUES (1, ?, ?) \
             ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, \
             activated_at_ms = excluded.activated_at_ms",
        )
        .bind(version.0)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn active_model_version(&self) -> StoreResult<Option<ModelVersionInfo>> {
        let sql = format!(
            "SELECT {MODEL_INFO_COLUMNS} FROM active_model a \
             JOIN model_versions m ON m.version = a.version"
        );
        sqlx::query(AssertSqlSafe(sql))
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(model_info_from_row)
            .transpose()
    }

    async fn get_active_model(&self) -> StoreResult<Option<ModelArtifact>> {
        let sql = format!(
            "SELECT {MODEL_INFO_COLUMNS}, m.artifact FROM active_model a \
             JOIN model_versions m ON m.version = a.version"
        );
        sqlx::query(AssertSqlSafe(sql))
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(model_from_row)
            .transpose()
    }

    async fn get_model_version(&self, version: ModelVersion) -> StoreResult<Option<ModelArtifact>> {
        let sql = format!(
            "SELECT {MODEL_INFO_COLUMNS}, m.artifact FROM model_versions m \
             LEFT JOIN active_model a ON a.version = m.version WHERE m.version = ?"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(version.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(model_from_row)
            .transpose()
    }

    async fn forget_user(&self, user_id: &str) -> StoreResult<ForgetReport> {
        let mut tx = self.begin_write().await?;
        let turns = sqlx::query(
            "DELETE FROM turns WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?)",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let feedback = sqlx::query("DELETE FROM feedback WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let user = sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ForgetReport {
            user_deleted: user.rows_affected() > 0,
            feedback_events_deleted: feedback.rows_affected(),
            sessions_deleted: sessions.rows_affected(),
            turns_deleted: turns.rows_affected(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pooled connection runs with the durability settings, not only the first.
    #[tokio::test]
    async fn connections_use_wal_full_sync_and_foreign_keys() -> StoreResult<()> {
        let dir = tempfile::tempdir().map_err(|source| StoreError::Io {
            context: "temporary folder".into(),
            source,
        })?;
        let store = SqliteStore::open_with(dir.path().join("pragmas.db"), 3).await?;
        let mut connections = Vec::new();
        for _ in 0..3 {
            connections.push(store.pool.acquire().await?);
        }
        for connection in &mut connections {
            let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **connection)
                .await?;
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **connection)
                .await?;
            let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(&mut **connection)
                .await?;
            let busy_timeout_ms: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
                .fetch_one(&mut **connection)
                .await?;
            assert_eq!(journal_mode, "wal");
            assert_eq!(synchronous, 2, "2 is FULL");
            assert_eq!(foreign_keys, 1);
            assert_eq!(busy_timeout_ms, BUSY_TIMEOUT.as_millis() as i64);
        }
        drop(connections);
        assert_eq!(store.migrate().await?, 0, "already up to date");
        store.close().await;
        Ok(())
    }
}
