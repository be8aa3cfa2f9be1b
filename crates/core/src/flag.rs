//! The risk and quality flags' Chinese names: one table for the report, the search page,
//! exports and `voc search`, so a flag reads the same wherever an analyst meets it.

/// Every flag voc stores (the history's `risk_*` columns, the index's `risk` values)
/// with its Chinese name.
pub const FLAGS: &[(&str, &str)] = &[
    ("escalation", "升级风险"),
    ("churn", "流失倾向"),
    ("repeat", "重复来电"),
    ("no_greeting", "未问候"),
    ("no_closing", "未结束语"),
    ("forbidden_phrase", "服务禁语"),
];

/// The Chinese name of a flag; a value voc does not know passes through as stored.
pub fn label(code: &str) -> &str {
    FLAGS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_flag_has_a_chinese_name_and_unknown_values_pass() {
        assert_eq!(super::label("churn"), "流失倾向");
        assert_eq!(super::label("no_closing"), "未结束语");
        assert_eq!(super::label("门店"), "门店");
        assert!(super::FLAGS.iter().all(|(_, name)| !name.is_ascii()));
    }
}
