//! The complaint taxonomy: hierarchical categories written by analysts as rules.
//!
//! ```toml
//! exclusive = false                # true: at most one category per contact (see below)
//!
//! [synonyms]                       # name → terms, used as @name in any term list
//! "断网" = ["断网", "掉线", "上不了网", "连不上"]   # TOML: quote non-ASCII keys
//!
//! [[category]]
//! id = "网络质量/宽带断网"          # path id; parents are implied
//! name = "宽带断网"
//! owner = "网络运维部"
//! scope = "customer"               # customer (default; work-order notes count) | agent | any
//! any = ["@断网", "没网", "光猫*"]  # one of these …
//! near = ["光猫 NEAR/5 红灯"]       # … or one of these proximity rules
//! all = ["宽带"]                    # and every one of these
//! none = ["已恢复"]                 # and none of these
//! none_scope = "contact"           # contact (default) | turn | clause: where a none cancels
//! negation = "auto"                # auto (default) | off | always: which negations cancel
//! min_score = 2                    # sum of the weights of the any/near entries that fired
//! min_terms = 2                    # at least this many distinct any/near entries fired
//! combine = "rules"                # rules (default) | model | either | both | assist: with
//!                                  # the model `voc taxonomy train` saved beside the taxonomy
//! first_turns = 3                  # only the first 3 turns of the scope (and/or last_turns)
//! channels = ["voice"]             # metadata filters; empty = any
//! business = ["宽带"]
//! regions = ["广东"]
//! queues = ["投诉专席"]
//! must_match = ["我家宽带老是掉线"]
//! must_not_match = ["宽带没有断网"]
//! ```
//!
//! Semantics, decided once so analysts can rely on them:
//! * Whether a term matches depends only on the term, its form and options, and the
//!   text as cut by the segmenter with the pipeline's user dictionaries — never on other
//!   categories (rule terms are not added to the segmenter's dictionary).
//! * Four forms ([`crate::matcher`]): `断网` whole tokens (one or several: `宽带断网`
//!   matches 宽带|断网); `操控*` from a token start (`操控性`); `*异响` up to a token end
//!   (`底盘异响`); `*退款*` anywhere in the turn's text. `退` does not match 退货 or 闪退
//!   when the segmenter keeps those words whole; `*退*` would.
//! * Options after an entry, in brackets: `异响 [weight=2]`, `发货 [negation=off]`.
//! * Negation ([`crate::negation`]): a denial in the term's clause (`没有断网`, `不卡`)
//!   cancels it; a negation that complains about an absence or a delay (`还没发货`,
//!   `一直没有物流信息`, `不是明天送达么`, `无法退款`) or stands in a condition or a question
//!   (`只要不是影响安全…`, `是不是断网了`) does not. `negation = "off"` (category or
//!   entry) lets no negation cancel — for topics whose absence is the complaint (物流);
//!   `"always"` lets every negation cue cancel.
//! * Score: each `any`/`near` entry that fired adds its weight (default 1) once, however
//!   often it fired. The category needs a score above 0 (at least one entry, without
//!   weights), or at least `min_score` when set, and at least `min_terms` distinct
//!   entries fired when set. A negative weight is counter-evidence.
//! * `none`: with `none_scope = "contact"` one `none` hit anywhere in the scope blocks
//!   the category; with `"turn"` or `"clause"` it cancels only the `any`/`near`/`all`
//!   hits in the same turn or clause.
//! * Any entry may carry a speaker prefix (`agent:已报障`) that overrides `scope`.
//! * `first_turns` / `last_turns` count the turns **of the entry's speaker scope**: with
//!   `scope = "customer"` and `first_turns = 2`, the customer's first two turns (the reason
//!   for the call), whatever the agent said in between. Both set: a turn in either range.
//! * `A NEAR/N B`: both occur, in either order, with at most N tokens between them, in
//!   the stream of the scope's turns concatenated in order, so a customer's sentence
//!   split over two turns still counts and the agent's turn in between does not separate
//!   them. Punctuation tokens count.
//! * `near` entries are alternatives like `any`; NEAR expressions may also be written in
//!   `any`, `all` and `none`.
//! * Metadata filters are ignored by the examples (`must_match` tests the text rules).
//! * `exclusive = true` (top level) is for taxonomies of one primary reason per contact:
//!   of the categories that match, only one is kept — the one whose trained model gives
//!   the highest probability, a category matched by its rules alone (no model) before
//!   any model's, and among those the highest rule score, then the first in file order.
//!   `taxonomy train` then chooses the models' threshold for that decision (it may be
//!   low: the most probable category is taken unless all are unlikely). The models and
//!   `explain` still see every category whose rules fired.
//! * Without `exclusive`, each category's model decides at the threshold, and a
//!   contact's most probable category (of those combining as `model`, `either` or
//!   `assist`) is also kept from a lower top threshold when `taxonomy train` found one
//!   on its inner split: a contact's likeliest reason needs less evidence than a second.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;
use voc_core::{Contact, Speaker, TurnTokens};

use crate::ClassifyError;
use crate::category_eval::{CategoryModels, Combine, Verdict};
use crate::matcher::{Form, Occurrence, TermDict, is_clause_break};
use crate::negation::{Negation, NegationMode};
use crate::rules::{self, Expr, ExprKind, Operand};

/// Where a `none` hit cancels the category's hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum NoneScope {
    /// Anywhere in the entry's scope: the category does not match.
    #[default]
    Contact,
    /// Hits in the same turn are cancelled.
    Turn,
    /// Hits in the same clause are cancelled.
    Clause,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Customer turns, and work-order notes (which report the customer's words).
    #[default]
    Customer,
    Agent,
    Any,
}

impl Scope {
    pub fn includes(self, speaker: Speaker) -> bool {
        match self {
            Scope::Any => true,
            Scope::Customer => matches!(speaker, Speaker::Customer | Speaker::Note),
            Scope::Agent => speaker == Speaker::Agent,
        }
    }

    fn index(self) -> usize {
        match self {
            Scope::Customer => 0,
            Scope::Agent => 1,
            Scope::Any => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Customer => "customer",
            Scope::Agent => "agent",
            Scope::Any => "any",
        }
    }
}

/// One category as written in the taxonomy file.
#[derive(Debug, Clone, Default)]
pub struct CategorySpec {
    /// Path id such as `网络质量/宽带断网`; its parents are implied.
    pub id: String,
    pub name: String,
    pub owner: String,
    /// A complaint (投诉) rather than an inquiry or a compliment.
    pub complaint: bool,
    pub scope: Scope,
    pub any: Vec<String>,
    pub all: Vec<String>,
    pub none: Vec<String>,
    pub near: Vec<String>,
    /// Which negations cancel the category's terms (entries may override it).
    pub negation: NegationMode,
    pub none_scope: NoneScope,
    /// Least sum of the weights of the `any`/`near` entries that fired.
    pub min_score: Option<f32>,
    /// Least number of distinct `any`/`near` entries that fired.
    pub min_terms: Option<usize>,
    /// How the rules and a trained model decide together.
    pub combine: Combine,
    pub first_turns: Option<usize>,
    pub last_turns: Option<usize>,
    /// Only contacts of these channels (empty: all channels).
    pub channels: Vec<String>,
    /// Only contacts of these business lines (empty: all).
    pub business: Vec<String>,
    pub regions: Vec<String>,
    pub queues: Vec<String>,
    pub must_match: Vec<String>,
    pub must_not_match: Vec<String>,
    /// Where the category and its examples stand in the file (1-based lines), so a
    /// failing example can be found.
    pub line: usize,
    pub must_match_lines: Vec<usize>,
    pub must_not_match_lines: Vec<usize>,
}

fn yes() -> bool {
    true
}

type Terms = Vec<Spanned<String>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    owner: String,
    #[serde(default = "yes")]
    complaint: bool,
    #[serde(default)]
    scope: Scope,
    #[serde(default)]
    any: Terms,
    #[serde(default)]
    all: Terms,
    #[serde(default)]
    none: Terms,
    #[serde(default)]
    near: Terms,
    #[serde(default)]
    negation: NegationMode,
    #[serde(default)]
    none_scope: NoneScope,
    #[serde(default)]
    min_score: Option<Spanned<f32>>,
    #[serde(default)]
    min_terms: Option<Spanned<usize>>,
    #[serde(default)]
    combine: Combine,
    #[serde(default)]
    first_turns: Option<Spanned<usize>>,
    #[serde(default)]
    last_turns: Option<Spanned<usize>>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    business: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    queues: Vec<String>,
    #[serde(default)]
    must_match: Terms,
    #[serde(default)]
    must_not_match: Terms,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    #[serde(default)]
    exclusive: bool,
    #[serde(default)]
    synonyms: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    category: Vec<RawCategory>,
}

