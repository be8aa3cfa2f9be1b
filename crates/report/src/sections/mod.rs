//! The report's sections, one module each, and [`SECTIONS`], their order: the one list
//! the HTML, Markdown and XLSX writers walk (and that claims every key of the JSON).
//!
//! A section gives its heading, its document body in HTML and Markdown (tables, charts,
//! prose), its tables (which are also its workbook sheets), its executive-summary
//! findings, its recommendations and its method notes. Adding a section is one module
//! plus one entry in [`SECTIONS`].
//!
//! A trait object list rather than an enum: each section is a unit struct whose whole
//! behaviour lives in its own file, and the list is the only place that names them all.

use std::fmt::Result;

use crate::model::{Recommendation, ReportInput};
use crate::table::Table;
use crate::view::View;

mod advice;
mod appendix;
mod cost;
mod discovery;
mod drivers;
mod emerging;
mod ending_worse;
mod forecast;
mod kpi;
mod overview;
mod risk;
mod sentiment;
mod topics;
mod volume;

pub(crate) use appendix::quality_note;

/// The sections in the order the report shows them.
pub(crate) const SECTIONS: &[&dyn Section] = &[
    &overview::Overview,
    &volume::Volume,
    &topics::Topics,
    &emerging::Emerging,
    &discovery::Discovery,
    &sentiment::Sentiment,
    &ending_worse::EndingWorse,
    &risk::Risk,
    &kpi::Kpi,
    &forecast::Forecast,
    &drivers::Drivers,
    &cost::Cost,
    &advice::Advice,
    &appendix::Appendix,
];

/// Where a section's findings and recommendations go in the executive summary and the
/// recommendations: the headline numbers first, then what needs acting on now, then
/// the rest in the order of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Priority {
    Headline,
    Urgent,
    Routine,
}

/// One section of the report. Bodies write their own `<section>` element (HTML) or
/// heading (Markdown) with the numbered heading they are given.
pub(crate) trait Section: Sync {
    /// The id of its HTML `<section>` element, e.g. `volume`.
    fn id(&self) -> &'static str;
    /// Its heading without the number, e.g. `话务量与投诉率趋势`.
    fn title(&self) -> &'static str;
    /// Whether its heading is numbered (一、二、…).
    fn numbered(&self) -> bool {
        true
    }
    /// Whether the report shows it (a KPI section needs targets).
    fn present(&self, _view: &View) -> bool {
        true
    }
    fn priority(&self) -> Priority {
        Priority::Routine
    }
    /// The keys of the report's JSON (fields of [`ReportInput`]) whose data it shows;
    /// a test holds every key to one section.
    #[cfg_attr(not(test), allow(dead_code))]
    fn input_fields(&self) -> &'static [&'static str];
    /// Its tables in the order it shows them: each is a sheet of the workbook.
    fn tables(&self, view: &View) -> Vec<Table>;
    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result;
    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result;
    /// Its sentences of the executive summary (执行摘要).
    fn findings(&self, _view: &View) -> Vec<String> {
        Vec::new()
    }
    /// Its recommendations as `(owning department, item)`.
    fn recommendations(&self, _view: &View) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Its notes for the appendix's 方法说明, beyond the appendix's own.
    fn methods(&self, _view: &View) -> Vec<String> {
        Vec::new()
    }
}

const NUMERALS: [&str; 9] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// A heading number in Chinese: 一 … 十, 十一 … 十九, 二十 … (up to 99).
fn numeral(n: usize) -> String {
    let digit = |d: usize| NUMERALS.get(d.wrapping_sub(1)).copied().unwrap_or("");
    match (n / 10, n % 10) {
        (0, units) => digit(units).to_string(),
        (1, units) => format!("十{}", digit(units)),
        (tens, units) => format!("{}十{}", digit(tens), digit(units)),
    }
}

/// The sections the report shows, each with its heading: numbered in order among the
/// numbered ones present (`七、KPI 指标达成`), the title alone otherwise.
pub(crate) fn with_headings<'a>(
    view: &'a View,
) -> impl Iterator<Item = (&'static dyn Section, String)> + 'a {
    let mut number = 0;
    SECTIONS
        .iter()
        .copied()
        .filter(|s| s.present(view))
        .map(move |s| {
            let heading = if s.numbered() {
                number += 1;
                format!("{}、{}", numeral(number), s.title())
            } else {
                s.title().to_string()
            };
            (s, heading)
        })
}

/// The present sections by [`Priority`], in report order within one priority.
fn by_priority(view: &View) -> Vec<&'static dyn Section> {
    let mut sections: Vec<&'static dyn Section> = SECTIONS
        .iter()
        .copied()
        .filter(|s| s.present(view))
        .collect();
    sections.sort_by_key(|s| s.priority());
    sections
}

/// The executive-summary (执行摘要) findings: one sentence each for volume, every top
/// emerging issue, the largest and fastest-rising complaint themes, sentiment and risk,
/// then the KPI scorecard and the forecast when the report has them.
pub fn findings(input: &ReportInput) -> Vec<String> {
    let view = View::new(input);
    by_priority(&view)
        .into_iter()
        .flat_map(|s| s.findings(&view))
        .collect()
}

/// Recommendations (建议) grouped by owning department, in order of first mention:
/// emerging issues first (by rank), then the fastest-rising complaint categories not
/// already covered, then the watch list and the KPIs off target for the contact
/// center's own team.
pub fn recommendations(input: &ReportInput) -> Vec<Recommendation> {
    let view = View::new(input);
    let mut groups: Vec<Recommendation> = Vec::new();
    for (owner, item) in by_priority(&view)
        .into_iter()
        .flat_map(|s| s.recommendations(&view))
    {
        let owner = crate::format::owner_label(&owner);
        match groups.iter_mut().find(|g| g.owner == owner) {
            Some(g) => g.items.push(item),
            None => groups.push(Recommendation {
                owner: owner.to_string(),
                items: vec![item],
            }),
        }
    }
    groups
}

/// Every table of the report, in order: the workbook's sheets.
pub(crate) fn tables(view: &View) -> Vec<Table> {
    SECTIONS
        .iter()
        .filter(|s| s.present(view))
        .flat_map(|s| s.tables(view))
        .collect()
}

/// The method notes the sections add to the appendix, in report order.
pub(crate) fn methods(view: &View) -> Vec<String> {
    SECTIONS
        .iter()
        .filter(|s| s.present(view))
        .flat_map(|s| s.methods(view))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_json_key_belongs_to_one_section() {
        // The full input with the section shown only when the pipeline discovers.
        let mut input = crate::testing::full_input();
        input.discovery = Some(crate::testing::sample_discovery());
        let json = serde_json::to_value(input).unwrap();
        let mut claimed: Vec<&str> = SECTIONS
            .iter()
            .flat_map(|s| s.input_fields())
            .copied()
            .collect();
        claimed.sort_unstable();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(claimed, keys);
    }

    #[test]
    fn numerals_go_past_ten() {
        let n: Vec<String> = [1, 10, 11, 19, 20, 23].into_iter().map(numeral).collect();
        assert_eq!(n, ["一", "十", "十一", "十九", "二十", "二十三"]);
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<&str> = SECTIONS.iter().map(|s| s.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SECTIONS.len());
    }
}
