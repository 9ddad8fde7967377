//! vajra-fleet: distributed vajra runs, the logic that several machines share.
//!
//! A distributed run is one plan whose load is divided between places that each run a part:
//! BlazeMeter locations and their engines today, Kubernetes pods and CI jobs next. Everything
//! here is pure (no I/O), so each way of running a fleet divides the load the same way:
//!
//! - [`split`] divides a total rate and user count over weighted locations by
//!   [`split::largest_remainder`] (the shares always sum to the total), sizes each location's
//!   engines, and gives every engine its exact share, printable as the table shown before a
//!   launch. The even division between equal parts is the plan's own
//!   [`vajra_plan::schedule::share`], so a fleet's workers and a worker's arrivals agree.
//! - [`cloud`] holds what a BlazeMeter run decides from the API's answers: its reports as
//!   vajra's report types, the master's phase and figures, the interrupt policy, and the
//!   outcome. The `vajra` binary makes the calls and draws the terminal around them.
//! - [`ci`] writes the GitHub Actions workflow and the GitLab CI pipeline of a CI fan-out: a
//!   matrix of workers, each running its share, and a merge job that checks every worker
//!   delivered, merges their results and judges them.

pub mod ci;
pub mod cloud;
pub mod split;
