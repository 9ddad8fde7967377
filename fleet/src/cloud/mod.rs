//! A run on BlazeMeter: the parts of its orchestration that are decisions, not I/O, so the
//! `vajra` binary (and the Kubernetes and CI modes after it) drive the same logic. The binary
//! keeps the API calls' order, the terminal, signals and files.
//!
//! - [`results`] turns BlazeMeter's report models into vajra's report types.
//! - [`status`] interprets a master's status and reports during a run: its [`status::Phase`]
//!   and one [`status::Snapshot`] per poll, the figures the live view shows.
//! - [`interrupt`] is the interrupt policy: what each Ctrl-C asks of the master (stop once
//!   data flows, terminate before or on a second press) and when the watch ends.
//! - [`outcome`] decides the end of a run: thresholds on the cloud aggregate, session errors,
//!   BlazeMeter's own criteria, and the [`outcome::Outcome`] (Taurus's exit codes).

pub mod interrupt;
pub mod outcome;
pub mod results;
pub mod status;
