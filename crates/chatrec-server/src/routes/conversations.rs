//! Conversations over HTTP: create, take turns (plain or streamed), thumbs up/down, list,
//! read back, delete.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chatrec_store::{NewSession, Page, PageRequest, Session, SessionSummary};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use crate::app::App;
use crate::conversations::{self, TurnInput};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Path, Query};

#[derive(Deserialize, ToSchema, Default)]
pub struct NewConversation {
    /// The user talking, when known: the conversation starts from their history.
    pub user_id: Option<String>,
}

/// Starts a conversation.
#[utoipa::path(post, path = "/conversations", tag = "conversations",
    request_body = NewConversation, responses((status = 201, body = NewSession)))]
pub async fn create(
    State(app): State<Arc<App>>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<NewSession>)> {
    // The body is optional: an empty one starts an anonymous conversation.
    let request: NewConversation = if body.iter().all(u8::is_ascii_whitespace) {
        NewConversation::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
    };
    let user_id = request.user_id;
    let created = conversations::create(&app, user_id).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// Only this user's conversations.
    pub user_id: Option<String>,
    pub after: Option<String>,
    /// Page size (default 100).
    pub limit: Option<u32>,
}

/// Conversations in id order, one page at a time.
#[utoipa::path(get, path = "/conversations", tag = "conversations", params(ListParams),
    responses((status = 200, body = Page<SessionSummary>)))]
pub async fn list(
    State(app): State<Arc<App>>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<Page<SessionSummary>>> {
    let page = PageRequest {
        after: params.after,
        limit: params.limit.unwrap_or(100),
    };
    Ok(Json(
        app.store
            .list_sessions(params.user_id.as_deref(), &page)
            .await?,
    ))
}

/// A conversation with all its turns.
#[utoipa::path(get, path = "/conversations/{id}", tag = "conversations",
    params(("id" = String, Path)),
    responses((status = 200, body = Session), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Session>> {
    app.store
        .get_session(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no conversation `{id}`")))
}

/// Deletes a conversation and its turns.
#[utoipa::path(delete, path = "/conversations/{id}", tag = "conversations",
    params(("id" = String, Path)),
    responses((status = 200, body = crate::routes::catalog::Deleted), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::routes::catalog::Deleted>> {
    app.conversations.remove(&id);
    if !app.store.delete_session(&id).await? {
        return Err(ApiError::not_found(format!("no conversation `{id}`")));
    }
    Ok(Json(crate::routes::catalog::Deleted { deleted: true }))
}

/// What the user says.
#[derive(Deserialize, ToSchema)]
pub struct TurnIn {
    pub text: String,
}

/// The longest turn accepted, in bytes.
const MAX_TURN_BYTES: usize = 4000;

fn text_input(body: TurnIn) -> ApiResult<TurnInput> {
    if body.text.trim().is_empty() {
        return Err(ApiError::bad_request("text is empty"));
    }
    if body.text.len() > MAX_TURN_BYTES {
        return Err(ApiError::bad_request(format!(
            "text is {} bytes long, more than the {MAX_TURN_BYTES} allowed",
            body.text.len()
        )));
    }
    Ok(TurnInput::Text(body.text))
}

/// Answers one turn: the reply text, the items with their evidence, the parsed acts.
#[utoipa::path(post, path = "/conversations/{id}/turns", tag = "conversations",
    params(("id" = String, Path)), request_body = TurnIn,
    responses((status = 200, body = chatrec_dialogue::TurnReply), (status = 404, body = crate::error::ErrorBody)))]
pub async fn turn(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body<TurnIn>,
) -> ApiResult<Json<Value>> {
    let input = text_input(body)?;
    Ok(Json(conversations::take_turn(&app, &id, &input).await?))
}

/// The same turn as Server-Sent Events: `delta` events carry pieces of the reply text (their
/// concatenation is the reply), then `items` the recommended items, then `done` the whole
/// reply. Errors before the first event are plain JSON errors; none happen after it.
#[utoipa::path(post, path = "/conversations/{id}/turns/stream", tag = "conversations",
    params(("id" = String, Path)), request_body = TurnIn,
    responses((status = 200, description = "text/event-stream of delta, items and done events", content_type = "text/event-stream")))]
pub async fn turn_stream(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body<TurnIn>,
) -> ApiResult<Response> {
    let input = text_input(body)?;
    let reply = conversations::take_turn(&app, &id, &input).await?;
    Ok(stream_reply(reply))
}

/// Pieces of `text` of a few words each, whose concatenation is `text`.
pub fn text_pieces(text: &str) -> Vec<String> {
    const WORDS_PER_PIECE: usize = 4;
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut words = 0;
    for (i, ch) in text.char_indices() {
        current.push(ch);
        let next_is_word = text[i + ch.len_utf8()..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace());
        if ch.is_whitespace() && next_is_word {
            words += 1;
            if words == WORDS_PER_PIECE {
                pieces.push(std::mem::take(&mut current));
                words = 0;
            }
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

fn stream_reply(reply: Value) -> Response {
    let text = reply["reply"].as_str().unwrap_or_default().to_owned();
    let mut events: Vec<Event> = text_pieces(&text)
        .into_iter()
        .map(|piece| {
            Event::default()
                .event("delta")
                .data(json!({"text": piece}).to_string())
        })
        .collect();
    events.push(
        Event::default()
            .event("items")
            .data(json!({"items": reply["items"]}).to_string()),
    );
    events.push(Event::default().event("done").data(reply.to_string()));
    let stream = futures_util::stream::iter(events.into_iter().map(Ok::<_, Infallible>));
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// A thumbs up or down on an item.
#[derive(Deserialize, ToSchema)]
pub struct FeedbackIn {
    pub item_id: String,
    pub liked: bool,
}

/// Thumbs up or down on an item, as a turn: the opinion is applied (a thumbs down also
/// removes the item for good) and the reply brings the next items. In a known user's
/// conversation it is also recorded as their feedback.
#[utoipa::path(post, path = "/conversations/{id}/feedback", tag = "conversations",
    params(("id" = String, Path)), request_body = FeedbackIn,
    responses((status = 200, body = chatrec_dialogue::TurnReply), (status = 404, body = crate::error::ErrorBody)))]
pub async fn feedback(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body<FeedbackIn>,
) -> ApiResult<Json<Value>> {
    let input = TurnInput::Feedback {
        item_id: body.item_id,
        liked: body.liked,
    };
    Ok(Json(conversations::take_turn(&app, &id, &input).await?))
}

#[cfg(test)]
mod tests {
    use super::text_pieces;

    #[test]
    fn pieces_join_back_to_the_text() {
        for text in [
            "",
            "One.",
            "Here are three films like Star Wars (1977):\n1. Return of the Jedi — same universe.",
            "  spaced   out  words  ",
            "ünïcödé wörds ôver sëveral pièces of text",
        ] {
            let pieces = text_pieces(text);
            assert_eq!(pieces.concat(), text);
            assert!(pieces.iter().all(|p| !p.is_empty()));
        }
        assert!(text_pieces("a b c d e f g h i j").len() >= 2);
    }
}
