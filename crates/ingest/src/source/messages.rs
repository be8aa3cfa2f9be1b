//! Exports with one row per message (chat and ticket systems: session id, time, sender
//! or an is-agent flag, text) grouped into one record per contact, as the rows are read.
//!
//! The rows of a session must come together (a file sorted by session, in any order
//! within it): a session is handed on when the next one starts, so memory holds one
//! session's rows and the ids of the sessions seen. A session id that comes back after
//! another session started stops the file with an error naming the file, row and id,
//! rather than splitting the contact in two or holding the whole file.
//!
//! What a record is here: a session (one contact), or a row refused on its own (it
//! cannot be read, has no session id, or its sender is unknown), which is quarantined
//! naming its row and column; system messages are dropped. [`MessageRowStats`] counts
//! the rows: `rows = in_contacts + refused + system`.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

use super::{RawRecord, RawValue};
use crate::value_maps::{ResolvedMaps, Role};
use voc_core::Speaker;

/// Which columns of a message-per-row export hold what (`[input.source.messages]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageColumns {
    /// The session (contact) id.
    pub session: String,
    /// Orders the messages of a session: a time or a sequence number. The first
    /// message's time (when it is a time) is the contact's `started_at` when no column
    /// maps to it.
    #[serde(default)]
    pub order: Option<String>,
    /// Who sent the message, read through the speaker map.
    #[serde(default)]
    pub sender: Option<String>,
    /// Or a flag: the message is the agent's (1/true/是) or the customer's (0/false/否).
    #[serde(default)]
    pub is_agent: Option<String>,
    /// The message text.
    pub text: String,
}

impl MessageColumns {
    /// Why this cannot be read (no sender column or two), for the pipeline file's check.
    pub fn check(&self) -> Result<(), String> {
        match (&self.sender, &self.is_agent) {
            (Some(_), Some(_)) => Err("messages: give sender or is_agent, not both".into()),
            (None, None) => Err("messages: name the sender column (sender = \"…\") or an \
                                 is-agent flag column (is_agent = \"…\")"
                .into()),
            _ => Ok(()),
        }
    }

    /// The columns a message row must have.
    pub fn required(&self) -> impl Iterator<Item = &str> {
        [
            Some(&self.session),
            self.order.as_ref(),
            self.sender.as_ref(),
            self.is_agent.as_ref(),
            Some(&self.text),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
    }
}

/// How the rows of message-per-row inputs were used (see the module's documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MessageRowStats {
    /// Rows read.
    pub rows: u64,
    /// Rows grouped into contacts (each contact is one record read).
    pub in_contacts: u64,
    /// Rows quarantined on their own (each is one record read).
    pub refused: u64,
    /// System messages dropped.
    pub system: u64,
    /// Contacts the rows were grouped into.
    pub contacts: u64,
}

impl MessageRowStats {
    pub fn add(&mut self, other: &MessageRowStats) {
        self.rows += other.rows;
        self.in_contacts += other.in_contacts;
        self.refused += other.refused;
        self.system += other.system;
        self.contacts += other.contacts;
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

/// The raw text of a session kept for its quarantine entry: its first rows, up to this.
const RAW_KEEP_BYTES: usize = 4096;

struct Message {
    order: Option<Value>,
    speaker: Speaker,
    text: String,
}

struct Session {
    id: String,
    position: u64,
    raw: String,
    /// The first row's columns other than the message's own: the contact's.
    contact: Map<String, Value>,
    messages: Vec<Message>,
}

/// Groups a message-per-row file's rows into contact records as they are read.
pub(crate) struct SessionGrouper<'a> {
    source: String,
    columns: &'a MessageColumns,
    /// Whether a contact-level column maps to these fields (else they are derived).
    maps_started_at: bool,
    maps_id: bool,
    maps: &'a ResolvedMaps,
    /// How numbers in the order column read as times (`[input] time_unit`).
    time_unit: Option<crate::TimeUnit>,
    current: Option<Session>,
    seen: HashSet<Box<str>>,
    pub(crate) stats: MessageRowStats,
    failed: Option<String>,
}

impl<'a> SessionGrouper<'a> {
    pub(crate) fn new(
        source: String,
        columns: &'a MessageColumns,
        column_map: &BTreeMap<String, String>,
        maps: &'a ResolvedMaps,
        time_unit: Option<crate::TimeUnit>,
    ) -> Self {
        let maps_field = |field: &str| column_map.values().any(|to| to == field);
        SessionGrouper {
            source,
            columns,
            maps_started_at: maps_field("started_at"),
            maps_id: maps_field("id"),
            maps,
            time_unit,
            current: None,
            seen: HashSet::new(),
            stats: MessageRowStats::default(),
            failed: None,
        }
    }

