//! Property: recording observations split arbitrarily over k `Stats` and merging them gives
//! exactly what recording all of them into one `Stats` gives, in every report and percentile.

use hdrhistogram::Histogram;
use proptest::prelude::*;
use vajra_stats::sample::{Observation, ResponseCode};
use vajra_stats::{RunFacts, Stats};

const LABELS: [&str; 4] = ["GET /", "POST /login", "search \"q\", page", "ALL-ish"];
const MESSAGES: [&str; 3] = ["OK", "Not Found", "Non HTTP response message: refused"];
const FAILURES: [&str; 3] = ["", "", "Test failed: text expected to contain /ok/"];

#[derive(Debug, Clone)]
struct Row {
    timestamp_ms: u64,
    label: usize,
    transaction: bool,
    elapsed_us: u64,
    latency_us: u64,
    connect_us: u64,
    service_us: Option<u64>,
    bytes: (u64, u64),
    success: bool,
    code: Result<u16, &'static str>,
    message: usize,
    failure: usize,
    threads: u32,
    part: usize,
}

impl Row {
    fn observation(&self) -> Observation<'_> {
        Observation {
            timestamp_ms: self.timestamp_ms,
            label: LABELS[self.label],
            elapsed_us: self.elapsed_us,
            latency_us: self.latency_us,
            connect_us: self.connect_us,
            service_us: self.service_us,
            bytes_received: self.bytes.0,
            bytes_sent: self.bytes.1,
            success: self.success,
            response_code: match self.code {
                Ok(status) => ResponseCode::Status(status),
                Err(text) => ResponseCode::Text(text),
            },
            response_message: MESSAGES[self.message],
            failure_message: if self.success {
                ""
            } else {
                FAILURES[self.failure]
            },
            active_threads: self.threads,
            url: "http://127.0.0.1/",
        }
    }
}

fn row(parts: usize) -> impl Strategy<Value = Row> {
    (
        (
            1_700_000_000_000u64..1_700_000_030_000,
            0..LABELS.len(),
            prop::bool::weighted(0.2),
            // From sub-ms to minutes, so histograms resize and buckets get coarse.
            prop_oneof![0u64..5_000, 0u64..200_000_000],
            0u64..1_000_000,
            0u64..10_000,
            prop::option::of(0u64..100_000_000),
        ),
        (
            (0u64..100_000, 0u64..10_000),
            prop::bool::weighted(0.8),
            prop_oneof![
                (200u16..600).prop_map(Ok),
                Just(Err(
                    "Non HTTP response code: java.net.SocketTimeoutException"
                )),
            ],
            0..MESSAGES.len(),
            0..FAILURES.len(),
            0u32..500,
            0..parts,
        ),
    )
        .prop_map(
            |(
                (timestamp_ms, label, transaction, elapsed_us, latency_us, connect_us, service_us),
                (bytes, success, code, message, failure, threads, part),
            )| Row {
                timestamp_ms,
                label,
                transaction,
                elapsed_us,
                latency_us,
                connect_us,
                service_us,
                bytes,
                success,
                code,
                message,
                failure,
                threads,
                part,
            },
        )
}

fn record(stats: &mut Stats, row: &Row) {
    if row.transaction {
        stats.record_transaction(&row.observation());
    } else {
        stats.record(&row.observation());
    }
}

/// Everything the reports show, as JSON, plus every histogram (equal histograms mean every
/// percentile is equal) and the exact moments of every distribution.
fn fingerprint(stats: &Stats) -> (String, Vec<Histogram<u64>>, Vec<Vec<u64>>) {
    let facts = RunFacts {
        target_tps: 100.0,
        duration_s: 30.0,
        dropped: 1,
        late: 2,
        unsent: 0,
        started_at_ms: 1_700_000_000_000,
        pattern: "constant 100/s".into(),
    };
    let json = serde_json::to_string(&(
        stats.aggregate(),
        stats.errors_report(),
        stats.timelines(),
        stats.summary(&facts),
    ))
    .expect("reports serialize");
    let mut histograms = Vec::new();
    let mut moments = Vec::new();
    let total = stats.total();
    let labels = LABELS
        .iter()
        .flat_map(|l| [stats.label(l), stats.transaction(l)])
        .flatten()
        .chain(std::iter::once(&total));
    for label in labels {
        for d in [
            Some(label.elapsed()),
            Some(label.latency()),
            label.service(),
        ]
        .into_iter()
        .flatten()
        {
            histograms.push(d.histogram().clone());
            moments.push(
                [0.001, 0.5, 0.9, 0.95, 0.99, 0.999]
                    .map(|q| d.quantile_us(q))
                    .into_iter()
                    .chain([d.min_us(), d.max_us(), d.count()])
                    .chain([d.mean_us().to_bits(), d.stddev_us().to_bits()])
                    .collect(),
            );
        }
    }
    (json, histograms, moments)
}

/// Same counts at the same values. (`Histogram`'s `==` also compares how far each has grown,
/// which may differ between one recorded directly and one built by adding.)
fn same_histograms(a: &[Histogram<u64>], b: &[Histogram<u64>]) -> bool {
    let contents = |h: &Histogram<u64>| {
        h.iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect::<Vec<_>>()
    };
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| contents(a) == contents(b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn merging_parts_equals_recording_all(
        (parts, rows) in (1usize..6).prop_flat_map(|k| (Just(k), prop::collection::vec(row(k), 0..200))),
        include_transactions in any::<bool>(),
    ) {
        let mut all = Stats::new();
        all.include_transactions_in_total(include_transactions);
        for r in &rows {
            record(&mut all, r);
        }

        let mut split: Vec<Stats> = (0..parts).map(|_| Stats::new()).collect();
        for r in &rows {
            record(&mut split[r.part], r);
        }
        let mut merged = Stats::new();
        merged.include_transactions_in_total(include_transactions);
        for part in &split {
            merged.merge(part);
        }

        let (merged_json, merged_histograms, merged_moments) = fingerprint(&merged);
        let (all_json, all_histograms, all_moments) = fingerprint(&all);
        prop_assert_eq!(merged_json, all_json);
        prop_assert_eq!(merged_moments, all_moments);
        prop_assert!(same_histograms(&merged_histograms, &all_histograms));
    }
}
