//! Staffing (排班) from the volume forecast: Erlang C against the SLA target, next to the
//! simple headcount formula.
//!
//! Erlang C: contacts of a day arrive evenly over `open_hours`, so the offered traffic of
//! an average open hour is A = (volume ÷ open_hours) × AHT ÷ 3600 Erlangs. With N agents
//! (N > A) the probability to wait is C(N, A) = N·B / (N − A·(1 − B)), B being Erlang B
//! (computed by its recursion B₀ = 1, Bₙ = A·Bₙ₋₁ / (n + A·Bₙ₋₁), which never
//! overflows), and the share answered within T seconds is
//! SL = 1 − C(N, A)·exp(−(N − A)·T / AHT). The agents needed are the smallest N meeting
//! the SLA target. Those are agents logged in during an open hour; the day needs
//! N × open_hours ÷ shift_hours shifts, divided by the attendance rate for absence.
//!
//! Simple formula: volume ÷ contacts one agent handles a day ÷ attendance rate.
//!
//! Both are for the average hour of the day; the peak hour needs more (see the report's
//! method note).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::forecast::ForecastDay;
use crate::stats::{agents_needed, service_level};

/// `[staffing]` of the pipeline file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffingConfig {
    /// Days forecast and staffed after the last day with data.
    #[serde(default = "twenty_eight")]
    pub horizon_days: u32,
    /// Weeks of daily volume the forecast is fitted on.
    #[serde(default = "eight")]
    pub history_weeks: u32,
    /// Last days held out to measure the forecast error (MAPE).
    #[serde(default = "fourteen")]
    pub backtest_days: u32,
    /// SLA target: this share answered within `sla_seconds` (defaults to `[kpi]`'s).
    #[serde(default = "eighty_percent")]
    pub sla_target: f64,
    #[serde(default)]
    pub sla_seconds: Option<u32>,
    /// Channels handled live by agents; their share of the volume and their AHT are
    /// taken from the last four weeks. Empty: every channel.
    #[serde(default = "live_channels")]
    pub channels: Vec<String>,
    /// Average handling time in seconds; measured from history when absent.
    #[serde(default)]
    pub aht_s: Option<f64>,
    /// Hours a day the lines are open.
    #[serde(default = "fourteen_f")]
    pub open_hours: f64,
    /// Hours one agent works a day.
    #[serde(default = "eight_f")]
    pub shift_hours: f64,
    /// Share of scheduled agents who actually work (出勤率).
    #[serde(default = "attendance")]
    pub attendance_rate: f64,
    /// Contacts one agent handles a day (人均日处理量), for the simple formula.
    #[serde(default = "per_agent")]
    pub contacts_per_agent_day: f64,
}

impl Default for StaffingConfig {
    fn default() -> Self {
        StaffingConfig {
            horizon_days: twenty_eight(),
            history_weeks: eight(),
            backtest_days: fourteen(),
            sla_target: eighty_percent(),
            sla_seconds: None,
            channels: live_channels(),
            aht_s: None,
            open_hours: fourteen_f(),
            shift_hours: eight_f(),
            attendance_rate: attendance(),
            contacts_per_agent_day: per_agent(),
        }
    }
}

fn twenty_eight() -> u32 {
    28
}
fn eight() -> u32 {
    8
}
fn fourteen() -> u32 {
    14
}
fn eighty_percent() -> f64 {
    0.8
}
fn live_channels() -> Vec<String> {
    vec!["voice".into(), "chat".into(), "wechat".into()]
}
fn fourteen_f() -> f64 {
    14.0
}
fn eight_f() -> f64 {
    8.0
}
fn attendance() -> f64 {
    0.85
}
fn per_agent() -> f64 {
    60.0
}

