//! Issue 27.1 and 27.6: every command that writes the output folder commits as a whole
//! or not at all. Runs, re-tags and index rebuilds of the real binary are killed at
//! every phase boundary (the `VOC_TEST_ABORT_AT` hook aborts there, as `kill -9` would)
//! and at random moments (SIGKILL), or fail there as on a full disk
//! (`VOC_TEST_FAIL_AT`). After each, every reader sees the previous generation or the
//! new one whole — history, index, tables, report and run.json of the same state, equal
//! to a clean run's — and the next command of the same batch or a different one ends
//! where a clean sequence of runs ends: no contact lost.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The phase boundaries of `voc run`, in order (named by `voc_store::checkpoint` calls).
const RUN_POINTS: &[&str] = &[
    "begin",
    "ingest",
    "history-week",
    "history",
    "tables+report",
    "index",
    "manifest",
    "commit",
    "committed",
];
/// Points at or after which the killed command's generation is the current one.
const COMMITTED: &str = "committed";

/// One batch's contacts as JSON Lines: `(id, day of November 2026 or October if ≤ 0)`.
fn contacts(rows: &[(String, i64)]) -> String {
    const TEXTS: &[&str] = &[
        "宽带断网了，光猫指示灯一直闪红灯，已经三天了",
        "套餐扣费不对，这个月多扣了二十元，要求退费",
        "营业厅服务态度差，我要投诉，再不处理就销户",
        "手机信号差，室内打电话经常掉线",
        "查询一下流量还剩多少，谢谢",
    ];
    const REGIONS: &[&str] = &["广东", "江苏", "浙江", "四川"];
    let mut out = String::new();
    for (n, (id, day)) in rows.iter().enumerate() {
        let date = if *day >= 1 {
            format!("2026-11-{day:02}")
        } else {
            format!("2026-10-{:02}", 31 + day)
        };
        let text = TEXTS[n % TEXTS.len()];
        out.push_str(&format!(
            "{{\"id\": \"{id}\", \"started_at\": \"{date}T{:02}:{:02}:00+08:00\", \
             \"channel\": \"voice\", \"region\": \"{}\", \"business\": \"宽带\", \
             \"customer_id\": \"U{:04}\", \"turns\": [{{\"speaker\": \"agent\", \"text\": \"您好\"}}, \
             {{\"speaker\": \"customer\", \"text\": \"{text}\"}}]}}\n",
            9 + n % 9,
            n % 60,
            REGIONS[n % REGIONS.len()],
            n % 97
        ));
    }
    out
}

/// The three batches: A spans three weeks; B re-delivers a quarter of A a week later
/// (contacts that move between weeks) and adds a new week; C re-delivers another part
/// of A a week earlier and adds contacts of its own.
fn batches(dir: &Path) -> BTreeMap<&'static str, PathBuf> {
    let a: Vec<(String, i64)> = (0..240)
        .map(|i| (format!("A{i:04}"), -12 + i % 21))
        .collect();
    let b: Vec<(String, i64)> = (0..60)
        .map(|i| (format!("A{i:04}"), -12 + i % 21 + 7))
        .chain((0..60).map(|i| (format!("B{i:04}"), 9 + i % 7)))
        .collect();
    let c: Vec<(String, i64)> = (100..150)
        .map(|i| (format!("A{i:04}"), -12 + i % 21 - 7))
        .chain((0..50).map(|i| (format!("C{i:04}"), 9 + i % 7)))
        .collect();
    let mut pipelines = BTreeMap::new();
    for (name, rows) in [("A", a), ("B", b), ("C", c)] {
        let input = dir.join(format!("{name}.jsonl"));
        std::fs::write(&input, contacts(&rows)).unwrap();
        let pipeline = dir.join(format!("{name}.toml"));
        std::fs::write(
            &pipeline,
            format!(
                "[pipeline]\nname = \"txn\"\n[input]\npaths = [\"{}\"]\n\
                 [text]\ndictionaries = [\"{1}/pipelines/demo/userdict.txt\"]\n\
                 [classify]\ntaxonomy = \"{2}\"\n",
                input.display(),
                repo_root().display(),
                dir.join("taxonomy.toml").display()
            ),
        )
        .unwrap();
        pipelines.insert(name, pipeline);
    }
    std::fs::copy(
        repo_root().join("pipelines/demo/taxonomy.toml"),
        dir.join("taxonomy.toml"),
    )
    .unwrap();
    pipelines
}

