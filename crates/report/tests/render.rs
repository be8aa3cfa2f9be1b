//! Rendering tests on public API: exact findings sentences, escaping, empty and
//! degenerate inputs, self-containment of the HTML, and Markdown and JSON snapshots.

use voc_report::testing::{full_input, sample_input};
use voc_report::{
    CategoryRow, EmergingIssue, PeriodVolume, ReportInput, RiskSummary, SentimentPoint, Verbatim,
    WatchItem, findings, recommendations, render_html, render_json, render_markdown,
};

fn small_input() -> ReportInput {
    ReportInput {
        title: "价值分析报告".into(),
        client: "某省电信运营商".into(),
        period: "2026-W46".into(),
        previous_period: Some("2026-W45".into()),
        config_fingerprint: "c".repeat(64),
        data_fingerprint: "d".repeat(64),
        volume: vec![
            PeriodVolume {
                period: "2026-W45".into(),
                contacts: 1_173,
                complaints: 420,
            },
            PeriodVolume {
                period: "2026-W46".into(),
                contacts: 1_234,
                complaints: 456,
            },
        ],
        categories: vec![
            CategoryRow {
                id: "业务咨询/套餐资费".into(),
                name: "套餐资费".into(),
                owner: "市场经营部".into(),
                complaint: false,
                current: 500,
                previous: 480,
                change_p_value: Some(0.5),
            },
            CategoryRow {
                id: "网络质量/宽带断网".into(),
                name: "宽带断网".into(),
                owner: "网络运维部".into(),
                complaint: true,
                current: 200,
                previous: 180,
                change_p_value: Some(1e-3),
            },
            CategoryRow {
                id: "增值业务/违规订购".into(),
                name: "违规订购".into(),
                owner: "增值业务部".into(),
                complaint: true,
                current: 52,
                previous: 6,
                change_p_value: Some(1e-9),
            },
        ],
        emerging: vec![EmergingIssue {
            category_id: "增值业务/违规订购".into(),
            name: "违规订购".into(),
            owner: "增值业务部".into(),
            current: 52,
            baseline_mean: 6.0,
            p_value: 0.0002,
            top_regions: vec![("广东".into(), 30), ("湖南".into(), 15)],
            verbatims: vec![Verbatim {
                contact_id: "C1".into(),
                channel: "voice".into(),
                region: "广东".into(),
                text: "我没订过这个业务".into(),
            }],
        }],
        sentiment: vec![
            SentimentPoint {
                period: "2026-W45".into(),
                mean_score: -0.10,
                negative_share: 0.30,
            },
            SentimentPoint {
                period: "2026-W46".into(),
                mean_score: -0.15,
                negative_share: 0.325,
            },
        ],
        risk: RiskSummary {
            escalation: 12,
            escalation_previous: 8,
            churn: 5,
            churn_previous: 5,
            watch_list: vec![WatchItem {
                contact_id: "C2".into(),
                flags: vec!["escalation".into()],
                category: "增值业务/违规订购".into(),
                region: "广东".into(),
                excerpt: "不退费我就打12315".into(),
            }],
        },
        quality: Default::default(),
        ..ReportInput::default()
    }
}

#[test]
fn findings_are_exact_sentences() {
    assert_eq!(
        findings(&small_input()),
        vec![
            "本期共受理客户接触 1,234 次，环比上升 5.2%；投诉 456 件，投诉率 369.5‰（上期 358.1‰）。",
            "增值业务/违规订购投诉本期 52 件，为近8周均值的 8.7 倍（p<0.001），主要集中在广东、湖南，建议增值业务部优先处理。",
            "投诉量最多的主题为网络质量/宽带断网，本期 200 件，占投诉主题合计的 79.4%，较上期显著上升（+11.1%）；显著上升的主题中增量最大的为增值业务/违规订购，上期 6 件 → 本期 52 件。",
            "本期客户情感均值为 -0.15（上期 -0.10）；负面情绪占比 32.5%（上期 30.0%）。",
            "本期识别升级投诉风险 12 件（上期 8 件），流失倾向 5 件（上期 5 件）；观察名单共 1 条，详见“升级与流失风险”一节。",
        ]
    );
}

