//! Content features of items for the cold-start map besides the text embedding (which
//! [`crate::embed::embed_catalog`] computes): a hashed bag of knowledge-graph facts, and
//! the side-by-side combination of feature blocks.
//!
//! Knowledge-graph features: every fact `(relation, direction, entity)` of an item is one
//! term, weighted by its inverse document frequency over the items with facts
//! (`ln(N / df)`), and hashed with a sign into `dim` buckets (Weinberger et al., "Feature
//! hashing for large scale multitask learning", ICML 2009), so the width is fixed however
//! many entities the graph has. Terms held by a single item cannot generalise to another
//! item and are dropped. Rows are scaled to unit length like text embeddings; items without
//! facts get a zero row. The hash reads relation names and entity ids (Freebase MIDs), not
//! internal indices, so the same files give the same features.

use super::ColdStartError;
use crate::dense::{normalize, DenseMatrix};
use crate::graph::{Direction, KnowledgeGraph};

/// The hashed, idf-weighted bag of graph facts of every item of the graph's catalog
/// (`graph.n_items() x dim`); see the module documentation.
pub fn kg_features(graph: &KnowledgeGraph, dim: usize) -> Result<DenseMatrix, ColdStartError> {
    if dim == 0 {
        return Err(ColdStartError::InvalidInput {
            name: "kg_dim".into(),
            reason: "must be at least 1".into(),
        });
    }
    let n = graph.n_items();
    let terms: Vec<Vec<u64>> = (0..n as u32)
        .map(|item| {
            let mut keys: Vec<u64> = graph
                .facts(item)
                .iter()
                .map(|f| {
                    let direction = match f.direction {
                        Direction::Outgoing => ">",
                        Direction::Incoming => "<",
                    };
                    fnv1a(&[
                        graph.relations()[f.relation as usize].as_bytes(),
                        direction.as_bytes(),
                        graph.entities().id(f.entity).as_bytes(),
                    ])
                })
                .collect();
            keys.sort_unstable();
            keys.dedup();
            keys
        })
        .collect();
    let mut all: Vec<u64> = terms.iter().flatten().copied().collect();
    all.sort_unstable();
    let with_facts = terms.iter().filter(|t| !t.is_empty()).count().max(1) as f32;
    let document_frequency = |key: u64| -> usize {
        let start = all.partition_point(|&k| k < key);
        all[start..].partition_point(|&k| k == key)
    };
    let mut out = DenseMatrix::zeros(n, dim);
    for (item, keys) in terms.iter().enumerate() {
        let row = out.row_mut(item);
        for &key in keys {
            let df = document_frequency(key);
            if df < 2 {
                continue;
            }
            let idf = (with_facts / df as f32).ln();
            // The top bit picks the sign, the rest the bucket: collisions then cancel on
            // average instead of piling up.
            let sign = if key >> 63 == 0 { 1.0 } else { -1.0 };
            row[(key % dim as u64) as usize] += sign * idf;
        }
        normalize(row);
    }
    Ok(out)
}

/// Places feature blocks side by side, each scaled by its weight (a block with weight 0 is
/// left out). All blocks need the same number of rows.
pub fn concat_features(blocks: &[(&DenseMatrix, f32)]) -> Result<DenseMatrix, ColdStartError> {
    let used: Vec<(&DenseMatrix, f32)> = blocks.iter().copied().filter(|b| b.1 != 0.0).collect();
    let Some(rows) = used.first().map(|b| b.0.rows()) else {
        return Err(ColdStartError::InvalidInput {
            name: "features".into(),
            reason: "no feature block with a non-zero weight".into(),
        });
    };
    if used.iter().any(|b| b.0.rows() != rows) {
        return Err(ColdStartError::InvalidInput {
            name: "features".into(),
            reason: "feature blocks have different numbers of rows".into(),
        });
    }
    let dim: usize = used.iter().map(|b| b.0.dim()).sum();
    let mut out = DenseMatrix::zeros(rows, dim);
    for r in 0..rows {
        let mut offset = 0;
        for (block, weight) in &used {
            let target = &mut out.row_mut(r)[offset..offset + block.dim()];
            for (t, &v) in target.iter_mut().zip(block.row(r)) {
                *t = v * weight;
            }
            offset += block.dim();
        }
    }
    Ok(out)
}

/// FNV-1a over the parts with a separator byte between them.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash ^= 0x1f;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        for &byte in *part {
            hash ^= byte as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    // FNV's low bits mix poorly for short inputs; a final avalanche spreads them.
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^ (hash >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::dot;
    use chatrec_core::{Catalog, Item};

    fn catalog(n: usize) -> Catalog {
        let mut catalog = Catalog::new();
        for i in 0..n {
            catalog.upsert_item(Item::bare(&format!("{i}")));
        }
        catalog
    }

    fn triple(h: &str, r: &str, t: &str) -> (String, String, String) {
        (h.into(), r.into(), t.into())
    }

    #[test]
    fn items_sharing_facts_have_similar_rows_and_unshared_facts_are_dropped() {
        let catalog = catalog(4);
        let links: Vec<(String, String)> = (0..4)
            .map(|i| (format!("{i}"), format!("m.film{i}")))
            .collect();
        let triples = vec![
            triple("m.film0", "film.film.directed_by", "m.scott"),
            triple("m.film1", "film.film.directed_by", "m.scott"),
            triple("m.film2", "film.film.directed_by", "m.ephron"),
            triple("m.film3", "film.film.directed_by", "m.ephron"),
            triple("m.film0", "film.film.actor", "m.only_in_film0"),
        ];
        let (graph, _) = KnowledgeGraph::from_parts(&triples, &links, &catalog);
        let f = kg_features(&graph, 64).unwrap();
        assert_eq!((f.rows(), f.dim()), (4, 64));
        assert!((dot(f.row(0), f.row(1)) - 1.0).abs() < 1e-5);
        assert!(dot(f.row(0), f.row(2)).abs() < 1e-5);
        assert_eq!(f, kg_features(&graph, 64).unwrap());
        assert!(kg_features(&graph, 0).is_err());
    }

    #[test]
    fn blocks_are_scaled_and_placed_side_by_side() {
        let a = DenseMatrix::from_rows(2, &[vec![1.0, 2.0], vec![3.0, 4.0]]).unwrap();
        let b = DenseMatrix::from_rows(1, &[vec![5.0], vec![6.0]]).unwrap();
        let both = concat_features(&[(&a, 1.0), (&b, 0.5)]).unwrap();
        assert_eq!(both.row(1), &[3.0, 4.0, 3.0]);
        let only_a = concat_features(&[(&a, 2.0), (&b, 0.0)]).unwrap();
        assert_eq!(only_a.row(0), &[2.0, 4.0]);
        assert!(concat_features(&[(&a, 0.0)]).is_err());
        let c = DenseMatrix::zeros(3, 1);
        assert!(concat_features(&[(&a, 1.0), (&c, 1.0)]).is_err());
    }
}
