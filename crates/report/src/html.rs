//! The self-contained HTML report: one file with its CSS inline and its charts as inline
//! SVG, so it opens offline, can be mailed as an attachment and prints cleanly to A4.
//! This is the document's shell; each section writes its own body. Every piece of input
//! text goes through [`escape_html`](crate::format::escape_html).

use std::fmt::{Result, Write};

use crate::format::escape_html as esc;
use crate::model::ReportInput;
use crate::sections;
use crate::view::View;

const STYLE: &str = r#"
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #1f5fa8;
  --soft: #f5f7fa; --up: #c0392b; --down: #1e8449; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #fff; color: var(--ink); font-size: 15px; line-height: 1.7;
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 32px 24px 48px; }
.cover { border-bottom: 3px solid var(--accent); padding-bottom: 16px; margin-bottom: 8px; }
.cover .kicker { color: var(--accent); font-weight: 600; margin: 0; letter-spacing: .1em; }
.cover h1 { font-size: 30px; margin: 4px 0 12px; }
.cover dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
.cover dt { color: var(--muted); }
.cover dd { margin: 0; }
code { font-family: "Noto Sans Mono CJK SC", Consolas, monospace; font-size: .9em; }
h2 { font-size: 20px; margin: 32px 0 12px; padding-left: 10px; border-left: 4px solid var(--accent); }
h3 { font-size: 16px; margin: 20px 0 8px; }
.findings li { margin-bottom: 6px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 12px 0 16px; }
.card { background: var(--soft); border-radius: 6px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .delta { font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
/* Short cells (dates, regions, ids, statuses) never wrap one character per line. */
.nw { white-space: nowrap; }
.up { color: var(--up); }
.down { color: var(--down); }
.ok { color: var(--down); }
.warn { color: #b7791f; }
.bad { color: var(--up); }
.muted { color: var(--muted); }
figure { margin: 12px 0; }
figure svg { display: block; width: 100%; height: auto; }
svg text { font-family: inherit; }
figcaption { color: var(--muted); font-size: 13px; text-align: center; }
.issue { border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px 12px; margin: 12px 0; }
.issue .meta { color: var(--muted); font-size: 14px; }
blockquote { margin: 8px 0; padding: 6px 12px; background: var(--soft); border-left: 3px solid var(--accent); }
blockquote p { margin: 0; }
blockquote footer { color: var(--muted); font-size: 12px; }
.dept { margin: 8px 0; }
.dept h3 { margin-bottom: 4px; }
.appendix { font-size: 14px; }
@page { size: A4; margin: 16mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2, h3 { break-after: avoid; page-break-after: avoid; break-inside: avoid; }
  /* The block after a heading stays with it, so no heading ends a page. */
  h2 + *, h3 + *, h2 + p + *, h3 + p + * { break-before: avoid; page-break-before: avoid; }
  /* Long tables break between rows (a table kept whole left pages half empty); small
     blocks stay whole. */
  figure, blockquote, .issue, .cards, .dept, .cover { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  table { font-size: 9.5pt; }
  th, td { padding: 4px 6px; }
}
"#;

/// Renders the whole report as one HTML document.
pub fn render_html(input: &ReportInput) -> String {
    let mut out = String::with_capacity(64 * 1024);
    write_document(&View::new(input), &mut out).expect("writing to a String cannot fail");
    out
}

fn write_document(view: &View, out: &mut String) -> Result {
    let input = view.input;
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, r#"<html lang="zh-CN">"#)?;
    writeln!(out, "<head>")?;
    writeln!(out, r#"<meta charset="utf-8">"#)?;
    writeln!(
        out,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#
    )?;
    writeln!(
        out,
        "<title>{} · {} · {}</title>",
        esc(view.title()),
        esc(&input.client),
        esc(&input.period)
    )?;
    writeln!(out, "<style>{STYLE}</style>")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<main>")?;
    for (section, heading) in sections::with_headings(view) {
        section.html(view, &heading, out)?;
    }
    writeln!(out, "</main>")?;
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")
}
