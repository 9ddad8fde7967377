//! vajra-runner: runs a plan. The open-model load loop, its HTTP transport, and the embedded
//! loopback target a new user can run against at once.
//!
//! It takes a [`vajra_plan::Plan`] and its arrival schedule, fires each arrival at its intended
//! time over [`http`], and hands every exchange as a [`vajra_stats::sample::Sample`] to the
//! sink, which writes the JTL and the statistics. [`embedded_target`] is a small loopback HTTP
//! server for quick starts and tests.
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
//! - `lane` sends the requests and measures them from the intended start;
//! - `sink` writes the JTL, aggregates statistics and, once a second, reports progress and
//!   writes the HDR interval log (if asked for).
//!
//! A [`StopSignal`] ends a run early (Ctrl-C, SIGTERM, the `$GRACEFUL` file): the dispatcher
//! stops, arrivals pending or handed over but not started are counted as unsent, in-flight requests get `drain_timeout` to finish
//! and are then cancelled (and still recorded), and the sink flushes every row.

pub mod embedded_target;
pub mod http;

mod dispatch;
pub use dispatch::OVERRUN_GRACE;
mod lane;
mod pool;
mod sink;
pub mod workload;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

pub use dispatch::pick_weighted;
pub use lane::LATE_AFTER;
pub use sink::ProgressFn;
pub use vajra_plan::load_model::{ClosedModel, LoadModel};
use vajra_plan::schedule::Arrivals;
use vajra_plan::{DataFeed, Plan, PlanError, Row};
use vajra_stats::jtl::JtlWriter;
use vajra_stats::{HdrLogWriter, IntervalSummary, Stats};
use workload::CompiledScenario;

/// Bound on requests in flight when the plan and flags set none.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1000;
/// How long in-flight requests may finish after a stop request.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Samples buffered between lanes and the sink before lanes wait (never dropped).
const SAMPLE_CHANNEL: usize = 16 * 1024;

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

/// Asks a running test to stop; cheap to clone and safe to call from signal handlers' tasks.
#[derive(Clone, Default)]
pub struct StopSignal {
    reason: Arc<AtomicU8>,
    token: CancellationToken,
    /// Cancels requests in flight instead of waiting for them (a second Ctrl-C, or the drain
    /// timeout). They are still recorded, as cancelled.
    abort: CancellationToken,
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

    pub fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    pub async fn stopped(&self) {
        self.token.cancelled().await
    }

    /// Stops (as interrupted, unless a reason was given already) and cancels requests in flight.
    pub fn abort(&self) {
        self.stop(StopReason::Interrupted);
        self.abort.cancel();
    }

