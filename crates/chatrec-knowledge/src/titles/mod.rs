//! Title matching: finds catalog items from what people type ("the shawshank redemption",
//! "godfather 2", "star wars 1977", "shawshenk redemption").
//!
//! # Algorithm
//!
//! **Index.** Every item title is split into its main title and the alternative titles
//! MovieLens gives in parentheses ("City of Lost Children, The (Cité des enfants perdus,
//! La)"). Each of them yields *variants*, token sequences in one canonical form shared with
//! queries (lowercase, no diacritics or punctuation, numbers one..twenty and Roman II..XX
//! as digits, "Part II" = "2", "&" = "and", "L.A." = "la"): the title with its moved article in front ("the shawshank redemption"),
//! without it ("shawshank redemption"), hyphen-joined ("spiderman"), and the parts before
//! and after a colon ("star trek", "wrath of khan"), which count [`PART_TITLE_FACTOR`]
//! because they name the item less completely. Tokens get an inverse-document-frequency
//! weight `ln(1 + items / items_with_token)`, so "the" weighs little and "shawshank" a lot.
//!
//! **Typos.** Word candidates come from a symmetric-deletion index (Garbe's SymSpell): each
//! vocabulary word is stored under the hashes of all words made by deleting up to one
//! character (two for words of 6+ characters); a query word looks up its own deletion
//! neighbourhood, which finds every word within that many insertions, deletions,
//! substitutions or adjacent transpositions without scanning the vocabulary. Candidates are
//! verified with the optimal-string-alignment (restricted Damerau-Levenshtein) distance.
//! Query words of 4+ characters may carry one edit, 8+ characters two; three-letter words
//! only a swap of neighbours ("nwo"). A word at distance
//! `d` is similar by `1 - 1.2 d / length`, times 0.9 when the first letter differs (people
//! rarely mistype it; "argo" is a film, not a typo of "fargo"). Digits match exactly.
//!
//! **Retrieval.** Variants sharing a (fuzzy) word with the query are accumulated through
//! per-word posting lists; words in more than 5% of the variants are skipped when the
//! query has a rarer one. The [`CANDIDATES_SCORED`] best by accumulated weight, plus
//! variants equal to the query with spaces removed ("faceoff", "mash"), are scored fully.
//!
//! **Confidence.** Query and variant words are aligned greedily, best similarity first.
//! With `P` the matched share of the query's weight and `R` the matched share of the
//! variant's weight, `confidence = P · (1 + R) / 2 · part · order · numbers · year`:
//! words the query adds that the title lacks cost more than title words the query leaves
//! out ("shawshank" still points at the film, "toy story 3" is not "Toy Story"); `order` is
//! 0.95 when matched words are out of order; every query number the title lacks multiplies
//! by [`NUMBER_MISMATCH_FACTOR`] (a sequel number names a different film); a year hint
//! multiplies by 1 when it equals the item's year, 0.95 one year off, 0.9 when the item has
//! no year and [`YEAR_MISMATCH_FACTOR`] otherwise. A year hint is a trailing (or leading)
//! four-digit year, optionally in parentheses or after "from"/"in"; the query is scored
//! with and without treating it as a hint, and with and without such a connector ("Blues
//! Brothers 2000", "1984", "Man of the Year 1995"). An item scores
//! the best of its variants. A match is [`CONFIDENT`] from 0.8; the answer is ambiguous when
//! the two best matches are both confident and within [`AMBIGUITY_MARGIN`] (remakes, or
//! "star trek" against every Star Trek film).
//!
//! Calibration and accuracy are measured by [`perturbed_queries`] and [`absent_queries`]
//! (see `docs/titles.md`).
//!
//! # Determinism
//!
//! Building and querying are single-threaded and pure: the same catalog and query give the
//! same matches in the same order (ties by item index), whatever threads call [`TitleIndex::find`]
//! concurrently (the index is immutable and `Sync`).
//!
//! References: W. Garbe, "1000x faster spelling correction algorithm" (SymSpell, 2012);
//! F. Damerau, "A technique for computer detection and correction of spelling errors",
//! CACM 1964; K. Spärck Jones, "A statistical interpretation of term specificity", 1972.

