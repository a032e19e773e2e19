//! Title matching on a hand-written MovieLens-style catalog: behaviour on the hard cases,
//! accuracy on generated queries, calibration on absent titles, robustness.

use chatrec_core::{Catalog, Item};
use chatrec_knowledge::titles::{
    absent_queries, evaluate, perturbed_queries, AbsentKind, Perturbation, TitleIndex,
    AMBIGUITY_MARGIN, CONFIDENT,
};
use proptest::prelude::*;

/// (title as MovieLens writes it, year)
const TITLES: &[(&str, i32)] = &[
    ("Shawshank Redemption, The", 1994),
    ("Godfather, The", 1972),
    ("Godfather: Part II, The", 1974),
    ("Godfather: Part III, The", 1990),
    ("Star Wars", 1977),
    ("Empire Strikes Back, The", 1980),
    ("Return of the Jedi", 1983),
    ("Cape Fear", 1962),
    ("Cape Fear", 1991),
    ("Sabrina", 1954),
    ("Sabrina", 1995),
    ("Psycho", 1960),
    ("Psycho", 1998),
    ("Nutty Professor, The", 1963),
    ("Nutty Professor, The", 1996),
    ("Little Women", 1933),
    ("Little Women", 1994),
    ("Great Expectations", 1946),
    ("Great Expectations", 1998),
    ("Scarface", 1983),
    (
        "City of Lost Children, The (Cité des enfants perdus, La)",
        1995,
    ),
    ("Seven (Se7en)", 1995),
    ("Misérables, Les", 1995),
    (
        "Double vie de Véronique, La (Double Life of Veronique, The)",
        1991,
    ),
    ("Seventh Seal, The (Sjunde inseglet, Det)", 1957),
    ("Horseman on the Roof, The (Hussard sur le toit, Le)", 1995),
    (
        "Good, The Bad and The Ugly, The (Buono, il brutto, il cattivo, Il)",
        1966,
    ),
    ("Tin Drum, The (Blechtrommel, Die)", 1979),
    ("Boot, Das", 1981),
    ("Postino, Il", 1994),
    ("Mariachi, El", 1992),
    ("Cérémonie, La", 1995),
    ("Haine, La", 1995),
    ("Dolce Vita, La", 1960),
    ("Star Trek: The Wrath of Khan", 1982),
    ("Star Trek III: The Search for Spock", 1984),
    ("Star Trek IV: The Voyage Home", 1986),
    ("Star Trek VI: The Undiscovered Country", 1991),
    ("Star Trek: First Contact", 1996),
    ("Rocky", 1976),
    ("Rocky II", 1979),
    ("Rocky III", 1982),
    ("Rocky IV", 1985),
    ("Rocky V", 1990),
    ("Alien", 1979),
    ("Aliens", 1986),
    ("Alien 3", 1992),
    ("Alien: Resurrection", 1997),
    ("Die Hard", 1988),
    ("Die Hard 2", 1990),
    ("Die Hard: With a Vengeance", 1995),
    ("Terminator, The", 1984),
    ("Terminator 2: Judgment Day", 1991),
    ("Evil Dead II", 1987),
    ("Henry V", 1989),
    ("Richard III", 1995),
    ("Three Colors: Red", 1994),
    ("Three Colors: Blue", 1993),
    ("Three Colors: White", 1994),
    ("Twelve Monkeys", 1995),
    ("Apollo 13", 1995),
    ("2001: A Space Odyssey", 1968),
    ("Blues Brothers 2000", 1998),
    ("1984", 1984),
    ("Fish Called Wanda, A", 1988),
    ("Room with a View, A", 1986),
    ("Clockwork Orange, A", 1971),
    ("Batman", 1989),
    ("Batman Returns", 1992),
    ("Batman Forever", 1995),
    ("Batman & Robin", 1997),
    ("Face/Off", 1997),
    ("M*A*S*H", 1970),
    ("L.A. Confidential", 1997),
    ("E.T. the Extra-Terrestrial", 1982),
    (
        "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb",
        1963,
    ),
    ("Schindler's List", 1993),
    ("One Flew Over the Cuckoo's Nest", 1975),
    ("Casablanca", 1942),
    ("Fargo", 1996),
    ("Vertigo", 1958),
    ("Chinatown", 1974),
    ("Titanic", 1997),
    ("Braveheart", 1995),
    ("Heat", 1995),
    ("Jaws", 1975),
    ("Jaws 2", 1978),
    ("Jaws 3-D", 1983),
    ("Wizard of Oz, The", 1939),
    ("Sound of Music, The", 1965),
    ("Silence of the Lambs, The", 1991),
    ("Usual Suspects, The", 1995),
    ("Lion King, The", 1994),
    (
        "Englishman Who Went Up a Hill, But Came Down a Mountain, The",
        1995,
    ),
    ("Amityville II: The Possession", 1982),
    ("Naked Gun 33 1/3: The Final Insult", 1994),
    ("Mission: Impossible", 1996),
    ("Pulp Fiction", 1994),
    ("Reservoir Dogs", 1992),
    ("Forrest Gump", 1994),
    ("Full Monty, The", 1997),
    ("Crying Game, The", 1992),
    ("Taxi Driver", 1976),
    ("Raging Bull", 1980),
    ("Big Sleep, The", 1946),
    ("Third Man, The", 1949),
    ("Rear Window", 1954),
    ("North by Northwest", 1959),
    ("Some Like It Hot", 1959),
    ("Sunset Blvd.", 1950),
    ("Apocalypse Now", 1979),
    ("Back to the Future", 1985),
    ("Toy Story", 1995),
    ("Home Alone", 1990),
    ("Home Alone 2: Lost in New York", 1992),
    ("Appartement, L'", 1996),
];

