//! Words from the stored tokens: **new terms** (words and two-word phrases whose use
//! jumps this week and that no category rule covers, so analysts can extend the
//! taxonomy) and **top keywords per category** (TF-IDF of the week against its baseline).
//!
//! Only the customer side is read (every turn whose speaker is not `agent`: customer
//! turns and work-order notes), because agents' scripted phrases say nothing about what
//! customers raise. Counting is by contact (document frequency): a customer who repeats
//! a word ten times is one contact mentioning it.
//!
//! Content words: not a stop word, not punctuation, not a masked PII string (`*`), not a
//! number, and for single words at least two characters (single characters are mostly
//! particles). A phrase is two adjacent content words of one turn.
//!
//! New-term test: the same one-sided Poisson test as the emerging categories
//! ([`crate::emerging`], [`crate::stats::poisson_upper_tail`]): expected = (baseline
//! contacts with the phrase + 0.5) ÷ baseline contacts × this week's contacts; a phrase is new when it has at least `min_count`
//! contacts, at least `min_ratio` times its expectation and a p-value under `alpha`
//! divided by the number of phrases tested (Bonferroni; only phrases reaching
//! `min_count` and not covered can pass, so only they are counted as tests).
//!
//! Covered: rules match on tokens, so a phrase is covered when it and a taxonomy term
//! (cut into tokens with the same segmenter) overlap as token sequences: the phrase is
//! inside the term or the term inside the phrase.
//!
//! TF-IDF: for category c and word t, tf = share of c's contacts this week that mention
//! t; idf = ln((1 + N) / (1 + df)) + 1 with N the contacts of the baseline weeks and df
//! those of them that mention t. A word common everywhere in the baseline scores low; a
//! word typical of c this week and rare before scores high. Without a baseline every
//! idf is 1 and the ranking is by tf alone.
//!
//! "This week" above is the report period; for a month or a date range it is that
//! period (up to its last day with data), and the baseline is the periods of the same
//! length before it ([`crate::trends::spans`]).

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use voc_core::TurnTokens;
use voc_core::hash::FxBuild;

use crate::AggregateError;
use crate::stats::poisson_upper_tail;
use voc_store::History;
use voc_store::frame::{for_each_string_list, map_string_lists, string_lists};
use voc_store::scan::{Span, scan};
use voc_store::term_counts;

#[derive(Debug, Clone, PartialEq)]
pub struct TermOptions {
    pub baseline_weeks: usize,
    pub min_count: u64,
    pub alpha: f64,
    pub min_ratio: f64,
    /// At most this many new terms are reported.
    pub max_terms: usize,
    pub keywords_per_category: usize,
    /// A keyword must be mentioned by at least this many of the category's contacts.
    pub keyword_min_count: u64,
    /// A keyword's share of the category's contacts must be at least this many times
    /// its share of all categories' contacts this period (a word every category uses
    /// does not characterise one); not applied with a single category.
    pub keyword_min_lift: f64,
}

impl Default for TermOptions {
    fn default() -> Self {
        TermOptions {
            baseline_weeks: 8,
            min_count: 5,
            alpha: 0.01,
            min_ratio: 2.0,
            max_terms: 20,
            keywords_per_category: 8,
            keyword_min_count: 2,
            keyword_min_lift: 1.5,
        }
    }
}

/// What the pipeline knows about words: the stop-word list and the taxonomy's terms.
pub struct TermFilter<'a> {
    pub is_stopword: &'a (dyn Fn(&str) -> bool + Sync),
    /// Every taxonomy term as the tokens the segmenter cuts it into.
    pub taxonomy_terms: &'a [TurnTokens],
    /// Names the stop-word list (a fingerprint of it): cached phrase counts made with
    /// another list are counted again ([`voc_store::term_counts`]).
    pub stopwords_key: &'a str,
}