mod evaluation;
mod normalize;

use std::collections::HashMap;

use chatrec_core::Catalog;
use serde::Serialize;

pub use evaluation::{
    absent_queries, evaluate, perturbed_queries, AbsentKind, AbsentQuery, LabelledQuery,
    Perturbation, PerturbationAccuracy, TitleEvaluation, LISTED_ABSENT_TITLES,
};

use normalize::{natural_order, osa_distance_within, parse_year, split_moved_article, title_parts};

/// Confidence from which a match counts as confident: the dialogue may act on it without
/// asking back.
pub const CONFIDENT: f32 = 0.8;
/// Two confident matches closer than this make the answer ambiguous.
pub const AMBIGUITY_MARGIN: f32 = 0.05;
/// Matches below this confidence are not reported at all.
pub const REPORTED_FLOOR: f32 = 0.25;
/// Weight of a variant that is only the part of a title before or after its colon.
pub const PART_TITLE_FACTOR: f32 = 0.9;
/// Factor per query number that the title does not contain.
pub const NUMBER_MISMATCH_FACTOR: f32 = 0.6;
/// Factor when a year hint is more than one year off the item's year.
pub const YEAR_MISMATCH_FACTOR: f32 = 0.75;
/// How many retrieved variants are scored in full per query form.
pub const CANDIDATES_SCORED: usize = 64;

const YEAR_OFF_BY_ONE_FACTOR: f32 = 0.95;
const YEAR_UNKNOWN_FACTOR: f32 = 0.9;
const ORDER_FACTOR: f32 = 0.95;
const COMMON_WORD_SHARE: f64 = 0.05;
const TYPO_COST: f32 = 1.2;
/// Retrieval promise of a variant equal to the query without spaces: above any sum of
/// word weights, yet finite so that year factors still order such variants.
const COMPACT_MATCH_PROMISE: f32 = 1.0e30;
const FIRST_LETTER_TYPO_FACTOR: f32 = 0.9;
const YEAR_CONNECTORS: &[&str] = &["from", "in", "released", "made", "year"];
const ENGLISH_ARTICLES: &[&str] = &["the", "a", "an"];

/// One candidate item for a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TitleMatch {
    /// Dense item index in the catalog.
    #[serde(skip)]
    pub item: u32,
    pub item_id: String,
    /// Display form "Title (Year)", the title as the catalog writes it.
    pub title: String,
    /// 0..=1; see [`CONFIDENT`].
    pub confidence: f32,
}

/// Ranked candidates for a query, best first; empty when nothing matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TitleMatches {
    pub query: String,
    /// The two best matches are both confident and within [`AMBIGUITY_MARGIN`].
    pub ambiguous: bool,
    pub matches: Vec<TitleMatch>,
}

impl TitleMatches {
    /// The best match when it is confident and the answer is not ambiguous.
    pub fn unique_confident(&self) -> Option<&TitleMatch> {
        self.matches
            .first()
            .filter(|m| m.confidence >= CONFIDENT && !self.ambiguous)
    }
}

#[derive(Debug, Clone)]
struct IndexedItem {
    id: String,
    display: String,
    year: Option<i32>,
}

#[derive(Debug, Clone)]
struct Variant {
    item: u32,
    start: u32,
    len: u32,
    factor: f32,
    weight_sum: f32,
}

/// Title search structure over a catalog; build once, query from any thread.
#[derive(Debug, Clone)]
pub struct TitleIndex {
    items: Vec<IndexedItem>,
    variants: Vec<Variant>,
    variant_tokens: Vec<u32>,
    vocabulary: HashMap<String, u32>,
    token_chars: Vec<Box<[char]>>,
    token_weight: Vec<f32>,
    token_is_number: Vec<bool>,
    postings: Vec<Vec<u32>>,
    deletions: HashMap<u64, Vec<u32>>,
    compact: HashMap<String, Vec<u32>>,
    unknown_weight: f32,
}

