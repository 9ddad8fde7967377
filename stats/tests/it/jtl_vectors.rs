//! Every real JTL file in shared/test-vectors/jtl reads completely, with the expected counts.

use std::path::PathBuf;

use vajra_stats::jtl::JtlReader;
use vajra_stats::sample::ResponseCode;

fn vector(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/test-vectors/jtl/"
    ))
    .join(name)
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    rows: u64,
    failures: u64,
    transactions: u64,
    elapsed_ms: u64,
}

fn counts(name: &str) -> Counts {
    let mut reader = JtlReader::open(&vector(name), true).expect("opens");
    let mut counts = Counts::default();
    while let Some(record) = reader.next_record().expect("no bad rows") {
        let obs = record.observation();
        counts.rows += 1;
        counts.failures += u64::from(!obs.success);
        counts.transactions += u64::from(record.is_transaction());
        counts.elapsed_ms += obs.elapsed_us / 1000;
    }
    assert_eq!(reader.rows_read(), counts.rows);
    assert_eq!(
        reader.bad_rows().count,
        0,
        "{name}: {:?}",
        reader.bad_rows()
    );
    counts
}

fn expect(rows: u64, failures: u64, transactions: u64, elapsed_ms: u64) -> Counts {
    Counts {
        rows,
        failures,
        transactions,
        elapsed_ms,
    }
}

#[test]
fn every_vector_reads_with_its_counts() {
    // (file, rows, failures, transaction rows, sum of elapsed ms), counted from the files.
    let cases = [
        ("500-success-kpi.jtl", expect(1, 0, 0, 772)),
        ("apiritif-results-apiritif-0.csv", expect(37, 0, 0, 4918)),
        ("doublequoting.jtl", expect(2, 2, 0, 4596)),
        ("embedded_resources-kpi_ed.jtl", expect(1, 1, 0, 1123)),
        ("kpi-pair1.jtl", expect(8, 6, 2, 1091)),
        ("kpi1.jtl", expect(21, 9, 0, 89)),
        ("non-http-kpi.jtl", expect(11, 8, 0, 2158)),
        ("quote-guessing-crash.jtl", expect(10, 0, 0, 6569)),
        ("simple.kpi.jtl", expect(6, 3, 0, 7179)),
        ("smart-aggregation-kpi.jtl", expect(4, 2, 0, 3360)),
        ("tabs.jtl", expect(4, 0, 0, 1825)),
        ("tranctl.jtl", expect(2, 1, 2, 1262)),
        ("unicode.jtl", expect(13, 13, 0, 7485)),
    ];
    let listed: Vec<_> = std::fs::read_dir(vector(""))
        .expect("test vectors present")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jtl") || n.ends_with(".csv"))
        .collect();
    for name in &listed {
        assert!(
            cases.iter().any(|(file, _)| file == name),
            "{name} has no expected counts"
        );
    }
    for (name, expected) in cases {
        assert_eq!(counts(name), expected, "{name}");
    }
}

#[test]
fn kpi1_first_row_maps_every_column() {
    let mut reader = JtlReader::open(&vector("kpi1.jtl"), true).unwrap();
    let record = reader.next_record().unwrap().expect("a row");
    assert_eq!(record.line(), 2);
    assert_eq!(record.thread_name(), "sc1-ThreadStarter 1-1");
    let obs = record.observation();
    assert_eq!(obs.timestamp_ms, 1637589158484);
    assert_eq!(obs.elapsed_us, 34_000);
    assert_eq!(obs.label, "good");
    assert_eq!(obs.response_code, ResponseCode::Status(200));
    assert_eq!(obs.response_message, "OK");
    assert!(obs.success);
    assert_eq!(obs.bytes_received, 546);
    assert_eq!(obs.bytes_sent, 0, "no sentBytes column");
    assert_eq!(obs.active_threads, 1);
    assert_eq!(obs.latency_us, 32_000);
    assert_eq!(obs.connect_us, 26_000);
    assert_eq!(obs.service_us, None);
    assert_eq!(obs.url, "", "no URL column");
    assert_eq!(obs.failure_message, "");
}

#[test]
fn tabs_file_uses_tab() {
    let mut reader = JtlReader::open(&vector("tabs.jtl"), true).unwrap();
    assert_eq!(reader.delimiter(), b'\t');
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(obs.label, "http://localhost:8080");
    assert_eq!(obs.bytes_received, 1228181);
    assert_eq!(obs.latency_us, 132_000);
}

#[test]
fn apiritif_column_order_is_read_by_name() {
    let mut reader = JtlReader::open(&vector("apiritif-results-apiritif-0.csv"), true).unwrap();
    assert_eq!(reader.delimiter(), b',');
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(obs.timestamp_ms, 1551810990290);
    assert_eq!(obs.elapsed_us, 331_000);
    assert_eq!(obs.latency_us, 0);
    assert_eq!(obs.label, "http://blazedemo.com/");
    assert_eq!(obs.response_code, ResponseCode::Status(200));
    assert_eq!(obs.bytes_received, 8507);
    assert_eq!(obs.active_threads, 1);
}

#[test]
fn quoted_variable_columns_are_ignored() {
    let mut reader = JtlReader::open(&vector("quote-guessing-crash.jtl"), true).unwrap();
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(obs.label, "http://blazedemo.com/");
    assert_eq!(obs.bytes_received, 290473);
    assert_eq!(obs.latency_us, 579_000);
    assert_eq!(obs.connect_us, 0, "no Connect column");
}

#[test]
fn transaction_rows_are_recognised() {
    let mut reader = JtlReader::open(&vector("kpi-pair1.jtl"), true).unwrap();
    let mut transactions = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        if record.is_transaction() {
            let obs = record.observation();
            transactions.push((
                obs.label.to_string(),
                obs.response_code.to_string(),
                obs.success,
            ));
        }
    }
    assert_eq!(
        transactions,
        [
            (
                "TC for embeddedResources check pass".into(),
                "200".into(),
                true
            ),
            (
                "TC for embeddedResources check last fail".into(),
                "408".into(),
                false
            ),
        ]
    );
}

#[test]
fn quoted_messages_with_commas_and_doubled_quotes() {
    let mut reader = JtlReader::open(&vector("doublequoting.jtl"), true).unwrap();
    let record = reader.next_record().unwrap().unwrap();
    let message = record.response_message();
    assert_eq!(message.chars().count(), 790);
    assert!(message.ends_with("Was expecting one of: <S>, \"(\", , "));
    assert_eq!(record.thread_name(), "scen1 1-1");
    assert!(!record.observation().success);
}

#[test]
fn transport_errors_keep_their_text_code() {
    let mut reader = JtlReader::open(&vector("smart-aggregation-kpi.jtl"), true).unwrap();
    let mut codes = Vec::new();
    reader
        .for_each(|obs| codes.push((obs.response_code.to_string(), obs.success)))
        .unwrap();
    assert_eq!(codes[0], ("200".to_string(), false));
    assert_eq!(
        codes[2],
        (
            "Non HTTP response code: java.net.SocketTimeoutException".to_string(),
            false
        )
    );
}

#[test]
fn cyrillic_labels_read_as_utf8() {
    let mut reader = JtlReader::open(&vector("unicode.jtl"), true).unwrap();
    let mut labels = std::collections::BTreeSet::new();
    reader
        .for_each(|obs| {
            labels.insert(obs.label.to_string());
        })
        .unwrap();
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        ["САП.АутентифицироватьРасш", "Тест.Эхо"]
    );
}
