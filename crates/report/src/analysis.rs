//! Turns the numbers into words: the executive-summary findings and the
//! recommendations. Both renderers call these so HTML and Markdown say the same thing.

use chrono::NaiveDate;
use voc_core::Period;

use crate::format::{
    MISSING, Trend, category_label, change, complaint_rate, day_range, fixed, fraction_pct,
    owner_label, p_value, pct_change, per_mille, period_range, period_unit, share, signed_pct,
    thousands, thousands_signed, trend,
};
use crate::model::{
    CategoryRow, EmergingIssue, PeriodVolume, Recommendation, ReportInput, SentimentPoint,
};

/// Length of the trailing baseline the emerging-issue test compares against.
pub const BASELINE_PERIODS: u32 = 8;

/// How many emerging issues get their own summary sentence; the rest are counted.
const SUMMARY_EMERGING: usize = 3;
/// How many rising complaint categories get a recommendation besides emerging issues.
const RISING_RECOMMENDATIONS: usize = 3;
/// How many regions a sentence names.
const SENTENCE_REGIONS: usize = 3;
/// Department that acts on the watch list: the contact center itself, not the client.
pub(crate) const CENTER_OWNER: &str = "客服运营团队";

/// The input plus the rows the report period and its comparison period point at,
/// computed once so every section agrees on them.
pub(crate) struct View<'a> {
    pub input: &'a ReportInput,
    pub volume: Option<&'a PeriodVolume>,
    pub volume_previous: Option<&'a PeriodVolume>,
    pub sentiment: Option<&'a SentimentPoint>,
    pub sentiment_previous: Option<&'a SentimentPoint>,
    /// Complaint categories (意见点), largest first.
    pub complaints: Vec<&'a CategoryRow>,
    /// Other categories (关注点), largest first.
    pub others: Vec<&'a CategoryRow>,
    /// Label of the comparison period, if there is one.
    pub previous_label: Option<String>,
}

impl<'a> View<'a> {
    pub fn new(input: &'a ReportInput) -> Self {
        let previous = input.previous_period.as_deref();
        let (volume, volume_previous) =
            locate(&input.volume, |v| &v.period, &input.period, previous);
        let (sentiment, sentiment_previous) =
            locate(&input.sentiment, |s| &s.period, &input.period, previous);
        // The comparison span, when given, is what the period is compared with.
        let volume_previous = input.comparison_volume.as_ref().or(volume_previous);
        let sentiment_previous = input.comparison_sentiment.as_ref().or(sentiment_previous);
        // Re-sort even though the input promises an order: the tables and the
        // "largest theme" sentence must not depend on the caller getting it right.
        let mut complaints: Vec<&CategoryRow> =
            input.categories.iter().filter(|c| c.complaint).collect();
        let mut others: Vec<&CategoryRow> =
            input.categories.iter().filter(|c| !c.complaint).collect();
        let by_size = |a: &&CategoryRow, b: &&CategoryRow| {
            b.current.cmp(&a.current).then_with(|| a.id.cmp(&b.id))
        };
        complaints.sort_by(by_size);
        others.sort_by(by_size);
        let previous_label = input
            .previous_period
            .clone()
            .or_else(|| volume_previous.map(|v| v.period.clone()));
        View {
            input,
            volume,
            volume_previous,
            sentiment,
            sentiment_previous,
            complaints,
            others,
            previous_label,
        }
    }

