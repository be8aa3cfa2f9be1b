//! Key drivers (关联性分析): which process factors go with worse result KPIs.
//!
//! A factor is one value of one dimension of a contact: a category (a contact may have
//! several), its channel, queue, agent team (`[drivers] agent_teams`), whether it is a
//! repeat contact, and its wait-time band (real-time channels only). For each factor
//! and each result KPI (CSAT, DSAT, FCR, AHT, repeat contact) the contacts with the
//! factor are compared with the other contacts of its population (all contacts; those
//! with a known team for teams; those with a wait band for bands):
//!
//! - a share (CSAT, DSAT, FCR, repeat): the difference of the two shares with
//!   Newcombe's hybrid score interval (method 10, built from the two Wilson intervals);
//! - a mean (AHT): the difference of the two means with Welch's t interval
//!   (Welch–Satterthwaite degrees of freedom).
//!
//! Both groups need [`MIN_GROUP_BASE`] contacts with the KPI known, else there is no
//! estimate (数据不足). An effect counts only when its 95 % interval excludes 0. The
//! impact of a factor is its volume × its effect (contacts more or less satisfied,
//! seconds of handling); adverse significant effects are ranked by impact per KPI.
//!
//! The relative-importance model regresses each KPI on the factors' indicators by least
//! squares (a linear probability model for the shares), with a reference level dropped
//! from each single-valued dimension, and splits its R² over the dimensions by their
//! Shapley values (general dominance: each dimension's mean gain of R² over all subsets
//! of the others). The coefficients, standardized, are each factor's importance.

use polars::prelude::*;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

use crate::AggregateError;
use crate::kpi::{KpiContact, first_contact_resolution};
use voc_store::frame::{opt_bools, opt_epoch_seconds, opt_strs, opt_u32s, string_lists, strs};

/// Fewest contacts with a KPI known on each side of a comparison.
pub const MIN_GROUP_BASE: u64 = 30;
/// Fewest contacts with a KPI known for its importance model.
pub const MIN_MODEL_BASE: u64 = 100;
/// The two-sided 95 % normal quantile.
const Z95: f64 = 1.959_963_984_540_054;
/// Candidate contacts kept per top driver for the report's quotes.
const VERBATIM_CANDIDATES: usize = 20;
/// Top adverse drivers that get quotes.
const VERBATIM_DRIVERS: usize = 3;

/// `[drivers]` of the pipeline file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriverConfig {
    /// Agent teams (班组) by name, each with the `agent_id`s of its agents; contacts of
    /// agents not listed have no team. Without it the team dimension is left out.
    #[serde(default)]
    pub agent_teams: BTreeMap<String, Vec<String>>,
}

impl DriverConfig {
    /// Problems a pipeline file should be refused for.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (team, agents) in &self.agent_teams {
            for a in agents {
                if let Some(other) = seen.insert(a, team)
                    && other != team
                {
                    return Err(format!(
                        "[drivers] agent_teams: agent {a:?} is in both {other:?} and {team:?}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Agent id → team, from `agent_teams`.
    pub fn team_of_agent(&self) -> HashMap<&str, &str> {
        self.agent_teams
            .iter()
            .flat_map(|(team, agents)| agents.iter().map(move |a| (a.as_str(), team.as_str())))
            .collect()
    }
}

/// The dimension a factor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FactorGroup {
    Category,
    Channel,
    Queue,
    Team,
    Repeat,
    WaitBand,
}

impl FactorGroup {
    pub const ALL: [FactorGroup; 6] = [
        FactorGroup::Category,
        FactorGroup::Channel,
        FactorGroup::Queue,
        FactorGroup::Team,
        FactorGroup::Repeat,
        FactorGroup::WaitBand,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FactorGroup::Category => "category",
            FactorGroup::Channel => "channel",
            FactorGroup::Queue => "queue",
            FactorGroup::Team => "team",
            FactorGroup::Repeat => "repeat",
            FactorGroup::WaitBand => "wait_band",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FactorGroup::Category => "问题分类",
            FactorGroup::Channel => "渠道",
            FactorGroup::Queue => "技能队列",
            FactorGroup::Team => "坐席班组",
            FactorGroup::Repeat => "重复来电",
            FactorGroup::WaitBand => "等待时长",
        }
    }

    /// Whether a contact has exactly one value of it (a dummy is dropped in the model).
    fn single_valued(self) -> bool {
        !matches!(self, FactorGroup::Category | FactorGroup::Repeat)
    }
}

/// A result KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Csat,
    Dsat,
    Fcr,
    Aht,
    Repeat,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Csat,
        Outcome::Dsat,
        Outcome::Fcr,
        Outcome::Aht,
        Outcome::Repeat,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Outcome::Csat => "csat",
            Outcome::Dsat => "dsat",
            Outcome::Fcr => "fcr",
            Outcome::Aht => "aht",
            Outcome::Repeat => "repeat",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Csat => "满意度（CSAT）",
            Outcome::Dsat => "不满意率（DSAT）",
            Outcome::Fcr => "一次解决率（FCR）",
            Outcome::Aht => "平均处理时长（AHT）",
            Outcome::Repeat => "重复来电率",
        }
    }

    /// A share of contacts (else a mean in seconds).
    pub fn is_share(self) -> bool {
        self != Outcome::Aht
    }

    pub fn higher_is_better(self) -> bool {
        matches!(self, Outcome::Csat | Outcome::Fcr)
    }
}

