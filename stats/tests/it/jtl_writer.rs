//! The JTL writer's exact output, and JtlWriter → JtlReader round trips.

use std::io::{self, Write};
use std::sync::Arc;

use proptest::prelude::*;
use vajra_stats::jtl::{JtlReader, JtlWriter, JMETER_DEFAULT_HEADER, MAX_FIELD_BYTES};
use vajra_stats::sample::{Observation, Outcome, Sample};

const HEADER_LINE: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,\
dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,\
Connect\n";

fn sample() -> Sample {
    Sample {
        timestamp_ms: 1_700_000_000_123,
        elapsed_us: 12_499,
        service_us: 9_000,
        latency_us: 7_500,
        connect_us: 0,
        label: Arc::from("home"),
        url: Arc::from("http://127.0.0.1:8080/"),
        outcome: Outcome::Http(200),
        success: true,
        failure_message: None,
        bytes_received: 1234,
        bytes_sent: 114,
        active_threads: 5,
        thread: 3,
    }
}

fn written(samples: &[Sample]) -> String {
    let mut writer = JtlWriter::new(Vec::new()).expect("header");
    for s in samples {
        writer.write(s).expect("row");
    }
    String::from_utf8(writer.into_inner().expect("flush")).expect("UTF-8")
}

#[test]
fn header_is_the_jmeter_default() {
    assert_eq!(written(&[]), HEADER_LINE);
    assert_eq!(format!("{JMETER_DEFAULT_HEADER}\n"), HEADER_LINE);
}

#[test]
fn http_row_matches_jmeter() {
    let s = Sample {
        label: Arc::from("search \"q\", page"),
        url: Arc::from("http://127.0.0.1:8080/search?q=a,b"),
        connect_us: 1_500,
        ..sample()
    };
    assert_eq!(
        written(&[s]),
        format!(
            "{HEADER_LINE}1700000000123,12,\"search \"\"q\"\", page\",200,OK,vajra 1-3,text,true,,\
             1234,114,5,5,\"http://127.0.0.1:8080/search?q=a,b\",8,0,2\n"
        )
    );
}

#[test]
fn transport_error_row_has_no_data_type() {
    let s = Sample {
        outcome: Outcome::Transport {
            code: "Non HTTP response code: ConnectionRefused",
            message: "Non HTTP response message: Connection refused (os error 111)".into(),
        },
        success: false,
        latency_us: 0,
        bytes_received: 0,
        ..sample()
    };
    assert_eq!(
        written(&[s]),
        format!(
            "{HEADER_LINE}1700000000123,12,home,Non HTTP response code: ConnectionRefused,\
             Non HTTP response message: Connection refused (os error 111),vajra 1-3,,false,,\
             0,114,5,5,http://127.0.0.1:8080/,0,0,0\n"
        )
    );
}

#[test]
fn assertion_failure_row_keeps_its_message_on_one_line() {
    let s = Sample {
        success: false,
        failure_message: Some("expected \"ok\",\r\ngot nothing".into()),
        outcome: Outcome::Http(599),
        ..sample()
    };
    let text = written(&[s]);
    let row = text.strip_prefix(HEADER_LINE).expect("header first");
    assert_eq!(
        row,
        "1700000000123,12,home,599,,vajra 1-3,text,false,\"expected \"\"ok\"\",  got nothing\",\
         1234,114,5,5,http://127.0.0.1:8080/,8,0,0\n"
    );
}

#[test]
fn long_labels_are_capped() {
    let s = Sample {
        label: Arc::from("ж".repeat(MAX_FIELD_BYTES)),
        ..sample()
    };
    let text = written(&[s]);
    let label = text.lines().nth(1).unwrap().split(',').nth(2).unwrap();
    assert_eq!(label, "ж".repeat(MAX_FIELD_BYTES / 2));
}

#[test]
fn rows_reach_a_file_on_flush_and_on_drop() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut writer = JtlWriter::new(file.reopen().unwrap()).unwrap();
    writer.write(&sample()).unwrap();
    writer.flush().unwrap();
    let after_flush = std::fs::read_to_string(file.path()).unwrap();
    assert_eq!(after_flush.lines().count(), 2);
    writer.write(&sample()).unwrap();
    drop(writer);
    let after_drop = std::fs::read_to_string(file.path()).unwrap();
    assert_eq!(after_drop.lines().count(), 3);
    assert!(after_drop.starts_with(HEADER_LINE));
}

