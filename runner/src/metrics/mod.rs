//! Live Prometheus metrics of a run (docs/metrics.md lists every one).
//!
//! [`Metrics`] holds the registry. The sink updates the per-label families through its own
//! [`Recorder`] (one thread, off the lanes' path); the arrival counts and gauges the lanes keep
//! as atomics are read at scrape time by a collector, so the lanes pay nothing for metrics.
//! [`server`] serves `/metrics` and [`push`] sends a final snapshot to a Pushgateway. Every
//! series carries the run's `plan`, `worker_index` and `worker_count`.

pub mod push;
pub mod server;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, NativeHistogramConfig};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use vajra_stats::sample::Sample;

use super::{Progress, RunState};

/// The response-time and service-time buckets' upper bounds, in whole milliseconds (exposed in
/// seconds). Fixed and the same for every run and worker, so `sum by (le)` across workers is
/// exact per bucket; whole milliseconds, because the JTL writes times rounded to the
/// millisecond and the response-time histogram observes that same value, so each bucket
/// equals a count over the JTL. A 1-2-5 series: any quantile read off it is within one
/// bucket, at most 2.5× apart.
pub const BUCKETS_MS: [u64; 17] = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000,
    120_000,
];

/// The native-histogram form (sent only to a scraper that asks for protobuf): schema 3, 2^(1/8)
/// ≈ 9 % wide buckets, at most 160 of them per series.
fn native_config() -> NativeHistogramConfig {
    NativeHistogramConfig::with_schema(3).max_buckets(160)
}

fn time_histogram() -> Histogram {
    Histogram::new_classic_and_native(
        BUCKETS_MS.iter().map(|&ms| ms as f64 / 1000.0),
        native_config(),
    )
}

/// Who this worker is, as constant labels on every series.
#[derive(Debug, Clone)]
pub struct MetricsLabels {
    pub plan: String,
    pub worker_index: u32,
    pub worker_count: u32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    label: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LabelOnly {
    label: String,
}

/// A response's outcome as the `outcome` label says it: the JTL's `success`, with requests
/// cancelled by a hard stop apart (they have no response time).
pub fn outcome_label(sample: &Sample) -> &'static str {
    if sample.observation().is_cancelled() {
        "cancelled"
    } else if sample.success {
        "ok"
    } else {
        "failed"
    }
}

/// The registry of one run and the families the sink updates.
pub struct Metrics {
    registry: Registry,
    labels: MetricsLabels,
    requests: Family<RequestLabels, Counter>,
    response_time: Family<LabelOnly, Histogram, fn() -> Histogram>,
    service_time: Family<LabelOnly, Histogram, fn() -> Histogram>,
    received: Family<LabelOnly, Counter>,
    sent: Family<LabelOnly, Counter>,
    target_rate: Gauge<f64, AtomicU64>,
    achieved_rate: Gauge<f64, AtomicU64>,
    /// Each attached run's last (target, achieved) rates, by slot.
    rates: Mutex<Vec<(f64, f64)>>,
    live: Arc<LiveCollector>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("labels", &self.labels)
            .finish()
    }
}

