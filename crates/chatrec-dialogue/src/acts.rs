//! What a user turn means, as typed acts: the contract between understanding (built-in
//! parser today, an LLM later) and the rest of the turn. Acts name catalog items by index
//! and carry everything the session needs, so nothing downstream looks at the raw text
//! again.

use serde::Serialize;

/// A catalog item named in a turn, with the words that named it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemMention {
    /// Dense catalog index.
    #[serde(skip)]
    pub item: u32,
    pub item_id: String,
    /// Display form "Title (Year)".
    pub title: String,
    /// The words of the turn that named it ("the second one", "star wars").
    pub mention: String,
}

/// A knowledge-graph relation to an anchor that the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    SameDirector,
    SameWriter,
    SharedCast,
    SameProducer,
    /// The wanted film is a sequel of the anchor.
    SequelOf,
    /// The wanted film is a prequel of the anchor.
    PrequelOf,
}

impl Relation {
    /// The relation a phrase such as "the same director as" or "the sequel to" names.
    pub fn from_phrase(phrase: &str) -> Option<Self> {
        let has = |w: &str| phrase.contains(w);
        if has("prequel") || has("before") {
            Some(Relation::PrequelOf)
        } else if has("sequel") || has("follow") || has("after") {
            Some(Relation::SequelOf)
        } else if has("direct") {
            Some(Relation::SameDirector)
        } else if has("writ") || has("wrote") {
            Some(Relation::SameWriter)
        } else if has("actor") || has("actress") || has("cast") || has("star") {
            Some(Relation::SharedCast)
        } else if has("producer") {
            Some(Relation::SameProducer)
        } else {
            None
        }
    }
}

/// Whether a constraint asks for something or rules it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    Include,
    Exclude,
}

/// Something about the items wanted, independent of any one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Constraint {
    /// A catalog category in the catalog's own spelling ("Sci-Fi", "Children's").
    Category { category: String },
    /// Release years, both ends inclusive; `None` leaves an end open.
    Years { from: Option<i32>, to: Option<i32> },
    /// "older": before the films discussed so far (the session decides the year).
    Older,
    /// "recent", "newer": after the films discussed so far.
    Newer,
}

/// How a preference should be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strictness {
    /// Every shown item must satisfy it ("sci-fi", "no horror", "from the 80s").
    Hard,
    /// Raises or lowers scores only ("something dark", "maybe funny").
    Soft,
}

/// Which items a follow-up is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// Items resolved from a title or a reference to the shown list.
    Items { items: Vec<ItemMention> },
    /// No item named: the whole last list ("why?", "tell me more").
    LastShown,
}

/// One typed act of a turn. A turn usually holds several ("no horror, something like
/// Alien from the 80s" = exclude Horror + like Alien + years 1980..1989).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "act", rename_all = "snake_case")]
pub enum ActKind {
    /// Asks for recommendations without saying more ("recommend me a movie").
    Request,
    /// A category, period or era wanted or ruled out.
    Constrain {
        constraint: Constraint,
        polarity: Polarity,
        strictness: Strictness,
    },
    /// Free text to match against item texts ("mind-bending", "set in space").
    Query { text: String },
    /// "like X", "similar to X": X is an anchor, not necessarily seen or liked. `via`
    /// names the relation asked for ("by the same director as X", "the sequel to X").
    LikeItem {
        item: ItemMention,
        #[serde(skip_serializing_if = "Option::is_none")]
        via: Option<Relation>,
    },
    /// "not X", "not that one": never show X again; no opinion implied.
    Reject { items: Vec<ItemMention> },
    /// Opinion about items: "I loved X" (+1), "X was 4/5" (+0.5), "meh" (-0.3),
    /// "I hated X" (-1). `rating` keeps a number the user gave, on its own scale.
    Feedback {
        items: Vec<ItemMention>,
        sentiment: f32,
        rating: Option<f32>,
    },
    /// "seen it", "I've watched X": do not show again, no opinion implied.
    Seen { items: Vec<ItemMention> },
    /// Items named with no verb around them ("the first one", "Star Wars 1977"): the
    /// answer to a question such as "which Star Wars?".
    Select { items: Vec<ItemMention> },
    /// "why?", "why X?".
    Why { target: Target },
    /// "tell me more about 2".
    TellMore { target: Target },
    /// "more", "others", "next": the next items for the same request.
    More,
    /// "something else", "something different": move away from what was shown.
    SomethingElse,
    /// "start over", "reset": forget this conversation.
    StartOver,
    /// "what have you learned about me?".
    Profile,
    /// A wish the catalog has no data for ("nothing too long": no running times).
    Unsupported { what: String },
    /// A title that matches several items equally well; the session asks which, then
    /// applies `role` to the answer.
    AmbiguousTitle {
        mention: String,
        options: Vec<ItemMention>,
        role: TitleRole,
    },
    /// A title-like phrase that matches nothing in the catalog.
    UnknownTitle { mention: String },
    /// A reference ("the second one") with nothing it can point at.
    UnresolvedReference { mention: String, role: TitleRole },
    /// "hi", "hello", "thanks".
    Greeting,
    /// Nothing understood.
    Unknown { text: String },
}

/// What the user meant to do with a title that turned out ambiguous ("I hated star trek":
/// an opinion about whichever Star Trek they meant).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TitleRole {
    /// "like X": recommend from it.
    Anchor,
    /// "I loved X" (+1) ... "I hated X" (-1).
    Opinion { sentiment: f32 },
    /// "not X".
    Reject,
    /// "seen X".
    Seen,
    /// "why X?".
    Explain,
    /// "tell me more about X".
    Describe,
    /// X named alone.
    Choose,
}

impl TitleRole {
    /// The role of a title in the act the parser would have built had the title been clear.
    pub fn of(kind: &ActKind) -> Self {
        match kind {
            ActKind::Feedback { sentiment, .. } => TitleRole::Opinion {
                sentiment: *sentiment,
            },
            ActKind::Reject { .. } => TitleRole::Reject,
            ActKind::Seen { .. } => TitleRole::Seen,
            ActKind::Why { .. } => TitleRole::Explain,
            ActKind::TellMore { .. } => TitleRole::Describe,
            ActKind::Select { .. } => TitleRole::Choose,
            _ => TitleRole::Anchor,
        }
    }
}

/// An act with how sure the parser is of it, in 0..=1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Act {
    #[serde(flatten)]
    pub kind: ActKind,
    pub confidence: f32,
}

impl Act {
    pub fn new(kind: ActKind, confidence: f32) -> Self {
        Self { kind, confidence }
    }
}

/// What the parser may look at besides the text: the list last shown (for "the second
/// one") and the item last talked about (for "that one", "it").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParseContext {
    /// Catalog indices of the items last shown, in the order shown (position 1 first).
    pub shown: Vec<u32>,
    /// The item the conversation last focused on (a single shown item, the subject of
    /// "why X?" or "tell me more"), if any.
    pub focus: Option<u32>,
}
