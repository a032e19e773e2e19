//! Release periods: decades ("from the 80s", "eighties", "early 90s"), years ("in 1994",
//! "after 1995", "between 1970 and 1979", "1990 or later"), the relative wishes "older"
//! and "newer", and the era words "old", "classic" (a soft wish for films up to 1969).
//!
//! Years are inclusive on both ends, so "after 1995" starts in 1996 and "before 1980"
//! ends in 1979, while "since 1990" and "until 1980" keep the year itself. "after" and
//! "before" may also take a title ("older than Alien": up to 1978).

use chatrec_knowledge::vocabulary::decade_of_word;

use crate::acts::{ActKind, Constraint, Strictness};

use super::parser::{Turn, KEYWORD_CONFIDENCE};

/// Last year of the era that "old movies" and "classics" mean.
pub(crate) const CLASSIC_ERA_END: i32 = 1969;

const EARLIEST_YEAR: i64 = 1870;
const LATEST_YEAR: i64 = 2035;

/// A period found in a turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Period {
    Years {
        from: Option<i32>,
        to: Option<i32>,
        strictness: Strictness,
    },
    Older,
    Newer,
}

const FROM_WORDS: &[&str] = &[
    "after",
    "post",
    "newer than",
    "later than",
    "more recent than",
];
const SINCE_WORDS: &[&str] = &["since", "starting", "starting from", "from at least"];
const BEFORE_WORDS: &[&str] = &["before", "pre", "older than", "earlier than", "prior to"];
const UNTIL_WORDS: &[&str] = &["until", "up to", "till", "up until", "no later than"];
const IN_WORDS: &[&str] = &[
    "from",
    "in",
    "of",
    "released in",
    "made in",
    "came out in",
    "from around",
    "around",
];
const LATER_SUFFIXES: &[&str] = &[
    "or later",
    "and later",
    "or newer",
    "and newer",
    "onwards",
    "onward",
    "or after",
    "and after",
    "and up",
    "+",
    "or more recent",
    "and beyond",
];
const EARLIER_SUFFIXES: &[&str] = &[
    "or earlier",
    "and earlier",
    "or before",
    "and before",
    "or older",
    "and older",
];
const RANGE_JOINERS: &[&str] = &["to", "until", "through", "thru", "-", "and"];
const MEDIA_NOUNS: &[&str] = &[
    "movie", "movies", "film", "films", "ones", "one", "stuff", "releases", "release", "flick",
    "flicks", "titles", "stuff",
];
const NEWER_WORDS: &[&str] = &[
    "newer",
    "more recent",
    "recent",
    "newest",
    "latest",
    "modern",
    "contemporary",
    "brand new",
    "less old",
];
const OLDER_WORDS: &[&str] = &["older", "less recent", "earlier ones"];
const ERA_WORDS: &[&str] = &[
    "classic",
    "classics",
    "oldies",
    "oldie",
    "golden age",
    "black and white",
    "vintage",
    "old school",
    "old fashioned",
];

