//! The HTML report of `vajra run` in a real browser: the real binary runs a short plan against
//! the embedded loopback target, then headless Chromium (Debian's `chromium`) loads the written
//! `report.html` from disk with networking off, and the DOM it dumps after the page's script ran
//! must show three drawn charts and hostile labels as text.
//!
//! Needs `VAJRA_BROWSER_TESTS=1` (set by `scripts/test.sh` after installing Chromium); without
//! it the test says it was skipped. With it but without Chromium it fails.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::vajra;

const CHROMIUM: &str = "chromium";
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// A label that runs script if a page ever inserts it as HTML.
const HOSTILE_LABEL: &str = "<img src=x onerror=document.body.setAttribute('data-pwned',1)>";

fn browser_tests_enabled() -> bool {
    if std::env::var("VAJRA_BROWSER_TESTS").as_deref() == Ok("1") {
        return true;
    }
    eprintln!(
        "skipped: the browser test needs VAJRA_BROWSER_TESTS=1 and Debian's chromium \
         (scripts/test.sh installs it and sets the variable)"
    );
    false
}

/// Runs headless Chromium on `page` with `args`, stdout to `stdout`, bounded in time.
fn chromium(profile: &Path, page: &Path, args: &[&str], stdout: File) {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `{CHROMIUM}` ({e}): install it (Debian: apt-get install -y \
                 chromium), as scripts/test.sh does in CI, or unset VAJRA_BROWSER_TESTS"
            )
        });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium {args:?} failed: {status}");
            return;
        }
        if start.elapsed() > BROWSER_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("chromium {args:?} took more than {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of attribute `name` in the opening tag of the element with id `id`.
fn attribute<'a>(dom: &'a str, id: &str, name: &str) -> Option<&'a str> {
    let start = dom.find(&format!("id=\"{id}\""))?;
    let tag_start = dom[..start].rfind('<')?;
    let tag = &dom[tag_start..start + dom[start..].find('>')?];
    let value_start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value_len = tag[value_start..].find('"')?;
    Some(&tag[value_start..value_start + value_len])
}

#[test]
fn run_writes_a_report_whose_charts_render_in_chromium() {
    if !browser_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "name: browser\ntarget: embedded\nrequests:\n  - label: fast\n    url: /fast\n  \
             - label: \"{HOSTILE_LABEL}\"\n    method: POST\n    url: /flaky\n\
             load: {{ pattern: static, tps: 40, duration: 3s }}\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = vajra()
        .arg("run")
        .arg(&plan)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "vajra run failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = out.join("report.html");
    assert!(report.is_file(), "no report.html in {}", out.display());

    let profile = dir.path().join("profile");
    let dom_path = dir.path().join("dom.html");
    chromium(
        &profile,
        &report,
        &["--dump-dom"],
        File::create(&dom_path).unwrap(),
    );
    let dom = std::fs::read_to_string(&dom_path).unwrap();
    assert!(
        dom.contains("id=\"chart-note\""),
        "not the report's DOM:\n{dom:.2000}"
    );
    assert!(
        dom.contains("<body data-charts=\"ok\""),
        "the page did not finish drawing: {}",
        dom.find("<body")
            .map_or("", |i| &dom[i..(i + 300).min(dom.len())])
    );
    for chart in ["chart-throughput", "chart-response-time", "chart-errors"] {
        let painted: u64 = attribute(&dom, chart, "data-painted")
            .unwrap_or_else(|| panic!("{chart} was never drawn"))
            .parse()
            .unwrap();
        assert!(
            painted > 100,
            "{chart} has only {painted} pixels of its line"
        );
    }
    assert_eq!(dom.matches("<canvas").count(), 3, "one canvas per chart");
    assert_eq!(dom.matches("class=\"uplot").count(), 3);

    // The hostile label is shown as text in the table and the legends, and never ran.
    assert!(!dom.contains("data-pwned=\"1\""), "a label ran as HTML");
    let as_text = "&lt;img src=x onerror=document.body.setAttribute('data-pwned',1)&gt;";
    assert!(
        dom.matches(as_text).count() >= 4,
        "the label table and the three legends show the label as text"
    );

    let shot = dir.path().join("shot.png");
    chromium(
        &profile,
        &report,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
        File::create(dir.path().join("screenshot.log")).unwrap(),
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a blank screenshot?"
    );
    if let Ok(keep) = std::env::var("VAJRA_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, &keep).unwrap();
    }
}
