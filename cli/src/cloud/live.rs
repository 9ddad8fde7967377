//! The live view of a running master: status and progress, sessions per location, elapsed
//! time, and TPS, p95, errors and active users for the whole run and for each location, every
//! poll interval — a progress bar on a terminal, plain lines otherwise. [`describe`] turns one
//! poll's `Snapshot` (`vajra_fleet::cloud::status`) into the text; [`LiveView`] puts it on the terminal.

use std::io::IsTerminal;
use std::time::Duration;

use bzm_client::models::PROGRESS_ENDED;
use indicatif::{ProgressBar, ProgressStyle};
use vajra_fleet::cloud::status::{Figures, Snapshot};

/// `12 samples, 3.0/s, p95 41.0 ms, errors 0.00%, users 2`.
fn describe_figures(f: &Figures) -> String {
    let mut text = format!(
        "{} samples, {:.1}/s, p95 {:.1} ms, errors {:.2}%",
        f.samples, f.tps, f.p95_ms, f.errors_pct
    );
    if let Some(users) = f.users {
        text.push_str(&format!(", users {users}"));
    }
    text
}

/// `us-east4-a: 2 engine(s) BOOT/BOOT`, then its figures once data flows.
fn describe_location(s: &Snapshot, location: &str) -> String {
    let statuses = s.sessions.get(location).map_or(&[][..], Vec::as_slice);
    let mut text = match s.engines.get(location) {
        Some(engines) => format!("{location}: {engines} engine(s)"),
        None => format!("{location}: {} session(s)", statuses.len()),
    };
    if !statuses.is_empty() {
        text.push_str(&format!(" {}", statuses.join("/")));
    }
    if let Some(figures) = s.locations.get(location) {
        text.push_str(&format!(" | {}", describe_figures(figures)));
    }
    text
}

/// The view of one poll: before data flows one line with the sessions of each location;
/// then the run's figures on the first line and one line per location with its own.
fn describe(s: &Snapshot, elapsed: Duration) -> String {
    let mut text = format!(
        "[{:>6.1}s] {} ({}/{PROGRESS_ENDED})",
        elapsed.as_secs_f64(),
        s.status,
        s.progress
    );
    let locations: Vec<String> = s
        .location_ids()
        .into_iter()
        .map(|location| describe_location(s, location))
        .collect();
    if !s.phase().has_data() {
        if !locations.is_empty() {
            text.push_str(&format!(" {}", locations.join(", ")));
        }
        return text;
    }
    text.push_str(&format!(" | {}", describe_figures(&s.run)));
    for location in locations {
        text.push_str(&format!("\n  {location}"));
    }
    text
}

/// Where the view goes.
pub enum LiveView {
    Bar(ProgressBar),
    Lines,
    Quiet,
}

impl LiveView {
    pub fn new(json: bool) -> LiveView {
        if json {
            LiveView::Quiet
        } else if std::io::stdout().is_terminal() {
            let bar = ProgressBar::new(PROGRESS_ENDED as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            crate::logging::show_above(&bar);
            LiveView::Bar(bar)
        } else {
            LiveView::Lines
        }
    }

    pub fn show(&self, s: &Snapshot, elapsed: Duration) {
        match self {
            LiveView::Bar(bar) => {
                bar.set_position(s.progress.clamp(0, PROGRESS_ENDED) as u64);
                bar.set_message(describe(s, elapsed));
            }
            LiveView::Lines => println!("{}", describe(s, elapsed)),
            LiveView::Quiet => {}
        }
    }

    /// Notes go to stderr, above the bar.
    pub fn note(&self, text: &str) {
        match self {
            LiveView::Bar(bar) => bar.suspend(|| eprintln!("{text}")),
            _ => eprintln!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let LiveView::Bar(bar) = self {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_show_sessions_and_kpis_once_data_flows() {
        let mut s = Snapshot {
            status: "BOOT_STARTING".into(),
            progress: 25,
            ..Snapshot::default()
        };
        s.sessions
            .insert("us-east4-a".into(), vec!["BOOT".into(), "BOOT".into()]);
        s.sessions
            .insert("europe-west1-b".into(), vec!["BOOT".into()]);
        let booting = describe(&s, Duration::from_secs(3));
        assert_eq!(
            booting,
            "[   3.0s] BOOT_STARTING (25/140) europe-west1-b: 1 session(s) BOOT, \
             us-east4-a: 2 session(s) BOOT/BOOT"
        );
        s.engines.insert("us-east4-a".into(), 2);
        s.engines.insert("europe-west1-b".into(), 1);
        s.progress = 100;
        s.status = "DATA_RECEIVED".into();
        s.run = Figures {
            samples: 60,
            tps: 12.0,
            p95_ms: 41.0,
            errors_pct: 1.5,
            users: Some(3),
        };
        s.locations.insert(
            "us-east4-a".into(),
            Figures {
                samples: 40,
                tps: 8.0,
                p95_ms: 44.0,
                errors_pct: 2.25,
                users: Some(2),
            },
        );
        s.locations.insert(
            "europe-west1-b".into(),
            Figures {
                samples: 20,
                tps: 4.0,
                p95_ms: 30.0,
                errors_pct: 0.0,
                users: None,
            },
        );
        assert_eq!(
            describe(&s, Duration::from_secs(5)),
            "[   5.0s] DATA_RECEIVED (100/140) | 60 samples, 12.0/s, p95 41.0 ms, errors 1.50%, users 3\n  \
             europe-west1-b: 1 engine(s) BOOT | 20 samples, 4.0/s, p95 30.0 ms, errors 0.00%\n  \
             us-east4-a: 2 engine(s) BOOT/BOOT | 40 samples, 8.0/s, p95 44.0 ms, errors 2.25%, users 2"
        );
        // Without the locations' figures (their calls failed) the sessions are still listed.
        s.locations.clear();
        let without = describe(&s, Duration::from_secs(6));
        assert!(
            without.ends_with(
                "\n  europe-west1-b: 1 engine(s) BOOT\n  us-east4-a: 2 engine(s) BOOT/BOOT"
            ),
            "{without}"
        );
    }
}
