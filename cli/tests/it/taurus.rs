//! A Taurus config run natively: `vajra run` on fixtures/taurus/three-ways.yml, and the same
//! file as a cloud package on the mock (whose engines really run it), against a 127.0.0.1
//! target this test starts; both give identical sample counts and labels. Also `vajra
//! validate`, Taurus errors at their line, and a config's several executions run at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::{exits, mock, small_vajra, target, text, vajra, Target, KEY_ID, SECRET};

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

fn address_override(target: &Target) -> String {
    format!("scenarios.three-ways.default-address={}", target.url)
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
    // `vajra run` maps every execution before any starts, so the gatling one stops it, and no
    // output directory is left behind.
    let output = vajra()
        .args(["run", "--out", "never"])
        .arg(&two)
        .current_dir(dir.path())
        .output()
        .unwrap();
    exits(&output, 1);
    assert!(
        text(&output.stderr).contains("gatling"),
        "{}",
        text(&output.stderr)
    );
    assert!(!dir.path().join("never").exists());
    // A cloud package carries one execution: it asks for one.
    let output = vajra()
        .args(["package", "--out", "pkg"])
        .arg(&two)
        .current_dir(dir.path())
        .output()
        .unwrap();
    exits(&output, 1);
    assert!(
        text(&output.stderr).contains("--execution N (0 to 1)"),
        "{}",
        text(&output.stderr)
    );
}

/// Two executions of different scenarios against `target`: `shop` (2 users × 3 iterations of
/// 2 requests: 6 samples per label) and `api` (1 user × 4 iterations: 4 samples), with the
/// passfail `criteria` given (a YAML list, or nothing).
fn two_executions(dir: &Path, target: &Target, criteria: &str) -> PathBuf {
    let reporting = if criteria.is_empty() {
        String::new()
    } else {
        format!("reporting:\n- module: passfail\n  criteria: {criteria}\n")
    };
    let path = dir.join("two.yml");
    std::fs::write(
        &path,
        format!(
            "execution:\n\
             - {{scenario: shop, concurrency: 2, iterations: 3}}\n\
             - {{scenario: api, concurrency: 1, iterations: 4}}\n\
             scenarios:\n\
             \x20 shop:\n\
             \x20   default-address: {url}\n\
             \x20   requests:\n\
             \x20   - {{url: /fast, label: shop home}}\n\
             \x20   - {{url: /echo, label: shop cart, method: POST, body: {{item: a}}}}\n\
             \x20 api:\n\
             \x20   default-address: {url}\n\
             \x20   requests:\n\
             \x20   - {{url: '/fast?api=1', label: api status}}\n\
             {reporting}",
            url = target.url
        ),
    )
    .unwrap();
    path
}

fn summary_counts(path: &Path) -> BTreeMap<String, u64> {
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut counts: BTreeMap<String, u64> = summary["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["label"].as_str().unwrap().to_owned(),
                row["samples"].as_u64().unwrap(),
            )
        })
        .collect();
    counts.insert("ALL".into(), summary["total"]["samples"].as_u64().unwrap());
    counts
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(l, n)| (l.to_string(), *n)).collect()
}

