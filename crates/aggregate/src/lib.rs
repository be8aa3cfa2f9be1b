//! Aggregation with polars: the enriched history stored as week-partitioned Parquet,
//! weekly volumes and category counts computed lazily over it, and the statistics
//! (emerging issues) the report is built on.
//!
//! polars lives in this crate only; what leaves it is plain rows ([`tables::WeekRow`] …),
//! so the report crate renders without knowing about data frames.

pub mod emerging;
pub mod history;
pub mod representative;
pub mod rows;
pub mod tables;

pub use emerging::{Emerging, EmergingOptions};
pub use tables::HistoryTables;

#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Unsupported(String),
}
