//! The shared, read-only side of the dialogue: catalog, trained model, interaction data and
//! the knowledge resources. Built once; every [`Session`] borrows it through an `Arc`.

use std::sync::Arc;

use chatrec_core::{Catalog, CsrMatrix, Dataset};
use chatrec_knowledge::graph::{KgSimilarity, KnowledgeGraph, RelationWeights};
use chatrec_knowledge::search::{CatalogSearch, LexicalIndex, QueryScores, DEFAULT_DENSE_WEIGHT};
use chatrec_knowledge::titles::TitleIndex;
use chatrec_models::Recommender;
use thiserror::Error;

use crate::assist::Assistant;
use crate::session::Session;
use crate::understand::Understander;

#[derive(Debug, Error)]
pub enum DialogueError {
    #[error(
        "the model knows {model} items but the catalog has {catalog}; train the model on this data"
    )]
    ItemCount { model: usize, catalog: usize },
    #[error("the model knows {model} users but the data has {data}; train the model on this data")]
    UserCount { model: usize, data: usize },
    #[error("no user `{0}` in the data")]
    UnknownUser(String),
    #[error("the knowledge graph covers {graph} items but the catalog has {catalog}")]
    GraphSize { graph: usize, catalog: usize },
    #[error("invalid option: {0}")]
    Option(String),
}

/// Tunable behaviour of the dialogue; the defaults are what `chatrec chat` uses.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    /// Items shown per recommending turn (3 to 5 reads well in a chat).
    pub items_per_turn: usize,
    /// Candidates scored in full and offered to the reranker.
    pub candidate_pool: usize,
    /// MMR trade-off: 1 = relevance only, 0 = diversity only.
    pub mmr_lambda: f32,
    /// A rating at or above this is a "like" in the data (ignored for implicit data, where
    /// every interaction is one).
    pub like_threshold: f32,
    /// Added to the cosine denominator of knowledge-graph similarity (damps items with
    /// few facts).
    pub kg_shrink: f32,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            items_per_turn: 3,
            candidate_pool: 300,
            mmr_lambda: 0.75,
            like_threshold: 4.0,
            kg_shrink: 5.0,
        }
    }
}

/// Matches free text ("set in space") against the items: semantic search (sentence
/// embeddings blended with BM25) when configured, else BM25 over titles, categories and
/// years alone.
pub(crate) enum TextMatcher {
    Words(LexicalIndex),
    Semantic(Arc<CatalogSearch>),
}

/// BM25 scores alone on the same [0, 1] scale as the semantic blend.
fn words_only(lexical: Vec<f32>) -> Vec<f32> {
    QueryScores {
        dense: vec![0.0; lexical.len()],
        lexical,
    }
    .blended(0.0)
}

/// Everything a session reads: built once, shared by all sessions.
pub struct Engine {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) model: Arc<dyn Recommender>,
    /// user x item, the data's values (ratings or 1.0).
    pub(crate) interactions: CsrMatrix,
    /// item x user of liked interactions only (value >= like threshold), values 1.
    pub(crate) likers: CsrMatrix,
    /// item x user of all interactions with their values.
    pub(crate) raters: CsrMatrix,
    pub(crate) has_ratings: bool,
    /// Per item: the number of users who interacted and their mean value.
    pub(crate) popularity: Vec<(u32, f32)>,
    /// Per item: bit `c` set when the item has category `c` of `categories`.
    pub(crate) category_bits: Vec<u64>,
    pub(crate) categories: Vec<String>,
    pub(crate) titles: Arc<TitleIndex>,
    pub(crate) understander: Understander,
    pub(crate) graph: Option<Arc<KnowledgeGraph>>,
    pub(crate) kg_similarity: Option<KgSimilarity>,
    /// How free text is matched against item texts.
    pub(crate) text_matcher: TextMatcher,
    /// Reference year for "older"/"newer" when the conversation names no film.
    pub(crate) median_year: i32,
    pub(crate) options: EngineOptions,
    /// Per item: true when it must not be recommended (deleted from the catalog since the
    /// model was trained); empty when every item is available.
    pub(crate) unavailable: Vec<bool>,
    /// A language model that may understand, rerank and phrase instead of the built-in
    /// layer; `None` runs fully offline.
    pub(crate) assistant: Option<Arc<dyn Assistant>>,
}

