//! 主要投诉主题: complaint categories with their owner, change and share, the other
//! categories (关注点), and each category's most characteristic keywords.

use std::fmt::{Result, Write};

use super::Section;
use crate::format::{
    category_label, owner_label, pct_change, share, signed_pct, thousands, thousands_signed,
};
use crate::model::CategoryRow;
use crate::phrases::{change_cell, change_clause};
use crate::table::{
    Align::{Num, Text},
    Cell, Table,
};
use crate::view::View;

/// How many rising complaint categories get a recommendation besides emerging issues.
const RISING_RECOMMENDATIONS: usize = 3;

const SHARE_NOTE: &str =
    "占比为该类别占本表合计的比例；▲ 上升，▼ 下降，“—”表示上期为 0 无法计算环比。";
const KEYWORDS_NOTE: &str =
    "本期该类别客户原话中最具区分度的词语（相对基线期的 TF-IDF），括号内为提及的接触数。";

pub(crate) struct Topics;

impl Section for Topics {
    fn id(&self) -> &'static str {
        "themes"
    }

    fn title(&self) -> &'static str {
        "主要投诉主题"
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["categories", "top_keywords"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        let mut tables = vec![complaints(view)];
        if !view.others.is_empty() {
            tables.push(others(view));
        }
        if !view.input.top_keywords.is_empty() {
            tables.push(keywords(view));
        }
        tables
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        writeln!(out, r#"<section id="{}">"#, Topics.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        if view.complaints.is_empty() {
            writeln!(out, "<p>本期未归类出投诉主题。</p>")?;
        } else {
            writeln!(out, r#"<p class="muted">{SHARE_NOTE}</p>"#)?;
            complaints(view).html(out)?;
        }
        if !view.others.is_empty() {
            writeln!(out, "<h3>非投诉类关注点</h3>")?;
            others(view).html(out)?;
        }
        writeln!(out, "</section>")?;
        if !view.input.top_keywords.is_empty() {
            writeln!(out, r#"<section id="keywords">"#)?;
            writeln!(out, "<h3>各类别关键词（TF-IDF）</h3>")?;
            writeln!(out, r#"<p class="muted">{KEYWORDS_NOTE}</p>"#)?;
            keywords(view).html(out)?;
            writeln!(out, "</section>")?;
        }
        Ok(())
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        if view.complaints.is_empty() {
            writeln!(out, "本期未归类出投诉主题。")?;
            writeln!(out)?;
        } else {
            writeln!(out, "{SHARE_NOTE}")?;
            writeln!(out)?;
            complaints(view).markdown(out)?;
        }
        if !view.others.is_empty() {
            writeln!(out, "### 非投诉类关注点")?;
            writeln!(out)?;
            others(view).markdown(out)?;
        }
        if !view.input.top_keywords.is_empty() {
            writeln!(out, "### 各类别关键词（TF-IDF）")?;
            writeln!(out)?;
            keywords(view).markdown(out)?;
            writeln!(out, "{KEYWORDS_NOTE}")?;
            writeln!(out)?;
        }
        Ok(())
    }

    fn findings(&self, view: &View) -> Vec<String> {
        vec![theme_sentence(view)]
    }

    /// The fastest-rising complaint categories that no emerging issue already covers.
    fn recommendations(&self, view: &View) -> Vec<(String, String)> {
        let input = view.input;
        let mut out = Vec::new();
        let rising = view
            .rising()
            .into_iter()
            .filter(|c| !input.emerging.iter().any(|e| e.category_id == c.id))
            .take(RISING_RECOMMENDATIONS);
        for cat in rising {
            let delta = i128::from(cat.current) - i128::from(cat.previous);
            let pct = pct_change(cat.current, cat.previous)
                .map_or_else(|| "上期为 0".to_string(), signed_pct);
            out.push((
            cat.owner.clone(),
            format!(
                "【上升主题】{}：本期 {} 件，较上期增加 {} 件（{}）。建议复盘典型工单，明确改进措施与完成时限。",
                category_label(&cat.id, &cat.name),
                thousands(cat.current),
                thousands_signed(delta),
                pct
            ),
        ));
        }
        out
    }
}

/// The complaint categories (意见点), largest first.
fn complaints(view: &View) -> Table {
    categories("投诉主题", &view.complaints, view.complaint_total())
}

/// The other categories (关注点), largest first.
fn others(view: &View) -> Table {
    let total = view.others.iter().map(|c| c.current).sum();
    categories("非投诉类关注点", &view.others, total)
}

/// Categories with their owner, counts, change and share of `total`.
fn categories(sheet: &'static str, rows: &[&CategoryRow], total: u64) -> Table {
    let mut t = Table::new(
        sheet,
        &[
            ("类别", Text),
            ("归属部门", Text),
            ("本期", Num),
            ("上期", Num),
            ("环比", Num),
            ("占比", Num),
        ],
    );
    for c in rows {
        t.row(vec![
            category_label(&c.id, &c.name).into(),
            owner_label(&c.owner).into(),
            Cell::count(c.current),
            Cell::count(c.previous),
            change_cell(c.current, c.previous),
            Cell::share(c.current, total),
        ]);
    }
    t
}

/// Each category's top keywords with the contacts mentioning them.
fn keywords(view: &View) -> Table {
    let mut t = Table::new("类别关键词", &[("类别", Text), ("关键词", Text)]);
    for c in &view.input.top_keywords {
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

fn theme_sentence(view: &View) -> String {
    let Some(top) = view.complaints.first() else {
        return "本期未归类出投诉主题。".to_string();
    };
    let mut s = format!(
        "投诉量最多的主题为{}，本期 {} 件，占投诉主题合计的 {}",
        category_label(&top.id, &top.name),
        thousands(top.current),
        share(top.current, view.complaint_total())
    );
    match change_clause(top.current, top.previous) {
        Some(clause) => s.push_str(&format!("，{clause}")),
        None => s.push_str("，上期无此类投诉"),
    }
    if let Some(riser) = view.rising().into_iter().find(|c| c.id != top.id) {
        let delta = i128::from(riser.current) - i128::from(riser.previous);
        let pct = pct_change(riser.current, riser.previous)
            .map_or_else(|| "上期为 0".to_string(), signed_pct);
        s.push_str(&format!(
            "；增量最大的主题为{}，较上期增加 {} 件（{}）",
            category_label(&riser.id, &riser.name),
            thousands_signed(delta),
            pct
        ));
    }
    s.push('。');
    s
}
