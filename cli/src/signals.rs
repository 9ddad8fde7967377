//! Turns the ways a user or Taurus asks a test to stop into a [`StopSignal`]:
//! Ctrl-C (interrupted, exit 2), SIGTERM and the file named by `$GRACEFUL` (graceful, exit 0);
//! and hands that one signal on to each of the runs of a run with several executions.

use std::path::PathBuf;
use std::time::Duration;

use vajra_runner::{StopReason, StopSignal};

/// How often the `$GRACEFUL` file is looked for.
const GRACEFUL_POLL: Duration = Duration::from_millis(200);

/// Spawns the watchers on the current runtime; they end with the runtime.
pub fn watch(stop: &StopSignal) {
    let on_ctrl_c = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: stopping, waiting for requests in flight (Ctrl-C again to cancel them)");
            on_ctrl_c.stop(StopReason::Interrupted);
            if tokio::signal::ctrl_c().await.is_ok() {
                on_ctrl_c.abort();
            }
        }
    });
    #[cfg(unix)]
    {
        let on_term = stop.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            if let Ok(mut term) = signal(SignalKind::terminate()) {
                if term.recv().await.is_some() {
                    on_term.stop(StopReason::Terminated);
                }
            }
        });
    }
    if let Some(path) = std::env::var_os("GRACEFUL").map(PathBuf::from) {
        let on_file = stop.clone();
        tokio::spawn(async move {
            loop {
                if tokio::fs::try_exists(&path).await.unwrap_or(false) {
                    on_file.stop(StopReason::Terminated);
                    break;
                }
                tokio::time::sleep(GRACEFUL_POLL).await;
            }
        });
    }
}

/// A signal for one of the runs started together: it stops with `run`'s reason, and aborts,
/// when `run` does, while its own stop (its data running out) ends only its run, as one of
/// bzt's executors ends on its own. Spawns the forwarder on the current runtime.
pub fn follow(run: &StopSignal) -> StopSignal {
    let own = StopSignal::default();
    let (from, to) = (run.clone(), own.clone());
    tokio::spawn(async move {
        from.stopped().await;
        // `stop` sets the reason before it wakes anyone, so there is one here.
        to.stop(from.reason().unwrap_or(StopReason::Interrupted));
        from.aborted().await;
        to.abort();
    });
    own
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_follower_stops_and_aborts_with_the_run_but_not_the_other_way() {
        let run = StopSignal::default();
        let first = follow(&run);
        let second = follow(&run);
        first.stop(StopReason::DataExhausted);
        tokio::task::yield_now().await;
        assert!(!run.is_stopped() && !second.is_stopped());

        run.stop(StopReason::Terminated);
        tokio::time::timeout(Duration::from_secs(5), second.stopped())
            .await
            .unwrap();
        assert_eq!(second.reason(), Some(StopReason::Terminated));
        // The first reason given wins: the follower had stopped on its own already.
        assert_eq!(first.reason(), Some(StopReason::DataExhausted));

        run.abort();
        tokio::time::timeout(Duration::from_secs(5), second.aborted())
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), first.aborted())
            .await
            .unwrap();
    }
}
