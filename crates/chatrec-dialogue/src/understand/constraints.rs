//! Categories, negation, hedging and wishes the catalog has no data for.
//!
//! Category words come from the catalog's own category names (with plurals: "comedies",
//! "westerns", "sci-fi") and from the shared [`CATEGORY_SYNONYMS`] ("scary", "cartoon",
//! "for kids"), kept only where the catalog has the category, so another catalog gets
//! its own vocabulary. A category is a hard constraint unless the clause is hedged
//! ("maybe", "ideally", "a bit") or lists alternatives ("comedy or drama"): both are then
//! soft, because two hard includes would demand both.

use chatrec_core::Catalog;
use chatrec_knowledge::vocabulary::CATEGORY_SYNONYMS;

use crate::acts::{ActKind, Constraint, Polarity, Strictness};

use super::normalize::phrase_words;
use super::parser::{CategoryLink, Negation, Turn, KEYWORD_CONFIDENCE, MOOD_CONFIDENCE};
use super::themes::ThemeEffect;

/// Phrases naming more than one category, or categories in comparative form (a wish for
/// "more of", so soft).
const EXTRA_CATEGORY_PHRASES: &[(&str, &[&str], Strictness)] = &[
    ("romcom", &["Romance", "Comedy"], Strictness::Hard),
    ("romcoms", &["Romance", "Comedy"], Strictness::Hard),
    ("rom com", &["Romance", "Comedy"], Strictness::Hard),
    ("rom coms", &["Romance", "Comedy"], Strictness::Hard),
    ("spooky", &["Horror"], Strictness::Hard),
    ("creepy", &["Horror"], Strictness::Hard),
    ("terrifying", &["Horror"], Strictness::Hard),
    ("horrors", &["Horror"], Strictness::Hard),
    ("funnier", &["Comedy"], Strictness::Soft),
    ("scarier", &["Horror"], Strictness::Soft),
    ("more romantic", &["Romance"], Strictness::Soft),
    ("laugh", &["Comedy"], Strictness::Soft),
    ("laughs", &["Comedy"], Strictness::Soft),
];

/// Negations that exclude what follows.
const HARD_NEGATIONS: &[&str] = &[
    "no",
    "not",
    "nothing",
    "none",
    "without",
    "anything but",
    "anything except",
    "everything but",
    "except",
    "except for",
    "other than",
    "avoid",
    "no more",
    "do not want",
    "do not need",
    "not in the mood for",
    "not into",
    "not interested in",
    "never",
    "exclude",
    "excluding",
    "minus",
    "zero",
    "nor",
    "neither",
    "skip the",
    "i am done with",
    "enough",
    "enough of",
    "tired of",
    "sick of",
    "did not ask for",
    "never asked for",
    "did not say",
    "did not want",
];

/// Negations that only lower what follows ("less violent", "not too scary").
const SOFT_NEGATIONS: &[&str] = &[
    "less",
    "fewer",
    "not too",
    "not so",
    "not very",
    "not overly",
    "not that",
    "not as",
    "not super",
    "not much",
    "nothing too",
    "nothing so",
    "nothing overly",
    "a bit less",
    "a little less",
    "without too much",
    "without much",
    "not too much",
    "too much",
];

/// Words a pending negation waits across ("nothing *with too much* violence").
pub(crate) const NEGATION_SKIPPABLE: &[&str] = &[
    "too",
    "overly",
    "super",
    "particularly",
    "especially",
    "heavy",
    "heavily",
    "extremely",
    "excessively",
    "graphic",
    "type",
    "kind",
    "sort",
    "of",
    "stuff",
    "genre",
    "a",
    "an",
    "the",
    "any",
    "anything",
    "something",
    "so",
    "very",
    "really",
    "more",
    "much",
    "with",
    "from",
    "in",
    "that",
    "movies",
    "films",
    "movie",
    "film",
    "one",
    "ones",
    "for",
    "me",
    "please",
    "just",
    "at",
    "all",
    "into",
    "such",
    "lot",
    "lots",
    "want",
    "watch",
    "see",
    "show",
    "recommend",
    "suggest",
    "like",
    "some",
    "overtly",
    "another",
    "other",
    "again",
];

