//! Text normalization (full-width, invisible characters, Traditional → Simplified) and
//! Chinese word segmentation for the pipeline, with domain user dictionaries and stop
//! words loaded once from paths given by configuration.
//!
//! The pipeline segments every turn exactly once with [`Segmenter::cut`]; the tokens are
//! stored on the enriched record and reused by classification, aggregation and the
//! index. The search index registers the same segmenter for queries, so a query is cut
//! the way the text was.
//!
//! ```
//! let seg = voc_text::Segmenter::builder().word("光猫").build().unwrap();
//! let tokens = seg.cut("光猫一直闪红灯，宽带断网了");
//! assert!(tokens.iter().any(|t| t == "光猫"));
//! assert!(!tokens.iter().any(|t| t.trim().is_empty()));
//! ```

pub mod normalize;

use jieba_rs::Jieba;
use std::collections::HashSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use voc_core::Token;

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
    hmm: bool,
}

/// Collects dictionaries and words before the (expensive) jieba build happens once.
/// It can be saved beside an index and loaded again, so queries are cut with exactly
/// the dictionary the text was cut with.
#[derive(Debug, Clone, Default)]
pub struct SegmenterBuilder {
    /// Contents of user dictionaries (`word [freq] [tag]` per line), in load order.
    dictionaries: Vec<String>,
    stopwords: Vec<String>,
    /// Extra words (e.g. taxonomy terms) that must stay single tokens.
    words: Vec<String>,
    /// jieba's HMM guesses words missing from the dictionaries; on unless turned off.
    without_hmm: bool,
}

/// File names used by [`SegmenterBuilder::save`] and [`SegmenterBuilder::load`].
pub const SAVED_DICTIONARY: &str = "voc-userdict.txt";
pub const SAVED_WORDS: &str = "voc-words.txt";
/// The segmenter's settings (`hmm = true|false`); a folder saved before it existed
/// cut with the HMM on.
pub const SAVED_SETTINGS: &str = "voc-segmenter.txt";

impl SegmenterBuilder {
    /// A jieba user dictionary file (`word [freq] [tag]` per line).
    pub fn dictionary(mut self, path: impl AsRef<Path>) -> Result<Self, TextError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TextError::ReadDictionary {
            path: path.to_path_buf(),
            source,
        })?;
        check_dictionary(&text, path)?;
        self.dictionaries.push(text);
        Ok(self)
    }

    /// A stop-word list, one word per line; stop words are kept in the token stream
    /// (negation and proximity need them) but [`Segmenter::is_stopword`] reports them.
    pub fn stopwords(mut self, path: impl AsRef<Path>) -> Result<Self, TextError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TextError::ReadDictionary {
            path: path.to_path_buf(),
            source,
        })?;
        self.stopwords.extend(
            text.lines()
                .map(str::trim)
                .filter(|w| !w.is_empty() && !w.starts_with('#'))
                .map(str::to_string),
        );
        Ok(self)
    }

    /// One extra word that must stay a single token, with a frequency jieba derives.
    pub fn word(mut self, word: impl Into<String>) -> Self {
        let word = word.into();
        let word = word.trim();
        if !word.is_empty() && !word.contains(char::is_whitespace) {
            self.words.push(word.to_string());
        }
        self
    }

    /// Whether jieba's HMM cuts runs of characters the dictionaries do not know (on by
    /// default). Off, such runs fall into single characters or dictionary words: more
    /// predictable for dictionary work, and on the SIGHAN 2005 PKU test set jieba scored
    /// F1 0.836 without it against 0.819 with it.
    pub fn hmm(mut self, on: bool) -> Self {
        self.without_hmm = !on;
        self
    }

    /// Writes the dictionaries, words and settings into `dir` for [`SegmenterBuilder::load`].
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        voc_core::fsutil::write_atomic(
            &dir.join(SAVED_DICTIONARY),
            self.dictionaries.join("\n").as_bytes(),
        )?;
        voc_core::fsutil::write_atomic(&dir.join(SAVED_WORDS), self.words.join("\n").as_bytes())?;
        voc_core::fsutil::write_atomic(
            &dir.join(SAVED_SETTINGS),
            format!("hmm = {}\n", !self.without_hmm).as_bytes(),
        )
    }

    /// Reads what [`SegmenterBuilder::save`] wrote.
    pub fn load(dir: &Path) -> Result<Self, TextError> {
        let mut builder = SegmenterBuilder::default().dictionary(dir.join(SAVED_DICTIONARY))?;
        let words_path = dir.join(SAVED_WORDS);
        let words =
            std::fs::read_to_string(&words_path).map_err(|source| TextError::ReadDictionary {
                path: words_path,
                source,
            })?;
        for word in words.lines() {
            builder = builder.word(word);
        }
        let settings_path = dir.join(SAVED_SETTINGS);
        if let Ok(settings) = std::fs::read_to_string(&settings_path) {
            builder.without_hmm = settings
                .lines()
                .any(|l| l.split_whitespace().collect::<String>() == "hmm=false");
        }
        Ok(builder)
    }

    pub fn build(&self) -> Result<Segmenter, TextError> {
        let mut jieba = Jieba::new();
        for text in &self.dictionaries {
            jieba
                .load_dict(&mut BufReader::new(text.as_bytes()))
                .map_err(|e| TextError::BadDictionary {
                    path: PathBuf::from("<dictionary>"),
                    message: e.to_string(),
                })?;
        }
        for word in &self.words {
            if !jieba.has_word(word) {
                jieba.add_word(word, None, None);
            }
        }
        Ok(Segmenter {
            jieba,
            stopwords: self.stopwords.iter().cloned().collect(),
            hmm: !self.without_hmm,
        })
    }
}

