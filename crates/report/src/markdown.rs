//! The Markdown report: the same sections as the HTML one, with GitHub pipe tables in
//! place of the charts. Every piece of input text goes through [`escape_md`](crate::format::escape_md).

use std::fmt::Result;

use crate::model::ReportInput;
use crate::sections;
use crate::view::View;

/// Renders the whole report as Markdown.
pub fn render_markdown(input: &ReportInput) -> String {
    let mut out = String::with_capacity(16 * 1024);
    write_document(&View::new(input), &mut out).expect("writing to a String cannot fail");
    out
}

fn write_document(view: &View, out: &mut String) -> Result {
    for (section, heading) in sections::with_headings(view) {
        section.markdown(view, &heading, out)?;
    }
    Ok(())
}
