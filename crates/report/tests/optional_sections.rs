//! The parts of the report shown only when their data is present: breakdown, keywords,
//! new terms, KPI scorecard with dynamic targets, forecast and staffing. Exact cells
//! and sentences, numbering, escaping and their absence when the data is missing.

use voc_report::testing::{full_input, sample_input};
use voc_report::{ReportInput, findings, recommendations, render_html, render_markdown};

fn input() -> ReportInput {
    full_input()
}

#[test]
fn sections_are_numbered_after_the_fixed_ones() {
    let md = render_markdown(&input());
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        &headings[5..],
        [
            "## 六、客户情绪走向",
            "## 七、升级与流失风险",
            "## 八、KPI 指标达成",
            "## 九、话务预测与排班",
            "## 十、建议",
            "## 附录：方法说明与数据质量"
        ]
    );
    let mut no_kpi = input();
    no_kpi.kpi = None;
    let md = render_markdown(&no_kpi);
    assert!(md.contains("## 八、话务预测与排班") && md.contains("## 九、建议"));
    // Without any of the new data the report is what it was.
    let plain = sample_input();
    assert_eq!(plain.kpi, None);
    let md = render_markdown(&plain);
    assert!(md.contains("## 七、建议") && !md.contains("KPI") && !md.contains("新词"));
}

