//! Volumes and shares per day, week and month, overall and by channel, region, business
//! line and queue; category counts and shares per week and month; each with its change
//! against the previous period.
//!
//! polars does the contact-level work (one group-by per dimension over the scanned
//! window, by day); the day rows are then rolled up to weeks and months here, because
//! the comparison must be like for like: a month to date (1–15 November) is compared
//! with the same days of the previous month (1–15 October), a partial week with the same
//! weekdays of the week before, and a day with the same weekday a week earlier (daily
//! volume swings with the weekday, so yesterday is no baseline).

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::AggregateError;
use voc_core::time::week_key as week_of;
use voc_store::frame::{f64s, i32s, strs, u64s};
use voc_store::scan::date_of_epoch_days;

use crate::calendar::{month_key, month_start, previous_month_start};

/// Value of a dimension that is missing on the contact.
pub const UNKNOWN: &str = "未知";
/// The dimensions, in report order; `all` is the total.
pub const DIMENSIONS: &[&str] = &["all", "channel", "region", "business", "queue"];

/// Counts of one day for one value of one dimension (`all`/`all` for the total).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayCount {
    pub date: NaiveDate,
    pub dimension: String,
    pub value: String,
    pub contacts: u64,
    pub complaints: u64,
    /// Sum and number of known handling times (`duration_s`), for AHT by channel.
    pub duration_sum: f64,
    pub duration_n: u64,
}

/// Contacts of one category on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCategory {
    pub date: NaiveDate,
    pub category: String,
    pub count: u64,
}

/// Day-level counts read from the scanned history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Daily {
    pub dims: Vec<DayCount>,
    pub categories: Vec<DayCategory>,
}

impl Daily {
    /// Contacts per day (the `all` rows), in date order.
    pub fn totals(&self) -> BTreeMap<NaiveDate, u64> {
        self.dims
            .iter()
            .filter(|d| d.dimension == "all")
            .map(|d| (d.date, d.contacts))
            .collect()
    }
}

/// Reads the day-level counts of every dimension and category from `lf`.
pub fn daily(lf: &LazyFrame) -> Result<Daily, AggregateError> {
    let base = lf
        .clone()
        .select([
            col("date").cast(DataType::Int32).alias("day"),
            col("channel"),
            col("region"),
            col("business"),
            col("queue"),
            col("complaint"),
            col("duration_s"),
        ])
        .collect()?;
    let mut dims = Vec::new();
    for dim in DIMENSIONS {
        let value = if *dim == "all" {
            lit("all").alias("value")
        } else {
            col(*dim).fill_null(lit(UNKNOWN)).alias("value")
        };
        let df = base
            .clone()
            .lazy()
            .group_by([col("day"), value])
            .agg([
                len().alias("contacts"),
                col("complaint")
                    .cast(DataType::UInt32)
                    .sum()
                    .alias("complaints"),
                col("duration_s")
                    .cast(DataType::Float64)
                    .sum()
                    .alias("duration_sum"),
                col("duration_s").count().alias("duration_n"),
            ])
            .sort(["day", "value"], SortMultipleOptions::default())
            .collect()?;
        let days = i32s(&df, "day")?;
        let values = strs(&df, "value")?;
        let contacts = u64s(&df, "contacts")?;
        let complaints = u64s(&df, "complaints")?;
        let duration_sum = f64s(&df, "duration_sum")?;
        let duration_n = u64s(&df, "duration_n")?;
        for i in 0..df.height() {
            dims.push(DayCount {
                date: date_of_epoch_days(days[i]),
                dimension: dim.to_string(),
                value: values[i].clone(),
                contacts: contacts[i],
                complaints: complaints[i],
                duration_sum: duration_sum[i],
                duration_n: duration_n[i],
            });
        }
    }
    let cats = lf
        .clone()
        .select([
            col("date").cast(DataType::Int32).alias("day"),
            col("categories"),
        ])
        .explode(
            by_name(["categories"], true, false),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        )
        .filter(col("categories").is_not_null())
        .group_by([col("day"), col("categories")])
        .agg([len().alias("count")])
        .sort(["day", "categories"], SortMultipleOptions::default())
        .collect()?;
    let days = i32s(&cats, "day")?;
    let names = strs(&cats, "categories")?;
    let counts = u64s(&cats, "count")?;
    let categories = (0..cats.height())
        .map(|i| DayCategory {
            date: date_of_epoch_days(days[i]),
            category: names[i].clone(),
            count: counts[i],
        })
        .collect();
    Ok(Daily { dims, categories })
}

