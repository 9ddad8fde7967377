//! vajra-plan: the plan language. A YAML test plan becomes a typed [`Plan`], and its load
//! section becomes intended arrival times.
//!
//! How the parts fit, from the text a user writes to the times the runner fires at:
//!
//! - [`duration`] parses the human durations of plans and flags (`500ms`, `30s`, `1m30s`);
//!   [`limits`] holds the ranges every duration, rate and count is checked against at load.
//! - The plan itself, in this crate's root and its private modules: `raw` mirrors the YAML keys
//!   with serde types (unknown keys, bad durations, methods and templates fail there, with a
//!   line and column, through the shared field deserialisers of `fields`, which know no plan
//!   type beyond plain values such as a think time, so data flows one way: `fields` → `template`, `load` → `raw` → `build`); `build`
//!   turns that into a [`Plan`]: builds the steps and blocks of each scenario ([`scenario`]),
//!   inlines included scenarios, merges `defaults` into each request, joins relative URLs to
//!   `base-url`, checks header names, URLs and that every `${variable}` is defined somewhere in
//!   the plan (a Taurus config keeps an undefined one as written, as JMeter does, and gets a
//!   [`PlanWarning`] for it). Its errors are located by `locate`, which finds a field path in the YAML
//!   text; `error` holds [`PlanError`]: file, field path, line:column and what to do.
//! - `template` parses `${name}` placeholders and built-ins once; [`expr`] parses the
//!   conditions of `if` and `while`; `data` reads the CSV data sets and hands
//!   out rows ([`DataFeed`]); `load` holds the `load:` section ([`LoadSpec`]), which command
//!   line flags can override before it becomes a load profile.
//! - [`pattern`] holds the load patterns: pure functions of time to a target rate, with their
//!   exact integrals. [`schedule`] turns a pattern into *intended* arrival times and shares the
//!   arrivals between workers. [`load_model`] says whether a run is open (arrivals at a rate)
//!   or closed (virtual users).
//!
//! - [`taurus`] reads Taurus configs: each execution's load keys become a [`LoadSpec`] and its
//!   `requests` scenario the native plan syntax, built by the same `build`, so a Taurus
//!   scenario meets every check a plan does.
//!
//! Nothing here does I/O beyond reading the plan and its data files. The format is described
//! for users in `docs/plan-format.md`.

pub mod client;
pub mod duration;
pub mod limits;
pub mod load_model;
pub mod pattern;
pub mod schedule;

pub mod expr;
pub mod scenario;
pub mod taurus;

mod build;
mod data;
mod error;
mod fields;
mod load;
mod locate;
mod raw;
mod template;
mod yaml;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use client::{ClientSpec, HttpVersion, TlsSpec, TlsVersion};
pub use data::{DataFeed, DataSetSpec, OnEof, Row};
pub use error::{PlanError, PlanWarning};
pub use expr::Condition;
pub use fields::parse_steps;
pub use limits::{DEFAULT_WHILE_ITERATIONS, MAX_WHILE_ITERATIONS};
pub use load::{LoadSpec, PatternKind};
pub use locate::Location;
pub use scenario::{
    Assertions, Check, CheckKind, DocumentKind, ExtractSource, Extractor, JsonExpect, LoopCount,
    MatchNo, RegexText, StatusRange, Step, Subject, TextExpect, ThinkTime, XPathQuery,
};
pub use template::{
    push_random_string, push_uuid, random_int, time_millis, Builtin, Scope, Template,
    TemplateError, MAX_RANDOM_STRING,
};

/// A test plan, checked and ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    /// The plan file (as given to [`Plan::load`]), for messages.
    pub source: PathBuf,
    /// vajra starts its embedded loopback target and sets [`Plan::base_url`] to it.
    pub embedded_target: bool,
    pub base_url: Option<String>,
    pub scenarios: Vec<Scenario>,
    pub load: LoadSpec,
    pub data: Vec<DataSetSpec>,
    /// Pass/fail criteria like `p95(home)>500ms`, kept as written.
    pub thresholds: Vec<String>,
    /// Defaults for `vajra cloud run`.
    pub cloud: CloudSpec,
    /// HTTP version and TLS settings for every connection of the run.
    pub client: ClientSpec,
    /// The plan's `variables:`: every virtual user starts with them (templates, rendered in
    /// order when the user starts).
    pub variables: Vec<(String, Template)>,
}

