//! One module per command family; each parses nothing itself and calls the layers.

mod batch;
pub(crate) mod bench;
mod bench_dialogue;
mod bench_llm;
mod bench_vectors;
mod chat;
mod content;
mod data;
mod embed;
mod eval;
mod eval_dialogue;
mod eval_llm;
pub(crate) mod knowledge;
pub(crate) mod model;
mod search;
mod serve;
mod train;

use anyhow::Result;

use crate::cli::{BenchCommand, Cli, Command, DataCommand, ModelsCommand};

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
        Command::Search(args) => search::search(&args, quiet),
        Command::Chat(args) => chat::chat(&args, quiet),
        Command::EvalSearch(args) => search::eval_search(&args, quiet),
        Command::Models(args) => match args.command {
            None => train::list_models(),
            Some(ModelsCommand::Fetch(args)) => embed::fetch_model(&args, quiet),
        },
        Command::Embed(args) => embed::embed(&args, quiet),
        Command::Eval(args) => eval::eval(&args, quiet),
        Command::Compare(args) => eval::compare(&args, quiet),
        Command::Tune(args) => eval::tune(&args, quiet),
        Command::BatchRecommend(args) => batch::recommend(&args, quiet),
        Command::BatchPredict(args) => batch::predict(&args, quiet),
        Command::Bench(BenchCommand::Scale(args)) => bench::scale(&args, quiet),
        Command::Bench(BenchCommand::Embed(args)) => embed::bench(&args, quiet),
        Command::Bench(BenchCommand::Vectors(args)) => bench_vectors::vectors(&args, quiet),
        Command::Bench(BenchCommand::Dialogue(args)) => bench_dialogue::dialogue(&args, quiet),
        Command::Bench(BenchCommand::Llm(args)) => bench_llm::llm(&args, quiet),
        Command::EvalColdstart(args) => content::eval_coldstart(&args, quiet),
        Command::AddItem(args) => content::add_item(&args, quiet),
        Command::EvalHybrid(args) => content::eval_hybrid(&args, quiet),
        Command::EvalDialogue(args) => eval_dialogue::eval_dialogue(&args, quiet),
        Command::Serve(args) => serve::serve(args, quiet),
    }
}
