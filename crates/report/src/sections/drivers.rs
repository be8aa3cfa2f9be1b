//! 关键驱动因素分析 (关联性分析): which categories, channels, queues, teams, repeat
//! contacts and wait-time bands go with worse CSAT, DSAT, FCR, AHT and repeat contact.
//! Each factor's difference from the contacts without it, with its 95 % interval;
//! the significant adverse ones ranked by impact (volume × effect); the importance
//! model of each KPI with its R²; an importance-vs-performance chart and quotes.
//! An effect is claimed only when its interval excludes 0; a side under the minimum
//! base reads 数据不足.

use std::fmt::{Result, Write};

use super::Section;
use super::advice::CENTER_OWNER;
use crate::format::{
    MISSING, channel_label, escape_html, escape_md, fixed, fraction_pct, or_missing, thousands,
};
use crate::model::{DriverEffect, DriverFactor, DriverOutcome, DriverSection};
use crate::svg::{self, ImportancePoint};
use crate::table::{
    Align::{Num, Text},
    Cell, Table, Value, number_format,
};
use crate::view::View;

pub(crate) struct Drivers;

/// Ranked drivers shown per KPI.
const TOP_RANKED: usize = 5;
/// Factors drawn in the chart (the most important).
const CHART_POINTS: usize = 15;
/// The text of an effect without enough contacts.
const INSUFFICIENT: &str = "数据不足";

fn section_of<'a>(view: &View<'a>) -> Option<&'a DriverSection> {
    view.input.drivers.as_ref().filter(|d| d.contacts > 0)
}

