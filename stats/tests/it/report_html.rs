//! The HTML report rendered from real `Stats`: escaping of hostile text, the tables, the facts
//! and the embedded chart data. The browser test (charts drawn) is `cli/tests/it/html_report.rs`.

use vajra_stats::report::html::{render, ReportInput, MAX_POINTS};
use vajra_stats::sample::{Observation, ResponseCode};
use vajra_stats::{RunFacts, Stats};

const T0: u64 = 1_700_000_000_000;

fn obs(label: &str, timestamp_ms: u64, elapsed_ms: u64) -> Observation<'_> {
    Observation {
        timestamp_ms,
        label,
        elapsed_us: elapsed_ms * 1000,
        latency_us: elapsed_ms * 500,
        connect_us: 100,
        service_us: None,
        bytes_received: 1000,
        bytes_sent: 100,
        success: true,
        response_code: ResponseCode::Status(200),
        response_message: "OK",
        failure_message: "",
        active_threads: 1,
        url: "http://127.0.0.1/",
    }
}

fn failed<'a>(o: Observation<'a>, code: u16, message: &'a str) -> Observation<'a> {
    Observation {
        success: false,
        response_code: ResponseCode::Status(code),
        response_message: message,
        ..o
    }
}

/// The text of the element that starts with `open` up to its closing `close`.
fn section<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in the report"));
    let len = html[start..]
        .find(close)
        .unwrap_or_else(|| panic!("{open} is not closed by {close}"));
    &html[start..start + len]
}

/// The table row whose first cell is `label` (already escaped).
fn row<'a>(table: &'a str, label: &str) -> &'a str {
    section(table, &format!("<td class=\"text\">{label}</td>"), "</tr>")
}

fn chart_data(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"vajra-data\">";
    let json = &section(html, open, "</script>")[open.len()..];
    serde_json::from_str(json).expect("the chart data is valid JSON")
}

fn facts() -> RunFacts {
    RunFacts {
        target_tps: 20.0,
        duration_s: 3.0,
        dropped: 4,
        late: 5,
        unsent: 6,
        started_at_ms: T0,
        pattern: "constant 20/s".to_owned(),
    }
}

#[test]
fn hostile_labels_and_messages_render_as_text() {
    let label = "<script>alert(1)</script>";
    let message = "<img src=x onerror=alert(2)> & \"quoted\"";
    let mut stats = Stats::new();
    stats.record(&obs(label, T0, 5));
    stats.record(&failed(obs(label, T0 + 10, 5), 500, message));
    let html = render(&ReportInput::from_stats(&stats, "run <b>1</b>", None));

    assert!(!html.contains("alert(1)</script>"), "label injected raw");
    assert!(!html.contains("<img src=x"), "message injected raw");
    assert!(!html.contains("<b>1</b>"), "title injected raw");
    // Exactly our own three script blocks: chart data, uPlot, report.js.
    assert_eq!(html.matches("<script").count(), 3);

    let labels = section(&html, "<table id=\"labels\">", "</table>");
    row(labels, "&#60;script&#62;alert(1)&#60;/script&#62;");
    let errors = section(&html, "<table id=\"errors\">", "</table>");
    assert!(
        errors.contains("&#60;img src=x onerror=alert(2)&#62; &#38; &#34;quoted&#34;"),
        "{errors}"
    );
    assert!(html.contains("<title>run &#60;b&#62;1&#60;/b&#62;</title>"));
    // And the chart data carries the label unchanged, for the legend to show as text.
    assert_eq!(chart_data(&html)["series"][1]["label"], label);
}

#[test]
fn the_label_table_lists_every_label_with_formatted_numbers() {
    let mut stats = Stats::new();
    for ms in 1..=100u64 {
        let label = if ms % 2 == 0 { "even" } else { "odd" };
        let o = obs(label, T0 + (ms - 1) * 10, ms);
        stats.record(&if ms % 10 == 0 {
            failed(o, 500, "Internal Server Error")
        } else {
            o
        });
    }
    let html = render(&ReportInput::from_stats(&stats, "t", None));
    let table = section(&html, "<table id=\"labels\">", "</table>");
    assert_eq!(table.matches("<tr").count(), 4, "header, ALL, even, odd");

    // ALL: 100 samples, 10 errors, mean 50.5 ms, min 1, max 100.
    let all = row(table, "ALL");
    assert!(html.contains("<tr class=\"total\"><td class=\"text\">ALL</td>"));
    for cell in ["100", "10", "10.00", "50.50", "1.00", "100.00"] {
        assert!(all.contains(&format!("<td>{cell}</td>")), "{cell} in {all}");
    }
    // even: 2, 4, …, 100 ms: mean 51, all 10 errors are even.
    let even = row(table, "even");
    for cell in ["50", "10", "20.00", "51.00", "2.00", "100.00"] {
        assert!(
            even.contains(&format!("<td>{cell}</td>")),
            "{cell} in {even}"
        );
    }
    let odd = row(table, "odd");
    assert!(odd.contains("<td>0.00</td>"), "no errors: {odd}");
}

