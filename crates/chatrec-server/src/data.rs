//! Between the store's records and the data sets models are trained and served on.
//!
//! Feedback events become interactions (what a model trains on) and opinions (what a
//! recommendation folds in without retraining) by one rule each, so training, serving and
//! conversations read events alike.

use std::collections::HashMap;

use chatrec_core::{Catalog, Dataset, Interaction};
use chatrec_models::TrainedModel;
use chatrec_store::{
    EventId, FeedbackEvent, FeedbackKind, Item, PageRequest, Store, StoreResult, User,
};

/// Rows read per page when reading whole tables.
const PAGE: u32 = 10_000;

/// Everything a model is trained from.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub items: Vec<Item>,
    pub users: Vec<User>,
    /// In id (commit) order.
    pub events: Vec<FeedbackEvent>,
}

impl Snapshot {
    /// Reads every item, user and feedback event, page by page.
    pub async fn read(store: &dyn Store) -> StoreResult<Snapshot> {
        let mut snapshot = Snapshot::read_catalog(store).await?;
        snapshot.events = read_events(store, EventId::START, None).await?;
        Ok(snapshot)
    }

    /// Reads every item and user, without events.
    pub async fn read_catalog(store: &dyn Store) -> StoreResult<Snapshot> {
        let mut snapshot = Snapshot::default();
        let mut page = PageRequest::first(PAGE);
        loop {
            let got = store.list_items(&page).await?;
            snapshot.items.extend(got.records);
            match got.next_after {
                Some(after) => page = PageRequest::after(after, PAGE),
                None => break,
            }
        }
        let mut page = PageRequest::first(PAGE);
        loop {
            let got = store.list_users(&page).await?;
            snapshot.users.extend(got.records);
            match got.next_after {
                Some(after) => page = PageRequest::after(after, PAGE),
                None => break,
            }
        }
        Ok(snapshot)
    }

    /// The last event's id ([`EventId::START`] without events).
    pub fn last_event(&self) -> EventId {
        self.events.last().map_or(EventId::START, |e| e.id)
    }

    /// Whether any event is an explicit rating: models then see ratings as values.
    pub fn has_ratings(&self) -> bool {
        self.events.iter().any(|e| e.kind == FeedbackKind::Rating)
    }

    /// The data set to train on: every item and user, and one interaction per (user, item)
    /// from its latest event.
    pub fn training_dataset(&self) -> Dataset {
        let mut catalog = Catalog::new();
        for item in &self.items {
            catalog.upsert_item(core_item(item));
        }
        for user in &self.users {
            catalog.upsert_user(core_user(user));
        }
        let has_ratings = self.has_ratings();
        let interactions = interactions(&catalog, &self.events, has_ratings, |_| true);
        Dataset {
            catalog,
            interactions,
            has_ratings,
            has_timestamps: true,
        }
    }

    /// The data set a trained model serves: its items and users in its own index order,
    /// and the interactions it was trained on (events up to `watermark`). Items and users
    /// deleted since are kept as placeholders, to keep the model's indices, and listed.
    pub fn serving_dataset(
        &self,
        model: &TrainedModel,
        watermark: EventId,
        has_ratings: bool,
    ) -> ServingData {
        let by_id: HashMap<&str, &Item> = self.items.iter().map(|i| (i.id.as_str(), i)).collect();
        let mut catalog = Catalog::new();
        let mut unavailable = Vec::new();
        for index in 0..model.items.len() as u32 {
            let id = model.items.id(index);
            match by_id.get(id) {
                Some(item) => catalog.upsert_item(core_item(item)),
                None => {
                    unavailable.push(index);
                    catalog.upsert_item(chatrec_core::Item::bare(id))
                }
            };
        }
        let users: HashMap<&str, &User> = self.users.iter().map(|u| (u.id.as_str(), u)).collect();
        let mut absent_users = Vec::new();
        for index in 0..model.users.len() as u32 {
            let id = model.users.id(index);
            match users.get(id) {
                Some(user) => catalog.upsert_user(core_user(user)),
                None => {
                    absent_users.push(index);
                    catalog.upsert_user(core_user(&User::new(id)))
                }
            };
        }
        let seen = |e: &FeedbackEvent| e.id <= watermark;
        let interactions = interactions(&catalog, &self.events, has_ratings, seen);
        let dislikes = dislikes(&catalog, &self.events, seen);
        let dataset = Dataset {
            catalog,
            interactions,
            has_ratings,
            has_timestamps: true,
        };
        ServingData {
            dataset,
            unavailable_items: unavailable,
            absent_users,
            dislikes,
        }
    }
}

