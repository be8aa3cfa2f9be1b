//! 新话题发现: what customers talk about that the taxonomy does not know yet — the
//! topics `voc discover` found this period that are new or grew significantly, those
//! living mostly outside the categories first, each with its numbers, regions, channels
//! and masked verbatims; the coverage of the taxonomy; and how to turn a topic into a
//! category. Shown only when the pipeline discovers (`[discover]`).

use std::fmt::{Result, Write};

use super::advice::CENTER_OWNER;
use super::{Priority, Section};
use crate::format::{channel_label, escape_html, escape_md, fixed, p_value, share, thousands};
use crate::model::{DiscoveredTopic, DiscoverySection};
use crate::phrases::SMALL_BASE;
use crate::table::{
    Align::{Num, Text},
    Cell, Table,
};
use crate::view::View;

/// Regions and channels a topic's line names.
const NAMED: usize = 3;
/// Topics named in the executive-summary sentence.
const SUMMARY_TOPICS: usize = 2;

const SUGGEST_NOTE: &str = "把话题转为分类规则草稿：voc taxonomy suggest PIPELINE --topic 话题编号（写出的规则可先用 voc taxonomy test 检验）。";

pub(crate) struct Discovery;

impl Section for Discovery {
    fn id(&self) -> &'static str {
        "discovery"
    }

    fn title(&self) -> &'static str {
        "新话题发现"
    }

    /// Only when the pipeline discovers: no empty section otherwise.
    fn present(&self, view: &View) -> bool {
        view.input.discovery.is_some()
    }

    fn priority(&self) -> Priority {
        Priority::Urgent
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["discovery"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        match &view.input.discovery {
            Some(d) => vec![topics_table(d), verbatims_table(d)],
            None => Vec::new(),
        }
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let Some(d) = &view.input.discovery else {
            return Ok(());
        };
        let esc = escape_html;
        writeln!(out, r#"<section id="{}">"#, Discovery.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        writeln!(out, "<p>{}</p>", esc(&coverage_sentence(d)))?;
        if d.topics.is_empty() {
            writeln!(out, "<p>{}</p>", esc(&nothing_new(d)))?;
        }
        for (i, t) in d.topics.iter().enumerate() {
            writeln!(out, r#"<div class="issue">"#)?;
            writeln!(
                out,
                "<h3>{}. {}（{}）</h3>",
                i + 1,
                esc(&t.label),
                esc(&t.id)
            )?;
            writeln!(out, r#"<p class="meta">{}</p>"#, esc(&numbers(t, d)))?;
            for line in who(t) {
                writeln!(out, "<p>{}</p>", esc(&line))?;
            }
            if t.verbatims.is_empty() {
                writeln!(out, r#"<p class="muted">暂无代表性原话。</p>"#)?;
            }
            for v in &t.verbatims {
                writeln!(
                    out,
                    "<blockquote><p>“{}”</p><footer>{}</footer></blockquote>",
                    esc(&v.text),
                    esc(&v.contact_id)
                )?;
            }
            writeln!(out, "</div>")?;
        }
        writeln!(out, r#"<p class="muted">{}</p>"#, esc(SUGGEST_NOTE))?;
        writeln!(out, "</section>")
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let Some(d) = &view.input.discovery else {
            return Ok(());
        };
        let esc = escape_md;
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        writeln!(out, "{}", esc(&coverage_sentence(d)))?;
        writeln!(out)?;
        if d.topics.is_empty() {
            writeln!(out, "{}", esc(&nothing_new(d)))?;
            writeln!(out)?;
        }
        for (i, t) in d.topics.iter().enumerate() {
            writeln!(out, "### {}. {}（{}）", i + 1, esc(&t.label), esc(&t.id))?;
            writeln!(out)?;
            writeln!(out, "- {}", esc(&numbers(t, d)))?;
            for line in who(t) {
                writeln!(out, "- {}", esc(&line))?;
            }
            writeln!(out)?;
            if t.verbatims.is_empty() {
                writeln!(out, "暂无代表性原话。")?;
                writeln!(out)?;
            }
            for v in &t.verbatims {
                writeln!(out, "> “{}”", esc(&v.text))?;
                writeln!(out, ">")?;
                writeln!(out, "> —— {}", esc(&v.contact_id))?;
                writeln!(out)?;
            }
        }
        writeln!(out, "{}", esc(SUGGEST_NOTE))?;
        writeln!(out)
    }

    fn findings(&self, view: &View) -> Vec<String> {
        let Some(d) = &view.input.discovery else {
            return Vec::new();
        };
        if d.topics.is_empty() {
            return Vec::new();
        }
        let (new, growing) = status_counts(d);
        let named: Vec<String> = d
            .topics
            .iter()
            .take(SUMMARY_TOPICS)
            .map(|t| format!("“{}”（{} 件）", t.label, thousands(t.size)))
            .collect();
        vec![format!(
            "话题发现：本期新出现 {new} 个、显著上升 {growing} 个话题，主要是{}，详见“新话题发现”一节。",
            named.join("、")
        )]
    }

    /// Topics mostly outside the taxonomy are gaps in it: the analysts' to close.
    fn recommendations(&self, view: &View) -> Vec<(String, String)> {
        let Some(d) = &view.input.discovery else {
            return Vec::new();
        };
        let outside: Vec<&DiscoveredTopic> =
            d.topics.iter().filter(|t| mostly_outside(t)).collect();
        if outside.is_empty() {
            return Vec::new();
        }
        let ids: Vec<String> = outside
            .iter()
            .map(|t| format!("{}（{}）", t.label, t.id))
            .collect();
        vec![(
            CENTER_OWNER.to_string(),
            format!(
                "【分类补充】{} 个新出现或上升的话题大多未被现有分类覆盖：{}。建议用 voc taxonomy suggest 生成分类规则草稿，审核后纳入分类体系。",
                outside.len(),
                ids.join("、")
            ),
        )]
    }

    fn methods(&self, view: &View) -> Vec<String> {
        if view.input.discovery.is_none() {
            return Vec::new();
        }
        vec!["新话题发现：不依赖分类规则，对本期客户侧分词的 TF-IDF 向量做球面 k-means 聚类（固定随机种子，结果可复现），另以少见词共现找出仅有数件接触的小主题；话题以其最具区分度的词语命名，按词语权重的余弦相似度与上期话题对应（沿用编号）。“新出现”指上期无对应话题；“上升”采用与新兴问题相同的单侧泊松检验（按接触量折算期望、Bonferroni 校正、最少 5 件、至少 1.5 倍），未通过检验的变化不予报告。代表性原话为与话题中心最相近的客户原话（已脱敏）。".to_string()]
    }
}

fn status_counts(d: &DiscoverySection) -> (usize, usize) {
    let new = d.topics.iter().filter(|t| t.status == "new").count();
    (new, d.topics.len() - new)
}

/// Whether at least half a topic's contacts matched no category.
fn mostly_outside(t: &DiscoveredTopic) -> bool {
    t.uncategorised * 2 >= t.size && t.size > 0
}

/// `x%` of `whole`, or on a small base the counts (`6 / 9 件`): a percentage of a
/// handful says more than it knows.
fn part_of(part: u64, whole: u64) -> String {
    if whole < SMALL_BASE {
        format!("{} / {} 件", thousands(part), thousands(whole))
    } else {
        share(part, whole)
    }
}

/// `本期 1,234 次接触中 456 次（37.0%）未匹配任何分类；发现话题 12 个。`
fn coverage_sentence(d: &DiscoverySection) -> String {
    let uncovered = if d.contacts < SMALL_BASE {
        format!("{} 次", thousands(d.uncategorised))
    } else {
        format!(
            "{} 次（{}）",
            thousands(d.uncategorised),
            share(d.uncategorised, d.contacts)
        )
    };
    let (new, growing) = status_counts(d);
    format!(
        "分类覆盖：本期 {} 次接触中 {uncovered}未匹配任何分类。共发现话题与小主题 {} 个，其中新出现 {new} 个、显著上升 {growing} 个；下列按“主要在分类之外”优先、再按规模排列。",
        thousands(d.contacts),
        thousands(d.topics_found)
    )
}

fn nothing_new(d: &DiscoverySection) -> String {
    match &d.previous_period {
        Some(previous) => format!("与 {previous} 相比，本期没有新出现或显著上升的话题。"),
        None => "历史中没有可比较的上期，话题的新增与上升无从判断。".to_string(),
    }
}

/// `新出现 · 本期 6 件（占全部接触 1.0%）· 未匹配分类 6 / 6 件 · 负面 2 / 6 件 · 平均情感 -0.35`.
fn numbers(t: &DiscoveredTopic, d: &DiscoverySection) -> String {
    let mut parts = vec![match (t.status.as_str(), t.previous_size) {
        ("new", _) => "新出现（上期无对应话题）".to_string(),
        (_, Some(previous)) if previous >= SMALL_BASE => format!(
            "显著上升：上期 {} 件，增加 {}%",
            thousands(previous),
            fixed(
                (t.size as f64 - previous as f64) / previous as f64 * 100.0,
                1
            )
        ),
        (_, Some(previous)) => format!(
            "显著上升：上期 {} 件 → 本期 {} 件",
            thousands(previous),
            thousands(t.size)
        ),
        _ => "显著上升".to_string(),
    }];
    if let Some(p) = t.p_value.and_then(p_value) {
        parts.push(p);
    }
    parts.push(format!(
        "本期 {} 件（占全部接触 {}）",
        thousands(t.size),
        share(t.size, d.contacts)
    ));
    parts.push(format!("未匹配分类 {}", part_of(t.uncategorised, t.size)));
    parts.push(format!("负面 {}", part_of(t.negative, t.size)));
    parts.push(format!("平均情感 {}", fixed(t.mean_sentiment, 2)));
    if t.kind == "theme" {
        parts.push("小主题".to_string());
    }
    parts.join(" · ")
}

/// `主要地区：…`, `主要渠道：…`, `涉及分类：…` for the lines that have values.
fn who(t: &DiscoveredTopic) -> Vec<String> {
    let named = |values: &[(String, u64)], label: &dyn Fn(&str) -> String| {
        values
            .iter()
            .take(NAMED)
            .map(|(v, n)| format!("{} {} 件", label(v), thousands(*n)))
            .collect::<Vec<_>>()
            .join("、")
    };
    let mut lines = Vec::new();
    let as_is = |v: &str| v.to_string();
    let channel = |v: &str| channel_label(v).to_string();
    for (title, values, label) in [
        ("主要地区", &t.regions, &as_is as &dyn Fn(&str) -> String),
        ("主要渠道", &t.channels, &channel),
        ("涉及分类", &t.categories, &as_is),
    ] {
        if !values.is_empty() {
            lines.push(format!("{title}：{}", named(values, label)));
        }
    }
    lines
}

fn status_label(status: &str) -> &str {
    match status {
        "new" => "新出现",
        "growing" => "上升",
        other => other,
    }
}

/// The new and growing topics, one row each (the workbook's sheet).
fn topics_table(d: &DiscoverySection) -> Table {
    let mut t = Table::new(
        "新话题发现",
        &[
            ("编号", Text),
            ("类型", Text),
            ("话题", Text),
            ("状态", Text),
            ("本期", Num),
            ("上期", Num),
            ("占全部接触", Num),
            ("未匹配分类", Num),
            ("负面", Num),
            ("平均情感", Num),
            ("显著性", Num),
            ("主要地区", Text),
            ("主要渠道", Text),
        ],
    )
    .only_in_workbook();
    for topic in &d.topics {
        let top = |values: &[(String, u64)], label: fn(&str) -> &str| {
            values
                .iter()
                .take(NAMED)
                .map(|(v, n)| format!("{} {n}", label(v)))
                .collect::<Vec<_>>()
                .join("、")
        };
        t.row(vec![
            topic.id.clone().into(),
            (if topic.kind == "theme" {
                "小主题"
            } else {
                "话题"
            })
            .into(),
            topic.label.clone().into(),
            status_label(&topic.status).into(),
            Cell::count(topic.size),
            Cell::count_or_missing(topic.previous_size),
            Cell::share(topic.size, d.contacts),
            Cell::count(topic.uncategorised),
            Cell::count(topic.negative),
            Cell::decimal(topic.mean_sentiment, 2),
            topic.p_value.map_or_else(|| "—".into(), Cell::p_value),
            top(&topic.regions, |v| v).into(),
            top(&topic.channels, channel_label).into(),
        ]);
    }
    t
}

/// The representative verbatims of every listed topic.
fn verbatims_table(d: &DiscoverySection) -> Table {
    let mut t = Table::new(
        "新话题原话",
        &[
            ("编号", Text),
            ("话题", Text),
            ("接触编号", Text),
            ("原话（已脱敏）", Text),
        ],
    )
    .only_in_workbook();
    for topic in &d.topics {
        for v in &topic.verbatims {
            t.row(vec![
                topic.id.clone().into(),
                topic.label.clone().into(),
                v.contact_id.clone().into(),
                v.text.clone().into(),
            ]);
        }
    }
    t
}
