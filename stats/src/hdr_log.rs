//! HdrHistogram interval logs (the standard text format of Java's `HistogramLogWriter`, read by
//! `HistogramLogProcessor`, the Python `hdrh` package and HdrHistogram plotters).
//!
//! [`HdrLogWriter`] writes, per [`IntervalStats`] window, one untagged histogram for all labels
//! together and one histogram per label tagged with the label, all of response time (elapsed)
//! in microseconds, compressed (V2 deflate) like Java's writer. Interval timestamps are absolute
//! seconds since the Unix epoch, with a `StartTime` header for the run start.
//!
//! # Which time an interval covers
//!
//! The untagged histogram covers the sink's window (about a second; samples fall in the window
//! in which they completed), so gaps in the load show as empty intervals. A tagged histogram
//! covers its samples' own span instead: from the earliest intended start to the latest end
//! (start + elapsed) of the samples it holds, in whole ms rounded as the JTL writes them. So
//! tagged intervals of one label may overlap (a sample that started in one window and ended in
//! the next), and a label's window read back — first interval start to last interval end — is
//! exactly the JTL's window (first sample start to last sample end).
//!
//! That is what "the log gives the JTL's rates" means: [`read_hdr_log_stats`] gives each label
//! of a vajra log the JTL's sample count and window, so its throughput (samples / window) is the
//! JTL's, equal but for float rounding; its percentiles agree to HdrHistogram's 3 significant
//! digits. A log from another writer (Java's `HistogramLogWriter`, or an older vajra) has
//! intervals at the recorder's boundaries; there the window runs from the start of the first
//! interval holding a label to the end of the last one, which can be longer than the samples'
//! span by up to one interval at each end, and the rate lower accordingly. Cancelled requests
//! (see [`crate::sample::CANCELLED_CODE`]) have no response time and are not in the log.
//!
//! Tags may not contain `,`, space, CR or LF, so labels are percent-encoded for those and `%`
//! (`GET /a b` → `GET%20/a%20b`); [`read_hdr_log`] decodes them, so labels survive the round
//! trip. [`read_hdr_log`] reads any such log back (ours or Java's) so that logs from several
//! workers can be merged exactly.
//!
//! Reading is hardened against hostile files: [`HdrLogReader`] streams one line (at most
//! [`MAX_LINE_BYTES`]) and one histogram at a time; times past the year 9999, values past
//! [`MAX_VALUE_US`] and counts past [`MAX_INTERVAL_COUNT`] per interval are errors naming the
//! file and line; a histogram's stated lengths are checked against its bytes before the decoder
//! allocates by them, and a compressed one inflates to 16 MiB at most. [`read_hdr_log_stats`]
//! replays a log into [`Stats`] per histogram bucket, so its cost does not grow with the counts.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use super::distribution::new_histogram;
use super::interval::{IntervalStats, Span};
use crate::Stats;

/// Writes one set of interval histograms per [`IntervalStats`] window.
pub struct HdrLogWriter<W: Write> {
    out: W,
    serializer: V2DeflateSerializer,
}

impl<W: Write> HdrLogWriter<W> {
    /// Writes the header: format version, a note on units and tags, and the run's start.
    pub fn new(mut out: W, started_at_ms: u64) -> io::Result<Self> {
        let mut serializer = V2DeflateSerializer::new();
        IntervalLogWriterBuilder::new()
            .add_comment("[Histogram log format version 1.3]")
            .add_comment(
                "[vajra: response time in microseconds; untagged = all labels, \
                 Tag = label with '%', ',', ' ', CR, LF percent-encoded]",
            )
            .with_start_time(UNIX_EPOCH + Duration::from_millis(started_at_ms))
            .begin_log_with(&mut out, &mut serializer)?;
        out.write_all(
            b"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
        )?;
        Ok(HdrLogWriter { out, serializer })
    }

