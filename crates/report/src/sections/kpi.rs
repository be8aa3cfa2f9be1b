//! KPI 指标达成: each KPI of the month to date against its monthly target, the days of
//! the report period with their traffic lights, and the dynamic target (动态目标值) the
//! remaining days must reach. Shown when targets are configured.

use std::fmt::{Result, Write};

use super::Section;
use super::advice::CENTER_OWNER;
use crate::format::{
    MISSING, escape_html, escape_md, fixed, fraction_pct, per_mille, period_start,
};
use crate::model::{KpiRow, KpiScorecard};
use crate::table::{
    Align::{Num, Text},
    Cell, Table, Value, number_format,
};
use crate::view::View;

pub(crate) struct Kpi;

/// The scorecard, when it has rows.
fn scorecard_of<'a>(view: &View<'a>) -> Option<&'a KpiScorecard> {
    view.input.kpi.as_ref().filter(|k| !k.rows.is_empty())
}

impl Section for Kpi {
    fn id(&self) -> &'static str {
        "kpi"
    }

    fn title(&self) -> &'static str {
        "KPI 指标达成"
    }

    /// A date range that starts after the scorecard's month began shows no month to
    /// date: it would speak of days the range does not cover.
    fn present(&self, view: &View) -> bool {
        scorecard_of(view).is_some_and(|k| {
            !view.input.period.contains("..")
                || period_start(&view.input.period)
                    .zip(period_start(&k.month))
                    .is_some_and(|(range, month)| range <= month)
        })
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["kpi"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        let Some(k) = scorecard_of(view) else {
            return Vec::new();
        };
        let mut tables = vec![scorecard(k)];
        if !k.daily.is_empty() {
            tables.push(daily(k));
        }
        tables
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        scorecard_of(view).map_or(Ok(()), |k| html(k, heading, out))
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        scorecard_of(view).map_or(Ok(()), |k| markdown(k, heading, out))
    }

    fn findings(&self, view: &View) -> Vec<String> {
        let Some(k) = scorecard_of(view) else {
            return Vec::new();
        };
        let count = |s: &str| {
            k.rows
                .iter()
                .filter(|r| r.status.as_deref() == Some(s))
                .count()
        };
        let mut s = format!(
            "截至 {}，本月 {} 项 KPI 中 {} 项达标、{} 项预警、{} 项未达标",
            k.as_of,
            k.rows.len(),
            count("达标"),
            count("预警"),
            count("未达标")
        );
        let lacking: Vec<&str> = k
            .rows
            .iter()
            .filter(|r| r.actual.is_none())
            .map(|r| r.name.as_str())
            .collect();
        if !lacking.is_empty() {
            let inputs: Vec<&str> = k
                .rows
                .iter()
                .filter(|r| r.actual.is_none())
                .map(|r| missing_input(&r.metric))
                .fold(Vec::new(), |mut v, i| {
                    if !v.contains(&i) {
                        v.push(i);
                    }
                    v
                });
            s.push_str(&format!(
                "，{} 项数据不足（{}：{}缺失或过少）",
                lacking.len(),
                lacking.join("、"),
                inputs.join("、")
            ));
        }
        let misses: Vec<String> = k
            .rows
            .iter()
            .filter(|r| r.status.as_deref() == Some("未达标"))
            .map(|r| {
                format!(
                    "{}本月累计 {}（目标 {}），剩余 {} 天{}",
                    r.name,
                    kpi_value(&r.unit, r.actual),
                    kpi_value(&r.unit, Some(r.target)),
                    k.days_remaining,
                    match r.dynamic.as_str() {
                        "需达到" => required_clause(r),
                        "无法达成" => "已无法达成月度目标".to_string(),
                        other => other.to_string(),
                    }
                )
            })
            .collect();
        if !misses.is_empty() {
            s.push('：');
            s.push_str(&misses.join("；"));
        }
        s.push('。');
        vec![s]
    }

    /// The KPIs that miss their target, for the contact center.
    fn recommendations(&self, view: &View) -> Vec<(String, String)> {
        let Some(k) = scorecard_of(view) else {
            return Vec::new();
        };
        k.rows
            .iter()
            .filter(|r| r.status.as_deref() == Some("未达标"))
            .map(|r| {
                let tail = match r.dynamic.as_str() {
                    "需达到" => format!(
                        "剩余 {} 天{}，建议按日跟踪动态目标值并调整排班与质检重点。",
                        k.days_remaining,
                        required_clause(r)
                    ),
                    "无法达成" => {
                        "按当前累计已无法完成月度目标，建议与客户沟通并制定下月改进计划。"
                            .to_string()
                    }
                    _ => "建议复盘原因并制定改进措施。".to_string(),
                };
                (
                    CENTER_OWNER.to_string(),
                    format!(
                        "【KPI】{}本月累计 {}，目标 {}。{}",
                        r.name,
                        kpi_value(&r.unit, r.actual),
                        kpi_value(&r.unit, Some(r.target)),
                        tail
                    ),
                )
            })
            .collect()
    }

    fn methods(&self, _view: &View) -> Vec<String> {
        vec!["KPI 口径：一次解决率 = 已解决且同一客户在窗口期内未再次来电的接触 ÷ 已知是否解决的接触；满意度 = 评分 4–5 分占参评接触比例，不满意率 = 评分 1–2 分占比；平均处理时长 = 处理时长均值；服务水平 = 语音与在线渠道中等待时长不超过阈值的比例；投诉率 = 每千次接触投诉件数。动态目标值 = (目标 × (累计分母 + 剩余预计分母) − 累计分子) ÷ 剩余预计分母，剩余预计分母按每日预测接触量加权；超出指标可能范围即为“无法达成”。截止日前窗口期内的接触尚未满观察期，其一次解决率为暂估值，后续来电可能使其下降。".to_string()]
    }
}

