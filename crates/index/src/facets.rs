//! Facet counts (category, channel, region, business, week, sentiment, risk) of every
//! hit.
//!
//! Counting works on term ordinals per segment and turns ordinals into strings once per
//! segment at the end. The ordinals come from a per-segment cache (`FacetCache`),
//! like Lucene's doc-values caches: the first search with facets that meets a segment
//! decodes its facet columns once into plain arrays, so counting a hit is an array
//! read or two instead of tantivy's columnar lookups (optional and multi-valued columns
//! cost a rank or a row range per read). Segments never change once written, so an
//! entry stays valid until its segment leaves the index (merged away or deleted); new
//! deletes only hide docs, and hidden docs are never handed to a collector.
//!
//! The arrays hold combinations rather than single fields: the facet fields are put in
//! a few groups, each doc gets the number of its group's combination of values (the
//! doc's tuple: channel, sentiment, business, risk flags, categories; or region, week),
//! and a search counts tuple numbers. The counts of the values follow at the end, from
//! each tuple's values times its count. Fields go into a group while it has at most
//! `GROUP_LIMIT` distinct tuples; real contacts have far fewer combinations than docs
//! (the 1M bench index: 3,885 and 130 tuples in its largest segment), so a hit costs
//! two reads and two increments, whatever the number of fields and values.
//!
//! Memory: per group one byte per doc (up to 256 tuples) or two (up to 65,536), plus a
//! few KB of tuples per segment. The 1M bench index (three segments, two groups each)
//! takes 3.5 MB (see [`ContactIndex::facet_cache_stats`]); decoding it takes about
//! 0.3 s on one core and some 60 MB for a moment. `voc serve` decodes at start; a
//! one-shot `voc search --facets` pays the decoding on its search.
//!
//! [`ContactIndex::facet_cache_stats`]: crate::ContactIndex::facet_cache_stats

use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
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
    /// Topics found by `voc discover` (`topic:ID` filters on one), with their labels;
    /// absent from the JSON when the output folder has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topic: Vec<crate::TopicCount>,
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
/// Counted values are in slots: the string fields, then category paths, then their
/// top-level parents (each counted once per contact).
const CATEGORY: usize = 6;
const PARENT: usize = 7;
const SLOTS: usize = 8;
const SLOT_NAMES: [&str; SLOTS] = [
    "channel",
    "region",
    "business",
    "week",
    "sentiment",
    "risk",
    "category",
    "parent",
];
/// The order slots are put into groups: fields that vary together first (a category
/// comes with its business and risk), region and week apart. Any order counts the
/// same; this one makes few tuples on contact data.
const GROUP_ORDER: [usize; SLOTS] = [0, 4, 2, 5, CATEGORY, PARENT, 1, WEEK];
/// Most distinct tuples a group of several fields may have. Each search zeroes and
/// reads a counter per tuple and segment, so this bounds the cost of a small search.
const GROUP_LIMIT: usize = 4096;

/// Docs decoded per step when a segment's columns are read into the cache.
const DECODE_CHUNK: u32 = 4096;

/// Every doc's values of `column` in doc order, as offsets (one per doc, plus the end)
/// and values.
fn decode(column: &Column<u64>, max_doc: u32) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = Vec::with_capacity(max_doc as usize + 1);
    offsets.push(0u32);
    let mut values = Vec::with_capacity(max_doc as usize);
    let (mut docs, mut docs_out, mut rows, mut vals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut start = 0;
    while start < max_doc {
        let end = start.saturating_add(DECODE_CHUNK).min(max_doc);
        docs.clear();
        docs.extend(start..end);
        docs_out.clear();
        rows.clear();
        column.row_ids_for_docs(&docs, &mut docs_out, &mut rows);
        vals.clear();
        vals.resize(rows.len(), 0u64);
        column.values.get_vals(&rows, &mut vals);
        let mut i = 0;
        for doc in start..end {
            while docs_out.get(i) == Some(&doc) {
                values.push(u32::try_from(vals[i]).unwrap_or(u32::MAX));
                i += 1;
            }
            offsets.push(values.len() as u32);
        }
        start = end;
    }
    (offsets, values)
}

/// One slot's values of every doc of a segment: doc `d` has
/// `values[offsets[d]..offsets[d + 1]]` (duplicates kept: each counts).
struct Lists {
    slot: usize,
    offsets: Vec<u32>,
    values: Vec<u32>,
}

