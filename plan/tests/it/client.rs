//! The client keys of a plan: `http-version`, `tls:`, and the request behaviours
//! `follow-redirects`, `keepalive` and `store-cookie` with their defaults and precedence
//! (request, then scenario, then `defaults:`).

use std::path::{Path, PathBuf};

use vajra_plan::{HttpVersion, Plan, PlanError, TlsSpec, TlsVersion};

/// A plan directory holding the PEM files the `tls:` keys name. The plan only checks that they
/// exist (the runner reads them), so their contents do not matter here.
struct PlanDir {
    dir: tempfile::TempDir,
}

impl PlanDir {
    fn new() -> PlanDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("certs")).unwrap();
        for name in ["certs/ca.pem", "certs/client.pem", "certs/client.key"] {
            std::fs::write(dir.path().join(name), "not read by the plan\n").unwrap();
        }
        PlanDir { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn load(&self, yaml: &str) -> Result<Plan, PlanError> {
        Plan::from_str(yaml, &self.path("plan.yaml"))
    }
}

fn load(yaml: &str) -> Plan {
    PlanDir::new()
        .load(yaml)
        .unwrap_or_else(|err| panic!("{err}"))
}

/// Asserts the error's field, its line and column, and that the message contains `needle`.
fn assert_error(yaml: &str, field: &str, line_col: (usize, usize), needle: &str) -> String {
    let err = match PlanDir::new().load(yaml) {
        Ok(plan) => panic!("expected an error at {field}, got {plan:?}"),
        Err(err) => err,
    };
    let text = err.to_string();
    assert_eq!(err.field(), Some(field), "{text}");
    let location = err
        .location()
        .unwrap_or_else(|| panic!("no location: {text}"));
    assert_eq!((location.line, location.column), line_col, "{text}");
    assert!(text.contains(needle), "{text:?} should contain {needle:?}");
    let prefix = format!("plan.yaml:{}:{}: {field}: ", line_col.0, line_col.1);
    assert!(text.contains(&prefix), "{text:?} should contain {prefix:?}");
    text
}

const HEAD: &str = "base-url: https://127.0.0.1:8443\n";

#[test]
fn without_client_keys_connections_are_kept_redirects_returned_and_cookies_dropped() {
    let plan = load(&format!(
        "{HEAD}scenarios:\n  - name: a\n    requests: [{{url: /a}}]\n"
    ));
    assert_eq!(plan.client.http_version, HttpVersion::Auto);
    assert_eq!(plan.client.tls, TlsSpec::default());
    assert_eq!(plan.client.tls.min_version, TlsVersion::Tls12);
    assert!(!plan.client.tls.insecure);
    let scenario = &plan.scenarios[0];
    assert!(!scenario.store_cookie);
    let request = &scenario.requests()[0];
    assert!(request.keepalive);
    assert_eq!(request.follow_redirects, None);
}

#[test]
fn a_request_beats_its_scenario_which_beats_the_defaults() {
    let yaml = format!(
        "{HEAD}defaults:
  follow-redirects: 5
  keepalive: false
  store-cookie: true
scenarios:
  - name: own
    follow-redirects: true
    keepalive: true
    store-cookie: false
    requests:
      - url: /request-says
        follow-redirects: false
        keepalive: false
      - url: /scenario-says
  - name: inherits
    requests:
      - url: /defaults-say
      - url: /request-says-again
        follow-redirects: 2
        keepalive: true
"
    );
    let plan = load(&yaml);
    let own = &plan.scenarios[0];
    assert!(!own.store_cookie, "the scenario's store-cookie wins");
    let settings: Vec<(Option<u32>, bool)> = plan
        .requests()
        .map(|r| (r.follow_redirects, r.keepalive))
        .collect();
    assert_eq!(
        settings,
        [
            (None, false),
            (Some(10), true),
            (Some(5), false),
            (Some(2), true)
        ]
    );
    assert!(plan.scenarios[1].store_cookie, "from defaults:");
}

#[test]
fn top_level_requests_take_the_defaults() {
    let plan = load(&format!(
        "{HEAD}defaults: {{follow-redirects: 3, keepalive: false, store-cookie: true}}\n\
         requests:\n  - url: /a\n  - url: /b\n    keepalive: true\n    follow-redirects: false\n"
    ));
    assert!(plan.scenarios[0].store_cookie);
    let settings: Vec<(Option<u32>, bool)> = plan
        .requests()
        .map(|r| (r.follow_redirects, r.keepalive))
        .collect();
    assert_eq!(settings, [(Some(3), false), (None, true)]);
}

