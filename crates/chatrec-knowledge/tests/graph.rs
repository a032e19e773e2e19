//! Knowledge graph: loading, direction normalisation, evidence, similarity and the
//! recommender, on small graphs written by the tests.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use chatrec_core::{Catalog, CsrMatrix, Item};
use chatrec_knowledge::graph::{
    Direction, Evidence, EvidenceKind, KgParams, KgRecommender, KgSimilarity, KnowledgeError,
    KnowledgeGraph, NeighboursOf, RelationWeights, KNOWN_INVERSES,
};
use chatrec_models::{ModelError, NoProgress, Recommender, TrainSet};

const KG_HEADER: &str = "head_id:token\trelation_id:token\ttail_id:token\n";
const LINK_HEADER: &str = "item_id:token\tentity_id:token\n";

fn catalog(titles: &[(&str, &str, i32)]) -> Catalog {
    let mut c = Catalog::new();
    for &(id, title, year) in titles {
        c.upsert_item(Item {
            id: id.into(),
            title: title.into(),
            year: Some(year),
            ..Item::default()
        });
    }
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Tab-separated lines from `a b c` triples.
fn tsv(rows: &[[&str; 3]]) -> String {
    rows.iter().map(|r| format!("{}\n", r.join("\t"))).collect()
}

fn links(pairs: &[(&str, &str)]) -> String {
    let body: String = pairs.iter().map(|(i, e)| format!("{i}\t{e}\n")).collect();
    format!("{LINK_HEADER}{body}")
}

fn load(dir: &Path, kg: &str, link: &str, cat: &Catalog) -> KnowledgeGraph {
    write(dir, "t.kg", kg);
    write(dir, "t.link", link);
    KnowledgeGraph::load_dir(dir, "t", cat).unwrap().0
}

/// Five films: Alpha (A), Beta (B, sequel of A), Gamma (C, prequel of A), Delta (D, shares
/// only the genre with A), Epsilon (E, linked, no triples).
const FILMS: &[(&str, &str, i32)] = &[
    ("1", "Alpha", 1990),
    ("2", "Beta", 1992),
    ("3", "Gamma", 1988),
    ("4", "Delta", 1995),
    ("5", "Epsilon", 1999),
];

fn film_triples() -> Vec<[&'static str; 3]> {
    vec![
        // A and B: same director, stated from both sides.
        ["m.a", "film.film.directed_by", "m.dir1"],
        ["m.dir1", "film.director.film", "m.b"],
        // Three shared actors, one of A's own; one actor triple from the actor side.
        ["m.a", "film.film.actor", "m.act1"],
        ["m.a", "film.film.actor", "m.act2"],
        ["m.a", "film.film.actor", "m.act3"],
        ["m.a", "film.film.actor", "m.act4"],
        ["m.b", "film.film.actor", "m.act1"],
        ["m.b", "film.film.actor", "m.act2"],
        ["m.act3", "film.actor.film", "m.b"],
        ["m.a", "film.film.written_by", "m.w1"],
        ["m.w1", "film.writer.film", "m.b"],
        ["m.p1", "film.producer.film", "m.a"],
        ["m.b", "film.film.produced_by", "m.p1"],
        ["m.a", "film.film.genre", "m.g1"],
        ["m.g1", "film.film_genre.films_in_this_genre", "m.b"],
        ["m.d", "film.film.genre", "m.g1"],
        ["m.a", "film.film.country", "m.c1"],
        ["m.b", "film.film.country", "m.c1"],
        ["m.a", "film.film.language", "m.l1"],
        ["m.b", "film.film.language", "m.l1"],
        ["m.s1", "film.film_subject.films", "m.a"],
        ["m.b", "film.film.subjects", "m.s1"],
        ["m.a", "film.film.award_won", "m.aw1"],
        ["m.b", "film.film.award_won", "m.aw1"],
        ["m.a", "film.film.cinematography", "m.ph1"],
        ["m.ph1", "film.cinematographer.film", "m.b"],
        // B is A's sequel, stated as B's prequel; A is C's sequel.
        ["m.b", "film.film.prequel", "m.a"],
        ["m.c", "film.film.sequel", "m.a"],
        // Triples about entities that no item links to.
        ["m.dir1", "people.person.nationality", "m.c1"],
    ]
}

fn film_graph(dir: &Path) -> (KnowledgeGraph, Catalog) {
    let cat = catalog(FILMS);
    let kg = format!("{KG_HEADER}{}", tsv(&film_triples()));
    let link = links(&[
        ("1", "m.a"),
        ("2", "m.b"),
        ("3", "m.c"),
        ("4", "m.d"),
        ("5", "m.e"),
    ]);
    (load(dir, &kg, &link, &cat), cat)
}

#[test]
fn loads_and_reports_counts() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(FILMS);
    let kg = format!("{KG_HEADER}{}\n\n", tsv(&film_triples()));
    write(dir.path(), "t.kg", &kg);
    // Item 99 is not in the catalog; item 1 is linked twice.
    write(
        dir.path(),
        "t.link",
        &links(&[
            ("1", "m.a"),
            ("2", "m.b"),
            ("3", "m.c"),
            ("4", "m.d"),
            ("99", "m.zz"),
            ("1", "m.other"),
        ]),
    );
    let (graph, report) = KnowledgeGraph::load_dir(dir.path(), "t", &cat).unwrap();
    assert_eq!(report.triples, film_triples().len());
    assert_eq!(report.link_rows, 6);
    assert_eq!(report.unknown_items, 1);
    assert_eq!(report.duplicate_links, 1);
    assert_eq!(report.linked_items, 4);
    assert_eq!(report.triples_off_catalog, 1);
    assert_eq!(graph.n_items(), 5);
    assert_eq!(graph.entity_of(4), None);
    assert_eq!(graph.entities().id(graph.entity_of(0).unwrap()), "m.a");
    // The inverse relations are merged away.
    for (raw, canonical) in &report.merged_relations {
        assert!(!graph.relations().contains(raw), "{raw} still present");
        assert!(graph.relations().contains(canonical));
    }
    assert!(report
        .merged_relations
        .contains(&("film.director.film".into(), "film.film.directed_by".into())));
    assert!(!graph.relations().iter().any(|r| r == "film.film.prequel"));
}

