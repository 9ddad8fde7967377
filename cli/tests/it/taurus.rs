//! A Taurus config run natively: `vajra run` on fixtures/taurus/three-ways.yml, and the same
//! file as a cloud package on the mock (whose engines really run it), against a 127.0.0.1
//! target this test starts; both give identical sample counts and labels. Also `vajra
//! validate`, and Taurus errors at their line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use vajra_runner::embedded_target::EmbeddedTarget;

use crate::common::{mock, small_vajra, text, vajra, KEY_ID, SECRET};

/// The shared config (H4's bzt run reads the same file).
fn three_ways() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/taurus/three-ways.yml")
}

/// The expected result: 2 users × 3 iterations, each label once per iteration.
fn expected() -> BTreeMap<String, u64> {
    ["/fast", "echo form", "page two"]
        .into_iter()
        .map(|label| (label.to_owned(), 6))
        .collect()
}

/// A 127.0.0.1 target on its own runtime, kept alive while the test runs.
struct Target {
    url: String,
    _target: EmbeddedTarget,
    _runtime: tokio::runtime::Runtime,
}

fn target() -> Target {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let target = runtime.block_on(EmbeddedTarget::start()).unwrap();
    Target {
        url: target.base_url(),
        _target: target,
        _runtime: runtime,
    }
}

fn address_override(target: &Target) -> String {
    format!("scenarios.three-ways.default-address={}", target.url)
}

