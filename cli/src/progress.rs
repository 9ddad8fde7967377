//! The live view of a run: a one-line progress bar on a terminal, a plain line every
//! `plain_every` otherwise (CI logs, Taurus), so logs stay readable.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use vajra_runner::{Progress, ProgressFn};

/// Builds the progress callback the runner calls once a second.
pub fn reporter(quiet: bool, plain_every: Duration) -> ProgressFn {
    if quiet {
        return Box::new(|_| {});
    }
    if std::io::stdout().is_terminal() {
        let bar = ProgressBar::new(1000);
        bar.set_style(
            ProgressStyle::with_template("{bar:24.cyan/blue} {msg}")
                .expect("the template is valid")
                .progress_chars("█▉▊▋▌▍▎▏ "),
        );
        crate::logging::show_above(&bar);
        Box::new(move |p: &Progress| {
            let fraction = p.elapsed.as_secs_f64() / p.total.as_secs_f64().max(1e-9);
            bar.set_position((fraction.min(1.0) * 1000.0) as u64);
            bar.set_message(line(p));
            if fraction >= 1.0 && p.in_flight == 0 {
                bar.finish_and_clear();
            }
        })
    } else {
        let mut next = Duration::ZERO;
        Box::new(move |p: &Progress| {
            if p.elapsed >= next {
                println!("{}", line(p));
                next = p.elapsed + plain_every;
            }
        })
    }
}

/// `12s/30s  target 100.0/s  achieved 99.8/s  p95 3.0 ms  errors 0.00%  in-flight 2 …`
pub fn line(p: &Progress) -> String {
    let p95 = p
        .p95_ms
        .map_or_else(|| "-".to_string(), |v| format!("{v:.1} ms"));
    let mut text = format!(
        "{}/{}  target {:.1}/s  achieved {:.1}/s  p95 {p95}  errors {:.2}%  in-flight {}  samples {}",
        whole_seconds(p.elapsed),
        whole_seconds(p.total),
        p.target_tps,
        p.achieved_tps,
        p.error_pct,
        p.in_flight,
        p.samples,
    );
    if p.dropped > 0 {
        text.push_str(&format!("  dropped {}", p.dropped));
    }
    text
}

fn whole_seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_every_figure() {
        let p = Progress {
            elapsed: Duration::from_millis(12_400),
            total: Duration::from_secs(30),
            target_tps: 100.0,
            achieved_tps: 99.84,
            p95_ms: Some(3.04),
            error_pct: 0.5,
            in_flight: 2,
            samples: 1234,
            dropped: 3,
        };
        assert_eq!(
            line(&p),
            "12s/30s  target 100.0/s  achieved 99.8/s  p95 3.0 ms  errors 0.50%  in-flight 2  samples 1234  dropped 3"
        );
    }
}
