//! `vajra run --metrics-addr` and `--push-gateway` against the real tools: `promtool check
//! metrics` (Debian's `prometheus` package) on what a run serves, and the real Pushgateway
//! (`prometheus-pushgateway`). A missing tool skips its test, except under CI (`CI=true`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{text, vajra, write_plan};

const PLAN: &str =
    "name: metrics test\ntarget: embedded\nrequests:\n  - label: flaky\n    url: /flaky\n\
                    load: { pattern: static, tps: 100, duration: 2s }\n";

/// The tool on `PATH`, or `None` after a SKIP line; under CI a missing tool fails the test.
fn tool_or_skip(program: &str, package: &str, test: &str) -> Option<PathBuf> {
    match vajra_testkit::find_on_path(program) {
        Some(path) => Some(path),
        None if vajra_testkit::under_ci() => {
            panic!("{test}: {program} is not installed (apt-get install {package}); CI installs it")
        }
        None => {
            eprintln!("SKIP {test}: {program} is not installed (apt-get install {package})");
            None
        }
    }
}

/// A GET over a fresh connection, HTTP/1.0 so the body comes whole (not chunked): (status
/// line, headers, body).
fn get(addr: SocketAddr, path: &str, accept: Option<&str>) -> (String, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\n{accept}\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = text(&response[..split]);
    let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    (
        status.to_string(),
        headers.to_ascii_lowercase(),
        response[split + 4..].to_vec(),
    )
}

/// Stdout lines of a running vajra, read on a thread.
fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line starting with `prefix`, up to `within`.
fn line_starting(lines: &mpsc::Receiver<String>, prefix: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return line,
            Ok(_) => {}
            Err(_) => panic!("no line starting {prefix:?} within {within:?}"),
        }
    }
}

/// The value of the text-format sample line that starts with `series` (name and labels).
fn sample_value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{metrics}"))
}

#[test]
fn promtool_accepts_what_a_run_serves_and_the_final_scrape_holds_its_totals() {
    let promtool = tool_or_skip("promtool", "prometheus", "metrics promtool");
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), PLAN);
    let out = dir.path().join("out");
    let mut child = vajra()
        .args([
            "run",
            plan.to_str().unwrap(),
            "-q",
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--metrics-addr", "127.0.0.1:0", "--metrics-linger", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stdout_lines(&mut child);
    let announced = line_starting(&lines, "metrics: http://", Duration::from_secs(30));
    let addr: SocketAddr = announced
        .trim_start_matches("metrics: http://")
        .trim_end_matches("/metrics")
        .parse()
        .unwrap();

    // During the run: each format as asked for.
    let (status, headers, body) = get(addr, "/metrics", Some("application/openmetrics-text"));
    assert!(status.contains("200"), "{status}");
    assert!(headers.contains("content-type: application/openmetrics-text"));
    assert!(text(&body).ends_with("# EOF\n"));
    let (_, headers, body) = get(
        addr,
        "/metrics",
        Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"),
    );
    assert!(headers.contains("content-type: application/vnd.google.protobuf"));
    assert!(!body.is_empty() && !text(&body).contains("# HELP"));
    let (status, _, _) = get(addr, "/other", None);
    assert!(status.contains("404"), "{status}");

    // After the run: the first scrape gets the final values and ends the linger at once.
    line_starting(&lines, "metrics: waiting up to 1m", Duration::from_secs(30));
    let (_, headers, body) = get(addr, "/metrics", None);
    assert!(headers.contains("content-type: text/plain; version=0.0.4"));
    let scraped_at = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        scraped_at.elapsed() < Duration::from_secs(10),
        "the linger should end on the final scrape"
    );
    assert!(status.success(), "{status:?}");
    let metrics = text(&body);

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let common = r#"plan="metrics test",worker_index="0",worker_count="1""#;
    let ok = sample_value(
        &metrics,
        &format!(r#"vajra_requests_total{{{common},label="flaky",outcome="ok"}}"#),
    );
    let failed = sample_value(
        &metrics,
        &format!(r#"vajra_requests_total{{{common},label="flaky",outcome="failed"}}"#),
    );
    assert_eq!(ok + failed, summary["total"]["samples"].as_f64().unwrap());
    assert_eq!(failed, summary["total"]["errors"].as_f64().unwrap());
    assert!(failed > 0.0, "/flaky fails one request in ten");
    assert_eq!(
        sample_value(&metrics, &format!(r#"vajra_iterations_total{{{common}}}"#)),
        ok + failed
    );
    assert_eq!(
        sample_value(&metrics, &format!(r#"vajra_in_flight{{{common}}}"#)),
        0.0
    );

    if let Some(promtool) = promtool {
        let mut check = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        check
            .stdin
            .take()
            .unwrap()
            .write_all(metrics.as_bytes())
            .unwrap();
        let result = check.wait_with_output().unwrap();
        assert!(
            result.status.success(),
            "promtool check metrics: {}{}\n{metrics}",
            text(&result.stdout),
            text(&result.stderr)
        );
    }
}

#[test]
fn a_metrics_address_in_use_is_an_error_that_names_the_flag() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), PLAN);
    let out = dir.path().join("out");
    let output = vajra()
        .args([
            "run",
            plan.to_str().unwrap(),
            "-q",
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--metrics-addr", &addr])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("--metrics-addr {addr}")) && stderr.contains("free port"),
        "{stderr}"
    );
    assert!(!out.exists(), "a run that cannot start leaves no directory");

    let output = vajra()
        .args([
            "run",
            plan.to_str().unwrap(),
            "--push-gateway",
            "localhost:9091",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("--push-gateway") && text(&output.stderr).contains("http://"),
        "{}",
        text(&output.stderr)
    );
}

/// The real Pushgateway on a free loopback port, killed on drop.
struct Pushgateway(Child, SocketAddr);

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_final_snapshot_reaches_a_real_pushgateway() {
    let Some(binary) = tool_or_skip(
        "prometheus-pushgateway",
        "prometheus-pushgateway",
        "metrics pushgateway",
    ) else {
        return;
    };
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let storage = tempfile::tempdir().unwrap();
    let gateway = Pushgateway(
        Command::new(binary)
            .arg(format!("--web.listen-address={addr}"))
            .arg(format!(
                "--persistence.file={}",
                storage.path().join("p").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        addr,
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(gateway.1).is_err() {
        assert!(Instant::now() < deadline, "the Pushgateway did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), PLAN);
    let out = dir.path().join("out");
    let output = vajra()
        .args([
            "run",
            plan.to_str().unwrap(),
            "-q",
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--worker-index", "1", "--worker-count", "2"])
        .args(["--push-gateway", &format!("http://{addr}")])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("metrics pushed to"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let (_, _, body) = get(addr, "/metrics", None);
    let metrics = text(&body);
    let pushed: f64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("vajra_requests_total{")
                && l.contains(r#"job="vajra""#)
                && l.contains(r#"plan="metrics test""#)
                && l.contains(r#"worker_index="1""#)
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(
        pushed,
        summary["total"]["samples"].as_f64().unwrap(),
        "{metrics}"
    );
}
