//! chatrec-knowledge: what the dialogue uses to find items from what people type and to
//! say why an item fits: title matching and knowledge-graph relations with typed evidence.
//! It knows nothing of dialogue, storage or HTTP.

pub mod graph;
pub mod titles;
