//! The self-contained HTML report: one file, readable with no network, with charts of
//! throughput, response time and errors over time, the label table and the errors table.
//!
//! # How the parts fit
//!
//! - [`ReportInput`] is everything the report shows, made only of the shared report types
//!   ([`AggregateRow`], [`ErrorsReportEntry`], [`LabelTimeline`], [`RunFacts`]), so it can be
//!   built from a local [`Stats`] ([`ReportInput::from_stats`]) or from BlazeMeter's results.
//! - [`render`] is a pure function of it: the numbers are formatted here and filled into the
//!   askama template `html/report.html`, which escapes all text (labels and error messages come
//!   from user files). The chart data goes into a `<script type="application/json">` block;
//!   `html/report.js` draws it with uPlot (MIT, vendored in `html/`, see its README), inlined
//!   into the page with its CSS.
//!
//! # Charts
//!
//! - Throughput: samples/s and errors/s of the total, samples/s of the busiest labels.
//! - Response time: the mean per interval of the total and of the busiest labels, with the whole
//!   run's p90, p95 and p99 of the total as dashed reference lines. Percentiles per second are
//!   not drawn: the timeline keeps exact sums per second (which merge exactly), not a histogram
//!   per second.
//! - Errors: failed samples in % per interval, of the total and of the busiest labels.
//!
//! Per-label series are drawn for at most [`MAX_LABEL_SERIES`] labels, those with the most
//! samples; the tables list every label.
//!
//! # Size of long runs
//!
//! All series share one time axis of at most [`MAX_POINTS`] intervals: consecutive seconds are
//! pooled into intervals of `step` seconds, `step` the smallest whole number of seconds that
//! gives at most [`MAX_POINTS`] intervals (a 1-hour run: 2 s; a day: 44 s). Pooling sums the
//! counts and weights the means by samples, so every interval is exact for its span: nothing is
//! dropped, and a 1-hour run stays well under a megabyte.
//!
//! # Signals for tests
//!
//! After drawing, the page sets `data-charts="ok"` on `<body>` (`"empty"` without timeline data,
//! `"error: …"` if drawing failed) and `data-painted` on each chart: the number of canvas pixels
//! in the colour of the chart's first series, i.e. proof that its line was drawn.

use askama::Template;
use serde::Serialize;

use crate::outcome::RunOutcome;
use crate::{
    AggregateRow, ErrorsReportEntry, LabelTimeline, RunFacts, Stats, TimelinePoint, TOTAL_LABEL,
};

/// The most intervals of the shared time axis (points per series).
pub const MAX_POINTS: u64 = 2000;

/// The most labels that get their own line in the charts.
pub const MAX_LABEL_SERIES: usize = 10;

/// Everything the HTML report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    pub title: String,
    /// What the runner knew about the run; `None` for results that come without (JTL files).
    pub facts: Option<RunFacts>,
    /// "ALL" first, as [`Stats::aggregate`] gives it.
    pub aggregate: Vec<AggregateRow>,
    /// "ALL" first, as [`Stats::errors_report`] gives it.
    pub errors: Vec<ErrorsReportEntry>,
    /// "ALL" first, as [`Stats::timelines`] gives it.
    pub timelines: Vec<LabelTimeline>,
    /// The verdict, stop reason, arrivals and rates of a `vajra run`; `None` otherwise.
    pub outcome: Option<RunOutcome>,
    /// Shown above everything else (e.g. the workers a fleet report lacks).
    pub warnings: Vec<String>,
}

impl ReportInput {
    pub fn from_stats(stats: &Stats, title: impl Into<String>, facts: Option<&RunFacts>) -> Self {
        ReportInput {
            title: title.into(),
            facts: facts.cloned(),
            aggregate: stats.aggregate(),
            errors: stats.errors_report(),
            timelines: stats.timelines(),
            outcome: None,
            warnings: Vec::new(),
        }
    }
}

