//! Scenarios made of steps and blocks: what each block becomes, included scenarios, variables,
//! extractors, assertions and think times, and errors located inside blocks.

use std::path::Path;
use std::time::Duration;

use vajra_plan::{
    Builtin, CheckKind, ExtractSource, JsonExpect, LoopCount, MatchNo, Plan, PlanError, Row,
    StatusRange, Step, Subject, TextExpect, ThinkTime,
};

const FLOW: &str = r#"
base-url: http://127.0.0.1:8080
variables:
  host: shop.local
  greeting: "hello ${host}"
scenarios:
  - name: login
    weight: 0
    think-time: 100ms
    requests:
      - url: /login
        method: POST
        body: '{"user":"u-${__Random(1,9)}","id":"${__UUID()}"}'
        extract:
          token: {jsonpath: "$.token", default: "NONE"}
          ids: {jsonpath: "$.items[*].id", match: all}
          sid: {regexp: 'sid=(\w+)', from: headers}
          csrf: {left: 'value="', right: '"', match: random}
          loc: {header: Location}
          session: {cookie: SESSION}
          price: {xpath: "//m:Price", namespaces: {m: "urn:prices"}, ignore-whitespace: true}
          title: {xpath: /html/head/title, html: true, match: all}
          form: {css: "input[name=csrf]", attribute: value, from-variable: greeting}
        assert:
          status: [200, "201-204", 3xx]
          body-not-contains: [error]
          body-matches: ['"token"']
          text:
            - {contains: json, in: headers, not: true}
          jsonpath:
            - "$.ok"
            - {path: "$.id", equals: 7}
            - {path: "$.name", matches: "a.*"}
            - {path: "$.deleted", null: true}
            - {path: "$.error", not: true}
          xpath:
            - "//ok"
            - {path: "//error", not: true, html: true}
          header:
            Content-Type: {contains: json}
            X-Request-Id: {}
          max-time: 500ms
  - name: shop
    variables: {cart: none}
    pacing: 2s
    setup:
      - include-scenario: login
    requests:
      - transaction: Checkout
        do:
          - url: /cart/${cart}
            headers: {Authorization: "Bearer ${token}"}
            think-time: "uniform(1s, 200ms)"
          - if: '"${sid}" == "x" && ${ids_matchNr} > 3'
            then:
              - url: /admin
            else:
              - pause: "gaussian(1s, 100ms)"
      - loop: 3
        do: [{url: /a}]
      - loop: forever
        do: [{url: /b}]
      - while: '${loc} != "done"'
        do: [{set-variables: {loc: "done-${ids_2}"}}]
      - foreach: id in ids
        do: [{url: "/item/${id}"}]
      - once: [{url: /welcome}]
      - once: [{include-scenario: login}]
    teardown:
      - url: /logout
"#;

fn load(yaml: &str) -> Result<Plan, PlanError> {
    Plan::from_str(yaml, Path::new("flow.yaml"))
}

fn request(step: &Step) -> &vajra_plan::RequestSpec {
    match step {
        Step::Request(request) => request,
        other => panic!("expected a request, found {other:?}"),
    }
}

