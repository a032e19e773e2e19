//! Building blocks shared by the loaders: reading records with line numbers, recording
//! row issues, parsing numbers, and collecting interactions into a [`Dataset`].

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use csv::ByteRecord;

use super::{
    ColumnMapping, ImportError, ImportOptions, ImportReport, RowIssue, MAX_REPORTED_ISSUES,
};
use crate::catalog::Catalog;
use crate::dataset::{Dataset, Interaction};
use crate::ids::IdMap;

/// The multiply-rotate hash of rustc (FxHash) with a final avalanche. Import hashes two
/// ids and one pair per row; SipHash's resistance to crafted collisions buys nothing for
/// local files and costs a large share of import time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The multiply step leaves the low bits depending only on low input bits, and
    /// hashbrown picks buckets by the low bits: without this avalanche step, ids such as
    /// "123456" that differ only in later bytes all collide. The final mix is
    /// MurmurHash3's fmix64.
    #[inline]
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// Ids in first-seen order with their dense staging index.
#[derive(Default, Clone)]
pub(crate) struct StagingIds {
    ids: Vec<Box<str>>,
    index: HashMap<Box<str>, u32, FxBuild>,
}

impl StagingIds {
    fn from_id_map(map: &IdMap) -> Self {
        let mut staging = StagingIds::default();
        for id in map.ids() {
            staging.get_or_insert(id);
        }
        staging
    }

    #[inline]
    fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    #[inline]
    fn get_or_insert(&mut self, id: &str) -> u32 {
        if let Some(&idx) = self.index.get(id) {
            return idx;
        }
        // 2^32 distinct ids would need hundreds of GiB before reaching this limit;
        // saturating keeps the code panic-free without a dead error path.
        let idx = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        let boxed: Box<str> = id.into();
        self.ids.push(boxed.clone());
        self.index.insert(boxed, idx);
        idx
    }

    fn id(&self, idx: u32) -> &str {
        &self.ids[idx as usize]
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

/// The RecBole field types; a header suffix `:<type>` is only stripped when it is one of
/// these, so that a column genuinely named `a:b` keeps its name.
pub(crate) const RECBOLE_TYPES: [&str; 4] = ["token", "float", "token_seq", "float_seq"];

/// The line on which each catalog id (item or user) was first defined: the first
/// definition wins and a repeated one is a row issue that names both lines.
#[derive(Default)]
pub(crate) struct FirstDefinitions(std::collections::HashMap<String, usize>);

impl FirstDefinitions {
    /// Records `id` as defined on `line`, or says where it was defined first.
    pub(crate) fn claim(&mut self, kind: &str, id: &str, line: usize) -> Result<(), String> {
        match self.0.get(id) {
            Some(first) => Err(format!("{kind} \"{id}\" already defined on line {first}")),
            None => {
                self.0.insert(id.to_owned(), line);
                Ok(())
            }
        }
    }
}

/// Records of a delimited file with the line each starts on.
pub(crate) struct Records {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    pub(crate) record: ByteRecord,
}

impl Records {
    /// Opens `path`. `quoting` turns on CSV double-quote handling; tab- and pipe-separated
    /// files are read raw because their fields may contain quotes.
    pub(crate) fn open(path: &Path, delimiter: u8, quoting: bool) -> Result<Self, ImportError> {
        let file = File::open(path).map_err(|e| ImportError::io(path, e))?;
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .quoting(quoting)
            .has_headers(false)
            .flexible(true)
            .from_reader(BufReader::new(file));
        Ok(Records {
            path: path.to_path_buf(),
            reader,
            record: ByteRecord::new(),
        })
    }

    /// Reads the next non-blank record into `self.record`; returns its 1-based line.
    pub(crate) fn next_record(&mut self) -> Result<Option<usize>, ImportError> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => Ok(Some(
                self.record.position().map_or(0, |p| p.line() as usize),
            )),
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line() as usize);
                // With flexible byte records the csv crate only fails on I/O; any other
                // kind would be a csv-crate change, reported rather than unwrapped.
                match err.into_kind() {
                    csv::ErrorKind::Io(source) => Err(ImportError::io(&self.path, source)),
                    other => Err(ImportError::Row {
                        file: self.path.clone(),
                        line,
                        message: format!("unreadable record: {other:?}"),
                    }),
                }
            }
        }
    }

    /// Reads the header record as trimmed UTF-8 names; an empty file is unusable.
    pub(crate) fn header(&mut self) -> Result<Vec<String>, ImportError> {
        if self.next_record()?.is_none() {
            return Err(ImportError::unusable(&self.path, "file is empty"));
        }
        let mut names = Vec::with_capacity(self.record.len());
        for (i, raw) in self.record.iter().enumerate() {
            let raw = if i == 0 {
                raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw)
            } else {
                raw
            };
            let name = std::str::from_utf8(raw).map_err(|_| {
                ImportError::unusable(
                    &self.path,
                    format!("line 1: header column {} is not valid UTF-8", i + 1),
                )
            })?;
            names.push(name.trim().to_owned());
        }
        Ok(names)
    }
}

