//! `chatrec find` and `chatrec similar`: finding items from what people type, and their
//! neighbours with the knowledge-graph facts that connect them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chatrec_core::import::find_recbole_name;
use chatrec_core::Dataset;
use chatrec_knowledge::graph::{KgSimilarity, KnowledgeGraph, RelationWeights};
use chatrec_knowledge::titles::TitleIndex;
use chatrec_models::{Scored, TrainedModel};
use serde::Serialize;

use crate::cli::{FindArgs, SimilarArgs};

pub fn find(args: &FindArgs) -> Result<()> {
    let dataset = crate::data::load(&args.data, &Default::default(), true)?;
    let index = TitleIndex::new(&dataset.catalog);
    let matches = index.find(&args.query, args.n);
    if args.json {
        println!("{}", serde_json::to_string(&matches)?);
        return Ok(());
    }
    if matches.matches.is_empty() {
        println!("no title matches `{}`", args.query);
        return Ok(());
    }
    if matches.ambiguous {
        println!("`{}` is ambiguous; did you mean one of these?", args.query);
    }
    for m in &matches.matches {
        println!("{:>8}  {:<60} {:.2}", m.item_id, m.title, m.confidence);
    }
    Ok(())
}

/// The directory and name of RecBole atomic files under `path` (`data/` or `data/ml-100k`).
fn recbole_files(path: &Path) -> Option<(PathBuf, String)> {
    [path.to_path_buf(), path.join("ml-100k")]
        .into_iter()
        .filter(|dir| dir.is_dir())
        .find_map(|dir| match find_recbole_name(&dir) {
            Ok(Some(name)) => Some((dir, name)),
            _ => None,
        })
}

/// Loads the knowledge graph beside the data set, when the data set has one.
pub(crate) fn load_graph(data: &Path, dataset: &Dataset) -> Result<Option<Arc<KnowledgeGraph>>> {
    let Some((dir, name)) = recbole_files(data) else {
        return Ok(None);
    };
    if !dir.join(format!("{name}.kg")).is_file() || !dir.join(format!("{name}.link")).is_file() {
        return Ok(None);
    }
    let (graph, _report) = KnowledgeGraph::load_dir(&dir, &name, &dataset.catalog)
        .with_context(|| format!("cannot load the knowledge graph in {}", dir.display()))?;
    Ok(Some(Arc::new(graph)))
}

/// The catalog index of an item given by id or by (a typed form of) its title.
fn resolve_item(dataset: &Dataset, wanted: &str) -> Result<u32> {
    if let Some(item) = dataset.catalog.item_index(wanted) {
        return Ok(item);
    }
    let matches = TitleIndex::new(&dataset.catalog).find(wanted, 5);
    if let Some(best) = matches.unique_confident() {
        return Ok(best.item);
    }
    if matches.matches.is_empty() {
        bail!("no item has the id or a title like `{wanted}`; try `chatrec find \"{wanted}\"`");
    }
    let options: Vec<String> = matches
        .matches
        .iter()
        .map(|m| format!("{} [{}]", m.title, m.item_id))
        .collect();
    bail!(
        "`{wanted}` could be {}; name the item by id or add the year",
        options.join(", ")
    )
}

#[derive(Serialize)]
struct Neighbour {
    rank: usize,
    item_id: String,
    title: String,
    score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<Vec<String>>,
}

pub fn similar(args: &SimilarArgs, quiet: bool) -> Result<()> {
    let dataset = crate::data::load(&args.data, &Default::default(), true)?;
    let item = resolve_item(&dataset, &args.item)?;
    let graph = if args.why || !args.model_file.exists() {
        load_graph(&args.data, &dataset)?
    } else {
        None
    };
    let catalog = &dataset.catalog;
    // Neighbours in catalog indices: from the trained model when there is one, else from
    // the knowledge graph alone.
    let neighbours: Vec<Scored> = if args.model_file.exists() {
        let trained = TrainedModel::load(&args.model_file)?;
        let item_id = &catalog.item(item).id;
        let model_item = trained.items.get(item_id).with_context(|| {
            format!(
                "item `{item_id}` is not in the model {}",
                args.model_file.display()
            )
        })?;
        trained
            .model
            .similar_items(model_item, args.n)
            .into_iter()
            .filter_map(|s| {
                catalog
                    .item_index(trained.items.id(s.item))
                    .map(|i| Scored {
                        item: i,
                        score: s.score,
                    })
            })
            .collect()
    } else if let Some(graph) = &graph {
        if !quiet {
            eprintln!(
                "note: no model at {}; neighbours come from the knowledge graph alone",
                args.model_file.display()
            );
        }
        KgSimilarity::new(graph.clone(), &RelationWeights::uniform(), 0.0).neighbours(item, args.n)
    } else {
        bail!(
            "no model at {} and no knowledge graph in {}; train one with `chatrec train --out {}`",
            args.model_file.display(),
            args.data.display(),
            args.model_file.display()
        );
    };
    if args.why && graph.is_none() && !quiet {
        eprintln!(
            "note: {} has no knowledge graph (.kg/.link); no facts to show",
            args.data.display()
        );
    }
    let display = |i: u32| {
        let it = catalog.item(i);
        match it.year {
            Some(year) => format!("{} ({year})", it.title),
            None => it.title.clone(),
        }
    };
    let shown: Vec<Neighbour> = neighbours
        .iter()
        .enumerate()
        .map(|(rank, s)| Neighbour {
            rank: rank + 1,
            item_id: catalog.item(s.item).id.clone(),
            title: display(s.item),
            score: s.score,
            why: args.why.then(|| {
                graph
                    .as_ref()
                    .map(|g| {
                        g.evidence(item, s.item)
                            .iter()
                            .map(|e| e.describe(catalog))
                            .collect()
                    })
                    .unwrap_or_default()
            }),
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(());
    }
    println!(
        "items similar to {} [{}]:",
        display(item),
        catalog.item(item).id
    );
    for n in &shown {
        println!(
            "{:>3}. {:<8} {:<60} {:.4}",
            n.rank, n.item_id, n.title, n.score
        );
        if let Some(why) = &n.why {
            if why.is_empty() {
                println!("       (no shared knowledge-graph facts)");
            } else {
                println!("       {}", why.join("; "));
            }
        }
    }
    Ok(())
}
