//! `vajra report` end to end: the real binary on the JTL test vectors (the repo's own in
//! `fixtures/jtl-vectors/`, and the real JMeter/Taurus files in `../shared/test-vectors/jtl`
//! when that folder is present beside the repo) and on generated files, merging, bad rows,
//! pass/fail criteria, HDR interval logs; and `vajra run` thresholds.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use proptest::prelude::*;
use serde_json::Value;

use crate::common::{run_to_end, text, vajra, write_plan};

/// Real JMeter/Taurus files kept beside the repo by its developers; not part of a clone.
const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/test-vectors/jtl/"
);

/// The repo's own vectors, written by `fixtures/jtl-vectors/make.py`.
const OWN_VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/jtl-vectors/");

/// Whether the shared vectors are there; says why the test is skipped when they are not.
fn shared_present() -> bool {
    let present = Path::new(VECTORS).is_dir();
    if !present {
        eprintln!(
            "skipping: ../shared/test-vectors not present (a clone of the repo alone has no \
             shared/ folder); the repo's own vectors in fixtures/jtl-vectors cover the same cases"
        );
    }
    present
}

/// The `.jtl` and `.csv` files of a vector folder, sorted.
fn vector_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jtl" || e == "csv"))
        .collect();
    files.sort();
    files
}

const HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,\
success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect";

/// `vajra report --format json` of `files` (exit 0 expected).
fn report_json(files: &[&Path], extra: &[&str]) -> Value {
    let mut args = vec!["report", "--format", "json"];
    args.extend(extra);
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let output = run_to_end(&args);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"))
}

fn row<'a>(report: &'a Value, label: &str) -> &'a Value {
    report["aggregate"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["labelName"] == label)
        .unwrap_or_else(|| panic!("no row {label} in {report}"))
}

/// One generated sample: (label index, elapsed ms, success, ms after the first timestamp).
type Spec = (u8, u32, bool, u32);

fn jtl_row(&(label, elapsed, ok, offset): &Spec) -> String {
    let (code, message) = if ok {
        ("200", "OK")
    } else if elapsed % 2 == 0 {
        ("500", "Internal Server Error")
    } else {
        (
            "Non HTTP response code: java.net.SocketException",
            "Connection reset",
        )
    };
    format!(
        "{},{elapsed},label {label},{code},{message},t 1-1,text,{ok},,{},12,3,{},http://127.0.0.1/x,{},0,1\n",
        1_700_000_000_000u64 + u64::from(offset),
        elapsed * 7,
        label + 1,
        elapsed / 2
    )
}

fn write_jtl(path: &Path, rows: &[Spec]) {
    let body: String = rows.iter().map(jtl_row).collect();
    std::fs::write(path, format!("{HEADER}\n{body}")).unwrap();
}

/// The parts of a report that must not depend on how rows were split into files.
fn merged_view(report: &Value) -> Value {
    serde_json::json!({
        "aggregate": report["aggregate"],
        "errors": report["errors"],
        "timeline": report["timeline"],
        "transactions_excluded": report["transactions_excluded"],
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn merging_files_equals_reading_one_file_with_every_row(
        rows in proptest::collection::vec((0u8..4, 0u32..20_000, proptest::bool::weighted(0.9), 0u32..4_000), 1..400),
        cuts in proptest::collection::vec(0usize..400, 0..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.jtl");
        write_jtl(&whole, &rows);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (rows.len() + 1)).collect();
        cuts.push(0);
        cuts.push(rows.len());
        cuts.sort_unstable();
        let parts: Vec<PathBuf> = cuts
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let part = dir.path().join(format!("part{i}.jtl"));
                write_jtl(&part, &rows[w[0]..w[1]]);
                part
            })
            .collect();
        let part_refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
        let of_whole = report_json(&[&whole], &[]);
        let of_parts = report_json(&part_refs, &[]);
        prop_assert_eq!(row(&of_whole, "ALL")["samples"].as_u64(), Some(rows.len() as u64));
        prop_assert_eq!(merged_view(&of_parts), merged_view(&of_whole));
    }
}