/// The calendar unit a row sums over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Day,
    Week,
    Month,
}

impl Grain {
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }

    /// First day of the period holding `date`.
    fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Grain::Day => date,
            Grain::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Grain::Month => month_start(date),
        }
    }

    /// First day of the period before the one starting on `start`.
    fn previous_start(self, start: NaiveDate) -> NaiveDate {
        match self {
            // A day is compared with the same weekday of the week before.
            Grain::Day | Grain::Week => start - Duration::days(7),
            Grain::Month => previous_month_start(start),
        }
    }

    /// Key of the period starting on `start`: `2026-11-15`, `2026-W46`, `2026-11`.
    fn key(self, start: NaiveDate) -> String {
        match self {
            Grain::Day => start.format("%Y-%m-%d").to_string(),
            Grain::Week => week_of(start),
            Grain::Month => month_key(start),
        }
    }
}

/// Contacts of one value of one dimension in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeRow {
    pub grain: Grain,
    /// `2026-11-15`, `2026-W46` or `2026-11`.
    pub period: String,
    /// First and last day with data in the period (a month to date ends before its end).
    pub first_day: String,
    pub last_day: String,
    pub dimension: String,
    pub value: String,
    pub contacts: u64,
    /// Share of all contacts of the period, in `0..=1`.
    pub share: f64,
    pub complaints: u64,
    /// Complaints per 1,000 contacts.
    pub complaints_per_1000: Option<f64>,
    /// The period compared against: the previous one, over the same span of days.
    pub previous_period: String,
    /// Contacts of the same value in that span; `None` when it is outside the data.
    pub previous_contacts: Option<u64>,
    /// Change in percent; `None` without a previous value or when it was zero.
    pub change_pct: Option<f64>,
}

/// Contacts of one category in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryShareRow {
    pub grain: Grain,
    pub period: String,
    pub category: String,
    pub count: u64,
    /// All contacts of the period.
    pub contacts: u64,
    /// Share of the period's contacts with this category, in `0..=1`.
    pub share: f64,
    /// Contacts of this category per 1,000 contacts.
    pub per_1000: f64,
    pub previous_period: String,
    pub previous_count: Option<u64>,
    pub change_pct: Option<f64>,
}

/// Periods of `grain` present in the data, with the days that have data in each.
struct Periods {
    /// period start → (first day with data, last day with data)
    spans: BTreeMap<NaiveDate, (NaiveDate, NaiveDate)>,
    first_data_day: Option<NaiveDate>,
}

impl Periods {
    fn of(grain: Grain, days: impl Iterator<Item = NaiveDate>) -> Self {
        let mut spans: BTreeMap<NaiveDate, (NaiveDate, NaiveDate)> = BTreeMap::new();
        let mut first_data_day: Option<NaiveDate> = None;
        for d in days {
            first_data_day = Some(first_data_day.map_or(d, |f| f.min(d)));
            let e = spans.entry(grain.start(d)).or_insert((d, d));
            e.0 = e.0.min(d);
            e.1 = e.1.max(d);
        }
        // A month whose first days are before the data starts would read as a drop.
        if grain == Grain::Month
            && let Some(first) = first_data_day
        {
            spans.retain(|start, _| first <= *start);
        }
        Periods {
            spans,
            first_data_day,
        }
    }

    /// The comparison span for the period starting on `start` whose data ends on `last`:
    /// the previous period's first days, as many as this one has had so far.
    fn previous_span(
        &self,
        grain: Grain,
        start: NaiveDate,
        last: NaiveDate,
    ) -> (NaiveDate, NaiveDate, bool) {
        let prev_start = grain.previous_start(start);
        let elapsed = last - start;
        let prev_end_of_period = start - Duration::days(1);
        let prev_last = (prev_start + elapsed).min(prev_end_of_period);
        let covered = self.first_data_day.is_some_and(|f| f <= prev_start);
        (prev_start, prev_last, covered)
    }
}

fn sum_in<T>(
    rows: &BTreeMap<NaiveDate, T>,
    from: NaiveDate,
    to: NaiveDate,
    f: impl Fn(&T) -> u64,
) -> u64 {
    rows.range(from..=to).map(|(_, v)| f(v)).sum()
}

