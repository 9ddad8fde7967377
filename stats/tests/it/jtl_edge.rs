//! Generated edge files for the JTL reader: dialects, missing columns, bad rows, non-JTL input.

use std::io::{Read, Write};

use vajra_stats::jtl::{BadRow, JtlError, JtlReader, JMETER_DEFAULT_HEADER};
use vajra_stats::sample::ResponseCode;

/// Writes `content` to a real temporary file and opens it.
fn open(content: &[u8], strict: bool) -> (tempfile::NamedTempFile, Result<JtlReader, JtlError>) {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(content).expect("write");
    file.flush().expect("flush");
    let reader = JtlReader::open(file.path(), strict);
    (file, reader)
}

/// (line, label, success) of every good row.
fn rows(reader: &mut JtlReader) -> Vec<(u64, String, bool)> {
    let mut rows = Vec::new();
    while let Some(record) = reader.next_record().expect("reads") {
        rows.push((
            record.line(),
            record.label().to_string(),
            record.observation().success,
        ));
    }
    rows
}

fn not_jtl(content: &[u8]) -> String {
    let (file, reader) = open(content, false);
    match reader {
        Err(err @ JtlError::NotJtl { .. }) => {
            let message = err.to_string();
            assert!(
                message.contains(&file.path().display().to_string()),
                "names the file: {message}"
            );
            message
        }
        Err(other) => panic!("expected NotJtl, got {other}"),
        Ok(_) => panic!("expected NotJtl, the reader accepted it"),
    }
}

#[test]
fn bom_crlf_and_the_full_default_header() {
    let content = format!(
        "\u{feff}{JMETER_DEFAULT_HEADER}\r\n\
         1700000000000,12,home,200,OK,vajra 1-3,text,true,,1234,114,5,6,http://127.0.0.1/,7,0,2\r\n\
         1700000000001,30,\"a,b\",Non HTTP response code: ConnectionRefused,Non HTTP response message: refused,vajra 1-4,,false,,0,0,5,5,http://127.0.0.1/x,0,0,0\r\n"
    );
    let (_file, reader) = open(content.as_bytes(), true);
    let mut reader = reader.expect("opens");
    let record = reader.next_record().unwrap().expect("first row");
    assert_eq!(record.line(), 2);
    assert_eq!(record.thread_name(), "vajra 1-3");
    let obs = record.observation();
    assert_eq!(obs.timestamp_ms, 1_700_000_000_000);
    assert_eq!(obs.elapsed_us, 12_000);
    assert_eq!(obs.label, "home");
    assert_eq!(obs.response_code, ResponseCode::Status(200));
    assert_eq!(obs.bytes_received, 1234);
    assert_eq!(obs.bytes_sent, 114);
    assert_eq!(obs.active_threads, 6, "allThreads wins over grpThreads");
    assert_eq!(obs.url, "http://127.0.0.1/");
    assert_eq!(obs.latency_us, 7_000);
    assert_eq!(obs.connect_us, 2_000);
    let record = reader.next_record().unwrap().expect("second row");
    assert_eq!(record.line(), 3);
    let obs = record.observation();
    assert_eq!(obs.label, "a,b");
    assert_eq!(
        obs.response_code,
        ResponseCode::Text("Non HTTP response code: ConnectionRefused")
    );
    assert_eq!(obs.url, "http://127.0.0.1/x", "no CR left over");
    assert!(!obs.success);
    assert!(reader.next_record().unwrap().is_none());
    assert_eq!(reader.rows_read(), 2);
}

#[test]
fn semicolon_delimiter() {
    let content = b"timeStamp;elapsed;label;responseCode;success\n\
                    1;2;\"x;y\";200;true\n\
                    3;4;z,w;500;false\n";
    let (_file, reader) = open(content, true);
    let mut reader = reader.unwrap();
    assert_eq!(reader.delimiter(), b';');
    assert_eq!(
        rows(&mut reader),
        [(2, "x;y".into(), true), (3, "z,w".into(), false)]
    );
}

#[test]
fn embedded_newlines_in_quoted_fields_keep_line_numbers_right() {
    let content = b"timeStamp,elapsed,label,responseMessage,success\n\
                    1,2,\"two\nlines\",\"say \"\"hi\"\"\r\nthere\",true\n\
                    3,4,next,OK,false\n\
                    bad,4,after,OK,false\n";
    let (_file, reader) = open(content, false);
    let mut reader = reader.unwrap();
    let record = reader.next_record().unwrap().unwrap();
    assert_eq!(record.label(), "two\nlines");
    assert_eq!(record.response_message(), "say \"hi\"\r\nthere");
    let record = reader.next_record().unwrap().unwrap();
    // Lines: 1 header, 2-4 the first row (its CRLF inside quotes is one line break), 5 next.
    assert_eq!((record.line(), record.label()), (5, "next"));
    assert!(reader.next_record().unwrap().is_none());
    assert_eq!(reader.bad_rows().first[0].line, 6);
}

