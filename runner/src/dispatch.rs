//! The dispatcher: one task that releases arrivals at their intended times.
//!
//! It never waits for a response (the open model), sends at most [`SEND_AHEAD`] early, and
//! enforces the in-flight bound: an arrival that finds `max_in_flight` requests outstanding is
//! counted as dropped. It runs on the lanes' runtime, so handing a job to a lane is a local
//! wake-up, not a thread switch.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::lane::open_lane;
use super::sink::SampleSender;
use super::{Job, RunState};
use vajra_plan::schedule::Arrivals;

/// Arrivals due within this window are released together, on tokio's 1 ms timer. A wake-up
/// costs tens of µs of CPU on a VM, so waking once per arrival (every 50 µs at 20k/s) would
/// cost more than the requests (a timerfd per arrival cost 1.6× oha's CPU per request at
/// 5k/s, docs/benchmarks.md). A request sent early is timed from its actual send,
/// so the window never makes a response look faster than it was.
pub const SEND_AHEAD: Duration = Duration::from_millis(1);

/// How far past the profile's end the dispatcher may still be releasing arrivals. Beyond it,
/// the arrivals left are counted as dropped (not sent in time) in one step, so a run ends on
/// time whatever its rate.
pub const OVERRUN_GRACE: Duration = Duration::from_secs(1);

pub async fn dispatch(
    mut arrivals: Arrivals,
    end: Duration,
    shared: Arc<RunState>,
    samples: SampleSender,
    steady_state_only: bool,
) {
    let mut lanes = 0u32;
    let weights = shared.scenario_weights();
    let cutoff = shared.start + end + OVERRUN_GRACE;
    while let Some(arrival) = arrivals.next() {
        let due = shared.start + Duration::from_secs_f64(arrival.at);
        tokio::select! {
            biased;
            _ = shared.stop.stopped() => break,
            _ = tokio::time::sleep_until(due.checked_sub(SEND_AHEAD).unwrap_or(due).into()) => {}
        }
        shared.scheduled.fetch_add(1, Ordering::Relaxed);
        if Instant::now() >= cutoff {
            let left = arrivals.len() as u64;
            shared.scheduled.fetch_add(left, Ordering::Relaxed);
            shared.dropped.fetch_add(1 + left, Ordering::Relaxed);
            break;
        }
        let outstanding = shared.outstanding.load(Ordering::Acquire);
        if outstanding >= shared.max_in_flight {
            // Behind schedule with every slot taken: the arrivals already due find the bound
            // reached too. Counting them at once keeps an absurd rate from being walked one by
            // one long after the run should have ended.
            let behind = arrivals.skip_through(shared.start.elapsed().as_secs_f64());
            shared.scheduled.fetch_add(behind, Ordering::Relaxed);
            shared.dropped.fetch_add(1 + behind, Ordering::Relaxed);
            continue;
        }
        shared.outstanding.fetch_add(1, Ordering::AcqRel);
        let job = Job {
            intended: due,
            scenario: pick_weighted(arrival.index, &weights),
            record: !steady_state_only || arrival.steady,
            active: (outstanding + 1) as u32,
        };
        // Lanes never outnumber `max_in_flight`: a lane is started only for a pending job,
        // and every pending or running job is outstanding.
        if shared.pool.submit(job) {
            lanes += 1;
            tokio::spawn(open_lane(lanes, shared.clone(), samples.clone()));
        }
    }
    shared.pool.close();
}

/// Scenario for the `index`-th arrival (1-based): arrivals are shared between scenarios in
/// proportion to their weights, exactly over every `sum(weights)` consecutive arrivals.
pub fn pick_weighted(index: u64, weights: &[u32]) -> usize {
    let total: u64 = weights.iter().map(|&w| w as u64).sum();
    if total == 0 {
        return 0;
    }
    let mut position = (index.saturating_sub(1)) % total;
    for (i, &w) in weights.iter().enumerate() {
        if position < w as u64 {
            return i;
        }
        position -= w as u64;
    }
    weights.len() - 1
}

#[cfg(test)]
mod tests {
    use super::pick_weighted;

    #[test]
    fn weighted_pick_is_exact_over_each_cycle() {
        let weights = [3, 1, 2];
        let mut counts = [0; 3];
        for index in 1..=600 {
            counts[pick_weighted(index, &weights)] += 1;
        }
        assert_eq!(counts, [300, 100, 200]);
        assert_eq!(pick_weighted(1, &[5]), 0);
    }
}
