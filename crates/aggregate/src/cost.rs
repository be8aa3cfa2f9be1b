//! Cost break-even (成本临界点): the month's cost line worked back to each week and
//! day, the volume at which the contract's revenue covers it, the actual cost and
//! revenue day by day, and what the rest of the month must stay under (cost) or reach
//! (volume), like the KPI targets' dynamic target.
//!
//! - Monthly cost C: `monthly_budget`, or seats × seat hours a day × days of the month ×
//!   hourly cost + monthly overheads. Each calendar day's cost line is C ÷ days of the
//!   month; a week's is the sum of its days in the month.
//! - Break-even: C ÷ revenue per contact (contacts), or C ÷ revenue per seat hour (seat
//!   hours), spread over the days the same way.
//! - Actual cost of a day: paid seat hours × hourly cost + overheads ÷ days of the month,
//!   with paid seat hours = handled hours ÷ occupancy and handled hours = the mean
//!   handling time × contacts (so contacts without one count at the mean). A day with
//!   fewer than [`crate::kpi::MIN_DAY_BASE`] handling times has none (数据不足).
//! - Remainder: (C − cost to date) ÷ days left is the daily cost to stay under;
//!   (break-even − volume to date) ÷ days left the daily volume (or seat hours) to reach.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::calendar::{month_end, month_key, month_start};
use crate::kpi::{KpiContact, MIN_DAY_BASE};

/// `[cost]` of the pipeline file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostConfig {
    /// The month's cost budget in 元; without it the cost is built from the items below.
    pub monthly_budget: Option<f64>,
    /// Seats (坐席) paid for.
    pub seats: Option<f64>,
    /// Hours each seat is paid a day.
    #[serde(default = "eight")]
    pub seat_hours_per_day: f64,
    /// Cost of one seat hour in 元 (wages, social insurance, workstation).
    pub hourly_cost: Option<f64>,
    /// Monthly overheads in 元 (site, systems, management).
    #[serde(default)]
    pub overhead_monthly: f64,
    /// Share of paid seat time spent handling contacts: handled hours ÷ occupancy are
    /// the paid seat hours behind them.
    #[serde(default = "occupancy")]
    pub occupancy: f64,
    /// The contract's revenue per contact handled, in 元.
    pub revenue_per_contact: Option<f64>,
    /// Or its revenue per paid seat hour, in 元.
    pub revenue_per_seat_hour: Option<f64>,
}

fn eight() -> f64 {
    8.0
}
fn occupancy() -> f64 {
    0.85
}

impl CostConfig {
    /// Problems a pipeline file should be refused for.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: Option<f64>| match v {
            Some(x) if !(x.is_finite() && x > 0.0) => {
                Err(format!("[cost] {name} must be a positive number"))
            }
            _ => Ok(()),
        };
        positive("monthly_budget", self.monthly_budget)?;
        positive("seats", self.seats)?;
        positive("seat_hours_per_day", Some(self.seat_hours_per_day))?;
        positive("hourly_cost", self.hourly_cost)?;
        positive("revenue_per_contact", self.revenue_per_contact)?;
        positive("revenue_per_seat_hour", self.revenue_per_seat_hour)?;
        if !(self.overhead_monthly.is_finite() && self.overhead_monthly >= 0.0) {
            return Err("[cost] overhead_monthly must be 0 or more".into());
        }
        if !(self.occupancy > 0.0 && self.occupancy <= 1.0) {
            return Err("[cost] occupancy must be above 0 and at most 1".into());
        }
        if self.monthly_budget.is_none() && (self.seats.is_none() || self.hourly_cost.is_none()) {
            return Err(
                "[cost] needs monthly_budget, or seats and hourly_cost to compute it".into(),
            );
        }
        match (self.revenue_per_contact, self.revenue_per_seat_hour) {
            (Some(_), Some(_)) => {
                Err("[cost] give revenue_per_contact or revenue_per_seat_hour, not both".into())
            }
            (None, None) => Err("[cost] needs revenue_per_contact or revenue_per_seat_hour".into()),
            _ => Ok(()),
        }
    }

    /// The month's cost C of the month of `day`.
    pub fn monthly_cost(&self, day: NaiveDate) -> f64 {
        let days = f64::from(month_end(day).day());
        self.monthly_budget.unwrap_or_else(|| {
            self.seats.unwrap_or(0.0)
                * self.seat_hours_per_day
                * days
                * self.hourly_cost.unwrap_or(0.0)
                + self.overhead_monthly
        })
    }

    /// What revenue is paid per: a contact or a seat hour.
    pub fn basis(&self) -> RevenueBasis {
        match (self.revenue_per_contact, self.revenue_per_seat_hour) {
            (Some(r), _) => RevenueBasis::Contact(r),
            (None, Some(r)) => RevenueBasis::SeatHour(r),
            (None, None) => RevenueBasis::Contact(f64::NAN),
        }
    }
}

