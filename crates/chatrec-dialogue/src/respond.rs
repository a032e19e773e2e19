//! Reply text from structured evidence. Every sentence about an item is rendered from one
//! [`Evidence`] record returned with the turn, so each claim can be traced to the data;
//! templates vary with the turn number, never at random, so replies are reproducible.

use std::fmt::Write;

use crate::apply::{Question, TurnEffects};
use crate::engine::Engine;
use crate::explain::describe_constraint;
use crate::policy::{Ask, Plan};
use crate::reply::{Evidence, ShownItem};
use crate::state::SessionState;

/// Evidence records cited per item in a list; "why?" cites them all.
const REASONS_IN_LIST: usize = 2;
/// Graph relations specific enough to lead an explanation (sequels, director, writer, cast).
const STRONG_RELATIONS: &[&str] = &[
    "film.film.sequel",
    "film.film.directed_by",
    "film.film.written_by",
    "film.film.actor",
    "film.film.starring",
];
/// Characters of an item's own text quoted by "tell me more".
const TEXT_EXCERPT: usize = 240;

/// Everything the reply is built from.
pub struct ReplyInput<'a> {
    pub engine: &'a Engine,
    pub state: &'a SessionState,
    pub effects: &'a TurnEffects,
    pub plan: &'a Plan,
    /// The new list, when the plan recommends.
    pub items: &'a [ShownItem],
    /// Evidence of the items to explain or describe, in plan order.
    pub explained: &'a [ShownItem],
    pub turn: u32,
}

/// The reply text and whether it is a question the user should answer.
pub fn compose(input: &ReplyInput) -> (String, bool) {
    let mut parts: Vec<String> = Vec::new();
    acknowledge(input, &mut parts);
    notes(input, &mut parts);
    let mut question = false;

    if let Some(ask) = &input.plan.ask {
        answers(input, &mut parts);
        parts.push(ask_text(input, ask));
        return (parts.join(" "), true);
    }
    answers(input, &mut parts);
    if input.plan.recommend {
        if input.items.is_empty() {
            parts.push(nothing_fits(input));
            question = true;
        } else {
            parts.push(list_text(input));
        }
    } else if parts.is_empty() {
        parts.push(
            "Tell me what you'd like to watch, or ask \"why?\" about a suggestion.".to_owned(),
        );
        question = true;
    } else if input.effects.greeted && !input.state.knows_anything() {
        parts.push(ask_text(input, &Ask::Preferences));
        question = true;
    } else if !input.effects.unknown_titles.is_empty() && input.plan.explain.is_empty() {
        question = true;
    }
    (parts.join(" "), question)
}

fn title(engine: &Engine, item: u32) -> String {
    engine.catalog.item(item).display_title()
}

fn acknowledge(input: &ReplyInput, parts: &mut Vec<String>) {
    let engine = input.engine;
    let effects = input.effects;
    if effects.started_over {
        parts.push("OK, let's start over: I've forgotten this conversation.".to_owned());
    }
    if effects.greeted {
        parts.push("Hello!".to_owned());
    }
    for &(item, sentiment) in &effects.acknowledged_feedback {
        let t = title(engine, item);
        parts.push(if sentiment >= 0.8 {
            format!("Noted: you loved {t}.")
        } else if sentiment > 0.0 {
            format!("Noted: you liked {t}.")
        } else if sentiment > -0.5 {
            format!("Noted: {t} wasn't really for you.")
        } else {
            format!("Noted: you didn't like {t}; I'll steer away from films its fans like.")
        });
    }
    let rejected: Vec<String> = effects
        .acknowledged_rejects
        .iter()
        .filter(|i| !effects.acknowledged_feedback.iter().any(|(f, _)| f == *i))
        .filter(|i| !effects.acknowledged_seen.contains(i))
        .map(|&i| title(engine, i))
        .collect();
    if !rejected.is_empty() {
        parts.push(format!(
            "OK, I won't suggest {} again.",
            join_and(&rejected)
        ));
    }
    let seen: Vec<String> = effects
        .acknowledged_seen
        .iter()
        .map(|&i| title(engine, i))
        .collect();
    if !seen.is_empty() {
        parts.push(format!(
            "OK, you've seen {}; I'll leave it out.",
            join_and(&seen)
        ));
    }
}