#[test]
fn kpi_cells_and_dynamic_targets() {
    let md = render_markdown(&input());
    assert!(md.contains("2026年11月累计至 2026-11-15（已过 15 天，剩余 15 天）"));
    assert!(
        md.contains("| 一次解决率（FCR） | 80.0% | 75.0% | 未达标 | 75.0% | 未达标 | ≥ 90.0% |")
    );
    assert!(md.contains("| 服务水平（SLA） | 80.0% | 60.0% | 未达标 | 60.0% | 未达标 | 无法达成（需 120.0%，超出可能范围） |"));
    assert!(md.contains(
        "| 平均处理时长（AHT） | 300 秒 | 320 秒 | 未达标 | 320 秒 | 未达标 | ≤ 280 秒 |"
    ));
    assert!(md.contains(
        "| 投诉率 | 50.0‰ | 20.0‰ | 达标 | 20.0‰ | 达标 | 已锁定（剩余天数任何水平均可达标） |"
    ));
    assert!(md.contains("| 2026-11-15 | 75.0% 未达标 | 数据不足 | 320 秒 未达标 | 20.0‰ 达标 |"));
    let html = render_html(&input());
    // The daily cells say the status in words too: colour is not the only signal.
    assert!(html.contains(r#"<td class="num bad">75.0% 未达标</td>"#));
    assert!(html.contains(r#"<td class="num muted">数据不足</td>"#));
    assert!(html.contains(r#"<td class="nw ok">达标</td>"#));
}

#[test]
fn summary_and_recommendations_name_the_misses() {
    let f = findings(&input());
    assert_eq!(
        f[f.len() - 2],
        "截至 2026-11-15，本月 4 项 KPI 中 1 项达标、0 项预警、3 项未达标：\
         一次解决率（FCR）本月累计 75.0%（目标 80.0%），剩余 15 天需达到 90.0% 及以上；\
         服务水平（SLA）本月累计 60.0%（目标 80.0%），剩余 15 天已无法达成月度目标；\
         平均处理时长（AHT）本月累计 320 秒（目标 300 秒），剩余 15 天需控制在 280 秒 及以下。"
    );
    assert_eq!(
        f[f.len() - 1],
        "预计未来 2 天日均接触量 1,100 次（回测 MAPE 4.6%），按 Erlang C 测算日均需在线坐席 13.0 人、排班 21.0 人。"
    );
    let center = recommendations(&input())
        .into_iter()
        .find(|g| g.owner == "客服运营团队")
        .unwrap();
    let kpi: Vec<&String> = center
        .items
        .iter()
        .filter(|i| i.starts_with("【KPI】"))
        .collect();
    assert_eq!(kpi.len(), 3);
    assert_eq!(
        kpi[0],
        "【KPI】一次解决率（FCR）本月累计 75.0%，目标 80.0%。剩余 15 天需达到 90.0% 及以上，建议按日跟踪动态目标值并调整排班与质检重点。"
    );
}

#[test]
fn forecast_breakdown_terms_and_keywords() {
    let input = input();
    let md = render_markdown(&input);
    assert!(md.contains("合计 2,200 次，日均 1,100 次；回测误差（留出最近 14 天）MAPE 为 4.6%。"));
    assert!(md.contains("| 2026-11-16 | 周一 | 1,200 | 14 | 88.3% | 22 | 23 |"));
    assert!(md.contains("| 渠道 | 电话 | 800 | 80.0% | 640 | ▲ +25.0% | 375.0‰ |"));
    // Ten regions and the rest summed.
    assert!(md.contains("| 地区 | 省09 | 91 |"));
    assert!(!md.contains("| 地区 | 省10 |"));
    assert!(md.contains("| 地区 | 其他 2 个 | 179 | 2.0% | — | — | — |"));
    assert!(md.contains("| 网络质量/宽带断网 | 光缆（12）、物业（3） |"));
    assert!(md.contains("| 光缆<抢修\\> | 12 | 1.0 | 11.3 | p<0.001 |"));
    let html = render_html(&input);
    assert!(html.contains(r#"<td class="nw">光缆&lt;抢修&gt;</td>"#));
    assert!(html.contains(r#"aria-label="日接触量预测""#));
    assert!(html.contains(r#"stroke-dasharray="5 3""#));
    assert!(!html.contains("<script") && !html.contains("NaN") && !md.contains("NaN"));
    assert_eq!(render_html(&input), html, "deterministic");
    let back: ReportInput = serde_json::from_str(&serde_json::to_string(&input).unwrap()).unwrap();
    assert_eq!(back, input);
}

#[test]
fn old_report_json_without_the_new_fields_still_reads() {
    let mut json = serde_json::to_value(sample_input()).unwrap();
    for key in ["breakdown", "new_terms", "top_keywords", "kpi", "forecast"] {
        json.as_object_mut().unwrap().remove(key);
    }
    let back: ReportInput = serde_json::from_value(json).unwrap();
    assert_eq!(back, sample_input());
}

#[test]
fn degenerate_forecast_and_scorecard_do_not_print_nan() {
    let mut input = input();
    if let Some(f) = input.forecast.as_mut() {
        f.days[0].volume = f64::NAN;
        f.backtest_mape = None;
        f.history.clear();
    }
    if let Some(k) = input.kpi.as_mut() {
        k.rows[0].actual = None;
        k.rows[0].dynamic = "数据不足".into();
        k.rows[0].dynamic_value = None;
    }
    let md = render_markdown(&input);
    let html = render_html(&input);
    assert!(!md.contains("NaN") && !html.contains("NaN"));
    assert!(md.contains("历史数据不足，未做回测"));
    // A KPI without its inputs says 数据不足 and what is missing, never 0 or 100 %.
    assert!(md.contains(
        "| 一次解决率（FCR） | 80.0% | 数据不足 | 数据不足（解决状态缺失或过少） | 75.0% | 未达标 | 数据不足 |"
    ), "{md}");
    assert!(md.contains("1 项数据不足（一次解决率（FCR）：解决状态缺失或过少）"));
}

#[test]
fn missing_staffing_inputs_say_so() {
    let mut input = input();
    if let Some(f) = input.forecast.as_mut() {
        f.staffing.clear();
        f.staffing_missing = Some("排班渠道的处理时长缺失或过少".into());
    }
    let md = render_markdown(&input);
    assert!(
        md.contains("排班测算：数据不足（排班渠道的处理时长缺失或过少）"),
        "{md}"
    );
    assert!(!md.contains("在线坐席 0") && !md.contains("排班人数（Erlang C）"));
    let f = voc_report::findings(&input).join("");
    assert!(f.contains("排班测算数据不足"), "{f}");
}

/// A month in progress sets its part beside the same days of the previous month (the
/// comparison span) in the trend's table and chart, not only beside the whole month.
#[test]
fn a_period_in_progress_is_compared_like_for_like() {
    let mut input = sample_input();
    input.period = "2026-11".into();
    input.previous_period = Some("2026-10".into());
    input.data_through = Some("2026-11-15".into());
    let n = input.volume.len();
    input.volume[n - 2].period = "2026-10".into();
    input.volume[n - 1].period = "2026-11".into();
    input.comparison_volume = Some(voc_report::PeriodVolume {
        period: "2026-10".into(),
        contacts: 600,
        complaints: 30,
    });
    let md = render_markdown(&input);
    assert!(
        md.contains("| 2026-10（同期） | 600 | 30 | 50.0‰ |"),
        "{md}"
    );
    assert!(
        md.contains("“同期”为2026-10（2026-10-01 至 2026-10-15"),
        "{md}"
    );
    assert!(render_html(&input).contains(">同期</text>"));
}

/// A date range that starts after its last month began shows no month-to-date KPIs:
/// it would speak of days outside the range.
#[test]
fn a_range_report_shows_only_what_it_covers() {
    let mut input = full_input();
    input.period = "2026-11-10..2026-11-15".into();
    assert!(!render_markdown(&input).contains("KPI 指标达成"));
    input.period = "2026-10-20..2026-11-15".into();
    assert!(render_markdown(&input).contains("KPI 指标达成"));
}