/// The report as one HTML document.
pub fn render(input: &ReportInput) -> String {
    let total = input
        .aggregate
        .iter()
        .find(|row| row.label_id == TOTAL_LABEL);
    let page = Page {
        title: &input.title,
        version: env!("CARGO_PKG_VERSION"),
        facts: facts(input.facts.as_ref(), total, input.outcome.is_some()),
        outcome: input.outcome.as_ref().map(OutcomeView::new),
        warnings: &input.warnings,
        label_rows: input.aggregate.iter().map(LabelRow::new).collect(),
        error_rows: error_rows(&input.errors),
        chart_json: script_json(&chart_data(&input.timelines, total)),
        uplot_js: include_str!("html/uPlot.iife.min.js"),
        uplot_css: include_str!("html/uPlot.min.css"),
        report_js: include_str!("html/report.js"),
    };
    page.render()
        .expect("the report template only formats strings, which cannot fail")
}

#[derive(Template)]
#[template(path = "report.html", config = "src/report/html/askama.toml")]
struct Page<'a> {
    title: &'a str,
    version: &'static str,
    facts: Vec<(&'static str, String)>,
    outcome: Option<OutcomeView<'a>>,
    warnings: &'a [String],
    label_rows: Vec<LabelRow<'a>>,
    error_rows: Vec<ErrorRow<'a>>,
    chart_json: String,
    uplot_js: &'static str,
    uplot_css: &'static str,
    report_js: &'static str,
}

/// The verdict and the run's accounting, formatted for the template.
struct OutcomeView<'a> {
    /// `passed`, `failed` or `invalid`, also the banner's CSS class.
    result: String,
    reasons: &'a [String],
    warnings: &'a [String],
    criteria: &'a [crate::outcome::CriterionResult],
    /// (name, value) pairs: stop reason, arrivals, rates.
    facts: Vec<(&'static str, String)>,
}

impl<'a> OutcomeView<'a> {
    fn new(o: &'a RunOutcome) -> Self {
        let a = &o.arrivals;
        let r = &o.rates;
        let count = |n: u64, pct: f64| format!("{n} ({} %)", fixed(pct));
        OutcomeView {
            result: o.verdict.result.to_string(),
            reasons: &o.verdict.reasons,
            warnings: &o.verdict.warnings,
            criteria: &o.verdict.criteria,
            facts: vec![
                ("Stop reason", o.stop_reason.clone()),
                ("Scheduled arrivals", a.scheduled.to_string()),
                ("Sent", count(a.sent, 100.0 - a.missed_pct)),
                ("Dropped", count(a.dropped, a.dropped_pct)),
                ("Unsent", count(a.unsent, a.unsent_pct)),
                ("Late", count(a.late, a.late_pct)),
                ("Target", format!("{} it/s", fixed(r.target_its))),
                ("Achieved", format!("{} it/s", fixed(r.achieved_its))),
                (
                    "Achieved requests",
                    format!("{} req/s", fixed(r.achieved_reqs)),
                ),
                ("Measured window", format!("{} s", fixed(r.window_s))),
            ],
        }
    }
}

/// The run facts and headline numbers above the charts, as (name, value).
/// With an outcome, the target and the arrivals are shown with it instead, in their units.
fn facts(
    facts: Option<&RunFacts>,
    total: Option<&AggregateRow>,
    with_outcome: bool,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(f) = facts {
        let started = chrono::DateTime::from_timestamp_millis(f.started_at_ms as i64)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| f.started_at_ms.to_string());
        out.push(("Started", started));
        out.push(("Duration", format!("{:.1} s", f.duration_s)));
        out.push(("Load", f.pattern.clone()));
        if !with_outcome {
            out.push(("Target rate", format!("{:.1}/s", f.target_tps)));
        }
    }
    if let Some(t) = total {
        out.push(("Samples", t.samples.to_string()));
        out.push(("Throughput", format!("{} req/s", fixed(t.avg_throughput))));
        out.push((
            "Errors",
            format!("{} ({} %)", t.errors_count, fixed(t.errors_rate)),
        ));
        out.push(("Average", format!("{} ms", fixed(t.avg_response_time))));
        out.push(("p95", format!("{} ms", fixed(t.line95))));
        out.push(("p99", format!("{} ms", fixed(t.line99))));
    }
    if let Some(f) = facts.filter(|_| !with_outcome) {
        out.push(("Dropped", f.dropped.to_string()));
        out.push(("Late", f.late.to_string()));
        out.push(("Unsent at stop", f.unsent.to_string()));
    }
    out
}

