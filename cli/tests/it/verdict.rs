//! The verdict sees the generator, and every output records it: `vajra run` over loopback
//! with the embedded target, checking the exit code, the console, `summary.json` and
//! `report.html` against each other.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::{run_to_end, text, write_plan};

/// 200/s against a 50 ms endpoint with 2 requests in flight: at most ~40/s can be sent, so
/// most arrivals are dropped.
const OVERLOAD: &str = "target: embedded\nrequests:\n  - url: /slow?ms=50\nload: { pattern: static, tps: 200, duration: 2s, max-in-flight: 2 }\n";

const HEALTHY: &str =
    "target: embedded\nrequests:\n  - url: /fast\nload: { pattern: static, tps: 20, duration: 1s }\n";

struct Run {
    output: Output,
    out: PathBuf,
    summary: Value,
}

impl Run {
    fn code(&self) -> i32 {
        self.output
            .status
            .code()
            .expect("an exit code, not a signal")
    }

    fn stdout(&self) -> String {
        text(&self.output.stdout)
    }

    fn verdict(&self) -> &Value {
        &self.summary["verdict"]
    }

    fn result(&self) -> &str {
        self.verdict()["result"].as_str().expect("verdict.result")
    }

    fn html(&self) -> String {
        std::fs::read_to_string(self.out.join("report.html")).unwrap()
    }
}

fn run(dir: &Path, name: &str, plan_yaml: &str, extra: &[&str]) -> Run {
    let plan_dir = dir.join(name);
    std::fs::create_dir_all(&plan_dir).unwrap();
    let plan = write_plan(&plan_dir, plan_yaml);
    let out = plan_dir.join("out");
    let mut args = vec![
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = run_to_end(&args);
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json"))
            .unwrap_or_else(|e| panic!("summary.json: {e}; {output:?}")),
    )
    .unwrap();
    let run = Run {
        output,
        out,
        summary,
    };
    check_every_output(&run);
    run
}

/// What holds for every run: the schema version, the arrival identity, the exit code that
/// matches the verdict, the stop reason, and the verdict in report.html.
fn check_every_output(run: &Run) {
    let s = &run.summary;
    assert_eq!(s["schema_version"], 2, "{s}");
    let a = &s["arrivals"];
    let n = |key: &str| {
        a[key]
            .as_u64()
            .unwrap_or_else(|| panic!("arrivals.{key}: {a}"))
    };
    assert_eq!(
        n("scheduled"),
        n("sent") + n("dropped") + n("unsent"),
        "{a}"
    );
    assert!(n("late") <= n("sent"), "{a}");
    assert_eq!(s["stop_reason"], "completed", "{s}");
    let expected_code = match run.result() {
        "passed" => 0,
        "failed" | "invalid" => 3,
        other => panic!("unknown verdict {other}"),
    };
    assert_eq!(run.code(), expected_code, "{s}\n{:?}", run.output);
    assert!(
        run.html().contains(&format!(
            "<div class=\"verdict {}\" id=\"verdict\">",
            run.result()
        )),
        "report.html shows the verdict"
    );
    let rates = &s["rates"];
    for key in ["target_its", "achieved_its", "achieved_reqs", "window_s"] {
        assert!(rates[key].as_f64().is_some(), "rates.{key}: {rates}");
    }
}

#[test]
fn an_overloaded_run_is_invalid_unless_the_plan_allows_it() {
    let dir = tempfile::tempdir().unwrap();
    let invalid = run(dir.path(), "invalid", OVERLOAD, &[]);
    assert_eq!(invalid.code(), 3);
    assert_eq!(invalid.result(), "invalid");
    let reason =
        "the generator could not hold the rate; these results don't describe the target rate";
    let reasons = invalid.verdict()["reasons"].as_array().unwrap();
    assert!(
        reasons[0].as_str().unwrap().starts_with(reason),
        "{reasons:?}"
    );
    assert!(
        invalid.stdout().contains(&format!("INVALID: {reason}")),
        "{}",
        invalid.stdout()
    );
    // askama escapes `'` as `&#39;`.
    let html_reason = reason.replace('\'', "&#39;");
    assert!(
        invalid
            .html()
            .contains(&format!("<div class=\"reason\">{html_reason}")),
        "report.html gives the reason"
    );
    assert!(invalid.summary["arrivals"]["missed_pct"].as_f64().unwrap() > 1.0);

    let allowed = run(
        dir.path(),
        "allowed",
        &OVERLOAD.replace("max-in-flight: 2", "max-in-flight: 2, allow-overload: true"),
        &[],
    );
    assert_eq!(allowed.code(), 0, "{:?}", allowed.output);
    assert_eq!(allowed.result(), "passed");
    assert!(allowed.summary["arrivals"]["dropped"].as_u64().unwrap() > 0);
    let warnings = allowed.verdict()["warnings"].as_array().unwrap();
    assert!(
        warnings[0].as_str().unwrap().contains("allow-overload"),
        "{warnings:?}"
    );
    // The flag does the same as the plan key.
    let flagged = run(dir.path(), "flag", OVERLOAD, &["--allow-overload"]);
    assert_eq!(flagged.result(), "passed");
}

