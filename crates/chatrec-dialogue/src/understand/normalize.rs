//! Turn text to tokens: lowercase words, numbers and the punctuation the rules look at,
//! each with its byte span in the original text, so mentions and title spans can quote
//! the user's own words.
//!
//! Contractions are expanded ("didn't" -> "did not", "it's" -> "it is", also when typed
//! without the apostrophe: "dont", "ive"), because the rules then need one spelling
//! per phrase. Other apostrophes vanish inside a word ("'80s" -> "80s", "1980's" ->
//! "1980s"). A hyphen between two letters or digits joins nothing and separates nothing
//! visible ("sci-fi" -> "sci", "fi"), but the token after it remembers the hyphen
//! ("1970-1979" reads as a range). Emoji and other symbols separate words and are
//! dropped.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Word,
    /// Digits, optionally with one decimal point ("4", "1995", "3.5").
    Number,
    /// One punctuation character the rules care about (`, ; . ! ? : / # ( ) " - & +`),
    /// or an ellipsis ("...", "…") as one token.
    Punct,
}

/// One token with its byte span in the original text. Tokens of an expanded contraction
/// share the span of the word they come from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub text: String,
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    /// The token directly follows a hyphen between two word characters.
    pub after_hyphen: bool,
}

impl Token {
    pub fn is_punct(&self) -> bool {
        self.kind == TokenKind::Punct
    }

    pub fn is_number(&self) -> bool {
        self.kind == TokenKind::Number
    }

    /// Value of a whole number token.
    pub fn integer(&self) -> Option<i64> {
        if self.kind == TokenKind::Number && !self.text.contains('.') && self.text.len() <= 9 {
            self.text.parse().ok()
        } else {
            None
        }
    }

    /// Value of a number token, decimals included.
    pub fn value(&self) -> Option<f32> {
        if self.kind == TokenKind::Number && self.text.len() <= 12 {
            self.text.parse().ok()
        } else {
            None
        }
    }
}

/// The token of "..." and "…".
pub(crate) const ELLIPSIS: &str = "…";

const PUNCTUATION: &[char] = &[
    ',', ';', '.', '!', '?', ':', '/', '#', '(', ')', '"', '-', '&', '+',
];

/// Contractions with their expansion, written without apostrophes, because people type
/// them both ways.
const CONTRACTIONS: &[(&str, &[&str])] = &[
    ("dont", &["do", "not"]),
    ("doesnt", &["does", "not"]),
    ("didnt", &["did", "not"]),
    ("isnt", &["is", "not"]),
    ("wasnt", &["was", "not"]),
    ("arent", &["are", "not"]),
    ("werent", &["were", "not"]),
    ("havent", &["have", "not"]),
    ("hasnt", &["has", "not"]),
    ("hadnt", &["had", "not"]),
    ("cant", &["can", "not"]),
    ("cannot", &["can", "not"]),
    ("couldnt", &["could", "not"]),
    ("wouldnt", &["would", "not"]),
    ("shouldnt", &["should", "not"]),
    ("wont", &["will", "not"]),
    ("aint", &["is", "not"]),
    ("ive", &["i", "have"]),
    ("weve", &["we", "have"]),
    ("youve", &["you", "have"]),
    ("im", &["i", "am"]),
    ("youre", &["you", "are"]),
    ("theyre", &["they", "are"]),
    ("its", &["it", "is"]),
    ("thats", &["that", "is"]),
    ("whats", &["what", "is"]),
    ("theres", &["there", "is"]),
    ("heres", &["here", "is"]),
    ("hows", &["how", "is"]),
    ("lets", &["let", "us"]),
    ("ill", &["i", "will"]),
    ("youll", &["you", "will"]),
    ("id", &["i", "would"]),
    ("youd", &["you", "would"]),
    ("wed", &["we", "would"]),
    ("u", &["you"]),
    ("ur", &["your"]),
    ("pls", &["please"]),
    ("plz", &["please"]),
    ("thx", &["thanks"]),
    ("wanna", &["want", "to"]),
    ("gonna", &["going", "to"]),
    ("recs", &["recommendations"]),
];

/// Contractions that only count as such when typed with an apostrophe: without one they
/// are ordinary words ("ill", "id", "wed"). "its" is read as "it is" either way: chat
/// writes it so far more often than the possessive.
const APOSTROPHE_ONLY: &[&str] = &["ill", "id", "wed"];

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | '`' | 'ʼ' | '′')
}

