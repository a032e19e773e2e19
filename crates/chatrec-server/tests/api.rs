//! The HTTP API of one server, called in-process: what a client relies on.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn health_metrics_and_the_spec_describe_the_server() {
    let server = server().await;
    assert_eq!(server.get("/health/live").await.status, StatusCode::OK);
    let ready = server.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.json["model_version"], 1);
    assert_eq!(ready.json["backend"], "sqlite");

    let spec = server.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    let paths = spec.json["paths"].as_object().expect("paths");
    for path in [
        "/items",
        "/items/{id}",
        "/items/import",
        "/users/{id}",
        "/feedback",
        "/users/{id}/recommendations",
        "/recommendations",
        "/items/{id}/similar",
        "/users/{user_id}/explain/{item_id}",
        "/conversations",
        "/conversations/{id}/turns",
        "/conversations/{id}/turns/stream",
        "/conversations/{id}/feedback",
        "/v1/chat/completions",
        "/v1/models",
        "/admin/train",
        "/admin/models/{version}/activate",
        "/health/ready",
        "/metrics",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the spec");
    }
    assert!(spec.json["components"]["schemas"]["Evidence"].is_object());

    server.recommended("u0", "n=3").await;
    let metrics = server.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .text
            .contains("chatrec_http_request_duration_seconds")
            && metrics
                .text
                .contains("route=\"/users/{id}/recommendations\""),
        "{}",
        metrics.text
    );
    assert!(metrics
        .text
        .contains("chatrec_llm_fallbacks_total{task=\"rerank\"} 0"));

    let page = server.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("<html"), "the chat page is served");
}

#[tokio::test]
async fn keys_guard_writes_and_administration() {
    let mut config = config();
    let server_open = server_with(config.clone()).await;
    let item = json!({"items": [{"id": "new1", "title": "New One"}]});
    // Reading is open without read keys; writing never is.
    assert_eq!(
        server_open.get("/items/action1").await.status,
        StatusCode::OK
    );
    let refused = server_open
        .send(Method::PUT, "/items", None, item.clone())
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&refused), "unauthorized");
    let wrong = server_open
        .send(
            Method::PUT,
            "/items",
            Some("not-a-key-at-all-123"),
            item.clone(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    config.auth.read_keys = vec![READER.into()];
    let server = server_with(config).await;
    assert_eq!(
        server.get("/items/action1").await.status,
        StatusCode::UNAUTHORIZED
    );
    let read = server
        .request(Method::GET, "/items/action1", Some(READER), None, "")
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let forbidden = server
        .send(Method::PUT, "/items", Some(READER), item.clone())
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&forbidden), "forbidden");
    // X-API-Key works as well as a bearer token.
    let request = axum::http::Request::builder()
        .method(Method::PUT)
        .uri("/items")
        .header("x-api-key", ADMIN)
        .header("content-type", "application/json")
        .body(Body::from(item.to_string()))
        .expect("request");
    let response = tower::ServiceExt::oneshot(server.router.clone(), request)
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    // Health stays open for probes.
    assert_eq!(server.get("/health/ready").await.status, StatusCode::OK);
}

#[tokio::test]
async fn rate_and_size_limits_answer_with_json_errors() {
    let mut config = config();
    config.limits.rate_per_second = 1;
    config.limits.rate_burst = 3;
    config.limits.max_body_bytes = 4096;
    let server = server_with(config).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(server.get("/items/action1").await);
    }
    let limited = statuses
        .iter()
        .find(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .expect("the burst of 3 is spent");
    assert_eq!(code(limited), "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    // Another key has its own allowance.
    let admin = server
        .request(Method::GET, "/items/action1", Some(ADMIN), None, "")
        .await;
    assert_eq!(admin.status, StatusCode::OK);

    let big = json!({"items": [{"id": "big", "title": "x".repeat(10_000)}]});
    let too_large = server.send(Method::PUT, "/items", Some(ADMIN), big).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&too_large), "too_large");
}

