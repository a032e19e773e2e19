//! A chat model that answers from a script, for testing what the assistant does with good,
//! bad and hostile answers without a real model's randomness.

use std::sync::Mutex;
use std::time::Duration;

use chatrec_llm::prompt::{PHRASE_SYSTEM, RERANK_SYSTEM, UNDERSTAND_SYSTEM};
use chatrec_llm::{ChatModel, Completion, CompletionRequest, LlmError, UsageCounts};

/// Which task a request is for, read from its system prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Understand,
    Rerank,
    Phrase,
}

pub fn task_of(request: &CompletionRequest) -> Task {
    let system = &request.messages[0].content;
    if system.starts_with(UNDERSTAND_SYSTEM) {
        Task::Understand
    } else if system.starts_with(RERANK_SYSTEM) {
        Task::Rerank
    } else if system.starts_with(PHRASE_SYSTEM) {
        Task::Phrase
    } else {
        panic!("unknown task: {system}")
    }
}

type Answer = Box<dyn Fn(Task, &CompletionRequest) -> Result<String, LlmError> + Send + Sync>;

pub struct Scripted {
    answer: Answer,
    pub requests: Mutex<Vec<CompletionRequest>>,
}

impl Scripted {
    pub fn new(
        answer: impl Fn(Task, &CompletionRequest) -> Result<String, LlmError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            answer: Box::new(answer),
            requests: Mutex::new(Vec::new()),
        }
    }

    pub fn requests(&self) -> Vec<CompletionRequest> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl ChatModel for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmError> {
        self.requests
            .lock()
            .expect("requests lock")
            .push(request.clone());
        let text = (self.answer)(task_of(request), request)?;
        Ok(Completion {
            text,
            prompt_tokens: 1,
            completion_tokens: 1,
            latency: Duration::from_millis(1),
        })
    }

    fn usage(&self) -> UsageCounts {
        UsageCounts {
            requests: self.requests.lock().expect("requests lock").len() as u64,
            ..UsageCounts::default()
        }
    }
}

/// The ids of a rerank request's candidates, in the order offered.
pub fn candidate_ids(request: &CompletionRequest) -> Vec<String> {
    let prompt = &request.messages[1].content;
    let start = prompt.find("Candidates").expect("a candidate list");
    prompt[start..]
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with("</data>"))
        .filter_map(|l| l.split(" | ").next())
        .map(str::to_owned)
        .collect()
}