/// One contact as the driver analysis needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriverContact {
    pub id: String,
    pub categories: Vec<String>,
    pub channel: String,
    pub queue: Option<String>,
    pub team: Option<String>,
    pub repeat: bool,
    /// Seconds waited; only real-time channels' waits get a band.
    pub wait_band: Option<String>,
    pub csat: Option<u32>,
    /// Resolved at first contact (see [`crate::kpi`]); `None` when unknown.
    pub fcr: Option<bool>,
    pub duration_s: Option<u32>,
}

impl DriverContact {
    /// The contact's value of `o`: 0/1 for a share, seconds for AHT.
    pub fn outcome(&self, o: Outcome) -> Option<f64> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        match o {
            Outcome::Csat => self.csat.map(|s| flag(s >= 4)),
            Outcome::Dsat => self.csat.map(|s| flag(s <= 2)),
            Outcome::Fcr => self.fcr.map(flag),
            Outcome::Aht => self.duration_s.map(f64::from),
            Outcome::Repeat => Some(flag(self.repeat)),
        }
    }

    /// Whether its `o` is on the bad side (for quotes): dissatisfied, unresolved,
    /// repeated, or handled longer than `mean`.
    fn bad(&self, o: Outcome, mean: f64) -> bool {
        match o {
            Outcome::Csat | Outcome::Dsat => self.csat.is_some_and(|s| s <= 2),
            Outcome::Fcr => self.fcr == Some(false),
            Outcome::Aht => self.duration_s.is_some_and(|d| f64::from(d) > mean),
            Outcome::Repeat => self.repeat,
        }
    }

    /// Its value of `group`, and whether it belongs to the group's population at all.
    fn values(&self, group: FactorGroup) -> Vec<String> {
        match group {
            FactorGroup::Category => self.categories.clone(),
            FactorGroup::Channel => vec![self.channel.clone()],
            FactorGroup::Queue => self.queue.iter().cloned().collect(),
            FactorGroup::Team => self.team.iter().cloned().collect(),
            FactorGroup::Repeat => {
                if self.repeat {
                    vec!["重复来电".to_string()]
                } else {
                    Vec::new()
                }
            }
            FactorGroup::WaitBand => self.wait_band.iter().cloned().collect(),
        }
    }

    fn in_population(&self, group: FactorGroup) -> bool {
        match group {
            FactorGroup::Team => self.team.is_some(),
            FactorGroup::WaitBand => self.wait_band.is_some(),
            _ => true,
        }
    }
}

/// The wait-time bands: up to the SLA threshold, to 60 s, to 180 s, beyond.
pub fn wait_band(wait_s: u32, sla_seconds: u32) -> String {
    let mut bounds = vec![sla_seconds];
    for b in [60, 180] {
        if b > *bounds.last().unwrap_or(&0) {
            bounds.push(b);
        }
    }
    let mut lower = 0;
    for (i, b) in bounds.iter().enumerate() {
        if wait_s <= *b {
            return if i == 0 {
                format!("≤{b} 秒")
            } else {
                format!("{}–{b} 秒", lower + 1)
            };
        }
        lower = *b;
    }
    format!(">{lower} 秒")
}

/// Where a [`wait_band`] label sorts: by its lower bound.
fn band_order(label: &str) -> u32 {
    if label.starts_with('≤') {
        return 0;
    }
    if let Some(rest) = label.strip_prefix('>') {
        return rest
            .trim_end_matches(" 秒")
            .parse::<u32>()
            .map_or(u32::MAX, |b| b.saturating_add(1));
    }
    label
        .split('–')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

/// A difference with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub diff: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// The interval excludes 0.
    pub fn significant(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// One factor's effect on one KPI.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub outcome: Outcome,
    /// Contacts with the KPI known, with and without the factor.
    pub n_with: u64,
    pub n_without: u64,
    /// The KPI with and without the factor (share 0–1 or seconds).
    pub with: Option<f64>,
    pub without: Option<f64>,
    /// `None` when a side has fewer than [`MIN_GROUP_BASE`] contacts.
    pub interval: Option<Interval>,
    /// Rank among the KPI's significant adverse effects by impact (1 = largest).
    pub rank: Option<u32>,
}

impl Effect {
    /// Volume × effect: contacts (shares) or seconds (AHT) more or fewer because of the
    /// factor, when significant.
    pub fn impact(&self) -> Option<f64> {
        self.interval
            .filter(Interval::significant)
            .map(|i| i.diff * self.n_with as f64)
    }

    /// Significant and on the KPI's bad side.
    pub fn adverse(&self) -> bool {
        self.interval
            .is_some_and(|i| i.significant() && ((i.diff < 0.0) == self.outcome.higher_is_better()))
    }
}

/// A factor with its effect on every KPI (none on repeat contact for the repeat factor).
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub group: FactorGroup,
    pub value: String,
    /// Contacts with it.
    pub contacts: u64,
    /// A fingerprint of which contacts have it: equal for equal sets (a queue that is
    /// exactly one channel).
    pub members: u64,
    pub effects: Vec<Effect>,
}