impl Section for Drivers {
    fn id(&self) -> &'static str {
        "drivers"
    }

    fn title(&self) -> &'static str {
        "关键驱动因素分析"
    }

    fn present(&self, view: &View) -> bool {
        section_of(view).is_some()
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["drivers"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        let Some(d) = section_of(view) else {
            return Vec::new();
        };
        vec![ranking(d), matrix(d), models(d), verbatims(d)]
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let Some(d) = section_of(view) else {
            return Ok(());
        };
        let esc = escape_html;
        writeln!(out, r#"<section id="{}">"#, Drivers.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        writeln!(out, "<p>{}</p>", esc(&intro(d)))?;
        if let Some((outcome, points)) = chart_points(d) {
            writeln!(out, "<figure>")?;
            svg::importance_chart(
                &points,
                scaled(outcome, outcome.value.unwrap_or(0.0)),
                &axis_label(outcome),
                out,
            )?;
            writeln!(
                out,
                "<figcaption>图 4　{}的驱动因素：横轴为重要性，纵轴为有该因素的接触的{}；{}象限为重要且表现差、应优先改进的因素</figcaption>",
                esc(short_name(outcome)),
                esc(short_name(outcome)),
                if outcome.higher_is_better {
                    "右下"
                } else {
                    "右上"
                }
            )?;
            writeln!(out, "</figure>")?;
        }
        writeln!(out, "<h3>驱动因素排名</h3>")?;
        for s in ranking_sentences(d) {
            writeln!(out, "<p>{}</p>", esc(&s))?;
        }
        ranking(d).html(out)?;
        writeln!(out, "<h3>各因素对指标的影响</h3>")?;
        matrix(d).html(out)?;
        writeln!(out, r#"<p class="muted">{}</p>"#, esc(&matrix_note(d)))?;
        writeln!(out, "<h3>指标关联模型</h3>")?;
        models(d).html(out)?;
        writeln!(out, r#"<p class="muted">{}</p>"#, esc(MODEL_NOTE))?;
        for v in d.verbatims.iter().filter(|v| !v.verbatims.is_empty()) {
            writeln!(
                out,
                "<h3>原话：{}（{}）</h3>",
                esc(&factor_name_of(d, &v.dimension, &v.value)),
                esc(short_name_of(d, &v.metric))
            )?;
            for q in &v.verbatims {
                writeln!(
                    out,
                    "<blockquote><p>“{}”</p><footer>{} · {} · {}</footer></blockquote>",
                    esc(&q.text),
                    esc(channel_label(&q.channel)),
                    esc(or_missing(&q.region)),
                    esc(&q.contact_id)
                )?;
            }
        }
        writeln!(out, "</section>")
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let Some(d) = section_of(view) else {
            return Ok(());
        };
        let esc = escape_md;
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        writeln!(out, "{}", esc(&intro(d)))?;
        writeln!(out)?;
        writeln!(out, "### 驱动因素排名")?;
        writeln!(out)?;
        for s in ranking_sentences(d) {
            writeln!(out, "{}", esc(&s))?;
            writeln!(out)?;
        }
        ranking(d).markdown(out)?;
        writeln!(out, "### 各因素对指标的影响")?;
        writeln!(out)?;
        matrix(d).markdown(out)?;
        writeln!(out, "{}", esc(&matrix_note(d)))?;
        writeln!(out)?;
        writeln!(out, "### 指标关联模型")?;
        writeln!(out)?;
        models(d).markdown(out)?;
        writeln!(out, "{}", esc(MODEL_NOTE))?;
        writeln!(out)?;
        for v in d.verbatims.iter().filter(|v| !v.verbatims.is_empty()) {
            writeln!(
                out,
                "### 原话：{}（{}）",
                esc(&factor_name_of(d, &v.dimension, &v.value)),
                esc(short_name_of(d, &v.metric))
            )?;
            writeln!(out)?;
            for q in &v.verbatims {
                writeln!(
                    out,
                    "> “{}”（{} · {} · {}）",
                    esc(&q.text),
                    esc(channel_label(&q.channel)),
                    esc(or_missing(&q.region)),
                    esc(&q.contact_id)
                )?;
                writeln!(out)?;
            }
        }
        Ok(())
    }

    fn findings(&self, view: &View) -> Vec<String> {
        section_of(view).map(finding).into_iter().collect()
    }

    /// The top driver of each share KPI, to its owner (the category's department, the
    /// contact center for process factors).
    fn recommendations(&self, view: &View) -> Vec<(String, String)> {
        let Some(d) = section_of(view) else {
            return Vec::new();
        };
        let mut seen: Vec<(&str, &str)> = Vec::new();
        let mut out = Vec::new();
        for o in d.outcomes.iter().filter(|o| o.unit == "share") {
            let Some((f, e)) = ranked(d, &o.metric).into_iter().next() else {
                continue;
            };
            if seen.contains(&(f.dimension.as_str(), f.value.as_str())) {
                continue;
            }
            seen.push((&f.dimension, &f.value));
            let owner = if f.owner.is_empty() {
                CENTER_OWNER.to_string()
            } else {
                f.owner.clone()
            };
            out.push((
                owner,
                format!(
                    "【关键驱动】{}：{}，涉及 {} 件，建议优先复盘该类接触的处理流程与话术。",
                    factor_name(f),
                    effect_clause(o, e),
                    thousands(e.n_with)
                ),
            ));
        }
        out
    }

    fn methods(&self, view: &View) -> Vec<String> {
        let Some(d) = section_of(view) else {
            return Vec::new();
        };
        vec![format!(
            "关联性分析：每个因素（问题分类、渠道、技能队列、坐席班组、重复来电、等待时长段）比较有该因素与无该因素的接触（坐席班组只在已配置班组的接触中比较，等待时长段只在语音与在线渠道中比较）。比例指标（满意度、不满意率、一次解决率、重复来电率）的差异用 Newcombe 混合 Wilson 区间，平均处理时长的差异用 Welch t 区间，均为 95% 置信水平；区间不含 0 才判定为显著。任一侧少于 {} 条有效数据为“数据不足”。影响 = 接触量 × 差异，仅对显著的不利差异排名。关联模型：各指标对全部因素的 0/1 变量做最小二乘回归（比例指标为线性概率模型，单值维度各去掉接触量最大的一项作为基准），R² 按维度以 Shapley 值（优势分析）分解；横轴重要性为标准化系数的绝对值。相关不等于因果。{}",
            d.min_base,
            if d.teams_configured {
                ""
            } else {
                "未配置坐席班组（[drivers] agent_teams），本期未分析班组。"
            }
        )]
    }
}

const MODEL_NOTE: &str = "R² 为模型解释的指标差异比例；各维度一列为其分得的 R²（Shapley 值）占 R² 的比例，合计 100%。样本少于 100 条的指标不建模。";

fn outcome<'a>(d: &'a DriverSection, metric: &str) -> Option<&'a DriverOutcome> {
    d.outcomes.iter().find(|o| o.metric == metric)
}

fn effect<'a>(f: &'a DriverFactor, metric: &str) -> Option<&'a DriverEffect> {
    f.effects.iter().find(|e| e.metric == metric)
}

