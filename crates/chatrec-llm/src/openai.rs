//! Any OpenAI-compatible chat-completions server: OpenAI, Ollama's `/v1`, vLLM, llama.cpp's
//! server, llama-cpp-python's server. Structured output through `response_format` (JSON
//! schema) where the server accepts it, else through a GBNF `grammar` (llama-cpp-python
//! refuses `json_schema`), else plain JSON checked by the caller; streaming over SSE;
//! bounded retries with exponential backoff on 429, 5xx, timeouts and cut streams; at most
//! `concurrency` requests in flight.

use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::chat::{ChatModel, Completion, CompletionRequest, OutputFormat, Usage, UsageCounts};
use crate::error::LlmError;
use crate::limiter::Limiter;

/// The longest wait a server's `Retry-After` may impose on one retry.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Error bodies are kept this long in messages.
const ERROR_BODY_CHARS: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredOutput {
    /// Send `response_format`; if the server rejects it, send the GBNF `grammar` instead,
    /// and if it rejects that too, nothing, for the rest of this run.
    Auto,
    Always,
    /// Never send it: the prompt asks for JSON and the caller validates.
    Never,
}

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Up to and including `/v1`: "http://127.0.0.1:8080/v1".
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    /// Whole request, connection to last byte.
    pub timeout: Duration,
    /// Attempts after the first on retryable failures.
    pub max_retries: u32,
    /// Wait before the first retry; doubled each time.
    pub backoff: Duration,
    pub concurrency: usize,
    pub stream: bool,
    pub structured: StructuredOutput,
}

impl OpenAiConfig {
    pub fn new(base_url: &str, model: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            model: model.to_owned(),
            api_key: None,
            timeout: Duration::from_secs(60),
            max_retries: 2,
            backoff: Duration::from_millis(500),
            concurrency: 4,
            stream: true,
            structured: StructuredOutput::Auto,
        }
    }
}

pub struct OpenAiModel {
    config: OpenAiConfig,
    name: String,
    url: String,
    agent: ureq::Agent,
    limiter: Limiter,
    usage: Usage,
    /// How many [`Constraint`]s the server has refused, in the order `Auto` tries them.
    structured_refused: AtomicU8,
}

/// How a request carries the shape of a JSON answer, in the order `Auto` tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Constraint {
    /// `response_format` `{"type":"json_schema",…}`: OpenAI, vLLM, Ollama, llama.cpp.
    JsonSchema = 0,
    /// `grammar` (GBNF): llama.cpp's and llama-cpp-python's servers. The latter takes only
    /// `text` and `json_object` in `response_format`, and its schema conversion would
    /// leave strings unbounded where the grammar bounds them.
    Grammar = 1,
}

impl OpenAiModel {
    pub fn new(config: OpenAiConfig) -> Result<Self, LlmError> {
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(LlmError::Config(format!(
                "the base URL `{}` must start with http:// or https://",
                config.base_url
            )));
        }
        if config.model.trim().is_empty() {
            return Err(LlmError::Config("a model name is needed".into()));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(config.timeout.min(Duration::from_secs(10)))
            .timeout(config.timeout)
            .build();
        Ok(Self {
            name: format!("openai:{}", config.model),
            url: format!("{}/chat/completions", config.base_url),
            limiter: Limiter::new(config.concurrency),
            config,
            agent,
            usage: Usage::default(),
            structured_refused: AtomicU8::new(0),
        })
    }

    fn constraint(&self) -> Option<Constraint> {
        match self.config.structured {
            StructuredOutput::Always => Some(Constraint::JsonSchema),
            StructuredOutput::Never => None,
            StructuredOutput::Auto => match self.structured_refused.load(Ordering::Relaxed) {
                0 => Some(Constraint::JsonSchema),
                1 => Some(Constraint::Grammar),
                _ => None,
            },
        }
    }

