//! The checked-in corpus of bad input (`tests/data/bad/`): each case must give its own error,
//! never a panic, a hang or another error. `jtl/NAME.jtl` and `hlog/NAME.hlog` each have a
//! `NAME.expected` beside them: the start of the error chain's text (each message, then its
//! causes after `: `) with the file named `case.jtl` or `case.hlog`; so do result bundles,
//! `bundle/NAME.vbundle`. `threshold/cases.tsv` holds
//! one bad threshold and its exact error per line. Cases too big to check in are generated
//! below. Then proptests feed arbitrary bytes to both readers.

use std::error::Error;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use proptest::prelude::*;
use vajra_stats::jtl::{JtlError, JtlReader};
use vajra_stats::report::{text, BadRows, Report};
use vajra_stats::threshold::Threshold;
use vajra_stats::{hdr_log_stats, read_hdr_log_stats, HdrLogReader, Stats};

fn corpus(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bad")
        .join(kind)
}

/// The error and its causes, joined the way the CLI prints them on one line.
fn chain(err: &(dyn Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut current = err;
    while let Some(source) = current.source() {
        text.push_str(": ");
        text.push_str(&source.to_string());
        current = source;
    }
    text
}

/// Every `NAME.EXT` with its `NAME.expected`, copied to `case.EXT` in a fresh directory so
/// the messages name the same file on every machine.
fn cases(kind: &str, ext: &str) -> Vec<(String, tempfile::TempDir, PathBuf, String)> {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(corpus(kind)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some(ext) {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(path.with_extension("expected"))
            .unwrap_or_else(|e| panic!("{name}.expected: {e}"));
        let dir = tempfile::tempdir().unwrap();
        let case = dir.path().join(format!("case.{ext}"));
        std::fs::copy(&path, &case).unwrap();
        cases.push((name, dir, case, expected.trim_end().to_string()));
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(cases.len() >= 5, "the {kind} corpus is missing");
    cases
}

fn assert_error(name: &str, actual: &str, expected: &str) {
    let actual = actual.replace(std::path::MAIN_SEPARATOR, "/");
    let actual = actual
        .rsplit_once("/case.")
        .map_or(actual.clone(), |(_, rest)| format!("case.{rest}"));
    assert!(
        actual.starts_with(expected),
        "{name}: expected an error starting\n  {expected}\ngot\n  {actual}"
    );
}

/// Reads a whole JTL in strict mode, as `vajra report --strict` does.
fn read_jtl_strict(path: &Path) -> Result<u64, JtlError> {
    let mut reader = JtlReader::open(path, true)?;
    let mut rows = 0;
    while reader.next_record()?.is_some() {
        rows += 1;
    }
    Ok(rows)
}

#[test]
fn bad_jtls_give_their_errors() {
    for (name, _dir, path, expected) in cases("jtl", "jtl") {
        let started = Instant::now();
        match read_jtl_strict(&path) {
            Ok(rows) => panic!("{name}: read {rows} rows, expected `{expected}`"),
            Err(err) => assert_error(&name, &chain(&err), &expected),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{name} is slow");
    }
}

#[test]
fn bad_hdr_logs_give_their_errors() {
    for (name, _dir, path, expected) in cases("hlog", "hlog") {
        let started = Instant::now();
        match read_hdr_log_stats(&path) {
            Ok(stats) => panic!(
                "{name}: read {:?}, expected `{expected}`",
                stats.aggregate()
            ),
            Err(err) => assert_error(&name, &chain(&err), &expected),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{name} is slow");
    }
}

#[test]
fn bad_result_bundles_give_their_errors() {
    for (name, _dir, path, expected) in cases("bundle", "vbundle") {
        let started = Instant::now();
        match vajra_stats::bundle::read(&path) {
            Ok(bundle) => panic!("{name}: read {:?}, expected `{expected}`", bundle.run),
            Err(err) => assert_error(&name, &chain(&err), &expected),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{name} is slow");
    }
}

#[test]
fn bad_thresholds_give_their_errors() {
    let text = std::fs::read_to_string(corpus("threshold").join("cases.tsv")).unwrap();
    let mut checked = 0;
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (input, expected) = line.split_once('\t').expect("input TAB expected error");
        match Threshold::parse(input) {
            Ok(t) => panic!("`{input}` parsed as `{t}`, expected `{expected}`"),
            Err(err) => assert_eq!(err.to_string(), expected, "for `{input}`"),
        }
        checked += 1;
    }
    assert!(checked >= 10, "the threshold corpus is missing");
}

/// A 64 KB label (past a format width's `u16::MAX`) once panicked the console report.
#[test]
fn a_64_kb_label_reports_in_every_format() {
    let label = "x".repeat(64 * 1024 + 7);
    let jtl = format!(
        "timeStamp,elapsed,label,responseCode,success\n\
         1700000000000,5,{label},500,false\n1700000000001,7,short,200,true\n"
    );
    let mut reader =
        JtlReader::from_reader(Cursor::new(jtl.into_bytes()), "big.jtl", true).unwrap();
    let mut stats = Stats::new();
    while let Some(record) = reader.next_record().unwrap() {
        stats.record(&record.observation());
    }
    let report = Report::new(&stats, BadRows::default());
    let console = text::console(&report);
    assert!(
        console.contains(&format!("{}…", "x".repeat(59))),
        "{console}"
    );
    assert!(!console.contains(&"x".repeat(61)));
    for whole in [
        report.to_json(),
        text::csv(&report),
        text::markdown(&report),
    ] {
        assert!(whole.contains(&label));
    }
}

/// A quote never closed once made the rest of the file one row in memory; past the bound the
/// reader stops with the row's line, lenient or strict.
#[test]
fn an_unclosed_quote_stops_at_the_row_bound() {
    let mut jtl =
        b"timeStamp,elapsed,label,success\n1700000000000,1,a,true\n1700000000000,1,\"open".to_vec();
    let row = b"1700000000000,1,a,true\n";
    while jtl.len() < (vajra_stats::jtl::reader::MAX_ROW_BYTES as usize) + (1 << 20) {
        jtl.extend_from_slice(row);
    }
    for strict in [false, true] {
        let mut reader =
            JtlReader::from_reader(Cursor::new(jtl.clone()), "case.jtl", strict).unwrap();
        assert!(reader.next_record().unwrap().is_some());
        let err = reader.next_record().err().unwrap();
        assert_eq!(
            err.to_string(),
            "case.jtl: the row starting near line 3 is longer than 16 MiB; a quoted field is \
             probably never closed (a `\"` without its pair)"
        );
    }
}

/// A compressed histogram that inflates past the bound (a zip bomb), generated: it is too big
/// to check in.
#[test]
fn a_histogram_inflating_past_the_bound_is_refused() {
    use std::io::Write;
    let mut plain = Vec::new();
    plain.extend_from_slice(&0x1c84_9313u32.to_be_bytes());
    plain.extend_from_slice(&(17u32 << 20).to_be_bytes());
    plain.extend_from_slice(&[0; 8]);
    plain.extend_from_slice(&[0, 0, 0, 3]);
    plain.extend_from_slice(&1u64.to_be_bytes());
    plain.extend_from_slice(&2u64.to_be_bytes());
    plain.extend_from_slice(&1f64.to_be_bytes());
    plain.resize(plain.len() + (17 << 20), 0);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&plain).unwrap();
    let z = z.finish().unwrap();
    let mut bytes = 0x1c84_9314u32.to_be_bytes().to_vec();
    bytes.extend_from_slice(&(z.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&z);
    let line = format!(
        "1700000000.000,1.000,1.0,{}\n",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    );
    let err =
        hdr_log_stats(HdrLogReader::new(line.as_bytes(), Path::new("case.hlog"))).unwrap_err();
    assert_eq!(
        chain(&err),
        "case.hlog, line 1: the histogram does not decode; the file is truncated or not written \
         by an HdrHistogram log writer: the compressed histogram inflates to more than 16 MiB"
    );
}

/// A line longer than the bound stops reading instead of buffering the file.
#[test]
fn an_endless_hdr_line_is_refused() {
    let line = vec![b'#'; vajra_stats::MAX_LINE_BYTES + 10];
    let err = hdr_log_stats(HdrLogReader::new(&line[..], Path::new("case.hlog"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "case.hlog, line 1: the line is longer than 4 MiB; this is not an HdrHistogram interval log"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary bytes, with a valid header in front half of the time, never panic the JTL
    /// reader or the report.
    #[test]
    fn jtl_reader_never_panics(header in any::<bool>(), bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut input = if header {
            b"timeStamp,elapsed,label,responseCode,success,Latency,allThreads\n".to_vec()
        } else {
            Vec::new()
        };
        input.extend_from_slice(&bytes);
        for strict in [false, true] {
            let Ok(mut reader) = JtlReader::from_reader(Cursor::new(input.clone()), "p.jtl", strict) else {
                continue;
            };
            let mut stats = Stats::new();
            while let Ok(Some(record)) = reader.next_record() {
                stats.record(&record.observation());
            }
            let report = Report::new(&stats, BadRows::default());
            let _ = (text::console(&report), report.to_json(), text::csv(&report));
        }
    }

    /// Arbitrary bytes, after a valid interval line half of the time, never panic the HDR log
    /// reader or the report.
    #[test]
    fn hdr_log_reader_never_panics(prefix in any::<bool>(), bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut input = if prefix {
            b"#[StartTime: 1700000000.000 (seconds since epoch)]\n1.000,1.000,1.0,".to_vec()
        } else {
            Vec::new()
        };
        input.extend_from_slice(&bytes);
        if let Ok(stats) = hdr_log_stats(HdrLogReader::new(&input[..], Path::new("p.hlog"))) {
            let report = Report::new(&stats, BadRows::default());
            let _ = (text::console(&report), report.to_json());
        }
    }
}
