//! Generations of an output folder: every command that writes it (`voc run`, `voc retag`,
//! `voc index rebuild`, `voc report`) commits as a whole or not at all.
//!
//! ```text
//! out/demo/
//!   history          -> .generations/current/history     (symlinks, made once)
//!   index            -> .generations/current/index
//!   tables           -> .generations/current/tables
//!   report           -> .generations/current/report
//!   quarantine.jsonl -> .generations/current/quarantine.jsonl
//!   run.json         -> .generations/current/run.json
//!   .generations/current -> 000042                          (the commit point)
//!   .generations/000041/…                                   the previous generation
//!   .generations/000042/{history,index,tables,report,quarantine.jsonl,run.json}
//!   .generations/000043/…                                   being written (uncommitted)
//!   .generations/lock                                       one writer at a time
//! ```
//!
//! [`Transaction::begin`] clones the current generation into the next one by hard links
//! (every file of the folder is replaced by rename, never written in place: history
//! partitions, caches, tables and reports by `fsutil::write_atomic`, tantivy's segment
//! files created once and its `meta.json` replaced by rename), so an untouched week or
//! index segment costs one link. The command then writes into [`Transaction::out`] as it
//! would into the folder itself, and [`Transaction::commit`] switches `current` with one
//! rename(2) of a symlink. Readers resolve `current` once ([`OutputDir::pinned`]), or
//! follow the fixed symlinks, so they see one generation or the next, never a mix.
//!
//! Left by a killed command, an uncommitted generation (and a spool) is removed by the
//! next writer with a warning naming it; a failed command removes its own. The previous
//! generation is kept one commit longer than needed, so a reader that pinned it just
//! before a commit can finish; older ones are deleted after each commit.
//!
//! An output folder of an earlier version (real folders in place of the symlinks) is
//! moved into generation 0 by the first writer; readers read it as it is.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::layout::OutputDir;

/// The folder holding the generations, inside the output folder.
pub const GENERATIONS_DIR: &str = ".generations";
/// The symlink naming the committed generation.
const CURRENT_LINK: &str = "current";
const LOCK_FILE: &str = "lock";
/// Committed generations kept besides the current one, for readers that pinned them.
const KEPT_PREVIOUS: u64 = 1;

/// Environment variable naming a [`checkpoint`] at which the process aborts (no
/// destructor runs, as after `kill -9`): the crash tests' hook.
pub const ABORT_AT_ENV: &str = "VOC_TEST_ABORT_AT";
/// Environment variable naming a [`checkpoint`] that fails with "no space left on
/// device", as a full disk would there: the I/O-error tests' hook.
pub const FAIL_AT_ENV: &str = "VOC_TEST_FAIL_AT";

/// A named point between two phases of a writing command. Does nothing unless one of
/// the test hooks ([`ABORT_AT_ENV`], [`FAIL_AT_ENV`]) names it.
pub fn checkpoint(point: &str) -> io::Result<()> {
    let named = |var: &str| std::env::var(var).is_ok_and(|at| at == point);
    if named(ABORT_AT_ENV) {
        eprintln!("voc: aborting at {point} ({ABORT_AT_ENV})");
        std::process::abort();
    }
    if named(FAIL_AT_ENV) {
        return Err(io::Error::new(
            io::ErrorKind::StorageFull,
            format!("no space left on device (injected at {point} by {FAIL_AT_ENV})"),
        ));
    }
    Ok(())
}

/// What lives in a generation: the user-visible entries of the output folder.
pub const GENERATION_ENTRIES: &[&str] = &[
    crate::layout::HISTORY_DIR,
    crate::layout::INDEX_DIR,
    crate::layout::TABLES_DIR,
    crate::layout::REPORT_DIR,
    crate::layout::QUARANTINE_FILE,
    crate::layout::MANIFEST_FILE,
];

/// A command's new generation, being written; removed unless committed.
#[derive(Debug)]
pub struct Transaction {
    visible: OutputDir,
    number: u64,
    staged: OutputDir,
    /// Held until the transaction ends: one writer per output folder.
    _lock: File,
    committed: bool,
}