impl TermFilter<'_> {
    /// No stop words and no taxonomy: every content word is a candidate.
    pub fn none() -> TermFilter<'static> {
        TermFilter {
            is_stopword: &|_| false,
            taxonomy_terms: &[],
            stopwords_key: "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTerm {
    /// The report period's key (`2026-W46`, `2026-11` …).
    pub week: String,
    /// The word or phrase as it reads (`光缆抢修`).
    pub term: String,
    /// Its tokens, space-separated (`光缆 抢修`).
    pub tokens: String,
    /// Contacts mentioning it this week.
    pub count: u64,
    /// Mean contacts per baseline week.
    pub baseline_mean: f64,
    pub expected: f64,
    pub ratio: f64,
    pub p_value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryKeyword {
    /// The report period's key.
    pub week: String,
    pub category: String,
    pub rank: u32,
    pub term: String,
    pub score: f64,
    /// The category's contacts this week mentioning the word.
    pub count: u64,
    /// The category's contacts this week.
    pub category_contacts: u64,
    /// Baseline contacts (all categories) mentioning the word.
    pub baseline_count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TermResults {
    pub new_terms: Vec<NewTerm>,
    pub keywords: Vec<CategoryKeyword>,
}

pub use voc_store::term_counts::{PhraseCounts, PhraseSlots};

/// Contacts per phrase in one week, and the week's contact count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeekTerms {
    pub contacts: u64,
    /// phrase key (tokens joined by a space) → contacts mentioning it
    pub phrases: PhraseCounts,
}

/// The report period's single words by category, for TF-IDF: for each category its
/// contacts and, per word, the contacts of it that mention the word. Counted as the
/// span is read rather than kept contact by contact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryWords {
    pub categories: BTreeMap<String, (u64, PhraseCounts)>,
}

impl CategoryWords {
    /// Adds the counts of `other` (contacts counted apart) to these.
    fn merge(&mut self, other: CategoryWords) {
        for (category, (contacts, words)) in other.categories {
            let entry = self.categories.entry(category).or_default();
            entry.0 += contacts;
            add_counts(&mut entry.1, words);
        }
    }
}

/// Adds `more` to `counts`, phrase by phrase.
fn add_counts(counts: &mut PhraseCounts, more: PhraseCounts) {
    if counts.is_empty() {
        *counts = more;
        return;
    }
    for (phrase, n) in more {
        *counts.entry(phrase).or_insert(0) += n;
    }
}

