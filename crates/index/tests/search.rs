//! The query language end to end over the sample index: each case names the ids a
//! product-team query must return.

use voc_index::testing::{sample_contacts, sample_index};
use voc_index::{ContactIndex, IndexError, SearchRequest, Sort};

fn ids(index: &ContactIndex, query: &str) -> Vec<String> {
    let mut request = SearchRequest::new(query);
    request.limit = 100;
    let results = index
        .search_request(&request)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    assert_eq!(results.total, results.hits.len(), "{query}");
    let mut ids: Vec<String> = results.hits.into_iter().map(|h| h.id).collect();
    ids.sort();
    ids
}

fn check(index: &ContactIndex, query: &str, expected: &[&str]) {
    assert_eq!(ids(index, query), expected, "query {query:?}");
}

#[test]
fn query_language() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample_index(dir.path()).unwrap();
    // Terms are ANDed; an unquoted run of words needs all its pieces.
    check(&index, "宽带 断网", &["C1", "C2", "C5", "C7"]);
    check(&index, "宽带断网", &["C1", "C2", "C5", "C7"]);
    // A phrase must be adjacent and in order.
    check(&index, "\"光猫指示灯一直闪红灯\"", &["C1", "C7"]);
    check(&index, "\"红灯 闪\"", &[]);
    // OR, NOT, -, parentheses.
    check(
        &index,
        "断网 OR 掉线",
        &["C1", "C2", "C5", "C7", "C8", "C9"],
    );
    check(&index, "断网 -宽带", &["C8"]);
    check(&index, "断网 NOT 宽带", &["C8"]);
    check(&index, "(断网 OR 掉线) AND 投诉", &["C2", "C9"]);
    check(&index, "-断网 -网速 -掉线", &["C4", "C6"]);
    // Speaker scope: C8's agent says 断网, its customer does not; a work-order note
    // counts as the customer's voice.
    check(&index, "customer:断网", &["C1", "C2", "C5", "C7"]);
    check(&index, "agent:断网", &["C5", "C8"]);
    check(&index, "customer:光猫", &["C1", "C7"]);
    // Unscoped words search both sides: C8's pieces are one on each side.
    check(&index, "断网套餐", &["C8"]);
    check(&index, "断网 套餐", &["C8"]);
    check(&index, "customer:断网套餐", &[]);
    // Metadata fields.
    check(&index, "channel:voice", &["C1", "C3", "C5", "C8"]);
    check(&index, "channel:VOICE region:广东", &["C1", "C5"]);
    check(&index, "business:移动", &["C4", "C6", "C8"]);
    check(&index, "channel:(chat OR email)", &["C2", "C4", "C9"]);
    // A channel by its label on the page and by the values exports write for it.
    check(&index, "channel:电话", &["C1", "C3", "C5", "C8"]);
    check(&index, "channel:語音", &["C1", "C3", "C5", "C8"]);
    check(&index, "channel:(在线客服 OR 邮件)", &["C2", "C4", "C9"]);
    check(&index, "-channel:电话", &["C2", "C4", "C6", "C7", "C9"]);
    check(&index, "channel:信鸽", &[]);
    check(&index, "id:C4", &["C4"]);
    check(&index, "week:2026-w46", &["C7", "C8", "C9"]);
    // Categories are hierarchical: a parent matches its children.
    check(
        &index,
        "category:网络质量",
        &["C1", "C2", "C3", "C5", "C7", "C9"],
    );
    check(
        &index,
        "category:网络质量/宽带断网",
        &["C1", "C2", "C5", "C7"],
    );
    check(&index, "category:/网络质量/网速慢/", &["C3", "C9"]);
    check(&index, "risk:escalation", &["C2", "C9"]);
    check(&index, "risk:churn", &["C5"]);
    check(&index, "risk:repeat", &["C7"]);
    check(&index, "sentiment:positive", &["C6"]);
    check(&index, "sentiment:负面 region:浙江", &["C3"]);
    check(&index, "sentiment:[-1 TO -0.75]", &["C2", "C9"]);
    // Dates in China time; ranges inclusive of whole days.
    check(
        &index,
        "date:[2026-10-01 TO 2026-10-31]",
        &["C1", "C2", "C3", "C4"],
    );
    check(&index, "date:[2026-11-10 TO *]", &["C8", "C9"]);
    check(&index, "date:{2026-10-05 TO 2026-10-28}", &["C2", "C3"]);
    check(&index, "date:2026-11-05", &["C6"]);
    check(&index, "date:2026-10", &["C1", "C2", "C3", "C4"]);
    // Relative to the newest contact (2026-11-12, a Thursday of W46), not the clock.
    check(&index, "last:1w", &["C7", "C8", "C9"]);
    check(&index, "last:2w", &["C5", "C6", "C7", "C8", "C9"]);
    check(&index, "last:3d", &["C8", "C9"]);
    // The example: 宽带断网 complaints from 广东 in the last 4 weeks that mention 退订.
    check(
        &index,
        "category:网络质量/宽带断网 region:广东 last:4w 退订",
        &["C5"],
    );
    // Normalized like the text: Traditional and full-width input.
    check(&index, "寬帶 斷網", &["C1", "C2", "C5", "C7"]);
    check(&index, "region：廣東 channel：ｖｏｉｃｅ", &["C1", "C5"]);
    // The empty query is everything.
    check(
        &index,
        "",
        &["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"],
    );
}

