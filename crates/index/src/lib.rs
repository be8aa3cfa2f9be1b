//! The contact search index (tantivy): every enriched contact, searchable by its masked
//! text (all turns, customer turns, agent turns) and filterable by its metadata.
//!
//! Text is indexed from the tokens the pipeline already cut (encoded by
//! [`tokenizer::encode_tokens`], read back by [`tokenizer::TokenListTokenizer`]), so
//! indexing never segments again; queries and snippets use the same segmenter through
//! [`tokenizer::SegmenterTokenizer`], loaded from the dictionary stored in the index
//! folder, so `voc search` cuts a query exactly as the text was cut.
//!
//! Runs add and replace contacts by id; they never rebuild history. Queries are written
//! in our own small language ([`query`]); results carry facet counts ([`facets`]).

mod compile;
pub mod facets;
pub mod least;
pub mod live;
pub mod query;
/// The sample index of this crate's and `voc-serve`'s tests; not in product builds.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokenizer;
pub mod topics;

pub use facets::{FacetCount, Facets};
pub use live::LiveIndex;
pub use query::{KNOWN_FIELDS, MAX_QUERY_CHARS, QueryError, normalize_query};
pub use topics::{TopicCount, Topics};

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, TopDocs};
use tantivy::index::{SegmentId, SegmentMeta};
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};
use tantivy::schema::{
    FAST, Facet, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
    Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, Searcher, TantivyDocument, Term,
};
use voc_core::{EnrichedContact, StoredTurns};
use voc_text::{Segmenter, SegmenterBuilder};

use tokenizer::{
    SegmenterTokenizer, TOKEN_LIST_NAME, TOKENIZER_NAME, TokenListTokenizer, encode_tokens,
    encode_turns,
};

/// A compiled search: the query, the words to highlight, the newest contact time.
type Compiled = (Box<dyn tantivy::query::Query>, Vec<String>, Option<i64>);

/// The one writer's whole memory budget, shared by its threads; when it is full the
/// writer flushes a segment, so memory stays bounded however large the batch.
pub(crate) const WRITER_MEMORY_BYTES: usize = 128 << 20;
/// Largest segment a merge may produce, in contacts. A merge reads every segment it
/// combines (memory-mapped, so resident while it runs): this bounds a run's memory
/// however large the index grows, at the cost of more segments past ~1M contacts
/// (about 4 per million).
const MAX_MERGED_DOCS: u32 = 250_000;
/// Snippet length in characters.
const SNIPPET_CHARS: usize = 160;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index at {path}: {source}")]
    Tantivy {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("no search index at {0} (run `voc run` first, or check --index)")]
    Missing(PathBuf),
    #[error(
        "the search index at {0} was built by another version of voc (its fields differ); \
         rebuild it from the stored history with `voc index rebuild PIPELINE` (the \
         pipeline file whose output folder holds it)"
    )]
    Outdated(PathBuf),
    #[error("cannot load the index dictionary: {0}")]
    Dictionary(#[from] voc_text::TextError),
    #[error("invalid query {:?} {}", .0.query, .0)]
    Query(QueryError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub started_at: Field,
    pub week: Field,
    pub channel: Field,
    pub region: Field,
    pub business: Field,
    pub category: Field,
    pub sentiment: Field,
    pub sentiment_label: Field,
    pub risk: Field,
    pub customer: Field,
    pub agent: Field,
    pub body: Field,
    pub recency: Field,
    /// The customer's mood as `emotion=…`, `trajectory=…`, `lastturn=…` terms.
    pub mood: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKEN_LIST_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    // Keyword fields are FAST so facet counts read columns, not stored documents.
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        // Date and score are searched by range only, which tantivy answers from the fast
        // column: indexing them too made a term of nearly every value (a sixth of the
        // index stage) that no query read.
        started_at: b.add_date_field("date", FAST | STORED),
        week: b.add_text_field("week", STRING | STORED | FAST),
        channel: b.add_text_field("channel", STRING | STORED | FAST),
        region: b.add_text_field("region", STRING | STORED | FAST),
        business: b.add_text_field("business", STRING | STORED | FAST),
        // Facets index every ancestor, so `category:网络质量` matches its children.
        category: b.add_facet_field("category", STORED),
        sentiment: b.add_f64_field("sentiment", FAST | STORED),
        sentiment_label: b.add_text_field("sentiment_label", STRING | STORED | FAST),
        risk: b.add_text_field("risk", STRING | STORED | FAST),
        // Customer side (customer turns and work-order notes) and agent side; a search
        // of all text asks both. One field of all turns as well would index every token
        // twice, for a third of a run's indexing time.
        customer: b.add_text_field("customer", text_options.clone()),
        agent: b.add_text_field("agent", text_options),
        body: b.add_text_field("body", STORED),
        // The order of hits by time, and of equal-scored hits (`newest_first`).
        recency: b.add_u64_field("recency", FAST),
        // Searched only (`emotion:愤怒`): not a facet, not stored.
        mood: b.add_text_field("mood", STRING),
    };
    (b.build(), fields)
}

