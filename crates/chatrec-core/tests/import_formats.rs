//! Each loader on small files written by the test, and format detection by `load_path`.

use std::path::Path;

use chatrec_core::import::{
    load_delimited, load_json_lines, load_movielens_100k, load_movielens_latest, load_path,
    load_recbole, split_title_year, ColumnMapping, ImportError, ImportOptions,
};
use chatrec_core::Dataset;

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), content).unwrap();
}

/// (user id, item id, value, timestamp) of every interaction, in data set order.
fn events(d: &Dataset) -> Vec<(String, String, f32, i64)> {
    d.interactions
        .iter()
        .map(|i| {
            (
                d.catalog.user(i.user).id.clone(),
                d.catalog.item(i.item).id.clone(),
                i.value,
                i.timestamp,
            )
        })
        .collect()
}

fn ev(u: &str, i: &str, v: f32, t: i64) -> (String, String, f32, i64) {
    (u.to_owned(), i.to_owned(), v, t)
}

fn item_ids(d: &Dataset) -> Vec<&str> {
    d.catalog.items().iter().map(|i| i.id.as_str()).collect()
}

fn write_recbole(dir: &Path) {
    write(
        dir,
        "toy.inter",
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n\
         7\t20\t4\t881250949\n\
         8\t10\t5\t881250950.0\n\
         7\t10\t3\t881250951\n",
    );
    write(
        dir,
        "toy.item",
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\tbrand:token\n\
         10\tToy Story\t1995\tAnimation Children's Comedy\tPixar\n\
         20\tStar Wars\t1977\tAction Sci-Fi Sci-Fi\t\n\
         30\tunknown\tunkonwn\tunknown\tX\n",
    );
    write(
        dir,
        "toy.user",
        "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n\
         8\t53\tF\tother\t94043\n\
         7\t24\tM\ttechnician\t85711\n",
    );
    write(
        dir,
        "toy.kg",
        "head_id:token\trelation_id:token\ttail_id:token\nm.1\tr\tm.2\n",
    );
    write(dir, "toy.link", "item_id:token\tentity_id:token\n10\tm.1\n");
}

#[test]
fn recbole_atomic_files() {
    let tmp = tempfile::tempdir().unwrap();
    write_recbole(tmp.path());
    let (d, report) = load_recbole(tmp.path(), "toy", &ImportOptions::default()).unwrap();
    assert!(d.has_ratings && d.has_timestamps);
    assert_eq!(item_ids(&d), ["10", "20", "30"], "item file order");
    let users: Vec<&str> = d.catalog.users().iter().map(|u| u.id.as_str()).collect();
    assert_eq!(users, ["8", "7"], "user file order");
    assert_eq!(
        events(&d),
        [
            ev("7", "20", 4.0, 881250949),
            ev("8", "10", 5.0, 881250950),
            ev("7", "10", 3.0, 881250951)
        ]
    );
    let toy = d.catalog.item(0);
    assert_eq!(toy.title, "Toy Story");
    assert_eq!(toy.year, Some(1995));
    assert_eq!(toy.categories, ["Animation", "Children's", "Comedy"]);
    assert_eq!(toy.text, "brand: Pixar");
    let star = d.catalog.item(1);
    assert_eq!(star.categories, ["Action", "Sci-Fi"], "duplicates removed");
    assert_eq!(star.text, "");
    assert_eq!(
        d.catalog.item(2).year,
        None,
        "a year that is not a number is left out"
    );
    let user7 = d.catalog.user(d.catalog.user_index("7").unwrap());
    assert_eq!(user7.attributes["occupation"], "technician");
    assert_eq!(user7.attributes["zip_code"], "85711");
    assert_eq!(user7.attributes.len(), 4);
    assert_eq!(
        (report.rows, report.interactions, report.skipped),
        (3, 3, 0)
    );
    assert_eq!(
        report.files.len(),
        3,
        "kg and link are not read: {:?}",
        report.files
    );
}

#[test]
fn recbole_without_catalog_files_creates_bare_items_in_first_seen_order() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "x.inter",
        "user_id:token\titem_id:token\nu1\tb\nu2\ta\nu1\ta\n",
    );
    let (d, _) = load_path(&tmp.path().join("x.inter"), &ImportOptions::default()).unwrap();
    assert!(!d.has_ratings && !d.has_timestamps);
    assert_eq!(item_ids(&d), ["b", "a"]);
    assert_eq!(d.catalog.item(0).title, "b");
    assert!(d
        .interactions
        .iter()
        .all(|i| i.value == 1.0 && i.timestamp == 0));
}

