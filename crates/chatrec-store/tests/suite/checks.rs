//! Backend-independent checks: each takes a fresh fixture and opens the handles it needs.

use std::collections::BTreeSet;
use std::sync::Arc;

use chatrec_store::{
    EventId, FeedbackKind, Item, ModelVersion, NewFeedback, NewModelVersion, NewSession, NewTurn,
    PageRequest, Problem, Store, StoreError, User,
};
use serde_json::json;

use crate::fixture::Fixture;

// ---------- helpers ----------

fn movie(id: &str, title: &str) -> Item {
    Item {
        id: id.into(),
        title: title.into(),
        year: Some(1995),
        categories: vec!["Animation".into(), "Children's".into()],
        text: format!("{title}: a film"),
        attributes: json!({"director": "someone", "tags": ["a", "b"], "rating": 4.5}),
    }
}

fn event(user: &str, item: &str, kind: FeedbackKind, value: f32, time: i64) -> NewFeedback {
    NewFeedback {
        user_id: user.into(),
        item_id: item.into(),
        kind,
        value,
        timestamp_ms: time,
    }
}

fn like(user: &str, item: &str, time: i64) -> NewFeedback {
    event(user, item, FeedbackKind::Like, 1.0, time)
}

fn turn(number: u32, text: &str) -> NewTurn {
    NewTurn {
        turn_number: number,
        user_text: text.into(),
        reply: json!({"text": format!("reply to {text}"), "items": [{"id": "i1", "score": 0.5}]}),
        created_at_ms: 1_000 + i64::from(number),
    }
}

fn session(id: &str, user: Option<&str>) -> NewSession {
    NewSession {
        id: id.into(),
        user_id: user.map(Into::into),
        created_at_ms: 1_700_000_000_000,
    }
}

/// A store with users u1..u3 and items i1..i4.
async fn seeded(fixture: &Fixture) -> Arc<dyn Store> {
    let store = fixture.open().await;
    store
        .upsert_users(&[User::new("u1"), User::new("u2"), User::new("u3")])
        .await
        .expect("users");
    let items: Vec<Item> = (1..=4)
        .map(|i| movie(&format!("i{i}"), &format!("Movie {i}")))
        .collect();
    store.upsert_items(&items).await.expect("items");
    store
}

fn rows_of(error: StoreError) -> Vec<(usize, Problem)> {
    match error {
        StoreError::InvalidBatch { rows, .. } => {
            rows.into_iter().map(|row| (row.row, row.problem)).collect()
        }
        other => panic!("expected a refused batch, got {other:?}"),
    }
}

async fn all_items(store: &dyn Store, page_size: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut page = PageRequest::first(page_size);
    loop {
        let result = store.list_items(&page).await.expect("list items");
        assert!(result.records.len() <= page_size as usize);
        ids.extend(result.records.into_iter().map(|item| item.id));
        match result.next_after {
            Some(cursor) => page = PageRequest::after(cursor, page_size),
            None => return ids,
        }
    }
}

async fn catch_up(store: &dyn Store, mut after: EventId, page: u32) -> Vec<EventId> {
    let mut seen = Vec::new();
    loop {
        let batch = store
            .list_feedback_since(after, page)
            .await
            .expect("catch up");
        let Some(last) = batch.last() else {
            return seen;
        };
        after = last.id;
        seen.extend(batch.iter().map(|event| event.id));
    }
}

// ---------- catalog and users ----------

pub async fn items_round_trip_and_page_in_byte_order(fixture: &Fixture) {
    let store = fixture.open().await;
    let unicode = Item {
        id: "ä-ünïcode".into(),
        title: "Amélie — 天使".into(),
        year: None,
        categories: vec![],
        text: String::new(),
        attributes: json!({}),
    };
    let items = vec![movie("a", "Toy Story"), movie("B", "GoldenEye"), unicode];
    let summary = store.upsert_items(&items).await.expect("upsert");
    assert_eq!((summary.inserted, summary.updated), (3, 0));
    for item in &items {
        assert_eq!(
            store.get_item(&item.id).await.expect("get").as_ref(),
            Some(item)
        );
    }
    assert_eq!(store.get_item("missing").await.expect("get"), None);

    // Upsert replaces the whole row and reports it as updated.
    let changed = Item {
        title: "Toy Story (1995)".into(),
        year: None,
        attributes: json!({"nested": {"deep": [1, 2, {"x": null}]}}),
        ..movie("a", "")
    };
    let summary = store
        .upsert_items(&[changed.clone(), movie("c", "Casino")])
        .await
        .expect("upsert again");
    assert_eq!((summary.inserted, summary.updated), (1, 1));
    assert_eq!(store.get_item("a").await.expect("get"), Some(changed));

    // Bytewise id order on both backends ("B" < "a" < "c" < "ä…"), whatever the page size.
    let expected = vec!["B", "a", "c", "ä-ünïcode"];
    for page_size in [1, 2, 3, 10] {
        assert_eq!(all_items(store.as_ref(), page_size).await, expected);
    }

    assert!(store.delete_item("c").await.expect("delete"));
    assert!(!store.delete_item("c").await.expect("delete again"));
    assert_eq!(store.get_item("c").await.expect("get"), None);
    assert_eq!(store.counts().await.expect("counts").items, 3);
    store.close().await;
}