impl StaffingConfig {
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("[staffing] {name} must be a positive number"))
            }
        };
        positive("open_hours", self.open_hours)?;
        positive("shift_hours", self.shift_hours)?;
        positive("contacts_per_agent_day", self.contacts_per_agent_day)?;
        if !(self.attendance_rate > 0.0 && self.attendance_rate <= 1.0) {
            return Err("[staffing] attendance_rate must be in (0, 1]".into());
        }
        if !(self.sla_target > 0.0 && self.sla_target < 1.0) {
            return Err("[staffing] sla_target must be between 0 and 1 (exclusive)".into());
        }
        if self.open_hours > 24.0 || self.shift_hours > 24.0 {
            return Err("[staffing] open_hours and shift_hours are hours of one day".into());
        }
        if let Some(aht) = self.aht_s {
            positive("aht_s", aht)?;
        }
        if self.horizon_days == 0 || self.horizon_days > 366 {
            return Err("[staffing] horizon_days must be between 1 and 366".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffingDay {
    pub date: String,
    pub weekday: String,
    /// Forecast contacts of all channels.
    pub volume: f64,
    /// Forecast contacts of the staffed channels.
    pub staffed_volume: f64,
    pub aht_s: f64,
    /// Offered traffic of an average open hour, in Erlangs.
    pub traffic_erlangs: f64,
    /// Erlang C: agents logged in during an open hour.
    pub erlang_agents: u32,
    /// Service level those agents reach.
    pub service_level: f64,
    /// Erlang C agents turned into people scheduled for the day.
    pub erlang_headcount: u32,
    /// volume ÷ contacts per agent-day ÷ attendance.
    pub simple_headcount: u32,
}

/// The inputs measured from history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StaffingBasis {
    /// Share of contacts on the staffed channels (last four weeks).
    pub channel_share: f64,
    pub aht_s: f64,
    pub sla_seconds: u32,
    /// What is missing for a headcount (no handling times, no contacts on the staffed
    /// channels): then no day is staffed, rather than 0 agents at a 100 % service level.
    pub missing: Option<&'static str>,
}

/// Fewest handling times of the staffed channels an AHT is measured from.
pub const MIN_AHT_SAMPLES: u64 = 30;

/// Headcount per forecast day.
pub fn staffing(
    days: &[ForecastDay],
    basis: &StaffingBasis,
    config: &StaffingConfig,
) -> Vec<StaffingDay> {
    if basis.missing.is_some() {
        return Vec::new();
    }
    days.iter()
        .map(|d| {
            let staffed = d.volume * basis.channel_share;
            let traffic = staffed / config.open_hours * basis.aht_s / 3600.0;
            let agents = agents_needed(
                traffic,
                basis.aht_s,
                f64::from(basis.sla_seconds),
                config.sla_target,
            );
            let people = |x: f64| {
                let v = (x / config.attendance_rate - 1e-9).ceil();
                if v.is_finite() && v > 0.0 {
                    v as u32
                } else {
                    0
                }
            };
            StaffingDay {
                date: d.date.clone(),
                weekday: d.weekday.clone(),
                volume: d.volume,
                staffed_volume: staffed,
                aht_s: basis.aht_s,
                traffic_erlangs: traffic,
                erlang_agents: agents,
                service_level: service_level(
                    agents,
                    traffic,
                    basis.aht_s,
                    f64::from(basis.sla_seconds),
                ),
                erlang_headcount: people(
                    f64::from(agents) * config.open_hours / config.shift_hours,
                ),
                simple_headcount: people(staffed / config.contacts_per_agent_day),
            }
        })
        .collect()
}

/// Share of the staffed channels and their AHT over the days in `by_channel`
/// (date → channel → (contacts, duration sum, durations known)).
pub fn basis_from_history(
    by_channel: &BTreeMap<NaiveDate, BTreeMap<String, (u64, f64, u64)>>,
    config: &StaffingConfig,
    sla_seconds: u32,
) -> StaffingBasis {
    let staffed = |ch: &str| config.channels.is_empty() || config.channels.iter().any(|c| c == ch);
    let (mut all, mut live, mut dur, mut dur_n) = (0u64, 0u64, 0.0f64, 0u64);
    for channels in by_channel.values() {
        for (ch, (n, sum, known)) in channels {
            all += n;
            if staffed(ch) {
                live += n;
                dur += sum;
                dur_n += known;
            }
        }
    }
    let measured_aht = if dur_n > 0 { dur / dur_n as f64 } else { 0.0 };
    let missing = if live == 0 {
        Some("近四周没有排班渠道（语音、在线）的接触")
    } else if config.aht_s.is_none() && dur_n < MIN_AHT_SAMPLES {
        Some("排班渠道的处理时长缺失或过少（少于 30 条），且未配置 aht_s")
    } else {
        None
    };
    StaffingBasis {
        missing,
        channel_share: if all > 0 {
            live as f64 / all as f64
        } else {
            1.0
        },
        aht_s: config.aht_s.unwrap_or(measured_aht),
        sla_seconds: config.sla_seconds.unwrap_or(sla_seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_staffing_by_hand() {
        // 2,000 contacts, 90% live, over 10 open hours at AHT 200 s:
        // 180 an hour × 200 / 3600 = 10 Erlangs → 14 agents at 80/20 (AHT 200 s:
        // SL(13) = 1 − 0.28527·e^(−3·20/200) = 0.7887, SL(14) = 0.8833).
        let days = vec![ForecastDay {
            date: "2026-11-16".into(),
            weekday: "周一".into(),
            volume: 2000.0,
        }];
        let config = StaffingConfig {
            open_hours: 10.0,
            shift_hours: 8.0,
            attendance_rate: 0.8,
            contacts_per_agent_day: 100.0,
            ..StaffingConfig::default()
        };
        let basis = StaffingBasis {
            channel_share: 0.9,
            aht_s: 200.0,
            sla_seconds: 20,
            missing: None,
        };
        let s = &staffing(&days, &basis, &config)[0];
        assert!((s.traffic_erlangs - 10.0).abs() < 1e-12);
        assert_eq!(s.erlang_agents, 14);
        assert!((s.service_level - 0.883_276).abs() < 1e-6);
        // 14 × 10 / 8 = 17.5 shifts ÷ 0.8 = 21.875 → 22 people.
        assert_eq!(s.erlang_headcount, 22);
        // 1,800 ÷ 100 = 18 ÷ 0.8 = 22.5 → 23 people.
        assert_eq!(s.simple_headcount, 23);
    }

    #[test]
    fn basis_is_measured_on_the_staffed_channels() {
        let mut day = BTreeMap::new();
        day.insert("voice".to_string(), (80u64, 80.0 * 400.0, 80u64));
        day.insert("email".to_string(), (20u64, 20.0 * 900.0, 20u64));
        let by: BTreeMap<NaiveDate, _> = [(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), day)]
            .into_iter()
            .collect();
        let b = basis_from_history(&by, &StaffingConfig::default(), 20);
        assert_eq!(b.channel_share, 0.8);
        assert_eq!(b.aht_s, 400.0);
        assert_eq!(b.sla_seconds, 20);
        let fixed = StaffingConfig {
            aht_s: Some(300.0),
            sla_seconds: Some(15),
            ..StaffingConfig::default()
        };
        let b = basis_from_history(&by, &fixed, 20);
        assert_eq!((b.aht_s, b.sla_seconds), (300.0, 15));
        assert_eq!(b.missing, None);
    }

    /// Without handling times (or without staffed contacts) there is no headcount, not
    /// 0 agents at a 100 % service level; a configured AHT stands in for measured ones.
    #[test]
    fn no_handling_times_no_headcount() {
        let mut day = BTreeMap::new();
        day.insert("voice".to_string(), (80u64, 0.0, 0u64));
        day.insert("weibo".to_string(), (20u64, 0.0, 0u64));
        let by: BTreeMap<NaiveDate, _> = [(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), day)]
            .into_iter()
            .collect();
        let b = basis_from_history(&by, &StaffingConfig::default(), 20);
        assert!(b.missing.is_some());
        let days = [ForecastDay {
            date: "2026-11-02".into(),
            weekday: "周一".into(),
            volume: 100.0,
        }];
        assert!(staffing(&days, &b, &StaffingConfig::default()).is_empty());
        let configured = StaffingConfig {
            aht_s: Some(300.0),
            ..StaffingConfig::default()
        };
        assert_eq!(basis_from_history(&by, &configured, 20).missing, None);
        let chat_only = StaffingConfig {
            channels: vec!["chat".into()],
            aht_s: Some(300.0),
            ..StaffingConfig::default()
        };
        assert!(basis_from_history(&by, &chat_only, 20).missing.is_some());
    }
}
