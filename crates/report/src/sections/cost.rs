//! 成本临界点: the month's cost line (from `[cost]`) per week and per day, the volume at
//! which the contract's revenue covers it, the actual cost and revenue day by day, and
//! what the remaining days must stay under or reach. Absent without a `[cost]` block.

use std::fmt::{Result, Write};

use super::Section;
use super::advice::CENTER_OWNER;
use crate::format::{MISSING, escape_html, escape_md, fixed, fraction_pct, period_start};
use crate::model::CostSection;
use crate::table::{
    Align::{Num, Text},
    Cell, Table, Value, number_format,
};
use crate::view::View;

pub(crate) struct Cost;

/// What a figure whose inputs are missing reads as.
const INSUFFICIENT: &str = "数据不足";
const YUAN: &str = "#,##0\" 元\"";

fn section_of<'a>(view: &View<'a>) -> Option<&'a CostSection> {
    view.input.cost.as_ref()
}

impl Section for Cost {
    fn id(&self) -> &'static str {
        "cost"
    }

    fn title(&self) -> &'static str {
        "成本临界点"
    }

    /// Like the KPI scorecard: a date range that starts after the month began shows no
    /// month to date, which would speak of days the range does not cover.
    fn present(&self, view: &View) -> bool {
        section_of(view).is_some_and(|c| {
            !view.input.period.contains("..")
                || period_start(&view.input.period)
                    .zip(period_start(&c.month))
                    .is_some_and(|(range, month)| range <= month)
        })
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["cost"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        section_of(view).map_or_else(Vec::new, |c| vec![summary(c), weeks(c), days(c)])
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let Some(c) = section_of(view) else {
            return Ok(());
        };
        writeln!(out, r#"<section id="{}">"#, Cost.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        writeln!(out, "<p>{}</p>", escape_html(&intro(c)))?;
        summary(c).html(out)?;
        writeln!(out, "<h3>每周临界值</h3>")?;
        weeks(c).html(out)?;
        writeln!(out, "<h3>逐日成本与临界值</h3>")?;
        days(c).html(out)?;
        writeln!(out, r#"<p class="muted">{}</p>"#, escape_html(&note(c)))?;
        writeln!(out, "</section>")
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let Some(c) = section_of(view) else {
            return Ok(());
        };
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        writeln!(out, "{}", escape_md(&intro(c)))?;
        writeln!(out)?;
        summary(c).markdown(out)?;
        writeln!(out, "### 每周临界值")?;
        writeln!(out)?;
        weeks(c).markdown(out)?;
        writeln!(out, "### 逐日成本与临界值")?;
        writeln!(out)?;
        days(c).markdown(out)?;
        writeln!(out, "{}", escape_md(&note(c)))?;
        writeln!(out)
    }

    fn findings(&self, view: &View) -> Vec<String> {
        section_of(view)
            .map(|c| format!("{}。", remainder_sentence(c)))
            .into_iter()
            .collect()
    }

    fn recommendations(&self, view: &View) -> Vec<(String, String)> {
        let Some(c) = section_of(view) else {
            return Vec::new();
        };
        let over = c.cost_remainder == "已超支"
            || (c.cost_remainder == "需控制在"
                && c.cost_remainder_value
                    .is_some_and(|v| v < c.monthly_cost / f64::from(c.days_in_month.max(1))));
        if over {
            vec![(
                CENTER_OWNER.to_string(),
                format!(
                    "【成本】{}，建议按日控制排班与加班时长。",
                    remainder_sentence(c)
                ),
            )]
        } else {
            Vec::new()
        }
    }

    fn methods(&self, view: &View) -> Vec<String> {
        let Some(c) = section_of(view) else {
            return Vec::new();
        };
        vec![format!(
            "成本临界点：月度成本（预算，或坐席数 × 每日坐席小时 × 当月天数 × 小时成本 + 月度管理费用）按日历天平均分到每天，每周为其在当月的天数之和；盈亏平衡量 = 月度成本 ÷ 合同单价。实际成本 = 处理时长折算的坐席小时（平均处理时长 × 接触量 ÷ 坐席利用率 {}）× 小时成本 + 当日管理费用；当日处理时长少于 10 条时不计算。剩余日均要求 = (月度值 − 累计值) ÷ 剩余天数。",
            fraction_pct(c.occupancy)
        )]
    }
}

fn month_label(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
        None => month.to_string(),
    }
}

fn yuan(v: f64) -> String {
    format!("{} 元", fixed(v, 0))
}

/// The unit of the break-even volume: contacts or seat hours.
fn unit(c: &CostSection) -> &'static str {
    if c.revenue_basis == "seat_hour" {
        "坐席小时"
    } else {
        "件"
    }
}

