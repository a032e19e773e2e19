//! Labelled queries for measuring title matching, and the measurement itself.
//!
//! [`perturbed_queries`] draws catalog items uniformly (seeded ChaCha8) and writes each
//! title the way a person might type it, with one [`Perturbation`] (lowercasing is applied
//! on top of the others half of the time). A query must still identify its item, so:
//! an item whose title (without article) is also a whole title of another item (a remake,
//! or another film's alternative title) only gets [`Perturbation::YearAppended`], and is
//! skipped when that other item has the same year too (one film entered twice); and a query whose normalised text equals a whole-title
//! variant of an item with a different "Title (Year)" is dropped and redrawn (a typo can
//! turn "Alien" into "Aliens"). Items with the same title and year (duplicate catalog
//! entries) are indistinguishable, so [`evaluate`] counts a top-1 answer correct when it
//! is the expected item or has exactly its display title.
//!
//! [`absent_queries`] names films that are not in the catalog: real titles listed by hand
//! in [`LISTED_ABSENT_TITLES`] (mostly released after 1998, so absent from MovieLens-100K),
//! catalog titles with a sequel number that no title of a similar name carries ("toy story
//! 7", but never "home alone 2" when "Home Alone 2: Lost in New York" exists, nor "aliens
//! 3" next to "Alien 3"), and chimeras of the first half of one title and the second half
//! of another that shares no word with it and holds no number. Listed titles equal to a
//! whole-title variant of a catalog item, and generated ones equal to any variant (also
//! the part before or after a colon), are left out, so every absent query really is absent.
//!
//! Everything is deterministic for a given catalog, seed and `n`, except the timing in
//! [`TitleEvaluation::mean_query_micros`].

use std::time::Instant;

use chatrec_core::Catalog;
use rand::seq::SliceRandom;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::normalize::{
    self, natural_order, number_word, roman_numeral, small_number_value, split_moved_article,
    title_parts,
};
use super::{TitleIndex, CONFIDENT};

/// How a catalog title was changed into a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Perturbation {
    /// The title in reading order, lowercased: "the shawshank redemption".
    Lowercase,
    /// A moved article put back in front: "The Shawshank Redemption".
    ArticleFront,
    /// A moved article dropped: "Shawshank Redemption".
    ArticleDropped,
    /// Punctuation removed ("-" and "/" become spaces): "godfather part ii the".
    PunctuationDropped,
    /// One insertion, deletion, substitution or adjacent transposition of letters in a
    /// word of five or more letters.
    Typo,
    /// A number rewritten as digits, a word or a Roman numeral, and "Part" dropped before
    /// it half of the time: "Godfather 2".
    NumberForm,
    /// The release year appended as "1994", "(1994)" or "from 1994".
    YearAppended,
    /// Only an alternative title given in parentheses, in reading order.
    AlternativeTitle,
}

impl Perturbation {
    pub const ALL: [Perturbation; 8] = [
        Perturbation::Lowercase,
        Perturbation::ArticleFront,
        Perturbation::ArticleDropped,
        Perturbation::PunctuationDropped,
        Perturbation::Typo,
        Perturbation::NumberForm,
        Perturbation::YearAppended,
        Perturbation::AlternativeTitle,
    ];
}

/// A query with the item it should find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelledQuery {
    pub query: String,
    /// Dense item index.
    pub expected: u32,
    pub perturbation: Perturbation,
}

/// How an absent query was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsentKind {
    /// A real film title from [`LISTED_ABSENT_TITLES`].
    Listed,
    /// A catalog title with a sequel number appended that the catalog does not have.
    NumberedSequel,
    /// The first half of one title joined to the second half of another.
    Chimera,
}

/// A query naming no catalog item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbsentQuery {
    pub query: String,
    pub kind: AbsentKind,
}

/// Top-1 accuracy of one perturbation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerturbationAccuracy {
    pub perturbation: Perturbation,
    pub queries: usize,
    pub top1_correct: usize,
}

