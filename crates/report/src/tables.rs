//! What every table of the report holds, built once from the input as plain-text
//! [`Table`]s; the HTML and Markdown renderers only place them in their sections.

use crate::analysis::{View, change_cell};
use crate::format::{
    MISSING, Trend, category_label, channel_label, complaint_rate, fixed, flag_label, fraction_pct,
    owner_label, p_value, per_mille, share, thousands,
};
use crate::model::{CategoryRow, DataQuality, ForecastSection, KpiScorecard, ReportInput};
use crate::sections::{dynamic_text, kpi_value};
use crate::table::{Align, Cell, Table};

use Align::{Num, Text};

/// Regions listed in the breakdown table; the rest are summed into one row.
const BREAKDOWN_REGIONS: usize = 10;

/// A change cell (`▲ +12.0%`), coloured by direction in HTML.
fn change(current: u64, previous: u64) -> Cell {
    let (t, text) = change_cell(current, previous);
    Cell::new(text).class(match t {
        Trend::Up => "up",
        Trend::Down => "down",
        Trend::Flat | Trend::NoBase => "",
    })
}

/// Contacts, complaints and complaint rate per period of the trend.
pub(crate) fn volume(view: &View) -> Table {
    let mut t = Table::new(&[
        ("周期", Text),
        ("接触量", Num),
        ("投诉量", Num),
        ("投诉率", Num),
    ]);
    for r in &view.input.volume {
        t.row(vec![
            Cell::period(&r.period, &view.input.period),
            thousands(r.contacts).into(),
            thousands(r.complaints).into(),
            per_mille(complaint_rate(r.complaints, r.contacts)).into(),
        ]);
    }
    t
}

/// Categories with their owner, counts, change and share of `total`.
pub(crate) fn categories(rows: &[&CategoryRow], total: u64) -> Table {
    let mut t = Table::new(&[
        ("类别", Text),
        ("归属部门", Text),
        ("本期", Num),
        ("上期", Num),
        ("环比", Num),
        ("占比", Num),
    ]);
    for c in rows {
        t.row(vec![
            category_label(&c.id, &c.name).into(),
            owner_label(&c.owner).into(),
            thousands(c.current).into(),
            thousands(c.previous).into(),
            change(c.current, c.previous),
            share(c.current, total).into(),
        ]);
    }
    t
}

/// Mean sentiment and negative share per period of the trend.
pub(crate) fn sentiment(view: &View) -> Table {
    let mut t = Table::new(&[("周期", Text), ("情感均值", Num), ("负面占比", Num)]);
    for r in &view.input.sentiment {
        t.row(vec![
            Cell::period(&r.period, &view.input.period),
            fixed(r.mean_score, 2).into(),
            fraction_pct(r.negative_share).into(),
        ]);
    }
    t
}

/// Escalation and churn-risk counts against the comparison period.
pub(crate) fn risk(view: &View) -> Table {
    let risk = &view.input.risk;
    let mut t = Table::new(&[
        ("风险类型", Text),
        ("本期", Num),
        ("上期", Num),
        ("环比", Num),
    ]);
    for (label, cur, prev) in [
        ("升级投诉风险", risk.escalation, risk.escalation_previous),
        ("流失倾向", risk.churn, risk.churn_previous),
    ] {
        t.row(vec![
            label.into(),
            thousands(cur).into(),
            thousands(prev).into(),
            change(cur, prev),
        ]);
    }
    t
}

/// The contacts on the watch list.
pub(crate) fn watch_list(view: &View) -> Table {
    let mut t = Table::new(&[
        ("接触编号", Text),
        ("风险", Text),
        ("类别", Text),
        ("地区", Text),
        ("摘录", Text),
    ]);
    for w in &view.input.risk.watch_list {
        let flags: Vec<&str> = w.flags.iter().map(|f| flag_label(f)).collect();
        t.row(vec![
            w.contact_id.clone().into(),
            flags.join("、").into(),
            w.category.clone().into(),
            w.region.clone().into(),
            w.excerpt.clone().into(),
        ]);
    }
    t
}

