//! `--llm openai|local|none` and its settings, shared by chat, eval, eval-dialogue, bench
//! and serve.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chatrec_dialogue::{Assistant, Engine};
use chatrec_llm::models::smollm2_path;
use chatrec_llm::{LlmAssistant, LlmConfig, ProviderKind};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct LlmArgs {
    /// Language model in the dialogue: `none` (the built-in layer, offline), `local` (a GGUF
    /// model in-process; default SmolLM2 from `chatrec models fetch smollm2`) or `openai` (any
    /// OpenAI-compatible server: --llm-url, --llm-model; key from CHATREC_LLM_API_KEY or
    /// OPENAI_API_KEY).
    #[arg(long, default_value = "none", value_parser = clap::builder::PossibleValuesParser::new(["none", "local", "openai"]))]
    pub llm: String,
    /// Tasks the model does, comma-separated: understand, rerank, phrase, or all. The
    /// built-in layer does the rest, and any task the model answers invalidly twice.
    #[arg(long = "llm-tasks", default_value = "all")]
    pub llm_tasks: String,
    /// Base URL of the OpenAI-compatible server, up to /v1 (default: CHATREC_LLM_BASE_URL,
    /// else http://127.0.0.1:8080/v1).
    #[arg(long = "llm-url")]
    pub llm_url: Option<String>,
    /// Model name sent to the server (default: CHATREC_LLM_MODEL, else "default").
    #[arg(long = "llm-model")]
    pub llm_model: Option<String>,
    /// GGUF file for --llm local (default: DATA/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf).
    #[arg(long = "llm-model-path")]
    pub llm_model_path: Option<PathBuf>,
    /// Seconds a server may take for one request (retries come on top).
    #[arg(long = "llm-timeout", default_value_t = 60.0)]
    pub llm_timeout: f64,
    /// CPU threads for --llm local (0 = every core).
    #[arg(long = "llm-threads", default_value_t = 0)]
    pub llm_threads: usize,
}

impl LlmArgs {
    pub fn enabled(&self) -> bool {
        self.llm != "none"
    }

    pub fn config(&self) -> Result<LlmConfig> {
        let provider: ProviderKind = self.llm.parse().map_err(anyhow::Error::msg)?;
        let mut config = LlmConfig {
            provider,
            tasks: self.llm_tasks.clone(),
            model_path: self.llm_model_path.clone(),
            timeout_secs: self.llm_timeout,
            threads: self.llm_threads,
            ..LlmConfig::default()
        }
        .with_env();
        if let Some(url) = &self.llm_url {
            config.base_url = url.clone();
        }
        if let Some(model) = &self.llm_model {
            config.model = model.clone();
        }
        Ok(config)
    }

    /// The assistant for this run, or `None` with `--llm none`.
    pub fn assistant(&self, data: &Path) -> Result<Option<Arc<LlmAssistant>>> {
        assistant_from(&self.config()?, data)
    }
}

/// The assistant a configuration describes; `data` locates the default local model.
pub fn assistant_from(config: &LlmConfig, data: &Path) -> Result<Option<Arc<LlmAssistant>>> {
    let default_path = data_dir(data).map(|d| smollm2_path(&d));
    let Some(model) = config
        .connect(default_path)
        .context("cannot start the language model")?
    else {
        return Ok(None);
    };
    let tasks = config.task_switches()?;
    Ok(Some(Arc::new(LlmAssistant::new(model, tasks, config.seed))))
}

/// `engine` with `assistant` in its language seams, when there is one.
pub fn attach(engine: Engine, assistant: &Option<Arc<LlmAssistant>>) -> Engine {
    match assistant {
        Some(assistant) => engine.with_assistant(assistant.clone()),
        None => engine,
    }
}

/// The data directory of `--data` (which may name a file inside it).
fn data_dir(data: &Path) -> Option<PathBuf> {
    if data.is_dir() {
        Some(data.to_path_buf())
    } else {
        data.parent().map(Path::to_path_buf)
    }
}

/// One line about what the model did: answers and fallbacks per task, tokens and time.
pub fn summary(assistant: &LlmAssistant) -> String {
    let counts = assistant.counts();
    let usage = assistant.model().usage();
    format!(
        "{}: understand {}/{} answered, rerank {}/{}, phrase {}/{} ({} repaired); {} requests, \
         {} failed, {} prompt + {} generated tokens, {:.0} ms mean latency",
        assistant.model().name(),
        counts.understand.answered,
        counts.understand.answered + counts.understand.fallbacks,
        counts.rerank.answered,
        counts.rerank.answered + counts.rerank.fallbacks,
        counts.phrase.answered,
        counts.phrase.answered + counts.phrase.fallbacks,
        counts.understand.repaired + counts.rerank.repaired + counts.phrase.repaired,
        usage.requests,
        usage.failures,
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.mean_latency().as_secs_f64() * 1000.0,
    )
}

/// The model, its answers and fallbacks per task, and its usage, for JSON reports.
pub fn report_json(assistant: &LlmAssistant) -> serde_json::Value {
    serde_json::json!({
        "model": assistant.model().name(),
        "tasks": assistant.tasks(),
        "counts": assistant.counts(),
        "usage": assistant.model().usage(),
    })
}