/// Data rows of a test vector, counted independently of vajra's reader.
fn csv_rows(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let delimiter = if bytes
        .split(|&b| b == b'\n')
        .next()
        .unwrap()
        .contains(&b'\t')
    {
        b'\t'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes.as_slice())
        .records()
        .count() as u64
}

#[test]
fn every_shared_test_vector_reads_without_bad_rows() {
    if !shared_present() {
        return;
    }
    let files = vector_files(VECTORS);
    assert!(files.len() >= 12, "{files:?}");
    let mut all_rows = 0;
    for file in &files {
        let report = report_json(&[file], &["--include-transactions"]);
        let rows = csv_rows(file);
        assert_eq!(
            report["bad_rows"]["count"],
            0,
            "{}: {report}",
            file.display()
        );
        assert_eq!(
            row(&report, "ALL")["samples"].as_u64(),
            Some(rows),
            "{}",
            file.display()
        );
        all_rows += rows;
    }
    // All vectors at once: different layouts and delimiters merge.
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let merged = report_json(&refs, &["--include-transactions"]);
    assert_eq!(row(&merged, "ALL")["samples"].as_u64(), Some(all_rows));
}

#[test]
fn transaction_controllers_are_kept_out_of_all_unless_asked() {
    if !shared_present() {
        return;
    }
    let tranctl = PathBuf::from(VECTORS).join("tranctl.jtl");
    let report = report_json(&[&tranctl], &[]);
    assert_eq!(report["transactions_excluded"], true);
    assert_eq!(row(&report, "ALL")["samples"], 0);
    assert_eq!(row(&report, "Transaction Controller1")["samples"], 1);
    assert_eq!(
        report["transaction_labels"],
        serde_json::json!(["Transaction Controller1", "Transaction Controller2"])
    );
    let included = report_json(&[&tranctl], &["--include-transactions"]);
    assert_eq!(included["transactions_excluded"], false);
    assert_eq!(row(&included, "ALL")["samples"], 2);
    let console = run_to_end(&["report", tranctl.to_str().unwrap()]);
    assert_eq!(console.status.code(), Some(0));
    assert!(
        text(&console.stdout).contains("transaction controllers kept out of ALL"),
        "{console:?}"
    );
}

#[test]
fn every_own_test_vector_reports_its_rows_and_failures() {
    // (file, rows, failures), as in fixtures/jtl-vectors/README.md; transactions included.
    let cases: [(&str, u64, u64); 16] = [
        ("500-success.jtl", 2, 0),
        ("apiritif.csv", 12, 0),
        ("crlf-bom.jtl", 3, 1),
        ("doublequoting.jtl", 2, 2),
        ("embedded-newlines.jtl", 4, 2),
        ("embedded-resources.jtl", 2, 1),
        ("jmeter-default.jtl", 8, 4),
        ("kpi-pair-a.jtl", 8, 6),
        ("kpi-pair-b.jtl", 6, 1),
        ("no-success-column.jtl", 5, 3),
        ("non-http.jtl", 8, 6),
        ("quote-guessing.jtl", 5, 0),
        ("semicolons.jtl", 3, 1),
        ("tabs.jtl", 4, 0),
        ("tranctl.jtl", 2, 1),
        ("unicode.jtl", 9, 3),
    ];
    let files = vector_files(OWN_VECTORS);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: Vec<&str> = cases.iter().map(|c| c.0).collect();
    assert_eq!(names, expected, "every vector has its expected counts");
    let (mut all_rows, mut all_failures) = (0, 0);
    for (file, (name, rows, failures)) in files.iter().zip(cases) {
        let report = report_json(&[file], &["--include-transactions"]);
        assert_eq!(report["bad_rows"]["count"], 0, "{name}: {report}");
        let all = row(&report, "ALL");
        assert_eq!(all["samples"].as_u64(), Some(rows), "{name}");
        assert_eq!(all["errorsCount"].as_u64(), Some(failures), "{name}");
        all_rows += rows;
        all_failures += failures;
    }
    // All vectors at once: different layouts, delimiters and line ends merge.
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let merged = report_json(&refs, &["--include-transactions"]);
    let all = row(&merged, "ALL");
    assert_eq!(all["samples"].as_u64(), Some(all_rows));
    assert_eq!(all["errorsCount"].as_u64(), Some(all_failures));
}

