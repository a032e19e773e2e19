//! The in-process provider with the real SmolLM2 model. A 135M model writes poor prose and
//! often chooses badly; these tests assert what must hold whatever it writes: structured
//! answers parse under the grammar, ids come from the candidates, every turn gets a reply,
//! every fallback is counted, and replies state only what the evidence says.

#![cfg(feature = "local")]

mod support;

use std::sync::Arc;

use chatrec_dialogue::assist::{RerankCandidate, RerankInput};
use chatrec_dialogue::state::SessionState;
use chatrec_dialogue::{Assistant, EngineOptions};
use chatrec_llm::grammar::rerank_format;
use chatrec_llm::local::{LocalModel, LocalOptions};
use chatrec_llm::{
    ChatModel, CompletionRequest, LlmAssistant, Message, OutputFormat, TaskSwitches,
};
use support::world::{self, Conversation};

fn model() -> Option<Arc<LocalModel>> {
    let path = support::smollm2()?;
    let options = LocalOptions {
        threads: 0,
        context_tokens: 4096,
    };
    Some(Arc::new(
        LocalModel::load(&path, options).expect("SmolLM2 loads"),
    ))
}

#[test]
fn grammar_constrained_answers_always_parse_and_name_only_given_ids() {
    let Some(model) = model() else { return };
    let ids: Vec<String> = ["50", "181", "172", "1"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let request = CompletionRequest {
        messages: vec![
            Message::system("Pick films. Answer JSON."),
            Message::user("Candidates: 50 Star Wars, 181 Return of the Jedi, 172 Empire Strikes Back, 1 Toy Story. Pick 3."),
        ],
        max_tokens: 3 * 80 + 16,
        temperature: 0.0,
        seed: 1,
        format: rerank_format(&ids, 3),
    };
    let done = model.complete(&request).expect("the model answers");
    let value: serde_json::Value = serde_json::from_str(&done.text)
        .unwrap_or_else(|e| panic!("grammar output is not JSON ({e}): {}", done.text));
    let items = value["items"].as_array().expect("items list");
    assert_eq!(
        items.len(),
        3,
        "the grammar fixes the length: {}",
        done.text
    );
    for item in items {
        assert!(ids.contains(&item["id"].as_str().expect("id").to_owned()));
    }
    let usage = model.usage();
    assert_eq!(usage.requests, 1);
    assert!(
        usage.prompt_tokens > 20 && usage.completion_tokens > 5,
        "{usage:?}"
    );
}

#[test]
fn the_same_prompt_gives_the_same_answer() {
    let Some(model) = model() else { return };
    let request = CompletionRequest {
        messages: vec![Message::user("Name a colour.")],
        max_tokens: 12,
        temperature: 0.0,
        seed: 7,
        format: OutputFormat::Text,
    };
    let first = model.complete(&request).expect("answer").text;
    let second = model.complete(&request).expect("answer").text;
    assert!(!first.trim().is_empty());
    assert_eq!(first, second);
}

#[test]
fn a_conversation_with_every_task_on_keeps_the_guarantees() {
    let Some(model) = model() else { return };
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
        "from the 80s",
    ];
    for text in turns {
        // `say` checks constraints, rejections, repeats and evidence after every turn.
        let reply = conversation.say(text).clone();
        assert!(!reply.reply.trim().is_empty(), "turn `{text}` got no reply");
        for item in &reply.items {
            assert!(engine.catalog().item_index(&item.item_id).is_some());
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
    assert!(
        usage.requests >= decided,
        "every decision took a request: {usage:?} {counts:?}"
    );
    assert!(
        usage.prompt_tokens > 0 && usage.latency_micros > 0,
        "{usage:?}"
    );
}

#[test]
fn reranking_the_recommenders_top_twenty_returns_distinct_candidates() {
    let Some(model) = model() else { return };
    let engine = world::engine();
    let assistant = LlmAssistant::new(model, TaskSwitches::ALL, 42);
    let candidates: Vec<RerankCandidate> = (0..20)
        .map(|item| RerankCandidate {
            item,
            score: 1.0 - item as f32 / 20.0,
        })
        .collect();
    let state = SessionState::new(Some(0));
    let ranked = assistant.rerank_with_reasons(&RerankInput {
        engine: &engine,
        state: &state,
        query: None,
        candidates: &candidates,
        k: 5,
    });
    let counts = assistant.counts().rerank;
    match ranked {
        Some(ranked) => {
            assert_eq!(ranked.len(), 5);
            let mut items: Vec<u32> = ranked.iter().map(|r| r.item).collect();
            items.sort_unstable();
            items.dedup();
            assert_eq!(items.len(), 5, "distinct");
            assert!(items.iter().all(|&i| i < 20), "only candidates");
            assert_eq!(counts.answered, 1);
        }
        None => assert_eq!(counts.fallbacks, 1, "a refusal is a counted fallback"),
    }
}
