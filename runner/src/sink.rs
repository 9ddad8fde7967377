//! The sink: one thread that takes every sample off the hot path, writes its JTL row, adds it
//! to the statistics, and once a second flushes the JTL, writes an HDR log interval (when a log
//! is asked for), reports progress and sets the metrics' rate gauges. It also counts each
//! sample into the live metrics, when there are any.
//!
//! Lanes gather their samples in a [`SampleBatch`] and send a batch at a time into a bounded
//! channel, so the channel's cost is paid per batch, not per request. The sink drains the
//! channel and sleeps briefly when it is empty, so lanes never pay for waking it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, error::TryRecvError};

use super::{Progress, ProgressMark, RunState};
use vajra_stats::jtl::JtlWriter;
use vajra_stats::sample::Sample;
use vajra_stats::{HdrLogWriter, IntervalStats, Stats};

use super::now_ms;

/// Long enough that an idle sink costs little CPU, short enough that the channel never fills:
/// at 100k samples/s, 10 ms is 1,000 samples, a few dozen of the channel's 1,024 batches.
const IDLE_SLEEP: Duration = Duration::from_millis(10);
const TICK: Duration = Duration::from_secs(1);

pub type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// How lanes send samples to the sink: a batch per message.
pub type SampleSender = mpsc::Sender<Vec<Sample>>;

/// Samples a lane gathers before sending them as one message. A channel send costs about as
/// much as the rest of a request's bookkeeping, so sending 64 at once takes it off the hot path.
pub const BATCH: usize = 64;

/// The longest a lane keeps a sample before sending it, whatever its batch holds, so the live
/// view and the HDR log's per-second intervals stay current at any rate.
pub const MAX_HOLD: Duration = Duration::from_millis(50);

/// The sink has ended (only after a failure); the lane stops sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkGone;

/// One lane's samples not yet sent to the sink. The lane sends them when the batch is full,
/// when its oldest sample is [`MAX_HOLD`] old (before a wait that would outlast that, too), and
/// when the lane ends, so nothing is lost when a run stops.
pub struct SampleBatch {
    samples: Vec<Sample>,
    sender: SampleSender,
    /// When the oldest sample held must be sent; `None` while the batch is empty.
    due: Option<Instant>,
}

impl SampleBatch {
    pub fn new(sender: SampleSender) -> Self {
        SampleBatch {
            samples: Vec::new(),
            sender,
            due: None,
        }
    }

    /// Adds a sample, and sends the batch if it is full or due.
    pub async fn push(&mut self, sample: Sample) -> Result<(), SinkGone> {
        let now = Instant::now();
        if self.samples.capacity() == 0 {
            self.samples.reserve_exact(BATCH);
        }
        self.samples.push(sample);
        let due = *self.due.get_or_insert(now + MAX_HOLD);
        if self.samples.len() >= BATCH || now >= due {
            self.send().await
        } else {
            Ok(())
        }
    }

    /// When the samples held must be sent, if any are held.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// Sends the samples held now if they would be due before `wake_at`, the end of a wait.
    pub async fn send_if_due_before(&mut self, wake_at: Instant) -> Result<(), SinkGone> {
        match self.due {
            Some(due) if due <= wake_at => self.send().await,
            _ => Ok(()),
        }
    }

    /// Sends the samples held, if any.
    pub async fn send(&mut self) -> Result<(), SinkGone> {
        self.due = None;
        if self.samples.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.samples);
        self.sender.send(batch).await.map_err(|_| SinkGone)
    }
}

/// What the sink hands back when every lane is done.
pub struct SinkResult {
    pub stats: Stats,
    /// The first JTL write error, if any: the run is then stopped and reported as failed.
    pub write_error: Option<std::io::Error>,
    /// The first HDR log write error, if any; the run is then stopped and reported as failed.
    pub hdr_log_error: Option<std::io::Error>,
}

