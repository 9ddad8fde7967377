//! Text renderings of a [`Report`]: the console view, CSV of the aggregate report, Markdown
//! (for CI job summaries and pull requests). Pure functions from a report to a `String`.

use crate::aggregate::{console_label, push_padded};
use crate::{render_table, AggregateRow, ErrorsReportEntry, TOTAL_LABEL};

use super::Report;

/// The aggregate table, the errors by label, and notes on transactions. Labels longer than
/// [`crate::CONSOLE_LABEL_CHARS`] are cut with an ellipsis; the other formats keep them whole.
pub fn console(report: &Report) -> String {
    let mut out = String::new();
    if let Some(missing) = &report.missing_workers {
        out.push_str(&format!("{}\n\n", missing.statement));
    }
    out.push_str(&render_table(&report.aggregate));
    let causes = causes(&report.errors);
    if !causes.is_empty() {
        out.push_str("\nerrors by label:\n");
        let labels: Vec<_> = causes.iter().map(|c| console_label(c.label)).collect();
        let label_width = labels.iter().map(|l| l.chars().count()).max();
        let count_width = causes.iter().map(|c| c.count.len()).max();
        let (label_width, count_width) = (label_width.unwrap_or(0), count_width.unwrap_or(0));
        for (cause, label) in causes.iter().zip(&labels) {
            out.push_str("  ");
            push_padded(&mut out, label, label_width, false);
            out.push_str("  ");
            push_padded(&mut out, &cause.count, count_width, true);
            out.push_str("  ");
            out.push_str(&cause.what);
            out.push('\n');
        }
    }
    if !report.transaction_labels.is_empty() {
        let how = if report.transactions_excluded {
            "kept out of ALL (--include-transactions counts them)"
        } else {
            "counted in ALL"
        };
        out.push_str(&format!(
            "\ntransaction controllers {how}: {}\n",
            report.transaction_labels.join(", ")
        ));
    }
    out
}

/// One line of the errors section: a label, a count and what failed.
struct Cause<'a> {
    label: &'a str,
    count: String,
    what: String,
}

/// Every cause of every label ("ALL" left out: it repeats them), most frequent first per label.
fn causes(errors: &[ErrorsReportEntry]) -> Vec<Cause<'_>> {
    let mut causes = Vec::new();
    for entry in errors.iter().filter(|e| e.id != TOTAL_LABEL) {
        let label = entry.name.as_str();
        for e in &entry.errors {
            let what = match (e.rc.is_empty(), e.m.is_empty()) {
                (false, false) => format!("{} {}", e.rc, e.m),
                (false, true) => e.rc.clone(),
                _ => e.m.clone(),
            };
            causes.push(Cause {
                label,
                count: e.count.to_string(),
                what,
            });
        }
        for a in &entry.assertions {
            causes.push(Cause {
                label,
                count: a.failures.to_string(),
                what: format!("assertion: {}", a.failure_message),
            });
        }
        if entry.other_errors_count > 0 {
            causes.push(Cause {
                label,
                count: entry.other_errors_count.to_string(),
                what: "(other causes, not kept by name)".to_string(),
            });
        }
    }
    causes
}

/// The columns of the CSV, BlazeMeter's names, and how to get each from a row.
type Column = (&'static str, fn(&AggregateRow) -> String);

const CSV_COLUMNS: [Column; 17] = [
    ("labelName", |r| r.label_name.clone()),
    ("samples", |r| r.samples.to_string()),
    ("avgResponseTime", |r| r.avg_response_time.to_string()),
    ("medianResponseTime", |r| r.median_response_time.to_string()),
    ("90line", |r| r.line90.to_string()),
    ("95line", |r| r.line95.to_string()),
    ("99line", |r| r.line99.to_string()),
    ("minResponseTime", |r| r.min_response_time.to_string()),
    ("maxResponseTime", |r| r.max_response_time.to_string()),
    ("stDev", |r| r.st_dev.to_string()),
    ("avgLatency", |r| r.avg_latency.to_string()),
    ("avgBytes", |r| r.avg_bytes.to_string()),
    ("avgThroughput", |r| r.avg_throughput.to_string()),
    ("duration", |r| r.duration.to_string()),
    ("errorsCount", |r| r.errors_count.to_string()),
    ("errorsRate", |r| r.errors_rate.to_string()),
    ("concurrency", |r| {
        r.concurrency.map(|c| c.to_string()).unwrap_or_default()
    }),
];

/// The aggregate report as CSV: a header of BlazeMeter's field names, then "ALL" and the labels.
/// Times in ms, full precision.
pub fn csv(report: &Report) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, fields: Vec<String>| {
        out.write_record(&fields)
            .expect("writing CSV to memory cannot fail");
    };
    write(
        &mut out,
        CSV_COLUMNS
            .iter()
            .map(|(name, _)| name.to_string())
            .collect(),
    );
    for row in &report.aggregate {
        write(
            &mut out,
            CSV_COLUMNS.iter().map(|(_, get)| get(row)).collect(),
        );
    }
    let bytes = out
        .into_inner()
        .expect("flushing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8")
}

