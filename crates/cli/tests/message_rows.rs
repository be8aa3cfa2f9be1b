//! A message-per-row chat export run end to end: grouped into contacts, its rows
//! accounted for in run.json and the summary, an unknown channel value warned about.

mod common;

use common::{manifest, repo_root, voc};

#[test]
fn a_chat_export_with_a_row_per_message_runs_and_reconciles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("chats.csv"),
        "会话ID,发送时间,发送方,内容,渠道,地区\n\
         S1,2026-11-02 09:00:00,机器人,您好，请描述问题,在线,广东\n\
         S1,2026-11-02 09:00:30,买家,宽带断网了，光猫红灯,在线,广东\n\
         S1,2026-11-02 09:01:00,坐席,马上为您报障,在线,广东\n\
         S2,2026-11-03 10:00:00,用户,话费扣多了,信鸽,四川\n\
         S2,2026-11-03 10:01:00,路人,我也是,信鸽,四川\n\
         S3,2026-11-03 11:00:00,customer,网速慢,电话,北京\n",
    )
    .unwrap();
    let taxonomy = repo_root().join("pipelines/demo/taxonomy.toml");
    std::fs::write(
        dir.path().join("weekly.toml"),
        format!(
            r#"[pipeline]
name = "chats"
[input]
max_quarantine_rate = 0.5
[[input.source]]
path = "chats.csv"
columns = {{ "会话ID" = "id", "渠道" = "channel", "地区" = "region" }}
[input.source.messages]
session = "会话ID"
order = "发送时间"
sender = "发送方"
text = "内容"
[classify]
taxonomy = {taxonomy:?}
"#
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = voc(&[
        "run",
        dir.path().join("weekly.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let run = manifest(&out);
    let counts = &run["counts"];
    let count = |key: &str| counts[key].as_u64().unwrap();
    // Records read: three contacts and the one row refused on its own.
    assert_eq!(
        (count("read"), count("accepted"), count("quarantined")),
        (4, 3, 1)
    );
    assert_eq!(
        run["message_rows"],
        serde_json::json!({"rows": 6, "in_contacts": 4, "refused": 1, "system": 1, "contacts": 3})
    );
    assert!(
        stdout.contains("messages  rows 6 = in 3 contacts 4 + refused 1 + system 1"),
        "{stdout}"
    );
    assert_eq!(run["unknown_channels"], serde_json::json!({"信鸽": 1}));
    assert!(
        stderr.contains("channel voc does not know") && stderr.contains("信鸽"),
        "{stderr}"
    );
    let quarantine = std::fs::read_to_string(out.join("quarantine.jsonl")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(quarantine.trim()).unwrap();
    assert_eq!(entry["line"], 6);
    assert_eq!(entry["field"], "发送方");
    assert!(entry["source"].as_str().unwrap().ends_with("chats.csv"));
}
