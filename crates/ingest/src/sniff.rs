//! Looking at an input before reading it: its format, encoding, sheet and column names
//! ([`peek`]), whether a column mapping fits them ([`check_mapping`]), and which
//! canonical field a column probably holds ([`guess_field`], [`closest_header`]). What
//! `voc run` checks up front, and what `voc check` and `voc init` show and propose.

use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::source::{self, sniff_encoding};
use crate::{Encoding, Format, IngestError, InputFile};

/// Every field of the canonical record, as a column mapping names them.
pub const CANONICAL_FIELDS: &[&str] = &[
    "id",
    "started_at",
    "channel",
    "duration_s",
    "wait_s",
    "customer_id",
    "region",
    "business",
    "agent_id",
    "queue",
    "csat",
    "resolved",
    "turns",
    "text",
    "transcript",
];

/// The fields a record cannot do without; `text` stands for any of `text`, `turns` or
/// `transcript`.
pub const REQUIRED_FIELDS: &[&str] = &["id", "started_at", "text"];

/// The fields that hold a contact's words.
const TEXT_FIELDS: &[&str] = &["text", "turns", "transcript"];

/// What an input looks like before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peek {
    pub format: Format,
    /// CSV: the encoding given, or the one sniffed from the first bytes.
    pub encoding: Option<Encoding>,
    /// Workbooks: the sheet read, and every sheet of the file.
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    /// Column names: the header row (CSV, workbooks), the schema (Parquet), or the keys
    /// of the first records (JSON Lines). Empty when the file has none (empty file).
    pub headers: Vec<String>,
}

/// JSON Lines records whose keys stand for the file's columns.
const JSONL_PEEK_RECORDS: usize = 100;

/// Reads only as much of `input` as it takes to know its columns.
pub fn peek(input: &InputFile) -> Result<Peek, IngestError> {
    let format = input.format.resolve(&input.path);
    let mut peek = Peek {
        format,
        encoding: None,
        sheet: None,
        sheets: Vec::new(),
        headers: Vec::new(),
    };
    let path = &input.path;
    let name = path.display().to_string();
    let read_error = |source| IngestError::Read {
        path: name.clone(),
        source,
    };
    match format {
        Format::Csv => {
            let mut reader =
                BufReader::with_capacity(1 << 16, std::fs::File::open(path).map_err(read_error)?);
            let head = reader.fill_buf().map_err(read_error)?;
            let encoding = match input.encoding {
                Encoding::Auto => sniff_encoding(head),
                given => given,
            };
            peek.encoding = Some(encoding);
            let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
            let headers = csv.byte_headers().map_err(|e| {
                IngestError::Format(format!("{name}: cannot read the CSV header: {e}"))
            })?;
            peek.headers = headers
                .iter()
                .map(|h| decode(h, encoding))
                .map(|h| h.trim_start_matches('\u{FEFF}').trim().to_string())
                .collect();
        }
        Format::Xlsx => {
            let (sheet, sheets, headers) = workbook_headers(path, input.sheet.as_deref())?;
            peek.sheet = Some(sheet);
            peek.sheets = sheets;
            peek.headers = headers;
        }
        Format::Parquet => peek.headers = parquet_columns(path)?,
        Format::Jsonl | Format::Auto => {
            let reader = BufReader::new(std::fs::File::open(path).map_err(read_error)?);
            let mut seen = 0;
            for line in reader.split(b'\n') {
                let line = line.map_err(read_error)?;
                let Ok(serde_json::Value::Object(record)) = serde_json::from_slice(&line) else {
                    continue;
                };
                for key in record.keys() {
                    if !peek.headers.contains(key) {
                        peek.headers.push(key.clone());
                    }
                }
                seen += 1;
                if seen == JSONL_PEEK_RECORDS {
                    break;
                }
            }
        }
    }
    Ok(peek)
}

/// The name the pipeline file gives an encoding (`gbk`).
pub fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Auto => "auto",
        Encoding::Utf8 => "utf-8",
        Encoding::Gbk => "gbk",
        Encoding::Gb18030 => "gb18030",
    }
}

