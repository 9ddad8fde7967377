//! `vajra cloud run` end to end: the real `vajra` binary against the mock BlazeMeter on
//! 127.0.0.1, whose engines really run the uploaded plan with vajra-runner.
//!
//! Each test builds a [`Cloud`] (the mock and a scratch directory with the plan), injects the
//! faults it is about, runs commands and checks what differs; the set-up lives here once.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bzm_mock::{Fault, MasterAction, Matcher, StateSnapshot};
use serde_json::Value;

use crate::common::{mock, small_vajra, text, vajra, Mock, KEY_ID, SECRET};

/// A scratch directory with the plan and its data file in a subdirectory (so the package
/// must rewrite the path), plus a state directory and an output directory.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// The plan `cloud-demo`, with `extra` (thresholds, a cloud section) appended.
    fn new(extra: &str) -> Scratch {
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
                 load: {{pattern: static, tps: 1, duration: 60s}}\n{extra}"
            ),
        )
        .unwrap();
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `vajra` in the scratch directory, with no API at hand (`package`).
    fn vajra(&self) -> Command {
        let mut command = vajra();
        command.current_dir(self.dir.path());
        command
    }

    /// `vajra package plan …` to its end.
    fn package(&self, plan: &str, args: &[&str], binary: &Path) -> Ran {
        Ran::new(
            self.vajra()
                .env("BLAZEMETER_API_KEY_SECRET", SECRET)
                .args(["package", plan])
                .args(args)
                .arg("--vajra-binary")
                .arg(binary)
                .output()
                .unwrap(),
        )
    }
}

/// One test's BlazeMeter: the mock, and the scratch directory the commands run in.
struct Cloud {
    mock: Mock,
    scratch: Scratch,
}

impl Cloud {
    fn new() -> Cloud {
        Cloud::with_plan("")
    }

    /// A cloud whose plan has `extra` appended.
    fn with_plan(extra: &str) -> Cloud {
        Cloud {
            mock: mock(),
            scratch: Scratch::new(extra),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.scratch.path(name)
    }

    fn state(&self) -> StateSnapshot {
        self.mock.handle.state()
    }

    fn inject(&self, fault: Fault) -> &Cloud {
        self.mock.handle.inject(fault).unwrap();
        self
    }

    /// `vajra cloud` with the key in the environment, its own state directory and home, and
    /// the mock's URL.
    fn command(&self) -> Command {
        let mut command = self.scratch.vajra();
        command
            .env("BLAZEMETER_API_KEY_ID", KEY_ID)
            .env("BLAZEMETER_API_KEY_SECRET", SECRET)
            .env("VAJRA_STATE_DIR", self.path("state"))
            .env("HOME", self.scratch.dir.path())
            .env("VAJRA_API_URL", self.mock.handle.base_url())
            .env_remove("RUST_LOG");
        // Retried API calls wait 50 ms, 100 ms, …
        command.args(["cloud", "--api-retry-delay", "50ms"]);
        command
    }

    /// `vajra cloud args…` to its end.
    fn cloud(&self, args: &[&str]) -> Ran {
        Ran::new(self.command().args(args).output().unwrap())
    }

    /// `vajra cloud run` of the 2-location, 3-engine split for `hold`, then `extra`.
    fn run(&self, hold: &str, extra: &[&str]) -> Ran {
        Ran::new(
            self.command()
                .args(run_args(hold))
                .args(extra)
                .output()
                .unwrap(),
        )
    }

    /// Spawns `vajra cloud run` and returns it once its live view shows `marker`.
    fn spawn_run_until(&self, hold: &str, marker: &str) -> Child {
        let mut child = self
            .command()
            .args(run_args(hold))
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

    fn last_master_id(&self) -> u64 {
        self.state().masters.last().expect("a master").id
    }

    fn assert_no_secret(&self, ran: &Ran) {
        assert!(!ran.stdout.contains(SECRET), "secret on stdout");
        assert!(!ran.stderr.contains(SECRET), "secret on stderr");
        for upload in self.state().uploads {
            let found = upload
                .bytes
                .windows(SECRET.len())
                .any(|w| w == SECRET.as_bytes());
            assert!(!found, "secret in uploaded {}", upload.name);
        }
        if let Ok(entries) = std::fs::read_dir(self.path("state/masters")) {
            for entry in entries {
                let record = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                assert!(!record.contains(SECRET), "secret in a master record");
            }
        }
    }

    fn aggregate(&self) -> Vec<Value> {
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(self.path("out/report.json")).unwrap())
                .unwrap();
        report["aggregate"].as_array().unwrap().clone()
    }

    fn uploaded(&self, name: &str) -> Vec<u8> {
        self.state()
            .uploads
            .into_iter()
            .rev()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("{name} not uploaded"))
            .bytes
    }

