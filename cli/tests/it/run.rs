//! `vajra run` end to end: the real binary, real HTTP over loopback, real files and signals.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{run_to_end, text, vajra, write_plan};

/// JTL rows read the way Taurus's JTLReader reads them (docs/jtl-and-taurus.md §3.4): a header,
/// columns looked up by name, integer numeric fields, `success` exactly `true`/`false`.
struct JtlRows {
    rows: Vec<csv::StringRecord>,
    header: csv::StringRecord,
}

impl JtlRows {
    fn read(path: &Path) -> JtlRows {
        let bytes = std::fs::read(path).unwrap();
        assert!(!bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let header = reader.headers().unwrap().clone();
        assert_eq!(
            header.iter().collect::<Vec<_>>().join(","),
            "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect"
        );
        let rows: Vec<_> = reader.records().map(|r| r.unwrap()).collect();
        let jtl = JtlRows { rows, header };
        for row in &jtl.rows {
            assert_eq!(row.len(), 17, "short row {row:?}");
            for column in [
                "timeStamp",
                "elapsed",
                "allThreads",
                "Latency",
                "Connect",
                "bytes",
            ] {
                jtl.get(row, column)
                    .parse::<u64>()
                    .unwrap_or_else(|_| panic!("{column} is not an integer in {row:?}"));
            }
            assert!(matches!(jtl.get(row, "success"), "true" | "false"));
        }
        jtl
    }

    fn get<'a>(&self, row: &'a csv::StringRecord, column: &str) -> &'a str {
        let index = self.header.iter().position(|h| h == column).unwrap();
        &row[index]
    }

    fn count(&self, column: &str, value: &str) -> usize {
        self.rows
            .iter()
            .filter(|r| self.get(r, column) == value)
            .count()
    }
}

fn summary(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn overall_samples(summary: &Value) -> u64 {
    summary["total"]["samples"].as_u64().expect("total.samples")
}

#[test]
fn static_run_against_the_embedded_target_writes_every_row_and_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        r#"
target: embedded
scenarios:
  - name: mixed
    requests:
      - label: fast, "quoted"
        url: /fast
        assert: { body-contains: ["ok"] }
      - label: flaky
        url: /flaky
load: { pattern: static, tps: 40, duration: 2s }
"#,
    );
    let out = dir.path().join("out");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let jtl = JtlRows::read(&out.join("results.jtl"));
    // 40/s for 2 s = 80 arrivals, each one iteration of two requests.
    assert_eq!(jtl.rows.len(), 160);
    assert_eq!(jtl.count("label", "fast, \"quoted\""), 80);
    assert_eq!(jtl.count("label", "flaky"), 80);
    // The embedded /flaky fails every 10th request.
    assert_eq!(jtl.count("success", "false"), 8);
    for row in &jtl.rows {
        let elapsed: u64 = jtl.get(row, "elapsed").parse().unwrap();
        let latency: u64 = jtl.get(row, "Latency").parse().unwrap();
        assert!(latency <= elapsed, "latency {latency} > elapsed {elapsed}");
        assert!(jtl.get(row, "URL").starts_with("http://127.0.0.1:"));
    }
    let summary = summary(&out);
    assert_eq!(overall_samples(&summary), 160);
    assert_eq!(summary["total"]["errors"].as_u64(), Some(8));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("flaky"), "console table: {stdout}");
}

#[test]
fn flags_override_the_plan_and_a_plan_needs_no_load_section() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), "target: embedded\nrequests:\n  - url: /fast\n");
    let out = dir.path().join("out");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--pattern",
        "step",
        "--steps",
        "20:1s,0:500ms,10:1s",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(JtlRows::read(&out.join("results.jtl")).rows.len(), 30);
}

#[test]
fn workers_split_the_arrivals_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast\nload: { pattern: static, tps: 35, duration: 1s }\n",
    );
    let mut total = 0;
    for index in 0..3 {
        let out = dir.path().join(format!("w{index}"));
        let output = run_to_end(&[
            "run",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--worker-index",
            &index.to_string(),
            "--worker-count",
            "3",
        ]);
        assert!(output.status.success(), "{output:?}");
        let rows = JtlRows::read(&out.join("results.jtl")).rows.len();
        assert!((11..=12).contains(&rows), "worker {index} got {rows}");
        total += rows;
    }
    assert_eq!(total, 35);
}

