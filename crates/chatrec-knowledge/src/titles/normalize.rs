//! Text normalisation shared by catalog titles and queries, so that both sides meet in
//! one canonical token form.
//!
//! Steps, in order: lowercase; fold Latin diacritics ("Cité" -> "cite", "ß" -> "ss");
//! `&` becomes the word "and"; apostrophes vanish without splitting ("Schindler's" ->
//! "schindlers"); dotted or starred acronyms collapse ("L.A.", "M*A*S*H" -> "la", "mash");
//! every other non-alphanumeric character separates words; number words one..twenty and
//! Roman numerals II..XX become digits (a lone "I" only after "part", where it cannot be
//! the pronoun); "part" directly before a number is dropped, so "Part II" and "2" agree.

/// Articles that MovieLens moves to the end of a title ("Shawshank Redemption, The",
/// "Misérables, Les"): English, French, Spanish, Italian, German, Dutch, Scandinavian and
/// Portuguese forms.
pub(crate) const MOVED_ARTICLES: &[&str] = &[
    "the", "a", "an", "les", "la", "le", "l'", "il", "lo", "gli", "el", "los", "las", "das", "die",
    "der", "den", "det", "de", "het", "een", "ein", "eine", "un", "une", "una", "uno", "os", "as",
];

const NUMBER_WORDS: [&str; 20] = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

const ROMAN_NUMERALS: [&str; 20] = [
    "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv",
    "xvi", "xvii", "xviii", "xix", "xx",
];

/// English number word for 1..=20.
pub(crate) fn number_word(value: usize) -> Option<&'static str> {
    value
        .checked_sub(1)
        .and_then(|i| NUMBER_WORDS.get(i))
        .copied()
}

/// Upper-case Roman numeral for 1..=20.
pub(crate) fn roman_numeral(value: usize) -> Option<String> {
    value
        .checked_sub(1)
        .and_then(|i| ROMAN_NUMERALS.get(i))
        .map(|r| r.to_ascii_uppercase())
}

/// Value 1..=20 of a number written as digits, a number word or a Roman numeral.
pub(crate) fn small_number_value(word: &str) -> Option<usize> {
    let lower = word.to_lowercase();
    if let Ok(v) = lower.parse::<usize>() {
        return (1..=20).contains(&v).then_some(v);
    }
    NUMBER_WORDS
        .iter()
        .position(|w| *w == lower)
        .or_else(|| ROMAN_NUMERALS.iter().position(|r| *r == lower))
        .map(|i| i + 1)
}

/// Pushes the lowercase, diacritic-free form of `c`.
pub(crate) fn push_folded(c: char, out: &mut String) {
    for lower in c.to_lowercase() {
        match lower {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => out.push('c'),
            'ď' | 'đ' | 'ð' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => out.push('g'),
            'ĥ' | 'ħ' => out.push('h'),
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => out.push('i'),
            'ĵ' => out.push('j'),
            'ķ' => out.push('k'),
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => out.push('l'),
            'ñ' | 'ń' | 'ņ' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => out.push('o'),
            'œ' => out.push_str("oe"),
            'ŕ' | 'ŗ' | 'ř' => out.push('r'),
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => out.push('s'),
            'ß' => out.push_str("ss"),
            'ţ' | 'ť' | 'ŧ' | 'ț' => out.push('t'),
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => out.push('u'),
            'ŵ' => out.push('w'),
            'ý' | 'ÿ' | 'ŷ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'þ' => out.push_str("th"),
            other => out.push(other),
        }
    }
}

/// Lowercase, diacritic-free copy of `text`.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_folded(c, &mut out);
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | '`' | 'ʼ')
}

/// "l.a.", "e.t", "m*a*s*h": single letters joined by dots or stars.
fn collapse_acronym(chunk: &str) -> Option<String> {
    let mut letters = String::new();
    let mut expect_letter = true;
    let mut separators = 0;
    for c in chunk.chars() {
        if expect_letter {
            if !c.is_alphanumeric() {
                return None;
            }
            letters.push(c);
            expect_letter = false;
        } else {
            if c != '.' && c != '*' {
                return None;
            }
            separators += 1;
            expect_letter = true;
        }
    }
    (letters.chars().count() >= 2 && separators >= 1).then_some(letters)
}

/// Canonical word tokens of `text` (see the module doc).
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '&' {
            folded.push_str(" and ");
        } else if !is_apostrophe(c) {
            push_folded(c, &mut folded);
        }
    }
    let mut words: Vec<String> = Vec::new();
    for chunk in folded.split_whitespace() {
        if let Some(acronym) = collapse_acronym(chunk) {
            words.push(acronym);
            continue;
        }
        words.extend(
            chunk
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_owned),
        );
    }
    canonical_numbers(words)
}

