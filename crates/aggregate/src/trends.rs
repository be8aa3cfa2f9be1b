//! Everything the report needs from history for one period, computed over a window of
//! partitions: the report period's tables (against the periods of the same length before
//! it), emerging issues, the breakdown by channel, region, business line and queue, new
//! terms and keywords, the KPI scorecard, the forecast and staffing, and the weekly
//! tables written beside the report. Unchanged weeks' tables and earlier periods' phrase
//! counts come from the counts kept in the `.cache` beside the history ([`crate::week_counts_cache`],
//! [`voc_store::term_counts`]), so a weekly run decodes little more than its new week.
//!
//! The period is an ISO week, a calendar month or a date range ([`Period`]). "Today" is
//! the last day with data in the period (never the wall clock), so the same history gives
//! the same results on any day it is run; a period still in progress is compared with
//! the same number of days of the previous period ([`Period::comparison_through`]).

use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use std::collections::BTreeMap;
use voc_core::{Period, PeriodKind};
use voc_store::History;
use voc_store::scan::{self, Span, WeekWindow};

use crate::AggregateError;
use crate::calendar::{month_end, month_start, previous_month_start};
use crate::cost::{self, CostBreakEven, CostConfig};
use crate::drivers::{self, DriverConfig, Drivers};
use crate::emerging::{self, Emerging, EmergingOptions};
use crate::forecast::{self, Forecast, ForecastOptions};
use crate::kpi::{self, KpiConfig, Scorecard};
use crate::staffing::{self, StaffingBasis, StaffingConfig, StaffingDay};
use crate::terms::{self, TermFilter, TermOptions, TermResults};
use crate::volumes::{self, BreakdownCount, CategoryShareRow, VolumeRow};
use crate::week_counts::{HistoryTables, tables_of};
use crate::week_counts_cache;

#[derive(Debug, Clone, PartialEq)]
pub struct TrendOptions {
    pub emerging: EmergingOptions,
    pub terms: TermOptions,
    pub kpi: KpiConfig,
    pub staffing: StaffingConfig,
    /// `[drivers]`: agent teams for the key-driver analysis.
    pub drivers: DriverConfig,
    /// `[cost]`: the break-even is computed only when it is given.
    pub cost: Option<CostConfig>,
    /// Periods shown in the volume and sentiment trend (the report period included):
    /// weeks for a weekly report, months for a monthly one. The window read is at least
    /// this long.
    pub trend_weeks: u32,
}

impl Default for TrendOptions {
    fn default() -> Self {
        TrendOptions {
            emerging: EmergingOptions::default(),
            terms: TermOptions::default(),
            kpi: KpiConfig::default(),
            staffing: StaffingConfig::default(),
            drivers: DriverConfig::default(),
            cost: None,
            trend_weeks: 13,
        }
    }
}

/// The spans a report period is computed over.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodSpans {
    pub period: Period,
    /// The last day with data in the period ("today").
    pub through: NaiveDate,
    /// Earlier periods of the same length that the history covers from their first day,
    /// oldest first, then the report period itself (cut at `through`). Each is keyed by
    /// its period key.
    pub series: Vec<Span>,
    /// What the period is compared with: the previous period, or its first days when the
    /// report period is still in progress (as many days as it has so far); `None` when
    /// the history does not reach back to the previous period's first day.
    pub comparison: Option<Span>,
}

impl PeriodSpans {
    /// The report period, up to its last day with data.
    pub fn current(&self) -> &Span {
        self.series
            .last()
            .expect("the series ends with the report period")
    }

    /// Whether the period's data ends before its last day.
    pub fn in_progress(&self) -> bool {
        self.through < self.period.last
    }
}

/// The spans of `period`: `None` when the history has no contact in it.
pub fn spans(
    history: &History,
    period: &Period,
    options: &TrendOptions,
) -> Result<Option<PeriodSpans>, AggregateError> {
    let Some((_, through)) = scan::data_days_between(history, period.first, period.last)? else {
        return Ok(None);
    };
    let mut series = Vec::new();
    for n in (1..=earlier_periods(options)).rev() {
        let p = period.back(n);
        if scan::history_covers(history, p.first)? {
            series.push(Span::new(p.key(), p.first, p.last));
        }
    }
    series.push(Span::new(period.key(), period.first, through));
    let previous = period.previous();
    let comparison = if scan::history_covers(history, previous.first)? {
        let (first, last) = period.comparison_through(through);
        Some(Span::new(previous.key(), first, last))
    } else {
        None
    };
    Ok(Some(PeriodSpans {
        period: *period,
        through,
        series,
        comparison,
    }))
}