impl Lists {
    fn of(&self, doc: usize) -> &[u32] {
        let end = doc.checked_add(1).and_then(|next| self.offsets.get(next));
        match (self.offsets.get(doc), end) {
            (Some(&start), Some(&end)) => &self.values[start as usize..end as usize],
            _ => &[],
        }
    }

    /// A number per doc, equal for docs with the same list of values.
    fn list_ids(&self) -> Vec<u32> {
        let docs = self.offsets.len().saturating_sub(1);
        let mut seen: HashMap<&[u32], u32, Fast> = HashMap::default();
        (0..docs)
            .map(|doc| {
                let next = seen.len() as u32;
                *seen.entry(self.of(doc)).or_insert(next)
            })
            .collect()
    }
}

/// A multiplicative hasher for the integer keys of grouping (std's SipHash would take
/// most of the decoding time).
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type Fast = BuildHasherDefault<FastHasher>;

/// A number per doc, from as few bytes as the count of numbers allows.
enum Ids {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Ids {
    fn new(ids: Vec<u32>, count: usize) -> Ids {
        if count <= 1 << 8 {
            Ids::U8(ids.into_iter().map(|id| id as u8).collect())
        } else if count <= 1 << 16 {
            Ids::U16(ids.into_iter().map(|id| id as u16).collect())
        } else {
            Ids::U32(ids)
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Ids::U8(v) => std::mem::size_of_val(v.as_slice()),
            Ids::U16(v) => std::mem::size_of_val(v.as_slice()),
            Ids::U32(v) => std::mem::size_of_val(v.as_slice()),
        }
    }
}

trait Id: Copy {
    fn index(self) -> usize;
}

impl Id for u8 {
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl Id for u16 {
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl Id for u32 {
    fn index(self) -> usize {
        self as usize
    }
}

#[inline]
fn count_ids<T: Id>(ids: &[T], docs: &[DocId], tally: &mut Tally) {
    for (i, &doc) in docs.iter().enumerate() {
        if let Some(&id) = ids.get(doc as usize) {
            tally.add(id.index(), i);
        }
    }
}

/// Slots whose values are counted together: each doc's tuple number, and each tuple's
/// (slot, ordinal) values.
struct Group {
    slots: Vec<usize>,
    ids: Ids,
    /// Tuple `t`'s values are `values[starts[t]..starts[t + 1]]`.
    starts: Vec<u32>,
    values: Vec<(u8, u32)>,
}

impl Group {
    fn new(members: &[&Lists], ids: Vec<u32>, tuples: usize) -> Group {
        let mut example = vec![usize::MAX; tuples];
        for (doc, &id) in ids.iter().enumerate() {
            if let Some(slot) = example.get_mut(id as usize)
                && *slot == usize::MAX
            {
                *slot = doc;
            }
        }
        let mut starts = Vec::with_capacity(tuples + 1);
        let mut values = Vec::new();
        for &doc in &example {
            starts.push(values.len() as u32);
            for member in members {
                values.extend(member.of(doc).iter().map(|&v| (member.slot as u8, v)));
            }
        }
        starts.push(values.len() as u32);
        Group {
            slots: members.iter().map(|m| m.slot).collect(),
            ids: Ids::new(ids, tuples),
            starts,
            values,
        }
    }

    fn tuples(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    fn tuple(&self, t: usize) -> &[(u8, u32)] {
        match (self.starts.get(t), self.starts.get(t + 1)) {
            (Some(&start), Some(&end)) => &self.values[start as usize..end as usize],
            _ => &[],
        }
    }

    fn count(&self, docs: &[DocId], tally: &mut Tally) {
        match &self.ids {
            Ids::U8(ids) => count_ids(ids, docs, tally),
            Ids::U16(ids) => count_ids(ids, docs, tally),
            Ids::U32(ids) => count_ids(ids, docs, tally),
        }
    }

    fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + std::mem::size_of_val(self.starts.as_slice())
            + std::mem::size_of_val(self.values.as_slice())
    }
}

/// Puts the slots, in order, into groups of at most `limit` distinct tuples (a slot
/// alone may have more).
fn group(fields: &[Lists], max_doc: usize, limit: usize) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut members: Vec<&Lists> = Vec::new();
    let mut ids = vec![0u32; max_doc];
    let mut tuples = 1;
    for field in fields {
        let lists = field.list_ids();
        let mut pairs: HashMap<u64, u32, Fast> = HashMap::default();
        let mut joined = Vec::with_capacity(max_doc);
        let mut fits = true;
        for (&id, &list) in ids.iter().zip(&lists) {
            let next = pairs.len() as u32;
            joined.push(
                *pairs
                    .entry(u64::from(id) << 32 | u64::from(list))
                    .or_insert(next),
            );
            if pairs.len() > limit && !members.is_empty() {
                fits = false;
                break;
            }
        }
        if fits {
            members.push(field);
            ids = joined;
            tuples = pairs.len().max(1);
        } else {
            groups.push(Group::new(&members, ids, tuples));
            members = vec![field];
            tuples = lists.iter().max().map_or(1, |&m| m as usize + 1);
            ids = lists;
        }
    }
    if !members.is_empty() {
        groups.push(Group::new(&members, ids, tuples));
    }
    groups
}

/// A segment's facet columns, decoded once.
pub(crate) struct SegmentFacets {
    groups: Vec<Group>,
    /// Per slot, the text of each ordinal: `None` for values facets leave out (empty
    /// strings, unreadable terms, top-level category paths, which are counted as
    /// parents). Empty when the segment lacks the field.
    names: [Vec<Option<String>>; SLOTS],
}

impl SegmentFacets {
    fn build(segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc();
        let mut names: [Vec<Option<String>>; SLOTS] = Default::default();
        let mut fields = Vec::new();
        for (slot, name) in STR_FIELDS.into_iter().enumerate() {
            let Some(column) = segment.fast_fields().str(name)? else {
                continue;
            };
            let (offsets, values) = decode(column.ords(), max_doc);
            let mut value = String::new();
            for ord in 0..column.num_terms() as u64 {
                value.clear();
                let found = column.ord_to_str(ord, &mut value).unwrap_or(false);
                names[slot].push((found && !value.is_empty()).then(|| value.clone()));
            }
            fields.push(Lists {
                slot,
                offsets,
                values,
            });
        }
        if let (Some(reader), Some(column)) = (
            segment.facet_reader("category").ok(),
            segment.fast_fields().str("category")?,
        ) {
            let mut parent_of = Vec::new();
            let mut parents: Vec<String> = Vec::new();
            let mut facet = Facet::root();
            for ord in 0..reader.num_facets() as u64 {
                reader.facet_from_ord(ord, &mut facet)?;
                let path = facet.to_path();
                let top = path.first().map(|s| s.to_string()).unwrap_or_default();
                let index = match parents.iter().position(|p| *p == top) {
                    Some(i) => i,
                    None => {
                        parents.push(top);
                        parents.len() - 1
                    }
                };
                parent_of.push(index as u32);
                names[CATEGORY].push((path.len() > 1).then(|| path.join("/")));
            }
            names[PARENT] = parents.into_iter().map(Some).collect();
            let (offsets, values) = decode(column.ords(), max_doc);
            // Each doc's distinct parents, so a contact with several sub-categories of
            // one parent counts once for it.
            let mut parent_offsets = Vec::with_capacity(offsets.len());
            parent_offsets.push(0u32);
            let mut parent_values = Vec::new();
            for range in offsets.windows(2) {
                let first = parent_values.len();
                for &ord in &values[range[0] as usize..range[1] as usize] {
                    if let Some(&parent) = parent_of.get(ord as usize)
                        && !parent_values[first..].contains(&parent)
                    {
                        parent_values.push(parent);
                    }
                }
                parent_offsets.push(parent_values.len() as u32);
            }
            fields.push(Lists {
                slot: CATEGORY,
                offsets,
                values,
            });
            fields.push(Lists {
                slot: PARENT,
                offsets: parent_offsets,
                values: parent_values,
            });
        }
        fields.sort_by_key(|f| GROUP_ORDER.iter().position(|&s| s == f.slot));
        Ok(SegmentFacets {
            groups: group(&fields, max_doc as usize, GROUP_LIMIT),
            names,
        })
    }

