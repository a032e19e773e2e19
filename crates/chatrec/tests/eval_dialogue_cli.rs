//! `chatrec eval-dialogue` end to end on a tiny data set the test writes (RecBole atomic
//! files with a knowledge graph): the JSON contract, the chart and the transcripts, and the
//! same report for the same seed.

use std::fmt::Write as _;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

fn chatrec() -> Command {
    let mut cmd = Command::cargo_bin("chatrec").expect("binary is built");
    cmd.arg("--quiet");
    cmd
}

const GENRES: [&str; 6] = ["Comedy", "Drama", "Horror", "Sci-Fi", "Western", "Romance"];
const WORDS: [&str; 12] = [
    "Red", "Silent", "Golden", "Last", "Broken", "Midnight", "Lost", "Iron", "Blue", "Wild",
    "Hidden", "Paper",
];
const NOUNS: [&str; 6] = ["River", "Moon", "Garden", "Station", "Harbour", "Mountain"];

/// 36 films in six genre blocks over several decades, 60 users who love one block, and a
/// graph where the films of a block share a director by pairs.
fn write_data(dir: &Path) {
    let mut items =
        String::from("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n");
    let mut links = String::from("item_id:token\tentity_id:token\n");
    let mut kg = String::from("head_id:token\trelation_id:token\ttail_id:token\n");
    for i in 0..36u32 {
        let block = (i / 6) as usize;
        let title = format!("{} {}", WORDS[i as usize % 12], NOUNS[(i as usize / 2) % 6]);
        let year = 1950 + 10 * (i % 5) + i % 7;
        writeln!(items, "i{i}\t{title} {i}\t{year}\t{}", GENRES[block]).unwrap();
        writeln!(links, "i{i}\tm.f{i}").unwrap();
        writeln!(kg, "m.f{i}\tfilm.film.directed_by\tm.d{}", i / 2).unwrap();
        writeln!(kg, "m.f{i}\tfilm.film.actor\tm.a{}", i / 3).unwrap();
    }
    let mut inter = String::from("user_id:token\titem_id:token\trating:float\ttimestamp:float\n");
    let mut t = 1_000_000_000u64;
    for u in 0..60u32 {
        let block = u % 6;
        for i in 0..36u32 {
            let hash = ((u as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (i as u64 + 7).wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
            .wrapping_mul(0x1656_67B1_9E37_79F9)
                >> 58;
            t += 60;
            if i / 6 == block && hash < 48 {
                writeln!(inter, "u{u}\ti{i}\t{}\t{t}", 4 + (u + i) % 2).unwrap();
            } else if hash < 5 {
                writeln!(inter, "u{u}\ti{i}\t2\t{t}").unwrap();
            }
        }
    }
    std::fs::write(dir.join("tiny.item"), items).unwrap();
    std::fs::write(dir.join("tiny.inter"), inter).unwrap();
    std::fs::write(dir.join("tiny.link"), links).unwrap();
    std::fs::write(dir.join("tiny.kg"), kg).unwrap();
}

fn run(data: &Path, out: &Path, json: &Path, transcripts: &Path) {
    chatrec()
        .args([
            "eval-dialogue",
            "--users",
            "5",
            "--max-turns",
            "3",
            "--model",
            "itemknn",
            "--seed",
            "7",
            "--embedder",
            "hashing",
        ])
        .arg("--data")
        .arg(data)
        .arg("--json")
        .arg(json)
        .arg("--out")
        .arg(out)
        .arg("--transcripts")
        .arg(transcripts)
        .assert()
        .success();
}

#[test]
fn eval_dialogue_writes_the_json_contract() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("tiny");
    std::fs::create_dir_all(&data).unwrap();
    write_data(&data);
    let out = dir.path().join("out");
    let json = dir.path().join("dialogue.json");
    let transcripts = dir.path().join("talks.txt");
    run(&data, &out, &json, &transcripts);

    let text = std::fs::read_to_string(&json).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let top = value.as_object().expect("an object");
    let mut keys: Vec<&str> = top.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["cold", "known"]);
    for group in ["known", "cold"] {
        let r = &value[group];
        assert_eq!(r["users"], 5, "{group}: {r}");
        let success = r["success_at"].as_object().expect("success_at");
        assert_eq!(success.len(), 3);
        let mut last = 0.0;
        for t in 1..=3 {
            let x = success[&t.to_string()].as_f64().expect("a share");
            assert!(
                (0.0..=1.0).contains(&x) && x >= last,
                "success_at not monotone"
            );
            last = x;
        }
        assert!(r["avg_turns"].is_f64() || r["avg_turns"].is_null());
        assert!(r["baseline_top5"].as_f64().is_some());
    }

    let svg = std::fs::read_to_string(out.join("eval-dialogue.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("stroke-dasharray"));
    let table = std::fs::read_to_string(out.join("eval-dialogue.txt")).unwrap();
    assert!(table.contains("known") && table.contains("cold"));
    let talks = std::fs::read_to_string(&transcripts).unwrap();
    assert_eq!(talks.matches("=== known user").count(), 5);
    assert_eq!(talks.matches("=== cold user").count(), 5);

    // Same seed, same report.
    let json2 = dir.path().join("again.json");
    let transcripts2 = dir.path().join("again.txt");
    run(&data, &dir.path().join("out2"), &json2, &transcripts2);
    assert_eq!(text, std::fs::read_to_string(&json2).unwrap());
    assert_eq!(talks, std::fs::read_to_string(&transcripts2).unwrap());
}

#[test]
fn eval_dialogue_rejects_bad_arguments() {
    let dir = TempDir::new().unwrap();
    write_data(dir.path());
    chatrec()
        .args(["eval-dialogue", "--users", "0", "--embedder", "hashing"])
        .arg("--data")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicates::str::contains("--users"));
    chatrec()
        .args(["eval-dialogue", "--without", "everything"])
        .arg("--data")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicates::str::contains("unknown behaviour"));
}
