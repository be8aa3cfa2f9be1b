//! Facet counts come from a per-segment cache of decoded columns: they must be the
//! counts of the hits' stored fields with a cold cache, a warm one, and after upserts
//! that add segments, delete contacts in old ones and merge segments away.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use voc_core::{EnrichedContact, RiskFlags};
use voc_index::testing::{sample_contacts, sample_segmenter};
use voc_index::{ContactIndex, ExportRow, FacetCount, Facets, SearchRequest, Sort};

const QUERIES: &[&str] = &[
    "",
    "断网",
    "宽带",
    "断网 OR 退订",
    "channel:voice",
    "category:父1",
    "risk:churn",
    "region:地区14",
    "-channel:chat",
];

/// Contact `i` in its `version`: metadata spread so that segments get missing and
/// empty regions, more than 254 regions (wider ordinals), several categories per
/// contact (two of one parent, a top-level one alone), more than 64 category paths in
/// large segments and fewer in small ones, and several risk flags.
fn contact(templates: &[EnrichedContact], i: usize, version: usize) -> EnrichedContact {
    let mut c = templates[i % templates.len()].clone();
    let v = i + version;
    c.contact.id = format!("G{i}");
    c.contact.started_at += chrono::Duration::hours((i * 7 % 2000) as i64);
    c.week = format!("2026-W{:02}", 10 + (i * 3 + version) % 40);
    c.contact.channel = ["voice", "chat", "wechat", "workorder"][v % 4].to_string();
    c.contact.region = match v % 5 {
        0 => None,
        1 => Some(String::new()),
        _ => Some(format!("地区{}", (i * 7 + version) % 300)),
    };
    c.contact.business = (!i.is_multiple_of(3)).then(|| format!("业务{}", v % 4));
    let mut categories: Vec<String> = (0..v % 4)
        .map(|j| {
            format!(
                "父{}/子{}",
                (i / 2 + j / 2) % 6,
                (i * (j + 1) + version) % 90
            )
        })
        .collect();
    if i.is_multiple_of(11) {
        categories.push("父9".to_string());
    }
    categories.sort();
    categories.dedup();
    c.categories = categories;
    let bits = (i * 5 + version) % 8;
    c.risk = RiskFlags {
        escalation: bits & 1 != 0,
        churn: bits & 2 != 0,
        repeat_contact: bits & 4 != 0,
        ..RiskFlags::default()
    };
    c.sentiment_label = ["negative", "neutral", "positive"][v % 3].to_string();
    c
}

fn open(dir: &Path) -> ContactIndex {
    let builder = sample_segmenter();
    let segmenter = Arc::new(builder.build().unwrap());
    ContactIndex::open_or_create(dir, segmenter, &builder).unwrap()
}

fn by_count(map: BTreeMap<String, u64>) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = map
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

/// The facets of `rows` counted from their stored fields: each value once per
/// occurrence, each top-level category once per contact.
fn expected(rows: &[ExportRow]) -> Facets {
    let mut maps: [BTreeMap<String, u64>; 7] = Default::default();
    let [category, channel, region, business, week, sentiment, risk] = &mut maps;
    let add = |map: &mut BTreeMap<String, u64>, value: &str| {
        if !value.is_empty() {
            *map.entry(value.to_string()).or_default() += 1;
        }
    };
    for row in rows {
        add(channel, &row.channel);
        add(region, &row.region);
        add(business, &row.business);
        add(week, &row.week);
        add(sentiment, &row.sentiment);
        for flag in row.risk.split("; ") {
            add(risk, flag);
        }
        let paths: Vec<&str> = row
            .categories
            .split("; ")
            .filter(|p| !p.is_empty())
            .collect();
        for path in &paths {
            if path.contains('/') {
                add(category, path);
            }
        }
        let parents: BTreeSet<&str> = paths
            .iter()
            .map(|p| p.split('/').next().unwrap_or(""))
            .collect();
        for parent in parents {
            add(category, parent);
        }
    }
    let [category, channel, region, business, week, sentiment, risk] = maps;
    Facets {
        category: by_count(category),
        channel: by_count(channel),
        region: by_count(region),
        business: by_count(business),
        week: week
            .into_iter()
            .map(|(value, count)| FacetCount { value, count })
            .collect(),
        sentiment: by_count(sentiment),
        risk: by_count(risk),
        // No discovered topics beside these indexes.
        topic: Vec::new(),
    }
}

/// Checks every query in both sorts (scored: docs one by one; by time: in blocks)
/// against the stored fields of its hits; returns the facets seen.
fn check_all(index: &ContactIndex) -> Vec<Facets> {
    let mut seen = Vec::new();
    for query in QUERIES {
        for sort in [Sort::Relevance, Sort::Time] {
            let mut request = SearchRequest::new(*query);
            request.sort = sort;
            request.facets = true;
            request.limit = 3;
            let results = index.search_request(&request).unwrap();
            let mut facets = results.facets.unwrap();
            let mut rows = Vec::new();
            let (total, _) = index
                .export(&request, usize::MAX, |row| {
                    rows.push(row);
                    Ok::<(), ()>(())
                })
                .unwrap()
                .unwrap();
            assert_eq!(total, results.total, "{query}");
            assert!(total > 0, "{query} matches nothing: a weak check");
            // Every week of the index is listed, in order; compare the weeks with hits.
            let weeks: Vec<&str> = facets.week.iter().map(|w| w.value.as_str()).collect();
            assert!(weeks.is_sorted(), "{query}: {weeks:?}");
            facets.week.retain(|w| w.count > 0);
            assert_eq!(facets, expected(&rows), "{query} ({sort:?})");
            seen.push(facets);
        }
    }
    seen
}

