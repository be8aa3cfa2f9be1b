//! 建议: the recommendations of every section, grouped by the department that owns
//! them (see [`crate::recommendations`]).

use std::fmt::{Result, Write};

use super::Section;
use crate::format::{escape_html, escape_md};
use crate::table::Table;
use crate::view::View;

/// Department that acts on the watch list and the KPIs: the contact center itself, not
/// the client.
pub(crate) const CENTER_OWNER: &str = "客服运营团队";

pub(crate) struct Advice;

impl Section for Advice {
    fn id(&self) -> &'static str {
        "advice"
    }

    fn title(&self) -> &'static str {
        "建议"
    }

    /// Derived from the other sections' data; nothing of its own in the input.
    fn input_fields(&self) -> &'static [&'static str] {
        &[]
    }

    fn tables(&self, _view: &View) -> Vec<Table> {
        Vec::new()
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let esc = escape_html;
        writeln!(out, r#"<section id="{}">"#, Advice.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        let groups = crate::recommendations(view.input);
        if groups.is_empty() {
            writeln!(out, "<p>本期无需要特别跟进的事项。</p>")?;
        }
        for g in &groups {
            writeln!(out, r#"<div class="dept">"#)?;
            writeln!(out, "<h3>{}</h3>", esc(&g.owner))?;
            writeln!(out, "<ul>")?;
            for item in &g.items {
                writeln!(out, "<li>{}</li>", esc(item))?;
            }
            writeln!(out, "</ul>")?;
            writeln!(out, "</div>")?;
        }
        writeln!(out, "</section>")
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let esc = escape_md;
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        let groups = crate::recommendations(view.input);
        if groups.is_empty() {
            writeln!(out, "本期无需要特别跟进的事项。")?;
            return writeln!(out);
        }
        for g in &groups {
            writeln!(out, "### {}", esc(&g.owner))?;
            writeln!(out)?;
            for item in &g.items {
                writeln!(out, "- {}", esc(item))?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}
