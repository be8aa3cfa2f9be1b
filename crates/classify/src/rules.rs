//! The small expression language of one entry in a rule's term list.
//!
//! ```text
//! entry    := [speaker ":"] operand [ "NEAR/" N operand ] [ options ]
//! speaker  := customer | agent | any | 客户 | 坐席          (":" may be full-width "：")
//! operand  := "@" group-name                               a synonym group from [synonyms]
//!           | phrase | phrase "*" | "*" phrase | "*" phrase "*"
//!                            whole tokens | token start | token end | anywhere (see matcher)
//! options  := "[" option { "," option } "]"
//! option   := "weight=" number                             counts toward min_score (default 1)
//!           | "negation=" (auto | off | always)            which negations cancel it
//! ```
//!
//! Examples: `断网`, `操控*`, `*异响`, `*退款*`, `@断网`, `agent:已报障`, `光猫 NEAR/5 红灯`,
//! `customer:@光猫 NEAR/3 @红灯`, `发货 [negation=off]`, `异响 [weight=2]`.
//! A speaker prefix applies to the whole entry and overrides the category's `scope`.
//! Parse errors carry the character offset inside the entry, so the taxonomy loader can
//! point at the exact column in the file.

use crate::matcher::Form;
use crate::negation::NegationMode;
use crate::taxonomy::Scope;

/// One side of an entry: a literal phrase or a synonym group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// Text to match (whitespace removed, ASCII lower-cased) in one of the four forms.
    Phrase { text: String, form: Form },
    /// Name of a `[synonyms]` group, without the `@`; `offset` is where the `@` stands.
    Group { name: String, offset: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Term(Operand),
    /// Both operands occur, un-negated, with at most `distance` tokens between them,
    /// in either order.
    Near {
        left: Operand,
        right: Operand,
        distance: usize,
    },
}

/// The `[…]` options after an entry.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EntryOptions {
    /// Contribution to the category's score (default 1; negative: counter-evidence).
    pub weight: Option<f32>,
    /// Overrides the category's `negation`.
    pub negation: Option<NegationMode>,
}

/// A parsed term-list entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// Overrides the category's scope for this entry.
    pub speaker: Option<Scope>,
    pub kind: ExprKind,
    pub options: EntryOptions,
}

/// A parse error at a character offset (0-based) inside the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

fn error(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
    }
}

