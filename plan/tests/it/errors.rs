//! Every kind of plan error names the field path and the line (and column) it comes from.

use std::path::{Path, PathBuf};

use vajra_plan::{Plan, PlanError};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans")
}

/// Loads `yaml` as `plan.yaml` in the fixtures directory; it must fail.
fn error(yaml: &str) -> PlanError {
    match Plan::from_str(yaml, &fixtures().join("plan.yaml")) {
        Ok(plan) => panic!("expected an error, got {plan:?}"),
        Err(err) => err,
    }
}

/// Asserts the error's field, line and column and that its message contains `needle`.
fn assert_error(yaml: &str, field: &str, line_col: (usize, usize), needle: &str) {
    let err = error(yaml);
    let text = err.to_string();
    assert_eq!(err.field(), Some(field), "{text}");
    let location = err
        .location()
        .unwrap_or_else(|| panic!("no location: {text}"));
    assert_eq!((location.line, location.column), line_col, "{text}");
    assert!(text.contains(needle), "{text:?} should contain {needle:?}");
    let prefix = format!("plan.yaml:{}:{}: {field}: ", line_col.0, line_col.1);
    assert!(text.contains(&prefix), "{text:?} should contain {prefix:?}");
}

const HEAD: &str = "base-url: http://127.0.0.1:8080\n";

#[test]
fn unknown_key_with_hint() {
    let yaml = "name: x\nbase-url: http://h\nscenarios:\n  - name: a\n    requests:\n      - url: /a\n      - url: /b\n        methd: GET\n";
    assert_error(
        yaml,
        "scenarios[0].requests[1].methd",
        (8, 9),
        "unknown field `methd`, did you mean `method`?",
    );
}

#[test]
fn unknown_key_without_close_match_lists_the_keys() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\nfrobnicate: 1\n");
    assert_error(
        &yaml,
        "frobnicate",
        (4, 1),
        "expected one of `name`, `target`",
    );
}

#[test]
fn unknown_keys_in_every_section() {
    for (yaml, field, line_col) in [
        (
            format!("{HEAD}defaults:\n  timout: 1s\nrequests:\n  - url: /a\n"),
            "defaults.timout",
            (3, 3),
        ),
        (
            format!("{HEAD}requests:\n  - url: /a\n    assert:\n      stauts: 200\n"),
            "requests[0].assert.stauts",
            (5, 7),
        ),
        (
            format!("{HEAD}requests:\n  - url: /a\ndata:\n  - file: users.csv\n    on_eof: stop\n"),
            "data[0].on_eof",
            (6, 5),
        ),
        (
            format!("{HEAD}scenarios:\n  - name: a\n    wieght: 2\n    requests: [{{url: /a}}]\n"),
            "scenarios[0].wieght",
            (4, 5),
        ),
    ] {
        assert_error(&yaml, field, line_col, "did you mean");
    }
}

#[test]
fn bad_duration() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    think-time: fast\n");
    assert_error(
        &yaml,
        "requests[0].think-time",
        (4, 17),
        "expected a duration like 500ms, 30s, 2m or 1m30s, found `fast`",
    );
}

#[test]
fn bad_method_with_hint() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    method: PSOT\n");
    assert_error(&yaml, "requests[0].method", (4, 13), "did you mean `POST`?");
}

#[test]
fn bad_pattern_name_with_hint() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\nload:\n  pattern: sine-wave\n  tps: 5\n");
    let err = error(&yaml);
    assert_eq!(err.field(), Some("load.pattern"));
    assert_eq!(err.location().map(|l| l.line), Some(5));
    let yaml = format!("{HEAD}requests:\n  - url: /a\nload:\n  pattern: spkie\n");
    assert_error(
        &yaml,
        "load.pattern",
        (5, 12),
        "unknown load pattern `spkie`, did you mean `spike`?",
    );
}

