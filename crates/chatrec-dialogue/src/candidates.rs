//! Candidate assembly: which items may be shown (hard constraints, exclusions) and how
//! relevant each one is (the recommender for this user or a folded-in new user, the
//! request's text, knowledge-graph neighbours of liked items, dislikes, soft wishes).

use serde::Serialize;

use chatrec_knowledge::graph::EvidenceKind;

use crate::acts::{Constraint, Polarity, Relation, Strictness};
use crate::engine::Engine;
use crate::state::{HeldConstraint, SessionState};

/// Weights of the normalised signals. Each signal is z-scored over the eligible items
/// first, so a weight says how many standard deviations of one signal are worth one of
/// the collaborative score.
const W_COLLABORATIVE: f32 = 1.0;
const W_GRAPH: f32 = 0.4;
const W_CATEGORIES: f32 = 0.6;
const W_QUERY: f32 = 0.8;
const W_POPULARITY_WITH_HISTORY: f32 = 0.1;
const W_POPULARITY_ALONE: f32 = 0.6;
const W_DISLIKE: f32 = 0.6;
const W_STEER_AWAY: f32 = 0.3;
/// Bonus (in standard deviations) for each soft wish an item meets.
const SOFT_BONUS: f32 = 1.0;
/// Bonus for each relation asked for ("the same director as X") an item has: an explicit
/// wish, so it outweighs the usual spread of the other signals.
const RELATION_BONUS: f32 = 2.0;

/// The signals behind one candidate's score, kept for explanations and debugging.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ScoreParts {
    pub collaborative: f32,
    pub graph: f32,
    /// Mean category overlap (Jaccard) with the liked items and anchors.
    pub categories: f32,
    pub query: f32,
    pub popularity: f32,
    pub dislike: f32,
    pub soft: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Candidate {
    pub item: u32,
    pub score: f32,
    pub parts: ScoreParts,
}

/// Whether `item` satisfies a constraint (as stated: an exclusion is satisfied when the
/// item lacks the category or falls outside the years).
pub fn satisfies(engine: &Engine, item: u32, held: &HeldConstraint) -> bool {
    let matches = match &held.constraint {
        Constraint::Category { category } => engine.has_category(item, category),
        Constraint::Years { from, to } => match engine.catalog.item(item).year {
            Some(year) => from.is_none_or(|f| year >= f) && to.is_none_or(|t| year <= t),
            None => false,
        },
        // The session resolves eras into years before they are held; an unresolved one
        // constrains nothing.
        Constraint::Older | Constraint::Newer => true,
    };
    match held.polarity {
        Polarity::Include => matches,
        Polarity::Exclude => !matches,
    }
}

/// Items the session must not show: items no longer in the catalog, the known user's rated
/// items, everything shown, rejected, seen or given an opinion in this conversation.
pub fn excluded(engine: &Engine, state: &SessionState) -> Vec<bool> {
    let mut out = vec![false; engine.catalog.n_items()];
    for (excluded, &unavailable) in out.iter_mut().zip(&engine.unavailable) {
        *excluded = unavailable;
    }
    if let Some(user) = state.user {
        for &item in engine.interactions.row_indices(user as usize) {
            out[item as usize] = true;
        }
    }
    let lists = [state.shown.iter(), state.anchors.iter()];
    for list in lists {
        for &item in list {
            out[item as usize] = true;
        }
    }
    for &item in state
        .rejected
        .iter()
        .chain(state.seen.iter())
        .chain(state.opinions.keys())
    {
        out[item as usize] = true;
    }
    out
}

/// The user's positive history for folding in: the known history plus this
/// conversation's likes and anchors, as the model's interaction strengths.
pub fn fold_in_history(engine: &Engine, state: &SessionState) -> Vec<(u32, f32)> {
    let mut history: Vec<(u32, f32)> = match state.user {
        Some(user) => engine.interactions.row(user as usize).collect(),
        None => Vec::new(),
    };
    let strength = |sentiment: f32| {
        if engine.has_ratings {
            3.0 + 2.0 * sentiment
        } else {
            sentiment
        }
    };
    history.retain(|(item, _)| !state.opinions.contains_key(item));
    history.extend(state.liked().map(|(item, s)| (item, strength(s))));
    for &anchor in &state.anchors {
        if !state.opinions.contains_key(&anchor) {
            history.push((anchor, strength(0.8)));
        }
    }
    history
}

