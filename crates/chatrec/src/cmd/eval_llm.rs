//! `chatrec eval --llm`: the Chat-Rec setup. The recommender proposes its top 20 for each
//! test user, the language model chooses and orders `--llm-k` of them, and both lists are
//! scored against the user's held-out items.

use std::sync::Arc;

use anyhow::{Context, Result};
use chatrec_dialogue::assist::{RerankCandidate, RerankInput};
use chatrec_dialogue::state::SessionState;
use chatrec_dialogue::{Assistant, AssistantCounts, Engine, EngineOptions};
use chatrec_llm::UsageCounts;
use chatrec_models::eval::metrics::RankingMetrics;
use chatrec_models::eval::runner::relevant_matrix;
use chatrec_models::registry::Task;
use chatrec_models::{Recommender, TrainSet};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::model::fit;
use crate::cli::EvalArgs;
use crate::progress::Bars;
use chatrec_models::Progress;

/// Candidates the model reranks, as in the paper.
const CANDIDATES: usize = 20;

#[derive(Debug, Serialize)]
pub struct LlmRerankReport {
    pub llm: String,
    pub users: usize,
    pub candidates: usize,
    pub k: usize,
    /// Mean metrics at each cut-off, `name@k`, for the recommender's own order.
    pub recommender: Vec<(String, f64)>,
    /// The same users, with the model's choice (the recommender's order where it fell back).
    pub reranked: Vec<(String, f64)>,
    pub counts: AssistantCounts,
    pub usage: UsageCounts,
    pub seconds: f64,
}

pub fn rerank_eval(
    args: &EvalArgs,
    dataset: &chatrec_core::Dataset,
    split: &chatrec_models::eval::Split,
    params: &[(String, String)],
    quiet: bool,
) -> Result<LlmRerankReport> {
    let assistant = args
        .llm
        .assistant(&args.protocol.data)?
        .context("--llm none has no model to rerank with")?;
    let train = TrainSet::from_interactions(dataset, &split.train);
    let bars = Bars::new(quiet);
    let fitted = fit(
        &args.model.model,
        params,
        args.model.seed,
        Task::Ranking,
        &train,
        &bars,
    )?;
    let model: Arc<dyn Recommender> = Arc::from(fitted.model);
    let relevant = relevant_matrix(
        dataset.n_users(),
        dataset.n_items(),
        &split.test,
        args.protocol.relevant_min_rating,
    )?;
    let mut known = dataset.clone();
    known.interactions = split.train.clone();
    let engine = Engine::new(known, model.clone(), EngineOptions::default())?;
    let interactions = engine.interactions().clone();

    let mut users: Vec<u32> = (0..dataset.n_users() as u32)
        .filter(|&u| relevant.row_nnz(u as usize) > 0)
        .collect();
    users.shuffle(&mut ChaCha8Rng::seed_from_u64(args.model.seed));
    users.truncate(args.llm_users);
    let k = args.llm_k.clamp(1, CANDIDATES);
    let cutoffs: Vec<usize> = args
        .protocol
        .k
        .iter()
        .copied()
        .filter(|&c| c <= k)
        .collect();
    let cutoffs = if cutoffs.is_empty() { vec![k] } else { cutoffs };

    let started = std::time::Instant::now();
    bars.start("LLM rerank", users.len() as u64);
    let mut plain_sum = vec![RankingMetrics::default(); cutoffs.len()];
    let mut llm_sum = vec![RankingMetrics::default(); cutoffs.len()];
    for &user in &users {
        let exclude = interactions.row_indices(user as usize);
        let top = model.recommend(user, CANDIDATES, exclude);
        let candidates: Vec<RerankCandidate> = top
            .iter()
            .map(|s| RerankCandidate {
                item: s.item,
                score: s.score,
            })
            .collect();
        let plain: Vec<u32> = top.iter().take(k).map(|s| s.item).collect();
        let state = SessionState::new(Some(user));
        let chosen: Vec<u32> = assistant
            .rerank_with_reasons(&RerankInput {
                engine: &engine,
                state: &state,
                query: None,
                candidates: &candidates,
                k,
            })
            .map(|ranked| ranked.into_iter().map(|r| r.item).collect())
            .unwrap_or_else(|| plain.clone());
        let truth = relevant.row_indices(user as usize);
        for (i, &cutoff) in cutoffs.iter().enumerate() {
            add(
                &mut plain_sum[i],
                RankingMetrics::compute(&plain, truth, cutoff),
            );
            add(
                &mut llm_sum[i],
                RankingMetrics::compute(&chosen, truth, cutoff),
            );
        }
        bars.advance(1);
    }
    bars.finish();
    let n = users.len().max(1) as f64;
    let named = |sums: &[RankingMetrics]| -> Vec<(String, f64)> {
        let mut out = Vec::new();
        for (sum, cutoff) in sums.iter().zip(&cutoffs) {
            for (name, value) in chatrec_models::eval::metrics::RANKING_METRIC_NAMES
                .iter()
                .zip(sum.values())
            {
                out.push((format!("{name}@{cutoff}"), value / n));
            }
        }
        out
    };
    Ok(LlmRerankReport {
        llm: assistant.model().name().to_owned(),
        users: users.len(),
        candidates: CANDIDATES,
        k,
        recommender: named(&plain_sum),
        reranked: named(&llm_sum),
        counts: assistant.counts(),
        usage: assistant.model().usage(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn add(sum: &mut RankingMetrics, one: RankingMetrics) {
    sum.precision += one.precision;
    sum.recall += one.recall;
    sum.ndcg += one.ndcg;
    sum.map += one.map;
    sum.mrr += one.mrr;
    sum.hit += one.hit;
}

/// The side-by-side table printed by `chatrec eval --llm`.
pub fn text(report: &LlmRerankReport) -> String {
    let mut out = format!(
        "LLM rerank of the recommender's top {} (Chat-Rec setup): {} users, {} chooses {}\n\
         {:<14} {:>12} {:>12}\n",
        report.candidates,
        report.users,
        report.llm,
        report.k,
        "metric",
        "recommender",
        "+LLM rerank"
    );
    for ((name, plain), (_, llm)) in report.recommender.iter().zip(&report.reranked) {
        out.push_str(&format!("{name:<14} {plain:>12.4} {llm:>12.4}\n"));
    }
    let rerank = report.counts.rerank;
    out.push_str(&format!(
        "rerank answered {} of {} ({} after a repair, {} fell back to the recommender's order); \
         {} prompt + {} generated tokens in {:.1} s",
        rerank.answered,
        rerank.answered + rerank.fallbacks,
        rerank.repaired,
        rerank.fallbacks,
        report.usage.prompt_tokens,
        report.usage.completion_tokens,
        report.seconds
    ));
    out
}
