//! Turning one source record (a JSON object) into a canonical [`Contact`], or saying
//! precisely which field is wrong.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use std::borrow::Cow;
use voc_core::{Contact, Speaker, Turn, time::china_offset};

/// Why a record was refused: the field and a reason an analyst can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// How a number in a time column is read (`[input] time_unit`). Without one, a number is
/// never a time: a mobile number or an amount in the wrong column read as epoch seconds
/// gave a plausible-looking date, and epoch milliseconds of year 5138 became "the latest
/// week".
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    EpochSeconds,
    EpochMillis,
    /// Days since 1899-12-30 (Excel's 1900 date system), in China time.
    ExcelSerial,
}

/// The contact dates accepted: a date outside is quarantined as implausible (`0001-01-01`,
/// `9999-12-31`), as it would make its week "the latest week" of the report. Both ends
/// are inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    pub earliest: DateTime<FixedOffset>,
    pub latest: DateTime<FixedOffset>,
    /// `latest` is this many days after the run.
    pub days_after_run: u32,
}

impl DateWindow {
    /// The earliest date accepted unless the pipeline says otherwise.
    pub const DEFAULT_EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
    /// How many days after the run a contact may be dated (clocks of exporting systems
    /// drift, and a run may be started in another time zone).
    pub const DEFAULT_DAYS_AFTER_RUN: u32 = 7;

    /// From midnight of `earliest` (China time) to `days_after` days after `now`.
    pub fn new(earliest: NaiveDate, now: DateTime<Utc>, days_after: u32) -> Self {
        DateWindow {
            earliest: voc_core::time::china_midnight(earliest),
            latest: (now + chrono::Duration::days(i64::from(days_after)))
                .with_timezone(&china_offset()),
            days_after_run: days_after,
        }
    }

    pub fn contains(&self, at: &DateTime<FixedOffset>) -> bool {
        self.earliest <= *at && *at <= self.latest
    }

    /// Why `at` (of `field`) is refused, naming the bound it crosses, or `None` when it
    /// is inside. The reason does not name the run's date: the quarantine of a batch
    /// reads the same whichever day it is run.
    pub fn check(&self, field: &str, at: &DateTime<FixedOffset>) -> Option<FieldError> {
        let bound = if *at < self.earliest {
            format!(
                "before {} ([input] earliest_date)",
                self.earliest.format("%Y-%m-%d")
            )
        } else if *at > self.latest {
            format!(
                "more than {} days after the run ([input] latest_days_after_run)",
                self.days_after_run
            )
        } else {
            return None;
        };
        Some(FieldError::new(
            field,
            format!(
                "implausible date in {field}: {} is {bound}",
                at.to_rfc3339()
            ),
        ))
    }
}

impl Default for DateWindow {
    /// The default window around the current time.
    fn default() -> Self {
        DateWindow::new(
            DateWindow::DEFAULT_EARLIEST,
            Utc::now(),
            DateWindow::DEFAULT_DAYS_AFTER_RUN,
        )
    }
}

