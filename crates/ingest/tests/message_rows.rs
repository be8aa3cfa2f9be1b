//! Message-per-row exports grouped into contacts, speaker and channel value maps and
//! defaults, through the public ingest API as `voc run` uses it.

use std::collections::BTreeMap;
use voc_core::Speaker;
use voc_ingest::{Batch, IngestOptions, Ingestor, InputFile, MessageColumns, ValueMaps};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn chat_columns() -> MessageColumns {
    MessageColumns {
        session: "会话ID".into(),
        order: Some("发送时间".into()),
        sender: Some("发送方".into()),
        is_agent: None,
        text: "内容".into(),
    }
}

fn ingest(inputs: &[InputFile]) -> Result<Batch, voc_ingest::IngestError> {
    Ingestor::new(IngestOptions::default())
        .unwrap()
        .ingest(inputs)
}

fn reconciles(batch: &Batch) {
    let s = &batch.stats;
    assert_eq!(s.read, s.accepted + s.quarantined + s.duplicates, "{s:?}");
    let rows = &s.messages;
    assert_eq!(
        rows.rows,
        rows.in_contacts + rows.refused + rows.system,
        "{rows:?}"
    );
}

const CHATS: &str = "\
会话ID,发送时间,发送方,内容,渠道,地区
S1,2026-11-02 09:01:00,客服,您好，请问有什么可以帮您,在线,广东
S1,2026-11-02 09:00:30,买家,宽带断了，手机13812345678,在线,广东
S1,2026-11-02 09:00:00,机器人,欢迎光临，请描述问题,在线,广东
S1,2026-11-02 09:02:00,掌柜,我帮您报障,在线,广东
S2,2026-11-02 10:00:00,用户,话费扣多了,信鸽,四川
S2,2026-11-02 10:01:00,路人,我也是,信鸽,四川
,2026-11-02 10:02:00,客服,没有会话的行,信鸽,四川
S3,2026-11-03 11:00:00,helpdesk,您好,电话,北京
S3,2026-11-03 11:00:10,customer,网速慢,电话,北京
";

/// Rows are grouped by session in the order of their times; contact-level columns come
/// from the session's first row; the first message's time is the contact's start; the
/// sender map (built-in and the file's) gives each turn its speaker, system messages are
/// dropped; a row that cannot be placed is quarantined on its own naming row and column.
#[test]
fn rows_of_a_session_become_one_contact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chats.csv");
    std::fs::write(&path, CHATS).unwrap();
    let input = InputFile {
        columns: map(&[("会话ID", "id"), ("渠道", "channel"), ("地区", "region")]),
        messages: Some(chat_columns()),
        values: ValueMaps {
            speakers: map(&[("掌柜", "agent")]),
            ..ValueMaps::default()
        },
        ..InputFile::new(&path)
    };
    let batch = ingest(&[input]).unwrap();
    reconciles(&batch);
    let s = &batch.stats;
    // Three contacts and two rows refused on their own.
    assert_eq!((s.read, s.accepted, s.quarantined), (5, 3, 2));
    assert_eq!(
        (
            s.messages.rows,
            s.messages.in_contacts,
            s.messages.refused,
            s.messages.system
        ),
        (9, 6, 2, 1)
    );
    let s1 = &batch.contacts[0];
    assert_eq!(s1.id, "S1");
    assert_eq!(s1.started_at.to_rfc3339(), "2026-11-02T09:00:30+08:00");
    assert_eq!(s1.channel, "chat");
    assert_eq!(s1.region.as_deref(), Some("广东"));
    let turns: Vec<(Speaker, &str)> = s1
        .turns
        .iter()
        .map(|t| (t.speaker, t.text.as_str()))
        .collect();
    assert_eq!(
        turns,
        [
            (Speaker::Customer, "宽带断了，手机138****5678"),
            (Speaker::Agent, "您好，请问有什么可以帮您"),
            (Speaker::Agent, "我帮您报障"),
        ]
    );
    assert_eq!(
        batch.contacts[1].turns.len(),
        1,
        "S2 without the unknown sender"
    );
    assert_eq!(batch.contacts[2].channel, "voice");
    // The unknown channel value is counted, once per accepted contact.
    assert_eq!(
        s.unknown_channels,
        BTreeMap::from([("信鸽".to_string(), 1)])
    );
    let refused: Vec<(u64, &str)> = batch
        .quarantine
        .iter()
        .map(|q| (q.line, q.field.as_str()))
        .collect();
    assert_eq!(refused, [(7, "发送方"), (8, "会话ID")]);
    assert!(batch.quarantine[0].reason.contains("路人"));
    assert!(batch.quarantine[0].source.ends_with("chats.csv"));
}

/// A session that comes back after another one started stops the file with an error
/// naming file, row and session, instead of splitting the contact.
#[test]
fn an_unsorted_file_is_refused_naming_row_and_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chats.csv");
    std::fs::write(
        &path,
        "会话ID,发送时间,发送方,内容\n13812345678,1,客服,您好\nB,1,用户,你好\n13812345678,2,用户,还在吗\n",
    )
    .unwrap();
    let input = InputFile {
        messages: Some(chat_columns()),
        ..InputFile::new(&path)
    };
    let err = ingest(&[input]).unwrap_err().to_string();
    assert!(
        err.contains("chats.csv") && err.contains("row 4") && err.contains("sort"),
        "{err}"
    );
    // The session id is named masked: ids may be phone numbers.
    assert!(
        err.contains("\"138****5678\"") && !err.contains("13812345678"),
        "{err}"
    );
}