pub async fn users_round_trip(fixture: &Fixture) {
    let store = fixture.open().await;
    let users = vec![
        User {
            id: "u1".into(),
            attributes: json!({"age": 24, "occupation": "technician", "zip": "85711"}),
        },
        User::new("u2"),
    ];
    let summary = store.upsert_users(&users).await.expect("upsert");
    assert_eq!((summary.inserted, summary.updated), (2, 0));
    for user in &users {
        assert_eq!(
            store.get_user(&user.id).await.expect("get").as_ref(),
            Some(user)
        );
    }
    let renamed = User {
        id: "u2".into(),
        attributes: json!({"age": 30}),
    };
    let summary = store
        .upsert_users(std::slice::from_ref(&renamed))
        .await
        .expect("update");
    assert_eq!((summary.inserted, summary.updated), (0, 1));
    assert_eq!(store.get_user("u2").await.expect("get"), Some(renamed));

    let first = store
        .list_users(&PageRequest::first(1))
        .await
        .expect("list");
    assert_eq!(first.records.len(), 1);
    assert_eq!(first.records[0].id, "u1");
    let cursor = first.next_after.expect("a second page");
    let second = store
        .list_users(&PageRequest::after(cursor, 1))
        .await
        .expect("list");
    assert_eq!(second.records[0].id, "u2");
    assert_eq!(second.next_after, None);

    assert!(store.delete_user("u1").await.expect("delete"));
    assert_eq!(store.get_user("u1").await.expect("get"), None);
    assert!(!store.delete_user("u1").await.expect("delete again"));
    store.close().await;
}

pub async fn item_batch_is_all_or_nothing_with_row_errors(fixture: &Fixture) {
    let store = fixture.open().await;
    let original = movie("keep", "Original");
    store
        .upsert_items(std::slice::from_ref(&original))
        .await
        .expect("seed");

    let batch = vec![
        Item {
            title: "Overwritten?".into(),
            ..movie("keep", "")
        },
        Item::new("", "no id"),
        Item::new("new", "fine"),
        Item::new("keep", "duplicate of row 0"),
        Item {
            attributes: json!(["not", "an", "object"]),
            ..Item::new("arr", "bad attributes")
        },
        Item::new("nul", "title with \u{0} inside"),
    ];
    let error = store.upsert_items(&batch).await.expect_err("refused");
    assert!(error.is_client_error());
    assert_eq!(
        rows_of(error),
        vec![
            (1, Problem::EmptyId { field: "item id" }),
            (
                3,
                Problem::DuplicateInBatch {
                    id: "keep".into(),
                    first_row: 0
                }
            ),
            (
                4,
                Problem::NotAJsonObject {
                    field: "attributes"
                }
            ),
            (5, Problem::NulCharacter { field: "title" }),
        ]
    );
    // Nothing of the batch was written, not even its valid rows.
    assert_eq!(store.get_item("new").await.expect("get"), None);
    assert_eq!(store.get_item("keep").await.expect("get"), Some(original));
    assert_eq!(store.counts().await.expect("counts").items, 1);

    let bad_users = vec![User::new("ok"), User::new("tab\tinside")];
    let rows = rows_of(store.upsert_users(&bad_users).await.expect_err("refused"));
    assert_eq!(
        rows,
        vec![(1, Problem::ControlCharacter { field: "user id" })]
    );
    assert_eq!(store.counts().await.expect("counts").users, 0);
    store.close().await;
}