/// Maps a JSON object onto the canonical record. Text is taken as it is; normalization
/// and masking happen afterwards in one place. Numbers in the time column are read in
/// `time_unit`, and are no time without one.
pub fn contact_from_json(
    value: &Value,
    time_unit: Option<TimeUnit>,
) -> Result<Contact, FieldError> {
    let obj = value
        .as_object()
        .ok_or_else(|| FieldError::new("", "record is not a JSON object"))?;
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(FieldError::new("id", "missing contact id"));
        }
        Some(other) => {
            return Err(FieldError::new(
                "id",
                format!("expected a string, found {}", type_name(other)),
            ));
        }
    };
    let started_at = match obj.get("started_at") {
        None | Some(Value::Null) => {
            return Err(FieldError::new("started_at", "missing start time"));
        }
        Some(v) => parse_time(v, time_unit).ok_or_else(|| {
            let number = match v {
                Value::Number(_) => true,
                Value::String(s) => s.trim().parse::<f64>().is_ok(),
                _ => false,
            };
            let hint = if number && time_unit.is_none() {
                ": a number is a time only in a column declared so ([input] time_unit = \"epoch_seconds\", \"epoch_millis\" or \"excel_serial\")"
            } else {
                ""
            };
            FieldError::new(
                "started_at",
                format!("cannot parse time {}{hint}", short(v)),
            )
        })?,
    };
    let turns = turns_of(obj)?;
    Ok(Contact {
        id,
        started_at,
        channel: opt_string(obj, "channel")?.unwrap_or_else(|| "unknown".to_string()),
        duration_s: opt_u32(obj, "duration_s")?,
        wait_s: opt_u32(obj, "wait_s")?,
        customer_id: opt_string(obj, "customer_id")?,
        region: opt_string(obj, "region")?,
        business: opt_string(obj, "business")?,
        agent_id: opt_string(obj, "agent_id")?,
        queue: opt_string(obj, "queue")?,
        csat: match opt_u32(obj, "csat")? {
            None => None,
            Some(v @ 1..=5) => Some(v as u8),
            Some(v) => return Err(FieldError::new("csat", format!("score {v} is outside 1–5"))),
        },
        resolved: opt_bool(obj, "resolved")?,
        turns,
    })
}

