//! Classification of segmented contacts: complaint categories from the analysts'
//! taxonomy rules, sentiment per turn and per contact, and risk flags.
//!
//! This crate never segments: it works on the tokens the text stage produced, and takes
//! the segmenter as a plain function where it must cut examples or training text. Rule
//! terms are not segmented at all: they match runs of whole tokens (see [`matcher`]),
//! which is what lets `voc retag` re-apply an edited taxonomy to stored tokens.

pub mod category_eval;
pub mod eval;
pub mod matcher;
pub mod model;
pub mod negation;
pub mod rules;
pub mod sentiment;
pub mod taxonomy;

use voc_core::{Contact, RiskFlags, Speaker, TurnTokens};

pub use model::LogisticModel;
pub use sentiment::SentimentModel;
pub use taxonomy::{
    CategoryExplanation, CategorySpec, NearMiss, NoneScope, RuleHit, Scope, Span, Taxonomy,
    TaxonomySpec,
};

use matcher::Occurrence;

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
    #[error("{file}:{line}: {message}")]
    Line {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
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
    "通管局",
    "上访",
    "举报",
];
/// Default churn terms: intent to leave. (`不用了` is not one: it mostly means "no
/// thanks" at the end of a call.)
pub const CHURN_TERMS: &[&str] = &[
    "销户",
    "退网",
    "携号转网",
    "换运营商",
    "注销",
    "拆机",
    "转网",
    "不想用了",
    "再也不用",
];
/// Default greetings: the first agent turn should contain one.
pub const GREETING_TERMS: &[&str] = &[
    "您好",
    "你好",
    "很高兴为您服务",
    "欢迎致电",
    "欢迎来电",
    "感谢致电",
    "感谢您的来电",
    "早上好",
    "上午好",
    "中午好",
    "下午好",
    "晚上好",
    "亲",
];
/// Default forbidden agent phrases (服务禁语).
pub const FORBIDDEN_PHRASES: &[&str] = &[
    "这不归我们管",
    "不归我们管",
    "你自己看着办",
    "自己看着办",
    "爱投诉就投诉",
    "你去投诉吧",
    "随便你",
    "你听不懂吗",
    "跟我说没用",
    "不是我的问题",
    "有完没完",
    "烦不烦",
    "我也没办法",
];

/// Term lists for the risk flags (defaults, extended by the pipeline file).
#[derive(Debug, Clone)]
pub struct RiskTerms {
    pub escalation: Vec<String>,
    pub churn: Vec<String>,
    pub greetings: Vec<String>,
    pub forbidden: Vec<String>,
}

fn owned(terms: &[&str]) -> Vec<String> {
    terms.iter().map(|s| s.to_string()).collect()
}

impl Default for RiskTerms {
    fn default() -> Self {
        RiskTerms {
            escalation: owned(ESCALATION_TERMS),
            churn: owned(CHURN_TERMS),
            greetings: owned(GREETING_TERMS),
            forbidden: owned(FORBIDDEN_PHRASES),
        }
    }
}

impl RiskTerms {
    /// Every term, for the segmenter's extra words.
    pub fn terms(&self) -> Vec<String> {
        self.escalation
            .iter()
            .chain(&self.churn)
            .chain(&self.greetings)
            .chain(&self.forbidden)
            .cloned()
            .collect()
    }
}

/// What classification adds to a contact (repeat-contact needs history: the pipeline sets it).
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub categories: Vec<String>,
    /// Whether any matched category is a complaint.
    pub complaint: bool,
    pub sentiment: f32,
    pub sentiment_label: &'static str,
    /// Score of each turn, in turn order.
    pub turn_sentiment: Vec<f32>,
    pub risk: RiskFlags,
}

/// A risk term found in a contact, for `voc taxonomy explain`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RiskHit {
    pub flag: &'static str,
    pub term: String,
    pub span: Option<Span>,
}

const ESCALATION: usize = 0;
const CHURN: usize = 1;
const GREETING: usize = 2;
const FORBIDDEN: usize = 3;

/// The risk terms, interned into the taxonomy's dictionary so one scan of the tokens
/// finds rule terms and risk terms together; `groups[term]` is a bit set of groups.
struct RiskRules {
    groups: Vec<u8>,
}

