//! 客户情绪走向: of the contacts whose customer mood could be followed (two customer
//! turns or more), the share that ended worse than they began, in all and by category
//! agent team (`[drivers] agent_teams`, when configured) and queue. A base under [`MIN_BASE`] shows its counts only, marked
//! 数据不足: a share of a handful of contacts says nothing.

use std::fmt::{Result, Write};

use super::Section;
use crate::format::{category_label, escape_html, escape_md, share, thousands};
use crate::model::EndingWorseRow;
use crate::table::{
    Align::{Num, Text},
    Cell, Table,
};
use crate::view::View;

pub(crate) struct EndingWorse;

/// Contacts with a trajectory below which no share is computed (as the KPI scorecard's
/// monthly minimum).
const MIN_BASE: u64 = 30;
const INSUFFICIENT: &str = "数据不足";

impl Section for EndingWorse {
    fn id(&self) -> &'static str {
        "ending-worse"
    }

    fn title(&self) -> &'static str {
        "客户情绪走向"
    }

    fn present(&self, view: &View) -> bool {
        !view.input.ending_worse.is_empty()
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["ending_worse"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        parts(view).into_iter().map(|(_, t)| t).collect()
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        writeln!(out, r#"<section id="{}">"#, EndingWorse.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        writeln!(out, "<p>{}</p>", escape_html(&overall_sentence(view)))?;
        for (caption, t) in parts(view) {
            writeln!(out, "<h3>{caption}</h3>")?;
            t.html(out)?;
        }
        writeln!(out, "<p>{}</p>", NOTE)?;
        writeln!(out, "</section>")
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        writeln!(out, "{}", escape_md(&overall_sentence(view)))?;
        writeln!(out)?;
        for (caption, t) in parts(view) {
            writeln!(out, "### {caption}")?;
            writeln!(out)?;
            t.markdown(out)?;
        }
        writeln!(out, "{NOTE}")?;
        writeln!(out)
    }

    fn findings(&self, view: &View) -> Vec<String> {
        vec![overall_sentence(view)]
    }

    fn methods(&self, _view: &View) -> Vec<String> {
        vec![format!(
            "客户情绪走向：比较客户首轮与末轮发言的情感分，末轮低 0.3 及以上为“恶化”、高 0.3 及以上为“好转”，其余为“平稳”；仅统计客户发言两轮及以上的接触（可追踪接触）。可追踪接触少于 {MIN_BASE} 件的类别、坐席班组或坐席组只列件数、标“{INSUFFICIENT}”，不计算占比。"
        )]
    }
}

/// The tables with their captions: by category, by agent team (only when teams are
/// configured: the same teams as the key drivers), by queue.
fn parts(view: &View) -> Vec<(&'static str, Table)> {
    let has_teams = view
        .input
        .ending_worse
        .iter()
        .any(|r| r.dimension == "team");
    let mut parts = vec![(
        "按类别",
        table(view, "category", "情绪走向（类别）", "类别"),
    )];
    if has_teams {
        parts.push((
            "按坐席班组",
            table(view, "team", "情绪走向（坐席班组）", "坐席班组"),
        ));
    }
    parts.push((
        "按坐席组",
        table(view, "queue", "情绪走向（坐席组）", "坐席组（队列）"),
    ));
    parts
}

const NOTE: &str =
    "恶化：客户末轮发言的情感明显低于首轮（结束时比开始时更差）。一件接触可属于多个类别。";

/// The row of all followed contacts, if the input has one.
fn overall<'a>(view: &View<'a>) -> Option<&'a EndingWorseRow> {
    view.input
        .ending_worse
        .iter()
        .find(|r| r.dimension == "all")
}

/// One sentence on the whole period, and the category with the highest share among
/// those with a base of [`MIN_BASE`] or more; no share on a smaller base.
fn overall_sentence(view: &View) -> String {
    let Some(all) = overall(view) else {
        return "本期没有可追踪情绪走向的接触（客户发言两轮及以上）。".to_string();
    };
    if all.followed < MIN_BASE {
        return format!(
            "本期可追踪情绪走向的接触仅 {} 件（其中结束时更差 {} 件），{INSUFFICIENT}，不计算占比。",
            thousands(all.followed),
            thousands(all.worsening)
        );
    }
    let mut s = format!(
        "本期可追踪情绪走向的接触 {} 件，其中 {}（{} 件）结束时比开始时更差，{}（{} 件）好转",
        thousands(all.followed),
        share(all.worsening, all.followed),
        thousands(all.worsening),
        share(all.improving, all.followed),
        thousands(all.improving)
    );
    let worst = view
        .input
        .ending_worse
        .iter()
        .filter(|r| r.dimension == "category" && r.followed >= MIN_BASE)
        // Highest share; ties by the larger base, then the id, so the choice is stable.
        .max_by(|a, b| {
            (a.worsening * b.followed)
                .cmp(&(b.worsening * a.followed))
                .then(a.followed.cmp(&b.followed))
                .then(b.value.cmp(&a.value))
        });
    if let Some(w) = worst.filter(|w| w.worsening > 0) {
        s.push_str(&format!(
            "；恶化占比最高的类别为 {}（{}，基数 {} 件）",
            category_label(&w.value, &w.name),
            share(w.worsening, w.followed),
            thousands(w.followed)
        ));
    }
    s.push('。');
    s
}