/// A dimension's share of a model's R² (its Shapley value).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupImportance {
    pub group: FactorGroup,
    /// R² attributed to it; the values sum to the model's R².
    pub r2: f64,
}

/// A factor's coefficient in a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficient {
    /// Index into [`Drivers::factors`].
    pub factor: usize,
    /// The KPI's change with the factor, others held equal (share 0–1 or seconds).
    pub coefficient: f64,
    /// The coefficient × the factor's standard deviation ÷ the KPI's.
    pub standardized: f64,
}

/// A KPI's importance model.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportanceModel {
    pub outcome: Outcome,
    /// Contacts fitted.
    pub n: u64,
    pub r2: f64,
    pub groups: Vec<GroupImportance>,
    pub coefficients: Vec<Coefficient>,
}

/// A KPI over all contacts of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeTotal {
    pub outcome: Outcome,
    /// Contacts with it known.
    pub n: u64,
    pub value: Option<f64>,
}

/// Contacts to quote for a top driver: with the factor and on the KPI's bad side.
#[derive(Debug, Clone, PartialEq)]
pub struct VerbatimCandidates {
    pub factor: usize,
    pub outcome: Outcome,
    pub ids: Vec<String>,
}

/// Everything the driver analysis found for one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drivers {
    pub contacts: u64,
    pub totals: Vec<OutcomeTotal>,
    /// Factors by dimension, then by volume (descending) and value.
    pub factors: Vec<Factor>,
    /// One per KPI with enough contacts.
    pub models: Vec<ImportanceModel>,
    pub verbatims: Vec<VerbatimCandidates>,
    /// Whether agent teams were configured (the team dimension is in the analysis).
    pub teams_configured: bool,
}

impl Drivers {
    /// The KPI's significant adverse effects by rank: `(factor, effect)`.
    pub fn ranked(&self, o: Outcome) -> Vec<(&Factor, &Effect)> {
        let mut out: Vec<(&Factor, &Effect)> = self
            .factors
            .iter()
            .filter_map(|f| {
                f.effects
                    .iter()
                    .find(|e| e.outcome == o && e.rank.is_some())
                    .map(|e| (f, e))
            })
            .collect();
        out.sort_by_key(|(_, e)| e.rank);
        out
    }
}

/// Wilson score interval of `x` successes in `n`.
pub fn wilson(x: f64, n: f64) -> (f64, f64) {
    let p = x / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    (center - half, center + half)
}

/// Newcombe's hybrid score interval of p1 − p2 (x1 of n1 against x2 of n2).
pub fn share_difference(x1: f64, n1: f64, x2: f64, n2: f64) -> Interval {
    let (p1, p2) = (x1 / n1, x2 / n2);
    let (l1, u1) = wilson(x1, n1);
    let (l2, u2) = wilson(x2, n2);
    let diff = p1 - p2;
    Interval {
        diff,
        low: diff - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt(),
        high: diff + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt(),
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom, by the
/// Cornish–Fisher expansion around the normal one (within 0.001 from 5 degrees of
/// freedom; the groups compared have at least 30 contacts).
pub fn t975(df: f64) -> f64 {
    if !df.is_finite() || df > 1e7 {
        return Z95;
    }
    let z = Z95;
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    z + (z3 + z) / (4.0 * df)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df.powi(2))
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * df.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92160.0 * df.powi(4))
}

/// Sums a mean and a variance are computed from.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: f64,
    sum: f64,
    sum_sq: f64,
}

impl Moments {
    fn add(&mut self, y: f64) {
        self.n += 1.0;
        self.sum += y;
        self.sum_sq += y * y;
    }
    fn minus(&self, o: &Moments) -> Moments {
        Moments {
            n: self.n - o.n,
            sum: self.sum - o.sum,
            sum_sq: self.sum_sq - o.sum_sq,
        }
    }
    fn mean(&self) -> Option<f64> {
        (self.n > 0.0).then(|| self.sum / self.n)
    }
    /// Sample variance.
    fn variance(&self) -> f64 {
        if self.n < 2.0 {
            return 0.0;
        }
        ((self.sum_sq - self.sum * self.sum / self.n) / (self.n - 1.0)).max(0.0)
    }
}