/// Everything a reader can see of an output folder, read through the paths users open.
/// Panics if the parts disagree with one another.
#[derive(Debug, Clone, PartialEq)]
struct State {
    /// The bytes of every history partition, table, report file and the quarantine.
    files: BTreeMap<String, Vec<u8>>,
    /// run.json's counts and period.
    manifest: (u64, u64, String),
    /// Contacts per week, from the history (equal to the index's, checked).
    weeks: BTreeMap<String, u64>,
    /// Contacts per category, from the history (equal to the index's, checked).
    categories: BTreeMap<String, u64>,
}

fn state(out: &Path) -> State {
    let mut files = BTreeMap::new();
    for dir in ["history", "tables", "report"] {
        for path in files_under(&out.join(dir)) {
            let rel = path.strip_prefix(out).unwrap().display().to_string();
            // The caches carry file times by design; temporary files are never read.
            if rel.contains("/.cache/") || rel.ends_with(".tmp") {
                continue;
            }
            files.insert(rel, std::fs::read(&path).unwrap());
        }
    }
    files.insert(
        "quarantine.jsonl".into(),
        std::fs::read(out.join("quarantine.jsonl")).unwrap(),
    );
    let manifest = manifest(out);
    let counts = &manifest["counts"];
    let period = manifest["period"].as_str().unwrap().to_string();

    // History: rows, distinct ids, weeks, categories.
    let history = voc_store::OutputDir::new(out);
    let mut ids = BTreeSet::new();
    let mut rows = 0u64;
    let mut weeks = BTreeMap::new();
    let mut categories = BTreeMap::new();
    for partition in history.history().partitions() {
        for r in voc_store::history::read_records(&partition, false).unwrap() {
            rows += 1;
            ids.insert(r.contact.id.clone());
            *weeks.entry(r.week.clone()).or_insert(0) += 1;
            // Sub-categories: the index counts their parents apart.
            for c in r.categories.iter().filter(|c| c.contains('/')) {
                *categories.entry(c.clone()).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(rows, ids.len() as u64, "a contact in two weeks of {out:?}");

    // Index: documents, weeks and categories agree with the history and run.json.
    let index = voc_index::ContactIndex::open(&out.join("index")).unwrap();
    assert_eq!(index.num_docs(), rows, "index documents vs history rows");
    assert_eq!(
        counts["index_documents"].as_u64().unwrap(),
        rows,
        "run.json vs history"
    );
    let mut request = voc_index::SearchRequest::new("");
    request.facets = true;
    request.limit = 0;
    let facets = index.search_request(&request).unwrap().facets.unwrap();
    let index_weeks: BTreeMap<String, u64> = facets
        .week
        .iter()
        .filter(|f| f.count > 0)
        .map(|f| (f.value.clone(), f.count))
        .collect();
    assert_eq!(index_weeks, weeks, "weeks in the index vs the history");
    let index_categories: BTreeMap<String, u64> = facets
        .category
        .iter()
        .filter(|f| f.value.contains('/'))
        .map(|f| (f.value.clone(), f.count))
        .collect();
    assert_eq!(
        index_categories, categories,
        "categories in the index vs the history"
    );

    // The report and run.json are of the same run (27.6).
    let report: serde_json::Value = serde_json::from_slice(&files["report/report.json"]).unwrap();
    assert_eq!(report["data_fingerprint"], manifest["data_fingerprint"]);
    assert_eq!(report["quality"]["read"], counts["read"]);
    assert_eq!(report["period"].as_str().unwrap(), period);
    State {
        files,
        manifest: (
            counts["read"].as_u64().unwrap(),
            counts["accepted"].as_u64().unwrap(),
            period,
        ),
        weeks,
        categories,
    }
}

fn voc_in(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voc"));
    command
        .args(args)
        .current_dir(repo_root())
        .env("CI", "true");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run voc")
}

fn run_ok(pipeline: &Path, out: &Path) -> String {
    let o = voc_in(&run_args(pipeline, out), &[]);
    assert!(
        o.status.success(),
        "voc run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run_args<'a>(pipeline: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
        "--quiet",
    ]
}

/// `cp -a`: the output folder with its symlinks and hard links as they are.
fn copy_folder(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

/// What a killed command must leave: one of `allowed`, whole.
fn assert_one_of(out: &Path, allowed: &[(&str, &State)], what: &str) -> usize {
    let seen = state(out);
    allowed
        .iter()
        .position(|(_, s)| **s == seen)
        .unwrap_or_else(|| {
            panic!(
                "{what}: the folder holds neither {:?}; weeks {:?}, run.json {:?}",
                allowed.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                seen.weeks,
                seen.manifest
            )
        })
}

/// The clean sequences A; A,B; A,C; A,B,C and the folder after A.
struct Clean {
    dir: tempfile::TempDir,
    p: BTreeMap<&'static str, PathBuf>,
    base: PathBuf,
    after_a: State,
    after_ab: State,
    after_ac: State,
    after_abc: State,
}

fn clean_sequences() -> Clean {
    let dir = tempfile::tempdir().unwrap();
    let p = batches(dir.path());
    let clean = |seq: &[&str]| -> State {
        let out = dir.path().join(format!("clean-{}", seq.join("")));
        for name in seq {
            run_ok(&p[name], &out);
        }
        state(&out)
    };
    let after_a = clean(&["A"]);
    let after_ab = clean(&["A", "B"]);
    let after_ac = clean(&["A", "C"]);
    let after_abc = clean(&["A", "B", "C"]);
    assert_ne!(
        after_a.weeks, after_ab.weeks,
        "B moves contacts between weeks"
    );
    Clean {
        base: dir.path().join("clean-A"),
        dir,
        p,
        after_a,
        after_ab,
        after_ac,
        after_abc,
    }
}

/// Kills a run of B with `how` on a copy of the folder after A, checks that it holds
/// the state after A or after A,B whole, then runs `next` (B again, or C) and checks
/// the folder ends as the clean sequence does. Returns 1 if the killed run had
/// committed.
fn kill_trial(c: &Clean, how: &dyn Fn(&Path), label: &str, next: &str) -> usize {
    let trial = c.dir.path().join("trial");
    copy_folder(&c.base, &trial);
    how(&trial);
    let which = assert_one_of(
        &trial,
        &[("A", &c.after_a), ("A,B", &c.after_ab)],
        &format!("after {label}"),
    );
    let warnings = run_ok(&c.p[next], &trial);
    let expected = match (which, next) {
        (_, "B") => &c.after_ab,
        (0, _) => &c.after_ac,
        _ => &c.after_abc,
    };
    assert!(
        state(&trial) == *expected,
        "{label}, then {next}: not what a clean sequence gives"
    );
    if which == 0 && label.contains("abort") && !label.contains("begin") {
        assert!(
            warnings.contains("uncommitted"),
            "{label}: the leftover is reported: {warnings}"
        );
    }
    which
}

#[test]
fn runs_killed_at_every_phase_boundary_leave_one_whole_generation_and_lose_nothing() {
    let started = Instant::now();
    let c = clean_sequences();
    let p = &c.p;
    let mut trials = 0;
    // Every phase boundary, each followed by the same batch and by a different one.
    for point in RUN_POINTS {
        for next in ["B", "C"] {
            let kill = |out: &Path| {
                let o = voc_in(
                    &run_args(&p["B"], out),
                    &[(voc_store::generation::ABORT_AT_ENV, point)],
                );
                assert!(!o.status.success(), "aborted at {point}");
            };
            let which = kill_trial(&c, &kill, &format!("abort at {point}"), next);
            trials += 1;
            let committed = RUN_POINTS.iter().position(|p| *p == COMMITTED).unwrap()
                <= RUN_POINTS.iter().position(|p| p == point).unwrap();
            assert_eq!(
                which == 1,
                committed,
                "abort at {point}: committed only from {COMMITTED} on"
            );
        }
    }
    eprintln!("{trials} boundary kills in {:?}", started.elapsed());
}

#[test]
fn runs_killed_at_random_moments_or_failing_on_a_full_disk_lose_nothing() {
    let started = Instant::now();
    let c = clean_sequences();
    let (p, base, after_a) = (&c.p, &c.base, &c.after_a);
    let trial = c.dir.path().join("trial");
    let mut trials = 0;
    let mut check_trial = |how: &dyn Fn(&Path), label: &str, next: &str| {
        trials += 1;
        kill_trial(&c, how, label, next)
    };
    // The same points failing as on a full disk: a clear error, the previous generation
    // current, nothing left behind.
    for point in &RUN_POINTS[..RUN_POINTS.len() - 1] {
        copy_folder(base, &trial);
        let o = voc_in(
            &run_args(&p["B"], &trial),
            &[(voc_store::generation::FAIL_AT_ENV, point)],
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{point}: {stderr}");
        assert!(
            stderr.contains("no space left on device"),
            "{point}: {stderr}"
        );
        assert!(
            state(&trial) == *after_a,
            "{point}: the previous generation"
        );
        let generations: Vec<_> = std::fs::read_dir(trial.join(".generations"))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('0'))
            .collect();
        assert_eq!(generations.len(), 2, "{point}: {generations:?}");
    }

    // Random moments: SIGKILL after a random delay within a run's duration.
    // Meanwhile a reader that pins the current generation reads the folder again and
    // again: each read sees the state after A or after A,B, whole, never a mix.
    copy_folder(base, &trial);
    let t = Instant::now();
    let done = std::sync::atomic::AtomicBool::new(false);
    let reads = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = [0, 0];
            // One more read once the run is done: it sees the committed generation.
            let mut last = false;
            while !last {
                last = done.load(std::sync::atomic::Ordering::Relaxed);
                let pinned = voc_store::OutputDir::new(&trial).pinned();
                let seen = state(pinned.root());
                let which = [&c.after_a, &c.after_ab]
                    .iter()
                    .position(|s| **s == seen)
                    .expect("a pinned reader sees one whole generation");
                reads[which] += 1;
            }
            reads
        });
        run_ok(&p["B"], &trial);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap()
    });
    let run_ms = t.elapsed().as_millis() as u64;
    eprintln!("a pinned reader read the folder {reads:?} times (after A, after A,B) during a run");
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut committed = 0;
    for n in 0..8 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(seed % run_ms);
        let kill = |out: &Path| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_voc"))
                .args(run_args(&p["B"], out))
                .current_dir(repo_root())
                .env("CI", "true")
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            let _ = child.kill();
            let _ = child.wait();
        };
        let next = if n % 2 == 0 { "B" } else { "C" };
        committed += check_trial(&kill, &format!("SIGKILL after {delay:?}"), next);
    }
    eprintln!(
        "{trials} random kills ({committed} after the commit) and {} full-disk failures in {:?}",
        RUN_POINTS.len() - 1,
        started.elapsed()
    );
}

