//! Bad input: every problem names file and line; strict fails, lenient skips and reports;
//! unusable files fail in both modes; duplicates and `min_rating` are resolved and counted.

use std::path::{Path, PathBuf};

use chatrec_core::import::{
    load_delimited, load_json_lines, load_movielens_100k, load_movielens_latest, load_path,
    load_recbole, ImportError, ImportOptions, ImportReport,
};
use chatrec_core::Dataset;

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn lenient() -> ImportOptions {
    ImportOptions::default()
}

fn strict() -> ImportOptions {
    ImportOptions {
        strict: true,
        ..ImportOptions::default()
    }
}

fn issue_texts(report: &ImportReport) -> Vec<String> {
    report.issues.iter().map(ToString::to_string).collect()
}

/// Loads leniently and strictly; the lenient import must skip exactly one row whose issue
/// reads `expected`, and the strict one must fail with that same text.
fn assert_single_bad_row(
    load: impl Fn(&ImportOptions) -> Result<(Dataset, ImportReport), ImportError>,
    expected: &str,
) -> Dataset {
    let (dataset, report) = load(&lenient()).unwrap();
    assert_eq!(report.skipped, 1, "{report}");
    assert_eq!(issue_texts(&report), [expected]);
    assert!(report.to_string().contains(expected), "{report}");
    match load(&strict()) {
        Err(err @ ImportError::Row { .. }) => assert_eq!(err.to_string(), expected),
        other => panic!("strict import should fail on the bad row, got {other:?}"),
    }
    dataset
}

#[test]
fn non_numeric_rating_in_ratings_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ratings = String::from("userId,movieId,rating,timestamp\n");
    for line in 2..=20 {
        let rating = if line == 17 {
            "four".to_owned()
        } else {
            "4".to_owned()
        };
        ratings.push_str(&format!("{line},1,{rating},100\n"));
    }
    write(tmp.path(), "ratings.csv", ratings);
    let d = assert_single_bad_row(
        |o| load_movielens_latest(tmp.path(), o),
        "ratings.csv:17: expected a number in column \"rating\", found \"four\"",
    );
    assert_eq!(d.interactions.len(), 18);
}

#[test]
fn wrong_column_count() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "x.inter",
        "user_id:token\titem_id:token\trating:float\n1\t2\t3\n1\t3\n2\t2\t5\n",
    );
    assert_single_bad_row(
        |o| load_recbole(tmp.path(), "x", o),
        "x.inter:3: expected 3 columns, found 2",
    );
}

#[test]
fn non_numeric_and_non_finite_timestamps_and_ratings() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "t.tsv",
        "user_id\titem_id\trating\ttimestamp\nu\ta\t1\t5\nu\tb\t2\tyesterday\nu\tc\tNaN\t7\nu\td\tinf\t7\n",
    );
    let (d, report) = load_delimited(&path, None, &lenient()).unwrap();
    assert_eq!(d.interactions.len(), 1);
    assert_eq!(
        issue_texts(&report),
        [
            "t.tsv:3: expected a timestamp (seconds, a number) in column \"timestamp\", found \"yesterday\"",
            "t.tsv:4: expected a number in column \"rating\", found \"NaN\"",
            "t.tsv:5: expected a number in column \"rating\", found \"inf\"",
        ]
    );
    assert_eq!(report.rows, 4);
}

#[test]
fn unknown_item_when_an_item_file_exists() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "m.item",
        "item_id:token\ttitle:token_seq\n1\tOne\n",
    );
    write(
        tmp.path(),
        "m.inter",
        "user_id:token\titem_id:token\nu\t1\nu\t2\n",
    );
    let d = assert_single_bad_row(
        |o| load_recbole(tmp.path(), "m", o),
        "m.inter:3: item \"2\" is not in m.item",
    );
    assert_eq!(d.n_items(), 1);
}

#[test]
fn unknown_user_when_a_user_file_exists_is_accepted_without_attributes() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "m.user",
        "user_id:token\tage:token\nknown\t30\n",
    );
    write(
        tmp.path(),
        "m.inter",
        "user_id:token\titem_id:token\nknown\ti\nstranger\ti\n",
    );
    let (d, report) = load_recbole(tmp.path(), "m", &strict()).unwrap();
    assert_eq!(report.skipped, 0);
    let users: Vec<&str> = d.catalog.users().iter().map(|u| u.id.as_str()).collect();
    assert_eq!(users, ["known", "stranger"]);
    assert!(d.catalog.user(1).attributes.is_empty());
}

