//! Report periods: an ISO week (`2026-W45`), a calendar month (`2026-11`) or an inclusive
//! date range (`2026-10-01..2026-10-31`), in China time. This is the one place period
//! keys are parsed; the aggregation, the pipeline, the report and the CLI all go through
//! [`Period::parse`].
//!
//! A period is always compared with the period of the same length just before it
//! ([`Period::previous`]): the week before, the calendar month before, or the range of as
//! many days ending the day before the range starts.
//!
//! ```
//! use voc_core::period::Period;
//! let p = Period::parse("2026-11").unwrap();
//! assert_eq!(p.previous().key(), "2026-10");
//! assert_eq!(Period::parse("2026-W45").unwrap().previous().key(), "2026-W44");
//! let r = Period::parse("2026-10-05..2026-11-01").unwrap();
//! assert_eq!(r.previous().key(), "2026-09-07..2026-10-04");
//! assert!(Period::parse("2026-13").unwrap_err().to_string().contains("2026-W45"));
//! ```

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};
use std::fmt;

/// What kind of period a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PeriodKind {
    Week,
    Month,
    Range,
}

/// A report period: its kind and its first and last calendar day (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// Why a period key was refused. The message names the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid period {input:?}: {reason}; {FORMS}")]
pub struct PeriodError {
    pub input: String,
    pub reason: String,
}

/// The accepted forms, for error messages and help texts.
pub const FORMS: &str = "expected an ISO week like 2026-W45, a month like 2026-11, or a date range like 2026-10-01..2026-10-31";

/// Longest date range accepted (ten years): longer ones are almost certainly a typo.
const MAX_RANGE_DAYS: i64 = 3660;

