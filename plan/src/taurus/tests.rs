//! The mapping, key by key: each Taurus key → its native key (the generated plan as data), and
//! each rejection names the key and its line in the Taurus file.

use std::path::Path;

use serde_json::{json, Value};

use super::*;
use crate::PlanError;

fn native(yaml: &str) -> Value {
    native_with(yaml, &[])
}

fn native_with(yaml: &str, overrides: &[&str]) -> Value {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    TaurusConfig::from_str(yaml, Path::new("bzt.yml"), &overrides)
        .and_then(|c| c.native_plan(0))
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("a requests scenario")
}

/// The first scenario's steps.
fn steps(yaml: &str) -> Vec<Value> {
    native(yaml)["scenarios"][0]["requests"]
        .as_array()
        .unwrap()
        .clone()
}

/// Execution 0, built.
fn execution(yaml: &str) -> TaurusExecution {
    TaurusConfig::from_str(yaml, Path::new("bzt.yml"), &[])
        .and_then(|c| c.execution(0))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn error(yaml: &str) -> PlanError {
    let config = match TaurusConfig::from_str(yaml, Path::new("bzt.yml"), &[]) {
        Ok(config) => config,
        Err(e) => return e,
    };
    match config.native_plan(0).and_then(|_| config.execution(0)) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e,
    }
}

/// An error naming `key` (in its field path or message) at `line`.
fn rejects(yaml: &str, key: &str, line: usize) {
    let e = error(yaml);
    let text = e.to_string();
    assert!(text.contains(key), "{text} should name {key}");
    assert_eq!(e.location().map(|l| l.line), Some(line), "{text}");
}

const HEAD: &str = "execution:\n- scenario: s\nscenarios:\n  s:\n";

#[test]
fn taurus_defaults_and_scenario_settings_become_native_keys() {
    let plan = native(&format!(
        "{HEAD}    default-address: http://127.0.0.1:8080/\n    headers: {{X-A: 1, X-B: true}}\n    timeout: 2\n    requests:\n    - /a\n    - url: b\n      label: B\n      method: post\n      headers: {{x-a: two}}\n      timeout: 500ms\n      follow-redirects: false\n      keepalive: false\n"
    ));
    let scenario = &plan["scenarios"][0];
    assert_eq!(scenario["name"], "s");
    assert_eq!(scenario["store-cookie"], true);
    assert_eq!(scenario["keepalive"], true);
    assert_eq!(scenario["follow-redirects"], TAURUS_MAX_REDIRECTS);
    let [a, b] = &scenario["requests"].as_array().unwrap()[..] else {
        panic!()
    };
    assert_eq!(
        a,
        &json!({"label": "/a", "method": "GET", "url": "http://127.0.0.1:8080/a",
                "headers": {"X-A": "1", "X-B": "True"}, "timeout": "2s"})
    );
    assert_eq!(
        b,
        &json!({"label": "B", "method": "POST", "url": "http://127.0.0.1:8080/b",
                "headers": {"X-B": "True", "x-a": "two"}, "timeout": "500ms",
                "follow-redirects": false, "keepalive": false})
    );
}

