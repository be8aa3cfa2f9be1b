//! The Markdown report: the same sections as the HTML one, with GitHub pipe tables in
//! place of the charts. Every piece of input text goes through [`escape_md`](crate::format::escape_md).

use std::fmt::{Result, Write};

use crate::analysis::{self, View, change_cell, findings, recommendations};
use crate::format::{
    MISSING, category_label, channel_label, complaint_rate, escape_md as esc, fixed, flag_label,
    fraction_pct, owner_label, p_value, per_mille, period_range, share, short_fingerprint,
    thousands,
};
use crate::html::{methods, quality_rows};
use crate::model::{CategoryRow, ReportInput};
use crate::sections;

/// Renders the whole report as Markdown.
pub fn render_markdown(input: &ReportInput) -> String {
    let mut out = String::with_capacity(16 * 1024);
    write_document(&View::new(input), &mut out).expect("writing to a String cannot fail");
    out
}

fn write_document(view: &View, out: &mut String) -> Result {
    cover(view, out)?;
    summary(view, out)?;
    volume(view, out)?;
    sections::md_breakdown(view, out)?;
    themes(view, out)?;
    sections::md_keywords(view, out)?;
    emerging(view, out)?;
    sections::md_new_terms(view, out)?;
    sentiment(view, out)?;
    risk(view, out)?;
    sections::md_kpi(view, out)?;
    sections::md_forecast(view, out)?;
    advice(view, out)?;
    appendix(view, out)
}

/// A fingerprint as inline code when it is plain hex, escaped text otherwise.
fn fingerprint(fp: &str) -> String {
    let short = short_fingerprint(fp);
    if !fp.is_empty() && short.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("`{short}`")
    } else {
        esc(&short)
    }
}

fn cover(view: &View, out: &mut String) -> Result {
    let input = view.input;
    writeln!(out, "# {}", esc(view.title()))?;
    writeln!(out)?;
    writeln!(out, "- 客户：{}", esc(&input.client))?;
    let range = period_range(&input.period)
        .map(|r| format!("（{r}）"))
        .unwrap_or_default();
    writeln!(out, "- 报告期：{}{range}", esc(&input.period))?;
    writeln!(
        out,
        "- 对比期：{}",
        esc(view.previous_label.as_deref().unwrap_or("无"))
    )?;
    writeln!(
        out,
        "- 配置指纹：{}",
        fingerprint(&input.config_fingerprint)
    )?;
    writeln!(out, "- 数据指纹：{}", fingerprint(&input.data_fingerprint))?;
    writeln!(out)
}

fn summary(view: &View, out: &mut String) -> Result {
    writeln!(out, "## 一、执行摘要")?;
    writeln!(out)?;
    for (i, f) in findings(view.input).iter().enumerate() {
        writeln!(out, "{}. {}", i + 1, esc(f))?;
    }
    writeln!(out)
}

fn volume(view: &View, out: &mut String) -> Result {
    let rows = &view.input.volume;
    writeln!(out, "## 二、话务量与投诉率趋势")?;
    writeln!(out)?;
    if rows.is_empty() {
        writeln!(out, "暂无历史话务量数据。")?;
        return writeln!(out);
    }
    writeln!(out, "| 周期 | 接触量 | 投诉量 | 投诉率 |")?;
    writeln!(out, "|---|---:|---:|---:|")?;
    for r in rows {
        let period = if r.period == view.input.period {
            format!("**{}**（本期）", esc(&r.period))
        } else {
            esc(&r.period)
        };
        writeln!(
            out,
            "| {period} | {} | {} | {} |",
            thousands(r.contacts),
            thousands(r.complaints),
            per_mille(complaint_rate(r.complaints, r.contacts))
        )?;
    }
    writeln!(out)?;
    writeln!(out, "投诉率为每千次接触的投诉件数。")?;
    writeln!(out)
}

fn category_table(out: &mut String, rows: &[&CategoryRow], total: u64) -> Result {
    writeln!(out, "| 类别 | 归属部门 | 本期 | 上期 | 环比 | 占比 |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|")?;
    for c in rows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            esc(&category_label(&c.id, &c.name)),
            esc(owner_label(&c.owner)),
            thousands(c.current),
            thousands(c.previous),
            change_cell(c.current, c.previous).1,
            share(c.current, total)
        )?;
    }
    writeln!(out)
}

fn themes(view: &View, out: &mut String) -> Result {
    writeln!(out, "## 三、主要投诉主题")?;
    writeln!(out)?;
    if view.complaints.is_empty() {
        writeln!(out, "本期未归类出投诉主题。")?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "占比为该类别占本表合计的比例；▲ 上升，▼ 下降，“—”表示上期为 0 无法计算环比。"
        )?;
        writeln!(out)?;
        category_table(out, &view.complaints, view.complaint_total())?;
    }
    if !view.others.is_empty() {
        writeln!(out, "### 非投诉类关注点")?;
        writeln!(out)?;
        let total = view.others.iter().map(|c| c.current).sum();
        category_table(out, &view.others, total)?;
    }
    Ok(())
}

