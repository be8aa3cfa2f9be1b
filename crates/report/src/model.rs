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
    /// Report period key: an ISO week (`2026-W46`), a month (`2026-11`) or a date range
    /// (`2026-10-01..2026-10-31`), as [`voc_core::Period`] writes it.
    pub period: String,
    /// The period compared against: the one of the same length just before `period`;
    /// `None` when the history does not reach back to it.
    pub previous_period: Option<String>,
    /// The last day with data (`2026-11-15`) when it is before the period's last day: the
    /// period is still in progress, and it is compared with as many days of the previous
    /// period (see [`voc_core::Period::comparison_through`]).
    #[serde(default)]
    pub data_through: Option<String>,
    /// How many periods before `period` the emerging-issue and new-term tests used as
    /// their baseline; `None` reads as [`crate::BASELINE_PERIODS`].
    #[serde(default)]
    pub baseline_periods: Option<u32>,
    /// SHA-256 hex of the pipeline configuration; the cover shows the first 12 chars.
    pub config_fingerprint: String,
    /// SHA-256 hex of the input data.
    pub data_fingerprint: String,
    /// Contact and complaint counts, oldest first, one row per period of history of the
    /// same kind as `period` (weeks, months or equally long ranges; the report period
    /// included, last).
    pub volume: Vec<PeriodVolume>,
    /// The comparison span's volume (keyed by `previous_period`); when present it is what
    /// the report period is compared with, instead of the previous row of `volume`
    /// (they differ when the period is still in progress).
    #[serde(default)]
    pub comparison_volume: Option<PeriodVolume>,
    /// Category counts in the report period, sorted by `current` descending.
    pub categories: Vec<CategoryRow>,
    /// Statistically significant rises, most important first.
    pub emerging: Vec<EmergingIssue>,
    /// Sentiment per period, oldest first.
    pub sentiment: Vec<SentimentPoint>,
    /// Sentiment of the comparison span, as `comparison_volume`.
    #[serde(default)]
    pub comparison_sentiment: Option<SentimentPoint>,
    /// Escalation and churn-risk counts and the watch list.
    pub risk: RiskSummary,
    /// What the ingest stage read, kept, quarantined and deduplicated.
    pub quality: DataQuality,
    /// Contacts of the report period by channel, region, business line and queue.
    #[serde(default)]
    pub breakdown: Vec<BreakdownRow>,
    /// Words and phrases rising this period that no category rule covers.
    #[serde(default)]
    pub new_terms: Vec<NewTermRow>,
    /// The most characteristic words of each category this period (TF-IDF).
    #[serde(default)]
    pub top_keywords: Vec<CategoryKeywords>,
    /// KPI scorecard of the month to date; `None` when no targets are configured.
    #[serde(default)]
    pub kpi: Option<KpiScorecard>,
    /// Volume forecast and staffing; `None` without enough history.
    #[serde(default)]
    pub forecast: Option<ForecastSection>,
    /// Key drivers of the result KPIs (关联性分析); `None` without contacts.
    #[serde(default)]
    pub drivers: Option<DriverSection>,
    /// Cost break-even (成本临界点) of the month; `None` without a `[cost]` block.
    #[serde(default)]
    pub cost: Option<CostSection>,
    /// Contacts of the report period whose customer mood could be followed (two
    /// customer turns or more) and how many ended worse than they began, by category
    /// and by agent team (queue). Left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ending_worse: Vec<EndingWorseRow>,
    /// Topics found without the taxonomy (`[discover]`); `None` when the pipeline does
    /// not discover, and then the key is left out of the JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoverySection>,
}

/// One category or agent team: its contacts with a mood trajectory and how they ended.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EndingWorseRow {
    /// `all`, `category`, `team` (`[drivers] agent_teams`) or `queue`.
    pub dimension: String,
    /// The category id (`网络质量/宽带断网`) or the queue as stored.
    pub value: String,
    /// Display name of a category (its leaf); empty for a queue.
    #[serde(default)]
    pub name: String,
    /// Contacts with a trajectory: the base of the shares.
    pub followed: u64,
    /// Ended worse than they began (the customer's last turn scored 0.3 or more below
    /// their first).
    pub worsening: u64,
    pub improving: u64,
}

