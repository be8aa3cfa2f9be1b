//! The canonical contact record and the enriched record built from it.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Who said a turn. Work orders have one turn written by the agent about the customer's
/// problem; they are `Note`, which customer-scoped rules treat as the customer's voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Agent,
    Customer,
    Note,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Customer => "customer",
            Speaker::Note => "note",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Speaker,
    pub text: String,
}

/// One contact (call, chat, e-mail, WeChat session or work order) in canonical form.
/// A work order arrives with `text` instead of `turns`; ingest turns it into one `Note` turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub started_at: DateTime<FixedOffset>,
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_s: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
    #[serde(default)]
    pub turns: Vec<Turn>,
}

impl Contact {
    /// A contact with only the required fields set; metadata left empty.
    pub fn new(
        id: impl Into<String>,
        started_at: DateTime<FixedOffset>,
        channel: impl Into<String>,
        turns: Vec<Turn>,
    ) -> Self {
        Contact {
            id: id.into(),
            started_at,
            channel: channel.into(),
            duration_s: None,
            wait_s: None,
            customer_id: None,
            region: None,
            business: None,
            agent_id: None,
            queue: None,
            csat: None,
            resolved: None,
            turns,
        }
    }

    /// All turn texts joined with newlines, for display and snippets.
    pub fn full_text(&self) -> String {
        join_turns(self.turns.iter())
    }

    /// Text of the turns spoken by `speaker` (work-order notes count as customer text).
    pub fn text_of(&self, speaker: Speaker) -> String {
        join_turns(self.turns.iter().filter(|t| match speaker {
            Speaker::Customer => matches!(t.speaker, Speaker::Customer | Speaker::Note),
            other => t.speaker == other,
        }))
    }
}

fn join_turns<'a>(turns: impl Iterator<Item = &'a Turn>) -> String {
    let mut out = String::new();
    for turn in turns {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&turn.text);
    }
    out
}

/// One token: a string that keeps words of up to 24 bytes inline (no allocation), which
/// is nearly every Chinese word. Derefs to `str`.
pub type Token = compact_str::CompactString;

/// The tokens of one turn, as produced once by the segmenter and reused downstream.
pub type TurnTokens = Vec<Token>;

/// The tokens of a turn in their stored form, joined by spaces. Tokens never contain
/// whitespace (the segmenter drops whitespace tokens), so this splits on bytes: `split(' ')`
/// compares each match through `memcmp`, which showed in the read-back's profile.
pub fn stored_tokens(joined: &str) -> impl Iterator<Item = &str> {
    joined.split_ascii_whitespace()
}

/// The stored tokens of a run of contacts, in one buffer: each turn's tokens in their
/// stored form ([`stored_tokens`]). The index is fed from these, so a week read back
/// from the history is not cut into a string per token only to be joined again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredTurns {
    text: String,
    /// End of each turn in `text`.
    turn_ends: Vec<usize>,
    /// End of each contact in `turn_ends`.
    contact_ends: Vec<usize>,
}

impl StoredTurns {
    /// Adds the next contact's turns (each its stored, space-joined tokens).
    pub fn push(&mut self, turns: &[&str]) {
        for turn in turns {
            self.text.push_str(turn);
            self.turn_ends.push(self.text.len());
        }
        self.contact_ends.push(self.turn_ends.len());
    }

    /// Contacts added.
    pub fn len(&self) -> usize {
        self.contact_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contact_ends.is_empty()
    }

    /// The turns of contact `i`, each its stored tokens; none past the last contact.
    pub fn turns(&self, i: usize) -> impl Iterator<Item = &str> + '_ {
        let first = if i == 0 {
            0
        } else {
            self.contact_ends.get(i - 1).copied().unwrap_or(usize::MAX)
        };
        let last = self.contact_ends.get(i).copied().unwrap_or(0);
        (first..last).map(move |t| {
            let start = if t == 0 { 0 } else { self.turn_ends[t - 1] };
            &self.text[start..self.turn_ends[t]]
        })
    }
}