/// Newest first, by [`recency`]: the order of a time sort and of equal-scored hits.
///
/// tantivy breaks ties by document address, which depends on how the indexing threads
/// happened to split a batch into segments, so two builds of the same data listed (and
/// exported) equal hits in different orders.
fn newest_first() -> (SortByStaticFastValue<u64>, Order) {
    (SortByStaticFastValue::for_field("recency"), Order::Desc)
}

/// A contact's place in time order: its time in seconds in the high 32 bits, and a fixed
/// number of its id (FNV-1a, so it never changes with a dependency or platform) in the
/// low 32, which orders contacts of the same second. One column read per hit, where a
/// date and an id column cost a time sort a fifth more. Two contacts of the same second
/// tie only if their ids' numbers are equal, a chance of 2⁻³² a pair.
pub fn recency(seconds: i64, id: &str) -> u64 {
    let id_number = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let seconds = seconds.clamp(0, i64::from(u32::MAX)) as u64;
    (seconds << 32) | (id_number >> 32)
}

/// One search hit, ready to print or serialize.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    pub id: String,
    /// Relevance (BM25 over the text clauses); 0 when sorted by time.
    pub score: f32,
    pub started_at: String,
    pub week: String,
    pub channel: String,
    pub region: String,
    pub business: String,
    pub categories: Vec<String>,
    pub sentiment: String,
    pub sentiment_score: f64,
    pub risk: Vec<String>,
    /// Snippet with matches wrapped in `<b>…</b>` (HTML-escaped otherwise).
    pub snippet_html: String,
    /// Snippet with matches wrapped in 【…】 for terminals.
    pub snippet_text: String,
}

/// How hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (ties newest first).
    #[default]
    Relevance,
    /// Newest contact first.
    Time,
}

impl std::str::FromStr for Sort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "relevance" | "score" => Ok(Sort::Relevance),
            "time" | "date" | "newest" => Ok(Sort::Time),
            other => Err(format!("unknown sort {other:?}; use relevance or time")),
        }
    }
}

/// A search: the query text plus structured filters (`("channel", "voice")`,
/// `("date", "[2026-10-01 TO 2026-10-31]")`), which are ANDed with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub query: String,
    pub filters: Vec<(String, String)>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Whether to count facets (costs a column read per hit and field).
    pub facets: bool,
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            filters: Vec::new(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 10,
            facets: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchResults {
    pub query: String,
    pub total: usize,
    pub offset: usize,
    pub sort: Sort,
    pub hits: Vec<SearchHit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// Day of the newest contact in the index (what `last:4w` counts back from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
}

/// One exported hit: every field as text, the contact's whole masked text included.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExportRow {
    pub id: String,
    pub started_at: String,
    pub week: String,
    pub channel: String,
    pub region: String,
    pub business: String,
    pub categories: String,
    pub sentiment: String,
    pub sentiment_score: f64,
    pub risk: String,
    pub text: String,
}

impl ExportRow {
    /// Column headers, in field order, in Chinese for the people opening the file.
    pub const HEADERS: [&'static str; 11] = [
        "编号",
        "时间",
        "周",
        "渠道",
        "地区",
        "业务",
        "分类",
        "情感",
        "情感分值",
        "风险",
        "文本",
    ];
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct IndexStats {
    pub upserted: u64,
    pub documents: u64,
}

/// A contact index on disk. Share it behind an `Arc` to search from many threads.
pub struct ContactIndex {
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    segmenter: Arc<Segmenter>,
    /// Facet columns decoded per segment on the first search with facets.
    facet_cache: facets::FacetCache,
    /// The output-folder generation whose discovered topics this index searches by
    /// (the folder holding `index/`); `None` for an index being written.
    generation: Option<PathBuf>,
    /// Its topics, read on first use (or why they could not be read).
    topics: std::sync::OnceLock<Result<Topics, String>>,
    /// The pipeline's `[report] channel_names`, saved beside the index by the run that
    /// wrote it ([`save_channel_names`]), so search names channels as the report does.
    channel_names: BTreeMap<String, String>,
}

/// The file in an index folder holding the names of channels ([`save_channel_names`]).
const CHANNEL_NAMES_FILE: &str = "channel_names.json";

/// Saves the pipeline's `[report] channel_names` beside the index in `dir`, replacing
/// what an earlier run saved (an empty map too, so a removed name does not linger).
pub fn save_channel_names(dir: &Path, names: &BTreeMap<String, String>) -> Result<(), IndexError> {
    let json = serde_json::to_vec_pretty(names).map_err(std::io::Error::other)?;
    voc_core::fsutil::write_atomic(&dir.join(CHANNEL_NAMES_FILE), &json)?;
    Ok(())
}

/// The names [`save_channel_names`] saved in `dir`; none when the file is absent (an
/// index written before names were saved).
fn load_channel_names(dir: &Path) -> Result<BTreeMap<String, String>, IndexError> {
    let path = dir.join(CHANNEL_NAMES_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            IndexError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(IndexError::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))),
    }
}