    fn check_exact_split_and_samples(&self) {
        let state = self.state();
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
        let rows = self.aggregate();
        assert_eq!(samples(&rows, "ALL"), 180);
        assert_eq!(samples(&rows, "fast"), 90);
        assert_eq!(samples(&rows, "flaky"), 90);
        assert!(self.path("out/report.html").is_file());
    }
}

/// The arguments of `vajra cloud run` for the 2-location, 3-engine split: 30 TPS in
/// us-east4-a on two engines, 15 TPS in europe-west1-b on one, for `hold`.
fn run_args(hold: &str) -> Vec<String> {
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

/// A finished command and its output as text.
struct Ran {
    output: Output,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn new(output: Output) -> Ran {
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        Ran {
            output,
            stdout,
            stderr,
        }
    }

    /// Asserts the exit code; both streams are shown when it differs.
    #[track_caller]
    fn exits(self, code: i32) -> Ran {
        assert_eq!(
            self.output.status.code(),
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Requests whose path contains `path`, any method.
fn on(path: &str) -> Matcher {
    Matcher {
        method: None,
        path_contains: Some(path.into()),
    }
}

/// `status` answers to `times` requests on `path` (0: all of them).
fn status(path: &str, status: u16, times: u32, retry_after_s: Option<u64>) -> Fault {
    Fault::Status {
        on: on(path),
        status,
        times,
        retry_after_s,
    }
}

fn samples(rows: &[Value], label: &str) -> u64 {
    rows.iter()
        .find(|r| r["labelName"] == label)
        .unwrap_or_else(|| panic!("no {label} in {rows:?}"))["samples"]
        .as_u64()
        .unwrap()
}

fn sigint(child: &Child) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
}

#[test]
fn cloud_run_splits_packages_runs_and_reports_exact_samples() {
    let cloud = Cloud::new();
    let ran = cloud.run("2s", &[]).exits(0);
    cloud.check_exact_split_and_samples();

    // The package: taurus.yml with the exact shares, the plan with base names, the data,
    // the plugin and the binary.
    let taurus: Value = serde_saphyr::from_slice(&cloud.uploaded("taurus.yml")).unwrap();
    let executions = taurus["execution"].as_array().unwrap();
    assert_eq!(executions[0]["throughput"], 30);
    assert_eq!(executions[0]["locations"]["us-east4-a"], 2);
    assert_eq!(executions[1]["throughput"], 15);
    assert_eq!(executions[1]["locations"]["europe-west1-b"], 1);
    assert_eq!(
        taurus["modules"]["vajra"]["class"],
        "vajra_executor.VajraExecutor"
    );
    let plan: Value = serde_saphyr::from_slice(&cloud.uploaded("plan.yaml")).unwrap();
    assert_eq!(plan["data"][0]["file"], "users.csv");
    assert_eq!(cloud.uploaded("users.csv"), b"user\nalice\nbob\ncarol\n");
    assert!(!cloud.uploaded("vajra_executor.py").is_empty());
    assert_eq!(
        cloud.uploaded("vajra"),
        std::fs::read(small_vajra()).unwrap()
    );

    // The live view and the end.
    let stdout = &ran.stdout;
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
        let (line, figures) = last_location_figures(stdout, location);
        assert!(
            line.starts_with(&format!("  {location}: {engines} engine(s) ")),
            "{line}"
        );
        assert_eq!(figures.0, samples, "{line}");
        assert!(figures.1 > 0.0 && figures.2 > 0.0, "{line}");
        assert!((0.0..=100.0).contains(&figures.3), "{line}");
    }
    let master_id = cloud.last_master_id();
    assert!(cloud
        .path(&format!("state/masters/{master_id}.json"))
        .is_file());
    cloud.assert_no_secret(&ran);
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
    // The embedded target fails every 10th /flaky: 5 % errors overall.
    let cloud = Cloud::with_plan("thresholds: ['errors>1%']\n");
    let ran = cloud.run("2s", &[]).exits(3);
    assert!(
        ran.stdout.contains("FAIL: 1 of 1 failure criteria met"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("errors>1%"), "{}", ran.stdout);
    cloud.assert_no_secret(&ran);
}

#[test]
fn failed_blazemeter_thresholds_exit_3() {
    let cloud = Cloud::new();
    cloud.inject(Fault::FailedThresholds {
        label: "ALL".into(),
        field: "responseTime.avg".into(),
        fail_value: 500.0,
    });
    let ran = cloud.run("1s", &[]).exits(3);
    assert!(ran.stderr.contains("responseTime.avg"), "{}", ran.stderr);
}

#[test]
fn session_errors_exit_1_with_their_message() {
    let cloud = Cloud::new();
    cloud.inject(Fault::SessionError {
        code: 70404,
        message: "Session ended without load report data".into(),
    });
    let ran = cloud.run("1s", &[]).exits(1);
    assert!(
        ran.stderr
            .contains("Session ended without load report data"),
        "{}",
        ran.stderr
    );
}

#[test]
fn errors_on_a_locations_figures_are_shown_and_the_run_goes_on() {
    let cloud = Cloud::new();
    cloud.inject(status("locations%5B%5D=europe-west1-b", 400, 3, None));
    let ran = cloud.run("2s", &[]).exits(0);
    assert_eq!(
        ran.stderr
            .matches("API error while polling the locations' figures (retrying)")
            .count(),
        3,
        "{}",
        ran.stderr
    );
    cloud.check_exact_split_and_samples();
    assert_eq!(
        last_location_figures(&ran.stdout, "europe-west1-b").1 .0,
        60
    );
}

#[test]
fn api_storms_and_dropped_connections_are_survived() {
    let cloud = Cloud::new();
    cloud
        .inject(status("/status", 429, 12, Some(0)))
        .inject(Fault::Drop {
            on: on("/aggregatereport"),
            times: 4,
        })
        .inject(status("/data/kpis", 503, 3, None));
    let ran = cloud.run("2s", &[]).exits(0);
    cloud.check_exact_split_and_samples();
    let answered_429 = cloud
        .state()
        .requests
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(answered_429, 12, "the storm happened");
    // Five attempts per call: at least two polls failed outright, were shown and retried.
    assert!(
        ran.stderr.contains("API error while polling (retrying)"),
        "{}",
        ran.stderr
    );
}

#[test]
fn ctrl_c_while_running_stops_the_master_and_exits_2() {
    let cloud = Cloud::new();
    let child = cloud.spawn_run_until("60s", "(100/140)");
    sigint(&child);
    let started = Instant::now();
    let ran = Ran::new(child.wait_with_output().unwrap()).exits(2);
    assert!(started.elapsed() < Duration::from_secs(30));
    let calls = cloud.state().master_calls;
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, MasterAction::Stop);
    assert!(calls[0].progress >= 100);
    assert!(
        ran.stderr.contains("stopping the master gracefully"),
        "{}",
        ran.stderr
    );
    // What was collected is reported.
    assert!(samples(&cloud.aggregate(), "ALL") > 0);
}

#[test]
fn ctrl_c_while_booting_terminates() {
    let cloud = Cloud::new();
    let child = cloud.spawn_run_until("60s", "(5/140)");
    sigint(&child);
    Ran::new(child.wait_with_output().unwrap()).exits(2);
    let calls = cloud.state().master_calls;
    assert_eq!(calls[0].action, MasterAction::Terminate, "{calls:?}");
    assert!(calls[0].progress < 100);
}

#[test]
fn detach_then_attach_gives_the_verdict_from_the_local_record() {
    let cloud = Cloud::with_plan("thresholds: ['errors>1%']\n");
    let ran = cloud.run("2s", &["--detach"]).exits(0);
    let master_id = cloud.last_master_id().to_string();
    assert!(
        ran.stdout
            .contains(&format!("vajra cloud attach {master_id}")),
        "{}",
        ran.stdout
    );

    let ran = cloud.cloud(&[
        "attach",
        &master_id,
        "--poll-interval",
        "200ms",
        "--out",
        "out",
    ]);
    // The plan's threshold comes from the record written when the run started.
    let ran = ran.exits(3);
    cloud.check_exact_split_and_samples();
    cloud.assert_no_secret(&ran);
    assert!(
        cloud.state().master_calls.is_empty(),
        "nothing stopped the run"
    );

    // `report` gives the same verdict again, without the live view.
    std::fs::remove_dir_all(cloud.path("out")).unwrap();
    cloud
        .cloud(&["report", &master_id, "--out", "out"])
        .exits(3);
    assert_eq!(samples(&cloud.aggregate(), "ALL"), 180);

    let status = cloud.cloud(&["status", &master_id]);
    assert!(
        status.stdout.contains("ENDED (140/140)"),
        "{}",
        status.stdout
    );
}

#[test]
fn an_unreachable_master_ends_with_exit_1_and_keeps_running() {
    let cloud = Cloud::new();
    cloud.run("30s", &["--detach"]).exits(0);
    let master_id = cloud.last_master_id().to_string();
    cloud.inject(status("/status", 503, 0, None));
    let ran = cloud
        .cloud(&[
            "attach",
            &master_id,
            "--poll-interval",
            "200ms",
            "--unreachable-timeout",
            "1s",
        ])
        .exits(1);
    assert!(
        ran.stderr
            .contains(&format!("vajra cloud attach {master_id}")),
        "{}",
        ran.stderr
    );
    assert!(cloud.state().master_calls.is_empty());
    // Clean up: the run is ended from the command line.
    cloud.mock.handle.clear_faults();
    cloud.cloud(&["terminate", &master_id]).exits(0);
    assert_eq!(
        cloud.state().master_calls[0].action,
        MasterAction::Terminate
    );
}

#[test]
fn too_many_engines_for_a_location_fail_before_upload() {
    let cloud = Cloud::new();
    let ran = cloud
        .cloud(&[
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
        .exits(1);
    assert!(
        ran.stderr.contains("needs 21 engines but allows 20"),
        "{}",
        ran.stderr
    );
    assert!(cloud.state().uploads.is_empty());
}

#[test]
fn whoami_and_locations_read_the_account() {
    let cloud = Cloud::new();
    let ran = cloud.cloud(&["whoami"]).exits(0);
    assert!(
        ran.stdout
            .contains(&format!("API key:   {KEY_ID} from environment")),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("project:"), "{}", ran.stdout);
    let ran = cloud.cloud(&["locations", "--json"]);
    let list: Value = serde_json::from_slice(&ran.output.stdout).unwrap();
    let list = list.as_array().unwrap();
    let east = list.iter().find(|l| l["id"] == "europe-west1-b").unwrap();
    assert_eq!(east["engines"], 20);
    assert!(list.iter().any(|l| l["sandbox"] == true));
    assert!(list.iter().any(|l| l["private"] == true));
    cloud.assert_no_secret(&ran);
}

#[test]
fn retries_are_logged_on_stderr_with_verbose_and_never_on_stdout() {
    let cloud = Cloud::new();
    let fail_user_twice = || cloud.inject(status("/api/v4/user", 503, 2, None));
    // Default level (warn): the retries happen but are not shown.
    fail_user_twice();
    let ran = cloud.cloud(&["whoami"]).exits(0);
    assert!(!ran.stderr.contains("retrying"), "{}", ran.stderr);
    let retried = |state: StateSnapshot| {
        state
            .requests
            .iter()
            .filter(|r| r.path == "/api/v4/user" && r.status == Some(503))
            .count()
    };
    assert_eq!(retried(cloud.state()), 2);

    fail_user_twice();
    let ran = cloud.cloud(&["whoami", "-v"]).exits(0);
    assert_eq!(ran.stderr.matches("retrying").count(), 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("503"), "{}", ran.stderr);
    assert!(!ran.stdout.contains("retrying"), "{}", ran.stdout);
    assert!(ran.stdout.contains("API key:"), "{}", ran.stdout);
    assert_eq!(retried(cloud.state()), 4);
    cloud.assert_no_secret(&ran);
}

#[test]
fn package_writes_the_exact_upload_without_api_calls() {
    let scratch = Scratch::new("");
    let ran = scratch
        .package(
            "plan.yaml",
            &[
                "--locations",
                "us-east4-a=2,europe-west1-b=1",
                "--tps",
                "45",
                "--duration",
                "2s",
                "--engine-capacity-tps",
                "20",
                "-o",
                "test.zip",
            ],
            small_vajra(),
        )
        .exits(0);
    assert!(
        ran.stdout.contains("us-east4-a") && ran.stdout.contains("TPS/engine"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("vajra_executor.py"), "{}", ran.stdout);
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
            "vajra_executor.py"
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
        scratch
            .package(
                plan,
                &[
                    "--locations",
                    "us-east4-a",
                    "--tps",
                    "5",
                    "--duration",
                    "1s",
                    "-o",
                    "out-dir",
                ],
                binary,
            )
            .exits(1)
    };
    // The unstripped debug binary is over 50 MB.
    let ran = package("plan.yaml", Path::new(env!("CARGO_BIN_EXE_vajra")));
    assert!(
        ran.stderr.contains("BlazeMeter takes files up to 50 MB"),
        "{}",
        ran.stderr
    );

    std::fs::create_dir(scratch.path("other")).unwrap();
    std::fs::write(scratch.path("other/users.csv"), "name\ndave\n").unwrap();
    std::fs::write(
        scratch.path("two.yaml"),
        "base-url: http://127.0.0.1:9\nrequests:\n  - url: \"/a?u=${user}&n=${name}\"\n\
         data:\n  - file: data/users.csv\n  - file: other/users.csv\n",
    )
    .unwrap();
    let ran = package("two.yaml", small_vajra());
    assert!(
        ran.stderr.contains("both be uploaded as `users.csv`")
            && ran.stderr.contains("other/users.csv"),
        "{}",
        ran.stderr
    );
    assert!(!scratch.path("out-dir").exists());
}

#[test]
fn a_second_ctrl_c_terminates() {
    let cloud = Cloud::new();
    let child = cloud.spawn_run_until("60s", "(100/140)");
    // A slow stop: the second Ctrl-C comes while the master is still stopping.
    cloud.inject(Fault::Delay {
        on: on("/stop"),
        delay_ms: 1000,
        times: 1,
    });
    sigint(&child);
    std::thread::sleep(Duration::from_millis(300));
    sigint(&child);
    Ran::new(child.wait_with_output().unwrap()).exits(2);
    let actions: Vec<MasterAction> = cloud
        .state()
        .master_calls
        .iter()
        .map(|c| c.action)
        .collect();
    assert_eq!(actions, [MasterAction::Stop, MasterAction::Terminate]);
}

#[test]
fn dry_run_and_json_output() {
    let cloud = Cloud::new();
    let ran = cloud.run("1s", &["--dry-run"]).exits(0);
    assert!(
        ran.stdout.contains("dry run: nothing uploaded"),
        "{}",
        ran.stdout
    );
    assert!(cloud.state().requests.is_empty(), "no API calls");

    // --json: stdout is one JSON document with the verdict; the report is public and named.
    let ran = cloud
        .run(
            "1s",
            &["--json", "--public-report", "--report-name", "nightly"],
        )
        .exits(0);
    let result: Value = serde_json::from_slice(&ran.output.stdout).unwrap();
    assert_eq!(result["exit_code"], 0);
    let all = &result["aggregate"][0];
    assert_eq!(
        (all["labelName"].as_str(), all["samples"].as_u64()),
        (Some("ALL"), Some(90))
    );
    assert!(
        ran.stderr.contains("public report: http://127.0.0.1:"),
        "{}",
        ran.stderr
    );
    let master = cloud.last_master_id();
    let renamed = cloud
        .state()
        .requests
        .iter()
        .any(|r| r.method == "PATCH" && r.path == format!("/api/v4/masters/{master}"));
    assert!(renamed, "the report name was set");
}

#[test]
fn login_checks_the_key_with_blazemeter_and_never_prints_it() {
    let cloud = Cloud::new();
    let ran = Ran::new(
        cloud
            .command()
            .env("BLAZEMETER_API_KEY_SECRET", "wrong-secret-9c1e")
            .args(["login"])
            .output()
            .unwrap(),
    )
    .exits(1);
    assert!(
        ran.stderr.contains("BlazeMeter did not accept the key"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("wrong-secret-9c1e") && !ran.stdout.contains("wrong-secret-9c1e"));
    let users = cloud
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
    let ran = scratch
        .package(
            "plan.yaml",
            &["--tps", "40", "--duration", "1s", "--json", "-o", "pkg"],
            small_vajra(),
        )
        .exits(0);
    let result: Value = serde_json::from_slice(&ran.output.stdout).unwrap();
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
    let cloud = Cloud::new();
    let extra = ["--project", "vajra-ci", "--test", "nightly", "--detach"];
    for _ in 0..2 {
        cloud.run("1s", &extra).exits(0);
    }
    let state = cloud.state();
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
            "vajra_executor.py"
        ]
    );
    assert_eq!(state.masters.len(), 2);
    assert!(state.masters.iter().all(|m| m.test_id == test.id));
}

/// The newest `GLIBC_x.y` symbol version that `objdump -T` lists for `binary`, as numbers;
/// `None` if objdump (binutils) is not installed.
fn objdump_newest_glibc(binary: &Path) -> Option<Vec<u32>> {
    let output = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .ok()?;
    assert!(output.status.success(), "objdump -T {}", binary.display());
    text(&output.stdout)
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            v.split('.')
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
                .ok()
        })
        .max()
}

fn parse_glibc(stated: &str) -> Vec<u32> {
    stated
        .split('.')
        .map(|part| part.parse().unwrap_or_else(|_| panic!("glibc `{stated}`")))
        .collect()
}

/// `vajra package … -o OUT` run as `vajra` (any copy of it) in `scratch`, with no
/// VAJRA_PORTABLE_BINARY unless `env` sets it. Deflating a debug-sized binary takes a debug
/// build seconds, so only tests that look into the zip write one (`out.zip`); `out-dir` is the
/// fast choice.
fn package_with(
    vajra: &Path,
    scratch: &Scratch,
    out: &str,
    args: &[&str],
    env: Option<&Path>,
) -> Output {
    let mut command = Command::new(vajra);
    command
        .current_dir(scratch.dir.path())
        .env_remove("VAJRA_PORTABLE_BINARY")
        .args([
            "package",
            "plan.yaml",
            "--locations",
            "us-east4-a",
            "--tps",
            "5",
            "--duration",
            "1s",
            "-o",
            out,
        ])
        .args(args);
    if let Some(path) = env {
        command.env("VAJRA_PORTABLE_BINARY", path);
    }
    command.output().unwrap()
}

/// The manifest line of the vajra binary in `vajra package --json`'s output.
fn binary_entry(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "vajra")
        .cloned()
        .expect("the manifest lists the vajra binary")
}

