//! Re-tagging history: apply an edited taxonomy (and risk terms) to every stored
//! contact from its stored tokens, without segmenting again, and show what moved.
//!
//! Per partition: read the tokens and tags (not the display text), classify, compare.
//! Only a partition with changes is read in full and rewritten, and its changed
//! contacts are upserted into the index.
//!
//! With `resegment` (after a dictionary or segmenter setting changed) every partition is
//! read in full and its stored masked text cut again with the pipeline's segmenter; the
//! new tokens are classified (sentiment too: it reads tokens), partitions whose tokens
//! or tags changed are rewritten, and the index is rebuilt with the new dictionary, so
//! queries are cut as the text now is. No input file is read.
//!
//! The history and the index are written into the output folder's next generation,
//! made current once every partition is done (`voc_store::generation`): a retag killed
//! halfway leaves the history and the index as they were.

use anyhow::{Context, Result};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;
use voc_core::{EnrichedContact, RiskFlags};

use crate::config::Pipeline;
use crate::models::{build_segmenter, load_classifier};
use crate::output::{output_dir, stored_partitions};

#[derive(Debug, Clone, Default)]
pub struct RetagOptions {
    /// Overrides `[output] dir` of the pipeline file.
    pub out_dir: Option<PathBuf>,
    /// Compute and report the changes but write nothing.
    pub dry_run: bool,
    /// Also recompute sentiment (after editing overrides or the model).
    pub sentiment: bool,
    /// How many moved contacts to keep as samples.
    pub samples: usize,
    /// Cut the stored text again with the pipeline's current dictionaries and segmenter
    /// settings before classifying (implies `sentiment`).
    pub resegment: bool,
}

/// Contacts in a category before and after.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CategoryChange {
    pub id: String,
    /// Empty for a category no longer in the taxonomy.
    pub name: String,
    pub before: u64,
    pub after: u64,
}

/// A contact whose tags changed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MovedContact {
    pub id: String,
    pub week: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub flags_before: Vec<String>,
    pub flags_after: Vec<String>,
    /// Score and label before and after, when sentiment was recomputed.
    pub sentiment_before: Option<(f32, String)>,
    pub sentiment_after: Option<(f32, String)>,
    /// The first customer turn (masked, as stored), shortened.
    pub excerpt: String,
    /// With `resegment`: the first turn cut differently, its tokens before and after
    /// joined by ` / `, shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recut: Option<(String, String)>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RetagSummary {
    pub history: PathBuf,
    pub partitions: usize,
    pub contacts: u64,
    /// Contacts whose stored tags or scores change.
    pub changed: u64,
    /// Of those, contacts that change category, flags or sentiment label (the rest
    /// only change a score within its label).
    pub moved: u64,
    pub partitions_rewritten: usize,
    /// Contacts whose tokens changed when the text was cut again (`resegment`).
    pub resegmented: u64,
    pub indexed: u64,
    /// Why the index was not updated, if it was not.
    pub index_note: Option<String>,
    pub categories: Vec<CategoryChange>,
    /// (flag, before, after)
    pub flags: Vec<(String, u64, u64)>,
    /// (sentiment label, before, after); empty unless sentiment was recomputed.
    pub sentiment_labels: Vec<(String, u64, u64)>,
    pub samples: Vec<MovedContact>,
    pub dry_run: bool,
    /// What a killed command left and this one removed.
    pub warnings: Vec<String>,
    pub read_ms: u64,
    pub classify_ms: u64,
    pub write_ms: u64,
}

