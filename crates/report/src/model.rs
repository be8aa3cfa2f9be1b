//! The plain data a report is rendered from.
//!
//! The aggregation stage fills these structs; this crate only formats them. Keeping the
//! input as serde-friendly data means a report can be re-rendered from a saved JSON file
//! without re-running the batch, and that the same JSON always gives the same report.

use serde::{Deserialize, Serialize};

/// Everything one value-analysis report (价值分析报告) shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ReportInput {
    /// Report title, e.g. `价值分析报告`.
    pub title: String,
    /// Client name as it should appear on the cover, e.g. `某省电信运营商`.
    pub client: String,
    /// Report period key: an ISO week (`2026-W46`) or a month (`2026-11`).
    pub period: String,
    /// The period compared against, usually the one before `period`.
    pub previous_period: Option<String>,
    /// SHA-256 hex of the pipeline configuration; the cover shows the first 12 chars.
    pub config_fingerprint: String,
    /// SHA-256 hex of the input data.
    pub data_fingerprint: String,
    /// Contact and complaint counts, oldest first, one row per period of history
    /// (the report period included).
    pub volume: Vec<PeriodVolume>,
    /// Category counts in the report period, sorted by `current` descending.
    pub categories: Vec<CategoryRow>,
    /// Statistically significant rises, most important first.
    pub emerging: Vec<EmergingIssue>,
    /// Sentiment per period, oldest first.
    pub sentiment: Vec<SentimentPoint>,
    /// Escalation and churn-risk counts and the watch list.
    pub risk: RiskSummary,
    /// What the ingest stage read, kept, quarantined and deduplicated.
    pub quality: DataQuality,
}

/// Volume of one period. Complaint rate per 1,000 = `complaints * 1000 / contacts`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PeriodVolume {
    pub period: String,
    pub contacts: u64,
    pub complaints: u64,
}

/// One taxonomy category in the report period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CategoryRow {
    /// Hierarchical id, e.g. `网络质量/宽带断网`.
    pub id: String,
    /// Display name, usually the leaf, e.g. `宽带断网`.
    pub name: String,
    /// Owning department of the client, e.g. `网络运维部`.
    pub owner: String,
    /// Whether the category counts as a complaint (意见点) rather than a focus point (关注点).
    pub complaint: bool,
    pub current: u64,
    pub previous: u64,
}

/// A category whose count rose significantly against its trailing baseline.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EmergingIssue {
    pub category_id: String,
    pub name: String,
    pub owner: String,
    pub current: u64,
    /// Mean count per period over the trailing baseline window (8 periods).
    pub baseline_mean: f64,
    /// One-sided Poisson p-value of `current` given `baseline_mean`.
    pub p_value: f64,
    /// Regions with the most contacts in this category, largest first.
    pub top_regions: Vec<(String, u64)>,
    /// Representative customer quotes.
    pub verbatims: Vec<Verbatim>,
}

/// A representative quote. `text` is already PII-masked upstream.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Verbatim {
    pub contact_id: String,
    /// Channel code (`voice`, `chat`, `email`, `wechat`, `work_order`) or a Chinese label.
    pub channel: String,
    pub region: String,
    pub text: String,
}

/// Sentiment of one period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SentimentPoint {
    pub period: String,
    /// Mean contact sentiment score (negative is unhappy).
    pub mean_score: f64,
    /// Share of negative contacts as a fraction in `0.0..=1.0`.
    pub negative_share: f64,
}

/// Escalation and churn-risk counts of the report period and the previous one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RiskSummary {
    pub escalation: u64,
    pub escalation_previous: u64,
    pub churn: u64,
    pub churn_previous: u64,
    pub watch_list: Vec<WatchItem>,
}

/// One contact on the risk watch list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WatchItem {
    pub contact_id: String,
    /// `escalation` and/or `churn`.
    pub flags: Vec<String>,
    pub category: String,
    pub region: String,
    /// PII-masked excerpt.
    pub excerpt: String,
}

/// Ingest counts of the batch behind the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DataQuality {
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub duplicates: u64,
}

/// Recommendations for one owning department, derived from the numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Recommendation {
    /// Department the items are routed to.
    pub owner: String,
    /// One sentence per item, in priority order.
    pub items: Vec<String>,
}
