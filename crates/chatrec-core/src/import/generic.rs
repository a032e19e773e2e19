//! Generic interaction files: one CSV/TSV file with a header, or JSON Lines, mapped by a
//! [`ColumnMapping`](super::ColumnMapping). There is no item or user file, so every id
//! found becomes a bare item or an attribute-less user.
//!
//! CSV/TSV headers may carry RecBole type suffixes (`user_id:token`), which are stripped;
//! columns the mapping does not name are ignored. The delimiter, when not given, is the
//! most frequent of tab, comma, semicolon and `|` in the header line. Comma- and
//! semicolon-separated files honour CSV double quotes; tab- and pipe-separated files are
//! read raw, as TSV writers do not quote.
//!
//! JSON Lines hold one object per line; ids may be strings or numbers, ratings and
//! timestamps numbers or numeric strings. Without an explicit mapping, the first object
//! decides whether the file has ratings and timestamps: when it has the field, every
//! object must have it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

use super::reader::{
    check_min_rating, collect_interactions, parse_rating, parse_timestamp, shorten,
    strip_recbole_type, InteractionCollector, InteractionColumns, IssueLog, Records, Refused,
};
use super::{ColumnMapping, ImportError, ImportOptions, ImportReport};
use crate::catalog::Catalog;
use crate::dataset::Dataset;

const DELIMITER_CANDIDATES: [u8; 4] = [b'\t', b',', b';', b'|'];

/// The most frequent of tab, comma, semicolon and `|` in `header_line`; `None` when none
/// occurs. Ties go to the earlier candidate in that list.
pub fn detect_delimiter(header_line: &[u8]) -> Option<u8> {
    let mut best: Option<(u8, usize)> = None;
    for candidate in DELIMITER_CANDIDATES {
        let count = header_line.iter().filter(|&&b| b == candidate).count();
        if count > 0 && !matches!(best, Some((_, c)) if c >= count) {
            best = Some((candidate, count));
        }
    }
    best.map(|(d, _)| d)
}

/// The first line of `path` (up to 64 KiB), without its line ending.
pub(super) fn first_line(path: &Path) -> Result<Vec<u8>, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut reader = BufReader::new(file).take(64 * 1024);
    let mut line = Vec::new();
    reader
        .read_until(b'\n', &mut line)
        .map_err(|e| ImportError::io(path, e))?;
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(line)
}

/// Loads a CSV/TSV interaction file with a header. `delimiter` `None` detects it.
pub fn load_delimited(
    path: &Path,
    delimiter: Option<u8>,
    options: &ImportOptions,
) -> Result<(Dataset, ImportReport), ImportError> {
    let delimiter = match delimiter {
        Some(d) => d,
        None => {
            let header_line = first_line(path)?;
            if header_line.iter().all(u8::is_ascii_whitespace) {
                return Err(ImportError::unusable(path, "file is empty"));
            }
            detect_delimiter(&header_line).ok_or_else(|| {
                ImportError::unusable(
                    path,
                    "line 1: the header has a single column; expected column names \
                     separated by tab, comma, semicolon or |",
                )
            })?
        }
    };
    let quoting = matches!(delimiter, b',' | b';');
    let mut records = Records::open(path, delimiter, quoting)?;
    let header: Vec<String> = records
        .header()?
        .iter()
        .map(|h| strip_recbole_type(h).to_owned())
        .collect();
    let columns = InteractionColumns::locate(path, &header, options)?;
    check_min_rating(path, options, columns.rating.is_some())?;
    let mut log = IssueLog::new(options.strict);
    let mut collector = InteractionCollector::new(
        path,
        None,
        columns.rating.is_some(),
        columns.timestamp.is_some(),
    );
    collect_interactions(path, &mut records, &columns, &mut collector, &mut log, "")?;
    let mut report = ImportReport {
        files: vec![path.to_path_buf()],
        ..ImportReport::default()
    };
    let dataset = collector.finish(Catalog::new(), options, &log, &mut report)?;
    report.skipped = log.skipped;
    report.issues = log.issues;
    Ok((dataset, report))
}

/// An id field: a non-empty string or a number, as text.
fn json_id(object: &serde_json::Map<String, Value>, field: &str) -> Result<String, String> {
    match object.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(other) => Err(format!(
            "expected a string or number in field \"{field}\", found {}",
            shorten(&other.to_string())
        )),
        None => Err(format!("missing field \"{field}\"")),
    }
}

/// A numeric field given as a number or a numeric string, as text for the shared parsers.
fn json_number_text(
    object: &serde_json::Map<String, Value>,
    field: &str,
) -> Result<String, String> {
    match object.get(field) {
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "expected a number in field \"{field}\", found {}",
            shorten(&other.to_string())
        )),
        None => Err(format!("missing field \"{field}\"")),
    }
}