/// Words that make the rest of the clause a soft wish.
const HEDGES: &[&str] = &[
    "maybe",
    "perhaps",
    "possibly",
    "ideally",
    "preferably",
    "if possible",
    "a bit",
    "a little",
    "a little bit",
    "bit",
    "slightly",
    "somewhat",
    "kind of",
    "kinda",
    "sort of",
    "sorta",
    "a touch of",
    "a bit of",
    "some kind of",
    "optionally",
    "i guess",
    "probably",
    "might be",
    "could be",
    "would be nice",
    "leaning",
    "either",
    "prefer",
    "i prefer",
    "i would prefer",
    "more",
];

/// Wishes the catalog has no data for, with the data they need. `N hours` and
/// `N minutes` are read separately.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("too long", "running time"),
    ("not too long", "running time"),
    ("nothing too long", "running time"),
    ("nothing long", "running time"),
    ("not long", "running time"),
    ("long movie", "running time"),
    ("long movies", "running time"),
    ("long film", "running time"),
    ("long films", "running time"),
    ("longer", "running time"),
    ("short", "running time"),
    ("shorter", "running time"),
    ("quick", "running time"),
    ("runtime", "running time"),
    ("run time", "running time"),
    ("running time", "running time"),
    ("length", "running time"),
    ("duration", "running time"),
    ("an hour and a half", "running time"),
    ("on netflix", "streaming service"),
    ("netflix", "streaming service"),
    ("on hulu", "streaming service"),
    ("hulu", "streaming service"),
    ("on amazon", "streaming service"),
    ("amazon prime", "streaming service"),
    ("prime video", "streaming service"),
    ("on prime", "streaming service"),
    ("disney plus", "streaming service"),
    ("disney +", "streaming service"),
    ("on disney", "streaming service"),
    ("on hbo", "streaming service"),
    ("hbo", "streaming service"),
    ("on youtube", "streaming service"),
    ("streaming", "streaming service"),
    ("on tv", "streaming service"),
    ("for free", "streaming service"),
    ("apple tv", "streaming service"),
    ("subtitles", "subtitles"),
    ("with subtitles", "subtitles"),
    ("subtitled", "subtitles"),
    ("subs", "subtitles"),
    ("dubbed", "language"),
    ("in english", "language"),
    ("in french", "language"),
    ("in spanish", "language"),
    ("in german", "language"),
    ("in italian", "language"),
    ("in japanese", "language"),
    ("in korean", "language"),
    ("in chinese", "language"),
    ("in hindi", "language"),
    ("foreign language", "language"),
    ("language", "language"),
    ("rated pg", "age rating"),
    ("pg", "age rating"),
    ("pg 13", "age rating"),
    ("rated r", "age rating"),
    ("r rated", "age rating"),
    ("nc 17", "age rating"),
    ("age rating", "age rating"),
    ("in 3d", "format"),
    ("3d", "format"),
    ("imax", "format"),
    ("in theaters", "cinema showtimes"),
    ("in theatres", "cinema showtimes"),
    ("in cinemas", "cinema showtimes"),
    ("at the cinema", "cinema showtimes"),
    ("showtimes", "cinema showtimes"),
];

const DURATION_UNITS: &[&str] = &[
    "hours", "hour", "hrs", "hr", "h", "minutes", "minute", "mins", "min",
];

/// The category words of one catalog, longest phrases first.
#[derive(Debug, Clone, Default)]
pub(crate) struct CategoryPhrases {
    entries: Vec<CategoryPhrase>,
}

#[derive(Debug, Clone)]
struct CategoryPhrase {
    words: Vec<String>,
    categories: Vec<String>,
    strictness: Strictness,
}

/// A category phrase found in a turn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CategoryMatch {
    pub end: usize,
    pub categories: Vec<String>,
    pub strictness: Strictness,
}