/// Results of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TitleEvaluation {
    pub queries: usize,
    pub top1_correct: usize,
    pub top1_accuracy: f64,
    /// Labelled queries answered correctly, confidently and unambiguously
    /// ([`super::TitleMatches::unique_confident`]).
    pub top1_unique_confident: usize,
    /// Labelled queries whose top match is wrong yet confident.
    pub confident_wrong: usize,
    pub per_perturbation: Vec<PerturbationAccuracy>,
    pub absent: usize,
    /// Absent queries with a confident top match.
    pub absent_confident: usize,
    pub absent_confident_rate: f64,
    /// Up to 20 absent queries with their confident match: (query, matched title).
    pub absent_confident_examples: Vec<(String, String)>,
    /// Up to 20 missed labelled queries: (query, expected title, top title or "").
    pub misses: Vec<(String, String, String)>,
    /// Mean wall time of one `find` over all queries, in microseconds.
    pub mean_query_micros: f64,
}

/// Real film titles, mostly from 1999 or later, none of them in MovieLens-100K.
pub const LISTED_ABSENT_TITLES: &[&str] = &[
    "The Matrix",
    "Fight Club",
    "The Sixth Sense",
    "American Beauty",
    "Memento",
    "Amélie",
    "Spirited Away",
    "Finding Nemo",
    "The Dark Knight",
    "Inception",
    "Interstellar",
    "Toy Story 3",
    "Up",
    "WALL-E",
    "Ratatouille",
    "The Incredibles",
    "Shrek",
    "Monsters, Inc.",
    "Avatar",
    "No Country for Old Men",
    "There Will Be Blood",
    "The Departed",
    "Mulholland Drive",
    "Lost in Translation",
    "Eternal Sunshine of the Spotless Mind",
    "Pan's Labyrinth",
    "City of God",
    "Oldboy",
    "Parasite",
    "Moonlight",
    "La La Land",
    "Whiplash",
    "Mad Max: Fury Road",
    "Gravity",
    "Arrival",
    "Black Swan",
    "The Social Network",
    "Slumdog Millionaire",
    "Gran Torino",
    "Million Dollar Baby",
    "Mystic River",
    "Kill Bill: Volume 1",
    "Inglourious Basterds",
    "Django Unchained",
    "Zodiac",
    "Gone Girl",
    "The Prestige",
    "Children of Men",
    "Brokeback Mountain",
    "Erin Brockovich",
    "Cast Away",
    "Almost Famous",
    "Requiem for a Dream",
    "Magnolia",
    "Being John Malkovich",
    "The Green Mile",
    "Office Space",
    "Toy Story 2",
    "Notting Hill",
    "The Talented Mr. Ripley",
    "Sleepy Hollow",
    "Galaxy Quest",
    "Three Kings",
    "The Iron Giant",
    "Run Lola Run",
    "Princess Mononoke",
    "The Lord of the Rings: The Fellowship of the Ring",
    "Harry Potter and the Philosopher's Stone",
    "Pirates of the Caribbean",
    "Iron Man",
    "The Avengers",
    "Frozen",
    "Inside Out",
    "Zootopia",
    "Get Out",
    "Joker",
    "Dunkirk",
    "Blade Runner 2049",
    "The Revenant",
    "Birdman",
    "Boyhood",
    "The Grand Budapest Hotel",
    "12 Years a Slave",
    "The King's Speech",
    "The Hurt Locker",
    "Juno",
    "Little Miss Sunshine",
    "Napoleon Dynamite",
    "Anchorman",
    "Mean Girls",
    "Superbad",
    "The Hangover",
    "Bridesmaids",
    "Nightcrawler",
    "Sicario",
    "Hereditary",
    "Midsommar",
    "It Follows",
    "A Quiet Place",
    "Knives Out",
    "Ford v Ferrari",
    "Once Upon a Time in Hollywood",
    "The Irishman",
    "The Shape of Water",
    "Three Billboards Outside Ebbing, Missouri",
    "Lady Bird",
    "Call Me by Your Name",
    "Manchester by the Sea",
    "Spotlight",
    "The Big Short",
    "Ex Machina",
    "Snowpiercer",
    "Edge of Tomorrow",
    "District 9",
    "Looper",
    "Source Code",
    "Minority Report",
    "Catch Me If You Can",
    "Crouching Tiger, Hidden Dragon",
    "In the Mood for Love",
    "Y Tu Mamá También",
    "Talk to Her",
    "The Lives of Others",
    "Downfall",
    "A Separation",
    "The White Ribbon",
    "Shaun of the Dead",
    "Hot Fuzz",
    "Zombieland",
    "Cloverfield",
    "The Truman Show",
    "Saving Private Ryan",
    "Shakespeare in Love",
    "The Big Lebowski",
    "Rushmore",
    "Pleasantville",
    "Rounders",
    "Out of Sight",
    "Ronin",
    "Dark City",
    "The Thin Red Line",
    "Life Is Beautiful",
    "Central Station",
    "Festen",
    "Lock, Stock and Two Smoking Barrels",
    "Rocky Balboa",
    "Jurassic World",
    "Wonder Woman",
    "Black Panther",
    "Guardians of the Galaxy",
    "Logan",
    "Deadpool",
    "Skyfall",
    "Casino Royale",
    "The Bourne Identity",
    "Ocean's Eleven",
    "Training Day",
    "Donnie Darko",
    "The Others",
    "Moulin Rouge!",
    "Legally Blonde",
    "Big Fish",
    "Love Actually",
    "School of Rock",
    "Elf",
    "Oppenheimer",
    "Barbie",
    "Dune",
];

