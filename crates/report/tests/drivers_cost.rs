//! Issue 29 items 4 and 5: the key-driver (关联性分析) and cost break-even (成本临界点)
//! sections: exact cells and sentences from hand-made inputs, their workbook sheets,
//! and their absence without data.

use calamine::{Data, Reader};
use std::io::Cursor;
use voc_report::testing::{cost_section, driver_section, sample_input};
use voc_report::{
    ReportInput, findings, recommendations, render_html, render_markdown, render_xlsx,
};

fn input() -> ReportInput {
    let mut input = sample_input();
    input.drivers = Some(driver_section());
    input.cost = Some(cost_section());
    input
}

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = workbook.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

#[test]
fn drivers_rank_with_intervals_and_say_what_is_insufficient() {
    let md = render_markdown(&input());
    assert!(md.contains("## 七、关键驱动因素分析"));
    assert!(md.contains(
        "| 满意度 | 1 | 问题分类 | 计费争议/账单 | 40 | 25.0% | 80.0% | -55.0\\* | -68.5 ～ -35.8 | -22 件 |"
    ));
    // Not significant: no mark; too few surveys on one side: 数据不足, never 0.
    assert!(md.contains("| 问题分类 | 计费争议/账单 | 40 | -55.0\\* | +17 |"));
    assert!(!md.contains("| 渠道 | 在线客服 |"));
    assert!(md.contains("以下 1 个因素各指标样本均不足，未列入表中：在线客服（12 件）。"));
    assert!(md.contains("| 满意度 | 100 | 0.298 | 83.9% | 16.1% |"));
    assert!(md.contains("| 平均处理时长 | 100 | 数据不足 | — | — |"));
    assert!(md.contains("平均处理时长：未发现显著拉低该指标的因素"));
    assert!(
        md.contains("> “账单又多扣了\\[金额\\]，打了三次电话没人管。”（电话 · 江苏 · C00012）")
    );
    let f = findings(&input());
    assert!(f.contains(&"关联性分析：满意度受「计费争议/账单」类接触影响最大（满意度 25.0%，比其他接触低 55.0 个百分点（95% 置信区间 35.8–68.5），40 件）。".to_string()), "{f:?}");
    let r = recommendations(&input());
    let billing = r.iter().find(|g| g.owner == "计费结算中心").unwrap();
    assert!(billing.items[0].starts_with("【关键驱动】「计费争议/账单」类接触：满意度 25.0%"));
    let html = render_html(&input());
    assert!(html.contains(r#"aria-label="驱动因素重要性与表现""#));
    assert!(html.contains(r#"<td class="num bad">-55.0*</td>"#));
    assert!(html.contains(r#"<td class="num muted">+17</td>"#));
    assert!(!html.contains("NaN") && !md.contains("NaN"));
}

#[test]
fn nothing_significant_is_said_so() {
    let mut input = input();
    let d = input.drivers.as_mut().unwrap();
    for f in &mut d.factors {
        for e in &mut f.effects {
            e.rank = None;
            e.low = Some(-0.1);
            e.high = Some(0.1);
        }
    }
    let f = findings(&input);
    assert!(
        f.iter().any(|s| s.starts_with("关联性分析未发现显著拉低")),
        "{f:?}"
    );
    assert!(
        recommendations(&input)
            .iter()
            .all(|g| g.items.iter().all(|i| !i.contains("关键驱动")))
    );
}

#[test]
fn cost_break_even_and_the_dynamic_remainder() {
    let md = render_markdown(&input());
    assert!(md.contains("## 八、成本临界点"));
    assert!(md.contains("2026年11月成本 150,000 元（日均 5,000 元）；合同单价 20.00 元/件，盈亏平衡需 7,500 件（日均 250 件）。"));
    assert!(md.contains("| 成本 | 150,000 元 | 8,500 元 | ≤ 5,054 元 |"));
    assert!(md.contains("| 业务量（件） | 7,500 件 | 432 件 | ≥ 252 件 |"));
    assert!(md.contains(
        "| 2026-11-02 | 5,000 元 | 250 件 | 144 | 100.0 | 6,000 元 | 2,880 元 | 超成本线 |"
    ));
    assert!(!md.contains("| 2026-11-03 |"));
    assert!(md.contains("其余 1 天（2026-11-03 起）每天成本线 5,000 元、盈亏平衡量 250 件。"));
    let f = findings(&input());
    assert!(f.iter().any(|s| s == "成本临界点：截至 2026-11-02，2026年11月累计成本 8,500 元、收入 8,640 元；剩余 28 天日均成本需控制在 5,054 元 以内，日均业务量需达到 252 件 才能盈亏平衡。"), "{f:?}");
    // Missing handling times: the cost says 数据不足, not 0.
    let mut missing = input();
    let c = missing.cost.as_mut().unwrap();
    c.days[1].cost = None;
    c.days[1].seat_hours = None;
    c.cost_to_date = None;
    c.cost_remainder = "数据不足".into();
    c.cost_remainder_value = None;
    let md = render_markdown(&missing);
    assert!(md.contains("| 成本 | 150,000 元 | 数据不足 | 数据不足 |"));
    assert!(md.contains(
        "| 2026-11-02 | 5,000 元 | 250 件 | 144 | 数据不足 | 数据不足 | 2,880 元 | 数据不足 |"
    ));
}

#[test]
fn a_range_starting_within_the_month_has_no_cost_section() {
    let mut range = input();
    range.period = "2026-11-02..2026-11-08".into();
    assert!(!render_markdown(&range).contains("成本临界点"));
    range.period = "2026-11-01..2026-11-08".into();
    assert!(render_markdown(&range).contains("成本临界点"));
}

#[test]
fn without_data_the_sections_are_absent() {
    let md = render_markdown(&sample_input());
    assert!(!md.contains("成本临界点") && !md.contains("关键驱动"));
    let bytes = render_xlsx(&sample_input()).unwrap();
    let names = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .unwrap()
        .sheet_names();
    assert!(
        !names
            .iter()
            .any(|n| n.contains("成本") || n.contains("驱动"))
    );
}

#[test]
fn the_workbook_has_the_same_tables_with_numbers() {
    let input = input();
    let bytes = render_xlsx(&input).unwrap();
    let ranking = sheet(&bytes, "驱动因素排名");
    assert_eq!(ranking[0][7], Data::String("差异".into()));
    assert_eq!(ranking[1][3], Data::String("计费争议/账单".into()));
    assert!(matches!(ranking[1][7], Data::Float(x) if (x + 55.0).abs() < 1e-9));
    let matrix = sheet(&bytes, "驱动因素矩阵");
    assert_eq!(matrix.len(), 2);
    assert!(matches!(matrix[1][3], Data::Float(x) if (x + 55.0).abs() < 1e-9));
    let model = sheet(&bytes, "指标关联模型");
    assert!(matches!(model[1][2], Data::Float(x) if (x - 0.298).abs() < 1e-12));
    let quotes = sheet(&bytes, "驱动因素原话");
    assert_eq!(quotes[1][2], Data::String("C00012".into()));
    let days = sheet(&bytes, "成本逐日");
    assert_eq!(days.len(), 3);
    assert!(matches!(days[1][5], Data::Float(x) if x == 2_500.0));
    let summary = sheet(&bytes, "成本临界点");
    assert!(matches!(summary[1][3], Data::Float(x) if x == 5_053.5));
    let back: ReportInput = serde_json::from_str(&serde_json::to_string(&input).unwrap()).unwrap();
    assert_eq!(back, input);
}
