//! BM25 over item titles, categories and release years, with queries expanded through the
//! shared vocabulary ("scary" finds Horror, "80s" finds 1980s releases).

use std::collections::HashMap;

use chatrec_core::Catalog;

use crate::vocabulary::{decade_of_word, CATEGORY_SYNONYMS};

/// Words that say "I want a film" rather than which one; they would otherwise match titles
/// such as "Film-Noir" or "The Movie" by accident.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "and",
    "or",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "with",
    "about",
    "some",
    "any",
    "me",
    "i",
    "my",
    "we",
    "you",
    "want",
    "like",
    "looking",
    "show",
    "give",
    "find",
    "recommend",
    "suggest",
    "good",
    "great",
    "best",
    "movie",
    "movies",
    "film",
    "films",
    "something",
    "anything",
    "that",
    "is",
    "are",
    "was",
    "please",
    "set",
    "made",
    "released",
];

/// Title words count once, a category or year token counts this many times: people asking
/// for "war movies" mean the genre far more often than titles containing "war".
const CATEGORY_WEIGHT: f32 = 2.0;
const YEAR_WEIGHT: f32 = 1.0;
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;

/// Lowercase alphanumeric words; apostrophes vanish ("children's" -> "childrens").
pub(crate) fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['\'', '’'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Folds plurals so "thrillers" meets "thriller" and "comedies" meets "comedy"; words with
/// digits ("1980s") are left alone.
fn stem(word: &str) -> String {
    if word.chars().any(|c| c.is_ascii_digit()) || word.len() <= 3 {
        return word.to_string();
    }
    if let Some(base) = word.strip_suffix("ies") {
        return format!("{base}y");
    }
    if word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

fn category_tokens(category: &str) -> Vec<String> {
    words(category).iter().map(|w| stem(w)).collect()
}

/// Query tokens after synonym expansion, decade reading and stop-word removal.
pub(crate) fn query_tokens(query: &str) -> Vec<String> {
    let raw = words(query);
    let synonyms: Vec<(Vec<String>, &str)> = CATEGORY_SYNONYMS
        .iter()
        .map(|(phrase, category)| (words(phrase), *category))
        .collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    'outer: while i < raw.len() {
        for (phrase, category) in &synonyms {
            if raw[i..].starts_with(phrase) {
                tokens.extend(category_tokens(category));
                i += phrase.len();
                continue 'outer;
            }
        }
        let word = &raw[i];
        if let Some(decade) = decade_of_word(word) {
            tokens.push(format!("{decade}s"));
        } else if !STOP_WORDS.contains(&word.as_str()) {
            tokens.push(stem(word));
        }
        i += 1;
    }
    tokens
}

#[derive(Debug, Clone)]
pub struct LexicalIndex {
    /// token -> (item, weighted term frequency)
    postings: HashMap<String, Vec<(u32, f32)>>,
    doc_len: Vec<f32>,
    avg_len: f32,
}

impl LexicalIndex {
    pub fn new(catalog: &Catalog) -> Self {
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        let mut doc_len = Vec::with_capacity(catalog.n_items());
        for (idx, item) in catalog.items().iter().enumerate() {
            let mut tf: HashMap<String, f32> = HashMap::new();
            for w in words(&item.title) {
                if !STOP_WORDS.contains(&w.as_str()) {
                    *tf.entry(stem(&w)).or_default() += 1.0;
                }
            }
            for category in &item.categories {
                for t in category_tokens(category) {
                    *tf.entry(t).or_default() += CATEGORY_WEIGHT;
                }
            }
            if let Some(year) = item.year {
                *tf.entry(year.to_string()).or_default() += YEAR_WEIGHT;
                *tf.entry(format!("{}s", year / 10 * 10)).or_default() += YEAR_WEIGHT;
            }
            doc_len.push(tf.values().sum());
            let mut terms: Vec<_> = tf.into_iter().collect();
            terms.sort_by(|a, b| a.0.cmp(&b.0));
            for (token, f) in terms {
                postings.entry(token).or_default().push((idx as u32, f));
            }
        }
        let avg_len = if doc_len.is_empty() {
            1.0
        } else {
            (doc_len.iter().sum::<f32>() / doc_len.len() as f32).max(1e-6)
        };
        Self {
            postings,
            doc_len,
            avg_len,
        }
    }

    pub fn n_items(&self) -> usize {
        self.doc_len.len()
    }

    /// BM25 score of every item for `query` (zero where nothing matches).
    pub fn scores(&self, query: &str) -> Vec<f32> {
        let n = self.doc_len.len() as f32;
        let mut scores = vec![0.0f32; self.doc_len.len()];
        let mut tokens = query_tokens(query);
        tokens.sort();
        tokens.dedup();
        for token in &tokens {
            let Some(list) = self.postings.get(token) else {
                continue;
            };
            let df = list.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(item, tf) in list {
                let norm =
                    BM25_K1 * (1.0 - BM25_B + BM25_B * self.doc_len[item as usize] / self.avg_len);
                scores[item as usize] += idf * tf * (BM25_K1 + 1.0) / (tf + norm);
            }
        }
        scores
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatrec_core::Item;

    fn catalog() -> Catalog {
        let mut c = Catalog::new();
        for (id, title, year, cats) in [
            ("1", "Alien", 1979, vec!["Horror", "Sci-Fi"]),
            ("2", "The Thing", 1982, vec!["Horror"]),
            (
                "3",
                "Toy Story",
                1995,
                vec!["Animation", "Children's", "Comedy"],
            ),
            ("4", "War Games", 1983, vec!["Thriller"]),
            ("5", "Platoon", 1986, vec!["War", "Drama"]),
        ] {
            c.upsert_item(Item {
                id: id.into(),
                title: title.into(),
                year: Some(year),
                categories: cats.into_iter().map(String::from).collect(),
                text: String::new(),
            });
        }
        c
    }

    fn best(index: &LexicalIndex, query: &str) -> usize {
        let s = index.scores(query);
        (0..s.len()).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap()
    }

    #[test]
    fn synonyms_and_plurals_reach_categories() {
        let index = LexicalIndex::new(&catalog());
        assert_eq!(best(&index, "a cartoon for kids"), 2);
        assert_eq!(best(&index, "science fiction"), 0);
        assert!(index.scores("scary movies")[1] > 0.0);
    }

    #[test]
    fn decade_words_match_release_years() {
        let index = LexicalIndex::new(&catalog());
        let s = index.scores("scary films from the eighties");
        assert!(
            s[1] > s[0],
            "The Thing (1982) should beat Alien (1979): {s:?}"
        );
    }

    #[test]
    fn genre_outweighs_a_title_word() {
        let index = LexicalIndex::new(&catalog());
        let s = index.scores("war movies");
        assert!(s[4] > s[3], "{s:?}");
    }

    #[test]
    fn stop_words_alone_match_nothing() {
        let index = LexicalIndex::new(&catalog());
        assert!(index
            .scores("some good movies please")
            .iter()
            .all(|&s| s == 0.0));
    }
}
