//! `vajra cloud run` end to end: the real `vajra` binary against the mock BlazeMeter on
//! 127.0.0.1, whose engines really run the uploaded plan with vajra-runner.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bzm_mock::{Fault, MasterAction, Matcher, MockConfig, MockHandle, MockServer, Timeline};
use serde_json::Value;

const KEY_ID: &str = "cloud-test-id";
const SECRET: &str = "s3cret-never-printed-7f3a";

/// The mock, kept alive with the runtime it serves on.
struct Mock {
    handle: MockHandle,
    _runtime: tokio::runtime::Runtime,
}

fn mock() -> Mock {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut config = MockConfig::new(KEY_ID, SECRET);
    config.timeline = Timeline {
        progress_step: Duration::from_millis(50),
        run_seconds: 1000,
    };
    let handle = runtime.block_on(MockServer::start(config)).unwrap();
    Mock {
        handle,
        _runtime: runtime,
    }
}

/// The debug binary is over BlazeMeter's 50 MB limit; a stripped copy is the same program.
fn small_vajra() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("strip")
            .arg("-o")
            .arg(dir.path().join("vajra"))
            .arg(env!("CARGO_BIN_EXE_vajra"))
            .status()
            .expect("`strip` (binutils) is needed to make a package-sized vajra binary");
        assert!(status.success());
        dir
    });
    Box::leak(dir.path().join("vajra").into_boxed_path())
}

/// A scratch directory with the plan and its data file in a subdirectory (so the package
/// must rewrite the path), plus a state directory and an output directory.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new(thresholds: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(
            dir.path().join("data/users.csv"),
            "user\nalice\nbob\ncarol\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("plan.yaml"),
            format!(
                "name: cloud-demo\ntarget: embedded\n\
                 requests:\n  - {{label: fast, url: \"/fast?user=${{user}}\"}}\n  - {{label: flaky, url: /flaky}}\n\
                 data:\n  - file: data/users.csv\n\
                 load: {{pattern: static, tps: 1, duration: 60s}}\n{thresholds}"
            ),
        )
        .unwrap();
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn vajra(&self, mock: &Mock) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vajra"));
        command
            .current_dir(self.dir.path())
            .env("BLAZEMETER_API_KEY_ID", KEY_ID)
            .env("BLAZEMETER_API_KEY_SECRET", SECRET)
            .env("VAJRA_STATE_DIR", self.path("state"))
            .env("HOME", self.dir.path())
            .env("VAJRA_API_URL", mock.handle.base_url())
            .stdin(Stdio::null());
        // Every call here is a cloud command; retried API calls wait 50 ms, 100 ms, …
        command.args(["cloud", "--api-retry-delay", "50ms"]);
        command
    }

    /// `vajra cloud run` of the 2-location, 3-engine split: 30 TPS in us-east4-a on two
    /// engines, 15 TPS in europe-west1-b on one, for `hold`.
    fn run_args(&self, hold: &str) -> Vec<String> {
        [
            "run",
            "plan.yaml",
            "--locations",
            "us-east4-a=2,europe-west1-b=1",
            "--tps",
            "45",
            "--duration",
            hold,
            "--engine-capacity-tps",
            "20",
            "--poll-interval",
            "200ms",
            "--out",
            "out",
            "--vajra-binary",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([small_vajra().display().to_string()])
        .collect()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_no_secret(output: &Output, mock: &Mock, scratch: &Scratch) {
    assert!(!text(&output.stdout).contains(SECRET), "secret on stdout");
    assert!(!text(&output.stderr).contains(SECRET), "secret on stderr");
    for upload in mock.handle.state().uploads {
        let found = upload
            .bytes
            .windows(SECRET.len())
            .any(|w| w == SECRET.as_bytes());
        assert!(!found, "secret in uploaded {}", upload.name);
    }
    if let Ok(entries) = std::fs::read_dir(scratch.path("state/masters")) {
        for entry in entries {
            let record = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(!record.contains(SECRET), "secret in a master record");
        }
    }
}

fn aggregate(scratch: &Scratch) -> Vec<Value> {
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.path("out/report.json")).unwrap())
            .unwrap();
    report["aggregate"].as_array().unwrap().clone()
}

fn samples(rows: &[Value], label: &str) -> u64 {
    rows.iter()
        .find(|r| r["labelName"] == label)
        .unwrap_or_else(|| panic!("no {label} in {rows:?}"))["samples"]
        .as_u64()
        .unwrap()
}