impl Metrics {
    pub fn new(labels: MetricsLabels) -> Arc<Self> {
        let constant = [
            ("plan", labels.plan.clone()),
            ("worker_index", labels.worker_index.to_string()),
            ("worker_count", labels.worker_count.to_string()),
        ]
        .map(|(k, v)| (Cow::Borrowed(k), Cow::Owned(v)));
        let mut registry = Registry::with_prefix_and_labels("vajra", constant.into_iter());
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests completed, by label and outcome (ok, failed, cancelled), as the JTL's rows",
            requests.clone(),
        );
        let response_time = Family::new_with_constructor(time_histogram as fn() -> Histogram);
        registry.register_with_unit(
            "response_time",
            "Response time from the intended start to the last byte (the JTL's elapsed, in \
             whole ms), by label; cancelled requests are not in it",
            Unit::Seconds,
            response_time.clone(),
        );
        let service_time = Family::new_with_constructor(time_histogram as fn() -> Histogram);
        registry.register_with_unit(
            "service_time",
            "Service time from the actual send to the last byte, by label",
            Unit::Seconds,
            service_time.clone(),
        );
        let received = Family::<LabelOnly, Counter>::default();
        registry.register_with_unit(
            "received",
            "Response bytes received (headers and body), by label",
            Unit::Bytes,
            received.clone(),
        );
        let sent = Family::<LabelOnly, Counter>::default();
        registry.register_with_unit(
            "sent",
            "Request bytes sent (headers and body), by label",
            Unit::Bytes,
            sent.clone(),
        );
        let target_rate = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "target_iterations_per_second",
            "This worker's target iteration rate, the mean over the last second (open model)",
            target_rate.clone(),
        );
        let achieved_rate = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "achieved_iterations_per_second",
            "Iterations this worker started per second over the last second",
            achieved_rate.clone(),
        );
        registry.register(
            "build",
            "The vajra build",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        let live = Arc::new(LiveCollector::default());
        registry.register_collector(Box::new(live.clone()));
        Arc::new(Metrics {
            registry,
            labels,
            requests,
            response_time,
            service_time,
            received,
            sent,
            target_rate,
            achieved_rate,
            rates: Mutex::new(Vec::new()),
            live,
        })
    }

    pub fn labels(&self) -> &MetricsLabels {
        &self.labels
    }

    /// The registry as `format` encodes it.
    pub fn encode(&self, format: Format) -> Result<Vec<u8>, EncodeError> {
        use prometheus_client::encoding::{prometheus_protobuf, prometheus_text, text};
        match format {
            Format::Text => {
                let mut out = String::new();
                prometheus_text::encode(&mut out, &self.registry).map_err(|_| EncodeError)?;
                Ok(out.into_bytes())
            }
            Format::OpenMetrics => {
                let mut out = String::new();
                text::encode(&mut out, &self.registry).map_err(|_| EncodeError)?;
                Ok(out.into_bytes())
            }
            Format::Protobuf => {
                prometheus_protobuf::encode_to_vec(&self.registry).map_err(|_| EncodeError)
            }
        }
    }

    /// The sink's handle: it caches each label's series, so a sample costs no lookup by labels.
    pub(crate) fn recorder(self: &Arc<Self>) -> Recorder {
        Recorder {
            metrics: self.clone(),
            labels: HashMap::new(),
        }
    }

    /// Lets the scrape-time collector read the run's arrival counts and gauges, and creates
    /// the series of every request label at 0, so a scrape before the first response sees them
    /// start from 0 (Prometheus' `increase` then has nothing to extrapolate at the start).
    /// Several runs may attach (a Taurus config's executions run at once): the collector sums
    /// their counts. Returns the run's slot for [`Metrics::tick`].
    pub(crate) fn attach<'a>(
        &self,
        run: Arc<RunState>,
        labels: impl Iterator<Item = &'a str>,
    ) -> usize {
        for label in labels {
            self.label_series(label);
        }
        let mut runs = self.live.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.push(run);
        self.rates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((0.0, 0.0));
        runs.len() - 1
    }

    /// A label's series, created if new.
    fn label_series(&self, label: &str) -> LabelSeries {
        let requests = |outcome| {
            self.requests.get_or_create_owned(&RequestLabels {
                label: label.to_string(),
                outcome,
            })
        };
        let by_label = LabelOnly {
            label: label.to_string(),
        };
        LabelSeries {
            ok: requests("ok"),
            failed: requests("failed"),
            cancelled: None,
            response_time: self.response_time.get_or_create_owned(&by_label),
            service_time: self.service_time.get_or_create_owned(&by_label),
            received: self.received.get_or_create_owned(&by_label),
            sent: self.sent.get_or_create_owned(&by_label),
        }
    }

    /// The once-a-second figures of the live view of the run in `slot`: the target and achieved
    /// rates, which the gauges show summed over every attached run.
    pub(crate) fn tick(&self, slot: usize, progress: &Progress) {
        let mut rates = self.rates.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rate) = rates.get_mut(slot) {
            *rate = (progress.target_its.unwrap_or(0.0), progress.started_its);
        }
        self.target_rate.set(rates.iter().map(|r| r.0).sum());
        self.achieved_rate.set(rates.iter().map(|r| r.1).sum());
    }
}