#[test]
fn many_rows_are_whole_and_in_order() {
    let samples: Vec<Sample> = (0..5_000)
        .map(|i| Sample {
            timestamp_ms: i,
            label: Arc::from(format!("label {i}, with comma")),
            ..sample()
        })
        .collect();
    let text = written(&samples);
    let mut reader = JtlReader::from_reader(io::Cursor::new(text), "written", true).unwrap();
    let mut next = 0;
    reader
        .for_each(|obs| {
            assert_eq!(obs.timestamp_ms, next);
            assert_eq!(obs.label, format!("label {next}, with comma"));
            next += 1;
        })
        .unwrap();
    assert_eq!(next, 5_000);
}

/// A writer that fails after `budget` bytes.
struct Failing {
    budget: usize,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() > self.budget {
            return Err(io::Error::other("disk full"));
        }
        self.budget -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_errors_are_reported() {
    assert!(JtlWriter::new(Failing { budget: 10 }).is_err());
    let mut writer = JtlWriter::new(Failing {
        budget: HEADER_LINE.len() + 10,
    })
    .unwrap();
    writer.write(&sample()).unwrap();
    let err = writer.flush().expect_err("the buffered row does not fit");
    assert_eq!(err.to_string(), "disk full");
}

/// What a sample's observation becomes after a trip through the JTL: whole ms, no service
/// time, CR/LF as spaces, strings capped.
fn expected_strings(s: &Sample) -> [String; 5] {
    let obs = s.observation();
    [
        obs.label,
        obs.response_message,
        obs.failure_message,
        obs.url,
        &obs.response_code.to_string(),
    ]
    .map(|text| {
        let mut end = text.len().min(MAX_FIELD_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text[..end].replace(['\r', '\n'], " ")
    })
}

fn round_ms(us: u64) -> u64 {
    us.saturating_add(500) / 1000 * 1000
}

fn assert_round_trip(s: &Sample, got: Observation<'_>) {
    let obs = s.observation();
    let [label, message, failure, url, code] = expected_strings(s);
    assert_eq!(got.label, label);
    assert_eq!(got.response_message, message);
    assert_eq!(got.failure_message, failure);
    assert_eq!(got.url, url);
    assert_eq!(got.response_code.to_string(), code);
    assert_eq!(got.response_code, obs.response_code);
    let expected = Observation {
        label: got.label,
        response_message: got.response_message,
        failure_message: got.failure_message,
        url: got.url,
        response_code: got.response_code,
        elapsed_us: round_ms(obs.elapsed_us),
        latency_us: round_ms(obs.latency_us),
        connect_us: round_ms(obs.connect_us),
        service_us: None,
        ..obs
    };
    assert_eq!(got, expected);
}

fn round_trip(samples: &[Sample]) {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut writer = JtlWriter::new(file.reopen().unwrap()).unwrap();
    for s in samples {
        writer.write(s).unwrap();
    }
    writer.flush().unwrap();
    let mut reader = JtlReader::open(file.path(), true).unwrap();
    let mut read = 0;
    while let Some(record) = reader.next_record().unwrap() {
        assert_round_trip(&samples[read], record.observation());
        read += 1;
    }
    assert_eq!(read, samples.len());
}

#[test]
fn tricky_samples_round_trip() {
    let samples = [
        sample(),
        Sample {
            label: Arc::from("comma, \"quotes\"; semicolon\ttab"),
            url: Arc::from("http://127.0.0.1/a?b=1,2&c=\"3\""),
            ..sample()
        },
        Sample {
            label: Arc::from("multi\nline\r\nlabel"),
            failure_message: Some("Test failed: text expected to contain /ok/\nbut was".into()),
            success: false,
            ..sample()
        },
        Sample {
            label: Arc::from("Тест.эхо — 東京 😀"),
            outcome: Outcome::Http(404),
            success: false,
            ..sample()
        },
        Sample {
            outcome: Outcome::Transport {
                code: "Non HTTP response code: Timeout",
                message: "Non HTTP response message: read timed out, after 30s".into(),
            },
            success: false,
            ..sample()
        },
        Sample {
            outcome: Outcome::Http(500),
            success: true,
            label: Arc::from(""),
            url: Arc::from(""),
            ..sample()
        },
        Sample {
            label: Arc::from("x".repeat(MAX_FIELD_BYTES + 100)),
            elapsed_us: 499,
            latency_us: 500,
            connect_us: 1_499_999,
            ..sample()
        },
    ];
    round_trip(&samples);
}

const TRANSPORT_CODES: [&str; 3] = [
    "Non HTTP response code: ConnectionRefused",
    "Non HTTP response code: Timeout",
    "Non HTTP response code: java.net.SocketException",
];

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        any::<u16>().prop_map(Outcome::Http),
        (0..TRANSPORT_CODES.len(), any::<String>()).prop_map(|(i, cause)| Outcome::Transport {
            code: TRANSPORT_CODES[i],
            message: format!("Non HTTP response message: {cause}").into(),
        }),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z,;\"\t\r\n é😀]{0,30}",
        ("[,\"\né]{1,3}", 1300usize..1500).prop_map(|(unit, n)| unit.repeat(n)),
    ]
}

