//! PII masking. Runs inside ingest on every text field (and on the raw text of
//! quarantined records) before anything is written anywhere.
//!
//! Each candidate is validated before it is masked: ID card numbers need a valid birth
//! date and check digit, bank card numbers a valid Luhn sum, mobiles a real prefix, so
//! order numbers and amounts are left alone. Masks keep the shape (`138****5678`) so
//! verbatims stay readable.

use regex::Regex;
use std::borrow::Cow;

/// What kind of personal data a mask replaced; counted in the run manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    IdCard,
    BankCard,
    Mobile,
    Landline,
    Email,
    /// A QQ number after its label (`QQ 710959285`).
    Qq,
    /// A WeChat id after its label (`微信号 zhangsan_1988`).
    WeChat,
    Custom,
}

impl PiiKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::IdCard => "id_card",
            PiiKind::BankCard => "bank_card",
            PiiKind::Mobile => "mobile",
            PiiKind::Landline => "landline",
            PiiKind::Email => "email",
            PiiKind::Qq => "qq",
            PiiKind::WeChat => "wechat",
            PiiKind::Custom => "custom",
        }
    }
}

struct Pattern {
    kind: PiiKind,
    regex: Regex,
}

/// A compiled set of PII patterns. Build once, share across threads.
pub struct PiiMasker {
    patterns: Vec<Pattern>,
}

/// Counts of masks applied, by kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MaskCounts(pub std::collections::BTreeMap<PiiKind, u64>);

impl MaskCounts {
    pub fn add(&mut self, other: &MaskCounts) {
        for (k, v) in &other.0 {
            *self.0.entry(*k).or_default() += v;
        }
    }
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

impl Default for PiiMasker {
    fn default() -> Self {
        Self::new(&[]).expect("built-in patterns compile")
    }
}

/// The built-in patterns. Order matters: longer, stricter numbers first, so a mobile
/// pattern never bites into an ID card number that was not masked yet. Digits are ASCII
/// (`[0-9]`, not Unicode's `\d`): text is normalized before it is masked, and a mask
/// reads and keeps ASCII digits. `DOMAIN` stands for [`DOMAIN`].
pub(crate) const BUILTIN: [(PiiKind, &str); BUILTIN_PATTERNS] = [
    // Local part, `@`, domain. Also in forms that slip past the plain pattern:
    // spaces round the `@` (`zhou ba @ 126.com`), a full stop typed as `。`
    // (`zhaoliu@qq。com`), a Chinese name and domain (`张三@例子.中国`; a Chinese
    // local part is at most three characters, since nothing separates it from
    // the words before it).
    (
        PiiKind::Email,
        concat!(
            r"[A-Za-z0-9._%+\-]+@(?:DOMAIN)",
            r"|[A-Za-z0-9._%+\-]+(?: [A-Za-z0-9._%+\-]+)?(?: @ ?| ?@ )(?:DOMAIN)",
            r"|\p{Han}{1,3}@(?:DOMAIN)",
        ),
    ),
    (
        PiiKind::IdCard,
        // Area, birth date, sequence and check (6-8-4), or the old 6-6-3; forms
        // and transcripts often space or dash the groups.
        r"[0-9]{6}[ \-]?(?:19|20)[0-9]{6}[ \-]?[0-9]{3}[0-9Xx]|[0-9]{6}[ \-]?[0-9]{6}[ \-]?[0-9]{3}",
    ),
    (
        PiiKind::BankCard,
        r"[0-9]{4}(?:[ \-]?[0-9]{4}){3}(?:[ \-]?[0-9]{1,3})?",
    ),
    // 3-4-4 with spaces, dashes or nothing (and a country code), or with dots,
    // slashes or long dashes; 4-4-3 and 3-2-2-2-2 with spaces only (with dashes they
    // are product codes as often: `HW-1388-1234-567`).
    (
        PiiKind::Mobile,
        concat!(
            r"(?:(?:\+|00)?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}",
            r"|1[3-9][0-9](?:\.[0-9]{4}){2}|1[3-9][0-9](?:/[0-9]{4}){2}",
            r"|1[3-9][0-9](?:[—–][0-9]{4}){2}",
            r"|1[3-9][0-9]{2} [0-9]{4} [0-9]{3}",
            r"|1[3-9][0-9](?: [0-9]{2}){4}",
        ),
    ),
    // Area code (010, 0755; in brackets or not) and a local number of 7 or 8
    // digits, which is often written in two groups (6552 8899, 8888-6666); or
    // the country code and the area code without its 0 (`+86 10 8888 6666`);
    // or the area code in brackets after the number (`8888 6666 (010)`).
    (
        PiiKind::Landline,
        concat!(
            r"(?:\+|00)86[ \-]?(?:10|2[0-9]|[3-9][0-9]{2})[ \-]?[0-9]{3,4}[ \-]?[0-9]{4}",
            r"|(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ \-]?[0-9]{3,4}[ \-]?[0-9]{4}",
            r"|[0-9]{3,4}[ \-]?[0-9]{4} ?\(0[1-9][0-9]{1,2}\)",
        ),
    ),
    // Instant-messaging accounts are how a customer asks to be contacted; only
    // their label tells them from other numbers and words, so it is part of the
    // match and the account is what follows it (QQ numbers 5 to 11 digits,
    // WeChat ids 6 to 20 letters, digits, `_` or `-`, from a letter). A QQ
    // group (QQ群) is not a person. Labels include their spoken and slang forms
    // (`q q`, 企鹅号, `V信`, `微 信`, and `加v` before a space or colon, since
    // `加VIP…` is a plan's name).
    (
        PiiKind::Qq,
        r"(?:(?:(?i:q ?q)|扣扣)(?:号码|号)?|企鹅号码?)(?:是|为)?[ :：]{0,2}[1-9][0-9]{4,10}",
    ),
    (
        PiiKind::WeChat,
        concat!(
            r"(?:微 ?信|威信|薇信|(?i:v)信|(?i:wechat|vx|wx))(?: ?(?:号码|号|(?i:id)))?(?:是|为)?[ :：]{0,2}[A-Za-z][A-Za-z0-9_\-]{5,19}",
            r"|加(?i:v)[ :：]{1,2}[A-Za-z][A-Za-z0-9_\-]{5,19}",
        ),
    ),
];
// A domain's labels and its top-level domain, which is Latin or one of the
// Chinese ones (a Chinese one is not bounded by anything else).
pub(crate) const DOMAIN: &str =
    r"[\p{Han}A-Za-z0-9\-]+(?:[.。][\p{Han}A-Za-z0-9\-]+)*[.。](?:[A-Za-z]{2,}|中国|公司|网络)";

/// A built-in pattern's regular expression, `DOMAIN` written out.
pub(crate) fn builtin_regex(pattern: &str) -> String {
    pattern.replace("DOMAIN", DOMAIN)
}

impl PiiMasker {
    /// The built-in patterns plus `extra` regular expressions from the pipeline file,
    /// whose matches are masked entirely.
    pub fn new(extra: &[String]) -> Result<Self, regex::Error> {
        let mut patterns: Vec<Pattern> = BUILTIN
            .iter()
            .map(|(kind, re)| Pattern {
                kind: *kind,
                regex: Regex::new(&builtin_regex(re)).expect("built-in pattern"),
            })
            .collect();
        for re in extra {
            patterns.push(Pattern {
                kind: PiiKind::Custom,
                regex: Regex::new(re)?,
            });
        }
        Ok(PiiMasker { patterns })
    }

