//! Fetching MovieLens-100K from a RecBole wheel: the real wheel when it is on disk, and
//! every failure path with wheels and Python commands built by the test.

use std::io::Write;
use std::path::{Path, PathBuf};

use chatrec_core::fetch::{
    fetch_movielens_100k, FetchError, FetchOptions, FetchOutcome, WheelSource, ML100K_FILES,
};

const PREFIX: &str = "recbole/dataset_example/ml-100k/";

/// A wheel holding `files` (name inside ml-100k/, data rows) with a header line each.
fn build_wheel(path: &Path, files: &[(&str, usize)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("recbole/__init__.py", options).unwrap();
    zip.write_all(b"").unwrap();
    for (name, rows) in files {
        zip.start_file(format!("{PREFIX}{name}"), options).unwrap();
        let mut content = String::from("a:token\tb:token\n");
        for r in 0..*rows {
            content.push_str(&format!("{r}\t{r}\n"));
        }
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "ml-100k" && n != "given.whl")
        .collect()
}

fn with_wheel(wheel: PathBuf) -> FetchOptions {
    FetchOptions {
        wheel: Some(wheel),
        ..FetchOptions::default()
    }
}

/// The real RecBole 1.2.1 wheel, named by `CHATREC_RECBOLE_WHEEL`
/// (`pip download --no-deps recbole==1.2.1`). CI covers the same path through pip in
/// `.ci/run`'s smoke test.
#[test]
#[ignore = "needs the recbole-1.2.1 wheel; set CHATREC_RECBOLE_WHEEL"]
fn real_wheel_extracts_once_then_is_already_present() {
    let wheel = std::path::PathBuf::from(
        std::env::var_os("CHATREC_RECBOLE_WHEEL").expect("set CHATREC_RECBOLE_WHEEL to the wheel"),
    );
    let wheel = wheel.as_path();
    let tmp = tempfile::tempdir().unwrap();
    let options = with_wheel(wheel.to_path_buf());
    let outcome = fetch_movielens_100k(tmp.path(), &options).unwrap();
    let target = tmp.path().join("ml-100k");
    assert_eq!(
        outcome,
        FetchOutcome::Extracted {
            dir: target.clone(),
            source: WheelSource::Local(wheel.to_path_buf()),
        }
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
    let again = fetch_movielens_100k(tmp.path(), &options).unwrap();
    assert_eq!(
        again,
        FetchOutcome::AlreadyPresent {
            dir: target.clone()
        }
    );

    // A damaged copy is replaced by a fresh extraction.
    std::fs::write(target.join("ml-100k.kg"), "head_id:token\n").unwrap();
    let repaired = fetch_movielens_100k(tmp.path(), &options).unwrap();
    assert!(matches!(repaired, FetchOutcome::Extracted { .. }));
    assert_eq!(
        chatrec_core::fetch::count_data_rows(&target.join("ml-100k.kg")).unwrap(),
        91_631
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );

    let (dataset, _) = chatrec_core::import::load_path(
        tmp.path(),
        &chatrec_core::import::ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(dataset.interactions.len(), 100_000);
}

#[test]
fn already_present_needs_no_wheel_and_no_python() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = tmp.path().join("given.whl");
    build_wheel(&wheel, &ML100K_FILES);
    fetch_movielens_100k(tmp.path(), &with_wheel(wheel)).unwrap();
    let no_python = FetchOptions {
        wheel: None,
        python: "/nonexistent/python3".to_owned(),
    };
    let outcome = fetch_movielens_100k(tmp.path(), &no_python).unwrap();
    assert_eq!(
        outcome,
        FetchOutcome::AlreadyPresent {
            dir: tmp.path().join("ml-100k")
        }
    );
}

#[test]
fn missing_python_explains_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let options = FetchOptions {
        wheel: None,
        python: "/nonexistent/python3".to_owned(),
    };
    let err = fetch_movielens_100k(tmp.path(), &options).unwrap_err();
    assert!(matches!(err, FetchError::PythonNotFound { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("apt-get install python3-pip"), "{text}");
    assert!(text.contains("--wheel"), "{text}");
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}

#[test]
fn wheel_without_the_data_set_names_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = tmp.path().join("given.whl");
    build_wheel(
        &wheel,
        &[("ml-100k.inter", 100_000), ("ml-100k.item", 1_682)],
    );
    let err = fetch_movielens_100k(tmp.path(), &with_wheel(wheel)).unwrap_err();
    match &err {
        FetchError::MissingInWheel { missing, .. } => assert_eq!(
            missing,
            &[
                format!("{PREFIX}ml-100k.user"),
                format!("{PREFIX}ml-100k.kg"),
                format!("{PREFIX}ml-100k.link"),
            ]
        ),
        other => panic!("expected MissingInWheel, got {other}"),
    }
    assert!(!tmp.path().join("ml-100k").exists());
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}

#[test]
fn wrong_row_count_names_file_expected_and_found() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = tmp.path().join("given.whl");
    let mut files = ML100K_FILES;
    files[2].1 = 942;
    build_wheel(&wheel, &files);
    let err = fetch_movielens_100k(tmp.path(), &with_wheel(wheel)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ml-100k.user: expected 943 data rows, found 942"
    );
    assert!(!tmp.path().join("ml-100k").exists());
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}

#[test]
fn not_a_zip_is_a_bad_wheel() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = tmp.path().join("given.whl");
    std::fs::write(&wheel, b"not a zip").unwrap();
    let err = fetch_movielens_100k(tmp.path(), &with_wheel(wheel)).unwrap_err();
    assert!(matches!(err, FetchError::BadWheel { .. }), "{err}");
}

