//! A model's understanding of a turn, checked and turned into the dialogue's typed acts.
//! Categories must be the catalog's; titles are resolved with the title matcher (moved
//! articles, typos and missing years are its everyday work) and must come from the
//! user's own words; positions must point into the list shown. Anything else makes the
//! answer invalid, with a reason the repair prompt can quote.

use chatrec_dialogue::acts::{
    Act, ActKind, Constraint, ItemMention, ParseContext, Polarity, Strictness, Target, TitleRole,
};
use chatrec_dialogue::assist::UnderstandInput;
use chatrec_dialogue::Engine;
use chatrec_knowledge::titles::CONFIDENT;
use serde::Deserialize;

use crate::grammar::{BARE_ACTS, CATEGORY_ACTS, ITEM_ACTS, MAX_ACTS, TEXT_ACTS};

/// How sure the dialogue should take a model's acts to be.
const MODEL_CONFIDENCE: f32 = 0.8;
const EARLIEST_YEAR: i32 = 1870;
const LATEST_YEAR: i32 = 2100;

#[derive(Debug, Deserialize)]
struct RawActs {
    acts: Vec<RawAct>,
}

#[derive(Debug, Deserialize)]
struct RawAct {
    act: String,
    #[serde(default)]
    value: String,
}

/// The JSON object inside an answer that may wrap it in prose or a code fence.
pub fn json_object(text: &str) -> Option<&str> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (end > start).then(|| &text[start..=end])
}

/// The acts of `answer`, or why it cannot be used.
pub fn parse_acts(input: &UnderstandInput<'_>, answer: &str) -> Result<Vec<Act>, String> {
    let json = json_object(answer).ok_or("the answer holds no JSON object")?;
    let raw: RawActs = serde_json::from_str(json)
        .map_err(|e| format!("the JSON does not match the schema: {e}"))?;
    if raw.acts.is_empty() {
        return Err("\"acts\" is empty".into());
    }
    if raw.acts.len() > MAX_ACTS {
        return Err(format!("more than {MAX_ACTS} acts"));
    }
    let resolver = Resolver {
        engine: input.engine,
        text: input.text,
        context: input.context,
        builtin: input.builtin,
    };
    let mut acts = Vec::with_capacity(raw.acts.len());
    for act in &raw.acts {
        acts.push(resolver.act(act)?);
    }
    if acts.iter().any(|a| matches!(a.kind, ActKind::StartOver))
        && !resolver
            .builtin
            .iter()
            .any(|a| matches!(a.kind, ActKind::StartOver))
    {
        // Forgetting the conversation takes the user's own words, never a model's reading
        // of text that may carry someone else's instructions.
        return Err("start_over is only for a user who asks to start over".into());
    }
    Ok(acts)
}

struct Resolver<'a> {
    engine: &'a Engine,
    text: &'a str,
    context: &'a ParseContext,
    /// The built-in parser's reading of the same words.
    builtin: &'a [Act],
}

