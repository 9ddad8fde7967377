//! One request of a scenario: render it in the virtual user's scope, send it, measure it from
//! its intended start, judge it by its assertions and run its extractors, as one [`Sample`].
//!
//! A request without extractors or checks skips all of that after the status: no response
//! view, no body kept, no header map built.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use vajra_plan::{Row, Scope};
use vajra_stats::sample::{Outcome, Sample};

use super::lane::{Lane, LATE_AFTER};
use super::workload::CompiledRequest;
use super::{Job, RunState};
use crate::check;
use crate::extract;
use crate::response::ResponseView;
use crate::scope::{RunValues, UserScope, UserState};
use crate::session::{SendOptions, Sent};
use crate::transport::{Exchange, TransportError};

/// Sends `request` for `user` and returns its sample; the user's variables get what the
/// extractors found.
pub(crate) async fn send(
    lane: &mut Lane,
    shared: &RunState,
    job: &Job,
    request: &CompiledRequest,
    user: &mut UserState,
    row: &Row,
    intended: Instant,
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
    let rendered = {
        let run = RunValues {
            counter: &shared.counter,
            lane: lane.id,
        };
        request.render(&UserScope { user, row, run })
    };
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(message) => {
            sample.outcome = Outcome::Transport {
                code: "Non HTTP response code: InvalidRequest",
                message: format!("Non HTTP response message: {message}").into(),
            };
            extract_nothing(shared, request, user, row, lane.id);
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
    let sent: Sent = tokio::select! {
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
            measure(&mut sample, &exchange, intended);
            judge(&mut sample, &exchange, shared, request, user, row, lane.id);
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
            extract_nothing(shared, request, user, row, lane.id);
        }
    }
    sample
}

fn measure(sample: &mut Sample, exchange: &Exchange, intended: Instant) {
    sample.elapsed_us = micros(exchange.done_at - intended);
    sample.service_us = micros(exchange.done_at - exchange.sent_at);
    sample.latency_us = micros(exchange.first_byte_at - intended);
    sample.connect_us = micros(exchange.connect);
    sample.bytes_received = exchange.bytes_received;
    sample.bytes_sent = exchange.bytes_sent;
    sample.outcome = Outcome::Http(exchange.status);
}

/// Success, the failure message, and the extractors' values, from the response.
fn judge(
    sample: &mut Sample,
    exchange: &Exchange,
    shared: &RunState,
    request: &CompiledRequest,
    user: &mut UserState,
    row: &Row,
    lane: u32,
) {
    let spec = request.spec();
    if !request.inspects_response {
        let verdict = check::judge_status(&spec.assertions, exchange.status);
        sample.success = verdict.is_ok();
        sample.failure_message = verdict.err().flatten().map(Into::into);
        return;
    }
    let response = ResponseView::new(
        exchange.status,
        exchange.body.as_deref().unwrap_or_default(),
        exchange.headers.all.as_ref(),
        &exchange.headers.set_cookie,
        &sample.url,
        Duration::from_micros(sample.elapsed_us),
    );
    let verdict = check::judge(&spec.assertions, &response);
    // Extractors run on failed samples too, as JMeter's post-processors do.
    run_extractors(shared, request, user, row, lane, |source| {
        extract::find_all(source, &response)
    });
    sample.success = verdict.is_ok();
    sample.failure_message = verdict.err().flatten().map(Into::into);
}

/// A request that got no response: every extractor of the response misses (and its default
/// is set); one with `from-variable` still reads its variable.
fn extract_nothing(
    shared: &RunState,
    request: &CompiledRequest,
    user: &mut UserState,
    row: &Row,
    lane: u32,
) {
    run_extractors(shared, request, user, row, lane, |_| Vec::new());
}

/// Sets each extractor's variable from what `find` gives for its source (or, with
/// `from-variable`, from that variable's value, as the user's scope has it), and counts misses.
fn run_extractors(
    shared: &RunState,
    request: &CompiledRequest,
    user: &mut UserState,
    row: &Row,
    lane: u32,
    find: impl Fn(&vajra_plan::ExtractSource) -> Vec<String>,
) {
    for (i, extractor) in request.spec().extractors.iter().enumerate() {
        let found = match &extractor.from_variable {
            None => find(&extractor.source),
            Some(name) => {
                let run = RunValues {
                    counter: &shared.counter,
                    lane,
                };
                let scope = UserScope { user, row, run };
                scope
                    .var(name)
                    .map(|text| extract::find_all(&extractor.source, &ResponseView::of_text(text)))
                    .unwrap_or_default()
            }
        };
        let picked = extract::pick(found, extractor.matches, |n| {
            rand::Rng::gen_range(&mut rand::thread_rng(), 0..n)
        });
        if !user.set_extracted(extractor, picked) {
            shared.counters.missed(request.first_extractor + i);
        }
    }
}

pub(crate) fn micros(d: Duration) -> u64 {
    d.as_micros().min(u64::MAX as u128) as u64
}
