use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use voc_index::{FacetCount, SearchRequest, Sort};

#[derive(clap::Args)]
#[command(after_help = "QUERY LANGUAGE:\n  \
    宽带 断网                      all words required (AND is the default)\n  \
    \"光猫指示灯一直闪红灯\"           a phrase (adjacent words, within one turn)\n  \
    断网 OR 掉线, NOT 表扬, -表扬     boolean operators; parentheses group\n  \
    customer:断网  agent:报障       what the customer / the agent said\n  \
    channel:voice region:广东 business:宽带 week:2026-W45 id:C20261102-000123\n  \
    category:网络质量               a category and its sub-categories (category:网络质量/宽带断网)\n  \
    risk:escalation sentiment:negative\n  \
    date:[2026-10-01 TO 2026-10-31]  date:2026-10  last:4w  last:30d\n  \
                                   (last: counts back from the newest contact in the index)\n\
    Traditional characters and full-width input are normalized like the indexed text.")]
pub(crate) struct Args {
    /// The query: words (all required), "quoted phrases", OR, NOT, field:value
    #[arg(default_value = "")]
    query: String,
    /// The index folder written by `voc run` (<output>/index)
    #[arg(long, default_value_os_t = super::demo_index())]
    index: PathBuf,
    /// How many hits to show
    #[arg(long, short = 'n', default_value_t = 10)]
    limit: usize,
    /// Skip this many hits first (for the next page)
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Order of hits: relevance (best match first) or time (newest first)
    #[arg(long, default_value = "relevance", value_parser = ["relevance", "time"])]
    sort: String,
    /// Also print facet counts: category, channel, region, week
    #[arg(long)]
    facets: bool,
    /// Write every hit (not only the page) to FILE.csv or FILE.xlsx
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Print JSON (hits and facets) instead of a table
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let index = voc_index::ContactIndex::open(&args.index)?;
    let mut request = SearchRequest::new(args.query.clone());
    request.limit = args.limit;
    request.offset = args.offset;
    request.sort = args.sort.parse::<Sort>().map_err(anyhow::Error::msg)?;
    request.facets = args.facets || args.json;
    let results = index.search_request(&request)?;
    if let Some(path) = &args.export {
        let exported = voc_serve::export::export_to_file(&index, &request, path)
            .with_context(|| format!("exporting to {}", path.display()))?;
        eprintln!(
            "exported {} of {} hits to {}",
            exported.rows,
            exported.total,
            path.display()
        );
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "{} hits for {:?}", results.total, results.query)?;
    // Channels, flags and sentiment as the search page and the exports name them.
    use voc_serve::export::{risk_label, sentiment_label};
    for (i, hit) in results.hits.iter().enumerate() {
        let mut tags = hit.categories.join(", ");
        for flag in &hit.risk {
            tags.push_str(&format!(" !{}", risk_label(flag)));
        }
        writeln!(
            out,
            "{:>3}. {}  {}  {} {} {}  [{}]  {}",
            results.offset + i + 1,
            hit.id,
            hit.started_at
                .get(..16)
                .unwrap_or(&hit.started_at)
                .replace('T', " "),
            index.channel_name(&hit.channel),
            hit.region,
            hit.business,
            tags.trim(),
            sentiment_label(&hit.sentiment)
        )?;
        writeln!(out, "     {}", hit.snippet_text)?;
    }
    let shown = results.offset + results.hits.len();
    if shown < results.total && !results.hits.is_empty() {
        writeln!(
            out,
            "… {} more (--offset {shown} for the next page)",
            results.total - shown
        )?;
    }
    if let Some(facets) = &results.facets {
        writeln!(out)?;
        print_facet(&mut out, "category", &facets.category, 20)?;
        let channels: Vec<FacetCount> = facets
            .channel
            .iter()
            .map(|c| FacetCount {
                value: index.channel_name(&c.value).to_string(),
                count: c.count,
            })
            .collect();
        print_facet(&mut out, "channel", &channels, 10)?;
        print_facet(&mut out, "region", &facets.region, 10)?;
        let weeks: Vec<FacetCount> = facets.week.clone();
        print_facet(&mut out, "week", &weeks, usize::MAX)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_facet(
    out: &mut impl Write,
    name: &str,
    counts: &[FacetCount],
    max: usize,
) -> std::io::Result<()> {
    let line: Vec<String> = counts
        .iter()
        .take(max)
        .map(|c| format!("{} {}", c.value, c.count))
        .collect();
    let more = counts.len().saturating_sub(max);
    let suffix = if more > 0 {
        format!(" … (+{more})")
    } else {
        String::new()
    };
    writeln!(out, "{name:>9}: {}{suffix}", line.join(" · "))
}
