//! The live view of a run: a progress bar on a terminal, a plain line every `plain_every`
//! otherwise (CI logs, Taurus), so logs stay readable. A run with several executions shows one
//! bar (or line) per execution, each named by it.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use vajra_runner::{Progress, ProgressFn};

/// Where the progress of a run's executions goes; [`LiveView::reporter`] makes each one's
/// callback, which the runner calls once a second.
pub struct LiveView {
    quiet: bool,
    plain_every: Duration,
    /// The terminal's bars, drawn together (`None` off a terminal).
    bars: Option<MultiProgress>,
}

impl LiveView {
    pub fn new(quiet: bool, plain_every: Duration) -> LiveView {
        let bars = (!quiet && std::io::stdout().is_terminal()).then(MultiProgress::new);
        LiveView {
            quiet,
            plain_every,
            bars,
        }
    }

    /// The callback for one run; `name` (`execution 1`) starts its lines when there are several.
    pub fn reporter(&self, name: Option<String>) -> ProgressFn {
        if self.quiet {
            return Box::new(|_| {});
        }
        let prefix = name.map(|n| format!("{n}: ")).unwrap_or_default();
        if let Some(bars) = &self.bars {
            let bar = bars.add(ProgressBar::new(1000));
            bar.set_style(
                ProgressStyle::with_template("{bar:24.cyan/blue} {msg}")
                    .expect("the template is valid")
                    .progress_chars("█▉▊▋▌▍▎▏ "),
            );
            crate::logging::show_above(&bar);
            Box::new(move |p: &Progress| {
                bar.set_position((p.done * 1000.0) as u64);
                bar.set_message(format!("{prefix}{}", line(p)));
                if p.done >= 1.0 && p.in_flight == 0 {
                    bar.finish_and_clear();
                }
            })
        } else {
            let mut next = Duration::ZERO;
            let plain_every = self.plain_every;
            Box::new(move |p: &Progress| {
                if p.elapsed >= next {
                    println!("{prefix}{}", line(p));
                    next = p.elapsed + plain_every;
                }
            })
        }
    }
}

/// `12s/30s  target 100.0 it/s  started 99.8 it/s  299.4 req/s  p95 3.0 ms  errors 0.50% (last 1s)
/// in-flight 2  samples 1234`: every rate and the error % cover the same window, the last
/// interval, and the line says so (docs/plan-format.md, "Rates"). The closed model has no target
/// rate and shows its users instead.
pub fn line(p: &Progress) -> String {
    let p95 = p
        .p95_ms
        .map_or_else(|| "-".to_string(), |v| format!("{v:.1} ms"));
    let clock = match p.total {
        Some(total) => format!("{}/{}", whole_seconds(p.elapsed), whole_seconds(total)),
        None => format!(
            "{} ({:.0}% of iterations)",
            whole_seconds(p.elapsed),
            p.done * 100.0
        ),
    };
    let load = match (p.target_its, p.users) {
        (Some(target), _) => format!("target {target:.1} it/s"),
        (None, Some((started, users))) => format!("users {started}/{users}"),
        (None, None) => String::new(),
    };
    let mut text = format!(
        "{clock}  {load}  started {:.1} it/s  {:.1} req/s  p95 {p95}  errors {:.2}% (last {})  \
         in-flight {}  samples {}",
        p.started_its,
        p.req_s,
        p.error_pct,
        window(p.window),
        p.in_flight,
        p.samples,
    );
    if p.dropped > 0 {
        text.push_str(&format!("  dropped {}", p.dropped));
    }
    text
}

/// The window as people say it: `1s`, `2s`, or `300ms` for the short last one.
fn window(d: Duration) -> String {
    if d >= Duration::from_millis(950) {
        format!("{}s", d.as_secs_f64().round() as u64)
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn whole_seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress() -> Progress {
        Progress {
            elapsed: Duration::from_millis(12_400),
            total: Some(Duration::from_secs(30)),
            done: 0.41,
            window: Duration::from_millis(1003),
            target_its: Some(100.0),
            users: None,
            started_its: 99.84,
            req_s: 299.5,
            p95_ms: Some(3.04),
            error_pct: 0.5,
            in_flight: 2,
            samples: 1234,
            dropped: 3,
        }
    }

    #[test]
    fn line_names_each_unit_and_the_window() {
        assert_eq!(
            line(&progress()),
            "12s/30s  target 100.0 it/s  started 99.8 it/s  299.5 req/s  p95 3.0 ms  \
             errors 0.50% (last 1s)  in-flight 2  samples 1234  dropped 3"
        );
    }

    #[test]
    fn the_closed_model_shows_users_and_no_target() {
        let p = Progress {
            target_its: None,
            users: Some((4, 10)),
            total: None,
            done: 0.25,
            window: Duration::from_millis(400),
            dropped: 0,
            ..progress()
        };
        let text = line(&p);
        assert_eq!(
            text,
            "12s (25% of iterations)  users 4/10  started 99.8 it/s  299.5 req/s  p95 3.0 ms  \
             errors 0.50% (last 400ms)  in-flight 2  samples 1234"
        );
        assert!(!text.contains("target"), "{text}");
    }
}