#[test]
fn recbole_with_a_custom_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.inter",
        "uid:token\tiid:token\tscore:float\nu\ti\t2.5\n",
    );
    let options = ImportOptions {
        mapping: Some(ColumnMapping {
            user: "uid".into(),
            item: "iid".into(),
            rating: Some("score".into()),
            timestamp: None,
        }),
        ..ImportOptions::default()
    };
    let (d, _) = load_recbole(tmp.path(), "a", &options).unwrap();
    assert_eq!(events(&d), [ev("u", "i", 2.5, 0)]);
    assert!(d.has_ratings && !d.has_timestamps);
}

fn write_ml100k(dir: &Path, with_genre_file: bool) {
    write(
        dir,
        "u.data",
        "1\t2\t5\t874965758\n2\t1\t3\t876893171\n1\t1\t4\t878542960\n",
    );
    let flags_toy = "0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0";
    let flags_sw = "0|1|1|0|0|0|0|0|0|0|0|0|0|0|1|1|0|1|0";
    let mut items = Vec::new();
    items.extend_from_slice(
        format!("1|Toy Story (1995)|01-Jan-1995||http://x|{flags_toy}\n").as_bytes(),
    );
    // Latin-1 "\xc1 k\xf6ldum klaka": bytes that are invalid as UTF-8.
    items.extend_from_slice(b"2|\xc1 k\xf6ldum klaka (Cold Fever) (1994)|01-Jan-1994||http://y|");
    items.extend_from_slice(flags_sw.as_bytes());
    items.push(b'\n');
    write(dir, "u.item", items);
    write(
        dir,
        "u.user",
        "1|24|M|technician|85711\n2|53|F|other|94043\n",
    );
    if with_genre_file {
        let genres = [
            "unknown",
            "Action",
            "Adventure",
            "Animation",
            "Children's",
            "Comedy",
            "Crime",
            "Documentary",
            "Drama",
            "Fantasy",
            "Film-Noir",
            "Horror",
            "Musical",
            "Mystery",
            "Romance",
            "Sci-Fi",
            "Thriller",
            "War",
            "Western",
        ];
        let text: String = genres
            .iter()
            .enumerate()
            .map(|(i, g)| format!("{g}|{i}\n"))
            .collect();
        write(dir, "u.genre", format!("{text}\n"));
    }
}

#[test]
fn movielens_100k_native_files() {
    for with_genre_file in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        write_ml100k(tmp.path(), with_genre_file);
        let (d, report) = load_movielens_100k(tmp.path(), &ImportOptions::default()).unwrap();
        assert_eq!(item_ids(&d), ["1", "2"]);
        let toy = d.catalog.item(0);
        assert_eq!((toy.title.as_str(), toy.year), ("Toy Story", Some(1995)));
        assert_eq!(toy.categories, ["Animation", "Children's", "Comedy"]);
        let fever = d.catalog.item(1);
        assert_eq!(fever.title, "\u{c1} k\u{f6}ldum klaka (Cold Fever)");
        assert_eq!(fever.year, Some(1994));
        assert_eq!(
            fever.categories,
            ["Action", "Adventure", "Romance", "Sci-Fi", "War"]
        );
        let user2 = d.catalog.user(d.catalog.user_index("2").unwrap());
        assert_eq!(user2.attributes["gender"], "F");
        assert_eq!(user2.attributes["zip_code"], "94043");
        assert_eq!(
            events(&d),
            [
                ev("1", "2", 5.0, 874965758),
                ev("2", "1", 3.0, 876893171),
                ev("1", "1", 4.0, 878542960)
            ]
        );
        assert_eq!(report.skipped, 0);
        assert_eq!(report.files.len(), if with_genre_file { 4 } else { 3 });
    }
}

#[test]
fn movielens_100k_with_only_ratings() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "u.data", "5\t9\t1\t10\n");
    let (d, _) = load_path(tmp.path(), &ImportOptions::default()).unwrap();
    assert_eq!(item_ids(&d), ["9"]);
    assert_eq!(d.catalog.item(0).title, "9");
}

fn write_ml_latest(dir: &Path) {
    write(
        dir,
        "movies.csv",
        "movieId,title,genres\n\
         1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n\
         11,\"American President, The (1995)\",Comedy|Drama|Romance\n\
         99,Babylon 5,(no genres listed)\n\
         100,\"Stranger Things (2016-2019) \",Drama\n",
    );
    write(
        dir,
        "ratings.csv",
        "userId,movieId,rating,timestamp\n\
         1,1,4.0,964982703\n\
         1,11,4.5,964981247\n\
         2,99,0.5,964982224\n",
    );
    write(
        dir,
        "tags.csv",
        "userId,movieId,tag,timestamp\n\
         2,11,politics,1445714994\n\
         3,11,Politics,1445714996\n\
         2,11,\"romance, sort of\",1445714995\n\
         2,1,pixar,1445714992\n",
    );
}