/// The `n` best eligible items for the session, best first (ties by catalog index), from
/// relevance alone; `query` holds per-item text-match scores in [0, 1] when the request
/// has free text.
pub fn rank(
    engine: &Engine,
    state: &SessionState,
    query: Option<&[f32]>,
    n: usize,
) -> Vec<Candidate> {
    let n_items = engine.catalog.n_items();
    let excluded = excluded(engine, state);
    let hard: Vec<&HeldConstraint> = state.hard_constraints().collect();
    let eligible: Vec<u32> = (0..n_items as u32)
        .filter(|&i| !excluded[i as usize] && hard.iter().all(|c| satisfies(engine, i, c)))
        .collect();
    if eligible.is_empty() {
        return Vec::new();
    }

    let history = fold_in_history(engine, state);
    let session_changed_profile = !state.opinions.is_empty() || !state.anchors.is_empty();
    let collaborative: Option<Vec<f32>> = match (state.user, history.is_empty()) {
        (Some(user), _) if !session_changed_profile => {
            let mut out = vec![0.0; n_items];
            engine.model.score_user(user, &mut out);
            Some(out)
        }
        (_, false) => {
            let mut out = vec![0.0; n_items];
            engine.model.score_history(&history, &mut out);
            Some(out)
        }
        _ => None,
    };

    let positives: Vec<(u32, f32)> = state
        .liked()
        .chain(state.anchors.iter().map(|&a| (a, 0.8)))
        .collect();
    let graph = engine
        .kg_similarity
        .as_ref()
        .filter(|_| !positives.is_empty());
    let negatives: Vec<(u32, f32)> = state
        .disliked()
        .map(|(i, s)| (i, -s * W_DISLIKE))
        .chain(state.steer_away.iter().map(|&i| (i, W_STEER_AWAY)))
        .collect();
    let dislike = (!negatives.is_empty()).then(|| co_liking_penalty(engine, &negatives));

    let soft: Vec<&HeldConstraint> = state
        .constraints
        .iter()
        .filter(|c| c.strictness == Strictness::Soft)
        .collect();

    let related: Vec<u32> = match (&engine.graph, state.wanted_relations.is_empty()) {
        (Some(graph), false) => eligible
            .iter()
            .map(|&i| {
                state
                    .wanted_relations
                    .iter()
                    .filter(|&&(anchor, relation)| {
                        graph
                            .evidence(anchor, i)
                            .iter()
                            .any(|e| relation_matches(relation, &e.kind))
                    })
                    .count() as u32
            })
            .collect(),
        _ => Vec::new(),
    };

    let mut parts: Vec<ScoreParts> = eligible
        .iter()
        .enumerate()
        .map(|(k, &i)| ScoreParts {
            collaborative: collaborative.as_ref().map_or(0.0, |c| c[i as usize]),
            graph: graph.map_or(0.0, |g| {
                positives.iter().map(|&(p, w)| w * g.similarity(p, i)).sum()
            }),
            categories: if positives.is_empty() {
                0.0
            } else {
                positives
                    .iter()
                    .map(|&(p, w)| w * category_overlap(engine, p, i))
                    .sum::<f32>()
                    / positives.len() as f32
            },
            query: query.map_or(0.0, |q| q[i as usize]),
            popularity: (1.0 + engine.popularity[i as usize].0 as f32).ln(),
            dislike: dislike.as_ref().map_or(0.0, |d| d[i as usize]),
            soft: RELATION_BONUS * related.get(k).copied().unwrap_or(0) as f32
                + soft
                    .iter()
                    .map(|c| {
                        if satisfies(engine, i, c) {
                            SOFT_BONUS
                        } else {
                            0.0
                        }
                    })
                    .sum::<f32>(),
        })
        .collect();
    standardise(&mut parts, |p| &mut p.collaborative);
    standardise(&mut parts, |p| &mut p.graph);
    standardise(&mut parts, |p| &mut p.categories);
    standardise(&mut parts, |p| &mut p.query);
    standardise(&mut parts, |p| &mut p.popularity);
    standardise(&mut parts, |p| &mut p.dislike);

    let w_popularity = if collaborative.is_some() {
        W_POPULARITY_WITH_HISTORY
    } else {
        W_POPULARITY_ALONE
    };
    let mut candidates: Vec<Candidate> = eligible
        .iter()
        .zip(parts)
        .map(|(&item, p)| Candidate {
            item,
            score: W_COLLABORATIVE * p.collaborative
                + W_GRAPH * p.graph
                + W_CATEGORIES * p.categories
                + W_QUERY * p.query
                + w_popularity * p.popularity
                - p.dislike
                + p.soft,
            parts: p,
        })
        .collect();
    let by_score = |a: &Candidate, b: &Candidate| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.item.cmp(&b.item))
    };
    let n = n.min(candidates.len());
    candidates.select_nth_unstable_by(n - 1, by_score);
    candidates.truncate(n);
    candidates.sort_by(by_score);
    candidates
}