#[test]
fn own_transaction_controllers_are_kept_out_of_all_unless_asked() {
    let tranctl = PathBuf::from(OWN_VECTORS).join("tranctl.jtl");
    let report = report_json(&[&tranctl], &[]);
    assert_eq!(report["transactions_excluded"], true);
    assert_eq!(row(&report, "ALL")["samples"], 0);
    assert_eq!(row(&report, "Login flow")["samples"], 1);
    assert_eq!(row(&report, "Login flow")["errorsCount"], 1);
    assert_eq!(
        report["transaction_labels"],
        serde_json::json!(["Checkout flow", "Login flow"])
    );
    let included = report_json(&[&tranctl], &["--include-transactions"]);
    assert_eq!(included["transactions_excluded"], false);
    assert_eq!(row(&included, "ALL")["samples"], 2);
    let console = run_to_end(&["report", tranctl.to_str().unwrap()]);
    assert_eq!(console.status.code(), Some(0));
    assert!(
        text(&console.stdout).contains("transaction controllers kept out of ALL"),
        "{console:?}"
    );
}

fn with_bad_rows(dir: &Path) -> PathBuf {
    let path = dir.join("bad.jtl");
    let good = jtl_row(&(0, 100, true, 0));
    std::fs::write(
        &path,
        format!(
            "{HEADER}\n{good}1700000000000,abc,label 0,200,OK,t,text,true,,1,1,1,1,u,1,0,1\n{good}\
             1700000000000,5,label 0,200,OK,t,text,maybe,,1,1,1,1,u,1,0,1\n{good}"
        ),
    )
    .unwrap();
    path
}

#[test]
fn bad_rows_are_skipped_counted_and_reported_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let bad = with_bad_rows(dir.path());
    let output = run_to_end(&["report", "--format", "json", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("skipped 2 bad row(s)"), "{stderr}");
    assert!(stderr.contains("line 3: elapsed \"abc\""), "{stderr}");
    assert!(stderr.contains("line 5: success \"maybe\""), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["bad_rows"]["count"], 2);
    assert_eq!(report["bad_rows"]["first"][1]["line"], 5);
    assert_eq!(
        report["bad_rows"]["first"][0]["file"],
        bad.to_str().unwrap()
    );
    assert_eq!(row(&report, "ALL")["samples"], 3);
}