    /// Bytes of the per-doc arrays and tuples (term strings left out: a few KB).
    fn heap_bytes(&self) -> usize {
        self.groups.iter().map(Group::heap_bytes).sum()
    }

    /// The groups, e.g. `channel+sentiment: 12 tuples`.
    fn layout(&self) -> String {
        let groups: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                let slots: Vec<&str> = g.slots.iter().map(|&s| SLOT_NAMES[s]).collect();
                format!("{}: {} tuples", slots.join("+"), g.tuples())
            })
            .collect();
        groups.join("; ")
    }
}

/// Counts of one group's tuples in one segment, kept in `LANES` interleaved copies:
/// consecutive hits often share a tuple (every hit of `channel:voice` has the same
/// channel), and one counter would make each increment wait for the one before it.
/// Numbers past the end land in a spare slot, never read.
struct Tally {
    lanes: Vec<u32>,
    len: usize,
}

const LANES: usize = 4;

impl Tally {
    fn new(len: usize) -> Tally {
        Tally {
            lanes: vec![0; (len + 1) * LANES],
            len,
        }
    }

    /// Counts `id` for the `i`-th doc of a block (`i` picks the lane).
    #[inline(always)]
    fn add(&mut self, id: usize, i: usize) {
        let slot = id.min(self.len) * LANES + i % LANES;
        if let Some(lane) = self.lanes.get_mut(slot) {
            *lane += 1;
        }
    }

