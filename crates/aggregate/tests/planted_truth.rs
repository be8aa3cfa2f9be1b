//! The emerging-issue test against the generator's ground truth: on the demo data and on
//! data generated here with other seeds and sizes, every planted emerging issue is found
//! in the week it was planted, and no week has more than one false alarm.
//!
//! The contacts carry the categories the generator planted (not what the classifier
//! makes of them: that is the classifier's own test), so this checks the statistics and
//! the history tables alone. The end-to-end run on the demo data is in
//! `crates/cli/tests/demo_e2e.rs`.

use std::path::Path;
use voc_aggregate::emerging::{self, Emerging, EmergingOptions};
use voc_aggregate::history::write_history;
use voc_aggregate::tables::history_tables;
use voc_aggregate::terms::TermFilter;
use voc_aggregate::trends::{self, TrendOptions};
use voc_core::EnrichedContact;
use voc_fixtures::{ContactGenerator, GeneratedContact, GeneratorConfig, GroundTruth};

fn repo_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A generated contact as the pipeline would store it, with the planted categories and
/// one token per character (enough for the word statistics to run).
fn enriched(g: GeneratedContact) -> EnrichedContact {
    let contact = g.record.to_contact();
    let mut categories = vec![g.planted.primary.to_string()];
    categories.extend(g.planted.secondary.map(str::to_string));
    EnrichedContact {
        week: voc_core::time::iso_week_key(&contact.started_at),
        tokens: contact
            .turns
            .iter()
            .map(|t| t.text.chars().map(String::from).collect())
            .collect(),
        contact,
        categories,
        complaint: g.planted.complaint,
        sentiment: 0.0,
        sentiment_label: "neutral".into(),
        risk: Default::default(),
    }
}

/// Writes the history of `cfg` into `dir`.
fn history_of(cfg: &GeneratorConfig, dir: &Path) {
    let records: Vec<EnrichedContact> = ContactGenerator::new(cfg).unwrap().map(enriched).collect();
    assert_eq!(records.len(), cfg.contacts);
    write_history(dir, &records).unwrap();
}

fn matches(found: &Emerging, planted: &voc_fixtures::EmergingIssue) -> bool {
    found.category == planted.category
        && found
            .region
            .as_ref()
            .is_none_or(|r| planted.regions.contains(r))
}

/// Runs the test on every week with at least one baseline week; returns the number of
/// false alarms per week.
fn check(truth: &GroundTruth, history: &Path) -> Vec<(String, usize)> {
    let tables = history_tables(history).unwrap();
    let options = EmergingOptions::default();
    let mut alarms = Vec::new();
    for week in truth.weeks.iter().skip(1) {
        let found = emerging::detect(&tables, week, &options);
        let planted: Vec<_> = truth.emerging.iter().filter(|e| &e.week == week).collect();
        for p in &planted {
            assert!(
                found.iter().any(|f| matches(f, p)),
                "seed {} ({} contacts): {} planted in {week} not found; found {found:?}",
                truth.config.seed,
                truth.config.contacts,
                p.category
            );
        }
        let false_alarms: Vec<&Emerging> = found
            .iter()
            .filter(|f| !planted.iter().any(|p| matches(f, p)))
            .collect();
        assert!(
            false_alarms.len() <= 1,
            "seed {} ({} contacts), {week}: false alarms {false_alarms:?}",
            truth.config.seed,
            truth.config.contacts
        );
        alarms.push((week.clone(), false_alarms.len()));
    }
    alarms
}

#[test]
fn the_demo_data_truth_file() {
    let truth = GroundTruth::read(&repo_root().join("fixtures/demo/contacts.truth.json")).unwrap();
    assert_eq!(truth.emerging.len(), 2);
    let cfg = GeneratorConfig {
        contacts: truth.config.contacts,
        weeks: truth.config.weeks,
        seed: truth.config.seed,
        end_week: truth.config.end_week.clone(),
    };
    let dir = tempfile::tempdir().unwrap();
    history_of(&cfg, dir.path());
    let alarms = check(&truth, dir.path());
    // The planted week itself is clean.
    assert_eq!(alarms.last(), Some(&("2026-W46".to_string(), 0)));
}

