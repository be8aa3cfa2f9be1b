//! The trend sections added on top of the walking skeleton, in HTML and Markdown:
//! volume by channel / region / business line / queue (under 话务量), top keywords per
//! category (under 主要投诉主题), new terms (under 新兴问题), the KPI scorecard with
//! dynamic targets (KPI 指标达成) and the volume forecast with staffing (话务预测与排班).
//!
//! Each renders nothing when its data is absent, so a report without them reads as
//! before; the numbering of the later sections follows from which are present.

use std::fmt::{Result, Write};

use crate::analysis::{CENTER_OWNER, View};
use crate::format::{MISSING, escape_html, escape_md, fixed, fraction_pct, per_mille};
use crate::model::{ForecastSection, KpiRow, KpiScorecard, ReportInput};
use crate::{svg, tables};

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn numeral(n: usize) -> &'static str {
    NUMERALS.get(n.saturating_sub(1)).copied().unwrap_or("十")
}

const BREAKDOWN_NOTE: &str = "占比为占本期接触量的比例；环比对比上期同样天数。";
const KEYWORDS_NOTE: &str =
    "本期该类别客户原话中最具区分度的词语（相对基线期的 TF-IDF），括号内为提及的接触数。";
const NEW_TERMS_NOTE: &str =
    "本期客户提及显著上升、且不在任何分类规则中的词语，可据此补充分类规则。";

/// Number of the KPI section: right after the six fixed sections.
fn kpi_number(_input: &ReportInput) -> &'static str {
    numeral(7)
}

fn has_kpi(input: &ReportInput) -> bool {
    input.kpi.as_ref().is_some_and(|k| !k.rows.is_empty())
}

fn has_forecast(input: &ReportInput) -> bool {
    input.forecast.as_ref().is_some_and(|f| !f.days.is_empty())
}

fn forecast_number(input: &ReportInput) -> &'static str {
    numeral(7 + usize::from(has_kpi(input)))
}

/// Heading of the recommendations section, numbered after the optional sections.
pub(crate) fn advice_heading(input: &ReportInput) -> String {
    let n = 7 + usize::from(has_kpi(input)) + usize::from(has_forecast(input));
    format!("{}、建议", numeral(n))
}

/// `2026-11` → `2026年11月`; other keys unchanged.
fn month_label(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) if y.len() == 4 && m.len() == 2 && m.parse::<u32>().is_ok() => {
            format!("{y}年{}月", m.trim_start_matches('0'))
        }
        _ => month.to_string(),
    }
}

/// Value of a KPI in its unit: `49.5%`, `575 秒`, `751.2‰`.
pub(crate) fn kpi_value(unit: &str, v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => match unit {
            "share" => fraction_pct(v),
            "seconds" => format!("{} 秒", fixed(v, 0)),
            "per_mille" => per_mille(Some(v)),
            _ => fixed(v, 2),
        },
        _ => MISSING.to_string(),
    }
}

/// `需达到 54.2% 及以上` / `需控制在 31.9% 及以下`.
fn required_clause(row: &KpiRow) -> String {
    let value = kpi_value(&row.unit, row.dynamic_value);
    if row.higher_is_better {
        format!("需达到 {value} 及以上")
    } else {
        format!("需控制在 {value} 及以下")
    }
}

