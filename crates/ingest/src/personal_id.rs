//! Which customer and contact ids are personal data, and so become keyed pseudonyms.
//!
//! An id is personal data when the whole value is a mobile or landline number, an
//! 18-digit ID card number (its check digit valid) or an e-mail address, in any of the
//! forms masking reads (spaced, dashed, dotted, with a country code, spoken as Chinese
//! digits; a mobile also behind a few letters, as accounts keyed by the customer's
//! mobile are). Digits that merely sit inside a longer token (a hex session id with
//! eleven digits starting with 1), a long number that passes Luhn (platform post ids
//! do one time in ten) or a 15-digit number with a valid birth date are not: replacing
//! them breaks traces and joins on ids that hold nobody's data. The pipeline file can
//! name id fields that are always pseudonymized, or never.
//!
//! One case is decided per input, not per value: a contact id of bare digits shaped
//! like a mobile or landline number in a file whose contact ids are a numeric key
//! series (post, call or order numbers, nearly none of them shaped like a phone
//! number) is a short key of that series — early Weibo posts have 11-digit ids from
//! 14 or 15 — and is kept. The series is judged on the input's first chunk, before
//! any of its records is written ([`IdSeries`]). Customer ids are never judged so:
//! CRM exports mix member numbers with the phone numbers of customers who have none.

use crate::pii::{BUILTIN, PiiKind, builtin_regex, mobile_number, spoken_digit, valid_id_card};
use regex::Regex;
use std::sync::LazyLock;

/// The id fields the `[pii]` keys can name.
pub const ID_FIELDS: &[&str] = &["id", "customer_id"];

/// The most letters before a mobile that still make an account keyed by it (`U`,
/// `VIP`, `dd`); more is a word or a token with digits inside.
const MAX_LETTER_PREFIX: usize = 4;

/// Id fields named in the pipeline file: always pseudonymized (an export whose customer
/// ids are QQ numbers or card numbers), or never (ids known to hold no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdPseudonyms {
    pub always: Vec<String>,
    pub never: Vec<String>,
}

/// What happens to one id field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRule {
    Always,
    Never,
    WhenPersonal,
}

impl IdPseudonyms {
    /// Refuses a name that is no id field, or one named both ways.
    pub fn check(&self) -> Result<(), String> {
        for (key, fields) in [
            ("always_pseudonymize", &self.always),
            ("never_pseudonymize", &self.never),
        ] {
            if let Some(field) = fields.iter().find(|f| !ID_FIELDS.contains(&f.as_str())) {
                return Err(format!(
                    "[pii] {key} names `{field}`, which is no id field (one of: {})",
                    ID_FIELDS.join(", ")
                ));
            }
        }
        if let Some(field) = self.always.iter().find(|f| self.never.contains(f)) {
            return Err(format!(
                "[pii] names `{field}` in both always_pseudonymize and never_pseudonymize"
            ));
        }
        Ok(())
    }

    pub fn rule(&self, field: &str) -> IdRule {
        if self.always.iter().any(|f| f == field) {
            IdRule::Always
        } else if self.never.iter().any(|f| f == field) {
            IdRule::Never
        } else {
            IdRule::WhenPersonal
        }
    }
}

/// Contact ids seen before a series is judged: fewer, and a file's ids say too little.
const MIN_SERIES_IDS: u64 = 20;
/// Share of an input's contact ids, in per cent, that must be bare digits for them to
/// be a numeric key series.
const SERIES_DIGIT_PERCENT: u64 = 95;
/// Share of those, in per cent, that may be shaped like a phone number in a series: a
/// file keyed by callers' numbers has most of its ids so.
const SERIES_PHONE_SHAPED_PERCENT: u64 = 5;

/// What an input's first chunk showed of its contact ids: whether they are a numeric
/// key series, in which phone-shaped bare digits are keys too.
#[derive(Debug, Default)]
pub(crate) struct IdSeries {
    ids: u64,
    bare_digits: u64,
    phone_shaped: u64,
    decided: Option<bool>,
}

impl IdSeries {
    /// Counts one accepted contact id; `phone_shaped` when it is bare digits shaped
    /// like a mobile or landline number.
    pub(crate) fn observe(&mut self, id: &str, phone_shaped: bool) {
        self.ids += 1;
        self.bare_digits += u64::from(is_bare_digits(id));
        self.phone_shaped += u64::from(phone_shaped);
    }

