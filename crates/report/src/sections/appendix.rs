//! 附录：方法说明与数据质量: what the ingest read, kept, quarantined and deduplicated,
//! and how every number of the report is computed.

use std::fmt::{Result, Write};

use voc_core::PeriodKind;

use super::Section;
use crate::format::{MISSING, escape_html, escape_md};
use crate::model::DataQuality;
use crate::table::{
    Align::{Num, Text},
    Cell, Table,
};
use crate::view::View;

pub(crate) struct Appendix;

impl Section for Appendix {
    fn id(&self) -> &'static str {
        "appendix"
    }

    fn title(&self) -> &'static str {
        "附录：方法说明与数据质量"
    }

    fn numbered(&self) -> bool {
        false
    }

    fn input_fields(&self) -> &'static [&'static str] {
        // The fingerprints are for reproducing the report, not for the client's reader:
        // the appendix names them, the cover does not.
        &["quality", "config_fingerprint", "data_fingerprint"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        vec![quality(&view.input.quality)]
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let esc = escape_html;
        let q = &view.input.quality;
        writeln!(out, r#"<section id="{}" class="appendix">"#, Appendix.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        writeln!(out, "<h3>数据质量</h3>")?;
        quality(q).html(out)?;
        if let Some(note) = quality_note(q) {
            writeln!(out, r#"<p class="muted">{}</p>"#, esc(&note))?;
        }
        writeln!(out, "<h3>方法说明</h3>")?;
        writeln!(out, "<ul>")?;
        for m in methods(view) {
            writeln!(out, "<li>{}</li>", esc(&m))?;
        }
        writeln!(out, "</ul>")?;
        writeln!(out, "</section>")
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let esc = escape_md;
        let q = &view.input.quality;
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        writeln!(out, "### 数据质量")?;
        writeln!(out)?;
        quality(q).markdown(out)?;
        if let Some(note) = quality_note(q) {
            writeln!(out, "{}", esc(&note))?;
            writeln!(out)?;
        }
        writeln!(out, "### 方法说明")?;
        writeln!(out)?;
        for m in methods(view) {
            writeln!(out, "- {}", esc(&m))?;
        }
        Ok(())
    }
}

/// The method notes: how the core numbers are computed, then the notes of the optional
/// sections present.
fn methods(view: &View) -> Vec<String> {
    let input = view.input;
    let unit = crate::format::period_unit(&input.period);
    let baseline = view.baseline_periods();
    let data = if input.data_fingerprint.is_empty() {
        MISSING.to_string()
    } else {
        match &input.quality.batch_period {
            Some(batch) => format!(
                "{}（写入本输出目录的最近一次批处理 {batch} 的输入文件）",
                input.data_fingerprint
            ),
            None => input.data_fingerprint.clone(),
        }
    };
    let mut out = vec![
        "数据处理：各渠道接触记录逐条校验，未通过校验的记录连同原因与来源位置写入隔离文件，不会被静默丢弃；同一接触编号重复投递时以最新一条为准。".to_string(),
        "投诉率 = 投诉件数 ÷ 接触量 × 1000（‰，即每千次接触的投诉件数）；上期为 0 时环比记为“—”。".to_string(),
        "投诉分类依据分析师维护的层级规则（关键词、邻近、说话方与位置条件），每个类别指定归属部门；主要投诉主题表的占比为该类别占表内合计的比例。".to_string(),
        format!(
            "新兴问题检测：对每个类别及“地区×类别”单元，以本期之前{baseline}{unit}（不含本期）的每千次接触发生率乘以本期接触量为期望件数 λ，按泊松分布计算本期件数不低于实际值的单侧概率 p；件数达到最低门槛、p 值低于经 Bonferroni 校正的显著性水平且不低于期望 1.5 倍的列为新兴问题，按超出期望的件数排序。"
        ),
    ];
    out.extend(period_notes(view));
    out.extend([
        "情感分析按轮次打分后汇总到接触，情感均值越低表示客户越不满；负面占比为负面接触占全部接触的比例。".to_string(),
        "升级投诉风险指提及 12315、工信部、消协、媒体曝光、律师、起诉等；流失倾向指提及销户、退网、携号转网等。".to_string(),
        "隐私保护：文中所有原话与摘录在写入前已完成脱敏（手机号、固话、身份证号、银行卡号、电子邮箱等），保留原有格式，如 138****5678。".to_string(),
        format!(
            "可复现：相同的历史数据与配置生成完全相同的报告。配置指纹 {}；数据指纹 {data}。",
            if input.config_fingerprint.is_empty() { MISSING } else { &input.config_fingerprint },
        ),
    ]);
    out.extend(super::methods(view));
    out
}

/// How a month or a date range is treated, and what a period in progress is compared
/// with.
fn period_notes(view: &View) -> Vec<String> {
    let input = view.input;
    let mut out = Vec::new();
    let kind = voc_core::Period::parse(&input.period).map(|p| p.kind);
    if let Ok(kind @ (PeriodKind::Month | PeriodKind::Range)) = kind {
        let periods = if kind == PeriodKind::Month {
            "自然月"
        } else {
            "与本期天数相同的连续区间"
        };
        out.push(format!(
            "报告期为{}：趋势图表、新兴问题与新词发现均按{periods}逐期统计，基线为本期之前历史数据从首日起完整覆盖的各期（本报告为 {} 期），检验方法与周报相同；只覆盖部分天数的早期区间不列入趋势与基线，以免被误读为下降。",
            if kind == PeriodKind::Month { "月份" } else { "日期区间" },
            view.baseline_periods()
        ));
    }
    if let Some(through) = &input.data_through {
        out.push(format!(
            "本期数据截至 {through}，尚不完整：环比对比上一期的相同天数（见封面“对比期”）；新兴问题的期望件数按本期已有接触量折算，“为均值的 N 倍”中的本期件数只含已有天数，偏保守。"
        ));
    }
    out
}

/// Labels and counts of the data-quality table.
fn quality_rows(q: &DataQuality) -> [(&'static str, u64); 4] {
    [
        ("读取记录", q.read),
        ("通过校验（入库）", q.accepted),
        ("隔离（校验未通过）", q.quarantined),
        ("重复投递（按接触编号去重）", q.duplicates),
    ]
}

/// Read, accepted, quarantined and duplicate records with their share of those read.
fn quality(q: &DataQuality) -> Table {
    let mut t = Table::new(
        "数据质量",
        &[("项目", Text), ("记录数", Num), ("占读取", Num)],
    );
    for (label, n) in quality_rows(q) {
        t.row(vec![label.into(), Cell::count(n), Cell::share(n, q.read)]);
    }
    t
}

/// Where the data-quality counts come from, when that needs saying.
pub(crate) fn quality_note(q: &DataQuality) -> Option<String> {
    match &q.batch_period {
        Some(batch) => Some(format!(
            "以上计数取自写入本输出目录的最近一次批处理（批处理报告期 {batch}，见 run.json），为该批次读取的全部记录，不限于本报告期。"
        )),
        None if q.read == 0 => {
            Some("未找到批处理清单（run.json），数据质量计数不可用。".to_string())
        }
        None => None,
    }
}