pub async fn feedback_batch_is_all_or_nothing_with_row_errors(fixture: &Fixture) {
    let store = seeded(fixture).await;
    let batch = vec![
        like("u1", "i1", 1),
        like("ghost", "i1", 2),
        event("u1", "i2", FeedbackKind::Rating, f32::INFINITY, 3),
        like("u2", "i404", 4),
        like("u2", "i2", 5),
    ];
    // Every bad row at once: its own problems and unknown references alike, in row order.
    let rows = rows_of(store.insert_feedback(&batch).await.expect_err("refused"));
    assert_eq!(
        rows,
        vec![
            (1, Problem::UnknownUser { id: "ghost".into() }),
            (
                2,
                Problem::NonFiniteValue {
                    value: f32::INFINITY
                }
            ),
            (3, Problem::UnknownItem { id: "i404".into() }),
        ]
    );
    let counts = store.counts().await.expect("counts");
    assert_eq!(counts.feedback_events, 0);
    assert_eq!(store.last_feedback_id().await.expect("last"), None);
    assert_eq!(
        store.insert_feedback(&[]).await.expect("empty batch"),
        vec![]
    );
    store.close().await;
}

// ---------- feedback log ----------

pub async fn feedback_ids_follow_input_order_and_catch_up_pages(fixture: &Fixture) {
    let store = seeded(fixture).await;
    let batch = vec![
        event("u1", "i1", FeedbackKind::Rating, 4.5, 100),
        event("u1", "i2", FeedbackKind::Dislike, 1.0, 50),
        event("u2", "i1", FeedbackKind::View, 1.0, 300),
        // The same pair twice is two events: the log keeps both.
        event("u1", "i1", FeedbackKind::Rating, 2.0, 400),
        event("u3", "i4", FeedbackKind::Purchase, 19.99, 500),
    ];
    let batch_ids = store.insert_feedback(&batch).await.expect("batch");
    assert_eq!(batch_ids.len(), batch.len());
    assert!(
        batch_ids.windows(2).all(|pair| pair[0] < pair[1]),
        "{batch_ids:?}"
    );

    let mut all_ids = batch_ids.clone();
    for (n, kind) in [
        FeedbackKind::Like,
        FeedbackKind::Click,
        FeedbackKind::Rating,
    ]
    .into_iter()
    .enumerate()
    {
        let id = store
            .insert_feedback_event(&event("u2", "i3", kind, 3.0, 600 + n as i64))
            .await
            .expect("one event");
        assert!(id > *all_ids.last().expect("ids"));
        all_ids.push(id);
    }

    // A user's events in id order (not time order), values exact.
    let u1 = store.list_user_feedback("u1").await.expect("u1 events");
    let u1_ids: Vec<EventId> = u1.iter().map(|e| e.id).collect();
    assert_eq!(u1_ids, vec![batch_ids[0], batch_ids[1], batch_ids[3]]);
    assert_eq!(u1[0].kind, FeedbackKind::Rating);
    assert_eq!(u1[0].value, 4.5);
    assert_eq!(u1[1].timestamp_ms, 50);
    assert_eq!(u1[2].value, 2.0);
    // Only the events after a given id: what a model trained up to it has not seen.
    let later = store
        .list_user_feedback_after("u1", batch_ids[0])
        .await
        .expect("later events");
    let later_ids: Vec<EventId> = later.iter().map(|e| e.id).collect();
    assert_eq!(later_ids, vec![batch_ids[1], batch_ids[3]]);
    assert!(store
        .list_user_feedback_after("u1", batch_ids[3])
        .await
        .expect("none after the last")
        .is_empty());
    let purchase = &store.list_user_feedback("u3").await.expect("u3")[0];
    assert_eq!(purchase.value, 19.99_f32);
    assert_eq!(purchase.item_id, "i4");
    assert!(store
        .list_user_feedback("nobody")
        .await
        .expect("none")
        .is_empty());

    // Catching up from the start in pages of every size yields every event once, in order.
    for page in [1, 2, 3, 100] {
        assert_eq!(
            catch_up(store.as_ref(), EventId::START, page).await,
            all_ids
        );
    }
    let from_middle = catch_up(store.as_ref(), all_ids[3], 2).await;
    assert_eq!(from_middle, all_ids[4..].to_vec());
    let last = *all_ids.last().expect("ids");
    assert!(store
        .list_feedback_since(last, 10)
        .await
        .expect("none")
        .is_empty());
    assert_eq!(store.last_feedback_id().await.expect("last"), Some(last));
    store.close().await;
}

