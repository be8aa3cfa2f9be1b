//! Values exports write their own way, mapped onto voc's: who speaks (`helpdesk`, `客服`,
//! `买家` → agent or customer; `机器人`, `系统` → system messages, which are dropped),
//! which channel a contact came in by (`电话` → `voice`, see [`voc_core::channel`]), and
//! constant values for canonical fields a file lacks (`[input.source.defaults]`).

use regex::Regex;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use voc_core::Speaker;

use crate::record::{FieldError, parse_speaker};

/// A source's value maps as the pipeline file gives them (export value → voc value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueMaps {
    /// Speaker value → `agent`, `customer`, `note` or `system`; on top of the built-in
    /// values (see [`role_of`]).
    pub speakers: BTreeMap<String, String>,
    /// Channel value → channel code; on top of [`voc_core::channel::CHANNELS`].
    pub channels: BTreeMap<String, String>,
    /// Canonical field → the value a record gets when it has none (absent, null or blank).
    pub defaults: BTreeMap<String, String>,
}

/// Who a message is from. System messages (a bot's menu, `会话已结束`) are no one's
/// voice: they are dropped, and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Speaker(Speaker),
    System,
}

/// The speaker targets a map may name.
pub const SPEAKER_TARGETS: &[&str] = &["agent", "customer", "note", "system"];

/// The built-in role of a speaker value: [`parse_speaker`]'s, and system messages.
pub fn role_of(label: &str) -> Option<Role> {
    if let Some(speaker) = parse_speaker(label) {
        return Some(Role::Speaker(speaker));
    }
    match label.trim().to_lowercase().as_str() {
        "system" | "bot" | "robot" | "系统" | "机器人" | "系统消息" => Some(Role::System),
        _ => None,
    }
}

fn role_of_target(target: &str) -> Option<Role> {
    match target.trim() {
        "system" => Some(Role::System),
        "agent" => Some(Role::Speaker(Speaker::Agent)),
        "customer" => Some(Role::Speaker(Speaker::Customer)),
        "note" => Some(Role::Speaker(Speaker::Note)),
        _ => None,
    }
}

impl ValueMaps {
    /// Why these maps cannot be used (a speaker mapped to no role, a default for no
    /// canonical field), naming the entry.
    pub fn check(&self, canonical_fields: &[&str]) -> Result<(), String> {
        if let Some((from, to)) = self
            .speakers
            .iter()
            .find(|(_, to)| role_of_target(to).is_none())
        {
            return Err(format!(
                "speakers maps {from:?} to {to:?}; use one of {}",
                SPEAKER_TARGETS.join(", ")
            ));
        }
        if let Some((from, _)) = self.channels.iter().find(|(_, to)| to.trim().is_empty()) {
            return Err(format!("channels maps {from:?} to an empty channel"));
        }
        if let Some(field) = self
            .defaults
            .keys()
            .find(|f| !canonical_fields.contains(&f.as_str()))
        {
            return Err(format!(
                "defaults names unknown field {field:?}; known fields: {}",
                canonical_fields.join(", ")
            ));
        }
        Ok(())
    }
}

/// [`ValueMaps`] ready for lookups: keys compared trimmed and in lower case.
#[derive(Debug)]
pub(crate) struct ResolvedMaps {
    speakers: HashMap<String, Role>,
    channels: HashMap<String, String>,
    /// Channel codes the pipeline file maps onto: known, though not built in.
    own_codes: HashSet<String>,
    defaults: Vec<(String, Value)>,
    /// Speaker prefixes of single-string transcripts, built-in and the map's, when the
    /// map has any (without one, [`crate::record`] splits transcripts).
    transcript_prefix: Option<Regex>,
}

fn key(value: &str) -> String {
    value.trim().to_lowercase()
}

/// The speaker labels [`crate::record::split_transcript`] knows as prefixes, and a few
/// more a map adds to.
const BUILT_IN_PREFIXES: &[&str] = &[
    "坐席",
    "客服",
    "客户",
    "用户",
    "顾客",
    "人工",
    "商家",
    "卖家",
    "小二",
    "买家",
    "系统",
    "机器人",
    "Agent",
    "Customer",
    "agent",
    "customer",
    "A",
    "C",
];

