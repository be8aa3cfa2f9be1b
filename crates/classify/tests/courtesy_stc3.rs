//! Greeting and closing checks on real helpdesk dialogues: the STC-3 Weibo dialogues in
//! `../shared/data/real/stc3/dialogues.jsonl` (relative to the workspace root), read
//! here and never copied into the repository. Skipped, with a message, where absent.
//!
//! `no_greeting` used to fire on openings like 很抱歉给您带来不便 or 感谢您的关注 that every
//! social-media helpdesk uses; the bounds below hold the rates at what the broad default
//! lists give (see NOTES-h-flags.md for the figures and the reading of flagged turns).
//! `VOC_COURTESY_DUMP=FILE` writes the ids of the flagged dialogues, for reading them.

use std::path::PathBuf;
use voc_classify::{Classifier, RiskTerms, SentimentModel, TaxonomySpec};
use voc_core::{Contact, Speaker, Turn};

fn dialogues() -> Option<Vec<(String, Vec<Turn>)>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/real/stc3/dialogues.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("SKIPPED: no dialogues at {}", path.display());
        return None;
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
        let turns = value["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| Turn {
                speaker: if t["speaker"] == "agent" {
                    Speaker::Agent
                } else {
                    Speaker::Customer
                },
                text: t["text"].as_str().unwrap_or_default().to_string(),
            })
            .collect();
        out.push((value["id"].as_str().unwrap().to_string(), turns));
    }
    Some(out)
}

/// The greetings and token matching before the broad lists: the first agent turn had to
/// hold one of these as a whole token (they were added to the segmenter's words).
const OLD_GREETINGS: &[&str] = &[
    "您好",
    "你好",
    "很高兴为您服务",
    "欢迎致电",
    "欢迎来电",
    "感谢致电",
    "感谢您的来电",
    "早上好",
    "上午好",
    "中午好",
    "下午好",
    "晚上好",
    "亲",
];

#[test]
fn greeting_and_closing_flags_hold_on_real_helpdesk_dialogues() {
    let Some(dialogues) = dialogues() else { return };
    let mut builder = voc_text::Segmenter::builder();
    for w in OLD_GREETINGS {
        builder = builder.word(*w);
    }
    let old_segmenter = builder.build().unwrap();
    let segmenter = voc_text::Segmenter::builder().build().unwrap();
    let taxonomy = TaxonomySpec::parse(
        "[[category]]\nid = \"a/b\"\nname = \"b\"\nany = [\"断网\"]\n",
        "t.toml",
    )
    .unwrap()
    .compile();
    let classifier = Classifier::new(taxonomy, SentimentModel::default(), &RiskTerms::default());
    let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();

    let (mut with_agent, mut old_flagged, mut no_greeting, mut no_closing) = (0, 0, 0, 0);
    let mut dump = String::new();
    for (id, turns) in &dialogues {
        let Some(first) = turns.iter().position(|t| t.speaker == Speaker::Agent) else {
            continue;
        };
        with_agent += 1;
        let old_tokens = old_segmenter.cut(&turns[first].text);
        if !old_tokens
            .iter()
            .any(|t| OLD_GREETINGS.contains(&t.as_str()))
        {
            old_flagged += 1;
            dump.push_str(&format!("{id},old_no_greeting\n"));
        }
        let tokens: Vec<_> = turns.iter().map(|t| segmenter.cut(&t.text)).collect();
        let contact = Contact::new(id.clone(), start, "social", turns.clone());
        let risk = classifier.risk(&contact, &tokens);
        no_greeting += usize::from(risk.no_greeting);
        no_closing += usize::from(risk.no_closing);
        for (set, name) in [
            (risk.no_greeting, "no_greeting"),
            (risk.no_closing, "no_closing"),
        ] {
            if set {
                dump.push_str(&format!("{id},{name}\n"));
            }
        }
    }
    if let Ok(path) = std::env::var("VOC_COURTESY_DUMP") {
        std::fs::write(path, dump).unwrap();
    }
    let rate = |n: usize| n as f64 / with_agent as f64;
    eprintln!(
        "STC-3: {with_agent} dialogues with an agent turn; no_greeting before {:.3} ({old_flagged}), \
         after {:.3} ({no_greeting}); no_closing {:.3} ({no_closing})",
        rate(old_flagged),
        rate(no_greeting),
        rate(no_closing)
    );
    assert!(with_agent > 2000, "{with_agent}");
    // Social-media agents often answer without any greeting (a bare instruction or a
    // question back): those flags are right, so the rate cannot be near zero.
    assert!(
        rate(no_greeting) <= 0.13,
        "no_greeting {:.3}",
        rate(no_greeting)
    );
    assert!(rate(no_greeting) < rate(old_flagged));
    assert!(
        rate(no_closing) <= 0.55,
        "no_closing {:.3}",
        rate(no_closing)
    );
}