impl Turn<'_> {
    fn year_at(&self, i: usize) -> Option<i32> {
        let value = self.tokens.get(i)?.integer()?;
        ((EARLIEST_YEAR..=LATEST_YEAR).contains(&value) && self.word(i).len() == 4)
            .then_some(value as i32)
    }

    /// A decade at `i` ("80s", "the eighties", "early 90s"), as an inclusive range.
    fn decade_at(&self, i: usize) -> Option<(usize, i32, i32)> {
        let start = self.skip(i, &["the"]);
        let (part, at) = match self.word(start) {
            "early" => (Some((0, 3)), start + 1),
            "mid" | "middle" => (Some((3, 6)), start + 1),
            "late" => (Some((6, 9)), start + 1),
            _ => (None, start),
        };
        let at = self.skip(at, &["the"]);
        let first = decade_of_word(self.word(at))?;
        let (from, to) = match part {
            Some((a, b)) => (first + a, first + b),
            None => (first, first + 9),
        };
        Some((at + 1, from, to))
    }

    /// A year or a decade at `i`, as an inclusive range.
    fn years_at(&self, i: usize) -> Option<(usize, i32, i32)> {
        if let Some(year) = self.year_at(i) {
            return Some((i + 1, year, year));
        }
        self.decade_at(i)
    }

    /// The period starting at `i`, if any.
    pub fn period_at(&self, i: usize) -> Option<(usize, Period)> {
        let years = |from: Option<i32>, to: Option<i32>| Period::Years {
            from,
            to,
            strictness: Strictness::Hard,
        };
        if let Some(end) = self.phrase_end(i, "between") {
            let (a_end, a_from, _) = self.years_at(end)?;
            let joiner = self.longest_phrase(a_end, &["and", "to", "-"])?.0;
            let (b_end, _, b_to) = self.years_at(joiner)?;
            return Some((b_end, years(Some(a_from), Some(b_to))));
        }
        for (words, open_end) in [(FROM_WORDS, true), (SINCE_WORDS, false)] {
            if let Some((end, _)) = self.longest_phrase(i, words) {
                if let Some((e, from, to)) = self.years_at(end) {
                    let start = if open_end { to + 1 } else { from };
                    return Some((e, years(Some(start), None)));
                }
            }
        }
        for (words, open_end) in [(BEFORE_WORDS, true), (UNTIL_WORDS, false)] {
            if let Some((end, _)) = self.longest_phrase(i, words) {
                if let Some((e, from, to)) = self.years_at(end) {
                    let last = if open_end { from - 1 } else { to };
                    return Some((e, years(None, Some(last))));
                }
            }
        }
        let (start, has_preposition) = match self.longest_phrase(i, IN_WORDS) {
            Some((end, _)) => (end, true),
            None => (i, false),
        };
        if let Some((end, from, to)) = self.years_at(start) {
            let is_decade = self.year_at(start).is_none();
            if let Some((e, _)) = self.longest_phrase(end, LATER_SUFFIXES) {
                return Some((e, years(Some(from), None)));
            }
            if let Some((e, _)) = self.longest_phrase(end, EARLIER_SUFFIXES) {
                return Some((e, years(None, Some(to))));
            }
            // "1970-1979", "from 1970 to 1979", "the 80s and 90s"
            let joined = self.tokens.get(end).is_some_and(|t| t.after_hyphen);
            let joiner_end = if joined {
                Some(end)
            } else {
                self.longest_phrase(end, RANGE_JOINERS)
                    .or_else(|| self.longest_phrase(end, &["or", ","]).filter(|_| is_decade))
                    .map(|(e, _)| e)
            };
            if let Some((e2, _, to2)) = joiner_end.and_then(|j| self.years_at(j)) {
                let second_is_decade = joiner_end.is_some_and(|j| self.year_at(j).is_none());
                if to2 >= from && (second_is_decade == is_decade || !is_decade) {
                    return Some((e2, years(Some(from), Some(to2))));
                }
            }
            // A bare year reads as a period only with a preposition or a noun ("a 1994
            // movie"): elsewhere it is a title's year or an answer.
            if has_preposition || is_decade || self.longest_phrase(end, MEDIA_NOUNS).is_some() {
                return Some((end, years(Some(from), Some(to))));
            }
            return None;
        }
        if self.period_relative_title(i).is_some() {
            return self.period_relative_title(i);
        }
        if let Some((end, _)) = self.longest_phrase(i, NEWER_WORDS) {
            if !self.is(end, "than") {
                return Some((end, Period::Newer));
            }
        }
        if let Some((end, _)) = self.longest_phrase(i, OLDER_WORDS) {
            if !self.is(end, "than") {
                return Some((end, Period::Older));
            }
        }
        if let Some(end) = self.new_as_wish(i) {
            return Some((end, Period::Newer));
        }
        let era = |end: usize| {
            (
                end,
                Period::Years {
                    from: None,
                    to: Some(CLASSIC_ERA_END),
                    strictness: Strictness::Soft,
                },
            )
        };
        if let Some((end, _)) = self.longest_phrase(i, ERA_WORDS) {
            return Some(era(end));
        }
        if self.is(i, "old") {
            let before = i.checked_sub(1).map_or("", |k| self.word(k));
            let noun_follows = self.longest_phrase(i + 1, MEDIA_NOUNS).is_some();
            let after_something =
                matches!(before, "something" | "anything" | "too" | "very" | "really");
            if noun_follows || after_something || self.clause_ends_at(i + 1) {
                return Some(era(i + 1));
            }
        }
        None
    }

    /// "older than Alien", "after The Matrix": relative to a title's year.
    fn period_relative_title(&self, i: usize) -> Option<(usize, Period)> {
        let before = self.longest_phrase(i, &["older than", "before", "earlier than"]);
        let after = self.longest_phrase(
            i,
            &["newer than", "after", "more recent than", "later than"],
        );
        let (end, is_before) = match (before, after) {
            (Some((e, _)), _) => (e, true),
            (None, Some((e, _))) => (e, false),
            _ => return None,
        };
        let (found, title_end) = self.title_at(end, self.limit_from(end), false)?;
        let year = found.single_item().and_then(|item| {
            self.understander
                .catalog
                .items()
                .get(item.item as usize)?
                .year
        })?;
        let period = if is_before {
            Period::Years {
                from: None,
                to: Some(year - 1),
                strictness: Strictness::Hard,
            }
        } else {
            Period::Years {
                from: Some(year + 1),
                to: None,
                strictness: Strictness::Hard,
            }
        };
        Some((title_end, period))
    }

    /// "new" as a wish: "new movies", "something new".
    fn new_as_wish(&self, i: usize) -> Option<usize> {
        if !self.is(i, "new") {
            return None;
        }
        let before = i.checked_sub(1).map_or("", |k| self.word(k));
        let noun_follows = self.longest_phrase(i + 1, MEDIA_NOUNS).is_some();
        let wish = matches!(
            before,
            "something" | "anything" | "fairly" | "pretty" | "relatively"
        );
        (noun_follows || (wish && self.clause_ends_at(i + 1))).then_some(i + 1)
    }

    /// Emits the period at `i`.
    pub fn period(&mut self, i: usize) -> Option<usize> {
        let (end, period) = self.period_at(i)?;
        let (constraint, natural) = match period {
            Period::Years {
                from,
                to,
                strictness,
            } => (Constraint::Years { from, to }, strictness),
            Period::Older => (Constraint::Older, Strictness::Hard),
            Period::Newer => (Constraint::Newer, Strictness::Hard),
        };
        let (polarity, strictness) = self.constraint_mode(natural);
        self.emit(
            i,
            ActKind::Constrain {
                constraint,
                polarity,
                strictness,
            },
            KEYWORD_CONFIDENCE,
        );
        Some(end)
    }
}
