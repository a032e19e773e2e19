//! The OpenAI-compatible chat endpoint, so any OpenAI client or chat UI can talk to the
//! recommender. It is stateless like the API it mimics: the client sends the whole
//! exchange each time, and the user messages are replayed to answer the last one. The
//! structured items travel in the extension field `chatrec`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chatrec_dialogue::TurnReply;
use chatrec_store::now_ms;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::app::App;
use crate::conversations::answer_exchange;
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::routes::conversations::text_pieces;

/// The model id clients name.
pub const MODEL_ID: &str = "chatrec";

#[derive(Serialize, ToSchema)]
pub struct ModelList {
    pub object: &'static str,
    pub data: Vec<ModelCard>,
}

#[derive(Serialize, ToSchema)]
pub struct ModelCard {
    pub id: &'static str,
    pub object: &'static str,
    pub created: i64,
    pub owned_by: &'static str,
}

/// The models this server offers (one: `chatrec`).
#[utoipa::path(get, path = "/v1/models", tag = "openai",
    responses((status = 200, body = ModelList)))]
pub async fn models() -> Json<ModelList> {
    Json(ModelList {
        object: "list",
        data: vec![ModelCard {
            id: MODEL_ID,
            object: "model",
            created: 0,
            owned_by: "chatrec",
        }],
    })
}

#[derive(Deserialize, ToSchema)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` (only `user` messages are read).
    pub role: String,
    /// Text, or a list of content parts of which the `text` parts are read.
    #[schema(value_type = Object)]
    pub content: Value,
}

/// An OpenAI chat completion request. Fields not listed are accepted and ignored.
#[derive(Deserialize, ToSchema)]
pub struct ChatRequest {
    pub model: Option<String>,
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub stream: bool,
    /// A user id of the store: the conversation starts from their history.
    pub user: Option<String>,
}

fn message_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn extension(reply: &TurnReply) -> Value {
    json!({
        "turn": reply.turn,
        "items": reply.items,
        "question": reply.question,
        "acts": reply.acts,
    })
}

/// Answers the last user message of the exchange, like `POST /v1/chat/completions` of
/// OpenAI, streamed (`"stream": true`) or not.
#[utoipa::path(post, path = "/v1/chat/completions", tag = "openai", request_body = ChatRequest,
    responses((status = 200, description = "a chat.completion object (or chat.completion.chunk events when streaming) with the extension field `chatrec`: items, question, turn, acts")))]
pub async fn chat_completions(
    State(app): State<Arc<App>>,
    Body(request): Body<ChatRequest>,
) -> ApiResult<Response> {
    if let Some(model) = request.model.as_deref() {
        if model != MODEL_ID {
            return Err(ApiError::not_found(format!(
                "no model `{model}`; this server offers `{MODEL_ID}`"
            )));
        }
    }
    let texts: Vec<String> = request
        .messages
        .iter()
        .filter(|m| m.role == "user")
        .map(|m| message_text(&m.content))
        .filter(|t| !t.trim().is_empty())
        .collect();
    let reply = answer_exchange(&app, request.user.as_deref(), &texts).await?;
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = now_ms() / 1000;
    if !request.stream {
        return Ok(Json(json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply.reply},
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "chatrec": extension(&reply),
        }))
        .into_response());
    }
    let chunk = |delta: Value, finish: Value, extra: Option<Value>| {
        let mut chunk = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        if let Some(extra) = extra {
            chunk["chatrec"] = extra;
        }
        Event::default().data(chunk.to_string())
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
        None,
    )];
    events.extend(
        text_pieces(&reply.reply)
            .into_iter()
            .map(|piece| chunk(json!({"content": piece}), Value::Null, None)),
    );
    events.push(chunk(json!({}), json!("stop"), Some(extension(&reply))));
    events.push(Event::default().data("[DONE]"));
    let stream = futures_util::stream::iter(events.into_iter().map(Ok::<_, Infallible>));
    Ok(Sse::new(stream).into_response())
}