#[test]
fn malformed_lines_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(FILMS);
    let link = links(&[("1", "m.a")]);
    let cases = [
        (
            format!("{KG_HEADER}m.a\tfilm.film.genre\tm.g\nm.a\tfilm.film.genre\n"),
            3,
        ),
        (format!("{KG_HEADER}m.a\t\tm.g\n"), 2),
        (format!("{KG_HEADER}m.a\tfilm.film.genre\tm.g\tx\n"), 2),
    ];
    for (kg, line) in cases {
        write(dir.path(), "t.kg", &kg);
        write(dir.path(), "t.link", &link);
        let err = KnowledgeGraph::load_dir(dir.path(), "t", &cat).unwrap_err();
        match &err {
            KnowledgeError::Malformed { file, line: l, .. } => {
                assert!(file.ends_with("t.kg"), "{file}");
                assert_eq!(*l, line, "{err}");
            }
            other => panic!("expected a malformed-line error, got {other}"),
        }
        assert!(err.to_string().contains(&format!("t.kg:{line}:")), "{err}");
    }
    // A header without the needed column, and a link line with one field.
    write(dir.path(), "t.kg", "head:token\trel:token\ttail:token\n");
    let err = KnowledgeGraph::load_dir(dir.path(), "t", &cat).unwrap_err();
    assert!(err.to_string().contains("head_id"), "{err}");
    write(dir.path(), "t.kg", KG_HEADER);
    write(dir.path(), "t.link", &format!("{LINK_HEADER}1\tm.a\n2\n"));
    let err = KnowledgeGraph::load_dir(dir.path(), "t", &cat).unwrap_err();
    assert!(err.to_string().contains("t.link:3:"), "{err}");
    // A missing file is an I/O error naming it.
    let err = KnowledgeGraph::load_dir(dir.path(), "absent", &cat).unwrap_err();
    assert!(matches!(err, KnowledgeError::Io { .. }));
    assert!(err.to_string().contains("absent.kg"), "{err}");
}