fn change_pct(current: u64, previous: Option<u64>) -> Option<f64> {
    previous
        .filter(|p| *p > 0)
        .map(|p| (current as f64 - p as f64) / p as f64 * 100.0)
}

/// Position of a dimension in [`DIMENSIONS`] (unknown ones last), for sorting.
fn dimension_rank(dimension: &str) -> usize {
    DIMENSIONS
        .iter()
        .position(|x| *x == dimension)
        .unwrap_or(DIMENSIONS.len())
}

/// The dimension at `rank` of [`DIMENSIONS`].
fn dimension_at(rank: usize) -> String {
    DIMENSIONS.get(rank).copied().unwrap_or("other").to_string()
}

/// `part` as a fraction of `whole`; 0 when `whole` is 0.
fn fraction(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Complaints per 1,000 contacts; `None` without contacts.
fn per_1000(complaints: u64, contacts: u64) -> Option<f64> {
    (contacts > 0).then(|| complaints as f64 * 1000.0 / contacts as f64)
}

/// Contacts and complaints per day of one dimension value.
type DaySeries = BTreeMap<NaiveDate, (u64, u64)>;

/// Volume rows of every grain, dimension and value, sorted by grain, period, dimension
/// (in [`DIMENSIONS`] order) and value.
pub fn volume_rows(daily: &Daily) -> Vec<VolumeRow> {
    // (dimension, value) → day → (contacts, complaints)
    let mut series: BTreeMap<(usize, &str), DaySeries> = BTreeMap::new();
    for d in &daily.dims {
        let rank = dimension_rank(&d.dimension);
        series
            .entry((rank, d.value.as_str()))
            .or_default()
            .insert(d.date, (d.contacts, d.complaints));
    }
    let totals = daily.totals();
    let mut out = Vec::new();
    for grain in [Grain::Day, Grain::Week, Grain::Month] {
        let periods = Periods::of(grain, totals.keys().copied());
        for (start, (first, last)) in &periods.spans {
            let all = sum_in(&totals, *start, *last, |v| *v);
            let (prev_start, prev_last, covered) = periods.previous_span(grain, *start, *last);
            for ((rank, value), days) in &series {
                let contacts = sum_in(days, *start, *last, |v| v.0);
                let complaints = sum_in(days, *start, *last, |v| v.1);
                let previous = covered.then(|| sum_in(days, prev_start, prev_last, |v| v.0));
                if contacts == 0 && previous.unwrap_or(0) == 0 {
                    continue;
                }
                out.push(VolumeRow {
                    grain,
                    period: grain.key(*start),
                    first_day: first.format("%Y-%m-%d").to_string(),
                    last_day: last.format("%Y-%m-%d").to_string(),
                    dimension: dimension_at(*rank),
                    value: value.to_string(),
                    contacts,
                    share: fraction(contacts, all),
                    complaints,
                    complaints_per_1000: per_1000(complaints, contacts),
                    previous_period: grain.key(prev_start),
                    previous_contacts: previous,
                    change_pct: change_pct(contacts, previous),
                });
            }
        }
    }
    out
}

/// Category rows per week and month, sorted by grain, period and category.
pub fn category_rows(daily: &Daily) -> Vec<CategoryShareRow> {
    let mut series: BTreeMap<&str, BTreeMap<NaiveDate, u64>> = BTreeMap::new();
    for c in &daily.categories {
        *series
            .entry(c.category.as_str())
            .or_default()
            .entry(c.date)
            .or_default() += c.count;
    }
    let totals = daily.totals();
    let mut out = Vec::new();
    for grain in [Grain::Week, Grain::Month] {
        let periods = Periods::of(grain, totals.keys().copied());
        for (start, (_, last)) in &periods.spans {
            let all = sum_in(&totals, *start, *last, |v| *v);
            let (prev_start, prev_last, covered) = periods.previous_span(grain, *start, *last);
            for (category, days) in &series {
                let count = sum_in(days, *start, *last, |v| *v);
                let previous = covered.then(|| sum_in(days, prev_start, prev_last, |v| *v));
                if count == 0 && previous.unwrap_or(0) == 0 {
                    continue;
                }
                let share = fraction(count, all);
                out.push(CategoryShareRow {
                    grain,
                    period: grain.key(*start),
                    category: category.to_string(),
                    count,
                    contacts: all,
                    share,
                    per_1000: share * 1000.0,
                    previous_period: grain.key(prev_start),
                    previous_count: previous,
                    change_pct: change_pct(count, previous),
                });
            }
        }
    }
    out
}

/// Contacts of one value of one dimension in a report period, against its comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownCount {
    /// `channel`, `region`, `business` or `queue`.
    pub dimension: String,
    pub value: String,
    pub contacts: u64,
    /// Share of all contacts of the period, in `0..=1`.
    pub share: f64,
    pub complaints: u64,
    pub complaints_per_1000: Option<f64>,
    /// Contacts of the same value in the comparison span; `None` without one.
    pub previous_contacts: Option<u64>,
}

