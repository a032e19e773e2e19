//! Semantic catalog search: "scary movies from the eighties" or "a wedding comedy" ranked by
//! a blend of dense similarity (the query's sentence embedding against each item's text
//! embedding) and lexical BM25 over titles, categories and years.
//!
//! The two signals fail differently: dense vectors know that "scary" is close to horror but
//! blur exact constraints such as a decade; BM25 is exact on words but blind to meaning.
//! Each is scaled to [0, 1] per query (dense by min-max over the catalog, lexical by its
//! maximum) and mixed as `w * dense + (1 - w) * lexical`; `w` is chosen on the labelled
//! queries of [`evaluation`] (see `docs/search.md`).

pub mod evaluation;
mod lexical;

use std::sync::Arc;

use chatrec_core::Catalog;
use serde::Serialize;
use thiserror::Error;

pub use lexical::LexicalIndex;

use crate::dense::{dot, DenseMatrix};
use crate::embed::{EmbedError, TextEmbedder};

/// The dense share of the blend, chosen on the labelled MovieLens-100K queries with
/// all-MiniLM-L6-v2 (`chatrec eval-search`, docs/benchmarks.md).
pub const DEFAULT_DENSE_WEIGHT: f32 = 0.3;

#[derive(Debug, Error)]
pub enum SearchError {
    #[error("{vectors} item vectors for a catalog of {items} items; embed the catalog again")]
    ItemCount { vectors: usize, items: usize },
    #[error("item vectors have {vectors} dimensions but the embedder makes {embedder}")]
    Dimension { vectors: usize, embedder: usize },
    #[error("dense weight {0} is outside [0, 1]")]
    Weight(f32),
    #[error(transparent)]
    Embed(#[from] EmbedError),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SearchHit {
    /// Catalog index of the item.
    pub item: u32,
    /// The blended score in [0, 1].
    pub score: f32,
    /// Cosine between the query and the item text.
    pub dense: f32,
    /// BM25 of the query against title, categories and year.
    pub lexical: f32,
}

/// Raw per-item scores of one query, kept so several blends can be tried without
/// embedding the query again.
#[derive(Debug, Clone)]
pub struct QueryScores {
    pub dense: Vec<f32>,
    pub lexical: Vec<f32>,
}

impl QueryScores {
    /// Every item's blended score in [0, 1] under dense weight `w`: dense similarity min-max
    /// scaled over the catalog, BM25 scaled by its best.
    pub fn blended(&self, w: f32) -> Vec<f32> {
        let (lo, hi) = self
            .dense
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let lex_max = self.lexical.iter().copied().fold(0.0f32, f32::max);
        self.dense
            .iter()
            .zip(&self.lexical)
            .map(|(&dense, &lexical)| {
                let d = (dense - lo) / span;
                let l = if lex_max > 0.0 {
                    lexical / lex_max
                } else {
                    0.0
                };
                w * d + (1.0 - w) * l
            })
            .collect()
    }

    /// The `n` best items under dense weight `w`, best first, ties by catalog index.
    pub fn blend(&self, w: f32, n: usize) -> Vec<SearchHit> {
        let mut hits: Vec<SearchHit> = self
            .blended(w)
            .into_iter()
            .enumerate()
            .map(|(i, score)| SearchHit {
                item: i as u32,
                score,
                dense: self.dense[i],
                lexical: self.lexical[i],
            })
            .collect();
        let n = n.min(hits.len());
        if n == 0 {
            return Vec::new();
        }
        let by_score =
            |a: &SearchHit, b: &SearchHit| b.score.total_cmp(&a.score).then(a.item.cmp(&b.item));
        hits.select_nth_unstable_by(n - 1, by_score);
        hits.truncate(n);
        hits.sort_by(by_score);
        hits
    }
}

/// A catalog ready to search: its lexical index, its item vectors and the embedder that
/// made them (queries must be embedded by the same model).
pub struct CatalogSearch {
    lexical: LexicalIndex,
    vectors: DenseMatrix,
    embedder: Arc<dyn TextEmbedder>,
}

impl CatalogSearch {
    /// `item_vectors` has one unit-length row per catalog item, in catalog order, made by
    /// `embedder` from [`crate::item_text::item_text`].
    pub fn new(
        catalog: &Catalog,
        item_vectors: DenseMatrix,
        embedder: Arc<dyn TextEmbedder>,
    ) -> Result<Self, SearchError> {
        if item_vectors.rows() != catalog.n_items() {
            return Err(SearchError::ItemCount {
                vectors: item_vectors.rows(),
                items: catalog.n_items(),
            });
        }
        if item_vectors.rows() > 0 && item_vectors.dim() != embedder.dim() {
            return Err(SearchError::Dimension {
                vectors: item_vectors.dim(),
                embedder: embedder.dim(),
            });
        }
        Ok(Self {
            lexical: LexicalIndex::new(catalog),
            vectors: item_vectors,
            embedder,
        })
    }

