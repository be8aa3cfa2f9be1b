//! Topics and themes on a synthetic week: ten background topics of 1,000 contacts,
//! and a planted theme of five contacts (words no one else uses) that must be found.

use voc_discover::cluster::Rng;
use voc_discover::{Corpus, DiscoverOptions, Document, topics_of};

const COMMON: &[&str] = &[
    "你好", "客服", "处理", "问题", "谢谢", "一下", "现在", "已经",
];

/// Ten topics' vocabularies: 20 words each, named by topic and number (`话题3词7`).
fn vocabulary(topic: usize) -> Vec<String> {
    (0..20).map(|w| format!("话题{topic}词{w}")).collect()
}

fn week(planted: bool) -> (Corpus, Vec<usize>) {
    let vocabularies: Vec<Vec<String>> = (0..10).map(vocabulary).collect();
    let mut rng = Rng::new(7);
    let mut docs: Vec<(Document, Vec<String>)> = Vec::new();
    let mut gold = Vec::new();
    for i in 0..10_000 {
        let topic = i % 10;
        let mut words: Vec<String> = (0..6)
            .map(|_| vocabularies[topic][(rng.next_u64() % 20) as usize].clone())
            .collect();
        words.extend((0..3).map(|_| COMMON[(rng.next_u64() % 8) as usize].to_string()));
        let document = Document {
            id: format!("c{i:05}"),
            verbatim: words.join(""),
            ..Document::default()
        };
        docs.push((document, words));
        gold.push(topic);
    }
    if planted {
        let theme = ["充电桩", "起火", "物业", "电动车"];
        for (i, common) in COMMON.iter().enumerate().take(5) {
            let mut words: Vec<String> = theme
                .iter()
                .take(3 + i % 2)
                .map(|w| w.to_string())
                .collect();
            words.push(common.to_string());
            let document = Document {
                id: format!("p{i}"),
                verbatim: format!("{}（第{i}位）", words.join("")),
                ..Document::default()
            };
            docs.push((document, words));
            gold.push(10);
        }
    }
    let docs = docs
        .iter()
        .map(|(d, w)| (d.clone(), w.iter().map(String::as_str).collect()))
        .collect();
    (Corpus::from_words(docs), gold)
}

#[test]
fn a_planted_theme_of_five_contacts_in_ten_thousand_is_found() {
    let (corpus, _) = week(true);
    let found = topics_of(
        &corpus,
        &DiscoverOptions {
            topics: 10,
            ..DiscoverOptions::default()
        },
    );
    let theme = found
        .themes
        .iter()
        .find(|t| t.label.contains("充电桩") || t.label.contains("起火"))
        .unwrap_or_else(|| {
            panic!(
                "no theme of the planted words: {:?}",
                found.themes.iter().map(|t| &t.label).collect::<Vec<_>>()
            )
        });
    assert_eq!(theme.size, 5);
    // Without the planted contacts, no theme of those words.
    let (corpus, _) = week(false);
    let found = topics_of(
        &corpus,
        &DiscoverOptions {
            topics: 10,
            ..DiscoverOptions::default()
        },
    );
    assert!(found.themes.iter().all(|t| !t.label.contains("充电桩")));
}

#[test]
fn background_topics_are_recovered_and_the_result_is_deterministic() {
    let (corpus, gold) = week(true);
    let options = DiscoverOptions {
        topics: 10,
        ..DiscoverOptions::default()
    };
    let a = topics_of(&corpus, &options);
    // The same topics on one thread as on every core (sums in a fixed order).
    let b = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| topics_of(&corpus, &options));
    assert_eq!(a.topic_of, b.topic_of);
    assert_eq!(a.topics, b.topics);
    assert!(
        a.method.algorithm.contains("spectral"),
        "{}",
        a.method.algorithm
    );
    // Purity: each topic's most frequent gold class, summed, over all contacts.
    let mut counts = vec![[0usize; 11]; a.topics.len()];
    for (d, t) in a.topic_of.iter().enumerate() {
        if let Some(t) = t {
            counts[*t][gold[d]] += 1;
        }
    }
    let pure: usize = counts
        .iter()
        .map(|c| c.iter().max().copied().unwrap_or(0))
        .sum();
    let purity = pure as f64 / gold.len() as f64;
    assert!(purity > 0.95, "purity {purity}");
    // A topic's label is made of its own words.
    for topic in &a.topics {
        assert!(topic.label.contains("话题"), "{}", topic.label);
        assert_eq!(topic.verbatims.len(), 3);
    }
}
