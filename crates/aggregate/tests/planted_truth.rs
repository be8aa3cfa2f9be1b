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
use voc_aggregate::terms::TermFilter;
use voc_aggregate::trends::{self, TrendOptions};
use voc_aggregate::week_counts::history_tables;
use voc_core::{EnrichedContact, Period};
use voc_fixtures::{ContactGenerator, GeneratedContact, GeneratorConfig, GroundTruth};
use voc_store::History;
use voc_store::history::write_history;

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
            .map(|t| {
                t.text
                    .chars()
                    .map(|c| voc_core::Token::from(c.to_string()))
                    .collect()
            })
            .collect(),
        contact,
        categories,
        complaint: g.planted.complaint,
        sentiment: 0.0,
        sentiment_label: "neutral".into(),
        mood: Default::default(),
        risk: Default::default(),
    }
}

/// Writes the history of `cfg` into `dir`.
fn history_of(cfg: &GeneratorConfig, dir: &History) {
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
fn check(truth: &GroundTruth, history: &History) -> Vec<(String, usize)> {
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
    let history = History::at(dir.path());
    history_of(&cfg, &history);
    let alarms = check(&truth, &history);
    // The planted week itself is clean.
    assert_eq!(alarms.last(), Some(&("2026-W46".to_string(), 0)));
}

#[test]
fn generated_data_with_other_seeds_and_sizes() {
    // Complaints are about 4 % of the generated mix: sizes of a few thousand a week
    // give the planted issues enough contacts to be told from noise.
    for (contacts, weeks, seed, end_week) in [
        (20_000, 10, 7, "2026-W46"),
        (36_000, 12, 42, "2027-W03"),
        (18_000, 6, 2027, "2026-W20"),
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
        let history = History::at(dir.path().join("history"));
        history_of(&cfg, &history);
        check(&truth, &history);
    }
}

/// 20,000 generated contacts over the ten weeks up to 2026-W46 (Monday 7 September to
/// Sunday 15 November), written as history into `dir`.
fn small_history(dir: &History) {
    let cfg = GeneratorConfig {
        contacts: 20_000,
        weeks: 10,
        seed: 11,
        end_week: "2026-W46".into(),
    };
    history_of(&cfg, dir);
}

#[test]
fn the_whole_trend_run_on_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::at(dir.path());
    small_history(&history);
    let options = TrendOptions {
        trend_weeks: 9,
        ..TrendOptions::default()
    };
    // 2026-W46 ends on Sunday 15 November: 8 baseline weeks reach back to W38, which
    // also holds 1 October (month-over-month) and the forecast's 8 weeks; W37, the
    // first generated week, is not read.
    let w46 = Period::parse("2026-W46").unwrap();
    let read = trends::partitions_read(&history, &w46, &options).unwrap();
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
    let t = trends::compute(&history, &w46, &options, &TermFilter::none()).unwrap();
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
    // Per-period tables of a week are the weekly tables of its weeks, and the test on
    // them is the weekly test.
    let spans = t.spans.as_ref().unwrap();
    assert_eq!(spans.series.first().unwrap().key, "2026-W38");
    assert_eq!(spans.comparison.as_ref().unwrap().key, "2026-W45");
    assert!(!spans.in_progress());
    let row = |tables: &voc_aggregate::HistoryTables, key: &str| {
        tables.weeks.iter().find(|w| w.week == key).cloned()
    };
    assert_eq!(
        row(&t.period_tables, "2026-W46"),
        row(&t.tables, "2026-W46")
    );
    assert_eq!(
        row(t.comparison_tables.as_ref().unwrap(), "2026-W45"),
        row(&t.tables, "2026-W45")
    );
    assert_eq!(
        t.emerging,
        emerging::detect(&t.tables, "2026-W46", &options.emerging)
    );
    assert_eq!(t.baseline_keys(8).len(), 8);
}