fn catalog() -> Catalog {
    let mut catalog = Catalog::new();
    for (i, (title, year)) in TITLES.iter().enumerate() {
        catalog.upsert_item(Item {
            id: format!("m{}", i + 1),
            title: (*title).to_owned(),
            year: Some(*year),
            categories: vec!["Drama".to_owned()],
            text: String::new(),
        });
    }
    catalog
}

fn index_of(title: &str, year: i32) -> u32 {
    let position = TITLES.iter().position(|&(t, y)| t == title && y == year);
    position.map(|p| p as u32).unwrap_or(u32::MAX)
}

/// Asserts the best match is `title`/`year`, confident and not ambiguous.
fn assert_finds(index: &TitleIndex, query: &str, title: &str, year: i32) {
    let found = index.find(query, 5);
    let top = found.matches.first();
    assert_eq!(
        top.map(|m| m.item),
        Some(index_of(title, year)),
        "query {query:?}: {found:#?}"
    );
    assert!(
        top.is_some_and(|m| m.confidence >= CONFIDENT),
        "query {query:?} not confident: {found:#?}"
    );
    assert!(!found.ambiguous, "query {query:?} ambiguous: {found:#?}");
}

#[test]
fn articles_case_and_punctuation() {
    let index = TitleIndex::new(&catalog());
    assert_finds(
        &index,
        "the shawshank redemption",
        "Shawshank Redemption, The",
        1994,
    );
    assert_finds(
        &index,
        "Shawshank Redemption",
        "Shawshank Redemption, The",
        1994,
    );
    assert_finds(
        &index,
        "SHAWSHANK REDEMPTION, THE",
        "Shawshank Redemption, The",
        1994,
    );
    assert_finds(&index, "a fish called wanda", "Fish Called Wanda, A", 1988);
    assert_finds(&index, "les miserables", "Misérables, Les", 1995);
    assert_finds(&index, "Das Boot", "Boot, Das", 1981);
    assert_finds(&index, "il postino", "Postino, Il", 1994);
    assert_finds(&index, "el mariachi", "Mariachi, El", 1992);
    assert_finds(&index, "l'appartement", "Appartement, L'", 1996);
    assert_finds(&index, "faceoff", "Face/Off", 1997);
    assert_finds(&index, "face off", "Face/Off", 1997);
    assert_finds(&index, "mash", "M*A*S*H", 1970);
    assert_finds(&index, "LA confidential", "L.A. Confidential", 1997);
    assert_finds(&index, "schindlers list", "Schindler's List", 1993);
    assert_finds(&index, "batman and robin", "Batman & Robin", 1997);
    assert_finds(
        &index,
        "dr strangelove",
        "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb",
        1963,
    );
}

