//! The model in the dialogue's seams. Each task sends its prompt, checks the answer, asks
//! once more with the problem named when the answer is invalid, and otherwise leaves the
//! task to the built-in layer; every outcome is counted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chatrec_dialogue::acts::Act;
use chatrec_dialogue::assist::{
    Assistant, AssistantCounts, PhraseInput, RerankInput, TaskCounts, UnderstandInput,
};
use serde::Serialize;

use crate::chat::{ChatModel, CompletionRequest, Message, OutputFormat};
use crate::grammar::{rerank_format, understand_format};
use crate::grounding::check_reply;
use crate::prompt::{phrase_messages, rerank_messages, understand_messages};
use crate::rerank::{parse_ranking, Ranked};
use crate::understand::parse_acts;

const UNDERSTAND_TOKENS: u32 = 160;
/// An id and a reason of at most 60 letters fit in 80 tokens even at a token a letter.
const RERANK_TOKENS_PER_ITEM: u32 = 80;
const PHRASE_TOKENS: u32 = 120;
/// Problems kept for `recent_problems`.
const PROBLEMS_KEPT: usize = 32;

/// Which tasks the model does; the built-in layer does the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaskSwitches {
    pub understand: bool,
    pub rerank: bool,
    pub phrase: bool,
}

impl TaskSwitches {
    pub const ALL: TaskSwitches = TaskSwitches {
        understand: true,
        rerank: true,
        phrase: true,
    };

    /// "understand,rerank,phrase", "rerank", "all".
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut switches = TaskSwitches {
            understand: false,
            rerank: false,
            phrase: false,
        };
        for task in spec.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match task {
                "all" => switches = Self::ALL,
                "understand" => switches.understand = true,
                "rerank" => switches.rerank = true,
                "phrase" => switches.phrase = true,
                other => {
                    return Err(format!(
                        "unknown LLM task `{other}` (expected understand, rerank, phrase or all)"
                    ))
                }
            }
        }
        Ok(switches)
    }
}

#[derive(Debug, Clone, Copy)]
enum Task {
    Understand,
    Rerank,
    Phrase,
}

impl Task {
    fn name(self) -> &'static str {
        match self {
            Task::Understand => "understand",
            Task::Rerank => "rerank",
            Task::Phrase => "phrase",
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    answered: AtomicU64,
    repaired: AtomicU64,
    fallbacks: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> TaskCounts {
        TaskCounts {
            answered: self.answered.load(Ordering::Relaxed),
            repaired: self.repaired.load(Ordering::Relaxed),
            fallbacks: self.fallbacks.load(Ordering::Relaxed),
        }
    }
}

/// A problem with one answer, for reports and debugging.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub task: &'static str,
    pub problem: String,
}

pub struct LlmAssistant {
    model: Arc<dyn ChatModel>,
    tasks: TaskSwitches,
    seed: u64,
    counters: [Counters; 3],
    problems: Mutex<VecDeque<Problem>>,
}

impl LlmAssistant {
    pub fn new(model: Arc<dyn ChatModel>, tasks: TaskSwitches, seed: u64) -> Self {
        Self {
            model,
            tasks,
            seed,
            counters: Default::default(),
            problems: Mutex::new(VecDeque::new()),
        }
    }

    pub fn model(&self) -> &Arc<dyn ChatModel> {
        &self.model
    }

    pub fn tasks(&self) -> TaskSwitches {
        self.tasks
    }

    /// The latest problems with answers (invalid output, failed calls), oldest first.
    pub fn recent_problems(&self) -> Vec<Problem> {
        self.problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// The model's choice of `input.k` candidates with a reason each, whatever the task
    /// switches say (evaluation reranks without a conversation).
    pub fn rerank_with_reasons(&self, input: &RerankInput<'_>) -> Option<Vec<Ranked>> {
        if input.candidates.is_empty() {
            return None;
        }
        let items = input.engine.catalog().items();
        let ids: Vec<String> = input
            .candidates
            .iter()
            .map(|c| items[c.item as usize].id.clone())
            .collect();
        let k = input.k.min(input.candidates.len());
        self.run(
            Task::Rerank,
            rerank_messages(input),
            rerank_format(&ids, k),
            RERANK_TOKENS_PER_ITEM * k as u32 + 16,
            |answer| parse_ranking(input.engine, input.candidates, k, answer),
        )
    }

    /// Sends the task, validates, repairs once, counts the outcome.
    fn run<T>(
        &self,
        task: Task,
        mut messages: Vec<Message>,
        format: OutputFormat,
        max_tokens: u32,
        validate: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let counters = &self.counters[task as usize];
        for attempt in 0..2 {
            let request = CompletionRequest {
                messages: messages.clone(),
                max_tokens,
                temperature: 0.0,
                seed: self.seed,
                format: format.clone(),
            };
            let answer = match self.model.complete(&request) {
                Ok(done) => done.text,
                Err(error) => {
                    // The provider has already retried what can be retried.
                    self.note(task, error.to_string());
                    break;
                }
            };
            match validate(&answer) {
                Ok(valid) => {
                    counters.answered.fetch_add(1, Ordering::Relaxed);
                    if attempt > 0 {
                        counters.repaired.fetch_add(1, Ordering::Relaxed);
                    }
                    return Some(valid);
                }
                Err(problem) => {
                    self.note(task, problem.clone());
                    messages.push(Message::assistant(answer));
                    messages.push(Message::user(format!(
                        "That answer cannot be used: {problem}. Answer again, following the instructions exactly."
                    )));
                }
            }
        }
        counters.fallbacks.fetch_add(1, Ordering::Relaxed);
        None
    }

    fn note(&self, task: Task, problem: String) {
        let mut problems = self.problems.lock().unwrap_or_else(PoisonError::into_inner);
        if problems.len() == PROBLEMS_KEPT {
            problems.pop_front();
        }
        problems.push_back(Problem {
            task: task.name(),
            problem,
        });
    }
}

impl Assistant for LlmAssistant {
    fn understand(&self, input: &UnderstandInput<'_>) -> Option<Vec<Act>> {
        if !self.tasks.understand {
            return None;
        }
        self.run(
            Task::Understand,
            understand_messages(input),
            understand_format(input.engine.categories()),
            UNDERSTAND_TOKENS,
            |answer| parse_acts(input, answer),
        )
    }

    fn rerank(&self, input: &RerankInput<'_>) -> Option<Vec<u32>> {
        if !self.tasks.rerank {
            return None;
        }
        self.rerank_with_reasons(input)
            .map(|ranked| ranked.into_iter().map(|r| r.item).collect())
    }

    fn phrase(&self, input: &PhraseInput<'_>) -> Option<String> {
        if !self.tasks.phrase {
            return None;
        }
        self.run(
            Task::Phrase,
            phrase_messages(input),
            OutputFormat::Text,
            PHRASE_TOKENS,
            |answer| check_reply(answer, input).map(|()| answer.trim().to_owned()),
        )
    }

    fn counts(&self) -> AssistantCounts {
        AssistantCounts {
            understand: self.counters[Task::Understand as usize].snapshot(),
            rerank: self.counters[Task::Rerank as usize].snapshot(),
            phrase: self.counters[Task::Phrase as usize].snapshot(),
        }
    }
}