#[test]
fn the_errors_table_lists_response_errors_and_assertion_failures_per_label() {
    let mut stats = Stats::new();
    stats.record(&failed(obs("login", T0, 5), 503, "Service Unavailable"));
    stats.record(&failed(obs("login", T0 + 1, 5), 503, "Service Unavailable"));
    stats.record(&Observation {
        success: false,
        failure_message: "Expected 'token' in body",
        ..obs("search", T0 + 2, 5)
    });
    let html = render(&ReportInput::from_stats(&stats, "t", None));
    let table = section(&html, "<table id=\"errors\">", "</table>");
    assert_eq!(
        table.matches("<tr").count(),
        3,
        "header and two causes, not ALL's: {table}"
    );
    let login = row(table, "login");
    for cell in ["response", "503", "Service Unavailable", "2"] {
        assert!(
            login.contains(&format!(">{cell}</td>")),
            "{cell} in {login}"
        );
    }
    let search = row(table, "search");
    assert!(search.contains(">assertion</td>"), "{search}");
    assert!(
        search.contains(">Expected &#39;token&#39; in body</td>"),
        "{search}"
    );
}

#[test]
fn a_run_without_errors_says_so() {
    let mut stats = Stats::new();
    stats.record(&obs("a", T0, 5));
    let html = render(&ReportInput::from_stats(&stats, "t", None));
    assert!(html.contains("<p id=\"errors\">No errors.</p>"));
    assert!(!html.contains("<table id=\"errors\">"));
}

#[test]
fn run_facts_and_headline_numbers_are_shown() {
    let mut stats = Stats::new();
    stats.record(&obs("a", T0, 5));
    stats.record(&failed(obs("a", T0 + 1000, 15), 500, "x"));
    let with = render(&ReportInput::from_stats(&stats, "t", Some(&facts())));
    let dl = section(&with, "<dl class=\"facts\">", "</dl>");
    for fact in [
        "<dt>Started</dt><dd>2023-11-14 22:13:20 UTC</dd>",
        "<dt>Duration</dt><dd>3.0 s</dd>",
        "<dt>Load</dt><dd>constant 20/s</dd>",
        "<dt>Target rate</dt><dd>20.0/s</dd>",
        "<dt>Samples</dt><dd>2</dd>",
        "<dt>Errors</dt><dd>1 (50.00 %)</dd>",
        "<dt>Average</dt><dd>10.00 ms</dd>",
        "<dt>Dropped</dt><dd>4</dd>",
        "<dt>Late</dt><dd>5</dd>",
        "<dt>Unsent at stop</dt><dd>6</dd>",
    ] {
        assert!(dl.contains(fact), "{fact} in {dl}");
    }
    let without = render(&ReportInput::from_stats(&stats, "t", None));
    let dl = section(&without, "<dl class=\"facts\">", "</dl>");
    assert!(
        dl.contains("<dt>Samples</dt>") && !dl.contains("Started"),
        "{dl}"
    );
}

#[test]
fn chart_data_has_one_point_per_second_for_the_total_and_each_label() {
    let mut stats = Stats::new();
    for s in 0..3u64 {
        stats.record(&obs("a", T0 + s * 1000, 10));
        stats.record(&obs("b", T0 + s * 1000 + 500, 30));
    }
    let html = render(&ReportInput::from_stats(&stats, "t", None));
    let data = chart_data(&html);
    assert_eq!(data["step_s"], 1);
    assert_eq!(
        data["x"],
        serde_json::json!([1_700_000_000, 1_700_000_001, 1_700_000_002])
    );
    let labels: Vec<&str> = data["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["ALL", "a", "b"]);
    assert_eq!(
        data["series"][0]["samples_per_s"],
        serde_json::json!([2.0, 2.0, 2.0])
    );
    assert_eq!(
        data["series"][0]["avg_ms"],
        serde_json::json!([20.0, 20.0, 20.0])
    );
    assert_eq!(
        data["series"][2]["avg_ms"],
        serde_json::json!([30.0, 30.0, 30.0])
    );
    assert_eq!(data["percentiles_ms"][2], 30.0, "p99 of ALL");
}

#[test]
fn an_hour_long_run_is_resampled_and_stays_small() {
    let mut stats = Stats::new();
    for s in 0..3600u64 {
        for label in ["home", "search", "checkout"] {
            stats.record(&obs(label, T0 + s * 1000, 1 + s % 50));
        }
    }
    let html = render(&ReportInput::from_stats(&stats, "t", None));
    let data = chart_data(&html);
    assert_eq!(data["step_s"], 2);
    let points = data["x"].as_array().unwrap().len();
    assert!(points as u64 <= MAX_POINTS && points == 1800, "{points}");
    for series in data["series"].as_array().unwrap() {
        assert_eq!(series["samples_per_s"].as_array().unwrap().len(), 1800);
    }
    assert!(html.len() < 500_000, "{} bytes", html.len());
}

#[test]
fn empty_results_render_without_charts_data() {
    let html = render(&ReportInput::from_stats(&Stats::new(), "empty", None));
    assert_eq!(chart_data(&html)["x"], serde_json::json!([]));
    assert!(html.contains("<p id=\"errors\">No errors.</p>"));
}
