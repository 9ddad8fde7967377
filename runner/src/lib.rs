//! vajra-runner: runs a plan. The load loop, its HTTP client, and the embedded loopback target
//! a new user can run against at once.
//!
//! It takes a [`vajra_plan::Plan`] and its arrival schedule, fires each arrival at its intended
//! time, and hands every exchange as a [`vajra_stats::sample::Sample`] to the sink, which
//! writes the JTL and the statistics. [`embedded_target`] is a small loopback HTTP server for
//! quick starts and tests.
//!
//! # The client
//!
//! - [`request`]: a request ready to send ([`request::PreparedRequest`]), built once per
//!   template or per data row;
//! - [`session`]: a lane's session: redirects (one sample per chain), the cookie jar and
//!   keep-alive;
//! - [`transport`]: connections: TCP and TLS ([`transport::stream`], [`transport::tls`], one
//!   rustls configuration per run, so sessions resume), HTTP/1.1 on a connection the lane owns
//!   ([`transport::h1`]), HTTP/2 on connections the lanes share per origin
//!   ([`transport::h2`]), and the JTL codes of failures below HTTP ([`transport::error`]).
//!
//! # The load loop
//!
//! Three kinds of workers, joined by two channels:
//!
//! ```text
//! dispatch (task) ──job──► pool ──► lane (task, one connection) ──samples──► sink (thread)
//! ```
//!
//! - `dispatch` releases arrivals at their intended times and enforces the in-flight bound;
//! - `pool` hands each arrival to an idle lane, or queues it briefly and grows the lanes;
//! - `lane` runs a virtual user's iterations: `iteration` walks the scenario's steps (blocks,
//!   variables, think times), `send` sends each request and measures it from the intended
//!   start, `check` and `extract` judge and read the response (`response`; `document` reads
//!   a body as a tree for XPath), `scope` holds the
//!   user's state and renders its templates, `counters` counts extractor misses and `while`
//!   caps (docs/architecture.md, "Scenarios");
//! - `sink` writes the JTL, aggregates statistics and, once a second, reports progress and
//!   writes the HDR interval log (if asked for); it also updates the live [`metrics`], whose
//!   arrival counts and gauges are read from the run's atomics at scrape time.
//!
//! A [`StopSignal`] ends a run early (Ctrl-C, SIGTERM, the `$GRACEFUL` file): the dispatcher
//! stops, arrivals pending or handed over but not started are counted as unsent, in-flight requests get `drain_timeout` to finish
//! and are then cancelled (and still recorded), and the sink flushes every row.

pub mod embedded_target;
pub mod metrics;
pub mod request;
pub mod session;
pub mod transport;

mod check;
mod counters;
pub use counters::{ExtractorMisses, WhileCapsReached};
mod dispatch;
mod document;
mod extract;
mod iteration;
mod response;
mod scope;
mod send;
mod think;
pub use dispatch::OVERRUN_GRACE;
mod lane;
mod pool;
mod progress;
pub use progress::Progress;
use progress::{interval_progress, ProgressMark};
mod sink;
pub mod workload;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

pub use dispatch::pick_weighted;
pub use lane::LATE_AFTER;
pub use sink::ProgressFn;
use transport::{TlsConfigError, Transport};
pub use vajra_plan::load_model::{ClosedModel, LoadModel};
use vajra_plan::schedule::Arrivals;
use vajra_plan::{DataFeed, Plan, PlanError, Row};
use vajra_stats::jtl::JtlWriter;
use vajra_stats::outcome::Arrivals as ArrivalCounts;
use vajra_stats::{HdrLogWriter, IntervalSummary, Stats};
use workload::CompiledScenario;

/// Bound on requests in flight when the plan and flags set none.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1000;
/// How long in-flight requests may finish after a stop request.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Sample batches buffered between lanes and the sink before lanes wait (never dropped): at
/// most `SAMPLE_CHANNEL * sink::BATCH` samples, about 10 MB.
const SAMPLE_CHANNEL: usize = 1024;

