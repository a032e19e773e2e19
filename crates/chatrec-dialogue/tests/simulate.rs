//! The simulated user of `chatrec eval-dialogue`: what it says (never the target's title,
//! clues revealed in order, reasons for rejecting, answers to questions), determinism for a
//! seed, and the report's JSON shape on real conversations.

mod common;

use std::sync::Arc;

use chatrec_core::Dataset;
use chatrec_dialogue::simulate::speech::{mentions_title, spoken_title, tokens};
use chatrec_dialogue::simulate::{
    converse, plan_cases, Behaviour, Case, DialogueReport, Group, SimOptions, SimWorld,
    SimulatedUser,
};
use chatrec_dialogue::{Engine, EngineOptions, ShownItem, TurnReply};
use chatrec_models::eval::{split, SplitSpec};
use chatrec_models::{registry, NoProgress, TrainSet};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// An engine over the training part of an 80/20 split of the test films, and the world of
/// simulated users with the held-out part.
fn world() -> SimWorld {
    let dataset = common::dataset();
    let parts = split(&dataset, &SplitSpec::UserRatio { train_ratio: 0.8 }, 42)
        .expect("the test data splits");
    let graph = Arc::new(common::graph(&dataset.catalog));
    let train_data = Dataset {
        catalog: dataset.catalog.clone(),
        interactions: parts.train.clone(),
        has_ratings: dataset.has_ratings,
        has_timestamps: dataset.has_timestamps,
    };
    let train = TrainSet::from_interactions(&train_data, &parts.train);
    let mut model = registry::build("ease", &[], 42).expect("ease is registered");
    model.fit(&train, &NoProgress).expect("ease fits");
    let engine = Engine::new(train_data, Arc::from(model), EngineOptions::default())
        .expect("model and data agree")
        .with_graph(graph)
        .expect("graph covers the catalog");
    SimWorld::new(Arc::new(engine), &parts.test).expect("test part is inside the data")
}

fn shown(world: &SimWorld, items: &[u32]) -> Vec<ShownItem> {
    let catalog = world.engine().catalog();
    items
        .iter()
        .map(|&i| ShownItem {
            item: i,
            item_id: catalog.item(i).id.clone(),
            title: catalog.item(i).display_title(),
            score: 1.0,
            evidence: Vec::new(),
        })
        .collect()
}

fn reply(items: Vec<ShownItem>, text: &str, question: bool) -> TurnReply {
    TurnReply {
        turn: 1,
        user: String::new(),
        reply: text.to_owned(),
        acts: Vec::new(),
        items,
        question,
    }
}

/// Plays `turns` turns against scripted replies that cover every branch of the user:
/// lists (with films it has seen, films of other decades and categories), questions
/// that repeat its last sentence (as "which one do you mean?" does), and empty replies.
fn scripted(world: &SimWorld, case: &Case, group: Group, seed: u64, turns: usize) -> Vec<String> {
    let n = world.engine().catalog().n_items() as u32;
    let mut user = SimulatedUser::new(world, case, group, seed, &[]);
    let mut said = Vec::new();
    let mut last: Option<TurnReply> = None;
    for t in 0..turns {
        let sentence = user.speak(last.as_ref());
        let step = (t as u32 * 7 + seed as u32) % n;
        let items: Vec<u32> = (0..3)
            .map(|k| (step + k * 11) % n)
            .filter(|&i| i != case.target)
            .collect();
        last = Some(match t % 4 {
            0 | 3 => reply(shown(world, &items), "Here are some films.", false),
            1 => reply(
                Vec::new(),
                &format!("Which one do you mean: {sentence}?"),
                true,
            ),
            _ => reply(Vec::new(), "Sorry, I did not get that.", false),
        });
        said.push(sentence);
    }
    said
}

/// Whether the sentence holds the title's words in a row, compared letters-only (a second,
/// independent check of the user's own guard).
fn contains_title_words(sentence: &str, title: &str) -> bool {
    let said = format!(" {} ", tokens(sentence).join(" "));
    let spoken = tokens(&spoken_title(title)).join(" ");
    let bare = spoken
        .strip_prefix("the ")
        .or_else(|| spoken.strip_prefix("a "))
        .or_else(|| spoken.strip_prefix("an "))
        .unwrap_or(&spoken)
        .to_owned();
    said.contains(&format!(" {spoken} ")) || said.contains(&format!(" {bare} "))
}