fn uploaded(mock: &Mock, name: &str) -> Vec<u8> {
    mock.handle
        .state()
        .uploads
        .into_iter()
        .rev()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("{name} not uploaded"))
        .bytes
}

fn check_exact_split_and_samples(mock: &Mock, scratch: &Scratch) {
    let state = mock.handle.state();
    let master = state.masters.last().expect("a master");
    assert_eq!(master.engine_kind, "vajra");
    let shares: Vec<(&str, u32, u32, Option<f64>)> = master
        .engines
        .iter()
        .map(|e| {
            let s = &e.share;
            (s.location.as_str(), s.index, s.count, s.throughput)
        })
        .collect();
    assert_eq!(
        shares,
        vec![
            ("us-east4-a", 0, 2, Some(15.0)),
            ("us-east4-a", 1, 2, Some(15.0)),
            ("europe-west1-b", 0, 1, Some(15.0)),
        ]
    );
    // 2 s: 30/s over two workers and 15/s on one = 30 iterations each, 2 requests each.
    for engine in &master.engines {
        assert_eq!(engine.error, None);
        assert_eq!(engine.samples, 60, "{engine:?}");
    }
    let rows = aggregate(scratch);
    assert_eq!(samples(&rows, "ALL"), 180);
    assert_eq!(samples(&rows, "fast"), 90);
    assert_eq!(samples(&rows, "flaky"), 90);
    assert!(scratch.path("out/report.html").is_file());
}

#[test]
fn cloud_run_splits_packages_runs_and_reports_exact_samples() {
    let mock = mock();
    let scratch = Scratch::new("");
    let output = scratch
        .vajra(&mock)
        .args(scratch.run_args("2s"))
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    check_exact_split_and_samples(&mock, &scratch);

    // The package: taurus.yml with the exact shares, the plan with base names, the data,
    // the plugin and the binary.
    let taurus: Value = serde_saphyr::from_slice(&uploaded(&mock, "taurus.yml")).unwrap();
    let executions = taurus["execution"].as_array().unwrap();
    assert_eq!(executions[0]["throughput"], 30);
    assert_eq!(executions[0]["locations"]["us-east4-a"], 2);
    assert_eq!(executions[1]["throughput"], 15);
    assert_eq!(executions[1]["locations"]["europe-west1-b"], 1);
    assert_eq!(
        taurus["modules"]["vajra"]["class"],
        "vajra_executor.VajraExecutor"
    );
    let plan: Value = serde_saphyr::from_slice(&uploaded(&mock, "plan.yaml")).unwrap();
    assert_eq!(plan["data"][0]["file"], "users.csv");
    assert_eq!(uploaded(&mock, "users.csv"), b"user\nalice\nbob\ncarol\n");
    for name in ["vajra_executor.py", "vajra_plan.py"] {
        assert!(!uploaded(&mock, name).is_empty());
    }
    assert_eq!(
        uploaded(&mock, "vajra"),
        std::fs::read(small_vajra()).unwrap()
    );

    // The live view and the end.
    assert!(stdout.contains("DATA_RECEIVED (100/140)"), "{stdout}");
    assert!(stdout.contains("report: http://127.0.0.1:"), "{stdout}");
    assert!(
        stdout.contains("europe-west1-b: 1 engine(s)")
            && stdout.contains("us-east4-a: 2 engine(s)"),
        "{stdout}"
    );
    // Each location's own figures, from its filtered aggregate: the last poll (ENDED) has
    // exactly the samples of its engines.
    for (location, engines, samples) in [("us-east4-a", 2, 120), ("europe-west1-b", 1, 60)] {
        let (line, figures) = last_location_figures(&stdout, location);
        assert!(
            line.starts_with(&format!("  {location}: {engines} engine(s) ")),
            "{line}"
        );
        assert_eq!(figures.0, samples, "{line}");
        assert!(figures.1 > 0.0 && figures.2 > 0.0, "{line}");
        assert!((0.0..=100.0).contains(&figures.3), "{line}");
    }
    let master_id = mock.handle.state().masters.last().unwrap().id;
    assert!(scratch
        .path(&format!("state/masters/{master_id}.json"))
        .is_file());
    assert_no_secret(&output, &mock, &scratch);
}

