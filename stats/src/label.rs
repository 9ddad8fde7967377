//! Everything accumulated for one label: counts, distributions, sums, errors by cause and the
//! per-second timeline. Every field merges exactly (additions, minima and maxima).

use super::distribution::Distribution;
use super::errors::LabelErrors;
use super::timeline::Timeline;
use crate::sample::Observation;

#[derive(Debug, Clone, PartialEq)]
pub struct LabelStats {
    pub(crate) samples: u64,
    pub(crate) errors: u64,
    /// Samples cancelled by a hard stop: in `samples`, in nothing that needs a response time
    /// (see [`crate::sample::CANCELLED_CODE`]).
    pub(crate) cancelled: u64,
    pub(crate) elapsed: Distribution,
    pub(crate) latency: Distribution,
    pub(crate) service: Distribution,
    pub(crate) connect_sum_us: u128,
    pub(crate) bytes_received: u64,
    pub(crate) bytes_sent: u64,
    /// Earliest start and latest end (start + elapsed), µs since the Unix epoch: the span JMeter
    /// divides by for throughput.
    pub(crate) first_start_us: u64,
    pub(crate) last_end_us: u64,
    pub(crate) max_active_threads: u32,
    pub(crate) causes: LabelErrors,
    pub(crate) timeline: Timeline,
}

impl Default for LabelStats {
    fn default() -> Self {
        LabelStats {
            samples: 0,
            errors: 0,
            cancelled: 0,
            elapsed: Distribution::default(),
            latency: Distribution::default(),
            service: Distribution::default(),
            connect_sum_us: 0,
            bytes_received: 0,
            bytes_sent: 0,
            first_start_us: u64::MAX,
            last_end_us: 0,
            max_active_threads: 0,
            causes: LabelErrors::default(),
            timeline: Timeline::default(),
        }
    }
}

impl LabelStats {
    /// `scratch` is a buffer reused across calls so that counting a known error cause
    /// allocates nothing.
    pub(crate) fn record(&mut self, obs: &Observation<'_>, scratch: &mut String) {
        self.record_n(obs, 1, scratch);
    }

    /// Records `n` samples alike (an HdrHistogram bucket).
    #[inline]
    pub(crate) fn record_n(&mut self, obs: &Observation<'_>, n: u64, scratch: &mut String) {
        if n == 0 {
            return;
        }
        self.samples = self.samples.saturating_add(n);
        let start_us = obs.timestamp_ms.saturating_mul(1000);
        self.first_start_us = self.first_start_us.min(start_us);
        self.last_end_us = self
            .last_end_us
            .max(start_us.saturating_add(obs.elapsed_us));
        self.max_active_threads = self.max_active_threads.max(obs.active_threads);
        let times = |bytes: u64| bytes.saturating_mul(n);
        self.bytes_received = self
            .bytes_received
            .saturating_add(times(obs.bytes_received));
        self.bytes_sent = self.bytes_sent.saturating_add(times(obs.bytes_sent));
        if obs.is_cancelled() {
            // Its elapsed time is when the stop came, not a response time: counted, no more.
            self.cancelled = self.cancelled.saturating_add(n);
            return;
        }
        self.elapsed.record_n(obs.elapsed_us, n);
        self.latency.record_n(obs.latency_us, n);
        if let Some(service_us) = obs.service_us {
            self.service.record_n(service_us, n);
        }
        self.connect_sum_us = self
            .connect_sum_us
            .saturating_add(u128::from(obs.connect_us) * u128::from(n));
        if !obs.success {
            self.errors = self.errors.saturating_add(n);
            if obs.failure_message.is_empty() {
                self.causes
                    .by_response
                    .add(scratch, obs.response_code, obs.response_message, n);
            } else {
                self.causes
                    .by_assertion
                    .add(scratch, "", obs.failure_message, n);
            }
        }
        self.timeline.record_n(
            obs.timestamp_ms,
            obs.elapsed_us,
            obs.latency_us,
            obs.success,
            obs.active_threads,
            n,
        );
    }