/// Two decimals: response times are µs-exact, rates and percentages need no more.
fn fixed(value: f64) -> String {
    format!("{value:.2}")
}

/// One row of the label table, formatted.
struct LabelRow<'a> {
    label: &'a str,
    total: bool,
    /// Samples, errors, error %, avg, median, p90, p95, p99, min, max, stddev, throughput.
    cells: [String; 12],
}

impl<'a> LabelRow<'a> {
    fn new(row: &'a AggregateRow) -> Self {
        LabelRow {
            label: &row.label_name,
            total: row.label_id == TOTAL_LABEL,
            cells: [
                row.samples.to_string(),
                row.errors_count.to_string(),
                fixed(row.errors_rate),
                fixed(row.avg_response_time),
                fixed(row.median_response_time),
                fixed(row.line90),
                fixed(row.line95),
                fixed(row.line99),
                fixed(row.min_response_time),
                fixed(row.max_response_time),
                fixed(row.st_dev),
                fixed(row.avg_throughput),
            ],
        }
    }
}

/// One cause of the errors table.
struct ErrorRow<'a> {
    label: &'a str,
    kind: &'a str,
    code: &'a str,
    message: &'a str,
    count: u64,
}

/// Every cause of every label. The total's entry repeats the labels' causes, so it is listed
/// only when it is the only entry (results that come without labels).
fn error_rows(entries: &[ErrorsReportEntry]) -> Vec<ErrorRow<'_>> {
    let labels: Vec<&ErrorsReportEntry> = entries.iter().filter(|e| e.id != TOTAL_LABEL).collect();
    let shown = if labels.is_empty() {
        entries.iter().collect()
    } else {
        labels
    };
    let mut rows = Vec::new();
    for entry in shown {
        let label = entry.name.as_str();
        rows.extend(entry.errors.iter().map(|e| ErrorRow {
            label,
            kind: "response",
            code: &e.rc,
            message: &e.m,
            count: e.count,
        }));
        rows.extend(entry.assertions.iter().map(|a| ErrorRow {
            label,
            kind: "assertion",
            code: &a.name,
            message: &a.failure_message,
            count: a.failures,
        }));
        if entry.other_errors_count > 0 {
            rows.push(ErrorRow {
                label,
                kind: "other",
                code: "",
                message: "(causes beyond the distinct-cause limit)",
                count: entry.other_errors_count,
            });
        }
    }
    rows
}

/// The shared time axis: intervals of `step` seconds from `start`, the last one ending with
/// second `end` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Axis {
    start: u64,
    end: u64,
    step: u64,
}

impl Axis {
    /// The axis covering every point of `timelines`; `None` when they have no points.
    fn covering(timelines: &[LabelTimeline]) -> Option<Axis> {
        let seconds = timelines.iter().flat_map(|t| t.points.iter().map(|p| p.ts));
        let (start, end) = seconds.fold(None, |range, ts| match range {
            None => Some((ts, ts)),
            Some((lo, hi)) => Some((ts.min(lo), ts.max(hi))),
        })?;
        let span = end - start + 1;
        Some(Axis {
            start,
            end,
            step: span.div_ceil(MAX_POINTS),
        })
    }

    fn len(&self) -> usize {
        // At most MAX_POINTS, so it fits any usize.
        ((self.end - self.start + 1).div_ceil(self.step)) as usize
    }

    fn index(&self, ts: u64) -> usize {
        ((ts - self.start) / self.step) as usize
    }

    fn interval_start(&self, index: usize) -> u64 {
        self.start + index as u64 * self.step
    }

    /// Seconds in interval `index`: `step`, or fewer for the last one.
    fn seconds(&self, index: usize) -> u64 {
        self.step.min(self.end + 1 - self.interval_start(index))
    }
}

/// Sums of the seconds pooled into one interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Pooled {
    samples: u64,
    errors: u64,
    response_ms_sum: f64,
}

/// `points` pooled onto `axis`, which must cover them.
fn pool(points: &[TimelinePoint], axis: &Axis) -> Vec<Pooled> {
    let mut pooled = vec![Pooled::default(); axis.len()];
    for p in points {
        let interval = &mut pooled[axis.index(p.ts)];
        interval.samples += p.samples;
        interval.errors += p.errors;
        interval.response_ms_sum += p.avg_response_time_ms * p.samples as f64;
    }
    pooled
}

