//! HDR interval logs: what is written reads back as the same histograms, and logs merge exactly.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use hdrhistogram::Histogram;
use vajra_stats::sample::{Observation, ResponseCode};
use vajra_stats::{read_hdr_log, HdrLogError, HdrLogWriter, IntervalStats, Stats};

const T0: u64 = 1_700_000_000_000;
const LABELS: [&str; 3] = ["GET /", "search \"q\", page 100%", "плохо"];

fn obs(label: &str, timestamp_ms: u64, elapsed_us: u64) -> Observation<'_> {
    Observation {
        timestamp_ms,
        label,
        elapsed_us,
        latency_us: elapsed_us / 2,
        connect_us: 0,
        service_us: Some(elapsed_us),
        bytes_received: 10,
        bytes_sent: 10,
        success: true,
        response_code: ResponseCode::Status(200),
        response_message: "OK",
        failure_message: "",
        active_threads: 1,
        url: "http://127.0.0.1/",
    }
}

/// A deterministic spread of values from 1 µs to about 20 s.
fn elapsed(i: u64) -> u64 {
    1 + (i * 7_919 % 1_000) * (i % 20_011) * (1 + i % 3)
}

/// Per interval: each histogram written with its tag and the (start, end) ms it must cover.
type Written = Vec<Vec<(Option<String>, Histogram<u64>, (u64, u64))>>;

/// Three one-second intervals of samples, written to `path`; returns the totals recorded and the
/// interval histograms written with their labels, per interval, the total (no label) first.
fn write_log(path: &Path, offset: u64) -> (Stats, Written) {
    let file = BufWriter::new(File::create(path).unwrap());
    let mut writer = HdrLogWriter::new(file, T0).unwrap();
    let mut stats = Stats::new();
    let mut interval = IntervalStats::new(T0);
    let mut written = Vec::new();
    for second in 0..3u64 {
        // Each label's span: earliest start, latest start + elapsed rounded to whole ms.
        let mut spans = std::collections::BTreeMap::<&str, (u64, u64)>::new();
        for i in 0..(200 + second * 50) {
            // Label 2 has no samples in the second interval.
            let label = LABELS[(i % 3) as usize];
            if second == 1 && label == LABELS[2] {
                continue;
            }
            let o = obs(label, T0 + second * 1000 + i, elapsed(i + offset + second));
            let end = o.timestamp_ms + (o.elapsed_us + 500) / 1000;
            let span = spans.entry(label).or_insert((o.timestamp_ms, end));
            *span = (span.0.min(o.timestamp_ms), span.1.max(end));
            stats.record(&o);
            interval.record(&o);
        }
        let start = T0 + second * 1000;
        let end = start + 1000;
        writer.write_interval(&interval, end).unwrap();
        written.push(
            std::iter::once((None, interval.total().clone(), (start, end)))
                .chain(
                    interval
                        .labels()
                        .into_iter()
                        .map(|(label, h)| (Some(label.to_owned()), h.clone(), spans[label])),
                )
                .collect(),
        );
        interval.take(end);
    }
    writer.into_inner().flush().unwrap();
    (stats, written)
}

/// Same counts at the same values, and not trivially empty. (`Histogram`'s `==` also compares
/// how far each has grown, which differs between a recorded and a decoded histogram.)
fn same(a: &Histogram<u64>, b: &Histogram<u64>) -> bool {
    let contents = |h: &Histogram<u64>| {
        h.iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect::<Vec<_>>()
    };
    !a.is_empty() && contents(a) == contents(b)
}

#[test]
fn written_intervals_read_back_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.hlog");
    let (_, written) = write_log(&path, 0);

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("#[Histogram log format version 1.3]\n"));
    assert!(text.contains("#[StartTime: 1700000000.000 (seconds since epoch)]\n"));
    // A label's interval is its samples' span: this label's first sample starts at T0 + 1 ms.
    assert!(text.contains("Tag=search%20\"q\"%2C%20page%20100%25,1700000000.001,"));

    let log = read_hdr_log(&path).unwrap();
    // 4 + 3 + 4: the total and each label with samples in the interval.
    assert_eq!(log.intervals.len(), 11);
    let mut read = log.intervals.iter();
    for (second, histograms) in written.iter().enumerate() {
        for (tag, histogram, (start, end)) in histograms {
            let interval = read.next().unwrap();
            assert_eq!(&interval.tag, tag, "labels survive percent-encoding");
            assert_eq!(interval.start_ms, *start, "{second} {tag:?}");
            assert_eq!(
                interval.start_ms + interval.length_ms,
                *end,
                "{second} {tag:?}"
            );
            assert!(same(&interval.histogram, histogram), "{second} {tag:?}");
        }
    }
}

#[test]
fn tags_are_the_labels_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.hlog");
    write_log(&path, 0);
    let log = read_hdr_log(&path).unwrap();
    let first_interval: Vec<Option<&str>> = log.intervals[..4]
        .iter()
        .map(|i| i.tag.as_deref())
        .collect();
    let mut sorted = LABELS;
    sorted.sort_unstable();
    assert_eq!(first_interval[0], None);
    assert_eq!(first_interval[1..], sorted.map(Some)[..]);
}