fn emerging(view: &View, out: &mut String) -> Result {
    let issues = &view.input.emerging;
    let baseline = view.baseline_phrase();
    writeln!(out, "## 四、新兴问题")?;
    writeln!(out)?;
    if issues.is_empty() {
        writeln!(
            out,
            "本期未发现相对{}基线显著上升的新兴问题。",
            esc(&baseline)
        )?;
        return writeln!(out);
    }
    for (i, issue) in issues.iter().enumerate() {
        writeln!(
            out,
            "### {}. {}",
            i + 1,
            esc(&category_label(&issue.category_id, &issue.name))
        )?;
        writeln!(out)?;
        writeln!(out, "- 归属部门：{}", esc(owner_label(&issue.owner)))?;
        writeln!(out, "- {}", esc(&analysis::issue_numbers(issue, &baseline)))?;
        if let Some(p) = p_value(issue.p_value) {
            writeln!(out, "- 显著性：{p}")?;
        }
        if !issue.top_regions.is_empty() {
            let regions: Vec<String> = issue
                .top_regions
                .iter()
                .map(|(r, n)| format!("{} {} 件", esc(r), thousands(*n)))
                .collect();
            writeln!(out, "- 主要地区：{}", regions.join("、"))?;
        }
        writeln!(out)?;
        if issue.verbatims.is_empty() {
            writeln!(out, "暂无代表性原话。")?;
            writeln!(out)?;
        }
        for v in &issue.verbatims {
            writeln!(out, "> “{}”", esc(&v.text))?;
            writeln!(out, ">")?;
            writeln!(
                out,
                "> —— {} · {} · {}",
                esc(channel_label(&v.channel)),
                esc(if v.region.is_empty() {
                    MISSING
                } else {
                    &v.region
                }),
                esc(&v.contact_id)
            )?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn sentiment(view: &View, out: &mut String) -> Result {
    let rows = &view.input.sentiment;
    writeln!(out, "## 五、情感趋势")?;
    writeln!(out)?;
    if rows.is_empty() {
        writeln!(out, "暂无情感分析数据。")?;
        return writeln!(out);
    }
    writeln!(out, "| 周期 | 情感均值 | 负面占比 |")?;
    writeln!(out, "|---|---:|---:|")?;
    for r in rows {
        let period = if r.period == view.input.period {
            format!("**{}**（本期）", esc(&r.period))
        } else {
            esc(&r.period)
        };
        writeln!(
            out,
            "| {period} | {} | {} |",
            fixed(r.mean_score, 2),
            fraction_pct(r.negative_share)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "情感均值越低表示客户越不满。")?;
    writeln!(out)
}

fn risk(view: &View, out: &mut String) -> Result {
    let risk = &view.input.risk;
    writeln!(out, "## 六、升级与流失风险")?;
    writeln!(out)?;
    writeln!(out, "| 风险类型 | 本期 | 上期 | 环比 |")?;
    writeln!(out, "|---|---:|---:|---:|")?;
    for (label, cur, prev) in [
        ("升级投诉风险", risk.escalation, risk.escalation_previous),
        ("流失倾向", risk.churn, risk.churn_previous),
    ] {
        writeln!(
            out,
            "| {label} | {} | {} | {} |",
            thousands(cur),
            thousands(prev),
            change_cell(cur, prev).1
        )?;
    }
    writeln!(out)?;
    writeln!(out, "### 观察名单")?;
    writeln!(out)?;
    if risk.watch_list.is_empty() {
        writeln!(out, "本期观察名单为空。")?;
        return writeln!(out);
    }
    writeln!(out, "| 接触编号 | 风险 | 类别 | 地区 | 摘录 |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for w in &risk.watch_list {
        let flags: Vec<&str> = w.flags.iter().map(|f| flag_label(f)).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            esc(&w.contact_id),
            esc(&flags.join("、")),
            esc(&w.category),
            esc(&w.region),
            esc(&w.excerpt)
        )?;
    }
    writeln!(out)
}

fn advice(view: &View, out: &mut String) -> Result {
    writeln!(out, "## {}", sections::advice_heading(view.input))?;
    writeln!(out)?;
    let groups = recommendations(view.input);
    if groups.is_empty() {
        writeln!(out, "本期无需要特别跟进的事项。")?;
        return writeln!(out);
    }
    for g in &groups {
        writeln!(out, "### {}", esc(&g.owner))?;
        writeln!(out)?;
        for item in &g.items {
            writeln!(out, "- {}", esc(item))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn appendix(view: &View, out: &mut String) -> Result {
    let q = &view.input.quality;
    writeln!(out, "## 附录：方法说明与数据质量")?;
    writeln!(out)?;
    writeln!(out, "### 数据质量")?;
    writeln!(out)?;
    writeln!(out, "| 项目 | 记录数 | 占读取 |")?;
    writeln!(out, "|---|---:|---:|")?;
    for (label, n) in quality_rows(q) {
        writeln!(out, "| {label} | {} | {} |", thousands(n), share(n, q.read))?;
    }
    writeln!(out)?;
    writeln!(out, "### 方法说明")?;
    writeln!(out)?;
    for m in methods(view) {
        writeln!(out, "- {}", esc(&m))?;
    }
    Ok(())
}