#[test]
fn every_execution_runs_at_once_into_one_report_and_one_verdict() {
    let target = target();
    let dir = tempfile::tempdir().unwrap();
    let config = two_executions(dir.path(), &target, "");
    let out = dir.path().join("out");
    let output = vajra()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    exits(&output, 0);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("2 executions at once"), "{stdout}");
    assert!(
        stdout.contains("vajra run api (execution 1): closed model, 1 users, 4 iterations"),
        "{stdout}"
    );
    let shop = counts(&[("shop home", 6), ("shop cart", 6)]);
    let api = counts(&[("api status", 4)]);
    assert_eq!(jtl_counts(&out.join("execution-0/results.jtl")), shop);
    assert_eq!(jtl_counts(&out.join("execution-1/results.jtl")), api);
    // Each execution's own summary, and the merged one over both.
    let mut own = shop.clone();
    own.insert("ALL".into(), 12);
    assert_eq!(summary_counts(&out.join("execution-0/summary.json")), own);
    assert_eq!(
        summary_counts(&out.join("execution-1/summary.json")),
        counts(&[("api status", 4), ("ALL", 4)])
    );
    assert_eq!(
        summary_counts(&out.join("summary.json")),
        counts(&[
            ("shop home", 6),
            ("shop cart", 6),
            ("api status", 4),
            ("ALL", 16)
        ])
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["verdict"]["result"], "passed", "{summary}");
    assert_eq!(summary["stop_reason"], "completed", "{summary}");
    for file in [
        "report.html",
        "execution-0/report.html",
        "execution-1/report.html",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    assert!(!out.join("results.jtl").exists());

    // The config's criteria are judged over both: one on execution 1's label is met (exit 3),
    // one on the total of both is not.
    let config = two_executions(
        dir.path(),
        &target,
        "['hits of api status>3', 'hits of shop home>6', 'hits>16']",
    );
    let out = dir.path().join("judged");
    let output = vajra()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    exits(&output, 3);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("FAIL: 1 of 3 failure criteria met:\n  samples(api status)>3 (actual: 4)"),
        "{stdout}"
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["verdict"]["result"], "failed", "{summary}");
    // An execution's own summary has its own facts and checks no criteria.
    let own: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("execution-1/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(own["verdict"]["criteria"], serde_json::json!([]), "{own}");
    assert_eq!(own["stop_reason"], "completed", "{own}");

    // --execution 1 runs that one alone, into the output directory itself (its criteria may
    // name only its own labels then).
    let config = two_executions(dir.path(), &target, "['hits of api status>3']");
    let out = dir.path().join("one");
    let output = vajra()
        .arg("run")
        .arg(&config)
        .args(["--execution", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    exits(&output, 3);
    assert_eq!(jtl_counts(&out.join("results.jtl")), api);
    assert!(!out.join("execution-0").exists());
    assert!(!text(&output.stdout).contains("executions at once"));
}

/// Starts two open-model executions for a minute and waits until both have written rows.
fn start_two_long_executions(dir: &Path, target: &Target) -> (std::process::Child, PathBuf) {
    let config = dir.join("long.yml");
    std::fs::write(
        &config,
        format!(
            "execution:\n\
             - {{scenario: a, throughput: 40, hold-for: 60s}}\n\
             - {{scenario: b, throughput: 20, hold-for: 60s}}\n\
             scenarios:\n\
             \x20 a: {{default-address: '{url}', requests: [{{url: '/slow?ms=50', label: a}}]}}\n\
             \x20 b: {{default-address: '{url}', requests: [{{url: '/slow?ms=50', label: b}}]}}\n",
            url = target.url
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let child = vajra()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    for i in 0..2 {
        let jtl = out.join(format!("execution-{i}/results.jtl"));
        while std::fs::metadata(&jtl).map(|m| m.len()).unwrap_or(0) < 1000 {
            assert!(
                std::time::Instant::now() < deadline,
                "execution {i} wrote no rows"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    (child, out)
}

/// Waits for `child` at most 30 s (the runs last a minute, so this can only pass on a stop).
fn wait_bounded(mut child: std::process::Child) -> Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("vajra did not stop");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_signal_stops_every_execution_and_every_row_is_flushed() {
    let target = target();
    for (signal, code, reason) in [
        (libc::SIGTERM, 0, "graceful"),
        (libc::SIGINT, 2, "interrupted"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (child, out) = start_two_long_executions(dir.path(), &target);
        unsafe { libc::kill(child.id() as i32, signal) };
        let output = wait_bounded(child);
        exits(&output, code);
        let mut total = 0;
        for (i, label) in ["a", "b"].into_iter().enumerate() {
            let dir = out.join(format!("execution-{i}"));
            let rows = jtl_counts(&dir.join("results.jtl"));
            let own = summary_counts(&dir.join("summary.json"));
            assert!(rows[label] > 0, "{reason}: {rows:?}");
            assert_eq!(
                own[label], rows[label],
                "{reason}: every sample has its row"
            );
            let own: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap())
                    .unwrap();
            assert_eq!(own["stop_reason"], reason, "{own}");
            total += rows[label];
        }
        let merged = summary_counts(&out.join("summary.json"));
        assert_eq!(merged["ALL"], total, "{reason}");
        let summary: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["stop_reason"], reason, "{summary}");
        let stdout = text(&output.stdout);
        for i in 0..2 {
            assert!(
                stdout.contains(&format!("execution {i}: stopped early: {reason}")),
                "{stdout}"
            );
        }
    }
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
        // What is left is the requests' own time (whole milliseconds, each rounded). The two
        // transactions are not compared with each other: their pauses oversleep independently
        // on a loaded machine.
        assert!(
            without + 2 >= elapsed("o1") + elapsed("o2") && without < PAUSE_MS / 2,
            "{file:?}: {rows:?}"
        );
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
