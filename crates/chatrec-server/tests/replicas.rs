//! Several servers over one store: feedback written through one is used by the other, a
//! model version trained and activated on one is served by all, on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use chatrec_store::Store;
use common::*;
use rand::Rng;
use serde_json::json;
use sqlx::Connection;

async fn replicas_share_feedback_and_model_versions(
    store_a: Arc<dyn Store>,
    store_b: Arc<dyn Store>,
) {
    seed(store_a.as_ref()).await;
    let a = serve_store(store_a, config()).await;
    let b = serve_store(store_b, config()).await;

    // Feedback through A changes B's next answer.
    let before = b.recommended("u5", "n=3").await;
    let stored = a
        .post(
            "/feedback",
            json!({"events": [{"user_id": "u5", "item_id": before[0], "kind": "dislike"}]}),
        )
        .await;
    assert_eq!(stored.status, StatusCode::CREATED);
    let after = b.recommended("u5", "n=3").await;
    assert!(!after.contains(&before[0]), "{after:?}");

    // A conversation started on A continues on B.
    let created = a
        .send(Method::POST, "/conversations", None, json!({}))
        .await;
    let id = created.json["id"].as_str().expect("id").to_owned();
    let first = a
        .send(
            Method::POST,
            &format!("/conversations/{id}/turns"),
            None,
            json!({"text": "a comedy"}),
        )
        .await;
    let second = b
        .send(
            Method::POST,
            &format!("/conversations/{id}/turns"),
            None,
            json!({"text": "not the first one"}),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(second.json["turn"], 2);
    let rejected = item_ids(&first.json["items"])[0].clone();
    assert!(second.json["acts"].to_string().contains(&rejected));
    // ... and back on A, which must notice B's turn.
    let third = a
        .send(
            Method::POST,
            &format!("/conversations/{id}/turns"),
            None,
            json!({"text": "more"}),
        )
        .await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.text);
    assert_eq!(third.json["turn"], 3);

    // A trains and activates version 2; B serves it after its next refresh, no restart.
    let started = a
        .send(
            Method::POST,
            "/admin/train",
            Some(ADMIN),
            json!({"model": "als"}),
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let job = started.json["job_id"].as_str().expect("job").to_owned();
    let mut state = String::new();
    for _ in 0..600 {
        let status = a.get_admin(&format!("/admin/jobs/{job}")).await;
        state = status.json["state"].as_str().unwrap_or("").to_owned();
        if state != "running" {
            assert_eq!(status.json["result"]["version"], 2, "{}", status.text);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state, "succeeded");
    assert!(b.app.refresh_if_stale().await.expect("refresh"));
    assert_eq!(b.get("/health/ready").await.json["model_version"], 2);
    assert_eq!(b.get("/health/ready").await.json["model"], "als");

    // Activating version 1 again rolls every server back.
    let rolled = a
        .send(
            Method::POST,
            "/admin/models/1/activate",
            Some(ADMIN),
            json!({}),
        )
        .await;
    assert_eq!(rolled.status, StatusCode::OK, "{}", rolled.text);
    b.app.refresh_if_stale().await.expect("refresh");
    assert_eq!(b.get("/health/ready").await.json["model_version"], 1);
    let versions = b.get_admin("/admin/models").await;
    assert_eq!(versions.json["versions"].as_array().map(Vec::len), Some(2));
    let missing = a
        .send(
            Method::POST,
            "/admin/models/99/activate",
            Some(ADMIN),
            json!({}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Forgetting through A reaches B's memory of the user.
    a.request(Method::DELETE, "/users/u5", Some(ADMIN), None, "")
        .await;
    b.app.refresh_if_stale().await.expect("refresh");
    assert_eq!(
        b.get("/users/u5/recommendations").await.status,
        StatusCode::NOT_FOUND
    );
}

trait AdminGet {
    async fn get_admin(&self, path: &str) -> Answer;
}

impl AdminGet for TestServer {
    async fn get_admin(&self, path: &str) -> Answer {
        self.request(Method::GET, path, Some(ADMIN), None, "").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_replicas() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let a = chatrec_store::open(&url).await.expect("a");
    let b = chatrec_store::open(&url).await.expect("b");
    replicas_share_feedback_and_model_versions(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas() {
    if std::env::var("CHATREC_SKIP_PG").as_deref() == Ok("1") {
        eprintln!("CHATREC_SKIP_PG=1: skipping the PostgreSQL replicas");
        return;
    }
    let admin_url = std::env::var("CHATREC_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {admin_url}: {e} (CHATREC_SKIP_PG=1 skips)")
        });
    let schema = format!("server_test_{:08x}", rand::thread_rng().gen::<u32>());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .expect("schema");
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
    let a = chatrec_store::open(&url).await.expect("a");
    let b = chatrec_store::open(&url).await.expect("b");
    let outcome = tokio::spawn(replicas_share_feedback_and_model_versions(a, b)).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .expect("drop schema");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
