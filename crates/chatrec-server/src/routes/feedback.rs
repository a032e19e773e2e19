//! Feedback events: written durably, used by the next recommendation at once (fold-in).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chatrec_store::{now_ms, EventId, FeedbackEvent, FeedbackKind, NewFeedback};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::App;
use crate::error::ApiResult;
use crate::extract::{Body, Path};

/// One event to record. `value` defaults to 1 (give the rating for `rating` events);
/// `timestamp_ms` defaults to now.
#[derive(Deserialize, ToSchema)]
pub struct EventIn {
    pub user_id: String,
    pub item_id: String,
    pub kind: FeedbackKind,
    pub value: Option<f32>,
    pub timestamp_ms: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct EventsIn {
    pub events: Vec<EventIn>,
}

/// Ids of the stored events, in the order given.
#[derive(Serialize, ToSchema)]
pub struct EventIds {
    #[schema(value_type = Vec<i64>)]
    pub ids: Vec<EventId>,
}

#[derive(Serialize, ToSchema)]
pub struct Events {
    pub events: Vec<FeedbackEvent>,
}

/// Records feedback events, all or nothing. Acknowledged events are durable, and the
/// user's next recommendations use them (no retraining needed).
#[utoipa::path(post, path = "/feedback", tag = "feedback", request_body = EventsIn,
    responses((status = 201, body = EventIds), (status = 422, body = crate::error::ErrorBody)))]
pub async fn post_feedback(
    State(app): State<Arc<App>>,
    Body(body): Body<EventsIn>,
) -> ApiResult<(StatusCode, Json<EventIds>)> {
    let now = now_ms();
    let events: Vec<NewFeedback> = body
        .events
        .into_iter()
        .map(|e| NewFeedback {
            user_id: e.user_id,
            item_id: e.item_id,
            kind: e.kind,
            value: e.value.unwrap_or(1.0),
            timestamp_ms: e.timestamp_ms.unwrap_or(now),
        })
        .collect();
    let ids = app.store.insert_feedback(&events).await?;
    app.metrics.feedback_ingested.inc_by(ids.len() as u64);
    Ok((StatusCode::CREATED, Json(EventIds { ids })))
}

/// A user's events, oldest first.
#[utoipa::path(get, path = "/users/{id}/feedback", tag = "feedback",
    params(("id" = String, Path)), responses((status = 200, body = Events)))]
pub async fn user_feedback(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Events>> {
    Ok(Json(Events {
        events: app.store.list_user_feedback(&id).await?,
    }))
}
