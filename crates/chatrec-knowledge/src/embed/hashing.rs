//! A model-free embedder: hashed word and character-trigram counts, L2-normalised.
//! It shares vocabulary-level similarity with real embeddings ("space" ~ "space") but no
//! meaning ("space" !~ "galaxy"); tests use it so they run without the 90 MB model.

use sha2::{Digest, Sha256};

use super::{EmbedError, TextEmbedder};
use crate::dense::DenseMatrix;

#[derive(Debug, Clone)]
pub struct HashingEmbedder {
    dim: usize,
    id: String,
}

impl HashingEmbedder {
    pub fn new(dim: usize) -> Self {
        Self {
            dim: dim.max(1),
            id: format!("hashing-{}", dim.max(1)),
        }
    }

    fn bucket(&self, feature: &str) -> (usize, f32) {
        let digest = Sha256::digest(feature.as_bytes());
        let h = u64::from_le_bytes([
            digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
        ]);
        let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
        ((h % self.dim as u64) as usize, sign)
    }
}

impl TextEmbedder for HashingEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<DenseMatrix, EmbedError> {
        let mut out = DenseMatrix::zeros(texts.len(), self.dim);
        for (i, text) in texts.iter().enumerate() {
            let row = out.row_mut(i);
            let lower = text.to_lowercase();
            for word in lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                let (b, s) = self.bucket(word);
                row[b] += 2.0 * s;
                let padded: Vec<char> = format!(" {word} ").chars().collect();
                for gram in padded.windows(3) {
                    let gram: String = gram.iter().collect();
                    let (b, s) = self.bucket(&gram);
                    row[b] += 0.5 * s;
                }
            }
        }
        out.normalize_rows();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::dot;

    #[test]
    fn shared_words_score_higher_than_unrelated_text() {
        let e = HashingEmbedder::new(256);
        let m = e
            .embed(&[
                "space adventure",
                "an adventure in space",
                "romantic comedy",
            ])
            .unwrap();
        assert!(dot(m.row(0), m.row(1)) > dot(m.row(0), m.row(2)) + 0.2);
        assert!((dot(m.row(2), m.row(2)) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn same_text_gives_same_vector() {
        let e = HashingEmbedder::new(64);
        assert_eq!(
            e.embed_one("Toy Story").unwrap(),
            e.embed_one("Toy Story").unwrap()
        );
    }
}
