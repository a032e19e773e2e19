//! What the simulated user says: plain English sentences built from clues about the film it
//! wants (a category, a decade, a knowledge-graph relation to a film it knows, films it
//! liked), reactions to a wrong list, and answers to the engine's questions.
//!
//! Phrasing varies with the random generator passed in (so with the seed), never with the
//! parser: these are the words a person would type, not the words the parser is known to
//! read. Titles are spoken the way people type them ("The Shawshank Redemption", not
//! "Shawshank Redemption, The (1994)"); the target's own title is never spoken, and
//! [`mentions_title`] lets the user check a sentence before sending it.

use rand::seq::SliceRandom;
use rand::Rng;

/// How the target relates to a film the user names ("by the same director as Fargo").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The target is the sequel of the named film.
    SequelOf,
    /// The target is the prequel of the named film.
    PrequelOf,
    Director,
    Writer,
    /// The two share `count` cast members.
    Cast {
        count: usize,
    },
    Producer,
}

/// Articles that catalogs move behind the title ("Godfather, The").
const MOVED_ARTICLES: &[&str] = &[
    "the", "a", "an", "l'", "la", "le", "les", "il", "das", "die", "der", "el", "los", "las",
];

/// Words that carry no meaning of a title on their own.
const FUNCTION_WORDS: &[&str] = &[
    "the", "a", "an", "of", "and", "in", "on", "to", "for", "with", "at", "from", "by", "is", "it",
    "its", "my", "me", "i", "you", "your", "or", "as", "be", "s", "t", "l", "la", "le", "les",
    "de", "des", "du", "il", "el", "der", "die", "das", "aka",
];

/// The title as a person types it: the main title (alternative titles in trailing
/// parentheses dropped) with a moved article put back in front.
pub fn spoken_title(title: &str) -> String {
    let mut main = title.trim();
    // "City of Lost Children, The (Cité des enfants perdus, La)", "Shall We Dance? (1996)".
    while main.ends_with(')') {
        match main.rfind('(') {
            Some(open) if open > 0 => main = main[..open].trim_end(),
            _ => break,
        }
    }
    if let Some((head, tail)) = main.rsplit_once(", ") {
        let article = tail.trim();
        if MOVED_ARTICLES.contains(&article.to_lowercase().as_str()) {
            let joiner = if article.ends_with('\'') { "" } else { " " };
            return format!("{article}{joiner}{head}");
        }
    }
    main.to_owned()
}

/// Lowercase word tokens of a text: letters and digits, everything else separates.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words that make a title recognisable: no function words, no bare numbers (a
/// shared "2" does not give a title away).
pub fn content_words(title: &str) -> Vec<String> {
    let mut words: Vec<String> = title_forms(title)
        .into_iter()
        .flatten()
        .filter(|w| !FUNCTION_WORDS.contains(&w.as_str()))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| !is_roman_numeral(w))
        .collect();
    words.sort();
    words.dedup();
    words
}

fn is_roman_numeral(word: &str) -> bool {
    !word.is_empty() && word.len() <= 4 && word.chars().all(|c| matches!(c, 'i' | 'v' | 'x'))
}

/// Whether two titles share a word that identifies them (so naming one hints at the other:
/// "Die Hard" for "Die Hard 2").
pub fn shares_title_word(a: &str, b: &str) -> bool {
    let words_b = content_words(b);
    content_words(a).iter().any(|w| words_b.contains(w))
}

/// Whether `sentence` contains the title (its main title with or without the article, or
/// an alternative title in parentheses) as consecutive words.
pub fn mentions_title(sentence: &str, title: &str) -> bool {
    let said = tokens(sentence);
    title_forms(title)
        .iter()
        .any(|form| contains_run(&said, form))
}

/// Token sequences a title may be spoken as: the main title and each alternative title in
/// parentheses, each with and without its article.
fn title_forms(title: &str) -> Vec<Vec<String>> {
    let mut forms = Vec::new();
    let mut push = |spoken: Vec<String>| {
        if spoken.len() > 1 && MOVED_ARTICLES.contains(&spoken[0].as_str()) {
            forms.push(spoken[1..].to_vec());
        }
        forms.push(spoken);
    };
    push(tokens(&spoken_title(title)));
    // Alternative titles: "(Cité des enfants perdus, La)", "(a.k.a. Foo)".
    let mut rest = title;
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        let words = tokens(&spoken_title(inner));
        let is_year = words.len() == 1 && words[0].chars().all(|c| c.is_ascii_digit());
        if !words.is_empty() && !is_year {
            push(words);
        }
        rest = &rest[open + close + 1..];
    }
    forms.retain(|f| !f.is_empty());
    forms
}

fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty()
        && haystack.len() >= needle.len()
        && haystack.windows(needle.len()).any(|w| w == needle)
}

fn pick<'a, R: Rng>(rng: &mut R, options: &[&'a str]) -> &'a str {
    options.choose(rng).copied().unwrap_or("")
}

fn article_for(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// Whether a person would ask for this category at all ("unknown" is no category).
pub fn speakable(category: &str) -> bool {
    !matches!(
        category.trim().to_lowercase().as_str(),
        "" | "unknown" | "(no genres listed)" | "other"
    )
}

/// A noun phrase asking for a category ("a comedy", "something scary"), or `None` for a
/// category nobody would ask for ("unknown").
pub fn category_phrase<R: Rng>(category: &str, rng: &mut R) -> Option<String> {
    let key = category.trim().to_lowercase();
    if !speakable(&key) {
        return None;
    }
    let options: &[&str] = match key.as_str() {
        "action" => &[
            "an action movie",
            "an action film",
            "something with lots of action",
        ],
        "adventure" => &[
            "an adventure movie",
            "an adventure film",
            "a good adventure",
        ],
        "animation" => &["an animated movie", "an animated film", "a cartoon"],
        "children's" | "children" => &["a children's movie", "a family film", "something for kids"],
        "comedy" => &["a comedy", "something funny", "a funny movie"],
        "crime" => &["a crime movie", "a crime film", "a crime story"],
        "documentary" => &["a documentary", "a good documentary"],
        "drama" => &["a drama", "a good drama", "a dramatic film"],
        "fantasy" => &["a fantasy movie", "a fantasy film", "something magical"],
        "film-noir" | "film noir" => &["a film noir", "a noir film"],
        "horror" => &["a horror movie", "a horror film", "something scary"],
        "musical" => &["a musical", "a movie musical"],
        "mystery" => &["a mystery", "a mystery film", "a whodunit"],
        "romance" => &["a romance", "a romantic movie", "a love story"],
        "sci-fi" | "science fiction" => {
            &["a sci-fi movie", "a science fiction film", "some sci-fi"]
        }
        "thriller" => &["a thriller", "a suspenseful film", "a good thriller"],
        "war" => &["a war movie", "a war film"],
        "western" => &["a western", "a cowboy movie"],
        _ => {
            let word = category.trim();
            let article = article_for(word);
            return Some(if rng.gen_bool(0.5) {
                format!("{article} {word} movie")
            } else {
                format!("something in {word}")
            });
        }
    };
    Some(pick(rng, options).to_owned())
}

/// The decade a year falls in (1994 -> 1990).
pub fn decade_of(year: i32) -> i32 {
    year.div_euclid(10) * 10
}

/// "from the 90s", "from the nineties", "from the 1990s".
pub fn decade_phrase<R: Rng>(decade: i32, rng: &mut R) -> String {
    let word = match decade {
        1920 => Some("twenties"),
        1930 => Some("thirties"),
        1940 => Some("forties"),
        1950 => Some("fifties"),
        1960 => Some("sixties"),
        1970 => Some("seventies"),
        1980 => Some("eighties"),
        1990 => Some("nineties"),
        _ => None,
    };
    let short = (1920..2000)
        .contains(&decade)
        .then(|| format!("{}s", decade % 100));
    let mut forms = vec![format!("from the {decade}s")];
    if let Some(word) = word {
        forms.push(format!("from the {word}"));
    }
    if let Some(short) = short {
        forms.push(format!("from the {short}"));
        forms.push(format!("from the {short}"));
    }
    forms.choose(rng).cloned().unwrap_or_default()
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A first request: "I'm looking for a comedy from the 90s."
pub fn request<R: Rng>(category: Option<&str>, decade: Option<&str>, rng: &mut R) -> String {
    let what = match (category, decade) {
        (Some(c), Some(d)) => format!("{c} {d}"),
        (Some(c), None) => c.to_owned(),
        (None, Some(d)) => format!("a movie {d}"),
        (None, None) => "a good movie".to_owned(),
    };
    let template = pick(
        rng,
        &[
            "I'm looking for {}.",
            "Can you recommend {}?",
            "I'd like to watch {}.",
            "Any suggestions for {}?",
            "I'm in the mood for {}.",
            "Recommend me {}, please.",
        ],
    );
    template.replace("{}", &what)
}

/// Adds a category: "It should be a comedy."
pub fn add_category<R: Rng>(category: &str, rng: &mut R) -> String {
    let template = pick(
        rng,
        &[
            "It should be {}.",
            "Ideally {}.",
            "I'd like {}.",
            "Make it {}.",
            "I'm thinking of {}.",
        ],
    );
    template.replace("{}", category)
}

/// Adds a decade: "Something from the 70s, please."
pub fn add_decade<R: Rng>(decade: &str, rng: &mut R) -> String {
    let template = pick(
        rng,
        &[
            "Something {}, please.",
            "Preferably {}.",
            "It should be {}.",
            "I'd like one {}.",
            "Make it something {}.",
        ],
    );
    template.replace("{}", decade)
}

/// A relation to a film the user knows: "Something by the same director as Fargo."
pub fn relation<R: Rng>(relation: Relation, title: &str, rng: &mut R) -> String {
    let options: &[&str] = match relation {
        Relation::SequelOf => &[
            "I want the sequel to {}.",
            "What's the sequel of {}?",
            "Something that follows {}, its sequel.",
        ],
        Relation::PrequelOf => &[
            "I want the film that {} is a sequel to.",
            "The one before {}, its prequel.",
        ],
        Relation::Director => &[
            "Something by the same director as {}.",
            "I'd like a film from the director of {}.",
            "Maybe another film by whoever directed {}.",
        ],
        Relation::Writer => &[
            "Something by the same writer as {}.",
            "A film written by the writer of {}.",
        ],
        Relation::Cast { count: 1 } => &[
            "Something with an actor from {}.",
            "One with someone from the cast of {}.",
        ],
        Relation::Cast { .. } => &[
            "Something with some of the cast of {}.",
            "Maybe with the same actors as {}.",
            "One with a few of the actors from {}.",
        ],
        Relation::Producer => &[
            "Something from the same producer as {}.",
            "Produced by the people who made {}.",
        ],
    };
    pick(rng, options).replace("{}", title)
}

/// Joins titles as a person lists them: "A", "A and B", "A, B and C".
pub fn join_titles(titles: &[String]) -> String {
    match titles {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Films the user liked: "I loved Heat and Alien."
pub fn liked<R: Rng>(titles: &[String], rng: &mut R) -> String {
    let list = join_titles(titles);
    let template = if titles.len() == 1 {
        pick(
            rng,
            &[
                "I loved {}.",
                "I really enjoyed {}.",
                "{} is one of my favourite films.",
                "I liked {} a lot.",
            ],
        )
    } else {
        pick(
            rng,
            &[
                "I loved {}.",
                "I really enjoyed {}.",
                "I liked {} a lot.",
                "My favourites are {}.",
            ],
        )
    };
    capitalise(&template.replace("{}", &list))
}

/// The list shows films the user has seen: "I've already seen Heat."
pub fn seen<R: Rng>(titles: &[String], rng: &mut R) -> String {
    let list = join_titles(titles);
    let template = pick(
        rng,
        &[
            "I've already seen {}.",
            "Seen {} already.",
            "I've watched {} before.",
        ],
    );
    template.replace("{}", &list)
}

/// Rejects the list for its period: "Not those, I want something from the 70s." With
/// `again`, the user had already said so.
pub fn wrong_decade<R: Rng>(decade: &str, again: bool, rng: &mut R) -> String {
    let template = if again {
        pick(
            rng,
            &["No, I said {}.", "Not those, I asked for something {}."],
        )
    } else {
        pick(
            rng,
            &[
                "Not those, I want something {}.",
                "No, those are the wrong era, something {}.",
                "None of those, I'd like a film {}.",
            ],
        )
    };
    template.replace("{}", decade)
}

/// Rejects the list for its category: "No, I'd rather have a comedy."
pub fn wrong_category<R: Rng>(category: &str, again: bool, rng: &mut R) -> String {
    let template = if again {
        pick(rng, &["No, I asked for {}.", "Not those, I said {}."])
    } else {
        pick(
            rng,
            &[
                "No, I'd rather have {}.",
                "Not those, I want {}.",
                "None of these, I'm after {}.",
            ],
        )
    };
    template.replace("{}", category)
}

/// Corrects a category the engine holds but the user never asked for: "No horror, please,
/// I never asked for that."
pub fn not_asked_category<R: Rng>(category: &str, rng: &mut R) -> String {
    let word = category.to_lowercase();
    let template = pick(
        rng,
        &[
            "No {}, please, I never asked for that.",
            "I didn't ask for {}; no {}, please.",
        ],
    );
    template.replace("{}", &word)
}

/// Corrects a period the engine holds but the user never asked for.
pub fn not_asked_decade<R: Rng>(wrong: &str, right: &str, rng: &mut R) -> String {
    let template = pick(
        rng,
        &[
            "Not from the {wrong}, I want something {right}.",
            "I didn't say the {wrong}; I'd like something {right}.",
        ],
    );
    template.replace("{wrong}", wrong).replace("{right}", right)
}

/// Rejects the list without a specific reason.
pub fn not_those<R: Rng>(rng: &mut R) -> String {
    pick(
        rng,
        &[
            "None of those, sorry.",
            "Not those.",
            "Hmm, not quite what I had in mind.",
            "No, not those ones.",
        ],
    )
    .to_owned()
}

/// Asks for other items when the user has nothing new to tell.
pub fn more<R: Rng>(rng: &mut R) -> String {
    pick(
        rng,
        &[
            "Show me some others.",
            "Anything else?",
            "Other suggestions?",
        ],
    )
    .to_owned()
}

/// Picks the film meant when the engine asks which one: "I mean Heat (1995)."
pub fn choose<R: Rng>(title: &str, year: Option<i32>, rng: &mut R) -> String {
    let full = match year {
        Some(y) => format!("{title} ({y})"),
        None => title.to_owned(),
    };
    let template = pick(rng, &["I mean {}.", "{}.", "The one I mean is {}."]);
    template.replace("{}", &full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn spoken_titles_read_naturally() {
        assert_eq!(spoken_title("Godfather, The"), "The Godfather");
        assert_eq!(
            spoken_title("City of Lost Children, The (Cité des enfants perdus, La)"),
            "The City of Lost Children"
        );
        assert_eq!(spoken_title("Heat"), "Heat");
        assert_eq!(spoken_title("Shall We Dance? (1996)"), "Shall We Dance?");
        assert_eq!(spoken_title("Enfer, L'"), "L'Enfer");
    }

    #[test]
    fn titles_are_recognised_in_sentences() {
        assert!(mentions_title("I loved the godfather!", "Godfather, The"));
        assert!(mentions_title("something like godfather", "Godfather, The"));
        assert!(!mentions_title("a good father film", "Godfather, The"));
        assert!(mentions_title(
            "like cité des enfants perdus",
            "City of Lost Children, The (Cité des enfants perdus, La)"
        ));
        assert!(!mentions_title("from the 1995 era", "Heat (1995)"));
    }

    #[test]
    fn title_words_identify_franchises() {
        assert!(shares_title_word("Die Hard", "Die Hard 2"));
        assert!(!shares_title_word("Toy Story 2", "Die Hard 2"));
        assert!(!shares_title_word("The Rock", "The Fan"));
        assert!(shares_title_word(
            "Star Wars",
            "Return of the Jedi (Star Wars VI)"
        ));
    }

    #[test]
    fn decades_and_categories_are_spoken() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..20 {
            let d = decade_phrase(1970, &mut rng);
            assert!(d.contains("70s") || d.contains("seventies"), "{d}");
        }
        assert_eq!(decade_of(1999), 1990);
        assert!(category_phrase("unknown", &mut rng).is_none());
        assert!(category_phrase("Sci-Fi", &mut rng).is_some());
        assert!(category_phrase("Bollywood", &mut rng).is_some_and(|p| p.contains("Bollywood")));
    }

    #[test]
    fn lists_join_like_english() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join_titles(&t(&["A"])), "A");
        assert_eq!(join_titles(&t(&["A", "B"])), "A and B");
        assert_eq!(join_titles(&t(&["A", "B", "C"])), "A, B and C");
    }
}