#[track_caller]
fn exits(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn jtl_counts(path: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for row in vajra_testkit::jtl::read(path).unwrap() {
        assert!(row.success, "{row:?}");
        *counts.entry(row.label.clone()).or_default() += 1;
    }
    counts
}

#[test]
fn vajra_run_and_a_cloud_package_give_the_same_samples() {
    let target = target();
    let dir = tempfile::tempdir().unwrap();

    // 1. `vajra run` on the Taurus file, with Taurus's own -o.
    let output = vajra()
        .current_dir(dir.path())
        .arg("run")
        .arg(three_ways())
        .args(["-o", &address_override(&target), "-o", "local", "--quiet"])
        .output()
        .unwrap();
    exits(&output, 0);
    let local = jtl_counts(&dir.path().join("local/results.jtl"));
    assert_eq!(local, expected());

    // 2. The same file as a cloud package, run by the mock's vajra engines.
    let mock = mock();
    let output = vajra()
        .current_dir(dir.path())
        .env("BLAZEMETER_API_KEY_ID", KEY_ID)
        .env("BLAZEMETER_API_KEY_SECRET", SECRET)
        .env("VAJRA_STATE_DIR", dir.path().join("state"))
        .env("HOME", dir.path())
        .env("VAJRA_API_URL", mock.handle.base_url())
        .env_remove("RUST_LOG")
        .args(["cloud", "--api-retry-delay", "50ms", "run"])
        .arg(three_ways())
        .args(["--option", &address_override(&target)])
        .args([
            "--locations",
            "us-east4-a=1",
            "--poll-interval",
            "200ms",
            "--out",
            "cloud",
        ])
        .arg("--vajra-binary")
        .arg(small_vajra())
        .output()
        .unwrap();
    exits(&output, 0);
    let state = mock.handle.state();
    let upload = |name: &str| {
        state
            .uploads
            .iter()
            .rev()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("{name} not uploaded"))
            .bytes
            .clone()
    };
    let taurus: Value = serde_saphyr::from_slice(&upload("taurus.yml")).unwrap();
    assert_eq!(taurus["execution"][0]["executor"], "vajra");
    assert_eq!(
        taurus["execution"][0]["scenario"]["script"],
        "three-ways.plan.yaml"
    );
    assert_eq!(taurus["execution"][0]["concurrency"], 2);
    assert_eq!(taurus["execution"][0]["iterations"], 3);
    let plan: Value = serde_saphyr::from_slice(&upload("three-ways.plan.yaml")).unwrap();
    assert_eq!(
        plan["scenarios"][0]["requests"][1]["body"],
        "user=alice&role=admin"
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("cloud/report.json")).unwrap(),
    )
    .unwrap();
    let cloud: BTreeMap<String, u64> = report["aggregate"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["labelName"] != "ALL")
        .map(|row| {
            (
                row["labelName"].as_str().unwrap().to_owned(),
                row["samples"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(cloud, local);
}

#[test]
fn validate_says_ok_or_points_at_the_taurus_line() {
    let output = vajra()
        .args(["validate", "--print-plan"])
        .arg(three_ways())
        .output()
        .unwrap();
    exits(&output, 0);
    assert!(
        text(&output.stdout).contains("label: echo form"),
        "{}",
        text(&output.stdout)
    );
    assert!(
        text(&output.stdout).contains("execution 0 (scenario three-ways)"),
        "{}",
        text(&output.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "execution:\n- scenario: s\nscenarios:\n  s:\n    requests:\n    - url: http://127.0.0.1:9/\n      upload-files: [{param: f, path: a.txt}]\n",
    )
    .unwrap();
    let output = vajra().arg("validate").arg(&bad).output().unwrap();
    exits(&output, 1);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad.yml:7:"), "{stderr}");
    assert!(stderr.contains("upload-files"), "{stderr}");

    // Several executions: run needs --execution; validate checks them all, or the one given.
    let two = dir.path().join("two.yml");
    std::fs::write(
        &two,
        "execution:\n- {scenario: s, concurrency: 1, iterations: 1}\n- {scenario: s, executor: gatling}\nscenarios:\n  s: {requests: ['http://127.0.0.1:9/']}\n",
    )
    .unwrap();
    let output = vajra()
        .args(["validate", "--execution", "0"])
        .arg(&two)
        .output()
        .unwrap();
    exits(&output, 0);
    let output = vajra().arg("validate").arg(&two).output().unwrap();
    exits(&output, 1);
    assert!(
        text(&output.stderr).contains("gatling"),
        "{}",
        text(&output.stderr)
    );
    let output = vajra()
        .arg("run")
        .arg(&two)
        .current_dir(dir.path())
        .output()
        .unwrap();
    exits(&output, 1);
    assert!(
        text(&output.stderr).contains("--execution N"),
        "{}",
        text(&output.stderr)
    );
}

/// The rows of a JTL by label (the last row of each).
fn jtl_by_label(path: &Path) -> BTreeMap<String, vajra_testkit::jtl::JtlRow> {
    vajra_testkit::jtl::read(path)
        .unwrap()
        .into_iter()
        .map(|row| (row.label.clone(), row))
        .collect()
}

#[test]
fn a_transaction_without_timers_leaves_its_pauses_out_of_its_time() {
    const PAUSE_MS: u64 = 300;
    let target = target();
    let dir = tempfile::tempdir().unwrap();
    // Taurus: a think time pauses before its request, so both pauses are inside.
    let config = dir.path().join("bzt.yml");
    std::fs::write(
        &config,
        format!(
            "execution:\n- {{scenario: s, concurrency: 1, iterations: 1}}\nscenarios:\n  s:\n    default-address: {url}\n    requests:\n    - transaction: with\n      include-timers: true\n      do:\n      - {{url: /fast, label: w1}}\n      - {{url: /fast, label: w2, think-time: {PAUSE_MS}ms}}\n    - transaction: without\n      do:\n      - {{url: /fast, label: o1}}\n      - {{url: /fast, label: o2, think-time: {PAUSE_MS}ms}}\n",
            url = target.url
        ),
    )
    .unwrap();
    // The native plan says the same with `include-pauses` and a pause step.
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "target: embedded\nload: {{concurrency: 1, iterations: 1}}\nrequests:\n- transaction: with\n  do:\n  - {{url: /fast, label: w1}}\n  - pause: {PAUSE_MS}ms\n  - {{url: /fast, label: w2}}\n- transaction: without\n  include-pauses: false\n  do:\n  - {{url: /fast, label: o1}}\n  - pause: {PAUSE_MS}ms\n  - {{url: /fast, label: o2}}\n"
        ),
    )
    .unwrap();
    for (file, out) in [(&config, "taurus"), (&plan, "native")] {
        let out = dir.path().join(out);
        let output = vajra()
            .arg("run")
            .arg(file)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        exits(&output, 0);
        let rows = jtl_by_label(&out.join("results.jtl"));
        let elapsed = |label: &str| rows[label].elapsed;
        let (with, without) = (elapsed("with"), elapsed("without"));
        assert!(with >= PAUSE_MS, "{file:?}: {rows:?}");
        // What is left is the requests' own time (whole milliseconds, each rounded).
        assert!(
            without + 2 >= elapsed("o1") + elapsed("o2") && without < PAUSE_MS / 2,
            "{file:?}: {rows:?}"
        );
        assert!(with >= without + PAUSE_MS - 5, "{file:?}: {rows:?}");
    }
}

#[test]
fn an_unknown_variable_is_sent_as_written_and_warned_about() {
    let target = target();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bzt.yml");
    std::fs::write(
        &config,
        format!(
            "execution:\n- {{scenario: s, concurrency: 1, iterations: 1}}\nscenarios:\n  s:\n    default-address: {url}\n    requests:\n    - url: /echo?dir=${{TAURUS_ARTIFACTS_DIR}}\n      label: echo\n      method: POST\n      body: ${{body}}\n      assert:\n      - contains: ['^\\$\\{{body\\}}$']\n        regexp: true\n",
            url = target.url
        ),
    )
    .unwrap();
    let warning = |line: usize, key: &str, name: &str| {
        format!(
            "warning: {}:{line}:7: scenarios.s.requests[0]: {key}: `${{{name}}}` is defined nowhere; JMeter sends it as written, and so does vajra",
            config.display()
        )
    };

    // validate has no results directory, so TAURUS_ARTIFACTS_DIR is left as written too.
    let output = vajra().arg("validate").arg(&config).output().unwrap();
    exits(&output, 0);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&warning(7, "url", "TAURUS_ARTIFACTS_DIR")),
        "{stderr}"
    );
    assert!(stderr.contains(&warning(7, "body", "body")), "{stderr}");

    let out = dir.path().join("out");
    let output = vajra()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    exits(&output, 0);
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .collect::<Vec<_>>(),
        [warning(7, "body", "body")],
        "{stderr}"
    );
    // The body went out as `${body}` (the target echoes it and the assertion matched it), and
    // the artifacts directory is the run's output directory.
    let row = &jtl_by_label(&out.join("results.jtl"))["echo"];
    assert!(row.success, "{row:?}");
    let out_abs = std::path::absolute(&out).unwrap();
    assert!(
        row.url
            .ends_with(&format!("/echo?dir={}", out_abs.display())),
        "{row:?}"
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["plan_warnings"],
        serde_json::json!([warning(7, "body", "body").trim_start_matches("warning: ")])
    );
}