/// Removes a RecBole type suffix such as `:token` from a header name.
pub(crate) fn strip_recbole_type(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((base, ty)) if RECBOLE_TYPES.contains(&ty) => base,
        _ => name,
    }
}

/// Field `index` of a record as trimmed UTF-8, or a message naming the column.
pub(crate) fn utf8_field<'r>(
    record: &'r ByteRecord,
    index: usize,
    column: &str,
) -> Result<&'r str, String> {
    let raw = record.get(index).unwrap_or_default();
    std::str::from_utf8(raw).map(str::trim).map_err(|e| {
        format!(
            "invalid UTF-8 in column \"{column}\" at byte {}",
            e.valid_up_to()
        )
    })
}

/// Checks that a record has exactly `expected` fields.
pub(crate) fn check_width(record: &ByteRecord, expected: usize) -> Result<(), String> {
    if record.len() == expected {
        Ok(())
    } else {
        Err(format!(
            "expected {expected} columns, found {}",
            record.len()
        ))
    }
}

/// Parses a rating: any finite number.
pub(crate) fn parse_rating(text: &str, column: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!(
            "expected a number in column \"{column}\", found \"{}\"",
            shorten(text)
        )),
    }
}

/// Parses a timestamp in seconds: an integer, or a float (RecBole writes `float`) whose
/// fraction is dropped.
pub(crate) fn parse_timestamp(text: &str, column: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(v) = text.parse::<i64>() {
        return Ok(v);
    }
    match text.parse::<f64>() {
        // The bounds keep the cast exact instead of saturating silently.
        Ok(v) if v.is_finite() && v.abs() < 9.0e15 => Ok(v.trunc() as i64),
        _ => Err(format!(
            "expected a timestamp (seconds, a number) in column \"{column}\", found \"{}\"",
            shorten(text)
        )),
    }
}

/// A value quoted in a message, cut so that one huge field cannot flood the report.
pub(crate) fn shorten(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(LIMIT).collect();
        format!("{cut}...")
    }
}

/// Bad rows: fatal in strict mode, collected otherwise.
#[derive(Debug, Default)]
pub(crate) struct IssueLog {
    strict: bool,
    pub(crate) skipped: usize,
    pub(crate) issues: Vec<RowIssue>,
}

impl IssueLog {
    pub(crate) fn new(strict: bool) -> Self {
        IssueLog {
            strict,
            ..IssueLog::default()
        }
    }

    /// Records a bad row; in strict mode returns it as the error instead.
    pub(crate) fn skip(
        &mut self,
        file: &Path,
        line: usize,
        message: impl Into<String>,
    ) -> Result<(), ImportError> {
        let message = message.into();
        if self.strict {
            return Err(ImportError::Row {
                file: file.to_path_buf(),
                line,
                message,
            });
        }
        self.skipped += 1;
        if self.issues.len() < MAX_REPORTED_ISSUES {
            self.issues.push(RowIssue {
                file: file.to_path_buf(),
                line,
                message,
            });
        }
        Ok(())
    }

