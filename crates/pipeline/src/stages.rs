//! The stages of a run as tracing spans. Each stage runs inside a span `stage` named after
//! it, so every log line says which stage wrote it and `voc -v` prints each stage's time
//! as its span closes; the time `run.json` records for a stage is measured by the same
//! guard that holds the span open. The streamed stages (ingest, segment + classify,
//! history, index) take turns on the same threads chunk by chunk, so their times are sums
//! measured around their parts ([`StageClock::measured`]), logged as one event each.

use std::time::{Duration, Instant};

use crate::manifest::StageTiming;

/// A running stage: its span is entered until [`StageClock::finish`] takes it.
pub(crate) struct Stage {
    name: &'static str,
    started: Instant,
    _span: tracing::span::EnteredSpan,
}

/// Opens the span of a stage on this thread.
pub(crate) fn start(name: &'static str) -> Stage {
    Stage {
        name,
        started: Instant::now(),
        _span: tracing::info_span!("stage", stage = name).entered(),
    }
}

/// The timings of one run, in the order the stages ended.
pub(crate) struct StageClock {
    timings: Vec<StageTiming>,
    started: Instant,
}

impl StageClock {
    pub(crate) fn new() -> Self {
        StageClock {
            timings: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Closes a stage's span and records its time.
    pub(crate) fn finish(&mut self, stage: Stage) {
        let time = stage.started.elapsed();
        let name = stage.name;
        drop(stage);
        self.add(name, time);
    }

    /// Adds `time` to the stage `name` (a new entry if it has none yet): a stage timed in
    /// parts, such as the index commit's wait after the report.
    pub(crate) fn add(&mut self, name: &str, time: Duration) {
        let ms = time.as_millis() as u64;
        match self.timings.iter_mut().find(|t| t.stage == name) {
            Some(t) => t.ms += ms,
            None => self.timings.push(StageTiming {
                stage: name.to_string(),
                ms,
            }),
        }
        tracing::debug!(stage = name, ms, "stage time recorded");
    }

    /// Stages whose time was summed over their parts elsewhere (the streamed batch).
    pub(crate) fn extend(&mut self, timings: &[StageTiming]) {
        for t in timings {
            self.add(&t.stage, Duration::from_millis(t.ms));
        }
    }

    pub(crate) fn total_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub(crate) fn into_timings(self) -> Vec<StageTiming> {
        self.timings
    }

    /// A streamed stage's summed time, logged once as the stage's line.
    pub(crate) fn measured(name: &str, time: Duration) -> StageTiming {
        let ms = time.as_millis() as u64;
        tracing::info!(stage = name, ms, "stage done (summed over its chunks)");
        StageTiming {
            stage: name.to_string(),
            ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_keep_their_order_and_parts_add_up() {
        let mut clock = StageClock::new();
        let load = start("load_models");
        clock.finish(load);
        clock.extend(&[
            StageClock::measured("ingest", Duration::from_millis(30)),
            StageClock::measured("index", Duration::from_millis(5)),
        ]);
        clock.add("index", Duration::from_millis(7));
        let timings = clock.into_timings();
        let names: Vec<&str> = timings.iter().map(|t| t.stage.as_str()).collect();
        assert_eq!(names, ["load_models", "ingest", "index"]);
        assert_eq!(timings[1].ms, 30);
        assert_eq!(timings[2].ms, 12);
    }
}