/// The single writer of a batch: [`ContactWriter::add`] records one at a time (so a
/// caller may stream them), then [`ContactWriter::commit`] once. Dropped without a
/// commit, nothing of the batch becomes visible.
pub struct ContactWriter<'a> {
    index: &'a ContactIndex,
    writer: IndexWriter,
    added: u64,
}

impl ContactWriter<'_> {
    /// Adds one contact, replacing any earlier version with the same id (also one
    /// added earlier in this batch: tantivy orders deletes and adds by operation).
    pub fn add(&mut self, record: &EnrichedContact) -> Result<(), IndexError> {
        let index = self.index;
        self.writer
            .delete_term(Term::from_field_text(index.fields.id, &record.contact.id));
        self.writer
            .add_document(index.document(record, TokensOf::Record))
            .map_err(|e| index.err(e))?;
        self.added += 1;
        Ok(())
    }

    /// Adds contacts whose ids occur once in this writer's batch (the pipeline keeps the
    /// newest delivery of each id before indexing), replacing versions committed
    /// earlier. Only ids the committed index holds are deleted, with one delete query
    /// for the whole slice: a per-contact delete is an operation tantivy keeps until the
    /// commit, which costs memory and time in proportion to the batch.
    pub fn add_unique(&mut self, records: &[EnrichedContact]) -> Result<(), IndexError> {
        self.add_unique_documents(records, None)
    }

    /// [`Self::add_unique`] with each contact's tokens in their stored form:
    /// `stored.turns(i)` are those of `records[i]` (whose own `tokens` are not read).
    /// The pipeline feeds a week read back from the history this way.
    pub fn add_unique_stored(
        &mut self,
        records: &[EnrichedContact],
        stored: &StoredTurns,
    ) -> Result<(), IndexError> {
        self.add_unique_documents(records, Some(stored))
    }

    fn add_unique_documents(
        &mut self,
        records: &[EnrichedContact],
        stored: Option<&StoredTurns>,
    ) -> Result<(), IndexError> {
        let index = self.index;
        let searcher = index.reader.searcher();
        let mut indexed = Vec::new();
        for record in records {
            let term = Term::from_field_text(index.fields.id, &record.contact.id);
            if searcher.doc_freq(&term).map_err(|e| index.err(e))? > 0 {
                indexed.push(term);
            }
        }
        if !indexed.is_empty() {
            self.writer
                .delete_query(Box::new(tantivy::query::TermSetQuery::new(indexed)))
                .map_err(|e| index.err(e))?;
        }
        for (i, record) in records.iter().enumerate() {
            let tokens = stored.map_or(TokensOf::Record, |stored| TokensOf::Stored(stored, i));
            self.writer
                .add_document(index.document(record, tokens))
                .map_err(|e| index.err(e))?;
            self.added += 1;
        }
        Ok(())
    }

    /// Commits the batch atomically and waits for merges, so the folder is final.
    pub fn commit(mut self) -> Result<IndexStats, IndexError> {
        let index = self.index;
        self.writer.commit().map_err(|e| index.err(e))?;
        self.writer
            .wait_merging_threads()
            .map_err(|e| index.err(e))?;
        index.reader.reload().map_err(|e| index.err(e))?;
        Ok(IndexStats {
            upserted: self.added,
            documents: index.reader.searcher().num_docs(),
        })
    }
}

/// tantivy's log merge policy with merges split so that none combines more than
/// `max_docs` contacts (a merge of one segment, which purges its deleted contacts,
/// is left alone).
#[derive(Debug)]
struct BoundedMerges {
    inner: LogMergePolicy,
    max_docs: u32,
}

impl MergePolicy for BoundedMerges {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let max_doc = |id: &SegmentId| {
            segments
                .iter()
                .find(|s| s.id() == *id)
                .map_or(0, SegmentMeta::max_doc)
        };
        let mut out = Vec::new();
        for MergeCandidate(ids) in self.inner.compute_merge_candidates(segments) {
            if ids.len() == 1 {
                out.push(MergeCandidate(ids));
                continue;
            }
            // The log policy lists a level's segments largest first: group them greedily.
            let mut group: Vec<SegmentId> = Vec::new();
            let mut docs = 0u32;
            for id in ids {
                let n = max_doc(&id);
                if !group.is_empty() && docs.saturating_add(n) > self.max_docs {
                    if group.len() > 1 {
                        out.push(MergeCandidate(std::mem::take(&mut group)));
                    }
                    group.clear();
                    docs = 0;
                }
                group.push(id);
                docs = docs.saturating_add(n);
            }
            if group.len() > 1 {
                out.push(MergeCandidate(group));
            }
        }
        out
    }
}