fn live_segments(dir: &Path) -> BTreeSet<tantivy::index::SegmentId> {
    tantivy::Index::open_in_dir(dir)
        .unwrap()
        .searchable_segment_ids()
        .unwrap()
        .into_iter()
        .collect()
}

#[test]
fn facet_counts_are_the_same_cold_warm_and_after_upserts() {
    let dir = tempfile::tempdir().unwrap();
    let templates = sample_contacts();
    let index = open(dir.path());
    // A segment or two per commit (one per indexing thread), of varied sizes.
    let mut next = 0;
    for size in [600, 400, 30, 5, 200] {
        let batch: Vec<EnrichedContact> = (next..next + size)
            .map(|i| contact(&templates, i, 0))
            .collect();
        index.upsert(&batch).unwrap();
        next += size;
    }
    let first_segments = live_segments(dir.path());
    assert_eq!(
        index.facet_cache_stats(),
        (0, 0),
        "cold before the first search"
    );

    let cold = check_all(&index);
    let (segments, bytes) = index.facet_cache_stats();
    assert_eq!(segments, first_segments.len());
    assert!(bytes > 0);
    let warm = check_all(&index);
    assert_eq!(cold, warm);
    assert_eq!(index.facet_cache_stats(), (segments, bytes));

    // Re-deliveries with other metadata (deletes in old segments) plus new contacts,
    // one commit each (new segments; the merge policy may merge some away).
    let mut changed = false;
    for version in 1..=4 {
        let mut batch: Vec<EnrichedContact> = (0..next)
            .step_by(7 + version)
            .map(|i| contact(&templates, i, version))
            .collect();
        batch.extend((next..next + 50).map(|i| contact(&templates, i, version)));
        next += 50;
        let before = index.search_request(&{
            let mut r = SearchRequest::new("");
            r.facets = true;
            r
        });
        index.upsert(&batch).unwrap();
        let after = check_all(&index);
        changed |= before.unwrap().facets != Some(after[0].clone());
        // Only segments of the current searcher have entries.
        assert_eq!(index.facet_cache_stats().0, live_segments(dir.path()).len());
    }
    assert!(changed, "the upserts changed the counts");

    // Merge every segment into one (as the merge policy does in time), then commit
    // once more through the index, which reloads its reader: the entries of the
    // merged-away segments are dropped and the merged segment counts the same.
    let mut before_merge = live_segments(dir.path());
    if before_merge.len() < 2 {
        // The merge policy may already have merged everything into one segment (how
        // the contacts split across indexing threads varies run to run); a commit of
        // one new contact adds a segment of its own, which the policy leaves alone.
        index.upsert(&[contact(&templates, next, 8)]).unwrap();
        next += 1;
        before_merge = live_segments(dir.path());
    }
    assert!(before_merge.len() > 1, "{before_merge:?}");
    {
        let tantivy_index = tantivy::Index::open_in_dir(dir.path()).unwrap();
        let mut writer: tantivy::IndexWriter = tantivy_index.writer(50_000_000).unwrap();
        let ids: Vec<_> = before_merge.iter().cloned().collect();
        writer.merge(&ids).wait().unwrap();
        writer.wait_merging_threads().unwrap();
    }
    let expected_after_merge = check_all(&ContactIndex::open(dir.path()).unwrap());
    index.upsert(&[contact(&templates, next, 9)]).unwrap();
    let after_merge = live_segments(dir.path());
    assert!(before_merge.is_disjoint(&after_merge), "{after_merge:?}");
    let counted = check_all(&index);
    assert_eq!(index.facet_cache_stats().0, after_merge.len());
    assert_ne!(
        counted, expected_after_merge,
        "the last upsert changed the counts"
    );

    // A fresh index over the same folder (cold cache) counts the same.
    let reopened = ContactIndex::open(dir.path()).unwrap();
    assert_eq!(check_all(&reopened), check_all(&index));
}

#[test]
fn warming_decodes_every_segment_once() {
    let dir = tempfile::tempdir().unwrap();
    let templates = sample_contacts();
    let index = open(dir.path());
    for start in [0, 100] {
        let batch: Vec<EnrichedContact> = (start..start + 100)
            .map(|i| contact(&templates, i, 0))
            .collect();
        index.upsert(&batch).unwrap();
    }
    index.warm_facets().unwrap();
    let warmed = index.facet_cache_stats();
    assert_eq!(warmed.0, live_segments(dir.path()).len());
    check_all(&index);
    assert_eq!(index.facet_cache_stats(), warmed);
}
