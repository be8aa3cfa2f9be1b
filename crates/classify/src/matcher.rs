//! Finding rule terms in tokenized turns, fast enough to re-tag a million stored
//! contacts.
//!
//! Whether a term matches depends only on the term, its form and the turn's tokens (cut
//! by the segmenter with the pipeline's user dictionaries — never with other rule
//! terms), so an edit to one category cannot change what another matches. Four forms:
//!
//! | written | [`Form`] | matches where the term's characters … |
//! | --- | --- | --- |
//! | `断网` | `Word` | start at a token start and end at a token end: one or more whole tokens |
//! | `操控*` | `Prefix` | start at a token start (`操控性`, `操控 | 很好`) |
//! | `*异响` | `Suffix` | end at a token end (`底盘异响`) |
//! | `*退款*` | `Substring` | occur anywhere in the turn's text (`申请退款中`) |
//!
//! A `Word` term does not depend on how the segmenter cut the term itself: `宽带断网` is
//! found whether the text was cut `宽带|断网` or `宽带断网`; but `满意` is not found in the
//! token `不满意`, nor `退` in the token `退货`. Matching is by characters of the turn's
//! tokens (ASCII lower-cased). `Word` and `Prefix` terms start at a token start, so they
//! are walked in a character trie from the token starts whose first character begins
//! some term (most do not: a bitmap test); `Suffix` and `Substring` terms need one
//! Aho-Corasick pass over the joined text, run only when the taxonomy has such terms.
//! (aho-corasick has no anchored overlapping search, which the trie stands in for.)

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::cell::RefCell;
use std::collections::HashMap;
use voc_core::Token;

pub use crate::negation::{NEGATION_WINDOW, Negation, is_clause_break};
pub use voc_core::hash::{FxBuild, FxHasher};

/// Where a term may start and end relative to the turn's tokens (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Form {
    /// Whole tokens: starts at a token start, ends at a token end.
    #[default]
    Word,
    /// `操控*`: starts at a token start.
    Prefix,
    /// `*异响`: ends at a token end.
    Suffix,
    /// `*退款*`: anywhere.
    Substring,
}

impl Form {
    /// The term as written in a rule: `操控*`, `*异响`, `*退款*`.
    pub fn written(self, text: &str) -> String {
        match self {
            Form::Word => text.to_string(),
            Form::Prefix => format!("{text}*"),
            Form::Suffix => format!("*{text}"),
            Form::Substring => format!("*{text}*"),
        }
    }

    fn accepts(self, starts_token: bool, ends_token: bool) -> bool {
        match self {
            Form::Word => starts_token && ends_token,
            Form::Prefix => starts_token,
            Form::Suffix => ends_token,
            Form::Substring => true,
        }
    }
}

/// One occurrence of a term: turn index and token range `[start, end)` of the tokens
/// the term's characters touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    pub term: u32,
    pub turn: u32,
    pub start: u32,
    pub end: u32,
    /// The negation cue before it in its clause, if any (see [`crate::negation`]).
    pub negation: Negation,
}

/// A dictionary of terms (normalized phrase and form) with their ids.
#[derive(Debug, Clone, Default)]
pub struct TermDict {
    /// (text, form) → id, for interning.
    index: HashMap<(String, Form), u32, FxBuild>,
    terms: Vec<(String, Form)>,
    /// `Word` and `Prefix` terms, walked from token starts.
    anchored: CharTrie,
    /// `Suffix` and `Substring` terms, found anywhere in the joined text.
    unanchored: Patterns,
    /// Every term anywhere, for the near misses of `Word` terms inside tokens (`explain`).
    all: Patterns,
}

/// An Aho-Corasick automaton over distinct term texts and, per pattern, the terms with
/// that text (one per form).
#[derive(Debug, Clone, Default)]
struct Patterns {
    automaton: Option<AhoCorasick>,
    terms: Vec<Vec<(Form, u32)>>,
}

impl Patterns {
    fn new<'a>(terms: impl Iterator<Item = (u32, &'a str, Form)>) -> Patterns {
        let mut patterns: Vec<&str> = Vec::new();
        let mut pattern_of: HashMap<&str, usize, FxBuild> = HashMap::default();
        let mut pattern_terms: Vec<Vec<(Form, u32)>> = Vec::new();
        for (id, text, form) in terms {
            if text.is_empty() {
                continue;
            }
            let p = *pattern_of.entry(text).or_insert_with(|| {
                patterns.push(text);
                pattern_terms.push(Vec::new());
                patterns.len() - 1
            });
            pattern_terms[p].push((form, id));
        }
        if patterns.is_empty() {
            return Patterns::default();
        }
        // Overlapping search needs the standard match kind; a DFA is fastest to run and
        // the term lists are small (thousands at most).
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .or_else(|_| AhoCorasick::builder().build(&patterns))
            .ok();
        Patterns {
            automaton,
            terms: pattern_terms,
        }
    }
}