/// A JSON Lines record in the canonical shape, read straight into its fields: strings
/// borrowed from the line where they have no escapes, no `serde_json::Value` built.
/// Building a `Value` and then copying out of it took a fifth of ingest's time (the
/// stage at 100k contacts: 350 → 285 ms).
#[derive(serde::Deserialize)]
struct CanonicalRecord<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    started_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel: Option<Cow<'a, str>>,
    duration_s: Option<u64>,
    wait_s: Option<u64>,
    #[serde(borrow)]
    customer_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    business: Option<Cow<'a, str>>,
    #[serde(borrow)]
    agent_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    queue: Option<Cow<'a, str>>,
    csat: Option<u64>,
    resolved: Option<bool>,
    #[serde(borrow)]
    turns: Option<Vec<CanonicalTurn<'a>>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    transcript: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct CanonicalTurn<'a> {
    #[serde(borrow)]
    speaker: Cow<'a, str>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

/// The contact of a JSON Lines record whose fields all have their canonical types, as
/// [`contact_from_json`] would make it; `None` for anything else (a number where a
/// string is expected, a duplicate key, a value out of range, a missing field, not
/// JSON), which then takes the general path, and that path gives the reasons.
pub fn canonical_contact(line: &str, time_unit: Option<TimeUnit>) -> Option<Contact> {
    contact_of_canonical(serde_json::from_str(line).ok()?, time_unit)
}

/// The same for a record a source read into a value (a CSV or XLSX row): read straight
/// from the value, without the general path's checks field by field.
pub fn canonical_contact_of_value(value: &Value, time_unit: Option<TimeUnit>) -> Option<Contact> {
    canonical_contact_from(value, time_unit)
}

/// The same for a record a source can hand to serde as a map of its fields (a Parquet
/// row read from its columns, with no value built per cell).
pub fn canonical_contact_from<'de, D: serde::Deserializer<'de>>(
    record: D,
    time_unit: Option<TimeUnit>,
) -> Option<Contact> {
    contact_of_canonical(serde::Deserialize::deserialize(record).ok()?, time_unit)
}

fn contact_of_canonical(
    record: CanonicalRecord<'_>,
    time_unit: Option<TimeUnit>,
) -> Option<Contact> {
    let id = trimmed(record.id.as_deref())?;
    let started_at = parse_time_str(record.started_at?.trim(), time_unit)?;
    let u32_of = |v: Option<u64>| match v {
        None => Some(None),
        Some(v) => u32::try_from(v).ok().map(Some),
    };
    let turns = match (record.transcript, record.turns, record.text) {
        (Some(transcript), _, _) => transcript_turns(&transcript),
        (None, Some(items), _) => items
            .into_iter()
            .map(|turn| {
                Some(Turn {
                    speaker: parse_speaker(&turn.speaker)?,
                    text: turn.text.into_owned(),
                })
            })
            .collect::<Option<Vec<Turn>>>()?,
        (None, None, Some(text)) => transcript_turns(&text),
        (None, None, None) => return None,
    };
    Some(Contact {
        id,
        started_at,
        channel: trimmed(record.channel.as_deref()).unwrap_or_else(|| "unknown".to_string()),
        duration_s: u32_of(record.duration_s)?,
        wait_s: u32_of(record.wait_s)?,
        customer_id: trimmed(record.customer_id.as_deref()),
        region: trimmed(record.region.as_deref()),
        business: trimmed(record.business.as_deref()),
        agent_id: trimmed(record.agent_id.as_deref()),
        queue: trimmed(record.queue.as_deref()),
        csat: match record.csat {
            None => None,
            Some(v @ 1..=5) => Some(v as u8),
            Some(_) => return None,
        },
        resolved: record.resolved,
        turns,
    })
}

/// A string field as the record keeps it: trimmed, and absent when blank.
fn trimmed(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A single-string transcript split into turns, or one work-order note if it has no
/// speaker prefixes.
fn transcript_turns(text: &str) -> Vec<Turn> {
    split_transcript(text).unwrap_or_else(|| {
        vec![Turn {
            speaker: Speaker::Note,
            text: text.to_string(),
        }]
    })
}

/// Renames source columns to canonical fields; columns not in the mapping pass through
/// unchanged (so canonical names need no mapping).
pub fn map_columns(value: &Value, columns: &std::collections::BTreeMap<String, String>) -> Value {
    let Some(obj) = value.as_object() else {
        return value.clone();
    };
    let mut out = Map::with_capacity(obj.len());
    for (key, v) in obj {
        let target = columns.get(key).unwrap_or(key);
        // A mapped column wins over a same-named unmapped one.
        if columns.contains_key(key) || !out.contains_key(target) {
            out.insert(target.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Speaker prefixes of single-string transcripts: `坐席：`, `客户:`, `A:`, `C：` …
fn speaker_prefix() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?:^|[\s。！？；，,.!?])((?:坐席|客服|客户|用户|顾客|Agent|Customer|agent|customer|A|C)\s*[:：])")
            .expect("speaker prefix pattern")
    })
}

/// Splits `坐席：您好 客户：宽带断了` into turns. `None` when the text does not start
/// with a speaker prefix (a work order written as prose).
pub fn split_transcript(text: &str) -> Option<Vec<Turn>> {
    split_at_prefixes(speaker_prefix(), text, |label| {
        parse_speaker(label).map(Some)
    })
}

/// Splits `text` at the speaker prefixes `prefix` finds (group 1 is the label with its
/// colon). `label` says whom a label names: `None`, no speaker (the prefix is text);
/// `Some(None)`, a turn that is dropped (a system message). `None` when the text does
/// not start with a prefix.
pub(crate) fn split_at_prefixes(
    prefix: &regex::Regex,
    text: &str,
    label: impl Fn(&str) -> Option<Option<Speaker>>,
) -> Option<Vec<Turn>> {
    let text = text.trim();
    let marks: Vec<(usize, usize, Option<Speaker>)> = prefix
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(1)?;
            let name = m.as_str().trim_end_matches([':', '：']).trim();
            Some((m.start(), m.end(), label(name)?))
        })
        .collect();
    if marks.first().is_none_or(|(start, _, _)| *start != 0) {
        return None;
    }
    let turns = marks
        .iter()
        .enumerate()
        .filter_map(|(i, (_, body_start, speaker))| {
            let body_end = marks.get(i + 1).map_or(text.len(), |next| next.0);
            let body = text[*body_start..body_end].trim();
            let speaker = (*speaker)?;
            (!body.is_empty()).then(|| Turn {
                speaker,
                text: body.to_string(),
            })
        })
        .collect();
    Some(turns)
}