#[test]
fn a_month_in_progress_and_a_date_range() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::at(dir.path());
    small_history(&history);
    let options = TrendOptions::default();
    let weekly = trends::compute(
        &history,
        &Period::parse("2026-W46").unwrap(),
        &options,
        &TermFilter::none(),
    )
    .unwrap();
    let day_total = |from: &str, to: &str| -> u64 {
        weekly
            .volumes
            .iter()
            .filter(|v| v.grain.as_str() == "day" && v.dimension == "all")
            .filter(|v| from <= v.period.as_str() && v.period.as_str() <= to)
            .map(|v| v.contacts)
            .sum()
    };

    // The data runs from Monday 7 September to Sunday 15 November: November is in
    // progress and is compared with 1–15 October; September is only partly covered, so
    // it is neither in the trend nor in the baseline.
    let nov = Period::parse("2026-11").unwrap();
    let t = trends::compute(&history, &nov, &options, &TermFilter::none()).unwrap();
    let spans = t.spans.as_ref().unwrap();
    assert_eq!(t.today.unwrap().to_string(), "2026-11-15");
    assert!(spans.in_progress());
    let keys: Vec<&str> = spans.series.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["2026-10", "2026-11"]);
    let c = spans.comparison.as_ref().unwrap();
    assert_eq!(
        (c.key.as_str(), c.first.to_string(), c.last.to_string()),
        ("2026-10", "2026-10-01".into(), "2026-10-15".into())
    );
    let months: Vec<(&str, u64)> = t
        .period_tables
        .weeks
        .iter()
        .map(|w| (w.week.as_str(), w.contacts))
        .collect();
    assert_eq!(
        months,
        [
            ("2026-10", day_total("2026-10-01", "2026-10-31")),
            ("2026-11", day_total("2026-11-01", "2026-11-15"))
        ]
    );
    let compared = &t.comparison_tables.as_ref().unwrap().weeks[0];
    assert_eq!(compared.contacts, day_total("2026-10-01", "2026-10-15"));
    assert_eq!(t.baseline_keys(8), ["2026-10"]);
    // The planted surge of W46 shows in November against October.
    let found: Vec<&str> = t.emerging.iter().map(|e| e.category.as_str()).collect();
    assert!(found.contains(&"增值业务/违规订购"), "{found:?}");
    assert!(t.emerging.iter().all(|e| e.week == "2026-11"));
    let channels: u64 = t
        .breakdown
        .iter()
        .filter(|b| b.dimension == "channel")
        .map(|b| b.contacts)
        .sum();
    assert_eq!(channels, day_total("2026-11-01", "2026-11-15"));
    assert_eq!(t.scorecard.month, "2026-11");

    // Four weeks as a range, against the four weeks before it.
    let range = Period::parse("2026-10-05..2026-11-01").unwrap();
    let t = trends::compute(&history, &range, &options, &TermFilter::none()).unwrap();
    let spans = t.spans.as_ref().unwrap();
    assert!(!spans.in_progress());
    assert_eq!(
        spans.comparison.as_ref().unwrap().key,
        "2026-09-07..2026-10-04"
    );
    assert_eq!(
        t.period_tables.weeks.last().unwrap().contacts,
        day_total("2026-10-05", "2026-11-01")
    );
    assert_eq!(t.today.unwrap().to_string(), "2026-11-01");
    assert!(t.forecast.as_ref().unwrap().days[0].date == "2026-11-02");

    // A period without data.
    let empty = trends::compute(
        &history,
        &Period::parse("2026-W30").unwrap(),
        &options,
        &TermFilter::none(),
    )
    .unwrap();
    assert!(empty.today.is_none() && empty.spans.is_none());
}

#[test]
fn baseline_term_counts_come_from_the_cache_only_while_their_partitions_are_unchanged() {
    use voc_store::history::{read_records, write_records};

    let dir = tempfile::tempdir().unwrap();
    let history = History::at(dir.path());
    small_history(&history);
    let options = TrendOptions::default();
    let w46 = Period::parse("2026-W46").unwrap();
    let compute = || trends::compute(&history, &w46, &options, &TermFilter::none()).unwrap();
    let counted = compute();
    assert!(!counted.terms.new_terms.is_empty());
    let cache = dir.path().join(".cache/term-counts");
    let mut kept: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    // The eight baseline weeks and the report week itself (next week's baseline).
    assert_eq!(kept.len(), 9, "{kept:?}");
    assert_eq!(kept.first().unwrap(), "2026-W38.tsv");
    assert_eq!(kept.last().unwrap(), "2026-W46.tsv");
    assert_eq!(compute().terms, counted.terms, "same result from the cache");

    // A cached file is read: a planted contact count changes every expectation…
    let w45 = cache.join("2026-W45.tsv");
    let original = std::fs::read_to_string(&w45).unwrap();
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    let (_, phrases) = lines[1].split_once('\t').unwrap();
    lines[1] = format!("100000\t{phrases}");
    let planted = lines.join("\n") + "\n";
    std::fs::write(&w45, planted).unwrap();
    let from_planted = compute();
    assert_ne!(from_planted.terms, counted.terms, "the cache was not read");

    // …until the week's partition changes: then it is counted again.
    let partition = history.partition("2026-W45");
    let mut records = read_records(&partition, true).unwrap();
    records.truncate(records.len() / 2);
    write_records(&partition, &records).unwrap();
    let recounted = compute();
    std::fs::remove_dir_all(&cache).unwrap();
    let uncached = compute();
    assert_eq!(recounted.terms, uncached.terms);
    assert_ne!(
        recounted.terms, counted.terms,
        "half of W45 is gone from the baseline"
    );
}

