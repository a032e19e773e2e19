//! One interface for every provider: messages in, text out, with the tokens and time it
//! took. Structured tasks ask for JSON; a provider enforces the shape however it can (a
//! server's `response_format`, llama.cpp's grammar) and the caller validates regardless.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::error::LlmError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// The shape an answer must have.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputFormat {
    Text,
    /// A JSON value: `schema` (JSON Schema) for servers with structured output, `grammar`
    /// (GBNF, root rule `root`) for llama.cpp's constrained sampling. Both describe the
    /// same documents.
    Json {
        name: String,
        schema: serde_json::Value,
        grammar: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest {
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    /// 0 = greedy: the same prompt gives the same answer.
    pub temperature: f32,
    pub seed: u64,
    pub format: OutputFormat,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub latency: Duration,
}

/// A chat model: a server or an in-process model. Calls block; each may run on its own
/// thread (providers bound their own concurrency).
pub trait ChatModel: Send + Sync {
    /// A short name for logs and reports: "openai:<model>", "local:<file>".
    fn name(&self) -> &str;
    fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmError>;
    /// Totals since the model was created.
    fn usage(&self) -> UsageCounts;
}

/// Totals of a model's calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UsageCounts {
    pub requests: u64,
    pub failures: u64,
    /// Attempts made again after a retryable failure.
    pub retries: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Wall time of successful requests, in microseconds.
    pub latency_micros: u64,
}

impl UsageCounts {
    /// Mean latency of successful requests.
    pub fn mean_latency(&self) -> Duration {
        let done = self.requests.saturating_sub(self.failures);
        self.latency_micros
            .checked_div(done)
            .map_or(Duration::ZERO, Duration::from_micros)
    }
}

/// Lock-free accumulation of [`UsageCounts`], shared by a provider's threads.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    requests: AtomicU64,
    failures: AtomicU64,
    retries: AtomicU64,
    prompt_tokens: AtomicU64,
    completion_tokens: AtomicU64,
    latency_micros: AtomicU64,
}

impl Usage {
    pub(crate) fn record(&self, result: &Result<Completion, LlmError>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(done) => {
                self.prompt_tokens
                    .fetch_add(done.prompt_tokens, Ordering::Relaxed);
                self.completion_tokens
                    .fetch_add(done.completion_tokens, Ordering::Relaxed);
                let micros = u64::try_from(done.latency.as_micros()).unwrap_or(u64::MAX);
                self.latency_micros.fetch_add(micros, Ordering::Relaxed);
            }
            Err(_) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> UsageCounts {
        UsageCounts {
            requests: self.requests.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            prompt_tokens: self.prompt_tokens.load(Ordering::Relaxed),
            completion_tokens: self.completion_tokens.load(Ordering::Relaxed),
            latency_micros: self.latency_micros.load(Ordering::Relaxed),
        }
    }
}