/// The vajra binary as packaged in `out.zip`, written out to be inspected.
fn unzip_binary(scratch: &Scratch) -> PathBuf {
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(scratch.path("out.zip")).unwrap()).unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name("vajra").unwrap(), &mut bytes).unwrap();
    let path = scratch.path("packaged-vajra");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn the_manifest_states_the_glibc_the_packaged_binary_needs() {
    let scratch = Scratch::new("");
    let vajra = Path::new(env!("CARGO_BIN_EXE_vajra"));
    let args = ["--json", "--vajra-binary", small_vajra().to_str().unwrap()];
    let output = package_with(vajra, &scratch, "out.zip", &args, None);
    let entry = binary_entry(&output);
    let stated = entry["glibc"].as_str().expect("the manifest states glibc");
    let Some(newest) = objdump_newest_glibc(&unzip_binary(&scratch)) else {
        eprintln!("skipped the objdump comparison: objdump (binutils) is not installed");
        return;
    };
    assert_eq!(parse_glibc(stated), newest, "{entry}");
    // A build on a newer glibc than the engines' baseline is packaged with a warning.
    let stderr = text(&output.stderr);
    let warned = stderr.contains(&format!("needs glibc {stated} or newer"))
        && stderr.contains("scripts/build-portable.sh");
    assert_eq!(warned, newest > vec![2, 17], "{stderr}");

    // The table states it too.
    let output = package_with(vajra, &scratch, "out-dir", &args[1..], None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!("vajra: glibc: {stated}")),
        "{stdout}"
    );
}

