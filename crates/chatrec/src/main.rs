//! The `chatrec` binary: thin commands over the chatrec layers.

mod cli;
mod cmd;
mod data;
mod dialogue;
mod embedding;
mod llm;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// Runs candle's work one thread per batch: chatrec embeds whole batches in parallel, and
/// candle's own pool would split each large operation again and spin at a barrier after each
/// one, which took about 55% more CPU time on 2 cores (docs/embeddings.md). Set before any
/// thread starts, as the pool reads the variable once; a user's own setting wins.
fn batch_parallel_candle() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}

fn main() -> ExitCode {
    batch_parallel_candle();
    let cli = cli::Cli::parse();
    if let Some(threads) = cli.threads {
        // A second build would fail only if a pool already exists, which cannot happen
        // this early; the error is still reported rather than ignored.
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
        {
            eprintln!("error: cannot start {threads} worker threads: {e}");
            return ExitCode::from(2);
        }
    }
    match cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
