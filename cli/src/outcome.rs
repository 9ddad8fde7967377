//! A local run's outcome: the verdict from its criteria and its arrival accounting, the stop
//! reason and the rates, as `summary.json` and `report.html` record them, and the exit code
//! that matches them. The rules themselves are [`vajra_stats::outcome`]'s.

use vajra_runner::{RunReport, StopReason};
use vajra_stats::outcome::{ArrivalsSummary, Rates, RunOutcome, RunVerdict, INSECURE_TLS_WARNING};
use vajra_stats::threshold::Threshold;

use crate::exit::Exit;
use crate::thresholds;

/// Checks `criteria` against the run and decides its verdict (see [`vajra_stats::outcome`]).
pub fn judge_run(
    report: &RunReport,
    criteria: &[Threshold],
    allow_overload: bool,
) -> anyhow::Result<RunOutcome> {
    let arrivals = report.arrivals;
    let mut verdict = thresholds::judge(
        criteria,
        &report.stats.aggregate(),
        &report.stats,
        Some(&arrivals),
        allow_overload,
    )?;
    if report.tls_insecure {
        verdict.warnings.push(INSECURE_TLS_WARNING.to_string());
    }
    let total = report.stats.total();
    Ok(RunOutcome {
        verdict,
        stop_reason: StopReason::name_of(report.stop_reason).to_string(),
        arrivals: ArrivalsSummary::from(&arrivals),
        rates: Rates::new(
            report.target_tps,
            report.iterations,
            total.samples(),
            total.duration_s(),
        ),
    })
}

/// Taurus's exit code for a run: 2 interrupted, 1 error, 3 failed or invalid, 0 passed. An
/// interrupted run's verdict is still recorded; the code says it was interrupted.
pub fn exit_code(stop_reason: Option<StopReason>, verdict: &RunVerdict) -> Exit {
    match stop_reason {
        Some(StopReason::Interrupted) => Exit::Interrupted,
        Some(StopReason::Failed) => Exit::Error,
        _ if !verdict.passed() => Exit::FailureCriteria,
        _ => Exit::Ok,
    }
}
