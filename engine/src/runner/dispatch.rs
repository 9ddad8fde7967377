//! The dispatcher: one task that releases arrivals at their intended times.
//!
//! It never waits for a response (the open model), sends at most [`SEND_AHEAD`] early, and
//! enforces the in-flight bound: an arrival that finds `max_in_flight` requests outstanding is
//! counted as dropped. It runs on the lanes' runtime, so handing a job to a lane is a local wake-up, not a
//! thread switch; its waits use a Linux timerfd ([`PreciseTimer`]) because tokio's own timer
//! has 1 ms ticks and arrivals at 20k/s are 50 µs apart.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::lane::open_lane;
use super::{Job, Shared};
use crate::sample::Sample;
use crate::schedule::Arrivals;

/// Arrivals due within this window are released together. Each wake-up of the dispatcher
/// costs tens of µs of CPU on a VM, so at 20k/s waking once per arrival (every 50 µs) would
/// cost more than the requests; a request sent early is measured from its actual send.
pub const SEND_AHEAD: Duration = Duration::from_micros(250);

pub async fn dispatch(
    arrivals: Arrivals,
    shared: Arc<Shared>,
    samples: mpsc::Sender<Sample>,
    steady_state_only: bool,
) {
    reduce_timer_slack();
    let mut timer = PreciseTimer::new();
    let mut lanes = 0u32;
    let weights = shared.scenario_weights();
    for arrival in arrivals {
        let due = shared.start + Duration::from_secs_f64(arrival.at);
        tokio::select! {
            biased;
            _ = shared.stop.stopped() => break,
            _ = timer.sleep_until(due.checked_sub(SEND_AHEAD).unwrap_or(due)) => {}
        }
        let outstanding = shared.outstanding.load(Ordering::Acquire);
        if outstanding >= shared.max_in_flight {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
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

/// Sub-millisecond sleeps on the runtime: a timerfd on Linux, tokio's timer elsewhere or if
/// the timerfd cannot be created.
struct PreciseTimer {
    #[cfg(target_os = "linux")]
    fd: Option<tokio::io::unix::AsyncFd<timerfd::TimerFd>>,
}

impl PreciseTimer {
    fn new() -> Self {
        PreciseTimer {
            #[cfg(target_os = "linux")]
            fd: timerfd::TimerFd::new_custom(timerfd::ClockId::Monotonic, true, true)
                .ok()
                // SAFETY: the AsyncFd owns the TimerFd, so the descriptor stays open for
                // exactly as long as it is registered.
                .and_then(|fd| unsafe { tokio::io::unix::AsyncFd::register(fd) }.ok()),
        }
    }

    async fn sleep_until(&mut self, due: Instant) {
        let now = Instant::now();
        if now >= due {
            return;
        }
        #[cfg(target_os = "linux")]
        if let Some(fd) = self.fd.as_mut() {
            use timerfd::{SetTimeFlags, TimerState};
            fd.get_mut()
                .set_state(TimerState::Oneshot(due - now), SetTimeFlags::Default);
            loop {
                match fd.readable().await {
                    // A non-blocking read says whether this arming has fired; a stale
                    // readiness from an earlier arming reads 0 and is cleared.
                    Ok(mut guard) => {
                        if guard.get_inner().read() > 0 {
                            return;
                        }
                        guard.clear_ready();
                    }
                    Err(_) => {
                        self.fd = None;
                        break;
                    }
                }
            }
        }
        tokio::time::sleep_until(due.into()).await;
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

/// Linux adds up to 50 µs of "slack" to every timer of a normal thread; the dispatcher needs
/// its wake-ups on time, so it asks for 1 µs for the thread it runs on. The CLI also calls this
/// for every runtime thread, since the dispatcher task may move between them.
pub fn reduce_timer_slack() {
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
