//! Ctrl-C during a watch: the listener, the policy of what each press asks of the master, and
//! sending it. Once data flows a first press stops the master (engines upload what they have);
//! before, it terminates it (nothing to save); a second press terminates.

use bzm_client::models::PROGRESS_DATA_RECEIVED;
use bzm_client::Client;
use tokio::sync::mpsc;

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

    /// A press that arrived since the last look, without waiting.
    pub fn pressed(&mut self) -> bool {
        self.0.try_recv().is_ok()
    }

    /// Waits for the next press (never returns `false` while the listener runs).
    pub async fn next(&mut self) -> bool {
        self.0.recv().await.is_some()
    }
}

/// What Ctrl-C asks of the master.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    Stop,
    Terminate,
}

/// Stop once data flows (engines save what they have), terminate before (nothing to save).
pub fn halt_for(progress: Option<i64>) -> Halt {
    match progress {
        Some(p) if p >= PROGRESS_DATA_RECEIVED => Halt::Stop,
        _ => Halt::Terminate,
    }
}

/// The Ctrl-C policy of one watch: the first press asks for [`halt_for`] the master's last
/// known progress, every later press for [`Halt::Terminate`]; the halt asked for last stays
/// pending until the API accepts it (it is retried every poll).
#[derive(Debug, Clone, Default)]
pub struct InterruptPolicy {
    presses: u32,
    pending: Option<Halt>,
}

impl InterruptPolicy {
    /// A press; returns the halt it asks for, now pending.
    pub fn press(&mut self, progress: Option<i64>) -> Halt {
        self.presses += 1;
        let halt = if self.presses == 1 {
            halt_for(progress)
        } else {
            Halt::Terminate
        };
        self.pending = Some(halt);
        halt
    }

    /// The halt to send, if one is pending.
    pub fn pending(&self) -> Option<Halt> {
        self.pending
    }

    /// The API accepted the pending halt. Returns whether the watch ends now: a terminate
    /// asked for by a second press means the user wants out; otherwise the watch follows the
    /// master to its end.
    pub fn accepted(&mut self) -> bool {
        let halt = self.pending.take();
        halt == Some(Halt::Terminate) && self.presses >= 2
    }

    /// Whether the user pressed Ctrl-C at all.
    pub fn interrupted(&self) -> bool {
        self.presses > 0
    }
}

/// Sends `halt` to the master.
pub async fn send(client: &Client, master_id: u64, halt: Halt) -> bzm_client::Result<()> {
    match halt {
        Halt::Stop => client.masters().stop(master_id).await,
        Halt::Terminate => client.masters().terminate(master_id).await,
    }
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
}