impl Engine {
    /// An engine over `dataset` (its interactions are the users' known histories) and a
    /// model trained on those interactions, with the same item (and user) indices.
    pub fn new(
        dataset: Dataset,
        model: Arc<dyn Recommender>,
        options: EngineOptions,
    ) -> Result<Self, DialogueError> {
        if model.n_items() != dataset.n_items() {
            return Err(DialogueError::ItemCount {
                model: model.n_items(),
                catalog: dataset.n_items(),
            });
        }
        if model.n_users() != 0 && model.n_users() < dataset.n_users() {
            return Err(DialogueError::UserCount {
                model: model.n_users(),
                data: dataset.n_users(),
            });
        }
        if options.items_per_turn == 0 || options.candidate_pool < options.items_per_turn {
            return Err(DialogueError::Option(format!(
                "items per turn {} must be at least 1 and at most the candidate pool {}",
                options.items_per_turn, options.candidate_pool
            )));
        }
        if !(0.0..=1.0).contains(&options.mmr_lambda) {
            return Err(DialogueError::Option(format!(
                "MMR lambda {} is outside [0, 1]",
                options.mmr_lambda
            )));
        }
        let interactions = dataset.matrix();
        let raters = interactions.transpose();
        let threshold = if dataset.has_ratings {
            options.like_threshold
        } else {
            f32::NEG_INFINITY
        };
        let likers = raters.filter(|_, _, v| v >= threshold).map_values(|_| 1.0);
        let popularity = (0..raters.n_rows())
            .map(|i| {
                let values = raters.row_data(i);
                let n = values.len() as u32;
                let mean = if n == 0 || !dataset.has_ratings {
                    0.0
                } else {
                    values.iter().sum::<f32>() / n as f32
                };
                (n, mean)
            })
            .collect();
        let mut categories: Vec<String> = Vec::new();
        let category_bits = dataset
            .catalog
            .items()
            .iter()
            .map(|item| {
                let mut bits = 0u64;
                for c in &item.categories {
                    let index = match categories.iter().position(|k| k == c) {
                        Some(i) => i,
                        None => {
                            categories.push(c.clone());
                            categories.len() - 1
                        }
                    };
                    if index < 64 {
                        bits |= 1 << index;
                    }
                }
                bits
            })
            .collect();
        let mut years: Vec<i32> = dataset
            .catalog
            .items()
            .iter()
            .filter_map(|i| i.year)
            .collect();
        years.sort_unstable();
        let median_year = years.get(years.len() / 2).copied().unwrap_or(1990);
        let text_matcher = TextMatcher::Words(LexicalIndex::new(&dataset.catalog));
        let catalog = Arc::new(dataset.catalog);
        let titles = Arc::new(TitleIndex::new(&catalog));
        let understander = Understander::new(catalog.clone(), titles.clone());
        Ok(Self {
            catalog,
            model,
            interactions,
            likers,
            raters,
            has_ratings: dataset.has_ratings,
            popularity,
            category_bits,
            categories,
            titles,
            understander,
            graph: None,
            kg_similarity: None,
            text_matcher,
            median_year,
            options,
            unavailable: Vec::new(),
            assistant: None,
        })
    }

    /// Adds the knowledge graph: similarity to liked items in candidates, shared facts in
    /// explanations.
    pub fn with_graph(mut self, graph: Arc<KnowledgeGraph>) -> Result<Self, DialogueError> {
        if graph.n_items() != self.catalog.n_items() {
            return Err(DialogueError::GraphSize {
                graph: graph.n_items(),
                catalog: self.catalog.n_items(),
            });
        }
        let similarity = KgSimilarity::new(
            graph.clone(),
            &RelationWeights::uniform(),
            self.options.kg_shrink,
        );
        self.kg_similarity = Some(similarity);
        self.graph = Some(graph);
        Ok(self)
    }