/// The KPI's ranked drivers, best rank first.
fn ranked<'a>(d: &'a DriverSection, metric: &str) -> Vec<(&'a DriverFactor, &'a DriverEffect)> {
    let mut v: Vec<(&DriverFactor, &DriverEffect)> = d
        .factors
        .iter()
        .filter_map(|f| {
            effect(f, metric)
                .filter(|e| e.rank.is_some())
                .map(|e| (f, e))
        })
        .collect();
    v.sort_by_key(|(_, e)| e.rank);
    v
}

/// `满意度` of `满意度（CSAT）`.
fn short_name(o: &DriverOutcome) -> &str {
    o.name.split('（').next().unwrap_or(&o.name)
}

fn short_name_of<'a>(d: &'a DriverSection, metric: &'a str) -> &'a str {
    outcome(d, metric).map_or(metric, short_name)
}

fn dimension_label(dimension: &str) -> &str {
    match dimension {
        "category" => "问题分类",
        "channel" => "渠道",
        "queue" => "技能队列",
        "team" => "坐席班组",
        "repeat" => "重复来电",
        "wait_band" => "等待时长",
        other => other,
    }
}

/// The factor's name in the report: `「账单/乱扣费」`, `渠道「语音」`, `等待时长「>180 秒」`.
fn factor_name(f: &DriverFactor) -> String {
    match f.dimension.as_str() {
        "category" => format!("「{}」类接触", f.value),
        "repeat" => "重复来电".to_string(),
        "channel" => format!("渠道「{}」", channel_label(&f.label)),
        other => format!("{}「{}」", dimension_label(other), f.label),
    }
}

fn factor_name_of(d: &DriverSection, dimension: &str, value: &str) -> String {
    d.factors
        .iter()
        .find(|f| f.dimension == dimension && f.value == value)
        .map_or_else(|| value.to_string(), factor_name)
}

/// The factor's label in a table cell.
fn factor_cell(f: &DriverFactor) -> Cell {
    match f.dimension.as_str() {
        "category" => Cell::new(f.value.clone()),
        "channel" => Cell::new(channel_label(&f.label)),
        _ => Cell::new(f.label.clone()),
    }
}

/// A KPI value in its unit: `62.5%`, `420 秒`.
fn value_text(o: &DriverOutcome, v: Option<f64>) -> String {
    match v {
        Some(v) if o.unit == "share" => fraction_pct(v),
        Some(v) => format!("{} 秒", fixed(v, 0)),
        None => MISSING.to_string(),
    }
}

/// A value in the chart's and the difference's scale: percent (points) or seconds.
fn scaled(o: &DriverOutcome, v: f64) -> f64 {
    if o.unit == "share" { v * 100.0 } else { v }
}

fn axis_label(o: &DriverOutcome) -> String {
    if o.unit == "share" {
        format!("{}（%）", short_name(o))
    } else {
        format!("{}（秒）", short_name(o))
    }
}

/// `+3.2` / `-15.0`: a difference in points or seconds with its sign.
fn signed(x: f64, decimals: usize) -> String {
    let s = fixed(x, decimals);
    if x > 0.0 && s != fixed(0.0, decimals) {
        format!("+{s}")
    } else {
        s
    }
}

fn unit_word(o: &DriverOutcome) -> &'static str {
    if o.unit == "share" {
        "个百分点"
    } else {
        "秒"
    }
}

fn decimals(o: &DriverOutcome) -> usize {
    if o.unit == "share" { 1 } else { 0 }
}

