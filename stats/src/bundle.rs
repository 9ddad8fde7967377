//! Result bundles: a run's exact statistics and what the run was, in one small file that
//! `vajra report` merges as it merges JTLs, without the JTL.
//!
//! A bundle is gzip'd JSON (`docs/result-bundle.md` documents every field): a format name and
//! version, the run's [`RunMeta`] (plan, worker, load share, times, arrivals), and one entry per
//! label with everything [`Stats::merge`] adds: counts, the three [`crate::Distribution`]s
//! (HdrHistogram V2 deflate, base64, plus the exact sums), error causes and the per-second
//! timeline in columns. So `decode(encode(a))` merges exactly as `a` does.
//!
//! Encoding and decoding are pure; [`read`] is the one function that touches a file. Decoding
//! is parsing outside input: the inflated size is bounded, histograms go through the same
//! checked decoder as HDR logs, and the counts are checked against each other, so a damaged or
//! edited bundle gets an error naming the file and the field, never a panic.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::distribution::{new_histogram, Distribution, SIGNIFICANT_DIGITS};
use crate::errors::{LabelErrors, MessageCounts, MAX_DISTINCT_MESSAGES};
use crate::hdr_log::{decode_histogram_bytes, DecodeError};
use crate::label::LabelStats;
use crate::outcome::Arrivals;
use crate::timeline::{Bucket, Timeline};
use crate::Stats;

/// The `format` field every bundle starts with.
pub const FORMAT: &str = "vajra-result-bundle";
/// The format version this vajra writes and the newest it reads (see the compatibility rule in
/// `docs/result-bundle.md`).
pub const VERSION: u32 = 1;
/// The file `vajra run` writes into its output directory.
pub const FILE_NAME: &str = "result.vbundle";
/// The extension `vajra report` takes as a bundle without looking inside.
pub const EXTENSION: &str = "vbundle";
/// The largest bundle file read, compressed.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// The most a bundle may inflate to: far beyond a day of a thousand labels, and a gzip bomb
/// stops here.
pub const MAX_INFLATED_BYTES: u64 = 1 << 30;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A run's statistics and what the run was.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub run: RunMeta,
    pub stats: Stats,
}

/// What a bundle records about its run besides the statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// The vajra that wrote the bundle (`vajra --version`).
    pub vajra_version: String,
    pub plan_name: String,
    /// `sha256:<hex>` of the effective plan; workers of one test have the same (what it covers:
    /// `docs/result-bundle.md`).
    pub plan_hash: String,
    /// From 0 to `worker_count` − 1.
    pub worker_index: u32,
    pub worker_count: u32,
    /// This worker's part of the test's load.
    pub load: LoadShare,
    /// When the run started and ended, ms since the Unix epoch.
    pub started_at_ms: u64,
    pub ended_at_ms: u64,
    /// How the run ended: `completed`, or its stop reason (`interrupted`, `graceful`, …).
    pub stop_reason: String,
    /// The open model's arrival accounting (all 0 in the closed model).
    pub arrivals: Arrivals,
}

/// One worker's part of the load, as planned (not as achieved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum LoadShare {
    /// The open model: this worker's mean target rate over the whole profile (iterations per
    /// second), its arrivals, and the arrivals of all workers together. Worker `i` of `N` is
    /// given `vajra_plan::schedule::share(fleet_arrivals, i, N)` of them.
    Open {
        target_tps: f64,
        planned_arrivals: u64,
        fleet_arrivals: u64,
    },
    /// The closed model: this worker's virtual users.
    Closed { users: u64 },
}