impl Transaction {
    /// Starts the next generation of `out`: takes the folder's writer lock, cleans what a
    /// killed command left (each removal is returned as a warning line), moves a folder
    /// of an earlier version into generation 0, and clones the current generation into
    /// the new one by hard links.
    pub fn begin(out: &OutputDir) -> io::Result<(Transaction, Vec<String>)> {
        let root = out.root();
        let generations = root.join(GENERATIONS_DIR);
        std::fs::create_dir_all(&generations)
            .map_err(|e| named(e, "cannot create", &generations))?;
        let lock_path = generations.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| named(e, "cannot open", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "another voc command is writing {} (it holds {}); wait for it to finish",
                        root.display(),
                        lock_path.display()
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(named(e, "cannot lock", &lock_path));
            }
        }
        let mut warnings = Vec::new();
        let current = adopt_legacy_layout(root)?;
        link_visible_entries(root)?;
        warnings.extend(remove_leftovers(root, current)?);
        let number = current + 1;
        let staged_dir = generation_dir(root, number);
        let from = generation_dir(root, current);
        // Made first, so that a failure below removes the half-made folder.
        let transaction = Transaction {
            visible: out.clone(),
            number,
            staged: OutputDir::new(staged_dir.clone()),
            _lock: lock,
            committed: false,
        };
        clone_tree(&from, &staged_dir)
            .map_err(|e| named(e, "cannot prepare the next generation", &staged_dir))?;
        // Caches an earlier version kept inside the history stop readers of the folder
        // (polars, Spark); they are counted again beside it.
        let legacy_cache = staged_dir
            .join(crate::layout::HISTORY_DIR)
            .join(crate::layout::CACHE_DIR);
        if legacy_cache.exists() {
            std::fs::remove_dir_all(&legacy_cache)
                .map_err(|e| named(e, "cannot remove", &legacy_cache))?;
        }
        checkpoint("begin")?;
        Ok((transaction, warnings))
    }

    /// The new generation, laid out as the output folder is: write here.
    pub fn out(&self) -> &OutputDir {
        &self.staged
    }

    /// The output folder as users see it (for messages).
    pub fn visible(&self) -> &OutputDir {
        &self.visible
    }

    /// Makes the new generation current with one rename, then deletes generations older
    /// than the previous one. Before the rename a failure leaves the previous generation
    /// current (and this one is removed); after it, old generations left behind are
    /// removed by the next writer.
    pub fn commit(mut self) -> io::Result<()> {
        let root = self.visible.root().to_path_buf();
        sync_tree(self.staged.root()).map_err(|e| named(e, "cannot flush", self.staged.root()))?;
        checkpoint("commit")?;
        point_current_at(&root, self.number)?;
        self.committed = true;
        checkpoint("committed")?;
        for number in generation_numbers(&root)? {
            if number + KEPT_PREVIOUS < self.number {
                let dir = generation_dir(&root, number);
                std::fs::remove_dir_all(&dir).map_err(|e| named(e, "cannot remove", &dir))?;
            }
        }
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(self.staged.root());
        }
    }
}

impl OutputDir {
    /// The committed generation's folder, resolved once: reading through it sees one
    /// generation whatever commits meanwhile. A folder of an earlier version (no
    /// generations), or one not written yet, is itself.
    pub fn pinned(&self) -> OutputDir {
        match current_number(self.root()) {
            Some(number) => OutputDir::new(generation_dir(self.root(), number)),
            None => self.clone(),
        }
    }
}