/// Welch's interval of mean1 − mean2.
fn mean_difference(a: &Moments, b: &Moments) -> Interval {
    let (m1, m2) = (a.sum / a.n, b.sum / b.n);
    let (v1, v2) = (a.variance() / a.n, b.variance() / b.n);
    let se = (v1 + v2).sqrt();
    let diff = m1 - m2;
    if se == 0.0 {
        return Interval {
            diff,
            low: diff,
            high: diff,
        };
    }
    let df = (v1 + v2).powi(2) / (v1 * v1 / (a.n - 1.0) + v2 * v2 / (b.n - 1.0));
    let half = t975(df) * se;
    Interval {
        diff,
        low: diff - half,
        high: diff + half,
    }
}

/// The effect of a factor on `o`, from the moments of the contacts with it and of its
/// whole population.
fn effect(o: Outcome, with: &Moments, population: &Moments) -> Effect {
    let without = population.minus(with);
    let base = MIN_GROUP_BASE as f64;
    let interval = (with.n >= base && without.n >= base).then(|| {
        if o.is_share() {
            share_difference(with.sum, with.n, without.sum, without.n)
        } else {
            mean_difference(with, &without)
        }
    });
    Effect {
        outcome: o,
        n_with: with.n as u64,
        n_without: without.n as u64,
        with: with.mean(),
        without: without.mean(),
        interval,
        rank: None,
    }
}

/// What is summed per factor.
#[derive(Default)]
struct FactorSums {
    contacts: u64,
    members: u64,
    moments: BTreeMap<Outcome, Moments>,
}

/// A well-mixed 64-bit value of `x` (splitmix64's finalizer), summed into a factor's
/// fingerprint of its contacts.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The driver analysis of `contacts` (one period's). `teams_configured` says whether
/// the team dimension was asked for.
pub fn analyse(contacts: &[DriverContact], teams_configured: bool) -> Drivers {
    // Moments of every KPI per population and per factor.
    let mut population: BTreeMap<(FactorGroup, Outcome), Moments> = BTreeMap::new();
    let mut per_factor: BTreeMap<(FactorGroup, String), FactorSums> = BTreeMap::new();
    let mut totals: BTreeMap<Outcome, Moments> = BTreeMap::new();
    for (index, c) in contacts.iter().enumerate() {
        let member = splitmix64(index as u64);
        let ys: Vec<(Outcome, f64)> = Outcome::ALL
            .iter()
            .filter_map(|&o| c.outcome(o).map(|y| (o, y)))
            .collect();
        for &(o, y) in &ys {
            totals.entry(o).or_default().add(y);
        }
        for group in FactorGroup::ALL {
            if !c.in_population(group) {
                continue;
            }
            for &(o, y) in &ys {
                population.entry((group, o)).or_default().add(y);
            }
            for value in c.values(group) {
                let entry = per_factor.entry((group, value)).or_default();
                entry.contacts += 1;
                entry.members = entry.members.wrapping_add(member);
                for &(o, y) in &ys {
                    entry.moments.entry(o).or_default().add(y);
                }
            }
        }
    }
    let mut factors: Vec<Factor> = per_factor
        .into_iter()
        .map(|((group, value), sums)| Factor {
            group,
            value,
            contacts: sums.contacts,
            members: sums.members,
            effects: Outcome::ALL
                .iter()
                // The repeat factor against repeat contact is the same flag twice.
                .filter(|&&o| !(group == FactorGroup::Repeat && o == Outcome::Repeat))
                .map(|&o| {
                    let empty = Moments::default();
                    effect(
                        o,
                        sums.moments.get(&o).unwrap_or(&empty),
                        population.get(&(group, o)).unwrap_or(&empty),
                    )
                })
                .collect(),
        })
        .collect();
    // Wait bands in band order, other values by volume.
    factors.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then_with(|| match a.group {
                FactorGroup::WaitBand => band_order(&a.value).cmp(&band_order(&b.value)),
                _ => b.contacts.cmp(&a.contacts),
            })
            .then_with(|| a.value.cmp(&b.value))
    });
    rank(&mut factors);
    let models = Outcome::ALL
        .iter()
        .filter_map(|&o| importance_model(contacts, &factors, o))
        .collect();
    let mut out = Drivers {
        contacts: contacts.len() as u64,
        totals: Outcome::ALL
            .iter()
            .map(|&o| {
                let m = totals.get(&o).copied().unwrap_or_default();
                OutcomeTotal {
                    outcome: o,
                    n: m.n as u64,
                    value: m.mean(),
                }
            })
            .collect(),
        factors,
        models,
        verbatims: Vec::new(),
        teams_configured,
    };
    out.verbatims = verbatim_candidates(contacts, &out);
    out
}

