//! `voc discover`: the topics of a period from the stored history (`voc_discover`),
//! written into the output folder's next generation and committed:
//! `tables/discover/<period>/topics.{json,csv}` and `assignments.csv`, and the known
//! topics `tables/discover/topics.json` that keep ids from period to period.

use anyhow::{Context, Result, bail};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use voc_core::{Period, fsutil};
use voc_discover::{DiscoverOptions, Discovery, Registry, Topic};
use voc_store::OutputDir;

use crate::config::Pipeline;

/// The folder of discovery files inside an output folder (or a generation of it).
pub fn discover_dir(out: &OutputDir) -> PathBuf {
    out.tables().join("discover")
}

/// The known topics of an output folder.
pub fn registry_file(out: &OutputDir) -> PathBuf {
    discover_dir(out).join("topics.json")
}

/// A period's folder: its key, a range's `..` as `_` (as the report's folders).
pub fn period_dir(out: &OutputDir, period_key: &str) -> PathBuf {
    discover_dir(out).join(period_key.replace("..", "_"))
}

pub struct DiscoverSummary {
    pub discovery: Discovery,
    pub files: Vec<PathBuf>,
    pub warnings: Vec<String>,
    /// Reading the history and finding the topics (both periods), without writing.
    pub seconds: f64,
}

