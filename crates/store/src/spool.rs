//! The batch spool: enriched records parked per chunk and ISO week while the rest of
//! the batch is still being read. Chunks stay in memory as frames up to a byte budget
//! ([`SPOOL_MEMORY_BYTES`]); past it, each further chunk goes to a small Parquet file,
//! so a run's memory is bounded by the budget and one chunk rather than by the batch.
//! A weekly batch never reaches the disk: encoding, compressing and decoding it again
//! was a tenth of a run's CPU time. When every input has been read, [`merge`]
//! folds the spool into the week-partitioned history one week at a time, with the same
//! result, byte for byte, as [`crate::history::write_history`] over the whole batch.
//!
//! Only what may be written goes into the spool: records are enriched, so their text is
//! already masked. Each row carries the delivery sequence number of its record (`seq`),
//! so the newest delivery of a contact id can be picked once the whole batch is known.

use polars::prelude::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use voc_core::hash::FxBuild;
use voc_core::{EnrichedContact, StoredTurns};

use crate::StoreError;
use crate::frame::for_each_string_list;
use crate::history::{
    frame_of, read_partition, records_of, sort_partition, without_ids, write_partition,
    write_sorted_partition,
};
use crate::layout::{History, week_folder, week_of_partition};

const SEQ: &str = "seq";
/// Bytes of spooled frames held in memory before chunks spill to disk: about 150,000
/// contacts of the demo's kind, so a weekly batch stays in memory and a 1M-contact
/// backfill stays within its memory goal.
pub const SPOOL_MEMORY_BYTES: usize = 256 << 20;

/// What the merge needs to know about the whole batch once it has been read.
pub trait BatchView: Sync {
    /// Whether delivery `seq` of contact `id` is the one kept (the newest).
    fn keeps(&self, id: &str, seq: u64) -> bool;
    /// Whether delivery `seq` is a repeat contact (the flag needs the whole batch).
    fn repeat(&self, seq: u64) -> bool;
    /// Whether the batch keeps a contact in `week` (a week whose deliveries were all
    /// superseded by deliveries in other weeks has none).
    fn has_week(&self, week: &str) -> bool;
    /// The batch's contact ids, each once: every stored row is checked against them in
    /// a hash set (their stored rows are replaced).
    fn ids(&self) -> Vec<&str>;
}

/// Enriched records of a batch parked per ISO week: in memory up to a budget, then in
/// a folder of its own.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    chunks: u64,
    weeks: BTreeSet<String>,
    /// Frames kept in memory, per week, in chunk order. Every chunk spilled to disk
    /// comes after all of them, so a week reads memory first, then files.
    held: BTreeMap<String, Vec<DataFrame>>,
    held_bytes: usize,
    budget: usize,
    spilling: bool,
}

impl Spool {
    /// Starts an empty spool in `dir` with the default memory budget, removing whatever
    /// a killed run left there.
    pub fn create(dir: &Path) -> Result<Spool, StoreError> {
        Self::with_memory_budget(dir, SPOOL_MEMORY_BYTES)
    }