fn error(index: &ContactIndex, query: &str) -> voc_index::QueryError {
    match index.search(query, 10) {
        Err(IndexError::Query(e)) => e,
        other => panic!("{query}: expected a query error, got {other:?}"),
    }
}

#[test]
fn malformed_queries_say_where_and_what() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample_index(dir.path()).unwrap();
    let e = error(&index, "宽带 AND (断网 OR");
    assert_eq!(e.position, Some(14), "{e}");
    assert!(e.message.contains("after OR"), "{e}");
    let e = error(&index, "colour:红");
    assert!(
        e.message.contains("known fields: text, customer, agent"),
        "{e}"
    );
    let e = error(&index, "risk:angry");
    assert!(
        e.message.contains("escalation, churn, repeat, no_greeting"),
        "{e}"
    );
    let e = error(&index, "date:[2026-13-01 TO 2026-10-31]");
    assert!(e.message.contains("expected a date"), "{e}");
    let e = error(&index, "last:4y");
    assert!(e.message.contains("last:4w"), "{e}");
    let e = error(&index, "sentiment:angry");
    assert!(e.message.contains("negative, neutral, positive"), "{e}");
    let e = error(&index, "，。");
    assert!(e.message.contains("only punctuation"), "{e}");
    // The error names the query and the position in its Display form.
    let shown = IndexError::Query(error(&index, "断网)")).to_string();
    assert!(shown.contains("at character 3"), "{shown}");
}

#[test]
fn sort_pagination_snippets_and_facets() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample_index(dir.path()).unwrap();
    let mut request = SearchRequest::new("断网");
    request.sort = Sort::Time;
    request.limit = 2;
    request.facets = true;
    let page1 = index.search_request(&request).unwrap();
    assert_eq!(page1.total, 5);
    let first: Vec<&str> = page1.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(first, ["C8", "C7"]);
    request.offset = 2;
    let page2 = index.search_request(&request).unwrap();
    let second: Vec<&str> = page2.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(second, ["C5", "C2"]);
    assert!(
        page1.hits[1].snippet_html.contains("<b>断网</b>"),
        "{:?}",
        page1.hits[1]
    );
    assert!(page1.hits[1].snippet_text.contains("【断网】"));
    assert_eq!(page1.newest.as_deref(), Some("2026-11-12"));

    let facets = page1.facets.unwrap();
    let count = |list: &[voc_index::FacetCount], value: &str| {
        list.iter()
            .find(|f| f.value == value)
            .map_or(0, |f| f.count)
    };
    assert_eq!(count(&facets.channel, "voice"), 3);
    assert_eq!(count(&facets.region, "广东"), 4);
    assert_eq!(count(&facets.category, "网络质量"), 4);
    assert_eq!(count(&facets.category, "网络质量/宽带断网"), 4);
    assert_eq!(count(&facets.category, "业务办理/退订"), 1);
    assert_eq!(count(&facets.risk, "churn"), 1);
    // Every week of the index is listed, in order, zero where nothing matched.
    let weeks: Vec<(&str, u64)> = facets
        .week
        .iter()
        .map(|f| (f.value.as_str(), f.count))
        .collect();
    assert_eq!(
        weeks,
        [
            ("2026-W41", 1),
            ("2026-W42", 1),
            ("2026-W43", 0),
            ("2026-W44", 0),
            ("2026-W45", 1),
            ("2026-W46", 2)
        ]
    );
    // Scored queries count facets doc by doc, unscored ones a block at a time: the
    // two paths must agree, on a query with a multi-valued field (risk) too.
    for query in ["断网", "channel:voice", "断网 OR 退订"] {
        let mut by_time = SearchRequest::new(query);
        by_time.sort = Sort::Time;
        by_time.facets = true;
        let mut by_score = by_time.clone();
        by_score.sort = Sort::Relevance;
        assert_eq!(
            index.search_request(&by_time).unwrap().facets,
            index.search_request(&by_score).unwrap().facets,
            "{query}"
        );
    }
    // Relevance: the contact that says 断网 most often comes first.
    let best = index.search("断网", 1).unwrap();
    assert_eq!(best.hits[0].id, "C5");
}

