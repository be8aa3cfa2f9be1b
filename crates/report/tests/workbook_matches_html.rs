//! Issue 29 item 6: the workbook's sheets are the tables the HTML report shows. Both
//! are read back from the rendered bytes, independently of the code that wrote them:
//! the HTML's `<table>` elements by a small parser, the workbook by calamine (values)
//! and its cell styles (number formats). Every table of the document must be a sheet,
//! in the same order, with the same column labels and rows, and every cell must read
//! in Excel (its value under its number format) as it reads in the HTML — including
//! the `≤`/`≥` of a KPI's dynamic target. Sheets the document shows as cards, lists or
//! charts rather than tables (the overview, the verbatims …) may come in between.

use calamine::{Data, Reader, Xlsx};
use std::io::Cursor;

/// A table as the reader sees it: header labels and rows of cell texts.
#[derive(Debug, Clone, PartialEq)]
struct HtmlTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text of an element's inner HTML: tags dropped, entities decoded. A `<strong>`
/// part is the cell's value and what follows it a marker (`2026-W46`（本期）): the
/// workbook keeps the value alone, so it can be sorted and pivoted.
fn cell_text(inner: &str) -> String {
    let inner = match (inner.find("<strong>"), inner.find("</strong>")) {
        (Some(open), Some(close)) => &inner[open + "<strong>".len()..close],
        _ => inner,
    };
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    unescape(text.trim())
}

/// The inner HTML of every `<tag …>…</tag>` in `html`, in order (not nested).
fn elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        // `<th` must not match `<thead`: the tag name ends at `>` or a space.
        if !after.starts_with(['>', ' ']) {
            rest = after;
            continue;
        }
        let body_start = after.find('>').expect("a closed tag") + 1;
        let end = after.find(&close).expect("a closing tag");
        out.push(&after[body_start..end]);
        rest = &after[end + close.len()..];
    }
    out
}

fn html_tables(html: &str) -> Vec<HtmlTable> {
    elements(html, "table")
        .into_iter()
        .map(|table| {
            let header = elements(table, "th").into_iter().map(cell_text).collect();
            let body = elements(table, "tbody").into_iter().next().unwrap_or("");
            let rows = elements(body, "tr")
                .into_iter()
                .map(|tr| elements(tr, "td").into_iter().map(cell_text).collect())
                .collect();
            HtmlTable { header, rows }
        })
        .collect()
}

/// Splits a number format into its `;` sections, outside quoted literals.
fn sections(code: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in code.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&code[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&code[start..]);
    out
}

/// `x` as Excel shows it under `code`, for the formats a report uses: literals in
/// quotes, `#,##0.0` digit patterns, `%`, `yyyy-mm-dd`, up to three sections
/// (positive; negative shown without its sign; zero) and a `[<0.001]` condition.
fn excel_text(x: f64, code: &str) -> String {
    let code = unescape(code);
    if code.is_empty() || code == "General" {
        return format_general(x);
    }
    let parts = sections(&code);
    let (section, value) = match parts.as_slice() {
        [first, second, ..] if first.starts_with('[') => {
            let close = first.find(']').unwrap();
            let (op, bound) = first[1..close].split_at(1);
            let bound: f64 = bound.parse().unwrap();
            let holds = match op {
                "<" => x < bound,
                ">" => x > bound,
                _ => panic!("condition {op} in {code}"),
            };
            if holds {
                (&first[close + 1..], x)
            } else {
                (*second, x)
            }
        }
        [only] => (*only, x),
        [pos, neg] => {
            if x >= 0.0 {
                (*pos, x)
            } else {
                (*neg, -x)
            }
        }
        [pos, neg, zero, ..] => {
            if x > 0.0 {
                (*pos, x)
            } else if x < 0.0 {
                (*neg, -x)
            } else {
                (*zero, x)
            }
        }
        [] => unreachable!(),
    };
    render_section(value, section)
}

