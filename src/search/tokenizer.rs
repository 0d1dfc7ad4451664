//! The tokenizer of search: the one rule by which text becomes *tokens*, at build time here and
//! at query time in `static/search.js` (a test runs both over the same strings and compares).
//!
//! - Every character is *folded* first: full-width ASCII forms (`ＶＰＮ`, `＃`, `１２`) become
//!   their half-width selves, the ideographic space a space, and `A`–`Z` lower case.
//! - A run of *word* characters (`a`–`z`, `0`–`9`, and the Latin letters U+00C0–U+024F except
//!   `×` and `÷`) is one token: `vpn`, `2026`.
//! - Every *CJK* character (Han, kana, hangul, `〇`) is a token of its own, and so is every pair
//!   of neighbouring CJK characters (a *bigram*): `采集码` → `采`, `集`, `码`, `采集`, `集码`.
//!   Chinese is not segmented into words: bigrams find a phrase without a dictionary, and single
//!   characters make one-character queries and scattered characters work.
//! - Everything else (spaces, punctuation, symbols, emoji) separates tokens and is no token.
//!
//! Traditional and simplified characters are not folded into each other: no well-kept crate
//! does it in a table small enough to ship to the browser as well.
//!
//! A token's *shard* is [`hash`] of its characters (FNV-1a over code points), so the browser
//! finds the file a token lives in without a table.

/// What a token is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A run of word characters.
    Word,
    /// One CJK character.
    Char,
    /// Two neighbouring CJK characters.
    Bigram,
}

impl Kind {
    /// The letter the JavaScript tokenizer uses for it (`w`, `c`, `b`).
    pub fn letter(self) -> char {
        match self {
            Kind::Word => 'w',
            Kind::Char => 'c',
            Kind::Bigram => 'b',
        }
    }
}

/// A character as search sees it: full-width forms half-width, ASCII letters lower case.
pub fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => fold(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
        '\u{3000}' => ' ',
        'A'..='Z' => c.to_ascii_lowercase(),
        _ => c,
    }
}

fn is_word(c: char) -> bool {
    matches!(c, 'a'..='z' | '0'..='9' | '\u{C0}'..='\u{24F}') && c != '\u{D7}' && c != '\u{F7}'
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}')
}

/// A token as [`each`] finds it, before it is spelled out as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// A run of word characters, folded.
    Word(&'a str),
    /// One CJK character.
    Char(char),
    /// Two neighbouring CJK characters.
    Bigram(char, char),
}

impl Token<'_> {
    pub fn kind(&self) -> Kind {
        match self {
            Token::Word(_) => Kind::Word,
            Token::Char(_) => Kind::Char,
            Token::Bigram(..) => Kind::Bigram,
        }
    }

    /// [`hash`] of the token's characters, without spelling it out.
    pub fn hash(&self) -> u32 {
        match *self {
            Token::Word(w) => hash(w),
            Token::Char(c) => step(OFFSET, c),
            Token::Bigram(a, b) => step(step(OFFSET, a), b),
        }
    }
}

/// Calls `f` with every token of `text`, in order (a CJK character before the bigram it ends).
pub fn each(text: &str, mut f: impl FnMut(Token<'_>)) {
    let mut word = String::new();
    let mut prev: Option<char> = None;
    for c in text.chars().map(fold) {
        if is_word(c) {
            word.push(c);
            prev = None;
            continue;
        }
        if !word.is_empty() {
            f(Token::Word(&word));
            word.clear();
        }
        if is_cjk(c) {
            f(Token::Char(c));
            if let Some(p) = prev {
                f(Token::Bigram(p, c));
            }
            prev = Some(c);
        } else {
            prev = None;
        }
    }
    if !word.is_empty() {
        f(Token::Word(&word));
    }
}

/// Calls `f` with every token of `text` as a string, in order (see [`each`]).
pub fn tokens(text: &str, mut f: impl FnMut(&str, Kind)) {
    let mut buf = [0u8; 8];
    each(text, |t| match t {
        Token::Word(w) => f(w, Kind::Word),
        Token::Char(c) => f(c.encode_utf8(&mut buf), Kind::Char),
        Token::Bigram(a, b) => {
            let n = a.len_utf8();
            a.encode_utf8(&mut buf);
            b.encode_utf8(&mut buf[n..]);
            f(
                std::str::from_utf8(&buf[..n + b.len_utf8()]).unwrap_or_default(),
                Kind::Bigram,
            )
        }
    });
}

const OFFSET: u32 = 0x811C_9DC5;

fn step(h: u32, c: char) -> u32 {
    (h ^ c as u32).wrapping_mul(0x0100_0193)
}

/// FNV-1a (32 bits) over the code points of `token`: which shard holds it is `hash % shards`.
pub fn hash(token: &str) -> u32 {
    token.chars().fold(OFFSET, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        let mut v = Vec::new();
        tokens(text, |t, k| v.push(format!("{}:{t}", k.letter())));
        v
    }

    #[test]
    fn cjk_gives_characters_and_bigrams_ascii_words_lower_case() {
        assert_eq!(
            all("采集码 VPN客户端"),
            [
                "c:采", "c:集", "b:采集", "c:码", "b:集码", "w:vpn", "c:客", "c:户", "b:客户",
                "c:端", "b:户端"
            ]
        );
    }

    #[test]
    fn full_width_forms_fold_to_half_width() {
        assert_eq!(all("ＶＰＮ"), all("vpn"));
        assert_eq!(all("第１２步"), ["c:第", "w:12", "c:步"]);
        assert_eq!(fold('＃'), '#');
        assert_eq!(fold('\u{3000}'), ' ');
    }

    #[test]
    fn punctuation_and_spaces_separate_and_break_bigrams() {
        assert_eq!(all("学信，网"), ["c:学", "c:信", "b:学信", "c:网"]);
        assert_eq!(all("“”！？ -- ·"), Vec::<String>::new());
        assert_eq!(all("a.b_c"), ["w:a", "w:b", "w:c"]);
    }

    #[test]
    fn characters_outside_the_basic_plane_are_cjk_when_han() {
        assert_eq!(all("𠀀字"), ["c:𠀀", "c:字", "b:𠀀字"]);
        assert_eq!(all("😀好"), ["c:好"]);
    }

    #[test]
    fn the_hash_is_fnv_1a_over_code_points() {
        assert_eq!(hash(""), 0x811C_9DC5);
        // FNV-1a of the single byte "a"
        assert_eq!(hash("a"), 0xE40C_292C);
    }

    #[test]
    fn a_token_s_hash_is_the_hash_of_its_string() {
        each("采集码 VPN客户端𠀀字", |t| {
            let mut s = String::new();
            match t {
                Token::Word(w) => s.push_str(w),
                Token::Char(c) => s.push(c),
                Token::Bigram(a, b) => {
                    s.push(a);
                    s.push(b)
                }
            }
            assert_eq!(t.hash(), hash(&s), "{t:?}");
        });
    }
}