#[test]
fn a_criterion_on_dropped_arrivals_fails_the_run_with_its_actual_value() {
    let dir = tempfile::tempdir().unwrap();
    let failed = run(
        dir.path(),
        "dropped",
        OVERLOAD,
        &[
            "--allow-overload",
            "--fail-on",
            "dropped>0",
            "--fail-on",
            "late>100%",
        ],
    );
    assert_eq!(failed.code(), 3);
    assert_eq!(failed.result(), "failed");
    let dropped = failed.summary["arrivals"]["dropped"].as_u64().unwrap();
    assert!(dropped > 0);
    let shown = format!("dropped>0 (actual: {dropped})");
    assert!(failed.stdout().contains(&shown), "{}", failed.stdout());
    let criteria = failed.verdict()["criteria"].as_array().unwrap();
    assert_eq!(criteria[0]["criterion"], "dropped>0");
    assert_eq!(criteria[0]["actual"], dropped.to_string());
    assert_eq!(criteria[0]["met"], true);
    assert_eq!(criteria[1]["criterion"], "late>100%");
    assert_eq!(criteria[1]["met"], false);
    assert!(criteria[1]["actual"].as_str().unwrap().ends_with('%'));
    // askama escapes `>` as `&#62;`.
    let row = format!("<td class=\"text\">dropped&#62;0</td><td>{dropped}</td>");
    assert!(failed.html().contains(&row), "report.html has {row}");
}

#[test]
fn summary_json_verdict_matches_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let passed = run(dir.path(), "pass", HEALTHY, &["--fail-on", "p95>10s"]);
    assert_eq!((passed.code(), passed.result()), (0, "passed"));
    assert_eq!(passed.verdict()["reasons"].as_array().unwrap().len(), 0);
    assert!(passed
        .stdout()
        .contains("pass: no failure criterion met (1 checked)"));
    assert_eq!(passed.summary["arrivals"]["scheduled"], 20);
    let target = passed.summary["rates"]["target_its"].as_f64().unwrap();
    assert!((target - 20.0).abs() < 1e-9, "{target}");

    let failed = run(dir.path(), "fail", HEALTHY, &["--fail-on", "samples>=1"]);
    assert_eq!((failed.code(), failed.result()), (3, "failed"));
    assert_eq!(
        failed.verdict()["reasons"][0],
        format!(
            "samples>=1 (actual: {})",
            failed.summary["total"]["samples"]
        )
    );

    let invalid = run(dir.path(), "invalid", OVERLOAD, &[]);
    assert_eq!((invalid.code(), invalid.result()), (3, "invalid"));
}

#[test]
fn a_run_where_every_request_was_refused_warns_in_every_output() {
    // A port that was just free: nothing listens there, so every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let plan = format!(
        "base-url: http://127.0.0.1:{port}\nrequests:\n  - url: /\nload: {{ pattern: static, tps: 20, duration: 1s }}\n"
    );
    let refused = run(dir.path(), "refused", &plan, &["--fail-on", "p95>1s"]);
    assert_eq!(refused.summary["total"]["error_pct"], 100.0);
    // It passes on its criteria as before, but says loudly what happened.
    assert_eq!((refused.code(), refused.result()), (0, "passed"));
    let warning = "every sample failed";
    assert!(
        refused.stdout().contains(&format!("WARNING: {warning}")),
        "{}",
        refused.stdout()
    );
    let warnings = refused.verdict()["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with(warning)),
        "{warnings:?}"
    );
    assert!(refused.html().contains(&format!("Warning: {warning}")));
}

#[test]
fn vajra_report_refuses_a_generator_criterion_saying_it_needs_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let healthy = run(dir.path(), "ok", HEALTHY, &[]);
    let jtl = healthy.out.join("results.jtl");
    let output = run_to_end(&["report", jtl.to_str().unwrap(), "--fail-on", "dropped>1%"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("only `vajra run` knows"), "{stderr}");
}