/// `path` as users see it: a path into a generation (`out/.generations/000042/report`)
/// becomes the output folder's entry that links to it (`out/report`); others are kept.
pub fn visible_path(path: &Path) -> PathBuf {
    let parts: Vec<_> = path.components().collect();
    let at = parts.windows(2).position(|w| {
        w[0].as_os_str() == GENERATIONS_DIR
            && w[1].as_os_str().to_str().is_some_and(|n| {
                n == CURRENT_LINK || (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
    });
    match at {
        Some(i) if i + 2 < parts.len() => parts[..i].iter().chain(&parts[i + 2..]).collect(),
        _ => path.to_path_buf(),
    }
}

fn generation_dir(root: &Path, number: u64) -> PathBuf {
    root.join(GENERATIONS_DIR).join(format!("{number:06}"))
}

/// The number `current` points at, if it does.
fn current_number(root: &Path) -> Option<u64> {
    let target = std::fs::read_link(root.join(GENERATIONS_DIR).join(CURRENT_LINK)).ok()?;
    target.to_str()?.parse().ok()
}

/// Every generation folder's number, in order.
fn generation_numbers(root: &Path) -> io::Result<Vec<u64>> {
    let dir = root.join(GENERATIONS_DIR);
    let mut numbers: Vec<u64> = std::fs::read_dir(&dir)
        .map_err(|e| named(e, "cannot list", &dir))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    numbers.sort_unstable();
    Ok(numbers)
}

/// Replaces `.generations/current` by a symlink to `number` in one rename.
fn point_current_at(root: &Path, number: u64) -> io::Result<()> {
    let link = root.join(GENERATIONS_DIR).join(CURRENT_LINK);
    replace_symlink(Path::new(&format!("{number:06}")), &link)
}

/// Makes `link` a symlink to `target`, atomically (a temporary link renamed over it).
fn replace_symlink(target: &Path, link: &Path) -> io::Result<()> {
    let tmp = voc_core::fsutil::temp_sibling(link);
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).map_err(|e| named(e, "cannot create", &tmp))?;
    std::fs::rename(&tmp, link).map_err(|e| named(e, "cannot replace", link))?;
    if let Some(parent) = link.parent() {
        File::open(parent).and_then(|d| d.sync_all()).ok();
    }
    Ok(())
}

/// Moves the real entries of a folder written by an earlier version (or a first run's
/// empty folder) into generation 0, and returns the current generation's number.
/// Repeatable: a writer killed halfway leaves entries the next one moves.
fn adopt_legacy_layout(root: &Path) -> io::Result<u64> {
    if let Some(number) = current_number(root) {
        return Ok(number);
    }
    let first = generation_dir(root, 0);
    std::fs::create_dir_all(&first).map_err(|e| named(e, "cannot create", &first))?;
    for name in GENERATION_ENTRIES {
        let entry = root.join(name);
        let is_real = std::fs::symlink_metadata(&entry).is_ok_and(|m| !m.file_type().is_symlink());
        if is_real {
            let moved = first.join(name);
            std::fs::rename(&entry, &moved).map_err(|e| named(e, "cannot move", &entry))?;
        }
    }
    point_current_at(root, 0)?;
    Ok(0)
}

/// The user-visible entries, each a symlink through `current`; made once.
fn link_visible_entries(root: &Path) -> io::Result<()> {
    for name in GENERATION_ENTRIES {
        let entry = root.join(name);
        if std::fs::symlink_metadata(&entry).is_err() {
            let target = Path::new(GENERATIONS_DIR).join(CURRENT_LINK).join(name);
            replace_symlink(&target, &entry)?;
        }
    }
    Ok(())
}

/// Removes what killed writers left: generations newer than the current one (never
/// committed), spools of dead processes, generations older than the kept ones. Returns a
/// warning for each leftover of a killed command.
fn remove_leftovers(root: &Path, current: u64) -> io::Result<Vec<String>> {
    let mut warnings = Vec::new();
    for number in generation_numbers(root)? {
        let dir = generation_dir(root, number);
        if number > current {
            std::fs::remove_dir_all(&dir).map_err(|e| named(e, "cannot remove", &dir))?;
            warnings.push(format!(
                "removed {}: the uncommitted output of a voc command that was killed; \
                 the outputs are those of the last command that finished",
                dir.display()
            ));
        } else if number + KEPT_PREVIOUS < current {
            std::fs::remove_dir_all(&dir).map_err(|e| named(e, "cannot remove", &dir))?;
        }
    }
    let out = OutputDir::new(root);
    for (pid, spool) in out.spools().unwrap_or_default() {
        if voc_core::fsutil::left_by_dead_process(pid) {
            std::fs::remove_dir_all(&spool).map_err(|e| named(e, "cannot remove", &spool))?;
            warnings.push(format!(
                "removed {}: the spool of a run that was killed",
                spool.display()
            ));
        }
    }
    let generations = root.join(GENERATIONS_DIR);
    let temps = voc_core::fsutil::remove_stale_temps(&generations)
        .map_err(|e| named(e, "cannot tidy", &generations))?;
    if temps > 0 {
        warnings.push(format!(
            "removed {temps} temporary file(s) a killed voc command left under {}",
            generations.display()
        ));
    }
    Ok(warnings)
}

/// Recreates the folder `from` at `to`, every file a hard link of the original, except
/// tantivy's lock files (held by the process that opens them, not data) and the
/// temporary files of killed writes.
fn clone_tree(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.ends_with(".lock") || name_str.ends_with(".tmp") {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(&name);
        if kind.is_dir() {
            clone_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            // A file system without hard links gets copies: slower, as safe.
            if std::fs::hard_link(entry.path(), &target).is_err() {
                std::fs::copy(entry.path(), &target)?;
            }
        }
    }
    Ok(())
}

/// Flushes the new generation's folders to disk (their files were synced when written),
/// so the switch never names entries a power cut could lose.
fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)?.filter_map(Result::ok) {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            sync_tree(&entry.path())?;
        }
    }
    File::open(dir)?.sync_all()
}

