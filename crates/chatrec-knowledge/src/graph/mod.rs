//! A knowledge graph over catalog items: loading, typed facts and evidence for pairs.
//!
//! # Data
//!
//! RecBole's knowledge-aware files (Zhao et al., "KB4Rec: A Data Set for Linking Knowledge
//! Bases with Recommender Systems", 2019), tab-separated with a typed header:
//! - `<name>.kg`: `head_id:token  relation_id:token  tail_id:token`, one triple per line,
//!   entities are Freebase MIDs (`m.04ctbw8`), relations Freebase properties
//!   (`film.film.directed_by`, `film.director.film`, ...);
//! - `<name>.link`: `item_id:token  entity_id:token`, the entity of each catalog item.
//!
//! Entity names are not in the files; an entity has a readable name only when it is itself
//! a linked catalog item (a sequel, a film that is the subject of another).
//!
//! # Normalised facts
//!
//! Freebase stores most relations twice, once from each side (`film.director.film` from
//! the director, `film.film.directed_by` from the film). Loading merges each such pair into
//! one *canonical* relation oriented from the film, so that both triples give the single
//! fact "item directed_by E". Pairs come from a table of known Freebase inverses
//! ([`KNOWN_INVERSES`], which also maps `film.film.prequel` onto `film.film.sequel`
//! reversed) and, for relations the table does not name, from the data: two relations
//! whose triples are exactly each other's reverses are one relation; the side whose heads
//! are more often linked items is kept.
//!
//! Every triple `(h, R, t)` of a canonical relation gives the fact `(R, t, Outgoing)` to
//! every item linked to `h`, and `(R, h, Incoming)` to every item linked to `t`. For
//! `film.film.sequel`, `(A, sequel, B)` means B is the sequel of A: A holds
//! `(sequel, B, Outgoing)`, B holds `(sequel, A, Incoming)`. Facts are deduplicated, so a
//! triple stored from both sides counts once. Triples that touch no linked item cannot
//! describe an item and are counted, not kept (the graph is used one hop from items).
//!
//! # Evidence
//!
//! [`KnowledgeGraph::evidence`]`(a, b)` lists what the graph says about `b` for someone who
//! likes `a`: direct links between the two (`b` is the sequel of `a`) and entities both
//! hold through the same relation and direction (same director, shared cast members).
//! Every piece is read from the stored facts, so it is true in the loaded graph.
//!
//! Similarity and the recommender live in [`similarity`] and [`recommender`].

pub mod recommender;
pub mod similarity;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use chatrec_core::{Catalog, IdMap};
use serde::Serialize;
use thiserror::Error;

pub use recommender::{KgParams, KgRecommender, NeighboursOf, TuneOutcome, NAME};
pub use similarity::{KgSimilarity, RelationWeights};

/// Freebase relations stored from the non-film side, with the film-side relation they are
/// the reverse of. `film.film.prequel` is listed too: `(A, prequel, B)` is `(B, sequel, A)`.
pub const KNOWN_INVERSES: &[(&str, &str)] = &[
    ("film.director.film", "film.film.directed_by"),
    ("film.producer.film", "film.film.produced_by"),
    ("film.writer.film", "film.film.written_by"),
    ("film.actor.film", "film.film.actor"),
    ("film.cinematographer.film", "film.film.cinematography"),
    (
        "film.production_company.films",
        "film.film.production_companies",
    ),
    ("film.content_rating.film", "film.film.rating"),
    ("film.film_genre.films_in_this_genre", "film.film.genre"),
    ("film.film_subject.films", "film.film.subjects"),
    ("film.film.prequel", "film.film.sequel"),
];

/// Everything that can go wrong when loading a knowledge graph.
#[derive(Debug, Error)]
pub enum KnowledgeError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {reason}")]
    Malformed {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("invalid relation weights `{spec}`: {reason}")]
    InvalidWeights { spec: String, reason: String },
}

/// Which end of a canonical relation the item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The item is the head: "item directed_by E", "item's sequel is E".
    Outgoing,
    /// The item is the tail: "item is the sequel of E".
    Incoming,
}