/// The plan's `cloud:` section: defaults for `vajra cloud run`, overridden by its flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloudSpec {
    /// Requests per second one cloud engine is trusted to generate; sizes the engines.
    pub engine_capacity_tps: Option<u64>,
    /// Location id and weight, in the plan's order.
    pub locations: Vec<(String, f64)>,
}

/// A sequence of steps run in order; arrivals are shared between scenarios by weight.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub weight: u32,
    /// Keep a cookie jar: per virtual user (closed model) or per iteration (open model).
    pub store_cookie: bool,
    /// The scenario's `variables:`, set after the plan's (and overriding them).
    pub variables: Vec<(String, Template)>,
    /// Run once per virtual user, before its first iteration.
    pub setup: Vec<Step>,
    /// One iteration.
    pub steps: Vec<Step>,
    /// Run once per virtual user, after its last iteration (not after a stop: a stop sends no
    /// new requests).
    pub teardown: Vec<Step>,
    /// The least time from one iteration's start to the next (closed model).
    pub pacing: Option<Duration>,
}

impl Scenario {
    /// Every request of the scenario (setup, steps and teardown, blocks included), in order.
    pub fn requests(&self) -> Vec<&RequestSpec> {
        let mut out = Vec::new();
        for step in self.setup.iter().chain(&self.steps).chain(&self.teardown) {
            step.collect_requests(&mut out);
        }
        out
    }

    /// Every request of the scenario, to change in place.
    pub fn requests_mut(&mut self) -> Vec<&mut RequestSpec> {
        let mut out = Vec::new();
        for step in self
            .setup
            .iter_mut()
            .chain(&mut self.steps)
            .chain(&mut self.teardown)
        {
            step.collect_requests_mut(&mut out);
        }
        out
    }
}

/// One request, with the plan's defaults already merged in.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// The name results are grouped under (default `METHOD path`).
    pub label: String,
    pub method: http::Method,
    /// An absolute URL, except when the plan uses the embedded target and the base URL is not
    /// known yet (see [`Plan::set_base_url`]).
    pub url: Template,
    pub headers: Vec<(http::HeaderName, Template)>,
    pub body: Option<Template>,
    pub timeout: Option<Duration>,
    /// Pause after this request before the next one of the scenario.
    pub think_time: Option<ThinkTime>,
    /// Values taken from the response into variables, in order.
    pub extractors: Vec<Extractor>,
    pub assertions: Assertions,
    /// Follow redirects, up to this many hops; `None`: a redirect is the response.
    pub follow_redirects: Option<u32>,
    /// Reuse the connection after this request; `false` sends `Connection: close`.
    pub keepalive: bool,
}

impl Plan {
    /// Reads and checks the plan file at `path`.
    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Plan::from_str(&text, path)
    }

    /// Checks plan `yaml` as if read from `source_path` (relative files resolve against its
    /// directory).
    pub fn from_str(yaml: &str, source_path: &Path) -> Result<Plan, PlanError> {
        build::build(yaml, source_path)
    }

    /// Points the relative request URLs at `base_url`: the embedded target's address, known
    /// only once it has started.
    pub fn set_base_url(&mut self, base_url: &str) -> Result<(), PlanError> {
        let base = build::check_base_url(base_url).map_err(|message| PlanError::Invalid {
            file: self.source.clone(),
            location: None,
            field: "base-url".into(),
            message,
        })?;
        for request in self.scenarios.iter_mut().flat_map(Scenario::requests_mut) {
            if build::is_relative(&request.url) {
                request.url = build::join(&base, &request.url);
            }
        }
        self.base_url = Some(base);
        Ok(())
    }

    /// Every request of every scenario.
    pub fn requests(&self) -> impl Iterator<Item = &RequestSpec> {
        self.scenarios.iter().flat_map(Scenario::requests)
    }
}
