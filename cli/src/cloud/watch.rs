//! Following a master to its end: each poll asks for the status, and once data flows for the
//! aggregate report of the run and of each location (one call per location, filtered with
//! `locations[]`), and shows it in the live view. Transient API errors are shown and retried
//! (a failing location's figures are left out of that poll); a master unreachable for longer
//! than the timeout ends the watch (the cloud test keeps running). Ctrl-C is handled by the
//! policy of `vajra_fleet::cloud::interrupt`; the answers are read by
//! `vajra_fleet::cloud::status`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bzm_client::Client;
use vajra_fleet::cloud::interrupt::{Halt, InterruptPolicy};
use vajra_fleet::cloud::outcome::Ending;
use vajra_fleet::cloud::status::{engines_per_location, Figures, Phase, Snapshot};
use vajra_plan::duration::parse_duration;

use super::interrupt::{self, Interrupts};
use super::live::LiveView;
use crate::exit::one_line;

/// The flags of every command that follows a master to its end (`run`, `attach`, `report`).
#[derive(clap::Args, Debug)]
pub struct WatchFlags {
    /// How often to ask for the master's status.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Give up (exit 1, the cloud test keeps running) when the master cannot be reached for
    /// this long.
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = parse_duration)]
    pub unreachable_timeout: Duration,
    /// A failure criterion like 'p95(login)>500ms' or 'errors>1%' (repeatable), checked with
    /// the plan's thresholds on the cloud aggregate; when one is met the exit code is 3.
    #[arg(long, value_name = "EXPR")]
    pub fail_on: Vec<String>,
    /// Where the final reports go [default: ./vajra-results/cloud-<master id>].
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
}

impl WatchFlags {
    pub fn options(&self, json: bool) -> WatchOptions {
        WatchOptions {
            poll: self.poll_interval,
            unreachable_timeout: self.unreachable_timeout,
            json,
        }
    }

    /// The directory for the final reports of `master_id`.
    pub fn out_dir(&self, master_id: u64) -> std::path::PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| default_out_dir(master_id))
    }
}

/// Where the final reports of `master_id` go without `--out`.
pub fn default_out_dir(master_id: u64) -> PathBuf {
    PathBuf::from("vajra-results").join(format!("cloud-{master_id}"))
}

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub poll: Duration,
    pub unreachable_timeout: Duration,
    /// No progress display (JSON goes to stdout at the end).
    pub json: bool,
}

/// One poll; `engines` caches the engines per location (asked for until BlazeMeter has them).
async fn poll(
    client: &Client,
    master_id: u64,
    engines: &mut BTreeMap<String, u64>,
) -> bzm_client::Result<Snapshot> {
    let status = client.masters().status(master_id).send().await?;
    if engines.is_empty() {
        *engines = engines_per_location(&client.masters().sessions(master_id).await?);
    }
    let mut snapshot = Snapshot::from_status(&status, engines);
    if snapshot.phase().has_data() {
        let rows = client.data().aggregate(master_id).send().await?;
        let series = client.data().kpis(master_id).labels(["ALL"]).send().await?;
        snapshot.set_run(&rows, &series);
        match location_figures(client, master_id, &snapshot.known_locations()).await {
            Ok(figures) => snapshot.locations = figures,
            Err(e) => snapshot.locations_error = Some(one_line(&e)),
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

/// Watches until the master ends, the user interrupts, or contact is lost.
pub async fn watch(
    client: &Client,
    master_id: u64,
    options: &WatchOptions,
    mut interrupts: Interrupts,
) -> Ending {
    let view = LiveView::new(options.json);
    let started = Instant::now();
    let mut last_ok = Instant::now();
    let mut progress: Option<i64> = None;
    let mut policy = InterruptPolicy::default();
    let mut engines = BTreeMap::new();
    loop {
        // Presses that arrived while an API call was under way count before the next poll.
        while interrupts.pressed() {
            note_press(policy.press(progress), &view);
        }
        if let Some(halt) = policy.pending() {
            match interrupt::send(client, master_id, halt).await {
                Ok(()) => {
                    view.note(&format!("{halt:?} sent to master {master_id}").to_lowercase());
                    if policy.accepted() {
                        view.finish();
                        return Ending::Interrupted;
                    }
                    continue;
                }
                Err(e) => view.note(&format!(
                    "cannot {halt:?} master {master_id} yet: {}",
                    one_line(&e)
                )),
            }
        }
        match poll(client, master_id, &mut engines).await {
            Ok(snapshot) => {
                last_ok = Instant::now();
                progress = Some(snapshot.progress);
                view.show(&snapshot, started.elapsed());
                if let Some(e) = &snapshot.locations_error {
                    view.note(&format!(
                        "API error while polling the locations' figures (retrying): {e}"
                    ));
                }
                if snapshot.phase() == Phase::Ended {
                    view.finish();
                    return if policy.interrupted() {
                        Ending::Interrupted
                    } else {
                        Ending::Ended
                    };
                }
            }
            Err(e) => {
                view.note(&format!(
                    "API error while polling (retrying): {}",
                    one_line(&e)
                ));
                let after = last_ok.elapsed();
                if after > options.unreachable_timeout {
                    view.finish();
                    return Ending::Unreachable { master_id, after };
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(options.poll) => {}
            true = interrupts.next() => note_press(policy.press(progress), &view),
        }
    }
}

/// Says what a Ctrl-C asks of the master.
fn note_press(halt: Halt, view: &LiveView) {
    view.note(match halt {
        Halt::Stop => {
            "\ninterrupted: stopping the master gracefully (Ctrl-C again to terminate it)"
        }
        Halt::Terminate => "\ninterrupted: terminating the master",
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        watch: WatchFlags,
    }

    #[test]
    fn duration_flags_parse_when_the_command_line_is_read() {
        let parsed = Command::try_parse_from(["t", "--poll-interval", "250ms"]).unwrap();
        assert_eq!(parsed.watch.poll_interval, Duration::from_millis(250));
        assert_eq!(parsed.watch.unreachable_timeout, Duration::from_secs(300));
        let error = Command::try_parse_from(["t", "--unreachable-timeout", "5x"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("--unreachable-timeout") && error.contains("invalid duration \"5x\""),
            "{error}"
        );
    }
}