/// A query word resolved against the vocabulary.
#[derive(Debug, Clone)]
struct ResolvedWord {
    weight: f32,
    is_number: bool,
    /// (token, similarity), exact match first.
    matches: Vec<(u32, f32)>,
}

impl ResolvedWord {
    fn similarity_to(&self, token: u32) -> Option<f32> {
        self.matches
            .iter()
            .find(|(t, _)| *t == token)
            .map(|(_, sim)| *sim)
    }
}

#[derive(Debug, Clone)]
struct QueryForm {
    words: Vec<String>,
    year_hint: Option<i32>,
}

impl TitleIndex {
    /// Indexes every item of `catalog` by its title (see the module doc).
    pub fn new(catalog: &Catalog) -> Self {
        let mut index = TitleIndex {
            items: Vec::with_capacity(catalog.n_items()),
            variants: Vec::new(),
            variant_tokens: Vec::new(),
            vocabulary: HashMap::new(),
            token_chars: Vec::new(),
            token_weight: Vec::new(),
            token_is_number: Vec::new(),
            postings: Vec::new(),
            deletions: HashMap::new(),
            compact: HashMap::new(),
            unknown_weight: 0.0,
        };
        let mut document_frequency: Vec<u32> = Vec::new();
        let mut item_tokens: Vec<u32> = Vec::new();
        for (item_index, item) in catalog.items().iter().enumerate() {
            let item_index = item_index as u32;
            let parts = title_parts(&item.title);
            let year = item.year.or(parts.year);
            index.items.push(IndexedItem {
                id: item.id.clone(),
                display: chatrec_core::catalog::display_title(&item.title, year),
                year,
            });
            let mut forms: Vec<(Vec<String>, f32)> = Vec::new();
            title_variants(&parts.main, &mut forms);
            for alternative in &parts.alternatives {
                title_variants(alternative, &mut forms);
            }
            item_tokens.clear();
            for (words, factor) in forms {
                let start = index.variant_tokens.len() as u32;
                for word in &words {
                    let token = index.intern(word, &mut document_frequency);
                    index.variant_tokens.push(token);
                    item_tokens.push(token);
                }
                let variant_id = index.variants.len() as u32;
                index.variants.push(Variant {
                    item: item_index,
                    start,
                    len: words.len() as u32,
                    factor,
                    weight_sum: 0.0,
                });
                index
                    .compact
                    .entry(words.concat())
                    .or_default()
                    .push(variant_id);
            }
            item_tokens.sort_unstable();
            item_tokens.dedup();
            for &token in &item_tokens {
                document_frequency[token as usize] += 1;
            }
        }
        let n_items = index.items.len().max(1) as f32;
        index.token_weight = document_frequency
            .iter()
            .map(|&df| (1.0 + n_items / df.max(1) as f32).ln())
            .collect();
        index.unknown_weight = (1.0 + n_items).ln();
        for variant_id in 0..index.variants.len() {
            let variant = &index.variants[variant_id];
            let range = variant.start as usize..(variant.start + variant.len) as usize;
            let mut weight_sum = 0.0;
            for &token in &index.variant_tokens[range] {
                weight_sum += index.token_weight[token as usize];
                let posting = &mut index.postings[token as usize];
                if posting.last() != Some(&(variant_id as u32)) {
                    posting.push(variant_id as u32);
                }
            }
            index.variants[variant_id].weight_sum = weight_sum;
        }
        let mut keys = Vec::new();
        for (token, chars) in index.token_chars.iter().enumerate() {
            if index.token_is_number[token] || chars.len() < 3 {
                continue;
            }
            let max_deletions = if chars.len() >= 6 { 2 } else { 1 };
            keys.clear();
            deletion_keys(chars, max_deletions, &mut keys);
            for &key in &keys {
                index.deletions.entry(key).or_default().push(token as u32);
            }
        }
        index
    }