/// The period's discovered topics (`voc discover`) as the report shows them: coverage,
/// and the topics that are new or growing, those outside the taxonomy first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DiscoverySection {
    /// The period discovered (the report period).
    pub period: String,
    /// The period topics were compared with; `None` when there was none (every status
    /// is then unknown).
    pub previous_period: Option<String>,
    pub contacts: u64,
    /// Contacts no category matched.
    pub uncategorised: u64,
    /// Topics (and small themes) found this period, whatever their status.
    pub topics_found: u64,
    /// The new and growing topics and themes: those mostly (≥ 50 %) outside the
    /// taxonomy first, then by size.
    pub topics: Vec<DiscoveredTopic>,
}

/// One discovered topic or small theme.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DiscoveredTopic {
    /// Stable from period to period (`T0007`): what `voc taxonomy suggest --topic` takes.
    pub id: String,
    /// `topic` (k-means) or `theme` (a handful of contacts sharing rare words).
    pub kind: String,
    /// Its most distinctive phrases, joined by `、`.
    pub label: String,
    /// `new` or `growing` (growing passed the emerging issues' test).
    pub status: String,
    pub size: u64,
    pub previous_size: Option<u64>,
    /// One-sided Poisson p-value of a growing topic (Bonferroni-corrected).
    pub p_value: Option<f64>,
    /// Its contacts no category matched.
    pub uncategorised: u64,
    pub mean_sentiment: f64,
    /// Its contacts with negative sentiment.
    pub negative: u64,
    /// Top regions and channels (report names) with their contacts in the topic.
    pub regions: Vec<(String, u64)>,
    pub channels: Vec<(String, u64)>,
    /// The categories its contacts are tagged with, most frequent first.
    pub categories: Vec<(String, u64)>,
    /// Up to three representative customer texts, masked at ingest.
    pub verbatims: Vec<TopicVerbatim>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TopicVerbatim {
    pub contact_id: String,
    pub text: String,
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
    /// Two-sided p-value of the two-period test of its rate (count per contact) this
    /// period against the comparison period; `None` without a comparison to test.
    #[serde(default)]
    pub change_p_value: Option<f64>,
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
    /// The contact's categories, joined by `、`.
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
    /// The period of the run these counts come from (the last `voc run` into the output
    /// folder, as its manifest `run.json` records it). Its records need not all fall in
    /// the report period; the appendix says so. `None` for counts given otherwise (a
    /// hand-made input); with all counts zero the appendix says they are unavailable.
    #[serde(default)]
    pub batch_period: Option<String>,
}

/// Recommendations for one owning department, derived from the numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Recommendation {
    /// Department the items are routed to.
    pub owner: String,
    /// One sentence per item, in priority order.
    pub items: Vec<String>,
}

/// Contacts of one value of one dimension in the report period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BreakdownRow {
    /// `channel`, `region`, `business` or `queue`.
    pub dimension: String,
    pub value: String,
    pub contacts: u64,
    /// Share of the period's contacts, in `0.0..=1.0`.
    pub share: f64,
    /// Contacts of the comparison period; `None` when it is outside the data.
    pub previous: Option<u64>,
    /// Complaints per 1,000 contacts.
    pub complaint_rate: Option<f64>,
}

/// A word or phrase whose use rose significantly and that no category rule covers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NewTermRow {
    pub term: String,
    /// Contacts mentioning it this period.
    pub current: u64,
    /// Mean contacts per period over the baseline.
    pub baseline_mean: f64,
    /// Current count over its expectation from the baseline rate.
    pub ratio: f64,
    pub p_value: f64,
}

/// Top keywords of one category.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CategoryKeywords {
    pub category_id: String,
    pub name: String,
    pub keywords: Vec<Keyword>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Keyword {
    pub term: String,
    /// TF-IDF score.
    pub score: f64,
    /// Contacts of the category mentioning it this period.
    pub count: u64,
}

/// The KPI scorecard (指标达成) of a month to date.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KpiScorecard {
    /// `2026-11`.
    pub month: String,
    /// The last day with data (`2026-11-15`), "today" of the scorecard.
    pub as_of: String,
    pub days_elapsed: u32,
    pub days_remaining: u32,
    /// Width of the 预警 band, in percent of the target.
    pub warning_band_pct: f64,
    pub rows: Vec<KpiRow>,
    /// The days of the report period, oldest first.
    pub daily: Vec<KpiDay>,
}