    /// Masks `text`, returning the masked text and what was masked.
    pub fn mask(&self, text: &str) -> (String, MaskCounts) {
        let mut counts = MaskCounts::default();
        let masked = self.mask_borrowed(text, &mut counts).into_owned();
        (masked, counts)
    }

    /// Masks `text`, adding what was masked to `counts`; `text` comes back borrowed when
    /// nothing in it is masked (most turns), so the caller keeps its string.
    pub fn mask_borrowed<'a>(&self, text: &'a str, counts: &mut MaskCounts) -> Cow<'a, str> {
        let mut current = if may_hold_spoken_number(text) {
            Cow::Owned(mask_spoken_digits(text, counts))
        } else {
            Cow::Borrowed(text)
        };
        if self.patterns.len() == BUILTIN_PATTERNS && !may_hold_written_pii(&current) {
            return current;
        }
        for pattern in &self.patterns {
            // Allocated at the first mask: most patterns match nothing in a turn.
            let mut out: Option<String> = None;
            let mut last = 0;
            let mut from = 0;
            while let Some(m) = pattern.regex.find_at(&current, from) {
                let candidate = m.as_str();
                // A label stands before a number, never a letter or digit: a candidate
                // joined to one on the left is turned down without reading labels.
                let joined = joined_before(pattern.kind, &current, m.start());
                if !joined
                    && pattern.kind != PiiKind::Custom
                    && pattern.kind != PiiKind::Mobile
                    && labelled_as_reference(&current[..m.start()])
                {
                    // An order or account number, by its label: none of it is masked.
                    from = m.end();
                    continue;
                }
                let masked = if m.is_empty() {
                    None
                } else if pattern.kind == PiiKind::Custom {
                    Some((m.end(), "*".repeat(candidate.chars().count())))
                } else if joined {
                    // No match at this start can be bounded, however short.
                    None
                } else {
                    valid_number_at(pattern, &current, m.start(), m.end())
                };
                match masked {
                    Some((end, masked)) => {
                        let out = out.get_or_insert_with(|| String::with_capacity(current.len()));
                        out.push_str(&current[last..m.start()]);
                        out.push_str(&masked);
                        last = end;
                        from = end;
                        *counts.0.entry(pattern.kind).or_default() += 1;
                    }
                    // A rejected number may overlap a real one that starts inside it
                    // (`00013-0102345678`: `0013-01023456` is not bounded, `010…` is):
                    // search again from inside it, not from its end. A number counts
                    // only after a character that is not a letter or digit, so the
                    // search goes on after the next such character (an order number
                    // like `C20260824-000001` costs one more search, not one per
                    // digit). Numbers are at most a few dozen characters; an e-mail
                    // candidate can be as long as the text, and searching again inside
                    // it would take quadratic time.
                    None if pattern.kind != PiiKind::Email => {
                        from = next_possible_start(pattern.kind, &current, m.start());
                    }
                    None => from = m.end(),
                }
            }
            if let Some(mut out) = out {
                out.push_str(&current[last..]);
                current = Cow::Owned(out);
            }
        }
        current
    }
}

/// The longest match of a built-in pattern at `start`, up to `end` (the match the
/// search found), that is bounded by non-digits and validates, with its end and masked
/// text. A pattern's optional tail can run into a number that follows (`6222…7894 8001`
/// read as `6222…7894 800`, joined to the `1`), so shorter matches at the same start are
/// tried too; not for an e-mail, whose match can be as long as the text.
fn valid_number_at(
    pattern: &Pattern,
    text: &str,
    start: usize,
    end: usize,
) -> Option<(usize, String)> {
    let mut end = end;
    loop {
        if bounded(pattern.kind, text, start, end)
            && let Some(masked) = mask_candidate(pattern.kind, &text[start..end])
        {
            return Some((end, masked));
        }
        if pattern.kind == PiiKind::Email {
            return None;
        }
        // A match at `start` that ends before this one (the search's preferred one;
        // the loop goes on shortening until none is left).
        let before = text[..end].char_indices().next_back()?.0;
        let shorter = pattern.regex.find_at(&text[..before], start)?;
        if shorter.start() != start {
            return None;
        }
        end = shorter.end();
    }
}

/// How many patterns [`PiiMasker::new`] builds in; more means the pipeline added some.
const BUILTIN_PATTERNS: usize = 7;

/// Whether a built-in pattern can match in `text`: an e-mail needs an `@`, every
/// number pattern a run of at least four ASCII digits (a mobile's `1[3-9][0-9]` is
/// followed by four; the other numbers are longer) or, for a mobile in pairs
/// (`179 69 70 48 35`), eleven digits joined by single spaces, and a WeChat id its
/// label.
fn may_hold_written_pii(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut run = 0;
    // Digits in a row of digit groups joined by single spaces.
    let mut joined = 0;
    let mut after_digit = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'@' || wechat_label_ends_at(bytes, i) {
            return true;
        }
        if b.is_ascii_digit() {
            run += 1;
            joined += 1;
            if run == 4 || joined == 11 {
                return true;
            }
            after_digit = true;
        } else {
            run = 0;
            if !(after_digit && b == b' ') {
                joined = 0;
            }
            after_digit = false;
        }
    }
    false
}