fn format_general(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

fn render_section(x: f64, section: &str) -> String {
    let percent = {
        let mut quoted = false;
        section.chars().any(|c| {
            if c == '"' {
                quoted = !quoted;
            }
            c == '%' && !quoted
        })
    };
    let value = if percent { x * 100.0 } else { x };
    let mut out = String::new();
    let mut chars = section.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                    out.push(q);
                }
            }
            '\\' => out.extend(chars.next()),
            '#' | '0' | ',' | '.' => {
                let mut pattern = String::from(c);
                while let Some(&p) = chars.peek() {
                    if matches!(p, '#' | '0' | ',' | '.') {
                        pattern.push(p);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push_str(&digits(value, &pattern));
            }
            'y' | 'm' | 'd' => {
                // A date pattern: the whole of `yyyy-mm-dd` (the only one reports use).
                let mut pattern = String::from(c);
                while let Some(&p) = chars.peek() {
                    if matches!(p, 'y' | 'm' | 'd' | '-') {
                        pattern.push(p);
                        chars.next();
                    } else {
                        break;
                    }
                }
                assert_eq!(pattern, "yyyy-mm-dd", "date format {section}");
                let date = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()
                    + chrono::Duration::days(x.floor() as i64);
                out.push_str(&date.format("%Y-%m-%d").to_string());
            }
            other => out.push(other),
        }
    }
    out
}

/// `x` under a digit pattern such as `#,##0.0`: its decimals and thousands separator.
fn digits(x: f64, pattern: &str) -> String {
    let decimals = pattern.split_once('.').map_or(0, |(_, f)| f.len());
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text.clone(), None),
    };
    let int = if pattern.contains(',') {
        let bytes: Vec<char> = int.chars().collect();
        let mut grouped = String::new();
        for (i, c) in bytes.iter().enumerate() {
            if i > 0 && (bytes.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(*c);
        }
        grouped
    } else {
        int
    };
    let sign = if x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{int}.{f}"),
        None => format!("{sign}{int}"),
    }
}

/// The texts a cell the workbook leaves empty may show in the HTML: a value that is
/// missing, or not a number.
fn reads_as_missing(text: &str) -> bool {
    text.is_empty() || text == "—" || text.starts_with("数据不足")
}

/// Each sheet as rows of the texts Excel shows.
fn workbook_sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<Option<String>>>)> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let styles = book.worksheet_style(&name).unwrap();
            let (height, width) = range.get_size();
            let (row0, col0) = range.start().unwrap_or((0, 0));
            let rows = (0..height)
                .map(|r| {
                    (0..width)
                        .map(|c| {
                            let pos = (row0 + r as u32, col0 + c as u32);
                            let code = styles
                                .get(pos)
                                .and_then(|s| s.number_format.as_ref())
                                .map(|f| f.format_code.clone())
                                .unwrap_or_default();
                            match range.get_value(pos) {
                                None | Some(Data::Empty) => None,
                                Some(Data::String(s)) => Some(s.clone()),
                                Some(Data::Float(x)) => Some(excel_text(*x, &code)),
                                Some(Data::Int(n)) => Some(excel_text(*n as f64, &code)),
                                Some(Data::DateTime(d)) => Some(excel_text(d.as_f64(), &code)),
                                Some(other) => Some(other.to_string()),
                            }
                        })
                        .collect()
                })
                .collect();
            (name, rows)
        })
        .collect()
}

/// Compares the document's tables with the workbook's sheets; returns the differences
/// and the names of the sheets compared.
fn differences(input: &voc_report::ReportInput) -> (Vec<String>, Vec<String>) {
    compare(
        &voc_report::render_html(input),
        &voc_report::render_xlsx(input).unwrap(),
    )
}

fn compare(html: &str, xlsx: &[u8]) -> (Vec<String>, Vec<String>) {
    let tables = html_tables(html);
    let sheets = workbook_sheets(xlsx);
    let mut problems = Vec::new();
    let mut compared = Vec::new();
    let mut next_sheet = 0;
    for (t, table) in tables.iter().enumerate() {
        // The next sheet with this header: the sheets in between are workbook-only.
        let found = sheets[next_sheet..].iter().position(|(_, rows)| {
            rows.first().is_some_and(|h| {
                h.iter()
                    .map(|c| c.clone().unwrap_or_default())
                    .collect::<Vec<_>>()
                    == table.header
            })
        });
        let Some(offset) = found else {
            problems.push(format!(
                "HTML table {t} ({:?}) has no sheet with its columns after sheet {next_sheet}",
                table.header
            ));
            continue;
        };
        let (name, rows) = &sheets[next_sheet + offset];
        next_sheet += offset + 1;
        compared.push(name.clone());
        if rows.len() - 1 != table.rows.len() {
            problems.push(format!(
                "{name}: {} rows, the HTML table has {}",
                rows.len() - 1,
                table.rows.len()
            ));
            continue;
        }
        for (r, (sheet_row, html_row)) in rows[1..].iter().zip(&table.rows).enumerate() {
            for (c, html_text) in html_row.iter().enumerate() {
                let shown = sheet_row.get(c).cloned().flatten();
                let same = match &shown {
                    Some(text) => text == html_text,
                    None => reads_as_missing(html_text),
                };
                if !same {
                    problems.push(format!(
                        "{name} row {} column {} ({}): workbook shows {shown:?}, HTML {html_text:?}",
                        r + 1,
                        c + 1,
                        table.header[c]
                    ));
                }
            }
        }
    }
    (problems, compared)
}

