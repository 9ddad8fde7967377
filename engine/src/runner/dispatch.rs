//! The dispatcher: one thread that releases arrivals at their intended times.
//!
//! It runs on its own OS thread, not on the tokio workers, so a busy runtime never delays the
//! schedule (the open model) and sub-millisecond spacing is kept (tokio's timer has 1 ms ticks).
//! It never sends early, never waits for a response, and enforces the in-flight bound: an
//! arrival that finds `max_in_flight` requests outstanding is counted as dropped.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::lane::open_lane;
use super::{Job, Shared};
use crate::sample::Sample;
use crate::schedule::Arrivals;

/// Longest single sleep, so a stop request is noticed quickly.
const MAX_SLEEP: Duration = Duration::from_millis(50);
/// Below this, spinning is cheaper and more precise than a sleep syscall.
const SPIN_BELOW: Duration = Duration::from_micros(40);

pub fn dispatch(
    arrivals: Arrivals,
    shared: Arc<Shared>,
    runtime: Handle,
    samples: mpsc::Sender<Sample>,
    steady_state_only: bool,
) {
    reduce_timer_slack();
    let (jobs, queue) = flume::unbounded::<Job>();
    let mut lanes = 0u32;
    let weights = shared.scenario_weights();
    for arrival in arrivals {
        let due = shared.start + Duration::from_secs_f64(arrival.at);
        if !wait_until(due, &shared) {
            break;
        }
        let outstanding = shared.outstanding.load(Ordering::Acquire);
        if outstanding >= shared.max_in_flight {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        shared.outstanding.fetch_add(1, Ordering::AcqRel);
        if shared.idle_lanes.load(Ordering::Acquire) == 0 && (lanes as usize) < shared.max_in_flight
        {
            lanes += 1;
            runtime.spawn(open_lane(
                lanes,
                queue.clone(),
                shared.clone(),
                samples.clone(),
            ));
        }
        let job = Job {
            intended: due,
            scenario: pick_weighted(arrival.index, &weights),
            record: !steady_state_only || arrival.steady,
            active: (outstanding + 1) as u32,
        };
        if jobs.send(job).is_err() {
            break;
        }
    }
    // Dropping `jobs` closes the queue: lanes finish what is queued and end.
}

/// Sleeps until `due`; false if a stop was requested meanwhile.
fn wait_until(due: Instant, shared: &Shared) -> bool {
    loop {
        if shared.stopping() {
            return false;
        }
        let now = Instant::now();
        if now >= due {
            return true;
        }
        let wait = due - now;
        if wait < SPIN_BELOW {
            std::hint::spin_loop();
        } else {
            std::thread::sleep((wait - SPIN_BELOW / 2).min(MAX_SLEEP));
        }
    }
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

/// Linux adds up to 50 µs of "slack" to every sleep of a normal thread; the dispatcher needs
/// its wake-ups on time, so it asks for 1 µs.
fn reduce_timer_slack() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK only changes this thread's timer slack; no memory is touched.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1_000 as libc::c_ulong);
    }
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