/// Labels and counts of the data-quality table (also the workbook's).
pub(crate) fn quality_rows(q: &DataQuality) -> [(&'static str, u64); 4] {
    [
        ("读取记录", q.read),
        ("通过校验（入库）", q.accepted),
        ("隔离（校验未通过）", q.quarantined),
        ("重复投递（按接触编号去重）", q.duplicates),
    ]
}

/// Read, accepted, quarantined and duplicate records with their share of those read.
pub(crate) fn quality(q: &DataQuality) -> Table {
    let mut t = Table::new(&[("项目", Text), ("记录数", Num), ("占读取", Num)]);
    for (label, n) in quality_rows(q) {
        t.row(vec![
            label.into(),
            thousands(n).into(),
            share(n, q.read).into(),
        ]);
    }
    t
}

/// Where the data-quality counts come from, when that needs saying.
pub(crate) fn quality_note(q: &DataQuality) -> Option<String> {
    match &q.batch_period {
        Some(batch) => Some(format!(
            "以上计数取自写入本输出目录的最近一次批处理（批处理报告期 {batch}，见 run.json），为该批次读取的全部记录，不限于本报告期。"
        )),
        None if q.read == 0 => {
            Some("未找到批处理清单（run.json），数据质量计数不可用。".to_string())
        }
        None => None,
    }
}

/// `▲ +25.0%`, `▼ -9.7%`, `持平` or `—` for a count against an optional previous one.
fn change_text(current: u64, previous: Option<u64>) -> String {
    match previous {
        Some(p) if p > 0 => {
            let pct = (current as f64 - p as f64) / p as f64 * 100.0;
            let body = fixed(pct, 1);
            if body == "0.0" {
                "持平".to_string()
            } else if pct > 0.0 {
                format!("▲ +{body}%")
            } else {
                format!("▼ {body}%")
            }
        }
        _ => MISSING.to_string(),
    }
}

fn dimension_label(d: &str) -> &'static str {
    match d {
        "channel" => "渠道",
        "region" => "地区",
        "business" => "业务线",
        "queue" => "队列",
        _ => "其他",
    }
}

/// Contacts by channel, business line, queue and region: channels, business lines and
/// queues in full, the largest regions and the rest summed, largest first within a
/// dimension.
pub(crate) fn breakdown(input: &ReportInput) -> Table {
    let mut t = Table::new(&[
        ("维度", Text),
        ("取值", Text),
        ("本期", Num),
        ("占比", Num),
        ("上期", Num),
        ("环比", Num),
        ("投诉率", Num),
    ]);
    let mut add = |dim: &str,
                   value: String,
                   contacts: u64,
                   share: f64,
                   previous: Option<u64>,
                   rate: Option<f64>| {
        t.row(vec![
            dimension_label(dim).into(),
            value.into(),
            thousands(contacts).into(),
            fraction_pct(share).into(),
            previous.map_or(MISSING.to_string(), thousands).into(),
            change_text(contacts, previous).into(),
            per_mille(rate).into(),
        ]);
    };
    for dim in ["channel", "business", "queue", "region"] {
        let mut rows: Vec<_> = input
            .breakdown
            .iter()
            .filter(|r| r.dimension == dim)
            .collect();
        rows.sort_by(|a, b| {
            b.contacts
                .cmp(&a.contacts)
                .then_with(|| a.value.cmp(&b.value))
        });
        let limit = if dim == "region" {
            BREAKDOWN_REGIONS
        } else {
            usize::MAX
        };
        for r in rows.iter().take(limit) {
            let value = if dim == "channel" {
                channel_label(&r.value).to_string()
            } else {
                r.value.clone()
            };
            add(
                dim,
                value,
                r.contacts,
                r.share,
                r.previous,
                r.complaint_rate,
            );
        }
        if rows.len() > limit {
            let rest = &rows[limit..];
            add(
                dim,
                format!("其他 {} 个", rest.len()),
                rest.iter().map(|r| r.contacts).sum(),
                rest.iter().map(|r| r.share).sum(),
                rest.iter().map(|r| r.previous).sum::<Option<u64>>(),
                None,
            );
        }
    }
    t
}