/// Why a bundle could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read result bundle {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path}: the file is larger than {} MiB; a result bundle is a few MB at most: is this \
         the right file?",
        MAX_FILE_BYTES >> 20
    )]
    FileTooLarge { path: PathBuf },
    #[error(
        "{path}: not a vajra result bundle (a bundle is gzip data; `vajra run` writes one as \
         {FILE_NAME})"
    )]
    NotGzip { path: PathBuf },
    #[error(
        "{path}: the result bundle does not inflate; it is truncated or damaged: copy it from \
         the worker again"
    )]
    Inflate {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path}: the result bundle inflates to more than {} MiB; this is not a bundle vajra \
         wrote",
        MAX_INFLATED_BYTES >> 20
    )]
    TooLarge { path: PathBuf },
    #[error("{path}: not a vajra result bundle: {what}")]
    NotBundle { path: PathBuf, what: String },
    #[error(
        "{path}: result bundle format version {found} is newer than this vajra reads \
         (version {VERSION}): read it with a newer vajra"
    )]
    Newer { path: PathBuf, found: u64 },
    #[error(
        "{path}: {field}: {message}; the bundle is damaged or was not written by vajra: \
         report on the run's JTL instead"
    )]
    Field {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error(
        "{path}: {field}: the histogram does not decode; the bundle is damaged or was not \
         written by vajra: report on the run's JTL instead"
    )]
    Histogram {
        path: PathBuf,
        field: String,
        #[source]
        source: DecodeError,
    },
}

/// Why statistics could not be encoded (a count past what HdrHistogram's format holds, about
/// 9.2 × 10¹⁸ at one value).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode the histogram of label {label:?} for the result bundle: {message}")]
pub struct EncodeError {
    label: String,
    message: String,
}

/// Whether `head` (a file's first bytes) starts like a bundle: gzip data. A JTL or an HDR log
/// is text, so this tells them apart.
pub fn looks_like_bundle(head: &[u8]) -> bool {
    head.starts_with(&GZIP_MAGIC)
}

/// The bundle's bytes: gzip'd JSON. The same statistics give the same bytes (labels in name
/// order, causes in report order).
pub fn encode(run: &RunMeta, stats: &Stats) -> Result<Vec<u8>, EncodeError> {
    let mut serializer = V2DeflateSerializer::new();
    let mut labels = Vec::with_capacity(stats.samples.len() + stats.transactions.len());
    for (transaction, map) in [(false, &stats.samples), (true, &stats.transactions)] {
        for (name, stats) in map {
            labels.push(WireLabel::new(name, transaction, stats, &mut serializer)?);
        }
    }
    labels.sort_by(|a, b| (&a.name, a.transaction).cmp(&(&b.name, b.transaction)));
    let wire = Wire {
        format: FORMAT.to_owned(),
        version: u64::from(VERSION),
        run: run.clone(),
        labels,
    };
    let json = serde_json::to_vec(&wire).expect("a bundle always encodes as JSON");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&json).expect("writing to memory cannot fail");
    Ok(gz.finish().expect("writing to memory cannot fail"))
}

/// Reads the bundle at `path` (see [`decode`]).
pub fn read(path: &Path) -> Result<Bundle, BundleError> {
    let io = |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(BundleError::FileTooLarge {
            path: path.to_path_buf(),
        });
    }
    decode(&bytes, path)
}

/// Decodes a bundle's bytes; `path` names it in errors.
pub fn decode(bytes: &[u8], path: &Path) -> Result<Bundle, BundleError> {
    let path_buf = || path.to_path_buf();
    if !looks_like_bundle(bytes) {
        return Err(BundleError::NotGzip { path: path_buf() });
    }
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|source| BundleError::Inflate {
            path: path_buf(),
            source,
        })?;
    if json.len() as u64 > MAX_INFLATED_BYTES {
        return Err(BundleError::TooLarge { path: path_buf() });
    }
    // The format and version first, so a newer bundle is named as such rather than as a field
    // this vajra does not know.
    let envelope: Envelope = serde_json::from_slice(&json).map_err(|e| BundleError::NotBundle {
        path: path_buf(),
        what: format!("its content is not JSON ({e})"),
    })?;
    if envelope.format.as_deref() != Some(FORMAT) {
        return Err(BundleError::NotBundle {
            path: path_buf(),
            what: format!("it has no `\"format\": \"{FORMAT}\"`"),
        });
    }
    match envelope.version {
        Some(found) if found > u64::from(VERSION) => {
            return Err(BundleError::Newer {
                path: path_buf(),
                found,
            })
        }
        Some(1..) => {}
        _ => {
            return Err(field_error(
                path,
                "version",
                "missing, or not a version from 1 up",
            ))
        }
    }
    let wire: Wire =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&json))
            .map_err(|e| {
                let field = e.path().to_string();
                let message = e.into_inner().to_string();
                field_error(path, &field, &message)
            })?;
    wire.into_bundle(path)
}

