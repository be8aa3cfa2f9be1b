//! Realistic hand-made [`ReportInput`]s for tests, examples and benches, in this crate
//! and in others (e.g. a bench that only needs *some* report to render). Compiled only
//! for this crate's unit tests and with the `testing` feature, never into the product.

use crate::model::{
    BreakdownRow, CategoryKeywords, CategoryRow, DataQuality, EmergingIssue, EndingWorseRow,
    ForecastPoint, ForecastSection, Keyword, KpiDay, KpiDayValue, KpiRow, KpiScorecard, NewTermRow,
    PeriodVolume, ReportInput, RiskSummary, SentimentPoint, StaffingAssumptions, StaffingRow,
    Verbatim, WatchItem,
};
use crate::model::{
    CostDayRow, CostSection, CostWeekRow, DiscoveredTopic, DiscoverySection, DriverCoefficient,
    DriverEffect, DriverFactor, DriverImportance, DriverModel, DriverOutcome, DriverSection,
    DriverVerbatims, TopicVerbatim,
};

/// Ten weeks of a telecom client (2026-W37 … 2026-W46) with two emerging issues, a watch
/// list and PII-masked verbatims. The rendered Markdown and JSON are committed as
/// `tests/snapshots/sample.{md,json}`; change them together.
pub fn sample_input() -> ReportInput {
    let volume = [
        ("2026-W37", 11_520, 798),
        ("2026-W38", 11_905, 812),
        ("2026-W39", 12_310, 835),
        ("2026-W40", 9_860, 701),
        ("2026-W41", 11_240, 790),
        ("2026-W42", 11_655, 808),
        ("2026-W43", 11_790, 815),
        ("2026-W44", 11_930, 826),
        ("2026-W45", 11_870, 842),
        ("2026-W46", 12_391, 934),
    ]
    .into_iter()
    .map(|(period, contacts, complaints)| PeriodVolume {
        period: period.to_string(),
        contacts,
        complaints,
    })
    .collect();

    let categories = [
        (
            "网络质量/宽带断网",
            "宽带断网",
            "网络运维部",
            true,
            320,
            286,
        ),
        (
            "网络质量/移动信号弱",
            "移动信号弱",
            "网络运维部",
            true,
            210,
            225,
        ),
        (
            "计费争议/套餐外扣费",
            "套餐外扣费",
            "计费结算中心",
            true,
            188,
            170,
        ),
        (
            "服务质量/装维上门超时",
            "装维上门超时",
            "装维服务部",
            true,
            96,
            74,
        ),
        ("增值业务/违规订购", "违规订购", "增值业务部", true, 52, 6),
        (
            "营业厅服务/办理效率",
            "办理效率",
            "渠道运营部",
            true,
            40,
            51,
        ),
        ("携号转网/转出受阻", "转出受阻", "市场经营部", true, 28, 30),
        (
            "业务咨询/套餐资费",
            "套餐资费",
            "市场经营部",
            false,
            2_410,
            2_350,
        ),
        (
            "业务咨询/宽带办理",
            "宽带办理",
            "市场经营部",
            false,
            1_136,
            1_204,
        ),
    ]
    .into_iter()
    .map(
        |(id, name, owner, complaint, current, previous)| CategoryRow {
            id: id.to_string(),
            name: name.to_string(),
            owner: owner.to_string(),
            complaint,
            current,
            previous,
            change_p_value: Some(hand_p_value(current, previous)),
        },
    )
    .collect();

    let verbatim = |contact_id: &str, channel: &str, region: &str, text: &str| Verbatim {
        contact_id: contact_id.to_string(),
        channel: channel.to_string(),
        region: region.to_string(),
        text: text.to_string(),
    };
    let emerging = vec![
        EmergingIssue {
            category_id: "增值业务/违规订购".to_string(),
            name: "违规订购".to_string(),
            owner: "增值业务部".to_string(),
            current: 52,
            baseline_mean: 6.0,
            p_value: 3.2e-19,
            top_regions: vec![
                ("广东".to_string(), 21),
                ("湖南".to_string(), 12),
                ("广西".to_string(), 8),
            ],
            verbatims: vec![
                verbatim(
                    "C20261110-000482",
                    "voice",
                    "广东",
                    "我从来没订过这个视频会员，每个月扣我15块，你查一下138****5678到底是谁给我开的？",
                ),
                verbatim(
                    "C20261111-001207",
                    "wechat",
                    "湖南",
                    "短信里点了一下就被订购了彩铃包，我要求全额退费，不然我就打12315。",
                ),
                verbatim(
                    "C20261112-000356",
                    "chat",
                    "广西",
                    "客服说是我自己回复的验证码确认的，我根本没回复过，请把订购记录调出来。",
                ),
            ],
        },
        EmergingIssue {
            category_id: "服务质量/装维上门超时".to_string(),
            name: "装维上门超时".to_string(),
            owner: "装维服务部".to_string(),
            current: 96,
            baseline_mean: 70.5,
            p_value: 0.0031,
            top_regions: vec![("广东".to_string(), 40), ("福建".to_string(), 18)],
            verbatims: vec![
                verbatim(
                    "C20261109-000918",
                    "voice",
                    "广东",
                    "约好上午十点上门装宽带，等到下午四点都没人来，师傅电话也打不通。",
                ),
                verbatim(
                    "C20261113-000221",
                    "work_order",
                    "福建",
                    "客户反映装维人员连续两次改约，要求今天内给答复，联系电话0591-****3321。",
                ),
            ],
        },
    ];

    let sentiment = [
        ("2026-W37", -0.18, 0.312),
        ("2026-W38", -0.19, 0.317),
        ("2026-W39", -0.17, 0.309),
        ("2026-W40", -0.20, 0.324),
        ("2026-W41", -0.19, 0.320),
        ("2026-W42", -0.21, 0.331),
        ("2026-W43", -0.20, 0.327),
        ("2026-W44", -0.22, 0.335),
        ("2026-W45", -0.21, 0.334),
        ("2026-W46", -0.26, 0.362),
    ]
    .into_iter()
    .map(|(period, mean_score, negative_share)| SentimentPoint {
        period: period.to_string(),
        mean_score,
        negative_share,
    })
    .collect();

    let watch =
        |contact_id: &str, flags: &[&str], category: &str, region: &str, excerpt: &str| WatchItem {
            contact_id: contact_id.to_string(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
            category: category.to_string(),
            region: region.to_string(),
            excerpt: excerpt.to_string(),
        };
    let risk = RiskSummary {
        escalation: 37,
        escalation_previous: 29,
        churn: 21,
        churn_previous: 24,
        watch_list: vec![
            watch(
                "C20261111-001207",
                &["escalation"],
                "增值业务/违规订购",
                "湖南",
                "要求全额退费，不然我就打12315。",
            ),
            watch(
                "C20261110-000733",
                &["churn"],
                "网络质量/宽带断网",
                "广东",
                "这个月断了五次，再不修好我就携号转网。",
            ),
            watch(
                "C20261112-001544",
                &["escalation", "churn"],
                "计费争议/套餐外扣费",
                "浙江",
                "已经向工信部投诉了，问题不解决就销户。",
            ),
            watch(
                "C20261113-000087",
                &["escalation"],
                "服务质量/装维上门超时",
                "福建",
                "再没人上门我就找媒体曝光。",
            ),
        ],
    };

    ReportInput {
        title: "价值分析报告".to_string(),
        client: "某电信运营商".to_string(),
        period: "2026-W46".to_string(),
        previous_period: Some("2026-W45".to_string()),
        config_fingerprint: "3f9a1c07be52d4e8a61f0c93b7d2e5a48c1f6b9d0e7a2c5f8b3d6e9a1c4f7b20"
            .to_string(),
        data_fingerprint: "a41e7d2c9b06f3e8d5c1b7a4e9f2d6c3b8a5e1f7d4c9b2a6e3f8d1c5b7a4e90"
            .to_string(),
        volume,
        categories,
        emerging,
        sentiment,
        risk,
        quality: DataQuality {
            read: 12_480,
            accepted: 12_391,
            quarantined: 57,
            duplicates: 32,
            batch_period: None,
        },
        ..ReportInput::default()
    }
}

/// A KPI row: (metric, name, unit, higher is better), target, actual, status, and
/// the dynamic target (label, value). The day's value equals the month's here.
fn kpi_row(
    metric: (&str, &str, &str, bool),
    target: f64,
    actual: f64,
    status: &str,
    dynamic: (&str, Option<f64>),
) -> KpiRow {
    KpiRow {
        metric: metric.0.into(),
        name: metric.1.into(),
        unit: metric.2.into(),
        higher_is_better: metric.3,
        target,
        actual: Some(actual),
        status: Some(status.into()),
        day_actual: Some(actual),
        day_status: Some(status.into()),
        dynamic: dynamic.0.into(),
        dynamic_value: dynamic.1,
    }
}

fn point(date: &str, weekday: &str, volume: f64) -> ForecastPoint {
    ForecastPoint {
        date: date.into(),
        weekday: weekday.into(),
        volume,
    }
}

/// [`sample_input`] with every trend section: the breakdown by channel and region (more
/// regions than the table lists), a new term, keywords, a KPI scorecard with each kind of
/// dynamic target, and a forecast with staffing. The rendered Markdown and JSON are
/// committed as `tests/snapshots/full.{md,json}`.
pub fn full_input() -> ReportInput {
    let mut input = sample_input();
    input.breakdown = vec![BreakdownRow {
        dimension: "channel".into(),
        value: "voice".into(),
        contacts: 800,
        share: 0.8,
        previous: Some(640),
        complaint_rate: Some(375.0),
    }];
    input.breakdown.extend((0..12).map(|i| BreakdownRow {
        dimension: "region".into(),
        value: format!("省{i:02}"),
        contacts: 100 - i,
        share: 0.01,
        previous: None,
        complaint_rate: None,
    }));
    input.new_terms = vec![NewTermRow {
        term: "光缆<抢修>".into(),
        current: 12,
        baseline_mean: 1.0,
        ratio: 11.3,
        p_value: 0.0000004,
    }];
    input.top_keywords = vec![CategoryKeywords {
        category_id: "网络质量/宽带断网".into(),
        name: "宽带断网".into(),
        keywords: vec![
            Keyword {
                term: "光缆".into(),
                score: 1.65,
                count: 12,
            },
            Keyword {
                term: "物业".into(),
                score: 0.8,
                count: 3,
            },
        ],
    }];
    input.kpi = Some(KpiScorecard {
        month: "2026-11".into(),
        as_of: "2026-11-15".into(),
        days_elapsed: 15,
        days_remaining: 15,
        warning_band_pct: 5.0,
        rows: vec![
            kpi_row(
                ("fcr", "一次解决率（FCR）", "share", true),
                0.8,
                0.75,
                "未达标",
                ("需达到", Some(0.9)),
            ),
            kpi_row(
                ("sla", "服务水平（SLA）", "share", true),
                0.8,
                0.6,
                "未达标",
                ("无法达成", Some(1.2)),
            ),
            kpi_row(
                ("aht", "平均处理时长（AHT）", "seconds", false),
                300.0,
                320.0,
                "未达标",
                ("需达到", Some(280.0)),
            ),
            kpi_row(
                ("complaint_rate", "投诉率", "per_mille", false),
                50.0,
                20.0,
                "达标",
                ("已锁定", None),
            ),
        ],
        daily: vec![KpiDay {
            date: "2026-11-15".into(),
            values: vec![
                KpiDayValue {
                    metric: "fcr".into(),
                    actual: Some(0.75),
                    status: Some("未达标".into()),
                },
                KpiDayValue {
                    metric: "sla".into(),
                    actual: None,
                    status: None,
                },
                KpiDayValue {
                    metric: "aht".into(),
                    actual: Some(320.0),
                    status: Some("未达标".into()),
                },
                KpiDayValue {
                    metric: "complaint_rate".into(),
                    actual: Some(20.0),
                    status: Some("达标".into()),
                },
            ],
        }],
    });
    input.forecast = Some(ForecastSection {
        method: "星期效应 + 线性趋势（最小二乘）".into(),
        as_of: "2026-11-15".into(),
        history: vec![
            point("2026-11-14", "周六", 900.0),
            point("2026-11-15", "周日", 800.0),
        ],
        days: vec![
            point("2026-11-16", "周一", 1200.0),
            point("2026-11-17", "周二", 1000.0),
        ],
        backtest_mape: Some(4.56),
        backtest_days: 14,
        staffing: vec![
            StaffingRow {
                date: "2026-11-16".into(),
                weekday: "周一".into(),
                volume: 1080.0,
                erlang_agents: 14,
                service_level: 0.8833,
                erlang_headcount: 22,
                simple_headcount: 23,
            },
            StaffingRow {
                date: "2026-11-17".into(),
                weekday: "周二".into(),
                volume: 900.0,
                erlang_agents: 12,
                service_level: 0.85,
                erlang_headcount: 20,
                simple_headcount: 19,
            },
        ],
        assumptions: StaffingAssumptions {
            sla_target: 0.8,
            sla_seconds: 20,
            aht_s: 200.0,
            channel_share: 0.9,
            open_hours: 10.0,
            shift_hours: 8.0,
            attendance_rate: 0.8,
            contacts_per_agent_day: 100.0,
        },
        staffing_missing: None,
    });
    let trajectory =
        |dimension: &str, value: &str, name: &str, counts: (u64, u64, u64)| EndingWorseRow {
            dimension: dimension.into(),
            value: value.into(),
            name: name.into(),
            followed: counts.0,
            worsening: counts.1,
            improving: counts.2,
        };
    // The second category and queue are under the minimum base: counts, no share.
    input.ending_worse = vec![
        trajectory("all", "", "", (412, 87, 120)),
        trajectory("category", "网络质量/宽带断网", "宽带断网", (160, 52, 31)),
        trajectory("category", "资费争议/乱扣费", "乱扣费", (12, 6, 2)),
        trajectory("queue", "一线", "", (380, 74, 115)),
        trajectory("queue", "投诉专席", "", (25, 11, 4)),
    ];
    input
}

fn driver_effect(
    metric: &str,
    n: (u64, u64),
    values: (f64, f64),
    ci: Option<(f64, f64)>,
) -> DriverEffect {
    DriverEffect {
        metric: metric.into(),
        n_with: n.0,
        n_without: n.1,
        with: Some(values.0),
        without: Some(values.1),
        diff: ci.map(|_| values.0 - values.1),
        low: ci.map(|c| c.0),
        high: ci.map(|c| c.1),
        rank: None,
    }
}

/// A key-driver analysis: 账单 lowers CSAT (rank 1), the chat channel has too few
/// surveys, and an AHT effect that is not significant.
pub fn driver_section() -> DriverSection {
    let outcome =
        |metric: &str, name: &str, unit: &str, up: bool, base: u64, value: f64| DriverOutcome {
            metric: metric.into(),
            name: name.into(),
            unit: unit.into(),
            higher_is_better: up,
            base,
            value: Some(value),
        };
    let mut bill_csat = driver_effect("csat", (40, 60), (0.25, 0.8), Some((-0.6855, -0.3577)));
    bill_csat.rank = Some(1);
    DriverSection {
        contacts: 100,
        min_base: 30,
        teams_configured: false,
        outcomes: vec![
            outcome("csat", "满意度（CSAT）", "share", true, 100, 0.58),
            outcome("aht", "平均处理时长（AHT）", "seconds", false, 100, 340.0),
        ],
        factors: vec![
            DriverFactor {
                dimension: "category".into(),
                value: "计费争议/账单".into(),
                label: "账单".into(),
                owner: "计费结算中心".into(),
                contacts: 40,
                effects: vec![
                    bill_csat,
                    driver_effect("aht", (40, 60), (350.0, 333.3), Some((-20.0, 53.4))),
                ],
            },
            DriverFactor {
                dimension: "channel".into(),
                value: "chat".into(),
                label: "chat".into(),
                owner: String::new(),
                contacts: 12,
                effects: vec![
                    driver_effect("csat", (12, 88), (0.5, 0.59), None),
                    driver_effect("aht", (12, 88), (300.0, 345.5), None),
                ],
            },
        ],
        models: vec![DriverModel {
            metric: "csat".into(),
            n: 100,
            r2: 0.298,
            dimensions: vec![
                DriverImportance {
                    dimension: "category".into(),
                    r2: 0.25,
                },
                DriverImportance {
                    dimension: "channel".into(),
                    r2: 0.048,
                },
            ],
            coefficients: vec![DriverCoefficient {
                dimension: "category".into(),
                value: "计费争议/账单".into(),
                coefficient: -0.55,
                standardized: -0.546,
            }],
        }],
        verbatims: vec![DriverVerbatims {
            dimension: "category".into(),
            value: "计费争议/账单".into(),
            metric: "csat".into(),
            verbatims: vec![Verbatim {
                contact_id: "C00012".into(),
                channel: "voice".into(),
                region: "江苏".into(),
                text: "账单又多扣了[金额]，打了三次电话没人管。".into(),
            }],
        }],
    }
}

/// November's break-even from 150,000 元 at 20 元 a contact, two days in.
pub fn cost_section() -> CostSection {
    let day = |d: u32, contacts: Option<u64>, cost: Option<f64>| CostDayRow {
        date: format!("2026-11-{d:02}"),
        cost_line: 5_000.0,
        breakeven: 250.0,
        contacts,
        seat_hours: cost.map(|c| (c - 1_000.0) / 50.0),
        cost,
        revenue: contacts.map(|n| n as f64 * 20.0),
    };
    CostSection {
        month: "2026-11".into(),
        as_of: "2026-11-02".into(),
        days_in_month: 30,
        days_elapsed: 2,
        days_remaining: 28,
        monthly_cost: 150_000.0,
        revenue_basis: "contact".into(),
        revenue_rate: 20.0,
        breakeven: 7_500.0,
        weeks: vec![CostWeekRow {
            week: "2026-W44".into(),
            first: "2026-11-01".into(),
            last: "2026-11-01".into(),
            cost_line: 5_000.0,
            breakeven: 250.0,
        }],
        days: vec![
            day(1, Some(288), Some(2_500.0)),
            day(2, Some(144), Some(6_000.0)),
            day(3, None, None),
        ],
        cost_to_date: Some(8_500.0),
        revenue_to_date: Some(8_640.0),
        volume_to_date: Some(432.0),
        cost_remainder: "需控制在".into(),
        cost_remainder_value: Some(5_053.5),
        volume_remainder: "需达到".into(),
        volume_remainder_value: Some(252.25),
        occupancy: 0.8,
        hourly_cost: Some(50.0),
    }
}

/// The discovery section of a week of 1,000 contacts: a small new theme wholly outside
/// the taxonomy (a base too small for percentages) and a large growing topic.
pub fn sample_discovery() -> DiscoverySection {
    let verbatim = |id: &str, text: &str| TopicVerbatim {
        contact_id: id.into(),
        text: text.into(),
    };
    DiscoverySection {
        period: "2026-W46".into(),
        previous_period: Some("2026-W45".into()),
        contacts: 1000,
        uncategorised: 370,
        topics_found: 9,
        topics: vec![
            DiscoveredTopic {
                id: "T0012".into(),
                kind: "theme".into(),
                label: "充电桩、起火、物业".into(),
                status: "new".into(),
                size: 6,
                previous_size: None,
                p_value: None,
                uncategorised: 6,
                mean_sentiment: -0.6,
                negative: 5,
                regions: vec![("杭州".into(), 4), ("宁波".into(), 2)],
                channels: vec![("voice".into(), 5), ("wechat".into(), 1)],
                categories: vec![],
                verbatims: vec![
                    verbatim("C-0101", "小区充电桩起火了物业不管"),
                    verbatim("C-0102", "充电桩<起火>，物业说找你们"),
                    verbatim("C-0103", "物业说充电桩起火是线路问题"),
                ],
            },
            DiscoveredTopic {
                id: "T0003".into(),
                kind: "topic".into(),
                label: "话费、扣费、账单".into(),
                status: "growing".into(),
                size: 240,
                previous_size: Some(150),
                p_value: Some(0.0002),
                uncategorised: 180,
                mean_sentiment: -0.21,
                negative: 96,
                regions: vec![("杭州".into(), 120)],
                channels: vec![("chat".into(), 200), ("voice".into(), 40)],
                categories: vec![("账务/话费争议".into(), 60)],
                verbatims: vec![verbatim("C-0200", "这个月话费扣了两次")],
            },
        ],
    }
}

/// A stand-in for the two-period test's p-value in hand-made inputs (the report does not
/// compute it): a change of more than a fifth is "significant", anything else is not.
pub fn hand_p_value(current: u64, previous: u64) -> f64 {
    let (c, p) = (current as f64, previous as f64);
    if (c - p).abs() > 0.2 * p.max(1.0) && c.max(p) >= 10.0 {
        1e-4
    } else {
        0.5
    }
}
