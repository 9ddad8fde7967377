//! The JTL reader: any JMeter-style CSV result file as a stream of [`Observation`]s.
//!
//! `vajra report` reads files written by JMeter, Taurus, apiritif and the like, so nothing about
//! the layout is assumed beyond what JMeter's own reader needs:
//!
//! - **Header.** The first line names the columns; they are looked up by name (ASCII
//!   case-insensitive, surrounding spaces and quotes ignored), so any order works and unknown
//!   columns (`Hostname`, `"SessionName"` sample variables, …) are ignored. Required:
//!   `timeStamp`, `elapsed`, `label`, and `success` — or, when `success` is absent,
//!   `responseCode`, from which success is derived the way JMeter does by default (an integer
//!   status below 400 succeeds; anything else, such as `Non HTTP response code: …`, fails).
//!   Every other column is optional: absent means 0 or empty. `active_threads` comes from
//!   `allThreads`, else `grpThreads`.
//! - **Dialect.** The delimiter (`,`, TAB or `;`) is the first one that splits the header line
//!   into the required names. A UTF-8 BOM is skipped; CRLF, quoted fields with doubled quotes and
//!   embedded newlines are handled by the `csv` crate. Rows that are not valid UTF-8 (a latin-1
//!   file) are kept, with the bad bytes replaced by U+FFFD.
//! - **Bad rows.** A row with fewer fields than the header, a non-integer `timeStamp`, `elapsed`
//!   (or other numeric column), or a `success` other than `true`/`false` (any case) is skipped and
//!   counted in a [`BadRowReport`] that keeps the first [`BAD_ROWS_KEPT`] with their line numbers.
//!   In strict mode the first bad row is an error instead. Empty optional numeric fields read as
//!   0; negative durations (which JMeter can write for broken clocks) read as 0, as in Taurus.
//! - **Not a JTL.** An empty file, a binary file or a first line without the required columns
//!   (for instance JMeter run with `print_field_names=false`) is a [`JtlError::NotJtl`] naming the
//!   file and what was expected.
//!
//! Reading streams: one [`JtlRecord`] is reused for every row (its fields live in one
//! `csv::StringRecord` buffer), the numbers are parsed once per row, and the strings the caller
//! sees are borrowed from the record. A row may be at most [`MAX_ROW_BYTES`] long: a quoted
//! field that is never closed would make the rest of the file one record, so past that bound
//! reading stops with [`JtlError::RowTooLong`] and memory never grows with the file.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use csv::{ByteRecord, StringRecord};

use crate::sample::{Observation, ResponseCode};

/// How many bad rows a [`BadRowReport`] keeps in full.
pub const BAD_ROWS_KEPT: usize = 5;

/// A header line longer than this is taken as a sign of a binary file.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

const READ_BUFFER_BYTES: usize = 64 * 1024;

/// The longest row read (a JMeter row is well under 1 KiB unless it saves response data).
pub const MAX_ROW_BYTES: u64 = 16 << 20;

/// Delimiters tried on the header line, in this order.
const DELIMITERS: [u8; 3] = [b',', b'\t', b';'];

#[derive(Debug, thiserror::Error)]
pub enum JtlError {
    #[error("cannot read {file}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "{file} is not a JTL (JMeter CSV results) file: {reason}. Expected a first line naming \
         the columns, with at least timeStamp, elapsed, label and success (or responseCode), as \
         JMeter writes it with jmeter.save.saveservice.output_format=csv and print_field_names=true"
    )]
    NotJtl { file: String, reason: String },
    #[error(
        "{file}: the row starting near line {line} is longer than {} MiB; a quoted field is \
         probably never closed (a `\"` without its pair)",
        MAX_ROW_BYTES >> 20
    )]
    RowTooLong { file: String, line: u64 },
    #[error(
        "{file}, line {line}: {reason}. Strict mode stops at the first bad row; without it such \
         rows are skipped and counted"
    )]
    BadRow {
        file: String,
        line: u64,
        reason: String,
    },
}

