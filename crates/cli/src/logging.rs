//! What `voc` logs to stderr beside the summaries it prints: warnings by default, each
//! stage's span and timing with `-v`, more with `-vv`; `RUST_LOG` (tracing's filter
//! syntax, e.g. `RUST_LOG=voc_pipeline=debug`) overrides both. `--log-format json` gives
//! one JSON object a line, for schedulers that collect logs.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object a line, with the current span and its fields.
    Json,
}

/// The filter for a verbosity: `-q` counts -1, each `-v` +1. Every voc crate's target
/// starts with `voc` (`voc_pipeline::run`, `voc::access`), and a directive's target
/// matches by prefix, so one directive covers them; other crates stay at warnings.
fn directives(verbosity: i8) -> &'static str {
    match verbosity {
        i8::MIN..=-1 => "error",
        0 => "warn",
        1 => "warn,voc=info",
        2 => "warn,voc=debug",
        _ => "trace",
    }
}

/// Installs the process's subscriber. Stage spans are logged when they close (with
/// their time), so `-v` shows one line per stage rather than entry and exit noise.
pub(crate) fn init(verbosity: i8, format: LogFormat) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(directives(verbosity)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(true);
    // A second init (tests calling main's pieces twice) is not an error worth failing on.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::directives;

    #[test]
    fn verbosity_widens_only_voc_targets_until_trace() {
        assert_eq!(directives(-1), "error");
        assert_eq!(directives(0), "warn");
        assert_eq!(directives(1), "warn,voc=info");
        assert_eq!(directives(2), "warn,voc=debug");
        assert_eq!(directives(5), "trace");
    }
}