fn canonical_numbers(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let after_part = out.last().is_some_and(|w| w == "part");
        let keep_as_is = (word == "i" && !after_part) || word.bytes().all(|b| b.is_ascii_digit());
        let value = if keep_as_is {
            None
        } else {
            small_number_value(&word)
        };
        let canonical = value.map_or(word, |v| v.to_string());
        if after_part && canonical.bytes().all(|b| b.is_ascii_digit()) {
            out.pop();
        }
        out.push(canonical);
    }
    out
}

/// Splits a trailing moved article: "Shawshank Redemption, The" -> ("Shawshank
/// Redemption", Some("The")); "Appartement, L'" -> ("Appartement", Some("L'")).
pub(crate) fn split_moved_article(title: &str) -> (&str, Option<&str>) {
    let trimmed = title.trim();
    if let Some(comma) = trimmed.rfind(',') {
        let article = trimmed[comma + 1..].trim();
        let lower = fold(article);
        if !article.is_empty() && MOVED_ARTICLES.contains(&lower.as_str()) {
            return (trimmed[..comma].trim_end(), Some(article));
        }
    }
    (trimmed, None)
}

/// Natural reading order of a MovieLens-style title: "The Shawshank Redemption",
/// "L'Appartement".
pub(crate) fn natural_order(title: &str) -> String {
    match split_moved_article(title) {
        (body, Some(article)) if article.ends_with(is_apostrophe) => format!("{article}{body}"),
        (body, Some(article)) => format!("{article} {body}"),
        (body, None) => body.to_owned(),
    }
}

/// Parts of a MovieLens-style title: the main title, alternative titles given in
/// parentheses ("City of Lost Children, The (Cité des enfants perdus, La)"), and a
/// trailing "(1994)" year when the title carries one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TitleParts {
    pub main: String,
    pub alternatives: Vec<String>,
    pub year: Option<i32>,
}

/// Whether `text` is a plausible release year.
pub(crate) fn parse_year(text: &str) -> Option<i32> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i32>()
        .ok()
        .filter(|y| (1870..=2100).contains(y))
}

pub(crate) fn title_parts(title: &str) -> TitleParts {
    let mut main = String::new();
    let mut groups: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in title.chars() {
        match c {
            '(' | '[' => {
                if depth == 0 {
                    current.clear();
                } else {
                    current.push(c);
                }
                depth += 1;
            }
            ')' | ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    groups.push(std::mem::take(&mut current));
                } else {
                    current.push(c);
                }
            }
            _ if depth > 0 => current.push(c),
            _ => main.push(c),
        }
    }
    if depth > 0 && !current.trim().is_empty() {
        groups.push(current);
    }
    let mut year = None;
    let mut alternatives = Vec::new();
    for group in groups {
        let group = group.trim();
        if let Some(y) = parse_year(group) {
            year = Some(y);
            continue;
        }
        let stripped = ["a.k.a.", "aka ", "a.k.a "]
            .iter()
            .find_map(|prefix| {
                group
                    .get(..prefix.len())
                    .filter(|head| head.eq_ignore_ascii_case(prefix))
                    .map(|_| group[prefix.len()..].trim())
            })
            .unwrap_or(group);
        if !stripped.is_empty() {
            alternatives.push(stripped.to_owned());
        }
    }
    let main = main.split_whitespace().collect::<Vec<_>>().join(" ");
    let main = main.trim_end_matches([',', ' ']).to_owned();
    if main.is_empty() {
        // A title that is all parentheses: its first group is the title.
        let mut alternatives = alternatives.into_iter();
        let main = alternatives.next().unwrap_or_default();
        return TitleParts {
            main,
            alternatives: alternatives.collect(),
            year,
        };
    }
    TitleParts {
        main,
        alternatives,
        year,
    }
}