#[test]
fn package_prefers_a_portable_build_beside_the_executable() {
    let scratch = Scratch::new("");
    // A copy of vajra in a directory of its own, with and without a `vajra-portable` beside it
    // (a small copy of the same program stands in for the portable build).
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let vajra = dir.path().join("vajra");
    std::fs::copy(small_vajra(), &vajra).unwrap();
    let portable = dir.path().join("vajra-portable");
    std::fs::copy(small_vajra(), &portable).unwrap();

    let output = package_with(&vajra, &scratch, "out-dir", &["--json"], None);
    let entry = binary_entry(&output);
    let origin = entry["origin"].as_str().unwrap();
    assert_eq!(
        origin,
        format!(
            "{} (the portable build beside this executable)",
            portable.display()
        )
    );
    assert!(!text(&output.stderr).contains("older than"));
    // A portable build older than the executable may be stale: a warning says so.
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&portable)
        .and_then(|f| f.set_modified(hour_ago))
        .unwrap();
    let output = package_with(&vajra, &scratch, "out-dir", &["--json"], None);
    binary_entry(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("older than this executable") && stderr.contains("build-portable.sh"),
        "{stderr}"
    );

    // VAJRA_PORTABLE_BINARY comes first; naming a missing file is an error.
    let named = scratch.path("named-vajra");
    std::fs::copy(small_vajra(), &named).unwrap();
    let entry = binary_entry(&package_with(
        &vajra,
        &scratch,
        "out-dir",
        &["--json"],
        Some(&named),
    ));
    assert_eq!(
        entry["origin"],
        format!("{} (VAJRA_PORTABLE_BINARY)", named.display())
    );
    let missing = scratch.path("no-such-vajra");
    let output = package_with(&vajra, &scratch, "out-dir", &["--json"], Some(&missing));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("VAJRA_PORTABLE_BINARY") && stderr.contains("no-such-vajra"),
        "{stderr}"
    );

    // Without a portable build, vajra packages itself.
    std::fs::remove_file(&portable).unwrap();
    let entry = binary_entry(&package_with(
        &vajra,
        &scratch,
        "out-dir",
        &["--json"],
        None,
    ));
    assert_eq!(
        entry["origin"],
        format!("{} (this executable)", vajra.display())
    );
}