/// Risk flags computed by classification; each is a searchable, countable field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFlags {
    /// Threat to escalate outside the company (12315, 工信部, 媒体曝光, 起诉 …).
    pub escalation: bool,
    /// Intent to leave (销户, 退网, 携号转网 …).
    pub churn: bool,
    /// Same customer contacted again within the configured window.
    pub repeat_contact: bool,
    /// Quality check: the first agent turn has no greeting (您好, 很高兴为您服务 …).
    #[serde(default)]
    pub no_greeting: bool,
    /// Quality check: an agent used a forbidden phrase (这不归我们管, 你自己看着办 …).
    #[serde(default)]
    pub forbidden_phrase: bool,
    /// Quality check: the last agent turn has no closing (祝您生活愉快, 再见, 还有其他可以帮您 …).
    #[serde(default)]
    pub no_closing: bool,
}

impl RiskFlags {
    /// Names of the flags that are set, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.escalation {
            out.push("escalation");
        }
        if self.churn {
            out.push("churn");
        }
        if self.repeat_contact {
            out.push("repeat");
        }
        if self.no_greeting {
            out.push("no_greeting");
        }
        if self.forbidden_phrase {
            out.push("forbidden_phrase");
        }
        if self.no_closing {
            out.push("no_closing");
        }
        out
    }
}

/// A contact after normalization, PII masking, segmentation and classification.
/// Its text is always masked: nothing downstream of ingest ever sees raw PII.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichedContact {
    pub contact: Contact,
    /// `tokens[i]` are the tokens of `contact.turns[i]`.
    pub tokens: Vec<TurnTokens>,
    /// ISO week of `started_at` in China time, e.g. `2026-W45`.
    pub week: String,
    /// Category ids (`网络质量/宽带断网`) matched by the taxonomy, sorted.
    pub categories: Vec<String>,
    /// Whether any matched category is a complaint (投诉) rather than an inquiry.
    pub complaint: bool,
    /// Contact sentiment in [-1, 1], weighted toward customer turns.
    pub sentiment: f32,
    /// `negative`, `neutral` or `positive`.
    pub sentiment_label: String,
    /// The customer's last turn's label, emotion and trajectory.
    #[serde(default)]
    pub mood: CustomerMood,
    pub risk: RiskFlags,
}

/// What a contact shows of the customer beyond its score: the label of their last turn,
/// the emotion their words show most, how their sentiment moved over the contact and
/// the score of each of their turns.
/// Empty strings mean "none" (no customer turn, no emotion word, a single turn).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerMood {
    /// `negative`, `neutral` or `positive`.
    pub last_turn_label: String,
    /// `愤怒`, `焦急`, `失望` or `满意`.
    pub emotion: String,
    /// In [0, 1]; 0 without an emotion.
    pub emotion_intensity: f32,
    /// `improving`, `worsening` or `steady` from the customer's first turn to their last.
    pub trajectory: String,
    /// Each turn's sentiment score in [−1, 1], in turn order: the customer's turns and
    /// notes; `None` for agent turns, which the contact's score leaves out.
    #[serde(default)]
    pub turn_sentiment: Vec<Option<f32>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_turns_give_back_each_contacts_turns() {
        let mut stored = StoredTurns::default();
        stored.push(&["宽带 断网", "您好"]);
        stored.push(&[]);
        stored.push(&["光猫 坏 了"]);
        assert_eq!(stored.len(), 3);
        let turns = |i| stored.turns(i).collect::<Vec<_>>();
        assert_eq!(turns(0), ["宽带 断网", "您好"]);
        assert!(turns(1).is_empty());
        assert_eq!(turns(2), ["光猫 坏 了"]);
        assert!(turns(3).is_empty(), "past the last contact");
        assert!(StoredTurns::default().turns(0).next().is_none());
    }
}