#[test]
fn movielens_latest_csv() {
    let tmp = tempfile::tempdir().unwrap();
    write_ml_latest(tmp.path());
    let (d, report) = load_movielens_latest(tmp.path(), &ImportOptions::default()).unwrap();
    assert_eq!(item_ids(&d), ["1", "11", "99", "100"]);
    let president = d.catalog.item(1);
    assert_eq!(president.title, "American President, The");
    assert_eq!(president.year, Some(1995));
    assert_eq!(president.categories, ["Comedy", "Drama", "Romance"]);
    assert_eq!(president.text, "tags: politics, romance, sort of");
    assert_eq!(d.catalog.item(0).text, "tags: pixar");
    let babylon = d.catalog.item(2);
    assert_eq!((babylon.title.as_str(), babylon.year), ("Babylon 5", None));
    assert!(babylon.categories.is_empty());
    assert_eq!(d.catalog.item(3).year, Some(2016));
    assert_eq!(d.catalog.item(3).title, "Stranger Things");
    assert_eq!(events(&d)[1], ev("1", "11", 4.5, 964981247));
    assert_eq!(report.files.len(), 3);
    assert_eq!(report.skipped, 0);
}

#[test]
fn title_year_split() {
    assert_eq!(
        split_title_year("Toy Story (1995)"),
        ("Toy Story".to_owned(), Some(1995))
    );
    assert_eq!(
        split_title_year("City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
        (
            "City of Lost Children, The (Cité des enfants perdus, La)".to_owned(),
            Some(1995)
        )
    );
    assert_eq!(
        split_title_year("Babylon 5"),
        ("Babylon 5".to_owned(), None)
    );
    assert_eq!(split_title_year("(1995)"), ("(1995)".to_owned(), None));
    assert_eq!(split_title_year("Nine (9)"), ("Nine (9)".to_owned(), None));
}

#[test]
fn generic_csv_tsv_with_detected_and_given_delimiters() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, Option<u8>); 4] = [
        (
            "a.tsv",
            "user_id:token\titem_id:token\trating:float\textra\nu1\ti1\t3\tx\nu2\ti1\t4\ty\n",
            None,
        ),
        (
            "b.csv",
            "extra,item_id,user_id,rating\n\"x, y\",i1,u1,3\nz,i1,u2,4\n",
            None,
        ),
        ("c.txt", "user_id;item_id;rating\nu1;i1;3\nu2;i1;4\n", None),
        (
            "d.dat",
            "user_id|item_id|rating\r\nu1|i1|3\r\nu2|i1|4\r\n",
            Some(b'|'),
        ),
    ];
    for (name, content, delimiter) in cases {
        write(tmp.path(), name, content);
        let path = tmp.path().join(name);
        let (d, _) = load_delimited(&path, delimiter, &ImportOptions::default()).unwrap();
        assert_eq!(
            events(&d),
            [ev("u1", "i1", 3.0, 0), ev("u2", "i1", 4.0, 0)],
            "{name}"
        );
        assert!(d.has_ratings && !d.has_timestamps, "{name}");
        let (again, _) = load_path(&path, &ImportOptions::default()).unwrap();
        assert_eq!(events(&again), events(&d), "{name} through load_path");
    }
}

#[test]
fn generic_file_with_only_user_and_item_is_implicit() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("train.tsv");
    write(
        tmp.path(),
        "train.tsv",
        "user_id\titem_id\n1\t10\n1\t11\n2\t10\n",
    );
    let (d, report) = load_path(&path, &ImportOptions::default()).unwrap();
    assert!(!d.has_ratings);
    assert_eq!(d.n_users(), 2);
    assert_eq!(d.n_items(), 2);
    assert_eq!(report.interactions, 3);
}

#[test]
fn explicit_mapping_requires_its_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("r.csv");
    write(tmp.path(), "r.csv", "who,what\na,b\n");
    let mapping = ColumnMapping {
        user: "who".into(),
        item: "what".into(),
        rating: Some("stars".into()),
        timestamp: None,
    };
    let options = ImportOptions {
        mapping: Some(mapping.clone()),
        ..ImportOptions::default()
    };
    let err = load_path(&path, &options).unwrap_err();
    assert!(
        err.to_string().contains("missing column \"stars\""),
        "{err}"
    );
    let options = ImportOptions {
        mapping: Some(ColumnMapping {
            rating: None,
            ..mapping
        }),
        ..ImportOptions::default()
    };
    let (d, _) = load_path(&path, &options).unwrap();
    assert_eq!(events(&d), [ev("a", "b", 1.0, 0)]);
}

