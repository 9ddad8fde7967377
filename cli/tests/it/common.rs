//! What the tests share: the binary, scratch plans, and the mock BlazeMeter.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use bzm_mock::{MockConfig, MockHandle, MockServer, Timeline};

/// The `vajra` binary under test, with no standard input.
pub fn vajra() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vajra"));
    command.stdin(Stdio::null());
    command
}

/// Runs `vajra args…` to its end.
pub fn run_to_end(args: &[&str]) -> Output {
    vajra().args(args).output().expect("vajra runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `yaml` as `dir/plan.yaml`.
pub fn write_plan(dir: &Path, yaml: &str) -> PathBuf {
    let path = dir.join("plan.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// The mock's API key. The secret must never show up in anything vajra prints or uploads.
pub const KEY_ID: &str = "cloud-test-id";
pub const SECRET: &str = "s3cret-never-printed-7f3a";

/// The mock BlazeMeter on 127.0.0.1, kept alive with the runtime it serves on.
pub struct Mock {
    pub handle: MockHandle,
    _runtime: tokio::runtime::Runtime,
}

/// Starts the mock: masters step their progress every 50 ms; vajra engines run the plan's time.
pub fn mock() -> Mock {
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
pub fn small_vajra() -> &'static Path {
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

/// A 127.0.0.1 embedded target on its own runtime, kept alive while the test runs.
pub struct Target {
    pub url: String,
    _target: vajra_runner::embedded_target::EmbeddedTarget,
    _runtime: tokio::runtime::Runtime,
}

pub fn target() -> Target {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let target = runtime
        .block_on(vajra_runner::embedded_target::EmbeddedTarget::start())
        .unwrap();
    Target {
        url: target.base_url(),
        _target: target,
        _runtime: runtime,
    }
}

/// Asserts the exit code, showing both streams when it differs.
#[track_caller]
pub fn exits(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
