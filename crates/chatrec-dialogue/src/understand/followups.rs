//! Conversation moves that are not preferences: "why?", "tell me more", "more",
//! "something else", "start over", "what do you know about me?", greetings.

use crate::acts::{ActKind, Target};

use super::lexicon::{GREETINGS, INTENSIFIERS};
use super::objects::Object;
use super::parser::{Turn, KEYWORD_CONFIDENCE};

const START_OVER: &[&str] = &[
    "start over",
    "start again",
    "start from scratch",
    "from scratch",
    "start fresh",
    "begin again",
    "reset",
    "restart",
    "forget everything",
    "forget it all",
    "forget all that",
    "forget all of that",
    "forget what i said",
    "clear everything",
    "clean slate",
    "new conversation",
];

const PROFILE: &[&str] = &[
    "about me",
    "my profile",
    "my preferences",
    "my taste",
    "my tastes",
    "what do i like",
    "what i like",
    "what have you learned",
    "what have you learnt",
    "what did you learn",
];

const SOMETHING_ELSE: &[&str] = &[
    "something else",
    "something different",
    "something completely different",
    "something totally different",
    "anything different",
    "none of these",
    "none of those",
    "none of them",
    "none of the above",
    "not these",
    "not those",
    "not any of these",
    "not any of those",
    "different ones",
    "different movies",
    "different films",
    "different suggestions",
    "not what i want",
    "not what i am looking for",
    "not interested",
    "try again",
    "wrong era",
    "wrong decade",
    "wrong period",
    "wrong genre",
    "wrong kind",
    "wrong type",
    "wrong ones",
    "not quite what i had in mind",
    "not what i had in mind",
    "not quite right",
    "not quite",
    "neither of them",
    "neither of these",
    "neither of those",
];

/// "More" and its variants; they count only when nothing follows in the clause.
const MORE: &[&str] = &[
    "more",
    "more please",
    "some more",
    "any more",
    "show me more",
    "give me more",
    "more options",
    "more suggestions",
    "more recommendations",
    "more movies",
    "more films",
    "more of these",
    "more of those",
    "more of them",
    "more like these",
    "more like those",
    "more like them",
    "others",
    "other ones",
    "other options",
    "other suggestions",
    "what else",
    "anything else",
    "next",
    "next one",
    "next ones",
    "next please",
    "next batch",
    "next page",
    "another",
    "another one",
    "another batch",
    "keep going",
    "go on",
    "continue",
    "more results",
    "what else do you have",
    "what else have you got",
    "what else is there",
];

/// Words between "why" and what it asks about.
const WHY_FILLER: &[&str] = &[
    "did",
    "do",
    "does",
    "would",
    "will",
    "should",
    "is",
    "was",
    "are",
    "were",
    "you",
    "i",
    "me",
    "recommend",
    "recommended",
    "suggest",
    "suggested",
    "pick",
    "picked",
    "choose",
    "chose",
    "chosen",
    "show",
    "showed",
    "shown",
    "think",
    "like",
    "include",
    "included",
    "put",
    "list",
    "listed",
    "exactly",
    "on",
    "the",
    "list",
    "there",
];

const TELL_MORE: &[&str] = &[
    "tell me more about",
    "tell me about",
    "tell me more on",
    "more about",
    "more on",
    "more info about",
    "more info on",
    "more information about",
    "more information on",
    "more details about",
    "more details on",
    "details about",
    "details on",
    "details of",
    "info about",
    "info on",
    "information about",
    "describe",
    "what is the plot of",
    "what is the story of",
    "what happens in",
    "who is in",
    "who stars in",
    "tell me more",
    "more details",
    "more info",
];