#[test]
fn headerless_files_load_in_column_order() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(FILMS);
    let graph = load(dir.path(), "m.a\tfilm.film.genre\tm.g\n", "1\tm.a\n", &cat);
    assert!(graph.has_fact(0, "film.film.genre", Direction::Outgoing, "m.g"));
}

#[test]
fn both_directions_give_the_same_fact() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, _) = film_graph(dir.path());
    let (a, b, c) = (0, 1, 2);
    // Stated film-side for A, director-side for B.
    for item in [a, b] {
        for (relation, mid) in [
            ("film.film.directed_by", "m.dir1"),
            ("film.film.written_by", "m.w1"),
            ("film.film.produced_by", "m.p1"),
            ("film.film.genre", "m.g1"),
            ("film.film.subjects", "m.s1"),
            ("film.film.actor", "m.act3"),
            ("film.film.cinematography", "m.ph1"),
        ] {
            assert!(
                graph.has_fact(item, relation, Direction::Outgoing, mid),
                "item {item} lacks {relation} {mid}"
            );
            assert!(!graph.has_fact(item, relation, Direction::Incoming, mid));
        }
    }
    // `B prequel A` and `C sequel A` both become sequel facts, from each end.
    assert!(graph.has_fact(a, "film.film.sequel", Direction::Outgoing, "m.b"));
    assert!(graph.has_fact(b, "film.film.sequel", Direction::Incoming, "m.a"));
    assert!(graph.has_fact(c, "film.film.sequel", Direction::Outgoing, "m.a"));
    assert!(graph.has_fact(a, "film.film.sequel", Direction::Incoming, "m.c"));
    // A triple stated from both sides counts once.
    let directed = graph.relation_index("film.film.directed_by").unwrap();
    let count = graph
        .facts(a)
        .iter()
        .filter(|f| f.relation == directed)
        .count();
    assert_eq!(count, 1);
}

#[test]
fn unknown_inverse_pairs_are_detected_from_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(&FILMS[..2]);
    let kg = format!(
        "{KG_HEADER}{}",
        tsv(&[
            ["m.a", "book.book.author", "m.x"],
            ["m.b", "book.book.author", "m.y"],
            ["m.x", "book.author.works", "m.a"],
            ["m.y", "book.author.works", "m.b"],
            // Not an exact reverse of anything: stays separate.
            ["m.q", "book.editor.works", "m.a"],
        ])
    );
    write(dir.path(), "t.kg", &kg);
    write(dir.path(), "t.link", &links(&[("1", "m.a"), ("2", "m.b")]));
    let (graph, report) = KnowledgeGraph::load_dir(dir.path(), "t", &cat).unwrap();
    assert_eq!(
        report.merged_relations,
        vec![(
            "book.author.works".to_owned(),
            "book.book.author".to_owned()
        )]
    );
    assert_eq!(graph.relations(), ["book.book.author", "book.editor.works"]);
    assert!(graph.has_fact(1, "book.book.author", Direction::Outgoing, "m.y"));
    assert!(graph.has_fact(0, "book.editor.works", Direction::Incoming, "m.q"));
}

/// Checks an evidence item against the raw triples, independently of the stored facts.
fn assert_true_in_triples(ev: &Evidence, a: u32, b: u32, mids: &[&str], triples: &[[&str; 3]]) {
    let canonical_names = |relation: &str| -> Vec<(String, bool)> {
        let mut names = vec![(relation.to_owned(), false)];
        names.extend(
            KNOWN_INVERSES
                .iter()
                .filter(|(_, c)| *c == relation)
                .map(|(raw, _)| ((*raw).to_owned(), true)),
        );
        names
    };
    // Whether the raw triples hold `head -relation-> tail` in canonical orientation.
    let holds = |head: &str, relation: &str, tail: &str| {
        canonical_names(relation).iter().any(|(raw, reversed)| {
            let (h, t) = if *reversed {
                (tail, head)
            } else {
                (head, tail)
            };
            triples
                .iter()
                .any(|tr| tr[0] == h && tr[1] == raw.as_str() && tr[2] == t)
        })
    };
    let (ma, mb) = (mids[a as usize], mids[b as usize]);
    match ev.kind {
        EvidenceKind::SequelOf => {
            assert!(holds(ma, &ev.relation, mb), "{ev:?}");
            assert_eq!(ev.linked_items, vec![a]);
        }
        EvidenceKind::PrequelOf => {
            assert!(holds(mb, &ev.relation, ma), "{ev:?}");
            assert_eq!(ev.linked_items, vec![a]);
        }
        _ => {
            assert!(!ev.entities.is_empty());
            for e in &ev.entities {
                let both_out = holds(ma, &ev.relation, e) && holds(mb, &ev.relation, e);
                let both_in = holds(e, &ev.relation, ma) && holds(e, &ev.relation, mb);
                assert!(both_out || both_in, "{ev:?} not true for {e}");
            }
        }
    }
    if let EvidenceKind::SharedCast { count } = ev.kind {
        assert_eq!(count, ev.entities.len());
    }
}

