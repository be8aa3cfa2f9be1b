//! The pipeline file (`pipelines/*/weekly.toml`): what to read, where to write, which
//! dictionaries and taxonomy to use. Unknown keys are rejected so a typo is an error,
//! not a silently ignored setting. Relative paths are relative to the pipeline file.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read pipeline file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    pub pipeline: PipelineSection,
    pub input: InputSection,
    #[serde(default)]
    pub output: OutputSection,
    #[serde(default)]
    pub text: TextSection,
    pub classify: ClassifySection,
    #[serde(default)]
    pub pii: PiiSection,
    #[serde(default)]
    pub report: ReportSection,
    /// Monthly KPI targets and their definitions (FCR window, SLA threshold …).
    #[serde(default)]
    pub kpi: voc_aggregate::kpi::KpiConfig,
    /// Forecast horizon and the staffing assumptions (SLA target, attendance …).
    #[serde(default)]
    pub staffing: voc_aggregate::staffing::StaffingConfig,
    /// Topic discovery inside `voc run` (`voc discover` on the report period), only when
    /// the block is present: it costs a pass over the period's stored tokens.
    #[serde(default)]
    pub discover: Option<DiscoverSection>,
    /// Key drivers (关联性分析): `[drivers] agent_teams` groups agents into teams, a
    /// dimension of the analysis; without it teams are left out (issue 29).
    #[serde(default)]
    pub drivers: voc_aggregate::drivers::DriverConfig,
    /// Cost break-even (成本临界点): the monthly budget or cost items and the contract's
    /// revenue; the report's cost section exists only when the block is present.
    #[serde(default)]
    pub cost: Option<voc_aggregate::cost::CostConfig>,
}

/// `[discover]`: `voc run` also writes `tables/discover/<period>/` for the report period,
/// timed as the stage `discover`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverSection {
    /// Number of topics; 0 picks √(contacts ÷ 25), between 2 and 30.
    #[serde(default)]
    pub topics: usize,
    #[serde(default = "discover_seed")]
    pub seed: u64,
    /// `customer` (customer turns and work-order notes) or `all`.
    #[serde(default)]
    pub side: voc_discover::Side,
    /// `spectral` (default) or `kmeans++`: how the topics' k-means starts.
    #[serde(default)]
    pub seeding: voc_discover::Seeding,
}

fn discover_seed() -> u64 {
    voc_discover::DiscoverOptions::default().seed
}

