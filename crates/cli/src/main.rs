//! `voc`: the command-line front of the VOC pipeline. Only argument parsing and
//! printing live here; the work is done by the stage crates.

mod commands;
mod logging;

/// mimalloc: glibc malloc took about a fifth of a run's CPU time (tokens, index
/// documents and Parquet buffers are many small short-lived allocations).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "voc",
    version,
    about = "Voice-of-customer analytics for Chinese call-center text (客户之声分析)",
    long_about = "Voice-of-customer analytics for Chinese call-center text (客户之声分析).\n\n\
        Reads contact transcripts and work orders (工单), masks PII, segments with jieba, \
        classifies against a complaint taxonomy (投诉分类), indexes everything for search \
        and writes the value-analysis report (价值分析报告).\n\n\
        Start with:  voc run pipelines/demo/weekly.toml\n\
        Your own data:  voc init my_export.csv  (then voc check / voc run the pipeline it writes)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log more to stderr: each stage's span and time (-v), details (-vv), everything (-vvv).
    /// RUST_LOG, in tracing's filter syntax, overrides it
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Print nothing but errors: no summary, no progress, no warnings
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// How log lines are written: text, or one JSON object a line (for schedulers)
    #[arg(long, global = true, value_enum, default_value_t)]
    log_format: logging::LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Run every stage of a pipeline file: ingest, segment, classify, index, aggregate, report.
    Run(commands::run::Args),
    /// Scaffold a pipeline folder for your own export files (列映射, taxonomy, dictionaries) and check it.
    ///
    /// Sniffs each file's format, encoding (UTF-8 or GBK), sheet and columns, and writes
    /// weekly.toml (the column map, and for one-message-per-row exports the grouping and
    /// speaker map, each line with a `# guess:` comment saying why), a starter
    /// taxonomy.toml, userdict.txt and stopwords.txt. Never overwrites a weekly.toml.
    /// Then runs `voc check` on it; exits 1 when the check finds problems.
    Init(commands::init::Args),
    /// Dry-run ingest on a sample of every input: what would be accepted or quarantined (隔离), and why. Writes nothing.
    ///
    /// Per file: the format, encoding and sheet read, the headers, which column fills which
    /// field, how many records would be accepted or quarantined, the most frequent reasons
    /// with a masked example, channel and speaker values voc does not know. Exits 1 when the
    /// sample's quarantine share is above [input] max_quarantine_rate, a column mapping does
    /// not fit its file, or a file cannot be read.
    Check(commands::check::Args),
    /// Write the report of any week, month or date range from the stored history.
    Report(commands::report::Args),
    /// Find the topics of a period without the taxonomy (主题发现): new, growing, outside the categories.
    Discover(commands::discover::Args),
    /// Search the contact index built by `voc run`.
    Search(commands::search::Args),
    /// Serve the search page and JSON API over an index (127.0.0.1:8080 by default).
    Serve(commands::serve::Args),
    /// Work with the complaint taxonomy (投诉分类) of a pipeline.
    #[command(subcommand)]
    Taxonomy(commands::taxonomy::Command),
    /// Generate realistic demo data.
    #[command(subcommand)]
    Fixtures(commands::fixtures::Command),
    /// Apply an edited taxonomy to the stored history (from stored tokens) and show what moved.
    ///
    /// With --resegment, after a dictionary or segmenter setting changed: cut the stored
    /// masked text again (no input file), reclassify, rewrite the history and rebuild the index.
    Retag(commands::retag::Args),
    /// Show how a text (or every line of a file) is cut into words, for dictionary work.
    Segment(commands::segment::Args),
    /// Maintain the search index: rebuild it from the stored history.
    #[command(subcommand)]
    Index(commands::index::Command),
    /// Maintain the stored history: upgrade one written by an earlier version of voc.
    #[command(subcommand)]
    History(commands::history::Command),
    /// Train, evaluate and try sentiment scoring (lexicon and trained model).
    #[command(subcommand)]
    Sentiment(commands::sentiment::Command),
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let verbosity = if cli.quiet {
        -1
    } else {
        cli.verbose.min(3) as i8
    };
    logging::init(verbosity, cli.log_format);
    let result = match cli.command {
        Command::Run(args) => commands::run::run(args, cli.quiet),
        Command::Init(args) => commands::init::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Report(args) => commands::report::run(args, cli.quiet),
        Command::Discover(args) => commands::discover::run(args, cli.quiet),
        Command::Search(args) => commands::search::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Taxonomy(cmd) => commands::taxonomy::run(cmd),
        Command::Fixtures(cmd) => commands::fixtures::run(cmd),
        Command::Retag(args) => commands::retag::run(args),
        Command::Segment(args) => commands::segment::run(args),
        Command::Index(cmd) => commands::index::run(cmd),
        Command::History(cmd) => commands::history::run(cmd),
        Command::Sentiment(cmd) => commands::sentiment::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`voc search … | head`) is not an error.
            if err.chain().any(is_broken_pipe) {
                return ExitCode::SUCCESS;
            }
            let message = err.to_string();
            eprintln!("error: {message}");
            // Library errors often already quote their cause; print only what is new.
            for cause in err.chain().skip(1).map(|c| c.to_string()) {
                if !message.contains(&cause) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(2)
        }
    }
}

/// A write to a pipe its reader closed, directly or inside a JSON writer's error
/// (`voc search --json | head`).
fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let pipe = std::io::ErrorKind::BrokenPipe;
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == pipe)
        || e.downcast_ref::<serde_json::Error>()
            .is_some_and(|e| e.io_error_kind() == Some(pipe))
}

/// Progress bars only on an interactive terminal, never in CI logs.
pub fn show_progress() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// `println!` panics when stdout is a pipe its reader closed (`voc taxonomy train … |
/// head`): the reader chose to stop, so voc stops quietly as it does for the same
/// error returned ([`is_broken_pipe`]).
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
