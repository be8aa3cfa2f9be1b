//! The batch: runs every stage of a pipeline file in order and writes the run manifest.
//!
//! ingest → segment → classify → history (Parquet) → index → aggregate → report.
//! Each stage lives in its own crate; this one only wires them together, times them,
//! and accounts for every record. The CLI is a thin layer over [`run`].

pub mod batch;
pub mod config;
pub mod manifest;
pub mod pdf;
pub mod reindex;
pub mod report;
pub mod report_input;
pub mod retag;
pub mod run;
pub mod trends;

pub use config::{ConfigError, Pipeline};
pub use manifest::Manifest;
pub use report::{ReportOptions, ReportSummary, report};
pub use run::{RunError, RunOptions, RunSummary, run};
