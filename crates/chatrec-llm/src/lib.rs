//! chatrec-llm: a large language model in the dialogue's seams, as Chat-Rec does it
//! (Gao et al. 2023): the recommender finds candidates, the model understands the turn,
//! reranks the candidates and phrases the reply, and every answer is checked before the
//! user sees it.
//!
//! - [`chat`]: the [`ChatModel`] trait every provider honours, with token and latency
//!   accounting; [`openai`] speaks to any OpenAI-compatible server, [`local`] (feature
//!   `local`) runs a GGUF model in-process through llama.cpp.
//! - [`prompt`] builds the three tasks' requests from the session; item texts and user
//!   turns go in as quoted data, never as instructions.
//! - [`grammar`] constrains outputs: a JSON schema for servers, the same shape as a GBNF
//!   grammar for llama.cpp, so structured answers always parse.
//! - [`understand`], [`rerank`] and [`grounding`] validate answers: acts name only catalog
//!   items, reranked ids come from the candidates, a reply's facts come from the evidence.
//! - [`assistant`] ties them together behind the dialogue's `Assistant` trait: one repair
//!   attempt on invalid output, then the built-in layer, every fallback counted.

pub mod assistant;
pub mod chat;
pub mod config;
pub mod error;
pub mod grammar;
pub mod grounding;
mod limiter;
#[cfg(feature = "local")]
pub mod local;
pub mod models;
pub mod openai;
pub mod prompt;
pub mod rerank;
pub mod understand;

pub use assistant::{LlmAssistant, TaskSwitches};
pub use chat::{
    ChatModel, Completion, CompletionRequest, Message, OutputFormat, Role, UsageCounts,
};
pub use config::{LlmConfig, ProviderKind};
pub use error::LlmError;
