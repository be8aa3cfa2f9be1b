//! Sentiment per turn and per contact: a lexicon with negation, degree adverbs and
//! contrast, domain overrides from the pipeline folder, and optionally a trained model
//! ([`crate::model`]). Agents are polite by script, so the contact score leans on
//! customer turns.
//!
//! Lexicon entries match runs of whole tokens, longest first, like taxonomy terms (so
//! `态度好` wins over `好`, and an entry is found however the segmenter cut it). A token
//! the lexicon does not know that starts with a negation character and continues with
//! a known word (`不好吃`, `没意思`) counts as that word negated.

use std::collections::HashMap;
use std::path::Path;
use voc_core::{Contact, CustomerMood, Speaker, Token, TurnTokens};

use crate::ClassifyError;
use crate::matcher::FxBuild;
use crate::model::{Example, LogisticModel};

/// The built-in lexicon: `word polarity` per line (polarity in [-2, 2]). General Chinese
/// opinion words plus service and product vocabulary; written for this project, not
/// taken from any evaluation corpus.
const LEXICON: &str = include_str!("../data/sentiment-lexicon.txt");

/// Words that flip the polarity of the opinion word after them.
const NEGATIONS: &[&str] = &[
    "不",
    "没",
    "没有",
    "未",
    "别",
    "不是",
    "并不",
    "从不",
    "毫不",
    "无",
    "并非",
    "决不",
    "绝不",
    "不会",
    "没什么",
    "不怎么",
    "不算",
];
/// Negations that also soften: `不太好` is less bad than `不好`.
const SOFT_NEGATIONS: &[(&str, f32)] = &[
    ("不太", 0.6),
    ("不是很", 0.6),
    ("不大", 0.6),
    ("不怎么", 0.6),
    ("不够", 0.8),
    ("没那么", 0.6),
    ("不算太", 0.5),
];
/// Contribution of a negation that negates no opinion word.
const DANGLING_NEGATION: f32 = -0.3;
/// Weight of what came before a contrast word.
const CONTRAST_BEFORE: f32 = 0.7;
/// How many tokens after a negation or a degree adverb the opinion word may stand.
const REACH: usize = 3;
const DEGREE: &[(&str, f32)] = &[
    ("非常", 1.8),
    ("特别", 1.8),
    ("太", 1.8),
    ("极其", 2.0),
    ("极", 1.8),
    ("超级", 1.8),
    ("超", 1.6),
    ("十分", 1.6),
    ("相当", 1.5),
    ("真", 1.4),
    ("真的", 1.4),
    ("实在", 1.5),
    ("好", 1.3),
    ("很", 1.3),
    ("挺", 1.2),
    ("蛮", 1.2),
    ("更", 1.3),
    ("最", 1.6),
    ("比较", 1.1),
    ("还", 0.8),
    ("还算", 0.8),
    ("有点", 0.7),
    ("有点儿", 0.7),
    ("有些", 0.7),
    ("稍微", 0.6),
    ("略", 0.6),
    ("一直", 1.3),
    ("老是", 1.4),
    ("老", 1.3),
    ("总是", 1.3),
    ("根本", 1.5),
    ("完全", 1.5),
    ("简直", 1.6),
    ("这么", 1.3),
    ("那么", 1.2),
    ("如此", 1.4),
    ("越来越", 1.4),
    ("偏", 1.0),
];
const CONTRAST: &[&str] = &["但是", "但", "不过", "可是", "然而", "就是", "只是", "可惜"];
/// What ends a question: praise inside one is asked about, not given (`你们确定这次能解决吗？`).
const QUESTION_MARKS: &[&str] = &["吗", "？", "?"];
/// Read as "had better" when a clause goes on after them (`你们最好说到做到`,
/// `最好今天给我处理`): a demand, not praise. Before a particle or at the end of a
/// clause they are the superlative (`服务是最好的`). 麻烦 likewise opens a polite
/// request (`麻烦问下`, `麻烦帮我查一下`) and is "troublesome" only at a clause's end
/// (`手续太麻烦了`).
const MODALS: &[&str] = &["最好", "麻烦"];
/// A question that starts with one of these asks about a case that may never happen
/// (`如果办了以后不合适能改吗？`): it holds no opinion either way.
const HYPOTHETICALS: &[&str] = &["如果", "假如", "要是", "万一", "假设", "如果说"];
/// A clause that starts with one of these speaks of how things were, which a customer
/// brings up because they are worse now (`以前信号挺好的，这个月才变差`): its praise
/// does not count.
const PAST_MARKERS: &[&str] = &["以前", "之前", "原来", "本来", "过去", "从前"];
/// Words that make a clause a request (`请尽快处理`, `你们尽快解决`; also
/// [`CHANGE_REQUESTS`]): what it asks for is not praise, so only its complaints count. 希望, 赶紧, 马上 and
/// 换个 are left out, as they as often tell of something good (`希望下次再合作`,
/// `马上就解决了`, `换个牌子试试`).
const REQUESTS: &[&str] = &["请", "烦请", "麻烦", "尽快", "务必"];
/// Before 把 these urge what follows (`赶紧把信号弄好`, `马上把网给我修好`): a demand,
/// a request like those above. Alone they as often tell of something good (`马上就到了`).
const URGES: &[&str] = &["赶紧", "马上", "赶快", "快点", "立刻", "立即"];
/// Praise of punctuality or steadiness right before a complaint is irony (`每天准时断线`,
/// `稳定掉线`): only the complaint counts.
const IRONIC_BEFORE_COMPLAINT: &[&str] = &["准时", "按时", "准点", "稳定", "定时"];
/// Request words that ask for a change (`改成便宜一点的`); they also end the taxonomy's
/// terms (`套餐改成`, which the pipeline adds to the segmenter's dictionary), and such a
/// term asks for a change too.
const CHANGE_REQUESTS: &[&str] = &["改成", "换成", "改为"];
/// A thanks standing alone right after a request is its courtesy (`请尽快处理，谢谢`),
/// not praise: a complaint e-mail's only positive word must not outweigh the complaint.
const COURTESIES: &[&str] = &["谢谢", "多谢", "谢谢您", "谢谢你", "谢谢你们"];
/// `一点耐心都没有`, `丝毫诚意也没有`: a word between one of these and 都/也 + a
/// negation is wholly absent, so it counts negated.
const NOT_ANY: &[&str] = &["一点", "一点儿", "一点点", "丝毫", "半点", "一丝", "任何"];
/// After one of these, 好好 is "properly", in a demand (`你们营业厅要好好整顿`), not
/// praise (`好好吃` is).
const MUSTS: &[&str] = &["要", "得", "必须", "应该", "应当", "需要", "能不能"];
/// Verbs after which 好 means "settled", not "good" (`约好了今天上门`, `谈好的价格`).
const SETTLED_BY: &[&str] = &["约", "预约", "约定", "谈", "商量", "定", "讲"];
/// A clause with one of these speaks of what was promised, which a customer brings up
/// because it was not kept (`说好的优惠呢`, `答应的返还一直没到`): its praise does not
/// count. 说好 is also 说 + 好 (`大家都说好`, `都说好用`); see [`SentimentModel::said_good`].
const PROMISES: &[&str] = &[
    "说好",
    "说好的",
    "承诺",
    "承诺的",
    "答应",
    "答应的",
    "答应过",
];
/// Before 说好 these make it "how to put it" (`不知怎么说好`): no opinion.
const HOW: &[&str] = &["怎么", "如何", "咋"];
/// A customer's answer to the agent that opens with one of these, alone in its clause,
/// acknowledges what the agent said (`好，你们快点`, `好的`): it is not praise. (In a
/// review, a leading 好 is praise, so only replies to an agent are read this way.)
const ACKNOWLEDGEMENTS: &[&str] = &[
    "好",
    "好的",
    "好吧",
    "行",
    "行吧",
    "嗯",
    "嗯嗯",
    "可以",
    "知道了",
    "明白",
    "明白了",
    "好好好",
    "好的好的",
    "ok",
    "OK",
];
/// Acknowledgements that give in rather than accept (`好吧`, `行吧`).
const RELUCTANT: &[&str] = &["好吧", "行吧"];
/// The score of a customer's reply that only acknowledges the agent's answer: it
/// accepts it, which leans the contact away from the complaint it opened with, but is
/// no praise, so it stays inside the neutral band.
const ACCEPTED: f32 = 0.9 * NEUTRAL_BAND;
const CLAUSE_BREAKS: &[&str] = &[
    "，", "。", "！", "？", "；", ",", ".", "!", "?", ";", "~", "～", "…", "……", "\n",
];

