//! The cover (client, period, comparison period; the fingerprints are in the appendix) and the
//! executive summary (执行摘要): headline cards and the findings sentences of every
//! section.

use std::fmt::{Result, Write};

use super::Section;
use crate::format::{
    MISSING, Trend, complaint_rate, escape_html as esc, escape_md, fixed, per_mille, thousands,
};
use crate::phrases::change_text;
use crate::table::{Align::Text, Cell, Table};
use crate::view::View;

pub(crate) struct Overview;

impl Section for Overview {
    fn id(&self) -> &'static str {
        "summary"
    }

    fn title(&self) -> &'static str {
        "执行摘要"
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &[
            "title",
            "client",
            "period",
            "previous_period",
            "data_through",
            "baseline_periods",
        ]
    }

    /// The cover and the findings as one sheet: the document shows them as a list.
    fn tables(&self, view: &View) -> Vec<Table> {
        let input = view.input;
        let mut t = Table::new("概览", &[("项目", Text), ("内容", Text)]).only_in_workbook();
        let mut add = |label: String, value: Cell| t.row(vec![Cell::new(label), value]);
        add("报告".into(), view.title().into());
        add("客户".into(), input.client.clone().into());
        add("报告期".into(), view.period_text().into());
        add("对比期".into(), view.comparison_text().into());
        add(
            "基线期数".into(),
            Cell::count(u64::from(view.baseline_periods())),
        );
        for (i, finding) in crate::findings(input).into_iter().enumerate() {
            add(format!("发现 {}", i + 1), finding.into());
        }
        if let Some(note) = super::quality_note(&input.quality) {
            add("数据质量说明".into(), note.into());
        }
        vec![t]
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        html_cover(view, out)?;
        html_summary(view, heading, out)
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let input = view.input;
        let esc = escape_md;
        writeln!(out, "# {}", esc(view.title()))?;
        writeln!(out)?;
        writeln!(out, "- 客户：{}", esc(&input.client))?;
        writeln!(out, "- 报告期：{}", esc(&view.period_text()))?;
        writeln!(out, "- 对比期：{}", esc(&view.comparison_text()))?;
        writeln!(out)?;
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        for (i, f) in crate::findings(input).iter().enumerate() {
            writeln!(out, "{}. {}", i + 1, esc(f))?;
        }
        writeln!(out)
    }
}

fn html_cover(view: &View, out: &mut String) -> Result {
    let input = view.input;
    writeln!(out, r#"<header class="cover">"#)?;
    writeln!(out, r#"<p class="kicker">客户之声（VOC）分析</p>"#)?;
    writeln!(out, "<h1>{}</h1>", esc(view.title()))?;
    writeln!(out, "<dl>")?;
    writeln!(out, "<dt>客户</dt><dd>{}</dd>", esc(&input.client))?;
    writeln!(out, "<dt>报告期</dt><dd>{}</dd>", esc(&view.period_text()))?;
    writeln!(
        out,
        "<dt>对比期</dt><dd>{}</dd>",
        esc(&view.comparison_text())
    )?;
    writeln!(out, "</dl>")?;
    writeln!(out, "</header>")
}

fn card(out: &mut String, label: &str, value: &str, delta: Option<(Trend, String)>) -> Result {
    let delta = match delta {
        Some((t, text)) => {
            let class = match t {
                Trend::Up => "delta up",
                Trend::Down => "delta down",
                Trend::Flat | Trend::NoBase => "delta",
            };
            format!(r#"<div class="{class}">环比 {}</div>"#, esc(&text))
        }
        None => r#"<div class="delta muted">环比 —</div>"#.to_string(),
    };
    writeln!(
        out,
        r#"<div class="card"><div class="label">{}</div><div class="value">{}</div>{delta}</div>"#,
        esc(label),
        esc(value)
    )
}

/// Change of a per-mille rate in points: `▲ +4.5‰`, `▼ -1.2‰`, `持平`.
fn rate_change(rate: f64, previous: f64) -> (Trend, String) {
    let delta = rate - previous;
    let text = fixed(delta, 1);
    if text == "0.0" || text == MISSING {
        (Trend::Flat, "持平".to_string())
    } else if delta > 0.0 {
        (Trend::Up, format!("▲ +{text}‰"))
    } else {
        (Trend::Down, format!("▼ {text}‰"))
    }
}

fn html_summary(view: &View, heading: &str, out: &mut String) -> Result {
    let input = view.input;
    writeln!(out, r#"<section id="{}">"#, Overview.id())?;
    writeln!(out, "<h2>{heading}</h2>")?;
    writeln!(out, r#"<div class="cards">"#)?;
    let cur = view.volume;
    let prev = view.volume_previous;
    card(
        out,
        "接触量（次）",
        &cur.map_or(MISSING.to_string(), |v| thousands(v.contacts)),
        // More contacts is neither good nor bad in itself, so this change is not coloured.
        cur.zip(prev)
            .map(|(c, p)| (Trend::Flat, change_text(c.contacts, p.contacts).1)),
    )?;
    card(
        out,
        "投诉量（件）",
        &cur.map_or(MISSING.to_string(), |v| thousands(v.complaints)),
        cur.zip(prev)
            .map(|(c, p)| change_text(c.complaints, p.complaints)),
    )?;
    let rate = cur.and_then(|v| complaint_rate(v.complaints, v.contacts));
    let rate_previous = prev.and_then(|v| complaint_rate(v.complaints, v.contacts));
    card(
        out,
        "投诉率",
        &per_mille(rate),
        rate.zip(rate_previous).map(|(r, p)| rate_change(r, p)),
    )?;
    let risk = &input.risk;
    card(
        out,
        "升级投诉风险（件）",
        &thousands(risk.escalation),
        view.previous_label
            .as_ref()
            .map(|_| change_text(risk.escalation, risk.escalation_previous)),
    )?;
    writeln!(out, "</div>")?;
    writeln!(out, r#"<ol class="findings">"#)?;
    for f in crate::findings(input) {
        writeln!(out, "<li>{}</li>", esc(&f))?;
    }
    writeln!(out, "</ol>")?;
    writeln!(out, "</section>")
}
