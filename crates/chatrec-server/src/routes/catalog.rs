//! Items and users: create, update, delete one or many, list in pages, bulk import.

use std::sync::Arc;

use axum::body::Body as RawBody;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chatrec_store::{ForgetReport, Item, Page, PageRequest, RowError, Store, UpsertSummary, User};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Path, Query};

/// Rows written per transaction by a bulk import.
pub const IMPORT_BATCH: usize = 1000;

#[derive(Deserialize, ToSchema)]
pub struct Items {
    pub items: Vec<Item>,
}

#[derive(Deserialize, ToSchema)]
pub struct Users {
    pub users: Vec<User>,
}

/// Paging of a listing: records with ids after `after`, at most `limit` (default 100).
#[derive(Deserialize, IntoParams)]
pub struct Paging {
    pub after: Option<String>,
    pub limit: Option<u32>,
}

impl Paging {
    fn request(self) -> PageRequest {
        PageRequest {
            after: self.after,
            limit: self.limit.unwrap_or(100),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: bool,
}

/// Inserts or replaces items, all or nothing.
#[utoipa::path(put, path = "/items", tag = "catalog", request_body = Items,
    responses((status = 200, body = UpsertSummary), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_items(
    State(app): State<Arc<App>>,
    Body(body): Body<Items>,
) -> ApiResult<Json<UpsertSummary>> {
    let summary = app.store.upsert_items(&body.items).await?;
    app.refresh_soon();
    Ok(Json(summary))
}

/// Items in id order, one page at a time.
#[utoipa::path(get, path = "/items", tag = "catalog", params(Paging),
    responses((status = 200, body = Page<Item>)))]
pub async fn list_items(
    State(app): State<Arc<App>>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<Page<Item>>> {
    Ok(Json(app.store.list_items(&paging.request()).await?))
}

/// One item.
#[utoipa::path(get, path = "/items/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Item), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_item(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Item>> {
    app.store
        .get_item(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no item `{id}`")))
}

/// Inserts or replaces one item; the body's `id`, when given, must match the path.
#[utoipa::path(put, path = "/items/{id}", tag = "catalog", params(("id" = String, Path)),
    request_body = Item, responses((status = 200, body = UpsertSummary)))]
pub async fn put_item(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(mut item): Body<serde_json::Value>,
) -> ApiResult<Json<UpsertSummary>> {
    let item: Item = with_path_id(&mut item, &id)?;
    let summary = app.store.upsert_items(&[item]).await?;
    app.refresh_soon();
    Ok(Json(summary))
}

/// Deletes an item and the feedback about it; it is no longer recommended anywhere.
#[utoipa::path(delete, path = "/items/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Deleted), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_item(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Deleted>> {
    if !app.store.delete_item(&id).await? {
        return Err(ApiError::not_found(format!("no item `{id}`")));
    }
    app.refresh_soon();
    Ok(Json(Deleted { deleted: true }))
}

/// Inserts or replaces users, all or nothing.
#[utoipa::path(put, path = "/users", tag = "users", request_body = Users,
    responses((status = 200, body = UpsertSummary), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_users(
    State(app): State<Arc<App>>,
    Body(body): Body<Users>,
) -> ApiResult<Json<UpsertSummary>> {
    Ok(Json(app.store.upsert_users(&body.users).await?))
}

/// Users in id order, one page at a time.
#[utoipa::path(get, path = "/users", tag = "users", params(Paging),
    responses((status = 200, body = Page<User>)))]
pub async fn list_users(
    State(app): State<Arc<App>>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(app.store.list_users(&paging.request()).await?))
}

/// One user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_user(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<User>> {
    app.store
        .get_user(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no user `{id}`")))
}

/// Inserts or replaces one user; the body's `id`, when given, must match the path.
#[utoipa::path(put, path = "/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = User, responses((status = 200, body = UpsertSummary)))]
pub async fn put_user(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(mut user): Body<serde_json::Value>,
) -> ApiResult<Json<UpsertSummary>> {
    let user: User = with_path_id(&mut user, &id)?;
    Ok(Json(app.store.upsert_users(&[user]).await?))
}

/// Forgets a user everywhere: the user, their feedback, their conversations and turns. Works
/// for ids never seen (reports zeros), so it can be repeated safely.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = ForgetReport)))]
pub async fn forget_user(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<ForgetReport>> {
    let report = app.store.forget_user(&id).await?;
    app.conversations.remove_user(&id);
    app.refresh_soon();
    Ok(Json(report))
}

/// A body for `PUT /x/{id}`: the path's id is filled in, or must equal the body's.
fn with_path_id<T: serde::de::DeserializeOwned>(
    body: &mut serde_json::Value,
    id: &str,
) -> ApiResult<T> {
    let Some(object) = body.as_object_mut() else {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    };
    match object.get("id") {
        None => {
            object.insert("id".into(), json!(id));
        }
        Some(given) if given.as_str() == Some(id) => {}
        Some(given) => {
            return Err(ApiError::bad_request(format!(
                "the body's id {given} differs from the path's `{id}`"
            )))
        }
    }
    serde_json::from_value(body.take())
        .map_err(|e| ApiError::unprocessable(format!("invalid body: {e}")))
}

/// What a bulk import did.
#[derive(Serialize, ToSchema, Default)]
pub struct ImportReport {
    /// Rows written (in batches that were accepted whole).
    pub inserted: u64,
    pub updated: u64,
    /// Batches accepted and refused.
    pub batches_written: u64,
    pub batches_refused: u64,
    /// Why rows were refused: line numbers (from 1) of the body, with the reason. At most
    /// 1000 are listed.
    pub errors: Vec<ImportError>,
}

impl ImportReport {
    /// 200 when every batch was written, 422 when any was refused.
    fn into_answer(self) -> (StatusCode, Json<ImportReport>) {
        let status = if self.batches_refused == 0 {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        (status, Json(self))
    }
}

#[derive(Serialize, ToSchema)]
pub struct ImportError {
    pub line: usize,
    pub message: String,
}

/// Bulk import of items: a body of JSON lines (one item per line), streamed. Each batch of
/// 1000 lines is written whole or not at all; a refused batch lists every bad line, and the
/// import goes on with the next batch.
#[utoipa::path(post, path = "/items/import", tag = "catalog",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "one item JSON object per line"),
    responses((status = 200, body = ImportReport)))]
