//! Whether a written reply stays with its evidence. A reply may reword, but every name and
//! number in it (a capitalised word inside a sentence, any figure) must appear in the
//! draft, the user's words or the items' evidence; every recommended or explained title
//! must be there; and neither the prompt's markup nor a run of words from the
//! instructions may be repeated back.

use std::collections::HashSet;

use chatrec_dialogue::assist::PhraseInput;

use crate::prompt::{evidence_summary, DATA_RULE, PHRASE_SYSTEM, RERANK_SYSTEM, UNDERSTAND_SYSTEM};

/// A reply longer than this is not a chat message.
const MAX_REPLY_CHARS: usize = 1500;
/// This many consecutive words shared with an instruction count as repeating it.
const LEAK_WORDS: usize = 6;

/// The prompt's quoting and chat-role markers, which a reply must not echo.
const MARKUP: &[&str] = &["<data", "</data", "<|", "|>", "[inst]", "<<sys>>"];

/// Words a capitalised position may hold without evidence.
const FREE_WORDS: &[&str] = &["i", "i'm", "i've", "i'd", "i'll", "ok", "okay"];

/// `Ok` when `reply` may be shown for `input`, else the first problem found.
pub fn check_reply(reply: &str, input: &PhraseInput<'_>) -> Result<(), String> {
    let reply = reply.trim();
    if reply.is_empty() {
        return Err("the reply is empty".into());
    }
    if reply.chars().count() > MAX_REPLY_CHARS {
        return Err(format!(
            "the reply is longer than {MAX_REPLY_CHARS} characters"
        ));
    }
    if let Some(words) = repeats_instructions(reply) {
        return Err(format!("the reply repeats the instructions (\"{words}\")"));
    }
    let lowered = reply.to_lowercase();
    if let Some(markup) = MARKUP.iter().find(|m| lowered.contains(*m)) {
        return Err(format!("the reply carries the prompt's markup ({markup})"));
    }
    let folded = fold(reply);
    // An explanation that never names what it explains answers nothing ("The user
    // requested a response ..."), so explained titles are required like recommended ones.
    for shown in input.items.iter().chain(input.explained) {
        let title = fold(bare_title(&shown.title));
        if !folded.contains(&title) {
            return Err(format!("the reply leaves out {}", shown.title));
        }
    }
    let allowed = evidence_words(input);
    for claim in claims(reply) {
        if !allowed.contains(&claim) {
            return Err(format!(
                "the reply says \"{claim}\", which no evidence supports"
            ));
        }
    }
    Ok(())
}

/// A run of [`LEAK_WORDS`] words that the reply shares with any instruction.
pub fn repeats_instructions(reply: &str) -> Option<String> {
    let reply_words = words(reply);
    let reply_runs: HashSet<&[String]> = reply_words.windows(LEAK_WORDS).collect();
    [UNDERSTAND_SYSTEM, RERANK_SYSTEM, PHRASE_SYSTEM, DATA_RULE]
        .iter()
        .flat_map(|instruction| {
            let w = words(instruction);
            w.windows(LEAK_WORDS)
                .find(|run| reply_runs.contains(run))
                .map(|run| run.join(" "))
        })
        .next()
}

/// "Star Wars (1977)" -> "Star Wars": replies may leave the year out.
fn bare_title(title: &str) -> &str {
    match title.rfind(" (") {
        Some(at) if title.ends_with(')') => &title[..at],
        _ => title,
    }
}

/// Lower case, letters and digits only, single spaces.
fn fold(text: &str) -> String {
    words(text).join(" ")
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn evidence_words(input: &PhraseInput<'_>) -> HashSet<String> {
    let mut allowed: HashSet<String> = FREE_WORDS.iter().map(|w| (*w).to_owned()).collect();
    let mut add = |text: &str| allowed.extend(words(text));
    add(input.draft);
    add(input.user_text);
    for shown in input.items.iter().chain(input.explained) {
        add(&shown.title);
        add(&evidence_summary(shown));
        if let Some(item) = input.engine.catalog().items().get(shown.item as usize) {
            add(&item.categories.join(" "));
        }
    }
    allowed
}

/// The words of `reply` that state a fact: figures anywhere, and capitalised words that
/// do not start a sentence.
fn claims(reply: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    for raw in reply.split_whitespace() {
        let word = raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '\''));
        if !word.is_empty() {
            let figure = word.chars().any(|c| c.is_ascii_digit());
            let capitalised = word.chars().next().is_some_and(char::is_uppercase);
            if figure || (capitalised && !sentence_start) {
                out.extend(words(word));
            }
            sentence_start = false;
        }
        if raw.ends_with(['.', '!', '?', ':', ';']) || raw.ends_with(".\"") {
            sentence_start = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inside_sentences_and_figures_are_claims() {
        assert_eq!(
            claims("Try Alien. It was directed by Ridley Scott in 1979!"),
            vec!["alien", "ridley", "scott", "1979"]
        );
        assert!(claims("You will love it.").is_empty());
    }

    #[test]
    fn instructions_repeated_back_are_found() {
        let leak = format!("Sure. {}", &PHRASE_SYSTEM[..120]);
        assert!(repeats_instructions(&leak).is_some());
        assert!(repeats_instructions("Star Wars is a fine space adventure.").is_none());
    }

    #[test]
    fn a_title_may_lose_its_year() {
        assert_eq!(bare_title("Star Wars (1977)"), "Star Wars");
        assert_eq!(bare_title("Se7en"), "Se7en");
    }
}