#[test]
fn missing_optional_columns_read_as_zero_or_empty() {
    let (_file, reader) = open(b"label,elapsed,timeStamp,success\nonly,5,10,TRUE\n", true);
    let mut reader = reader.unwrap();
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(
        (obs.label, obs.elapsed_us, obs.timestamp_ms, obs.success),
        ("only", 5_000, 10, true)
    );
    assert_eq!(obs.response_code, ResponseCode::Text(""));
    assert_eq!(
        (
            obs.latency_us,
            obs.connect_us,
            obs.bytes_received,
            obs.bytes_sent
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(obs.active_threads, 0);
    assert_eq!(
        (obs.response_message, obs.failure_message, obs.url),
        ("", "", "")
    );
}

#[test]
fn without_success_the_response_code_decides() {
    let content = b"timeStamp,elapsed,label,responseCode,grpThreads\n\
                    1,1,ok,200,3\n\
                    2,1,redirect,302,3\n\
                    3,1,missing,404,3\n\
                    4,1,refused,Non HTTP response code: ConnectionRefused,3\n";
    let (_file, reader) = open(content, true);
    let mut reader = reader.unwrap();
    let mut seen = Vec::new();
    reader
        .for_each(|obs| seen.push((obs.label.to_string(), obs.success, obs.active_threads)))
        .unwrap();
    assert_eq!(
        seen,
        [
            ("ok".into(), true, 3),
            ("redirect".into(), true, 3),
            ("missing".into(), false, 3),
            ("refused".into(), false, 3),
        ]
    );
}

#[test]
fn header_names_are_matched_loosely_and_extra_fields_ignored() {
    let content = b"\"TimeStamp\", elapsed ,LABEL,Success,\"SessionName\"\n1,2,x,false,s,extra\n";
    let (_file, reader) = open(content, true);
    assert_eq!(rows(&mut reader.unwrap()), [(2, "x".into(), false)]);
}

#[test]
fn lenient_values_negative_durations_and_empty_optional_numbers() {
    let content = b"timeStamp,elapsed,label,success,Latency,Connect,bytes\n\
                    1,-1,neg,true,,-5,\n";
    let (_file, reader) = open(content, true);
    let mut reader = reader.unwrap();
    let obs = reader.next_record().unwrap().unwrap().observation();
    assert_eq!(
        (
            obs.elapsed_us,
            obs.latency_us,
            obs.connect_us,
            obs.bytes_received
        ),
        (0, 0, 0, 0)
    );
}

#[test]
fn short_rows_and_garbage_are_skipped_and_counted() {
    let content = b"timeStamp,elapsed,label,success,bytes\n\
                    1,2,good,true,10\n\
                    1,2,short\n\
                    2024-01-01T10:00:00,2,iso,true,10\n\
                    1,10.5,decimal,true,10\n\
                    1,2,yes,yes,10\n\
                    1,,empty elapsed,true,10\n\
                    1,2,bytes,true,lots\n\
                    3,4,also good,false,10\n";
    let (_file, reader) = open(content, false);
    let mut reader = reader.unwrap();
    assert_eq!(
        rows(&mut reader),
        [(2, "good".into(), true), (9, "also good".into(), false)]
    );
    let bad = reader.bad_rows();
    assert_eq!(bad.count, 6);
    let first: Vec<(u64, &str)> = bad
        .first
        .iter()
        .map(|BadRow { line, reason }| (*line, reason.as_str()))
        .collect();
    assert_eq!(
        first,
        [
            (3, "the row has 3 fields, the header has 5"),
            (
                4,
                "timeStamp \"2024-01-01T10:00:00\" is not an integer (ms since the epoch)"
            ),
            (5, "elapsed \"10.5\" is not an integer number of ms"),
            (6, "success \"yes\" is not true or false"),
            (7, "elapsed \"\" is not an integer number of ms"),
        ],
        "only the first five are kept"
    );
}

#[test]
fn strict_mode_stops_at_the_first_bad_row() {
    let content = b"timeStamp,elapsed,label,success\n1,2,good,true\n1,2,bad,maybe\n";
    let (file, reader) = open(content, true);
    let mut reader = reader.unwrap();
    assert!(reader.next_record().unwrap().is_some());
    let err = match reader.next_record() {
        Err(err) => err,
        Ok(row) => panic!(
            "strict mode accepted a bad row: {:?}",
            row.map(|r| r.line())
        ),
    };
    assert!(
        matches!(&err, JtlError::BadRow { line: 3, reason, .. } if reason.contains("maybe")),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&file.path().display().to_string()) && message.contains("line 3"));
}

#[test]
fn blank_lines_and_a_missing_final_newline() {
    let content = b"timeStamp,elapsed,label,success\n\n1,2,a,true\n\n3,4,b,false";
    let (_file, reader) = open(content, true);
    assert_eq!(
        rows(&mut reader.unwrap()),
        [(3, "a".into(), true), (5, "b".into(), false)]
    );
}

#[test]
fn latin1_bytes_are_replaced_not_fatal() {
    let content = b"timeStamp,elapsed,label,success\n1,2,caf\xe9,true\n";
    let (_file, reader) = open(content, true);
    assert_eq!(
        rows(&mut reader.unwrap()),
        [(2, "caf\u{fffd}".into(), true)]
    );
}

#[test]
fn header_only_file_has_no_rows() {
    let (_file, reader) = open(format!("{JMETER_DEFAULT_HEADER}\n").as_bytes(), true);
    let mut reader = reader.unwrap();
    assert!(reader.next_record().unwrap().is_none());
    assert_eq!(reader.rows_read(), 0);
}

#[test]
fn empty_file_is_not_a_jtl() {
    assert!(not_jtl(b"").contains("the file is empty"));
}

#[test]
fn data_without_a_header_is_not_a_jtl() {
    let message = not_jtl(b"1700000000000,12,home,200,OK,t 1-1,text,true\n");
    assert!(message.contains("no timeStamp, elapsed, label, success (or responseCode) column"));
    assert!(message.contains("print_field_names=true"), "{message}");
    assert!(
        message.contains("1700000000000,12,home"),
        "shows the line: {message}"
    );
}

#[test]
fn a_csv_without_success_or_response_code_is_not_a_jtl() {
    let message = not_jtl(b"timeStamp,elapsed,label\n1,2,x\n");
    assert!(
        message.contains("no success (or responseCode) column"),
        "{message}"
    );
}

#[test]
fn binary_files_are_not_a_jtl() {
    let message = not_jtl(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe");
    assert!(message.contains("not UTF-8"), "{message}");
    let message = not_jtl(&[0u8; 70 * 1024]);
    assert!(message.contains("longer than 64 KiB"), "{message}");
}

#[test]
fn a_missing_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.jtl");
    let err = JtlReader::open(&path, false).err().expect("fails");
    assert!(matches!(err, JtlError::Io { .. }));
    assert!(err.to_string().contains("nope.jtl"), "{err}");
}

/// A large JTL produced on the fly, so the reader is shown to stream it.
struct Generated {
    rows_left: u64,
    pending: Vec<u8>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.len() < buf.len() && self.rows_left > 0 {
            let n = self.rows_left;
            self.pending.extend_from_slice(
                format!(
                    "{n},{},label {},200,OK,{}\n",
                    n % 1000,
                    n % 7,
                    !n.is_multiple_of(3)
                )
                .as_bytes(),
            );
            self.rows_left -= 1;
        }
        let len = buf.len().min(self.pending.len());
        buf[..len].copy_from_slice(&self.pending[..len]);
        self.pending.drain(..len);
        Ok(len)
    }
}

