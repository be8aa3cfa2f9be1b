//! Everything the report needs from history for one period, computed in one pass over a
//! window of partitions: weekly tables, emerging issues, volumes and shares, new terms
//! and keywords, the KPI scorecard, the forecast and staffing.
//!
//! "Today" is the last day with data in the report week (never the wall clock), so the
//! same history gives the same results on any day it is run.

use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;
use std::path::Path;

use crate::AggregateError;
use crate::emerging::{self, Emerging, EmergingOptions};
use crate::forecast::{self, Forecast, ForecastOptions};
use crate::kpi::{self, KpiConfig, Scorecard};
use crate::scan::{self, WeekWindow, month_end, previous_month_start};
use crate::staffing::{self, StaffingBasis, StaffingConfig, StaffingDay};
use crate::tables::{HistoryTables, tables_of};
use crate::terms::{self, TermFilter, TermOptions, TermResults};
use crate::volumes::{self, CategoryShareRow, VolumeRow};

#[derive(Debug, Clone, PartialEq)]
pub struct TrendOptions {
    pub emerging: EmergingOptions,
    pub terms: TermOptions,
    pub kpi: KpiConfig,
    pub staffing: StaffingConfig,
    /// Weeks of weekly trend shown (the report week included); the window read is at
    /// least this long.
    pub trend_weeks: u32,
}

impl Default for TrendOptions {
    fn default() -> Self {
        TrendOptions {
            emerging: EmergingOptions::default(),
            terms: TermOptions::default(),
            kpi: KpiConfig::default(),
            staffing: StaffingConfig::default(),
            trend_weeks: 13,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trends {
    pub period: String,
    /// The last day with data in the period; `None` when the period has no data.
    pub today: Option<NaiveDate>,
    /// The weeks that were read.
    pub window: Option<WeekWindow>,
    pub tables: HistoryTables,
    pub emerging: Vec<Emerging>,
    pub volumes: Vec<VolumeRow>,
    pub categories: Vec<CategoryShareRow>,
    pub terms: TermResults,
    pub scorecard: Scorecard,
    pub forecast: Option<Forecast>,
    pub staffing_basis: Option<StaffingBasis>,
    pub staffing: Vec<StaffingDay>,
}

/// The weeks a period needs: its baseline, the weekly trend, the previous month (for
/// month-over-month), and the forecast's history.
pub fn window_for(
    period_monday: NaiveDate,
    today: NaiveDate,
    options: &TrendOptions,
) -> WeekWindow {
    let weeks_back = |n: u32| period_monday - Duration::days(7 * i64::from(n));
    let baseline = weeks_back(
        options
            .emerging
            .baseline_weeks
            .max(options.terms.baseline_weeks) as u32,
    );
    let trend = weeks_back(options.trend_weeks.saturating_sub(1));
    let forecast = today - Duration::days(7 * i64::from(options.staffing.history_weeks.max(1)) - 1);
    let first = baseline
        .min(trend)
        .min(forecast)
        .min(previous_month_start(today));
    WeekWindow::of_days(first, today)
}

/// Computes every trend table for `period` (an ISO week) from the history.
pub fn compute(
    history: &Path,
    period: &str,
    options: &TrendOptions,
    filter: &TermFilter,
) -> Result<Trends, AggregateError> {
    let mut out = Trends {
        period: period.to_string(),
        ..Default::default()
    };
    let (Some(monday), Some(today)) = (
        voc_core::time::week_monday(period),
        scan::last_day_of_week(history, period)?,
    ) else {
        return Ok(out);
    };
    let window = window_for(monday, today, options);
    let Some(lf) = scan::scan(history, &window)? else {
        return Ok(out);
    };
    out.today = Some(today);
    out.window = Some(window);

    out.tables = tables_of(lf.clone())?;
    out.emerging = emerging::detect(&out.tables, period, &options.emerging);

    let daily = volumes::daily(&lf)?;
    out.volumes = volumes::volume_rows(&daily);
    out.categories = volumes::category_rows(&daily);

    let weeks: Vec<&str> = out.tables.weeks.iter().map(|w| w.week.as_str()).collect();
    let baseline: Vec<String> = match weeks.iter().position(|w| *w == period) {
        Some(pos) => weeks[pos.saturating_sub(options.terms.baseline_weeks)..pos]
            .iter()
            .map(|w| w.to_string())
            .collect(),
        None => Vec::new(),
    };
    out.terms = terms::analyse(history, period, &baseline, &options.terms, filter)?;

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

    let month_first = scan::month_start(today);
    let contacts = kpi::read_contacts(&lf, month_first, today)?;
    let sums = kpi::day_sums(&contacts, &options.kpi);
    out.scorecard = kpi::scorecard(&sums, today, &expected, &options.kpi);

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
    Ok(out)
}

/// Where `compute` reads from for `period`, for logs and tests: the partitions opened.
pub fn partitions_read(
    history: &Path,
    period: &str,
    options: &TrendOptions,
) -> Result<Vec<std::path::PathBuf>, AggregateError> {
    let (Some(monday), Some(today)) = (
        voc_core::time::week_monday(period),
        scan::last_day_of_week(history, period)?,
    ) else {
        return Ok(Vec::new());
    };
    Ok(scan::partitions_in(
        history,
        &window_for(monday, today, options),
    ))
}
