//! Classification of segmented contacts: complaint categories from the analysts'
//! taxonomy rules, sentiment per turn and per contact, and risk flags.
//!
//! This crate never segments: it works on the tokens the text stage produced, and takes
//! the segmenter as a plain function where it must cut rule terms or examples.

pub mod sentiment;
pub mod taxonomy;

use voc_core::{Contact, RiskFlags, TurnTokens};

pub use sentiment::SentimentModel;
pub use taxonomy::{CategorySpec, Scope, Taxonomy, TaxonomySpec};

#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: category {category}: {message}")]
    Rule {
        file: String,
        category: String,
        message: String,
    },
}

/// Default escalation terms: threats to take the complaint outside the company.
pub const ESCALATION_TERMS: &[&str] = &[
    "12315",
    "工信部",
    "消协",
    "消费者协会",
    "媒体",
    "曝光",
    "律师",
    "起诉",
    "法院",
    "记者",
    "电视台",
    "12300",
    "市长热线",
    "12345",
];
/// Default churn terms: intent to leave.
pub const CHURN_TERMS: &[&str] = &[
    "销户",
    "退网",
    "携号转网",
    "换运营商",
    "不用了",
    "注销",
    "拆机",
    "转网",
];

/// Term lists for the risk flags (defaults, extended by the pipeline file).
#[derive(Debug, Clone)]
pub struct RiskTerms {
    pub escalation: Vec<String>,
    pub churn: Vec<String>,
}

impl Default for RiskTerms {
    fn default() -> Self {
        RiskTerms {
            escalation: ESCALATION_TERMS.iter().map(|s| s.to_string()).collect(),
            churn: CHURN_TERMS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// What classification adds to a contact (repeat-contact needs history: the pipeline sets it).
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub categories: Vec<String>,
    pub sentiment: f32,
    pub sentiment_label: &'static str,
    pub risk: RiskFlags,
}

/// Taxonomy, sentiment and risk terms, compiled once and shared by all threads.
pub struct Classifier {
    pub taxonomy: Taxonomy,
    sentiment: SentimentModel,
    escalation: Vec<Vec<String>>,
    churn: Vec<Vec<String>>,
}

impl Classifier {
    pub fn new(
        taxonomy: Taxonomy,
        sentiment: SentimentModel,
        risk: &RiskTerms,
        tokenize: &dyn Fn(&str) -> Vec<String>,
    ) -> Self {
        let seqs = |terms: &[String]| {
            terms
                .iter()
                .map(|t| tokenize(t))
                .filter(|t| !t.is_empty())
                .collect()
        };
        Classifier {
            taxonomy,
            sentiment,
            escalation: seqs(&risk.escalation),
            churn: seqs(&risk.churn),
        }
    }

    pub fn classify(&self, contact: &Contact, tokens: &[TurnTokens]) -> Classification {
        let categories = self.taxonomy.classify(contact, tokens);
        let sentiment = self.sentiment.score_contact(contact, tokens);
        let customer_mentions = |terms: &[Vec<String>]| {
            contact
                .turns
                .iter()
                .zip(tokens)
                .filter(|(turn, _)| turn.speaker != voc_core::Speaker::Agent)
                .any(|(_, toks)| terms.iter().any(|t| taxonomy::find_term(toks, t).is_some()))
        };
        Classification {
            categories,
            sentiment,
            sentiment_label: sentiment::label(sentiment),
            risk: RiskFlags {
                escalation: customer_mentions(&self.escalation),
                churn: customer_mentions(&self.churn),
                repeat_contact: false,
            },
        }
    }
}
