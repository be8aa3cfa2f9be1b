//! The KPI scorecard (指标达成): daily and month-to-date actuals against the month's
//! targets, each classified 达标 / 预警 / 未达标, and the dynamic target (动态目标值).
//!
//! Definitions (all computed per calendar day in China time, then summed):
//! - **FCR** 一次解决率: of contacts whose `resolved` is known, the share that are
//!   resolved *and* not followed by another contact of the same customer within
//!   `fcr_window_days` (exact time difference). A contact without a customer id cannot
//!   be followed up and counts on `resolved` alone. Contacts of the last days before
//!   "today" have not had the whole window yet, so their FCR can still fall.
//! - **CSAT** 满意度: share of surveyed contacts (`csat` present) scoring 4 or 5
//!   (top-two-box), not the mean score.
//! - **DSAT** 不满意率: share of surveyed contacts scoring 1 or 2.
//! - **AHT** 平均处理时长: mean `duration_s` over contacts that have one, in seconds.
//! - **SLA** 服务水平: share of contacts of the real-time channels (`sla_channels`,
//!   voice and chat by default) with a known `wait_s` that waited at most `sla_seconds`.
//! - **投诉率**: complaints per 1,000 contacts.
//!
//! Classification: a value on the right side of its target is 达标; one on the wrong side
//! but within `warning_band_pct` percent of the target is 预警; otherwise 未达标.
//!
//! Dynamic target: with N and D the month-to-date numerator and denominator, V the
//! denominator expected over the remaining days (forecast contacts × the month-to-date
//! ratio of denominator to contacts, so it is weighted by each day's expected volume)
//! and T the target, the month ends on target when the remaining days average
//! x* = (T·(D + V) − N) / V. If no value in the metric's range can reach it (x* above
//! 100% for a share that must rise, below 0 for one that must fall) it is unreachable
//! (无法达成); if every value in range reaches it, the month is secured (已锁定).

use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use crate::AggregateError;
use voc_store::frame::{i32s, opt_bools, opt_epoch_seconds, opt_strs, opt_u32s, strs};
use voc_store::scan::{date_of_epoch_days, epoch_days};

use crate::calendar::{month_end, month_key, month_start};

/// `[kpi]` of the pipeline file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiConfig {
    /// A resolved contact followed by another of the same customer within this many days
    /// was not resolved at first contact.
    #[serde(default = "seven")]
    pub fcr_window_days: u32,
    /// SLA: answered within this many seconds of waiting.
    #[serde(default = "twenty")]
    pub sla_seconds: u32,
    /// Channels the SLA applies to (real-time queues).
    #[serde(default = "sla_channels")]
    pub sla_channels: Vec<String>,
    /// How far on the wrong side of its target (in percent of the target) a value is
    /// still 预警 rather than 未达标.
    #[serde(default = "five")]
    pub warning_band_pct: f64,
    /// Targets per month (`"2026-11"`), and `"default"` for months without their own.
    #[serde(default)]
    pub targets: BTreeMap<String, MonthTargets>,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            fcr_window_days: seven(),
            sla_seconds: twenty(),
            sla_channels: sla_channels(),
            warning_band_pct: five(),
            targets: BTreeMap::new(),
        }
    }
}

fn seven() -> u32 {
    7
}
fn twenty() -> u32 {
    20
}
fn five() -> f64 {
    5.0
}
fn sla_channels() -> Vec<String> {
    vec!["voice".into(), "chat".into()]
}

/// The targets of one month; a metric without a target is not scored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthTargets {
    /// Share, e.g. 0.80.
    pub fcr: Option<f64>,
    /// Share of 4–5 scores, e.g. 0.85.
    pub csat: Option<f64>,
    /// Share of 1–2 scores, e.g. 0.05.
    pub dsat: Option<f64>,
    /// Seconds.
    pub aht_s: Option<f64>,
    /// Share answered within `sla_seconds`, e.g. 0.80.
    pub sla: Option<f64>,
    /// Complaints per 1,000 contacts.
    pub complaint_rate: Option<f64>,
}

impl MonthTargets {
    pub fn get(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Fcr => self.fcr,
            Metric::Csat => self.csat,
            Metric::Dsat => self.dsat,
            Metric::Aht => self.aht_s,
            Metric::Sla => self.sla,
            Metric::ComplaintRate => self.complaint_rate,
        }
    }
}