pub async fn feedback_ids_are_never_reused(fixture: &Fixture) {
    let store = seeded(fixture).await;
    let ids = store
        .insert_feedback(&[like("u1", "i1", 1), like("u2", "i2", 2)])
        .await
        .expect("insert");
    // Delete the newest events; a new event must still get a larger id, or a replica that
    // had read up to the deleted id would skip it.
    store.forget_user("u2").await.expect("forget");
    let next = store
        .insert_feedback_event(&like("u1", "i3", 3))
        .await
        .expect("insert");
    assert!(next > ids[1], "{next} reused an id <= {}", ids[1]);
    store.close().await;
}

pub async fn deleting_an_item_or_user_removes_its_feedback(fixture: &Fixture) {
    let store = seeded(fixture).await;
    store
        .insert_feedback(&[
            like("u1", "i1", 1),
            like("u1", "i2", 2),
            like("u2", "i1", 3),
        ])
        .await
        .expect("insert");
    assert!(store.delete_item("i1").await.expect("delete item"));
    let left: Vec<String> = store
        .list_feedback_since(EventId::START, 10)
        .await
        .expect("list")
        .into_iter()
        .map(|e| format!("{}/{}", e.user_id, e.item_id))
        .collect();
    assert_eq!(left, vec!["u1/i2"]);
    assert!(store.delete_user("u1").await.expect("delete user"));
    assert_eq!(store.counts().await.expect("counts").feedback_events, 0);
    store.close().await;
}

// ---------- sessions ----------

pub async fn sessions_and_turns_round_trip(fixture: &Fixture) {
    let store = fixture.open().await;
    store
        .create_session(&session("s1", Some("u1")))
        .await
        .expect("create");
    let error = store
        .create_session(&session("s1", None))
        .await
        .expect_err("duplicate");
    assert!(
        matches!(&error, StoreError::AlreadyExists { id, .. } if id == "s1"),
        "{error:?}"
    );

    let turns = vec![
        turn(1, "something like Toy Story"),
        turn(2, "no, older ones — «ünïcode»"),
    ];
    for t in &turns {
        store.append_turn("s1", t).await.expect("append");
    }
    let stored = store.get_session("s1").await.expect("get").expect("exists");
    assert_eq!(stored.id, "s1");
    assert_eq!(stored.user_id.as_deref(), Some("u1"));
    assert_eq!(stored.created_at_ms, 1_700_000_000_000);
    assert_eq!(stored.turns, turns);

    // A session without turns and without a user.
    store
        .create_session(&session("anonymous", None))
        .await
        .expect("create");
    let empty = store
        .get_session("anonymous")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(empty.user_id, None);
    assert!(empty.turns.is_empty());
    assert_eq!(store.get_session("missing").await.expect("get"), None);

    assert!(store.delete_session("s1").await.expect("delete"));
    assert!(!store.delete_session("s1").await.expect("delete again"));
    assert_eq!(store.get_session("s1").await.expect("get"), None);
    let counts = store.counts().await.expect("counts");
    assert_eq!((counts.sessions, counts.turns), (1, 0));
    store.close().await;
}

pub async fn turns_must_come_in_order(fixture: &Fixture) {
    let store = fixture.open().await;
    store
        .create_session(&session("s", None))
        .await
        .expect("create");
    let out_of_order = |error: StoreError| match error {
        StoreError::TurnOutOfOrder { expected, got, .. } => (expected, got),
        other => panic!("expected TurnOutOfOrder, got {other:?}"),
    };
    assert_eq!(
        out_of_order(
            store
                .append_turn("s", &turn(2, "skip"))
                .await
                .expect_err("gap")
        ),
        (1, 2)
    );
    store.append_turn("s", &turn(1, "first")).await.expect("1");
    // A retried request (same turn again) is refused, not duplicated.
    assert_eq!(
        out_of_order(
            store
                .append_turn("s", &turn(1, "again"))
                .await
                .expect_err("dup")
        ),
        (2, 1)
    );
    store.append_turn("s", &turn(2, "second")).await.expect("2");
    assert!(matches!(
        store.append_turn("s", &turn(0, "zero")).await,
        Err(StoreError::Invalid(Problem::TurnNumberZero))
    ));
    assert!(matches!(
        store.append_turn("nope", &turn(1, "x")).await,
        Err(StoreError::NotFound { .. })
    ));
    let stored = store.get_session("s").await.expect("get").expect("exists");
    let texts: Vec<&str> = stored.turns.iter().map(|t| t.user_text.as_str()).collect();
    assert_eq!(texts, vec!["first", "second"]);
    store.close().await;
}

