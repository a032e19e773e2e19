//! The `openai` provider against a real OpenAI-compatible server: llama-cpp-python's
//! server with the SmolLM2 GGUF, started once for this file on a free port. A 135M model
//! writes poor prose; these tests assert what must hold whatever it writes: answers come
//! back whole or streamed with their tokens counted, structured answers have the asked
//! shape and name only given ids, and a conversation gets a reply every turn with every
//! fallback counted.
//!
//! The interpreter is `CHATREC_LLAMA_SERVER_PYTHON`, else
//! `~/.cache/chatrec/llama-venv/bin/python`; without it or the model the tests are skipped,
//! unless `CHATREC_REQUIRE_LLM_TESTS=1`, which makes that a failure.

mod support;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use chatrec_dialogue::{Assistant, EngineOptions};
use chatrec_llm::grammar::rerank_format;
use chatrec_llm::openai::{OpenAiConfig, OpenAiModel, StructuredOutput};
use chatrec_llm::{
    ChatModel, CompletionRequest, LlmAssistant, Message, OutputFormat, TaskSwitches,
};
use support::world::{self, Conversation};

/// How long the server may take to load the model and answer `GET /v1/models`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// `python -m llama_cpp.server`, plus a thread that ends the server when its stdin closes:
/// the test process holds the other end, so the server goes when the process does, even
/// though a static's guard is never dropped.
const SERVER_MAIN: &str = r#"import os, runpy, sys, threading
def watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["llama_cpp.server"] + sys.argv[1:]
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"#;

/// A running server; killed when dropped (startup failures) or, for the shared one, when
/// the test process exits.
struct Server {
    child: Mutex<Child>,
    base_url: String,
    log: PathBuf,
}

