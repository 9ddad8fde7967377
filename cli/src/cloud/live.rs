//! The live view of a running master: status and progress, sessions per location, elapsed
//! time, and TPS, p95, errors and active users for the whole run and for each location, every
//! poll interval — a progress bar on a terminal, plain lines otherwise.
//!
//! Each poll asks for the status, and once data flows for the aggregate report of the run and
//! of each location (one call per location, filtered with `locations[]`); [`describe`] turns
//! that [`Snapshot`] into the text. Transient API errors are shown and retried (a failing
//! location's figures are left out of that poll); a master unreachable for longer than the
//! timeout ends the watch (the cloud test keeps running). Ctrl-C stops the master (graceful)
//! once data flows and terminates it before; a second Ctrl-C terminates.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use bzm_client::models::{AggregateRow, MasterStatus, PROGRESS_DATA_RECEIVED, PROGRESS_ENDED};
use bzm_client::Client;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

/// The flags of every command that follows a master to its end (`run`, `attach`, `report`).
#[derive(clap::Args, Debug)]
pub struct WatchFlags {
    /// How often to ask for the master's status.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub poll_interval: String,
    /// Give up (exit 1, the cloud test keeps running) when the master cannot be reached for
    /// this long.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub unreachable_timeout: String,
    /// A failure criterion like 'p95(login)>500ms' or 'errors>1%' (repeatable), checked with
    /// the plan's thresholds on the cloud aggregate; when one is met the exit code is 3.
    #[arg(long, value_name = "EXPR")]
    pub fail_on: Vec<String>,
    /// Where the final reports go [default: ./vajra-results/cloud-<master id>].
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
}

impl WatchFlags {
    pub fn options(&self, json: bool) -> anyhow::Result<WatchOptions> {
        Ok(WatchOptions {
            poll: crate::run::duration_flag("--poll-interval", &self.poll_interval)?,
            unreachable_timeout: crate::run::duration_flag(
                "--unreachable-timeout",
                &self.unreachable_timeout,
            )?,
            json,
        })
    }

    /// The directory for the final reports of `master_id`.
    pub fn out_dir(&self, master_id: u64) -> std::path::PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| super::outcome::default_out_dir(master_id))
    }
}

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub poll: Duration,
    pub unreachable_timeout: Duration,
    /// No progress display (JSON goes to stdout at the end).
    pub json: bool,
}

/// How watching ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The master reached ENDED by itself.
    Ended,
    /// The user pressed Ctrl-C; the master was stopped or terminated.
    Interrupted,
    /// The master could not be reached for longer than the timeout.
    Unreachable { master_id: u64, after: Duration },
}

/// Ctrl-C presses, counted from when [`Interrupts::listen`] was called.
pub struct Interrupts(mpsc::UnboundedReceiver<()>);

impl Interrupts {
    /// Takes over Ctrl-C for the rest of the process (must run inside the runtime).
    pub fn listen() -> Interrupts {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if tx.send(()).is_err() {
                    break;
                }
            }
        });
        Interrupts(rx)
    }
}

/// The KPIs of the run or of one location, from the `ALL` row of an aggregate report.
#[derive(Debug, Clone, Default, PartialEq)]
struct Figures {
    samples: u64,
    /// Average samples per second so far.
    tps: f64,
    p95_ms: f64,
    errors_pct: f64,
    users: Option<u64>,
}

impl Figures {
    /// From the `ALL` row, if the report has one; users are the row's concurrency.
    fn from_rows(rows: &[AggregateRow]) -> Option<Figures> {
        let all = rows.iter().find(|r| r.label_name == "ALL")?;
        Some(Figures {
            samples: all.samples,
            tps: all.avg_throughput.unwrap_or(0.0),
            p95_ms: all.p95.unwrap_or(0.0),
            errors_pct: all.errors_rate.unwrap_or(0.0),
            users: all.concurrency.map(|c| c.round() as u64),
        })
    }
}

/// One poll's worth of what the view shows.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    status: String,
    progress: i64,
    /// Location → its sessions' statuses.
    sessions: BTreeMap<String, Vec<String>>,
    /// Location → engines, once BlazeMeter lists the sessions.
    engines: BTreeMap<String, u64>,
    /// The whole run; users are the active users of the last second.
    run: Figures,
    /// Location → its figures, once data flows.
    locations: BTreeMap<String, Figures>,
    /// Why the per-location figures are missing this poll (the run's are still shown).
    locations_error: Option<String>,
}