    /// Writes `interval` as ending at `end_ms`: the total over the window (always, so gaps in
    /// the load show as empty intervals), then each label that had samples, over its samples'
    /// span (see the module doc).
    pub fn write_interval(&mut self, interval: &IntervalStats, end_ms: u64) -> io::Result<()> {
        let start = Duration::from_millis(interval.start_ms());
        let length = Duration::from_millis(end_ms.saturating_sub(interval.start_ms()));
        // A default builder writes no header lines, so this only wraps our writer.
        let mut log =
            IntervalLogWriterBuilder::new().begin_log_with(&mut self.out, &mut self.serializer)?;
        log.write_histogram(interval.total(), start, length, None)
            .map_err(io::Error::other)?;
        for (label, histogram, span) in interval.label_spans() {
            let tag = encode_tag(label);
            // The samples' own span, not the window: see the module doc.
            let start = Duration::from_millis(span.start_ms);
            let length = Duration::from_millis(span.end_ms - span.start_ms);
            log.write_histogram(histogram, start, length, Tag::new(&tag))
                .map_err(io::Error::other)?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn encode_tag(label: &str) -> String {
    let mut tag = String::with_capacity(label.len());
    for c in label.chars() {
        match c {
            '%' => tag.push_str("%25"),
            ',' => tag.push_str("%2C"),
            ' ' => tag.push_str("%20"),
            '\r' => tag.push_str("%0D"),
            '\n' => tag.push_str("%0A"),
            _ => tag.push(c),
        }
    }
    tag
}

/// Undoes [`encode_tag`]; any other `%` sequence (from another writer) is kept as it is.
fn decode_tag(tag: &str) -> String {
    const CODES: [(&str, char); 5] = [
        ("%25", '%'),
        ("%2C", ','),
        ("%20", ' '),
        ("%0D", '\r'),
        ("%0A", '\n'),
    ];
    let mut label = String::with_capacity(tag.len());
    let mut rest = tag;
    while let Some(at) = rest.find('%') {
        label.push_str(&rest[..at]);
        rest = &rest[at..];
        match CODES.iter().find(|(code, _)| rest.starts_with(code)) {
            Some((code, c)) => {
                label.push(*c);
                rest = &rest[code.len()..];
            }
            None => {
                label.push('%');
                rest = &rest[1..];
            }
        }
    }
    label.push_str(rest);
    label
}

/// One interval histogram read back from a log.
#[derive(Debug, Clone)]
pub struct HdrInterval {
    /// The label; `None` for untagged intervals (our total).
    pub tag: Option<String>,
    /// Interval start, ms since the Unix epoch (resolved against `StartTime`/`BaseTime` the way
    /// Java's `HistogramLogReader` does).
    pub start_ms: u64,
    pub length_ms: u64,
    pub histogram: Histogram<u64>,
}

impl HdrInterval {
    /// The time this interval covers: start to start + length.
    pub fn span(&self) -> Span {
        Span {
            start_ms: self.start_ms,
            end_ms: self.start_ms.saturating_add(self.length_ms),
        }
    }
}

/// A parsed interval log.
#[derive(Debug, Clone, Default)]
pub struct HdrLog {
    pub intervals: Vec<HdrInterval>,
}

/// The latest time a log may name: the end of the year 9999, in seconds since the Unix epoch.
/// Later ones are not times (and would overflow a `Duration` sum).
pub const MAX_EPOCH_SECONDS: u64 = 253_402_300_799;

/// The largest value (µs, about 12.7 days) an interval may hold: response times beyond it are
/// not response times, and bounding them keeps every sum of the statistics exact.
pub const MAX_VALUE_US: u64 = 1 << 40;

/// The most samples one interval histogram may count (about 1.1 × 10¹²). Far more than any run
/// sends in one interval; a corrupt count decodes to far more.
pub const MAX_INTERVAL_COUNT: u64 = 1 << 40;

/// The longest line read. A histogram line of a real log is a few KiB; anything longer is not a
/// log, and reading stops instead of buffering it.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// The most bytes a compressed histogram may inflate to (a zip bomb stops here).
const MAX_INFLATED_BYTES: u64 = 16 << 20;

/// Java's rule: with `StartTime` but no `BaseTime`, timestamps more than a year before the start
/// are offsets from it, later ones are absolute.
const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// HdrHistogram's V2 cookies (uncompressed, deflate-compressed) and header size.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
const V2_HEADER_BYTES: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum HdrLogError {
    #[error("cannot read HDR log {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path}, line {line}: not an HdrHistogram interval log line \
         (expected `[Tag=<tag>,]<start>,<length>,<max>,<base64 histogram>` or a `#` comment)"
    )]
    Syntax { path: PathBuf, line: usize },
    #[error(
        "{path}, line {line}: the line is longer than {} MiB; this is not an HdrHistogram \
         interval log",
        MAX_LINE_BYTES >> 20
    )]
    LineTooLong { path: PathBuf, line: usize },
    #[error(
        "{path}, line {line}: the histogram does not decode; the file is truncated or not \
         written by an HdrHistogram log writer"
    )]
    Histogram {
        path: PathBuf,
        line: usize,
        #[source]
        source: DecodeError,
    },
    #[error("{path}, line {line}: {what}")]
    OutOfRange {
        path: PathBuf,
        line: usize,
        what: OutOfRange,
    },
}

