//! The reports built from `Stats`, checked against hand-computed values, and their JSON shapes.

use vajra_stats::sample::{Observation, ResponseCode};
use vajra_stats::{
    render_table, AggregateRow, ErrorsReportEntry, IntervalStats, RunFacts, Stats, Summary,
    TimelinePoint, MAX_DISTINCT_MESSAGES,
};

const T0: u64 = 1_700_000_000_000;

fn ok(label: &'static str, timestamp_ms: u64, elapsed_ms: u64) -> Observation<'static> {
    Observation {
        timestamp_ms,
        label,
        elapsed_us: elapsed_ms * 1000,
        latency_us: elapsed_ms * 500,
        connect_us: 100,
        service_us: None,
        bytes_received: 1000,
        bytes_sent: 100,
        success: true,
        response_code: ResponseCode::Status(200),
        response_message: "OK",
        failure_message: "",
        active_threads: 1,
        url: "http://127.0.0.1/",
    }
}

fn failed(
    obs: Observation<'static>,
    code: ResponseCode<'static>,
    message: &'static str,
) -> Observation<'static> {
    Observation {
        success: false,
        response_code: code,
        response_message: message,
        ..obs
    }
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-3,
        "{actual} is not within 0.1 % of {expected}"
    );
}

/// 1..=100 ms, 10 ms apart, every 10th a 500, up to 7 threads.
fn one_to_hundred() -> Stats {
    let mut stats = Stats::new();
    for ms in 1..=100u64 {
        let mut obs = ok("a", T0 + (ms - 1) * 10, ms);
        obs.active_threads = (ms % 8) as u32;
        if ms % 10 == 0 {
            obs = failed(obs, ResponseCode::Status(500), "Internal Server Error");
        }
        stats.record(&obs);
    }
    stats
}

#[test]
fn aggregate_row_of_one_to_hundred_ms() {
    let rows = one_to_hundred().aggregate();
    assert_eq!(rows.len(), 2, "ALL plus one label");
    let a = &rows[1];
    assert_eq!((a.label_id.as_str(), a.label_name.as_str()), ("a", "a"));
    assert_eq!(a.samples, 100);
    assert_eq!(a.avg_response_time, 50.5);
    assert_close(a.median_response_time, 50.0);
    assert_close(a.line90, 90.0);
    assert_close(a.line95, 95.0);
    assert_close(a.line99, 99.0);
    assert_eq!((a.min_response_time, a.max_response_time), (1.0, 100.0));
    // Population stddev, as JMeter: sqrt((100² − 1) / 12) = 28.866; the sample one is 29.011.
    assert!((a.st_dev - 28.866_070).abs() < 1e-5, "{}", a.st_dev);
    assert_eq!(a.avg_latency, 25.25);
    assert_eq!(a.avg_bytes, 1000.0);
    // First start T0, last end T0 + 990 + 100 ms.
    assert_eq!(a.duration, 1.09);
    assert_close(a.avg_throughput, 100.0 / 1.09);
    assert_eq!((a.errors_count, a.errors_rate), (10, 10.0));
    assert_eq!(a.concurrency, Some(7.0));

    let all = &rows[0];
    assert_eq!(
        (all.label_id.as_str(), all.label_name.as_str()),
        ("ALL", "ALL")
    );
    let relabelled = AggregateRow {
        label_id: "a".into(),
        label_name: "a".into(),
        ..all.clone()
    };
    assert_eq!(&relabelled, a, "one label: ALL equals it");
}

#[test]
fn rows_are_all_first_then_by_label() {
    let mut stats = Stats::new();
    for label in ["zeta", "alpha", "mid"] {
        stats.record(&ok(label, T0, 5));
    }
    let names: Vec<String> = stats
        .aggregate()
        .into_iter()
        .map(|r| r.label_name)
        .collect();
    assert_eq!(names, ["ALL", "alpha", "mid", "zeta"]);
}

fn with_transaction() -> Stats {
    let mut stats = Stats::new();
    stats.record(&ok("login", T0, 10));
    stats.record(&failed(
        ok("home", T0 + 10, 30),
        ResponseCode::Status(404),
        "Not Found",
    ));
    stats.record_transaction(&failed(
        ok("TC user journey", T0, 40),
        ResponseCode::Status(404),
        "Number of samples in transaction : 2, number of failing samples : 1",
    ));
    stats
}