#[tokio::test]
async fn bad_requests_say_what_was_wrong_and_write_nothing() {
    let server = server().await;
    let batch = json!({"items": [
        {"id": "fine1", "title": "Fine"},
        {"id": "", "title": "No id"},
        {"id": "fine2", "title": "Also fine", "categories": [""]},
    ]});
    let refused = server.send(Method::PUT, "/items", Some(ADMIN), batch).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&refused), "invalid_batch");
    let rows = refused.json["error"]["details"]["rows"]
        .as_array()
        .expect("rows");
    assert_eq!(rows.len(), 2, "{}", refused.text);
    assert_eq!(rows[0]["row"], 1);
    assert_eq!(
        server.get("/items/fine1").await.status,
        StatusCode::NOT_FOUND
    );

    let malformed = server
        .request(
            Method::PUT,
            "/items",
            Some(ADMIN),
            Some(Body::from("{not json")),
            "application/json",
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(!malformed.json["error"]["message"]
        .as_str()
        .unwrap_or("")
        .is_empty());

    let unknown = server
        .post(
            "/feedback",
            json!({"events": [
                {"user_id": "u0", "item_id": "comedy1", "kind": "like"},
                {"user_id": "nobody", "item_id": "comedy1", "kind": "like"},
            ]}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let before = server.get("/users/u0/feedback").await.json["events"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(before > 0);
    let bad_kind = server
        .post(
            "/feedback",
            json!({"events": [{"user_id": "u0", "item_id": "comedy1", "kind": "love"}]}),
        )
        .await;
    assert_eq!(
        bad_kind.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_kind.text
    );

    assert_eq!(
        server.get("/users/u0/recommendations?n=0").await.status,
        StatusCode::BAD_REQUEST
    );
    let category = server
        .get("/users/u0/recommendations?category=Western")
        .await;
    assert_eq!(category.status, StatusCode::BAD_REQUEST);
    assert!(category.text.contains("Western"));
    assert_eq!(
        server.get("/users/ghost/recommendations").await.status,
        StatusCode::NOT_FOUND
    );
    let missing = server.get("/no/such/route").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(code(&missing), "not_found");
    let wrong_method = server
        .send(Method::PATCH, "/items", Some(ADMIN), json!({}))
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(code(&wrong_method), "method_not_allowed");
}

#[tokio::test]
async fn catalog_and_users_round_trip() {
    let server = server().await;
    let item = json!({"title": "Brand New", "year": 2001, "categories": ["Comedy"],
        "text": "a new comedy", "attributes": {"director": "Someone"}});
    let put = server
        .send(Method::PUT, "/items/brand-new", Some(ADMIN), item)
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.json["inserted"], 1);
    let got = server.get("/items/brand-new").await;
    assert_eq!(got.json["title"], "Brand New");
    assert_eq!(got.json["attributes"]["director"], "Someone");
    let mismatch = server
        .send(
            Method::PUT,
            "/items/a",
            Some(ADMIN),
            json!({"id": "b", "title": "B"}),
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);

    let page = server.get("/items?limit=7").await;
    assert_eq!(page.json["records"].as_array().map(Vec::len), Some(7));
    let next = page.json["next_after"].as_str().expect("more pages");
    let page2 = server.get(&format!("/items?limit=7&after={next}")).await;
    assert_ne!(
        page2.json["records"][0]["id"],
        page.json["records"][0]["id"]
    );

    let deleted = server
        .request(Method::DELETE, "/items/brand-new", Some(ADMIN), None, "")
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        server.get("/items/brand-new").await.status,
        StatusCode::NOT_FOUND
    );

    let users = server
        .send(
            Method::PUT,
            "/users",
            Some(ADMIN),
            json!({"users": [{"id": "fresh", "attributes": {"age": 30}}]}),
        )
        .await;
    assert_eq!(users.status, StatusCode::OK);
    assert_eq!(
        server.get("/users/fresh").await.json["attributes"]["age"],
        30
    );
}

#[tokio::test]
async fn bulk_import_writes_good_batches_and_lists_bad_lines() {
    let server = server().await;
    let mut lines: Vec<String> = (0..1500)
        .map(|i| json!({"id": format!("bulk{i:04}"), "title": format!("Bulk {i}")}).to_string())
        .collect();
    // A bad line in the second batch (lines 1001-1500) refuses that batch only.
    lines[1200] = "{\"id\": \"bulk-bad\"}".into();
    lines.insert(10, String::new());
    let body = lines.join("\n");
    let answer = server
        .request(
            Method::POST,
            "/items/import",
            Some(ADMIN),
            Some(Body::from(body)),
            "application/x-ndjson",
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert_eq!(answer.json["batches_written"], 1);
    assert_eq!(answer.json["batches_refused"], 1);
    assert_eq!(answer.json["inserted"], 1000);
    let errors = answer.json["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["line"], 1202,
        "line numbers count from 1, blank lines included"
    );
    assert_eq!(server.get("/items/bulk0000").await.status, StatusCode::OK);
    assert_eq!(
        server.get("/items/bulk1499").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn feedback_changes_the_next_recommendations_at_once() {
    let server = server().await;
    let before = server.recommended("u0", "n=5").await;
    assert!(
        before.iter().filter(|id| id.starts_with("action")).count() >= 1,
        "u0 likes action: {before:?}"
    );
    // A dislike removes the item; likes of comedies pull comedies up, all without retraining.
    let top = before[0].clone();
    let events: Vec<Value> =
        std::iter::once(json!({"user_id": "u0", "item_id": top, "kind": "dislike"}))
            .chain(
                (0..8).map(
                    |k| json!({"user_id": "u0", "item_id": format!("comedy{k}"), "kind": "like"}),
                ),
            )
            .collect();
    let stored = server.post("/feedback", json!({"events": events})).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.text);
    assert_eq!(stored.json["ids"].as_array().map(Vec::len), Some(9));
    let after = server.recommended("u0", "n=5").await;
    assert!(!after.contains(&top), "{after:?}");
    assert!(after
        .iter()
        .all(|id| !id.starts_with("comedy") || id == "comedy8" || id == "comedy9"));
    let comedies = after.iter().filter(|id| id.starts_with("comedy")).count();
    assert!(
        comedies >= 1,
        "liked comedies pull other comedies up: {after:?}"
    );

    // Filters, exclusions and paging.
    let drama = server.recommended("u0", "n=3&category=Drama").await;
    assert!(drama.iter().all(|id| id.starts_with("drama")), "{drama:?}");
    let first = server.recommended("u0", "n=2").await;
    let second = server.recommended("u0", "n=2&offset=2").await;
    let both = server.recommended("u0", "n=4").await;
    assert_eq!([first.clone(), second].concat(), both);
    let excluded = server
        .recommended("u0", &format!("n=4&exclude={}", first.join(",")))
        .await;
    assert!(excluded.iter().all(|id| !first.contains(id)));

    // A user created after training is folded in from their feedback alone.
    server
        .send(Method::PUT, "/users/newcomer", Some(ADMIN), json!({}))
        .await;
    server
        .post(
            "/feedback",
            json!({"events": [
                {"user_id": "newcomer", "item_id": "drama1", "kind": "rating", "value": 5},
                {"user_id": "newcomer", "item_id": "drama2", "kind": "rating", "value": 5},
            ]}),
        )
        .await;
    let newcomer = server.get("/users/newcomer/recommendations?n=3").await;
    assert_eq!(newcomer.status, StatusCode::OK, "{}", newcomer.text);
    let ids = item_ids(&newcomer.json["items"]);
    assert!(
        ids.iter().filter(|id| id.starts_with("drama")).count() >= 2,
        "{ids:?}"
    );
    assert!(!ids.contains(&"drama1".to_string()));
}

#[tokio::test]
async fn every_item_comes_with_true_evidence() {
    let server = server().await;
    let answer = server.get("/users/u1/recommendations?n=3").await;
    for item in answer.json["items"].as_array().expect("items") {
        let evidence = item["evidence"].as_array().expect("evidence");
        assert!(!evidence.is_empty(), "{item}");
        for e in evidence {
            if e["type"] == "shared_categories" {
                let category = &e["categories"][0];
                assert!(item["categories"].as_array().expect("c").contains(category));
            }
        }
    }
    let visitor = server
        .post(
            "/recommendations",
            json!({"liked": ["drama0", "drama1"], "n": 3}),
        )
        .await;
    assert_eq!(visitor.status, StatusCode::OK, "{}", visitor.text);
    let ids = item_ids(&visitor.json["items"]);
    assert!(
        ids.iter()
            .all(|id| id.starts_with("drama") && id != "drama0"),
        "{ids:?}"
    );
    let unknown = server
        .post("/recommendations", json!({"liked": ["nope"]}))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let similar = server.get("/items/comedy3/similar?n=3").await;
    assert_eq!(similar.status, StatusCode::OK);
    let ids = item_ids(&similar.json["items"]);
    assert!(
        ids.iter()
            .all(|id| id.starts_with("comedy") && id != "comedy3"),
        "{ids:?}"
    );

    let why = server.get("/users/u1/explain/comedy9").await;
    assert_eq!(why.status, StatusCode::OK, "{}", why.text);
    assert!(!why.json["evidence"]
        .as_array()
        .expect("evidence")
        .is_empty());
}

#[tokio::test]
async fn deleted_items_are_never_recommended() {
    let server = server().await;
    let before = server.recommended("u0", "n=3").await;
    let gone = before[0].clone();
    let deleted = server
        .request(
            Method::DELETE,
            &format!("/items/{gone}"),
            Some(ADMIN),
            None,
            "",
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    server.app.refresh_if_stale().await.expect("refresh");
    let after = server.recommended("u0", "n=10").await;
    assert!(!after.contains(&gone), "{after:?}");
}

async fn new_conversation(server: &TestServer, body: Value) -> String {
    let created = server
        .send(Method::POST, "/conversations", None, body)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.json["id"].as_str().expect("id").to_owned()
}

async fn say(server: &TestServer, id: &str, text: &str) -> Value {
    let answer = server
        .send(
            Method::POST,
            &format!("/conversations/{id}/turns"),
            None,
            json!({"text": text}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json
}

#[tokio::test]
async fn conversations_answer_remember_and_stream() {
    let server = server().await;
    let id = new_conversation(&server, json!({})).await;
    let first = say(&server, &id, "a comedy please").await;
    assert!(!first["reply"].as_str().unwrap_or("").is_empty());
    let shown = item_ids(&first["items"]);
    assert!(
        !shown.is_empty() && shown.iter().all(|i| i.starts_with("comedy")),
        "{first}"
    );

    // Thumbs down: the item never comes back, and new items follow.
    let down = server
        .send(
            Method::POST,
            &format!("/conversations/{id}/feedback"),
            None,
            json!({"item_id": shown[0], "liked": false}),
        )
        .await;
    assert_eq!(down.status, StatusCode::OK, "{}", down.text);
    let next = say(&server, &id, "more").await;
    let next_items = item_ids(&next["items"]);
    assert!(!next_items.is_empty());
    assert!(!next_items.contains(&shown[0]));

    // Streaming: deltas join into the reply; items and done follow.
    let stream = server
        .send(
            Method::POST,
            &format!("/conversations/{id}/turns/stream"),
            None,
            json!({"text": "why the first one?"}),
        )
        .await;
    assert_eq!(stream.status, StatusCode::OK);
    assert!(stream.headers["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/event-stream"));
    let (deltas, done) = parse_events(&stream.text);
    let done = done.expect("a done event");
    assert_eq!(deltas, done["reply"].as_str().unwrap_or("MISSING"));
    assert!(!deltas.is_empty());

    // The stored conversation has every turn with its reply.
    let stored = server.get(&format!("/conversations/{id}")).await;
    let turns = stored.json["turns"].as_array().expect("turns");
    assert_eq!(turns.len(), 4);
    assert_eq!(turns[1]["reply"]["feedback"]["liked"], false);

    let listed = server.get("/conversations").await;
    assert!(listed.text.contains(&id));
    let deleted = server
        .request(
            Method::DELETE,
            &format!("/conversations/{id}"),
            None,
            None,
            "",
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let after = server
        .send(
            Method::POST,
            &format!("/conversations/{id}/turns"),
            None,
            json!({"text": "hi"}),
        )
        .await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    let empty = server
        .send(
            Method::POST,
            "/conversations/whatever/turns",
            None,
            json!({"text": "  "}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

/// `(concatenated delta texts, the done event's JSON)`.
fn parse_events(text: &str) -> (String, Option<Value>) {
    let mut deltas = String::new();
    let mut done = None;
    for block in text.split("\n\n") {
        let mut event = "";
        let mut data = String::new();
        for line in block.lines() {
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim();
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.strip_prefix(' ').unwrap_or(value));
            }
        }
        let Ok(value) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        match event {
            "delta" => deltas.push_str(value["text"].as_str().unwrap_or("")),
            "done" => done = Some(value),
            _ => {}
        }
    }
    (deltas, done)
}

#[tokio::test]
async fn a_conversation_survives_eviction_by_replay() {
    let mut config = config();
    config.limits.sessions_in_memory = 1;
    let server = server_with(config).await;
    let kept = new_conversation(&server, json!({"user_id": "u2"})).await;
    let first = say(&server, &kept, "something funny").await;
    // Another conversation pushes the first out of memory.
    let other = new_conversation(&server, json!({})).await;
    say(&server, &other, "a drama").await;
    // "not the first one" must still point at the first conversation's list.
    let again = say(&server, &kept, "not the first one").await;
    let rejected = item_ids(&first["items"])[0].clone();
    let acts = again["acts"].to_string();
    assert!(
        acts.contains(&rejected),
        "the reference resolved after replay: {acts}"
    );
    assert!(!item_ids(&again["items"]).contains(&rejected));
    assert_eq!(again["turn"], 2);
}

#[tokio::test]
async fn thumbs_in_a_known_users_conversation_become_their_feedback() {
    let server = server().await;
    let id = new_conversation(&server, json!({"user_id": "u3"})).await;
    let first = say(&server, &id, "recommend something").await;
    let liked = item_ids(&first["items"])[0].clone();
    let up = server
        .send(
            Method::POST,
            &format!("/conversations/{id}/feedback"),
            None,
            json!({"item_id": liked, "liked": true}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.text);
    let events = server.get("/users/u3/feedback").await;
    let last = events.json["events"]
        .as_array()
        .and_then(|e| e.last().cloned())
        .expect("event");
    assert_eq!(last["item_id"], liked.as_str());
    assert_eq!(last["kind"], "like");
}

#[tokio::test]
async fn forgetting_a_user_removes_them_everywhere() {
    let server = server().await;
    let id = new_conversation(&server, json!({"user_id": "u4"})).await;
    say(&server, &id, "a comedy").await;
    let report = server
        .request(Method::DELETE, "/users/u4", Some(ADMIN), None, "")
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    assert_eq!(report.json["user_deleted"], true);
    assert!(report.json["feedback_events_deleted"].as_u64().unwrap_or(0) > 0);
    assert_eq!(report.json["sessions_deleted"], 1);
    assert_eq!(server.get("/users/u4").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        server.get(&format!("/conversations/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.get("/users/u4/feedback").await.json["events"],
        json!([])
    );
    server.app.refresh_if_stale().await.expect("refresh");
    assert_eq!(
        server.get("/users/u4/recommendations").await.status,
        StatusCode::NOT_FOUND
    );
    // Forgetting again is harmless.
    let again = server
        .request(Method::DELETE, "/users/u4", Some(ADMIN), None, "")
        .await;
    assert_eq!(again.json["user_deleted"], false);
}

#[tokio::test]
async fn the_openai_endpoint_answers_like_openai_with_items_attached() {
    let server = server().await;
    let models = server.get("/v1/models").await;
    assert_eq!(models.json["data"][0]["id"], "chatrec");

    let request = json!({"model": "chatrec", "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "a drama"},
    ]});
    let answer = server
        .send(
            Method::POST,
            "/v1/chat/completions",
            Some("sk-anything"),
            request.clone(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json["object"], "chat.completion");
    assert_eq!(answer.json["choices"][0]["message"]["role"], "assistant");
    assert_eq!(answer.json["choices"][0]["finish_reason"], "stop");
    let content = answer.json["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or("");
    let first = item_ids(&answer.json["chatrec"]["items"]);
    assert!(!content.is_empty() && !first.is_empty());

    // The exchange continues statelessly: the client sends the history back.
    let follow = json!({"model": "chatrec", "messages": [
        {"role": "user", "content": "a drama"},
        {"role": "assistant", "content": content},
        {"role": "user", "content": "not the first one"},
    ]});
    let next = server
        .send(Method::POST, "/v1/chat/completions", None, follow)
        .await;
    assert!(!item_ids(&next.json["chatrec"]["items"]).contains(&first[0]));

    let mut streaming = request.clone();
    streaming["stream"] = json!(true);
    let streamed = server
        .send(Method::POST, "/v1/chat/completions", None, streaming)
        .await;
    assert_eq!(streamed.status, StatusCode::OK);
    let mut text = String::new();
    let mut last = Value::Null;
    let mut finished = false;
    for line in streamed.text.lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if data == "[DONE]" {
            finished = true;
            continue;
        }
        let chunk: Value = serde_json::from_str(data).expect("chunk JSON");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        text.push_str(
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap_or(""),
        );
        last = chunk;
    }
    assert!(finished);
    assert_eq!(text, content);
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(item_ids(&last["chatrec"]["items"]), first);

    let wrong_model = server
        .send(
            Method::POST,
            "/v1/chat/completions",
            None,
            json!({"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(wrong_model.status, StatusCode::NOT_FOUND);
    let no_user = server
        .send(
            Method::POST,
            "/v1/chat/completions",
            None,
            json!({"messages": []}),
        )
        .await;
    assert_eq!(no_user.status, StatusCode::BAD_REQUEST);
}
