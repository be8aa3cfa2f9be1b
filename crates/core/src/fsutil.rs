//! Atomic file writes: write beside the target, flush, then rename over it, so a run
//! killed at any moment leaves either the old file or the new one, never half of one.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Writes to `path` atomically through a buffered writer handed to `fill`.
pub fn write_atomic_with<F>(path: &Path, fill: F) -> io::Result<()>
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

/// Removes the temporary siblings (see [`temp_sibling`]) in `dir` that a killed process
/// left behind: those of this process and, where `/proc` tells which processes are
/// alive, of processes that no longer exist. Returns how many were removed.
pub fn remove_stale_temps(dir: &Path) -> io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.rsplit_once('.'))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if left_by_dead_process(pid) && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether a file named after process `pid` is a leftover: this process's own (from an
/// earlier phase of this run), or, where `/proc` tells which processes are alive, that
/// of a process that no longer exists.
pub fn left_by_dead_process(pid: u32) -> bool {
    let proc = Path::new("/proc");
    pid == std::process::id()
        || (proc.join("self").exists() && !proc.join(pid.to_string()).exists())
}

#[cfg(test)]
mod tests {
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
    fn stale_temps_are_removed_and_others_kept() {
        let dir = std::env::temp_dir().join(format!("voc-fsutil-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ours = super::temp_sibling(&dir.join("a.parquet"));
        std::fs::write(&ours, b"half").unwrap();
        std::fs::write(dir.join("b.txt"), b"keep").unwrap();
        std::fs::write(dir.join(".c.txt.tmp"), b"no pid: keep").unwrap();
        assert_eq!(super::remove_stale_temps(&dir).unwrap(), 1);
        assert!(!ours.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        assert_eq!(super::remove_stale_temps(&dir.join("none")).unwrap(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