/// What a model version is served over.
pub struct ServingData {
    pub dataset: Dataset,
    /// Model items no longer in the catalog: never recommended.
    pub unavailable_items: Vec<u32>,
    /// Model users no longer in the store (forgotten): their learned profile is not used.
    pub absent_users: Vec<u32>,
    /// Per user, the items whose latest event the model saw is a dislike: training leaves
    /// them out, so recommendations must exclude them by this list.
    pub dislikes: HashMap<u32, Vec<u32>>,
}

/// Per user of `catalog`, the items whose latest accepted event is a dislike.
fn dislikes(
    catalog: &Catalog,
    events: &[FeedbackEvent],
    accept: impl Fn(&FeedbackEvent) -> bool,
) -> HashMap<u32, Vec<u32>> {
    let mut out: HashMap<u32, Vec<u32>> = HashMap::new();
    for ((user, item), event) in latest_per_pair(catalog, events, accept) {
        if event.kind == FeedbackKind::Dislike {
            out.entry(user).or_default().push(item);
        }
    }
    for items in out.values_mut() {
        items.sort_unstable();
    }
    out
}

/// Events after `after` (all when `until` is `None`, else up to and including `until`).
pub async fn read_events(
    store: &dyn Store,
    mut after: EventId,
    until: Option<EventId>,
) -> StoreResult<Vec<FeedbackEvent>> {
    let mut events = Vec::new();
    loop {
        let page = store.list_feedback_since(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let full = page.len() == PAGE as usize;
        events.extend(
            page.into_iter()
                .filter(|e| until.is_none_or(|until| e.id <= until)),
        );
        if !full || until.is_some_and(|until| after >= until) {
            break;
        }
    }
    Ok(events)
}

/// The interaction value of an event for training, `None` for events that are not
/// positives (dislikes). With ratings in the data, implicit positives count as a high
/// rating (like, purchase: 5; view, click: 4) so that they weigh like a liked film.
pub fn interaction_value(kind: FeedbackKind, value: f32, has_ratings: bool) -> Option<f32> {
    match kind {
        FeedbackKind::Rating => Some(value),
        FeedbackKind::Dislike => None,
        FeedbackKind::Like | FeedbackKind::Purchase => Some(if has_ratings { 5.0 } else { 1.0 }),
        FeedbackKind::View | FeedbackKind::Click => Some(if has_ratings { 4.0 } else { 1.0 }),
    }
}

/// What an event says of the user's taste, in [-1, 1], for folding in without retraining.
/// Ratings are read on a 1–5 scale (3 is neutral).
pub fn sentiment(kind: FeedbackKind, value: f32) -> f32 {
    match kind {
        FeedbackKind::Rating => ((value - 3.0) / 2.0).clamp(-1.0, 1.0),
        FeedbackKind::Like | FeedbackKind::Purchase => 1.0,
        FeedbackKind::View | FeedbackKind::Click => 0.5,
        FeedbackKind::Dislike => -1.0,
    }
}

/// The latest accepted event of each (user, item) pair of `catalog`.
fn latest_per_pair<'a>(
    catalog: &Catalog,
    events: &'a [FeedbackEvent],
    accept: impl Fn(&FeedbackEvent) -> bool,
) -> HashMap<(u32, u32), &'a FeedbackEvent> {
    let mut latest = HashMap::new();
    for event in events.iter().filter(|e| accept(e)) {
        if let (Some(user), Some(item)) = (
            catalog.user_index(&event.user_id),
            catalog.item_index(&event.item_id),
        ) {
            latest.insert((user, item), event);
        }
    }
    latest
}