/// What `report.js` draws.
#[derive(Debug, Serialize)]
struct ChartData {
    step_s: u64,
    /// Interval starts, seconds since the Unix epoch.
    x: Vec<u64>,
    /// The total first, then the busiest labels.
    series: Vec<Series>,
    /// The whole run's p90, p95 and p99 of the total, ms.
    percentiles_ms: Option<[f64; 3]>,
}

#[derive(Debug, Serialize)]
struct Series {
    label: String,
    samples_per_s: Vec<f64>,
    errors_per_s: Vec<f64>,
    /// `null` for intervals without samples.
    avg_ms: Vec<Option<f64>>,
}

fn chart_data(timelines: &[LabelTimeline], total: Option<&AggregateRow>) -> ChartData {
    let percentiles_ms = total.map(|t| [t.line90, t.line95, t.line99]);
    let Some(axis) = Axis::covering(timelines) else {
        return ChartData {
            step_s: 1,
            x: Vec::new(),
            series: Vec::new(),
            percentiles_ms,
        };
    };
    let series = charted(timelines)
        .into_iter()
        .map(|timeline| {
            let pooled = pool(&timeline.points, &axis);
            let per_s = |i: usize, n: u64| round3(n as f64 / axis.seconds(i) as f64);
            Series {
                label: timeline.label.clone(),
                samples_per_s: pooled
                    .iter()
                    .enumerate()
                    .map(|(i, p)| per_s(i, p.samples))
                    .collect(),
                errors_per_s: pooled
                    .iter()
                    .enumerate()
                    .map(|(i, p)| per_s(i, p.errors))
                    .collect(),
                avg_ms: pooled
                    .iter()
                    .map(|p| (p.samples > 0).then(|| round3(p.response_ms_sum / p.samples as f64)))
                    .collect(),
            }
        })
        .collect();
    ChartData {
        step_s: axis.step,
        x: (0..axis.len()).map(|i| axis.interval_start(i)).collect(),
        series,
        percentiles_ms,
    }
}

/// The timelines that get a line: the total (the first one) and the [`MAX_LABEL_SERIES`]
/// labels with the most samples, in their given order.
fn charted(timelines: &[LabelTimeline]) -> Vec<&LabelTimeline> {
    let Some((total, labels)) = timelines.split_first() else {
        return Vec::new();
    };
    let samples = |t: &LabelTimeline| t.points.iter().map(|p| p.samples).sum::<u64>();
    let mut busiest: Vec<usize> = (0..labels.len()).collect();
    busiest.sort_by_key(|&i| std::cmp::Reverse(samples(&labels[i])));
    busiest.truncate(MAX_LABEL_SERIES);
    busiest.sort_unstable();
    std::iter::once(total)
        .chain(busiest.into_iter().map(|i| &labels[i]))
        .collect()
}