/// Each category's top keywords with the contacts mentioning them.
pub(crate) fn keywords(input: &ReportInput) -> Table {
    let mut t = Table::new(&[("类别", Text), ("关键词", Text)]);
    for c in &input.top_keywords {
        let words: Vec<String> = c
            .keywords
            .iter()
            .map(|k| format!("{}（{}）", k.term, thousands(k.count)))
            .collect();
        t.row(vec![
            category_label(&c.category_id, &c.name).into(),
            words.join("、").into(),
        ]);
    }
    t
}

/// New terms with their counts against the baseline.
pub(crate) fn new_terms(view: &View) -> Table {
    let mean = crate::format::baseline_mean_label(&view.input.period);
    let mut t = Table::new(&[
        ("词语", Text),
        ("本期提及", Num),
        (mean, Num),
        ("倍数", Num),
        ("显著性", Num),
    ]);
    for term in &view.input.new_terms {
        t.row(vec![
            term.term.clone().into(),
            thousands(term.current).into(),
            fixed(term.baseline_mean, 1).into(),
            fixed(term.ratio, 1).into(),
            p_value(term.p_value)
                .unwrap_or_else(|| MISSING.to_string())
                .into(),
        ]);
    }
    t
}

fn status_class(status: Option<&str>) -> &'static str {
    match status {
        Some("达标") => "ok",
        Some("预警") => "warn",
        Some("未达标") => "bad",
        _ => "muted",
    }
}

fn status(s: Option<&str>) -> Cell {
    Cell::new(s.unwrap_or(MISSING)).class(status_class(s))
}

/// The KPI scorecard: month to date and the last day against the targets, with the
/// dynamic target.
pub(crate) fn kpi(k: &KpiScorecard) -> Table {
    let mut t = Table::new(&[
        ("指标", Text),
        ("月度目标", Num),
        ("本月累计", Num),
        ("状态", Text),
        (&k.as_of, Num),
        ("当日状态", Text),
        ("动态目标值", Text),
    ]);
    for r in &k.rows {
        t.row(vec![
            r.name.clone().into(),
            kpi_value(&r.unit, Some(r.target)).into(),
            kpi_value(&r.unit, r.actual).into(),
            status(r.status.as_deref()),
            kpi_value(&r.unit, r.day_actual).into(),
            status(r.day_status.as_deref()),
            dynamic_text(r).into(),
        ]);
    }
    t
}

/// Every KPI on every day of the report period, with its traffic light.
pub(crate) fn kpi_daily(k: &KpiScorecard) -> Table {
    let mut columns = vec![("日期", Text)];
    columns.extend(k.rows.iter().map(|r| (r.name.as_str(), Num)));
    let mut t = Table::new(&columns);
    for day in &k.daily {
        let mut cells = vec![Cell::new(day.date.clone())];
        for (r, v) in k.rows.iter().zip(&day.values) {
            let value = kpi_value(&r.unit, v.actual);
            let text = match v.status.as_deref() {
                Some(s) => format!("{value} {s}"),
                None => value,
            };
            cells.push(Cell::new(text).class(status_class(v.status.as_deref())));
        }
        t.row(cells);
    }
    t
}

/// Forecast days with the agents and people each needs.
pub(crate) fn staffing(f: &ForecastSection) -> Table {
    let mut t = Table::new(&[
        ("日期", Text),
        ("星期", Text),
        ("预测接触量", Num),
        ("在线坐席（Erlang C）", Num),
        ("服务水平", Num),
        ("排班人数（Erlang C）", Num),
        ("排班人数（简单公式）", Num),
    ]);
    for (day, s) in f.days.iter().zip(&f.staffing) {
        t.row(vec![
            day.date.clone().into(),
            day.weekday.clone().into(),
            fixed(day.volume, 0).into(),
            s.erlang_agents.to_string().into(),
            fraction_pct(s.service_level).into(),
            s.erlang_headcount.to_string().into(),
            s.simple_headcount.to_string().into(),
        ]);
    }
    t
}
