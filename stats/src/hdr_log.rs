//! HdrHistogram interval logs (the standard text format of Java's `HistogramLogWriter`, read by
//! `HistogramLogProcessor`, the Python `hdrh` package and HdrHistogram plotters).
//!
//! [`HdrLogWriter`] writes, per [`IntervalStats`] window, one untagged histogram for all labels
//! together and one histogram per label tagged with the label, all of response time (elapsed)
//! in microseconds, compressed (V2 deflate) like Java's writer. Interval timestamps are absolute
//! seconds since the Unix epoch, with a `StartTime` header for the run start.
//!
//! Tags may not contain `,`, space, CR or LF, so labels are percent-encoded for those and `%`
//! (`GET /a b` → `GET%20/a%20b`); [`read_hdr_log`] decodes them, so labels survive the round
//! trip. [`read_hdr_log`] reads any such log back (ours or Java's) so that logs from several
//! workers can be merged exactly.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use super::distribution::new_histogram;
use super::interval::IntervalStats;

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

    /// Writes `interval` as ending at `end_ms`: the total (always, so gaps in the load show
    /// as empty intervals), then each label that had samples.
    pub fn write_interval(&mut self, interval: &IntervalStats, end_ms: u64) -> io::Result<()> {
        let start = Duration::from_millis(interval.start_ms());
        let length = Duration::from_millis(end_ms.saturating_sub(interval.start_ms()));
        // A default builder writes no header lines, so this only wraps our writer.
        let mut log =
            IntervalLogWriterBuilder::new().begin_log_with(&mut self.out, &mut self.serializer)?;
        log.write_histogram(interval.total(), start, length, None)
            .map_err(io::Error::other)?;
        for (label, histogram) in interval.labels() {
            let tag = encode_tag(label);
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

/// A parsed interval log.
#[derive(Debug, Clone, Default)]
pub struct HdrLog {
    pub intervals: Vec<HdrInterval>,
}

#[derive(Debug, thiserror::Error)]
pub enum HdrLogError {
    #[error("cannot read HDR log {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{path}, line {line}: not an HdrHistogram interval log line \
         (expected `[Tag=<tag>,]<start>,<length>,<max>,<base64 histogram>` or a `#` comment)"
    )]
    Syntax { path: PathBuf, line: usize },
    #[error(
        "{path}, line {line}: the histogram does not decode ({reason}); \
         the file is truncated or not written by an HdrHistogram log writer"
    )]
    Histogram {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// Reads and decodes every interval of the interval log at `path`.
pub fn read_hdr_log(path: &Path) -> Result<HdrLog, HdrLogError> {
    let mut bytes = std::fs::read(path).map_err(|source| HdrLogError::Io {
        path: path.to_owned(),
        source,
    })?;
    // The parser needs every line, the last one included, to end with a newline.
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    parse(&bytes).map_err(|e| match e {
        ParseError::Syntax { offset } => HdrLogError::Syntax {
            path: path.to_owned(),
            line: line_at(&bytes, offset),
        },
        ParseError::Histogram { offset, reason } => HdrLogError::Histogram {
            path: path.to_owned(),
            line: line_at(&bytes, offset),
            reason,
        },
    })
}

fn line_at(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

enum ParseError {
    Syntax { offset: usize },
    Histogram { offset: usize, reason: String },
}

/// Java's rule: with `StartTime` but no `BaseTime`, timestamps more than a year before the start
/// are offsets from it, later ones are absolute.
const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

fn parse(bytes: &[u8]) -> Result<HdrLog, ParseError> {
    let mut log = HdrLog::default();
    let mut start_time = None;
    let mut base_time = None;
    for entry in IntervalLogIterator::new(bytes) {
        match entry {
            Err(hdrhistogram::serialization::interval_log::LogIteratorError::ParseError {
                offset,
            }) => return Err(ParseError::Syntax { offset }),
            Ok(LogEntry::StartTime(t)) => start_time = Some(t),
            Ok(LogEntry::BaseTime(t)) => base_time = Some(t),
            Ok(LogEntry::Interval(interval)) => {
                let encoded = interval.encoded_histogram();
                // `encoded` borrows from `bytes`, so its address gives its offset.
                let offset = encoded.as_ptr() as usize - bytes.as_ptr() as usize;
                let histogram = decode_histogram(encoded)
                    .map_err(|reason| ParseError::Histogram { offset, reason })?;
                let timestamp = interval.start_timestamp();
                let base = match (base_time, start_time) {
                    (Some(base), _) => base,
                    (None, Some(start)) if timestamp + YEAR < start => start,
                    _ => Duration::ZERO,
                };
                log.intervals.push(HdrInterval {
                    tag: interval.tag().map(|tag| decode_tag(&tag)),
                    start_ms: millis(base + timestamp),
                    length_ms: millis(interval.duration()),
                    histogram,
                });
            }
        }
    }
    Ok(log)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn decode_histogram(encoded: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("bad base64: {e}"))?;
    let mut histogram: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("{e:?}"))?;
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