#[test]
fn arrivals_past_the_in_flight_bound_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /slow?ms=300\nload: { pattern: static, tps: 50, duration: 1s, max-in-flight: 5, allow-overload: true }\n",
    );
    let out = dir.path().join("out");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let rows = JtlRows::read(&out.join("results.jtl")).rows.len() as u64;
    let summary = summary(&out);
    let dropped = summary["dropped"].as_u64().expect("dropped");
    assert!(dropped > 0, "{summary}");
    assert_eq!(
        rows + dropped,
        50,
        "every arrival is either sent or counted as dropped"
    );
}

#[test]
fn response_time_includes_waiting_for_the_generator_but_service_time_does_not() {
    // One lane and a 100 ms endpoint at 20/s: arrivals queue behind each other, so the
    // response time (from the intended start) grows while the service time stays ~100 ms.
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /slow?ms=100\nload: { pattern: static, tps: 20, duration: 1s, max-in-flight: 100 }\n",
    );
    let out = dir.path().join("out");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let summary = summary(&out);
    let overall = &summary["total"];
    let p50 = overall["response_time_ms"]["median"].as_f64().unwrap();
    let service_p50 = overall["service_time_ms"]["p50"].as_f64().unwrap();
    assert!(p50 >= 100.0 && service_p50 >= 100.0, "{overall}");
    assert!(p50 >= service_p50, "{overall}");
}

