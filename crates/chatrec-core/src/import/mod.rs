//! Importing data sets from files into a [`Dataset`].
//!
//! Supported formats, each with its own loader and picked automatically by [`load_path`]:
//!
//! | format | files | loader |
//! |---|---|---|
//! | RecBole atomic files | `<name>.inter` (required), `<name>.item`, `<name>.user` | [`load_recbole`] |
//! | MovieLens 100K (native) | `u.data` (required), `u.item`, `u.user`, `u.genre` | [`load_movielens_100k`] |
//! | MovieLens latest (CSV) | `ratings.csv` (required), `movies.csv`, `tags.csv` | [`load_movielens_latest`] |
//! | generic interactions | one CSV / TSV file with a header | [`load_delimited`] |
//! | generic interactions | one JSON Lines file, one object per line | [`load_json_lines`] |
//!
//! RecBole's `.kg` and `.link` files are left to the knowledge layer and ignored here.
//!
//! # Guarantees
//!
//! * A loader returns a complete [`Dataset`] or an error; it never panics on bad input and
//!   never hands back a half-built data set (all state is local until the end).
//! * Dense indices follow file order: items of the item file first, in file order, then
//!   items only named by interactions (allowed only when there is no item file). Users of a
//!   user file come first, then users seen only in interactions, in order of their first
//!   kept interaction. Interactions keep the order of the first event of each pair.
//! * Bad rows (wrong column count, a rating or timestamp that is not a finite number,
//!   invalid UTF-8, an unknown item when an item file exists, a repeated catalog id) are
//!   [`RowIssue`]s naming file, 1-based line and what was expected. With
//!   [`ImportOptions::strict`] the first one is returned as [`ImportError::Row`]; otherwise
//!   the row is skipped, counted and the first [`MAX_REPORTED_ISSUES`] are kept in the
//!   [`ImportReport`].
//! * A file that is unusable as a whole (empty, no header, a required column missing, no
//!   valid row) is an [`ImportError::Unusable`] even in lenient mode.
//! * Users named by interactions but absent from a user file are accepted and get no
//!   attributes: user files commonly describe only part of the users (privacy, sampling),
//!   and rejecting their interactions would lose real data.
//! * Repeated (user, item) pairs are not errors: the event with the latest timestamp wins,
//!   and among equal timestamps the later line wins. They are counted in
//!   [`ImportReport::duplicates`], with the first few listed in
//!   [`ImportReport::duplicate_examples`].
//! * [`ImportOptions::min_rating`] is applied after duplicates are resolved, so a pair whose
//!   latest rating is low is dropped even when an older rating of it was high.

mod generic;
mod movielens;
mod reader;
mod recbole;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;

pub use generic::{detect_delimiter, load_delimited, load_json_lines, read_pairs};
pub use movielens::{load_movielens_100k, load_movielens_latest, split_title_year};
pub use recbole::{find_recbole_name, load_recbole, load_recbole_dir};

/// How many row issues (and duplicate examples) an [`ImportReport`] keeps.
pub const MAX_REPORTED_ISSUES: usize = 20;

/// Which columns of a generic interaction file (or a RecBole `.inter` file) hold what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub user: String,
    pub item: String,
    pub rating: Option<String>,
    pub timestamp: Option<String>,
}

impl Default for ColumnMapping {
    fn default() -> Self {
        ColumnMapping {
            user: "user_id".to_owned(),
            item: "item_id".to_owned(),
            rating: Some("rating".to_owned()),
            timestamp: Some("timestamp".to_owned()),
        }
    }
}

/// Options shared by all loaders.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// Fail on the first bad row instead of skipping it.
    pub strict: bool,
    /// Keep only interactions whose rating is at least this; the others are dropped and
    /// counted in [`ImportReport::below_min_rating`]. Needs a rating column.
    pub min_rating: Option<f32>,
    /// Column names for generic and RecBole interaction files. `None` means the default
    /// names (`user_id`, `item_id`, `rating`, `timestamp`) with rating and timestamp
    /// optional; an explicit mapping makes every column it names required.
    pub mapping: Option<ColumnMapping>,
}

/// One bad row: where it is and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowIssue {
    pub file: PathBuf,
    /// 1-based line number where the row starts.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            file_label(&self.file),
            self.line,
            self.message
        )
    }
}