/// Queries made from catalog titles by one perturbation each (see the module doc).
pub fn perturbed_queries(catalog: &Catalog, seed: u64, n: usize) -> Vec<LabelledQuery> {
    let index = TitleIndex::new(catalog);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let items: Vec<u32> = (0..catalog.n_items() as u32)
        .filter(|&i| !base_key(&catalog.item(i).title).is_empty())
        .collect();
    let mut by_base: std::collections::HashMap<String, Vec<u32>> = Default::default();
    for &item in &items {
        by_base
            .entry(base_key(&catalog.item(item).title))
            .or_default()
            .push(item);
    }
    let mut out = Vec::with_capacity(n);
    let mut attempts = 0usize;
    while out.len() < n && !items.is_empty() && attempts < n.saturating_mul(50) {
        attempts += 1;
        let item = items[rng.gen_range(0..items.len())];
        let catalog_item = catalog.item(item);
        let display = index.display_title(item).unwrap_or_default();
        let parts = title_parts(&catalog_item.title);
        let year = catalog_item.year.or(parts.year);
        let differs = |other: &u32| index.display_title(*other).unwrap_or_default() != display;
        let natural = natural_order(&parts.main);
        let same_title: Vec<u32> = index
            .exact_items(&natural)
            .into_iter()
            .chain(
                by_base
                    .get(&base_key(&catalog_item.title))
                    .into_iter()
                    .flatten()
                    .copied(),
            )
            .filter(differs)
            .collect();
        let shares_title = !same_title.is_empty();
        let same_title_and_year = same_title.iter().any(|&other| {
            let other = catalog.item(other);
            other.year.or(title_parts(&other.title).year) == year
        });
        if same_title_and_year {
            // One film entered twice ("Bewegte Mann, Der" and "Maybe, Maybe Not (Bewegte
            // Mann, Der)", both 1994): no query can tell the two apart.
            continue;
        }
        let applicable: Vec<Perturbation> = Perturbation::ALL
            .into_iter()
            .filter(|&p| !shares_title || p == Perturbation::YearAppended)
            .filter(|&p| applies(p, &parts.main, &parts.alternatives, year))
            .collect();
        let Some(&perturbation) = applicable.choose(&mut rng) else {
            continue;
        };
        let Some(query) = perturb(
            perturbation,
            &parts.main,
            &parts.alternatives,
            year,
            &mut rng,
        ) else {
            continue;
        };
        if normalize::tokens(&query).is_empty() {
            continue;
        }
        let collides = index
            .exact_items(&query)
            .iter()
            .any(|&other| index.display_title(other).unwrap_or_default() != display);
        if collides {
            continue;
        }
        out.push(LabelledQuery {
            query,
            expected: item,
            perturbation,
        });
    }
    out
}