impl KpiConfig {
    /// The targets of `month` (`YYYY-MM`), else the `default` ones.
    pub fn targets_for(&self, month: &str) -> Option<&MonthTargets> {
        self.targets
            .get(month)
            .or_else(|| self.targets.get("default"))
    }

    /// Problems a pipeline file should be refused for.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=100.0).contains(&self.warning_band_pct) {
            return Err("[kpi] warning_band_pct must be between 0 and 100".into());
        }
        for (month, t) in &self.targets {
            let valid_key = month == "default"
                || (month.len() == 7
                    && NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_ok());
            if !valid_key {
                return Err(format!(
                    "[kpi.targets] key {month:?} is neither \"default\" nor a month like \"2026-11\""
                ));
            }
            for m in Metric::ALL {
                if let Some(v) = t.get(m) {
                    let (lo, hi) = m.range();
                    if !v.is_finite() || v < lo || hi.is_some_and(|h| v > h) {
                        return Err(format!(
                            "[kpi.targets.\"{month}\"] {} = {v} is outside {lo}..{}",
                            m.target_key(),
                            hi.map_or("∞".to_string(), |h| h.to_string())
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Fcr,
    Csat,
    Dsat,
    Aht,
    Sla,
    ComplaintRate,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::Fcr,
        Metric::Csat,
        Metric::Dsat,
        Metric::Aht,
        Metric::Sla,
        Metric::ComplaintRate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Metric::Fcr => "fcr",
            Metric::Csat => "csat",
            Metric::Dsat => "dsat",
            Metric::Aht => "aht",
            Metric::Sla => "sla",
            Metric::ComplaintRate => "complaint_rate",
        }
    }

    /// Name of the target in `[kpi.targets.*]`.
    pub fn target_key(self) -> &'static str {
        match self {
            Metric::Aht => "aht_s",
            other => other.key(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Fcr => "一次解决率（FCR）",
            Metric::Csat => "满意度（CSAT）",
            Metric::Dsat => "不满意率（DSAT）",
            Metric::Aht => "平均处理时长（AHT）",
            Metric::Sla => "服务水平（SLA）",
            Metric::ComplaintRate => "投诉率",
        }
    }

    /// `share` (0–1), `seconds` or `per_mille`.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Aht => "seconds",
            Metric::ComplaintRate => "per_mille",
            _ => "share",
        }
    }

    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Fcr | Metric::Csat | Metric::Sla)
    }

    /// The values the metric can take (`None`: no upper bound).
    pub fn range(self) -> (f64, Option<f64>) {
        match self {
            Metric::Aht => (0.0, None),
            Metric::ComplaintRate => (0.0, Some(1000.0)),
            _ => (0.0, Some(1.0)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    #[serde(rename = "达标")]
    Met,
    #[serde(rename = "预警")]
    Warning,
    #[serde(rename = "未达标")]
    Missed,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "达标",
            Status::Warning => "预警",
            Status::Missed => "未达标",
        }
    }
}

/// 达标 / 预警 / 未达标 of `actual` against `target`.
pub fn classify(metric: Metric, actual: f64, target: f64, warning_band_pct: f64) -> Status {
    let band = target.abs() * warning_band_pct / 100.0;
    let shortfall = if metric.higher_is_better() {
        target - actual
    } else {
        actual - target
    };
    // A tiny tolerance so that a value printed equal to its target is not a miss.
    if shortfall <= 1e-12 {
        Status::Met
    } else if shortfall <= band + 1e-12 {
        Status::Warning
    } else {
        Status::Missed
    }
}

/// What the remaining days of the month must average.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DynamicTarget {
    /// The volume-weighted average the remaining days must reach (at least, for a
    /// higher-is-better metric; at most otherwise).
    Required { value: f64 },
    /// The month meets its target whatever the remaining days bring.
    Secured,
    /// No value in the metric's range can bring the month to target; `value` is the
    /// average that would be needed.
    Unreachable { value: f64 },
    /// The month has no days left (or none are expected to have contacts).
    NoRemainingDays,
    /// Nothing to base it on (no month-to-date denominator).
    NoBasis,
}

impl DynamicTarget {
    pub fn label(&self) -> &'static str {
        match self {
            DynamicTarget::Required { .. } => "需达到",
            DynamicTarget::Secured => "已锁定",
            DynamicTarget::Unreachable { .. } => "无法达成",
            DynamicTarget::NoRemainingDays => "本月已结束",
            DynamicTarget::NoBasis => "数据不足",
        }
    }

    pub fn value(&self) -> Option<f64> {
        match self {
            DynamicTarget::Required { value } | DynamicTarget::Unreachable { value } => {
                Some(*value)
            }
            _ => None,
        }
    }
}

