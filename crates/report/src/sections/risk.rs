//! 升级与流失风险: escalation and churn-risk counts against the comparison period, and
//! the watch list of contacts to call back.

use std::fmt::{Result, Write};

use super::Section;
use super::advice::CENTER_OWNER;
use crate::format::{flag_label, thousands};
use crate::phrases::change_cell;
use crate::table::{
    Align::{Num, Text},
    Cell, Table,
};
use crate::view::View;

pub(crate) struct Risk;

impl Section for Risk {
    fn id(&self) -> &'static str {
        "risk"
    }

    fn title(&self) -> &'static str {
        "升级与流失风险"
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["risk"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        vec![counts(view), watch_list(view)]
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        writeln!(out, r#"<section id="{}">"#, Risk.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        counts(view).html(out)?;
        writeln!(out, "<h3>观察名单</h3>")?;
        if view.input.risk.watch_list.is_empty() {
            writeln!(out, "<p>本期观察名单为空。</p>")?;
        } else {
            watch_list(view).html(out)?;
        }
        writeln!(out, "</section>")
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        counts(view).markdown(out)?;
        writeln!(out, "### 观察名单")?;
        writeln!(out)?;
        if view.input.risk.watch_list.is_empty() {
            writeln!(out, "本期观察名单为空。")?;
            return writeln!(out);
        }
        watch_list(view).markdown(out)
    }

    fn findings(&self, view: &View) -> Vec<String> {
        vec![risk_sentence(view)]
    }

    /// Call-backs of the watch list, for the contact center's own team.
    fn recommendations(&self, view: &View) -> Vec<(String, String)> {
        let input = view.input;
        let mut out = Vec::new();
        let risk = &input.risk;
        if risk.escalation > 0 || risk.churn > 0 || !risk.watch_list.is_empty() {
            let mut item = format!(
                "【风险客户】本期升级投诉风险 {} 件、流失倾向 {} 件",
                thousands(risk.escalation),
                thousands(risk.churn)
            );
            if risk.watch_list.is_empty() {
                item.push_str("。建议对相关客户安排专席回访，升级风险优先处理。");
            } else {
                item.push_str(&format!(
                "。建议对观察名单中的 {} 条接触安排专席回访，升级风险优先，流失倾向客户转挽留团队跟进。",
                thousands(risk.watch_list.len() as u64)
            ));
            }
            out.push((CENTER_OWNER.to_string(), item));
        }
        out
    }
}

/// Escalation and churn-risk counts against the comparison period.
fn counts(view: &View) -> Table {
    let risk = &view.input.risk;
    let mut t = Table::new(
        "风险汇总",
        &[
            ("风险类型", Text),
            ("本期", Num),
            ("上期", Num),
            ("环比", Num),
        ],
    );
    for (label, cur, prev) in [
        ("升级投诉风险", risk.escalation, risk.escalation_previous),
        ("流失倾向", risk.churn, risk.churn_previous),
    ] {
        t.row(vec![
            label.into(),
            Cell::count(cur),
            Cell::count(prev),
            change_cell(cur, prev),
        ]);
    }
    t
}

/// The contacts on the watch list.
fn watch_list(view: &View) -> Table {
    let mut t = Table::new(
        "风险观察名单",
        &[
            ("接触编号", Text),
            ("风险", Text),
            ("类别", Text),
            ("地区", Text),
            ("摘录", Text),
        ],
    );
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

fn risk_sentence(view: &View) -> String {
    let risk = &view.input.risk;
    // Without a comparison period the previous counts are just zeros, not a baseline.
    let compare = view.previous_label.is_some();
    let part = |label: &str, cur: u64, prev: u64| {
        let mut p = format!("{label} {} 件", thousands(cur));
        // Only the previous count: a change of flagged contacts is stated nowhere
        // without a test, and these counts are small.
        if compare {
            p.push_str(&format!("（上期 {} 件）", thousands(prev)));
        }
        p
    };
    let watch = if risk.watch_list.is_empty() {
        "观察名单为空".to_string()
    } else {
        format!(
            "观察名单共 {} 条，详见“升级与流失风险”一节",
            thousands(risk.watch_list.len() as u64)
        )
    };
    format!(
        "本期识别{}，{}；{}。",
        part("升级投诉风险", risk.escalation, risk.escalation_previous),
        part("流失倾向", risk.churn, risk.churn_previous),
        watch
    )
}
