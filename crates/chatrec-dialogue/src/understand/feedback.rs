//! Opinions, ratings, "seen it" and rejections.
//!
//! Opinions come in two shapes. A verb before its object ("I loved X", "didn't like
//! the second one", "hated it") is read left to right. A predicate after its subject
//! ("X was amazing", "Alien and Aliens were great", "X: 8/10", "I'd give X 4 stars") is
//! found by a pre-pass, which reserves the subject so that the main pass does not read
//! its words as anything else ("Star *Wars* was great" is no war film).
//!
//! Sentiment: loved +1, amazing/great +0.9, liked/good +0.6, ok/fine +0.2, meh -0.3,
//! boring/didn't like -0.6, hated/terrible -1. A rating `r` on a scale `1..=s` maps
//! linearly onto -1..=1: `2 (r - 1) / (s - 1) - 1` (1/5 -> -1, 3/5 -> 0, 5/5 -> +1;
//! 8/10 -> 0.56); "4 stars" is out of 5, a bare "7" after "give" out of 10 when above 5.
//! A verb on a category is a taste instead ("I hate horror" excludes Horror, "I love
//! comedies" leans towards Comedy).

use crate::acts::{ActKind, Strictness};

use super::lexicon::{self, INTENSIFIERS, SENTENCE_PUNCTUATION};
use super::objects::Object;
use super::parser::{Negation, Subject, Turn, KEYWORD_CONFIDENCE, UNRESOLVED_CONFIDENCE};
use super::titles::TitleFound;

/// What the predicate after a subject says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PredicateKind {
    Opinion {
        sentiment: f32,
        rating: Option<f32>,
    },
    /// "sounds good", "looks boring": interest in an item not seen yet.
    Interest {
        positive: bool,
    },
}

/// How the subject of a predicate was read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SubjectResolution {
    /// A reference ("the second one", "it"), resolved when the main pass reaches it.
    Reference,
    Title(TitleFound),
    /// No subject words: the item in focus ("meh", "was great").
    Focus,
}

/// Verbs of being that link a subject to an opinion.
const COPULAS: &[&str] = &[
    "was",
    "is",
    "were",
    "are",
    "has been",
    "have been",
    "had been",
    "seemed",
    "seems",
    "felt",
    "feels",
    "was just",
    "is just",
    "was kind of",
    "is kind of",
];

const INTEREST_VERBS: &[&str] = &["sounds", "looks", "sound", "look", "sounded", "looked"];

