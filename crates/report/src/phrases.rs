//! Phrases and cells several sections word the same way: a change against the
//! comparison period.

use crate::format::{
    MISSING, Trend, change, fixed, pct_change, thousands, thousands_signed, trend,
};
use crate::table::{Cell, number_format};

/// Below this many in the comparison period a change is told in counts (`1 → 9 件`), not
/// as a percentage: +800 % on a base of one says nothing a reader can use.
pub(crate) const SMALL_BASE: u64 = 20;

/// `环比上升 5.2%`, `环比下降 3.0%`, `与上期持平`, on a small base `上期 1 件 → 本期 9 件`;
/// `None` without a base to compare to.
pub(crate) fn change_clause(current: u64, previous: u64) -> Option<String> {
    let pct = pct_change(current, previous)?;
    if previous < SMALL_BASE && current != previous {
        return Some(format!(
            "{} → {} 件",
            thousands(previous),
            thousands(current)
        ));
    }
    Some(match trend(current, previous) {
        Trend::Up => format!("环比上升 {}%", fixed(pct.abs(), 1)),
        Trend::Down => format!("环比下降 {}%", fixed(pct.abs(), 1)),
        Trend::Flat | Trend::NoBase => "与上期持平".to_string(),
    })
}

/// Change column text shared by the tables: `▲ +12.0%`, `▼ -5.0%`, `持平`, `—`; on a
/// small base the difference in counts, `▲ +8 件`.
pub(crate) fn change_text(current: u64, previous: u64) -> (Trend, String) {
    let t = trend(current, previous);
    let delta = i128::from(current) - i128::from(previous);
    if previous < SMALL_BASE && matches!(t, Trend::Up | Trend::Down) {
        let arrow = if delta > 0 { "▲" } else { "▼" };
        let sign = if delta > 0 { "+" } else { "" };
        return (t, format!("{arrow} {sign}{} 件", thousands_signed(delta)));
    }
    let text = match t {
        Trend::Up => format!("▲ {}", change(current, previous)),
        Trend::Down => format!("▼ {}", change(current, previous)),
        Trend::Flat => "持平".to_string(),
        Trend::NoBase => MISSING.to_string(),
    };
    (t, text)
}

/// A change cell (`▲ +12.0%`), coloured by direction in HTML.
pub(crate) fn change_cell(current: u64, previous: u64) -> Cell {
    let (t, text) = change_text(current, previous);
    let cell = if previous < SMALL_BASE && matches!(t, Trend::Up | Trend::Down) {
        let delta = current as f64 - previous as f64;
        Cell::number(text, delta, number_format::COUNT_CHANGE)
    } else {
        Cell::change(text, current, previous)
    };
    cell.class(match t {
        Trend::Up => "up",
        Trend::Down => "down",
        Trend::Flat | Trend::NoBase => "",
    })
}
