//! Evidence for a recommended item, read from the data: liked items whose fans also liked
//! it, knowledge-graph facts shared with liked items, the constraints it meets, the
//! request's words it matches, and how similar users and everyone rated it. Nothing here
//! is inferred from the model's internals, so every record can be checked against the data.

use std::collections::HashSet;

use chatrec_knowledge::graph::EvidenceKind;

use crate::acts::{Constraint, Polarity};
use crate::engine::Engine;
use crate::reply::{Evidence, ProfileItem, ShownItem};
use crate::state::{HeldConstraint, SessionState};

/// Fewest shared likers worth citing: below this a "people who liked X also liked it"
/// claim rests on too few people to mean anything.
const MIN_CO_LIKERS: u32 = 3;
/// Graph relations whose shared values describe too many films to be a reason.
const WEAK_RELATIONS: &[&str] = &["film.film.rating", "film.film.production_companies"];
/// Fewest categories two items must share for the overlap to be cited.
const MIN_SHARED_CATEGORIES: usize = 2;
/// Liked items cited per recommendation.
const MAX_LIKED_ITEMS: usize = 2;
/// Graph facts cited per recommendation.
const MAX_FACTS: usize = 2;
/// Fewest similar users whose mean rating is worth quoting.
const MIN_SIMILAR_RATERS: u32 = 3;
/// Profile items looked at for the known user's history (their best-rated first).
const MAX_HISTORY_ITEMS: usize = 200;
/// A text match counts as evidence only at or above this share of the best match.
const QUERY_EVIDENCE_SHARE: f32 = 0.5;

/// The items a recommendation may be explained by, strongest first: this conversation's
/// likes, its "like X" anchors, then the known user's liked history.
pub fn profile_items(engine: &Engine, state: &SessionState) -> Vec<u32> {
    let mut liked: Vec<(u32, f32)> = state.liked().collect();
    liked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out: Vec<u32> = liked.into_iter().map(|(i, _)| i).collect();
    out.extend(state.anchors.iter().copied());
    if let Some(user) = state.user {
        let mut history: Vec<(u32, f32)> = engine
            .interactions
            .row(user as usize)
            .filter(|&(i, v)| engine.is_like(v) && !state.opinions.contains_key(&i))
            .collect();
        history.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.extend(history.into_iter().take(MAX_HISTORY_ITEMS).map(|(i, _)| i));
    }
    let mut seen = HashSet::new();
    out.retain(|i| seen.insert(*i));
    out
}

/// Users who liked at least one of the profile items (the user themself excluded).
pub fn neighbour_users(engine: &Engine, state: &SessionState, profile: &[u32]) -> Vec<bool> {
    let mut out = vec![false; engine.interactions.n_rows()];
    for &item in profile {
        for &user in engine.likers.row_indices(item as usize) {
            out[user as usize] = true;
        }
    }
    if let Some(user) = state.user {
        out[user as usize] = false;
    }
    out
}