/// Attributes for which more is worse (`油耗太高`, `价格偏高`, `噪音大`): a magnitude word
/// after one of them is an opinion, against its direction.
const MORE_IS_WORSE: &[&str] = &[
    "油耗",
    "价格",
    "价钱",
    "售价",
    "定价",
    "费用",
    "资费",
    "话费",
    "月租",
    "运费",
    "收费",
    "手续费",
    "服务费",
    "维修费",
    "保养费",
    "油价",
    "房价",
    "噪音",
    "噪声",
    "胎噪",
    "风噪",
    "故障率",
    "返修率",
    "延迟",
    "时延",
    "延时",
    "辐射",
    "发热",
    "耗电",
    "功耗",
    "电费",
    "误差",
    "掉线率",
    "异味",
    "气味",
    "甲醛",
    "门槛",
    "难度",
    "压力",
    "成本",
    "负担",
    "风险",
    "价位",
    "房费",
    "押金",
    "年费",
    "利息",
    "违约金",
    "滞纳金",
    "物业费",
    "停车费",
    "流量费",
    "漫游费",
    "月费",
    "套餐费",
    "耗油",
    "等待时间",
    "排队时间",
    "广告",
];
/// Attributes for which more is better (`空间小`, `信号太差`, `速度还行` are read with
/// the lexicon; `信号弱`, `网速慢`, `续航短` with the magnitude word).
const MORE_IS_BETTER: &[&str] = &[
    "空间",
    "信号",
    "速度",
    "网速",
    "性价比",
    "质量",
    "续航",
    "动力",
    "马力",
    "扭矩",
    "分量",
    "效率",
    "配置",
    "颜值",
    "音质",
    "画质",
    "分辨率",
    "容量",
    "内存",
    "电量",
    "待机",
    "口碑",
    "品质",
    "稳定性",
    "舒适性",
    "舒适度",
    "隔音",
    "视野",
    "亮度",
    "清晰度",
    "流量",
    "带宽",
    "覆盖",
    "覆盖率",
    "满意度",
    "诚意",
    "积极性",
    "信誉",
    "精度",
    "灵敏度",
    "加速",
    "后劲",
    "房间",
    "面积",
    "屏幕",
    "电池",
    "性能",
    "水压",
    "热水",
    "份量",
    "储物空间",
    "后备箱",
    "像素",
    "字体",
    "保值率",
    "残值",
    "离地间隙",
    "透气性",
    "保暖性",
];
/// Magnitude words: +1 more, -1 less. Alone they hold no opinion (`高铁`, `大家` are
/// other tokens); after an attribute above they do.
const MAGNITUDES: &[(&str, i8)] = &[
    ("高", 1),
    ("大", 1),
    ("多", 1),
    ("强", 1),
    ("长", 1),
    ("足", 1),
    ("猛", 1),
    ("充足", 1),
    ("低", -1),
    ("小", -1),
    ("少", -1),
    ("弱", -1),
    ("短", -1),
    ("不足", -1),
    ("有限", -1),
];
/// Last characters of [`MAGNITUDES`]: only a token ending in one can be an attribute
/// fused with its magnitude.
const MAGNITUDE_ENDS: &str = "高大多强长足猛低小少弱短限";
/// One-character degree prefixes fused with a magnitude word into one token by the
/// segmenter (`偏高`, `太小`, `过低`), with their weight.
const FUSED_DEGREES: &[(&str, f32)] = &[
    ("偏", 1.0),
    ("过", 1.5),
    ("太", 1.8),
    ("很", 1.3),
    ("较", 1.0),
    ("挺", 1.2),
    ("超", 1.6),
    ("蛮", 1.2),
    ("好", 1.3),
    ("最", 1.6),
    ("更", 1.3),
];

/// A mild property word after 太 is too much of it (`太软了`, `太甜`): a fault, unlike
/// 太 before praise (`太好了`, `太方便了`). Below this polarity a word is a property.
const EXCESS_BELOW: f32 = 0.5;
/// The degree adverb that says "too".
const EXCESS: &str = "太";
/// Last characters that make an unknown token a breakage or a pain (`冻坏`, `摔碎`,
/// `腰疼`, `胃痛`): a verb or body part with its bad result.
const BROKEN_ENDS: &[char] = &['坏', '碎', '裂', '塌', '瘪', '疼', '痛'];
/// Tokens with those endings that are not a fault (`止痛`, `镇痛`).
const NOT_BROKEN: &[&str] = &["止痛", "镇痛"];
/// A negation inside such a token denies it (`腰不疼`, `没摔坏`).
const NOT_IN_TOKEN: &[char] = &['不', '没', '无', '未'];
/// What such a breakage or pain weighs.
const BROKEN: f32 = -1.0;

/// The customer's emotion, by the words that show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emotion {
    /// 愤怒: anger, insult, threats to escalate.
    Anger,
    /// 焦急: urgency, waiting, chasing.
    Urgency,
    /// 失望: disappointment, resignation, sarcasm.
    Disappointment,
    /// 满意: satisfaction, thanks for what was done.
    Satisfaction,
}

impl Emotion {
    pub const ALL: [Emotion; 4] = [
        Emotion::Anger,
        Emotion::Urgency,
        Emotion::Disappointment,
        Emotion::Satisfaction,
    ];

    /// The name stored in the history and searched (`emotion:愤怒`).
    pub fn as_str(self) -> &'static str {
        match self {
            Emotion::Anger => "愤怒",
            Emotion::Urgency => "焦急",
            Emotion::Disappointment => "失望",
            Emotion::Satisfaction => "满意",
        }
    }
}

/// Words that show an emotion, with their weight (1 plain, more for strong words).
/// Emoji codes are matched as tokens: the segmenter cuts `[怒]` into `[`, `怒`, `]`.
const EMOTION_WORDS: &[(Emotion, &[(&str, f32)])] = &[
    (
        Emotion::Anger,
        &[
            ("气死", 2.0),
            ("气愤", 1.5),
            ("愤怒", 1.5),
            ("生气", 1.2),
            ("火大", 1.5),
            ("恼火", 1.5),
            ("可恶", 1.5),
            ("混蛋", 2.0),
            ("垃圾", 1.5),
            ("骗子", 2.0),
            ("坑人", 1.5),
            ("坑爹", 1.5),
            ("流氓", 2.0),
            ("无耻", 2.0),
            ("过分", 1.2),
            ("岂有此理", 2.0),
            ("忍无可忍", 2.0),
            ("凭什么", 1.5),
            ("投诉", 0.8),
            ("举报", 1.2),
            ("曝光", 1.2),
            ("工信部", 1.2),
            ("欺诈", 1.5),
            ("欺骗", 1.5),
            ("强烈", 0.8),
            ("搞什么", 1.5),
            ("滚", 1.5),
            ("怒", 1.5),
            ("抓狂", 1.5),
            ("鄙视", 1.2),
            ("愤慨", 1.5),
            ("黑心", 1.5),
            ("霸王", 1.2),
            ("讨说法", 1.2),
            ("不像话", 1.5),
        ],
    ),
    (
        Emotion::Urgency,
        &[
            ("着急", 1.5),
            ("急", 1.2),
            ("急死", 2.0),
            ("急用", 1.5),
            ("尽快", 1.0),
            ("赶紧", 1.2),
            ("赶快", 1.2),
            ("马上", 0.8),
            ("立刻", 1.0),
            ("立即", 1.0),
            ("快点", 1.2),
            ("催", 1.2),
            ("催促", 1.2),
            ("耽误", 1.2),
            ("等", 0.4),
            ("等了", 1.0),
            ("还没", 0.8),
            ("还没有", 0.8),
            ("多久", 1.0),
            ("什么时候", 0.8),
            ("迟迟", 1.2),
            ("一直", 0.5),
            ("今天", 0.3),
            ("火速", 1.5),
            ("十万火急", 2.0),
        ],
    ),
    (
        Emotion::Disappointment,
        &[
            ("失望", 1.5),
            ("无语", 1.5),
            ("无奈", 1.2),
            ("算了", 1.0),
            ("唉", 1.2),
            ("哎", 0.6),
            ("寒心", 1.5),
            ("心寒", 1.5),
            ("伤心", 1.2),
            ("郁闷", 1.2),
            ("后悔", 1.5),
            ("呵呵", 1.0),
            ("泪", 1.0),
            ("衰", 1.0),
            ("悲伤", 1.2),
            ("白等", 1.2),
            ("没用", 1.0),
            ("服了", 1.2),
            ("醉了", 1.2),
            ("不指望", 1.5),
            ("再也不", 1.5),
            ("不再", 0.8),
            ("心累", 1.5),
            ("绝望", 2.0),
            ("失败", 0.8),
        ],
    ),
    (
        Emotion::Satisfaction,
        &[
            ("满意", 1.5),
            ("谢谢", 0.6),
            ("感谢", 1.0),
            ("多谢", 1.0),
            ("给力", 1.5),
            ("赞", 1.2),
            ("好评", 1.5),
            ("点赞", 1.5),
            ("辛苦", 0.8),
            ("解决", 0.5),
            ("靠谱", 1.2),
            ("贴心", 1.2),
            ("开心", 1.2),
            ("高兴", 1.0),
            ("及时", 0.8),
            ("哈哈", 0.8),
            ("嘻嘻", 0.8),
            ("心", 0.5),
            ("耐心", 0.8),
            ("专业", 0.8),
        ],
    ),
];

/// Parses `word polarity` lines (`#` comments, blank lines ignored); errors name
/// `file:line`.
pub fn parse_lexicon(text: &str, file: &str) -> Result<Vec<(String, f32)>, ClassifyError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| ClassifyError::Line {
            file: file.to_string(),
            line: i + 1,
            message,
        };
        let mut parts = line.split_whitespace();
        let (Some(word), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err(format!(
                "expected `word polarity` (e.g. `卡 0`), found {line:?}"
            )));
        };
        let polarity: f32 = value
            .parse()
            .ok()
            .filter(|p: &f32| p.is_finite() && (-2.0..=2.0).contains(p))
            .ok_or_else(|| {
                err(format!(
                    "polarity {value:?}: expected a number from -2 to 2"
                ))
            })?;
        out.push((word.to_lowercase(), polarity));
    }
    Ok(out)
}