/// Without a change that passes the two-period test and without an emerging issue, the
/// summary says nothing changed significantly and nothing new is recommended, however
/// large the percentages (1 → 9 is +800 %).
#[test]
fn no_significant_change_no_rising_finding_and_no_new_recommendation() {
    let mut input = small_input();
    input.emerging.clear();
    input.risk = Default::default();
    for c in &mut input.categories {
        c.change_p_value = Some(0.2);
    }
    input.categories[2].current = 9;
    input.categories[2].previous = 1;
    let f = findings(&input);
    let text = f.join("");
    assert!(
        !text.contains("增量最大") && !text.contains("较上期显著"),
        "{text}"
    );
    assert!(
        f.contains(
            &"与上期相比，各投诉主题均无统计显著变化，本期不提出新的专项改进建议。".to_string()
        ),
        "{f:?}"
    );
    assert!(
        text.contains("与上期（180 件）相比无统计显著变化"),
        "{text}"
    );
    assert!(recommendations(&input).is_empty());
    // Tables show the small base as a difference in counts, not +800 %.
    let html = render_html(&input);
    assert!(html.contains("▲ +8 件") && !html.contains("800.0%"));
    assert!(html.contains("无显著变化"));
}

#[test]
fn recommendations_are_grouped_by_department() {
    let recs = recommendations(&small_input());
    let owners: Vec<&str> = recs.iter().map(|r| r.owner.as_str()).collect();
    // Emerging issue first, then the rising category it does not cover, then the
    // contact center's own follow-up of the watch list.
    assert_eq!(owners, ["增值业务部", "网络运维部", "客服运营团队"]);
    assert!(
        recs[1].items[0]
            .starts_with("【上升主题】网络质量/宽带断网：本期 200 件，较上期增加 20 件（+11.1%）")
    );
}

#[test]
fn monthly_reports_say_months() {
    let mut input = small_input();
    input.period = "2026-11".into();
    input.previous_period = Some("2026-10".into());
    input.volume[0].period = "2026-10".into();
    input.volume[1].period = "2026-11".into();
    assert!(findings(&input)[1].contains("为近8个月均值的 8.7 倍"));
    assert!(render_markdown(&input).contains("- 报告期：2026-11（2026-11-01 至 2026-11-30）"));
}