/// New tags of one contact.
#[derive(Debug, Clone, PartialEq)]
struct Tags {
    /// The tokens cut again, when they differ from the stored ones.
    tokens: Option<Vec<voc_core::TurnTokens>>,
    categories: Vec<String>,
    complaint: bool,
    risk: RiskFlags,
    sentiment: Option<(f32, &'static str)>,
}

const FLAGS: &[&str] = &[
    "escalation",
    "churn",
    "repeat",
    "no_greeting",
    "forbidden_phrase",
    "no_closing",
];

pub fn retag(pipeline: &Pipeline, options: &RetagOptions) -> Result<RetagSummary> {
    let visible = output_dir(pipeline, options.out_dir.clone());
    // A dry run reads the current generation; a retag writes the next one, made current
    // once every partition and the index are re-tagged.
    // No history is said before anything is written.
    stored_partitions(pipeline, &visible.pinned())?;
    let (transaction, warnings) = if options.dry_run {
        (None, Vec::new())
    } else {
        let (t, w) = voc_store::Transaction::begin(&visible)?;
        (Some(t), w)
    };
    let out = transaction
        .as_ref()
        .map_or_else(|| visible.pinned(), |t| t.out().clone());
    let partitions = stored_partitions(pipeline, &out)?;
    let (classifier, terms) = load_classifier(pipeline)?;
    let resegmenter = if options.resegment {
        let (segmenter, builder) = build_segmenter(pipeline, &terms)?;
        Some((std::sync::Arc::new(segmenter), builder))
    } else {
        None
    };
    let recompute_sentiment = options.sentiment || options.resegment;
    let index_dir = out.index();
    let index = if options.dry_run {
        None
    } else {
        match (voc_index::ContactIndex::open(&index_dir), &resegmenter) {
            // Cut again, the text needs an index built with the new dictionary: the old
            // one is cleared in this generation and filled with every contact below.
            (Ok(index), Some((segmenter, builder))) => {
                drop(index);
                std::fs::remove_dir_all(&index_dir)
                    .with_context(|| format!("cannot clear {}", index_dir.display()))?;
                Some(voc_index::ContactIndex::open_or_create(
                    &index_dir,
                    segmenter.clone(),
                    builder,
                )?)
            }
            (Ok(index), None) => Some(index),
            // No index to update: the history is re-tagged alone (`index_note` says so).
            (Err(voc_index::IndexError::Missing(_)), _) => None,
            (Err(e), _) => return Err(e.into()),
        }
    };
    // The pipeline's channel names may have changed with the rules.
    if index.is_some() {
        voc_index::save_channel_names(&index_dir, &pipeline.file.report.channel_names)?;
    }
    // Every contact goes into a rebuilt index, changed or not.
    let mut rebuilt_index = match (&index, options.resegment) {
        (Some(index), true) => Some(index.writer()?),
        _ => None,
    };

    let mut summary = RetagSummary {
        history: visible.history().dir().to_path_buf(),
        warnings,
        partitions: partitions.len(),
        dry_run: options.dry_run,
        ..Default::default()
    };
    if index.is_none() && !options.dry_run {
        summary.index_note = Some(format!("no index at {}", visible.index().display()));
    }
    let mut before: BTreeMap<String, u64> = BTreeMap::new();
    let mut after: BTreeMap<String, u64> = BTreeMap::new();
    let mut flags_before = [0u64; FLAGS.len()];
    let mut flags_after = [0u64; FLAGS.len()];
    let mut labels_before = [0u64; 3];
    let mut labels_after = [0u64; 3];

    for path in &partitions {
        let started = Instant::now();
        // Only what the rules need, unless sentiment is recomputed too (then the stored
        // score must be read to compare).
        let records = if options.resegment {
            // The display text is what is cut again.
            voc_store::history::read_records(path, true)
        } else if options.sentiment {
            voc_store::history::read_records(path, false)
        } else {
            voc_store::history::read_for_retag(path)
        }
        .with_context(|| format!("cannot read {}", path.display()))?;
        summary.read_ms += started.elapsed().as_millis() as u64;

        let started = Instant::now();
        let tags: Vec<Tags> = records
            .par_iter()
            .map(|r| {
                let recut = resegmenter.as_ref().and_then(|(segmenter, _)| {
                    let cut: Vec<voc_core::TurnTokens> = r
                        .contact
                        .turns
                        .iter()
                        .map(|t| segmenter.cut(&t.text))
                        .collect();
                    (cut != r.tokens).then_some(cut)
                });
                let tokens = recut.as_ref().unwrap_or(&r.tokens);
                let (categories, complaint, mut risk) = classifier.tag(&r.contact, tokens);
                // Repeat contact depends on other contacts, not on the rules.
                risk.repeat_contact = r.risk.repeat_contact;
                let sentiment = recompute_sentiment.then(|| {
                    let s = classifier.sentiment.score_contact(&r.contact, tokens);
                    (s, voc_classify::sentiment::label(s))
                });
                Tags {
                    tokens: recut,
                    categories,
                    complaint,
                    risk,
                    sentiment,
                }
            })
            .collect();
        summary.classify_ms += started.elapsed().as_millis() as u64;

        let mut changed: HashMap<String, &Tags> = HashMap::new();
        for (r, t) in records.iter().zip(&tags) {
            summary.contacts += 1;
            for c in &r.categories {
                *before.entry(c.clone()).or_default() += 1;
            }
            for c in &t.categories {
                *after.entry(c.clone()).or_default() += 1;
            }
            count_flags(&r.risk, &mut flags_before);
            count_flags(&t.risk, &mut flags_after);
            if let Some((_, label)) = t.sentiment {
                count_label(&r.sentiment_label, &mut labels_before);
                count_label(label, &mut labels_after);
            }
            summary.resegmented += u64::from(t.tokens.is_some());
            if is_changed(r, t) {
                changed.insert(r.contact.id.clone(), t);
            }
        }
        if changed.is_empty() {
            if let Some(writer) = rebuilt_index.as_mut() {
                let started = Instant::now();
                writer.add_unique(&records)?;
                summary.indexed += records.len() as u64;
                summary.write_ms += started.elapsed().as_millis() as u64;
            }
            continue;
        }
        summary.changed += changed.len() as u64;

        let started = Instant::now();
        // The full records (with display text) only for a partition that changes; cut
        // again, they were read in full already.
        let mut full = if options.resegment {
            records
        } else {
            voc_store::history::read_records(path, true)
                .with_context(|| format!("cannot read {}", path.display()))?
        };
        let mut updated: Vec<EnrichedContact> = Vec::new();
        for r in full.iter_mut() {
            let Some(t) = changed.get(r.contact.id.as_str()) else {
                continue;
            };
            // A sample shows a contact that moved: a score that changed within its label
            // is rewritten but not shown.
            let moved = r.categories != t.categories
                || r.risk != t.risk
                || t.sentiment.is_some_and(|(_, l)| l != r.sentiment_label);
            summary.moved += u64::from(moved);
            if moved && summary.samples.len() < options.samples {
                summary.samples.push(MovedContact {
                    id: r.contact.id.clone(),
                    week: r.week.clone(),
                    before: r.categories.clone(),
                    after: t.categories.clone(),
                    flags_before: names(&r.risk),
                    flags_after: names(&t.risk),
                    sentiment_before: t
                        .sentiment
                        .map(|_| (r.sentiment, r.sentiment_label.clone())),
                    sentiment_after: t.sentiment.map(|(s, l)| (s, l.to_string())),
                    excerpt: excerpt(r),
                    recut: t.tokens.as_ref().and_then(|new| recut(&r.tokens, new)),
                });
            }
            if let Some(tokens) = &t.tokens {
                r.tokens = tokens.clone();
            }
            r.categories = t.categories.clone();
            r.complaint = t.complaint;
            r.risk = t.risk;
            if let Some((score, label)) = t.sentiment {
                r.sentiment = score;
                r.sentiment_label = label.to_string();
                r.mood = classifier
                    .sentiment
                    .read_contact(&r.contact, &r.tokens)
                    .mood();
            }
            updated.push(r.clone());
        }
        if !options.dry_run {
            if let Some(writer) = rebuilt_index.as_mut() {
                writer.add_unique(&full)?;
                summary.indexed += full.len() as u64;
            } else if let Some(index) = &index {
                summary.indexed += index.upsert(&updated)?.upserted;
            }
            voc_store::history::write_records(path, &full)
                .with_context(|| format!("cannot rewrite {}", path.display()))?;
            summary.partitions_rewritten += 1;
            voc_store::checkpoint("retag-partition")?;
        }
        summary.write_ms += started.elapsed().as_millis() as u64;
    }
    if let Some(writer) = rebuilt_index {
        let started = Instant::now();
        writer.commit()?;
        summary.write_ms += started.elapsed().as_millis() as u64;
    }
    if let Some(transaction) = transaction {
        drop(index);
        transaction.commit()?;
    }

    let ids: Vec<String> = before
        .keys()
        .chain(after.keys())
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Taxonomy order first, then ids no longer in the taxonomy.
    let mut ordered: Vec<String> = classifier.taxonomy.specs().map(|s| s.id.clone()).collect();
    ordered.extend(
        ids.into_iter()
            .filter(|id| classifier.taxonomy.spec(id).is_none()),
    );
    summary.categories = ordered
        .into_iter()
        .map(|id| CategoryChange {
            name: classifier
                .taxonomy
                .spec(&id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            before: before.get(&id).copied().unwrap_or(0),
            after: after.get(&id).copied().unwrap_or(0),
            id,
        })
        .collect();
    summary.flags = FLAGS
        .iter()
        .enumerate()
        .map(|(i, f)| (f.to_string(), flags_before[i], flags_after[i]))
        .collect();
    if options.sentiment {
        summary.sentiment_labels = voc_classify::sentiment::LABELS
            .iter()
            .enumerate()
            .map(|(i, l)| (l.to_string(), labels_before[i], labels_after[i]))
            .collect();
    }
    Ok(summary)
}

fn is_changed(r: &EnrichedContact, t: &Tags) -> bool {
    r.categories != t.categories
        || r.complaint != t.complaint
        || r.risk != t.risk
        || t.tokens.is_some()
        || t.sentiment
            .is_some_and(|(s, l)| s != r.sentiment || l != r.sentiment_label)
}

fn count_flags(risk: &RiskFlags, counts: &mut [u64; FLAGS.len()]) {
    for (i, set) in [
        risk.escalation,
        risk.churn,
        risk.repeat_contact,
        risk.no_greeting,
        risk.forbidden_phrase,
        risk.no_closing,
    ]
    .into_iter()
    .enumerate()
    {
        counts[i] += u64::from(set);
    }
}

fn count_label(label: &str, counts: &mut [u64; 3]) {
    if let Some(i) = voc_classify::sentiment::LABELS
        .iter()
        .position(|l| *l == label)
    {
        counts[i] += 1;
    }
}

fn names(risk: &RiskFlags) -> Vec<String> {
    risk.names().into_iter().map(str::to_string).collect()
}

/// The first turn whose tokens differ, before and after, for the diff.
fn recut(old: &[voc_core::TurnTokens], new: &[voc_core::TurnTokens]) -> Option<(String, String)> {
    let (before, after) = old.iter().zip(new).find(|(a, b)| a != b)?;
    let shown = |tokens: &voc_core::TurnTokens| {
        let mut out = String::new();
        for t in tokens {
            if out.chars().count() > 60 {
                out.push_str(" …");
                break;
            }
            if !out.is_empty() {
                out.push_str(" / ");
            }
            out.push_str(t);
        }
        out
    };
    Some((shown(before), shown(after)))
}

fn excerpt(r: &EnrichedContact) -> String {
    let text = r
        .contact
        .turns
        .iter()
        .find(|t| t.speaker != voc_core::Speaker::Agent)
        .or(r.contact.turns.first())
        .map(|t| t.text.as_str())
        .unwrap_or("");
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;
    use voc_core::{Contact, Speaker, Turn};

    fn record(id: &str, day: u32, customer: &[&str], categories: &[&str]) -> EnrichedContact {
        let started_at =
            chrono::DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T10:00:00+08:00"))
                .unwrap();
        let contact = Contact::new(
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
                    text: customer.concat(),
                },
            ],
        );
        EnrichedContact {
            week: voc_core::time::iso_week_key(&started_at),
            contact,
            tokens: vec![
                vec!["您好".into()],
                customer.iter().map(|&s| s.into()).collect(),
            ],
            categories: categories.iter().map(|s| s.to_string()).collect(),
            complaint: !categories.is_empty(),
            sentiment: 0.0,
            sentiment_label: "neutral".into(),
            mood: Default::default(),
            // The agent greets but never closes.
            risk: RiskFlags {
                no_closing: true,
                ..Default::default()
            },
        }
    }

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn retag_diff_updates_history_and_index() {
        let dir = std::env::temp_dir().join(format!("voc-retag-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        write(&dir.join("in.jsonl"), "");
        write(
            &dir.join("weekly.toml"),
            "[pipeline]\nname = \"t\"\n[input]\npaths = [\"in.jsonl\"]\n[output]\ndir = \"out\"\n\
             [classify]\ntaxonomy = \"taxonomy.toml\"\n",
        );
        // The taxonomy the history was tagged with: 断网 only.
        let old = "[[category]]\nid = \"网络/断网\"\nname = \"断网\"\nany = [\"断网\"]\n";
        write(&dir.join("taxonomy.toml"), old);
        let records = vec![
            record("C1", 2, &["宽带", "断网", "了"], &["网络/断网"]),
            record("C2", 3, &["光猫", "一直", "亮", "红灯"], &[]),
            record("C3", 10, &["我", "要", "投诉", "到", "12315"], &[]),
            record("C4", 11, &["没有", "断网"], &[]),
        ];
        let out = voc_store::OutputDir::new(dir.join("out"));
        let history = out.history();
        voc_store::history::write_history(history, &records).unwrap();
        let builder = voc_text::Segmenter::builder();
        let index = voc_index::ContactIndex::open_or_create(
            &out.index(),
            Arc::new(builder.build().unwrap()),
            &builder,
        )
        .unwrap();
        index.upsert(&records).unwrap();
        drop(index);

        // Edited: a proximity rule for the modem, and 断网 moves under it.
        write(
            &dir.join("taxonomy.toml"),
            "[synonyms]\n\"断网\" = [\"断网\", \"掉线\"]\n\
             [[category]]\nid = \"网络/断网\"\nname = \"断网\"\nany = [\"@断网\"]\nnear = [\"光猫 NEAR/3 红灯\"]\n",
        );
        let pipeline = Pipeline::load(&dir.join("weekly.toml")).unwrap();
        let options = RetagOptions {
            samples: 10,
            dry_run: true,
            ..Default::default()
        };
        let dry = retag(&pipeline, &options).unwrap();
        assert_eq!(dry.contacts, 4);
        assert_eq!(dry.partitions, 2);
        // C2 gains the category; C3 gains the escalation flag (the history predates it).
        assert_eq!(dry.changed, 2);
        assert_eq!(dry.moved, 2);
        assert_eq!(dry.partitions_rewritten, 0);
        assert_eq!(
            dry.categories,
            vec![CategoryChange {
                id: "网络/断网".into(),
                name: "断网".into(),
                before: 1,
                after: 2
            }]
        );
        assert_eq!(dry.flags[0], ("escalation".to_string(), 0, 1));
        let moved: Vec<(&str, &[String])> = dry
            .samples
            .iter()
            .map(|m| (m.id.as_str(), m.after.as_slice()))
            .collect();
        assert_eq!(
            moved,
            vec![("C2", &["网络/断网".to_string()][..]), ("C3", &[][..])]
        );
        assert_eq!(dry.samples[1].flags_after, vec!["escalation", "no_closing"]);
        assert_eq!(dry.samples[0].excerpt, "光猫一直亮红灯");
        // Dry run wrote nothing.
        let stored = voc_store::history::find_contact(history, "C2")
            .unwrap()
            .unwrap();
        assert!(stored.categories.is_empty());

        let applied = retag(
            &pipeline,
            &RetagOptions {
                dry_run: false,
                ..options.clone()
            },
        )
        .unwrap();
        assert_eq!(applied.changed, 2);
        assert_eq!(applied.partitions_rewritten, 2);
        assert_eq!(applied.indexed, 2);
        let stored = voc_store::history::find_contact(history, "C2")
            .unwrap()
            .unwrap();
        assert_eq!(stored.categories, vec!["网络/断网"]);
        assert!(stored.complaint);
        assert_eq!(stored.contact.turns[1].text, "光猫一直亮红灯", "text kept");
        let stored = voc_store::history::find_contact(history, "C3")
            .unwrap()
            .unwrap();
        assert!(stored.risk.escalation);
        // Nothing left to do.
        let again = retag(&pipeline, &options).unwrap();
        assert_eq!(again.changed, 0);
        assert!(
            again.sentiment_labels.is_empty(),
            "not recomputed, not shown"
        );

        // The history was stored with every contact neutral at 0: recomputed, the
        // complaints move, and the diff says from which label to which.
        let rescored = retag(
            &pipeline,
            &RetagOptions {
                sentiment: true,
                ..options.clone()
            },
        )
        .unwrap();
        let labels = |i: usize| &rescored.sentiment_labels[i];
        assert_eq!(labels(0), &("negative".to_string(), 0, 2), "C1 and C3");
        // C4's `没有断网` (no outage) reads as mildly positive.
        assert_eq!(labels(1), &("neutral".to_string(), 4, 1));
        assert_eq!(labels(2), &("positive".to_string(), 0, 1));
        let moved: Vec<&str> = rescored.samples.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(moved, vec!["C1", "C3", "C4"]);
        assert_eq!((rescored.changed, rescored.moved), (3, 3));
        let c1 = &rescored.samples[0];
        assert_eq!(c1.sentiment_before, Some((0.0, "neutral".to_string())));
        assert!(
            c1.sentiment_after
                .as_ref()
                .is_some_and(|(s, l)| *s < -0.1 && l == "negative")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn resegment_applies_a_dictionary_fix_to_stored_history() {
        let dir = std::env::temp_dir().join(format!("voc-reseg-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        write(&dir.join("in.jsonl"), "");
        write(&dir.join("userdict.txt"), "");
        write(
            &dir.join("weekly.toml"),
            "[pipeline]\nname = \"t\"\n[input]\npaths = [\"in.jsonl\"]\n[output]\ndir = \"out\"\n\
             [text]\ndictionaries = [\"userdict.txt\"]\n\
             [classify]\ntaxonomy = \"taxonomy.toml\"\n",
        );
        write(
            &dir.join("taxonomy.toml"),
            "[[category]]\nid = \"网络/信号\"\nname = \"信号差\"\nany = [\"信号\"]\n",
        );
        let pipeline = Pipeline::load(&dir.join("weekly.toml")).unwrap();
        let (classifier, segmenter, builder) = crate::models::build_classifier(&pipeline).unwrap();
        let started_at = chrono::DateTime::parse_from_rfc3339("2026-11-02T10:00:00+08:00").unwrap();
        let contact = |id: &str, text: &str| {
            let turns = vec![
                Turn {
                    speaker: Speaker::Agent,
                    text: "您好，请讲".into(),
                },
                Turn {
                    speaker: Speaker::Customer,
                    text: text.into(),
                },
            ];
            crate::batch::enrich(
                Contact::new(id, started_at, "chat", turns),
                &segmenter,
                &classifier,
            )
        };
        let records = vec![
            contact("W1", "能加一下你的微信号吗"),
            contact("W2", "家里信号很差"),
        ];
        // Before the fix: 微信号 is cut 微 + 信号, a false signal complaint.
        assert!(records[0].tokens[1].iter().any(|t| t == "信号"));
        assert_eq!(records[0].categories, vec!["网络/信号"]);
        let out = voc_store::OutputDir::new(dir.join("out"));
        voc_store::history::write_history(out.history(), &records).unwrap();
        let index =
            voc_index::ContactIndex::open_or_create(&out.index(), Arc::new(segmenter), &builder)
                .unwrap();
        index.upsert(&records).unwrap();
        drop(index);

        // A plain retag sees the same tokens: nothing to do.
        let plain = retag(&pipeline, &RetagOptions::default()).unwrap();
        assert_eq!((plain.changed, plain.resegmented), (0, 0));

        // The fix, and no input file: the stored text is cut again.
        write(&dir.join("userdict.txt"), "微信号 1000 n\n");
        let pipeline = Pipeline::load(&dir.join("weekly.toml")).unwrap();
        let options = RetagOptions {
            resegment: true,
            samples: 10,
            ..Default::default()
        };
        let summary = retag(&pipeline, &options).unwrap();
        assert_eq!(summary.resegmented, 1, "{summary:?}");
        assert_eq!(summary.changed, 1);
        assert_eq!(summary.partitions_rewritten, 1);
        assert_eq!(summary.indexed, 2, "the rebuilt index holds every contact");
        assert_eq!(
            summary.categories,
            vec![CategoryChange {
                id: "网络/信号".into(),
                name: "信号差".into(),
                before: 2,
                after: 1
            }]
        );
        let recut = summary.samples[0].recut.clone().unwrap();
        assert!(recut.1.contains("微信号"), "{recut:?}");
        let history = out.history();
        let stored = voc_store::history::find_contact(history, "W1")
            .unwrap()
            .unwrap();
        assert!(stored.tokens[1].iter().any(|t| t == "微信号"));
        assert!(stored.categories.is_empty());
        assert_eq!(stored.contact.turns[1].text, "能加一下你的微信号吗");
        // The index holds the new tokens: 信号 is no longer found in W1.
        let index = voc_index::ContactIndex::open(&out.index()).unwrap();
        assert_eq!(index.num_docs(), 2);
        assert_eq!(index.search("信号", 10).unwrap().total, 1);
        drop(index);
        // Cut again with the same dictionary: nothing moves.
        let again = retag(&pipeline, &options).unwrap();
        assert_eq!((again.changed, again.resegmented), (0, 0));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
