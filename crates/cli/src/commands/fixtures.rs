use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Generate seeded demo contacts (JSON Lines) and a ground-truth file beside them
    Generate {
        /// Number of contacts (the bundled demo has 20,000: about 2,000 a week)
        #[arg(long, default_value_t = 20_000)]
        contacts: usize,
        /// Number of ISO weeks, ending with --end-week
        #[arg(long, default_value_t = 10)]
        weeks: u32,
        /// Random seed; the same seed gives byte-identical output
        #[arg(long, default_value_t = 20261123)]
        seed: u64,
        /// Last ISO week of the data
        #[arg(long, default_value = "2026-W46")]
        end_week: String,
        /// Output file (.jsonl); the ground truth goes to the same name with .truth.json
        #[arg(long)]
        out: PathBuf,
    },
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Generate {
            contacts,
            weeks,
            seed,
            end_week,
            out,
        } => {
            let config = voc_fixtures::GeneratorConfig {
                contacts,
                weeks,
                seed,
                end_week,
            };
            voc_fixtures::generate_to_path(&config, &out)
                .with_context(|| format!("cannot generate {}", out.display()))?;
            println!(
                "wrote {contacts} contacts to {} and ground truth to {}",
                out.display(),
                voc_fixtures::truth_path_for(&out).display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