/// A character trie of the anchored (`Word`, `Prefix`) terms.
#[derive(Debug, Clone, Default)]
struct CharTrie {
    /// (node, character) → child node; node 0 is the root.
    edges: HashMap<(u32, char), u32, FxBuild>,
    /// Per node, the terms that end there.
    ends: Vec<Vec<(Form, u32)>>,
    /// Bit per Basic Multilingual Plane character that begins some term: the test most
    /// token starts fail.
    first: Vec<u64>,
    /// Whether some term begins with a character outside that plane.
    first_astral: bool,
}

impl CharTrie {
    fn new<'a>(terms: impl Iterator<Item = (u32, &'a str, Form)>) -> CharTrie {
        let mut trie = CharTrie {
            ends: vec![Vec::new()],
            first: vec![0; 1 << 10],
            ..CharTrie::default()
        };
        for (id, text, form) in terms {
            let Some(c) = text.chars().next() else {
                continue;
            };
            match u16::try_from(u32::from(c)) {
                Ok(b) => trie.first[usize::from(b >> 6)] |= 1 << (b & 63),
                Err(_) => trie.first_astral = true,
            }
            let mut node = 0;
            for c in text.chars() {
                let next = trie.ends.len() as u32;
                node = *trie.edges.entry((node, c)).or_insert(next);
                if node == next {
                    trie.ends.push(Vec::new());
                }
            }
            trie.ends[node as usize].push((form, id));
        }
        trie
    }

    fn may_start(&self, c: char) -> bool {
        match u16::try_from(u32::from(c)) {
            Ok(b) => self.first[usize::from(b >> 6)] & (1 << (b & 63)) != 0,
            Err(_) => self.first_astral,
        }
    }
}

thread_local! {
    /// The turn's joined text and token starts, reused between turns.
    static SCRATCH: RefCell<(String, Vec<u32>)> = const { RefCell::new((String::new(), Vec::new())) };
}

impl TermDict {
    /// Id of `phrase` (already normalized) in `form`, adding it if new.
    pub fn intern(&mut self, phrase: &str, form: Form) -> u32 {
        if let Some(&id) = self.index.get(&(phrase.to_string(), form)) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.terms.push((phrase.to_string(), form));
        self.index.insert((phrase.to_string(), form), id);
        id
    }

    pub fn id(&self, phrase: &str, form: Form) -> Option<u32> {
        self.index.get(&(phrase.to_string(), form)).copied()
    }

    pub fn text(&self, id: u32) -> &str {
        &self.terms[id as usize].0
    }