#[test]
fn a_bad_plan_is_an_error_naming_the_file_field_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast\n    methd: GET\n",
    );
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--tps",
        "1",
        "--duration",
        "1s",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("plan.yaml:4"), "{stderr}");
    assert!(stderr.contains("methd"), "{stderr}");
    assert!(stderr.contains("method"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn missing_load_is_an_error_saying_what_to_add() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), "target: embedded\nrequests:\n  - url: /fast\n");
    let output = run_to_end(&["run", plan.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--tps"), "{stderr}");
}

#[test]
fn duration_flags_are_read_by_clap_and_a_bad_one_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), "target: embedded\nrequests:\n  - url: /fast\n");
    let out = dir.path().join("out");
    let plan = plan.to_str().unwrap();
    let out_arg = out.to_str().unwrap();
    // A good value reaches the run: 20/s for 1.5 s after no warm-up = 30 rows.
    let output = run_to_end(&[
        "run",
        plan,
        "--out",
        out_arg,
        "--tps",
        "20",
        "--duration",
        "1500ms",
        "--warmup",
        "0s",
        "--drain-timeout",
        "2s",
        "-q",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(JtlRows::read(&out.join("results.jtl")).rows.len(), 30);
    std::fs::remove_dir_all(&out).unwrap();
    for (flag, value) in [
        ("--duration", "5x"),
        ("--ramp-duration", "soon"),
        ("--warmup", "1m-3s"),
        ("--cooldown", ""),
        ("--period", "s"),
        ("--spike-interval", "10 s"),
        ("--spike-duration", "abc"),
        ("--drain-timeout", "forever"),
        ("--progress-every", "5q"),
    ] {
        let output = run_to_end(&["run", plan, "--out", out_arg, "--tps", "1", flag, value]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{flag} {value:?}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid value '{value}' for '{flag} <DURATION>'")),
            "{flag}: {stderr}"
        );
        assert!(stderr.contains("like 500ms, 30s"), "{flag}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists(), "nothing is written for a bad flag");
    }
}

#[test]
fn threads_out_of_range_are_refused_by_clap() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), "target: embedded\nrequests:\n  - url: /fast\n");
    let out = dir.path().join("out");
    for threads in ["0", "1025", "100000", "-1"] {
        let output = run_to_end(&[
            "run",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--tps",
            "1",
            "--duration",
            "1s",
            &format!("--threads={threads}"),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{threads}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid value '{threads}' for '--threads <N>'")),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists());
    }
}

#[test]
fn threads_the_os_refuses_are_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), "target: embedded\nrequests:\n  - url: /fast\n");
    let out = dir.path().join("out");
    // A 1 TiB default stack: the OS refuses every new thread, as it does past its thread limit.
    let output = vajra()
        .env("RUST_MIN_STACK", (1u64 << 40).to_string())
        .args([
            "run",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--tps",
            "1",
            "--duration",
            "1s",
            "--threads",
            "4",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot start the async runtime with 4 worker thread(s)")
            && stderr.contains("use a smaller --threads"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn usage_errors_exit_1_and_help_and_version_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), "target: embedded\nrequests:\n  - url: /fast\n");
    let plan = plan.to_str().unwrap();
    for (args, says) in [
        (
            vec!["run", plan, "--durration", "5s"],
            "a similar argument exists: '--duration'",
        ),
        (vec![], "Usage: vajra"),
        (vec!["run"], "<PLAN>"),
        (vec!["report", "-f", "xml", "x.jtl"], "invalid value 'xml'"),
        (
            vec!["run", plan, "--duration", "-5s"],
            "unexpected argument '-5'",
        ),
        (vec!["run", plan, "--duration=-5s"], "invalid value '-5s'"),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ] {
        let output = run_to_end(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["help", "report"],
        vec!["--version"],
    ] {
        let output = run_to_end(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("Usage: vajra") || stdout.starts_with("vajra "),
            "{args:?}: {stdout}"
        );
    }
    assert!(!dir.path().join("vajra-results").exists());
}

#[test]
fn a_closed_stdout_neither_panics_nor_loses_results() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /flaky\nload: {tps: 20, duration: 1s}\n",
    );
    for (case, read_first_line) in [("closed", false), ("head-1", true)] {
        let out = dir.path().join(case);
        // The embedded /flaky fails every 10th request: 10% errors, so the criterion is met.
        let mut child = vajra()
            .args([
                "run",
                plan.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .args(["--fail-on", "errors>5%", "--progress-every", "100ms"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        if read_first_line {
            // `| head -1`: one line read, then the pipe is closed.
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
            assert!(line.starts_with("vajra run "), "{line}");
        } else {
            drop(stdout);
        }
        let output = wait_bounded(child);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{case}: {stderr}");
        assert!(!stderr.contains("panicked"), "{case}: {stderr}");
        assert_eq!(JtlRows::read(&out.join("results.jtl")).rows.len(), 20);
        assert_eq!(overall_samples(&summary(&out)), 20);
        assert!(out.join("report.html").is_file());
    }
}

/// Starts a long run in the background and waits until it has written some rows.
fn start_long_run(dir: &Path, extra_env: Option<(&str, &Path)>) -> (Child, PathBuf) {
    let plan = write_plan(
        dir,
        "target: embedded\nrequests:\n  - url: /slow?ms=50\nload: { pattern: static, tps: 100, duration: 60s }\n",
    );
    let out = dir.join("out");
    let mut cmd = vajra();
    cmd.args([
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some((key, value)) = extra_env {
        cmd.env(key, value);
    }
    let child = cmd.spawn().unwrap();
    let jtl = out.join("results.jtl");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&jtl).map(|m| m.len()).unwrap_or(0) < 2000 {
        assert!(Instant::now() < deadline, "the run wrote no rows");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, out)
}

fn wait_bounded(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("vajra did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn assert_nothing_lost(out: &Path) {
    let rows = JtlRows::read(&out.join("results.jtl")).rows.len() as u64;
    assert!(rows > 0);
    assert_eq!(
        overall_samples(&summary(out)),
        rows,
        "every sample has its JTL row"
    );
}

#[test]
fn sigterm_stops_gracefully_with_exit_0_and_every_row_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let (child, out) = start_long_run(dir.path(), None);
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let output = wait_bounded(child);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_nothing_lost(&out);
}

#[test]
fn ctrl_c_stops_with_exit_2_and_every_row_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let (child, out) = start_long_run(dir.path(), None);
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = wait_bounded(child);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_nothing_lost(&out);
    // The result bundle is written at the stop too, with every sample and the stop's reason.
    let bundle = vajra_stats::bundle::read(&out.join("result.vbundle")).unwrap();
    assert_eq!(bundle.run.stop_reason, "interrupted");
    assert_eq!(
        bundle.stats.total().samples(),
        overall_samples(&summary(&out))
    );
    assert!(bundle.run.ended_at_ms > bundle.run.started_at_ms);
}

#[test]
fn the_graceful_file_stops_the_run_like_taurus_asks() {
    let dir = tempfile::tempdir().unwrap();
    let graceful = dir.path().join("graceful-stop");
    let (child, out) = start_long_run(dir.path(), Some(("GRACEFUL", &graceful)));
    std::fs::write(&graceful, "").unwrap();
    let started = Instant::now();
    let output = wait_bounded(child);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_nothing_lost(&out);
}

#[test]
fn closed_model_users_loop_with_the_last_think_time_as_the_pause_between_iterations() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        r#"
target: embedded
requests:
  - label: paced
    url: /fast
    think-time: 300ms
load: { concurrency: 2, iterations: 3 }
"#,
    );
    let out = dir.path().join("out");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let jtl = JtlRows::read(&out.join("results.jtl"));
    assert_eq!(jtl.rows.len(), 6, "2 users × 3 iterations");
    // Each user's iterations start at least the think time apart, and allThreads reports the
    // users active (never more than the two of them).
    let mut by_user: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for row in &jtl.rows {
        let threads: u64 = jtl.get(row, "allThreads").parse().unwrap();
        assert!((1..=2).contains(&threads), "allThreads {threads}");
        by_user
            .entry(jtl.get(row, "threadName").to_string())
            .or_default()
            .push(jtl.get(row, "timeStamp").parse().unwrap());
    }
    assert_eq!(by_user.len(), 2, "{by_user:?}");
    for starts in by_user.values_mut() {
        starts.sort_unstable();
        for pair in starts.windows(2) {
            assert!(
                pair[1] - pair[0] >= 300,
                "no pause between iterations: {starts:?}"
            );
        }
    }
    assert!(summary(&out)["pattern"]
        .as_str()
        .is_some_and(|p| p.starts_with("closed model, 2 users")));
}

#[test]
fn each_request_of_an_iteration_is_timed_from_its_own_start() {
    // The second request starts when the first ends: its response time must not include the
    // first request's 150 ms.
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - label: slow\n    url: /slow?ms=150\n  - label: fast\n    url: /fast\nload: { pattern: static, tps: 5, duration: 1s }\n",
    );
    let out = dir.path().join("out");
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let jtl = JtlRows::read(&out.join("results.jtl"));
    assert_eq!(jtl.count("label", "fast"), 5);
    for row in jtl.rows.iter().filter(|r| jtl.get(r, "label") == "fast") {
        let elapsed: u64 = jtl.get(row, "elapsed").parse().unwrap();
        assert!(
            elapsed < 100,
            "fast took {elapsed} ms: timed from the iteration's start?"
        );
    }
}

