//! What the assistant does with the answers a model may give: good ones are used, titles
//! are mapped back to items, invalid ones get one repair and then the built-in layer, and
//! every outcome is counted. The model here is scripted, so each case is exact.

mod support;

use std::sync::Arc;

use chatrec_dialogue::{Assistant, EngineOptions, TurnReply};
use chatrec_llm::{LlmAssistant, LlmError, TaskSwitches};
use support::scripted::{candidate_ids, Scripted, Task};
use support::world::{self, Conversation};

fn only(understand: bool, rerank: bool, phrase: bool) -> TaskSwitches {
    TaskSwitches {
        understand,
        rerank,
        phrase,
    }
}

fn assisted(model: Scripted, tasks: TaskSwitches) -> (Arc<LlmAssistant>, Conversation) {
    let assistant = Arc::new(LlmAssistant::new(Arc::new(model), tasks, 1));
    let engine =
        Arc::new(world::plain_engine(EngineOptions::default()).with_assistant(assistant.clone()));
    (assistant, Conversation::new(&engine))
}

fn titles(reply: &TurnReply) -> Vec<String> {
    reply.items.iter().map(|s| s.title.clone()).collect()
}

fn builtin_reply(text: &str) -> TurnReply {
    Conversation::new(&world::engine()).say(text).clone()
}

/// A model that reads every turn as `acts`.
fn reader(acts: &'static str) -> Scripted {
    Scripted::new(move |task, _| match task {
        Task::Understand => Ok(acts.into()),
        _ => Err(LlmError::Config("not scripted".into())),
    })
}

const LIKE_THE_MATRIX: &str = r#"{"acts":[{"act":"like","value":"The Matrix"}]}"#;
const LIKE_THE_MATRIX_NO_HORROR: &str =
    r#"{"acts":[{"act":"like","value":"The Matrix"},{"act":"exclude_category","value":"horror"}]}"#;

fn anchor_title(reply: &TurnReply, position: usize) -> serde_json::Value {
    serde_json::to_value(&reply.acts[position]).expect("acts serialise")["item"]["title"].clone()
}

#[test]
fn a_turn_the_parser_cannot_read_takes_the_models_acts_with_titles_mapped_back() {
    assert_eq!(world::acts(&builtin_reply("uhh matrix?")), vec!["unknown"]);
    let (assistant, mut conversation) = assisted(reader(LIKE_THE_MATRIX), only(true, false, false));
    let reply = conversation.say("uhh matrix?").clone();
    assert_eq!(world::acts(&reply), vec!["like_item"]);
    assert_eq!(
        anchor_title(&reply, 0),
        "Matrix, The (1999)",
        "moved article mapped back"
    );
    assert_eq!(assistant.counts().understand.answered, 1);
    assert!(!reply.items.is_empty());
}

#[test]
fn the_model_adds_to_what_the_parser_understood_without_overruling_it() {
    // The parser reads the exclusion but not the anchor.
    assert_eq!(
        world::acts(&builtin_reply("matrix vibes minus horror")),
        vec!["constrain"]
    );
    let (assistant, mut conversation) =
        assisted(reader(LIKE_THE_MATRIX_NO_HORROR), only(true, false, false));
    let reply = conversation.say("matrix vibes minus horror").clone();
    assert_eq!(world::acts(&reply), vec!["constrain", "like_item"]);
    assert_eq!(anchor_title(&reply, 1), "Matrix, The (1999)");
    assert_eq!(assistant.counts().understand.answered, 1);
}

