//! Turns a parsed query ([`crate::query::Expr`]) into a tantivy query: text values are
//! normalized and cut with the index's segmenter, metadata values become exact terms,
//! facets or ranges. Metadata clauses score 0, so relevance comes from the text alone.

use crate::Fields;
use crate::query::{Expr, FieldName, QueryError, Value, example, parse, to_simplified};
use crate::tokenizer::index_term;
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use std::collections::BTreeSet;
use std::ops::Bound;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use voc_text::Segmenter;

type BoxQuery = Box<dyn Query>;

pub(crate) struct Compiler<'a> {
    fields: &'a Fields,
    segmenter: &'a Segmenter,
    /// Newest contact time in the index (seconds), for `last:`.
    newest: Option<i64>,
    /// The discovered topics, for `topic:`; the error of reading them, if that failed.
    topics: Result<&'a crate::Topics, &'a str>,
    query: String,
    highlights: BTreeSet<String>,
}

const RISKS: &[(&str, &[&str])] = &[
    ("escalation", &["escalation", "升级", "升级投诉"]),
    ("churn", &["churn", "流失", "离网", "销户"]),
    ("repeat", &["repeat", "repeat_contact", "重复", "重复来电"]),
    // Quality-inspection flags (质检) set by classification.
    ("no_greeting", &["no_greeting", "未问候"]),
    ("forbidden_phrase", &["forbidden_phrase", "禁语"]),
    ("no_closing", &["no_closing", "未结束语"]),
];
const SENTIMENTS: &[(&str, &[&str])] = &[
    ("negative", &["negative", "neg", "负面"]),
    ("neutral", &["neutral", "中性"]),
    ("positive", &["positive", "pos", "正面"]),
];

const EMOTIONS: &[(&str, &[&str])] = &[
    ("愤怒", &["愤怒", "anger", "angry"]),
    ("焦急", &["焦急", "urgency", "anxious"]),
    ("失望", &["失望", "disappointment", "disappointed"]),
    ("满意", &["满意", "satisfaction", "satisfied"]),
];

const TRAJECTORIES: &[(&str, &[&str])] = &[
    ("improving", &["improving", "好转"]),
    ("worsening", &["worsening", "恶化"]),
    ("steady", &["steady", "平稳"]),
];