/// The entries of one category, parsed.
#[derive(Debug, Clone, Default)]
struct CategoryRules {
    /// (list name, source text, expression) in file order.
    entries: Vec<(List, String, Expr)>,
}

/// Which list of the category an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Any,
    Near,
    All,
    None,
}

impl List {
    pub fn as_str(self) -> &'static str {
        match self {
            List::Any => "any",
            List::Near => "near",
            List::All => "all",
            List::None => "none",
        }
    }
}

/// The taxonomy as read and checked from its file.
#[derive(Debug, Clone)]
pub struct TaxonomySpec {
    pub categories: Vec<CategorySpec>,
    /// Synonym groups: name → normalized phrases with their forms.
    pub synonyms: BTreeMap<String, Vec<(String, Form)>>,
    /// At most one category per contact (`exclusive = true`).
    pub exclusive: bool,
    rules: Vec<CategoryRules>,
}

/// Turns byte offsets of the TOML source into line and column (1-based, in characters).
struct Source<'a> {
    text: &'a str,
    file: &'a str,
}

impl Source<'_> {
    fn line_column(&self, offset: usize) -> (usize, usize) {
        line_column(self.text, offset)
    }

    /// Position of character `inner` inside the string value spanning `span`. Exact for
    /// strings without escapes; otherwise the start of the string.
    fn inside(&self, span: std::ops::Range<usize>, inner: usize) -> (usize, usize) {
        let raw = self.text.get(span.clone()).unwrap_or("");
        let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else if raw.starts_with('"') || raw.starts_with('\'') {
            1
        } else {
            0
        };
        let content = &raw[quote..];
        let escaped = raw.starts_with('"') && content.contains('\\');
        if escaped {
            return self.line_column(span.start);
        }
        let byte = content
            .char_indices()
            .nth(inner)
            .map_or(content.len(), |(b, _)| b);
        self.line_column(span.start + quote + byte)
    }

    fn error(&self, (line, column): (usize, usize), message: String) -> ClassifyError {
        ClassifyError::Syntax {
            file: self.file.to_string(),
            line,
            column,
            message,
        }
    }
}

impl TaxonomySpec {
    pub fn load(path: &Path) -> Result<Self, ClassifyError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClassifyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and checks taxonomy TOML; every error carries file, line and column, and
    /// for a malformed entry the column inside the string.
    pub fn parse(text: &str, file: &str) -> Result<Self, ClassifyError> {
        let src = Source { text, file };
        let raw: TaxonomyFile = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            src.error(src.line_column(at), e.message().trim().to_string())
        })?;

        let mut synonyms = BTreeMap::new();
        for (name, values) in &raw.synonyms {
            let at = src.line_column(values.span().start);
            if name.trim().is_empty() || name.contains(char::is_whitespace) || name.contains('@') {
                return Err(src.error(
                    at,
                    format!("synonym group {name:?}: expected a name without spaces or @"),
                ));
            }
            if values.get_ref().is_empty() {
                return Err(src.error(
                    at,
                    format!("synonym group {name:?}: expected at least one term"),
                ));
            }
            let mut phrases = Vec::new();
            for value in values.get_ref() {
                let expr = rules::parse(value.get_ref()).map_err(|e| {
                    src.error(
                        src.inside(value.span(), e.offset),
                        format!("synonym group {name:?}: {}", e.message),
                    )
                })?;
                match expr {
                    Expr {
                        speaker: None,
                        kind: ExprKind::Term(Operand::Phrase { text, form }),
                        options,
                    } if options == rules::EntryOptions::default() => phrases.push((text, form)),
                    _ => {
                        return Err(src.error(
                            src.inside(value.span(), 0),
                            format!(
                                "synonym group {name:?}: expected a plain term, not a speaker, \
                                 @group, NEAR expression or [options] (put options on the \
                                 entry that uses @{name})"
                            ),
                        ));
                    }
                }
            }
            synonyms.insert(name.clone(), phrases);
        }

        let mut categories = Vec::new();
        let mut rules_out = Vec::new();
        let mut seen = std::collections::BTreeMap::new();
        for cat in raw.category {
            let id = cat.id.get_ref().trim().to_string();
            let id_at = src.line_column(cat.id.span().start);
            let invalid = |message: String| src.error(id_at, format!("category {id}: {message}"));
            if id.is_empty() || id.split('/').any(|p| p.trim().is_empty()) {
                return Err(invalid(
                    "expected an id like 网络质量/宽带断网 with no empty parts".into(),
                ));
            }
            if let Some(line) = seen.insert(id.clone(), id_at.0) {
                return Err(invalid(format!(
                    "the same id is already defined on line {line}"
                )));
            }
            if cat.any.is_empty()
                && cat.all.is_empty()
                && cat.near.is_empty()
                && cat.combine != Combine::Model
            {
                return Err(invalid(
                    "expected at least one term in `any`, `all` or `near`".into(),
                ));
            }
            if let Some(v) = &cat.min_score
                && !v.get_ref().is_finite()
            {
                return Err(src.error(
                    src.line_column(v.span().start),
                    format!("category {id}: expected a finite min_score"),
                ));
            }
            for (field, value) in [
                ("first_turns", &cat.first_turns),
                ("last_turns", &cat.last_turns),
                ("min_terms", &cat.min_terms),
            ] {
                if let Some(v) = value
                    && *v.get_ref() == 0
                {
                    return Err(src.error(
                        src.line_column(v.span().start),
                        format!("category {id}: expected {field} of at least 1"),
                    ));
                }
            }
            let mut parsed = CategoryRules::default();
            for (list, terms) in [
                (List::Any, &cat.any),
                (List::Near, &cat.near),
                (List::All, &cat.all),
                (List::None, &cat.none),
            ] {
                for term in terms {
                    let entry = term.get_ref();
                    let expr = rules::parse(entry).map_err(|e| {
                        src.error(
                            src.inside(term.span(), e.offset),
                            format!(
                                "category {id}: `{}` entry {entry:?}: {}",
                                list.as_str(),
                                e.message
                            ),
                        )
                    })?;
                    if expr.options.weight.is_some() && matches!(list, List::All | List::None) {
                        return Err(src.error(
                            src.inside(term.span(), 0),
                            format!(
                                "category {id}: `{}` entry {entry:?}: a weight counts only in \
                                 `any` and `near` (the score of the category)",
                                list.as_str()
                            ),
                        ));
                    }
                    if list == List::Near && !matches!(expr.kind, ExprKind::Near { .. }) {
                        return Err(src.error(
                            src.inside(term.span(), 0),
                            format!(
                                "category {id}: `near` entry {entry:?}: expected A NEAR/N B \
                                 (e.g. 光猫 NEAR/5 红灯); plain terms belong in `any`"
                            ),
                        ));
                    }
                    for operand in operands(&expr) {
                        if let Operand::Group { name, offset } = operand
                            && !synonyms.contains_key(name)
                        {
                            return Err(src.error(
                                src.inside(term.span(), *offset),
                                format!(
                                    "category {id}: `{}` entry {entry:?}: unknown synonym group \
                                     @{name}: expected one of [synonyms] ({})",
                                    list.as_str(),
                                    if synonyms.is_empty() {
                                        "none defined".to_string()
                                    } else {
                                        synonyms
                                            .keys()
                                            .map(|k| format!("@{k}"))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    }
                                ),
                            ));
                        }
                    }
                    parsed.entries.push((list, entry.trim().to_string(), expr));
                }
            }
            let lines = |terms: &Terms| -> Vec<usize> {
                terms
                    .iter()
                    .map(|t| src.line_column(t.span().start).0)
                    .collect()
            };
            categories.push(CategorySpec {
                id,
                name: cat.name,
                owner: cat.owner,
                complaint: cat.complaint,
                scope: cat.scope,
                any: cat.any.iter().map(|t| t.get_ref().clone()).collect(),
                all: cat.all.iter().map(|t| t.get_ref().clone()).collect(),
                none: cat.none.iter().map(|t| t.get_ref().clone()).collect(),
                near: cat.near.iter().map(|t| t.get_ref().clone()).collect(),
                negation: cat.negation,
                none_scope: cat.none_scope,
                min_score: cat.min_score.map(|v| v.into_inner()),
                min_terms: cat.min_terms.map(|v| v.into_inner()),
                combine: cat.combine,
                first_turns: cat.first_turns.map(|v| v.into_inner()),
                last_turns: cat.last_turns.map(|v| v.into_inner()),
                channels: cat.channels,
                business: cat.business,
                regions: cat.regions,
                queues: cat.queues,
                must_match_lines: lines(&cat.must_match),
                must_not_match_lines: lines(&cat.must_not_match),
                must_match: cat.must_match.into_iter().map(|t| t.into_inner()).collect(),
                must_not_match: cat
                    .must_not_match
                    .into_iter()
                    .map(|t| t.into_inner())
                    .collect(),
                line: id_at.0,
            });
            rules_out.push(parsed);
        }
        Ok(TaxonomySpec {
            categories,
            synonyms,
            exclusive: raw.exclusive,
            rules: rules_out,
        })
    }

    /// The text of every phrase of every rule and synonym group (without `*`), for
    /// what reports call "covered by the taxonomy". Not for the segmenter: a term's
    /// match must not depend on the other terms.
    pub fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = self
            .synonyms
            .values()
            .flatten()
            .map(|(t, _)| t.clone())
            .collect();
        for rules in &self.rules {
            for (_, _, expr) in &rules.entries {
                for operand in operands(expr) {
                    if let Operand::Phrase { text, .. } = operand {
                        terms.push(text.clone());
                    }
                }
            }
        }
        terms.sort();
        terms.dedup();
        terms
    }

    /// Builds the matcher. Terms are not segmented: they match runs of whole tokens.
    pub fn compile(&self) -> Taxonomy {
        let mut dict = TermDict::default();
        let mut resolve = |operand: &Operand| -> Vec<u32> {
            let mut ids: Vec<u32> = match operand {
                Operand::Phrase { text, form } => vec![dict.intern(text, *form)],
                Operand::Group { name, .. } => self
                    .synonyms
                    .get(name)
                    .map(|ps| ps.iter().map(|(t, f)| dict.intern(t, *f)).collect())
                    .unwrap_or_default(),
            };
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let categories: Vec<Category> = self
            .categories
            .iter()
            .zip(&self.rules)
            .map(|(spec, rules)| {
                let mut cat = Category {
                    spec: spec.clone(),
                    positive: Vec::new(),
                    all: Vec::new(),
                    none: Vec::new(),
                    simple: true,
                };
                for (list, source, expr) in &rules.entries {
                    let kind = match &expr.kind {
                        ExprKind::Term(op) => AtomKind::Term(resolve(op)),
                        ExprKind::Near {
                            left,
                            right,
                            distance,
                        } => AtomKind::Near {
                            left: resolve(left),
                            right: resolve(right),
                            distance: *distance,
                        },
                    };
                    let atom = Atom {
                        list: *list,
                        source: source.clone(),
                        scope: expr.speaker.unwrap_or(spec.scope),
                        weight: expr.options.weight.unwrap_or(1.0),
                        negation: expr.options.negation.unwrap_or(spec.negation),
                        kind,
                    };
                    match list {
                        List::Any | List::Near => cat.positive.push(atom),
                        List::All => cat.all.push(atom),
                        List::None => cat.none.push(atom),
                    }
                }
                cat.simple = spec.min_score.is_none()
                    && spec.min_terms.is_none()
                    && cat.positive.iter().all(|a| a.weight > 0.0);
                cat
            })
            .collect();
        dict.finish();
        let mut term_categories: Vec<Vec<u32>> = vec![Vec::new(); dict.len()];
        for (c, cat) in categories.iter().enumerate() {
            for atom in cat.positive.iter().chain(&cat.all) {
                let terms: Vec<u32> = match &atom.kind {
                    AtomKind::Term(t) => t.clone(),
                    AtomKind::Near { left, right, .. } => {
                        left.iter().chain(right.iter()).copied().collect()
                    }
                };
                for t in terms {
                    let list = &mut term_categories[t as usize];
                    if list.last() != Some(&(c as u32)) {
                        list.push(c as u32);
                    }
                }
            }
        }
        Taxonomy {
            categories,
            dict,
            term_categories,
            models: None,
            combine_override: None,
            exclusive: self.exclusive,
        }
    }
}