/// A sentiment scorer: the lexicon (with overrides) and optionally a trained model.
#[derive(Debug, Clone, Copy, Default)]
struct LexiconEntry {
    polarity: Option<f32>,
    continues: bool,
    /// What the token does as a function word, in the same entry so that one lookup
    /// per token answers both questions.
    role: Role,
}

/// What a function word does in a clause. One lookup per token replaces a scan of each
/// word list (the lists were a tenth of a run's CPU time).
#[derive(Debug, Clone, Copy, Default)]
struct Role {
    clause_break: bool,
    contrast: bool,
    negation: bool,
    soft_negation: Option<f32>,
    degree: Option<f32>,
    question: bool,
    modal: bool,
    past: bool,
    request: bool,
    courtesy: bool,
    not_any: bool,
    settles: bool,
    must: bool,
    hypothetical: bool,
    acknowledgement: bool,
    promise: bool,
    urge: bool,
    ironic: bool,
    /// An attribute: +1 more is better (`空间`), -1 more is worse (`油耗`), 0 neither.
    aspect: i8,
    /// A magnitude word's direction and the weight of a degree fused into it (`偏高`).
    magnitude: Option<(i8, f32)>,
    /// The emotion the word shows, and how strongly.
    emotion: Option<(Emotion, f32)>,
}

impl Role {
    fn is_function_word(self) -> bool {
        self.contrast || self.negation || self.soft_negation.is_some() || self.degree.is_some()
    }
}

fn roles() -> HashMap<&'static str, Role, FxBuild> {
    let mut roles: HashMap<&'static str, Role, FxBuild> = HashMap::default();
    let mut mark = |words: &[&'static str], set: fn(&mut Role)| {
        for w in words {
            set(roles.entry(w).or_default());
        }
    };
    mark(CLAUSE_BREAKS, |r| r.clause_break = true);
    mark(CONTRAST, |r| r.contrast = true);
    mark(NEGATIONS, |r| r.negation = true);
    mark(QUESTION_MARKS, |r| r.question = true);
    mark(MODALS, |r| r.modal = true);
    mark(PAST_MARKERS, |r| r.past = true);
    mark(REQUESTS, |r| r.request = true);
    mark(CHANGE_REQUESTS, |r| r.request = true);
    mark(COURTESIES, |r| r.courtesy = true);
    mark(NOT_ANY, |r| r.not_any = true);
    mark(SETTLED_BY, |r| r.settles = true);
    mark(MUSTS, |r| r.must = true);
    mark(HYPOTHETICALS, |r| r.hypothetical = true);
    mark(ACKNOWLEDGEMENTS, |r| r.acknowledgement = true);
    mark(PROMISES, |r| r.promise = true);
    mark(URGES, |r| r.urge = true);
    mark(IRONIC_BEFORE_COMPLAINT, |r| r.ironic = true);
    for (w, soft) in SOFT_NEGATIONS {
        roles.entry(w).or_default().soft_negation = Some(*soft);
    }
    for (w, d) in DEGREE {
        roles.entry(w).or_default().degree = Some(*d);
    }
    for w in MORE_IS_WORSE {
        roles.entry(w).or_default().aspect = -1;
    }
    for w in MORE_IS_BETTER {
        roles.entry(w).or_default().aspect = 1;
    }
    for (emotion, words) in EMOTION_WORDS {
        for (w, weight) in *words {
            roles.entry(w).or_default().emotion = Some((*emotion, *weight));
        }
    }
    roles
}

/// Magnitude words, alone and fused with a degree prefix (`高`, `偏高`, `太小`).
fn magnitudes() -> Vec<(String, (i8, f32))> {
    let mut out = Vec::new();
    for &(word, direction) in MAGNITUDES {
        out.push((word.to_string(), (direction, 1.0)));
        if word.chars().count() == 1 {
            for &(degree, factor) in FUSED_DEGREES {
                out.push((format!("{degree}{word}"), (direction, factor)));
            }
            // `不高`, `不大`: the opposite, mildly (`油耗不高` is good, not very good).
            out.push((format!("不{word}"), (-direction, 0.6)));
        }
    }
    out
}

fn first_char(word: &str) -> Option<char> {
    word.chars().next()
}

fn last_char(word: &str) -> Option<char> {
    word.chars().next_back()
}

/// `items` (word, value) grouped by a character of the word, in their order.
fn by_char<T>(
    items: impl Iterator<Item = (&'static str, T)>,
    key: fn(&str) -> Option<char>,
) -> HashMap<char, Vec<T>, FxBuild> {
    let mut out: HashMap<char, Vec<T>, FxBuild> = HashMap::default();
    for (word, value) in items {
        if let Some(c) = key(word) {
            out.entry(c).or_default().push(value);
        }
    }
    out
}

const COMPOUND_NEGATIONS: [&str; 4] = ["没有", "不", "没", "无"];
const PARTICLES: [&str; 11] = [
    "了", "的", "啊", "呀", "哦", "啦", "吧", "呢", "哈", "极了", "死了",
];

#[derive(Clone)]
pub struct SentimentModel {
    polarity: HashMap<String, f32, FxBuild>,
    /// Every lexicon word and every proper prefix of one: its polarity if it is a word,
    /// and whether a longer word starts with it; and every function word with its role.
    /// One lookup per step of a match.
    entries: HashMap<String, LexiconEntry, FxBuild>,
    max_len: usize,
    /// The negations and degree words a compound can start with, by first character,
    /// and the particles it can end with, by last character, each list in the order of
    /// its table: [`SentimentModel::compound`] tries only those that can match (most
    /// tokens have none; `一`, `有`, `这` start many tokens but only one to three degree words).
    compound_negations: HashMap<char, Vec<&'static str>, FxBuild>,
    compound_degrees: HashMap<char, Vec<(&'static str, f32)>, FxBuild>,
    compound_particles: HashMap<char, Vec<&'static str>, FxBuild>,
    trained: Option<LogisticModel>,
}

impl Default for SentimentModel {
    fn default() -> Self {
        Self::with_overrides(std::iter::empty())
    }
}

impl std::fmt::Debug for SentimentModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentimentModel")
            .field("lexicon_entries", &self.polarity.len())
            .field("trained", &self.trained.is_some())
            .finish()
    }
}

impl SentimentModel {
    /// The built-in lexicon with `overrides` (word, polarity in [-2, 2]) applied last;
    /// polarity 0 removes a word (`卡` is a SIM card in telecom, not lag).
    pub fn with_overrides(overrides: impl IntoIterator<Item = (String, f32)>) -> Self {
        let mut polarity: HashMap<String, f32, FxBuild> = HashMap::default();
        // The built-in file is tested; a malformed line there is a bug caught by tests.
        polarity.extend(parse_lexicon(LEXICON, "sentiment-lexicon.txt").unwrap_or_default());
        for (word, p) in overrides {
            polarity.insert(word.to_lowercase(), p);
        }
        polarity.retain(|_, p| *p != 0.0);
        let mut entries: HashMap<String, LexiconEntry, FxBuild> = HashMap::default();
        let mut max_len = 0;
        for (word, p) in &polarity {
            max_len = max_len.max(word.len());
            entries.entry(word.clone()).or_default().polarity = Some(*p);
            for (i, _) in word.char_indices().skip(1) {
                entries.entry(word[..i].to_string()).or_default().continues = true;
            }
        }
        for (word, role) in roles() {
            entries.entry(word.to_string()).or_default().role = role;
        }
        for (word, magnitude) in magnitudes() {
            entries.entry(word).or_default().role.magnitude = Some(magnitude);
        }
        SentimentModel {
            polarity,
            entries,
            max_len,
            compound_negations: by_char(COMPOUND_NEGATIONS.iter().map(|&w| (w, w)), first_char),
            compound_degrees: by_char(DEGREE.iter().map(|&(w, f)| (w, (w, f))), first_char),
            compound_particles: by_char(PARTICLES.iter().map(|&w| (w, w)), last_char),
            trained: None,
        }
    }

