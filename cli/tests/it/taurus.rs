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
