//! Ctrl-C during a watch: the listener, and sending the halt a press asks for. The policy (stop
//! once data flows, terminate before or on a second press) is
//! `vajra_fleet::cloud::interrupt`.

use bzm_client::Client;
use tokio::sync::mpsc;
use vajra_fleet::cloud::interrupt::Halt;

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

/// Sends `halt` to the master.
pub async fn send(client: &Client, master_id: u64, halt: Halt) -> bzm_client::Result<()> {
    match halt {
        Halt::Stop => client.masters().stop(master_id).await,
        Halt::Terminate => client.masters().terminate(master_id).await,
    }
}
