//! Lanes: the tasks that send requests, one connection each, one scenario iteration at a time.
//! In the open model a lane runs the arrivals the [`super::pool`] gives it; in the closed model
//! a lane is a virtual user looping on its own.
//!
//! A lane keeps one [`UserState`] per scenario it has run. Closed model: the user's state, for
//! its life; setup runs before the user's first iteration of the scenario, teardown after its
//! last. Open model: the lane's saved state, taken after setup (run before the lane's first
//! arrival of the scenario) and after each `once` block; every arrival starts from a copy of
//! it, and teardown runs when the lane ends. Teardown never runs after a stop.

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::time::Sleep;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::iteration::{Flow, Walk};
use super::pool::{Handoff, Next};
use super::sink::{SampleBatch, SampleSender};
use super::{ClosedModel, Job, RunState};
use crate::scope::{RunValues, UserState};
use crate::session::Session;
use vajra_plan::Row;

/// Arrivals that start this much later than intended are counted as late.
pub const LATE_AFTER: Duration = Duration::from_millis(10);

/// An open-model lane idle for this long ends and closes its connection.
pub const IDLE_LANE_TTL: Duration = Duration::from_secs(1);

/// A lane's timers and its abort signal, made once per lane and reset for each use. A new
/// `tokio::time::timeout` per request registers a timer in the runtime's wheel and removes it
/// again (a lock each time); moving an existing timer's deadline later, as each new request's
/// timeout does, is a single atomic update. Likewise the abort future stays registered with
/// the token instead of joining and leaving its waiter list per request.
pub(crate) struct LaneTimers {
    pub request: Pin<Box<Sleep>>,
    idle: Pin<Box<Sleep>>,
    pub abort: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl LaneTimers {
    fn new(shared: &RunState) -> Self {
        let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
        LaneTimers {
            request: Box::pin(tokio::time::sleep_until(far)),
            idle: Box::pin(tokio::time::sleep_until(far)),
            abort: Box::pin(shared.stop.abort.clone().cancelled_owned()),
        }
    }
}

/// What a lane keeps for its whole life: its session (connection and the current user's
/// cookies), timers, unsent samples, and its virtual users' states (one per scenario).
pub(crate) struct Lane {
    pub id: u32,
    pub session: Session,
    pub timers: LaneTimers,
    pub samples: SampleBatch,
    users: Vec<Option<UserState>>,
}

impl Lane {
    fn new(id: u32, shared: &RunState, samples: SampleSender) -> Self {
        Lane {
            id,
            session: Session::new(shared.transport.clone()),
            timers: LaneTimers::new(shared),
            samples: SampleBatch::new(samples),
            users: (0..shared.scenarios.len()).map(|_| None).collect(),
        }
    }

    /// Runs the teardown of every scenario the lane ran (unless the run was stopped), then
    /// sends the samples still held: the lane is ending. A sink that is gone has failed and
    /// stopped the run already, so there is nothing left to do with them.
    async fn finish(mut self, shared: &RunState) {
        for scenario in 0..self.users.len() {
            if shared.stopping() {
                break;
            }
            let Some(mut user) = self.users[scenario].take() else {
                continue;
            };
            let steps = &shared.scenarios[scenario].teardown;
            if steps.is_empty() {
                continue;
            }
            let job = Job {
                intended: Instant::now(),
                scenario,
                record: true,
                active: shared.outstanding.load(Ordering::Relaxed) as u32,
            };
            self.session.set_cookies(user.jar.take());
            Walk::new(&mut self, shared, &job, &mut user, &Row::empty(), None)
                .run(steps)
                .await;
        }
        let _ = self.samples.send().await;
    }

    /// The state of the job's scenario's user, new (with its variables rendered and its setup
    /// run) the first time; and when the job's steps are meant to start (after the setup, if
    /// one ran). `None`: a stop came during setup.
    async fn user_for(
        &mut self,
        job: &Job,
        row: &Row,
        shared: &RunState,
    ) -> Option<(UserState, Instant)> {
        if let Some(user) = self.users[job.scenario].take() {
            return Some((user, job.intended));
        }
        let scenario = &shared.scenarios[job.scenario];
        let run = RunValues {
            counter: &shared.counter,
            lane: self.id,
        };
        let variables = shared.plan_variables.iter().chain(&scenario.variables);
        let mut user = UserState::start(variables, row, run);
        if !scenario.setup.is_empty() {
            self.session.set_cookies(None);
            let walked = Walk::new(self, shared, job, &mut user, row, None)
                .run(&scenario.setup)
                .await;
            user.jar = self.session.take_cookies();
            if walked.flow == Flow::Stop {
                return None;
            }
            return Some((user, Instant::now()));
        }
        Some((user, job.intended))
    }
}

/// One open-model lane: one connection, running the jobs the pool gives it until the pool is
/// closed and nothing is pending.
pub async fn open_lane(id: u32, shared: Arc<RunState>, samples: SampleSender) {
    let (slot, mut handoffs) = mpsc::channel(1);
    let mut slot = Some(slot);
    let mut lane = Lane::new(id, &shared, samples);
    let mut next = shared.pool.first();
    // The pool counts the lane as starting until its first job (which connects) is done.
    let mut starting = next.is_some();
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => {
                let Some(own_slot) = slot.take() else { break };
                match shared.pool.next(id, own_slot, lane.session.is_open()) {
                    Next::Run(job, own_slot) => {
                        slot = Some(own_slot);
                        job
                    }
                    Next::Wait => match wait_for_handoff(&mut lane, &mut handoffs, &shared).await {
                        Some(handoff) => {
                            slot = Some(handoff.slot);
                            handoff.job
                        }
                        None => break,
                    },
                    Next::End => break,
                }
            }
        };
        if shared.stopping() {
            // Handed over but never started: it was not issued, so it is counted, not sent.
            shared.unsent.fetch_add(1, Ordering::Relaxed);
        } else {
            shared.sent.fetch_add(1, Ordering::Relaxed);
            open_iteration(&mut lane, &job, &shared).await;
        }
        shared.outstanding.fetch_sub(1, Ordering::AcqRel);
        if std::mem::take(&mut starting) {
            shared.pool.started();
        }
    }
    lane.finish(&shared).await;
}