impl RiskRules {
    fn new(terms: &RiskTerms, taxonomy: &mut Taxonomy) -> Self {
        let mut phrases = Vec::new();
        let mut group_of = Vec::new();
        for (group, list) in [
            (ESCALATION, &terms.escalation),
            (CHURN, &terms.churn),
            (GREETING, &terms.greetings),
            (FORBIDDEN, &terms.forbidden),
        ] {
            for term in list {
                let phrase = rules::normalize_phrase(term);
                if !phrase.is_empty() {
                    phrases.push(phrase);
                    group_of.push(group);
                }
            }
        }
        let ids = taxonomy.add_terms(&phrases);
        let mut groups = vec![0u8; ids.iter().map(|&i| i as usize + 1).max().unwrap_or(0)];
        for (id, group) in ids.into_iter().zip(group_of) {
            groups[id as usize] |= 1 << group;
        }
        RiskRules { groups }
    }

    fn evaluate(
        &self,
        contact: &Contact,
        tokens: &[TurnTokens],
        occ: &[Occurrence],
        taxonomy: &Taxonomy,
        mut hit: Option<&mut Vec<RiskHit>>,
    ) -> RiskFlags {
        let n = contact.turns.len().min(tokens.len());
        let mut flags = RiskFlags::default();
        let first_agent = contact.turns[..n]
            .iter()
            .position(|t| t.speaker == Speaker::Agent);
        let mut greeted = false;
        for o in occ {
            let groups = self.groups.get(o.term as usize).copied().unwrap_or(0);
            if groups == 0 {
                continue;
            }
            let in_group = |g: usize| groups & (1 << g) != 0;
            let turn = o.turn as usize;
            let speaker = contact.turns[turn].speaker;
            let mut record = |flag: &'static str| {
                if let Some(h) = hit.as_deref_mut() {
                    h.push(RiskHit {
                        flag,
                        term: taxonomy.term_text(o.term).to_string(),
                        span: Some(Span {
                            turn,
                            start: o.start as usize,
                            end: o.end as usize,
                        }),
                    });
                }
            };
            // A threat only counts from the customer, and not when denied
            // (我没说要起诉); quality checks look at the agent, negation or not.
            if speaker != Speaker::Agent && o.negation != negation::Negation::Denial {
                if in_group(ESCALATION) {
                    flags.escalation = true;
                    record("escalation");
                }
                if in_group(CHURN) {
                    flags.churn = true;
                    record("churn");
                }
            }
            if speaker == Speaker::Agent {
                if Some(turn) == first_agent && in_group(GREETING) {
                    greeted = true;
                }
                if in_group(FORBIDDEN) {
                    flags.forbidden_phrase = true;
                    record("forbidden_phrase");
                }
            }
        }
        if first_agent.is_some() && !greeted {
            flags.no_greeting = true;
            if let Some(h) = hit.as_deref_mut() {
                h.push(RiskHit {
                    flag: "no_greeting",
                    term: String::new(),
                    span: first_agent.map(|turn| Span {
                        turn,
                        start: 0,
                        end: tokens[turn].len(),
                    }),
                });
            }
        }
        if let Some(h) = hit {
            h.sort_by_key(|h| h.span.map(|s| (s.turn, s.start)));
        }
        flags
    }
}

/// Taxonomy, sentiment and risk terms, compiled once and shared by all threads.
pub struct Classifier {
    pub taxonomy: Taxonomy,
    pub sentiment: SentimentModel,
    risk: RiskRules,
}

impl Classifier {
    pub fn new(mut taxonomy: Taxonomy, sentiment: SentimentModel, risk: &RiskTerms) -> Self {
        let risk = RiskRules::new(risk, &mut taxonomy);
        Classifier {
            taxonomy,
            sentiment,
            risk,
        }
    }

    pub fn classify(&self, contact: &Contact, tokens: &[TurnTokens]) -> Classification {
        let (categories, complaint, risk) = self.tag(contact, tokens);
        let (turn_sentiment, sentiment) = self.sentiment.score_contact_turns(contact, tokens);
        Classification {
            complaint,
            categories,
            sentiment,
            sentiment_label: sentiment::label(sentiment),
            turn_sentiment,
            risk,
        }
    }

