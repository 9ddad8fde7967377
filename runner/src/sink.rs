//! The sink: one thread that takes every sample off the hot path, writes its JTL row, adds it
//! to the statistics, and once a second flushes the JTL, writes an HDR log interval (when a log
//! is asked for) and reports progress.
//!
//! Lanes only push into a bounded channel; the sink drains it in batches and sleeps briefly
//! when it is empty, so lanes never pay for waking it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, error::TryRecvError};

use super::{Progress, ProgressMark, RunState};
use vajra_stats::jtl::JtlWriter;
use vajra_stats::sample::Sample;
use vajra_stats::{HdrLogWriter, IntervalStats, Stats};

use super::now_ms;

/// Long enough that an idle sink costs little CPU, short enough that the channel never fills:
/// at 100k samples/s, 10 ms is 1,000 samples of the channel's 16k.
const IDLE_SLEEP: Duration = Duration::from_millis(10);
const TICK: Duration = Duration::from_secs(1);

pub type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// What the sink hands back when every lane is done.
pub struct SinkResult {
    pub stats: Stats,
    /// The first JTL write error, if any: the run is then stopped and reported as failed.
    pub write_error: Option<std::io::Error>,
    /// The first HDR log write error, if any; the run is then stopped and reported as failed.
    pub hdr_log_error: Option<std::io::Error>,
}

pub fn drain(
    mut samples: mpsc::Receiver<Sample>,
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
    loop {
        let closed = loop {
            match samples.try_recv() {
                Ok(sample) => {
                    if write_error.is_none() {
                        keep_failure(&mut write_error, jtl.write(&sample), &shared);
                    }
                    let observation = sample.observation();
                    stats.record(&observation);
                    interval.record(&observation);
                    samples_seen += 1;
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
            progress(&shared.progress(samples_seen, &interval.take(now_ms), &mut mark));
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