impl Turn<'_> {
    /// "hi", "thanks": one `Greeting` per run of them.
    pub fn greeting(&mut self, i: usize) -> Option<usize> {
        let (end, _) = self.longest_phrase(i, GREETINGS)?;
        if self.word(i) == "hey" && !self.clause_starts_before(i) {
            return None;
        }
        if !self.last_act_is(|kind| matches!(kind, ActKind::Greeting)) {
            self.emit(i, ActKind::Greeting, KEYWORD_CONFIDENCE);
        }
        Some(self.skip(end, &["so", "much", "a", "lot", "again", "there", "you"]))
    }

    /// "start over", "what have you learned about me?", "none of these".
    pub fn command(&mut self, i: usize) -> Option<usize> {
        if let Some((end, _)) = self.longest_phrase(i, START_OVER) {
            self.emit(i, ActKind::StartOver, KEYWORD_CONFIDENCE);
            return Some(end);
        }
        if let Some((end, _)) = self.longest_phrase(i, PROFILE) {
            self.emit(i, ActKind::Profile, KEYWORD_CONFIDENCE);
            return Some(self.phrase_end(end, "about me").unwrap_or(end));
        }
        if let Some((end, phrase)) = self.longest_phrase(i, SOMETHING_ELSE) {
            // "not interested in westerns" is a negation of what follows.
            if phrase == "not interested" && self.is(end, "in") {
                return None;
            }
            self.emit(i, ActKind::SomethingElse, KEYWORD_CONFIDENCE);
            return Some(end);
        }
        if self.is(i, "neither") && self.clause_ends_at(i + 1) {
            self.emit(i, ActKind::SomethingElse, KEYWORD_CONFIDENCE);
            return Some(i + 1);
        }
        None
    }

    /// Emits a follow-up about `object`; the whole list is `LastShown`.
    fn emit_follow_up(&mut self, i: usize, object: Object, make: fn(Target) -> ActKind) {
        self.emit_object(i, object, move |items, all_shown| {
            let target = if all_shown {
                Target::LastShown
            } else {
                Target::Items { items }
            };
            vec![make(target)]
        });
    }

    /// "why?", "why that one?", "why Alien?", "why the second?".
    pub fn why(&mut self, i: usize) -> Option<usize> {
        let after = self
            .longest_phrase(i, &["why", "how come", "explain", "explain why"])?
            .0;
        if self.is(after, "not") {
            // "why not a comedy?" proposes, it does not ask.
            return Some(after + 1);
        }
        let j = self.skip(after, WHY_FILLER);
        let make = |target| ActKind::Why { target };
        if self.nothing_follows(j) {
            self.emit(i, make(Target::LastShown), KEYWORD_CONFIDENCE);
            return Some(j);
        }
        match self.object_at(j, true) {
            Some((object, end)) => {
                self.emit_follow_up(i, object, make);
                Some(end)
            }
            None => {
                self.emit(i, make(Target::LastShown), KEYWORD_CONFIDENCE);
                Some(j)
            }
        }
    }

    /// "tell me more about 2", "more about Alien", "what is it about?".
    pub fn tell_more(&mut self, i: usize) -> Option<usize> {
        let make = |target| ActKind::TellMore { target };
        if let Some(end) = self.what_is_about(i) {
            return Some(end);
        }
        let (after, phrase) = self.longest_phrase(i, TELL_MORE)?;
        let j = self.skip(after, INTENSIFIERS);
        let bare = matches!(phrase, "tell me more" | "more details" | "more info");
        if self.nothing_follows(j) || self.is(j, "please") {
            self.emit(i, make(Target::LastShown), KEYWORD_CONFIDENCE);
            return Some(j);
        }
        if bare {
            return None;
        }
        match self.object_at(j, true) {
            Some((object, end)) => {
                self.emit_follow_up(i, object, make);
                Some(end)
            }
            None => {
                self.emit(i, make(Target::LastShown), KEYWORD_CONFIDENCE);
                Some(j)
            }
        }
    }

    /// "what is X about?": the object sits between "what is" and "about".
    fn what_is_about(&mut self, i: usize) -> Option<usize> {
        let (start, _) = self.longest_phrase(i, &["what is", "what was", "what are"])?;
        let about = (start + 1..self.len().min(start + 12))
            .take_while(|&k| !matches!(self.word(k), "?" | "." | "!" | ";"))
            .find(|&k| self.is(k, "about"))?;
        if !self.clause_ends_at(about + 1) {
            return None;
        }
        let object = self.object_in(start, about).or_else(|| {
            self.titles_in(start, about)
                .or_else(|| self.unknown_subject(start, about))
                .map(Object::from_title)
        })?;
        self.emit_follow_up(i, object, |target| ActKind::TellMore { target });
        Some(about + 1)
    }

    /// "more", "others", "what else?", "next".
    pub fn more(&mut self, i: usize) -> Option<usize> {
        let (end, _) = self.longest_phrase(i, MORE)?;
        let end = self.skip(end, &["please", "then", "thanks"]);
        if !self.clause_ends_at(end) {
            return None;
        }
        self.emit(i, ActKind::More, KEYWORD_CONFIDENCE);
        Some(end)
    }
}
