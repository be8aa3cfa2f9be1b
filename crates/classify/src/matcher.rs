//! Finding rule terms in tokenized turns, fast enough to re-tag a million stored
//! contacts.
//!
//! A term matches a run of whole tokens whose concatenation equals the term. So the
//! match never starts or ends inside a token (`满意` is not found in the token `不满意`),
//! yet it does not depend on how the segmenter cut the term itself: `宽带断网` is found
//! whether the text was cut `宽带|断网` or `宽带断网`. That is what lets `voc retag`
//! apply new terms to tokens cut months ago with an older dictionary.
//!
//! Each turn is scanned once for all terms: at every token a hash lookup tells whether
//! the token starts any term; only then are following tokens appended.

use std::collections::HashMap;
use voc_core::Token;

pub use voc_core::hash::{FxBuild, FxHasher};

/// Words that negate a term standing right after them in the same clause.
pub const NEGATIONS: &[&str] = &[
    "不",
    "没",
    "没有",
    "未",
    "无",
    "别",
    "不是",
    "并没有",
    "并未",
    "从没",
    "从来没有",
    "从未",
    "不会",
    "不再",
    "没能",
    "未能",
    "无法",
];
/// How many tokens before a term a negation may stand (`没有 断网`, `没 再 断网`).
pub const NEGATION_WINDOW: usize = 2;

/// Tokens that end a clause: a negation never reaches across them.
pub fn is_clause_break(token: &str) -> bool {
    matches!(
        token,
        "，" | "。"
            | "！"
            | "？"
            | "；"
            | "、"
            | ","
            | "."
            | "!"
            | "?"
            | ";"
            | "但是"
            | "可是"
            | "不过"
            | "但"
    )
}

/// Whether a negation word stands within [`NEGATION_WINDOW`] tokens before `at`.
pub fn negated(tokens: &[Token], at: usize) -> bool {
    tokens[at.saturating_sub(NEGATION_WINDOW)..at]
        .iter()
        .rev()
        .take_while(|t| !is_clause_break(t))
        .any(|t| NEGATIONS.contains(&t.as_str()))
}

/// One occurrence of a term: turn index and token range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    pub term: u32,
    pub turn: u32,
    pub start: u32,
    pub end: u32,
    /// A negation word stands right before it (see [`negated`]).
    pub negated: bool,
}

/// What a string is to the dictionary: a term, a proper prefix of a longer term, or both.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// `u32::MAX`: not a term itself.
    id: u32,
    prefix: bool,
}

/// Characters below this code point are looked up in a bitmap before any hashing; it
/// covers the CJK blocks where every Chinese term starts.
const FIRST_CHAR_LIMIT: u32 = 0x3_0000;

/// A dictionary of terms (normalized phrases) with their ids.
#[derive(Debug, Clone, Default)]
pub struct TermDict {
    /// Terms and their proper prefixes, in one map so each step of a scan is one lookup.
    entries: HashMap<String, Entry, FxBuild>,
    /// Term → id, for interning.
    index: HashMap<String, u32, FxBuild>,
    texts: Vec<String>,
    /// Bit per character that starts a term: most tokens start no term and are skipped
    /// without hashing.
    first_chars: Vec<u64>,
    /// Terms contained in another term, recorded with it when it matches as a single
    /// token (`断网` inside a token `宽带断网` that the segmenter kept whole).
    implies: Vec<Vec<u32>>,
    max_len: usize,
}

impl TermDict {
    /// Id of `phrase` (already normalized), adding it if new.
    pub fn intern(&mut self, phrase: &str) -> u32 {
        if let Some(&id) = self.index.get(phrase) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(phrase.to_string());
        self.index.insert(phrase.to_string(), id);
        id
    }

    pub fn id(&self, phrase: &str) -> Option<u32> {
        self.entries
            .get(phrase)
            .filter(|e| e.id != u32::MAX)
            .map(|e| e.id)
    }

    pub fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Builds the lookup structures and the containment links; call after the last
    /// `intern` (and again after interning more).
    pub fn finish(&mut self) {
        self.entries.clear();
        self.max_len = 0;
        self.first_chars = vec![0; (FIRST_CHAR_LIMIT / 64) as usize];
        for (id, text) in self.texts.iter().enumerate() {
            self.max_len = self.max_len.max(text.len());
            if let Some(c) = text.chars().next() {
                let code = c as u32;
                if code < FIRST_CHAR_LIMIT {
                    self.first_chars[(code / 64) as usize] |= 1 << (code % 64);
                }
            }
            self.entries
                .entry(text.clone())
                .or_insert(Entry {
                    id: u32::MAX,
                    prefix: false,
                })
                .id = id as u32;
            for (i, _) in text.char_indices().skip(1) {
                self.entries
                    .entry(text[..i].to_string())
                    .or_insert(Entry {
                        id: u32::MAX,
                        prefix: false,
                    })
                    .prefix = true;
            }
        }
        self.implies = self
            .texts
            .iter()
            .map(|outer| {
                self.texts
                    .iter()
                    .enumerate()
                    .filter(|(_, inner)| {
                        inner.len() < outer.len()
                            && outer
                                .match_indices(inner.as_str())
                                .any(|(at, _)| !ends_with_negation(&outer[..at]))
                    })
                    .map(|(id, _)| id as u32)
                    .collect()
            })
            .collect();
    }