fn any_sample() -> impl Strategy<Value = Sample> {
    (
        (any::<u64>(), 0u64..1 << 50, 0u64..1 << 50, 0u64..1 << 50),
        (text(), text(), proptest::option::of(text())),
        (outcome(), any::<bool>()),
        (any::<u64>(), any::<u64>(), any::<u32>(), any::<u32>()),
    )
        .prop_map(|(times, texts, result, counts)| Sample {
            timestamp_ms: times.0,
            elapsed_us: times.1,
            service_us: times.1 / 2,
            latency_us: times.2,
            connect_us: times.3,
            label: Arc::from(texts.0),
            url: Arc::from(texts.1),
            failure_message: texts.2.map(Into::into),
            outcome: result.0,
            success: result.1,
            bytes_received: counts.0,
            bytes_sent: counts.1,
            active_threads: counts.2,
            thread: counts.3,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_samples_round_trip(samples in proptest::collection::vec(any_sample(), 1..20)) {
        round_trip(&samples);
    }
}

/// Cancelled samples count apart, the same from a run's samples and from its JTL read back:
/// in `samples`, not in `errors`, the error rate or any response time.
#[test]
fn cancelled_samples_count_apart_from_samples_and_from_the_jtl() {
    use vajra_stats::sample::CANCELLED_CODE;
    use vajra_stats::Stats;
    let fast = |i: u64| Sample {
        timestamp_ms: 1_700_000_000_000 + i,
        elapsed_us: 2_000,
        ..sample()
    };
    let failed = Sample {
        outcome: Outcome::Http(500),
        success: false,
        ..fast(3)
    };
    let cancelled = |i: u64| Sample {
        timestamp_ms: 1_700_000_000_000 + i,
        elapsed_us: 1_500_000,
        outcome: Outcome::Transport {
            code: CANCELLED_CODE,
            message: "Non HTTP response message: the test stopped".into(),
        },
        success: false,
        bytes_received: 0,
        ..sample()
    };
    let samples = [
        fast(0),
        fast(1),
        fast(2),
        failed,
        cancelled(4),
        cancelled(5),
    ];
    let mut direct = Stats::new();
    samples.iter().for_each(|s| direct.record(&s.observation()));

    let file = tempfile::NamedTempFile::new().unwrap();
    let mut writer = JtlWriter::new(file.reopen().unwrap()).unwrap();
    samples.iter().for_each(|s| writer.write(s).unwrap());
    writer.flush().unwrap();
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert_eq!(
        text.matches(",Non HTTP response code: Cancelled,").count(),
        2
    );
    let mut reader = JtlReader::open(file.path(), true).unwrap();
    let mut from_jtl = Stats::new();
    while let Some(record) = reader.next_record().unwrap() {
        from_jtl.record(&record.observation());
    }

    for stats in [&direct, &from_jtl] {
        let home = stats.label("home").unwrap();
        assert_eq!(home.samples(), 6);
        assert_eq!(home.cancelled(), 2);
        assert_eq!(home.errors(), 1);
        assert!((home.error_pct() - 25.0).abs() < 1e-9, "1 of 4 completed");
        assert_eq!(home.elapsed().count(), 4);
        assert_eq!(home.elapsed().max_us(), 2_000, "no cancelled time");
        assert_eq!(home.elapsed().quantile_us(0.5), 2_000);
        assert!((home.elapsed().mean_us() - 2_000.0).abs() < 1e-9);
        // The cancelled rows are JTL rows: they bound the window and count in the rate.
        assert_eq!(home.last_end_ms(), Some(1_700_000_000_005 + 1_500));
        let errors = &stats.errors_report()[0];
        let listed = serde_json::to_string(errors).unwrap();
        assert!(!listed.contains("Cancelled"), "{listed}");
    }
}