#[test]
fn sentences_never_contain_the_target_title() {
    let world = world();
    let catalog = world.engine().catalog();
    let mut checked = 0;
    for user in 0..catalog.n_users() as u32 {
        for target in 0..catalog.n_items() as u32 {
            let mut rng = ChaCha8Rng::seed_from_u64(u64::from(user * 1000 + target));
            let Some(case) = Case::with_target(&world, user, target, &mut rng, true) else {
                continue;
            };
            let title = &catalog.item(target).title;
            for group in [Group::Known, Group::Cold] {
                for sentence in scripted(&world, &case, group, 3, 8) {
                    assert!(!sentence.trim().is_empty());
                    assert!(
                        !mentions_title(&sentence, title)
                            && !contains_title_words(&sentence, title),
                        "user {user} wanting {title:?} said {sentence:?}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} sentences checked");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn no_seed_makes_the_user_say_the_title(seed in any::<u64>(), user in 0u32..90, target in 0u32..40) {
        let world = world();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        if let Some(case) = Case::with_target(&world, user, target, &mut rng, true) {
            let title = world.engine().catalog().item(target).title.clone();
            for group in [Group::Known, Group::Cold] {
                for sentence in scripted(&world, &case, group, seed, 10) {
                    prop_assert!(!mentions_title(&sentence, &title), "{}", sentence);
                    prop_assert!(!contains_title_words(&sentence, &title), "{}", sentence);
                }
            }
        }
    }
}

#[test]
fn same_seed_same_cases_and_conversations() {
    let world = world();
    let options = SimOptions::new(5, 11);
    let a = plan_cases(&world, 12, &SimOptions::new(5, 11)).expect("users to simulate");
    let b = plan_cases(&world, 12, &SimOptions::new(5, 11)).expect("users to simulate");
    assert_eq!(a, b);
    assert_eq!(a.len(), 12);
    for case in &a {
        for group in [Group::Known, Group::Cold] {
            let x = converse(&world, case, group, &options).expect("plays");
            let y = converse(&world, case, group, &options).expect("plays");
            assert_eq!(x, y);
        }
    }
    // Another seed picks other users or targets, and words things differently.
    let c = plan_cases(&world, 12, &SimOptions::new(5, 12)).expect("users to simulate");
    assert_ne!(a, c);
    let first = |seed| -> Vec<String> {
        a.iter()
            .map(|case| scripted(&world, case, Group::Known, seed, 1).remove(0))
            .collect()
    };
    assert_ne!(first(1), first(2));
}

#[test]
fn cases_follow_the_data() {
    let world = world();
    let engine = world.engine();
    let mut random_liked = SimOptions::new(5, 5);
    random_liked.without = vec![Behaviour::Related];
    let most = plan_cases(&world, 50, &SimOptions::new(5, 5)).expect("users");
    let random = plan_cases(&world, 50, &random_liked).expect("users");
    // The same users and targets; only the liked films named differ.
    assert_eq!(
        most.iter().map(|c| (c.user, c.target)).collect::<Vec<_>>(),
        random
            .iter()
            .map(|c| (c.user, c.target))
            .collect::<Vec<_>>()
    );
    assert_ne!(most, random);
    for case in most.into_iter().chain(random) {
        let user = case.user as usize;
        assert!(
            !engine
                .interactions()
                .row_indices(user)
                .contains(&case.target),
            "the target is held out, not in training"
        );
        assert!((1..=3).contains(&case.reveal) && case.reveal <= case.related.len());
        for &liked in &case.related {
            let value = engine.interactions().get(user, liked);
            assert!(value >= 4.0, "revealed films are liked training films");
        }
        let target = engine.catalog().item(case.target);
        for c in &case.categories {
            assert!(target.categories.contains(c));
        }
    }
}

#[test]
fn cold_users_name_their_liked_films_early() {
    let world = world();
    let catalog = world.engine().catalog();
    for case in plan_cases(&world, 30, &SimOptions::new(5, 9)).expect("users") {
        let mut user = SimulatedUser::new(&world, &case, Group::Cold, 9, &[]);
        let empty = reply(Vec::new(), "Tell me more.", false);
        let first = user.speak(None);
        let second = user.speak(Some(&empty));
        let both = format!("{first} {second}");
        for &liked in case.related.iter().take(case.reveal) {
            let title = spoken_title(&catalog.item(liked).title);
            assert!(both.contains(&title), "{title:?} not in {both:?}");
        }
    }
}

#[test]
fn wrong_lists_get_a_reason_and_questions_an_answer() {
    let world = world();
    let catalog = world.engine().catalog();
    let mut decade_reasons = 0;
    let mut answers = 0;
    for case in plan_cases(&world, 60, &SimOptions::new(5, 21)).expect("users") {
        let Some(decade) = case.decade else { continue };
        let mut user = SimulatedUser::new(&world, &case, Group::Known, 21, &[]);
        user.speak(None);
        if user.said().decade.is_some() {
            continue;
        }
        // A list of films from other decades that the user has not rated.
        let mut rated: Vec<u32> = world
            .engine()
            .interactions()
            .row_indices(case.user as usize)
            .to_vec();
        rated.extend_from_slice(world.held_out(case.user));
        let others: Vec<u32> = (0..catalog.n_items() as u32)
            .filter(|&i| i != case.target && !rated.contains(&i))
            .filter(|&i| catalog.item(i).year.map(|y| y / 10 * 10) != Some(decade))
            .take(3)
            .collect();
        let answer = user.speak(Some(&reply(shown(&world, &others), "Here you go.", false)));
        let short = format!("{}s", decade % 100);
        if answer.contains(&short)
            || answer.contains(&format!("{decade}s"))
            || answer.contains("ties")
        {
            decade_reasons += 1;
        }
        assert_eq!(user.said().decade, Some(decade), "{answer:?}");
        // Name a liked film, then be asked which one it was.
        let mut cold = SimulatedUser::new(&world, &case, Group::Cold, 21, &[]);
        cold.speak(None);
        let named = cold.speak(Some(&reply(Vec::new(), "What do you like?", true)));
        let liked = case.related[0];
        let title = spoken_title(&catalog.item(liked).title);
        if named.contains(&title) {
            let year = catalog.item(liked).year.expect("test films have years");
            let question =
                format!("Which {title} do you mean: {title} ({year}) or {title} (2001)?");
            let pick = cold.speak(Some(&reply(Vec::new(), &question, true)));
            assert!(pick.contains(&format!("{title} ({year})")), "{pick:?}");
            answers += 1;
        }
    }
    assert!(decade_reasons > 0, "no list was rejected for its decade");
    assert!(answers > 0, "no question was answered");
}

#[test]
fn report_json_has_the_contract_shape() {
    let world = world();
    let options = SimOptions::new(5, 3);
    let cases = plan_cases(&world, 6, &SimOptions::new(5, 3)).expect("users");
    let mut conversations = Vec::new();
    for case in &cases {
        for group in [Group::Known, Group::Cold] {
            let c = converse(&world, case, group, &options).expect("plays");
            assert!(!c.turns.is_empty() && c.turns.len() <= 5);
            assert_eq!(c.success_turn.is_some(), c.turns.iter().any(|t| t.hit));
            conversations.push(c);
        }
    }
    let report = DialogueReport::from_conversations(&conversations, 5);
    let value = serde_json::to_value(&report).expect("serialisable");
    let keys: Vec<&String> = value.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 2);
    for group in ["known", "cold"] {
        let r = &value[group];
        assert_eq!(r["users"], 6);
        for t in 1..=5 {
            let x = r["success_at"][t.to_string()].as_f64().expect("a share");
            assert!((0.0..=1.0).contains(&x));
        }
        assert!(r["baseline_top5"].as_f64().is_some());
        assert!(r.get("avg_turns").is_some());
    }
}

#[test]
fn misunderstandings_are_corrected_and_acknowledgements_are_not_questions() {
    let world = world();
    let catalog = world.engine().catalog();
    let mut corrected = 0;
    for case in plan_cases(&world, 40, &SimOptions::new(5, 4)).expect("users") {
        let target = catalog.item(case.target);
        let Some(spurious) = ["Western", "Documentary", "Horror", "Musical"]
            .into_iter()
            .find(|c| !target.categories.iter().any(|t| t == c))
        else {
            continue;
        };
        let mut user = SimulatedUser::new(&world, &case, Group::Cold, 4, &[]);
        user.speak(None);
        let text = format!("Try these ({spurious}):\n1. Some film (1990)");
        let answer = user.speak(Some(&reply(Vec::new(), &text, false)));
        assert!(
            answer.to_lowercase().contains(&spurious.to_lowercase())
                && (answer.contains("never asked") || answer.contains("didn't ask")),
            "{answer:?}"
        );
        corrected += 1;
        // Naming a liked film, then a question that only acknowledges it: no "I mean ...".
        let named = user.speak(Some(&reply(Vec::new(), "What do you like?", true)));
        if let Some(&liked) = case.related.first() {
            let title = catalog.item(liked).display_title();
            if named.contains(&spoken_title(&catalog.item(liked).title)) {
                let text = format!(
                    "Noted: you loved {title}. Nothing fits all of: Drama. Which of these should I drop?"
                );
                let answer = user.speak(Some(&reply(Vec::new(), &text, true)));
                let year = catalog.item(liked).year.expect("test films have years");
                assert!(!answer.contains(&format!("({year})")), "{answer:?}");
            }
        }
    }
    assert!(corrected > 10);
}