/// The last live-view line with figures for `location`, and those figures:
/// `  us-east4-a: 2 engine(s) … | 120 samples, 20.0/s, p95 3.1 ms, errors 5.00%[, users 2]`.
fn last_location_figures(stdout: &str, location: &str) -> (String, (u64, f64, f64, f64)) {
    let prefix = format!("  {location}: ");
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with(&prefix) && l.contains(" | "))
        .unwrap_or_else(|| panic!("no figures for {location} in\n{stdout}"));
    let parts: Vec<&str> = line
        .split(" | ")
        .nth(1)
        .unwrap_or_default()
        .split(", ")
        .collect();
    let number = |index: usize, before: &str, after: &str| -> f64 {
        parts
            .get(index)
            .and_then(|p| p.strip_prefix(before))
            .and_then(|p| p.strip_suffix(after))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("figure {index} of `{line}`"))
    };
    let figures = (
        number(0, "", " samples") as u64,
        number(1, "", "/s"),
        number(2, "p95 ", " ms"),
        number(3, "errors ", "%"),
    );
    (line.to_owned(), figures)
}

#[test]
fn plan_thresholds_met_on_the_cloud_aggregate_exit_3() {
    let mock = mock();
    // The embedded target fails every 10th /flaky: 5 % errors overall.
    let scratch = Scratch::new("thresholds: ['errors>1%']\n");
    let output = scratch
        .vajra(&mock)
        .args(scratch.run_args("2s"))
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("FAIL: 1 of 1 failure criteria met"),
        "{stdout}"
    );
    assert!(stdout.contains("errors>1%"), "{stdout}");
    assert_no_secret(&output, &mock, &scratch);
}

#[test]
fn failed_blazemeter_thresholds_exit_3() {
    let mock = mock();
    mock.handle
        .inject(Fault::FailedThresholds {
            label: "ALL".into(),
            field: "responseTime.avg".into(),
            fail_value: 500.0,
        })
        .unwrap();
    let scratch = Scratch::new("");
    let output = scratch
        .vajra(&mock)
        .args(scratch.run_args("1s"))
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("responseTime.avg"), "{stderr}");
}

#[test]
fn session_errors_exit_1_with_their_message() {
    let mock = mock();
    mock.handle
        .inject(Fault::SessionError {
            code: 70404,
            message: "Session ended without load report data".into(),
        })
        .unwrap();
    let scratch = Scratch::new("");
    let output = scratch
        .vajra(&mock)
        .args(scratch.run_args("1s"))
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Session ended without load report data"),
        "{stderr}"
    );
}

#[test]
fn errors_on_a_locations_figures_are_shown_and_the_run_goes_on() {
    let mock = mock();
    mock.handle
        .inject(Fault::Status {
            on: Matcher {
                method: None,
                path_contains: Some("locations%5B%5D=europe-west1-b".into()),
            },
            status: 400,
            times: 3,
            retry_after_s: None,
        })
        .unwrap();
    let scratch = Scratch::new("");
    let output = scratch
        .vajra(&mock)
        .args(scratch.run_args("2s"))
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        stderr
            .matches("API error while polling the locations' figures (retrying)")
            .count(),
        3,
        "{stderr}"
    );
    check_exact_split_and_samples(&mock, &scratch);
    assert_eq!(last_location_figures(&stdout, "europe-west1-b").1 .0, 60);
}

#[test]
fn api_storms_and_dropped_connections_are_survived() {
    let mock = mock();
    let on = |path: &str| Matcher {
        method: None,
        path_contains: Some(path.into()),
    };
    mock.handle
        .inject(Fault::Status {
            on: on("/status"),
            status: 429,
            times: 12,
            retry_after_s: Some(0),
        })
        .unwrap();
    mock.handle
        .inject(Fault::Drop {
            on: on("/aggregatereport"),
            times: 4,
        })
        .unwrap();
    mock.handle
        .inject(Fault::Status {
            on: on("/data/kpis"),
            status: 503,
            times: 3,
            retry_after_s: None,
        })
        .unwrap();
    let scratch = Scratch::new("");
    let output = scratch
        .vajra(&mock)
        .args(scratch.run_args("2s"))
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    check_exact_split_and_samples(&mock, &scratch);
    let answered_429 = mock
        .handle
        .state()
        .requests
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(answered_429, 12, "the storm happened");
    // Five attempts per call: at least two polls failed outright, were shown and retried.
    assert!(
        stderr.contains("API error while polling (retrying)"),
        "{stderr}"
    );
}

