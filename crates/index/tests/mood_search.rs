//! Issue 28: the customer's mood is searchable — `emotion:`, `trajectory:` and
//! `lastturn:` — and an unknown value is refused with the values it takes.

use std::sync::Arc;
use voc_core::CustomerMood;
use voc_index::testing::{sample_contacts, sample_segmenter};
use voc_index::{ContactIndex, SearchRequest};

fn ids(index: &ContactIndex, query: &str) -> Vec<String> {
    let mut request = SearchRequest::new(query);
    request.limit = 100;
    let results = index
        .search_request(&request)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut ids: Vec<String> = results.hits.into_iter().map(|h| h.id).collect();
    ids.sort();
    ids
}

#[test]
fn mood_fields_search_and_refuse_unknown_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut contacts = sample_contacts();
    let mood = |emotion: &str, trajectory: &str, last: &str| CustomerMood {
        last_turn_label: last.to_string(),
        emotion: emotion.to_string(),
        emotion_intensity: 0.5,
        trajectory: trajectory.to_string(),
        turn_sentiment: Vec::new(),
    };
    contacts[0].mood = mood("愤怒", "worsening", "negative");
    contacts[1].mood = mood("满意", "improving", "positive");
    contacts[2].mood = mood("", "steady", "neutral");
    let (a, b, c) = (
        contacts[0].contact.id.clone(),
        contacts[1].contact.id.clone(),
        contacts[2].contact.id.clone(),
    );
    let builder = sample_segmenter();
    let index =
        ContactIndex::open_or_create(dir.path(), Arc::new(builder.build().unwrap()), &builder)
            .unwrap();
    index.upsert(&contacts).unwrap();
    drop(index);
    let index = ContactIndex::open(dir.path()).unwrap();
    assert_eq!(ids(&index, "emotion:愤怒"), [a.as_str()]);
    assert_eq!(ids(&index, "emotion:anger"), [a.as_str()]);
    assert_eq!(ids(&index, "trajectory:improving"), [b.as_str()]);
    assert_eq!(ids(&index, "trajectory:恶化"), [a.as_str()]);
    assert_eq!(ids(&index, "lastturn:neutral"), [c.as_str()]);
    assert_eq!(
        ids(&index, "lastturn:negative OR emotion:满意"),
        [a.as_str(), b.as_str()]
    );
    let err = index
        .search_request(&SearchRequest::new("emotion:开心"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("愤怒, 焦急, 失望, 满意"), "{err}");
}