pub async fn sessions_list_in_pages_and_by_user(fixture: &Fixture) {
    let store = fixture.open().await;
    for (id, user) in [
        ("s1", Some("alice")),
        ("s2", None),
        ("s3", Some("bob")),
        ("s4", Some("alice")),
        ("s5", Some("alice")),
    ] {
        store
            .create_session(&session(id, user))
            .await
            .expect("create");
    }
    store.append_turn("s4", &turn(1, "hi")).await.expect("turn");
    store
        .append_turn("s4", &turn(2, "more"))
        .await
        .expect("turn");

    let mut everyone = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let result = store.list_sessions(None, &page).await.expect("list");
        everyone.extend(result.records.into_iter().map(|s| s.id));
        match result.next_after {
            Some(cursor) => page = PageRequest::after(cursor, 2),
            None => break,
        }
    }
    assert_eq!(everyone, vec!["s1", "s2", "s3", "s4", "s5"]);

    let first = store
        .list_sessions(Some("alice"), &PageRequest::first(2))
        .await
        .expect("alice");
    let ids: Vec<&str> = first.records.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, vec!["s1", "s4"]);
    assert_eq!(first.records[1].turn_count, 2);
    assert_eq!(first.records[1].user_id.as_deref(), Some("alice"));
    let rest = store
        .list_sessions(
            Some("alice"),
            &PageRequest::after(first.next_after.expect("more"), 2),
        )
        .await
        .expect("alice 2");
    assert_eq!(rest.records.len(), 1);
    assert_eq!(rest.records[0].id, "s5");
    assert_eq!(rest.next_after, None);
    store.close().await;
}

// ---------- models ----------

pub async fn model_versions_round_trip_with_checksums(fixture: &Fixture) {
    let store = fixture.open().await;
    assert!(store.list_model_versions().await.expect("list").is_empty());
    assert_eq!(store.active_model_version().await.expect("active"), None);
    assert_eq!(store.get_active_model().await.expect("active"), None);

    // A megabyte of non-repeating bytes, like serialized factors.
    let big: Vec<u8> = (0..1_048_576u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let first = store
        .put_model_version(&NewModelVersion {
            metadata: json!({"model": "als", "factors": 64, "ndcg@10": 0.41}),
            artifact: big.clone(),
        })
        .await
        .expect("put");
    let second = store
        .put_model_version(&NewModelVersion {
            metadata: json!({"model": "ease"}),
            artifact: vec![],
        })
        .await
        .expect("put empty");
    assert!(second > first);

    let listed = store.list_model_versions().await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].version, first);
    assert_eq!(listed[0].size_bytes, big.len() as u64);
    assert_eq!(listed[0].sha256.len(), 64);
    assert!(listed.iter().all(|info| !info.active));
    assert_eq!(listed[1].metadata, json!({"model": "ease"}));

    let fetched = store
        .get_model_version(first)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(fetched.artifact, big);
    assert_eq!(fetched.info.metadata["factors"], 64);
    assert_eq!(
        store
            .get_model_version(ModelVersion(9_999))
            .await
            .expect("get"),
        None
    );

    store
        .activate_model_version(second)
        .await
        .expect("activate");
    let active = store
        .get_active_model()
        .await
        .expect("active")
        .expect("some");
    assert_eq!(active.info.version, second);
    assert!(active.info.active);
    assert!(active.artifact.is_empty());
    assert!(matches!(
        store.activate_model_version(ModelVersion(9_999)).await,
        Err(StoreError::NotFound { .. })
    ));
    // A failed activation leaves the active version alone.
    let still = store
        .active_model_version()
        .await
        .expect("active")
        .expect("some");
    assert_eq!(still.version, second);
    store.close().await;
}

// ---------- several servers on one database ----------