fn decode(bytes: &[u8], encoding: Encoding) -> String {
    match encoding {
        Encoding::Gbk | Encoding::Gb18030 => encoding_rs::GB18030
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The sheet read (the named one, or the first), every sheet's name, and the sheet's
/// first row with a value, as the workbook reader takes its header.
fn workbook_headers(
    path: &Path,
    sheet: Option<&str>,
) -> Result<(String, Vec<String>, Vec<String>), IngestError> {
    use calamine::{Data, Reader, Sheets};
    let fail = |what: String| IngestError::Format(format!("{}: {what}", path.display()));
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|e| fail(format!("cannot open workbook: {e}")))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(fail(format!(
                "no sheet named {s:?} (sheets: {})",
                names.join(", ")
            )));
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| fail("workbook has no sheets".into()))?,
    };
    let sheet_error = |e: &dyn std::fmt::Display| fail(format!("sheet {name:?}: {e}"));
    let text = |cell: &Data| cell.to_string().trim().to_string();
    let mut headers = Vec::new();
    match &mut workbook {
        Sheets::Xlsx(xlsx) => {
            let mut cells = xlsx
                .worksheet_cells_reader(&name)
                .map_err(|e| sheet_error(&e))?;
            let mut header_row = None;
            while let Some(cell) = cells.next_cell().map_err(|e| sheet_error(&e))? {
                let (row, _) = cell.get_position();
                if header_row.is_some_and(|r| r != row) {
                    break;
                }
                let value = text(&Data::from(cell.get_value().clone()));
                if !value.is_empty() {
                    header_row = Some(row);
                    headers.push(value);
                }
            }
        }
        other => {
            let range = other.worksheet_range(&name).map_err(|e| sheet_error(&e))?;
            if let Some(row) = range
                .rows()
                .find(|cells| cells.iter().any(|c| !matches!(c, Data::Empty)))
            {
                headers = row.iter().map(text).filter(|h| !h.is_empty()).collect();
            }
        }
    }
    Ok((name, names, headers))
}

#[cfg(feature = "parquet")]
fn parquet_columns(path: &Path) -> Result<Vec<String>, IngestError> {
    use polars::prelude::*;
    let fail = |e: &dyn std::fmt::Display| IngestError::Format(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|source| IngestError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let schema = ParquetReader::new(file).schema().map_err(|e| fail(&e))?;
    Ok(schema.iter_names().map(|n| n.to_string()).collect())
}

#[cfg(not(feature = "parquet"))]
fn parquet_columns(path: &Path) -> Result<Vec<String>, IngestError> {
    Err(IngestError::Format(format!(
        "{}: Parquet input needs voc-ingest's `parquet` feature",
        path.display()
    )))
}

/// The first `limit` records of `input` that could be read, as JSON objects of their
/// columns (before mapping), and how many records the file holds. Reads the whole file.
pub fn sample_values(
    input: &InputFile,
    limit: usize,
) -> Result<(Vec<serde_json::Map<String, serde_json::Value>>, u64), IngestError> {
    let mut rows = Vec::new();
    let mut records = 0;
    source::read(input, &mut |record| {
        records += 1;
        if rows.len() < limit
            && let Ok(value) = record.value()
            && let serde_json::Value::Object(object) = value.into_owned()
        {
            rows.push(object);
        }
    })?;
    Ok((rows, records))
}

/// A mapped column the file does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbsentColumn {
    pub column: String,
    pub field: String,
    /// The file's header most like it.
    pub closest: Option<String>,
}

/// A required field no column fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnfilledField {
    pub field: String,
    /// The header that most probably holds it, and why.
    pub closest: Option<String>,
    pub why: Option<String>,
}

/// How a column mapping fits a file's headers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MappingCheck {
    pub absent_columns: Vec<AbsentColumn>,
    pub unfilled: Vec<UnfilledField>,
}

impl MappingCheck {
    pub fn is_ok(&self) -> bool {
        self.absent_columns.is_empty() && self.unfilled.is_empty()
    }

