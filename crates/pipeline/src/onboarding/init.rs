//! `voc init`: a pipeline folder for the user's own files. Each file is sniffed (format,
//! encoding, sheet, columns) and a sample of its rows read; the column map, the shape
//! (one record per row, or one message per row grouped by session) and the speaker
//! and channel maps are guessed, each with a comment saying why, and written with a
//! starter taxonomy and dictionaries.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use voc_ingest::sniff::{self, Peek};
use voc_ingest::{Encoding, IngestError, InputFile};

use super::starter;

/// Rows read from each file to guess from.
const SAMPLE_ROWS: usize = 2000;
/// Distinct values listed in a speaker or channel map at most.
const MAX_MAPPED_VALUES: usize = 30;

/// What `voc init` guessed about one file.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub path: PathBuf,
    pub peek: Peek,
    /// Records the file holds.
    pub records: u64,
    /// One per header, in file order.
    pub columns: Vec<ColumnGuess>,
    /// Set when the file holds one message per row.
    pub messages: Option<MessagesGuess>,
    /// Values of the sender column (message-per-row files).
    pub speakers: Vec<ValueGuess>,
    /// Values of the channel column.
    pub channels: Vec<ValueGuess>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnGuess {
    pub header: String,
    /// The canonical field it fills; `None`: left unmapped.
    pub field: Option<&'static str>,
    pub why: String,
}

/// The columns of a message-per-row export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagesGuess {
    pub session: (String, String),
    pub order: Option<(String, String)>,
    /// A sender column (`客服`/`用户`), or else an is-agent flag column.
    pub sender: Option<(String, String)>,
    pub is_agent: Option<(String, String)>,
    pub text: (String, String),
}

/// A value seen in a column and what it probably means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueGuess {
    pub value: String,
    pub count: u64,
    /// `agent`, `customer`, `system`; `voice`, `chat` …; `None`: no guess.
    pub target: Option<&'static str>,
    /// voc maps this value by default (a channel's Chinese name): no entry needed.
    pub by_default: bool,
    pub why: String,
}

/// What one column's sampled values look like.
#[derive(Debug, Default)]
struct ColumnStats {
    non_empty: usize,
    distinct: BTreeMap<String, u64>,
    /// Runs of equal consecutive values.
    runs: usize,
    chars: usize,
    times: usize,
    numbers: usize,
}

impl ColumnStats {
    fn of(rows: &[serde_json::Map<String, serde_json::Value>], header: &str) -> Self {
        let mut stats = ColumnStats::default();
        let mut last: Option<String> = None;
        for row in rows {
            let value = match row.get(header) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.trim().to_string(),
                Some(other) => other.to_string(),
            };
            if last.as_ref() != Some(&value) {
                stats.runs += 1;
                last = Some(value.clone());
            }
            if value.is_empty() {
                continue;
            }
            stats.non_empty += 1;
            stats.chars += value.chars().count();
            if let Some(v) = row.get(header)
                && voc_ingest::record::parse_time(v, None).is_some()
                && !value.bytes().all(|b| b.is_ascii_digit())
            {
                stats.times += 1;
            }
            if value.parse::<f64>().is_ok() {
                stats.numbers += 1;
            }
            *stats.distinct.entry(value).or_default() += 1;
        }
        stats
    }

    fn share(&self, n: usize) -> f64 {
        if self.non_empty == 0 {
            0.0
        } else {
            n as f64 / self.non_empty as f64
        }
    }

    fn mean_chars(&self) -> f64 {
        self.share(self.chars)
    }
}

