//! Anchors: "like X", "similar to X", "in the style of X", "something similar" (to what
//! was just named or shown), and films related to X through the knowledge graph ("by the
//! same director as X", "the sequel to X", "with an actor from X"). Each anchor item
//! becomes one `LikeItem`, with the relation asked for when one was named.

use crate::acts::{ActKind, Relation};

use super::parser::Turn;

const LIKE_TRIGGERS: &[&str] = &[
    "like",
    "similar to",
    "something similar to",
    "in the style of",
    "in the vein of",
    "along the lines of",
    "reminiscent of",
    "comparable to",
    "such as",
    "the likes of",
    "same vibe as",
    "the same vibe as",
    "something like",
    "anything like",
    "more like",
    "movies like",
    "films like",
    "stuff like",
    "ones like",
    "others like",
    "more movies like",
    "more films like",
];

/// Relations to a named film, ending where its title starts.
const RELATION_TRIGGERS: &[&str] = &[
    "the same director as",
    "same director as",
    "the director of",
    "whoever directed",
    "the guy who directed",
    "the person who directed",
    "the people who directed",
    "the one who directed",
    "who directed",
    "directed by the director of",
    "the same writer as",
    "same writer as",
    "the writer of",
    "the writers of",
    "whoever wrote",
    "who wrote",
    "an actor from",
    "an actress from",
    "actors from",
    "the actors from",
    "the actors of",
    "the same actors as",
    "same actors as",
    "the cast of",
    "the same cast as",
    "same cast as",
    "the stars of",
    "the star of",
    "the same producer as",
    "same producer as",
    "the producer of",
    "the producers of",
    "the people who made",
    "the people behind",
    "the makers of",
    "whoever made",
    "the sequel to",
    "the sequel of",
    "a sequel to",
    "sequel to",
    "sequel of",
    "the follow up to",
    "follows",
    "the prequel to",
    "the prequel of",
    "prequel to",
    "prequel of",
    "the one before",
    "the one after",
    "the film before",
    "the movie before",
    "the film after",
    "the movie after",
];

/// Relations stated after the film: "the film that X *is a sequel to*".
const RELATION_TAILS: &[&str] = &[
    "is a sequel to",
    "is the sequel to",
    "is a sequel of",
    "is the sequel of",
    "is a prequel to",
    "is the prequel to",
    "is based on",
    "was based on",
];

/// Anchors with no object: they mean the item in focus.
const SIMILAR_ALONE: &[&str] = &[
    "something similar",
    "anything similar",
    "similar ones",
    "similar movies",
    "similar films",
    "similar stuff",
    "similar",
];

/// Words before "like" that make it a verb or a filler, not "similar to".
const NOT_BEFORE_LIKE: &[&str] = &[
    "would", "you", "they", "do", "does", "did", "feel", "feels", "looks", "look", "sounds",
    "sound", "seems", "seem", "just", "i", "we", "really", "also", "might", "may", "not",
];

impl Turn<'_> {
    /// "like X", "similar to the second one", "something similar".
    pub fn like_trigger(&mut self, i: usize) -> Option<usize> {
        if let Some((end, _)) = self.longest_phrase(i, SIMILAR_ALONE) {
            if self.clause_ends_at(end) || self.is(end, "please") {
                if matches!(self.word(i), "something" | "anything") {
                    self.request_cue.get_or_insert(i);
                }
                let object = self.implied_item(i, end);
                self.emit_object(i, object, |items, _| {
                    items
                        .into_iter()
                        .map(|item| ActKind::LikeItem { item, via: None })
                        .collect()
                });
                return Some(end);
            }
        }
        if let Some(end) = self.relation(i) {
            return Some(end);
        }
        let (end, phrase) = self.longest_phrase(i, LIKE_TRIGGERS)?;
        if phrase == "like" {
            let before = i.checked_sub(1).map_or("", |k| self.word(k));
            if NOT_BEFORE_LIKE.contains(&before) || self.is(end, ",") {
                return None;
            }
        }
        if phrase.starts_with("something")
            || phrase.starts_with("anything")
            || phrase.contains("movies")
            || phrase.contains("films")
        {
            self.request_cue.get_or_insert(i);
        }
        if self.constraint_before_title(end) {
            return Some(end);
        }
        let Some((object, object_end)) = self.object_at(end, true) else {
            return Some(end);
        };
        self.emit_object(i, object, |items, _| {
            items
                .into_iter()
                .map(|item| ActKind::LikeItem { item, via: None })
                .collect()
        });
        Some(object_end)
    }

    /// "by the same director as Fargo", "the film that Aliens is a sequel to".
    fn relation(&mut self, i: usize) -> Option<usize> {
        let (object, end, via) = match self.longest_phrase(i, RELATION_TRIGGERS) {
            Some((trigger_end, phrase)) => {
                let via = Relation::from_phrase(phrase);
                let (object, end) = self.object_at(trigger_end, true)?;
                (object, end, via)
            }
            None => {
                if !matches!(self.word(i), "that" | "which") {
                    return None;
                }
                let (tail_start, tail_end, tail) = (i + 2..self.len().min(i + 12))
                    .take_while(|&k| !self.clause_ends_at(k))
                    .find_map(|k| {
                        self.longest_phrase(k, RELATION_TAILS)
                            .map(|(e, phrase)| (k, e, phrase))
                    })?;
                // "the film that X is a sequel to" wants X's prequel, and the reverse.
                let via = match Relation::from_phrase(tail) {
                    Some(Relation::SequelOf) => Some(Relation::PrequelOf),
                    Some(Relation::PrequelOf) => Some(Relation::SequelOf),
                    other => other,
                };
                (self.object_in(i + 1, tail_start)?, tail_end, via)
            }
        };
        self.emit_object(i, object, |items, _| {
            items
                .into_iter()
                .map(|item| ActKind::LikeItem { item, via })
                .collect()
        });
        Some(end)
    }
}
