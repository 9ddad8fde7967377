//! Taurus configs, the new outside input: the checked-in corpus of bad configs
//! (`tests/data/bad-taurus/`) and property tests that no config panics the loader.
//!
//! Each `NAME.yml` in the corpus has a `NAME.expected` beside it: `line: N` (the config line
//! the error must point at), `contains: TEXT` (a fragment of the message, which must also start
//! with the file's name) and, for a bad `-o`, `override: KEY=VALUE` lines given with the file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use vajra_plan::taurus::TaurusConfig;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad-taurus")
}

/// Everything `vajra run` asks of a config: read it (with `overrides`), its criteria, and every
/// execution mapped and built. The first error, or `None` when all of it is accepted.
fn first_error(text: &str, path: &Path, overrides: &[String]) -> Option<vajra_plan::PlanError> {
    let config = match TaurusConfig::from_str(text, path, overrides) {
        Ok(config) => config,
        Err(e) => return Some(e),
    };
    if let Err(e) = config.thresholds() {
        return Some(e);
    }
    (0..config.executions()).find_map(|index| match config.execution(index) {
        Ok(execution) => {
            execution
                .plan
                .load
                .build_model()
                .err()
                .map(|e| vajra_plan::PlanError::Load {
                    message: e.to_string(),
                })
        }
        Err(e) => Some(e),
    })
}

/// A corpus case's expectation (its `.expected` file): the line, the fragment, the overrides.
fn expectation(case: &Path) -> Result<(usize, String, Vec<String>), String> {
    let path = case.with_extension("expected");
    let text = std::fs::read_to_string(&path).map_err(|_| format!("no {}", path.display()))?;
    let (mut line, mut fragment, mut overrides) = (None, None, Vec::new());
    for item in text.lines().filter(|l| !l.trim().is_empty()) {
        match item.split_once(": ") {
            Some(("line", n)) => line = n.parse().ok(),
            Some(("contains", f)) => fragment = Some(f.to_string()),
            Some(("override", o)) => overrides.push(o.to_string()),
            _ => return Err(format!("{}: unknown line `{item}`", path.display())),
        }
    }
    match (line, fragment) {
        (Some(line), Some(fragment)) => Ok((line, fragment, overrides)),
        _ => Err(format!(
            "{}: needs `line: N` and `contains: TEXT`",
            path.display()
        )),
    }
}

