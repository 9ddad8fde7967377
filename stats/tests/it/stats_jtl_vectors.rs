//! Statistics of JTL files, checked against values computed by hand from the rows: the repo's
//! own vectors in `fixtures/jtl-vectors/` (always), and the real JMeter/Taurus files in
//! `../shared/test-vectors/jtl` when that folder is present beside the repo (skipped otherwise).
//! The rows are read here with the `csv` crate directly, so these tests depend on the statistics
//! alone, not on the engine's JTL reader.

use std::path::Path;

use vajra_stats::sample::{Observation, ResponseCode};
use vajra_stats::{is_transaction_message, Stats};

use crate::vectors::{own, shared_present, vector};

/// Records every row of a comma-separated JTL file with a header, transaction-controller rows
/// (recognised by their message) as transactions.
fn record_jtl(stats: &mut Stats, path: &Path) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (ts, elapsed, label, code, message, success, threads, latency) = (
        column("timeStamp").unwrap(),
        column("elapsed").unwrap(),
        column("label").unwrap(),
        column("responseCode").unwrap(),
        column("responseMessage").unwrap(),
        column("success").unwrap(),
        column("allThreads").unwrap(),
        column("Latency").unwrap(),
    );
    let (bytes, connect) = (column("bytes"), column("Connect"));
    for row in reader.records() {
        let row = row.unwrap();
        let number = |i: usize| row[i].parse::<u64>().unwrap();
        let optional = |i: Option<usize>| i.map_or(0, number);
        let obs = Observation {
            timestamp_ms: number(ts),
            label: &row[label],
            elapsed_us: number(elapsed) * 1000,
            latency_us: number(latency) * 1000,
            connect_us: optional(connect) * 1000,
            service_us: None,
            bytes_received: optional(bytes),
            bytes_sent: 0,
            success: &row[success] == "true",
            response_code: match row[code].parse() {
                Ok(status) => ResponseCode::Status(status),
                Err(_) => ResponseCode::Text(&row[code]),
            },
            response_message: &row[message],
            failure_message: "",
            active_threads: row[threads].parse().unwrap(),
            url: "",
        };
        if is_transaction_message(obs.response_message) {
            stats.record_transaction(&obs);
        } else {
            stats.record(&obs);
        }
    }
}

#[test]
fn kpi_pair1_totals_exclude_its_two_transaction_rows() {
    if !shared_present() {
        return;
    }
    let mut stats = Stats::new();
    record_jtl(&mut stats, &vector("kpi-pair1.jtl"));
    let rows = stats.aggregate();
    assert_eq!(
        rows.len(),
        1 + 8,
        "ALL plus 6 sample and 2 transaction labels"
    );
    let all = &rows[0];
    // Samples: 139, 64, 3, 50, 100, 210 ms; 5 failed.
    assert_eq!((all.samples, all.errors_count), (6, 5));
    assert_eq!(all.avg_response_time, 566.0 / 6.0);
    assert_eq!((all.min_response_time, all.max_response_time), (3.0, 210.0));
    // Nearest rank: the 3rd of 6, to 3 significant digits.
    assert!((64.0..=64.064).contains(&all.median_response_time));
    assert_eq!(all.line90, 210.0);
    assert!((all.st_dev - 66.624_987).abs() < 1e-5, "{}", all.st_dev);
    // First start …636213, last end …636715 + 210 ms.
    assert_eq!(all.duration, 0.712);
    assert!((all.avg_throughput - 6.0 / 0.712).abs() < 1e-9);

    let errors = &stats.errors_report()[0];
    assert_eq!(errors.errors.len(), 5);
    assert!(errors.errors.iter().all(|e| e.count == 1));
    assert!(errors.errors.iter().any(|e| e.rc
        == "Non HTTP response code: java.net.UnknownHostException"
        && e.m == "Non HTTP response message: demo.blazemeter1.com: Name or service not known"));
    assert!(errors
        .errors
        .iter()
        .any(|e| e.rc == "200" && e.m == "Not Found"));

    stats.include_transactions_in_total(true);
    let all = &stats.aggregate()[0];
    assert_eq!((all.samples, all.errors_count), (8, 6));
    assert_eq!(all.max_response_time, 450.0);
}

#[test]
fn tranctl_is_all_transactions() {
    if !shared_present() {
        return;
    }
    let mut stats = Stats::new();
    record_jtl(&mut stats, &vector("tranctl.jtl"));
    let summary = stats.summary(&vajra_stats::RunFacts {
        target_tps: 0.0,
        duration_s: 0.0,
        dropped: 0,
        late: 0,
        unsent: 0,
        started_at_ms: 0,
        pattern: String::new(),
    });
    assert_eq!(summary.total.samples, 0);
    let labels: Vec<(&str, bool, u64)> = summary
        .labels
        .iter()
        .map(|l| (l.label.as_str(), l.transaction, l.errors))
        .collect();
    assert_eq!(
        labels,
        [
            ("Transaction Controller1", true, 0),
            ("Transaction Controller2", true, 1)
        ]
    );
    assert!(summary.labels[0].service_time_ms.is_none());
}

