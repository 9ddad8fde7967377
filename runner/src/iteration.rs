//! The step interpreter: walks a scenario's steps (an iteration, or a user's setup or
//! teardown) for one virtual user.
//!
//! Timing: the first request is measured from the walk's intended start (the arrival's, in the
//! open model); each later one from when it was meant to go, the end of the previous request
//! plus its think time (or a pause). A request's think time is taken lazily, before whatever
//! comes next, so the last one of an iteration is handed back: the closed model waits it out
//! before the next iteration, the open model's next arrival has its own time.
//!
//! A stop (or the end of the run's duration, for `loop: forever`, `while` and waits) ends the
//! walk after the current request: no new request is issued.
//!
//! Cost: a flat scenario walks its steps in one loop with no allocation; only entering a block
//! boxes a future (blocks nest, and an async function cannot hold itself).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use vajra_plan::{LoopCount, Row};
use vajra_stats::sample::{Outcome, ResponseCode, Sample};

use super::lane::Lane;
use super::send::{micros, send};
use super::workload::{CompiledRequest, CompiledStep};
use super::{Job, RunState};
use crate::scope::{RunValues, UserScope, UserState};
use crate::think;

/// Whether a walk goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Next,
    /// A stop was asked for, the run's time is up, or the sink is gone.
    Stop,
}

/// How a walk ended.
pub(crate) struct Walked {
    pub flow: Flow,
    /// When the last request's think time ends, if it had one.
    pub pause_until: Option<Instant>,
}

/// One walk's state.
pub(crate) struct Walk<'a> {
    lane: &'a mut Lane,
    shared: &'a RunState,
    job: &'a Job,
    user: &'a mut UserState,
    row: &'a Row,
    /// Open model: the lane's saved state, updated after each `once` block.
    saved: Option<&'a mut UserState>,
    /// The intended start of the next request, when known (the walk's start, a wait's end).
    intended: Option<Instant>,
    /// The think time of the last request, not yet waited.
    pending_think: Option<Duration>,
    /// The transactions open around the current step, innermost last.
    transactions: Vec<Tally>,
}

/// What a transaction's requests added up to so far.
#[derive(Default)]
struct Tally {
    samples: u64,
    failing: u64,
    bytes_received: u64,
    bytes_sent: u64,
    first_failing_code: Option<ResponseCode<'static>>,
    /// Time spent in waits (think times and pauses) inside the transaction.
    paused: Duration,
}

type BoxedFlow<'s> = Pin<Box<dyn Future<Output = Flow> + Send + 's>>;

impl<'a> Walk<'a> {
    pub fn new(
        lane: &'a mut Lane,
        shared: &'a RunState,
        job: &'a Job,
        user: &'a mut UserState,
        row: &'a Row,
        saved: Option<&'a mut UserState>,
    ) -> Self {
        Walk {
            lane,
            shared,
            job,
            user,
            row,
            saved,
            intended: Some(job.intended),
            pending_think: None,
            transactions: Vec::new(),
        }
    }

    /// The first request is meant to start at `start` (not at the job's intended time).
    pub fn starting_at(mut self, start: Instant) -> Self {
        self.intended = Some(start);
        self
    }

    /// Runs `steps` in order.
    pub async fn run(mut self, steps: &[CompiledStep]) -> Walked {
        let mut flow = Flow::Next;
        for step in steps {
            flow = self.step(step).await;
            if flow == Flow::Stop {
                break;
            }
        }
        Walked {
            flow,
            pause_until: self.pending_think.map(|think| Instant::now() + think),
        }
    }

    /// Runs a block's steps (boxed: blocks nest).
    fn block<'s>(&'s mut self, steps: &'s [CompiledStep]) -> BoxedFlow<'s> {
        Box::pin(async move {
            for step in steps {
                if self.step(step).await == Flow::Stop {
                    return Flow::Stop;
                }
            }
            Flow::Next
        })
    }