/// One KPI month to date against its target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KpiRow {
    /// `fcr`, `csat`, `dsat`, `aht`, `sla`, `complaint_rate`.
    pub metric: String,
    /// Display name, e.g. `一次解决率（FCR）`.
    pub name: String,
    /// `share` (0–1, printed as %), `seconds` or `per_mille`.
    pub unit: String,
    pub higher_is_better: bool,
    pub target: f64,
    pub actual: Option<f64>,
    /// `达标`, `预警` or `未达标`.
    pub status: Option<String>,
    /// The value and status of the `as_of` day alone.
    pub day_actual: Option<f64>,
    pub day_status: Option<String>,
    /// `需达到`, `已锁定`, `无法达成`, `本月已结束` or `无数据`.
    pub dynamic: String,
    /// The average the remaining days must reach (`需达到`), or would need (`无法达成`).
    pub dynamic_value: Option<f64>,
}

/// One day of the scorecard.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KpiDay {
    pub date: String,
    /// One value per row of [`KpiScorecard::rows`], in the same order.
    pub values: Vec<KpiDayValue>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KpiDayValue {
    pub metric: String,
    pub actual: Option<f64>,
    pub status: Option<String>,
}

/// Daily volume forecast with its backtest, and the staffing derived from it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ForecastSection {
    /// The method in words, e.g. `星期效应 + 线性趋势（最小二乘）`.
    pub method: String,
    /// The last day of history.
    pub as_of: String,
    /// Recent daily volume, oldest first (the chart's solid line).
    pub history: Vec<ForecastPoint>,
    /// Forecast days, oldest first.
    pub days: Vec<ForecastPoint>,
    /// Error on the held-out days, in percent; `None` without enough history.
    pub backtest_mape: Option<f64>,
    pub backtest_days: u32,
    pub staffing: Vec<StaffingRow>,
    pub assumptions: StaffingAssumptions,
    /// Why there is no staffing (no handling times, no contacts on the staffed
    /// channels); `None` when `staffing` is computed or was not asked for.
    #[serde(default)]
    pub staffing_missing: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ForecastPoint {
    pub date: String,
    /// `周一` … `周日`.
    pub weekday: String,
    pub volume: f64,
}

/// Agents needed on one forecast day.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StaffingRow {
    pub date: String,
    pub weekday: String,
    /// Forecast contacts of the staffed channels.
    pub volume: f64,
    /// Erlang C: agents logged in during an average open hour.
    pub erlang_agents: u32,
    /// Service level those agents reach, `0.0..=1.0`.
    pub service_level: f64,
    /// Erlang C agents as people to schedule for the day.
    pub erlang_headcount: u32,
    /// Volume ÷ contacts per agent-day ÷ attendance.
    pub simple_headcount: u32,
}

/// The inputs of the staffing numbers, printed under the table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StaffingAssumptions {
    /// Share answered within `sla_seconds`, `0.0..=1.0`.
    pub sla_target: f64,
    pub sla_seconds: u32,
    pub aht_s: f64,
    /// Share of contacts on the staffed channels.
    pub channel_share: f64,
    pub open_hours: f64,
    pub shift_hours: f64,
    pub attendance_rate: f64,
    pub contacts_per_agent_day: f64,
}

/// The key-driver analysis (关联性分析) of the report period: each factor's effect on
/// the result KPIs and the importance models.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DriverSection {
    /// Contacts of the report period analysed.
    pub contacts: u64,
    /// Fewest contacts with a KPI known on each side of a comparison.
    pub min_base: u64,
    /// Whether agent teams are configured (else the team dimension is absent).
    pub teams_configured: bool,
    /// The KPIs over all contacts, in the order of every effect list.
    pub outcomes: Vec<DriverOutcome>,
    /// Factors by dimension, then by volume.
    pub factors: Vec<DriverFactor>,
    /// One per KPI with enough contacts.
    pub models: Vec<DriverModel>,
    /// Quotes of the top drivers.
    pub verbatims: Vec<DriverVerbatims>,
}