impl DiscoverSection {
    pub fn options(&self) -> voc_discover::DiscoverOptions {
        voc_discover::DiscoverOptions {
            side: self.side,
            topics: self.topics,
            seed: self.seed,
            seeding: self.seeding,
            ..voc_discover::DiscoverOptions::default()
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    pub name: String,
    /// Client named on the report cover.
    #[serde(default)]
    pub client: String,
    /// `latest` (the newest ISO week in the batch) or a week such as `2026-W46`.
    #[serde(default = "latest")]
    pub period: String,
}

fn latest() -> String {
    "latest".to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSection {
    /// Input files, read in order; a later delivery of a contact replaces an earlier one.
    /// They share the format options below.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Inputs with options of their own (`[[input.source]]`), read after `paths`.
    #[serde(default)]
    pub source: Vec<SourceSection>,
    /// `auto` (by extension), `jsonl`, `csv`, `xlsx` or `parquet`.
    #[serde(default)]
    pub format: voc_ingest::Format,
    /// CSV text encoding: `auto`, `utf-8`, `gbk` or `gb18030`.
    #[serde(default)]
    pub encoding: voc_ingest::Encoding,
    /// XLSX sheet to read; the first sheet when absent.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Source column → canonical field, e.g. `"工单编号" = "id"`.
    #[serde(default)]
    pub columns: std::collections::BTreeMap<String, String>,
    /// The run fails when more than this share of records is quarantined: that many
    /// bad records usually means the column mapping is wrong.
    #[serde(default = "five_percent")]
    pub max_quarantine_rate: f64,
    /// Convert Traditional Chinese to Simplified during normalization.
    #[serde(default = "yes")]
    pub traditional_to_simplified: bool,

    // Value maps (issue 25): how an export writes speakers and channels, and constant
    // values for fields it lacks. A source's own maps add to these, entry by entry.
    /// Speaker value → `agent`, `customer`, `note` or `system` (`"客服" = "agent"`), on
    /// top of the built-in values.
    #[serde(default)]
    pub speakers: std::collections::BTreeMap<String, String>,
    /// Channel value → channel code (`"热线" = "voice"`), on top of the built-in values.
    #[serde(default)]
    pub channels: std::collections::BTreeMap<String, String>,
    /// Canonical field → the value a record gets when it has none (`channel = "social"`).
    #[serde(default)]
    pub defaults: std::collections::BTreeMap<String, String>,
    // Input sanity: how numbers in the time column read, and which dates are plausible.
    /// How a number in the time column is read: `epoch_seconds`, `epoch_millis` or
    /// `excel_serial`. Unset, a number is never a time (text dates and XLSX date cells
    /// read as ever); `[[input.source]]` entries may set their own.
    #[serde(default)]
    pub time_unit: Option<voc_ingest::TimeUnit>,
    /// Contacts dated before this day (China time) are quarantined as implausible.
    #[serde(default = "earliest_date", deserialize_with = "date_written_in_toml")]
    pub earliest_date: chrono::NaiveDate,
    /// Contacts dated more than this many days after the run are quarantined as
    /// implausible.
    #[serde(default = "days_after_run")]
    pub latest_days_after_run: u32,
}

fn earliest_date() -> chrono::NaiveDate {
    voc_ingest::DateWindow::DEFAULT_EARLIEST
}

fn days_after_run() -> u32 {
    voc_ingest::DateWindow::DEFAULT_DAYS_AFTER_RUN
}

/// A day written as a TOML date (`2000-01-01`) or a string of one (`"2000-01-01"`).
fn date_written_in_toml<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<chrono::NaiveDate, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Date(toml::value::Datetime),
        Text(String),
    }
    let text = match Written::deserialize(deserializer)? {
        Written::Date(date) => date.to_string(),
        Written::Text(text) => text,
    };
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        serde::de::Error::custom(format!("expected a day like 2000-01-01, found {text:?}"))
    })
}

/// One input with its own reading options; unset options fall back to `[input]`'s.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    pub path: PathBuf,
    #[serde(default)]
    pub format: Option<voc_ingest::Format>,
    #[serde(default)]
    pub encoding: Option<voc_ingest::Encoding>,
    #[serde(default)]
    pub sheet: Option<String>,
    #[serde(default)]
    pub columns: Option<std::collections::BTreeMap<String, String>>,

    // Message-per-row exports and value maps (issue 25).
    /// The file has one row per message: which columns hold the session id, the order,
    /// the sender and the text (`[input.source.messages]`).
    #[serde(default)]
    pub messages: Option<voc_ingest::MessageColumns>,
    /// Speaker, channel and default entries added to `[input]`'s for this file.
    #[serde(default)]
    pub speakers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub channels: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub defaults: std::collections::BTreeMap<String, String>,
    /// `[input] time_unit` for this file.
    #[serde(default)]
    pub time_unit: Option<voc_ingest::TimeUnit>,
}

impl InputSection {
    /// Every input file with its resolved reading options, in reading order.
    pub fn files(&self) -> Vec<voc_ingest::InputFile> {
        let shared = self.paths.iter().map(|path| voc_ingest::InputFile {
            path: path.clone(),
            format: self.format,
            encoding: self.encoding,
            sheet: self.sheet.clone(),
            columns: self.columns.clone(),
            messages: None,
            values: self.value_maps(None),
            time_unit: self.time_unit,
        });
        let own = self.source.iter().map(|s| voc_ingest::InputFile {
            path: s.path.clone(),
            format: s.format.unwrap_or(self.format),
            encoding: s.encoding.unwrap_or(self.encoding),
            sheet: s.sheet.clone().or_else(|| self.sheet.clone()),
            columns: s.columns.clone().unwrap_or_else(|| self.columns.clone()),
            messages: s.messages.clone(),
            values: self.value_maps(Some(s)),
            time_unit: s.time_unit.or(self.time_unit),
        });
        shared.chain(own).collect()
    }