#[test]
fn follow_redirects_takes_a_switch_or_a_number_of_hops() {
    for (value, hops) in [
        ("true", Some(10)),
        ("false", None),
        ("0", None),
        ("1", Some(1)),
        ("3", Some(3)),
        ("20", Some(20)),
        ("'7'", Some(7)),
    ] {
        let plan = load(&format!(
            "{HEAD}requests:\n  - url: /a\n    follow-redirects: {value}\n"
        ));
        assert_eq!(
            plan.scenarios[0].requests()[0].follow_redirects,
            hops,
            "{value}"
        );
    }
}

#[test]
fn https_urls_are_accepted_and_joined() {
    let plan = load(
        "base-url: https://api.example.com:8443/v1/\n\
         requests:\n  - url: /users\n  - url: https://other.example.com/x\n  - url: http://plain/y\n",
    );
    assert_eq!(
        plan.base_url.as_deref(),
        Some("https://api.example.com:8443/v1")
    );
    let urls: Vec<String> = plan.requests().map(|r| r.url.to_string()).collect();
    assert_eq!(
        urls,
        [
            "https://api.example.com:8443/v1/users",
            "https://other.example.com/x",
            "http://plain/y"
        ]
    );
}

#[test]
fn http_version_forms() {
    for (value, version) in [
        ("auto", HttpVersion::Auto),
        ("1.1", HttpVersion::Http1),
        ("'1.1'", HttpVersion::Http1),
        ("2", HttpVersion::Http2),
        ("'2'", HttpVersion::Http2),
    ] {
        let plan = load(&format!(
            "{HEAD}http-version: {value}\nrequests: [{{url: /a}}]\n"
        ));
        assert_eq!(plan.client.http_version, version, "{value}");
    }
}

#[test]
fn tls_files_resolve_against_the_plan_directory() {
    let dir = PlanDir::new();
    let absolute_ca = dir.path("certs/ca.pem");
    let yaml = format!(
        "{HEAD}tls:
  ca-file: {}
  client-cert: certs/client.pem
  client-key: ./certs/client.key
  server-name: api.example.com
  min-version: 1.3
  insecure: true
requests: [{{url: /a}}]
",
        absolute_ca.display()
    );
    let plan = dir.load(&yaml).unwrap();
    let tls = &plan.client.tls;
    assert_eq!(tls.ca_file.as_deref(), Some(absolute_ca.as_path()));
    assert_eq!(
        tls.client_cert.as_deref(),
        Some(dir.path("certs/client.pem").as_path())
    );
    let key = tls.client_key.as_deref().unwrap();
    assert!(
        key.is_file() && key.ends_with("certs/client.key"),
        "{key:?}"
    );
    assert_eq!(tls.server_name.as_deref(), Some("api.example.com"));
    assert_eq!(tls.min_version, TlsVersion::Tls13);
    assert!(tls.insecure);
}

#[test]
fn bad_http_and_tls_versions_name_the_choices() {
    assert_error(
        &format!("{HEAD}http-version: 3\nrequests: [{{url: /a}}]\n"),
        "http-version",
        (2, 15),
        "expected 1.1, 2 or auto, found `3`",
    );
    assert_error(
        &format!("{HEAD}http-version: h2\nrequests: [{{url: /a}}]\n"),
        "http-version",
        (2, 15),
        "found `h2`",
    );
    assert_error(
        &format!("{HEAD}tls:\n  min-version: 1.0\nrequests: [{{url: /a}}]\n"),
        "tls.min-version",
        (3, 16),
        "expected 1.2 or 1.3, found `1`",
    );
    assert_error(
        &format!("{HEAD}tls:\n  min-version: tls1.3\nrequests: [{{url: /a}}]\n"),
        "tls.min-version",
        (3, 16),
        "expected 1.2 or 1.3, found `tls1.3`",
    );
}

