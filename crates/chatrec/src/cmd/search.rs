//! `chatrec search` and `chatrec eval-search`: semantic catalog search and its labelled
//! evaluation.

use std::path::Path;

use anyhow::{bail, Context, Result};
use chatrec_core::Dataset;
use chatrec_knowledge::search::evaluation::{evaluate, QuerySet, SearchEvaluation};
use chatrec_knowledge::search::CatalogSearch;
use serde::Serialize;

use crate::cli::{EvalSearchArgs, SearchArgs};
use crate::embedding::{catalog_vectors, embedder, EmbedderArgs};
use crate::output::write_file;

fn catalog_search(
    data: &Path,
    args: &EmbedderArgs,
    quiet: bool,
) -> Result<(Dataset, CatalogSearch)> {
    let dataset = crate::data::load(data, &Default::default(), true)?;
    let embedder = embedder(args, data)?;
    let vectors = catalog_vectors(embedder.as_ref(), &dataset.catalog, args, data, quiet)?;
    let search = CatalogSearch::new(&dataset.catalog, vectors, embedder)?;
    Ok((dataset, search))
}

#[derive(Serialize)]
struct JsonHit<'a> {
    item_id: &'a str,
    title: String,
    score: f32,
    dense: f32,
    lexical: f32,
}

pub fn search(args: &SearchArgs, quiet: bool) -> Result<()> {
    let (dataset, search) = catalog_search(&args.data, &args.embedding, quiet)?;
    let hits = search.search(&args.query, args.n, args.dense_weight)?;
    let catalog = &dataset.catalog;
    if args.json {
        let hits: Vec<JsonHit> = hits
            .iter()
            .map(|h| {
                let item = catalog.item(h.item);
                JsonHit {
                    item_id: &item.id,
                    title: item.display_title(),
                    score: h.score,
                    dense: h.dense,
                    lexical: h.lexical,
                }
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({ "query": args.query, "results": hits })
        );
        return Ok(());
    }
    for (rank, h) in hits.iter().enumerate() {
        let item = catalog.item(h.item);
        println!(
            "{:>3}. {:<55} {:<32} {:.3}",
            rank + 1,
            item.display_title(),
            item.categories.join(", "),
            h.score
        );
    }
    Ok(())
}

fn parse_weights(spec: &str) -> Result<Vec<f32>> {
    let weights = spec
        .split(',')
        .map(|w| {
            w.trim()
                .parse::<f32>()
                .with_context(|| format!("`{w}` in --weights is not a number"))
        })
        .collect::<Result<Vec<_>>>()?;
    if weights.is_empty() {
        bail!("--weights needs at least one weight");
    }
    Ok(weights)
}

fn print_evaluation(eval: &SearchEvaluation) {
    let kinds: Vec<&String> = eval
        .weights
        .first()
        .map(|w| w.by_kind.keys().collect())
        .unwrap_or_default();
    print!("| dense weight | P@{} all |", eval.k);
    for kind in &kinds {
        print!(" {kind} |");
    }
    println!();
    print!("|---:|---:|");
    for _ in &kinds {
        print!("---:|");
    }
    println!();
    for w in &eval.weights {
        print!("| {:.2} | {:.3} |", w.dense_weight, w.precision);
        for kind in &kinds {
            print!(" {:.3} |", w.by_kind.get(*kind).copied().unwrap_or(0.0));
        }
        println!();
    }
    println!(
        "\n{} queries; best dense weight {:.2}; two-fold cross-validated P@{}: {:.3}",
        eval.queries, eval.chosen_weight, eval.k, eval.cross_validated
    );
    if !eval.skipped.is_empty() {
        println!(
            "skipped (no relevant item in this catalog): {}",
            eval.skipped.join("; ")
        );
    }
}

pub fn eval_search(args: &EvalSearchArgs, quiet: bool) -> Result<()> {
    let queries = match &args.queries {
        Some(path) => QuerySet::load(path)?,
        None => QuerySet::builtin(),
    };
    let weights = parse_weights(&args.weights)?;
    let (dataset, search) = catalog_search(&args.data, &args.embedding, quiet)?;
    let eval = evaluate(
        &search,
        &dataset.catalog,
        &queries.queries,
        &weights,
        args.k,
    )?;
    print_evaluation(&eval);
    if args.verbose {
        println!("\nper query at dense weight {:.2}:", eval.chosen_weight);
        for q in &eval.per_query {
            println!(
                "  {:.2}  {:<40} {:<13} {} relevant",
                q.precision, q.query, q.kind, q.relevant
            );
        }
    }
    if let Some(path) = &args.json {
        write_file(path, &serde_json::to_string_pretty(&eval)?)?;
    }
    Ok(())
}