impl Period {
    /// Parses `2026-W45`, `2026-11` or `2026-10-01..2026-10-31` (surrounding spaces
    /// allowed; the `W` may be lower case).
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let err = |reason: &str| PeriodError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("the period is empty"));
        }
        if let Some((from, to)) = s.split_once("..") {
            let first = parse_date(from.trim())
                .ok_or_else(|| err(&format!("{:?} is not a date like 2026-10-01", from.trim())))?;
            let last = parse_date(to.trim())
                .ok_or_else(|| err(&format!("{:?} is not a date like 2026-10-31", to.trim())))?;
            if last < first {
                return Err(err("the range ends before it starts"));
            }
            if (last - first).num_days() >= MAX_RANGE_DAYS {
                return Err(err("the range is longer than ten years"));
            }
            return Ok(Period {
                kind: PeriodKind::Range,
                first,
                last,
            });
        }
        if let Some((year, week)) = s.split_once("-W").or_else(|| s.split_once("-w")) {
            let (Some(year), Some(week)) = (number(year, 4), number(week, 2)) else {
                return Err(err("a week is written as the year, -W and two digits"));
            };
            let monday = NaiveDate::from_isoywd_opt(year as i32, week, Weekday::Mon)
                .ok_or_else(|| err(&format!("{year} has no ISO week {week}")))?;
            return Ok(Period {
                kind: PeriodKind::Week,
                first: monday,
                last: monday + Duration::days(6),
            });
        }
        if let Some((year, month)) = s.split_once('-')
            && let (Some(year), Some(month)) = (number(year, 4), number(month, 2))
        {
            let first = NaiveDate::from_ymd_opt(year as i32, month, 1)
                .ok_or_else(|| err(&format!("there is no month {month}")))?;
            return Ok(Period {
                kind: PeriodKind::Month,
                first,
                last: month_last(first),
            });
        }
        if parse_date(s).is_some() {
            return Err(err(
                "a single day is written as a range, e.g. 2026-10-01..2026-10-01",
            ));
        }
        Err(err("not a week, a month or a date range"))
    }

    /// The ISO week holding `date`.
    pub fn week_of(date: NaiveDate) -> Period {
        let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        Period {
            kind: PeriodKind::Week,
            first: monday,
            last: monday + Duration::days(6),
        }
    }

    /// The calendar month holding `date`.
    pub fn month_of(date: NaiveDate) -> Period {
        let first = date.with_day(1).unwrap_or(date);
        Period {
            kind: PeriodKind::Month,
            first,
            last: month_last(first),
        }
    }

    /// The key it is written as: `2026-W45`, `2026-11`, `2026-10-01..2026-10-31`.
    /// Keys of one kind sort in time order.
    pub fn key(&self) -> String {
        match self.kind {
            PeriodKind::Week => crate::time::week_key(self.first),
            PeriodKind::Month => format!("{:04}-{:02}", self.first.year(), self.first.month()),
            PeriodKind::Range => format!("{}..{}", self.first, self.last),
        }
    }

    /// The key as a folder name: as [`key`](Self::key), with `_` for the `..` of a range.
    pub fn folder_name(&self) -> String {
        self.key().replace("..", "_")
    }

    /// Number of calendar days.
    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    /// The period of the same length just before: the previous week, the previous
    /// calendar month, or the range of as many days ending the day before.
    pub fn previous(&self) -> Period {
        self.back(1)
    }

    /// The period `n` steps before this one (`back(0)` is this one).
    pub fn back(&self, n: u32) -> Period {
        match self.kind {
            PeriodKind::Week | PeriodKind::Range => {
                let shift = Duration::days(self.days() * i64::from(n));
                Period {
                    kind: self.kind,
                    first: self.first - shift,
                    last: self.last - shift,
                }
            }
            PeriodKind::Month => {
                let first = self
                    .first
                    .checked_sub_months(Months::new(n))
                    .unwrap_or(self.first);
                Period::month_of(first)
            }
        }
    }

    /// The first days of the previous period, as many as this period has from its first
    /// day to `through` (and never past the previous period's end): what a period still
    /// in progress is compared with, like for like. `through` at or after the last day
    /// gives the whole previous period.
    pub fn comparison_through(&self, through: NaiveDate) -> (NaiveDate, NaiveDate) {
        let previous = self.previous();
        if through >= self.last {
            return (previous.first, previous.last);
        }
        let elapsed = (through - self.first).num_days().max(0);
        (
            previous.first,
            (previous.first + Duration::days(elapsed)).min(previous.last),
        )
    }

    /// Chinese unit for phrases like `近8周`: `周`, `个月`, or `期` for a range.
    pub fn unit_zh(&self) -> &'static str {
        match self.kind {
            PeriodKind::Week => "周",
            PeriodKind::Month => "个月",
            PeriodKind::Range => "期",
        }
    }

    /// Short label for a chart axis: `W46`, `2026-11`, or the first day (`10-05`) of a
    /// range.
    pub fn short_label(&self) -> String {
        match self.kind {
            PeriodKind::Week => format!("W{:02}", self.first.iso_week().week()),
            PeriodKind::Month => self.key(),
            PeriodKind::Range => self.first.format("%m-%d").to_string(),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

/// `digits` ASCII digits exactly, as a number.
fn number(s: &str, digits: usize) -> Option<u32> {
    (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    // `%Y-%m-%d` alone would also take `2026-1-5`; require the zero-padded form.
    let b = s.as_bytes();
    (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

fn month_last(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weeks() {
        let p = Period::parse("2026-W45").unwrap();
        assert_eq!(
            (p.kind, p.first, p.last),
            (PeriodKind::Week, d("2026-11-02"), d("2026-11-08"))
        );
        assert_eq!(p.key(), "2026-W45");
        assert_eq!(p.previous().key(), "2026-W44");
        assert_eq!(p.back(8).key(), "2026-W37");
        // Across a year with 53 weeks.
        assert_eq!(
            Period::parse("2027-W01").unwrap().previous().key(),
            "2026-W53"
        );
        assert_eq!(Period::parse(" 2026-w05 ").unwrap().key(), "2026-W05");
        assert_eq!(Period::week_of(d("2026-11-15")).key(), "2026-W46");
        assert_eq!(p.short_label(), "W45");
        assert_eq!(p.unit_zh(), "周");
    }

    #[test]
    fn months() {
        let p = Period::parse("2026-11").unwrap();
        assert_eq!(
            (p.first, p.last, p.days()),
            (d("2026-11-01"), d("2026-11-30"), 30)
        );
        assert_eq!(p.previous().key(), "2026-10");
        assert_eq!(p.previous().last, d("2026-10-31"));
        assert_eq!(
            Period::parse("2026-01").unwrap().previous().key(),
            "2025-12"
        );
        assert_eq!(Period::parse("2026-03").unwrap().back(13).key(), "2025-02");
        assert_eq!(Period::parse("2028-02").unwrap().last, d("2028-02-29"));
        assert_eq!(p.unit_zh(), "个月");
    }

    #[test]
    fn ranges() {
        let p = Period::parse("2026-10-01..2026-10-31").unwrap();
        assert_eq!((p.kind, p.days()), (PeriodKind::Range, 31));
        assert_eq!(p.previous().key(), "2026-08-31..2026-09-30");
        assert_eq!(p.folder_name(), "2026-10-01_2026-10-31");
        assert_eq!(p.short_label(), "10-01");
        let one = Period::parse("2026-10-01..2026-10-01").unwrap();
        assert_eq!(one.previous().key(), "2026-09-30..2026-09-30");
        assert_eq!(p.unit_zh(), "期");
    }

    #[test]
    fn comparison_of_a_period_in_progress_is_like_for_like() {
        let nov = Period::parse("2026-11").unwrap();
        assert_eq!(
            nov.comparison_through(d("2026-11-15")),
            (d("2026-10-01"), d("2026-10-15"))
        );
        assert_eq!(
            nov.comparison_through(d("2026-11-30")),
            (d("2026-10-01"), d("2026-10-31"))
        );
        // 1–30 March against February: never past February's end.
        let mar = Period::parse("2026-03").unwrap();
        assert_eq!(
            mar.comparison_through(d("2026-03-30")),
            (d("2026-02-01"), d("2026-02-28"))
        );
    }

    #[test]
    fn bad_periods_say_what_is_accepted() {
        for (input, reason) in [
            ("", "empty"),
            ("2026-13", "no month 13"),
            ("2026-W54", "no ISO week 54"),
            ("2026-W4", "two digits"),
            ("2026-10-31..2026-10-01", "ends before it starts"),
            ("2026-10-01..2026-10-32", "\"2026-10-32\" is not a date"),
            ("2026-10-01", "single day"),
            ("last week", "not a week"),
            ("2026/11", "not a week"),
            ("2000-01-01..2020-01-01", "longer than ten years"),
        ] {
            let e = Period::parse(input).unwrap_err().to_string();
            assert!(e.contains(reason), "{input}: {e}");
            assert!(e.contains(FORMS), "{input}: {e}");
        }
    }
}
