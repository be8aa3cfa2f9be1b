//! Text normalization applied to every turn before masking and segmentation.

use std::borrow::Cow;

/// Normalizes one piece of text: full-width ASCII letters, digits and the ideographic
/// space become half-width; BOMs, zero-width characters and control characters are
/// removed; runs of spaces collapse. Chinese punctuation is kept as it is, since it is
/// what the segmenter and readers expect.
///
/// Most turns need none of it, so the text is checked first and borrowed back
/// unchanged when nothing would change (ingest then keeps the string it has).
pub fn normalize_text(text: &str) -> Cow<'_, str> {
    if already_normal(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(normalized_copy(text))
    }
}

/// What one character becomes: `None` if it is removed. One table for the copying
/// path and the check in front of it, so the two cannot disagree.
fn normalized_char(c: char) -> Option<char> {
    match c {
        '\u{3000}' => Some(' '),
        // Full-width letters and digits (Ｆ..Ｚ, ０..９) and + - @ . map 1:1 onto ASCII.
        '\u{FF10}'..='\u{FF19}'
        | '\u{FF21}'..='\u{FF3A}'
        | '\u{FF41}'..='\u{FF5A}'
        | '\u{FF0B}'
        | '\u{FF0D}'
        | '\u{FF20}'
        | '\u{FF0E}' => Some(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
        '\u{FEFF}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' => None,
        '\t' | '\r' | '\n' => Some(' '),
        c if c.is_control() => None,
        c => Some(c),
    }
}

fn normalized_copy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = false;
    for c in text.chars().filter_map(normalized_char) {
        if c == ' ' {
            if last_space || out.is_empty() {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        out.push(c);
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Whether [`normalize_text`] would leave `text` as it is: every character maps to
/// itself, and no space is leading, trailing or doubled.
fn already_normal(text: &str) -> bool {
    // A space at the start is removed, as one after another space is.
    let mut after_space = true;
    for c in text.chars() {
        if normalized_char(c) != Some(c) || (c == ' ' && after_space) {
            return false;
        }
        after_space = c == ' ';
    }
    !after_space || text.is_empty()
}

/// Traditional → Simplified Chinese (OpenCC's t2s tables, pure Rust).
///
/// Most contact text is already Simplified, so the converter first checks whether a
/// text has any character the tables would change and returns it untouched if not;
/// that keeps the common case at the cost of one table lookup per character.
pub struct TraditionalToSimplified {
    opencc: ferrous_opencc::OpenCC,
    /// Bit per Basic Multilingual Plane character the tables change (every one of them
    /// is in the BMP): the check of each character is a bit test, not a hash lookup.
    traditional: Vec<u64>,
}

impl TraditionalToSimplified {
    pub fn new() -> Result<Self, String> {
        let opencc =
            ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::T2s)
                .map_err(|e| format!("cannot load the Traditional→Simplified tables: {e}"))?;
        let mut buf = [0u8; 4];
        let mut traditional = vec![0u64; 0x10000 / 64];
        for c in (0x3400u32..=0x9FFF)
            .chain(0xF900..=0xFAFF)
            .filter_map(char::from_u32)
            .filter(|c| opencc.convert(c.encode_utf8(&mut buf)) != *c.encode_utf8(&mut [0u8; 4]))
        {
            traditional[c as usize / 64] |= 1 << (c as u32 % 64);
        }
        Ok(TraditionalToSimplified {
            opencc,
            traditional,
        })
    }

    pub fn convert<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let changes = |c: char| {
            let code = c as usize;
            code < 0x10000 && self.traditional[code / 64] & (1 << (code % 64)) != 0
        };
        if text.chars().any(changes) {
            Cow::Owned(self.opencc.convert(text))
        } else {
            Cow::Borrowed(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{normalize_text, normalized_copy};
    use std::borrow::Cow;

    #[test]
    fn text_is_borrowed_exactly_when_nothing_changes() {
        // Every string of up to four characters over an alphabet with one of each kind
        // the normalization treats differently: a borrowed result must be the input,
        // and an owned one what the copying path makes of it.
        let alphabet = [
            "a", "宽", " ", "\u{3000}", "１", "Ｇ", "＠", "\u{200B}", "\u{FEFF}", "\t", "\n",
            "\u{7}", "\u{85}", "，",
        ];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        texts.sort();
        texts.dedup();
        let mut borrowed = 0;
        for text in &texts {
            let expected = normalized_copy(text);
            match normalize_text(text) {
                Cow::Borrowed(same) => {
                    assert_eq!(same, expected, "{text:?} borrowed but normalizes");
                    borrowed += 1;
                }
                Cow::Owned(changed) => {
                    assert_eq!(changed, expected, "{text:?}");
                    assert_ne!(&changed, text, "{text:?} copied though unchanged");
                }
            }
        }
        assert!(
            borrowed > 100,
            "only {borrowed} of {} borrowed",
            texts.len()
        );
    }

    #[test]
    fn full_width_and_invisible_characters() {
        assert_eq!(
            normalize_text("\u{FEFF}我的号码是１３８\u{200B}１２３４５６７８"),
            "我的号码是13812345678"
        );
        assert_eq!(normalize_text("５Ｇ套餐　　太贵了\r\n"), "5G套餐 太贵了");
        assert_eq!(normalize_text("邮箱ａｂｃ＠ｑｑ．ｃｏｍ"), "邮箱abc@qq.com");
        assert_eq!(normalize_text("你好，请问？"), "你好，请问？");
    }

    #[test]
    fn traditional_becomes_simplified() {
        let t2s = super::TraditionalToSimplified::new().unwrap();
        assert_eq!(t2s.convert("寬頻斷網了，網速太慢"), "宽频断网了，网速太慢");
        assert_eq!(t2s.convert("宽带断网"), "宽带断网");
    }
}
