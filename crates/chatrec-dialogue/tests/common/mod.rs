//! A small film world for conversation tests: 40 well-known films with genres and years,
//! 90 users in taste groups with ratings, a trained EASE model and a knowledge graph of
//! directors, cast and sequels. Built deterministically, in milliseconds.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;

use chatrec_core::{Catalog, Dataset, Interaction, Item, User};
use chatrec_dialogue::explain::profile_items;
use chatrec_dialogue::{candidates, Engine, EngineOptions, Evidence, Session, TurnReply};
use chatrec_knowledge::graph::KnowledgeGraph;
use chatrec_models::{registry, NoProgress, TrainSet};

pub const FILMS: &[(&str, &str, i32, &str)] = &[
    (
        "1",
        "Star Wars",
        1977,
        "Action|Adventure|Romance|Sci-Fi|War",
    ),
    (
        "2",
        "Empire Strikes Back, The",
        1980,
        "Action|Adventure|Drama|Romance|Sci-Fi|War",
    ),
    (
        "3",
        "Return of the Jedi",
        1983,
        "Action|Adventure|Romance|Sci-Fi|War",
    ),
    ("4", "Matrix, The", 1999, "Action|Sci-Fi|Thriller"),
    ("5", "Alien", 1979, "Action|Horror|Sci-Fi|Thriller"),
    ("6", "Aliens", 1986, "Action|Sci-Fi|Thriller|War"),
    ("7", "Blade Runner", 1982, "Film-Noir|Sci-Fi"),
    ("8", "Terminator, The", 1984, "Action|Sci-Fi|Thriller"),
    (
        "9",
        "2001: A Space Odyssey",
        1968,
        "Drama|Mystery|Sci-Fi|Thriller",
    ),
    (
        "10",
        "Close Encounters of the Third Kind",
        1977,
        "Drama|Sci-Fi",
    ),
    ("11", "Toy Story", 1995, "Animation|Children's|Comedy"),
    ("12", "Lion King, The", 1994, "Animation|Children's|Musical"),
    ("13", "Aladdin", 1992, "Animation|Children's|Comedy|Musical"),
    ("14", "Babe", 1995, "Children's|Comedy|Drama"),
    ("15", "Groundhog Day", 1993, "Comedy|Romance"),
    ("16", "When Harry Met Sally...", 1989, "Comedy|Romance"),
    ("17", "Annie Hall", 1977, "Comedy|Romance"),
    ("18", "Airplane!", 1980, "Comedy"),
    ("19", "Monty Python and the Holy Grail", 1974, "Comedy"),
    ("20", "Fargo", 1996, "Crime|Drama|Thriller"),
    ("21", "Godfather, The", 1972, "Action|Crime|Drama"),
    ("22", "Godfather: Part II, The", 1974, "Action|Crime|Drama"),
    ("23", "Pulp Fiction", 1994, "Crime|Drama"),
    ("24", "Heat", 1995, "Action|Crime|Thriller"),
    ("25", "Casablanca", 1942, "Drama|Romance|War"),
    ("26", "Sense and Sensibility", 1995, "Drama|Romance"),
    ("27", "Scream", 1996, "Horror|Thriller"),
    ("28", "Shining, The", 1980, "Horror"),
    ("29", "Psycho", 1960, "Horror|Romance|Thriller"),
    ("30", "Dracula", 1931, "Horror"),
    ("31", "Jurassic Park", 1993, "Action|Adventure|Sci-Fi"),
    ("32", "Raiders of the Lost Ark", 1981, "Action|Adventure"),
    (
        "33",
        "Indiana Jones and the Last Crusade",
        1989,
        "Action|Adventure",
    ),
    ("34", "Die Hard", 1988, "Action|Thriller"),
    (
        "35",
        "Good, the Bad and the Ugly, The",
        1966,
        "Action|Western",
    ),
    ("36", "Unforgiven", 1992, "Western"),
    ("37", "Schindler's List", 1993, "Drama|War"),
    ("38", "Apocalypse Now", 1979, "Drama|War"),
    ("39", "Hoop Dreams", 1994, "Documentary"),
    ("40", "Maltese Falcon, The", 1941, "Film-Noir|Mystery"),
];

