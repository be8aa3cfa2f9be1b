//! Phrases and cells several sections word the same way: a change against the
//! comparison period.

use crate::format::{MISSING, Trend, change, fixed, pct_change, trend};
use crate::table::Cell;

/// `环比上升 5.2%`, `环比下降 3.0%`, `与上期持平`; `None` without a base to compare to.
pub(crate) fn change_clause(current: u64, previous: u64) -> Option<String> {
    let pct = pct_change(current, previous)?;
    Some(match trend(current, previous) {
        Trend::Up => format!("环比上升 {}%", fixed(pct.abs(), 1)),
        Trend::Down => format!("环比下降 {}%", fixed(pct.abs(), 1)),
        Trend::Flat | Trend::NoBase => "与上期持平".to_string(),
    })
}

/// `较上期上升 0.05` for a difference of two scores printed with `decimals`.
pub(crate) fn delta_clause(
    current: f64,
    previous: f64,
    decimals: usize,
    unit: &str,
) -> Option<String> {
    let delta = current - previous;
    if !delta.is_finite() {
        return None;
    }
    let magnitude = fixed(delta.abs(), decimals);
    let zero = fixed(0.0, decimals);
    Some(if magnitude == zero {
        "与上期持平".to_string()
    } else if delta > 0.0 {
        format!("较上期上升 {magnitude}{unit}")
    } else {
        format!("较上期下降 {magnitude}{unit}")
    })
}

/// Change column text shared by the tables: `▲ +12.0%`, `▼ -5.0%`, `持平`, `—`.
pub(crate) fn change_text(current: u64, previous: u64) -> (Trend, String) {
    let t = trend(current, previous);
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
    Cell::change(text, current, previous).class(match t {
        Trend::Up => "up",
        Trend::Down => "down",
        Trend::Flat | Trend::NoBase => "",
    })
}
