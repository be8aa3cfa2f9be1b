//! 话务量与投诉率趋势: contacts, complaints and the complaint rate per period (chart
//! and table), and the report period's contacts by channel, business line, queue and
//! region.

use std::fmt::{Result, Write};

use super::{Priority, Section};
use crate::format::{MISSING, channel_label, complaint_rate, per_mille, thousands};
use crate::model::PeriodVolume;
use crate::phrases::{change_cell, change_clause};
use crate::svg;
use crate::table::{
    Align::{Num, Text},
    Cell, Table, Value,
};
use crate::view::View;

/// Regions listed in the breakdown table; the rest are summed into one row.
const BREAKDOWN_REGIONS: usize = 10;

const BREAKDOWN_NOTE: &str = "占比为占本期接触量的比例；环比对比上期同样天数。";

pub(crate) struct Volume;

impl Section for Volume {
    fn id(&self) -> &'static str {
        "volume"
    }

    fn title(&self) -> &'static str {
        "话务量与投诉率趋势"
    }

    fn priority(&self) -> Priority {
        Priority::Headline
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["volume", "comparison_volume", "breakdown"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        let mut tables = vec![volume(view)];
        if !view.input.breakdown.is_empty() {
            tables.push(breakdown(view));
        }
        tables
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        html_trend(view, heading, out)?;
        if !view.input.breakdown.is_empty() {
            writeln!(out, r#"<section id="breakdown">"#)?;
            writeln!(out, "<h3>渠道、业务线、队列与地区分布</h3>")?;
            writeln!(out, r#"<p class="muted">{BREAKDOWN_NOTE}</p>"#)?;
            breakdown(view).html(out)?;
            writeln!(out, "</section>")?;
        }
        Ok(())
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        md_trend(view, heading, out)?;
        if !view.input.breakdown.is_empty() {
            writeln!(out, "### 渠道、业务线、队列与地区分布")?;
            writeln!(out)?;
            breakdown(view).markdown(out)?;
            writeln!(out, "{BREAKDOWN_NOTE}")?;
            writeln!(out)?;
        }
        Ok(())
    }

    fn findings(&self, view: &View) -> Vec<String> {
        vec![volume_sentence(view)]
    }
}

/// Label of the same-days comparison span in the trend of a period in progress.
const SAME_DAYS: &str = "同期";

/// The trend's rows; for a period in progress the comparison span (the same days of the
/// previous period) is added just before it, so the chart and the table set the
/// part-period beside a like-for-like one as well as beside the complete periods.
fn trend_rows(view: &View) -> Vec<PeriodVolume> {
    let mut rows = view.input.volume.clone();
    if let (Some(_), Some(compared)) = (&view.input.data_through, &view.input.comparison_volume)
        && let Some(at) = rows.iter().rposition(|r| r.period == view.input.period)
    {
        rows.insert(
            at,
            PeriodVolume {
                period: SAME_DAYS.to_string(),
                ..compared.clone()
            },
        );
    }
    rows
}

/// The caption's note on a period in progress: what `同期` is.
fn in_progress_note(view: &View) -> Option<String> {
    let through = view.input.data_through.as_ref()?;
    view.input.comparison_volume.as_ref()?;
    Some(format!(
        "本期数据截至 {through}；“{SAME_DAYS}”为{}，与本期同口径比较，其余为完整周期。",
        view.comparison_text()
    ))
}

fn html_trend(view: &View, heading: &str, out: &mut String) -> Result {
    let rows = &trend_rows(view);
    writeln!(out, r#"<section id="{}">"#, Volume.id())?;
    writeln!(out, "<h2>{heading}</h2>")?;
    if rows.is_empty() {
        writeln!(out, "<p>暂无历史话务量数据。</p>")?;
        return writeln!(out, "</section>");
    }
    writeln!(out, "<figure>")?;
    svg::volume_chart(rows, Some(view.input.period.as_str()), out)?;
    writeln!(
        out,
        "<figcaption>图 1　近 {} 期接触量（柱，深色为本期）与投诉率（折线，每千次接触投诉件数）{}</figcaption>",
        view.input.volume.len(),
        in_progress_note(view)
            .map(|n| format!("。{n}"))
            .unwrap_or_default()
    )?;
    writeln!(out, "</figure>")?;
    volume(view).html(out)?;
    writeln!(out, "</section>")
}

fn md_trend(view: &View, heading: &str, out: &mut String) -> Result {
    writeln!(out, "## {heading}")?;
    writeln!(out)?;
    if view.input.volume.is_empty() {
        writeln!(out, "暂无历史话务量数据。")?;
        return writeln!(out);
    }
    volume(view).markdown(out)?;
    writeln!(out, "投诉率为每千次接触的投诉件数。")?;
    if let Some(note) = in_progress_note(view) {
        writeln!(out)?;
        writeln!(out, "{}", crate::format::escape_md(&note))?;
    }
    writeln!(out)
}

/// Contacts, complaints and complaint rate per period of the trend.
fn volume(view: &View) -> Table {
    let mut t = Table::new(
        "话务量趋势",
        &[
            ("周期", Text),
            ("接触量", Num),
            ("投诉量", Num),
            ("投诉率", Num),
        ],
    );
    for r in &trend_rows(view) {
        let label = if r.period == SAME_DAYS {
            Cell::new(format!(
                "{}（{SAME_DAYS}）",
                view.previous_label.as_deref().unwrap_or_default()
            ))
        } else {
            Cell::period(&r.period, &view.input.period)
        };
        t.row(vec![
            label,
            Cell::count(r.contacts),
            Cell::count(r.complaints),
            Cell::per_mille(complaint_rate(r.complaints, r.contacts)),
        ]);
    }
    t
}

/// `▲ +25.0%`, `▼ -9.7%`, `持平` or `—` for a count against an optional previous one
/// (not coloured: more contacts on a channel is neither good nor bad).
fn change(current: u64, previous: Option<u64>) -> Cell {
    match previous {
        Some(p) => change_cell(current, p).class(""),
        None => Cell::new(MISSING).value(Value::Empty),
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
fn breakdown(view: &View) -> Table {
    let input = view.input;
    let mut t = Table::new(
        "渠道地区分布",
        &[
            ("维度", Text),
            ("取值", Text),
            ("本期", Num),
            ("占比", Num),
            ("上期", Num),
            ("环比", Num),
            ("投诉率", Num),
        ],
    );
    let mut add = |dim: &str,
                   value: String,
                   contacts: u64,
                   share: f64,
                   previous: Option<u64>,
                   rate: Option<f64>| {
        t.row(vec![
            dimension_label(dim).into(),
            value.into(),
            Cell::count(contacts),
            Cell::fraction(share),
            Cell::count_or_missing(previous),
            change(contacts, previous),
            Cell::per_mille(rate),
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

fn volume_sentence(view: &View) -> String {
    let Some(cur) = view.volume else {
        return "本期暂无话务量数据。".to_string();
    };
    let mut s = format!("本期共受理客户接触 {} 次", thousands(cur.contacts));
    if let Some(clause) = view
        .volume_previous
        .and_then(|p| change_clause(cur.contacts, p.contacts))
    {
        s.push('，');
        s.push_str(&clause);
    }
    s.push_str(&format!("；投诉 {} 件，", thousands(cur.complaints)));
    match complaint_rate(cur.complaints, cur.contacts) {
        Some(rate) => {
            s.push_str(&format!("投诉率 {}", per_mille(Some(rate))));
            if let Some(prev_rate) = view
                .volume_previous
                .and_then(|p| complaint_rate(p.complaints, p.contacts))
            {
                s.push_str(&format!("（上期 {}）", per_mille(Some(prev_rate))));
            }
        }
        None => s.push_str("投诉率无法计算（本期接触量为 0）"),
    }
    s.push('。');
    s
}