/// One typed fact about an item: `(item, relation, entity)` or its reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fact {
    /// Index into [`KnowledgeGraph::relations`].
    pub relation: u32,
    pub direction: Direction,
    /// Index into [`KnowledgeGraph::entities`].
    pub entity: u32,
}

/// Counts from loading, for the user to check that the files matched the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// Triples read from the `.kg` file (after the header).
    pub triples: usize,
    /// Distinct relation names in the file.
    pub raw_relations: usize,
    /// Relations after merging inverse pairs.
    pub relations: usize,
    /// Relation names merged into another one, as `(raw, canonical)`.
    pub merged_relations: Vec<(String, String)>,
    /// Rows of the `.link` file.
    pub link_rows: usize,
    /// Catalog items with an entity.
    pub linked_items: usize,
    /// `.link` rows naming an item id that is not in the catalog (skipped).
    pub unknown_items: usize,
    /// `.link` rows giving a second entity to an item already linked (skipped).
    pub duplicate_links: usize,
    /// Triples with no linked item at either end (not kept).
    pub triples_off_catalog: usize,
    /// Facts stored over all items, after deduplication.
    pub facts: usize,
    /// Distinct entities in the kept facts and links.
    pub entities: usize,
}

/// What kind of evidence links two items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EvidenceKind {
    SameDirector,
    SharedCast {
        count: usize,
    },
    SameWriter,
    SameProducer,
    /// The second item is a sequel of the first.
    SequelOf,
    /// The second item is a prequel of the first.
    PrequelOf,
    SameGenre,
    SameCountry,
    SameLanguage,
    SharedSubject,
    SharedAward,
    Other {
        relation: String,
    },
}

/// One reason, read from the graph, why item `b` relates to item `a`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// The canonical relation the evidence comes from.
    pub relation: String,
    /// The entities (MIDs) involved: the shared ones, or the linked item's entity.
    pub entities: Vec<String>,
    /// Catalog items among those entities (for a sequel: the first item).
    pub linked_items: Vec<u32>,
}

