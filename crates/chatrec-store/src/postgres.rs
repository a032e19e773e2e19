//! The shared backend: PostgreSQL through a connection pool, for several servers at once.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row, Transaction};

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

/// Connections in the pool by default, per server process.
pub const DEFAULT_POSTGRES_CONNECTIONS: u32 = 10;

/// How long a call waits for a free connection before failing as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A store in a PostgreSQL database (in the first schema of the connection's
/// `search_path`). Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl fmt::Debug for PgStore {
    // The pool's options hold the password: show nothing of them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `postgres://user[:password]@host[:port]/database[?options]` and migrates.
    /// `?options=-c%20search_path%3Dmyschema` puts the tables in another schema.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url).map_err(|error| StoreError::InvalidUrl {
            url: crate::redacted_url(url),
            reason: error.to_string(),
        })?;
        Self::connect_with(options, DEFAULT_POSTGRES_CONNECTIONS).await
    }

    /// Connects with explicit options and pool size (at least 1), then migrates.
    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        migrations::migrate_postgres(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Runs the migrations again (a no-op when up to date); returns how many were applied.
    pub async fn migrate(&self) -> StoreResult<usize> {
        migrations::migrate_postgres(&self.pool).await
    }
}

const ITEM_COLUMNS: &str = "id, title, year, categories, text, attributes";

fn item_from_row(row: &PgRow) -> StoreResult<Item> {
    Ok(Item {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        year: row.try_get("year")?,
        categories: row.try_get::<Json<Vec<String>>, _>("categories")?.0,
        text: row.try_get("text")?,
        attributes: row.try_get::<Json<Value>, _>("attributes")?.0,
    })
}

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    Ok(User {
        id: row.try_get("id")?,
        attributes: row.try_get::<Json<Value>, _>("attributes")?.0,
    })
}

