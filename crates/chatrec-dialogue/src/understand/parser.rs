//! One turn, read left to right. The tokens are walked once; at each position the rules
//! of the other modules are tried in a fixed order (commands, opinions, triggers with an
//! object, negation and hedging, periods, categories, references, request cues), and the
//! first that matches consumes its tokens and records its acts at that position. What no
//! rule takes is kept as free words, which become a `Query` when the turn asks for
//! something, or `Unknown` when nothing at all was understood.
//!
//! Before that walk, a pre-pass ([`super::feedback`]) reserves the subjects of opinions
//! stated after them ("Alien and Aliens were great"), which the walk emits when it
//! reaches them.
//!
//! Clause state carries over between rules: a pending negation ("no", "nothing",
//! "without") turns the next constraint into an exclusion, and hedging ("maybe",
//! "ideally") makes constraints soft, both until the clause ends; categories joined by
//! "or" are soft too.

use crate::acts::{Act, ActKind, ItemMention, ParseContext, Strictness};

use super::lexicon::{self, CLAUSE_BREAKS, CLAUSE_PUNCTUATION, REQUEST_CUES, STOP_WORDS};
use super::normalize::{tokenize, Token};
use super::Understander;

/// Confidence of acts read from fixed phrases ("start over", "no horror").
pub(crate) const KEYWORD_CONFIDENCE: f32 = 0.95;
/// Confidence of constraints read from mood words ("something light").
pub(crate) const MOOD_CONFIDENCE: f32 = 0.7;
/// Confidence of a `Query` built from free words.
pub(crate) const QUERY_CONFIDENCE: f32 = 0.6;
/// Confidence of a bare `Request`.
pub(crate) const REQUEST_CONFIDENCE: f32 = 0.9;
/// Confidence of an act about something the parser could not resolve.
pub(crate) const UNRESOLVED_CONFIDENCE: f32 = 0.5;

/// A negation waiting for (or applied to) the constraint after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Negation {
    pub strictness: Strictness,
    /// Already turned a constraint into an exclusion; later constraints of the same list
    /// ("no horror or romance") are excluded too, anything else ends it.
    pub applied: bool,
}

/// The last category constraint, so that "comedy or drama" can soften both.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CategoryLink {
    pub act: usize,
    pub clause: usize,
    pub end: usize,
}

/// What a pre-pass found to the left of an opinion ("Alien and Aliens *were great*").
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    pub start: usize,
    pub end: usize,
    pub predicate_end: usize,
    pub kind: super::feedback::PredicateKind,
    pub resolution: super::feedback::SubjectResolution,
}

pub(crate) struct Turn<'a> {
    pub understander: &'a Understander,
    pub text: &'a str,
    pub tokens: Vec<Token>,
    pub context: &'a ParseContext,
    acts: Vec<(usize, Act)>,
    /// Items named so far in this turn; "it" prefers them over the session's focus.
    pub local_focus: Vec<ItemMention>,
    pub negation: Option<Negation>,
    pub hedged: bool,
    pub clause: usize,
    pub request_cue: Option<usize>,
    /// Descriptive phrases recognised by the theme lexicon, with their positions.
    pub descriptive: Vec<(usize, String)>,
    free_words: Vec<usize>,
    pub subjects: Vec<Subject>,
    pub last_category: Option<CategoryLink>,
}

impl<'a> Turn<'a> {
    pub fn new(understander: &'a Understander, text: &'a str, context: &'a ParseContext) -> Self {
        Turn {
            understander,
            text,
            tokens: tokenize(text),
            context,
            acts: Vec::new(),
            local_focus: Vec::new(),
            negation: None,
            hedged: false,
            clause: 0,
            request_cue: None,
            descriptive: Vec::new(),
            free_words: Vec::new(),
            subjects: Vec::new(),
            last_category: None,
        }
    }

    /// Runs every rule over the turn and returns its acts in text order.
    pub fn parse(mut self) -> Vec<Act> {
        self.find_subjects();
        let mut i = 0;
        while i < self.tokens.len() {
            match self.step(i) {
                Some(end) => i = end.max(i + 1),
                None => {
                    self.free_word(i);
                    i += 1;
                }
            }
        }
        self.finish()
    }

    fn step(&mut self, i: usize) -> Option<usize> {
        if let Some(end) = self.subject_at(i) {
            return Some(end);
        }
        if self.tokens[i].is_punct() {
            if self.is(i, "#") {
                if let Some(end) = self.bare_reference(i) {
                    return Some(end);
                }
            }
            return Some(self.punctuation(i));
        }
        if lexicon::contains(CLAUSE_BREAKS, self.word(i)) {
            self.end_clause();
            return Some(i + 1);
        }
        self.expire_negation(i);
        let rules: [fn(&mut Self, usize) -> Option<usize>; 17] = [
            Self::greeting,
            Self::command,
            Self::why,
            Self::tell_more,
            Self::more,
            Self::unsupported,
            Self::rating_for,
            Self::opinion_verb,
            Self::seen,
            Self::reject,
            Self::like_trigger,
            Self::select_verb,
            Self::negation_marker,
            Self::hedge_marker,
            Self::period,
            Self::category_or_theme,
            Self::bare_reference,
        ];
        for rule in rules {
            if let Some(end) = rule(self, i) {
                return Some(end);
            }
        }
        self.request_cue_at(i)
    }