/// The pipeline's stop words (left out of topics, as out of new terms).
fn stopwords(pipeline: &Pipeline) -> Result<HashSet<String>> {
    let Some(path) = &pipeline.file.text.stopwords else {
        return Ok(HashSet::new());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read stop words {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|w| !w.is_empty() && !w.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// Reads the known topics; a missing file is none known, a damaged one an error
/// naming it (ids would otherwise start over silently).
pub fn read_registry(path: &Path) -> Result<Registry> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("cannot read the known topics in {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Registry::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Discovers the topics of `period` in the history of `out` and writes their files
/// into `out` (a generation being written). Used by `voc discover` and by `voc run`
/// when the pipeline asks for it.
pub fn discover_into(
    pipeline: &Pipeline,
    out: &OutputDir,
    period: &Period,
    options: &DiscoverOptions,
) -> Result<(Discovery, Vec<PathBuf>, f64)> {
    let stop = stopwords(pipeline)?;
    let is_stopword = |t: &str| stop.contains(t);
    let mut registry = read_registry(&registry_file(out))?;
    let started = std::time::Instant::now();
    let discovery =
        voc_discover::discover(out.history(), period, &mut registry, options, &is_stopword)?;
    let seconds = started.elapsed().as_secs_f64();
    let files = write_files(out, &discovery, &registry)?;
    Ok((discovery, files, seconds))
}

/// `voc discover`: in its own generation of the output folder, committed whole.
pub fn discover(
    pipeline: &Pipeline,
    period: &Period,
    options: &DiscoverOptions,
    out_dir: Option<PathBuf>,
) -> Result<DiscoverSummary> {
    let visible = crate::output::output_dir(pipeline, out_dir);
    let Some((stored_first, stored_last)) =
        voc_store::scan::history_days(visible.pinned().history())?
    else {
        bail!(
            "no stored history in {}: run `voc run {}` (with the same --out) first",
            visible.history().display(),
            pipeline.path.display()
        );
    };
    // Said before a generation is begun, naming the folder users know.
    if voc_store::scan::data_days_between(visible.pinned().history(), period.first, period.last)?
        .is_none()
    {
        bail!(
            "no stored contacts in {period} ({} to {}): the history in {} holds {stored_first} to {stored_last}",
            period.first,
            period.last,
            visible.history().display()
        );
    }
    let (transaction, warnings) = voc_store::Transaction::begin(&visible)?;
    let out = transaction.out().clone();
    let (discovery, files, seconds) = discover_into(pipeline, &out, period, options)?;
    voc_store::checkpoint("discover")?;
    transaction.commit()?;
    let files = files
        .iter()
        .map(|p| {
            p.strip_prefix(out.root())
                .map_or_else(|_| p.clone(), |rel| visible.root().join(rel))
        })
        .collect();
    Ok(DiscoverSummary {
        discovery,
        files,
        warnings,
        seconds,
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn first(shares: &[voc_discover::Share]) -> String {
    shares.first().map(|s| s.value.clone()).unwrap_or_default()
}

/// The topics as CSV rows (UTF-8 with BOM, for Excel), topics then themes.
pub fn topics_csv(discovery: &Discovery) -> String {
    let mut out = String::from(
        "\u{feff}id,kind,status,label,size,share,previous_size,uncategorised_share,negative_share,mean_sentiment,top_region,top_channel,top_category,verbatim\n",
    );
    for t in discovery.topics.iter().chain(&discovery.themes) {
        let kind = match t.kind {
            voc_discover::TopicKind::Topic => "topic",
            voc_discover::TopicKind::Theme => "theme",
        };
        let _ = writeln!(
            out,
            "{},{kind},{},{},{},{},{},{},{},{},{},{},{},{}",
            t.id,
            serde_json::to_value(t.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            csv_field(&t.label),
            t.size,
            t.share,
            t.previous_size.map(|p| p.to_string()).unwrap_or_default(),
            t.uncategorised_share,
            t.negative_share,
            t.mean_sentiment,
            csv_field(&first(&t.regions)),
            csv_field(&first(&t.channels)),
            csv_field(&first(&t.categories)),
            csv_field(
                t.verbatims
                    .first()
                    .map(|v| v.text.as_str())
                    .unwrap_or_default()
            ),
        );
    }
    out
}

fn assignments_csv(discovery: &Discovery) -> String {
    let mut out = String::from("\u{feff}contact_id,topic,themes\n");
    for a in &discovery.assignments {
        let _ = writeln!(
            out,
            "{},{},{}",
            csv_field(&a.contact_id),
            a.topic.as_deref().unwrap_or(""),
            a.themes.join(" ")
        );
    }
    out
}

fn write_files(
    out: &OutputDir,
    discovery: &Discovery,
    registry: &Registry,
) -> Result<Vec<PathBuf>> {
    let dir = period_dir(out, &discovery.period);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let files = [
        (
            dir.join("topics.json"),
            serde_json::to_string_pretty(discovery)? + "\n",
        ),
        (dir.join("topics.csv"), topics_csv(discovery)),
        (dir.join("assignments.csv"), assignments_csv(discovery)),
        (
            registry_file(out),
            serde_json::to_string_pretty(registry)? + "\n",
        ),
    ];
    let mut written = Vec::new();
    for (path, content) in files {
        fsutil::write_atomic(&path, content.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// A period's discovery as written by [`discover`], for `voc taxonomy suggest` and the
/// report: `None` when that period was not discovered.
pub fn read_discovery(out: &OutputDir, period_key: &str) -> Result<Option<Discovery>> {
    let path = period_dir(out, period_key).join("topics.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            Ok(Some(serde_json::from_str(&text).with_context(|| {
                format!("cannot read {}", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The topic `id` in the newest period it was discovered in, with that discovery.
pub fn find_topic(out: &OutputDir, id: &str) -> Result<(Discovery, Topic)> {
    let registry = read_registry(&registry_file(out))?;
    let Some(known) = registry.topics.iter().find(|t| t.id == id) else {
        let ids: Vec<&str> = registry.topics.iter().map(|t| t.id.as_str()).collect();
        bail!(
            "no topic {id} among the known topics (known: {}); run `voc discover PIPELINE --period …` first",
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        );
    };
    // Newest period first: where the topic's phrases and verbatims are freshest.
    for period in known.sizes.keys().rev() {
        if let Some(discovery) = read_discovery(out, period)? {
            let topic = discovery
                .topics
                .iter()
                .chain(&discovery.themes)
                .find(|t| t.id == id)
                .cloned();
            if let Some(topic) = topic {
                return Ok((discovery, topic));
            }
        }
    }
    bail!(
        "topic {id} was seen in {} but no discovery of those periods holds it now (a later `voc discover` of the period replaced it): run `voc discover --period` for one of them",
        known.sizes.keys().cloned().collect::<Vec<_>>().join(", ")
    )
}