/// x* = (T·(D + V) − N) / V, classified against the metric's range.
pub fn dynamic_target(
    metric: Metric,
    target: f64,
    numerator: f64,
    denominator: f64,
    remaining_denominator: f64,
) -> DynamicTarget {
    if remaining_denominator.is_nan() || remaining_denominator <= 0.0 {
        return DynamicTarget::NoRemainingDays;
    }
    let required =
        (target * (denominator + remaining_denominator) - numerator) / remaining_denominator;
    if !required.is_finite() {
        return DynamicTarget::NoBasis;
    }
    let (lo, hi) = metric.range();
    if metric.higher_is_better() {
        if required <= lo {
            DynamicTarget::Secured
        } else if hi.is_some_and(|h| required > h) {
            DynamicTarget::Unreachable { value: required }
        } else {
            DynamicTarget::Required { value: required }
        }
    } else if hi.is_some_and(|h| required >= h) {
        DynamicTarget::Secured
    } else if required < lo {
        DynamicTarget::Unreachable { value: required }
    } else {
        DynamicTarget::Required { value: required }
    }
}

/// Per-day sums every metric is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DayKpi {
    pub contacts: u64,
    pub complaints: u64,
    pub fcr_resolved: u64,
    pub fcr_known: u64,
    pub surveyed: u64,
    pub csat_top2: u64,
    pub csat_bottom2: u64,
    pub duration_sum: f64,
    pub duration_n: u64,
    pub sla_met: u64,
    pub sla_n: u64,
}

impl DayKpi {
    pub fn add(&mut self, o: &DayKpi) {
        self.contacts += o.contacts;
        self.complaints += o.complaints;
        self.fcr_resolved += o.fcr_resolved;
        self.fcr_known += o.fcr_known;
        self.surveyed += o.surveyed;
        self.csat_top2 += o.csat_top2;
        self.csat_bottom2 += o.csat_bottom2;
        self.duration_sum += o.duration_sum;
        self.duration_n += o.duration_n;
        self.sla_met += o.sla_met;
        self.sla_n += o.sla_n;
    }

    /// (numerator, denominator) of `metric`: its value is their ratio.
    pub fn parts(&self, metric: Metric) -> (f64, f64) {
        match metric {
            Metric::Fcr => (self.fcr_resolved as f64, self.fcr_known as f64),
            Metric::Csat => (self.csat_top2 as f64, self.surveyed as f64),
            Metric::Dsat => (self.csat_bottom2 as f64, self.surveyed as f64),
            Metric::Aht => (self.duration_sum, self.duration_n as f64),
            Metric::Sla => (self.sla_met as f64, self.sla_n as f64),
            Metric::ComplaintRate => (self.complaints as f64 * 1000.0, self.contacts as f64),
        }
    }

    pub fn value(&self, metric: Metric) -> Option<f64> {
        self.value_on(metric, f64::MIN_POSITIVE)
    }

    /// The value when its denominator (surveys, handling times, contacts …) is at least
    /// `min_base`; `None` otherwise: too few to print as a fact.
    pub fn value_on(&self, metric: Metric, min_base: f64) -> Option<f64> {
        let (n, d) = self.parts(metric);
        (d > 0.0 && d >= min_base).then(|| n / d)
    }
}

/// Fewest surveys, handling times, SLA contacts … a day's KPI value is shown from.
pub const MIN_DAY_BASE: f64 = 10.0;
/// Fewest a month-to-date value (and a dynamic target) is computed from.
pub const MIN_MONTH_BASE: f64 = 30.0;

/// One contact as the KPIs need it.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiContact {
    pub date: NaiveDate,
    pub customer: Option<String>,
    /// Seconds since the epoch; `None` when the time does not parse.
    pub at: Option<i64>,
    pub channel: String,
    pub complaint: bool,
    pub resolved: Option<bool>,
    pub csat: Option<u32>,
    pub duration_s: Option<u32>,
    pub wait_s: Option<u32>,
}

