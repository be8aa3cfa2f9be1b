//! Whether a negation before a rule term denies the problem or complains about it.
//!
//! `没有断网` denies: the customer says the line did *not* drop. But most negations in
//! complaints are about something that should have happened and did not: `还没发货`,
//! `一直没有物流信息`, `怎么还没到`, `无法退款`, `别再扣费了`, `不是明天送达么`. Cancelling the
//! term there swallows the complaint. So a negation cue found before a term (same
//! clause, at most [`NEGATION_WINDOW`] tokens before it, or fused at the start of the
//! token the term starts in) is classified:
//!
//! * [`Negation::Denial`]: a plain denial (`不`, `没`, `没有`, `未`, `无`, `不是`, `并没有`,
//!   `从未`, `不会`, `不再` …) with none of the patterns below. Cancels the term by default.
//! * [`Negation::Absence`]: a cue that complains rather than denies. Counts by default:
//!   - inability, prohibition or demand cues: `无法`, `没法`, `没能`, `不能`, `别`, `不要`;
//!   - a persistence or delay marker before the cue (`还`, `一直`, `至今`, `迟迟`, `仍`,
//!     `始终`, `到现在`, `根本`, `完全`, `怎么`, `为什么` …), or fused with it (`还没`);
//!   - an expected service event between the cue and the term, or as the term itself
//!     (`没收到退款`, `没有发货`, `未到账`, `没人联系`): a service that did not happen;
//!   - a question: the clause ends in `吗`/`么`/`嘛`/`呢`/`？`, holds `难道`, or asks
//!     A-not-A (`是不是断网了`, `有没有信号`, `卡不卡`);
//!   - a condition or wish before the cue in the clause (`只要不是影响安全…`, `如果不`,
//!     `希望不要再断网`);
//!   - `不是 … 就是 …` ("either … or …": `不是断网就是卡`).
//!
//! Categories and terms choose what cancels ([`NegationMode`]): `auto` (denials only,
//! the default), `off` (nothing: for topics whose absence is the complaint, such as
//! 物流 in `没有物流信息`), `always` (every cue, the rule of earlier versions).

use serde::Deserialize;

/// How many tokens before a term a negation cue may stand (`没有 断网`, `没 再 断网`).
pub const NEGATION_WINDOW: usize = 2;

/// What a negation before a term means, from the cue and its clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Negation {
    /// No negation cue before the term in its clause.
    #[default]
    None,
    /// A plain denial of the term (`没有断网`).
    Denial,
    /// A cue in a pattern that complains about an absence or a delay (`还没发货`).
    Absence,
}

impl Negation {
    pub fn as_str(self) -> &'static str {
        match self {
            Negation::None => "none",
            Negation::Denial => "denial",
            Negation::Absence => "absence",
        }
    }
}

/// Which negations cancel a term: set per category (`negation = "off"`) or per entry
/// (`发货 [negation=off]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NegationMode {
    /// Denials cancel; complaints about an absence or a delay do not.
    #[default]
    Auto,
    /// Nothing cancels.
    Off,
    /// Every negation cue in the window cancels.
    Always,
}

impl NegationMode {
    pub fn cancels(self, negation: Negation) -> bool {
        match self {
            NegationMode::Auto => negation == Negation::Denial,
            NegationMode::Off => false,
            NegationMode::Always => negation != Negation::None,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "auto" => Some(NegationMode::Auto),
            "off" => Some(NegationMode::Off),
            "always" => Some(NegationMode::Always),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NegationMode::Auto => "auto",
            NegationMode::Off => "off",
            NegationMode::Always => "always",
        }
    }
}

/// Cues that deny what follows them.
pub const DENIAL_CUES: &[&str] = &[
    "不",
    "没",
    "没有",
    "未",
    "无",
    "不是",
    "并不",
    "并没",
    "并没有",
    "并未",
    "并非",
    "从没",
    "从没有",
    "从来没",
    "从来没有",
    "从未",
    "不会",
    "不再",
    "没再",
    "毫无",
];