    pub fn form(&self, id: u32) -> Form {
        self.terms[id as usize].1
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Builds the matchers; call after the last `intern` (and again after interning more).
    pub fn finish(&mut self) {
        let terms = || {
            self.terms
                .iter()
                .enumerate()
                .map(|(id, (text, form))| (id as u32, text.as_str(), *form))
        };
        let anchored = |f: &Form| matches!(f, Form::Word | Form::Prefix);
        self.anchored = CharTrie::new(terms().filter(|(_, _, f)| anchored(f)));
        self.unanchored = Patterns::new(terms().filter(|(_, _, f)| !anchored(f)));
        self.all = Patterns::new(terms());
    }

    /// Appends every occurrence of every term in `tokens` (the tokens of turn `turn`).
    pub fn scan(&self, turn: usize, tokens: &[Token], out: &mut Vec<Occurrence>) {
        if tokens.is_empty() {
            return;
        }
        if !self.anchored.edges.is_empty() {
            self.scan_anchored(turn, tokens, out);
        }
        if self.unanchored.automaton.is_some() {
            self.scan_patterns(&self.unanchored, turn, tokens, out, None);
        }
    }

    /// [`TermDict::scan`], also recording in `misses` the `Word` terms whose characters
    /// occur but not on token boundaries (`操控` inside `操控性`), for `explain`.
    pub fn scan_with_misses(
        &self,
        turn: usize,
        tokens: &[Token],
        out: &mut Vec<Occurrence>,
        misses: Option<&mut Vec<Occurrence>>,
    ) {
        match misses {
            None => self.scan(turn, tokens, out),
            Some(misses) if !tokens.is_empty() => {
                self.scan_patterns(&self.all, turn, tokens, out, Some(misses))
            }
            Some(_) => {}
        }
    }

    /// The `Word` and `Prefix` terms, by walking the trie from each token start.
    fn scan_anchored(&self, turn: usize, tokens: &[Token], out: &mut Vec<Occurrence>) {
        let trie = &self.anchored;
        for first in 0..tokens.len() {
            match tokens[first].chars().next() {
                Some(c) if trie.may_start(c.to_ascii_lowercase()) => {}
                _ => continue,
            }
            let mut negation = None;
            let mut node = 0u32;
            'walk: for (last, token) in tokens.iter().enumerate().skip(first) {
                let mut chars = token.chars().peekable();
                while let Some(c) = chars.next() {
                    let Some(&next) = trie.edges.get(&(node, c.to_ascii_lowercase())) else {
                        break 'walk;
                    };
                    node = next;
                    let ends_token = chars.peek().is_none();
                    for &(form, id) in &trie.ends[node as usize] {
                        if !form.accepts(true, ends_token) {
                            continue;
                        }
                        let negation = *negation
                            .get_or_insert_with(|| crate::negation::classify(tokens, first, ""));
                        out.push(Occurrence {
                            term: id,
                            turn: turn as u32,
                            start: first as u32,
                            end: last as u32 + 1,
                            negation,
                        });
                    }
                }
            }
        }
    }

    /// The terms of `patterns` anywhere in the turn's joined text, and (on request) the
    /// near misses.
    fn scan_patterns(
        &self,
        patterns: &Patterns,
        turn: usize,
        tokens: &[Token],
        out: &mut Vec<Occurrence>,
        mut misses: Option<&mut Vec<Occurrence>>,
    ) {
        let Some(automaton) = &patterns.automaton else {
            return;
        };
        SCRATCH.with_borrow_mut(|(text, starts)| {
            text.clear();
            starts.clear();
            for token in tokens {
                starts.push(text.len() as u32);
                push_lower(text, token);
            }
            starts.push(text.len() as u32);
            for m in automaton.find_overlapping_iter(text.as_str()) {
                let (s, e) = (m.start() as u32, m.end() as u32);
                // Token containing the first byte; first token starting at or after the end.
                let first = starts.partition_point(|&o| o <= s) - 1;
                let last = starts.partition_point(|&o| o < e);
                let starts_token = starts[first] == s;
                let ends_token = starts[last] == e;
                let mut negation = None;
                for &(form, id) in &patterns.terms[m.pattern().as_usize()] {
                    let accepted = form.accepts(starts_token, ends_token);
                    if !accepted && misses.is_none() {
                        continue;
                    }
                    let negation = *negation.get_or_insert_with(|| {
                        let in_token = &text[starts[first] as usize..s as usize];
                        crate::negation::classify(tokens, first, in_token)
                    });
                    let occ = Occurrence {
                        term: id,
                        turn: turn as u32,
                        start: first as u32,
                        end: last as u32,
                        negation,
                    };
                    if accepted {
                        out.push(occ);
                    } else if let Some(misses) = misses.as_deref_mut() {
                        misses.push(occ);
                    }
                }
            }
        });
    }
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

    fn dict(terms: &[(&str, Form)]) -> TermDict {
        let mut d = TermDict::default();
        for (t, f) in terms {
            d.intern(t, *f);
        }
        d.finish();
        d
    }

    fn words(terms: &[&str]) -> TermDict {
        dict(&terms.iter().map(|t| (*t, Form::Word)).collect::<Vec<_>>())
    }

    fn found(d: &TermDict, tokens: &str) -> Vec<(String, u32, u32, bool)> {
        let mut out = Vec::new();
        d.scan(0, &toks(tokens), &mut out);
        out.sort();
        out.iter()
            .map(|o| {
                (
                    d.form(o.term).written(d.text(o.term)),
                    o.start,
                    o.end,
                    o.negation == Negation::Denial,
                )
            })
            .collect()
    }

    fn t(s: &str, start: u32, end: u32, negated: bool) -> (String, u32, u32, bool) {
        (s.to_string(), start, end, negated)
    }