impl CategoryPhrases {
    /// The vocabulary for the categories `catalog` actually uses.
    pub fn new(catalog: &Catalog) -> Self {
        let mut names: Vec<String> = Vec::new();
        for item in catalog.items() {
            for category in &item.categories {
                if !names.contains(category) {
                    names.push(category.clone());
                }
            }
        }
        let spelled = |target: &str| {
            let key = folded_key(target);
            names.iter().find(|n| folded_key(n) == key).cloned()
        };
        let mut entries = Vec::new();
        let mut push = |words: Vec<String>, categories: Vec<String>, strictness: Strictness| {
            if words.is_empty() || categories.is_empty() {
                return;
            }
            if !entries.iter().any(|e: &CategoryPhrase| e.words == words) {
                entries.push(CategoryPhrase {
                    words,
                    categories,
                    strictness,
                });
            }
        };
        for name in &names {
            let words = phrase_words(name);
            if let Some(plural) = plural_of(&words) {
                push(plural, vec![name.clone()], Strictness::Hard);
            }
            push(words, vec![name.clone()], Strictness::Hard);
        }
        for &(phrase, target) in CATEGORY_SYNONYMS {
            if let Some(name) = spelled(target) {
                push(phrase_words(phrase), vec![name], Strictness::Hard);
            }
        }
        for &(phrase, targets, strictness) in EXTRA_CATEGORY_PHRASES {
            let categories: Option<Vec<String>> = targets.iter().map(|t| spelled(t)).collect();
            if let Some(categories) = categories {
                push(phrase_words(phrase), categories, strictness);
            }
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.words.len()));
        CategoryPhrases { entries }
    }

    /// Catalog spelling of a category name, if the catalog has it.
    pub fn category(&self, name: &str) -> Option<&str> {
        let key = folded_key(name);
        self.entries
            .iter()
            .flat_map(|e| e.categories.iter())
            .find(|c| folded_key(c) == key)
            .map(String::as_str)
    }
}

fn folded_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// "comedy" -> "comedies", "western" -> "westerns"; none for names ending in "s".
fn plural_of(words: &[String]) -> Option<Vec<String>> {
    let last = words.last()?;
    let plural = if let Some(stem) = last.strip_suffix('y') {
        if stem.ends_with(['a', 'e', 'o', 'u']) {
            format!("{last}s")
        } else {
            format!("{stem}ies")
        }
    } else if last.ends_with('s') || last.chars().count() < 3 {
        return None;
    } else {
        format!("{last}s")
    };
    let mut out = words.to_vec();
    *out.last_mut()? = plural;
    Some(out)
}