impl Server {
    fn start(python: &Path, model: &Path) -> Result<Server, String> {
        let port = free_port();
        let log =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("llama-server-{port}.log"));
        let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(python)
            .arg("-c")
            .arg(SERVER_MAIN)
            .arg("--model")
            .arg(model)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--n_ctx",
                "4096",
                // By default a request waiting for the model makes the server end the
                // stream in progress with `[DONE]` after its first chunk: the tests'
                // concurrent requests would get empty streamed answers.
                "--interrupt_requests",
                "false",
            ])
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        let server = Server {
            child: Mutex::new(child),
            base_url: format!("http://127.0.0.1:{port}/v1"),
            log,
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    fn wait_until_ready(&self) -> Result<(), String> {
        let started = Instant::now();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        let url = format!("{}/models", self.base_url);
        loop {
            if agent.get(&url).call().is_ok() {
                eprintln!(
                    "llama-cpp-python server ready at {} in {:?}",
                    self.base_url,
                    started.elapsed()
                );
                return Ok(());
            }
            let exited = self
                .child
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .try_wait();
            if let Ok(Some(status)) = exited {
                return Err(format!(
                    "the server exited ({status}) before it was ready\n{}",
                    self.log_tail()
                ));
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(format!(
                    "GET {url} did not answer within {READY_TIMEOUT:?}\n{}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn log_tail(&self) -> String {
        let lines: Vec<String> = File::open(&self.log)
            .map(|f| BufReader::new(f).lines().map_while(Result::ok).collect())
            .unwrap_or_default();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!("last lines of {}:\n{tail}", self.log.display())
    }

    /// A client of this server, otherwise configured as the CLI would.
    fn client(&self, stream: bool) -> OpenAiModel {
        let mut config = OpenAiConfig::new(&self.base_url, "smollm2");
        config.stream = stream;
        config.structured = StructuredOutput::Auto;
        OpenAiModel::new(config).expect("a valid configuration")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// `CHATREC_LLAMA_SERVER_PYTHON`, else the venv `~/.cache/chatrec/llama-venv` when it
/// exists. `None` (skip) when absent, unless `CHATREC_REQUIRE_LLM_TESTS=1`.
fn server_python() -> Option<PathBuf> {
    let configured = std::env::var_os("CHATREC_LLAMA_SERVER_PYTHON").filter(|v| !v.is_empty());
    let python = configured.map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".cache/chatrec/llama-venv/bin/python"))
    });
    match python {
        Some(python) if python.is_file() => Some(python),
        missing => {
            let what = missing.map_or_else(|| "no HOME".to_owned(), |p| p.display().to_string());
            if std::env::var("CHATREC_REQUIRE_LLM_TESTS").as_deref() == Ok("1") {
                panic!(
                    "CHATREC_REQUIRE_LLM_TESTS=1 but there is no llama-cpp-python interpreter ({what}); set CHATREC_LLAMA_SERVER_PYTHON"
                );
            }
            eprintln!(
                "skipped: no llama-cpp-python interpreter ({what}); set CHATREC_LLAMA_SERVER_PYTHON to a python with llama-cpp-python[server]"
            );
            None
        }
    }
}

/// The one server of this file, started by the first test that needs it.
fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Option<Server>, String>> = OnceLock::new();
    let started = SERVER.get_or_init(|| {
        let Some(model) = support::smollm2() else {
            return Ok(None);
        };
        let Some(python) = server_python() else {
            return Ok(None);
        };
        Server::start(&python, &model).map(Some)
    });
    match started {
        Ok(server) => server.as_ref(),
        Err(problem) => panic!("the llama-cpp-python server did not start: {problem}"),
    }
}

#[test]
fn whole_and_streamed_answers_return_text_and_count_tokens() {
    let Some(server) = server() else { return };
    let request = CompletionRequest {
        messages: vec![
            Message::system("Be brief."),
            Message::user("Name a colour."),
        ],
        max_tokens: 16,
        temperature: 0.0,
        seed: 7,
        format: OutputFormat::Text,
    };
    for stream in [false, true] {
        let model = server.client(stream);
        let done = model.complete(&request).unwrap_or_else(|e| {
            panic!("stream={stream}: {e}\n{}", server.log_tail());
        });
        assert!(
            !done.text.trim().is_empty(),
            "stream={stream}: empty answer"
        );
        assert!(
            done.prompt_tokens > 0 && done.completion_tokens > 0,
            "stream={stream}: {done:?}"
        );
        let usage = model.usage();
        eprintln!("stream={stream}: {:?} {usage:?}", done.text);
        assert_eq!(
            (usage.requests, usage.failures),
            (1, 0),
            "stream={stream}: {usage:?}"
        );
        assert_eq!(usage.prompt_tokens, done.prompt_tokens);
        assert_eq!(usage.completion_tokens, done.completion_tokens);
        assert!(
            usage.prompt_tokens > 0 && usage.completion_tokens > 0,
            "stream={stream}: {usage:?}"
        );
        assert!(usage.latency_micros > 0);
    }
}

#[test]
fn structured_rerank_answers_have_exactly_k_items_named_from_the_candidates() {
    let Some(server) = server() else { return };
    let model = server.client(true);
    let ids: Vec<String> = ["50", "181", "172", "1"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let request = CompletionRequest {
        messages: vec![
            Message::system("Pick films. Answer JSON."),
            Message::user("Candidates: 50 Star Wars, 181 Return of the Jedi, 172 Empire Strikes Back, 1 Toy Story. Pick 3."),
        ],
        // The assistant's budget for three items.
        max_tokens: 3 * 45 + 16,
        temperature: 0.0,
        seed: 1,
        format: rerank_format(&ids, 3),
    };
    for call in 0..2 {
        let done = model.complete(&request).unwrap_or_else(|e| {
            panic!("call {call}: {e}\n{}", server.log_tail());
        });
        eprintln!("structured call {call}: {}", done.text);
        let value: serde_json::Value = serde_json::from_str(&done.text)
            .unwrap_or_else(|e| panic!("call {call}: not JSON ({e}): {}", done.text));
        let items = value["items"].as_array().expect("an items list");
        assert_eq!(
            items.len(),
            3,
            "call {call}: exactly k items: {}",
            done.text
        );
        for item in items {
            let id = item["id"].as_str().expect("a string id");
            assert!(
                ids.iter().any(|given| given == id),
                "call {call}: unknown id {id}: {}",
                done.text
            );
            assert!(item["reason"].is_string(), "call {call}: {}", done.text);
        }
    }
    let usage = model.usage();
    eprintln!("structured: {usage:?}");
    assert_eq!((usage.requests, usage.failures), (2, 0), "{usage:?}");
    // llama-cpp-python refuses `json_schema` once; the client remembers and sends its
    // grammar from then on, so the second call needs no retry.
    assert!(
        usage.retries <= 1,
        "a refused constraint is refused once per run: {usage:?}"
    );
}

#[test]
fn a_conversation_with_every_task_on_keeps_the_guarantees() {
    let Some(server) = server() else { return };
    let model = Arc::new(server.client(true));
    let assistant = Arc::new(LlmAssistant::new(model.clone(), TaskSwitches::ALL, 42));
    let engine =
        Arc::new(world::plain_engine(EngineOptions::default()).with_assistant(assistant.clone()));
    let mut conversation = Conversation::new(&engine);
    let turns = [
        "hi",
        "something like Alien but not horror",
        "why the first one?",
        "I hated the second one",
        "more please",
    ];
    for text in turns {
        // `say` checks constraints, rejections, repeats and evidence after every turn.
        let reply = conversation.say(text).clone();
        assert!(!reply.reply.trim().is_empty(), "turn `{text}` got no reply");
        for item in &reply.items {
            assert!(
                engine.catalog().item_index(&item.item_id).is_some(),
                "turn `{text}`: {} is not in the catalog",
                item.item_id
            );
        }
    }
    let counts = assistant.counts();
    let turns = turns.len() as u64;
    assert_eq!(
        counts.understand.answered + counts.understand.fallbacks,
        turns,
        "every turn was understood by the model or by the built-in parser: {counts:?}"
    );
    let decided: u64 = [counts.understand, counts.rerank, counts.phrase]
        .iter()
        .map(|c| c.answered + c.fallbacks)
        .sum();
    let usage = model.usage();
    eprintln!("conversation: {counts:?} {usage:?}");
    for problem in assistant.recent_problems() {
        eprintln!("  {}: {}", problem.task, problem.problem);
    }
    assert!(
        usage.requests >= decided,
        "every decision took a request: {usage:?} {counts:?}"
    );
    assert_eq!(
        usage.failures,
        0,
        "the server answered every request: {usage:?} {:?}\n{}",
        assistant.recent_problems(),
        server.log_tail()
    );
    // One retry for the refused `json_schema`; a second would mean the server refused the
    // grammar too and structured output was dropped.
    assert!(
        usage.retries <= 1,
        "the server took the grammars: {usage:?}"
    );
    assert!(
        usage.prompt_tokens > 0 && usage.completion_tokens > 0 && usage.latency_micros > 0,
        "{usage:?}"
    );
}