impl Evidence {
    /// A short English phrase: "same director", "3 shared cast members",
    /// "sequel of Star Wars (1977)".
    pub fn describe(&self, catalog: &Catalog) -> String {
        let n = self.entities.len().max(1);
        let titles = || {
            self.linked_items
                .iter()
                .map(|&i| title_of(catalog, i))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let counted = |one: &str, many: &str| {
            if n == 1 {
                format!("same {one}")
            } else {
                format!("{n} shared {many}")
            }
        };
        match &self.kind {
            EvidenceKind::SameDirector => counted("director", "directors"),
            EvidenceKind::SharedCast { count } => {
                let plural = if *count == 1 { "member" } else { "members" };
                format!("{count} shared cast {plural}")
            }
            EvidenceKind::SameWriter => counted("writer", "writers"),
            EvidenceKind::SameProducer => counted("producer", "producers"),
            EvidenceKind::SequelOf => format!("sequel of {}", titles()),
            EvidenceKind::PrequelOf => format!("prequel of {}", titles()),
            EvidenceKind::SameGenre => counted("genre", "genres"),
            EvidenceKind::SameCountry => counted("country", "countries"),
            EvidenceKind::SameLanguage => counted("language", "languages"),
            EvidenceKind::SharedSubject if self.linked_items.is_empty() => {
                counted("subject", "subjects")
            }
            EvidenceKind::SharedSubject => format!("also about {}", titles()),
            EvidenceKind::SharedAward => {
                let verb = if self.relation.ends_with("nomination") {
                    "nominated for"
                } else {
                    "won"
                };
                if n == 1 {
                    format!("{verb} the same award")
                } else {
                    format!("{verb} {n} of the same awards")
                }
            }
            EvidenceKind::Other { relation } => {
                let label = relation_label(relation);
                if self.linked_items.is_empty() {
                    counted(&label, &label)
                } else {
                    format!("{label}: {}", titles())
                }
            }
        }
    }
}

/// "Title (Year)" of a catalog item, or a placeholder for an index outside the catalog.
fn title_of(catalog: &Catalog, item: u32) -> String {
    if item as usize >= catalog.n_items() {
        return format!("item #{item}");
    }
    let it = catalog.item(item);
    match it.year {
        Some(year) if !it.title.ends_with(&format!("({year})")) => {
            format!("{} ({year})", it.title)
        }
        _ => it.title.clone(),
    }
}

/// The last segment of a relation name, in words: `film.film.production_companies` ->
/// "production companies".
fn relation_label(relation: &str) -> String {
    relation
        .rsplit('.')
        .next()
        .unwrap_or(relation)
        .replace('_', " ")
}

/// Evidence kind of a fact shared by both items through `relation`.
fn shared_kind(relation: &str, count: usize) -> EvidenceKind {
    match relation {
        "film.film.directed_by" => EvidenceKind::SameDirector,
        "film.film.actor" | "film.film.starring" => EvidenceKind::SharedCast { count },
        "film.film.written_by" => EvidenceKind::SameWriter,
        "film.film.produced_by" => EvidenceKind::SameProducer,
        "film.film.genre" => EvidenceKind::SameGenre,
        "film.film.country" => EvidenceKind::SameCountry,
        "film.film.language" => EvidenceKind::SameLanguage,
        "film.film.subjects" => EvidenceKind::SharedSubject,
        "film.film.award_won" | "film.film.award_nomination" => EvidenceKind::SharedAward,
        other => EvidenceKind::Other {
            relation: other.to_owned(),
        },
    }
}

/// Order in which evidence is listed: the most specific first.
fn kind_rank(kind: &EvidenceKind) -> u8 {
    match kind {
        EvidenceKind::SequelOf | EvidenceKind::PrequelOf => 0,
        EvidenceKind::SameDirector => 1,
        EvidenceKind::SameWriter => 2,
        EvidenceKind::SharedCast { .. } => 3,
        EvidenceKind::SameProducer => 4,
        EvidenceKind::SharedSubject => 5,
        EvidenceKind::SharedAward => 6,
        EvidenceKind::Other { .. } => 7,
        EvidenceKind::SameGenre => 8,
        EvidenceKind::SameCountry => 9,
        EvidenceKind::SameLanguage => 10,
    }
}

/// Items linked to a knowledge graph, with their typed facts.
#[derive(Debug, Clone)]
pub struct KnowledgeGraph {
    /// Canonical relation names; a [`Fact::relation`] indexes this.
    relations: Vec<String>,
    /// Entity MIDs; a [`Fact::entity`] indexes this.
    entities: IdMap,
    /// Entity of each catalog item, by dense item index.
    item_entity: Vec<Option<u32>>,
    entity_items: LinkIndex,
    /// Facts of each item, sorted by `(relation, direction, entity)`, no duplicates.
    facts: Vec<Vec<Fact>>,
}

/// One parsed line: the fields and the 1-based line number.
type Row = (usize, Vec<String>);

impl KnowledgeGraph {
    /// Loads `<dir>/<name>.kg` and `<dir>/<name>.link`.
    pub fn load_dir(
        dir: &Path,
        name: &str,
        catalog: &Catalog,
    ) -> Result<(Self, LoadReport), KnowledgeError> {
        Self::load(
            &dir.join(format!("{name}.kg")),
            &dir.join(format!("{name}.link")),
            catalog,
        )
    }

    /// Loads a graph and the item links, matching `.link` item ids to the catalog's
    /// external item ids. Unknown item ids are counted and skipped; a line with the wrong
    /// number of fields or an empty field is an error naming the file and line.
    pub fn load(
        kg_path: &Path,
        link_path: &Path,
        catalog: &Catalog,
    ) -> Result<(Self, LoadReport), KnowledgeError> {
        let triples = read_table(kg_path, &["head_id", "relation_id", "tail_id"])?;
        let links = read_table(link_path, &["item_id", "entity_id"])?;
        let triples: Vec<(String, String, String)> = triples
            .into_iter()
            .map(|(_, mut f)| {
                let tail = f.pop().unwrap_or_default();
                let relation = f.pop().unwrap_or_default();
                let head = f.pop().unwrap_or_default();
                (head, relation, tail)
            })
            .collect();
        let link_pairs: Vec<(String, String)> = links
            .into_iter()
            .map(|(_, mut f)| {
                let entity = f.pop().unwrap_or_default();
                let item = f.pop().unwrap_or_default();
                (item, entity)
            })
            .collect();
        Ok(Self::from_parts(&triples, &link_pairs, catalog))
    }