    pub(crate) fn merge(&mut self, other: &LabelStats) {
        self.samples = self.samples.saturating_add(other.samples);
        self.errors = self.errors.saturating_add(other.errors);
        self.cancelled = self.cancelled.saturating_add(other.cancelled);
        self.elapsed.merge(&other.elapsed);
        self.latency.merge(&other.latency);
        self.service.merge(&other.service);
        self.connect_sum_us = self.connect_sum_us.saturating_add(other.connect_sum_us);
        self.bytes_received = self.bytes_received.saturating_add(other.bytes_received);
        self.bytes_sent = self.bytes_sent.saturating_add(other.bytes_sent);
        self.first_start_us = self.first_start_us.min(other.first_start_us);
        self.last_end_us = self.last_end_us.max(other.last_end_us);
        self.max_active_threads = self.max_active_threads.max(other.max_active_threads);
        self.causes.merge(&other.causes);
        self.timeline.merge(&other.timeline);
    }

    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Failed samples, cancelled ones not included.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Samples cancelled by a hard stop (see [`crate::sample::CANCELLED_CODE`]); included in
    /// [`Self::samples`].
    pub fn cancelled(&self) -> u64 {
        self.cancelled
    }

    /// Samples that ran to an outcome: all but the cancelled ones.
    pub fn completed(&self) -> u64 {
        self.samples - self.cancelled
    }

    /// Failed samples as a percentage of the completed ones (errors / (samples − cancelled)),
    /// 0 when there are none.
    pub fn error_pct(&self) -> f64 {
        if self.completed() == 0 {
            0.0
        } else {
            self.errors as f64 * 100.0 / self.completed() as f64
        }
    }

    /// Response time: intended start → last byte (JTL `elapsed`).
    pub fn elapsed(&self) -> &Distribution {
        &self.elapsed
    }

    /// Intended start → first byte (JTL `Latency`).
    pub fn latency(&self) -> &Distribution {
        &self.latency
    }

    /// Actual send → last byte; `None` when no sample knew it (JTL files from other tools).
    pub fn service(&self) -> Option<&Distribution> {
        (self.service.count() > 0).then_some(&self.service)
    }

    /// Mean connect time of the completed samples.
    pub fn connect_mean_us(&self) -> f64 {
        if self.completed() == 0 {
            0.0
        } else {
            self.connect_sum_us as f64 / self.completed() as f64
        }
    }

    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Earliest sample start, ms since the Unix epoch; `None` when empty.
    pub fn first_timestamp_ms(&self) -> Option<u64> {
        (self.samples > 0).then_some(self.first_start_us / 1000)
    }

    /// Latest sample end (start + elapsed), ms since the Unix epoch; `None` when empty.
    pub fn last_end_ms(&self) -> Option<u64> {
        (self.samples > 0).then_some(self.last_end_us / 1000)
    }

    /// Earliest start → latest end in seconds, 0 when empty.
    pub fn duration_s(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.last_end_us.saturating_sub(self.first_start_us) as f64 / 1e6
        }
    }

    /// Samples per second over [`Self::duration_s`] (JMeter's throughput), 0 when the span is 0.
    pub fn throughput(&self) -> f64 {
        let duration = self.duration_s();
        if duration > 0.0 {
            self.samples as f64 / duration
        } else {
            0.0
        }
    }

    /// Earliest start and latest end, µs since the Unix epoch (`u64::MAX, 0` when empty).
    pub(crate) fn window_us(&self) -> (u64, u64) {
        (self.first_start_us, self.last_end_us)
    }

    /// Sets the window when it is known better than from the samples' values (an interval log:
    /// see [`crate::Stats::record_histogram`]).
    pub(crate) fn set_window_us(&mut self, first_start_us: u64, last_end_us: u64) {
        self.first_start_us = first_start_us;
        self.last_end_us = last_end_us;
    }

    pub fn max_active_threads(&self) -> u32 {
        self.max_active_threads
    }
}