#[test]
fn logs_of_two_workers_merge_to_the_exact_run_histograms() {
    let dir = tempfile::tempdir().unwrap();
    let (path_a, path_b) = (dir.path().join("a.hlog"), dir.path().join("b.hlog"));
    let (mut stats, _) = write_log(&path_a, 0);
    let (stats_b, _) = write_log(&path_b, 5);
    stats.merge(&stats_b);

    let mut totals = read_hdr_log(&path_a).unwrap().totals();
    totals.merge(&read_hdr_log(&path_b).unwrap().totals());

    assert!(same(&totals.total, stats.total().elapsed().histogram()));
    assert_eq!(totals.labels.len(), LABELS.len());
    for label in LABELS {
        let from_log = &totals.labels[label];
        let recorded = stats.label(label).unwrap().elapsed();
        assert!(same(from_log, recorded.histogram()), "{label}");
        assert_eq!(
            from_log.value_at_quantile(0.99),
            recorded.histogram().value_at_quantile(0.99)
        );
    }
}

#[test]
fn java_style_base_time_offsets_are_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.hlog");
    write_log(&ours, 0);
    // Rewrite the first interval the way Java's writer does with a BaseTime: offsets from it.
    let text = std::fs::read_to_string(&ours).unwrap();
    let interval = text
        .lines()
        .find(|l| l.starts_with("1700000000.000,"))
        .unwrap();
    let java = dir.path().join("java.hlog");
    std::fs::write(
        &java,
        format!(
            "#[StartTime: 1700000000.000 (seconds since epoch)]\n\
             #[BaseTime: 1699999990.000 (seconds since epoch)]\n\
             {}",
            interval.replacen("1700000000.000", "10.000", 1)
        ),
    )
    .unwrap();
    let log = read_hdr_log(&java).unwrap();
    assert_eq!(log.intervals.len(), 1);
    assert_eq!(log.intervals[0].start_ms, T0);
}

#[test]
fn bad_logs_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.hlog");
    std::fs::write(&path, "#comment\n1.000,1.000,5.0,bm90IGEgaGlzdG9ncmFt\n").unwrap();
    let err = read_hdr_log(&path).unwrap_err();
    assert!(
        matches!(err, HdrLogError::Histogram { line: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("bad.hlog, line 2"), "{err}");

    std::fs::write(&path, "#comment\nnot a log line\n").unwrap();
    let err = read_hdr_log(&path).unwrap_err();
    assert!(
        matches!(err, HdrLogError::Syntax { line: 2, .. }),
        "{err:?}"
    );

    let err = read_hdr_log(&dir.path().join("missing.hlog")).unwrap_err();
    assert!(err.to_string().contains("missing.hlog"), "{err}");
}

/// One interval line holding `histogram`, deflate-compressed and base64-encoded as Java writes.
fn interval_line(start: &str, histogram: &Histogram<u64>) -> String {
    use base64::Engine as _;
    use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(histogram, &mut bytes)
        .unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("{start},1.000,{}.0,{encoded}\n", histogram.max())
}

fn histogram_of(values: &[(u64, u64)]) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new(3).unwrap();
    for &(value, count) in values {
        h.record_n(value, count).unwrap();
    }
    h
}

fn read_text(text: &str) -> Result<vajra_stats::HdrLog, HdrLogError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.hlog");
    std::fs::write(&path, text).unwrap();
    read_hdr_log(&path)
}

/// A huge `BaseTime` or interval start once overflowed a `Duration` sum (a panic).
#[test]
fn huge_times_are_refused_with_the_line() {
    let line = interval_line("10.000", &histogram_of(&[(1_000, 1)]));
    let cases = [
        format!("#[BaseTime: 18446744073709551000.000 (seconds since epoch)]\n{line}"),
        format!("#[StartTime: 18446744073709551000.000 (seconds since epoch)]\n{line}"),
        format!(
            "#[BaseTime: 253402300000.000 (seconds since epoch)]\n{}",
            interval_line("18446744073709551000.000", &histogram_of(&[(1, 1)]))
        ),
        format!(
            "#[BaseTime: 253402300000.000 (seconds since epoch)]\n{}",
            interval_line("253402300000.000", &histogram_of(&[(1, 1)]))
        ),
    ];
    for (i, text) in cases.iter().enumerate() {
        let err = read_text(text).unwrap_err();
        let line = if i < 2 { 1 } else { 2 };
        assert!(
            matches!(err, HdrLogError::OutOfRange { line: l, .. } if l == line),
            "case {i}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains(&format!("case.hlog, line {line}: the ")),
            "{message}"
        );
        assert!(message.contains("after the year 9999"), "{message}");
    }
}