/// Sniffs `path` and reads a sample of its rows to guess how to read it.
pub fn propose(path: &Path) -> Result<Proposal, IngestError> {
    let mut input = InputFile::new(path);
    let peek = sniff::peek(&input)?;
    if let Some(encoding) = peek.encoding {
        input.encoding = encoding;
    }
    input.sheet = peek.sheet.clone();
    let (rows, records) = sniff::sample_values(&input, SAMPLE_ROWS)?;
    let stats: Vec<ColumnStats> = peek
        .headers
        .iter()
        .map(|h| ColumnStats::of(&rows, h))
        .collect();
    let mut columns = guess_columns(&peek.headers, &stats);
    let messages = guess_messages(&peek.headers, &stats, &columns, rows.len());
    if let Some(m) = &messages {
        // Session, sender, order and text are the messages block's; the session is
        // also the contact id.
        for column in &mut columns {
            let header = column.header.as_str();
            if header == m.session.0 {
                column.field = Some("id");
                column.why = "the session column: one contact per session".into();
            } else if column.field == Some("id") {
                column.field = None;
                column.why = format!("an id of each message; the contact id is {:?}", m.session.0);
            } else if [&m.order, &m.sender, &m.is_agent]
                .iter()
                .any(|c| c.as_ref().is_some_and(|(h, _)| h == header))
                || header == m.text.0
            {
                column.field = None;
                column.why = "read by [input.source.messages]".into();
            }
        }
    }
    let values_of = |header: &str| -> Vec<(String, u64)> {
        let i = peek.headers.iter().position(|h| h == header);
        let mut values: Vec<(String, u64)> = i
            .map(|i| stats[i].distinct.clone().into_iter().collect())
            .unwrap_or_default();
        values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        values.truncate(MAX_MAPPED_VALUES);
        values
    };
    let speakers = messages
        .as_ref()
        .and_then(|m| m.sender.as_ref())
        .map(|(h, _)| values_of(h).into_iter().map(speaker_guess).collect())
        .unwrap_or_default();
    let channels = columns
        .iter()
        .find(|c| c.field == Some("channel"))
        .map(|c| {
            values_of(&c.header)
                .into_iter()
                .filter(|(v, _)| !voc_core::channel::is_code(v))
                .map(channel_guess)
                .collect()
        })
        .unwrap_or_default();
    Ok(Proposal {
        path: path.to_path_buf(),
        peek,
        records,
        columns,
        messages,
        speakers,
        channels,
    })
}

/// A field for each header by its name, then the required fields still missing by the
/// look of the values: times, long text, unique ids.
fn guess_columns(headers: &[String], stats: &[ColumnStats]) -> Vec<ColumnGuess> {
    let named: Vec<Option<(&'static str, &'static str)>> =
        headers.iter().map(|h| sniff::guess_field(h)).collect();
    let mut columns: Vec<ColumnGuess> = Vec::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        let Some((field, name)) = named[i] else {
            columns.push(ColumnGuess {
                header: header.clone(),
                field: None,
                why: "no canonical field guessed".into(),
            });
            continue;
        };
        // The best-named header of a field takes it: an exact name, then the longest.
        let rank = |(_, n): (&str, &str), h: &str| (h.to_lowercase() == n, n.chars().count());
        let winner = (0..headers.len())
            .filter(|&j| named[j].is_some_and(|(f, _)| f == field))
            .max_by_key(|&j| {
                (
                    rank(named[j].unwrap_or_default(), &headers[j]),
                    usize::MAX - j,
                )
            })
            .unwrap_or(i);
        if winner != i {
            columns.push(ColumnGuess {
                header: header.clone(),
                field: None,
                why: format!("looks like {field} too, but {:?} fills it", headers[winner]),
            });
            continue;
        }
        let mut why = if header.to_lowercase() == name {
            format!("{header:?} is a usual name of {field}")
        } else {
            format!("the name contains {name:?}")
        };
        if field == "started_at" {
            let _ = write!(
                why,
                "; {:.0}% of sampled values read as times",
                stats[i].share(stats[i].times) * 100.0
            );
        }
        columns.push(ColumnGuess {
            header: header.clone(),
            field: Some(field),
            why,
        });
    }
    let free = |columns: &[ColumnGuess], i: usize| columns[i].field.is_none();
    let has = |columns: &[ColumnGuess], field: &str| columns.iter().any(|c| c.field == Some(field));
    if !has(&columns, "started_at")
        && let Some(i) = (0..headers.len())
            .filter(|&i| free(&columns, i) && stats[i].share(stats[i].times) >= 0.8)
            .max_by(|&a, &b| stats[a].times.cmp(&stats[b].times))
    {
        columns[i].field = Some("started_at");
        columns[i].why = format!(
            "{:.0}% of sampled values read as times",
            stats[i].share(stats[i].times) * 100.0
        );
    }
    if !has(&columns, "text")
        && let Some(i) = (0..headers.len())
            .filter(|&i| {
                free(&columns, i)
                    && stats[i].mean_chars() >= 6.0
                    && stats[i].share(stats[i].numbers) < 0.5
            })
            .max_by(|&a, &b| stats[a].mean_chars().total_cmp(&stats[b].mean_chars()))
    {
        columns[i].field = Some("text");
        columns[i].why = format!(
            "the longest values (mean {:.0} characters)",
            stats[i].mean_chars()
        );
    }
    if !has(&columns, "id")
        && let Some(i) = (0..headers.len()).find(|&i| {
            free(&columns, i)
                && stats[i].non_empty > 1
                && stats[i].distinct.len() == stats[i].non_empty
                && stats[i].times == 0
                && stats[i].mean_chars() <= 40.0
        })
    {
        columns[i].field = Some("id");
        columns[i].why = "every sampled value is different".into();
    }
    columns
}