#[test]
fn every_bad_taurus_config_gives_its_expected_error() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 12,
        "the corpus is missing: {}",
        corpus().display()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(case).unwrap();
        let (line, fragment, overrides) = match expectation(case) {
            Ok(expected) => expected,
            Err(problem) => {
                failures.push(problem);
                continue;
            }
        };
        let started = Instant::now();
        let error = match std::panic::catch_unwind(|| first_error(&text, case, &overrides)) {
            Ok(Some(error)) => error,
            Ok(None) => {
                failures.push(format!("{name}: accepted"));
                continue;
            }
            Err(_) => {
                failures.push(format!("{name}: the loader panicked"));
                continue;
            }
        };
        if started.elapsed() > Duration::from_secs(2) {
            failures.push(format!("{name}: took {:?} to refuse", started.elapsed()));
        }
        let message = error.to_string();
        let got_line = error.location().map(|l| l.line);
        if !message.contains(&fragment) || got_line != Some(line) {
            failures.push(format!(
                "{name}:\n  expected line {line}: …{fragment}…\n  got line {got_line:?}: {message}"
            ));
        }
        if !message.starts_with(&case.display().to_string()) {
            failures.push(format!(
                "{name}: the error does not name the file: {message}"
            ));
        }
    }
    // Every expectation belongs to a case.
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") && !path.with_extension("yml").exists()
        {
            failures.push(format!("{}: no config beside it", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Odd text: sometimes a valid time, path, regexp or expression, often not.
fn odd() -> BoxedStrategy<String> {
    "[-$@{}()\\[\\].,_ a-z0-9:*?|^\"'=!<>&%\\\\]{0,16}".boxed()
}

/// Mostly one of `good` (values that pass the checks, so the builder behind them is reached),
/// sometimes odd text.
fn mostly(good: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        12 => prop::sample::select(good).prop_map(str::to_string),
        1 => odd(),
    ]
    .boxed()
}

fn time() -> BoxedStrategy<String> {
    mostly(&["1ms", "2ms", "uniform(2ms, 1ms)", "gaussian(2ms, 1ms)", "0"])
}

fn condition() -> BoxedStrategy<String> {
    mostly(&[
        "${v} == 1",
        "\"${v}\" == \"a\" && ${n} > 3",
        "!(${v} =~ \"^a\")",
        "${JMeterThread.last_sample_ok}",
    ])
}

fn value() -> BoxedStrategy<String> {
    mostly(&["x", "${v}", "${__Random(1,10)}", "${__UUID()}", "${n}-${b}"])
}

fn count() -> BoxedStrategy<Value> {
    prop_oneof![
        12 => (-1i64..4).prop_map(Value::from),
        1 => prop_oneof![
            Just(json!(-1)),
            Just(json!(1_000_001)),
            Just(json!(1.5)),
            Just(json!("forever")),
            odd().prop_map(Value::from),
        ],
    ]
    .boxed()
}

/// A Taurus request: a URL alone, or a mapping with some of the request keys.
fn request() -> BoxedStrategy<Value> {
    let url = mostly(&["http://127.0.0.1:9/a", "/b?x=${v}", "c/${n}"]);
    let extract = (
        mostly(&["$.token", "$.items[*].id", "$..id"]),
        mostly(&["id=(\\d+)", "sid=\\w+", "(a)(b)"]),
        count(),
        mostly(&["1", "$1$", "$2$"]),
    )
        .prop_map(|(path, regexp, n, m)| {
            json!({
                "extract-jsonpath": {"v": {"jsonpath": path, "match-no": n, "default": "D"}},
                "extract-regexp": {"n": {"regexp": regexp, "template": m, "match-no": n}},
            })
        });
    let checks = (
        mostly(&["ok", "id=\\d+", "200"]),
        mostly(&["$.ok", "$.items[0]"]),
        any::<bool>(),
        any::<bool>(),
        mostly(&["body", "headers", "http-code", "url"]),
    )
        .prop_map(|(contains, path, not, regexp, subject)| {
            json!({
                "assert": [{"contains": [contains], "not": not, "regexp": regexp, "subject": subject}],
                "assert-jsonpath": [{"jsonpath": path, "invert": not, "validate": regexp, "expected-value": 7}],
            })
        });
    let boundary = (value(), value()).prop_map(
        |(left, right)| json!({"extract-boundary": {"b": {"left": left, "right": right}}}),
    );
    (
        url,
        prop::option::of(prop_oneof![extract, checks, boundary]),
        prop::option::of(time()),
        any::<bool>(),
    )
        .prop_map(|(url, more, think_time, plain)| {
            if plain && more.is_none() {
                return Value::String(url);
            }
            let mut step = Map::new();
            step.insert("url".into(), url.into());
            if let Some(Value::Object(more)) = more {
                step.extend(more);
            }
            if let Some(t) = think_time {
                step.insert("think-time".into(), t.into());
            }
            Value::Object(step)
        })
        .boxed()
}

/// A Taurus step: a request, a leaf block or a block of steps, nested a few levels.
fn step() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        4 => request(),
        1 => (mostly(&["v", "n", "b"]), value()).prop_map(|(k, v)| json!({"set-variables": {k: v}})),
        1 => mostly(&["1ms", "2ms", "0"]).prop_map(|d| json!({"action": "pause", "pause-duration": d})),
        1 => prop_oneof![8 => Just("other"), 1 => Just("s"), 1 => Just("missing")]
            .prop_map(|name| json!({"include-scenario": name})),
    ];
    leaf.prop_recursive(3, 24, 3, |inner| {
        let steps = prop::collection::vec(inner, 1..3);
        prop_oneof![
            (value(), steps.clone()).prop_map(|(name, d)| json!({"transaction": name, "do": d})),
            (condition(), steps.clone(), prop::option::of(steps.clone())).prop_map(
                |(c, then, other)| match other {
                    Some(other) => json!({"if": c, "then": then, "else": other}),
                    None => json!({"if": c, "then": then}),
                }
            ),
            (count(), steps.clone()).prop_map(|(n, d)| json!({"loop": n, "do": d})),
            (condition(), steps.clone()).prop_map(|(c, d)| json!({"while": c, "do": d})),
            (mostly(&["id in v", "x in n"]), steps.clone())
                .prop_map(|(f, d)| json!({"foreach": f, "do": d})),
            steps.prop_map(|d| json!({"once": d})),
        ]
    })
    .boxed()
}

