//! 新兴问题: the categories rising significantly against their baseline, each with its
//! numbers, regions and representative (masked) quotes, and the new terms no category
//! rule covers.

use std::fmt::{Result, Write};

use super::{Priority, Section};
use crate::format::{
    category_label, channel_label, escape_html, escape_md, fixed, or_missing, owner_label, p_value,
    thousands,
};
use crate::model::EmergingIssue;
use crate::table::{
    Align::{Num, Text},
    Cell, Table,
};
use crate::view::View;

/// How many emerging issues get their own summary sentence; the rest are counted.
const SUMMARY_EMERGING: usize = 3;
/// How many regions a sentence names.
const SENTENCE_REGIONS: usize = 3;

const NEW_TERMS_NOTE: &str =
    "本期客户提及显著上升、且不在任何分类规则中的词语，可据此补充分类规则。";

pub(crate) struct Emerging;

impl Section for Emerging {
    fn id(&self) -> &'static str {
        "emerging"
    }

    fn title(&self) -> &'static str {
        "新兴问题"
    }

    fn priority(&self) -> Priority {
        Priority::Urgent
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["emerging", "new_terms"]
    }

    /// The issues and their quotes, which the document shows as cards, and the new terms.
    fn tables(&self, view: &View) -> Vec<Table> {
        let mut tables = vec![issues(view), verbatims(view)];
        if !view.input.new_terms.is_empty() {
            tables.push(new_terms(view));
        }
        tables
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        html_issues(view, heading, out)?;
        if !view.input.new_terms.is_empty() {
            writeln!(out, r#"<section id="new-terms">"#)?;
            writeln!(out, "<h3>新词发现（未被分类规则覆盖）</h3>")?;
            writeln!(out, r#"<p class="muted">{NEW_TERMS_NOTE}</p>"#)?;
            new_terms(view).html(out)?;
            writeln!(out, "</section>")?;
        }
        Ok(())
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        md_issues(view, heading, out)?;
        if !view.input.new_terms.is_empty() {
            writeln!(out, "### 新词发现（未被分类规则覆盖）")?;
            writeln!(out)?;
            new_terms(view).markdown(out)?;
            writeln!(out, "{NEW_TERMS_NOTE}")?;
            writeln!(out)?;
        }
        Ok(())
    }

    fn findings(&self, view: &View) -> Vec<String> {
        emerging_sentences(view)
    }

    /// Every emerging issue, for its owner, by rank.
    fn recommendations(&self, view: &View) -> Vec<(String, String)> {
        let input = view.input;
        let baseline = view.baseline_phrase();
        let mut out = Vec::new();
        for issue in &input.emerging {
            let regions = region_names(&issue.top_regions);
            let mut item = format!(
                "【新兴问题】{}：本期 {} 件，{}",
                category_label(&issue.category_id, &issue.name),
                thousands(issue.current),
                baseline_clause(issue, &baseline)
            );
            if let Some(p) = p_value(issue.p_value) {
                item.push_str(&format!("（{p}）"));
            }
            item.push_str("。建议优先排查根因");
            if !regions.is_empty() {
                item.push_str(&format!("，对{regions}开展专项核查"));
            }
            item.push_str("，同步客服解释口径，并在下期报告中跟踪是否回落。");
            out.push((issue.owner.clone(), item));
        }
        out
    }

    /// New terms and category keywords come from the same phrase counts.
    fn methods(&self, view: &View) -> Vec<String> {
        let input = view.input;
        if input.new_terms.is_empty() && input.top_keywords.is_empty() {
            return Vec::new();
        }
        vec!["新词发现：统计客户侧分词（去停用词、标点与脱敏串）中单词与相邻词组的提及接触数，与基线期按接触量折算的期望值做单侧泊松检验（Bonferroni 校正、最少提及数与最小倍数），并剔除与任一分类规则词重叠的词语。类别关键词为本期类别内提及比例 × 基线期逆文档频率（TF-IDF），且在本类别的提及比例不低于全部类别的 1.5 倍。两者都剔除通用停用词与口语填充词（内置词表，叠加流水线的停用词表）、单字与多字词相连的词组（否定词“没、不、未”等开头者除外，其余多为被分词切开的长词片段），以及只是偶然相邻的词组（词组须占其较少见词提及接触数的 30% 以上）。".to_string()]
    }
}

fn html_issues(view: &View, heading: &str, out: &mut String) -> Result {
    let esc = escape_html;
    let issues = &view.input.emerging;
    let baseline = view.baseline_phrase();
    writeln!(out, r#"<section id="{}">"#, Emerging.id())?;
    writeln!(out, "<h2>{heading}</h2>")?;
    if issues.is_empty() {
        writeln!(
            out,
            "<p>本期未发现相对{}基线显著上升的新兴问题。</p>",
            esc(&baseline)
        )?;
        return writeln!(out, "</section>");
    }
    for (i, issue) in issues.iter().enumerate() {
        writeln!(out, r#"<div class="issue">"#)?;
        writeln!(
            out,
            "<h3>{}. {}</h3>",
            i + 1,
            esc(&category_label(&issue.category_id, &issue.name))
        )?;
        let mut meta = vec![
            format!("归属部门：{}", owner_label(&issue.owner)),
            issue_numbers(issue, &baseline),
        ];
        if let Some(p) = p_value(issue.p_value) {
            meta.push(p);
        }
        writeln!(out, r#"<p class="meta">{}</p>"#, esc(&meta.join(" · ")))?;
        if !issue.top_regions.is_empty() {
            let regions: Vec<String> = issue
                .top_regions
                .iter()
                .map(|(r, n)| format!("{r} {} 件", thousands(*n)))
                .collect();
            writeln!(out, "<p>主要地区：{}</p>", esc(&regions.join("、")))?;
        }
        if issue.verbatims.is_empty() {
            writeln!(out, r#"<p class="muted">暂无代表性原话。</p>"#)?;
        }
        for v in &issue.verbatims {
            writeln!(
                out,
                "<blockquote><p>“{}”</p><footer>{} · {} · {}</footer></blockquote>",
                esc(&v.text),
                esc(channel_label(&v.channel)),
                esc(or_missing(&v.region)),
                esc(&v.contact_id)
            )?;
        }
        writeln!(out, "</div>")?;
    }
    writeln!(out, "</section>")
}

fn md_issues(view: &View, heading: &str, out: &mut String) -> Result {
    let esc = escape_md;
    let issues = &view.input.emerging;
    let baseline = view.baseline_phrase();
    writeln!(out, "## {heading}")?;
    writeln!(out)?;
    if issues.is_empty() {
        writeln!(
            out,
            "本期未发现相对{}基线显著上升的新兴问题。",
            esc(&baseline)
        )?;
        return writeln!(out);
    }
    for (i, issue) in issues.iter().enumerate() {
        writeln!(
            out,
            "### {}. {}",
            i + 1,
            esc(&category_label(&issue.category_id, &issue.name))
        )?;
        writeln!(out)?;
        writeln!(out, "- 归属部门：{}", esc(owner_label(&issue.owner)))?;
        writeln!(out, "- {}", esc(&issue_numbers(issue, &baseline)))?;
        if let Some(p) = p_value(issue.p_value) {
            writeln!(out, "- 显著性：{p}")?;
        }
        if !issue.top_regions.is_empty() {
            let regions: Vec<String> = issue
                .top_regions
                .iter()
                .map(|(r, n)| format!("{} {} 件", esc(r), thousands(*n)))
                .collect();
            writeln!(out, "- 主要地区：{}", regions.join("、"))?;
        }
        writeln!(out)?;
        if issue.verbatims.is_empty() {
            writeln!(out, "暂无代表性原话。")?;
            writeln!(out)?;
        }
        for v in &issue.verbatims {
            writeln!(out, "> “{}”", esc(&v.text))?;
            writeln!(out, ">")?;
            writeln!(
                out,
                "> —— {} · {} · {}",
                esc(channel_label(&v.channel)),
                esc(or_missing(&v.region)),
                esc(&v.contact_id)
            )?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The emerging issues, one row each.
fn issues(view: &View) -> Table {
    let input = view.input;
    let baseline_mean = crate::format::baseline_mean_label(&input.period);
    let mut t = Table::new(
        "新兴问题",
        &[
            ("类别", Text),
            ("名称", Text),
            ("归属部门", Text),
            ("本期", Num),
            (baseline_mean, Num),
            ("倍数", Num),
            ("显著性", Num),
            ("主要地区", Text),
        ],
    )
    .only_in_workbook();
    for e in &input.emerging {
        let ratio = if e.baseline_mean > 0.0 {
            e.current as f64 / e.baseline_mean
        } else {
            f64::NAN
        };
        let regions: Vec<String> = e
            .top_regions
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        t.row(vec![
            e.category_id.clone().into(),
            e.name.clone().into(),
            e.owner.clone().into(),
            Cell::count(e.current),
            Cell::decimal(e.baseline_mean, 1),
            Cell::decimal(ratio, 1),
            Cell::p_value(e.p_value),
            regions.join("、").into(),
        ]);
    }
    t
}

/// The representative quotes of every emerging issue.
fn verbatims(view: &View) -> Table {
    let mut t = Table::new(
        "代表性原话",
        &[
            ("新兴问题", Text),
            ("接触编号", Text),
            ("渠道", Text),
            ("地区", Text),
            ("原话（已脱敏）", Text),
        ],
    )
    .only_in_workbook();
    for e in &view.input.emerging {
        for v in &e.verbatims {
            t.row(vec![
                e.name.clone().into(),
                v.contact_id.clone().into(),
                channel_label(&v.channel).into(),
                v.region.clone().into(),
                v.text.clone().into(),
            ]);
        }
    }
    t
}

/// New terms with their counts against the baseline.
fn new_terms(view: &View) -> Table {
    let mean = crate::format::baseline_mean_label(&view.input.period);
    let mut t = Table::new(
        "新词发现",
        &[
            ("词语", Text),
            ("本期提及", Num),
            (mean, Num),
            ("倍数", Num),
            ("显著性", Num),
        ],
    );
    for term in &view.input.new_terms {
        t.row(vec![
            term.term.clone().into(),
            Cell::count(term.current),
            Cell::decimal(term.baseline_mean, 1),
            Cell::decimal(term.ratio, 1),
            Cell::p_value(term.p_value),
        ]);
    }
    t
}

/// Region names joined with `、`, at most [`SENTENCE_REGIONS`].
fn region_names(regions: &[(String, u64)]) -> String {
    regions
        .iter()
        .take(SENTENCE_REGIONS)
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

/// `为近8周均值的 8.7 倍` or, for a category with no history, `近8周此前未出现`.
fn baseline_clause(issue: &EmergingIssue, baseline: &str) -> String {
    if issue.baseline_mean.is_finite() && issue.baseline_mean > 0.0 {
        let ratio = issue.current as f64 / issue.baseline_mean;
        format!("为{baseline}均值的 {} 倍", fixed(ratio, 1))
    } else {
        format!("{baseline}此前未出现")
    }
}

/// `本期 52 件，近8周均值 6.0 件，为均值的 8.7 倍` for the emerging-issue details.
fn issue_numbers(issue: &EmergingIssue, baseline: &str) -> String {
    let current = thousands(issue.current);
    if issue.baseline_mean.is_finite() && issue.baseline_mean > 0.0 {
        format!(
            "本期 {current} 件，{baseline}均值 {} 件，为均值的 {} 倍",
            fixed(issue.baseline_mean, 1),
            fixed(issue.current as f64 / issue.baseline_mean, 1)
        )
    } else {
        format!("本期 {current} 件，{baseline}此前未出现")
    }
}

fn emerging_sentences(view: &View) -> Vec<String> {
    let issues = &view.input.emerging;
    if issues.is_empty() {
        return vec!["本期未发现显著上升的新兴问题。".to_string()];
    }
    let baseline = view.baseline_phrase();
    let mut out: Vec<String> = issues
        .iter()
        .take(SUMMARY_EMERGING)
        .map(|issue| {
            let mut s = format!(
                "{}投诉本期 {} 件，{}",
                category_label(&issue.category_id, &issue.name),
                thousands(issue.current),
                baseline_clause(issue, &baseline)
            );
            if let Some(p) = p_value(issue.p_value) {
                s.push_str(&format!("（{p}）"));
            }
            let regions = region_names(&issue.top_regions);
            if !regions.is_empty() {
                s.push_str(&format!("，主要集中在{regions}"));
            }
            s.push_str(&format!("，建议{}优先处理。", owner_label(&issue.owner)));
            s
        })
        .collect();
    if issues.len() > SUMMARY_EMERGING {
        out.push(format!(
            "另有 {} 个新兴问题，详见“新兴问题”一节。",
            issues.len() - SUMMARY_EMERGING
        ));
    }
    out
}
