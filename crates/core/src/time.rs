//! Calendar helpers. Contact centers in mainland China work on Beijing time (UTC+8, no
//! daylight saving since 1991), so a fixed offset is exact and needs no tz database.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone};

/// UTC+08:00, the zone of Asia/Shanghai.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// ISO-8601 week key of a calendar date (`2026-11-15` → `2026-W46`): the one place a
/// week key is written. Keys sort chronologically as strings.
pub fn week_key(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// ISO-8601 week key (`2026-W45`) of an instant, taken in China time.
pub fn iso_week_key(at: &DateTime<FixedOffset>) -> String {
    week_key(china_date(at))
}

/// The calendar date of an instant in China time.
pub fn china_date(at: &DateTime<FixedOffset>) -> NaiveDate {
    at.with_timezone(&china_offset()).date_naive()
}

/// Monday of an ISO week key such as `2026-W45`; `None` when the key is malformed.
pub fn week_monday(key: &str) -> Option<NaiveDate> {
    let (year, week) = key.split_once("-W")?;
    NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, chrono::Weekday::Mon)
}

/// Midnight at the start of `date`, China time.
pub fn china_midnight(date: NaiveDate) -> DateTime<FixedOffset> {
    china_offset()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("fixed offsets have no gaps")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_key_uses_china_time_not_utc() {
        // Sunday 2026-11-08 23:30 UTC is Monday 2026-11-09 07:30 in Beijing: week 46.
        let at = DateTime::parse_from_rfc3339("2026-11-08T23:30:00Z").unwrap();
        assert_eq!(iso_week_key(&at), "2026-W46");
    }

    #[test]
    fn week_keys_of_dates_take_the_iso_year() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(week_key(d("2026-11-15")), "2026-W46");
        assert_eq!(week_key(d("2027-01-01")), "2026-W53");
        assert_eq!(week_key(d("2026-01-05")), "2026-W02");
    }

    #[test]
    fn week_monday_round_trips() {
        let monday = week_monday("2026-W45").unwrap();
        assert_eq!(monday, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
        assert_eq!(iso_week_key(&china_midnight(monday)), "2026-W45");
        assert!(week_monday("2026-45").is_none());
    }
}