#[test]
fn every_evidence_kind_is_true_and_described() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, cat) = film_graph(dir.path());
    let ev = graph.evidence(0, 1);
    let kinds: Vec<&EvidenceKind> = ev.iter().map(|e| &e.kind).collect();
    for expected in [
        EvidenceKind::SequelOf,
        EvidenceKind::SameDirector,
        EvidenceKind::SharedCast { count: 3 },
        EvidenceKind::SameWriter,
        EvidenceKind::SameProducer,
        EvidenceKind::SameGenre,
        EvidenceKind::SameCountry,
        EvidenceKind::SameLanguage,
        EvidenceKind::SharedSubject,
        EvidenceKind::SharedAward,
        EvidenceKind::Other {
            relation: "film.film.cinematography".into(),
        },
    ] {
        assert!(
            kinds.contains(&&expected),
            "missing {expected:?} in {kinds:?}"
        );
    }
    // The sequel comes first, the most common attributes last.
    assert_eq!(ev[0].kind, EvidenceKind::SequelOf);
    assert_eq!(ev.last().unwrap().kind, EvidenceKind::SameLanguage);
    let text: Vec<String> = ev.iter().map(|e| e.describe(&cat)).collect();
    for phrase in [
        "sequel of Alpha (1990)",
        "same director",
        "3 shared cast members",
        "same writer",
        "won the same award",
        "same cinematography",
    ] {
        assert!(text.iter().any(|t| t == phrase), "{phrase} not in {text:?}");
    }
    let back = graph.evidence(1, 0);
    assert_eq!(back[0].kind, EvidenceKind::PrequelOf);
    assert_eq!(back[0].describe(&cat), "prequel of Beta (1992)");
    let gamma = graph.evidence(0, 2);
    assert_eq!(gamma.len(), 1);
    assert_eq!(gamma[0].kind, EvidenceKind::PrequelOf);

    let mids = ["m.a", "m.b", "m.c", "m.d", "m.e"];
    let triples = film_triples();
    for a in 0..5 {
        for b in 0..5 {
            for e in graph.evidence(a, b) {
                assert_true_in_triples(&e, a, b, &mids, &triples);
            }
        }
    }
    assert!(graph.evidence(0, 0).is_empty());
    assert!(graph.evidence(0, 4).is_empty());
    assert!(graph.evidence(0, 77).is_empty());
    // Serialised evidence carries its kind as a tag.
    let json = serde_json::to_value(&ev[2]).unwrap();
    assert!(json["kind"]["type"].is_string(), "{json}");
}