pub fn drain(
    mut samples: mpsc::Receiver<Vec<Sample>>,
    mut jtl: JtlWriter<BufWriter<File>>,
    mut hdr_log: Option<HdrLogWriter<BufWriter<File>>>,
    shared: Arc<RunState>,
    mut progress: ProgressFn,
) -> SinkResult {
    let mut stats = Stats::new();
    let mut interval = IntervalStats::new(now_ms());
    let mut samples_seen = 0u64;
    let mut write_error = None;
    let mut hdr_log_error = None;
    let mut last_tick = Instant::now();
    let mut mark = ProgressMark::default();
    let mut metrics = shared.metrics.as_ref().map(|m| m.recorder());
    loop {
        let closed = loop {
            match samples.try_recv() {
                Ok(batch) => {
                    for sample in &batch {
                        if write_error.is_none() {
                            keep_failure(&mut write_error, jtl.write(sample), &shared);
                        }
                        if let Some(metrics) = metrics.as_mut() {
                            metrics.record(sample);
                        }
                        let observation = sample.observation();
                        // A transaction's time spans child samples already counted: it gets
                        // its own label row, kept out of ALL.
                        if sample.is_transaction() {
                            stats.record_transaction(&observation);
                            interval.record_transaction(&observation);
                        } else {
                            stats.record(&observation);
                            interval.record(&observation);
                            samples_seen += 1;
                        }
                    }
                }
                Err(TryRecvError::Empty) => break false,
                Err(TryRecvError::Disconnected) => break true,
            }
        };
        let now = Instant::now();
        if closed || now - last_tick >= TICK {
            if write_error.is_none() {
                keep_failure(&mut write_error, jtl.flush(), &shared);
            }
            last_tick = now;
            let now_ms = now_ms();
            if let Some(log) = hdr_log.as_mut().filter(|_| hdr_log_error.is_none()) {
                let written = log
                    .write_interval(&interval, now_ms)
                    .and_then(|()| log.flush());
                keep_failure(&mut hdr_log_error, written, &shared);
            }
            let report = shared.progress(samples_seen, &interval.take(now_ms), &mut mark);
            if let Some(metrics) = &shared.metrics {
                metrics.tick(shared.metrics_slot.load(Ordering::Relaxed), &report);
            }
            progress(&report);
        }
        if closed {
            break;
        }
        std::thread::sleep(IDLE_SLEEP);
    }
    if write_error.is_none() {
        keep_failure(
            &mut write_error,
            jtl.into_inner().and_then(|mut w| w.flush()),
            &shared,
        );
    }
    SinkResult {
        stats,
        write_error,
        hdr_log_error,
    }
}

/// Keeps an output's first error and stops the run on it: its results would be incomplete.
fn keep_failure(
    first: &mut Option<std::io::Error>,
    result: std::io::Result<()>,
    shared: &RunState,
) {
    if let Err(e) = result {
        shared.request_stop(super::StopReason::Failed);
        first.get_or_insert(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vajra_stats::sample::Outcome;

    fn sample(thread: u32) -> Sample {
        Sample {
            timestamp_ms: 0,
            elapsed_us: 1,
            service_us: 1,
            latency_us: 1,
            connect_us: 0,
            label: "l".into(),
            url: "http://h/".into(),
            outcome: Outcome::Http(200),
            success: true,
            failure_message: None,
            bytes_received: 1,
            bytes_sent: 1,
            active_threads: 1,
            thread,
        }
    }

    #[tokio::test]
    async fn a_full_batch_goes_as_one_message() {
        let (tx, mut rx) = mpsc::channel(4);
        let mut batch = SampleBatch::new(tx);
        for i in 0..BATCH as u32 - 1 {
            batch.push(sample(i)).await.unwrap();
        }
        assert!(rx.try_recv().is_err(), "not full yet");
        assert!(batch.due().is_some());
        batch.push(sample(99)).await.unwrap();
        let sent = rx.try_recv().unwrap();
        assert_eq!(sent.len(), BATCH);
        assert_eq!((sent[0].thread, sent[BATCH - 1].thread), (0, 99));
        assert_eq!(batch.due(), None);
    }

    #[tokio::test]
    async fn held_samples_go_before_a_wait_past_their_due_time_or_once_due() {
        let (tx, mut rx) = mpsc::channel(4);
        let mut batch = SampleBatch::new(tx);
        batch.push(sample(1)).await.unwrap();
        batch.send_if_due_before(Instant::now()).await.unwrap();
        assert!(rx.try_recv().is_err(), "a short wait keeps them");
        batch
            .send_if_due_before(Instant::now() + MAX_HOLD * 2)
            .await
            .unwrap();
        assert_eq!(rx.try_recv().unwrap().len(), 1);

        batch.push(sample(2)).await.unwrap();
        std::thread::sleep(MAX_HOLD + Duration::from_millis(10));
        batch.push(sample(3)).await.unwrap();
        assert_eq!(rx.try_recv().unwrap().len(), 2, "the oldest was due");
    }

    #[tokio::test]
    async fn sending_to_a_sink_that_is_gone_says_so() {
        let (tx, rx) = mpsc::channel(4);
        let mut batch = SampleBatch::new(tx);
        batch.push(sample(1)).await.unwrap();
        drop(rx);
        assert_eq!(batch.send().await, Err(SinkGone));
        assert_eq!(batch.send().await, Ok(()), "nothing held any more");
    }
}
