//! The live view's figures: one report per sink tick, over the window since the previous one.

use std::time::Duration;

use vajra_plan::load_model::LoadModel;
use vajra_stats::IntervalSummary;

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
pub(crate) struct ProgressMark {
    pub(crate) elapsed: Duration,
    pub(crate) iterations: u64,
}

/// The figures of one progress report over the window from `from` to `to` (no I/O, no
/// clock): the target is the mean over the window, not the rate at its end, so at a step
/// boundary the new rate is not paired with the iterations of the old one.
pub(crate) fn interval_progress(
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
            let started =
                closed.users_started(Duration::try_from_secs_f64(elapsed_s).unwrap_or_default());
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
    use vajra_plan::load_model::ClosedModel;
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
                ramp_steps: None,
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
