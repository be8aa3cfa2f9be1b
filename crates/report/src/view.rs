//! The report's input seen from its report period: the rows the period and its
//! comparison period point at, computed once so every section agrees on them.

use chrono::NaiveDate;
use voc_core::Period;

use crate::format::{day_range, period_range, period_unit};
use crate::model::{CategoryRow, PeriodVolume, ReportInput, SentimentPoint};

/// Family-wise error rate of the two-period test of the complaint categories' changes,
/// Bonferroni-corrected over the categories tested.
pub(crate) const CHANGE_ALPHA: f64 = 0.05;
/// A category's change is reported only when this period or the previous one has at
/// least this many contacts of it: below that no rate is worth a sentence.
pub(crate) const CHANGE_MIN_COUNT: u64 = 10;

/// Length of the trailing baseline the emerging-issue test compares against.
pub const BASELINE_PERIODS: u32 = 8;

/// The input plus the rows the report period and its comparison period point at.
pub(crate) struct View<'a> {
    pub input: &'a ReportInput,
    pub volume: Option<&'a PeriodVolume>,
    pub volume_previous: Option<&'a PeriodVolume>,
    pub sentiment: Option<&'a SentimentPoint>,
    pub sentiment_previous: Option<&'a SentimentPoint>,
    /// Complaint categories (意见点), largest first.
    pub complaints: Vec<&'a CategoryRow>,
    /// Other categories (关注点), largest first.
    pub others: Vec<&'a CategoryRow>,
    /// Label of the comparison period, if there is one.
    pub previous_label: Option<String>,
}

impl<'a> View<'a> {
    pub(crate) fn new(input: &'a ReportInput) -> Self {
        let previous = input.previous_period.as_deref();
        let (volume, volume_previous) =
            locate(&input.volume, |v| &v.period, &input.period, previous);
        let (sentiment, sentiment_previous) =
            locate(&input.sentiment, |s| &s.period, &input.period, previous);
        // The comparison span, when given, is what the period is compared with.
        let volume_previous = input.comparison_volume.as_ref().or(volume_previous);
        let sentiment_previous = input.comparison_sentiment.as_ref().or(sentiment_previous);
        // Re-sort even though the input promises an order: the tables and the
        // "largest theme" sentence must not depend on the caller getting it right.
        let mut complaints: Vec<&CategoryRow> =
            input.categories.iter().filter(|c| c.complaint).collect();
        let mut others: Vec<&CategoryRow> =
            input.categories.iter().filter(|c| !c.complaint).collect();
        let by_size = |a: &&CategoryRow, b: &&CategoryRow| {
            b.current.cmp(&a.current).then_with(|| a.id.cmp(&b.id))
        };
        complaints.sort_by(by_size);
        others.sort_by(by_size);
        let previous_label = input
            .previous_period
            .clone()
            .or_else(|| volume_previous.map(|v| v.period.clone()));
        View {
            input,
            volume,
            volume_previous,
            sentiment,
            sentiment_previous,
            complaints,
            others,
            previous_label,
        }
    }