    fn intern(&mut self, word: &str, document_frequency: &mut Vec<u32>) -> u32 {
        if let Some(&token) = self.vocabulary.get(word) {
            return token;
        }
        let token = self.token_chars.len() as u32;
        self.vocabulary.insert(word.to_owned(), token);
        self.token_chars.push(word.chars().collect());
        self.token_is_number
            .push(word.bytes().all(|b| b.is_ascii_digit()));
        self.postings.push(Vec::new());
        document_frequency.push(0);
        token
    }

    /// Number of indexed items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// "Title (Year)" of an item, as reported in matches.
    pub fn display_title(&self, item: u32) -> Option<&str> {
        self.items.get(item as usize).map(|i| i.display.as_str())
    }

    /// Items with a whole-title variant (not just the part before or after a colon) equal
    /// to `text` once both are normalised and stripped of spaces.
    pub fn exact_items(&self, text: &str) -> Vec<u32> {
        let key = normalize::tokens(text).concat();
        let mut items: Vec<u32> = self
            .compact
            .get(&key)
            .map(|variants| {
                variants
                    .iter()
                    .map(|&v| &self.variants[v as usize])
                    .filter(|v| v.factor >= 1.0)
                    .map(|v| v.item)
                    .collect()
            })
            .unwrap_or_default();
        items.sort_unstable();
        items.dedup();
        items
    }

    /// Whether `text`, normalised and stripped of spaces, equals any variant, including
    /// the parts of titles before or after a colon.
    pub(crate) fn equals_any_variant(&self, text: &str) -> bool {
        self.compact.contains_key(&normalize::tokens(text).concat())
    }

    /// Up to `n` items whose titles match `query`, best first (see the module doc).
    pub fn find(&self, query: &str, n: usize) -> TitleMatches {
        let mut best: HashMap<u32, f32> = HashMap::new();
        let mut resolved: HashMap<String, ResolvedWord> = HashMap::new();
        for form in query_forms(query) {
            for word in &form.words {
                if !resolved.contains_key(word) {
                    let resolution = self.resolve(word);
                    resolved.insert(word.clone(), resolution);
                }
            }
            let words: Vec<&ResolvedWord> =
                form.words.iter().filter_map(|w| resolved.get(w)).collect();
            let compact = form.words.concat();
            for variant_id in self.candidates(&words, &compact, form.year_hint) {
                let variant = &self.variants[variant_id as usize];
                let confidence = self.score(&words, &compact, variant_id, form.year_hint);
                let entry = best.entry(variant.item).or_insert(0.0);
                if confidence > *entry {
                    *entry = confidence;
                }
            }
        }
        let mut ranked: Vec<(u32, f32)> = best
            .into_iter()
            .filter(|&(_, confidence)| confidence >= REPORTED_FLOOR)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(n);
        let ambiguous = match ranked.as_slice() {
            [first, second, ..] => second.1 >= CONFIDENT && first.1 - second.1 <= AMBIGUITY_MARGIN,
            _ => false,
        };
        let matches = ranked
            .into_iter()
            .map(|(item, confidence)| {
                let indexed = &self.items[item as usize];
                TitleMatch {
                    item,
                    item_id: indexed.id.clone(),
                    title: indexed.display.clone(),
                    confidence,
                }
            })
            .collect();
        TitleMatches {
            query: query.to_owned(),
            ambiguous,
            matches,
        }
    }

