//! Builds the report's input from the trends of a period (its tables against the
//! periods of the same length before it and the comparison span, emerging issues,
//! breakdown, terms, KPI scorecard, forecast) and from the period's stored contacts read
//! back from the history (verbatims and the watch list). `voc run` and `voc report`
//! both come through here with the same data, so they give the same report.

use std::collections::BTreeMap;
use voc_aggregate::week_counts::WeekRow;
use voc_aggregate::{Emerging, HistoryTables, TrendOptions, Trends};
use voc_classify::Taxonomy;
use voc_core::{EnrichedContact, Speaker};
use voc_report::{
    BreakdownRow, CategoryKeywords, CategoryRow, DataQuality, EmergingIssue, EndingWorseRow,
    ForecastPoint, ForecastSection, Keyword, KpiDay, KpiDayValue, KpiRow, KpiScorecard, NewTermRow,
    PeriodVolume, ReportInput, RiskSummary, SentimentPoint, StaffingAssumptions, StaffingRow,
    Verbatim, WatchItem,
};
use voc_report::{
    CostDayRow, CostSection, CostWeekRow, DriverCoefficient, DriverEffect, DriverFactor,
    DriverImportance, DriverModel, DriverOutcome, DriverSection, DriverVerbatims,
};
use voc_store::history::StoredTags;

const VERBATIMS_PER_ISSUE: usize = 3;
/// Quotes per top key driver.
const DRIVER_VERBATIMS: usize = 2;
const WATCH_LIST_LEN: usize = 20;
const EXCERPT_CHARS: usize = 120;

pub struct ReportContext<'a> {
    pub title: &'a str,
    pub client: &'a str,
    pub config_fingerprint: &'a str,
    pub data_fingerprint: &'a str,
    /// Everything computed for the period ([`voc_aggregate::trends::compute`]).
    pub trends: &'a Trends,
    pub trend_options: &'a TrendOptions,
    /// The period's stored contacts that [`needs_record`] accepts, sorted by time and id.
    pub records: &'a [EnrichedContact],
    pub taxonomy: &'a Taxonomy,
    pub quality: DataQuality,
    /// `[report] channel_names`: the report's name of a channel value.
    pub channel_names: &'a BTreeMap<String, String>,
}

impl ReportContext<'_> {
    /// The configured name of a channel, or the value as it came.
    fn channel(&self, value: &str) -> String {
        self.channel_names
            .get(value)
            .cloned()
            .unwrap_or_else(|| value.to_string())
    }
}

/// Which of the period's stored contacts the report quotes from: those flagged for
/// escalation or churn (the watch list), those of an emerging category (verbatims) and
/// the key drivers' candidates (by id).
/// Reading only these keeps the read-back small.
pub fn needs_record(trends: &Trends) -> impl Fn(&StoredTags) -> bool + '_ {
    let quoted: std::collections::HashSet<&str> = trends
        .drivers
        .iter()
        .flat_map(|d| &d.verbatims)
        .flat_map(|v| &v.ids)
        .map(String::as_str)
        .collect();
    move |r: &StoredTags| {
        r.escalation
            || r.churn
            || quoted.contains(r.id)
            || trends
                .emerging
                .iter()
                .any(|e| r.categories.contains(&e.category.as_str()))
    }
}

fn volume_of(w: &WeekRow) -> PeriodVolume {
    PeriodVolume {
        period: w.week.clone(),
        contacts: w.contacts,
        complaints: w.complaints,
    }
}

fn sentiment_of(w: &WeekRow) -> SentimentPoint {
    SentimentPoint {
        period: w.week.clone(),
        mean_score: w.sentiment_mean,
        negative_share: w.negative_share,
    }
}

pub fn build(ctx: &ReportContext) -> ReportInput {
    let t = ctx.trends;
    let period = t.period.as_str();
    let spans = t.spans.as_ref();
    let comparison = spans.and_then(|s| s.comparison.as_ref());
    let previous = comparison.map(|c| c.key.clone());
    // The comparison span's row; none when it has no contacts.
    let compared: Option<&WeekRow> = t
        .comparison_tables
        .as_ref()
        .and_then(|tables| tables.weeks.first());
    let current = t.period_tables.weeks.iter().find(|w| w.week == period);
    let in_period: Vec<&EnrichedContact> = ctx.records.iter().collect();

    ReportInput {
        title: ctx.title.to_string(),
        client: ctx.client.to_string(),
        period: period.to_string(),
        previous_period: previous.clone(),
        data_through: spans
            .filter(|s| s.in_progress())
            .map(|s| s.through.format("%Y-%m-%d").to_string()),
        baseline_periods: Some(
            t.baseline_keys(ctx.trend_options.emerging.baseline_weeks)
                .len() as u32,
        ),
        config_fingerprint: ctx.config_fingerprint.to_string(),
        data_fingerprint: ctx.data_fingerprint.to_string(),
        volume: t.period_tables.weeks.iter().map(volume_of).collect(),
        comparison_volume: comparison.map(|c| {
            compared.map_or_else(
                || PeriodVolume {
                    period: c.key.clone(),
                    contacts: 0,
                    complaints: 0,
                },
                volume_of,
            )
        }),
        categories: category_rows(
            ctx,
            previous.as_ref().and(t.comparison_tables.as_ref()),
            current.map_or(0, |w| w.contacts),
            previous.as_ref().and(compared).map_or(0, |w| w.contacts),
        ),
        emerging: t
            .emerging
            .iter()
            .map(|e| emerging_issue(ctx, e, &in_period))
            .collect(),
        sentiment: t.period_tables.weeks.iter().map(sentiment_of).collect(),
        comparison_sentiment: compared.map(sentiment_of),
        risk: RiskSummary {
            escalation: current.map_or(0, |w| w.escalation),
            escalation_previous: compared.map_or(0, |w| w.escalation),
            churn: current.map_or(0, |w| w.churn),
            churn_previous: compared.map_or(0, |w| w.churn),
            watch_list: watch_list(&in_period),
        },
        quality: ctx.quality.clone(),
        breakdown: breakdown(ctx),
        new_terms: t
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
        drivers: drivers(ctx, &in_period),
        cost: ctx.trends.cost.as_ref().map(cost),
        ending_worse: ending_worse(ctx),
        // From `voc discover`'s files, not the trends: set by `period_report::render`.
        discovery: None,
    }
}