    /// One line per problem, for an error or a report; `section` is where the mapping
    /// is written (`[input.columns]`).
    pub fn problems(&self, section: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for absent in &self.absent_columns {
            let closest = absent
                .closest
                .as_ref()
                .map_or(String::new(), |h| format!(" (closest header: {h:?})"));
            lines.push(format!(
                "{section} maps column {:?} to {}, but the file has no such column{closest}",
                absent.column, absent.field
            ));
        }
        for unfilled in &self.unfilled {
            let what = if unfilled.field == "text" {
                "text (or turns, or transcript)".to_string()
            } else {
                unfilled.field.clone()
            };
            let hint = match (&unfilled.closest, &unfilled.why) {
                (Some(header), Some(why)) => format!(
                    "; closest header {header:?} ({why}): add {header:?} = {:?} to {section}",
                    unfilled.field
                ),
                _ => String::new(),
            };
            lines.push(format!("no column fills the required field {what}{hint}"));
        }
        lines
    }
}

/// [`check_mapping`] for one input as the pipeline reads it: a message-per-row source's
/// own columns (session, order, sender or flag, text) must exist too, and fill `id`,
/// `text` and (from a time in `order`) `started_at`; `[input.defaults]` fill theirs.
pub fn check_input_mapping(headers: &[String], input: &crate::InputFile) -> MappingCheck {
    let mut columns = input.columns.clone();
    let mut also_filled: Vec<&str> = input.values.defaults.keys().map(String::as_str).collect();
    if let Some(messages) = &input.messages {
        let roles = [
            (Some(&messages.session), "messages.session"),
            (messages.order.as_ref(), "messages.order"),
            (messages.sender.as_ref(), "messages.sender"),
            (messages.is_agent.as_ref(), "messages.is_agent"),
            (Some(&messages.text), "messages.text"),
        ];
        for (column, role) in roles {
            if let Some(column) = column {
                columns
                    .entry(column.clone())
                    .or_insert_with(|| role.to_string());
            }
        }
        also_filled.extend(["id", "text"]);
        if messages.order.is_some() {
            also_filled.push("started_at");
        }
    }
    check_mapping(headers, &columns, &also_filled)
}

/// Checks `columns` (source column → canonical field) against a file's `headers`:
/// every mapped column must exist, and the required fields must be filled, by a mapped
/// column or by a column named like the field. `also_filled`: fields filled otherwise
/// (a message-per-row source's session and text columns). No headers (an empty file):
/// nothing to check.
pub fn check_mapping(
    headers: &[String],
    columns: &BTreeMap<String, String>,
    also_filled: &[&str],
) -> MappingCheck {
    let mut check = MappingCheck::default();
    if headers.is_empty() {
        return check;
    }
    for (column, field) in columns {
        if !headers.contains(column) {
            check.absent_columns.push(AbsentColumn {
                column: column.clone(),
                field: field.clone(),
                closest: most_similar(column, headers.iter().map(String::as_str))
                    .map(str::to_string),
            });
        }
    }
    let filled: Vec<&str> = headers
        .iter()
        .map(|h| columns.get(h).unwrap_or(h).as_str())
        .chain(also_filled.iter().copied())
        .collect();
    for &field in REQUIRED_FIELDS {
        // A mapped column that is absent already says what fills the field.
        let meant = |f: &str| {
            check.absent_columns.iter().any(|a| {
                a.field == f || (field == "text" && TEXT_FIELDS.contains(&a.field.as_str()))
            })
        };
        let is_filled = meant(field)
            || if field == "text" {
                TEXT_FIELDS.iter().any(|f| filled.contains(f))
            } else {
                filled.contains(&field)
            };
        if !is_filled {
            // A header already mapped elsewhere is no suggestion.
            let free = headers.iter().filter(|h| !columns.contains_key(*h));
            let closest = closest_header(field, free);
            check.unfilled.push(UnfilledField {
                field: field.to_string(),
                closest: closest.as_ref().map(|(h, _)| h.clone()),
                why: closest.map(|(_, why)| why),
            });
        }
    }
    check
}

