//! The output folder's layout, spelled here only: every path a command writes or reads
//! is asked of [`OutputDir`], and every path inside the history of its [`History`].
//!
//! ```text
//! out/demo/
//!   history/week=2026-W46/part-0.parquet      one Hive partition per ISO week
//!   index/                                    the search index
//!   tables/                                   the period's tables as Parquet and CSV
//!   report/report.*                           the report of the batch's week
//!   report/2026-11/report.*                   the report of any other period
//!   quarantine.jsonl                          refused records
//!   run.json                                  the run manifest
//!   .spool-PID/week=2026-W46/chunk-N.parquet  during a run only: the batch's spool
//!   .generations/…                            what the entries above are symlinks to
//!   .generations/NNNNNN/.cache/term-counts/2026-W46.tsv   a period's phrase counts
//!   .generations/NNNNNN/.cache/week-tables/2026-W46.json  a week's tables and day counts
//! ```
//!
//! The caches live beside the history, not in it: a reader pointed at the history
//! folder (polars' `scan_parquet`, Spark) must find partitions only.
//!
//! `history`, `index`, `tables`, `report`, `quarantine.jsonl` and `run.json` are
//! symlinks through `.generations/current` (see [`crate::generation`]): a command that
//! writes works on [`crate::generation::Transaction::out`], an `OutputDir` rooted at its
//! new generation, and readers that must see one generation ask [`OutputDir::pinned`].

use std::path::{Path, PathBuf};
use voc_core::Period;

use crate::scan::WeekWindow;

pub(crate) const HISTORY_DIR: &str = "history";
pub(crate) const INDEX_DIR: &str = "index";
pub(crate) const TABLES_DIR: &str = "tables";
pub(crate) const REPORT_DIR: &str = "report";
pub(crate) const QUARANTINE_FILE: &str = "quarantine.jsonl";
pub(crate) const MANIFEST_FILE: &str = "run.json";
/// Followed by the id of the process that spools into it.
const SPOOL_PREFIX: &str = ".spool-";

/// Followed by the week key: Hive's `column=value` folder name, so other engines read
/// the history as it is.
const WEEK_FOLDER_PREFIX: &str = "week=";
const PARTITION_FILE: &str = "part-0.parquet";
/// Counts kept for later runs, in a generation beside its history (inside a history
/// of an earlier version, which [`crate::generation`] removes).
pub(crate) const CACHE_DIR: &str = ".cache";
const TERM_COUNTS_DIR: &str = "term-counts";
const WEEK_TABLES_DIR: &str = "week-tables";

/// The report page, first of [`REPORT_FILES`].
pub const REPORT_HTML: &str = "report.html";
/// The files of a report folder, in the order they are written.
pub const REPORT_FILES: &[&str] = &[REPORT_HTML, "report.md", "report.json", "report.xlsx"];
/// Printed from the page by `voc report --pdf`.
pub const REPORT_PDF: &str = "report.pdf";

/// A pipeline's output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDir {
    root: PathBuf,
    history: History,
}

impl OutputDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        OutputDir {
            history: History::with_cache(root.join(HISTORY_DIR), root.join(CACHE_DIR)),
            root,
        }
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The enriched history and the caches kept beside it.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The search index folder.
    pub fn index(&self) -> PathBuf {
        self.root.join(INDEX_DIR)
    }

    /// The folder of the period's tables (Parquet and CSV).
    pub fn tables(&self) -> PathBuf {
        self.root.join(TABLES_DIR)
    }

    /// The folder of the report `voc run` writes for its batch's week.
    pub fn report(&self) -> PathBuf {
        self.root.join(REPORT_DIR)
    }

    /// The folder of the report of `period` written by `voc report`
    /// (`report/2026-W45`, `report/2026-11`, `report/2026-10-01_2026-10-31`).
    pub fn period_report(&self, period: &Period) -> PathBuf {
        self.report().join(period.folder_name())
    }

    /// The refused records of the last run.
    pub fn quarantine(&self) -> PathBuf {
        self.root.join(QUARANTINE_FILE)
    }

    /// The manifest of the last run.
    pub fn manifest(&self) -> PathBuf {
        self.root.join(MANIFEST_FILE)
    }

    /// The spool of the run of process `pid`.
    pub fn spool(&self, pid: u32) -> PathBuf {
        self.root.join(format!("{SPOOL_PREFIX}{pid}"))
    }

    /// Every spool in the folder with the id of the process that made it.
    pub fn spools(&self) -> std::io::Result<Vec<(u32, PathBuf)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.root)?.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name
                .strip_prefix(SPOOL_PREFIX)
                .and_then(|p| p.parse::<u32>().ok())
            {
                out.push((pid, entry.path()));
            }
        }
        Ok(out)
    }
}