    fn body(&self, request: &CompletionRequest, constraint: Option<Constraint>) -> Value {
        let mut body = json!({
            "model": self.config.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
            "stream": self.config.stream,
        });
        if self.config.stream {
            body["stream_options"] = json!({ "include_usage": true });
        }
        if let OutputFormat::Json {
            name,
            schema,
            grammar,
        } = &request.format
        {
            match constraint {
                Some(Constraint::JsonSchema) => {
                    body["response_format"] = json!({
                        "type": "json_schema",
                        "json_schema": { "name": name, "schema": schema, "strict": true },
                    });
                }
                Some(Constraint::Grammar) => body["grammar"] = json!(grammar),
                None => {}
            }
        }
        body
    }

    /// One HTTP exchange, no retries.
    fn attempt(&self, body: &Value) -> Result<Completion, LlmError> {
        let started = Instant::now();
        let mut call = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json");
        if let Some(key) = &self.config.api_key {
            call = call.set("Authorization", &format!("Bearer {key}"));
        }
        let response = call.send_json(body).map_err(|e| self.http_error(e))?;
        let (text, usage) = if self.config.stream {
            self.read_stream(response.into_reader())?
        } else {
            self.read_whole(response)?
        };
        let (prompt_tokens, completion_tokens) =
            usage.unwrap_or_else(|| (estimate_tokens(&prompt_text(body)), estimate_tokens(&text)));
        Ok(Completion {
            text,
            prompt_tokens,
            completion_tokens,
            latency: started.elapsed(),
        })
    }

    fn read_whole(
        &self,
        response: ureq::Response,
    ) -> Result<(String, Option<(u64, u64)>), LlmError> {
        let value: Value = response.into_json().map_err(|e| self.read_error(e))?;
        let text = value["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| self.malformed("no choices[0].message.content"))?
            .to_owned();
        Ok((text, usage_of(&value)))
    }

    /// Server-sent events: `data: {chunk}` lines until `data: [DONE]`. A stream without a
    /// finish reason was cut, even when it ends with `[DONE]` (llama-cpp-python's server
    /// ends a stream that way when it interrupts it for another request).
    fn read_stream(&self, reader: impl Read) -> Result<(String, Option<(u64, u64)>), LlmError> {
        let mut text = String::new();
        let mut usage = None;
        let mut finished = false;
        for line in BufReader::new(reader).lines() {
            let line = line.map_err(|e| self.read_error(e))?;
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                break;
            }
            let chunk: Value = serde_json::from_str(data)
                .map_err(|e| self.malformed(&format!("a stream chunk is not JSON ({e})")))?;
            if let Some(error) = chunk.get("error") {
                return Err(self.malformed(&format!("the stream reported an error: {error}")));
            }
            if let Some(piece) = chunk["choices"][0]["delta"]["content"].as_str() {
                text.push_str(piece);
            }
            if chunk["choices"][0]["finish_reason"].is_string() {
                finished = true;
            }
            usage = usage_of(&chunk).or(usage);
        }
        if !finished {
            return Err(LlmError::CutStream {
                url: self.url.clone(),
                received: text.chars().count(),
            });
        }
        Ok((text, usage))
    }

    fn http_error(&self, error: ureq::Error) -> LlmError {
        match error {
            ureq::Error::Status(status, response) => {
                let retry_after = response
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(Duration::from_secs_f64);
                let body: String = response
                    .into_string()
                    .unwrap_or_default()
                    .chars()
                    .take(ERROR_BODY_CHARS)
                    .collect();
                LlmError::Status {
                    url: self.url.clone(),
                    status,
                    body,
                    retry_after,
                }
            }
            ureq::Error::Transport(transport) => {
                let reason = transport.to_string();
                if reason.contains("timed out") || reason.contains("Timeout") {
                    LlmError::Timeout {
                        url: self.url.clone(),
                        timeout: self.config.timeout,
                    }
                } else {
                    LlmError::Transport {
                        url: self.url.clone(),
                        reason,
                    }
                }
            }
        }
    }