fn turns_of(obj: &Map<String, Value>) -> Result<Vec<Turn>, FieldError> {
    if let Some(Value::String(transcript)) = obj
        .get("transcript")
        .or_else(|| obj.get("turns").filter(|t| t.is_string()))
    {
        return Ok(transcript_turns(transcript));
    }
    match (obj.get("turns"), obj.get("text")) {
        (Some(Value::Array(items)), _) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = format!("turns[{i}]");
                let speaker = match item.get("speaker").and_then(Value::as_str) {
                    Some(s) => parse_speaker(s).ok_or_else(|| {
                        FieldError::new(
                            &format!("{field}.speaker"),
                            format!("unknown speaker {s:?}"),
                        )
                    })?,
                    None => {
                        return Err(FieldError::new(
                            &format!("{field}.speaker"),
                            "missing speaker",
                        ));
                    }
                };
                let text = item.get("text").and_then(Value::as_str).ok_or_else(|| {
                    FieldError::new(&format!("{field}.text"), "missing or non-string text")
                })?;
                Ok(Turn {
                    speaker,
                    text: text.to_string(),
                })
            })
            .collect(),
        (Some(Value::Null) | None, Some(Value::String(text))) => Ok(transcript_turns(text)),
        (Some(other), _) if !other.is_null() => Err(FieldError::new(
            "turns",
            format!("expected an array of turns, found {}", type_name(other)),
        )),
        (_, Some(other)) if !other.is_null() => Err(FieldError::new(
            "text",
            format!("expected a string, found {}", type_name(other)),
        )),
        _ => Err(FieldError::new(
            "turns",
            "record has neither turns nor text",
        )),
    }
}

/// Speaker labels as exports write them: English, Chinese, or the A/C of ASR systems.
pub fn parse_speaker(label: &str) -> Option<Speaker> {
    match label.trim().to_lowercase().as_str() {
        "agent" | "坐席" | "客服" | "a" | "staff" | "helpdesk" | "service" | "seller" | "人工"
        | "人工客服" | "商家" | "卖家" | "小二" => Some(Speaker::Agent),
        "customer" | "客户" | "用户" | "c" | "user" | "client" | "buyer" | "买家" | "顾客"
        | "会员" => Some(Speaker::Customer),
        "note" | "工单" | "备注" => Some(Speaker::Note),
        _ => None,
    }
}

/// Times as Chinese exports write them, read in China time unless an offset is given:
/// RFC 3339, `2026-11-02 09:15:02`, `2026/11/2 9:15`, `20261102091502`. A number (or a
/// string of one) is read in `time_unit` when the column declares one, and otherwise
/// only as the digits of one of those forms.
pub fn parse_time(value: &Value, time_unit: Option<TimeUnit>) -> Option<DateTime<FixedOffset>> {
    match (value, time_unit) {
        (Value::Number(n), Some(unit)) => time_of_number(n.as_f64()?, unit),
        (Value::Number(n), None) => parse_time_str(&n.to_string(), None),
        (Value::String(s), _) => parse_time_str(s.trim(), time_unit),
        _ => None,
    }
}

/// A number in a declared unit, whatever its value: a date outside the plausible window
/// is refused as implausible afterwards, naming it, rather than as unreadable.
fn time_of_number(n: f64, unit: TimeUnit) -> Option<DateTime<FixedOffset>> {
    // Beyond ±1e15 days or ms no date chrono holds is left: and the casts stay exact.
    if !n.is_finite() || n.abs() > 1.0e15 {
        return None;
    }
    let offset = china_offset();
    let millis = match unit {
        TimeUnit::EpochSeconds => (n * 1000.0).round(),
        TimeUnit::EpochMillis => n.round(),
        TimeUnit::ExcelSerial => {
            // Serial 1 is 1900-01-01, but Excel counts the non-existent 1900-02-29, so
            // day 0 of the modern range is 1899-12-30. Serial dates carry no zone.
            let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
            let local = base.checked_add_signed(chrono::Duration::try_milliseconds(
                (n * 86_400_000.0).round() as i64,
            )?)?;
            return offset.from_local_datetime(&local).single();
        }
    };
    DateTime::from_timestamp_millis(millis as i64).map(|t| t.with_timezone(&offset))
}

