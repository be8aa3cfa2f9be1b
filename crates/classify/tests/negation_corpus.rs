//! The negation corpus: sentences written for this project (not taken from any data
//! set) that pin which negations cancel a term (`auto` mode) and which do not. Each
//! row: the text, the term (any form: `*到` where the segmenter fuses 没到), whether the
//! term must still count. Cut by the real
//! segmenter with no extra words, as `voc run` cuts.

use voc_classify::TaxonomySpec;

/// (text, term, counts)
const CORPUS: &[(&str, &str, bool)] = &[
    // Denials of the problem: cancelled.
    ("宽带没有断网，就是网速慢", "断网", false),
    ("这两天没再断网了", "断网", false),
    ("手机一点都不卡", "卡", false),
    ("玩游戏不卡", "卡", false),
    ("我并没有欠费", "欠费", false),
    ("从来没有掉线过", "掉线", false),
    ("不是网络的问题", "网络", false),
    ("没有异响，开起来很安静", "异响", false),
    ("屏幕没有划痕", "划痕", false),
    ("电池不会发热", "发热", false),
    // Complaints about an absence or a delay: they count.
    ("怎么还没发货", "发货", true),
    ("下单五天了还没发货", "发货", true),
    ("此订单一直没有物流信息", "物流", true),
    ("怎么还没到", "*到", true), // cut 怎么|还|没到
    ("不是明天送达么", "送达", true),
    ("只要不是影响安全的问题都可以", "安全", true),
    ("到现在还没有退款", "退款", true),
    ("一直没有人联系我", "联系", true),
    ("申请了一周没收到退款", "退款", true),
    ("迟迟没有发货", "发货", true),
    ("宽带至今没有恢复", "恢复", true),
    ("我根本没有收到货", "收到", true),
    ("无法退款", "退款", true),
    ("一直无法上网", "上网", true),
    ("别再扣费了", "扣费", true),
    ("希望不要再断网了", "*断网*", true), // cut 希望|不要|再断|网|了
    ("是不是断网了", "断网", true),
    ("有没有信号啊", "信号", true),
    ("不是断网就是卡", "断网", true),
    ("为什么还没处理", "处理", true),
    ("难道不是质量问题吗", "质量", true),
    ("如果没有解决我就投诉", "解决", true),
    // No negation at all, or across a clause break.
    ("没有办法，又断网了", "断网", true),
    ("不知道为什么断网", "断网", true),
];

#[test]
fn negation_corpus_holds_both_sides() {
    let segmenter = voc_text::Segmenter::builder().build().unwrap();
    let tokenize = |t: &str| segmenter.cut(t);
    let mut failures = Vec::new();
    for (text, term, counts) in CORPUS {
        let toml = format!("[[category]]\nid = \"t/t\"\nname = \"t\"\nany = [\"{term}\"]\n");
        let taxonomy = TaxonomySpec::parse(&toml, "t.toml").unwrap().compile();
        let got = !taxonomy.classify_example(text, &tokenize).is_empty();
        if got != *counts {
            let (why, tokens) = taxonomy.explain_example("t/t", text, &tokenize).unwrap();
            failures.push(format!(
                "{text:?} term {term:?}: expected {}, got {} (tokens {}; {:?})",
                if *counts { "a match" } else { "none" },
                if got { "a match" } else { "none" },
                tokens[0].join("|"),
                why.near_misses
                    .iter()
                    .map(|m| &m.detail)
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn negation_can_be_turned_off_or_forced() {
    let segmenter = voc_text::Segmenter::builder().build().unwrap();
    let tokenize = |t: &str| segmenter.cut(t);
    let taxonomy = TaxonomySpec::parse(
        r#"
[[category]]
id = "物流/无物流"
name = "无物流"
negation = "off"
any = ["物流"]

[[category]]
id = "物流/发货"
name = "发货"
negation = "always"
any = ["发货"]

[[category]]
id = "网络/断网"
name = "断网"
any = ["断网 [negation=off]", "掉线"]
"#,
        "t.toml",
    )
    .unwrap()
    .compile();
    assert_eq!(
        taxonomy.classify_example("没有物流", &tokenize),
        vec!["物流/无物流"]
    );
    assert!(
        taxonomy
            .classify_example("怎么还没发货", &tokenize)
            .is_empty()
    );
    assert_eq!(
        taxonomy.classify_example("没有断网", &tokenize),
        vec!["网络/断网"]
    );
    assert!(taxonomy.classify_example("没有掉线", &tokenize).is_empty());
    let (why, _) = taxonomy
        .explain_example("网络/断网", "没有掉线", &tokenize)
        .unwrap();
    assert!(!why.matched);
    assert_eq!(why.near_misses.len(), 1);
    assert_eq!(why.near_misses[0].kind, "negation");
}
