//! Facet counts (category, channel, region, business, week, sentiment, risk) of every
//! hit, read from the fast-field columns in the same pass that ranks the hits.
//!
//! Counting works on term ordinals per segment and turns ordinals into strings once per
//! segment at the end, so a broad query over a million contacts costs a few column
//! reads per hit and no string work.

use serde::Serialize;
use std::collections::BTreeMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// One value of a facet and the number of hits that have it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Facet counts of a result set. Lists are sorted by count (descending) and then
/// value, except `week`, which is in time order and lists every week in the index
/// (zero where no hit), so it can be drawn as a chart directly.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Facets {
    /// Top-level categories (`网络质量`) and sub-categories (`网络质量/宽带断网`).
    pub category: Vec<FacetCount>,
    pub channel: Vec<FacetCount>,
    pub region: Vec<FacetCount>,
    pub business: Vec<FacetCount>,
    pub week: Vec<FacetCount>,
    pub sentiment: Vec<FacetCount>,
    pub risk: Vec<FacetCount>,
}

/// The string fields counted, with their names in the schema.
const STR_FIELDS: [&str; 6] = [
    "channel",
    "region",
    "business",
    "week",
    "sentiment_label",
    "risk",
];
const WEEK: usize = 3;

pub(crate) struct FacetCollector;

#[derive(Default)]
pub(crate) struct FacetFruit {
    /// Per string field: value → count.
    strings: [BTreeMap<String, u64>; 6],
    category: BTreeMap<String, u64>,
}

pub(crate) struct FacetSegmentCollector {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
    category: Option<tantivy::fastfield::FacetReader>,
    /// For each category ordinal in this segment, the index of its top-level parent
    /// in `parents` (each doc counts once per parent even with several children).
    parent_of: Vec<usize>,
    parents: Vec<String>,
    category_counts: Vec<u64>,
    parent_counts: Vec<u64>,
    seen_parents: Vec<usize>,
    /// The category column's ordinals, for reading a block of docs at once.
    category_ords: Option<tantivy::columnar::Column<u64>>,
    /// Reused per block: which doc each value row belongs to, the rows, their values.
    block: Block,
    /// Docs of a scored query not counted yet.
    pending: Vec<DocId>,
}

/// Docs gathered from a scored query before they are counted as a block.
const PENDING_BLOCK: usize = 256;

#[derive(Default)]
struct Block {
    single: Vec<Option<u64>>,
    docs: Vec<DocId>,
    rows: Vec<u32>,
    values: Vec<u64>,
}

impl Block {
    /// The (doc, ordinal) pairs of a multi-valued column for `docs`, in doc order.
    fn read_multi(&mut self, column: &tantivy::columnar::Column<u64>, docs: &[DocId]) {
        self.docs.clear();
        self.rows.clear();
        column.row_ids_for_docs(docs, &mut self.docs, &mut self.rows);
        self.values.clear();
        self.values.resize(self.rows.len(), 0);
        column.values.get_vals(&self.rows, &mut self.values);
    }
}