fn feedback_from_row(row: &PgRow) -> StoreResult<FeedbackEvent> {
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

fn model_info_from_row(row: &PgRow) -> StoreResult<ModelVersionInfo> {
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

fn model_from_row(row: &PgRow) -> StoreResult<ModelArtifact> {
    artifact::verified(model_info_from_row(row)?, row.try_get("artifact")?)
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// `WHERE key > $N` on pages after the first, nothing on the first page (a single
/// `$N IS NULL OR key > $N` would defeat the index under a generic plan).
fn keyset_condition(page: &PageRequest, key: &str, placeholder: usize) -> String {
    match page.after {
        Some(_) => format!("WHERE {key} > ${placeholder}"),
        None => String::new(),
    }
}

fn bind_after<'q>(query: PgQuery<'q>, page: &'q PageRequest) -> PgQuery<'q> {
    match &page.after {
        Some(after) => query.bind(after.as_str()),
        None => query,
    }
}

/// Rows to fetch for a page: one more than the limit, to learn whether another page exists.
fn page_fetch_len(page: &PageRequest) -> i64 {
    i64::from(page.limit) + 1
}

fn summarize_upsert(inserted_flags: &[bool]) -> UpsertSummary {
    let inserted = inserted_flags.iter().filter(|&&inserted| inserted).count() as u64;
    UpsertSummary {
        inserted,
        updated: inserted_flags.len() as u64 - inserted,
    }
}

async fn existing_ids(
    tx: &mut Transaction<'static, Postgres>,
    query: &'static str,
    ids: &BTreeSet<&str>,
) -> StoreResult<HashSet<String>> {
    let ids: Vec<&str> = ids.iter().copied().collect();
    let found: Vec<String> = sqlx::query_scalar(query)
        .bind(ids)
        .fetch_all(&mut **tx)
        .await?;
    Ok(found.into_iter().collect())
}

/// Takes the feedback table's row-exclusive lock before deleting a user or item. The delete
/// cascades to feedback; without the lock first, it would hold the user's row and then wait
/// for the table while a feedback insert holds the table and waits for that row (its
/// foreign-key check): a deadlock that PostgreSQL breaks by failing one of them.
async fn lock_feedback_before_cascade(tx: &mut Transaction<'static, Postgres>) -> StoreResult<()> {
    sqlx::query("LOCK TABLE feedback IN ROW EXCLUSIVE MODE")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn schema_version(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version")
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
        if items.is_empty() {
            return Ok(UpsertSummary::default());
        }
        // One statement for the whole batch: the rows travel as parallel arrays. `xmax = 0`
        // tells a freshly inserted row from one the ON CONFLICT branch updated.
        let inserted_flags: Vec<bool> = sqlx::query_scalar(
            "INSERT INTO items (id, title, year, categories, text, attributes) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::jsonb[], $5::text[], $6::jsonb[]) \
             ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, year = EXCLUDED.year, \
             categories = EXCLUDED.categories, text = EXCLUDED.text, attributes = EXCLUDED.attributes \
             RETURNING (xmax = 0)",
        )
        .bind(items.iter().map(|item| item.id.as_str()).collect::<Vec<_>>())
        .bind(items.iter().map(|item| item.title.as_str()).collect::<Vec<_>>())
        .bind(items.iter().map(|item| item.year).collect::<Vec<_>>())
        .bind(items.iter().map(|item| Json(&item.categories)).collect::<Vec<_>>())
        .bind(items.iter().map(|item| item.text.as_str()).collect::<Vec<_>>())
        .bind(items.iter().map(|item| Json(&item.attributes)).collect::<Vec<_>>())
        .fetch_all(&self.pool)
        .await?;
        Ok(summarize_upsert(&inserted_flags))
    }

    async fn get_item(&self, id: &str) -> StoreResult<Option<Item>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = $1");
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
            "SELECT {ITEM_COLUMNS} FROM items {} ORDER BY id LIMIT $1",
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
        let mut tx = self.pool.begin().await?;
        lock_feedback_before_cascade(&mut tx).await?;
        let result = sqlx::query("DELETE FROM items WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(result.rows_affected() > 0)
    }

    async fn upsert_users(&self, users: &[User]) -> StoreResult<UpsertSummary> {
        validate::batch(users, |user| &user.id, validate::user)?;
        if users.is_empty() {
            return Ok(UpsertSummary::default());
        }
        let inserted_flags: Vec<bool> = sqlx::query_scalar(
            "INSERT INTO users (id, attributes) SELECT * FROM UNNEST($1::text[], $2::jsonb[]) \
             ON CONFLICT (id) DO UPDATE SET attributes = EXCLUDED.attributes \
             RETURNING (xmax = 0)",
        )
        .bind(
            users
                .iter()
                .map(|user| user.id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            users
                .iter()
                .map(|user| Json(&user.attributes))
                .collect::<Vec<_>>(),
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(summarize_upsert(&inserted_flags))
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        sqlx::query("SELECT id, attributes FROM users WHERE id = $1")
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
            "SELECT id, attributes FROM users {} ORDER BY id LIMIT $1",
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
        let mut tx = self.pool.begin().await?;
        lock_feedback_before_cascade(&mut tx).await?;
        let result = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(result.rows_affected() > 0)
    }

    async fn insert_feedback(&self, events: &[NewFeedback]) -> StoreResult<Vec<EventId>> {
        // Rows with problems of their own are refused together with rows naming unknown
        // users or items (checked below), so a client sees every bad row at once.
        let refused_rows = validate::row_problems(events, validate::feedback);
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        // Without this lock, a transaction that drew id 7 could commit after one that drew
        // id 8, and a replica that had already read 8 would never see 7. Holding a lock that
        // conflicts with itself (but not with readers) from before the ids are drawn until
        // commit makes id order equal commit order.
        sqlx::query("LOCK TABLE feedback IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let user_ids: BTreeSet<&str> = events.iter().map(|e| e.user_id.as_str()).collect();
        let item_ids: BTreeSet<&str> = events.iter().map(|e| e.item_id.as_str()).collect();
        let known_users = existing_ids(
            &mut tx,
            "SELECT id FROM users WHERE id = ANY($1)",
            &user_ids,
        )
        .await?;
        let known_items = existing_ids(
            &mut tx,
            "SELECT id FROM items WHERE id = ANY($1)",
            &item_ids,
        )
        .await?;
        validate::refuse_feedback(
            events,
            refused_rows,
            |user| known_users.contains(user),
            |item| known_items.contains(item),
        )?;
        // Draw the ids first and assign them in input order, so the returned ids match the
        // rows whatever order the INSERT processes them in.
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('feedback', 'id')) FROM generate_series(1, $1)",
        )
        .bind(i64::try_from(events.len()).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        ids.sort_unstable();
        sqlx::query(
            "INSERT INTO feedback (id, user_id, item_id, kind, value, timestamp_ms) \
             SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::float4[], $6::int8[])",
        )
        .bind(&ids)
        .bind(events.iter().map(|e| e.user_id.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.item_id.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.value).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.timestamp_ms).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ids.into_iter().map(EventId).collect())
    }

    async fn list_user_feedback_after(
        &self,
        user_id: &str,
        after: EventId,
    ) -> StoreResult<Vec<FeedbackEvent>> {
        let rows = sqlx::query(
            "SELECT id, user_id, item_id, kind, value, timestamp_ms FROM feedback \
             WHERE user_id = $1 AND id > $2 ORDER BY id",
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
             WHERE id > $1 ORDER BY id LIMIT $2",
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
            sqlx::query("INSERT INTO sessions (id, user_id, created_at_ms) VALUES ($1, $2, $3)")
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
        let mut tx = self.pool.begin().await?;
        // Locking the session row serializes appends to one session across servers.
        let locked = sqlx::query("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE")
            .bind(session_id)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            return Err(StoreError::NotFound {
                entity: Entity::Session,
                id: session_id.to_string(),
            });
        }
        let last_turn: Option<i32> =
            sqlx::query_scalar("SELECT MAX(turn_number) FROM turns WHERE session_id = $1")
                .bind(session_id)
                .fetch_one(&mut *tx)
                .await?;
        let expected = i64::from(last_turn.unwrap_or(0)) + 1;
        if i64::from(turn.turn_number) != expected {
            return Err(StoreError::TurnOutOfOrder {
                session_id: session_id.to_string(),
                expected: u32::try_from(expected).unwrap_or(u32::MAX),
                got: turn.turn_number,
            });
        }
        let turn_number = i32::try_from(turn.turn_number)
            .map_err(|_| StoreError::Malformed(format!("turn number {}", turn.turn_number)))?;
        sqlx::query(
            "INSERT INTO turns (session_id, turn_number, user_text, reply, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session_id)
        .bind(turn_number)
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
             WHERE s.id = $1 ORDER BY t.turn_number",
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
            let Some(turn_number) = row.try_get::<Option<i32>, _>("turn_number")? else {
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
        // $1 is the limit; the optional filters take the next placeholders in order.
        let mut conditions = Vec::new();
        if user_id.is_some() {
            conditions.push("s.user_id = $2".to_string());
        }
        if page.after.is_some() {
            let placeholder = if user_id.is_some() { 3 } else { 2 };
            conditions.push(format!("s.id > ${placeholder}"));
        }
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT s.id, s.user_id, s.created_at_ms, \
             (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS turn_count \
             FROM sessions s {where_clause} ORDER BY s.id LIMIT $1"
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
        let result = sqlx::query("DELETE FROM sessions WHERE id = $1")
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
             VALUES ($1, $2, $3, $4, $5) RETURNING version",
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
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM model_versions WHERE version = $1")
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
            "INSERT INTO active_model (singleton, version, activated_at_ms) VALUES (1, $1, $2) \
             ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, \
             activated_at_ms = EXCLUDED.activated_at_ms",
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
             LEFT JOIN active_model a ON a.version = m.version WHERE m.version = $1"
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
        let mut tx = self.pool.begin().await?;
        let turns = sqlx::query(
            "DELETE FROM turns WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let feedback = sqlx::query("DELETE FROM feedback WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // Deleting the user last also cascades to any event a concurrent writer added.
        let user = sqlx::query("DELETE FROM users WHERE id = $1")
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
