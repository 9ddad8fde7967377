//! Result bundles end to end: three `vajra run` workers of one test against the embedded
//! target, then `vajra report` on their bundles and on their JTLs, and fleets with a worker
//! missing, given twice or of another plan.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{run_to_end, text, write_plan};

/// Four labels, one of them always 404 and one failing every 10th request (per target), so
/// the errors report has causes; 2 users × 5 iterations per worker.
const PLAN: &str = "target: embedded\nrequests:\n  - label: fast\n    url: /fast\n  - label: slow\n    url: /slow?ms=3\n  - label: flaky\n    url: /flaky\n  - label: gone\n    url: /nope\nload: { concurrency: 2, iterations: 5 }\n";

struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn bundle(&self, worker: u32) -> PathBuf {
        self.dir
            .path()
            .join(format!("w{worker}"))
            .join("result.vbundle")
    }
    fn jtl(&self, worker: u32) -> PathBuf {
        self.dir
            .path()
            .join(format!("w{worker}"))
            .join("results.jtl")
    }
}

fn run_worker(plan: &Path, out: &Path, index: u32, extra: &[&str]) {
    let index = index.to_string();
    let mut args = vec![
        "run",
        plan.to_str().unwrap(),
        "-q",
        "--out",
        out.to_str().unwrap(),
        "--worker-index",
        &index,
        "--worker-count",
        "3",
    ];
    args.extend(extra);
    let output = run_to_end(&args);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// Workers 0, 1 and 2 of 3, run once for every test here.
fn fleet() -> &'static Fleet {
    static FLEET: OnceLock<Fleet> = OnceLock::new();
    FLEET.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let plan = write_plan(dir.path(), PLAN);
        for i in 0..3 {
            run_worker(&plan, &dir.path().join(format!("w{i}")), i, &[]);
        }
        Fleet { dir }
    })
}

fn report(files: &[PathBuf], extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["report".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_to_end(&args)
}

fn report_json(files: &[PathBuf], extra: &[&str]) -> Value {
    let mut extra = extra.to_vec();
    extra.extend(["--format", "json"]);
    let output = report(files, &extra);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn three_workers_bundles_report_as_their_jtls() {
    let fleet = fleet();
    let bundles: Vec<PathBuf> = (0..3).map(|i| fleet.bundle(i)).collect();
    let jtls: Vec<PathBuf> = (0..3).map(|i| fleet.jtl(i)).collect();
    for bundle in &bundles {
        let size = std::fs::metadata(bundle).unwrap().len();
        assert!(size < 16 * 1024, "{}: {size} bytes", bundle.display());
    }
    let of_bundles = report_json(&bundles, &[]);
    let of_jtls = report_json(&jtls, &[]);
    assert_eq!(of_bundles["missing_workers"], Value::Null);
    let rows = |report: &Value| report["aggregate"].as_array().unwrap().clone();
    let (b_rows, j_rows) = (rows(&of_bundles), rows(&of_jtls));
    let labels: Vec<&str> = b_rows
        .iter()
        .map(|r| r["labelName"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["ALL", "fast", "flaky", "gone", "slow"]);
    for (b, j) in b_rows.iter().zip(&j_rows) {
        let label = &b["labelName"];
        assert_eq!(b["labelName"], j["labelName"]);
        // 3 workers × 2 users × 5 iterations, each label once an iteration.
        let samples = if label == "ALL" { 120 } else { 30 };
        assert_eq!(b["samples"], samples, "{label}");
        for field in ["samples", "errorsCount", "errorsRate", "avgBytes"] {
            assert_eq!(b[field], j[field], "{label} {field}");
        }
        // The JTL holds whole ms (rounded), the bundle the µs the runner measured.
        for field in [
            "minResponseTime",
            "medianResponseTime",
            "90line",
            "95line",
            "99line",
            "maxResponseTime",
            "avgResponseTime",
        ] {
            let (b, j) = (b[field].as_f64().unwrap(), j[field].as_f64().unwrap());
            assert!(
                (b - j).abs() <= 0.5 + b * 0.002,
                "{label} {field}: bundles {b}, jtls {j}"
            );
        }
    }
    // Each target fails its 10th, 20th and 30th /flaky request: one per worker.
    assert_eq!(of_bundles["errors"], of_jtls["errors"]);
    let flaky = of_bundles["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "flaky")
        .unwrap();
    assert_eq!(flaky["errors"][0]["count"], 3);
    let seconds = |report: &Value| -> Vec<(Value, Value, Value)> {
        report["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["ts"].clone(), p["samples"].clone(), p["errors"].clone()))
            .collect()
    };
    assert_eq!(seconds(&of_bundles), seconds(&of_jtls));
    // A bundle merges with JTLs too: two bundles and the third worker's JTL count all samples.
    let mixed = report_json(
        &[bundles[0].clone(), bundles[1].clone(), jtls[2].clone()],
        &[],
    );
    assert_eq!(mixed["aggregate"][0]["samples"], 120);
}

#[test]
fn a_missing_worker_fails_unless_allowed_and_then_its_share_is_stated() {
    let fleet = fleet();
    let two = vec![fleet.bundle(0), fleet.bundle(2)];
    let output = report(&two, &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("worker index 1 of 3 is missing (no bundle with worker index 1)"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-missing"), "{stderr}");

    let statement = "incomplete: worker index 1 of 3 is missing (about 2 virtual users if each \
                     ran as many as the others, 33.3 % of the load)";
    let output = report(&two, &["--allow-missing"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(text(&output.stdout).starts_with(statement), "{output:?}");
    assert!(text(&output.stderr).contains(statement), "{output:?}");
    let json = report_json(&two, &["--allow-missing"]);
    assert_eq!(json["missing_workers"]["missing"], serde_json::json!([1]));
    assert_eq!(json["missing_workers"]["measured_in"], "users");
    assert_eq!(json["aggregate"][0]["samples"], 80);
    let output = report(&two, &["--allow-missing", "--format", "markdown"]);
    assert!(text(&output.stdout).starts_with(&format!("> **{statement}**")));
    let html = fleet.dir.path().join("two.html");
    let output = report(&two, &["--allow-missing", "--html", html.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(std::fs::read_to_string(&html).unwrap().contains(statement));

    // --expect-workers overrides the recorded count.
    let all: Vec<PathBuf> = (0..3).map(|i| fleet.bundle(i)).collect();
    let output = report(&all, &["--expect-workers", "4"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(text(&output.stderr).contains("worker index 3 of 4 is missing"));
    // And needs bundles.
    let output = report(&[fleet.jtl(0)], &["--expect-workers", "1"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(text(&output.stderr).contains("--expect-workers checks result bundles"));
}

#[test]
fn a_duplicate_worker_or_another_plan_fails_naming_the_files() {
    let fleet = fleet();
    let b = |i| fleet.bundle(i);
    let output = report(&[b(0), b(1), b(1), b(2)], &["--allow-missing"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    let one = b(1).display().to_string();
    assert!(
        stderr.contains(&format!(
            "worker index 1 of 3 is there 2 times: {one}, {one}"
        )),
        "{stderr}"
    );

    // Worker 2 run with other load flags: another effective plan.
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), PLAN);
    let other = dir.path().join("other");
    run_worker(&plan, &other, 2, &["--iterations", "1"]);
    let other = other.join("result.vbundle");
    let output = report(&[b(0), b(1), other.clone()], &["--allow-missing"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the bundles come from different plans or load settings"),
        "{stderr}"
    );
    assert!(stderr.contains(&other.display().to_string()), "{stderr}");
    assert_eq!(stderr.matches("(sha256:").count(), 2, "{stderr}");
}
