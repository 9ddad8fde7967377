//! CI fan-out: a GitHub Actions workflow or a GitLab CI pipeline that runs one plan as N workers
//! (a matrix over worker indices, each `vajra run --worker-index I --worker-count N`) and a merge
//! job that checks every worker delivered, merges their results exactly with `vajra report`,
//! checks the plan's thresholds on the whole, and fails the pipeline on a missing worker (exit 1)
//! or a met criterion (exit 3).
//!
//! Pure text generation: the jobs' shell scripts are built once ([`install_script`],
//! [`worker_script`], [`merge_script`]) and both generators embed the same scripts as YAML
//! literal blocks, so GitHub and GitLab runs behave alike. What the merge reads from each worker
//! ([`MERGE_INPUTS`]) and the report command line ([`report_command`]) are defined once here.

use std::fmt::Write as _;

use vajra_plan::schedule::worker_name;

/// The directory, relative to the checkout, where every worker writes `worker-I/` and where the
/// merge job finds them.
pub const OUT_DIR: &str = "vajra-out";

/// The files of each worker's directory that the merge job reads: its result bundle, which
/// carries the exact statistics and the worker's index, count and plan hash, so that `vajra
/// report --expect-workers` can tell a missing, doubled or different worker.
pub const MERGE_INPUTS: &[&str] = &[vajra_stats::bundle::FILE_NAME];

/// Written by each worker's script: `vajra run`'s exit code, so the merge can tell a run that
/// ended (0, or 3: a criterion met on its own share) from one that broke.
pub const EXIT_CODE_FILE: &str = "exit-code";

/// What the merge job writes and uploads.
pub const REPORT_MARKDOWN: &str = "vajra-report.md";
pub const REPORT_HTML: &str = "vajra-report.html";

/// GitLab's `parallel:` takes 2 to 200 jobs; GitHub's matrix takes up to 256. One range for both.
pub const MIN_WORKERS: u32 = 2;
pub const MAX_WORKERS: u32 = 200;

/// The variable that, when set, names a vajra binary to use instead of installing the pinned
/// version (its version must still be the pinned one).
pub const VAJRA_BIN_VAR: &str = "VAJRA_BIN";

