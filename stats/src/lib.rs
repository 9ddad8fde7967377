//! vajra-stats: what a run produces and what is computed from it. Samples, the JMeter CSV
//! (JTL) they are written to and read back from, statistics that merge exactly, the reports
//! built from them, and the pass/fail criteria checked against them.
//!
//! How the parts fit, in the order one sample travels:
//!
//! - [`sample`] is one measured exchange ([`sample::Sample`]) and the [`Observation`] that both
//!   our own samples and JTL rows from other tools reduce to.
//! - [`jtl`] writes the JMeter default CSV and reads any JMeter-style JTL back.
//! - The statistics, in this crate's root and its private modules, are described below.
//! - [`report`] turns merged statistics into the `vajra report` views (console, JSON, CSV,
//!   Markdown, HTML); [`threshold`] parses and checks pass/fail criteria (`p95(login)>500ms`).
//!
//! # Statistics
//!
//! Run statistics that merge exactly: per label and for the total ("ALL"), from our own samples
//! and from JTL rows alike (both arrive as [`Observation`]s).
//!
//! # How the parts fit
//!
//! - [`Stats`] holds one [`LabelStats`] per label. [`Stats::record`] is the hot path (one hash
//!   lookup by `&str`, no allocation for a known label); [`Stats::merge`] adds another `Stats`
//!   exactly, so results from several workers or files equal one recording of all samples.
//! - [`Distribution`] (in `distribution`) is one quantity of one label: an HdrHistogram (µs,
//!   3 significant digits, auto-resizing) for percentiles plus exact integer sums for mean and
//!   standard deviation. Mean and stddev are computed from the exact sums (count, Σx, Σx²), not
//!   from the histogram, so they equal what JMeter and BlazeMeter compute from raw values; the
//!   stddev is the population stddev, as JMeter's. Percentiles are by nearest rank, clamped to
//!   the exact min and max (so p99 never exceeds max).
//! - `errors` counts failed samples by (response code, message) and assertion failures by
//!   failure message, at most 100 distinct causes per label; `timeline` keeps per-second sums.
//! - The reports are pure functions of a `Stats`: [`Stats::aggregate`] (BlazeMeter's aggregate
//!   report, [`AggregateRow`]), [`Stats::errors_report`] ([`ErrorsReportEntry`]),
//!   [`Stats::timeline`] / [`Stats::timelines`] ([`TimelinePoint`]), [`Stats::summary`]
//!   ([`Summary`], `summary.json`) and [`render_table`] for the console.
//! - [`IntervalStats`] is a separate rolling window for the live progress line and the
//!   [`HdrLogWriter`] interval log; [`read_hdr_log`] reads such logs back for merging, and
//!   [`read_hdr_log_stats`] replays one into [`Stats`] (per bucket, streaming).
//!
//! # Transactions
//!
//! Transaction-controller rows ([`Stats::record_transaction`]; see [`is_transaction_message`])
//! get their own label rows but are left out of "ALL" by default, since their time is the sum of
//! child samples that are already counted. [`Stats::include_transactions_in_total`] puts them
//! back. This is a reporting choice: both kinds are kept apart while recording, so the choice
//! does not affect merging. Summary reports it as `transactions_excluded`.
//!
//! # `summary.json`
//!
//! Documented for users, field by field, in `docs/summary-json.md`; [`outcome`] holds the
//! verdict, stop reason, arrivals and rates a run adds.
//!
//! ```text
//! schema_version                                                  2
//! started_at_ms, duration_s, pattern, target_tps, dropped, late, unsent   run facts from the runner
//! transactions_excluded                                           see above
//! total, labels[]                                                 one LabelSummary each:
//!   label, transaction, samples, errors, cancelled, error_pct (0–100 of samples − cancelled),
//!   achieved_tps,
//!   response_time_ms {min, avg, median, p90, p95, p99, max, stddev},
//!   service_time_ms {p50, p90, p95, p99} or null when unknown,
//!   latency_avg_ms, bytes_received, bytes_sent
//! ```
//!
//! Rows and labels are ordered "ALL" first, then by label name (then samples before
//! transactions), an order that does not depend on how the samples were split.

pub mod bundle;
pub mod jtl;
pub mod outcome;
pub mod report;
pub mod sample;
pub mod threshold;

mod aggregate;
mod distribution;
mod errors;
mod hdr_log;
mod interval;
mod label;
mod summary;
mod timeline;

use std::collections::HashMap;

use hdrhistogram::Histogram;