/// Cues of inability, prohibition or demand: the customer complains that something
/// cannot or must not happen, never denies it.
pub const COMPLAINT_CUES: &[&str] = &[
    "无法",
    "没法",
    "没办法",
    "没能",
    "未能",
    "不能",
    "不了",
    "别",
    "别再",
    "不要",
    "不要再",
    "尚未",
];

/// Words before a cue that make it a complaint about a delay or a persisting absence.
const PERSISTENCE: &[&str] = &[
    "还",
    "一直",
    "始终",
    "至今",
    "迄今",
    "迟迟",
    "仍",
    "仍然",
    "依然",
    "依旧",
    "还是",
    "到现在",
    "到目前",
    "直到现在",
    "到今天",
    "根本",
    "完全",
    "压根",
    "怎么",
    "为什么",
    "为啥",
    "咋",
    "怎么还",
    "竟然",
    "居然",
    "总是",
    "老是",
    "就是",
];

/// Service events a customer expects: saying they did not happen is the complaint.
const EXPECTED_EVENTS: &[&str] = &[
    "收到", "到", "到货", "到账", "送", "送到", "送达", "送来", "发", "发货", "发出", "寄", "寄出",
    "退", "退款", "退回", "退还", "返还", "回复", "回电", "回应", "答复", "反馈", "处理", "解决",
    "联系", "通知", "上门", "修", "修好", "修复", "恢复", "更新", "显示", "看到", "接到", "给",
    "安排", "派送", "配送", "揽收", "审核", "开通", "生效", "办理", "兑现", "补偿", "赔偿", "落实",
    "人", "动静", "消息", "物流", "快递",
];

/// Words that make the rest of their clause a condition, a wish or a demand.
const CONDITIONS: &[&str] = &[
    "只要", "如果", "要是", "假如", "假设", "万一", "除非", "即使", "就算", "哪怕", "若", "若是",
    "倘若", "希望", "要求", "保证", "确保", "请", "麻烦",
];

/// Final particles that make a clause a question.
const QUESTION_ENDS: &[&str] = &["吗", "么", "嘛", "呢", "？", "?"];

/// Tokens that end a clause: a negation never reaches across them.
pub fn is_clause_break(token: &str) -> bool {
    matches!(
        token,
        "，" | "。"
            | "！"
            | "？"
            | "；"
            | "、"
            | ","
            | "."
            | "!"
            | "?"
            | ";"
            | "但是"
            | "可是"
            | "不过"
            | "但"
            | "而是"
    )
}

fn is_cue(token: &str) -> bool {
    DENIAL_CUES.contains(&token) || COMPLAINT_CUES.contains(&token) || fused_persistence(token)
}

/// `还没`, `一直没有`, `都不`: a persistence marker fused with a denial cue in one token.
fn fused_persistence(token: &str) -> bool {
    PERSISTENCE.iter().any(|p| {
        token
            .strip_prefix(p)
            .is_some_and(|rest| DENIAL_CUES.contains(&rest))
    })
}

/// The negation of a term that starts at token `start` of `tokens`; `in_token` is the
/// text of that token before the term (non-empty only for prefix-less affix forms such
/// as `*卡*` inside `不卡`).
pub fn classify(tokens: &[impl AsRef<str>], start: usize, in_token: &str) -> Negation {
    let tok = |i: usize| tokens[i].as_ref();
    // A cue fused before the term inside its token (`不卡` for `*卡*`).
    let fused = (!in_token.is_empty())
        .then(|| {
            DENIAL_CUES
                .iter()
                .chain(COMPLAINT_CUES)
                .filter(|c| in_token.ends_with(**c))
                .max_by_key(|c| c.len())
        })
        .flatten();
    let cue_at = if fused.is_some() {
        Some(start)
    } else {
        (start.saturating_sub(NEGATION_WINDOW)..start)
            .rev()
            .take_while(|&i| !is_clause_break(tok(i)))
            .find(|&i| is_cue(tok(i)))
    };
    let Some(cue_at) = cue_at else {
        return Negation::None;
    };
    let cue = fused.copied().unwrap_or_else(|| tok(cue_at));
    if complains(tokens, cue, cue_at, start) {
        Negation::Absence
    } else {
        Negation::Denial
    }
}