impl ResolvedMaps {
    pub(crate) fn new(maps: &ValueMaps) -> Result<Self, String> {
        let mut speakers = HashMap::new();
        for (from, to) in &maps.speakers {
            let role = role_of_target(to).ok_or_else(|| {
                format!(
                    "speakers maps {from:?} to {to:?}; use one of {}",
                    SPEAKER_TARGETS.join(", ")
                )
            })?;
            speakers.insert(key(from), role);
        }
        let channels: HashMap<String, String> = maps
            .channels
            .iter()
            .map(|(from, to)| (key(from), to.trim().to_string()))
            .collect();
        let transcript_prefix = if maps.speakers.is_empty() {
            None
        } else {
            let mut labels: Vec<&str> = BUILT_IN_PREFIXES.to_vec();
            labels.extend(maps.speakers.keys().map(|k| k.trim()));
            // Longest first, so `客服主管` is not read as `客服` and a body.
            labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
            let alternatives: Vec<String> = labels.iter().map(|l| regex::escape(l)).collect();
            Some(
                Regex::new(&format!(
                    r"(?:^|[\s。！？；，,.!?])((?:{})\s*[:：])",
                    alternatives.join("|")
                ))
                .map_err(|e| format!("speaker labels do not make a pattern: {e}"))?,
            )
        };
        Ok(ResolvedMaps {
            speakers,
            own_codes: channels.values().cloned().collect(),
            channels,
            defaults: maps
                .defaults
                .iter()
                .map(|(field, value)| (field.clone(), Value::String(value.clone())))
                .collect(),
            transcript_prefix,
        })
    }

    /// Whether records can take ingest's direct reading, which knows only the built-in
    /// speakers and fills no defaults.
    pub(crate) fn allow_direct_reading(&self) -> bool {
        self.speakers.is_empty() && self.defaults.is_empty()
    }

    /// The role of a speaker value: the map's, else the built-in one.
    pub(crate) fn role(&self, label: &str) -> Option<Role> {
        self.speakers
            .get(&key(label))
            .copied()
            .or_else(|| role_of(label))
    }

    /// The channel code of an export's channel value, or `None` when it has none (it is
    /// then kept as written, and counted as unknown).
    pub(crate) fn channel_code(&self, value: &str) -> Option<&str> {
        self.channels
            .get(&key(value))
            .map(String::as_str)
            .or_else(|| voc_core::channel::code_of(value))
    }

    /// Whether a stored channel value is a code voc knows or the pipeline file maps onto.
    pub(crate) fn is_known_channel(&self, channel: &str) -> bool {
        voc_core::channel::is_code(channel) || self.own_codes.contains(channel)
    }

