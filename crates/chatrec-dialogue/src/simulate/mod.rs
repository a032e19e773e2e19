//! A simulated user for evaluating whole conversations (see `chatrec eval-dialogue`).
//!
//! Each simulated user is a user of the data with a hidden **target**: a film it liked in
//! the held-out part of a split. It talks to the engine only through
//! [`Session::turn`](crate::Session::turn), reading the [`TurnReply`](crate::TurnReply)'s
//! text, items and question flag; it never calls the parser. It knows the target (its
//! categories, decade, knowledge-graph relations to films it can name, the liked films most
//! related to it) and reveals that progressively, one clue per turn, in plain sentences that
//! never contain the target's title; it rejects wrong lists with a reason ("seen it", "not
//! those, I want something from the 70s") and answers the engine's questions.
//!
//! The same case is played twice: as a **known** user (the session starts from its
//! training history) and as a **cold** user (a new session; the user names 1 to 3 liked
//! films). Success within t turns means the target was among the items shown at some turn
//! up to t. The baseline is the plain recommender's top-5 with no dialogue.
//!
//! - [`world`]: what the users may read (engine, held-out data, famous films);
//! - [`user`]: the cases and the simulated user;
//! - [`speech`]: the sentences;
//! - [`evaluate`]: playing conversations and the baseline;
//! - [`report`]: success@t, averages, JSON, text table, SVG chart, transcripts.

pub mod evaluate;
pub mod report;
pub mod speech;
pub mod user;
pub mod world;

use thiserror::Error;

use crate::engine::DialogueError;

pub use evaluate::{
    baseline_hit, converse, plan_cases, Conversation, SimOptions, TurnLog, BASELINE_K,
};
pub use report::{transcript, DialogueReport, GroupReport, SuccessAt};
pub use user::{Behaviour, Case, Group, SimulatedUser};
pub use world::SimWorld;

/// What can go wrong when setting up or playing simulated conversations.
#[derive(Debug, Error)]
pub enum SimulateError {
    #[error("a conversation needs at least one turn")]
    MaxTurns,
    #[error("asked for no simulated users; ask for at least one")]
    NoUsersAsked,
    #[error(
        "no user has both a liked film in the test part and a liked film in the training part; \
         nothing to simulate"
    )]
    NoEligibleUsers,
    #[error("a held-out interaction (user index {user}, item index {item}) is outside the engine's data")]
    OutOfRange { user: u32, item: u32 },
    #[error(transparent)]
    Dialogue(#[from] DialogueError),
}