    /// The dates accepted in a run started at `now`.
    pub fn date_window(&self, now: chrono::DateTime<chrono::Utc>) -> voc_ingest::DateWindow {
        voc_ingest::DateWindow::new(self.earliest_date, now, self.latest_days_after_run)
    }
    /// `[input]`'s value maps with a source's own entries added (theirs win).
    fn value_maps(&self, source: Option<&SourceSection>) -> voc_ingest::ValueMaps {
        let merged =
            |shared: &std::collections::BTreeMap<String, String>,
             own: Option<&std::collections::BTreeMap<String, String>>| {
                let mut map = shared.clone();
                map.extend(
                    own.into_iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), v.clone())),
                );
                map
            };
        voc_ingest::ValueMaps {
            speakers: merged(&self.speakers, source.map(|s| &s.speakers)),
            channels: merged(&self.channels, source.map(|s| &s.channels)),
            defaults: merged(&self.defaults, source.map(|s| &s.defaults)),
        }
    }
}

/// A path as the pipeline file wrote it: relative to the pipeline's folder when it lies
/// under it.
pub fn shown_relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn five_percent() -> f64 {
    0.05
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    #[serde(default = "default_out")]
    pub dir: PathBuf,
}

impl Default for OutputSection {
    fn default() -> Self {
        OutputSection { dir: default_out() }
    }
}