impl Resolver<'_> {
    /// A category is the user's when they name it, or when the built-in parser reads it
    /// from their words ("scary" is Horror): a model's reading of other text cannot add
    /// or rule out a category.
    fn said_category(&self, category: &str) -> bool {
        let text = self.text.to_lowercase();
        let named = category
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .any(|w| text.contains(w));
        named
            || self.builtin.iter().any(|a| {
                matches!(&a.kind, ActKind::Constrain { constraint: Constraint::Category { category: c }, .. } if c == category)
            })
    }

    fn act(&self, raw: &RawAct) -> Result<Act, String> {
        let name = raw.act.trim();
        let value = raw.value.trim();
        let kind = if CATEGORY_ACTS.contains(&name) {
            let category = self.category(value)?;
            if !self.said_category(&category) {
                return Err(format!("the user did not ask about {category}"));
            }
            let polarity = if name == "exclude_category" {
                Polarity::Exclude
            } else {
                Polarity::Include
            };
            ActKind::Constrain {
                constraint: Constraint::Category { category },
                polarity,
                strictness: Strictness::Hard,
            }
        } else if name == "years" {
            let (from, to) = years(value)?;
            if !self.text.chars().any(|c| c.is_ascii_digit()) {
                return Err("the user named no year or decade".into());
            }
            ActKind::Constrain {
                constraint: Constraint::Years { from, to },
                polarity: Polarity::Include,
                strictness: Strictness::Hard,
            }
        } else if ITEM_ACTS.contains(&name) {
            self.item_act(name, value)?
        } else if TEXT_ACTS.contains(&name) {
            if value.is_empty() {
                return Err(format!("{name} needs a value"));
            }
            if name == "query" {
                ActKind::Query {
                    text: value.to_owned(),
                }
            } else {
                ActKind::Unsupported {
                    what: value.to_owned(),
                }
            }
        } else if BARE_ACTS.contains(&name) {
            bare_act(name)
        } else {
            return Err(format!("`{name}` is not an act"));
        };
        Ok(Act::new(kind, MODEL_CONFIDENCE))
    }

    fn category(&self, value: &str) -> Result<String, String> {
        self.engine
            .categories()
            .iter()
            .find(|c| c.eq_ignore_ascii_case(value))
            .cloned()
            .ok_or_else(|| format!("`{value}` is not one of the categories"))
    }

    fn item_act(&self, name: &str, value: &str) -> Result<ActKind, String> {
        let whole_list = matches!(name, "why" | "tell_more") && value.is_empty();
        if whole_list {
            let target = Target::LastShown;
            return Ok(if name == "why" {
                ActKind::Why { target }
            } else {
                ActKind::TellMore { target }
            });
        }
        let role = role_of(name);
        let items = match self.items(value, role)? {
            Named::Items(items) => items,
            Named::Other(kind) => return Ok(kind),
        };
        Ok(match name {
            "like" => ActKind::LikeItem {
                item: items.into_iter().next().ok_or("like names no film")?,
                via: None,
            },
            "loved" | "liked" | "disliked" | "hated" => ActKind::Feedback {
                items,
                sentiment: sentiment_of(name),
                rating: None,
            },
            "reject" => ActKind::Reject { items },
            "seen" => ActKind::Seen { items },
            "choose" => ActKind::Select { items },
            "why" => ActKind::Why {
                target: Target::Items { items },
            },
            _ => ActKind::TellMore {
                target: Target::Items { items },
            },
        })
    }

    /// The items `value` names: a position in the shown list ("#2"), the focus ("it"),
    /// or a title from the user's words.
    fn items(&self, value: &str, role: TitleRole) -> Result<Named, String> {
        if let Some(position) = value.strip_prefix('#') {
            let n: usize = position
                .trim()
                .parse()
                .map_err(|_| format!("`{value}` is not a position"))?;
            let item = n
                .checked_sub(1)
                .and_then(|i| self.context.shown.get(i))
                .ok_or_else(|| format!("there is no film #{n} in the list shown"))?;
            return Ok(Named::Items(vec![self.mention(*item, value)]));
        }
        let lower = value.to_lowercase();
        if matches!(
            lower.as_str(),
            "it" | "that" | "that one" | "this" | "this one" | ""
        ) {
            return match self.context.focus {
                Some(item) => Ok(Named::Items(vec![self.mention(item, value)])),
                None => Ok(Named::Other(ActKind::UnresolvedReference {
                    mention: value.to_owned(),
                    role,
                })),
            };
        }
        if !shares_a_word(value, self.text) {
            return Err(format!("the title `{value}` is not in the user's words"));
        }
        let found = self.engine.titles().find(value, 5);
        if let Some(best) = found.unique_confident() {
            return Ok(Named::Items(vec![self.mention(best.item, value)]));
        }
        let options: Vec<ItemMention> = found
            .matches
            .iter()
            .filter(|m| m.confidence >= CONFIDENT)
            .map(|m| self.mention(m.item, value))
            .collect();
        Ok(Named::Other(if options.len() > 1 {
            ActKind::AmbiguousTitle {
                mention: value.to_owned(),
                options,
                role,
            }
        } else {
            ActKind::UnknownTitle {
                mention: value.to_owned(),
            }
        }))
    }

    fn mention(&self, item: u32, words: &str) -> ItemMention {
        let found = &self.engine.catalog().items()[item as usize];
        ItemMention {
            item,
            item_id: found.id.clone(),
            title: found.display_title(),
            mention: words.to_owned(),
        }
    }
}

