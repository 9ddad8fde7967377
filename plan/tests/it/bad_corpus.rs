//! The checked-in corpus of bad plans (`tests/data/bad/`): each `NAME.yaml` must be refused
//! with exactly the message in `NAME.expected`, quickly and without a panic. The cases come from
//! hostile-input runs against the release binary and from fuzzing (`fuzz/`).
//!
//! A plan whose YAML loads is also asked for its load model (`LoadSpec::build_model`), as
//! `vajra run` does, so load-section checks are covered too. To add a case, write the YAML,
//! run with `VAJRA_BLESS=1` to write its `.expected`, and read that message before committing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vajra_plan::Plan;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad")
}

/// The error the plan at `path` gives, with the corpus directory left out of file names.
fn outcome(path: &Path) -> Result<String, String> {
    let message = match Plan::load(path) {
        Err(err) => err.to_string(),
        Ok(plan) => match plan.load.build_model() {
            Err(err) => err.to_string(),
            Ok(model) => return Err(format!("accepted, with load model {model:?}")),
        },
    };
    Ok(message.replace(&format!("{}/", corpus().display()), ""))
}

#[test]
fn every_bad_plan_gives_its_expected_error() {
    let bless = std::env::var_os("VAJRA_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 40,
        "the corpus is missing: {}",
        corpus().display()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected_path = case.with_extension("expected");
        let started = Instant::now();
        let got = match std::panic::catch_unwind(|| outcome(case)) {
            Ok(Ok(message)) => message,
            Ok(Err(accepted)) => {
                failures.push(format!("{name}: {accepted}"));
                continue;
            }
            Err(_) => {
                failures.push(format!("{name}: the loader panicked"));
                continue;
            }
        };
        let elapsed = started.elapsed();
        if elapsed > Duration::from_secs(2) {
            failures.push(format!("{name}: took {elapsed:?} to refuse"));
        }
        if bless {
            std::fs::write(&expected_path, format!("{got}\n")).unwrap();
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected.trim_end() == got => {}
            Ok(expected) => failures.push(format!(
                "{name}:\n  expected: {}\n  got:      {got}",
                expected.trim_end()
            )),
            Err(_) => failures.push(format!("{name}: no {}", expected_path.display())),
        }
    }
    // Every expectation belongs to a case.
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected")
            && !path.with_extension("yaml").exists()
        {
            failures.push(format!("{}: no YAML beside it", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// 100,000 nested lists once took minutes to parse; now the depth limit stops it at once.
#[test]
fn deep_nesting_fails_fast() {
    for depth in [100_000, 1_000_000] {
        let yaml = format!("requests: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let started = Instant::now();
        let err = Plan::from_str(&yaml, Path::new("deep.yaml")).unwrap_err();
        assert!(
            err.to_string().contains("nested more than 32 levels deep"),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes as a plan file never panic the loader: a plan or an error.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(plan) = Plan::from_str(&text, Path::new("/nonexistent/plan.yaml")) {
            let _ = plan.load.build_model();
        }
    }

    /// Plan-shaped text with arbitrary values in the load section never panics either.
    #[test]
    fn arbitrary_load_values_never_panic(
        key in "(tps|duration|ramp-duration|steps|mean-rate|amplitude|period|base-rate|spike-rate|spike-interval|spike-duration|warmup|cooldown|max-in-flight|concurrency|iterations)",
        value in "[-+0-9.eE:,smhinfaN ]{0,24}",
        pattern in "(static|ramp|ramp-sustain|step|sine|spike)",
    ) {
        let yaml = format!("base-url: http://h\nrequests: [{{url: /a}}]\nload:\n  pattern: {pattern}\n  {key}: \"{value}\"\n");
        if let Ok(plan) = Plan::from_str(&yaml, Path::new("plan.yaml")) {
            let _ = plan.load.build_model();
        }
    }
}