    /// The error for a file none of whose `rows` data rows was usable, quoting its first
    /// recorded problem when one was kept.
    pub(crate) fn no_valid_rows(&self, file: &Path, kind: &str, rows: usize) -> ImportError {
        let reason = if rows == 0 {
            "no data rows after the header".to_owned()
        } else {
            match self.issues.iter().find(|i| i.file == file) {
                Some(issue) => format!("none of the {rows} {kind} rows is valid; first: {issue}"),
                None => format!("none of the {rows} {kind} rows is valid"),
            }
        };
        ImportError::unusable(file, reason)
    }
}

/// Where the named columns of an interaction file are.
#[derive(Debug, Clone)]
pub(crate) struct InteractionColumns {
    pub(crate) width: usize,
    pub(crate) user: (usize, String),
    pub(crate) item: (usize, String),
    pub(crate) rating: Option<(usize, String)>,
    pub(crate) timestamp: Option<(usize, String)>,
}

impl InteractionColumns {
    /// Locates the mapped columns in `header` (type suffixes already stripped). Without an
    /// explicit mapping the rating and timestamp columns are optional.
    pub(crate) fn locate(
        file: &Path,
        header: &[String],
        options: &ImportOptions,
    ) -> Result<Self, ImportError> {
        match &options.mapping {
            Some(mapping) => Self::locate_mapping(file, header, mapping, true),
            None => Self::locate_mapping(file, header, &ColumnMapping::default(), false),
        }
    }

    /// Locates `mapping` in `header`; rating and timestamp columns are required only when
    /// `all_required`.
    pub(crate) fn locate_mapping(
        file: &Path,
        header: &[String],
        mapping: &ColumnMapping,
        all_required: bool,
    ) -> Result<Self, ImportError> {
        let find = |name: &str| header.iter().position(|h| h == name);
        let missing = |name: &str| {
            let found: Vec<String> = header.iter().map(|h| format!("\"{h}\"")).collect();
            ImportError::unusable(
                file,
                format!(
                    "missing column \"{name}\" in the header (found: {})",
                    found.join(", ")
                ),
            )
        };
        let user = find(&mapping.user).ok_or_else(|| missing(&mapping.user))?;
        let item = find(&mapping.item).ok_or_else(|| missing(&mapping.item))?;
        let optional = |name: &Option<String>| -> Result<Option<(usize, String)>, ImportError> {
            match name {
                None => Ok(None),
                Some(n) => match find(n) {
                    Some(i) => Ok(Some((i, n.clone()))),
                    None if all_required => Err(missing(n)),
                    None => Ok(None),
                },
            }
        };
        Ok(InteractionColumns {
            width: header.len(),
            user: (user, mapping.user.clone()),
            item: (item, mapping.item.clone()),
            rating: optional(&mapping.rating)?,
            timestamp: optional(&mapping.timestamp)?,
        })
    }

    /// Parses one record into (user, item, value, timestamp).
    pub(crate) fn parse<'r>(
        &self,
        record: &'r ByteRecord,
    ) -> Result<(&'r str, &'r str, f32, i64), String> {
        check_width(record, self.width)?;
        let user = utf8_field(record, self.user.0, &self.user.1)?;
        let item = utf8_field(record, self.item.0, &self.item.1)?;
        if user.is_empty() {
            return Err(format!("empty user id in column \"{}\"", self.user.1));
        }
        if item.is_empty() {
            return Err(format!("empty item id in column \"{}\"", self.item.1));
        }
        let value = match &self.rating {
            Some((i, name)) => parse_rating(utf8_field(record, *i, name)?, name)?,
            None => 1.0,
        };
        let timestamp = match &self.timestamp {
            Some((i, name)) => parse_timestamp(utf8_field(record, *i, name)?, name)?,
            None => 0,
        };
        Ok((user, item, value, timestamp))
    }
}

#[derive(Debug, Clone, Copy)]
struct Staged {
    user: u32,
    item: u32,
    value: f32,
    timestamp: i64,
    line: usize,
}

