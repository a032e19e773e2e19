//! Conversations: created in the store, answered in memory, every turn appended to the store
//! before it is acknowledged. A conversation not in memory (another server took it, this one
//! restarted, or it was evicted) is rebuilt by replaying its stored turns, which gives the
//! same state because turns are deterministic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chatrec_dialogue::{Profile, Session, TurnReply};
use chatrec_store::{
    now_ms, FeedbackKind, ModelVersion, NewFeedback, NewSession, NewTurn, StoreError, Turn,
};
use serde_json::{json, Value};

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::live::Live;

/// One conversation in memory.
pub struct Conversation {
    pub id: String,
    pub user_id: Option<String>,
    session: Session,
    /// Turns stored so far.
    turns: u32,
    /// The model version the session runs on; a newer one rebuilds it.
    version: ModelVersion,
}

type Shared = Arc<tokio::sync::Mutex<Conversation>>;

struct Slot {
    conversation: Shared,
    last_used: u64,
}

/// The conversations held in memory, at most `capacity`: the least recently used is
/// dropped first (it stays in the store).
pub struct Conversations {
    slots: Mutex<HashMap<String, Slot>>,
    capacity: usize,
    clock: AtomicU64,
}

/// What the user did this turn.
pub enum TurnInput {
    Text(String),
    /// Thumbs up (`liked`) or down on an item.
    Feedback {
        item_id: String,
        liked: bool,
    },
}

impl Conversations {
    pub fn new(capacity: usize) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            capacity,
            clock: AtomicU64::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.slots.lock().map_or(0, |slots| slots.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, id: &str) -> Option<Shared> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut slots = self.slots.lock().ok()?;
        let slot = slots.get_mut(id)?;
        slot.last_used = tick;
        Some(slot.conversation.clone())
    }

    fn insert(&self, conversation: Conversation) -> Shared {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let id = conversation.id.clone();
        let shared = Arc::new(tokio::sync::Mutex::new(conversation));
        if let Ok(mut slots) = self.slots.lock() {
            if slots.len() >= self.capacity && !slots.contains_key(&id) {
                let oldest = slots
                    .iter()
                    .min_by_key(|(_, slot)| slot.last_used)
                    .map(|(key, _)| key.clone());
                if let Some(oldest) = oldest {
                    slots.remove(&oldest);
                }
            }
            slots.insert(
                id,
                Slot {
                    conversation: shared.clone(),
                    last_used: tick,
                },
            );
        }
        shared
    }

    pub fn remove(&self, id: &str) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.remove(id);
        }
    }

    /// Drops every conversation of `user_id` from memory (the user was forgotten).
    pub fn remove_user(&self, user_id: &str) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.retain(|_, slot| {
                slot.conversation
                    .try_lock()
                    .map_or(true, |c| c.user_id.as_deref() != Some(user_id))
            });
        }
    }
}

/// The session a conversation starts from: the user's profile when the store knows them.
async fn fresh_session(app: &App, live: &Live, user_id: Option<&str>) -> ApiResult<Session> {
    let profile = match user_id {
        Some(user) => app.profile_of(live, user).await?.unwrap_or_default(),
        None => Profile::default(),
    };
    Ok(live.engine.session_with(&profile))
}

/// Creates a conversation, stored before it is returned.
pub async fn create(app: &App, user_id: Option<String>) -> ApiResult<NewSession> {
    let live = app.live()?;
    let session = fresh_session(app, &live, user_id.as_deref()).await?;
    let record = NewSession {
        id: uuid::Uuid::new_v4().simple().to_string(),
        user_id: user_id.clone(),
        created_at_ms: now_ms(),
    };
    app.store.create_session(&record).await?;
    app.conversations.insert(Conversation {
        id: record.id.clone(),
        user_id,
        session,
        turns: 0,
        version: live.version,
    });
    Ok(record)
}

/// Replays one stored turn.
fn replay(session: &mut Session, live: &Live, turn: &Turn) {
    let feedback = &turn.reply["feedback"];
    if let (Some(item_id), Some(liked)) =
        (feedback["item_id"].as_str(), feedback["liked"].as_bool())
    {
        if let Some(item) = live.engine.catalog().item_index(item_id) {
            session.feedback(item, liked, &turn.user_text);
            return;
        }
    }
    session.turn(&turn.user_text);
}

/// Rebuilds a conversation from the store.
async fn load(app: &App, id: &str) -> ApiResult<Conversation> {
    let Some(stored) = app.store.get_session(id).await? else {
        return Err(ApiError::not_found(format!("no conversation `{id}`")));
    };
    let live = app.live()?;
    let mut session = fresh_session(app, &live, stored.user_id.as_deref()).await?;
    for turn in &stored.turns {
        replay(&mut session, &live, turn);
    }
    Ok(Conversation {
        id: stored.id,
        user_id: stored.user_id,
        session,
        turns: stored.turns.len() as u32,
        version: live.version,
    })
}