/// Opinions after a copula, strongest first within each level.
const PREDICATES: &[(&str, f32)] = &[
    ("a masterpiece", 1.0),
    ("one of my favourites", 1.0),
    ("one of my favorites", 1.0),
    ("one of my favourite", 1.0),
    ("one of my favorite", 1.0),
    ("one of the best", 1.0),
    ("masterpiece", 1.0),
    ("the best", 1.0),
    ("my favorite", 1.0),
    ("my favourite", 1.0),
    ("perfect", 1.0),
    ("incredible", 1.0),
    ("outstanding", 1.0),
    ("phenomenal", 1.0),
    ("mind blowing", 1.0),
    ("amazing", 0.9),
    ("great", 0.9),
    ("awesome", 0.9),
    ("fantastic", 0.9),
    ("brilliant", 0.9),
    ("excellent", 0.9),
    ("wonderful", 0.9),
    ("superb", 0.9),
    ("terrific", 0.9),
    ("really good", 0.9),
    ("so good", 0.9),
    ("very good", 0.9),
    ("good", 0.6),
    ("nice", 0.6),
    ("fun", 0.6),
    ("enjoyable", 0.6),
    ("cool", 0.6),
    ("pretty good", 0.6),
    ("solid", 0.6),
    ("entertaining", 0.6),
    ("interesting", 0.6),
    ("worth it", 0.6),
    ("hilarious", 0.9),
    ("gripping", 0.9),
    ("fascinating", 0.9),
    ("funny", 0.6),
    ("exciting", 0.6),
    ("beautiful", 0.6),
    ("moving", 0.6),
    ("touching", 0.6),
    ("clever", 0.6),
    ("worth watching", 0.6),
    ("ok", 0.2),
    ("okay", 0.2),
    ("fine", 0.2),
    ("alright", 0.2),
    ("all right", 0.2),
    ("decent", 0.2),
    ("not bad", 0.2),
    ("watchable", 0.2),
    ("passable", 0.2),
    ("meh", -0.3),
    ("so so", -0.3),
    ("average", -0.3),
    ("mediocre", -0.3),
    ("forgettable", -0.3),
    ("underwhelming", -0.3),
    ("not great", -0.3),
    ("not that good", -0.3),
    ("not so good", -0.3),
    ("not very good", -0.3),
    ("boring", -0.6),
    ("bad", -0.6),
    ("dull", -0.6),
    ("not good", -0.6),
    ("disappointing", -0.6),
    ("a disappointment", -0.6),
    ("a letdown", -0.6),
    ("overrated", -0.6),
    ("slow", -0.6),
    ("tedious", -0.6),
    ("weak", -0.6),
    ("stupid", -0.6),
    ("not for me", -0.6),
    ("not my thing", -0.6),
    ("not my cup of tea", -0.6),
    ("terrible", -1.0),
    ("awful", -1.0),
    ("horrible", -1.0),
    ("the worst", -1.0),
    ("garbage", -1.0),
    ("trash", -1.0),
    ("rubbish", -1.0),
    ("crap", -1.0),
    ("dreadful", -1.0),
    ("unwatchable", -1.0),
    ("a waste of time", -1.0),
    ("atrocious", -1.0),
    ("painful", -1.0),
];

/// Words that may follow a predicate and still leave it an opinion ("X was great *too*").
const PREDICATE_TRAILERS: &[&str] = &[
    "and",
    "but",
    "though",
    "too",
    "also",
    "overall",
    "honestly",
    "actually",
    "imo",
    "to me",
    "for me",
    "btw",
    "really",
    "lol",
    "haha",
    "tbh",
    "i think",
    "i guess",
    "as well",
    "movie",
    "film",
    "one",
    "though",
    "anyway",
    "in my opinion",
    "thanks",
    "thank you",
    "&",
    "+",
];

/// Opinion verbs before their object, with the sentiment and whether they need "I" or
/// "we" before them (present tense "like" is a trigger of its own: "something like X").
const OPINION_VERBS: &[(&str, f32, bool)] = &[
    ("loved", 1.0, false),
    ("love", 1.0, true),
    ("adored", 1.0, false),
    ("adore", 1.0, true),
    ("enjoyed", 0.6, false),
    ("enjoy", 0.6, true),
    ("liked", 0.6, false),
    ("like", 0.6, true),
    ("did not like", -0.6, false),
    ("do not like", -0.6, false),
    ("did not enjoy", -0.6, false),
    ("do not enjoy", -0.6, false),
    ("did not love", -0.3, false),
    ("was not a fan of", -0.6, false),
    ("am not a fan of", -0.6, false),
    ("not a fan of", -0.6, false),
    ("disliked", -0.6, false),
    ("dislike", -0.6, true),
    ("was disappointed by", -0.6, false),
    ("hated", -1.0, false),
    ("hate", -1.0, true),
    ("despised", -1.0, false),
    ("despise", -1.0, true),
    ("loathed", -1.0, false),
    ("can not stand", -1.0, false),
    ("my favourites are", 1.0, false),
    ("my favorites are", 1.0, false),
    ("my favourite is", 1.0, false),
    ("my favorite is", 1.0, false),
    ("my favourite movies are", 1.0, false),
    ("my favorite movies are", 1.0, false),
    ("my favourite films are", 1.0, false),
    ("my favorite films are", 1.0, false),
    ("my favourite movie is", 1.0, false),
    ("my favorite movie is", 1.0, false),
    ("my favourite film is", 1.0, false),
    ("my favorite film is", 1.0, false),
    ("could not stand", -1.0, false),
];