/// What a generated CI configuration runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiSpec {
    /// The plan's path relative to the repository root, as the jobs see it in their checkout.
    pub plan: String,
    /// Number of workers (matrix jobs).
    pub workers: u32,
    /// The vajra version every job installs (or requires of `$VAJRA_BIN`).
    pub vajra_version: String,
    /// Extra `vajra run` flags for every worker (load flags, `--fail-on`, Taurus flags).
    pub run_flags: Vec<String>,
    /// The criteria the merge job checks on the merged results (`vajra report --fail-on`).
    pub fail_on: Vec<String>,
    /// Also keep each worker's JTL as an artifact.
    pub jtl: bool,
    /// GitLab only: the jobs' image (it needs `cargo` unless `$VAJRA_BIN` is set); `None`
    /// leaves the runner's default.
    pub image: Option<String>,
    /// The command line that generated the file, for its header comment.
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CiError {
    #[error("--workers {0}: a CI fan-out takes {MIN_WORKERS} to {MAX_WORKERS} workers (GitLab's `parallel:` range); for one worker, run `vajra run` in a single job")]
    Workers(u32),
    #[error("--vajra-version `{0}`: expected a version such as 0.1.0 (letters, digits, `.`, `-` and `+`)")]
    Version(String),
    #[error("{what} `{value}` contains {reason}; CI configurations cannot carry it safely")]
    Unsafe {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
}

impl CiSpec {
    /// Refuses what the generated YAML or shell could not carry as written.
    pub fn check(&self) -> Result<(), CiError> {
        if !(MIN_WORKERS..=MAX_WORKERS).contains(&self.workers) {
            return Err(CiError::Workers(self.workers));
        }
        let version_ok = !self.vajra_version.is_empty()
            && self
                .vajra_version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
        if !version_ok {
            return Err(CiError::Version(self.vajra_version.clone()));
        }
        check_text("the plan path", &self.plan)?;
        for flag in &self.run_flags {
            check_text("the run flag", flag)?;
        }
        for criterion in &self.fail_on {
            check_text("the criterion", criterion)?;
        }
        if let Some(image) = &self.image {
            check_text("the image", image)?;
        }
        Ok(())
    }
}

fn check_text(what: &'static str, value: &str) -> Result<(), CiError> {
    // Besides control characters, the ones YAML cannot carry or reads as line breaks.
    let unprintable = |c: char| {
        c.is_control()
            || matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
    };
    let reason = if value.chars().any(unprintable) {
        Some("a control character (a newline or tab, say)")
    } else if value.contains("${{") {
        Some("`${{`, which GitHub Actions would evaluate as an expression")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CiError::Unsafe {
            what,
            value: value.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A word quoted for a POSIX shell; `check` has refused what could not be quoted.
fn sh(word: &str) -> String {
    shlex::try_quote(word)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| format!("'{}'", word.replace('\'', r"'\''")))
}

/// A YAML scalar for any text: a JSON string is a YAML double-quoted scalar.
fn yaml_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` as the body of a YAML literal block (`|`), every line indented by `indent` spaces.
fn literal_block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    text.lines()
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The directory of worker `index` (a number or a shell expression such as `$i`).
fn worker_dir(index: &str) -> String {
    format!("{OUT_DIR}/worker-{index}")
}

/// The files each worker uploads, relative to its directory: what the merge reads, its exit
/// code and summary, and its JTL when asked.
pub fn uploaded_files(spec: &CiSpec) -> Vec<&'static str> {
    let mut files: Vec<&'static str> = MERGE_INPUTS.to_vec();
    for extra in [EXIT_CODE_FILE, "summary.json", "report.html"] {
        files.push(extra);
    }
    if spec.jtl {
        files.push("results.jtl");
    }
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|f| seen.insert(*f));
    files
}

/// The merge job's `vajra report` command line (after the binary): every worker's merge
/// inputs, the Markdown and HTML reports, and the criteria.
pub fn report_command(spec: &CiSpec) -> Vec<String> {
    let mut args = vec!["report".to_owned()];
    for i in 0..spec.workers {
        for file in MERGE_INPUTS {
            args.push(format!("{}/{file}", worker_dir(&i.to_string())));
        }
    }
    args.extend(["--expect-workers".to_owned(), spec.workers.to_string()]);
    args.extend(
        [
            "--format",
            "markdown",
            "--output",
            REPORT_MARKDOWN,
            "--html",
            REPORT_HTML,
        ]
        .map(str::to_owned),
    );
    for criterion in &spec.fail_on {
        args.push("--fail-on".to_owned());
        args.push(criterion.clone());
    }
    args
}

/// Installs the pinned vajra, or checks that `$VAJRA_BIN` is that version.
pub fn install_script(spec: &CiSpec) -> String {
    let version = &spec.vajra_version;
    format!(
        r#"if [ -n "${{{VAJRA_BIN_VAR}:-}}" ]; then
  echo "vajra: using {VAJRA_BIN_VAR}=${VAJRA_BIN_VAR}"
else
  cargo install vajra --version {version} --locked
fi
found="$("${{{VAJRA_BIN_VAR}:-vajra}}" --version)"
if [ "$found" != "vajra {version}" ]; then
  echo "vajra: this pipeline pins vajra {version} but found '$found'; regenerate it with that vajra or pass --vajra-version" >&2
  exit 1
fi
"#
    )
}

/// One worker's run, with `$VAJRA_WORKER_INDEX` set (from 0). `vajra run`'s exit code goes to
/// [`EXIT_CODE_FILE`]; the job passes on 0 and on 3 (a criterion met on this worker's share:
/// the merge judges the whole) and fails otherwise.
pub fn worker_script(spec: &CiSpec) -> String {
    let workers = spec.workers;
    let dir = worker_dir("$VAJRA_WORKER_INDEX");
    let mut run = vec![
        "\"${VAJRA_BIN:-vajra}\"".to_owned(),
        "run".to_owned(),
        sh(&spec.plan),
        "--worker-index".to_owned(),
        "\"$VAJRA_WORKER_INDEX\"".to_owned(),
        "--worker-count".to_owned(),
        workers.to_string(),
        "--out".to_owned(),
        format!("\"{dir}\""),
    ];
    run.extend(spec.run_flags.iter().map(|f| sh(f)));
    let name = worker_name("$VAJRA_WORKER_INDEX", workers);
    format!(
        r#"status=0
{run} || status=$?
mkdir -p "{dir}"
echo "$status" > "{dir}/{EXIT_CODE_FILE}"
case "$status" in
  0) ;;
  3) echo "vajra: {name} met a failure criterion on its own share; the merge job judges the merged results" ;;
  *) echo "vajra: {name} failed (exit $status)" >&2; exit "$status" ;;
esac
"#,
        run = run.join(" ")
    )
}

/// The merge job: every worker must have delivered (its merge inputs, an exit code of 0 or 3,
/// a valid run), else exit 1 naming each missing one; then `vajra report`, whose exit code (3
/// when a criterion is met) is the job's. `summary`, when given, is a file the Markdown report
/// is appended to (GitHub's `$GITHUB_STEP_SUMMARY`).
pub fn merge_script(spec: &CiSpec, summary: Option<&str>) -> String {
    let workers = spec.workers;
    let dir = worker_dir("$i");
    let name = worker_name("$i", workers);
    let inputs = MERGE_INPUTS
        .iter()
        .map(|f| format!("  [ -f \"{dir}/{f}\" ] || code=none\n"))
        .collect::<String>();
    let report = std::iter::once("\"${VAJRA_BIN:-vajra}\"".to_owned())
        .chain(report_command(spec).iter().map(|a| sh(a)))
        .collect::<Vec<_>>()
        .join(" ");
    let publish = match summary {
        Some(file) => format!("cat {REPORT_MARKDOWN} >> \"{file}\"\n"),
        None => String::new(),
    };
    format!(
        r#"missing=0
i=0
while [ "$i" -lt {workers} ]; do
  code="$(cat "{dir}/{EXIT_CODE_FILE}" 2>/dev/null || echo none)"
{inputs}  case "$code" in
    none) echo "vajra: {name} delivered no results (its job failed, or uploaded nothing); see its log" >&2; missing=$((missing + 1)) ;;
    0|3)
      if grep -q '"result": "invalid"' "{dir}/summary.json" 2>/dev/null; then
        echo "vajra: the run of {name} is invalid (its generator could not hold the rate); see {dir}/summary.json" >&2
        missing=$((missing + 1))
      fi ;;
    *) echo "vajra: {name} ended with exit code $code; its results are incomplete" >&2; missing=$((missing + 1)) ;;
  esac
  i=$((i + 1))
done
if [ "$missing" -gt 0 ]; then
  echo "vajra: $missing of {workers} workers did not deliver complete results; the merged numbers would not describe the test, so there is no report" >&2
  exit 1
fi
status=0
{report} || status=$?
cat {REPORT_MARKDOWN} || true
{publish}exit "$status"
"#
    )
}

fn header(spec: &CiSpec) -> String {
    format!(
        "# Generated by `{}` (vajra {}).\n\
         # Regenerate it after changing the worker count or the plan's thresholds; see docs/ci.md.\n",
        spec.command, spec.vajra_version
    )
}

/// The GitHub Actions workflow: a `load` job with a matrix over worker indices, and a `merge`
/// job that runs unless the workflow was cancelled.
pub fn github_workflow(spec: &CiSpec) -> Result<String, CiError> {
    spec.check()?;
    let indices = (0..spec.workers)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let install = literal_block(&install_script(spec), 10);
    let worker = literal_block(&worker_script(spec), 10);
    let merge = literal_block(&merge_script(spec, Some("$GITHUB_STEP_SUMMARY")), 10);
    let uploads = literal_block(
        &uploaded_files(spec)
            .iter()
            .map(|f| format!("{}/{f}", worker_dir("${{ matrix.worker }}")))
            .collect::<Vec<_>>()
            .join("\n"),
        12,
    );
    let version = &spec.vajra_version;
    let mut out = header(spec);
    let _ = write!(
        out,
        r#"name: vajra load test
on:
  workflow_dispatch: {{}}
permissions:
  contents: read
env:
  # A vajra binary to use instead of installing the pinned version (a repository variable).
  {VAJRA_BIN_VAR}: ${{{{ vars.{VAJRA_BIN_VAR} }}}}
jobs:
  load:
    name: worker ${{{{ matrix.worker }}}}
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        worker: [{indices}]
    env:
      VAJRA_WORKER_INDEX: ${{{{ matrix.worker }}}}
    steps:
      - uses: actions/checkout@v4
      - name: Install vajra {version}
        run: |
{install}
      - name: Run worker
        run: |
{worker}
      - name: Upload the worker's results
        if: ${{{{ !cancelled() }}}}
        uses: actions/upload-artifact@v4
        with:
          name: worker-${{{{ matrix.worker }}}}
          path: |
{uploads}
          if-no-files-found: warn
  merge:
    needs: load
    if: ${{{{ !cancelled() }}}}
    runs-on: ubuntu-latest
    steps:
      - name: Install vajra {version}
        run: |
{install}
      - name: Download the workers' results
        uses: actions/download-artifact@v4
        with:
          pattern: worker-*
          path: {OUT_DIR}
      - name: Merge, report and check
        run: |
{merge}
      - name: Upload the report
        if: ${{{{ !cancelled() }}}}
        uses: actions/upload-artifact@v4
        with:
          name: vajra-report
          path: |
            {REPORT_HTML}
            {REPORT_MARKDOWN}
          if-no-files-found: warn
"#
    );
    Ok(out)
}

/// The GitLab CI pipeline: a `vajra-worker` job with `parallel: N` (`CI_NODE_INDEX` counts from
/// 1) in stage `load`, and `vajra-merge` in stage `merge`, which runs even when a worker failed.
pub fn gitlab_pipeline(spec: &CiSpec) -> Result<String, CiError> {
    spec.check()?;
    let install = literal_block(&install_script(spec), 6);
    let worker = literal_block(
        &format!(
            "export VAJRA_WORKER_INDEX=$((CI_NODE_INDEX - 1))\n{}",
            worker_script(spec)
        ),
        6,
    );
    let merge = literal_block(&merge_script(spec, None), 6);
    let image = match &spec.image {
        Some(image) => format!("  image: {}\n", yaml_str(image)),
        None => String::new(),
    };
    let uploads = uploaded_files(spec)
        .iter()
        .map(|f| {
            format!(
                "      - {}\n",
                yaml_str(&format!("{}/{f}", worker_dir("*")))
            )
        })
        .collect::<String>();
    let workers = spec.workers;
    let mut out = header(spec);
    let _ = write!(
        out,
        r#"# {VAJRA_BIN_VAR}, when set (a CI/CD variable), is a vajra binary used instead of installing
# the pinned version.
stages:
  - load
  - merge
vajra-worker:
  stage: load
{image}  parallel: {workers}
  script:
    - |
{install}
    - |
{worker}
  artifacts:
    when: always
    paths:
{uploads}vajra-merge:
  stage: merge
{image}  when: always
  script:
    - |
{install}
    - |
{merge}
  artifacts:
    when: always
    paths:
      - {REPORT_HTML}
      - {REPORT_MARKDOWN}
"#
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn spec() -> CiSpec {
        CiSpec {
            plan: "plans/shop.yaml".to_owned(),
            workers: 3,
            vajra_version: "0.1.0".to_owned(),
            run_flags: vec!["--tps".to_owned(), "30".to_owned()],
            fail_on: vec!["p95>500ms".to_owned()],
            jtl: false,
            image: Some("rust:1".to_owned()),
            command: "vajra ci github plans/shop.yaml --workers 3".to_owned(),
        }
    }

    fn parse(yaml: &str) -> Value {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
    }

    fn script_lines(value: &Value) -> String {
        match value {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("\n"),
            other => panic!("not a script: {other}"),
        }
    }

    /// The `vajra run` line of a script, split back into words by a shell's rules.
    fn run_words(script: &str) -> Vec<String> {
        let line = script
            .lines()
            .find(|l| l.contains(" run "))
            .expect("a vajra run line");
        let line = line.trim_end_matches(" || status=$?");
        shlex::split(line).expect("shell words")
    }

    #[test]
    fn github_has_a_matrix_load_job_and_a_merge_job() {
        let yaml = github_workflow(&spec()).unwrap();
        let doc = parse(&yaml);
        let load = &doc["jobs"]["load"];
        assert_eq!(
            load["strategy"]["matrix"]["worker"],
            serde_json::json!([0, 1, 2])
        );
        assert_eq!(load["strategy"]["fail-fast"], Value::Bool(false));
        let steps = load["steps"].as_array().unwrap();
        let run = script_lines(&steps[2]["run"]);
        assert_eq!(
            run_words(&run),
            [
                "${VAJRA_BIN:-vajra}",
                "run",
                "plans/shop.yaml",
                "--worker-index",
                "$VAJRA_WORKER_INDEX",
                "--worker-count",
                "3",
                "--out",
                "vajra-out/worker-$VAJRA_WORKER_INDEX",
                "--tps",
                "30"
            ]
        );
        assert!(
            script_lines(&steps[1]["run"]).contains("cargo install vajra --version 0.1.0 --locked")
        );
        let upload = &steps[3];
        assert_eq!(upload["uses"], "actions/upload-artifact@v4");
        assert_eq!(upload["with"]["name"], "worker-${{ matrix.worker }}");
        let paths = upload["with"]["path"].as_str().unwrap();
        assert!(paths
            .lines()
            .any(|l| l == "vajra-out/worker-${{ matrix.worker }}/result.vbundle"));

        let merge = &doc["jobs"]["merge"];
        assert_eq!(merge["needs"], "load");
        assert_eq!(merge["if"], "${{ !cancelled() }}");
        let steps = merge["steps"].as_array().unwrap();
        assert_eq!(steps[1]["with"]["pattern"], "worker-*");
        assert_eq!(steps[1]["with"]["path"], "vajra-out");
        let script = script_lines(&steps[2]["run"]);
        assert!(script.contains("cat vajra-report.md >> \"$GITHUB_STEP_SUMMARY\""));
        assert!(script.contains(
            "\"${VAJRA_BIN:-vajra}\" report vajra-out/worker-0/result.vbundle \
             vajra-out/worker-1/result.vbundle vajra-out/worker-2/result.vbundle \
             --expect-workers 3 --format markdown --output vajra-report.md --html vajra-report.html --fail-on 'p95>500ms' || status=$?"
        ));
        assert!(script.contains("while [ \"$i\" -lt 3 ]"));
        assert!(script.contains("worker index $i of 3 delivered no results"));
    }

    #[test]
    fn gitlab_has_parallel_workers_and_a_merge_that_always_runs() {
        let yaml = gitlab_pipeline(&spec()).unwrap();
        let doc = parse(&yaml);
        assert_eq!(doc["stages"], serde_json::json!(["load", "merge"]));
        let worker = &doc["vajra-worker"];
        assert_eq!(worker["stage"], "load");
        assert_eq!(worker["parallel"], 3);
        assert_eq!(worker["image"], "rust:1");
        let scripts = worker["script"].as_array().unwrap();
        assert!(scripts[0].as_str().unwrap().contains("--version 0.1.0"));
        let run = scripts[1].as_str().unwrap();
        assert!(run.starts_with("export VAJRA_WORKER_INDEX=$((CI_NODE_INDEX - 1))\n"));
        assert_eq!(run_words(run)[2], "plans/shop.yaml");
        assert_eq!(worker["artifacts"]["when"], "always");
        assert_eq!(
            worker["artifacts"]["paths"],
            serde_json::json!([
                "vajra-out/worker-*/result.vbundle",
                "vajra-out/worker-*/exit-code",
                "vajra-out/worker-*/summary.json",
                "vajra-out/worker-*/report.html"
            ])
        );
        let merge = &doc["vajra-merge"];
        assert_eq!(merge["stage"], "merge");
        assert_eq!(merge["when"], "always");
        let script = merge["script"][1].as_str().unwrap();
        assert!(!script.contains("GITHUB_STEP_SUMMARY"));
        assert!(script.contains("--fail-on 'p95>500ms'"));
    }

    #[test]
    fn no_image_leaves_the_runners_default() {
        let mut spec = spec();
        spec.image = None;
        let doc = parse(&gitlab_pipeline(&spec).unwrap());
        assert!(doc["vajra-worker"].get("image").is_none());
        assert!(doc["vajra-merge"].get("image").is_none());
    }

    #[test]
    fn jtl_adds_nothing_twice() {
        let mut spec = spec();
        spec.jtl = true;
        let files = uploaded_files(&spec);
        assert_eq!(files.iter().filter(|f| **f == "results.jtl").count(), 1);
    }

    #[test]
    fn bad_specs_are_refused_by_name() {
        let mut s = spec();
        s.workers = 1;
        assert_eq!(github_workflow(&s).unwrap_err(), CiError::Workers(1));
        s.workers = 201;
        assert_eq!(gitlab_pipeline(&s).unwrap_err(), CiError::Workers(201));
        let mut s = spec();
        s.vajra_version = "1.0; rm -rf /".to_owned();
        assert!(matches!(
            github_workflow(&s).unwrap_err(),
            CiError::Version(_)
        ));
        let mut s = spec();
        s.plan = "a\nb.yaml".to_owned();
        let err = github_workflow(&s).unwrap_err().to_string();
        assert!(
            err.starts_with("the plan path `a\nb.yaml` contains a control character"),
            "{err}"
        );
        let mut s = spec();
        s.run_flags = vec!["${{ secrets.X }}".to_owned()];
        assert!(gitlab_pipeline(&s)
            .unwrap_err()
            .to_string()
            .contains("GitHub Actions"));
    }

    proptest! {
        /// Any plan path and flag a spec accepts reach `vajra run` as the same words, through
        /// YAML and the shell, on both CIs.
        #[test]
        fn paths_and_flags_survive_yaml_and_shell(
            plan in "[^\\p{Cc}]{1,40}",
            flag in "[^\\p{Cc}]{0,20}",
        ) {
            let mut s = spec();
            s.plan = plan.clone();
            s.run_flags = vec![flag.clone()];
            prop_assume!(s.check().is_ok());
            let github = parse(&github_workflow(&s).unwrap());
            let words = run_words(&script_lines(&github["jobs"]["load"]["steps"][2]["run"]));
            prop_assert_eq!(&words[2], &plan);
            prop_assert_eq!(&words[9], &flag);
            let gitlab = parse(&gitlab_pipeline(&s).unwrap());
            let words = run_words(gitlab["vajra-worker"]["script"][1].as_str().unwrap());
            prop_assert_eq!(&words[2], &plan);
            prop_assert_eq!(&words[9], &flag);
        }
    }
}
