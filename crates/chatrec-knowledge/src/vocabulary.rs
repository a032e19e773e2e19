//! Words people use for categories and periods, mapped to the catalog's own names. Shared by
//! lexical search (to expand queries) and the dialogue (to read constraints), so "sci-fi",
//! "science fiction" and "scifi" mean the same everywhere.

/// Phrases (lowercase, words separated by single spaces) and the category they name, in
/// MovieLens spelling. Longer phrases come first so "science fiction" wins over "fiction".
pub const CATEGORY_SYNONYMS: &[(&str, &str)] = &[
    ("science fiction", "Sci-Fi"),
    ("sci fi", "Sci-Fi"),
    ("scifi", "Sci-Fi"),
    ("sf", "Sci-Fi"),
    ("love story", "Romance"),
    ("love stories", "Romance"),
    ("for kids", "Children's"),
    ("for children", "Children's"),
    ("film noir", "Film-Noir"),
    ("noir", "Film-Noir"),
    ("cartoon", "Animation"),
    ("cartoons", "Animation"),
    ("animated", "Animation"),
    ("anime", "Animation"),
    ("kids", "Children's"),
    ("kid", "Children's"),
    ("children", "Children's"),
    ("childrens", "Children's"),
    ("family", "Children's"),
    ("scary", "Horror"),
    ("frightening", "Horror"),
    ("funny", "Comedy"),
    ("comedies", "Comedy"),
    ("hilarious", "Comedy"),
    ("romantic", "Romance"),
    ("thrilling", "Thriller"),
    ("thrillers", "Thriller"),
    ("suspense", "Thriller"),
    ("suspenseful", "Thriller"),
    ("cowboy", "Western"),
    ("cowboys", "Western"),
    ("westerns", "Western"),
    ("gangster", "Crime"),
    ("gangsters", "Crime"),
    ("mafia", "Crime"),
    ("heist", "Crime"),
    ("detective", "Mystery"),
    ("whodunit", "Mystery"),
    ("mysteries", "Mystery"),
    ("magic", "Fantasy"),
    ("magical", "Fantasy"),
    ("documentaries", "Documentary"),
    ("musicals", "Musical"),
    ("dramas", "Drama"),
    ("dramatic", "Drama"),
    ("adventures", "Adventure"),
    ("wartime", "War"),
];

/// Decade words ("eighties", "80s", "'80s") to the decade's first year.
pub const DECADE_WORDS: &[(&str, i32)] = &[
    ("twenties", 1920),
    ("thirties", 1930),
    ("forties", 1940),
    ("fifties", 1950),
    ("sixties", 1960),
    ("seventies", 1970),
    ("eighties", 1980),
    ("nineties", 1990),
    ("20s", 1920),
    ("30s", 1930),
    ("40s", 1940),
    ("50s", 1950),
    ("60s", 1960),
    ("70s", 1970),
    ("80s", 1980),
    ("90s", 1990),
    ("00s", 2000),
    ("2000s", 2000),
    ("2010s", 2010),
];

/// The decade a word names: "eighties", "80s", "1980s" all give 1980.
pub fn decade_of_word(word: &str) -> Option<i32> {
    let word = word.trim_start_matches('\'');
    if let Some(&(_, year)) = DECADE_WORDS.iter().find(|(w, _)| *w == word) {
        return Some(year);
    }
    let digits = word.strip_suffix('s')?;
    if digits.len() == 4 && digits.ends_with('0') {
        digits.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_words_in_all_spellings() {
        assert_eq!(decade_of_word("eighties"), Some(1980));
        assert_eq!(decade_of_word("'80s"), Some(1980));
        assert_eq!(decade_of_word("1980s"), Some(1980));
        assert_eq!(decade_of_word("1985s"), None);
        assert_eq!(decade_of_word("movies"), None);
    }

    #[test]
    fn synonym_phrases_are_lowercase_and_longest_first_where_they_overlap() {
        for (phrase, _) in CATEGORY_SYNONYMS {
            assert_eq!(*phrase, phrase.to_lowercase());
        }
        let pos = |p: &str| CATEGORY_SYNONYMS.iter().position(|(q, _)| *q == p).unwrap();
        assert!(pos("film noir") < pos("noir"));
        assert!(pos("for kids") < pos("kids"));
    }
}