    /// The title, with the standard one when the input leaves it blank.
    pub fn title(&self) -> &'a str {
        let title = self.input.title.trim();
        if title.is_empty() {
            "价值分析报告"
        } else {
            title
        }
    }

    /// Number of periods in the emerging-issue baseline.
    pub fn baseline_periods(&self) -> u32 {
        self.input.baseline_periods.unwrap_or(BASELINE_PERIODS)
    }

    /// `近8周` for weekly reports, `近8个月` for monthly ones, `近8期` for date ranges.
    pub fn baseline_phrase(&self) -> String {
        format!(
            "近{}{}",
            self.baseline_periods(),
            period_unit(&self.input.period)
        )
    }

    /// The report period for the cover: `2026-11（2026-11-01 至 2026-11-30，数据截至
    /// 2026-11-15）`.
    pub fn period_text(&self) -> String {
        let input = self.input;
        let mut details: Vec<String> = period_range(&input.period).into_iter().collect();
        if let Some(through) = &input.data_through {
            details.push(format!("数据截至 {through}"));
        }
        if details.is_empty() {
            input.period.clone()
        } else {
            format!("{}（{}）", input.period, details.join("，"))
        }
    }

    /// The comparison period for the cover, with its days when the report period is
    /// still in progress: `2026-10（2026-10-01 至 2026-10-15，与本期已有数据的天数相同）`.
    pub fn comparison_text(&self) -> String {
        let Some(previous) = self.previous_label.as_deref() else {
            return "无（历史数据未覆盖上一期）".to_string();
        };
        let through = self
            .input
            .data_through
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        match (Period::parse(&self.input.period), through) {
            (Ok(p), Some(through)) => {
                let (first, last) = p.comparison_through(through);
                format!(
                    "{previous}（{}，与本期已有数据的天数相同）",
                    day_range(first, last)
                )
            }
            _ => previous.to_string(),
        }
    }

    /// Sum of the complaint categories, the denominator of their shares.
    pub fn complaint_total(&self) -> u64 {
        self.complaints.iter().map(|c| c.current).sum()
    }

    /// Complaint categories that grew, by absolute growth, largest first.
    pub fn rising(&self) -> Vec<&'a CategoryRow> {
        let mut rising: Vec<&CategoryRow> = self
            .complaints
            .iter()
            .copied()
            .filter(|c| c.current > c.previous)
            .collect();
        rising.sort_by(|a, b| {
            (b.current - b.previous)
                .cmp(&(a.current - a.previous))
                .then_with(|| b.current.cmp(&a.current))
                .then_with(|| a.id.cmp(&b.id))
        });
        rising
    }
}

/// The row of `period` and the row it is compared with: `previous` when given, else the
/// row just before the current one.
fn locate<'a, T>(
    rows: &'a [T],
    key: impl Fn(&T) -> &String,
    period: &str,
    previous: Option<&str>,
) -> (Option<&'a T>, Option<&'a T>) {
    let current = rows.iter().rposition(|r| key(r) == period);
    let prev = match previous {
        Some(p) => rows.iter().rposition(|r| key(r) == p),
        None => current.and_then(|i| i.checked_sub(1)),
    };
    (current.map(|i| &rows[i]), prev.map(|i| &rows[i]))
}

/// `环比上升 5.2%`, `环比下降 3.0%`, `与上期持平`; `None` without a base to compare to.
fn change_clause(current: u64, previous: u64) -> Option<String> {
    let pct = pct_change(current, previous)?;
    Some(match trend(current, previous) {
        Trend::Up => format!("环比上升 {}%", fixed(pct.abs(), 1)),
        Trend::Down => format!("环比下降 {}%", fixed(pct.abs(), 1)),
        Trend::Flat | Trend::NoBase => "与上期持平".to_string(),
    })
}

/// `较上期上升 0.05` for a difference of two scores printed with `decimals`.
fn delta_clause(current: f64, previous: f64, decimals: usize, unit: &str) -> Option<String> {
    let delta = current - previous;
    if !delta.is_finite() {
        return None;
    }
    let magnitude = fixed(delta.abs(), decimals);
    let zero = fixed(0.0, decimals);
    Some(if magnitude == zero {
        "与上期持平".to_string()
    } else if delta > 0.0 {
        format!("较上期上升 {magnitude}{unit}")
    } else {
        format!("较上期下降 {magnitude}{unit}")
    })
}

