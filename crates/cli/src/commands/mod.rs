pub(crate) mod check;
pub(crate) mod discover;
pub(crate) mod fixtures;
pub(crate) mod history;
pub(crate) mod index;
pub(crate) mod init;
pub(crate) mod report;
pub(crate) mod retag;
pub(crate) mod run;
pub(crate) mod search;
pub(crate) mod segment;
pub(crate) mod sentiment;
pub(crate) mod serve;
pub(crate) mod suggest;
pub(crate) mod taxonomy;

use std::path::{Path, PathBuf};

/// The index of the demo pipeline's output folder (`out/demo`, its `[output] dir`):
/// what `voc search` and `voc serve` open unless given `--index`.
pub(crate) fn demo_index() -> PathBuf {
    voc_store::OutputDir::new("out/demo").index()
}

/// How an output path is shown to the user: resolved (`pipelines/demo/../../out/demo`
/// becomes `out/demo`) and relative to the working directory when it lies under it, so
/// it can be pasted; as given when it cannot be resolved (not written, say).
pub(crate) fn shown_path(path: &Path) -> String {
    let Ok(resolved) = path.canonicalize() else {
        return path.display().to_string();
    };
    // `out/demo/report` resolves into the output folder's current generation: show the
    // name users open, not the generation that is replaced by the next run.
    let resolved = voc_store::generation::visible_path(&resolved);
    let here = std::env::current_dir().and_then(|d| d.canonicalize());
    match here.as_deref().map(|here| resolved.strip_prefix(here)) {
        Ok(Ok(relative)) if !relative.as_os_str().is_empty() => relative.display().to_string(),
        _ => resolved.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::shown_path;
    use std::path::Path;

    #[test]
    fn output_paths_are_shown_resolved_and_relative_to_the_working_directory() {
        // Tests run in the crate's folder, which holds `src/main.rs`.
        assert_eq!(shown_path(Path::new("src/../src/main.rs")), "src/main.rs");
        let here = std::env::current_dir().unwrap();
        let parent = here.parent().unwrap().canonicalize().unwrap();
        assert_eq!(shown_path(Path::new("..")), parent.display().to_string());
        assert_eq!(shown_path(Path::new("no/such/../file")), "no/such/../file");
    }
}