/// The history folder: week partitions and the caches kept beside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    dir: PathBuf,
    cache: PathBuf,
}

impl History {
    /// The history in `dir`, its caches in `dir/.cache` (an output folder's is
    /// [`OutputDir::history`], its caches beside it).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        History {
            cache: dir.join(CACHE_DIR),
            dir,
        }
    }

    /// The history in `dir` with its caches in `cache`.
    pub fn with_cache(dir: impl Into<PathBuf>, cache: impl Into<PathBuf>) -> Self {
        History {
            dir: dir.into(),
            cache: cache.into(),
        }
    }

    /// The folder itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// For messages: the folder.
    pub fn display(&self) -> std::path::Display<'_> {
        self.dir.display()
    }

    /// Path of the partition holding `week`.
    pub fn partition(&self, week: &str) -> PathBuf {
        self.dir.join(week_folder(week)).join(PARTITION_FILE)
    }

    /// Every partition file, in week order.
    pub fn partitions(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path().join(PARTITION_FILE))
            .filter(|p| p.exists())
            .collect();
        out.sort();
        out
    }

    /// Partition files of the weeks inside `window`, in week order.
    pub fn partitions_in(&self, window: &WeekWindow) -> Vec<PathBuf> {
        self.partitions()
            .into_iter()
            .filter(|p| window.contains(&week_of_partition(p)))
            .collect()
    }

    /// The week of the newest partition, if any.
    pub fn newest_week(&self) -> Option<String> {
        self.partitions().pop().map(|p| week_of_partition(&p))
    }

    /// Where the phrase counts of the period `key` are kept.
    pub fn term_counts_file(&self, key: &str) -> PathBuf {
        self.cache
            .join(TERM_COUNTS_DIR)
            .join(format!("{}.tsv", key.replace(['/', '\\'], "_")))
    }

    /// Where the weekly tables and day counts of `week` are kept.
    pub fn week_tables_file(&self, week: &str) -> PathBuf {
        self.cache
            .join(WEEK_TABLES_DIR)
            .join(format!("{week}.json"))
    }
}

/// The folder of `week` in the history, and in the spool.
pub(crate) fn week_folder(week: &str) -> String {
    format!("{WEEK_FOLDER_PREFIX}{week}")
}

/// The week of a partition file (`…/week=2026-W46/part-0.parquet` → `2026-W46`).
pub fn week_of_partition(path: &Path) -> String {
    path.parent()
        .and_then(|p| p.file_name())
        .map(|n| {
            n.to_string_lossy()
                .trim_start_matches(WEEK_FOLDER_PREFIX)
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout ARCHITECTURE.md describes; other crates' tests rely on it too.
    #[test]
    fn every_path_of_the_output_folder() {
        let out = OutputDir::new("out/demo");
        let h = out.history();
        assert_eq!(h.dir(), Path::new("out/demo/history"));
        let partition = h.partition("2026-W46");
        assert_eq!(
            partition,
            Path::new("out/demo/history/week=2026-W46/part-0.parquet")
        );
        assert_eq!(week_of_partition(&partition), "2026-W46");
        assert_eq!(
            h.term_counts_file("2026-10-01..2026-10-31"),
            Path::new("out/demo/.cache/term-counts/2026-10-01..2026-10-31.tsv")
        );
        assert_eq!(
            h.week_tables_file("2026-W46"),
            Path::new("out/demo/.cache/week-tables/2026-W46.json")
        );
        assert_eq!(out.index(), Path::new("out/demo/index"));
        assert_eq!(out.tables(), Path::new("out/demo/tables"));
        assert_eq!(out.report(), Path::new("out/demo/report"));
        let month = Period::parse("2026-11").unwrap();
        assert_eq!(
            out.period_report(&month),
            Path::new("out/demo/report/2026-11")
        );
        assert_eq!(out.quarantine(), Path::new("out/demo/quarantine.jsonl"));
        assert_eq!(out.manifest(), Path::new("out/demo/run.json"));
        assert_eq!(out.spool(42), Path::new("out/demo/.spool-42"));
    }

    #[test]
    fn spools_are_found_with_their_process() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path());
        std::fs::create_dir_all(out.spool(7)).unwrap();
        std::fs::create_dir_all(dir.path().join(".spool-x")).unwrap();
        std::fs::create_dir_all(out.history().dir()).unwrap();
        assert_eq!(out.spools().unwrap(), vec![(7, out.spool(7))]);
    }
}