pub use aggregate::{render_table, AggregateRow, CONSOLE_LABEL_CHARS};
pub use distribution::{Distribution, SIGNIFICANT_DIGITS};
pub use errors::{
    AssertionCount, ErrorCount, ErrorsReportEntry, ASSERTION_NAME, MAX_DISTINCT_MESSAGES,
};
pub use hdr_log::{
    hdr_log_stats, read_hdr_log, read_hdr_log_stats, DecodeError, HdrInterval, HdrLog, HdrLogError,
    HdrLogReader, HdrLogWriter, HdrTotals, OutOfRange, MAX_EPOCH_SECONDS, MAX_INTERVAL_COUNT,
    MAX_LINE_BYTES, MAX_VALUE_US, UNTAGGED_LABEL,
};
pub use interval::{IntervalStats, IntervalSummary, Span};
pub use label::LabelStats;
pub use summary::{LabelSummary, Percentiles, ResponseTimes, RunFacts, Summary};
pub use timeline::{LabelTimeline, TimelinePoint};

use crate::sample::Observation;

/// The label id and name of the total row, as BlazeMeter names it.
pub const TOTAL_LABEL: &str = "ALL";

/// Whether a JTL `responseMessage` marks a transaction-controller row (JMeter writes
/// `Number of samples in transaction : N, number of failing samples : M`).
pub fn is_transaction_message(response_message: &str) -> bool {
    response_message.starts_with(jtl::TRANSACTION_MESSAGE_PREFIX)
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    samples: HashMap<Box<str>, LabelStats>,
    transactions: HashMap<Box<str>, LabelStats>,
    transactions_in_total: bool,
    /// Reused to build error-cause keys without allocating.
    scratch: String,
}

/// Equal statistics: the same labels with equal contents (see [`Distribution`]'s equality),
/// and the same transaction setting. What recording left in its scratch buffer does not count.
impl PartialEq for Stats {
    fn eq(&self, other: &Stats) -> bool {
        self.samples == other.samples
            && self.transactions == other.transactions
            && self.transactions_in_total == other.transactions_in_total
    }
}

/// One label as the reports list it.
struct Row<'a> {
    name: &'a str,
    transaction: bool,
    stats: &'a LabelStats,
}

impl Stats {
    /// Empty statistics; transactions are left out of the total.
    pub fn new() -> Self {
        Stats::default()
    }

    /// Whether the total ("ALL") includes transaction-controller rows (default: no).
    pub fn include_transactions_in_total(&mut self, include: bool) {
        self.transactions_in_total = include;
    }

    pub fn transactions_excluded(&self) -> bool {
        !self.transactions_in_total
    }

    /// Records one sample.
    pub fn record(&mut self, obs: &Observation<'_>) {
        record_into(&mut self.samples, obs, &mut self.scratch);
    }

    /// Records every value of `histogram` (µs) as that many successful samples of `label`
    /// started at `span.start_ms`, each at the highest value equivalent to its bucket (as
    /// HdrHistogram reports percentiles). The label's window (first start, last end) grows to
    /// cover `span`, and only by it: a bucket's highest equivalent value may exceed the exact
    /// value, and the samples' span is known better than start + value. The cost is per
    /// distinct value, not per sample, so a count of 10¹² costs what a count of 1 does. A
    /// histogram has no errors, bytes or latency, so those read as 0.
    pub fn record_histogram(&mut self, label: &str, span: Span, histogram: &Histogram<u64>) {
        let stats = match self.samples.get_mut(label) {
            Some(stats) => stats,
            None => self.samples.entry(label.into()).or_default(),
        };
        if histogram.is_empty() {
            return;
        }
        let window = stats.window_us();
        for value in histogram.iter_recorded() {
            let observation = Observation {
                timestamp_ms: span.start_ms,
                label,
                elapsed_us: value.value_iterated_to(),
                latency_us: 0,
                connect_us: 0,
                service_us: None,
                bytes_received: 0,
                bytes_sent: 0,
                success: true,
                response_code: sample::ResponseCode::Text(""),
                response_message: "",
                failure_message: "",
                active_threads: 0,
                url: "",
            };
            stats.record_n(&observation, value.count_at_value(), &mut self.scratch);
        }
        stats.set_window_us(
            window.0.min(span.start_ms.saturating_mul(1000)),
            window.1.max(span.end_ms.saturating_mul(1000)),
        );
    }

    /// Records one transaction-controller row.
    pub fn record_transaction(&mut self, obs: &Observation<'_>) {
        record_into(&mut self.transactions, obs, &mut self.scratch);
    }