/// The key drivers, with the factors named as the report shows them and the quotes of
/// the top drivers picked from their candidates.
fn drivers(ctx: &ReportContext, in_period: &[&EnrichedContact]) -> Option<DriverSection> {
    use voc_aggregate::drivers::FactorGroup;
    let d = ctx.trends.drivers.as_ref()?;
    let factor_key = |i: usize| {
        d.factors
            .get(i)
            .map(|f| (f.group.key().to_string(), f.value.clone()))
            .unwrap_or_default()
    };
    Some(DriverSection {
        contacts: d.contacts,
        min_base: voc_aggregate::drivers::MIN_GROUP_BASE,
        teams_configured: d.teams_configured,
        outcomes: d
            .totals
            .iter()
            .map(|t| DriverOutcome {
                metric: t.outcome.key().to_string(),
                name: t.outcome.name().to_string(),
                unit: if t.outcome.is_share() {
                    "share"
                } else {
                    "seconds"
                }
                .to_string(),
                higher_is_better: t.outcome.higher_is_better(),
                base: t.n,
                value: t.value,
            })
            .collect(),
        factors: d
            .factors
            .iter()
            .map(|f| {
                let spec = (f.group == FactorGroup::Category)
                    .then(|| ctx.taxonomy.spec(&f.value))
                    .flatten();
                DriverFactor {
                    dimension: f.group.key().to_string(),
                    value: f.value.clone(),
                    label: match f.group {
                        FactorGroup::Category => {
                            spec.map_or_else(|| leaf(&f.value), |s| s.name.clone())
                        }
                        FactorGroup::Channel => ctx.channel(&f.value),
                        _ => f.value.clone(),
                    },
                    owner: spec.map(|s| s.owner.clone()).unwrap_or_default(),
                    contacts: f.contacts,
                    effects: f
                        .effects
                        .iter()
                        .map(|e| DriverEffect {
                            metric: e.outcome.key().to_string(),
                            n_with: e.n_with,
                            n_without: e.n_without,
                            with: e.with,
                            without: e.without,
                            diff: e.interval.map(|i| i.diff),
                            low: e.interval.map(|i| i.low),
                            high: e.interval.map(|i| i.high),
                            rank: e.rank,
                        })
                        .collect(),
                }
            })
            .collect(),
        models: d
            .models
            .iter()
            .map(|m| DriverModel {
                metric: m.outcome.key().to_string(),
                n: m.n,
                r2: m.r2,
                dimensions: m
                    .groups
                    .iter()
                    .map(|g| DriverImportance {
                        dimension: g.group.key().to_string(),
                        r2: g.r2,
                    })
                    .collect(),
                coefficients: m
                    .coefficients
                    .iter()
                    .map(|c| {
                        let (dimension, value) = factor_key(c.factor);
                        DriverCoefficient {
                            dimension,
                            value,
                            coefficient: c.coefficient,
                            standardized: c.standardized,
                        }
                    })
                    .collect(),
            })
            .collect(),
        verbatims: d
            .verbatims
            .iter()
            .map(|v| {
                let (dimension, value) = factor_key(v.factor);
                let group: Vec<&EnrichedContact> = in_period
                    .iter()
                    .copied()
                    .filter(|r| v.ids.contains(&r.contact.id))
                    .collect();
                DriverVerbatims {
                    dimension,
                    value,
                    metric: v.outcome.key().to_string(),
                    verbatims: voc_aggregate::representative::representative(
                        &group,
                        DRIVER_VERBATIMS,
                    )
                    .into_iter()
                    .map(|i| verbatim(ctx, group[i]))
                    .collect(),
                }
            })
            .collect(),
    })
}

