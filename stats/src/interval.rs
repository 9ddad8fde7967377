//! A rolling window for the live progress line and the HDR interval log: counts and elapsed
//! histograms since the last [`IntervalStats::take`], kept apart from the run totals in
//! [`super::Stats`].
//!
//! Like the totals, transaction-controller rows get their own label histogram but stay out of
//! the interval total, so the progress line counts each request once.

use std::collections::HashMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::distribution::{new_histogram, record_value};
use crate::sample::Observation;

#[derive(Debug, Clone)]
pub struct IntervalStats {
    start_ms: u64,
    total: Histogram<u64>,
    errors: u64,
    labels: HashMap<Box<str>, LabelInterval>,
}

/// One label within an interval: its response times and the span of its samples.
#[derive(Debug, Clone)]
struct LabelInterval {
    histogram: Histogram<u64>,
    span: Option<Span>,
}

/// The earliest intended start and the latest end (start + elapsed) of some samples, ms since
/// the Unix epoch, rounded as the JTL writes them: the window that a JTL gives the same samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start_ms: u64,
    pub end_ms: u64,
}

impl LabelInterval {
    fn new() -> Self {
        LabelInterval {
            histogram: new_histogram(),
            span: None,
        }
    }

    fn record(&mut self, obs: &Observation<'_>) {
        record_value(&mut self.histogram, obs.elapsed_us);
        let end_ms = obs
            .timestamp_ms
            .saturating_add(crate::jtl::writer::us_to_ms(obs.elapsed_us));
        self.span = Some(match self.span {
            None => Span {
                start_ms: obs.timestamp_ms,
                end_ms,
            },
            Some(span) => Span {
                start_ms: span.start_ms.min(obs.timestamp_ms),
                end_ms: span.end_ms.max(end_ms),
            },
        });
    }
}

/// One interval, as the progress line shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalSummary {
    pub start_ms: u64,
    pub end_ms: u64,
    pub samples: u64,
    pub errors: u64,
    /// Samples per second over the interval.
    pub tps: f64,
    /// 95th percentile of the response time, ms, to 3 significant digits.
    pub p95_ms: f64,
}

impl IntervalStats {
    /// An empty window starting at `start_ms` (ms since the Unix epoch).
    pub fn new(start_ms: u64) -> Self {
        IntervalStats {
            start_ms,
            total: new_histogram(),
            errors: 0,
            labels: HashMap::new(),
        }
    }

    /// Records a sample; a cancelled one has no response time and is left out.
    pub fn record(&mut self, obs: &Observation<'_>) {
        if obs.is_cancelled() {
            return;
        }
        record_value(&mut self.total, obs.elapsed_us);
        self.errors += u64::from(!obs.success);
        self.record_label(obs);
    }

    /// A transaction-controller row: its label only, not the interval total.
    pub fn record_transaction(&mut self, obs: &Observation<'_>) {
        self.record_label(obs);
    }

    fn record_label(&mut self, obs: &Observation<'_>) {
        match self.labels.get_mut(obs.label) {
            Some(label) => label.record(obs),
            None => {
                let mut label = LabelInterval::new();
                label.record(obs);
                self.labels.insert(obs.label.into(), label);
            }
        }
    }

    pub fn start_ms(&self) -> u64 {
        self.start_ms
    }

    /// Elapsed µs of every non-transaction sample in the window.
    pub fn total(&self) -> &Histogram<u64> {
        &self.total
    }

    /// Elapsed µs per label, sorted by label, labels without samples in this window left out.
    pub fn labels(&self) -> Vec<(&str, &Histogram<u64>)> {
        self.label_spans()
            .into_iter()
            .map(|(label, histogram, _)| (label, histogram))
            .collect()
    }

    /// [`Self::labels`] with the span of each label's samples in this window.
    pub fn label_spans(&self) -> Vec<(&str, &Histogram<u64>, Span)> {
        let mut labels: Vec<_> = self
            .labels
            .iter()
            .filter_map(|(label, l)| Some((&**label, &l.histogram, l.span?)))
            .collect();
        labels.sort_unstable_by_key(|&(label, _, _)| label);
        labels
    }

    /// The window from its start to `end_ms`.
    pub fn summary(&self, end_ms: u64) -> IntervalSummary {
        let samples = self.total.len();
        let seconds = end_ms.saturating_sub(self.start_ms) as f64 / 1000.0;
        IntervalSummary {
            start_ms: self.start_ms,
            end_ms,
            samples,
            errors: self.errors,
            tps: if seconds > 0.0 {
                samples as f64 / seconds
            } else {
                0.0
            },
            p95_ms: if samples == 0 {
                0.0
            } else {
                self.total.value_at_quantile(0.95) as f64 / 1000.0
            },
        }
    }

    /// The summary up to `now_ms`, then an empty window from `now_ms`. Write the HDR log
    /// interval before calling this. Keeps the histograms' memory, so a steady run allocates
    /// nothing here.
    pub fn take(&mut self, now_ms: u64) -> IntervalSummary {
        let summary = self.summary(now_ms);
        self.total.reset();
        self.errors = 0;
        for label in self.labels.values_mut() {
            label.histogram.reset();
            label.span = None;
        }
        self.start_ms = now_ms;
        summary
    }
}
