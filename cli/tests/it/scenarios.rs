//! `vajra run` on a scenario with blocks, variables, extractors and assertions, against the
//! embedded target's login flow: the JTL's rows, labels, transaction rows and failure messages,
//! and the counts in summary.json and on the console.

use crate::real_targets::run_plan;

const SHOP: &str = r#"
name: shop
target: embedded
variables:
  user: demo
scenarios:
  - name: shop
    store-cookie: true
    setup:
      - transaction: Sign in
        do:
          - label: login
            url: /login
            method: POST
            body: '{"user":"${user}"}'
            extract:
              token: {jsonpath: "$.token"}
            assert:
              status: [200]
    requests:
      - label: account
        url: /account
        headers: {Authorization: "Bearer ${token}"}
        extract:
          ids: {jsonpath: "$.items[*].id", match: all}
          missing: {jsonpath: "$.nope", default: NONE}
        assert:
          jsonpath:
            - {path: "$.user", equals: demo}
      - foreach: id in ids
        do:
          - label: item
            url: /echo
            method: POST
            body: "item ${id}"
      - if: '"${missing}" == "NONE"'
        then:
          - label: fallback
            url: /fast
        else:
          - label: never
            url: /fast
      - while: '"${token}" != ""'
        max-iterations: 3
        do:
          - label: poll
            url: /fast
      - label: wrong user
        url: /account
        headers: {Authorization: "Bearer ${token}"}
        assert:
          jsonpath:
            - {path: "$.user", equals: bob}
load:
  concurrency: 1
  iterations: 2
  duration: 30s
"#;

#[test]
fn a_login_flow_runs_end_to_end_with_rows_transactions_failures_and_counts() {
    let run = run_plan(SHOP, &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let labels: Vec<&str> = run.rows.iter().map(|r| r.label.as_str()).collect();
    let iteration = [
        "account",
        "item",
        "item",
        "item",
        "fallback",
        "poll",
        "poll",
        "poll",
        "wrong user",
    ];
    let mut expected = vec!["login", "Sign in"];
    expected.extend(iteration);
    expected.extend(iteration);
    assert_eq!(labels, expected, "{run}");

    let sign_in = &run.rows[1];
    assert!(sign_in.success, "{sign_in:?}");
    assert_eq!(sign_in.response_code, "200");
    assert_eq!(
        sign_in.response_message,
        "Number of samples in transaction : 1, number of failing samples : 0"
    );
    for row in run.rows.iter().filter(|r| r.label == "account") {
        assert!(
            row.success,
            "the token and the cookie were sent on: {row:?}"
        );
    }
    let wrong: Vec<_> = run
        .rows
        .iter()
        .filter(|r| r.label == "wrong user")
        .collect();
    assert_eq!(wrong.len(), 2);
    for row in wrong {
        assert!(!row.success);
        assert_eq!(row.response_code, "200");
        assert_eq!(
            row.failure_message,
            "Value of $.user expected to be bob, but found demo"
        );
    }

    // The transaction has its own label, out of ALL.
    let summary = &run.summary;
    assert_eq!(summary["total"]["samples"], 19, "{summary}");
    assert_eq!(summary["total"]["errors"], 2, "{summary}");
    let sign_in = summary["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "Sign in")
        .unwrap();
    assert_eq!(sign_in["transaction"], true);
    assert_eq!(
        summary["extractor_misses"],
        serde_json::json!([{"label": "account", "variable": "missing", "count": 2}])
    );
    assert_eq!(summary["while_caps"][0]["count"], 2, "{summary}");
    assert_eq!(summary["while_caps"][0]["max_iterations"], 3, "{summary}");
    assert!(
        run.stdout
            .contains("extractor missed 2 time(s): missing in \"account\""),
        "{run}"
    );
    assert!(run.stdout.contains("while cap reached 2 time(s)"), "{run}");
}
