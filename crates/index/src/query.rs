//! The query language product teams type, parsed by hand so that every mistake gets a
//! message with the character position and what was expected (tantivy's own parser
//! answers "syntax error" and knows nothing of facets, speaker scope or `last:4w`).
//!
//! ```text
//! 宽带 断网                     both words (AND is the default)
//! "光猫指示灯一直闪红灯"          a phrase: tokens adjacent, in order, within one turn
//! 断网 OR 掉线, NOT 表扬, -表扬   boolean operators; NOT binds tighter than AND, AND than OR
//! (断网 OR 掉线) 退订            parentheses
//! customer:断网  agent:报障      speaker scope (work-order notes count as the customer)
//! channel:voice region:广东 business:宽带 id:C20261102-000123 week:2026-W45
//! category:网络质量             a category and all its children
//! category:网络质量/宽带断网
//! risk:escalation sentiment:negative   sentiment:[-1 TO -0.5] (score range)
//! date:[2026-10-01 TO 2026-10-31]  date:2026-10  date:2026-10-05  date:[2026-10-01 TO *]
//! last:4w  last:30d             relative to the newest contact in the index
//! channel:(voice OR chat)       a field applies to a whole group
//! ```
//!
//! Parsing ([`parse`]) gives an [`Expr`] with character positions; compiling it
//! ([`crate::ContactIndex`] does that) needs the index (segmenter, newest date).

use std::fmt;

/// Longest query accepted; longer ones are refused before parsing.
pub const MAX_QUERY_CHARS: usize = 1000;
/// Deepest nesting of parentheses and NOTs; keeps recursion bounded on hostile input.
const MAX_DEPTH: usize = 32;

/// The fields a query may name, in the order the help text lists them.
pub const KNOWN_FIELDS: &[&str] = &[
    "text",
    "customer",
    "agent",
    "channel",
    "region",
    "business",
    "category",
    "risk",
    "sentiment",
    "date",
    "last",
    "week",
    "id",
    "emotion",
    "trajectory",
    "lastturn",
    "topic",
];

/// A field of the query language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldName {
    /// All turns (the default for bare words).
    Text,
    Customer,
    Agent,
    Channel,
    Region,
    Business,
    Category,
    Risk,
    Sentiment,
    Date,
    Last,
    Week,
    Id,
    /// The customer's emotion (`emotion:愤怒`).
    Emotion,
    /// How the customer's sentiment moved (`trajectory:worsening`).
    Trajectory,
    /// The label of the customer's last turn (`lastturn:negative`).
    LastTurn,
    /// A topic found by `voc discover` (`topic:T0007`).
    Topic,
}

impl FieldName {
    pub fn parse(name: &str) -> Option<FieldName> {
        Some(match name.to_ascii_lowercase().as_str() {
            "text" | "all" => FieldName::Text,
            "customer" => FieldName::Customer,
            "agent" => FieldName::Agent,
            "channel" => FieldName::Channel,
            "region" => FieldName::Region,
            "business" => FieldName::Business,
            "category" => FieldName::Category,
            "risk" => FieldName::Risk,
            "sentiment" => FieldName::Sentiment,
            "date" => FieldName::Date,
            "last" => FieldName::Last,
            "week" => FieldName::Week,
            "id" => FieldName::Id,
            "emotion" => FieldName::Emotion,
            "trajectory" => FieldName::Trajectory,
            "lastturn" => FieldName::LastTurn,
            "topic" => FieldName::Topic,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldName::Text => "text",
            FieldName::Customer => "customer",
            FieldName::Agent => "agent",
            FieldName::Channel => "channel",
            FieldName::Region => "region",
            FieldName::Business => "business",
            FieldName::Category => "category",
            FieldName::Risk => "risk",
            FieldName::Sentiment => "sentiment",
            FieldName::Date => "date",
            FieldName::Last => "last",
            FieldName::Week => "week",
            FieldName::Id => "id",
            FieldName::Emotion => "emotion",
            FieldName::Trajectory => "trajectory",
            FieldName::LastTurn => "lastturn",
            FieldName::Topic => "topic",
        }
    }

    /// Fields whose values are cut into words (full-text fields).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            FieldName::Text | FieldName::Customer | FieldName::Agent
        )
    }

    /// Fields that accept `[a TO b]`.
    pub fn takes_range(self) -> bool {
        matches!(
            self,
            FieldName::Date | FieldName::Week | FieldName::Sentiment
        )
    }
}