#[test]
fn a_thin_model_reading_cannot_cost_the_user_a_recommendation() {
    let greeter = reader(r#"{"acts":[{"act":"greeting","value":""}]}"#);
    let (assistant, mut conversation) = assisted(greeter, only(true, false, false));
    let text = "something like Star Wars but older";
    let reply = conversation.say(text).clone();
    assert_eq!(assistant.counts().understand.answered, 1);
    assert_eq!(world::acts(&reply), world::acts(&builtin_reply(text)));
    assert_eq!(titles(&reply), titles(&builtin_reply(text)));
}

#[test]
fn reranked_titles_with_moved_articles_become_the_shown_items() {
    let model = Scripted::new(|task, request| match task {
        Task::Rerank => {
            let ids = candidate_ids(request);
            assert_eq!(ids.len(), 20, "the top 20 are offered");
            // The model writes titles, one with its article moved, instead of ids.
            Ok(r#"{"items":[{"id":"The Empire Strikes Back","reason":"a"},{"id":"Return of the Jedi (1983)","reason":"b"},{"id":"Blade Runner","reason":"c"}]}"#.into())
        }
        _ => Err(LlmError::Config("not scripted".into())),
    });
    let (assistant, mut conversation) = assisted(model, only(false, true, false));
    let reply = conversation.say("I loved Star Wars").clone();
    assert_eq!(
        titles(&reply),
        vec![
            "Empire Strikes Back, The (1980)",
            "Return of the Jedi (1983)",
            "Blade Runner (1982)"
        ]
    );
    assert_eq!(assistant.counts().rerank.answered, 1);
}

#[test]
fn an_unknown_id_gets_one_repair_that_names_the_problem() {
    let model = Scripted::new(|task, request| {
        match task {
        Task::Rerank if request.messages.len() == 2 => {
            Ok(r#"{"items":[{"id":"999999","reason":"x"},{"id":"1","reason":"y"},{"id":"2","reason":"z"}]}"#.into())
        }
        Task::Rerank => {
            let repair = &request.messages.last().expect("repair message").content;
            assert!(repair.contains("`999999` is not one of the candidates"), "{repair}");
            let ids = candidate_ids(request);
            Ok(format!(
                r#"{{"items":[{{"id":"{}","reason":"x"}},{{"id":"{}","reason":"y"}},{{"id":"{}","reason":"z"}}]}}"#,
                ids[2], ids[1], ids[0]
            ))
        }
        _ => Err(LlmError::Config("not scripted".into())),
    }
    });
    let (assistant, mut conversation) = assisted(model, only(false, true, false));
    let reply = conversation.say("I loved Star Wars").clone();
    assert_eq!(reply.items.len(), 3);
    let counts = assistant.counts().rerank;
    assert_eq!(
        (counts.answered, counts.repaired, counts.fallbacks),
        (1, 1, 0)
    );
}

#[test]
fn invalid_twice_falls_back_to_the_builtin_choice_and_is_counted() {
    let bad_answers = [
        r#"{"items":[{"id":"999999","reason":"invented"}]}"#,
        r#"{"items":[]}"#,
        "Sure! Here are my picks: Star Wars, Alien.",
        r#"{"items":[{"id":"1","reason":"a"},{"id":"1","reason":"again"},{"id":"2","reason":"b"}]}"#,
    ];
    for bad in bad_answers {
        let model = Scripted::new(move |task, _| match task {
            Task::Rerank => Ok(bad.to_owned()),
            _ => Err(LlmError::Config("not scripted".into())),
        });
        let (assistant, mut conversation) = assisted(model, only(false, true, false));
        let reply = conversation.say("I loved Alien").clone();
        assert_eq!(
            titles(&reply),
            titles(&builtin_reply("I loved Alien")),
            "answer {bad}"
        );
        let counts = assistant.counts().rerank;
        assert_eq!((counts.answered, counts.fallbacks), (0, 1), "answer {bad}");
    }
}

#[test]
fn a_failing_model_never_costs_the_user_a_reply() {
    let model = Scripted::new(|_, _| {
        Err(LlmError::Timeout {
            url: "http://model".into(),
            timeout: std::time::Duration::from_secs(1),
        })
    });
    let (assistant, mut conversation) = assisted(model, TaskSwitches::ALL);
    for text in ["hi", "something like Alien", "why the first one?", "more"] {
        let reply = conversation.say(text).clone();
        assert_eq!(reply.reply, builtin_reply_after(text), "turn `{text}`");
    }
    let counts = assistant.counts();
    assert_eq!(counts.understand.fallbacks, 4);
    assert!(
        counts.rerank.fallbacks >= 2 && counts.phrase.fallbacks >= 2,
        "{counts:?}"
    );
    assert_eq!(
        counts.understand.answered + counts.rerank.answered + counts.phrase.answered,
        0
    );
    assert_eq!(
        assistant.recent_problems().first().map(|p| p.task),
        Some("understand")
    );
}

/// The built-in reply to the same turns, in the same order, played on a fresh session.
fn builtin_reply_after(text: &str) -> String {
    thread_local! {
        static PLAIN: std::cell::RefCell<Option<Conversation>> = const { std::cell::RefCell::new(None) };
    }
    PLAIN.with(|plain| {
        let mut plain = plain.borrow_mut();
        if text == "hi" {
            *plain = Some(Conversation::new(&world::engine()));
        }
        plain
            .as_mut()
            .expect("the script starts with hi")
            .say(text)
            .reply
            .clone()
    })
}

#[test]
fn a_grounded_rewording_is_used() {
    let model = Scripted::new(|task, request| match task {
        Task::Phrase => {
            let prompt = &request.messages[1].content;
            let start = prompt.find("Draft reply:\n<data>").expect("draft") + 19;
            let draft = &prompt[start..prompt[start..].find("</data>").expect("end") + start];
            Ok(format!("Happy to help! {draft}"))
        }
        _ => Err(LlmError::Config("not scripted".into())),
    });
    let (assistant, mut conversation) = assisted(model, only(false, false, true));
    let reply = conversation.say("something like Alien").clone();
    assert!(
        reply.reply.starts_with("Happy to help! "),
        "{}",
        reply.reply
    );
    assert_eq!(assistant.counts().phrase.answered, 1);
}

#[test]
fn a_reply_with_unsupported_claims_or_leaked_instructions_is_replaced() {
    let rewrites = [
        // A director no evidence names.
        "You will love {titles}, directed by Steven Spielberg.",
        // A figure from nowhere.
        "{titles}: all of them won 11 awards.",
        // The instructions repeated back.
        "Rewrite the draft reply in a friendly voice in at most four sentences. {titles}",
        // A recommended title left out.
        "Enjoy!",
        // The prompt's quoting echoed.
        "<data> {titles} </data>",
    ];
    for rewrite in rewrites {
        let model = Scripted::new(move |task, request| match task {
            Task::Phrase => {
                let prompt = &request.messages[1].content;
                let evidence = &prompt[prompt.find("Evidence:").expect("evidence")..];
                let titles: Vec<&str> = evidence
                    .lines()
                    .skip(2)
                    .take_while(|l| !l.starts_with("</data>"))
                    .filter_map(|l| l.split(": ").next())
                    .collect();
                Ok(rewrite.replace("{titles}", &titles.join(", ")))
            }
            _ => Err(LlmError::Config("not scripted".into())),
        });
        let (assistant, mut conversation) = assisted(model, only(false, false, true));
        let reply = conversation.say("something like Alien").clone();
        assert_eq!(
            reply.reply,
            builtin_reply("something like Alien").reply,
            "{rewrite}"
        );
        assert_eq!(assistant.counts().phrase.fallbacks, 1, "{rewrite}");
    }
}

#[test]
fn a_model_cannot_start_over_unless_the_user_asks() {
    let model = Scripted::new(|task, _| match task {
        Task::Understand => Ok(r#"{"acts":[{"act":"start_over","value":""}]}"#.into()),
        _ => Err(LlmError::Config("not scripted".into())),
    });
    let (assistant, mut conversation) = assisted(model, only(true, false, false));
    conversation.say("no horror");
    let before = conversation.session.state().constraints.clone();
    assert!(!before.is_empty());
    conversation.say("what else have you got?");
    assert_eq!(conversation.session.state().constraints, before);
    assert_eq!(
        assistant.counts().understand.fallbacks,
        2,
        "both turns fell back"
    );
    conversation.say("start over");
    assert!(
        conversation.session.state().constraints.is_empty(),
        "the user may"
    );
    assert_eq!(assistant.counts().understand.answered, 1);
}

#[test]
fn tasks_left_off_are_never_sent() {
    let model = Scripted::new(|task, _| panic!("{task:?} was sent"));
    let (assistant, mut conversation) = assisted(model, only(false, false, false));
    conversation.say("something like Alien");
    assert_eq!(assistant.counts(), Default::default());
}

#[test]
fn an_explanation_that_never_names_its_item_is_replaced() {
    let narrator = Scripted::new(|task, _| match task {
        Task::Phrase => Ok("The user requested a response in a friendly tone.".into()),
        _ => Err(LlmError::Config("not scripted".into())),
    });
    let (assistant, mut conversation) = assisted(narrator, only(false, false, true));
    let first = titles(&conversation.say("something like Alien").clone())[0].clone();
    let why = conversation.say("why the first one?").clone();
    assert!(why.reply.contains(&first), "{}", why.reply);
    let counts = assistant.counts().phrase;
    assert_eq!((counts.answered, counts.fallbacks), (0, 2));
}
