//! Lanes: the tasks that send requests, one connection each, one scenario iteration at a time.
//! In the open model a lane runs the arrivals the [`super::pool`] gives it; in the closed model
//! a lane is a virtual user looping on its own.

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::time::Sleep;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::pool::{Handoff, Next};
use super::sink::{SampleBatch, SampleSender};
use super::workload::CompiledRequest;
use super::{ClosedModel, Job, RunState};
use crate::session::{SendOptions, Sent, Session};
use crate::transport::{Exchange, TransportError};
use vajra_plan::Row;
use vajra_stats::sample::{Outcome, Sample};

/// Arrivals that start this much later than intended are counted as late.
pub const LATE_AFTER: Duration = Duration::from_millis(10);

/// An open-model lane idle for this long ends and closes its connection.
pub const IDLE_LANE_TTL: Duration = Duration::from_secs(1);

/// A lane's timers and its abort signal, made once per lane and reset for each use. A new
/// `tokio::time::timeout` per request registers a timer in the runtime's wheel and removes it
/// again (a lock each time); moving an existing timer's deadline later, as each new request's
/// timeout does, is a single atomic update. Likewise the abort future stays registered with
/// the token instead of joining and leaving its waiter list per request.
struct LaneTimers {
    request: Pin<Box<Sleep>>,
    idle: Pin<Box<Sleep>>,
    abort: Pin<Box<WaitForCancellationFutureOwned>>,
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

/// What a lane keeps for its whole life: its session (connection and cookies), timers and
/// unsent samples.
struct Lane {
    id: u32,
    session: Session,
    timers: LaneTimers,
    samples: SampleBatch,
}

impl Lane {
    fn new(id: u32, shared: &RunState, samples: SampleSender) -> Self {
        Lane {
            id,
            session: Session::new(shared.transport.clone()),
            timers: LaneTimers::new(shared),
            samples: SampleBatch::new(samples),
        }
    }

    /// Sends the samples still held: the lane is ending. A sink that is gone has failed and
    /// stopped the run already, so there is nothing left to do with them.
    async fn finish(mut self) {
        let _ = self.samples.send().await;
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
            // The open model's cookie jar lives for one iteration.
            lane.session.clear_cookies();
            run_iteration(&mut lane, &job, &shared).await;
        }
        shared.outstanding.fetch_sub(1, Ordering::AcqRel);
        if std::mem::take(&mut starting) {
            shared.pool.started();
        }
    }
    lane.finish().await;
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
        let pause_until = run_iteration(&mut lane, &job, &shared).await;
        done += 1;
        // A user loops through its scenario: the last request's think time is the pause before
        // the next iteration's first request (as a Taurus/JMeter timer would pause).
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
    shared.outstanding.fetch_sub(1, Ordering::AcqRel);
    lane.finish().await;
}

/// Runs the requests of one scenario iteration in order. The first request is measured from
/// the arrival's intended start; each later one from the end of the previous one plus its
/// think time, which is when it was meant to start. Returns when the next iteration may start
/// if the last request has a think time (the closed model waits for it), else `None`.
async fn run_iteration(lane: &mut Lane, job: &Job, shared: &RunState) -> Option<Instant> {
    let scenario = &shared.scenarios[job.scenario];
    let row = if shared.data.is_some() {
        // None: data ran out with on-eof: stop, and the stop is already requested.
        shared.next_row()?
    } else {
        Row::empty()
    };
    let mut intended = job.intended;
    let mut pause = None;
    for (i, request) in scenario.requests.iter().enumerate() {
        if i > 0 {
            intended = Instant::now() + pause.unwrap_or_default();
            if pause.is_some() {
                lane.samples.send_if_due_before(intended).await.ok()?;
                tokio::time::sleep_until(intended.into()).await;
            }
        }
        let sample = execute(lane, job, request, &row, intended, shared).await;
        pause = match request.spec().think_time {
            Some(vajra_plan::ThinkTime::Fixed(pause)) => Some(pause),
            _ => None,
        };
        if job.record {
            lane.samples.push(sample).await.ok()?;
        }
        // A stop ends the iteration after the current request: no new requests are issued.
        if shared.stopping() || shared.aborting() {
            return None;
        }
    }
    pause.map(|think| Instant::now() + think)
}

