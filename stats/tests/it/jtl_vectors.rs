//! Every JTL test vector reads completely, with the expected counts and fields: the repo's own
//! vectors in `fixtures/jtl-vectors/` (always; see its README.md for the cases and counts), and,
//! when the folder is present beside the repo, the real JMeter/Taurus files in
//! `../shared/test-vectors/jtl` (skipped otherwise).

use std::path::Path;

use vajra_stats::jtl::JtlReader;
use vajra_stats::sample::ResponseCode;

use crate::vectors::{own, shared_present, vector, OWN, SHARED};

/// The `.jtl` and `.csv` files of a vector folder.
fn listed(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jtl") || n.ends_with(".csv"))
        .collect()
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    rows: u64,
    failures: u64,
    transactions: u64,
    elapsed_ms: u64,
}

fn counts(path: &Path) -> Counts {
    let name = path.display();
    let mut reader = JtlReader::open(path, true).expect("opens");
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
    if !shared_present() {
        return;
    }
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
    for name in &listed(Path::new(SHARED)) {
        assert!(
            cases.iter().any(|(file, _)| file == name),
            "{name} has no expected counts"
        );
    }
    for (name, expected) in cases {
        assert_eq!(counts(&vector(name)), expected, "{name}");
    }
}

#[test]
fn kpi1_first_row_maps_every_column() {
    if !shared_present() {
        return;
    }
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
    if !shared_present() {
        return;
    }
    let mut reader = JtlReader::open(&vector("tabs.jtl"), true).unwrap();
    assert_eq!(reader.delimiter(), b'\t');
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(obs.label, "http://localhost:8080");
    assert_eq!(obs.bytes_received, 1228181);
    assert_eq!(obs.latency_us, 132_000);
}

#[test]
fn apiritif_column_order_is_read_by_name() {
    if !shared_present() {
        return;
    }
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
    if !shared_present() {
        return;
    }
    let mut reader = JtlReader::open(&vector("quote-guessing-crash.jtl"), true).unwrap();
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(obs.label, "http://blazedemo.com/");
    assert_eq!(obs.bytes_received, 290473);
    assert_eq!(obs.latency_us, 579_000);
    assert_eq!(obs.connect_us, 0, "no Connect column");
}

