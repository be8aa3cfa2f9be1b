//! An index that follows its folder. An output folder's `index` is a symlink into the
//! folder's current generation, which each run replaces (`voc_store::generation`);
//! an open index stays on the generation it opened. [`LiveIndex::get`] reopens the
//! index once the path resolves elsewhere (looked at most once a second), so a server
//! sees each run's contacts without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::{ContactIndex, IndexError};

/// How often the path is resolved again.
const LOOK_EVERY: Duration = Duration::from_secs(1);

pub struct LiveIndex {
    /// The path as given (`out/demo/index`); `None` for an index that never moves.
    path: Option<PathBuf>,
    /// Where the path resolved when the index in hand was opened, and that index.
    current: RwLock<(PathBuf, Arc<ContactIndex>)>,
    looked: Mutex<Instant>,
}

impl LiveIndex {
    /// Opens the index at `path` and follows it.
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let resolved = resolve(path);
        let index = Arc::new(ContactIndex::open(&resolved)?);
        Ok(LiveIndex {
            path: Some(path.to_path_buf()),
            current: RwLock::new((resolved, index)),
            looked: Mutex::new(Instant::now()),
        })
    }

    /// The index in hand, reopened first if its path now resolves to another folder
    /// (a commit of the output folder). If the new one cannot be opened, the one in
    /// hand keeps serving and the next look tries again.
    pub fn get(&self) -> Arc<ContactIndex> {
        if let Some(path) = &self.path
            && self.time_to_look()
        {
            let resolved = resolve(path);
            let moved = self.read().0 != resolved;
            if moved && let Ok(index) = ContactIndex::open(&resolved) {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) =
                    (resolved, Arc::new(index));
            }
        }
        self.read().1.clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, (PathBuf, Arc<ContactIndex>)> {
        self.current.read().unwrap_or_else(|e| e.into_inner())
    }

    fn time_to_look(&self) -> bool {
        let mut looked = self.looked.lock().unwrap_or_else(|e| e.into_inner());
        if looked.elapsed() < LOOK_EVERY {
            return false;
        }
        *looked = Instant::now();
        true
    }
}

/// An index that never moves (tests, an index opened elsewhere).
impl From<Arc<ContactIndex>> for LiveIndex {
    fn from(index: Arc<ContactIndex>) -> Self {
        LiveIndex {
            path: None,
            current: RwLock::new((index.path().to_path_buf(), index)),
            looked: Mutex::new(Instant::now()),
        }
    }
}

fn resolve(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A symlink moved to another index folder, as a commit of the output folder does.
    #[test]
    fn follows_its_path_to_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (one, two) = (dir.path().join("one"), dir.path().join("two"));
        drop(crate::testing::sample_index(&one).unwrap());
        drop(crate::testing::sample_index(&two).unwrap());
        let link = dir.path().join("index");
        std::os::unix::fs::symlink(&one, &link).unwrap();
        let live = LiveIndex::open(&link).unwrap();
        assert_eq!(live.get().path(), one.canonicalize().unwrap());
        let tmp = dir.path().join("index.tmp");
        std::os::unix::fs::symlink(&two, &tmp).unwrap();
        std::fs::rename(&tmp, &link).unwrap();
        *live.looked.lock().unwrap() = Instant::now() - LOOK_EVERY;
        assert_eq!(live.get().path(), two.canonicalize().unwrap());
    }
}