    fn get(&self, id: usize) -> u64 {
        self.lanes
            .get(id * LANES..(id + 1) * LANES)
            .map_or(0, |lanes| lanes.iter().map(|&n| u64::from(n)).sum())
    }
}

/// Adds each tuple's values times its count to `totals` (per slot, per ordinal).
fn add_tuples(groups: &[Group], tallies: &[Tally], totals: &mut [Vec<u64>; SLOTS]) {
    for (group, tally) in groups.iter().zip(tallies) {
        for t in 0..group.tuples() {
            let count = tally.get(t);
            if count == 0 {
                continue;
            }
            for &(slot, ord) in group.tuple(t) {
                if let Some(total) = totals
                    .get_mut(slot as usize)
                    .and_then(|s| s.get_mut(ord as usize))
                {
                    *total += count;
                }
            }
        }
    }
}

/// One cache entry; locked while its segment is decoded, so concurrent first searches
/// of a segment decode it once.
type Slot = Arc<Mutex<Option<Arc<SegmentFacets>>>>;

/// Decoded facet columns per segment, shared by all searches of a [`ContactIndex`].
///
/// [`ContactIndex`]: crate::ContactIndex
#[derive(Default)]
pub(crate) struct FacetCache {
    segments: Mutex<HashMap<SegmentId, Slot>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while decoding leaves the slot empty, which is a valid state.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FacetCache {
    /// A collector over the segments of `searcher`; entries of segments that are no
    /// longer in it (merged away, or of an older reload) are dropped first.
    pub(crate) fn collector(&self, searcher: &tantivy::Searcher) -> FacetCollector<'_> {
        let live: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        lock(&self.segments).retain(|id, _| live.contains(id));
        FacetCollector { cache: self }
    }

    /// The segment's decoded columns, decoding them on first use.
    pub(crate) fn get(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        let slot = lock(&self.segments)
            .entry(segment.segment_id())
            .or_default()
            .clone();
        let mut entry = lock(&slot);
        if let Some(facets) = &*entry {
            return Ok(facets.clone());
        }
        let facets = Arc::new(SegmentFacets::build(segment)?);
        *entry = Some(facets.clone());
        Ok(facets)
    }

    /// The groups of each cached segment (see [`SegmentFacets::layout`]).
    pub(crate) fn layout(&self) -> Vec<String> {
        let slots: Vec<Slot> = lock(&self.segments).values().cloned().collect();
        slots
            .iter()
            .filter_map(|slot| lock(slot).as_ref().map(|f| f.layout()))
            .collect()
    }

    /// (segments cached, bytes of their per-doc arrays).
    pub(crate) fn stats(&self) -> (usize, usize) {
        let slots: Vec<Slot> = lock(&self.segments).values().cloned().collect();
        let built: Vec<Arc<SegmentFacets>> =
            slots.iter().filter_map(|slot| lock(slot).clone()).collect();
        (built.len(), built.iter().map(|f| f.heap_bytes()).sum())
    }
}

pub(crate) struct FacetCollector<'a> {
    cache: &'a FacetCache,
}