#[test]
fn generated_data_with_other_seeds_and_sizes() {
    for (contacts, weeks, seed, end_week) in [
        (20_000, 10, 7, "2026-W46"),
        (8_000, 12, 42, "2027-W03"),
        (5_000, 6, 2027, "2026-W20"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = GeneratorConfig {
            contacts,
            weeks,
            seed,
            end_week: end_week.to_string(),
        };
        // Through the file the CLI writes (`voc fixtures generate`), truth beside it.
        let jsonl = dir.path().join("contacts.jsonl");
        voc_fixtures::generate_to_path(&cfg, &jsonl).unwrap();
        let truth = GroundTruth::read(&voc_fixtures::truth_path_for(&jsonl)).unwrap();
        assert_eq!(truth.weeks.last().map(String::as_str), Some(end_week));
        assert!(!truth.emerging.is_empty());
        let history = dir.path().join("history");
        history_of(&cfg, &history);
        check(&truth, &history);
    }
}

#[test]
fn the_whole_trend_run_on_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = GeneratorConfig {
        contacts: 6_000,
        weeks: 10,
        seed: 11,
        end_week: "2026-W46".into(),
    };
    history_of(&cfg, dir.path());
    let options = TrendOptions {
        trend_weeks: 9,
        ..TrendOptions::default()
    };
    // 2026-W46 ends on Sunday 15 November: 8 baseline weeks reach back to W38, which
    // also holds 1 October (month-over-month) and the forecast's 8 weeks; W37, the
    // first generated week, is not read.
    let read = trends::partitions_read(dir.path(), "2026-W46", &options).unwrap();
    let weeks: Vec<String> = read
        .iter()
        .map(|p| {
            p.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(weeks.first().map(String::as_str), Some("week=2026-W38"));
    assert_eq!(weeks.last().map(String::as_str), Some("week=2026-W46"));
    let t = trends::compute(dir.path(), "2026-W46", &options, &TermFilter::none()).unwrap();
    assert_eq!(
        t.today.map(|d| d.to_string()).as_deref(),
        Some("2026-11-15")
    );
    let categories: Vec<&str> = t.emerging.iter().map(|e| e.category.as_str()).collect();
    assert!(categories.contains(&"增值业务/违规订购"), "{categories:?}");
    // The weekly total of the period equals the generated week.
    let week = t
        .volumes
        .iter()
        .find(|v| v.grain.as_str() == "week" && v.period == "2026-W46" && v.dimension == "all")
        .unwrap();
    let w46 = t
        .tables
        .weeks
        .iter()
        .find(|w| w.week == "2026-W46")
        .unwrap();
    assert_eq!(week.contacts, w46.contacts);
    let forecast = t.forecast.as_ref().unwrap();
    assert_eq!(forecast.days.len(), 28);
    assert_eq!(forecast.days[0].date, "2026-11-16");
    assert!(
        forecast.backtest_mape.is_some_and(|m| m < 25.0),
        "{:?}",
        forecast.backtest_mape
    );
    assert_eq!(t.staffing.len(), 28);
    assert!(
        t.staffing
            .iter()
            .all(|s| s.erlang_agents > 0 && s.simple_headcount > 0)
    );
    // No KPI targets configured: an empty scorecard for November.
    assert_eq!(t.scorecard.month, "2026-11");
    assert!(!t.scorecard.has_targets);
    // Character bigrams of the surge texts rise: some new terms are found.
    assert!(!t.terms.new_terms.is_empty());
    // Keywords are words of two characters or more; single-character tokens give none.
    assert!(t.terms.keywords.is_empty());
}