fn named(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        voc_core::fsutil::write_atomic(path, text.as_bytes()).unwrap();
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn a_commit_switches_every_entry_at_once_and_keeps_unchanged_files_linked() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path());
        let (txn, warnings) = Transaction::begin(&out).unwrap();
        assert!(warnings.is_empty());
        write(&txn.out().history().partition("2026-W45"), "w45 v1");
        write(&txn.out().manifest(), "run 1");
        txn.commit().unwrap();
        assert_eq!(read(&out.history().partition("2026-W45")), "w45 v1");
        assert_eq!(read(&out.manifest()), "run 1");

        let (txn, _) = Transaction::begin(&out).unwrap();
        write(&txn.out().history().partition("2026-W46"), "w46 v1");
        write(&txn.out().manifest(), "run 2");
        // Not yet committed: readers see the first generation whole.
        assert!(!out.history().partition("2026-W46").exists());
        assert_eq!(read(&out.manifest()), "run 1");
        let pinned = out.pinned();
        txn.commit().unwrap();
        assert_eq!(read(&out.manifest()), "run 2");
        assert_eq!(read(&out.history().partition("2026-W46")), "w46 v1");
        // A reader that pinned the previous generation still reads it.
        assert_eq!(read(&pinned.manifest()), "run 1");
        use std::os::unix::fs::MetadataExt;
        let unchanged = std::fs::metadata(out.history().partition("2026-W45")).unwrap();
        assert_eq!(
            unchanged.nlink(),
            2,
            "the untouched week is a link, not a copy"
        );
    }

    /// An earlier version kept its caches inside the history, where readers of the
    /// folder (polars) stumble on them: the next generation has them beside it only.
    #[test]
    fn caches_inside_a_history_are_dropped_and_kept_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path());
        let (txn, _) = Transaction::begin(&out).unwrap();
        let history = txn.out().history().dir().to_path_buf();
        write(&txn.out().history().partition("2026-W45"), "w45");
        write(&history.join(".cache/week-tables/2026-W45.json"), "old");
        txn.commit().unwrap();
        let (txn, _) = Transaction::begin(&out).unwrap();
        let cache = txn.out().history().week_tables_file("2026-W45");
        assert!(
            !cache.starts_with(txn.out().history().dir()),
            "{}",
            cache.display()
        );
        write(&cache, "new");
        txn.commit().unwrap();
        let entries: Vec<String> = std::fs::read_dir(out.history().dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(entries, ["week=2026-W45"]);
        assert_eq!(
            read(&out.pinned().history().week_tables_file("2026-W45")),
            "new"
        );
    }

    #[test]
    fn an_uncommitted_generation_is_removed_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path());
        let (txn, _) = Transaction::begin(&out).unwrap();
        write(&txn.out().manifest(), "run 1");
        txn.commit().unwrap();
        let (txn, _) = Transaction::begin(&out).unwrap();
        write(&txn.out().manifest(), "half");
        let left = txn.out().root().to_path_buf();
        std::mem::forget(txn); // as after kill -9: no destructor runs
        // The lock went with the process; here the forgotten handle still holds it.
        unlock_forgotten(dir.path());
        assert_eq!(read(&out.manifest()), "run 1");
        let (txn, warnings) = Transaction::begin(&out).unwrap();
        assert!(!left.exists() || left == txn.out().root());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("uncommitted"), "{warnings:?}");
        drop(txn);
        assert_eq!(read(&out.manifest()), "run 1");
    }

    /// A forgotten `File` keeps its lock in this process; a killed process's is released.
    fn unlock_forgotten(root: &Path) {
        let lock = root.join(GENERATIONS_DIR).join(LOCK_FILE);
        std::fs::remove_file(&lock).unwrap();
    }

    #[test]
    fn a_failed_command_leaves_the_previous_generation_current() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path());
        let (txn, _) = Transaction::begin(&out).unwrap();
        write(&txn.out().manifest(), "run 1");
        txn.commit().unwrap();
        let (txn, _) = Transaction::begin(&out).unwrap();
        write(&txn.out().manifest(), "run 2");
        drop(txn);
        assert_eq!(read(&out.manifest()), "run 1");
        // 0 is the empty folder the first command found, kept as the previous one.
        assert_eq!(generation_numbers(dir.path()).unwrap(), vec![0, 1]);
    }

    #[test]
    fn a_second_writer_is_refused_while_one_writes() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path());
        let (_txn, _) = Transaction::begin(&out).unwrap();
        let err = Transaction::begin(&out).unwrap_err();
        assert!(err.to_string().contains("another voc command"), "{err}");
    }

    #[test]
    fn a_folder_of_an_earlier_version_becomes_generation_zero() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path());
        write(&out.history().partition("2026-W45"), "old");
        write(&out.manifest(), "old run");
        assert_eq!(out.pinned(), out, "read as it is");
        let (txn, _) = Transaction::begin(&out).unwrap();
        assert_eq!(read(&txn.out().manifest()), "old run");
        drop(txn);
        let link = std::fs::symlink_metadata(out.history().dir()).unwrap();
        assert!(link.file_type().is_symlink());
        assert_eq!(read(&out.history().partition("2026-W45")), "old");
        assert_eq!(read(&out.pinned().manifest()), "old run");
    }

    #[test]
    fn paths_into_a_generation_are_shown_as_the_entries_users_open() {
        let shown = |p: &str| visible_path(Path::new(p));
        assert_eq!(
            shown("/o/.generations/000042/report/report.html"),
            Path::new("/o/report/report.html")
        );
        assert_eq!(
            shown("o/.generations/current/run.json"),
            Path::new("o/run.json")
        );
        assert_eq!(
            shown("o/.generations/000042"),
            Path::new("o/.generations/000042")
        );
        assert_eq!(shown("o/report/report.md"), Path::new("o/report/report.md"));
    }

    #[test]
    fn old_generations_are_deleted_after_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path());
        for run in 1..=4 {
            let (txn, _) = Transaction::begin(&out).unwrap();
            write(&txn.out().manifest(), &format!("run {run}"));
            txn.commit().unwrap();
        }
        assert_eq!(generation_numbers(dir.path()).unwrap(), vec![3, 4]);
    }
}