/// Size of the intersection of two ascending index lists.
fn intersection(a: &[u32], b: &[u32]) -> u32 {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

pub(crate) fn profile_item(engine: &Engine, item: u32) -> ProfileItem {
    let it = engine.catalog.item(item);
    ProfileItem {
        item_id: it.id.clone(),
        title: it.display_title(),
    }
}

/// A short label of a constraint as the user would say it.
pub fn describe_constraint(held: &HeldConstraint) -> String {
    let what = match &held.constraint {
        Constraint::Category { category } => category.clone(),
        Constraint::Years { from, to } => match (from, to) {
            (Some(f), Some(t)) if f == t => format!("from {f}"),
            (Some(f), Some(t)) if t - f == 9 && f % 10 == 0 => format!("from the {f}s"),
            (Some(f), Some(t)) => format!("from {f} to {t}"),
            (Some(f), None) => format!("from {f} on"),
            (None, Some(t)) => format!("up to {t}"),
            (None, None) => "any year".to_owned(),
        },
        Constraint::Older => "older".to_owned(),
        Constraint::Newer => "newer".to_owned(),
    };
    match held.polarity {
        Polarity::Include => what,
        Polarity::Exclude => format!("not {what}"),
    }
}

/// `items` with their scores as shown, each with its evidence, looked for among the first
/// `max_profile_items` items of the session's profile (strongest first).
pub fn shown_with_evidence(
    engine: &Engine,
    state: &SessionState,
    items: impl Iterator<Item = (u32, f32)>,
    query: Option<(&str, &[f32])>,
    max_profile_items: usize,
) -> Vec<ShownItem> {
    let mut profile = profile_items(engine, state);
    profile.truncate(max_profile_items);
    let neighbours = neighbour_users(engine, state, &profile);
    items
        .map(|(item, score)| {
            let it = engine.catalog.item(item);
            ShownItem {
                item,
                item_id: it.id.clone(),
                title: it.display_title(),
                score,
                evidence: evidence_for(engine, state, item, &profile, &neighbours, query),
            }
        })
        .collect()
}

/// Everything that supports recommending `item` in this session, most specific first.
pub fn evidence_for(
    engine: &Engine,
    state: &SessionState,
    item: u32,
    profile: &[u32],
    neighbours: &[bool],
    query: Option<(&str, &[f32])>,
) -> Vec<Evidence> {
    let mut out = Vec::new();

    let item_likers = engine.likers.row_indices(item as usize);
    let mut liked: Vec<(u32, u32, f32)> = profile
        .iter()
        .filter(|&&p| p != item)
        .filter_map(|&p| {
            let p_likers = engine.likers.row_indices(p as usize);
            let co = intersection(item_likers, p_likers);
            (co >= MIN_CO_LIKERS).then(|| {
                let cos = co as f32 / ((item_likers.len() * p_likers.len()) as f32).sqrt();
                (p, co, cos)
            })
        })
        .collect();
    liked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    for (p, co, cos) in liked.into_iter().take(MAX_LIKED_ITEMS) {
        out.push(Evidence::LikedItem {
            liked: profile_item(engine, p),
            co_likers: co,
            similarity: cos,
        });
    }

    if let Some(graph) = &engine.graph {
        let mut facts = Vec::new();
        for &p in profile.iter().filter(|&&p| p != item) {
            for e in graph.evidence(p, item) {
                // Shared genre, country, language or content rating says little the
                // categories do not.
                let weak = match &e.kind {
                    EvidenceKind::SameGenre
                    | EvidenceKind::SameCountry
                    | EvidenceKind::SameLanguage => true,
                    EvidenceKind::Other { relation } => WEAK_RELATIONS.contains(&relation.as_str()),
                    _ => false,
                };
                if weak {
                    continue;
                }
                facts.push((p, e));
            }
            if facts.len() >= 4 * MAX_FACTS {
                break;
            }
        }
        for (p, e) in facts.into_iter().take(MAX_FACTS) {
            let fact = e.describe(&engine.catalog);
            out.push(Evidence::SharedFact {
                liked: profile_item(engine, p),
                relation: e.relation,
                entities: e.entities,
                fact,
            });
        }
    }

    let item_categories = &engine.catalog.item(item).categories;
    let shared_categories = state
        .anchors
        .iter()
        .chain(profile.iter())
        .filter(|&&p| p != item)
        .map(|&p| {
            let shared: Vec<String> = engine
                .catalog
                .item(p)
                .categories
                .iter()
                .filter(|c| item_categories.contains(c))
                .cloned()
                .collect();
            (p, shared)
        })
        .find(|(_, shared)| {
            shared.len() >= MIN_SHARED_CATEGORIES.min(item_categories.len().max(1))
        });
    if let Some((p, categories)) = shared_categories {
        out.push(Evidence::SharedCategories {
            liked: profile_item(engine, p),
            categories,
        });
    }

    for held in &state.constraints {
        if crate::candidates::satisfies(engine, item, held) {
            out.push(Evidence::MatchedConstraint {
                constraint: describe_constraint(held),
            });
        }
    }

    if let Some((text, scores)) = query {
        let best = scores.iter().copied().fold(0.0f32, f32::max);
        let score = scores[item as usize];
        if best > 0.0 && score >= QUERY_EVIDENCE_SHARE * best {
            out.push(Evidence::MatchedQuery {
                query: text.to_owned(),
                score,
            });
        }
    }

    if engine.has_ratings {
        let (mut n, mut sum) = (0u32, 0.0f32);
        let raters = &engine.raters;
        for (user, value) in raters.row(item as usize) {
            if neighbours.get(user as usize).copied().unwrap_or(false) {
                n += 1;
                sum += value;
            }
        }
        if n >= MIN_SIMILAR_RATERS {
            out.push(Evidence::SimilarUsers {
                raters: n,
                mean_rating: sum / n as f32,
            });
        }
    }

    let (raters, mean_rating) = engine.popularity[item as usize];
    if raters > 0 {
        out.push(Evidence::Popular {
            raters,
            mean_rating,
        });
    }
    out
}