/// Taste groups: the films each group loves; everyone else's films are rated low or not at all.
const GROUPS: &[&[&str]] = &[
    &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "31"],
    &["11", "12", "13", "14", "15", "16", "17", "26", "25"],
    &["20", "21", "22", "23", "24", "34", "32", "33"],
    &["27", "28", "29", "30", "5", "6"],
    &["11", "12", "13", "14", "31", "32"],
    &[
        "25", "29", "30", "35", "36", "40", "17", "21", "9", "38", "39",
    ],
];

/// Film entity, relation, entity. Entities are made-up ids, as in Freebase.
pub const TRIPLES: &[(&str, &str, &str)] = &[
    ("f1", "film.film.directed_by", "lucas"),
    ("f2", "film.film.directed_by", "kershner"),
    ("f3", "film.film.directed_by", "marquand"),
    ("f4", "film.film.directed_by", "wachowski"),
    ("f5", "film.film.directed_by", "scott"),
    ("f7", "film.film.directed_by", "scott"),
    ("f6", "film.film.directed_by", "cameron"),
    ("f8", "film.film.directed_by", "cameron"),
    ("f9", "film.film.directed_by", "kubrick"),
    ("f28", "film.film.directed_by", "kubrick"),
    ("f10", "film.film.directed_by", "spielberg"),
    ("f31", "film.film.directed_by", "spielberg"),
    ("f32", "film.film.directed_by", "spielberg"),
    ("f33", "film.film.directed_by", "spielberg"),
    ("f37", "film.film.directed_by", "spielberg"),
    ("f21", "film.film.directed_by", "coppola"),
    ("f22", "film.film.directed_by", "coppola"),
    ("f38", "film.film.directed_by", "coppola"),
    ("f29", "film.film.directed_by", "hitchcock"),
    ("f35", "film.film.directed_by", "leone"),
    ("f36", "film.film.directed_by", "eastwood"),
    ("f1", "film.film.actor", "ford"),
    ("f2", "film.film.actor", "ford"),
    ("f3", "film.film.actor", "ford"),
    ("f7", "film.film.actor", "ford"),
    ("f32", "film.film.actor", "ford"),
    ("f33", "film.film.actor", "ford"),
    ("f1", "film.film.actor", "hamill"),
    ("f2", "film.film.actor", "hamill"),
    ("f3", "film.film.actor", "hamill"),
    ("f5", "film.film.actor", "weaver"),
    ("f6", "film.film.actor", "weaver"),
    ("f21", "film.film.actor", "pacino"),
    ("f22", "film.film.actor", "pacino"),
    ("f24", "film.film.actor", "pacino"),
    ("f22", "film.film.actor", "deniro"),
    ("f24", "film.film.actor", "deniro"),
    ("f35", "film.film.actor", "eastwood"),
    ("f36", "film.film.actor", "eastwood"),
    ("f1", "film.film.sequel", "f2"),
    ("f2", "film.film.sequel", "f3"),
    ("f5", "film.film.sequel", "f6"),
    ("f21", "film.film.sequel", "f22"),
    ("f32", "film.film.sequel", "f33"),
];

/// A tiny deterministic generator: tests must not depend on a random crate's stream.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