#[test]
fn json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("events.jsonl");
    write(
        tmp.path(),
        "events.jsonl",
        "{\"user_id\": 1, \"item_id\": \"a\", \"rating\": 4.5, \"timestamp\": 100, \"x\": [1]}\n\
         \n\
         {\"user_id\": \"2\", \"item_id\": \"b\", \"rating\": \"3\", \"timestamp\": 1.7e2}\n",
    );
    let (d, report) = load_path(&path, &ImportOptions::default()).unwrap();
    assert_eq!(events(&d), [ev("1", "a", 4.5, 100), ev("2", "b", 3.0, 170)]);
    assert!(d.has_ratings && d.has_timestamps);
    assert_eq!(report.rows, 2);

    write(
        tmp.path(),
        "clicks.ndjson",
        "{\"u\": \"x\", \"i\": \"y\"}\n{\"u\": \"x\", \"i\": \"z\"}\n",
    );
    let options = ImportOptions {
        mapping: Some(ColumnMapping {
            user: "u".into(),
            item: "i".into(),
            rating: None,
            timestamp: None,
        }),
        ..ImportOptions::default()
    };
    let (d, _) = load_json_lines(&tmp.path().join("clicks.ndjson"), &options).unwrap();
    assert!(!d.has_ratings);
    assert_eq!(item_ids(&d), ["y", "z"]);
}

#[test]
fn load_path_detects_directory_formats() {
    let recbole = tempfile::tempdir().unwrap();
    write_recbole(recbole.path());
    let (d, _) = load_path(recbole.path(), &ImportOptions::default()).unwrap();
    assert_eq!(d.n_items(), 3);

    // `chatrec data fetch` layout: data/ml-100k/ml-100k.inter, loaded from data/.
    let parent = tempfile::tempdir().unwrap();
    let nested = parent.path().join("ml-100k");
    std::fs::create_dir(&nested).unwrap();
    write_recbole(&nested);
    std::fs::rename(nested.join("toy.inter"), nested.join("ml-100k.inter")).unwrap();
    std::fs::rename(nested.join("toy.item"), nested.join("ml-100k.item")).unwrap();
    let (d, report) = load_path(parent.path(), &ImportOptions::default()).unwrap();
    assert_eq!(d.catalog.item(1).title, "Star Wars");
    assert!(report.files[0].ends_with("ml-100k/ml-100k.inter"));

    let native = tempfile::tempdir().unwrap();
    write_ml100k(native.path(), false);
    let (d, _) = load_path(native.path(), &ImportOptions::default()).unwrap();
    assert_eq!(d.catalog.item(0).title, "Toy Story");

    let latest = tempfile::tempdir().unwrap();
    write_ml_latest(latest.path());
    let (d, _) = load_path(latest.path(), &ImportOptions::default()).unwrap();
    assert_eq!(d.n_items(), 4);

    // Naming the main file of a MovieLens directory loads the whole directory.
    let (d, _) = load_path(&native.path().join("u.data"), &ImportOptions::default()).unwrap();
    assert_eq!(d.catalog.item(0).title, "Toy Story");
    let (d, report) = load_path(
        &latest.path().join("ratings.csv"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(d.n_items(), 4);
    assert_eq!(report.files.len(), 3);
    // A generic file that happens to be called ratings.csv stays generic.
    let generic = tempfile::tempdir().unwrap();
    write(generic.path(), "ratings.csv", "user_id,item_id\nu,i\n");
    let (d, _) = load_path(
        &generic.path().join("ratings.csv"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(d.n_items(), 1);
}

#[test]
fn load_path_explains_what_it_looked_for() {
    let empty = tempfile::tempdir().unwrap();
    write(empty.path(), "notes.txt", "hello");
    let err = load_path(empty.path(), &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::NotRecognized { .. }));
    let message = err.to_string();
    for expected in ["*.inter", "u.data", "ratings.csv", "ml-100k"] {
        assert!(message.contains(expected), "{message}");
    }
    let missing = load_path(&empty.path().join("nope.csv"), &ImportOptions::default());
    assert!(matches!(missing, Err(ImportError::Io { .. })));
}

#[test]
fn several_inter_files_need_a_choice() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.train.inter",
        "user_id:token\titem_id:token\nu\ti\n",
    );
    write(
        tmp.path(),
        "a.test.inter",
        "user_id:token\titem_id:token\nu\tj\n",
    );
    let err = load_path(tmp.path(), &ImportOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("a.test.inter, a.train.inter"),
        "{err}"
    );
    let (d, _) = load_path(&tmp.path().join("a.test.inter"), &ImportOptions::default()).unwrap();
    assert_eq!(item_ids(&d), ["j"]);
}