#[test]
fn blocks_become_steps() {
    let plan = load(FLOW).unwrap();
    assert_eq!(
        plan.variables
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_string()))
            .collect::<Vec<_>>(),
        [
            ("host", "shop.local".to_string()),
            ("greeting", "hello ${host}".to_string())
        ]
    );
    let shop = &plan.scenarios[1];
    assert_eq!(plan.scenarios[0].weight, 0);
    assert_eq!(shop.pacing, Some(Duration::from_secs(2)));
    assert_eq!(shop.variables[0].0, "cart");
    // The included scenario's requests are spliced in, with its think time.
    assert_eq!(shop.setup.len(), 1);
    assert_eq!(request(&shop.setup[0]).label, "POST /login");
    assert_eq!(
        request(&shop.setup[0]).think_time,
        Some(ThinkTime::Fixed(Duration::from_millis(100)))
    );
    assert_eq!(
        request(&shop.teardown[0]).url.to_string(),
        "http://127.0.0.1:8080/logout"
    );

    let Step::Transaction { name, steps, .. } = &shop.steps[0] else {
        panic!("{:?}", shop.steps[0])
    };
    assert_eq!(name, "Checkout");
    assert_eq!(
        request(&steps[0]).think_time,
        Some(ThinkTime::Uniform {
            mean: Duration::from_secs(1),
            spread: Duration::from_millis(200)
        })
    );
    let Step::If {
        condition,
        then,
        otherwise,
    } = &steps[1]
    else {
        panic!("{:?}", steps[1])
    };
    assert_eq!(condition.text(), r#""${sid}" == "x" && ${ids_matchNr} > 3"#);
    assert_eq!(then.len(), 1);
    assert!(matches!(
        otherwise[..],
        [Step::Pause(ThinkTime::Gaussian { .. })]
    ));
    assert!(matches!(
        &shop.steps[1],
        Step::Loop {
            count: LoopCount::Times(3),
            ..
        }
    ));
    assert!(matches!(
        &shop.steps[2],
        Step::Loop {
            count: LoopCount::Forever,
            ..
        }
    ));
    assert!(matches!(
        &shop.steps[3],
        Step::While {
            max_iterations: 1000,
            ..
        }
    ));
    let Step::Foreach { variable, list, .. } = &shop.steps[4] else {
        panic!()
    };
    assert_eq!((variable.as_str(), list.as_str()), ("id", "ids"));
    let once_ids: Vec<usize> = shop.steps[5..]
        .iter()
        .map(|s| match s {
            Step::Once { id, .. } => *id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(once_ids, [0, 1]);
    // Setup, the steps and teardown: every request of the scenario.
    assert_eq!(shop.requests().len(), 9);
}

#[test]
fn extractors_and_assertions_are_compiled() {
    let plan = load(FLOW).unwrap();
    let login = request(&plan.scenarios[0].steps[0]);
    let kinds: Vec<String> = login
        .extractors
        .iter()
        .map(|e| match &e.source {
            ExtractSource::JsonPath { text, .. } => {
                format!("{}=jsonpath {text} {:?}", e.variable, e.matches)
            }
            ExtractSource::Regex { group, subject, .. } => {
                format!("{}=regexp {group} {subject:?}", e.variable)
            }
            ExtractSource::Boundary { left, right, .. } => {
                format!("{}=boundary {left}|{right} {:?}", e.variable, e.matches)
            }
            ExtractSource::Header(name) => format!("{}=header {name}", e.variable),
            ExtractSource::Cookie(name) => format!("{}=cookie {name}", e.variable),
            ExtractSource::XPath(query) => format!(
                "{}=xpath {} {:?} {:?} {:?}",
                e.variable, query.text, query.document, query.namespaces, e.matches
            ),
            ExtractSource::Css {
                text, attribute, ..
            } => format!(
                "{}=css {text} {attribute:?} from {:?}",
                e.variable, e.from_variable
            ),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "token=jsonpath $.token Nth(1)",
            "ids=jsonpath $.items[*].id All",
            "sid=regexp 1 Headers",
            "csrf=boundary value=\"|\" Random",
            "loc=header location",
            "session=cookie SESSION",
            "price=xpath //m:Price DocumentKind { html: false, ignore_whitespace: true } \
             [(\"m\", \"urn:prices\")] Nth(1)",
            "title=xpath /html/head/title DocumentKind { html: true, ignore_whitespace: false } \
             [] All",
            "form=css input[name=csrf] Some(\"value\") from Some(\"greeting\")",
        ]
    );
    assert_eq!(login.extractors[0].default.as_deref(), Some("NONE"));
    assert_eq!(login.extractors[1].matches, MatchNo::All);

    let a = &login.assertions;
    assert_eq!(
        a.status,
        [
            StatusRange {
                low: 200,
                high: 200
            },
            StatusRange {
                low: 201,
                high: 204
            },
            StatusRange {
                low: 300,
                high: 399
            }
        ]
    );
    assert!(a.status_ok(302) && !a.status_ok(205));
    let checks: Vec<String> = a
        .checks
        .iter()
        .map(|c| {
            let kind = match &c.kind {
                CheckKind::Contains { subject, text } => format!("contains {subject:?} {text}"),
                CheckKind::Matches { subject, regex } => format!("matches {subject:?} {regex}"),
                CheckKind::JsonPath { text, expect, .. } => match expect {
                    JsonExpect::Matches(r) => format!("jsonpath {text} matches {}", r.0),
                    other => format!("jsonpath {text} {other:?}"),
                },
                CheckKind::XPath(query) => format!("xpath {} {:?}", query.text, query.document),
                CheckKind::Header { name, expect } => format!("header {name} {expect:?}"),
                CheckKind::MaxResponseTime(max) => format!("max-time {max:?}"),
            };
            format!("{}{kind}", if c.negate { "not " } else { "" })
        })
        .collect();
    assert_eq!(
        checks,
        [
            "not contains Body error",
            "matches Body \"token\"",
            "not contains Headers json",
            "jsonpath $.ok Exists",
            "jsonpath $.id Equals(Number(7))",
            "jsonpath $.name matches ^(?:a.*)$",
            "jsonpath $.deleted Null",
            "not jsonpath $.error Exists",
            "xpath //ok DocumentKind { html: false, ignore_whitespace: false }",
            "not xpath //error DocumentKind { html: true, ignore_whitespace: false }",
            "header content-type Some(Contains(\"json\"))",
            "header x-request-id None",
            "max-time 500ms",
        ]
    );
    assert!(matches!(
        &a.checks[10].kind,
        CheckKind::Header {
            expect: Some(TextExpect::Contains(_)),
            ..
        }
    ));
    let _ = Subject::Body;
}

#[test]
fn builtins_are_parsed_in_templates() {
    let plan = load(FLOW).unwrap();
    let body = request(&plan.scenarios[0].steps[0]).body.clone().unwrap();
    assert_eq!(
        body.builtins().collect::<Vec<_>>(),
        [&Builtin::RandomInt { min: 1, max: 9 }, &Builtin::Uuid]
    );
    assert_eq!(body.variables().count(), 0);
    let text = body.render(&Row::empty());
    assert!(text.starts_with(r#"{"user":"u-"#), "{text}");
    assert_eq!(text.len(), r#"{"user":"u-1","id":""}"#.len() + 36, "{text}");
}

#[test]
fn base64_of_nested_variables_renders_and_its_variables_are_checked() {
    let plan = load(
        "base-url: http://127.0.0.1:8080\nvariables: {user: ann, pass: pw}\nrequests:\n  - url: /\n    headers: {Authorization: 'Basic ${__base64Encode(${user}:${pass})}'}\n",
    )
    .unwrap();
    let Step::Request(spec) = &plan.scenarios[0].steps[0] else {
        panic!()
    };
    let (_, auth) = &spec.headers[0];
    let vars = Row::from_pairs([("user", "ann"), ("pass", "pw")]);
    assert_eq!(auth.render(&vars), "Basic YW5uOnB3");
    let err = load(
        "base-url: http://127.0.0.1:8080\nrequests:\n  - url: '/${__base64Encode(${nobody})}'\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("nobody"), "{err}");
}

#[test]
fn conditions_hold_against_a_scope() {
    let plan = load(FLOW).unwrap();
    let Step::Transaction { steps, .. } = &plan.scenarios[1].steps[0] else {
        panic!()
    };
    let Step::If { condition, .. } = &steps[1] else {
        panic!()
    };
    assert!(condition.holds(&Row::from_pairs([("sid", "x"), ("ids_matchNr", "4")])));
    assert!(!condition.holds(&Row::from_pairs([("sid", "x"), ("ids_matchNr", "3")])));
}

/// A plan with one scenario whose `requests` are `steps` (YAML, indented for the list).
fn with_steps(steps: &str) -> String {
    format!(
        "base-url: http://h\nvariables: {{v: 1}}\nscenarios:\n  - name: a\n    requests:\n{steps}"
    )
}

fn error(yaml: &str) -> PlanError {
    load(yaml).expect_err("the plan should be refused")
}

fn assert_error(yaml: &str, field: &str, line: usize, fragment: &str) {
    let err = error(yaml);
    let text = err.to_string();
    assert_eq!(err.field(), Some(field), "{text}");
    assert_eq!(err.location().map(|l| l.line), Some(line), "{text}");
    assert!(
        text.contains(fragment),
        "{text:?} should contain {fragment:?}"
    );
}

#[test]
fn errors_inside_blocks_name_the_nested_field() {
    let yaml = with_steps(
        "      - url: /a\n      - url: /b\n      - transaction: t\n        do:\n          - url: /c\n          - url: /d/${nope}\n",
    );
    assert_error(
        &yaml,
        "scenarios[0].requests[2].do[1].url",
        11,
        "unknown variable `${nope}`",
    );
    let yaml = with_steps("      - loop: 2\n        url: /a\n");
    assert_error(
        &yaml,
        "scenarios[0].requests[0].loop",
        6,
        "`url` and `loop` cannot be in the same step",
    );
    let yaml = with_steps("      - loop: 2\n        then: [{url: /a}]\n");
    assert_error(
        &yaml,
        "scenarios[0].requests[0].then",
        7,
        "`then` does not belong in a `loop` step",
    );
    let yaml = with_steps("      - loop: 2\n");
    assert_error(&yaml, "scenarios[0].requests[0].do", 6, "needs `do:`");
    let yaml = with_steps(
        "      - while: 'true'\n        max-iterations: 2000000\n        do: [{url: /a}]\n",
    );
    assert_error(
        &yaml,
        "scenarios[0].requests[0].max-iterations",
        7,
        "from 1 to 1000000",
    );
    let yaml = with_steps("      - foreach: id in idz\n        do: [{url: /a}]\n");
    assert_error(
        &yaml,
        "scenarios[0].requests[0].foreach",
        6,
        "no list `idz`",
    );
    let yaml = with_steps("      - url: /a\n        extract: {x: {regexp: 'a', group: 1}}\n");
    assert_error(
        &yaml,
        "scenarios[0].requests[0].extract.x.group",
        7,
        "group 1 does not exist",
    );
    let yaml =
        with_steps("      - url: /a\n        extract: {x: {jsonpath: '$.a', regexp: 'a'}}\n");
    assert_error(
        &yaml,
        "scenarios[0].requests[0].extract.x",
        7,
        "exactly one of",
    );
}

#[test]
fn weight_zero_needs_an_include() {
    let yaml = "base-url: http://h\nscenarios:\n  - name: a\n    weight: 0\n    requests: [{url: /a}]\n  - name: b\n    requests: [{url: /b}]\n";
    assert_error(
        yaml,
        "scenarios[0].weight",
        4,
        "only for scenarios that other scenarios include",
    );
}

#[test]
fn extracted_lists_define_their_numbered_variables() {
    let yaml = with_steps(
        "      - url: /a\n        extract: {ids: {regexp: 'id=(\\d+)', match: all}}\n      - url: /b/${ids_12}/${ids_matchNr}/${v}\n",
    );
    load(&yaml).unwrap();
    let yaml = with_steps("      - url: /a\n        extract: {ids: {regexp: 'id=(\\d+)'}}\n      - url: /b/${ids_1}\n");
    assert_error(
        &yaml,
        "scenarios[0].requests[1].url",
        8,
        "only an extractor with `match: all` also sets `ids_1`",
    );
}

#[test]
fn the_login_flow_example_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/login-flow.yaml");
    let plan = Plan::load(&path).unwrap();
    let shop = &plan.scenarios[1];
    assert_eq!(request(&shop.setup[0]).label, "login");
    assert!(matches!(&shop.steps[0], Step::Transaction { name, .. } if name == "Browse"));
    assert!(matches!(&shop.steps[1], Step::If { .. }));
    assert_eq!(
        plan.requests()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>(),
        ["login", "login", "account", "item", "checkout"]
    );
}

#[test]
fn bad_extractor_and_assertion_keys() {
    let cases = [
        (
            "      - url: /a\n        assert: {jsonpath: [{path: '$.a', equal: 7}]}\n",
            "unknown field `equal`, did you mean `equals`?",
        ),
        (
            "      - url: /a\n        assert: {jsonpath: [{equals: 7}]}\n",
            "missing field `path`",
        ),
        (
            "      - url: /a\n        assert: {jsonpath: [{path: '$.a', equals: 1, null: true}]}\n",
            "at most one of",
        ),
        (
            "      - url: /a\n        assert: {text: [{in: body}]}\n",
            "exactly one of `contains:` and `matches:`",
        ),
        (
            "      - url: /a\n        assert: {header: {X-A: {contains: a, equals: b}}}\n",
            "at most one of",
        ),
        (
            "      - url: /a\n        extract: {x: {regexp: a, from: cookies}}\n",
            "unknown value `cookies`",
        ),
        (
            "      - url: /a\n        extract: {x: {regexp: a, match: 0}}\n",
            "expected a match number from 1",
        ),
        (
            "      - url: /a\n        extract: {x: {header: A, from: body}}\n",
            "`from:` is for `regexp` and boundary",
        ),
        (
            "      - url: /a\n        extract: {x: {left: a}}\n",
            "needs `right:` too",
        ),
        (
            "      - loop: -1\n        do: [{url: /a}]\n",
            "expected a whole number of times or `forever`",
        ),
        ("      - do: [{url: /a}]\n", "a step needs `url:`"),
        ("      - include-scenario: a\n", "makes a cycle: a → a"),
        (
            "      - set-variables: {'a b': 1}\n",
            "not a usable variable name",
        ),
        (
            "      - foreach: id of ids\n        do: [{url: /a}]\n",
            "expected `VARIABLE in LIST`",
        ),
        (
            "      - url: /a\n        think-time: uniform(1s)\n",
            "needs two durations",
        ),
        ("      - pause: gaussian(1s, 2 s)\n", "found `2 s`"),
    ];
    for (steps, fragment) in cases {
        let text = error(&with_steps(steps)).to_string();
        assert!(
            text.contains(fragment),
            "{text:?} should contain {fragment:?}"
        );
        assert!(text.starts_with("flow.yaml:"), "{text}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

    /// Step-shaped YAML with arbitrary keys and values never panics the loader.
    #[test]
    fn arbitrary_steps_never_panic(
        key in "(url|loop|while|if|then|else|do|foreach|once|include-scenario|set-variables|pause|extract|assert|think-time|max-iterations)",
        value in r#"[-a-z0-9 ${}()\[\]:,.'"=<>!&|*?]{0,24}"#,
        inner in "(url|loop|do|then|jsonpath|regexp|status|match|group|from)",
    ) {
        let yaml = with_steps(&format!(
            "      - {key}: \"{}\"\n        {inner}: [{{url: /x}}]\n      - url: /b\n",
            value.replace('"', "'")
        ));
        let _ = load(&yaml);
    }
}

#[test]
fn poisson_think_times_load_and_an_offset_past_the_mean_is_refused_with_its_line() {
    let plan = load(
        "base-url: http://127.0.0.1:8080\nrequests:\n  - url: /\n    think-time: \"poisson(1s, 200ms)\"\n",
    )
    .unwrap();
    assert_eq!(
        request(&plan.scenarios[0].steps[0]).think_time,
        Some(ThinkTime::Poisson {
            mean: Duration::from_secs(1),
            offset: Duration::from_millis(200)
        })
    );
    let err = load(
        "base-url: http://127.0.0.1:8080\nrequests:\n  - url: /\n    think-time: \"poisson(1s, 2s)\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(":4:17: requests[0].think-time:") && err.contains("longer than the mean"),
        "{err}"
    );
}

#[test]
fn a_transaction_may_leave_its_pauses_out_of_its_time() {
    let plan = load(&with_steps(
        "      - transaction: with\n        do: [{url: /a}]\n      - transaction: without\n        include-pauses: false\n        do: [{pause: 1s}, {url: /a}]\n",
    ))
    .unwrap();
    let include: Vec<bool> = plan.scenarios[0]
        .steps
        .iter()
        .map(|step| match step {
            Step::Transaction { include_pauses, .. } => *include_pauses,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(include, [true, false]);
    assert_error(
        &with_steps("      - url: /a\n        include-pauses: false\n"),
        "scenarios[0].requests[0].include-pauses",
        7,
        "`include-pauses` does not belong in a `request` step",
    );
    assert_error(
        &with_steps(
            "      - transaction: t\n        include-pauses: maybe\n        do: [{url: /a}]\n",
        ),
        "scenarios[0].requests[0].include-pauses",
        7,
        "maybe",
    );
}