#[test]
fn bad_rate_and_in_flight_bound() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\nload:\n  tps: lots\n");
    assert_error(&yaml, "load.tps", (5, 8), "found `lots`");
    let yaml = format!("{HEAD}requests:\n  - url: /a\nload:\n  max-in-flight: 0\n");
    assert_error(
        &yaml,
        "load.max-in-flight",
        (5, 18),
        "positive whole number",
    );
    let yaml = format!("{HEAD}requests:\n  - url: /a\nload:\n  steps: \"50:10s,oops\"\n");
    assert_error(
        &yaml,
        "load.steps",
        (5, 10),
        "step 2 `oops`: expected rate:duration",
    );
}

#[test]
fn bad_status_code() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    assert:\n      status: [200, 999]\n");
    assert_error(
        &yaml,
        "requests[0].assert.status[1]",
        (5, 21),
        "`999` is not a status code, range or class",
    );
}

#[test]
fn missing_required_field() {
    let yaml = format!("{HEAD}scenarios:\n  - requests:\n      - url: /a\n");
    assert_error(&yaml, "scenarios[0]", (3, 5), "missing field `name`");
    let yaml = format!("{HEAD}requests:\n  - method: GET\n");
    assert_error(&yaml, "requests[0]", (3, 5), "missing field `url`");
}

#[test]
fn empty_scenarios_and_request_lists() {
    assert_error(
        &format!("{HEAD}requests: []\n"),
        "requests",
        (2, 11),
        "no requests",
    );
    assert_error(
        &format!("{HEAD}scenarios: []\n"),
        "scenarios",
        (2, 12),
        "`scenarios:` is empty",
    );
    let yaml = format!("{HEAD}scenarios:\n  - name: a\n    requests: []\n");
    assert_error(&yaml, "scenarios[0].requests", (4, 15), "no requests");
    let err = error(HEAD);
    assert!(
        err.to_string().contains("the plan has no requests"),
        "{err}"
    );
    let err = error("  \n");
    assert!(err.to_string().contains("the plan is empty"), "{err}");
}

#[test]
fn scenario_names_and_weights() {
    let yaml = format!("{HEAD}scenarios:\n  - name: a\n    requests: [{{url: /a}}]\n  - name: a\n    requests: [{{url: /b}}]\n");
    assert_error(&yaml, "scenarios[1].name", (5, 11), "used twice");
    let yaml =
        format!("{HEAD}scenarios:\n  - name: a\n    weight: 0\n    requests: [{{url: /a}}]\n");
    assert_error(&yaml, "scenarios[0].weight", (4, 13), "at least 1");
    let yaml =
        format!("{HEAD}scenarios:\n  - name: a\n    weight: -2\n    requests: [{{url: /a}}]\n");
    let err = error(&yaml);
    assert_eq!(err.field(), Some("scenarios[0].weight"), "{err}");
    assert_eq!(err.location().map(|l| l.line), Some(4), "{err}");
}

#[test]
fn relative_url_without_base() {
    let yaml = "requests:\n  - url: /a\n";
    assert_error(
        yaml,
        "requests[0].url",
        (2, 10),
        "add `base-url: http://host:port`",
    );
    assert!(error(yaml).to_string().contains("`target: embedded`"));
}

#[test]
fn bad_urls_after_joining() {
    let yaml = format!("{HEAD}requests:\n  - url: /a b\n");
    assert_error(
        &yaml,
        "requests[0].url",
        (3, 10),
        "`http://127.0.0.1:8080/a b` is not a valid URL",
    );
    let yaml = "requests:\n  - url: ftp://h/file\n";
    assert_error(
        yaml,
        "requests[0].url",
        (2, 10),
        "only http and https are supported",
    );
    let yaml = "base-url: 127.0.0.1:8080\nrequests:\n  - url: /a\n";
    assert_error(yaml, "base-url", (1, 11), "not an absolute URL");
    let yaml = "target: embedded\nbase-url: http://h\nrequests:\n  - url: /a\n";
    assert_error(yaml, "base-url", (2, 11), "remove `base-url:`");
    let yaml = "target: embeded\nrequests:\n  - url: /a\n";
    assert_error(yaml, "target", (1, 9), "did you mean `embedded`?");
}