#[test]
fn transactions_have_rows_but_stay_out_of_all_by_default() {
    let stats = with_transaction();
    assert!(stats.transactions_excluded());
    let rows = stats.aggregate();
    let names: Vec<&str> = rows.iter().map(|r| r.label_name.as_str()).collect();
    assert_eq!(names, ["ALL", "TC user journey", "home", "login"]);
    assert_eq!((rows[0].samples, rows[0].errors_count), (2, 1));
    assert_eq!(rows[0].max_response_time, 30.0);
    assert_eq!((rows[1].samples, rows[1].max_response_time), (1, 40.0));
    assert_eq!(stats.errors_report()[0].errors.len(), 1);
    assert_eq!(stats.timeline()[0].samples, 2);
}

#[test]
fn transactions_can_be_counted_in_all() {
    let mut stats = with_transaction();
    stats.include_transactions_in_total(true);
    assert!(!stats.transactions_excluded());
    let all = &stats.aggregate()[0];
    assert_eq!((all.samples, all.errors_count), (3, 2));
    assert_eq!(all.max_response_time, 40.0);
    assert_eq!(stats.timeline()[0].samples, 3);
}

#[test]
fn errors_report_counts_by_code_message_and_assertion() {
    let mut stats = Stats::new();
    let refused = "Non HTTP response code: java.net.ConnectException";
    for _ in 0..3 {
        stats.record(&failed(
            ok("a", T0, 1),
            ResponseCode::Status(404),
            "Not Found",
        ));
    }
    stats.record(&failed(
        ok("a", T0, 1),
        ResponseCode::Text(refused),
        "Non HTTP response message: Connection refused",
    ));
    stats.record(&Observation {
        failure_message: "Test failed: text expected to contain /ok/",
        ..failed(ok("b", T0, 1), ResponseCode::Status(200), "OK")
    });
    stats.record(&ok("b", T0, 1));

    let report = stats.errors_report();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"_id": "ALL", "name": "ALL", "labelId": "ALL",
             "errors": [{"m": "Not Found", "rc": "404", "count": 3},
                        {"m": "Non HTTP response message: Connection refused", "rc": refused, "count": 1}],
             "assertions": [{"name": "All Assertions",
                             "failureMessage": "Test failed: text expected to contain /ok/",
                             "failures": 1}],
             "otherErrorsCount": 0},
            {"_id": "a", "name": "a", "labelId": "a",
             "errors": [{"m": "Not Found", "rc": "404", "count": 3},
                        {"m": "Non HTTP response message: Connection refused", "rc": refused, "count": 1}],
             "assertions": [], "otherErrorsCount": 0},
            {"_id": "b", "name": "b", "labelId": "b", "errors": [],
             "assertions": [{"name": "All Assertions",
                             "failureMessage": "Test failed: text expected to contain /ok/",
                             "failures": 1}],
             "otherErrorsCount": 0},
        ])
    );
}

#[test]
fn errors_report_is_bounded_per_label() {
    let messages: Vec<String> = (0..MAX_DISTINCT_MESSAGES + 50)
        .map(|i| format!("error number {i}"))
        .collect();
    let mut stats = Stats::new();
    for message in &messages {
        stats.record(&Observation {
            response_message: message,
            ..failed(ok("a", T0, 1), ResponseCode::Status(500), "")
        });
    }
    let report = stats.errors_report();
    let a = &report[1];
    assert_eq!(a.errors.len(), MAX_DISTINCT_MESSAGES);
    assert_eq!(a.other_errors_count, 50);
    let counted: u64 = a.errors.iter().map(|e| e.count).sum();
    assert_eq!(counted + a.other_errors_count, 150);
    assert_eq!(
        stats.aggregate()[1].errors_count,
        150,
        "the count stays exact"
    );
}

#[test]
fn timeline_has_one_point_per_second_overall_and_per_label() {
    let mut stats = Stats::new();
    stats.record(&ok("a", T0 + 999, 10));
    stats.record(&Observation {
        active_threads: 4,
        ..failed(ok("b", T0, 30), ResponseCode::Status(503), "")
    });
    stats.record(&ok("a", T0 + 2_000, 20));
    assert_eq!(
        stats.timeline(),
        vec![
            TimelinePoint {
                ts: T0 / 1000,
                samples: 2,
                errors: 1,
                avg_response_time_ms: 20.0,
                avg_latency_ms: 10.0,
                active_threads: 4,
            },
            TimelinePoint {
                ts: T0 / 1000 + 2,
                samples: 1,
                errors: 0,
                avg_response_time_ms: 20.0,
                avg_latency_ms: 10.0,
                active_threads: 1,
            },
        ]
    );
    let timelines = stats.timelines();
    let labels: Vec<(&str, usize)> = timelines
        .iter()
        .map(|t| (t.label.as_str(), t.points.len()))
        .collect();
    assert_eq!(labels, [("ALL", 2), ("a", 2), ("b", 1)]);
}