    /// Reads an overrides file (`word polarity` per line).
    pub fn load_overrides(path: &Path) -> Result<Vec<(String, f32)>, ClassifyError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ClassifyError::Read {
            path: file.clone(),
            source,
        })?;
        parse_lexicon(&text, &file)
    }

    /// Uses `model` for scores; the lexicon stays as one of its features.
    pub fn with_model(mut self, model: LogisticModel) -> Self {
        self.trained = Some(model);
        self
    }

    pub fn trained(&self) -> Option<&LogisticModel> {
        self.trained.as_ref()
    }

    /// Polarity of the lexicon entry spelled by `tokens[i..j]` for the longest such `j`.
    fn longest_entry(&self, tokens: &[Token], i: usize, buf: &mut String) -> Option<(usize, f32)> {
        // Most tokens are neither a word nor the start of one: one lookup, no copy.
        let first = self.entries.get(tokens.get(i)?.as_str())?;
        self.longest_from(tokens, i, first, buf)
    }

    /// [`Self::longest_entry`] with the entry of `tokens[i]` already looked up.
    fn longest_from(
        &self,
        tokens: &[Token],
        i: usize,
        first: &LexiconEntry,
        buf: &mut String,
    ) -> Option<(usize, f32)> {
        let mut best = first.polarity.map(|p| (i + 1, p));
        if !first.continues {
            return best;
        }
        buf.clear();
        buf.push_str(&tokens[i]);
        for (j, token) in tokens.iter().enumerate().skip(i + 1) {
            buf.push_str(token);
            if buf.len() > self.max_len {
                break;
            }
            let Some(entry) = self.entries.get(buf.as_str()) else {
                break;
            };
            if let Some(p) = entry.polarity {
                best = Some((j + 1, p));
            }
            if !entry.continues {
                break;
            }
        }
        best
    }

    /// Polarity of a token the lexicon does not know, read as parts it does know:
    /// negation + word (`不好吃`), degree + word (`挺好吃`, `太小`), word + particle
    /// (`好吃的`), or a repeated word (`差差差`).
    fn compound(&self, token: &str, depth: u8) -> Option<f32> {
        if depth > 2 || token.is_empty() {
            return None;
        }
        let mut chars = token.chars();
        let first = chars.next()?;
        let last = chars.next_back().unwrap_or(first);
        let repeated = token.len() > first.len_utf8() && token.chars().all(|c| c == first);
        let negations = self.compound_negations.get(&first);
        let degrees = self.compound_degrees.get(&first);
        let particles = self.compound_particles.get(&last);
        if depth == 0
            && let Some(p) = self.fused_attribute(token, last)
        {
            return Some(p);
        }
        let broken = depth == 0
            && token.len() > last.len_utf8()
            && BROKEN_ENDS.contains(&last)
            && !NOT_BROKEN.contains(&token)
            && !token.contains(NOT_IN_TOKEN);
        if negations.is_none() && degrees.is_none() && particles.is_none() && !repeated && !broken {
            return None;
        }
        let known = |w: &str| {
            self.polarity
                .get(w)
                .copied()
                .or_else(|| self.compound(w, depth + 1))
        };
        for &neg in negations.into_iter().flatten() {
            if let Some(rest) = token.strip_prefix(neg)
                && !rest.is_empty()
                && let Some(p) = known(rest)
            {
                return Some(flip(p, 1.0));
            }
        }
        for &(degree, factor) in degrees.into_iter().flatten() {
            if let Some(rest) = token.strip_prefix(degree)
                && !rest.is_empty()
                && let Some(p) = known(rest)
            {
                if degree == EXCESS && p > 0.0 && p < EXCESS_BELOW {
                    return Some(too_much(p, factor));
                }
                return Some(p * factor);
            }
        }
        for &particle in particles.into_iter().flatten() {
            if let Some(rest) = token.strip_suffix(particle)
                && !rest.is_empty()
                && let Some(p) = known(rest)
            {
                let factor = if particle.chars().count() > 1 {
                    1.6
                } else {
                    1.0
                };
                return Some(p * factor);
            }
        }
        if repeated {
            let mut buf = [0u8; 4];
            return self
                .polarity
                .get(first.encode_utf8(&mut buf) as &str)
                .map(|p| p * 1.5);
        }
        broken.then_some(BROKEN)
    }

    /// An attribute and its magnitude cut as one token (`油耗高`, `空间偏小`): the
    /// opinion they make, against the attribute's direction.
    fn fused_attribute(&self, token: &str, last: char) -> Option<f32> {
        if !MAGNITUDE_ENDS.contains(last) {
            return None;
        }
        token.char_indices().skip(1).find_map(|(split, _)| {
            let (head, tail) = token.split_at(split);
            let more = self.entries.get(head)?.role.aspect;
            let (direction, factor) = self.entries.get(tail)?.role.magnitude?;
            (more != 0).then(|| f32::from(direction * more) * factor)
        })
    }

    /// Lexicon score of one token sequence in [-1, 1]; 0 when no opinion word occurs.
    pub fn lexicon_score(&self, tokens: &[Token]) -> f32 {
        self.read_tokens(tokens, None)
    }

    /// [`Self::lexicon_score`], adding the weight of each emotion word met to
    /// `emotions` (indexed as [`Emotion::ALL`]) in the same pass.
    fn read_tokens(&self, tokens: &[Token], mut emotions: Option<&mut [f32; 4]>) -> f32 {
        let mut total = 0.0f32;
        // An attribute waiting for its magnitude word (`油耗 … 高`): its direction and
        // the token index until which it reaches.
        let mut aspect: Option<(i8, usize)> = None;
        let mut clause = Clause::default();
        // Pending modifiers and the token index until which they reach.
        let mut modifier = (1.0f32, 0usize);
        // Until which token a 太 reaches (a mild property word after it is a fault).
        let mut excess: Option<usize> = None;
        let mut negate: Option<(f32, usize)> = None;
        let mut hits = 0u32;
        // Whether the last non-empty clause asked for something (a thanks right after
        // a request is courtesy).
        let mut after_request = false;
        let mut buf = String::new();
        let mut i = 0;
        let dangling = |negate: &mut Option<(f32, usize)>, clause: &mut Clause, hits: &mut u32| {
            // A negation with no opinion word after it (`还没有送到`, `根本没`) says
            // something expected is missing: mildly negative.
            if negate.take().is_some_and(|(soft, _)| soft == 1.0) {
                clause.value += DANGLING_NEGATION;
                *hits += 1;
            }
        };
        while i < tokens.len() {
            let t = tokens[i].as_str();
            let entry_of_t = self.entries.get(t);
            let role = entry_of_t.map(|e| e.role).unwrap_or_default();
            if let (Some(sums), Some((emotion, weight))) = (emotions.as_deref_mut(), role.emotion) {
                sums[emotion as usize] += weight;
            }
            if role.clause_break {
                aspect = None;
                dangling(&mut negate, &mut clause, &mut hits);
                clause.asked |= role.question;
                total += clause.said();
                if i > clause.start {
                    // A thanks closing a demand, a complaint or a question is courtesy.
                    after_request = clause.request || clause.asked || clause.value < 0.0;
                }
                clause = Clause {
                    start: i + 1,
                    ..Clause::default()
                };
                modifier = (1.0, 0);
                i += 1;
                continue;
            }
            let clause_start = clause.start;
            clause.asked |= role.question;
            clause.hypothetical |= role.hypothetical && i == clause_start;
            if !clause.request {
                clause.request = role.request
                    || (role.urge && tokens.get(i + 1).is_some_and(|next| next == "把"))
                    || (entry_of_t.is_none() && asks_for_change(t));
            }
            clause.past |= role.past && i == clause_start;
            if role.courtesy && after_request && i == clause_start {
                i += 1;
                continue;
            }
            // 说 + 好 (`都说好用`) is read as the opinion word it holds, negated or
            // strengthened like any other (`也就是不说好`).
            let mut said_good = None;
            if role.promise {
                match self.said_good(tokens, i) {
                    SaidGood::Praise(end, p) => said_good = Some((end, p)),
                    SaidGood::HowToPutIt => {
                        i += 1;
                        continue;
                    }
                    SaidGood::Promise => clause.promised = true,
                }
            }
            if role.ironic
                && self
                    .longest_entry(tokens, i + 1, &mut buf)
                    .is_some_and(|(_, p)| p < 0.0)
            {
                i += 1;
                continue;
            }
            let properly = t == "好好" && i > clause_start && self.role(&tokens[i - 1]).must;
            if (role.modal || properly) && self.clause_goes_on(tokens.get(i + 1)) {
                i += 1;
                continue;
            }
            // Opinion words first, so `不错`, `不满` and `太差` are read whole; but a
            // one-token entry that is also a degree adverb before another opinion word
            // is the adverb (`好慢` is very slow, not good and slow), before 几 a
            // quantity (`好几次`), and 好 after a verb of agreeing is "settled"
            // (`约好了`).
            let mut entry = said_good
                .or_else(|| {
                    entry_of_t.and_then(|first| self.longest_from(tokens, i, first, &mut buf))
                })
                .filter(|&(end, _)| {
                    !(end == i + 1
                        && ((role.degree.is_some()
                            && (self.longest_entry(tokens, i + 1, &mut buf).is_some()
                                || tokens.get(i + 1).is_some_and(|n| n.starts_with('几'))))
                            || (t == "好"
                                && i > clause_start
                                && self.role(&tokens[i - 1]).settles)))
                });
            if entry.is_none() && !role.is_function_word() {
                entry = self.compound(t, 0).map(|p| (i + 1, p));
            }
            // An attribute and its magnitude (`油耗 太 高`, `空间 小`, `价格 比 别家 高`).
            if entry.is_none()
                && let (Some((direction, factor)), Some((more, until))) = (role.magnitude, aspect)
                && until >= i
            {
                entry = Some((i + 1, f32::from(direction * more) * factor));
            }
            if role.aspect != 0 {
                aspect = Some((role.aspect, i + REACH + 1));
            }
            if let Some((mut end, p)) = entry {
                let mut value = p;
                if modifier.1 >= i {
                    value = if excess.is_some_and(|until| until >= i) && p > 0.0 && p < EXCESS_BELOW
                    {
                        too_much(p, modifier.0)
                    } else {
                        value * modifier.0
                    };
                }
                if let Some((soft, until)) = negate
                    && until >= i
                {
                    value = flip(value, soft);
                }
                if self.none_of_it(tokens, clause_start, i, end) {
                    value = flip(value, 1.0);
                    end += 2;
                }
                // What was promised is not praise (`说好的优惠呢`): only the promise
                // word's own disappointment counts.
                if !(clause.promised && value > 0.0) {
                    clause.value += value;
                    hits += 1;
                }
                modifier = (1.0, 0);
                negate = None;
                i = end;
                continue;
            }
            if role.contrast {
                aspect = None;
                dangling(&mut negate, &mut clause, &mut hits);
                // What follows a contrast is what the speaker means: weaken what came before.
                total = (total + clause.value) * CONTRAST_BEFORE;
                clause.value = 0.0;
                modifier = (1.0, 0);
            } else if let Some(soft) = role.soft_negation {
                negate = Some((soft, i + REACH));
            } else if role.negation {
                negate = match negate {
                    // 不是不好: two negations cancel.
                    Some((_, until)) if until >= i => None,
                    _ => Some((1.0, i + REACH)),
                };
            } else if let Some(d) = role.degree {
                let factor = if modifier.1 >= i { modifier.0 * d } else { d };
                modifier = (factor, i + REACH);
                excess = (t == EXCESS).then_some(i + REACH);
            }
            i += 1;
        }
        dangling(&mut negate, &mut clause, &mut hits);
        total += clause.said();
        if hits == 0 {
            return 0.0;
        }
        (total / 1.5).tanh()
    }

    fn role(&self, token: &str) -> Role {
        self.entries.get(token).map(|e| e.role).unwrap_or_default()
    }

    /// Whether the opinion word `tokens[start..end]` stands in `一点 … 都/也 没有`,
    /// i.e. is wholly absent: a not-any word at most two tokens before it (in its
    /// clause), 都 or 也 and a negation right after it.
    fn none_of_it(&self, tokens: &[Token], clause_start: usize, start: usize, end: usize) -> bool {
        matches!(tokens.get(end).map(|t| t.as_str()), Some("都" | "也"))
            && tokens.get(end + 1).is_some_and(|t| self.role(t).negation)
            // The negation ends the clause (`都没有`, `也没有了`): before a verb it
            // negates the verb (`一点问题都不解决`).
            && (tokens.get(end + 2).is_some_and(|t| t == "有")
                || !self.clause_goes_on(tokens.get(end + 2)))
            && tokens[clause_start.max(start.saturating_sub(2))..start]
                .iter()
                .any(|t| self.role(t).not_any)
    }

    /// How the promise word `tokens[i]` reads: 说好 is 说 + 好 at a clause's end
    /// (`大家都说好`) and before what makes 好 an opinion word (`都说好用`, cut 说好 | 用),
    /// "how to put it" after 怎么 (`不知怎么说好`), and otherwise, like every other
    /// promise word, "agreed" (`说好的优惠呢`, `说好了三天内上门`).
    fn said_good(&self, tokens: &[Token], i: usize) -> SaidGood {
        if tokens[i] != "说好" {
            return SaidGood::Promise;
        }
        if i > 0 && HOW.contains(&tokens[i - 1].as_str()) {
            return SaidGood::HowToPutIt;
        }
        let good = |word: &str, end: usize| {
            self.polarity
                .get(word)
                .map_or(SaidGood::Promise, |&p| SaidGood::Praise(end, p))
        };
        match tokens.get(i + 1) {
            None => good("好", i + 1),
            Some(next) if self.role(next).clause_break => good("好", i + 1),
            Some(next) if PARTICLES.contains(&next.as_str()) => SaidGood::Promise,
            Some(next) => good(&format!("好{next}"), i + 2),
        }
    }

    /// How many leading tokens of a reply acknowledge what was said: its leading clauses
    /// made of acknowledgements and particles only, with the breaks after them (`嗯 ，`
    /// and `好 的 ，` of `嗯，好的，你们快点`), or 0.
    fn acknowledgement_len(&self, tokens: &[Token]) -> usize {
        let mut acknowledged = 0;
        let mut i = 0;
        loop {
            let start = i;
            while tokens.get(i).is_some_and(|t| {
                self.role(t).acknowledgement || (i > start && PARTICLES.contains(&t.as_str()))
            }) {
                i += 1;
            }
            if i == start {
                return acknowledged;
            }
            match tokens.get(i) {
                None => return i,
                Some(next) if self.role(next).clause_break => {
                    i += 1;
                    acknowledged = i;
                }
                Some(_) => return acknowledged,
            }
        }
    }

    /// Whether a clause continues with `next` (not at its end, nor a particle such as
    /// 的 or 了).
    fn clause_goes_on(&self, next: Option<&Token>) -> bool {
        next.is_some_and(|next| {
            let next = next.as_str();
            !PARTICLES.contains(&next) && !self.role(next).clause_break
        })
    }

    /// Score of one turn's tokens in [-1, 1]: the trained model's if there is one.
    pub fn score_tokens(&self, tokens: &[Token]) -> f32 {
        self.score_turn(tokens, None)
    }

    /// [`Self::score_tokens`], adding the turn's emotion words to `emotions`.
    fn score_turn(&self, tokens: &[Token], emotions: Option<&mut [f32; 4]>) -> f32 {
        let lexicon = self.read_tokens(tokens, emotions);
        match &self.trained {
            Some(model) => model.score(&Example { tokens, lexicon }),
            None => lexicon,
        }
    }

    /// Contact score: see [`Self::read_contact`].
    pub fn score_contact(&self, contact: &Contact, tokens: &[TurnTokens]) -> f32 {
        self.read_contact(contact, tokens).score
    }

    /// Each turn's score and the contact score.
    pub fn score_contact_turns(&self, contact: &Contact, tokens: &[TurnTokens]) -> (Vec<f32>, f32) {
        let reading = self.read_contact(contact, tokens);
        (reading.turns, reading.score)
    }

    /// Each turn's score, the contact score and the customer's mood. The contact score
    /// is the customer's: agents are polite by script (`非常抱歉给您带来不便`, `谢谢`), so
    /// their turns count only in a contact without any customer turn or note. The
    /// customer's last turn counts three times (how a contact ends is what the customer
    /// takes away from it) and, once they have answered the agent, their opening half;
    /// a contact an agent answered is then calibrated ([`calibrate_answered`]).
    pub fn read_contact(&self, contact: &Contact, tokens: &[TurnTokens]) -> ContactReading {
        self.read_contact_with(contact, tokens, true)
    }

    /// [`Self::read_contact`]; without `score_agents`, agent turns are not scored when
    /// the contact has a customer turn or note (they would not count; their scores read
    /// 0), which saves a run about half the scoring.
    pub fn read_contact_with(
        &self,
        contact: &Contact,
        tokens: &[TurnTokens],
        score_agents: bool,
    ) -> ContactReading {
        let agents_count = !contact.turns.iter().any(|t| t.speaker != Speaker::Agent);
        let mut turns = Vec::with_capacity(tokens.len());
        let mut counted = Vec::with_capacity(tokens.len());
        let mut emotions = [0.0f32; 4];
        let mut after_agent = false;
        // (sum, weight) of the customer side and of the agent side.
        let mut customer = (0.0f32, 0.0f32);
        let mut agent = (0.0f32, 0.0f32);
        // Scores of the customer's first and last turns with any token.
        let mut first: Option<f32> = None;
        let mut last: Option<f32> = None;
        let mut customer_turns = 0usize;
        for (turn, toks) in contact.turns.iter().zip(tokens) {
            let s = match turn.speaker {
                Speaker::Agent if !score_agents && !agents_count => 0.0,
                Speaker::Agent => {
                    let s = self.score_turn(toks, None);
                    agent.0 += s;
                    agent.1 += 1.0;
                    s
                }
                Speaker::Customer => {
                    let acknowledged = if after_agent {
                        self.acknowledgement_len(toks)
                    } else {
                        0
                    };
                    let own = &toks[acknowledged..];
                    let mut shown = [0.0f32; 4];
                    let mut s = self.score_turn(own, Some(&mut shown));
                    // A reply that only acknowledges the agent's answer (`好的`,
                    // `嗯嗯，知道了`) accepts it; a reluctant one (`好吧`) or one that
                    // goes on (`好，你们快点`) does not.
                    if acknowledged > 0
                        && own
                            .iter()
                            .all(|t| self.role(t).clause_break || PARTICLES.contains(&t.as_str()))
                        && !toks[..acknowledged]
                            .iter()
                            .any(|t| RELUCTANT.contains(&t.as_str()))
                    {
                        s = ACCEPTED;
                    }
                    // Thanks in a turn that is not positive is courtesy, not satisfaction.
                    if s <= 0.0 {
                        shown[Emotion::Satisfaction as usize] = 0.0;
                    }
                    emotions.iter_mut().zip(shown).for_each(|(e, w)| *e += w);
                    if !toks.is_empty() {
                        first.get_or_insert(s);
                        last = Some(s);
                        customer_turns += 1;
                    }
                    customer.0 += s;
                    customer.1 += 1.0;
                    s
                }
                Speaker::Note => {
                    let s = self.score_turn(toks, None);
                    customer.0 += s;
                    customer.1 += 1.0;
                    s
                }
            };
            after_agent = turn.speaker == Speaker::Agent;
            turns.push(s);
            counted.push(turn.speaker != Speaker::Agent || agents_count);
        }
        if let (Some(opening), Some(end)) = (first, last) {
            // The opening states the problem and is a complaint by nature: once the
            // customer has answered the agent, it weighs half.
            if customer_turns >= 2 {
                customer.0 -= 0.5 * opening;
                customer.1 -= 0.5;
            }
            customer.0 += (LAST_TURN_WEIGHT - 1.0) * end;
            customer.1 += LAST_TURN_WEIGHT - 1.0;
        }
        let (sum, weight) = if customer.1 > 0.0 { customer } else { agent };
        let mut score = if weight == 0.0 { 0.0 } else { sum / weight };
        let answered = contact.turns.iter().any(|t| t.speaker == Speaker::Agent);
        if answered && customer.1 > 0.0 {
            score = calibrate_answered(score);
        }
        let strongest = Emotion::ALL
            .into_iter()
            .zip(emotions)
            .fold(None, |best: Option<(Emotion, f32)>, (e, w)| match best {
                Some((_, b)) if b >= w => best,
                _ => Some((e, w)),
            })
            .filter(|&(_, w)| w >= EMOTION_THRESHOLD);
        let trajectory = match (first, last) {
            (Some(first), Some(last)) if customer_turns >= 2 => {
                if last - first >= TRAJECTORY_STEP {
                    Trajectory::Improving
                } else if first - last >= TRAJECTORY_STEP {
                    Trajectory::Worsening
                } else {
                    Trajectory::Steady
                }
            }
            _ => Trajectory::None,
        };
        ContactReading {
            turns,
            counted,
            score,
            last_customer_label: last.map_or("", label),
            emotion: strongest.map(|(e, _)| e),
            // Saturates: one strong word is about 0.5, three or more near 1.
            emotion_intensity: strongest.map_or(0.0, |(_, w)| (w / 2.0).tanh()),
            trajectory,
        }
    }
}