/// `2026-11` → `2026年11月`; other keys unchanged.
fn month_label(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) if y.len() == 4 && m.len() == 2 && m.parse::<u32>().is_ok() => {
            format!("{y}年{}月", m.trim_start_matches('0'))
        }
        _ => month.to_string(),
    }
}

/// What a KPI is computed from, named when it is missing.
fn missing_input(metric: &str) -> &'static str {
    match metric {
        "fcr" => "解决状态",
        "csat" | "dsat" => "满意度评分",
        "aht" => "处理时长",
        "sla" => "语音/在线渠道的等待时长",
        "complaint_rate" => "接触量",
        _ => "输入数据",
    }
}

/// The status cell's text of a KPI without a value: what is missing.
fn insufficient(metric: &str) -> String {
    format!("{INSUFFICIENT}（{}缺失或过少）", missing_input(metric))
}

/// The text of a KPI value whose inputs are absent or too few: never 0 or 100 %.
const INSUFFICIENT: &str = "数据不足";

/// Value of a KPI in its unit: `49.5%`, `575 秒`, `751.2‰`; `数据不足` without one.
fn kpi_value(unit: &str, v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => match unit {
            "share" => fraction_pct(v),
            "seconds" => format!("{} 秒", fixed(v, 0)),
            "per_mille" => per_mille(Some(v)),
            _ => fixed(v, 2),
        },
        _ => INSUFFICIENT.to_string(),
    }
}

/// `需达到 54.2% 及以上` / `需控制在 31.9% 及以下`.
fn required_clause(row: &KpiRow) -> String {
    let value = kpi_value(&row.unit, row.dynamic_value);
    if row.higher_is_better {
        format!("需达到 {value} 及以上")
    } else {
        format!("需控制在 {value} 及以下")
    }
}

/// The dynamic target in words.
fn dynamic_text(row: &KpiRow) -> String {
    let value = kpi_value(&row.unit, row.dynamic_value);
    match row.dynamic.as_str() {
        "需达到" if row.higher_is_better => format!("≥ {value}"),
        "需达到" => format!("≤ {value}"),
        "无法达成" => format!("无法达成（需 {value}，超出可能范围）"),
        "已锁定" => "已锁定（剩余天数任何水平均可达标）".to_string(),
        // `无数据` is the label of reports saved before it was renamed.
        "数据不足" | "无数据" => INSUFFICIENT.to_string(),
        "" => MISSING.to_string(),
        other => other.to_string(),
    }
}