pub async fn replicas_see_each_others_writes(fixture: &Fixture) {
    let server_a = seeded(fixture).await;
    let server_b = fixture.open().await;

    // Catalog and users written by A are read by B, and the other way round.
    assert_eq!(
        server_b.get_item("i1").await.expect("get").map(|i| i.title),
        Some("Movie 1".into())
    );
    server_b
        .upsert_users(&[User::new("u-from-b")])
        .await
        .expect("b writes");
    assert!(server_a.get_user("u-from-b").await.expect("get").is_some());

    // B catches up with A's feedback through the log, then A with B's.
    let a_ids = server_a
        .insert_feedback(&[like("u1", "i1", 1), like("u2", "i2", 2)])
        .await
        .expect("a writes");
    let b_seen = catch_up(server_b.as_ref(), EventId::START, 10).await;
    assert_eq!(b_seen, a_ids);
    let b_id = server_b
        .insert_feedback_event(&like("u-from-b", "i3", 3))
        .await
        .expect("b writes");
    assert_eq!(catch_up(server_a.as_ref(), a_ids[1], 10).await, vec![b_id]);

    // Sessions created on one server continue on the other.
    server_a
        .create_session(&session("shared", Some("u1")))
        .await
        .expect("create");
    server_a
        .append_turn("shared", &turn(1, "on a"))
        .await
        .expect("a");
    server_b
        .append_turn("shared", &turn(2, "on b"))
        .await
        .expect("b");
    assert!(matches!(
        server_a.append_turn("shared", &turn(2, "stale")).await,
        Err(StoreError::TurnOutOfOrder { expected: 3, .. })
    ));
    let turns = server_a
        .get_session("shared")
        .await
        .expect("get")
        .expect("exists")
        .turns;
    assert_eq!(turns.len(), 2);

    server_a.close().await;
    server_b.close().await;
}

pub async fn replicas_see_model_activation(fixture: &Fixture) {
    let publisher = fixture.open().await;
    let follower = fixture.open().await;
    let v1 = publisher
        .put_model_version(&NewModelVersion {
            metadata: json!({"model": "als"}),
            artifact: b"weights v1".to_vec(),
        })
        .await
        .expect("put");
    // Published but not active: followers keep what they have.
    assert_eq!(follower.active_model_version().await.expect("poll"), None);
    publisher
        .activate_model_version(v1)
        .await
        .expect("activate");
    let seen = follower
        .get_active_model()
        .await
        .expect("poll")
        .expect("v1");
    assert_eq!(
        (seen.info.version, seen.artifact.as_slice()),
        (v1, &b"weights v1"[..])
    );

    let v2 = publisher
        .put_model_version(&NewModelVersion {
            metadata: json!({"model": "als", "retrained": true}),
            artifact: b"weights v2".to_vec(),
        })
        .await
        .expect("put");
    publisher
        .activate_model_version(v2)
        .await
        .expect("activate");
    let polled = follower
        .active_model_version()
        .await
        .expect("poll")
        .expect("v2");
    assert_eq!(polled.version, v2);
    assert_eq!(polled.metadata["retrained"], true);

    // Rolling back from the other side works too.
    follower
        .activate_model_version(v1)
        .await
        .expect("roll back");
    let versions = publisher.list_model_versions().await.expect("list");
    let active: Vec<ModelVersion> = versions
        .iter()
        .filter(|info| info.active)
        .map(|info| info.version)
        .collect();
    assert_eq!(active, vec![v1]);
    publisher.close().await;
    follower.close().await;
}

pub async fn concurrent_feedback_from_replicas_is_caught_up_completely(fixture: &Fixture) {
    let seed = seeded(fixture).await;
    let replicas = vec![seed.clone(), fixture.open().await, fixture.open().await];
    let writes_per_replica = 40;
    let mut writers = Vec::new();
    for (r, replica) in replicas.iter().enumerate() {
        let replica = replica.clone();
        writers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..writes_per_replica {
                let user = format!("u{}", r + 1);
                let item = format!("i{}", n % 4 + 1);
                let events = if n % 5 == 0 {
                    vec![like(&user, &item, n), like(&user, &item, n)]
                } else {
                    vec![like(&user, &item, n)]
                };
                ids.extend(replica.insert_feedback(&events).await.expect("insert"));
            }
            ids
        }));
    }
    // A reader that catches up while the writers run must never skip an event: every id
    // it sees later is larger than every id it saw before.
    let reader = fixture.open().await;
    let mut seen = Vec::new();
    let mut cursor = EventId::START;
    for _ in 0..20 {
        let batch = reader.list_feedback_since(cursor, 7).await.expect("read");
        if let Some(last) = batch.last() {
            cursor = last.id;
        }
        seen.extend(batch.into_iter().map(|e| e.id));
        tokio::task::yield_now().await;
    }
    let mut written = BTreeSet::new();
    for writer in writers {
        written.extend(writer.await.expect("writer"));
    }
    seen.extend(catch_up(reader.as_ref(), cursor, 50).await);
    let expected_total = replicas.len() * (writes_per_replica as usize + 8);
    assert_eq!(written.len(), expected_total, "ids must be unique");
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(seen, written.into_iter().collect::<Vec<_>>());
    for replica in replicas {
        replica.close().await;
    }
    reader.close().await;
}