#[test]
fn strict_mode_makes_the_first_bad_row_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = with_bad_rows(dir.path());
    let output = run_to_end(&["report", "--strict", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad.jtl, line 3"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn a_file_that_is_not_a_jtl_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jtl");
    write_jtl(&good, &[(0, 5, true, 0)]);
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "hello, world\nsecond line\n").unwrap();
    let output = run_to_end(&["report", good.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("notes.txt is not a JTL"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let missing = run_to_end(&["report", "/nonexistent/x.jtl"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("/nonexistent/x.jtl"));
}

fn sample_file(dir: &Path) -> PathBuf {
    let path = dir.join("results.jtl");
    // login: 100..=1000 ms, one failure in ten; home: 10 ms.
    let mut rows: Vec<Spec> = (1..=10)
        .map(|i| (1, i * 100, i % 10 != 0, i * 100))
        .collect();
    rows.extend((0..10).map(|i| (0, 10, true, i * 100)));
    write_jtl(&path, &rows);
    path
}

#[test]
fn a_met_criterion_exits_3_and_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_file(dir.path());
    let output = run_to_end(&[
        "report",
        file.to_str().unwrap(),
        "--fail-on",
        "p95(label 1)>500ms",
        "--fail-on",
        "errors>10%",
        "--fail-on",
        "avg(label 0)>=10",
    ]);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("FAIL: 2 of 3 failure criteria met"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  p95(label 1)>500ms (actual: 1000ms)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  avg(label 0)>=10 (actual: 10)"),
        "{stdout}"
    );
    assert!(!stdout.contains("errors>10%"), "{stdout}");
    // With JSON on stdout, the verdicts go to stderr.
    let json = run_to_end(&[
        "report",
        "-f",
        "json",
        file.to_str().unwrap(),
        "--fail-on",
        "max>0.9s",
    ]);
    assert_eq!(json.status.code(), Some(3));
    serde_json::from_slice::<Value>(&json.stdout).expect("stdout is only JSON");
    assert!(text(&json.stderr).contains("max>0.9s (actual: 1s)"));
}

#[test]
fn a_closed_stdout_neither_panics_nor_changes_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_file(dir.path());
    let html = dir.path().join("report.html");
    for (format, criterion, code) in [
        ("console", "errors>1%", 3),
        ("console", "errors>50%", 0),
        ("json", "errors>1%", 3),
        ("csv", "errors>50%", 0),
    ] {
        let mut child = vajra()
            .args(["report", "-f", format, "--fail-on", criterion, "--html"])
            .arg(&html)
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before vajra writes a byte, as with `| head -0`.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{format}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(std::fs::read_to_string(&html).unwrap().contains("label 1"));
        std::fs::remove_file(&html).unwrap();
    }
}

#[test]
fn unmet_criteria_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_file(dir.path());
    let output = run_to_end(&[
        "report",
        file.to_str().unwrap(),
        "--fail-on",
        "p95(label 1)>1s",
        "--fail-on",
        "errors>1",
        "--fail-on",
        "samples<20",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(text(&output.stdout).contains("pass: no failure criterion met (3 checked)"));
}

#[test]
fn a_bad_criterion_is_an_error_with_its_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_file(dir.path());
    let output = run_to_end(&[
        "report",
        file.to_str().unwrap(),
        "--fail-on",
        "p95(login)>>500ms",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("invalid --fail-on"), "{stderr}");
    assert!(
        stderr.contains("at column 12: expected a number"),
        "{stderr}"
    );
    let unknown = run_to_end(&[
        "report",
        file.to_str().unwrap(),
        "--fail-on",
        "avg(lable 1)>1",
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr)
            .contains("no label `lable 1` in the results; the labels are: label 0, label 1"),
        "{unknown:?}"
    );
}

#[test]
fn output_formats_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_file(dir.path());
    let out = dir.path().join("report.csv");
    let output = run_to_end(&[
        "report",
        file.to_str().unwrap(),
        "-f",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty());
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.starts_with("labelName,samples,avgResponseTime"),
        "{csv}"
    );
    assert!(csv.contains("\nlabel 1,10,550,"), "{csv}");
    let markdown = run_to_end(&["report", file.to_str().unwrap(), "-f", "markdown"]);
    let markdown = text(&markdown.stdout);
    assert!(
        markdown.contains("| label 1 | 10 | 10.00 | 550.0 |"),
        "{markdown}"
    );
    let console = text(&run_to_end(&["report", file.to_str().unwrap()]).stdout);
    assert!(console.contains("errors by label:"), "{console}");
}

#[test]
fn html_report_of_merged_files_lists_every_label() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_file(dir.path());
    let page = dir.path().join("report.html");
    let output = run_to_end(&[
        "report",
        file.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<!DOCTYPE html>") || html.contains("<!doctype html>"));
    assert!(html.contains("label 1"), "the label table names the label");
    assert!(
        !html.contains("http://") && !html.contains("https://cdn"),
        "no network at view time"
    );
}

#[test]
fn run_exits_3_when_a_plan_threshold_is_met_and_0_when_none_is() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - label: home\n    url: /fast\nload: { pattern: static, tps: 10, duration: 1s }\nthresholds:\n  - \"samples(home)>5\"\n  - \"errors>50%\"\n",
    );
    let out = dir.path().join("out");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("FAIL: 1 of 2 failure criteria met:\n  samples(home)>5 (actual: 10)"),
        "{stdout}"
    );
    // A second run needs its own directory: `--out` refuses one holding an earlier run.
    let out = dir.path().join("out-passing");
    let passing = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "-q",
        "--out",
        out.to_str().unwrap(),
        "--tps",
        "4",
        "--fail-on",
        "p99>5s",
    ]);
    assert_eq!(passing.status.code(), Some(0), "{passing:?}");
    assert!(text(&passing.stdout).contains("pass: no failure criterion met (3 checked)"));
}