impl ContactReading {
    /// What the history keeps of it.
    pub fn mood(&self) -> CustomerMood {
        CustomerMood {
            last_turn_label: self.last_customer_label.to_string(),
            emotion: self.emotion.map_or("", Emotion::as_str).to_string(),
            emotion_intensity: self.emotion_intensity,
            trajectory: self.trajectory.as_str().to_string(),
            turn_sentiment: self
                .turns
                .iter()
                .zip(&self.counted)
                .map(|(&s, &counted)| counted.then_some(s))
                .collect(),
        }
    }
}

/// How many times the customer's last turn counts in the contact score (once more
/// than a middle turn would not be enough: the ending is what the customer takes away).
const LAST_TURN_WEIGHT: f32 = 3.0;
/// The customer-side score of an answered contact at or above which (up to 0) its
/// lean is read as the problem being reported, not dissatisfaction: mapped to the edge
/// of the neutral band.
const REPORTED_PROBLEM: f32 = -0.45;

/// Calibrates the customer side's score of a contact an agent answered. Customers
/// contact a helpdesk because something is wrong, so describing it leans the lexicon
/// negative without saying how they feel about the service: a mild lean, down to
/// [`REPORTED_PROBLEM`], is stretched into the neutral band, and the rest of the
/// negative range keeps its order below it. Monotone and sign-keeping, so "negative or
/// not" is unchanged; reviews and one-sided texts are not touched. The knot was chosen
/// by 5-fold cross-validation on STC-3's 3-class macro-F1 (every fold chose −0.4 … −0.55).
fn calibrate_answered(score: f32) -> f32 {
    let edge = -NEUTRAL_BAND;
    if score >= 0.0 {
        score
    } else if score >= REPORTED_PROBLEM {
        score * edge / REPORTED_PROBLEM
    } else {
        edge + (score - REPORTED_PROBLEM) * (1.0 + edge) / (1.0 + REPORTED_PROBLEM)
    }
}