fn operands(expr: &Expr) -> Vec<&Operand> {
    match &expr.kind {
        ExprKind::Term(op) => vec![op],
        ExprKind::Near { left, right, .. } => vec![left, right],
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

#[derive(Debug, Clone)]
enum AtomKind {
    /// Any of these terms.
    Term(Vec<u32>),
    Near {
        left: Vec<u32>,
        right: Vec<u32>,
        distance: usize,
    },
}

/// One compiled entry.
#[derive(Debug, Clone)]
struct Atom {
    list: List,
    source: String,
    scope: Scope,
    weight: f32,
    negation: NegationMode,
    kind: AtomKind,
}

#[derive(Debug, Clone)]
struct Category {
    spec: CategorySpec,
    /// `any` and `near`: their score must pass the thresholds (if there are any).
    positive: Vec<Atom>,
    all: Vec<Atom>,
    none: Vec<Atom>,
    /// No thresholds and no negative weights: one `any`/`near` hit is enough.
    simple: bool,
}

/// A compiled taxonomy, ready to classify tokenized contacts.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    categories: Vec<Category>,
    dict: TermDict,
    /// For each term id, the categories whose `any`/`near`/`all` use it: only those can
    /// match a contact where the term occurs.
    term_categories: Vec<Vec<u32>>,
    /// Trained per-category models (`voc taxonomy train`), if any.
    models: Option<CategoryModels>,
    combine_override: Option<Combine>,
    /// At most one category per contact ([`TaxonomySpec::exclusive`]).
    exclusive: bool,
}

/// Tokens `[start, end)` of turn `turn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    pub turn: usize,
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The matched text: its tokens joined.
    pub fn text(&self, tokens: &[TurnTokens]) -> String {
        tokens
            .get(self.turn)
            .and_then(|t| t.get(self.start..self.end.min(t.len())))
            .map(|t| t.concat())
            .unwrap_or_default()
    }
}

/// One rule entry that fired, with every place it fired (a NEAR match has two spans).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleHit {
    pub list: &'static str,
    pub rule: String,
    pub matches: Vec<Vec<Span>>,
}

/// A rule term that was present but did not count, for `explain` and `taxonomy test`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NearMiss {
    pub list: &'static str,
    pub rule: String,
    /// `negation`, `none` or `boundary`.
    pub kind: &'static str,
    pub detail: String,
    pub span: Span,
}

/// Why a category matched a contact or not.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CategoryExplanation {
    pub id: String,
    pub name: String,
    pub matched: bool,
    /// For a category that did not match: the first reason.
    pub reason: Option<String>,
    pub fired: Vec<RuleHit>,
    /// Sum of the weights of the `any`/`near` entries that fired.
    pub score: f32,
    /// Terms present but cancelled (negation, `none`) or not on token boundaries.
    pub near_misses: Vec<NearMiss>,
}

/// Per-contact state shared by all categories: speakers, term occurrences and turn
/// ordinals per scope.
struct Cx<'a> {
    contact: &'a Contact,
    tokens: &'a [TurnTokens],
    /// Sorted by term, turn, start.
    occ: &'a [Occurrence],
    /// Terms found off token boundaries (only when explaining), sorted likewise.
    misses: &'a [Occurrence],
    /// `ord[scope][turn]`: index of the turn among the scope's turns (`u32::MAX`: not in it).
    ord: [Vec<u32>; 3],
    count: [u32; 3],
}

/// The range of `occ` (sorted by term) holding term `term`.
fn of_term(occ: &[Occurrence], term: u32) -> &[Occurrence] {
    let from = occ.partition_point(|o| o.term < term);
    let to = occ.partition_point(|o| o.term <= term);
    &occ[from..to]
}

fn span_of(o: &Occurrence) -> Span {
    Span {
        turn: o.turn as usize,
        start: o.start as usize,
        end: o.end as usize,
    }
}

impl<'a> Cx<'a> {
    fn new(
        contact: &'a Contact,
        tokens: &'a [TurnTokens],
        occ: &'a [Occurrence],
        misses: &'a [Occurrence],
    ) -> Self {
        let n = contact.turns.len().min(tokens.len());
        let mut ord = [vec![u32::MAX; n], vec![u32::MAX; n], vec![u32::MAX; n]];
        let mut count = [0u32; 3];
        for scope in [Scope::Customer, Scope::Agent, Scope::Any] {
            let s = scope.index();
            for (t, turn) in contact.turns[..n].iter().enumerate() {
                if scope.includes(turn.speaker) {
                    ord[s][t] = count[s];
                    count[s] += 1;
                }
            }
        }
        Cx {
            contact,
            tokens: &tokens[..n],
            occ,
            misses,
            ord,
            count,
        }
    }

