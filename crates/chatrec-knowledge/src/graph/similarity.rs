//! Relation-aware item-item similarity over the knowledge graph.
//!
//! # Algorithm
//!
//! Each item is a sparse vector over features `(relation, entity)`, one per fact (the
//! direction is implied by the relation for all but item-to-item links, which are treated
//! as undirected). An item linked directly to another item (a sequel) also gets the
//! feature `(relation, its own entity)`, so that both ends of a link, and the films of one
//! series, share features. Features held by fewer than two items cannot be shared and are
//! dropped, so that a long unshared cast does not dilute an item's similarities.
//!
//! The value of feature `f` of relation `r` is `sqrt(w_r) · idf(f)` with
//! `idf(f) = ln(N / df(f))`, `N` the number of items with features and `df(f)` the number
//! holding `f` (Salton & Buckley, "Term-weighting approaches in automatic text retrieval",
//! 1988). The square root makes `w_r` the factor on relation `r`'s share of dot products
//! and squared norms, so a weight of 2 counts a relation twice and 0 removes it. The
//! similarity of items `a != b` is the cosine with shrinkage
//! `sim(a, b) = x_a·x_b / (|x_a| |x_b| + shrink)`.
//!
//! The dot products of one item with all others are accumulated from the inverted
//! feature lists in a dense row, in parallel over items.
//!
//! # Determinism
//!
//! There is no randomness. Feature ids follow the order of items and facts; each item's
//! neighbour list is computed by one thread in a fixed order, with ties going to the lower
//! item index, so results are identical for any number of threads.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use chatrec_core::CsrMatrix;
use chatrec_models::Scored;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Evidence, KnowledgeError, KnowledgeGraph};

/// Features shared by fewer items than this are dropped (they cannot make two items alike).
const MIN_FEATURE_ITEMS: usize = 2;

/// A weight per relation for [`KgSimilarity`]; relations not listed get `default`.
///
/// Written as `*=1,film.film.actor=0.5,directed_by=2`: `*` sets the default, and a name is
/// either a canonical relation or its last segment (`directed_by`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationWeights {
    weights: BTreeMap<String, f32>,
    default: f32,
}

impl Default for RelationWeights {
    fn default() -> Self {
        Self::uniform()
    }
}

impl RelationWeights {
    /// Every relation weighs 1.
    pub fn uniform() -> Self {
        RelationWeights {
            weights: BTreeMap::new(),
            default: 1.0,
        }
    }

    /// Parses the written form (see the type documentation); `uniform` or an empty string
    /// gives [`RelationWeights::uniform`].
    pub fn parse(spec: &str) -> Result<Self, KnowledgeError> {
        let invalid = |reason: String| KnowledgeError::InvalidWeights {
            spec: spec.to_owned(),
            reason,
        };
        let mut out = Self::uniform();
        let trimmed = spec.trim();
        if trimmed.is_empty() || trimmed == "uniform" {
            return Ok(out);
        }
        for part in trimmed.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| invalid(format!("`{part}` is not relation=weight")))?;
            let weight: f32 = value
                .trim()
                .parse()
                .map_err(|_| invalid(format!("`{value}` is not a number")))?;
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(invalid(format!(
                    "weight of `{name}` must be finite and >= 0"
                )));
            }
            match name.trim() {
                "*" => out.default = weight,
                "" => return Err(invalid(format!("`{part}` names no relation"))),
                name => {
                    out.weights.insert(name.to_owned(), weight);
                }
            }
        }
        Ok(out)
    }

    /// The weight of a canonical relation: its own entry, else the entry of its last
    /// segment, else the default.
    pub fn get(&self, relation: &str) -> f32 {
        if let Some(&w) = self.weights.get(relation) {
            return w;
        }
        let short = relation.rsplit('.').next().unwrap_or(relation);
        self.weights.get(short).copied().unwrap_or(self.default)
    }

    /// Sets the weight of a relation (canonical name or last segment).
    pub fn set(&mut self, relation: &str, weight: f32) {
        self.weights.insert(relation.to_owned(), weight);
    }

    /// The weight of every relation of `graph`, in relation order.
    pub fn resolve(&self, graph: &KnowledgeGraph) -> Vec<f32> {
        graph.relations().iter().map(|r| self.get(r)).collect()
    }
}