    /// Starts an empty spool holding up to `budget` bytes of frames in memory (0: every
    /// chunk goes to disk).
    pub fn with_memory_budget(dir: &Path, budget: usize) -> Result<Spool, StoreError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        Ok(Spool {
            dir: dir.to_path_buf(),
            chunks: 0,
            weeks: BTreeSet::new(),
            held: BTreeMap::new(),
            held_bytes: 0,
            budget,
            spilling: false,
        })
    }

    /// Whether any chunk has gone to disk (the memory budget was reached).
    pub fn spilled(&self) -> bool {
        self.spilling
    }

    /// Parks one chunk of records, each with its delivery sequence number: one frame per
    /// week the chunk touches, kept in memory while the budget allows, else written to
    /// a file of its own.
    pub fn append(&mut self, rows: &[(u64, EnrichedContact)]) -> Result<(), StoreError> {
        let mut weeks: Vec<&str> = rows.iter().map(|(_, r)| r.week.as_str()).collect();
        weeks.sort_unstable();
        weeks.dedup();
        for week in weeks {
            let in_week: Vec<&(u64, EnrichedContact)> =
                rows.iter().filter(|(_, r)| r.week == week).collect();
            let records: Vec<&EnrichedContact> = in_week.iter().map(|(_, r)| r).collect();
            let mut frame = frame_of(&records)?;
            let seqs: Vec<u64> = in_week.iter().map(|(s, _)| *s).collect();
            frame.with_column(Column::new(SEQ.into(), seqs))?;
            self.weeks.insert(week.to_string());
            if !self.spilling {
                let bytes = frame.estimated_size();
                if self.held_bytes + bytes <= self.budget {
                    self.held_bytes += bytes;
                    self.held.entry(week.to_string()).or_default().push(frame);
                    continue;
                }
                // Once one chunk spills, all later ones do, keeping chunk order.
                self.spilling = true;
            }
            let path = self
                .dir
                .join(week_folder(week))
                .join(format!("chunk-{:08}.parquet", self.chunks));
            spill(&path, &mut frame).map_err(|e| {
                // Named, so a full disk says where it was being written.
                StoreError::Io(std::io::Error::other(format!(
                    "cannot write {}: {e}",
                    path.display()
                )))
            })?;
        }
        self.chunks += 1;
        Ok(())
    }

    /// Weeks with at least one spooled record, in order.
    pub fn weeks(&self) -> impl Iterator<Item = &str> {
        self.weeks.iter().map(String::as_str)
    }

    /// Deletes the spool.
    pub fn remove(self) -> std::io::Result<()> {
        std::fs::remove_dir_all(&self.dir)
    }

    /// Every spooled row of `week` (all deliveries, with their `seq`), in chunk order;
    /// the week's frames leave memory.
    fn take_week(&mut self, week: &str) -> Result<DataFrame, StoreError> {
        let held = self.held.remove(week).unwrap_or_default();
        self.held_bytes = self
            .held_bytes
            .saturating_sub(held.iter().map(DataFrame::estimated_size).sum());
        let folder = self.dir.join(week_folder(week));
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
            Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        files.sort();
        let on_disk = files
            .into_iter()
            .map(|path| -> Result<DataFrame, StoreError> {
                Ok(ParquetReader::new(std::fs::File::open(&path)?).finish()?)
            });
        let mut frame: Option<DataFrame> = None;
        for part in held.into_iter().map(Ok).chain(on_disk) {
            let part = part?;
            match &mut frame {
                Some(f) => {
                    f.vstack_mut(&part)?;
                }
                None => frame = Some(part),
            }
        }
        frame.ok_or_else(|| StoreError::Unsupported(format!("empty spool week {week}")))
    }
}

/// Writes one spilled chunk (LZ4, no statistics: it is read once, whole).
fn spill(path: &Path, frame: &mut DataFrame) -> Result<(), StoreError> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let file = std::fs::File::create(path)?;
    ParquetWriter::new(std::io::BufWriter::new(file))
        .with_compression(ParquetCompression::Lz4Raw)
        .with_statistics(StatisticsOptions::empty())
        .finish(frame)?;
    Ok(())
}

/// The batch's records of one week, final (newest delivery, repeat flag set) and sorted
/// like a partition, as handed to [`merge`]'s callback (to index them, say).
pub struct WeekBatch<'a> {
    pub week: &'a str,
    frame: DataFrame,
}

