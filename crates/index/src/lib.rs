//! The contact search index (tantivy): every enriched contact, searchable by its masked
//! text (all turns, customer turns, agent turns) and filterable by its metadata.
//!
//! Text is indexed from the tokens the pipeline already cut ([`PreTokenizedString`]), so
//! indexing never segments again; queries and snippets use the same segmenter through
//! [`tokenizer::SegmenterTokenizer`], loaded from the dictionary stored in the index
//! folder, so `voc search` cuts a query exactly as the text was cut.
//!
//! Runs add and replace contacts by id; they never rebuild history.

pub mod tokenizer;

use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{
    FAST, Facet, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::PreTokenizedString;
use tantivy::{Index, IndexWriter, TantivyDocument, Term};
use voc_core::EnrichedContact;
use voc_text::{Segmenter, SegmenterBuilder};

use tokenizer::{SegmenterTokenizer, TOKENIZER_NAME, index_term};

/// Position gap between turns, so a phrase never matches across two turns.
const TURN_POSITION_GAP: usize = 16;
const WRITER_MEMORY_BYTES: usize = 128 << 20;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index at {path}: {source}")]
    Tantivy {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("no search index at {0} (run `voc run` first, or check --index)")]
    Missing(PathBuf),
    #[error("cannot load the index dictionary: {0}")]
    Dictionary(#[from] voc_text::TextError),
    #[error("invalid query {query:?}: {message}")]
    Query { query: String, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    started_at: Field,
    week: Field,
    channel: Field,
    region: Field,
    business: Field,
    category: Field,
    sentiment: Field,
    sentiment_label: Field,
    risk: Field,
    text: Field,
    customer: Field,
    agent: Field,
    body: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        started_at: b.add_date_field("date", INDEXED | FAST | STORED),
        week: b.add_text_field("week", STRING | STORED | FAST),
        channel: b.add_text_field("channel", STRING | STORED | FAST),
        region: b.add_text_field("region", STRING | STORED | FAST),
        business: b.add_text_field("business", STRING | STORED | FAST),
        category: b.add_facet_field("category", STORED),
        sentiment: b.add_f64_field("sentiment", FAST | STORED),
        sentiment_label: b.add_text_field("sentiment_label", STRING | STORED),
        risk: b.add_text_field("risk", STRING | STORED),
        text: b.add_text_field("text", text_options.clone()),
        customer: b.add_text_field("customer", text_options.clone()),
        agent: b.add_text_field("agent", text_options),
        body: b.add_text_field("body", STORED),
    };
    (b.build(), fields)
}

/// One search hit, ready to print or serialize.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    pub id: String,
    pub score: f32,
    pub started_at: String,
    pub channel: String,
    pub region: String,
    pub business: String,
    pub categories: Vec<String>,
    pub sentiment: String,
    /// Snippet with matches wrapped in `<b>…</b>` (HTML-escaped otherwise).
    pub snippet_html: String,
    /// Snippet with matches wrapped in 【…】 for terminals.
    pub snippet_text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchResults {
    pub query: String,
    pub total: usize,
    pub hits: Vec<SearchHit>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct IndexStats {
    pub upserted: u64,
    pub documents: u64,
}

/// A contact index on disk.
pub struct ContactIndex {
    path: PathBuf,
    index: Index,
    fields: Fields,
}

impl ContactIndex {
    /// Opens the index in `dir`, creating it if absent, with `segmenter` for queries.
    /// `dictionary` is what the segmenter was built from; it is saved beside the index
    /// so later searches segment the same way.
    pub fn open_or_create(
        dir: &Path,
        segmenter: Arc<Segmenter>,
        dictionary: &SegmenterBuilder,
    ) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir)?;
        dictionary.save(dir)?;
        let (schema, fields) = schema();
        let wrap = |source| IndexError::Tantivy {
            path: dir.to_path_buf(),
            source,
        };
        let directory = tantivy::directory::MmapDirectory::open(dir).map_err(|e| wrap(e.into()))?;
        let index = Index::open_or_create(directory, schema).map_err(wrap)?;
        Ok(Self::with_tokenizer(dir, index, fields, segmenter))
    }

    /// Opens an existing index for searching, with the dictionary stored beside it.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        if !dir.join("meta.json").exists() {
            return Err(IndexError::Missing(dir.to_path_buf()));
        }
        let segmenter = SegmenterBuilder::load(dir)?.build()?;
        let index = Index::open_in_dir(dir).map_err(|source| IndexError::Tantivy {
            path: dir.to_path_buf(),
            source,
        })?;
        let (_, fields) = schema();
        Ok(Self::with_tokenizer(
            dir,
            index,
            fields,
            Arc::new(segmenter),
        ))
    }

    fn with_tokenizer(dir: &Path, index: Index, fields: Fields, segmenter: Arc<Segmenter>) -> Self {
        index
            .tokenizers()
            .register(TOKENIZER_NAME, SegmenterTokenizer::new(segmenter));
        ContactIndex {
            path: dir.to_path_buf(),
            index,
            fields,
        }
    }

    fn err(&self, source: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy {
            path: self.path.clone(),
            source,
        }
    }

    /// Adds the contacts, replacing any earlier version with the same id, in one commit.
    pub fn upsert(&self, records: &[EnrichedContact]) -> Result<IndexStats, IndexError> {
        let mut writer: IndexWriter = self
            .index
            .writer_with_num_threads(1, WRITER_MEMORY_BYTES)
            .map_err(|e| self.err(e))?;
        for record in records {
            writer.delete_term(Term::from_field_text(self.fields.id, &record.contact.id));
            writer
                .add_document(self.document(record))
                .map_err(|e| self.err(e))?;
        }
        writer.commit().map_err(|e| self.err(e))?;
        writer.wait_merging_threads().map_err(|e| self.err(e))?;
        let reader = self.index.reader().map_err(|e| self.err(e))?;
        Ok(IndexStats {
            upserted: records.len() as u64,
            documents: reader.searcher().num_docs(),
        })
    }

    fn document(&self, record: &EnrichedContact) -> TantivyDocument {
        let f = &self.fields;
        let c = &record.contact;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &c.id);
        doc.add_date(
            f.started_at,
            tantivy::DateTime::from_timestamp_secs(c.started_at.timestamp()),
        );
        doc.add_text(f.week, &record.week);
        doc.add_text(f.channel, &c.channel);
        doc.add_text(f.region, c.region.as_deref().unwrap_or(""));
        doc.add_text(f.business, c.business.as_deref().unwrap_or(""));
        for category in &record.categories {
            doc.add_facet(f.category, Facet::from_path(category.split('/')));
        }
        doc.add_f64(f.sentiment, f64::from(record.sentiment));
        doc.add_text(f.sentiment_label, &record.sentiment_label);
        for flag in record.risk.names() {
            doc.add_text(f.risk, flag);
        }
        doc.add_pre_tokenized_text(f.text, pre_tokenized(record, |_| true));
        doc.add_pre_tokenized_text(
            f.customer,
            pre_tokenized(record, |s| s != voc_core::Speaker::Agent),
        );
        doc.add_pre_tokenized_text(
            f.agent,
            pre_tokenized(record, |s| s == voc_core::Speaker::Agent),
        );
        doc.add_text(f.body, c.full_text());
        doc
    }

    /// Every stored string of every document, for audits such as scanning the index
    /// for unmasked personal data.
    pub fn stored_strings(&self) -> Result<Vec<String>, IndexError> {
        let reader = self.index.reader().map_err(|e| self.err(e))?;
        let searcher = reader.searcher();
        let mut out = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(|e| self.err(e.into()))?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc.map_err(|e| self.err(e))?;
                for (_, value) in doc.field_values() {
                    if let Some(s) = value.as_str() {
                        out.push(s.to_string());
                    }
                }
            }
        }
        Ok(out)
    }

    /// Searches with tantivy's query syntax over the text fields (all terms required by
    /// default); returns the total hit count and the best `limit` hits with snippets.
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults, IndexError> {
        let f = &self.fields;
        let reader = self.index.reader().map_err(|e| self.err(e))?;
        let searcher = reader.searcher();
        let mut parser = QueryParser::for_index(&self.index, vec![f.text]);
        parser.set_conjunction_by_default();
        let parsed = parser.parse_query(query).map_err(|e| IndexError::Query {
            query: query.to_string(),
            message: e.to_string(),
        })?;
        let (total, top) = searcher
            .search(
                &parsed,
                &(Count, TopDocs::with_limit(limit.max(1)).order_by_score()),
            )
            .map_err(|e| self.err(e))?;
        let mut snippets = tantivy::snippet::SnippetGenerator::create(&searcher, &*parsed, f.text)
            .map_err(|e| self.err(e))?;
        snippets.set_max_num_chars(120);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top.into_iter().take(limit) {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| self.err(e))?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let body = text(f.body);
            let snippet = snippets.snippet(&body);
            hits.push(SearchHit {
                id: text(f.id),
                score,
                started_at: doc
                    .get_first(f.started_at)
                    .and_then(|v| v.as_datetime())
                    .map(|d| {
                        chrono::DateTime::from_timestamp(d.into_timestamp_secs(), 0)
                            .map(|t| {
                                t.with_timezone(&voc_core::time::china_offset())
                                    .to_rfc3339()
                            })
                            .unwrap_or_default()
                    })
                    .unwrap_or_default(),
                channel: text(f.channel),
                region: text(f.region),
                business: text(f.business),
                categories: doc
                    .get_all(f.category)
                    .filter_map(|v| v.as_facet())
                    .filter_map(|s| Facet::from_encoded(s.as_bytes().to_vec()).ok())
                    .map(|facet| facet.to_path().join("/"))
                    .collect(),
                sentiment: text(f.sentiment_label),
                snippet_html: snippet.to_html(),
                snippet_text: marked(&snippet, "【", "】"),
            });
        }
        Ok(SearchResults {
            query: query.to_string(),
            total,
            hits,
        })
    }
}