/// A second Ctrl-C cancels the requests in flight: each is a JTL row with the Cancelled code,
/// counted as `cancelled` in summary.json, not as an error, and kept out of the response times.
/// Every iteration is a fast request then a 3 s one, and both Ctrl-Cs come before any 3 s
/// request can finish, so the slow label's only samples are cancelled ones.
#[test]
fn a_second_ctrl_c_cancels_requests_counted_apart_from_errors_and_latency() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - label: fast\n    url: /fast\n  - label: slow\n    url: /slow?ms=3000\nload: { pattern: static, tps: 20, duration: 60s }\n",
    );
    let out = dir.path().join("out");
    let child = vajra()
        .args([
            "run",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let jtl = out.join("results.jtl");
    // Some fast rows flushed: the run and its Ctrl-C handler are up.
    while std::fs::read_to_string(&jtl).map_or(0, |t| t.lines().count()) < 6 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the run wrote no rows"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    std::thread::sleep(Duration::from_millis(300));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = wait_bounded(child);
    assert_eq!(output.status.code(), Some(2), "{output:?}");

    let rows = JtlRows::read(&jtl);
    let cancelled = rows.count("responseCode", "Non HTTP response code: Cancelled");
    let slow = rows.count("label", "slow");
    let summary = summary(&out);
    let label = |name: &str| {
        summary["labels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["label"] == name)
            .unwrap_or_else(|| panic!("no label {name} in {summary}"))
            .clone()
    };
    let (slow_summary, total) = (label("slow"), &summary["total"]);
    // Nothing is lost: each cancelled request is a row and a sample.
    assert!(cancelled > 0, "no cancelled rows");
    assert_eq!(overall_samples(&summary), rows.rows.len() as u64);
    assert_eq!(slow_summary["samples"], slow as u64);
    assert_eq!(total["cancelled"], cancelled as u64);
    assert_eq!(slow_summary["cancelled"], cancelled as u64);
    // Counted apart: not errors, not in the error rate, not in the response times.
    assert_eq!(total["errors"], 0, "{total}");
    assert_eq!(total["error_pct"], 0.0, "{total}");
    let times = &slow_summary["response_time_ms"];
    if slow == cancelled {
        assert_eq!(times["median"], 0.0, "no slow request completed: {times}");
        assert_eq!(times["max"], 0.0, "{times}");
    } else {
        // A slow run of the machine let some finish: only those, at 3 s or more, count.
        assert!(times["median"].as_f64().unwrap() >= 3000.0, "{times}");
    }
    if slow == cancelled {
        // Only fast requests completed, so "ALL" has their response times and no others.
        let fast = label("fast");
        for field in ["median", "max"] {
            assert_eq!(
                total["response_time_ms"][field], fast["response_time_ms"][field],
                "{field}"
            );
        }
    }
}

/// A rate far above what the machine sustains ends within duration + drain + 2 s, and every
/// arrival is accounted for: scheduled = sent + dropped + unsent.
#[test]
fn a_rate_far_above_the_machine_ends_on_time_and_its_arrivals_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "name: flood\ntarget: embedded\nrequests:\n  - url: /fast\n\
         load: {pattern: static, tps: 2000000, duration: 2s, max-in-flight: 64, allow-overload: true}\n",
    );
    let out = dir.path().join("out");
    let started = Instant::now();
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--drain-timeout",
        "2s",
        "--quiet",
    ]);
    let wall = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(wall < Duration::from_secs(2 + 2 + 2), "took {wall:?}");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let n = |key: &str| summary["arrivals"][key].as_u64().unwrap();
    assert_eq!(n("scheduled"), 4_000_000, "{}", summary["arrivals"]);
    assert_eq!(n("scheduled"), n("sent") + n("dropped") + n("unsent"));
    assert!(n("dropped") > 0);
}

/// A think time (about 290 days) far beyond the run's end does not keep the run going past it.
#[test]
fn a_huge_think_time_is_cut_by_the_end_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "name: dawdle\ntarget: embedded\nrequests:\n  - {url: /fast, think-time: 7000h}\n\
         load: {concurrency: 2, duration: 1s}\n",
    );
    let out = dir.path().join("out");
    let started = Instant::now();
    let output = run_to_end(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--drain-timeout",
        "1s",
        "--quiet",
    ]);
    let wall = started.elapsed();
    assert!(
        matches!(output.status.code(), Some(0) | Some(3)),
        "{}",
        text(&output.stderr)
    );
    assert!(wall < Duration::from_secs(1 + 1 + 2), "took {wall:?}");
}

/// A load flag the plan's limits refuse is named in the error, as the flag the user typed.
#[test]
fn a_refused_load_flag_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "name: x\ntarget: embedded\nrequests:\n  - url: /fast\n",
    );
    for (flag, value) in [("--tps", "1e12"), ("--concurrency", "0")] {
        let output = run_to_end(&[
            "run",
            plan.to_str().unwrap(),
            flag,
            value,
            "--duration",
            "1s",
        ]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(&format!("invalid {flag}: ")), "{stderr}");
    }
}
