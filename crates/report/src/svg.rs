//! Inline SVG charts. Hand-written rather than from a charting crate so the report stays
//! one offline file and the bytes are fully determined by the input: coordinates are
//! printed with one decimal and axis steps are found without logarithms.

use std::fmt::Write;

use crate::format::{complaint_rate, escape_html, fixed, period_short, thousands};
use crate::model::{ForecastPoint, PeriodVolume, SentimentPoint};

const WIDTH: f64 = 760.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 70.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 44.0;
/// More labels than this overlap on the x axis; thin them out beyond it.
const MAX_X_LABELS: usize = 13;

const BAR: &str = "#9fb3c8";
const BAR_CURRENT: &str = "#1f5fa8";
const LINE: &str = "#c0392b";
const GRID: &str = "#e4e7eb";
const AXIS: &str = "#616e7c";

/// A coordinate with one decimal, so output does not depend on float noise.
fn c(x: f64) -> String {
    fixed(x, 1).replace(',', "")
}

/// Multiples of a power of ten that make readable axis steps. 2.5 suits counts
/// (2,500 a step) but not scores, where -0.175 reads worse than -0.18.
const NICE: &[f64] = &[1.0, 2.0, 2.5, 5.0, 10.0];
const NICE_DECIMAL: &[f64] = &[1.0, 2.0, 5.0, 10.0];

/// Axis from `lo` to `hi` split into round steps (1, 2, 2.5 or 5 times a power of ten).
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
    decimals: usize,
}

impl Axis {
    fn new(min: f64, max: f64, target_ticks: usize, multiples: &[f64]) -> Axis {
        let (min, max) = if max > min {
            (min, max)
        } else {
            let pad = (max.abs() * 0.1).max(0.1);
            (min - pad, max + pad)
        };
        let step = nice_step((max - min) / target_ticks as f64, multiples);
        // The epsilon keeps float noise (-0.26 / 0.02 = -13.000000000000002) from
        // adding an empty step at either end.
        let lo = (min / step + 1e-9).floor() * step;
        let hi = (max / step - 1e-9).ceil() * step;
        Axis {
            lo,
            hi,
            step,
            decimals: decimals_of(step),
        }
    }

    /// Axis from zero with exactly `intervals` steps, so a second axis shares the grid
    /// lines of the first one.
    fn aligned(max: f64, intervals: usize) -> Axis {
        let intervals = intervals.max(1);
        let max = if max > 0.0 { max } else { 1.0 };
        let step = nice_step(max / intervals as f64, NICE);
        Axis {
            lo: 0.0,
            hi: step * intervals as f64,
            step,
            decimals: decimals_of(step),
        }
    }

    fn intervals(&self) -> usize {
        ((self.hi - self.lo) / self.step).round() as usize
    }

    fn ticks(&self) -> Vec<f64> {
        (0..=self.intervals())
            .map(|i| self.lo + i as f64 * self.step)
            .collect()
    }

    fn label(&self, v: f64) -> String {
        fixed(v, self.decimals)
    }

    /// Pixel y of value `v` in a plot spanning `top..top+height`.
    fn y(&self, v: f64, top: f64, height: f64) -> f64 {
        top + height - (v - self.lo) / (self.hi - self.lo) * height
    }
}

/// Smallest `m * 10^k` (m from `multiples`) at or above `raw`. The power of ten is
/// found by loops rather than `log10` so the result is exact and portable.
fn nice_step(raw: f64, multiples: &[f64]) -> f64 {
    let raw = if raw.is_finite() && raw > 0.0 {
        raw
    } else {
        1.0
    };
    let mut mag = 1.0_f64;
    while mag > raw {
        mag /= 10.0;
    }
    while mag * 10.0 <= raw {
        mag *= 10.0;
    }
    multiples
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-12))
        .unwrap_or(10.0 * mag)
}

