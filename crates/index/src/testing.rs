//! A small, fixed sample index for the tests of this crate and of `voc-serve`: a dozen
//! contacts with known text, metadata, categories and risk flags, so a test can say
//! exactly which ids a query must return.

use crate::{ContactIndex, IndexError};
use chrono::{DateTime, FixedOffset};
use std::path::Path;
use std::sync::Arc;
use voc_core::{Contact, EnrichedContact, RiskFlags, Speaker, Turn};
use voc_text::Segmenter;

/// One sample contact: (id, time, channel, region, business, turns, categories,
/// sentiment, risk names).
type Sample = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(Speaker, &'static str)],
    &'static [&'static str],
    f32,
    &'static [&'static str],
);

use Speaker::{Agent, Customer, Note};

/// The sample contacts. The newest is on 2026-11-12, a Thursday of ISO week
/// 2026-W46; the oldest on 2026-10-05, the Monday of 2026-W41.
pub const SAMPLES: &[Sample] = &[
    (
        "C1",
        "2026-10-05T09:00:00+08:00",
        "voice",
        "广东",
        "宽带",
        &[
            (Agent, "您好，很高兴为您服务"),
            (Customer, "我家宽带这周断网三次了，光猫指示灯一直闪红灯"),
        ],
        &["网络质量/宽带断网"],
        -0.6,
        &[],
    ),
    (
        "C2",
        "2026-10-12T10:00:00+08:00",
        "chat",
        "广东",
        "宽带",
        &[
            (Customer, "宽带又断网了，再不修好我就要投诉到工信部"),
            (Agent, "非常抱歉，马上为您报障"),
        ],
        &["网络质量/宽带断网"],
        -0.8,
        &["escalation"],
    ),
    (
        "C3",
        "2026-10-20T11:00:00+08:00",
        "voice",
        "浙江",
        "宽带",
        &[
            (Customer, "网速太慢了，晚上看视频一直卡"),
            (Agent, "我帮您检测一下线路"),
        ],
        &["网络质量/网速慢"],
        -0.4,
        &[],
    ),
    (
        "C4",
        "2026-10-28T12:00:00+08:00",
        "email",
        "北京",
        "移动",
        &[
            (Customer, "这个月话费多扣了二十元，请退还"),
            (Agent, "已为您提交退费申请"),
        ],
        &["资费争议/多扣费"],
        -0.3,
        &[],
    ),
    (
        "C5",
        "2026-11-02T09:15:00+08:00",
        "voice",
        "广东",
        "宽带",
        &[
            (Customer, "宽带断网一个星期了，我要退订宽带，销户"),
            (Agent, "我马上帮您加急处理断网问题"),
        ],
        &["网络质量/宽带断网", "业务办理/退订"],
        -0.7,
        &["churn"],
    ),
    (
        "C6",
        "2026-11-05T15:00:00+08:00",
        "wechat",
        "上海",
        "移动",
        &[
            (Customer, "感谢你们的耐心解答，问题解决了"),
            (Agent, "不客气，祝您生活愉快"),
        ],
        &[],
        0.8,
        &[],
    ),
    (
        "C7",
        "2026-11-09T16:00:00+08:00",
        "workorder",
        "广东",
        "宽带",
        &[(
            Note,
            "客户反映光猫指示灯一直闪红灯，宽带断网无法上网，已派单上门",
        )],
        &["网络质量/宽带断网"],
        -0.5,
        &["repeat"],
    ),
    (
        "C8",
        "2026-11-10T08:30:00+08:00",
        "voice",
        "浙江",
        "移动",
        &[
            (Agent, "请问您反映的是断网问题吗"),
            (Customer, "不是，我是想咨询套餐"),
        ],
        &["业务咨询/套餐"],
        0.0,
        &[],
    ),
    (
        "C9",
        "2026-11-12T20:00:00+08:00",
        "chat",
        "广东",
        "宽带",
        &[
            (Customer, "网速慢，而且经常掉线，我要去12315投诉"),
            (Agent, "抱歉给您带来不便"),
        ],
        &["网络质量/网速慢"],
        -0.9,
        &["escalation"],
    ),
];

fn enriched(segmenter: &Segmenter, sample: &Sample) -> EnrichedContact {
    let (id, at, channel, region, business, turns, categories, sentiment, risk) = *sample;
    let started_at: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339(at).expect("sample times are valid");
    let mut contact = Contact::new(
        id,
        started_at,
        channel,
        turns
            .iter()
            .map(|(speaker, text)| Turn {
                speaker: *speaker,
                text: text.to_string(),
            })
            .collect(),
    );
    contact.region = Some(region.to_string());
    contact.business = Some(business.to_string());
    let tokens = contact
        .turns
        .iter()
        .map(|t| segmenter.cut(&t.text))
        .collect();
    let label = if sentiment < -0.2 {
        "negative"
    } else if sentiment > 0.2 {
        "positive"
    } else {
        "neutral"
    };
    EnrichedContact {
        week: voc_core::time::iso_week_key(&started_at),
        contact,
        tokens,
        categories: categories.iter().map(|c| c.to_string()).collect(),
        complaint: !categories.is_empty(),
        sentiment,
        sentiment_label: label.to_string(),
        mood: Default::default(),
        risk: RiskFlags {
            escalation: risk.contains(&"escalation"),
            churn: risk.contains(&"churn"),
            repeat_contact: risk.contains(&"repeat"),
            ..RiskFlags::default()
        },
    }
}

/// The segmenter of the sample index (jieba plus a few domain words).
pub fn sample_segmenter() -> voc_text::SegmenterBuilder {
    Segmenter::builder()
        .word("光猫")
        .word("指示灯")
        .word("闪红灯")
        .word("断网")
        .word("网速慢")
}

/// Builds the sample contacts, cut by [`sample_segmenter`].
pub fn sample_contacts() -> Vec<EnrichedContact> {
    let segmenter = sample_segmenter()
        .build()
        .expect("sample dictionary builds");
    SAMPLES.iter().map(|s| enriched(&segmenter, s)).collect()
}

/// Writes the sample index into `dir` and opens it for searching.
pub fn sample_index(dir: &Path) -> Result<ContactIndex, IndexError> {
    let builder = sample_segmenter();
    let segmenter = Arc::new(builder.build()?);
    let index = ContactIndex::open_or_create(dir, segmenter, &builder)?;
    index.upsert(&sample_contacts())?;
    drop(index);
    ContactIndex::open(dir)
}