/// Why one histogram did not decode.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the histogram is not base64")]
    Base64(#[source] base64::DecodeError),
    #[error("the histogram is shorter than its header says")]
    Truncated,
    #[error("the compressed histogram does not inflate")]
    Inflate(#[source] io::Error),
    #[error("the compressed histogram inflates to more than {} MiB", MAX_INFLATED_BYTES >> 20)]
    TooLarge,
    #[error("the histogram's encoding is invalid")]
    Format(#[source] hdrhistogram::serialization::DeserializeError),
}

/// A value of a log line beyond what this reader accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutOfRange {
    #[error(
        "the {which} of {seconds} s is after the year 9999; a log's times are seconds since \
         the Unix epoch (or since its start)"
    )]
    Time { which: &'static str, seconds: u64 },
    #[error(
        "the histogram holds a value of {value} µs, more than {} µs (12.7 days); vajra's logs \
         hold response times in µs",
        MAX_VALUE_US
    )]
    Value { value: u64 },
    #[error(
        "the histogram counts {count} samples in one interval, more than {}; the counts are \
         corrupt",
        MAX_INTERVAL_COUNT
    )]
    Count { count: u64 },
}

/// Streams the intervals of an interval log one line at a time, so memory stays at one line
/// and one histogram whatever the file's size.
pub struct HdrLogReader<R> {
    path: PathBuf,
    input: R,
    line: usize,
    buf: Vec<u8>,
    start_time: Option<Duration>,
    base_time: Option<Duration>,
    done: bool,
}

impl HdrLogReader<BufReader<File>> {
    /// Opens the interval log at `path`.
    pub fn open(path: &Path) -> Result<Self, HdrLogError> {
        let file = File::open(path).map_err(|source| HdrLogError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(HdrLogReader::new(BufReader::new(file), path))
    }
}

impl<R: BufRead> HdrLogReader<R> {
    /// Reads a log from any buffered stream; `path` is used in errors.
    pub fn new(input: R, path: &Path) -> Self {
        HdrLogReader {
            path: path.to_owned(),
            input,
            line: 0,
            buf: Vec::new(),
            start_time: None,
            base_time: None,
            done: false,
        }
    }