/// A parse or compile error: what went wrong, where (1-based character position in
/// the query, when it points into one) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueryError {
    pub query: String,
    /// 1-based character position in `query`, or none for errors about a filter.
    pub position: Option<usize>,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "at character {p}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for QueryError {}

/// A value in a clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unquoted word: its tokens must all appear (anywhere in the field).
    Word(String),
    /// A quoted phrase: its tokens must appear adjacent and in order.
    Phrase(String),
    /// `[lo TO hi]` (inclusive) or `{lo TO hi}` (exclusive); `None` is `*`.
    Range {
        lo: Option<String>,
        hi: Option<String>,
        inclusive: bool,
    },
}

/// A parsed query. `pos` is the 1-based character position of the clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Matches every contact (the empty query).
    All,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Clause {
        field: FieldName,
        value: Value,
        pos: usize,
    },
}

/// Normalizes a query the way ingest normalizes text, one character for one character
/// so error positions still point into what the user typed: full-width ASCII and the
/// ideographic space become half-width (so `channel：voice`, `（断网）` and `＂…＂` typed
/// with a Chinese IME work), and curly quotes become `"`. Traditional → Simplified is
/// applied to the values later (see [`to_simplified`]), since it may change lengths.
pub fn normalize_width(query: &str) -> String {
    query
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '“' | '”' | '„' | '「' | '」' => '"',
            '\t' | '\r' | '\n' => ' ',
            c => c,
        })
        .collect()
}

/// Traditional → Simplified Chinese with OpenCC's t2s tables, the same tables ingest
/// uses on the text, so `寬頻斷網` finds `宽带断网`-era text cut from Simplified.
pub fn to_simplified(value: &str) -> String {
    use std::sync::OnceLock;
    static T2S: OnceLock<Option<ferrous_opencc::OpenCC>> = OnceLock::new();
    let converter = T2S.get_or_init(|| {
        ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::T2s).ok()
    });
    // Pure ASCII needs no table; most values (channel names, dates) are.
    match converter {
        Some(opencc) if !value.is_ascii() => opencc.convert(value),
        _ => value.to_string(),
    }
}

/// Normalizes a whole query string for display or logging: width, then 繁→简.
pub fn normalize_query(query: &str) -> String {
    to_simplified(&normalize_width(query))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    /// `-` glued to the next token.
    Minus,
    /// `name:` glued to the next token.
    Field(String),
    Word(String),
    Phrase(String),
    Range {
        lo: Option<String>,
        hi: Option<String>,
        inclusive: bool,
    },
}

#[derive(Debug, Clone)]
struct Spanned {
    tok: Tok,
    /// 1-based character position of the token's first character.
    pos: usize,
    /// Whether whitespace (or the start) comes right after this token.
    glued_to_next: bool,
}

struct Lexer<'a> {
    query: &'a str,
    chars: Vec<char>,
    i: usize,
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '"')
}