#[test]
fn transaction_rows_are_recognised() {
    if !shared_present() {
        return;
    }
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
    if !shared_present() {
        return;
    }
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
    if !shared_present() {
        return;
    }
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
    if !shared_present() {
        return;
    }
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

// The repo's own vectors (fixtures/jtl-vectors): these always run.

/// The first timestamp of the own vectors (make.py's `T0`).
const T0: u64 = 1_700_000_000_000;

#[test]
fn every_own_vector_reads_with_its_counts() {
    // (file, rows, failures, transaction rows, sum of elapsed ms), as in fixtures/jtl-vectors/README.md.
    let cases = [
        ("jmeter-default.jtl", expect(8, 4, 0, 1373)),
        ("doublequoting.jtl", expect(2, 2, 0, 4014)),
        ("quote-guessing.jtl", expect(5, 0, 0, 1962)),
        ("embedded-newlines.jtl", expect(4, 2, 0, 85)),
        ("tabs.jtl", expect(4, 0, 0, 1514)),
        ("semicolons.jtl", expect(3, 1, 0, 193)),
        ("unicode.jtl", expect(9, 3, 0, 2232)),
        ("tranctl.jtl", expect(2, 1, 2, 1180)),
        ("kpi-pair-a.jtl", expect(8, 6, 2, 1145)),
        ("kpi-pair-b.jtl", expect(6, 1, 0, 904)),
        ("embedded-resources.jtl", expect(2, 1, 0, 1570)),
        ("non-http.jtl", expect(8, 6, 0, 2721)),
        ("500-success.jtl", expect(2, 0, 0, 725)),
        ("apiritif.csv", expect(12, 0, 0, 1671)),
        ("crlf-bom.jtl", expect(3, 1, 0, 69)),
        ("no-success-column.jtl", expect(5, 3, 0, 348)),
    ];
    for name in &listed(Path::new(OWN)) {
        assert!(
            cases.iter().any(|(file, _)| file == name),
            "{name} has no expected counts"
        );
    }
    for (name, expected) in cases {
        assert_eq!(counts(&own(name)), expected, "{name}");
    }
}

#[test]
fn own_default_layout_maps_every_column() {
    let mut reader = JtlReader::open(&own("jmeter-default.jtl"), true).unwrap();
    let record = reader.next_record().unwrap().expect("a row");
    assert_eq!(record.line(), 2);
    assert_eq!(record.thread_name(), "vajra 1-1");
    let obs = record.observation();
    assert_eq!(obs.timestamp_ms, T0);
    assert_eq!(obs.elapsed_us, 41_000);
    assert_eq!(obs.label, "home");
    assert_eq!(obs.response_code, ResponseCode::Status(200));
    assert_eq!(obs.response_message, "OK");
    assert!(obs.success);
    assert_eq!(obs.bytes_received, 2048);
    assert_eq!(obs.bytes_sent, 131);
    assert_eq!(obs.active_threads, 1);
    assert_eq!(obs.latency_us, 39_000);
    assert_eq!(obs.connect_us, 3_000);
    assert_eq!(obs.service_us, None);
    assert_eq!(obs.url, "http://127.0.0.1:8080/");
    assert_eq!(obs.failure_message, "");

    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(
        obs.label, "search \"q\", page",
        "quoted, inner quotes doubled"
    );
    assert_eq!(obs.url, "http://127.0.0.1:8080/search?q=a,b");
    assert_eq!(obs.active_threads, 2);

    let mut rest = Vec::new();
    reader
        .for_each(|obs| {
            rest.push((
                obs.response_code.to_string(),
                obs.success,
                obs.failure_message.to_string(),
            ))
        })
        .unwrap();
    assert_eq!(rest[0], ("404".into(), false, String::new()));
    assert_eq!(rest[1], ("500".into(), false, String::new()));
    assert_eq!(
        rest[2],
        (
            "Non HTTP response code: java.net.ConnectException".into(),
            false,
            String::new()
        )
    );
    assert_eq!(
        rest[3],
        (
            "200".into(),
            false,
            "Test failed: text expected to contain /Welcome/".into()
        )
    );
}

#[test]
fn own_tabs_and_semicolons_are_found_from_the_header() {
    let mut reader = JtlReader::open(&own("tabs.jtl"), true).unwrap();
    assert_eq!(reader.delimiter(), b'\t');
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(obs.label, "http://127.0.0.1:8080/big");
    assert_eq!(obs.bytes_received, 1_048_576);
    assert_eq!(obs.latency_us, 121_000);
    let mut messages = Vec::new();
    reader
        .for_each(|obs| messages.push(obs.response_message.to_string()))
        .unwrap();
    assert_eq!(messages[1], "Found, see /new");

    let mut reader = JtlReader::open(&own("semicolons.jtl"), true).unwrap();
    assert_eq!(reader.delimiter(), b';');
    let mut rows = Vec::new();
    reader
        .for_each(|obs| rows.push((obs.label.to_string(), obs.response_message.to_string())))
        .unwrap();
    assert_eq!(
        rows[1],
        (
            "list,page 2".into(),
            "Service Unavailable; retry later".into()
        )
    );
}

#[test]
fn own_apiritif_column_order_is_read_by_name() {
    let mut reader = JtlReader::open(&own("apiritif.csv"), true).unwrap();
    assert_eq!(reader.delimiter(), b',');
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(obs.timestamp_ms, T0);
    assert_eq!(obs.elapsed_us, 310_000);
    assert_eq!(obs.latency_us, 0);
    assert_eq!(obs.label, "http://127.0.0.1:8080/");
    assert_eq!(obs.response_code, ResponseCode::Status(200));
    assert_eq!(obs.bytes_received, 8200);
    assert_eq!(obs.active_threads, 1);
}

#[test]
fn own_quoted_variable_columns_are_ignored() {
    let mut reader = JtlReader::open(&own("quote-guessing.jtl"), true).unwrap();
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(obs.label, "http://127.0.0.1:8080/");
    assert_eq!(obs.bytes_received, 18432);
    assert_eq!(obs.latency_us, 402_000);
    assert_eq!(obs.connect_us, 0, "no Connect column");
}

#[test]
fn own_transaction_rows_are_recognised() {
    let mut reader = JtlReader::open(&own("kpi-pair-a.jtl"), true).unwrap();
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
            ("TC checkout pass".into(), "200".into(), true),
            ("TC checkout fail".into(), "408".into(), false),
        ]
    );
}

