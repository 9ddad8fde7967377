//! The JTL writer: our [`Sample`]s as JMeter default CSV rows (docs/jtl-and-taurus.md §3.7).
//!
//! [`JtlWriter`] formats each row by hand into one reused byte buffer (`itoa` for the numbers,
//! [`quote_field`] for the strings) and hands the buffer to the inner writer in 64 KiB chunks of
//! whole rows, so a row costs no allocation and no system call. The rules, from JMeter's
//! `CSVSaveService` and what Taurus tolerates:
//!
//! - the header is exactly [`JMETER_DEFAULT_HEADER`], no BOM, LF;
//! - times are whole milliseconds, microseconds rounded to the nearest ms; numbers are never
//!   empty; `IdleTime` is 0;
//! - `success` is lower-case; `threadName` is `vajra 1-<thread>`; `dataType` is `text` for an
//!   HTTP response and empty for a transport error; `grpThreads` = `allThreads` = active threads;
//! - string fields lose CR/LF (replaced by spaces: Taurus corrupts rows with embedded newlines),
//!   are capped at [`MAX_FIELD_BYTES`] (Python's csv field limit is 128 KiB), and are quoted only
//!   when they contain the delimiter or `"`, with inner quotes doubled.
//!
//! Rows reach the file only on [`JtlWriter::flush`] or when the buffer fills: the run must flush
//! at least once a second because Taurus tails the file. Dropping the writer flushes too, but
//! ignores errors; call `flush` to see them.

use std::io::{self, Write};

use crate::sample::{Outcome, Sample};

use super::JMETER_DEFAULT_HEADER;

/// String fields longer than this are cut (on a char boundary).
pub const MAX_FIELD_BYTES: usize = 4096;

/// Buffered rows are handed to the inner writer once they reach this size.
const CHUNK_BYTES: usize = 64 * 1024;

/// Appends [`Sample`]s to a JMeter CSV JTL. See the module docs for the format rules.
pub struct JtlWriter<W: Write> {
    /// `None` only after [`JtlWriter::into_inner`] took it.
    out: Option<W>,
    buf: Vec<u8>,
}

impl<W: Write> JtlWriter<W> {
    /// Starts a JTL: the header is the first bytes written.
    pub fn new(out: W) -> io::Result<Self> {
        let mut buf = Vec::with_capacity(CHUNK_BYTES + 2 * MAX_FIELD_BYTES);
        buf.extend_from_slice(JMETER_DEFAULT_HEADER.as_bytes());
        buf.push(b'\n');
        let mut writer = JtlWriter {
            out: Some(out),
            buf,
        };
        writer.write_buffer()?;
        Ok(writer)
    }

    /// Appends one whole row.
    pub fn write(&mut self, s: &Sample) -> io::Result<()> {
        format_row(s, &mut self.buf);
        if self.buf.len() >= CHUNK_BYTES {
            self.write_buffer()?;
        }
        Ok(())
    }

    /// Hands every buffered row to the inner writer and flushes it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_buffer()?;
        match &mut self.out {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self
            .out
            .take()
            .expect("the inner writer is only taken here"))
    }

    /// Hands the buffer over. It is emptied even on error: retrying a partial write would put
    /// half a row in the file twice.
    fn write_buffer(&mut self) -> io::Result<()> {
        let result = match &mut self.out {
            Some(out) => out.write_all(&self.buf),
            None => Ok(()),
        };
        self.buf.clear();
        result
    }
}

impl<W: Write> Drop for JtlWriter<W> {
    fn drop(&mut self) {
        // Errors cannot be reported from drop; callers who care call `flush` first.
        let _ = self.flush();
    }
}

