//! 话务预测与排班: the daily volume forecast with its backtest (chart), and the agents
//! and people each forecast day needs (Erlang C and the simple formula). Shown with
//! enough history to forecast.

use std::fmt::{Result, Write};

use super::Section;
use crate::format::{escape_html, escape_md, fixed, fraction_pct};
use crate::model::ForecastSection;
use crate::svg;
use crate::table::{
    Align::{Num, Text},
    Cell, Table, number_format,
};
use crate::view::View;

pub(crate) struct Forecast;

/// The forecast, when it has days.
fn forecast_of<'a>(view: &View<'a>) -> Option<&'a ForecastSection> {
    view.input.forecast.as_ref().filter(|f| !f.days.is_empty())
}

impl Section for Forecast {
    fn id(&self) -> &'static str {
        "forecast"
    }

    fn title(&self) -> &'static str {
        "话务预测与排班"
    }

    fn present(&self, view: &View) -> bool {
        forecast_of(view).is_some()
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["forecast"]
    }

    /// The chart's days (recent and forecast) as a table, then the staffing.
    fn tables(&self, view: &View) -> Vec<Table> {
        let Some(f) = forecast_of(view) else {
            return Vec::new();
        };
        let mut tables = vec![daily_volume(f)];
        if !f.staffing.is_empty() {
            tables.push(staffing(f));
        }
        tables
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        forecast_of(view).map_or(Ok(()), |f| html(f, heading, out))
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        forecast_of(view).map_or(Ok(()), |f| markdown(f, heading, out))
    }

    fn findings(&self, view: &View) -> Vec<String> {
        let Some(f) = forecast_of(view) else {
            return Vec::new();
        };
        let mean = f.days.iter().map(|d| d.volume).sum::<f64>() / f.days.len().max(1) as f64;
        let mut s = format!(
            "预计未来 {} 天日均接触量 {} 次",
            f.days.len(),
            fixed(mean, 0)
        );
        if let Some(m) = f.backtest_mape {
            s.push_str(&format!("（回测 MAPE {}%）", fixed(m, 1)));
        }
        if let Some(missing) = &f.staffing_missing {
            s.push_str(&format!("；排班测算数据不足（{missing}），未测算坐席人数"));
        }
        if !f.staffing.is_empty() {
            let n = f.staffing.len() as f64;
            let agents = f
                .staffing
                .iter()
                .map(|x| f64::from(x.erlang_agents))
                .sum::<f64>()
                / n;
            let people = f
                .staffing
                .iter()
                .map(|x| f64::from(x.erlang_headcount))
                .sum::<f64>()
                / n;
            s.push_str(&format!(
                "，按 Erlang C 测算日均需在线坐席 {} 人、排班 {} 人",
                fixed(agents, 1),
                fixed(people, 1)
            ));
        }
        s.push('。');
        vec![s]
    }

    fn methods(&self, _view: &View) -> Vec<String> {
        vec!["话务预测：对最近数周的日接触量拟合“星期效应 + 线性趋势”的最小二乘模型并外推；回测留出最近两周，误差以 MAPE（平均绝对百分比误差）表示。排班：Erlang C 按营业时段平均小时的话务强度求满足服务水平目标的最少在线坐席，换算为排班人数并除以出勤率；简单公式 = 预测接触量 ÷ 人均日处理量 ÷ 出勤率。".to_string()]
    }
}

