//! Discovery over a stored history of two weeks: topics keep their ids from the first
//! week, a planted theme of the second week is new, topics outside the taxonomy come
//! first, the same history gives the same discovery, and a topic's category stub holds
//! its verbatims, and the report's section lists the planted theme as new with them.

use chrono::DateTime;
use voc_core::{Contact, EnrichedContact, Period, RiskFlags, Speaker, Token, Turn};
use voc_discover::{DiscoverOptions, Registry, Status, TopicKind, discover, suggest};
use voc_store::OutputDir;
use voc_store::history::write_history;

/// Three everyday topics by their words; the first is the one the taxonomy knows.
const TOPICS: [[&str; 6]; 3] = [
    ["宽带", "断网", "光猫", "掉线", "路由器", "师傅"],
    ["话费", "扣费", "账单", "退款", "套餐", "流量"],
    ["信号", "基站", "小区", "通话", "打不通", "地下室"],
];
const PLANTED: [&str; 3] = ["充电桩", "起火", "物业"];

fn contact(id: String, day: &str, words: &[&str], category: Option<&str>) -> EnrichedContact {
    let started_at = DateTime::parse_from_rfc3339(&format!("{day}T10:00:00+08:00")).unwrap();
    let text: String = words.concat();
    let tokens: Vec<Token> = words.iter().map(|w| Token::from(*w)).collect();
    EnrichedContact {
        contact: Contact::new(
            id,
            started_at,
            "voice",
            vec![Turn {
                speaker: Speaker::Customer,
                text,
            }],
        ),
        tokens: vec![tokens],
        week: voc_core::time::week_key(started_at.date_naive()),
        categories: category.map(|c| vec![c.to_string()]).unwrap_or_default(),
        complaint: false,
        sentiment: 0.0,
        sentiment_label: "neutral".into(),
        mood: Default::default(),
        risk: RiskFlags::default(),
    }
}

fn week(day: &str, prefix: &str, planted: bool) -> Vec<EnrichedContact> {
    let mut out = Vec::new();
    for i in 0..600usize {
        let topic = i % 3;
        let words: Vec<&str> = (0..4).map(|j| TOPICS[topic][(i / 3 + j) % 6]).collect();
        let category = (topic == 0).then_some("网络质量/宽带断网");
        out.push(contact(format!("{prefix}{i:04}"), day, &words, category));
    }
    if planted {
        for (i, word) in TOPICS[1].iter().enumerate() {
            let mut words = PLANTED.to_vec();
            words.push(word);
            out.push(contact(format!("{prefix}p{i}"), day, &words, None));
        }
    }
    out
}

#[test]
fn topics_keep_their_ids_and_a_planted_theme_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::new(dir.path());
    let mut records = week("2026-11-03", "a", false);
    records.extend(week("2026-11-10", "b", true));
    write_history(out.history(), &records).unwrap();
    let options = DiscoverOptions {
        topics: 3,
        ..DiscoverOptions::default()
    };
    let period = Period::parse("2026-W46").unwrap();
    let mut registry = Registry::default();
    let first = discover(out.history(), &period, &mut registry, &options, &|_| false).unwrap();
    assert_eq!(first.previous_period.as_deref(), Some("2026-W45"));
    assert_eq!(first.contacts, 606);
    assert_eq!(first.topics.len(), 3);
    for topic in &first.topics {
        assert_eq!(topic.status, Status::Stable, "{} {}", topic.id, topic.label);
        assert_eq!(topic.previous_size, Some(200), "{}", topic.label);
    }
    // The known topic comes last: the two outside the taxonomy first.
    assert!(first.topics[2].label.contains("宽带") || first.topics[2].label.contains("断网"));
    assert!(first.topics[0].uncategorised_share > 0.9);
    assert!((first.uncategorised_share - 406.0 / 606.0).abs() < 1e-3);
    let theme = first
        .themes
        .iter()
        .find(|t| t.label.contains("充电桩"))
        .expect("the planted theme");
    assert_eq!(
        (theme.kind, theme.status, theme.size),
        (TopicKind::Theme, Status::New, 6)
    );

    // Again: the same ids, the same bytes.
    let again = discover(out.history(), &period, &mut registry, &options, &|_| false).unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&again).unwrap()
    );

    let stub = suggest::category_stub(&first, theme);
    assert!(
        stub.contains("[[category]]") && stub.contains("充电桩"),
        "{stub}"
    );
    let parsed: toml::Value = toml::from_str(&stub).unwrap();
    let category = &parsed["category"][0];
    assert_eq!(category["must_match"].as_array().unwrap().len(), 3);
    assert!(!category["must_not_match"].as_array().unwrap().is_empty());
}

/// The report's 新话题发现 of the same two weeks: the planted theme is listed as new,
/// first (wholly outside the taxonomy, ahead of the larger known topics), with its
/// verbatims and counts rather than percentages of six; stable topics are not listed;
/// the same history renders the same bytes.
#[test]
fn the_report_section_lists_the_planted_theme_as_new() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::new(dir.path());
    let mut records = week("2026-11-03", "a", false);
    records.extend(week("2026-11-10", "b", true));
    write_history(out.history(), &records).unwrap();
    let options = DiscoverOptions {
        topics: 3,
        ..DiscoverOptions::default()
    };
    let period = Period::parse("2026-W46").unwrap();
    let render = || {
        let mut registry = Registry::default();
        let discovery =
            discover(out.history(), &period, &mut registry, &options, &|_| false).unwrap();
        let mut input = voc_report::testing::full_input();
        input.discovery = Some(discovery.report_section(&|c| c.to_string()));
        (
            input.clone(),
            voc_report::render_markdown(&input),
            voc_report::render_html(&input),
        )
    };
    let (input, md, html) = render();
    let section = input.discovery.as_ref().unwrap();
    assert_eq!((section.contacts, section.uncategorised), (606, 406));
    let first = &section.topics[0];
    assert!(first.label.contains("充电桩"), "{:?}", section.topics);
    assert_eq!(
        (first.status.as_str(), first.kind.as_str()),
        ("new", "theme")
    );
    assert_eq!((first.size, first.uncategorised), (6, 6));
    assert_eq!(first.verbatims.len(), 3);
    assert!(
        section
            .topics
            .iter()
            .all(|t| t.status == "new" || t.status == "growing")
    );
    assert!(
        md.contains(&format!("### 1. {}（{}）", first.label, first.id)),
        "{md}"
    );
    assert!(
        md.contains(
            "新出现（上期无对应话题） · 本期 6 件（占全部接触 1.0%） · 未匹配分类 6 / 6 件"
        )
    );
    for v in &first.verbatims {
        assert!(md.contains(&format!("> “{}”", v.text)));
    }
    assert!(md.contains("分类覆盖：本期 606 次接触中 406 次（67.0%）未匹配任何分类。"));
    let (_, md_again, html_again) = render();
    assert_eq!((md, html), (md_again, html_again));
}
