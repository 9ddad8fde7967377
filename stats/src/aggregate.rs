//! BlazeMeter's aggregate report row ([`AggregateRow`]) and the plain-text console table.
//!
//! The serde names are BlazeMeter's JSON names, so `vajra cloud` can read BlazeMeter's own
//! report into this type. BlazeMeter leaves some fields out (`concurrency` is absent in older
//! reports) or sends `null`; those read as `None` or 0 instead of failing.

use serde::{Deserialize, Deserializer, Serialize};

use super::label::LabelStats;

/// One label of BlazeMeter's aggregate report (`labelId` "ALL" is the total). Times in ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateRow {
    #[serde(rename = "labelId")]
    pub label_id: String,
    #[serde(rename = "labelName")]
    pub label_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub samples: u64,
    #[serde(
        rename = "avgResponseTime",
        default,
        deserialize_with = "null_as_default"
    )]
    pub avg_response_time: f64,
    #[serde(
        rename = "medianResponseTime",
        default,
        deserialize_with = "null_as_default"
    )]
    pub median_response_time: f64,
    #[serde(rename = "90line", default, deserialize_with = "null_as_default")]
    pub line90: f64,
    #[serde(rename = "95line", default, deserialize_with = "null_as_default")]
    pub line95: f64,
    #[serde(rename = "99line", default, deserialize_with = "null_as_default")]
    pub line99: f64,
    #[serde(
        rename = "minResponseTime",
        default,
        deserialize_with = "null_as_default"
    )]
    pub min_response_time: f64,
    #[serde(
        rename = "maxResponseTime",
        default,
        deserialize_with = "null_as_default"
    )]
    pub max_response_time: f64,
    /// Population standard deviation of the response time.
    #[serde(rename = "stDev", default, deserialize_with = "null_as_default")]
    pub st_dev: f64,
    #[serde(rename = "avgLatency", default, deserialize_with = "null_as_default")]
    pub avg_latency: f64,
    /// Mean bytes received per sample.
    #[serde(rename = "avgBytes", default, deserialize_with = "null_as_default")]
    pub avg_bytes: f64,
    /// Samples per second over `duration`.
    #[serde(
        rename = "avgThroughput",
        default,
        deserialize_with = "null_as_default"
    )]
    pub avg_throughput: f64,
    /// Seconds from the label's first sample start to its last sample end.
    #[serde(default, deserialize_with = "null_as_default")]
    pub duration: f64,
    #[serde(rename = "errorsCount", default, deserialize_with = "null_as_default")]
    pub errors_count: u64,
    /// Percentage of failed samples (0–100).
    #[serde(rename = "errorsRate", default, deserialize_with = "null_as_default")]
    pub errors_rate: f64,
    /// The most threads (requests in flight) any sample saw. Absent in some BlazeMeter reports.
    #[serde(default)]
    pub concurrency: Option<f64>,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn us_to_ms(us: f64) -> f64 {
    us / 1000.0
}

impl AggregateRow {
    pub(crate) fn new(id: &str, name: &str, stats: &LabelStats) -> Self {
        let elapsed = stats.elapsed();
        let quantile_ms = |q| us_to_ms(elapsed.quantile_us(q) as f64);
        AggregateRow {
            label_id: id.to_owned(),
            label_name: name.to_owned(),
            samples: stats.samples(),
            avg_response_time: us_to_ms(elapsed.mean_us()),
            median_response_time: quantile_ms(0.5),
            line90: quantile_ms(0.9),
            line95: quantile_ms(0.95),
            line99: quantile_ms(0.99),
            min_response_time: us_to_ms(elapsed.min_us() as f64),
            max_response_time: us_to_ms(elapsed.max_us() as f64),
            st_dev: us_to_ms(elapsed.stddev_us()),
            avg_latency: us_to_ms(stats.latency().mean_us()),
            avg_bytes: if stats.samples() == 0 {
                0.0
            } else {
                stats.bytes_received() as f64 / stats.samples() as f64
            },
            avg_throughput: stats.throughput(),
            duration: stats.duration_s(),
            errors_count: stats.errors(),
            errors_rate: stats.error_pct(),
            concurrency: Some(f64::from(stats.max_active_threads())),
        }
    }
}

/// The most chars of a label a console table shows; longer labels end in `…` there (JSON, CSV
/// and the HTML report keep them whole).
pub const CONSOLE_LABEL_CHARS: usize = 60;

/// `label` cut to [`CONSOLE_LABEL_CHARS`] chars, with an ellipsis when cut.
pub(crate) fn console_label(label: &str) -> std::borrow::Cow<'_, str> {
    match label.char_indices().nth(CONSOLE_LABEL_CHARS) {
        None => std::borrow::Cow::Borrowed(label),
        Some(_) => {
            let end = label
                .char_indices()
                .nth(CONSOLE_LABEL_CHARS - 1)
                .map_or(label.len(), |(i, _)| i);
            std::borrow::Cow::Owned(format!("{}…", &label[..end]))
        }
    }
}

/// Appends `text` padded with spaces to `width` chars. Padding by hand rather than with a
/// `{:<width$}` format, whose width is limited to `u16::MAX` and panics beyond it.
pub(crate) fn push_padded(out: &mut String, text: &str, width: usize, right_align: bool) {
    let pad = width.saturating_sub(text.chars().count());
    if right_align {
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str(text);
    } else {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', pad));
    }
}

/// A plain-text table of `rows`, one line each, columns aligned: label (at most
/// [`CONSOLE_LABEL_CHARS`] chars), samples, errors %, avg, p50, p90, p95, p99, max (ms) and TPS.
pub fn render_table(rows: &[AggregateRow]) -> String {
    const HEADER: [&str; 10] = [
        "label", "samples", "errors %", "avg ms", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms",
        "TPS",
    ];
    let lines: Vec<[String; 10]> = rows
        .iter()
        .map(|r| {
            [
                console_label(&r.label_name).into_owned(),
                r.samples.to_string(),
                format!("{:.2}", r.errors_rate),
                format!("{:.1}", r.avg_response_time),
                format!("{:.1}", r.median_response_time),
                format!("{:.1}", r.line90),
                format!("{:.1}", r.line95),
                format!("{:.1}", r.line99),
                format!("{:.1}", r.max_response_time),
                format!("{:.1}", r.avg_throughput),
            ]
        })
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut line = String::new();
        for (i, (cell, width)) in cells.zip(widths).enumerate() {
            // Labels read best left-aligned, numbers right-aligned.
            if i > 0 {
                line.push_str("  ");
            }
            push_padded(&mut line, cell, width, i > 0);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_line(&mut HEADER.iter().copied());
    for line in &lines {
        push_line(&mut line.iter().map(String::as_str));
    }
    out
}