    /// Whether some term may start with `token` (false means certainly not).
    #[inline]
    fn may_start(&self, token: &str) -> bool {
        let Some(c) = token.chars().next() else {
            return false;
        };
        let code = c.to_ascii_lowercase() as u32;
        code >= FIRST_CHAR_LIMIT || self.first_chars[(code / 64) as usize] & (1 << (code % 64)) != 0
    }

    /// Appends every occurrence of every term in `tokens` (the tokens of turn `turn`).
    pub fn scan(&self, turn: usize, tokens: &[Token], out: &mut Vec<Occurrence>) {
        if self.texts.is_empty() {
            return;
        }
        let mut buf = String::with_capacity(self.max_len + 8);
        for i in 0..tokens.len() {
            if !self.may_start(&tokens[i]) {
                continue;
            }
            buf.clear();
            let mut neg: Option<bool> = None;
            for (j, token) in tokens.iter().enumerate().skip(i) {
                push_lower(&mut buf, token);
                if buf.len() > self.max_len {
                    break;
                }
                let Some(entry) = self.entries.get(buf.as_str()) else {
                    break;
                };
                if entry.id != u32::MAX {
                    let id = entry.id;
                    let negated = *neg.get_or_insert_with(|| negated(tokens, i));
                    let occ = Occurrence {
                        term: id,
                        turn: turn as u32,
                        start: i as u32,
                        end: (j + 1) as u32,
                        negated,
                    };
                    out.push(occ);
                    // Over several tokens the contained terms are found on their own
                    // boundaries; inside one token they are not.
                    if j == i {
                        for &inner in &self.implies[id as usize] {
                            out.push(Occurrence { term: inner, ..occ });
                        }
                    }
                }
                if !entry.prefix {
                    break;
                }
            }
        }
    }
}

/// A term `不满意` contains `满意`, but saying it is not saying `满意`.
fn ends_with_negation(prefix: &str) -> bool {
    NEGATIONS.iter().any(|n| prefix.ends_with(n))
}

#[inline]
fn push_lower(buf: &mut String, token: &str) {
    if token.bytes().any(|b| b.is_ascii_uppercase()) {
        buf.extend(token.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        buf.push_str(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token> {
        s.split('|').map(Token::from).collect()
    }

    fn dict(terms: &[&str]) -> TermDict {
        let mut d = TermDict::default();
        for t in terms {
            d.intern(t);
        }
        d.finish();
        d
    }

    fn found(d: &TermDict, tokens: &str) -> Vec<(String, u32, u32, bool)> {
        let mut out = Vec::new();
        d.scan(0, &toks(tokens), &mut out);
        out.sort();
        out.iter()
            .map(|o| (d.text(o.term).to_string(), o.start, o.end, o.negated))
            .collect()
    }

    #[test]
    fn matches_on_token_boundaries_only() {
        let d = dict(&["满意", "宽带断网", "断网", "wifi"]);
        assert_eq!(found(&d, "我|很|不满意"), vec![]);
        assert_eq!(
            found(&d, "宽带|断网|了"),
            vec![
                ("宽带断网".to_string(), 0, 2, false),
                ("断网".to_string(), 1, 2, false)
            ]
        );
        // Kept whole by the segmenter: 断网 is implied by the longer term.
        assert_eq!(
            found(&d, "宽带断网"),
            vec![
                ("宽带断网".to_string(), 0, 1, false),
                ("断网".to_string(), 0, 1, false)
            ]
        );
        assert_eq!(
            found(&d, "连|WiFi"),
            vec![("wifi".to_string(), 1, 2, false)]
        );
    }

    #[test]
    fn negation_stops_at_clause_breaks() {
        let d = dict(&["断网"]);
        assert_eq!(
            found(&d, "没有|断网"),
            vec![("断网".to_string(), 1, 2, true)]
        );
        assert_eq!(
            found(&d, "没|再|断网"),
            vec![("断网".to_string(), 2, 3, true)]
        );
        assert_eq!(
            found(&d, "没有|，|断网"),
            vec![("断网".to_string(), 2, 3, false)]
        );
        assert_eq!(
            found(&d, "不|知道|为什么|断网"),
            vec![("断网".to_string(), 3, 4, false)]
        );
    }

    #[test]
    fn negated_containment_is_not_implied() {
        let d = dict(&["满意", "不满意"]);
        assert_eq!(
            found(&d, "不满意"),
            vec![("不满意".to_string(), 0, 1, false)]
        );
    }
}