/// Items 0..n: item `i` is directed by `dir{i / per_director}`; all share one genre and
/// language; each has two actors of its own plus one shared by its director's films.
fn clustered(dir: &Path, n: usize, per_director: usize) -> (Arc<KnowledgeGraph>, Catalog) {
    let titles: Vec<(String, String)> = (0..n)
        .map(|i| ((i + 1).to_string(), format!("Film {i}")))
        .collect();
    let mut cat = Catalog::new();
    for (id, title) in &titles {
        cat.upsert_item(Item {
            id: id.clone(),
            title: title.clone(),
            ..Item::default()
        });
    }
    let mut kg = String::from(KG_HEADER);
    let mut link = String::from(LINK_HEADER);
    for i in 0..n {
        let d = i / per_director;
        kg += &format!("m.f{i}\tfilm.film.directed_by\tm.dir{d}\n");
        kg += &format!("m.f{i}\tfilm.film.genre\tm.drama\n");
        kg += &format!("m.f{i}\tfilm.film.language\tm.en\n");
        kg += &format!("m.f{i}\tfilm.film.actor\tm.star{d}\n");
        kg += &format!("m.f{i}\tfilm.film.actor\tm.own{i}a\n");
        kg += &format!("m.f{i}\tfilm.film.actor\tm.own{i}b\n");
        link += &format!("{}\tm.f{i}\n", i + 1);
    }
    // A genre shared by the first film of every cluster, so unrelated films are not all
    // at similarity zero.
    for d in 0..n / per_director {
        kg += &format!("m.f{}\tfilm.film.genre\tm.noir\n", d * per_director);
    }
    (Arc::new(load(dir, &kg, &link, &cat)), cat)
}

#[test]
fn shared_director_ranks_above_unrelated_items() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, cat) = clustered(dir.path(), 12, 4);
    let sim = KgSimilarity::new(Arc::clone(&graph), &RelationWeights::uniform(), 0.0);
    for item in 0..12u32 {
        let same: HashSet<u32> = (0..12)
            .filter(|&j| j != item && j / 4 == item / 4)
            .collect();
        let top: Vec<u32> = sim.neighbours(item, 3).iter().map(|s| s.item).collect();
        assert_eq!(
            top.iter().copied().collect::<HashSet<_>>(),
            same,
            "item {item}"
        );
        for other in (0..12).filter(|j| j / 4 != item / 4) {
            assert!(
                sim.similarity(item, other) < sim.similarity(item, *same.iter().next().unwrap())
            );
        }
    }
    // Symmetric, zero on the diagonal and outside the catalog.
    assert!((sim.similarity(1, 2) - sim.similarity(2, 1)).abs() < 1e-6);
    assert_eq!(sim.similarity(3, 3), 0.0);
    assert_eq!(sim.similarity(3, 99), 0.0);
    // Evidence of the neighbours names the director.
    let with = sim.neighbours_with_evidence(0, 2);
    assert_eq!(with.len(), 2);
    for (_, evidence) in &with {
        assert!(evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::SameDirector && e.describe(&cat) == "same director"));
    }
    // Without the director and cast relations, the clusters are gone: film 0 is then
    // closest to the other first films (the shared second genre).
    let genre_only = RelationWeights::parse("directed_by=0,actor=0").unwrap();
    let sim = KgSimilarity::new(graph, &genre_only, 0.0);
    let top: Vec<u32> = sim.neighbours(0, 2).iter().map(|s| s.item).collect();
    assert_eq!(top, vec![4, 8]);
}

#[test]
fn relation_weights_parse_print_and_match_short_names() {
    let w = RelationWeights::parse("*=0.5, directed_by=2,film.film.actor=0").unwrap();
    assert_eq!(w.get("film.film.directed_by"), 2.0);
    assert_eq!(w.get("film.film.actor"), 0.0);
    assert_eq!(w.get("film.film.genre"), 0.5);
    assert_eq!(RelationWeights::parse(&w.to_string()).unwrap(), w);
    assert_eq!(
        RelationWeights::parse("uniform").unwrap(),
        RelationWeights::uniform()
    );
    for bad in ["actor", "actor=x", "actor=-1", "=2", "actor=inf"] {
        assert!(RelationWeights::parse(bad).is_err(), "{bad}");
    }
}

/// Users 0..2g: group 0 likes the films of directors 0 and 1, group 1 those of 2 and 3;
/// each user misses one film of their block, returned as held out.
fn planted(n_items: usize, users_per_group: usize) -> (TrainSet, Vec<(u32, u32)>) {
    let block = n_items / 2;
    let mut triplets = Vec::new();
    let mut held = Vec::new();
    for g in 0..2 {
        for k in 0..users_per_group {
            let u = (g * users_per_group + k) as u32;
            let missing = g * block + (k * 5) % block;
            for i in g * block..(g + 1) * block {
                // Every user has a random-looking half of the block.
                if i != missing && (i + k) % 2 == 0 {
                    triplets.push((u, i as u32, 1.0));
                }
            }
            if triplets.iter().all(|t| t.0 != u) {
                triplets.push((
                    u,
                    (g * block + (missing + 1 - g * block) % block) as u32,
                    1.0,
                ));
            }
            held.push((u, missing as u32));
        }
    }
    let matrix = CsrMatrix::from_triplets(2 * users_per_group, n_items, &triplets);
    (TrainSet::from_matrix(matrix), held)
}