impl Snapshot {
    /// Every location the sessions name, in order.
    fn location_ids(&self) -> BTreeSet<&str> {
        self.sessions
            .keys()
            .chain(self.engines.keys())
            .chain(self.locations.keys())
            .map(String::as_str)
            .collect()
    }
}

/// Shown for a session without a location.
const UNKNOWN_LOCATION: &str = "?";

/// One poll; `engines` caches the engines per location (asked for until BlazeMeter has them).
async fn poll(
    client: &Client,
    master_id: u64,
    engines: &mut BTreeMap<String, u64>,
) -> bzm_client::Result<Snapshot> {
    let status: MasterStatus = client.masters().status(master_id).send().await?;
    if engines.is_empty() {
        for session in client.masters().sessions(master_id).await? {
            if let Some(config) = session.configuration {
                let location = config.location.unwrap_or_else(|| UNKNOWN_LOCATION.into());
                *engines.entry(location).or_default() += config.servers_count.unwrap_or(1);
            }
        }
    }
    let mut snapshot = Snapshot {
        status: status.status.clone().unwrap_or_else(|| "UNKNOWN".into()),
        progress: status.progress.unwrap_or(0),
        engines: engines.clone(),
        ..Snapshot::default()
    };
    for session in &status.sessions {
        snapshot
            .sessions
            .entry(
                session
                    .location_id
                    .clone()
                    .unwrap_or_else(|| UNKNOWN_LOCATION.into()),
            )
            .or_default()
            .push(session.status.clone().unwrap_or_default());
    }
    if snapshot.progress >= PROGRESS_DATA_RECEIVED {
        let rows = client.data().aggregate(master_id).send().await?;
        snapshot.run = Figures::from_rows(&rows).unwrap_or_default();
        let series = client.data().kpis(master_id).labels(["ALL"]).send().await?;
        // The active users of the last second, else the aggregate's concurrency.
        snapshot.run.users = series
            .iter()
            .flat_map(|s| s.kpis.last())
            .filter_map(|k| k.na)
            .max()
            .or(snapshot.run.users);
        let locations: Vec<String> = snapshot
            .location_ids()
            .into_iter()
            .filter(|l| *l != UNKNOWN_LOCATION)
            .map(str::to_owned)
            .collect();
        match location_figures(client, master_id, &locations).await {
            Ok(figures) => snapshot.locations = figures,
            Err(e) => snapshot.locations_error = Some(e.to_string()),
        }
    }
    Ok(snapshot)
}

