//! The OpenAI-compatible client against a scripted local server: successes (whole and
//! streamed), rate limits, server errors, bad requests, timeouts, malformed answers, cut
//! streams, the structured-output fallback, the concurrency bound and the API key.
//!
//! The server is std only: a `TcpListener` on 127.0.0.1:0, one thread per connection,
//! one request per connection (`Connection: close`), the n-th request answered with the
//! n-th scripted reply (the last one repeats).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chatrec_llm::grammar::rerank_format;
use chatrec_llm::openai::{OpenAiConfig, OpenAiModel, StructuredOutput};
use chatrec_llm::{ChatModel, CompletionRequest, LlmError, Message, OutputFormat};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// The scripted server
// ---------------------------------------------------------------------------------------

/// One scripted answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    /// Send `Content-Length`; without it the body ends when the connection closes.
    framed: bool,
    /// Wait this long after reading the request, before answering.
    delay: Duration,
}

impl Reply {
    /// A JSON body with its length.
    fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_owned(),
            framed: true,
            delay: Duration::ZERO,
        }
    }

    /// A chat completion with text and usage.
    fn completion(text: &str, prompt_tokens: u64, completion_tokens: u64) -> Self {
        let body = json!({
            "id": "c1",
            "object": "chat.completion",
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": text },
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        });
        Self::json(200, &body.to_string())
    }

    /// Server-sent events, one `data:` line each, ended by closing the connection.
    fn sse(events: &[String]) -> Self {
        let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
        Self {
            status: 200,
            headers: vec![("Content-Type".into(), "text/event-stream".into())],
            body,
            framed: false,
            delay: Duration::ZERO,
        }
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A stream chunk carrying one piece of text.
fn delta(piece: &str) -> String {
    json!({ "choices": [{ "index": 0, "delta": { "content": piece }, "finish_reason": null }] })
        .to_string()
}

/// What the server received.
#[derive(Clone, Debug)]
struct Recorded {
    /// Request line and headers.
    head: String,
    body: String,
}

impl Recorded {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the request body is JSON")
    }

    /// A header's value, by case-insensitive name.
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

struct Shared {
    script: Vec<Reply>,
    received: Mutex<Vec<Recorded>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

struct FaultServer {
    base_url: String,
    shared: Arc<Shared>,
}

impl FaultServer {
    fn start(script: Vec<Reply>) -> Self {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            script,
            received: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        });
        let server = shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = server.clone();
                thread::spawn(move || serve(&shared, stream));
            }
        });
        Self {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            shared,
        }
    }

    /// How many requests arrived.
    fn requests(&self) -> usize {
        self.received().len()
    }

    fn received(&self) -> Vec<Recorded> {
        self.shared.received.lock().expect("record lock").clone()
    }

    fn most_in_flight(&self) -> usize {
        self.shared.most_in_flight.load(Ordering::SeqCst)
    }

    /// A client for this server: fast backoff, no streaming, no structured output.
    fn config(&self) -> OpenAiConfig {
        let mut config = OpenAiConfig::new(&self.base_url, "test-model");
        config.timeout = Duration::from_secs(5);
        config.max_retries = 2;
        config.backoff = Duration::from_millis(1);
        config.concurrency = 4;
        config.stream = false;
        config.structured = StructuredOutput::Never;
        config
    }
}