/// One skipped row: its first line in the file (1-based, the header is line 1) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

/// Every skipped row counted; the first [`BAD_ROWS_KEPT`] kept in full.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BadRowReport {
    pub count: u64,
    pub first: Vec<BadRow>,
}

impl BadRowReport {
    fn add(&mut self, line: u64, reason: String) {
        self.count += 1;
        if self.first.len() < BAD_ROWS_KEPT {
            self.first.push(BadRow { line, reason });
        }
    }
}

/// Where each known column sits in a row; `None` when the file does not have it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Columns {
    count: usize,
    timestamp: usize,
    elapsed: usize,
    label: usize,
    success: Option<usize>,
    response_code: Option<usize>,
    response_message: Option<usize>,
    failure_message: Option<usize>,
    thread_name: Option<usize>,
    url: Option<usize>,
    latency: Option<usize>,
    connect: Option<usize>,
    bytes: Option<usize>,
    sent_bytes: Option<usize>,
    all_threads: Option<usize>,
    grp_threads: Option<usize>,
}

impl Columns {
    /// Finds the columns in a header record, or says which required ones are missing.
    fn from_header(header: &StringRecord) -> Result<Columns, String> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().trim_matches('"').eq_ignore_ascii_case(name))
        };
        let (timestamp, elapsed, label) = (find("timeStamp"), find("elapsed"), find("label"));
        let (success, response_code) = (find("success"), find("responseCode"));
        let missing: Vec<&str> = [
            (timestamp.is_none(), "timeStamp"),
            (elapsed.is_none(), "elapsed"),
            (label.is_none(), "label"),
            (
                success.is_none() && response_code.is_none(),
                "success (or responseCode)",
            ),
        ]
        .into_iter()
        .filter_map(|(absent, name)| absent.then_some(name))
        .collect();
        match (timestamp, elapsed, label) {
            (Some(timestamp), Some(elapsed), Some(label)) if missing.is_empty() => Ok(Columns {
                count: header.len(),
                timestamp,
                elapsed,
                label,
                success,
                response_code,
                response_message: find("responseMessage"),
                failure_message: find("failureMessage"),
                thread_name: find("threadName"),
                url: find("URL"),
                latency: find("Latency"),
                connect: find("Connect"),
                bytes: find("bytes"),
                sent_bytes: find("sentBytes"),
                all_threads: find("allThreads"),
                grp_threads: find("grpThreads"),
            }),
            _ => Err(format!(
                "the first line has no {} column",
                missing.join(", ")
            )),
        }
    }
}

/// Finds the delimiter and the columns from the header line (BOM and line end already removed).
fn parse_header(line: &str) -> Result<(u8, Columns), String> {
    let mut first_reason = None;
    for delimiter in DELIMITERS {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(line.as_bytes());
        let mut header = StringRecord::new();
        if !matches!(reader.read_record(&mut header), Ok(true)) {
            continue;
        }
        match Columns::from_header(&header) {
            Ok(columns) => return Ok((delimiter, columns)),
            Err(reason) => {
                first_reason.get_or_insert(reason);
            }
        }
    }
    let reason = first_reason.unwrap_or_else(|| "the first line is blank".to_string());
    Err(format!("{reason} (it reads \"{}\")", shorten(line, 120)))
}

/// One row of a JTL, reused from row to row. Strings are borrowed from it; numbers were parsed
/// and checked when the row was read.
#[derive(Debug, Clone, Default)]
pub struct JtlRecord {
    fields: StringRecord,
    columns: Columns,
    lines: LineSpan,
    timestamp_ms: u64,
    elapsed_ms: u64,
    latency_ms: u64,
    connect_ms: u64,
    bytes: u64,
    sent_bytes: u64,
    active_threads: u32,
    success: bool,
}

