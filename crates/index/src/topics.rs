//! Discovered topics (`voc discover`) as a search filter (`topic:T0007`) and a facet.
//!
//! Topics are found after the contacts are indexed (discovery reads the stored
//! history), so they are not a field of the index: each run that discovers writes
//! `tables/discover/<period>/assignments.csv` (contact id → topic, themes) into the
//! same generation of the output folder as the index, and the index reads them from
//! there when a search first needs them. A contact's topics are those of every period
//! it was discovered in (a week and its month give the same ids: the known topics keep
//! them), with their labels from `tables/discover/topics.json`.
//!
//! The filter is the set of the topic's contact ids (exact `id` terms); the facet
//! counts come from a per-segment array of each doc's topics, built on first use from
//! the `id` terms (segments never change once written, as the facet cache).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED, Term};

use crate::IndexError;

/// One topic of the facet: its id, label and the hits in it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TopicCount {
    pub id: String,
    pub label: String,
    pub count: u64,
}

/// The discovered topics of an index's output-folder generation.
#[derive(Debug, Default)]
pub struct Topics {
    /// Topic and theme ids in id order, with their labels.
    known: Vec<(String, String)>,
    /// Per known topic (same order), its contacts' ids.
    members: Vec<Vec<String>>,
    /// Per segment: each doc's topic ordinals.
    segments: Mutex<HashMap<SegmentId, Arc<DocTopics>>>,
}

/// Doc `d` of a segment is in topics `values[offsets[d]..offsets[d + 1]]`.
#[derive(Debug)]
struct DocTopics {
    offsets: Vec<u32>,
    values: Vec<u16>,
}

impl DocTopics {
    fn of(&self, doc: DocId) -> &[u16] {
        let d = doc as usize;
        match (self.offsets.get(d), self.offsets.get(d + 1)) {
            (Some(&a), Some(&b)) => self.values.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

#[derive(serde::Deserialize)]
struct Registry {
    #[serde(default)]
    topics: Vec<KnownTopic>,
}

#[derive(serde::Deserialize)]
struct KnownTopic {
    id: String,
    #[serde(default)]
    label: String,
}

fn invalid(path: &Path, message: impl std::fmt::Display) -> IndexError {
    IndexError::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{}: {message}", path.display()),
    ))
}

impl Topics {
    /// The topics discovered in the output-folder generation `generation` (the folder
    /// holding `index/` and `tables/`); none when nothing was discovered there.
    pub fn load(generation: &Path) -> Result<Topics, IndexError> {
        let dir = generation.join("tables").join("discover");
        let registry_path = dir.join("topics.json");
        let registry: Registry = match std::fs::read_to_string(&registry_path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| invalid(&registry_path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Topics::default()),
            Err(e) => return Err(invalid(&registry_path, e)),
        };
        let labels: HashMap<String, String> = registry
            .topics
            .into_iter()
            .map(|t| (t.id, t.label))
            .collect();
        // Period folders in name order, so the same files give the same lists.
        let mut periods: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| invalid(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("assignments.csv").is_file())
            .collect();
        periods.sort();
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for period in periods {
            let path = period.join("assignments.csv");
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(&path)
                .map_err(|e| invalid(&path, e))?;
            for (line, row) in reader.records().enumerate() {
                let row = row.map_err(|e| invalid(&path, format!("line {}: {e}", line + 2)))?;
                let contact = row.get(0).unwrap_or("").trim_start_matches('\u{feff}');
                let topic = row.get(1).unwrap_or("");
                let themes = row.get(2).unwrap_or("");
                for id in std::iter::once(topic).chain(themes.split(' ')) {
                    if !id.is_empty() && !contact.is_empty() {
                        members
                            .entry(id.to_string())
                            .or_default()
                            .push(contact.to_string());
                    }
                }
            }
        }
        let mut known = Vec::with_capacity(members.len());
        let mut lists = Vec::with_capacity(members.len());
        for (id, mut contacts) in members.into_iter().take(u16::MAX as usize) {
            contacts.sort_unstable();
            contacts.dedup();
            let label = labels.get(&id).cloned().unwrap_or_default();
            known.push((id, label));
            lists.push(contacts);
        }
        Ok(Topics {
            known,
            members: lists,
            segments: Mutex::default(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The known topic ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.known.iter().map(|(id, _)| id.as_str())
    }

    /// The contact ids of topic `id`, if it is known.
    pub(crate) fn members(&self, id: &str) -> Option<&[String]> {
        let at = self
            .known
            .binary_search_by(|(known, _)| known.as_str().cmp(id))
            .ok()?;
        Some(&self.members[at])
    }

    /// Each doc's topics in `segment`, built once from its `id` terms.
    fn segment(&self, segment: &SegmentReader, id: Field) -> tantivy::Result<Arc<DocTopics>> {
        let key = segment.segment_id();
        if let Some(found) = self
            .segments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(found.clone());
        }
        let inverted = segment.inverted_index(id)?;
        let mut pairs: Vec<(DocId, u16)> = Vec::new();
        for (ordinal, contacts) in self.members.iter().enumerate() {
            for contact in contacts {
                let term = Term::from_field_text(id, contact);
                if let Some(mut postings) =
                    inverted.read_postings(&term, IndexRecordOption::Basic)?
                {
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        pairs.push((doc, ordinal as u16));
                        doc = postings.advance();
                    }
                }
            }
        }
        pairs.sort_unstable();
        let max_doc = segment.max_doc();
        let mut offsets = Vec::with_capacity(max_doc as usize + 1);
        let mut values = Vec::with_capacity(pairs.len());
        let mut next = pairs.iter().peekable();
        offsets.push(0);
        for doc in 0..max_doc {
            while let Some(&&(d, t)) = next.peek() {
                if d != doc {
                    break;
                }
                values.push(t);
                next.next();
            }
            offsets.push(values.len() as u32);
        }
        let built = Arc::new(DocTopics { offsets, values });
        self.segments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, built.clone());
        Ok(built)
    }

    /// A collector counting the hits of each topic.
    pub(crate) fn collector(&self, id: Field) -> TopicCollector<'_> {
        TopicCollector { topics: self, id }
    }

    /// The counts as the facet lists them: by count (descending), then id; empty
    /// topics left out.
    pub(crate) fn facet(&self, counts: &[u64]) -> Vec<TopicCount> {
        let mut out: Vec<TopicCount> = self
            .known
            .iter()
            .zip(counts)
            .filter(|(_, count)| **count > 0)
            .map(|((id, label), count)| TopicCount {
                id: id.clone(),
                label: label.clone(),
                count: *count,
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
        out
    }
}

pub(crate) struct TopicCollector<'a> {
    topics: &'a Topics,
    id: Field,
}

pub(crate) struct TopicSegmentCollector {
    docs: Arc<DocTopics>,
    counts: Vec<u64>,
}

impl Collector for TopicCollector<'_> {
    type Fruit = Vec<u64>;
    type Child = TopicSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<TopicSegmentCollector> {
        Ok(TopicSegmentCollector {
            docs: self.topics.segment(segment, self.id)?,
            counts: vec![0; self.topics.known.len()],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<u64>>) -> tantivy::Result<Vec<u64>> {
        let mut total = vec![0; self.topics.known.len()];
        for fruit in fruits {
            for (t, c) in total.iter_mut().zip(fruit) {
                *t += c;
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for TopicSegmentCollector {
    type Fruit = Vec<u64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for &t in self.docs.of(doc) {
            if let Some(c) = self.counts.get_mut(t as usize) {
                *c += 1;
            }
        }
    }

    fn harvest(self) -> Vec<u64> {
        self.counts
    }
}
