//! Recommending for many users at once: chunks of users scored together (one matrix
//! product for factor models), in parallel, with each user's own items excluded.

use chatrec_core::CsrMatrix;
use rayon::prelude::*;

use crate::recommender::{Recommender, Scored};
use crate::topk::top_k_excluding;

/// Users scored together; large enough for an efficient matrix product, small enough that
/// a chunk's scores (users x items) stay in cache-friendly memory.
const CHUNK_USERS: usize = 128;

/// The top `n` items for each of `users`, skipping the items in each user's row of
/// `exclude` (a user x item matrix such as the training data). Results are in `users`
/// order and do not depend on the number of threads.
pub fn recommend_all(
    model: &dyn Recommender,
    users: &[u32],
    n: usize,
    exclude: &CsrMatrix,
    on_chunk_done: &(dyn Fn(usize) + Sync),
) -> Vec<Vec<Scored>> {
    let n_items = model.n_items();
    users
        .par_chunks(CHUNK_USERS)
        .flat_map_iter(|chunk| {
            let mut scores = vec![0.0f32; chunk.len() * n_items];
            model.score_users(chunk, &mut scores);
            let lists: Vec<Vec<Scored>> = chunk
                .iter()
                .zip(scores.chunks_exact(n_items))
                .map(|(&user, row)| {
                    let seen = if (user as usize) < exclude.n_rows() {
                        exclude.row_indices(user as usize)
                    } else {
                        &[]
                    };
                    top_k_excluding(row, n, seen)
                })
                .collect();
            on_chunk_done(chunk.len());
            lists
        })
        .collect()
}
