//! Writes the sample report to the paths given: `render_sample OUT.html OUT.md`.
fn main() -> std::io::Result<()> {
    let input = voc_report::testing::sample_input();
    let mut args = std::env::args().skip(1);
    let html = args.next().unwrap_or_else(|| "sample.html".to_string());
    let md = args.next().unwrap_or_else(|| "sample.md".to_string());
    std::fs::write(html, voc_report::render_html(&input))?;
    std::fs::write(md, voc_report::render_markdown(&input))
}