/// Where scripts/build-portable.sh writes the portable build: target/portable/vajra, beside
/// target/debug. It takes about ten minutes on 2 cores, so scripts/test.sh does not build it;
/// it is a release step (README, cloud section), and this test checks it when it is there.
#[test]
fn a_portable_build_is_packaged_and_needs_at_most_glibc_2_17() {
    let vajra = Path::new(env!("CARGO_BIN_EXE_vajra"));
    let portable = vajra.parent().unwrap().join("../portable/vajra");
    if !portable.is_file() {
        eprintln!(
            "skipped: no portable build at {} (scripts/build-portable.sh makes it)",
            portable.display()
        );
        return;
    }
    let scratch = Scratch::new("");
    let output = package_with(vajra, &scratch, "out.zip", &["--json"], None);
    let entry = binary_entry(&output);
    assert_eq!(
        entry["origin"],
        format!(
            "{} (the portable build of scripts/build-portable.sh)",
            portable.display()
        )
    );
    let stated = entry["glibc"].as_str().unwrap();
    assert!(parse_glibc(stated) <= vec![2, 17], "{entry}");
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("needs glibc"), "{stderr}");
    let packaged = unzip_binary(&scratch);
    assert_eq!(
        std::fs::read(&packaged).unwrap(),
        std::fs::read(&portable).unwrap()
    );
    if let Some(newest) = objdump_newest_glibc(&packaged) {
        assert_eq!(parse_glibc(stated), newest);
    }
}
