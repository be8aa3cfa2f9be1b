//! Number, text and period formatting shared by the HTML and Markdown renderers.
//!
//! Everything here is pure and independent of the locale, so the same numbers always
//! give the same bytes. Floats are printed with a fixed number of decimals and never as
//! `NaN`, `inf` or `-0.0`: a missing or undefined value prints as [`MISSING`].

use chrono::NaiveDate;
use voc_core::Period;
pub use voc_core::html::escape_html;

/// What a value that cannot be computed (e.g. a change against zero) prints as.
pub const MISSING: &str = "—";

/// A text cell: the value, or [`MISSING`] when it is empty.
pub fn or_missing(value: &str) -> &str {
    if value.is_empty() { MISSING } else { value }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    group_digits(&n.to_string())
}

/// Signed variant of [`thousands`]: `-1234` → `-1,234`.
pub fn thousands_signed(n: i128) -> String {
    let grouped = group_digits(&n.unsigned_abs().to_string());
    if n < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

fn group_digits(digits: &str) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A float with `decimals` digits and grouped thousands; [`MISSING`] when not finite.
pub fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return MISSING.to_string();
    }
    let s = format!("{x:.decimals$}");
    let (sign, body) = match s.strip_prefix('-') {
        // `-0.0` reads like a real negative value; print it as zero.
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => ("", rest),
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (body, None),
    };
    let mut out = format!("{sign}{}", group_digits(int));
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Direction of a change, after rounding to what is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Up,
    Down,
    Flat,
    /// The previous value was zero, so no relative change exists.
    NoBase,
}

/// Relative change in percent; `None` when `previous` is zero.
pub fn pct_change(current: u64, previous: u64) -> Option<f64> {
    (previous != 0).then(|| (current as f64 - previous as f64) / previous as f64 * 100.0)
}

/// Direction of `current` against `previous`, flat when the one-decimal percent is 0.0.
pub fn trend(current: u64, previous: u64) -> Trend {
    match pct_change(current, previous) {
        None => Trend::NoBase,
        Some(p) if fixed(p.abs(), 1) == "0.0" => Trend::Flat,
        Some(p) if p > 0.0 => Trend::Up,
        Some(_) => Trend::Down,
    }
}

/// A percent change with its sign: `+42.0%`, `-5.0%`, `0.0%`.
pub fn signed_pct(pct: f64) -> String {
    let body = fixed(pct, 1);
    if body == MISSING {
        return body;
    }
    if body == "0.0" || body.starts_with('-') {
        format!("{body}%")
    } else {
        format!("+{body}%")
    }
}

/// Change of `current` against `previous` as `+42.0%`; [`MISSING`] when `previous` is 0.
pub fn change(current: u64, previous: u64) -> String {
    pct_change(current, previous).map_or_else(|| MISSING.to_string(), signed_pct)
}

/// Arrow for a change: `▲` up, `▼` down, empty otherwise.
pub fn arrow(current: u64, previous: u64) -> &'static str {
    match trend(current, previous) {
        Trend::Up => "▲",
        Trend::Down => "▼",
        Trend::Flat | Trend::NoBase => "",
    }
}

/// `part` as a percent of `whole` with one decimal; [`MISSING`] when `whole` is 0.
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return MISSING.to_string();
    }
    format!("{}%", fixed(part as f64 / whole as f64 * 100.0, 1))
}

/// A fraction in `0..=1` as a percent with one decimal: `0.345` → `34.5%`.
pub fn fraction_pct(f: f64) -> String {
    let body = fixed(f * 100.0, 1);
    if body == MISSING {
        body
    } else {
        format!("{body}%")
    }
}

/// Complaints per 1,000 contacts; `None` when there were no contacts.
pub fn complaint_rate(complaints: u64, contacts: u64) -> Option<f64> {
    (contacts != 0).then(|| complaints as f64 * 1000.0 / contacts as f64)
}

/// A per-mille rate: `369.5‰`, or [`MISSING`].
pub fn per_mille(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{}‰", fixed(r, 1)),
        _ => MISSING.to_string(),
    }
}

/// `p<0.001` or `p=0.012`; `None` when the p-value is not a number.
pub fn p_value(p: f64) -> Option<String> {
    if !p.is_finite() || p < 0.0 {
        return None;
    }
    Some(if p < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={}", fixed(p, 3))
    })
}

/// Chinese label of a channel code, as search names it; unknown values pass through.
pub fn channel_label(channel: &str) -> &str {
    voc_core::channel::label(channel)
}

/// Chinese label of a watch-list flag, as search names it; unknown flags pass through.
pub fn flag_label(flag: &str) -> &str {
    voc_core::flag::label(flag)
}

/// Display label of a category: the id, plus the name when the id does not already end
/// with it (`增值业务/违规订购` rather than `增值业务/违规订购（违规订购）`).
pub fn category_label(id: &str, name: &str) -> String {
    if id.is_empty() {
        return if name.is_empty() {
            MISSING.to_string()
        } else {
            name.to_string()
        };
    }
    if name.is_empty() || id.ends_with(name) {
        id.to_string()
    } else {
        format!("{id}（{name}）")
    }
}

/// Department label, with a placeholder for categories nobody owns yet.
pub fn owner_label(owner: &str) -> &str {
    if owner.trim().is_empty() {
        "未指定部门"
    } else {
        owner
    }
}

/// Unit of a period key, for phrases like `近8周`: `周` for `2026-W46`, `个月` for
/// `2026-11`, `期` for a date range or a key that is not a period.
pub fn period_unit(period: &str) -> &'static str {
    Period::parse(period).map_or("期", |p| p.unit_zh())
}

