//! Builds the report's input from the history tables, the emerging-issue test and the
//! batch's own records (for verbatims and the watch list).

use std::collections::BTreeMap;
use voc_aggregate::volumes::Grain;
use voc_aggregate::{Emerging, HistoryTables, TrendOptions, Trends};
use voc_classify::Taxonomy;
use voc_core::{EnrichedContact, Speaker};
use voc_report::{
    BreakdownRow, CategoryKeywords, CategoryRow, DataQuality, EmergingIssue, ForecastPoint,
    ForecastSection, Keyword, KpiDay, KpiDayValue, KpiRow, KpiScorecard, NewTermRow, PeriodVolume,
    ReportInput, RiskSummary, SentimentPoint, StaffingAssumptions, StaffingRow, Verbatim,
    WatchItem,
};

const VERBATIMS_PER_ISSUE: usize = 3;
const WATCH_LIST_LEN: usize = 20;
const EXCERPT_CHARS: usize = 120;

pub struct ReportContext<'a> {
    pub title: &'a str,
    pub client: &'a str,
    pub period: &'a str,
    pub config_fingerprint: &'a str,
    pub data_fingerprint: &'a str,
    pub tables: &'a HistoryTables,
    pub emerging: &'a [Emerging],
    /// Volumes, terms, KPI scorecard, forecast and staffing of the period.
    pub trends: &'a Trends,
    pub trend_options: &'a TrendOptions,
    pub records: &'a [EnrichedContact],
    pub taxonomy: &'a Taxonomy,
    pub quality: DataQuality,
}

pub fn build(ctx: &ReportContext) -> ReportInput {
    let weeks: Vec<&str> = ctx.tables.weeks.iter().map(|w| w.week.as_str()).collect();
    let previous = weeks
        .iter()
        .position(|w| *w == ctx.period)
        .and_then(|i| i.checked_sub(1))
        .map(|i| weeks[i].to_string());
    let in_period: Vec<&EnrichedContact> = ctx
        .records
        .iter()
        .filter(|r| r.week == ctx.period)
        .collect();
    let week_row = |week: Option<&str>| {
        ctx.tables
            .weeks
            .iter()
            .find(|w| Some(w.week.as_str()) == week)
    };
    let current = week_row(Some(ctx.period));
    let prior = week_row(previous.as_deref());

    ReportInput {
        title: ctx.title.to_string(),
        client: ctx.client.to_string(),
        period: ctx.period.to_string(),
        previous_period: previous.clone(),
        config_fingerprint: ctx.config_fingerprint.to_string(),
        data_fingerprint: ctx.data_fingerprint.to_string(),
        volume: ctx
            .tables
            .weeks
            .iter()
            .filter(|w| w.week.as_str() <= ctx.period)
            .map(|w| PeriodVolume {
                period: w.week.clone(),
                contacts: w.contacts,
                complaints: w.complaints,
            })
            .collect(),
        categories: category_rows(ctx, previous.as_deref()),
        emerging: ctx
            .emerging
            .iter()
            .map(|e| emerging_issue(ctx, e, &in_period))
            .collect(),
        sentiment: ctx
            .tables
            .weeks
            .iter()
            .filter(|w| w.week.as_str() <= ctx.period)
            .map(|w| SentimentPoint {
                period: w.week.clone(),
                mean_score: w.sentiment_mean,
                negative_share: w.negative_share,
            })
            .collect(),
        risk: RiskSummary {
            escalation: current.map_or(0, |w| w.escalation),
            escalation_previous: prior.map_or(0, |w| w.escalation),
            churn: current.map_or(0, |w| w.churn),
            churn_previous: prior.map_or(0, |w| w.churn),
            watch_list: watch_list(&in_period),
        },
        quality: ctx.quality.clone(),
        breakdown: breakdown(ctx),
        new_terms: ctx
            .trends
            .terms
            .new_terms
            .iter()
            .map(|t| NewTermRow {
                term: t.term.clone(),
                current: t.count,
                baseline_mean: t.baseline_mean,
                ratio: t.ratio,
                p_value: t.p_value,
            })
            .collect(),
        top_keywords: top_keywords(ctx),
        kpi: kpi(ctx),
        forecast: forecast(ctx),
    }
}

/// Days of history drawn before the forecast in the report's chart.
const CHART_HISTORY_DAYS: usize = 28;

