use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;
use voc_core::Period;
use voc_discover::{DiscoverOptions, Discovery, Seeding, Side, Topic};

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    voc discover pipelines/demo/weekly.toml --period 2026-W46\n  \
    voc discover pipelines/demo/weekly.toml --period 2026-11 --topics 12 --json\n\n\
    Groups the period's contacts into topics from their stored tokens, without the \
    taxonomy: each with a label of its most distinctive phrases, size, sentiment, top \
    regions and channels, the categories it overlaps and three representative (masked) \
    verbatims; small themes of a few contacts beside them. Topics keep their id from \
    period to period and are compared with the previous period (新出现/上升/下降/平稳). \
    Topics living mostly in contacts no category matched are listed first. Writes \
    <output>/tables/discover/<period>/topics.{json,csv}, assignments.csv and the known \
    topics <output>/tables/discover/topics.json. The same history and seed give the same \
    topics.")]
pub(crate) struct Args {
    /// The pipeline file, e.g. pipelines/demo/weekly.toml
    pipeline: PathBuf,
    /// An ISO week (2026-W45), a month (2026-11) or a date range (2026-10-01..2026-10-31)
    #[arg(long, value_parser = parse_period)]
    period: Period,
    /// The output folder whose history is read, as given to `voc run --out`; the
    /// pipeline's [output] dir if not given
    #[arg(long)]
    out: Option<PathBuf>,
    /// Which turns make a contact's text: the customer's (and work-order notes), or all
    #[arg(long, value_enum, default_value = "customer")]
    side: SideArg,
    /// Number of topics; 0 picks √(contacts ÷ 25), between 2 and 30
    #[arg(long, default_value_t = 0)]
    topics: usize,
    /// Seed of the topics' initialisation: the same seed, the same topics
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How the topics' k-means starts: from a spectral partition of the contacts'
    /// nearest-neighbour graph (agrees best with labelled classes), or k-means++
    #[arg(long, value_enum, default_value = "spectral")]
    seeding: SeedingArg,
    /// Print the discovery as JSON instead of a table
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SeedingArg {
    Spectral,
    #[value(name = "kmeans++")]
    KMeansPlusPlus,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SideArg {
    Customer,
    All,
}

fn parse_period(s: &str) -> Result<Period, String> {
    Period::parse(s).map_err(|e| e.to_string())
}

pub(crate) fn run(args: Args, quiet: bool) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(&args.pipeline)?;
    let options = DiscoverOptions {
        side: match args.side {
            SideArg::Customer => Side::Customer,
            SideArg::All => Side::All,
        },
        topics: args.topics,
        seed: args.seed,
        seeding: match args.seeding {
            SeedingArg::Spectral => Seeding::Spectral,
            SeedingArg::KMeansPlusPlus => Seeding::KMeansPlusPlus,
        },
        ..DiscoverOptions::default()
    };
    let summary = voc_pipeline::discover::discover(&pipeline, &args.period, &options, args.out)?;
    for warning in &summary.warnings {
        eprintln!("warning: {warning}");
    }
    if args.json {
        let mut value = serde_json::to_value(&summary.discovery)?;
        value["seconds"] = serde_json::json!(summary.seconds);
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if !quiet {
        print_table(&summary.discovery, summary.seconds);
        if let Some(dir) = summary.files.first().and_then(|f| f.parent()) {
            println!("  files     {}", super::shown_path(dir));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn top(shares: &[voc_discover::Share]) -> String {
    shares
        .iter()
        .take(2)
        .map(|s| format!("{} {}", s.value, percent(s.share)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_topic(t: &Topic) {
    let previous = t
        .previous_size
        .map(|p| format!(" (前期 {p})"))
        .unwrap_or_default();
    println!(
        "  {}  {:<6} {:>6} {:>6}{previous}  {}",
        t.id,
        t.status.label_zh(),
        t.size,
        percent(t.share),
        t.label
    );
    println!(
        "         未归类 {}  负面 {}  地区 {}  渠道 {}  类别 {}",
        percent(t.uncategorised_share),
        percent(t.negative_share),
        top(&t.regions),
        top(&t.channels),
        if t.categories.is_empty() {
            "—".to_string()
        } else {
            top(&t.categories)
        }
    );
    for v in &t.verbatims {
        println!("         “{}”", v.text);
    }
}

fn print_table(d: &Discovery, seconds: f64) {
    println!(
        "voc discover: {} ({} to {}), {} contacts in {:.2} s",
        d.period, d.first_day, d.last_day, d.contacts, seconds
    );
    println!(
        "  compared with {}",
        d.previous_period
            .as_deref()
            .unwrap_or("nothing (the history does not hold the previous period)")
    );
    println!(
        "  no category matched {} contacts ({}); in no topic {} ({})",
        d.uncategorised,
        percent(d.uncategorised_share),
        d.unassigned,
        percent(d.unassigned_share)
    );
    println!("\n  topics (those mostly outside the taxonomy first)");
    for t in &d.topics {
        print_topic(t);
    }
    if !d.themes.is_empty() {
        println!("\n  small themes");
        for t in &d.themes {
            print_topic(t);
        }
    }
    if !d.gone.is_empty() {
        println!(
            "\n  gone since {}",
            d.previous_period.as_deref().unwrap_or("")
        );
        for g in &d.gone {
            println!("  {}  {} (前期 {})", g.id, g.label, g.previous_size);
        }
    }
}
