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
pub mod sentiment_eval;
pub mod taxonomy;

use aho_corasick::AhoCorasick;
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
/// Default greetings: the opening of the first agent turn should contain one. Broad on
/// purpose — voice (感谢您的来电), chat (有什么可以帮您, 在的), e-mail (尊敬的客户) and
/// social-media helpdesks (亲, 很抱歉给您带来不便, 感谢您的关注) all open politely in their
/// own way, and a flag that fires on a courteous opening is noise. Matched as text, not
/// tokens (see [`CourtesyPhrases`]).
pub const GREETING_TERMS: &[&str] = &[
    // Greetings proper.
    "您好",
    "你好",
    "您早",
    "早上好",
    "上午好",
    "中午好",
    "下午好",
    "晚上好",
    "早安",
    "午安",
    "新年好",
    "过年好",
    "哈喽",
    "嗨",
    "hello",
    // Forms of address that open social-media and chat replies.
    "亲",
    "尊敬的",
    "亲爱的",
    "哈尼",
    "哈妮",
    "同学",
    "先生",
    "女士",
    "小姐",
    "童鞋",
    // Welcome and service offers.
    "欢迎致电",
    "欢迎来电",
    "欢迎光临",
    "欢迎咨询",
    "欢迎您",
    "很高兴为您服务",
    "很高兴为你服务",
    "竭诚为您",
    "为您服务",
    "有什么可以帮您",
    "有什么可以帮你",
    "有什么可以帮到您",
    "有什么可以为您",
    "有什么能帮您",
    "有什么问题我可以帮您",
    "有什么需要帮助",
    "请问有什么",
    "请问您有什么",
    "在的",
    "在呢",
    // Thanks for the call, the message, the patience (感谢您的来电/关注/支持/反馈 …).
    "感谢",
    "谢谢您",
    "谢谢关注",
    "谢谢支持",
    "多谢",
    "久等了",
    "让您久等",
    // The apology that opens a reply to a complaint (致歉语: 很抱歉给您带来不便 …).
    "抱歉",
    "歉意",
    "致歉",
    "不好意思",
    "给您带来不便",
    "给您带来的不便",
    // Self-introduction: 我是…客服, 工号….
    "我是",
    "工号",
    "客服代表",
];
/// Default closings: the end of the last agent turn should contain one — thanks, good
/// wishes, an offer of further help or a leave-taking (感谢您的来电, 祝您生活愉快, 还有其他
/// 可以帮您的吗, 如有疑问请随时联系我们, 再见).
pub const CLOSING_TERMS: &[&str] = &[
    // Leave-taking and good wishes.
    "再见",
    "再会",
    "拜拜",
    "晚安",
    "祝您",
    "祝你",
    "生活愉快",
    "工作愉快",
    "购物愉快",
    "工作顺利",
    "一路顺风",
    "一路平安",
    "节日快乐",
    "新年快乐",
    // Thanks (for calling, for the patience, the understanding, the support …).
    "感谢",
    "谢谢",
    "多谢",
    "不客气",
    "不用谢",
    // Further help offered.
    "还有其他",
    "还有什么",
    "其他问题",
    "其他疑问",
    "请问还有",
    "如有疑问",
    "如有问题",
    "如有需要",
    "如需帮助",
    "有任何问题",
    "有任何疑问",
    "随时联系",
    "再联系",
    "联系我们",
    "与我们联系",
    "随时私信",
    "随时关注",
    "随时咨询",
    "欢迎再次",
    "欢迎您再次",
    "欢迎随时",
    "期待您",
    "期待再次",
    "竭诚为您",
    "为您服务",
    "为您提供服务",
    // Asking for the evaluation (满意度评价) ends a voice or chat contact.
    "请对我的服务",
    "做出评价",
    "进行评价",
    "满意度",
    "是否满意",
    // Asking for understanding, or apologising, at the end of a reply.
    "谅解",
    "见谅",
    "给您添麻烦",
    "抱歉",
    "歉意",
];
/// Courtesy set phrases kept as single words in the segmenter's dictionary. Not for
/// matching (greetings and closings are matched as text) but so that sentiment does
/// not read the agent's 很高兴为您服务 as the customer's joy. They are the greetings voc
/// listed before its broad lists; configured `greeting_terms` are kept whole too.
pub const COURTESY_WORDS: &[&str] = &[
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
    pub closings: Vec<String>,
    pub forbidden: Vec<String>,
    /// Phrases the segmenter keeps whole for sentiment's sake (see [`COURTESY_WORDS`]).
    pub courtesy_words: Vec<String>,
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
            closings: owned(CLOSING_TERMS),
            forbidden: owned(FORBIDDEN_PHRASES),
            courtesy_words: owned(COURTESY_WORDS),
        }
    }
}