enum Named {
    Items(Vec<ItemMention>),
    Other(ActKind),
}

fn bare_act(name: &str) -> ActKind {
    match name {
        "request" => ActKind::Request,
        "older" => ActKind::Constrain {
            constraint: Constraint::Older,
            polarity: Polarity::Include,
            strictness: Strictness::Hard,
        },
        "newer" => ActKind::Constrain {
            constraint: Constraint::Newer,
            polarity: Polarity::Include,
            strictness: Strictness::Hard,
        },
        "more" => ActKind::More,
        "something_else" => ActKind::SomethingElse,
        "start_over" => ActKind::StartOver,
        "profile" => ActKind::Profile,
        _ => ActKind::Greeting,
    }
}

fn sentiment_of(name: &str) -> f32 {
    match name {
        "loved" => 1.0,
        "liked" => 0.5,
        "disliked" => -0.5,
        _ => -1.0,
    }
}

fn role_of(name: &str) -> TitleRole {
    match name {
        "loved" | "liked" | "disliked" | "hated" => TitleRole::Opinion {
            sentiment: sentiment_of(name),
        },
        "reject" => TitleRole::Reject,
        "seen" => TitleRole::Seen,
        "choose" => TitleRole::Choose,
        "why" => TitleRole::Explain,
        "tell_more" => TitleRole::Describe,
        _ => TitleRole::Anchor,
    }
}

/// "1980-1989", "1990-", "-1979".
fn years(value: &str) -> Result<(Option<i32>, Option<i32>), String> {
    let (from, to) = value
        .split_once('-')
        .ok_or_else(|| format!("`{value}` is not a year range"))?;
    let year = |s: &str| -> Result<Option<i32>, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<i32>()
            .ok()
            .filter(|y| (EARLIEST_YEAR..=LATEST_YEAR).contains(y))
            .map(Some)
            .ok_or_else(|| format!("`{s}` is not a plausible year"))
    };
    let (from, to) = (year(from)?, year(to)?);
    match (from, to) {
        (None, None) => Err("a year range needs at least one end".into()),
        (Some(a), Some(b)) if a > b => Err(format!("{a} comes after {b}")),
        range => Ok(range),
    }
}

/// Whether `title` and `text` share a word of three or more letters or digits.
fn shares_a_word(title: &str, text: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| {
                w.chars().count() >= 3 || w.chars().all(|c| c.is_ascii_digit()) && !w.is_empty()
            })
            .map(str::to_owned)
            .collect()
    };
    let said = words(text);
    words(title).iter().any(|w| said.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_ranges_may_be_open_at_one_end() {
        assert_eq!(years("1980-1989"), Ok((Some(1980), Some(1989))));
        assert_eq!(years("1990-"), Ok((Some(1990), None)));
        assert_eq!(years("-1979"), Ok((None, Some(1979))));
        assert!(years("-").is_err());
        assert!(years("1999-1980").is_err());
        assert!(years("3000-").is_err());
        assert!(years("eighties").is_err());
    }

    #[test]
    fn the_json_is_found_inside_prose_and_fences() {
        assert_eq!(
            json_object("Sure!\n```json\n{\"acts\":[]}\n```"),
            Some("{\"acts\":[]}")
        );
        assert_eq!(json_object("no json"), None);
    }

    #[test]
    fn a_title_must_come_from_the_users_words() {
        assert!(shares_a_word(
            "Star Wars",
            "something like star wars please"
        ));
        assert!(!shares_a_word("Evil Dead", "something like alien"));
        assert!(shares_a_word("2001", "i loved 2001"));
    }
}