    /// Categories, complaint and risk flags only (what `voc retag` re-applies), from
    /// one scan of the tokens; the repeat-contact flag is left unset (it needs history
    /// across contacts).
    pub fn tag(&self, contact: &Contact, tokens: &[TurnTokens]) -> (Vec<String>, bool, RiskFlags) {
        let occ = self.taxonomy.scan(contact, tokens);
        let categories = self.taxonomy.classify_scanned(contact, tokens, &occ);
        let complaint = self.taxonomy.any_complaint(&categories);
        let risk = self
            .risk
            .evaluate(contact, tokens, &occ, &self.taxonomy, None);
        (categories, complaint, risk)
    }

    /// Risk flags except repeat contact.
    pub fn risk(&self, contact: &Contact, tokens: &[TurnTokens]) -> RiskFlags {
        let occ = self.taxonomy.scan(contact, tokens);
        self.risk
            .evaluate(contact, tokens, &occ, &self.taxonomy, None)
    }

    /// The risk terms found, with where they were found, in text order.
    pub fn explain_risk(&self, contact: &Contact, tokens: &[TurnTokens]) -> Vec<RiskHit> {
        let occ = self.taxonomy.scan(contact, tokens);
        let mut hits = Vec::new();
        self.risk
            .evaluate(contact, tokens, &occ, &self.taxonomy, Some(&mut hits));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voc_core::Turn;

    fn contact(turns: &[(Speaker, &[&str])]) -> (Contact, Vec<TurnTokens>) {
        let t: Vec<Turn> = turns
            .iter()
            .map(|(s, toks)| Turn {
                speaker: *s,
                text: toks.concat(),
            })
            .collect();
        let tokens = turns
            .iter()
            .map(|(_, toks)| toks.iter().map(|&s| s.into()).collect())
            .collect();
        let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        (Contact::new("c", start, "voice", t), tokens)
    }

    fn classifier() -> Classifier {
        let tax = TaxonomySpec::parse(
            "[[category]]\nid = \"a/b\"\nname = \"b\"\nany = [\"断网\"]\n",
            "t.toml",
        )
        .unwrap()
        .compile();
        Classifier::new(tax, SentimentModel::default(), &RiskTerms::default())
    }

    #[test]
    fn risk_flags() {
        let c = classifier();
        let (ct, t) = contact(&[
            (Speaker::Agent, &["您好", "，", "请讲"]),
            (
                Speaker::Customer,
                &[
                    "再",
                    "断网",
                    "我",
                    "就",
                    "打",
                    "12315",
                    "，",
                    "然后",
                    "携号转网",
                ],
            ),
        ]);
        let r = c.classify(&ct, &t);
        assert_eq!(r.categories, vec!["a/b"]);
        assert!(r.complaint);
        assert_eq!(
            r.risk,
            RiskFlags {
                escalation: true,
                churn: true,
                ..Default::default()
            }
        );
        assert_eq!(r.turn_sentiment.len(), 2);

        // No greeting, a forbidden phrase, and a denied threat.
        let (ct, t) = contact(&[
            (Speaker::Agent, &["喂", "，", "说"]),
            (Speaker::Customer, &["我", "没有", "起诉", "你们"]),
            (Speaker::Agent, &["这", "不归", "我们", "管"]),
        ]);
        let r = c.risk(&ct, &t);
        assert_eq!(
            r,
            RiskFlags {
                no_greeting: true,
                forbidden_phrase: true,
                ..Default::default()
            }
        );
        let hits = c.explain_risk(&ct, &t);
        // In text order: the greeting-less first agent turn, then the phrase.
        assert_eq!(hits[0].flag, "no_greeting");
        assert_eq!(hits[1].flag, "forbidden_phrase");
        assert_eq!(hits[1].term, "这不归我们管");
        assert_eq!(
            hits[1].span,
            Some(Span {
                turn: 2,
                start: 0,
                end: 4
            })
        );

        // A threat said by the agent is not the customer's; a work order has no agent turn
        // so no greeting is expected.
        let (ct, t) = contact(&[(Speaker::Note, &["客户", "称", "要", "找", "媒体", "曝光"])]);
        assert_eq!(
            c.risk(&ct, &t),
            RiskFlags {
                escalation: true,
                ..Default::default()
            }
        );
    }
}