fn parse_time_str(s: &str, time_unit: Option<TimeUnit>) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    if let Some(unit) = time_unit
        && let Ok(n) = s.parse::<f64>()
    {
        return time_of_number(n, unit);
    }
    const FORMATS: [&str; 9] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y年%m月%d日 %H:%M:%S",
        "%Y年%m月%d日 %H:%M",
        "%Y%m%d%H%M%S",
    ];
    FORMATS.iter().find_map(|f| {
        NaiveDateTime::parse_from_str(s, f)
            .ok()
            .and_then(|t| china_offset().from_local_datetime(&t).single())
    })
}

fn opt_string(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(trimmed(Some(s))),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(FieldError::new(
            field,
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

fn opt_u32(obj: &Map<String, Value>, field: &str) -> Result<Option<u32>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::Number(n)) => match n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        }) {
            Some(v) if v <= u64::from(u32::MAX) => Ok(Some(v as u32)),
            _ => Err(FieldError::new(
                field,
                format!("expected a non-negative whole number, found {n}"),
            )),
        },
        Some(Value::String(s)) => {
            s.trim().parse().map(Some).map_err(|_| {
                FieldError::new(field, format!("expected a whole number, found {s:?}"))
            })
        }
        Some(other) => Err(FieldError::new(
            field,
            format!("expected a number, found {}", type_name(other)),
        )),
    }
}