/// The dynamic target in words.
pub(crate) fn dynamic_text(row: &KpiRow) -> String {
    let value = kpi_value(&row.unit, row.dynamic_value);
    match row.dynamic.as_str() {
        "需达到" if row.higher_is_better => format!("≥ {value}"),
        "需达到" => format!("≤ {value}"),
        "无法达成" => format!("无法达成（需 {value}，超出可能范围）"),
        "已锁定" => "已锁定（剩余天数任何水平均可达标）".to_string(),
        "" => MISSING.to_string(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------- HTML

pub(crate) fn html_breakdown(view: &View, out: &mut String) -> Result {
    if view.input.breakdown.is_empty() {
        return Ok(());
    }
    writeln!(out, r#"<section id="breakdown">"#)?;
    writeln!(out, "<h3>渠道、业务线、队列与地区分布</h3>")?;
    writeln!(out, r#"<p class="muted">{BREAKDOWN_NOTE}</p>"#)?;
    tables::breakdown(view.input).html(out)?;
    writeln!(out, "</section>")
}

pub(crate) fn html_keywords(view: &View, out: &mut String) -> Result {
    if view.input.top_keywords.is_empty() {
        return Ok(());
    }
    writeln!(out, r#"<section id="keywords">"#)?;
    writeln!(out, "<h3>各类别关键词（TF-IDF）</h3>")?;
    writeln!(out, r#"<p class="muted">{KEYWORDS_NOTE}</p>"#)?;
    tables::keywords(view.input).html(out)?;
    writeln!(out, "</section>")
}

pub(crate) fn html_new_terms(view: &View, out: &mut String) -> Result {
    if view.input.new_terms.is_empty() {
        return Ok(());
    }
    writeln!(out, r#"<section id="new-terms">"#)?;
    writeln!(out, "<h3>新词发现（未被分类规则覆盖）</h3>")?;
    writeln!(out, r#"<p class="muted">{NEW_TERMS_NOTE}</p>"#)?;
    tables::new_terms(view).html(out)?;
    writeln!(out, "</section>")
}

pub(crate) fn html_kpi(view: &View, out: &mut String) -> Result {
    let input = view.input;
    let Some(k) = input.kpi.as_ref().filter(|_| has_kpi(input)) else {
        return Ok(());
    };
    writeln!(out, r#"<section id="kpi">"#)?;
    writeln!(out, "<h2>{}、KPI 指标达成</h2>", kpi_number(input))?;
    writeln!(out, "<p>{}</p>", escape_html(&kpi_intro(k)))?;
    tables::kpi(k).html(out)?;
    if !k.daily.is_empty() {
        writeln!(out, "<h3>本期逐日达成</h3>")?;
        tables::kpi_daily(k).html(out)?;
    }
    writeln!(
        out,
        r#"<p class="muted">{}逐日表中绿色为达标，橙色为预警，红色为未达标。</p>"#,
        escape_html(&legend(k))
    )?;
    writeln!(out, "</section>")
}

fn kpi_intro(k: &KpiScorecard) -> String {
    format!(
        "{}累计至 {}（已过 {} 天，剩余 {} 天）。动态目标值为剩余天数按预测话务量加权后须达到的平均水平。",
        month_label(&k.month),
        k.as_of,
        k.days_elapsed,
        k.days_remaining
    )
}

fn legend(k: &KpiScorecard) -> String {
    format!(
        "达标：达到或优于目标；预警：未达目标但差距在目标值的 {}% 以内；未达标：差距更大。",
        fixed(k.warning_band_pct, 1)
    )
}

pub(crate) fn html_forecast(view: &View, out: &mut String) -> Result {
    let input = view.input;
    let Some(f) = input.forecast.as_ref().filter(|_| has_forecast(input)) else {
        return Ok(());
    };
    let esc = escape_html;
    writeln!(out, r#"<section id="forecast">"#)?;
    writeln!(out, "<h2>{}、话务预测与排班</h2>", forecast_number(input))?;
    writeln!(out, "<p>{}</p>", esc(&forecast_summary(f)))?;
    writeln!(out, "<figure>")?;
    svg::forecast_chart(&f.history, &f.days, out)?;
    writeln!(
        out,
        "<figcaption>图 3　日接触量：实线为实际，虚线为预测（{}）</figcaption>",
        esc(&f.method)
    )?;
    writeln!(out, "</figure>")?;
    if !f.staffing.is_empty() {
        tables::staffing(f).html(out)?;
        writeln!(out, r#"<p class="muted">{}</p>"#, esc(&staffing_note(f)))?;
    }
    writeln!(out, "</section>")
}

fn forecast_summary(f: &ForecastSection) -> String {
    let total: f64 = f.days.iter().map(|d| d.volume).sum();
    let mean = total / f.days.len().max(1) as f64;
    let error = match f.backtest_mape {
        Some(m) => format!(
            "回测误差（留出最近 {} 天）MAPE 为 {}%",
            f.backtest_days,
            fixed(m, 1)
        ),
        None => "历史数据不足，未做回测".to_string(),
    };
    format!(
        "基于截至 {} 的日接触量，采用{}预测未来 {} 天：合计 {} 次，日均 {} 次；{}。",
        f.as_of,
        f.method,
        f.days.len(),
        fixed(total, 0),
        fixed(mean, 0),
        error
    )
}

fn staffing_note(f: &ForecastSection) -> String {
    let a = &f.assumptions;
    format!(
        "测算口径：服务水平目标 {} 在 {} 秒内接通；平均处理时长 {} 秒；在线渠道占接触量 {}；每日营业 {} 小时、每班 {} 小时；出勤率 {}；简单公式按人均日处理 {} 次。Erlang C 按营业时段的平均小时测算，高峰时段需另行上浮。",
        fraction_pct(a.sla_target),
        a.sla_seconds,
        fixed(a.aht_s, 0),
        fraction_pct(a.channel_share),
        fixed(a.open_hours, 1),
        fixed(a.shift_hours, 1),
        fraction_pct(a.attendance_rate),
        fixed(a.contacts_per_agent_day, 0)
    )
}

// ---------------------------------------------------------------- Markdown

pub(crate) fn md_breakdown(view: &View, out: &mut String) -> Result {
    if view.input.breakdown.is_empty() {
        return Ok(());
    }
    writeln!(out, "### 渠道、业务线、队列与地区分布")?;
    writeln!(out)?;
    tables::breakdown(view.input).markdown(out)?;
    writeln!(out, "{BREAKDOWN_NOTE}")?;
    writeln!(out)
}

pub(crate) fn md_keywords(view: &View, out: &mut String) -> Result {
    if view.input.top_keywords.is_empty() {
        return Ok(());
    }
    writeln!(out, "### 各类别关键词（TF-IDF）")?;
    writeln!(out)?;
    tables::keywords(view.input).markdown(out)?;
    writeln!(out, "{KEYWORDS_NOTE}")?;
    writeln!(out)
}

pub(crate) fn md_new_terms(view: &View, out: &mut String) -> Result {
    if view.input.new_terms.is_empty() {
        return Ok(());
    }
    writeln!(out, "### 新词发现（未被分类规则覆盖）")?;
    writeln!(out)?;
    tables::new_terms(view).markdown(out)?;
    writeln!(out, "{NEW_TERMS_NOTE}")?;
    writeln!(out)
}

pub(crate) fn md_kpi(view: &View, out: &mut String) -> Result {
    let input = view.input;
    let Some(k) = input.kpi.as_ref().filter(|_| has_kpi(input)) else {
        return Ok(());
    };
    writeln!(out, "## {}、KPI 指标达成", kpi_number(input))?;
    writeln!(out)?;
    writeln!(out, "{}", escape_md(&kpi_intro(k)))?;
    writeln!(out)?;
    tables::kpi(k).markdown(out)?;
    if !k.daily.is_empty() {
        writeln!(out, "### 本期逐日达成")?;
        writeln!(out)?;
        tables::kpi_daily(k).markdown(out)?;
    }
    writeln!(out, "{}", escape_md(&legend(k)))?;
    writeln!(out)
}

pub(crate) fn md_forecast(view: &View, out: &mut String) -> Result {
    let input = view.input;
    let Some(f) = input.forecast.as_ref().filter(|_| has_forecast(input)) else {
        return Ok(());
    };
    let esc = escape_md;
    writeln!(out, "## {}、话务预测与排班", forecast_number(input))?;
    writeln!(out)?;
    writeln!(out, "{}", esc(&forecast_summary(f)))?;
    writeln!(out)?;
    if !f.staffing.is_empty() {
        tables::staffing(f).markdown(out)?;
        writeln!(out, "{}", esc(&staffing_note(f)))?;
        writeln!(out)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- words

/// Executive-summary sentences for the KPI scorecard and the forecast.
pub(crate) fn findings(input: &ReportInput) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(k) = input.kpi.as_ref().filter(|_| has_kpi(input)) {
        let count = |s: &str| {
            k.rows
                .iter()
                .filter(|r| r.status.as_deref() == Some(s))
                .count()
        };
        let mut s = format!(
            "截至 {}，本月 {} 项 KPI 中 {} 项达标、{} 项预警、{} 项未达标",
            k.as_of,
            k.rows.len(),
            count("达标"),
            count("预警"),
            count("未达标")
        );
        let misses: Vec<String> = k
            .rows
            .iter()
            .filter(|r| r.status.as_deref() == Some("未达标"))
            .map(|r| {
                format!(
                    "{}本月累计 {}（目标 {}），剩余 {} 天{}",
                    r.name,
                    kpi_value(&r.unit, r.actual),
                    kpi_value(&r.unit, Some(r.target)),
                    k.days_remaining,
                    match r.dynamic.as_str() {
                        "需达到" => required_clause(r),
                        "无法达成" => "已无法达成月度目标".to_string(),
                        other => other.to_string(),
                    }
                )
            })
            .collect();
        if !misses.is_empty() {
            s.push('：');
            s.push_str(&misses.join("；"));
        }
        s.push('。');
        out.push(s);
    }
    if let Some(f) = input.forecast.as_ref().filter(|_| has_forecast(input)) {
        let mean = f.days.iter().map(|d| d.volume).sum::<f64>() / f.days.len().max(1) as f64;
        let mut s = format!(
            "预计未来 {} 天日均接触量 {} 次",
            f.days.len(),
            fixed(mean, 0)
        );
        if let Some(m) = f.backtest_mape {
            s.push_str(&format!("（回测 MAPE {}%）", fixed(m, 1)));
        }
        if !f.staffing.is_empty() {
            let n = f.staffing.len() as f64;
            let agents = f
                .staffing
                .iter()
                .map(|x| f64::from(x.erlang_agents))
                .sum::<f64>()
                / n;
            let people = f
                .staffing
                .iter()
                .map(|x| f64::from(x.erlang_headcount))
                .sum::<f64>()
                / n;
            s.push_str(&format!(
                "，按 Erlang C 测算日均需在线坐席 {} 人、排班 {} 人",
                fixed(agents, 1),
                fixed(people, 1)
            ));
        }
        s.push('。');
        out.push(s);
    }
    out
}

/// Recommendations for the contact center on KPIs that miss their target.
pub(crate) fn recommendations(input: &ReportInput) -> Vec<(String, String)> {
    let Some(k) = input.kpi.as_ref() else {
        return Vec::new();
    };
    k.rows
        .iter()
        .filter(|r| r.status.as_deref() == Some("未达标"))
        .map(|r| {
            let tail = match r.dynamic.as_str() {
                "需达到" => format!(
                    "剩余 {} 天{}，建议按日跟踪动态目标值并调整排班与质检重点。",
                    k.days_remaining,
                    required_clause(r)
                ),
                "无法达成" => {
                    "按当前累计已无法完成月度目标，建议与客户沟通并制定下月改进计划。".to_string()
                }
                _ => "建议复盘原因并制定改进措施。".to_string(),
            };
            (
                CENTER_OWNER.to_string(),
                format!(
                    "【KPI】{}本月累计 {}，目标 {}。{}",
                    r.name,
                    kpi_value(&r.unit, r.actual),
                    kpi_value(&r.unit, Some(r.target)),
                    tail
                ),
            )
        })
        .collect()
}

/// Method notes for the appendix, for the sections present.
pub(crate) fn methods(input: &ReportInput) -> Vec<String> {
    let mut out = Vec::new();
    if !input.new_terms.is_empty() || !input.top_keywords.is_empty() {
        out.push("新词发现：统计客户侧分词（去停用词、标点与脱敏串）中单词与相邻词组的提及接触数，与基线期按接触量折算的期望值做单侧泊松检验（Bonferroni 校正、最少提及数与最小倍数），并剔除与任一分类规则词重叠的词语。类别关键词为本期类别内提及比例 × 基线期逆文档频率（TF-IDF）。".to_string());
    }
    if has_kpi(input) {
        out.push("KPI 口径：一次解决率 = 已解决且同一客户在窗口期内未再次来电的接触 ÷ 已知是否解决的接触；满意度 = 评分 4–5 分占参评接触比例，不满意率 = 评分 1–2 分占比；平均处理时长 = 处理时长均值；服务水平 = 语音与在线渠道中等待时长不超过阈值的比例；投诉率 = 每千次接触投诉件数。动态目标值 = (目标 × (累计分母 + 剩余预计分母) − 累计分子) ÷ 剩余预计分母，剩余预计分母按每日预测接触量加权；超出指标可能范围即为“无法达成”。截止日前窗口期内的接触尚未满观察期，其一次解决率为暂估值，后续来电可能使其下降。".to_string());
    }
    if has_forecast(input) {
        out.push("话务预测：对最近数周的日接触量拟合“星期效应 + 线性趋势”的最小二乘模型并外推；回测留出最近两周，误差以 MAPE（平均绝对百分比误差）表示。排班：Erlang C 按营业时段平均小时的话务强度求满足服务水平目标的最少在线坐席，换算为排班人数并除以出勤率；简单公式 = 预测接触量 ÷ 人均日处理量 ÷ 出勤率。".to_string());
    }
    out
}