impl<'a> Lexer<'a> {
    fn error(&self, pos: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            query: self.query.to_string(),
            position: Some(pos),
            message: message.into(),
        }
    }

    fn tokens(mut self) -> Result<Vec<Spanned>, QueryError> {
        let mut out: Vec<Spanned> = Vec::new();
        while self.i < self.chars.len() {
            let c = self.chars[self.i];
            if c.is_whitespace() {
                if let Some(last) = out.last_mut() {
                    last.glued_to_next = false;
                }
                self.i += 1;
                continue;
            }
            let pos = self.i + 1;
            let tok = match c {
                '(' => {
                    self.i += 1;
                    Tok::LParen
                }
                ')' => {
                    self.i += 1;
                    Tok::RParen
                }
                '"' => self.phrase(pos)?,
                '[' | '{'
                    if matches!(
                        out.last(),
                        Some(Spanned {
                            tok: Tok::Field(_),
                            glued_to_next: true,
                            ..
                        })
                    ) =>
                {
                    self.range(pos)?
                }
                '-' | '+'
                    if self.i + 1 < self.chars.len()
                        && !self.chars[self.i + 1].is_whitespace()
                        && self.chars[self.i + 1] != ')' =>
                {
                    self.i += 1;
                    if c == '-' {
                        Tok::Minus
                    } else {
                        // `+term` means "required", which every term already is.
                        if let Some(last) = out.last_mut() {
                            last.glued_to_next = false;
                        }
                        continue;
                    }
                }
                _ => self.word(),
            };
            out.push(Spanned {
                tok,
                pos,
                glued_to_next: true,
            });
        }
        if let Some(last) = out.last_mut() {
            last.glued_to_next = false;
        }
        Ok(out)
    }

    fn phrase(&mut self, pos: usize) -> Result<Tok, QueryError> {
        self.i += 1;
        let start = self.i;
        while self.i < self.chars.len() && self.chars[self.i] != '"' {
            self.i += 1;
        }
        if self.i >= self.chars.len() {
            return Err(self.error(
                self.chars.len() + 1,
                format!("expected a closing '\"' for the phrase opened at character {pos}"),
            ));
        }
        let text: String = self.chars[start..self.i].iter().collect();
        self.i += 1;
        Ok(Tok::Phrase(text))
    }

    fn range(&mut self, pos: usize) -> Result<Tok, QueryError> {
        let open = self.chars[self.i];
        let close = if open == '[' { ']' } else { '}' };
        self.i += 1;
        let start = self.i;
        while self.i < self.chars.len() && self.chars[self.i] != close {
            self.i += 1;
        }
        if self.i >= self.chars.len() {
            return Err(self.error(
                self.chars.len() + 1,
                format!("expected '{close}' to close the range opened at character {pos}"),
            ));
        }
        let inner: String = self.chars[start..self.i].iter().collect();
        self.i += 1;
        let parts: Vec<&str> = inner.split_whitespace().collect();
        let bound = |s: &str| (s != "*").then(|| s.to_string());
        match parts.as_slice() {
            [lo, to, hi] if to.eq_ignore_ascii_case("TO") => Ok(Tok::Range {
                lo: bound(lo),
                hi: bound(hi),
                inclusive: open == '[',
            }),
            _ => Err(self.error(
                pos,
                format!("expected a range like {open}2026-10-01 TO 2026-10-31{close}, found {open}{inner}{close}"),
            )),
        }
    }

    fn word(&mut self) -> Tok {
        let start = self.i;
        while self.i < self.chars.len() && is_word_char(self.chars[self.i]) {
            let c = self.chars[self.i];
            // `name:` starts a field clause when `name` is an identifier; anything else
            // with a colon (`10:30`) stays a word.
            if c == ':' && self.i > start {
                let name: String = self.chars[start..self.i].iter().collect();
                if name.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                    self.i += 1;
                    return Tok::Field(name);
                }
            }
            self.i += 1;
        }
        let word: String = self.chars[start..self.i].iter().collect();
        match word.as_str() {
            "AND" | "&&" => Tok::And,
            "OR" | "||" => Tok::Or,
            "NOT" => Tok::Not,
            _ => Tok::Word(word),
        }
    }
}

struct Parser<'a> {
    query: &'a str,
    toks: Vec<Spanned>,
    i: usize,
    /// Position just past the end, for "expected … at the end" errors.
    end: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::And => "AND".into(),
        Tok::Or => "OR".into(),
        Tok::Not => "NOT".into(),
        Tok::Minus => "'-'".into(),
        Tok::Field(f) => format!("'{f}:'"),
        Tok::Word(w) => format!("'{w}'"),
        Tok::Phrase(p) => format!("\"{p}\""),
        Tok::Range { .. } => "a range".into(),
    }
}

