//! Atomic file writes: write beside the target, flush, then rename over it, so a run
//! killed at any moment leaves either the old file or the new one, never half of one.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Writes to `path` atomically through a buffered writer handed to `fill`. An error
/// names `path` (a full disk otherwise reads "No space left on device", no file named),
/// and keeps the kind of the error underneath.
pub fn write_atomic_with<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
{
    replace_with(path, fill)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))
}

fn replace_with<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
{
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = temp_sibling(path);
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut writer = io::BufWriter::new(file);
        fill(&mut writer)?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A temporary name in the same folder (so the rename stays on one file system),
/// unique per process so concurrent runs do not trample each other.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Removes temporary files that [`write_atomic`] left under `dir` (recursively) when a
/// run was killed between creating and renaming them: those of this process (from an
/// earlier phase of this run) and of processes no longer alive. Returns how many were
/// removed.
pub fn remove_stale_temps(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            removed += remove_stale_temps(&path)?;
        } else if temp_owner(&path).is_some_and(left_by_dead_process) {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The process id in a name written by [`temp_sibling`] (`.NAME.PID.tmp`).
fn temp_owner(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = stem.rsplit_once('.')?;
    pid.parse().ok()
}

/// Whether a file named after process `pid` is a leftover: this process's own (from an
/// earlier phase of this run), or, where `/proc` tells which processes are alive, that
/// of a process that no longer exists. Without `/proc`, others' files are kept: leaving
/// a stale file beats deleting a concurrent run's.
pub fn left_by_dead_process(pid: u32) -> bool {
    let proc = Path::new("/proc");
    pid == std::process::id()
        || (proc.join("self").exists() && !proc.join(pid.to_string()).exists())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stale_temps_of_dead_processes_are_removed() {
        let dir = tempfile_dir("stale");
        let nested = dir.join("history/week=2026-W46");
        std::fs::create_dir_all(&nested).unwrap();
        // No process has pid 4294967: a killed run's leftover; our own is one too.
        let stale = nested.join(".part-0.parquet.4294967.tmp");
        let ours = nested.join(format!(".part-0.parquet.{}.tmp", std::process::id()));
        let data = nested.join("part-0.parquet");
        for p in [&stale, &ours, &data] {
            std::fs::write(p, b"x").unwrap();
        }
        // A live process's temp (pid 1, init) is kept.
        let alive = nested.join(".part-1.parquet.1.tmp");
        std::fs::write(&alive, b"x").unwrap();
        assert_eq!(super::remove_stale_temps(&dir).unwrap(), 2);
        assert!(!stale.exists() && !ours.exists() && data.exists() && alive.exists());
        assert_eq!(super::remove_stale_temps(&dir.join("none")).unwrap(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("voc-fsutil-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("voc-fsutil-{}", std::process::id()));
        let path = dir.join("nested/out.txt");
        super::write_atomic(&path, b"old").unwrap();
        super::write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_names_its_file_and_keeps_the_old_content() {
        let dir = tempfile_dir("failed");
        let path = dir.join("report.html");
        super::write_atomic(&path, b"old").unwrap();
        let err = super::write_atomic_with(&path, |_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device",
            ))
        })
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
        assert_eq!(
            err.to_string(),
            format!("cannot write {}: No space left on device", path.display())
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "the temporary file is removed");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