/// Spawns `vajra cloud run` and returns it once its live view shows `marker`.
fn spawn_until(scratch: &Scratch, mock: &Mock, hold: &str, marker: &str) -> std::process::Child {
    let mut child = scratch
        .vajra(mock)
        .args(scratch.run_args(hold))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let marker = marker.to_owned();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(&marker) {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the live view reached the marker");
    child
}

fn sigint(child: &std::process::Child) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
}

#[test]
fn ctrl_c_while_running_stops_the_master_and_exits_2() {
    let mock = mock();
    let scratch = Scratch::new("");
    let child = spawn_until(&scratch, &mock, "60s", "(100/140)");
    sigint(&child);
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let calls = mock.handle.state().master_calls;
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, MasterAction::Stop);
    assert!(calls[0].progress >= 100);
    assert!(
        stderr.contains("stopping the master gracefully"),
        "{stderr}"
    );
    // What was collected is reported.
    assert!(samples(&aggregate(&scratch), "ALL") > 0);
}

#[test]
fn ctrl_c_while_booting_terminates() {
    let mock = mock();
    let scratch = Scratch::new("");
    let child = spawn_until(&scratch, &mock, "60s", "(5/140)");
    sigint(&child);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let calls = mock.handle.state().master_calls;
    assert_eq!(calls[0].action, MasterAction::Terminate, "{calls:?}");
    assert!(calls[0].progress < 100);
}

#[test]
fn detach_then_attach_gives_the_verdict_from_the_local_record() {
    let mock = mock();
    let scratch = Scratch::new("thresholds: ['errors>1%']\n");
    let mut args = scratch.run_args("2s");
    args.push("--detach".into());
    let output = scratch.vajra(&mock).args(&args).output().unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let master_id = mock.handle.state().masters.last().unwrap().id;
    assert!(
        stdout.contains(&format!("vajra cloud attach {master_id}")),
        "{stdout}"
    );

    let output = scratch
        .vajra(&mock)
        .args([
            "attach",
            &master_id.to_string(),
            "--poll-interval",
            "200ms",
            "--out",
            "out",
        ])
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    // The plan's threshold comes from the record written when the run started.
    assert_eq!(
        output.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    check_exact_split_and_samples(&mock, &scratch);
    assert_no_secret(&output, &mock, &scratch);
    assert!(
        mock.handle.state().master_calls.is_empty(),
        "nothing stopped the run"
    );

    // `report` gives the same verdict again, without the live view.
    std::fs::remove_dir_all(scratch.path("out")).unwrap();
    let output = scratch
        .vajra(&mock)
        .args(["report", &master_id.to_string(), "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert_eq!(samples(&aggregate(&scratch), "ALL"), 180);

    let status = scratch
        .vajra(&mock)
        .args(["status", &master_id.to_string()])
        .output()
        .unwrap();
    assert!(
        text(&status.stdout).contains("ENDED (140/140)"),
        "{}",
        text(&status.stdout)
    );
}

#[test]
fn an_unreachable_master_ends_with_exit_1_and_keeps_running() {
    let mock = mock();
    let scratch = Scratch::new("");
    let mut args = scratch.run_args("30s");
    args.push("--detach".into());
    let output = scratch.vajra(&mock).args(&args).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let master_id = mock.handle.state().masters.last().unwrap().id;
    mock.handle
        .inject(Fault::Status {
            on: Matcher {
                method: None,
                path_contains: Some("/status".into()),
            },
            status: 503,
            times: 0,
            retry_after_s: None,
        })
        .unwrap();
    let output = scratch
        .vajra(&mock)
        .args([
            "attach",
            &master_id.to_string(),
            "--poll-interval",
            "200ms",
            "--unreachable-timeout",
            "1s",
        ])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("vajra cloud attach {master_id}")),
        "{stderr}"
    );
    assert!(mock.handle.state().master_calls.is_empty());
    // Clean up: the run is ended from the command line.
    mock.handle.clear_faults();
    let output = scratch
        .vajra(&mock)
        .args(["terminate", &master_id.to_string()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        mock.handle.state().master_calls[0].action,
        MasterAction::Terminate
    );
}

#[test]
fn too_many_engines_for_a_location_fail_before_upload() {
    let mock = mock();
    let scratch = Scratch::new("");
    let output = scratch
        .vajra(&mock)
        .args([
            "run",
            "plan.yaml",
            "--locations",
            "europe-west1-b=1",
            "--tps",
            "21",
            "--duration",
            "1s",
            "--engine-capacity-tps",
            "1",
        ])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("needs 21 engines but allows 20"),
        "{stderr}"
    );
    assert!(mock.handle.state().uploads.is_empty());
}

#[test]
fn whoami_and_locations_read_the_account() {
    let mock = mock();
    let scratch = Scratch::new("");
    let output = scratch.vajra(&mock).args(["whoami"]).output().unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!("API key:   {KEY_ID} from environment")),
        "{stdout}"
    );
    assert!(stdout.contains("project:"), "{stdout}");
    let output = scratch
        .vajra(&mock)
        .args(["locations", "--json"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    let east = list
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "europe-west1-b")
        .unwrap();
    assert_eq!(east["engines"], 20);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["sandbox"] == true));
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["private"] == true));
    assert_no_secret(&output, &mock, &scratch);
}