const SENDER_NAMES: &[&str] = &[
    "发送方",
    "发送者",
    "发送人",
    "发言人",
    "发言方",
    "说话人",
    "角色",
    "身份",
    "sender",
    "role",
    "speaker",
    "from",
];
const IS_AGENT_NAMES: &[&str] = &[
    "是否客服",
    "是否坐席",
    "是否人工",
    "is_agent",
    "is_staff",
    "isagent",
    "from_agent",
];
const ORDER_NAMES: &[&str] = &[
    "发送时间",
    "消息时间",
    "时间",
    "序号",
    "顺序",
    "轮次",
    "seq",
    "order",
    "time",
];

/// The message-per-row shape: a column whose values repeat over consecutive rows (the
/// session), a sender column with few distinct values or an is-agent flag, and a text
/// column.
fn guess_messages(
    headers: &[String],
    stats: &[ColumnStats],
    columns: &[ColumnGuess],
    rows: usize,
) -> Option<MessagesGuess> {
    if rows < 4 {
        return None;
    }
    let lower: Vec<String> = headers.iter().map(|h| h.to_lowercase()).collect();
    let named =
        |names: &[&str]| (0..headers.len()).find(|&i| names.iter().any(|n| lower[i].contains(n)));
    let text = columns.iter().position(|c| c.field == Some("text"))?;
    let sender = named(SENDER_NAMES).filter(|&i| i != text).or_else(|| {
        (0..headers.len()).find(|&i| {
            i != text
                && (2..=6).contains(&stats[i].distinct.len())
                && stats[i].distinct.keys().any(|v| speaker_of(v).is_some())
        })
    });
    let is_agent = if sender.is_none() {
        named(IS_AGENT_NAMES).filter(|&i| i != text)
    } else {
        None
    };
    let speaker_column = sender.or(is_agent)?;
    let session = (0..headers.len())
        .filter(|&i| {
            i != text
                && i != speaker_column
                && stats[i].non_empty * 10 >= rows * 9
                && stats[i].distinct.len() >= 2
                && rows as f64 / stats[i].runs as f64 >= 1.5
                && stats[i].times == 0
        })
        // An id-like name first, then the fewest runs.
        .min_by_key(|&i| (columns[i].field != Some("id"), stats[i].runs))?;
    let order = (0..headers.len())
        .filter(|&i| ![text, speaker_column, session].contains(&i))
        .filter(|&i| ORDER_NAMES.iter().any(|n| lower[i].contains(n)) || stats[i].times > 0)
        .max_by_key(|&i| (stats[i].times, usize::MAX - i));
    let runs = stats[session].runs;
    Some(MessagesGuess {
        session: (
            headers[session].clone(),
            format!("its values repeat over consecutive rows ({rows} sampled rows in {runs} runs)"),
        ),
        order: order.map(|i| {
            let why = if stats[i].times > 0 {
                "message times".to_string()
            } else {
                "the name says it orders messages".to_string()
            };
            (headers[i].clone(), why)
        }),
        sender: sender.map(|i| {
            let values: Vec<&str> = stats[i]
                .distinct
                .keys()
                .map(String::as_str)
                .take(6)
                .collect();
            (
                headers[i].clone(),
                format!("few distinct values: {}", values.join(", ")),
            )
        }),
        is_agent: is_agent.map(|i| {
            (
                headers[i].clone(),
                "the name says it flags agent messages".into(),
            )
        }),
        text: (headers[text].clone(), columns[text].why.clone()),
    })
}