/// Ranks each KPI's significant adverse effects by the size of their impact (ties by
/// dimension and value, the factors' order).
fn rank(factors: &mut [Factor]) {
    for o in Outcome::ALL {
        let mut adverse: Vec<(usize, f64)> = factors
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                f.effects
                    .iter()
                    .find(|e| e.outcome == o && e.adverse())
                    .and_then(|e| e.impact().map(|x| (i, x.abs())))
            })
            .collect();
        adverse.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        // A factor with the very contacts of one ranked before it (a queue that is one
        // channel) is the same driver twice: it keeps no rank of its own.
        let mut ranked: Vec<(u64, u64)> = Vec::new();
        let mut next = 1;
        for (i, _) in adverse {
            let key = (factors[i].contacts, factors[i].members);
            let Some(e) = factors[i].effects.iter_mut().find(|e| e.outcome == o) else {
                continue;
            };
            if ranked.contains(&key) {
                continue;
            }
            ranked.push(key);
            e.rank = Some(next);
            next += 1;
        }
    }
}

/// The first rank-1 drivers (KPIs in order, each factor once), with contacts to quote.
fn verbatim_candidates(contacts: &[DriverContact], d: &Drivers) -> Vec<VerbatimCandidates> {
    let mut out: Vec<VerbatimCandidates> = Vec::new();
    for o in Outcome::ALL {
        let Some((factor, _)) = d.ranked(o).first().copied() else {
            continue;
        };
        let index = d
            .factors
            .iter()
            .position(|f| std::ptr::eq(f, factor))
            .unwrap_or(0);
        if out.iter().any(|v| v.factor == index) || out.len() >= VERBATIM_DRIVERS {
            continue;
        }
        let mean = d
            .totals
            .iter()
            .find(|t| t.outcome == o)
            .and_then(|t| t.value)
            .unwrap_or(0.0);
        let mut ids: Vec<String> = contacts
            .iter()
            .filter(|c| c.values(factor.group).contains(&factor.value) && c.bad(o, mean))
            .map(|c| c.id.clone())
            .collect();
        ids.sort();
        ids.truncate(VERBATIM_CANDIDATES);
        out.push(VerbatimCandidates {
            factor: index,
            outcome: o,
            ids,
        });
    }
    out
}

