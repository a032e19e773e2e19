//! `chatrec bench scale`: ALS at scale on a seeded synthetic power-law data set.

use std::time::Instant;

use anyhow::Result;
use chatrec_core::synthetic::{generate_matrix, SyntheticSpec};
use chatrec_models::registry::{self, Task};
use chatrec_models::{Progress, TrainSet};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::cli::ScaleArgs;
use crate::output::write_file;
use crate::progress::Bars;

#[derive(Serialize)]
struct ScaleReport {
    users: usize,
    items: usize,
    interactions: usize,
    factors: usize,
    iterations: usize,
    threads: usize,
    generate_seconds: f64,
    fit_seconds: f64,
    seconds_per_iteration: f64,
    recommend_p50_ms: f64,
    recommend_p99_ms: f64,
    recommend_queries: usize,
    peak_rss_mib: Option<f64>,
}

/// Peak resident memory of this process so far, from /proc (Linux only).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
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

pub fn scale(args: &ScaleArgs, quiet: bool) -> Result<()> {
    let spec = SyntheticSpec {
        n_users: args.users,
        n_items: args.items,
        n_interactions: args.interactions,
        item_exponent: 1.0,
        user_exponent: 1.0,
        seed: args.seed,
    };
    let started = Instant::now();
    let matrix = generate_matrix(&spec);
    let generate_seconds = started.elapsed().as_secs_f64();
    if !quiet {
        eprintln!(
            "generated {} users x {} items with {} interactions in {generate_seconds:.1}s",
            matrix.n_rows(),
            matrix.n_cols(),
            matrix.nnz()
        );
    }
    let train = TrainSet::from_matrix(matrix);
    let params = vec![
        ("factors".to_owned(), args.factors.to_string()),
        ("iterations".to_owned(), args.iterations.to_string()),
    ];
    let (name, params) = registry::resolve("als", &params, Task::Ranking);
    let mut model = registry::build(&name, &params, args.seed)?;
    let bars = Bars::new(quiet);
    let started = Instant::now();
    model.fit(&train, &bars)?;
    bars.finish();
    let fit_seconds = started.elapsed().as_secs_f64();

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let mut latencies = Vec::with_capacity(args.queries);
    for _ in 0..args.queries {
        let user = rng.gen_range(0..train.n_users()) as u32;
        let seen = train.matrix.row_indices(user as usize);
        let started = Instant::now();
        let list = model.recommend(user, 10, seen);
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(list);
    }
    latencies.sort_by(f64::total_cmp);
    let report = ScaleReport {
        users: train.n_users(),
        items: train.n_items(),
        interactions: train.matrix.nnz(),
        factors: args.factors,
        iterations: args.iterations,
        threads: rayon::current_num_threads(),
        generate_seconds,
        fit_seconds,
        seconds_per_iteration: fit_seconds / args.iterations.max(1) as f64,
        recommend_p50_ms: percentile(&latencies, 0.50),
        recommend_p99_ms: percentile(&latencies, 0.99),
        recommend_queries: latencies.len(),
        peak_rss_mib: peak_rss_mib(),
    };
    let json = serde_json::to_string_pretty(&report)?;
    println!("{json}");
    if let Some(path) = &args.json {
        write_file(path, &json)?;
    }
    Ok(())
}