/// The encoding could not be written (a bug in the encoder, never the input's fault).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode the metrics")]
pub struct EncodeError;

/// The exposition formats `/metrics` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text 0.0.4: `curl`, `promtool check metrics`, and any scraper that asks for
    /// nothing else.
    Text,
    /// OpenMetrics 1.0 text, which Prometheus asks for first by default.
    OpenMetrics,
    /// Prometheus protobuf, delimited: the only form that carries native histograms (Prometheus
    /// asks for it with `--enable-feature=native-histograms`).
    Protobuf,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Protobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; \
                 encoding=delimited"
            }
        }
    }

    /// The format an `Accept` header prefers most (highest `q`, the first listed on a tie);
    /// text when it names none we speak, or is absent.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let mut best = (Format::Text, 0.0f64);
        for range in accept.unwrap_or("").split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0;
            let mut proto_ok = true;
            for param in parts {
                let (key, value) = param.split_once('=').unwrap_or((param, ""));
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "q" => q = value.parse().unwrap_or(0.0),
                    "proto" => proto_ok = value == "io.prometheus.client.MetricFamily",
                    _ => {}
                }
            }
            let format = match media.as_str() {
                "application/vnd.google.protobuf" if proto_ok => Format::Protobuf,
                "application/openmetrics-text" => Format::OpenMetrics,
                "text/plain" | "text/*" | "*/*" => Format::Text,
                _ => continue,
            };
            if q > best.1 {
                best = (format, q);
            }
        }
        best.0
    }
}

/// One label's series, looked up once.
struct LabelSeries {
    ok: Counter,
    failed: Counter,
    cancelled: Option<Counter>,
    response_time: Histogram,
    service_time: Histogram,
    received: Counter,
    sent: Counter,
}

/// The sink's side of the metrics: it sees every sample on one thread.
pub(crate) struct Recorder {
    metrics: Arc<Metrics>,
    labels: HashMap<Arc<str>, LabelSeries>,
}

impl Recorder {
    /// Counts one sample. Transaction rows are left out: their time spans requests already
    /// counted, as in the statistics' ALL.
    pub(crate) fn record(&mut self, sample: &Sample) {
        if sample.is_transaction() {
            return;
        }
        let metrics = &self.metrics;
        let series = self
            .labels
            .entry(sample.label.clone())
            .or_insert_with(|| metrics.label_series(&sample.label));
        series.received.inc_by(sample.bytes_received);
        series.sent.inc_by(sample.bytes_sent);
        match outcome_label(sample) {
            "cancelled" => {
                series
                    .cancelled
                    .get_or_insert_with(|| {
                        metrics.requests.get_or_create_owned(&RequestLabels {
                            label: sample.label.to_string(),
                            outcome: "cancelled",
                        })
                    })
                    .inc();
                return;
            }
            "ok" => series.ok.inc(),
            _ => series.failed.inc(),
        };
        series
            .response_time
            .observe(response_time_seconds(sample.elapsed_us));
        series
            .service_time
            .observe(sample.service_us as f64 / 1_000_000.0);
    }
}

/// The value the response-time histogram observes: the JTL's `elapsed` (whole ms, rounded the
/// way the JTL writer rounds) in seconds, so its buckets equal counts over the JTL.
pub fn response_time_seconds(elapsed_us: u64) -> f64 {
    vajra_stats::jtl::us_to_ms(elapsed_us) as f64 / 1000.0
}