/// The summed weight of an emotion's words below which a contact shows none.
const EMOTION_THRESHOLD: f32 = 1.0;
/// The change of score between the customer's first and last turns that counts as
/// improving or worsening (a label band is 0.1 wide on each side of 0).
const TRAJECTORY_STEP: f32 = 0.3;

/// How the customer's sentiment moved from their first turn to their last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trajectory {
    Improving,
    Worsening,
    Steady,
    /// Fewer than two customer turns.
    None,
}

impl Trajectory {
    /// The name stored in the history and searched (`trajectory:worsening`); empty for
    /// [`Trajectory::None`].
    pub fn as_str(self) -> &'static str {
        match self {
            Trajectory::Improving => "improving",
            Trajectory::Worsening => "worsening",
            Trajectory::Steady => "steady",
            Trajectory::None => "",
        }
    }
}

/// What [`SentimentModel::read_contact`] finds in a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactReading {
    /// Score of each turn, in turn order.
    pub turns: Vec<f32>,
    /// Whether each turn counts in the contact's score (agent turns do only when the
    /// contact has no other): the history keeps the scores of those.
    pub counted: Vec<bool>,
    pub score: f32,
    /// Label of the customer's last turn with any token; empty without one.
    pub last_customer_label: &'static str,
    /// The emotion the customer's words show most, if any shows enough.
    pub emotion: Option<Emotion>,
    /// In [0, 1]; 0 without an emotion.
    pub emotion_intensity: f32,
    pub trajectory: Trajectory,
}

/// The clause being read: its opinion words' sum and what kind of clause it is.
#[derive(Debug, Default)]
struct Clause {
    value: f32,
    /// Index of its first token.
    start: usize,
    /// 吗 or a question mark in it.
    asked: bool,
    /// Opened with 如果 and the like.
    hypothetical: bool,
    /// A request word in it (`请`, `尽快`).
    request: bool,
    /// Opened with a past marker (`以前`).
    past: bool,
    /// Speaks of a promise (`说好的`, `答应`).
    promised: bool,
}

/// What [`SentimentModel::said_good`] reads a promise word as.
enum SaidGood {
    /// 说 + an opinion word ending before token `.0`, of polarity `.1`.
    Praise(usize, f32),
    HowToPutIt,
    Promise,
}

impl Clause {
    /// What the clause says once its end is known. A question, a request, a clause
    /// about the past or about a promise keeps only what is negative (`能解决吗？` hopes,
    /// `你们尽快解决` demands, `怎么这么慢？` complains, `说好的优惠呢` was not given); a
    /// hypothetical asked about says nothing.
    fn said(&self) -> f32 {
        if self.hypothetical && self.asked {
            0.0
        } else if self.asked || self.request || self.past || self.promised {
            self.value.min(0.0)
        } else {
            self.value
        }
    }
}

/// Whether an unknown token ends in a request for a change (`套餐改成`).
fn asks_for_change(token: &str) -> bool {
    CHANGE_REQUESTS
        .iter()
        .any(|word| token.len() > word.len() && token.ends_with(word))
}

/// Negating a positive word makes it clearly negative (`不好`); negating a negative one
/// only mildly positive (`不差`).
/// A mild property word after 太 (see [`EXCESS_BELOW`]): a fault as strong as the
/// degree makes it.
fn too_much(value: f32, degree: f32) -> f32 {
    -value.max(0.3) * degree
}

fn flip(value: f32, soft: f32) -> f32 {
    if value > 0.0 {
        -value * soft
    } else {
        -value * 0.5 * soft
    }
}

/// Half the width of the neutral band of [`label`].
const NEUTRAL_BAND: f32 = 0.1;

/// `negative` / `neutral` / `positive` for a score.
pub fn label(score: f32) -> &'static str {
    let [negative, neutral, positive] = LABELS;
    if score <= -NEUTRAL_BAND {
        negative
    } else if score >= NEUTRAL_BAND {
        positive
    } else {
        neutral
    }
}