async fn execute(
    lane: &mut Lane,
    job: &Job,
    request: &CompiledRequest,
    row: &Row,
    intended: Instant,
    shared: &RunState,
) -> Sample {
    let mut sample = Sample {
        timestamp_ms: shared.epoch_ms(intended),
        elapsed_us: 0,
        service_us: 0,
        latency_us: 0,
        connect_us: 0,
        label: request.label.clone(),
        url: request.url_as_written().clone(),
        outcome: Outcome::Http(0),
        success: false,
        failure_message: None,
        bytes_received: 0,
        bytes_sent: 0,
        active_threads: job.active,
        thread: lane.id,
    };
    let rendered = match request.render(row) {
        Ok(rendered) => rendered,
        Err(message) => {
            sample.outcome = Outcome::Transport {
                code: "Non HTTP response code: InvalidRequest",
                message: format!("Non HTTP response message: {message}").into(),
            };
            return sample;
        }
    };
    sample.url = rendered.url;
    sample.bytes_sent = rendered.request.wire_size();
    let started = Instant::now();
    if started.duration_since(intended) > LATE_AFTER {
        shared.late.fetch_add(1, Ordering::Relaxed);
    }
    // Times run from the intended start (coordinated-omission correction) unless the request
    // went out early, within the dispatcher's send-ahead window: then from the actual send, so
    // an early send never makes a response look faster than it was.
    let intended = intended.min(started);
    sample.timestamp_ms = shared.epoch_ms(intended);
    let timeout = rendered.request.timeout();
    let options = SendOptions {
        follow_redirects: request.spec().follow_redirects,
        keepalive: request.spec().keepalive,
        store_cookie: shared.scenarios[job.scenario].store_cookie,
    };
    lane.timers
        .request
        .as_mut()
        .reset((started + timeout).into());
    let sent = tokio::select! {
        biased;
        sent = lane.session.send(&rendered.request, options) => sent,
        _ = lane.timers.request.as_mut() => Sent::failed(TransportError::timeout(timeout)),
        _ = lane.timers.abort.as_mut() => Sent::failed(TransportError::cancelled()),
    };
    if let Some(url) = sent.url {
        sample.url = url;
    }
    match sent.result {
        Ok(exchange) => {
            fill_from_exchange(&mut sample, &exchange, intended, request);
            if let Some(limit) = sent.too_many_redirects {
                sample.success = false;
                sample.failure_message = Some(format!("more than {limit} redirects").into());
            }
        }
        Err(error) => {
            let done = Instant::now();
            sample.elapsed_us = micros(done - intended);
            sample.service_us = micros(done - started);
            lane.session.reset();
            sample.connect_us = micros(error.connect);
            sample.outcome = Outcome::Transport {
                code: error.code,
                message: error.message.into(),
            };
        }
    }
    sample
}

fn fill_from_exchange(
    sample: &mut Sample,
    exchange: &Exchange,
    intended: Instant,
    request: &CompiledRequest,
) {
    sample.elapsed_us = micros(exchange.done_at - intended);
    sample.service_us = micros(exchange.done_at - exchange.sent_at);
    sample.latency_us = micros(exchange.first_byte_at - intended);
    sample.connect_us = micros(exchange.connect);
    sample.bytes_received = exchange.bytes_received;
    sample.bytes_sent = exchange.bytes_sent;
    sample.outcome = Outcome::Http(exchange.status);
    let assertions = &request.spec().assertions;
    sample.success = assertions.status_ok(exchange.status);
    if !assertions.status.is_empty() && !sample.success {
        let expected: Vec<u16> = assertions.status.iter().map(|r| r.low).collect();
        sample.failure_message = Some(
            format!(
                "status {} is not one of the expected {:?}",
                exchange.status, expected
            )
            .into(),
        );
        return;
    }
    if sample.success {
        let texts: Vec<String> = assertions
            .checks
            .iter()
            .filter_map(|c| match &c.kind {
                vajra_plan::CheckKind::Contains { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        if let Some(missing) = first_missing_text(exchange.body.as_deref(), &texts) {
            sample.success = false;
            sample.failure_message =
                Some(format!("response body does not contain {missing:?}").into());
        }
    }
}

/// The first expected text that the body does not contain.
fn first_missing_text<'a>(body: Option<&[u8]>, expected: &'a [String]) -> Option<&'a str> {
    let body = body.unwrap_or_default();
    expected
        .iter()
        .find(|text| !contains(body, text.as_bytes()))
        .map(String::as_str)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn micros(d: Duration) -> u64 {
    d.as_micros().min(u64::MAX as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_assertions_report_the_first_missing_text() {
        let expected = vec!["ok".to_string(), "id".to_string()];
        assert_eq!(first_missing_text(Some(b"ok, id=3"), &expected), None);
        assert_eq!(first_missing_text(Some(b"ok"), &expected), Some("id"));
        assert_eq!(first_missing_text(None, &expected), Some("ok"));
        assert_eq!(first_missing_text(None, &[]), None);
    }
}