    fn punctuation(&mut self, i: usize) -> usize {
        if lexicon::contains(CLAUSE_PUNCTUATION, self.word(i)) {
            self.end_clause();
        }
        i + 1
    }

    pub fn end_clause(&mut self) {
        self.negation = None;
        self.hedged = false;
        self.clause += 1;
    }

    /// An applied negation lasts through list words ("no horror *or* romance"); anything
    /// else ends it. A pending one lasts through filler ("nothing *too* violent") and is
    /// dropped by content words it cannot apply to ("I do not know").
    fn expire_negation(&mut self, i: usize) {
        let Some(negation) = self.negation else {
            return;
        };
        let word = self.word(i);
        let keeps = if negation.applied {
            let listed = |w: &str| matches!(w, "or" | "nor" | "and" | "a" | "an" | "any" | "no");
            let after_list_word = i > 0 && listed(self.word(i - 1));
            listed(word) || (after_list_word && self.starts_constraint(i))
        } else {
            lexicon::contains(super::constraints::NEGATION_SKIPPABLE, word)
                || self.starts_constraint(i)
        };
        if !keeps {
            self.negation = None;
        }
    }

    fn request_cue_at(&mut self, i: usize) -> Option<usize> {
        let (end, _) = self.longest_phrase(i, REQUEST_CUES)?;
        self.request_cue.get_or_insert(i);
        Some(end)
    }

    fn free_word(&mut self, i: usize) {
        self.free_words.push(i);
    }

    // ---- token helpers -------------------------------------------------------------