    fn resolve(&self, word: &str) -> ResolvedWord {
        let is_number = word.bytes().all(|b| b.is_ascii_digit());
        let mut matches: Vec<(u32, f32)> = Vec::new();
        let exact = self.vocabulary.get(word).copied();
        if let Some(token) = exact {
            matches.push((token, 1.0));
        }
        let chars: Vec<char> = word.chars().collect();
        if !is_number && chars.len() >= 3 {
            let bound = if chars.len() >= 8 { 2 } else { 1 };
            // Three letters leave too little to tell a typo from another word ("cop",
            // "cap"), except a swap of two neighbours ("nwo" for "now").
            let swaps_only = chars.len() == 3;
            let mut keys = Vec::new();
            deletion_keys(&chars, bound, &mut keys);
            for key in keys {
                let Some(tokens) = self.deletions.get(&key) else {
                    continue;
                };
                for &token in tokens {
                    if Some(token) == exact || matches.iter().any(|(t, _)| *t == token) {
                        continue;
                    }
                    let candidate = &self.token_chars[token as usize];
                    if swaps_only && !is_adjacent_swap(&chars, candidate) {
                        continue;
                    }
                    if let Some(distance) = osa_distance_within(&chars, candidate, bound) {
                        matches.push((token, typo_similarity(&chars, candidate, distance)));
                    }
                }
            }
        }
        if exact.is_none() && !is_number && chars.len() >= 4 {
            // Number words were turned into digits, so "sevn" must meet "seven" here.
            for value in 1..=20 {
                let Some(number) = normalize::number_word(value) else {
                    continue;
                };
                let number: Vec<char> = number.chars().collect();
                let digits = self.vocabulary.get(value.to_string().as_str()).copied();
                if let (Some(token), Some(distance)) =
                    (digits, osa_distance_within(&chars, &number, 1))
                {
                    matches.push((token, typo_similarity(&chars, &number, distance)));
                }
            }
        }
        let weight = match exact {
            Some(token) => self.token_weight[token as usize],
            None => matches
                .iter()
                .map(|&(t, _)| self.token_weight[t as usize])
                .fold(None, |acc: Option<f32>, w| {
                    Some(acc.map_or(w, |a| a.max(w)))
                })
                .unwrap_or(self.unknown_weight),
        };
        ResolvedWord {
            weight,
            is_number,
            matches,
        }
    }

    fn candidates(
        &self,
        words: &[&ResolvedWord],
        compact: &str,
        year_hint: Option<i32>,
    ) -> Vec<u32> {
        let common_limit =
            ((self.variants.len() as f64 * COMMON_WORD_SHARE).ceil() as usize).max(32);
        let has_rare_word = words.iter().any(|w| {
            w.matches
                .iter()
                .any(|&(t, _)| self.postings[t as usize].len() <= common_limit)
        });
        let mut accumulated: HashMap<u32, f32> = HashMap::new();
        for word in words {
            for &(token, similarity) in &word.matches {
                let posting = &self.postings[token as usize];
                if has_rare_word && posting.len() > common_limit {
                    continue;
                }
                for &variant in posting {
                    *accumulated.entry(variant).or_insert(0.0) += word.weight * similarity;
                }
            }
        }
        if let Some(variants) = self.compact.get(compact) {
            for &variant in variants {
                accumulated.insert(variant, COMPACT_MATCH_PROMISE);
            }
        }
        // With a year hint, a title shared by many items (remakes) must not lose the item
        // of that year to the cut below.
        let mut ranked: Vec<(u32, f32)> = accumulated
            .into_iter()
            .map(|(variant, promise)| {
                let item = self.variants[variant as usize].item;
                (variant, promise * self.year_factor(item, year_hint))
            })
            .collect();
        let by_promise = |a: &(u32, f32), b: &(u32, f32)| {
            b.1.total_cmp(&a.1)
                .then_with(|| {
                    let wa = self.variants[a.0 as usize].weight_sum;
                    let wb = self.variants[b.0 as usize].weight_sum;
                    wa.total_cmp(&wb)
                })
                .then(a.0.cmp(&b.0))
        };
        if ranked.len() > CANDIDATES_SCORED {
            ranked.select_nth_unstable_by(CANDIDATES_SCORED - 1, by_promise);
            ranked.truncate(CANDIDATES_SCORED);
        }
        ranked.sort_unstable_by(by_promise);
        ranked.into_iter().map(|(variant, _)| variant).collect()
    }