/// Decimals needed to print multiples of `step` exactly (0.25 → 2, 20 → 0).
fn decimals_of(step: f64) -> usize {
    (0..6)
        .find(|d| {
            let scaled = step * 10f64.powi(*d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(6)
}

/// Which x positions get a label: all when few, else every k-th counted back from the
/// newest period so the report period is always labelled.
fn labelled(n: usize, i: usize) -> bool {
    let every = n.div_ceil(MAX_X_LABELS).max(1);
    (n - 1 - i).is_multiple_of(every)
}

/// Path through points, starting a new segment after each gap (`None`).
fn path(points: &[Option<(f64, f64)>]) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for p in points {
        match p {
            Some((x, y)) => {
                let cmd = if pen_down { 'L' } else { 'M' };
                let _ = write!(d, "{}{} {} ", cmd, c(*x), c(*y));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.trim_end().to_string()
}

fn open(out: &mut String, height: f64, label: &str) -> std::fmt::Result {
    writeln!(
        out,
        r#"<svg viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">"#,
        c(WIDTH),
        c(height),
        c(WIDTH),
        c(height),
        escape_html(label)
    )?;
    writeln!(out, "<title>{}</title>", escape_html(label))
}

/// Width of the plot area between the axes.
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;

/// A legend entry drawn as a line (dashed when `dash` is given), `offset` pixels right of
/// the plot's left edge.
fn legend_line(
    out: &mut String,
    offset: f64,
    color: &str,
    dash: Option<&str>,
    label: &str,
) -> std::fmt::Result {
    let dash = dash.map_or(String::new(), |d| format!(r#" stroke-dasharray="{d}""#));
    writeln!(
        out,
        r#"<line x1="{}" y1="18" x2="{}" y2="18" stroke="{color}" stroke-width="2"{dash}/><text x="{}" y="22" font-size="12" fill="{AXIS}">{}</text>"#,
        c(LEFT + offset),
        c(LEFT + offset + 20.0),
        c(LEFT + offset + 26.0),
        escape_html(label)
    )
}

/// A legend entry drawn as a filled square.
fn legend_box(out: &mut String, offset: f64, fill: &str, label: &str) -> std::fmt::Result {
    writeln!(
        out,
        r#"<rect x="{}" y="12" width="12" height="12" fill="{fill}"/><text x="{}" y="22" font-size="12" fill="{AXIS}">{}</text>"#,
        c(LEFT + offset),
        c(LEFT + offset + 18.0),
        escape_html(label)
    )
}

/// Horizontal grid lines at the ticks of `axis`, labelled on the left; `stroke` picks
/// each line's colour.
fn y_grid(
    out: &mut String,
    axis: &Axis,
    plot_h: f64,
    stroke: impl Fn(f64) -> &'static str,
) -> std::fmt::Result {
    for t in axis.ticks() {
        let y = axis.y(t, TOP, plot_h);
        writeln!(
            out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/><text x="{}" y="{}" font-size="11" text-anchor="end" fill="{AXIS}">{}</text>"#,
            c(LEFT),
            c(y),
            c(LEFT + PLOT_W),
            c(y),
            stroke(t),
            c(LEFT - 6.0),
            c(y + 4.0),
            axis.label(t)
        )?;
    }
    Ok(())
}

/// The left axis's title, rotated along it.
fn y_title(out: &mut String, plot_h: f64, label: &str) -> std::fmt::Result {
    writeln!(
        out,
        r#"<text transform="translate(16 {}) rotate(-90)" font-size="12" text-anchor="middle" fill="{AXIS}">{}</text>"#,
        c(TOP + plot_h / 2.0),
        escape_html(label)
    )
}

/// A label under the x axis, centred on `x`.
fn x_label(out: &mut String, x: f64, plot_h: f64, label: &str) -> std::fmt::Result {
    writeln!(
        out,
        r#"<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="{AXIS}">{}</text>"#,
        c(x),
        c(TOP + plot_h + 18.0),
        escape_html(label)
    )
}

/// The x axis line along the bottom of the plot.
fn x_axis(out: &mut String, plot_h: f64) -> std::fmt::Result {
    writeln!(
        out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{AXIS}"/>"#,
        c(LEFT),
        c(TOP + plot_h),
        c(LEFT + PLOT_W),
        c(TOP + plot_h)
    )
}

/// Bars of contacts per period with the complaint rate (‰) as a line on a second axis;
/// the bar of the report period is highlighted.
pub(crate) fn volume_chart(
    rows: &[PeriodVolume],
    current: Option<&str>,
    out: &mut String,
) -> std::fmt::Result {
    let height = 320.0;
    let plot_w = PLOT_W;
    let plot_h = height - TOP - BOTTOM;
    let n = rows.len().max(1);
    let band = plot_w / n as f64;

    let max_contacts = rows.iter().map(|r| r.contacts).max().unwrap_or(0) as f64;
    let rates: Vec<Option<f64>> = rows
        .iter()
        .map(|r| complaint_rate(r.complaints, r.contacts))
        .collect();
    let max_rate = rates.iter().flatten().copied().fold(0.0_f64, f64::max);
    let left = Axis::new(0.0, max_contacts.max(1.0), 5, NICE);
    let right = Axis::aligned(max_rate, left.intervals());

    open(out, height, "话务量与投诉率趋势")?;
    legend_box(out, 0.0, BAR, "接触量（次）")?;
    legend_line(out, 120.0, LINE, None, "投诉率（‰）")?;
    legend_box(out, 250.0, BAR_CURRENT, "本期")?;
    // Grid and left axis labels (contacts).
    y_grid(out, &left, plot_h, |_| GRID)?;
    // Right axis labels (rate).
    for t in right.ticks() {
        let y = right.y(t, TOP, plot_h);
        writeln!(
            out,
            r#"<text x="{}" y="{}" font-size="11" fill="{LINE}">{}</text>"#,
            c(LEFT + plot_w + 6.0),
            c(y + 4.0),
            right.label(t)
        )?;
    }
    // Axis titles, rotated along the axes.
    y_title(out, plot_h, "接触量（次）")?;
    let mid = TOP + plot_h / 2.0;
    writeln!(
        out,
        r#"<text transform="translate({} {}) rotate(90)" font-size="12" text-anchor="middle" fill="{LINE}">投诉率（‰）</text>"#,
        c(WIDTH - 14.0),
        c(mid)
    )?;

    // Bars and x labels.
    for (i, row) in rows.iter().enumerate() {
        let x = LEFT + i as f64 * band;
        let y = left.y(row.contacts as f64, TOP, plot_h);
        let fill = if Some(row.period.as_str()) == current {
            BAR_CURRENT
        } else {
            BAR
        };
        writeln!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"><title>{}：接触 {} 次，投诉 {} 件</title></rect>"#,
            c(x + band * 0.2),
            c(y),
            c(band * 0.6),
            c(TOP + plot_h - y),
            escape_html(&row.period),
            thousands(row.contacts),
            thousands(row.complaints)
        )?;
        if labelled(rows.len(), i) {
            x_label(out, x + band / 2.0, plot_h, &period_short(&row.period))?;
        }
    }
    x_axis(out, plot_h)?;

    // Rate line with a dot per period; a period with no contacts leaves a gap.
    let points: Vec<Option<(f64, f64)>> = rates
        .iter()
        .enumerate()
        .map(|(i, r)| r.map(|r| (LEFT + (i as f64 + 0.5) * band, right.y(r, TOP, plot_h))))
        .collect();
    writeln!(
        out,
        r#"<path d="{}" fill="none" stroke="{LINE}" stroke-width="2"/>"#,
        path(&points)
    )?;
    for (x, y) in points.iter().flatten() {
        writeln!(
            out,
            r#"<circle cx="{}" cy="{}" r="3" fill="{LINE}"/>"#,
            c(*x),
            c(*y)
        )?;
    }
    writeln!(out, "</svg>")
}

/// Line of the mean sentiment score per period, with a zero line when zero is in range
/// and the value printed at each point when there is room.
pub(crate) fn sentiment_chart(
    rows: &[SentimentPoint],
    current: Option<&str>,
    out: &mut String,
) -> std::fmt::Result {
    let height = 260.0;
    let plot_w = PLOT_W;
    let plot_h = height - TOP - BOTTOM;
    let n = rows.len().max(1);
    let band = plot_w / n as f64;

    let finite: Vec<f64> = rows
        .iter()
        .map(|r| r.mean_score)
        .filter(|v| v.is_finite())
        .collect();
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let axis = if finite.is_empty() {
        Axis::new(-1.0, 1.0, 4, NICE_DECIMAL)
    } else {
        Axis::new(min, max, 4, NICE_DECIMAL)
    };

    open(out, height, "情感趋势")?;
    legend_line(out, 0.0, BAR_CURRENT, None, "情感均值")?;
    // The zero line separates net-positive from net-negative periods: draw it darker.
    let zero = fixed(0.0, axis.decimals);
    y_grid(out, &axis, plot_h, |t| {
        if fixed(t, axis.decimals) == zero {
            AXIS
        } else {
            GRID
        }
    })?;
    y_title(out, plot_h, "情感均值")?;
    for (i, row) in rows.iter().enumerate() {
        if labelled(rows.len(), i) {
            x_label(
                out,
                LEFT + (i as f64 + 0.5) * band,
                plot_h,
                &period_short(&row.period),
            )?;
        }
    }
    let points: Vec<Option<(f64, f64)>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.mean_score.is_finite().then(|| {
                (
                    LEFT + (i as f64 + 0.5) * band,
                    axis.y(r.mean_score, TOP, plot_h),
                )
            })
        })
        .collect();
    writeln!(
        out,
        r#"<path d="{}" fill="none" stroke="{BAR_CURRENT}" stroke-width="2"/>"#,
        path(&points)
    )?;
    let show_values = rows.len() <= MAX_X_LABELS;
    for (i, (row, point)) in rows.iter().zip(&points).enumerate() {
        let Some((x, y)) = point else { continue };
        let is_current = Some(row.period.as_str()) == current;
        let r = if is_current { 5.0 } else { 3.0 };
        writeln!(
            out,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{BAR_CURRENT}"/>"#,
            c(*x),
            c(*y),
            c(r)
        )?;
        if show_values {
            writeln!(
                out,
                r#"<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="{AXIS}">{}</text>"#,
                c(*x),
                c(if dip(rows, i) {
                    y + r + 13.0
                } else {
                    y - r - 5.0
                }),
                fixed(row.mean_score, 2)
            )?;
        }
    }
    writeln!(out, "</svg>")
}

/// Daily volume: the recent history as a solid line, the forecast as a dashed one, with
/// a vertical rule between them. Dates are labelled `MM-DD`, thinned out to fit.
pub(crate) fn forecast_chart(
    history: &[ForecastPoint],
    forecast: &[ForecastPoint],
    out: &mut String,
) -> std::fmt::Result {
    let height = 280.0;
    let plot_w = PLOT_W;
    let plot_h = height - TOP - BOTTOM;
    let all: Vec<&ForecastPoint> = history.iter().chain(forecast).collect();
    let n = all.len().max(1);
    let band = plot_w / n as f64;
    let max = all
        .iter()
        .map(|p| p.volume)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let axis = Axis::new(0.0, max.max(1.0), 5, NICE);
    let x = |i: usize| LEFT + (i as f64 + 0.5) * band;

    open(out, height, "日接触量预测")?;
    legend_line(out, 0.0, BAR_CURRENT, None, "实际")?;
    legend_line(out, 80.0, LINE, Some("5 3"), "预测")?;
    y_grid(out, &axis, plot_h, |_| GRID)?;
    y_title(out, plot_h, "接触量（次）")?;
    // About eight date labels, counted back from the last day so it is always shown.
    let every = n.div_ceil(8).max(1);
    for (i, p) in all.iter().enumerate() {
        if (n - 1 - i).is_multiple_of(every) {
            x_label(out, x(i), plot_h, p.date.get(5..).unwrap_or(&p.date))?;
        }
    }
    x_axis(out, plot_h)?;
    let point = |i: usize, p: &ForecastPoint| {
        p.volume
            .is_finite()
            .then(|| (x(i), axis.y(p.volume, TOP, plot_h)))
    };
    let solid: Vec<Option<(f64, f64)>> = history
        .iter()
        .enumerate()
        .map(|(i, p)| point(i, p))
        .collect();
    writeln!(
        out,
        r#"<path d="{}" fill="none" stroke="{BAR_CURRENT}" stroke-width="2"/>"#,
        path(&solid)
    )?;
    if !forecast.is_empty() {
        // The dashed line starts at the last actual day so the two lines join.
        let start = history.len().saturating_sub(1);
        let dashed: Vec<Option<(f64, f64)>> = all
            .iter()
            .enumerate()
            .skip(if history.is_empty() { 0 } else { start })
            .map(|(i, p)| point(i, p))
            .collect();
        writeln!(
            out,
            r#"<path d="{}" fill="none" stroke="{LINE}" stroke-width="2" stroke-dasharray="5 3"/>"#,
            path(&dashed)
        )?;
        if !history.is_empty() {
            let rule = LEFT + history.len() as f64 * band;
            writeln!(
                out,
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{AXIS}" stroke-dasharray="2 2"/>"#,
                c(rule),
                c(TOP),
                c(rule),
                c(TOP + plot_h)
            )?;
        }
    }
    writeln!(out, "</svg>")
}

/// Whether point `i` is a local low, where the line comes from above on both sides and a
/// value label belongs below the point rather than on the line.
fn dip(rows: &[SentimentPoint], i: usize) -> bool {
    let v = rows[i].mean_score;
    let prev = i.checked_sub(1).map(|j| rows[j].mean_score);
    let next = rows.get(i + 1).map(|r| r.mean_score);
    prev.is_none_or(|p| !p.is_finite() || v < p) && next.is_none_or(|n| !n.is_finite() || v <= n)
}

/// A point of the importance-vs-performance chart.
pub(crate) struct ImportancePoint {
    pub label: String,
    /// Importance (|standardized coefficient|), ≥ 0.
    pub importance: f64,
    /// The KPI among the factor's contacts, in the unit of the axis.
    pub performance: f64,
    /// Significantly worse than the other contacts.
    pub adverse: bool,
}

/// Importance against performance (四象限图): each factor at its importance for the KPI
/// and the KPI among its contacts, with the mean importance and the overall KPI as the
/// quadrant lines; adverse drivers in red.
pub(crate) fn importance_chart(
    points: &[ImportancePoint],
    overall: f64,
    y_label: &str,
    out: &mut String,
) -> std::fmt::Result {
    let height = 360.0;
    let plot_h = height - TOP - BOTTOM;
    let max_x = points.iter().map(|p| p.importance).fold(0.0_f64, f64::max);
    let x_axis_scale = Axis::new(0.0, max_x.max(0.01), 5, NICE_DECIMAL);
    let (lo, hi) = points
        .iter()
        .map(|p| p.performance)
        .chain([overall])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let y_axis = Axis::new(lo, hi, 5, NICE_DECIMAL);
    let x_of = |v: f64| LEFT + (v - x_axis_scale.lo) / (x_axis_scale.hi - x_axis_scale.lo) * PLOT_W;
    open(out, height, "驱动因素重要性与表现")?;
    legend_box(out, 0.0, LINE, "显著拉低指标")?;
    legend_box(out, 130.0, BAR_CURRENT, "其他因素")?;
    legend_line(out, 240.0, AXIS, Some("4 3"), "整体水平 / 平均重要性")?;
    y_grid(out, &y_axis, plot_h, |_| GRID)?;
    y_title(out, plot_h, y_label)?;
    for t in x_axis_scale.ticks() {
        x_label(out, x_of(t), plot_h, &x_axis_scale.label(t))?;
    }
    x_axis(out, plot_h)?;
    writeln!(
        out,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{AXIS}">重要性（标准化系数绝对值）</text>"#,
        c(LEFT + PLOT_W / 2.0),
        c(height - 6.0)
    )?;
    // Quadrant lines: the overall KPI and the mean importance.
    let y_mid = y_axis.y(overall, TOP, plot_h);
    let mean_x = points.iter().map(|p| p.importance).sum::<f64>() / points.len().max(1) as f64;
    writeln!(
        out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{AXIS}" stroke-dasharray="4 3"/>"#,
        c(LEFT),
        c(y_mid),
        c(LEFT + PLOT_W),
        c(y_mid)
    )?;
    writeln!(
        out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{AXIS}" stroke-dasharray="4 3"/>"#,
        c(x_of(mean_x)),
        c(TOP),
        c(x_of(mean_x)),
        c(TOP + plot_h)
    )?;
    for p in points {
        let (x, y) = (x_of(p.importance), y_axis.y(p.performance, TOP, plot_h));
        let fill = if p.adverse { LINE } else { BAR_CURRENT };
        writeln!(
            out,
            r#"<circle cx="{}" cy="{}" r="4" fill="{fill}"><title>{}</title></circle><text x="{}" y="{}" font-size="11" fill="{AXIS}">{}</text>"#,
            c(x),
            c(y),
            escape_html(&p.label),
            c(x + 6.0),
            c(y - 4.0),
            escape_html(&p.label)
        )?;
    }
    writeln!(out, "</svg>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round() {
        let a = Axis::new(0.0, 12_391.0, 5, NICE);
        assert_eq!(
            (a.lo, a.hi, a.step, a.decimals),
            (0.0, 12_500.0, 2_500.0, 0)
        );
        let a = Axis::new(-0.26, -0.18, 4, NICE_DECIMAL);
        assert_eq!(a.decimals, 2);
        assert_eq!(a.label(a.lo), "-0.26");
        assert_eq!(a.label(a.hi), "-0.18");
        let a = Axis::new(0.0, 1.0, 5, NICE);
        assert_eq!((a.step, a.decimals), (0.2, 1));
        let a = Axis::new(5.0, 5.0, 4, NICE);
        assert!(a.hi > a.lo);
        let a = Axis::aligned(75.4, 5);
        assert_eq!((a.hi, a.step, a.decimals), (100.0, 20.0, 0));
        let a = Axis::aligned(0.0, 4);
        assert_eq!((a.hi, a.step), (1.0, 0.25));
        assert_eq!(a.label(0.75), "0.75");
    }

    #[test]
    fn labels_thin_out_but_keep_the_newest() {
        assert!((0..10).all(|i| labelled(10, i)));
        assert!(labelled(30, 29));
        assert_eq!((0..30).filter(|i| labelled(30, *i)).count(), 10);
    }

    #[test]
    fn gaps_split_the_line() {
        let d = path(&[Some((1.0, 2.0)), None, Some((3.0, 4.0)), Some((5.0, 6.0))]);
        assert_eq!(d, "M1.0 2.0 M3.0 4.0 L5.0 6.0");
    }
}
