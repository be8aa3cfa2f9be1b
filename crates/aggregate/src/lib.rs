//! The analytics of the stored history: volumes and category counts over the partitions
//! a period needs ([`volumes`], [`week_counts`]), and the statistics the report is built
//! on: emerging issues ([`emerging`]), new terms and keywords ([`terms`]), the KPI
//! scorecard with dynamic targets ([`kpi`]), the volume forecast ([`forecast`]) and
//! staffing ([`staffing`]), the key drivers of the KPIs ([`drivers`]) and the cost
//! break-even ([`cost`]), with the statistics that need no data frame in [`stats`]
//! (Poisson tail, Erlang B and C). [`trends::compute`] runs them all for a period and
//! [`table_files`] writes the tables as Parquet and CSV.
//!
//! The history itself (partitions, scans, caches) is `voc-store`'s; this crate reads it
//! through `voc_store::scan`. polars' types stay in the crates that use it (this one, voc-store
//! and voc-ingest's Parquet reader); What leaves it is plain rows ([`week_counts::WeekRow`] …),
//! so the report crate renders without knowing about data frames.

pub mod calendar;
pub mod cost;
pub mod drivers;
pub mod emerging;
pub mod forecast;
pub mod kpi;
pub mod representative;
pub mod staffing;
pub mod stats;
pub mod table_files;
pub mod terms;
pub mod trajectory;
pub mod trends;
pub mod volumes;
pub mod week_counts;
pub mod week_counts_cache;

pub use emerging::{Emerging, EmergingOptions};
pub use trends::{TrendOptions, Trends};
pub use week_counts::HistoryTables;

#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Store(#[from] voc_store::StoreError),
}
