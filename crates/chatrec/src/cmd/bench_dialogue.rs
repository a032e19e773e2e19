//! `chatrec bench dialogue`: turn latency of whole conversations on a real data set, for
//! new users (folded in from the conversation) and users of the data.

use std::time::Instant;

use anyhow::{bail, Result};
use chatrec_dialogue::EngineOptions;
use serde::Serialize;

use crate::cli::BenchDialogueArgs;
use crate::dialogue::{load_engine, ModelSource};
use crate::output::write_file;

/// Conversations of a new user: titles, periods, references, feedback, follow-ups.
const NEW_USER_SCRIPTS: &[&[&str]] = &[
    &[
        "hi",
        "something like star wars but older",
        "no horror",
        "I loved the first one",
        "why the second one?",
        "more",
        "something else",
        "tell me more about 1",
        "what have you learned about me?",
    ],
    &[
        "a comedy from the 90s",
        "I loved toy story",
        "more",
        "not the first one, I hated it",
        "why?",
        "something scary from the 80s",
        "start over",
    ],
    &[
        "I loved the godfather and fargo",
        "no westerns",
        "seen the second one",
        "more",
        "why the first?",
    ],
];

/// Conversations of a user of the data, who starts from their history.
const KNOWN_USER_SCRIPT: &[&str] = &[
    "what should I watch?",
    "sci-fi from the 80s",
    "more",
    "why the first?",
    "I loved the second one",
    "something else",
];

#[derive(Serialize)]
struct Latency {
    turns: usize,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    mean_ms: f64,
}

#[derive(Serialize)]
struct DialogueBench {
    items: usize,
    users: usize,
    semantic_search: bool,
    new_users: Latency,
    known_users: Latency,
    all: Latency,
    /// What the language model did, with `--llm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    llm: Option<String>,
}

fn latency(mut ms: Vec<f64>) -> Latency {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        if ms.is_empty() {
            0.0
        } else {
            ms[((ms.len() - 1) as f64 * q).round() as usize]
        }
    };
    Latency {
        turns: ms.len(),
        p50_ms: at(0.5),
        p90_ms: at(0.9),
        p99_ms: at(0.99),
        max_ms: at(1.0),
        mean_ms: ms.iter().sum::<f64>() / ms.len().max(1) as f64,
    }
}

pub fn dialogue(args: &BenchDialogueArgs, quiet: bool) -> Result<()> {
    if args.conversations == 0 {
        bail!("--conversations must be at least 1");
    }
    let source = ModelSource {
        file: &args.model_file,
        train: &args.model,
    };
    let engine = load_engine(
        &args.data,
        &source,
        EngineOptions::default(),
        &args.embedding,
        quiet,
    )?;
    let assistant = args.llm.assistant(&args.data)?;
    let engine = std::sync::Arc::new(crate::llm::attach(engine, &assistant));
    let user_ids: Vec<String> = engine
        .catalog()
        .users()
        .iter()
        .map(|u| u.id.clone())
        .collect();
    let semantic_search = engine.has_search();
    // One untimed turn loads lazily initialised parts (the embedder) before measuring.
    engine.new_session().turn("a scary film set in space");

    let (mut new_ms, mut known_ms) = (Vec::new(), Vec::new());
    for k in 0..args.conversations {
        let script = NEW_USER_SCRIPTS[k % NEW_USER_SCRIPTS.len()];
        let mut session = engine.new_session();
        for text in script {
            let started = Instant::now();
            let reply = session.turn(text);
            new_ms.push(started.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(reply);
        }
        if user_ids.is_empty() {
            continue;
        }
        let mut session = engine.session_for(&user_ids[k % user_ids.len()])?;
        for text in KNOWN_USER_SCRIPT {
            let started = Instant::now();
            let reply = session.turn(text);
            known_ms.push(started.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(reply);
        }
    }
    let all: Vec<f64> = new_ms.iter().chain(&known_ms).copied().collect();
    let report = DialogueBench {
        items: engine.catalog().n_items(),
        users: engine.catalog().n_users(),
        semantic_search,
        new_users: latency(new_ms),
        known_users: latency(known_ms),
        all: latency(all),
        llm: assistant.as_ref().map(|a| crate::llm::summary(a)),
    };
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.json {
        write_file(path, &json)?;
    }
    println!(
        "turn latency over {} turns ({} items, semantic search {}):",
        report.all.turns,
        report.items,
        if semantic_search { "on" } else { "off" }
    );
    if let Some(llm) = &report.llm {
        println!("  with {llm}");
    }
    for (label, l) in [
        ("new users", &report.new_users),
        ("known users", &report.known_users),
        ("all", &report.all),
    ] {
        println!(
            "  {label:<12} p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({} turns)",
            l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.turns
        );
    }
    Ok(())
}