#[test]
fn streams_a_generated_file() {
    let rows = 200_000;
    let input = Generated {
        rows_left: rows,
        pending: b"timeStamp,elapsed,label,responseCode,responseMessage,success\n".to_vec(),
    };
    let mut reader = JtlReader::from_reader(input, "generated", true).unwrap();
    let (mut count, mut failures, mut elapsed_ms) = (0u64, 0u64, 0u64);
    reader
        .for_each(|obs| {
            count += 1;
            failures += u64::from(!obs.success);
            elapsed_ms += obs.elapsed_us / 1000;
        })
        .unwrap();
    assert_eq!(count, rows);
    assert_eq!(failures, (1..=rows).filter(|n| n % 3 == 0).count() as u64);
    assert_eq!(elapsed_ms, (1..=rows).map(|n| n % 1000).sum::<u64>());
}

mod line_numbers {
    use super::*;
    use proptest::prelude::*;

    /// One row: how many line breaks its quoted label holds, and blank lines before it.
    fn file(rows: &[(usize, usize)], crlf: bool, final_newline: bool) -> (Vec<u8>, Vec<u64>) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("timeStamp,elapsed,label,success{eol}");
        let mut line = 2;
        let mut starts = Vec::new();
        for (i, &(breaks, blanks)) in rows.iter().enumerate() {
            for _ in 0..blanks {
                text.push_str(eol);
                line += 1;
            }
            starts.push(line);
            let label = vec!["part"; breaks + 1].join(eol);
            text.push_str(&format!("{i},1,\"{label}\",true"));
            line += breaks as u64 + 1;
            if i + 1 < rows.len() || final_newline {
                text.push_str(eol);
            }
        }
        (text.into_bytes(), starts)
    }

    proptest! {
        #[test]
        fn every_row_reports_the_line_it_starts_on(
            rows in proptest::collection::vec((0usize..3, 0usize..3), 1..8),
            crlf: bool,
            final_newline: bool,
        ) {
            let (content, starts) = file(&rows, crlf, final_newline);
            let mut reader = JtlReader::from_reader(std::io::Cursor::new(content), "gen", true)
                .expect("opens");
            let mut seen = Vec::new();
            while let Some(record) = reader.next_record().expect("reads") {
                seen.push(record.line());
            }
            prop_assert_eq!(seen, starts);
        }
    }
}