/// An is-agent flag instead of a sender; a sequence number orders the messages, so the
/// start time comes from a contact-level column (here a default); JSON Lines rows.
#[test]
fn is_agent_flags_sequence_numbers_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tickets.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"ticket":"T1","seq":2,"agent":1,"body":"已为您退款"}"#,
            "\n",
            r#"{"ticket":"T1","seq":1,"agent":"否","body":"退款还没到"}"#,
            "\n",
            r#"{"ticket":"T2","seq":10,"agent":"maybe","body":"?"}"#,
            "\n",
            r#"{"ticket":"T2","seq":11,"agent":0,"body":"发票怎么开"}"#,
            "\n",
        ),
    )
    .unwrap();
    let input = InputFile {
        messages: Some(MessageColumns {
            session: "ticket".into(),
            order: Some("seq".into()),
            sender: None,
            is_agent: Some("agent".into()),
            text: "body".into(),
        }),
        values: ValueMaps {
            defaults: map(&[("started_at", "2026-11-02 00:00:00"), ("channel", "邮件")]),
            ..ValueMaps::default()
        },
        ..InputFile::new(&path)
    };
    let batch = ingest(&[input]).unwrap();
    reconciles(&batch);
    assert_eq!(
        (
            batch.stats.read,
            batch.stats.accepted,
            batch.stats.quarantined
        ),
        (3, 2, 1)
    );
    let t1 = &batch.contacts[0];
    assert_eq!(t1.turns[0].text, "退款还没到");
    assert_eq!(t1.turns[0].speaker, Speaker::Customer);
    assert_eq!(t1.turns[1].speaker, Speaker::Agent);
    assert_eq!(t1.channel, "email");
    assert_eq!(t1.started_at.to_rfc3339(), "2026-11-02T00:00:00+08:00");
    assert_eq!(
        (batch.quarantine[0].line, batch.quarantine[0].field.as_str()),
        (3, "agent")
    );
    assert!(batch.stats.unknown_channels.is_empty());
}

/// Speaker maps apply to turns given as lists and to single-string transcripts; a
/// record whose speaker nothing maps is quarantined naming the turn.
#[test]
fn speaker_maps_apply_to_turn_lists_and_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dialogues.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"id":"D1","started_at":"2026-11-02 09:00:00","channel":"微博","turns":[{"speaker":"网友","text":"信号差"},{"speaker":"helpdesk","text":"您好"}]}"#,
            "\n",
            r#"{"id":"D2","started_at":"2026-11-02 09:00:00","transcript":"网友：还是没信号 系统：已转人工 客服：马上处理"}"#,
            "\n",
            r#"{"id":"D3","started_at":"2026-11-02 09:00:00","turns":[{"speaker":"路人","text":"x"}]}"#,
            "\n",
        ),
    )
    .unwrap();
    let input = InputFile {
        values: ValueMaps {
            speakers: map(&[("网友", "customer")]),
            ..ValueMaps::default()
        },
        ..InputFile::new(&path)
    };
    let batch = ingest(&[input]).unwrap();
    reconciles(&batch);
    let speakers =
        |i: usize| -> Vec<Speaker> { batch.contacts[i].turns.iter().map(|t| t.speaker).collect() };
    assert_eq!(speakers(0), [Speaker::Customer, Speaker::Agent]);
    assert_eq!(batch.contacts[0].channel, "social");
    assert_eq!(speakers(1), [Speaker::Customer, Speaker::Agent]);
    assert_eq!(batch.contacts[1].turns[1].text, "马上处理");
    assert_eq!(batch.quarantine[0].field, "turns[0].speaker");
    // Without the map, the file's own speaker is unknown; the built-in ones still read.
    let batch = ingest(&[InputFile::new(&path)]).unwrap();
    reconciles(&batch);
    assert_eq!(batch.stats.accepted, 1, "only D2, as one note");
}

/// Unknown channel values are counted one by one up to a limit, the rest together: a
/// column of free text mapped to `channel` must not list every record in run.json.
#[test]
fn unknown_channel_values_are_counted_up_to_a_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.jsonl");
    let lines: String = (0..voc_ingest::MAX_UNKNOWN_CHANNELS + 50)
        .map(|i| {
            format!(
                "{{\"id\":\"c{i}\",\"started_at\":\"2026-11-02 09:00:00\",\"channel\":\"渠道{i}\",\"text\":\"断网\"}}\n"
            )
        })
        .collect();
    std::fs::write(&path, lines).unwrap();
    let batch = ingest(&[InputFile::new(&path)]).unwrap();
    let unknown = &batch.stats.unknown_channels;
    assert_eq!(unknown.len(), voc_ingest::MAX_UNKNOWN_CHANNELS + 1);
    assert_eq!(unknown[voc_ingest::OTHER_UNKNOWN_CHANNELS], 50);
    assert_eq!(unknown.values().sum::<u64>(), batch.stats.accepted);
}