impl JtlRecord {
    /// This row as a source-neutral observation. JTL times are whole ms; `service_us` is unknown.
    pub fn observation(&self) -> Observation<'_> {
        let code = self.response_code();
        Observation {
            timestamp_ms: self.timestamp_ms,
            label: self.label(),
            elapsed_us: self.elapsed_ms.saturating_mul(1000),
            latency_us: self.latency_ms.saturating_mul(1000),
            connect_us: self.connect_ms.saturating_mul(1000),
            service_us: None,
            bytes_received: self.bytes,
            bytes_sent: self.sent_bytes,
            success: self.success,
            response_code: code
                .parse()
                .map_or(ResponseCode::Text(code), ResponseCode::Status),
            response_message: self.response_message(),
            failure_message: self.text(self.columns.failure_message),
            active_threads: self.active_threads,
            url: self.url(),
        }
    }

    /// A Transaction Controller row: JMeter's own dashboard recognises them by this message.
    pub fn is_transaction(&self) -> bool {
        crate::is_transaction_message(self.response_message())
    }

    /// The line of the file this row starts on (1-based; the header is line 1).
    pub fn line(&self) -> u64 {
        self.lines.first_line(&self.fields)
    }

    pub fn label(&self) -> &str {
        self.text(Some(self.columns.label))
    }

    /// The raw `responseCode` text (`200`, `Non HTTP response code: …`), empty if absent.
    pub fn response_code(&self) -> &str {
        self.text(self.columns.response_code)
    }

    pub fn response_message(&self) -> &str {
        self.text(self.columns.response_message)
    }

    pub fn thread_name(&self) -> &str {
        self.text(self.columns.thread_name)
    }

    /// The `URL` column as written (JMeter writes `null` for samples without one).
    pub fn url(&self) -> &str {
        self.text(self.columns.url)
    }

    fn text(&self, column: Option<usize>) -> &str {
        column.and_then(|i| self.fields.get(i)).unwrap_or("")
    }

    /// Parses and checks the numbers and `success` of the row now in `fields`.
    fn parse(&mut self) -> Result<(), String> {
        let c = self.columns;
        if self.fields.len() < c.count {
            return Err(format!(
                "the row has {} fields, the header has {}",
                self.fields.len(),
                c.count
            ));
        }
        let f = &self.fields;
        let get = |i: Option<usize>| i.and_then(|i| f.get(i));
        let timestamp = f.get(c.timestamp).unwrap_or("");
        self.timestamp_ms = timestamp
            .parse()
            .map_err(|_| bad_value("timeStamp", timestamp, "an integer (ms since the epoch)"))?;
        self.elapsed_ms = duration_ms(f.get(c.elapsed).unwrap_or(""), "elapsed")?;
        self.latency_ms = optional(get(c.latency), |v| duration_ms(v, "Latency"))?;
        self.connect_ms = optional(get(c.connect), |v| duration_ms(v, "Connect"))?;
        self.bytes = optional(get(c.bytes), |v| count(v, "bytes"))?;
        self.sent_bytes = optional(get(c.sent_bytes), |v| count(v, "sentBytes"))?;
        let (threads, name) = match c.all_threads {
            Some(i) => (Some(i), "allThreads"),
            None => (c.grp_threads, "grpThreads"),
        };
        self.active_threads = optional(get(threads), |v| count(v, name))?;
        self.success = match c.success {
            Some(i) => parse_success(f.get(i).unwrap_or(""))?,
            None => {
                let code = self.text(c.response_code);
                code.parse::<u16>().is_ok_and(|status| status < 400)
            }
        };
        Ok(())
    }
}

/// A duration in ms; negative values (broken clocks) read as 0, as in Taurus.
fn duration_ms(value: &str, column: &str) -> Result<u64, String> {
    value
        .parse::<i64>()
        .map(|ms| ms.max(0).unsigned_abs())
        .map_err(|_| bad_value(column, value, "an integer number of ms"))
}

fn count<T: std::str::FromStr>(value: &str, column: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| bad_value(column, value, "a non-negative integer"))
}

