//! Progress bars on stderr for a programmer's phases, and how long each took.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use amber::program::{Phase, Progress};

/// Draws one bar per phase (hidden when stderr is not a terminal) and
/// remembers each phase's wall time.
#[derive(Debug, Default)]
pub struct Bars {
    bar: Option<ProgressBar>,
    current: Option<(Phase, Instant)>,
    timings: Vec<(Phase, Duration)>,
}

impl Bars {
    /// Each finished phase and its time: `erase 2.9 s, write 34.1 s, verify 77.0 s`.
    pub fn summary(&self) -> String {
        self.timings
            .iter()
            .map(|(phase, took)| format!("{phase} {:.1} s", took.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Progress for Bars {
    fn begin(&mut self, phase: Phase, total: u64) {
        self.end();
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            if let Ok(style) =
                ProgressStyle::with_template("{prefix:>9} [{bar:40}] {pos}/{len} {eta}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(phase.as_str());
            bar
        } else {
            ProgressBar::hidden()
        };
        self.bar = Some(bar);
        self.current = Some((phase, Instant::now()));
    }

    fn advance(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(done);
        }
    }

    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if let Some((phase, started)) = self.current.take() {
            self.timings.push((phase, started.elapsed()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lists_every_finished_phase_in_order() {
        let mut bars = Bars::default();
        assert_eq!(bars.summary(), "");
        bars.begin(Phase::Erase, 3);
        bars.advance(3);
        bars.begin(Phase::Write, 10);
        bars.end();
        let summary = bars.summary();
        assert!(summary.starts_with("erase "), "{summary}");
        assert!(summary.contains(" s, write "), "{summary}");
        assert!(summary.ends_with(" s"), "{summary}");
    }
}