#[test]
fn merging_two_files_equals_reading_both_into_one() {
    if !shared_present() {
        return;
    }
    let mut both = Stats::new();
    record_jtl(&mut both, &vector("kpi-pair1.jtl"));
    record_jtl(&mut both, &vector("kpi1.jtl"));
    let (mut a, mut b) = (Stats::new(), Stats::new());
    record_jtl(&mut a, &vector("kpi-pair1.jtl"));
    record_jtl(&mut b, &vector("kpi1.jtl"));
    a.merge(&b);
    assert_eq!(a.aggregate(), both.aggregate());
    assert_eq!(a.errors_report(), both.errors_report());
    assert_eq!(a.timelines(), both.timelines());
}

// The repo's own vectors (fixtures/jtl-vectors): these always run.

#[test]
fn own_kpi_pair_a_totals_exclude_its_two_transaction_rows() {
    let mut stats = Stats::new();
    record_jtl(&mut stats, &own("kpi-pair-a.jtl"));
    let rows = stats.aggregate();
    assert_eq!(
        rows.len(),
        1 + 8,
        "ALL plus 6 sample and 2 transaction labels"
    );
    let all = &rows[0];
    // Samples: 120, 40, 5, 60, 100, 250 ms; only "home" (60 ms) succeeded.
    assert_eq!((all.samples, all.errors_count), (6, 5));
    assert_eq!(all.avg_response_time, 575.0 / 6.0);
    assert_eq!((all.min_response_time, all.max_response_time), (5.0, 250.0));
    // Nearest rank: the 3rd of 6 (5, 40, 60, 100, 120, 250), to 3 significant digits.
    assert!(
        (60.0..=60.06).contains(&all.median_response_time),
        "{}",
        all.median_response_time
    );
    assert_eq!(all.line90, 250.0);
    // Population standard deviation of the six.
    assert!((all.st_dev - 78.550_232).abs() < 1e-5, "{}", all.st_dev);
    // First start at +0 ms, last end at +360 + 250 ms.
    assert_eq!(all.duration, 0.61);
    assert!((all.avg_throughput - 6.0 / 0.61).abs() < 1e-9);

    let errors = &stats.errors_report()[0];
    assert_eq!(errors.errors.len(), 5);
    assert!(errors.errors.iter().all(|e| e.count == 1));
    assert!(errors.errors.iter().any(|e| e.rc
        == "Non HTTP response code: java.net.UnknownHostException"
        && e.m == "Non HTTP response message: shop.invalid: Name or service not known"));
    assert!(errors
        .errors
        .iter()
        .any(|e| e.rc == "200" && e.m == "Not Found"));

    stats.include_transactions_in_total(true);
    let all = &stats.aggregate()[0];
    assert_eq!((all.samples, all.errors_count), (8, 6));
    assert_eq!(all.max_response_time, 480.0);
}

#[test]
fn own_tranctl_is_all_transactions() {
    let mut stats = Stats::new();
    record_jtl(&mut stats, &own("tranctl.jtl"));
    let summary = stats.summary(&vajra_stats::RunFacts {
        target_tps: 0.0,
        duration_s: 0.0,
        dropped: 0,
        late: 0,
        unsent: 0,
        started_at_ms: 0,
        pattern: String::new(),
    });
    assert_eq!(summary.total.samples, 0);
    let labels: Vec<(&str, bool, u64)> = summary
        .labels
        .iter()
        .map(|l| (l.label.as_str(), l.transaction, l.errors))
        .collect();
    assert_eq!(
        labels,
        [("Checkout flow", true, 0), ("Login flow", true, 1)]
    );
    assert!(summary.labels[0].service_time_ms.is_none());
}

#[test]
fn own_merging_two_files_equals_reading_both_into_one() {
    let mut both = Stats::new();
    record_jtl(&mut both, &own("kpi-pair-a.jtl"));
    record_jtl(&mut both, &own("kpi-pair-b.jtl"));
    let (mut a, mut b) = (Stats::new(), Stats::new());
    record_jtl(&mut a, &own("kpi-pair-a.jtl"));
    record_jtl(&mut b, &own("kpi-pair-b.jtl"));
    a.merge(&b);
    assert_eq!(a.aggregate(), both.aggregate());
    assert_eq!(a.errors_report(), both.errors_report());
    assert_eq!(a.timelines(), both.timelines());
    // 6 + 6 samples; "Bad Gateway" failed once in each file.
    let all = &a.aggregate()[0];
    assert_eq!((all.samples, all.errors_count), (12, 6));
    let errors = &a.errors_report()[0];
    assert!(errors
        .errors
        .iter()
        .any(|e| e.rc == "502" && e.m == "Bad Gateway" && e.count == 2));
}