/// Where [`swap_in`] expects a rebuilt index: beside `live`, named after it
/// (`index` → `index.rebuild`).
pub fn rebuild_dir(live: &Path) -> PathBuf {
    sibling(live, "rebuild")
}

/// Where the live index waits while a rebuilt one takes its place.
fn replaced_dir(live: &Path) -> PathBuf {
    sibling(live, "replaced")
}

fn sibling(live: &Path, suffix: &str) -> PathBuf {
    let mut name = live
        .file_name()
        .map_or_else(|| "index".into(), |n| n.to_os_string());
    name.push(".");
    name.push(suffix);
    live.with_file_name(name)
}

/// Puts the committed index in [`rebuild_dir`]`(live)` where `live` is and removes the
/// old one. A folder cannot be replaced in one rename: `live` is moved aside first, and a
/// process killed between the two renames leaves no `live`. Every open finishes such a
/// swap first ([`finish_interrupted_swap`]), so readers never see a half-replaced index.
pub fn swap_in(live: &Path) -> Result<(), IndexError> {
    let rebuilt = rebuild_dir(live);
    if !rebuilt.join("meta.json").exists() {
        return Err(IndexError::Missing(rebuilt));
    }
    let replaced = replaced_dir(live);
    if replaced.exists() {
        std::fs::remove_dir_all(&replaced)?;
    }
    if live.exists() {
        std::fs::rename(live, &replaced)?;
    }
    std::fs::rename(&rebuilt, live)?;
    if replaced.exists() {
        std::fs::remove_dir_all(&replaced)?;
    }
    Ok(())
}

/// Completes a [`swap_in`] that a killed process left halfway: with the old index moved
/// aside and no index in its place, the rebuilt one (committed before the swap began)
/// takes the place, or, if that is gone too, the old one goes back.
fn finish_interrupted_swap(live: &Path) -> std::io::Result<()> {
    let replaced = replaced_dir(live);
    if !replaced.exists() {
        return Ok(());
    }
    if !live.join("meta.json").exists() {
        let rebuilt = rebuild_dir(live);
        // An empty folder may stand there (an open that created it).
        if live.exists() {
            std::fs::remove_dir_all(live)?;
        }
        if rebuilt.join("meta.json").exists() {
            std::fs::rename(&rebuilt, live)?;
        } else {
            return std::fs::rename(&replaced, live);
        }
    }
    std::fs::remove_dir_all(&replaced)
}

