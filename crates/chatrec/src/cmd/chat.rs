//! `chatrec chat`: talk with the recommender in the terminal, or play a scripted
//! conversation and print its transcript (text or one JSON object per turn).

use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chatrec_dialogue::{EngineOptions, Session, TurnReply};
use rustyline::error::ReadlineError;

use crate::cli::ChatArgs;
use crate::dialogue::{load_engine, ModelSource};

/// Words that end an interactive chat.
const QUIT_WORDS: &[&str] = &["quit", "exit", "bye", "/quit", "/exit"];

pub fn chat(args: &ChatArgs, quiet: bool) -> Result<()> {
    let options = EngineOptions {
        items_per_turn: args.items,
        ..EngineOptions::default()
    };
    let source = ModelSource {
        file: &args.model_file,
        train: &args.model,
    };
    let engine = load_engine(&args.data, &source, options, &args.embedding, quiet)?;
    let assistant = args.llm.assistant(&args.data)?;
    let engine = Arc::new(crate::llm::attach(engine, &assistant));
    let mut session = match &args.user {
        Some(user) => engine.session_for(user)?,
        None => engine.new_session(),
    };
    let result = match &args.script {
        Some(path) => play_script(&mut session, path, args.json),
        None => interactive(&mut session, args),
    };
    if let (Some(assistant), false) = (&assistant, quiet) {
        eprintln!("{}", crate::llm::summary(assistant));
    }
    result
}

/// One user turn per line; blank lines and lines starting with `#` are skipped.
fn play_script(session: &mut Session, path: &Path, json: bool) -> Result<()> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the script {}", path.display()))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line
            .with_context(|| format!("{}:{}: cannot read the line", path.display(), number + 1))?;
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let reply = session.turn(text);
        print_turn(&mut out, &reply, json, true)?;
    }
    Ok(())
}

fn interactive(session: &mut Session, args: &ChatArgs) -> Result<()> {
    let mut editor = rustyline::DefaultEditor::new().context("cannot start the line editor")?;
    let history = history_file(args);
    if let Some(path) = &history {
        // A missing history file is normal on the first run.
        let _ = editor.load_history(path);
    }
    if !args.json {
        println!(
            "chatrec: tell me what you'd like to watch (\"something like Star Wars but older\", \
             \"a comedy from the 80s\"), say which suggestions you liked or not, ask \"why?\". \
             \"quit\" or Ctrl-D ends."
        );
    }
    let stdout = io::stdout();
    loop {
        match editor.readline("you> ") {
            Ok(line) => {
                let text = line.trim();
                if text.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(text);
                if QUIT_WORDS.contains(&text.to_lowercase().as_str()) {
                    break;
                }
                let reply = session.turn(text);
                // The terminal already shows what the user typed after the prompt.
                let echo_user = !io::stdin().is_terminal();
                print_turn(&mut stdout.lock(), &reply, args.json, echo_user)?;
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("cannot read from the terminal"),
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = editor.save_history(path) {
            eprintln!(
                "note: cannot save the chat history to {}: {e}",
                path.display()
            );
        }
    }
    Ok(())
}

fn history_file(args: &ChatArgs) -> Option<PathBuf> {
    if args.no_history {
        return None;
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".chatrec_history"))
}

fn print_turn(out: &mut impl Write, reply: &TurnReply, json: bool, echo_user: bool) -> Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string(reply)?)?;
    } else {
        if echo_user {
            writeln!(out, "you> {}", reply.user)?;
        }
        writeln!(out, "chatrec> {}", reply.reply.replace('\n', "\n    "))?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}