/// The aggregate table and the errors as GitHub-flavoured Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    if let Some(missing) = &report.missing_workers {
        out.push_str(&format!("> **{}**\n\n", cell(&missing.statement)));
    }
    out.push_str(
        "| label | samples | errors % | avg ms | p50 ms | p90 ms | p95 ms | p99 ms | max ms | TPS |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for r in &report.aggregate {
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            cell(&r.label_name),
            r.samples,
            r.errors_rate,
            r.avg_response_time,
            r.median_response_time,
            r.line90,
            r.line95,
            r.line99,
            r.max_response_time,
            r.avg_throughput
        ));
    }
    let causes = causes(&report.errors);
    if !causes.is_empty() {
        out.push_str("\n| label | count | error |\n|---|--:|---|\n");
        for c in &causes {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                cell(c.label),
                c.count,
                cell(&c.what)
            ));
        }
    }
    if !report.transaction_labels.is_empty() && report.transactions_excluded {
        out.push_str(&format!(
            "\nTransaction controllers kept out of ALL: {}\n",
            cell(&report.transaction_labels.join(", "))
        ));
    }
    out
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::BadRows;
    use crate::sample::{Observation, ResponseCode};
    use crate::Stats;

    fn observation<'a>(
        label: &'a str,
        elapsed_ms: u64,
        code: u16,
        message: &'a str,
    ) -> Observation<'a> {
        Observation {
            timestamp_ms: 1_700_000_000_000,
            label,
            elapsed_us: elapsed_ms * 1000,
            latency_us: 0,
            connect_us: 0,
            service_us: None,
            bytes_received: 10,
            bytes_sent: 0,
            success: code < 400,
            response_code: ResponseCode::Status(code),
            response_message: message,
            failure_message: "",
            active_threads: 1,
            url: "",
        }
    }

    fn report() -> Report {
        let mut stats = Stats::new();
        stats.record(&observation("a|b", 10, 200, "OK"));
        stats.record(&observation("a|b", 30, 500, "Internal Server Error"));
        stats.record(&observation("home", 20, 200, "OK"));
        stats.record_transaction(&observation(
            "buy",
            60,
            200,
            "Number of samples in transaction : 2",
        ));
        Report::new(&stats, BadRows::default())
    }

    #[test]
    fn console_lists_errors_by_label_and_the_transaction_choice() {
        let text = console(&report());
        assert!(text.starts_with("label"), "{text}");
        assert!(
            text.contains("\nerrors by label:\n  a|b  1  500 Internal Server Error\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "transaction controllers kept out of ALL (--include-transactions counts them): buy"
            ),
            "{text}"
        );
    }

    /// A label far beyond `u16::MAX` chars (a format width's limit) renders: cut with an
    /// ellipsis in the console, whole in JSON, CSV and Markdown.
    #[test]
    fn huge_labels_render_cut_in_the_console_and_whole_elsewhere() {
        let label = "é".repeat(70_000);
        let mut stats = Stats::new();
        stats.record(&observation(&label, 10, 500, "Internal Server Error"));
        stats.record(&observation("b", 10, 200, "OK"));
        let report = Report::new(&stats, BadRows::default());
        let text = console(&report);
        let shown = format!("{}…", "é".repeat(crate::CONSOLE_LABEL_CHARS - 1));
        assert!(text.contains(&format!("\n{shown}  ")), "{text}");
        assert!(
            text.contains(&format!("\n  {shown}  1  500 Internal Server Error\n")),
            "{text}"
        );
        assert!(!text.contains(&"é".repeat(crate::CONSOLE_LABEL_CHARS)));
        assert!(
            text.lines().all(|line| line.chars().count() < 200),
            "{text}"
        );
        for whole in [report.to_json(), csv(&report), markdown(&report)] {
            assert!(whole.contains(&label));
        }
    }

    #[test]
    fn csv_has_blazemeter_names_and_one_line_per_row() {
        let text = csv(&report());
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert_eq!(&header[0], "labelName");
        assert_eq!(&header[4], "90line");
        let rows: Vec<_> = reader.records().map(Result::unwrap).collect();
        let names: Vec<_> = rows.iter().map(|r| r[0].to_string()).collect();
        assert_eq!(names, ["ALL", "a|b", "buy", "home"]);
        // ALL: 3 samples (the transaction is kept out), 1 error.
        assert_eq!((&rows[0][1], &rows[0][14]), ("3", "1"));
        assert_eq!(&rows[1][2], "20");
    }

    #[test]
    fn markdown_escapes_cells() {
        let text = markdown(&report());
        assert!(text.contains("| a\\|b | 2 | 50.00 | 20.0 |"), "{text}");
        assert!(
            text.contains("| a\\|b | 1 | 500 Internal Server Error |"),
            "{text}"
        );
        assert!(
            text.ends_with("Transaction controllers kept out of ALL: buy\n"),
            "{text}"
        );
    }

    #[test]
    fn json_has_the_documented_keys() {
        let json: serde_json::Value = serde_json::from_str(&report().to_json()).unwrap();
        for key in [
            "aggregate",
            "errors",
            "timeline",
            "bad_rows",
            "transactions_excluded",
        ] {
            assert!(json.get(key).is_some(), "{key} in {json}");
        }
        assert_eq!(json["aggregate"][0]["labelId"], "ALL");
        assert_eq!(json["transaction_labels"][0], "buy");
        assert_eq!(json["bad_rows"]["count"], 0);
    }
}