#[test]
fn bodies_follow_the_form_and_json_rules() {
    let s = steps(&format!(
        "{HEAD}    requests:\n    - {{url: 'http://h/p', method: POST, body: {{a: 1, b: x y}}}}\n    - {{url: 'http://h/g?q=1', body: {{k: '${{v}}'}}}}\n    - {{url: 'http://h/j', method: POST, headers: {{Content-Type: application/json}}, body: {{a: 1}}}}\n    - {{url: 'http://h/n', method: PUT, body: {{a: [1, 2]}}}}\n    - {{url: 'http://h/t', method: POST, body: raw text}}\n    - {{url: 'http://h/f', method: POST, body-file: data/body.json}}\n"
    ));
    assert_eq!(s[0]["body"], "a=1&b=x+y");
    assert_eq!(
        s[0]["headers"]["Content-Type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(s[1]["url"], "http://h/g?q=1&k=${v}");
    assert!(s[1].get("body").is_none());
    assert_eq!(s[2]["body"], r#"{"a":1}"#);
    assert_eq!(s[3]["body"], r#"{"a":[1,2]}"#);
    assert_eq!(s[4]["body"], "raw text");
    assert_eq!(s[5]["body-file"], "data/body.json");
    rejects(
        &format!(
            "{HEAD}    requests:\n    - {{url: 'http://h/', method: DELETE, body: {{a: 1}}}}\n"
        ),
        "body",
        6,
    );
}

#[test]
fn think_times_are_pauses_before_their_request() {
    let s = steps(&format!(
        "{HEAD}    think-time: 1s\n    requests:\n    - http://h/a\n    - {{url: 'http://h/b', think-time: 'uniform(2s, 500ms)'}}\n    - {{url: 'http://h/c', think-time: 'gaussian(1, 0.1)'}}\n    - {{url: 'http://h/d', think-time: 0}}\n"
    ));
    let kinds: Vec<Value> = s
        .iter()
        .map(|v| v.get("pause").cloned().unwrap_or_else(|| v["url"].clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            json!("1s"),
            json!("http://h/a"),
            json!("uniform(2s, 500ms)"),
            json!("http://h/b"),
            json!("gaussian(1s, 100ms)"),
            json!("http://h/c"),
            json!("http://h/d")
        ]
    );
    // Taurus's poisson(M, O) is the native form (the plan builder reads it).
    let s = steps(&format!(
        "{HEAD}    requests:\n    - {{url: 'http://h/', think-time: 'poisson(2m, 30)'}}\n"
    ));
    assert_eq!(s[0]["pause"], "poisson(2m, 30s)");
    rejects(
        &format!(
            "{HEAD}    requests:\n    - {{url: 'http://h/', think-time: 'exponential(1s, 2s)'}}\n"
        ),
        "exponential",
        6,
    );
}

#[test]
fn assertions_cover_every_subject_regexp_not_and_assume_success() {
    let s = steps(&format!(
        "{HEAD}    requests:\n    - url: http://h/\n      assert:\n      - contains: ['ok', 'id=\\d+']\n      - {{contains: [error], not: true, regexp: false}}\n      - {{contains: ['20\\d'], subject: http-code}}\n      - {{contains: [json], subject: headers}}\n      - {{contains: [login], subject: url, assume-success: true}}\n      assert-jsonpath:\n      - $.ok\n      - {{jsonpath: $.id, validate: true, expected-value: 7}}\n      - {{jsonpath: $.name, validate: true, expected-value: '^a', regexp: true}}\n      - {{jsonpath: $.gone, invert: true}}\n      - {{jsonpath: $.none, expect-null: true}}\n"
    ));
    assert_eq!(
        s[0]["assert"],
        json!({
            "assume-success": true,
            "text": [
                {"matches": "ok", "in": "body"},
                {"matches": "id=\\d+", "in": "body"},
                {"contains": "error", "in": "body", "not": true},
                {"matches": "20\\d", "in": "status"},
                {"matches": "json", "in": "headers"},
                {"matches": "login", "in": "url"}
            ],
            "jsonpath": [
                "$.ok",
                {"path": "$.id", "equals": 7},
                {"path": "$.name", "matches": "^a"},
                {"path": "$.gone", "not": true},
                {"path": "$.none", "null": true}
            ]
        })
    );
    rejects(&format!("{HEAD}    requests:\n    - url: http://h/\n      assert:\n      - {{contains: [x], subject: cookies}}\n"), "cookies", 8);
}

#[test]
fn jmeters_root_path_is_the_rfc_root() {
    let s = steps(&format!(
        "{HEAD}    requests:\n    - url: http://h/\n      assert-jsonpath:\n      - $.\n      - {{jsonpath: '$.', invert: true}}\n"
    ));
    assert_eq!(
        s[0]["assert"]["jsonpath"],
        json!(["$", {"path": "$", "not": true}])
    );
}

#[test]
fn extractors_keep_taurus_match_numbers_templates_and_defaults() {
    let s = steps(&format!(
        "{HEAD}    requests:\n    - url: http://h/\n      extract-jsonpath:\n        token: $.token\n        ids: {{jsonpath: '$.items[*].id', match-no: -1, default: none}}\n      extract-regexp:\n        sid: {{regexp: 'sid=(\\w+)', template: $1$, match-no: 2, subject: headers}}\n        any: {{regexp: 'a(.)', match-no: 0}}\n        second: {{regexp: '(a)(b)', template: 2}}\n      extract-boundary:\n        csrf: {{left: 'value=\"', right: '\"'}}\n"
    ));
    assert_eq!(
        s[0]["extract"],
        json!({
            "token": {"jsonpath": "$.token", "match": "random", "default": NOT_FOUND},
            "ids": {"jsonpath": "$.items[*].id", "match": "all", "default": "none"},
            "sid": {"regexp": "sid=(\\w+)", "group": 1, "match": 2, "from": "headers", "default": NOT_FOUND},
            "any": {"regexp": "a(.)", "group": 1, "match": "random", "from": "body", "default": NOT_FOUND},
            "second": {"regexp": "(a)(b)", "group": 2, "match": 1, "from": "body", "default": NOT_FOUND},
            "csrf": {"left": "value=\"", "right": "\"", "match": 1, "from": "body", "default": NOT_FOUND}
        })
    );
    rejects(&format!("{HEAD}    requests:\n    - url: http://h/\n      extract-regexp:\n        v: {{regexp: '(a)(b)', template: $1$$2$}}\n"), "template", 8);
    rejects(&format!("{HEAD}    requests:\n    - url: http://h/\n      extract-jsonpath:\n        v: {{jsonpath: $.a, concat: true}}\n"), "concat", 8);
}

#[test]
fn xpath_and_css_extractors_and_xpath_assertions_map_with_jmeter_defaults() {
    let s = steps(&format!(
        r#"{HEAD}    variables: {{page: '<p>x</p>'}}
    requests:
    - url: http://h/
      extract-xpath:
        title: /html/head/title
        price: {{xpath: '//m:Price', match-no: 2, default: none, ignore-whitespace: false, use-namespaces: true}}
        base: {{xpath: /html/head/base, use-tolerant-parser: true, validate-xml: true, scope: variable, from-variable: page}}
      extract-css-jquery:
        any: 'input[name~=my_input]'
        token: {{expression: 'input[name=csrf]', attribute: value, match-no: 1, scope: all}}
        text: {{expression: p, attribute: '', match-no: -1}}
      extract-regexp:
        inner: {{regexp: 'x', scope: variable, from-variable: page}}
      assert-xpath:
      - /note/to
      - {{xpath: /note/from, use-tolerant-parser: true, validate-xml: true, invert: true}}
      - {{xpath: //ok, ignore-whitespace: false, invert: false}}
"#
    ));
    assert_eq!(
        s[0]["extract"],
        json!({
            "inner": {"regexp": "x", "group": 0, "match": 1, "from-variable": "page", "default": NOT_FOUND},
            "title": {"xpath": "/html/head/title", "ignore-whitespace": true, "match": "all", "default": NOT_FOUND},
            "price": {"xpath": "//m:Price", "ignore-whitespace": false, "match": 2, "default": "none"},
            "base": {"xpath": "/html/head/base", "html": true, "ignore-whitespace": true, "match": "all", "from-variable": "page", "default": NOT_FOUND},
            "any": {"css": "input[name~=my_input]", "match": "random", "default": NOT_FOUND},
            "token": {"css": "input[name=csrf]", "attribute": "value", "match": 1, "default": NOT_FOUND},
            "text": {"css": "p", "match": "all", "default": NOT_FOUND}
        })
    );
    assert_eq!(
        s[0]["assert"],
        json!({"xpath": [
            {"path": "/note/to", "ignore-whitespace": true},
            {"path": "/note/from", "html": true, "ignore-whitespace": true, "not": true},
            {"path": "//ok", "ignore-whitespace": false}
        ]})
    );

    let request = |extra: &str| {
        format!(
            "{HEAD}    requests:
    - url: http://h/
      {extra}
"
        )
    };
    rejects(
        &request("extract-xpath: {v: '//a['}"),
        "not a valid XPath",
        7,
    );
    rejects(
        &request("extract-css-jquery: {v: {expression: 'a[[', default: x}}"),
        "not a valid CSS selector",
        7,
    );
    rejects(&request("assert-xpath: ['//a[']"), "not a valid XPath", 7);
    rejects(
        &request("extract-xpath: {v: {xpath: //a, validate-xml: true}}"),
        "validate-xml",
        7,
    );
    rejects(
        &request("assert-xpath: [{xpath: //a, validate-xml: true}]"),
        "validate-xml",
        7,
    );
    rejects(
        &request("extract-xpath: {v: {xpath: //a, from-variable: x}}"),
        "scope: variable",
        7,
    );
    rejects(
        &request("extract-css-jquery: {v: {expression: a, scope: variable}}"),
        "from-variable",
        7,
    );
    rejects(
        &request("extract-regexp: {v: {regexp: a, scope: children}}"),
        "sub-samples",
        7,
    );
    rejects(
        &request(
            "extract-regexp: {v: {regexp: a, subject: headers, scope: variable, from-variable: x}}",
        ),
        "subject",
        7,
    );
    rejects(
        &request("assert-xpath: [{xpath: //a, namespaces: {}}]"),
        "namespaces",
        7,
    );
}

#[test]
fn every_logic_block_maps_to_its_native_block() {
    let plan = native(&format!(
        "{HEAD}    requests:\n    - transaction: Checkout\n      do:\n      - http://h/cart\n      - if: '\"${{role}}\" == \"admin\"'\n        then: [http://h/admin]\n        else: [http://h/user]\n    - loop: 3\n      do: [http://h/l]\n    - loop: forever\n      do: [http://h/f]\n    - while: '${{more}} == \"true\"'\n      do: [http://h/w]\n    - foreach: id in ids\n      do: ['http://h/i/${{id}}']\n    - once: [http://h/once]\n    - include-scenario: login\n    - set-variables: {{foo: '${{bar}}-x', n: 1}}\n    - action: pause\n      pause-duration: 2s\n  login:\n    variables: {{user: u1}}\n    requests: [http://h/login]\n"
    ));
    let s = plan["scenarios"][0]["requests"].as_array().unwrap();
    let url = |v: &Value| v["url"].clone();
    assert_eq!(s[0]["transaction"], "Checkout");
    assert_eq!(url(&s[0]["do"][0]), "http://h/cart");
    assert_eq!(s[0]["do"][1]["if"], "\"${role}\" == \"admin\"");
    assert_eq!(url(&s[0]["do"][1]["then"][0]), "http://h/admin");
    assert_eq!(url(&s[0]["do"][1]["else"][0]), "http://h/user");
    assert_eq!(
        (s[1]["loop"].clone(), url(&s[1]["do"][0])),
        (json!(3), json!("http://h/l"))
    );
    assert_eq!(s[2]["loop"], "forever");
    assert_eq!(s[3]["while"], "${more} == \"true\"");
    assert_eq!(s[4]["foreach"], "id in ids");
    assert_eq!(url(&s[5]["once"][0]), "http://h/once");
    assert_eq!(s[6], json!({"include-scenario": "login"}));
    assert_eq!(
        s[7],
        json!({"set-variables": {"foo": "${bar}-x", "n": "1"}})
    );
    assert_eq!(s[8], json!({"pause": "2s"}));
    // The included scenario runs only through the include; its variables are the plan's.
    assert_eq!(plan["scenarios"][1]["name"], "login");
    assert_eq!(plan["scenarios"][1]["weight"], 0);
    assert_eq!(plan["variables"], json!({"user": "u1"}));
}

#[test]
fn variables_properties_and_data_sources() {
    let plan = native(&format!(
        "modules:\n  jmeter:\n    properties: {{p: 1}}\n{HEAD}    variables: {{v: x}}\n    properties: {{q: why}}\n    store-cache: true\n    data-sources:\n    - users.csv\n    - {{path: ids.tsv, delimiter: tab, loop: false, random-order: true}}\n    requests: [http://h/]\n"
    ));
    assert_eq!(plan["variables"], json!({"p": "1", "v": "x", "q": "why"}));
    assert_eq!(
        plan["data"],
        json!([
            {"file": "users.csv", "on-eof": "recycle"},
            {"file": "ids.tsv", "delimiter": "\t", "on-eof": "stop", "random-order": true}
        ])
    );
}

#[test]
fn what_vajra_cannot_do_is_rejected_by_name_at_its_line() {
    let request =
        |extra: &str| format!("{HEAD}    requests:\n    - url: http://h/\n      {extra}\n");
    rejects(
        &request("upload-files: [{param: f, path: a.txt}]"),
        "upload-files",
        7,
    );
    rejects(&request("jsr223: 'vars.put(\"a\", \"b\")'"), "jsr223", 7);
    rejects(&request("lable: x"), "did you mean `label`", 7);
    rejects(
        &format!("{HEAD}    requests:\n    - http://h/\n    - action: stop\n"),
        "action: stop",
        7,
    );
    rejects(
        &format!("{HEAD}    browser: Chrome\n    requests: [http://h/]\n"),
        "browser",
        5,
    );
    rejects(
        &format!("{HEAD}    retrieve-resources: true\n    requests: [http://h/]\n"),
        "retrieve-resources",
        5,
    );
    rejects(&format!("{HEAD}    script: test.jmx\n"), "jmx", 5);
    rejects(
        &format!("{HEAD}    requests:\n    - include-scenario: nowhere\n"),
        "nowhere",
        6,
    );
    rejects(
        &format!("{HEAD}    requests:\n    - /relative\n"),
        "default-address",
        6,
    );
    rejects(
        "execution:\n- scenario: s\n  executor: locust\nscenarios:\n  s: {requests: [http://h/]}\n",
        "locust",
        3,
    );
    rejects(
        "execution:\n- scenario: s\n  throughput: 5\nscenarios:\n  s: {requests: [http://h/]}\n",
        "throughput",
        3,
    );
    rejects(
        "execution:\n- scenario: s\n  hold-for: soon\nscenarios:\n  s: {requests: [http://h/]}\n",
        "hold-for",
        3,
    );
}

#[test]
fn builder_errors_point_at_the_taurus_request() {
    // The builder refuses the header name; the error is at the Taurus request's line.
    rejects(
        &format!("{HEAD}    requests:\n    - http://h/ok\n    - url: http://h/bad\n      headers: {{'bad header': x}}\n"),
        "scenarios.s.requests[1]",
        7,
    );
}

#[test]
fn an_execution_builds_a_plan_with_its_load_and_criteria() {
    let yaml = "execution:\n- scenario: s\n  concurrency: 3\n  hold-for: 2s\n  iterations: 5\n- scenario: s\n  throughput: 10\n  hold-for: 1s\nscenarios:\n  s:\n    requests:\n    - {url: 'http://127.0.0.1:1/a', label: A}\nreporting:\n- module: passfail\n  criteria:\n  - avg-rt of A>150ms, stop as failed\n  - fail>5%\n  - p95<2\n  - subject: succ\n    condition: '>'\n    threshold: 90%\n- module: final-stats\n";
    let config = TaurusConfig::from_str(yaml, Path::new("bzt.yml"), &[]).unwrap();
    assert_eq!(config.executions(), 2);
    let first = config.execution(0).unwrap();
    assert_eq!(first.plan.load.concurrency, Some(3));
    assert_eq!(first.plan.load.iterations, Some(5));
    assert_eq!(
        first
            .plan
            .requests()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>(),
        ["A"]
    );
    assert_eq!(
        first.plan.thresholds,
        ["avg(A)>150ms", "errors>5%", "p95<2000ms", "errors<10%"]
    );
    let second = config.execution(1).unwrap();
    assert_eq!(second.plan.load.tps, Some(10.0));
    assert!(config.execution(2).is_err());
    let timeframe = yaml.replace("fail>5%", "fail>5% for 10s");
    rejects(&timeframe, "timeframe", 17);
}

#[test]
fn overrides_apply_before_mapping() {
    let plan = native_with(
        &format!("{HEAD}    requests: [http://h/a]\n"),
        &[
            "scenarios.s.requests.0=http://h/b",
            "scenarios.s.store-cookie=false",
        ],
    );
    assert_eq!(plan["scenarios"][0]["requests"][0]["url"], "http://h/b");
    assert_eq!(plan["scenarios"][0]["store-cookie"], false);
}

#[test]
fn a_taurus_config_is_told_from_a_plan() {
    assert!(is_taurus_config("execution:\n- scenario: s\n"));
    assert!(!is_taurus_config("requests:\n- url: http://h/\n"));
    assert!(!is_taurus_config(": not yaml ["));
}

#[test]
fn variable_names_name_the_columns_of_a_file_without_a_header_row() {
    let plan = native(&format!(
        "{HEAD}    data-sources: [{{path: a.csv, variable-names: 'a, b'}}, b.csv]\n    requests: [http://h/]\n"
    ));
    assert_eq!(plan["data"][0]["columns"], serde_json::json!(["a", "b"]));
    assert!(plan["data"][1].get("columns").is_none());
    rejects(
        &format!("{HEAD}    data-sources: [{{path: a.csv, variable-names: 'a,,b'}}]\n    requests: [http://h/]\n"),
        "column 2 has an empty name in `variable-names`",
        5,
    );
}

#[test]
fn a_missing_data_file_is_pointed_at_its_data_source() {
    rejects(
        &format!("{HEAD}    requests: [http://h/]\n    data-sources:\n    - path: /nonexistent-vajra/a.csv\n"),
        "data file not found",
        7,
    );
}

/// The generated plan is accepted by the plan builder: a login flow with every block.
#[test]
fn a_full_scenario_builds_into_a_plan() {
    let yaml = "execution:\n- scenario: shop\n  concurrency: 2\n  hold-for: 5s\nscenarios:\n  login:\n    variables: {user: alice}\n    requests:\n    - url: http://127.0.0.1:9/login\n      method: POST\n      body: {user: '${user}'}\n      extract-jsonpath: {token: $.token}\n      assert-jsonpath: [$.token]\n  shop:\n    default-address: http://127.0.0.1:9\n    think-time: 'uniform(10ms, 5ms)'\n    requests:\n    - once: [{include-scenario: login}]\n    - transaction: Browse\n      do:\n      - url: /items\n        headers: {Authorization: 'Bearer ${token}'}\n        extract-regexp: {first: {regexp: 'id=(\\d+)', match-no: -1}}\n        assert: [{contains: [items], not: false}]\n      - foreach: id in first\n        do: ['/items/${id}']\n    - if: '${JMeterThread.last_sample_ok}'\n      then: [{set-variables: {state: ok}}]\n      else: [{action: pause, pause-duration: 10ms}]\n    - loop: 2\n      do: [/ping]\n    - while: '\"${state}\" != \"ok\"'\n      do: [/retry]\n";
    let config = TaurusConfig::from_str(yaml, Path::new("bzt.yml"), &[]).unwrap();
    let execution = config.execution(0).unwrap_or_else(|e| panic!("{e}"));
    let labels: Vec<&str> = execution
        .plan
        .requests()
        .map(|r| r.label.as_str())
        .collect();
    assert!(labels.contains(&"/items"), "{labels:?}");
    assert!(labels.contains(&"http://127.0.0.1:9/login"), "{labels:?}");
    assert_eq!(execution.plan.scenarios[0].name, "shop");
    assert_eq!(execution.plan.scenarios[1].weight, 0);
    assert!(execution.plan.load.build_model().is_ok());
}

#[test]
fn bzt_sections_are_accepted_and_what_changes_the_test_is_not() {
    let ok = "version: 1\nsettings: {artifacts-dir: /tmp}\nmodules: {console: {disable: true}}\nservices: []\nincluded-configs: []\nexecution:\n- {scenario: s, files: [a.csv]}\nscenarios:\n  s: {requests: ['http://h/']}\n";
    assert!(TaurusConfig::from_str(ok, Path::new("bzt.yml"), &[])
        .unwrap()
        .execution(0)
        .is_ok());
    rejects(
        "execution:\n- {scenario: s, delay: 5s}\nscenarios:\n  s: {requests: ['http://h/']}\n",
        "delay",
        2,
    );
    rejects("services: [{module: shellexec}]\nexecution:\n- {scenario: s}\nscenarios:\n  s: {requests: ['http://h/']}\n", "services", 1);
    rejects("included-configs: [more.yml]\nexecution:\n- {scenario: s}\nscenarios:\n  s: {requests: ['http://h/']}\n", "included", 1);
}

#[test]
fn settings_env_fills_the_scenario_before_it_is_mapped() {
    let yaml = "execution:\n- scenario: s\nsettings:\n  env:\n    default-address: http://api.local\n    default-path: /api/v4\n    key: TOKEN\nscenarios:\n  s:\n    default-address: ${default-address}\n    headers: {api_key: '${key}'}\n    requests:\n    - url: ${default-path}/tests\n";
    let steps = steps(yaml);
    assert_eq!(steps[0]["url"], "http://api.local/api/v4/tests");
    assert_eq!(steps[0]["headers"]["api_key"], "TOKEN");
    // A name settings.env lacks is left for JMeter, which sends it as written.
    let execution = execution(&yaml.replace("${key}", "${nokey}"));
    assert_eq!(execution.warnings.len(), 1, "{:?}", execution.warnings);
    assert!(execution.warnings[0].message.contains("`${nokey}`"));
}

#[test]
fn settings_env_applies_after_the_overrides() {
    let yaml = "execution:\n- scenario: s\nsettings:\n  env: {host: a.local}\nscenarios:\n  s:\n    requests: ['http://${host}/x']\n";
    let steps =
        native_with(yaml, &["settings.env.host=b.local"])["scenarios"][0]["requests"].clone();
    assert_eq!(steps[0]["url"], "http://b.local/x");
}

#[test]
fn use_dns_cache_mgr_is_accepted_either_way_and_must_be_a_switch() {
    for on in ["true", "false"] {
        let yaml = format!("{HEAD}    use-dns-cache-mgr: {on}\n    requests: ['http://h/']\n");
        assert_eq!(steps(&yaml).len(), 1);
    }
    rejects(
        &format!("{HEAD}    use-dns-cache-mgr: maybe\n    requests: ['http://h/']\n"),
        "use-dns-cache-mgr",
        5,
    );
}

#[test]
fn properties_fill_a_data_source_path_read_at_load() {
    let yaml = "execution:\n- scenario: csv1\nscenarios:\n  base:\n    data-sources: ['${__P(csv_file)}', '${__P(other,b.csv)}', 'd/${dir}.csv']\n    requests: ['http://h/${url}']\n  csv1:\n    properties: {csv_file: csv1.csv}\n    variables: {dir: x}\n    requests:\n    - include-scenario: base\n";
    let plan = native(yaml);
    let files: Vec<&str> = plan["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["csv1.csv", "b.csv", "d/x.csv"]);
    // Without the property and without a default: named at the data source.
    let text = error(&yaml.replace("{csv_file: csv1.csv}", "{}")).to_string();
    assert!(
        text.contains("csv_file") && text.contains("data-sources[0]"),
        "{text}"
    );
}

#[test]
fn properties_fill_a_body_file_path() {
    let yaml = format!("{HEAD}    properties: {{name: b.json}}\n    requests:\n    - {{url: 'http://h/', method: POST, body-file: '${{__P(name)}}'}}\n");
    assert_eq!(steps(&yaml)[0]["body-file"], "b.json");
}

#[test]
fn a_default_address_without_a_scheme_is_http() {
    let yaml =
        format!("{HEAD}    default-address: blazedemo.com\n    requests: ['/reserve.php']\n");
    assert_eq!(steps(&yaml)[0]["url"], "http://blazedemo.com/reserve.php");
    let yaml = format!("{HEAD}    default-address: https://h:8443\n    requests: ['/']\n");
    assert_eq!(steps(&yaml)[0]["url"], "https://h:8443/");
}

#[test]
fn per_provisioning_concurrency_runs_the_local_value() {
    let yaml = "execution:\n- scenario: s\n  concurrency: {local: 3, cloud: 1000}\n  hold-for: 1s\nscenarios:\n  s:\n    requests: ['http://h/']\n";
    let config = TaurusConfig::from_str(yaml, Path::new("bzt.yml"), &[]).unwrap();
    assert_eq!(
        config.execution(0).unwrap().taurus_load.concurrency,
        Some(3)
    );
}

#[test]
fn an_included_scenario_without_an_address_uses_the_includers() {
    let yaml = "execution:\n- scenario:\n    default-address: http://blazedemo.com\n    requests:\n    - include-scenario: my\nscenarios:\n  my:\n    requests: [{url: /, label: Home}]\n  own:\n    default-address: http://own.local\n    requests: [/o]\n";
    let plan = native(yaml);
    assert_eq!(
        plan["scenarios"][1]["requests"][0]["url"],
        "http://blazedemo.com/"
    );
    // Its own address wins.
    let plan = native(&yaml.replace("include-scenario: my", "include-scenario: own"));
    assert_eq!(
        plan["scenarios"][1]["requests"][0]["url"],
        "http://own.local/o"
    );
}

#[test]
fn unknown_variables_are_sent_as_written_with_a_warning_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("body.xml"), "<id>${#TestCase#Id}</id>").unwrap();
    let config = dir.path().join("bzt.yml");
    let yaml = format!(
        "{HEAD}    default-address: http://h\n    variables: {{v: '${{v0}}-x'}}\n    requests:\n    - /tests/${{testId}}\n    - url: /t\n      method: POST\n      headers: {{X-Key: '${{%23Project%23ApiKey}}'}}\n      body: ${{body}}\n    - url: /f\n      method: POST\n      body-file: body.xml\n    - set-variables: {{w: '${{TEMP}}'}}\n"
    );
    let execution = TaurusConfig::from_str(&yaml, &config, &[])
        .and_then(|c| c.execution(0))
        .unwrap_or_else(|e| panic!("{e}"));
    let warnings: Vec<String> = execution.warnings.iter().map(|w| w.to_string()).collect();
    let at = |line: usize, field: &str, name: &str| {
        format!(
            "{}:{line}:7: {field}`${{{name}}}` is defined nowhere; JMeter sends it as written, and so does vajra",
            config.display()
        )
    };
    assert_eq!(
        warnings,
        [
            format!("{}:6:20: scenarios.s.variables.v: `${{v0}}` is defined nowhere; JMeter sends it as written, and so does vajra", config.display()),
            at(8, "scenarios.s.requests[0]: url: ", "testId"),
            at(9, "scenarios.s.requests[1]: headers.X-Key: ", "%23Project%23ApiKey"),
            at(9, "scenarios.s.requests[1]: body: ", "body"),
            at(13, "scenarios.s.requests[2]: body-file: ", "#TestCase#Id"),
            at(16, "scenarios.s.requests[3]: set-variables.w: ", "TEMP"),
        ]
    );
    // The text is sent as written.
    let requests: Vec<_> = execution.plan.requests().collect();
    let empty = crate::Row::empty();
    assert_eq!(requests[0].url.render(&empty), "http://h/tests/${testId}");
    assert_eq!(
        requests[1].headers[0].1.render(&empty),
        "${%23Project%23ApiKey}"
    );
    assert_eq!(requests[1].body.as_ref().unwrap().render(&empty), "${body}");
    assert_eq!(
        requests[2].body.as_ref().unwrap().render(&empty),
        "<id>${#TestCase#Id}</id>"
    );
    // The generated plan says so in the native syntax (`$${`), so that a cloud engine, which
    // loads it as a vajra plan and refuses unknown names, runs the same requests.
    let native = execution.native.clone().unwrap();
    let steps = &native["scenarios"][0]["requests"];
    assert_eq!(steps[1]["body"], "$${body}");
    assert_eq!(steps[2]["body"], "<id>$${#TestCase#Id}</id>");
    assert!(steps[2].get("body-file").is_none());
    let text = serde_saphyr::to_string(&native).unwrap();
    let plan = crate::Plan::from_str(&text, &config).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let again: Vec<String> = plan.requests().map(|r| r.url.render(&empty)).collect();
    let first: Vec<String> = requests.iter().map(|r| r.url.render(&empty)).collect();
    assert_eq!(again, first);
    let bodies = |requests: Vec<&crate::RequestSpec>| -> Vec<Option<String>> {
        requests
            .iter()
            .map(|r| r.body.as_ref().map(|b| b.render(&empty)))
            .collect()
    };
    assert_eq!(bodies(plan.requests().collect()), bodies(requests));
}

#[test]
fn a_condition_naming_an_unknown_variable_is_still_refused() {
    // vajra's conditions are not JMeter's JavaScript, so there is no "as written" to keep.
    let e = error(&format!(
        "{HEAD}    requests:\n    - if: '${{nothing}} == 1'\n      then: [http://h/]\n"
    ));
    assert!(
        e.to_string().contains("unknown variable `${nothing}`"),
        "{e}"
    );
}

#[test]
fn concurrent_pool_size_is_accepted_with_a_warning_unless_resources_are_fetched() {
    let execution = execution(&format!(
        "{HEAD}    concurrent-pool-size: 10\n    retrieve-resources: false\n    requests: [http://h/]\n"
    ));
    let warnings: Vec<String> = execution.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        ["bzt.yml:5:27: scenarios.s.concurrent-pool-size: `concurrent-pool-size` has no effect: vajra does not fetch embedded resources"]
    );
    rejects(
        &format!("{HEAD}    concurrent-pool-size: 10\n    retrieve-resources: true\n    requests: [http://h/]\n"),
        "retrieve-resources",
        6,
    );
    rejects(
        &format!("{HEAD}    concurrent-pool-size: many\n    requests: [http://h/]\n"),
        "expected a whole number",
        5,
    );
}

#[test]
fn include_timers_maps_to_include_pauses_with_taurus_default_off() {
    let s = steps(&format!(
        "{HEAD}    requests:\n    - transaction: A\n      do: [http://h/a]\n    - transaction: B\n      include-timers: true\n      do: [http://h/b]\n    - transaction: C\n      include-timers: false\n      do: [http://h/c]\n"
    ));
    let include: Vec<&Value> = s.iter().map(|t| &t["include-pauses"]).collect();
    assert_eq!(include, [&json!(false), &json!(true), &json!(false)]);
    let built = execution(&format!(
        "{HEAD}    requests:\n    - transaction: B\n      include-timers: true\n      do: [http://h/b]\n"
    ));
    assert!(matches!(
        built.plan.scenarios[0].steps[0],
        crate::Step::Transaction {
            include_pauses: true,
            ..
        }
    ));
    rejects(
        &format!("{HEAD}    requests:\n    - transaction: A\n      include-timers: sometimes\n      do: [http://h/a]\n"),
        "include-timers",
        7,
    );
}

#[test]
fn disable_listeners_is_accepted_with_a_warning() {
    let execution = execution(&format!(
        "{HEAD}    disable-listeners: true\n    requests: [http://h/]\n"
    ));
    assert_eq!(execution.warnings.len(), 1);
    assert!(execution.warnings[0]
        .to_string()
        .contains("`disable-listeners` has no effect"));
}

#[test]
fn modifications_disable_and_enable_requests_and_set_prop_is_refused() {
    let s = steps(&format!(
        "{HEAD}    modifications:\n      disable: ['Off*', Other]\n      enable: Off.Back\n    requests:\n    - {{url: 'http://h/a', label: Off.1}}\n    - {{url: 'http://h/b', label: Off.Back}}\n    - http://h/c\n"
    ));
    let labels: Vec<&Value> = s.iter().map(|r| &r["label"]).collect();
    assert_eq!(labels, [&json!("Off.Back"), &json!("http://h/c")]);
    rejects(
        &format!("{HEAD}    modifications:\n      set-prop: {{'A>HTTPSampler.protocol': https}}\n    requests: [http://h/]\n"),
        "set-prop",
        6,
    );
}

#[test]
fn data_source_type_csv_is_accepted_and_others_are_refused() {
    rejects(
        &format!(
            "{HEAD}    data-sources: [{{path: d.csv, type: xls}}]\n    requests: [http://h/]\n"
        ),
        "type xls is not supported",
        5,
    );
}
