//! `chatrec bench vectors`: exact and HNSW vector search on seeded synthetic clustered unit
//! vectors (see `chatrec_knowledge::vectors::synthetic`): build time, queries per second,
//! recall@10 of HNSW against exact, and memory, one JSON line per size.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use chatrec_knowledge::dense::DenseMatrix;
use chatrec_knowledge::vectors::synthetic::ClusteredVectors;
use chatrec_knowledge::vectors::{recall, ExactIndex, Hit, HnswIndex, IndexOptions};
use serde::Serialize;

use crate::cli::VectorsArgs;
use crate::cmd::bench::peak_rss_mib;
use crate::output::write_file;
use crate::progress::Bars;

/// Results are compared at this depth (recall@10).
const K: usize = 10;

#[derive(Serialize)]
struct SizeReport {
    vectors: usize,
    dim: usize,
    clusters: usize,
    spread: f32,
    queries: usize,
    seed: u64,
    threads: usize,
    generate_seconds: f64,
    vectors_mib: f64,
    exact: ExactReport,
    hnsw: HnswReport,
    filtered: Vec<FilteredReport>,
    rss_after_build_mib: Option<f64>,
    peak_rss_mib: Option<f64>,
}

#[derive(Serialize)]
struct ExactReport {
    /// One query at a time, each scanning all vectors on every thread.
    single_queries: usize,
    single_qps: f64,
    single_p50_ms: f64,
    single_p99_ms: f64,
    /// All queries through the batch API (blocks of queries share each pass).
    batch_qps: f64,
}

#[derive(Serialize)]
struct HnswReport {
    m: usize,
    ef_construction: usize,
    parallel_build: bool,
    build_seconds: f64,
    inserts_per_second: f64,
    /// Resident memory the build added: the graph plus `hnsw_rs`'s copy of the vectors.
    build_rss_delta_mib: Option<f64>,
    runs: Vec<HnswRun>,
}

#[derive(Serialize)]
struct HnswRun {
    ef_search: usize,
    recall_at_10: f64,
    /// One query at a time on one thread (a graph search is single-threaded).
    single_thread_qps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// All queries through the batch API, one query per thread at a time.
    batch_qps: f64,
}

#[derive(Serialize)]
struct FilteredReport {
    /// Share of ids the filter lets through (every `1/share`-th id).
    share: f64,
    /// HNSW search breadth of the filtered searches (the library default).
    ef_search: usize,
    queries: usize,
    exact_qps: f64,
    /// The HNSW graph walk with the filter, forced (no switch to exact).
    hnsw_walk_qps: f64,
    hnsw_walk_recall_at_10: f64,
    /// `search_filtered` with the default selectivity switch.
    hnsw_auto_qps: f64,
    hnsw_auto_recall_at_10: f64,
}