#[test]
fn alternative_titles() {
    let index = TitleIndex::new(&catalog());
    let lost = "City of Lost Children, The (Cité des enfants perdus, La)";
    assert_finds(&index, "la cité des enfants perdus", lost, 1995);
    assert_finds(&index, "cite des enfants perdus", lost, 1995);
    assert_finds(&index, "the city of lost children", lost, 1995);
    assert_finds(&index, "se7en", "Seven (Se7en)", 1995);
    assert_finds(
        &index,
        "the double life of veronique",
        "Double vie de Véronique, La (Double Life of Veronique, The)",
        1991,
    );
    assert_finds(
        &index,
        "die blechtrommel",
        "Tin Drum, The (Blechtrommel, Die)",
        1979,
    );
    assert_finds(
        &index,
        "the good the bad and the ugly",
        "Good, The Bad and The Ugly, The (Buono, il brutto, il cattivo, Il)",
        1966,
    );
}

#[test]
fn typos() {
    let index = TitleIndex::new(&catalog());
    assert_finds(
        &index,
        "shawshenk redemption",
        "Shawshank Redemption, The",
        1994,
    );
    assert_finds(&index, "the godfahter", "Godfather, The", 1972);
    assert_finds(&index, "casablanka", "Casablanca", 1942);
    assert_finds(&index, "braveheat", "Braveheart", 1995);
    assert_finds(&index, "chinatwon", "Chinatown", 1974);
    // A swap in a three-letter word is found, but not trusted blindly.
    let found = index.find("apocalypse nwo", 3);
    assert_eq!(found.matches[0].item, index_of("Apocalypse Now", 1979));
    assert!(found.matches[0].confidence < CONFIDENT, "{found:#?}");
    // One edit in a short single-word title is as likely another film ("rocky" vs
    // "Rock, The"): the best guess, yet not confident.
    let found = index.find("jawz", 3);
    assert_eq!(found.matches[0].item, index_of("Jaws", 1975));
    assert!(found.matches[0].confidence < CONFIDENT, "{found:#?}");
    let found = index.find("fargo", 3);
    assert_eq!(found.matches[0].item, index_of("Fargo", 1996));
}