impl<'a> Parser<'a> {
    fn error(&self, pos: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            query: self.query.to_string(),
            position: Some(pos),
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<&Spanned> {
        self.toks.get(self.i)
    }

    fn pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn expected_term(&self, after: &str) -> QueryError {
        match self.peek() {
            Some(t) => self.error(
                t.pos,
                format!("expected a word, a \"phrase\", field:value or '(' {after}, found {}", describe(&t.tok)),
            ),
            None => self.error(
                self.end,
                format!("expected a word, a \"phrase\", field:value or '(' {after}, found the end of the query"),
            ),
        }
    }

    /// Whether something that can start a term comes next (not the end, `)`, OR, AND).
    fn term_follows(&self) -> bool {
        !matches!(
            self.peek().map(|t| &t.tok),
            None | Some(Tok::RParen | Tok::Or | Tok::And)
        )
    }

    fn or_expr(&mut self, scope: Option<FieldName>, depth: usize) -> Result<Expr, QueryError> {
        let mut alternatives = vec![self.and_expr(scope, depth)?];
        while let Some(Spanned { tok: Tok::Or, .. }) = self.peek() {
            self.i += 1;
            if !self.term_follows() {
                return Err(self.expected_term("after OR"));
            }
            alternatives.push(self.and_expr(scope, depth)?);
        }
        Ok(if alternatives.len() == 1 {
            alternatives.remove(0)
        } else {
            Expr::Or(alternatives)
        })
    }

    fn and_expr(&mut self, scope: Option<FieldName>, depth: usize) -> Result<Expr, QueryError> {
        let mut parts = vec![self.unary(scope, depth)?];
        loop {
            match self.peek().map(|t| &t.tok) {
                None | Some(Tok::Or) | Some(Tok::RParen) => break,
                Some(Tok::And) => {
                    self.i += 1;
                    if !self.term_follows() {
                        return Err(self.expected_term("after AND"));
                    }
                }
                Some(_) => {}
            }
            parts.push(self.unary(scope, depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self, scope: Option<FieldName>, depth: usize) -> Result<Expr, QueryError> {
        if depth > MAX_DEPTH {
            return Err(self.error(
                self.pos(),
                format!("the query nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Not) | Some(Tok::Minus) => {
                let what = if matches!(self.peek().map(|t| &t.tok), Some(Tok::Not)) {
                    "after NOT"
                } else {
                    "after '-'"
                };
                self.i += 1;
                if self.peek().is_none()
                    || matches!(
                        self.peek(),
                        Some(Spanned {
                            tok: Tok::RParen | Tok::Or | Tok::And,
                            ..
                        })
                    )
                {
                    return Err(self.expected_term(what));
                }
                Ok(Expr::Not(Box::new(self.unary(scope, depth + 1)?)))
            }
            _ => self.primary(scope, depth),
        }
    }

    fn primary(&mut self, scope: Option<FieldName>, depth: usize) -> Result<Expr, QueryError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.expected_term("here"));
        };
        match t.tok {
            Tok::LParen => {
                self.i += 1;
                if matches!(
                    self.peek(),
                    Some(Spanned {
                        tok: Tok::RParen,
                        ..
                    })
                ) {
                    return Err(self.expected_term("inside '( )'"));
                }
                let inner = self.or_expr(scope, depth + 1)?;
                match self.peek() {
                    Some(Spanned { tok: Tok::RParen, .. }) => {
                        self.i += 1;
                        Ok(inner)
                    }
                    Some(other) => Err(self.error(
                        other.pos,
                        format!("expected ')' to close the '(' at character {}, found {}", t.pos, describe(&other.tok)),
                    )),
                    None => Err(self.error(
                        self.end,
                        format!("expected ')' to close the '(' at character {}, found the end of the query", t.pos),
                    )),
                }
            }
            Tok::Field(name) => {
                let Some(field) = FieldName::parse(&name) else {
                    return Err(self.error(
                        t.pos,
                        format!(
                            "unknown field '{name}'; known fields: {}",
                            KNOWN_FIELDS.join(", ")
                        ),
                    ));
                };
                self.i += 1;
                let next_pos = self.pos();
                if !t.glued_to_next {
                    return Err(self.error(
                        next_pos,
                        format!(
                            "expected a value right after '{name}:' (no space), e.g. {}",
                            example(field)
                        ),
                    ));
                }
                match self.peek().map(|s| s.tok.clone()) {
                    Some(Tok::LParen) => self.primary(Some(field), depth + 1),
                    Some(Tok::Word(w)) => {
                        self.i += 1;
                        Ok(Expr::Clause {
                            field,
                            value: Value::Word(w),
                            pos: t.pos,
                        })
                    }
                    Some(Tok::Phrase(p)) => {
                        self.i += 1;
                        Ok(Expr::Clause {
                            field,
                            value: Value::Phrase(p),
                            pos: t.pos,
                        })
                    }
                    Some(Tok::Range { lo, hi, inclusive }) => {
                        self.i += 1;
                        if !field.takes_range() {
                            return Err(self.error(
                                next_pos,
                                format!("field '{}' takes a single value, not a range; ranges work on date, week and sentiment", field.as_str()),
                            ));
                        }
                        Ok(Expr::Clause {
                            field,
                            value: Value::Range { lo, hi, inclusive },
                            pos: t.pos,
                        })
                    }
                    _ => Err(self.error(
                        next_pos,
                        format!("expected a value after '{name}:', e.g. {}", example(field)),
                    )),
                }
            }
            Tok::Word(w) => {
                self.i += 1;
                Ok(Expr::Clause {
                    field: scope.unwrap_or(FieldName::Text),
                    value: Value::Word(w),
                    pos: t.pos,
                })
            }
            Tok::Phrase(p) => {
                self.i += 1;
                Ok(Expr::Clause {
                    field: scope.unwrap_or(FieldName::Text),
                    value: Value::Phrase(p),
                    pos: t.pos,
                })
            }
            Tok::RParen => Err(self.error(t.pos, "unexpected ')': there is no '(' to close")),
            _ => Err(self.expected_term("here")),
        }
    }
}

/// An example value for error messages.
pub fn example(field: FieldName) -> &'static str {
    match field {
        FieldName::Text => "text:断网",
        FieldName::Customer => "customer:断网",
        FieldName::Agent => "agent:报障",
        FieldName::Channel => "channel:voice",
        FieldName::Region => "region:广东",
        FieldName::Business => "business:宽带",
        FieldName::Category => "category:网络质量/宽带断网",
        FieldName::Risk => "risk:escalation",
        FieldName::Sentiment => "sentiment:negative",
        FieldName::Date => "date:[2026-10-01 TO 2026-10-31]",
        FieldName::Last => "last:4w",
        FieldName::Week => "week:2026-W45",
        FieldName::Id => "id:C20261102-000123",
        FieldName::Emotion => "emotion:愤怒",
        FieldName::Trajectory => "trajectory:worsening",
        FieldName::LastTurn => "lastturn:negative",
        FieldName::Topic => "topic:T0007",
    }
}

/// Parses a query (after width normalization). The empty query is [`Expr::All`].
pub fn parse(query: &str) -> Result<Expr, QueryError> {
    let normalized = normalize_width(query);
    let chars: Vec<char> = normalized.chars().collect();
    if chars.len() > MAX_QUERY_CHARS {
        return Err(QueryError {
            query: query.to_string(),
            position: Some(MAX_QUERY_CHARS + 1),
            message: format!(
                "the query is {} characters long; at most {MAX_QUERY_CHARS} are allowed",
                chars.len()
            ),
        });
    }
    let end = chars.len() + 1;
    let toks = Lexer { query, chars, i: 0 }.tokens()?;
    if toks.is_empty() {
        return Ok(Expr::All);
    }
    let mut parser = Parser {
        query,
        toks,
        i: 0,
        end,
    };
    let expr = parser.or_expr(None, 0)?;
    if let Some(t) = parser.peek() {
        return Err(match t.tok {
            Tok::RParen => parser.error(t.pos, "unexpected ')': there is no '(' to close"),
            _ => parser.error(t.pos, format!("unexpected {}", describe(&t.tok))),
        });
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(field: FieldName, w: &str, pos: usize) -> Expr {
        Expr::Clause {
            field,
            value: Value::Word(w.into()),
            pos,
        }
    }

    #[test]
    fn bare_words_are_anded() {
        assert_eq!(
            parse("宽带 断网").unwrap(),
            Expr::And(vec![
                clause(FieldName::Text, "宽带", 1),
                clause(FieldName::Text, "断网", 4)
            ])
        );
        assert_eq!(parse("  ").unwrap(), Expr::All);
    }

    #[test]
    fn precedence_not_and_or() {
        let e = parse("a b OR -c").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                Expr::And(vec![
                    clause(FieldName::Text, "a", 1),
                    clause(FieldName::Text, "b", 3)
                ]),
                Expr::Not(Box::new(clause(FieldName::Text, "c", 9))),
            ])
        );
    }