fn notes(input: &ReplyInput, parts: &mut Vec<String>) {
    for what in &input.effects.unsupported {
        parts.push(format!(
            "I can't go by {what}: the catalog has no data on that."
        ));
    }
    for mention in &input.effects.unknown_titles {
        parts.push(format!(
            "I couldn't find \"{mention}\" in the catalog; could you check the title?"
        ));
    }
}

fn answers(input: &ReplyInput, parts: &mut Vec<String>) {
    let plan = input.plan;
    for shown in input.explained {
        if plan.explain.contains(&shown.item) {
            parts.push(why_text(shown));
        }
    }
    for shown in input.explained {
        if plan.describe.contains(&shown.item) {
            parts.push(describe_text(input.engine, shown));
        }
    }
    if plan.profile {
        parts.push(profile_text(input.engine, input.state));
    }
}

/// "because ..." clauses for a list entry: the most specific evidence first.
fn reasons(evidence: &[Evidence], n: usize) -> Vec<String> {
    let mut ranked: Vec<&Evidence> = evidence.iter().collect();
    ranked.sort_by_key(|e| match e {
        Evidence::SharedFact { relation, .. } if STRONG_RELATIONS.contains(&relation.as_str()) => 0,
        Evidence::LikedItem { .. } => 1,
        Evidence::MatchedQuery { .. } => 2,
        Evidence::SharedFact { .. } => 3,
        Evidence::SharedCategories { .. } => 4,
        Evidence::SimilarUsers { .. } => 5,
        Evidence::MatchedConstraint { .. } => 6,
        Evidence::Popular { .. } => 7,
    });
    let mut out: Vec<String> = Vec::new();
    let constraints: Vec<&str> = ranked
        .iter()
        .filter_map(|e| match e {
            Evidence::MatchedConstraint { constraint } => Some(constraint.as_str()),
            _ => None,
        })
        .collect();
    for e in ranked {
        if out.len() >= n {
            break;
        }
        match e {
            Evidence::MatchedConstraint { .. } => {
                if !constraints.is_empty() && !out.iter().any(|s| s.starts_with("fits ")) {
                    out.push(format!("fits {}", constraints.join(", ")));
                }
            }
            Evidence::Popular { .. } if !out.is_empty() => {}
            other => out.push(evidence_sentence(other)),
        }
    }
    out
}

/// One evidence record as an English clause.
pub fn evidence_sentence(evidence: &Evidence) -> String {
    match evidence {
        Evidence::LikedItem {
            liked, co_likers, ..
        } => format!("{co_likers} people who liked {} also liked it", liked.title),
        Evidence::SharedFact { liked, fact, .. } => {
            if fact.starts_with("same ") {
                format!("{fact} as {}", liked.title)
            } else if fact.starts_with("sequel of")
                || fact.starts_with("prequel of")
                || fact.starts_with("also about")
            {
                fact.clone()
            } else {
                format!("{fact} with {}", liked.title)
            }
        }
        Evidence::SharedCategories { liked, categories } => {
            format!("{} like {}", join_and(categories), liked.title)
        }
        Evidence::MatchedConstraint { constraint } => format!("fits {constraint}"),
        Evidence::MatchedQuery { query, .. } => format!("matches \"{query}\""),
        Evidence::SimilarUsers {
            raters,
            mean_rating,
        } => format!("{raters} people with tastes like yours rated it {mean_rating:.1} on average"),
        Evidence::Popular {
            raters,
            mean_rating,
        } => {
            if *mean_rating > 0.0 {
                format!("{raters} people rated it, {mean_rating:.1} on average")
            } else {
                format!("{raters} people watched it")
            }
        }
    }
}