    /// Takes one row; hands `emit` a finished session or a refused row.
    pub(crate) fn push(&mut self, row: RawRecord, emit: &mut dyn FnMut(RawRecord)) {
        if self.failed.is_some() {
            return;
        }
        self.stats.rows += 1;
        let value = match &row.value {
            RawValue::Read(Ok(Value::Object(obj))) => obj.clone(),
            RawValue::Json => match serde_json::from_str::<Value>(&row.raw) {
                Ok(Value::Object(obj)) => obj,
                _ => return self.refuse(row, None, emit),
            },
            RawValue::Decoded { .. } => match row.decoded().value() {
                Ok(v) if v.is_object() => v.into_owned().as_object().cloned().unwrap_or_default(),
                _ => return self.refuse(row.decoded(), None, emit),
            },
            // Unreadable: quarantined with the reason the source gave.
            _ => return self.refuse(row, None, emit),
        };
        let session = match value.get(&self.columns.session) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                let reason = format!("missing session id (column {:?})", self.columns.session);
                return self.refuse(row, Some((self.columns.session.clone(), reason)), emit);
            }
        };
        let speaker = match self.speaker_of(&value) {
            Ok(Role::Speaker(speaker)) => speaker,
            Ok(Role::System) => {
                self.stats.system += 1;
                return;
            }
            Err((field, reason)) => return self.refuse(row, Some((field, reason)), emit),
        };
        let text = match value.get(&self.columns.text) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            // A message with no text (a picture, a file) adds nothing to the contact.
            _ => String::new(),
        };
        let message = Message {
            order: self
                .columns
                .order
                .as_ref()
                .and_then(|c| value.get(c))
                .cloned(),
            speaker,
            text,
        };
        if self.current.as_ref().is_some_and(|s| s.id == session) {
            let current = self.current.as_mut().expect("checked above");
            if current.raw.len() < RAW_KEEP_BYTES {
                current.raw.push('\n');
                current.raw.push_str(&row.raw);
            }
            current.messages.push(message);
            return;
        }
        self.finish_session(emit);
        if self.seen.contains(session.as_str()) {
            self.failed = Some(format!(
                "{} row {}: session {session:?} comes back after another session started; the \
                 rows of a session must come together: sort the file by session id (and time)",
                self.source, row.position
            ));
            return;
        }
        let mut contact = value;
        for column in [
            self.columns.sender.as_ref(),
            self.columns.is_agent.as_ref(),
            Some(&self.columns.text),
        ]
        .into_iter()
        .flatten()
        {
            contact.remove(column);
        }
        self.current = Some(Session {
            id: session,
            position: row.position,
            raw: row.raw,
            contact,
            messages: vec![message],
        });
    }

    /// Hands on the last session; the error that stopped the file, if one did.
    pub(crate) fn finish(
        mut self,
        emit: &mut dyn FnMut(RawRecord),
    ) -> Result<MessageRowStats, String> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.finish_session(emit);
        Ok(self.stats)
    }

    fn speaker_of(&self, row: &Map<String, Value>) -> Result<Role, (String, String)> {
        if let Some(column) = &self.columns.is_agent {
            let flag = match row.get(column) {
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::Number(n)) => n.as_u64().filter(|n| *n <= 1).map(|n| n == 1),
                Some(Value::String(s)) => match s.trim().to_lowercase().as_str() {
                    "1" | "true" | "yes" | "y" | "是" | "客服" => Some(true),
                    "0" | "false" | "no" | "n" | "否" | "客户" => Some(false),
                    _ => None,
                },
                _ => None,
            };
            return match flag {
                Some(true) => Ok(Role::Speaker(Speaker::Agent)),
                Some(false) => Ok(Role::Speaker(Speaker::Customer)),
                None => Err((
                    column.clone(),
                    format!(
                        "is-agent flag {} is neither 1/true/是 nor 0/false/否",
                        row.get(column)
                            .map_or("(missing)".to_string(), Value::to_string)
                    ),
                )),
            };
        }
        let column = self.columns.sender.as_deref().unwrap_or_default();
        let label = match row.get(column) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        self.maps.role(&label).ok_or_else(|| {
            (
                column.to_string(),
                format!(
                    "unknown sender {label:?}: map it in [input.speakers] (or \
                     [input.source.speakers]) to agent, customer, note or system"
                ),
            )
        })
    }

    /// Quarantines one row on its own: one record read. `reason` (field, why) replaces
    /// the source's own when the row could be read.
    fn refuse(
        &mut self,
        row: RawRecord,
        reason: Option<(String, String)>,
        emit: &mut dyn FnMut(RawRecord),
    ) {
        self.stats.refused += 1;
        let value = match reason {
            Some((field, reason)) => RawValue::BadField { field, reason },
            None => match row.value() {
                Ok(_) => RawValue::Read(Err("a message row must be an object of columns".into())),
                Err(_) => row.value.clone(),
            },
        };
        emit(RawRecord {
            position: row.position,
            raw: row.readable().into_owned(),
            value,
        });
    }

    fn finish_session(&mut self, emit: &mut dyn FnMut(RawRecord)) {
        let Some(session) = self.current.take() else {
            return;
        };
        self.stats.contacts += 1;
        self.stats.in_contacts += session.messages.len() as u64;
        let Session {
            id,
            position,
            raw,
            mut contact,
            mut messages,
        } = session;
        sort_by_order(&mut messages, self.time_unit);
        if !self.maps_started_at
            && !contact.contains_key("started_at")
            && let Some(first) = messages.iter().find_map(|m| m.order.clone())
            // A sequence number is no time: the start then comes from a column or a default.
            && crate::record::parse_time(&first, self.time_unit).is_some()
        {
            contact.insert("started_at".into(), first);
        }
        if !self.maps_id && !contact.contains_key("id") {
            contact.insert("id".into(), Value::String(id.clone()));
        }
        let turns = messages
            .into_iter()
            .map(|m| serde_json::json!({"speaker": m.speaker.as_str(), "text": m.text}))
            .collect();
        contact.insert("turns".into(), Value::Array(turns));
        self.seen.insert(id.into_boxed_str());
        emit(RawRecord {
            position,
            raw,
            value: RawValue::Read(Ok(Value::Object(contact))),
        });
    }
}

/// Orders a session's messages by its order column: as times when every value is one,
/// else as numbers when every value is one, else as text; rows without a value, and
/// ties, keep the file's order.
fn sort_by_order(messages: &mut [Message], time_unit: Option<crate::TimeUnit>) {
    let values: Vec<&Value> = messages.iter().filter_map(|m| m.order.as_ref()).collect();
    if values.len() < 2 {
        return;
    }
    if values
        .iter()
        .all(|v| crate::record::parse_time(v, time_unit).is_some())
    {
        messages.sort_by_key(|m| {
            m.order
                .as_ref()
                .and_then(|v| crate::record::parse_time(v, time_unit))
        });
    } else if values.iter().all(|v| number(v).is_some()) {
        messages.sort_by(|a, b| {
            let (a, b) = (
                a.order.as_ref().and_then(number),
                b.order.as_ref().and_then(number),
            );
            a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
        });
    } else {
        messages.sort_by_key(|m| {
            m.order
                .as_ref()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        });
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
