//! Facet counts (category, channel, region, business, week, sentiment, risk) of every
//! hit.
//!
//! Counting works on term ordinals per segment and turns ordinals into strings once per
//! segment at the end. The ordinals come from a per-segment cache ([`FacetCache`]),
//! like Lucene's doc-values caches: the first search with facets that meets a segment
//! decodes its facet columns once into plain arrays (one small ordinal per doc, a
//! bitmask per doc for multi-valued fields of few terms, offsets and ordinals
//! otherwise), so counting a hit is a few array reads instead of tantivy's columnar
//! lookups (optional and multi-valued columns cost a rank or a row range per read).
//! Segments never change once written, so an entry stays valid until its segment
//! leaves the index (merged away or deleted); new deletes only hide docs, and hidden
//! docs are never handed to a collector.
//!
//! Memory: about one byte per doc and single-valued field (two for a field of more than
//! 254 values), one byte per doc for risk, and for categories a bitmask per doc when a
//! segment has at most 64 category paths (else 4 bytes per doc plus 4 per path), plus a
//! bitmask of top-level categories per doc. At 1M contacts that is about 10–20 MB
//! (measured on the 1M bench index: see [`ContactIndex::facet_cache_stats`]).
//!
//! [`ContactIndex::facet_cache_stats`]: crate::ContactIndex::facet_cache_stats

use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
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

/// Docs decoded per step when a segment's columns are read into the cache.
const DECODE_CHUNK: u32 = 4096;

/// The values of one column for every doc of a segment, as term ordinals.
enum Values {
    /// At most one value per doc: its ordinal, or the type's MAX when missing.
    One8(Vec<u8>),
    One16(Vec<u16>),
    One32(Vec<u32>),
    /// Distinct values from at most 8/16/32/64 ordinals: bit `o` set = ordinal `o`.
    Mask8(Vec<u8>),
    Mask16(Vec<u16>),
    Mask32(Vec<u32>),
    Mask64(Vec<u64>),
    /// Anything else: the values of doc `d` are `values[offsets[d]..offsets[d + 1]]`.
    Csr {
        offsets: Vec<u32>,
        values: Vec<u32>,
    },
}

impl Values {
    /// Picks the smallest form that keeps every (doc, value) pair, duplicates included.
    fn compact(offsets: Vec<u32>, values: Vec<u32>) -> Values {
        let docs = offsets.len().saturating_sub(1);
        let per_doc = |d: usize| &values[offsets[d] as usize..offsets[d + 1] as usize];
        let max_per_doc = (0..docs).map(|d| per_doc(d).len()).max().unwrap_or(0);
        // Ordinals are < the column's term count; bound by what is there regardless.
        let bound = values.iter().max().map_or(0, |&v| u64::from(v) + 1);
        if max_per_doc <= 1 {
            let one = |d: usize| per_doc(d).first().copied();
            return if bound < u64::from(u8::MAX) {
                Values::One8(
                    (0..docs)
                        .map(|d| one(d).map_or(u8::MAX, |v| v as u8))
                        .collect(),
                )
            } else if bound < u64::from(u16::MAX) {
                Values::One16(
                    (0..docs)
                        .map(|d| one(d).map_or(u16::MAX, |v| v as u16))
                        .collect(),
                )
            } else {
                Values::One32((0..docs).map(|d| one(d).unwrap_or(u32::MAX)).collect())
            };
        }
        let no_duplicates = || {
            (0..docs).all(|d| {
                let mut seen = 0u64;
                per_doc(d).iter().all(|&v| {
                    let bit = 1u64 << (v & 63);
                    let fresh = seen & bit == 0;
                    seen |= bit;
                    fresh
                })
            })
        };
        if bound <= 64 && no_duplicates() {
            let masks: Vec<u64> = (0..docs)
                .map(|d| per_doc(d).iter().fold(0u64, |m, &v| m | (1 << v)))
                .collect();
            return if bound <= 8 {
                Values::Mask8(masks.into_iter().map(|m| m as u8).collect())
            } else if bound <= 16 {
                Values::Mask16(masks.into_iter().map(|m| m as u16).collect())
            } else if bound <= 32 {
                Values::Mask32(masks.into_iter().map(|m| m as u32).collect())
            } else {
                Values::Mask64(masks)
            };
        }
        Values::Csr { offsets, values }
    }

