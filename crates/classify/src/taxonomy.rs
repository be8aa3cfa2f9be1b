//! The complaint taxonomy: hierarchical categories written by analysts as rules.
//!
//! A rule says which terms must (`all`), may (`any`) and must not (`none`) occur in the
//! turns of a scope (customer, agent or any). Terms are matched on tokens, so `满意`
//! never matches inside `不满意`, and a term directly after a negation word (`没有断网`)
//! does not count.

use serde::Deserialize;
use std::path::Path;
use voc_core::{Contact, Speaker, TurnTokens};

use crate::ClassifyError;

/// Words that negate the term right after them (within the same clause).
const NEGATIONS: &[&str] = &[
    "不",
    "没",
    "没有",
    "未",
    "无",
    "别",
    "不是",
    "并没有",
    "从没",
    "从来没有",
    "不会",
];
/// How many tokens before a term a negation may stand.
const NEGATION_WINDOW: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Customer turns, and work-order notes (which report the customer's words).
    #[default]
    Customer,
    Agent,
    Any,
}

impl Scope {
    fn includes(self, speaker: Speaker) -> bool {
        match self {
            Scope::Any => true,
            Scope::Customer => matches!(speaker, Speaker::Customer | Speaker::Note),
            Scope::Agent => speaker == Speaker::Agent,
        }
    }
}

/// One category as written in the taxonomy file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategorySpec {
    /// Path id such as `网络质量/宽带断网`; its parents are implied.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default = "yes")]
    pub complaint: bool,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub none: Vec<String>,
    /// Only contacts of these channels (empty: all channels).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Only contacts of these business lines (empty: all).
    #[serde(default)]
    pub business: Vec<String>,
    #[serde(default)]
    pub must_match: Vec<String>,
    #[serde(default)]
    pub must_not_match: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    #[serde(default)]
    category: Vec<CategorySpec>,
}

/// The taxonomy as read from its file, before its terms are segmented.
#[derive(Debug, Clone)]
pub struct TaxonomySpec {
    pub categories: Vec<CategorySpec>,
}

impl TaxonomySpec {
    pub fn load(path: &Path) -> Result<Self, ClassifyError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClassifyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses taxonomy TOML; errors carry file, line and column.
    pub fn parse(text: &str, source: &str) -> Result<Self, ClassifyError> {
        let file: TaxonomyFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((0, 0));
            ClassifyError::Syntax {
                file: source.to_string(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for cat in &file.category {
            let invalid = |message: String| ClassifyError::Rule {
                file: source.to_string(),
                category: cat.id.clone(),
                message,
            };
            if cat.id.trim().is_empty() || cat.id.split('/').any(|p| p.trim().is_empty()) {
                return Err(invalid(
                    "id must be a path like 网络质量/宽带断网 with no empty parts".into(),
                ));
            }
            if !seen.insert(cat.id.clone()) {
                return Err(invalid("the same id is defined twice".into()));
            }
            if cat.any.is_empty() && cat.all.is_empty() {
                return Err(invalid(
                    "a category needs at least one term in `any` or `all`".into(),
                ));
            }
            if let Some(t) = cat
                .any
                .iter()
                .chain(&cat.all)
                .chain(&cat.none)
                .find(|t| t.trim().is_empty())
            {
                return Err(invalid(format!("empty term {t:?}")));
            }
        }
        Ok(TaxonomySpec {
            categories: file.category,
        })
    }

    /// Every term of every rule, so the segmenter can keep each one a single token.
    pub fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = self
            .categories
            .iter()
            .flat_map(|c| c.any.iter().chain(&c.all).chain(&c.none))
            .map(|t| t.trim().to_string())
            .collect();
        terms.sort();
        terms.dedup();
        terms
    }

    /// Segments every term with `tokenize` (the pipeline's segmenter) so matching works
    /// on the same tokens as the text.
    pub fn compile(&self, tokenize: &dyn Fn(&str) -> Vec<String>) -> Taxonomy {
        let seq = |terms: &[String]| -> Vec<Vec<String>> {
            terms
                .iter()
                .map(|t| tokenize(t.trim()))
                .filter(|t| !t.is_empty())
                .collect()
        };
        Taxonomy {
            categories: self
                .categories
                .iter()
                .map(|spec| Category {
                    any: seq(&spec.any),
                    all: seq(&spec.all),
                    none: seq(&spec.none),
                    spec: spec.clone(),
                })
                .collect(),
        }
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
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
struct Category {
    spec: CategorySpec,
    any: Vec<Vec<String>>,
    all: Vec<Vec<String>>,
    none: Vec<Vec<String>>,
}

/// A compiled taxonomy, ready to classify tokenized contacts.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    categories: Vec<Category>,
}

/// Where a term matched: turn index and token range, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub turn: usize,
    pub start: usize,
    pub end: usize,
}

impl Taxonomy {
    pub fn specs(&self) -> impl Iterator<Item = &CategorySpec> {
        self.categories.iter().map(|c| &c.spec)
    }

