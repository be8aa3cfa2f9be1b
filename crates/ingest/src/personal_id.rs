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
