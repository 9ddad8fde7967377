//! What the tests against real servers share (`https`, `http2`, `redirects_cookies`, `faults`):
//! running a plan through the real binary with a watchdog, and reading back its JTL rows and
//! `summary.json`. The servers themselves come from `vajra-testkit`.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use vajra_testkit::jtl::{self, JtlRow};

use crate::common::{text, vajra, write_plan};

/// A run that takes longer than this is stuck: it is killed and the test fails.
const WATCHDOG: Duration = Duration::from_secs(60);

/// A finished `vajra run`: its exit, output, rows and summary.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub rows: Vec<JtlRow>,
    pub summary: Value,
    _dir: tempfile::TempDir,
}

impl Run {
    /// The run completed (exit 0), printed no panic, and every scheduled arrival was sent.
    pub fn assert_completed(&self) {
        assert_eq!(self.code, Some(0), "{self}");
        self.assert_no_panic();
        let arrivals = &self.summary["arrivals"];
        assert_eq!(arrivals["dropped"].as_u64(), Some(0), "{self}");
        assert_eq!(arrivals["unsent"].as_u64(), Some(0), "{self}");
        assert_eq!(self.summary["stop_reason"], "completed", "{self}");
    }

    pub fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "{self}"
        );
    }

    /// Arrivals scheduled by the open model.
    pub fn scheduled(&self) -> u64 {
        self.summary["arrivals"]["scheduled"]
            .as_u64()
            .unwrap_or_else(|| panic!("no arrivals.scheduled in {}", self.summary))
    }

    pub fn total_samples(&self) -> u64 {
        self.summary["total"]["samples"]
            .as_u64()
            .expect("total.samples")
    }

    pub fn total_errors(&self) -> u64 {
        self.summary["total"]["errors"]
            .as_u64()
            .expect("total.errors")
    }

    pub fn labelled<'a>(&'a self, label: &'a str) -> impl Iterator<Item = &'a JtlRow> + 'a {
        self.rows.iter().filter(move |row| row.label == label)
    }

    pub fn successes(&self) -> usize {
        self.rows.iter().filter(|row| row.success).count()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<String> = self
            .rows
            .iter()
            .filter(|r| !r.success)
            .take(5)
            .map(failure_text)
            .collect();
        write!(
            f,
            "exit {:?}\nstdout:\n{}\nstderr:\n{}\nfirst failed rows: {shown:#?}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Everything a row says about why it failed, in one line, for matching reasons.
pub fn failure_text(row: &JtlRow) -> String {
    format!(
        "{} | {} | {}",
        row.response_code, row.response_message, row.failure_message
    )
}

/// Asserts that a failed row names its failure: a non-HTTP code (JMeter's "Non HTTP response
/// code: …") with a message, and that the text (lowercased) has one of `words`.
pub fn assert_named_failure(row: &JtlRow, words: &[&str]) {
    assert!(!row.success, "{row:?}");
    let text = failure_text(row);
    assert!(
        row.response_code.starts_with("Non HTTP response code: ")
            && row.response_code.len() > "Non HTTP response code: ".len(),
        "the code names the failure: {text}"
    );
    assert!(
        !row.response_message.is_empty(),
        "a message says why: {text}"
    );
    let lower = text.to_lowercase();
    assert!(
        words.iter().any(|w| lower.contains(w)),
        "expected one of {words:?} in: {text}"
    );
}

/// Runs `vajra run plan.yaml --out <dir>/out args…` for `yaml`, killed after [`WATCHDOG`].
pub fn run_plan(yaml: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), yaml);
    let out = dir.path().join("out");
    let mut child = vajra()
        .arg("run")
        .arg(&plan)
        .arg("--out")
        .arg(&out)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vajra runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = text(&out_reader.join().unwrap());
    let stderr = text(&err_reader.join().unwrap());
    let Some(status) = status else {
        panic!("vajra ran past {WATCHDOG:?} and was killed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    };
    let rows = read_rows(&out.join("results.jtl"), &stdout, &stderr);
    let summary = read_summary(&out.join("summary.json"), &stdout, &stderr);
    Run {
        code: status.code(),
        stdout,
        stderr,
        rows,
        summary,
        _dir: dir,
    }
}

fn read_rows(path: &Path, stdout: &str, stderr: &str) -> Vec<JtlRow> {
    jtl::read(path).unwrap_or_else(|e| panic!("{e:#}\nstdout:\n{stdout}\nstderr:\n{stderr}"))
}

fn read_summary(path: &Path, stdout: &str, stderr: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// The `tls:` section trusting the test CA of `pki`, as YAML flow mapping text.
pub fn trust(pki: &vajra_testkit::pki::Pki) -> String {
    format!("{{ ca-file: {} }}", yaml_string(&pki.ca))
}

/// A path as a double-quoted YAML string.
pub fn yaml_string(path: &Path) -> String {
    serde_json::to_string(&path.display().to_string()).unwrap()
}
