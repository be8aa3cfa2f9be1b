//! The self-contained HTML report: one file with its CSS inline and its charts as inline
//! SVG, so it opens offline, can be mailed as an attachment and prints cleanly to A4.
//! Every piece of input text goes through [`escape_html`](crate::format::escape_html).

use std::fmt::{Result, Write};

use voc_core::PeriodKind;

use crate::analysis::{self, View, change_cell, findings, recommendations};
use crate::format::{
    MISSING, Trend, category_label, channel_label, complaint_rate, escape_html as esc, fixed,
    owner_label, p_value, per_mille, short_fingerprint, thousands,
};
use crate::model::ReportInput;
use crate::{sections, svg, tables};

const STYLE: &str = r#"
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #1f5fa8;
  --soft: #f5f7fa; --up: #c0392b; --down: #1e8449; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #fff; color: var(--ink); font-size: 15px; line-height: 1.7;
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 32px 24px 48px; }
.cover { border-bottom: 3px solid var(--accent); padding-bottom: 16px; margin-bottom: 8px; }
.cover .kicker { color: var(--accent); font-weight: 600; margin: 0; letter-spacing: .1em; }
.cover h1 { font-size: 30px; margin: 4px 0 12px; }
.cover dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
.cover dt { color: var(--muted); }
.cover dd { margin: 0; }
code { font-family: "Noto Sans Mono CJK SC", Consolas, monospace; font-size: .9em; }
h2 { font-size: 20px; margin: 32px 0 12px; padding-left: 10px; border-left: 4px solid var(--accent); }
h3 { font-size: 16px; margin: 20px 0 8px; }
.findings li { margin-bottom: 6px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 12px 0 16px; }
.card { background: var(--soft); border-radius: 6px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .delta { font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.up { color: var(--up); }
.down { color: var(--down); }
.ok { color: var(--down); }
.warn { color: #b7791f; }
.bad { color: var(--up); }
.muted { color: var(--muted); }
figure { margin: 12px 0; }
figure svg { display: block; width: 100%; height: auto; }
svg text { font-family: inherit; }
figcaption { color: var(--muted); font-size: 13px; text-align: center; }
.issue { border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px 12px; margin: 12px 0; }
.issue .meta { color: var(--muted); font-size: 14px; }
blockquote { margin: 8px 0; padding: 6px 12px; background: var(--soft); border-left: 3px solid var(--accent); }
blockquote p { margin: 0; }
blockquote footer { color: var(--muted); font-size: 12px; }
.dept { margin: 8px 0; }
.dept h3 { margin-bottom: 4px; }
.appendix { font-size: 14px; }
@page { size: A4; margin: 16mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  table, figure, blockquote, .issue, .cards, .dept { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"#;

/// Renders the whole report as one HTML document.
pub fn render_html(input: &ReportInput) -> String {
    let mut out = String::with_capacity(64 * 1024);
    write_document(&View::new(input), &mut out).expect("writing to a String cannot fail");
    out
}

fn write_document(view: &View, out: &mut String) -> Result {
    let input = view.input;
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, r#"<html lang="zh-CN">"#)?;
    writeln!(out, "<head>")?;
    writeln!(out, r#"<meta charset="utf-8">"#)?;
    writeln!(
        out,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#
    )?;
    writeln!(
        out,
        "<title>{} · {} · {}</title>",
        esc(view.title()),
        esc(&input.client),
        esc(&input.period)
    )?;
    writeln!(out, "<style>{STYLE}</style>")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<main>")?;
    cover(view, out)?;
    summary(view, out)?;
    volume(view, out)?;
    sections::html_breakdown(view, out)?;
    themes(view, out)?;
    sections::html_keywords(view, out)?;
    emerging(view, out)?;
    sections::html_new_terms(view, out)?;
    sentiment(view, out)?;
    risk(view, out)?;
    sections::html_kpi(view, out)?;
    sections::html_forecast(view, out)?;
    advice(view, out)?;
    appendix(view, out)?;
    writeln!(out, "</main>")?;
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")
}

fn cover(view: &View, out: &mut String) -> Result {
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
    writeln!(
        out,
        "<dt>配置指纹</dt><dd><code>{}</code></dd>",
        esc(&short_fingerprint(&input.config_fingerprint))
    )?;
    writeln!(
        out,
        "<dt>数据指纹</dt><dd><code>{}</code></dd>",
        esc(&short_fingerprint(&input.data_fingerprint))
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

fn summary(view: &View, out: &mut String) -> Result {
    let input = view.input;
    writeln!(out, r#"<section id="summary">"#)?;
    writeln!(out, "<h2>一、执行摘要</h2>")?;
    writeln!(out, r#"<div class="cards">"#)?;
    let cur = view.volume;
    let prev = view.volume_previous;
    card(
        out,
        "接触量（次）",
        &cur.map_or(MISSING.to_string(), |v| thousands(v.contacts)),
        // More contacts is neither good nor bad in itself, so this change is not coloured.
        cur.zip(prev)
            .map(|(c, p)| (Trend::Flat, change_cell(c.contacts, p.contacts).1)),
    )?;
    card(
        out,
        "投诉量（件）",
        &cur.map_or(MISSING.to_string(), |v| thousands(v.complaints)),
        cur.zip(prev)
            .map(|(c, p)| change_cell(c.complaints, p.complaints)),
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
            .map(|_| change_cell(risk.escalation, risk.escalation_previous)),
    )?;
    writeln!(out, "</div>")?;
    writeln!(out, r#"<ol class="findings">"#)?;
    for f in findings(input) {
        writeln!(out, "<li>{}</li>", esc(&f))?;
    }
    writeln!(out, "</ol>")?;
    writeln!(out, "</section>")
}

fn volume(view: &View, out: &mut String) -> Result {
    let rows = &view.input.volume;
    writeln!(out, r#"<section id="volume">"#)?;
    writeln!(out, "<h2>二、话务量与投诉率趋势</h2>")?;
    if rows.is_empty() {
        writeln!(out, "<p>暂无历史话务量数据。</p>")?;
        return writeln!(out, "</section>");
    }
    writeln!(out, "<figure>")?;
    svg::volume_chart(rows, Some(view.input.period.as_str()), out)?;
    writeln!(
        out,
        "<figcaption>图 1　近 {} 期接触量（柱，深色为本期）与投诉率（折线，每千次接触投诉件数）</figcaption>",
        rows.len()
    )?;
    writeln!(out, "</figure>")?;
    tables::volume(view).html(out)?;
    writeln!(out, "</section>")
}

fn themes(view: &View, out: &mut String) -> Result {
    writeln!(out, r#"<section id="themes">"#)?;
    writeln!(out, "<h2>三、主要投诉主题</h2>")?;
    if view.complaints.is_empty() {
        writeln!(out, "<p>本期未归类出投诉主题。</p>")?;
    } else {
        writeln!(
            out,
            r#"<p class="muted">占比为该类别占本表合计的比例；▲ 上升，▼ 下降，“—”表示上期为 0 无法计算环比。</p>"#
        )?;
        tables::categories(&view.complaints, view.complaint_total()).html(out)?;
    }
    if !view.others.is_empty() {
        writeln!(out, "<h3>非投诉类关注点</h3>")?;
        let total = view.others.iter().map(|c| c.current).sum();
        tables::categories(&view.others, total).html(out)?;
    }
    writeln!(out, "</section>")
}

fn emerging(view: &View, out: &mut String) -> Result {
    let issues = &view.input.emerging;
    let baseline = view.baseline_phrase();
    writeln!(out, r#"<section id="emerging">"#)?;
    writeln!(out, "<h2>四、新兴问题</h2>")?;
    if issues.is_empty() {
        writeln!(
            out,
            "<p>本期未发现相对{}基线显著上升的新兴问题。</p>",
            esc(&baseline)
        )?;
        return writeln!(out, "</section>");
    }
    for (i, issue) in issues.iter().enumerate() {
        writeln!(out, r#"<div class="issue">"#)?;
        writeln!(
            out,
            "<h3>{}. {}</h3>",
            i + 1,
            esc(&category_label(&issue.category_id, &issue.name))
        )?;
        let mut meta = vec![
            format!("归属部门：{}", owner_label(&issue.owner)),
            analysis::issue_numbers(issue, &baseline),
        ];
        if let Some(p) = p_value(issue.p_value) {
            meta.push(p);
        }
        writeln!(out, r#"<p class="meta">{}</p>"#, esc(&meta.join(" · ")))?;
        if !issue.top_regions.is_empty() {
            let regions: Vec<String> = issue
                .top_regions
                .iter()
                .map(|(r, n)| format!("{r} {} 件", thousands(*n)))
                .collect();
            writeln!(out, "<p>主要地区：{}</p>", esc(&regions.join("、")))?;
        }
        if issue.verbatims.is_empty() {
            writeln!(out, r#"<p class="muted">暂无代表性原话。</p>"#)?;
        }
        for v in &issue.verbatims {
            writeln!(
                out,
                "<blockquote><p>“{}”</p><footer>{} · {} · {}</footer></blockquote>",
                esc(&v.text),
                esc(channel_label(&v.channel)),
                esc(if v.region.is_empty() {
                    MISSING
                } else {
                    &v.region
                }),
                esc(&v.contact_id)
            )?;
        }
        writeln!(out, "</div>")?;
    }
    writeln!(out, "</section>")
}

fn sentiment(view: &View, out: &mut String) -> Result {
    let rows = &view.input.sentiment;
    writeln!(out, r#"<section id="sentiment">"#)?;
    writeln!(out, "<h2>五、情感趋势</h2>")?;
    if rows.is_empty() {
        writeln!(out, "<p>暂无情感分析数据。</p>")?;
        return writeln!(out, "</section>");
    }
    writeln!(out, "<figure>")?;
    svg::sentiment_chart(rows, Some(view.input.period.as_str()), out)?;
    writeln!(
        out,
        "<figcaption>图 2　各期客户情感均值（数值越低越负面，大圆点为本期）</figcaption>"
    )?;
    writeln!(out, "</figure>")?;
    tables::sentiment(view).html(out)?;
    writeln!(out, "</section>")
}

fn risk(view: &View, out: &mut String) -> Result {
    writeln!(out, r#"<section id="risk">"#)?;
    writeln!(out, "<h2>六、升级与流失风险</h2>")?;
    tables::risk(view).html(out)?;
    writeln!(out, "<h3>观察名单</h3>")?;
    if view.input.risk.watch_list.is_empty() {
        writeln!(out, "<p>本期观察名单为空。</p>")?;
    } else {
        tables::watch_list(view).html(out)?;
    }
    writeln!(out, "</section>")
}

fn advice(view: &View, out: &mut String) -> Result {
    writeln!(out, r#"<section id="advice">"#)?;
    writeln!(out, "<h2>{}</h2>", sections::advice_heading(view.input))?;
    let groups = recommendations(view.input);
    if groups.is_empty() {
        writeln!(out, "<p>本期无需要特别跟进的事项。</p>")?;
    }
    for g in &groups {
        writeln!(out, r#"<div class="dept">"#)?;
        writeln!(out, "<h3>{}</h3>", esc(&g.owner))?;
        writeln!(out, "<ul>")?;
        for item in &g.items {
            writeln!(out, "<li>{}</li>", esc(item))?;
        }
        writeln!(out, "</ul>")?;
        writeln!(out, "</div>")?;
    }
    writeln!(out, "</section>")
}

fn appendix(view: &View, out: &mut String) -> Result {
    let q = &view.input.quality;
    writeln!(out, r#"<section id="appendix" class="appendix">"#)?;
    writeln!(out, "<h2>附录：方法说明与数据质量</h2>")?;
    writeln!(out, "<h3>数据质量</h3>")?;
    tables::quality(q).html(out)?;
    if let Some(note) = tables::quality_note(q) {
        writeln!(out, r#"<p class="muted">{}</p>"#, esc(&note))?;
    }
    writeln!(out, "<h3>方法说明</h3>")?;
    writeln!(out, "<ul>")?;
    for m in methods(view) {
        writeln!(out, "<li>{}</li>", esc(&m))?;
    }
    writeln!(out, "</ul>")?;
    writeln!(out, "</section>")
}

/// Method notes of the appendix, shared with the Markdown renderer.
pub(crate) fn methods(view: &View) -> Vec<String> {
    let input = view.input;
    let unit = crate::format::period_unit(&input.period);
    let baseline = view.baseline_periods();
    let data = if input.data_fingerprint.is_empty() {
        MISSING.to_string()
    } else {
        match &input.quality.batch_period {
            Some(batch) => format!(
                "{}（写入本输出目录的最近一次批处理 {batch} 的输入文件）",
                input.data_fingerprint
            ),
            None => input.data_fingerprint.clone(),
        }
    };
    let mut out = vec![
        "数据处理：各渠道接触记录逐条校验，未通过校验的记录连同原因与来源位置写入隔离文件，不会被静默丢弃；同一接触编号重复投递时以最新一条为准。".to_string(),
        "投诉率 = 投诉件数 ÷ 接触量 × 1000（‰，即每千次接触的投诉件数）；上期为 0 时环比记为“—”。".to_string(),
        "投诉分类依据分析师维护的层级规则（关键词、邻近、说话方与位置条件），每个类别指定归属部门；主要投诉主题表的占比为该类别占表内合计的比例。".to_string(),
        format!(
            "新兴问题检测：对每个类别及“地区×类别”单元，以本期之前{baseline}{unit}（不含本期）的每千次接触发生率乘以本期接触量为期望件数 λ，按泊松分布计算本期件数不低于实际值的单侧概率 p；件数达到最低门槛、p 值低于经 Bonferroni 校正的显著性水平且不低于期望 1.5 倍的列为新兴问题，按超出期望的件数排序。"
        ),
    ];
    out.extend(period_notes(view));
    out.extend([
        "情感分析按轮次打分后汇总到接触，情感均值越低表示客户越不满；负面占比为负面接触占全部接触的比例。".to_string(),
        "升级投诉风险指提及 12315、工信部、消协、媒体曝光、律师、起诉等；流失倾向指提及销户、退网、携号转网等。".to_string(),
        "隐私保护：文中所有原话与摘录在写入前已完成脱敏（手机号、固话、身份证号、银行卡号、电子邮箱等），保留原有格式，如 138****5678。".to_string(),
        format!(
            "可复现：相同的历史数据与配置生成完全相同的报告。配置指纹 {}；数据指纹 {data}。",
            if input.config_fingerprint.is_empty() { MISSING } else { &input.config_fingerprint },
        ),
    ]);
    out.extend(sections::methods(input));
    out
}

/// How a month or a date range is treated, and what a period in progress is compared
/// with.
fn period_notes(view: &View) -> Vec<String> {
    let input = view.input;
    let mut out = Vec::new();
    let kind = voc_core::Period::parse(&input.period).map(|p| p.kind);
    if let Ok(kind @ (PeriodKind::Month | PeriodKind::Range)) = kind {
        let periods = if kind == PeriodKind::Month {
            "自然月"
        } else {
            "与本期天数相同的连续区间"
        };
        out.push(format!(
            "报告期为{}：趋势图表、新兴问题与新词发现均按{periods}逐期统计，基线为本期之前历史数据从首日起完整覆盖的各期（本报告为 {} 期），检验方法与周报相同；只覆盖部分天数的早期区间不列入趋势与基线，以免被误读为下降。",
            if kind == PeriodKind::Month { "月份" } else { "日期区间" },
            view.baseline_periods()
        ));
    }
    if let Some(through) = &input.data_through {
        out.push(format!(
            "本期数据截至 {through}，尚不完整：环比对比上一期的相同天数（见封面“对比期”）；新兴问题的期望件数按本期已有接触量折算，“为均值的 N 倍”中的本期件数只含已有天数，偏保守。"
        ));
    }
    out
}
