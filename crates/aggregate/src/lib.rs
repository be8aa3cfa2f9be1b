//! Aggregation with polars: the enriched history stored as week-partitioned Parquet,
//! volumes and category counts computed lazily over the partitions a period needs
//! ([`scan`]), and the statistics the report is built on: emerging issues, new terms and
//! keywords ([`terms`]), the KPI scorecard with dynamic targets ([`kpi`]), the volume
//! forecast ([`forecast`]) and staffing ([`staffing`]). [`trends::compute`] runs them all
//! for a period and [`export`] writes the tables as Parquet and CSV.
//!
//! polars' types stay in this crate (and in voc-ingest's Parquet reader); what leaves
//! it is plain rows ([`tables::WeekRow`] …), so the report crate renders without knowing
//! about data frames.

pub mod emerging;
pub mod export;
pub mod forecast;
mod frame;
pub mod history;
pub mod kpi;
pub mod representative;
pub mod scan;
pub mod spool;
pub mod staffing;
pub mod tables;
pub mod term_cache;
pub mod terms;
pub mod trends;
pub mod volumes;
pub mod week_tables;

pub use emerging::{Emerging, EmergingOptions};
pub use tables::HistoryTables;
pub use trends::{TrendOptions, Trends};

#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Unsupported(String),
}