#[test]
fn upserts_replace_by_id_and_export_lists_every_hit() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample_index(dir.path()).unwrap();
    drop(index);
    // A re-delivery of C6 with different text, through the streaming writer.
    let builder = voc_index::testing::sample_segmenter();
    let segmenter = std::sync::Arc::new(builder.build().unwrap());
    let index = ContactIndex::open_or_create(dir.path(), segmenter.clone(), &builder).unwrap();
    let mut c6 = sample_contacts()
        .into_iter()
        .find(|c| c.contact.id == "C6")
        .unwrap();
    c6.contact.turns[0].text = "光猫又坏了".into();
    c6.tokens = c6
        .contact
        .turns
        .iter()
        .map(|t| segmenter.cut(&t.text))
        .collect();
    let mut writer = index.writer().unwrap();
    writer.add(&c6).unwrap();
    let stats = writer.commit().unwrap();
    assert_eq!(stats.documents, 9);
    check(&index, "感谢", &[]);
    check(&index, "光猫", &["C1", "C6", "C7"]);

    let mut rows = Vec::new();
    let mut request = SearchRequest::new("光猫");
    request.sort = Sort::Time;
    let (total, written) = index
        .export(&request, 100, |row| {
            rows.push(row);
            Ok::<(), ()>(())
        })
        .unwrap()
        .unwrap();
    assert_eq!((total, written), (3, 3));
    assert_eq!(rows[0].id, "C7");
    assert_eq!(rows[0].channel, "workorder");
    assert!(rows[0].text.contains("光猫指示灯"));
    assert_eq!(rows[0].risk, "repeat");
    assert_eq!(rows[2].categories, "网络质量/宽带断网");
}

#[test]
fn add_unique_replaces_stored_ids_and_adds_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    drop(sample_index(dir.path()).unwrap());
    let builder = voc_index::testing::sample_segmenter();
    let segmenter = std::sync::Arc::new(builder.build().unwrap());
    let index = ContactIndex::open_or_create(dir.path(), segmenter.clone(), &builder).unwrap();
    let recut = |mut c: voc_core::EnrichedContact, text: &str| {
        c.contact.turns[0].text = text.into();
        c.tokens = c
            .contact
            .turns
            .iter()
            .map(|t| segmenter.cut(&t.text))
            .collect();
        c
    };
    let c6 = sample_contacts()
        .into_iter()
        .find(|c| c.contact.id == "C6")
        .unwrap();
    let mut new = recut(c6.clone(), "光猫又坏了");
    new.contact.id = "C10".into();
    let mut writer = index.writer().unwrap();
    writer.add_unique(&[recut(c6, "光猫又坏了"), new]).unwrap();
    let stats = writer.commit().unwrap();
    assert_eq!(stats.upserted, 2);
    assert_eq!(stats.documents, 10, "C6 replaced, C10 added");
    check(&index, "感谢", &[]);
    check(&index, "光猫", &["C1", "C10", "C6", "C7"]);
}