/// Least squares of `o` on the factors' indicators, with its R² split over the
/// dimensions by Shapley values; `None` with fewer than [`MIN_MODEL_BASE`] contacts or
/// no variation.
fn importance_model(
    contacts: &[DriverContact],
    factors: &[Factor],
    o: Outcome,
) -> Option<ImportanceModel> {
    // Features: factors with enough contacts on both sides, but the largest level of
    // each single-valued dimension (the reference).
    let mut features: Vec<usize> = Vec::new();
    let mut reference: BTreeMap<FactorGroup, usize> = BTreeMap::new();
    for (i, f) in factors.iter().enumerate() {
        let Some(e) = f.effects.iter().find(|e| e.outcome == o) else {
            continue;
        };
        if e.n_with < MIN_GROUP_BASE || e.n_without < MIN_GROUP_BASE {
            continue;
        }
        if f.group.single_valued() {
            // The largest level of the dimension becomes the reference.
            let largest = reference.entry(f.group).or_insert(i);
            if factors[*largest].contacts < f.contacts {
                features.push(*largest);
                *largest = i;
            } else if *largest != i {
                features.push(i);
            }
            continue;
        }
        features.push(i);
    }
    features.sort_unstable();
    let index: HashMap<(FactorGroup, &str), usize> = features
        .iter()
        .enumerate()
        .map(|(j, &i)| ((factors[i].group, factors[i].value.as_str()), j))
        .collect();
    let p = features.len();
    let mut xtx = vec![0.0; p * p];
    let mut xty = vec![0.0; p];
    let mut xsum = vec![0.0; p];
    let (mut n, mut ysum, mut yty) = (0.0, 0.0, 0.0);
    let mut active: Vec<usize> = Vec::new();
    for c in contacts {
        let Some(y) = c.outcome(o) else { continue };
        active.clear();
        for group in FactorGroup::ALL {
            for v in c.values(group) {
                if let Some(&j) = index.get(&(group, v.as_str())) {
                    active.push(j);
                }
            }
        }
        n += 1.0;
        ysum += y;
        yty += y * y;
        for &a in &active {
            xsum[a] += 1.0;
            xty[a] += y;
            for &b in &active {
                xtx[a * p + b] += 1.0;
            }
        }
    }
    if n < MIN_MODEL_BASE as f64 {
        return None;
    }
    // Centred cross products: the intercept is in every model.
    let ymean = ysum / n;
    let syy = yty - n * ymean * ymean;
    if syy <= 1e-9 * n.max(1.0) {
        return None;
    }
    let sxx: Vec<f64> = (0..p * p)
        .map(|k| xtx[k] - xsum[k / p] * xsum[k % p] / n)
        .collect();
    let sxy: Vec<f64> = (0..p).map(|j| xty[j] - xsum[j] * ymean).collect();
    let groups: Vec<FactorGroup> = FactorGroup::ALL
        .into_iter()
        .filter(|g| features.iter().any(|&i| factors[i].group == *g))
        .collect();
    let columns_of = |mask: usize| -> Vec<usize> {
        (0..p)
            .filter(|&j| {
                groups
                    .iter()
                    .enumerate()
                    .any(|(g, group)| mask & (1 << g) != 0 && factors[features[j]].group == *group)
            })
            .collect()
    };
    let r2_of = |mask: usize| -> f64 {
        let cols = columns_of(mask);
        solve(&sxx, &sxy, p, &cols).map_or(0.0, |b| {
            let explained: f64 = cols.iter().zip(&b).map(|(&j, bj)| bj * sxy[j]).sum();
            (explained / syy).clamp(0.0, 1.0)
        })
    };
    let k = groups.len();
    let r2: Vec<f64> = (0..1usize << k).map(r2_of).collect();
    let full = (1usize << k) - 1;
    // Shapley weight of a subset of size s of the k − 1 others: s! (k − s − 1)! / k!.
    let factorial = |m: usize| (1..=m).map(|x| x as f64).product::<f64>();
    let group_importance = groups
        .iter()
        .enumerate()
        .map(|(g, &group)| {
            let bit = 1 << g;
            let value = (0..=full)
                .filter(|s| s & bit == 0)
                .map(|s| {
                    let size = (s as u32).count_ones() as usize;
                    factorial(size) * factorial(k - size - 1) / factorial(k) * (r2[s | bit] - r2[s])
                })
                .sum();
            GroupImportance { group, r2: value }
        })
        .collect();
    let all: Vec<usize> = (0..p).collect();
    let sd_y = (syy / (n - 1.0)).sqrt();
    let coefficients = solve(&sxx, &sxy, p, &all)
        .map(|b| {
            all.iter()
                .zip(b)
                .map(|(&j, bj)| Coefficient {
                    factor: features[j],
                    coefficient: bj,
                    standardized: bj * (sxx[j * p + j] / (n - 1.0)).sqrt() / sd_y,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(ImportanceModel {
        outcome: o,
        n: n as u64,
        r2: r2[full],
        groups: group_importance,
        coefficients,
    })
}

/// Solves (S + λI) b = s over the columns `cols` by Cholesky. The small ridge λ keeps
/// nested dimensions (a queue that is one channel) from making S singular.
fn solve(sxx: &[f64], sxy: &[f64], p: usize, cols: &[usize]) -> Option<Vec<f64>> {
    let m = cols.len();
    if m == 0 {
        return Some(Vec::new());
    }
    let max_diag = cols.iter().map(|&j| sxx[j * p + j]).fold(0.0, f64::max);
    let ridge = 1e-9 * max_diag.max(1.0);
    let mut l = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..=i {
            let mut s = sxx[cols[i] * p + cols[j]] + if i == j { ridge } else { 0.0 };
            for k in 0..j {
                s -= l[i * m + k] * l[j * m + k];
            }
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i * m + i] = s.sqrt();
            } else {
                l[i * m + j] = s / l[j * m + j];
            }
        }
    }
    let mut z = vec![0.0; m];
    for i in 0..m {
        let s: f64 = (0..i).map(|k| l[i * m + k] * z[k]).sum();
        z[i] = (sxy[cols[i]] - s) / l[i * m + i];
    }
    let mut b = vec![0.0; m];
    for i in (0..m).rev() {
        let s: f64 = (i + 1..m).map(|k| l[k * m + i] * b[k]).sum();
        b[i] = (z[i] - s) / l[i * m + i];
    }
    Some(b)
}

/// Reads the period's contacts (the frame already cut to the period) with their FCR
/// over `fcr_window_days`, teams by `config` and wait bands on `sla_channels`.
pub fn read_contacts(
    lf: &LazyFrame,
    config: &DriverConfig,
    fcr_window_days: u32,
    sla_channels: &[String],
    sla_seconds: u32,
) -> Result<Vec<DriverContact>, AggregateError> {
    let df = lf
        .clone()
        .select([
            col("id"),
            col("customer_id"),
            col("started_at"),
            col("channel"),
            col("queue"),
            col("agent_id"),
            col("categories"),
            col("risk_repeat"),
            col("resolved"),
            col("csat"),
            col("duration_s"),
            col("wait_s"),
        ])
        .collect()?;
    let ids = strs(&df, "id")?;
    let customers = opt_strs(&df, "customer_id")?;
    let started = opt_epoch_seconds(&df, "started_at")?;
    let channels = strs(&df, "channel")?;
    let queues = opt_strs(&df, "queue")?;
    let agents = opt_strs(&df, "agent_id")?;
    let categories = string_lists(&df, "categories")?;
    let repeat = opt_bools(&df, "risk_repeat")?;
    let resolved = opt_bools(&df, "resolved")?;
    let csat = opt_u32s(&df, "csat")?;
    let duration = opt_u32s(&df, "duration_s")?;
    let wait = opt_u32s(&df, "wait_s")?;
    // FCR as the KPI scorecard computes it: resolved and no follow-up in the window.
    let for_fcr: Vec<KpiContact> = (0..df.height())
        .map(|i| KpiContact {
            date: chrono::NaiveDate::MIN,
            customer: customers[i].clone(),
            at: started[i],
            channel: String::new(),
            complaint: false,
            resolved: resolved[i],
            csat: None,
            duration_s: None,
            wait_s: None,
        })
        .collect();
    let fcr = first_contact_resolution(&for_fcr, fcr_window_days);
    let teams = config.team_of_agent();
    let mut out: Vec<DriverContact> = (0..df.height())
        .map(|i| DriverContact {
            id: ids[i].clone(),
            categories: categories[i].clone(),
            channel: channels[i].clone(),
            queue: queues[i].clone().filter(|q| !q.is_empty()),
            team: agents[i]
                .as_deref()
                .and_then(|a| teams.get(a))
                .map(|t| t.to_string()),
            repeat: repeat[i].unwrap_or(false),
            wait_band: wait[i]
                .filter(|_| sla_channels.contains(&channels[i]))
                .map(|w| wait_band(w, sla_seconds)),
            csat: csat[i],
            fcr: fcr[i],
            duration_s: duration[i],
        })
        .collect();
    // The scan's row order follows the partitions; the analysis's sums must not.
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_and_newcombe_match_the_hand_computed_values() {
        // Newcombe (1998), Statistics in Medicine 17, table II, example (e): 56/70
        // against 48/80 gives 0.0524 to 0.3339 by method 10.
        let (l, u) = wilson(56.0, 70.0);
        assert!(close(l, 0.6918, 1e-4) && close(u, 0.8770, 1e-4), "{l} {u}");
        let i = share_difference(56.0, 70.0, 48.0, 80.0);
        assert!(close(i.diff, 0.2, 1e-12));
        assert!(
            close(i.low, 0.0524, 1e-4) && close(i.high, 0.3339, 1e-4),
            "{i:?}"
        );
        assert!(i.significant());
    }

    #[test]
    fn t_quantiles_are_those_of_the_tables() {
        assert!(close(t975(10.0), 2.2281, 1e-3));
        assert!(close(t975(30.0), 2.0423, 1e-4));
        assert!(close(t975(100.0), 1.9840, 1e-4));
    }

    #[test]
    fn wait_bands_follow_the_sla_threshold() {
        assert_eq!(wait_band(20, 20), "≤20 秒");
        assert_eq!(wait_band(21, 20), "21–60 秒");
        assert_eq!(wait_band(180, 20), "61–180 秒");
        assert_eq!(wait_band(181, 20), ">180 秒");
        assert_eq!(wait_band(100, 90), "91–180 秒");
        let mut bands = [">180 秒", "21–60 秒", "≤20 秒", "61–180 秒"];
        bands.sort_by_key(|b| band_order(b));
        assert_eq!(bands, ["≤20 秒", "21–60 秒", "61–180 秒", ">180 秒"]);
    }

    fn contact(id: usize, category: &str, csat: u32, duration: u32) -> DriverContact {
        DriverContact {
            id: format!("C{id:05}"),
            categories: vec![category.to_string()],
            channel: "voice".into(),
            csat: Some(csat),
            duration_s: Some(duration),
            ..Default::default()
        }
    }

    /// 40 contacts of 账单: 10 satisfied (4), 30 not (2), AHT 300 or 500; 60 of 网络:
    /// 48 satisfied (5), 12 at 3, AHT 200 or 400.
    fn fixture() -> Vec<DriverContact> {
        let mut v = Vec::new();
        for i in 0..40 {
            v.push(contact(
                i,
                "账单",
                if i < 10 { 4 } else { 2 },
                if i % 2 == 0 { 300 } else { 500 },
            ));
        }
        for i in 40..100 {
            v.push(contact(
                i,
                "网络",
                if i < 88 { 5 } else { 3 },
                if i % 2 == 0 { 200 } else { 400 },
            ));
        }
        v
    }

    #[test]
    fn a_small_fixture_gives_the_hand_computed_differences() {
        let d = analyse(&fixture(), false);
        let bill = d.factors.iter().find(|f| f.value == "账单").unwrap();
        assert_eq!(bill.contacts, 40);
        let csat = bill
            .effects
            .iter()
            .find(|e| e.outcome == Outcome::Csat)
            .unwrap();
        // 10/40 = 0.25 against 48/60 = 0.80: −0.55. Wilson 10/40: 0.1419–0.4019;
        // 48/60: 0.6822–0.8817. Low = −0.55 − √(0.1081² + 0.0817²) = −0.6855;
        // high = −0.55 + √(0.1519² + 0.1178²) = −0.3577.
        let i = csat.interval.unwrap();
        assert!(close(i.diff, -0.55, 1e-12));
        assert!(
            close(i.low, -0.6855, 1e-4) && close(i.high, -0.3577, 1e-4),
            "{i:?}"
        );
        assert_eq!(csat.rank, Some(1));
        assert!(close(csat.impact().unwrap(), -22.0, 1e-9));
        // AHT: 400 (sd 101.30, n 40) against 300 (sd 100.84, n 60): diff 100,
        // se = √(101.27²/40 + 100.84²/60) = 20.637, df = 83.49, t = 1.9887: ±41.04.
        let aht = bill
            .effects
            .iter()
            .find(|e| e.outcome == Outcome::Aht)
            .unwrap();
        let i = aht.interval.unwrap();
        assert!(close(i.diff, 100.0, 1e-9));
        assert!(
            close(i.low, 58.96, 0.02) && close(i.high, 141.04, 0.02),
            "{i:?}"
        );
        // DSAT: 30/40 against 0/60; the 网络 side of CSAT is the mirror image.
        let dsat = bill
            .effects
            .iter()
            .find(|e| e.outcome == Outcome::Dsat)
            .unwrap();
        assert!(close(dsat.interval.unwrap().diff, 0.75, 1e-12));
        let net = d.factors.iter().find(|f| f.value == "网络").unwrap();
        let net_csat = net
            .effects
            .iter()
            .find(|e| e.outcome == Outcome::Csat)
            .unwrap();
        assert!(close(net_csat.interval.unwrap().diff, 0.55, 1e-12));
        assert_eq!(net_csat.rank, None, "favourable effects are not ranked");
        // Both categories in one model: R² = 0.55² × 0.4 × 0.6 / (0.58 × 0.42).
        let model = d
            .models
            .iter()
            .find(|m| m.outcome == Outcome::Csat)
            .unwrap();
        assert!(close(model.r2, 0.0726 / 0.2436, 1e-6), "{}", model.r2);
        let sum: f64 = model.groups.iter().map(|g| g.r2).sum();
        assert!(close(sum, model.r2, 1e-9));
    }

    #[test]
    fn a_queue_that_is_one_channel_is_ranked_once() {
        let mut v = fixture();
        for c in &mut v {
            // 账单 contacts come by chat through the online queue, the others by voice.
            let chat = c.categories[0] == "账单";
            c.channel = if chat { "chat" } else { "voice" }.into();
            c.queue = Some(if chat { "在线客服" } else { "普通话务" }.into());
        }
        let d = analyse(&v, false);
        let aht: Vec<&str> = d
            .ranked(Outcome::Aht)
            .iter()
            .map(|(f, _)| f.value.as_str())
            .collect();
        assert_eq!(
            aht,
            ["账单"],
            "the chat channel and its queue are the 账单 contacts again"
        );
        let queue = d.factors.iter().find(|f| f.value == "在线客服").unwrap();
        let e = queue
            .effects
            .iter()
            .find(|e| e.outcome == Outcome::Aht)
            .unwrap();
        assert!(e.adverse() && e.rank.is_none());
    }

    #[test]
    fn small_groups_get_no_estimate() {
        let mut v = fixture();
        v.truncate(60); // 40 账单, 20 网络: the 网络 side is under 30
        let d = analyse(&v, false);
        let bill = d.factors.iter().find(|f| f.value == "账单").unwrap();
        assert!(bill.effects.iter().all(|e| e.interval.is_none()));
        assert!(d.models.is_empty());
    }

    /// A deterministic generator (xorshift) of a center's contacts.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn a_planted_driver_is_ranked_first() {
        let categories = [
            "网络/断网",
            "账单/乱扣费",
            "套餐/变更",
            "宽带/装机",
            "服务/态度",
        ];
        let channels = ["voice", "chat", "wechat"];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let contacts: Vec<DriverContact> = (0..6000)
            .map(|i| {
                let category = categories[rng.below(5) as usize];
                let channel = channels[rng.below(3) as usize];
                // Scores 2–5, mostly 4; the planted category one point lower.
                let mut score = [2, 3, 4, 4, 5, 5][rng.below(6) as usize];
                if category == "账单/乱扣费" {
                    score -= 1;
                }
                DriverContact {
                    id: format!("C{i:05}"),
                    categories: vec![category.to_string()],
                    channel: channel.to_string(),
                    queue: Some(format!("{channel}-q{}", rng.below(2))),
                    repeat: rng.below(10) == 0,
                    wait_band: Some(wait_band(rng.below(120) as u32, 20)),
                    csat: (rng.below(3) > 0).then_some(score),
                    fcr: Some(rng.below(4) > 0),
                    duration_s: Some(200 + rng.below(400) as u32),
                    ..Default::default()
                }
            })
            .collect();
        let d = analyse(&contacts, false);
        let csat = d.ranked(Outcome::Csat);
        assert_eq!(csat[0].0.value, "账单/乱扣费", "{csat:?}");
        let model = d
            .models
            .iter()
            .find(|m| m.outcome == Outcome::Csat)
            .unwrap();
        let top = model
            .groups
            .iter()
            .max_by(|a, b| a.r2.total_cmp(&b.r2))
            .unwrap();
        assert_eq!(top.group, FactorGroup::Category);
        assert!(!d.verbatims.is_empty() && d.verbatims[0].ids.len() == VERBATIM_CANDIDATES);
    }
}