/// Reads the runs' atomics at each scrape, summed; all zero before a run starts.
#[derive(Default)]
struct LiveCollector {
    runs: Mutex<Vec<Arc<RunState>>>,
}

impl std::fmt::Debug for LiveCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveCollector")
    }
}

impl Collector for LiveCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let live = self
            .runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|run| run.live_counts())
            .fold(LiveCounts::default(), LiveCounts::add);
        let late = format!(
            "Open model: arrivals sent more than {} ms after their intended time.",
            super::LATE_AFTER.as_millis()
        );
        let counters: [(&str, &str, u64); 5] = [
            (
                "iterations",
                "Iterations started (open model: arrivals sent).",
                live.iterations,
            ),
            (
                "arrivals_scheduled",
                "Open model: arrivals whose intended time has come (sent + dropped + unsent).",
                live.scheduled,
            ),
            (
                "arrivals_dropped",
                "Open model: arrivals the generator could not send (the in-flight bound was \
                 reached, or it fell behind past the end).",
                live.dropped,
            ),
            ("arrivals_late", &late, live.late),
            (
                "arrivals_unsent",
                "Open model: arrivals queued when a stop came.",
                live.unsent,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        let gauges: [(&str, &str, i64); 2] = [
            (
                "in_flight",
                "Iterations in progress: started or waiting for a lane (what max-in-flight \
                 bounds).",
                live.in_flight as i64,
            ),
            (
                "active_users",
                "Virtual users running (closed model); in the open model, its iterations in \
                 progress, as the JTL's allThreads.",
                live.active_users as i64,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}

/// The run's counts at one instant, for the collector.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LiveCounts {
    pub(crate) iterations: u64,
    pub(crate) scheduled: u64,
    pub(crate) dropped: u64,
    pub(crate) late: u64,
    pub(crate) unsent: u64,
    pub(crate) in_flight: usize,
    pub(crate) active_users: usize,
}

impl LiveCounts {
    fn add(self, other: LiveCounts) -> LiveCounts {
        LiveCounts {
            iterations: self.iterations + other.iterations,
            scheduled: self.scheduled + other.scheduled,
            dropped: self.dropped + other.dropped,
            late: self.late + other.late,
            unsent: self.unsent + other.unsent,
            in_flight: self.in_flight + other.in_flight,
            active_users: self.active_users + other.active_users,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vajra_stats::sample::Outcome;

    fn sample(label: &str, elapsed_us: u64, success: bool) -> Sample {
        Sample {
            timestamp_ms: 0,
            elapsed_us,
            service_us: elapsed_us / 2,
            latency_us: 1,
            connect_us: 0,
            label: label.into(),
            url: "http://h/".into(),
            outcome: Outcome::Http(if success { 200 } else { 500 }),
            success,
            failure_message: None,
            bytes_received: 100,
            bytes_sent: 10,
            active_threads: 1,
            thread: 1,
        }
    }

    fn metrics() -> Arc<Metrics> {
        Metrics::new(MetricsLabels {
            plan: "shop \"q\"".into(),
            worker_index: 1,
            worker_count: 3,
        })
    }

    fn text(metrics: &Metrics) -> String {
        String::from_utf8(metrics.encode(Format::Text).unwrap()).unwrap()
    }

    #[test]
    fn the_buckets_ascend_and_hold_the_jtls_rounding() {
        assert!(BUCKETS_MS.windows(2).all(|w| w[0] < w[1]));
        // 1.4995 ms is written as 1 ms in the JTL, 1.5 ms as 2 ms: the histogram agrees.
        assert_eq!(response_time_seconds(1_499), 0.001);
        assert_eq!(response_time_seconds(1_500), 0.002);
        assert_eq!(response_time_seconds(2_000), 2.0 / 1000.0);
    }

    #[test]
    fn samples_count_by_label_and_outcome_with_the_workers_labels() {
        let metrics = metrics();
        let mut recorder = metrics.recorder();
        recorder.record(&sample("home", 1_499, true));
        recorder.record(&sample("home", 1_500, true));
        recorder.record(&sample("home", 70_000, false));
        let out = text(&metrics);
        let common = r#"plan="shop \"q\"",worker_index="1",worker_count="3""#;
        for line in [
            format!(r#"vajra_requests_total{{{common},label="home",outcome="ok"}} 2"#),
            format!(r#"vajra_requests_total{{{common},label="home",outcome="failed"}} 1"#),
            format!(r#"vajra_response_time_seconds_bucket{{{common},label="home",le="0.001"}} 1"#),
            format!(r#"vajra_response_time_seconds_bucket{{{common},label="home",le="0.002"}} 2"#),
            format!(r#"vajra_response_time_seconds_bucket{{{common},label="home",le="0.05"}} 2"#),
            format!(r#"vajra_response_time_seconds_bucket{{{common},label="home",le="0.1"}} 3"#),
            format!(r#"vajra_response_time_seconds_count{{{common},label="home"}} 3"#),
            format!(r#"vajra_received_bytes_total{{{common},label="home"}} 300"#),
            format!(r#"vajra_sent_bytes_total{{{common},label="home"}} 30"#),
            format!(r#"vajra_arrivals_dropped_total{{{common}}} 0"#),
        ] {
            assert!(out.lines().any(|l| l == line), "no {line} in\n{out}");
        }
        assert!(out.contains("vajra_build_info{"), "{out}");
    }

    #[test]
    fn a_labels_series_start_at_zero_before_its_first_sample() {
        let metrics = metrics();
        metrics.label_series("later");
        let out = text(&metrics);
        for series in [
            r#"vajra_requests_total{plan="shop \"q\"",worker_index="1",worker_count="3",label="later",outcome="ok"} 0"#,
            r#"vajra_requests_total{plan="shop \"q\"",worker_index="1",worker_count="3",label="later",outcome="failed"} 0"#,
            r#"vajra_response_time_seconds_count{plan="shop \"q\"",worker_index="1",worker_count="3",label="later"} 0"#,
        ] {
            assert!(out.lines().any(|l| l == series), "no {series} in\n{out}");
        }
    }

    #[test]
    fn transactions_are_left_out() {
        let metrics = metrics();
        let mut recorder = metrics.recorder();
        let mut row = sample("checkout", 5_000, true);
        row.outcome = Outcome::transaction(vajra_stats::sample::ResponseCode::Status(200), 2, 0);
        recorder.record(&row);
        assert!(!text(&metrics).contains("checkout"));
    }

    #[test]
    fn accept_headers_pick_the_format() {
        assert_eq!(Format::negotiate(None), Format::Text);
        assert_eq!(Format::negotiate(Some("*/*")), Format::Text);
        // Prometheus 2.42's default.
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                          version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
        // With --enable-feature=native-histograms.
        let native = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
                      encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
                      text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(native)), Format::Protobuf);
        assert_eq!(
            Format::negotiate(Some("application/vnd.google.protobuf;proto=other")),
            Format::Text
        );
        assert_eq!(
            Format::negotiate(Some("text/plain;q=0.9, application/openmetrics-text;q=0.5")),
            Format::Text
        );
        assert_eq!(Format::negotiate(Some("image/png")), Format::Text);
    }

    #[test]
    fn every_format_encodes() {
        let metrics = metrics();
        metrics.recorder().record(&sample("a", 3_000, true));
        let open = String::from_utf8(metrics.encode(Format::OpenMetrics).unwrap()).unwrap();
        assert!(open.ends_with("# EOF\n"), "{open}");
        assert!(!metrics.encode(Format::Protobuf).unwrap().is_empty());
    }
}