/// FCR of each contact: `None` when `resolved` is unknown, else resolved and no later
/// contact of the same customer within `window_days`.
pub fn first_contact_resolution(contacts: &[KpiContact], window_days: u32) -> Vec<Option<bool>> {
    let window = i64::from(window_days) * 86_400;
    // The next contact of the same customer, by time (ties by input order).
    let mut order: Vec<usize> = (0..contacts.len()).collect();
    order.sort_by_key(|&i| (contacts[i].at, i));
    let mut next_at: Vec<Option<i64>> = vec![None; contacts.len()];
    let mut seen: HashMap<&str, i64> = HashMap::new();
    for &i in order.iter().rev() {
        let c = &contacts[i];
        if let (Some(customer), Some(at)) = (c.customer.as_deref(), c.at) {
            next_at[i] = seen.get(customer).copied();
            seen.insert(customer, at);
        }
    }
    contacts
        .iter()
        .zip(next_at)
        .map(|(c, next)| {
            c.resolved.map(|resolved| {
                let repeated = match (c.at, next) {
                    (Some(at), Some(n)) => n - at <= window,
                    _ => false,
                };
                resolved && !repeated
            })
        })
        .collect()
}

/// Per-day sums over `contacts`.
pub fn day_sums(contacts: &[KpiContact], config: &KpiConfig) -> BTreeMap<NaiveDate, DayKpi> {
    let fcr = first_contact_resolution(contacts, config.fcr_window_days);
    let mut out: BTreeMap<NaiveDate, DayKpi> = BTreeMap::new();
    for (c, fcr) in contacts.iter().zip(fcr) {
        let d = out.entry(c.date).or_default();
        d.contacts += 1;
        d.complaints += u64::from(c.complaint);
        if let Some(f) = fcr {
            d.fcr_known += 1;
            d.fcr_resolved += u64::from(f);
        }
        if let Some(score) = c.csat {
            d.surveyed += 1;
            d.csat_top2 += u64::from(score >= 4);
            d.csat_bottom2 += u64::from(score <= 2);
        }
        if let Some(s) = c.duration_s {
            d.duration_sum += f64::from(s);
            d.duration_n += 1;
        }
        if config.sla_channels.contains(&c.channel)
            && let Some(w) = c.wait_s
        {
            d.sla_n += 1;
            d.sla_met += u64::from(w <= config.sla_seconds);
        }
    }
    out
}

/// Reads the KPI columns of the contacts from `from` to `to` (inclusive).
pub fn read_contacts(
    lf: &LazyFrame,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<KpiContact>, AggregateError> {
    let df = lf
        .clone()
        .select([
            col("date").cast(DataType::Int32).alias("day"),
            col("customer_id"),
            col("started_at"),
            col("channel"),
            col("complaint"),
            col("resolved"),
            col("csat"),
            col("duration_s"),
            col("wait_s"),
        ])
        .filter(
            col("day")
                .gt_eq(lit(epoch_days(from)))
                .and(col("day").lt_eq(lit(epoch_days(to)))),
        )
        .collect()?;
    let days = i32s(&df, "day")?;
    let customers = opt_strs(&df, "customer_id")?;
    let started = opt_epoch_seconds(&df, "started_at")?;
    let channels = strs(&df, "channel")?;
    let complaint = opt_bools(&df, "complaint")?;
    let resolved = opt_bools(&df, "resolved")?;
    let csat = opt_u32s(&df, "csat")?;
    let duration = opt_u32s(&df, "duration_s")?;
    let wait = opt_u32s(&df, "wait_s")?;
    Ok((0..df.height())
        .map(|i| KpiContact {
            date: date_of_epoch_days(days[i]),
            customer: customers[i].clone(),
            at: started[i],
            channel: channels[i].clone(),
            complaint: complaint[i].unwrap_or(false),
            resolved: resolved[i],
            csat: csat[i],
            duration_s: duration[i],
            wait_s: wait[i],
        })
        .collect())
}

/// One metric on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiDayRow {
    pub date: String,
    pub metric: Metric,
    pub actual: Option<f64>,
    pub target: f64,
    pub status: Option<Status>,
    pub numerator: f64,
    pub denominator: f64,
}

/// One metric month to date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiMonthRow {
    pub month: String,
    /// "Today": the last day with data in the report period.
    pub as_of: String,
    pub metric: Metric,
    pub target: f64,
    pub actual: Option<f64>,
    pub status: Option<Status>,
    /// The value and status of `as_of` alone.
    pub day_actual: Option<f64>,
    pub day_status: Option<Status>,
    pub days_elapsed: u32,
    pub days_remaining: u32,
    /// Denominator expected over the remaining days.
    pub remaining_denominator: f64,
    pub dynamic: DynamicTarget,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scorecard {
    pub month: String,
    pub as_of: String,
    /// `false` when no target is configured for the month.
    pub has_targets: bool,
    pub month_rows: Vec<KpiMonthRow>,
    pub daily: Vec<KpiDayRow>,
}

