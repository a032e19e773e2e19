//! chatrec-knowledge: what the dialogue uses to understand what people ask for and to say
//! why an item fits: sentence embeddings, vector and semantic search, title matching,
//! knowledge-graph relations with typed evidence, and cold-start items from their text.
//! It knows nothing of dialogue, storage or HTTP.

pub mod coldstart;
pub mod dense;
pub mod embed;
pub mod graph;
pub mod hybrid;
pub mod item_text;
pub mod search;
pub mod titles;
pub mod vectors;
pub mod vocabulary;
