//! The `chatrec` binary: thin commands over the chatrec layers.

mod cli;
mod cmd;
mod data;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