fn scores(model: &dyn Recommender, user: u32) -> Vec<f32> {
    let mut out = vec![0.0; model.n_items()];
    model.score_user(user, &mut out);
    out
}

fn assert_recovers(model: &dyn Recommender, train: &TrainSet, held: &[(u32, u32)], within: usize) {
    for &(u, item) in held {
        let s = scores(model, u);
        let seen = train.matrix.row_indices(u as usize);
        let better = (0..model.n_items() as u32)
            .filter(|i| *i != item && !seen.contains(i))
            .filter(|&i| s[i as usize] > s[item as usize])
            .count();
        assert!(
            better < within,
            "user {u}: held-out {item} has {better} items above it"
        );
    }
}

fn fitted(graph: &Arc<KnowledgeGraph>, params: KgParams, train: &TrainSet) -> KgRecommender {
    let mut model = KgRecommender::new(params, Arc::clone(graph), 7);
    model.fit(train, &NoProgress).unwrap();
    model
}

#[test]
fn recommender_recovers_planted_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, _) = clustered(dir.path(), 16, 4);
    let (train, held) = planted(16, 10);
    for neighbours_of in [NeighboursOf::History, NeighboursOf::Candidate] {
        for weights in ["uniform", "learned"] {
            let params = KgParams {
                weights: weights.into(),
                neighbours: 6,
                neighbours_of,
                ..KgParams::default()
            };
            let model = fitted(&graph, params, &train);
            assert_recovers(&model, &train, &held, 4);
        }
    }
}

#[test]
fn learned_weights_are_deterministic_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, _) = clustered(dir.path(), 16, 4);
    let (train, _) = planted(16, 10);
    let a = fitted(&graph, KgParams::default(), &train);
    let b = fitted(&graph, KgParams::default(), &train);
    assert_eq!(a.state(), b.state());
    let outcome = a.tune_outcome().unwrap();
    assert!(outcome.tuned_ndcg >= outcome.uniform_ndcg);
    // Every film has the same language, so that relation cannot change similarities and
    // is neither searched nor ablated.
    let ablated: Vec<&str> = outcome.ablation.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        ablated,
        [
            "film.film.actor",
            "film.film.directed_by",
            "film.film.genre"
        ]
    );
    assert!(
        outcome.trials
            > ablated.len() * (chatrec_knowledge::graph::recommender::WEIGHT_LEVELS.len() - 1)
    );
    // The saved parameters spell out the learned weights.
    let saved = a.state().params["weights"].as_str().unwrap().to_owned();
    assert_eq!(RelationWeights::parse(&saved).unwrap(), outcome.weights);
}

#[test]
fn state_round_trip_scores_without_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, cat) = clustered(dir.path(), 16, 4);
    let (train, _) = planted(16, 10);
    let params = KgParams {
        weights: "actor=0.5".into(),
        neighbours: 5,
        shrink: 1.0,
        neighbours_of: NeighboursOf::Candidate,
        ..KgParams::default()
    };
    let model = fitted(&graph, params, &train);
    let loaded = KgRecommender::from_state(&model.state()).unwrap();
    assert_eq!(loaded.n_items(), 16);
    assert_eq!(loaded.n_users(), 20);
    for u in 0..20 {
        assert_eq!(scores(&model, u), scores(&loaded, u));
    }
    let history = [(3, 1.0), (9, 0.5)];
    let (mut x, mut y) = (vec![0.0; 16], vec![0.0; 16]);
    model.score_history(&history, &mut x);
    loaded.score_history(&history, &mut y);
    assert_eq!(x, y);
    for i in 0..16 {
        assert_eq!(model.similar_items(i, 4), loaded.similar_items(i, 4));
    }
    assert_eq!(loaded.state(), model.state());
    // Evidence needs the graph: none without it, the director with it.
    assert!(loaded
        .neighbours_with_evidence(0, 2)
        .iter()
        .all(|(_, e)| e.is_empty()));
    let loaded = loaded.with_graph(graph);
    for (s, evidence) in loaded.neighbours_with_evidence(0, 3) {
        assert!(s.score > 0.0);
        assert!(
            evidence.iter().any(|e| e.describe(&cat) == "same director"),
            "{evidence:?}"
        );
    }
    // Wrong model name and damaged tensors are errors, not panics.
    let mut state = model.state();
    state.model = "als".into();
    assert!(KgRecommender::from_state(&state).is_err());
    let mut state = model.state();
    state.tensors.retain(|t| t.name != "sim_values");
    assert!(KgRecommender::from_state(&state).is_err());
}