fn field_error(path: &Path, field: &str, message: &str) -> BundleError {
    BundleError::Field {
        path: path.to_path_buf(),
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

#[derive(Deserialize)]
struct Envelope {
    format: Option<String>,
    version: Option<u64>,
}

/// The JSON document. Fields unknown to this version are ignored (the compatibility rule).
#[derive(Serialize, Deserialize)]
struct Wire {
    format: String,
    version: u64,
    run: RunMeta,
    labels: Vec<WireLabel>,
}

#[derive(Serialize, Deserialize)]
struct WireLabel {
    name: String,
    transaction: bool,
    samples: u64,
    errors: u64,
    cancelled: u64,
    elapsed: WireDistribution,
    latency: WireDistribution,
    service: WireDistribution,
    connect_sum_us: u128,
    bytes_received: u64,
    bytes_sent: u64,
    first_start_us: u64,
    last_end_us: u64,
    max_active_threads: u32,
    causes: WireCauses,
    timeline: WireTimeline,
}

/// `histogram` is `null` for an empty distribution.
#[derive(Serialize, Deserialize)]
struct WireDistribution {
    count: u64,
    sum: u128,
    sum_of_squares: u128,
    min: u64,
    max: u64,
    histogram: Option<String>,
}

/// Each cause is `[code, message, count]`; `other_*` counts the failures past
/// [`MAX_DISTINCT_MESSAGES`] causes.
#[derive(Serialize, Deserialize)]
struct WireCauses {
    responses: Vec<(String, String, u64)>,
    other_responses: u64,
    assertions: Vec<(String, u64)>,
    other_assertions: u64,
}

/// One column per bucket field; `seconds` holds the first second (since the Unix epoch), then
/// the gap from each second to the next, so a steady run's column is mostly `1`s.
#[derive(Serialize, Deserialize)]
struct WireTimeline {
    seconds: Vec<u64>,
    samples: Vec<u64>,
    errors: Vec<u64>,
    sum_elapsed_us: Vec<u128>,
    sum_latency_us: Vec<u128>,
    max_active_threads: Vec<u32>,
}

impl WireLabel {
    fn new(
        name: &str,
        transaction: bool,
        stats: &LabelStats,
        serializer: &mut V2DeflateSerializer,
    ) -> Result<WireLabel, EncodeError> {
        let distribution = |d: &Distribution, serializer: &mut V2DeflateSerializer| {
            WireDistribution::new(d, serializer).map_err(|message| EncodeError {
                label: name.to_owned(),
                message,
            })
        };
        Ok(WireLabel {
            name: name.to_owned(),
            transaction,
            samples: stats.samples,
            errors: stats.errors,
            cancelled: stats.cancelled,
            elapsed: distribution(&stats.elapsed, serializer)?,
            latency: distribution(&stats.latency, serializer)?,
            service: distribution(&stats.service, serializer)?,
            connect_sum_us: stats.connect_sum_us,
            bytes_received: stats.bytes_received,
            bytes_sent: stats.bytes_sent,
            first_start_us: stats.first_start_us,
            last_end_us: stats.last_end_us,
            max_active_threads: stats.max_active_threads,
            causes: WireCauses::new(&stats.causes),
            timeline: WireTimeline::new(&stats.timeline),
        })
    }

    /// The label's statistics, checked: counts that cannot come from recording are refused
    /// (later arithmetic relies on them, e.g. `samples − cancelled`).
    fn into_stats(self, path: &Path, at: &str) -> Result<LabelStats, BundleError> {
        let fail =
            |field: &str, message: String| field_error(path, &format!("{at}.{field}"), &message);
        let elapsed = self
            .elapsed
            .into_distribution(path, &format!("{at}.elapsed"))?;
        let latency = self
            .latency
            .into_distribution(path, &format!("{at}.latency"))?;
        let service = self
            .service
            .into_distribution(path, &format!("{at}.service"))?;
        let completed = self.samples.checked_sub(self.cancelled).ok_or_else(|| {
            fail(
                "cancelled",
                format!(
                    "{} cancelled samples of {} in all",
                    self.cancelled, self.samples
                ),
            )
        })?;
        for (field, count) in [
            ("elapsed.count", elapsed.count),
            ("latency.count", latency.count),
        ] {
            if count != completed {
                return Err(fail(
                    field,
                    format!("{count} values for {completed} completed samples"),
                ));
            }
        }
        if service.count > completed {
            return Err(fail(
                "service.count",
                format!("{} values for {completed} completed samples", service.count),
            ));
        }
        if self.errors > completed {
            return Err(fail(
                "errors",
                format!("{} errors in {completed} completed samples", self.errors),
            ));
        }
        let causes = self.causes.into_errors(path, &format!("{at}.causes"))?;
        let timeline = self
            .timeline
            .into_timeline(path, &format!("{at}.timeline"))?;
        Ok(LabelStats {
            samples: self.samples,
            errors: self.errors,
            cancelled: self.cancelled,
            elapsed,
            latency,
            service,
            connect_sum_us: self.connect_sum_us,
            bytes_received: self.bytes_received,
            bytes_sent: self.bytes_sent,
            first_start_us: self.first_start_us,
            last_end_us: self.last_end_us,
            max_active_threads: self.max_active_threads,
            causes,
            timeline,
        })
    }
}

impl WireDistribution {
    fn new(d: &Distribution, serializer: &mut V2DeflateSerializer) -> Result<Self, String> {
        let histogram = if d.histogram.is_empty() {
            None
        } else {
            let mut bytes = Vec::new();
            serializer
                .serialize(&d.histogram, &mut bytes)
                .map_err(|e| e.to_string())?;
            Some(base64::engine::general_purpose::STANDARD.encode(bytes))
        };
        Ok(WireDistribution {
            count: d.count,
            sum: d.sum,
            sum_of_squares: d.sum_of_squares,
            min: d.min,
            max: d.max,
            histogram,
        })
    }

    fn into_distribution(self, path: &Path, at: &str) -> Result<Distribution, BundleError> {
        let fail =
            |field: &str, message: String| field_error(path, &format!("{at}.{field}"), &message);
        let histogram: Histogram<u64> = match &self.histogram {
            None => new_histogram(),
            Some(encoded) => {
                let histogram_error = |source| BundleError::Histogram {
                    path: path.to_path_buf(),
                    field: format!("{at}.histogram"),
                    source,
                };
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|e| histogram_error(DecodeError::Base64(e)))?;
                decode_histogram_bytes(&bytes).map_err(histogram_error)?
            }
        };
        // Merging adds histograms of one precision; another would not add exactly.
        if histogram.sigfig() != SIGNIFICANT_DIGITS || histogram.low() != 1 {
            return Err(fail(
                "histogram",
                format!(
                    "the histogram has {} significant digits and lowest value {}; vajra's have \
                     {SIGNIFICANT_DIGITS} and 1",
                    histogram.sigfig(),
                    histogram.low()
                ),
            ));
        }
        if histogram.len() != self.count {
            return Err(fail(
                "count",
                format!(
                    "{} values, but the histogram holds {}",
                    self.count,
                    histogram.len()
                ),
            ));
        }
        if self.count > 0 && self.min > self.max {
            return Err(fail(
                "min",
                format!("the minimum {} is above the maximum {}", self.min, self.max),
            ));
        }
        Ok(Distribution {
            histogram,
            count: self.count,
            sum: self.sum,
            sum_of_squares: self.sum_of_squares,
            min: self.min,
            max: self.max,
        })
    }
}

impl WireCauses {
    fn new(causes: &LabelErrors) -> Self {
        WireCauses {
            responses: causes
                .by_response
                .entries()
                .into_iter()
                .map(|(code, message, n)| (code.to_owned(), message.to_owned(), n))
                .collect(),
            other_responses: causes.by_response.other(),
            assertions: causes
                .by_assertion
                .entries()
                .into_iter()
                .map(|(_, message, n)| (message.to_owned(), n))
                .collect(),
            other_assertions: causes.by_assertion.other(),
        }
    }

    fn into_errors(self, path: &Path, at: &str) -> Result<LabelErrors, BundleError> {
        let mut scratch = String::new();
        let mut counts = |field: &str,
                          causes: Vec<(String, String, u64)>,
                          other: u64|
         -> Result<MessageCounts, BundleError> {
            if causes.len() > MAX_DISTINCT_MESSAGES {
                return Err(field_error(
                    path,
                    &format!("{at}.{field}"),
                    &format!(
                        "{} causes, more than the {MAX_DISTINCT_MESSAGES} vajra keeps",
                        causes.len()
                    ),
                ));
            }
            let mut counts = MessageCounts::default();
            for (i, (code, message, n)) in causes.iter().enumerate() {
                if !counts.add_new(&mut scratch, code, message, *n) {
                    return Err(field_error(
                        path,
                        &format!("{at}.{field}[{i}]"),
                        "the same cause is listed twice",
                    ));
                }
            }
            counts.add_other(other);
            Ok(counts)
        };
        let by_response = counts("responses", self.responses, self.other_responses)?;
        let assertions = self
            .assertions
            .into_iter()
            .map(|(message, n)| (String::new(), message, n))
            .collect();
        let by_assertion = counts("assertions", assertions, self.other_assertions)?;
        Ok(LabelErrors {
            by_response,
            by_assertion,
        })
    }
}

impl WireTimeline {
    fn new(timeline: &Timeline) -> Self {
        let n = timeline.seconds.len();
        let mut wire = WireTimeline {
            seconds: Vec::with_capacity(n),
            samples: Vec::with_capacity(n),
            errors: Vec::with_capacity(n),
            sum_elapsed_us: Vec::with_capacity(n),
            sum_latency_us: Vec::with_capacity(n),
            max_active_threads: Vec::with_capacity(n),
        };
        let mut previous = 0;
        for (&second, bucket) in &timeline.seconds {
            wire.seconds.push(second - previous);
            previous = second;
            wire.samples.push(bucket.samples);
            wire.errors.push(bucket.errors);
            wire.sum_elapsed_us.push(bucket.sum_elapsed_us);
            wire.sum_latency_us.push(bucket.sum_latency_us);
            wire.max_active_threads.push(bucket.max_active_threads);
        }
        wire
    }

    fn into_timeline(self, path: &Path, at: &str) -> Result<Timeline, BundleError> {
        let n = self.seconds.len();
        for (field, len) in [
            ("samples", self.samples.len()),
            ("errors", self.errors.len()),
            ("sum_elapsed_us", self.sum_elapsed_us.len()),
            ("sum_latency_us", self.sum_latency_us.len()),
            ("max_active_threads", self.max_active_threads.len()),
        ] {
            if len != n {
                return Err(field_error(
                    path,
                    &format!("{at}.{field}"),
                    &format!("{len} entries, but `seconds` has {n}"),
                ));
            }
        }
        let mut seconds = BTreeMap::new();
        let mut second: u64 = 0;
        for i in 0..n {
            let gap = self.seconds[i];
            let next = second.checked_add(gap).filter(|_| i == 0 || gap > 0);
            let Some(next) = next else {
                return Err(field_error(
                    path,
                    &format!("{at}.seconds[{i}]"),
                    &format!("the gap {gap} does not lead to a later second"),
                ));
            };
            second = next;
            seconds.insert(
                second,
                Bucket {
                    samples: self.samples[i],
                    errors: self.errors[i],
                    sum_elapsed_us: self.sum_elapsed_us[i],
                    sum_latency_us: self.sum_latency_us[i],
                    max_active_threads: self.max_active_threads[i],
                },
            );
        }
        Ok(Timeline { seconds })
    }
}

impl Wire {
    fn into_bundle(self, path: &Path) -> Result<Bundle, BundleError> {
        let run = self.run;
        if run.worker_count == 0 || run.worker_index >= run.worker_count {
            return Err(field_error(
                path,
                "run.worker_index",
                &format!(
                    "worker index {} is not below the worker count {}",
                    run.worker_index, run.worker_count
                ),
            ));
        }
        if let LoadShare::Open {
            target_tps,
            planned_arrivals,
            fleet_arrivals,
        } = run.load
        {
            if !(target_tps.is_finite() && target_tps >= 0.0) {
                return Err(field_error(
                    path,
                    "run.load.target_tps",
                    &format!("{target_tps} is not a rate"),
                ));
            }
            if planned_arrivals > fleet_arrivals {
                return Err(field_error(
                    path,
                    "run.load.planned_arrivals",
                    &format!(
                        "{planned_arrivals} arrivals of this worker, more than the \
                         {fleet_arrivals} of all workers"
                    ),
                ));
            }
        }
        let mut stats = Stats::new();
        for (i, label) in self.labels.into_iter().enumerate() {
            let at = format!("labels[{i}]");
            let (name, transaction) = (label.name.clone(), label.transaction);
            let map = if transaction {
                &mut stats.transactions
            } else {
                &mut stats.samples
            };
            if map.contains_key(name.as_str()) {
                return Err(field_error(
                    path,
                    &format!("{at}.name"),
                    &format!("the label {name:?} is listed twice"),
                ));
            }
            let label_stats = label.into_stats(path, &at)?;
            map.insert(name.into_boxed_str(), label_stats);
        }
        Ok(Bundle { run, stats })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{Observation, ResponseCode};
    use proptest::prelude::*;

    fn meta(index: u32) -> RunMeta {
        RunMeta {
            vajra_version: "0.1.0".into(),
            plan_name: "shop".into(),
            plan_hash: "sha256:00".into(),
            worker_index: index,
            worker_count: 3,
            load: LoadShare::Open {
                target_tps: 10.0,
                planned_arrivals: 34,
                fleet_arrivals: 100,
            },
            started_at_ms: 1_700_000_000_000,
            ended_at_ms: 1_700_000_010_000,
            stop_reason: "completed".into(),
            arrivals: Arrivals {
                scheduled: 34,
                sent: 34,
                ..Arrivals::default()
            },
        }
    }

    /// One sample as the proptests generate it.
    #[derive(Debug, Clone)]
    struct Row {
        ts: u64,
        label: u8,
        elapsed: u64,
        latency: u64,
        service: Option<u64>,
        success: bool,
        code: u16,
        assertion: bool,
        transaction: bool,
        cancelled: bool,
        threads: u32,
    }

    fn row() -> impl Strategy<Value = Row> {
        (
            (0u64..5_000, 0u8..4, 0u64..2_000_000_000, 0u64..1_000_000),
            (
                proptest::option::of(0u64..1_000_000),
                any::<bool>(),
                prop_oneof![Just(200u16), Just(404), Just(500)],
                any::<bool>(),
                proptest::bool::weighted(0.1),
                proptest::bool::weighted(0.05),
                0u32..200,
            ),
        )
            .prop_map(
                |(
                    (ts, label, elapsed, latency),
                    (service, success, code, assertion, transaction, cancelled, threads),
                )| Row {
                    ts: 1_700_000_000_000 + ts,
                    label,
                    elapsed,
                    latency,
                    service,
                    success,
                    code,
                    assertion,
                    transaction,
                    cancelled,
                    threads,
                },
            )
    }

    fn record(rows: &[Row]) -> Stats {
        let mut stats = Stats::new();
        for r in rows {
            let label =
                ["login", "search", "checkout", "ünïcode, \"quoted\""][usize::from(r.label)];
            let message = format!("status {}", r.code);
            let failure = if !r.success && r.assertion {
                "body did not match"
            } else {
                ""
            };
            let obs = Observation {
                timestamp_ms: r.ts,
                label,
                elapsed_us: r.elapsed,
                latency_us: r.latency,
                connect_us: r.latency / 3,
                service_us: r.service,
                bytes_received: r.elapsed % 10_000,
                bytes_sent: 120,
                success: r.success,
                response_code: if r.cancelled {
                    ResponseCode::Text(crate::sample::CANCELLED_CODE)
                } else {
                    ResponseCode::Status(r.code)
                },
                response_message: &message,
                failure_message: failure,
                active_threads: r.threads,
                url: "",
            };
            if r.transaction {
                stats.record_transaction(&obs);
            } else {
                stats.record(&obs);
            }
        }
        stats
    }

    fn round_trip(stats: &Stats) -> Stats {
        let bytes = encode(&meta(0), stats).unwrap();
        decode(&bytes, Path::new("x.vbundle")).unwrap().stats
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn merging_decoded_bundles_equals_merging_the_stats(
            a in proptest::collection::vec(row(), 0..200),
            b in proptest::collection::vec(row(), 0..200),
        ) {
            let (a, b) = (record(&a), record(&b));
            let mut expected = a.clone();
            expected.merge(&b);
            let mut merged = round_trip(&a);
            merged.merge(&round_trip(&b));
            prop_assert_eq!(&merged, &expected);
            // What the reports show follows, and the encoding is deterministic.
            prop_assert_eq!(merged.aggregate(), expected.aggregate());
            prop_assert_eq!(merged.errors_report(), expected.errors_report());
            prop_assert_eq!(merged.timelines(), expected.timelines());
            let encode = |s: &Stats| encode(&meta(1), s).unwrap();
            prop_assert_eq!(encode(&merged), encode(&expected));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes, Path::new("x.vbundle"));
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&bytes).unwrap();
            let _ = decode(&gz.finish().unwrap(), Path::new("x.vbundle"));
        }
    }

    #[test]
    fn the_run_metadata_round_trips() {
        let bundle = Bundle {
            run: meta(2),
            stats: record(&[]),
        };
        let decoded = decode(
            &encode(&bundle.run, &bundle.stats).unwrap(),
            Path::new("x.vbundle"),
        )
        .unwrap();
        assert_eq!(decoded, bundle);
    }

    /// Ten labels for an hour, every second with samples and random-looking sums (so gzip
    /// finds no pattern in them), stay a few hundred KB.
    #[test]
    fn an_hour_of_ten_labels_is_a_few_hundred_kb() {
        let mut stats = Stats::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            // xorshift: a cheap spread of values without a dependency.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for second in 0..3600u64 {
            for label in 0..10 {
                let label = format!("label {label}");
                for _ in 0..5 {
                    let elapsed = 1_000 + next() % 400_000;
                    stats.record(&Observation {
                        timestamp_ms: 1_700_000_000_000 + second * 1000 + next() % 1000,
                        label: &label,
                        elapsed_us: elapsed,
                        latency_us: elapsed / 2,
                        connect_us: 0,
                        service_us: Some(elapsed - 500),
                        bytes_received: 1000,
                        bytes_sent: 100,
                        success: next() % 50 != 0,
                        response_code: ResponseCode::Status(500),
                        response_message: "Internal Server Error",
                        failure_message: "",
                        active_threads: (next() % 64) as u32,
                        url: "",
                    });
                }
            }
        }
        let bytes = encode(&meta(0), &stats).unwrap();
        assert!(
            bytes.len() < 512 * 1024,
            "10 labels × 3600 s: {} bytes",
            bytes.len()
        );
        assert_eq!(decode(&bytes, Path::new("x.vbundle")).unwrap().stats, stats);
    }

    #[test]
    fn counts_that_recording_cannot_give_are_refused() {
        let stats = record(&[Row {
            ts: 1_700_000_000_000,
            label: 0,
            elapsed: 5,
            latency: 1,
            service: None,
            success: true,
            code: 200,
            assertion: false,
            transaction: false,
            cancelled: false,
            threads: 1,
        }]);
        let mut edited = stats.clone();
        edited.samples.get_mut("login").unwrap().cancelled = 9;
        let bytes = encode(&meta(0), &edited).unwrap();
        let err = decode(&bytes, Path::new("x.vbundle")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.vbundle: labels[0].cancelled: 9 cancelled samples of 1 in all; the bundle is \
             damaged or was not written by vajra: report on the run's JTL instead"
        );
    }
}