/// One interaction per (user, item) of `catalog`, from the latest accepted event.
fn interactions(
    catalog: &Catalog,
    events: &[FeedbackEvent],
    has_ratings: bool,
    accept: impl Fn(&FeedbackEvent) -> bool,
) -> Vec<Interaction> {
    let latest = latest_per_pair(catalog, events, accept);
    let mut out: Vec<Interaction> = latest
        .into_iter()
        .filter_map(|((user, item), event)| {
            interaction_value(event.kind, event.value, has_ratings).map(|value| Interaction {
                user,
                item,
                value,
                timestamp: event.timestamp_ms / 1000,
            })
        })
        .collect();
    out.sort_by_key(|i| (i.user, i.item));
    out
}

fn core_item(item: &Item) -> chatrec_core::Item {
    chatrec_core::Item {
        id: item.id.clone(),
        title: item.title.clone(),
        year: item.year,
        categories: item.categories.clone(),
        text: item.text.clone(),
    }
}

fn core_user(user: &User) -> chatrec_core::User {
    let attributes = user
        .attributes
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default();
    chatrec_core::User {
        id: user.id.clone(),
        attributes,
    }
}

/// The store's records of a data set: its items, users and interactions as events (ratings
/// when the data has them, else views), for importing a data set into an empty store.
pub fn records_of(dataset: &Dataset) -> (Vec<Item>, Vec<User>, Vec<chatrec_store::NewFeedback>) {
    let catalog = &dataset.catalog;
    let items = catalog
        .items()
        .iter()
        .map(|item| Item {
            id: item.id.clone(),
            title: item.title.clone(),
            year: item.year,
            categories: item.categories.clone(),
            text: item.text.clone(),
            attributes: chatrec_store::empty_object(),
        })
        .collect();
    let users = catalog
        .users()
        .iter()
        .map(|user| User {
            id: user.id.clone(),
            attributes: serde_json::Value::Object(
                user.attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
            ),
        })
        .collect();
    let mut ordered = dataset.interactions.clone();
    ordered.sort_by_key(|i| (i.timestamp, i.user, i.item));
    let kind = if dataset.has_ratings {
        FeedbackKind::Rating
    } else {
        FeedbackKind::View
    };
    let events = ordered
        .iter()
        .map(|i| chatrec_store::NewFeedback {
            user_id: catalog.user(i.user).id.clone(),
            item_id: catalog.item(i.item).id.clone(),
            kind,
            value: if dataset.has_ratings { i.value } else { 1.0 },
            timestamp_ms: i.timestamp.saturating_mul(1000),
        })
        .collect();
    (items, users, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_interactions_and_opinions() {
        assert_eq!(
            interaction_value(FeedbackKind::Rating, 2.0, true),
            Some(2.0)
        );
        assert_eq!(interaction_value(FeedbackKind::Dislike, 1.0, true), None);
        assert_eq!(interaction_value(FeedbackKind::Like, 1.0, false), Some(1.0));
        assert!(sentiment(FeedbackKind::Rating, 5.0) > 0.99);
        assert!(sentiment(FeedbackKind::Rating, 1.0) < -0.99);
        assert_eq!(sentiment(FeedbackKind::Rating, 3.0), 0.0);
        assert!(sentiment(FeedbackKind::Dislike, 1.0) < 0.0);
    }

    fn event(id: i64, user: &str, item: &str, kind: FeedbackKind, value: f32) -> FeedbackEvent {
        FeedbackEvent {
            id: EventId(id),
            user_id: user.into(),
            item_id: item.into(),
            kind,
            value,
            timestamp_ms: id * 1000,
        }
    }

    #[test]
    fn the_latest_event_of_a_pair_wins_and_dislikes_train_nothing() {
        let snapshot = Snapshot {
            items: vec![Item::new("a", "A"), Item::new("b", "B")],
            users: vec![User::new("u")],
            events: vec![
                event(1, "u", "a", FeedbackKind::Rating, 5.0),
                event(2, "u", "b", FeedbackKind::Rating, 4.0),
                event(3, "u", "a", FeedbackKind::Dislike, 1.0),
                event(4, "ghost", "a", FeedbackKind::Like, 1.0),
            ],
        };
        let dataset = snapshot.training_dataset();
        assert!(dataset.has_ratings);
        assert_eq!(dataset.interactions.len(), 1, "{:?}", dataset.interactions);
        let only = dataset.interactions[0];
        assert_eq!(dataset.catalog.item(only.item).id, "b");
        assert_eq!(only.value, 4.0);
    }
}