/// An optional column: absent or empty reads as 0.
fn optional<T: Default>(
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    match value {
        None | Some("") => Ok(T::default()),
        Some(value) => parse(value),
    }
}

fn parse_success(value: &str) -> Result<bool, String> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(bad_value("success", value, "true or false"))
    }
}

fn bad_value(column: &str, value: &str, expected: &str) -> String {
    format!("{column} \"{}\" is not {expected}", shorten(value, 40))
}

/// At most `max` chars of `text`, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

/// What the csv parser reads: the file after its header line, buffered, terminated and bounded.
type Input = Bounded<Terminated<BufReader<Box<dyn Read + Send>>>>;

/// Streams the rows of one JTL file. See the module docs for what is accepted.
pub struct JtlReader {
    file: String,
    csv: csv::Reader<Input>,
    /// Where the row being read starts, for [`Bounded`].
    row_start: Arc<AtomicU64>,
    delimiter: u8,
    strict: bool,
    record: JtlRecord,
    rows_read: u64,
    bad_rows: BadRowReport,
}

impl JtlReader {
    /// Opens a JTL file and reads its header.
    pub fn open(path: &Path, strict: bool) -> Result<JtlReader, JtlError> {
        let file = path.display().to_string();
        match File::open(path) {
            Ok(f) => JtlReader::from_reader(f, &file, strict),
            Err(source) => Err(JtlError::Io { file, source }),
        }
    }

    /// Reads a JTL from any byte stream; `name` is used in errors.
    pub fn from_reader(
        input: impl Read + Send + 'static,
        name: &str,
        strict: bool,
    ) -> Result<JtlReader, JtlError> {
        let file = name.to_string();
        let boxed: Box<dyn Read + Send> = Box::new(input);
        let mut input = BufReader::with_capacity(READ_BUFFER_BYTES, boxed);
        let mut header = Vec::new();
        if let Err(source) = (&mut input)
            .take(MAX_HEADER_BYTES)
            .read_until(b'\n', &mut header)
        {
            return Err(JtlError::Io { file, source });
        }
        let not_jtl = |reason: String| JtlError::NotJtl {
            file: name.to_string(),
            reason,
        };
        if header.is_empty() {
            return Err(not_jtl("the file is empty".into()));
        }
        if header.len() as u64 == MAX_HEADER_BYTES && header.last() != Some(&b'\n') {
            return Err(not_jtl(format!(
                "the first line is longer than {} KiB (a binary file?)",
                MAX_HEADER_BYTES / 1024
            )));
        }
        let text = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&header);
        let text = std::str::from_utf8(text).map_err(|_| {
            not_jtl("the first line is not UTF-8 text (a binary or UTF-16 file?)".into())
        })?;
        let (delimiter, columns) =
            parse_header(text.trim_end_matches(['\r', '\n'])).map_err(not_jtl)?;
        let line_end: &[u8] = if text.ends_with("\r\n") {
            b"\r\n"
        } else {
            b"\n"
        };
        let row_start = Arc::new(AtomicU64::new(0));
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(READ_BUFFER_BYTES)
            .from_reader(Bounded {
                inner: Terminated::new(input, line_end),
                read: 0,
                row_start: Arc::clone(&row_start),
            });
        Ok(JtlReader {
            file,
            csv,
            row_start,
            delimiter,
            strict,
            record: JtlRecord {
                columns,
                lines: LineSpan {
                    after: 0,
                    lf_terminated: line_end == b"\n",
                },
                ..JtlRecord::default()
            },
            rows_read: 0,
            bad_rows: BadRowReport::default(),
        })
    }

    /// The next good row, skipping (and counting) bad ones; `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<&JtlRecord>, JtlError> {
        loop {
            let mut bytes = std::mem::take(&mut self.record.fields).into_byte_record();
            let position = self.csv.position().clone();
            self.row_start.store(position.byte(), Ordering::Relaxed);
            let more = self.csv.read_byte_record(&mut bytes).map_err(|e| {
                let too_long = matches!(e.kind(), csv::ErrorKind::Io(io)
                    if io.get_ref().is_some_and(|inner| inner.is::<RowTooLong>()));
                let source = io::Error::from(e);
                if too_long {
                    JtlError::RowTooLong {
                        file: self.file.clone(),
                        line: position.line() + 1,
                    }
                } else {
                    JtlError::Io {
                        file: self.file.clone(),
                        source,
                    }
                }
            })?;
            if !more {
                return Ok(None);
            }
            self.record.lines.after = self.csv.position().line();
            self.record.fields = into_string_record(bytes);
            match self.record.parse() {
                Ok(()) => {
                    self.rows_read += 1;
                    return Ok(Some(&self.record));
                }
                Err(reason) if self.strict => {
                    return Err(JtlError::BadRow {
                        file: self.file.clone(),
                        line: self.record.line(),
                        reason,
                    })
                }
                Err(reason) => self.bad_rows.add(self.record.line(), reason),
            }
        }
    }

    /// Calls `f` with every good row's observation, to the end of the file.
    pub fn for_each(&mut self, mut f: impl FnMut(Observation<'_>)) -> Result<(), JtlError> {
        while let Some(record) = self.next_record()? {
            f(record.observation());
        }
        Ok(())
    }

    /// Good rows returned so far.
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// Rows skipped so far.
    pub fn bad_rows(&self) -> &BadRowReport {
        &self.bad_rows
    }

    /// The delimiter found in the header line.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The file name used in errors.
    pub fn file(&self) -> &str {
        &self.file
    }
}

