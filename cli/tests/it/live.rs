//! What `vajra run` says while and before it runs: the header, the live line's units and
//! window, the closed model's wording, worker numbering, Taurus keys, and the output directory
//! (refused when it holds an earlier run, never left empty by a run that could not start).

use std::path::Path;

use crate::common::{run_to_end, text, write_plan};

fn run_in(plan: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_to_end(&args)
}

/// The live lines of a run's stdout (stdout is a pipe here, so they are plain lines).
fn live_lines(stdout: &str) -> Vec<&str> {
    // The end-of-run line names it/s too, but starts with the target, not the elapsed time.
    stdout
        .lines()
        .filter(|l| l.contains(" it/s") && !l.starts_with("target "))
        .collect()
}

#[test]
fn the_header_says_the_duration_once_and_the_live_line_names_both_rates() {
    let dir = tempfile::tempdir().unwrap();
    // Three requests an iteration: 20 it/s is 60 req/s.
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast\n  - url: /fast\n  - url: /echo\n\
         load: { tps: 20, duration: 2s }\n",
    );
    let output = run_in(&plan, &dir.path().join("out"), &["--progress-every", "1s"]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    let header = stdout.lines().next().unwrap();
    assert!(
        header.contains("static 20/s for 2s, results in"),
        "{header}"
    );
    assert!(!header.contains("for 2s for"), "{header}");
    assert!(
        !header.contains("worker"),
        "one worker needs no number: {header}"
    );
    let lines = live_lines(&stdout);
    assert!(!lines.is_empty(), "no live line in {stdout}");
    for line in lines {
        // The mean over the window: 20.0 inside the run, less for one that reaches past its end.
        let target: f64 = line
            .split("target ")
            .nth(1)
            .and_then(|rest| rest.split(" it/s").next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no target it/s in {line}"));
        assert!(target > 0.0 && target <= 20.0, "{line}");
        assert!(line.contains(" it/s  started "), "{line}");
        assert!(line.contains(" req/s"), "{line}");
        assert!(
            line.contains("(last "),
            "the error % names its window: {line}"
        );
    }
}

#[test]
fn the_closed_model_shows_users_and_iterations_not_a_zero_target_or_24h() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), "target: embedded\nrequests:\n  - url: /fast\n");
    let output = run_in(
        &plan,
        &dir.path().join("out"),
        &[
            "--concurrency",
            "2",
            "--iterations",
            "5",
            "--progress-every",
            "100ms",
        ],
    );
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    let header = stdout.lines().next().unwrap();
    assert!(
        header.contains("closed model, 2 users, 5 iterations per user"),
        "{header}"
    );
    assert!(!header.contains("24h"), "{header}");
    // The end summary is write_outputs' (the verdict's) to word; here the header and live lines.
    let lines = live_lines(&stdout);
    assert!(!lines.is_empty(), "no live line in {stdout}");
    for line in lines {
        assert!(line.contains("users 2/2"), "{line}");
        assert!(!line.contains("target"), "{line}");
        assert!(!line.contains("24h"), "{line}");
    }
}

#[test]
fn workers_are_numbered_by_their_index_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast\nload: { tps: 10, duration: 200ms }\n",
    );
    let output = run_in(
        &plan,
        &dir.path().join("out"),
        &["--worker-index", "1", "--worker-count", "2", "-q"],
    );
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains("worker index 1 of 2"),
        "{stdout}"
    );
    // A data set too small to split names the worker the same way.
    std::fs::write(dir.path().join("users.csv"), "user\na\n").unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast?u=${user}\n\
         data: [{ file: users.csv }]\nload: { tps: 10, duration: 200ms }\n",
    );
    let output = run_in(
        &plan,
        &dir.path().join("out2"),
        &["--worker-index", "1", "--worker-count", "2", "-q"],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("worker index 1 of 2 gets no rows"),
        "{stderr}"
    );
}

#[test]
fn a_non_empty_out_directory_is_refused_unless_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast\nload: { tps: 10, duration: 200ms }\n",
    );
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("results.jtl"), "an earlier run\n").unwrap();
    let output = run_in(&plan, &out, &["-q"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&out.display().to_string()), "{stderr}");
    assert!(stderr.contains("--overwrite"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("results.jtl")).unwrap(),
        "an earlier run\n",
        "the earlier run's file is untouched"
    );
    let output = run_in(&plan, &out, &["-q", "--overwrite"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(out.join("summary.json").is_file());
    assert_ne!(
        std::fs::read_to_string(out.join("results.jtl")).unwrap(),
        "an earlier run\n"
    );
    // An existing empty directory is fine without --overwrite.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(run_in(&plan, &empty, &["-q"]).status.success());
}

#[test]
fn a_run_that_cannot_start_leaves_no_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let good = "target: embedded\nrequests:\n  - url: /fast\nload: { tps: 10, duration: 200ms }\n";
    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "bad-plan",
            "target: embedded\nrequests:\n  - url: /fast\nlod: {}\n",
            &[],
        ),
        (
            "refused-flags",
            good,
            &["--worker-index", "3", "--worker-count", "2"],
        ),
        (
            "missing-data",
            "target: embedded\nrequests:\n  - url: /fast?u=${user}\n\
             data: [{ file: missing.csv }]\nload: { tps: 10, duration: 200ms }\n",
            &[],
        ),
    ];
    for (case, yaml, flags) in cases {
        let plan = write_plan(dir.path(), yaml);
        let out = dir.path().join(case);
        let output = run_in(&plan, &out, flags);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{case}: {}",
            text(&output.stderr)
        );
        assert!(!out.exists(), "{case}: {} was left behind", out.display());
    }
}

#[test]
fn taurus_keys_in_a_plan_say_what_the_vajra_key_means() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "target: embedded\nrequests:\n  - url: /fast\nload:\n  tps: 10\n  ramp-up: 1m\n  hold-for: 5m\n",
    );
    let output = run_in(&plan, &dir.path().join("out"), &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("plan.yaml:6:3"), "{stderr}");
    assert!(stderr.contains("`ramp-up` is Taurus's"), "{stderr}");
    assert!(stderr.contains("`ramp-duration`"), "{stderr}");
}
