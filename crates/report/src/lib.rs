//! The value-analysis report (价值分析报告): renders plain report data into a
//! self-contained HTML page, Markdown, an Excel workbook and JSON, in Chinese.
//!
//! The aggregation stage fills a [`ReportInput`]; this crate computes nothing from raw
//! contacts, it only words and draws the numbers it is given:
//!
//! - [`findings`] writes the executive-summary (执行摘要) sentences from the numbers;
//! - [`recommendations`] routes actions to the owning departments;
//! - [`render_html`] gives one offline HTML file: inline CSS, inline SVG charts, no
//!   script and no external URL, laid out to print cleanly on A4;
//! - [`render_markdown`] gives the same sections with pipe tables instead of charts;
//! - [`render_xlsx`] gives an Excel workbook with one formatted sheet per table, the
//!   same tables the HTML shows, and [`render_json`] the data itself.
//!
//! The report is organised by section, one module each under `sections/`, in one
//! ordered list that every writer walks. Sections, in order: cover (period, comparison
//! period, configuration and data fingerprints) with 执行摘要, 话务量与投诉率趋势 (with
//! the channel / region / business / queue breakdown), 主要投诉主题 (with keywords per
//! category), 新兴问题 (with new terms), 情感趋势, 升级与流失风险, KPI 指标达成 and
//! 话务预测与排班 (when the input has them), 建议, 附录：方法说明与数据质量.
//!
//! Output is deterministic: the same input gives byte-identical output (no clock, no
//! hash-map order, fixed float formatting), so a report can be reproduced and diffed.
//! All input text is escaped for the target format.
//!
//! With the `testing` feature, `voc_report::testing` gives hand-made inputs:
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! let input = voc_report::testing::sample_input();
//! let html = voc_report::render_html(&input);
//! assert!(html.contains("<svg") && !html.contains("<script"));
//! let md = voc_report::render_markdown(&input);
//! assert!(md.starts_with("# 价值分析报告"));
//! assert!(voc_report::findings(&input)[0].starts_with("本期共受理客户接触 12,391 次"));
//! # }
//! ```

pub mod format;
mod html;
mod markdown;
pub mod model;
mod phrases;
mod sections;
mod svg;
mod table;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod view;
pub mod xlsx;

pub use html::render_html;
pub use markdown::render_markdown;
pub use model::{
    BreakdownRow, CategoryKeywords, CategoryRow, DataQuality, EmergingIssue, EndingWorseRow,
    ForecastPoint, ForecastSection, Keyword, KpiDay, KpiDayValue, KpiRow, KpiScorecard, NewTermRow,
    PeriodVolume, Recommendation, ReportInput, RiskSummary, SentimentPoint, StaffingAssumptions,
    StaffingRow, Verbatim, WatchItem,
};
pub use model::{
    CostDayRow, CostSection, CostWeekRow, DiscoveredTopic, DiscoverySection, DriverCoefficient,
    DriverEffect, DriverFactor, DriverImportance, DriverModel, DriverOutcome, DriverSection,
    DriverVerbatims, TopicVerbatim,
};
pub use sections::{findings, recommendations};
pub use view::BASELINE_PERIODS;
pub use xlsx::render_xlsx;

/// The report's data as pretty-printed JSON with a final newline (`report.json`), for
/// other tools; [`ReportInput`] reads it back.
///
/// Unlike the other writers it does not walk the sections: it is the input itself, in
/// the field order of [`ReportInput`], so tools keep reading the same keys and a saved
/// file re-renders the same report. Each top-level key belongs to one section (a test
/// holds the sections to that).
pub fn render_json(input: &ReportInput) -> String {
    serde_json::to_string_pretty(input).expect("report data always serializes") + "\n"
}