/// Header of a column of baseline means: `基线周均`, `基线月均`, `基线期均`.
pub fn baseline_mean_label(period: &str) -> &'static str {
    match period_unit(period) {
        "周" => "基线周均",
        "个月" => "基线月均",
        _ => "基线期均",
    }
}

/// Calendar dates a period key covers: `2026-W46` → `2026-11-09 至 2026-11-15`.
pub fn period_range(period: &str) -> Option<String> {
    let p = Period::parse(period).ok()?;
    Some(day_range(p.first, p.last))
}

/// `2026-10-01 至 2026-10-15`.
pub fn day_range(first: NaiveDate, last: NaiveDate) -> String {
    format!("{first} 至 {last}")
}

/// First day of a period (`2026-W46` → its Monday, `2026-11` → the 1st, a range → its
/// first day).
pub fn period_start(period: &str) -> Option<NaiveDate> {
    Period::parse(period).ok().map(|p| p.first)
}

/// Short axis label of a period: `2026-W46` → `W46`, a range → its first day (`10-05`);
/// other keys unchanged.
pub fn period_short(period: &str) -> String {
    match Period::parse(period) {
        Ok(p) => p.short_label(),
        Err(_) => period.to_string(),
    }
}

/// Escape text for Markdown inline content, table cells included.
///
/// Masked PII such as `138****5678` must not turn into emphasis, a `|` must not split a
/// table cell, a `<` must not open raw HTML and `&lt;` must stay literal; line breaks
/// become spaces so a quote stays one paragraph. A `<` or `&` that cannot start a tag
/// or an entity (as in `p<0.001`) stays as it is, for readability.
pub fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '<' => {
                let opens_tag = chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'));
                if opens_tag {
                    out.push('\\');
                }
                out.push('<');
            }
            // Only `&name;` / `&#..;` could turn into an entity; a lone `&` stays.
            '&' => {
                if chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#')
                {
                    out.push('\\');
                }
                out.push('&');
            }
            '\r' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands_signed(-1234), "-1,234");
        assert_eq!(fixed(12345.678, 1), "12,345.7");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(-1234.5, 2), "-1,234.50");
        assert_eq!(fixed(f64::NAN, 1), MISSING);
    }

    #[test]
    fn percent_changes() {
        assert_eq!(change(142, 100), "+42.0%");
        assert_eq!(change(95, 100), "-5.0%");
        assert_eq!(change(100, 100), "0.0%");
        assert_eq!(change(5, 0), MISSING);
        assert_eq!(arrow(142, 100), "▲");
        assert_eq!(arrow(95, 100), "▼");
        assert_eq!(arrow(100_000, 100_001), "");
        assert_eq!(trend(100_000, 100_001), Trend::Flat);
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(1, 0), MISSING);
        assert_eq!(fraction_pct(0.345), "34.5%");
    }

    #[test]
    fn rates_and_p_values() {
        assert_eq!(per_mille(complaint_rate(456, 1234)), "369.5‰");
        assert_eq!(per_mille(complaint_rate(1, 0)), MISSING);
        assert_eq!(p_value(0.0001).unwrap(), "p<0.001");
        assert_eq!(p_value(0.0123).unwrap(), "p=0.012");
        assert!(p_value(f64::NAN).is_none());
    }

    #[test]
    fn periods() {
        assert_eq!(
            period_range("2026-W46").unwrap(),
            "2026-11-09 至 2026-11-15"
        );
        assert_eq!(period_range("2026-02").unwrap(), "2026-02-01 至 2026-02-28");
        assert_eq!(period_range("2026-12").unwrap(), "2026-12-01 至 2026-12-31");
        assert!(period_range("上周").is_none());
        assert_eq!(period_unit("2026-W46"), "周");
        assert_eq!(period_unit("2026-11"), "个月");
        assert_eq!(period_short("2026-W46"), "W46");
        assert_eq!(period_short("2026-11"), "2026-11");
        assert_eq!(
            period_range("2026-10-05..2026-11-01").unwrap(),
            "2026-10-05 至 2026-11-01"
        );
        assert_eq!(period_unit("2026-10-05..2026-11-01"), "期");
        assert_eq!(period_short("2026-10-05..2026-11-01"), "10-05");
        assert_eq!(period_short("上周"), "上周");
    }

    #[test]
    fn labels() {
        assert_eq!(
            category_label("增值业务/违规订购", "违规订购"),
            "增值业务/违规订购"
        );
        assert_eq!(category_label("VAS-01", "违规订购"), "VAS-01（违规订购）");
        assert_eq!(channel_label("voice"), "电话");
        assert_eq!(channel_label("电话"), "电话");
        assert_eq!(channel_label("weibo"), "社交媒体");
        assert_eq!(flag_label("no_greeting"), "未问候");
    }

    #[test]
    fn escapes() {
        assert_eq!(
            escape_html(r#"<b>"A" & 'B'</b>"#),
            "&lt;b&gt;&quot;A&quot; &amp; &#39;B&#39;&lt;/b&gt;"
        );
        assert_eq!(escape_md("138****5678"), r"138\*\*\*\*5678");
        assert_eq!(escape_md("a|b\nc"), r"a\|b c");
        assert_eq!(escape_md("<script>"), r"\<script\>");
        assert_eq!(escape_md("p<0.001"), "p<0.001");
        assert_eq!(escape_md("A&B &lt;"), r"A\&B \&lt;");
    }
}
