//! End-to-end tests of the `chatrec` binary on small data sets the tests write.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn chatrec() -> Command {
    let mut cmd = Command::cargo_bin("chatrec").expect("binary is built");
    cmd.arg("--quiet");
    cmd
}

/// Two taste groups over two item blocks, with ratings (high inside the user's block, low
/// outside) and increasing timestamps; deterministic.
fn write_ratings(dir: &Path) -> PathBuf {
    let path = dir.join("train.tsv");
    let mut text = String::from("user_id\titem_id\trating\ttimestamp\textra\n");
    let mut t = 1_000_000_000u64;
    for u in 0..60u32 {
        let group = u % 2;
        for i in 0..40u32 {
            let in_block = (i < 20) == (group == 0);
            // A pseudo-random but fixed choice of about 40% of the block.
            let hash = ((u as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (i as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
            .wrapping_mul(0x1656_67B1_9E37_79F9)
                >> 59;
            let keep = hash < 13;
            if in_block && keep {
                t += 60;
                writeln!(text, "u{u}\ti{i}\t{}\t{t}\tx", 4 + (u + i) % 2).unwrap();
            } else if !in_block && (u + i) % 17 == 0 {
                t += 60;
                writeln!(text, "u{u}\ti{i}\t1\t{t}\tx").unwrap();
            }
        }
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn read_tsv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split('\t')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn training_pairs(path: &Path) -> HashSet<(String, String)> {
    let (_, rows) = read_tsv(path);
    rows.into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

#[test]
fn batch_recommend_follows_the_contract() {
    let dir = TempDir::new().unwrap();
    let train = write_ratings(dir.path());
    let out = dir.path().join("top.tsv");
    chatrec()
        .args([
            "batch-recommend",
            "--model",
            "itemknn",
            "-n",
            "5",
            "--seed",
            "3",
        ])
        .arg("--train")
        .arg(&train)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = read_tsv(&out);
    assert_eq!(header, ["user_id", "item_id", "rank", "score"]);
    let seen = training_pairs(&train);
    let mut per_user: HashMap<String, Vec<u32>> = HashMap::new();
    for row in &rows {
        assert!(
            !seen.contains(&(row[0].clone(), row[1].clone())),
            "training item recommended: {row:?}"
        );
        assert!(row[3].parse::<f32>().unwrap().is_finite());
        per_user
            .entry(row[0].clone())
            .or_default()
            .push(row[2].parse().unwrap());
    }
    assert_eq!(per_user.len(), 60, "every user of the file gets a list");
    for ranks in per_user.values() {
        assert_eq!(ranks, &[1, 2, 3, 4, 5]);
    }
    // Users of group 0 (even ids) get items of block 0 (i0..i19) first.
    let first_items: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "1").collect();
    let in_block = first_items
        .iter()
        .filter(|r| {
            let u: u32 = r[0][1..].parse().unwrap();
            let i: u32 = r[1][1..].parse().unwrap();
            (i < 20) == u.is_multiple_of(2)
        })
        .count();
    assert!(
        in_block >= 55,
        "only {in_block} of 60 first recommendations in the user's block"
    );
}

#[test]
fn batch_recommend_is_deterministic_and_min_rating_changes_positives() {
    let dir = TempDir::new().unwrap();
    let train = write_ratings(dir.path());
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        chatrec()
            .args([
                "batch-recommend",
                "--model",
                "als",
                "-n",
                "3",
                "--seed",
                "9",
            ])
            .args(extra)
            .arg("--train")
            .arg(&train)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        std::fs::read_to_string(out).unwrap()
    };
    assert_eq!(run("a.tsv", &[]), run("b.tsv", &[]));
    let filtered = run("c.tsv", &["--min-rating", "4"]);
    // Rows rated 1 are not positives but still count as seen: never recommended.
    let seen = training_pairs(&train);
    for line in filtered.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(!seen.contains(&(cols[0].to_owned(), cols[1].to_owned())));
    }
}

#[test]
fn batch_predict_writes_one_finite_prediction_per_pair_with_fallbacks() {
    let dir = TempDir::new().unwrap();
    let train = write_ratings(dir.path());
    let pairs = dir.path().join("pairs.tsv");
    std::fs::write(
        &pairs,
        "user_id:token\titem_id:token\tignored\nu0\ti1\ta\nu1\ti30\tb\nnewuser\ti2\tc\nu0\tnewitem\td\nu0\ti1\te\n",
    )
    .unwrap();
    let out = dir.path().join("pred.tsv");
    chatrec()
        .args(["batch-predict", "--model", "best"])
        .arg("--train")
        .arg(&train)
        .arg("--pairs")
        .arg(&pairs)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = read_tsv(&out);
    assert_eq!(header, ["user_id", "item_id", "prediction"]);
    let ids: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("u0", "i1"),
            ("u1", "i30"),
            ("newuser", "i2"),
            ("u0", "newitem"),
            ("u0", "i1")
        ]
    );
    for row in &rows {
        let p: f32 = row[2].parse().unwrap();
        assert!(p.is_finite() && (1.0..=5.0).contains(&p), "{row:?}");
    }
    assert_eq!(
        rows[0][2], rows[4][2],
        "the same pair gets the same prediction"
    );
}

#[test]
fn batch_predict_refuses_ranking_models_and_data_without_ratings() {
    let dir = TempDir::new().unwrap();
    let train = write_ratings(dir.path());
    chatrec()
        .args(["batch-predict", "--model", "ease"])
        .arg("--train")
        .arg(&train)
        .arg("--pairs")
        .arg(&train)
        .arg("--out")
        .arg(dir.path().join("p.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("does not predict ratings"));
    let implicit = dir.path().join("implicit.tsv");
    std::fs::write(&implicit, "user_id\titem_id\nu1\ti1\nu2\ti1\n").unwrap();
    chatrec()
        .args(["batch-predict", "--model", "mf"])
        .arg("--train")
        .arg(&implicit)
        .arg("--pairs")
        .arg(&implicit)
        .arg("--out")
        .arg(dir.path().join("p.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no rating column"));
    assert!(!dir.path().join("p.tsv").exists(), "nothing half-written");
}

#[test]
fn eval_prints_metrics_and_writes_json() {
    let dir = TempDir::new().unwrap();
    let train = write_ratings(dir.path());
    let json = dir.path().join("eval.json");
    chatrec()
        .args(["eval", "--model", "ease", "--k", "5,10", "--seed", "1"])
        .arg("--data")
        .arg(&train)
        .arg("--json")
        .arg(&json)
        .assert()
        .success()
        .stdout(predicate::str::contains("ndcg").and(predicate::str::contains("@10")));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let ndcg = report["metrics"]["ndcg@10"].as_f64().unwrap();
    let pop_json = dir.path().join("pop.json");
    chatrec()
        .args(["eval", "--model", "pop", "--k", "5,10", "--seed", "1"])
        .arg("--data")
        .arg(&train)
        .arg("--json")
        .arg(&pop_json)
        .assert()
        .success();
    let pop: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&pop_json).unwrap()).unwrap();
    assert!(
        ndcg > pop["metrics"]["ndcg@10"].as_f64().unwrap(),
        "a personalised model beats popularity on two taste groups"
    );
}

#[test]
fn eval_reports_rmse_for_rating_models_and_accepts_external_splits() {
    let dir = TempDir::new().unwrap();
    let data = write_ratings(dir.path());
    let split = dir.path().join("split");
    chatrec()
        .args(["split", "--split", "user-ratio:0.8", "--seed", "5"])
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&split)
        .assert()
        .success();
    let (train_header, train_rows) = read_tsv(&split.join("train.tsv"));
    let (_, test_rows) = read_tsv(&split.join("test.tsv"));
    assert_eq!(train_header, ["user_id", "item_id", "rating", "timestamp"]);
    assert_eq!(
        train_rows.len() + test_rows.len(),
        training_pairs(&data).len()
    );
    let external = format!(
        "external:{},{}",
        split.join("train.tsv").display(),
        split.join("test.tsv").display()
    );
    chatrec()
        .args([
            "eval", "--model", "svdpp", "--k", "10", "--split", &external,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("RMSE"));
}

#[test]
fn train_then_recommend_and_similar_from_the_saved_model() {
    let dir = TempDir::new().unwrap();
    let data = write_ratings(dir.path());
    let model = dir.path().join("models/als.safetensors");
    chatrec()
        .args([
            "train",
            "--model",
            "als",
            "-p",
            "factors=8",
            "-p",
            "iterations=10",
            "-p",
            "regularization=1",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    assert!(model.exists());
    let recommend = |extra: &[&str]| {
        let output = chatrec()
            .args(["recommend", "-n", "3", "--json"])
            .args(extra)
            .arg("--model-file")
            .arg(&model)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|v| v["item_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let known = recommend(&["--user", "u0"]);
    assert_eq!(known.len(), 3);
    let seen = training_pairs(&data);
    assert!(known
        .iter()
        .all(|i| !seen.contains(&("u0".to_owned(), i.clone()))));
    // A new user who likes block-1 items gets block-1 items (fold-in, no retraining).
    let folded = recommend(&["--liked", "i21,i22,i25"]);
    assert!(
        folded.iter().all(|i| i[1..].parse::<u32>().unwrap() >= 20),
        "{folded:?}"
    );
    let similar = chatrec()
        .args(["similar", "--item", "i3", "-n", "4"])
        .arg("--model-file")
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(similar.status.success());
    let lines: Vec<String> = String::from_utf8_lossy(&similar.stdout)
        .lines()
        .filter(|l| !l.starts_with("items similar to"))
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines.iter().all(|l| !l.contains(" i3 ")),
        "an item is not its own neighbour"
    );
    chatrec()
        .args(["recommend", "--user", "nobody"])
        .arg("--model-file")
        .arg(&model)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "user `nobody` is not in the model",
        ));
}

#[test]
fn compare_writes_markdown_svg_and_json() {
    let dir = TempDir::new().unwrap();
    let data = write_ratings(dir.path());
    let out = dir.path().join("cmp");
    chatrec()
        .args(["compare", "--models", "pop,itemknn,ease", "--k", "10"])
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let markdown = std::fs::read_to_string(out.join("compare.md")).unwrap();
    for model in ["| pop", "| itemknn", "| ease"] {
        assert!(markdown.contains(model), "{markdown}");
    }
    let svg = std::fs::read_to_string(out.join("compare.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
}

#[test]
fn tune_searches_the_given_space_on_validation_data() {
    let dir = TempDir::new().unwrap();
    let data = write_ratings(dir.path());
    let json = dir.path().join("tune.json");
    chatrec()
        .args([
            "tune",
            "--model",
            "itemknn",
            "--space",
            "neighbours=5,20",
            "--space",
            "shrink=0,10",
        ])
        .args(["--k", "10"])
        .arg("--data")
        .arg(&data)
        .arg("--json")
        .arg(&json)
        .assert()
        .success()
        .stdout(predicate::str::contains("best on validation (4 trials)"));
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(result["trials"].as_array().unwrap().len(), 4);
}

#[test]
fn helpful_errors_for_bad_input() {
    let dir = TempDir::new().unwrap();
    chatrec()
        .args(["eval", "--data", "/nonexistent/data"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "chatrec data fetch movielens-100k",
        ));
    let data = write_ratings(dir.path());
    chatrec()
        .args(["eval", "--model", "als", "-p", "factor=3"])
        .arg("--data")
        .arg(&data)
        .assert()
        .failure()
        .stderr(predicate::str::contains("factor").and(predicate::str::contains("factors")));
    chatrec()
        .args(["eval", "--model", "nosuch"])
        .arg("--data")
        .arg(&data)
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown model `nosuch`"));
    let bad = dir.path().join("bad.tsv");
    std::fs::write(&bad, "user_id\titem_id\trating\nu1\ti1\t5\nu2\ti1\tfour\n").unwrap();
    chatrec()
        .args(["data", "stats", "--strict"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.tsv:3").and(predicate::str::contains("four")));
    chatrec()
        .args(["eval", "--split", "halves"])
        .arg("--data")
        .arg(&data)
        .assert()
        .failure()
        .stderr(predicate::str::contains("user-ratio"));
}

#[test]
fn data_stats_reports_counts() {
    let dir = TempDir::new().unwrap();
    let data = write_ratings(dir.path());
    let output = chatrec()
        .args(["data", "stats", "--json"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(stats["users"], 60);
    assert_eq!(stats["items"], 40);
    assert_eq!(
        stats["interactions"].as_u64().unwrap() as usize,
        training_pairs(&data).len()
    );
}

#[test]
fn data_fetch_explains_a_broken_wheel() {
    let dir = TempDir::new().unwrap();
    let wheel = dir.path().join("recbole-1.2.1-py3-none-any.whl");
    std::fs::write(&wheel, b"not a zip").unwrap();
    chatrec()
        .args(["data", "fetch", "movielens-100k"])
        .arg("--dir")
        .arg(dir.path().join("data"))
        .arg("--wheel")
        .arg(&wheel)
        .assert()
        .failure()
        .stderr(predicate::str::contains("wheel"));
    assert!(
        !dir.path().join("data/ml-100k").exists(),
        "nothing half-extracted"
    );
}

#[test]
fn models_lists_every_model_with_defaults() {
    chatrec().arg("models").assert().success().stdout(
        predicate::str::contains("als")
            .and(predicate::str::contains("ease"))
            .and(predicate::str::contains("svdpp"))
            .and(predicate::str::contains("`best` means")),
    );
}

/// A small RecBole data set with a knowledge graph: two films by one director (one the
/// sequel of the other), and an unrelated film.
fn write_graph_dataset(dir: &Path) -> PathBuf {
    let data = dir.join("films");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("films.item"),
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n\
         1\tGodfather, The\t1972\tCrime Drama\n\
         2\tGodfather: Part II, The\t1974\tCrime Drama\n\
         3\tToy Story\t1995\tAnimation Comedy\n\
         4\tShawshank Redemption, The\t1994\tDrama\n",
    )
    .unwrap();
    let mut inter = String::from("user_id:token\titem_id:token\trating:float\ttimestamp:float\n");
    for u in 0..12 {
        for i in 1..=4 {
            if (u + i) % 3 != 0 {
                writeln!(inter, "{u}\t{i}\t4\t{}", 1000 + u * 10 + i).unwrap();
            }
        }
    }
    std::fs::write(data.join("films.inter"), inter).unwrap();
    std::fs::write(
        data.join("films.kg"),
        "head_id:token\trelation_id:token\ttail_id:token\n\
         m.g1\tfilm.film.directed_by\tm.coppola\n\
         m.g2\tfilm.film.directed_by\tm.coppola\n\
         m.g1\tfilm.film.sequel\tm.g2\n\
         m.ts\tfilm.film.directed_by\tm.lasseter\n\
         m.sr\tfilm.film.directed_by\tm.darabont\n",
    )
    .unwrap();
    std::fs::write(
        data.join("films.link"),
        "item_id:token\tentity_id:token\n1\tm.g1\n2\tm.g2\n3\tm.ts\n4\tm.sr\n",
    )
    .unwrap();
    data
}

#[test]
fn find_matches_titles_as_people_type_them() {
    let dir = TempDir::new().unwrap();
    let data = write_graph_dataset(dir.path());
    let output = chatrec()
        .args(["find", "the godfather part 2", "--json"])
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(found["query"], "the godfather part 2");
    assert_eq!(found["ambiguous"], false);
    assert_eq!(found["matches"][0]["item_id"], "2");
    assert_eq!(
        found["matches"][0]["title"],
        "Godfather: Part II, The (1974)"
    );
    let none = chatrec()
        .args(["find", "a film that does not exist anywhere", "--json"])
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    let none: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    let confident = none["matches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["confidence"].as_f64().unwrap() >= 0.8);
    assert!(!confident, "{none}");
}

#[test]
fn similar_with_why_shows_facts_from_the_graph() {
    let dir = TempDir::new().unwrap();
    let data = write_graph_dataset(dir.path());
    // No model file: neighbours come from the graph, and the sequel shares the director.
    let output = chatrec()
        .args([
            "similar",
            "--item",
            "godfather 1972",
            "-n",
            "2",
            "--why",
            "--json",
        ])
        .arg("--model-file")
        .arg(dir.path().join("absent.safetensors"))
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let first = &list[0];
    assert_eq!(first["item_id"], "2");
    let why: Vec<&str> = first["why"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(why.contains(&"same director"), "{why:?}");
    assert!(why.iter().any(|w| w.starts_with("sequel of")), "{why:?}");

    // With a trained model the neighbours come from the model; --why still adds the facts.
    let model = dir.path().join("m.safetensors");
    chatrec()
        .args(["train", "--model", "ease", "-p", "lambda=1"])
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    chatrec()
        .args(["similar", "--item", "1", "-n", "3", "--why"])
        .arg("--model-file")
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Godfather: Part II, The (1974)")
                .and(predicate::str::contains("same director")),
        );

    chatrec()
        .args(["similar", "--item", "no such film at all"])
        .arg("--model-file")
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .assert()
        .failure()
        .stderr(predicate::str::contains("chatrec find"));
}