#[test]
fn bad_header_name_and_value() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    headers:\n      X Id: 1\n");
    assert_error(
        &yaml,
        "requests[0].headers.X Id",
        (5, 13),
        "not a valid header name",
    );
    let yaml = format!("{HEAD}defaults:\n  headers:\n    Bad(Name): 1\nrequests:\n  - url: /a\n");
    assert_error(
        &yaml,
        "defaults.headers.Bad(Name)",
        (4, 16),
        "not a valid header name",
    );
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    headers:\n      X-A: \"a\\nb\"\n");
    assert_error(&yaml, "requests[0].headers.X-A", (5, 12), "cannot carry");
}

#[test]
fn unknown_variables_list_what_is_available() {
    let data = "data:\n  - file: users.csv\n";
    let yaml = format!("{HEAD}{data}scenarios:\n  - name: a\n    requests:\n      - url: /a\n      - url: /b\n        headers: {{ X-Id: \"${{usr}}\" }}\n");
    assert_error(
        &yaml,
        "scenarios[0].requests[1].headers.X-Id",
        (9, 26),
        "unknown variable `${usr}`, did you mean `${user}`? The plan defines `user`, `id`",
    );
    let yaml = format!("{HEAD}{data}requests:\n  - url: /a?q=${{query}}\n");
    assert_error(
        &yaml,
        "requests[0].url",
        (5, 10),
        "the plan defines `user`, `id`",
    );
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    body: '${{x}}'\n");
    assert_error(
        &yaml,
        "requests[0].body",
        (4, 11),
        "nothing in the plan defines it",
    );
}

#[test]
fn bad_templates() {
    let yaml = format!("{HEAD}requests:\n  - url: /a/${{id\n");
    assert_error(&yaml, "requests[0].url", (3, 10), "never closed");
}

#[test]
fn body_and_body_file_problems() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    body: x\n    body-file: payload.json\n");
    assert_error(&yaml, "requests[0].body-file", (5, 16), "not both");
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    body-file: missing.json\n");
    assert_error(&yaml, "requests[0].body-file", (4, 16), "missing.json");
    // payload.json uses ${user} and ${id}, which no data set provides here.
    let yaml = format!("{HEAD}requests:\n  - url: /a\n    body-file: payload.json\n");
    assert_error(
        &yaml,
        "requests[0].body-file",
        (4, 16),
        "unknown variable `${user}`",
    );
}

#[test]
fn data_set_problems() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\ndata:\n  - file: nope.csv\n");
    assert_error(&yaml, "data[0].file", (5, 11), "data file not found");
    assert!(error(&yaml)
        .to_string()
        .contains(&fixtures().join("nope.csv").display().to_string()));
    let yaml =
        format!("{HEAD}requests:\n  - url: /a\ndata:\n  - file: users.csv\n  - file: users.csv\n");
    assert_error(&yaml, "data[1].file", (6, 11), "column `user` is also in");
    let yaml =
        format!("{HEAD}requests:\n  - url: /a\ndata:\n  - file: users.csv\n    delimiter: ab\n");
    assert_error(&yaml, "data[0].delimiter", (6, 16), "one ASCII character");
    let yaml =
        format!("{HEAD}requests:\n  - url: /a\ndata:\n  - file: users.csv\n    on-eof: halt\n");
    assert_error(
        &yaml,
        "data[0].on-eof",
        (6, 13),
        "expected one of `recycle`, `stop`",
    );
}

#[test]
fn yaml_syntax_errors_have_a_line() {
    let err = error("base-url: http://h\nrequests:\n  - url: /a\n  -: [\n");
    let location = err.location().expect("syntax errors are located");
    assert_eq!(location.line, 4, "{err}");
    let err = error("requests:\n\t- url: /a\n");
    assert!(err.location().is_some(), "{err}");
}

#[test]
fn wrong_types_say_what_was_expected() {
    let err = error("- just\n- a list\n");
    assert!(
        err.to_string().contains("expected a plan: a mapping"),
        "{err}"
    );
    assert_error(
        &format!("{HEAD}requests: {{url: /a}}\n"),
        "requests",
        (2, 11),
        "expected a sequence",
    );
}