    /// Builds a graph from triples `(head, relation, tail)` and links `(item id, entity)`.
    pub fn from_parts(
        triples: &[(String, String, String)],
        links: &[(String, String)],
        catalog: &Catalog,
    ) -> (Self, LoadReport) {
        let mut report = LoadReport {
            triples: triples.len(),
            link_rows: links.len(),
            ..LoadReport::default()
        };
        let mut entities = IdMap::new();
        let mut item_entity: Vec<Option<u32>> = vec![None; catalog.n_items()];
        for (item_id, entity) in links {
            let Some(item) = catalog.item_index(item_id) else {
                report.unknown_items += 1;
                continue;
            };
            let slot = &mut item_entity[item as usize];
            if slot.is_some() {
                report.duplicate_links += 1;
                continue;
            }
            *slot = Some(entities.get_or_insert(entity));
        }
        let entity_items = LinkIndex::new(&item_entity);
        report.linked_items = entity_items.items.len();

        let linked_mids: HashSet<&str> = links
            .iter()
            .filter(|(item, _)| catalog.item_index(item).is_some())
            .map(|(_, e)| e.as_str())
            .collect();
        let canonical = canonical_relations(triples, &linked_mids);
        let mut merged: Vec<(String, String)> = canonical
            .iter()
            .filter(|(raw, (name, _))| *raw != name)
            .map(|(raw, (name, _))| (raw.clone(), name.clone()))
            .collect();
        merged.sort();
        report.merged_relations = merged;
        report.raw_relations = canonical.len();

        let mut relation_ids: BTreeMap<&str, u32> = BTreeMap::new();
        for (name, _) in canonical.values() {
            relation_ids.insert(name.as_str(), 0);
        }
        let relations: Vec<String> = relation_ids.keys().map(|s| (*s).to_owned()).collect();
        for (k, id) in relation_ids.values_mut().enumerate() {
            *id = k as u32;
        }
        report.relations = relations.len();

        let mut facts: Vec<Vec<Fact>> = vec![Vec::new(); catalog.n_items()];
        let items_of = |entities: &IdMap, mid: &str| -> Vec<u32> {
            match entities.get(mid) {
                Some(e) => items_of_entity(&entity_items, e).to_vec(),
                None => Vec::new(),
            }
        };
        for (h, r, t) in triples {
            let Some((name, reversed)) = canonical.get(r) else {
                continue;
            };
            let (head, tail) = if *reversed { (t, h) } else { (h, t) };
            let head_items = items_of(&entities, head);
            let tail_items = items_of(&entities, tail);
            if head_items.is_empty() && tail_items.is_empty() {
                report.triples_off_catalog += 1;
                continue;
            }
            let relation = relation_ids[name.as_str()];
            let head_entity = entities.get_or_insert(head);
            let tail_entity = entities.get_or_insert(tail);
            for item in head_items {
                facts[item as usize].push(Fact {
                    relation,
                    direction: Direction::Outgoing,
                    entity: tail_entity,
                });
            }
            for item in tail_items {
                facts[item as usize].push(Fact {
                    relation,
                    direction: Direction::Incoming,
                    entity: head_entity,
                });
            }
        }
        for list in &mut facts {
            list.sort_unstable();
            list.dedup();
        }
        report.facts = facts.iter().map(Vec::len).sum();
        report.entities = entities.len();
        let graph = KnowledgeGraph {
            relations,
            entities,
            item_entity,
            entity_items,
            facts,
        };
        (graph, report)
    }

    /// Canonical relation names, indexed by [`Fact::relation`].
    pub fn relations(&self) -> &[String] {
        &self.relations
    }

    /// The index of a canonical relation.
    pub fn relation_index(&self, name: &str) -> Option<u32> {
        self.relations
            .iter()
            .position(|r| r == name)
            .map(|i| i as u32)
    }

    /// Entity MIDs, indexed by [`Fact::entity`].
    pub fn entities(&self) -> &IdMap {
        &self.entities
    }

    /// Number of catalog items the graph was loaded for.
    pub fn n_items(&self) -> usize {
        self.item_entity.len()
    }

    /// The entity of an item, if linked.
    pub fn entity_of(&self, item: u32) -> Option<u32> {
        self.item_entity.get(item as usize).copied().flatten()
    }