impl fmt::Display for RelationWeights {
    /// The written form, which [`RelationWeights::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*={}", self.default)?;
        for (name, w) in &self.weights {
            write!(f, ",{name}={w}")?;
        }
        Ok(())
    }
}

/// Item feature vectors before relation weights: idf values and the relation of each
/// feature. Built once per graph; re-weighting is a pass over the values.
#[derive(Debug, Clone)]
pub(crate) struct ItemFeatures {
    /// items x features, values `idf(f)`.
    matrix: CsrMatrix,
    /// Relation of each feature (column).
    feature_relation: Vec<u32>,
}

impl ItemFeatures {
    pub(crate) fn new(graph: &KnowledgeGraph) -> Self {
        let n_items = graph.n_items();
        let mut ids: HashMap<(u32, u32), u32> = HashMap::new();
        let mut feature_relation = Vec::new();
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); n_items];
        for (item, row) in rows.iter_mut().enumerate() {
            let own = graph.entity_of(item as u32);
            let mut keys: Vec<(u32, u32)> = Vec::new();
            for fact in graph.facts(item as u32) {
                keys.push((fact.relation, fact.entity));
                if let Some(own) = own {
                    if !graph.items_of(fact.entity).is_empty() {
                        keys.push((fact.relation, own));
                    }
                }
            }
            for key in keys {
                let next = ids.len() as u32;
                let id = *ids.entry(key).or_insert_with(|| {
                    feature_relation.push(key.0);
                    next
                });
                row.push(id);
            }
            row.sort_unstable();
            row.dedup();
        }
        let n_features = feature_relation.len();
        let mut df = vec![0usize; n_features];
        for row in &rows {
            for &f in row {
                df[f as usize] += 1;
            }
        }
        let n_with_features = rows.iter().filter(|r| !r.is_empty()).count().max(1) as f32;
        let mut triplets = Vec::new();
        for (item, row) in rows.iter().enumerate() {
            for &f in row {
                let d = df[f as usize];
                if d >= MIN_FEATURE_ITEMS {
                    let idf = (n_with_features / d as f32).ln();
                    if idf > 0.0 {
                        triplets.push((item as u32, f, idf));
                    }
                }
            }
        }
        ItemFeatures {
            matrix: CsrMatrix::from_triplets(n_items, n_features, &triplets),
            feature_relation,
        }
    }

    /// Relations with at least one shareable feature, ascending: the only ones whose
    /// weight changes anything.
    pub(crate) fn active_relations(&self) -> Vec<u32> {
        let mut active: Vec<u32> = self
            .matrix
            .indices()
            .iter()
            .map(|&f| self.feature_relation[f as usize])
            .collect();
        active.sort_unstable();
        active.dedup();
        active
    }

    /// The feature matrix with relation weights applied.
    fn weighted(&self, relation_weights: &[f32]) -> CsrMatrix {
        let scale: Vec<f32> = relation_weights.iter().map(|w| w.max(0.0).sqrt()).collect();
        let relation_of = &self.feature_relation;
        let mut triplets = Vec::with_capacity(self.matrix.nnz());
        for item in 0..self.matrix.n_rows() {
            for (f, v) in self.matrix.row(item) {
                let s = scale
                    .get(relation_of[f as usize] as usize)
                    .copied()
                    .unwrap_or(0.0);
                if s > 0.0 {
                    triplets.push((item as u32, f, s * v));
                }
            }
        }
        CsrMatrix::from_triplets(self.matrix.n_rows(), self.matrix.n_cols(), &triplets)
    }
}

/// Item-item similarity under one set of relation weights; see the module documentation.
#[derive(Debug, Clone)]
pub struct KgSimilarity {
    graph: Arc<KnowledgeGraph>,
    weights: RelationWeights,
    shrink: f32,
    /// items x features, weighted.
    items: CsrMatrix,
    /// features x items.
    features: CsrMatrix,
    norms: Vec<f32>,
}

impl KgSimilarity {
    /// Builds the weighted item vectors of `graph`. `shrink` (>= 0) is added to the cosine
    /// denominator.
    pub fn new(graph: Arc<KnowledgeGraph>, weights: &RelationWeights, shrink: f32) -> Self {
        let base = ItemFeatures::new(&graph);
        Self::from_features(graph, &base, weights, shrink)
    }