/// `满意度 25.0%，比其他接触低 55.0 个百分点（95% 置信区间 35.8–68.6）`.
fn effect_clause(o: &DriverOutcome, e: &DriverEffect) -> String {
    let (Some(diff), Some(low), Some(high)) = (e.diff, e.low, e.high) else {
        return format!("{}{}", short_name(o), INSUFFICIENT);
    };
    let (word, size, a, b) = if diff < 0.0 {
        ("低", -diff, -high, -low)
    } else {
        ("高", diff, low, high)
    };
    let k = decimals(o);
    format!(
        "{} {}，比其他接触{} {} {}（95% 置信区间 {}–{}）",
        short_name(o),
        value_text(o, e.with),
        word,
        fixed(scaled(o, size), k),
        unit_word(o),
        fixed(scaled(o, a), k),
        fixed(scaled(o, b), k)
    )
}

fn intro(d: &DriverSection) -> String {
    let bases: Vec<String> = d
        .outcomes
        .iter()
        .map(|o| {
            if o.base == 0 {
                format!("{}{}（无输入）", short_name(o), INSUFFICIENT)
            } else {
                format!(
                    "{} {}（{} 件）",
                    short_name(o),
                    value_text(o, o.value),
                    thousands(o.base)
                )
            }
        })
        .collect();
    format!(
        "本期 {} 件接触：{}。下表比较有某一因素与没有该因素的接触，差异的 95% 置信区间不含 0 才视为显著；影响 = 接触量 × 差异，用于排序。",
        thousands(d.contacts),
        bases.join("，")
    )
}

/// One sentence per KPI: its top drivers, or that none is significant.
fn ranking_sentences(d: &DriverSection) -> Vec<String> {
    d.outcomes
        .iter()
        .filter(|o| o.base > 0)
        .map(|o| {
            let top = ranked(d, &o.metric);
            match top.first() {
                Some((f, e)) => format!(
                    "{}：显著拉低该指标的因素 {} 个，影响最大的是{}（{}，{} 件）。",
                    short_name(o),
                    top.len(),
                    factor_name(f),
                    effect_clause(o, e),
                    thousands(e.n_with)
                ),
                None => format!(
                    "{}：未发现显著拉低该指标的因素（置信区间均含 0 或样本不足）。",
                    short_name(o)
                ),
            }
        })
        .collect()
}

fn finding(d: &DriverSection) -> String {
    let tops: Vec<String> = d
        .outcomes
        .iter()
        .filter_map(|o| {
            ranked(d, &o.metric).first().map(|(f, e)| {
                format!(
                    "{}受{}影响最大（{}，{} 件）",
                    short_name(o),
                    factor_name(f),
                    effect_clause(o, e),
                    thousands(e.n_with)
                )
            })
        })
        .collect();
    if tops.is_empty() {
        "关联性分析未发现显著拉低满意度、一次解决率、处理时长或重复来电的因素（95% 置信区间均含 0 或样本不足）。".to_string()
    } else {
        format!("关联性分析：{}。", tops.join("；"))
    }
}

/// Whether any KPI has an estimate for the factor (the matrix lists only those).
fn estimated(f: &DriverFactor) -> bool {
    f.effects.iter().any(|e| e.diff.is_some())
}

fn matrix_note(d: &DriverSection) -> String {
    let mut s = format!(
        "表中为有该因素的接触与其他接触的差异：比例指标为百分点，处理时长为秒。* 表示 95% 置信区间不含 0（显著），红色为不利、绿色为有利；任一侧少于 {} 条为“数据不足”。",
        d.min_base
    );
    // The factors without any estimate, by name and count, instead of rows of 数据不足.
    let small: Vec<String> = d
        .factors
        .iter()
        .filter(|f| !estimated(f))
        .map(|f| {
            let name = match f.dimension.as_str() {
                "channel" => channel_label(&f.label).to_string(),
                "category" => f.value.clone(),
                _ => f.label.clone(),
            };
            format!("{name}（{} 件）", thousands(f.contacts))
        })
        .collect();
    if !small.is_empty() {
        s.push_str(&format!(
            "以下 {} 个因素各指标样本均不足，未列入表中：{}。",
            small.len(),
            small.join("、")
        ));
    }
    s
}