#[test]
fn killed_retags_and_index_rebuilds_leave_one_whole_generation() {
    let dir = tempfile::tempdir().unwrap();
    let p = batches(dir.path());
    let base = dir.path().join("base");
    run_ok(&p["A"], &base);
    run_ok(&p["B"], &base);
    let before = state(&base);
    // An edited taxonomy: a category gains a word, so re-tagging moves contacts.
    let taxonomy = dir.path().join("taxonomy.toml");
    let edited = std::fs::read_to_string(&taxonomy).unwrap().replacen(
        "any = [\"断网\", ",
        "any = [\"扣费\", \"断网\", ",
        1,
    );
    std::fs::write(&taxonomy, edited).unwrap();
    let retag = |out: &Path, env: &[(&str, &str)]| {
        voc_in(
            &[
                "retag",
                p["B"].to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            env,
        )
    };
    let clean = dir.path().join("clean-retag");
    copy_folder(&base, &clean);
    assert!(retag(&clean, &[]).status.success());
    let after = state(&clean);
    assert_ne!(
        after.categories, before.categories,
        "the retag moves contacts"
    );

    let trial = dir.path().join("trial");
    for point in ["begin", "retag-partition", "commit", "committed"] {
        copy_folder(&base, &trial);
        let o = retag(&trial, &[(voc_store::generation::ABORT_AT_ENV, point)]);
        assert!(!o.status.success(), "aborted at {point}");
        let which = assert_one_of(
            &trial,
            &[("before", &before), ("after", &after)],
            &format!("retag aborted at {point}"),
        );
        assert_eq!(which == 1, point == "committed", "{point}");
        let o = retag(&trial, &[]);
        assert!(o.status.success());
        assert!(
            state(&trial) == after,
            "retag aborted at {point}, then again"
        );
    }

    let rebuild = |out: &Path, env: &[(&str, &str)]| {
        voc_in(
            &[
                "index",
                "rebuild",
                p["B"].to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            env,
        )
    };
    for point in [
        "begin",
        "reindex-fed",
        "reindex-committed",
        "commit",
        "committed",
    ] {
        copy_folder(&clean, &trial);
        let o = rebuild(&trial, &[(voc_store::generation::ABORT_AT_ENV, point)]);
        assert!(!o.status.success(), "aborted at {point}");
        assert!(state(&trial) == after, "rebuild aborted at {point}");
        let o = rebuild(&trial, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            state(&trial) == after,
            "rebuild aborted at {point}, then again"
        );
    }

    // `voc report` of a period: its four files appear together or not at all.
    for point in ["begin", "report", "commit"] {
        copy_folder(&clean, &trial);
        let report = |env: &[(&str, &str)]| {
            voc_in(
                &[
                    "report",
                    p["B"].to_str().unwrap(),
                    "--out",
                    trial.to_str().unwrap(),
                    "--period",
                    "2026-11",
                ],
                env,
            )
        };
        let o = report(&[(voc_store::generation::ABORT_AT_ENV, point)]);
        assert!(!o.status.success());
        assert!(!trial.join("report/2026-11").exists(), "{point}");
        assert!(state(&trial) == after);
        assert!(report(&[]).status.success());
        for file in voc_store::REPORT_FILES {
            assert!(trial.join("report/2026-11").join(file).exists());
        }
    }
}

/// Unmounts the small file system of the full-disk test, whatever happens.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A real full disk (a 5 MB tmpfs, so only where the tests may mount one: as root):
/// the demo's first run fits, the second runs out of space while writing its
/// generation, fails naming the file, and leaves the first run's outputs current and
/// the space it took free.
#[test]
fn a_run_out_of_disk_space_fails_clearly_and_keeps_the_previous_generation() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount")
        // Room for one generation of the demo (about 8 MB) and the run's scratch, not two.
        .args(["-t", "tmpfs", "-o", "size=14m", "tmpfs"])
        .arg(&disk)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let _unmount = Mounted(disk.clone());
    let pipeline = repo_root().join("pipelines/demo/weekly.toml");
    let out = disk.join("out");
    run_ok(&pipeline, &out);
    let before = std::fs::read(out.join("report/report.xlsx")).unwrap();
    let manifest_before = std::fs::read(out.join("run.json")).unwrap();
    let free = || {
        let o = Command::new("df")
            .arg("--output=avail")
            .arg(&disk)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let free_before = free();
    let o = voc_in(&run_args(&pipeline, &out), &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    // Where the disk fills up depends on the data's size (the history's files or the
    // index's); either error names the path.
    assert!(
        stderr.contains("cannot write") || stderr.contains("search index at"),
        "the file is named: {stderr}"
    );
    assert_eq!(
        std::fs::read(out.join("report/report.xlsx")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read(out.join("run.json")).unwrap(),
        manifest_before
    );
    let index = voc_index::ContactIndex::open(&out.join("index")).unwrap();
    assert_eq!(index.num_docs(), demo_truth().totals.contacts);
    assert_eq!(free(), free_before, "the failed generation is removed");
}