/// One JSON object as (user, item, value, timestamp).
fn parse_json_row(
    object: &serde_json::Map<String, Value>,
    mapping: &ColumnMapping,
    rating_field: Option<&str>,
    timestamp_field: Option<&str>,
) -> Result<(String, String, f32, i64), String> {
    let user = json_id(object, &mapping.user)?;
    let item = json_id(object, &mapping.item)?;
    let value = match rating_field {
        Some(f) => parse_rating(&json_number_text(object, f)?, f)?,
        None => 1.0,
    };
    let timestamp = match timestamp_field {
        Some(f) => parse_timestamp(&json_number_text(object, f)?, f)?,
        None => 0,
    };
    Ok((user, item, value, timestamp))
}

/// Loads a JSON Lines interaction file.
pub fn load_json_lines(
    path: &Path,
    options: &ImportOptions,
) -> Result<(Dataset, ImportReport), ImportError> {
    let explicit = options.mapping.is_some();
    let mapping = options.mapping.clone().unwrap_or_default();
    let file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut reader = BufReader::new(file);
    let mut log = IssueLog::new(options.strict);
    let mut buffer = Vec::new();
    let mut line_no = 0;
    // Decided by the first object unless the mapping is explicit.
    let mut fields: Option<(Option<String>, Option<String>)> =
        explicit.then(|| (mapping.rating.clone(), mapping.timestamp.clone()));
    let mut collector: Option<InteractionCollector> = None;
    let mut rows = 0;
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| ImportError::io(path, e))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        if buffer.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        rows += 1;
        let object = match serde_json::from_slice::<Value>(&buffer) {
            Ok(Value::Object(object)) => object,
            Ok(other) => {
                let kind = match other {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                log.skip(
                    path,
                    line_no,
                    format!("expected a JSON object, found {kind}"),
                )?;
                continue;
            }
            Err(e) => {
                log.skip(path, line_no, format!("expected a JSON object: {e}"))?;
                continue;
            }
        };
        let (rating_field, timestamp_field) = fields
            .get_or_insert_with(|| {
                let present = |f: &Option<String>| f.clone().filter(|f| object.contains_key(f));
                (present(&mapping.rating), present(&mapping.timestamp))
            })
            .clone();
        if collector.is_none() {
            check_min_rating(path, options, rating_field.is_some())?;
        }
        let collector = collector.get_or_insert_with(|| {
            InteractionCollector::new(
                path,
                None,
                rating_field.is_some(),
                timestamp_field.is_some(),
            )
        });
        collector.rows = rows;
        let parsed = parse_json_row(
            &object,
            &mapping,
            rating_field.as_deref(),
            timestamp_field.as_deref(),
        );
        let outcome = parsed.and_then(|(user, item, value, timestamp)| {
            collector
                .push(&user, &item, value, timestamp, line_no)
                .map_err(|Refused::UnknownItem| format!("unknown item \"{}\"", shorten(&item)))
        });
        if let Err(message) = outcome {
            log.skip(path, line_no, message)?;
        }
    }
    let Some(mut collector) = collector else {
        return Err(if rows == 0 {
            ImportError::unusable(path, "file is empty")
        } else {
            log.no_valid_rows(path, "JSON", rows)
        });
    };
    collector.rows = rows;
    let mut report = ImportReport {
        files: vec![path.to_path_buf()],
        ..ImportReport::default()
    };
    let dataset = collector.finish(Catalog::new(), options, &log, &mut report)?;
    report.skipped = log.skipped;
    report.issues = log.issues;
    Ok((dataset, report))
}

/// The `(user_id, item_id)` pairs of a CSV/TSV file with a header naming `user_id` and
/// `item_id` (RecBole type suffixes accepted, other columns ignored), in file order with
/// repeats kept: the pairs to predict in `chatrec batch-predict`. Any malformed row is an
/// error naming its line, because a silently skipped pair would shift every later
/// prediction against its request.
pub fn read_pairs(path: &Path) -> Result<Vec<(String, String)>, ImportError> {
    let header_line = first_line(path)?;
    let delimiter = detect_delimiter(&header_line).unwrap_or(b'\t');
    let quoting = matches!(delimiter, b',' | b';');
    let mut records = Records::open(path, delimiter, quoting)?;
    let header = records.header()?;
    let position = |wanted: &str| {
        header
            .iter()
            .position(|name| strip_recbole_type(name) == wanted)
            .ok_or_else(|| {
                ImportError::unusable(
                    path,
                    format!(
                        "line 1: no `{wanted}` column (found: {})",
                        header.join(", ")
                    ),
                )
            })
    };
    let (user_col, item_col) = (position("user_id")?, position("item_id")?);
    let mut pairs = Vec::new();
    while let Some(line) = records.next_record()? {
        let row_error = |message: String| ImportError::Row {
            file: path.to_path_buf(),
            line,
            message,
        };
        if records.record.len() != header.len() {
            return Err(row_error(format!(
                "expected {} columns, found {}",
                header.len(),
                records.record.len()
            )));
        }
        let user =
            super::reader::utf8_field(&records.record, user_col, "user_id").map_err(row_error)?;
        let item =
            super::reader::utf8_field(&records.record, item_col, "item_id").map_err(row_error)?;
        if user.is_empty() || item.is_empty() {
            return Err(row_error(
                "expected a user_id and an item_id, found an empty field".into(),
            ));
        }
        pairs.push((user.to_owned(), item.to_owned()));
    }
    Ok(pairs)
}