#[test]
fn fold_in_matches_known_users_and_cold_cases_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, _) = clustered(dir.path(), 16, 4);
    let (mut train, _) = planted(16, 10);
    // User 20 has no interactions; item 15 has none either.
    let triplets: Vec<(u32, u32, f32)> = (0..20)
        .flat_map(|u| train.matrix.row(u).map(move |(i, v)| (u as u32, i, v)))
        .filter(|t| t.1 != 15)
        .collect();
    train = TrainSet::from_matrix(CsrMatrix::from_triplets(21, 16, &triplets));
    let params = KgParams {
        weights: "uniform".into(),
        ..KgParams::default()
    };
    let model = fitted(&graph, params, &train);
    for u in 0..20u32 {
        let history: Vec<(u32, f32)> = train.matrix.row(u as usize).collect();
        let mut folded = vec![0.0; 16];
        model.score_history(&history, &mut folded);
        assert_eq!(folded, scores(&model, u));
    }
    // The cold user gets training popularity; the item without interactions is still
    // reachable through the graph by users of its director's films.
    let cold = scores(&model, 20);
    assert!(cold.iter().all(|s| s.is_finite()));
    assert_eq!(cold[15], 0.0);
    assert!(cold.iter().any(|&s| s > 0.0));
    let mut out = vec![0.0; 16];
    model.score_history(&[(12, 1.0)], &mut out);
    assert!(out[15] > 0.0);
    model.score_history(&[(99, 1.0), (1, f32::NAN)], &mut out);
    assert!(out.iter().all(|s| s.is_finite()));
}

#[test]
fn invalid_parameters_and_data_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, _) = clustered(dir.path(), 8, 4);
    let (train, _) = planted(8, 4);
    for params in [
        KgParams {
            neighbours: 0,
            ..KgParams::default()
        },
        KgParams {
            shrink: -1.0,
            ..KgParams::default()
        },
        KgParams {
            weights: "actor=much".into(),
            ..KgParams::default()
        },
        KgParams {
            tune_passes: 0,
            ..KgParams::default()
        },
    ] {
        let mut model = KgRecommender::new(params, Arc::clone(&graph), 1);
        let err = model.fit(&train, &NoProgress).unwrap_err();
        assert!(matches!(err, ModelError::InvalidParam { .. }), "{err}");
    }
    let mut model = KgRecommender::new(KgParams::default(), Arc::clone(&graph), 1);
    let empty = TrainSet::from_matrix(CsrMatrix::zeros(3, 8));
    assert!(matches!(
        model.fit(&empty, &NoProgress),
        Err(ModelError::EmptyTrainingData(_))
    ));
    let wrong = TrainSet::from_matrix(CsrMatrix::from_triplets(1, 9, &[(0, 0, 1.0)]));
    assert!(matches!(
        model.fit(&wrong, &NoProgress),
        Err(ModelError::InvalidParam { .. })
    ));
    // Params parse from key=value strings, with unknown keys rejected.
    let pairs = vec![("neighbours_of".to_owned(), "candidate".to_owned())];
    let p: KgParams = chatrec_models::params::parse_params("kg", &pairs).unwrap();
    assert_eq!(p.neighbours_of, NeighboursOf::Candidate);
    let bad = vec![("neighbors".to_owned(), "3".to_owned())];
    assert!(chatrec_models::params::parse_params::<KgParams>("kg", &bad).is_err());
}
