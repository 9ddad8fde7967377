//! The run summary `vajra run` writes as `summary.json`: the facts of the run plus one
//! [`LabelSummary`] for the total and for each label. See the module doc of [`super`] for the
//! JSON field names.

use serde::{Deserialize, Serialize};

use super::label::LabelStats;
use super::outcome::RunOutcome;

/// What the runner knows about a run that samples alone cannot tell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFacts {
    pub target_tps: f64,
    pub duration_s: f64,
    /// Arrivals never sent because the generator could not keep up.
    pub dropped: u64,
    /// Arrivals sent later than intended.
    pub late: u64,
    /// Arrivals queued but not yet started when a stop came.
    pub unsent: u64,
    pub started_at_ms: u64,
    /// Human description of the load pattern.
    pub pattern: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The layout's version, [`crate::outcome::SCHEMA_VERSION`] (see `docs/summary-json.md`).
    pub schema_version: u32,
    pub started_at_ms: u64,
    pub duration_s: f64,
    pub pattern: String,
    pub target_tps: f64,
    pub dropped: u64,
    pub late: u64,
    pub unsent: u64,
    /// Whether transaction-controller rows were left out of `total` (they always have their
    /// own label entries).
    pub transactions_excluded: bool,
    /// All labels together, label "ALL".
    pub total: LabelSummary,
    pub labels: Vec<LabelSummary>,
    /// The verdict, stop reason, arrivals and rates: set by `vajra run`, absent otherwise.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RunOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSummary {
    pub label: String,
    /// A transaction-controller row, whose time spans its child samples.
    pub transaction: bool,
    pub samples: u64,
    /// Failed samples, cancelled ones not included.
    pub errors: u64,
    /// Samples cancelled by a hard stop, included in `samples`, kept out of the response times
    /// and of `errors` (see `vajra_stats::sample::CANCELLED_CODE`).
    pub cancelled: u64,
    /// Failed samples, percent (0–100) of the completed ones: errors / (samples − cancelled).
    pub error_pct: f64,
    /// Requests (samples) per second over the label's measured window, its first sample's
    /// start to its last sample's end: JMeter's and BlazeMeter's throughput, and what
    /// `vajra report` computes from the JTL.
    pub achieved_tps: f64,
    /// Intended start → last byte: includes any wait for the generator.
    pub response_time_ms: ResponseTimes,
    /// Actual send → last byte; `null` when unknown (JTL files from other tools).
    pub service_time_ms: Option<Percentiles>,
    pub latency_avg_ms: f64,
    pub bytes_received: u64,
    pub bytes_sent: u64,
}

/// Response time statistics, ms. Percentiles by nearest rank to 3 significant digits; min, max,
/// avg and the population stddev are exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseTimes {
    pub min: f64,
    pub avg: f64,
    pub median: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub stddev: f64,
}

/// Percentiles, ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
}

fn ms(us: f64) -> f64 {
    us / 1000.0
}

impl LabelSummary {
    pub(crate) fn new(label: &str, transaction: bool, stats: &LabelStats) -> Self {
        let elapsed = stats.elapsed();
        let q = |d: &super::Distribution, quantile| ms(d.quantile_us(quantile) as f64);
        LabelSummary {
            label: label.to_owned(),
            transaction,
            samples: stats.samples(),
            errors: stats.errors(),
            cancelled: stats.cancelled(),
            error_pct: stats.error_pct(),
            achieved_tps: stats.throughput(),
            response_time_ms: ResponseTimes {
                min: ms(elapsed.min_us() as f64),
                avg: ms(elapsed.mean_us()),
                median: q(elapsed, 0.5),
                p90: q(elapsed, 0.9),
                p95: q(elapsed, 0.95),
                p99: q(elapsed, 0.99),
                max: ms(elapsed.max_us() as f64),
                stddev: ms(elapsed.stddev_us()),
            },
            service_time_ms: stats.service().map(|service| Percentiles {
                p50: q(service, 0.5),
                p90: q(service, 0.9),
                p95: q(service, 0.95),
                p99: q(service, 0.99),
            }),
            latency_avg_ms: ms(stats.latency().mean_us()),
            bytes_received: stats.bytes_received(),
            bytes_sent: stats.bytes_sent(),
        }
    }
}