impl Turn<'_> {
    /// The category phrase starting at `i`, longest first.
    pub fn category_at(&self, i: usize) -> Option<CategoryMatch> {
        let phrases = &self.understander.categories;
        phrases.entries.iter().find_map(|entry| {
            let matches = entry
                .words
                .iter()
                .enumerate()
                .all(|(k, w)| self.tokens.get(i + k).is_some_and(|t| &t.text == w));
            matches.then(|| CategoryMatch {
                end: i + entry.words.len(),
                categories: entry.categories.clone(),
                strictness: entry.strictness,
            })
        })
    }

    /// Whether a constraint (category, mood, period, unsupported wish) starts at `i`.
    pub fn starts_constraint(&self, i: usize) -> bool {
        self.category_at(i).is_some()
            || self.theme_at(i).is_some()
            || self.period_at(i).is_some()
            || self.unsupported_at(i).is_some()
    }

    /// Whether what starts at `i` (after an article) is a constraint rather than a
    /// title: a title must be confident and longer than the constraint words
    /// ("Romancing the Stone" is a title, "a romance" is not).
    pub fn constraint_before_title(&self, i: usize) -> bool {
        let start = self.skip(i, &["a", "an", "some", "any"]);
        let constraint_end = self
            .category_at(start)
            .map(|m| m.end)
            .or_else(|| self.theme_at(start).map(|(end, _, _)| end))
            .or_else(|| self.period_at(start).map(|(end, _)| end));
        let Some(constraint_end) = constraint_end else {
            return false;
        };
        match self.title_at(i, self.limit_from(i), false) {
            Some((_, title_end)) => title_end <= constraint_end,
            None => true,
        }
    }

    /// Polarity and strictness for a constraint emitted now; marks a pending negation
    /// as applied.
    pub fn constraint_mode(&mut self, natural: Strictness) -> (Polarity, Strictness) {
        match self.negation {
            Some(negation) => {
                self.negation = Some(Negation {
                    applied: true,
                    ..negation
                });
                let strictness = if negation.strictness == Strictness::Soft {
                    Strictness::Soft
                } else {
                    natural
                };
                (Polarity::Exclude, strictness)
            }
            None if self.hedged => (Polarity::Include, Strictness::Soft),
            None => (Polarity::Include, natural),
        }
    }

    /// Emits one category constraint; "X or Y" softens both.
    pub fn emit_category(
        &mut self,
        position: usize,
        end: usize,
        category: String,
        natural: Strictness,
        confidence: f32,
    ) {
        let (polarity, strictness) = self.constraint_mode(natural);
        let act = self.emit(
            position,
            ActKind::Constrain {
                constraint: Constraint::Category { category },
                polarity,
                strictness,
            },
            confidence,
        );
        if polarity == Polarity::Include {
            if let Some(link) = self.last_category {
                if link.clause == self.clause && self.alternatives_between(link.end, position) {
                    for index in [link.act, act] {
                        if let Some(act) = self.act_mut(index) {
                            if let ActKind::Constrain { strictness, .. } = &mut act.kind {
                                *strictness = Strictness::Soft;
                            }
                        }
                    }
                }
            }
        }
        self.last_category = Some(CategoryLink {
            act,
            clause: self.clause,
            end,
        });
    }

    /// Whether tokens `a..b` hold an "or" and nothing but filler.
    fn alternatives_between(&self, a: usize, b: usize) -> bool {
        let filler = [
            "or",
            "a",
            "an",
            "maybe",
            "perhaps",
            "some",
            "something",
            "movie",
            "film",
            "movies",
            "films",
            "either",
            "possibly",
        ];
        a < b && (a..b).any(|k| self.is(k, "or")) && (a..b).all(|k| filler.contains(&self.word(k)))
    }

    /// Category words and mood words.
    pub fn category_or_theme(&mut self, i: usize) -> Option<usize> {
        let category = self.category_at(i);
        let theme = self.theme_at(i);
        let category_end = category.as_ref().map_or(0, |m| m.end);
        let theme_end = theme.as_ref().map_or(0, |t| t.0);
        if let Some(found) = category.filter(|_| category_end >= theme_end) {
            for name in found.categories {
                self.emit_category(i, found.end, name, found.strictness, KEYWORD_CONFIDENCE);
            }
            return Some(found.end);
        }
        let (end, phrase, effect) = theme?;
        let negated = self.negation.is_some();
        match effect {
            ThemeEffect::Describe => {
                if negated {
                    self.constraint_mode(Strictness::Soft);
                } else {
                    self.descriptive.push((i, phrase.to_owned()));
                }
            }
            ThemeEffect::Lean(categories) | ThemeEffect::DescribeLean(categories) => {
                if !negated && matches!(effect, ThemeEffect::DescribeLean(_)) {
                    self.descriptive.push((i, phrase.to_owned()));
                }
                let names: Vec<String> = categories
                    .iter()
                    .filter_map(|c| self.understander.categories.category(c))
                    .map(str::to_owned)
                    .collect();
                let negation = self.negation;
                for name in names {
                    // Every category of one mood word takes the same negation.
                    self.negation = negation;
                    self.emit_category(i, end, name, Strictness::Soft, MOOD_CONFIDENCE);
                }
                if negation.is_some() {
                    self.negation = negation.map(|n| Negation { applied: true, ..n });
                }
            }
        }
        Some(end)
    }

    /// "no", "nothing", "without", "not too", "less": the next constraint is excluded.
    pub fn negation_marker(&mut self, i: usize) -> Option<usize> {
        let hard = self.longest_phrase(i, HARD_NEGATIONS);
        let soft = self.longest_phrase(i, SOFT_NEGATIONS);
        let (end, strictness) = match (hard, soft) {
            (Some((h, _)), Some((s, _))) if s >= h => (s, Strictness::Soft),
            (Some((h, _)), _) => (h, Strictness::Hard),
            (None, Some((s, _))) => (s, Strictness::Soft),
            (None, None) => return None,
        };
        self.negation = Some(Negation {
            strictness,
            applied: false,
        });
        Some(end)
    }

    /// "maybe", "ideally", "a bit": the rest of the clause is a soft wish.
    pub fn hedge_marker(&mut self, i: usize) -> Option<usize> {
        let (end, phrase) = self.longest_phrase(i, HEDGES)?;
        // "more" hedges only a following category or mood ("more violent"); alone it asks
        // for more, and "more recent" is a period of its own.
        if phrase == "more" && self.category_at(end).is_none() && self.theme_at(end).is_none() {
            return None;
        }
        self.hedged = true;
        Some(end)
    }

    /// The unsupported wish at `i`: its end and the data it would need.
    pub fn unsupported_at(&self, i: usize) -> Option<(usize, &'static str)> {
        let listed = self.longest_phrase_with(i, UNSUPPORTED);
        let duration = self.duration_at(i).map(|end| (end, "running time"));
        match (listed, duration) {
            (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// "under 2 hours", "90 minutes", "less than 2h".
    fn duration_at(&self, i: usize) -> Option<usize> {
        let qualifiers = [
            "under",
            "less than",
            "more than",
            "over",
            "at most",
            "max",
            "around",
            "about",
            "no longer than",
            "shorter than",
            "longer than",
            "within",
            "below",
        ];
        let start = self
            .longest_phrase(i, &qualifiers)
            .map_or(i, |(end, _)| end);
        let number = self.tokens.get(start)?;
        let spelled = matches!(number.text.as_str(), "an" | "one" | "two" | "three");
        if !number.is_number() && !spelled {
            return None;
        }
        let end = start + 1;
        if !lexicon_has(DURATION_UNITS, self.word(end)) {
            return None;
        }
        let unit_end = end + 1;
        // "1 hour 30 minutes"
        if self.tokens.get(unit_end).is_some_and(|t| t.is_number())
            && lexicon_has(DURATION_UNITS, self.word(unit_end + 1))
        {
            return Some(unit_end + 2);
        }
        Some(unit_end)
    }

    fn longest_phrase_with(
        &self,
        i: usize,
        table: &[(&str, &'static str)],
    ) -> Option<(usize, &'static str)> {
        table
            .iter()
            .filter_map(|&(phrase, value)| self.phrase_end(i, phrase).map(|end| (end, value)))
            .max_by_key(|&(end, _)| end)
    }

    /// "nothing too long", "on netflix": the catalog cannot answer these.
    pub fn unsupported(&mut self, i: usize) -> Option<usize> {
        let (end, what) = self.unsupported_at(i)?;
        self.negation = None;
        self.emit(
            i,
            ActKind::Unsupported {
                what: what.to_owned(),
            },
            KEYWORD_CONFIDENCE,
        );
        Some(end)
    }
}

fn lexicon_has(list: &[&str], word: &str) -> bool {
    list.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatrec_core::Item;

    #[test]
    fn plurals_follow_english_spelling() {
        let p = |w: &str| plural_of(&[w.to_owned()]).map(|v| v.join(" "));
        assert_eq!(p("comedy").as_deref(), Some("comedies"));
        assert_eq!(p("western").as_deref(), Some("westerns"));
        assert_eq!(p("fantasy").as_deref(), Some("fantasies"));
        assert_eq!(p("childrens"), None);
    }

    #[test]
    fn vocabulary_keeps_only_the_catalog_categories() {
        let mut catalog = Catalog::new();
        catalog.upsert_item(Item {
            id: "1".into(),
            title: "A".into(),
            categories: vec!["Comedy".into(), "Sci-Fi".into()],
            ..Item::default()
        });
        let phrases = CategoryPhrases::new(&catalog);
        assert_eq!(phrases.category("sci fi"), Some("Sci-Fi"));
        assert_eq!(phrases.category("comedy"), Some("Comedy"));
        assert_eq!(phrases.category("Horror"), None);
        assert!(phrases
            .entries
            .iter()
            .all(|e| e.categories.iter().all(|c| c == "Comedy" || c == "Sci-Fi")));
    }
}
