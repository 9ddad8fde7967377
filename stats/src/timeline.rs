//! Per-second counters keyed by the sample's start second, and the [`TimelinePoint`]s built from
//! them.
//!
//! Memory is one small fixed-size bucket per label per second that saw samples (a sparse map,
//! so a file with timestamps decades apart costs two buckets, not decades of them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Sums for one second; sums (not averages) so that buckets add exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub(crate) samples: u64,
    pub(crate) errors: u64,
    pub(crate) sum_elapsed_us: u128,
    pub(crate) sum_latency_us: u128,
    pub(crate) max_active_threads: u32,
}

impl Bucket {
    fn add(&mut self, other: &Bucket) {
        self.samples = self.samples.saturating_add(other.samples);
        self.errors = self.errors.saturating_add(other.errors);
        self.sum_elapsed_us = self.sum_elapsed_us.saturating_add(other.sum_elapsed_us);
        self.sum_latency_us = self.sum_latency_us.saturating_add(other.sum_latency_us);
        self.max_active_threads = self.max_active_threads.max(other.max_active_threads);
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Timeline {
    pub(crate) seconds: BTreeMap<u64, Bucket>,
}

impl Timeline {
    /// Records `n` samples alike.
    pub(crate) fn record_n(
        &mut self,
        timestamp_ms: u64,
        elapsed_us: u64,
        latency_us: u64,
        success: bool,
        active_threads: u32,
        n: u64,
    ) {
        let bucket = self.seconds.entry(timestamp_ms / 1000).or_default();
        bucket.add(&Bucket {
            samples: n,
            errors: if success { 0 } else { n },
            sum_elapsed_us: u128::from(elapsed_us) * u128::from(n),
            sum_latency_us: u128::from(latency_us) * u128::from(n),
            max_active_threads: active_threads,
        });
    }

    pub(crate) fn merge(&mut self, other: &Timeline) {
        for (&second, bucket) in &other.seconds {
            self.seconds.entry(second).or_default().add(bucket);
        }
    }

    pub(crate) fn points(&self) -> Vec<TimelinePoint> {
        self.seconds
            .iter()
            .map(|(&ts, b)| TimelinePoint {
                ts,
                samples: b.samples,
                errors: b.errors,
                avg_response_time_ms: mean_ms(b.sum_elapsed_us, b.samples),
                avg_latency_ms: mean_ms(b.sum_latency_us, b.samples),
                active_threads: b.max_active_threads,
            })
            .collect()
    }
}

fn mean_ms(sum_us: u128, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum_us as f64 / count as f64 / 1000.0
    }
}

/// One second of one label (or of the total), like a BlazeMeter `kpis[]` item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Start of the second, seconds since the Unix epoch.
    pub ts: u64,
    pub samples: u64,
    pub errors: u64,
    pub avg_response_time_ms: f64,
    pub avg_latency_ms: f64,
    /// The most active threads (requests in flight) any sample of that second saw.
    pub active_threads: u32,
}

/// The timeline of one label; `label` is "ALL" for the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelTimeline {
    pub label: String,
    pub points: Vec<TimelinePoint>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_land_in_their_start_second() {
        let mut t = Timeline::default();
        t.record_n(1_700_000_000_999, 10_000, 4_000, true, 3, 1);
        t.record_n(1_700_000_000_000, 30_000, 6_000, false, 5, 1);
        t.record_n(1_700_000_001_000, 1_000, 1_000, true, 1, 1);
        let points = t.points();
        assert_eq!(points.len(), 2);
        assert_eq!(
            points[0],
            TimelinePoint {
                ts: 1_700_000_000,
                samples: 2,
                errors: 1,
                avg_response_time_ms: 20.0,
                avg_latency_ms: 5.0,
                active_threads: 5,
            }
        );
        assert_eq!((points[1].ts, points[1].samples), (1_700_000_001, 1));
    }

    #[test]
    fn far_apart_timestamps_stay_sparse() {
        let mut t = Timeline::default();
        t.record_n(0, 1, 1, true, 1, 1);
        t.record_n(1_700_000_000_000, 1, 1, true, 1, 1);
        assert_eq!(t.points().len(), 2);
    }
}