#[test]
fn a_week_and_the_same_seven_days_as_a_range_give_the_same_period_tables() {
    // A week's per-period tables are taken from the weekly rows; a range's are grouped
    // by span. Monday to Sunday as a range must give the same counts.
    let dir = tempfile::tempdir().unwrap();
    let history = History::at(dir.path());
    small_history(&history);
    let options = TrendOptions::default();
    let of = |p: &str| {
        trends::compute(
            &history,
            &Period::parse(p).unwrap(),
            &options,
            &TermFilter::none(),
        )
        .unwrap()
    };
    let week = of("2026-W46");
    let range = of("2026-11-09..2026-11-15");
    let counts = |t: &voc_aggregate::HistoryTables| {
        let weeks: Vec<_> = t
            .weeks
            .iter()
            .map(|w| {
                let mut w = w.clone();
                w.week.clear();
                w
            })
            .collect();
        let categories: Vec<_> = t
            .categories
            .iter()
            .map(|c| (c.category.clone(), c.count))
            .collect();
        let regions: Vec<_> = t
            .region_categories
            .iter()
            .map(|c| (c.region.clone(), c.category.clone(), c.count))
            .collect();
        (weeks, categories, regions)
    };
    assert_eq!(
        week.period_tables.weeks.len(),
        10,
        "the ten generated weeks"
    );
    assert_eq!(counts(&week.period_tables), counts(&range.period_tables));
    assert_eq!(
        counts(week.comparison_tables.as_ref().unwrap()),
        counts(range.comparison_tables.as_ref().unwrap())
    );
}

#[test]
fn kept_week_tables_give_what_one_scan_of_the_window_gives() {
    use chrono::NaiveDate;
    use voc_aggregate::volumes;
    use voc_aggregate::week_counts::tables_of;
    use voc_aggregate::week_counts_cache::window_tables;
    use voc_store::history::{read_records, write_records};
    use voc_store::scan::{Span, WeekWindow, scan};

    let dir = tempfile::tempdir().unwrap();
    let history = History::at(dir.path());
    small_history(&history);
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let direct = |window: &WeekWindow, today: NaiveDate| {
        let lf = scan(&history, window)
            .unwrap()
            .unwrap()
            .filter(Span::new("", NaiveDate::MIN, today).predicate());
        (tables_of(lf.clone()).unwrap(), volumes::daily(&lf).unwrap())
    };
    // A Sunday (whole weeks) and a Wednesday (the last week cut short).
    for today in [day("2026-11-15"), day("2026-11-11")] {
        let window = WeekWindow::of_days(day("2026-09-07"), today);
        let expected = direct(&window, today);
        assert!(expected.0.weeks.len() >= 10);
        assert_eq!(window_tables(&history, &window, today).unwrap(), expected);
        assert_eq!(
            window_tables(&history, &window, today).unwrap(),
            expected,
            "from the kept tables"
        );
    }
    let kept = std::fs::read_dir(dir.path().join(".cache/week-tables"))
        .unwrap()
        .count();
    assert_eq!(kept, 10, "one file per stored week");

    // A rewritten partition is counted again.
    let partition = history.partition("2026-W45");
    let mut records = read_records(&partition, true).unwrap();
    records.truncate(records.len() / 3);
    write_records(&partition, &records).unwrap();
    let today = day("2026-11-15");
    let window = WeekWindow::of_days(day("2026-09-07"), today);
    let expected = direct(&window, today);
    let w45 = expected
        .0
        .weeks
        .iter()
        .find(|w| w.week == "2026-W45")
        .unwrap();
    assert_eq!(w45.contacts, records.len() as u64);
    assert_eq!(window_tables(&history, &window, today).unwrap(), expected);
}
