//! Why a model call failed.

use std::time::Duration;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LlmError {
    #[error("{url}: the server answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    #[error("{url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url}: the answer is not a chat completion: {reason}")]
    Malformed { url: String, reason: String },
    #[error(
        "{url}: the stream ended before the answer was complete ({received} characters received)"
    )]
    CutStream { url: String, received: usize },
    #[error("local model {path}: {reason}")]
    Local { path: String, reason: String },
    #[error("invalid LLM configuration: {0}")]
    Config(String),
}

impl LlmError {
    /// Whether trying again may succeed: rate limits, server errors, timeouts, dropped
    /// connections and cut streams; not bad requests or bad configuration.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Status { status, .. } => *status == 429 || *status >= 500,
            LlmError::Timeout { .. } | LlmError::Transport { .. } | LlmError::CutStream { .. } => {
                true
            }
            LlmError::Malformed { .. } | LlmError::Local { .. } | LlmError::Config(_) => false,
        }
    }
}