    /// The next interval; `None` at the end of the log.
    pub fn next_interval(&mut self) -> Result<Option<HdrInterval>, HdrLogError> {
        while !self.done {
            self.buf.clear();
            self.line += 1;
            let limit = MAX_LINE_BYTES as u64 + 1;
            let n = (&mut self.input)
                .take(limit)
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| HdrLogError::Io {
                    path: self.path.clone(),
                    source,
                })?;
            if n == 0 {
                self.done = true;
                break;
            }
            if !self.buf.ends_with(b"\n") {
                if n > MAX_LINE_BYTES {
                    self.done = true;
                    return Err(self.error_line_too_long());
                }
                // The parser needs every line, the last one included, to end with a newline.
                self.buf.push(b'\n');
            }
            match self.parse_line() {
                Ok(Some(interval)) => return Ok(Some(interval)),
                Ok(None) => continue,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        Ok(None)
    }

    fn error_line_too_long(&self) -> HdrLogError {
        HdrLogError::LineTooLong {
            path: self.path.clone(),
            line: self.line,
        }
    }

    fn out_of_range(&self, what: OutOfRange) -> HdrLogError {
        HdrLogError::OutOfRange {
            path: self.path.clone(),
            line: self.line,
            what,
        }
    }

    /// Parses the line in `buf`: an interval, or `None` for a header or comment line.
    fn parse_line(&mut self) -> Result<Option<HdrInterval>, HdrLogError> {
        let time = |which, t: Duration| {
            if t.as_secs() > MAX_EPOCH_SECONDS {
                Err(OutOfRange::Time {
                    which,
                    seconds: t.as_secs(),
                })
            } else {
                Ok(t)
            }
        };
        let entry = match IntervalLogIterator::new(&self.buf).next() {
            None => return Ok(None),
            Some(Err(_)) => {
                return Err(HdrLogError::Syntax {
                    path: self.path.clone(),
                    line: self.line,
                })
            }
            Some(Ok(entry)) => entry,
        };
        let interval = match entry {
            LogEntry::StartTime(t) => {
                let t = time("StartTime", t).map_err(|w| self.out_of_range(w))?;
                self.start_time = Some(t);
                return Ok(None);
            }
            LogEntry::BaseTime(t) => {
                let t = time("BaseTime", t).map_err(|w| self.out_of_range(w))?;
                self.base_time = Some(t);
                return Ok(None);
            }
            LogEntry::Interval(interval) => interval,
        };
        let checked = time("interval start", interval.start_timestamp())
            .and_then(|timestamp| Ok((timestamp, time("interval length", interval.duration())?)));
        let (timestamp, length) = checked.map_err(|w| self.out_of_range(w))?;
        let base = match (self.base_time, self.start_time) {
            (Some(base), _) => base,
            (None, Some(start)) if timestamp + YEAR < start => start,
            _ => Duration::ZERO,
        };
        // Both are at most MAX_EPOCH_SECONDS, so the sum cannot overflow.
        let start = time("interval start", base + timestamp).map_err(|w| self.out_of_range(w))?;
        let histogram = decode_histogram(interval.encoded_histogram()).map_err(|source| {
            HdrLogError::Histogram {
                path: self.path.clone(),
                line: self.line,
                source,
            }
        })?;
        if histogram.max() > MAX_VALUE_US {
            return Err(self.out_of_range(OutOfRange::Value {
                value: histogram.max(),
            }));
        }
        if histogram.len() > MAX_INTERVAL_COUNT {
            return Err(self.out_of_range(OutOfRange::Count {
                count: histogram.len(),
            }));
        }
        Ok(Some(HdrInterval {
            tag: interval.tag().map(|tag| decode_tag(&tag)),
            start_ms: millis(start),
            length_ms: millis(length),
            histogram,
        }))
    }
}

impl<R: BufRead> Iterator for HdrLogReader<R> {
    type Item = Result<HdrInterval, HdrLogError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_interval().transpose()
    }
}

/// Reads and decodes every interval of the interval log at `path`. The intervals are kept, so
/// memory grows with the log's intervals; [`HdrLogReader`] and [`read_hdr_log_stats`] stream.
pub fn read_hdr_log(path: &Path) -> Result<HdrLog, HdrLogError> {
    let intervals = HdrLogReader::open(path)?.collect::<Result<_, _>>()?;
    Ok(HdrLog { intervals })
}

/// The label given to untagged intervals of a log without tagged ones (such as a log from
/// Java's `HistogramLogWriter`). In vajra's logs untagged intervals are the total of the tagged
/// ones, so [`read_hdr_log_stats`] skips them there.
pub const UNTAGGED_LABEL: &str = "(untagged)";

/// Reads the interval log at `path` into [`Stats`], streaming: every recorded value of every
/// interval becomes that many samples (the highest value equivalent to it, as HdrHistogram
/// reports percentiles), started at the interval's start, and each label's window runs from the
/// start of its first interval to the end of its last (for vajra's logs the JTL's window
/// exactly: see the module doc). Untagged intervals count as
/// [`UNTAGGED_LABEL`] when the log has no tagged ones and are skipped otherwise. A log has no
/// errors, bytes or latency, so those read as 0.
pub fn read_hdr_log_stats(path: &Path) -> Result<Stats, HdrLogError> {
    hdr_log_stats(HdrLogReader::open(path)?)
}

/// [`read_hdr_log_stats`] for a log from any reader.
pub fn hdr_log_stats<R: BufRead>(reader: HdrLogReader<R>) -> Result<Stats, HdrLogError> {
    let mut tagged = Stats::new();
    let mut untagged = Stats::new();
    for interval in reader {
        let interval = interval?;
        match &interval.tag {
            Some(tag) => tagged.record_histogram(tag, interval.span(), &interval.histogram),
            // Only kept while no tagged interval has been seen: then it is dropped anyway.
            None if tagged.is_empty() => {
                untagged.record_histogram(UNTAGGED_LABEL, interval.span(), &interval.histogram)
            }
            None => {}
        }
    }
    Ok(if tagged.is_empty() { untagged } else { tagged })
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Decodes a base64 V2 histogram, compressed or not. The lengths in its header are checked
/// against the bytes there before the decoder allocates by them.
fn decode_histogram(encoded: &str) -> Result<Histogram<u64>, DecodeError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(DecodeError::Base64)?;
    decode_histogram_bytes(&bytes)
}

/// Decodes a V2 histogram, compressed or not, from its bytes (see [`decode_histogram`]); result
/// bundles hold them too. The histogram auto-resizes.
pub(crate) fn decode_histogram_bytes(bytes: &[u8]) -> Result<Histogram<u64>, DecodeError> {
    let cookie = |b: &[u8]| {
        b.get(..4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    };
    let inflated;
    let plain: &[u8] = if cookie(bytes) == Some(V2_COMPRESSED_COOKIE) {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(bytes.get(8..).unwrap_or_default())
            .take(MAX_INFLATED_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(DecodeError::Inflate)?;
        if out.len() as u64 > MAX_INFLATED_BYTES {
            return Err(DecodeError::TooLarge);
        }
        inflated = out;
        &inflated
    } else {
        bytes
    };
    if cookie(plain) == Some(V2_COOKIE) {
        let payload = plain
            .get(4..8)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
        match payload {
            Some(len) if len <= plain.len() - V2_HEADER_BYTES.min(plain.len()) => {}
            _ => return Err(DecodeError::Truncated),
        }
    }
    let mut histogram: Histogram<u64> =
        Deserializer::new()
            .deserialize(&mut &*plain)
            .map_err(|e| match e {
                hdrhistogram::serialization::DeserializeError::IoError(_) => DecodeError::Truncated,
                e => DecodeError::Format(e),
            })?;
    // Logs from other writers may have fixed bounds; ours must grow when merged into.
    histogram.auto(true);
    Ok(histogram)
}

/// Every interval of a log added up, per tag: the exact histograms of the whole run.
#[derive(Debug, Clone)]
pub struct HdrTotals {
    /// Untagged intervals: all labels together.
    pub total: Histogram<u64>,
    pub labels: BTreeMap<String, Histogram<u64>>,
}

impl HdrLog {
    pub fn totals(&self) -> HdrTotals {
        let mut totals = HdrTotals {
            total: new_histogram(),
            labels: BTreeMap::new(),
        };
        for interval in &self.intervals {
            let into = match &interval.tag {
                None => &mut totals.total,
                Some(tag) => totals
                    .labels
                    .entry(tag.clone())
                    .or_insert_with(new_histogram),
            };
            add(into, &interval.histogram);
        }
        totals
    }
}

impl HdrTotals {
    /// Adds another log's totals (another worker's) to these.
    pub fn merge(&mut self, other: &HdrTotals) {
        add(&mut self.total, &other.total);
        for (label, histogram) in &other.labels {
            add(
                self.labels
                    .entry(label.clone())
                    .or_insert_with(new_histogram),
                histogram,
            );
        }
    }
}

fn add(into: &mut Histogram<u64>, histogram: &Histogram<u64>) {
    // `into` auto-resizes, so only a precision mismatch could fail, and adding a histogram of
    // lower precision into ours is always possible.
    into.add(histogram)
        .expect("an auto-resizing histogram accepts any other");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_are_valid() {
        for label in ["GET /a b", "100%, really\r\n", "plain", "%2C literal"] {
            let tag = encode_tag(label);
            assert!(Tag::new(&tag).is_some(), "{tag:?} is not a valid tag");
            assert_eq!(decode_tag(&tag), label);
        }
        assert_eq!(decode_tag("50%off"), "50%off");
    }
}
