//! 主要投诉主题: complaint categories with their owner, change and share, the other
//! categories (关注点), and each category's most characteristic keywords.

use std::fmt::{Result, Write};

use super::Section;
use crate::format::{
    category_label, owner_label, pct_change, share, signed_pct, thousands, thousands_signed,
};
use crate::model::CategoryRow;
use crate::phrases::{SMALL_BASE, change_cell};
use crate::table::{
    Align::{Num, Text},
    Cell, Table,
};
use crate::view::{CHANGE_ALPHA, CHANGE_MIN_COUNT, View};

/// How many rising complaint categories get a recommendation besides emerging issues.
const RISING_RECOMMENDATIONS: usize = 3;

const SHARE_NOTE: &str = "占比为该类别占本表合计的比例；▲ 上升，▼ 下降，“—”表示上期为 0 无法计算环比；上期不足 20 件时环比列为件数差。“变化检验”为两期率检验的结论（见附录方法说明）。";
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
        let mut out = vec![theme_sentence(view)];
        out.extend(no_change_sentence(view));
        out
    }

    fn methods(&self, _view: &View) -> Vec<String> {
        vec![format!(
            "主题环比：各投诉主题本期与上期的件数按两期接触量做两期率检验（给定两期合计时本期件数服从二项分布，双侧），以 α = {} 按检验的主题数做 Bonferroni 校正，且本期或上期不少于 {} 件，才称“显著上升/下降”并据此提出建议；上期少于 {} 件时只列件数（如 1 → 9 件），不计算百分比。",
            CHANGE_ALPHA, CHANGE_MIN_COUNT, SMALL_BASE
        )]
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
            out.push((
                cat.owner.clone(),
                format!(
                    "【上升主题】{}：本期 {} 件，{}，经两期率检验为显著上升。建议复盘典型工单，明确改进措施与完成时限。",
                    category_label(&cat.id, &cat.name),
                    thousands(cat.current),
                    counts_clause(cat)
                ),
            ));
        }
        out
    }
}

/// The complaint categories (意见点), largest first.
fn complaints(view: &View) -> Table {
    let mut t = categories("投诉主题", &view.complaints, view.complaint_total());
    if view.previous_label.is_some() {
        t.add_column("变化检验", Text, |i| {
            let c = view.complaints[i];
            match c.change_p_value {
                Some(p) if view.change_significant(c) => {
                    let dir = if view.rate_rose(c) {
                        "显著上升"
                    } else {
                        "显著下降"
                    };
                    Cell::new(format!(
                        "{dir}（{}）",
                        crate::format::p_value(p).unwrap_or_default()
                    ))
                }
                Some(_) => Cell::new("无显著变化"),
                None => Cell::new(crate::format::MISSING),
            }
        });
    }
    t
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
    if view.previous_label.is_some() {
        s.push_str(&format!("，{}", change_finding(view, top)));
    }
    if let Some(riser) = view.rising().into_iter().find(|c| c.id != top.id) {
        s.push_str(&format!(
            "；显著上升的主题中增量最大的为{}，{}",
            category_label(&riser.id, &riser.name),
            counts_clause(riser)
        ));
    }
    s.push('。');
    s
}

/// `上期 25 件 → 本期 33 件` or, on a base of at least [`SMALL_BASE`], `较上期增加 8 件（+32.0%）`.
fn counts_clause(c: &CategoryRow) -> String {
    let delta = i128::from(c.current) - i128::from(c.previous);
    match pct_change(c.current, c.previous) {
        Some(pct) if c.previous >= SMALL_BASE => {
            format!(
                "较上期增加 {} 件（{}）",
                thousands_signed(delta),
                signed_pct(pct)
            )
        }
        _ => format!(
            "上期 {} 件 → 本期 {} 件",
            thousands(c.previous),
            thousands(c.current)
        ),
    }
}

/// A category's change, stated as a rise or fall only when the two-period test says so.
fn change_finding(view: &View, c: &CategoryRow) -> String {
    if !view.change_significant(c) {
        return format!("与上期（{} 件）相比无统计显著变化", thousands(c.previous));
    }
    let direction = if view.rate_rose(c) {
        "显著上升"
    } else {
        "显著下降"
    };
    match pct_change(c.current, c.previous) {
        Some(pct) if c.previous >= SMALL_BASE => {
            format!("较上期{direction}（{}）", signed_pct(pct))
        }
        _ => format!(
            "较上期{direction}（{} → {} 件）",
            thousands(c.previous),
            thousands(c.current)
        ),
    }
}

/// The sentence of a report with a comparison period where nothing passed a test.
fn no_change_sentence(view: &View) -> Option<String> {
    (view.previous_label.is_some() && view.nothing_changed())
        .then(|| "与上期相比，各投诉主题均无统计显著变化，本期不提出新的专项改进建议。".to_string())
}