fn default_out() -> PathBuf {
    PathBuf::from("out")
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSection {
    /// jieba user dictionaries (`word freq tag` per line).
    #[serde(default)]
    pub dictionaries: Vec<PathBuf>,
    #[serde(default)]
    pub stopwords: Option<PathBuf>,
    /// Filler words of speech transcripts removed during normalization.
    #[serde(default)]
    pub filler_words: Vec<String>,

    // How the segmenter cuts what the dictionaries do not know.
    /// jieba's HMM for words missing from the dictionaries: `true` (the default) or
    /// `false`. After changing it, `voc retag --resegment` cuts the stored history again.
    #[serde(default)]
    pub hmm: Option<bool>,
}

impl TextSection {
    /// Whether the segmenter uses jieba's HMM (on unless `hmm = false`).
    pub fn hmm(&self) -> bool {
        self.hmm.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifySection {
    pub taxonomy: PathBuf,
    /// A customer contacting again within this many days is a repeat contact.
    #[serde(default = "seven")]
    pub repeat_window_days: u32,
    /// Extra escalation terms on top of the built-in ones (12315, 工信部 …).
    #[serde(default)]
    pub escalation_terms: Vec<String>,
    /// Extra churn terms on top of the built-in ones (销户, 携号转网 …).
    #[serde(default)]
    pub churn_terms: Vec<String>,
    /// Extra greetings the first agent turn may open with (您好, 很高兴为您服务 …).
    #[serde(default)]
    pub greeting_terms: Vec<String>,
    /// Extra forbidden agent phrases (服务禁语) on top of the built-in ones.
    #[serde(default)]
    pub forbidden_phrases: Vec<String>,
    /// Sentiment lexicon overrides: `word polarity` per line, polarity in [-2, 2].
    #[serde(default)]
    pub sentiment_overrides: Option<PathBuf>,
    /// A model written by `voc sentiment train`, used instead of the lexicon alone.
    #[serde(default)]
    pub sentiment_model: Option<PathBuf>,

    // Agent courtesy checks (质检): the greetings above and these closings are looked for
    // as text in the opening of the first agent turn and the end of the last one.
    /// Extra closings the last agent turn may end with, on top of the built-in ones
    /// (祝您生活愉快, 再见, 还有其他可以帮您 …).
    #[serde(default)]
    pub closing_terms: Vec<String>,
}

fn seven() -> u32 {
    7
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiiSection {
    /// Extra regular expressions whose matches are masked.
    #[serde(default)]
    pub extra_patterns: Vec<String>,
    /// Id fields (`id`, `customer_id`) always replaced by pseudonyms, or never.
    #[serde(default)]
    pub always_pseudonymize: Vec<String>,
    #[serde(default)]
    pub never_pseudonymize: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    #[serde(default = "default_title")]
    pub title: String,
    #[serde(default = "eight")]
    pub baseline_weeks: usize,
    #[serde(default = "five")]
    pub min_count: u64,
    /// Report wording (issue 29): the name the report gives a channel value of the
    /// input, e.g. `weibo = "微博"`, for channels the built-in labels do not know.
    #[serde(default)]
    pub channel_names: std::collections::BTreeMap<String, String>,
}

impl Default for ReportSection {
    fn default() -> Self {
        ReportSection {
            title: default_title(),
            baseline_weeks: eight(),
            min_count: five(),
            channel_names: Default::default(),
        }
    }
}

fn default_title() -> String {
    "价值分析报告".to_string()
}
fn eight() -> usize {
    8
}
fn five() -> u64 {
    5
}

/// A loaded pipeline: the parsed file with every path made absolute.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub path: PathBuf,
    pub file: PipelineFile,
}

impl Pipeline {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut file: PipelineFile = toml::from_str(&text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let before = &text[..offset.min(text.len())];
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line: before.matches('\n').count() + 1,
                column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                message: e.message().to_string(),
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        file.input.paths.iter_mut().for_each(resolve);
        file.input
            .source
            .iter_mut()
            .for_each(|s| resolve(&mut s.path));
        resolve(&mut file.output.dir);
        file.text.dictionaries.iter_mut().for_each(resolve);
        if let Some(p) = file.text.stopwords.as_mut() {
            resolve(p);
        }
        resolve(&mut file.classify.taxonomy);
        if let Some(p) = file.classify.sentiment_overrides.as_mut() {
            resolve(p);
        }
        if let Some(p) = file.classify.sentiment_model.as_mut() {
            resolve(p);
        }
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let canonical = voc_ingest::sniff::CANONICAL_FIELDS;
        let unknown_target = |columns: &std::collections::BTreeMap<String, String>| {
            columns
                .iter()
                .find(|(_, to)| !canonical.contains(&to.as_str()))
                .map(|(from, to)| (from.clone(), to.clone()))
        };
        if let Some((from, to)) = unknown_target(&file.input.columns) {
            return Err(invalid(format!(
                "[input.columns] maps {from:?} to unknown field {to:?}; known fields: {}",
                canonical.join(", ")
            )));
        }
        for source in &file.input.source {
            if let Some((from, to)) = source.columns.as_ref().and_then(unknown_target) {
                return Err(invalid(format!(
                    "the columns of the [[input.source]] with path = {:?} map {from:?} to unknown field {to:?}; known fields: {}",
                    shown_relative(&source.path, base),
                    canonical.join(", ")
                )));
            }
        }
        for input in file.input.files() {
            let section = if input.messages.is_some() || file.input.paths.is_empty() {
                "[[input.source]]"
            } else {
                "[input]"
            };
            input
                .values
                .check(canonical)
                .map_err(|e| invalid(format!("{section} for {}: {e}", input.path.display())))?;
            if let Some(messages) = &input.messages {
                messages.check().map_err(|e| {
                    invalid(format!(
                        "[input.source.messages] for {}: {e}",
                        input.path.display()
                    ))
                })?;
            }
        }
        if !(0.0..=1.0).contains(&file.input.max_quarantine_rate) {
            return Err(invalid(
                "[input] max_quarantine_rate must be between 0 and 1".into(),
            ));
        }
        if file.input.paths.is_empty() && file.input.source.is_empty() {
            return Err(invalid(
                "no input: name at least one file in [input] paths or in an [[input.source]] entry"
                    .into(),
            ));
        }
        for p in file
            .input
            .paths
            .iter()
            .chain(file.input.source.iter().map(|s| &s.path))
            .chain(&file.text.dictionaries)
            .chain([&file.classify.taxonomy])
            .chain(&file.classify.sentiment_overrides)
            .chain(&file.classify.sentiment_model)
        {
            if !p.exists() {
                return Err(invalid(format!("file not found: {}", p.display())));
            }
        }
        file.kpi.validate().map_err(invalid)?;
        file.staffing.validate().map_err(invalid)?;
        file.drivers.validate().map_err(invalid)?;
        if let Some(cost) = &file.cost {
            cost.validate().map_err(invalid)?;
        }
        if file.pipeline.period != "latest"
            && voc_core::time::week_monday(&file.pipeline.period).is_none()
        {
            return Err(invalid(format!(
                "period {:?} is neither \"latest\" nor an ISO week like 2026-W46",
                file.pipeline.period
            )));
        }
        Ok(Pipeline {
            path: path.to_path_buf(),
            file,
        })
    }

    /// How ingest reads this pipeline's inputs (`voc run` and `voc check` alike): masks,
    /// normalization, the id rule, the date window of a run started now, and the
    /// pseudonym key from the environment.
    pub fn ingest_options(&self) -> voc_ingest::IngestOptions {
        let f = &self.file;
        voc_ingest::IngestOptions {
            extra_pii_patterns: f.pii.extra_patterns.clone(),
            filler_words: f.text.filler_words.clone(),
            traditional_to_simplified: f.input.traditional_to_simplified,
            pseudonym_key: pseudonym_key(),
            id_pseudonyms: voc_ingest::IdPseudonyms {
                always: f.pii.always_pseudonymize.clone(),
                never: f.pii.never_pseudonymize.clone(),
            },
            date_window: f.input.date_window(chrono::Utc::now()),
        }
    }

    /// Files whose content defines the run's behaviour, fingerprinted in the manifest.
    pub fn config_files(&self) -> Vec<PathBuf> {
        let f = &self.file;
        let mut files = vec![self.path.clone(), f.classify.taxonomy.clone()];
        files.extend(f.text.dictionaries.iter().cloned());
        files.extend(f.text.stopwords.iter().cloned());
        files.extend(f.classify.sentiment_overrides.iter().cloned());
        files.extend(f.classify.sentiment_model.iter().cloned());
        files
    }
}

/// The key of the pseudonyms that replace ids holding personal data, from the
/// environment (empty when unset).
pub(crate) fn pseudonym_key() -> String {
    std::env::var(voc_ingest::PSEUDONYM_KEY_ENV).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message-per-row syntax other tools and the docs use, with value maps at both
    /// levels: a source's entries add to `[input]`'s and win over them.
    #[test]
    fn message_sources_and_value_maps_are_read() {
        let file: PipelineFile = toml::from_str(
            r#"
[pipeline]
name = "chats"
[classify]
taxonomy = "taxonomy.toml"
[input]
paths = ["calls.csv"]
[input.speakers]
"客服" = "agent"
"用户" = "customer"
[input.channels]
"在线" = "chat"
[[input.source]]
path = "chats.csv"
columns = { "会话ID" = "id", "渠道" = "channel", "地区" = "region" }
[input.source.messages]
session = "会话ID"
order = "发送时间"
sender = "发送方"
text = "内容"
[input.source.speakers]
"用户" = "system"
[input.source.defaults]
channel = "weibo"
"#,
        )
        .unwrap();
        let files = file.input.files();
        assert_eq!(files.len(), 2);
        assert!(files[0].messages.is_none());
        assert_eq!(files[0].values.speakers["用户"], "customer");
        let chats = &files[1];
        let messages = chats.messages.as_ref().unwrap();
        assert_eq!(messages.session, "会话ID");
        assert_eq!(messages.sender.as_deref(), Some("发送方"));
        assert!(messages.check().is_ok());
        assert_eq!(chats.values.speakers["用户"], "system");
        assert_eq!(chats.values.speakers["客服"], "agent");
        assert_eq!(chats.values.channels["在线"], "chat");
        assert_eq!(chats.values.defaults["channel"], "weibo");
        assert_eq!(chats.columns["会话ID"], "id");
    }

    /// `[report] channel_names` names channels the report's built-in labels do not know.
    #[test]
    fn report_channel_names() {
        let text = "[pipeline]\nname = \"t\"\n[input]\npaths = [\"a.jsonl\"]\n[classify]\ntaxonomy = \"t.toml\"\n[report]\nchannel_names = { weibo = \"微博\", app_chat = \"APP 在线\" }\n";
        let file: PipelineFile = toml::from_str(text).unwrap();
        assert_eq!(file.report.channel_names["weibo"], "微博");
        assert_eq!(file.report.channel_names.len(), 2);
    }

    /// `[drivers]` and `[cost]`: read, defaults, and the problems refused by name.
    #[test]
    fn drivers_and_cost_blocks() {
        let base = "[pipeline]\nname = \"t\"\n[input]\npaths = [\"a.jsonl\"]\n[classify]\ntaxonomy = \"t.toml\"\n";
        let plain: PipelineFile = toml::from_str(base).unwrap();
        assert!(plain.cost.is_none() && plain.drivers.agent_teams.is_empty());
        let text = format!(
            "{base}[drivers]\nagent_teams = {{ \"一组\" = [\"A1\", \"A2\"], \"二组\" = [\"A3\"] }}\n[cost]\nmonthly_budget = 90000\nrevenue_per_contact = 8.5\n"
        );
        let file: PipelineFile = toml::from_str(&text).unwrap();
        assert_eq!(file.drivers.agent_teams["一组"], ["A1", "A2"]);
        assert!(file.drivers.validate().is_ok());
        let cost = file.cost.unwrap();
        assert_eq!(cost.occupancy, 0.85);
        assert!(cost.validate().is_ok());
        let twice = format!("{base}[drivers]\nagent_teams = {{ a = [\"A1\"], b = [\"A1\"] }}\n");
        let file: PipelineFile = toml::from_str(&twice).unwrap();
        assert!(file.drivers.validate().unwrap_err().contains("A1"));
        let no_revenue = format!("{base}[cost]\nseats = 10\nhourly_cost = 40\n");
        let file: PipelineFile = toml::from_str(&no_revenue).unwrap();
        let err = file.cost.unwrap().validate().unwrap_err();
        assert!(err.starts_with("[cost]"), "{err}");
        assert!(toml::from_str::<PipelineFile>(&format!("{base}[cost]\nbudget = 1\n")).is_err());
    }

    fn input_of(input: &str) -> Result<InputSection, toml::de::Error> {
        let text = format!(
            "[pipeline]\nname = \"t\"\n[input]\npaths = [\"a.jsonl\"]\n{input}\n[classify]\ntaxonomy = \"t.toml\"\n"
        );
        toml::from_str::<PipelineFile>(&text).map(|f| f.input)
    }

    /// The earliest date as a TOML date or a string; a time unit for all files or one.
    #[test]
    fn input_sanity_keys() {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let defaults = input_of("").unwrap();
        assert_eq!(defaults.earliest_date, day(2000, 1, 1));
        assert_eq!(defaults.latest_days_after_run, 7);
        assert_eq!(defaults.time_unit, None);
        for written in ["2015-06-01", "\"2015-06-01\""] {
            let input = input_of(&format!("earliest_date = {written}")).unwrap();
            assert_eq!(input.earliest_date, day(2015, 6, 1));
        }
        let err = input_of("earliest_date = \"昨天\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a day like 2000-01-01"), "{err}");
        let input = input_of(
            "time_unit = \"epoch_millis\"\n[[input.source]]\npath = \"b.xlsx\"\ntime_unit = \"excel_serial\"\n[[input.source]]\npath = \"c.csv\"",
        )
        .unwrap();
        let units: Vec<_> = input.files().iter().map(|f| f.time_unit).collect();
        use voc_ingest::TimeUnit::*;
        assert_eq!(
            units,
            [Some(EpochMillis), Some(ExcelSerial), Some(EpochMillis)]
        );
        assert!(input_of("time_unit = \"epoch\"").is_err());
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let window = defaults.date_window(now);
        assert_eq!(window.latest.to_rfc3339(), "2026-12-14T10:00:00+08:00");
        assert_eq!(window.earliest.to_rfc3339(), "2000-01-01T00:00:00+08:00");
    }
}