#[test]
fn contacts_fed_with_stored_tokens_search_as_with_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let builder = voc_index::testing::sample_segmenter();
    let segmenter = std::sync::Arc::new(builder.build().unwrap());
    let index = ContactIndex::open_or_create(dir.path(), segmenter, &builder).unwrap();
    let contacts = sample_contacts();
    // Stored as the history stores them: each turn's tokens joined by spaces; the
    // records handed over beside them have no tokens of their own.
    let mut stored = voc_core::StoredTurns::default();
    for c in &contacts {
        let joined: Vec<String> = c.tokens.iter().map(|t| t.join(" ")).collect();
        stored.push(&joined.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let bare: Vec<_> = contacts
        .iter()
        .cloned()
        .map(|mut c| {
            c.tokens.clear();
            c
        })
        .collect();
    let mut writer = index.writer().unwrap();
    writer.add_unique_stored(&bare, &stored).unwrap();
    writer.commit().unwrap();

    let reference_dir = tempfile::tempdir().unwrap();
    let reference = sample_index(reference_dir.path()).unwrap();
    for query in [
        "宽带 断网",
        "\"光猫指示灯一直闪红灯\"",
        "customer:断网",
        "agent:断网",
        "断网套餐",
        "customer:光猫",
        "感谢",
    ] {
        let mut request = SearchRequest::new(query);
        request.limit = 100;
        request.facets = true;
        let hits = |index: &ContactIndex| {
            let r = index.search_request(&request).unwrap();
            let mut hits: Vec<(String, String, String)> = r
                .hits
                .into_iter()
                .map(|h| (h.id, format!("{:.5}", h.score), h.snippet_html))
                .collect();
            hits.sort();
            (r.total, hits, format!("{:?}", r.facets))
        };
        let (total, found, facets) = hits(&index);
        assert!(total > 0, "{query} finds something");
        assert_eq!((total, found, facets), hits(&reference), "{query}");
    }
}

#[test]
fn an_index_of_another_schema_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = tantivy_schema_builder();
    builder.add_text_field("id", tantivy::schema::STRING);
    tantivy::Index::create_in_dir(dir.path(), builder.build()).unwrap();
    std::fs::write(dir.path().join(voc_text::SAVED_DICTIONARY), "").unwrap();
    std::fs::write(dir.path().join(voc_text::SAVED_WORDS), "").unwrap();
    let err = ContactIndex::open(dir.path()).err().expect("refused");
    // The way out keeps the history searchable: rebuild from it, not delete the folder.
    assert!(err.to_string().contains("voc index rebuild"), "{err}");
}

fn tantivy_schema_builder() -> tantivy::schema::SchemaBuilder {
    tantivy::schema::Schema::builder()
}

/// Hits of equal score (or, sorted by time, of equal time) come in one order however
/// the index was built: newest first, contacts of the same second by a fixed number of
/// their id (`voc_index::recency`). Without a tie-break they came
/// in document-address order, which depends on how contacts fell into segments, so two
/// runs over the same data could list (and export) them differently.
#[test]
fn ties_are_ordered_newest_first_however_the_index_was_built() {
    let template = sample_contacts()
        .into_iter()
        .find(|c| c.contact.id == "C6")
        .unwrap();
    // Same text, so the same score; T2 and T4 share a time, as do T1 and T3.
    let times = [
        ("T1", "2026-11-11T09:00:00+08:00"),
        ("T2", "2026-11-12T09:00:00+08:00"),
        ("T3", "2026-11-11T09:00:00+08:00"),
        ("T4", "2026-11-12T09:00:00+08:00"),
        ("T5", "2026-11-10T09:00:00+08:00"),
        ("T6", "2026-11-09T09:00:00+08:00"),
    ];
    let twins: Vec<voc_core::EnrichedContact> = times
        .iter()
        .map(|(id, at)| {
            let mut c = template.clone();
            c.contact.id = id.to_string();
            c.contact.started_at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
            c.week = voc_core::time::iso_week_key(&c.contact.started_at);
            c
        })
        .collect();
    let builder = voc_index::testing::sample_segmenter();
    let segmenter = std::sync::Arc::new(builder.build().unwrap());
    // One index fed in order in one commit, one fed backwards a contact per commit.
    let forward_dir = tempfile::tempdir().unwrap();
    let forward =
        ContactIndex::open_or_create(forward_dir.path(), segmenter.clone(), &builder).unwrap();
    forward.upsert(&twins).unwrap();
    let backward_dir = tempfile::tempdir().unwrap();
    let backward = ContactIndex::open_or_create(backward_dir.path(), segmenter, &builder).unwrap();
    for c in twins.iter().rev() {
        backward.upsert(std::slice::from_ref(c)).unwrap();
    }
    let mut newest_first: Vec<&str> = times.iter().map(|(id, _)| *id).collect();
    newest_first.sort_by_key(|id| {
        let at = times.iter().find(|(t, _)| t == id).unwrap().1;
        let seconds = chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .timestamp();
        std::cmp::Reverse(voc_index::recency(seconds, id))
    });
    // The ids' numbers put one pair of the same second in insertion order and the
    // other the other way round, so neither insertion order nor the ids' order passes.
    assert_eq!(newest_first, ["T4", "T2", "T1", "T3", "T5", "T6"]);
    for sort in [Sort::Relevance, Sort::Time] {
        for index in [&forward, &backward] {
            let mut request = SearchRequest::new(template.tokens[0][0].as_str());
            request.sort = sort;
            request.limit = 100;
            let hits = index.search_request(&request).unwrap().hits;
            let order: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
            assert_eq!(order, newest_first, "{sort:?}");
            if sort == Sort::Relevance {
                assert!(hits.iter().all(|h| h.score == hits[0].score), "ties");
            }
            // A page further on continues the same order.
            request.offset = 3;
            request.limit = 2;
            let page: Vec<String> = index
                .search_request(&request)
                .unwrap()
                .hits
                .into_iter()
                .map(|h| h.id)
                .collect();
            assert_eq!(page, newest_first[3..5], "{sort:?}");
            let mut exported = Vec::new();
            index
                .export(&request, 100, |row| {
                    exported.push(row.id);
                    Ok::<(), ()>(())
                })
                .unwrap()
                .unwrap();
            assert_eq!(exported, newest_first, "export, {sort:?}");
        }
    }
}