    pub(crate) fn decide(&mut self) {
        let series = self.ids >= MIN_SERIES_IDS
            && self.bare_digits * 100 >= SERIES_DIGIT_PERCENT * self.ids
            && self.phone_shaped * 100 <= SERIES_PHONE_SHAPED_PERCENT * self.bare_digits;
        self.decided = Some(series);
    }

    pub(crate) fn is_decided(&self) -> bool {
        self.decided.is_some()
    }

    /// Whether phone-shaped bare-digit contact ids of this input are kept as keys.
    pub(crate) fn keeps_digit_ids(&self) -> bool {
        self.decided == Some(true)
    }
}

/// Whether `id` is written as ASCII digits only (no separator, sign or letter).
pub(crate) fn is_bare_digits(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

/// The built-in patterns of the kinds an id may be, anchored to the whole value.
static WHOLE_VALUE: LazyLock<Vec<(PiiKind, Regex)>> = LazyLock::new(|| {
    BUILTIN
        .iter()
        .filter(|(kind, _)| {
            matches!(
                kind,
                PiiKind::Mobile | PiiKind::Landline | PiiKind::IdCard | PiiKind::Email
            )
        })
        .map(|(kind, pattern)| {
            let anchored = format!("^(?:{})$", builtin_regex(pattern));
            (*kind, Regex::new(&anchored).expect("built-in pattern"))
        })
        .collect()
});

/// The kind of personal data `value` (normalized) is as a whole, or `None`.
pub fn personal_id_kind(value: &str) -> Option<PiiKind> {
    if let Some(kind) = spoken_id_kind(value) {
        return Some(kind);
    }
    // Letters before a mobile: an account keyed by it. A country code after letters is
    // a tracking number's digits (`SF8613912345678`), as in masking.
    let letters = value.len()
        - value
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .len();
    let after_letters = &value[letters..];
    WHOLE_VALUE.iter().find_map(|(kind, regex)| {
        let whole = match kind {
            PiiKind::Mobile if letters > 0 => {
                letters <= MAX_LETTER_PREFIX
                    && after_letters.starts_with('1')
                    && regex.is_match(after_letters)
            }
            // Only the 18-digit form has a check digit; a 15-digit number passes the
            // birth-date check one time in thirty.
            PiiKind::IdCard => {
                let digits: String = value
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .collect();
                digits.len() == 18 && valid_id_card(&digits) && regex.is_match(value)
            }
            _ => regex.is_match(value),
        };
        whole.then_some(*kind)
    })
}

/// A mobile or 18-digit ID card spoken as Chinese digits (`幺三八…`), written in the
/// financial capitals, or read out one digit at a time (`1 3 8 …`): the whole value is
/// digits, single spaces or dashes, and an ID card's check character.
fn spoken_id_kind(value: &str) -> Option<PiiKind> {
    if !value
        .chars()
        .any(|c| spoken_digit(c).is_some() && !c.is_ascii_digit())
        && !value.contains(' ')
    {
        // Plain numbers are the written patterns' to read.
        return None;
    }
    let mut digits = String::new();
    for c in value.chars() {
        match spoken_digit(c) {
            Some(d) => digits.push(char::from(b'0' + d)),
            None if matches!(c, 'X' | 'x' | '叉') && digits.len() == 17 => digits.push('X'),
            None if matches!(c, ' ' | '-') => {}
            None => return None,
        }
    }
    if mobile_number(&digits) {
        Some(PiiKind::Mobile)
    } else if digits.len() == 18 && valid_id_card(&digits) {
        Some(PiiKind::IdCard)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_are_personal_data_in_every_form() {
        for (id, kind) in [
            ("13812345678", PiiKind::Mobile),
            ("138-1234-5678", PiiKind::Mobile),
            ("+86 138 1234 5678", PiiKind::Mobile),
            ("164.3443.7781", PiiKind::Mobile),
            ("179 69 70 48 35", PiiKind::Mobile),
            ("1 3 8 1 2 3 4 5 6 7 8", PiiKind::Mobile),
            ("幺三八一二三四五六七八", PiiKind::Mobile),
            ("壹叁捌壹贰叁肆伍陆柒捌", PiiKind::Mobile),
            // Accounts keyed by the mobile behind a few letters.
            ("U13812345678", PiiKind::Mobile),
            ("VIP13812345678", PiiKind::Mobile),
            ("dd13812345678", PiiKind::Mobile),
            ("010-65528899", PiiKind::Landline),
            ("(0755)23456789", PiiKind::Landline),
            ("+86 10 8888 6666", PiiKind::Landline),
            ("11010519491231002X", PiiKind::IdCard),
            ("110105 19491231 002x", PiiKind::IdCard),
            ("li.ming@qq.com", PiiKind::Email),
            ("zhaoliu@qq。com", PiiKind::Email),
        ] {
            assert_eq!(personal_id_kind(id), Some(kind), "{id}");
        }
    }

    /// Platform post ids are 16 digits; one in ten passes Luhn. None is a card here.
    #[test]
    fn post_ids_passing_luhn_are_not_personal() {
        let post_ids = [
            "3202152738067569",
            "4311732965345956",
            "4111111111111111",
            "6222021234567894",
        ];
        for id in post_ids {
            assert!(crate::pii::luhn_valid(id), "{id}");
            assert_eq!(personal_id_kind(id), None, "{id}");
        }
        // Nor a 15-digit number whose middle reads as a birth date, nor a 19-digit one.
        assert!(valid_id_card("110105491231002"));
        assert_eq!(personal_id_kind("110105491231002"), None);
        assert_eq!(personal_id_kind("6222020200112233446"), None);
    }

    /// Session ids in hex hold runs of digits; eleven of them from a 1 look like a
    /// mobile inside the token, which is no reason to replace the id.
    #[test]
    fn hex_ids_with_mobile_like_digits_inside_are_not_personal() {
        for id in [
            "3fa8e13812345678c9e0",
            "13812345678abc",
            "a1b2c3d4e5f613912345678",
            "abcde13812345678",
            "SF8613912345678",
            "C20261102-000123",
            "GD202611020001234567",
            "U88231",
            "QQ710959285",
            "wxa1b2c3d4e5f60718",
            "一一一一一一一一一一一",
            "138123456789",
        ] {
            assert_eq!(personal_id_kind(id), None, "{id}");
        }
    }

    fn series_of(ids: &[String], phone_shaped: impl Fn(&str) -> bool) -> IdSeries {
        let mut series = IdSeries::default();
        for id in ids {
            series.observe(id, phone_shaped(id));
        }
        series.decide();
        series
    }

    /// 16-digit post ids with two 11-digit early ones keep both; a file keyed by
    /// callers' numbers, letters-and-digits ids, a mixed column or a small file do not.
    #[test]
    fn phone_shaped_ids_are_keys_only_in_a_numeric_series() {
        let mobile = |id: &str| personal_id_kind(id) == Some(PiiKind::Mobile);
        let mut posts: Vec<String> = (0..98)
            .map(|i| format!("38307727400{:05}", 80373 + i * 7))
            .collect();
        posts.extend(["14512345678".to_string(), "15812345678".to_string()]);
        assert!(series_of(&posts, mobile).keeps_digit_ids());

        let callers: Vec<String> = (0..100).map(|i| format!("1381234{:04}", i)).collect();
        assert!(!series_of(&callers, mobile).keeps_digit_ids());

        let mut lettered: Vec<String> = (0..98).map(|i| format!("P{i:05}")).collect();
        lettered.extend(["13812345678".to_string(), "13912345678".to_string()]);
        assert!(!series_of(&lettered, mobile).keeps_digit_ids());

        // One in ten shaped like a mobile: a column that holds callers' numbers too.
        let mut mixed: Vec<String> = (0..90).map(|i| format!("{:010}", 1000 + i)).collect();
        mixed.extend((0..10).map(|i| format!("1391234{:04}", i)));
        assert!(!series_of(&mixed, mobile).keeps_digit_ids());

        let small = &posts[posts.len() - 10..];
        assert!(!series_of(small, mobile).keeps_digit_ids());
        assert!(!IdSeries::default().keeps_digit_ids());
    }

    #[test]
    fn pii_keys_name_id_fields() {
        let ids = IdPseudonyms {
            always: vec!["customer_id".into()],
            never: vec!["id".into()],
        };
        assert_eq!(ids.check(), Ok(()));
        assert_eq!(ids.rule("customer_id"), IdRule::Always);
        assert_eq!(ids.rule("id"), IdRule::Never);
        assert_eq!(IdPseudonyms::default().rule("id"), IdRule::WhenPersonal);
        let unknown = IdPseudonyms {
            never: vec!["region".into()],
            ..IdPseudonyms::default()
        };
        assert!(unknown.check().unwrap_err().contains("`region`"));
        let both = IdPseudonyms {
            always: vec!["id".into()],
            never: vec!["id".into()],
        };
        assert!(both.check().is_err());
    }
}