/// Every value of every dimension but the total, summed over the days `current`
/// (inclusive) and over `comparison` when there is one; in [`DIMENSIONS`] order, then
/// by value. A value with no contacts in either span is left out.
pub fn breakdown(
    daily: &Daily,
    current: (NaiveDate, NaiveDate),
    comparison: Option<(NaiveDate, NaiveDate)>,
) -> Vec<BreakdownCount> {
    // (dimension rank, value) → (contacts, complaints, previous contacts)
    let mut sums: BTreeMap<(usize, &str), (u64, u64, u64)> = BTreeMap::new();
    let in_span = |d: NaiveDate, (a, b): (NaiveDate, NaiveDate)| a <= d && d <= b;
    let mut all = 0;
    for d in &daily.dims {
        let now = in_span(d.date, current);
        let before = comparison.is_some_and(|c| in_span(d.date, c));
        if d.dimension == "all" {
            all += if now { d.contacts } else { 0 };
            continue;
        }
        if !now && !before {
            continue;
        }
        let rank = dimension_rank(&d.dimension);
        let e = sums.entry((rank, d.value.as_str())).or_default();
        if now {
            e.0 += d.contacts;
            e.1 += d.complaints;
        }
        if before {
            e.2 += d.contacts;
        }
    }
    sums.into_iter()
        .filter(|(_, (n, _, p))| *n > 0 || (comparison.is_some() && *p > 0))
        .map(
            |((rank, value), (contacts, complaints, previous))| BreakdownCount {
                dimension: dimension_at(rank),
                value: value.to_string(),
                contacts,
                share: fraction(contacts, all),
                complaints,
                complaints_per_1000: per_1000(complaints, contacts),
                previous_contacts: comparison.map(|_| previous),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn day(date: &str, dim: &str, value: &str, contacts: u64, complaints: u64) -> DayCount {
        DayCount {
            date: d(date),
            dimension: dim.into(),
            value: value.into(),
            contacts,
            complaints,
            duration_sum: 0.0,
            duration_n: 0,
        }
    }

    /// 1 Oct – 15 Nov 2026, 10 contacts a day (4 of them complaints), of which voice 6
    /// in October and 8 in November.
    fn sample() -> Daily {
        let mut dims = Vec::new();
        let mut date = d("2026-10-01");
        while date <= d("2026-11-15") {
            let s = date.format("%Y-%m-%d").to_string();
            let voice = if date.month() == 11 { 8 } else { 6 };
            dims.push(day(&s, "all", "all", 10, 4));
            dims.push(day(&s, "channel", "voice", voice, 3));
            dims.push(day(&s, "channel", "chat", 10 - voice, 1));
            date += Duration::days(1);
        }
        let categories = vec![
            DayCategory {
                date: d("2026-11-02"),
                category: "甲".into(),
                count: 3,
            },
            DayCategory {
                date: d("2026-11-09"),
                category: "甲".into(),
                count: 6,
            },
        ];
        Daily { dims, categories }
    }

    fn find<'a>(rows: &'a [VolumeRow], grain: Grain, period: &str, value: &str) -> &'a VolumeRow {
        rows.iter()
            .find(|r| r.grain == grain && r.period == period && r.value == value)
            .unwrap()
    }

    #[test]
    fn month_to_date_is_compared_with_the_same_days_of_the_previous_month() {
        let rows = volume_rows(&sample());
        let nov = find(&rows, Grain::Month, "2026-11", "voice");
        assert_eq!(
            (nov.first_day.as_str(), nov.last_day.as_str()),
            ("2026-11-01", "2026-11-15")
        );
        assert_eq!(nov.contacts, 15 * 8);
        assert!((nov.share - 0.8).abs() < 1e-12);
        assert_eq!(nov.previous_period, "2026-10");
        // 1–15 October, not the whole of October.
        assert_eq!(nov.previous_contacts, Some(15 * 6));
        assert!((nov.change_pct.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(nov.complaints, 45);
        assert!((nov.complaints_per_1000.unwrap() - 375.0).abs() < 1e-9);
        // October has no previous month in the data.
        let oct = find(&rows, Grain::Month, "2026-10", "all");
        assert_eq!(
            (oct.contacts, oct.previous_contacts, oct.change_pct),
            (310, None, None)
        );
    }

    #[test]
    fn weeks_and_days_compare_with_the_week_before() {
        let rows = volume_rows(&sample());
        // W45 = 2–8 Nov: all voice at 8 a day; W44 = 26 Oct – 1 Nov: 6 days at 6, 1 at 8.
        let w45 = find(&rows, Grain::Week, "2026-W45", "voice");
        assert_eq!((w45.contacts, w45.previous_contacts), (56, Some(44)));
        assert_eq!(w45.previous_period, "2026-W44");
        let day = find(&rows, Grain::Day, "2026-11-09", "chat");
        assert_eq!(day.previous_period, "2026-11-02");
        assert_eq!(
            (day.contacts, day.previous_contacts, day.change_pct),
            (2, Some(2), Some(0.0))
        );
        // The first week in the data has nothing before it.
        let w40 = find(&rows, Grain::Week, "2026-W40", "all");
        assert_eq!((w40.contacts, w40.previous_contacts), (40, None));
        // Dimensions come out in report order within a period.
        let order: Vec<&str> = rows
            .iter()
            .filter(|r| r.grain == Grain::Week && r.period == "2026-W46")
            .map(|r| r.value.as_str())
            .collect();
        assert_eq!(order, ["all", "chat", "voice"]);
    }

    #[test]
    fn category_shares_and_changes() {
        let rows = category_rows(&sample());
        let w46 = rows
            .iter()
            .find(|r| r.grain == Grain::Week && r.period == "2026-W46")
            .unwrap();
        assert_eq!(
            (w46.count, w46.contacts, w46.previous_count),
            (6, 70, Some(3))
        );
        assert!((w46.share - 6.0 / 70.0).abs() < 1e-12);
        assert_eq!(w46.change_pct, Some(100.0));
        // A week where the category fell to zero is still listed (its drop matters).
        let w47 = rows.iter().filter(|r| r.period == "2026-W47").count();
        assert_eq!(w47, 0, "no data in W47 at all");
        // October has no 甲 and no previous month: no row. November against 1–15 Oct.
        let months: Vec<_> = rows.iter().filter(|r| r.grain == Grain::Month).collect();
        assert_eq!(months.len(), 1);
        let nov = months[0];
        assert_eq!(
            (nov.period.as_str(), nov.count, nov.previous_count),
            ("2026-11", 9, Some(0))
        );
        assert_eq!(nov.change_pct, None);
    }

    #[test]
    fn breakdown_of_a_span_against_its_comparison() {
        let rows = breakdown(
            &sample(),
            (d("2026-11-01"), d("2026-11-15")),
            Some((d("2026-10-01"), d("2026-10-15"))),
        );
        let values: Vec<&str> = rows.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(values, ["chat", "voice"]);
        let voice = &rows[1];
        assert_eq!(voice.dimension, "channel");
        assert_eq!(
            (voice.contacts, voice.previous_contacts),
            (15 * 8, Some(15 * 6))
        );
        assert!((voice.share - 0.8).abs() < 1e-12);
        assert!((voice.complaints_per_1000.unwrap() - 375.0).abs() < 1e-9);
        // The same days as the month row of `volume_rows`.
        let months = volume_rows(&sample());
        let nov = find(&months, Grain::Month, "2026-11", "voice");
        assert_eq!(
            (nov.contacts, nov.previous_contacts),
            (voice.contacts, voice.previous_contacts)
        );
        let alone = breakdown(&sample(), (d("2026-11-01"), d("2026-11-15")), None);
        assert_eq!(alone[1].previous_contacts, None);
    }

    #[test]
    fn empty_input_gives_no_rows() {
        assert!(volume_rows(&Daily::default()).is_empty());
        assert!(category_rows(&Daily::default()).is_empty());
    }
}
