//! Server configuration: a TOML file, then `CHATREC_*` environment variables over it, then
//! command-line flags over both (the binary applies those).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Everything `chatrec serve` can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// Store URL: `sqlite://PATH` or `postgres://…`; default `sqlite://<data>/chatrec.db`.
    pub store: Option<String>,
    /// Data folder: the data set imported into an empty store, the knowledge graph, the
    /// sentence-embedding model.
    pub data: PathBuf,
    pub model: ModelConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    /// How often every server checks the store for a newly activated model version or
    /// changed catalog, in milliseconds.
    pub refresh_interval_ms: u64,
    /// The language model in the dialogue (`[llm]`: provider = "none" | "local" | "openai",
    /// base_url, model, model_path, tasks, timeout_secs, max_retries, concurrency, ...); the
    /// API key comes from CHATREC_LLM_API_KEY or OPENAI_API_KEY.
    pub llm: chatrec_llm::LlmConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:7878".into(),
            store: None,
            data: PathBuf::from("data"),
            model: ModelConfig::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            refresh_interval_ms: 1000,
            llm: chatrec_llm::LlmConfig::default(),
        }
    }
}

/// The model trained when the store has none, and by `POST /admin/train` by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// Registry name (`chatrec models`); `best` is the project's best default.
    pub name: String,
    /// Hyper-parameters over the model's defaults.
    pub params: BTreeMap<String, String>,
    pub seed: u64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            name: "best".into(),
            params: BTreeMap::new(),
            seed: 42,
        }
    }
}

/// API keys. Admin keys may do everything; read keys may read, get recommendations and
/// chat. With no read keys, reading and chatting are open to anyone; writes always need an
/// admin key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub admin_keys: Vec<String>,
    pub read_keys: Vec<String>,
}

/// Limits on what one client may ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body, in bytes (bulk imports have their own limit).
    pub max_body_bytes: usize,
    /// Largest body of a streamed bulk import, in bytes.
    pub max_import_bytes: usize,
    /// Requests per second allowed per API key (or per client address without a key);
    /// 0 turns rate limiting off.
    pub rate_per_second: u32,
    /// Requests a client may make at once above the steady rate.
    pub rate_burst: u32,
    /// Conversations kept in memory; older ones are rebuilt from the store when used again.
    pub sessions_in_memory: usize,
    /// Largest `n` of a recommendation request.
    pub max_items_per_request: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_import_bytes: 256 << 20,
            rate_per_second: 1000,
            rate_burst: 2000,
            sessions_in_memory: 10_000,
            max_items_per_request: 1000,
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// toml's message names the line and column.
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid environment variable {name}={value:?}: {reason}")]
    Env {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl ServerConfig {
    /// The file at `path` (defaults when `None`), then the `CHATREC_*` variables `env` gives.
    pub fn load(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                Self::parse(&text, &path.display().to_string())?
            }
            None => Self::default(),
        };
        config.apply_env(env)?;
        Ok(config)
    }

    /// A config from TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_owned(),
            message: e.to_string(),
        })
    }

    /// Overrides from `CHATREC_LISTEN`, `CHATREC_STORE`, `CHATREC_DATA`, `CHATREC_MODEL`,
    /// `CHATREC_ADMIN_KEYS` and `CHATREC_READ_KEYS` (comma-separated), `CHATREC_RATE_LIMIT`,
    /// `CHATREC_RATE_BURST`, `CHATREC_MAX_BODY_BYTES`, `CHATREC_REFRESH_MS`.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = env("CHATREC_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = env("CHATREC_STORE") {
            self.store = Some(v);
        }
        if let Some(v) = env("CHATREC_DATA") {
            self.data = PathBuf::from(v);
        }
        if let Some(v) = env("CHATREC_MODEL") {
            self.model.name = v;
        }
        if let Some(v) = env("CHATREC_ADMIN_KEYS") {
            self.auth.admin_keys = split_keys(&v);
        }
        if let Some(v) = env("CHATREC_READ_KEYS") {
            self.auth.read_keys = split_keys(&v);
        }
        if let Some(v) = env("CHATREC_RATE_LIMIT") {
            self.limits.rate_per_second = number("CHATREC_RATE_LIMIT", v)?;
        }
        if let Some(v) = env("CHATREC_RATE_BURST") {
            self.limits.rate_burst = number("CHATREC_RATE_BURST", v)?;
        }
        if let Some(v) = env("CHATREC_MAX_BODY_BYTES") {
            self.limits.max_body_bytes = number("CHATREC_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = env("CHATREC_REFRESH_MS") {
            self.refresh_interval_ms = number("CHATREC_REFRESH_MS", v)?;
        }
        Ok(())
    }

    /// The store URL, defaulting to a SQLite file in the data folder.
    pub fn store_url(&self) -> String {
        self.store
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data.join("chatrec.db").display()))
    }

    /// Refuses settings that cannot work, before anything starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.limits.max_body_bytes < 1024 {
            return invalid(format!(
                "limits.max_body_bytes = {} is below 1024",
                self.limits.max_body_bytes
            ));
        }
        if self.limits.rate_per_second > 0 && self.limits.rate_burst == 0 {
            return invalid("limits.rate_burst must be at least 1 when rate limiting is on".into());
        }
        if self.limits.sessions_in_memory == 0 || self.limits.max_items_per_request == 0 {
            return invalid(
                "limits.sessions_in_memory and limits.max_items_per_request must be at least 1"
                    .into(),
            );
        }
        if self.refresh_interval_ms == 0 {
            return invalid("refresh_interval_ms must be at least 1".into());
        }
        let keys = self.auth.admin_keys.iter().chain(&self.auth.read_keys);
        if let Some(short) = keys.clone().find(|k| k.len() < 16) {
            return invalid(format!(
                "API key {}… is shorter than 16 characters; use long random keys \
                 (for example `openssl rand -hex 24`)",
                short.chars().take(3).collect::<String>()
            ));
        }
        if let Some(both) = self
            .auth
            .admin_keys
            .iter()
            .find(|k| self.auth.read_keys.contains(k))
        {
            return invalid(format!(
                "API key {}… is both an admin and a read key",
                both.chars().take(3).collect::<String>()
            ));
        }
        Ok(())
    }
}