    async fn step(&mut self, step: &CompiledStep) -> Flow {
        match step {
            CompiledStep::Request(request) => self.request(request).await,
            CompiledStep::Transaction {
                name,
                include_pauses,
                steps,
            } => self.transaction(name, *include_pauses, steps).await,
            CompiledStep::If {
                condition,
                then,
                otherwise,
            } => {
                let holds = condition.holds(&self.scope());
                self.block(if holds { then } else { otherwise }).await
            }
            CompiledStep::Loop { count, steps } => match *count {
                LoopCount::Times(times) => {
                    for _ in 0..times {
                        if self.block(steps).await == Flow::Stop {
                            return Flow::Stop;
                        }
                    }
                    Flow::Next
                }
                LoopCount::Forever => loop {
                    if self.time_is_up() || self.block(steps).await == Flow::Stop {
                        return Flow::Stop;
                    }
                    // A body without requests would otherwise never let the lane's thread go.
                    tokio::task::yield_now().await;
                },
            },
            CompiledStep::While {
                condition,
                max_iterations,
                cap_slot,
                steps,
            } => {
                let mut runs = 0u64;
                while condition.holds(&self.scope()) {
                    if runs == *max_iterations {
                        self.shared.counters.capped(*cap_slot);
                        break;
                    }
                    runs += 1;
                    if self.time_is_up() || self.block(steps).await == Flow::Stop {
                        return Flow::Stop;
                    }
                    tokio::task::yield_now().await;
                }
                Flow::Next
            }
            CompiledStep::Foreach {
                variable,
                list,
                steps,
            } => {
                let count = self
                    .var_owned(&format!("{list}_matchNr"))
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
                for i in 1..=count {
                    let value = self.var_owned(&format!("{list}_{i}")).unwrap_or_default();
                    self.user.set(variable, value);
                    if self.block(steps).await == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                Flow::Next
            }
            CompiledStep::Once { id, steps } => {
                if !self.user.first_time(*id) {
                    return Flow::Next;
                }
                let flow = self.block(steps).await;
                if let Some(saved) = self.saved.as_deref_mut() {
                    *saved = self.user.clone();
                    saved.jar = self.lane.session.cookies().cloned();
                }
                flow
            }
            CompiledStep::SetVariables(pairs) => {
                for (name, template) in pairs {
                    let value = template.render(&self.scope());
                    self.user.set(name, value);
                }
                Flow::Next
            }
            CompiledStep::Pause(pause) => {
                let pause = think::draw(pause, &mut rand::thread_rng());
                let total = self.pending_think.take().unwrap_or_default() + pause;
                self.wait(total).await
            }
        }
    }

    async fn request(&mut self, request: &CompiledRequest) -> Flow {
        if let Some(think) = self.pending_think.take() {
            if self.wait(think).await == Flow::Stop {
                return Flow::Stop;
            }
        }
        let intended = self.intended.take().unwrap_or_else(Instant::now);
        let sample = send(
            self.lane,
            self.shared,
            self.job,
            request,
            self.user,
            self.row,
            intended,
        )
        .await;
        self.user.last_sample_ok = sample.success;
        for tally in &mut self.transactions {
            tally.add(&sample);
        }
        self.pending_think = request
            .spec()
            .think_time
            .as_ref()
            .map(|think| think::draw(think, &mut rand::thread_rng()));
        if self.job.record && self.lane.samples.push(sample).await.is_err() {
            return Flow::Stop;
        }
        if self.shared.stopping() || self.shared.aborting() {
            return Flow::Stop;
        }
        Flow::Next
    }

    /// Runs a transaction's steps and writes its row after them (also when a stop cut it
    /// short: its requests were sent and recorded). Without `include_pauses`, the row's
    /// elapsed time is the transaction's less the waits inside it.
    async fn transaction(
        &mut self,
        name: &std::sync::Arc<str>,
        include_pauses: bool,
        steps: &[CompiledStep],
    ) -> Flow {
        if let Some(think) = self.pending_think.take() {
            if self.wait(think).await == Flow::Stop {
                return Flow::Stop;
            }
        }
        let start = *self.intended.get_or_insert_with(Instant::now);
        self.transactions.push(Tally::default());
        let flow = self.block(steps).await;
        let tally = self.transactions.pop().unwrap_or_default();
        let end = Instant::now();
        let mut elapsed = end.saturating_duration_since(start);
        if !include_pauses {
            elapsed = elapsed.saturating_sub(tally.paused);
        }
        let code = tally
            .first_failing_code
            .unwrap_or(ResponseCode::Status(200));
        let sample = Sample {
            timestamp_ms: self.shared.epoch_ms(start),
            elapsed_us: micros(elapsed),
            service_us: micros(elapsed),
            latency_us: 0,
            connect_us: 0,
            label: name.clone(),
            url: "".into(),
            outcome: Outcome::transaction(code, tally.samples, tally.failing),
            success: tally.failing == 0,
            failure_message: None,
            bytes_received: tally.bytes_received,
            bytes_sent: tally.bytes_sent,
            active_threads: self.job.active,
            thread: self.lane.id,
        };
        if self.job.record && self.lane.samples.push(sample).await.is_err() {
            return Flow::Stop;
        }
        flow
    }

    /// Waits `pause` (sending held samples first if they fall due meanwhile); the next
    /// request is meant to start at its end. A stop, or the run's end coming first, ends it.
    async fn wait(&mut self, pause: Duration) -> Flow {
        let began = Instant::now();
        let until = began + pause;
        let wake = until.min(self.shared.run_end);
        if self.lane.samples.send_if_due_before(wake).await.is_err() {
            return Flow::Stop;
        }
        let stopped = tokio::select! {
            _ = tokio::time::sleep_until(wake.into()) => false,
            _ = self.shared.stop.stopped() => true,
        };
        // The pause runs to its planned end (sooner if a stop or the run's end cut it short):
        // oversleeping counts toward the next request, which is measured from that end.
        let waited = Instant::now().min(wake).saturating_duration_since(began);
        for tally in &mut self.transactions {
            tally.paused += waited;
        }
        if stopped {
            return Flow::Stop;
        }
        if until > self.shared.run_end {
            return Flow::Stop;
        }
        self.intended = Some(until);
        Flow::Next
    }

    fn time_is_up(&self) -> bool {
        self.shared.stopping() || Instant::now() >= self.shared.run_end
    }

    fn scope(&self) -> UserScope<'_> {
        UserScope {
            user: self.user,
            row: self.row,
            run: RunValues {
                counter: &self.shared.counter,
                lane: self.lane.id,
            },
        }
    }

    /// The value of `name` now, copied (the user's state changes next).
    fn var_owned(&self, name: &str) -> Option<String> {
        vajra_plan::Scope::var(&self.scope(), name).map(str::to_string)
    }
}

impl Tally {
    fn add(&mut self, sample: &Sample) {
        self.samples += 1;
        self.bytes_received += sample.bytes_received;
        self.bytes_sent += sample.bytes_sent;
        if !sample.success {
            self.failing += 1;
            self.first_failing_code
                .get_or_insert(match &sample.outcome {
                    Outcome::Http(status) => ResponseCode::Status(*status),
                    Outcome::Transport { code, .. } => ResponseCode::Text(code),
                    Outcome::Transaction { code, .. } => *code,
                });
        }
    }
}
