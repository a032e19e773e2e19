//! `chatrec eval-dialogue`: simulated users talk to the dialogue engine; success within t
//! turns against the plain recommender's top-5, for known and cold users.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chatrec_core::Dataset;
use chatrec_dialogue::simulate::{
    converse, plan_cases, transcript, Conversation, DialogueReport, Group, SimOptions, SimWorld,
};
use chatrec_dialogue::EngineOptions;
use chatrec_models::eval::{split, SplitSpec};
use chatrec_models::registry::Task;
use chatrec_models::{Progress, TrainSet};
use rayon::prelude::*;

use super::model::{describe, fit, parse_pairs};
use crate::cli::EvalDialogueArgs;
use crate::dialogue::build_engine;
use crate::output::write_file;
use crate::progress::Bars;

pub fn eval_dialogue(args: &EvalDialogueArgs, quiet: bool) -> Result<()> {
    if args.max_turns == 0 {
        bail!("--max-turns must be at least 1");
    }
    if args.users == 0 {
        bail!("--users must be at least 1");
    }
    let seed = args.model.seed;
    let spec: SplitSpec = args.split.parse().map_err(anyhow::Error::msg)?;
    if matches!(spec, SplitSpec::External { .. }) {
        bail!(
            "eval-dialogue splits one data set; use user-ratio:R, leave-last-out[:N] or temporal:R"
        );
    }
    let dataset = crate::data::load(&args.data, &args.import, quiet)?;
    let parts = split(&dataset, &spec, seed).context("cannot split the data")?;

    // The engine and its model see the training part only: the known histories are
    // training data, the targets are held out.
    let train_data = Dataset {
        catalog: dataset.catalog,
        interactions: parts.train,
        has_ratings: dataset.has_ratings,
        has_timestamps: dataset.has_timestamps,
    };
    let train = TrainSet::from_interactions(&train_data, &train_data.interactions);
    let bars = Bars::new(quiet);
    let params = parse_pairs(&args.model.params)?;
    let fitted = fit(
        &args.model.model,
        &params,
        seed,
        Task::Ranking,
        &train,
        &bars,
    )?;
    drop(train);
    let model_name = describe(&fitted.name, &fitted.params);
    if !quiet {
        eprintln!("trained {model_name} in {:.1}s", fitted.fit_seconds);
    }
    let options = EngineOptions {
        items_per_turn: args.items_per_turn,
        ..EngineOptions::default()
    };
    let engine = build_engine(
        &args.data,
        train_data,
        Arc::from(fitted.model),
        options,
        &args.embedding,
        quiet,
    )?;
    let assistant = args.llm.assistant(&args.data)?;
    let engine = crate::llm::attach(engine, &assistant);
    let has_graph = engine.graph().is_some();
    let has_search = engine.has_search();
    let world = SimWorld::new(Arc::new(engine), &parts.test)?;
    let sim = SimOptions {
        max_turns: args.max_turns,
        seed,
        without: args.without.clone(),
    };
    let cases = plan_cases(&world, args.users, &sim)?;

    if cases.len() < args.users && !quiet {
        eprintln!(
            "note: only {} users have a liked held-out film and a liked training film; simulating those",
            cases.len()
        );
    }

    let jobs: Vec<(usize, Group)> = (0..cases.len())
        .flat_map(|i| [(i, Group::Known), (i, Group::Cold)])
        .collect();
    bars.start("conversations", jobs.len() as u64);
    let conversations: Vec<Conversation> = jobs
        .par_iter()
        .map(|&(i, group)| {
            let played = converse(&world, &cases[i], group, &sim);
            bars.advance(1);
            played
        })
        .collect::<Result<_, _>>()
        .context("a simulated conversation failed")?;
    bars.finish();

    let report = DialogueReport::from_conversations(&conversations, args.max_turns);
    let without = if args.without.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = args.without.iter().map(|b| b.name()).collect();
        format!(", user without: {}", names.join(", "))
    };
    let header = format!(
        "eval-dialogue on {}: split {}, seed {seed}, model {model_name}, {} users per group, \
         up to {} turns, {} items per turn, knowledge graph {}, semantic search {}{without}",
        args.data.display(),
        args.split,
        cases.len(),
        args.max_turns,
        args.items_per_turn,
        if has_graph { "yes" } else { "no" },
        if has_search { "yes" } else { "no" },
    );
    let header = match &assistant {
        Some(assistant) => format!("{header}, LLM {}", assistant.model().name()),
        None => header,
    };
    let table = match &assistant {
        Some(assistant) => format!(
            "{}\n{}",
            report.text_table(),
            crate::llm::summary(assistant)
        ),
        None => report.text_table(),
    };
    println!("{header}\n\n{table}");
    let mut report_json = serde_json::to_value(&report)?;
    if let Some(assistant) = &assistant {
        report_json["llm"] = crate::llm::report_json(assistant);
    }

    if args.verbose {
        for c in &conversations {
            eprintln!("{}", transcript(c));
        }
    }
    if let Some(path) = &args.transcripts {
        let is_json = path
            .extension()
            .is_some_and(|e| e == "jsonl" || e == "json");
        let mut text = String::new();
        for c in &conversations {
            if is_json {
                let _ = writeln!(text, "{}", serde_json::to_string(c)?);
            } else {
                let _ = writeln!(text, "{}", transcript(c));
            }
        }
        write_file(path, &text)?;
    }
    if let Some(path) = &args.json {
        write_file(path, &serde_json::to_string_pretty(&report_json)?)?;
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_file(
            &dir.join("eval-dialogue.txt"),
            &format!("{header}\n\n{table}"),
        )?;
        let title = format!(
            "Simulated users: target shown within t turns ({} per group, {} items per turn)",
            cases.len(),
            args.items_per_turn
        );
        write_file(&dir.join("eval-dialogue.svg"), &report.svg_chart(&title))?;
        write_file(
            &dir.join("eval-dialogue.json"),
            &serde_json::to_string_pretty(&report_json)?,
        )?;
        if !quiet {
            eprintln!(
                "wrote {}, eval-dialogue.svg and eval-dialogue.json",
                dir.join("eval-dialogue.txt").display()
            );
        }
    }
    Ok(())
}