    /// Adds semantic search over item texts for free-text requests ("mind-bending").
    /// Without it, free text is matched by nothing and only the typed constraints act.
    pub fn with_search(mut self, search: Arc<CatalogSearch>) -> Self {
        self.text_matcher = TextMatcher::Semantic(search);
        self
    }

    /// Marks items that must never be recommended (no longer in the catalog) while the
    /// model still scores them. Indices outside the catalog are ignored.
    pub fn with_unavailable(mut self, items: &[u32]) -> Self {
        let n = self.catalog.n_items();
        let mut unavailable = vec![false; n];
        for &item in items.iter().filter(|&&i| (i as usize) < n) {
            unavailable[item as usize] = true;
        }
        self.unavailable = if unavailable.contains(&true) {
            unavailable
        } else {
            Vec::new()
        };
        self
    }

    /// Lets `assistant` take over understanding, reranking and phrasing where it answers
    /// validly; the built-in layer answers wherever it declines.
    pub fn with_assistant(mut self, assistant: Arc<dyn Assistant>) -> Self {
        self.assistant = Some(assistant);
        self
    }

    pub fn assistant(&self) -> Option<&Arc<dyn Assistant>> {
        self.assistant.as_ref()
    }

    /// Category names in the catalog's spelling.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Whether `item` may be recommended.
    pub fn is_available(&self, item: u32) -> bool {
        !self
            .unavailable
            .get(item as usize)
            .copied()
            .unwrap_or(false)
    }

    pub(crate) fn unavailable_count(&self) -> usize {
        self.unavailable.iter().filter(|&&u| u).count()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn model(&self) -> &dyn Recommender {
        self.model.as_ref()
    }

    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    pub fn understander(&self) -> &Understander {
        &self.understander
    }

    pub fn titles(&self) -> &TitleIndex {
        &self.titles
    }

    pub fn graph(&self) -> Option<&Arc<KnowledgeGraph>> {
        self.graph.as_ref()
    }

    pub fn has_search(&self) -> bool {
        matches!(self.text_matcher, TextMatcher::Semantic(_))
    }

    /// The data's user x item matrix (the known histories).
    pub fn interactions(&self) -> &CsrMatrix {
        &self.interactions
    }

    /// A conversation with a new (anonymous) user.
    pub fn new_session(self: &Arc<Self>) -> Session {
        Session::new(self.clone(), None)
    }

    /// A conversation with a user of the data, by external id: starts from their history.
    pub fn session_for(self: &Arc<Self>, user_id: &str) -> Result<Session, DialogueError> {
        let user = self
            .catalog
            .user_index(user_id)
            .filter(|&u| (u as usize) < self.interactions.n_rows())
            .ok_or_else(|| DialogueError::UnknownUser(user_id.to_owned()))?;
        Ok(Session::new(self.clone(), Some(user)))
    }

    /// A conversation that starts from `profile`: a user of the data and opinions the
    /// model has not seen yet (events recorded since it was trained).
    pub fn session_with(self: &Arc<Self>, profile: &crate::profile::Profile) -> Session {
        let mut session = Session::new(self.clone(), profile.user);
        session.set_opinions(&profile.opinions);
        session
    }

    /// How well each item's text matches free text, in [0, 1]: the semantic search blend
    /// when configured (dense similarity min-max scaled, BM25 scaled by its best), else
    /// BM25 alone. A query the embedder fails on falls back to BM25.
    pub(crate) fn query_scores(&self, text: &str) -> Vec<f32> {
        match &self.text_matcher {
            TextMatcher::Words(lexical) => words_only(lexical.scores(text)),
            TextMatcher::Semantic(search) => match search.query_scores(text) {
                Ok(scores) => scores.blended(DEFAULT_DENSE_WEIGHT),
                Err(_) => words_only(search.lexical().scores(text)),
            },
        }
    }

    /// Whether a value in the data counts as a like.
    pub(crate) fn is_like(&self, value: f32) -> bool {
        !self.has_ratings || value >= self.options.like_threshold
    }

    /// The category names of an item's bits, in catalog spelling.
    pub(crate) fn has_category(&self, item: u32, category: &str) -> bool {
        self.catalog
            .item(item)
            .categories
            .iter()
            .any(|c| c == category)
    }
}
