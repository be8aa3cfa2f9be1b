//! The output folder and the history stored in it: where every file of a run lives
//! ([`OutputDir`], [`History`]), the enriched contacts as week-partitioned Parquet
//! (written, read back, found: [`history`]), lazy scans of the partitions a period
//! needs ([`scan`]), the phrase counts kept beside them ([`term_counts`]) and the spool
//! a streamed batch is parked in before it joins the history ([`spool`]), and the
//! generations that make every writing command commit as a whole ([`generation`]).
//!
//! The analytics (`voc-aggregate`) read the history through [`scan`], which hands them
//! polars lazy frames so that every query reads only its columns from only its
//! partitions; everything else leaves this crate as `voc-core` records or plain values.

pub mod frame;
pub mod generation;
pub mod history;
pub mod layout;
pub mod scan;
pub mod spool;
pub mod term_counts;

pub use generation::{Transaction, checkpoint};
pub use layout::{History, OutputDir, REPORT_FILES, REPORT_HTML, REPORT_PDF};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Unsupported(String),
    /// A partition written by an earlier voc, in a layout this one no longer reads.
    #[error(
        "{}: the history was written by an earlier version of voc ({}); rewrite it once in \
         the current layout with `{}` (every partition in place; nothing else changes)",
        path.display(),
        crate::history::FORMAT_1,
        crate::history::UPGRADE_COMMAND
    )]
    OldHistory { path: std::path::PathBuf },
}
