//! From topic to category: a TOML stub of a `[[category]]` for a discovered topic,
//! for `voc taxonomy suggest`: its distinctive phrases as terms (those sharing a word
//! grouped as a `[synonyms]` entry: they are variants of one thing), its verbatims that
//! contain a term as `must_match`, and other topics' verbatims that contain none as
//! `must_not_match`, so `voc taxonomy test` passes on the stub as written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::{Discovery, Topic};

/// At most this many phrases become terms.
const MAX_TERMS: usize = 6;
/// Negation words the matcher ignores a term after (`voc_classify::matcher`).
const NEGATIONS: &[&str] = &["不", "没", "没有", "未", "无", "别"];

fn quoted(s: &str) -> String {
    // A JSON string is a TOML basic string (the same escapes).
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// Whether `text` uses `term` other than right after a negation word.
fn uses(text: &str, term: &str) -> bool {
    text.match_indices(term)
        .any(|(at, _)| !NEGATIONS.iter().any(|n| text[..at].ends_with(n)))
}

/// The example text of a verbatim: its turns without the `…` of a cut.
fn example(text: &str) -> String {
    text.trim_end_matches('…').to_string()
}

/// The stub for `topic` of `discovery`, as TOML text.
pub fn category_stub(discovery: &Discovery, topic: &Topic) -> String {
    let phrases: Vec<String> = topic
        .phrases
        .iter()
        .take(MAX_TERMS)
        .map(|p| p.value.clone())
        .collect();
    // Variants: phrases sharing a word (`退款到账`, `退款进度` share `退款`). The
    // words of each phrase come from its matching vector (`退款 到账`).
    let words_of: BTreeMap<String, Vec<String>> = topic
        .terms
        .iter()
        .map(|(tokens, _)| {
            (
                tokens.split(' ').collect::<String>(),
                tokens.split(' ').map(str::to_string).collect(),
            )
        })
        .collect();
    let mut by_word: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for phrase in &phrases {
        for word in words_of
            .get(phrase)
            .cloned()
            .unwrap_or_else(|| vec![phrase.clone()])
        {
            by_word.entry(word).or_default().push(phrase.clone());
        }
    }
    let mut synonyms: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut grouped: Vec<String> = Vec::new();
    for (word, group) in &by_word {
        let fresh: Vec<String> = group
            .iter()
            .filter(|p| !grouped.contains(p))
            .cloned()
            .collect();
        if fresh.len() >= 2 {
            grouped.extend(fresh.iter().cloned());
            synonyms.insert(format!("{}-{word}", topic.id), fresh);
        }
    }
    let mut any: Vec<String> = synonyms.keys().map(|name| format!("@{name}")).collect();
    any.extend(phrases.iter().filter(|p| !grouped.contains(p)).cloned());
    let must_match: Vec<String> = topic
        .verbatims
        .iter()
        .map(|v| example(&v.text))
        .filter(|text| phrases.iter().any(|p| uses(text, p)))
        .collect();
    let must_not_match: Vec<String> = discovery
        .topics
        .iter()
        .chain(&discovery.themes)
        .filter(|t| t.id != topic.id)
        .flat_map(|t| t.verbatims.iter().take(1))
        .map(|v| example(&v.text))
        .filter(|text| !phrases.iter().any(|p| text.contains(p.as_str())))
        .take(3)
        .collect();
    let name = topic
        .phrases
        .iter()
        .take(2)
        .map(|p| p.value.as_str())
        .collect::<Vec<_>>()
        .join("");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Suggested by `voc taxonomy suggest --topic {}` from {} ({} contacts, {:.1}% of the period; {:.0}% in no category).",
        topic.id,
        discovery.period,
        topic.size,
        topic.share * 100.0,
        topic.uncategorised_share * 100.0
    );
    let _ = writeln!(
        out,
        "# Edit the id, name and terms, paste into the taxonomy (the [synonyms] entry into its\n# [synonyms] table, if it has one), then run `voc taxonomy test`."
    );
    if !synonyms.is_empty() {
        let _ = writeln!(out, "\n[synonyms]");
        for (key, group) in &synonyms {
            let _ = writeln!(out, "{} = {}", quoted(key), list(group));
        }
    }
    let _ = writeln!(out, "\n[[category]]");
    let _ = writeln!(out, "id = {}", quoted(&format!("待归类/{name}")));
    let _ = writeln!(out, "name = {}", quoted(&name));
    let _ = writeln!(out, "complaint = false");
    let _ = writeln!(out, "scope = \"customer\"");
    let _ = writeln!(out, "any = {}", list(&any));
    let _ = writeln!(out, "all = []");
    let _ = writeln!(out, "none = []");
    let _ = writeln!(out, "must_match = {}", list(&must_match));
    let _ = writeln!(out, "must_not_match = {}", list(&must_not_match));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_after_a_negation_does_not_count_as_used() {
        assert!(uses("退款一直没到账", "退款"));
        assert!(!uses("没退款", "退款"));
        assert!(uses("没退款，退款呢", "退款"));
    }
}