#[test]
fn sequels_and_numbers() {
    let index = TitleIndex::new(&catalog());
    assert_finds(&index, "godfather 2", "Godfather: Part II, The", 1974);
    assert_finds(
        &index,
        "the godfather part ii",
        "Godfather: Part II, The",
        1974,
    );
    assert_finds(
        &index,
        "godfather part two",
        "Godfather: Part II, The",
        1974,
    );
    assert_finds(&index, "godfather part 3", "Godfather: Part III, The", 1990);
    assert_finds(&index, "the godfather", "Godfather, The", 1972);
    assert_finds(&index, "rocky 2", "Rocky II", 1979);
    assert_finds(&index, "rocky four", "Rocky IV", 1985);
    assert_finds(&index, "rocky", "Rocky", 1976);
    assert_finds(&index, "star trek 4", "Star Trek IV: The Voyage Home", 1986);
    assert_finds(
        &index,
        "the wrath of khan",
        "Star Trek: The Wrath of Khan",
        1982,
    );
    assert_finds(&index, "12 monkeys", "Twelve Monkeys", 1995);
    assert_finds(&index, "three colours red", "Three Colors: Red", 1994);
    assert_finds(&index, "evil dead 2", "Evil Dead II", 1987);
    assert_finds(&index, "alien 3", "Alien 3", 1992);
    assert_finds(&index, "alien", "Alien", 1979);
    assert_finds(&index, "die hard", "Die Hard", 1988);
    assert_finds(&index, "die hard ii", "Die Hard 2", 1990);
    assert_finds(&index, "terminator 2", "Terminator 2: Judgment Day", 1991);
    assert_finds(
        &index,
        "2001 a space odyssey",
        "2001: A Space Odyssey",
        1968,
    );
    assert_finds(&index, "blues brothers 2000", "Blues Brothers 2000", 1998);
    assert_finds(&index, "1984", "1984", 1984);
    // A sequel the catalog lacks is not confidently any film of the series.
    for query in [
        "rocky 7",
        "die hard 4",
        "godfather part 4",
        "toy story 3",
        "alien 5",
    ] {
        let found = index.find(query, 3);
        assert!(
            found.matches.iter().all(|m| m.confidence < CONFIDENT),
            "{query}: {found:#?}"
        );
    }
}

#[test]
fn year_hints_resolve_remakes() {
    let index = TitleIndex::new(&catalog());
    let found = index.find("cape fear", 5);
    assert!(found.ambiguous, "{found:#?}");
    let top_two: Vec<u32> = found.matches.iter().take(2).map(|m| m.item).collect();
    assert!(top_two.contains(&index_of("Cape Fear", 1962)));
    assert!(top_two.contains(&index_of("Cape Fear", 1991)));
    assert!(found.matches[0].confidence - found.matches[1].confidence <= AMBIGUITY_MARGIN);
    assert_finds(&index, "cape fear 1991", "Cape Fear", 1991);
    assert_finds(&index, "Cape Fear (1962)", "Cape Fear", 1962);
    assert_finds(&index, "sabrina from 1954", "Sabrina", 1954);
    assert_finds(
        &index,
        "the nutty professor 1996",
        "Nutty Professor, The",
        1996,
    );
    assert_finds(&index, "star wars 1977", "Star Wars", 1977);
    assert!(index.find("sabrina", 5).ambiguous);
    // A year the catalog does not have is not a confident match.
    let found = index.find("star wars 2015", 3);
    assert!(
        found.matches.iter().all(|m| m.confidence < CONFIDENT),
        "{found:#?}"
    );
    assert_eq!(
        found.matches.first().map(|m| m.item),
        Some(index_of("Star Wars", 1977))
    );
}

#[test]
fn star_trek_alone_is_ambiguous_and_return_of_the_jedi_is_not_star_wars() {
    let index = TitleIndex::new(&catalog());
    assert!(index.find("star trek", 10).ambiguous);
    assert_finds(&index, "return of the jedi", "Return of the Jedi", 1983);
    assert_finds(&index, "star wars", "Star Wars", 1977);
}

#[test]
fn nothing_matches_gives_empty_unambiguous_answers() {
    let index = TitleIndex::new(&catalog());
    for query in [
        "",
        "   ",
        "xyzzy qwrtp",
        "!!!",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    ] {
        let found = index.find(query, 5);
        assert!(found.matches.is_empty(), "{query:?}: {found:#?}");
        assert!(!found.ambiguous);
    }
    assert!(index.find("godfather", 0).matches.is_empty());
    let empty = TitleIndex::new(&Catalog::new());
    assert!(empty.is_empty());
    assert!(empty.find("godfather", 5).matches.is_empty());
}