/// Whether a WeChat label (微信, 微 信, 威信, 薇信, V信, wechat, vx, wx, 加v) ends with the
/// byte at `i`.
fn wechat_label_ends_at(bytes: &[u8], i: usize) -> bool {
    let ends_with = |label: &[u8]| {
        i + 1 >= label.len() && bytes[i + 1 - label.len()..=i].eq_ignore_ascii_case(label)
    };
    match bytes[i] {
        // The last byte of 信 (E4 BF A1).
        0xA1 => ["微信", "微 信", "威信", "薇信", "v信"]
            .iter()
            .any(|l| ends_with(l.as_bytes())),
        b'x' | b'X' => ends_with(b"wx") || ends_with(b"vx"),
        b't' | b'T' => ends_with(b"wechat"),
        b'v' | b'V' => ends_with("加v".as_bytes()),
        _ => false,
    }
}

/// Whether [`mask_spoken_digits`] can change `text`: only a run (as it reads runs) of at
/// least 11 digits with at least one written as a Chinese character, or of at least 11
/// digits read out one by one (`1 3 8 1 2 …`). Common words such as 一下 or 两个 hold
/// spoken digits, so most turns have short runs and no more.
fn may_hold_spoken_number(text: &str) -> bool {
    let mut digits = 0;
    let mut spoken = false;
    // A single space or dash continues a run if a digit follows it.
    let mut separator = false;
    // Digits in the current group (between separators), and how many groups of one
    // digit end here in a row.
    let mut group = 0;
    let mut singles = 0;
    for c in text.chars() {
        if spoken_digit(c).is_some() {
            digits += 1;
            spoken |= !c.is_ascii_digit();
            group += 1;
            singles = if group == 1 { singles + 1 } else { 0 };
            separator = false;
            if (digits >= 11 && spoken) || singles >= 11 {
                return true;
            }
        } else if digits > 0 && !separator && matches!(c, ' ' | '-') {
            separator = true;
            group = 0;
        } else {
            digits = 0;
            spoken = false;
            separator = false;
            group = 0;
            singles = 0;
        }
    }
    false
}

/// The digit a character stands for when speech-to-text writes numbers out in Chinese
/// (`幺三八…`: 幺 is how 1 is read in phone numbers), or when a number is written in the
/// financial capitals people use to defeat filters (`壹叁捌…`).
pub(crate) fn spoken_digit(c: char) -> Option<u8> {
    Some(match c {
        '零' | '〇' | '0' => 0,
        '一' | '幺' | '壹' | '1' => 1,
        '二' | '两' | '贰' | '貳' | '2' => 2,
        '三' | '叁' | '3' => 3,
        '四' | '肆' | '4' => 4,
        '五' | '伍' | '5' => 5,
        '六' | '陆' | '陸' | '6' => 6,
        '七' | '柒' | '7' => 7,
        '八' | '捌' | '8' => 8,
        '九' | '玖' | '9' => 9,
        _ => return None,
    })
}

/// Masks numbers spoken as Chinese digits (`幺三八一二三四五六七八`) that validate as a
/// mobile, ID card or bank card once read as digits. Runs that mix in ASCII digits are
/// handled here too, and ASCII digits that speech-to-text wrote one by one
/// (`1 3 8 1 2 3 4 5 6 7 8`); other ASCII numbers are left to the regular patterns.
fn mask_spoken_digits(text: &str, counts: &mut MaskCounts) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if spoken_digit(chars[i]).is_none() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run of digits, allowing single spaces or dashes between them.
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < chars.len() {
            if spoken_digit(chars[j]).is_some() {
                end = j + 1;
                j += 1;
            } else if matches!(chars[j], ' ' | '-')
                && j + 1 < chars.len()
                && spoken_digit(chars[j + 1]).is_some()
            {
                j += 1;
            } else {
                break;
            }
        }
        // The run's digit groups (between its separators), as char ranges.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (k, &c) in chars.iter().enumerate().take(end).skip(start) {
            if spoken_digit(c).is_none() {
                continue;
            }
            match groups.last_mut() {
                Some(group) if group.1 == k => group.1 = k + 1,
                _ => groups.push((k, k + 1)),
            }
        }
        // The whole run is read as one number when it is one; otherwise the widest
        // span of whole groups that is one, from the left: a spoken mobile next to
        // another number (`分机 8001 幺三八…`) is still masked.
        let mut written = start;
        let mut g = 0;
        while g < groups.len() {
            match spoken_number_at(&chars, &groups[g..], end) {
                Some((taken, window_end, kind, digits)) => {
                    out.extend(&chars[written..groups[g].0]);
                    push_masked(&chars[groups[g].0..window_end], kind, digits, &mut out);
                    *counts.0.entry(kind).or_default() += 1;
                    written = window_end;
                    g += taken;
                }
                None => g += 1,
            }
        }
        let end = end.max(written);
        out.extend(&chars[written..end]);
        i = end;
    }
    out
}

