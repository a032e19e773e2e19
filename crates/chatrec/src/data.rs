//! Loading data sets for commands, with the import summary on stderr.

use std::path::Path;

use anyhow::{Context, Result};
use chatrec_core::import::{load_path, ImportOptions};
use chatrec_core::Dataset;

use crate::cli::ImportArgs;

/// Loads a data directory or file, printing what was skipped (lenient mode) to stderr.
pub fn load(path: &Path, args: &ImportArgs, quiet: bool) -> Result<Dataset> {
    let options = ImportOptions {
        strict: args.strict,
        min_rating: args.min_rating,
        ..ImportOptions::default()
    };
    load_with(path, &options, quiet)
}

pub fn load_with(path: &Path, options: &ImportOptions, quiet: bool) -> Result<Dataset> {
    if !path.exists() {
        anyhow::bail!(
            "{} does not exist; fetch MovieLens-100K with `chatrec data fetch movielens-100k` \
             or point --data at a data directory or interactions file",
            path.display()
        );
    }
    let (dataset, report) =
        load_path(path, options).with_context(|| format!("cannot import {}", path.display()))?;
    if !quiet || report.skipped > 0 || report.duplicates > 0 {
        eprintln!("{report}");
    }
    Ok(dataset)
}