impl RiskTerms {
    /// The segmenter's extra words: the terms matched as tokens and the courtesy words.
    /// Greetings and closings are matched as text (see [`CourtesyPhrases`]), so the
    /// broad lists need no place in the dictionary.
    pub fn terms(&self) -> Vec<String> {
        self.escalation
            .iter()
            .chain(&self.churn)
            .chain(&self.forbidden)
            .chain(&self.courtesy_words)
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
    /// The customer's last turn's label, emotion and trajectory.
    pub mood: voc_core::CustomerMood,
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
const FORBIDDEN: usize = 2;

/// How far into the first agent turn a greeting, and how far from the end of the last
/// agent turn a closing, is looked for, in characters: room for a mention or a
/// self-introduction before 很高兴为您服务, and for a sign-off after 祝您生活愉快.
pub const COURTESY_WINDOW_CHARS: usize = 60;

/// Where a courtesy phrase is looked for in an agent turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnEnd {
    Opening,
    Closing,
}

/// Greetings or closings, compiled once into one automaton (ASCII case ignored) and
/// looked for in the opening or closing [`COURTESY_WINDOW_CHARS`] of a turn, given as
/// its stored tokens. Matched on the tokens' text, so the result does not depend on how
/// the turn was cut (有什么问题我可以帮您处理 is found whatever the dictionary).
pub struct CourtesyPhrases {
    automaton: Option<AhoCorasick>,
    /// Normalized phrases, searched one by one only if no automaton could be built.
    phrases: Vec<String>,
}

impl CourtesyPhrases {
    pub fn new(phrases: &[String]) -> Self {
        let phrases: Vec<String> = phrases
            .iter()
            .map(|p| rules::normalize_phrase(p))
            .filter(|p| !p.is_empty())
            .collect();
        // A DFA: two short windows per contact, a million contacts.
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&phrases)
            .or_else(|_| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&phrases)
            })
            .ok();
        CourtesyPhrases { automaton, phrases }
    }

    /// Whether a phrase occurs in the opening or the closing window of a turn.
    pub fn found(&self, tokens: &[voc_core::Token], end: TurnEnd) -> bool {
        thread_local! {
            static WINDOW: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        WINDOW.with_borrow_mut(|window| {
            courtesy_window(tokens, end, window);
            match &self.automaton {
                Some(automaton) => automaton.is_match(window.as_str()),
                None => {
                    let window = window.to_ascii_lowercase();
                    self.phrases.iter().any(|p| window.contains(p.as_str()))
                }
            }
        })
    }
}

/// The first or last [`COURTESY_WINDOW_CHARS`] characters of a turn's text, from its
/// tokens (whitespace was dropped when it was cut, punctuation kept).
fn courtesy_window(tokens: &[voc_core::Token], end: TurnEnd, text: &mut String) {
    text.clear();
    match end {
        TurnEnd::Opening => {
            let mut chars = 0;
            for token in tokens {
                text.push_str(token);
                chars += token.chars().count();
                if chars >= COURTESY_WINDOW_CHARS {
                    break;
                }
            }
            if let Some((cut, _)) = text.char_indices().nth(COURTESY_WINDOW_CHARS) {
                text.truncate(cut);
            }
        }
        TurnEnd::Closing => {
            let (mut chars, mut first) = (0, tokens.len());
            for (i, token) in tokens.iter().enumerate().rev() {
                first = i;
                chars += token.chars().count();
                if chars >= COURTESY_WINDOW_CHARS {
                    break;
                }
            }
            for token in &tokens[first..] {
                text.push_str(token);
            }
            let skip = chars.saturating_sub(COURTESY_WINDOW_CHARS);
            if let Some((cut, _)) = text.char_indices().nth(skip) {
                text.drain(..cut);
            }
        }
    }
}

/// The risk terms, interned into the taxonomy's dictionary so one scan of the tokens
/// finds rule terms and risk terms together; `groups[term]` is a bit set of groups.
/// Greetings and closings are phrases looked for in the agent's first and last turns.
struct RiskRules {
    groups: Vec<u8>,
    greetings: CourtesyPhrases,
    closings: CourtesyPhrases,
}