    /// The token text at `i`, or "" past the end.
    pub fn word(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.text.as_str())
    }

    pub fn is(&self, i: usize, word: &str) -> bool {
        self.word(i) == word
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// End of `phrase` (space-separated words) when it starts at `i`.
    pub fn phrase_end(&self, i: usize, phrase: &str) -> Option<usize> {
        let mut k = i;
        for part in phrase.split(' ') {
            if self.tokens.get(k)?.text != part {
                return None;
            }
            k += 1;
        }
        Some(k)
    }

    /// The longest phrase of `list` starting at `i`, with its end.
    pub fn longest_phrase(&self, i: usize, list: &[&'static str]) -> Option<(usize, &'static str)> {
        list.iter()
            .filter_map(|&p| self.phrase_end(i, p).map(|end| (end, p)))
            .max_by_key(|&(end, _)| end)
    }

    /// Skips tokens whose text is in `list`.
    pub fn skip(&self, mut i: usize, list: &[&str]) -> usize {
        while i < self.len() && lexicon::contains(list, self.word(i)) {
            i += 1;
        }
        i
    }

    /// The original text of tokens `a..b`.
    pub fn span_text(&self, a: usize, b: usize) -> &'a str {
        if a >= b || b > self.len() {
            return "";
        }
        let text: &'a str = self.text;
        text.get(self.tokens[a].start..self.tokens[b - 1].end)
            .unwrap_or("")
            .trim()
    }

    /// Whether a clause ends at `i`: the end of the turn, clause punctuation or a
    /// clause-breaking word.
    pub fn clause_ends_at(&self, i: usize) -> bool {
        i >= self.len()
            || lexicon::contains(CLAUSE_PUNCTUATION, self.word(i))
            || lexicon::contains(CLAUSE_BREAKS, self.word(i))
    }

    /// Whether a verb at the end of its clause has no object at `j` (an opening quote
    /// starts one).
    pub fn nothing_follows(&self, j: usize) -> bool {
        self.clause_ends_at(j) && !self.is(j, "\"")
    }

    /// Where the rule at `i` must stop: the next subject reserved by the pre-pass.
    pub fn limit_from(&self, i: usize) -> usize {
        self.subjects
            .iter()
            .map(|s| s.start)
            .filter(|&s| s > i)
            .min()
            .unwrap_or(self.len())
    }

    /// Whether the text before `i` in the same clause is empty (only filler words).
    pub fn clause_starts_before(&self, i: usize) -> bool {
        let mut k = i;
        while k > 0 {
            k -= 1;
            let word = self.word(k);
            if lexicon::contains(CLAUSE_PUNCTUATION, word) || lexicon::contains(CLAUSE_BREAKS, word)
            {
                return true;
            }
            if !matches!(
                word,
                "oh" | "ok"
                    | "okay"
                    | "well"
                    | "so"
                    | "and"
                    | "hmm"
                    | "um"
                    | "yeah"
                    | "yes"
                    | "no"
                    | "hey"
                    | "hi"
                    | "hello"
                    | "thanks"
                    | "then"
                    | "now"
            ) {
                return false;
            }
        }
        true
    }

    // ---- output --------------------------------------------------------------------

    pub fn emit(&mut self, position: usize, kind: ActKind, confidence: f32) -> usize {
        self.acts
            .push((position, Act::new(kind, confidence.clamp(0.0, 1.0))));
        self.acts.len() - 1
    }

    pub fn last_act_is(&self, test: impl Fn(&ActKind) -> bool) -> bool {
        self.acts.last().is_some_and(|(_, act)| test(&act.kind))
    }

    pub fn act_mut(&mut self, index: usize) -> Option<&mut Act> {
        self.acts.get_mut(index).map(|(_, act)| act)
    }

    pub fn remember(&mut self, items: &[ItemMention]) {
        if !items.is_empty() {
            self.local_focus = items.to_vec();
        }
    }

    fn finish(mut self) -> Vec<Act> {
        let query = self.query();
        if self.acts.iter().all(|(_, a)| is_weak(&a.kind)) && self.request_cue.is_none() {
            let has_free_content = query.is_some()
                || self
                    .free_words
                    .iter()
                    .any(|&i| !lexicon::contains(STOP_WORDS, self.word(i)));
            if has_free_content {
                if let Some(select) = self.whole_turn_title() {
                    return vec![select];
                }
            }
        }
        let query = if self.request_cue.is_none() && self.acts.iter().all(|(_, a)| is_weak(&a.kind))
        {
            self.titles_among_free_words(query)
        } else {
            query
        };
        if let Some((position, text)) = query {
            self.emit(position, ActKind::Query { text }, QUERY_CONFIDENCE);
        }
        let only_greetings = self
            .acts
            .iter()
            .all(|(_, a)| matches!(a.kind, ActKind::Greeting));
        if let (Some(position), true) = (self.request_cue, only_greetings) {
            self.emit(position, ActKind::Request, REQUEST_CONFIDENCE);
        }
        if self.acts.is_empty() {
            return vec![Act::new(
                ActKind::Unknown {
                    text: self.text.trim().to_owned(),
                },
                0.0,
            )];
        }
        self.acts.sort_by_key(|(position, _)| *position);
        // Said twice ("I didn't ask for horror; no horror, please"), meant once.
        let mut acts: Vec<Act> = Vec::with_capacity(self.acts.len());
        for (_, act) in self.acts {
            if !acts.iter().any(|kept| kept.kind == act.kind) {
                acts.push(act);
            }
        }
        acts
    }

    /// Next to constraints, a run of free words that is a title is named as a choice
    /// ("jurassic park but newer"): `Select`, as a title with no verb around it. The
    /// query is rebuilt without those words.
    fn titles_among_free_words(
        &mut self,
        query: Option<(usize, String)>,
    ) -> Option<(usize, String)> {
        if self.acts.is_empty() {
            return query;
        }
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &i in &self.free_words {
            match runs.last_mut() {
                Some((_, end)) if *end == i => *end = i + 1,
                _ => runs.push((i, i + 1)),
            }
        }
        let mut taken = false;
        for (mut a, mut b) in runs {
            while a < b && lexicon::contains(STOP_WORDS, self.word(a)) {
                a += 1;
            }
            while b > a && lexicon::contains(STOP_WORDS, self.word(b - 1)) {
                b -= 1;
            }
            if a >= b {
                continue;
            }
            if let Some(found) = self.titles_in(a, b) {
                let object = super::objects::Object::from_title(found);
                self.emit_object(a, object, |items, _| vec![ActKind::Select { items }]);
                self.free_words.retain(|&k| k < a || k >= b);
                taken = true;
            }
        }
        if taken {
            self.query()
        } else {
            query
        }
    }

    /// Descriptive words and free content words, when the turn asks for something or
    /// uses a recognised descriptive word.
    fn query(&self) -> Option<(usize, String)> {
        let mut pieces: Vec<(usize, String)> = self.descriptive.clone();
        for &i in &self.free_words {
            let token = &self.tokens[i];
            let word = token.text.as_str();
            let content = !token.is_punct()
                && !token.is_number()
                && word.chars().count() >= 2
                && word.chars().any(char::is_alphabetic)
                && !lexicon::contains(STOP_WORDS, word)
                && !lexicon::contains(REQUEST_CUES, word);
            if content {
                pieces.push((i, word.to_owned()));
            }
        }
        if pieces.is_empty() || (self.request_cue.is_none() && self.descriptive.is_empty()) {
            return None;
        }
        pieces.sort_by_key(|(i, _)| *i);
        let position = pieces[0].0;
        let mut words: Vec<String> = Vec::new();
        for (_, piece) in pieces {
            if !words.contains(&piece) {
                words.push(piece);
            }
        }
        Some((position, words.join(" ")))
    }
}

/// Acts that a whole-turn title may replace: a category word can be a title word ("Star
/// *Wars*"), a free word can be a title.
fn is_weak(kind: &ActKind) -> bool {
    matches!(kind, ActKind::Constrain { .. } | ActKind::Query { .. })
}
