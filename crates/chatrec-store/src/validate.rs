//! Checks shared by both backends, run before anything is written, so that SQLite and
//! PostgreSQL refuse exactly the same input (PostgreSQL cannot store NUL characters, SQLite
//! could: both refuse them).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::error::{Problem, RowError, StoreError, StoreResult};
use crate::types::{Item, NewFeedback, NewSession, NewTurn, PageRequest, User};

/// Longest id (item, user, session) in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Longest item title or category in bytes.
pub const MAX_TITLE_BYTES: usize = 4 * 1024;
/// Longest free text (item text, a user's turn) in bytes.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

pub(crate) fn id(field: &'static str, value: &str) -> Result<(), Problem> {
    if value.is_empty() {
        return Err(Problem::EmptyId { field });
    }
    if value.len() > MAX_ID_BYTES {
        return Err(Problem::TooLong {
            field,
            len: value.len(),
            max: MAX_ID_BYTES,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(Problem::ControlCharacter { field });
    }
    Ok(())
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), Problem> {
    if value.len() > max {
        return Err(Problem::TooLong {
            field,
            len: value.len(),
            max,
        });
    }
    if value.contains('\0') {
        return Err(Problem::NulCharacter { field });
    }
    Ok(())
}

/// Any JSON value without NUL in its strings or keys.
fn json(field: &'static str, value: &Value) -> Result<(), Problem> {
    let has_nul = match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(values) => return values.iter().try_for_each(|v| json(field, v)),
        Value::Object(map) => {
            for (key, v) in map {
                if key.contains('\0') {
                    return Err(Problem::NulCharacter { field });
                }
                json(field, v)?;
            }
            false
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    };
    if has_nul {
        Err(Problem::NulCharacter { field })
    } else {
        Ok(())
    }
}

fn json_object(field: &'static str, value: &Value) -> Result<(), Problem> {
    if !value.is_object() {
        return Err(Problem::NotAJsonObject { field });
    }
    json(field, value)
}

pub(crate) fn item(item: &Item) -> Result<(), Problem> {
    id("item id", &item.id)?;
    text("title", &item.title, MAX_TITLE_BYTES)?;
    for category in &item.categories {
        if category.is_empty() {
            return Err(Problem::EmptyCategory {
                field: "categories",
            });
        }
        text("categories", category, MAX_TITLE_BYTES)?;
    }
    text("text", &item.text, MAX_TEXT_BYTES)?;
    json_object("attributes", &item.attributes)
}

pub(crate) fn user(user: &User) -> Result<(), Problem> {
    id("user id", &user.id)?;
    json_object("attributes", &user.attributes)
}

pub(crate) fn feedback(event: &NewFeedback) -> Result<(), Problem> {
    id("user id", &event.user_id)?;
    id("item id", &event.item_id)?;
    if !event.value.is_finite() {
        return Err(Problem::NonFiniteValue { value: event.value });
    }
    Ok(())
}

pub(crate) fn session(session: &NewSession) -> StoreResult<()> {
    id("session id", &session.id)?;
    if let Some(user_id) = &session.user_id {
        id("user id", user_id)?;
    }
    Ok(())
}

pub(crate) fn turn(session_id: &str, turn: &NewTurn) -> StoreResult<()> {
    id("session id", session_id)?;
    if turn.turn_number == 0 {
        return Err(Problem::TurnNumberZero.into());
    }
    text("user text", &turn.user_text, MAX_TEXT_BYTES)?;
    json("reply", &turn.reply)?;
    Ok(())
}

pub(crate) fn model_metadata(metadata: &Value) -> StoreResult<()> {
    json("metadata", metadata)?;
    Ok(())
}

pub(crate) fn page(page: &PageRequest) -> StoreResult<()> {
    limit(page.limit)
}

/// A page size in `1..=PageRequest::MAX_LIMIT`.
pub(crate) fn limit(limit: u32) -> StoreResult<()> {
    if limit == 0 || limit > PageRequest::MAX_LIMIT {
        return Err(Problem::PageLimit {
            limit,
            max: PageRequest::MAX_LIMIT,
        }
        .into());
    }
    Ok(())
}

/// Checks every row and refuses the batch with all row errors, including ids that occur
/// twice (an upsert batch with two versions of one row is ambiguous).
pub(crate) fn batch<T>(
    rows: &[T],
    row_id: impl Fn(&T) -> &str,
    check_row: impl Fn(&T) -> Result<(), Problem>,
) -> StoreResult<()> {
    let mut errors = Vec::new();
    let mut first_row_of_id: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        if let Err(problem) = check_row(row) {
            errors.push(RowError {
                row: index,
                problem,
            });
            continue;
        }
        let row_key = row_id(row);
        if let Some(&first_row) = first_row_of_id.get(row_key) {
            errors.push(RowError {
                row: index,
                problem: Problem::DuplicateInBatch {
                    id: row_key.to_string(),
                    first_row,
                },
            });
        } else {
            first_row_of_id.insert(row_key, index);
        }
    }
    refuse_if_any(rows.len(), errors)
}

/// The problems of each row of a batch whose rows may repeat (feedback events).
pub(crate) fn row_problems<T>(
    rows: &[T],
    check_row: impl Fn(&T) -> Result<(), Problem>,
) -> Vec<RowError> {
    rows.iter()
        .enumerate()
        .filter_map(|(index, row)| {
            check_row(row).err().map(|problem| RowError {
                row: index,
                problem,
            })
        })
        .collect()
}

pub(crate) fn refuse_if_any(batch_len: usize, rows: Vec<RowError>) -> StoreResult<()> {
    if rows.is_empty() {
        Ok(())
    } else {
        Err(StoreError::InvalidBatch { batch_len, rows })
    }
}

/// Refuses a feedback batch with every row error: the rows' own problems (`refused`) and,
/// for the other rows, users or items not in the store, in row order.
pub(crate) fn refuse_feedback(
    events: &[NewFeedback],
    mut refused: Vec<RowError>,
    user_exists: impl Fn(&str) -> bool,
    item_exists: impl Fn(&str) -> bool,
) -> StoreResult<()> {
    let already_refused: HashSet<usize> = refused.iter().map(|error| error.row).collect();
    for (index, event) in events.iter().enumerate() {
        if already_refused.contains(&index) {
            continue;
        }
        let problem = if !user_exists(&event.user_id) {
            Problem::UnknownUser {
                id: event.user_id.clone(),
            }
        } else if !item_exists(&event.item_id) {
            Problem::UnknownItem {
                id: event.item_id.clone(),
            }
        } else {
            continue;
        };
        refused.push(RowError {
            row: index,
            problem,
        });
    }
    refused.sort_by_key(|error| error.row);
    refuse_if_any(events.len(), refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::FeedbackKind;

    #[test]
    fn ids_are_checked() {
        assert!(id("item id", "i1").is_ok());
        assert_eq!(
            id("item id", ""),
            Err(Problem::EmptyId { field: "item id" })
        );
        assert!(matches!(
            id("item id", &"x".repeat(MAX_ID_BYTES + 1)),
            Err(Problem::TooLong { .. })
        ));
        assert_eq!(
            id("item id", "a\nb"),
            Err(Problem::ControlCharacter { field: "item id" })
        );
    }

    #[test]
    fn nul_is_refused_anywhere_in_json() {
        let nested = serde_json::json!({"a": [1, {"b": "x\u{0}y"}]});
        assert_eq!(
            json("reply", &nested),
            Err(Problem::NulCharacter { field: "reply" })
        );
        let key = serde_json::json!({"a\u{0}": 1});
        assert!(json("reply", &key).is_err());
        assert!(json("reply", &serde_json::json!({"a": [1, "ok"]})).is_ok());
    }

    #[test]
    fn batch_reports_every_bad_row_and_duplicates() {
        let items = vec![
            Item::new("a", "A"),
            Item::new("", "empty"),
            Item::new("a", "again"),
            Item {
                attributes: serde_json::json!([1]),
                ..Item::new("b", "B")
            },
        ];
        let Err(StoreError::InvalidBatch { batch_len, rows }) =
            batch(&items, |item| &item.id, item)
        else {
            panic!("batch should be refused");
        };
        assert_eq!(batch_len, 4);
        let bad_rows: Vec<usize> = rows.iter().map(|row| row.row).collect();
        assert_eq!(bad_rows, vec![1, 2, 3]);
        assert_eq!(
            rows[1].problem,
            Problem::DuplicateInBatch {
                id: "a".into(),
                first_row: 0
            }
        );
    }

    #[test]
    fn feedback_value_must_be_finite() {
        let event = NewFeedback {
            user_id: "u".into(),
            item_id: "i".into(),
            kind: FeedbackKind::Rating,
            value: f32::NAN,
            timestamp_ms: 0,
        };
        assert!(matches!(
            feedback(&event),
            Err(Problem::NonFiniteValue { .. })
        ));
    }

    #[test]
    fn row_errors_serialize_for_http_bodies() {
        let row = RowError {
            row: 3,
            problem: Problem::UnknownItem { id: "i9".into() },
        };
        assert_eq!(
            serde_json::to_value(&row).unwrap_or_default(),
            serde_json::json!({"row": 3, "problem": "unknown_item", "id": "i9"})
        );
    }
}