/// Answers one connection: read the request, record it, wait, answer, close.
fn serve(shared: &Shared, stream: TcpStream) {
    let Some((head, body)) = read_request(&stream) else {
        return;
    };
    let index = {
        let mut received = shared.received.lock().expect("record lock");
        received.push(Recorded { head, body });
        received.len() - 1
    };
    let reply = &shared.script[index.min(shared.script.len() - 1)];

    // In flight from the request read to the answer's first byte: inside the client's
    // call, so a client that bounds its calls can never be seen over its bound.
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.most_in_flight.fetch_max(now, Ordering::SeqCst);
    thread::sleep(reply.delay);
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);

    let mut answer = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    if reply.framed {
        answer.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    answer.push_str("Connection: close\r\n\r\n");
    answer.push_str(&reply.body);
    let mut stream = stream;
    // The client may have given up (timeouts): a failed write is expected then.
    let _ = stream.write_all(answer.as_bytes());
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// The request head (up to the blank line) and its `Content-Length` body.
fn read_request(stream: &TcpStream) -> Option<(String, String)> {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, String::from_utf8_lossy(&body).into_owned()))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Whatever",
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn text_request() -> CompletionRequest {
    CompletionRequest {
        messages: vec![Message::system("Be brief."), Message::user("Say hello.")],
        max_tokens: 32,
        temperature: 0.0,
        seed: 7,
        format: OutputFormat::Text,
    }
}