#[test]
fn every_table_of_the_document_is_a_sheet_that_reads_the_same() {
    let (problems, compared) = differences(&voc_report::testing::full_input());
    assert!(problems.is_empty(), "full input:\n{}", problems.join("\n"));
    // Every table of the full report, the KPI scorecard with its dynamic targets included.
    for sheet in [
        "话务量趋势",
        "投诉主题",
        "KPI达成",
        "KPI逐日",
        "排班测算",
        "数据质量",
    ] {
        assert!(
            compared.iter().any(|s| s == sheet),
            "{sheet} not compared: {compared:?}"
        );
    }
    let (problems, _) = differences(&voc_report::testing::sample_input());
    assert!(
        problems.is_empty(),
        "sample input:\n{}",
        problems.join("\n")
    );
}

/// A report a run wrote (`VOC_CHECK_REPORT_DIR=out/demo/report`), e.g. the demo's with
/// the sections of the day; skipped when the variable is unset.
#[test]
fn a_written_report_if_given() {
    let Some(dir) = std::env::var_os("VOC_CHECK_REPORT_DIR") else {
        eprintln!("VOC_CHECK_REPORT_DIR unset: no written report checked");
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let xlsx = std::fs::read(dir.join("report.xlsx")).unwrap();
    let (problems, compared) = compare(&html, &xlsx);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("{} sheets compared: {compared:?}", compared.len());
}

/// The reader itself: Excel's rendering of the formats the report uses.
#[test]
fn excel_formats_render_as_excel_shows_them() {
    assert_eq!(excel_text(1234.0, "#,##0"), "1,234");
    assert_eq!(excel_text(0.1234, "0.0%"), "12.3%");
    assert_eq!(excel_text(754.66, "#,##0.0\"‰\""), "754.7‰");
    let change = "\"▲ +\"0.0%;\"▼ -\"0.0%;\"持平\"";
    assert_eq!(excel_text(0.052, change), "▲ +5.2%");
    assert_eq!(excel_text(-0.05, change), "▼ -5.0%");
    assert_eq!(excel_text(0.0, change), "持平");
    let p = "[<0.001]\"p<0.001\";\"p=\"0.000";
    assert_eq!(excel_text(0.0002, p), "p<0.001");
    assert_eq!(excel_text(0.0123, p), "p=0.012");
    assert_eq!(excel_text(0.319, "\"≤ \"0.0%"), "≤ 31.9%");
    assert_eq!(excel_text(46_341.0, "yyyy-mm-dd"), "2026-11-15");
    assert_eq!(excel_text(-0.24, "#,##0.00"), "-0.24");
}

#[test]
fn the_html_reader_finds_tables_cells_and_markers() {
    let html = "<table>\n<thead><tr><th>周期</th><th class=\"num\">接触量</th></tr></thead>\n\
                <tbody>\n<tr><td class=\"nw\"><strong>2026-W46</strong>（本期）</td>\
                <td class=\"num up\">1,173</td></tr>\n<tr><td>a|&lt;b&gt;</td><td>—</td></tr>\n\
                </tbody>\n</table>";
    assert_eq!(
        html_tables(html),
        [HtmlTable {
            header: vec!["周期".into(), "接触量".into()],
            rows: vec![
                vec!["2026-W46".into(), "1,173".into()],
                vec!["a|<b>".into(), "—".into()]
            ],
        }]
    );
}