/// The longest spoken number (mobile, ID card, bank card) made of the first groups of
/// `groups` (at least one digit written in Chinese, or every digit a group of its own;
/// other ASCII numbers are the regular patterns' job, which read labels such as 订单号):
/// how many groups, where it ends (past an ID card's 叉 that follows the run at
/// `run_end`), its kind and its number of digits.
fn spoken_number_at(
    chars: &[char],
    groups: &[(usize, usize)],
    run_end: usize,
) -> Option<(usize, usize, PiiKind, usize)> {
    // No kind has more than 19 digits, which also bounds the work on a long run.
    const MAX_DIGITS: usize = 19;
    let mut widths = Vec::new();
    let mut total = 0;
    for &(from, to) in groups {
        total += to - from;
        if total > MAX_DIGITS {
            break;
        }
        widths.push(total);
    }
    for taken in (1..=widths.len()).rev() {
        let (first, last) = (groups[0].0, groups[taken - 1].1);
        let window = &chars[first..last];
        let read_out = window.iter().any(|c| is_spoken(*c))
            || groups[..taken].iter().all(|&(from, to)| to - from == 1);
        if widths[taken - 1] < 11 || !read_out {
            continue;
        }
        let mut digits: String = window
            .iter()
            .filter_map(|c| spoken_digit(*c))
            .map(|d| char::from(b'0' + d))
            .collect();
        let mut end = last;
        // An ID card's check character may be X, read out as 叉, after the last digit
        // or a separator, as the digits before it are.
        let check_at = last + usize::from(chars.get(last).is_some_and(|c| matches!(c, ' ' | '-')));
        if digits.len() == 17
            && last == run_end
            && chars
                .get(check_at)
                .is_some_and(|c| matches!(c, 'X' | 'x' | '叉'))
        {
            digits.push('X');
            end = check_at + 1;
        }
        let kind = if mobile_number(&digits) {
            PiiKind::Mobile
        } else if valid_id_card(&digits)
            // A 15-digit ID is checked by its birth date alone, which a mobile and the
            // extension after it (`幺三八… 8001`) pass one time in thirty: a mobile in
            // its first groups is read as the mobile.
            && !(digits.len() == 15 && widths[..taken].contains(&11) && mobile_number(&digits[..11]))
        {
            PiiKind::IdCard
        } else if valid_bank_card(&digits) {
            PiiKind::BankCard
        } else {
            continue;
        };
        return Some((taken, end, kind, digits.len()));
    }
    None
}

/// Eleven digits with a mobile's prefix (`1[3-9]`).
pub(crate) fn mobile_number(digits: &str) -> bool {
    digits.len() == 11 && digits.starts_with('1') && (b'3'..=b'9').contains(&digits.as_bytes()[1])
}

/// A digit written in Chinese, not ASCII.
fn is_spoken(c: char) -> bool {
    !c.is_ascii_digit() && spoken_digit(c).is_some()
}

/// Writes a spoken number with its middle digits as `*`, separators kept.
fn push_masked(number: &[char], kind: PiiKind, total: usize, out: &mut String) {
    let (head, tail) = if kind == PiiKind::BankCard {
        (4, 4)
    } else {
        (3, 4)
    };
    let mut seen = 0;
    for &c in number {
        if spoken_digit(c).is_some() || matches!(c, 'X' | 'x' | '叉') {
            seen += 1;
            out.push(if seen > head && seen <= total - tail {
                '*'
            } else {
                c
            });
        } else {
            out.push(c);
        }
    }
}

/// Words that label a number as a business reference (订单号, 工单编号, 快递单号 …).
/// A long order number passes the Luhn or ID check by chance one time in ten, so a
/// number introduced by one of these is not taken for a card or ID. Mobiles are masked
/// whatever their label: a wrong mask costs little, a leaked one a great deal.
const REFERENCE_LABELS: &[&str] = &[
    "订单",
    "单号",
    "编号",
    "流水",
    "运单",
    "快递",
    "工单",
    "账单",
    "批次",
    "型号",
    "宽带账号",
];

/// Labels that end in a reference label but name personal data: an ID card's number
/// (证件编号, 身份证编号) or a card's bill (信用卡账单).
const PERSONAL_LABELS: &[&str] = &["证编号", "证件编号", "卡账单"];

fn labelled_as_reference(before: &str) -> bool {
    // The last eight characters, without allocating.
    let from = before.char_indices().rev().nth(7).map_or(0, |(at, _)| at);
    let tail = before[from..].trim_end_matches([' ', ':', '：', '是', '为']);
    let ends_with = |labels: &[&str]| {
        labels.iter().any(|label| {
            tail.ends_with(label) || tail.strip_suffix('号').is_some_and(|t| t.ends_with(label))
        })
    };
    ends_with(REFERENCE_LABELS) && !ends_with(PERSONAL_LABELS)
}

/// A number only counts when it is not part of a longer run of digits or letters
/// (order numbers such as `202611021234567890123`, `C6222021234567894`).
fn bounded(kind: PiiKind, text: &str, start: usize, end: usize) -> bool {
    !joined_before(kind, text, start) && !joins(kind, text[end..].chars().next())
}

/// Whether the character before `start` makes a number there part of a longer run.
fn joined_before(kind: PiiKind, text: &str, start: usize) -> bool {
    let before = text[..start].chars().next_back();
    if matches!(kind, PiiKind::Qq | PiiKind::WeChat) {
        // The match starts with its label: only a label in letters (`wx`) can be the
        // end of a longer word.
        return text[start..].starts_with(|c: char| c.is_ascii_alphabetic()) && joins(kind, before);
    }
    if kind == PiiKind::Mobile && !text[start..].starts_with('1') {
        // A country code after a letter reads as the digits of a tracking number
        // (`SF8613912345678`), not as a mobile.
        return before.is_some_and(|c| c.is_ascii_alphanumeric());
    }
    joins(kind, before)
}

/// Whether a character next to a number makes it part of a longer run of letters or
/// digits. Only a digit joins a mobile: systems key accounts and orders by the
/// customer's mobile behind a letter or two (`U13812345678`, `DD13812345678`), and a
/// mobile is masked whatever it is part of, as it is whatever its label.
fn joins(kind: PiiKind, c: Option<char>) -> bool {
    c.is_some_and(|c| {
        if kind == PiiKind::Mobile {
            c.is_ascii_digit()
        } else {
            c.is_ascii_alphanumeric()
        }
    })
}

/// The first position after `start` where a bounded number could begin: just past the
/// next character that does not join a number of this kind (the end of `text` if there
/// is none).
fn next_possible_start(kind: PiiKind, text: &str, start: usize) -> usize {
    // The character at `start` counts too: a candidate may begin with a bracket or `+`.
    text[start..]
        .char_indices()
        .find(|&(_, c)| !joins(kind, Some(c)))
        .map_or(text.len(), |(at, c)| start + at + c.len_utf8())
}