    fn year_factor(&self, item: u32, year_hint: Option<i32>) -> f32 {
        match year_hint {
            None => 1.0,
            Some(hint) => match self.items[item as usize].year {
                None => YEAR_UNKNOWN_FACTOR,
                Some(year) if year == hint => 1.0,
                Some(year) if (year - hint).abs() == 1 => YEAR_OFF_BY_ONE_FACTOR,
                Some(_) => YEAR_MISMATCH_FACTOR,
            },
        }
    }

    fn score(
        &self,
        words: &[&ResolvedWord],
        compact: &str,
        variant_id: u32,
        year_hint: Option<i32>,
    ) -> f32 {
        let variant = &self.variants[variant_id as usize];
        let range = variant.start as usize..(variant.start + variant.len) as usize;
        let title_tokens = &self.variant_tokens[range];
        let year_factor = self.year_factor(variant.item, year_hint);
        let title_compact_equal = self
            .compact
            .get(compact)
            .is_some_and(|variants| variants.contains(&variant_id));
        if title_compact_equal {
            return variant.factor * year_factor;
        }
        let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
        for (qi, word) in words.iter().enumerate() {
            for (tj, &token) in title_tokens.iter().enumerate() {
                if let Some(similarity) = word.similarity_to(token) {
                    pairs.push((similarity, qi, tj));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut query_used = vec![false; words.len()];
        let mut title_used = vec![false; title_tokens.len()];
        let mut aligned: Vec<(usize, usize)> = Vec::new();
        let mut matched_query_weight = 0.0f32;
        let mut matched_title_weight = 0.0f32;
        for (similarity, qi, tj) in pairs {
            if query_used[qi] || title_used[tj] {
                continue;
            }
            query_used[qi] = true;
            title_used[tj] = true;
            aligned.push((qi, tj));
            matched_query_weight += words[qi].weight * similarity;
            matched_title_weight += self.token_weight[title_tokens[tj] as usize] * similarity;
        }
        let query_weight: f32 = words.iter().map(|w| w.weight).sum();
        if query_weight <= 0.0 || variant.weight_sum <= 0.0 {
            return 0.0;
        }
        let precision = matched_query_weight / query_weight;
        let recall = matched_title_weight / variant.weight_sum;
        aligned.sort_unstable();
        let in_order = aligned.windows(2).all(|pair| pair[0].1 < pair[1].1);
        let order_factor = if in_order { 1.0 } else { ORDER_FACTOR };
        let missing_numbers = words
            .iter()
            .zip(&query_used)
            .filter(|(w, used)| w.is_number && !**used)
            .count();
        let number_factor = NUMBER_MISMATCH_FACTOR.powi(missing_numbers as i32);
        let confidence = precision
            * (1.0 + recall)
            * 0.5
            * variant.factor
            * order_factor
            * number_factor
            * year_factor;
        confidence.clamp(0.0, 1.0)
    }
}

/// Adds the token variants of one title (main or alternative) with their factors.
fn title_variants(title: &str, out: &mut Vec<(Vec<String>, f32)>) {
    let push = |words: Vec<String>, factor: f32, out: &mut Vec<(Vec<String>, f32)>| {
        if words.is_empty() {
            return;
        }
        match out.iter_mut().find(|(existing, _)| *existing == words) {
            Some(entry) => entry.1 = entry.1.max(factor),
            None => out.push((words, factor)),
        }
    };
    let (body, article) = split_moved_article(title);
    let body_words = normalize::tokens(body);
    if body_words.is_empty() {
        return;
    }
    if article.is_some() {
        push(normalize::tokens(&natural_order(title)), 1.0, out);
    } else if body_words.len() > 1 && ENGLISH_ARTICLES.contains(&body_words[0].as_str()) {
        push(body_words[1..].to_vec(), 1.0, out);
    }
    push(body_words.clone(), 1.0, out);
    let joins_words = body
        .as_bytes()
        .windows(3)
        .any(|w| w[1] == b'-' && w[0].is_ascii_alphanumeric() && w[2].is_ascii_alphanumeric());
    if joins_words {
        push(normalize::tokens(&body.replace('-', "")), 1.0, out);
    }
    if let Some(colon) = body.find(':') {
        let mut prefix = normalize::tokens(&body[..colon]);
        // "Dr. Strangelove or: How I Learned ...": the "or" belongs to the subtitle.
        if prefix.len() > 1 && prefix.last().is_some_and(|w| w == "or") {
            prefix.pop();
        }
        push(prefix, PART_TITLE_FACTOR, out);
        let suffix = normalize::tokens(&body[colon + 1..]);
        if suffix.len() >= 2 {
            if suffix.len() >= 3 && ENGLISH_ARTICLES.contains(&suffix[0].as_str()) {
                push(suffix[1..].to_vec(), PART_TITLE_FACTOR, out);
            }
            push(suffix, PART_TITLE_FACTOR, out);
        }
    }
}

/// The query as typed, and with a year hint taken out when it has one.
fn query_forms(query: &str) -> Vec<QueryForm> {
    let words = normalize::tokens(query);
    let mut forms = Vec::with_capacity(3);
    if words.is_empty() {
        return forms;
    }
    if let Some(year) = words.last().and_then(|w| parse_year(w)) {
        let mut rest = words[..words.len() - 1].to_vec();
        if !rest.is_empty() {
            forms.push(QueryForm {
                words: rest.clone(),
                year_hint: Some(year),
            });
        }
        // "from 1977" is a hint with its connector; "Man of the Year 1995" keeps "year".
        let mut stripped = false;
        while rest.len() > 1
            && rest
                .last()
                .is_some_and(|w| YEAR_CONNECTORS.contains(&w.as_str()))
        {
            rest.pop();
            stripped = true;
        }
        if stripped {
            forms.push(QueryForm {
                words: rest,
                year_hint: Some(year),
            });
        }
    }
    if words.len() > 1 {
        if let Some(year) = parse_year(&words[0]) {
            forms.push(QueryForm {
                words: words[1..].to_vec(),
                year_hint: Some(year),
            });
        }
    }
    forms.push(QueryForm {
        words,
        year_hint: None,
    });
    forms
}

/// Whether `b` is `a` with two neighbouring characters exchanged.
fn is_adjacent_swap(a: &[char], b: &[char]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let differing: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    matches!(differing.as_slice(), [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i])
}

fn typo_similarity(query: &[char], token: &[char], distance: usize) -> f32 {
    let longest = query.len().max(token.len()).max(1) as f32;
    let similarity = 1.0 - TYPO_COST * distance as f32 / longest;
    if query.first() == token.first() {
        similarity
    } else {
        similarity * FIRST_LETTER_TYPO_FACTOR
    }
}

/// FNV-1a hashes of `chars` and of every string made by deleting up to `max_deletions`
/// characters from it.
fn deletion_keys(chars: &[char], max_deletions: usize, out: &mut Vec<u64>) {
    out.push(hash_without(chars, usize::MAX, usize::MAX));
    if max_deletions == 0 {
        return;
    }
    for i in 0..chars.len() {
        out.push(hash_without(chars, i, usize::MAX));
        if max_deletions >= 2 {
            for j in i + 1..chars.len() {
                out.push(hash_without(chars, i, j));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
}

fn hash_without(chars: &[char], skip_a: usize, skip_b: usize) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for (i, &c) in chars.iter().enumerate() {
        if i == skip_a || i == skip_b {
            continue;
        }
        let mut buffer = [0u8; 4];
        for &byte in c.encode_utf8(&mut buffer).as_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}