fn lookup(table: &[(&'static str, &[&str])], value: &str) -> Option<&'static str> {
    let value = value.to_ascii_lowercase();
    table
        .iter()
        .find(|(_, aliases)| aliases.contains(&value.as_str()))
        .map(|(name, _)| *name)
}

fn names(table: &[(&str, &[&str])]) -> String {
    table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

impl<'a> Compiler<'a> {
    pub(crate) fn new(
        fields: &'a Fields,
        segmenter: &'a Segmenter,
        newest: Option<i64>,
        topics: Result<&'a crate::Topics, &'a str>,
    ) -> Self {
        Compiler {
            fields,
            segmenter,
            newest,
            topics,
            query: String::new(),
            highlights: BTreeSet::new(),
        }
    }

    /// Compiles the query text and the filters (ANDed). Returns the query and the
    /// words to highlight in snippets.
    pub(crate) fn compile_request(
        mut self,
        query: &str,
        filters: &[(String, String)],
    ) -> Result<(BoxQuery, Vec<String>), QueryError> {
        let mut clauses: Vec<(Occur, BoxQuery)> = Vec::new();
        self.query = query.to_string();
        let expr = parse(query)?;
        if expr != Expr::All {
            clauses.push((Occur::Must, self.expr(&expr, false)?));
        }
        for (field, value) in filters {
            // A filter is a one-clause query; values are quoted so any text is literal.
            let text = if value.starts_with('[') || value.starts_with('{') {
                format!("{field}:{value}")
            } else {
                format!("{field}:\"{}\"", value.replace('"', " "))
            };
            self.query = text.clone();
            let parsed = parse(&text)
                .and_then(|e| self.expr(&e, false))
                .map_err(|e| QueryError {
                    query: text.clone(),
                    position: None,
                    message: format!("filter {field}={value}: {}", e.message),
                })?;
            clauses.push((Occur::Must, parsed));
        }
        let query: BoxQuery = match clauses.len() {
            0 => Box::new(AllQuery),
            1 => clauses
                .pop()
                .map(|(_, q)| q)
                .unwrap_or_else(|| Box::new(AllQuery)),
            _ => Box::new(BooleanQuery::new(clauses)),
        };
        Ok((query, self.highlights.into_iter().collect()))
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            query: self.query.clone(),
            position: Some(pos),
            message: message.into(),
        }
    }

    fn expr(&mut self, expr: &Expr, negated: bool) -> Result<BoxQuery, QueryError> {
        Ok(match expr {
            Expr::All => Box::new(AllQuery),
            Expr::And(parts) => {
                let mut clauses = Vec::with_capacity(parts.len() + 1);
                for part in parts {
                    match part {
                        Expr::Not(inner) => {
                            clauses.push((Occur::MustNot, self.expr(inner, !negated)?))
                        }
                        other => clauses.push((Occur::Must, self.expr(other, negated)?)),
                    }
                }
                // Only exclusions (`-表扬 -感谢`): exclude them from everything.
                if !clauses.iter().any(|(o, _)| *o == Occur::Must) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Expr::Or(parts) => {
                let mut clauses = Vec::with_capacity(parts.len());
                for part in parts {
                    clauses.push((Occur::Should, self.expr(part, negated)?));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Expr::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as BoxQuery),
                (Occur::MustNot, self.expr(inner, !negated)?),
            ])),
            Expr::Clause { field, value, pos } => self.clause(*field, value, *pos, negated)?,
        })
    }

    fn clause(
        &mut self,
        field: FieldName,
        value: &Value,
        pos: usize,
        negated: bool,
    ) -> Result<BoxQuery, QueryError> {
        if field.is_text() {
            return self.text(field, value, pos, negated);
        }
        let f = self.fields;
        let single = |v: &Value| match v {
            Value::Word(w) | Value::Phrase(w) => Some(w.trim().to_string()),
            Value::Range { .. } => None,
        };
        let filter: BoxQuery = match (field, value) {
            (FieldName::Date, Value::Range { lo, hi, inclusive }) => {
                let lower = match lo {
                    None => Bound::Unbounded,
                    Some(s) => {
                        let (start, end) = self.day_span(s, pos)?;
                        if *inclusive {
                            Bound::Included(date_term(f.started_at, start))
                        } else {
                            Bound::Included(date_term(f.started_at, end))
                        }
                    }
                };
                let upper = match hi {
                    None => Bound::Unbounded,
                    Some(s) => {
                        let (start, end) = self.day_span(s, pos)?;
                        Bound::Excluded(date_term(
                            f.started_at,
                            if *inclusive { end } else { start },
                        ))
                    }
                };
                range(lower, upper)
            }
            (FieldName::Date, v) => {
                let text = single(v).unwrap_or_default();
                let (start, end) = self.day_span(&text, pos)?;
                range(
                    Bound::Included(date_term(f.started_at, start)),
                    Bound::Excluded(date_term(f.started_at, end)),
                )
            }
            (FieldName::Last, v) => {
                let text = single(v).unwrap_or_default();
                self.last(&text, pos)?
            }
            (FieldName::Week, Value::Range { lo, hi, inclusive }) => {
                let bound = |s: &Option<String>| match s {
                    None => Bound::Unbounded,
                    Some(w) => {
                        let t = Term::from_field_text(f.week, &w.to_ascii_uppercase());
                        if *inclusive {
                            Bound::Included(t)
                        } else {
                            Bound::Excluded(t)
                        }
                    }
                };
                range(bound(lo), bound(hi))
            }
            (FieldName::Sentiment, Value::Range { lo, hi, inclusive }) => {
                let bound = |s: &Option<String>| -> Result<Bound<Term>, QueryError> {
                    Ok(match s {
                        None => Bound::Unbounded,
                        Some(x) => {
                            let v: f64 = x.parse().map_err(|_| {
                                self.error(
                                    pos,
                                    format!(
                                        "expected a sentiment score between -1 and 1, found '{x}'"
                                    ),
                                )
                            })?;
                            let t = Term::from_field_f64(f.sentiment, v);
                            if *inclusive {
                                Bound::Included(t)
                            } else {
                                Bound::Excluded(t)
                            }
                        }
                    })
                };
                range(bound(lo)?, bound(hi)?)
            }
            (FieldName::Sentiment, v) => {
                let text = single(v).unwrap_or_default();
                let Some(label) = lookup(SENTIMENTS, &text) else {
                    return Err(self.error(
                        pos,
                        format!("unknown sentiment '{text}'; use {} (or a score range like sentiment:[-1 TO -0.5])", names(SENTIMENTS)),
                    ));
                };
                keyword(f.sentiment_label, label)
            }
            (field @ (FieldName::Emotion | FieldName::Trajectory | FieldName::LastTurn), v) => {
                let text = single(v).unwrap_or_default();
                let (table, what) = match field {
                    FieldName::Emotion => (EMOTIONS, "emotion"),
                    FieldName::Trajectory => (TRAJECTORIES, "trajectory"),
                    _ => (SENTIMENTS, "sentiment of the last customer turn"),
                };
                let Some(value) = lookup(table, &text) else {
                    return Err(self.error(
                        pos,
                        format!("unknown {what} '{text}'; use {}", names(table)),
                    ));
                };
                // One keyword field holds all three, as `name=value` terms.
                keyword(f.mood, &format!("{}={value}", field.as_str()))
            }
            (FieldName::Risk, v) => {
                let text = single(v).unwrap_or_default();
                let Some(flag) = lookup(RISKS, &text) else {
                    return Err(self.error(
                        pos,
                        format!("unknown risk flag '{text}'; use {}", names(RISKS)),
                    ));
                };
                keyword(f.risk, flag)
            }
            (FieldName::Category, v) => {
                let text = to_simplified(&single(v).unwrap_or_default());
                let parts: Vec<&str> = text
                    .split('/')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect();
                if parts.is_empty() {
                    return Err(self.error(
                        pos,
                        format!("expected a category path, e.g. {}", example(field)),
                    ));
                }
                let facet = Facet::from_path(parts);
                Box::new(TermQuery::new(
                    Term::from_facet(f.category, &facet),
                    IndexRecordOption::Basic,
                ))
            }
            (FieldName::Channel, v) => channel_query(
                f.channel,
                &single(v).unwrap_or_default().to_ascii_lowercase(),
            ),
            (FieldName::Region, v) => {
                keyword(f.region, &to_simplified(&single(v).unwrap_or_default()))
            }
            (FieldName::Business, v) => {
                keyword(f.business, &to_simplified(&single(v).unwrap_or_default()))
            }
            (FieldName::Week, v) => {
                keyword(f.week, &single(v).unwrap_or_default().to_ascii_uppercase())
            }
            (FieldName::Id, v) => keyword(f.id, &single(v).unwrap_or_default()),
            (FieldName::Topic, v) => {
                let id = single(v).unwrap_or_default().to_ascii_uppercase();
                let topics = self.topics.map_err(|e| self.error(pos, e.to_string()))?;
                let Some(members) = topics.members(&id) else {
                    let known: Vec<&str> = topics.ids().collect();
                    return Err(self.error(
                        pos,
                        if known.is_empty() {
                            "no topics were discovered in this output folder (add [discover] to the pipeline, or run `voc discover`)".to_string()
                        } else {
                            format!("unknown topic '{id}'; known topics: {}", known.join(", "))
                        },
                    ));
                };
                // The topic's contacts by id: topics are found after indexing.
                Box::new(TermSetQuery::new(
                    members.iter().map(|c| Term::from_field_text(f.id, c)),
                ))
            }
            (other, _) => {
                return Err(self.error(
                    pos,
                    format!("field '{}' cannot be used here", other.as_str()),
                ));
            }
        };
        Ok(Box::new(ConstScoreQuery::new(filter, 0.0)))
    }

    fn text(
        &mut self,
        field: FieldName,
        value: &Value,
        pos: usize,
        negated: bool,
    ) -> Result<BoxQuery, QueryError> {
        let f = self.fields;
        let targets = match field {
            FieldName::Customer => vec![f.customer],
            FieldName::Agent => vec![f.agent],
            _ => vec![f.customer, f.agent],
        };
        let (raw, phrase) = match value {
            Value::Word(w) => (w, false),
            Value::Phrase(p) => (p, true),
            Value::Range { .. } => {
                return Err(self.error(
                    pos,
                    format!("field '{}' takes words, not a range", field.as_str()),
                ));
            }
        };
        let text = to_simplified(raw);
        let words: Vec<String> = self
            .segmenter
            .cut_spans(&text)
            .into_iter()
            .filter(|s| !voc_text::is_punctuation(s.word))
            .map(|s| index_term(s.word))
            .collect();
        if words.is_empty() {
            return Err(self.error(
                pos,
                format!("expected a word to search for, found only punctuation in '{raw}'"),
            ));
        }
        if !negated {
            self.highlights.extend(words.iter().cloned());
        }
        let term = |field: Field, word: &str| {
            Box::new(TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            )) as BoxQuery
        };
        Ok(match (words.len(), phrase) {
            (1, _) => in_any(&targets, |field| term(field, &words[0])),
            // A quoted phrase: adjacent tokens in order, in one turn (a turn gap breaks
            // adjacency), so on one side.
            (_, true) => in_any(&targets, |field| {
                Box::new(PhraseQuery::new(
                    words
                        .iter()
                        .map(|w| Term::from_field_text(field, w))
                        .collect(),
                ))
            }),
            // An unquoted word the segmenter cut in pieces (宽带断网 → 宽带 断网): all
            // pieces required, in any order and on either side, as a searcher typing
            // without spaces means.
            (_, false) => Box::new(BooleanQuery::new(
                words
                    .iter()
                    .map(|w| (Occur::Must, in_any(&targets, |field| term(field, w))))
                    .collect(),
            )),
        })
    }

    /// The [start, end) span of a day (`2026-10-05`) or month (`2026-10`) in China time.
    fn day_span(&self, text: &str, pos: usize) -> Result<(i64, i64), QueryError> {
        let text = text.trim().replace('/', "-");
        let bad = || {
            self.error(
                pos,
                format!("expected a date like 2026-10-05 or a month like 2026-10, found '{text}'"),
            )
        };
        let (start, end) = if let Ok(day) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            (day, day + Duration::days(1))
        } else {
            let first =
                NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| bad())?;
            let next = if first.month() == 12 {
                NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
            }
            .ok_or_else(bad)?;
            (first, next)
        };
        Ok((
            china_midnight(start).ok_or_else(bad)?,
            china_midnight(end).ok_or_else(bad)?,
        ))
    }

    /// `last:4w` — the newest contact's ISO week and the 3 before it; `last:30d` — the
    /// newest contact's day and the 29 before it (days and weeks in China time).
    fn last(&self, text: &str, pos: usize) -> Result<BoxQuery, QueryError> {
        let text = text.trim().to_ascii_lowercase();
        let bad = || {
            self.error(
                pos,
                format!("expected a span like last:4w (weeks) or last:30d (days), found '{text}'"),
            )
        };
        let unit = text.chars().last().ok_or_else(bad)?;
        let n: i64 = text[..text.len() - unit.len_utf8()]
            .parse()
            .map_err(|_| bad())?;
        if !(1..=3660).contains(&n) {
            return Err(bad());
        }
        let Some(newest) = self.newest else {
            return Ok(Box::new(EmptyQuery));
        };
        let day = chrono::DateTime::from_timestamp(newest, 0)
            .map(|t| {
                t.with_timezone(&voc_core::time::china_offset())
                    .date_naive()
            })
            .ok_or_else(bad)?;
        let first = match unit {
            'd' => day - Duration::days(n - 1),
            'w' => {
                let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                monday - Duration::weeks(n - 1)
            }
            _ => return Err(bad()),
        };
        let start = china_midnight(first).ok_or_else(bad)?;
        Ok(range(
            Bound::Included(date_term(self.fields.started_at, start)),
            Bound::Unbounded,
        ))
    }
}