    pub fn spec(&self, id: &str) -> Option<&CategorySpec> {
        self.specs().find(|s| s.id == id)
    }

    /// Ids of the matching categories, in taxonomy order.
    pub fn classify(&self, contact: &Contact, tokens: &[TurnTokens]) -> Vec<String> {
        self.categories
            .iter()
            .filter(|cat| matches_category(cat, contact, tokens))
            .map(|cat| cat.spec.id.clone())
            .collect()
    }

    /// Classifies a bare text as a customer turn (for rule examples).
    pub fn classify_text(&self, text: &str, tokenize: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
        let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        let turn = voc_core::Turn {
            speaker: Speaker::Customer,
            text: text.to_string(),
        };
        let contact = Contact::new("example", start, "", vec![turn]);
        let tokens = vec![tokenize(text)];
        self.classify(&contact, &tokens)
    }
}

fn matches_category(cat: &Category, contact: &Contact, tokens: &[TurnTokens]) -> bool {
    let spec = &cat.spec;
    if !spec.channels.is_empty() && !spec.channels.contains(&contact.channel) {
        return false;
    }
    if !spec.business.is_empty()
        && !contact
            .business
            .as_ref()
            .is_some_and(|b| spec.business.contains(b))
    {
        return false;
    }
    let scoped: Vec<&TurnTokens> = contact
        .turns
        .iter()
        .zip(tokens)
        .filter(|(turn, _)| spec.scope.includes(turn.speaker))
        .map(|(_, t)| t)
        .collect();
    let occurs = |term: &Vec<String>| scoped.iter().any(|toks| find_term(toks, term).is_some());
    (cat.any.is_empty() || cat.any.iter().any(occurs))
        && cat.all.iter().all(occurs)
        && !cat.none.iter().any(occurs)
}

/// First un-negated occurrence of `term` (a token sequence) in `tokens`.
pub fn find_term(tokens: &[String], term: &[String]) -> Option<usize> {
    if term.is_empty() || tokens.len() < term.len() {
        return None;
    }
    (0..=tokens.len() - term.len())
        .find(|&i| tokens[i..i + term.len()] == *term && !negated(tokens, i))
}

fn negated(tokens: &[String], at: usize) -> bool {
    tokens[at.saturating_sub(NEGATION_WINDOW)..at]
        .iter()
        .rev()
        .take_while(|t| !is_clause_break(t))
        .any(|t| NEGATIONS.contains(&t.as_str()))
}

fn is_clause_break(token: &str) -> bool {
    matches!(
        token,
        "，" | "。" | "！" | "？" | "；" | "," | "." | "!" | "?" | ";" | "但是" | "可是" | "不过"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Character-level stand-in for jieba that keeps the listed words whole.
    fn tokenize(text: &str) -> Vec<String> {
        const WORDS: &[&str] = &["宽带", "断网", "没有", "满意", "不满意", "视频彩铃"];
        let mut out = Vec::new();
        let mut rest = text;
        'outer: while let Some(c) = rest.chars().next() {
            for w in WORDS.iter().copied().rev() {
                if let Some(r) = rest.strip_prefix(w) {
                    out.push(w.to_string());
                    rest = r;
                    continue 'outer;
                }
            }
            out.push(c.to_string());
            rest = &rest[c.len_utf8()..];
        }
        out
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
        let tax = TaxonomySpec::parse(TOML, "t.toml")
            .unwrap()
            .compile(&tokenize);
        assert_eq!(
            tax.classify_text("宽带又断网了", &tokenize),
            vec!["网络质量/宽带断网"]
        );
        assert!(tax.classify_text("宽带没有断网", &tokenize).is_empty());
        assert!(
            tax.classify_text("宽带没有问题，断网是邻居家", &tokenize)
                .len()
                == 1
        );
        assert!(tax.classify_text("我很不满意", &tokenize).is_empty());
        assert_eq!(tax.classify_text("很满意", &tokenize), vec!["服务/满意"]);
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = TaxonomySpec::parse(
            "[[category]]\nid = \"a\"\nname = 3\nany=[\"x\"]\n",
            "bad.toml",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("bad.toml:3:"), "{msg}");
        let err = TaxonomySpec::parse(
            "[[category]]\nid = \"a\"\nname = \"a\"\nanyy = [\"x\"]\n",
            "bad.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("anyy"), "{err}");
    }

    #[test]
    fn rule_errors_name_the_category() {
        let err = TaxonomySpec::parse(
            "[[category]]\nid = \"网络/\"\nname = \"a\"\nany=[\"x\"]\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("网络/"), "{err}");
    }
}