    /// The catalog items linked to an entity (usually zero or one).
    pub fn items_of(&self, entity: u32) -> &[u32] {
        items_of_entity(&self.entity_items, entity)
    }

    /// The facts of an item, sorted by `(relation, direction, entity)`; empty for items
    /// without an entity or outside the catalog.
    pub fn facts(&self, item: u32) -> &[Fact] {
        self.facts.get(item as usize).map_or(&[], Vec::as_slice)
    }

    /// Whether the item holds `(relation, direction, entity)`.
    pub fn has_fact(&self, item: u32, relation: &str, direction: Direction, mid: &str) -> bool {
        let (Some(relation), Some(entity)) =
            (self.relation_index(relation), self.entities.get(mid))
        else {
            return false;
        };
        self.facts(item)
            .binary_search(&Fact {
                relation,
                direction,
                entity,
            })
            .is_ok()
    }

    /// What the graph says about `b` for someone who likes `a`, most specific first: direct
    /// links (`b` is the sequel of `a`), then entities both hold through the same relation
    /// and direction. Empty when either item has no facts or `a == b`.
    pub fn evidence(&self, a: u32, b: u32) -> Vec<Evidence> {
        if a == b {
            return Vec::new();
        }
        let mut out = Vec::new();
        let (facts_a, facts_b) = (self.facts(a), self.facts(b));
        if let Some(entity_a) = self.entity_of(a) {
            for fact in facts_b.iter().filter(|f| f.entity == entity_a) {
                let relation = self.relations[fact.relation as usize].clone();
                let kind = match (relation.as_str(), fact.direction) {
                    ("film.film.sequel", Direction::Incoming) => EvidenceKind::SequelOf,
                    ("film.film.sequel", Direction::Outgoing) => EvidenceKind::PrequelOf,
                    _ => EvidenceKind::Other {
                        relation: relation.clone(),
                    },
                };
                out.push(Evidence {
                    kind,
                    relation,
                    entities: vec![self.entities.id(entity_a).to_owned()],
                    linked_items: vec![a],
                });
            }
        }
        // Both lists are sorted by (relation, direction, entity): merge them, grouping the
        // shared entities by (relation, direction).
        let own = [self.entity_of(a), self.entity_of(b)];
        let mut groups: BTreeMap<(u32, Direction), Vec<u32>> = BTreeMap::new();
        let (mut i, mut j) = (0, 0);
        while i < facts_a.len() && j < facts_b.len() {
            match facts_a[i].cmp(&facts_b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let f = facts_a[i];
                    if !own.contains(&Some(f.entity)) {
                        groups
                            .entry((f.relation, f.direction))
                            .or_default()
                            .push(f.entity);
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        for ((relation, _), shared) in groups {
            let relation = self.relations[relation as usize].clone();
            let linked_items: Vec<u32> = shared
                .iter()
                .flat_map(|&e| self.items_of(e).iter().copied())
                .collect();
            out.push(Evidence {
                kind: shared_kind(&relation, shared.len()),
                relation,
                entities: shared
                    .iter()
                    .map(|&e| self.entities.id(e).to_owned())
                    .collect(),
                linked_items,
            });
        }
        out.sort_by(|x, y| {
            kind_rank(&x.kind)
                .cmp(&kind_rank(&y.kind))
                .then_with(|| x.relation.cmp(&y.relation))
        });
        out
    }
}

fn items_of_entity(index: &LinkIndex, entity: u32) -> &[u32] {
    let start = index.entities.partition_point(|&e| e < entity);
    let end = index.entities.partition_point(|&e| e <= entity);
    &index.items[start..end]
}

/// Linked items sorted by entity, for entity -> items lookups.
#[derive(Debug, Clone, Default)]
struct LinkIndex {
    /// Sorted entity of each pair.
    entities: Vec<u32>,
    /// Item of each pair, parallel to `entities`.
    items: Vec<u32>,
}

impl LinkIndex {
    fn new(item_entity: &[Option<u32>]) -> Self {
        let mut pairs: Vec<(u32, u32)> = item_entity
            .iter()
            .enumerate()
            .filter_map(|(item, e)| e.map(|e| (e, item as u32)))
            .collect();
        pairs.sort_unstable();
        LinkIndex {
            entities: pairs.iter().map(|p| p.0).collect(),
            items: pairs.iter().map(|p| p.1).collect(),
        }
    }
}

/// Maps each raw relation name to `(canonical name, reversed)`.
fn canonical_relations(
    triples: &[(String, String, String)],
    linked_mids: &HashSet<&str>,
) -> HashMap<String, (String, bool)> {
    let mut pairs: BTreeMap<&str, HashSet<(&str, &str)>> = BTreeMap::new();
    let mut linked_heads: HashMap<&str, usize> = HashMap::new();
    for (h, r, t) in triples {
        pairs.entry(r.as_str()).or_default().insert((h, t));
        if linked_mids.contains(h.as_str()) {
            *linked_heads.entry(r.as_str()).or_default() += 1;
        }
    }
    let mut out: HashMap<String, (String, bool)> = HashMap::new();
    let present: HashSet<&str> = pairs.keys().copied().collect();
    for &(inverse, canonical) in KNOWN_INVERSES {
        if present.contains(inverse) {
            out.insert(inverse.to_owned(), (canonical.to_owned(), true));
        }
    }
    let names: Vec<&str> = pairs.keys().copied().collect();
    for (k, &r1) in names.iter().enumerate() {
        if out.contains_key(r1) || KNOWN_INVERSES.iter().any(|&(_, c)| c == r1) {
            continue;
        }
        for &r2 in &names[k + 1..] {
            if out.contains_key(r2) || KNOWN_INVERSES.iter().any(|&(_, c)| c == r2) {
                continue;
            }
            let (p1, p2) = (&pairs[r1], &pairs[r2]);
            if p1.len() != p2.len() || !p1.iter().all(|&(h, t)| p2.contains(&(t, h))) {
                continue;
            }
            let heads1 = linked_heads.get(r1).copied().unwrap_or(0);
            let heads2 = linked_heads.get(r2).copied().unwrap_or(0);
            // Keep the side whose heads are items; on a tie the name that sorts first.
            let (keep, drop) = if heads2 > heads1 { (r2, r1) } else { (r1, r2) };
            out.insert(drop.to_owned(), (keep.to_owned(), true));
            break;
        }
    }
    for r in names {
        out.entry(r.to_owned())
            .or_insert_with(|| (r.to_owned(), false));
    }
    out
}

/// Reads a tab-separated table with an optional RecBole header (`name:type` fields). With a
/// header, `columns` are found by name; without one they are the first fields in order.
fn read_table(path: &Path, columns: &[&str]) -> Result<Vec<Row>, KnowledgeError> {
    let file = std::fs::File::open(path).map_err(|source| KnowledgeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let label = path.display().to_string();
    let malformed = |line: usize, reason: String| KnowledgeError::Malformed {
        file: label.clone(),
        line,
        reason,
    };
    let mut positions: Vec<usize> = (0..columns.len()).collect();
    let mut width = columns.len();
    let mut rows = Vec::new();
    for (k, line) in BufReader::new(file).lines().enumerate() {
        let number = k + 1;
        let line = line.map_err(|source| KnowledgeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        if number == 1 && fields.iter().all(|f| f.contains(':')) {
            let names: Vec<&str> = fields
                .iter()
                .map(|f| f.split(':').next().unwrap_or(f))
                .collect();
            for (slot, column) in positions.iter_mut().zip(columns) {
                *slot = names.iter().position(|n| n == column).ok_or_else(|| {
                    malformed(
                        number,
                        format!(
                            "header has no `{column}` column (found: {})",
                            names.join(", ")
                        ),
                    )
                })?;
            }
            width = fields.len();
            continue;
        }
        if fields.len() != width {
            return Err(malformed(
                number,
                format!(
                    "expected {width} tab-separated fields, found {}",
                    fields.len()
                ),
            ));
        }
        let mut row = Vec::with_capacity(columns.len());
        for (&pos, column) in positions.iter().zip(columns) {
            let value = fields[pos];
            if value.is_empty() {
                return Err(malformed(number, format!("empty `{column}`")));
            }
            row.push(value.to_owned());
        }
        rows.push((number, row));
    }
    Ok(rows)
}