/// Counts that decode to 2^62 once made `vajra report` replay 2^62 samples one by one.
#[test]
fn absurd_counts_and_values_are_refused_fast() {
    let started = std::time::Instant::now();
    let text = format!(
        "#c\n{}",
        interval_line("1700000000.000", &histogram_of(&[(1_000, 1 << 62)]))
    );
    let err = read_text(&text).unwrap_err();
    assert!(
        matches!(err, HdrLogError::OutOfRange { line: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("counts 4611686018427387904 samples"),
        "{err}"
    );

    let text = interval_line("1700000000.000", &histogram_of(&[(1 << 50, 1)]));
    let err = read_text(&text).unwrap_err();
    assert!(
        err.to_string()
            .contains("line 1: the histogram holds a value of"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// A histogram's count of 10^12 at one value is one bucket to record, not 10^12 samples.
#[test]
fn log_stats_record_buckets_not_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.hlog");
    let many = vajra_stats::MAX_INTERVAL_COUNT - 3;
    let text = format!(
        "{}{}",
        interval_line(
            "1700000000.000",
            &histogram_of(&[(1_000, many), (2_000, 3)])
        ),
        interval_line("1700000001.000", &histogram_of(&[(5_000, 7)]))
    );
    std::fs::write(&path, text).unwrap();
    let started = std::time::Instant::now();
    let stats = vajra_stats::read_hdr_log_stats(&path).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let untagged = stats.label(vajra_stats::UNTAGGED_LABEL).unwrap();
    assert_eq!(untagged.samples(), many + 10);
    // Each bucket at its highest equivalent value, as HdrHistogram reports percentiles.
    let h = histogram_of(&[]);
    assert_eq!(untagged.elapsed().max_us(), h.highest_equivalent(5_000));
    assert_eq!(untagged.elapsed().min_us(), h.highest_equivalent(1_000));
    assert_eq!(stats.timeline().len(), 2);
}

/// Replaying a log through `read_hdr_log_stats` gives the tagged labels' histograms exactly,
/// and leaves out the untagged total when tagged intervals exist.
#[test]
fn log_stats_equal_the_logged_histograms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.hlog");
    write_log(&path, 0);
    let stats = vajra_stats::read_hdr_log_stats(&path).unwrap();
    let totals = read_hdr_log(&path).unwrap().totals();
    assert!(stats.label(vajra_stats::UNTAGGED_LABEL).is_none());
    for label in LABELS {
        let replayed = stats.label(label).unwrap().elapsed();
        let logged = &totals.labels[label];
        assert_eq!(replayed.count(), logged.len(), "{label}");
        assert_eq!(
            replayed.quantile_us(0.5),
            logged
                .highest_equivalent(logged.value_at_quantile(0.5))
                .clamp(replayed.min_us(), replayed.max_us()),
            "{label}"
        );
    }
}

/// A label's window from one of our logs is its samples' own span, to the ms as the JTL writes
/// them, whatever the interval boundaries; so its throughput is the JTL's.
#[test]
fn log_stats_give_each_label_its_samples_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.hlog");
    let (recorded, written) = write_log(&path, 0);
    let stats = vajra_stats::read_hdr_log_stats(&path).unwrap();
    for label in LABELS {
        let spans: Vec<(u64, u64)> = written
            .iter()
            .flatten()
            .filter(|(tag, _, _)| tag.as_deref() == Some(label))
            .map(|&(_, _, span)| span)
            .collect();
        let start = spans.iter().map(|s| s.0).min().unwrap();
        let end = spans.iter().map(|s| s.1).max().unwrap();
        let read = stats.label(label).unwrap();
        assert_eq!(read.first_timestamp_ms(), Some(start), "{label}");
        assert_eq!(read.last_end_ms(), Some(end), "{label}");
        let direct = recorded.label(label).unwrap();
        assert_eq!(read.samples(), direct.samples(), "{label}");
        assert_eq!(read.first_timestamp_ms(), direct.first_timestamp_ms());
        // The direct statistics keep µs; the log rounds each end to the ms, as the JTL does.
        assert!(
            read.last_end_ms()
                .unwrap()
                .abs_diff(direct.last_end_ms().unwrap())
                <= 1
        );
        let rate = read.samples() as f64 * 1000.0 / (end - start) as f64;
        assert!((read.throughput() - rate).abs() < 1e-9, "{label}");
    }
}

/// A log with intervals at the recorder's boundaries (Java's writer): a label's window runs from
/// its first interval's start to its last interval's end, not to that start plus the largest
/// value (which undercounted the window by nearly an interval).
#[test]
fn log_stats_of_aligned_intervals_span_whole_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("java.hlog");
    let text = format!(
        "{}{}",
        interval_line("1700000000.000", &histogram_of(&[(1_000, 50)])),
        interval_line("1700000001.000", &histogram_of(&[(2_000, 50)]))
    );
    std::fs::write(&path, text).unwrap();
    let stats = vajra_stats::read_hdr_log_stats(&path).unwrap();
    let untagged = stats.label(vajra_stats::UNTAGGED_LABEL).unwrap();
    assert_eq!(untagged.samples(), 100);
    assert_eq!(untagged.first_timestamp_ms(), Some(1_700_000_000_000));
    assert_eq!(untagged.last_end_ms(), Some(1_700_000_002_000));
    assert!((untagged.throughput() - 50.0).abs() < 1e-9);
}