/// Three decimals are plenty on a chart and keep the page small.
fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// JSON safe inside `<script>`: `<` only occurs inside JSON strings, where `\u003c` means the
/// same, so no `</script>` or `<!--` from a label can end the block.
fn script_json(data: &ChartData) -> String {
    serde_json::to_string(data)
        .expect("chart data is plain numbers and strings")
        .replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn point(ts: u64, samples: u64, errors: u64, avg_ms: f64) -> TimelinePoint {
        TimelinePoint {
            ts,
            samples,
            errors,
            avg_response_time_ms: avg_ms,
            avg_latency_ms: 0.0,
            active_threads: 1,
        }
    }

    fn timeline(label: &str, points: Vec<TimelinePoint>) -> LabelTimeline {
        LabelTimeline {
            label: label.to_owned(),
            points,
        }
    }

    #[test]
    fn short_runs_keep_one_point_per_second() {
        let t = [timeline(
            "ALL",
            vec![point(100, 5, 1, 2.0), point(102, 3, 0, 4.0)],
        )];
        let data = chart_data(&t, None);
        assert_eq!(data.step_s, 1);
        assert_eq!(data.x, vec![100, 101, 102]);
        let all = &data.series[0];
        assert_eq!(all.samples_per_s, vec![5.0, 0.0, 3.0]);
        assert_eq!(all.errors_per_s, vec![1.0, 0.0, 0.0]);
        assert_eq!(all.avg_ms, vec![Some(2.0), None, Some(4.0)]);
    }

    #[test]
    fn an_hour_is_pooled_into_two_second_intervals_with_exact_rates() {
        let points = (0..3600)
            .map(|s| {
                point(
                    1_000 + s,
                    10 + s % 2,
                    s % 2,
                    if s % 2 == 0 { 1.0 } else { 4.0 },
                )
            })
            .collect();
        let data = chart_data(&[timeline("ALL", points)], None);
        assert_eq!(data.step_s, 2);
        assert_eq!(data.x.len(), 1800);
        assert_eq!(data.x[1], 1_002);
        let all = &data.series[0];
        // 10 samples at 1 ms and 11 at 4 ms over 2 s.
        assert_eq!(all.samples_per_s[0], 10.5);
        assert_eq!(all.errors_per_s[0], 0.5);
        assert_eq!(all.avg_ms[0], Some(round3((10.0 + 44.0) / 21.0)));
    }

    #[test]
    fn a_short_last_interval_divides_by_its_own_seconds() {
        // 2001 seconds: step 2, the last interval is 1 s long.
        let t = [timeline(
            "ALL",
            vec![point(0, 4, 0, 1.0), point(2000, 4, 0, 1.0)],
        )];
        let data = chart_data(&t, None);
        assert_eq!((data.step_s, data.x.len()), (2, 1001));
        assert_eq!(data.series[0].samples_per_s[0], 2.0);
        assert_eq!(data.series[0].samples_per_s[1000], 4.0);
    }

    #[test]
    fn only_the_busiest_labels_get_a_line() {
        let mut timelines = vec![timeline("ALL", vec![point(0, 1, 0, 1.0)])];
        for i in 0..MAX_LABEL_SERIES + 3 {
            timelines.push(timeline(
                &format!("l{i:02}"),
                vec![point(0, i as u64, 0, 1.0)],
            ));
        }
        let labels: Vec<String> = charted(&timelines)
            .iter()
            .map(|t| t.label.clone())
            .collect();
        assert_eq!(labels.len(), MAX_LABEL_SERIES + 1);
        assert_eq!(labels[0], "ALL");
        assert_eq!(
            labels[1], "l03",
            "the three quietest are left out, order kept"
        );
        assert_eq!(labels[MAX_LABEL_SERIES], "l12");
    }

    #[test]
    fn no_points_give_an_empty_axis() {
        let data = chart_data(&[timeline("ALL", Vec::new())], None);
        assert!(data.x.is_empty() && data.series.is_empty());
    }

    #[test]
    fn script_json_cannot_close_the_script_block() {
        let t = [timeline("</script><!--", vec![point(0, 1, 0, 1.0)])];
        let json = script_json(&chart_data(&t, None));
        assert!(!json.contains('<'), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["series"][0]["label"], "</script><!--");
    }

    proptest! {
        #[test]
        fn pooling_keeps_every_sample_and_bounds_the_points(
            seconds in proptest::collection::btree_map(0u64..200_000, (1u64..50, 0u64..5), 1..60),
        ) {
            let points: Vec<TimelinePoint> = seconds
                .iter()
                .map(|(&ts, &(samples, errors))| point(ts, samples, errors.min(samples), 2.5))
                .collect();
            let t = [timeline("ALL", points.clone())];
            let axis = Axis::covering(&t).unwrap();
            prop_assert!(axis.len() as u64 <= MAX_POINTS);
            // The smallest step: one second less would need more than MAX_POINTS intervals.
            let span = axis.end - axis.start + 1;
            prop_assert!(axis.step == 1 || span.div_ceil(axis.step - 1) > MAX_POINTS);
            let pooled = pool(&points, &axis);
            let samples: u64 = points.iter().map(|p| p.samples).sum();
            let errors: u64 = points.iter().map(|p| p.errors).sum();
            prop_assert_eq!(pooled.iter().map(|p| p.samples).sum::<u64>(), samples);
            prop_assert_eq!(pooled.iter().map(|p| p.errors).sum::<u64>(), errors);
            let seconds: u64 = (0..axis.len()).map(|i| axis.seconds(i)).sum();
            prop_assert_eq!(seconds, span);
        }
    }
}