impl RiskRules {
    fn new(terms: &RiskTerms, taxonomy: &mut Taxonomy) -> Self {
        let mut phrases = Vec::new();
        let mut group_of = Vec::new();
        for (group, list) in [
            (ESCALATION, &terms.escalation),
            (CHURN, &terms.churn),
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
        RiskRules {
            groups,
            greetings: CourtesyPhrases::new(&terms.greetings),
            closings: CourtesyPhrases::new(&terms.closings),
        }
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
        let last_agent = contact.turns[..n]
            .iter()
            .rposition(|t| t.speaker == Speaker::Agent);
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
            if speaker == Speaker::Agent && in_group(FORBIDDEN) {
                flags.forbidden_phrase = true;
                record("forbidden_phrase");
            }
        }
        // A work order or a customer-only message has no agent turn: nothing to check.
        let checks = [
            (
                first_agent,
                TurnEnd::Opening,
                &self.greetings,
                "no_greeting",
            ),
            (last_agent, TurnEnd::Closing, &self.closings, "no_closing"),
        ];
        for (turn, end, phrases, flag) in checks {
            let Some(turn) = turn else { continue };
            if phrases.found(&tokens[turn], end) {
                continue;
            }
            match end {
                TurnEnd::Opening => flags.no_greeting = true,
                TurnEnd::Closing => flags.no_closing = true,
            }
            if let Some(h) = hit.as_deref_mut() {
                h.push(RiskHit {
                    flag,
                    term: String::new(),
                    span: Some(Span {
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
        self.classify_with(contact, tokens, true)
    }

    /// [`Self::classify`] for the history, which keeps no per-turn scores: agent turns
    /// are scored only where they count (a contact without a customer turn or note).
    pub fn classify_for_history(&self, contact: &Contact, tokens: &[TurnTokens]) -> Classification {
        self.classify_with(contact, tokens, false)
    }

    fn classify_with(
        &self,
        contact: &Contact,
        tokens: &[TurnTokens],
        score_agents: bool,
    ) -> Classification {
        let (categories, complaint, risk) = self.tag(contact, tokens);
        let reading = self
            .sentiment
            .read_contact_with(contact, tokens, score_agents);
        Classification {
            complaint,
            categories,
            sentiment: reading.score,
            sentiment_label: sentiment::label(reading.score),
            mood: reading.mood(),
            turn_sentiment: reading.turns,
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
            (
                Speaker::Agent,
                &["您好", "，", "请讲", "，", "祝您", "生活", "愉快"],
            ),
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

        // No greeting, a forbidden phrase, a denied threat, and no closing.
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
                no_closing: true,
                ..Default::default()
            }
        );
        let hits = c.explain_risk(&ct, &t);
        // In text order: the greeting-less first agent turn, then the phrase and the
        // closing-less last agent turn.
        assert_eq!(hits[0].flag, "no_greeting");
        assert_eq!(hits[1].flag, "forbidden_phrase");
        assert_eq!(hits[2].flag, "no_closing");
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

    /// Agent turns cut the way a segmenter might, whatever the cut: the phrases are
    /// found in the text.
    fn agent_only(first: &str, last: &str) -> (Contact, Vec<TurnTokens>) {
        let chars = |s: &str| s.chars().map(|c| c.to_string()).collect::<Vec<_>>();
        let (first, last) = (chars(first), chars(last));
        let first: Vec<&str> = first.iter().map(String::as_str).collect();
        let last: Vec<&str> = last.iter().map(String::as_str).collect();
        contact(&[
            (Speaker::Agent, &first),
            (Speaker::Customer, &["嗯"]),
            (Speaker::Agent, &last),
        ])
    }

    #[test]
    fn ordinary_openings_and_closings_of_every_channel_are_recognised() {
        let c = classifier();
        let openings = [
            "您好，很高兴为您服务，请问有什么可以帮您？",
            "有什么问题我可以帮您处理或解决呢",
            "亲，在的，请问有什么可以帮到您",
            "在的亲，您说",
            "感谢您的来电，我是8号话务员",
            "尊敬的客户：您好！关于您来信反映的问题",
            "很抱歉给您带来不便，请私信提供您的号码",
            "@用户小王 您好，已关注到您反映的问题",
            "哈喽，欢迎光临本店",
            "早上好，这里是售后服务中心",
            "亲爱的顾客，您的订单已为您加急",
        ];
        let closings = [
            "请问还有其他可以帮您的吗？",
            "感谢您的来电，祝您生活愉快，再见",
            "如有疑问请随时联系我们",
            "好的，不客气，有问题随时私信小编哦",
            "稍后请对我的服务做出评价，谢谢",
            "祝您购物愉快~",
            "给您带来不便，敬请谅解！",
        ];
        for (opening, closing) in openings.iter().zip(closings.iter().cycle()) {
            let (ct, t) = agent_only(opening, closing);
            let r = c.risk(&ct, &t);
            assert!(!r.no_greeting, "{opening}");
            assert!(!r.no_closing, "{closing}");
        }
        for (opening, closing) in [
            ("请提供一下订单号", "您重启一下光猫试试"),
            ("这个是系统问题", "已经转给技术部门了"),
            ("发货要等三天", "您再等等吧"),
        ] {
            let (ct, t) = agent_only(opening, closing);
            let r = c.risk(&ct, &t);
            assert!(r.no_greeting, "{opening}");
            assert!(r.no_closing, "{closing}");
        }
        // The greeting must open the turn: one said after the window does not count.
        let late = format!("{}您好", "请提供订单号".repeat(12));
        let (ct, t) = agent_only(&late, "谢谢");
        assert!(c.risk(&ct, &t).no_greeting);
        // Configured extras extend the defaults.
        let tax = TaxonomySpec::parse("", "t.toml").unwrap().compile();
        let mut terms = RiskTerms::default();
        terms.greetings.push("阿里旺旺为您".into());
        terms.closings.push("欢迎下次光临".into());
        let c = Classifier::new(tax, SentimentModel::default(), &terms);
        let (ct, t) = agent_only("阿里旺旺为您接入", "欢迎下次光临");
        let r = c.risk(&ct, &t);
        assert!(!r.no_greeting && !r.no_closing, "{r:?}");
    }
}