pub fn dataset() -> Dataset {
    let mut catalog = Catalog::new();
    for (id, title, year, genres) in FILMS {
        catalog.upsert_item(Item {
            id: (*id).to_owned(),
            title: (*title).to_owned(),
            year: Some(*year),
            categories: genres.split('|').map(str::to_owned).collect(),
            text: String::new(),
        });
    }
    let mut rng = Lcg(7);
    let mut interactions = Vec::new();
    let n_users = 90u32;
    for u in 0..n_users {
        let user = catalog.upsert_user(User {
            id: format!("u{}", u + 1),
            ..User::default()
        });
        let group = GROUPS[(u as usize) % GROUPS.len()];
        let mut rated = BTreeSet::new();
        for id in group.iter() {
            // Each fan has seen most of the group's films.
            if rng.next() % 10 < 7 {
                let item = catalog
                    .item_index(id)
                    .expect("group films are in the catalog");
                rated.insert(item);
                interactions.push(Interaction {
                    user,
                    item,
                    value: (4 + rng.next() % 2) as f32,
                    timestamp: 0,
                });
            }
        }
        for _ in 0..3 {
            let item = (rng.next() % FILMS.len() as u64) as u32;
            if rated.insert(item) {
                interactions.push(Interaction {
                    user,
                    item,
                    value: (1 + rng.next() % 3) as f32,
                    timestamp: 0,
                });
            }
        }
    }
    Dataset {
        catalog,
        interactions,
        has_ratings: true,
        has_timestamps: false,
    }
}

pub fn graph(catalog: &Catalog) -> KnowledgeGraph {
    let triples: Vec<(String, String, String)> = TRIPLES
        .iter()
        .map(|(h, r, t)| ((*h).to_owned(), (*r).to_owned(), (*t).to_owned()))
        .collect();
    let links: Vec<(String, String)> = FILMS
        .iter()
        .map(|(id, ..)| ((*id).to_owned(), format!("f{id}")))
        .collect();
    KnowledgeGraph::from_parts(&triples, &links, catalog).0
}

pub fn engine_with(options: EngineOptions) -> Arc<Engine> {
    Arc::new(plain_engine(options))
}

/// The engine before it is shared, for tests that add to it (an assistant).
pub fn plain_engine(options: EngineOptions) -> Engine {
    engine_over(dataset(), options)
}

/// An engine over a changed copy of the test world (texts or titles edited).
pub fn engine_over(dataset: Dataset, options: EngineOptions) -> Engine {
    let train = TrainSet::from_interactions(&dataset, &dataset.interactions);
    let mut model = registry::build("ease", &[], 42).expect("ease is registered");
    model
        .fit(&train, &NoProgress)
        .expect("ease fits the test data");
    let graph = Arc::new(graph(&dataset.catalog));
    Engine::new(dataset, Arc::from(model), options)
        .expect("model and data agree")
        .with_graph(graph)
        .expect("graph covers the catalog")
}

pub fn engine() -> Arc<Engine> {
    engine_with(EngineOptions::default())
}

/// Catalog index of a film by its test id.
pub fn item(engine: &Engine, id: &str) -> u32 {
    engine
        .catalog()
        .item_index(id)
        .unwrap_or_else(|| panic!("no film {id}"))
}

/// The act names of a reply, as `--json` writes them.
pub fn acts(reply: &TurnReply) -> Vec<String> {
    reply
        .acts
        .iter()
        .map(|a| {
            serde_json::to_value(a).expect("acts serialise")["act"]
                .as_str()
                .expect("every act has a name")
                .to_owned()
        })
        .collect()
}

pub fn has_act(reply: &TurnReply, name: &str) -> bool {
    acts(reply).iter().any(|a| a == name)
}

pub fn ids(reply: &TurnReply) -> Vec<String> {
    reply.items.iter().map(|s| s.item_id.clone()).collect()
}

/// A conversation that checks, after every turn, what must always hold: shown items meet
/// every hard constraint, rejected and seen items never come back, nothing is shown twice,
/// and every evidence record is true of the data.
pub struct Conversation {
    pub session: Session,
    pub replies: Vec<TurnReply>,
    shown: BTreeSet<u32>,
}

impl Conversation {
    pub fn new(engine: &Arc<Engine>) -> Self {
        Self::from_session(engine.new_session())
    }

    pub fn for_user(engine: &Arc<Engine>, user: &str) -> Self {
        Self::from_session(engine.session_for(user).expect("user exists"))
    }

