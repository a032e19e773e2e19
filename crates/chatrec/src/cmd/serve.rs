//! `chatrec serve`: configuration, first-start import and training, then the server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chatrec_core::Dataset;
use chatrec_dialogue::{Engine, EngineOptions};
use chatrec_models::Recommender;
use chatrec_server::data::records_of;
use chatrec_server::training::{train_and_publish, TrainSpec};
use chatrec_server::{App, EngineFactory, ServerConfig};
use chatrec_store::Store;

use crate::cli::ServeArgs;
use crate::dialogue::build_engine;
use crate::embedding::EmbedderArgs;
use crate::progress::Bars;

pub fn serve(args: ServeArgs, quiet: bool) -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(config, args, quiet))
}

fn config(args: &ServeArgs) -> Result<ServerConfig> {
    let mut config = ServerConfig::load(args.config.as_deref(), |name| std::env::var(name).ok())?;
    if let Some(listen) = &args.listen {
        config.listen = listen.clone();
    }
    if let Some(data) = &args.data {
        config.data = data.clone();
    }
    if let Some(store) = &args.store {
        config.store = Some(store.clone());
    }
    if !args.admin_keys.is_empty() {
        config.auth.admin_keys = args.admin_keys.clone();
    }
    if !args.read_keys.is_empty() {
        config.auth.read_keys = args.read_keys.clone();
    }
    if let Some(rate) = args.rate_limit {
        config.limits.rate_per_second = rate;
    }
    if let Some(model) = &args.model {
        config.model.name = model.clone();
    }
    if let Some(provider) = &args.llm {
        config.llm.provider = provider.parse().map_err(anyhow::Error::msg)?;
    }
    config.llm = config.llm.clone().with_env();
    config.validate()?;
    Ok(config)
}

async fn run(config: ServerConfig, args: ServeArgs, quiet: bool) -> Result<()> {
    let url = config.store_url();
    let store = chatrec_store::open(&url).await.with_context(|| {
        format!(
            "cannot open the store {}",
            chatrec_store::redacted_url(&url)
        )
    })?;
    tracing::info!(backend = %store.backend(), "store open");

    if !args.no_import {
        import_if_empty(store.as_ref(), &config.data, quiet).await?;
    }
    if store.active_model_version().await?.is_none() && store.counts().await?.feedback_events > 0 {
        let spec = TrainSpec::from(&config.model);
        tracing::info!(model = %spec.model, "no model version yet: training the first one");
        let trained = train_and_publish(store.as_ref(), &spec, Arc::new(Bars::new(quiet)))
            .await
            .context("cannot train the first model")?;
        tracing::info!(
            version = trained.version.0,
            model = %trained.model,
            seconds = format!("{:.1}", trained.fit_seconds),
            "first model trained and activated"
        );
    }

    let assistant = crate::llm::assistant_from(&config.llm, &config.data)?;
    if let Some(assistant) = &assistant {
        tracing::info!(model = %assistant.model().name(), tasks = ?assistant.tasks(), "language model on");
    }
    let factory = Arc::new(DialogueEngine {
        data: config.data.clone(),
        embedding: args.embedding.clone(),
        assistant,
    });
    let app = App::new(config, store.clone(), factory).await?;
    match app.live.get() {
        Some(live) => tracing::info!(
            version = live.version.0,
            model = %live.model_name,
            "serving"
        ),
        None => tracing::warn!(
            "no model version is active: answering 503 until one is trained (POST /admin/train)"
        ),
    }
    if app.config.auth.admin_keys.is_empty() {
        tracing::warn!("no admin key: writes and administration are refused (--admin-key)");
    }
    tracing::info!("listening on http://{}", app.config.listen);
    chatrec_server::serve(app, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Imports the data set in `data` when the store has no items yet: the first start of a
/// fresh deployment. Users and items are upserts and the events go in one transaction, so
/// an interrupted import leaves either no events (the next start imports them) or all.
/// Start replicas only after the first server is ready, so that one server imports.
async fn import_if_empty(store: &dyn Store, data: &Path, quiet: bool) -> Result<()> {
    let counts = store.counts().await?;
    if counts.feedback_events > 0 || counts.model_versions > 0 {
        return Ok(());
    }
    if !data.exists() {
        tracing::warn!(
            "the store is empty and there is no data at {}: import items, users and feedback \
             through the API, or fetch a data set with `chatrec data fetch movielens-100k`",
            data.display()
        );
        return Ok(());
    }
    if counts.items > 0 {
        tracing::warn!(
            items = counts.items,
            "the store has items but no feedback: not importing {} over them",
            data.display()
        );
        return Ok(());
    }
    let dataset = crate::data::load(data, &Default::default(), quiet)?;
    let (items, users, events) = records_of(&dataset);
    tracing::info!(
        items = items.len(),
        users = users.len(),
        events = events.len(),
        "importing {} into the empty store",
        data.display()
    );
    store.upsert_users(&users).await?;
    store.upsert_items(&items).await?;
    store.insert_feedback(&events).await?;
    Ok(())
}

/// Builds the dialogue engine as `chatrec chat` does: knowledge graph and semantic search
/// from the data folder when present.
struct DialogueEngine {
    data: PathBuf,
    embedding: EmbedderArgs,
    /// Shared by every engine version, so its counts cover the server's whole life.
    assistant: Option<Arc<chatrec_llm::LlmAssistant>>,
}

impl EngineFactory for DialogueEngine {
    fn build(
        &self,
        dataset: Dataset,
        model: Arc<dyn Recommender>,
    ) -> Result<Engine, Box<dyn std::error::Error + Send + Sync>> {
        build_engine(
            &self.data,
            dataset,
            model,
            EngineOptions::default(),
            &self.embedding,
            true,
        )
        .map(|engine| crate::llm::attach(engine, &self.assistant))
        .map_err(|e| format!("{e:#}").into())
    }
}

/// Resolves on Ctrl-C or SIGTERM: the server then finishes requests in flight.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