pub async fn import_items(
    State(app): State<Arc<App>>,
    body: RawBody,
) -> ApiResult<impl IntoResponse> {
    let store = app.store.clone();
    let report = import_lines(body, app.config.limits.max_import_bytes, |batch| {
        let store = store.clone();
        async move { store.upsert_items(&batch).await }
    })
    .await?;
    app.refresh_soon();
    Ok(report.into_answer())
}

/// Bulk import of users: JSON lines, as for items.
#[utoipa::path(post, path = "/users/import", tag = "users",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "one user JSON object per line"),
    responses((status = 200, body = ImportReport)))]
pub async fn import_users(
    State(app): State<Arc<App>>,
    body: RawBody,
) -> ApiResult<impl IntoResponse> {
    let store: Arc<dyn Store> = app.store.clone();
    let report = import_lines(body, app.config.limits.max_import_bytes, |batch| {
        let store = store.clone();
        async move { store.upsert_users(&batch).await }
    })
    .await?;
    Ok(report.into_answer())
}

const MAX_LISTED_ERRORS: usize = 1000;

/// Reads JSON lines from a streamed body and writes them in batches with `write`.
async fn import_lines<T, F, Fut>(
    body: RawBody,
    max_bytes: usize,
    write: F,
) -> ApiResult<ImportReport>
where
    T: serde::de::DeserializeOwned,
    F: Fn(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = chatrec_store::StoreResult<UpsertSummary>>,
{
    let mut report = ImportReport::default();
    let mut stream = body.into_data_stream();
    let mut pending: Vec<u8> = Vec::new();
    let mut batch = Batch::default();
    let mut line_number = 0usize;
    let mut received = 0usize;
    loop {
        let chunk = stream.next().await;
        let finished = chunk.is_none();
        if let Some(chunk) = chunk {
            let chunk =
                chunk.map_err(|e| ApiError::bad_request(format!("cannot read the body: {e}")))?;
            received += chunk.len();
            if received > max_bytes {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!(
                        "the import is larger than {max_bytes} bytes; batches before this point \
                         were written ({} rows), split the rest into several requests",
                        report.inserted + report.updated
                    ),
                ));
            }
            pending.extend_from_slice(&chunk);
        }
        // Every complete line (all of them once the body has ended).
        let mut start = 0;
        while let Some(end) = pending[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| start + p)
            .or_else(|| (finished && start < pending.len()).then_some(pending.len()))
        {
            line_number += 1;
            let line = &pending[start..end];
            start = (end + 1).min(pending.len());
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<T>(line) {
                Ok(value) => batch.rows.push((line_number, value)),
                Err(e) => batch.errors.push(ImportError {
                    line: line_number,
                    message: format!("not a valid record: {e}"),
                }),
            }
            if batch.len() >= IMPORT_BATCH {
                batch.flush(&write, &mut report).await?;
            }
            if start >= pending.len() {
                break;
            }
        }
        pending.drain(..start.min(pending.len()));
        if finished {
            break;
        }
    }
    batch.flush(&write, &mut report).await?;
    Ok(report)
}

struct Batch<T> {
    rows: Vec<(usize, T)>,
    errors: Vec<ImportError>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            errors: Vec::new(),
        }
    }
}

impl<T> Batch<T> {
    fn len(&self) -> usize {
        self.rows.len() + self.errors.len()
    }

    /// Writes the batch, or refuses it whole when any line of it is bad.
    async fn flush<F, Fut>(&mut self, write: &F, report: &mut ImportReport) -> ApiResult<()>
    where
        F: Fn(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = chatrec_store::StoreResult<UpsertSummary>>,
    {
        if self.len() == 0 {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let mut errors = std::mem::take(&mut self.errors);
        if errors.is_empty() {
            let lines: Vec<usize> = rows.iter().map(|(line, _)| *line).collect();
            match write(rows.into_iter().map(|(_, row)| row).collect()).await {
                Ok(summary) => {
                    report.inserted += summary.inserted;
                    report.updated += summary.updated;
                    report.batches_written += 1;
                    return Ok(());
                }
                Err(chatrec_store::StoreError::InvalidBatch { rows, .. }) => {
                    errors.extend(
                        rows.into_iter()
                            .map(|RowError { row, problem }| ImportError {
                                line: lines.get(row).copied().unwrap_or(0),
                                message: problem.to_string(),
                            }),
                    );
                }
                Err(other) => return Err(other.into()),
            }
        }
        report.batches_refused += 1;
        errors.sort_by_key(|e| e.line);
        let room = MAX_LISTED_ERRORS.saturating_sub(report.errors.len());
        report.errors.extend(errors.into_iter().take(room));
        Ok(())
    }
}