    fn read_error(&self, error: std::io::Error) -> LlmError {
        match error.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => LlmError::Timeout {
                url: self.url.clone(),
                timeout: self.config.timeout,
            },
            std::io::ErrorKind::InvalidData => self.malformed(&error.to_string()),
            _ => LlmError::Transport {
                url: self.url.clone(),
                reason: error.to_string(),
            },
        }
    }

    fn malformed(&self, reason: &str) -> LlmError {
        LlmError::Malformed {
            url: self.url.clone(),
            reason: reason.to_owned(),
        }
    }

    /// The wait before retry number `retry` (0-based): the server's `Retry-After` when it
    /// sent one, else the doubling backoff.
    fn wait_before(&self, retry: u32, error: &LlmError) -> Duration {
        let doubling = self.config.backoff.saturating_mul(1 << retry.min(10));
        match error {
            LlmError::Status {
                retry_after: Some(wait),
                ..
            } => (*wait).min(MAX_RETRY_AFTER),
            _ => doubling,
        }
    }
}

impl ChatModel for OpenAiModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmError> {
        let _permit = self.limiter.acquire();
        let started = Instant::now();
        let constrained = matches!(request.format, OutputFormat::Json { .. });
        let mut constraint = self.constraint().filter(|_| constrained);
        let mut retry = 0;
        let result = loop {
            let outcome = self.attempt(&self.body(request, constraint));
            match (outcome, constraint) {
                (Err(error), Some(refused))
                    if self.config.structured == StructuredOutput::Auto && refuses(&error) =>
                {
                    // The server does not take this constraint: try the next one, or none.
                    self.structured_refused
                        .fetch_max(refused as u8 + 1, Ordering::Relaxed);
                    constraint = self.constraint();
                    self.usage.retried();
                }
                (Err(error), _) if error.is_retryable() && retry < self.config.max_retries => {
                    std::thread::sleep(self.wait_before(retry, &error));
                    retry += 1;
                    self.usage.retried();
                }
                (done, _) => break done,
            }
        };
        let result = result.map(|mut done| {
            done.latency = started.elapsed();
            done
        });
        self.usage.record(&result);
        result
    }

    fn usage(&self) -> UsageCounts {
        self.usage.snapshot()
    }
}

/// Whether a failure is the server refusing a request's constraint: 400 or 422, or the 500
/// llama-cpp-python's server answers a request that fails its validation with, naming the
/// field.
fn refuses(error: &LlmError) -> bool {
    match error {
        LlmError::Status {
            status: 400 | 422, ..
        } => true,
        LlmError::Status {
            status: 500, body, ..
        } => body.contains("response_format") || body.contains("grammar"),
        _ => false,
    }
}

fn usage_of(value: &Value) -> Option<(u64, u64)> {
    let usage = value.get("usage")?;
    Some((
        usage["prompt_tokens"].as_u64()?,
        usage["completion_tokens"].as_u64()?,
    ))
}

/// About four characters a token in English: used only when a server reports no usage.
/// The messages' contents: what a server's tokenizer would count as the prompt.
fn prompt_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m["content"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configuration_is_refused_up_front() {
        assert!(OpenAiModel::new(OpenAiConfig::new("localhost:8080/v1", "m")).is_err());
        assert!(OpenAiModel::new(OpenAiConfig::new("http://localhost:8080/v1", " ")).is_err());
    }

    #[test]
    fn llama_cpp_pythons_validation_error_is_a_refusal_and_other_500s_are_not() {
        let status = |status: u16, body: &str| LlmError::Status {
            url: "u".into(),
            status,
            body: body.into(),
            retry_after: None,
        };
        let refusal = r#"{"error":{"message":"1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\""#;
        assert!(refuses(&status(500, refusal)));
        assert!(refuses(&status(422, "{}")));
        assert!(!refuses(&status(500, r#"{"error":"boom"}"#)));
        assert!(!refuses(&status(429, "response_format")));
    }
}