/// The cost break-even as the report shows it.
fn cost(b: &voc_aggregate::cost::CostBreakEven) -> CostSection {
    use voc_aggregate::cost::{Remainder, RevenueBasis};
    let date = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let remainder = |r: &Remainder, required: &str, done: &str| -> (String, Option<f64>) {
        match r {
            Remainder::Required(v) => (required.to_string(), Some(*v)),
            Remainder::Reached => (done.to_string(), None),
            Remainder::Exceeded(v) => ("已超支".to_string(), Some(*v)),
            Remainder::NoDaysLeft => ("本月已结束".to_string(), None),
            Remainder::Missing => ("数据不足".to_string(), None),
        }
    };
    let (cost_remainder, cost_remainder_value) = remainder(&b.cost_remainder, "需控制在", "");
    let (volume_remainder, volume_remainder_value) =
        remainder(&b.volume_remainder, "需达到", "已达成");
    CostSection {
        month: b.month.clone(),
        as_of: date(b.as_of),
        days_in_month: b.days_in_month,
        days_elapsed: b.days_elapsed,
        days_remaining: b.days_remaining,
        monthly_cost: b.monthly_cost,
        revenue_basis: match b.basis {
            RevenueBasis::Contact(_) => "contact",
            RevenueBasis::SeatHour(_) => "seat_hour",
        }
        .to_string(),
        revenue_rate: b.basis.rate(),
        breakeven: b.breakeven,
        weeks: b
            .weeks
            .iter()
            .map(|w| CostWeekRow {
                week: w.week.clone(),
                first: date(w.first),
                last: date(w.last),
                cost_line: w.cost_line,
                breakeven: w.breakeven,
            })
            .collect(),
        days: b
            .days
            .iter()
            .map(|d| CostDayRow {
                date: date(d.date),
                cost_line: d.cost_line,
                breakeven: d.breakeven,
                contacts: d.contacts,
                seat_hours: d.seat_hours,
                cost: d.cost,
                revenue: d.revenue,
            })
            .collect(),
        cost_to_date: b.cost_to_date,
        revenue_to_date: b.revenue_to_date,
        volume_to_date: b.volume_to_date,
        cost_remainder,
        cost_remainder_value,
        volume_remainder,
        volume_remainder_value,
        occupancy: b.occupancy,
        hourly_cost: b.hourly_cost,
    }
}

/// A quote of a stored contact.
fn verbatim(ctx: &ReportContext, r: &EnrichedContact) -> Verbatim {
    let c = &r.contact;
    Verbatim {
        contact_id: c.id.clone(),
        channel: ctx.channel(&c.channel),
        region: c.region.clone().unwrap_or_default(),
        text: excerpt(&c.text_of(Speaker::Customer)),
    }
}

/// The report period's contacts whose mood could be followed and how they ended, with
/// each category's display name from the taxonomy.
fn ending_worse(ctx: &ReportContext) -> Vec<EndingWorseRow> {
    ctx.trends
        .ending_worse
        .iter()
        .map(|r| EndingWorseRow {
            dimension: r.dimension.clone(),
            value: r.value.clone(),
            name: if r.dimension == "category" {
                ctx.taxonomy
                    .spec(&r.value)
                    .map_or_else(|| leaf(&r.value), |s| s.name.clone())
            } else {
                String::new()
            },
            followed: r.followed,
            worsening: r.worsening,
            improving: r.improving,
        })
        .collect()
}

/// Days of history drawn before the forecast in the report's chart.
const CHART_HISTORY_DAYS: usize = 28;

/// The report period's contacts by channel, region, business line and queue.
fn breakdown(ctx: &ReportContext) -> Vec<BreakdownRow> {
    ctx.trends
        .breakdown
        .iter()
        .map(|v| BreakdownRow {
            dimension: v.dimension.clone(),
            value: if v.dimension == "channel" {
                ctx.channel(&v.value)
            } else {
                v.value.clone()
            },
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
    // The days of the report period that fall in the scorecard's month.
    let mut daily: Vec<KpiDay> = Vec::new();
    let span = ctx.trends.spans.as_ref().map(|s| s.current());
    let in_period = |date: &str| {
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .is_ok_and(|d| span.is_some_and(|s| s.contains(d)))
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
        staffing_missing: basis.and_then(|b| b.missing).map(str::to_string),
    })
}

/// Category counts of the period, with those of the comparison span and the two-period
/// test of the change of their rate (the periods' contacts as exposures).
fn category_rows(
    ctx: &ReportContext,
    comparison: Option<&HistoryTables>,
    contacts: u64,
    comparison_contacts: u64,
) -> Vec<CategoryRow> {
    let mut counts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for c in &ctx.trends.period_tables.categories {
        if c.week == ctx.trends.period {
            counts.entry(c.category.as_str()).or_default().0 += c.count;
        }
    }
    for c in comparison.iter().flat_map(|t| &t.categories) {
        counts.entry(c.category.as_str()).or_default().1 += c.count;
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
                change_p_value: comparison.and_then(|_| {
                    voc_aggregate::stats::two_period_p(current, contacts, prev, comparison_contacts)
                }),
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
        .trends
        .period_tables
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
        .map(|i| verbatim(ctx, group[i]))
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
            // Every category of the contact, not only its first.
            category: r.categories.join("、"),
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