fn marked(snippet: &tantivy::snippet::Snippet, open: &str, close: &str) -> String {
    let fragment = snippet.fragment();
    let mut out = String::new();
    let mut last = 0;
    for range in snippet.highlighted() {
        out.push_str(&fragment[last..range.start]);
        out.push_str(open);
        out.push_str(&fragment[range.clone()]);
        out.push_str(close);
        last = range.end;
    }
    out.push_str(&fragment[last..]);
    out.replace('\n', " ")
}

/// Builds the indexed token stream of the selected turns from the stored tokens, with
/// byte offsets found by walking each turn's text (tokens are contiguous slices of it).
fn pre_tokenized(
    record: &EnrichedContact,
    keep: impl Fn(voc_core::Speaker) -> bool,
) -> PreTokenizedString {
    let mut text = String::new();
    let mut tokens = Vec::new();
    let mut position = 0;
    for (turn, turn_tokens) in record.contact.turns.iter().zip(&record.tokens) {
        if !keep(turn.speaker) {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
            position += TURN_POSITION_GAP;
        }
        let base = text.len();
        text.push_str(&turn.text);
        let mut cursor = 0;
        for word in turn_tokens {
            let Some(found) = turn.text[cursor..].find(word.as_str()) else {
                continue;
            };
            let start = cursor + found;
            cursor = start + word.len();
            if voc_text::is_punctuation(word) {
                continue;
            }
            tokens.push(tantivy::tokenizer::Token {
                offset_from: base + start,
                offset_to: base + cursor,
                position,
                text: index_term(word),
                position_length: 1,
            });
            position += 1;
        }
    }
    PreTokenizedString { text, tokens }
}