/// The aggregate of each location, one call each.
async fn location_figures(
    client: &Client,
    master_id: u64,
    locations: &[String],
) -> bzm_client::Result<BTreeMap<String, Figures>> {
    let mut figures = BTreeMap::new();
    for location in locations {
        let rows = client
            .data()
            .aggregate(master_id)
            .locations([location.as_str()])
            .send()
            .await?;
        figures.insert(
            location.clone(),
            Figures::from_rows(&rows).unwrap_or_default(),
        );
    }
    Ok(figures)
}

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
    if s.progress < PROGRESS_DATA_RECEIVED {
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
enum Display {
    Bar(ProgressBar),
    Lines,
    Quiet,
}

impl Display {
    fn new(json: bool) -> Display {
        if json {
            Display::Quiet
        } else if std::io::stdout().is_terminal() {
            let bar = ProgressBar::new(PROGRESS_ENDED as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Display::Bar(bar)
        } else {
            Display::Lines
        }
    }

    fn show(&self, s: &Snapshot, elapsed: Duration) {
        match self {
            Display::Bar(bar) => {
                bar.set_position(s.progress.clamp(0, PROGRESS_ENDED) as u64);
                bar.set_message(describe(s, elapsed));
            }
            Display::Lines => println!("{}", describe(s, elapsed)),
            Display::Quiet => {}
        }
    }

    /// Notes go to stderr, above the bar.
    fn note(&self, text: &str) {
        match self {
            Display::Bar(bar) => bar.suspend(|| eprintln!("{text}")),
            _ => eprintln!("{text}"),
        }
    }

    fn finish(&self) {
        if let Display::Bar(bar) = self {
            bar.finish();
        }
    }
}

/// What Ctrl-C asks of the master.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Halt {
    Stop,
    Terminate,
}

/// Stop once data flows (engines save what they have), terminate before (nothing to save).
fn halt_for(progress: Option<i64>) -> Halt {
    match progress {
        Some(p) if p >= PROGRESS_DATA_RECEIVED => Halt::Stop,
        _ => Halt::Terminate,
    }
}

async fn send_halt(client: &Client, master_id: u64, halt: Halt) -> bzm_client::Result<()> {
    match halt {
        Halt::Stop => client.masters().stop(master_id).await,
        Halt::Terminate => client.masters().terminate(master_id).await,
    }
}

/// Watches until the master ends, the user interrupts, or contact is lost.
pub async fn watch(
    client: &Client,
    master_id: u64,
    options: &WatchOptions,
    mut interrupts: Interrupts,
) -> Ending {
    let display = Display::new(options.json);
    let started = Instant::now();
    let mut last_ok = Instant::now();
    let mut progress: Option<i64> = None;
    let mut presses = 0u32;
    // A halt asked for but not yet accepted by the API (retried every poll).
    let mut pending: Option<Halt> = None;
    let mut engines = BTreeMap::new();
    loop {
        // Presses that arrived while an API call was under way count before the next poll.
        while let Ok(()) = interrupts.0.try_recv() {
            pending = Some(press(&mut presses, progress, &display));
        }
        if let Some(halt) = pending {
            match send_halt(client, master_id, halt).await {
                Ok(()) => {
                    display.note(&format!("{halt:?} sent to master {master_id}").to_lowercase());
                    pending = None;
                    if halt == Halt::Terminate && presses >= 2 {
                        display.finish();
                        return Ending::Interrupted;
                    }
                    continue;
                }
                Err(e) => display.note(&format!("cannot {halt:?} master {master_id} yet: {e}")),
            }
        }
        match poll(client, master_id, &mut engines).await {
            Ok(snapshot) => {
                last_ok = Instant::now();
                progress = Some(snapshot.progress);
                display.show(&snapshot, started.elapsed());
                if let Some(e) = &snapshot.locations_error {
                    display.note(&format!(
                        "API error while polling the locations' figures (retrying): {e}"
                    ));
                }
                if snapshot.progress >= PROGRESS_ENDED {
                    display.finish();
                    return if presses > 0 {
                        Ending::Interrupted
                    } else {
                        Ending::Ended
                    };
                }
            }
            Err(e) => {
                display.note(&format!("API error while polling (retrying): {e}"));
                let after = last_ok.elapsed();
                if after > options.unreachable_timeout {
                    display.finish();
                    return Ending::Unreachable { master_id, after };
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(options.poll) => {}
            Some(()) = interrupts.0.recv() => {
                pending = Some(press(&mut presses, progress, &display));
            }
        }
    }
}

/// Counts a Ctrl-C and says what it asks of the master.
fn press(presses: &mut u32, progress: Option<i64>, display: &Display) -> Halt {
    *presses += 1;
    let halt = if *presses == 1 {
        halt_for(progress)
    } else {
        Halt::Terminate
    };
    display.note(match halt {
        Halt::Stop => {
            "\ninterrupted: stopping the master gracefully (Ctrl-C again to terminate it)"
        }
        Halt::Terminate => "\ninterrupted: terminating the master",
    });
    halt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_once_data_flows_terminate_before() {
        assert_eq!(halt_for(None), Halt::Terminate);
        assert_eq!(halt_for(Some(25)), Halt::Terminate);
        assert_eq!(halt_for(Some(100)), Halt::Stop);
        assert_eq!(halt_for(Some(140)), Halt::Stop);
    }

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

    #[test]
    fn figures_come_from_the_all_row() {
        let row = |label: &str, samples: u64| AggregateRow {
            label_name: label.into(),
            samples,
            avg_throughput: Some(2.5),
            p95: Some(90.0),
            errors_rate: Some(4.0),
            concurrency: Some(3.0),
            ..serde_json::from_value(serde_json::json!({"labelName": label})).unwrap()
        };
        assert_eq!(
            Figures::from_rows(&[row("GET /", 1), row("ALL", 7)]),
            Some(Figures {
                samples: 7,
                tps: 2.5,
                p95_ms: 90.0,
                errors_pct: 4.0,
                users: Some(3),
            })
        );
        assert_eq!(Figures::from_rows(&[row("GET /", 1)]), None);
    }
}
