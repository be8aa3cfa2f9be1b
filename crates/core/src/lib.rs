//! Shared vocabulary of the VOC pipeline: the canonical contact record, the enriched
//! record every later stage reads, time helpers for the Asia/Shanghai calendar, content
//! fingerprints and atomic file writes.
//!
//! Every stage crate depends on this one and on nothing heavier, so these types stay
//! plain data with serde derives.
//!
//! ```
//! use voc_core::{Contact, Speaker};
//! let line = r#"{"id":"C1","started_at":"2026-11-02T09:15:02+08:00","channel":"voice",
//!   "turns":[{"speaker":"customer","text":"宽带又断网了"}]}"#;
//! let contact: Contact = serde_json::from_str(line).unwrap();
//! assert_eq!(contact.turns[0].speaker, Speaker::Customer);
//! assert_eq!(voc_core::time::iso_week_key(&contact.started_at), "2026-W45");
//! ```

pub mod arena;
pub mod channel;
pub mod chars;
pub mod fingerprint;
pub mod flag;
pub mod fsutil;
pub mod hash;
pub mod html;
pub mod period;
pub mod record;
pub mod time;

pub use period::{Period, PeriodError, PeriodKind};
pub use record::{
    Contact, CustomerMood, EnrichedContact, RiskFlags, Speaker, StoredTurns, Token, Turn,
    TurnTokens, stored_tokens,
};
