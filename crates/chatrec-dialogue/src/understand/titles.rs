//! Titles in a turn. Free text is never searched for titles word by word ("something
//! scary" is not "Scream"); titles are looked up only
//!
//! * in a *title slot* after a trigger ("like X", "loved X", "why X"): every prefix of
//!   the next few words is looked up and the best match wins, ties going to the longer
//!   span ("heat (1995)" over "heat", "the godfather part 2" over "the godfather"), so a
//!   title may hold "and", "of", digits and colons while what follows it ("but older",
//!   "from the 80s") stays outside;
//! * in a *fixed span* before an opinion ("Alien and Aliens were great"), which is read
//!   as one title or, when every part matches confidently and better, as a list;
//! * as the *whole turn* ("Star Wars 1977", "return of the jedi"), when nothing else in
//!   it was understood.
//!
//! A match counts when [`CONFIDENT`]; several confident matches within
//! [`AMBIGUITY_MARGIN`] make an ambiguous title, settled by the shown list when exactly
//! one of them is shown.

use chatrec_knowledge::titles::{TitleMatch, TitleMatches, AMBIGUITY_MARGIN, CONFIDENT};

use crate::acts::{Act, ActKind, ItemMention, TitleRole};

use super::lexicon::{self, NON_TITLE_STARTS, SENTENCE_PUNCTUATION, STOP_WORDS};
use super::parser::{Turn, UNRESOLVED_CONFIDENCE};

/// Most words looked at after a trigger. Longer titles are still found by their first
/// words when the index knows them ("dr strangelove").
pub(crate) const MAX_TITLE_WORDS: usize = 7;
/// Most words of an unknown title reported back.
const MAX_UNKNOWN_WORDS: usize = 6;
/// How many matches a lookup asks for (the options of an ambiguous title).
const MATCHES_ASKED: usize = 5;
/// Confidences closer than this are a tie.
const TIE: f32 = 1e-4;

/// Words a title rarely ends with: spans ending in them are not looked up.
const NON_TITLE_ENDS: &[&str] = &[
    "the", "a", "an", "and", "of", "or", "but", "from", "in", "with", "to", "for", "by", "on",
    "at", "my", "your", "is", "was", "please", "&", "+",
];

/// Words that end the mention of an unknown title ("like Blorp *from the* 80s").
const UNKNOWN_TITLE_BOUNDARIES: &[&str] = &[
    "from", "with", "please", "and", "or", "that", "which", "who", "because", "since", "before",
    "after", "set", "in", "without", "except", "than", "too", "was", "is", "were", "maybe",
    "ideally", "no", "not", "nothing", "so", "for",
];

/// Parts of a film people comment on, not titles ("the ending was great").
const ASPECTS: &[&str] = &[
    "ending",
    "end",
    "acting",
    "plot",
    "story",
    "music",
    "soundtrack",
    "score",
    "cast",
    "characters",
    "character",
    "dialogue",
    "dialog",
    "effects",
    "visuals",
    "cinematography",
    "script",
    "scene",
    "scenes",
    "beginning",
    "start",
    "twist",
    "actors",
    "actor",
    "actress",
    "director",
    "premise",
    "concept",
    "pacing",
    "atmosphere",
    "humor",
    "humour",
    "jokes",
    "idea",
    "movie",
    "film",
    "one",
    "rest",
    "middle",
    "book",
    "trailer",
    "sequel",
    "remake",
    "everything",
    "all",
    "that",
    "this",
    "it",
    "something",
    "anything",
    "nothing",
];

/// A title slot's result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TitleFound {
    Items {
        items: Vec<ItemMention>,
        confidence: f32,
    },
    Ambiguous {
        mention: String,
        options: Vec<ItemMention>,
        confidence: f32,
    },
    Unknown {
        mention: String,
    },
}

impl TitleFound {
    /// The item when exactly one was found.
    pub fn single_item(&self) -> Option<&ItemMention> {
        match self {
            TitleFound::Items { items, .. } if items.len() == 1 => items.first(),
            _ => None,
        }
    }
}

fn top_confidence(matches: &TitleMatches) -> f32 {
    matches.matches.first().map_or(0.0, |m| m.confidence)
}

fn mention_of_match(found: &TitleMatch, mention: &str) -> ItemMention {
    ItemMention {
        item: found.item,
        item_id: found.item_id.clone(),
        title: found.title.clone(),
        mention: mention.to_owned(),
    }
}