fn html(f: &ForecastSection, heading: &str, out: &mut String) -> Result {
    let esc = escape_html;
    writeln!(out, r#"<section id="{}">"#, Forecast.id())?;
    writeln!(out, "<h2>{heading}</h2>")?;
    writeln!(out, "<p>{}</p>", esc(&forecast_summary(f)))?;
    writeln!(out, "<figure>")?;
    svg::forecast_chart(&f.history, &f.days, out)?;
    writeln!(
        out,
        "<figcaption>图 3　日接触量：实线为实际，虚线为预测（{}）</figcaption>",
        esc(&f.method)
    )?;
    writeln!(out, "</figure>")?;
    if !f.staffing.is_empty() {
        staffing(f).html(out)?;
        writeln!(out, r#"<p class="muted">{}</p>"#, esc(&staffing_note(f)))?;
    }
    if let Some(text) = missing_note(f) {
        writeln!(out, "<p>{}</p>", esc(&text))?;
    }
    writeln!(out, "</section>")
}

fn forecast_summary(f: &ForecastSection) -> String {
    let total: f64 = f.days.iter().map(|d| d.volume).sum();
    let mean = total / f.days.len().max(1) as f64;
    let error = match f.backtest_mape {
        Some(m) => format!(
            "回测误差（留出最近 {} 天）MAPE 为 {}%",
            f.backtest_days,
            fixed(m, 1)
        ),
        None => "历史数据不足，未做回测".to_string(),
    };
    format!(
        "基于截至 {} 的日接触量，采用{}预测未来 {} 天：合计 {} 次，日均 {} 次；{}。",
        f.as_of,
        f.method,
        f.days.len(),
        fixed(total, 0),
        fixed(mean, 0),
        error
    )
}

/// Why there is no staffing table: 数据不足 and what is missing, never 0 agents.
fn missing_note(f: &ForecastSection) -> Option<String> {
    f.staffing_missing.as_ref().map(|m| {
        format!("排班测算：数据不足（{m}），未测算在线坐席与排班人数。请在输入中提供语音、在线渠道的处理时长，或在流水线文件 [staffing] 中配置 aht_s。")
    })
}

fn staffing_note(f: &ForecastSection) -> String {
    let a = &f.assumptions;
    format!(
        "测算口径：服务水平目标 {} 在 {} 秒内接通；平均处理时长 {} 秒；在线渠道占接触量 {}；每日营业 {} 小时、每班 {} 小时；出勤率 {}；简单公式按人均日处理 {} 次。Erlang C 按营业时段的平均小时测算，高峰时段需另行上浮。",
        fraction_pct(a.sla_target),
        a.sla_seconds,
        fixed(a.aht_s, 0),
        fraction_pct(a.channel_share),
        fixed(a.open_hours, 1),
        fixed(a.shift_hours, 1),
        fraction_pct(a.attendance_rate),
        fixed(a.contacts_per_agent_day, 0)
    )
}

fn markdown(f: &ForecastSection, heading: &str, out: &mut String) -> Result {
    let esc = escape_md;
    writeln!(out, "## {heading}")?;
    writeln!(out)?;
    writeln!(out, "{}", esc(&forecast_summary(f)))?;
    writeln!(out)?;
    if !f.staffing.is_empty() {
        staffing(f).markdown(out)?;
        writeln!(out, "{}", esc(&staffing_note(f)))?;
        writeln!(out)?;
    }
    if let Some(text) = missing_note(f) {
        writeln!(out, "{}", esc(&text))?;
        writeln!(out)?;
    }
    Ok(())
}

/// Recent and forecast daily volume: the forecast chart's points.
fn daily_volume(f: &ForecastSection) -> Table {
    let mut t = Table::new(
        "话务预测",
        &[
            ("日期", Text),
            ("星期", Text),
            ("类型", Text),
            ("接触量", Num),
        ],
    )
    .only_in_workbook();
    for (kind, points) in [("实际", &f.history), ("预测", &f.days)] {
        for p in points {
            t.row(vec![
                Cell::date(&p.date),
                p.weekday.clone().into(),
                kind.into(),
                Cell::decimal(p.volume, 1),
            ]);
        }
    }
    t
}

/// Forecast days with the agents and people each needs.
fn staffing(f: &ForecastSection) -> Table {
    let mut t = Table::new(
        "排班测算",
        &[
            ("日期", Text),
            ("星期", Text),
            ("预测接触量", Num),
            ("在线坐席（Erlang C）", Num),
            ("服务水平", Num),
            ("排班人数（Erlang C）", Num),
            ("排班人数（简单公式）", Num),
        ],
    );
    let whole = |n: u32| Cell::number(n.to_string(), f64::from(n), number_format::COUNT);
    for (day, s) in f.days.iter().zip(&f.staffing) {
        t.row(vec![
            Cell::date(&day.date),
            day.weekday.clone().into(),
            Cell::decimal(day.volume, 0),
            whole(s.erlang_agents),
            Cell::fraction(s.service_level),
            whole(s.erlang_headcount),
            whole(s.simple_headcount),
        ]);
    }
    t
}