/// Text as a term dictionary key: no whitespace (tokens never contain any) and ASCII
/// lower-cased (so `WiFi` in a rule finds `wifi` in a transcript).
pub fn normalize_phrase(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Parses one entry of `any`, `all`, `none` or `near`.
pub fn parse(entry: &str) -> Result<Expr, ParseError> {
    let all: Vec<char> = entry.chars().collect();
    let (chars, options) = split_options(&all)?;
    let mut pos = skip_ws(chars, 0);
    if pos == chars.len() {
        return Err(error(0, "expected a term, found an empty string"));
    }
    let speaker = match speaker_prefix(chars, pos)? {
        Some((scope, next)) => {
            pos = skip_ws(chars, next);
            Some(scope)
        }
        None => None,
    };
    let near_at = find_keyword(chars, pos);
    let kind = match near_at {
        None => {
            check_no_bare_near(chars, pos, chars.len())?;
            ExprKind::Term(operand(chars, pos, chars.len(), "a term")?)
        }
        Some(k) => {
            // "NEAR/" is 5 characters; the distance follows immediately.
            let digits_start = k + 5;
            let mut digits_end = digits_start;
            while digits_end < chars.len() && chars[digits_end].is_ascii_digit() {
                digits_end += 1;
            }
            if digits_end == digits_start {
                return Err(error(
                    digits_start,
                    "expected a number of tokens after NEAR/ (e.g. 光猫 NEAR/5 红灯)",
                ));
            }
            let digits: String = chars[digits_start..digits_end].iter().collect();
            let distance: usize =
                digits.parse().ok().filter(|d| *d <= 1000).ok_or_else(|| {
                    error(digits_start, "expected a distance of at most 1000 tokens")
                })?;
            if digits_end < chars.len() && !chars[digits_end].is_whitespace() {
                return Err(error(
                    digits_end,
                    "expected a space after the NEAR/N distance",
                ));
            }
            check_no_bare_near(chars, pos, k)?;
            let left = operand(chars, pos, k, "a term before NEAR")?;
            if let Some(second) = find_keyword(chars, digits_end) {
                return Err(error(
                    second,
                    "expected one NEAR per entry (write two entries, or use `all`)",
                ));
            }
            check_no_bare_near(chars, digits_end, chars.len())?;
            let right = operand(chars, digits_end, chars.len(), "a term after NEAR/N")?;
            ExprKind::Near {
                left,
                right,
                distance,
            }
        }
    };
    Ok(Expr {
        speaker,
        kind,
        options,
    })
}

/// Splits a trailing `[key=value, …]` off the entry.
fn split_options(chars: &[char]) -> Result<(&[char], EntryOptions), ParseError> {
    let mut end = chars.len();
    while end > 0 && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    let mut options = EntryOptions::default();
    if end == 0 || chars[end - 1] != ']' {
        if let Some(at) = chars.iter().position(|c| *c == '[' || *c == ']') {
            return Err(error(
                at,
                "expected options in brackets at the end of the entry (e.g. 断网 [weight=2])",
            ));
        }
        return Ok((chars, options));
    }
    let Some(open) = chars[..end].iter().rposition(|c| *c == '[') else {
        return Err(error(end - 1, "expected [ before ]"));
    };
    let mut at = open + 1;
    for part in chars[open + 1..end - 1].split(|c| *c == ',' || *c == '，') {
        let text: String = part.iter().collect();
        let offset = at + (part.len() - text.trim_start().chars().count());
        at += part.len() + 1;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let Some((key, value)) = text.split_once('=') else {
            return Err(error(
                offset,
                format!("expected key=value in the options, found {text:?}"),
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "weight" => {
                let w: f32 = value
                    .parse()
                    .ok()
                    .filter(|w: &f32| w.is_finite() && w.abs() <= 1000.0)
                    .ok_or_else(|| {
                        error(
                            offset,
                            format!(
                                "expected a number for weight (e.g. weight=2), found {value:?}"
                            ),
                        )
                    })?;
                options.weight = Some(w);
            }
            "negation" => {
                options.negation = Some(NegationMode::parse(value).ok_or_else(|| {
                    error(
                        offset,
                        format!("expected negation=auto, off or always, found {value:?}"),
                    )
                })?);
            }
            other => {
                return Err(error(
                    offset,
                    format!("unknown option {other:?}: expected weight or negation"),
                ));
            }
        }
    }
    if let Some(at) = chars[..open].iter().position(|c| *c == '[' || *c == ']') {
        return Err(error(at, "expected one [options] at the end of the entry"));
    }
    Ok((&chars[..open], options))
}

fn skip_ws(chars: &[char], mut pos: usize) -> usize {
    while pos < chars.len() && chars[pos].is_whitespace() {
        pos += 1;
    }
    pos
}

/// `customer:` / `agent:` / `any:` / `客户：` / `坐席：`. ASCII letters followed by a colon
/// that are not a known scope are an error rather than a literal, so a typo such as
/// `custmer:断网` does not silently become a term nobody says.
fn speaker_prefix(chars: &[char], start: usize) -> Result<Option<(Scope, usize)>, ParseError> {
    let Some(colon) = chars[start..]
        .iter()
        .position(|c| *c == ':' || *c == '：')
        .map(|p| start + p)
    else {
        return Ok(None);
    };
    let word: String = chars[start..colon].iter().collect();
    let scope = match word.trim() {
        "customer" | "客户" => Scope::Customer,
        "agent" | "坐席" => Scope::Agent,
        "any" | "全部" => Scope::Any,
        w if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic()) => {
            return Err(error(
                start,
                format!("unknown speaker {w:?}: expected customer, agent or any before ':'"),
            ));
        }
        _ => return Ok(None),
    };
    Ok(Some((scope, colon + 1)))
}

/// Position of the next `NEAR/` (upper case) at or after `from`. No Chinese term
/// contains it, so it needs no surrounding spaces (`光猫NEAR/5红灯` is an error about the
/// missing space, not a literal).
fn find_keyword(chars: &[char], from: usize) -> Option<usize> {
    const KW: [char; 5] = ['N', 'E', 'A', 'R', '/'];
    (from..(chars.len() + 1).saturating_sub(5)).find(|&i| chars[i..i + 5] == KW)
}

/// `A NEAR B` or `A near/5 B` are likely meant as proximity: say so instead of looking
/// for a token "NEAR".
fn check_no_bare_near(chars: &[char], from: usize, to: usize) -> Result<(), ParseError> {
    let mut i = from;
    while i < to {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < to && !chars[i].is_whitespace() {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let upper = word.to_ascii_uppercase();
        if upper == "NEAR" || (upper.starts_with("NEAR/") && !word.starts_with("NEAR/")) {
            return Err(error(
                start,
                "expected NEAR/N in upper case with a distance (e.g. 光猫 NEAR/5 红灯)",
            ));
        }
    }
    Ok(())
}

fn operand(chars: &[char], from: usize, to: usize, what: &str) -> Result<Operand, ParseError> {
    let start = skip_ws(chars, from);
    let mut end = to;
    while end > start && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    if start >= end {
        return Err(error(start.min(to), format!("expected {what}")));
    }
    let text: String = chars[start..end].iter().collect();
    if let Some(name) = text.strip_prefix('@') {
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(error(
                start + 1,
                "expected a synonym group name right after @ (e.g. @断网)",
            ));
        }
        return Ok(Operand::Group {
            name: name.to_string(),
            offset: start,
        });
    }
    if let Some(at) = text.find([':', '：']) {
        let offset = start + text[..at].chars().count();
        return Err(error(
            offset,
            "expected a speaker prefix (customer:, agent:) only at the start of the entry",
        ));
    }
    if let Some(at) = text.find('@') {
        let offset = start + text[..at].chars().count();
        return Err(error(
            offset,
            "expected @ only at the start of a term (a synonym group reference)",
        ));
    }
    let form = match (text.starts_with('*'), text.len() > 1 && text.ends_with('*')) {
        (false, false) => Form::Word,
        (false, true) => Form::Prefix,
        (true, false) => Form::Suffix,
        (true, true) => Form::Substring,
    };
    let inner = text.trim_start_matches('*').trim_end_matches('*');
    if let Some(at) = inner.find('*') {
        let offset = start + text.find(inner).unwrap_or(0) + inner[..at].chars().count();
        return Err(error(
            offset,
            "expected * only at the start or the end of a term (操控*, *异响, *退款*)",
        ));
    }
    let inner = normalize_phrase(inner);
    if inner.is_empty() {
        return Err(error(start, format!("expected {what} besides *")));
    }
    Ok(Operand::Phrase { text: inner, form })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(s: &str) -> Operand {
        Operand::Phrase {
            text: s.to_string(),
            form: Form::Word,
        }
    }

    #[test]
    fn terms_groups_and_speakers() {
        assert_eq!(
            parse("断网").unwrap(),
            Expr {
                speaker: None,
                kind: ExprKind::Term(phrase("断网")),
                options: EntryOptions::default(),
            }
        );
        assert_eq!(
            parse(" 宽带 断网 ").unwrap().kind,
            ExprKind::Term(phrase("宽带断网"))
        );
        assert_eq!(parse("WiFi").unwrap().kind, ExprKind::Term(phrase("wifi")));
        let e = parse("agent：已报障").unwrap();
        assert_eq!(e.speaker, Some(Scope::Agent));
        assert_eq!(e.kind, ExprKind::Term(phrase("已报障")));
        let e = parse("客户:@断网").unwrap();
        assert_eq!(e.speaker, Some(Scope::Customer));
        assert_eq!(
            e.kind,
            ExprKind::Term(Operand::Group {
                name: "断网".into(),
                offset: 3
            })
        );
    }

    #[test]
    fn forms_and_options() {
        let form = |e: &str| match parse(e).unwrap().kind {
            ExprKind::Term(Operand::Phrase { text, form }) => (text, form),
            k => panic!("{k:?}"),
        };
        assert_eq!(form("操控*"), ("操控".into(), Form::Prefix));
        assert_eq!(form("*异响"), ("异响".into(), Form::Suffix));
        assert_eq!(form("*退款*"), ("退款".into(), Form::Substring));
        let e = parse("agent:发货 [negation=off, weight=2.5]").unwrap();
        assert_eq!(e.options.negation, Some(NegationMode::Off));
        assert_eq!(e.options.weight, Some(2.5));
        assert_eq!(e.speaker, Some(Scope::Agent));
        let err = parse("操*控").unwrap_err();
        assert_eq!(err.offset, 1, "{err:?}");
        let err = parse("*").unwrap_err();
        assert!(err.message.contains("besides *"), "{err:?}");
        let err = parse("断网 [wieght=2]").unwrap_err();
        assert_eq!(err.offset, 4, "{err:?}");
        assert!(err.message.contains("unknown option"), "{err:?}");
        let err = parse("断网 [negation=no]").unwrap_err();
        assert!(err.message.contains("auto, off or always"), "{err:?}");
        let err = parse("断网 [weight=2").unwrap_err();
        assert!(err.message.contains("brackets"), "{err:?}");
    }

    #[test]
    fn near_expressions() {
        assert_eq!(
            parse("光猫 NEAR/5 红灯").unwrap().kind,
            ExprKind::Near {
                left: phrase("光猫"),
                right: phrase("红灯"),
                distance: 5
            }
        );
        let e = parse("customer:@光猫 NEAR/0 @红灯").unwrap();
        assert_eq!(e.speaker, Some(Scope::Customer));
        assert!(matches!(e.kind, ExprKind::Near { distance: 0, .. }));
    }

    #[test]
    fn errors_point_inside_the_entry() {
        let err = parse("光猫 NEAR/x 红灯").unwrap_err();
        assert_eq!(err.offset, 8, "{err:?}");
        assert!(err.message.contains("expected a number"), "{err:?}");
        let err = parse("光猫 NEAR/5").unwrap_err();
        assert!(err.message.contains("after NEAR"), "{err:?}");
        let err = parse("NEAR/5 红灯").unwrap_err();
        assert_eq!(err.offset, 0);
        assert!(err.message.contains("before NEAR"), "{err:?}");
        let err = parse("光猫 near 红灯").unwrap_err();
        assert_eq!(err.offset, 3);
        let err = parse("光猫 NEAR/5 红灯 NEAR/2 闪").unwrap_err();
        assert_eq!(err.offset, 13);
        let err = parse("custmer:断网").unwrap_err();
        assert!(err.message.contains("custmer"), "{err:?}");
        let err = parse("断@网").unwrap_err();
        assert_eq!(err.offset, 1);
        let err = parse("@").unwrap_err();
        assert_eq!(err.offset, 1);
        let err = parse("  ").unwrap_err();
        assert_eq!(err.offset, 0);
        let err = parse("光猫 NEAR/5红灯").unwrap_err();
        assert_eq!(err.offset, 9);
        let err = parse("光猫 NEAR/5 agent:红灯").unwrap_err();
        assert_eq!(err.offset, 15);
    }
}