    pub fn embedder(&self) -> &Arc<dyn TextEmbedder> {
        &self.embedder
    }

    /// The BM25 half of the search, for matching by words alone.
    pub fn lexical(&self) -> &LexicalIndex {
        &self.lexical
    }

    pub fn item_vectors(&self) -> &DenseMatrix {
        &self.vectors
    }

    /// Both raw signals for every item.
    pub fn query_scores(&self, query: &str) -> Result<QueryScores, SearchError> {
        let q = self.embedder.embed_one(query)?;
        let dense = self.vectors.iter_rows().map(|row| dot(row, &q)).collect();
        Ok(QueryScores {
            dense,
            lexical: self.lexical.scores(query),
        })
    }

    /// The `n` best items for `query`, best first.
    pub fn search(
        &self,
        query: &str,
        n: usize,
        dense_weight: f32,
    ) -> Result<Vec<SearchHit>, SearchError> {
        if !(0.0..=1.0).contains(&dense_weight) {
            return Err(SearchError::Weight(dense_weight));
        }
        Ok(self.query_scores(query)?.blend(dense_weight, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::HashingEmbedder;
    use crate::item_text::item_text;
    use chatrec_core::Item;

    fn catalog() -> Catalog {
        let mut c = Catalog::new();
        for (id, title, year, cats, text) in [
            (
                "1",
                "Alien",
                1979,
                vec!["Horror", "Sci-Fi"],
                "A crew in deep space meets a deadly creature",
            ),
            (
                "2",
                "Toy Story",
                1995,
                vec!["Animation", "Children's"],
                "Toys come alive",
            ),
            (
                "3",
                "Heat",
                1995,
                vec!["Crime", "Thriller"],
                "A heist crew and a detective",
            ),
            (
                "4",
                "Spaceballs",
                1987,
                vec!["Comedy", "Sci-Fi"],
                "A parody of space adventures",
            ),
        ] {
            c.upsert_item(Item {
                id: id.into(),
                title: title.into(),
                year: Some(year),
                categories: cats.into_iter().map(String::from).collect(),
                text: text.into(),
            });
        }
        c
    }

    fn search() -> CatalogSearch {
        let catalog = catalog();
        let embedder = Arc::new(HashingEmbedder::new(512));
        let texts: Vec<String> = catalog.items().iter().map(|i| item_text(i, &[])).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&refs).unwrap();
        CatalogSearch::new(&catalog, vectors, embedder).unwrap()
    }

    #[test]
    fn blended_search_finds_items_by_text_and_by_genre() {
        let s = search();
        assert_eq!(s.search("deep space creature", 1, 1.0).unwrap()[0].item, 0);
        assert_eq!(s.search("cartoons for kids", 1, 0.0).unwrap()[0].item, 1);
        let hits = s.search("funny sci-fi", 2, DEFAULT_DENSE_WEIGHT).unwrap();
        assert_eq!(hits[0].item, 3, "{hits:?}");
    }

    #[test]
    fn results_are_sorted_and_bounded() {
        let s = search();
        let hits = s.search("space", 10, 0.5).unwrap();
        assert_eq!(hits.len(), 4);
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(s.search("space", 0, 0.5).unwrap().is_empty());
    }

    #[test]
    fn mismatched_vectors_and_bad_weights_are_errors() {
        let embedder = Arc::new(HashingEmbedder::new(8));
        let err = CatalogSearch::new(&catalog(), DenseMatrix::zeros(3, 8), embedder.clone());
        assert!(matches!(
            err,
            Err(SearchError::ItemCount {
                vectors: 3,
                items: 4
            })
        ));
        let err = CatalogSearch::new(&catalog(), DenseMatrix::zeros(4, 16), embedder);
        assert!(matches!(err, Err(SearchError::Dimension { .. })));
        assert!(matches!(
            search().search("x", 3, 1.5),
            Err(SearchError::Weight(_))
        ));
    }
}