/// Fails with [`IndexError::Outdated`] when `dir` holds an index this version cannot
/// add to (a run calls it before it reads its inputs, and every open before it writes).
/// Reads only the index's `meta.json`; an absent index is fine (a run creates it).
pub fn check_version(dir: &Path) -> Result<(), IndexError> {
    finish_interrupted_swap(dir)?;
    if !dir.join("meta.json").exists() {
        return Ok(());
    }
    let existing = Index::open_in_dir(dir).map_err(|source| IndexError::Tantivy {
        path: dir.to_path_buf(),
        source,
    })?;
    if existing.schema() != schema().0 {
        return Err(IndexError::Outdated(dir.to_path_buf()));
    }
    Ok(())
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
        check_version(dir)?;
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let wrap = |source| IndexError::Tantivy {
            path: dir.to_path_buf(),
            source,
        };
        dictionary.save(dir)?;
        let directory = tantivy::directory::MmapDirectory::open(dir).map_err(|e| wrap(e.into()))?;
        let index = Index::open_or_create(directory, schema).map_err(wrap)?;
        Self::with_tokenizer(dir, index, fields, segmenter)
    }

    /// Opens an existing index for searching, with the dictionary stored beside it.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        finish_interrupted_swap(dir)?;
        if !dir.join("meta.json").exists() {
            return Err(IndexError::Missing(dir.to_path_buf()));
        }
        // An output folder's `index` is a symlink into its current generation: resolved
        // once, so the index and its dictionary are read from one generation whatever
        // a run commits meanwhile. Messages keep the path as given.
        let resolved = dir.canonicalize()?;
        let index = Index::open_in_dir(&resolved).map_err(|source| IndexError::Tantivy {
            path: dir.to_path_buf(),
            source,
        })?;
        let (schema, fields) = schema();
        if index.schema() != schema {
            return Err(IndexError::Outdated(dir.to_path_buf()));
        }
        let segmenter = SegmenterBuilder::load(&resolved)?.build()?;
        let mut opened = Self::with_tokenizer(&resolved, index, fields, Arc::new(segmenter))?;
        // Only an output folder's `index` has the discovery tables beside it.
        if resolved.file_name().is_some_and(|name| name == "index") {
            opened.generation = resolved.parent().map(Path::to_path_buf);
        }
        Ok(opened)
    }

    fn with_tokenizer(
        dir: &Path,
        index: Index,
        fields: Fields,
        segmenter: Arc<Segmenter>,
    ) -> Result<Self, IndexError> {
        index
            .tokenizers()
            .register(TOKENIZER_NAME, SegmenterTokenizer::new(segmenter.clone()));
        index
            .tokenizers()
            .register(TOKEN_LIST_NAME, TokenListTokenizer::default());
        // One reader for the life of the index: it reloads by itself when a run commits,
        // so `voc serve` sees a weekly run's contacts without a restart.
        let reader = index.reader().map_err(|source| IndexError::Tantivy {
            path: dir.to_path_buf(),
            source,
        })?;
        let channel_names = load_channel_names(dir)?;
        Ok(ContactIndex {
            path: dir.to_path_buf(),
            index,
            reader,
            fields,
            segmenter,
            facet_cache: facets::FacetCache::default(),
            generation: None,
            topics: std::sync::OnceLock::new(),
            channel_names,
        })
    }

    fn err(&self, source: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy {
            path: self.path.clone(),
            source,
        }
    }

    /// Where the index lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of live contacts.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Starts the batch's one writer: bounded memory, up to two indexing threads, one
    /// merge at a time, and a merge policy that keeps the segment count low across
    /// weekly runs without merges growing with the index.
    pub fn writer(&self) -> Result<ContactWriter<'_>, IndexError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 2);
        // One merge at a time: each reads its (bounded) inputs while it runs.
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread(WRITER_MEMORY_BYTES / threads)
            .num_merge_threads(1)
            .build();
        let writer: IndexWriter = self
            .index
            .writer_with_options(options)
            .map_err(|e| self.err(e))?;
        let mut policy = LogMergePolicy::default();
        // Merge once 8 segments of a size class exist (tantivy's default), and purge a
        // segment whose contacts were mostly re-delivered (deleted) at 30% rather than
        // 50%, since weekly runs replace corrected contacts in old weeks.
        policy.set_min_num_segments(8);
        policy.set_del_docs_ratio_before_merge(0.3);
        policy.set_max_docs_before_merge(MAX_MERGED_DOCS as usize);
        writer.set_merge_policy(Box::new(BoundedMerges {
            inner: policy,
            max_docs: MAX_MERGED_DOCS,
        }));
        // A run killed while committing leaves the files of that commit beside the old
        // `meta.json`; this run repeats its operations and would write delete files of
        // the same names. Tantivy clears unused files only after a commit: clear them
        // first.
        writer
            .garbage_collect_files()
            .wait()
            .map_err(|e| self.err(e))?;
        Ok(ContactWriter {
            index: self,
            writer,
            added: 0,
        })
    }

    /// Decodes the facet columns of every segment now rather than on the first search
    /// with facets (a server calls this at start, so no request waits for it).
    pub fn warm_facets(&self) -> Result<(), IndexError> {
        let searcher = self.reader.searcher();
        self.facet_cache.collector(&searcher);
        for segment in searcher.segment_readers() {
            self.facet_cache.get(segment).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// The facet cache: (segments decoded, bytes of their per-doc arrays).
    pub fn facet_cache_stats(&self) -> (usize, usize) {
        self.facet_cache.stats()
    }

    /// The topics discovered in this index's generation, read once; an unreadable
    /// file is an error naming it (for `topic:`) and leaves the facet out.
    pub fn topics(&self) -> Result<&Topics, &String> {
        self.topics
            .get_or_init(|| match &self.generation {
                Some(generation) => Topics::load(generation).map_err(|e| e.to_string()),
                None => Ok(Topics::default()),
            })
            .as_ref()
    }

    /// The name search gives a stored channel value: the pipeline's `[report]
    /// channel_names` first (as the report), else voc's label (`voice` → 电话), else
    /// the value as stored.
    pub fn channel_name<'a>(&'a self, value: &'a str) -> &'a str {
        self.channel_names
            .get(value)
            .map_or_else(|| voc_core::channel::label(value), String::as_str)
    }

    /// The pipeline's `[report] channel_names` saved with this index.
    pub fn channel_names(&self) -> &BTreeMap<String, String> {
        &self.channel_names
    }

    /// How the facet cache grouped each decoded segment's fields, for diagnostics.
    pub fn facet_cache_layout(&self) -> Vec<String> {
        self.facet_cache.layout()
    }

    /// Adds the contacts, replacing any earlier version with the same id, in one commit.
    pub fn upsert(&self, records: &[EnrichedContact]) -> Result<IndexStats, IndexError> {
        let mut writer = self.writer()?;
        for record in records {
            writer.add(record)?;
        }
        writer.commit()
    }

    fn document(&self, record: &EnrichedContact, tokens: TokensOf) -> TantivyDocument {
        let f = &self.fields;
        let c = &record.contact;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &c.id);
        doc.add_u64(f.recency, recency(c.started_at.timestamp(), &c.id));
        doc.add_date(f.started_at, tantivy_date(c.started_at.timestamp()));
        doc.add_text(f.week, &record.week);
        doc.add_text(f.channel, &c.channel);
        // Missing metadata stays missing (not ""), so facets do not count an empty value.
        if let Some(region) = c.region.as_deref().filter(|s| !s.is_empty()) {
            doc.add_text(f.region, region);
        }
        if let Some(business) = c.business.as_deref().filter(|s| !s.is_empty()) {
            doc.add_text(f.business, business);
        }
        for category in &record.categories {
            doc.add_facet(f.category, Facet::from_path(category.split('/')));
        }
        doc.add_f64(f.sentiment, f64::from(record.sentiment));
        doc.add_text(f.sentiment_label, &record.sentiment_label);
        for flag in record.risk.names() {
            doc.add_text(f.risk, flag);
        }
        for (name, value) in [
            ("emotion", &record.mood.emotion),
            ("trajectory", &record.mood.trajectory),
            ("lastturn", &record.mood.last_turn_label),
        ] {
            if !value.is_empty() {
                doc.add_text(f.mood, format!("{name}={value}"));
            }
        }
        doc.add_text(
            f.customer,
            token_list(record, tokens, |s| s != voc_core::Speaker::Agent),
        );
        doc.add_text(
            f.agent,
            token_list(record, tokens, |s| s == voc_core::Speaker::Agent),
        );
        doc.add_text(f.body, c.full_text());
        doc
    }

    /// Every stored string of every document, for audits such as scanning the index
    /// for unmasked personal data.
    pub fn stored_strings(&self) -> Result<Vec<String>, IndexError> {
        let searcher = self.reader.searcher();
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

    /// Searches with the query language of [`query`] (all words required by default);
    /// returns the total hit count and the best `limit` hits with snippets.
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults, IndexError> {
        let mut request = SearchRequest::new(query);
        request.limit = limit;
        self.search_request(&request)
    }

    /// Newest contact time in the index (seconds), the anchor of `last:4w`: relative to
    /// the data rather than the wall clock, so the same index answers the same way.
    fn newest(&self, searcher: &Searcher) -> Option<i64> {
        searcher
            .segment_readers()
            .iter()
            .filter(|s| s.num_docs() > 0)
            .filter_map(|s| s.fast_fields().date("date").ok())
            .map(|column| column.max_value().into_timestamp_secs())
            .max()
    }

    /// The query, the words to highlight and the newest contact time.
    fn compile(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
    ) -> Result<Compiled, IndexError> {
        let newest = self.newest(searcher);
        let topics = self.topics().map_err(String::as_str);
        let compiler = compile::Compiler::new(&self.fields, &self.segmenter, newest, topics);
        let (query, highlights) = compiler
            .compile_request(&request.query, &request.filters)
            .map_err(IndexError::Query)?;
        Ok((query, highlights, newest))
    }

    /// Runs a search: total, one page of hits (offset, limit, sort), facets if asked.
    pub fn search_request(&self, request: &SearchRequest) -> Result<SearchResults, IndexError> {
        let searcher = self.reader.searcher();
        let (query, highlights, newest) = self.compile(&searcher, request)?;
        let facet_collector = request
            .facets
            .then(|| self.facet_cache.collector(&searcher));
        let topics = self.topics().ok().filter(|t| !t.is_empty());
        let topic_collector = topics
            .filter(|_| request.facets)
            .map(|t| t.collector(self.fields.id));
        // TopDocs refuses a limit of 0; ask for one and drop it.
        let top = TopDocs::with_limit(request.limit.max(1)).and_offset(request.offset);
        let (total, addresses, facet_fruit, topic_fruit) = match request.sort {
            Sort::Relevance => {
                let by_score = top.order_by((SortBySimilarityScore, newest_first()));
                let (total, top, fruit, topic_fruit) = searcher
                    .search(
                        &*query,
                        &(Count, by_score, facet_collector, topic_collector),
                    )
                    .map_err(|e| self.err(e))?;
                let top: Vec<(f32, DocAddress)> =
                    top.into_iter().map(|((score, _), a)| (score, a)).collect();
                (total, top, fruit, topic_fruit)
            }
            Sort::Time => {
                let by_time = top.order_by(newest_first());
                let (total, top, fruit, topic_fruit) = searcher
                    .search(&*query, &(Count, by_time, facet_collector, topic_collector))
                    .map_err(|e| self.err(e))?;
                let top = top.into_iter().map(|(_, a)| (0.0, a)).collect();
                (total, top, fruit, topic_fruit)
            }
        };
        let snippets = self.snippet_generator(&searcher, &highlights)?;
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses.into_iter().take(request.limit) {
            hits.push(self.hit(&searcher, &snippets, score, address)?);
        }
        Ok(SearchResults {
            query: request.query.clone(),
            total,
            offset: request.offset,
            sort: request.sort,
            hits,
            facets: facet_fruit.map(|f| {
                let mut facets = f.into_facets();
                if let (Some(topics), Some(counts)) = (topics, topic_fruit) {
                    facets.topic = topics.facet(&counts);
                }
                facets
            }),
            newest: newest.map(|secs| china_time(secs).get(..10).unwrap_or("").to_string()),
        })
    }

    /// Every hit of a search (up to `max_rows`, in the request's sort order), one row at
    /// a time to `sink`, for CSV and XLSX exports. Returns (total hits, rows written).
    pub fn export<E>(
        &self,
        request: &SearchRequest,
        max_rows: usize,
        mut sink: impl FnMut(ExportRow) -> Result<(), E>,
    ) -> Result<Result<(usize, usize), E>, IndexError> {
        let searcher = self.reader.searcher();
        let (query, _, _) = self.compile(&searcher, request)?;
        let total = searcher.search(&*query, &Count).map_err(|e| self.err(e))?;
        let rows = total.min(max_rows);
        if rows == 0 {
            return Ok(Ok((total, 0)));
        }
        let top = TopDocs::with_limit(rows);
        let addresses: Vec<DocAddress> = match request.sort {
            Sort::Relevance => searcher
                .search(
                    &*query,
                    &top.order_by((SortBySimilarityScore, newest_first())),
                )
                .map_err(|e| self.err(e))?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            Sort::Time => searcher
                .search(&*query, &top.order_by(newest_first()))
                .map_err(|e| self.err(e))?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
        };
        let f = &self.fields;
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| self.err(e))?;
            let row = ExportRow {
                id: stored_str(&doc, f.id),
                started_at: stored_time(&doc, f.started_at),
                week: stored_str(&doc, f.week),
                channel: stored_str(&doc, f.channel),
                region: stored_str(&doc, f.region),
                business: stored_str(&doc, f.business),
                categories: stored_categories(&doc, f.category).join("; "),
                sentiment: stored_str(&doc, f.sentiment_label),
                sentiment_score: doc
                    .get_first(f.sentiment)
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0),
                risk: stored_all(&doc, f.risk).join("; "),
                text: stored_str(&doc, f.body),
            };
            if let Err(e) = sink(row) {
                return Ok(Err(e));
            }
        }
        Ok(Ok((total, rows)))
    }

    fn snippet_generator(
        &self,
        searcher: &Searcher,
        highlights: &[String],
    ) -> Result<tantivy::snippet::SnippetGenerator, IndexError> {
        // Built by hand rather than from the query: tantivy's own generator only
        // highlights terms of one field, and ours come from the customer and agent fields.
        let mut terms = std::collections::BTreeMap::new();
        for word in highlights {
            let mut doc_freq = 0;
            for field in [self.fields.customer, self.fields.agent] {
                let term = Term::from_field_text(field, word);
                doc_freq += searcher.doc_freq(&term).map_err(|e| self.err(e))?;
            }
            if doc_freq > 0 {
                terms.insert(word.clone(), 1.0 / (1.0 + doc_freq as f32));
            }
        }
        let analyzer =
            tantivy::tokenizer::TextAnalyzer::from(SegmenterTokenizer::new(self.segmenter.clone()));
        Ok(tantivy::snippet::SnippetGenerator::new(
            terms,
            analyzer,
            self.fields.body,
            SNIPPET_CHARS,
        ))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        snippets: &tantivy::snippet::SnippetGenerator,
        score: f32,
        address: DocAddress,
    ) -> Result<SearchHit, IndexError> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(address).map_err(|e| self.err(e))?;
        let body = stored_str(&doc, f.body);
        let snippet = snippets.snippet(&body);
        // A search by filters alone (`sentiment:negative region:广东`) has no words to
        // show around: the hit shows how the contact begins instead of nothing.
        let (snippet_html, snippet_text) = if snippet.fragment().is_empty() {
            let opening = opening(&body, SNIPPET_CHARS).replace('\n', " ");
            (voc_core::html::escape_html(&opening), opening)
        } else {
            (
                snippet.to_html().replace('\n', " "),
                marked(&snippet, "【", "】"),
            )
        };
        Ok(SearchHit {
            id: stored_str(&doc, f.id),
            score,
            started_at: stored_time(&doc, f.started_at),
            week: stored_str(&doc, f.week),
            channel: stored_str(&doc, f.channel),
            region: stored_str(&doc, f.region),
            business: stored_str(&doc, f.business),
            categories: stored_categories(&doc, f.category),
            sentiment: stored_str(&doc, f.sentiment_label),
            sentiment_score: doc
                .get_first(f.sentiment)
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0),
            risk: stored_all(&doc, f.risk),
            snippet_html,
            snippet_text,
        })
    }
}

