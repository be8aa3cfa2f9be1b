//! The least a tantivy index of the pipeline's tokens can cost, for the benches: one text
//! field fed the same encoded token lists as the contact index, and nothing else (no
//! metadata, no facets, no fast fields, no stored bodies, no deletes).
//!
//! It answers how much of the contact index's cost is tantivy's own term table and
//! postings, which no choice of fields can remove while search needs them. The stage
//! bench holds it against the floor: floor + least index ÷ floor bounds what `voc run` ÷
//! floor can be.

use crate::tokenizer::{TOKEN_LIST_NAME, TokenListTokenizer, encode_tokens};
use crate::{IndexError, WRITER_MEMORY_BYTES};
use std::path::Path;
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexWriter, TantivyDocument};

/// How much the one field records per token: its documents only (the least any
/// inverted index of the words records) or, as the contact index does, positions too
/// (phrase and proximity queries need them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Postings {
    DocsOnly,
    WithPositions,
}

/// Indexes every contact's turns (each a list of tokens) into a new index in `dir`, one
/// document per contact, on one indexing thread (a per-core cost, as the stage bench
/// measures every stage) with the contact index's memory budget, and commits once.
/// Returns the number of documents.
pub fn index_token_lists<'a, T: AsRef<str> + 'a>(
    dir: &Path,
    contacts: impl Iterator<Item = &'a [Vec<T>]>,
    postings: Postings,
) -> Result<u64, IndexError> {
    let err = |source| IndexError::Tantivy {
        path: dir.to_path_buf(),
        source,
    };
    let record = match postings {
        Postings::DocsOnly => IndexRecordOption::Basic,
        Postings::WithPositions => IndexRecordOption::WithFreqsAndPositions,
    };
    let mut builder = Schema::builder();
    let text = builder.add_text_field(
        "text",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKEN_LIST_NAME)
                .set_index_option(record),
        ),
    );
    let index = Index::create_in_dir(dir, builder.build()).map_err(err)?;
    index
        .tokenizers()
        .register(TOKEN_LIST_NAME, TokenListTokenizer::default());
    let options = tantivy::indexer::IndexWriterOptions::builder()
        .num_worker_threads(1)
        .memory_budget_per_thread(WRITER_MEMORY_BYTES)
        .num_merge_threads(1)
        .build();
    let mut writer: IndexWriter = index.writer_with_options(options).map_err(err)?;
    let mut docs = 0u64;
    for turns in contacts {
        let mut doc = TantivyDocument::default();
        doc.add_text(text, encode_tokens(turns.iter().map(Vec::as_slice)));
        writer.add_document(doc).map_err(err)?;
        docs += 1;
    }
    writer.commit().map_err(err)?;
    writer.wait_merging_threads().map_err(err)?;
    Ok(docs)
}