impl WeekBatch<'_> {
    pub fn len(&self) -> usize {
        self.frame.height()
    }

    pub fn is_empty(&self) -> bool {
        self.frame.height() == 0
    }

    /// The records, `n` at a time, in partition order (time, then id), so no more than
    /// `n` are decoded at once. Their tokens come apart, in their stored form (the
    /// records' own `tokens` are left empty): the index reads them as they are stored.
    pub fn for_each_slice<E: From<StoreError>>(
        &self,
        n: usize,
        mut f: impl FnMut(Vec<EnrichedContact>, StoredTurns) -> Result<(), E>,
    ) -> Result<(), E> {
        let n = n.max(1);
        let mut offset = 0;
        while offset < self.frame.height() {
            let slice = self.frame.slice(offset as i64, n);
            offset += slice.height();
            let mut stored = StoredTurns::default();
            for_each_string_list(&slice, "tokens", |_, turns| stored.push(turns))?;
            let without_tokens = slice.drop("tokens").map_err(StoreError::from)?;
            let records = records_of(Path::new(self.week), self.week, &without_tokens)?;
            f(records, stored)?;
        }
        Ok(())
    }
}

/// Folds the spool into the history under `history`. For every week of the spool, the
/// newest delivery of each id is kept and its repeat flag set from `batch`; the rows
/// already stored for ids of the batch are dropped from every partition (a re-delivered
/// contact may have moved to another week); each partition is rewritten atomically,
/// sorted by time and id. `on_week` sees each week's batch records while its partition
/// is written. Returns the partitions written, in the order
/// [`crate::history::write_history`] gives.
pub fn merge<E: From<StoreError>>(
    history: &History,
    spool: &mut Spool,
    batch: &dyn BatchView,
    on_week: &mut dyn FnMut(&WeekBatch) -> Result<(), E>,
) -> Result<Vec<PathBuf>, E> {
    let mut written = Vec::new();
    // Partitions of other weeks lose the ids delivered again in this batch. Only the id
    // column is read unless something has to go, and the partitions are checked in
    // parallel: this is the one step of a weekly run that reads every stored week.
    let others: Vec<PathBuf> = history
        .partitions()
        .into_iter()
        .filter(|path| !batch.has_week(&week_of_partition(path)))
        .collect();
    let weeks: Vec<String> = spool
        .weeks()
        .filter(|w| batch.has_week(w))
        .map(str::to_string)
        .collect();
    let stored_batch_week = weeks.iter().any(|w| history.partition(w).exists());
    let batch_ids: HashSet<&str, FxBuild> = if others.is_empty() && !stored_batch_week {
        HashSet::default()
    } else {
        batch.ids().into_iter().collect()
    };
    let batch_ids = &batch_ids;
    let hits: Vec<bool> = others
        .par_iter()
        .map(|path| -> Result<bool, StoreError> {
            let ids = crate::history::open_partition(path)?
                .with_columns(Some(vec!["id".to_string()]))
                .finish()?;
            Ok(ids
                .column("id")?
                .str()?
                .iter()
                .any(|id| id.is_some_and(|id| batch_ids.contains(id))))
        })
        .collect::<Result<_, _>>()?;
    for (path, hit) in others.into_iter().zip(hits) {
        if hit {
            let existing = read_partition(&path)?;
            write_partition(&path, without_ids(existing, batch_ids)?)?;
            written.push(path);
        }
    }
    // A week's partition is written on a thread of its own while the week's records are
    // fed to `on_week` (the index) and the next week is prepared: one after the other,
    // each left a core idle for a third of the merge.
    std::thread::scope(|scope| -> Result<(), E> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(PathBuf, DataFrame)>(1);
        let writer = scope.spawn(move || -> Result<Vec<PathBuf>, StoreError> {
            let mut done = Vec::new();
            for (path, frame) in rx {
                if path.exists() {
                    let existing = without_ids(read_partition(&path)?, batch_ids)?;
                    write_partition(&path, existing.vstack(&frame)?)?;
                } else {
                    // Sorted already: written as sorting it again would write it.
                    write_sorted_partition(&path, frame)?;
                }
                done.push(path);
            }
            Ok(done)
        });
        let mut fed = Ok(());
        for week in &weeks {
            let frame = match spool
                .take_week(week)
                .and_then(|f| sort_partition(final_rows(f, batch)?))
            {
                Ok(frame) => frame,
                Err(e) => {
                    fed = Err(e.into());
                    break;
                }
            };
            // The clone shares the columns. A closed channel means the writer failed:
            // its error is the one reported.
            if tx.send((history.partition(week), frame.clone())).is_err() {
                break;
            }
            if let Err(e) = on_week(&WeekBatch { week, frame }) {
                fed = Err(e);
                break;
            }
        }
        drop(tx);
        let wrote = writer
            .join()
            .map_err(|_| StoreError::Unsupported("the partition writer panicked".into()))??;
        fed?;
        written.extend(wrote);
        Ok(())
    })?;
    Ok(written)
}

