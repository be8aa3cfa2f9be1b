//! Months of China-time calendar dates, for the month-to-date comparisons, the KPI
//! scorecard and the forecast to the month's end. (Week keys are `voc_core::time::week_key`.)

use chrono::{Datelike, Duration, NaiveDate};

/// First day of the month before the month of `date`.
pub fn previous_month_start(date: NaiveDate) -> NaiveDate {
    let first = month_start(date);
    month_start(first - Duration::days(1))
}

/// First day of the month of `date`.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// Last day of the month of `date`.
pub fn month_end(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).map_or(date, |next| next - Duration::days(1))
}

/// `YYYY-MM` of a date.
pub fn month_key(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn calendar_helpers() {
        assert_eq!(month_start(d("2026-11-15")), d("2026-11-01"));
        assert_eq!(previous_month_start(d("2026-01-15")), d("2025-12-01"));
        assert_eq!(month_end(d("2026-02-03")), d("2026-02-28"));
        assert_eq!(month_end(d("2026-12-31")), d("2026-12-31"));
        assert_eq!(month_key(d("2026-03-09")), "2026-03");
    }
}
