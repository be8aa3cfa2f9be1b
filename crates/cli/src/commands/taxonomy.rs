use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Run every category's must_match / must_not_match examples
    Test {
        /// The pipeline file whose taxonomy and dictionaries to use
        pipeline: PathBuf,
    },
}

pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Test { pipeline } => test(&pipeline),
    }
}

fn test(path: &std::path::Path) -> Result<ExitCode> {
    let pipeline = voc_pipeline::Pipeline::load(path)?;
    let (classifier, segmenter, _) = voc_pipeline::run::build_classifier(&pipeline)?;
    let tokenize = |t: &str| segmenter.cut(t);
    let (mut passed, mut failed) = (0, 0);
    for spec in classifier.taxonomy.specs() {
        for (example, should_match) in spec
            .must_match
            .iter()
            .map(|e| (e, true))
            .chain(spec.must_not_match.iter().map(|e| (e, false)))
        {
            let got = classifier.taxonomy.classify_text(example, &tokenize);
            if got.contains(&spec.id) == should_match {
                passed += 1;
            } else {
                failed += 1;
                let verb = if should_match { "should match" } else { "should NOT match" };
                println!("FAIL {}: {verb} {example:?}", spec.id);
                println!("     tokens: {}", tokenize(example).join(" | "));
                println!("     matched: {}", if got.is_empty() { "(nothing)".to_string() } else { got.join(", ") });
            }
        }
    }
    println!("taxonomy examples: {passed} passed, {failed} failed");
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