fn split_keys(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| ConfigError::Env {
        name,
        value,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let mut config = ServerConfig::parse(
            "listen = \"0.0.0.0:9000\"\n[auth]\nadmin_keys = [\"aaaaaaaaaaaaaaaaaaaa\"]\n\
             [limits]\nrate_per_second = 5\n",
            "test.toml",
        )
        .expect("valid");
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(config.limits.rate_per_second, 5);
        assert_eq!(config.limits.rate_burst, LimitsConfig::default().rate_burst);
        config
            .apply_env(|name| match name {
                "CHATREC_READ_KEYS" => Some("rrrrrrrrrrrrrrrrrrrr, ssssssssssssssssssss".into()),
                "CHATREC_RATE_LIMIT" => Some("7".into()),
                _ => None,
            })
            .expect("valid env");
        assert_eq!(config.auth.read_keys.len(), 2);
        assert_eq!(config.limits.rate_per_second, 7);
        config.validate().expect("valid");
    }

    #[test]
    fn errors_name_the_line_and_the_variable() {
        let error = ServerConfig::parse("refresh_interval_ms = 5\nlisten = 1\n", "bad.toml")
            .expect_err("invalid");
        let text = error.to_string();
        assert!(
            text.contains("bad.toml") && text.contains("line 2"),
            "{text}"
        );

        let error = ServerConfig::parse("[limits]\nbogus = 2\n", "bad.toml").expect_err("unknown");
        assert!(error.to_string().contains("bogus"), "{error}");

        let mut config = ServerConfig::default();
        let error = config
            .apply_env(|name| (name == "CHATREC_RATE_LIMIT").then(|| "fast".into()))
            .expect_err("not a number");
        assert!(error.to_string().contains("CHATREC_RATE_LIMIT"), "{error}");
    }

    #[test]
    fn weak_or_shared_keys_are_refused() {
        let mut config = ServerConfig::default();
        config.auth.admin_keys = vec!["short".into()];
        assert!(config.validate().is_err());
        config.auth.admin_keys = vec!["k".repeat(20)];
        config.auth.read_keys = vec!["k".repeat(20)];
        assert!(config.validate().is_err());
        config.auth.read_keys.clear();
        config.validate().expect("valid");
        assert!(no_env("x").is_none());
    }

    #[test]
    fn the_default_store_is_a_file_in_the_data_folder() {
        let config = ServerConfig::default();
        assert_eq!(config.store_url(), "sqlite://data/chatrec.db");
    }
}