/// Current resident memory of this process, from /proc (Linux only).
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Runs `search` once per query row, timing each; returns the lists, QPS and latencies.
fn timed_singles(
    queries: &DenseMatrix,
    count: usize,
    mut search: impl FnMut(&[f32]) -> Result<Vec<Hit>>,
) -> Result<(Vec<Vec<Hit>>, f64, Vec<f64>)> {
    let mut lists = Vec::with_capacity(count);
    let mut latencies = Vec::with_capacity(count);
    let started = Instant::now();
    for q in queries.iter_rows().take(count) {
        let t = Instant::now();
        lists.push(search(q)?);
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let qps = lists.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    latencies.sort_by(f64::total_cmp);
    Ok((lists, qps, latencies))
}

fn mean_recall(found: &[Vec<Hit>], truth: &[Vec<Hit>]) -> f64 {
    if truth.is_empty() {
        return 1.0;
    }
    let sum: f64 = found.iter().zip(truth).map(|(f, t)| recall(f, t)).sum();
    sum / truth.len() as f64
}

pub fn vectors(args: &VectorsArgs, quiet: bool) -> Result<()> {
    if args.sizes.is_empty() || args.ef_search.is_empty() {
        bail!("--sizes and --ef-search need at least one value");
    }
    if args.dim == 0 || args.queries == 0 {
        bail!("--dim and --queries must be at least 1");
    }
    if let Some(bad) = args
        .filter_shares
        .iter()
        .find(|s| !(**s > 0.0 && **s <= 1.0))
    {
        bail!("--filter-shares are shares in (0, 1], got {bad}");
    }
    let opts = IndexOptions {
        exact_below: 0,
        m: args.m,
        ef_construction: args.ef_construction,
        ef_search: args.ef_search[0],
        seed: args.seed,
        parallel_build: args.parallel_build,
        ..IndexOptions::default()
    };
    opts.validate().context("invalid HNSW options")?;
    let mut lines = Vec::new();
    for &n in &args.sizes {
        let report = measure_size(n, args, &opts, quiet)?;
        let line = serde_json::to_string(&report)?;
        println!("{line}");
        lines.push(line);
    }
    if let Some(path) = &args.json {
        write_file(path, &(lines.join("\n") + "\n"))?;
    }
    Ok(())
}

fn measure_size(
    n: usize,
    args: &VectorsArgs,
    opts: &IndexOptions,
    quiet: bool,
) -> Result<SizeReport> {
    let say = |msg: String| {
        if !quiet {
            eprintln!("[{n}] {msg}");
        }
    };
    let clusters = args.clusters.unwrap_or((n / 100).max(1));
    let started = Instant::now();
    let mixture = ClusteredVectors::new(args.dim, clusters, args.spread, args.seed);
    let vectors = mixture.sample(n, 0);
    let queries = mixture.sample(args.queries, 1);
    let generate_seconds = started.elapsed().as_secs_f64();
    say(format!(
        "generated {n} x {} vectors in {clusters} clusters in {generate_seconds:.1}s",
        args.dim
    ));

    // Exact first: its batch answers are the ground truth for recall.
    let exact = ExactIndex::new(vectors).context("indexing the synthetic vectors")?;
    let started = Instant::now();
    let truth = exact.search_batch(&queries, K)?;
    let batch_qps = queries.rows() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let single_count = args.exact_queries.min(queries.rows());
    let (singles, single_qps, latencies) =
        timed_singles(&queries, single_count, |q| Ok(exact.search(q, K)?))?;
    if singles.iter().zip(&truth).any(|(a, b)| a != b) {
        bail!("exact single and batch searches disagree");
    }
    say(format!(
        "exact: {single_qps:.1} QPS one at a time, {batch_qps:.1} QPS batched"
    ));
    let exact_report = ExactReport {
        single_queries: single_count,
        single_qps,
        single_p50_ms: percentile(&latencies, 0.5),
        single_p99_ms: percentile(&latencies, 0.99),
        batch_qps,
    };
    let filter_count = args.exact_queries.min(queries.rows());
    let mut filtered_truth = Vec::new();
    let mut exact_filtered_qps = Vec::new();
    for &share in &args.filter_shares {
        let stride = (1.0 / share).round().max(1.0) as u32;
        let allow = move |id: u32| id.is_multiple_of(stride);
        let (lists, qps, _) = timed_singles(&queries, filter_count, |q| {
            Ok(exact.search_filtered(q, K, &allow)?)
        })?;
        filtered_truth.push(lists);
        exact_filtered_qps.push(qps);
    }

    let vectors = exact.into_vectors();
    let vectors_mib = (vectors.as_slice().len() * 4) as f64 / (1024.0 * 1024.0);
    let rss_before = rss_mib();
    let bars = Bars::new(quiet);
    let started = Instant::now();
    let mut hnsw = HnswIndex::build(vectors, opts, &bars)?;
    let build_seconds = started.elapsed().as_secs_f64();
    let rss_after_build_mib = rss_mib();
    say(format!("hnsw build: {build_seconds:.1}s"));

    let mut runs = Vec::new();
    for &ef in &args.ef_search {
        hnsw.set_ef_search(ef);
        let (found, qps, latencies) =
            timed_singles(&queries, queries.rows(), |q| Ok(hnsw.search(q, K)?))?;
        let started = Instant::now();
        let batch = hnsw.search_batch(&queries, K)?;
        let batch_qps = queries.rows() as f64 / started.elapsed().as_secs_f64().max(1e-9);
        if batch != found {
            bail!("HNSW single and batch searches disagree at ef_search {ef}");
        }
        let recall_at_10 = mean_recall(&found, &truth);
        say(format!(
            "hnsw ef_search {ef}: recall@10 {recall_at_10:.4}, {qps:.0} QPS on one thread, {batch_qps:.0} QPS batched"
        ));
        runs.push(HnswRun {
            ef_search: ef,
            recall_at_10,
            single_thread_qps: qps,
            p50_ms: percentile(&latencies, 0.5),
            p99_ms: percentile(&latencies, 0.99),
            batch_qps,
        });
    }

    let defaults = IndexOptions::default();
    hnsw.set_ef_search(defaults.ef_search);
    let default_switch = defaults.filtered_exact_below;
    let mut filtered = Vec::new();
    for ((&share, truth), exact_qps) in args
        .filter_shares
        .iter()
        .zip(&filtered_truth)
        .zip(exact_filtered_qps)
    {
        let stride = (1.0 / share).round().max(1.0) as u32;
        let allow = move |id: u32| id.is_multiple_of(stride);
        hnsw.set_filtered_exact_below(Some(0.0));
        let (walk, walk_qps, _) = timed_singles(&queries, filter_count, |q| {
            Ok(hnsw.search_filtered(q, K, &allow)?)
        })?;
        hnsw.set_filtered_exact_below(default_switch);
        let (auto, auto_qps, _) = timed_singles(&queries, filter_count, |q| {
            Ok(hnsw.search_filtered(q, K, &allow)?)
        })?;
        let report = FilteredReport {
            share: 1.0 / stride as f64,
            ef_search: defaults.ef_search,
            queries: filter_count,
            exact_qps,
            hnsw_walk_qps: walk_qps,
            hnsw_walk_recall_at_10: mean_recall(&walk, truth),
            hnsw_auto_qps: auto_qps,
            hnsw_auto_recall_at_10: mean_recall(&auto, truth),
        };
        say(format!(
            "filter share {:.3}: exact {:.1} QPS, graph walk {:.1} QPS (recall {:.4}), auto {:.1} QPS",
            report.share,
            report.exact_qps,
            report.hnsw_walk_qps,
            report.hnsw_walk_recall_at_10,
            report.hnsw_auto_qps
        ));
        filtered.push(report);
    }

    Ok(SizeReport {
        vectors: n,
        dim: args.dim,
        clusters,
        spread: args.spread,
        queries: queries.rows(),
        seed: args.seed,
        threads: rayon::current_num_threads(),
        generate_seconds,
        vectors_mib,
        exact: exact_report,
        hnsw: HnswReport {
            m: opts.m,
            ef_construction: opts.ef_construction,
            parallel_build: opts.parallel_build,
            build_seconds,
            inserts_per_second: n as f64 / build_seconds.max(1e-9),
            build_rss_delta_mib: rss_before.zip(rss_after_build_mib).map(|(b, a)| a - b),
            runs,
        },
        filtered,
        rss_after_build_mib,
        peak_rss_mib: peak_rss_mib(),
    })
}
