//! Liveness, readiness, metrics and the web chat page.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::App;

/// The chat page, one self-contained file.
const CHAT_PAGE: &str = include_str!("../../web/index.html");

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `live`, `ready` or `not_ready`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The process answers.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, body = Health)))]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "live",
        model_version: None,
        model: None,
        backend: None,
        reason: None,
    })
}

/// The server can answer requests: the store responds and a model is loaded.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn ready(State(app): State<Arc<App>>) -> Response {
    let backend = Some(app.store.backend().to_string());
    let not_ready = |reason: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "not_ready",
                model_version: None,
                model: None,
                backend: backend.clone(),
                reason: Some(reason),
            }),
        )
            .into_response()
    };
    if let Err(error) = app.store.ping().await {
        return not_ready(error.to_string());
    }
    match app.live.get() {
        None => not_ready("no model version is active yet".into()),
        Some(live) => Json(Health {
            status: "ready",
            model_version: Some(live.version.0),
            model: Some(live.model_name.clone()),
            backend,
            reason: None,
        })
        .into_response(),
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    if let Some(live) = app.live.get() {
        if let Some(assistant) = live.engine.assistant() {
            app.metrics.sync_llm(&assistant.counts());
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

/// The web chat page.
pub async fn page() -> Html<&'static str> {
    Html(CHAT_PAGE)
}