fn stored_str(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

fn stored_all(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str())
        .map(str::to_string)
        .collect()
}

fn stored_categories(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_facet())
        .filter_map(|s| Facet::from_encoded(s.as_bytes().to_vec()).ok())
        .map(|facet| facet.to_path().join("/"))
        .collect()
}

/// A time as the index holds it: tantivy's dates are nanoseconds in an i64 (1677–2262),
/// so a time beyond is clamped to the nearest it holds. Ingest accepts only dates well
/// inside, each stored exactly (to the second); a query bound beyond (`date:[0001-01-01
/// TO *]`) then means "from the earliest", where multiplied out it overflowed and found
/// nothing.
pub(crate) fn tantivy_date(secs: i64) -> tantivy::DateTime {
    const LIMIT: i64 = i64::MAX / 1_000_000_000;
    tantivy::DateTime::from_timestamp_secs(secs.clamp(-LIMIT, LIMIT))
}

fn stored_time(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_datetime())
        .map(|d| china_time(d.into_timestamp_secs()))
        .unwrap_or_default()
}

/// RFC 3339 in China time (UTC+8), as the contacts were recorded.
fn china_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| {
            t.with_timezone(&voc_core::time::china_offset())
                .to_rfc3339()
        })
        .unwrap_or_default()
}