    fn from_session(session: Session) -> Self {
        Self {
            session,
            replies: Vec::new(),
            shown: BTreeSet::new(),
        }
    }

    pub fn say(&mut self, text: &str) -> &TurnReply {
        let reply = self.session.turn(text);
        assert!(!reply.reply.trim().is_empty(), "empty reply to {text:?}");
        self.check(&reply, text);
        for s in &reply.items {
            self.shown.insert(s.item);
        }
        self.replies.push(reply);
        self.replies.last().expect("just pushed")
    }

    fn check(&self, reply: &TurnReply, text: &str) {
        let engine = self.session.engine().clone();
        let state = self.session.state();
        let profile = profile_items(&engine, state);
        let graph = engine.graph().expect("test engine has a graph").clone();
        for s in &reply.items {
            assert!(
                !self.shown.contains(&s.item),
                "{} shown twice (turn {text:?})",
                s.title
            );
            assert!(
                !state.rejected.contains(&s.item),
                "rejected {} came back (turn {text:?})",
                s.title
            );
            assert!(
                !state.opinions.contains_key(&s.item) && !state.seen.contains(&s.item),
                "{} was already seen or rated (turn {text:?})",
                s.title
            );
            for held in state.hard_constraints() {
                assert!(
                    candidates::satisfies(&engine, s.item, held),
                    "{} breaks the hard constraint {held:?} (turn {text:?})",
                    s.title
                );
            }
            if let Some(user) = state.user {
                assert!(
                    !engine
                        .interactions()
                        .row_indices(user as usize)
                        .contains(&s.item),
                    "{} is in the user's history (turn {text:?})",
                    s.title
                );
            }
            for evidence in &s.evidence {
                check_evidence(&engine, &graph, &profile, s.item, evidence);
            }
        }
    }
}

/// An evidence record must be true: the liked item is in the profile, the co-liker count
/// is the data's, the graph fact is in the graph.
pub fn check_evidence(
    engine: &Engine,
    graph: &KnowledgeGraph,
    profile: &[u32],
    item: u32,
    evidence: &Evidence,
) {
    let catalog = engine.catalog();
    let index = |id: &str| {
        catalog
            .item_index(id)
            .expect("evidence names catalog items")
    };
    match evidence {
        Evidence::LikedItem {
            liked, co_likers, ..
        } => {
            let liked = index(&liked.item_id);
            assert!(
                profile.contains(&liked),
                "cited liked item is not in the profile"
            );
            let fans = |i: u32| -> BTreeSet<u32> {
                let m = engine.interactions();
                (0..m.n_rows() as u32)
                    .filter(|&u| m.row(u as usize).any(|(j, v)| j == i && v >= 4.0))
                    .collect()
            };
            let shared = fans(liked).intersection(&fans(item)).count() as u32;
            assert_eq!(*co_likers, shared, "co-liker count is not the data's");
        }
        Evidence::SharedFact {
            liked, relation, ..
        } => {
            let liked = index(&liked.item_id);
            assert!(
                profile.contains(&liked),
                "cited liked item is not in the profile"
            );
            assert!(
                graph
                    .evidence(liked, item)
                    .iter()
                    .any(|e| &e.relation == relation),
                "the graph has no {relation} fact between the items"
            );
        }
        Evidence::SharedCategories { liked, categories } => {
            let liked = index(&liked.item_id);
            assert!(
                profile.contains(&liked),
                "cited liked item is not in the profile"
            );
            for c in categories {
                assert!(
                    catalog.item(liked).categories.contains(c),
                    "{c} is not the liked item's"
                );
                assert!(
                    catalog.item(item).categories.contains(c),
                    "{c} is not the item's"
                );
            }
        }
        Evidence::Popular { raters, .. } => {
            let m = engine.interactions();
            let n = (0..m.n_rows())
                .filter(|&u| m.row_indices(u).contains(&item))
                .count() as u32;
            assert_eq!(*raters, n);
        }
        _ => {}
    }
}
