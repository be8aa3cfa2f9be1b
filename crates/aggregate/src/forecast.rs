//! Daily contact-volume forecast with day-of-week seasonality and a linear trend.
//!
//! Model: y(t) = s(weekday of t) + b·t, fitted by ordinary least squares on the last
//! `history_weeks` weeks of daily volume (a day without contacts counts as 0). With one
//! level per weekday the least-squares slope is the within-weekday one,
//! b = Σ (t − t̄_w)(y − ȳ_w) / Σ (t − t̄_w)², and each level is s_w = ȳ_w − b·t̄_w
//! (Frisch–Waugh), so no matrix is solved. Forecasts below zero are cut to zero.
//! With fewer than two weeks of history the trend cannot be told apart from the
//! weekday pattern, and the forecast falls back to repeating the last week
//! (seasonal naive), or with less than a week to the mean day.
//!
//! Backtest: the model is fitted again without the last `backtest_days` days, those
//! days are forecast, and the error is MAPE = mean |actual − forecast| / actual × 100
//! over the held-out days with contacts.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// Chinese weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Weekday levels plus a linear trend (least squares).
    WeekdayTrend,
    /// The same weekday of the last week.
    SeasonalNaive,
    /// The mean day.
    Mean,
}

impl Method {
    pub fn label(self) -> &'static str {
        match self {
            Method::WeekdayTrend => "星期效应 + 线性趋势（最小二乘）",
            Method::SeasonalNaive => "季节性朴素法（重复上周同日）",
            Method::Mean => "历史日均值",
        }
    }
}

/// A fitted model: y = level(weekday) + slope · (days since `origin`).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub method: Method,
    pub origin: NaiveDate,
    pub slope: f64,
    /// Level per weekday, Monday first.
    pub level: [f64; 7],
}

impl Model {
    pub fn predict(&self, date: NaiveDate) -> f64 {
        let t = (date - self.origin).num_days() as f64;
        let w = date.weekday().num_days_from_monday() as usize;
        (self.level[w] + self.slope * t).max(0.0)
    }
}

/// Fits the model to consecutive daily values starting on `origin`; `None` when empty.
pub fn fit(origin: NaiveDate, values: &[f64]) -> Option<Model> {
    if values.is_empty() {
        return None;
    }
    let weekday = |i: usize| {
        (origin + Duration::days(i as i64))
            .weekday()
            .num_days_from_monday() as usize
    };
    if values.len() < 7 {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        return Some(Model {
            method: Method::Mean,
            origin,
            slope: 0.0,
            level: [mean; 7],
        });
    }
    if values.len() < 14 {
        let mut level = [0.0; 7];
        for (i, v) in values.iter().enumerate().skip(values.len() - 7) {
            level[weekday(i)] = *v;
        }
        return Some(Model {
            method: Method::SeasonalNaive,
            origin,
            slope: 0.0,
            level,
        });
    }
    let mut n = [0.0f64; 7];
    let mut t_sum = [0.0f64; 7];
    let mut y_sum = [0.0f64; 7];
    for (i, y) in values.iter().enumerate() {
        let w = weekday(i);
        n[w] += 1.0;
        t_sum[w] += i as f64;
        y_sum[w] += y;
    }
    let t_mean: Vec<f64> = (0..7).map(|w| t_sum[w] / n[w]).collect();
    let y_mean: Vec<f64> = (0..7).map(|w| y_sum[w] / n[w]).collect();
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, y) in values.iter().enumerate() {
        let w = weekday(i);
        let dt = i as f64 - t_mean[w];
        sxy += dt * (y - y_mean[w]);
        sxx += dt * dt;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let mut level = [0.0; 7];
    for w in 0..7 {
        level[w] = y_mean[w] - slope * t_mean[w];
    }
    Some(Model {
        method: Method::WeekdayTrend,
        origin,
        slope,
        level,
    })
}