fn volume(c: &CostSection, v: f64) -> String {
    let decimals = if c.revenue_basis == "seat_hour" { 1 } else { 0 };
    format!("{} {}", fixed(v, decimals), unit(c))
}

fn volume_format(c: &CostSection) -> String {
    if c.revenue_basis == "seat_hour" {
        "#,##0.0\" 坐席小时\"".to_string()
    } else {
        "#,##0\" 件\"".to_string()
    }
}

fn intro(c: &CostSection) -> String {
    let days = f64::from(c.days_in_month.max(1));
    format!(
        "{}成本 {}（日均 {}）；合同单价 {} 元/{}，盈亏平衡需 {}（日均 {}）。截至 {}（已过 {} 天，剩余 {} 天）。",
        month_label(&c.month),
        yuan(c.monthly_cost),
        yuan(c.monthly_cost / days),
        fixed(c.revenue_rate, 2),
        unit(c),
        volume(c, c.breakeven),
        volume(c, c.breakeven / days),
        c.as_of,
        c.days_elapsed,
        c.days_remaining
    )
}

/// The dynamic remainder in one sentence.
fn remainder_sentence(c: &CostSection) -> String {
    let cost = match (c.cost_remainder.as_str(), c.cost_remainder_value) {
        ("需控制在", Some(v)) => format!(
            "剩余 {} 天日均成本需控制在 {} 以内",
            c.days_remaining,
            yuan(v)
        ),
        ("已超支", Some(v)) => format!("本月成本已超出预算 {}", yuan(v)),
        ("本月已结束", _) => "本月已结束".to_string(),
        _ => format!("实际成本{INSUFFICIENT}（处理时长缺失或过少，或未配置小时成本）"),
    };
    let volume_text = match (c.volume_remainder.as_str(), c.volume_remainder_value) {
        ("需达到", Some(v)) => format!("日均业务量需达到 {} 才能盈亏平衡", volume(c, v)),
        ("已达成", _) => "本月业务量已超过盈亏平衡点".to_string(),
        ("本月已结束", _) => String::new(),
        _ => format!("业务量{INSUFFICIENT}"),
    };
    let mut s = format!(
        "成本临界点：截至 {}，{}累计成本 {}、收入 {}",
        c.as_of,
        month_label(&c.month),
        c.cost_to_date
            .map_or_else(|| INSUFFICIENT.to_string(), yuan),
        c.revenue_to_date
            .map_or_else(|| INSUFFICIENT.to_string(), yuan)
    );
    s.push('；');
    s.push_str(&cost);
    if !volume_text.is_empty() {
        s.push('，');
        s.push_str(&volume_text);
    }
    s
}

fn yuan_cell(v: Option<f64>) -> Cell {
    match v {
        Some(x) => Cell::number(yuan(x), x, YUAN),
        None => Cell::new(INSUFFICIENT).class("muted").value(Value::Empty),
    }
}

fn volume_cell(c: &CostSection, v: Option<f64>) -> Cell {
    match v {
        Some(x) => Cell::number(volume(c, x), x, volume_format(c)),
        None => Cell::new(INSUFFICIENT).class("muted").value(Value::Empty),
    }
}

/// The remainder in words, the value as a number in the workbook.
fn remainder_cell(label: &str, value: Option<f64>, cell: impl Fn(f64) -> Cell) -> Cell {
    match (label, value) {
        ("需控制在", Some(v)) => {
            let inner = cell(v);
            Cell {
                text: format!("≤ {}", inner.text),
                ..inner
            }
        }
        ("需达到", Some(v)) => {
            let inner = cell(v);
            Cell {
                text: format!("≥ {}", inner.text),
                ..inner
            }
        }
        ("已超支", Some(v)) => {
            let inner = cell(v);
            Cell {
                text: format!("已超支 {}", inner.text),
                ..inner
            }
            .class("bad")
        }
        ("数据不足", _) => Cell::new(INSUFFICIENT).class("muted").value(Value::Empty),
        (other, _) => Cell::new(other),
    }
}

