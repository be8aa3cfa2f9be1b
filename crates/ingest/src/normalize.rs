//! Text normalization applied to every turn before masking and segmentation.

/// Normalizes one piece of text: full-width ASCII letters, digits and the ideographic
/// space become half-width; BOMs, zero-width characters and control characters are
/// removed; runs of spaces collapse. Chinese punctuation is kept as it is, since it is
/// what the segmenter and readers expect.
pub fn normalize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = false;
    for c in text.chars() {
        let c = match c {
            '\u{3000}' => ' ',
            // Full-width letters and digits (Ｆ..Ｚ, ０..９) map 1:1 onto ASCII.
            '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}' | '\u{FF0E}' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            '\u{FEFF}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' => continue,
            '\t' | '\r' | '\n' => ' ',
            c if c.is_control() => continue,
            c => c,
        };
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

#[cfg(test)]
mod tests {
    use super::normalize_text;

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
}