// ---------- privacy ----------

pub async fn forget_user_removes_everything_of_that_user_only(fixture: &Fixture) {
    let store = seeded(fixture).await;
    let other_server = fixture.open().await;
    store
        .insert_feedback(&[
            like("u1", "i1", 1),
            like("u1", "i2", 2),
            like("u2", "i1", 3),
        ])
        .await
        .expect("feedback");
    for (id, user) in [("s1", "u1"), ("s2", "u1"), ("s3", "u2")] {
        store
            .create_session(&session(id, Some(user)))
            .await
            .expect("session");
        store
            .append_turn(id, &turn(1, "hello"))
            .await
            .expect("turn");
    }
    store
        .append_turn("s1", &turn(2, "more"))
        .await
        .expect("turn");

    let report = other_server.forget_user("u1").await.expect("forget");
    assert!(report.user_deleted);
    assert_eq!(report.feedback_events_deleted, 2);
    assert_eq!(report.sessions_deleted, 2);
    assert_eq!(report.turns_deleted, 3);

    assert_eq!(store.get_user("u1").await.expect("get"), None);
    assert!(store
        .list_user_feedback("u1")
        .await
        .expect("list")
        .is_empty());
    assert_eq!(store.get_session("s1").await.expect("get"), None);
    assert_eq!(store.get_session("s2").await.expect("get"), None);
    let u1_sessions = store
        .list_sessions(Some("u1"), &PageRequest::first(10))
        .await
        .expect("list");
    assert!(u1_sessions.records.is_empty());
    let everything = store
        .list_feedback_since(EventId::START, 100)
        .await
        .expect("log");
    assert!(everything.iter().all(|event| event.user_id != "u1"));

    // The other user is untouched.
    assert!(store.get_user("u2").await.expect("get").is_some());
    assert_eq!(store.list_user_feedback("u2").await.expect("list").len(), 1);
    assert_eq!(
        store
            .get_session("s3")
            .await
            .expect("get")
            .expect("s3")
            .turns
            .len(),
        1
    );
    let counts = store.counts().await.expect("counts");
    assert_eq!(
        (
            counts.users,
            counts.feedback_events,
            counts.sessions,
            counts.turns
        ),
        (2, 1, 1, 1)
    );

    // Forgetting again, or someone never seen, is a no-op that says so.
    let again = store.forget_user("u1").await.expect("forget again");
    assert_eq!(again, chatrec_store::ForgetReport::default());
    store.close().await;
    other_server.close().await;
}

// ---------- schema ----------

pub async fn migrations_rerun_idempotently(fixture: &Fixture) {
    let store = seeded(fixture).await;
    let supported = chatrec_store::schema_version_supported();
    assert!(supported >= 1);
    assert_eq!(store.schema_version().await.expect("version"), supported);
    let before = store.counts().await.expect("counts");
    store.close().await;

    // Opening again runs the migrations again: nothing changes, data stays.
    for _ in 0..3 {
        let reopened = fixture.open().await;
        assert_eq!(reopened.schema_version().await.expect("version"), supported);
        assert_eq!(reopened.counts().await.expect("counts"), before);
        reopened.ping().await.expect("ping");
        reopened.close().await;
    }
}

pub async fn first_opens_race_safely(fixture: &Fixture) {
    // Several servers starting at once on an empty database: one migrates, the others wait
    // and find nothing to do.
    let opens = (0..4).map(|_| fixture.try_open());
    let stores: Vec<Arc<dyn Store>> = futures_join_all(opens).await;
    for store in &stores {
        assert_eq!(
            store.schema_version().await.expect("version"),
            chatrec_store::schema_version_supported()
        );
    }
    stores[0]
        .upsert_users(&[User::new("u")])
        .await
        .expect("usable");
    for store in stores {
        store.close().await;
    }
}