fn normalized_punct(c: char) -> Option<char> {
    match c {
        '“' | '”' | '„' | '«' | '»' => Some('"'),
        '–' | '—' => Some('-'),
        '？' => Some('?'),
        '！' => Some('!'),
        '，' => Some(','),
        c if PUNCTUATION.contains(&c) => Some(c),
        _ => None,
    }
}

/// Words whose following full stop marks an abbreviation: single letters and titles.
const ABBREVIATIONS: &[&str] = &["mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "mt", "ft"];

fn is_abbreviation(word: &str) -> bool {
    let mut chars = word.chars();
    let single_letter =
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic());
    single_letter || ABBREVIATIONS.contains(&word)
}

/// Whether the last token ends right where `byte` starts (no space before the stop).
fn touches_last_token(tokens: &[Token], byte: usize) -> bool {
    tokens.last().is_some_and(|t| t.end == byte)
}

/// The tokens of `text` (see the module doc).
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |k: usize| chars.get(k).map_or(text.len(), |&(b, _)| b);
    let mut tokens = Vec::new();
    let mut k = 0;
    let mut after_hyphen = false;
    while k < chars.len() {
        let (byte, c) = chars[k];
        if c.is_alphanumeric() || (is_apostrophe(c) && next_is_digit(&chars, k)) {
            let mut word = String::new();
            let mut had_apostrophe = false;
            while k < chars.len() {
                let c = chars[k].1;
                if c.is_alphanumeric() {
                    word.extend(c.to_lowercase());
                } else if is_apostrophe(c)
                    && chars.get(k + 1).is_some_and(|&(_, n)| n.is_alphanumeric())
                {
                    word.push('\'');
                    had_apostrophe = true;
                } else if c == '.'
                    && word.chars().all(|w| w.is_ascii_digit())
                    && !word.contains('.')
                    && chars.get(k + 1).is_some_and(|&(_, n)| n.is_ascii_digit())
                {
                    word.push('.');
                } else {
                    break;
                }
                k += 1;
            }
            push_word(
                &mut tokens,
                &word,
                had_apostrophe,
                byte,
                end_of(k),
                after_hyphen,
            );
            after_hyphen = false;
            continue;
        }
        let previous_is_word = k > 0 && chars[k - 1].1.is_alphanumeric();
        let next_is_word = chars.get(k + 1).is_some_and(|&(_, n)| n.is_alphanumeric());
        if (c == '-' || c == '–') && previous_is_word && next_is_word {
            after_hyphen = true;
            k += 1;
            continue;
        }
        after_hyphen = false;
        // An ellipsis is one pause, not three sentence ends ("When Harry Met Sally...").
        if c == '…' || (c == '.' && chars.get(k + 1).is_some_and(|&(_, n)| n == '.')) {
            let mut end = k + 1;
            while chars.get(end).is_some_and(|&(_, n)| n == '.' || n == '…') {
                end += 1;
            }
            tokens.push(Token {
                text: ELLIPSIS.to_owned(),
                kind: TokenKind::Punct,
                start: byte,
                end: end_of(end),
                after_hyphen: false,
            });
            k = end;
            continue;
        }
        // The full stop of an initial or abbreviation ("G.I. Jane", "E.T.", "Dr. Strangelove")
        // belongs to the title, not the sentence.
        if c == '.'
            && tokens
                .last()
                .is_some_and(|t: &Token| is_abbreviation(&t.text))
            && touches_last_token(&tokens, byte)
        {
            k += 1;
            continue;
        }
        if let Some(p) = normalized_punct(c) {
            tokens.push(Token {
                text: p.to_string(),
                kind: TokenKind::Punct,
                start: byte,
                end: end_of(k + 1),
                after_hyphen: false,
            });
        }
        k += 1;
    }
    tokens
}

fn next_is_digit(chars: &[(usize, char)], k: usize) -> bool {
    chars.get(k + 1).is_some_and(|&(_, n)| n.is_ascii_digit())
}

