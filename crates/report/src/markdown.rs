//! The Markdown report: the same sections as the HTML one, with GitHub pipe tables in
//! place of the charts. Every piece of input text goes through [`escape_md`](crate::format::escape_md).

use std::fmt::{Result, Write};

use crate::analysis::{self, View, findings, recommendations};
use crate::format::{
    MISSING, category_label, channel_label, escape_md as esc, owner_label, p_value,
    short_fingerprint, thousands,
};
use crate::html::methods;
use crate::model::ReportInput;
use crate::{sections, tables};

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
    writeln!(out, "- 报告期：{}", esc(&view.period_text()))?;
    writeln!(out, "- 对比期：{}", esc(&view.comparison_text()))?;
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
    tables::volume(view).markdown(out)?;
    writeln!(out, "投诉率为每千次接触的投诉件数。")?;
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
        tables::categories(&view.complaints, view.complaint_total()).markdown(out)?;
    }
    if !view.others.is_empty() {
        writeln!(out, "### 非投诉类关注点")?;
        writeln!(out)?;
        let total = view.others.iter().map(|c| c.current).sum();
        tables::categories(&view.others, total).markdown(out)?;
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
    tables::sentiment(view).markdown(out)?;
    writeln!(out, "情感均值越低表示客户越不满。")?;
    writeln!(out)
}

fn risk(view: &View, out: &mut String) -> Result {
    writeln!(out, "## 六、升级与流失风险")?;
    writeln!(out)?;
    tables::risk(view).markdown(out)?;
    writeln!(out, "### 观察名单")?;
    writeln!(out)?;
    if view.input.risk.watch_list.is_empty() {
        writeln!(out, "本期观察名单为空。")?;
        return writeln!(out);
    }
    tables::watch_list(view).markdown(out)
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
    tables::quality(q).markdown(out)?;
    if let Some(note) = tables::quality_note(q) {
        writeln!(out, "{}", esc(&note))?;
        writeln!(out)?;
    }
    writeln!(out, "### 方法说明")?;
    writeln!(out)?;
    for m in methods(view) {
        writeln!(out, "- {}", esc(&m))?;
    }
    Ok(())
}