    /// Fills the defaults a record lacks and puts its speakers in voc's words, before the
    /// record is read into a contact: turns given as a list get their role (system turns
    /// dropped), a single-string transcript is split at the map's prefixes. Anything
    /// this cannot read is left for [`crate::record::contact_from_json`] to refuse.
    pub(crate) fn apply(&self, value: &mut Value) -> Result<(), FieldError> {
        let Some(obj) = value.as_object_mut() else {
            return Ok(());
        };
        for (field, default) in &self.defaults {
            let missing = match obj.get(field) {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.trim().is_empty(),
                Some(_) => false,
            };
            if missing {
                obj.insert(field.clone(), default.clone());
            }
        }
        if let Some(Value::Array(turns)) = obj.get_mut("turns") {
            let mut index = 0;
            let mut unknown = None;
            turns.retain_mut(|turn| {
                let i = index;
                index += 1;
                let Some(label) = turn.get("speaker").and_then(Value::as_str) else {
                    return true;
                };
                match self.role(label) {
                    Some(Role::System) => false,
                    Some(Role::Speaker(speaker)) => {
                        turn["speaker"] = Value::String(speaker.as_str().to_string());
                        true
                    }
                    None => {
                        unknown.get_or_insert((i, label.to_string()));
                        true
                    }
                }
            });
            if let Some((i, label)) = unknown {
                return Err(FieldError {
                    field: format!("turns[{i}].speaker"),
                    reason: format!(
                        "unknown speaker {label:?}: map it in [input.speakers] to one of {}",
                        SPEAKER_TARGETS.join(", ")
                    ),
                });
            }
        }
        if let Some(prefix) = &self.transcript_prefix {
            let transcript = ["transcript", "turns", "text"]
                .into_iter()
                .find_map(|field| Some((field, obj.get(field)?.as_str()?)));
            if let Some((field, text)) = transcript
                && let Some(turns) = crate::record::split_at_prefixes(prefix, text, |label| {
                    self.role(label).map(|role| match role {
                        Role::Speaker(speaker) => Some(speaker),
                        Role::System => None,
                    })
                })
            {
                let turns: Vec<Value> = turns
                    .into_iter()
                    .map(|t| serde_json::json!({"speaker": t.speaker.as_str(), "text": t.text}))
                    .collect();
                obj.remove(field);
                obj.remove("transcript");
                obj.remove("text");
                obj.insert("turns".into(), Value::Array(turns));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn maps(speakers: &[(&str, &str)], defaults: &[(&str, &str)]) -> ResolvedMaps {
        let owned = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        ResolvedMaps::new(&ValueMaps {
            speakers: owned(speakers),
            channels: owned(&[("热线A", "hotline_a")]),
            defaults: owned(defaults),
        })
        .unwrap()
    }

    #[test]
    fn built_in_speakers_cover_common_exports() {
        for label in [
            "helpdesk", "客服", "坐席", "人工", "商家", "卖家", "小二", " Staff ",
        ] {
            assert_eq!(
                role_of(label),
                Some(Role::Speaker(Speaker::Agent)),
                "{label}"
            );
        }
        for label in [
            "customer", "user", "client", "用户", "客户", "买家", "顾客", "会员",
        ] {
            assert_eq!(
                role_of(label),
                Some(Role::Speaker(Speaker::Customer)),
                "{label}"
            );
        }
        for label in ["system", "机器人", "系统"] {
            assert_eq!(role_of(label), Some(Role::System), "{label}");
        }
        assert_eq!(role_of("路人"), None);
    }

    #[test]
    fn turn_lists_take_the_map_and_drop_system_turns() {
        let m = maps(&[("小蜜", "system"), ("掌柜", "agent")], &[]);
        let mut record = json!({"id": "1", "turns": [
            {"speaker": "买家", "text": "发货了吗"},
            {"speaker": "小蜜", "text": "您好，我是机器人"},
            {"speaker": "掌柜", "text": "今天发"},
        ]});
        m.apply(&mut record).unwrap();
        assert_eq!(
            record["turns"],
            json!([{"speaker": "customer", "text": "发货了吗"}, {"speaker": "agent", "text": "今天发"}])
        );
        let mut record = json!({"turns": [{"speaker": "customer", "text": "x"}, {"speaker": "路人", "text": "y"}]});
        let err = m.apply(&mut record).unwrap_err();
        assert_eq!(err.field, "turns[1].speaker");
        assert!(err.reason.contains("[input.speakers]"), "{}", err.reason);
    }

    #[test]
    fn transcripts_split_at_the_maps_prefixes() {
        let m = maps(&[("掌柜", "agent")], &[]);
        let mut record = json!({"transcript": "买家：发货了吗 系统：转人工 掌柜：今天发"});
        m.apply(&mut record).unwrap();
        assert_eq!(
            record["turns"],
            json!([{"speaker": "customer", "text": "发货了吗"}, {"speaker": "agent", "text": "今天发"}])
        );
        assert!(record.get("transcript").is_none());
        // Prose stays a work order.
        let mut record = json!({"text": "客户反映掌柜：不发货"});
        m.apply(&mut record).unwrap();
        assert_eq!(record["text"], "客户反映掌柜：不发货");
    }

    #[test]
    fn defaults_fill_only_what_a_record_lacks() {
        let m = maps(
            &[],
            &[("channel", "weibo"), ("started_at", "2018-01-01 00:00:00")],
        );
        let mut record = json!({"id": "1", "channel": " ", "started_at": "2026-11-02 09:00:00"});
        m.apply(&mut record).unwrap();
        assert_eq!(record["channel"], "weibo");
        assert_eq!(record["started_at"], "2026-11-02 09:00:00");
        assert!(!m.allow_direct_reading());
    }

    #[test]
    fn channels_map_onto_codes_and_unknown_ones_are_told() {
        let m = maps(&[], &[]);
        assert_eq!(m.channel_code("电话"), Some("voice"));
        assert_eq!(m.channel_code("热线a"), Some("hotline_a"));
        assert_eq!(m.channel_code("信鸽"), None);
        assert!(m.is_known_channel("hotline_a") && m.is_known_channel("voice"));
        assert!(!m.is_known_channel("信鸽"));
    }

    #[test]
    fn a_speaker_mapped_to_no_role_is_refused() {
        let maps = ValueMaps {
            speakers: [("客服".to_string(), "staff".to_string())].into(),
            ..ValueMaps::default()
        };
        assert!(maps.check(&["id"]).unwrap_err().contains("agent, customer"));
        assert!(ResolvedMaps::new(&maps).is_err());
        let maps = ValueMaps {
            defaults: [("colour".to_string(), "x".to_string())].into(),
            ..ValueMaps::default()
        };
        assert!(maps.check(&["id"]).unwrap_err().contains("colour"));
    }
}