/// What `native_plan` and `execution` make of `text`, which must not panic.
fn load_everything(text: &str, overrides: &[String]) {
    if let Ok(config) = TaurusConfig::from_str(text, Path::new("/nonexistent/bzt.yml"), overrides) {
        let _ = config.thresholds();
        for index in 0..config.executions().min(4) {
            let _ = config.native_plan(index);
            if let Ok(execution) = config.execution(index) {
                let _ = execution.plan.load.build_model();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Arbitrary bytes as a Taurus config never panic: a config, or an error.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        load_everything(&text, &[]);
        load_everything(&format!("execution:\n- scenario: s\n{text}"), &[]);
    }

    /// Step-shaped configs (every block, nested, with odd values) never panic either.
    #[test]
    fn step_shaped_configs_never_panic(
        steps in prop::collection::vec(step(), 1..4),
        other in prop::collection::vec(request(), 1..3),
        load in prop::sample::select(vec![
            json!({"concurrency": 2, "hold-for": "5s"}),
            json!({"throughput": 10, "concurrency": 2, "ramp-up": "1s", "hold-for": "2s", "steps": 2}),
            json!({"iterations": 3}),
            json!({"concurrency": 1, "iterations": 2, "hold-for": "1m"}),
            json!({"concurrency": 3, "ramp-up": "2s"}),
            json!({"throughput": 5, "iterations": 10}),
            json!({"concurrency": "x", "hold-for": -1}),
        ]),
        think_time in prop::option::of(time()),
        criteria in prop::collection::vec(mostly(&["avg-rt>150ms", "fail>10%", "p90 of /a>1s, stop as failed"]), 0..2),
        override_item in prop::option::of(prop_oneof![
            4 => Just("execution.0.hold-for=3s".to_string()),
            4 => Just("scenarios.s.think-time=5ms".to_string()),
            1 => (odd(), odd()).prop_map(|(k, v)| format!("{k}={v}")),
        ]),
    ) {
        let mut execution = load.as_object().unwrap().clone();
        execution.insert("scenario".into(), "s".into());
        // The lists `v` and `n` and the variable `b`, for the blocks' `foreach` and templates.
        let mut requests = vec![json!({
            "url": "/lists",
            "extract-jsonpath": {"v": {"jsonpath": "$.v[*]", "match-no": -1}},
            "extract-regexp": {"n": {"regexp": "n=(\\d+)", "match-no": -1}},
        })];
        requests.extend(steps);
        let mut s = json!({
            "default-address": "http://127.0.0.1:9",
            "variables": {"b": "1"},
            "requests": requests,
        });
        if let Some(t) = think_time {
            s["think-time"] = t.into();
        }
        let config = json!({
            "execution": [execution],
            "scenarios": {"s": s, "other": {"default-address": "http://127.0.0.1:9", "requests": other}},
            "reporting": [{"module": "passfail", "criteria": criteria}],
        });
        let overrides: Vec<String> = override_item.into_iter().collect();
        // JSON is YAML: the generated config is read as the Taurus file.
        load_everything(&serde_json::to_string_pretty(&config).unwrap(), &overrides);
    }
}
