use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The query: words (all required), "quoted phrases", OR, NOT, field:value
    query: String,
    /// The index folder written by `voc run` (<output>/index)
    #[arg(long, default_value = "out/demo/index")]
    index: PathBuf,
    /// How many hits to show
    #[arg(long, short = 'n', default_value_t = 10)]
    limit: usize,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let index = voc_index::ContactIndex::open(&args.index)?;
    let results = index.search(&args.query, args.limit)?;
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{} hits for {:?}", results.total, results.query)?;
        for (i, hit) in results.hits.iter().enumerate() {
            writeln!(
                out,
                "{:>3}. {}  {}  {} {} {}  [{}]  {}",
                i + 1,
                hit.id,
                hit.started_at.get(..16).unwrap_or(&hit.started_at).replace('T', " "),
                hit.channel,
                hit.region,
                hit.business,
                hit.categories.join(", "),
                hit.sentiment
            )?;
            writeln!(out, "     {}", hit.snippet_text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