/// Appends one JTL row for `s`, LF-terminated, to `out`.
fn format_row(s: &Sample, out: &mut Vec<u8>) {
    let mut num = itoa::Buffer::new();
    let mut push_num = |out: &mut Vec<u8>, n: u64| out.extend_from_slice(num.format(n).as_bytes());
    let field = |out: &mut Vec<u8>, text: &str| {
        quote_field(text, b',', out);
        out.push(b',');
    };

    push_num(out, s.timestamp_ms);
    out.push(b',');
    push_num(out, us_to_ms(s.elapsed_us));
    out.push(b',');
    field(out, &s.label);
    let data_type: &[u8] = match &s.outcome {
        Outcome::Http(status) => {
            push_num(out, u64::from(*status));
            out.push(b',');
            b"text"
        }
        Outcome::Transport { code, .. } => {
            field(out, code);
            b""
        }
        Outcome::Transaction { code, .. } => {
            match code {
                crate::sample::ResponseCode::Status(status) => {
                    push_num(out, u64::from(*status));
                    out.push(b',');
                }
                crate::sample::ResponseCode::Text(text) => field(out, text),
            }
            b""
        }
    };
    field(out, s.response_message());
    out.extend_from_slice(b"vajra 1-");
    push_num(out, u64::from(s.thread));
    out.push(b',');
    out.extend_from_slice(data_type);
    out.extend_from_slice(if s.success { b",true," } else { b",false," });
    field(out, s.failure_message.as_deref().unwrap_or(""));
    push_num(out, s.bytes_received);
    out.push(b',');
    push_num(out, s.bytes_sent);
    out.push(b',');
    push_num(out, u64::from(s.active_threads));
    out.push(b',');
    push_num(out, u64::from(s.active_threads));
    out.push(b',');
    field(out, &s.url);
    push_num(out, us_to_ms(s.latency_us));
    out.extend_from_slice(b",0,");
    push_num(out, us_to_ms(s.connect_us));
    out.push(b'\n');
}

/// Microseconds to the nearest millisecond, as every JTL time is written. The HDR log's label
/// spans round the same way, so their windows equal the JTL's.
pub fn us_to_ms(us: u64) -> u64 {
    us.saturating_add(500) / 1000
}

/// Appends `field` to `out` as one CSV field the way JMeter writes it, after replacing CR and LF
/// by spaces and cutting it to [`MAX_FIELD_BYTES`] on a char boundary: wrapped in `"` only if it
/// contains `delimiter` or `"`, inner quotes doubled, nothing else escaped.
pub fn quote_field(field: &str, delimiter: u8, out: &mut Vec<u8>) {
    let bytes = capped(field).as_bytes();
    let special = |b: u8| b == delimiter || matches!(b, b'"' | b'\r' | b'\n');
    if !bytes.iter().any(|&b| special(b)) {
        out.extend_from_slice(bytes);
        return;
    }
    let quote = bytes.iter().any(|&b| b == delimiter || b == b'"');
    if quote {
        out.push(b'"');
    }
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\"\""),
            b'\r' | b'\n' => out.push(b' '),
            _ => out.push(b),
        }
    }
    if quote {
        out.push(b'"');
    }
}