/// Column names exports give each canonical field, lower case; a header that is one of
/// them or contains one names that field (the longest match wins: 客户编号 is a
/// customer id, 编号 a contact id).
const FIELD_NAMES: &[(&str, &[&str])] = &[
    (
        "id",
        &[
            "id",
            "编号",
            "工单编号",
            "工单号",
            "工单id",
            "单号",
            "流水号",
            "会话id",
            "会话编号",
            "通话id",
            "通话编号",
            "来电编号",
            "记录id",
            "ticket_id",
            "ticket",
            "session_id",
            "call_id",
            "contact_id",
            "conversation_id",
            "dialogue_id",
        ],
    ),
    (
        "started_at",
        &[
            "started_at",
            "时间",
            "创建时间",
            "来电时间",
            "开始时间",
            "受理时间",
            "发起时间",
            "咨询时间",
            "通话时间",
            "会话时间",
            "提交时间",
            "日期",
            "time",
            "date",
            "datetime",
            "timestamp",
            "created_at",
            "create_time",
            "start_time",
        ],
    ),
    (
        "text",
        &[
            "text",
            "内容",
            "文本",
            "对话",
            "对话内容",
            "通话内容",
            "会话内容",
            "工单内容",
            "问题描述",
            "描述",
            "诉求",
            "留言",
            "评论",
            "评价内容",
            "转写",
            "录音转写",
            "content",
            "message",
            "review",
            "comment",
        ],
    ),
    (
        "channel",
        &[
            "channel",
            "渠道",
            "来源渠道",
            "接入渠道",
            "来电渠道",
            "渠道类型",
        ],
    ),
    (
        "region",
        &[
            "region",
            "地区",
            "省份",
            "省",
            "城市",
            "地市",
            "区域",
            "归属地",
            "province",
            "city",
        ],
    ),
    (
        "business",
        &[
            "business",
            "业务",
            "业务类型",
            "业务类别",
            "产品",
            "品类",
            "商品类别",
            "类别",
            "cat",
            "category",
        ],
    ),
    (
        "duration_s",
        &["duration_s", "时长", "通话时长", "持续时间", "duration"],
    ),
    (
        "wait_s",
        &[
            "wait_s",
            "等待时长",
            "排队时长",
            "等待时间",
            "wait",
            "queue_time",
        ],
    ),
    (
        "customer_id",
        &[
            "customer_id",
            "客户编号",
            "客户id",
            "客户号",
            "用户id",
            "用户编号",
            "会员id",
            "买家id",
            "主叫号码",
            "来电号码",
            "手机号",
            "电话号码",
            "user_id",
            "buyer_id",
        ],
    ),
    (
        "agent_id",
        &[
            "agent_id",
            "坐席工号",
            "坐席编号",
            "坐席id",
            "客服工号",
            "客服id",
            "工号",
            "坐席",
            "agent",
        ],
    ),
    (
        "queue",
        &["queue", "队列", "技能组", "技能队列", "排队队列"],
    ),
    (
        "csat",
        &[
            "csat",
            "满意度",
            "满意度评分",
            "评分",
            "打分",
            "score",
            "rating",
        ],
    ),
    (
        "resolved",
        &["resolved", "是否解决", "已解决", "解决状态", "是否办结"],
    ),
];

/// The canonical field a column name says it holds, and the name it matched.
pub fn guess_field(header: &str) -> Option<(&'static str, &'static str)> {
    let lower = header.trim().to_lowercase();
    // A canonical name is that field (`turns` stays turns, not text).
    if let Some(field) = CANONICAL_FIELDS.iter().find(|f| **f == lower) {
        return Some((field, field));
    }
    FIELD_NAMES
        .iter()
        .flat_map(|(field, names)| names.iter().map(move |name| (*field, *name)))
        .filter(|(_, name)| {
            // An ASCII name is matched as a word: `id` in `paid` is no id.
            lower == *name
                || (!name.is_ascii() && lower.contains(name))
                || (name.is_ascii()
                    && lower
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        .any(|word| word == *name))
        })
        .max_by_key(|(_, name)| (lower == *name, name.chars().count()))
}

/// The header of `headers` most likely to hold `field`, and why: one whose name says
/// so ([`guess_field`]), or else the one most alike in spelling.
pub fn closest_header<'a>(
    field: &str,
    headers: impl Iterator<Item = &'a String> + Clone,
) -> Option<(String, String)> {
    if let Some((header, name)) = headers
        .clone()
        .filter_map(|h| {
            guess_field(h)
                .filter(|(f, _)| *f == field)
                .map(|(_, n)| (h, n))
        })
        .max_by_key(|(_, name)| name.chars().count())
    {
        let why = if header.to_lowercase() == name {
            format!("{header:?} is a usual name of {field}")
        } else {
            format!("the name contains {name:?}")
        };
        return Some((header.clone(), why));
    }
    let names = FIELD_NAMES
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(&[][..], |(_, names)| names);
    headers
        .filter_map(|h| {
            let best = names
                .iter()
                .map(|n| similarity(&h.to_lowercase(), n))
                .fold(0.0, f64::max);
            (best >= 0.5).then_some((h, best))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(h, _)| (h.clone(), "spelled alike".to_string()))
}

/// The name of `names` most alike `name` in spelling (at least half alike).
fn most_similar<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    names
        .map(|n| (n, similarity(&lower, &n.to_lowercase())))
        .filter(|(_, s)| *s >= 0.5)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(n, _)| n)
}

