//! The tantivy tokenizer for queries and snippets: the pipeline's own segmenter, so a
//! query is cut exactly as the indexed text was, with punctuation left out and ASCII
//! lowercased.

use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use voc_text::Segmenter;

/// Name the tokenizer is registered under in every contact index.
pub const TOKENIZER_NAME: &str = "voc_jieba";

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