#[test]
fn package_writes_the_exact_upload_without_api_calls() {
    let scratch = Scratch::new("");
    let output = Command::new(env!("CARGO_BIN_EXE_vajra"))
        .current_dir(scratch.dir.path())
        .env("BLAZEMETER_API_KEY_SECRET", SECRET)
        .args([
            "package",
            "plan.yaml",
            "--locations",
            "us-east4-a=2,europe-west1-b=1",
        ])
        .args([
            "--tps",
            "45",
            "--duration",
            "2s",
            "--engine-capacity-tps",
            "20",
        ])
        .arg("--vajra-binary")
        .arg(small_vajra())
        .args(["-o", "test.zip"])
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        stdout.contains("us-east4-a") && stdout.contains("TPS/engine"),
        "{stdout}"
    );
    assert!(stdout.contains("vajra_executor.py"), "{stdout}");
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(scratch.path("test.zip")).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "plan.yaml",
            "taurus.yml",
            "users.csv",
            "vajra",
            "vajra_executor.py",
            "vajra_plan.py"
        ]
    );
    let binary = zip.by_name("vajra").unwrap();
    assert_eq!(binary.unix_mode().map(|m| m & 0o777), Some(0o755));
    assert_eq!(
        binary.size(),
        std::fs::metadata(small_vajra()).unwrap().len()
    );
    drop(binary);
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
        assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    }
}

#[test]
fn package_catches_big_files_and_name_collisions() {
    let scratch = Scratch::new("");
    let package = |plan: &str, binary: &Path| {
        Command::new(env!("CARGO_BIN_EXE_vajra"))
            .current_dir(scratch.dir.path())
            .args([
                "package",
                plan,
                "--locations",
                "us-east4-a",
                "--tps",
                "5",
                "--duration",
                "1s",
            ])
            .arg("--vajra-binary")
            .arg(binary)
            .args(["-o", "out-dir"])
            .output()
            .unwrap()
    };
    // The unstripped debug binary is over 50 MB.
    let output = package("plan.yaml", Path::new(env!("CARGO_BIN_EXE_vajra")));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("BlazeMeter takes files up to 50 MB"),
        "{stderr}"
    );

    std::fs::create_dir(scratch.path("other")).unwrap();
    std::fs::write(scratch.path("other/users.csv"), "name\ndave\n").unwrap();
    std::fs::write(
        scratch.path("two.yaml"),
        "base-url: http://127.0.0.1:9\nrequests:\n  - url: \"/a?u=${user}&n=${name}\"\n\
         data:\n  - file: data/users.csv\n  - file: other/users.csv\n",
    )
    .unwrap();
    let output = package("two.yaml", small_vajra());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("both be uploaded as `users.csv`") && stderr.contains("other/users.csv"),
        "{stderr}"
    );
    assert!(!scratch.path("out-dir").exists());
}

#[test]
fn a_second_ctrl_c_terminates() {
    let mock = mock();
    let scratch = Scratch::new("");
    let child = spawn_until(&scratch, &mock, "60s", "(100/140)");
    // A slow stop: the second Ctrl-C comes while the master is still stopping.
    mock.handle
        .inject(Fault::Delay {
            on: Matcher {
                method: None,
                path_contains: Some("/stop".into()),
            },
            delay_ms: 1000,
            times: 1,
        })
        .unwrap();
    sigint(&child);
    std::thread::sleep(Duration::from_millis(300));
    sigint(&child);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let actions: Vec<MasterAction> = mock
        .handle
        .state()
        .master_calls
        .iter()
        .map(|c| c.action)
        .collect();
    assert_eq!(actions, [MasterAction::Stop, MasterAction::Terminate]);
}