/// One arrival on an open-model lane: from a copy of the lane's saved state, which its `once`
/// blocks update. What the iteration itself sets is gone after it.
async fn open_iteration(lane: &mut Lane, job: &Job, shared: &RunState) {
    let Some(row) = next_row(shared) else { return };
    let Some((mut saved, start)) = lane.user_for(job, &row, shared).await else {
        return;
    };
    let mut user = saved.clone();
    lane.session.set_cookies(user.jar.take());
    let steps = &shared.scenarios[job.scenario].steps;
    Walk::new(lane, shared, job, &mut user, &row, Some(&mut saved))
        .starting_at(start)
        .run(steps)
        .await;
    lane.session.set_cookies(None);
    lane.users[job.scenario] = Some(saved);
}

/// One closed-model iteration of the user's state for the job's scenario. Returns when the
/// next iteration may start if the last request has a think time, else `None`; `Err` when the
/// user must stop (data ran out, a stop came, the sink is gone).
async fn closed_iteration(
    lane: &mut Lane,
    job: &Job,
    shared: &RunState,
) -> Result<Option<Instant>, ()> {
    let row = next_row(shared).ok_or(())?;
    let (mut user, start) = lane.user_for(job, &row, shared).await.ok_or(())?;
    lane.session.set_cookies(user.jar.take());
    let steps = &shared.scenarios[job.scenario].steps;
    let walked = Walk::new(lane, shared, job, &mut user, &row, None)
        .starting_at(start)
        .run(steps)
        .await;
    user.jar = lane.session.take_cookies();
    lane.users[job.scenario] = Some(user);
    match walked.flow {
        Flow::Next => Ok(walked.pause_until),
        Flow::Stop => Err(()),
    }
}

/// The iteration's data row (empty without data sets); `None` when data ran out with
/// `on-eof: stop` (and the stop is already requested).
fn next_row(shared: &RunState) -> Option<Row> {
    if shared.data.is_some() {
        shared.next_row()
    } else {
        Some(Row::empty())
    }
}

/// Waits for the next job; `None` when the pool closed, or when the lane stayed idle for
/// [`IDLE_LANE_TTL`] and retired, closing its connection. So a burst that needed many lanes
/// does not leave its connections (and their buffers) open for the rest of the run. Samples
/// held while idle are sent when they fall due.
async fn wait_for_handoff(
    lane: &mut Lane,
    handoffs: &mut mpsc::Receiver<Handoff>,
    shared: &RunState,
) -> Option<Handoff> {
    let mut retire_at = Instant::now() + IDLE_LANE_TTL;
    loop {
        let wake = lane
            .samples
            .due()
            .map_or(retire_at, |due| due.min(retire_at));
        lane.timers.idle.as_mut().reset(wake.into());
        tokio::select! {
            biased;
            handoff = handoffs.recv() => return handoff,
            _ = lane.timers.idle.as_mut() => {
                if lane.samples.due().is_some_and(|due| due <= Instant::now()) {
                    // A sink that is gone has stopped the run; the pool closes soon.
                    let _ = lane.samples.send().await;
                    continue;
                }
                if shared.pool.retire(lane.id) {
                    return None;
                }
                // A job was handed over just now: it is in the channel.
                retire_at = Instant::now() + IDLE_LANE_TTL;
            }
        }
    }
}

/// One virtual user of the closed model: iterations back to back until the duration ends,
/// its iterations are done, or a stop comes. `active_threads` counts the users running.
pub async fn closed_user(
    id: u32,
    model: ClosedModel,
    start_delay: Duration,
    shared: Arc<RunState>,
    samples: SampleSender,
) {
    let end = shared.start + model.duration;
    tokio::time::sleep(start_delay).await;
    let mut lane = Lane::new(id, &shared, samples);
    shared.outstanding.fetch_add(1, Ordering::AcqRel);
    let mut done = 0u64;
    let weights = shared.scenario_weights();
    let mut next_start = Instant::now();
    while !shared.stopping()
        && next_start < end
        && model.iterations.is_none_or(|limit| done < limit)
    {
        let index = shared.iterations_started.fetch_add(1, Ordering::Relaxed) + 1;
        let job = Job {
            intended: next_start,
            scenario: super::pick_weighted(index, &weights),
            record: true,
            // The users running now, this one included.
            active: shared.outstanding.load(Ordering::Relaxed) as u32,
        };
        let Ok(pause_until) = closed_iteration(&mut lane, &job, &shared).await else {
            break;
        };
        done += 1;
        // A user loops through its scenario: the last request's think time is the pause before
        // the next iteration's first request (as a Taurus/JMeter timer would pause), and
        // pacing keeps iterations' starts at least that far apart.
        let paced = shared.scenarios[job.scenario]
            .pacing
            .map(|pacing| job.intended + pacing);
        let pause_until = match (pause_until, paced) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        next_start = match pause_until {
            Some(until) => {
                let wake = until.min(end);
                if lane.samples.send_if_due_before(wake).await.is_err() {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(wake.into()) => {}
                    _ = shared.stop.stopped() => {}
                }
                until
            }
            None => Instant::now(),
        };
    }
    lane.finish(&shared).await;
    shared.outstanding.fetch_sub(1, Ordering::AcqRel);
}