/// The rows of one dimension: base, worsened, its share (数据不足 on a small base),
/// improved.
fn table(view: &View, dimension: &str, sheet: &'static str, label: &str) -> Table {
    let mut t = Table::new(
        sheet,
        &[
            (label, Text),
            ("可追踪接触", Num),
            ("结束时更差", Num),
            ("恶化占比", Num),
            ("好转", Num),
        ],
    );
    for r in view
        .input
        .ending_worse
        .iter()
        .filter(|r| r.dimension == dimension)
    {
        let name = if dimension == "category" {
            category_label(&r.value, &r.name)
        } else {
            r.value.clone()
        };
        let worse_share = if r.followed < MIN_BASE {
            Cell::new(INSUFFICIENT)
        } else {
            Cell::share(r.worsening, r.followed)
        };
        t.row(vec![
            Cell::new(name),
            Cell::count(r.followed),
            Cell::count(r.worsening),
            worse_share,
            Cell::count(r.improving),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReportInput;

    fn row(dimension: &str, value: &str, followed: u64, worsening: u64) -> EndingWorseRow {
        EndingWorseRow {
            dimension: dimension.into(),
            value: value.into(),
            name: value.rsplit('/').next().unwrap_or_default().into(),
            followed,
            worsening,
            improving: 1,
        }
    }

    fn input(rows: Vec<EndingWorseRow>) -> ReportInput {
        ReportInput {
            period: "2026-W46".into(),
            ending_worse: rows,
            ..ReportInput::default()
        }
    }

    #[test]
    fn shares_only_on_a_sufficient_base() {
        let input = input(vec![
            row("all", "", 120, 30),
            row("category", "网络质量/宽带断网", 80, 24),
            row("category", "资费/乱扣费", 29, 20),
            row("queue", "一线", 100, 25),
            row("queue", "投诉专席", 5, 4),
        ]);
        let view = View::new(&input);
        let mut md = String::new();
        EndingWorse
            .markdown(&view, "五、客户情绪走向", &mut md)
            .unwrap();
        // 20 of 29 would be the highest share, but its base is too small to state one.
        assert!(
            md.contains("| 资费/乱扣费 | 29 | 20 | 数据不足 | 1 |"),
            "{md}"
        );
        assert!(md.contains("| 投诉专席 | 5 | 4 | 数据不足 | 1 |"), "{md}");
        assert!(
            md.contains("| 网络质量/宽带断网 | 80 | 24 | 30.0% | 1 |"),
            "{md}"
        );
        let finding = &EndingWorse.findings(&view)[0];
        assert_eq!(
            finding,
            "本期可追踪情绪走向的接触 120 件，其中 25.0%（30 件）结束时比开始时更差，0.8%（1 件）好转；恶化占比最高的类别为 网络质量/宽带断网（30.0%，基数 80 件）。"
        );
        let sheets: Vec<_> = EndingWorse.tables(&view).iter().map(|t| t.sheet).collect();
        assert_eq!(sheets, ["情绪走向（类别）", "情绪走向（坐席组）"]);
        let mut html = String::new();
        EndingWorse
            .html(&view, "五、客户情绪走向", &mut html)
            .unwrap();
        assert!(
            html.contains("<td>数据不足</td>") || html.contains(">数据不足<"),
            "{html}"
        );
    }

    #[test]
    fn configured_teams_get_their_own_table() {
        let input = input(vec![
            row("all", "", 120, 30),
            row("team", "一组", 70, 14),
            row("queue", "一线", 100, 25),
        ]);
        let view = View::new(&input);
        let sheets: Vec<_> = EndingWorse.tables(&view).iter().map(|t| t.sheet).collect();
        assert_eq!(
            sheets,
            [
                "情绪走向（类别）",
                "情绪走向（坐席班组）",
                "情绪走向（坐席组）"
            ]
        );
        let mut md = String::new();
        EndingWorse
            .markdown(&view, "六、客户情绪走向", &mut md)
            .unwrap();
        assert!(md.contains("### 按坐席班组"), "{md}");
        assert!(md.contains("| 一组 | 70 | 14 | 20.0% |"), "{md}");
    }

    #[test]
    fn a_small_period_gives_counts_and_no_claim() {
        let input = input(vec![row("all", "", 12, 7), row("queue", "一线", 12, 7)]);
        let view = View::new(&input);
        assert_eq!(
            EndingWorse.findings(&view)[0],
            "本期可追踪情绪走向的接触仅 12 件（其中结束时更差 7 件），数据不足，不计算占比。"
        );
        assert!(EndingWorse.present(&view));
        assert!(!EndingWorse.present(&View::new(&super::tests::input(Vec::new()))));
    }
}