fn html(k: &KpiScorecard, heading: &str, out: &mut String) -> Result {
    writeln!(out, r#"<section id="{}">"#, Kpi.id())?;
    writeln!(out, "<h2>{heading}</h2>")?;
    writeln!(out, "<p>{}</p>", escape_html(&kpi_intro(k)))?;
    scorecard(k).html(out)?;
    if !k.daily.is_empty() {
        writeln!(out, "<h3>本期逐日达成</h3>")?;
        daily(k).html(out)?;
    }
    writeln!(
        out,
        r#"<p class="muted">{}逐日表中绿色为达标，橙色为预警，红色为未达标。</p>"#,
        escape_html(&legend(k))
    )?;
    writeln!(out, "</section>")
}

fn kpi_intro(k: &KpiScorecard) -> String {
    format!(
        "{}累计至 {}（已过 {} 天，剩余 {} 天）。动态目标值为剩余天数按预测话务量加权后须达到的平均水平。",
        month_label(&k.month),
        k.as_of,
        k.days_elapsed,
        k.days_remaining
    )
}

fn legend(k: &KpiScorecard) -> String {
    format!(
        "达标：达到或优于目标；预警：未达目标但差距在目标值的 {}% 以内；未达标：差距更大；数据不足：该指标的输入缺失，或本月累计少于 30 条、当日少于 10 条，不计算、不判定。",
        fixed(k.warning_band_pct, 1)
    )
}

fn markdown(k: &KpiScorecard, heading: &str, out: &mut String) -> Result {
    writeln!(out, "## {heading}")?;
    writeln!(out)?;
    writeln!(out, "{}", escape_md(&kpi_intro(k)))?;
    writeln!(out)?;
    scorecard(k).markdown(out)?;
    if !k.daily.is_empty() {
        writeln!(out, "### 本期逐日达成")?;
        writeln!(out)?;
        daily(k).markdown(out)?;
    }
    writeln!(out, "{}", escape_md(&legend(k)))?;
    writeln!(out)
}

fn status_class(status: Option<&str>) -> &'static str {
    match status {
        Some("达标") => "ok",
        Some("预警") => "warn",
        Some("未达标") => "bad",
        _ => "muted",
    }
}

/// A status in words, coloured as a traffic light in HTML.
fn status(s: Option<&str>) -> Cell {
    let cell = Cell::new(s.unwrap_or(MISSING)).class(status_class(s));
    if s.is_some() {
        cell
    } else {
        cell.value(Value::Empty)
    }
}

/// The KPI scorecard: month to date and the last day against the targets, with the
/// dynamic target.
fn scorecard(k: &KpiScorecard) -> Table {
    let mut t = Table::new(
        "KPI达成",
        &[
            ("指标", Text),
            ("月度目标", Num),
            ("本月累计", Num),
            ("状态", Text),
            (&k.as_of, Num),
            ("当日状态", Text),
            ("动态目标值", Text),
        ],
    );
    for r in &k.rows {
        t.row(vec![
            r.name.clone().into(),
            kpi_cell(&r.unit, Some(r.target), None),
            kpi_cell(&r.unit, r.actual, None),
            match r.actual {
                Some(_) => status(r.status.as_deref()),
                None => Cell::new(insufficient(&r.metric))
                    .class("muted")
                    .value(Value::Empty),
            },
            kpi_cell(&r.unit, r.day_actual, None),
            status(r.day_status.as_deref()),
            dynamic_cell(r),
        ]);
    }
    t
}

/// Every KPI on every day of the report period, with its traffic light.
fn daily(k: &KpiScorecard) -> Table {
    let mut columns = vec![("日期", Text)];
    columns.extend(k.rows.iter().map(|r| (r.name.as_str(), Num)));
    let mut t = Table::new("KPI逐日", &columns);
    for day in &k.daily {
        let mut cells = vec![Cell::date(&day.date)];
        for (r, v) in k.rows.iter().zip(&day.values) {
            let status = v.status.as_deref();
            cells.push(kpi_cell(&r.unit, v.actual, status).class(status_class(status)));
        }
        t.row(cells);
    }
    t
}

/// Excel number format of a KPI's unit, printing as [`kpi_value`] does.
fn unit_format(unit: &str) -> String {
    match unit {
        "share" => number_format::PERCENT.to_string(),
        "seconds" => number_format::SECONDS.to_string(),
        "per_mille" => number_format::PER_MILLE.to_string(),
        _ => number_format::decimals(2),
    }
}

/// A KPI value in its unit (`49.5%`), followed by its status when given (`49.5% 未达标`);
/// the number in the workbook, shown the same way.
fn kpi_cell(unit: &str, v: Option<f64>, status: Option<&str>) -> Cell {
    let value = kpi_value(unit, v);
    let text = match status {
        Some(s) => format!("{value} {s}"),
        None => value,
    };
    let suffix = status.map(|s| format!(" {s}")).unwrap_or_default();
    match (
        v,
        number_format::with_literal("", &unit_format(unit), &suffix),
    ) {
        (Some(x), Some(format)) => Cell::number(text, x, format),
        (None, _) => Cell::new(text).value(Value::Empty),
        (Some(_), None) => Cell::new(text),
    }
}

/// The dynamic target in words; the level to reach, as a number, in the workbook.
fn dynamic_cell(row: &KpiRow) -> Cell {
    let text = dynamic_text(row);
    let bound = if row.higher_is_better { "≥ " } else { "≤ " };
    match (row.dynamic.as_str(), row.dynamic_value) {
        ("需达到", Some(x)) => {
            let format = number_format::with_literal(bound, &unit_format(&row.unit), "")
                .unwrap_or_else(|| unit_format(&row.unit));
            Cell::number(text, x, format)
        }
        _ => Cell::new(text),
    }
}
