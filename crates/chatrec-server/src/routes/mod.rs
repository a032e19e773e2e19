//! The HTTP routes, grouped by who may call them, and the OpenAPI document built from the
//! same declarations (a route cannot exist without its documentation, or the reverse).

pub mod admin;
pub mod catalog;
pub mod conversations;
pub mod feedback;
pub mod health;
pub mod openai;
pub mod recommend;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::auth::{require_admin, require_read};
use crate::error::ApiError;
use crate::metrics::record;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chatrec",
        description = "A conversational, explainable recommender: catalog, feedback, \
            recommendations with evidence, conversations, and an OpenAI-compatible chat \
            endpoint. Reading and chatting need a read or admin key when read keys are \
            configured; writes and administration always need an admin key \
            (`Authorization: Bearer KEY` or `X-API-Key: KEY`)."
    ),
    modifiers(&Security),
    tags(
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "catalog", description = "Items"),
        (name = "users", description = "Users, and forgetting them"),
        (name = "feedback", description = "Feedback events"),
        (name = "recommendations", description = "Lists with evidence"),
        (name = "conversations", description = "Chat with the recommender"),
        (name = "openai", description = "OpenAI-compatible chat"),
        (name = "admin", description = "Training and model versions"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The whole application: routes, their guards, limits and metrics, and `/openapi.json`.
pub fn router(app: Arc<App>) -> Router {
    let public = OpenApiRouter::new()
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics));

    let read = OpenApiRouter::new()
        .routes(routes!(catalog::list_items))
        .routes(routes!(catalog::get_item))
        .routes(routes!(catalog::list_users))
        .routes(routes!(catalog::get_user))
        .routes(routes!(feedback::user_feedback))
        .routes(routes!(recommend::for_user))
        .routes(routes!(recommend::for_visitor))
        .routes(routes!(recommend::similar))
        .routes(routes!(recommend::explain))
        .routes(routes!(conversations::create, conversations::list))
        .routes(routes!(conversations::get, conversations::delete))
        .routes(routes!(conversations::turn))
        .routes(routes!(conversations::turn_stream))
        .routes(routes!(conversations::feedback))
        .routes(routes!(openai::models))
        .routes(routes!(openai::chat_completions))
        .route_layer(from_fn_with_state(app.guard.clone(), require_read));

    let admin = OpenApiRouter::new()
        .routes(routes!(catalog::put_items))
        .routes(routes!(catalog::put_item, catalog::delete_item))
        .routes(routes!(catalog::put_users))
        .routes(routes!(catalog::put_user, catalog::forget_user))
        .routes(routes!(feedback::post_feedback))
        .routes(routes!(admin::train))
        .routes(routes!(admin::job))
        .routes(routes!(admin::models))
        .routes(routes!(admin::activate))
        .route_layer(from_fn_with_state(app.guard.clone(), require_admin));

    // Imports stream large bodies: their own size limit, checked while reading.
    let imports = OpenApiRouter::new()
        .routes(routes!(catalog::import_items))
        .routes(routes!(catalog::import_users))
        .route_layer(from_fn_with_state(app.guard.clone(), require_admin))
        .layer(DefaultBodyLimit::disable());

    let (routes, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(public)
        .merge(read.layer(DefaultBodyLimit::max(app.config.limits.max_body_bytes)))
        .merge(admin.layer(DefaultBodyLimit::max(app.config.limits.max_body_bytes)))
        .merge(imports)
        .split_for_parts();
    let spec = Arc::new(api.to_pretty_json().unwrap_or_else(|_| "{}".into()));

    routes
        .route("/", get(health::page))
        .route(
            "/openapi.json",
            get(move || {
                let spec = spec.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        (*spec).clone(),
                    )
                }
            }),
        )
        .fallback(|| async { ApiError::not_found("no such route; see /openapi.json") })
        .layer(map_response(json_method_not_allowed))
        .layer(from_fn_with_state(app.metrics.clone(), record))
        .with_state(app)
}

/// axum answers a known path with the wrong method by an empty 405; give it a JSON body
/// like every other error.
async fn json_method_not_allowed(response: Response) -> Response {
    if response.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        return ApiError::new(
            response.status(),
            "method_not_allowed",
            "this route does not take that method; see /openapi.json",
        )
        .into_response();
    }
    response
}