    /// Adds one to the ordinal's count for every value of every doc in `docs`.
    fn count(&self, docs: &[DocId], tally: &mut Tally) {
        match self {
            Values::One8(ords) => count_one(ords, docs, tally),
            Values::One16(ords) => count_one(ords, docs, tally),
            Values::One32(ords) => count_one(ords, docs, tally),
            Values::Mask8(masks) => count_masks::<_, 8>(masks, docs, tally),
            Values::Mask16(masks) => count_masks::<_, 16>(masks, docs, tally),
            Values::Mask32(masks) => count_masks::<_, 32>(masks, docs, tally),
            Values::Mask64(masks) => count_masks::<_, 64>(masks, docs, tally),
            Values::Csr { offsets, values } => {
                for (i, &doc) in docs.iter().enumerate() {
                    let doc = doc as usize;
                    let (Some(&start), Some(&end)) = (offsets.get(doc), offsets.get(doc + 1))
                    else {
                        continue;
                    };
                    for &ord in values.get(start as usize..end as usize).unwrap_or(&[]) {
                        tally.add(ord as usize, i);
                    }
                }
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        fn bytes<T>(v: &[T]) -> usize {
            std::mem::size_of_val(v)
        }
        match self {
            Values::One8(v) | Values::Mask8(v) => bytes(v),
            Values::One16(v) | Values::Mask16(v) => bytes(v),
            Values::One32(v) | Values::Mask32(v) => bytes(v),
            Values::Mask64(v) => bytes(v),
            Values::Csr { offsets, values } => bytes(offsets) + bytes(values),
        }
    }
}

/// An ordinal type whose MAX means "no value".
trait Ordinal: Copy + Eq {
    const MISSING: Self;
    fn index(self) -> usize;
}

macro_rules! ordinal {
    ($($t:ty),*) => {$(
        impl Ordinal for $t {
            const MISSING: Self = <$t>::MAX;
            #[inline]
            fn index(self) -> usize {
                self as usize
            }
        }
    )*};
}
ordinal!(u8, u16, u32);

/// Counts of one field's ordinals in one segment, kept in `LANES` interleaved copies:
/// consecutive hits mostly share a value (every hit of `channel:voice` has the same
/// channel), and one counter would make each increment wait for the one before it.
/// Ordinals past the field's terms (and "missing") land in a spare slot, never read.
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

    /// Counts `ord` for the `i`-th doc of a block (`i` picks the lane).
    #[inline(always)]
    fn add(&mut self, ord: usize, i: usize) {
        let slot = ord.min(self.len) * LANES + i % LANES;
        if let Some(lane) = self.lanes.get_mut(slot) {
            *lane += 1;
        }
    }

    fn add_n(&mut self, ord: usize, n: u32) {
        if ord < self.len {
            self.lanes[ord * LANES] += n;
        }
    }

    fn get(&self, ord: usize) -> u64 {
        self.lanes
            .get(ord * LANES..(ord + 1) * LANES)
            .map_or(0, |lanes| lanes.iter().map(|&n| u64::from(n)).sum())
    }
}

#[inline]
fn count_one<T: Ordinal>(ords: &[T], docs: &[DocId], tally: &mut Tally) {
    for (i, &doc) in docs.iter().enumerate() {
        let ord = match ords.get(doc as usize) {
            Some(&ord) if ord != T::MISSING => ord.index(),
            _ => usize::MAX,
        };
        tally.add(ord, i);
    }
}

/// Masks are counted bit by bit into local counters: no branch per set bit, and the
/// loop over the `W` bits vectorizes.
#[inline]
fn count_masks<T: Copy + Into<u64>, const W: usize>(
    masks: &[T],
    docs: &[DocId],
    tally: &mut Tally,
) {
    let mut bits = [0u32; W];
    for &doc in docs {
        let mask: u64 = masks.get(doc as usize).map_or(0, |&m| m.into());
        for (k, n) in bits.iter_mut().enumerate() {
            *n += ((mask >> k) & 1) as u32;
        }
    }
    for (ord, &n) in bits.iter().enumerate() {
        if n > 0 {
            tally.add_n(ord, n);
        }
    }
}

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

/// One string field of a segment: values per doc and the text of each ordinal (`None`
/// for values facets leave out: empty strings, unreadable terms).
struct StrFacet {
    values: Values,
    terms: Vec<Option<String>>,
}

/// The category facet of a segment.
struct CategoryFacet {
    /// Category ordinals per doc.
    ords: Values,
    /// The distinct top-level parents (indexes into `parents`) per doc, so a contact
    /// with several sub-categories of one parent counts once for it.
    parents_per_doc: Values,
    /// Per ordinal: its path (`网络质量/宽带断网`) when it is a sub-category; top-level
    /// paths are counted through `parents`.
    names: Vec<Option<String>>,
    parents: Vec<String>,
}

/// A segment's facet columns, decoded once.
pub(crate) struct SegmentFacets {
    strings: [Option<StrFacet>; 6],
    category: Option<CategoryFacet>,
}

impl SegmentFacets {
    fn build(segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc();
        let mut strings: [Option<StrFacet>; 6] = Default::default();
        for (slot, name) in strings.iter_mut().zip(STR_FIELDS) {
            let Some(column) = segment.fast_fields().str(name)? else {
                continue;
            };
            let (offsets, values) = decode(column.ords(), max_doc);
            let mut terms = Vec::with_capacity(column.num_terms());
            let mut value = String::new();
            for ord in 0..column.num_terms() as u64 {
                value.clear();
                let found = column.ord_to_str(ord, &mut value).unwrap_or(false);
                terms.push((found && !value.is_empty()).then(|| value.clone()));
            }
            *slot = Some(StrFacet {
                values: Values::compact(offsets, values),
                terms,
            });
        }
        let category = match (
            segment.facet_reader("category").ok(),
            segment.fast_fields().str("category")?,
        ) {
            (Some(reader), Some(column)) => {
                let mut parent_of = Vec::new();
                let mut parents: Vec<String> = Vec::new();
                let mut names = Vec::new();
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
                    names.push((path.len() > 1).then(|| path.join("/")));
                }
                let (offsets, values) = decode(column.ords(), max_doc);
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
                Some(CategoryFacet {
                    ords: Values::compact(offsets, values),
                    parents_per_doc: Values::compact(parent_offsets, parent_values),
                    names,
                    parents,
                })
            }
            _ => None,
        };
        Ok(SegmentFacets { strings, category })
    }