/// Optimal-string-alignment (restricted Damerau-Levenshtein) distance, or `None` when it
/// exceeds `bound`. Insertions, deletions, substitutions and adjacent transpositions each
/// cost one (Damerau 1964; Boytsov 2011 for the restricted variant).
pub(crate) fn osa_distance_within(a: &[char], b: &[char], bound: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > bound {
        return None;
    }
    let width = b.len() + 1;
    let mut before_previous = vec![0usize; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current = vec![0usize; width];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = current[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(before_previous[j - 2] + 1);
            }
            current[j] = value;
            row_min = row_min.min(value);
        }
        if row_min > bound {
            return None;
        }
        std::mem::swap(&mut before_previous, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[b.len()];
    (distance <= bound).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(text: &str) -> String {
        tokens(text).join(" ")
    }

    #[test]
    fn case_punctuation_and_diacritics_fold() {
        assert_eq!(joined("Misérables, Les"), "miserables les");
        assert_eq!(joined("Schindler's List"), "schindlers list");
        assert_eq!(joined("Face/Off"), "face off");
        assert_eq!(joined("Batman & Robin"), "batman and robin");
        assert_eq!(joined("Straße"), "strasse");
        assert_eq!(joined("  "), "");
    }

    #[test]
    fn acronyms_collapse() {
        assert_eq!(joined("L.A. Confidential"), "la confidential");
        assert_eq!(joined("M*A*S*H"), "mash");
        assert_eq!(
            joined("E.T. the Extra-Terrestrial"),
            "et the extra terrestrial"
        );
        assert_eq!(joined("Dr. Strangelove"), "dr strangelove");
    }

    #[test]
    fn numbers_become_digits() {
        assert_eq!(joined("Godfather: Part II, The"), "godfather 2 the");
        assert_eq!(joined("godfather part 2"), "godfather 2");
        assert_eq!(joined("Star Trek VI"), "star trek 6");
        assert_eq!(joined("Twelve Monkeys"), "12 monkeys");
        assert_eq!(joined("Part I"), "1");
        assert_eq!(joined("I Shot Andy Warhol"), "i shot andy warhol");
        assert_eq!(joined("Evil Dead II"), "evil dead 2");
        assert_eq!(joined("Apollo 13"), "apollo 13");
    }

    #[test]
    fn moved_articles_split_and_restore() {
        assert_eq!(
            split_moved_article("Shawshank Redemption, The"),
            ("Shawshank Redemption", Some("The"))
        );
        assert_eq!(split_moved_article("Misérables, Les").1, Some("Les"));
        assert_eq!(split_moved_article("Die Hard"), ("Die Hard", None));
        assert_eq!(split_moved_article("Crying Game"), ("Crying Game", None));
        assert_eq!(
            natural_order("Englishman Who Went Up a Hill, But Came Down a Mountain, The"),
            "The Englishman Who Went Up a Hill, But Came Down a Mountain"
        );
        assert_eq!(natural_order("Appartement, L'"), "L'Appartement");
        assert_eq!(natural_order("Cérémonie, La"), "La Cérémonie");
    }

    #[test]
    fn title_parts_find_alternatives_and_years() {
        let parts = title_parts("City of Lost Children, The (Cité des enfants perdus, La)");
        assert_eq!(parts.main, "City of Lost Children, The");
        assert_eq!(parts.alternatives, vec!["Cité des enfants perdus, La"]);
        assert_eq!(parts.year, None);
        let parts = title_parts("Toy Story (1995)");
        assert_eq!(parts.main, "Toy Story");
        assert!(parts.alternatives.is_empty());
        assert_eq!(parts.year, Some(1995));
        let parts = title_parts("Shall We Dance? (a.k.a. Shall We Dansu?) (1996");
        assert_eq!(parts.main, "Shall We Dance?");
        assert_eq!(parts.alternatives, vec!["Shall We Dansu?"]);
        assert_eq!(parts.year, Some(1996));
        assert_eq!(title_parts("(Untitled)").main, "Untitled");
    }

    #[test]
    fn osa_distance_counts_transpositions_once() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(
            osa_distance_within(&chars("godfather"), &chars("godfahter"), 2),
            Some(1)
        );
        assert_eq!(
            osa_distance_within(&chars("alien"), &chars("aliens"), 1),
            Some(1)
        );
        assert_eq!(
            osa_distance_within(&chars("casablanca"), &chars("casblanka"), 2),
            Some(2)
        );
        assert_eq!(
            osa_distance_within(&chars("fargo"), &chars("cargo"), 1),
            Some(1)
        );
        assert_eq!(
            osa_distance_within(&chars("fargo"), &chars("argon"), 1),
            None
        );
        assert_eq!(osa_distance_within(&chars(""), &chars("ab"), 2), Some(2));
    }

    #[test]
    fn small_numbers_parse_in_every_form() {
        assert_eq!(small_number_value("XIV"), Some(14));
        assert_eq!(small_number_value("twenty"), Some(20));
        assert_eq!(small_number_value("7"), Some(7));
        assert_eq!(small_number_value("21"), None);
        assert_eq!(roman_numeral(4).as_deref(), Some("IV"));
        assert_eq!(number_word(3), Some("three"));
        assert_eq!(number_word(0), None);
    }
}
