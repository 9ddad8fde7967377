//! Diagnostic logs (`tracing`): to standard error, never standard output, so `--json` output and
//! piped results stay clean; and above the live progress bar, never through it.
//!
//! The level: `warn` by default; `-v` shows our crates' `info`, `-vv` their `debug` (the API
//! client's retries), `-vvv` their `trace`. `RUST_LOG` adds directives of its own (other
//! crates, e.g. `RUST_LOG=reqwest=debug`); a `-v` given on the command line wins for our crates.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, WeakProgressBar};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The crates whose level `-v` sets (their `tracing` targets).
const OUR_CRATES: [&str; 6] = [
    "vajra",
    "vajra_plan",
    "vajra_stats",
    "vajra_runner",
    "vajra_fleet",
    "bzm_client",
];

/// The bars on screen, if any (one per execution, drawn together): log lines are written with
/// them hidden, then they are redrawn.
static BARS: Mutex<Vec<WeakProgressBar>> = Mutex::new(Vec::new());

/// Makes log lines go above `bar` while it lives (weakly held: a dropped bar is forgotten).
pub fn show_above(bar: &ProgressBar) {
    if let Ok(mut bars) = BARS.lock() {
        bars.retain(|b| b.upgrade().is_some());
        bars.push(bar.downgrade());
    }
}

/// The filter directives for `verbose` (the count of `-v`) and `RUST_LOG`'s value.
fn directives(verbose: u8, rust_log: Option<&str>) -> Vec<String> {
    let mut directives = vec!["warn".to_string()];
    directives.extend(
        rust_log
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string),
    );
    let ours = match verbose {
        0 => None,
        1 => Some("info"),
        2 => Some("debug"),
        _ => Some("trace"),
    };
    // Later directives for the same target replace earlier ones, so the flag wins.
    if let Some(level) = ours {
        directives.extend(OUR_CRATES.iter().map(|c| format!("{c}={level}")));
    }
    directives
}

/// Installs the subscriber. A bad `RUST_LOG` is reported and ignored, not fatal: logs are a
/// diagnostic aid, and a run should not fail for them.
pub fn install(verbose: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter =
        match EnvFilter::builder().parse(directives(verbose, rust_log.as_deref()).join(",")) {
            Ok(filter) => filter,
            Err(error) => {
                eprintln!("warning: RUST_LOG is ignored: {error}");
                EnvFilter::builder()
                    .parse(directives(verbose, None).join(","))
                    .unwrap_or_else(|_| EnvFilter::new("warn"))
            }
        };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(AboveTheBar)
        .with_ansi(std::io::stderr().is_terminal())
        .finish();
    // Fails only when a subscriber is already set, which main does not do.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Standard error, with the progress bar (if any) hidden while a line is written.
struct AboveTheBar;

impl<'a> MakeWriter<'a> for AboveTheBar {
    type Writer = AboveTheBar;

    fn make_writer(&'a self) -> Self::Writer {
        AboveTheBar
    }
}

impl Write for AboveTheBar {
    /// `fmt` hands over one whole formatted event per call.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Bars drawn together hide together: suspending one suspends them all.
        let bar = BARS.lock().ok().and_then(|bars| {
            bars.iter()
                .filter_map(WeakProgressBar::upgrade)
                .find(|bar| !bar.is_finished())
        });
        // A closed standard error loses the log line; it must not stop the run.
        let write = || {
            let _ = std::io::stderr().lock().write_all(buf);
        };
        match bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_warn_and_each_v_raises_our_crates() {
        assert_eq!(directives(0, None), ["warn"]);
        assert!(directives(1, None).contains(&"bzm_client=info".to_string()));
        assert!(directives(2, None).contains(&"vajra=debug".to_string()));
        assert!(directives(5, None).contains(&"vajra_runner=trace".to_string()));
    }

    #[test]
    fn rust_log_adds_directives_and_the_flag_comes_last() {
        let d = directives(2, Some("hyper=debug, bzm_client=trace,"));
        assert_eq!(&d[..3], ["warn", "hyper=debug", "bzm_client=trace"]);
        assert_eq!(d.last().map(String::as_str), Some("bzm_client=debug"));
        // Every combination parses.
        assert!(EnvFilter::builder().parse(d.join(",")).is_ok());
    }
}