/// Reports the first malformed line (a frequency that is not a number) with its number.
fn check_dictionary(text: &str, path: &Path) -> Result<(), TextError> {
    for (i, line) in text.lines().enumerate() {
        let mut parts = line.split_whitespace();
        let (Some(_word), Some(freq)) = (parts.next(), parts.next()) else {
            continue;
        };
        if freq.parse::<usize>().is_err() {
            return Err(TextError::BadDictionary {
                path: path.to_path_buf(),
                message: format!("line {}: frequency {freq:?} is not a whole number", i + 1),
            });
        }
    }
    Ok(())
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
    pub fn cut(&self, text: &str) -> Vec<Token> {
        let mut out = Vec::with_capacity(text.len() / 4);
        out.extend(self.spans(text).map(|s| Token::from(s.word)));
        out
    }

    /// Tokens of `text` with byte offsets, whitespace dropped. Line breaks split the text
    /// first, so cutting a multi-line text equals cutting each line (turn) on its own.
    pub fn cut_spans<'a>(&self, text: &'a str) -> Vec<Span<'a>> {
        let mut out = Vec::with_capacity(text.len() / 4);
        out.extend(self.spans(text));
        out
    }

    /// What `cut` and `cut_spans` collect, without a list in between.
    fn spans<'a>(&self, text: &'a str) -> impl Iterator<Item = Span<'a>> {
        text.split('\n').flat_map(move |line| {
            // `split` yields slices of `text`: the line's offset is where it starts.
            let line_start = line.as_ptr() as usize - text.as_ptr() as usize;
            self.jieba
                .cut(line, self.hmm)
                .into_iter()
                .filter(|token| !token.word.trim().is_empty())
                .map(move |token| Span {
                    word: token.word,
                    start: line_start + token.byte_start,
                    end: line_start + token.byte_end,
                })
        })
    }

    /// Whether jieba's HMM guesses unknown words (see [`SegmenterBuilder::hmm`]).
    pub fn uses_hmm(&self) -> bool {
        self.hmm
    }

    pub fn is_stopword(&self, token: &str) -> bool {
        self.stopwords.contains(token)
    }

    /// A fingerprint of the stop-word list, naming it in what is computed with it.
    pub fn stopwords_fingerprint(&self) -> String {
        let mut words: Vec<&str> = self.stopwords.iter().map(String::as_str).collect();
        words.sort_unstable();
        voc_core::fingerprint::of_bytes(words.join("\n").as_bytes())
    }
}

/// True for tokens made only of punctuation or symbols; the index leaves them out.
pub fn is_punctuation(token: &str) -> bool {
    !token.chars().any(voc_core::chars::is_word_char)
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
        let joined: Vec<Token> = text.lines().flat_map(|l| seg.cut(l)).collect();
        assert_eq!(seg.cut(text), joined);
        // `cut` gives the words of `cut_spans`, whitespace dropped the same way.
        let words: Vec<&str> = seg.cut_spans(text).iter().map(|s| s.word).collect();
        assert_eq!(seg.cut(text), words);
        assert!(!words.iter().any(|w| w.trim().is_empty()));
    }

    #[test]
    fn user_words_stay_whole() {
        let seg = Segmenter::builder().word("视频彩铃").build().unwrap();
        assert!(
            seg.cut("给我开通了视频彩铃")
                .contains(&Token::from("视频彩铃"))
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
    fn dictionary_errors_name_file_and_line() {
        let err = Segmenter::builder()
            .dictionary("/nonexistent/dict.txt")
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nonexistent/dict.txt"));
        let dir = std::env::temp_dir().join(format!("voc-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bad.txt"), "光猫 2000 n\n宽带 很多 n\n").unwrap();
        let err = Segmenter::builder()
            .dictionary(dir.join("bad.txt"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("line 2"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hmm_setting_is_kept_when_saved() {
        // jieba's own example: the HMM joins the unknown 杭研, the dictionary alone does not.
        let text = "他来到了网易杭研大厦";
        let with = Segmenter::builder().build().unwrap();
        let builder = Segmenter::builder().hmm(false);
        let without = builder.build().unwrap();
        assert!(with.uses_hmm() && !without.uses_hmm());
        assert!(with.cut(text).contains(&Token::from("杭研")));
        assert!(!without.cut(text).contains(&Token::from("杭研")));
        let dir = std::env::temp_dir().join(format!("voc-text-hmm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        builder.save(&dir).unwrap();
        let loaded = SegmenterBuilder::load(&dir).unwrap().build().unwrap();
        assert_eq!(loaded.cut(text), without.cut(text));
        // A folder saved before the setting existed cut with the HMM on.
        std::fs::remove_file(dir.join(SAVED_SETTINGS)).unwrap();
        assert!(
            SegmenterBuilder::load(&dir)
                .unwrap()
                .build()
                .unwrap()
                .uses_hmm()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn saved_builder_cuts_the_same() {
        let dir = std::env::temp_dir().join(format!("voc-text-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("d.txt"), "光猫 2000 n\n").unwrap();
        let builder = Segmenter::builder()
            .dictionary(dir.join("d.txt"))
            .unwrap()
            .word("闪红灯");
        builder.save(&dir).unwrap();
        let text = "光猫一直闪红灯";
        let loaded = SegmenterBuilder::load(&dir).unwrap().build().unwrap();
        assert_eq!(builder.build().unwrap().cut(text), loaded.cut(text));
        assert!(loaded.cut(text).contains(&Token::from("闪红灯")));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