/// The first `chars` characters of `text`.
fn opening(text: &str, chars: usize) -> &str {
    text.char_indices()
        .nth(chars)
        .map_or(text, |(at, _)| &text[..at])
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

/// The stored tokens of the selected turns, encoded for the token-list tokenizer.
/// Where a document's tokens come from: the record's own, or their stored form.
#[derive(Clone, Copy)]
enum TokensOf<'a> {
    Record,
    /// Contact `.1` of the stored turns.
    Stored(&'a StoredTurns, usize),
}

/// The encoded tokens of the turns whose speaker `keep` accepts.
fn token_list(
    record: &EnrichedContact,
    tokens: TokensOf,
    keep: impl Fn(voc_core::Speaker) -> bool,
) -> String {
    let kept = |turn: &voc_core::Turn| keep(turn.speaker);
    match tokens {
        TokensOf::Record => encode_tokens(
            record
                .contact
                .turns
                .iter()
                .zip(&record.tokens)
                .filter(|(turn, _)| kept(turn))
                .map(|(_, tokens)| tokens.as_slice()),
        ),
        TokensOf::Stored(stored, i) => {
            let joined = || {
                record
                    .contact
                    .turns
                    .iter()
                    .zip(stored.turns(i))
                    .filter(|(turn, _)| kept(turn))
                    .map(|(_, joined)| joined)
            };
            // The encoded list is never longer than the stored tokens (one separator
            // byte per space, punctuation left out) plus a byte between turns.
            let capacity = joined().map(|j| j.len() + 1).sum();
            encode_turns(joined().map(voc_core::stored_tokens), capacity)
        }
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    fn metas(sizes: &[u32]) -> Vec<SegmentMeta> {
        let index = Index::create_in_ram(schema().0);
        sizes
            .iter()
            .map(|&n| index.new_segment_meta(SegmentId::generate_random(), n))
            .collect()
    }

    fn candidates(sizes: &[u32]) -> Vec<Vec<u32>> {
        let segments = metas(sizes);
        let mut policy = LogMergePolicy::default();
        policy.set_max_docs_before_merge(MAX_MERGED_DOCS as usize);
        let bounded = BoundedMerges {
            inner: policy,
            max_docs: MAX_MERGED_DOCS,
        };
        bounded
            .compute_merge_candidates(&segments)
            .into_iter()
            .map(|MergeCandidate(ids)| {
                ids.iter()
                    .map(|id| segments.iter().find(|s| s.id() == *id).unwrap().max_doc())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn merges_never_combine_more_than_the_bound() {
        // Eight small segments merge as tantivy's policy says.
        assert_eq!(candidates(&[20_000; 8]), vec![vec![20_000; 8]]);
        // Eight large ones merge in pairs, each within the bound.
        let pairs = candidates(&[100_000; 8]);
        assert_eq!(pairs, vec![vec![100_000; 2]; 4]);
        // Segments at the bound are not merged again.
        assert!(candidates(&[240_000; 8]).is_empty());
        assert!(candidates(&[20_000; 7]).is_empty());
    }
}
