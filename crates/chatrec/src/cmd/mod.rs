//! One module per command family; each parses nothing itself and calls the layers.

mod batch;
pub(crate) mod bench;
mod data;
mod eval;
mod knowledge;
mod model;
mod train;

use anyhow::Result;

use crate::cli::{BenchCommand, Cli, Command, DataCommand};

pub fn run(cli: Cli) -> Result<()> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Data(DataCommand::Fetch(args)) => data::fetch(&args, quiet),
        Command::Data(DataCommand::Stats(args)) => data::stats(&args, quiet),
        Command::Split(args) => data::split(&args, quiet),
        Command::Train(args) => train::train(&args, quiet),
        Command::Recommend(args) => train::recommend(&args, quiet),
        Command::Similar(args) => knowledge::similar(&args, quiet),
        Command::Find(args) => knowledge::find(&args),
        Command::Models => train::list_models(),
        Command::Eval(args) => eval::eval(&args, quiet),
        Command::Compare(args) => eval::compare(&args, quiet),
        Command::Tune(args) => eval::tune(&args, quiet),
        Command::BatchRecommend(args) => batch::recommend(&args, quiet),
        Command::BatchPredict(args) => batch::predict(&args, quiet),
        Command::Bench(BenchCommand::Scale(args)) => bench::scale(&args, quiet),
    }
}