#[test]
fn invalid_utf8_in_a_utf8_file() {
    let tmp = tempfile::tempdir().unwrap();
    let mut content = b"user_id,item_id\na,b\n".to_vec();
    content.extend_from_slice(b"c,\xff\xfe\n");
    content.extend_from_slice(b"d,e\n");
    let path = write(tmp.path(), "bytes.csv", content);
    assert_single_bad_row(
        |o| load_delimited(&path, None, o),
        "bytes.csv:3: invalid UTF-8 in column \"item_id\" at byte 0",
    );
}

#[test]
fn latin1_u_item_is_not_a_utf8_error_but_bad_flags_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "u.data", "1\t1\t5\t10\n");
    let flags = "0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0";
    let content = format!("1|Caf\u{e9} (1990)|||x|{flags}|1\n2|Bad (1991)|||x|{flags}|yes\n");
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&content);
    write(tmp.path(), "u.item", latin1);
    let d = assert_single_bad_row(
        |o| load_movielens_100k(tmp.path(), o),
        "u.item:2: expected 0 or 1 in genre column \"Western\", found \"yes\"",
    );
    assert_eq!(d.catalog.item(0).title, "Caf\u{e9}");
    assert_eq!(d.catalog.item(0).categories, ["Western"]);
    assert_eq!(d.n_items(), 1);
}

#[test]
fn json_lines_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "e.jsonl",
        "{\"user_id\": 1, \"item_id\": 2, \"rating\": 3}\n[1, 2]\n{\"user_id\": 1}\n{\"user_id\": 1, \"item_id\": 3, \"rating\": \"x\"}\n{oops\n",
    );
    let (d, report) = load_json_lines(&path, &lenient()).unwrap();
    assert_eq!(d.interactions.len(), 1);
    let texts = issue_texts(&report);
    assert_eq!(texts.len(), 4);
    assert_eq!(
        texts[0],
        "e.jsonl:2: expected a JSON object, found an array"
    );
    assert_eq!(texts[1], "e.jsonl:3: missing field \"item_id\"");
    assert_eq!(
        texts[2],
        "e.jsonl:4: expected a number in column \"rating\", found \"x\""
    );
    assert!(
        texts[3].starts_with("e.jsonl:5: expected a JSON object"),
        "{}",
        texts[3]
    );
    let err = load_json_lines(&path, &strict()).unwrap_err();
    assert_eq!(err.to_string(), texts[0]);
}

#[test]
fn unusable_files_fail_even_when_lenient() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (write(tmp.path(), "empty.csv", ""), "file is empty"),
        (
            write(tmp.path(), "header.csv", "user_id,item_id\n"),
            "no data rows after the header",
        ),
        (
            write(tmp.path(), "nocol.csv", "user,item_id\n1,2\n"),
            "missing column \"user_id\" in the header (found: \"user\", \"item_id\")",
        ),
        (
            write(tmp.path(), "onecol.csv", "user_id\n1\n"),
            "the header has a single column",
        ),
        (
            write(
                tmp.path(),
                "allbad.csv",
                "user_id,item_id,rating\n1,2,x\n3,4,y\n",
            ),
            "none of the 2 interaction rows is valid; first: allbad.csv:2: expected a number",
        ),
        (write(tmp.path(), "empty.jsonl", "\n\n"), "file is empty"),
    ];
    for (path, expected) in cases {
        for options in [lenient(), strict()] {
            let err = load_path(&path, &options).unwrap_err();
            let text = err.to_string();
            if options.strict && path.ends_with("allbad.csv") {
                assert_eq!(
                    text,
                    "allbad.csv:2: expected a number in column \"rating\", found \"x\""
                );
                continue;
            }
            assert!(matches!(err, ImportError::Unusable { .. }), "{text}");
            assert!(text.contains(expected), "{}: {text}", path.display());
        }
    }
}

#[test]
fn unusable_catalog_files_and_bad_recbole_headers() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.inter",
        "user_id:token\titem_id:token\nu\ti\n",
    );
    write(tmp.path(), "a.item", "item_id:token\ttitle:token_seq\n");
    let err = load_recbole(tmp.path(), "a", &lenient()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("a.item: no data rows after the header"),
        "{err}"
    );

    write(
        tmp.path(),
        "b.inter",
        "user_id:token\titem_id:weird\nu\ti\n",
    );
    let err = load_recbole(tmp.path(), "b", &lenient()).unwrap_err();
    assert!(err.to_string().contains("unknown type \"weird\""), "{err}");

    write(tmp.path(), "c.inter", "");
    let err = load_recbole(tmp.path(), "c", &lenient()).unwrap_err();
    assert!(err.to_string().ends_with("c.inter: file is empty"), "{err}");

    let ml = tempfile::tempdir().unwrap();
    write(ml.path(), "u.data", "");
    let err = load_movielens_100k(ml.path(), &lenient()).unwrap_err();
    assert!(err.to_string().ends_with("u.data: file is empty"), "{err}");
}