#[test]
fn input_text_is_escaped() {
    let mut input = small_input();
    input.client = "A&B <客户>".into();
    input.emerging[0].verbatims[0].text = "<script>alert('x')</script> | 138****5678".into();
    input.risk.watch_list[0].excerpt = "a|b\n<img src=x>".into();

    let html = render_html(&input);
    assert!(!html.contains("<script"));
    assert!(!html.contains("<img"));
    assert!(html.contains("A&amp;B &lt;客户&gt;"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | 138****5678"));

    let md = render_markdown(&input);
    // `<客` cannot open a tag in CommonMark, so only the `>` needs a backslash.
    assert!(md.contains(r"- 客户：A\&B <客户\>"));
    assert!(md.contains(r"> “\<script\>alert('x')\</script\> \| 138\*\*\*\*5678”"));
    assert!(md.contains(r"| a\|b \<img src=x\> |"));
}

fn assert_clean(text: &str) {
    for bad in ["NaN", "inf", "undefined"] {
        assert!(!text.contains(bad), "output contains {bad}");
    }
}

#[test]
fn empty_input_renders_gracefully() {
    let input = ReportInput::default();
    assert_eq!(
        findings(&input),
        vec![
            "本期暂无话务量数据。",
            "本期未发现显著上升的新兴问题。",
            "本期未归类出投诉主题。",
            "本期暂无情感分析数据。",
            "本期识别升级投诉风险 0 件，流失倾向 0 件；观察名单为空。",
        ]
    );
    assert!(recommendations(&input).is_empty());
    let md = render_markdown(&input);
    let html = render_html(&input);
    assert_clean(&md);
    assert_clean(&html);
    assert!(md.contains("本期未发现相对近8期基线显著上升的新兴问题。"));
    assert!(md.contains("暂无历史话务量数据。"));
    assert!(md.contains("本期无需要特别跟进的事项。"));
    assert!(html.contains("本期观察名单为空。"));
}

#[test]
fn zero_contacts_and_missing_numbers_never_print_nan() {
    let mut input = small_input();
    for v in &mut input.volume {
        v.contacts = 0;
        v.complaints = 0;
    }
    input.sentiment[1].mean_score = f64::NAN;
    input.sentiment[1].negative_share = f64::INFINITY;
    input.emerging[0].baseline_mean = 0.0;
    input.emerging[0].p_value = f64::NAN;
    let f = findings(&input);
    assert_eq!(
        f[0],
        "本期共受理客户接触 0 次；投诉 0 件，投诉率无法计算（本期接触量为 0）。"
    );
    assert_eq!(
        f[1],
        "增值业务/违规订购投诉本期 52 件，近8周此前未出现，主要集中在广东、湖南，建议增值业务部优先处理。"
    );
    assert_eq!(
        f[3],
        "本期客户情感均值为 —（上期 -0.10）；负面情绪占比 —（上期 30.0%）。"
    );
    let html = render_html(&input);
    assert_clean(&html);
    assert_clean(&render_markdown(&input));
    assert!(html.contains("<svg"));
}

#[test]
fn html_is_self_contained() {
    let html = render_html(&sample_input());
    for forbidden in [
        "http://", "https://", "<script", "url(", "@import", "<link", "<img",
    ] {
        assert!(!html.contains(forbidden), "HTML contains {forbidden}");
    }
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    assert!(html.contains(r#"<meta charset="utf-8">"#));
    assert!(html.contains(r#""Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif"#));
    assert!(html.contains("@page { size: A4; margin: 16mm; }"));
    assert_eq!(html.matches("<svg").count(), 2);
    assert_clean(&html);
    // Sections in the agreed order.
    let order = [
        "一、执行摘要",
        "二、话务量与投诉率趋势",
        "三、主要投诉主题",
        "四、新兴问题",
        "五、情感趋势",
        "六、升级与流失风险",
        "七、建议",
        "附录：方法说明与数据质量",
    ];
    let positions: Vec<usize> = order.iter().map(|s| html.find(s).expect(s)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn output_is_deterministic_and_input_round_trips() {
    let input = sample_input();
    assert_eq!(render_html(&input), render_html(&input.clone()));
    assert_eq!(render_markdown(&input), render_markdown(&input.clone()));
    let json = serde_json::to_string(&input).unwrap();
    let back: ReportInput = serde_json::from_str(&json).unwrap();
    assert_eq!(back, input);
}

/// Compares `actual` with the committed `tests/snapshots/NAME`; run with
/// `UPDATE_SNAPSHOTS=1` to rewrite the snapshots after an intended change, then review
/// the diff.
fn check_snapshot(name: &str, actual: &str) {
    let path = format!("{}/tests/snapshots/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).expect("snapshot missing: run with UPDATE_SNAPSHOTS=1");
    assert!(
        actual == expected,
        "output differs from {path}; rerun with UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

#[test]
fn markdown_matches_snapshot() {
    check_snapshot("sample.md", &render_markdown(&sample_input()));
    check_snapshot("full.md", &render_markdown(&full_input()));
}

#[test]
fn json_matches_snapshot_and_reads_back() {
    for (name, input) in [("sample.json", sample_input()), ("full.json", full_input())] {
        let json = render_json(&input);
        check_snapshot(name, &json);
        let back: ReportInput = serde_json::from_str(&json).unwrap();
        assert_eq!(back, input, "{name} does not read back to its input");
    }
}
