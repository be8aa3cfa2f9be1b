//! The small expression language of one entry in a rule's term list.
//!
//! ```text
//! entry    := [speaker ":"] operand [ "NEAR/" N operand ]
//! speaker  := customer | agent | any | 客户 | 坐席          (":" may be full-width "：")
//! operand  := "@" group-name                               a synonym group from [synonyms]
//!           | phrase                                       one or more tokens, spaces ignored
//! ```
//!
//! Examples: `断网`, `@断网`, `agent:已报障`, `光猫 NEAR/5 红灯`, `customer:@光猫 NEAR/3 @红灯`.
//! A speaker prefix applies to the whole entry and overrides the category's `scope`.
//! Parse errors carry the character offset inside the entry, so the taxonomy loader can
//! point at the exact column in the file.

use crate::taxonomy::Scope;

/// One side of an entry: a literal phrase or a synonym group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// Text to match on token boundaries; whitespace removed, ASCII lower-cased.
    Phrase(String),
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

/// A parsed term-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// Overrides the category's scope for this entry.
    pub speaker: Option<Scope>,
    pub kind: ExprKind,
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
    let chars: Vec<char> = entry.chars().collect();
    let mut pos = skip_ws(&chars, 0);
    if pos == chars.len() {
        return Err(error(0, "expected a term, found an empty string"));
    }
    let speaker = match speaker_prefix(&chars, pos)? {
        Some((scope, next)) => {
            pos = skip_ws(&chars, next);
            Some(scope)
        }
        None => None,
    };
    let near_at = find_keyword(&chars, pos);
    let kind = match near_at {
        None => {
            check_no_bare_near(&chars, pos, chars.len())?;
            ExprKind::Term(operand(&chars, pos, chars.len(), "a term")?)
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
            check_no_bare_near(&chars, pos, k)?;
            let left = operand(&chars, pos, k, "a term before NEAR")?;
            if let Some(second) = find_keyword(&chars, digits_end) {
                return Err(error(
                    second,
                    "expected one NEAR per entry (write two entries, or use `all`)",
                ));
            }
            check_no_bare_near(&chars, digits_end, chars.len())?;
            let right = operand(&chars, digits_end, chars.len(), "a term after NEAR/N")?;
            ExprKind::Near {
                left,
                right,
                distance,
            }
        }
    };
    Ok(Expr { speaker, kind })
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
    Ok(Operand::Phrase(normalize_phrase(&text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(s: &str) -> Operand {
        Operand::Phrase(s.to_string())
    }

    #[test]
    fn terms_groups_and_speakers() {
        assert_eq!(
            parse("断网").unwrap(),
            Expr {
                speaker: None,
                kind: ExprKind::Term(phrase("断网"))
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