/// Whether graph evidence between an anchor and an item is the relation asked for.
fn relation_matches(relation: Relation, kind: &EvidenceKind) -> bool {
    matches!(
        (relation, kind),
        (Relation::SameDirector, EvidenceKind::SameDirector)
            | (Relation::SameWriter, EvidenceKind::SameWriter)
            | (Relation::SharedCast, EvidenceKind::SharedCast { .. })
            | (Relation::SameProducer, EvidenceKind::SameProducer)
            | (Relation::SequelOf, EvidenceKind::SequelOf)
            | (Relation::PrequelOf, EvidenceKind::PrequelOf)
    )
}

/// z-scores one signal over the candidates in place; a constant signal becomes 0.
fn standardise(parts: &mut [ScoreParts], field: impl Fn(&mut ScoreParts) -> &mut f32) {
    let n = parts.len() as f64;
    if n == 0.0 {
        return;
    }
    let mean = parts.iter_mut().map(|p| *field(p) as f64).sum::<f64>() / n;
    let var = parts
        .iter_mut()
        .map(|p| (*field(p) as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let sd = var.sqrt();
    for p in parts.iter_mut() {
        let v = field(p);
        *v = if sd > 1e-12 {
            ((*v as f64 - mean) / sd) as f32
        } else {
            0.0
        };
    }
}

/// Per item: the weighted cosine between its likers and the likers of each negative item
/// ("people who liked what you hated also liked this").
fn co_liking_penalty(engine: &Engine, negatives: &[(u32, f32)]) -> Vec<f32> {
    let n_items = engine.catalog.n_items();
    let mut penalty = vec![0.0f32; n_items];
    let mut counts = vec![0u32; n_items];
    for &(negative, weight) in negatives {
        counts.iter_mut().for_each(|c| *c = 0);
        let likers = engine.likers.row_indices(negative as usize);
        for &user in likers {
            for (item, value) in engine.interactions.row(user as usize) {
                if engine.is_like(value) {
                    counts[item as usize] += 1;
                }
            }
        }
        let n_neg = likers.len() as f32;
        for (item, &count) in counts.iter().enumerate() {
            if count > 0 {
                let n_item = engine.likers.row_nnz(item) as f32;
                penalty[item] += weight * count as f32 / (n_neg * n_item).sqrt();
            }
        }
    }
    penalty
}

/// Picks `n` of the ranked candidates by maximal marginal relevance: each pick trades
/// relevance (min-max scaled) against its largest category overlap with the picks so far.
pub fn diversify(engine: &Engine, ranked: &[Candidate], n: usize, lambda: f32) -> Vec<Candidate> {
    if ranked.is_empty() {
        return Vec::new();
    }
    let (lo, hi) = ranked
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), c| {
            (lo.min(c.score), hi.max(c.score))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut left: Vec<&Candidate> = ranked.iter().collect();
    let mut picked: Vec<Candidate> = Vec::with_capacity(n);
    while picked.len() < n && !left.is_empty() {
        let mut best = 0;
        let mut best_value = f32::NEG_INFINITY;
        for (k, c) in left.iter().enumerate() {
            let relevance = (c.score - lo) / span;
            let overlap = picked
                .iter()
                .map(|p| category_overlap(engine, p.item, c.item))
                .fold(0.0f32, f32::max);
            let value = lambda * relevance - (1.0 - lambda) * overlap;
            if value > best_value {
                best_value = value;
                best = k;
            }
        }
        picked.push(*left.remove(best));
    }
    picked
}

/// Jaccard overlap of two items' categories (1 for two uncategorised items).
fn category_overlap(engine: &Engine, a: u32, b: u32) -> f32 {
    let (x, y) = (
        engine.category_bits[a as usize],
        engine.category_bits[b as usize],
    );
    let union = (x | y).count_ones();
    if union == 0 {
        1.0
    } else {
        (x & y).count_ones() as f32 / union as f32
    }
}