/// The contract's revenue unit and rate (元 per unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RevenueBasis {
    Contact(f64),
    SeatHour(f64),
}

impl RevenueBasis {
    pub fn rate(self) -> f64 {
        match self {
            RevenueBasis::Contact(r) | RevenueBasis::SeatHour(r) => r,
        }
    }
}

/// One day of the month.
#[derive(Debug, Clone, PartialEq)]
pub struct CostDay {
    pub date: NaiveDate,
    /// The day's share of the monthly cost (the floor of daily cost control).
    pub cost_line: f64,
    /// The day's share of the break-even volume (contacts or seat hours).
    pub breakeven: f64,
    /// Contacts handled; `None` after the last day with data.
    pub contacts: Option<u64>,
    /// Paid seat hours behind them; `None` without enough handling times.
    pub seat_hours: Option<f64>,
    pub cost: Option<f64>,
    pub revenue: Option<f64>,
}

/// One ISO week's days of the month.
#[derive(Debug, Clone, PartialEq)]
pub struct CostWeek {
    /// `2026-W46`.
    pub week: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub cost_line: f64,
    pub breakeven: f64,
}

/// What the rest of the month must do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Remainder {
    /// The average a remaining day must stay under (cost) or reach (volume).
    Required(f64),
    /// Already reached (volume) whatever the remaining days do.
    Reached,
    /// Already over (cost): the month cannot end within the budget.
    Exceeded(f64),
    NoDaysLeft,
    /// The month-to-date figure is missing.
    Missing,
}

/// The month's break-even and its use so far.
#[derive(Debug, Clone, PartialEq)]
pub struct CostBreakEven {
    /// `2026-11`.
    pub month: String,
    pub as_of: NaiveDate,
    pub days_in_month: u32,
    pub days_elapsed: u32,
    pub days_remaining: u32,
    pub monthly_cost: f64,
    pub basis: RevenueBasis,
    /// Contacts (or seat hours) whose revenue covers the month's cost.
    pub breakeven: f64,
    pub weeks: Vec<CostWeek>,
    pub days: Vec<CostDay>,
    pub cost_to_date: Option<f64>,
    pub revenue_to_date: Option<f64>,
    /// Contacts or seat hours so far (the break-even's unit).
    pub volume_to_date: Option<f64>,
    pub cost_remainder: Remainder,
    pub volume_remainder: Remainder,
    /// `[cost] occupancy`, for the method note.
    pub occupancy: f64,
    /// `[cost] hourly_cost`: without it there is no actual cost.
    pub hourly_cost: Option<f64>,
}