/// What csv's line counter said after one record: enough to find the line the record starts
/// on when it is asked for (rarely: bad rows and diagnostics), so reading costs nothing extra.
///
/// csv's own record position is taken *before* skipping blank lines and the `\n` left over from
/// a CRLF, so it lags. Counting back from the end is exact: the counter (consumed `\n`s + 1)
/// less the newlines inside quoted fields, less the `\n` terminator when it was consumed (LF
/// files; CRLF records end at the `\r`). [`Terminated`] makes sure the last record has a
/// terminator too. Only files mixing LF and CRLF line ends get lines off by one.
#[derive(Debug, Clone, Copy, Default)]
struct LineSpan {
    /// csv's line counter once the record was read (1 = the first line after the header).
    after: u64,
    /// The header line ended in a bare LF, so records end by consuming a `\n`.
    lf_terminated: bool,
}

impl LineSpan {
    /// The line of the file the record starts on (the header is line 1).
    fn first_line(&self, fields: &StringRecord) -> u64 {
        let bytes = fields.as_byte_record().as_slice();
        let inner_newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let start = self
            .after
            .saturating_sub(inner_newlines + u64::from(self.lf_terminated));
        start + 1
    }
}

/// The input with `line_end` added when it does not end in a newline, so the last record ends
/// like every other one (see [`LineSpan`]).
struct Terminated<R> {
    inner: R,
    line_end: &'static [u8],
    last_byte: Option<u8>,
    /// What is left to emit after the inner reader ended; `None` while it has not.
    tail: Option<&'static [u8]>,
}

impl<R: Read> Terminated<R> {
    fn new(inner: R, line_end: &'static [u8]) -> Self {
        Terminated {
            inner,
            line_end,
            last_byte: None,
            tail: None,
        }
    }
}

impl<R: Read> Read for Terminated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let tail = match self.tail {
            Some(tail) => tail,
            None => {
                let n = self.inner.read(buf)?;
                if n > 0 {
                    self.last_byte = Some(buf[n - 1]);
                    return Ok(n);
                }
                let unterminated = !matches!(self.last_byte, None | Some(b'\n'));
                if unterminated {
                    self.line_end
                } else {
                    b""
                }
            }
        };
        let n = tail.len().min(buf.len());
        buf[..n].copy_from_slice(&tail[..n]);
        self.tail = Some(&tail[n..]);
        Ok(n)
    }
}

