//! 新话题发现: shown only when the input has a discovery, numbered after 新兴问题, with
//! counts (not percentages) on small bases, the verbatims, the coverage line, the
//! pointer to `voc taxonomy suggest`, and a sheet in the workbook.

use voc_report::testing::{full_input, sample_discovery};
use voc_report::{
    ReportInput, findings, recommendations, render_html, render_json, render_markdown, render_xlsx,
};

fn with_discovery() -> ReportInput {
    let mut input = full_input();
    input.discovery = Some(sample_discovery());
    input
}

#[test]
fn absent_without_discovery_and_no_json_key() {
    let input = full_input();
    let md = render_markdown(&input);
    assert!(!md.contains("新话题发现"));
    assert!(!render_html(&input).contains(r#"id="discovery""#));
    assert!(!render_json(&input).contains("\"discovery\""));
}

#[test]
fn lists_the_new_theme_first_with_counts_and_verbatims() {
    let input = with_discovery();
    let md = render_markdown(&input);
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    let at = headings
        .iter()
        .position(|h| h.ends_with("新话题发现"))
        .unwrap();
    assert!(headings[at - 1].ends_with("新兴问题"), "{headings:?}");
    assert!(md.contains("分类覆盖：本期 1,000 次接触中 370 次（37.0%）未匹配任何分类。"));
    let theme = md.find("### 1. 充电桩、起火、物业（T0012）").unwrap();
    let growing = md.find("### 2. 话费、扣费、账单（T0003）").unwrap();
    assert!(theme < growing);
    // Six contacts: counts, not percentages of them.
    assert!(md.contains(
        "- 新出现（上期无对应话题） · 本期 6 件（占全部接触 0.6%） · 未匹配分类 6 / 6 件 · 负面 5 / 6 件 · 平均情感 -0.60 · 小主题"
    ));
    assert!(md.contains("- 主要地区：杭州 4 件、宁波 2 件"));
    assert!(md.contains("- 主要渠道：电话 5 件、微信 1 件"));
    assert!(md.contains("> “小区充电桩起火了物业不管”"));
    assert!(md.contains("> —— C-0103"));
    // A growing topic on a large base: its rise as a percentage, with the test's p.
    assert!(md.contains("- 显著上升：上期 150 件，增加 60.0% · p<0.001 · 本期 240 件（占全部接触 24.0%） · 未匹配分类 75.0%"));
    assert!(md.contains("voc taxonomy suggest PIPELINE --topic"));
    let html = render_html(&input);
    assert!(html.contains("<h3>1. 充电桩、起火、物业（T0012）</h3>"));
    assert!(html.contains("<blockquote><p>“充电桩&lt;起火&gt;，物业说找你们”</p>"));
    assert!(
        findings(&input)
            .iter()
            .any(|f| f.starts_with("话题发现：本期新出现 1 个、显著上升 1 个话题"))
    );
    assert!(recommendations(&input).iter().any(|r| {
        r.items
            .iter()
            .any(|i| i.contains("【分类补充】2 个") && i.contains("T0012"))
    }));
}

#[test]
fn nothing_new_is_said_plainly() {
    let mut input = full_input();
    let mut d = sample_discovery();
    d.topics.clear();
    input.discovery = Some(d.clone());
    let md = render_markdown(&input);
    assert!(md.contains("与 2026-W45 相比，本期没有新出现或显著上升的话题。"));
    d.previous_period = None;
    input.discovery = Some(d);
    assert!(render_markdown(&input).contains("历史中没有可比较的上期"));
}

#[test]
fn same_input_same_bytes_and_a_workbook_sheet() {
    let input = with_discovery();
    assert_eq!(render_html(&input), render_html(&with_discovery()));
    assert_eq!(render_markdown(&input), render_markdown(&with_discovery()));
    let xlsx = render_xlsx(&input).unwrap();
    assert_eq!(xlsx, render_xlsx(&with_discovery()).unwrap());
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("a workbook");
    let names = book.sheet_names();
    assert!(names.iter().any(|n| n == "新话题发现"), "{names:?}");
    let sheet = book.worksheet_range("新话题原话").unwrap();
    assert_eq!(sheet.height(), 1 + 4);
    // JSON reads back to the same input.
    let json = render_json(&input);
    let back: ReportInput = serde_json::from_str(&json).unwrap();
    assert_eq!(back, input);
}