fn json_request() -> CompletionRequest {
    let ids: Vec<String> = ["50", "181", "172"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    CompletionRequest {
        format: rerank_format(&ids, 2),
        ..text_request()
    }
}

const RERANKED: &str = r#"{"items":[{"id":"50","reason":"a"},{"id":"172","reason":"b"}]}"#;

fn model(config: OpenAiConfig) -> OpenAiModel {
    OpenAiModel::new(config).expect("a valid configuration")
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn plain_success_returns_text_and_usage_and_counts_one_request() {
    let server = FaultServer::start(vec![Reply::completion("Hello there.", 11, 3)]);
    let model = model(server.config());

    let done = model.complete(&text_request()).expect("the call succeeds");

    assert_eq!(done.text, "Hello there.");
    assert_eq!((done.prompt_tokens, done.completion_tokens), (11, 3));
    let usage = model.usage();
    assert_eq!(usage.requests, 1);
    assert_eq!(usage.failures, 0);
    assert_eq!(usage.retries, 0);
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (11, 3));
    assert_eq!(server.requests(), 1);
    let sent = server.received()[0].json();
    assert_eq!(sent["model"], "test-model");
    assert_eq!(sent["stream"], false);
    assert_eq!(sent["messages"][1]["role"], "user");
    assert_eq!(sent["messages"][1]["content"], "Say hello.");
}

#[test]
fn streamed_success_concatenates_the_deltas_and_reads_usage() {
    let last = json!({
        "choices": [{ "index": 0, "delta": {}, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24 },
    })
    .to_string();
    let server = FaultServer::start(vec![Reply::sse(&[
        delta("Hel"),
        delta("lo, "),
        delta("world."),
        last,
        "[DONE]".to_owned(),
    ])]);
    let mut config = server.config();
    config.stream = true;
    let model = model(config);

    let done = model
        .complete(&text_request())
        .expect("the stream completes");

    assert_eq!(done.text, "Hello, world.");
    assert_eq!((done.prompt_tokens, done.completion_tokens), (20, 4));
    assert_eq!(model.usage().requests, 1);
    let sent = server.received()[0].json();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
}

#[test]
fn rate_limit_with_retry_after_is_retried_once_then_succeeds() {
    let server = FaultServer::start(vec![
        Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("Retry-After", "0"),
        Reply::completion("ok", 5, 1),
    ]);
    let model = model(server.config());

    let done = model.complete(&text_request()).expect("the retry succeeds");

    assert_eq!(done.text, "ok");
    let usage = model.usage();
    assert_eq!(usage.retries, 1);
    assert_eq!(usage.requests, 1);
    assert_eq!(usage.failures, 0);
    assert_eq!(server.requests(), 2);
}

#[test]
fn server_errors_are_retried_max_retries_times_then_reported() {
    let server = FaultServer::start(vec![Reply::json(500, r#"{"error":"boom"}"#)]);
    let mut config = server.config();
    config.max_retries = 2;
    let model = model(config);

    let error = model
        .complete(&text_request())
        .expect_err("every attempt fails");

    assert!(
        matches!(error, LlmError::Status { status: 500, .. }),
        "got {error:?}"
    );
    assert_eq!(server.requests(), 3, "one attempt and two retries");
    let usage = model.usage();
    assert_eq!(usage.failures, 1);
    assert_eq!(usage.requests, 1);
    assert_eq!(usage.retries, 2);
}

#[test]
fn bad_request_is_not_retried_without_structured_output() {
    let server = FaultServer::start(vec![
        Reply::json(400, r#"{"error":"bad request"}"#),
        Reply::completion("never sent", 1, 1),
    ]);
    let mut config = server.config();
    config.structured = StructuredOutput::Never;
    let model = model(config);

    let error = model.complete(&json_request()).expect_err("a 400 is final");

    assert!(
        matches!(error, LlmError::Status { status: 400, .. }),
        "got {error:?}"
    );
    assert_eq!(server.requests(), 1);
    assert!(server.received()[0].json().get("response_format").is_none());
    assert_eq!(model.usage().retries, 0);
    assert_eq!(model.usage().failures, 1);
}

#[test]
fn bad_request_for_a_text_answer_is_not_retried_in_auto_mode() {
    let server = FaultServer::start(vec![
        Reply::json(400, r#"{"error":"bad request"}"#),
        Reply::completion(RERANKED, 1, 1),
    ]);
    let mut config = server.config();
    config.structured = StructuredOutput::Auto;
    let model = model(config);

    let error = model.complete(&text_request()).expect_err("a 400 is final");

    assert!(
        matches!(error, LlmError::Status { status: 400, .. }),
        "got {error:?}"
    );
    assert_eq!(
        server.requests(),
        1,
        "no response_format was sent, so none to drop"
    );
    assert_eq!(model.usage().retries, 0);

    // Structured output was not refused: the next JSON call still asks for it.
    model
        .complete(&json_request())
        .expect("the JSON call succeeds");
    assert!(server.received()[1].json().get("response_format").is_some());
}

#[test]
fn slow_server_gives_a_timeout_well_before_it_answers() {
    let server = FaultServer::start(vec![
        Reply::completion("late", 1, 1).after(Duration::from_secs(2))
    ]);
    let mut config = server.config();
    config.timeout = Duration::from_millis(300);
    config.max_retries = 0;
    let model = model(config);

    let started = Instant::now();
    let error = model
        .complete(&text_request())
        .expect_err("the call times out");
    let elapsed = started.elapsed();

    assert!(matches!(error, LlmError::Timeout { .. }), "got {error:?}");
    assert!(
        elapsed < Duration::from_millis(1500),
        "the call took {elapsed:?}"
    );
    assert_eq!(server.requests(), 1);
    assert_eq!(model.usage().failures, 1);
}

#[test]
fn malformed_json_answer_is_reported_and_not_retried() {
    let server = FaultServer::start(vec![Reply::json(200, r#"{"choices": ["#)]);
    let model = model(server.config());

    let error = model
        .complete(&text_request())
        .expect_err("the answer is broken");

    assert!(matches!(error, LlmError::Malformed { .. }), "got {error:?}");
    assert_eq!(server.requests(), 1);
    assert_eq!(model.usage().retries, 0);
}

#[test]
fn cut_stream_is_reported_after_retrying() {
    let server = FaultServer::start(vec![Reply::sse(&[delta("Hel"), delta("lo")])]);
    let mut config = server.config();
    config.stream = true;
    config.max_retries = 1;
    let model = model(config);

    let error = model
        .complete(&text_request())
        .expect_err("the stream is cut");

    match error {
        LlmError::CutStream { received, .. } => assert_eq!(received, 5),
        other => panic!("expected a cut stream, got {other:?}"),
    }
    assert_eq!(server.requests(), 2);
    assert_eq!(model.usage().retries, 1);
    assert_eq!(model.usage().failures, 1);
}

#[test]
fn refused_response_format_falls_back_to_the_grammar_for_the_rest_of_the_run() {
    let server = FaultServer::start(vec![
        Reply::json(400, r#"{"error":"response_format is not supported"}"#),
        Reply::completion(RERANKED, 30, 20),
    ]);
    let mut config = server.config();
    config.structured = StructuredOutput::Auto;
    let model = model(config);

    let first = model
        .complete(&json_request())
        .expect("the fallback succeeds");
    assert_eq!(first.text, RERANKED);
    let second = model
        .complete(&json_request())
        .expect("the second call succeeds");
    assert_eq!(second.text, RERANKED);

    let received = server.received();
    assert_eq!(received.len(), 3);
    let first = received[0].json();
    let format = &first["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["strict"], true);
    assert!(format["json_schema"]["schema"]["properties"]["items"].is_object());
    assert!(first.get("grammar").is_none());
    // The fallback and every later call carry the GBNF grammar instead.
    for later in &received[1..] {
        let body = later.json();
        assert!(body.get("response_format").is_none(), "{body}");
        assert!(body["grammar"]
            .as_str()
            .is_some_and(|g| g.contains("root ::=")));
    }
    let usage = model.usage();
    assert_eq!(usage.requests, 2);
    assert_eq!(usage.failures, 0);
    assert_eq!(usage.retries, 1);
}

#[test]
fn refused_schema_and_grammar_fall_back_to_plain_json() {
    let server = FaultServer::start(vec![
        Reply::json(400, r#"{"error":"response_format is not supported"}"#),
        Reply::json(422, r#"{"error":"unknown field grammar"}"#),
        Reply::completion(RERANKED, 30, 20),
    ]);
    let mut config = server.config();
    config.structured = StructuredOutput::Auto;
    config.max_retries = 0;
    let model = model(config);

    let done = model
        .complete(&json_request())
        .expect("plain JSON succeeds");
    assert_eq!(done.text, RERANKED);
    model
        .complete(&json_request())
        .expect("the next call succeeds");

    let received: Vec<Value> = server.received().iter().map(Recorded::json).collect();
    assert_eq!(received.len(), 4);
    assert!(received[0].get("response_format").is_some());
    assert!(received[1].get("grammar").is_some());
    assert!(received[1].get("response_format").is_none());
    for plain in &received[2..] {
        assert!(plain.get("response_format").is_none(), "{plain}");
        assert!(plain.get("grammar").is_none(), "{plain}");
    }
    assert_eq!(
        model.usage().retries,
        2,
        "two refusals, not counted against max_retries"
    );
    assert_eq!(model.usage().failures, 0);
}

#[test]
fn concurrency_one_keeps_one_request_in_flight() {
    let server = FaultServer::start(vec![
        Reply::completion("ok", 1, 1).after(Duration::from_millis(100))
    ]);
    let mut config = server.config();
    config.concurrency = 1;
    let model = Arc::new(model(config));

    let callers: Vec<_> = (0..4)
        .map(|_| {
            let model = model.clone();
            thread::spawn(move || model.complete(&text_request()))
        })
        .collect();
    for caller in callers {
        let done = caller.join().expect("caller thread");
        done.expect("every call succeeds");
    }

    assert_eq!(server.requests(), 4);
    assert_eq!(server.most_in_flight(), 1);
    assert_eq!(model.usage().requests, 4);
}

#[test]
fn api_key_is_sent_as_a_bearer_token() {
    let server = FaultServer::start(vec![Reply::completion("ok", 1, 1)]);
    let mut config = server.config();
    config.api_key = Some("sk-test-123".to_owned());
    let model = model(config);

    model.complete(&text_request()).expect("the call succeeds");

    let received = server.received();
    assert!(
        received[0].head.starts_with("POST /v1/chat/completions "),
        "request line: {}",
        received[0].head.lines().next().unwrap_or_default()
    );
    assert_eq!(
        received[0].header("authorization").as_deref(),
        Some("Bearer sk-test-123")
    );
    assert_eq!(
        received[0].header("content-type").as_deref(),
        Some("application/json")
    );
}