impl Turn<'_> {
    /// The confident reading of a lookup: one item, or an ambiguous title (settled by the
    /// shown list when exactly one option is shown).
    fn confident(&self, matches: &TitleMatches, mention: &str) -> Option<TitleFound> {
        let best = matches.matches.first()?;
        if best.confidence < CONFIDENT {
            return None;
        }
        if !matches.ambiguous {
            return Some(TitleFound::Items {
                items: vec![mention_of_match(best, mention)],
                confidence: best.confidence,
            });
        }
        let options: Vec<ItemMention> = matches
            .matches
            .iter()
            .filter(|m| {
                m.confidence >= CONFIDENT && best.confidence - m.confidence <= AMBIGUITY_MARGIN
            })
            .map(|m| mention_of_match(m, mention))
            .collect();
        let shown: Vec<&ItemMention> = options
            .iter()
            .filter(|o| self.context.shown.contains(&o.item))
            .collect();
        if let [only] = shown.as_slice() {
            return Some(TitleFound::Items {
                items: vec![(*only).clone()],
                confidence: best.confidence,
            });
        }
        Some(TitleFound::Ambiguous {
            mention: mention.to_owned(),
            options,
            confidence: best.confidence,
        })
    }

    fn lookup(&self, a: usize, b: usize) -> TitleMatches {
        self.understander
            .titles
            .find(self.span_text(a, b), MATCHES_ASKED)
    }

    /// The title in the slot starting at `start`, ending before `limit`. Returns the
    /// result and the end of the words it used.
    pub fn title_at(
        &self,
        start: usize,
        limit: usize,
        strong: bool,
    ) -> Option<(TitleFound, usize)> {
        let mut s = start;
        if let Some((end, _)) = self.longest_phrase(
            s,
            &[
                "the movie",
                "the film",
                "that movie",
                "the movies",
                "movie",
                "film",
            ],
        ) {
            if end < limit && !self.clause_ends_at(end) {
                s = end;
            }
        }
        if s >= limit {
            return None;
        }
        if self.is(s, "\"") {
            return self.quoted_title(s, limit);
        }
        if self.tokens[s].is_punct() {
            return None;
        }
        let exact_only = lexicon::contains(NON_TITLE_STARTS, self.word(s));
        let mut best: Option<(f32, usize, TitleMatches)> = None;
        let mut words = 0;
        let mut e = s;
        while e < limit && words < MAX_TITLE_WORDS {
            let token = &self.tokens[e];
            if token.is_punct() {
                if lexicon::contains(SENTENCE_PUNCTUATION, &token.text) || token.text == "\"" {
                    break;
                }
                e += 1;
                continue;
            }
            words += 1;
            e += 1;
            if lexicon::contains(NON_TITLE_ENDS, &token.text) {
                continue;
            }
            if exact_only
                && self
                    .understander
                    .titles
                    .exact_items(self.span_text(s, e))
                    .is_empty()
            {
                continue;
            }
            let matches = self.lookup(s, e);
            let confidence = top_confidence(&matches);
            if confidence > 0.0 && best.as_ref().is_none_or(|b| confidence >= b.0 - TIE) {
                best = Some((confidence, e, matches));
            }
        }
        if let Some((confidence, mut end, matches)) = best {
            // "toy story 3" is not Toy Story: a sequel number right after the match names
            // another film, one the catalog does not have (its span matched worse).
            let numbered = self.sequel_number_at(end);
            if confidence >= CONFIDENT && !numbered {
                if self.is(end, ")") && (s..end).any(|k| self.is(k, "(")) {
                    end += 1;
                }
                let mention = self.span_text(s, end);
                return self.confident(&matches, mention).map(|found| (found, end));
            }
        }
        if !strong || exact_only {
            return None;
        }
        let end = self.unknown_title_end(s, limit);
        let mention = self.span_text(s, end);
        let informative = (s..end).any(|k| !lexicon::contains(STOP_WORDS, self.word(k)));
        let aspect = end > s && lexicon::contains(ASPECTS, self.word(end - 1));
        (informative && !aspect && !mention.is_empty()).then(|| {
            (
                TitleFound::Unknown {
                    mention: mention.to_owned(),
                },
                end,
            )
        })
    }

    /// Whether a sequel number starts at `i` ("3", "iii", "part 3"), as opposed to a
    /// rating or a quantity ("4/5", "2 hours").
    fn sequel_number_at(&self, i: usize) -> bool {
        let at = if self.is(i, "part") { i + 1 } else { i };
        let word = self.word(at);
        let small = self
            .tokens
            .get(at)
            .and_then(|t| t.integer())
            .is_some_and(|v| (1..=20).contains(&v));
        let roman = matches!(
            word,
            "ii" | "iii" | "iv" | "vi" | "vii" | "viii" | "ix" | "xi" | "xii"
        );
        let quantity = matches!(
            self.word(at + 1),
            "/" | "out" | "stars" | "star" | "times" | "x"
        ) || self.unsupported_at(at).is_some();
        (small || roman) && !quantity
    }

    /// A title in quotes: the quotes bound it, and a miss is an unknown title.
    fn quoted_title(&self, open: usize, limit: usize) -> Option<(TitleFound, usize)> {
        let close = (open + 1..limit).find(|&k| self.is(k, "\""))?;
        if close == open + 1 {
            return None;
        }
        let matches = self.lookup(open + 1, close);
        let mention = self.span_text(open + 1, close);
        let found = self
            .confident(&matches, mention)
            .unwrap_or_else(|| TitleFound::Unknown {
                mention: mention.to_owned(),
            });
        Some((found, close + 1))
    }

    fn unknown_title_end(&self, s: usize, limit: usize) -> usize {
        let mut end = s;
        let mut words = 0;
        while end < limit && words < MAX_UNKNOWN_WORDS {
            let word = self.word(end);
            let boundary = self.tokens[end].is_punct()
                || (end > s && lexicon::contains(UNKNOWN_TITLE_BOUNDARIES, word))
                || self.clause_ends_at(end)
                || (end > s && self.period_at(end).is_some());
            if boundary {
                break;
            }
            words += 1;
            end += 1;
        }
        end
    }

    /// The title or list of titles that exactly fills tokens `a..b`.
    pub fn titles_in(&self, a: usize, b: usize) -> Option<TitleFound> {
        if a >= b || (a..b).all(|k| self.tokens[k].is_punct()) {
            return None;
        }
        let whole = self.lookup(a, b);
        let whole_confidence = top_confidence(&whole);
        let mut parts: Vec<(usize, usize)> = Vec::new();
        let mut part_start = a;
        for k in a..b {
            if matches!(self.word(k), "and" | "," | "&" | "+") {
                if k > part_start {
                    parts.push((part_start, k));
                }
                part_start = k + 1;
            }
        }
        if part_start < b {
            parts.push((part_start, b));
        }
        if parts.len() >= 2 {
            let mut items = Vec::new();
            let mut weakest = 1.0f32;
            for &(p, q) in &parts {
                let matches = self.lookup(p, q);
                match self.confident(&matches, self.span_text(p, q)) {
                    Some(TitleFound::Items {
                        items: found,
                        confidence,
                    }) => {
                        items.extend(found);
                        weakest = weakest.min(confidence);
                    }
                    _ => {
                        items.clear();
                        break;
                    }
                }
            }
            if !items.is_empty() && (whole_confidence < CONFIDENT || weakest > whole_confidence) {
                return Some(TitleFound::Items {
                    items,
                    confidence: weakest,
                });
            }
        }
        self.confident(&whole, self.span_text(a, b))
    }

    /// A subject that is no title: reported as an unknown title when it reads like a
    /// name (a few words, not a part of a film or filler).
    pub fn unknown_subject(&self, a: usize, b: usize) -> Option<TitleFound> {
        let words = (a..b).filter(|&k| !self.tokens[k].is_punct()).count();
        let informative = (a..b).any(|k| {
            let word = self.word(k);
            !self.tokens[k].is_punct() && !lexicon::contains(STOP_WORDS, word)
        });
        let aspect = (a..b).any(|k| lexicon::contains(ASPECTS, self.word(k)));
        let constraint = (a..b).any(|k| self.starts_constraint(k));
        ((1..=MAX_UNKNOWN_WORDS).contains(&words) && informative && !aspect && !constraint).then(
            || TitleFound::Unknown {
                mention: self.span_text(a, b).to_owned(),
            },
        )
    }

    /// The whole turn as a title ("Star Wars 1977"), around polite filler.
    pub fn whole_turn_title(&self) -> Option<Act> {
        let leading = [
            "ok",
            "okay",
            "um",
            "uh",
            "hmm",
            "yes",
            "yeah",
            "so",
            "well",
            "maybe",
            "how about",
            "what about",
            "i mean",
            "i meant",
            "the one called",
            "it is",
            "oh",
        ];
        let trailing = ["please", "thanks", "then", "i think", "maybe", "thank you"];
        let mut a = 0;
        let mut b = self.len();
        loop {
            while a < b && self.tokens[a].is_punct() && !self.is(a, "\"") {
                a += 1;
            }
            match self.longest_phrase(a, &leading) {
                Some((end, _)) if end < b => a = end,
                _ => break,
            }
        }
        loop {
            while b > a && self.tokens[b - 1].is_punct() && !matches!(self.word(b - 1), ")" | "\"")
            {
                b -= 1;
            }
            let trimmed = trailing
                .iter()
                .filter_map(|p| {
                    let n = p.split(' ').count();
                    (b > a + n && self.phrase_end(b - n, p) == Some(b)).then(|| b - n)
                })
                .min();
            match trimmed {
                Some(start) => b = start,
                None => break,
            }
        }
        if a >= b {
            return None;
        }
        let matches = self.lookup(a, b);
        let found = self.confident(&matches, self.span_text(a, b))?;
        let kind = match found {
            TitleFound::Items { items, confidence } => {
                return Some(Act::new(ActKind::Select { items }, confidence));
            }
            TitleFound::Ambiguous {
                mention,
                options,
                confidence,
            } => (
                ActKind::AmbiguousTitle {
                    mention,
                    options,
                    role: TitleRole::Choose,
                },
                confidence,
            ),
            TitleFound::Unknown { mention } => {
                (ActKind::UnknownTitle { mention }, UNRESOLVED_CONFIDENCE)
            }
        };
        Some(Act::new(kind.0, kind.1))
    }
}