/// A stand-in for `python3` that runs `script` with the pip arguments.
#[cfg(unix)]
fn fake_python(dir: &Path, script: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-python");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

#[cfg(unix)]
#[test]
fn pip_missing_and_download_failures_are_told_apart() {
    let scripts = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();

    let python = fake_python(
        scripts.path(),
        "echo '/usr/bin/python3: No module named pip' >&2; exit 1",
    );
    let err = fetch_movielens_100k(
        target.path(),
        &FetchOptions {
            wheel: None,
            python,
        },
    )
    .unwrap_err();
    assert!(matches!(err, FetchError::PipMissing { .. }), "{err}");
    assert!(err.to_string().contains("--wheel"), "{err}");

    let python = fake_python(
        scripts.path(),
        "for i in 1 2 3 4 5 6 7 8 9 10; do echo \"noise $i\" >&2; done; \
         echo 'ERROR: Could not find a version that satisfies the requirement recbole==1.2.1' >&2; \
         exit 1",
    );
    let err = fetch_movielens_100k(
        target.path(),
        &FetchOptions {
            wheel: None,
            python,
        },
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, FetchError::DownloadFailed { .. }), "{text}");
    assert!(text.contains("Could not find a version"), "{text}");
    assert!(!text.contains("noise 1\n"), "only the last lines: {text}");
    assert!(text.contains("proxy") && text.contains("--wheel"), "{text}");
    assert!(
        leftovers(target.path()).is_empty(),
        "{:?}",
        leftovers(target.path())
    );
}

#[cfg(unix)]
#[test]
fn pip_download_path_extracts_and_removes_the_downloaded_wheel() {
    let scripts = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let wheel = scripts.path().join("recbole-1.2.1-py3-none-any.whl");
    build_wheel(&wheel, &ML100K_FILES);
    // pip is called as `python -m pip download ... -d DIR`: copy the wheel into DIR.
    let python = fake_python(
        scripts.path(),
        &format!(
            "while [ $# -gt 0 ]; do if [ \"$1\" = -d ]; then cp '{}' \"$2\"; fi; shift; done",
            wheel.display()
        ),
    );
    let outcome = fetch_movielens_100k(
        target.path(),
        &FetchOptions {
            wheel: None,
            python,
        },
    )
    .unwrap();
    assert_eq!(
        outcome,
        FetchOutcome::Extracted {
            dir: target.path().join("ml-100k"),
            source: WheelSource::Downloaded {
                package: "recbole==1.2.1".to_owned()
            },
        }
    );
    assert!(
        leftovers(target.path()).is_empty(),
        "{:?}",
        leftovers(target.path())
    );
    for (name, rows) in ML100K_FILES {
        let path = target.path().join("ml-100k").join(name);
        assert_eq!(chatrec_core::fetch::count_data_rows(&path).unwrap(), rows);
    }
}