/// Excel format of a signed difference, with `*` after a significant one.
fn difference_format(decimals: usize, significant: bool) -> String {
    let body = number_format::decimals(decimals);
    let mark = if significant { "\"*\"" } else { "" };
    format!("+{body}{mark};-{body}{mark};{body}{mark}")
}

/// A difference cell: `-15.0*` (significant, coloured), `+1.2` (not), 数据不足.
fn difference_cell(o: &DriverOutcome, e: Option<&DriverEffect>) -> Cell {
    let Some(e) = e else {
        return Cell::new(MISSING).value(Value::Empty);
    };
    let Some(diff) = e.diff else {
        return Cell::new(INSUFFICIENT).class("muted").value(Value::Empty);
    };
    let significant = e.significant();
    let x = scaled(o, diff);
    let k = decimals(o);
    let text = format!("{}{}", signed(x, k), if significant { "*" } else { "" });
    let class = match (significant, (diff < 0.0) == o.higher_is_better) {
        (false, _) => "muted",
        (true, true) => "bad",
        (true, false) => "ok",
    };
    Cell::number(text, x, difference_format(k, significant)).class(class)
}

/// A KPI value cell in its unit.
fn value_cell(o: &DriverOutcome, v: Option<f64>) -> Cell {
    match v {
        Some(x) if o.unit == "share" => Cell::fraction(x),
        Some(x) => Cell::number(value_text(o, Some(x)), x, number_format::SECONDS),
        None => Cell::new(MISSING).value(Value::Empty),
    }
}

/// Each KPI's significant adverse drivers, by impact.
fn ranking(d: &DriverSection) -> Table {
    let mut t = Table::new(
        "驱动因素排名",
        &[
            ("指标", Text),
            ("排名", Num),
            ("维度", Text),
            ("因素", Text),
            ("接触量", Num),
            ("有该因素", Num),
            ("无该因素", Num),
            ("差异", Num),
            ("95% 置信区间", Text),
            ("影响", Num),
        ],
    );
    for o in &d.outcomes {
        for (f, e) in ranked(d, &o.metric).into_iter().take(TOP_RANKED) {
            let k = decimals(o);
            let ci = match (e.low, e.high) {
                (Some(l), Some(h)) => {
                    format!("{} ～ {}", signed(scaled(o, l), k), signed(scaled(o, h), k))
                }
                _ => MISSING.to_string(),
            };
            let impact = e.impact().unwrap_or(f64::NAN);
            let (impact_text, impact_format) = if o.unit == "share" {
                (
                    format!("{} 件", signed(impact, 0)),
                    "+#,##0\" 件\";-#,##0\" 件\";0\" 件\"",
                )
            } else {
                (
                    format!("{} 小时", signed(impact / 3600.0, 0)),
                    "+#,##0\" 小时\";-#,##0\" 小时\";0\" 小时\"",
                )
            };
            let impact_value = if o.unit == "share" {
                impact
            } else {
                impact / 3600.0
            };
            t.row(vec![
                short_name(o).into(),
                Cell::count(u64::from(e.rank.unwrap_or(0))),
                dimension_label(&f.dimension).into(),
                factor_cell(f),
                Cell::count(e.n_with),
                value_cell(o, e.with),
                value_cell(o, e.without),
                difference_cell(o, Some(e)),
                Cell::new(ci),
                Cell::number(impact_text, impact_value, impact_format),
            ]);
        }
    }
    t
}

/// Every factor against every KPI.
fn matrix(d: &DriverSection) -> Table {
    let titles: Vec<String> = d
        .outcomes
        .iter()
        .map(|o| {
            if o.unit == "share" {
                format!("{}（百分点）", short_name(o))
            } else {
                format!("{}（秒）", short_name(o))
            }
        })
        .collect();
    let mut columns: Vec<(&str, _)> = vec![("维度", Text), ("因素", Text), ("接触量", Num)];
    columns.extend(titles.iter().map(|t| (t.as_str(), Num)));
    let mut t = Table::new("驱动因素矩阵", &columns);
    for f in d.factors.iter().filter(|f| estimated(f)) {
        let mut cells = vec![
            dimension_label(&f.dimension).into(),
            factor_cell(f),
            Cell::count(f.contacts),
        ];
        cells.extend(
            d.outcomes
                .iter()
                .map(|o| difference_cell(o, effect(f, &o.metric))),
        );
        t.row(cells);
    }
    t
}

