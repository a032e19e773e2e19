//! Labelled search queries and precision@k, used to choose the dense/lexical blend.
//!
//! A label is a predicate on catalog metadata (categories, release year, title words), so
//! relevance is decided by the catalog, not by anyone's taste: "80s horror" is relevant
//! exactly for Horror items released 1980–1989. Precision@k divides by `min(k, relevant)`
//! so a query with only four relevant items can still score 1.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chatrec_core::{Catalog, Item};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{CatalogSearch, SearchError, SearchHit};
use crate::search::lexical::words;

/// The labelled MovieLens-100K queries shipped with chatrec.
const DEFAULT_QUERIES: &str = include_str!("../../data/search_queries.json");

#[derive(Debug, Error)]
pub enum QueryFileError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// The item has every one of these categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub genres_all: Vec<String>,
    /// The item has at least one of these categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub genres_any: Vec<String>,
    /// Release year within `[from, to]`, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<[i32; 2]>,
    /// The lowercase title contains one of these as a whole word.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub title_words: Vec<String>,
}

impl Label {
    pub fn is_relevant(&self, item: &Item) -> bool {
        let has = |c: &String| item.categories.iter().any(|x| x.eq_ignore_ascii_case(c));
        if !self.genres_all.iter().all(has) {
            return false;
        }
        if !self.genres_any.is_empty() && !self.genres_any.iter().any(has) {
            return false;
        }
        if let Some([from, to]) = self.years {
            match item.year {
                Some(y) if (from..=to).contains(&y) => {}
                _ => return false,
            }
        }
        if !self.title_words.is_empty() {
            let title = words(&item.title);
            if !self
                .title_words
                .iter()
                .any(|w| title.iter().any(|t| t == &w.to_lowercase()))
            {
                return false;
            }
        }
        true
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledQuery {
    pub query: String,
    /// What the query asks for ("genre", "decade", "genre+decade", "theme"), for reporting.
    pub kind: String,
    pub label: Label,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuerySet {
    /// How the queries were labelled.
    #[serde(default)]
    pub about: String,
    pub queries: Vec<LabelledQuery>,
}

impl QuerySet {
    pub fn builtin() -> Self {
        // The file is part of the source tree and parsed by a test, so this cannot fail
        // in a build that passed its tests.
        serde_json::from_str(DEFAULT_QUERIES)
            .unwrap_or_else(|e| panic!("built-in search queries: {e}"))
    }

    pub fn load(path: &Path) -> Result<Self, QueryFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| QueryFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| QueryFileError::Parse {
            path: path.display().to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }
}

/// Precision of `hits[..k]` against `relevant`, out of `min(k, |relevant|)`.
pub fn precision_at(hits: &[SearchHit], relevant: &HashSet<u32>, k: usize) -> f32 {
    let denominator = k.min(relevant.len());
    if denominator == 0 {
        return 0.0;
    }
    let found = hits
        .iter()
        .take(k)
        .filter(|h| relevant.contains(&h.item))
        .count();
    found as f32 / denominator as f32
}

#[derive(Debug, Clone, Serialize)]
pub struct WeightResult {
    pub dense_weight: f32,
    pub precision: f32,
    pub by_kind: BTreeMap<String, f32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub query: String,
    pub kind: String,
    pub relevant: usize,
    pub precision: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchEvaluation {
    pub k: usize,
    pub queries: usize,
    /// Queries without a single relevant item in this catalog; left out of every mean.
    pub skipped: Vec<String>,
    pub weights: Vec<WeightResult>,
    /// The weight with the best mean precision (ties: the smaller weight).
    pub chosen_weight: f32,
    /// Precision when the weight is chosen on half the queries and measured on the other
    /// half, both ways round: an estimate free of choosing on the queries it is scored on.
    pub cross_validated: f32,
    pub per_query: Vec<QueryResult>,
}

/// Precision@k of every weight in `weights` over `queries`.
pub fn evaluate(
    search: &CatalogSearch,
    catalog: &Catalog,
    queries: &[LabelledQuery],
    weights: &[f32],
    k: usize,
) -> Result<SearchEvaluation, SearchError> {
    if let Some(&w) = weights.iter().find(|w| !(0.0..=1.0).contains(*w)) {
        return Err(SearchError::Weight(w));
    }
    let mut skipped = Vec::new();
    // precision[q][w]
    let mut precision: Vec<Vec<f32>> = Vec::new();
    let mut kept: Vec<(&LabelledQuery, usize)> = Vec::new();
    for q in queries {
        let relevant: HashSet<u32> = catalog
            .items()
            .iter()
            .enumerate()
            .filter(|(_, item)| q.label.is_relevant(item))
            .map(|(i, _)| i as u32)
            .collect();
        if relevant.is_empty() {
            skipped.push(q.query.clone());
            continue;
        }
        let scores = search.query_scores(&q.query)?;
        precision.push(
            weights
                .iter()
                .map(|&w| precision_at(&scores.blend(w, k), &relevant, k))
                .collect(),
        );
        kept.push((q, relevant.len()));
    }
    let mean_over = |rows: &mut dyn Iterator<Item = usize>, w: usize| {
        let (sum, n) = rows.fold((0.0, 0), |(s, n), q| (s + precision[q][w], n + 1));
        if n == 0 {
            0.0
        } else {
            sum / n as f32
        }
    };
    let best_on = |rows: &[usize]| {
        (0..weights.len())
            .map(|w| (w, mean_over(&mut rows.iter().copied(), w)))
            .fold(None::<(usize, f32)>, |best, (w, p)| match best {
                Some((_, bp)) if bp >= p => best,
                _ => Some((w, p)),
            })
            .map(|(w, _)| w)
    };
    let all: Vec<usize> = (0..kept.len()).collect();
    let results: Vec<WeightResult> = weights
        .iter()
        .enumerate()
        .map(|(wi, &w)| {
            let mut by_kind: BTreeMap<String, (f32, usize)> = BTreeMap::new();
            for (qi, (q, _)) in kept.iter().enumerate() {
                let e = by_kind.entry(q.kind.clone()).or_default();
                e.0 += precision[qi][wi];
                e.1 += 1;
            }
            WeightResult {
                dense_weight: w,
                precision: mean_over(&mut all.iter().copied(), wi),
                by_kind: by_kind
                    .into_iter()
                    .map(|(k, (s, n))| (k, s / n as f32))
                    .collect(),
            }
        })
        .collect();
    let chosen = best_on(&all).unwrap_or(0);
    let even: Vec<usize> = all.iter().copied().filter(|q| q % 2 == 0).collect();
    let odd: Vec<usize> = all.iter().copied().filter(|q| q % 2 == 1).collect();
    let mut cross = Vec::new();
    for (choose, score) in [(&even, &odd), (&odd, &even)] {
        if let (Some(w), false) = (best_on(choose), score.is_empty()) {
            cross.push(mean_over(&mut score.iter().copied(), w));
        }
    }
    let cross_validated = if cross.is_empty() {
        0.0
    } else {
        cross.iter().sum::<f32>() / cross.len() as f32
    };
    let per_query = kept
        .iter()
        .enumerate()
        .map(|(qi, (q, relevant))| QueryResult {
            query: q.query.clone(),
            kind: q.kind.clone(),
            relevant: *relevant,
            precision: precision[qi][chosen],
        })
        .collect();
    Ok(SearchEvaluation {
        k,
        queries: kept.len(),
        skipped,
        weights: results,
        chosen_weight: weights.get(chosen).copied().unwrap_or(0.0),
        cross_validated,
        per_query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, year: i32, cats: &[&str]) -> Item {
        Item {
            id: title.into(),
            title: title.into(),
            year: Some(year),
            categories: cats.iter().map(|c| c.to_string()).collect(),
            text: String::new(),
        }
    }

    #[test]
    fn builtin_queries_parse_and_are_enough() {
        let set = QuerySet::builtin();
        assert!(set.queries.len() >= 50);
        assert!(!set.about.is_empty());
    }

    #[test]
    fn labels_combine_all_conditions() {
        let label = Label {
            genres_all: vec!["Horror".into()],
            years: Some([1980, 1989]),
            ..Label::default()
        };
        assert!(label.is_relevant(&item("The Thing", 1982, &["Horror", "Sci-Fi"])));
        assert!(!label.is_relevant(&item("Alien", 1979, &["Horror"])));
        assert!(!label.is_relevant(&item("Big", 1988, &["Comedy"])));
        let words = Label {
            title_words: vec!["wedding".into()],
            ..Label::default()
        };
        assert!(words.is_relevant(&item("Muriel's Wedding", 1994, &[])));
        assert!(!words.is_relevant(&item("Weddingless", 1994, &[])));
    }

    #[test]
    fn precision_divides_by_what_can_be_found() {
        let hits: Vec<SearchHit> = (0..10)
            .map(|i| SearchHit {
                item: i,
                score: 1.0,
                dense: 0.0,
                lexical: 0.0,
            })
            .collect();
        let relevant: HashSet<u32> = [0, 3].into_iter().collect();
        assert_eq!(precision_at(&hits, &relevant, 10), 1.0);
        let many: HashSet<u32> = (0..20).filter(|i| i % 2 == 0).collect();
        assert_eq!(precision_at(&hits, &many, 10), 0.5);
        assert_eq!(precision_at(&hits, &HashSet::new(), 10), 0.0);
    }

    #[test]
    fn malformed_query_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.json");
        std::fs::write(&path, "{\"queries\": [\n {\"query\": 1}]}").unwrap();
        let err = QuerySet::load(&path).unwrap_err().to_string();
        assert!(err.contains("q.json:2:"), "{err}");
    }
}
