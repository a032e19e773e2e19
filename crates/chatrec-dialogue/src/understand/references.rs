//! References to items without their titles: positions in the list last shown ("the
//! second one", "#3", "the first two", "the first and third", "the last one", "both",
//! "all of them"), years among the shown items ("the 1983 one"), and the item in focus
//! ("that one", "it"). Positions are 1-based over `ParseContext::shown`. "it" and "that"
//! prefer an item named earlier in the same turn ("I watched Alien and loved it"), then
//! the session's focus, then the only item shown.
//!
//! A reference with no verb around it is a `Select`: the answer to a question, or a
//! choice among the shown items.

use crate::acts::{ActKind, ItemMention};

use super::lexicon::{INTENSIFIERS, LIST_JOINERS};
use super::objects::Object;
use super::parser::Turn;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Position {
    /// 1-based.
    Nth(usize),
    /// 0 = the last one.
    FromEnd(usize),
    Middle,
    FirstN(usize),
    LastN(usize),
    All,
    Both,
}

/// What a reference points at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reference {
    Items {
        items: Vec<ItemMention>,
        /// Points at the whole shown list ("all of them", "these").
        all_shown: bool,
    },
    Unresolved {
        mention: String,
    },
}

const ORDINALS: &[(&str, usize)] = &[
    ("first", 1),
    ("1st", 1),
    ("second", 2),
    ("2nd", 2),
    ("third", 3),
    ("3rd", 3),
    ("fourth", 4),
    ("4th", 4),
    ("fifth", 5),
    ("5th", 5),
    ("sixth", 6),
    ("6th", 6),
    ("seventh", 7),
    ("7th", 7),
    ("eighth", 8),
    ("8th", 8),
    ("ninth", 9),
    ("9th", 9),
    ("tenth", 10),
    ("10th", 10),
    ("former", 1),
];

const COUNTS: &[(&str, usize)] = &[
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("2", 2),
    ("3", 3),
    ("4", 4),
    ("5", 5),
];

/// Nouns that may follow a position ("the second *one*", "option 2").
const POSITION_NOUNS: &[&str] = &[
    "one",
    "ones",
    "movie",
    "movies",
    "film",
    "films",
    "option",
    "options",
    "suggestion",
    "suggestions",
    "pick",
    "picks",
    "title",
    "choice",
    "recommendation",
    "item",
];

/// Words that may follow a bare position and still leave it a reference ("the second
/// *was* great", "the first *please*"), as opposed to "the first *time*".
const REFERENCE_FOLLOWERS: &[&str] = &[
    "please", "was", "is", "were", "are", "looks", "sounds", "seems", "seemed", "about", "too",
    "again", "already", "then", "instead", "either", "though", "maybe", "for", "sounds", "thanks",
    "thank", "because", "since", "over", "rather", "only", "looked", "sounded", "also", "one",
];

/// Words after which "that" and "this" still point at an item ("not that *either*").
const DEICTIC_FOLLOWERS: &[&str] = &[
    "too", "again", "already", "either", "before", "yet", "so", "a", "one", "movie", "film", "was",
    "is", "for", "please", "though", "anyway", "at", "much", "lot", "thanks", "because", "i", "it",
    "very", "more", "last", "twice", "myself", "as",
];

