//! vajra-engine: the open-model load engine behind the `vajra` command.
//!
//! How the parts fit, in the order one sample travels:
//!
//! - [`plan`] reads a YAML test plan into a typed [`plan::Plan`] (requests, load, data sets,
//!   thresholds). Errors name the file, the field path and the line.
//! - [`load_model`] says whether a run is open (arrivals at a rate) or closed (virtual users).
//! - [`pattern`] holds the load patterns: pure functions of time to a target rate, with their
//!   exact integrals. [`schedule`] turns a pattern into *intended* arrival times and splits the
//!   arrivals between workers.
//! - [`runner`] fires the arrivals at their intended times over the [`http`] client and turns
//!   each exchange into a [`sample::Sample`], measuring from the intended start so latency is
//!   free of coordinated omission.
//! - Samples flow over one bounded channel to the sinks, off the hot path: [`jtl`] writes the
//!   JMeter CSV, [`stats`] aggregates HdrHistograms that merge exactly.
//! - [`report`] turns merged statistics into the `vajra report` views (console, JSON, CSV,
//!   Markdown, HTML); [`threshold`] parses and checks pass/fail criteria (`p95(login)>500ms`).
//! - [`embedded_target`] is a small loopback HTTP server so a new user sees a real run at once.
//! - [`duration`] parses the human durations used in plans and flags (`500ms`, `30s`, `1m30s`).

pub mod duration;
pub mod embedded_target;
pub mod http;
pub mod jtl;
pub mod load_model;
pub mod pattern;
pub mod plan;
pub mod report;
pub mod runner;
pub mod sample;
pub mod schedule;
pub mod stats;
pub mod threshold;