/// `field` cut to at most [`MAX_FIELD_BYTES`], on a char boundary.
fn capped(field: &str) -> &str {
    if field.len() <= MAX_FIELD_BYTES {
        return field;
    }
    let mut end = MAX_FIELD_BYTES;
    while !field.is_char_boundary(end) {
        end -= 1;
    }
    &field[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quoted(field: &str, delimiter: u8) -> String {
        let mut out = Vec::new();
        quote_field(field, delimiter, &mut out);
        String::from_utf8(out).expect("quote_field keeps UTF-8")
    }

    /// What a field should read back as: CR/LF as spaces, capped.
    fn expected(field: &str) -> String {
        capped(field).replace(['\r', '\n'], " ")
    }

    #[test]
    fn a_transaction_row_reads_back_as_a_transaction() {
        let sample = Sample {
            timestamp_ms: 1_000,
            elapsed_us: 12_400,
            service_us: 0,
            latency_us: 0,
            connect_us: 0,
            label: "Checkout".into(),
            url: "".into(),
            outcome: Outcome::transaction(crate::sample::ResponseCode::Status(500), 3, 1),
            success: false,
            failure_message: None,
            bytes_received: 30,
            bytes_sent: 9,
            active_threads: 1,
            thread: 2,
        };
        let mut out = Vec::new();
        format_row(&sample, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "1000,12,Checkout,500,\"Number of samples in transaction : 3, number of failing \
             samples : 1\",vajra 1-2,,false,,30,9,1,1,,0,0,0\n"
        );
        let jtl = format!("{}\n{text}", super::JMETER_DEFAULT_HEADER);
        let mut reader =
            crate::jtl::JtlReader::from_reader(std::io::Cursor::new(jtl), "t.jtl", true).unwrap();
        let record = reader.next_record().unwrap().unwrap();
        assert!(record.is_transaction());
        assert_eq!(record.response_code(), "500");
    }

    #[test]
    fn plain_fields_are_not_quoted() {
        assert_eq!(quoted("GET /home", b','), "GET /home");
        assert_eq!(quoted("", b','), "");
        assert_eq!(
            quoted(" leading and trailing ", b','),
            " leading and trailing "
        );
        assert_eq!(quoted("a;b", b','), "a;b");
    }

    #[test]
    fn delimiter_and_quotes_are_quoted_like_jmeter() {
        assert_eq!(quoted("a,b", b','), "\"a,b\"");
        assert_eq!(
            quoted("search \"q\", page", b','),
            "\"search \"\"q\"\", page\""
        );
        assert_eq!(quoted("say \"hi\"", b','), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("a;b", b';'), "\"a;b\"");
        assert_eq!(quoted("a\tb", b'\t'), "\"a\tb\"");
    }

    #[test]
    fn cr_and_lf_become_spaces() {
        assert_eq!(quoted("line1\r\nline2\n", b','), "line1  line2 ");
        assert_eq!(quoted("a\n\"b\"", b','), "\"a \"\"b\"\"\"");
    }

    #[test]
    fn long_fields_are_cut_on_a_char_boundary() {
        let long = "x".repeat(MAX_FIELD_BYTES + 10);
        assert_eq!(quoted(&long, b','), "x".repeat(MAX_FIELD_BYTES));
        // 'é' is two bytes: one ASCII byte first puts a char across the cap.
        let mut wide = String::from("y");
        wide.push_str(&"é".repeat(MAX_FIELD_BYTES));
        let out = quoted(&wide, b',');
        assert_eq!(out.len(), MAX_FIELD_BYTES - 1);
        assert!(out.starts_with('y') && out.ends_with('é'));
    }

    #[test]
    fn microseconds_round_to_the_nearest_millisecond() {
        assert_eq!(us_to_ms(0), 0);
        assert_eq!(us_to_ms(499), 0);
        assert_eq!(us_to_ms(500), 1);
        assert_eq!(us_to_ms(1_499), 1);
        assert_eq!(us_to_ms(1_500), 2);
        assert_eq!(us_to_ms(u64::MAX), u64::MAX / 1000);
    }

    proptest! {
        #[test]
        fn quoted_fields_read_back_through_the_csv_crate(
            fields in proptest::collection::vec(any::<String>(), 1..4),
            long in proptest::option::of(("[a,\"\né]{1,3}", 4000usize..4200)),
            delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t')],
        ) {
            let mut fields = fields;
            if let Some((unit, times)) = long {
                fields.push(unit.repeat(times));
            }
            // A header line first: csv strips a BOM (U+FEFF) from the very first field.
            let mut line = b"h\n".to_vec();
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    line.push(delimiter);
                }
                quote_field(field, delimiter, &mut line);
            }
            prop_assert!(!line[2..].contains(&b'\n') && !line.contains(&b'\r'));
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(&line[..]);
            let mut record = csv::StringRecord::new();
            prop_assert!(reader.read_record(&mut record).expect("the header line"));
            let expected: Vec<String> = fields.iter().map(|f| expected(f)).collect();
            if expected.iter().all(String::is_empty) && expected.len() == 1 {
                // An empty line is no record at all in CSV.
                prop_assert_eq!(line.len(), 2);
            } else {
                prop_assert!(reader.read_record(&mut record).expect("valid CSV"));
                let got: Vec<&str> = record.iter().collect();
                prop_assert_eq!(got, expected.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
    }
}