#[test]
fn json_has_the_cli_shape() {
    let index = TitleIndex::new(&catalog());
    let value = serde_json::to_value(index.find("godfather 2", 2)).unwrap_or_default();
    assert_eq!(value["query"], "godfather 2");
    assert_eq!(value["ambiguous"], false);
    let first = &value["matches"][0];
    assert_eq!(first["title"], "Godfather: Part II, The (1974)");
    assert_eq!(first["item_id"], "m3");
    assert!(first["confidence"]
        .as_f64()
        .is_some_and(|c| c > 0.8 && c <= 1.0));
    let keys: Vec<&String> = first
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 3, "{first}");
    assert!(first.get("item").is_none());
}

#[test]
fn generated_queries_are_found() {
    let catalog = catalog();
    let index = TitleIndex::new(&catalog);
    let labelled = perturbed_queries(&catalog, 7, 400);
    assert_eq!(labelled.len(), 400);
    for perturbation in Perturbation::ALL {
        assert!(
            labelled.iter().any(|q| q.perturbation == perturbation),
            "{perturbation:?} never drawn"
        );
    }
    let absent = absent_queries(&catalog, 7, 300);
    assert_eq!(absent.len(), 300);
    for kind in [
        AbsentKind::Listed,
        AbsentKind::NumberedSequel,
        AbsentKind::Chimera,
    ] {
        assert!(
            absent.iter().any(|q| q.kind == kind),
            "{kind:?} never drawn"
        );
    }
    let report = evaluate(&index, &labelled, &absent);
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    assert!(report.top1_accuracy >= 0.95, "{report:#?}");
    assert_eq!(report.absent_confident, 0, "{report:#?}");
}

#[test]
fn generators_are_deterministic_and_seeded() {
    let catalog = catalog();
    assert_eq!(
        perturbed_queries(&catalog, 3, 50),
        perturbed_queries(&catalog, 3, 50)
    );
    assert_ne!(
        perturbed_queries(&catalog, 3, 50),
        perturbed_queries(&catalog, 4, 50)
    );
    assert_eq!(
        absent_queries(&catalog, 3, 50),
        absent_queries(&catalog, 3, 50)
    );
    assert_ne!(
        absent_queries(&catalog, 3, 50),
        absent_queries(&catalog, 4, 50)
    );
    assert!(perturbed_queries(&Catalog::new(), 3, 50).is_empty());
}

#[test]
fn generated_perturbations_do_what_they_say() {
    let catalog = catalog();
    for query in perturbed_queries(&catalog, 11, 300) {
        let title = &catalog.item(query.expected).title;
        let text = &query.query;
        match query.perturbation {
            Perturbation::Lowercase | Perturbation::PunctuationDropped => {
                assert_eq!(*text, text.to_lowercase())
            }
            Perturbation::ArticleFront => assert!(title.contains(", "), "{title}"),
            Perturbation::YearAppended => {
                let year = catalog.item(query.expected).year.unwrap_or_default();
                assert!(text.contains(&year.to_string()), "{text}")
            }
            Perturbation::AlternativeTitle => assert!(title.contains('('), "{title}"),
            _ => {}
        }
        if query.perturbation == Perturbation::PunctuationDropped {
            assert!(
                text.chars().all(|c| c.is_alphanumeric() || c == ' '),
                "{text}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn find_never_panics_and_ranks(query in "\\PC{0,60}", n in 0usize..8) {
        let index = TitleIndex::new(&catalog());
        let found = index.find(&query, n);
        prop_assert!(found.matches.len() <= n);
        for pair in found.matches.windows(2) {
            prop_assert!(pair[0].confidence >= pair[1].confidence);
        }
        for m in &found.matches {
            prop_assert!((0.0..=1.0).contains(&m.confidence));
        }
    }

    #[test]
    fn find_survives_mangled_titles(pick in 0usize..TITLES.len(), cut in 0usize..40, noise in "[ -~]{0,6}") {
        let index = TitleIndex::new(&catalog());
        let title = TITLES[pick].0;
        let prefix: String = title.chars().take(cut).collect();
        let found = index.find(&format!("{prefix}{noise}"), 3);
        prop_assert!(found.matches.len() <= 3);
    }
}
