//! The live view of a running master: status and progress, sessions per location, elapsed
//! time, and the run's TPS, p95, errors and active users, every poll interval — a progress bar
//! on a terminal, plain lines otherwise.
//!
//! Transient API errors are shown and retried; a master unreachable for longer than the
//! timeout ends the watch (the cloud test keeps running). Ctrl-C stops the master (graceful)
//! once data flows and terminates it before; a second Ctrl-C terminates.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use bzm_client::models::{MasterStatus, PROGRESS_DATA_RECEIVED, PROGRESS_ENDED};
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

/// One poll's worth of what the view shows.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    status: String,
    progress: i64,
    /// Location → its sessions' statuses.
    sessions: BTreeMap<String, Vec<String>>,
    /// Location → engines, once BlazeMeter lists the sessions.
    engines: BTreeMap<String, u64>,
    samples: u64,
    tps: f64,
    p95_ms: f64,
    errors_pct: f64,
    users: Option<u64>,
}

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
                let location = config.location.unwrap_or_else(|| "?".into());
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
            .entry(session.location_id.clone().unwrap_or_else(|| "?".into()))
            .or_default()
            .push(session.status.clone().unwrap_or_default());
    }
    if snapshot.progress >= PROGRESS_DATA_RECEIVED {
        let rows = client.data().aggregate(master_id).await?;
        if let Some(all) = rows.iter().find(|r| r.label_name == "ALL") {
            snapshot.samples = all.samples;
            snapshot.tps = all.avg_throughput.unwrap_or(0.0);
            snapshot.p95_ms = all.p95.unwrap_or(0.0);
            snapshot.errors_pct = all.errors_rate.unwrap_or(0.0);
        }
        let series = client.data().kpis(master_id).labels(["ALL"]).send().await?;
        snapshot.users = series
            .iter()
            .flat_map(|s| s.kpis.last())
            .filter_map(|k| k.na)
            .max();
    }
    Ok(snapshot)
}

fn describe(s: &Snapshot, elapsed: Duration) -> String {
    let sessions: Vec<String> = s
        .sessions
        .iter()
        .map(|(location, statuses)| match s.engines.get(location) {
            Some(engines) => format!("{location}: {engines} engine(s) {}", statuses.join("/")),
            None => format!(
                "{location}: {} session(s) {}",
                statuses.len(),
                statuses.join("/")
            ),
        })
        .collect();
    let mut line = format!(
        "[{:>6.1}s] {} ({}/{PROGRESS_ENDED})",
        elapsed.as_secs_f64(),
        s.status,
        s.progress
    );
    if !sessions.is_empty() {
        line.push_str(&format!(" {}", sessions.join(", ")));
    }
    if s.progress >= PROGRESS_DATA_RECEIVED {
        line.push_str(&format!(
            " | {} samples, {:.1}/s, p95 {:.1} ms, errors {:.2}%",
            s.samples, s.tps, s.p95_ms, s.errors_pct
        ));
        if let Some(users) = s.users {
            line.push_str(&format!(", users {users}"));
        }
    }
    line
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
        let booting = describe(&s, Duration::from_secs(3));
        assert!(
            booting.contains("BOOT_STARTING (25/140) us-east4-a: 2 session(s)"),
            "{booting}"
        );
        assert!(!booting.contains("samples"), "{booting}");
        s.engines.insert("us-east4-a".into(), 2);
        s.progress = 100;
        s.samples = 60;
        s.users = Some(3);
        let running = describe(&s, Duration::from_secs(5));
        assert!(
            running.contains("60 samples") && running.contains("users 3"),
            "{running}"
        );
        assert!(
            running.contains("us-east4-a: 2 engine(s) BOOT/BOOT"),
            "{running}"
        );
    }
}
