//! The channels voc knows, one table for every stage: the code stored in the history,
//! the Chinese label the search page shows, and the values exports write for it. Ingest
//! maps an export's value onto the code (`电话` → `voice`), search finds a channel by
//! its code and by any of these values (`channel:电话`).
//!
//! What the analyses do with each code: KPI's SLA counts `voice` and `chat` and
//! staffing plans `voice`, `chat` and `wechat` (their defaults, in `[kpi]` and
//! `[staffing]`); `email`, `social`, `sms`, `app` and `workorder` are answered later and
//! counted in volumes and trends only.

/// A channel code, its label, and the other values that mean it (lower case).
pub struct Channel {
    pub code: &'static str,
    pub label: &'static str,
    pub aliases: &'static [&'static str],
}

/// Every channel code. `unknown` is what ingest stores when a record names none.
pub const CHANNELS: &[Channel] = &[
    Channel {
        code: "voice",
        label: "电话",
        aliases: &[
            "call",
            "phone",
            "tel",
            "hotline",
            "电话",
            "语音",
            "呼入",
            "呼出",
            "热线",
            "来电",
            "电话客服",
            "语音客服",
            "ivr",
        ],
    },
    Channel {
        code: "chat",
        label: "在线客服",
        aliases: &[
            "online",
            "webchat",
            "web",
            "im",
            "livechat",
            "在线",
            "在线客服",
            "网页",
            "网页客服",
            "在线咨询",
            "人工在线",
            "聊天",
        ],
    },
    Channel {
        code: "wechat",
        label: "微信",
        aliases: &[
            "weixin",
            "微信",
            "微信客服",
            "公众号",
            "微信公众号",
            "企业微信",
        ],
    },
    Channel {
        code: "email",
        label: "邮件",
        aliases: &["mail", "e-mail", "邮件", "电子邮件", "邮箱"],
    },
    Channel {
        code: "social",
        label: "社交媒体",
        aliases: &[
            "weibo",
            "douyin",
            "xiaohongshu",
            "微博",
            "社交",
            "社交媒体",
            "抖音",
            "小红书",
        ],
    },
    Channel {
        code: "sms",
        label: "短信",
        aliases: &["短信", "text message"],
    },
    Channel {
        code: "app",
        label: "APP",
        aliases: &["手机app", "客户端", "应用"],
    },
    Channel {
        code: "workorder",
        label: "工单",
        aliases: &["work_order", "ticket", "工单"],
    },
];

/// The Chinese label of a stored channel value (`voice` → 电话, an alias such as `weibo` →
/// its channel's label): the one naming of channels in the report, the search page, the
/// exports and `voc discover`. A value voc does not know passes through as stored.
pub fn label(value: &str) -> &str {
    let code = if is_code(value) {
        Some(value)
    } else {
        code_of(value)
    };
    code.and_then(|code| CHANNELS.iter().find(|c| c.code == code))
        .map_or(value, |c| c.label)
}

/// The code of a channel value as exports write it (`电话`, ` Voice `, `微博`), or
/// `None` when it is no value of any known channel.
pub fn code_of(value: &str) -> Option<&'static str> {
    let value = value.trim().to_lowercase();
    CHANNELS
        .iter()
        .find(|c| {
            c.code == value
                || c.label.to_lowercase() == value
                || c.aliases.contains(&value.as_str())
        })
        .map(|c| c.code)
}

/// Whether `code` is one of [`CHANNELS`] (or `unknown`, the code of no channel given).
pub fn is_code(code: &str) -> bool {
    code == "unknown" || CHANNELS.iter().any(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_map_onto_codes() {
        assert_eq!(code_of("电话"), Some("voice"));
        assert_eq!(code_of(" Voice "), Some("voice"));
        assert_eq!(code_of("在线客服"), Some("chat"));
        assert_eq!(code_of("微博"), Some("social"));
        assert_eq!(code_of("APP"), Some("app"));
        assert_eq!(code_of("信鸽"), None);
        assert!(is_code("unknown") && is_code("workorder") && !is_code("电话"));
    }

    #[test]
    fn no_value_means_two_channels() {
        let mut seen = std::collections::HashSet::new();
        for c in CHANNELS {
            for v in c.aliases.iter().chain([&c.code]) {
                assert!(seen.insert(*v), "{v} is listed twice");
            }
        }
    }
}