/// What an import read, kept and dropped.
///
/// `rows` counts the data rows of the interaction file; for it
/// `rows == interactions + skipped interaction rows + duplicates + below_min_rating`.
/// `skipped` and `issues` cover every file (catalog files included).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Files read, in the order they were read.
    pub files: Vec<PathBuf>,
    /// Data rows read from the interaction file (header and blank lines excluded).
    pub rows: usize,
    /// Interactions in the resulting data set.
    pub interactions: usize,
    /// Rows skipped as bad, in all files.
    pub skipped: usize,
    /// The first [`MAX_REPORTED_ISSUES`] skipped rows.
    pub issues: Vec<RowIssue>,
    /// Events replaced by a later event of the same (user, item) pair.
    pub duplicates: usize,
    /// The first [`MAX_REPORTED_ISSUES`] duplicates, naming the line that lost.
    pub duplicate_examples: Vec<RowIssue>,
    /// Interactions dropped by [`ImportOptions::min_rating`].
    pub below_min_rating: usize,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.files.iter().map(|p| file_label(p)).collect();
        write!(
            f,
            "read {} rows from {}: {} interactions",
            self.rows,
            names.join(", "),
            self.interactions
        )?;
        if self.duplicates > 0 {
            write!(
                f,
                "; {} duplicate (user, item) events replaced by later ones",
                self.duplicates
            )?;
        }
        if self.below_min_rating > 0 {
            write!(f, "; {} below the minimum rating", self.below_min_rating)?;
        }
        if self.skipped > 0 {
            let noun = if self.skipped == 1 { "row" } else { "rows" };
            write!(f, "; skipped {} malformed {noun}", self.skipped)?;
            for (i, issue) in self.issues.iter().take(3).enumerate() {
                write!(f, "{}{issue}", if i == 0 { ": " } else { "; " })?;
            }
            if self.skipped > 3 {
                write!(f, "; ...")?;
            }
        }
        Ok(())
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no data set found at {}: looked for {}", path.display(), looked_for.join(", "))]
    NotRecognized {
        path: PathBuf,
        looked_for: Vec<String>,
    },
    #[error("{}: {reason}", file.display())]
    Unusable { file: PathBuf, reason: String },
    #[error("{}:{line}: {message}", file_label(file))]
    Row {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("invalid import options: {0}")]
    InvalidOptions(String),
}

impl ImportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ImportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn unusable(file: &Path, reason: impl Into<String>) -> Self {
        ImportError::Unusable {
            file: file.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// The file name alone, which is what a reader needs next to a line number.
pub(crate) fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Loads a data set from a directory or a file, detecting its format.
///
/// A directory is RecBole when it holds a `*.inter` file, MovieLens 100K when it holds
/// `u.data`, MovieLens latest when it holds `ratings.csv`; when none of these is there,
/// its `ml-100k` subdirectory (where `chatrec data fetch` puts MovieLens-100K) is tried the
/// same way. A file is RecBole when it ends in `.inter`, JSON Lines when it ends in
/// `.jsonl` or `.ndjson`, and CSV/TSV with a detected delimiter otherwise; except that
/// `u.data`, and a `ratings.csv` with MovieLens' `userId,movieId` header (when no mapping
/// is given), load their whole directory as MovieLens.
pub fn load_path(
    path: &Path,
    options: &ImportOptions,
) -> Result<(Dataset, ImportReport), ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| ImportError::io(path, e))?;
    if meta.is_dir() {
        if let Some(result) = load_known_dir(path, options)? {
            return Ok(result);
        }
        let nested = path.join("ml-100k");
        if nested.is_dir() {
            if let Some(result) = load_known_dir(&nested, options)? {
                return Ok(result);
            }
        }
        return Err(ImportError::NotRecognized {
            path: path.to_path_buf(),
            looked_for: vec![
                "*.inter (RecBole atomic files)".to_owned(),
                "u.data (MovieLens 100K)".to_owned(),
                "ratings.csv (MovieLens latest)".to_owned(),
                "the same inside ml-100k/".to_owned(),
            ],
        });
    }
    // The main file of a directory format, named directly, loads its whole directory.
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if file_name == "u.data" {
        return load_movielens_100k(&parent_dir(path), options);
    }
    if file_name == "ratings.csv" && options.mapping.is_none() && has_movielens_header(path)? {
        return load_movielens_latest(&parent_dir(path), options);
    }
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "inter" => {
            let dir = parent_dir(path);
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            load_recbole(&dir, &name, options)
        }
        "jsonl" | "ndjson" => load_json_lines(path, options),
        _ => load_delimited(path, None, options),
    }
}

/// Whether the first line of `path` names MovieLens' `userId` and `movieId` columns.
fn has_movielens_header(path: &Path) -> Result<bool, ImportError> {
    let first = generic::first_line(path)?;
    let header = String::from_utf8_lossy(&first);
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    Ok(names.contains(&"userId") && names.contains(&"movieId"))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Loads `dir` when it is in one of the directory formats; `None` when it is in none.
fn load_known_dir(
    dir: &Path,
    options: &ImportOptions,
) -> Result<Option<(Dataset, ImportReport)>, ImportError> {
    if find_recbole_name(dir)?.is_some() {
        return load_recbole_dir(dir, options).map(Some);
    }
    if dir.join("u.data").is_file() {
        return load_movielens_100k(dir, options).map(Some);
    }
    if dir.join("ratings.csv").is_file() {
        return load_movielens_latest(dir, options).map(Some);
    }
    Ok(None)
}