/// Every label [`label`] gives, from negative to positive.
pub const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(words: &[&str]) -> Vec<Token> {
        words.iter().map(|&w| Token::from(w)).collect()
    }

    /// The built-in lexicon's score of a text written as its tokens with spaces between.
    fn score(text: &str) -> f32 {
        static MODEL: std::sync::LazyLock<SentimentModel> =
            std::sync::LazyLock::new(SentimentModel::default);
        let words: Vec<&str> = text.split(' ').collect();
        MODEL.lexicon_score(&toks(&words))
    }

    #[test]
    fn built_in_lexicon_parses() {
        let entries = parse_lexicon(LEXICON, "sentiment-lexicon.txt").unwrap();
        assert!(entries.len() > 500, "{}", entries.len());
    }

    #[test]
    fn negation_degree_and_contrast() {
        let m = SentimentModel::default();
        assert!(m.lexicon_score(&toks(&["服务", "很", "满意"])) > 0.3);
        assert!(m.lexicon_score(&toks(&["服务", "不", "满意"])) < -0.3);
        assert!(m.lexicon_score(&toks(&["太", "差", "了"])) < m.lexicon_score(&toks(&["差"])));
        let contrast = m.lexicon_score(&toks(&["态度", "不错", "，", "但是", "网速", "太", "慢"]));
        assert!(contrast < 0.0, "what follows 但是 dominates: {contrast}");
        assert_eq!(m.lexicon_score(&toks(&["我", "想", "查", "话费"])), 0.0);
        assert_eq!(label(-0.5), "negative");
        // Negation reaches a few tokens only.
        let far = m.lexicon_score(&toks(&["不", "知道", "为什么", "今天", "这么", "慢"]));
        assert!(far < 0.0, "{far}");
        // Unknown negated compounds.
        assert!(m.lexicon_score(&toks(&["不好吃"])) < -0.3);
        // Soft negation is milder than plain negation.
        let soft = m.lexicon_score(&toks(&["不太", "好"]));
        let hard = m.lexicon_score(&toks(&["不", "好"]));
        assert!(hard < soft && soft < 0.0, "{hard} {soft}");
        // Double negation.
        assert!(m.lexicon_score(&toks(&["不是", "不", "好"])) >= 0.0);
        // 好 before an opinion word is a degree adverb.
        assert!(m.lexicon_score(&toks(&["好", "慢"])) < -0.5);
        // Longest entry wins, however it was cut.
        assert_eq!(
            m.lexicon_score(&toks(&["态度", "好"])),
            m.lexicon_score(&toks(&["态度好"]))
        );
    }

    /// Seen in the demo's chats: a customer's doubt and demand read as praise.
    #[test]
    fn questions_and_demands_are_not_praise() {
        let m = SentimentModel::default();
        // Praise asked about is no praise; a complaint asked is still one.
        assert_eq!(
            m.lexicon_score(&toks(&["你们", "确定", "这次", "能", "解决", "吗", "？"])),
            0.0
        );
        assert_eq!(m.lexicon_score(&toks(&["能", "解决", "吗"])), 0.0);
        assert!(m.lexicon_score(&toks(&["怎么", "这么", "慢", "？"])) < -0.3);
        // Only the questioned clause: the statement before it stands.
        assert!(m.lexicon_score(&toks(&["服务", "很", "好", "，", "能", "解决", "吗"])) > 0.3);
        // 最好 with a clause after it is "had better"; at the end, the best.
        assert_eq!(m.lexicon_score(&toks(&["你们", "最好", "说到做到"])), 0.0);
        assert_eq!(
            m.lexicon_score(&toks(&["最好", "今天", "给", "我", "处理"])),
            0.0
        );
        assert!(m.lexicon_score(&toks(&["服务", "是", "最好", "的"])) > 0.3);
        assert!(m.lexicon_score(&toks(&["这家", "最好", "。"])) > 0.3);
        // Praise of how things were, brought up because they are worse now.
        assert!(
            m.lexicon_score(&toks(&[
                "以前", "信号", "挺好", "的", "，", "这个", "月", "才", "变差", "。"
            ])) < -0.3
        );
        assert!(m.lexicon_score(&toks(&["和", "以前", "一样", "好吃"])) > 0.3);
    }

    /// Complaints from the demo's e-mails that closed with 谢谢 and scored positive:
    /// the fault words were missing from the lexicon.
    #[test]
    fn telecom_faults_outweigh_a_polite_close() {
        for text in [
            "宽带 每天晚上 八点 准时 断线 ， 打游戏 根本 玩 不了 。 我 问 了 邻居 ， 他们 家 也 断网 。 请 尽快 处理 ， 谢谢 。",
            "手机 在 后台 偷跑流量 。 请 尽快 处理 ， 谢谢 。",
            "这个 月 又 重复 扣 了 一次 。",
            "手机 老是 显示 无服务 ， 谢谢 。",
        ] {
            assert!(score(text) < -0.1, "{text}");
        }
    }

    /// A request closed with thanks asks for something; the thanks is its courtesy.
    #[test]
    fn thanks_closing_a_request_is_courtesy_not_praise() {
        assert_eq!(
            score("号码 被 停机 了 ， 请 尽快 处理 ， 谢谢 。"),
            score("号码 被 停机 了 ， 请 尽快 处理 。")
        );
        assert_eq!(score("请 尽快 帮 我 处理 ， 谢谢 您 。"), 0.0);
        assert_eq!(
            score("麻烦 帮 我 查 一下 话费 。 谢谢"),
            score("麻烦 帮 我 查 一下 话费 。")
        );
        // Thanks on its own, after praise, or for something, still counts.
        assert!(score("谢谢 。") > 0.1);
        assert!(score("处理 得 很 及时 ， 谢谢 。") > score("处理 得 很 及时 。"));
        assert!(score("请 帮 我 查 一下 ， 谢谢 你们 的 耐心") > 0.1);
        assert!(score("希望 下次 再 合作 ， 谢谢") > 0.1);
    }

    /// Customer complaints from the demo that scored positive on a word read the wrong way.
    #[test]
    fn absent_settled_and_counted_words_are_not_praise() {
        // 一点 … 都没有: the virtue is wholly missing.
        assert!(score("营业员 一点 耐心 都 没有") < -0.3);
        assert!(score("丝毫 诚意 也 没有 。") < -0.3);
        assert!(score("一点 也 不 贵") > 0.1);
        assert!(score("好吃 也 不 贵") > 0.3);
        // 约好 is agreed, not good; 好几次 is several times.
        assert!(score("约 好 了 今天上午 师傅 上门 ， 等到 下午 都 没人来 ！") < -0.3);
        assert_eq!(score("我 测 了 好 几次 网速"), 0.0);
        assert!(score("服务 好 ， 送 得 快") > 0.3);
        assert!(score("烦死 了") < -0.3);
        // Before a verb, the negation negates the verb, not the word.
        assert!(score("一点 实际 问题 都 不 解决 。") < -0.3);
        assert!(score("用 了 一个月 一点 问题 都 没有") > 0.1);
    }

    /// A demand asks for what is missing: `你们尽快解决` is not praise of a solution.
    #[test]
    fn demands_are_not_praise() {
        assert_eq!(score("你们 尽快 解决 ！"), 0.0);
        assert_eq!(score("请 务必 处理 好"), 0.0);
        assert!(score("请 尽快 处理 ， 太 慢 了") < -0.3);
        assert_eq!(score("你们 营业厅 要 好好 整顿 ！"), 0.0);
        assert!(score("好好 吃 啊") > 0.3);
        // 麻烦 opening a request is polite; at a clause's end it is troublesome.
        assert_eq!(score("麻烦 问 下 ， 帮 我 查 一下 话费 还 剩 多少 ？"), 0.0);
        assert!(score("手续 太 麻烦 了") < -0.3);
        assert!(score("办理 很 麻烦 ， 要 跑 好 几趟") < -0.3);
        // A hypothetical asked about holds no opinion; a complaint asked still does.
        assert_eq!(score("如果 办 了 以后 不 合适 能 改 吗 ？"), 0.0);
        assert!(score("怎么 这么 慢 ？") < -0.3);
        assert!(score("如果 再 断网 ， 我 就 投诉") < 0.0);
        // A request's clause only: the praise before it stands.
        assert!(score("服务 很 好 ， 请 继续 保持") > 0.3);
        // Urging before 把 demands; alone, 马上 tells of something good.
        assert_eq!(score("赶紧 把 信号 弄 好 。"), 0.0);
        assert!(score("马上 就 到 了 ， 很 好") > 0.3);
        // 断 is a line or a connection cut; 老 before it is "always".
        assert!(score("网 又 断 了") < -0.3);
        assert!(score("通话 老断") < score("通话 断"));
        // Punctual before a complaint is irony; before anything else, praise.
        assert!(score("每天 晚上 准时 断线") < -0.3);
        assert!(score("准时 送达 ， 稳定") > 0.3);
    }

    #[test]
    fn promises_are_not_praise_but_saying_good_is() {
        // What was promised is brought up because it was not given.
        assert!(score("说好 的 优惠 呢 ？") < -0.1);
        assert!(score("答应 给 我 优惠 ， 到 现在 也 没有") < -0.1);
        assert!(score("说好 了 三天 内 上门 ， 结果 没人来") < -0.3);
        // 说 + 好: at a clause's end, or before what makes 好 an opinion word.
        assert!(score("大家 都 说好") > 0.3);
        assert!(score("朋友 都 说好 用") > 0.3);
        assert!(score("也 就是 不 说好") < -0.1);
        // 怎么说好 is "how to put it".
        assert_eq!(score("不知 怎么 说好"), 0.0);
        // Asking for a change is not praise, nor is a rule term ending in one
        // (`套餐改成`, added to the dictionary by the taxonomy).
        assert_eq!(score("我 想 把 套餐 改成 便宜 一点 的"), 0.0);
        assert_eq!(score("我 想 把 套餐改成 便宜 一点 的"), 0.0);
        assert!(score("便宜 一点 的 套餐 挺 好") > 0.3);
    }

    #[test]
    fn overrides_win_and_files_are_checked() {
        let m = SentimentModel::with_overrides([("卡".to_string(), 0.0)]);
        assert_eq!(m.lexicon_score(&toks(&["办", "卡"])), 0.0);
        let parsed = parse_lexicon("# domain\n卡 0\n\n携号转网 -1.5\n", "s.txt").unwrap();
        assert_eq!(
            parsed,
            vec![("卡".to_string(), 0.0), ("携号转网".to_string(), -1.5)]
        );
        let err = parse_lexicon("卡 0\n好 x\n", "s.txt")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "s.txt:2: polarity \"x\": expected a number from -2 to 2"
        );
        let err = parse_lexicon("好 1 2\n", "s.txt").unwrap_err().to_string();
        assert!(
            err.starts_with("s.txt:1: expected `word polarity`"),
            "{err}"
        );
        let err = parse_lexicon("好 9\n", "s.txt").unwrap_err().to_string();
        assert!(err.contains("from -2 to 2"), "{err}");
    }

    #[test]
    fn contact_score_leans_on_the_customer() {
        let m = SentimentModel::default();
        let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        let turns = vec![
            voc_core::Turn {
                speaker: Speaker::Agent,
                text: "很高兴为您服务".into(),
            },
            voc_core::Turn {
                speaker: Speaker::Customer,
                text: "太差了".into(),
            },
        ];
        let c = Contact::new("c", start, "voice", turns);
        let tokens = vec![
            toks(&["很", "高兴", "为", "您", "服务"]),
            toks(&["太", "差", "了"]),
        ];
        let (per_turn, contact) = m.score_contact_turns(&c, &tokens);
        assert_eq!(per_turn.len(), 2);
        assert!(per_turn[0] > 0.0 && per_turn[1] < 0.0);
        assert!(contact < 0.0);
        assert_eq!(label(contact), "negative");
    }

    /// A mild lean of an answered contact is the problem being reported (neutral); the
    /// same words alone, as a review, stay negative; order and sign are kept.
    #[test]
    fn answered_contacts_are_calibrated() {
        assert_eq!(calibrate_answered(0.3), 0.3);
        assert_eq!(calibrate_answered(0.0), 0.0);
        assert!((calibrate_answered(REPORTED_PROBLEM) + NEUTRAL_BAND).abs() < 1e-6);
        assert!((calibrate_answered(-1.0) + 1.0).abs() < 1e-6);
        let mut previous = f32::NEG_INFINITY;
        for step in 0..=200 {
            let raw = -1.0 + step as f32 * 0.01;
            let calibrated = calibrate_answered(raw);
            assert!(calibrated >= previous, "not monotone at {raw}");
            assert_eq!(calibrated < 0.0, raw < 0.0, "sign changed at {raw}");
            previous = calibrated;
        }
        let m = SentimentModel::default();
        let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        let turn = |speaker, text: &str| voc_core::Turn {
            speaker,
            text: text.into(),
        };
        // "The network is a bit slow": a report of a problem, mildly negative.
        let words = toks(&["网络", "有点", "慢"]);
        let alone = Contact::new(
            "r",
            start,
            "text",
            vec![turn(Speaker::Customer, "网络有点慢")],
        );
        let review = m.read_contact(&alone, std::slice::from_ref(&words)).score;
        assert_eq!(label(review), "negative", "{review}");
        let answered = Contact::new(
            "c",
            start,
            "text",
            vec![
                turn(Speaker::Customer, "网络有点慢"),
                turn(Speaker::Agent, "请私信您的号码"),
            ],
        );
        let score = m
            .read_contact(
                &answered,
                &[words, toks(&["请", "私信", "您", "的", "号码"])],
            )
            .score;
        assert!(score < 0.0 && score > review, "{score} vs {review}");
        assert_eq!(label(score), "neutral", "{score}");
    }

    /// `好，你们快点` answers the agent; the same words opening a review are praise.
    #[test]
    fn a_reply_that_acknowledges_the_agent_is_not_praise() {
        let m = SentimentModel::default();
        let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        let turn = |speaker, text: &str| voc_core::Turn {
            speaker,
            text: text.into(),
        };
        let c = Contact::new(
            "c",
            start,
            "voice",
            vec![
                turn(Speaker::Customer, "好，不错"),
                turn(Speaker::Agent, "处理结果会通知您"),
                turn(Speaker::Customer, "好，你们快点"),
                turn(Speaker::Agent, "请您稍等"),
                turn(Speaker::Customer, "好的"),
                turn(Speaker::Agent, "已经帮您查好了"),
                turn(Speaker::Customer, "嗯，好的，好的好的"),
                turn(Speaker::Agent, "还有别的问题吗"),
                turn(Speaker::Customer, "好的，太感谢了"),
            ],
        );
        let tokens = vec![
            toks(&["好", "，", "不错"]),
            toks(&["处理", "结果", "会", "通知", "您"]),
            toks(&["好", "，", "你们", "快点"]),
            toks(&["请", "您", "稍", "等"]),
            toks(&["好的"]),
            toks(&["已经", "帮", "您", "查", "好", "了"]),
            toks(&["嗯", "，", "好", "的", "，", "好的", "好的"]),
            toks(&["还有", "别的", "问题", "吗"]),
            toks(&["好的", "，", "太", "感谢", "了"]),
        ];
        let (per_turn, _) = m.score_contact_turns(&c, &tokens);
        assert!(per_turn[0] > m.lexicon_score(&toks(&["不错"])));
        assert_eq!(per_turn[2], 0.0);
        // Acknowledging alone accepts the answer, mildly: not praise.
        assert_eq!(per_turn[4], ACCEPTED);
        assert_eq!(per_turn[6], ACCEPTED);
        assert!(ACCEPTED < m.lexicon_score(&toks(&["不错"])));
        // The thanks after the acknowledgement is the customer's own.
        assert!(per_turn[8] > 0.3);
        assert!(m.lexicon_score(&tokens[2]) > 0.3);
        // Giving in is not accepting.
        let c = Contact::new(
            "g",
            start,
            "voice",
            vec![
                turn(Speaker::Customer, "网络慢"),
                turn(Speaker::Agent, "请重启"),
                turn(Speaker::Customer, "好吧"),
            ],
        );
        let tokens = [
            toks(&["网络", "慢"]),
            toks(&["请", "重启"]),
            toks(&["好吧"]),
        ];
        assert_eq!(m.score_contact_turns(&c, &tokens).0[2], 0.0);
    }
    /// 太 before a mild property word is too much of it, whether the segmenter cuts the
    /// two apart or not; before praise it stays praise.
    #[test]
    fn too_much_of_a_property_is_a_fault() {
        assert!(score("床垫 太软 了") < -0.3, "fused");
        assert!(score("床垫 太 软 了") < -0.3, "apart");
        assert!(score("太甜 了") < -0.3);
        assert!(score("很 软") > 0.0, "only 太 makes it too much");
        assert!(score("太好 了") > 0.5);
        assert!(score("太 方便 了") > 0.5);
        assert!(score("太 便宜 了") > 0.3, "cheap is praise, not a property");
    }

    /// An unknown token ending in a broken result or a pain is a fault (`冻坏`, `腰疼`);
    /// negated or named as a cure it is not.
    #[test]
    fn breakage_and_pain_endings_are_faults() {
        assert!(score("菜 都 冻坏 了") < -0.3);
        assert!(score("睡醒 腰疼") < -0.3);
        assert!(score("屏幕 摔碎 了") < -0.3);
        assert_eq!(score("止痛 效果"), 0.0);
        assert!(score("腰不疼 了") >= 0.0, "a negation inside the token");
        assert!(score("一点 也 不疼") >= 0.0);
    }

    /// Issue 28.2: an attribute with a degree and a magnitude is an opinion, against
    /// the attribute's direction; negated, it turns mildly.
    #[test]
    fn attributes_with_magnitudes_are_opinions() {
        assert!(score("油耗 太高 了") < -0.5);
        assert!(score("价格 偏高") < -0.3);
        assert!(score("空间 小") < -0.3);
        assert!(score("空间 比较 大") > 0.3);
        assert!(score("油耗高") < -0.3, "fused into one token");
        let negated = score("油耗 不高");
        assert!(
            negated > 0.0 && negated < score("空间 比较 大"),
            "{negated}"
        );
        assert!(score("价格 比 别家 高") < -0.3, "a comparative");
        // Alone a magnitude word holds no opinion.
        assert_eq!(score("楼层 很 高"), 0.0);
        // Problem verbs, questions that complain, emoji codes.
        assert!(score("这车 烧 机油") < -0.3);
        assert!(score("你们 到底 管 不管") < -0.3);
        assert!(score("[ 怒 ]") < -0.3);
        assert!(score("[ 赞 ]") > 0.3);
    }

    /// Issue 28.1 and 28.3: the contact score is the customer's; the mood names the
    /// last turn's label, the strongest emotion and the trajectory.
    #[test]
    fn the_customers_mood_over_a_contact() {
        let m = SentimentModel::default();
        let start = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        let contact = |turns: &[(Speaker, &str)]| {
            let c = Contact::new(
                "c",
                start,
                "chat",
                turns
                    .iter()
                    .map(|(speaker, text)| voc_core::Turn {
                        speaker: *speaker,
                        text: text.to_string(),
                    })
                    .collect(),
            );
            let tokens: Vec<TurnTokens> = turns
                .iter()
                .map(|(_, text)| toks(&text.split(' ').collect::<Vec<_>>()))
                .collect();
            m.read_contact(&c, &tokens)
        };
        let angry_then_thankful = contact(&[
            (Speaker::Customer, "气死 了 ， 又 断网 ， 垃圾"),
            (Speaker::Agent, "非常 抱歉 给 您 带来 不便"),
            (Speaker::Customer, "好 了 ， 非常 感谢 ， 很 满意"),
        ]);
        assert_eq!(angry_then_thankful.trajectory, Trajectory::Improving);
        assert_eq!(angry_then_thankful.last_customer_label, "positive");
        assert!(angry_then_thankful.emotion.is_some());
        let worse = contact(&[
            (Speaker::Customer, "请问 宽带 怎么 报修"),
            (Speaker::Agent, "您好 ， 请 提供 地址"),
            (
                Speaker::Customer,
                "等 了 三天 还 没 人 来 ， 赶紧 处理 ， 急 用",
            ),
        ]);
        assert_eq!(worse.trajectory, Trajectory::Worsening);
        assert_eq!(worse.emotion, Some(Emotion::Urgency));
        assert!(worse.emotion_intensity > 0.0 && worse.emotion_intensity <= 1.0);
        assert_eq!(worse.mood().trajectory, "worsening");
        // Agents' scripted courtesy is not the customer's opinion.
        let polite_agent = contact(&[
            (Speaker::Customer, "我 想 查 一下 话费"),
            (Speaker::Agent, "非常 感谢 您 的 耐心 ， 很 高兴 为 您 服务"),
        ]);
        assert_eq!(polite_agent.score, 0.0);
        assert_eq!(label(polite_agent.score), "neutral");
        assert_eq!(polite_agent.trajectory, Trajectory::None);
        assert_eq!(polite_agent.emotion, None);
        // A thanks closing a complaint is courtesy: no satisfaction.
        let courtesy = contact(&[(Speaker::Customer, "又 扣费 了 ， 谢谢")]);
        assert_ne!(courtesy.emotion, Some(Emotion::Satisfaction));
        assert!(courtesy.score < -0.1);
    }
}