    fn eligible(&self, scope: Scope, spec: &CategorySpec, turn: usize) -> bool {
        let s = scope.index();
        let Some(&ord) = self.ord[s].get(turn) else {
            return false;
        };
        if ord == u32::MAX {
            return false;
        }
        let (first, last) = (spec.first_turns, spec.last_turns);
        if first.is_none() && last.is_none() {
            return true;
        }
        first.is_some_and(|f| (ord as usize) < f)
            || last.is_some_and(|l| (ord as usize) + l >= self.count[s] as usize)
    }

    /// Occurrences of any of `terms` in eligible turns that the atom's negation mode
    /// does not cancel.
    fn occurrences<'s>(
        &'s self,
        terms: &'s [u32],
        atom: &'s Atom,
        spec: &'s CategorySpec,
    ) -> impl Iterator<Item = &'s Occurrence> + 's {
        terms.iter().flat_map(move |&term| {
            of_term(self.occ, term).iter().filter(move |o| {
                !atom.negation.cancels(o.negation)
                    && self.eligible(atom.scope, spec, o.turn as usize)
            })
        })
    }

    /// Start of each turn in the stream of the eligible turns of `scope`, concatenated.
    fn stream_offsets(&self, scope: Scope, spec: &CategorySpec) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.tokens.len());
        let mut at = 0;
        for (turn, toks) in self.tokens.iter().enumerate() {
            offsets.push(at);
            if self.eligible(scope, spec, turn) {
                at += toks.len();
            }
        }
        offsets
    }

    /// Calls `f` with every match of `atom`; stops early when `f` returns false.
    /// Returns whether anything matched.
    fn hits(&self, atom: &Atom, spec: &CategorySpec, f: &mut dyn FnMut(Vec<Span>) -> bool) -> bool {
        let mut any = false;
        match &atom.kind {
            AtomKind::Term(terms) => {
                for o in self.occurrences(terms, atom, spec) {
                    any = true;
                    if !f(vec![span_of(o)]) {
                        break;
                    }
                }
            }
            AtomKind::Near {
                left,
                right,
                distance,
            } => {
                let lefts: Vec<&Occurrence> = self.occurrences(left, atom, spec).collect();
                if lefts.is_empty() {
                    return false;
                }
                let rights: Vec<&Occurrence> = self.occurrences(right, atom, spec).collect();
                if rights.is_empty() {
                    return false;
                }
                let offsets = self.stream_offsets(atom.scope, spec);
                let pos = |o: &Occurrence| {
                    let base = offsets[o.turn as usize];
                    (base + o.start as usize, base + o.end as usize)
                };
                'outer: for l in &lefts {
                    let (ls, le) = pos(l);
                    for r in &rights {
                        let (rs, re) = pos(r);
                        // Tokens strictly between the two; overlapping spans do not count.
                        let gap = if le <= rs {
                            Some(rs - le)
                        } else if re <= ls {
                            Some(ls - re)
                        } else {
                            None
                        };
                        if gap.is_some_and(|g| g <= *distance) {
                            any = true;
                            if !f(vec![span_of(l), span_of(r)]) {
                                break 'outer;
                            }
                        }
                    }
                }
            }
        }
        any
    }

    /// Index of the clause of token `at` in turn `turn`.
    fn clause_of(&self, turn: usize, at: usize) -> usize {
        self.tokens[turn][..at.min(self.tokens[turn].len())]
            .iter()
            .filter(|t| is_clause_break(t))
            .count()
    }

    /// Where the category's `none` hits are, for a turn or clause `none_scope`.
    fn none_places(&self, cat: &Category) -> Vec<(usize, usize)> {
        let mut places = Vec::new();
        for atom in &cat.none {
            self.hits(atom, &cat.spec, &mut |m| {
                for s in m {
                    places.push((s.turn, self.clause_of(s.turn, s.start)));
                }
                true
            });
        }
        places
    }

    /// Whether a `none` hit in `places` cancels the hit `m`.
    fn blocked(&self, scope: NoneScope, places: &[(usize, usize)], m: &[Span]) -> bool {
        match scope {
            NoneScope::Contact => false,
            NoneScope::Turn => m.iter().any(|s| places.iter().any(|p| p.0 == s.turn)),
            NoneScope::Clause => m.iter().any(|s| {
                let c = self.clause_of(s.turn, s.start);
                places.contains(&(s.turn, c))
            }),
        }
    }

    /// Whether `atom` has a hit that no `none` hit cancels.
    fn fires(&self, atom: &Atom, cat: &Category, places: &[(usize, usize)]) -> bool {
        if places.is_empty() {
            return self.hits(atom, &cat.spec, &mut |_| false);
        }
        let mut kept = false;
        self.hits(atom, &cat.spec, &mut |m| {
            kept = !self.blocked(cat.spec.none_scope, places, &m);
            !kept
        });
        kept
    }

    fn metadata_mismatch(&self, spec: &CategorySpec) -> Option<String> {
        let c = self.contact;
        let check = |field: &str, allowed: &[String], value: Option<&str>| {
            (!allowed.is_empty() && !value.is_some_and(|v| allowed.iter().any(|a| a == v))).then(
                || {
                    format!(
                        "{field} {} is not one of [{}]",
                        value.unwrap_or("(none)"),
                        allowed.join(", ")
                    )
                },
            )
        };
        check("channel", &spec.channels, Some(c.channel.as_str()))
            .or_else(|| check("business", &spec.business, c.business.as_deref()))
            .or_else(|| check("region", &spec.regions, c.region.as_deref()))
            .or_else(|| check("queue", &spec.queues, c.queue.as_deref()))
    }

    /// Whether the score and count of fired `any`/`near` entries pass the category's
    /// thresholds (see the module documentation).
    fn passes(spec: &CategorySpec, score: f32, count: usize) -> bool {
        spec.min_score.map_or(score > 0.0, |m| score >= m)
            && spec.min_terms.is_none_or(|k| count >= k)
    }

    fn matches(&self, cat: &Category, filters: bool) -> bool {
        let spec = &cat.spec;
        if filters && self.metadata_mismatch(spec).is_some() {
            return false;
        }
        let places = if spec.none_scope == NoneScope::Contact {
            if cat.none.iter().any(|a| self.fires(a, cat, &[])) {
                return false;
            }
            Vec::new()
        } else {
            self.none_places(cat)
        };
        if !cat.all.iter().all(|a| self.fires(a, cat, &places)) {
            return false;
        }
        if cat.positive.is_empty() {
            return true;
        }
        if cat.simple {
            return cat.positive.iter().any(|a| self.fires(a, cat, &places));
        }
        let (mut score, mut count) = (0.0, 0);
        for atom in &cat.positive {
            if self.fires(atom, cat, &places) {
                score += atom.weight;
                count += 1;
            }
        }
        Self::passes(spec, score, count)
    }

    /// The sum of the weights of the `any`/`near` entries that fire (for a category
    /// that matched: ranks the categories of an exclusive taxonomy).
    fn score(&self, cat: &Category) -> f32 {
        let places = if cat.spec.none_scope == NoneScope::Contact {
            Vec::new()
        } else {
            self.none_places(cat)
        };
        cat.positive
            .iter()
            .filter(|a| self.fires(a, cat, &places))
            .map(|a| a.weight)
            .sum()
    }

    /// The terms of `atom` present in eligible turns but cancelled by its negation
    /// mode, or off token boundaries.
    fn near_misses(&self, atom: &Atom, spec: &CategorySpec, out: &mut Vec<NearMiss>) {
        let terms: Vec<u32> = match &atom.kind {
            AtomKind::Term(t) => t.clone(),
            AtomKind::Near { left, right, .. } => left.iter().chain(right).copied().collect(),
        };
        for &term in &terms {
            for o in of_term(self.occ, term) {
                if atom.negation.cancels(o.negation)
                    && self.eligible(atom.scope, spec, o.turn as usize)
                {
                    let span = span_of(o);
                    let before = self.tokens[span.turn]
                        [span.start.saturating_sub(crate::negation::NEGATION_WINDOW)..span.start]
                        .concat();
                    out.push(NearMiss {
                        list: atom.list.as_str(),
                        rule: atom.source.clone(),
                        kind: "negation",
                        detail: format!(
                            "cancelled by the {} before it ({before:?}; negation={}): \
                             `[negation=off]` on the entry would count it",
                            if o.negation == Negation::Denial {
                                "denial"
                            } else {
                                "negation"
                            },
                            atom.negation.as_str()
                        ),
                        span,
                    });
                }
            }
            for o in of_term(self.misses, term) {
                if !self.eligible(atom.scope, spec, o.turn as usize) {
                    continue;
                }
                let span = span_of(o);
                let text = span.text(self.tokens);
                out.push(NearMiss {
                    list: atom.list.as_str(),
                    rule: atom.source.clone(),
                    kind: "boundary",
                    detail: {
                        let plain = &atom.source;
                        if plain.chars().all(|c| !"@:：*[ ".contains(c)) {
                            format!(
                                "found inside the token(s) {text:?}, not on token boundaries: \
                                 write {plain}*, *{plain} or *{plain}* to count it"
                            )
                        } else {
                            format!(
                                "found inside the token(s) {text:?}, not on token boundaries: \
                                 a prefix (x*), suffix (*x) or substring (*x*) form counts it"
                            )
                        }
                    },
                    span,
                });
            }
        }
    }

    fn explain(&self, cat: &Category, filters: bool) -> CategoryExplanation {
        let spec = &cat.spec;
        let places = if spec.none_scope == NoneScope::Contact {
            Vec::new()
        } else {
            self.none_places(cat)
        };
        let mut fired = Vec::new();
        let mut near_misses = Vec::new();
        let mut fired_of = |atoms: &[Atom], blockable: bool| -> Vec<bool> {
            atoms
                .iter()
                .map(|atom| {
                    let mut matches = Vec::new();
                    self.hits(atom, spec, &mut |m| {
                        if blockable && self.blocked(spec.none_scope, &places, &m) {
                            near_misses.push(NearMiss {
                                list: atom.list.as_str(),
                                rule: atom.source.clone(),
                                kind: "none",
                                detail: format!(
                                    "cancelled by a `none` entry in the same {}",
                                    if spec.none_scope == NoneScope::Turn {
                                        "turn"
                                    } else {
                                        "clause"
                                    }
                                ),
                                span: m[0],
                            });
                        } else {
                            matches.push(m);
                        }
                        true
                    });
                    self.near_misses(atom, spec, &mut near_misses);
                    let hit = !matches.is_empty();
                    if hit {
                        fired.push(RuleHit {
                            list: atom.list.as_str(),
                            rule: atom.source.clone(),
                            matches,
                        });
                    }
                    hit
                })
                .collect()
        };
        let positive = fired_of(&cat.positive, true);
        let all = fired_of(&cat.all, true);
        let none = fired_of(&cat.none, false);
        let (score, count) = cat
            .positive
            .iter()
            .zip(&positive)
            .filter(|(_, f)| **f)
            .fold((0.0, 0), |(s, c), (a, _)| (s + a.weight, c + 1));
        let contact_none = spec.none_scope == NoneScope::Contact;
        let reason = if let Some(m) = self.metadata_mismatch(spec).filter(|_| filters) {
            Some(m)
        } else if !cat.positive.is_empty() && !positive.contains(&true) {
            Some(format!(
                "none of any/near fired ({})",
                cat.positive
                    .iter()
                    .map(|a| a.source.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else if let Some(i) = all.iter().position(|f| !f) {
            Some(format!("`all` entry {:?} did not fire", cat.all[i].source))
        } else if let Some(i) = none.iter().position(|f| *f).filter(|_| contact_none) {
            Some(format!("`none` entry {:?} fired", cat.none[i].source))
        } else if !cat.positive.is_empty() && !Self::passes(spec, score, count) {
            Some(format!(
                "below the threshold: score {score} from {count} entr{} (needs {})",
                if count == 1 { "y" } else { "ies" },
                [
                    spec.min_score
                        .map_or("a score above 0".to_string(), |m| format!("min_score {m}")),
                    spec.min_terms
                        .map(|k| format!("min_terms {k}"))
                        .unwrap_or_default(),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" and ")
            ))
        } else {
            None
        };
        near_misses.sort_by_key(|m| (m.span.turn, m.span.start));
        CategoryExplanation {
            id: spec.id.clone(),
            name: spec.name.clone(),
            matched: reason.is_none(),
            reason,
            fired,
            score,
            near_misses,
        }
    }
}

impl Taxonomy {
    pub fn specs(&self) -> impl Iterator<Item = &CategorySpec> {
        self.categories.iter().map(|c| &c.spec)
    }

    pub fn spec(&self, id: &str) -> Option<&CategorySpec> {
        self.specs().find(|s| s.id == id)
    }

    /// Whether any of `ids` is a complaint category.
    pub fn any_complaint(&self, ids: &[String]) -> bool {
        ids.iter()
            .any(|id| self.spec(id).is_some_and(|s| s.complaint))
    }

    /// Ids of the matching categories, in taxonomy order.
    pub fn classify(&self, contact: &Contact, tokens: &[TurnTokens]) -> Vec<String> {
        let occ = self.scan(contact, tokens);
        self.classify_scanned(contact, tokens, &occ)
    }

    /// Every term occurrence in the contact, sorted by term, turn and start.
    pub fn scan(&self, contact: &Contact, tokens: &[TurnTokens]) -> Vec<Occurrence> {
        let n = contact.turns.len().min(tokens.len());
        let mut occ = Vec::new();
        for (turn, toks) in tokens[..n].iter().enumerate() {
            self.dict.scan(turn, toks, &mut occ);
        }
        occ.sort_unstable();
        occ
    }

    /// [`Taxonomy::scan`] and, apart, the terms found off token boundaries.
    pub fn scan_explained(
        &self,
        contact: &Contact,
        tokens: &[TurnTokens],
    ) -> (Vec<Occurrence>, Vec<Occurrence>) {
        let n = contact.turns.len().min(tokens.len());
        let (mut occ, mut misses) = (Vec::new(), Vec::new());
        for (turn, toks) in tokens[..n].iter().enumerate() {
            self.dict
                .scan_with_misses(turn, toks, &mut occ, Some(&mut misses));
        }
        occ.sort_unstable();
        misses.sort_unstable();
        (occ, misses)
    }

    /// [`Taxonomy::classify`] with the occurrences already found by [`Taxonomy::scan`].
    pub fn classify_scanned(
        &self,
        contact: &Contact,
        tokens: &[TurnTokens],
        occ: &[Occurrence],
    ) -> Vec<String> {
        // Only categories using a term that occurs can match.
        let mut candidate = vec![false; self.categories.len()];
        let mut any = false;
        for o in occ {
            if let Some(cats) = self.term_categories.get(o.term as usize) {
                for &c in cats {
                    candidate[c as usize] = true;
                    any = true;
                }
            }
        }
        if !any && !self.uses_models() {
            return Vec::new();
        }
        let cx = Cx::new(contact, tokens, occ, &[]);
        self.decide(&cx, &candidate, true)
    }

    /// Whether some category asks its trained model (and there are models).
    fn uses_models(&self) -> bool {
        self.models.is_some()
            && self
                .categories
                .iter()
                .any(|c| self.combine(c) != Combine::Rules)
    }

    fn combine(&self, cat: &Category) -> Combine {
        self.combine_override.unwrap_or(cat.spec.combine)
    }

    /// The matching categories: rules (for the candidates) and models as each category
    /// combines them.
    fn decide(&self, cx: &Cx, candidate: &[bool], filters: bool) -> Vec<String> {
        let rules: Vec<bool> = self
            .categories
            .iter()
            .zip(candidate)
            .map(|(cat, &candidate)| candidate && cx.matches(cat, filters))
            .collect();
        // The models read which rules fired; their features are built once per speaker
        // scope and shared by every category's model.
        let rule_hits: Vec<&str> = self
            .categories
            .iter()
            .zip(&rules)
            .filter(|(_, r)| **r)
            .map(|(c, _)| c.spec.id.as_str())
            .collect();
        let mut scope_features: [Option<crate::model::Features>; 3] = [None, None, None];
        let mut kept: Vec<usize> = Vec::new();
        // Exclusive: the best so far, ranked (model-free first, probability or score).
        let mut best: Option<(usize, (bool, f32))> = None;
        // Not exclusive: the most probable category whose model may decide alone, with
        // its probability and the threshold at which it is kept anyway.
        let mut top: Option<(usize, f32, Option<f32>)> = None;
        for (c, (cat, &rules)) in self.categories.iter().zip(&rules).enumerate() {
            let combine = self.combine(cat);
            let model = match (&self.models, combine) {
                (None, _) | (_, Combine::Rules) => None,
                (Some(models), _) => {
                    if filters && cx.metadata_mismatch(&cat.spec).is_some() {
                        Some(Verdict {
                            yes: false,
                            assisted: false,
                            probability: 0.0,
                            assisted_probability: 0.0,
                        })
                    } else {
                        let scope = cat.spec.scope;
                        let feats = scope_features[scope.index()].get_or_insert_with(|| {
                            let tokens: Vec<voc_core::Token> = cx
                                .tokens
                                .iter()
                                .enumerate()
                                .filter(|(t, _)| cx.ord[scope.index()][*t] != u32::MAX)
                                .flat_map(|(_, toks)| toks.iter().cloned())
                                .collect();
                            models.features(&tokens, &rule_hits)
                        });
                        models.verdict(&cat.spec.id, feats, rules)
                    }
                }
            };
            if let (Some(v), Some(models), false) = (model, &self.models, self.exclusive)
                && matches!(combine, Combine::Model | Combine::Either | Combine::Assist)
            {
                let p = v.probability_for(combine);
                if top.is_none_or(|(_, b, _)| p > b) {
                    top = Some((c, p, models.top_threshold_for(combine)));
                }
            }
            if !combine.decide(rules, model) {
                continue;
            }
            if !self.exclusive {
                kept.push(c);
                continue;
            }
            let rank = match model {
                Some(v) => (false, v.probability_for(combine)),
                None => (true, cx.score(cat)),
            };
            if best.is_none_or(|(_, b)| rank > b) {
                best = Some((c, rank));
            }
        }
        if let Some((c, _)) = best {
            kept.push(c);
        }
        if let Some((c, p, Some(at))) = top
            && p >= at
            && !kept.contains(&c)
        {
            kept.push(c);
            kept.sort_unstable();
        }
        kept.into_iter()
            .map(|c| self.categories[c].spec.id.clone())
            .collect()
    }

    /// Whether at most one category is kept per contact.
    pub fn exclusive(&self) -> bool {
        self.exclusive
    }

    /// Overrides the taxonomy's `exclusive` (training reads every rule hit).
    pub fn set_exclusive(&mut self, exclusive: bool) {
        self.exclusive = exclusive;
    }

    /// Uses trained per-category models for the categories whose `combine` asks for them.
    pub fn set_models(&mut self, models: Option<CategoryModels>) {
        self.models = models;
    }

    /// Makes every category combine rules and models this way (for `taxonomy eval`).
    pub fn set_combine_override(&mut self, combine: Option<Combine>) {
        self.combine_override = combine;
    }

    /// Adds terms to the scan (risk terms), so one pass over the tokens finds both.
    /// Returns their ids.
    pub fn add_terms(&mut self, phrases: &[String]) -> Vec<u32> {
        let ids: Vec<u32> = phrases
            .iter()
            .map(|p| self.dict.intern(p, Form::Word))
            .collect();
        self.dict.finish();
        self.term_categories.resize(self.dict.len(), Vec::new());
        ids
    }

    /// The normalized text of term `id`.
    pub fn term_text(&self, id: u32) -> &str {
        self.dict.text(id)
    }

    /// Every category with the rules that fired on the contact and, where it did not
    /// match, why. Categories with nothing fired are left out unless `all`.
    pub fn explain(
        &self,
        contact: &Contact,
        tokens: &[TurnTokens],
        all: bool,
    ) -> Vec<CategoryExplanation> {
        let (occ, misses) = self.scan_explained(contact, tokens);
        let cx = Cx::new(contact, tokens, &occ, &misses);
        let mut out: Vec<CategoryExplanation> = self
            .categories
            .iter()
            .map(|cat| cx.explain(cat, true))
            .collect();
        if self.exclusive && out.iter().filter(|e| e.matched).count() > 1 {
            let kept = self.decide(&cx, &vec![true; self.categories.len()], true);
            out.iter_mut().for_each(|e| not_kept(e, &kept));
        }
        out.retain(|e| all || e.matched || !e.fired.is_empty() || !e.near_misses.is_empty());
        out
    }

    /// Classifies an example text, ignoring metadata filters. See [`example_contact`]
    /// for how an example is split into turns.
    pub fn classify_example(
        &self,
        text: &str,
        tokenize: &dyn Fn(&str) -> TurnTokens,
    ) -> Vec<String> {
        let (contact, tokens) = example_contact(text, tokenize);
        self.classify_unfiltered(&contact, &tokens)
    }

    /// Ids of the matching categories, ignoring metadata filters (an example, or a
    /// labelled text in `taxonomy eval`).
    pub fn classify_unfiltered(&self, contact: &Contact, tokens: &[TurnTokens]) -> Vec<String> {
        let occ = self.scan(contact, tokens);
        let cx = Cx::new(contact, tokens, &occ, &[]);
        self.decide(&cx, &vec![true; self.categories.len()], false)
    }

    /// Explains category `id` on an example (for failure messages).
    pub fn explain_example(
        &self,
        id: &str,
        text: &str,
        tokenize: &dyn Fn(&str) -> TurnTokens,
    ) -> Option<(CategoryExplanation, Vec<TurnTokens>)> {
        let cat = self.categories.iter().find(|c| c.spec.id == id)?;
        let (contact, tokens) = example_contact(text, tokenize);
        let (occ, misses) = self.scan_explained(&contact, &tokens);
        let cx = Cx::new(&contact, &tokens, &occ, &misses);
        let mut explanation = cx.explain(cat, false);
        if self.exclusive && explanation.matched {
            let kept = self.decide(&cx, &vec![true; self.categories.len()], false);
            not_kept(&mut explanation, &kept);
        }
        Some((explanation, tokens))
    }

    /// Same as [`Taxonomy::classify_example`]; kept for callers of the first version.
    pub fn classify_text(&self, text: &str, tokenize: &dyn Fn(&str) -> TurnTokens) -> Vec<String> {
        self.classify_example(text, tokenize)
    }
}

/// Marks a category whose rules matched as not kept when an exclusive taxonomy kept
/// another one (`kept`: what [`Taxonomy::decide`] returned).
fn not_kept(e: &mut CategoryExplanation, kept: &[String]) {
    if let Some(k) = kept.first().filter(|k| e.matched && **k != e.id) {
        e.matched = false;
        e.reason = Some(format!(
            "matched, but the taxonomy is exclusive and keeps {k}"
        ));
    }
}

/// An example as a contact: one turn per line; a line may start with `客户：`/`customer:`,
/// `坐席：`/`agent:` or `工单：`/`note:` (default: customer). So examples can test speaker
/// scope, position and proximity across turns.
pub fn example_contact(
    text: &str,
    tokenize: &dyn Fn(&str) -> TurnTokens,
) -> (Contact, Vec<TurnTokens>) {
    let turns: Vec<voc_core::Turn> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (speaker, rest) = split_speaker(line);
            voc_core::Turn {
                speaker,
                text: rest.trim().to_string(),
            }
        })
        .collect();
    let tokens = turns.iter().map(|t| tokenize(&t.text)).collect();
    let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();
    (Contact::new("example", start, "", turns), tokens)
}

fn split_speaker(line: &str) -> (Speaker, &str) {
    for (prefix, speaker) in [
        ("客户", Speaker::Customer),
        ("customer", Speaker::Customer),
        ("坐席", Speaker::Agent),
        ("agent", Speaker::Agent),
        ("工单", Speaker::Note),
        ("note", Speaker::Note),
    ] {
        if let Some(rest) = line.strip_prefix(prefix)
            && let Some(rest) = rest.strip_prefix('：').or_else(|| rest.strip_prefix(':'))
        {
            return (speaker, rest);
        }
    }
    (Speaker::Customer, line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use voc_core::Turn;

    /// Character-level stand-in for jieba that keeps the listed words whole.
    fn tokenize(text: &str) -> TurnTokens {
        const WORDS: &[&str] = &[
            "宽带",
            "断网",
            "没有",
            "满意",
            "不满意",
            "光猫",
            "红灯",
            "您好",
            "已报障",
            "掉线",
            "一直",
            "网络",
            "投诉",
        ];
        let mut out = Vec::new();
        let mut rest = text;
        'outer: while let Some(c) = rest.chars().next() {
            for w in WORDS.iter().copied().rev() {
                if let Some(r) = rest.strip_prefix(w) {
                    out.push(w.into());
                    rest = r;
                    continue 'outer;
                }
            }
            if !c.is_whitespace() {
                out.push(c.to_string().into());
            }
            rest = &rest[c.len_utf8()..];
        }
        out
    }

    fn compile(toml: &str) -> Taxonomy {
        TaxonomySpec::parse(toml, "t.toml").unwrap().compile()
    }

    fn contact(turns: &[(Speaker, &str)]) -> (Contact, Vec<TurnTokens>) {
        let turns: Vec<Turn> = turns
            .iter()
            .map(|(s, t)| Turn {
                speaker: *s,
                text: t.to_string(),
            })
            .collect();
        let tokens = turns.iter().map(|t| tokenize(&t.text)).collect();
        let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        (Contact::new("c", start, "voice", turns), tokens)
    }

    const TOML: &str = r#"
[[category]]
id = "网络质量/宽带断网"
name = "宽带断网"
owner = "网络运维部"
any = ["断网"]
all = ["宽带"]

[[category]]
id = "服务/满意"
name = "满意"
complaint = false
any = ["满意"]
"#;

    #[test]
    fn negation_and_segmentation_aware() {
        let tax = compile(TOML);
        assert_eq!(
            tax.classify_text("宽带又断网了", &tokenize),
            vec!["网络质量/宽带断网"]
        );
        assert!(tax.classify_text("宽带没有断网", &tokenize).is_empty());
        assert_eq!(
            tax.classify_text("宽带没有问题，断网是邻居家", &tokenize),
            vec!["网络质量/宽带断网"]
        );
        assert!(tax.classify_text("我很不满意", &tokenize).is_empty());
        assert_eq!(tax.classify_text("很满意", &tokenize), vec!["服务/满意"]);
        assert!(tax.any_complaint(&["网络质量/宽带断网".to_string()]));
        assert!(!tax.any_complaint(&["服务/满意".to_string()]));
    }

    #[test]
    fn exclusive_keeps_one_category_by_score_then_file_order() {
        let toml = r#"
exclusive = true
[[category]]
id = "网络/断网"
name = "断网"
any = ["断网"]
[[category]]
id = "网络/宽带"
name = "宽带"
any = ["宽带", "光猫 [weight=2]"]
"#;
        let tax = compile(toml);
        // Equal scores: the first in file order.
        assert_eq!(tax.classify_text("宽带断网", &tokenize), vec!["网络/断网"]);
        // 宽带 + 光猫 score 3 against 1.
        assert_eq!(
            tax.classify_text("宽带光猫断网", &tokenize),
            vec!["网络/宽带"]
        );
        let both = compile(&toml.replace("exclusive = true", ""));
        assert_eq!(both.classify_text("宽带断网", &tokenize).len(), 2);
        // `explain` says why the other matched category was not kept.
        let (c, t) = contact(&[(Speaker::Customer, "宽带断网")]);
        let ex = tax.explain(&c, &t, false);
        let dropped = ex.iter().find(|e| e.id == "网络/宽带").unwrap();
        assert!(!dropped.matched);
        assert!(
            dropped
                .reason
                .as_deref()
                .unwrap()
                .contains("keeps 网络/断网"),
            "{:?}",
            dropped.reason
        );
        // So does a failing `must_match` example.
        let (why, _) = tax
            .explain_example("网络/宽带", "宽带断网", &tokenize)
            .unwrap();
        assert!(!why.matched);
        assert!(why.reason.unwrap().contains("keeps 网络/断网"));
    }

    #[test]
    fn synonyms_expand() {
        let tax = compile(
            r#"
[synonyms]
"断网" = ["断网", "掉线", "上不了 网"]
[[category]]
id = "网络/断网"
name = "断网"
any = ["@断网"]
"#,
        );
        for text in ["又断网了", "老掉线", "上不了网"] {
            assert_eq!(
                tax.classify_text(text, &tokenize),
                vec!["网络/断网"],
                "{text}"
            );
        }
        assert!(tax.classify_text("没有掉线", &tokenize).is_empty());
    }

    const NEAR: &str = r#"
[[category]]
id = "网络/光猫故障"
name = "光猫故障"
near = ["光猫 NEAR/2 红灯"]
"#;

    #[test]
    fn proximity_within_and_across_turns() {
        let tax = compile(NEAR);
        let id = vec!["网络/光猫故障".to_string()];
        // 光猫 | 一直 | 亮 | 红灯: two tokens between.
        assert_eq!(tax.classify_text("光猫一直亮红灯", &tokenize), id);
        // Reverse order counts too.
        assert_eq!(tax.classify_text("红灯在光猫上", &tokenize), id);
        // Three tokens between: too far.
        assert!(tax.classify_text("光猫一直在亮红灯", &tokenize).is_empty());
        // Across two customer turns, with an agent turn in between that is not in scope.
        let (c, t) = contact(&[
            (Speaker::Customer, "我家光猫"),
            (Speaker::Agent, "您好请讲一下具体情况好吗"),
            (Speaker::Customer, "亮红灯"),
        ]);
        assert_eq!(tax.classify(&c, &t), id);
        // The same words far apart in the customer's stream do not count.
        let (c, t) = contact(&[
            (Speaker::Customer, "我家光猫"),
            (Speaker::Customer, "昨天下午开始"),
            (Speaker::Customer, "亮红灯"),
        ]);
        assert!(tax.classify(&c, &t).is_empty());
        // Negated operands do not count.
        assert!(tax.classify_text("光猫没有红灯", &tokenize).is_empty());
        // The explanation shows both spans.
        let (c, t) = contact(&[
            (Speaker::Customer, "我家光猫"),
            (Speaker::Customer, "亮红灯"),
        ]);
        let ex = tax.explain(&c, &t, false);
        assert_eq!(ex.len(), 1);
        assert!(ex[0].matched);
        assert_eq!(ex[0].fired[0].list, "near");
        assert_eq!(
            ex[0].fired[0].matches,
            vec![vec![
                Span {
                    turn: 0,
                    start: 2,
                    end: 3
                },
                Span {
                    turn: 1,
                    start: 1,
                    end: 2
                }
            ]]
        );
        assert_eq!(ex[0].fired[0].matches[0][1].text(&t), "红灯");
    }

    #[test]
    fn speaker_scope_per_category_and_per_entry() {
        let tax = compile(
            r#"
[[category]]
id = "服务/已报障未修复"
name = "已报障未修复"
any = ["断网"]
all = ["agent:已报障"]

[[category]]
id = "服务/坐席提到断网"
name = "坐席提到断网"
scope = "agent"
any = ["断网"]
"#,
        );
        let (c, t) = contact(&[(Speaker::Customer, "又断网了"), (Speaker::Agent, "已报障")]);
        assert_eq!(tax.classify(&c, &t), vec!["服务/已报障未修复"]);
        let (c, t) = contact(&[(Speaker::Customer, "又断网了已报障")]);
        assert!(
            tax.classify(&c, &t).is_empty(),
            "已报障 by the customer does not count"
        );
        let (c, t) = contact(&[(Speaker::Agent, "断网了吗")]);
        assert_eq!(tax.classify(&c, &t), vec!["服务/坐席提到断网"]);
        // Work-order notes speak for the customer.
        let (c, t) = contact(&[(Speaker::Note, "客户反映断网"), (Speaker::Agent, "已报障")]);
        assert_eq!(tax.classify(&c, &t), vec!["服务/已报障未修复"]);
        // Examples can have turns.
        assert_eq!(
            tax.classify_example("客户：又断网了\n坐席：已报障", &tokenize),
            vec!["服务/已报障未修复"]
        );
    }

    #[test]
    fn position_counts_turns_of_the_scope() {
        let tax = compile(
            r#"
[[category]]
id = "开场/断网"
name = "开场即断网"
first_turns = 1
any = ["断网"]

[[category]]
id = "结尾/投诉"
name = "结尾投诉"
last_turns = 1
any = ["投诉"]
"#,
        );
        let (c, t) = contact(&[
            (Speaker::Agent, "您好"),
            (Speaker::Customer, "断网了"),
            (Speaker::Customer, "我要投诉"),
        ]);
        assert_eq!(tax.classify(&c, &t), vec!["开场/断网", "结尾/投诉"]);
        let (c, t) = contact(&[
            (Speaker::Customer, "你好"),
            (Speaker::Customer, "断网了"),
            (Speaker::Customer, "我要投诉"),
            (Speaker::Customer, "谢谢"),
        ]);
        assert!(tax.classify(&c, &t).is_empty());
    }

    #[test]
    fn none_and_metadata_filters() {
        let tax = compile(
            r#"
[[category]]
id = "网络/断网"
name = "断网"
any = ["断网"]
none = ["已恢复"]
channels = ["voice"]
regions = ["广东"]
"#,
        );
        let (mut c, t) = contact(&[(Speaker::Customer, "断网了")]);
        assert!(tax.classify(&c, &t).is_empty(), "no region");
        c.region = Some("广东".into());
        assert_eq!(tax.classify(&c, &t), vec!["网络/断网"]);
        c.channel = "chat".into();
        assert!(tax.classify(&c, &t).is_empty());
        let ex = tax.explain(&c, &t, true);
        assert_eq!(
            ex[0].reason.as_deref(),
            Some("channel chat is not one of [voice]")
        );
        // Examples ignore metadata filters; none= still applies.
        assert_eq!(tax.classify_example("断网了", &tokenize), vec!["网络/断网"]);
        assert!(tax.classify_example("断网了，已恢复", &tokenize).is_empty());
        assert!(
            tax.classify_example("断网了，还没有恢复", &tokenize).len() == 1,
            "恢复 is a different term from 已恢复"
        );
    }

    #[test]
    fn weights_thresholds_and_none_scope() {
        let tax = compile(
            r#"
[[category]]
id = "网络/断网"
name = "断网"
min_terms = 2
any = ["断网", "掉线", "宽带"]

[[category]]
id = "网络/投诉"
name = "投诉"
min_score = 2
any = ["投诉 [weight=2]", "网络", "满意 [weight=-1]"]

[[category]]
id = "网络/光猫"
name = "光猫"
none_scope = "turn"
any = ["光猫"]
none = ["满意"]
"#,
        );
        assert!(tax.classify_example("又断网了", &tokenize).is_empty());
        assert_eq!(
            tax.classify_example("宽带又断网了", &tokenize),
            vec!["网络/断网"]
        );
        assert!(tax.classify_example("网络", &tokenize).is_empty());
        assert_eq!(
            tax.classify_example("我要投诉", &tokenize),
            vec!["网络/投诉"]
        );
        // 2 - 1 = 1 < 2: counter-evidence.
        assert!(tax.classify_example("投诉，很满意", &tokenize).is_empty());
        let (why, _) = tax
            .explain_example("网络/投诉", "投诉，很满意", &tokenize)
            .unwrap();
        assert!(why.reason.unwrap().contains("min_score 2"));
        // A none in another turn does not cancel.
        assert_eq!(
            tax.classify_example("光猫坏了\n坐席：满意吗\n很满意", &tokenize),
            vec!["网络/光猫"]
        );
        assert!(tax.classify_example("光猫很满意", &tokenize).is_empty());
        let (why, _) = tax
            .explain_example("网络/光猫", "光猫很满意", &tokenize)
            .unwrap();
        assert_eq!(why.near_misses[0].kind, "none");
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = TaxonomySpec::parse(
            "[[category]]\nid = \"a\"\nname = 3\nany=[\"x\"]\n",
            "bad.toml",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("bad.toml:3:"), "{err}");
        let err = TaxonomySpec::parse(
            "[[category]]\nid = \"a\"\nname = \"a\"\nanyy = [\"x\"]\n",
            "bad.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("anyy"), "{err}");
    }

    #[test]
    fn near_errors_point_inside_the_string() {
        let text =
            "[[category]]\nid = \"网络/光猫\"\nname = \"光猫\"\nnear = [\"光猫 NEAR/x 红灯\"]\n";
        let err = TaxonomySpec::parse(text, "t.toml").unwrap_err().to_string();
        // Line 4: `near = ["光猫 NEAR/x 红灯"]`; the x is character 18 of the line.
        assert!(
            err.starts_with("t.toml:4:18: category 网络/光猫: `near` entry"),
            "{err}"
        );
        assert!(err.contains("expected a number"), "{err}");

        let text = "[[category]]\nid = \"a/b\"\nname = \"b\"\nany = [\"x\", \"@无此组\"]\n";
        let err = TaxonomySpec::parse(text, "t.toml").unwrap_err().to_string();
        assert!(err.starts_with("t.toml:4:14:"), "{err}");
        assert!(err.contains("unknown synonym group @无此组"), "{err}");

        let text = "[[category]]\nid = \"a/b\"\nname = \"b\"\nnear = [\"光猫\"]\n";
        let err = TaxonomySpec::parse(text, "t.toml").unwrap_err().to_string();
        assert!(err.starts_with("t.toml:4:10:"), "{err}");
        assert!(err.contains("expected A NEAR/N B"), "{err}");

        let text = "[synonyms]\n\"断网\" = [\"a NEAR/2 b\"]\n";
        let err = TaxonomySpec::parse(text, "t.toml").unwrap_err().to_string();
        assert!(err.starts_with("t.toml:2:"), "{err}");
        assert!(err.contains("expected a plain term"), "{err}");

        let text = "[[category]]\nid = \"a/b\"\nname = \"b\"\nany = [\"x\"]\nfirst_turns = 0\n";
        let err = TaxonomySpec::parse(text, "t.toml").unwrap_err().to_string();
        assert!(err.starts_with("t.toml:5:15:"), "{err}");
    }

    #[test]
    fn rule_errors_name_the_category_and_line() {
        let err = TaxonomySpec::parse(
            "[[category]]\nid = \"网络/\"\nname = \"a\"\nany=[\"x\"]\n",
            "t.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("t.toml:2:6: category 网络/"), "{err}");
        let err = TaxonomySpec::parse(
            "[[category]]\nid = \"a/b\"\nname = \"a\"\n\n[[category]]\nid = \"a/b\"\nname = \"a\"\nany=[\"x\"]\n",
            "t.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("expected at least one term"), "{err}");
        let err = TaxonomySpec::parse(
            "[[category]]\nid = \"a/b\"\nname = \"a\"\nany=[\"y\"]\n\n[[category]]\nid = \"a/b\"\nname = \"a\"\nany=[\"x\"]\n",
            "t.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("t.toml:7:6:"), "{err}");
        assert!(err.contains("already defined on line 2"), "{err}");
    }

    #[test]
    fn example_lines_are_recorded() {
        let spec = TaxonomySpec::parse(
            "[[category]]\nid = \"a/b\"\nname = \"a\"\nany=[\"x\"]\nmust_match = [\n  \"x1\",\n  \"x2\",\n]\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(spec.categories[0].line, 2);
        assert_eq!(spec.categories[0].must_match_lines, vec![6, 7]);
        assert_eq!(spec.terms(), vec!["x"]);
    }

    /// Without `exclusive`, a contact's most probable category is kept from the models'
    /// top threshold, below the threshold a second category needs; an exclusive
    /// taxonomy keeps using the threshold.
    #[test]
    fn the_most_probable_category_is_kept_from_the_top_threshold() {
        use crate::category_eval::{CategoryModels, CategoryTraining};
        let toml = r#"
[[category]]
id = "网络/断网"
name = "断网"
combine = "model"
any = ["从不出现"]
[[category]]
id = "网络/宽带"
name = "宽带"
combine = "model"
any = ["从不出现"]
"#;
        let rows: Vec<Vec<voc_core::Token>> = (0..40)
            .map(|i| {
                tokenize(if i % 2 == 0 {
                    "又断网了"
                } else {
                    "宽带账单"
                })
                .into_iter()
                .collect()
            })
            .collect();
        let labels: Vec<Vec<String>> = (0..40)
            .map(|i| vec![["网络/断网", "网络/宽带"][i % 2].to_string()])
            .collect();
        let categories = vec!["网络/断网".to_string(), "网络/宽带".to_string()];
        let mut models = CategoryModels::train(
            &rows,
            &vec![Vec::new(); 40],
            &labels,
            &categories,
            &CategoryTraining::default(),
        );
        models.threshold = 0.999;
        models.top_threshold = None;
        let mut tax = compile(toml);
        tax.set_models(Some(models.clone()));
        assert!(tax.classify_text("断网", &tokenize).is_empty());
        models.top_threshold = Some(0.3);
        tax.set_models(Some(models.clone()));
        assert_eq!(tax.classify_text("断网", &tokenize), vec!["网络/断网"]);
        // Only the most probable one.
        assert_eq!(tax.classify_text("宽带", &tokenize), vec!["网络/宽带"]);
        let mut exclusive = compile(&format!("exclusive = true\n{toml}"));
        exclusive.set_models(Some(models));
        assert!(exclusive.classify_text("断网", &tokenize).is_empty());
    }
}