/// Queries naming no catalog item (see the module doc): about half listed real titles,
/// the rest sequel numbers and chimeras in turn.
pub fn absent_queries(catalog: &Catalog, seed: u64, n: usize) -> Vec<AbsentQuery> {
    let index = TitleIndex::new(catalog);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut listed: Vec<&str> = LISTED_ABSENT_TITLES
        .iter()
        .copied()
        .filter(|title| index.exact_items(title).is_empty())
        .collect();
    listed.shuffle(&mut rng);
    let mut out: Vec<AbsentQuery> = listed
        .into_iter()
        .take(n.div_ceil(2))
        .map(|title| AbsentQuery {
            query: title.to_owned(),
            kind: AbsentKind::Listed,
        })
        .collect();
    let bodies: Vec<Vec<String>> = catalog
        .items()
        .iter()
        .map(|item| {
            let main = title_parts(&item.title).main;
            split_moved_article(&main)
                .0
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<String>>()
        })
        .filter(|words| !normalize::tokens(&words.join(" ")).is_empty())
        .collect();
    let series_titles: Vec<Vec<Vec<char>>> = catalog
        .items()
        .iter()
        .map(|item| {
            normalize::tokens(&item.title)
                .iter()
                .map(|w| w.chars().collect())
                .collect()
        })
        .collect();
    let mut attempts = 0usize;
    let mut next_kind = AbsentKind::NumberedSequel;
    while out.len() < n && !bodies.is_empty() && attempts < n.saturating_mul(50) {
        attempts += 1;
        let first = &bodies[rng.gen_range(0..bodies.len())];
        let query = match next_kind {
            AbsentKind::NumberedSequel => {
                let ends_with_number = first
                    .last()
                    .is_some_and(|w| w.chars().any(|c| c.is_ascii_digit()));
                if ends_with_number {
                    continue;
                }
                let number = rng.gen_range(2..=9u32);
                if series_has_number(&series_titles, first, number) {
                    continue;
                }
                format!("{} {}", first.join(" "), number)
            }
            _ => {
                let second = &bodies[rng.gen_range(0..bodies.len())];
                if first.len() < 2 || second.len() < 2 || shares_a_word(first, second) {
                    continue;
                }
                let head = first[..first.len() / 2].join(" ");
                let tail = second[second.len() / 2..].join(" ");
                let has_number = normalize::tokens(&format!("{head} {tail}"))
                    .iter()
                    .any(|w| w.bytes().all(|b| b.is_ascii_digit()));
                if has_number {
                    continue;
                }
                format!("{head} {tail}")
            }
        };
        if index.equals_any_variant(&query) {
            continue;
        }
        out.push(AbsentQuery {
            query,
            kind: next_kind,
        });
        next_kind = match next_kind {
            AbsentKind::NumberedSequel => AbsentKind::Chimera,
            _ => AbsentKind::NumberedSequel,
        };
    }
    out
}

/// Runs every query through `index` and measures top-1 accuracy, confident answers to
/// absent queries and the mean query time.
pub fn evaluate(
    index: &TitleIndex,
    labelled: &[LabelledQuery],
    absent: &[AbsentQuery],
) -> TitleEvaluation {
    let started = Instant::now();
    let mut top1_correct = 0usize;
    let mut confident_wrong = 0usize;
    let mut top1_unique_confident = 0usize;
    let mut misses = Vec::new();
    let mut per_perturbation: Vec<PerturbationAccuracy> = Perturbation::ALL
        .into_iter()
        .map(|perturbation| PerturbationAccuracy {
            perturbation,
            queries: 0,
            top1_correct: 0,
        })
        .collect();
    for labelled_query in labelled {
        let found = index.find(&labelled_query.query, 5);
        let expected_title = index
            .display_title(labelled_query.expected)
            .unwrap_or_default();
        let top = found.matches.first();
        let correct =
            top.is_some_and(|m| m.item == labelled_query.expected || m.title == expected_title);
        let slot = per_perturbation
            .iter_mut()
            .find(|p| p.perturbation == labelled_query.perturbation);
        if let Some(slot) = slot {
            slot.queries += 1;
            slot.top1_correct += usize::from(correct);
        }
        if correct {
            top1_correct += 1;
            top1_unique_confident += usize::from(found.unique_confident().is_some());
        } else {
            if top.is_some_and(|m| m.confidence >= CONFIDENT) {
                confident_wrong += 1;
            }
            if misses.len() < 20 {
                misses.push((
                    labelled_query.query.clone(),
                    expected_title.to_owned(),
                    top.map(|m| m.title.clone()).unwrap_or_default(),
                ));
            }
        }
    }
    let mut absent_confident = 0usize;
    let mut absent_confident_examples = Vec::new();
    for absent_query in absent {
        let found = index.find(&absent_query.query, 1);
        if let Some(top) = found.matches.first().filter(|m| m.confidence >= CONFIDENT) {
            absent_confident += 1;
            if absent_confident_examples.len() < 20 {
                absent_confident_examples.push((absent_query.query.clone(), top.title.clone()));
            }
        }
    }
    let total_queries = labelled.len() + absent.len();
    let elapsed = started.elapsed().as_secs_f64();
    let ratio = |part: usize, whole: usize| {
        if whole == 0 {
            0.0
        } else {
            part as f64 / whole as f64
        }
    };
    TitleEvaluation {
        queries: labelled.len(),
        top1_correct,
        top1_accuracy: ratio(top1_correct, labelled.len()),
        top1_unique_confident,
        confident_wrong,
        per_perturbation: per_perturbation
            .into_iter()
            .filter(|p| p.queries > 0)
            .collect(),
        absent: absent.len(),
        absent_confident,
        absent_confident_rate: ratio(absent_confident, absent.len()),
        absent_confident_examples,
        misses,
        mean_query_micros: if total_queries == 0 {
            0.0
        } else {
            elapsed * 1e6 / total_queries as f64
        },
    }
}