/// Who a sender value names.
fn speaker_of(value: &str) -> Option<&'static str> {
    const AGENT: &[&str] = &[
        "客服",
        "坐席",
        "商家",
        "卖家",
        "人工",
        "店小二",
        "工作人员",
        "agent",
        "staff",
        "helpdesk",
        "service",
        "support",
        "seller",
    ];
    const CUSTOMER: &[&str] = &[
        "用户",
        "客户",
        "买家",
        "顾客",
        "访客",
        "会员",
        "来电人",
        "customer",
        "user",
        "buyer",
        "visitor",
        "client",
    ];
    const SYSTEM: &[&str] = &["系统", "机器人", "自动回复", "system", "bot", "robot"];
    let lower = value.trim().to_lowercase();
    [(AGENT, "agent"), (CUSTOMER, "customer"), (SYSTEM, "system")]
        .iter()
        .find(|(words, _)| words.iter().any(|w| lower.contains(w)))
        .map(|(_, role)| *role)
}

/// `seen 1 time`, `seen 3 times`.
fn seen(count: u64) -> String {
    if count == 1 {
        "seen 1 time".to_string()
    } else {
        format!("seen {count} times")
    }
}

fn speaker_guess((value, count): (String, u64)) -> ValueGuess {
    let target = speaker_of(&value);
    let why = match target {
        Some(role) => format!("{value:?} names the {role}, {}", seen(count)),
        None => format!("not recognised, {}: say who it is", seen(count)),
    };
    ValueGuess {
        value,
        count,
        target,
        by_default: false,
        why,
    }
}

/// Guesses for channel names voc does not map by default (`voc_core::channel`).
const GUESSED_CHANNELS: &[(&str, &str)] = &[
    ("热线", "voice"),
    ("来电", "voice"),
    ("呼出", "voice"),
    ("外呼", "voice"),
    ("phone", "voice"),
    ("call", "voice"),
    ("聊天", "chat"),
    ("web", "chat"),
    ("im", "chat"),
    ("公众号", "wechat"),
    ("小程序", "wechat"),
    ("mail", "email"),
    ("短信", "sms"),
    ("app", "app"),
    ("抖音", "social"),
];