/// The report week's contacts by channel, region, business line and queue.
fn breakdown(ctx: &ReportContext) -> Vec<BreakdownRow> {
    ctx.trends
        .volumes
        .iter()
        .filter(|v| v.grain == Grain::Week && v.period == ctx.period && v.dimension != "all")
        .map(|v| BreakdownRow {
            dimension: v.dimension.clone(),
            value: v.value.clone(),
            contacts: v.contacts,
            share: v.share,
            previous: v.previous_contacts,
            complaint_rate: v.complaints_per_1000,
        })
        .collect()
}

fn top_keywords(ctx: &ReportContext) -> Vec<CategoryKeywords> {
    let mut out: Vec<CategoryKeywords> = Vec::new();
    for k in &ctx.trends.terms.keywords {
        if out.last().is_none_or(|c| c.category_id != k.category) {
            out.push(CategoryKeywords {
                category_id: k.category.clone(),
                name: ctx
                    .taxonomy
                    .spec(&k.category)
                    .map_or_else(|| leaf(&k.category), |s| s.name.clone()),
                keywords: Vec::new(),
            });
        }
        if let Some(c) = out.last_mut() {
            c.keywords.push(Keyword {
                term: k.term.clone(),
                score: k.score,
                count: k.count,
            });
        }
    }
    out
}

fn kpi(ctx: &ReportContext) -> Option<KpiScorecard> {
    let card = &ctx.trends.scorecard;
    let first = card.month_rows.first()?;
    let rows: Vec<KpiRow> = card
        .month_rows
        .iter()
        .map(|r| KpiRow {
            metric: r.metric.key().to_string(),
            name: r.metric.name().to_string(),
            unit: r.metric.unit().to_string(),
            higher_is_better: r.metric.higher_is_better(),
            target: r.target,
            actual: r.actual,
            status: r.status.map(|s| s.label().to_string()),
            day_actual: r.day_actual,
            day_status: r.day_status.map(|s| s.label().to_string()),
            dynamic: r.dynamic.label().to_string(),
            dynamic_value: r.dynamic.value(),
        })
        .collect();
    // The days of the report week that fall in the scorecard's month.
    let mut daily: Vec<KpiDay> = Vec::new();
    let in_period = |date: &str| {
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok_and(|d| {
            voc_core::time::iso_week_key(&voc_core::time::china_midnight(d)) == ctx.period
        })
    };
    for d in card.daily.iter().filter(|d| in_period(&d.date)) {
        if daily.last().is_none_or(|x| x.date != d.date) {
            daily.push(KpiDay {
                date: d.date.clone(),
                values: Vec::new(),
            });
        }
        if let Some(day) = daily.last_mut() {
            day.values.push(KpiDayValue {
                metric: d.metric.key().to_string(),
                actual: d.actual,
                status: d.status.map(|s| s.label().to_string()),
            });
        }
    }
    Some(KpiScorecard {
        month: card.month.clone(),
        as_of: card.as_of.clone(),
        days_elapsed: first.days_elapsed,
        days_remaining: first.days_remaining,
        warning_band_pct: ctx.trend_options.kpi.warning_band_pct,
        rows,
        daily,
    })
}

fn forecast(ctx: &ReportContext) -> Option<ForecastSection> {
    let f = ctx.trends.forecast.as_ref()?;
    let s = &ctx.trend_options.staffing;
    let basis = ctx.trends.staffing_basis.as_ref();
    let skip = f.history.len().saturating_sub(CHART_HISTORY_DAYS);
    Some(ForecastSection {
        method: f.method.label().to_string(),
        as_of: f.as_of.clone(),
        history: f.history[skip..]
            .iter()
            .map(|d| ForecastPoint {
                date: d.date.clone(),
                weekday: d.weekday.clone(),
                volume: d.actual,
            })
            .collect(),
        days: f
            .days
            .iter()
            .map(|d| ForecastPoint {
                date: d.date.clone(),
                weekday: d.weekday.clone(),
                volume: d.volume,
            })
            .collect(),
        backtest_mape: f.backtest_mape,
        backtest_days: f.backtest.len() as u32,
        staffing: ctx
            .trends
            .staffing
            .iter()
            .map(|d| StaffingRow {
                date: d.date.clone(),
                weekday: d.weekday.clone(),
                volume: d.staffed_volume,
                erlang_agents: d.erlang_agents,
                service_level: d.service_level,
                erlang_headcount: d.erlang_headcount,
                simple_headcount: d.simple_headcount,
            })
            .collect(),
        assumptions: StaffingAssumptions {
            sla_target: s.sla_target,
            sla_seconds: basis.map_or(ctx.trend_options.kpi.sla_seconds, |b| b.sla_seconds),
            aht_s: basis.map_or(0.0, |b| b.aht_s),
            channel_share: basis.map_or(1.0, |b| b.channel_share),
            open_hours: s.open_hours,
            shift_hours: s.shift_hours,
            attendance_rate: s.attendance_rate,
            contacts_per_agent_day: s.contacts_per_agent_day,
        },
    })
}