/// How many periods before the report period are read: the longest of the baselines
/// and the trend.
fn earlier_periods(options: &TrendOptions) -> u32 {
    (options
        .emerging
        .baseline_weeks
        .max(options.terms.baseline_weeks) as u32)
        .max(options.trend_weeks.saturating_sub(1))
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trends {
    /// The report period's key.
    pub period: String,
    /// The last day with data in the period; `None` when the period has no data.
    pub today: Option<NaiveDate>,
    /// The weeks that were read.
    pub window: Option<WeekWindow>,
    pub spans: Option<PeriodSpans>,
    /// Weekly volumes, categories and region × category counts over the window read
    /// (up to `today`): the `weeks` table written beside the report.
    pub tables: HistoryTables,
    /// The same counts per period of `spans.series`, keyed by period key: the report's
    /// trends and the emerging-issue test.
    pub period_tables: HistoryTables,
    /// The same counts over `spans.comparison`, under the previous period's key.
    pub comparison_tables: Option<HistoryTables>,
    /// Emerging issues of the report period against the periods before it.
    pub emerging: Vec<Emerging>,
    /// The report period's contacts by channel, region, business line and queue.
    pub breakdown: Vec<BreakdownCount>,
    /// The report period's contacts whose mood could be followed, and how many ended
    /// worse than they began, by category and by queue.
    pub ending_worse: Vec<crate::trajectory::TrajectoryCount>,
    pub volumes: Vec<VolumeRow>,
    pub categories: Vec<CategoryShareRow>,
    pub terms: TermResults,
    pub scorecard: Scorecard,
    pub forecast: Option<Forecast>,
    pub staffing_basis: Option<StaffingBasis>,
    pub staffing: Vec<StaffingDay>,
    /// The key drivers of the report period's KPIs; `None` without contacts.
    pub drivers: Option<Drivers>,
    /// The month's cost break-even; `None` without `[cost]`.
    pub cost: Option<CostBreakEven>,
}

impl Trends {
    /// Keys of the periods the emerging-issue test and the new terms compared the report
    /// period with (those of the series that have data, at most `baseline` of them).
    pub fn baseline_keys(&self, baseline: usize) -> Vec<String> {
        emerging::baseline_of(&self.period_tables, &self.period, baseline)
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

/// The weeks a period needs: its trend and baselines, the previous month (for the
/// scorecard's month to date), and the forecast's history.
pub fn window_for(period: &Period, today: NaiveDate, options: &TrendOptions) -> WeekWindow {
    let earliest = period.back(earlier_periods(options)).first;
    let forecast = today - Duration::days(7 * i64::from(options.staffing.history_weeks.max(1)) - 1);
    let first = earliest.min(forecast).min(previous_month_start(today));
    WeekWindow::of_days(first, today)
}

/// Computes every trend table for `period` from the history. A period without any
/// stored contact gives `Trends` with `today` and `spans` unset.
pub fn compute(
    history: &History,
    period: &Period,
    options: &TrendOptions,
    filter: &TermFilter,
) -> Result<Trends, AggregateError> {
    let mut out = Trends {
        period: period.key(),
        ..Default::default()
    };
    let Some(spans) = spans(history, period, options)? else {
        return Ok(out);
    };
    let today = spans.through;
    let window = window_for(period, today, options);
    let Some(lf) = scan::scan(history, &window)? else {
        return Ok(out);
    };
    // Nothing after the period's last day with data counts, even in the same week.
    let lf = lf.filter(Span::new("", NaiveDate::MIN, today).predicate());
    out.today = Some(today);
    out.window = Some(window.clone());

    // The window's weekly tables and day counts, from the counts kept per week.
    let (tables, daily) = week_counts_cache::window_tables(history, &window, today)?;
    out.tables = tables;
    if period.kind == PeriodKind::Week {
        // Each span of a week's series is one ISO week, cut at `today` like `tables`:
        // its rows are already there.
        let keys: Vec<&str> = spans.series.iter().map(|s| s.key.as_str()).collect();
        out.period_tables = weeks_of(&out.tables, &keys);
    } else {
        out.period_tables = tables_of(
            lf.clone()
                .with_column(span_key(&spans.series).alias("week"))
                .filter(col("week").is_not_null()),
        )?;
    }
    out.comparison_tables = match &spans.comparison {
        Some(c) if period.kind == PeriodKind::Week && !spans.in_progress() => {
            Some(weeks_of(&out.tables, &[c.key.as_str()]))
        }
        Some(c) => Some(tables_of(
            lf.clone()
                .filter(c.predicate())
                .with_column(lit(c.key.clone()).alias("week")),
        )?),
        None => None,
    };
    out.emerging = emerging::detect(&out.period_tables, &out.period, &options.emerging);

    out.volumes = volumes::volume_rows(&daily);
    out.categories = volumes::category_rows(&daily);
    let current = spans.current().clone();
    out.breakdown = volumes::breakdown(
        &daily,
        (current.first, current.last),
        spans.comparison.as_ref().map(|c| (c.first, c.last)),
    );
    out.ending_worse = crate::trajectory::ending_worse(
        lf.clone().filter(current.predicate()),
        &options.drivers.team_of_agent(),
    )?;

    let baseline_keys = out.baseline_keys(options.terms.baseline_weeks);
    let baseline: Vec<Span> = spans
        .series
        .iter()
        .filter(|s| baseline_keys.contains(&s.key))
        .cloned()
        .collect();
    let month_first = month_start(today);
    // The phrase counts and the month's contacts for the KPIs are read side by side:
    // each is mostly decoding its own partitions.
    let (terms, contacts) = rayon::join(
        || terms::analyse(history, &current, &baseline, &options.terms, filter),
        // Only the month's partitions: the window's others hold no day of it.
        || match scan::scan(history, &WeekWindow::of_days(month_first, today))? {
            Some(month) => kpi::read_contacts(&month, month_first, today),
            None => Ok(Vec::new()),
        },
    );
    out.terms = terms?;
    let contacts = contacts?;

    // The forecast runs at least to the end of the month, for the dynamic target.
    let s = &options.staffing;
    let to_month_end = (month_end(today) - today).num_days() as u32;
    let totals = daily.totals();
    let mut forecast = forecast::forecast(
        &totals,
        today,
        &ForecastOptions {
            horizon_days: s.horizon_days,
            history_weeks: s.history_weeks,
            backtest_days: s.backtest_days,
        },
        s.horizon_days.max(to_month_end),
    );
    let expected: BTreeMap<NaiveDate, f64> = forecast
        .as_ref()
        .map(|f| {
            f.days
                .iter()
                .filter_map(|d| {
                    NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                        .ok()
                        .map(|date| (date, d.volume))
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(f) = forecast.as_mut() {
        f.days.truncate(s.horizon_days as usize);
    }

    let sums = kpi::day_sums(&contacts, &options.kpi);
    out.scorecard = kpi::scorecard(&sums, today, &expected, &options.kpi);
    out.cost = options
        .cost
        .as_ref()
        .map(|c| cost::break_even(&contacts, today, c));
    let period_contacts = drivers::read_contacts(
        &lf.clone().filter(current.predicate()),
        &options.drivers,
        options.kpi.fcr_window_days,
        &options.kpi.sla_channels,
        options.kpi.sla_seconds,
    )?;
    out.drivers = (!period_contacts.is_empty())
        .then(|| drivers::analyse(&period_contacts, !options.drivers.agent_teams.is_empty()));

    if let Some(f) = &forecast {
        let since = today - Duration::days(27);
        let mut by_channel: BTreeMap<NaiveDate, BTreeMap<String, (u64, f64, u64)>> =
            BTreeMap::new();
        for d in daily
            .dims
            .iter()
            .filter(|d| d.dimension == "channel" && d.date >= since && d.date <= today)
        {
            by_channel
                .entry(d.date)
                .or_default()
                .insert(d.value.clone(), (d.contacts, d.duration_sum, d.duration_n));
        }
        let basis = staffing::basis_from_history(&by_channel, s, options.kpi.sla_seconds);
        out.staffing = staffing::staffing(&f.days, &basis, s);
        out.staffing_basis = Some(basis);
    }
    out.forecast = forecast;
    out.spans = Some(spans);
    Ok(out)
}

/// The rows of `tables` for the weeks in `keys`, in the same order.
fn weeks_of(tables: &HistoryTables, keys: &[&str]) -> HistoryTables {
    let wanted = |week: &String| keys.contains(&week.as_str());
    HistoryTables {
        weeks: tables
            .weeks
            .iter()
            .filter(|r| wanted(&r.week))
            .cloned()
            .collect(),
        categories: tables
            .categories
            .iter()
            .filter(|r| wanted(&r.week))
            .cloned()
            .collect(),
        region_categories: tables
            .region_categories
            .iter()
            .filter(|r| wanted(&r.week))
            .cloned()
            .collect(),
    }
}

/// The key of the span each contact's `date` falls in (null outside every span).
fn span_key(series: &[Span]) -> Expr {
    series
        .iter()
        .rev()
        .fold(lit(NULL).cast(DataType::String), |rest, s| {
            when(s.predicate()).then(lit(s.key.clone())).otherwise(rest)
        })
}

/// Where `compute` reads from for `period`, for logs and tests: the partitions opened
/// for the trends (finding the period's last day and whether the history covers the
/// earlier periods may read the `date` column of one or two more).
pub fn partitions_read(
    history: &History,
    period: &Period,
    options: &TrendOptions,
) -> Result<Vec<std::path::PathBuf>, AggregateError> {
    let Some((_, today)) = scan::data_days_between(history, period.first, period.last)? else {
        return Ok(Vec::new());
    };
    Ok(history.partitions_in(&window_for(period, today, options)))
}