fn channel_guess((value, count): (String, u64)) -> ValueGuess {
    let lower = value.trim().to_lowercase();
    if let Some(channel) = voc_core::channel::code_of(&value) {
        return ValueGuess {
            why: format!("voc's default channel map reads {value:?} as {channel}"),
            value,
            count,
            target: Some(channel),
            by_default: true,
        };
    }
    let target = GUESSED_CHANNELS
        .iter()
        .find(|(name, _)| lower.contains(name))
        .map(|(_, channel)| *channel);
    let why = match target {
        Some(channel) => format!("{value:?} sounds like {channel}, {}", seen(count)),
        None => format!(
            "not recognised, {}: one of {}, or its own name",
            seen(count),
            voc_core::channel::CHANNELS
                .iter()
                .map(|c| c.code)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    ValueGuess {
        value,
        count,
        target,
        by_default: false,
        why,
    }
}

/// `key = value  # guess: why`, the comments lined up.
fn guessed_line(out: &mut String, line: &str, why: &str) {
    let width: usize = line.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    let pad = 34usize.saturating_sub(width).max(1);
    let _ = writeln!(out, "{line}{:pad$}# guess: {why}", "");
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The pipeline file for `proposals`, each read from its path as written in `paths`
/// (relative to the pipeline's folder).
pub fn pipeline_toml(name: &str, proposals: &[Proposal], paths: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by `voc init`. Every guess says why: check them, then run\n\
         #   voc check weekly.toml    (a sample: what would be accepted or quarantined, and why)\n\
         #   voc run weekly.toml\n\
         # Relative paths are relative to this file. pipelines/demo/weekly.toml shows every\n\
         # other setting ([kpi] targets, [staffing], [pii]).\n"
    );
    let _ = writeln!(
        out,
        "[pipeline]\nname = {}\nclient = \"\"\n# \"latest\" = the newest ISO week in the data; or a week such as \"2026-W46\".\nperiod = \"latest\"\n",
        toml_string(name)
    );
    let _ = writeln!(
        out,
        "[input]\n# The run stops when more than this share of records is quarantined: that many\n# bad records usually means a wrong column mapping.\nmax_quarantine_rate = 0.05"
    );
    for (proposal, path) in proposals.iter().zip(paths) {
        write_source(&mut out, proposal, path);
    }
    let _ = writeln!(
        out,
        "\n[output]\ndir = \"out\"\n\n[text]\ndictionaries = [\"userdict.txt\"]\n# Left out of word statistics, kept in the tokens.\nstopwords = \"stopwords.txt\"\n# Speech-to-text filler words removed from every turn.\nfiller_words = [\"嗯嗯\", \"呃\"]\n\n[classify]\n# A starter taxonomy: edit it to your business (`voc taxonomy` helps).\ntaxonomy = \"taxonomy.toml\"\nrepeat_window_days = 7\n\n[pii]\n# Extra patterns masked on top of mobiles, landlines, ID cards, bank cards and e-mails.\nextra_patterns = []\n\n[report]\ntitle = \"价值分析报告\""
    );
    out
}

fn write_source(out: &mut String, proposal: &Proposal, path: &str) {
    let peek = &proposal.peek;
    let _ = writeln!(out, "\n[[input.source]]");
    // Comments show column names masked: a file without a header row has its first
    // record there.
    let masker = voc_ingest::PiiMasker::new(&[]).ok();
    let mask = |text: &str| masker.as_ref().map_or(text.to_string(), |m| m.mask(text).0);
    let headers: Vec<&str> = peek.headers.iter().map(String::as_str).collect();
    let _ = writeln!(
        out,
        "# {} records, format {} (by the file name); headers: {}",
        proposal.records,
        peek.format.name(),
        mask(&headers.join(", "))
    );
    let _ = writeln!(out, "path = {}", toml_string(path));
    if let Some(encoding) = peek.encoding.filter(|e| !matches!(e, Encoding::Utf8)) {
        guessed_line(
            out,
            &format!("encoding = {}", toml_string(sniff::encoding_name(encoding))),
            "the file is not valid UTF-8; GB18030 also reads GBK",
        );
    }
    if let Some(sheet) = &peek.sheet {
        let why = if peek.sheets.len() > 1 {
            format!("the first sheet (sheets: {})", peek.sheets.join(", "))
        } else {
            "the only sheet".to_string()
        };
        guessed_line(out, &format!("sheet = {}", toml_string(sheet)), &why);
    }
    let _ = writeln!(out, "[input.source.columns]");
    let missing: Vec<&str> = sniff::REQUIRED_FIELDS
        .iter()
        .copied()
        .filter(|field| {
            let messages_fill = proposal.messages.is_some() && *field != "id";
            !messages_fill && !proposal.columns.iter().any(|c| c.field == Some(*field))
        })
        .collect();
    for column in &proposal.columns {
        match column.field {
            Some(field) => guessed_line(
                out,
                &format!("{} = {}", toml_string(&column.header), toml_string(field)),
                &column.why,
            ),
            None => {
                let _ = writeln!(
                    out,
                    "# {} is not mapped: {}",
                    mask(&toml_string(&column.header)),
                    column.why
                );
            }
        }
    }
    for field in missing {
        let _ = writeln!(
            out,
            "# NO COLUMN FOUND for the required field {field}: map one, or every record is quarantined"
        );
    }
    if let Some(m) = &proposal.messages {
        let _ = writeln!(
            out,
            "# One message per row: rows of a session are grouped into one contact."
        );
        let _ = writeln!(out, "[input.source.messages]");
        let entry = |out: &mut String, key: &str, (column, why): &(String, String)| {
            guessed_line(out, &format!("{key} = {}", toml_string(column)), why);
        };
        entry(out, "session", &m.session);
        if let Some(order) = &m.order {
            entry(out, "order", order);
        }
        if let Some(sender) = &m.sender {
            entry(out, "sender", sender);
        }
        if let Some(is_agent) = &m.is_agent {
            entry(out, "is_agent", is_agent);
        }
        entry(out, "text", &m.text);
        if !proposal.speakers.is_empty() {
            let _ = writeln!(out, "[input.source.speakers]");
            write_value_map(out, &proposal.speakers, "customer");
        }
    }
    if !proposal.channels.is_empty() {
        if proposal.channels.iter().all(|c| c.by_default) {
            let _ = writeln!(
                out,
                "# Every channel value seen is one voc maps by default; to map them otherwise:"
            );
            let _ = writeln!(out, "# [input.source.channels]");
            for c in &proposal.channels {
                let line = format!(
                    "# {} = {}",
                    toml_string(&c.value),
                    toml_string(c.target.unwrap_or("voice"))
                );
                guessed_line(out, &line, &c.why);
            }
        } else {
            let _ = writeln!(out, "[input.source.channels]");
            write_value_map(out, &proposal.channels, "voice");
        }
    }
}

/// Map entries, a value with no guess commented out with a placeholder.
fn write_value_map(out: &mut String, values: &[ValueGuess], placeholder: &str) {
    for v in values {
        match v.target {
            Some(target) => guessed_line(
                out,
                &format!("{} = {}", toml_string(&v.value), toml_string(target)),
                &v.why,
            ),
            None => guessed_line(
                out,
                &format!("# {} = {}", toml_string(&v.value), toml_string(placeholder)),
                &v.why,
            ),
        }
    }
}

/// What `voc init` wrote.
#[derive(Debug)]
pub struct InitOutcome {
    pub dir: PathBuf,
    pub pipeline: PathBuf,
    pub proposals: Vec<Proposal>,
}

/// Why `voc init` stopped.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists: choose another folder with --out, or remove it")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// Scaffolds a pipeline folder `dir` for `files`: `weekly.toml`, `taxonomy.toml`,
/// `userdict.txt` and `stopwords.txt` (the taxonomy of `starter` when one is chosen,
/// the small generic one otherwise). Refuses to overwrite a pipeline file.
pub fn init(
    files: &[PathBuf],
    dir: &Path,
    starter: Option<starter::Starter>,
) -> Result<InitOutcome, InitError> {
    let pipeline = dir.join("weekly.toml");
    if pipeline.exists() {
        return Err(InitError::Exists(pipeline));
    }
    let proposals = files
        .iter()
        .map(|f| propose(f))
        .collect::<Result<Vec<_>, _>>()?;
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|source| InitError::Write { path, source })
    };
    std::fs::create_dir_all(dir).map_err(|source| InitError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let paths: Vec<String> = files.iter().map(|f| relative_to(f, dir)).collect();
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "my-data".to_string());
    for (file, text) in [
        (
            "taxonomy.toml",
            starter.map_or(starter::TAXONOMY, starter::Starter::taxonomy),
        ),
        ("userdict.txt", starter::USER_DICTIONARY),
        ("stopwords.txt", starter::STOPWORDS),
    ] {
        let path = dir.join(file);
        if !path.exists() {
            write(path, text)?;
        }
    }
    write(pipeline.clone(), &pipeline_toml(&name, &proposals, &paths))?;
    Ok(InitOutcome {
        dir: dir.to_path_buf(),
        pipeline,
        proposals,
    })
}