    /// Adds `other` exactly: afterwards `self` is what recording both inputs into one `Stats`
    /// would have given (up to the order-dependent choice of which error causes beyond
    /// [`MAX_DISTINCT_MESSAGES`] per label are kept by name). Keeps `self`'s transaction setting.
    pub fn merge(&mut self, other: &Stats) {
        merge_into(&mut self.samples, &other.samples);
        merge_into(&mut self.transactions, &other.transactions);
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty() && self.transactions.is_empty()
    }

    /// The statistics of one sample label.
    pub fn label(&self, name: &str) -> Option<&LabelStats> {
        self.samples.get(name)
    }

    /// The statistics of one transaction label.
    pub fn transaction(&self, name: &str) -> Option<&LabelStats> {
        self.transactions.get(name)
    }

    /// All samples together ("ALL"), with transactions if so configured.
    pub fn total(&self) -> LabelStats {
        let mut total = LabelStats::default();
        for row in self.rows() {
            if !row.transaction || self.transactions_in_total {
                total.merge(row.stats);
            }
        }
        total
    }

    /// Labels sorted by name, samples before transactions of the same name.
    fn rows(&self) -> Vec<Row<'_>> {
        let kinds = [(false, &self.samples), (true, &self.transactions)];
        let mut rows: Vec<Row<'_>> = kinds
            .into_iter()
            .flat_map(|(transaction, labels)| {
                labels.iter().map(move |(name, stats)| Row {
                    name,
                    transaction,
                    stats,
                })
            })
            .collect();
        rows.sort_unstable_by_key(|row| (row.name, row.transaction));
        rows
    }

    /// BlazeMeter's aggregate report: "ALL" first, then one row per label. A label's id is its
    /// name (BlazeMeter's ids are server-side hashes we cannot reproduce).
    pub fn aggregate(&self) -> Vec<AggregateRow> {
        std::iter::once(AggregateRow::new(TOTAL_LABEL, TOTAL_LABEL, &self.total()))
            .chain(
                self.rows()
                    .into_iter()
                    .map(|row| AggregateRow::new(row.name, row.name, row.stats)),
            )
            .collect()
    }

    /// BlazeMeter's errors report: "ALL" first, then every label, each cause list most
    /// frequent first. "ALL" is bounded like a label: past [`MAX_DISTINCT_MESSAGES`] causes it
    /// keeps those of the labels first in name order.
    pub fn errors_report(&self) -> Vec<ErrorsReportEntry> {
        std::iter::once(self.total().causes.report(TOTAL_LABEL, TOTAL_LABEL))
            .chain(
                self.rows()
                    .into_iter()
                    .map(|row| row.stats.causes.report(row.name, row.name)),
            )
            .collect()
    }

    /// The per-second timeline of the total.
    pub fn timeline(&self) -> Vec<TimelinePoint> {
        self.total().timeline.points()
    }

    /// The per-second timelines of the total ("ALL") and of every label.
    pub fn timelines(&self) -> Vec<LabelTimeline> {
        std::iter::once(LabelTimeline {
            label: TOTAL_LABEL.to_owned(),
            points: self.timeline(),
        })
        .chain(self.rows().into_iter().map(|row| LabelTimeline {
            label: row.name.to_owned(),
            points: row.stats.timeline.points(),
        }))
        .collect()
    }

    /// The run summary for `summary.json`.
    pub fn summary(&self, facts: &RunFacts) -> Summary {
        Summary {
            schema_version: outcome::SCHEMA_VERSION,
            started_at_ms: facts.started_at_ms,
            duration_s: facts.duration_s,
            pattern: facts.pattern.clone(),
            target_tps: facts.target_tps,
            dropped: facts.dropped,
            late: facts.late,
            unsent: facts.unsent,
            transactions_excluded: self.transactions_excluded(),
            total: LabelSummary::new(TOTAL_LABEL, false, &self.total()),
            labels: self
                .rows()
                .into_iter()
                .map(|row| LabelSummary::new(row.name, row.transaction, row.stats))
                .collect(),
            outcome: None,
        }
    }
}

fn record_into(
    labels: &mut HashMap<Box<str>, LabelStats>,
    obs: &Observation<'_>,
    scratch: &mut String,
) {
    match labels.get_mut(obs.label) {
        Some(stats) => stats.record(obs, scratch),
        None => labels
            .entry(obs.label.into())
            .or_default()
            .record(obs, scratch),
    }
}

fn merge_into(labels: &mut HashMap<Box<str>, LabelStats>, other: &HashMap<Box<str>, LabelStats>) {
    for (name, stats) in other {
        match labels.get_mut(name) {
            Some(mine) => mine.merge(stats),
            None => {
                labels.insert(name.clone(), stats.clone());
            }
        }
    }
}