/// The month's cost and break-even, to date and what the remaining days need.
fn summary(c: &CostSection) -> Table {
    let mut t = Table::new(
        "成本临界点",
        &[
            ("项目", Text),
            ("本月临界值", Num),
            ("累计至今", Num),
            ("剩余日均要求", Text),
        ],
    );
    t.row(vec![
        "成本".into(),
        yuan_cell(Some(c.monthly_cost)),
        yuan_cell(c.cost_to_date),
        remainder_cell(&c.cost_remainder, c.cost_remainder_value, |v| {
            yuan_cell(Some(v))
        }),
    ]);
    t.row(vec![
        format!("业务量（{}）", unit(c)).into(),
        volume_cell(c, Some(c.breakeven)),
        volume_cell(c, c.volume_to_date),
        remainder_cell(&c.volume_remainder, c.volume_remainder_value, |v| {
            volume_cell(c, Some(v))
        }),
    ]);
    t.row(vec![
        "收入".into(),
        yuan_cell(Some(c.monthly_cost)),
        yuan_cell(c.revenue_to_date),
        Cell::new(MISSING),
    ]);
    t
}

/// Each week's share of the month's cost and break-even.
fn weeks(c: &CostSection) -> Table {
    let mut t = Table::new(
        "成本周临界",
        &[
            ("周", Text),
            ("起", Text),
            ("止", Text),
            ("成本线", Num),
            ("盈亏平衡量", Num),
        ],
    );
    for w in &c.weeks {
        t.row(vec![
            w.week.clone().into(),
            Cell::date(&w.first),
            Cell::date(&w.last),
            yuan_cell(Some(w.cost_line)),
            volume_cell(c, Some(w.breakeven)),
        ]);
    }
    t
}

/// Every day of the month: its lines and, up to the last day with data, the actuals.
fn days(c: &CostSection) -> Table {
    let mut t = Table::new(
        "成本逐日",
        &[
            ("日期", Text),
            ("成本线", Num),
            ("盈亏平衡量", Num),
            ("接触量", Num),
            ("坐席小时", Num),
            ("实际成本", Num),
            ("收入", Num),
            ("状态", Text),
        ],
    );
    // The days after the last day with data repeat the same lines: the note says them.
    for d in c.days.iter().filter(|d| d.contacts.is_some()) {
        let status = match (d.cost, d.revenue) {
            (Some(cost), _) if cost > d.cost_line => Cell::new("超成本线").class("bad"),
            (Some(_), Some(revenue)) if revenue < d.cost_line => {
                Cell::new("低于平衡").class("warn")
            }
            (Some(_), _) => Cell::new("正常").class("ok"),
            (None, _) => Cell::new(INSUFFICIENT).class("muted").value(Value::Empty),
        };
        t.row(vec![
            Cell::date(&d.date),
            yuan_cell(Some(d.cost_line)),
            volume_cell(c, Some(d.breakeven)),
            Cell::count_or_missing(d.contacts),
            match d.seat_hours {
                Some(h) => Cell::number(fixed(h, 1), h, number_format::decimals(1)),
                None => Cell::new(INSUFFICIENT).class("muted").value(Value::Empty),
            },
            yuan_cell(d.cost),
            yuan_cell(d.revenue),
            status,
        ]);
    }
    t
}

fn note(c: &CostSection) -> String {
    let hourly = match c.hourly_cost {
        Some(h) => format!("小时成本 {} 元", fixed(h, 2)),
        None => "未配置小时成本，实际成本不计算".to_string(),
    };
    let later: Vec<_> = c.days.iter().filter(|d| d.contacts.is_none()).collect();
    let rest = later.first().map_or_else(String::new, |first| {
        format!(
            "其余 {} 天（{} 起）每天成本线 {}、盈亏平衡量 {}。",
            later.len(),
            first.date,
            yuan(first.cost_line),
            volume(c, first.breakeven)
        )
    });
    format!(
        "{rest}成本线为月度成本按日平均；实际成本按处理时长折算坐席小时（坐席利用率 {}，{}）。状态：超成本线 = 实际成本高于当日成本线；低于平衡 = 当日收入低于成本线。",
        fraction_pct(c.occupancy),
        hourly
    )
}