/// `file` as a path relative to `dir` (both resolved), or absolute when they share no
/// root.
fn relative_to(file: &Path, dir: &Path) -> String {
    let (Ok(file), Ok(dir)) = (file.canonicalize(), dir.canonicalize()) else {
        return file.display().to_string();
    };
    let file_parts: Vec<Component> = file.components().collect();
    let dir_parts: Vec<Component> = dir.components().collect();
    let common = file_parts
        .iter()
        .zip(&dir_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common <= 1 {
        return file.display().to_string();
    }
    let mut relative = PathBuf::new();
    for _ in common..dir_parts.len() {
        relative.push("..");
    }
    relative.extend(&file_parts[common..]);
    relative.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn propose_text(name: &str, text: &str) -> (tempfile::TempDir, Proposal) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let proposal = propose(&path).unwrap();
        (dir, proposal)
    }

    #[test]
    fn one_record_per_row_columns_are_guessed_by_name_and_by_values() {
        let (_dir, p) = propose_text(
            "tickets.csv",
            "工单编号,受理日期,渠道,问题,备用\n\
             W1,2026-11-02 09:00,电话,宽带断网三天了没人修,x\n\
             W2,2026-11-02 10:00,在线,话费多扣了二十块钱,x\n\
             W3,2026-11-03 10:00,电话,光猫一直闪红灯怎么办,x\n",
        );
        let fields: Vec<(&str, Option<&str>)> = p
            .columns
            .iter()
            .map(|c| (c.header.as_str(), c.field))
            .collect();
        assert_eq!(
            fields,
            [
                ("工单编号", Some("id")),
                ("受理日期", Some("started_at")),
                ("渠道", Some("channel")),
                ("问题", Some("text")),
                ("备用", None)
            ]
        );
        assert!(p.messages.is_none());
        assert!(p.channels.iter().all(|c| c.by_default));
        let toml = pipeline_toml("tickets", &[p], &["tickets.csv".into()]);
        assert!(toml.contains("\"工单编号\" = \"id\""), "{toml}");
        assert!(toml.contains("# [input.source.channels]"), "{toml}");
        // Loads as a pipeline file of today's syntax.
        let parsed: toml::Value = toml::from_str(&toml).unwrap();
        assert_eq!(
            parsed["input"]["source"][0]["columns"]["问题"].as_str(),
            Some("text")
        );
    }

    /// The message-per-row shape and the TOML written for it (the syntax of the
    /// message grouping), as a snapshot.
    #[test]
    fn message_per_row_exports_get_a_messages_block() {
        let (_dir, p) = propose_text(
            "chats.csv",
            "会话ID,渠道,发送时间,发送方,内容\n\
             S1,在线,2026-11-02 09:00:01,用户,你好，我的快递一直没到\n\
             S1,在线,2026-11-02 09:00:09,客服,您好，请提供订单号\n\
             S1,在线,2026-11-02 09:01:00,用户,订单号是123456\n\
             S2,热线,2026-11-02 10:00:00,买家,申请退款一直没到账\n\
             S2,热线,2026-11-02 10:00:30,店小二,亲，马上为您处理\n\
             S2,热线,2026-11-02 10:00:40,机器人,本次服务已结束\n\
             S3,在线,2026-11-02 11:00:00,用户,账号登不上去\n\
             S3,在线,2026-11-02 11:00:20,访客X,?\n",
        );
        let m = p.messages.as_ref().expect("message shape");
        assert_eq!(m.session.0, "会话ID");
        assert_eq!(m.order.as_ref().unwrap().0, "发送时间");
        assert_eq!(m.sender.as_ref().unwrap().0, "发送方");
        assert_eq!(m.text.0, "内容");
        let toml = pipeline_toml("chats", &[p], &["../data/chats.csv".into()]);
        let source =
            &toml[toml.find("[[input.source]]").unwrap()..toml.find("\n[output]").unwrap()];
        let expected = r#"[[input.source]]
# 8 records, format csv (by the file name); headers: 会话ID, 渠道, 发送时间, 发送方, 内容
path = "../data/chats.csv"
[input.source.columns]
"会话ID" = "id"                   # guess: the session column: one contact per session
"渠道" = "channel"                # guess: "渠道" is a usual name of channel
# "发送时间" is not mapped: read by [input.source.messages]
# "发送方" is not mapped: read by [input.source.messages]
# "内容" is not mapped: read by [input.source.messages]
# One message per row: rows of a session are grouped into one contact.
[input.source.messages]
session = "会话ID"                # guess: its values repeat over consecutive rows (8 sampled rows in 3 runs)
order = "发送时间"                # guess: message times
sender = "发送方"                 # guess: few distinct values: 买家, 客服, 店小二, 机器人, 用户, 访客X
text = "内容"                     # guess: "内容" is a usual name of text
[input.source.speakers]
"用户" = "customer"               # guess: "用户" names the customer, seen 3 times
"买家" = "customer"               # guess: "买家" names the customer, seen 1 time
"客服" = "agent"                  # guess: "客服" names the agent, seen 1 time
"店小二" = "agent"                # guess: "店小二" names the agent, seen 1 time
"机器人" = "system"               # guess: "机器人" names the system, seen 1 time
"访客X" = "customer"              # guess: "访客X" names the customer, seen 1 time
# Every channel value seen is one voc maps by default; to map them otherwise:
# [input.source.channels]
# "在线" = "chat"                 # guess: voc's default channel map reads "在线" as chat
# "热线" = "voice"                # guess: voc's default channel map reads "热线" as voice
"#;
        assert_eq!(source, expected, "{source}");
        let parsed: toml::Value = toml::from_str(&toml).unwrap();
        assert_eq!(
            parsed["input"]["source"][0]["messages"]["session"].as_str(),
            Some("会话ID")
        );
    }

    #[test]
    fn an_is_agent_flag_stands_for_the_sender() {
        let (_dir, p) = propose_text(
            "im.csv",
            "消息ID,会话编号,时间,是否客服,消息内容\n\
             M1,A1,2026-11-02 09:00:01,否,快递一直没到\n\
             M2,A1,2026-11-02 09:00:09,是,您好，请提供订单号\n\
             M3,A2,2026-11-02 10:00:00,否,申请退款一直没到账\n\
             M4,A2,2026-11-02 10:00:30,是,马上为您处理\n",
        );
        let ids: Vec<&str> = p
            .columns
            .iter()
            .filter(|c| c.field == Some("id"))
            .map(|c| c.header.as_str())
            .collect();
        assert_eq!(ids, ["会话编号"], "one contact id: the session");
        let m = p.messages.expect("message shape");
        assert_eq!(m.session.0, "会话编号");
        assert_eq!(m.is_agent.unwrap().0, "是否客服");
        assert_eq!(m.sender, None);
        assert_eq!(m.order.unwrap().0, "时间");
        assert!(p.speakers.is_empty());
    }

    #[test]
    fn paths_are_written_relative_to_the_pipeline_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::create_dir_all(dir.path().join("pipe")).unwrap();
        let file = dir.path().join("data/a.csv");
        std::fs::write(&file, "a\n").unwrap();
        assert_eq!(
            relative_to(&file, &dir.path().join("pipe")),
            "../data/a.csv"
        );
    }
}