#[test]
fn missing_plan_file_names_the_path() {
    let path = fixtures().join("no-such-plan.yaml");
    let err = Plan::load(&path).unwrap_err();
    assert!(matches!(err, PlanError::Read { .. }));
    assert!(err.to_string().contains("no-such-plan.yaml"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// Random YAML-ish text never panics the loader; it either loads or explains why not.
    #[test]
    fn random_yaml_never_panics(text in "[a-z:{}\\[\\], \\-\\n$'\"&*!|>#%@0-9.]{0,120}") {
        if let Err(err) = Plan::from_str(&text, Path::new("fuzz.yaml")) {
            proptest::prop_assert!(!err.to_string().is_empty());
        }
    }

    /// Plan-shaped text with random keys and values never panics either.
    #[test]
    fn random_plan_fields_never_panic(
        key in "(name|url|method|headers|body|timeout|think-time|assert|status|load|pattern|tps|steps|data|file|weight|[a-z-]{1,8})",
        value in "([a-z0-9${}/:., -]{0,16}|\\[[0-9, ]{0,8}\\]|\\{[a-z: ]{0,10}\\})",
    ) {
        let yaml = format!("base-url: http://h\nload:\n  {key}: {value}\nscenarios:\n  - name: a\n    {key}: {value}\n    requests:\n      - url: /a\n        {key}: {value}\n");
        if let Err(err) = Plan::from_str(&yaml, Path::new("fuzz.yaml")) {
            proptest::prop_assert!(!err.to_string().is_empty());
        }
    }
}

#[test]
fn cloud_section_errors_name_the_field() {
    let yaml = format!("{HEAD}requests:\n  - url: /a\ncloud:\n  engine-capacity-tps: 0\n");
    assert_error(&yaml, "cloud.engine-capacity-tps", (5, 24), "at least 1");
    let yaml = format!("{HEAD}requests:\n  - url: /a\ncloud:\n  engines: 3\n");
    assert_error(&yaml, "cloud.engines", (5, 3), "unknown field `engines`");
}

#[test]
fn taurus_keys_say_what_the_vajra_key_means() {
    for (yaml, field, line_col, needle) in [
        (
            format!("{HEAD}requests:\n  - url: /a\nload:\n  tps: 10\n  hold-for: 5m\n"),
            "load.hold-for",
            (6, 3),
            "in vajra `duration` under `load:` is the whole test including the ramp",
        ),
        (
            format!("{HEAD}requests:\n  - url: /a\nload:\n  throughput: 10\n"),
            "load.throughput",
            (5, 3),
            "the rate is `tps` under `load:`, in iterations per second",
        ),
        (
            format!("{HEAD}requests:\n  - url: /a\nload:\n  ramp-up: 1m\n"),
            "load.ramp-up",
            (5, 3),
            "in vajra it is `ramp-duration`",
        ),
        (
            format!("{HEAD}requests:\n  - url: /a\nconcurrency: 10\n"),
            "concurrency",
            (4, 1),
            "`concurrency` goes under `load:`",
        ),
        (
            format!("{HEAD}requests:\n  - url: /a\niterations: 5\n"),
            "iterations",
            (4, 1),
            "`iterations` goes under `load:`",
        ),
        (
            format!("{HEAD}execution:\n  - concurrency: 10\n"),
            "execution",
            (2, 1),
            "`execution` is Taurus's",
        ),
        (
            "default-address: https://h\nrequests:\n  - url: /a\n".to_string(),
            "default-address",
            (1, 1),
            "in vajra it is `base-url`",
        ),
        (
            format!(
                "{HEAD}scenarios:\n  - name: a\n    iterations: 5\n    requests: [{{url: /a}}]\n"
            ),
            "scenarios[0].iterations",
            (4, 5),
            "belongs under `load:`, not under `scenarios[0]`",
        ),
    ] {
        assert_error(&yaml, field, line_col, needle);
    }
}