/// Whether some catalog title holds `number` and a word within one edit of a word of
/// `base`: then "base number" may well name that film ("Home Alone 2", "Aliens 3" for
/// "Alien 3") and is no absent title.
fn series_has_number(series_titles: &[Vec<Vec<char>>], base: &[String], number: u32) -> bool {
    let number: Vec<char> = number.to_string().chars().collect();
    let base: Vec<Vec<char>> = normalize::tokens(&base.join(" "))
        .iter()
        .filter(|w| !normalize::MOVED_ARTICLES.contains(&w.as_str()))
        .map(|w| w.chars().collect())
        .collect();
    series_titles.iter().any(|title| {
        title.contains(&number)
            && title.iter().any(|word| {
                base.iter()
                    .any(|b| normalize::osa_distance_within(b, word, 1).is_some())
            })
    })
}

/// Whether two titles (as words) share a normalised word: halves of "Star Trek: The
/// Wrath of Khan" and "Star Trek VI: The Undiscovered Country" would still name a Star
/// Trek film, so chimeras are made only of titles with nothing in common.
fn shares_a_word(first: &[String], second: &[String]) -> bool {
    let first = normalize::tokens(&first.join(" "));
    let second = normalize::tokens(&second.join(" "));
    first.iter().any(|word| second.contains(word))
}

/// Normalised main title without its article, the key under which remakes collide.
fn base_key(title: &str) -> String {
    let main = title_parts(title).main;
    normalize::tokens(split_moved_article(&main).0).concat()
}

fn applies(
    perturbation: Perturbation,
    main: &str,
    alternatives: &[String],
    year: Option<i32>,
) -> bool {
    let has_article = split_moved_article(main).1.is_some();
    match perturbation {
        Perturbation::Lowercase => true,
        Perturbation::ArticleFront | Perturbation::ArticleDropped => has_article,
        Perturbation::PunctuationDropped => natural_order(main)
            .chars()
            .any(|c| !c.is_alphanumeric() && !c.is_whitespace()),
        Perturbation::Typo => main.split_whitespace().any(|w| typo_target(w).is_some()),
        Perturbation::NumberForm => number_positions(&natural_order(main)).next().is_some(),
        Perturbation::YearAppended => year.is_some(),
        Perturbation::AlternativeTitle => alternatives
            .iter()
            .any(|alt| !normalize::tokens(alt).is_empty()),
    }
}

fn maybe_lowercase(text: String, rng: &mut ChaCha8Rng) -> String {
    if rng.gen_bool(0.5) {
        text.to_lowercase()
    } else {
        text
    }
}

fn perturb(
    perturbation: Perturbation,
    main: &str,
    alternatives: &[String],
    year: Option<i32>,
    rng: &mut ChaCha8Rng,
) -> Option<String> {
    let natural = natural_order(main);
    let query = match perturbation {
        Perturbation::Lowercase => natural.to_lowercase(),
        Perturbation::ArticleFront => maybe_lowercase(natural, rng),
        Perturbation::ArticleDropped => {
            maybe_lowercase(split_moved_article(main).0.to_owned(), rng)
        }
        Perturbation::PunctuationDropped => {
            let stripped: String = natural
                .chars()
                .filter_map(|c| match c {
                    '-' | '/' => Some(' '),
                    c if c.is_alphanumeric() || c.is_whitespace() => Some(c),
                    _ => None,
                })
                .collect();
            stripped.to_lowercase()
        }
        Perturbation::Typo => maybe_lowercase(with_typo(&natural, rng)?, rng),
        Perturbation::NumberForm => maybe_lowercase(with_number_rewritten(&natural, rng)?, rng),
        Perturbation::YearAppended => {
            let year = year?;
            let text = match rng.gen_range(0..3) {
                0 => format!("{natural} {year}"),
                1 => format!("{natural} ({year})"),
                _ => format!("{natural} from {year}"),
            };
            maybe_lowercase(text, rng)
        }
        Perturbation::AlternativeTitle => {
            let usable: Vec<&String> = alternatives
                .iter()
                .filter(|alt| !normalize::tokens(alt).is_empty())
                .collect();
            let alternative = usable.choose(rng)?;
            maybe_lowercase(natural_order(alternative), rng)
        }
    };
    Some(query)
}

