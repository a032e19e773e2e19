//! Which model, where, and how patiently: one configuration for the CLI flags, the
//! environment and the server's TOML file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::assistant::TaskSwitches;
use crate::chat::ChatModel;
use crate::error::LlmError;
use crate::openai::{OpenAiConfig, OpenAiModel, StructuredOutput};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// The built-in language layer only.
    #[default]
    None,
    /// An OpenAI-compatible server.
    Openai,
    /// A GGUF model in-process (feature `local`).
    Local,
}

impl std::str::FromStr for ProviderKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(ProviderKind::None),
            "openai" => Ok(ProviderKind::Openai),
            "local" => Ok(ProviderKind::Local),
            other => Err(format!(
                "unknown LLM provider `{other}` (expected openai, local or none)"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    pub provider: ProviderKind,
    /// OpenAI-compatible base URL, up to `/v1` (env `CHATREC_LLM_BASE_URL`).
    pub base_url: String,
    /// Model name sent to the server (env `CHATREC_LLM_MODEL`).
    pub model: String,
    /// Bearer token (env `CHATREC_LLM_API_KEY`, else `OPENAI_API_KEY`). Never logged or
    /// written back.
    #[serde(skip_serializing)]
    pub api_key: Option<String>,
    /// GGUF file for `local`; `None` means the fetched SmolLM2.
    pub model_path: Option<PathBuf>,
    pub timeout_secs: f64,
    pub max_retries: u32,
    pub concurrency: usize,
    pub stream: bool,
    /// Send `response_format` with a JSON schema: "auto", "always" or "never".
    pub structured_output: String,
    /// Tasks the model does: any of understand, rerank, phrase, or "all".
    pub tasks: String,
    /// CPU threads for `local` (0 = all cores).
    pub threads: usize,
    /// Context window for `local`, in tokens.
    pub context_tokens: u32,
    pub seed: u64,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            provider: ProviderKind::None,
            base_url: "http://127.0.0.1:8080/v1".into(),
            model: "default".into(),
            api_key: None,
            model_path: None,
            timeout_secs: 60.0,
            max_retries: 2,
            concurrency: 4,
            stream: true,
            structured_output: "auto".into(),
            tasks: "all".into(),
            threads: 0,
            context_tokens: 4096,
            seed: 42,
        }
    }
}

impl LlmConfig {
    /// Fills what the environment sets and the configuration leaves at its default.
    pub fn with_env(mut self) -> Self {
        let defaults = LlmConfig::default();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if self.base_url == defaults.base_url {
            if let Some(url) = var("CHATREC_LLM_BASE_URL") {
                self.base_url = url;
            }
        }
        if self.model == defaults.model {
            if let Some(model) = var("CHATREC_LLM_MODEL") {
                self.model = model;
            }
        }
        if self.api_key.is_none() {
            self.api_key = var("CHATREC_LLM_API_KEY").or_else(|| var("OPENAI_API_KEY"));
        }
        self
    }

    pub fn task_switches(&self) -> Result<TaskSwitches, LlmError> {
        TaskSwitches::parse(&self.tasks).map_err(LlmError::Config)
    }

    fn structured(&self) -> Result<StructuredOutput, LlmError> {
        match self.structured_output.as_str() {
            "auto" => Ok(StructuredOutput::Auto),
            "always" => Ok(StructuredOutput::Always),
            "never" => Ok(StructuredOutput::Never),
            other => Err(LlmError::Config(format!(
                "structured_output `{other}` (expected auto, always or never)"
            ))),
        }
    }

    /// The configured model; `None` for the built-in layer. `default_model_path` is the
    /// GGUF used by `local` when the configuration names none.
    pub fn connect(
        &self,
        default_model_path: Option<PathBuf>,
    ) -> Result<Option<Arc<dyn ChatModel>>, LlmError> {
        self.task_switches()?;
        if !(self.timeout_secs.is_finite() && self.timeout_secs > 0.0) {
            return Err(LlmError::Config(format!(
                "timeout_secs must be positive, not {}",
                self.timeout_secs
            )));
        }
        match self.provider {
            ProviderKind::None => Ok(None),
            ProviderKind::Openai => {
                let mut config = OpenAiConfig::new(&self.base_url, &self.model);
                config.api_key = self.api_key.clone();
                config.timeout = Duration::from_secs_f64(self.timeout_secs);
                config.max_retries = self.max_retries;
                config.concurrency = self.concurrency;
                config.stream = self.stream;
                config.structured = self.structured()?;
                Ok(Some(Arc::new(OpenAiModel::new(config)?)))
            }
            ProviderKind::Local => self.connect_local(default_model_path),
        }
    }

    #[cfg(feature = "local")]
    fn connect_local(
        &self,
        default_model_path: Option<PathBuf>,
    ) -> Result<Option<Arc<dyn ChatModel>>, LlmError> {
        let path = self
            .model_path
            .clone()
            .or(default_model_path)
            .ok_or_else(|| {
                LlmError::Config(
                    "no GGUF model: run `chatrec models fetch smollm2` or pass --llm-model-path"
                        .into(),
                )
            })?;
        let model = crate::local::LocalModel::load(
            &path,
            crate::local::LocalOptions {
                threads: self.threads,
                context_tokens: self.context_tokens,
            },
        )?;
        Ok(Some(Arc::new(model)))
    }

    #[cfg(not(feature = "local"))]
    fn connect_local(
        &self,
        _default_model_path: Option<PathBuf>,
    ) -> Result<Option<Arc<dyn ChatModel>>, LlmError> {
        Err(LlmError::Config(
            "this build has no local models: rebuild with the `local-llm` feature".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_named_on_the_command_line() {
        assert_eq!("openai".parse(), Ok(ProviderKind::Openai));
        assert!("gpt".parse::<ProviderKind>().is_err());
    }

    #[test]
    fn none_needs_nothing_and_bad_settings_are_refused() {
        assert!(LlmConfig::default().connect(None).expect("none").is_none());
        let bad_tasks = LlmConfig {
            tasks: "summarise".into(),
            ..LlmConfig::default()
        };
        assert!(bad_tasks.connect(None).is_err());
        let bad_timeout = LlmConfig {
            provider: ProviderKind::Openai,
            timeout_secs: 0.0,
            ..LlmConfig::default()
        };
        assert!(bad_timeout.connect(None).is_err());
    }
}
