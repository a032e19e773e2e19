//! Administration: train in the background, follow the job, list and activate versions.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chatrec_store::{ModelVersion, ModelVersionInfo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::training::{JobStatus, TrainSpec};

/// What to train; everything defaults to the server's configured model.
#[derive(Deserialize, ToSchema, Default)]
pub struct TrainRequest {
    pub model: Option<String>,
    pub params: Option<std::collections::BTreeMap<String, String>>,
    pub seed: Option<u64>,
    /// Activate the version when it is stored (default true).
    pub activate: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct JobStarted {
    pub job_id: String,
}

/// Trains a new model version from the store's data, in the background.
#[utoipa::path(post, path = "/admin/train", tag = "admin", request_body = TrainRequest,
    responses((status = 202, body = JobStarted), (status = 400, body = crate::error::ErrorBody)))]
pub async fn train(
    State(app): State<Arc<App>>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<JobStarted>)> {
    let request: TrainRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TrainRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
    };
    let mut spec = TrainSpec::from(&app.config.model);
    if let Some(model) = request.model {
        spec.model = model;
        spec.params.clear();
    }
    if let Some(params) = request.params {
        spec.params = params;
    }
    if let Some(seed) = request.seed {
        spec.seed = seed;
    }
    if let Some(activate) = request.activate {
        spec.activate = activate;
    }
    // Refuse unknown models and parameters now rather than in the background.
    let params: Vec<(String, String)> = spec.params.clone().into_iter().collect();
    let (name, params) = chatrec_models::registry::resolve(
        &spec.model,
        &params,
        chatrec_models::registry::Task::Ranking,
    );
    chatrec_models::registry::build(&name, &params, spec.seed)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let job_id = app.jobs.start(app.store.clone(), spec);
    Ok((StatusCode::ACCEPTED, Json(JobStarted { job_id })))
}

/// A training job: running with its progress, or finished with its version or error.
#[utoipa::path(get, path = "/admin/jobs/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = JobStatus), (status = 404, body = crate::error::ErrorBody)))]
pub async fn job(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobStatus>> {
    let status = app
        .jobs
        .status(&id)
        .ok_or_else(|| ApiError::not_found(format!("no job `{id}` on this server")))?;
    if status.result.is_some() {
        app.refresh_soon();
    }
    Ok(Json(status))
}

#[derive(Serialize, ToSchema)]
pub struct Versions {
    pub versions: Vec<ModelVersionInfo>,
}

/// Every stored model version, oldest first, with which one is active.
#[utoipa::path(get, path = "/admin/models", tag = "admin",
    responses((status = 200, body = Versions)))]
pub async fn models(State(app): State<Arc<App>>) -> ApiResult<Json<Versions>> {
    Ok(Json(Versions {
        versions: app.store.list_model_versions().await?,
    }))
}

/// Makes a version the one every server uses; all replicas switch within their refresh
/// interval, without restarting.
#[utoipa::path(post, path = "/admin/models/{version}/activate", tag = "admin",
    params(("version" = i64, Path)),
    responses((status = 200, body = ModelVersionInfo), (status = 404, body = crate::error::ErrorBody)))]
pub async fn activate(
    State(app): State<Arc<App>>,
    Path(version): Path<i64>,
) -> ApiResult<Json<ModelVersionInfo>> {
    app.store
        .activate_model_version(ModelVersion(version))
        .await?;
    app.refresh_soon();
    let info = app
        .store
        .active_model_version()
        .await?
        .ok_or_else(|| ApiError::internal("the activated version is not active"))?;
    Ok(Json(info))
}