/// The conversation in memory, loaded (or reloaded on a newer model) when needed.
async fn open(app: &App, id: &str) -> ApiResult<Shared> {
    let live = app.live()?;
    if let Some(shared) = app.conversations.get(id) {
        if shared.lock().await.version == live.version {
            return Ok(shared);
        }
    }
    let conversation = load(app, id).await?;
    Ok(app.conversations.insert(conversation))
}

/// Answers one turn and stores it; the reply is returned only once it is stored. A turn
/// another server stored first makes this one reload the conversation and answer again.
pub async fn take_turn(app: &App, id: &str, input: &TurnInput) -> ApiResult<Value> {
    let mut last_error = None;
    for _attempt in 0..2 {
        let shared = open(app, id).await?;
        let mut conversation = shared.lock().await;
        let started = Instant::now();
        let (user_text, reply) = if conversation.session.engine().assistant().is_some() {
            // A language model may take seconds: keep the runtime's other tasks moving.
            tokio::task::block_in_place(|| answer(&mut conversation, input))?
        } else {
            answer(&mut conversation, input)?
        };
        app.metrics
            .turn_seconds
            .observe(started.elapsed().as_secs_f64());
        let mut json = serde_json::to_value(&reply)
            .map_err(|e| ApiError::internal(format!("cannot encode the reply: {e}")))?;
        json["session_id"] = json!(id);
        if let TurnInput::Feedback { item_id, liked } = input {
            json["feedback"] = json!({"item_id": item_id, "liked": liked});
        }
        let turn = NewTurn {
            turn_number: conversation.turns + 1,
            user_text,
            reply: json.clone(),
            created_at_ms: now_ms(),
        };
        match app.store.append_turn(id, &turn).await {
            Ok(()) => {
                conversation.turns = turn.turn_number;
                if let TurnInput::Feedback { item_id, liked } = input {
                    record_opinion(app, conversation.user_id.as_deref(), item_id, *liked).await?;
                }
                return Ok(json);
            }
            Err(error @ StoreError::TurnOutOfOrder { .. }) => {
                drop(conversation);
                app.conversations.remove(id);
                last_error = Some(error);
            }
            Err(error) => {
                drop(conversation);
                app.conversations.remove(id);
                return Err(error.into());
            }
        }
    }
    Err(last_error.map_or_else(
        || ApiError::internal("the turn could not be stored"),
        ApiError::from,
    ))
}

fn answer(conversation: &mut Conversation, input: &TurnInput) -> ApiResult<(String, TurnReply)> {
    match input {
        TurnInput::Text(text) => Ok((text.clone(), conversation.session.turn(text))),
        TurnInput::Feedback { item_id, liked } => {
            let engine = conversation.session.engine().clone();
            let item = engine
                .catalog()
                .item_index(item_id)
                .ok_or_else(|| ApiError::not_found(format!("no item `{item_id}`")))?;
            let title = engine.catalog().item(item).display_title();
            let text = if *liked {
                format!("I liked {title}")
            } else {
                format!("Not for me: {title}")
            };
            let reply = conversation
                .session
                .feedback(item, *liked, &text)
                .ok_or_else(|| ApiError::not_found(format!("no item `{item_id}`")))?;
            Ok((text, reply))
        }
    }
}

/// A thumbs up or down in a known user's conversation is also their feedback: it shapes
/// their recommendations everywhere, not just in this conversation.
async fn record_opinion(
    app: &App,
    user_id: Option<&str>,
    item_id: &str,
    liked: bool,
) -> ApiResult<()> {
    let Some(user_id) = user_id else {
        return Ok(());
    };
    if app.store.get_user(user_id).await?.is_none() || app.store.get_item(item_id).await?.is_none()
    {
        return Ok(());
    }
    let kind = if liked {
        FeedbackKind::Like
    } else {
        FeedbackKind::Dislike
    };
    app.store
        .insert_feedback_event(&NewFeedback {
            user_id: user_id.to_owned(),
            item_id: item_id.to_owned(),
            kind,
            value: 1.0,
            timestamp_ms: now_ms(),
        })
        .await?;
    app.metrics.feedback_ingested.inc();
    Ok(())
}

/// Answers a whole exchange at once, without storing anything: the user messages are
/// replayed in a fresh session and the last one's reply returned (the OpenAI-compatible
/// endpoint, whose clients send the full history every time).
pub async fn answer_exchange(
    app: &App,
    user_id: Option<&str>,
    messages: &[String],
) -> ApiResult<TurnReply> {
    let live = app.live()?;
    let mut session = fresh_session(app, &live, user_id).await?;
    let Some((last, earlier)) = messages.split_last() else {
        return Err(ApiError::bad_request(
            "messages must contain at least one message with role `user`",
        ));
    };
    for text in earlier {
        session.turn(text);
    }
    let started = Instant::now();
    let reply = session.turn(last);
    app.metrics
        .turn_seconds
        .observe(started.elapsed().as_secs_f64());
    Ok(reply)
}
