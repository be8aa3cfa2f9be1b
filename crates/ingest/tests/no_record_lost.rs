//! Property: whatever mix of good, broken and re-delivered records arrives, every one
//! is accounted for — `read = accepted + quarantined + duplicates` — each id is kept
//! once, with its newest delivery. Read as `voc run` reads its inputs: from a file,
//! through [`Ingestor::ingest_streaming`] (which [`Ingestor::ingest`] collects).

use proptest::prelude::*;
use std::collections::HashMap;
use voc_ingest::{IngestOptions, Ingestor, InputFile};

#[derive(Debug, Clone)]
enum Line {
    Good { id: u8, text: String },
    MissingId,
    BadTime,
    WrongType,
    EmptyText,
    Truncated,
    InvalidUtf8,
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        4 => (0u8..20, "[宽带断网话费扣费网速慢客服态度差 a-z0-9]{1,30}")
            .prop_map(|(id, text)| Line::Good { id, text }),
        1 => Just(Line::MissingId),
        1 => Just(Line::BadTime),
        1 => Just(Line::WrongType),
        1 => Just(Line::EmptyText),
        1 => Just(Line::Truncated),
        1 => Just(Line::InvalidUtf8),
    ]
}

fn render(line: &Line) -> Vec<u8> {
    let record = |id: &str, time: &str, extra: &str, text: &str| {
        format!(
            r#"{{"id":{id},"started_at":{time}{extra},"text":{}}}"#,
            serde_json::to_string(text).unwrap()
        )
    };
    match line {
        Line::Good { id, text } => record(
            &format!("\"C{id}\""),
            "\"2026-11-02 09:00:00\"",
            "",
            &format!("x{text}"),
        ),
        Line::MissingId => record("null", "\"2026-11-02 09:00:00\"", "", "有内容"),
        Line::BadTime => record("\"T\"", "\"下周\"", "", "有内容"),
        Line::WrongType => record(
            "\"W\"",
            "\"2026-11-02 09:00:00\"",
            r#","csat":"好""#,
            "有内容",
        ),
        Line::EmptyText => record("\"E\"", "\"2026-11-02 09:00:00\"", "", " \u{3000} "),
        Line::Truncated => r#"{"id":"X","started_at":"2026-1"#.to_string(),
        Line::InvalidUtf8 => {
            return b"{\"id\":\"U\",\"started_at\":\"2026-11-02 09:00:00\",\"text\":\"\xff\xfe\"}"
                .to_vec();
        }
    }
    .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn no_record_is_lost(lines in proptest::collection::vec(line(), 0..120)) {
        let mut input = Vec::new();
        for l in &lines {
            input.extend(render(l));
            input.push(b'\n');
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prop.jsonl");
        std::fs::write(&path, &input).unwrap();
        let ingestor = Ingestor::new(IngestOptions::default()).unwrap();
        let batch = ingestor.ingest(&[InputFile::new(&path)]).unwrap();

        let mut newest: HashMap<String, String> = HashMap::new();
        let mut good = 0u64;
        for l in &lines {
            if let Line::Good { id, text } = l {
                good += 1;
                newest.insert(format!("C{id}"), format!("x{text}").trim().to_string());
            }
        }
        let s = &batch.stats;
        prop_assert_eq!(s.read, lines.len() as u64);
        prop_assert_eq!(s.read, s.accepted + s.quarantined + s.duplicates);
        prop_assert_eq!(s.quarantined, lines.len() as u64 - good);
        prop_assert_eq!(s.accepted, newest.len() as u64);
        prop_assert_eq!(batch.contacts.len() as u64, s.accepted);
        prop_assert_eq!(batch.quarantine.len() as u64, s.quarantined);
        for contact in &batch.contacts {
            let text = &contact.turns[0].text;
            let expected = voc_text::normalize::normalize_text(&newest[&contact.id]);
            prop_assert_eq!(text, &expected);
        }
    }
}