fn mask_candidate(kind: PiiKind, candidate: &str) -> Option<String> {
    let digits: String = candidate
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    match kind {
        PiiKind::Email => {
            let (local, domain) = candidate.split_once('@')?;
            let name = local.trim_end_matches(' ');
            let spaces = &local[name.len()..];
            let first = name.chars().next()?;
            if first.is_ascii() {
                Some(format!("{first}***{spaces}@{domain}"))
            } else {
                // A Chinese name is short: its first character would be half of it.
                Some(format!(
                    "{}{spaces}@{domain}",
                    "*".repeat(name.chars().count())
                ))
            }
        }
        PiiKind::IdCard => valid_id_card(&digits).then(|| keep_ends(candidate, 3, 4)),
        PiiKind::BankCard => valid_bank_card(&digits).then(|| keep_ends(candidate, 4, 4)),
        PiiKind::Mobile => {
            // Keep a +86 prefix readable: mask only the 11-digit number behind it.
            let national_start = candidate.len() - national_part_len(candidate);
            let (prefix, number) = candidate.split_at(national_start);
            Some(format!("{prefix}{}", keep_ends(number, 3, 4)))
        }
        PiiKind::Landline => Some(mask_landline(candidate)),
        PiiKind::Qq | PiiKind::WeChat => {
            // The label stays; the account after it keeps its first and last character.
            let in_account = |c: char| match kind {
                PiiKind::Qq => c.is_ascii_digit(),
                _ => c.is_ascii_alphanumeric() || matches!(c, '_' | '-'),
            };
            let label = candidate.trim_end_matches(in_account);
            let account = &candidate[label.len()..];
            if kind == PiiKind::WeChat
                && NOT_WECHAT_IDS
                    .iter()
                    .any(|w| account.eq_ignore_ascii_case(w))
            {
                return None;
            }
            Some(format!("{label}{}", keep_ends(account, 1, 1)))
        }
        PiiKind::Custom => None,
    }
}

/// A landline with its area code and the last four digits kept. The area code is kept
/// whole when the country code stands before it or it stands in brackets after the
/// number; otherwise, as before those forms were read, the first three digits are.
fn mask_landline(candidate: &str) -> String {
    if let Some(bracket) = candidate.rfind('(').filter(|_| candidate.ends_with(')')) {
        let (local, area) = candidate.split_at(bracket);
        return format!("{}{area}", keep_ends(local, 0, 4));
    }
    if let Some(national) = candidate
        .strip_prefix("+86")
        .or_else(|| candidate.strip_prefix("0086"))
    {
        // Beijing's 10 and the 2x codes have two digits without their 0, others three.
        let area_digits = if national
            .trim_start_matches([' ', '-'])
            .starts_with(['1', '2'])
        {
            2
        } else {
            3
        };
        let code = &candidate[..candidate.len() - national.len()];
        return format!("{code}{}", keep_ends(national, area_digits, 4));
    }
    keep_ends(candidate, 3, 4)
}

/// Words that follow 微信 as the name of a platform or a release (`微信 Android版`,
/// `微信 Windows 客户端`), not as an account: a real WeChat id is never one of them, as
/// ids are unique and these were taken on the first day.
const NOT_WECHAT_IDS: &[&str] = &[
    "android",
    "iphone",
    "ipados",
    "harmony",
    "harmonyos",
    "windows",
    "macbook",
    "desktop",
    "version",
    "update",
    "upgrade",
    "online",
];

/// Byte length of the trailing 11-digit mobile number (with its separators).
fn national_part_len(candidate: &str) -> usize {
    let mut digits = 0;
    for (i, c) in candidate.char_indices().rev() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits == 11 {
                return candidate.len() - i;
            }
        }
    }
    candidate.len()
}

/// Replaces every digit except the first `head` and last `tail` with `*`, keeping
/// separators where they were.
fn keep_ends(candidate: &str, head: usize, tail: usize) -> String {
    let total = candidate
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .count();
    let mut seen = 0;
    candidate
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                seen += 1;
                if seen > head && seen <= total.saturating_sub(tail) {
                    return '*';
                }
            }
            c
        })
        .collect()
}

/// 18-digit resident ID: valid birth date and ISO 7064 MOD 11-2 check digit;
/// 15-digit (pre-1999) ID: valid birth date.
pub fn valid_id_card(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    match bytes.len() {
        18 => {
            if !bytes[..17].iter().all(u8::is_ascii_digit) || !valid_date(&digits[6..14]) {
                return false;
            }
            const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
            const CHECK: &[u8; 11] = b"10X98765432";
            let sum: u32 = bytes[..17]
                .iter()
                .zip(WEIGHTS)
                .map(|(b, w)| u32::from(b - b'0') * w)
                .sum();
            CHECK[(sum % 11) as usize] == bytes[17].to_ascii_uppercase()
        }
        15 => bytes.iter().all(u8::is_ascii_digit) && valid_date(&format!("19{}", &digits[6..12])),
        _ => false,
    }
}

fn valid_date(yyyymmdd: &str) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (
        yyyymmdd[0..4].parse::<i32>(),
        yyyymmdd[4..6].parse::<u32>(),
        yyyymmdd[6..8].parse::<u32>(),
    ) else {
        return false;
    };
    (1900..=2030).contains(&y) && chrono::NaiveDate::from_ymd_opt(y, m, d).is_some()
}

/// A payment card number: a valid Luhn sum, and not beginning with 0 (no card scheme's
/// numbers do; an area code does, so a landline with an extension after it,
/// `0731-60405055 8001`, is not read as a card that passes Luhn by chance).
fn valid_bank_card(digits: &str) -> bool {
    !digits.starts_with('0') && luhn_valid(digits)
}