#[derive(Default)]
pub(crate) struct FacetFruit {
    /// Per string field: value → count.
    strings: [BTreeMap<String, u64>; 6],
    category: BTreeMap<String, u64>,
}

pub(crate) struct FacetSegmentCollector {
    facets: Arc<SegmentFacets>,
    /// Per group: hits per tuple.
    tallies: Vec<Tally>,
    /// Docs of a scored query not counted yet.
    pending: Vec<DocId>,
}

/// Docs gathered from a scored query before they are counted as a block.
const PENDING_BLOCK: usize = 256;

impl Collector for FacetCollector<'_> {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let facets = self.cache.get(segment)?;
        let tallies = facets
            .groups
            .iter()
            .map(|g| Tally::new(g.tuples()))
            .collect();
        Ok(FacetSegmentCollector {
            facets,
            tallies,
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

    /// Broad unscored queries (time sort, exports) arrive here in blocks; each group
    /// is counted over the whole block in turn.
    fn collect_block(&mut self, docs: &[DocId]) {
        for (group, tally) in self.facets.groups.iter().zip(self.tallies.iter_mut()) {
            group.count(docs, tally);
        }
    }

    fn harvest(mut self) -> FacetFruit {
        let pending = std::mem::take(&mut self.pending);
        self.collect_block(&pending);
        let names = &self.facets.names;
        let mut totals: [Vec<u64>; SLOTS] = std::array::from_fn(|s| vec![0; names[s].len()]);
        add_tuples(&self.facets.groups, &self.tallies, &mut totals);
        let mut fruit = FacetFruit::default();
        for (slot, (names, totals)) in names.iter().zip(&totals).enumerate() {
            for (name, &count) in names.iter().zip(totals) {
                // Weeks are kept at zero too: the chart needs every week of the index.
                // Top-level category paths are counted through their parents.
                let Some(name) = name else { continue };
                if count == 0 && slot != WEEK {
                    continue;
                }
                let map = match fruit.strings.get_mut(slot) {
                    Some(map) => map,
                    None => &mut fruit.category,
                };
                *map.entry(name.clone()).or_default() += count;
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
            topic: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grouped counting gives what a naive count of each doc's values does, whatever
    /// the limit that splits the groups.
    #[test]
    fn groups_count_like_the_values() {
        let docs = 2000u32;
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        // (slot, terms, most values per doc); a few docs have duplicates.
        let shapes = [
            (0, 4, 1),
            (1, 300, 1),
            (5, 6, 3),
            (CATEGORY, 40, 3),
            (3, 9, 1),
        ];
        let fields: Vec<Lists> = shapes
            .iter()
            .map(|&(slot, terms, most)| {
                let mut offsets = vec![0u32];
                let mut values = Vec::new();
                for doc in 0..docs {
                    for _ in 0..next(most + 1) {
                        values.push(next(terms) as u32);
                    }
                    if doc % 97 == 0 {
                        values.push(0);
                        values.push(0);
                    }
                    offsets.push(values.len() as u32);
                }
                Lists {
                    slot,
                    offsets,
                    values,
                }
            })
            .collect();
        let hits: Vec<DocId> = (0..docs).filter(|d| d % 3 != 1).collect();
        let mut expected: [Vec<u64>; SLOTS] = std::array::from_fn(|_| vec![0; 300]);
        for field in &fields {
            for &doc in &hits {
                for &v in field.of(doc as usize) {
                    expected[field.slot][v as usize] += 1;
                }
            }
        }
        for limit in [1, 30, 500, 4096, usize::MAX] {
            let groups = group(&fields, docs as usize, limit);
            let mut tallies: Vec<Tally> = groups.iter().map(|g| Tally::new(g.tuples())).collect();
            for block in hits.chunks(61) {
                for (g, tally) in groups.iter().zip(&mut tallies) {
                    g.count(block, tally);
                }
            }
            let mut totals: [Vec<u64>; SLOTS] = std::array::from_fn(|_| vec![0; 300]);
            add_tuples(&groups, &tallies, &mut totals);
            assert_eq!(totals, expected, "limit {limit}");
            if limit == 1 {
                assert_eq!(groups.len(), fields.len());
            }
            if limit == usize::MAX {
                assert_eq!(groups.len(), 1);
            }
        }
    }
}