fn why_text(shown: &ShownItem) -> String {
    let clauses: Vec<String> = reasons(&shown.evidence, shown.evidence.len());
    if clauses.is_empty() {
        format!(
            "{}: I have no specific evidence for it beyond its overall score.",
            shown.title
        )
    } else {
        format!("Why {}: {}.", shown.title, clauses.join("; "))
    }
}

fn describe_text(engine: &Engine, shown: &ShownItem) -> String {
    let item = engine.catalog.item(shown.item);
    let mut text = shown.title.clone();
    if !item.categories.is_empty() {
        let _ = write!(text, " is {}", join_and(&item.categories));
    }
    text.push('.');
    if let Some(popular) = shown
        .evidence
        .iter()
        .find(|e| matches!(e, Evidence::Popular { .. }))
    {
        let _ = write!(text, " {}.", capitalise(&evidence_sentence(popular)));
    }
    let body = item.text.trim();
    if !body.is_empty() {
        let excerpt: String = body.chars().take(TEXT_EXCERPT).collect();
        let ellipsis = if body.chars().count() > TEXT_EXCERPT {
            "..."
        } else {
            ""
        };
        let _ = write!(text, " \"{excerpt}{ellipsis}\"");
    }
    let facts: Vec<String> = shown
        .evidence
        .iter()
        .filter(|e| matches!(e, Evidence::SharedFact { .. } | Evidence::LikedItem { .. }))
        .map(evidence_sentence)
        .collect();
    if !facts.is_empty() {
        let _ = write!(text, " For you: {}.", facts.join("; "));
    }
    text
}

fn profile_text(engine: &Engine, state: &SessionState) -> String {
    let titles = |items: &mut dyn Iterator<Item = u32>| -> Vec<String> {
        items.map(|i| title(engine, i)).collect()
    };
    let mut lines: Vec<String> = Vec::new();
    if let Some(user) = state.user {
        let n = engine.interactions.row_nnz(user as usize);
        lines.push(format!(
            "you are user {} with {n} ratings in the data",
            engine.catalog.user(user).id
        ));
    }
    let liked = titles(&mut state.liked().map(|(i, _)| i));
    if !liked.is_empty() {
        lines.push(format!("you liked {}", join_and(&liked)));
    }
    let disliked = titles(&mut state.disliked().map(|(i, _)| i));
    if !disliked.is_empty() {
        lines.push(format!("you didn't like {}", join_and(&disliked)));
    }
    let anchors = titles(&mut state.anchors.iter().copied());
    if !anchors.is_empty() {
        lines.push(format!("you want something like {}", join_and(&anchors)));
    }
    let wants: Vec<String> = state.constraints.iter().map(describe_constraint).collect();
    if !wants.is_empty() {
        lines.push(format!("you asked for: {}", wants.join(", ")));
    }
    if let Some(query) = state.queries.first() {
        lines.push(format!("you described \"{query}\""));
    }
    let rejected = titles(
        &mut state
            .rejected
            .iter()
            .copied()
            .filter(|i| !state.seen.contains(i) && !state.opinions.contains_key(i)),
    );
    if !rejected.is_empty() {
        lines.push(format!("you turned down {}", join_and(&rejected)));
    }
    let seen = titles(
        &mut state
            .seen
            .iter()
            .copied()
            .filter(|i| !state.opinions.contains_key(i)),
    );
    if !seen.is_empty() {
        lines.push(format!("you've seen {}", join_and(&seen)));
    }
    if lines.is_empty() {
        "I don't know anything about you yet: tell me a film you loved or what you're in the mood for.".to_owned()
    } else {
        format!("Here's what I know: {}.", lines.join("; "))
    }
}

