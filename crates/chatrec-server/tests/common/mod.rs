//! A server over a small catalog with clear tastes, called in-process through its router.
//!
//! 30 films, 10 per genre (Action, Comedy, Drama); 60 users in three groups, each of whom
//! rated most films of their group's genre 5 and two films of another genre 1. A model
//! trained on that recommends a user's own genre, so changes by feedback are visible.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chatrec_core::{Catalog, Dataset, Interaction, Item, User};
use chatrec_models::NoProgress;
use chatrec_server::data::records_of;
use chatrec_server::training::{train_and_publish, TrainSpec};
use chatrec_server::{App, PlainEngine, ServerConfig};
use chatrec_store::Store;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const ADMIN: &str = "admin-key-0123456789";
pub const READER: &str = "read-key-0123456789";
pub const GENRES: [&str; 3] = ["Action", "Comedy", "Drama"];

pub fn dataset() -> Dataset {
    let mut catalog = Catalog::new();
    for (g, genre) in GENRES.iter().enumerate() {
        for k in 0..10 {
            catalog.upsert_item(Item {
                id: format!("{}{k}", genre.to_lowercase()),
                title: format!("{genre} Story {}", k + 1),
                year: Some(1980 + (g as i32) * 5 + k),
                categories: vec![genre.to_string()],
                text: format!("a {} film number {}", genre.to_lowercase(), k + 1),
            });
        }
    }
    let mut interactions = Vec::new();
    for u in 0..60u32 {
        let user = catalog.upsert_user(User {
            id: format!("u{u}"),
            attributes: Default::default(),
        });
        let group = u % 3;
        for k in 0..10u32 {
            // Each user skips two films of their genre, different ones per user.
            if k == u % 10 || k == (u / 3 + 5) % 10 {
                continue;
            }
            interactions.push(Interaction {
                user,
                item: group * 10 + k,
                value: 5.0,
                timestamp: i64::from(u * 100 + k),
            });
        }
        let other = (group + 1) % 3;
        for k in [u % 10, (u + 3) % 10] {
            interactions.push(Interaction {
                user,
                item: other * 10 + k,
                value: 1.0,
                timestamp: i64::from(u * 100 + 50 + k),
            });
        }
    }
    interactions.sort_by_key(|i| (i.user, i.item));
    interactions.dedup_by_key(|i| (i.user, i.item));
    Dataset {
        catalog,
        interactions,
        has_ratings: true,
        has_timestamps: true,
    }
}

/// Writes the data set into `store` and trains and activates the first model version.
pub async fn seed(store: &dyn Store) {
    let (items, users, events) = records_of(&dataset());
    store.upsert_items(&items).await.expect("items");
    store.upsert_users(&users).await.expect("users");
    store.insert_feedback(&events).await.expect("events");
    train_and_publish(store, &spec("ease"), Arc::new(NoProgress))
        .await
        .expect("training");
}

pub fn spec(model: &str) -> TrainSpec {
    TrainSpec {
        model: model.into(),
        params: Default::default(),
        seed: 7,
        activate: true,
    }
}

pub fn config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.auth.admin_keys = vec![ADMIN.into()];
    config.refresh_interval_ms = 50;
    config
}

pub struct TestServer {
    pub app: Arc<App>,
    pub router: Router,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite store, seeded and trained, served with `config`.
pub async fn server_with(config: ServerConfig) -> TestServer {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("chatrec.db").display());
    let store = chatrec_store::open(&url).await.expect("store");
    seed(store.as_ref()).await;
    let mut server = serve_store(store, config).await;
    server._dir = Some(dir);
    server
}

pub async fn server() -> TestServer {
    server_with(config()).await
}

/// A server over an existing store (a replica).
pub async fn serve_store(store: Arc<dyn Store>, config: ServerConfig) -> TestServer {
    let app = App::new(config, store, Arc::new(PlainEngine))
        .await
        .expect("app");
    TestServer {
        router: chatrec_server::router(app.clone()),
        app,
        _dir: None,
    }
}

/// An answer: status, JSON body (`Null` when empty or not JSON), headers, raw text.
pub struct Answer {
    pub status: StatusCode,
    pub json: Value,
    pub headers: HeaderMap,
    pub text: String,
}

impl TestServer {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Body>,
        content_type: &str,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        if body.is_some() {
            builder = builder.header("content-type", content_type);
        }
        let request = builder
            .body(body.unwrap_or_else(Body::empty))
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            json,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.request(Method::GET, path, None, None, "").await
    }

    pub async fn send(&self, method: Method, path: &str, key: Option<&str>, body: Value) -> Answer {
        self.request(
            method,
            path,
            key,
            Some(Body::from(body.to_string())),
            "application/json",
        )
        .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(ADMIN), body).await
    }

    /// Item ids of a recommendation list.
    pub async fn recommended(&self, user: &str, query: &str) -> Vec<String> {
        let answer = self
            .get(&format!("/users/{user}/recommendations?{query}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        item_ids(&answer.json["items"])
    }
}

pub fn item_ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["item_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The error code of an error answer.
pub fn code(answer: &Answer) -> &str {
    answer.json["error"]["code"].as_str().unwrap_or("")
}