const SEEN_VERBS: &[&str] = &[
    "seen",
    "saw",
    "watched",
    "have seen",
    "have watched",
    "already seen",
    "already watched",
    "already saw",
    "have already seen",
    "have already watched",
    "had seen",
    "did see",
    "did watch",
];

const NOT_SEEN_VERBS: &[&str] = &[
    "have not seen",
    "have never seen",
    "never seen",
    "never saw",
    "never watched",
    "did not see",
    "did not watch",
    "not seen",
    "have not watched",
    "not watched",
    "have not yet seen",
    "not seen yet",
];

const REJECT_TRIGGERS: &[&str] = &[
    "not",
    "no",
    "skip",
    "remove",
    "drop",
    "hide",
    "exclude",
    "get rid of",
    "not interested in",
    "do not show me",
    "do not show",
    "do not recommend",
    "do not suggest",
    "do not want",
    "no more",
    "anything but",
    "anything except",
    "not really",
    "definitely not",
    "please not",
];

/// Words after which the subject of an opinion starts fresh.
const SUBJECT_BOUNDARIES: &[&str] = &["but", "though", "although", "however", "whereas", "while"];
/// Verbs that take the words after them as their own object: the subject of a later
/// opinion starts only after a list separator ("I loved Alien, Heat was boring").
const CLAIMING_WORDS: &[&str] = &[
    "loved", "love", "liked", "like", "hated", "hate", "enjoyed", "enjoy", "disliked", "dislike",
    "adored", "adore", "despised", "watched", "seen", "saw", "not", "no", "about", "why", "to",
    "of", "than", "skip", "remove", "want", "with", "without",
];
/// Verbs whose object is the subject of the rating after it ("I'd give X 4 stars").
const GIVING_WORDS: &[&str] = &[
    "give", "gave", "giving", "rate", "rated", "rating", "score", "scored",
];
/// Words before a subject that are not part of it ("I think X was great").
const SUBJECT_INTROS: &[&str] = &[
    "i",
    "we",
    "think",
    "thought",
    "found",
    "felt",
    "guess",
    "believe",
    "honestly",
    "well",
    "so",
    "and",
    "oh",
    "ok",
    "okay",
    "also",
    "overall",
    "personally",
    "imo",
    "yeah",
    "yes",
    "hmm",
    "um",
    "btw",
    "anyway",
    "just",
    "say",
    "would",
    "must",
    "have",
    "that",
    "really",
    "actually",
    "tbh",
    "but",
    "though",
    "then",
    "now",
    "still",
];