#[test]
fn repeated_catalog_ids_are_issues() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "r.item",
        "item_id:token\ttitle:token_seq\n1\tFirst\n1\tAgain\n",
    );
    write(
        tmp.path(),
        "r.inter",
        "user_id:token\titem_id:token\nu\t1\n",
    );
    let d = assert_single_bad_row(
        |o| load_recbole(tmp.path(), "r", o),
        "r.item:3: item \"1\" already defined on line 2",
    );
    assert_eq!(d.catalog.item(0).title, "First");
}

#[test]
fn duplicates_keep_the_latest_event() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "d.csv",
        "user_id,item_id,rating,timestamp\n\
         u,a,1,100\n\
         u,b,2,100\n\
         u,a,5,300\n\
         u,a,3,200\n\
         u,b,4,100\n",
    );
    let (d, report) = load_delimited(&path, None, &strict()).unwrap();
    let kept: Vec<(u32, f32, i64)> = d
        .interactions
        .iter()
        .map(|i| (i.item, i.value, i.timestamp))
        .collect();
    // a: the timestamp 300 wins over the later line with 200; b: equal times, later line.
    assert_eq!(kept, [(0, 5.0, 300), (1, 4.0, 100)]);
    assert_eq!(report.duplicates, 3);
    assert_eq!(report.rows, 5);
    let examples: Vec<String> = report
        .duplicate_examples
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        examples[0],
        "d.csv:2: user \"u\" and item \"a\" again on line 4, which is kept"
    );
    assert_eq!(
        examples[1],
        "d.csv:5: user \"u\" and item \"a\" again on line 4, which is kept"
    );
    assert!(report.to_string().contains("3 duplicate"), "{report}");
}

#[test]
fn min_rating_applies_to_the_latest_event_and_is_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "m.csv",
        "user_id,item_id,rating,timestamp\n\
         u1,a,5,1\n\
         u1,a,2,2\n\
         u1,b,4,1\n\
         u2,c,3.5,1\n\
         u3,c,1,1\n\
         u1,bad,x,1\n",
    );
    let options = ImportOptions {
        min_rating: Some(3.5),
        ..ImportOptions::default()
    };
    let (d, report) = load_delimited(&path, None, &options).unwrap();
    let kept: Vec<(&str, &str)> = d
        .interactions
        .iter()
        .map(|i| {
            (
                d.catalog.user(i.user).id.as_str(),
                d.catalog.item(i.item).id.as_str(),
            )
        })
        .collect();
    assert_eq!(kept, [("u1", "b"), ("u2", "c")]);
    assert_eq!(report.below_min_rating, 2);
    assert_eq!(report.duplicates, 1);
    assert_eq!(report.skipped, 1);
    assert_eq!(
        report.rows,
        report.interactions + report.skipped + report.duplicates + report.below_min_rating
    );
    // Users and items only seen in dropped events are not in the catalog.
    assert_eq!(d.n_users(), 2);
    let items: Vec<&str> = d.catalog.items().iter().map(|i| i.id.as_str()).collect();
    assert_eq!(items, ["b", "c"]);

    let implicit = write(tmp.path(), "i.csv", "user_id,item_id\nu,a\n");
    let err = load_delimited(&implicit, None, &options).unwrap_err();
    assert!(matches!(err, ImportError::InvalidOptions(_)), "{err}");

    let options = ImportOptions {
        min_rating: Some(10.0),
        ..ImportOptions::default()
    };
    let err = load_delimited(&path, None, &options).unwrap_err();
    assert!(
        err.to_string().contains("below the minimum rating"),
        "{err}"
    );
}

#[test]
fn report_summary_lists_first_issues() {
    let tmp = tempfile::tempdir().unwrap();
    let mut content = String::from("user_id,item_id,rating\n");
    for i in 0..30 {
        content.push_str(&format!("u{i},i,{}\n", if i % 2 == 0 { "1" } else { "?" }));
    }
    let path = write(tmp.path(), "many.csv", content);
    let (_, report) = load_delimited(&path, None, &lenient()).unwrap();
    assert_eq!(report.skipped, 15);
    assert_eq!(report.issues.len(), 15);
    let summary = report.to_string();
    assert!(
        summary.contains("skipped 15 malformed rows: many.csv:3: expected a number"),
        "{summary}"
    );

    let mut content = String::from("user_id,item_id,rating\nu,i,1\n");
    for i in 0..30 {
        content.push_str(&format!("u{i},i,bad\n"));
    }
    let path = write(tmp.path(), "more.csv", content);
    let (_, report) = load_delimited(&path, None, &lenient()).unwrap();
    assert_eq!(report.skipped, 30);
    assert_eq!(report.issues.len(), 20, "only the first 20 are kept");
    assert_eq!(report.issues[19].line, 22);
}