fn ask_text(input: &ReplyInput, ask: &Ask) -> String {
    let engine = input.engine;
    match ask {
        Ask::Resolve(Question::WhichTitle { mention, options }) => {
            let titles: Vec<String> = options.iter().map(|&i| title(engine, i)).collect();
            format!("Which \"{mention}\" do you mean: {}?", join_or(&titles))
        }
        Ask::Resolve(Question::WhichShown { mention }) => {
            let shown = match &input.state.pending {
                Some(open) => &open.options,
                None => &input.state.last_shown,
            };
            if shown.is_empty() {
                format!("I haven't suggested anything yet, so I don't know what \"{mention}\" is. What would you like to watch?")
            } else {
                let options: Vec<String> = shown
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| format!("{} ({})", k + 1, title(engine, i)))
                    .collect();
                format!(
                    "Which one do you mean by \"{mention}\": {}?",
                    join_or(&options)
                )
            }
        }
        Ask::Preferences => {
            let examples = example_requests(engine);
            format!(
                "What are you in the mood for? For example {}, or tell me a film you loved.",
                join_or(&examples)
            )
        }
        Ask::Rephrase => {
            "Sorry, I didn't get that. You can ask for a genre (\"a comedy\"), a period \
             (\"from the 80s\"), \"something like\" a film, say which films you loved or hated, \
             or ask \"why?\" or \"more\"."
                .to_owned()
        }
    }
}

/// Concrete choices for a vague request, from the catalog's most common categories.
fn example_requests(engine: &Engine) -> Vec<String> {
    let mut counts: Vec<(usize, &str)> = engine
        .categories
        .iter()
        .enumerate()
        .map(|(bit, name)| {
            let n = engine
                .category_bits
                .iter()
                .filter(|b| bit < 64 && **b & (1 << bit) != 0)
                .count();
            (n, name.as_str())
        })
        .collect();
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut out: Vec<String> = counts
        .iter()
        .filter(|(_, name)| !name.is_empty() && *name != "unknown")
        .take(3)
        .map(|(_, name)| format!("\"{}\"", name.to_lowercase()))
        .collect();
    out.push("\"something like Star Wars\"".to_owned());
    out
}

fn nothing_fits(input: &ReplyInput) -> String {
    let hard: Vec<String> = input
        .state
        .hard_constraints()
        .map(describe_constraint)
        .collect();
    if hard.is_empty() {
        "I've run out of new suggestions for this. Tell me something else you'd like, or say \"start over\"."
            .to_owned()
    } else {
        format!(
            "Nothing I haven't shown you fits all of: {}. Which of these should I drop?",
            hard.join(", ")
        )
    }
}

fn list_text(input: &ReplyInput) -> String {
    let n = input.items.len();
    let wants: Vec<String> = input
        .state
        .constraints
        .iter()
        .map(describe_constraint)
        .collect();
    let focus = if wants.is_empty() {
        String::new()
    } else {
        format!(" ({})", wants.join(", "))
    };
    let intro = match (input.turn as usize + usize::from(input.effects.more)) % 3 {
        0 if n == 1 => format!("Here is one pick{focus}:"),
        0 => format!("Here are {n} picks{focus}:"),
        1 => format!("You might enjoy these{focus}:"),
        _ => format!("Try these{focus}:"),
    };
    let mut text = intro;
    for (k, shown) in input.items.iter().enumerate() {
        let why = reasons(&shown.evidence, REASONS_IN_LIST);
        let _ = write!(text, "\n{}. {}", k + 1, shown.title);
        if !why.is_empty() {
            let _ = write!(text, " — {}", why.join("; "));
        }
    }
    text
}

fn join_with(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{} {last} {tail}", init.join(", ")),
    }
}

fn join_and(items: &[String]) -> String {
    join_with(items, "and")
}

fn join_or(items: &[String]) -> String {
    join_with(items, "or")
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