/// The dimensions any model has, in the analysis's order.
fn model_dimensions(d: &DriverSection) -> Vec<&str> {
    let mut dims: Vec<&str> = Vec::new();
    for key in [
        "category",
        "channel",
        "queue",
        "team",
        "repeat",
        "wait_band",
    ] {
        if d.models
            .iter()
            .any(|m| m.dimensions.iter().any(|g| g.dimension == key))
        {
            dims.push(key);
        }
    }
    dims
}

/// Each KPI's model: its fit and the share of R² of each dimension.
fn models(d: &DriverSection) -> Table {
    let dims = model_dimensions(d);
    let mut columns: Vec<(&str, _)> = vec![("指标", Text), ("样本量", Num), ("R²", Num)];
    columns.extend(dims.iter().map(|k| (dimension_label(k), Num)));
    let mut t = Table::new("指标关联模型", &columns);
    for o in &d.outcomes {
        let Some(m) = d.models.iter().find(|m| m.metric == o.metric) else {
            let mut cells = vec![
                short_name(o).into(),
                Cell::count(o.base),
                Cell::new(INSUFFICIENT).class("muted").value(Value::Empty),
            ];
            cells.extend(dims.iter().map(|_| Cell::new(MISSING).value(Value::Empty)));
            t.row(cells);
            continue;
        };
        let mut cells = vec![
            short_name(o).into(),
            Cell::count(m.n),
            Cell::decimal(m.r2, 3),
        ];
        cells.extend(
            dims.iter()
                .map(|k| match m.dimensions.iter().find(|g| g.dimension == *k) {
                    Some(g) if m.r2 > 0.0 => Cell::fraction(g.r2 / m.r2),
                    _ => Cell::new(MISSING).value(Value::Empty),
                }),
        );
        t.row(cells);
    }
    t
}

/// The quotes of the top drivers.
fn verbatims(d: &DriverSection) -> Table {
    let mut t = Table::new(
        "驱动因素原话",
        &[
            ("因素", Text),
            ("指标", Text),
            ("接触编号", Text),
            ("渠道", Text),
            ("地区", Text),
            ("原话（已脱敏）", Text),
        ],
    )
    .only_in_workbook();
    for v in &d.verbatims {
        for q in &v.verbatims {
            t.row(vec![
                factor_name_of(d, &v.dimension, &v.value).into(),
                short_name_of(d, &v.metric).into(),
                q.contact_id.clone().into(),
                channel_label(&q.channel).into(),
                q.region.clone().into(),
                q.text.clone().into(),
            ]);
        }
    }
    t
}

/// The chart's KPI (the first with a model among CSAT, FCR, DSAT, repeat, AHT) and its
/// most important factors.
fn chart_points(d: &DriverSection) -> Option<(&DriverOutcome, Vec<ImportancePoint>)> {
    ["csat", "fcr", "dsat", "repeat", "aht"]
        .iter()
        .find_map(|key| {
            let o = outcome(d, key)?;
            let m = d
                .models
                .iter()
                .find(|m| m.metric == *key && !m.coefficients.is_empty())?;
            let mut points: Vec<ImportancePoint> = m
                .coefficients
                .iter()
                .filter_map(|c| {
                    let f = d
                        .factors
                        .iter()
                        .find(|f| f.dimension == c.dimension && f.value == c.value)?;
                    let e = effect(f, key)?;
                    let with = e.with?;
                    let label = match f.dimension.as_str() {
                        "category" => f.label.clone(),
                        "channel" => channel_label(&f.label).to_string(),
                        _ => f.label.clone(),
                    };
                    Some(ImportancePoint {
                        label,
                        importance: c.standardized.abs(),
                        performance: scaled(o, with),
                        adverse: e.rank.is_some(),
                    })
                })
                .collect();
            points.sort_by(|a, b| {
                b.importance
                    .total_cmp(&a.importance)
                    .then_with(|| a.label.cmp(&b.label))
            });
            points.truncate(CHART_POINTS);
            (!points.is_empty()).then_some((o, points))
        })
}