/// Why an interaction was refused.
pub(crate) enum Refused {
    UnknownItem,
}

/// Interactions gathered row by row, resolved into a [`Dataset`] at the end.
///
/// Ids are staged in local maps so that users and items seen only in rows that end up
/// dropped (duplicates, `min_rating`) never reach the catalog.
pub(crate) struct InteractionCollector {
    file: PathBuf,
    users: StagingIds,
    last_user: Option<(String, u32)>,
    items: StagingIds,
    /// Items come from an item file: interactions may not add new ones.
    items_closed: bool,
    staged: Vec<Staged>,
    /// `user << 32 | item` to the position of the pair in `staged`.
    pair_index: HashMap<u64, usize, FxBuild>,
    pub(crate) rows: usize,
    duplicates: usize,
    duplicate_examples: Vec<RowIssue>,
    has_ratings: bool,
    has_timestamps: bool,
}

impl InteractionCollector {
    /// `catalog_items` holds the ids of an item file, or `None` when there is none.
    pub(crate) fn new(
        file: &Path,
        catalog_items: Option<&IdMap>,
        has_ratings: bool,
        has_timestamps: bool,
    ) -> Self {
        InteractionCollector {
            file: file.to_path_buf(),
            users: StagingIds::default(),
            last_user: None,
            items: catalog_items
                .map(StagingIds::from_id_map)
                .unwrap_or_default(),
            items_closed: catalog_items.is_some(),
            staged: Vec::new(),
            pair_index: HashMap::default(),
            rows: 0,
            duplicates: 0,
            duplicate_examples: Vec::new(),
            has_ratings,
            has_timestamps,
        }
    }

    /// Adds one event; a repeated pair keeps the later event (by timestamp, then line).
    pub(crate) fn push(
        &mut self,
        user: &str,
        item: &str,
        value: f32,
        timestamp: i64,
        line: usize,
    ) -> Result<(), Refused> {
        let item = if self.items_closed {
            self.items.get(item).ok_or(Refused::UnknownItem)?
        } else {
            self.items.get_or_insert(item)
        };
        // Rating files are usually grouped by user (MovieLens sorts them so): comparing
        // with the previous row's user saves most user lookups.
        let user = match &self.last_user {
            Some((id, idx)) if id.as_str() == user => *idx,
            _ => {
                let idx = self.users.get_or_insert(user);
                let last = self.last_user.get_or_insert_with(|| (String::new(), idx));
                last.0.clear();
                last.0.push_str(user);
                last.1 = idx;
                idx
            }
        };
        let event = Staged {
            user,
            item,
            value,
            timestamp,
            line,
        };
        let pair = (u64::from(user) << 32) | u64::from(item);
        match self.pair_index.get(&pair) {
            Some(&at) => {
                self.duplicates += 1;
                let old = self.staged[at];
                let (kept, lost) = if timestamp >= old.timestamp {
                    self.staged[at] = event;
                    (event.line, old.line)
                } else {
                    (old.line, event.line)
                };
                if self.duplicate_examples.len() < super::MAX_REPORTED_ISSUES {
                    self.duplicate_examples.push(RowIssue {
                        file: self.file.clone(),
                        line: lost,
                        message: format!(
                            "user \"{}\" and item \"{}\" again on line {kept}, which is kept",
                            self.users.id(user),
                            self.items.id(item)
                        ),
                    });
                }
            }
            None => {
                self.pair_index.insert(pair, self.staged.len());
                self.staged.push(event);
            }
        }
        Ok(())
    }