/// The input, failing with [`RowTooLong`] once the csv parser has taken more than
/// [`MAX_ROW_BYTES`] (and one read buffer, which it may hold ahead) since the row began.
struct Bounded<R> {
    inner: R,
    /// Bytes handed to the parser so far.
    read: u64,
    /// Where the parser's current row starts (its byte position before the row).
    row_start: Arc<AtomicU64>,
}

#[derive(Debug, thiserror::Error)]
#[error("a row is longer than {} MiB", MAX_ROW_BYTES >> 20)]
struct RowTooLong;

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let start = self.row_start.load(Ordering::Relaxed);
        if self.read.saturating_sub(start) > MAX_ROW_BYTES + READ_BUFFER_BYTES as u64 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RowTooLong));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The row as text; bytes that are not UTF-8 (a latin-1 file) become U+FFFD.
fn into_string_record(bytes: ByteRecord) -> StringRecord {
    match StringRecord::from_byte_record(bytes) {
        Ok(record) => record,
        Err(err) => err
            .into_byte_record()
            .iter()
            .map(String::from_utf8_lossy)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_delimiter_is_the_one_that_finds_the_columns() {
        let (delimiter, columns) = parse_header("timeStamp,elapsed,label,success").unwrap();
        assert_eq!(delimiter, b',');
        assert_eq!((columns.timestamp, columns.label, columns.count), (0, 2, 4));
        assert_eq!(columns.success, Some(3));
        assert_eq!(columns.latency, None);
        // Commas inside a `;` header's names do not fool it.
        let (delimiter, columns) = parse_header("label;elapsed;timeStamp;success;\"a,b\"").unwrap();
        assert_eq!((delimiter, columns.timestamp, columns.count), (b';', 2, 5));
        let (delimiter, _) = parse_header("timeStamp\telapsed\tlabel\tresponseCode").unwrap();
        assert_eq!(delimiter, b'\t');
    }

    #[test]
    fn header_errors_name_the_missing_columns() {
        let err = parse_header("time,elapsed,label,success").unwrap_err();
        assert!(
            err.starts_with("the first line has no timeStamp column"),
            "{err}"
        );
        let err = parse_header("a;b").unwrap_err();
        assert!(err.contains("no timeStamp, elapsed, label, success (or responseCode) column"));
        assert!(err.ends_with("(it reads \"a;b\")"), "{err}");
    }

    #[test]
    fn success_is_true_or_false_in_any_case() {
        assert_eq!(parse_success("true"), Ok(true));
        assert_eq!(parse_success("FALSE"), Ok(false));
        assert_eq!(
            parse_success("1"),
            Err("success \"1\" is not true or false".into())
        );
    }

    #[test]
    fn durations_are_integer_ms_and_never_negative() {
        assert_eq!(duration_ms("42", "elapsed"), Ok(42));
        assert_eq!(duration_ms("-3", "elapsed"), Ok(0));
        assert!(duration_ms("4.2", "elapsed").is_err());
        assert!(duration_ms("", "elapsed").is_err());
        assert_eq!(optional(None, |v| duration_ms(v, "Latency")), Ok(0));
        assert_eq!(optional(Some(""), |v| duration_ms(v, "Latency")), Ok(0));
        assert!(optional(Some("x"), |v| duration_ms(v, "Latency")).is_err());
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("ééééé", 3), "ééé…");
    }

    #[test]
    fn terminated_adds_a_line_end_only_when_missing() {
        let read = |input: &[u8]| {
            let mut out = Vec::new();
            Terminated::new(input, b"\r\n")
                .read_to_end(&mut out)
                .unwrap();
            out
        };
        assert_eq!(read(b"a,b"), b"a,b\r\n");
        assert_eq!(read(b"a,b\n"), b"a,b\n");
        assert_eq!(read(b""), b"");
    }
}