fn category_rows(ctx: &ReportContext, previous: Option<&str>) -> Vec<CategoryRow> {
    let mut counts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for c in &ctx.tables.categories {
        if c.week == ctx.period {
            counts.entry(c.category.as_str()).or_default().0 += c.count;
        } else if Some(c.week.as_str()) == previous {
            counts.entry(c.category.as_str()).or_default().1 += c.count;
        }
    }
    let mut rows: Vec<CategoryRow> = counts
        .into_iter()
        .map(|(id, (current, prev))| {
            let spec = ctx.taxonomy.spec(id);
            CategoryRow {
                id: id.to_string(),
                name: spec.map_or_else(|| leaf(id), |s| s.name.clone()),
                owner: spec.map(|s| s.owner.clone()).unwrap_or_default(),
                complaint: spec.is_none_or(|s| s.complaint),
                current,
                previous: prev,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.current.cmp(&a.current).then_with(|| a.id.cmp(&b.id)));
    rows
}

fn leaf(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).to_string()
}

fn emerging_issue(
    ctx: &ReportContext,
    e: &Emerging,
    in_period: &[&EnrichedContact],
) -> EmergingIssue {
    let spec = ctx.taxonomy.spec(&e.category);
    let base_name = spec.map_or_else(|| leaf(&e.category), |s| s.name.clone());
    let mut top_regions: Vec<(String, u64)> = ctx
        .tables
        .region_categories
        .iter()
        .filter(|c| c.week == e.week && c.category == e.category)
        .filter(|c| e.region.as_ref().is_none_or(|r| *r == c.region))
        .map(|c| (c.region.clone(), c.count))
        .collect();
    top_regions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top_regions.truncate(3);
    let group: Vec<&EnrichedContact> = in_period
        .iter()
        .copied()
        .filter(|r| r.categories.contains(&e.category))
        .filter(|r| e.region.is_none() || r.contact.region == e.region)
        .collect();
    let verbatims = voc_aggregate::representative::representative(&group, VERBATIMS_PER_ISSUE)
        .into_iter()
        .map(|i| {
            let c = &group[i].contact;
            Verbatim {
                contact_id: c.id.clone(),
                channel: c.channel.clone(),
                region: c.region.clone().unwrap_or_default(),
                text: excerpt(&c.text_of(Speaker::Customer)),
            }
        })
        .collect();
    EmergingIssue {
        category_id: e.category.clone(),
        name: match &e.region {
            Some(region) => format!("{base_name}·{region}"),
            None => base_name,
        },
        owner: spec.map(|s| s.owner.clone()).unwrap_or_default(),
        current: e.count,
        baseline_mean: e.baseline_mean,
        p_value: e.p_value,
        top_regions,
        verbatims,
    }
}

fn watch_list(in_period: &[&EnrichedContact]) -> Vec<WatchItem> {
    let mut flagged: Vec<&&EnrichedContact> = in_period
        .iter()
        .filter(|r| r.risk.escalation || r.risk.churn)
        .collect();
    // Escalation threats first, then the angriest, then by id for a stable order.
    flagged.sort_by(|a, b| {
        b.risk
            .escalation
            .cmp(&a.risk.escalation)
            .then_with(|| a.sentiment.total_cmp(&b.sentiment))
            .then_with(|| a.contact.id.cmp(&b.contact.id))
    });
    flagged
        .into_iter()
        .take(WATCH_LIST_LEN)
        .map(|r| WatchItem {
            contact_id: r.contact.id.clone(),
            flags: r
                .risk
                .names()
                .into_iter()
                .filter(|f| *f != "repeat")
                .map(str::to_string)
                .collect(),
            category: r.categories.first().cloned().unwrap_or_default(),
            region: r.contact.region.clone().unwrap_or_default(),
            excerpt: excerpt(&r.contact.text_of(Speaker::Customer)),
        })
        .collect()
}

fn excerpt(text: &str) -> String {
    let flat = text.replace('\n', " ");
    if flat.chars().count() <= EXCERPT_CHARS {
        flat
    } else {
        format!("{}…", flat.chars().take(EXCERPT_CHARS).collect::<String>())
    }
}