/// The break-even of the month of `today` from its contacts so far (those after
/// `today` are ignored).
pub fn break_even(contacts: &[KpiContact], today: NaiveDate, config: &CostConfig) -> CostBreakEven {
    let first = month_start(today);
    let last = month_end(today);
    let days_in_month = last.day();
    let monthly_cost = config.monthly_cost(today);
    let basis = config.basis();
    let breakeven = monthly_cost / basis.rate();
    let per_day_cost = monthly_cost / f64::from(days_in_month);
    let per_day_breakeven = breakeven / f64::from(days_in_month);
    // Contacts, handling-time sum and count per day.
    let mut sums: BTreeMap<NaiveDate, (u64, f64, u64)> = BTreeMap::new();
    for c in contacts
        .iter()
        .filter(|c| c.date >= first && c.date <= today)
    {
        let s = sums.entry(c.date).or_default();
        s.0 += 1;
        if let Some(d) = c.duration_s {
            s.1 += f64::from(d);
            s.2 += 1;
        }
    }
    let days: Vec<CostDay> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|date| {
            let past = date <= today;
            let (n, duration_sum, duration_n) = sums.get(&date).copied().unwrap_or_default();
            // A day without contacts handled none; one with contacts needs enough
            // handling times to stand for the others.
            let seat_hours = if past && n == 0 {
                Some(0.0)
            } else {
                (past && duration_n as f64 >= MIN_DAY_BASE).then(|| {
                    duration_sum / duration_n as f64 * n as f64 / 3600.0 / config.occupancy
                })
            };
            let cost = seat_hours.and_then(|h| {
                config
                    .hourly_cost
                    .map(|rate| h * rate + config.overhead_monthly / f64::from(days_in_month))
            });
            let revenue = match basis {
                RevenueBasis::Contact(r) => past.then_some(n as f64 * r),
                RevenueBasis::SeatHour(r) => seat_hours.map(|h| h * r),
            };
            CostDay {
                date,
                cost_line: per_day_cost,
                breakeven: per_day_breakeven,
                contacts: past.then_some(n),
                seat_hours,
                cost,
                revenue,
            }
        })
        .collect();
    let mut weeks: Vec<CostWeek> = Vec::new();
    for d in &days {
        let iso = d.date.iso_week();
        let key = format!("{}-W{:02}", iso.year(), iso.week());
        match weeks.last_mut() {
            Some(w) if w.week == key => {
                w.last = d.date;
                w.cost_line += d.cost_line;
                w.breakeven += d.breakeven;
            }
            _ => weeks.push(CostWeek {
                week: key,
                first: d.date,
                last: d.date,
                cost_line: d.cost_line,
                breakeven: d.breakeven,
            }),
        }
    }
    let elapsed: Vec<&CostDay> = days.iter().filter(|d| d.date <= today).collect();
    // A month-to-date sum is missing when one of its days is.
    let total = |f: &dyn Fn(&CostDay) -> Option<f64>| -> Option<f64> {
        elapsed.iter().map(|d| f(d)).sum::<Option<f64>>()
    };
    let cost_to_date = total(&|d| d.cost);
    let revenue_to_date = total(&|d| d.revenue);
    let volume_to_date = match basis {
        RevenueBasis::Contact(_) => total(&|d| d.contacts.map(|n| n as f64)),
        RevenueBasis::SeatHour(_) => total(&|d| d.seat_hours),
    };
    let days_elapsed = today.day();
    let days_remaining = days_in_month - days_elapsed;
    let left = f64::from(days_remaining);
    let cost_remainder = match cost_to_date {
        None => Remainder::Missing,
        Some(_) if days_remaining == 0 => Remainder::NoDaysLeft,
        Some(spent) if spent >= monthly_cost => Remainder::Exceeded(spent - monthly_cost),
        Some(spent) => Remainder::Required((monthly_cost - spent) / left),
    };
    let volume_remainder = match volume_to_date {
        None => Remainder::Missing,
        Some(v) if v >= breakeven => Remainder::Reached,
        Some(_) if days_remaining == 0 => Remainder::NoDaysLeft,
        Some(v) => Remainder::Required((breakeven - v) / left),
    };
    CostBreakEven {
        month: month_key(today),
        as_of: today,
        days_in_month,
        days_elapsed,
        days_remaining,
        monthly_cost,
        basis,
        breakeven,
        weeks,
        days,
        cost_to_date,
        revenue_to_date,
        volume_to_date,
        cost_remainder,
        volume_remainder,
        occupancy: config.occupancy,
        hourly_cost: config.hourly_cost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> CostConfig {
        CostConfig {
            monthly_budget: None,
            seats: Some(10.0),
            seat_hours_per_day: 8.0,
            hourly_cost: Some(50.0),
            overhead_monthly: 30_000.0,
            occupancy: 0.8,
            revenue_per_contact: Some(20.0),
            revenue_per_seat_hour: None,
        }
    }

    fn day(d: u32, n: usize, duration: u32) -> Vec<KpiContact> {
        (0..n)
            .map(|_| KpiContact {
                date: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
                customer: None,
                at: None,
                channel: "voice".into(),
                complaint: false,
                resolved: None,
                csat: None,
                duration_s: Some(duration),
                wait_s: None,
            })
            .collect()
    }

    #[test]
    fn the_month_is_worked_back_to_days_and_weeks_by_hand() {
        // November: 30 days. C = 10 × 8 × 30 × 50 + 30,000 = 150,000 元; 5,000 a day.
        // Break-even: 150,000 ÷ 20 = 7,500 contacts, 250 a day.
        let mut contacts = day(1, 288, 300); // 24 handled h ÷ 0.8 = 30 paid h
        contacts.extend(day(2, 144, 600)); // 24 handled h again
        let today = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let b = break_even(&contacts, today, &config());
        assert_eq!(b.monthly_cost, 150_000.0);
        assert_eq!(b.breakeven, 7_500.0);
        assert_eq!(b.days.len(), 30);
        assert_eq!(b.days[0].cost_line, 5_000.0);
        assert_eq!(b.days[0].breakeven, 250.0);
        // Day 1: 30 paid h × 50 + 1,000 overheads = 2,500 元; revenue 288 × 20 = 5,760.
        assert_eq!(b.days[0].seat_hours, Some(30.0));
        assert_eq!(b.days[0].cost, Some(2_500.0));
        assert_eq!(b.days[0].revenue, Some(5_760.0));
        assert_eq!(b.days[2].contacts, None, "no actuals after today");
        // 1 November 2026 is a Sunday: W44 has one day, W45 seven.
        assert_eq!(b.weeks[0].week, "2026-W44");
        assert_eq!(b.weeks[0].cost_line, 5_000.0);
        assert_eq!(b.weeks[1].cost_line, 35_000.0);
        assert_eq!(b.weeks[1].breakeven, 1_750.0);
        assert_eq!(b.cost_to_date, Some(5_000.0));
        assert_eq!(b.volume_to_date, Some(432.0));
        // 28 days left: (150,000 − 5,000) ÷ 28 under, (7,500 − 432) ÷ 28 to reach.
        assert_eq!(b.cost_remainder, Remainder::Required(145_000.0 / 28.0));
        assert_eq!(b.volume_remainder, Remainder::Required(7_068.0 / 28.0));
    }

    #[test]
    fn missing_handling_times_leave_the_cost_missing() {
        let mut contacts = day(1, 288, 300);
        contacts.extend(day(2, 5, 600)); // 5 handling times: too few
        let today = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let b = break_even(&contacts, today, &config());
        assert_eq!(b.days[1].cost, None);
        assert_eq!(b.cost_to_date, None);
        assert_eq!(b.cost_remainder, Remainder::Missing);
        // Revenue per contact needs no handling time.
        assert_eq!(b.volume_to_date, Some(293.0));
    }

    #[test]
    fn a_budget_and_seat_hour_revenue() {
        let c = CostConfig {
            monthly_budget: Some(90_000.0),
            revenue_per_contact: None,
            revenue_per_seat_hour: Some(60.0),
            ..config()
        };
        assert!(c.validate().is_ok());
        let contacts = day(30, 288, 300);
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let b = break_even(&contacts, today, &c);
        assert_eq!(b.breakeven, 1_500.0); // seat hours
        assert_eq!(b.days[29].revenue, Some(1_800.0)); // 30 paid h × 60
        assert_eq!(b.volume_remainder, Remainder::NoDaysLeft);
        let bad = CostConfig {
            revenue_per_contact: None,
            ..config()
        };
        assert!(bad.validate().unwrap_err().contains("revenue_per_contact"));
    }
}
