//! A model's reranking, checked: every entry must name a candidate, by id or (the paper's
//! failure modes) by a title with a moved article, a missing year or a typo, which the
//! title matcher maps back. Repeats, unknown items and a list of the wrong length make
//! the answer invalid; a longer list is cut to `k`, as the first `k` are the choice.

use chatrec_dialogue::assist::RerankCandidate;
use chatrec_dialogue::Engine;
use serde::Deserialize;

use crate::understand::json_object;

#[derive(Debug, Deserialize)]
struct RawRanking {
    items: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
struct RawEntry {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    reason: String,
}

/// One chosen candidate and the model's reason for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub item: u32,
    pub reason: String,
}

/// The chosen candidates in order, or why the answer cannot be used.
pub fn parse_ranking(
    engine: &Engine,
    candidates: &[RerankCandidate],
    k: usize,
    answer: &str,
) -> Result<Vec<Ranked>, String> {
    let json = json_object(answer).ok_or("the answer holds no JSON object")?;
    let raw: RawRanking = serde_json::from_str(json)
        .map_err(|e| format!("the JSON does not match the schema: {e}"))?;
    let wanted = k.min(candidates.len());
    let mut chosen: Vec<Ranked> = Vec::with_capacity(wanted);
    for entry in raw.items.iter().take(wanted) {
        let item = resolve(engine, candidates, entry)?;
        if chosen.iter().any(|c| c.item == item) {
            return Err(format!(
                "{} is listed twice",
                engine.catalog().items()[item as usize].id
            ));
        }
        chosen.push(Ranked {
            item,
            reason: entry.reason.trim().to_owned(),
        });
    }
    if chosen.len() < wanted {
        return Err(format!("{} items listed, {wanted} wanted", chosen.len()));
    }
    Ok(chosen)
}

fn resolve(
    engine: &Engine,
    candidates: &[RerankCandidate],
    entry: &RawEntry,
) -> Result<u32, String> {
    let items = engine.catalog().items();
    let id = match &entry.id {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if !id.is_empty() {
        if let Some(c) = candidates.iter().find(|c| items[c.item as usize].id == id) {
            return Ok(c.item);
        }
    }
    // A model that wrote a title (in `title`, or in `id`) instead of the id.
    let written = entry.title.as_deref().unwrap_or(&id);
    if !written.is_empty() {
        let found = engine.titles().find(written, 10);
        let best = found
            .matches
            .iter()
            .filter(|m| m.confidence >= chatrec_knowledge::titles::CONFIDENT)
            .find(|m| candidates.iter().any(|c| c.item == m.item));
        if let Some(m) = best {
            return Ok(m.item);
        }
    }
    Err(format!(
        "`{}` is not one of the candidates",
        if id.is_empty() { written } else { &id }
    ))
}
