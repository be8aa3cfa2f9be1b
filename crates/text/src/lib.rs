//! Chinese word segmentation for the pipeline, with domain user dictionaries and stop
//! words loaded once from paths given by configuration.
//!
//! The pipeline segments every turn exactly once with [`Segmenter::cut`]; the tokens are
//! stored on the enriched record and reused by classification, aggregation and the
//! index. The search index registers the same segmenter for queries, so a query is cut
//! the way the text was.
//!
//! ```
//! let seg = voc_text::Segmenter::builder().word("光猫", 2000).build().unwrap();
//! let tokens = seg.cut("光猫一直闪红灯，宽带断网了");
//! assert!(tokens.contains(&"光猫".to_string()));
//! assert!(!tokens.iter().any(|t| t.trim().is_empty()));
//! ```

use jieba_rs::Jieba;
use std::collections::HashSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("cannot read dictionary {path}: {source}")]
    ReadDictionary {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("dictionary {path} is malformed: {message}")]
    BadDictionary { path: PathBuf, message: String },
}

/// A configured jieba segmenter. Cheap to share behind an `Arc`; cutting takes `&self`.
pub struct Segmenter {
    jieba: Jieba,
    stopwords: HashSet<String>,
}

/// Collects dictionaries and words before the (expensive) jieba build happens once.
#[derive(Default)]
pub struct SegmenterBuilder {
    dictionaries: Vec<PathBuf>,
    stopword_files: Vec<PathBuf>,
    words: Vec<(String, usize)>,
}

impl SegmenterBuilder {
    /// A jieba user dictionary (`word [freq] [tag]` per line).
    pub fn dictionary(mut self, path: impl Into<PathBuf>) -> Self {
        self.dictionaries.push(path.into());
        self
    }

    /// A stop-word list, one word per line; stop words are kept in the token stream
    /// (negation and proximity need them) but [`Segmenter::is_stopword`] reports them.
    pub fn stopwords(mut self, path: impl Into<PathBuf>) -> Self {
        self.stopword_files.push(path.into());
        self
    }

    /// One extra word, e.g. a taxonomy term that must stay a single token.
    pub fn word(mut self, word: impl Into<String>, freq: usize) -> Self {
        self.words.push((word.into(), freq));
        self
    }

    pub fn build(self) -> Result<Segmenter, TextError> {
        let mut jieba = Jieba::new();
        for path in &self.dictionaries {
            let file = std::fs::File::open(path).map_err(|source| TextError::ReadDictionary {
                path: path.clone(),
                source,
            })?;
            jieba
                .load_dict(&mut BufReader::new(file))
                .map_err(|e| TextError::BadDictionary {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
        }
        for (word, freq) in &self.words {
            let word = word.trim();
            if !word.is_empty() {
                jieba.add_word(word, Some(*freq), None);
            }
        }
        let mut stopwords = HashSet::new();
        for path in &self.stopword_files {
            let text =
                std::fs::read_to_string(path).map_err(|source| TextError::ReadDictionary {
                    path: path.clone(),
                    source,
                })?;
            stopwords.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|w| !w.is_empty() && !w.starts_with('#'))
                    .map(str::to_string),
            );
        }
        Ok(Segmenter { jieba, stopwords })
    }
}

/// A token with its byte span in the text it was cut from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span<'a> {
    pub word: &'a str,
    pub start: usize,
    pub end: usize,
}

impl Segmenter {
    pub fn builder() -> SegmenterBuilder {
        SegmenterBuilder::default()
    }

    /// Tokens of `text`, whitespace dropped, punctuation kept (it marks clause
    /// boundaries for negation and proximity rules).
    pub fn cut(&self, text: &str) -> Vec<String> {
        self.cut_spans(text)
            .into_iter()
            .map(|s| s.word.to_string())
            .collect()
    }

    /// Tokens of `text` with byte offsets, whitespace dropped. Line breaks split the text
    /// first, so cutting a multi-line text equals cutting each line (turn) on its own.
    pub fn cut_spans<'a>(&self, text: &'a str) -> Vec<Span<'a>> {
        let mut out = Vec::with_capacity(text.len() / 4);
        let mut line_start = 0;
        for line in text.split('\n') {
            for token in self.jieba.cut(line, true) {
                if token.word.trim().is_empty() {
                    continue;
                }
                out.push(Span {
                    word: token.word,
                    start: line_start + token.byte_start,
                    end: line_start + token.byte_end,
                });
            }
            line_start += line.len() + 1;
        }
        out
    }

    pub fn is_stopword(&self, token: &str) -> bool {
        self.stopwords.contains(token)
    }
}

/// True for tokens made only of punctuation or symbols; the index leaves them out.
pub fn is_punctuation(token: &str) -> bool {
    token
        .chars()
        .all(|c| !c.is_alphanumeric() && !is_cjk_ideograph(c))
}

fn is_cjk_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Loads a segmenter from a folder's dictionaries, as the index stores them beside itself.
pub fn load_from_files(
    dictionaries: &[PathBuf],
    stopwords: Option<&Path>,
) -> Result<Segmenter, TextError> {
    let mut builder = Segmenter::builder();
    for path in dictionaries {
        builder = builder.dictionary(path);
    }
    if let Some(path) = stopwords {
        builder = builder.stopwords(path);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_back_into_multiline_text() {
        let seg = Segmenter::builder().build().unwrap();
        let text = "你好，很高兴为您服务\n我家宽带 断网了";
        for span in seg.cut_spans(text) {
            assert_eq!(&text[span.start..span.end], span.word);
        }
        let joined: Vec<String> = text.lines().flat_map(|l| seg.cut(l)).collect();
        assert_eq!(seg.cut(text), joined);
    }

    #[test]
    fn user_words_stay_whole() {
        let seg = Segmenter::builder().word("视频彩铃", 5000).build().unwrap();
        assert!(
            seg.cut("给我开通了视频彩铃")
                .contains(&"视频彩铃".to_string())
        );
    }

    #[test]
    fn punctuation_is_recognised() {
        assert!(is_punctuation("，"));
        assert!(is_punctuation("!?"));
        assert!(!is_punctuation("断网"));
        assert!(!is_punctuation("5G"));
    }

    #[test]
    fn missing_dictionary_is_a_clear_error() {
        let err = Segmenter::builder()
            .dictionary("/nonexistent/dict.txt")
            .build()
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nonexistent/dict.txt"));
    }
}