    pub fn is_aborted(&self) -> bool {
        self.abort.is_cancelled()
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
}

/// What the live display shows once a second. The interval figures (target, started, req/s,
/// p95, errors) all cover the same window, the time since the previous report, so they compare
/// like with like; the rule is written down in docs/plan-format.md ("Rates").
#[derive(Debug, Clone)]
pub struct Progress {
    pub elapsed: Duration,
    /// The planned length; `None` when only `iterations` bounds the run (closed model).
    pub total: Option<Duration>,
    /// How much of the run is done, 0 to 1: by time, or by iterations when they bound it.
    pub done: f64,
    /// The window the interval figures cover: the time since the previous report.
    pub window: Duration,
    /// This worker's mean target rate over the window, iterations/s (open model only).
    pub target_its: Option<f64>,
    /// Closed model: users started so far, and the users of the plan.
    pub users: Option<(u32, u32)>,
    /// Iterations started in the window, per second.
    pub started_its: f64,
    /// Samples (requests) recorded in the window, per second.
    pub req_s: f64,
    /// Response-time p95 over the window, ms.
    pub p95_ms: Option<f64>,
    /// Errors over the window, percent of its samples.
    pub error_pct: f64,
    pub in_flight: usize,
    pub samples: u64,
    pub dropped: u64,
}

/// Where the previous progress report stood, so the next one covers the window since.
#[derive(Debug, Clone, Copy, Default)]
struct ProgressMark {
    elapsed: Duration,
    iterations: u64,
}

/// The outcome of a run: totals plus the run-level facts the summary needs.
pub struct RunReport {
    pub stats: Stats,
    pub stop_reason: Option<StopReason>,
    pub started_at_ms: u64,
    pub duration: Duration,
    /// Mean target rate of this worker over the whole profile (0 in the closed model).
    pub target_tps: f64,
    /// Arrivals intended before the run's dispatcher ended: all of them for a run that
    /// completed, those due by the stop for one that was stopped (open model; 0 closed).
    /// Always `sent + dropped + unsent`.
    pub scheduled: u64,
    /// Arrivals whose iteration started.
    pub sent: u64,
    /// Arrivals not sent because `max_in_flight` requests were already outstanding.
    pub dropped: u64,
    /// Arrivals queued but not started when a stop came, or left when the dispatcher passed
    /// the end of the profile by [`OVERRUN_GRACE`].
    pub unsent: u64,
    /// Requests that started more than [`LATE_AFTER`] after their intended time.
    pub late: u64,
    pub jtl_path: PathBuf,
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
    data: Option<DataFeed>,
    start: Instant,
    start_epoch_ms: u64,
    model: LoadModel,
    /// Iterations started in the closed model, to share them between scenarios by weight.
    iterations_started: AtomicU64,
    worker_count: u32,
    max_in_flight: usize,
    pool: pool::Pool,
    outstanding: AtomicUsize,
    /// Arrivals whose intended time came before the dispatcher ended (open model).
    scheduled: AtomicU64,
    /// Arrivals whose iteration started (open model).
    sent: AtomicU64,
    dropped: AtomicU64,
    unsent: AtomicU64,
    late: AtomicU64,
    stop: StopSignal,
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

/// The figures of one progress report over the window from `from` to `to` (no I/O, no
/// clock): the target is the mean over the window, not the rate at its end, so at a step
/// boundary the new rate is not paired with the iterations of the old one.
fn interval_progress(
    model: &LoadModel,
    worker_count: u32,
    from: ProgressMark,
    to: ProgressMark,
    samples: u64,
    interval: &IntervalSummary,
) -> Progress {
    let window = to.elapsed.saturating_sub(from.elapsed);
    let per_second = |count: u64| {
        let seconds = window.as_secs_f64();
        if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        }
    };
    let elapsed_s = to.elapsed.as_secs_f64();
    let (target_its, users, total, done) = match model {
        LoadModel::Open(profile) => {
            let target = profile.mean_rate_between(from.elapsed.as_secs_f64(), elapsed_s)
                / f64::from(worker_count.max(1));
            let total = profile.duration();
            (
                Some(target),
                None,
                Some(total),
                fraction(elapsed_s, total.as_secs_f64()),
            )
        }
        LoadModel::Closed(closed) => {
            let started = if closed.ramp_up.is_zero() || closed.users == 0 {
                closed.users
            } else {
                // User `i` starts at ramp_up · i / users.
                let share = elapsed_s / closed.ramp_up.as_secs_f64() * f64::from(closed.users);
                (share.floor() as u64 + 1).min(u64::from(closed.users)) as u32
            };
            let users = Some((started, closed.users));
            match closed
                .planned_iterations()
                .filter(|_| closed.ends_by_iterations())
            {
                Some(planned) => (
                    None,
                    users,
                    None,
                    fraction(to.iterations as f64, planned as f64),
                ),
                None => {
                    let total = closed.duration;
                    (
                        None,
                        users,
                        Some(total),
                        fraction(elapsed_s, total.as_secs_f64()),
                    )
                }
            }
        }
    };
    Progress {
        elapsed: to.elapsed,
        total,
        done,
        window,
        target_its,
        users,
        started_its: per_second(to.iterations.saturating_sub(from.iterations)),
        req_s: per_second(interval.samples),
        p95_ms: (interval.samples > 0).then_some(interval.p95_ms),
        error_pct: if interval.samples == 0 {
            0.0
        } else {
            100.0 * interval.errors as f64 / interval.samples as f64
        },
        in_flight: 0,
        samples,
        dropped: 0,
    }
}

/// `part / whole` within 0 to 1 (1 for an empty whole).
fn fraction(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (part / whole).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

#[cfg(test)]
mod progress_tests {
    use super::*;
    use vajra_plan::pattern::{LoadPattern, LoadProfile, Step};

    fn mark(seconds: f64, iterations: u64) -> ProgressMark {
        ProgressMark {
            elapsed: Duration::from_secs_f64(seconds),
            iterations,
        }
    }

    fn interval(samples: u64, errors: u64) -> IntervalSummary {
        IntervalSummary {
            start_ms: 0,
            end_ms: 1000,
            samples,
            errors,
            tps: 0.0,
            p95_ms: 3.0,
        }
    }

    fn step(first: f64, second: f64) -> LoadModel {
        let stage = |tps| Step {
            tps,
            duration: Duration::from_secs(2),
        };
        LoadModel::Open(LoadProfile::new(LoadPattern::Step {
            steps: vec![stage(first), stage(second)],
        }))
    }

    #[test]
    fn a_window_across_a_step_gets_the_mean_target_and_its_own_counts() {
        // 1.5 s → 2.5 s: half at 10 it/s, half at 100 it/s; 5 + 50 iterations started, each
        // of a 3-request scenario.
        let p = interval_progress(
            &step(10.0, 100.0),
            1,
            mark(1.5, 15),
            mark(2.5, 70),
            300,
            &interval(165, 33),
        );
        assert!((p.target_its.unwrap() - 55.0).abs() < 1e-6, "{p:?}");
        assert!((p.started_its - 55.0).abs() < 1e-6, "{p:?}");
        assert!((p.req_s - 165.0).abs() < 1e-6, "{p:?}");
        assert!((p.error_pct - 20.0).abs() < 1e-9, "{p:?}");
        assert_eq!(p.window, Duration::from_secs(1));
        assert_eq!(p.total, Some(Duration::from_secs(4)));
        assert!((p.done - 0.625).abs() < 1e-9);
        // Split over two workers, each targets half.
        let half = interval_progress(
            &step(10.0, 100.0),
            2,
            mark(1.5, 0),
            mark(2.5, 0),
            0,
            &interval(0, 0),
        );
        assert!((half.target_its.unwrap() - 27.5).abs() < 1e-6);
        assert_eq!(half.p95_ms, None);
    }

    #[test]
    fn the_closed_model_shows_users_not_a_target() {
        let closed = |duration, iterations| {
            LoadModel::Closed(ClosedModel {
                users: 10,
                duration,
                ramp_up: Duration::from_secs(10),
                iterations,
            })
        };
        let by_time = interval_progress(
            &closed(Duration::from_secs(20), None),
            1,
            mark(4.0, 0),
            mark(5.0, 40),
            40,
            &interval(40, 0),
        );
        assert_eq!(by_time.target_its, None);
        // Users start at 0 s, 1 s, … 9 s: six have started by 5 s.
        assert_eq!(by_time.users, Some((6, 10)));
        assert_eq!(by_time.total, Some(Duration::from_secs(20)));
        assert!((by_time.started_its - 40.0).abs() < 1e-9);
        let by_iterations = interval_progress(
            &closed(vajra_plan::load_model::CLOSED_MODEL_CAP, Some(5)),
            1,
            mark(4.0, 0),
            mark(5.0, 25),
            25,
            &interval(25, 0),
        );
        assert_eq!(by_iterations.total, None);
        assert!((by_iterations.done - 0.5).abs() < 1e-9);
    }
}

/// Runs `plan` with `settings` until the profile ends or `stop` is signalled.
pub async fn run(
    plan: &Plan,
    settings: RunSettings,
    stop: StopSignal,
    progress: ProgressFn,
) -> Result<RunReport, RunError> {
    let scenarios = workload::compile(plan)?;
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
    let shared = Arc::new(RunState {
        scenarios,
        data,
        start,
        start_epoch_ms: now_ms(),
        model: settings.model.clone(),
        iterations_started: AtomicU64::new(0),
        worker_count: settings.worker_count.max(1),
        max_in_flight: settings.max_in_flight.max(1),
        pool: pool::Pool::default(),
        outstanding: AtomicUsize::new(0),
        scheduled: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        unsent: AtomicU64::new(0),
        late: AtomicU64::new(0),
        stop: stop.clone(),
    });
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
                let delay = closed.ramp_up.mul_f64(user as f64 / closed.users as f64);
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
    let sink_result = tokio::select! {
        biased;
        result = &mut sink => result,
        _ = stop.stopped() => {
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
            LoadModel::Open(profile) => profile.mean_rate() / settings.worker_count.max(1) as f64,
            LoadModel::Closed(_) => 0.0,
        },
        scheduled: shared.scheduled.load(Ordering::Relaxed),
        sent: shared.sent.load(Ordering::Relaxed),
        dropped: shared.dropped.load(Ordering::Relaxed),
        unsent: shared.unsent.load(Ordering::Relaxed),
        late: shared.late.load(Ordering::Relaxed),
        jtl_path: settings.jtl_path,
    })
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