    /// Bytes of the per-doc arrays (term strings left out: a few KB).
    fn heap_bytes(&self) -> usize {
        let strings: usize = self
            .strings
            .iter()
            .flatten()
            .map(|s| s.values.heap_bytes())
            .sum();
        let category = self
            .category
            .as_ref()
            .map_or(0, |c| c.ords.heap_bytes() + c.parents_per_doc.heap_bytes());
        strings + category
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
    /// Per string field, per ordinal.
    counts: [Tally; 6],
    category_counts: Tally,
    parent_counts: Tally,
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
        let counts = std::array::from_fn(|i| {
            Tally::new(facets.strings[i].as_ref().map_or(0, |s| s.terms.len()))
        });
        let (categories, parents) = facets
            .category
            .as_ref()
            .map_or((0, 0), |c| (c.names.len(), c.parents.len()));
        Ok(FacetSegmentCollector {
            facets,
            counts,
            category_counts: Tally::new(categories),
            parent_counts: Tally::new(parents),
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

    /// Broad unscored queries (time sort, exports) arrive here in blocks; each field
    /// is counted over the whole block in turn.
    fn collect_block(&mut self, docs: &[DocId]) {
        for (field, counts) in self.facets.strings.iter().zip(self.counts.iter_mut()) {
            if let Some(field) = field {
                field.values.count(docs, counts);
            }
        }
        if let Some(category) = &self.facets.category {
            category.ords.count(docs, &mut self.category_counts);
            category
                .parents_per_doc
                .count(docs, &mut self.parent_counts);
        }
    }

    fn harvest(mut self) -> FacetFruit {
        let pending = std::mem::take(&mut self.pending);
        self.collect_block(&pending);
        let mut fruit = FacetFruit::default();
        for (i, (field, counts)) in self.facets.strings.iter().zip(&self.counts).enumerate() {
            let Some(field) = field else { continue };
            for (ord, term) in field.terms.iter().enumerate() {
                let count = counts.get(ord);
                // Weeks are kept at zero too: the chart needs every week of the index.
                if count == 0 && i != WEEK {
                    continue;
                }
                if let Some(term) = term {
                    *fruit.strings[i].entry(term.clone()).or_default() += count;
                }
            }
        }
        if let Some(category) = &self.facets.category {
            // Top-level paths are counted through their parents, once per contact.
            for (ord, name) in category.names.iter().enumerate() {
                let count = self.category_counts.get(ord);
                if count > 0
                    && let Some(name) = name
                {
                    *fruit.category.entry(name.clone()).or_default() += count;
                }
            }
            for (index, parent) in category.parents.iter().enumerate() {
                let count = self.parent_counts.get(index);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form of `Values` counts what a naive count of the (doc, value) pairs does.
    #[test]
    fn every_form_counts_like_the_pairs() {
        let docs_n = 1000u32;
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        // (terms, max values per doc, duplicates allowed) → the expected form.
        let cases: [(u64, u64, bool, &str); 10] = [
            (5, 1, false, "One8"),
            (254, 1, false, "One8"),
            (300, 1, false, "One16"),
            (70_000, 1, false, "One32"),
            (6, 3, false, "Mask8"),
            (16, 3, false, "Mask16"),
            (30, 3, false, "Mask32"),
            (64, 4, false, "Mask64"),
            (65, 3, false, "Csr"),
            (5, 3, true, "Csr"),
        ];
        for (terms, per_doc, duplicates, form) in cases {
            let mut offsets = vec![0u32];
            let mut values = Vec::new();
            for doc in 0..docs_n {
                let n = if doc % 7 == 0 { 0 } else { next(per_doc + 1) };
                let mut mine: Vec<u32> = Vec::new();
                // The largest ordinal appears once, so the form is decided by `terms`.
                if doc == 1 {
                    mine.push(terms as u32 - 1);
                }
                while (mine.len() as u64) < n.max(u64::from(doc == 1)) {
                    let v = next(terms) as u32;
                    if duplicates || !mine.contains(&v) {
                        mine.push(v);
                    }
                }
                if duplicates && doc == 2 {
                    mine = vec![3, 3];
                }
                values.extend(&mine);
                offsets.push(values.len() as u32);
            }
            let mut expected = vec![0u64; terms as usize];
            let hits: Vec<DocId> = (0..docs_n).filter(|d| d % 3 != 1).collect();
            for &doc in &hits {
                for &v in
                    &values[offsets[doc as usize] as usize..offsets[doc as usize + 1] as usize]
                {
                    expected[v as usize] += 1;
                }
            }
            let compact = Values::compact(offsets, values);
            let name = match &compact {
                Values::One8(_) => "One8",
                Values::One16(_) => "One16",
                Values::One32(_) => "One32",
                Values::Mask8(_) => "Mask8",
                Values::Mask16(_) => "Mask16",
                Values::Mask32(_) => "Mask32",
                Values::Mask64(_) => "Mask64",
                Values::Csr { .. } => "Csr",
            };
            assert_eq!(name, form, "{terms} terms");
            let mut tally = Tally::new(terms as usize);
            for block in hits.chunks(61) {
                compact.count(block, &mut tally);
            }
            let counted: Vec<u64> = (0..terms as usize).map(|o| tally.get(o)).collect();
            assert_eq!(counted, expected, "{form}");
        }
    }
}
