//! SQLite durability smoke tests: writes acknowledged before the process dies without
//! closing the store are there when the file is opened again.
//!
//! `synchronous=FULL` is what makes them survive power loss as well; that part needs a
//! machine to pull the plug on and is not tested here.

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};

use chatrec_store::{
    EventId, FeedbackKind, Item, NewFeedback, NewSession, NewTurn, SqliteStore, Store, User,
};

/// Set in the child process: the database file it writes to before aborting.
const CHILD_DB_ENV: &str = "CHATREC_STORE_CRASH_CHILD_DB";
const CHILD_EVENTS: usize = 200;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn seed(store: &SqliteStore) {
    store.upsert_users(&[User::new("u")]).await.expect("user");
    store
        .upsert_items(&[Item::new("i", "An item")])
        .await
        .expect("item");
}

fn like(n: usize) -> NewFeedback {
    NewFeedback {
        user_id: "u".into(),
        item_id: "i".into(),
        kind: FeedbackKind::Like,
        value: 1.0,
        timestamp_ms: n as i64,
    }
}

#[test]
fn acknowledged_writes_survive_dropping_the_store_without_close() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("dropped.db");
    let acknowledged = runtime().block_on(async {
        let store = SqliteStore::open(&path).await.expect("open");
        seed(&store).await;
        let mut ids = Vec::new();
        for n in 0..50 {
            ids.push(store.insert_feedback_event(&like(n)).await.expect("write"));
        }
        store
            .create_session(&NewSession {
                id: "s".into(),
                user_id: Some("u".into()),
                created_at_ms: 1,
            })
            .await
            .expect("session");
        store
            .append_turn(
                "s",
                &NewTurn {
                    turn_number: 1,
                    user_text: "hello".into(),
                    reply: serde_json::json!({"text": "hi"}),
                    created_at_ms: 2,
                },
            )
            .await
            .expect("turn");
        // No close, no destructor: connections and the WAL are left as they are.
        std::mem::forget(store);
        ids
    });
    // A fresh runtime and pool, as after a restart.
    runtime().block_on(async {
        let store = SqliteStore::open(&path).await.expect("reopen");
        let stored: Vec<EventId> = store
            .list_feedback_since(EventId::START, 1_000)
            .await
            .expect("read")
            .into_iter()
            .map(|event| event.id)
            .collect();
        assert_eq!(stored, acknowledged);
        let session = store
            .get_session("s")
            .await
            .expect("read")
            .expect("session");
        assert_eq!(session.turns.len(), 1);
        store.close().await;
    });
}

/// Runs as a child process of the test below (does nothing in a normal test run): writes
/// events one by one, reporting each acknowledged id on stdout, then aborts mid-stream.
#[test]
fn crash_child_writes_then_aborts() {
    let Ok(path) = std::env::var(CHILD_DB_ENV) else {
        return;
    };
    runtime().block_on(async {
        let store = SqliteStore::open(&path).await.expect("open");
        seed(&store).await;
        let mut stdout = std::io::stdout().lock();
        for n in 0..CHILD_EVENTS {
            let id = store.insert_feedback_event(&like(n)).await.expect("write");
            writeln!(stdout, "ack {}", id.0).expect("report");
            stdout.flush().expect("report");
        }
        // Abort with the pool open and a write in flight: no destructors, no checkpoint.
        let writer = store.clone();
        tokio::spawn(async move { writer.insert_feedback_event(&like(CHILD_EVENTS)).await });
        tokio::task::yield_now().await;
        std::process::abort();
    });
}

#[test]
fn acknowledged_writes_survive_a_process_abort() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("aborted.db");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "crash_child_writes_then_aborts", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD_DB_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let acknowledged: Vec<EventId> = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        // libtest prints "test NAME ... " on the line where the first ack lands.
        .filter_map(|line| {
            line.split_once("ack ")
                .and_then(|(_, id)| id.trim().parse().ok())
        })
        .map(EventId)
        .collect();
    let status = child.wait().expect("child exit");
    assert!(!status.success(), "the child must die, not exit cleanly");
    assert_eq!(acknowledged.len(), CHILD_EVENTS, "child wrote all events");

    runtime().block_on(async {
        let store = SqliteStore::open(&path).await.expect("reopen after crash");
        let stored: Vec<EventId> = store
            .list_feedback_since(EventId::START, 10_000)
            .await
            .expect("read")
            .into_iter()
            .map(|event| event.id)
            .collect();
        // Every acknowledged event is there; the one in flight may or may not be.
        assert!(
            stored.len() == acknowledged.len() || stored.len() == acknowledged.len() + 1,
            "{} stored, {} acknowledged",
            stored.len(),
            acknowledged.len()
        );
        assert_eq!(&stored[..acknowledged.len()], acknowledged.as_slice());
        store.close().await;
    });
}