/// The newest delivery of each id, with its repeat flag, without the `seq` column.
fn final_rows(frame: DataFrame, batch: &dyn BatchView) -> Result<DataFrame, StoreError> {
    let seqs = frame.column(SEQ)?.u64()?.clone();
    let ids = frame.column("id")?.str()?.clone();
    let keep: BooleanChunked = ids
        .iter()
        .zip(seqs.iter())
        .map(|(id, seq)| Some(matches!((id, seq), (Some(id), Some(seq)) if batch.keeps(id, seq))))
        .collect();
    // Usually every delivery is the newest: no copy then.
    let mut frame = if keep.all() {
        frame
    } else {
        frame.filter(&keep)?
    };
    let repeat: Vec<bool> = frame
        .column(SEQ)?
        .u64()?
        .iter()
        .map(|seq| seq.is_some_and(|s| batch.repeat(s)))
        .collect();
    frame.with_column(Column::new("risk_repeat".into(), repeat))?;
    Ok(frame.drop(SEQ)?)
}

/// The records of one partition that `keep` accepts, decoded `SLICE` rows at a time so
/// that only the kept ones are held.
pub fn read_records_filtered(
    path: &Path,
    keep: impl Fn(&EnrichedContact) -> bool,
) -> Result<Vec<EnrichedContact>, StoreError> {
    const SLICE: usize = 2048;
    let frame = read_partition(path)?;
    let week = week_of_partition(path);
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < frame.height() {
        let slice = frame.slice(offset as i64, SLICE);
        offset += slice.height();
        out.extend(records_of(path, &week, &slice)?.into_iter().filter(&keep));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::write_history;
    use std::collections::{HashMap, HashSet};
    use voc_core::{Contact, RiskFlags, Speaker, Turn};

    fn record(
        id: &str,
        day: u32,
        hour: u32,
        text: &str,
        customer: Option<&str>,
    ) -> EnrichedContact {
        let started_at = chrono::DateTime::parse_from_rfc3339(&format!(
            "2026-11-{day:02}T{hour:02}:15:02+08:00"
        ))
        .unwrap();
        let mut contact = Contact::new(
            id,
            started_at,
            "voice",
            vec![
                Turn {
                    speaker: Speaker::Agent,
                    text: "您好".into(),
                },
                Turn {
                    speaker: Speaker::Customer,
                    text: text.into(),
                },
            ],
        );
        contact.customer_id = customer.map(str::to_string);
        if day.is_multiple_of(2) {
            contact.region = Some("广东".into());
            contact.csat = Some(4);
        }
        EnrichedContact {
            week: voc_core::time::iso_week_key(&started_at),
            contact,
            tokens: vec![
                vec!["您好".into()],
                text.split(' ').map(voc_core::Token::from).collect(),
            ],
            categories: if day.is_multiple_of(3) {
                vec![]
            } else {
                vec!["网络质量/宽带断网".into()]
            },
            complaint: day % 3 == 1,
            sentiment: -0.25 * day as f32,
            sentiment_label: "negative".into(),
            mood: Default::default(),
            risk: RiskFlags::default(),
        }
    }

    struct View {
        newest: HashMap<String, u64>,
        repeat: HashSet<u64>,
        weeks: HashSet<String>,
    }

    impl BatchView for View {
        fn keeps(&self, id: &str, seq: u64) -> bool {
            self.newest.get(id) == Some(&seq)
        }
        fn repeat(&self, seq: u64) -> bool {
            self.repeat.contains(&seq)
        }
        fn has_week(&self, week: &str) -> bool {
            self.weeks.contains(week)
        }
        fn ids(&self) -> Vec<&str> {
            self.newest.keys().map(String::as_str).collect()
        }
    }

    fn walk_files(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { walk_files(&p) } else { 1 })
            .sum()
    }

    fn files(dir: &History) -> Vec<(PathBuf, Vec<u8>)> {
        dir.partitions()
            .into_iter()
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p.strip_prefix(dir.dir()).unwrap().to_path_buf(), bytes)
            })
            .collect()
    }

    #[test]
    fn merging_the_spool_writes_what_write_history_writes() {
        // All in memory, all on disk, and spilling after the first chunks.
        let chunk_bytes = {
            let r = record("X", 10, 11, "第一 次", Some("u1"));
            frame_of(&[&r, &r]).unwrap().estimated_size()
        };
        for budget in [SPOOL_MEMORY_BYTES, 0, chunk_bytes * 3] {
            merge_matches_write_history(budget);
        }
    }

    #[test]
    fn a_failing_partition_write_fails_the_merge_and_stops_feeding_weeks() {
        let tmp = tempfile::tempdir().unwrap();
        let history = History::at(tmp.path().join("history"));
        std::fs::create_dir_all(history.dir()).unwrap();
        let records: Vec<(u64, EnrichedContact)> = [(2, "A"), (10, "B"), (17, "C"), (24, "D")]
            .into_iter()
            .enumerate()
            .map(|(i, (day, id))| (i as u64, record(id, day, 9, "宽带 断网", None)))
            .collect();
        let weeks: Vec<String> = records.iter().map(|(_, r)| r.week.clone()).collect();
        // The first week's partition folder is taken by a file: its write fails.
        std::fs::write(
            history.dir().join(format!("week={}", weeks[0])),
            b"not a folder",
        )
        .unwrap();
        let view = View {
            newest: records
                .iter()
                .map(|(seq, r)| (r.contact.id.clone(), *seq))
                .collect(),
            repeat: HashSet::new(),
            weeks: weeks.iter().cloned().collect(),
        };
        let mut spool = Spool::create(&tmp.path().join("spool")).unwrap();
        spool.append(&records).unwrap();
        let mut fed = Vec::new();
        let result = merge(&history, &mut spool, &view, &mut |w: &WeekBatch| {
            fed.push(w.week.to_string());
            Ok::<(), StoreError>(())
        });
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains(&format!(
                "cannot write {}",
                history.dir().join(format!("week={}", weeks[0])).display()
            )),
            "the error names the partition: {message}"
        );
        // The writer stops at the first week; the channel holds one week more, so the
        // feed stops there instead of running through every week.
        assert!(fed.len() <= 2, "{fed:?}");
        assert!(!history.dir().join(format!("week={}", weeks[3])).exists());
    }

    #[test]
    fn a_failing_spill_names_the_chunk_it_was_writing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("spool");
        let mut spool = Spool::with_memory_budget(&dir, 0).unwrap();
        // The spool folder is taken by a file (as a full disk or a lost mount would
        // fail the write): the error says which chunk could not be written.
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::write(&dir, b"not a folder").unwrap();
        let r = record("A", 2, 9, "宽带 断网", None);
        let err = spool.append(&[(0, r.clone())]).unwrap_err().to_string();
        let chunk = dir
            .join(format!("week={}", r.week))
            .join("chunk-00000000.parquet");
        assert!(
            err.starts_with(&format!("cannot write {}: ", chunk.display())),
            "{err}"
        );
    }

    fn merge_matches_write_history(budget: usize) {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (
            History::at(tmp.path().join("a")),
            History::at(tmp.path().join("b")),
        );
        // Stored history of both folders: three weeks, one contact of which comes again.
        let stored = vec![
            record("S1", 2, 9, "宽带 断网", Some("u1")),
            record("S2", 10, 9, "光猫 红灯", None),
            record("MOVED", 17, 9, "旧的 一次", Some("u2")),
        ];
        write_history(&a, &stored).unwrap();
        write_history(&b, &stored).unwrap();

        // The batch as delivered: MOVED again in another week, B1 and B5 twice.
        let deliveries = vec![
            record("B1", 10, 11, "第一 次", Some("u1")),
            record("B2", 11, 8, "还是 断网", Some("u1")),
            record("MOVED", 12, 9, "新的 一次", Some("u2")),
            record("B3", 24, 9, "投诉 升级", None),
            // Delivered into a stored week, then moved out of it by a correction.
            record("B5", 18, 9, "先 这周", None),
            record("B1", 10, 12, "更正 之后", Some("u1")),
            record("B4", 3, 10, "套餐 资费", Some("u3")),
            record("B5", 25, 9, "后 下周", None),
        ];
        let newest: HashMap<String, u64> = deliveries
            .iter()
            .enumerate()
            .map(|(i, r)| (r.contact.id.clone(), i as u64))
            .collect();
        let weeks = deliveries
            .iter()
            .enumerate()
            .filter(|(i, r)| newest[&r.contact.id] == *i as u64)
            .map(|(_, r)| r.week.clone())
            .collect();
        let view = View {
            newest,
            repeat: HashSet::from([1]),
            weeks,
        };

        // Reference: the kept records, flagged, through write_history.
        let mut kept: Vec<EnrichedContact> = deliveries
            .iter()
            .enumerate()
            .filter(|(i, r)| view.keeps(&r.contact.id, *i as u64))
            .map(|(i, r)| {
                let mut r = r.clone();
                r.risk.repeat_contact = view.repeat(i as u64);
                r
            })
            .collect();
        kept.sort_by_key(|x| x.contact.started_at);
        let expected = write_history(&a, &kept).unwrap();

        // Spooled in chunks of two.
        let mut spool = Spool::with_memory_budget(&tmp.path().join("spool"), budget).unwrap();
        let numbered: Vec<(u64, EnrichedContact)> = deliveries
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i as u64, r))
            .collect();
        for chunk in numbered.chunks(2) {
            spool.append(chunk).unwrap();
        }
        assert_eq!(
            spool.spilled(),
            budget < SPOOL_MEMORY_BYTES,
            "budget {budget}"
        );
        let spooled_files = walk_files(&tmp.path().join("spool"));
        assert_eq!(spooled_files > 0, spool.spilled(), "budget {budget}");
        let mut seen = Vec::new();
        let written = merge(&b, &mut spool, &view, &mut |w: &WeekBatch| {
            w.for_each_slice(1, |records, stored| {
                assert_eq!(stored.len(), records.len());
                for (i, r) in records.iter().enumerate() {
                    assert!(r.tokens.is_empty());
                    assert_eq!(stored.turns(i).count(), r.contact.turns.len());
                }
                seen.extend(records.into_iter().map(|r| r.contact.id));
                Ok::<(), StoreError>(())
            })
        })
        .unwrap();
        spool.remove().unwrap();

        let rel = |paths: &[PathBuf], base: &Path| -> Vec<PathBuf> {
            paths
                .iter()
                .map(|p| p.strip_prefix(base).unwrap().to_path_buf())
                .collect()
        };
        assert_eq!(rel(&written, b.dir()), rel(&expected, a.dir()));
        assert_eq!(files(&a), files(&b), "same partitions, same bytes");
        assert_eq!(seen, ["B4", "B1", "B2", "MOVED", "B3", "B5"]);
        let back = crate::history::read_records(&b.partition("2026-W46"), true).unwrap();
        let b2 = back.iter().find(|r| r.contact.id == "B2").unwrap();
        assert!(b2.risk.repeat_contact);
        let flagged = read_records_filtered(&b.partition("2026-W46"), |r| {
            r.contact.customer_id.as_deref() == Some("u1")
        })
        .unwrap();
        let ids: Vec<&str> = flagged.iter().map(|r| r.contact.id.as_str()).collect();
        assert_eq!(ids, ["B1", "B2"]);
    }
}
