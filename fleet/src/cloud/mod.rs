//! A run on BlazeMeter: the parts of its orchestration that are decisions, not I/O, so the
//! `vajra` binary (and the Kubernetes and CI modes after it) drive the same logic.
//!
//! - [`results`] turns BlazeMeter's report models into vajra's report types.

pub mod results;
