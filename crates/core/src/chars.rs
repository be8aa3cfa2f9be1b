//! Character classes shared by segmentation, indexing and the term statistics.

/// A letter, digit or CJK ideograph (what `char::is_alphanumeric` says). ASCII and the
/// CJK blocks are answered first: `is_alphanumeric` walks Unicode tables for every
/// Chinese character, which showed up in indexing's and the term counts' profiles.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        is_cjk_ideograph(c) || c.is_alphanumeric()
    }
}

/// CJK unified ideographs (main block, extension A, compatibility, extensions B–F).
pub fn is_cjk_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_chars_agree_with_is_alphanumeric() {
        for c in [
            'a', 'Z', '5', '宽', '㐀', '𠀀', '，', '。', ' ', '*', '%', 'é', '５',
        ] {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c}");
        }
    }
}
