//! Discovered topics over an output-folder generation: `topic:ID` filters on the
//! contacts `voc discover` assigned (topics and themes, from every discovered period),
//! the facet counts the hits of each topic with its label, and an index with no
//! discovery beside it has neither.

use voc_index::testing::sample_index;
use voc_index::{SearchRequest, TopicCount};

/// A generation folder: `index/` and `tables/discover/` side by side, as `voc run`
/// with `[discover]` leaves them.
fn generation(with_topics: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    drop(sample_index(&dir.path().join("index")).unwrap());
    if with_topics {
        let discover = dir.path().join("tables/discover");
        std::fs::create_dir_all(discover.join("2026-W45")).unwrap();
        std::fs::create_dir_all(discover.join("2026-W46")).unwrap();
        std::fs::write(
            discover.join("topics.json"),
            r#"{"topics": [{"id": "T0001", "label": "宽带、断网、光猫"},
                           {"id": "T0002", "label": "话费、扣费"},
                           {"id": "T0003", "label": "充电桩、起火"}], "periods": {}}"#,
        )
        .unwrap();
        // With a BOM as written for Excel; a theme beside a topic; an unknown id.
        std::fs::write(
            discover.join("2026-W45/assignments.csv"),
            "\u{feff}contact_id,topic,themes\nC1,T0001,T0003\nC2,T0001,\nC3,T0002,\nC4,,\nNOPE,T0002,\n",
        )
        .unwrap();
        std::fs::write(
            discover.join("2026-W46/assignments.csv"),
            "\u{feff}contact_id,topic,themes\nC7,T0001,\n\"C8\",T0002,T0003\n",
        )
        .unwrap();
    }
    dir
}

fn search(dir: &tempfile::TempDir, query: &str) -> voc_index::SearchResults {
    let index = voc_index::ContactIndex::open(&dir.path().join("index")).unwrap();
    let mut request = SearchRequest::new(query);
    request.limit = 100;
    request.facets = true;
    index.search_request(&request).unwrap()
}

fn ids(results: &voc_index::SearchResults) -> Vec<String> {
    let mut ids: Vec<String> = results.hits.iter().map(|h| h.id.clone()).collect();
    ids.sort();
    ids
}

#[test]
fn topic_filters_and_counts() {
    let dir = generation(true);
    assert_eq!(ids(&search(&dir, "topic:T0001")), ["C1", "C2", "C7"]);
    assert_eq!(ids(&search(&dir, "topic:t0003")), ["C1", "C8"]);
    assert_eq!(
        ids(&search(&dir, "topic:T0001 -断网")),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&search(&dir, "topic:T0002 OR topic:T0003")),
        ["C1", "C3", "C8"]
    );
    let all = search(&dir, "");
    let facet = &all.facets.as_ref().unwrap().topic;
    let count = |id: &str, label: &str, count: u64| TopicCount {
        id: id.into(),
        label: label.into(),
        count,
    };
    assert_eq!(
        facet,
        &[
            count("T0001", "宽带、断网、光猫", 3),
            count("T0002", "话费、扣费", 2),
            count("T0003", "充电桩、起火", 2),
        ]
    );
    // Counts follow the query.
    let broadband = search(&dir, "宽带");
    let facet = &broadband.facets.as_ref().unwrap().topic;
    assert_eq!(
        facet.first().map(|t| (t.id.as_str(), t.count)),
        Some(("T0001", 3))
    );
    let json = serde_json::to_string(&broadband.facets).unwrap();
    assert!(
        json.contains(r#""topic":[{"id":"T0001","label":"宽带、断网、光猫","count":3}"#),
        "{json}"
    );
    // An unknown topic is a query error naming the known ones.
    let index = voc_index::ContactIndex::open(&dir.path().join("index")).unwrap();
    let err = index.search("topic:T0099", 10).unwrap_err().to_string();
    assert!(
        err.contains("unknown topic 'T0099'") && err.contains("T0001, T0002, T0003"),
        "{err}"
    );
}

#[test]
fn without_discovery_no_facet_and_a_clear_error() {
    let dir = generation(false);
    let all = search(&dir, "");
    assert!(all.facets.as_ref().unwrap().topic.is_empty());
    let json = serde_json::to_string(&all.facets).unwrap();
    assert!(!json.contains("topic"), "{json}");
    let index = voc_index::ContactIndex::open(&dir.path().join("index")).unwrap();
    let err = index.search("topic:T0001", 10).unwrap_err().to_string();
    assert!(err.contains("no topics were discovered"), "{err}");
}
