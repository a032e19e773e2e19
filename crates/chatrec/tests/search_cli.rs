//! `chatrec search` and `chatrec eval-search` end to end on a catalog the test writes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

fn chatrec() -> Command {
    Command::cargo_bin("chatrec").unwrap()
}

fn write_catalog(dir: &Path) -> PathBuf {
    let data = dir.join("shop");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("shop.item"),
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n\
         1\tShining, The\t1980\tHorror\n\
         2\tThing, The\t1982\tHorror Sci-Fi\n\
         3\tToy Story\t1995\tAnimation Children's Comedy\n\
         4\tPsycho\t1960\tHorror Thriller\n\
         5\tMuriel's Wedding\t1994\tComedy Romance\n",
    )
    .unwrap();
    std::fs::write(
        data.join("shop.inter"),
        "user_id:token\titem_id:token\trating:float\n1\t1\t5\n1\t3\t4\n2\t5\t3\n",
    )
    .unwrap();
    data
}

#[test]
fn search_ranks_by_genre_decade_and_title_words() {
    let dir = TempDir::new().unwrap();
    let data = write_catalog(dir.path());
    let run = |query: &str| -> serde_json::Value {
        let out = chatrec()
            .args([
                "search",
                query,
                "--json",
                "--embedder",
                "hashing",
                "-n",
                "2",
            ])
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let eighties = run("scary movies from the eighties");
    let ids: Vec<&str> = eighties["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"1") && ids.contains(&"2"), "{eighties}");
    assert_eq!(
        run("a wedding comedy")["results"][0]["title"],
        "Muriel's Wedding (1994)"
    );
    assert_eq!(run("cartoons for kids")["results"][0]["item_id"], "3");
}

#[test]
fn search_without_the_model_says_how_to_fetch_it() {
    let dir = TempDir::new().unwrap();
    let data = write_catalog(dir.path());
    let out = chatrec()
        .args(["search", "horror"])
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chatrec models fetch minilm"), "{err}");
}

#[test]
fn eval_search_reports_precision_per_weight_and_writes_json() {
    let dir = TempDir::new().unwrap();
    let data = write_catalog(dir.path());
    let queries = dir.path().join("q.json");
    std::fs::write(
        &queries,
        r#"{"queries": [
            {"query": "horror", "kind": "genre", "label": {"genres_all": ["Horror"]}},
            {"query": "80s films", "kind": "decade", "label": {"years": [1980, 1989]}},
            {"query": "westerns", "kind": "genre", "label": {"genres_all": ["Western"]}}
        ]}"#,
    )
    .unwrap();
    let json = dir.path().join("eval.json");
    let out = chatrec()
        .args([
            "eval-search",
            "--embedder",
            "hashing",
            "--weights",
            "0,1",
            "-k",
            "2",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--queries")
        .arg(&queries)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("westerns"),
        "the query without relevant items is reported: {stdout}"
    );
    let eval: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(eval["queries"], 2);
    assert_eq!(eval["weights"][0]["dense_weight"], 0.0);
    assert_eq!(
        eval["weights"][0]["precision"], 1.0,
        "lexical search finds genre and decade: {eval}"
    );
}
