//! chatrec server: the HTTP face of chatrec. The catalog, users and feedback live in a
//! [`chatrec_store::Store`] (SQLite by default, PostgreSQL for several servers); answers come
//! from a [`chatrec_dialogue::Engine`] over the store's active model version, rebuilt
//! whenever another version is activated or the catalog changes.
//!
//! Routes (documented at `/openapi.json`): catalog and users, feedback, recommendations with
//! evidence, conversations (plain and Server-Sent Events), an OpenAI-compatible
//! `/v1/chat/completions`, admin (train, versions), health and Prometheus metrics, and the
//! web chat page at `/`. The engine crates know nothing of HTTP; this crate knows nothing of
//! files: the binary builds the engine ([`EngineFactory`]) and imports data sets.

pub mod app;
pub mod auth;
pub mod config;
pub mod conversations;
pub mod data;
pub mod error;
pub mod extract;
pub mod live;
pub mod metrics;
pub mod routes;
pub mod training;

use std::net::SocketAddr;
use std::sync::Arc;

pub use app::App;
pub use config::ServerConfig;
pub use error::{ApiError, ServeError};
pub use live::{EngineFactory, PlainEngine};
pub use routes::router;

/// Serves `app` on its configured address until `shutdown` resolves, then finishes the
/// requests in flight.
pub async fn serve(
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let address = app.config.listen.clone();
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|source| ServeError::Listen {
            address: address.clone(),
            source,
        })?;
    serve_on(app, listener, shutdown).await
}

/// Serves on an already bound listener (tests bind port 0).
pub async fn serve_on(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    app.spawn_refresher();
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
