//! The shapes of structured answers, twice: as JSON Schema (for servers' structured
//! output) and as GBNF (for llama.cpp's constrained sampling, where the grammar also fixes
//! the list length and the set of ids, so a small model cannot name an unknown item).

use serde_json::{json, Value};

use crate::chat::OutputFormat;

/// Acts that take a catalog category as their value.
pub const CATEGORY_ACTS: &[&str] = &["include_category", "exclude_category"];
/// Acts that take a title, a position in the shown list ("#2"), "it" or nothing.
pub const ITEM_ACTS: &[&str] = &[
    "like",
    "loved",
    "liked",
    "disliked",
    "hated",
    "reject",
    "seen",
    "choose",
    "why",
    "tell_more",
];
/// Acts that take free text.
pub const TEXT_ACTS: &[&str] = &["query", "unsupported"];
/// Acts without a value.
pub const BARE_ACTS: &[&str] = &[
    "request",
    "older",
    "newer",
    "more",
    "something_else",
    "start_over",
    "profile",
    "greeting",
];
/// At most this many acts in one turn.
pub const MAX_ACTS: usize = 6;
/// Longest free-text value the grammar lets a model write.
const MAX_VALUE_CHARS: usize = 80;
const MAX_REASON_CHARS: usize = 60;

/// `{"acts":[{"act":"like","value":"Alien"}, …]}`.
pub fn understand_format(categories: &[String]) -> OutputFormat {
    let every_act: Vec<&str> = CATEGORY_ACTS
        .iter()
        .chain(ITEM_ACTS)
        .chain(TEXT_ACTS)
        .chain(BARE_ACTS)
        .chain(["years"].iter())
        .copied()
        .collect();
    let schema = json!({
        "type": "object",
        "properties": {
            "acts": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ACTS,
                "items": {
                    "type": "object",
                    "properties": {
                        "act": { "type": "string", "enum": every_act },
                        "value": { "type": "string" },
                    },
                    "required": ["act", "value"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["acts"],
        "additionalProperties": false,
    });
    let category_values = if categories.is_empty() {
        // A catalog without categories: the category acts cannot be produced.
        "\"\\\"\\\"\"".to_owned()
    } else {
        alternatives(categories.iter().map(String::as_str))
    };
    let grammar = format!(
        r#"root ::= "{{" ws "\"acts\"" ws ":" ws "[" ws act ( ws "," ws act ){{0,{more}}} ws "]" ws "}}"
act ::= category-act | item-act | text-act | bare-act | years-act
category-act ::= "{{" ws "\"act\"" ws ":" ws ( {category_acts} ) ws "," ws "\"value\"" ws ":" ws ( {category_values} ) ws "}}"
item-act ::= "{{" ws "\"act\"" ws ":" ws ( {item_acts} ) ws "," ws "\"value\"" ws ":" ws value ws "}}"
text-act ::= "{{" ws "\"act\"" ws ":" ws ( {text_acts} ) ws "," ws "\"value\"" ws ":" ws value ws "}}"
bare-act ::= "{{" ws "\"act\"" ws ":" ws ( {bare_acts} ) ws "," ws "\"value\"" ws ":" ws "\"\"" ws "}}"
years-act ::= "{{" ws "\"act\"" ws ":" ws "\"years\"" ws "," ws "\"value\"" ws ":" ws "\"" year? "-" year? "\"" ws "}}"
year ::= [12] [0-9] [0-9] [0-9]
{value}
{ws}"#,
        more = MAX_ACTS - 1,
        category_acts = alternatives(CATEGORY_ACTS.iter().copied()),
        item_acts = alternatives(ITEM_ACTS.iter().copied()),
        text_acts = alternatives(TEXT_ACTS.iter().copied()),
        bare_acts = alternatives(BARE_ACTS.iter().copied()),
        value = string_rule("value", MAX_VALUE_CHARS),
        ws = WS_RULE,
    );
    OutputFormat::Json {
        name: "turn_acts".into(),
        schema,
        grammar,
    }
}

/// `{"items":[{"id":"50","reason":"…"}, …]}` with exactly `k` items whose ids are among
/// `ids`.
pub fn rerank_format(ids: &[String], k: usize) -> OutputFormat {
    let k = k.max(1);
    let schema = json!({
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "minItems": k,
                "maxItems": k,
                "items": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string", "enum": ids },
                        "reason": { "type": "string" },
                    },
                    "required": ["id", "reason"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["items"],
        "additionalProperties": false,
    });
    let grammar = format!(
        r#"root ::= "{{" ws "\"items\"" ws ":" ws "[" ws item ( ws "," ws item ){{{more}}} ws "]" ws "}}"
item ::= "{{" ws "\"id\"" ws ":" ws id ws "," ws "\"reason\"" ws ":" ws reason ws "}}"
id ::= {ids}
reason ::= "\"" [a-zA-Z ,.;'()-]{{0,{MAX_REASON_CHARS}}} "\""
{ws}"#,
        more = k - 1,
        ids = alternatives(ids.iter().map(String::as_str)),
        ws = WS_RULE,
    );
    OutputFormat::Json {
        name: "reranked_items".into(),
        schema,
        grammar,
    }
}

const WS_RULE: &str = r#"ws ::= [ \t\n]{0,2}"#;

/// A JSON string of at most `max` characters, without control characters.
fn string_rule(name: &str, max: usize) -> String {
    format!(r#"{name} ::= "\"" ( [^"\\\x00-\x1f] | "\\" ["\\/bfnrt] ){{0,{max}}} "\"""#)
}

/// `"\"a\"" | "\"b\""`: each value as a JSON string, quoted as a GBNF literal.
fn alternatives<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values
        .map(|v| gbnf_literal(&Value::String(v.to_owned()).to_string()))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn gbnf_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_quote_json_strings_for_gbnf() {
        assert_eq!(alternatives(["Sci-Fi"].into_iter()), r#""\"Sci-Fi\"""#);
        assert_eq!(
            alternatives([r#"a "b" \ c"#].into_iter()),
            r#""\"a \\\"b\\\" \\\\ c\"""#
        );
    }

    #[test]
    fn the_rerank_grammar_fixes_the_list_length_and_the_ids() {
        let ids = vec!["50".to_owned(), "181".to_owned()];
        let OutputFormat::Json {
            grammar, schema, ..
        } = rerank_format(&ids, 3)
        else {
            panic!("rerank asks for JSON");
        };
        assert!(grammar.contains(r#"( ws "," ws item ){2}"#));
        assert!(grammar.contains(r#"id ::= "\"50\"" | "\"181\"""#));
        assert_eq!(schema["properties"]["items"]["minItems"], 3);
        assert_eq!(
            schema["properties"]["items"]["items"]["properties"]["id"]["enum"][1],
            "181"
        );
    }
}