/// Why a run ended before its pattern did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StopReason {
    /// Ctrl-C: the user interrupted (exit code 2).
    Interrupted = 1,
    /// SIGTERM or the `$GRACEFUL` file: how Taurus asks an engine to stop (exit code 0).
    Terminated = 2,
    /// A data set with `on-eof: stop` ran out of rows.
    DataExhausted = 3,
    /// The run could not go on (for example the JTL could not be written).
    Failed = 4,
}

impl StopReason {
    /// The name every output uses (console, summary.json, report.html); a run that was not
    /// stopped early is [`COMPLETED`].
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Interrupted => "interrupted",
            StopReason::Terminated => "graceful",
            StopReason::DataExhausted => "data exhausted",
            StopReason::Failed => "error",
        }
    }

    /// The name of how a run ended: its stop reason's, or [`COMPLETED`] when it ran its course.
    pub fn name_of(reason: Option<StopReason>) -> &'static str {
        reason.map_or(COMPLETED, StopReason::as_str)
    }

    fn from_u8(value: u8) -> Option<Self> {
        [
            Self::Interrupted,
            Self::Terminated,
            Self::DataExhausted,
            Self::Failed,
        ]
        .into_iter()
        .find(|r| *r as u8 == value)
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run that was not stopped early ended, in the same words as [`StopReason`]'s names.
pub const COMPLETED: &str = "completed";

/// Asks a running test to stop; cheap to clone and safe to call from signal handlers' tasks.
#[derive(Clone, Default)]
pub struct StopSignal {
    reason: Arc<AtomicU8>,
    token: CancellationToken,
    /// Cancels requests in flight instead of waiting for them (a second Ctrl-C, or the drain
    /// timeout). They are still recorded, as cancelled.
    abort: CancellationToken,
    /// Mirrors `abort` for the lanes' per-request check: a token's `is_cancelled` takes a lock.
    aborted: Arc<AtomicBool>,
}

impl StopSignal {
    /// Requests a stop; the first reason given wins.
    pub fn stop(&self, reason: StopReason) {
        let _ = self
            .reason
            .compare_exchange(0, reason as u8, Ordering::AcqRel, Ordering::Acquire);
        self.token.cancel();
    }

    pub fn reason(&self) -> Option<StopReason> {
        StopReason::from_u8(self.reason.load(Ordering::Acquire))
    }

    /// Lanes ask this at every request: an atomic load (the reason is set before the token is
    /// cancelled), where the token's own `is_cancelled` would take a lock.
    pub fn is_stopped(&self) -> bool {
        self.reason.load(Ordering::Acquire) != 0
    }

    pub async fn stopped(&self) {
        self.token.cancelled().await
    }

    /// Stops (as interrupted, unless a reason was given already) and cancels requests in flight.
    pub fn abort(&self) {
        self.stop(StopReason::Interrupted);
        self.aborted.store(true, Ordering::Release);
        self.abort.cancel();
    }

    pub fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Waits for [`StopSignal::abort`], so a signal that follows another can abort with it.
    pub async fn aborted(&self) {
        self.abort.cancelled().await
    }
}

/// How to run: the load and the limits, after the CLI has overlaid its flags on the plan.
#[derive(Clone)]
pub struct RunSettings {
    pub model: LoadModel,
    pub worker_index: u32,
    pub worker_count: u32,
    pub max_in_flight: usize,
    pub drain_timeout: Duration,
    pub jtl_path: PathBuf,
    /// Where to write an HdrHistogram interval log (one interval per second), if anywhere.
    pub hdr_log: Option<PathBuf>,
    /// The live Prometheus metrics to update, if any (served by [`metrics::server`]).
    pub metrics: Option<Arc<metrics::Metrics>>,
}

/// The outcome of a run: totals plus the run-level facts the summary needs.
pub struct RunReport {
    pub stats: Stats,
    pub stop_reason: Option<StopReason>,
    pub started_at_ms: u64,
    pub duration: Duration,
    /// Mean target iteration rate of this worker over the time the dispatcher ran: the whole
    /// profile for a run that completed, up to the stop for one stopped early (0 in the closed
    /// model).
    pub target_tps: f64,
    /// How the open model's arrivals went (all 0 in the closed model). `scheduled`: those
    /// intended before the dispatcher ended (all of them for a run that completed, those due
    /// by the stop otherwise); `sent`: whose iteration started; `dropped`: the generator could
    /// not send them (`max_in_flight` requests were outstanding, or the dispatcher had passed
    /// the end of the profile by [`OVERRUN_GRACE`]); `unsent`: queued when a stop came (the
    /// stop's doing, not the generator's); `late`: started more than [`LATE_AFTER`] after
    /// their intended time.
    pub arrivals: ArrivalCounts,
    /// Iterations started: `arrivals.sent` in the open model, the users' iterations in the
    /// closed one.
    pub iterations: u64,
    pub jtl_path: PathBuf,
    /// Extractors that found nothing, per request label and variable, in plan order (only
    /// those that missed).
    pub extractor_misses: Vec<ExtractorMisses>,
    /// `while` blocks stopped by their `max-iterations` cap, in plan order (only those).
    pub while_caps: Vec<WhileCapsReached>,
    /// TLS certificate verification was off (`tls.insecure`): results may come from an
    /// impostor. Outputs must say so.
    pub tls_insecure: bool,
}

/// Errors that prevent a run or make its results unusable.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A data set could not be opened or read.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A request of the plan cannot be built for sending.
    #[error(transparent)]
    Request(#[from] workload::RequestError),
    /// The plan's TLS files or settings cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    #[error("cannot write results to {}", path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One queued arrival.
struct Job {
    intended: Instant,
    scenario: usize,
    record: bool,
    active: u32,
}

/// State shared by the dispatcher, the lanes and the sink.
struct RunState {
    scenarios: Vec<CompiledScenario>,
    /// The plan's `variables:`, rendered for each new virtual user before its scenario's.
    plan_variables: Vec<(String, vajra_plan::Template)>,
    /// Extractor misses and `while` caps reached.
    counters: counters::Counters,
    /// `${__counter}`: the last value handed out.
    counter: AtomicU64,
    /// When the load profile (open) or the users' duration (closed) ends: waits and
    /// `loop: forever` stop there.
    run_end: Instant,
    data: Option<DataFeed>,
    start: Instant,
    start_epoch_ms: u64,
    model: LoadModel,
    /// Iterations started in the closed model, to share them between scenarios by weight.
    iterations_started: AtomicU64,
    worker_count: u32,
    max_in_flight: usize,
    pool: pool::Pool,
    /// The TLS configuration and the HTTP/2 connections every lane shares.
    transport: Arc<Transport>,
    outstanding: AtomicUsize,
    /// Arrivals whose intended time came before the dispatcher ended (open model).
    scheduled: AtomicU64,
    /// Arrivals whose iteration started (open model).
    sent: AtomicU64,
    dropped: AtomicU64,
    unsent: AtomicU64,
    late: AtomicU64,
    stop: StopSignal,
    metrics: Option<Arc<metrics::Metrics>>,
    /// This run's slot in `metrics` (several runs may share one registry).
    metrics_slot: AtomicUsize,
}

impl RunState {
    fn stopping(&self) -> bool {
        self.stop.is_stopped()
    }

    fn aborting(&self) -> bool {
        self.stop.is_aborted()
    }

    fn request_stop(&self, reason: StopReason) {
        self.stop.stop(reason);
    }

    fn next_row(&self) -> Option<Row> {
        let row = self.data.as_ref()?.next_row();
        if row.is_none() {
            self.request_stop(StopReason::DataExhausted);
        }
        row
    }

    fn scenario_weights(&self) -> Vec<u32> {
        self.scenarios.iter().map(|s| s.weight).collect()
    }

    fn epoch_ms(&self, at: Instant) -> u64 {
        self.start_epoch_ms + at.saturating_duration_since(self.start).as_millis() as u64
    }

    /// Iterations started so far, in either model.
    fn iterations(&self) -> u64 {
        match &self.model {
            LoadModel::Open(_) => self.sent.load(Ordering::Relaxed),
            LoadModel::Closed(_) => self.iterations_started.load(Ordering::Relaxed),
        }
    }

    /// The counts the metrics collector reads at a scrape.
    fn live_counts(&self) -> metrics::LiveCounts {
        let outstanding = self.outstanding.load(Ordering::Relaxed);
        metrics::LiveCounts {
            iterations: self.iterations(),
            scheduled: self.scheduled.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
            unsent: self.unsent.load(Ordering::Relaxed),
            in_flight: outstanding,
            active_users: outstanding,
        }
    }

    /// The progress since `mark` (the previous report), which it then moves to now.
    fn progress(
        &self,
        samples: u64,
        interval: &IntervalSummary,
        mark: &mut ProgressMark,
    ) -> Progress {
        let now = ProgressMark {
            elapsed: self.start.elapsed(),
            iterations: self.iterations(),
        };
        let progress = interval_progress(
            &self.model,
            self.worker_count,
            *mark,
            now,
            samples,
            interval,
        );
        *mark = now;
        Progress {
            in_flight: self.outstanding.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            ..progress
        }
    }
}

/// Runs `plan` with `settings` until the profile ends or `stop` is signalled.
pub async fn run(
    plan: &Plan,
    settings: RunSettings,
    stop: StopSignal,
    progress: ProgressFn,
) -> Result<RunReport, RunError> {
    let (scenarios, counters) = workload::compile(plan)?;
    let transport = Arc::new(Transport::new(&plan.client, uses_tls(plan))?);
    let data = if plan.data.is_empty() {
        None
    } else {
        Some(DataFeed::open(
            &plan.data,
            settings.worker_index as usize,
            settings.worker_count as usize,
        )?)
    };
    let jtl = open_jtl(&settings.jtl_path)?;

    let start = Instant::now();
    let run_length = match &settings.model {
        LoadModel::Open(profile) => profile.duration(),
        LoadModel::Closed(closed) => closed.duration,
    };
    let shared = Arc::new(RunState {
        scenarios,
        plan_variables: plan.variables.clone(),
        counters,
        counter: AtomicU64::new(0),
        run_end: start + run_length,
        data,
        start,
        start_epoch_ms: now_ms(),
        model: settings.model.clone(),
        iterations_started: AtomicU64::new(0),
        worker_count: settings.worker_count.max(1),
        max_in_flight: settings.max_in_flight.max(1),
        pool: pool::Pool::default(),
        transport: transport.clone(),
        outstanding: AtomicUsize::new(0),
        scheduled: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        unsent: AtomicU64::new(0),
        late: AtomicU64::new(0),
        stop: stop.clone(),
        metrics: settings.metrics.clone(),
        metrics_slot: AtomicUsize::new(0),
    });
    if let Some(metrics) = &settings.metrics {
        let slot = metrics.attach(shared.clone(), plan.requests().map(|r| r.label.as_str()));
        shared.metrics_slot.store(slot, Ordering::Relaxed);
    }
    let hdr_log = match &settings.hdr_log {
        Some(path) => Some(open_hdr_log(path, shared.start_epoch_ms)?),
        None => None,
    };

    let (samples_tx, samples_rx) = tokio::sync::mpsc::channel(SAMPLE_CHANNEL);
    let mut sink = {
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || sink::drain(samples_rx, jtl, hdr_log, shared, progress))
    };
    match &settings.model {
        LoadModel::Open(profile) => {
            let arrivals = Arrivals::new(
                profile.clone(),
                settings.worker_index,
                settings.worker_count.max(1),
            );
            let steady_only = profile.steady_state_only;
            tokio::spawn(dispatch::dispatch(
                arrivals,
                profile.duration(),
                shared.clone(),
                samples_tx,
                steady_only,
            ));
        }
        LoadModel::Closed(closed) => {
            for user in 0..closed.users {
                let delay = closed.start_delay(user);
                tokio::spawn(lane::closed_user(
                    user + 1,
                    closed.clone(),
                    delay,
                    shared.clone(),
                    samples_tx.clone(),
                ));
            }
            drop(samples_tx);
        }
    }

    // Every lane holds a sample sender, so the sink finishes exactly when the last lane does.
    // When a stop comes, the dispatcher ends then: the target rate is the one up to there.
    let mut stopped_after = None;
    let sink_result = tokio::select! {
        biased;
        result = &mut sink => result,
        _ = stop.stopped() => {
            stopped_after = Some(start.elapsed());
            match tokio::time::timeout(settings.drain_timeout, &mut sink).await {
                Ok(result) => result,
                Err(_) => {
                    stop.abort();
                    sink.await
                }
            }
        }
    }
    .expect("the sink thread does not panic");
    let duration = start.elapsed();

    if let Some(source) = sink_result.write_error {
        return Err(RunError::Output {
            path: settings.jtl_path.clone(),
            source,
        });
    }
    if let (Some(source), Some(path)) = (sink_result.hdr_log_error, &settings.hdr_log) {
        return Err(RunError::Output {
            path: path.clone(),
            source,
        });
    }
    Ok(RunReport {
        stats: sink_result.stats,
        stop_reason: stop.reason(),
        started_at_ms: shared.start_epoch_ms,
        duration,
        target_tps: match &settings.model {
            LoadModel::Open(profile) => {
                target_rate_until(profile, stopped_after) / settings.worker_count.max(1) as f64
            }
            LoadModel::Closed(_) => 0.0,
        },
        arrivals: ArrivalCounts {
            scheduled: shared.scheduled.load(Ordering::Relaxed),
            sent: shared.sent.load(Ordering::Relaxed),
            dropped: shared.dropped.load(Ordering::Relaxed),
            unsent: shared.unsent.load(Ordering::Relaxed),
            late: shared.late.load(Ordering::Relaxed),
        },
        iterations: match &settings.model {
            LoadModel::Open(_) => shared.sent.load(Ordering::Relaxed),
            LoadModel::Closed(_) => shared.iterations_started.load(Ordering::Relaxed),
        },
        jtl_path: settings.jtl_path,
        extractor_misses: shared.counters.extractor_misses(),
        while_caps: shared.counters.while_caps(),
        tls_insecure: transport.tls_insecure(),
    })
}

/// The mean target rate over `[0, stopped_after]` (capped at the profile's end), or over the
/// whole profile when the run was not stopped.
fn target_rate_until(
    profile: &vajra_plan::pattern::LoadProfile,
    stopped_after: Option<Duration>,
) -> f64 {
    let planned = profile.duration();
    match stopped_after.map(|at| at.min(planned)) {
        Some(at) if !at.is_zero() => profile.arrivals_until(at.as_secs_f64()) / at.as_secs_f64(),
        Some(_) => 0.0,
        None => profile.mean_rate(),
    }
}

/// Whether the plan's base URL or a request's URL (as written) is `https://`.
fn uses_tls(plan: &Plan) -> bool {
    let https = |url: &str| {
        url.get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    };
    plan.base_url.as_deref().is_some_and(https)
        || plan.requests().any(|r| https(&r.url.to_string()))
}

/// Now, in ms since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

fn open_jtl(path: &Path) -> Result<JtlWriter<BufWriter<File>>, RunError> {
    let file = create_output(path)?;
    JtlWriter::new(BufWriter::with_capacity(256 * 1024, file)).map_err(|source| RunError::Output {
        path: path.to_path_buf(),
        source,
    })
}

fn open_hdr_log(
    path: &Path,
    started_at_ms: u64,
) -> Result<HdrLogWriter<BufWriter<File>>, RunError> {
    let file = create_output(path)?;
    HdrLogWriter::new(BufWriter::new(file), started_at_ms).map_err(|source| RunError::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// Creates `path` and its directory.
fn create_output(path: &Path) -> Result<File, RunError> {
    let output_error = |source| RunError::Output {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(output_error)?;
    }
    File::create(path).map_err(output_error)
}