    /// Resolves the staged events into `catalog`, applies `min_rating`, and fills the
    /// interaction part of `report`.
    pub(crate) fn finish(
        self,
        mut catalog: Catalog,
        options: &ImportOptions,
        log: &IssueLog,
        report: &mut ImportReport,
    ) -> Result<Dataset, ImportError> {
        if self.staged.is_empty() {
            return Err(log.no_valid_rows(&self.file, "interaction", self.rows));
        }
        let mut user_slot: Vec<Option<u32>> = vec![None; self.users.len()];
        let mut item_slot: Vec<Option<u32>> = vec![None; self.items.len()];
        let mut interactions = Vec::with_capacity(self.staged.len());
        let mut below_min_rating = 0;
        for event in &self.staged {
            if let Some(min) = options.min_rating {
                if event.value < min {
                    below_min_rating += 1;
                    continue;
                }
            }
            let user = *user_slot[event.user as usize]
                .get_or_insert_with(|| catalog.user_index_or_insert(self.users.id(event.user)));
            let item = *item_slot[event.item as usize]
                .get_or_insert_with(|| catalog.item_index_or_insert(self.items.id(event.item)));
            interactions.push(Interaction {
                user,
                item,
                value: event.value,
                timestamp: event.timestamp,
            });
        }
        if interactions.is_empty() {
            return Err(ImportError::unusable(
                &self.file,
                format!(
                    "all {} interactions are below the minimum rating {}",
                    below_min_rating,
                    options.min_rating.unwrap_or_default()
                ),
            ));
        }
        report.rows = self.rows;
        report.interactions = interactions.len();
        report.duplicates = self.duplicates;
        report.duplicate_examples = self.duplicate_examples;
        report.below_min_rating = below_min_rating;
        Ok(Dataset {
            catalog,
            interactions,
            has_ratings: self.has_ratings,
            has_timestamps: self.has_timestamps,
        })
    }
}

/// Rejects `min_rating` when the data carries no ratings to compare with.
pub(crate) fn check_min_rating(
    file: &Path,
    options: &ImportOptions,
    has_ratings: bool,
) -> Result<(), ImportError> {
    match options.min_rating {
        Some(min) if !min.is_finite() => Err(ImportError::InvalidOptions(format!(
            "min_rating must be a finite number, got {min}"
        ))),
        Some(_) if !has_ratings => Err(ImportError::InvalidOptions(format!(
            "min_rating needs ratings, but {} has no rating column",
            super::file_label(file)
        ))),
        _ => Ok(()),
    }
}

/// Reads every remaining record of an interaction file into `collector`, skipping bad
/// rows through `log`. `item_file` names the item file for unknown-item messages.
pub(crate) fn collect_interactions(
    path: &Path,
    records: &mut Records,
    columns: &InteractionColumns,
    collector: &mut InteractionCollector,
    log: &mut IssueLog,
    item_file: &str,
) -> Result<(), ImportError> {
    while let Some(line) = records.next_record()? {
        collector.rows += 1;
        let outcome = columns
            .parse(&records.record)
            .and_then(|(user, item, value, ts)| {
                collector
                    .push(user, item, value, ts, line)
                    .map_err(|Refused::UnknownItem| {
                        format!("item \"{}\" is not in {item_file}", shorten(item))
                    })
            });
        if let Err(message) = outcome {
            log.skip(path, line, message)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn hash_spreads_decimal_ids_over_low_bits() {
        // Buckets come from the low bits; 65,536 ids into 65,536 buckets should fill
        // about 1 - 1/e = 63% of them when the hash behaves randomly.
        let build = FxBuild::default();
        let buckets: HashSet<u64> = (100_000..165_536u32)
            .map(|id| build.hash_one(id.to_string().as_str()) & 0xffff)
            .collect();
        assert!(buckets.len() > 40_000, "{} buckets used", buckets.len());
    }

    #[test]
    fn numbers_parse_strictly() {
        assert_eq!(parse_timestamp("881250949", "t"), Ok(881_250_949));
        assert_eq!(parse_timestamp(" 881250949.9 ", "t"), Ok(881_250_949));
        assert!(parse_timestamp("1e300", "t").is_err());
        assert!(parse_timestamp("", "t").is_err());
        assert_eq!(parse_rating("4.5", "r"), Ok(4.5));
        assert!(parse_rating("-inf", "r").is_err());
        assert_eq!(strip_recbole_type("user_id:token"), "user_id");
        assert_eq!(strip_recbole_type("a:b"), "a:b");
        assert_eq!(shorten(&"x".repeat(50)), format!("{}...", "x".repeat(40)));
    }
}