#[test]
fn own_quoted_messages_with_commas_and_doubled_quotes() {
    let mut reader = JtlReader::open(&own("doublequoting.jtl"), true).unwrap();
    let record = reader.next_record().unwrap().unwrap();
    let message = record.response_message();
    assert_eq!(message.chars().count(), 984);
    assert!(
        message.ends_with("Was expecting one of: <IDENT>, \"(\", \";\", , "),
        "{message}"
    );
    assert_eq!(record.thread_name(), "Users 1-1");
    assert!(!record.observation().success);
}

#[test]
fn own_embedded_newlines_stay_inside_their_field() {
    let mut reader = JtlReader::open(&own("embedded-newlines.jtl"), true).unwrap();
    let mut rows = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        let obs = record.observation();
        rows.push((
            record.line(),
            obs.response_message.to_string(),
            obs.failure_message.to_string(),
            obs.url.to_string(),
        ));
    }
    let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(lines, [2, 3, 5, 7], "rows 2 and 3 span two lines each");
    assert_eq!(rows[1].1, "Bad Gateway\nupstream closed");
    assert_eq!(
        rows[2].2,
        "Test failed: body did not match\r\nexpected \"total\": 3"
    );
    assert_eq!(rows[2].3, "http://127.0.0.1:8080/report");
}

#[test]
fn own_transport_errors_keep_their_text_code() {
    let mut reader = JtlReader::open(&own("non-http.jtl"), true).unwrap();
    let mut codes = Vec::new();
    reader
        .for_each(|obs| codes.push((obs.response_code.to_string(), obs.success)))
        .unwrap();
    assert_eq!(codes[1], ("403".to_string(), false));
    assert_eq!(
        codes[3],
        (
            "Non HTTP response code: java.net.SocketTimeoutException".to_string(),
            false
        )
    );
    assert_eq!(
        codes[5].0,
        "Non HTTP response code: javax.net.ssl.SSLHandshakeException"
    );
    assert_eq!(
        codes[6],
        ("200".to_string(), false),
        "failed with rc 200 OK"
    );
}

#[test]
fn own_unicode_labels_read_as_utf8() {
    let mut reader = JtlReader::open(&own("unicode.jtl"), true).unwrap();
    let mut labels = std::collections::BTreeMap::new();
    reader
        .for_each(|obs| {
            let failures: &mut u32 = labels.entry(obs.label.to_string()).or_default();
            *failures += u32::from(!obs.success);
        })
        .unwrap();
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        [
            ("Κατάλογος".to_string(), 3),
            ("Заказ.Создать".to_string(), 0),
            ("注文確認".to_string(), 0)
        ]
    );
}

#[test]
fn own_success_rules() {
    let successes = |name: &str| {
        let mut reader = JtlReader::open(&own(name), true).unwrap();
        let mut out = Vec::new();
        reader
            .for_each(|obs| out.push((obs.response_code.to_string(), obs.success)))
            .unwrap();
        out
    };
    assert_eq!(
        successes("500-success.jtl")[0],
        ("500".to_string(), true),
        "success=true wins over the status"
    );
    let derived: Vec<bool> = successes("no-success-column.jtl")
        .into_iter()
        .map(|(_, ok)| ok)
        .collect();
    assert_eq!(
        derived,
        [true, true, false, false, false],
        "200, 302 succeed"
    );
    let mut reader = JtlReader::open(&own("embedded-resources.jtl"), true).unwrap();
    let record = reader.next_record().unwrap().unwrap();
    assert!(record.response_message().ends_with("message:Not Found, "));
    assert!(!record.observation().success);
}

#[test]
fn own_bom_and_crlf_are_not_part_of_the_fields() {
    let mut reader = JtlReader::open(&own("crlf-bom.jtl"), true).unwrap();
    assert_eq!(reader.delimiter(), b',');
    let mut rows = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        let obs = record.observation();
        rows.push((record.line(), obs.timestamp_ms, obs.url.to_string()));
    }
    assert_eq!(
        rows,
        [
            (2, T0, "http://127.0.0.1:8080/w".to_string()),
            (3, T0 + 30, "http://127.0.0.1:8080/x".to_string()),
            (4, T0 + 60, "http://127.0.0.1:8080/w".to_string()),
        ]
    );
}
