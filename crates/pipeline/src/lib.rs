//! The batch: runs every stage of a pipeline file in order and writes the run manifest.
//!
//! ingest → segment → classify → history (Parquet) → index → aggregate → report.
//! Each stage lives in its own crate; this one only wires them together, times them,
//! and accounts for every record. The CLI is a thin layer over [`run`].

pub mod analytics;
pub mod batch;
pub mod config;
pub mod discover;
pub mod fingerprints;
pub mod manifest;
pub mod models;
pub mod onboarding;
pub mod output;
pub mod pdf;
pub mod period_report;
pub mod reindex;
mod repeat_contacts;
pub mod report_input;
pub mod retag;
pub mod run;
mod stages;

pub use batch::RunError;
pub use config::{ConfigError, Pipeline};
pub use manifest::Manifest;
pub use period_report::{ReportOptions, ReportSummary, report};
pub use run::{RunOptions, RunSummary, run};
