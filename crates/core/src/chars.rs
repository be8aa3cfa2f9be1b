//! Character classes shared by segmentation, indexing and the term statistics.

/// A letter, digit or CJK ideograph (what `char::is_alphanumeric` says). ASCII and the
/// CJK blocks are answered first: `is_alphanumeric` walks Unicode tables for every
/// Chinese character, which showed up in indexing's and the term counts' profiles.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        is_cjk_ideograph(c) || (!is_chinese_punctuation(c) && c.is_alphanumeric())
    }
}

/// The punctuation of Chinese text, about one token in six: answered without the
/// Unicode tables (none of these is a letter or digit).
fn is_chinese_punctuation(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '？'
            | '！'
            | '、'
            | '：'
            | '；'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '（'
            | '）'
            | '…'
            | '《'
            | '》'
            | '【'
            | '】'
            | '—'
            | '～'
            | '·'
    )
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
        // Every character: the shortcuts must give what the Unicode tables give, but
        // for the code points of the CJK blocks that are not assigned yet (U+FA6E,
        // U+2A6E0 …), which count as ideographs here.
        let mut unassigned = 0;
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            if is_cjk_ideograph(c) && !c.is_alphanumeric() {
                unassigned += 1;
                continue;
            }
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
        assert!(
            unassigned < 5_000,
            "{unassigned} ideographs the tables do not know"
        );
    }
}
