//! The built-in language layer: one user turn to typed acts, with no LLM, offline and
//! deterministic.
//!
//! A turn is tokenised ([`normalize`]), a pre-pass finds opinions that follow their
//! subject ("X was great", "X: 8/10"), and one left-to-right pass ([`parser`]) tries
//! the rules of the other modules at each position: follow-ups ([`followups`]), opinions,
//! ratings, "seen" and rejections ([`feedback`]), anchors ([`likes`]), references to the
//! shown list ([`references`]), negation, hedging, categories and unsupported wishes
//! ([`constraints`]), periods ([`periods`]) and mood words ([`themes`]). Titles are
//! looked up only where a title is expected ([`titles`]), so free text never turns into
//! a random film. What is left becomes a `Query` when the turn asks for something, and
//! a turn with nothing understood is a single `Unknown`.

mod constraints;
mod feedback;
mod followups;
mod lexicon;
mod likes;
mod normalize;
mod objects;
mod parser;
mod periods;
mod reconcile;
mod references;
mod themes;
mod titles;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chatrec_core::Catalog;
use chatrec_knowledge::titles::TitleIndex;

use crate::acts::{Act, ParseContext};

use constraints::CategoryPhrases;
pub use reconcile::reconcile;

/// Parses user turns against one catalog. Cheap to clone; build once per engine.
#[derive(Clone)]
pub struct Understander {
    catalog: Arc<Catalog>,
    titles: Arc<TitleIndex>,
    categories: Arc<CategoryPhrases>,
}

impl Understander {
    pub fn new(catalog: Arc<Catalog>, titles: Arc<TitleIndex>) -> Self {
        let categories = Arc::new(CategoryPhrases::new(&catalog));
        Self {
            catalog,
            titles,
            categories,
        }
    }

    /// The acts of one turn, in the order they appear in the text; never empty (a turn
    /// with nothing understood is one `Unknown`). Confidences are in 0..=1.
    pub fn parse(&self, text: &str, context: &ParseContext) -> Vec<Act> {
        parser::Turn::new(self, text, context).parse()
    }
}