/// Region names joined with `、`, at most [`SENTENCE_REGIONS`].
pub(crate) fn region_names(regions: &[(String, u64)]) -> String {
    regions
        .iter()
        .take(SENTENCE_REGIONS)
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

/// `为近8周均值的 8.7 倍` or, for a category with no history, `近8周此前未出现`.
pub(crate) fn baseline_clause(issue: &EmergingIssue, baseline: &str) -> String {
    if issue.baseline_mean.is_finite() && issue.baseline_mean > 0.0 {
        let ratio = issue.current as f64 / issue.baseline_mean;
        format!("为{baseline}均值的 {} 倍", fixed(ratio, 1))
    } else {
        format!("{baseline}此前未出现")
    }
}

/// `本期 52 件，近8周均值 6.0 件，为均值的 8.7 倍` for the emerging-issue details.
pub(crate) fn issue_numbers(issue: &EmergingIssue, baseline: &str) -> String {
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

/// The executive-summary (执行摘要) findings: one sentence each for volume, every top
/// emerging issue, the largest and fastest-rising complaint themes, sentiment and risk.
pub fn findings(input: &ReportInput) -> Vec<String> {
    let view = View::new(input);
    let mut out = vec![volume_sentence(&view)];
    out.extend(emerging_sentences(&view));
    out.push(theme_sentence(&view));
    out.push(sentiment_sentence(&view));
    out.push(risk_sentence(&view));
    out.extend(crate::sections::findings(input));
    out
}

fn volume_sentence(view: &View) -> String {
    let Some(cur) = view.volume else {
        return "本期暂无话务量数据。".to_string();
    };
    let mut s = format!("本期共受理客户接触 {} 次", thousands(cur.contacts));
    if let Some(clause) = view
        .volume_previous
        .and_then(|p| change_clause(cur.contacts, p.contacts))
    {
        s.push('，');
        s.push_str(&clause);
    }
    s.push_str(&format!("；投诉 {} 件，", thousands(cur.complaints)));
    match complaint_rate(cur.complaints, cur.contacts) {
        Some(rate) => {
            s.push_str(&format!("投诉率 {}", per_mille(Some(rate))));
            if let Some(prev_rate) = view
                .volume_previous
                .and_then(|p| complaint_rate(p.complaints, p.contacts))
            {
                s.push_str(&format!("（上期 {}）", per_mille(Some(prev_rate))));
            }
        }
        None => s.push_str("投诉率无法计算（本期接触量为 0）"),
    }
    s.push('。');
    s
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

fn theme_sentence(view: &View) -> String {
    let Some(top) = view.complaints.first() else {
        return "本期未归类出投诉主题。".to_string();
    };
    let mut s = format!(
        "投诉量最多的主题为{}，本期 {} 件，占投诉主题合计的 {}",
        category_label(&top.id, &top.name),
        thousands(top.current),
        share(top.current, view.complaint_total())
    );
    match change_clause(top.current, top.previous) {
        Some(clause) => s.push_str(&format!("，{clause}")),
        None => s.push_str("，上期无此类投诉"),
    }
    if let Some(riser) = view.rising().into_iter().find(|c| c.id != top.id) {
        let delta = i128::from(riser.current) - i128::from(riser.previous);
        let pct = pct_change(riser.current, riser.previous)
            .map_or_else(|| "上期为 0".to_string(), signed_pct);
        s.push_str(&format!(
            "；增量最大的主题为{}，较上期增加 {} 件（{}）",
            category_label(&riser.id, &riser.name),
            thousands_signed(delta),
            pct
        ));
    }
    s.push('。');
    s
}

fn sentiment_sentence(view: &View) -> String {
    let Some(cur) = view.sentiment else {
        return "本期暂无情感分析数据。".to_string();
    };
    let prev = view.sentiment_previous;
    let mut s = format!("本期客户情感均值为 {}", fixed(cur.mean_score, 2));
    if let Some(clause) = prev.and_then(|p| delta_clause(cur.mean_score, p.mean_score, 2, "")) {
        s.push_str(&format!("，{clause}"));
    }
    s.push_str(&format!(
        "；负面情绪占比 {}",
        fraction_pct(cur.negative_share)
    ));
    if let Some(clause) = prev.and_then(|p| {
        delta_clause(
            cur.negative_share * 100.0,
            p.negative_share * 100.0,
            1,
            " 个百分点",
        )
    }) {
        s.push_str(&format!("，{clause}"));
    }
    s.push('。');
    s
}

fn risk_sentence(view: &View) -> String {
    let risk = &view.input.risk;
    // Without a comparison period the previous counts are just zeros, not a baseline.
    let compare = view.previous_label.is_some();
    let part = |label: &str, cur: u64, prev: u64| {
        let mut p = format!("{label} {} 件", thousands(cur));
        if compare {
            match change_clause(cur, prev) {
                Some(clause) => p.push_str(&format!("（上期 {} 件，{clause}）", thousands(prev))),
                None => p.push_str("（上期为 0）"),
            }
        }
        p
    };
    let watch = if risk.watch_list.is_empty() {
        "观察名单为空".to_string()
    } else {
        format!(
            "观察名单共 {} 条，详见“升级与流失风险”一节",
            thousands(risk.watch_list.len() as u64)
        )
    };
    format!(
        "本期识别{}，{}；{}。",
        part("升级投诉风险", risk.escalation, risk.escalation_previous),
        part("流失倾向", risk.churn, risk.churn_previous),
        watch
    )
}

/// Recommendations (建议) grouped by owning department, in order of first mention:
/// emerging issues first (by rank), then the fastest-rising complaint categories not
/// already covered, then the watch list for the contact center's own team.
pub fn recommendations(input: &ReportInput) -> Vec<Recommendation> {
    let view = View::new(input);
    let baseline = view.baseline_phrase();
    let mut groups: Vec<Recommendation> = Vec::new();
    let mut add = |owner: &str, item: String| {
        let owner = owner_label(owner);
        match groups.iter_mut().find(|g| g.owner == owner) {
            Some(g) => g.items.push(item),
            None => groups.push(Recommendation {
                owner: owner.to_string(),
                items: vec![item],
            }),
        }
    };

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
        add(&issue.owner, item);
    }

    let rising = view
        .rising()
        .into_iter()
        .filter(|c| !input.emerging.iter().any(|e| e.category_id == c.id))
        .take(RISING_RECOMMENDATIONS);
    for cat in rising {
        let delta = i128::from(cat.current) - i128::from(cat.previous);
        let pct = pct_change(cat.current, cat.previous)
            .map_or_else(|| "上期为 0".to_string(), signed_pct);
        add(
            &cat.owner,
            format!(
                "【上升主题】{}：本期 {} 件，较上期增加 {} 件（{}）。建议复盘典型工单，明确改进措施与完成时限。",
                category_label(&cat.id, &cat.name),
                thousands(cat.current),
                thousands_signed(delta),
                pct
            ),
        );
    }

    let risk = &input.risk;
    if risk.escalation > 0 || risk.churn > 0 || !risk.watch_list.is_empty() {
        let mut item = format!(
            "【风险客户】本期升级投诉风险 {} 件、流失倾向 {} 件",
            thousands(risk.escalation),
            thousands(risk.churn)
        );
        if risk.watch_list.is_empty() {
            item.push_str("。建议对相关客户安排专席回访，升级风险优先处理。");
        } else {
            item.push_str(&format!(
                "。建议对观察名单中的 {} 条接触安排专席回访，升级风险优先，流失倾向客户转挽留团队跟进。",
                thousands(risk.watch_list.len() as u64)
            ));
        }
        add(CENTER_OWNER, item);
    }
    for (owner, item) in crate::sections::recommendations(input) {
        add(&owner, item);
    }
    groups
}

/// Change column text shared by the tables: `▲ +12.0%`, `▼ -5.0%`, `持平`, `—`.
pub(crate) fn change_cell(current: u64, previous: u64) -> (Trend, String) {
    let t = trend(current, previous);
    let text = match t {
        Trend::Up => format!("▲ {}", change(current, previous)),
        Trend::Down => format!("▼ {}", change(current, previous)),
        Trend::Flat => "持平".to_string(),
        Trend::NoBase => MISSING.to_string(),
    };
    (t, text)
}
