//! The tantivy tokenizer for queries and snippets: the pipeline's own segmenter, so a
//! query is cut exactly as the indexed text was, with punctuation left out and ASCII
//! lowercased.

use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use voc_text::Segmenter;

/// Name the tokenizer is registered under in every contact index.
pub const TOKENIZER_NAME: &str = "voc_jieba";

/// Name of the tokenizer of the indexed text fields: their value is the pipeline's
/// stored tokens, already cut, in the form [`encode_tokens`] writes.
pub const TOKEN_LIST_NAME: &str = "voc_tokens";

/// Separates tokens in an encoded token list (ASCII unit separator; normalized text
/// has no control characters).
const TOKEN_SEPARATOR: char = '\u{1f}';
/// Separates turns (ASCII record separator); positions jump by [`TURN_POSITION_GAP`]
/// so a phrase never matches across two turns.
const TURN_SEPARATOR: char = '\u{1e}';
const TOKEN_SEPARATOR_BYTE: u8 = TOKEN_SEPARATOR as u8;
const TURN_SEPARATOR_BYTE: u8 = TURN_SEPARATOR as u8;
pub const TURN_POSITION_GAP: usize = 16;

/// Writes turns of tokens as one string for a field tokenized by [`TokenListTokenizer`]:
/// the text is segmented once, in the pipeline, and the index reuses the tokens.
///
/// Why a string and not tantivy's `PreTokenizedString`: tantivy's compact document
/// stores a pre-tokenized value as JSON and parses it again in the indexing thread,
/// which cost more than half of indexing.
pub fn encode_tokens<'a, T: AsRef<str> + 'a>(turns: impl Iterator<Item = &'a [T]>) -> String {
    encode_turns(turns.map(|tokens| tokens.iter().map(AsRef::as_ref)), 0)
}

/// [`encode_tokens`] over each turn's tokens as an iterator, such as the stored form
/// split by [`voc_core::stored_tokens`], into a string of `capacity` bytes to start with.
pub fn encode_turns<'a, W: Iterator<Item = &'a str>>(
    turns: impl Iterator<Item = W>,
    capacity: usize,
) -> String {
    let mut out = String::with_capacity(capacity);
    for (i, tokens) in turns.enumerate() {
        if i > 0 {
            out.push(TURN_SEPARATOR);
        }
        let mut first = true;
        for word in tokens {
            if voc_text::is_punctuation(word) || word.contains([TOKEN_SEPARATOR, TURN_SEPARATOR]) {
                continue;
            }
            if !first {
                out.push(TOKEN_SEPARATOR);
            }
            first = false;
            if word.bytes().any(|b| b.is_ascii_uppercase()) {
                out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
            } else {
                out.push_str(word);
            }
        }
    }
    out
}

/// Reads back what [`encode_tokens`] wrote, one token at a time into one reused
/// [`Token`]: the indexing threads run this over every token of a batch, and a list of
/// tokens, each with a text of its own, cost an allocation per token.
#[derive(Clone, Default)]
pub struct TokenListTokenizer {
    token: Token,
}

pub struct TokenListStream<'a> {
    text: &'a str,
    /// Byte offset of the next unread token (or separator).
    at: usize,
    /// Position of the next token.
    position: usize,
    token: &'a mut Token,
}

impl Tokenizer for TokenListTokenizer {
    type TokenStream<'a> = TokenListStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.token.reset();
        TokenListStream {
            text,
            at: 0,
            position: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for TokenListStream<'_> {
    fn advance(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        // Both separators are one byte; offsets are into the encoded string (the
        // fields are not stored, and snippets are cut from the stored body).
        while self.at < bytes.len() {
            match bytes[self.at] {
                TOKEN_SEPARATOR_BYTE => self.at += 1,
                TURN_SEPARATOR_BYTE => {
                    self.at += 1;
                    self.position += TURN_POSITION_GAP;
                }
                _ => {
                    let from = self.at;
                    let len = bytes[from..]
                        .iter()
                        .position(|&b| b == TOKEN_SEPARATOR_BYTE || b == TURN_SEPARATOR_BYTE)
                        .unwrap_or(bytes.len() - from);
                    self.at = from + len;
                    self.token.offset_from = from;
                    self.token.offset_to = from + len;
                    self.token.position = self.position;
                    self.token.position_length = 1;
                    self.token.text.clear();
                    self.token.text.push_str(&self.text[from..from + len]);
                    self.position += 1;
                    return true;
                }
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[derive(Clone)]
pub struct SegmenterTokenizer {
    segmenter: Arc<Segmenter>,
    tokens: Vec<Token>,
}

impl SegmenterTokenizer {
    pub fn new(segmenter: Arc<Segmenter>) -> Self {
        SegmenterTokenizer {
            segmenter,
            tokens: Vec::new(),
        }
    }
}

pub struct SegmenterTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for SegmenterTokenizer {
    type TokenStream<'a> = SegmenterTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.tokens.clear();
        let mut position = 0;
        for span in self.segmenter.cut_spans(text) {
            if voc_text::is_punctuation(span.word) {
                continue;
            }
            self.tokens.push(Token {
                offset_from: span.start,
                offset_to: span.end,
                position,
                text: index_term(span.word),
                position_length: 1,
            });
            position += 1;
        }
        SegmenterTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for SegmenterTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The indexed form of a token: ASCII lowercased (Chinese has no case).
pub fn index_term(word: &str) -> String {
    word.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lists_round_trip_with_turn_gaps() {
        let turns: Vec<Vec<String>> = vec![
            vec!["宽带".into(), "断网".into(), "，".into(), "WiFi".into()],
            // A token holding a separator would split or end a turn: left out.
            vec!["坏\u{1f}的".into(), "X\u{1e}".into()],
            vec![],
            vec!["好的".into()],
        ];
        let encoded = encode_tokens(turns.iter().map(Vec::as_slice));
        let mut tokenizer = TokenListTokenizer::default();
        let mut stream = tokenizer.token_stream(&encoded);
        let mut seen = Vec::new();
        while stream.advance() {
            let t = stream.token();
            assert_eq!(&encoded[t.offset_from..t.offset_to], t.text);
            seen.push((t.text.clone(), t.position));
        }
        let gap = TURN_POSITION_GAP;
        assert_eq!(
            seen,
            [
                ("宽带".to_string(), 0),
                ("断网".to_string(), 1),
                ("wifi".to_string(), 2),
                ("好的".to_string(), 3 + 3 * gap),
            ]
        );
    }
}