#[test]
fn bad_redirect_limits_say_what_is_allowed() {
    for (where_, yaml, field, line_col) in [
        (
            "defaults",
            format!("{HEAD}defaults:\n  follow-redirects: 99\nrequests: [{{url: /a}}]\n"),
            "defaults.follow-redirects",
            (3, 21),
        ),
        (
            "scenario",
            format!(
                "{HEAD}scenarios:\n  - name: a\n    follow-redirects: 21\n    requests: [{{url: /a}}]\n"
            ),
            "scenarios[0].follow-redirects",
            (4, 23),
        ),
        (
            "request",
            format!("{HEAD}requests:\n  - url: /a\n    follow-redirects: -1\n"),
            "requests[0].follow-redirects",
            (4, 23),
        ),
        (
            "request",
            format!("{HEAD}requests:\n  - url: /a\n    follow-redirects: sometimes\n"),
            "requests[0].follow-redirects",
            (4, 23),
        ),
    ] {
        let text = assert_error(&yaml, field, line_col, "a number of hops from 1 to 20");
        assert!(text.contains("true (up to 10 hops), false"), "{where_}: {text}");
    }
}

#[test]
fn switches_must_be_booleans() {
    assert_error(
        &format!("{HEAD}requests:\n  - url: /a\n    keepalive: maybe\n"),
        "requests[0].keepalive",
        (4, 16),
        "expected true or false, found `maybe`",
    );
    assert_error(
        &format!("{HEAD}defaults:\n  store-cookie: sometimes\nrequests: [{{url: /a}}]\n"),
        "defaults.store-cookie",
        (3, 17),
        "expected true or false, found `sometimes`",
    );
    assert_error(
        &format!("{HEAD}tls:\n  insecure: please\nrequests: [{{url: /a}}]\n"),
        "tls.insecure",
        (3, 13),
        "expected true or false, found `please`",
    );
}

#[test]
fn store_cookie_belongs_to_a_scenario_not_a_request() {
    // A jar lives as long as a user or an iteration, so a single request cannot switch it.
    assert_error(
        &format!("{HEAD}requests:\n  - url: /a\n    store-cookie: true\n"),
        "requests[0].store-cookie",
        (4, 5),
        "unknown field `store-cookie`",
    );
}

#[test]
fn tls_file_problems_name_the_file_and_what_to_add() {
    let text = assert_error(
        &format!("{HEAD}tls:\n  ca-file: certs/missing.pem\nrequests: [{{url: /a}}]\n"),
        "tls.ca-file",
        (3, 12),
        "file not found: ",
    );
    assert!(text.contains("certs/missing.pem"), "{text}");
    assert!(
        text.contains("relative paths start at the plan file's directory"),
        "{text}"
    );
    assert_error(
        &format!("{HEAD}tls:\n  ca-file: certs\nrequests: [{{url: /a}}]\n"),
        "tls.ca-file",
        (3, 12),
        "file not found",
    );
    assert_error(
        &format!("{HEAD}tls:\n  client-cert: certs/client.pem\nrequests: [{{url: /a}}]\n"),
        "tls.client-cert",
        (3, 16),
        "add `client-key:`",
    );
    assert_error(
        &format!("{HEAD}tls:\n  client-key: certs/client.key\nrequests: [{{url: /a}}]\n"),
        "tls.client-key",
        (3, 15),
        "add `client-cert:`",
    );
}

#[test]
fn bad_server_names_and_unknown_tls_keys() {
    for name in [
        "\"\"",
        "\"api example.com\"",
        "https://api.example.com",
        "api.example.com:443",
    ] {
        assert_error(
            &format!("{HEAD}tls:\n  server-name: {name}\nrequests: [{{url: /a}}]\n"),
            "tls.server-name",
            (3, 16),
            "is not a host name: give a DNS name like api.example.com",
        );
    }
    assert_error(
        &format!("{HEAD}tls:\n  ca_file: certs/ca.pem\nrequests: [{{url: /a}}]\n"),
        "tls.ca_file",
        (3, 3),
        "did you mean `ca-file`?",
    );
    assert_error(
        &format!("{HEAD}tls:\n  verify: false\nrequests: [{{url: /a}}]\n"),
        "tls.verify",
        (3, 3),
        "expected one of `ca-file`, `insecure`",
    );
    assert_error(
        &format!("{HEAD}tls: true\nrequests: [{{url: /a}}]\n"),
        "tls",
        (2, 6),
        "expected a mapping",
    );
}

#[test]
fn the_fixture_directory_is_where_relative_files_are_found() {
    // The same relative name fails from another plan directory: resolution is not against the
    // working directory.
    let yaml = format!("{HEAD}tls:\n  ca-file: certs/ca.pem\nrequests: [{{url: /a}}]\n");
    assert!(PlanDir::new().load(&yaml).is_ok());
    let err = Plan::from_str(&yaml, Path::new("/nonexistent/plan.yaml")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/certs/ca.pem"),
        "{err}"
    );
}