async fn futures_join_all<F>(opens: impl Iterator<Item = F>) -> Vec<Arc<dyn Store>>
where
    F: std::future::Future<Output = chatrec_store::StoreResult<Arc<dyn Store>>>,
{
    // Poll every open concurrently on this task (no extra dependency for join_all).
    let mut pending: Vec<std::pin::Pin<Box<F>>> = opens.map(Box::pin).collect();
    let mut done: Vec<Option<Arc<dyn Store>>> = vec![None; pending.len()];
    std::future::poll_fn(|cx| {
        let mut all_ready = true;
        for (slot, open) in done.iter_mut().zip(pending.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            match open.as_mut().poll(cx) {
                std::task::Poll::Ready(result) => *slot = Some(result.expect("concurrent open")),
                std::task::Poll::Pending => all_ready = false,
            }
        }
        if all_ready {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

pub async fn invalid_input_is_refused_alike(fixture: &Fixture) {
    let store = fixture.open().await;
    store
        .create_session(&session("s", None))
        .await
        .expect("create");
    let nul_reply = NewTurn {
        reply: json!({"text": "bad \u{0} byte"}),
        ..turn(1, "x")
    };
    assert!(matches!(
        store.append_turn("s", &nul_reply).await,
        Err(StoreError::Invalid(Problem::NulCharacter {
            field: "reply"
        }))
    ));
    assert!(matches!(
        store.create_session(&session("", None)).await,
        Err(StoreError::Invalid(Problem::EmptyId { .. }))
    ));
    let long_id = "x".repeat(chatrec_store::MAX_ID_BYTES + 1);
    assert!(matches!(
        store.create_session(&session(&long_id, None)).await,
        Err(StoreError::Invalid(Problem::TooLong { .. }))
    ));
    for limit in [0, PageRequest::MAX_LIMIT + 1] {
        assert!(matches!(
            store.list_items(&PageRequest::first(limit)).await,
            Err(StoreError::Invalid(Problem::PageLimit { .. }))
        ));
        assert!(matches!(
            store.list_feedback_since(EventId::START, limit).await,
            Err(StoreError::Invalid(Problem::PageLimit { .. }))
        ));
    }
    assert!(matches!(
        store
            .put_model_version(&NewModelVersion {
                metadata: json!({"k\u{0}": 1}),
                artifact: vec![1],
            })
            .await,
        Err(StoreError::Invalid(Problem::NulCharacter { .. }))
    ));
    // The session's turn count is unchanged by the refused turn.
    assert!(store
        .get_session("s")
        .await
        .expect("get")
        .expect("exists")
        .turns
        .is_empty());
    store.close().await;
}

pub async fn data_revision_grows_with_catalog_and_user_changes(fixture: &Fixture) {
    let server_a = seeded(fixture).await;
    let server_b = fixture.open().await;
    let revision =
        |store: Arc<dyn Store>| async move { store.data_revision().await.expect("revision") };

    // Feedback and sessions leave the revision alone: servers follow feedback by its log.
    let start = revision(server_b.clone()).await;
    server_a
        .insert_feedback(&[like("u1", "i1", 1)])
        .await
        .expect("feedback");
    server_a
        .create_session(&session("s", Some("u1")))
        .await
        .expect("session");
    assert_eq!(revision(server_b.clone()).await, start);

    // Every catalog change, and forgetting a user, is seen by the other server.
    let mut last = start;
    server_a
        .upsert_items(&[movie("i9", "New")])
        .await
        .expect("insert");
    let after_insert = revision(server_b.clone()).await;
    assert!(after_insert > last, "insert: {after_insert} <= {last}");
    last = after_insert;
    server_a
        .upsert_items(&[movie("i9", "Renamed")])
        .await
        .expect("update");
    let after_update = revision(server_b.clone()).await;
    assert!(after_update > last, "update: {after_update} <= {last}");
    last = after_update;
    assert!(server_a.delete_item("i9").await.expect("delete"));
    let after_delete = revision(server_b.clone()).await;
    assert!(after_delete > last, "delete: {after_delete} <= {last}");
    last = after_delete;
    server_a.forget_user("u1").await.expect("forget");
    let after_forget = revision(server_b.clone()).await;
    assert!(after_forget > last, "forget: {after_forget} <= {last}");

    // A refused batch changes nothing, the revision included.
    let bad = Item::new("", "no id");
    assert!(server_a.upsert_items(&[bad]).await.is_err());
    assert_eq!(revision(server_b.clone()).await, after_forget);

    server_a.close().await;
    server_b.close().await;
}