pub fn luhn_valid(digits: &str) -> bool {
    if !(16..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card's pattern may end in a few more digits, which can run into a number that
    /// follows after a space; the card is found all the same.
    #[test]
    fn a_card_followed_by_another_number_is_masked() {
        let masker = PiiMasker::default();
        let (masked, counts) = masker.mask("卡号6222021234567894 8001");
        assert_eq!(masked, "卡号6222********7894 8001");
        assert_eq!(counts.0[&PiiKind::BankCard], 1);
        let (masked, _) = masker.mask("卡号6222 0212 3456 7894 8001");
        assert_eq!(masked, "卡号6222 **** **** 7894 8001");
        // Joined to the number that follows, it is no card.
        let (masked, _) = masker.mask("卡号6222021234567894800");
        assert_eq!(masked, "卡号6222021234567894800");
    }

    /// A candidate the masks turn down (not bounded by non-digits) may overlap a real
    /// number that starts inside it; the search goes on from its next character.
    #[test]
    fn a_number_starting_inside_a_rejected_candidate_is_masked() {
        let masker = PiiMasker::default();
        // `0013-01023456` is a landline candidate joined to digits on both sides.
        let (masked, counts) = masker.mask("工号00013-0102345678");
        assert_eq!(masked, "工号00013-010***5678");
        assert_eq!(counts.total(), 1);
        // `0013-6222 0212 3456 789` is a card candidate joined to the `4` after it.
        let (masked, counts) = masker.mask("单号00013-6222 0212 3456 7894");
        assert_eq!(masked, "单号00013-6222 **** **** 7894");
        assert_eq!(counts.total(), 1);
        // An e-mail joined to a letter is turned down whole, however long its first
        // part (searching again inside it would be quadratic).
        let long = format!("{}@qq.com1", "a".repeat(20_000));
        assert_eq!(masker.mask(&long).0, long);
        // A labelled reference number stays whole, as before.
        let (masked, _) = masker.mask("订单号 0755-2345678");
        assert_eq!(masked, "订单号 0755-2345678");
    }

    fn mask(text: &str) -> String {
        PiiMasker::default().mask(text).0
    }

    #[test]
    fn mobiles_in_common_written_forms() {
        assert_eq!(mask("我的手机号是13812345678"), "我的手机号是138****5678");
        assert_eq!(mask("打138 1234 5678找我"), "打138 **** 5678找我");
        assert_eq!(mask("号码138-1234-5678"), "号码138-****-5678");
        assert_eq!(mask("+86 13812345678"), "+86 138****5678");
    }

    #[test]
    fn id_cards_need_a_valid_check_digit() {
        // 11010519491231002X is the standard's own example.
        assert_eq!(mask("身份证11010519491231002X"), "身份证110***********002X");
        assert_eq!(mask("身份证110105194912310021"), "身份证110105194912310021");
    }

    #[test]
    fn bank_cards_need_luhn_and_orders_are_left_alone() {
        assert_eq!(mask("卡号6222020200112233445"), "卡号6222020200112233445"); // fails Luhn
        assert!(luhn_valid("4111111111111111"));
        assert_eq!(mask("卡号 4111 1111 1111 1111"), "卡号 4111 **** **** 1111");
        assert_eq!(
            mask("订单号DD2026082400017已退款128元"),
            "订单号DD2026082400017已退款128元"
        );
    }

    #[test]
    fn emails_landlines_and_ids_in_their_written_forms() {
        for (text, masked) in [
            ("发到zhang.san@qq.com", "发到z***@qq.com"),
            ("座机020-87654321", "座机020-****4321"),
            // Brackets round the area code, the local number in two groups.
            ("座机(010)65528899", "座机(010)****8899"),
            ("电话(010) 6552 8899", "电话(010) **** 8899"),
            ("座机010-6552-8899", "座机010-****-8899"),
            ("座机0755-8888 6666", "座机075*-**** 6666"),
            ("座机(0755)2345678", "座机(075*)***5678"),
            // ID cards with their groups spaced or dashed.
            ("身份证 110105 19491231 002X", "身份证 110*** ******** 002X"),
            ("身份证110105-19491231-002X", "身份证110***-********-002X"),
        ] {
            assert_eq!(mask(text), masked);
        }
    }

    #[test]
    fn numbers_spoken_as_chinese_digits() {
        for (text, masked) in [
            (
                "我的号码是幺三八一二三四五六七八",
                "我的号码是幺三八****五六七八",
            ),
            ("电话一三九 一二三四 五六七八", "电话一三九 **** 五六七八"),
            (
                "身份证幺幺零幺零五幺九四九幺二三幺零零二叉",
                "身份证幺幺零***********零零二叉",
            ),
            // Next to another number, by a single space or dash: still found, as a
            // mobile, though with the 4 after it the digits pass as an old ID card.
            (
                "打幺三八幺二五五零幺零幺 8001 转分机",
                "打幺三八****零幺零幺 8001 转分机",
            ),
            (
                "分机 8001 幺三八一二三四五六七八",
                "分机 8001 幺三八****五六七八",
            ),
            (
                "房间 1203 幺三八 一二三四 五六七八",
                "房间 1203 幺三八 **** 五六七八",
            ),
            ("我是 3 幺三八一二三四五六七八", "我是 3 幺三八****五六七八"),
            ("幺三八一二三四五六七八 3 号", "幺三八****五六七八 3 号"),
            (
                "幺三八一二三四五六七八 幺三九八七六五四三二一",
                "幺三八****五六七八 幺三九****四三二一",
            ),
            // Ordinary counting words are not numbers.
            ("一直断网，三天两头出问题", "一直断网，三天两头出问题"),
            ("一二三四五六七八九十", "一二三四五六七八九十"),
        ] {
            assert_eq!(mask(text), masked);
        }
        // The digits of the mobile and its extension above.
        assert!(valid_id_card("138125501018001"));
    }

    /// Speech-to-text often writes a number read out digit by digit as single ASCII
    /// digits with spaces between them; the regular patterns cannot see it whole.
    #[test]
    fn numbers_read_out_digit_by_digit() {
        for (text, masked) in [
            (
                "我的号码是 1 3 8 1 2 3 4 5 6 7 8 好的",
                "我的号码是 1 3 8 * * * * 5 6 7 8 好的",
            ),
            ("1-3-9-1-2-3-4-5-6-7-8", "1-3-9-*-*-*-*-5-6-7-8"),
            (
                "身份证 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 X",
                "身份证 1 1 0 * * * * * * * * * * * 0 0 2 X",
            ),
            (
                "卡号 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
                "卡号 4 1 1 1 * * * * * * * * 1 1 1 1",
            ),
            // After a number in groups, by a single space: still found.
            (
                "分机 8001 1 3 8 1 2 3 4 5 6 7 8",
                "分机 8001 1 3 8 * * * * 5 6 7 8",
            ),
            // Numbers that are not read out one by one, or do not validate, stay.
            ("订单 20260824-000001 已退", "订单 20260824-000001 已退"),
            (
                "选 1 2 3 4 5 6 7 8 9 0 1 都行",
                "选 1 2 3 4 5 6 7 8 9 0 1 都行",
            ),
            ("1 3 8 1 2 3 4 5 6 7", "1 3 8 1 2 3 4 5 6 7"),
        ] {
            assert_eq!(mask(text), masked, "{text}");
        }
        assert!(may_hold_spoken_number("1 3 8 1 2 3 4 5 6 7 8"));
        assert!(!may_hold_spoken_number("13 8 1 2 3 4 5 6 7 8"));
        assert!(!may_hold_spoken_number("1 3 8 1 2 3 4 5 6 7"));
    }

    /// Accounts and orders are often keyed by the customer's mobile behind a letter or
    /// two; the mobile is masked all the same. A digit next to it still makes it part
    /// of a longer number.
    #[test]
    fn a_mobile_behind_or_before_letters_is_masked() {
        for (text, masked) in [
            ("账号U13812345678", "账号U138****5678"),
            ("用户 u13812345678 反馈", "用户 u138****5678 反馈"),
            (
                "订单号DD13812345678已退款128元",
                "订单号DD138****5678已退款128元",
            ),
            ("13812345678abc", "138****5678abc"),
            // A country code after letters is a tracking number's digits.
            ("快递单号SF8613912345678", "快递单号SF8613912345678"),
            ("138123456789", "138123456789"),
            ("U213812345678", "U213812345678"),
            // A rejected run of digits does not hide a mobile after a letter.
            ("138123456789U13912345678", "138123456789U139****5678"),
        ] {
            assert_eq!(mask(text), masked, "{text}");
        }
        // Cards and ID numbers joined to letters are still order numbers.
        assert_eq!(mask("C6222021234567894"), "C6222021234567894");
    }

    /// 0731-6040 5055 8001 passes Luhn; it is a landline and an extension.
    #[test]
    fn a_landline_with_an_extension_is_no_card() {
        assert!(luhn_valid("0731604050558001"));
        let (masked, counts) = PiiMasker::default().mask("座机0731-60405055 8001");
        assert_eq!(masked, "座机073*-****5055 8001");
        assert_eq!(counts.0.keys().collect::<Vec<_>>(), [&PiiKind::Landline]);
    }

    /// Customers ask to be contacted on QQ or WeChat as often as by phone; the account
    /// after its label is masked (seen in real reviews: `QQ：710959285`).
    #[test]
    fn qq_numbers_and_wechat_ids_after_their_labels() {
        for (text, masked) in [
            ("联系QQ：710959285，Mobile", "联系QQ：7*******5，Mobile"),
            ("有意思的联系QQ 282369262 我", "有意思的联系QQ 2*******2 我"),
            ("加我qq号是12345678", "加我qq号是1******8"),
            ("QQ710959285", "QQ7*******5"),
            ("扣扣 7109592851", "扣扣 7********1"),
            ("加我微信zhangsan_1988", "加我微信z*******_***8"),
            ("微信号:Li-Ming2020 谢谢", "微信号:L*-*******0 谢谢"),
            ("vx: wxid_abc123", "vx: w***_*****3"),
            ("WeChat ID liming88", "WeChat ID l******8"),
            // A mobile given as the account is masked as the mobile.
            ("微信同号13812345678", "微信同号138****5678"),
            // Not accounts: a QQ group, a short word, no label, a label inside a word.
            ("QQ群 12345678", "QQ群 12345678"),
            ("微信 app 不能用", "微信 app 不能用"),
            // A platform's name after 微信, and an account after it.
            ("微信 Android版闪退", "微信 Android版闪退"),
            (
                "微信Windows 客户端 微信号 liming88",
                "微信Windows 客户端 微信号 l******8",
            ),
            ("型号HG8245H 光猫", "型号HG8245H 光猫"),
            ("xwx zhangsan88", "xwx zhangsan88"),
            ("qq12345678901234", "qq12345678901234"),
        ] {
            assert_eq!(mask(text), masked, "{text}");
        }
        let (_, counts) = PiiMasker::default().mask("QQ 710959285 微信 liming88");
        assert_eq!(counts.0[&PiiKind::Qq], 1);
        assert_eq!(counts.0[&PiiKind::WeChat], 1);
    }

    #[test]
    fn labelled_order_numbers_are_not_cards() {
        // 6222020200112233446 passes Luhn; as an order number it is left alone.
        assert_eq!(
            mask("订单号6222020200112233446"),
            "订单号6222020200112233446"
        );
        assert_eq!(
            mask("订单号：6222020200112233446"),
            "订单号：6222020200112233446"
        );
        assert_eq!(mask("卡号6222020200112233446"), "卡号6222***********3446");
        assert_eq!(
            mask("订单号13812345678"),
            "订单号138****5678",
            "mobiles are always masked"
        );
    }

    /// Issue 27: written forms that escaped masking, each masked keeping its shape.
    #[test]
    fn less_common_written_forms_are_masked() {
        for (text, masked) in [
            // Mobiles with dots, slashes, long dashes, in 4-4-3 and in pairs.
            ("手机164.3443.7781", "手机164.****.7781"),
            ("打162/2955/5779找我", "打162/****/5779找我"),
            ("号码150—5847—8092", "号码150—****—8092"),
            ("电话1963 1421 714", "电话196* ***1 714"),
            ("电话179 69 70 48 35，谢谢", "电话179 ** ** 48 35，谢谢"),
            // In financial capitals.
            ("手机壹玖贰叁肆伍陆柒捌玖零", "手机壹玖贰****柒捌玖零"),
            // Landlines with the country code, or the area code after the number.
            ("座机+86 10 8888 6666", "座机+86 10 **** 6666"),
            ("座机+86-755-88886666", "座机+86-755-****6666"),
            ("座机8888 6666 (010)", "座机**** 6666 (010)"),
            // ID cards after labels that end in 编号, a card after 信用卡账单.
            ("证件编号11010519491231002X", "证件编号110***********002X"),
            (
                "身份证编号：11010519491231002X",
                "身份证编号：110***********002X",
            ),
            ("信用卡账单4111111111111111", "信用卡账单4111********1111"),
            // WeChat ids and QQ numbers after spoken or slang labels.
            ("V信 zhangsan88", "V信 z********8"),
            ("微 信 zhangsan88", "微 信 z********8"),
            ("加v：zhangsan88", "加v：z********8"),
            ("q q 710959285", "q q 7*******5"),
            ("企鹅号710959285", "企鹅号7*******5"),
            // E-mails with a Chinese name and domain, 。 for the dot, spaces.
            ("邮箱：张三@例子.中国", "邮箱：**@例子.中国"),
            // Joined to the words before it, a Chinese name is read as three
            // characters: a word may lose a character, the name is never shown.
            ("邮箱张三@例子.中国", "邮***@例子.中国"),
            ("发到zhaoliu@qq。com", "发到z***@qq。com"),
            ("发到 zhou ba @ 126.com 谢谢", "发到 z*** @ 126.com 谢谢"),
        ] {
            assert_eq!(mask(text), masked, "{text}");
        }
    }

    /// What the new forms must not cost: order numbers, amounts, dates, service
    /// numbers, product codes and plans stay as they are.
    #[test]
    fn less_common_forms_leave_references_alone() {
        for text in [
            "订单编号20261102000123456",
            "工单编号GD202611020001",
            "账单 2026.11.02 金额 138.50 元",
            "2026/11/02 打过 10086 和 400-810-8888",
            "客服 10000 号，套餐 199 元",
            "型号 HG8245H，版本 V1.3.5",
            "加VIP套餐，送 30 G",
            "日期 2026-11-02 12:30",
            "编号 1963 1421",
            "发票金额 1,388.00 元",
            "快递单号SF1234567890123",
            "商品编码 HW-1388-1234-567，批号 13-88-12-34-56",
        ] {
            assert_eq!(mask(text), text);
        }
    }

    /// The pieces the two pre-checks look at, so random mixes make runs of every
    /// length, with and without Chinese digits, separators, check letters and `@`.
    const PIECES: &[&str] = &[
        "1",
        "3",
        "8",
        "0",
        "5",
        "9",
        "一",
        "幺",
        "两",
        "八",
        "零",
        "〇",
        "叉",
        "X",
        " ",
        "-",
        "@",
        "a",
        "号",
        "的",
        "１",
        "٣",
        "订单",
        "qq.com",
        "138",
        "1101051949123",
        "2",
        "微信",
        "wx",
        "QQ",
        "z",
        "_",
    ];

    fn mix(picks: &[usize]) -> String {
        picks.iter().map(|&i| PIECES[i % PIECES.len()]).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        // A text the pre-checks let through unread is one the full passes leave as it
        // is: they only save time.
        #[test]
        fn prechecks_skip_only_texts_the_passes_leave_alone(
            picks in proptest::collection::vec(0usize..64, 0..40),
        ) {
            let text = mix(&picks);
            let mut counts = MaskCounts::default();
            if !may_hold_spoken_number(&text) {
                assert_eq!(mask_spoken_digits(&text, &mut counts), text);
                assert!(counts.0.is_empty(), "{text}");
            }
            if !may_hold_written_pii(&text) {
                for pattern in &PiiMasker::default().patterns {
                    assert!(!pattern.regex.is_match(&text), "{text}: {:?}", pattern.kind);
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Spoken mobiles among other numbers (spoken or written, joined by a space, a
        /// dash or 号) and words: each one is masked, and masking keeps the length.
        #[test]
        fn spoken_mobiles_among_other_numbers_are_masked(
            groups in proptest::collection::vec(
                (0usize..4, 1usize..12, proptest::prelude::any::<u64>(), 0usize..3),
                1..7,
            ),
        ) {
            const SPOKEN: [char; 10] = ['零', '幺', '二', '三', '四', '五', '六', '七', '八', '九'];
            let mut text = String::new();
            let mut planted = Vec::new();
            for (i, &(kind, len, seed, separator)) in groups.iter().enumerate() {
                if i > 0 {
                    text.push([' ', '-', '号'][separator]);
                }
                let digit = |k: usize| (seed.rotate_right(5 * k as u32) % 10) as usize;
                match kind {
                    0 => {
                        let mobile: String = ['幺', SPOKEN[3 + digit(0) % 7]]
                            .into_iter()
                            .chain((2..11).map(|k| SPOKEN[digit(k)]))
                            .collect();
                        text.push_str(&mobile);
                        planted.push(mobile);
                    }
                    1 => text.extend((0..len).map(|k| SPOKEN[digit(k)])),
                    2 => text.extend((0..len).map(|k| char::from(b'0' + digit(k) as u8))),
                    _ => text.push_str("宽带"),
                }
            }
            static MASKER: std::sync::LazyLock<PiiMasker> = std::sync::LazyLock::new(PiiMasker::default);
            let (masked, _) = MASKER.mask(&text);
            proptest::prop_assert_eq!(masked.chars().count(), text.chars().count());
            for mobile in planted {
                proptest::prop_assert!(!masked.contains(&mobile), "{} -> {}", text, masked);
            }
        }
    }

    #[test]
    fn spoken_runs_the_precheck_lets_through() {
        // Eleven digits, one of them spoken, with single separators: checked in full.
        assert!(may_hold_spoken_number("幺38 1234-5678"));
        assert!(may_hold_spoken_number("号码一三八一二三四五六七八"));
        // Ten digits, a double separator, or only written digits: skipped.
        assert!(!may_hold_spoken_number("一三八一二三四五六七"));
        assert!(!may_hold_spoken_number("一三八一二  三四五六七八"));
        assert!(!may_hold_spoken_number("13812345678"));
        assert_eq!(mask("号码一三八一二三四五六七八"), "号码一三八****五六七八");
    }

    #[test]
    fn unchanged_text_is_borrowed() {
        let masker = PiiMasker::default();
        let mut counts = MaskCounts::default();
        for text in ["一下两个三天", "套餐50元，2026年", "宽带 1234 断了"] {
            let masked = masker.mask_borrowed(text, &mut counts);
            assert!(matches!(masked, Cow::Borrowed(_)), "{text}");
        }
        assert!(counts.0.is_empty());
        let masked = masker.mask_borrowed("手机13812345678", &mut counts);
        assert_eq!(masked, "手机138****5678");
        assert_eq!(counts.total(), 1);
    }

    #[test]
    fn counts_by_kind() {
        let (_, counts) =
            PiiMasker::default().mask("13812345678 和 13912345678，身份证11010519491231002X");
        assert_eq!(counts.0[&PiiKind::Mobile], 2);
        assert_eq!(counts.0[&PiiKind::IdCard], 1);
    }
}