fn china_midnight(day: NaiveDate) -> Option<i64> {
    voc_core::time::china_offset()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.timestamp())
}

fn date_term(field: tantivy::schema::Field, secs: i64) -> Term {
    Term::from_field_date_for_search(field, crate::tantivy_date(secs))
}

/// A channel by its code or by any value meaning it (`channel:电话`, the page's label,
/// finds `voice`; `channel:voice` also finds contacts stored before ingest mapped
/// channel values, as `电话` or `语音`).
fn channel_query(field: tantivy::schema::Field, value: &str) -> BoxQuery {
    let simplified = to_simplified(value);
    let Some(channel) = voc_core::channel::code_of(&simplified)
        .and_then(|code| voc_core::channel::CHANNELS.iter().find(|c| c.code == code))
    else {
        return keyword(field, value);
    };
    let values: BTreeSet<&str> = [value, channel.code, channel.label]
        .into_iter()
        .chain(channel.aliases.iter().copied())
        .collect();
    Box::new(BooleanQuery::new(
        values
            .into_iter()
            .map(|v| (Occur::Should, keyword(field, v)))
            .collect(),
    ))
}

fn keyword(field: tantivy::schema::Field, value: &str) -> BoxQuery {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn range(lower: Bound<Term>, upper: Bound<Term>) -> BoxQuery {
    // tantivy's RangeQuery needs at least one bound; `[* TO *]` is everything.
    if matches!(lower, Bound::Unbounded) && matches!(upper, Bound::Unbounded) {
        return Box::new(AllQuery);
    }
    Box::new(RangeQuery::new(lower, upper))
}

/// `query` on one field, or on any of several (one clause each, scores added).
fn in_any(fields: &[Field], query: impl Fn(Field) -> BoxQuery) -> BoxQuery {
    match fields {
        [one] => query(*one),
        _ => Box::new(BooleanQuery::new(
            fields.iter().map(|f| (Occur::Should, query(*f))).collect(),
        )),
    }
}