/// Mean absolute percentage error over the pairs whose actual value is not zero.
pub fn mape(pairs: &[(f64, f64)]) -> Option<f64> {
    let errors: Vec<f64> = pairs
        .iter()
        .filter(|(actual, _)| *actual != 0.0)
        .map(|(actual, predicted)| ((actual - predicted) / actual).abs())
        .collect();
    (!errors.is_empty()).then(|| errors.iter().sum::<f64>() / errors.len() as f64 * 100.0)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastDay {
    pub date: String,
    pub weekday: String,
    pub volume: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestDay {
    pub date: String,
    pub weekday: String,
    pub actual: f64,
    pub forecast: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub method: Method,
    /// The last day of history (the forecast starts the day after).
    pub as_of: String,
    pub history_days: u32,
    /// The history the model was fitted on, for the chart.
    pub history: Vec<BacktestDay>,
    pub days: Vec<ForecastDay>,
    pub backtest: Vec<BacktestDay>,
    /// `None` when there was not enough history to hold days out.
    pub backtest_mape: Option<f64>,
    pub slope_per_day: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForecastOptions {
    pub horizon_days: u32,
    pub history_weeks: u32,
    pub backtest_days: u32,
}

impl Default for ForecastOptions {
    fn default() -> Self {
        ForecastOptions {
            horizon_days: 28,
            history_weeks: 8,
            backtest_days: 14,
        }
    }
}

fn day_label(date: NaiveDate) -> (String, String) {
    (
        date.format("%Y-%m-%d").to_string(),
        WEEKDAYS[date.weekday().num_days_from_monday() as usize].to_string(),
    )
}

/// Forecasts `horizon` days after `today` from the daily volumes up to `today`.
/// `extra_days` beyond the shown horizon can be asked for (the rest of a long month
/// for the dynamic target); all are in `days`.
pub fn forecast(
    daily: &BTreeMap<NaiveDate, u64>,
    today: NaiveDate,
    options: &ForecastOptions,
    horizon: u32,
) -> Option<Forecast> {
    let first_data = *daily.keys().next()?;
    let earliest = today - Duration::days(i64::from(options.history_weeks.max(1)) * 7 - 1);
    let start = first_data.max(earliest);
    if start > today {
        return None;
    }
    let span = (today - start).num_days() as usize + 1;
    let values: Vec<f64> = (0..span)
        .map(|i| {
            daily
                .get(&(start + Duration::days(i as i64)))
                .copied()
                .unwrap_or(0) as f64
        })
        .collect();
    let model = fit(start, &values)?;
    let days = (1..=horizon)
        .map(|i| {
            let date = today + Duration::days(i64::from(i));
            let (d, w) = day_label(date);
            ForecastDay {
                date: d,
                weekday: w,
                volume: model.predict(date),
            }
        })
        .collect();
    let history = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let date = start + Duration::days(i as i64);
            let (d, w) = day_label(date);
            BacktestDay {
                date: d,
                weekday: w,
                actual: *v,
                forecast: model.predict(date),
            }
        })
        .collect();
    // Hold out the last days only if what is left can still fit the full model.
    let held = options.backtest_days as usize;
    let (backtest, backtest_mape) = if held > 0 && span >= held + 14 {
        let train = &values[..span - held];
        let bt = fit(start, train)?;
        let rows: Vec<BacktestDay> = (span - held..span)
            .map(|i| {
                let date = start + Duration::days(i as i64);
                let (d, w) = day_label(date);
                BacktestDay {
                    date: d,
                    weekday: w,
                    actual: values[i],
                    forecast: bt.predict(date),
                }
            })
            .collect();
        let pairs: Vec<(f64, f64)> = rows.iter().map(|r| (r.actual, r.forecast)).collect();
        let m = mape(&pairs);
        (rows, m)
    } else {
        (Vec::new(), None)
    };
    Some(Forecast {
        method: model.method,
        as_of: today.format("%Y-%m-%d").to_string(),
        history_days: span as u32,
        history,
        days,
        backtest,
        backtest_mape,
        slope_per_day: model.slope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Monday 2026-09-14 onwards: y = 100 + 2t + weekday effect.
    const EFFECT: [f64; 7] = [30.0, 20.0, 10.0, 5.0, 0.0, -40.0, -50.0];

    fn exact(days: usize) -> BTreeMap<NaiveDate, u64> {
        (0..days)
            .map(|i| {
                let date = d("2026-09-14") + Duration::days(i as i64);
                let w = date.weekday().num_days_from_monday() as usize;
                (date, (100.0 + 2.0 * i as f64 + EFFECT[w]) as u64)
            })
            .collect()
    }

    #[test]
    fn an_exact_weekday_and_trend_series_is_recovered() {
        let daily = exact(56);
        let today = d("2026-11-08");
        let f = forecast(&daily, today, &ForecastOptions::default(), 28).unwrap();
        assert_eq!(f.method, Method::WeekdayTrend);
        assert!((f.slope_per_day - 2.0).abs() < 1e-9);
        // Monday 2026-11-09 is t = 56: 100 + 112 + 30.
        assert_eq!(f.days[0].date, "2026-11-09");
        assert_eq!(f.days[0].weekday, "周一");
        assert!((f.days[0].volume - 242.0).abs() < 1e-9);
        assert!((f.days[27].volume - (100.0 + 2.0 * 83.0 - 50.0)).abs() < 1e-9);
        assert_eq!(f.backtest.len(), 14);
        assert!(f.backtest_mape.unwrap() < 1e-9);
    }

    #[test]
    fn mape_by_hand() {
        // |100−90|/100 = 0.1, |200−220|/200 = 0.1, |50−40|/50 = 0.2; the zero is skipped.
        let m = mape(&[(100.0, 90.0), (200.0, 220.0), (50.0, 40.0), (0.0, 5.0)]).unwrap();
        assert!((m - 40.0 / 3.0).abs() < 1e-9);
        assert_eq!(mape(&[(0.0, 1.0)]), None);
    }

    #[test]
    fn short_histories_fall_back() {
        let ten = exact(10);
        let f = forecast(&ten, d("2026-09-23"), &ForecastOptions::default(), 7).unwrap();
        assert_eq!(f.method, Method::SeasonalNaive);
        // The Thursday after is the last Thursday (2026-09-17 is t = 3: 100 + 6 + 5).
        assert_eq!(f.days[0].date, "2026-09-24");
        assert_eq!(f.days[0].volume, 111.0);
        assert_eq!(f.backtest_mape, None);
        let three = exact(3);
        let f = forecast(&three, d("2026-09-16"), &ForecastOptions::default(), 1).unwrap();
        assert_eq!(f.method, Method::Mean);
        assert_eq!(f.days[0].volume, (130.0 + 122.0 + 114.0) / 3.0);
        assert!(
            forecast(
                &BTreeMap::new(),
                d("2026-09-16"),
                &ForecastOptions::default(),
                1
            )
            .is_none()
        );
    }

    #[test]
    fn a_falling_trend_never_forecasts_below_zero() {
        let daily: BTreeMap<NaiveDate, u64> = (0..14)
            .map(|i| (d("2026-09-14") + Duration::days(i), (140 - 10 * i) as u64))
            .collect();
        let f = forecast(&daily, d("2026-09-27"), &ForecastOptions::default(), 28).unwrap();
        assert!(f.days.iter().all(|x| x.volume >= 0.0));
        assert_eq!(f.days[27].volume, 0.0);
    }
}