#[test]
fn aggregate_row_json_names_are_blazemeters() {
    let json = serde_json::to_value(&one_to_hundred().aggregate()[0]).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = [
        "labelId",
        "labelName",
        "samples",
        "avgResponseTime",
        "medianResponseTime",
        "90line",
        "95line",
        "99line",
        "minResponseTime",
        "maxResponseTime",
        "stDev",
        "avgLatency",
        "avgBytes",
        "avgThroughput",
        "duration",
        "errorsCount",
        "errorsRate",
        "concurrency",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
}

#[test]
fn aggregate_row_reads_blazemeter_json_with_nulls_extras_and_gaps() {
    let json = r#"[{"labelId": "ALL", "labelName": "ALL", "samples": 246613,
        "avgResponseTime": 125.4, "medianResponseTime": 98, "90line": 210, "95line": 260.5,
        "99line": 480, "minResponseTime": 3, "maxResponseTime": 9001, "stDev": 77.1,
        "geoMeanResponseTime": null, "avgLatency": 40.2, "avgBytes": 1520.3,
        "avgThroughput": 205.5, "duration": 1200, "errorsCount": 93395, "errorsRate": 37.87,
        "hasLabelPassedThresholds": null},
        {"labelId": "e843ff89", "labelName": "http://x/", "samples": 1, "stDev": null,
         "concurrency": 60}]"#;
    let rows: Vec<AggregateRow> = serde_json::from_str(json).unwrap();
    assert_eq!(rows[0].samples, 246613);
    assert_eq!(rows[0].line95, 260.5);
    assert_eq!(rows[0].median_response_time, 98.0);
    assert_eq!(rows[0].concurrency, None, "absent in this report");
    assert_eq!(rows[1].st_dev, 0.0, "null reads as 0");
    assert_eq!(rows[1].concurrency, Some(60.0));
    assert_eq!(rows[1].avg_response_time, 0.0, "absent reads as 0");
}

#[test]
fn errors_report_reads_blazemeter_json() {
    let json = r#"[ { "_id": "ALL", "name": "ALL", "labelId": "ALL",
        "errors": [ { "m": "Not Found", "rc": "404", "count": 10 } ],
        "assertions": [ { "name": "All Assertions", "failureMessage": "text missing", "failures": 3 } ],
        "failedEmbeddedResources": [ { "rc": "404", "rm": "Not Found", "count": 1 } ],
        "urls": [ { "url": "http://x/y", "count": 2 } ],
        "samplesNotCounted": 0, "assertionsNotCounted": 0, "otherErrorsCount": 0 },
        { "_id": "abc", "name": "x" } ]"#;
    let report: Vec<ErrorsReportEntry> = serde_json::from_str(json).unwrap();
    assert_eq!(report[0].errors[0].count, 10);
    assert_eq!(report[0].assertions[0].failure_message, "text missing");
    assert!(report[1].errors.is_empty() && report[1].assertions.is_empty());
}

fn facts() -> RunFacts {
    RunFacts {
        target_tps: 50.0,
        duration_s: 2.0,
        dropped: 3,
        late: 4,
        unsent: 1,
        started_at_ms: T0,
        pattern: "constant 50/s for 2s".into(),
    }
}