impl Turn<'_> {
    /// The reference starting at `i`. In an object slot (`in_slot`, after "why", "loved",
    /// "not", ...) bare numbers, "it", "that" and "them" count too.
    pub fn reference_at(&self, i: usize, in_slot: bool) -> Option<(Reference, usize)> {
        if let Some((positions, end)) = self.positions_at(i, in_slot) {
            return Some((self.resolve_positions(&positions, i, end), end));
        }
        if let Some((year, end)) = self.year_reference_at(i) {
            return Some((self.resolve_year(year, i, end), end));
        }
        let end = self.deictic_at(i, in_slot)?;
        Some((self.resolve_focus(i, end), end))
    }

    fn ends_reference(&self, j: usize) -> bool {
        self.clause_ends_at(j)
            || LIST_JOINERS.contains(&self.word(j))
            || REFERENCE_FOLLOWERS.contains(&self.word(j))
            || POSITION_NOUNS.contains(&self.word(j))
    }

    fn position_at(&self, k: usize, in_slot: bool) -> Option<(Position, usize)> {
        let mut j = k;
        let determiner = matches!(self.word(j), "the" | "that" | "this" | "your");
        if determiner {
            j += 1;
        }
        let standalone = self.clause_starts_before(k);
        let word = self.word(j);
        let ordinal = if let Some(end) = self
            .longest_phrase(
                j,
                &[
                    "second last",
                    "second to last",
                    "next to last",
                    "penultimate",
                ],
            )
            .map(|(end, _)| end)
        {
            Some((Position::FromEnd(1), end))
        } else if matches!(word, "last" | "latter" | "final") {
            Some((Position::FromEnd(0), j + 1))
        } else if word == "middle" {
            Some((Position::Middle, j + 1))
        } else {
            ORDINALS
                .iter()
                .find(|(w, _)| *w == word)
                .map(|&(_, n)| (Position::Nth(n), j + 1))
        };
        if let Some((position, mut end)) = ordinal {
            let mut position = position;
            let counted = COUNTS.iter().find(|(w, _)| *w == self.word(end));
            if let (Some(&(_, count)), Position::Nth(1) | Position::FromEnd(0)) =
                (counted, position)
            {
                if self.ends_reference(end + 1) {
                    position = if position == Position::Nth(1) {
                        Position::FirstN(count)
                    } else {
                        Position::LastN(count)
                    };
                    end += 1;
                }
            }
            let accepted = (determiner || in_slot || standalone) && self.ends_reference(end);
            return accepted.then_some((position, end));
        }
        if self.is(j, "top") && !determiner {
            let &(_, count) = COUNTS.iter().find(|(w, _)| *w == self.word(j + 1))?;
            return self
                .ends_reference(j + 2)
                .then_some((Position::FirstN(count), j + 2));
        }
        if determiner {
            return None;
        }
        let marker_end = if self.is(j, "#") {
            Some(j + 1)
        } else {
            self.longest_phrase(
                j,
                &[
                    "number", "nr", "option", "item", "choice", "pick", "movie", "film", "no .",
                ],
            )
            .map(|(end, _)| self.skip(end, &["#", "."]))
        };
        if let Some(after) = marker_end {
            if let Some(n) = self.small_number(after) {
                return Some((Position::Nth(n), after + 1));
            }
        }
        if let Some(n) = self.small_number(j) {
            let not_a_quantity = !matches!(self.word(j + 1), "/" | "out" | "stars" | "star")
                && self.unsupported_at(j).is_none();
            if (in_slot || standalone) && not_a_quantity && self.ends_reference(j + 1) {
                return Some((Position::Nth(n), j + 1));
            }
        }
        if self.is(j, "both") {
            let end = self
                .longest_phrase(j + 1, &["of them", "of these", "of those"])
                .map_or(j + 1, |(e, _)| e);
            return self.ends_reference(end).then_some((Position::Both, end));
        }
        let all = [
            "all of them",
            "all of these",
            "all of those",
            "all of the above",
            "all three",
            "all four",
            "all five",
            "all 3",
            "all 4",
            "all 5",
            "all these",
            "all those",
            "them all",
            "these all",
            "each of them",
            "every one of them",
            "every single one",
        ];
        if let Some((end, _)) = self.longest_phrase(j, &all) {
            return Some((Position::All, end));
        }
        if in_slot {
            if matches!(self.word(j), "them" | "these" | "those" | "they") {
                let end = self.skip(j + 1, &["all", "both"]);
                return Some((Position::All, end));
            }
            if self.is(j, "all") && self.clause_ends_at(j + 1) {
                return Some((Position::All, j + 1));
            }
        }
        None
    }

    fn small_number(&self, i: usize) -> Option<usize> {
        let value = self.tokens.get(i)?.integer()?;
        (1..=20).contains(&value).then_some(value as usize)
    }

    fn positions_at(&self, i: usize, in_slot: bool) -> Option<(Vec<Position>, usize)> {
        let (first, mut end) = self.position_at(i, in_slot)?;
        let mut positions = vec![first];
        while !matches!(positions[0], Position::All | Position::Both) {
            end = self.skip(end, POSITION_NOUNS);
            let joiner = self.word(end);
            if !matches!(joiner, "and" | "," | "&" | "or") {
                break;
            }
            let next = if joiner == "," && self.is(end + 1, "and") {
                end + 2
            } else {
                end + 1
            };
            match self.position_at(next, true) {
                Some((p, e)) if !matches!(p, Position::All | Position::Both) => {
                    positions.push(p);
                    end = e;
                }
                _ => break,
            }
        }
        Some((positions, self.skip(end, POSITION_NOUNS)))
    }

    fn resolve_positions(&self, positions: &[Position], a: usize, b: usize) -> Reference {
        let shown = &self.context.shown;
        let n = shown.len();
        let mention = self.span_text(a, b).to_owned();
        let mut indices: Vec<usize> = Vec::new();
        let mut all_shown = false;
        for &position in positions {
            let picked: Option<Vec<usize>> = match position {
                Position::Nth(k) => (k >= 1 && k <= n).then(|| vec![k - 1]),
                Position::FromEnd(k) => (k < n).then(|| vec![n - 1 - k]),
                Position::Middle => (n >= 3 && n % 2 == 1).then(|| vec![n / 2]),
                Position::FirstN(k) => (k <= n).then(|| (0..k).collect()),
                Position::LastN(k) => (k <= n).then(|| (n - k..n).collect()),
                Position::All => {
                    all_shown = true;
                    (n >= 1).then(|| (0..n).collect())
                }
                Position::Both => {
                    all_shown = true;
                    (n == 2).then(|| vec![0, 1])
                }
            };
            let Some(picked) = picked else {
                return Reference::Unresolved { mention };
            };
            for index in picked {
                if !indices.contains(&index) {
                    indices.push(index);
                }
            }
        }
        let items: Option<Vec<ItemMention>> = indices
            .iter()
            .map(|&k| self.mention_of(shown[k], &mention))
            .collect();
        match items {
            Some(items) if !items.is_empty() => Reference::Items { items, all_shown },
            _ => Reference::Unresolved { mention },
        }
    }

    /// "the 1983 one", "the one from 1983", or a bare year that only a shown item has.
    fn year_reference_at(&self, i: usize) -> Option<(i32, usize)> {
        let year_of = |k: usize| -> Option<i32> {
            let value = self.tokens.get(k)?.integer()?;
            (self.word(k).len() == 4).then_some(value as i32)
        };
        // A turn that is only a year answers "which one?" when a shown item has that year.
        if i == 0 && self.clause_ends_at(i + 1) {
            if let Some(year) = year_of(i) {
                let catalog = &self.understander.catalog;
                let shown_has = self.context.shown.iter().any(|&item| {
                    catalog
                        .items()
                        .get(item as usize)
                        .is_some_and(|it| it.year == Some(year))
                });
                if shown_has {
                    return Some((year, i + 1));
                }
            }
        }
        if self.is(i, "the") {
            if let Some(year) = year_of(i + 1) {
                let end = self
                    .longest_phrase(i + 2, &["one", "version", "film", "movie"])?
                    .0;
                return Some((year, end));
            }
        }
        let (end, _) = self.longest_phrase(
            i,
            &[
                "the one from",
                "the one in",
                "the one made in",
                "the one released in",
                "the one from the year",
            ],
        )?;
        let year = year_of(end)?;
        Some((year, end + 1))
    }

    fn resolve_year(&self, year: i32, a: usize, b: usize) -> Reference {
        let mention = self.span_text(a, b).to_owned();
        let catalog = &self.understander.catalog;
        let matching: Vec<u32> = self
            .context
            .shown
            .iter()
            .copied()
            .filter(|&item| {
                catalog
                    .items()
                    .get(item as usize)
                    .is_some_and(|it| it.year == Some(year))
            })
            .collect();
        match matching.as_slice() {
            [item] => match self.mention_of(*item, &mention) {
                Some(found) => Reference::Items {
                    items: vec![found],
                    all_shown: false,
                },
                None => Reference::Unresolved { mention },
            },
            _ => Reference::Unresolved { mention },
        }
    }

    /// "that one", "this movie"; in a slot also "it", "that", "this".
    fn deictic_at(&self, i: usize, in_slot: bool) -> Option<usize> {
        let anywhere = [
            "that one",
            "this one",
            "that movie",
            "this movie",
            "that film",
            "this film",
            "that last one",
        ];
        if let Some((end, _)) = self.longest_phrase(i, &anywhere) {
            return Some(end);
        }
        if !in_slot {
            return None;
        }
        if let Some((end, _)) = self.longest_phrase(i, &["the movie", "the film", "the one"]) {
            // "the film that Aliens is a sequel to", "the one from 1983": described, not
            // pointed at.
            let described = matches!(
                self.word(end),
                "that"
                    | "which"
                    | "who"
                    | "where"
                    | "with"
                    | "from"
                    | "about"
                    | "before"
                    | "after"
                    | "i"
                    | "you"
                    | "by"
                    | "in"
                    | "of"
                    | "called"
                    | "named"
            );
            return (!described).then_some(end);
        }
        match self.word(i) {
            "it" => Some(i + 1),
            "that" | "this" => {
                let next = self.word(i + 1);
                let follows = self.clause_ends_at(i + 1)
                    || LIST_JOINERS.contains(&next)
                    || DEICTIC_FOLLOWERS.contains(&next)
                    || INTENSIFIERS.contains(&next);
                follows.then_some(i + 1)
            }
            _ => None,
        }
    }

    /// The item "it" or "that one" means here.
    fn resolve_focus(&self, a: usize, b: usize) -> Reference {
        let mention = self.span_text(a, b).to_owned();
        if !self.local_focus.is_empty() {
            let items = self
                .local_focus
                .iter()
                .map(|m| ItemMention {
                    mention: mention.clone(),
                    ..m.clone()
                })
                .collect();
            return Reference::Items {
                items,
                all_shown: false,
            };
        }
        let implied = self
            .context
            .focus
            .or_else(|| (self.context.shown.len() == 1).then(|| self.context.shown[0]));
        match implied.and_then(|item| self.mention_of(item, &mention)) {
            Some(found) => Reference::Items {
                items: vec![found],
                all_shown: false,
            },
            None => Reference::Unresolved { mention },
        }
    }

    /// The item a verb with no object means ("seen it" said as "already seen").
    pub fn implied_item(&self, a: usize, b: usize) -> Object {
        Object::from_reference(self.resolve_focus(a, b), 1.0)
    }

    /// An `ItemMention` for a catalog index, if the catalog has it.
    pub fn mention_of(&self, item: u32, mention: &str) -> Option<ItemMention> {
        let found = self.understander.catalog.items().get(item as usize)?;
        Some(ItemMention {
            item,
            item_id: found.id.clone(),
            title: found.display_title(),
            mention: mention.to_owned(),
        })
    }

    /// A reference with no verb around it: `Select`.
    pub fn bare_reference(&mut self, i: usize) -> Option<usize> {
        let (reference, end) = self.reference_at(i, false)?;
        let object = Object::from_reference(reference, 1.0);
        self.emit_object(i, object, |items, _| vec![ActKind::Select { items }]);
        Some(end)
    }

    /// "I'll take the second one", "let's go with Alien": `Select`.
    pub fn select_verb(&mut self, i: usize) -> Option<usize> {
        let verbs = [
            "i will take",
            "i will go with",
            "i will watch",
            "i will try",
            "let us go with",
            "let us watch",
            "let us do",
            "go with",
            "i choose",
            "i pick",
            "i will pick",
            "i will choose",
            "i want",
            "i would like",
            "give me",
            "show me",
            "i take",
            "i would go with",
            "i would watch",
            "i would pick",
            "i am going with",
            "i am going to watch",
            "put on",
            "play",
            "what about",
            "how about",
            "i mean",
            "i meant",
            "the one i mean is",
            "the one i meant is",
            "i am talking about",
            "i was talking about",
        ];
        let (verb_end, _) = self.longest_phrase(i, &verbs)?;
        let mut j = self.skip(verb_end, INTENSIFIERS);
        if let Some((end, _)) = self.longest_phrase(j, &["to watch", "to see", "to try"]) {
            j = end;
        }
        if self.constraint_before_title(j) {
            return None;
        }
        let (object, end) = self.object_at(j, false)?;
        self.emit_object(i, object, |items, _| vec![ActKind::Select { items }]);
        Some(end)
    }
}