    #[test]
    fn words_match_on_token_boundaries_only() {
        let d = words(&["满意", "宽带断网", "断网", "wifi", "退"]);
        assert_eq!(found(&d, "我|很|不满意"), vec![]);
        assert_eq!(
            found(&d, "宽带|断网|了"),
            vec![t("宽带断网", 0, 2, false), t("断网", 1, 2, false)]
        );
        // A whole token 宽带断网 is the term 宽带断网, not the term 断网: whatever else the
        // taxonomy lists.
        assert_eq!(found(&d, "宽带断网"), vec![t("宽带断网", 0, 1, false)]);
        assert_eq!(found(&d, "连|WiFi"), vec![t("wifi", 1, 2, false)]);
        assert_eq!(found(&d, "申请|退货"), vec![]);
        assert_eq!(found(&d, "我|要|退"), vec![t("退", 2, 3, false)]);
    }

    #[test]
    fn prefix_suffix_and_substring_forms() {
        let d = dict(&[
            ("操控", Form::Prefix),
            ("异响", Form::Suffix),
            ("退款", Form::Substring),
            ("操控", Form::Word),
        ]);
        assert_eq!(found(&d, "操控性|很|好"), vec![t("操控*", 0, 1, false)]);
        assert_eq!(
            found(&d, "操控|很|好"),
            vec![t("操控*", 0, 1, false), t("操控", 0, 1, false)]
        );
        assert_eq!(found(&d, "底盘异响"), vec![t("*异响", 0, 1, false)]);
        assert_eq!(found(&d, "异响声"), vec![]);
        assert_eq!(found(&d, "申请退|款中"), vec![t("*退款*", 0, 2, false)]);
        assert_eq!(found(&d, "没有|退款"), vec![t("*退款*", 1, 2, false)]);
    }

    #[test]
    fn near_misses_are_recorded_on_request() {
        let d = words(&["操控"]);
        let (mut out, mut misses) = (Vec::new(), Vec::new());
        d.scan_with_misses(0, &toks("操控性|好"), &mut out, Some(&mut misses));
        assert!(out.is_empty());
        assert_eq!(misses.len(), 1);
        assert_eq!((misses[0].start, misses[0].end), (0, 1));
    }

    #[test]
    fn trie_walk_finds_what_the_full_automaton_finds() {
        // Every form over a small alphabet, so random cuts of random texts hit terms on and
        // off token boundaries, across tokens, nested and overlapping.
        let d = dict(&[
            ("断网", Form::Word),
            ("宽带断网", Form::Word),
            ("宽带", Form::Prefix),
            ("断", Form::Word),
            ("网", Form::Suffix),
            ("带断", Form::Substring),
            ("wifi", Form::Word),
            ("没", Form::Word),
            ("网断", Form::Prefix),
        ]);
        let alphabet: Vec<&str> = vec!["宽", "带", "断", "网", "没", "有", "，", "W", "i", "F"];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..3000 {
            let len = 1 + next(12);
            let mut tokens: Vec<Token> = Vec::new();
            let mut current = String::new();
            for _ in 0..len {
                current.push_str(alphabet[next(alphabet.len())]);
                if next(3) == 0 {
                    tokens.push(Token::from(current.as_str()));
                    current.clear();
                }
            }
            if !current.is_empty() {
                tokens.push(Token::from(current.as_str()));
            }
            let (mut fast, mut full, mut misses) = (Vec::new(), Vec::new(), Vec::new());
            d.scan(3, &tokens, &mut fast);
            d.scan_with_misses(3, &tokens, &mut full, Some(&mut misses));
            fast.sort();
            full.sort();
            assert_eq!(fast, full, "tokens {tokens:?}");
        }
    }

    #[test]
    fn negation_stops_at_clause_breaks() {
        let d = words(&["断网"]);
        assert_eq!(found(&d, "没有|断网"), vec![t("断网", 1, 2, true)]);
        assert_eq!(found(&d, "没|再|断网"), vec![t("断网", 2, 3, true)]);
        assert_eq!(found(&d, "没有|，|断网"), vec![t("断网", 2, 3, false)]);
        assert_eq!(
            found(&d, "不|知道|为什么|断网"),
            vec![t("断网", 3, 4, false)]
        );
        // A cue fused before a substring term inside its token.
        let d = dict(&[("卡", Form::Substring)]);
        assert_eq!(found(&d, "一点|不卡"), vec![t("*卡*", 1, 2, true)]);
    }
}