#[test]
fn dry_run_and_json_output() {
    let mock = mock();
    let scratch = Scratch::new("");
    let mut args = scratch.run_args("1s");
    args.push("--dry-run".into());
    let output = scratch.vajra(&mock).args(&args).output().unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(stdout.contains("dry run: nothing uploaded"), "{stdout}");
    assert!(mock.handle.state().requests.is_empty(), "no API calls");

    // --json: stdout is one JSON document with the verdict; the report is public and named.
    let mut args = scratch.run_args("1s");
    args.extend(["--json", "--public-report", "--report-name", "nightly"].map(String::from));
    let output = scratch.vajra(&mock).args(&args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["exit_code"], 0);
    let all = &result["aggregate"][0];
    assert_eq!(
        (all["labelName"].as_str(), all["samples"].as_u64()),
        (Some("ALL"), Some(90))
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("public report: http://127.0.0.1:"),
        "{stderr}"
    );
    let master = mock.handle.state().masters.last().unwrap().id;
    let renamed = mock
        .handle
        .state()
        .requests
        .iter()
        .any(|r| r.method == "PATCH" && r.path == format!("/api/v4/masters/{master}"));
    assert!(renamed, "the report name was set");
}

#[test]
fn login_checks_the_key_with_blazemeter_and_never_prints_it() {
    let mock = mock();
    let scratch = Scratch::new("");
    let output = scratch
        .vajra(&mock)
        .env("BLAZEMETER_API_KEY_SECRET", "wrong-secret-9c1e")
        .args(["login"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("BlazeMeter did not accept the key"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong-secret-9c1e")
            && !text(&output.stdout).contains("wrong-secret-9c1e")
    );
    let users = mock
        .handle
        .state()
        .requests
        .iter()
        .filter(|r| r.path == "/api/v4/user")
        .count();
    assert_eq!(users, 1);
}

#[test]
fn the_plans_cloud_section_gives_locations_and_engine_capacity() {
    let scratch = Scratch::new(
        "cloud:\n  engine-capacity-tps: 7\n  locations: {europe-west1-b: 1, us-east4-a: 3}\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_vajra"))
        .current_dir(scratch.dir.path())
        .args([
            "package",
            "plan.yaml",
            "--tps",
            "40",
            "--duration",
            "1s",
            "--json",
        ])
        .arg("--vajra-binary")
        .arg(small_vajra())
        .args(["-o", "pkg"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    let split: Vec<(String, u64, u64)> = result["split"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["location"].as_str().unwrap().to_owned(),
                l["tps"].as_u64().unwrap(),
                l["engines"].as_u64().unwrap(),
            )
        })
        .collect();
    // 40 TPS 1:3 = 10 + 30; at most 7 TPS an engine: 2 and 5 engines.
    assert_eq!(
        split,
        [
            ("europe-west1-b".to_owned(), 10, 2),
            ("us-east4-a".to_owned(), 30, 5)
        ]
    );
    assert_eq!(
        result["split"][1]["engine_tps"],
        serde_json::json!([6, 6, 6, 6, 6])
    );
    assert!(scratch.path("pkg/taurus.yml").is_file());
    let plan = std::fs::read_to_string(scratch.path("pkg/plan.yaml")).unwrap();
    assert!(!plan.contains("engine-capacity-tps"), "{plan}");
}

#[test]
fn project_and_test_are_found_or_created_by_name() {
    let mock = mock();
    let scratch = Scratch::new("");
    let mut args = scratch.run_args("1s");
    args.extend(["--project", "vajra-ci", "--test", "nightly", "--detach"].map(String::from));
    for _ in 0..2 {
        let output = scratch.vajra(&mock).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let state = mock.handle.state();
    let created: Vec<&str> = state
        .requests
        .iter()
        .filter(|r| {
            r.method == "POST" && (r.path == "/api/v4/projects" || r.path == "/api/v4/tests")
        })
        .map(|r| r.path.as_str())
        .collect();
    // The second run finds both by name.
    assert_eq!(created, ["/api/v4/projects", "/api/v4/tests"]);
    assert_eq!(state.tests.len(), 1);
    let test = &state.tests[0];
    assert_eq!(test.object["name"], "nightly");
    let mut files = test.files.clone();
    files.sort();
    assert_eq!(
        files,
        [
            "plan.yaml",
            "taurus.yml",
            "users.csv",
            "vajra",
            "vajra_executor.py",
            "vajra_plan.py"
        ]
    );
    assert_eq!(state.masters.len(), 2);
    assert!(state.masters.iter().all(|m| m.test_id == test.id));
}