impl Collector for FacetCollector {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let mut columns = Vec::new();
        let mut counts = Vec::new();
        for name in STR_FIELDS {
            let column = segment.fast_fields().str(name)?;
            counts.push(vec![0; column.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(column);
        }
        let category = segment.facet_reader("category").ok();
        let category_ords = segment
            .fast_fields()
            .str("category")?
            .map(|c| c.ords().clone());
        let mut parent_of = Vec::new();
        let mut parents: Vec<String> = Vec::new();
        if let Some(reader) = &category {
            let mut facet = Facet::root();
            for ord in 0..reader.num_facets() as u64 {
                reader.facet_from_ord(ord, &mut facet)?;
                let top = facet
                    .to_path()
                    .first()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let index = match parents.iter().position(|p| *p == top) {
                    Some(i) => i,
                    None => {
                        parents.push(top);
                        parents.len() - 1
                    }
                };
                parent_of.push(index);
            }
        }
        Ok(FacetSegmentCollector {
            columns,
            counts,
            category_counts: vec![0; parent_of.len()],
            parent_counts: vec![0; parents.len()],
            category,
            parent_of,
            parents,
            seen_parents: Vec::new(),
            category_ords,
            block: Block::default(),
            pending: Vec::with_capacity(PENDING_BLOCK),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut out = FacetFruit::default();
        for fruit in fruits {
            for (total, part) in out.strings.iter_mut().zip(fruit.strings) {
                for (value, count) in part {
                    *total.entry(value).or_default() += count;
                }
            }
            for (value, count) in fruit.category {
                *out.category.entry(value).or_default() += count;
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetFruit;

    /// Scored queries hand docs one at a time: they are gathered into blocks and
    /// counted as blocks (see `collect_block`), the rest at `harvest`.
    fn collect(&mut self, doc: DocId, _score: Score) {
        self.pending.push(doc);
        if self.pending.len() == PENDING_BLOCK {
            let pending = std::mem::take(&mut self.pending);
            self.collect_block(&pending);
            self.pending = pending;
            self.pending.clear();
        }
    }

    /// Broad unscored queries (time sort, exports) arrive here in blocks: reading a
    /// column for a block of docs at once is several times cheaper than doc by doc.
    fn collect_block(&mut self, docs: &[DocId]) {
        let block = &mut self.block;
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            let Some(column) = column else { continue };
            let ords = column.ords();
            if ords.get_cardinality() == tantivy::columnar::Cardinality::Full {
                // One value per contact (channel, region, week, …).
                block.single.clear();
                block.single.resize(docs.len(), None);
                ords.first_vals(docs, &mut block.single);
                for ord in block.single.iter().flatten() {
                    if let Some(c) = counts.get_mut(*ord as usize) {
                        *c += 1;
                    }
                }
            } else {
                block.read_multi(ords, docs);
                for ord in &block.values {
                    if let Some(c) = counts.get_mut(*ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
        let Some(ords) = &self.category_ords else {
            return;
        };
        block.read_multi(ords, docs);
        let mut current = None;
        for (&doc, &ord) in block.docs.iter().zip(&block.values) {
            if current != Some(doc) {
                current = Some(doc);
                self.seen_parents.clear();
            }
            let ord = ord as usize;
            if let Some(c) = self.category_counts.get_mut(ord) {
                *c += 1;
            }
            if let Some(&parent) = self.parent_of.get(ord)
                && !self.seen_parents.contains(&parent)
            {
                self.seen_parents.push(parent);
                self.parent_counts[parent] += 1;
            }
        }
    }

    fn harvest(mut self) -> FacetFruit {
        let pending = std::mem::take(&mut self.pending);
        self.collect_block(&pending);
        let mut fruit = FacetFruit::default();
        let mut value = String::new();
        for (i, (column, counts)) in self.columns.iter().zip(&self.counts).enumerate() {
            let Some(column) = column else { continue };
            for (ord, &count) in counts.iter().enumerate() {
                // Weeks are kept at zero too: the chart needs every week of the index.
                if count == 0 && i != WEEK {
                    continue;
                }
                value.clear();
                if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) && !value.is_empty() {
                    *fruit.strings[i].entry(value.clone()).or_default() += count;
                }
            }
        }
        if let Some(reader) = &self.category {
            let mut facet = Facet::root();
            for (ord, &count) in self.category_counts.iter().enumerate() {
                // Top-level paths are counted below, once per contact.
                if count > 0
                    && reader.facet_from_ord(ord as u64, &mut facet).is_ok()
                    && facet.to_path().len() > 1
                {
                    *fruit.category.entry(facet.to_path().join("/")).or_default() += count;
                }
            }
            for (parent, &count) in self.parents.iter().zip(&self.parent_counts) {
                if count > 0 {
                    *fruit.category.entry(parent.clone()).or_default() += count;
                }
            }
        }
        fruit
    }
}

fn by_count(map: BTreeMap<String, u64>) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = map
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

impl FacetFruit {
    pub(crate) fn into_facets(self) -> Facets {
        let [channel, region, business, week, sentiment, risk] = self.strings;
        Facets {
            category: by_count(self.category),
            channel: by_count(channel),
            region: by_count(region),
            business: by_count(business),
            week: week
                .into_iter()
                .map(|(value, count)| FacetCount { value, count })
                .collect(),
            sentiment: by_count(sentiment),
            risk: by_count(risk),
        }
    }
}
