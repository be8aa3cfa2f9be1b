//! The period's contacts as documents: their stored tokens (never cut again) turned
//! into word ids, plus what a topic is described by (channel, region, categories,
//! sentiment, the masked verbatim).

use polars::prelude::*;
use std::collections::HashMap;
use voc_core::hash::FxBuild;
use voc_store::History;
use voc_store::frame::{f64s, for_each_string_list, opt_strs, par_slices, string_lists};
use voc_store::scan::{Span, scan};

use crate::DiscoverError;

/// Which turns a document is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Every turn whose speaker is not the agent (customer turns and work-order notes),
    /// as the new terms read them: agents' scripted phrases say nothing about topics.
    #[default]
    Customer,
    /// Every turn.
    All,
}

/// Marks where two content words are not adjacent (a turn's end, a word left out).
pub(crate) const BREAK: u32 = u32::MAX;

/// The most characters of a verbatim kept per contact (it is masked already).
const VERBATIM_CHARS: usize = 160;

#[derive(Debug, Clone, Default)]
pub struct Document {
    pub id: String,
    pub channel: String,
    pub region: String,
    pub categories: Vec<String>,
    pub sentiment: f64,
    pub sentiment_label: String,
    /// The document's turns (masked), joined by ` / `, cut at [`VERBATIM_CHARS`].
    pub verbatim: String,
    /// Content words in order as ids into [`Corpus::words`], with [`BREAK`] between
    /// words that are not adjacent.
    pub sequence: Vec<u32>,
}

/// The period's documents and their vocabulary.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub documents: Vec<Document>,
    /// Every content word, by id.
    pub words: Vec<String>,
}

/// A content word: not a stop word, not punctuation, not a masked PII string (`*`),
/// not a number, at least two characters (single characters are mostly particles).
/// The same words the new terms count (`voc_aggregate::terms`).
pub fn is_content_word(token: &str, is_stopword: &(dyn Fn(&str) -> bool + Sync)) -> bool {
    token.chars().nth(1).is_some()
        && !token.contains('*')
        && token.chars().any(voc_core::chars::is_word_char)
        && !token
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '%')
        && !is_stopword(token)
}

/// The columns read from the history.
const COLUMNS: &[&str] = &[
    "id",
    "channel",
    "region",
    "categories",
    "sentiment",
    "sentiment_label",
    "speakers",
    "turns",
    "tokens",
];

/// Rows per slice read in parallel.
const SLICE_ROWS: usize = 8_192;

/// A slice's documents with word ids local to the slice, and those words.
struct SliceDocs {
    documents: Vec<Document>,
    words: Vec<String>,
}

/// Reads the contacts of `span` from `history`: `None` when no partition holds it.
pub fn read_span(
    history: &History,
    span: &Span,
    side: Side,
    is_stopword: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Corpus, DiscoverError> {
    let Some(frame) = scan(history, &span.window())? else {
        return Ok(Corpus::default());
    };
    let columns: Vec<Expr> = COLUMNS.iter().map(|c| col(*c)).collect();
    let df = frame
        .filter(span.predicate())
        .select(columns)
        .collect()
        .map_err(voc_store::StoreError::from)?;
    let slices = par_slices(&df, SLICE_ROWS, |slice| {
        read_slice(slice, side, is_stopword)
    })?;
    Ok(intern(slices))
}

fn read_slice(
    df: &DataFrame,
    side: Side,
    is_stopword: &(dyn Fn(&str) -> bool + Sync),
) -> Result<SliceDocs, DiscoverError> {
    let ids = opt_strs(df, "id")?;
    let channels = opt_strs(df, "channel")?;
    let regions = opt_strs(df, "region")?;
    let categories = string_lists(df, "categories")?;
    let sentiments = f64s(df, "sentiment")?;
    let labels = opt_strs(df, "sentiment_label")?;
    let speakers = string_lists(df, "speakers")?;
    let turns = string_lists(df, "turns")?;
    let mut documents: Vec<Document> = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let keep = |t: usize| side == Side::All || speakers[i].get(t).is_none_or(|s| s != "agent");
        let mut verbatim = String::new();
        for (t, text) in turns[i].iter().enumerate() {
            if keep(t) && !text.trim().is_empty() {
                if !verbatim.is_empty() {
                    verbatim.push_str(" / ");
                }
                verbatim.push_str(text.trim());
            }
        }
        if let Some((cut, _)) = verbatim.char_indices().nth(VERBATIM_CHARS) {
            verbatim.truncate(cut);
            verbatim.push('…');
        }
        documents.push(Document {
            id: ids[i].clone().unwrap_or_default(),
            channel: channels[i].clone().unwrap_or_default(),
            region: regions[i].clone().unwrap_or_default(),
            categories: categories[i].clone(),
            sentiment: sentiments[i],
            sentiment_label: labels[i].clone().unwrap_or_default(),
            verbatim,
            sequence: Vec::new(),
        });
    }
    let mut local: HashMap<String, u32, FxBuild> = HashMap::default();
    let mut words: Vec<String> = Vec::new();
    for_each_string_list(df, "tokens", |i, turn_tokens| {
        let document = &mut documents[i];
        for (t, turn) in turn_tokens.iter().enumerate() {
            let is_kept = side == Side::All || speakers[i].get(t).is_none_or(|s| s != "agent");
            if !is_kept {
                continue;
            }
            for token in voc_core::stored_tokens(turn) {
                if is_content_word(token, is_stopword) {
                    let next = words.len() as u32;
                    let id = *local.entry(token.to_string()).or_insert_with(|| {
                        words.push(token.to_string());
                        next
                    });
                    document.sequence.push(id);
                } else if document.sequence.last().is_some_and(|&w| w != BREAK) {
                    document.sequence.push(BREAK);
                }
            }
            if document.sequence.last().is_some_and(|&w| w != BREAK) {
                document.sequence.push(BREAK);
            }
        }
    })?;
    Ok(SliceDocs { documents, words })
}

/// The slices' documents in order, their words numbered once for the whole corpus.
fn intern(slices: Vec<SliceDocs>) -> Corpus {
    let mut global: HashMap<String, u32, FxBuild> = HashMap::default();
    let mut words: Vec<String> = Vec::new();
    let mut documents = Vec::with_capacity(slices.iter().map(|s| s.documents.len()).sum());
    for slice in slices {
        let to_global: Vec<u32> = slice
            .words
            .into_iter()
            .map(|word| match global.get(&word) {
                Some(&id) => id,
                None => {
                    let id = words.len() as u32;
                    global.insert(word.clone(), id);
                    words.push(word);
                    id
                }
            })
            .collect();
        for mut document in slice.documents {
            for w in &mut document.sequence {
                if *w != BREAK {
                    *w = to_global[*w as usize];
                }
            }
            documents.push(document);
        }
    }
    // One order whatever order the partitions were scanned in.
    documents.sort_by(|a, b| a.id.cmp(&b.id));
    Corpus { documents, words }
}

impl Corpus {
    /// A corpus from documents given as their content words (tests and benches):
    /// each document is its words in order, adjacent.
    pub fn from_words(documents: Vec<(Document, Vec<&str>)>) -> Corpus {
        let mut global: HashMap<String, u32, FxBuild> = HashMap::default();
        let mut words: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for (mut document, tokens) in documents {
            document.sequence = tokens
                .iter()
                .map(|t| {
                    let next = words.len() as u32;
                    *global.entry(t.to_string()).or_insert_with(|| {
                        words.push(t.to_string());
                        next
                    })
                })
                .collect();
            out.push(document);
        }
        Corpus {
            documents: out,
            words,
        }
    }
}