/// Whether the cue `cue` at token `cue_at`, negating the term at `start`, stands in one
/// of the patterns that complain rather than deny (see the module documentation).
fn complains(tokens: &[impl AsRef<str>], cue: &str, cue_at: usize, start: usize) -> bool {
    let tok = |i: usize| tokens[i].as_ref();
    if COMPLAINT_CUES.contains(&cue) || fused_persistence(cue) {
        return true;
    }
    // Clause bounds around the cue.
    let clause_start = (0..cue_at)
        .rev()
        .find(|&i| is_clause_break(tok(i)))
        .map_or(0, |i| i + 1);
    let clause_end = (start..tokens.len())
        .find(|&i| is_clause_break(tok(i)))
        .unwrap_or(tokens.len());
    // A persistence marker up to three tokens before the cue (`怎么 还 没`, `到 现在 还 没`).
    let before = &tokens[cue_at.saturating_sub(3).max(clause_start)..cue_at];
    if before.iter().any(|t| PERSISTENCE.contains(&t.as_ref())) {
        return true;
    }
    // `到现在` cut as 到 | 现在.
    if before
        .windows(2)
        .any(|w| w[0].as_ref() == "到" && matches!(w[1].as_ref(), "现在" | "目前" | "今天"))
    {
        return true;
    }
    // A service event after the cue: in between, or the term itself.
    let after_cue = if cue_at == start { start } else { cue_at + 1 };
    if (after_cue..=start.min(tokens.len().saturating_sub(1)))
        .any(|i| EXPECTED_EVENTS.contains(&tok(i)))
    {
        return true;
    }
    // A condition or a wish earlier in the clause.
    if tokens[clause_start..cue_at]
        .iter()
        .any(|t| CONDITIONS.contains(&t.as_ref()))
    {
        return true;
    }
    // A question: a final particle or question mark, 难道, or A-not-A.
    let last = (clause_end > start).then(|| tok(clause_end - 1));
    let closing_mark = tokens.get(clause_end).map(|t| t.as_ref());
    if last.is_some_and(|t| QUESTION_ENDS.contains(&t))
        || closing_mark.is_some_and(|t| t == "？" || t == "?")
        || tokens[clause_start..clause_end]
            .iter()
            .any(|t| t.as_ref() == "难道")
    {
        return true;
    }
    if cue_at > clause_start && cue_at != start {
        let previous = tok(cue_at - 1);
        let rest = cue.trim_start_matches(['不', '没']);
        let next = tokens.get(cue_at + 1).map(|t| t.as_ref());
        if (!rest.is_empty() && rest == previous) || next == Some(previous) {
            return true;
        }
    }
    // 不是 … 就是 …: either one or the other, both complaints.
    if cue == "不是"
        && tokens[start..tokens.len()]
            .iter()
            .take_while(|t| !matches!(t.as_ref(), "。" | "！" | "？" | "；"))
            .any(|t| t.as_ref() == "就是")
    {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tokens: &str, term: &str) -> Negation {
        let toks: Vec<&str> = tokens.split('|').collect();
        let start = toks.iter().position(|t| *t == term).expect(term);
        classify(&toks, start, "")
    }

    #[test]
    fn denial_and_absence() {
        assert_eq!(at("宽带|没有|断网", "断网"), Negation::Denial);
        assert_eq!(at("没|再|断网", "断网"), Negation::Denial);
        assert_eq!(at("没有|，|断网", "断网"), Negation::None);
        assert_eq!(at("怎么|还|没|发货", "发货"), Negation::Absence);
        assert_eq!(at("还没|发货", "发货"), Negation::Absence);
        assert_eq!(at("一直|没有|物流|信息", "物流"), Negation::Absence);
        assert_eq!(at("不是|明天|送达|么", "送达"), Negation::Absence);
        assert_eq!(at("只要|不是|影响|安全|的", "安全"), Negation::Absence);
        assert_eq!(at("是|不是|断网|了", "断网"), Negation::Absence);
        assert_eq!(at("不是|断网|就是|卡", "断网"), Negation::Absence);
        assert_eq!(at("无法|上网", "上网"), Negation::Absence);
        assert_eq!(classify(&["不卡"], 0, "不"), Negation::Denial);
    }
}