/// 1 − the edit distance in characters over the longer length: 1 for equal names.
fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    1.0 - previous[b.len()] as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn field_guesses_by_chinese_and_english_names() {
        let guess = |h| guess_field(h).map(|(f, _)| f);
        assert_eq!(guess("工单编号"), Some("id"));
        assert_eq!(guess("会话ID"), Some("id"));
        assert_eq!(guess("客户编号"), Some("customer_id"));
        assert_eq!(guess("来电时间"), Some("started_at"));
        assert_eq!(guess("对话内容"), Some("text"));
        assert_eq!(guess("渠道"), Some("channel"));
        assert_eq!(guess("省份"), Some("region"));
        assert_eq!(guess("Ticket ID"), Some("id"));
        assert_eq!(guess("paid"), None);
        assert_eq!(guess("turns"), Some("turns"));
        assert_eq!(guess("Transcript"), Some("transcript"));
        assert_eq!(guess("备用字段"), None);
    }

    #[test]
    fn a_mapping_is_checked_against_the_headers() {
        let headers = strings(&["工单编号", "创建时间", "内容", "渠道"]);
        let columns: BTreeMap<String, String> = [("工单号", "id"), ("渠道", "channel")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let check = check_mapping(&headers, &columns, &[]);
        assert_eq!(check.absent_columns.len(), 1);
        assert_eq!(check.absent_columns[0].closest.as_deref(), Some("工单编号"));
        let unfilled: Vec<(&str, Option<&str>)> = check
            .unfilled
            .iter()
            .map(|u| (u.field.as_str(), u.closest.as_deref()))
            .collect();
        assert_eq!(
            unfilled,
            // id is meant to come from the absent 工单号, which the first problem names.
            [("started_at", Some("创建时间")), ("text", Some("内容"))]
        );
        let problems = check.problems("[input.columns]");
        assert!(
            problems[0].contains(r#"maps column "工单号" to id, but the file has no such column (closest header: "工单编号")"#),
            "{problems:?}"
        );
        assert!(
            problems[1].contains(r#"add "创建时间" = "started_at" to [input.columns]"#),
            "{problems:?}"
        );
        // Canonical names need no mapping; a message source fills text its own way.
        let canonical = strings(&["id", "started_at", "渠道"]);
        let check = check_mapping(&canonical, &BTreeMap::new(), &["text"]);
        assert!(check.is_ok(), "{check:?}");
        assert!(check_mapping(&[], &columns, &[]).is_ok());
    }

    #[test]
    fn peek_reads_headers_of_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("a.csv");
        let (gbk, _, _) = encoding_rs::GBK.encode("工单编号,内容\nW1,宽带断网\n");
        std::fs::write(&csv, &gbk).unwrap();
        let peek = super::peek(&InputFile::new(&csv)).unwrap();
        assert_eq!(peek.headers, ["工单编号", "内容"]);
        assert_eq!(peek.encoding, Some(Encoding::Gb18030));
        let jsonl = dir.path().join("a.jsonl");
        std::fs::write(&jsonl, "{\"id\":1}\nnot json\n{\"id\":2,\"text\":\"x\"}\n").unwrap();
        assert_eq!(
            super::peek(&InputFile::new(&jsonl)).unwrap().headers,
            ["id", "text"]
        );
        let empty = dir.path().join("e.csv");
        std::fs::write(&empty, "").unwrap();
        assert!(
            super::peek(&InputFile::new(&empty))
                .unwrap()
                .headers
                .is_empty()
        );
    }

    #[test]
    fn spelling_similarity() {
        assert_eq!(similarity("abc", "abc"), 1.0);
        assert!((similarity("工单号", "工单编号") - 0.75).abs() < 1e-9);
        assert_eq!(most_similar("xyz", ["工单编号"].into_iter()), None);
    }
}