fn push_word(
    tokens: &mut Vec<Token>,
    word: &str,
    had_apostrophe: bool,
    start: usize,
    end: usize,
    after_hyphen: bool,
) {
    let make = |text: &str, kind: TokenKind| Token {
        text: text.to_owned(),
        kind,
        start,
        end,
        after_hyphen,
    };
    let bare: String = word.chars().filter(|&c| c != '\'').collect();
    if bare.is_empty() {
        return;
    }
    if let Some(expansion) = expand_contraction(word, &bare, had_apostrophe) {
        for part in expansion {
            tokens.push(make(&part, TokenKind::Word));
        }
        return;
    }
    let is_number = bare.chars().all(|c| c.is_ascii_digit() || c == '.')
        && bare.chars().next().is_some_and(|c| c.is_ascii_digit());
    let kind = if is_number {
        TokenKind::Number
    } else {
        TokenKind::Word
    };
    tokens.push(make(&bare, kind));
}

fn expand_contraction(word: &str, bare: &str, had_apostrophe: bool) -> Option<Vec<String>> {
    if let Some(&(_, parts)) = CONTRACTIONS.iter().find(|(w, _)| *w == bare) {
        if had_apostrophe || !APOSTROPHE_ONLY.contains(&bare) {
            return Some(parts.iter().map(|p| (*p).to_owned()).collect());
        }
        return None;
    }
    if !had_apostrophe {
        return None;
    }
    // Generic suffixes, for forms the table does not list ("shouldn't've" aside).
    let suffixes: &[(&str, &str)] = &[
        ("n't", "not"),
        ("'ve", "have"),
        ("'re", "are"),
        ("'ll", "will"),
        ("'m", "am"),
    ];
    for (suffix, expansion) in suffixes {
        if let Some(stem) = word.strip_suffix(suffix) {
            if !stem.is_empty() && !stem.contains('\'') {
                return Some(vec![stem.to_owned(), (*expansion).to_owned()]);
            }
        }
    }
    None
}

/// Lowercase words of a phrase as the rules write it ("sci fi", "film noir").
pub(crate) fn phrase_words(phrase: &str) -> Vec<String> {
    tokenize(phrase)
        .into_iter()
        .filter(|t| !t.is_punct())
        .map(|t| t.text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn words_numbers_and_punctuation() {
        assert_eq!(
            texts("I loved Heat (1995)!"),
            ["i", "loved", "heat", "(", "1995", ")", "!"]
        );
        assert_eq!(texts("Alien: 8/10"), ["alien", ":", "8", "/", "10"]);
        assert_eq!(
            texts("Sally... was. Fun…"),
            ["sally", "…", "was", ".", "fun", "…"]
        );
        assert_eq!(texts("3.5 stars"), ["3.5", "stars"]);
        assert_eq!(tokenize("3.5")[0].kind, TokenKind::Number);
    }

    #[test]
    fn contractions_expand_with_or_without_apostrophe() {
        assert_eq!(texts("I didn't like it"), ["i", "did", "not", "like", "it"]);
        assert_eq!(
            texts("I don’t like westerns"),
            ["i", "do", "not", "like", "westerns"]
        );
        assert_eq!(texts("dont"), ["do", "not"]);
        assert_eq!(texts("I've seen it"), ["i", "have", "seen", "it"]);
        assert_eq!(texts("it's great"), ["it", "is", "great"]);
        assert_eq!(texts("I'd like"), ["i", "would", "like"]);
        assert_eq!(texts("the id"), ["the", "id"]);
    }

    #[test]
    fn apostrophes_inside_words_and_decades() {
        assert_eq!(texts("from the '80s"), ["from", "the", "80s"]);
        assert_eq!(texts("1980's"), ["1980s"]);
        assert_eq!(texts("Schindler's List"), ["schindlers", "list"]);
    }

    #[test]
    fn hyphens_join_quietly_and_spans_point_into_the_text() {
        let text = "some sci-fi, 1970-1979";
        let tokens = tokenize(text);
        let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["some", "sci", "fi", ",", "1970", "1979"]);
        assert!(tokens[2].after_hyphen);
        assert!(tokens[5].after_hyphen);
        assert_eq!(&text[tokens[1].start..tokens[2].end], "sci-fi");
    }

    #[test]
    fn emoji_and_odd_characters_are_dropped() {
        assert_eq!(texts("🍿 comedy 😂!!"), ["comedy", "!", "!"]);
        assert_eq!(texts("“Alien”"), ["\"", "alien", "\""]);
        assert!(tokenize("").is_empty());
        assert!(tokenize("\u{0}\u{200b}").is_empty());
    }
}