/// The general stop words and fillers (`filler.txt`), applied when terms are chosen,
/// not when they are counted, so stored phrase counts stay valid.
static GENERAL_FILLER: std::sync::LazyLock<HashSet<&'static str>> =
    std::sync::LazyLock::new(|| {
        include_str!("filler.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });

/// One-character words that start a phrase of their own (没同意, 不到账, 被开通, 乱扣费):
/// negations and the like, bound to the word after them.
const BOUND_PREFIXES: [&str; 8] = ["没", "不", "未", "无", "别", "被", "乱", "多"];

/// Whether a word or phrase key (tokens joined by a space) is worth listing: none of its
/// tokens is a general filler, and a phrase does not join a one-character token to a
/// longer word but for a leading negation-like prefix ([`BOUND_PREFIXES`]): such a token,
/// like `时` of `时 刹车` (当时刹车), is a piece of a longer word the segmenter split.
pub fn worth_listing(key: &str) -> bool {
    let tokens: Vec<&str> = key.split(' ').collect();
    if tokens.iter().any(|t| GENERAL_FILLER.contains(t)) {
        return false;
    }
    let single = |t: &&str| t.chars().nth(1).is_none();
    // Only one-character tokens: a character bigram (a segmenter cutting by character),
    // not a piece of a longer word.
    tokens.iter().all(single)
        || tokens
            .iter()
            .enumerate()
            .all(|(i, t)| !single(t) || (i == 0 && BOUND_PREFIXES.contains(t)))
}

/// A phrase must carry at least this share of the contacts mentioning its rarer word
/// (counted alone, ≥ 2 characters): two words that merely met at a clause boundary
/// (`手机 莫名其妙`) are mostly apart.
pub const MIN_PHRASE_COHESION: f64 = 0.3;

/// Whether a phrase is a unit rather than two words that happened to meet; words and
/// phrases whose words are not counted alone pass.
fn cohesive(key: &str, count: u64, counts: &PhraseCounts) -> bool {
    let Some((a, b)) = key.split_once(' ') else {
        return true;
    };
    let rarer = [a, b].iter().filter_map(|w| counts.get(*w).copied()).min();
    rarer.is_none_or(|r| count as f64 >= MIN_PHRASE_COHESION * r as f64)
}

fn is_content(token: &str, filter: &TermFilter) -> bool {
    !token.is_empty()
        && !token.contains('*')
        && token.chars().any(voc_core::chars::is_word_char)
        && !token
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '%')
        && !(filter.is_stopword)(token)
}

/// The distinct words (≥ 2 characters) and adjacent content-word pairs of a contact's
/// customer-side turns (`turns` are space-joined token strings), each sorted, with each
/// token named by `kind`: `None` for a token that is not a content word, else its key
/// and whether it counts as a word on its own (≥ 2 characters). Equal tokens must have
/// equal keys ([`Vocabulary::kind`] numbers them).
fn phrases_by<'a, K: Copy + Ord>(
    turns: &[&'a str],
    mut kind: impl FnMut(&'a str) -> Option<(K, bool)>,
) -> (Vec<K>, Vec<(K, K)>) {
    let mut words = Vec::new();
    let mut pairs = Vec::new();
    for turn in turns {
        let mut previous = None;
        for token in voc_core::stored_tokens(turn) {
            match kind(token) {
                Some((key, alone)) => {
                    if alone {
                        words.push(key);
                    }
                    if let Some(p) = previous {
                        pairs.push((p, key));
                    }
                    previous = Some(key);
                }
                None => previous = None,
            }
        }
    }
    words.sort_unstable();
    words.dedup();
    pairs.sort_unstable();
    pairs.dedup();
    (words, pairs)
}

/// The distinct tokens of the rows being counted, each numbered and checked once (a
/// stop-word lookup and character tests per distinct token instead of per occurrence),
/// so a contact's words and pairs are sorted and counted as numbers.
struct Vocabulary<'f> {
    filter: &'f TermFilter<'f>,
    ids: HashMap<voc_core::Token, u32, FxBuild>,
    /// Per id: the token and, for a content word, whether it counts on its own.
    tokens: Vec<(voc_core::Token, Option<bool>)>,
}

impl<'f> Vocabulary<'f> {
    fn new(filter: &'f TermFilter<'f>) -> Self {
        Vocabulary {
            filter,
            ids: HashMap::default(),
            tokens: Vec::new(),
        }
    }

    /// The token's id if it is a content word, with whether it counts on its own.
    fn kind(&mut self, token: &str) -> Option<(u32, bool)> {
        let id = match self.ids.get(token) {
            Some(&id) => id,
            None => {
                let id = self.tokens.len() as u32;
                let content =
                    is_content(token, self.filter).then(|| token.chars().nth(1).is_some());
                self.tokens.push((token.into(), content));
                self.ids.insert(token.into(), id);
                id
            }
        };
        self.tokens[id as usize].1.map(|alone| (id, alone))
    }

    fn token(&self, id: u32) -> &str {
        &self.tokens[id as usize].0
    }

    /// The phrase key of a pair of ids (tokens joined by a space).
    fn pair(&self, (a, b): (u32, u32)) -> String {
        let (a, b) = (self.token(a), self.token(b));
        let mut key = String::with_capacity(a.len() + 1 + b.len());
        key.push_str(a);
        key.push(' ');
        key.push_str(b);
        key
    }
}

/// Contacts per id, as a vector indexed by id.
fn count_ids(counts: &mut Vec<u64>, ids: &[u32]) {
    for &id in ids {
        let slot = id as usize;
        if slot >= counts.len() {
            counts.resize(slot + 1, 0);
        }
        counts[slot] += 1;
    }
}

/// Reads one span's customer-side phrases (and, for the report period, the words by
/// category for TF-IDF) from the history: only the partitions of its weeks, only its days, and
/// only the `date`, `speakers`, `tokens` and `categories` columns. The rows are counted
/// in slices on every core (the report period's span was a one-core stretch at the end
/// of each run), then added up in row order.
pub fn read_span(
    history: &History,
    span: &Span,
    filter: &TermFilter,
    keep_words: bool,
) -> Result<(WeekTerms, CategoryWords), AggregateError> {
    let Some(lf) = scan(history, &span.window())? else {
        return Ok((WeekTerms::default(), CategoryWords::default()));
    };
    let df = lf
        .filter(span.predicate())
        .select([col("speakers"), col("tokens"), col("categories")])
        .collect()?;
    let slice_rows = df
        .height()
        .div_ceil(4 * rayon::current_num_threads())
        .max(MIN_SLICE_ROWS);
    count_in_slices(&df, filter, keep_words, slice_rows)
}

/// Below this many rows a span is counted in one piece: merging the counts of slices
/// costs more than it saves.
const MIN_SLICE_ROWS: usize = 2048;

/// [`count_rows`] over slices of `slice_rows` rows in parallel, added up in row order.
fn count_in_slices(
    df: &DataFrame,
    filter: &TermFilter,
    keep_words: bool,
    slice_rows: usize,
) -> Result<(WeekTerms, CategoryWords), AggregateError> {
    let slices = voc_store::frame::par_slices(df, slice_rows, |slice| {
        count_rows(slice, filter, keep_words)
    })?;
    let mut slices = slices.into_iter();
    let (mut terms, mut words) = slices.next().unwrap_or_default();
    for (part, part_words) in slices {
        terms.contacts += part.contacts;
        add_counts(&mut terms.phrases, part.phrases);
        words.merge(part_words);
    }
    Ok((terms, words))
}

/// The phrases (and words by category) of the rows of `df`, as [`read_span`] reads
/// them.
fn count_rows(
    df: &DataFrame,
    filter: &TermFilter,
    keep_words: bool,
) -> Result<(WeekTerms, CategoryWords), AggregateError> {
    let agent_turns = map_string_lists(df, "speakers", |s| Ok(s == Some("agent")))?;
    let categories = if keep_words {
        string_lists(df, "categories")?
    } else {
        Vec::new()
    };
    let mut vocabulary = Vocabulary::new(filter);
    let mut words_seen: Vec<u64> = Vec::new();
    let mut pairs_seen: HashMap<(u32, u32), u64, FxBuild> = HashMap::default();
    // category → (contacts, contacts per word id)
    let mut per_category: BTreeMap<&str, (u64, Vec<u64>)> = BTreeMap::new();
    for_each_string_list(df, "tokens", |i, tokens| {
        // Customer side: every turn not spoken by the agent (a turn without a stored
        // speaker counts as the customer's).
        let turns: Vec<&str> = tokens
            .iter()
            .enumerate()
            .filter(|&(t, _)| !agent_turns[i].get(t).copied().unwrap_or(false))
            .map(|(_, &turn)| turn)
            .collect();
        let (words, pairs) = phrases_by(&turns, |token| vocabulary.kind(token));
        count_ids(&mut words_seen, &words);
        for pair in pairs {
            *pairs_seen.entry(pair).or_insert(0) += 1;
        }
        if keep_words {
            for category in &categories[i] {
                let entry = per_category.entry(category.as_str()).or_default();
                entry.0 += 1;
                count_ids(&mut entry.1, &words);
            }
        }
    })?;
    let words_of = |seen: Vec<u64>| -> PhraseCounts {
        seen.into_iter()
            .enumerate()
            .filter(|&(_, n)| n > 0)
            .map(|(id, n)| (vocabulary.token(id as u32).to_string(), n))
            .collect()
    };
    let mut phrases = words_of(words_seen);
    phrases.extend(
        pairs_seen
            .into_iter()
            .map(|(pair, n)| (vocabulary.pair(pair), n)),
    );
    let by_category = CategoryWords {
        categories: per_category
            .into_iter()
            .map(|(category, (contacts, seen))| (category.to_string(), (contacts, words_of(seen))))
            .collect(),
    };
    let terms = WeekTerms {
        contacts: df.height() as u64,
        phrases,
    };
    Ok((terms, by_category))
}

/// Both analyses for the report period `current` against the `baseline` spans (the
/// periods of the same length before it), one span at a time. A baseline span's counts
/// come from the cache beside the history when its partitions have not changed since
/// they were counted ([`voc_store::term_counts`]); the report period is always counted from
/// its tokens, and its counts are kept for the runs that will use it as baseline.
pub fn analyse(
    history: &History,
    current: &Span,
    baseline: &[Span],
    options: &TermOptions,
    filter: &TermFilter,
) -> Result<TermResults, AggregateError> {
    let (this, words) = read_span(history, current, filter, true)?;
    if let Some((path, key)) = term_counts::entry(history, current, filter.stopwords_key)? {
        term_counts::store(&path, &key, this.contacts, &this.phrases);
    }
    // The baseline is only ever asked about the report period's phrases. Its spans
    // are read in parallel (each its own partitions), then added up in span order.
    let slots: PhraseSlots = this
        .phrases
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let spans: Vec<(u64, Vec<(usize, u64)>)> = baseline
        .par_iter()
        .map(|span| span_counts(history, span, filter, &slots))
        .collect::<Result<_, _>>()?;
    let mut counts = vec![0u64; slots.len()];
    let mut base = WeekTerms::default();
    for (contacts, found) in spans {
        base.contacts += contacts;
        for (slot, n) in found {
            counts[slot] += n;
        }
    }
    base.phrases = this
        .phrases
        .keys()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (k.clone(), n))
        .collect();
    Ok(TermResults {
        new_terms: new_terms(&current.key, &this, &base, baseline.len(), options, filter),
        keywords: keywords(&current.key, &words, &base, options),
    })
}

/// The counts in `span` of the phrases in `wanted` (phrase → slot), from the cache or
/// by counting its tokens (then kept in the cache), with the span's contacts.
fn span_counts(
    history: &History,
    span: &Span,
    filter: &TermFilter,
    wanted: &PhraseSlots,
) -> Result<(u64, Vec<(usize, u64)>), AggregateError> {
    let entry = term_counts::entry(history, span, filter.stopwords_key)?;
    if let Some((path, key)) = &entry
        && let Some(cached) = term_counts::read_cached(path, key, wanted)
    {
        return Ok(cached);
    }
    let (counted, _) = read_span(history, span, filter, false)?;
    if let Some((path, key)) = &entry {
        term_counts::store(path, key, counted.contacts, &counted.phrases);
    }
    let found = counted
        .phrases
        .iter()
        .filter_map(|(phrase, n)| wanted.get(phrase.as_str()).map(|slot| (*slot, *n)))
        .collect();
    Ok((counted.contacts, found))
}

/// Token sequences that count as covered by the taxonomy: every contiguous part of a
/// term (a phrase inside a term) and the terms themselves (a term inside a phrase).
struct Coverage {
    parts: HashSet<String>,
    whole: HashSet<String>,
}

impl Coverage {
    fn new(terms: &[TurnTokens]) -> Self {
        let mut parts = HashSet::new();
        let mut whole = HashSet::new();
        for t in terms.iter().filter(|t| !t.is_empty()) {
            whole.insert(t.join(" "));
            for i in 0..t.len() {
                for j in i + 1..=t.len() {
                    parts.insert(t[i..j].join(" "));
                }
            }
        }
        Coverage { parts, whole }
    }

    fn covers(&self, key: &str) -> bool {
        if self.parts.contains(key) {
            return true;
        }
        let tokens: Vec<&str> = key.split(' ').collect();
        (0..tokens.len())
            .any(|i| (i + 1..=tokens.len()).any(|j| self.whole.contains(&tokens[i..j].join(" "))))
    }
}

/// Display form of a phrase key: tokens joined, with a space kept only between two
/// ASCII words (`5G 套餐` reads as `5G套餐`, `VIP card` keeps its space).
pub fn display(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut last: Option<char> = None;
    for token in key.split(' ') {
        if let (Some(l), Some(f)) = (last, token.chars().next())
            && l.is_ascii_alphanumeric()
            && f.is_ascii_alphanumeric()
        {
            out.push(' ');
        }
        out.push_str(token);
        last = token.chars().last().or(last);
    }
    out
}

/// Phrases of `current` whose rise against `base` is significant and that the taxonomy
/// does not cover, largest excess first. A word that occurs mostly inside a reported
/// phrase (at least 80% of its contacts) is left out in favour of the phrase.
pub fn new_terms(
    week: &str,
    current: &WeekTerms,
    base: &WeekTerms,
    baseline_weeks: usize,
    options: &TermOptions,
    filter: &TermFilter,
) -> Vec<NewTerm> {
    if baseline_weeks == 0 || base.contacts == 0 || current.contacts == 0 {
        return Vec::new();
    }
    let coverage = Coverage::new(filter.taxonomy_terms);
    let mut candidates: Vec<(&String, u64)> = current
        .phrases
        .iter()
        .filter(|(k, n)| {
            **n >= options.min_count
                && !coverage.covers(k)
                && worth_listing(k)
                && cohesive(k, **n, &current.phrases)
        })
        .map(|(k, n)| (k, *n))
        .collect();
    candidates.sort();
    let threshold = options.alpha / candidates.len().max(1) as f64;
    let mut found: Vec<NewTerm> = candidates
        .into_iter()
        .filter_map(|(key, count)| {
            let base_count = base.phrases.get(key).copied().unwrap_or(0);
            let expected =
                (base_count as f64 + 0.5) / base.contacts as f64 * current.contacts as f64;
            let ratio = count as f64 / expected;
            let p_value = poisson_upper_tail(count, expected);
            (p_value < threshold && ratio >= options.min_ratio).then(|| NewTerm {
                week: week.to_string(),
                term: display(key),
                tokens: key.clone(),
                count,
                baseline_mean: base_count as f64 / baseline_weeks as f64,
                expected,
                ratio,
                p_value,
            })
        })
        .collect();
    let phrases: Vec<(String, u64)> = found
        .iter()
        .filter(|t| t.tokens.contains(' '))
        .map(|t| (t.tokens.clone(), t.count))
        .collect();
    found.retain(|t| {
        t.tokens.contains(' ')
            || !phrases.iter().any(|(p, n)| {
                p.split(' ').any(|w| w == t.tokens) && *n as f64 >= 0.8 * t.count as f64
            })
    });
    found.sort_by(|a, b| {
        let excess = |t: &NewTerm| t.count as f64 - t.expected;
        excess(b)
            .total_cmp(&excess(a))
            .then_with(|| a.tokens.cmp(&b.tokens))
    });
    found.truncate(options.max_terms);
    found
}

/// Inverse document frequency of a word against the baseline.
pub fn idf(baseline_contacts: u64, baseline_count: u64) -> f64 {
    ((1.0 + baseline_contacts as f64) / (1.0 + baseline_count as f64)).ln() + 1.0
}

/// The top words of each category this week by TF-IDF, sorted by category then rank.
pub fn keywords(
    week: &str,
    by_category: &CategoryWords,
    base: &WeekTerms,
    options: &TermOptions,
) -> Vec<CategoryKeyword> {
    let mut out = Vec::new();
    // Mentions over all categories this period, for the keyword's lift.
    let mut all: HashMap<&str, u64> = HashMap::new();
    let mut all_contacts = 0u64;
    for (n, words) in by_category.categories.values() {
        all_contacts += n;
        for (w, df) in words {
            *all.entry(w.as_str()).or_insert(0) += df;
        }
    }
    let several = by_category.categories.len() > 1;
    let distinctive = |w: &str, df: u64, n: u64| {
        let everywhere = all.get(w).copied().unwrap_or(0) as f64 / all_contacts.max(1) as f64;
        !several || df as f64 / n.max(1) as f64 >= options.keyword_min_lift * everywhere
    };
    // The words are hashed, not kept in order: the ranking below sorts by score, then
    // word, so their order never shows.
    for (category, (n, words)) in &by_category.categories {
        let n = *n;
        let mut scored: Vec<(f64, &str, u64, u64)> = words
            .iter()
            .map(|(w, df)| (w.as_str(), *df))
            .filter(|(_, df)| *df >= options.keyword_min_count.min(n))
            .filter(|(w, df)| worth_listing(w) && distinctive(w, *df, n))
            .map(|(w, df)| {
                let base_df = base.phrases.get(w).copied().unwrap_or(0);
                let tf = df as f64 / n as f64;
                (tf * idf(base.contacts, base_df), w, df, base_df)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        for (rank, (score, w, df, base_df)) in scored
            .into_iter()
            .take(options.keywords_per_category)
            .enumerate()
        {
            out.push(CategoryKeyword {
                week: week.to_string(),
                category: category.to_string(),
                rank: rank as u32 + 1,
                term: w.to_string(),
                score,
                count: df,
                category_contacts: n,
                baseline_count: base_df,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(contacts: u64, phrases: &[(&str, u64)]) -> WeekTerms {
        WeekTerms {
            contacts,
            phrases: phrases.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn content_words_and_phrases() {
        let stop = |t: &str| t == "的" || t == "了";
        let filter = TermFilter {
            is_stopword: &stop,
            taxonomy_terms: &[],
            stopwords_key: "test",
        };
        let mut vocabulary = Vocabulary::new(&filter);
        let (words, pairs) = phrases_by(
            &["光缆 被 挖断 了 ， 138****5678 光缆 抢修", "2 次 光缆"],
            |token| vocabulary.kind(token),
        );
        let mut words: Vec<&str> = words.into_iter().map(|w| vocabulary.token(w)).collect();
        let mut pairs: Vec<(&str, &str)> = pairs
            .into_iter()
            .map(|(a, b)| (vocabulary.token(a), vocabulary.token(b)))
            .collect();
        words.sort_unstable();
        pairs.sort_unstable();
        assert_eq!(words, ["光缆", "抢修", "挖断"]);
        // "了" and "，" and the masked number break phrases; "2" is a number.
        assert_eq!(
            pairs,
            [
                ("光缆", "抢修"),
                ("光缆", "被"),
                ("次", "光缆"),
                ("被", "挖断")
            ]
        );
    }

    #[test]
    fn coverage_is_token_overlap_with_a_taxonomy_term() {
        let terms: Vec<TurnTokens> = vec![vec!["光缆".into()], vec!["视频".into(), "彩铃".into()]];
        let c = Coverage::new(&terms);
        assert!(c.covers("光缆"));
        assert!(c.covers("光缆 抢修"), "term inside the phrase");
        assert!(c.covers("彩铃"), "phrase inside the term");
        assert!(c.covers("视频 彩铃"));
        assert!(!c.covers("抢修"));
        assert!(!c.covers("光缆抢修"), "one other token is not the term");
        assert_eq!(display("5G 权益包"), "5G权益包");
        assert_eq!(display("VIP card"), "VIP card");
    }

    #[test]
    fn a_jumping_uncovered_word_is_new_and_a_steady_or_covered_one_is_not() {
        // Baseline: 8 weeks, 8,000 contacts; this week 1,000.
        let base = week(8000, &[("抢修", 8), ("宽带", 800), ("光缆", 0)]);
        let current = week(
            1000,
            &[("抢修", 12), ("宽带", 110), ("光缆", 20), ("小区", 4)],
        );
        let terms = vec![vec![voc_core::Token::from("光缆")]];
        let filter = TermFilter {
            is_stopword: &|_| false,
            taxonomy_terms: &terms,
            stopwords_key: "test",
        };
        let found = new_terms(
            "2026-W46",
            &current,
            &base,
            8,
            &TermOptions::default(),
            &filter,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let t = &found[0];
        assert_eq!((t.term.as_str(), t.count), ("抢修", 12));
        // expected = (8 + 0.5) / 8000 × 1000 = 1.0625; mean 1 a week.
        assert!((t.expected - 1.0625).abs() < 1e-12);
        assert!((t.baseline_mean - 1.0).abs() < 1e-12);
        assert!((t.p_value - poisson_upper_tail(12, 1.0625)).abs() < 1e-15);
        // Tested: 抢修 and 宽带 (光缆 is covered, 小区 under min_count) → 0.01 / 2.
        assert!(t.p_value < 0.005);
    }

    #[test]
    fn a_word_mostly_inside_a_new_phrase_gives_way_to_the_phrase() {
        let base = week(8000, &[]);
        let current = week(1000, &[("光缆", 10), ("抢修", 20), ("光缆 抢修", 9)]);
        let found = new_terms(
            "W",
            &current,
            &base,
            8,
            &TermOptions::default(),
            &TermFilter::none(),
        );
        let names: Vec<&str> = found.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(names, ["抢修", "光缆抢修"]);
    }

    #[test]
    fn no_baseline_no_new_terms() {
        let current = week(1000, &[("抢修", 50)]);
        let none = new_terms(
            "W",
            &current,
            &WeekTerms::default(),
            0,
            &TermOptions::default(),
            &TermFilter::none(),
        );
        assert!(none.is_empty());
    }

    #[test]
    fn counts_in_slices_equal_counts_in_one_piece() {
        let list = |items: &[&str]| Series::new("".into(), items);
        let rows = [
            (
                ["customer", "agent"],
                ["宽带 断网 了", "您好 宽带"],
                vec!["断网"],
            ),
            (
                ["customer", "customer"],
                ["光缆 抢修", "宽带 断网"],
                vec!["断网", "光缆"],
            ),
            (
                ["note", "agent"],
                ["宽带 网速 慢", "光缆 抢修"],
                vec!["网速"],
            ),
            (["customer", "agent"], ["光缆 抢修 宽带", "好的"], vec![]),
            (["customer", "agent"], ["网速 慢", "网速"], vec!["网速"]),
        ];
        let df = DataFrame::new_infer_height(vec![
            Series::new(
                "speakers".into(),
                rows.iter().map(|r| list(&r.0)).collect::<Vec<_>>(),
            )
            .into(),
            Series::new(
                "tokens".into(),
                rows.iter().map(|r| list(&r.1)).collect::<Vec<_>>(),
            )
            .into(),
            Series::new(
                "categories".into(),
                rows.iter().map(|r| list(&r.2)).collect::<Vec<_>>(),
            )
            .into(),
        ])
        .unwrap();
        let stop = |t: &str| t == "了";
        let filter = TermFilter {
            is_stopword: &stop,
            taxonomy_terms: &[],
            stopwords_key: "test",
        };
        let whole = count_in_slices(&df, &filter, true, 5).unwrap();
        for slice_rows in [1, 2, 3] {
            assert_eq!(
                count_in_slices(&df, &filter, true, slice_rows).unwrap(),
                whole
            );
        }
        let (terms, by_category) = whole;
        assert_eq!(terms.contacts, 5);
        // Agent turns are left out: 您好 and the agent's 网速 are not counted.
        assert_eq!(terms.phrases.get("宽带"), Some(&4));
        assert_eq!(terms.phrases.get("网速"), Some(&2));
        assert_eq!(terms.phrases.get("光缆 抢修"), Some(&2));
        assert_eq!(terms.phrases.get("您好"), None);
        let (contacts, words) = &by_category.categories["断网"];
        assert_eq!((*contacts, words.get("宽带")), (2, Some(&2)));
        assert_eq!(by_category.categories["网速"].0, 2);
    }

    #[test]
    fn tf_idf_by_hand() {
        // Baseline: 9 contacts; 宽带 in 8 of them, 光缆 in none.
        let base = week(9, &[("宽带", 8)]);
        // Five contacts: four of 断网 (宽带 in all, 光缆 in two, 物业 in one), one of 网速.
        let category = |contacts: u64, words: &[(&str, u64)]| {
            let words = words.iter().map(|(w, n)| (w.to_string(), *n)).collect();
            (contacts, words)
        };
        let docs = CategoryWords {
            categories: [
                (
                    "断网".to_string(),
                    category(4, &[("宽带", 4), ("光缆", 2), ("物业", 1)]),
                ),
                ("网速".to_string(), category(1, &[("宽带", 1)])),
            ]
            .into_iter()
            .collect(),
        };
        let options = TermOptions {
            keyword_min_count: 1,
            keyword_min_lift: 0.0,
            ..TermOptions::default()
        };
        let k = keywords("W", &docs, &base, &options);
        let of = |c: &str| -> Vec<(&str, f64)> {
            k.iter()
                .filter(|r| r.category == c)
                .map(|r| (r.term.as_str(), r.score))
                .collect()
        };
        let duanwang = of("断网");
        // 光缆: tf 2/4, idf ln(10/1)+1 = 3.302585; 物业: tf 1/4 × 3.302585;
        // 宽带: tf 4/4, idf ln(10/9)+1 = 1.105361.
        assert_eq!(
            duanwang.iter().map(|x| x.0).collect::<Vec<_>>(),
            ["光缆", "宽带", "物业"]
        );
        assert!((duanwang[0].1 - 0.5 * (10f64.ln() + 1.0)).abs() < 1e-12);
        assert!((duanwang[1].1 - ((10.0f64 / 9.0).ln() + 1.0)).abs() < 1e-12);
        assert!((duanwang[2].1 - 0.25 * (10f64.ln() + 1.0)).abs() < 1e-12);
        assert!((1.651_292_5 - duanwang[0].1).abs() < 1e-6);
        assert_eq!(of("网速").len(), 1);
        // Default minimum of 2 mentions drops 物业 (one contact).
        let k2 = keywords("W", &docs, &base, &TermOptions::default());
        assert!(!k2.iter().any(|r| r.term == "物业"));
        // Lift: 宽带 is in 4 of 4 断网 contacts and 5 of 5 over both categories (lift
        // 1), so it characterises neither; 光缆 and 物业 have lift 1.25 (2/4 against
        // 2/5, 1/4 against 1/5): kept at 1.2, not at the default 1.5.
        let lifted = |keyword_min_lift| TermOptions {
            keyword_min_count: 1,
            keyword_min_lift,
            ..TermOptions::default()
        };
        let k3 = keywords("W", &docs, &base, &lifted(1.2));
        let terms: Vec<&str> = k3.iter().map(|r| r.term.as_str()).collect();
        assert_eq!(terms, ["光缆", "物业"]);
        assert!(keywords("W", &docs, &base, &lifted(1.5)).is_empty());
    }

    #[test]
    fn fillers_and_phrases_across_word_boundaries_are_not_listed() {
        assert!(worth_listing("光缆 抢修") && worth_listing("断网") && worth_listing("5G"));
        assert!(!worth_listing("我要") && !worth_listing("没收") && !worth_listing("刚发现"));
        assert!(
            !worth_listing("时 刹车"),
            "a one-character token in a phrase"
        );
        assert!(!worth_listing("手机 一直"), "a filler inside a phrase");
        let base = week(8000, &[]);
        let current = week(1000, &[("我要", 40), ("时 刹车", 30), ("抢修", 20)]);
        let found = new_terms(
            "W",
            &current,
            &base,
            8,
            &TermOptions::default(),
            &TermFilter::none(),
        );
        let names: Vec<&str> = found.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(names, ["抢修"]);
        // Two words that met by chance: the phrase has 6 of the rarer word's 40.
        let current = week(1000, &[("手机", 90), ("卡死", 40), ("手机 卡死", 6)]);
        let options = TermOptions {
            min_count: 5,
            ..TermOptions::default()
        };
        let found = new_terms("W", &current, &base, 8, &options, &TermFilter::none());
        assert!(!found.iter().any(|t| t.term == "手机卡死"), "{found:?}");
        assert!(cohesive(
            "光缆 抢修",
            9,
            &current_counts(&[("光缆", 10), ("抢修", 20)])
        ));
    }

    fn current_counts(words: &[(&str, u64)]) -> PhraseCounts {
        week(0, words).phrases
    }
}
