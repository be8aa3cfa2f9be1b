//! Lexicon sentiment with negation, degree adverbs and contrast, per turn and per
//! contact. Agents are polite by script, so the contact score leans on customer turns.

use std::collections::HashMap;
use voc_core::{Contact, Speaker, TurnTokens};

const POSITIVE: &[&str] = &[
    "满意", "感谢", "谢谢", "好评", "不错", "很好", "好的", "解决", "及时", "专业", "耐心", "热情",
    "方便", "快", "稳定", "清楚", "辛苦", "给力", "赞", "喜欢", "划算", "实惠", "顺利", "放心",
    "开心", "周到", "优惠", "棒", "好用", "值", "合理", "贴心", "高效", "准时", "感激", "可以",
    "好",
];
const NEGATIVE: &[&str] = &[
    "投诉",
    "不满",
    "不满意",
    "差",
    "太差",
    "垃圾",
    "坑",
    "太坑",
    "骗",
    "骗人",
    "欺骗",
    "乱扣",
    "扣费",
    "断网",
    "掉线",
    "卡",
    "慢",
    "没用",
    "失望",
    "生气",
    "气死",
    "恶心",
    "烦",
    "麻烦",
    "敷衍",
    "推诿",
    "态度差",
    "无语",
    "糟糕",
    "退钱",
    "退款",
    "破",
    "问题",
    "故障",
    "不行",
    "难用",
    "贵",
    "坑人",
    "忽悠",
    "违规",
    "乱收费",
    "拖",
    "再也",
    "离谱",
    "过分",
    "曝光",
    "起诉",
    "销户",
    "退网",
    "错误",
    "不好",
    "难吃",
    "难",
    "久",
    "冷",
    "凉",
    "少",
    "脏",
    "慢死",
    "差评",
    "后悔",
    "糟",
    "烂",
    "假",
    "贵了",
    "不值",
    "坏",
    "破网",
    "没信号",
    "连不上",
];
const NEGATIONS: &[&str] = &[
    "不", "没", "没有", "未", "别", "不是", "并不", "从不", "毫不", "无",
];
const DEGREE: &[(&str, f32)] = &[
    ("非常", 1.8),
    ("特别", 1.8),
    ("太", 1.8),
    ("极其", 2.0),
    ("超级", 1.8),
    ("十分", 1.6),
    ("真", 1.4),
    ("很", 1.3),
    ("挺", 1.2),
    ("比较", 1.1),
    ("有点", 0.7),
    ("有些", 0.7),
    ("稍微", 0.6),
    ("一直", 1.3),
    ("老是", 1.4),
    ("总是", 1.3),
    ("根本", 1.5),
];
const CONTRAST: &[&str] = &["但是", "但", "不过", "可是", "然而", "就是"];

/// A sentiment lexicon: word polarities plus domain overrides from the pipeline folder.
pub struct SentimentModel {
    polarity: HashMap<String, f32>,
    degree: HashMap<&'static str, f32>,
}

impl Default for SentimentModel {
    fn default() -> Self {
        Self::with_overrides(std::iter::empty())
    }
}

impl SentimentModel {
    /// The built-in lexicon with `overrides` (word, polarity in [-2, 2]) applied last.
    pub fn with_overrides(overrides: impl IntoIterator<Item = (String, f32)>) -> Self {
        let mut polarity = HashMap::new();
        polarity.extend(POSITIVE.iter().map(|w| (w.to_string(), 1.0)));
        polarity.extend(NEGATIVE.iter().map(|w| (w.to_string(), -1.0)));
        polarity.extend(overrides);
        SentimentModel {
            polarity,
            degree: DEGREE.iter().copied().collect(),
        }
    }

    /// Score of one token sequence in [-1, 1].
    pub fn score_tokens(&self, tokens: &[String]) -> f32 {
        let mut total = 0.0f32;
        let mut clause = 0.0f32;
        let mut modifier = 1.0f32;
        let mut negate = false;
        let mut hits = 0u32;
        for token in tokens {
            let t = token.as_str();
            if CONTRAST.contains(&t) {
                // What follows a contrast is what the speaker means: halve what came before.
                total = (total + clause) * 0.5;
                clause = 0.0;
                modifier = 1.0;
                negate = false;
                continue;
            }
            if matches!(t, "，" | "。" | "！" | "？" | "," | "." | "!" | "?" | "；") {
                total += clause;
                clause = 0.0;
                modifier = 1.0;
                negate = false;
                continue;
            }
            if NEGATIONS.contains(&t) {
                negate = !negate;
                continue;
            }
            if let Some(d) = self.degree.get(t) {
                modifier *= d;
                continue;
            }
            if let Some(p) = self.polarity.get(t) {
                let mut value = p * modifier;
                if negate {
                    // "不好" is clearly negative; "不差" is only mildly positive.
                    value = if value > 0.0 { -value } else { -value * 0.5 };
                }
                clause += value;
                hits += 1;
                modifier = 1.0;
                negate = false;
            }
        }
        total += clause;
        if hits == 0 {
            return 0.0;
        }
        (total / 1.5).tanh()
    }

    /// Contact score: customer turns weigh 1, agent turns 0.2.
    pub fn score_contact(&self, contact: &Contact, tokens: &[TurnTokens]) -> f32 {
        let mut sum = 0.0;
        let mut weight = 0.0;
        for (turn, toks) in contact.turns.iter().zip(tokens) {
            let w = if turn.speaker == Speaker::Agent {
                0.2
            } else {
                1.0
            };
            sum += w * self.score_tokens(toks);
            weight += w;
        }
        if weight == 0.0 { 0.0 } else { sum / weight }
    }
}

/// `negative` / `neutral` / `positive` for a score.
pub fn label(score: f32) -> &'static str {
    if score <= -0.1 {
        "negative"
    } else if score >= 0.1 {
        "positive"
    } else {
        "neutral"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn negation_degree_and_contrast() {
        let m = SentimentModel::default();
        assert!(m.score_tokens(&toks(&["服务", "很", "满意"])) > 0.3);
        assert!(m.score_tokens(&toks(&["服务", "不", "满意"])) < -0.3);
        assert!(m.score_tokens(&toks(&["太", "差", "了"])) < m.score_tokens(&toks(&["差"])));
        let contrast = m.score_tokens(&toks(&["态度", "不错", "，", "但是", "网速", "太", "慢"]));
        assert!(contrast < 0.0, "what follows 但是 dominates: {contrast}");
        assert_eq!(m.score_tokens(&toks(&["我", "想", "查", "话费"])), 0.0);
        assert_eq!(label(-0.5), "negative");
    }

    #[test]
    fn overrides_win() {
        let m = SentimentModel::with_overrides([("卡".to_string(), 0.0)]);
        assert_eq!(m.score_tokens(&toks(&["办", "卡"])), 0.0);
    }
}