#[test]
fn run_rejects_a_bad_plan_threshold_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast\nload: { pattern: static, tps: 10, duration: 1s }\nthresholds:\n  - \"avg>1s\"\n  - \"p95 > 1 hour\"\n",
    );
    let out = dir.path().join("out");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "plan.yaml: thresholds[1]: bad threshold `p95 > 1 hour` at column 9: expected a unit"
        ),
        "{stderr}"
    );
    assert!(!out.join("results.jtl").exists(), "nothing ran");
    // A label no request has stops the run before it starts, too.
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast\nload: { pattern: static, tps: 10, duration: 1s }\n",
    );
    let typo = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--fail-on",
        "avg(GET /fsat)>1s",
    ]);
    assert_eq!(typo.status.code(), Some(1), "{typo:?}");
    let stderr = text(&typo.stderr);
    assert!(stderr.contains("no request of"), "{stderr}");
    assert!(stderr.contains("the labels are: GET /fast"), "{stderr}");
    assert!(!out.join("results.jtl").exists(), "nothing ran");
}

#[test]
fn an_hdr_log_from_a_run_reports_like_its_jtl() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - label: fast\n    url: /fast\n  - label: slow\n    url: /slow?ms=20\nload: { pattern: static, tps: 40, duration: 2s }\n",
    );
    let out = dir.path().join("out");
    let hlog = out.join("run.hlog");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "-q",
        "--out",
        out.to_str().unwrap(),
        "--hdr-log",
        hlog.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let of_jtl = report_json(&[&out.join("results.jtl")], &[]);
    let of_log = report_json(&[&hlog], &[]);
    for label in ["ALL", "fast", "slow"] {
        let (jtl, log) = (row(&of_jtl, label), row(&of_log, label));
        assert_eq!(jtl["samples"], log["samples"], "{label}");
        assert_eq!(log["samples"], if label == "ALL" { 160 } else { 80 });
        // The JTL has whole ms, the log µs to 3 significant digits.
        for field in ["medianResponseTime", "95line", "maxResponseTime"] {
            let (a, b) = (jtl[field].as_f64().unwrap(), log[field].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1.0 + b * 0.001,
                "{label} {field}: jtl {a}, log {b}"
            );
        }
    }
    // Detected by content too, and merged with the log itself: twice the samples.
    let renamed = dir.path().join("interval-log.txt");
    std::fs::copy(&hlog, &renamed).unwrap();
    let twice = report_json(&[&hlog, &renamed], &[]);
    assert_eq!(row(&twice, "ALL")["samples"], 320);
    assert_eq!(
        row(&twice, "slow")["95line"],
        row(&of_log, "slow")["95line"]
    );
}

/// Three labels at 50/s each: the log gives each label the JTL's sample count and rate. The
/// log records each label's own span per interval (see `vajra_stats::HdrLogWriter`), so the
/// windows are the JTL's to the ms and the rates agree but for float rounding.
#[test]
fn an_hdr_log_gives_each_label_the_jtl_rate() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - label: a\n    url: /fast\n  - label: b\n    url: /slow?ms=5\n  - label: c\n    url: /fast\nload: { pattern: static, tps: 50, duration: 3s }\n",
    );
    let out = dir.path().join("out");
    let hlog = dir.path().join("run.hlog");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "-q",
        "--out",
        out.to_str().unwrap(),
        "--hdr-log",
        hlog.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let of_jtl = report_json(&[&out.join("results.jtl")], &[]);
    let of_log = report_json(&[&hlog], &[]);
    for label in ["ALL", "a", "b", "c"] {
        let (jtl, log) = (row(&of_jtl, label), row(&of_log, label));
        assert_eq!(jtl["samples"], log["samples"], "{label}");
        assert_eq!(log["samples"], if label == "ALL" { 450 } else { 150 });
        for field in ["avgThroughput", "duration"] {
            let (a, b) = (jtl[field].as_f64().unwrap(), log[field].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-9 * a.abs(),
                "{label} {field}: jtl {a}, log {b}"
            );
        }
    }
}