const STAR_NUMBERS: &[(&str, f32)] = &[
    ("one", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("zero", 0.0),
    ("half", 0.5),
];

/// Sentiment of a rating `value` on a scale from 1 to `scale`.
pub(crate) fn rating_sentiment(value: f32, scale: f32) -> f32 {
    if scale <= 1.0 {
        return 0.0;
    }
    (2.0 * (value - 1.0) / (scale - 1.0) - 1.0).clamp(-1.0, 1.0)
}

impl Turn<'_> {
    fn number_at(&self, i: usize) -> Option<f32> {
        let token = self.tokens.get(i)?;
        if let Some(value) = token.value() {
            return Some(value);
        }
        STAR_NUMBERS
            .iter()
            .find(|(w, _)| *w == token.text)
            .map(|&(_, v)| v)
    }

    /// "4/5", "8 out of 10", "4 stars", "four stars out of five": end, value, scale.
    pub fn rating_at(&self, i: usize) -> Option<(usize, f32, f32)> {
        let value = self.number_at(i)?;
        let valid = |value: f32, scale: f32| {
            (2.0..=100.0).contains(&scale) && (0.0..=scale).contains(&value)
        };
        if self.is(i + 1, "/") {
            let scale = self.tokens.get(i + 2)?.value()?;
            return valid(value, scale).then_some((i + 3, value, scale));
        }
        if let Some(end) = self.phrase_end(i + 1, "out of") {
            let scale = self.number_at(end)?;
            return valid(value, scale).then_some((end + 1, value, scale));
        }
        if matches!(self.word(i + 1), "stars" | "star") {
            let mut end = i + 2;
            let mut scale = 5.0;
            if let Some(of) = self.phrase_end(end, "out of") {
                scale = self.number_at(of)?;
                end = of + 1;
            }
            return valid(value, scale).then_some((end, value, scale));
        }
        None
    }

    /// A bare score after "give": "a 7", "9".
    fn given_score_at(&self, i: usize) -> Option<(usize, f32, f32)> {
        let start = self.skip(i, &["a", "an"]);
        let value = self.tokens.get(start)?.value()?;
        let scale = if value <= 5.0 { 5.0 } else { 10.0 };
        (value <= 10.0 && self.clause_ends_at(start + 1)).then_some((start + 1, value, scale))
    }

    /// A predicate starting at `k`: its end and what it says.
    fn predicate_at(&self, k: usize, after_giving: bool) -> Option<(usize, PredicateKind)> {
        let opinion =
            |sentiment: f32, rating: Option<f32>| PredicateKind::Opinion { sentiment, rating };
        let separator = self
            .longest_phrase(
                k,
                &[
                    ":", "-", "=", "was", "is", "gets", "get", "deserves", "a solid",
                ],
            )
            .map_or(k, |(end, _)| end);
        let rating_start = self.skip(separator, &["a", "an", "solid", "maybe", "like", "about"]);
        if let Some((end, value, scale)) = self.rating_at(rating_start) {
            if !self.is(end, "for") {
                return Some((end, opinion(rating_sentiment(value, scale), Some(value))));
            }
        }
        if after_giving {
            if let Some((end, value, scale)) = self.given_score_at(k) {
                return Some((end, opinion(rating_sentiment(value, scale), Some(value))));
            }
        }
        let (copula_end, interest) = if let Some((end, _)) = self.longest_phrase(k, COPULAS) {
            (end, false)
        } else if let Some((end, _)) = self.longest_phrase(k, INTEREST_VERBS) {
            (end, true)
        } else {
            return None;
        };
        let j = self.skip(copula_end, &["a", "an", "all", "both"]);
        let j = self.skip(j, INTENSIFIERS);
        let (end, sentiment) = self.sentiment_at(j)?;
        let end = self.skip(
            end,
            &[
                "movie", "movies", "film", "films", "one", "ones", "watch", "ever",
            ],
        );
        if !self.predicate_may_end_at(end) {
            return None;
        }
        let kind = if interest {
            PredicateKind::Interest {
                positive: sentiment > 0.0,
            }
        } else {
            opinion(sentiment, None)
        };
        Some((end, kind))
    }

    fn predicate_may_end_at(&self, end: usize) -> bool {
        self.clause_ends_at(end) || self.longest_phrase(end, PREDICATE_TRAILERS).is_some()
    }

    /// The opinion word at `j`, with "not" turning unlisted ones around.
    fn sentiment_at(&self, j: usize) -> Option<(usize, f32)> {
        let listed = PREDICATES
            .iter()
            .filter_map(|&(p, s)| self.phrase_end(j, p).map(|end| (end, s)))
            .max_by_key(|&(end, _)| end);
        if listed.is_some() {
            return listed;
        }
        if self.is(j, "not") {
            let k = self.skip(j + 1, INTENSIFIERS);
            let (end, sentiment) = self.sentiment_at(k)?;
            let flipped = if sentiment > 0.0 { -0.3 } else { 0.2 };
            return Some((end, flipped));
        }
        None
    }

    /// A clause that is only an opinion word ("meh", "boring!"): about the focus.
    fn standalone_opinion_at(&self, k: usize) -> Option<(usize, PredicateKind)> {
        if !self.clause_starts_before(k) {
            return None;
        }
        let j = self.skip(k, INTENSIFIERS);
        if let Some((end, value, scale)) = self.rating_at(j) {
            if self.clause_ends_at(end) {
                let kind = PredicateKind::Opinion {
                    sentiment: rating_sentiment(value, scale),
                    rating: Some(value),
                };
                return Some((end, kind));
            }
        }
        let (end, sentiment) = self.sentiment_at(j)?;
        // Praise alone ("great!", "ok") acknowledges a reply more often than it judges a
        // film; dislike alone ("meh") is about what was just shown.
        (sentiment <= 0.0 && self.clause_ends_at(end)).then_some((
            end,
            PredicateKind::Opinion {
                sentiment,
                rating: None,
            },
        ))
    }

    /// Pre-pass: finds every predicate and reserves its subject.
    pub fn find_subjects(&mut self) {
        let mut region_start = 0;
        let mut after_claim = false;
        let mut after_giving = false;
        let mut k = 0;
        while k < self.len() {
            let found = self
                .predicate_at(k, after_giving)
                .or_else(|| self.standalone_opinion_at(k));
            if let Some((end, kind)) = found {
                if end > k {
                    // A subject that names no film ("the ending was great") reserves
                    // nothing: its words are read as usual.
                    if let Some(subject) =
                        self.choose_subject(region_start, k, end, kind, after_claim)
                    {
                        self.subjects.push(subject);
                    }
                    region_start = end;
                    after_claim = false;
                    after_giving = false;
                    k = end;
                    continue;
                }
            }
            let word = self.word(k);
            if lexicon::contains(SENTENCE_PUNCTUATION, word)
                || lexicon::contains(SUBJECT_BOUNDARIES, word)
            {
                region_start = k + 1;
                after_claim = false;
                after_giving = false;
            } else if lexicon::contains(GIVING_WORDS, word) {
                region_start = k + 1;
                after_claim = false;
                after_giving = true;
            } else if lexicon::contains(CLAIMING_WORDS, word) {
                region_start = k + 1;
                after_claim = true;
                after_giving = false;
            }
            k += 1;
        }
    }

    fn skip_intro(&self, mut a: usize, b: usize) -> usize {
        while a + 1 < b && lexicon::contains(SUBJECT_INTROS, self.word(a)) {
            a += 1;
        }
        if a + 1 == b && lexicon::contains(SUBJECT_INTROS, self.word(a)) && self.word(a) != "that" {
            a += 1;
        }
        a
    }

    /// The subject of the predicate at `k..end`, within `region..k`.
    fn choose_subject(
        &self,
        region: usize,
        k: usize,
        end: usize,
        kind: PredicateKind,
        after_claim: bool,
    ) -> Option<Subject> {
        let subject = |start: usize, resolution: SubjectResolution| {
            Some(Subject {
                start,
                end: k,
                predicate_end: end,
                kind,
                resolution,
            })
        };
        let mut starts: Vec<usize> = Vec::new();
        if !after_claim {
            starts.push(self.skip_intro(region, k));
        }
        for p in region..k {
            if matches!(self.word(p), "," | "and" | "&" | "…") {
                let start = self.skip_intro(p + 1, k);
                if !starts.contains(&start) {
                    starts.push(start);
                }
            }
        }
        starts.retain(|&s| s < k && !self.tokens[s].is_punct());
        if starts.is_empty() {
            let only_intro = (region..k).all(|p| {
                lexicon::contains(SUBJECT_INTROS, self.word(p)) || self.tokens[p].is_punct()
            });
            return if only_intro && !after_claim {
                subject(k, SubjectResolution::Focus)
            } else {
                None
            };
        }
        for &start in &starts {
            if self.reference_at(start, true).is_some_and(|(_, e)| e == k) {
                return subject(start, SubjectResolution::Reference);
            }
            if let Some(found) = self.titles_in(start, k) {
                return subject(start, SubjectResolution::Title(found));
            }
        }
        let last = starts[starts.len() - 1];
        let found = self.unknown_subject(last, k)?;
        subject(last, SubjectResolution::Title(found))
    }

    /// Emits the opinion whose subject starts at `i`; returns the end of its predicate.
    pub fn subject_at(&mut self, i: usize) -> Option<usize> {
        let subject = self.subjects.iter().find(|s| s.start == i)?.clone();
        let object = match subject.resolution {
            SubjectResolution::Title(found) => Object::from_title(found),
            SubjectResolution::Reference => match self.object_in(subject.start, subject.end) {
                Some(object) => object,
                None => return Some(subject.predicate_end),
            },
            SubjectResolution::Focus => {
                let object = self.implied_item(subject.start, subject.start);
                if let Object::Unresolved { .. } = object {
                    let dislike = matches!(
                        subject.kind,
                        PredicateKind::Opinion { sentiment, .. } if sentiment < 0.0
                    );
                    // Dislike with no item in focus among several shown: about the list.
                    if dislike && self.context.shown.len() > 1 {
                        self.emit(i, ActKind::SomethingElse, UNRESOLVED_CONFIDENCE);
                    }
                    return Some(subject.predicate_end);
                }
                object
            }
        };
        if matches!(subject.kind, PredicateKind::Interest { .. })
            && matches!(object, Object::Unresolved { .. })
        {
            // "that sounds great" with nothing in focus acknowledges the reply.
            return Some(subject.predicate_end);
        }
        let kind = subject.kind;
        self.emit_object(i, object, move |items, _| {
            vec![match kind {
                PredicateKind::Opinion { sentiment, rating } => ActKind::Feedback {
                    items,
                    sentiment,
                    rating,
                },
                PredicateKind::Interest { positive: true } => ActKind::Select { items },
                PredicateKind::Interest { positive: false } => ActKind::Reject { items },
            }]
        });
        Some(subject.predicate_end)
    }

    /// "4 stars for X", "8/10 for the second one".
    pub fn rating_for(&mut self, i: usize) -> Option<usize> {
        let (end, value, scale) = self.rating_at(i)?;
        let object_start = self.phrase_end(end, "for")?;
        let (object, object_end) = self.object_at(object_start, true)?;
        let sentiment = rating_sentiment(value, scale);
        self.emit_object(i, object, |items, _| {
            vec![ActKind::Feedback {
                items,
                sentiment,
                rating: Some(value),
            }]
        });
        Some(object_end)
    }

    /// Whether the word before `i` (past intensifiers) is "I" or "we".
    fn has_first_person_subject(&self, i: usize) -> bool {
        let mut k = i;
        while k > 0 {
            k -= 1;
            let word = self.word(k);
            if matches!(word, "i" | "we") {
                return true;
            }
            // "I love horror but hate gore": the subject carries over a conjunction.
            if matches!(word, "but" | "and") {
                return (0..k)
                    .rev()
                    .take_while(|&p| !lexicon::contains(SENTENCE_PUNCTUATION, self.word(p)))
                    .any(|p| matches!(self.word(p), "i" | "we"));
            }
            if !lexicon::contains(INTENSIFIERS, word)
                && !matches!(word, "do" | "still" | "generally" | "usually" | "always")
            {
                return false;
            }
        }
        false
    }

    /// "I loved X", "didn't like it", "I hate horror".
    pub fn opinion_verb(&mut self, i: usize) -> Option<usize> {
        let (verb_end, sentiment) = OPINION_VERBS
            .iter()
            .filter(|(_, _, needs_subject)| !needs_subject || self.has_first_person_subject(i))
            .filter_map(|&(verb, sentiment, _)| {
                self.phrase_end(i, verb).map(|end| (end, sentiment))
            })
            .max_by_key(|&(end, _)| end)?;
        let mut j = self.skip(verb_end, INTENSIFIERS);
        if let Some((end, _)) =
            self.longest_phrase(j, &["watching", "seeing", "the movie", "the film"])
        {
            if !self.clause_ends_at(end) {
                j = end;
            }
        }
        if self.constraint_before_title(j) {
            // A taste, not an opinion of a film.
            if sentiment < 0.0 {
                self.negation = Some(Negation {
                    strictness: Strictness::Hard,
                    applied: false,
                });
            } else {
                self.hedged = true;
            }
            return Some(j);
        }
        if self.nothing_follows(j) {
            let object = self.implied_item(i, verb_end);
            self.emit_object(i, object, |items, _| {
                vec![ActKind::Feedback {
                    items,
                    sentiment,
                    rating: None,
                }]
            });
            return Some(j);
        }
        let Some((object, end)) = self.object_at(j, true) else {
            return Some(j);
        };
        self.emit_object(i, object, |items, _| {
            vec![ActKind::Feedback {
                items,
                sentiment,
                rating: None,
            }]
        });
        Some(end)
    }

    /// "seen it", "I've already watched X", "saw that".
    pub fn seen(&mut self, i: usize) -> Option<usize> {
        if let Some((end, _)) = self.longest_phrase(i, NOT_SEEN_VERBS) {
            // Not having seen something says nothing the session keeps; its object is
            // read so that it is not taken for anything else.
            let j = self.skip(end, INTENSIFIERS);
            return Some(self.object_at(j, false).map_or(j, |(_, e)| e));
        }
        let (verb_end, _) = self.longest_phrase(i, SEEN_VERBS)?;
        let j = self.skip(verb_end, INTENSIFIERS);
        let j = self.skip(j, &["already"]);
        if self.nothing_follows(j) || matches!(self.word(j), "already" | "before" | "too" | "yet") {
            let object = self.implied_item(i, verb_end);
            self.emit_object(i, object, |items, _| vec![ActKind::Seen { items }]);
            return Some(self.skip(j, &["already", "before", "too"]));
        }
        let (object, end) = self.object_at(j, true)?;
        self.emit_object(i, object, |items, _| vec![ActKind::Seen { items }]);
        Some(self.skip(end, &["already", "before", "too", "all", "both"]))
    }

    /// "not that one", "no, not the second", "skip Alien": `Reject`.
    pub fn reject(&mut self, i: usize) -> Option<usize> {
        let (trigger_end, _) = self.longest_phrase(i, REJECT_TRIGGERS)?;
        let j = self.skip(trigger_end, &["even", "again"]);
        if self.constraint_before_title(j) {
            return None;
        }
        let (object, end) = self.object_at(j, false)?;
        if let Object::Items {
            all_shown: true, ..
        } = object
        {
            // "not these": the list as a whole is turned down.
            self.emit(i, ActKind::SomethingElse, KEYWORD_CONFIDENCE);
            return Some(end);
        }
        self.emit_object(i, object, |items, _| vec![ActKind::Reject { items }]);
        Some(end)
    }
}

#[cfg(test)]
mod tests {
    use super::rating_sentiment;

    #[test]
    fn ratings_map_linearly_onto_sentiment() {
        assert_eq!(rating_sentiment(1.0, 5.0), -1.0);
        assert_eq!(rating_sentiment(3.0, 5.0), 0.0);
        assert_eq!(rating_sentiment(5.0, 5.0), 1.0);
        assert_eq!(rating_sentiment(4.0, 5.0), 0.5);
        assert!((rating_sentiment(8.0, 10.0) - 5.0 / 9.0).abs() < 1e-6);
        assert_eq!(rating_sentiment(0.0, 10.0), -1.0);
    }
}