/// Char positions of the letters of `word` when it has at least five.
fn typo_target(word: &str) -> Option<Vec<usize>> {
    let letters: Vec<usize> = word
        .chars()
        .enumerate()
        .filter(|(_, c)| c.is_alphabetic())
        .map(|(i, _)| i)
        .collect();
    (letters.len() >= 5).then_some(letters)
}

fn with_typo(text: &str, rng: &mut ChaCha8Rng) -> Option<String> {
    let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    let targets: Vec<usize> = (0..words.len())
        .filter(|&i| typo_target(&words[i]).is_some())
        .collect();
    let &word_index = targets.choose(rng)?;
    let letters = typo_target(&words[word_index])?;
    let mut chars: Vec<char> = words[word_index].chars().collect();
    let random_letter = |rng: &mut ChaCha8Rng| char::from(b'a' + rng.gen_range(0..26u8));
    let position = *letters.choose(rng)?;
    match rng.gen_range(0..4) {
        0 => chars.insert(
            position + usize::from(rng.gen_bool(0.5)),
            random_letter(rng),
        ),
        1 => {
            chars.remove(position);
        }
        2 => {
            let original = chars[position].to_lowercase().next()?;
            let mut replacement = random_letter(rng);
            while replacement == original {
                replacement = random_letter(rng);
            }
            chars[position] = replacement;
        }
        _ => {
            let next = letters.iter().copied().find(|&p| p == position + 1);
            let pair = match next {
                Some(next) if chars[position] != chars[next] => (position, next),
                _ => letters
                    .windows(2)
                    .find(|w| w[1] == w[0] + 1 && chars[w[0]] != chars[w[1]])
                    .map(|w| (w[0], w[1]))?,
            };
            chars.swap(pair.0, pair.1);
        }
    }
    words[word_index] = chars.into_iter().collect();
    Some(words.join(" "))
}

/// Word indices (whitespace split) holding a number 1..=20 in some form, skipping the
/// single letters "I", "V" and "X" unless they follow "Part" (there they are numerals,
/// elsewhere usually a pronoun or a name).
fn number_positions(text: &str) -> impl Iterator<Item = usize> + '_ {
    let words: Vec<&str> = text.split_whitespace().collect();
    (0..words.len()).filter(move |&i| {
        let core = words[i].trim_matches(|c: char| !c.is_alphanumeric());
        let after_part = i > 0 && words[i - 1].eq_ignore_ascii_case("part");
        let single_letter = core.chars().count() == 1 && core.chars().all(char::is_alphabetic);
        small_number_value(core).is_some() && (after_part || !single_letter)
    })
}

fn with_number_rewritten(text: &str, rng: &mut ChaCha8Rng) -> Option<String> {
    let positions: Vec<usize> = number_positions(text).collect();
    let &position = positions.choose(rng)?;
    let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    let word = words[position].clone();
    let start = word.find(|c: char| c.is_alphanumeric())?;
    let end = word.rfind(|c: char| c.is_alphanumeric())? + 1;
    let core = &word[start..end];
    let value = small_number_value(core)?;
    let is_digits = core.bytes().all(|b| b.is_ascii_digit());
    let is_word = number_word(value).is_some_and(|w| w.eq_ignore_ascii_case(core));
    let mut forms: Vec<String> = Vec::new();
    if !is_digits {
        forms.push(value.to_string());
    }
    if !is_word {
        forms.extend(number_word(value).map(str::to_owned));
    }
    // "I" is only read as a numeral after "Part", so a bare 1 is never written as one.
    if (is_digits || is_word) && value >= 2 {
        forms.extend(roman_numeral(value));
    }
    let replacement = forms.choose(rng)?;
    words[position] = format!("{}{}{}", &word[..start], replacement, &word[end..]);
    let after_part = position > 0 && words[position - 1].eq_ignore_ascii_case("part");
    if after_part && rng.gen_bool(0.5) {
        words.remove(position - 1);
    }
    Some(words.join(" "))
}