    pub(crate) fn from_features(
        graph: Arc<KnowledgeGraph>,
        base: &ItemFeatures,
        weights: &RelationWeights,
        shrink: f32,
    ) -> Self {
        let items = base.weighted(&weights.resolve(&graph));
        let norms = (0..items.n_rows())
            .map(|i| items.row_data(i).iter().map(|v| v * v).sum::<f32>().sqrt())
            .collect();
        KgSimilarity {
            features: items.transpose(),
            items,
            norms,
            graph,
            weights: weights.clone(),
            shrink: shrink.max(0.0),
        }
    }

    pub fn graph(&self) -> &Arc<KnowledgeGraph> {
        &self.graph
    }

    pub fn weights(&self) -> &RelationWeights {
        &self.weights
    }

    /// Number of items (the graph's catalog size).
    pub fn n_items(&self) -> usize {
        self.items.n_rows()
    }

    /// The similarity of two items; 0 for the same item or items outside the graph.
    pub fn similarity(&self, a: u32, b: u32) -> f32 {
        let n = self.n_items();
        if a == b || a as usize >= n || b as usize >= n {
            return 0.0;
        }
        let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
        let (fa, va) = (
            self.items.row_indices(a as usize),
            self.items.row_data(a as usize),
        );
        let (fb, vb) = (
            self.items.row_indices(b as usize),
            self.items.row_data(b as usize),
        );
        while i < fa.len() && j < fb.len() {
            match fa[i].cmp(&fb[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += va[i] * vb[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        self.cosine(dot, a, b)
    }

    fn cosine(&self, dot: f32, a: u32, b: u32) -> f32 {
        let denominator = self.norms[a as usize] * self.norms[b as usize] + self.shrink;
        if denominator > 0.0 {
            dot / denominator
        } else {
            0.0
        }
    }

    /// The `k` items most similar to `item` with a positive similarity, best first, ties
    /// to the lower index; `scratch` must have length `n_items()` and be all zero (it is
    /// left all zero).
    fn nearest(&self, item: u32, k: usize, scratch: &mut [f32]) -> Vec<Scored> {
        if item as usize >= self.n_items() || k == 0 {
            return Vec::new();
        }
        let mut touched: Vec<u32> = Vec::new();
        for (f, wa) in self.items.row(item as usize) {
            for (other, wb) in self.features.row(f as usize) {
                let slot = &mut scratch[other as usize];
                if *slot == 0.0 {
                    touched.push(other);
                }
                *slot += wa * wb;
            }
        }
        let mut list: Vec<Scored> = Vec::with_capacity(touched.len());
        for other in touched {
            let dot = std::mem::take(&mut scratch[other as usize]);
            if other == item {
                continue;
            }
            let score = self.cosine(dot, item, other);
            if score > 0.0 && score.is_finite() {
                list.push(Scored { item: other, score });
            }
        }
        let better = |x: &Scored, y: &Scored| y.score.total_cmp(&x.score).then(x.item.cmp(&y.item));
        if list.len() > k {
            list.select_nth_unstable_by(k - 1, better);
            list.truncate(k);
        }
        list.sort_unstable_by(better);
        list
    }

    /// The `k` items most similar to `item`, best first.
    pub fn neighbours(&self, item: u32, k: usize) -> Vec<Scored> {
        let mut scratch = vec![0.0; self.n_items()];
        self.nearest(item, k, &mut scratch)
    }

    /// The `k` nearest neighbours of every item as an items x items matrix (row `i`: the
    /// neighbours of `i` with their similarities), computed in parallel over items.
    pub fn all_neighbours(&self, k: usize) -> CsrMatrix {
        let n = self.n_items();
        let lists: Vec<Vec<Scored>> = (0..n as u32)
            .into_par_iter()
            .map_init(|| vec![0.0f32; n], |scratch, i| self.nearest(i, k, scratch))
            .collect();
        let triplets: Vec<(u32, u32, f32)> = lists
            .iter()
            .enumerate()
            .flat_map(|(i, list)| list.iter().map(move |s| (i as u32, s.item, s.score)))
            .collect();
        CsrMatrix::from_triplets(n, n, &triplets)
    }

    /// The `n` nearest neighbours of `item` with the graph's evidence for each.
    pub fn neighbours_with_evidence(&self, item: u32, n: usize) -> Vec<(Scored, Vec<Evidence>)> {
        self.neighbours(item, n)
            .into_iter()
            .map(|s| (s, self.graph.evidence(item, s.item)))
            .collect()
    }
}