/// A result KPI over the period's contacts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DriverOutcome {
    /// `csat`, `dsat`, `fcr`, `aht`, `repeat`.
    pub metric: String,
    pub name: String,
    /// `share` (0–1) or `seconds`.
    pub unit: String,
    pub higher_is_better: bool,
    /// Contacts with it known.
    pub base: u64,
    pub value: Option<f64>,
}

/// One factor (a category, channel, queue, team, repeat contact or wait band).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DriverFactor {
    /// `category`, `channel`, `queue`, `team`, `repeat`, `wait_band`.
    pub dimension: String,
    /// Category id, channel code, queue … as stored.
    pub value: String,
    /// Its name in the report (category leaf, channel in Chinese …).
    pub label: String,
    /// Owning department (categories), else empty.
    #[serde(default)]
    pub owner: String,
    pub contacts: u64,
    pub effects: Vec<DriverEffect>,
}

/// A factor's effect on one KPI: the KPI with it minus without it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DriverEffect {
    pub metric: String,
    pub n_with: u64,
    pub n_without: u64,
    pub with: Option<f64>,
    pub without: Option<f64>,
    /// Difference and its 95 % interval; `None` when a side is under `min_base`.
    pub diff: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Rank among the KPI's significant adverse effects by impact (volume × effect).
    pub rank: Option<u32>,
}

impl DriverEffect {
    /// The interval excludes 0.
    pub fn significant(&self) -> bool {
        matches!((self.low, self.high), (Some(l), Some(h)) if l > 0.0 || h < 0.0)
    }

    /// Volume × effect, when significant.
    pub fn impact(&self) -> Option<f64> {
        self.diff
            .filter(|_| self.significant())
            .map(|d| d * self.n_with as f64)
    }
}

/// A KPI's least-squares model on the factors.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DriverModel {
    pub metric: String,
    /// Contacts fitted.
    pub n: u64,
    pub r2: f64,
    /// R² attributed to each dimension (Shapley values; they sum to `r2`).
    pub dimensions: Vec<DriverImportance>,
    /// Standardized coefficients of the factors in the model.
    pub coefficients: Vec<DriverCoefficient>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DriverImportance {
    pub dimension: String,
    pub r2: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DriverCoefficient {
    pub dimension: String,
    pub value: String,
    pub coefficient: f64,
    pub standardized: f64,
}

/// Quotes of contacts with a top driver and on its KPI's bad side.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DriverVerbatims {
    pub dimension: String,
    pub value: String,
    pub metric: String,
    pub verbatims: Vec<Verbatim>,
}

/// The month's cost break-even (成本临界点) and its use so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CostSection {
    /// `2026-11`.
    pub month: String,
    pub as_of: String,
    pub days_in_month: u32,
    pub days_elapsed: u32,
    pub days_remaining: u32,
    /// 元.
    pub monthly_cost: f64,
    /// `contact` or `seat_hour`: what the contract pays for.
    pub revenue_basis: String,
    /// 元 per contact or seat hour.
    pub revenue_rate: f64,
    /// Contacts (or seat hours) whose revenue covers the month's cost.
    pub breakeven: f64,
    pub weeks: Vec<CostWeekRow>,
    pub days: Vec<CostDayRow>,
    pub cost_to_date: Option<f64>,
    pub revenue_to_date: Option<f64>,
    pub volume_to_date: Option<f64>,
    /// `需控制在`, `已超支`, `本月已结束` or `数据不足`, with the value.
    pub cost_remainder: String,
    pub cost_remainder_value: Option<f64>,
    /// `需达到`, `已达成`, `本月已结束` or `数据不足`, with the value.
    pub volume_remainder: String,
    pub volume_remainder_value: Option<f64>,
    /// Share of paid seat time spent handling contacts.
    pub occupancy: f64,
    /// 元 per seat hour; without it there is no actual cost.
    pub hourly_cost: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CostWeekRow {
    pub week: String,
    pub first: String,
    pub last: String,
    pub cost_line: f64,
    pub breakeven: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CostDayRow {
    pub date: String,
    pub cost_line: f64,
    pub breakeven: f64,
    /// `None` after the last day with data.
    pub contacts: Option<u64>,
    pub seat_hours: Option<f64>,
    pub cost: Option<f64>,
    pub revenue: Option<f64>,
}
