//! Turns the ways a user or Taurus asks a test to stop into a [`StopSignal`]:
//! Ctrl-C (interrupted, exit 2), SIGTERM and the file named by `$GRACEFUL` (graceful, exit 0).

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