/// A search by filters alone has no words to highlight: each hit still shows its text,
/// from the start, rather than an empty line.
#[test]
fn hits_of_a_search_by_filters_alone_show_their_opening() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample_index(dir.path()).unwrap();
    let mut request = SearchRequest::new("id:C4");
    request.limit = 1;
    let hit = index.search_request(&request).unwrap().hits.remove(0);
    let contact = sample_contacts()
        .into_iter()
        .find(|c| c.contact.id == "C4")
        .unwrap();
    let text = contact.contact.full_text().replace('\n', " ");
    let opening: String = text
        .chars()
        .take(hit.snippet_text.chars().count())
        .collect();
    assert!(!hit.snippet_text.is_empty(), "{hit:?}");
    assert_eq!(hit.snippet_text, opening);
    assert!(
        !hit.snippet_html.contains('<'),
        "nothing highlighted: {hit:?}"
    );
}

/// Every date ingest accepts (2000-01-01 to a few days after the run) is stored and
/// found to the second, also at the window's edges; a query bound far outside what the
/// index holds (before 1677, after 2262) is "from the earliest" or "to the latest", not
/// an overflow that finds nothing.
#[test]
fn dates_at_the_window_edges_are_stored_and_found_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let builder = voc_index::testing::sample_segmenter();
    let segmenter = std::sync::Arc::new(builder.build().unwrap());
    let index = ContactIndex::open_or_create(dir.path(), segmenter, &builder).unwrap();
    let mut contacts = sample_contacts();
    for (i, at) in [
        (0, "2000-01-01T00:00:00+08:00"),
        (8, "2026-12-14T10:00:00+08:00"),
    ] {
        let contact = &mut contacts[i];
        let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        contact.contact.started_at = at;
        contact.week = voc_core::time::iso_week_key(&at);
    }
    index.upsert(&contacts).unwrap();
    drop(index);
    let index = ContactIndex::open(dir.path()).unwrap();
    check(&index, "date:2000-01-01", &["C1"]);
    check(&index, "date:[1999-12-31 TO 2000-01-01]", &["C1"]);
    check(&index, "date:[0001-01-01 TO 2000-01-01]", &["C1"]);
    check(&index, "date:{1999-12-31 TO 2000-01-02}", &["C1"]);
    check(&index, "date:2026-12-14", &["C9"]);
    check(&index, "date:[2026-12-14 TO 9999-12-31]", &["C9"]);
    let all = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"];
    check(&index, "date:[0001-01-01 TO *]", &all);
    check(&index, "date:[* TO 9999-12-31]", &all);
    check(&index, "date:[0001-01-01 TO 9999-12-31]", &all);
    let mut request = SearchRequest::new("date:2000-01-01");
    request.limit = 1;
    let hit = &index.search_request(&request).unwrap().hits[0];
    assert_eq!(hit.started_at, "2000-01-01T00:00:00+08:00");
}