/// The scorecard of the month of `today` from the per-day sums of its days up to
/// `today` and the expected contacts of the days after it (`expected`: date → contacts,
/// from the forecast).
pub fn scorecard(
    days: &BTreeMap<NaiveDate, DayKpi>,
    today: NaiveDate,
    expected: &BTreeMap<NaiveDate, f64>,
    config: &KpiConfig,
) -> Scorecard {
    let month = month_key(today);
    let first = month_start(today);
    let last = month_end(today);
    let mut card = Scorecard {
        month: month.clone(),
        as_of: today.format("%Y-%m-%d").to_string(),
        ..Default::default()
    };
    let Some(targets) = config.targets_for(&month) else {
        return card;
    };
    let mut mtd = DayKpi::default();
    for (_, d) in days.range(first..=today) {
        mtd.add(d);
    }
    let today_sums = days.get(&today).copied().unwrap_or_default();
    let remaining_contacts: f64 = match today.succ_opt() {
        Some(next) if next <= last => expected.range(next..=last).map(|(_, v)| v.max(0.0)).sum(),
        _ => 0.0,
    };
    let days_elapsed = (today - first).num_days() as u32 + 1;
    let days_remaining = (last - today).num_days() as u32;
    for metric in Metric::ALL {
        let Some(target) = targets.get(metric) else {
            continue;
        };
        card.has_targets = true;
        for (date, d) in days.range(first..=today) {
            let (n, den) = d.parts(metric);
            let actual = d.value_on(metric, MIN_DAY_BASE);
            card.daily.push(KpiDayRow {
                date: date.format("%Y-%m-%d").to_string(),
                metric,
                actual,
                target,
                status: actual.map(|a| classify(metric, a, target, config.warning_band_pct)),
                numerator: n,
                denominator: den,
            });
        }
        let (n, den) = mtd.parts(metric);
        let actual = mtd.value_on(metric, MIN_MONTH_BASE);
        // The remaining days' denominator: expected contacts scaled by how many contacts
        // carried this metric so far (surveys answered, SLA-channel contacts …).
        let per_contact = if mtd.contacts > 0 {
            den / mtd.contacts as f64
        } else {
            0.0
        };
        let remaining_denominator = remaining_contacts * per_contact;
        let dynamic = if days_remaining == 0 {
            DynamicTarget::NoRemainingDays
        } else if den < MIN_MONTH_BASE {
            DynamicTarget::NoBasis
        } else {
            dynamic_target(metric, target, n, den, remaining_denominator)
        };
        let day_actual = today_sums.value_on(metric, MIN_DAY_BASE);
        card.month_rows.push(KpiMonthRow {
            month: month.clone(),
            as_of: card.as_of.clone(),
            metric,
            target,
            actual,
            status: actual.map(|a| classify(metric, a, target, config.warning_band_pct)),
            day_actual,
            day_status: day_actual.map(|a| classify(metric, a, target, config.warning_band_pct)),
            days_elapsed,
            days_remaining,
            remaining_denominator,
            dynamic,
        });
    }
    card.daily
        .sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.metric.cmp(&b.metric)));
    card
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dynamic_target_by_hand() {
        // FCR target 80%; 750 of 1,000 so far; 500 more expected.
        // (0.8 × 1500 − 750) / 500 = 0.9.
        let x = dynamic_target(Metric::Fcr, 0.8, 750.0, 1000.0, 500.0);
        assert!(matches!(x, DynamicTarget::Required { value } if (value - 0.9).abs() < 1e-12));
        // 600 of 1,000: (1200 − 600) / 500 = 1.2 > 100%: unreachable.
        let x = dynamic_target(Metric::Fcr, 0.8, 600.0, 1000.0, 500.0);
        assert!(matches!(x, DynamicTarget::Unreachable { value } if (value - 1.2).abs() < 1e-12));
        // 1,000 of 1,000 and only 100 to come: (0.8 × 1100 − 1000) / 100 = −1.2: secured.
        assert_eq!(
            dynamic_target(Metric::Fcr, 0.8, 1000.0, 1000.0, 100.0),
            DynamicTarget::Secured
        );
        // AHT target 300 s; 1,000 contacts averaged 320 s; 1,000 more expected:
        // (300 × 2000 − 320,000) / 1000 = 280 s at most.
        let x = dynamic_target(Metric::Aht, 300.0, 320_000.0, 1000.0, 1000.0);
        assert!(matches!(x, DynamicTarget::Required { value } if (value - 280.0).abs() < 1e-9));
        // AHT 700 s so far over 1,000, 100 to come: (300 × 1100 − 700,000) / 100 < 0.
        assert!(matches!(
            dynamic_target(Metric::Aht, 300.0, 700_000.0, 1000.0, 100.0),
            DynamicTarget::Unreachable { .. }
        ));
        // Complaint rate target 50‰: 30 complaints in 1,000 contacts, 1,000 to come:
        // (50 × 2000 − 30,000) / 1000 = 70‰ at most.
        let x = dynamic_target(Metric::ComplaintRate, 50.0, 30_000.0, 1000.0, 1000.0);
        assert!(matches!(x, DynamicTarget::Required { value } if (value - 70.0).abs() < 1e-9));
        assert_eq!(
            dynamic_target(Metric::Fcr, 0.8, 1.0, 1.0, 0.0),
            DynamicTarget::NoRemainingDays
        );
    }

    #[test]
    fn classification_bands() {
        // Higher is better, target 0.80, band 5% of it = 0.04.
        assert_eq!(classify(Metric::Fcr, 0.80, 0.80, 5.0), Status::Met);
        assert_eq!(classify(Metric::Fcr, 0.77, 0.80, 5.0), Status::Warning);
        assert_eq!(classify(Metric::Fcr, 0.76, 0.80, 5.0), Status::Warning);
        assert_eq!(classify(Metric::Fcr, 0.75, 0.80, 5.0), Status::Missed);
        // Lower is better, AHT target 300 s: band 15 s.
        assert_eq!(classify(Metric::Aht, 290.0, 300.0, 5.0), Status::Met);
        assert_eq!(classify(Metric::Aht, 315.0, 300.0, 5.0), Status::Warning);
        assert_eq!(classify(Metric::Aht, 316.0, 300.0, 5.0), Status::Missed);
    }

    fn contact(customer: &str, at: &str, resolved: Option<bool>) -> KpiContact {
        let t = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        KpiContact {
            date: voc_core::time::china_date(&t),
            customer: (!customer.is_empty()).then(|| customer.to_string()),
            at: Some(t.timestamp()),
            channel: "voice".into(),
            complaint: false,
            resolved,
            csat: None,
            duration_s: None,
            wait_s: None,
        }
    }

    #[test]
    fn fcr_looks_ahead_for_a_repeat_by_the_same_customer() {
        let contacts = vec![
            // U1 resolved, calls again 6 days later: not FCR; the second call is FCR.
            contact("U1", "2026-11-01T10:00:00+08:00", Some(true)),
            contact("U1", "2026-11-07T09:00:00+08:00", Some(true)),
            // U2 resolved, calls again 8 days later: both FCR.
            contact("U2", "2026-11-01T10:00:00+08:00", Some(true)),
            contact("U2", "2026-11-09T10:00:01+08:00", Some(true)),
            // Unresolved: never FCR; unknown: not counted; no customer id: resolved alone.
            contact("U3", "2026-11-02T10:00:00+08:00", Some(false)),
            contact("U4", "2026-11-02T10:00:00+08:00", None),
            contact("", "2026-11-02T10:00:00+08:00", Some(true)),
        ];
        assert_eq!(
            first_contact_resolution(&contacts, 7),
            [
                Some(false),
                Some(true),
                Some(true),
                Some(true),
                Some(false),
                None,
                Some(true)
            ]
        );
        // Exactly 7 days later is within the window.
        let edge = vec![
            contact("U1", "2026-11-01T10:00:00+08:00", Some(true)),
            contact("U1", "2026-11-08T10:00:00+08:00", Some(true)),
        ];
        assert_eq!(
            first_contact_resolution(&edge, 7),
            [Some(false), Some(true)]
        );
    }

    #[test]
    fn day_sums_follow_the_definitions() {
        let mut a = contact("U1", "2026-11-01T10:00:00+08:00", Some(true));
        a.csat = Some(5);
        a.duration_s = Some(300);
        a.wait_s = Some(20);
        a.complaint = true;
        let mut b = contact("U2", "2026-11-01T11:00:00+08:00", Some(false));
        b.csat = Some(2);
        b.duration_s = Some(100);
        b.wait_s = Some(21);
        let mut e = contact("U3", "2026-11-01T12:00:00+08:00", None);
        e.channel = "email".into();
        e.csat = Some(3);
        e.wait_s = Some(5000);
        let sums = day_sums(&[a, b, e], &KpiConfig::default());
        let s = sums[&d("2026-11-01")];
        assert_eq!(s.value(Metric::Fcr), Some(0.5));
        assert_eq!(s.value(Metric::Csat), Some(1.0 / 3.0));
        assert_eq!(s.value(Metric::Dsat), Some(1.0 / 3.0));
        assert_eq!(s.value(Metric::Aht), Some(200.0));
        // E-mail is not an SLA channel; 20 s is within 20 s, 21 s is not.
        assert_eq!(s.value(Metric::Sla), Some(0.5));
        assert!((s.value(Metric::ComplaintRate).unwrap() - 1000.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn scorecard_month_to_date_with_forecast_weighting() {
        // 2 days of November (30 days): 100 contacts a day, 70 FCR of 100 known each day.
        let day = DayKpi {
            contacts: 100,
            fcr_resolved: 70,
            fcr_known: 100,
            ..Default::default()
        };
        let days: BTreeMap<NaiveDate, DayKpi> = [(d("2026-11-01"), day), (d("2026-11-02"), day)]
            .into_iter()
            .collect();
        // Forecast: 50 a day for 3–30 November (28 days = 1,400), and days in December
        // that must not count.
        let mut expected = BTreeMap::new();
        let mut date = d("2026-11-03");
        while date <= d("2026-12-05") {
            expected.insert(date, 50.0);
            date = date.succ_opt().unwrap();
        }
        let config = KpiConfig {
            targets: [(
                "default".to_string(),
                MonthTargets {
                    fcr: Some(0.75),
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        };
        let card = scorecard(&days, d("2026-11-02"), &expected, &config);
        assert!(card.has_targets);
        assert_eq!(card.month, "2026-11");
        assert_eq!(card.month_rows.len(), 1);
        let row = &card.month_rows[0];
        assert_eq!((row.days_elapsed, row.days_remaining), (2, 28));
        assert_eq!(row.actual, Some(0.7));
        assert_eq!(row.status, Some(Status::Missed));
        assert_eq!(row.remaining_denominator, 1400.0);
        // (0.75 × 1600 − 140) / 1400 = 1060 / 1400.
        assert_eq!(
            row.dynamic,
            DynamicTarget::Required {
                value: 1060.0 / 1400.0
            }
        );
        assert_eq!(card.daily.len(), 2);
        // No target for the month: an empty card, not an error.
        let none = scorecard(&days, d("2026-11-02"), &expected, &KpiConfig::default());
        assert!(!none.has_targets && none.month_rows.is_empty());
        // The last day of the month: nothing left to reach.
        let end = scorecard(&days, d("2026-11-30"), &expected, &config);
        assert_eq!(end.month_rows[0].dynamic, DynamicTarget::NoRemainingDays);
        // Too few known outcomes: no value, no status and no dynamic target, not 0 %.
        let few = DayKpi {
            contacts: 100,
            fcr_resolved: 5,
            fcr_known: 9,
            ..Default::default()
        };
        let days: BTreeMap<NaiveDate, DayKpi> = [(d("2026-11-01"), few), (d("2026-11-02"), few)]
            .into_iter()
            .collect();
        let card = scorecard(&days, d("2026-11-02"), &expected, &config);
        let row = &card.month_rows[0];
        assert_eq!((row.actual, row.status, row.day_actual), (None, None, None));
        assert_eq!(row.dynamic, DynamicTarget::NoBasis);
        assert!(card.daily.iter().all(|d| d.actual.is_none()));
    }

    #[test]
    fn config_validation() {
        let mut c = KpiConfig::default();
        assert!(c.validate().is_ok());
        c.targets.insert("2026-13".into(), MonthTargets::default());
        assert!(c.validate().is_err());
        c.targets.clear();
        c.targets.insert(
            "2026-11".into(),
            MonthTargets {
                fcr: Some(1.5),
                ..Default::default()
            },
        );
        assert!(c.validate().unwrap_err().contains("fcr = 1.5"));
    }
}