#[test]
fn summary_of_our_own_samples() {
    let mut stats = one_to_hundred();
    for ms in [10u64, 20, 30, 40] {
        stats.record(&Observation {
            service_us: Some(ms * 1000),
            ..ok("served", T0, ms)
        });
    }
    let summary = stats.summary(&facts());
    assert_eq!(
        (summary.started_at_ms, summary.dropped, summary.late),
        (T0, 3, 4)
    );
    assert!(summary.transactions_excluded);
    assert_eq!(summary.total.label, "ALL");
    assert_eq!(summary.total.samples, 104);
    // Over the measured window, as the aggregate report (and so `vajra report`) computes it,
    // not over the run's 2 s.
    assert_eq!(
        summary.total.achieved_tps,
        stats.aggregate()[0].avg_throughput
    );
    assert_ne!(summary.total.achieved_tps, 52.0);
    assert_eq!(summary.schema_version, 2);
    assert_eq!(
        summary.outcome, None,
        "the outcome is a run's, added by the CLI"
    );
    let a = &summary.labels[0];
    assert_eq!((a.label.as_str(), a.errors, a.error_pct), ("a", 10, 10.0));
    assert_eq!(a.response_time_ms.avg, 50.5);
    assert_close(a.response_time_ms.p95, 95.0);
    assert_eq!(a.service_time_ms, None, "no sample knew its service time");
    assert_eq!((a.bytes_received, a.bytes_sent), (100_000, 10_000));
    let served = &summary.labels[1];
    let service = served.service_time_ms.as_ref().expect("service known");
    assert_close(service.p50, 20.0);
    assert_eq!(service.p99, 40.0, "clamped to the exact max");
    assert_eq!(served.latency_avg_ms, 12.5);

    let json = serde_json::to_value(&summary).unwrap();
    for key in [
        "started_at_ms",
        "duration_s",
        "pattern",
        "target_tps",
        "dropped",
        "late",
        "transactions_excluded",
        "total",
        "labels",
    ] {
        assert!(json.get(key).is_some(), "summary.json lacks {key}");
    }
    assert!(json["labels"][0]["service_time_ms"].is_null());
    assert!(json["total"]["response_time_ms"]["p99"].is_number());
}

#[test]
fn reports_round_trip_through_json() {
    let stats = with_transaction();
    let summary = stats.summary(&facts());
    let back: Summary = serde_json::from_str(&serde_json::to_string(&summary).unwrap()).unwrap();
    assert_eq!(back, summary);
    let rows = stats.aggregate();
    let back: Vec<AggregateRow> =
        serde_json::from_str(&serde_json::to_string(&rows).unwrap()).unwrap();
    assert_eq!(back, rows);
    let errors = stats.errors_report();
    let back: Vec<ErrorsReportEntry> =
        serde_json::from_str(&serde_json::to_string(&errors).unwrap()).unwrap();
    assert_eq!(back, errors);
    let timeline = stats.timeline();
    let back: Vec<TimelinePoint> =
        serde_json::from_str(&serde_json::to_string(&timeline).unwrap()).unwrap();
    assert_eq!(back, timeline);
}

#[test]
fn table_aligns_columns() {
    let mut stats = one_to_hundred();
    stats.record(&ok("a much longer label, with a comma", T0, 3));
    let table = render_table(&stats.aggregate());
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("label "));
    assert!(lines[0].ends_with("TPS"));
    assert!(lines[1].starts_with("ALL "));
    let width = lines[0].chars().count();
    assert!(
        lines.iter().all(|l| l.chars().count() == width),
        "numbers are right-aligned to the header:\n{table}"
    );
    // The p50 column of "a" shows 50.0 (to 3 significant digits) under the p50 header.
    let p50_end = lines[0].find("p50 ms").unwrap() + "p50 ms".len();
    assert_eq!(
        lines[2][..p50_end].trim_end().rsplit(' ').next(),
        Some("50.0")
    );
}

#[test]
fn interval_window_resets_without_touching_totals() {
    let mut stats = Stats::new();
    let mut interval = IntervalStats::new(T0);
    for ms in 1..=100u64 {
        let obs = ok("a", T0 + ms, ms);
        stats.record(&obs);
        interval.record(&obs);
    }
    interval.record(&failed(ok("a", T0, 1), ResponseCode::Status(500), ""));
    interval.record_transaction(&ok("TC", T0, 500));
    let first = interval.take(T0 + 2_000);
    assert_eq!((first.samples, first.errors), (101, 1));
    assert_eq!(first.tps, 50.5);
    assert_close(first.p95_ms, 95.0);

    interval.record(&ok("a", T0 + 2_500, 7));
    let second = interval.take(T0 + 3_000);
    assert_eq!(
        (second.start_ms, second.samples, second.errors),
        (T0 + 2_000, 1, 0)
    );
    assert_close(second.p95_ms, 7.0);
    assert_eq!(stats.aggregate()[0].samples, 100, "totals are separate");
}
