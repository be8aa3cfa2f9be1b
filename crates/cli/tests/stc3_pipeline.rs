//! Issue 25.8: the example pipeline for real dialogues (`pipelines/stc3/weekly.toml`)
//! run as a user runs it, on the NTCIR-14 STC-3 Weibo dialogues kept outside the
//! repository (`../shared/data/real/stc3/`); skipped with a message when absent. The
//! export is read with voc's own options only: defaults for the start time and the
//! channel it lacks, the built-in speaker values.

mod common;

use common::{manifest, repo_root, run_pipeline};

#[test]
fn stc3_dialogues_run_with_voc_options_alone() {
    let data = repo_root().join("../shared/data/real/stc3/dialogues.jsonl");
    if !data.exists() {
        println!("skipped the STC-3 pipeline: {} is absent", data.display());
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let stdout = run_pipeline(&repo_root().join("pipelines/stc3/weekly.toml"), out.path());
    let run = manifest(out.path());
    let counts = &run["counts"];
    let count = |key: &str| counts[key].as_u64().unwrap();
    assert_eq!(count("read"), 2589, "{stdout}");
    assert_eq!(
        count("read"),
        count("accepted") + count("quarantined") + count("duplicates")
    );
    // Every dialogue is read: nothing quarantined, no id delivered twice.
    assert_eq!(
        (count("quarantined"), count("duplicates")),
        (0, 0),
        "{stdout}"
    );
    let quarantine =
        std::fs::read_to_string(out.path().join("quarantine.jsonl")).unwrap_or_default();
    assert!(quarantine.trim().is_empty(), "{quarantine}");
    // Post ids are no personal data; two are eleven digits starting with 1, shaped like
    // mobiles, and kept as keys of the file's numeric series.
    let pseudonymized = run["pseudonymized"].as_u64().unwrap_or(0);
    assert_eq!(
        pseudonymized, 0,
        "post ids are a numeric key series: none replaced"
    );
    // The default channel `微博` is a known one: no warning, and stored as its code.
    assert!(run.get("unknown_channels").is_none(), "{run}");
    assert!(!stdout.contains("channel voc does not know"), "{stdout}");
    assert_eq!(run["period"], "2018-W23");
    println!(
        "STC-3: read {} accepted {} quarantined {} duplicates {}; {} ids pseudonymized",
        count("read"),
        count("accepted"),
        count("quarantined"),
        count("duplicates"),
        pseudonymized
    );
}