    #[test]
    fn fields_phrases_ranges_and_groups() {
        let e = parse(r#"customer:"光猫 指示灯" channel:(voice OR chat) date:[2026-10-01 TO *]"#)
            .unwrap();
        let Expr::And(parts) = e else { panic!("{e:?}") };
        assert_eq!(
            parts[0],
            Expr::Clause {
                field: FieldName::Customer,
                value: Value::Phrase("光猫 指示灯".into()),
                pos: 1
            }
        );
        assert_eq!(
            parts[1],
            Expr::Or(vec![
                clause(FieldName::Channel, "voice", 28),
                clause(FieldName::Channel, "chat", 37)
            ])
        );
        assert_eq!(
            parts[2],
            Expr::Clause {
                field: FieldName::Date,
                value: Value::Range {
                    lo: Some("2026-10-01".into()),
                    hi: None,
                    inclusive: true
                },
                pos: 43
            }
        );
    }

    #[test]
    fn full_width_syntax_from_a_chinese_ime() {
        assert_eq!(
            parse("region：广东").unwrap(),
            clause(FieldName::Region, "广东", 1)
        );
        assert!(matches!(parse("（断网 OR 掉线）").unwrap(), Expr::Or(_)));
        assert!(matches!(
            parse("“光猫 闪灯”").unwrap(),
            Expr::Clause {
                value: Value::Phrase(_),
                ..
            }
        ));
    }

    #[test]
    fn colons_in_words_and_hyphens_stay_words() {
        assert_eq!(parse("10:30").unwrap(), clause(FieldName::Text, "10:30", 1));
        assert_eq!(
            parse("id:C2026-1").unwrap(),
            clause(FieldName::Id, "C2026-1", 1)
        );
    }

    fn err(q: &str) -> QueryError {
        parse(q).expect_err(q)
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = err("(断网 OR 掉线");
        assert_eq!(e.position, Some(10));
        assert!(e.message.contains("expected ')'"), "{e}");

        let e = err("断网 OR");
        assert_eq!(e.position, Some(6));
        assert!(e.message.contains("after OR"), "{e}");

        let e = err("\"光猫 闪灯");
        assert!(e.message.contains("closing '\"'"), "{e}");

        let e = err("断网)");
        assert_eq!(e.position, Some(3));

        let e = err("colour:red");
        assert_eq!(e.position, Some(1));
        assert!(
            e.message.contains("unknown field 'colour'") && e.message.contains("channel"),
            "{e}"
        );

        let e = err("channel: voice");
        assert!(e.message.contains("right after 'channel:'"), "{e}");

        let e = err("channel:[a TO b]");
        assert!(e.message.contains("not a range"), "{e}");

        let e = err("date:[2026-10-01 2026-10-31]");
        assert!(e.message.contains("TO"), "{e}");

        let e = err("()");
        assert_eq!(e.position, Some(2));

        assert!(err(&"(".repeat(40)).message.contains("nests deeper"));
        assert!(err(&"断".repeat(1001)).message.contains("at most 1000"));
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_query("寬頻斷網　ＡＢＣ"), "宽频断网 ABC");
    }
}