    /// The title, with the standard one when the input leaves it blank.
    pub(crate) fn title(&self) -> &'a str {
        let title = self.input.title.trim();
        if title.is_empty() {
            "价值分析报告"
        } else {
            title
        }
    }

    /// Number of periods in the emerging-issue baseline.
    pub(crate) fn baseline_periods(&self) -> u32 {
        self.input.baseline_periods.unwrap_or(BASELINE_PERIODS)
    }

    /// `近8周` for weekly reports, `近8个月` for monthly ones, `近8期` for date ranges.
    pub(crate) fn baseline_phrase(&self) -> String {
        format!(
            "近{}{}",
            self.baseline_periods(),
            period_unit(&self.input.period)
        )
    }

    /// The report period for the cover: `2026-11（2026-11-01 至 2026-11-30，数据截至
    /// 2026-11-15）`.
    pub(crate) fn period_text(&self) -> String {
        let input = self.input;
        let mut details: Vec<String> = period_range(&input.period).into_iter().collect();
        if let Some(through) = &input.data_through {
            details.push(format!("数据截至 {through}"));
        }
        if details.is_empty() {
            input.period.clone()
        } else {
            format!("{}（{}）", input.period, details.join("，"))
        }
    }

    /// The comparison period for the cover, with its days when the report period is
    /// still in progress: `2026-10（2026-10-01 至 2026-10-15，与本期已有数据的天数相同）`.
    pub(crate) fn comparison_text(&self) -> String {
        let Some(previous) = self.previous_label.as_deref() else {
            return "无（历史数据未覆盖上一期）".to_string();
        };
        let through = self
            .input
            .data_through
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        match (Period::parse(&self.input.period), through) {
            (Ok(p), Some(through)) => {
                let (first, last) = p.comparison_through(through);
                format!(
                    "{previous}（{}，与本期已有数据的天数相同）",
                    day_range(first, last)
                )
            }
            _ => previous.to_string(),
        }
    }

    /// Sum of the complaint categories, the denominator of their shares.
    pub(crate) fn complaint_total(&self) -> u64 {
        self.complaints.iter().map(|c| c.current).sum()
    }

    /// Whether a complaint category's change against the comparison period passes the
    /// two-period test: p under [`CHANGE_ALPHA`] ÷ the complaint categories tested, with
    /// at least [`CHANGE_MIN_COUNT`] contacts in one of the two periods.
    pub(crate) fn change_significant(&self, c: &CategoryRow) -> bool {
        let tested = self
            .complaints
            .iter()
            .filter(|c| c.change_p_value.is_some())
            .count()
            .max(1);
        c.current.max(c.previous) >= CHANGE_MIN_COUNT
            && c.change_p_value
                .is_some_and(|p| p < CHANGE_ALPHA / tested as f64)
    }

    /// Whether the category's rate (count per contact) rose: its count grew faster than
    /// the contacts; by count alone without the periods' contacts.
    pub(crate) fn rate_rose(&self, c: &CategoryRow) -> bool {
        match (self.volume, self.volume_previous) {
            (Some(v), Some(p)) if v.contacts > 0 && p.contacts > 0 => {
                u128::from(c.current) * u128::from(p.contacts)
                    > u128::from(c.previous) * u128::from(v.contacts)
            }
            _ => c.current > c.previous,
        }
    }

    /// Whether no complaint category changed significantly and no emerging issue was
    /// found: the summary then says so, and nothing new is recommended.
    pub(crate) fn nothing_changed(&self) -> bool {
        self.input.emerging.is_empty()
            && !self.complaints.iter().any(|c| self.change_significant(c))
    }

    /// Complaint categories whose rate rose significantly (see
    /// [`Self::change_significant`]), by absolute growth, largest first.
    pub(crate) fn rising(&self) -> Vec<&'a CategoryRow> {
        let mut rising: Vec<&CategoryRow> = self
            .complaints
            .iter()
            .copied()
            .filter(|c| c.current > c.previous && self.rate_rose(c) && self.change_significant(c))
            .collect();
        rising.sort_by(|a, b| {
            (b.current - b.previous)
                .cmp(&(a.current - a.previous))
                .then_with(|| b.current.cmp(&a.current))
                .then_with(|| a.id.cmp(&b.id))
        });
        rising
    }
}

/// The row of `period` and the row it is compared with: `previous` when given, else the
/// row just before the current one.
fn locate<'a, T>(
    rows: &'a [T],
    key: impl Fn(&T) -> &String,
    period: &str,
    previous: Option<&str>,
) -> (Option<&'a T>, Option<&'a T>) {
    let current = rows.iter().rposition(|r| key(r) == period);
    let prev = match previous {
        Some(p) => rows.iter().rposition(|r| key(r) == p),
        None => current.and_then(|i| i.checked_sub(1)),
    };
    (current.map(|i| &rows[i]), prev.map(|i| &rows[i]))
}