fn opt_bool(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.trim().to_lowercase().as_str() {
            "" => Ok(None),
            "true" | "yes" | "y" | "1" | "是" | "已解决" => Ok(Some(true)),
            "false" | "no" | "n" | "0" | "否" | "未解决" => Ok(Some(false)),
            _ => Err(FieldError::new(
                field,
                format!("expected true/false or 是/否, found {s:?}"),
            )),
        },
        Some(other) => Err(FieldError::new(
            field,
            format!("expected true/false, found {}", type_name(other)),
        )),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn work_order_text_becomes_a_note_turn() {
        let c = contact_from_json(
            &json!({"id": 7, "started_at": "2026/11/2 9:15", "text": "客户反映宽带断网"}),
            None,
        )
        .unwrap();
        assert_eq!(c.id, "7");
        assert_eq!(c.turns[0].speaker, Speaker::Note);
        assert_eq!(c.started_at.to_rfc3339(), "2026-11-02T09:15:00+08:00");
    }

    #[test]
    fn times_in_the_forms_exports_use() {
        let t = |v: Value| parse_time(&v, None).map(|t| t.to_rfc3339());
        let expect = Some("2026-11-02T09:15:00+08:00".to_string());
        assert_eq!(t(json!("2026/11/2 9:15")), expect);
        assert_eq!(t(json!("2026-11-02 09:15:00")), expect);
        assert_eq!(
            t(json!("2026-11-02T01:15:00Z")).unwrap(),
            "2026-11-02T01:15:00+00:00"
        );
        // The digits of a written form, as a number or a string.
        assert_eq!(t(json!(20261102091500u64)), expect);
        assert_eq!(t(json!("20261102091500")), expect);
        assert_eq!(t(json!("昨天")), None);
        assert_eq!(t(json!(42)), None);
    }

    /// Without a declared unit a number is no time (a mobile number read as epoch
    /// seconds is a date in 2407); with one, numbers and strings of them are read in it.
    #[test]
    fn numbers_are_times_only_in_a_declared_unit() {
        let t = |v: Value, unit| parse_time(&v, unit).map(|t| t.to_rfc3339());
        let expect = Some("2026-11-02T09:15:00+08:00".to_string());
        for number in [
            json!(46328.385416667),
            json!("46328.385416667"),
            json!(1_793_582_100),
            json!(1_793_582_100_000i64),
            json!(13812345678u64),
        ] {
            assert_eq!(t(number, None), None);
        }
        // 46328 is 2026-11-02 in Excel's 1900 system; .385416667 is 09:15.
        let serial = Some(TimeUnit::ExcelSerial);
        assert_eq!(t(json!(46328.385416667), serial), expect);
        assert_eq!(t(json!("46328.385416667"), serial), expect);
        let seconds = Some(TimeUnit::EpochSeconds);
        assert_eq!(t(json!(1_793_582_100), seconds), expect);
        assert_eq!(t(json!(" 1793582100 "), seconds), expect);
        let millis = Some(TimeUnit::EpochMillis);
        assert_eq!(t(json!(1_793_582_100_000i64), millis), expect);
        // Text still reads in a declared column.
        assert_eq!(t(json!("2026/11/2 9:15"), millis), expect);
        // Absurd values of a declared unit are dates (refused later as implausible)
        // or nothing, never a panic.
        assert!(t(json!(1e300), serial).is_none());
        assert!(t(json!(-1e14), millis).unwrap().starts_with('-'));
        assert!(t(json!(9.9e14), serial).is_none());
        let err = contact_from_json(
            &json!({"id": "a", "started_at": 13812345678u64, "text": "x"}),
            None,
        )
        .unwrap_err();
        assert_eq!(err.field, "started_at");
        assert!(err.reason.contains("time_unit"), "{}", err.reason);
    }

    #[test]
    fn the_date_window_names_the_field_value_and_window() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let window = DateWindow::new(DateWindow::DEFAULT_EARLIEST, now, 7);
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        assert!(
            window
                .check("started_at", &at("2000-01-01T00:00:00+08:00"))
                .is_none()
        );
        assert!(
            window
                .check("started_at", &at("2026-12-14T10:00:00+08:00"))
                .is_none()
        );
        let late = window
            .check("started_at", &at("2026-12-14T10:00:01+08:00"))
            .unwrap();
        assert_eq!(late.field, "started_at");
        assert_eq!(
            late.reason,
            "implausible date in started_at: 2026-12-14T10:00:01+08:00 is more than 7 days after the run ([input] latest_days_after_run)"
        );
        let early = window
            .check("started_at", &at("1999-12-31T23:59:59+08:00"))
            .unwrap();
        assert_eq!(
            early.reason,
            "implausible date in started_at: 1999-12-31T23:59:59+08:00 is before 2000-01-01 ([input] earliest_date)"
        );
        assert!(
            window
                .check("started_at", &at("0001-01-01T00:00:00+08:00"))
                .is_some()
        );
        assert!(
            window
                .check("started_at", &at("9999-12-31T00:00:00+08:00"))
                .is_some()
        );
    }

    #[test]
    fn single_string_transcripts_are_split_into_turns() {
        let turns = split_transcript(
            "坐席：您好，请问有什么可以帮您？ 客户：我家宽带断了。坐席: 我帮您报障",
        )
        .unwrap();
        assert_eq!(turns.len(), 3);
        assert_eq!(turns[0].speaker, Speaker::Agent);
        assert_eq!(turns[1].speaker, Speaker::Customer);
        assert_eq!(turns[1].text, "我家宽带断了。");
        assert_eq!(turns[2].text, "我帮您报障");
        let turns = split_transcript("A: 你好 C: 网速慢").unwrap();
        assert_eq!(
            turns.iter().map(|t| t.speaker).collect::<Vec<_>>(),
            vec![Speaker::Agent, Speaker::Customer]
        );
        assert!(
            split_transcript("客户反映套餐C: 扣费异常").is_none(),
            "prose is a work order"
        );
        let c = contact_from_json(
            &json!({"id": 1, "started_at": 1762046100, "text": "客户：网速慢 坐席：好的"}),
            Some(TimeUnit::EpochSeconds),
        )
        .unwrap();
        assert_eq!(c.turns.len(), 2);
    }

    #[test]
    fn column_mapping_renames_source_fields() {
        let columns = [
            ("工单编号", "id"),
            ("创建时间", "started_at"),
            ("内容", "text"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let mapped = map_columns(
            &json!({"工单编号": "W1", "创建时间": "2026/11/2 9:15", "内容": "宽带断网", "channel": "voice"}),
            &columns,
        );
        let c = contact_from_json(&mapped, None).unwrap();
        assert_eq!((c.id.as_str(), c.channel.as_str()), ("W1", "voice"));
    }

    /// Candidate values of each field, as JSON text (`None`: the key is absent). Some
    /// have the canonical type, some another type the general path accepts, some are
    /// refused.
    const FIELD_VALUES: &[(&str, &[Option<&str>])] = &[
        (
            "id",
            &[
                Some(r#""C1""#),
                Some(r#"" C2 ""#),
                Some("7"),
                Some(r#""""#),
                Some(r#"" ""#),
                Some("null"),
                None,
                Some("[1]"),
            ],
        ),
        (
            "started_at",
            &[
                Some(r#""2026-11-02T09:15:02+08:00""#),
                Some(r#""2026/11/2 9:15""#),
                Some(r#"" 1793582100 ""#),
                Some("1793582100"),
                Some("46328.385"),
                Some(r#""昨天""#),
                Some("null"),
                None,
            ],
        ),
        (
            "channel",
            &[
                Some(r#""voice""#),
                Some(r#"" wechat ""#),
                Some(r#""""#),
                Some("12"),
                Some("null"),
                Some("true"),
                None,
            ],
        ),
        (
            "region",
            &[
                Some(r#""广东""#),
                Some(r#""  ""#),
                Some("44"),
                Some("null"),
                Some("{}"),
                None,
            ],
        ),
        (
            "duration_s",
            &[
                Some("300"),
                Some("0"),
                Some("12.0"),
                Some("12.5"),
                Some("-3"),
                Some(r#""300""#),
                Some(r#""""#),
                Some("4294967296"),
                Some("null"),
                None,
            ],
        ),
        (
            "csat",
            &[
                Some("1"),
                Some("5"),
                Some("0"),
                Some("6"),
                Some(r#""4""#),
                Some("4.0"),
                Some("null"),
                None,
            ],
        ),
        (
            "resolved",
            &[
                Some("true"),
                Some("false"),
                Some("1"),
                Some(r#""是""#),
                Some("null"),
                None,
            ],
        ),
        (
            "turns",
            &[
                Some(
                    r#"[{"speaker":"customer","text":"宽带断了"},{"speaker":"坐席","text":"您好\n请稍等"}]"#,
                ),
                Some(r#"[{"speaker":"A","text":"x","extra":1}]"#),
                Some("[]"),
                Some(r#"[{"speaker":"路人","text":"x"}]"#),
                Some(r#"[{"text":"x"}]"#),
                Some(r#"[{"speaker":"customer","text":5}]"#),
                Some(r#"["x"]"#),
                Some(r#""坐席：您好 客户：宽带断了""#),
                Some("null"),
                Some("3"),
                None,
            ],
        ),
        (
            "text",
            &[
                Some(r#""客户反映宽带断网""#),
                Some(r#""客户：网速慢 坐席：好的""#),
                Some("null"),
                Some("5"),
                None,
            ],
        ),
        (
            "transcript",
            &[
                Some(r#""A: 你好 C: 网速慢""#),
                Some(r#""没有前缀的工单""#),
                Some("null"),
                Some("[]"),
                None,
            ],
        ),
    ];

    /// A record of the chosen value of each field (`picks[i]` indexes field i's
    /// candidates), optionally with the first field written twice.
    fn record_line(picks: &[usize], duplicate: bool) -> String {
        let mut parts: Vec<String> = Vec::new();
        for ((field, values), &pick) in FIELD_VALUES.iter().zip(picks) {
            if let Some(value) = values[pick % values.len()] {
                parts.push(format!("\"{field}\":{value}"));
            }
        }
        if duplicate && let Some(first) = parts.first().cloned() {
            parts.push(first.replace("C1", "C9"));
        }
        format!("{{{}}}", parts.join(","))
    }

    /// Whatever the direct reading accepts, it reads as the general path does.
    fn assert_same_as_general_path(line: &str) -> bool {
        let unit = Some(TimeUnit::EpochSeconds);
        let Some(fast) = canonical_contact(line, unit) else {
            return false;
        };
        let value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            canonical_contact_of_value(&value, unit).as_ref(),
            Some(&fast)
        );
        assert_eq!(Ok(fast), contact_from_json(&value, unit), "{line}");
        true
    }

    #[test]
    fn canonical_records_read_directly_as_through_a_json_value() {
        let typical = record_line(&[0; 10], false);
        assert!(assert_same_as_general_path(&typical), "{typical}");
        // Each candidate of each field in an otherwise typical record.
        let mut direct = 0;
        for (field, values) in FIELD_VALUES.iter().enumerate() {
            for pick in 0..values.1.len() {
                let mut picks = [0; 10];
                picks[field] = pick;
                direct += usize::from(assert_same_as_general_path(&record_line(&picks, false)));
            }
        }
        assert_eq!(direct, 40, "records read directly");
        let with_escapes =
            r#"{"id":"C\u0031","started_at":"2026-11-02 09:15:02","text":"他说\"断网\"了"}"#;
        assert!(assert_same_as_general_path(with_escapes));
        // Another type, a value out of range, a duplicate key: the general path.
        for line in [
            r#"{"id":7,"started_at":"2026-11-02 09:15:02","text":"x"}"#,
            r#"{"id":"a","started_at":"2026-11-02 09:15:02","csat":0,"text":"x"}"#,
            r#"{"id":"a","started_at":"2026-11-02 09:15:02","duration_s":12.0,"text":"x"}"#,
            r#"{"id":"a","id":"b","started_at":"2026-11-02 09:15:02","text":"x"}"#,
            r#"{"id":"a","started_at":"2026-11-02 09:15:02","turns":"坐席：您好"}"#,
            "not json",
        ] {
            assert!(canonical_contact(line, None).is_none(), "{line}");
            // Read into a value, a duplicate key is gone (the last one kept): read
            // directly or not, the value gives what the general path makes of it.
            if let Ok(value) = serde_json::from_str::<Value>(line)
                && let Some(direct) = canonical_contact_of_value(&value, None)
            {
                assert_eq!(Ok(direct), contact_from_json(&value, None), "{line}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn any_mix_of_field_values_reads_as_through_a_json_value(
            // Mostly the first, canonical candidates, so that many records are read
            // directly and the rest of the candidates are mixed into them.
            picks in proptest::collection::vec(
                proptest::prop_oneof![4 => 0usize..2, 1 => 0usize..12],
                10,
            ),
            duplicate in proptest::bool::ANY,
        ) {
            assert_same_as_general_path(&record_line(&picks, duplicate));
        }
    }

    #[test]
    fn field_errors_name_the_field() {
        let err = contact_from_json(
            &json!({"started_at": "2026-11-02 09:15:02", "text": "x"}),
            None,
        )
        .unwrap_err();
        assert_eq!(err.field, "id");
        let err = contact_from_json(&json!({"id": "a", "started_at": "昨天", "text": "x"}), None)
            .unwrap_err();
        assert_eq!(err.field, "started_at");
        let err = contact_from_json(
            &json!({"id": "a", "started_at": 1762046102, "csat": "很好", "text": "x"}),
            Some(TimeUnit::EpochSeconds),
        )
        .unwrap_err();
        assert_eq!(err.field, "csat");
        let err = contact_from_json(&json!({"id": "a", "started_at": "2026-11-02 09:15:02", "turns": [{"speaker": "路人", "text": "x"}]}), None).unwrap_err();
        assert_eq!(err.field, "turns[0].speaker");
    }
}
