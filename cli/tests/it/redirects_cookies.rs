//! `vajra run` through the real nginx's redirect and cookie locations: `follow-redirects` (the
//! chain, the hop limit, off by default and per request, 303 and 307 methods, over h2), and
//! `store-cookie` (a jar per iteration in the open model, per virtual user in the closed one,
//! cookies set on a redirect hop), each checked against what nginx logged.

use vajra_testkit::nginx::{
    self, show, AccessLine, Block, Nginx, SESSION_COOKIE_NAME, SESSION_COOKIE_VALUE,
};

use crate::real_targets::{failure_text, run_plan, trust};

fn nginx(test: &str) -> Option<Nginx> {
    nginx::start_or_skip(test)
}

/// How many logged requests are `method uri` answered with `status`.
fn logged(log: &[AccessLine], method: &str, uri: &str, status: u16) -> usize {
    log.iter()
        .filter(|l| l.method == method && l.uri == uri && l.status == status)
        .count()
}

fn session_cookie() -> String {
    format!("{SESSION_COOKIE_NAME}={SESSION_COOKIE_VALUE}")
}

#[test]
fn a_followed_chain_is_one_sample_with_the_final_url() {
    let Some(nginx) = nginx("a_followed_chain_is_one_sample_with_the_final_url") else {
        return;
    };
    let base = nginx.url(Block::Http);
    let run = run_plan(
        &format!(
            "base-url: {base}\nrequests:\n  - label: chain\n    url: /redirect/3\n    follow-redirects: true\n    assert: {{ body-contains: [\"hello from nginx\"] }}\nload: {{ pattern: static, tps: 10, duration: 1s }}\n"
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(
        run.rows.len(),
        10,
        "one row per iteration, not per hop\n{run}"
    );
    for row in &run.rows {
        assert!(row.success, "{row:?}");
        assert_eq!(row.response_code, "200");
        assert_eq!(
            row.url,
            format!("{base}/"),
            "the sample's URL is the final one"
        );
    }
    let log = nginx.access_log_of(Block::Http).unwrap();
    assert_eq!(
        log.len(),
        40,
        "three hops and the final request per iteration"
    );
    for uri in ["/redirect/3", "/redirect/2", "/redirect/1"] {
        assert_eq!(logged(&log, "GET", uri, 302), 10, "{uri}");
    }
    assert_eq!(logged(&log, "GET", "/", 200), 10);
}

#[test]
fn the_hop_limit_stops_a_chain_and_fails_the_sample() {
    let Some(nginx) = nginx("the_hop_limit_stops_a_chain_and_fails_the_sample") else {
        return;
    };
    let base = nginx.url(Block::Http);
    let run = run_plan(
        &format!(
            r#"base-url: {base}
requests:
  - label: at-the-limit
    url: /redirect/3
    follow-redirects: 3
  - label: over-the-limit
    url: /redirect/4
    follow-redirects: 3
  - label: loop
    url: /redirect-loop
    follow-redirects: 2
load: {{ pattern: static, tps: 10, duration: 1s }}
"#
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 30);
    for row in run.labelled("at-the-limit") {
        assert!(row.success, "{row:?}");
        assert_eq!(row.url, format!("{base}/"));
    }
    for (label, last_url) in [
        ("over-the-limit", "/redirect/1"),
        ("loop", "/redirect-loop"),
    ] {
        let rows: Vec<_> = run.labelled(label).collect();
        assert_eq!(rows.len(), 10, "{label}");
        for row in rows {
            assert!(!row.success, "{label}: {row:?}");
            assert!(
                failure_text(row).to_lowercase().contains("redirect"),
                "{label}: the failure says the redirects ran out: {}",
                failure_text(row)
            );
            assert_eq!(
                row.url,
                format!("{base}{last_url}"),
                "{label}: the last URL requested"
            );
        }
    }
    let log = nginx.access_log_of(Block::Http).unwrap();
    // at-the-limit: /redirect/3 … /  = 4; over: /redirect/4 … /redirect/1 = 4; loop: 1 + 2 hops.
    assert_eq!(
        logged(&log, "GET", "/", 200),
        10,
        "only at-the-limit reaches /"
    );
    assert_eq!(logged(&log, "GET", "/redirect/4", 302), 10);
    assert_eq!(logged(&log, "GET", "/redirect/1", 302), 20);
    assert_eq!(logged(&log, "GET", "/redirect-loop", 302), 30);
    assert_eq!(log.len(), 40 + 40 + 30);
}

#[test]
fn redirects_are_not_followed_unless_asked_and_a_request_can_opt_out() {
    let Some(nginx) = nginx("redirects_are_not_followed_unless_asked_and_a_request_can_opt_out")
    else {
        return;
    };
    let base = nginx.url(Block::Http);
    let off_by_default = run_plan(
        &format!("base-url: {base}\nrequests:\n  - url: /redirect/2\nload: {{ pattern: static, tps: 10, duration: 1s }}\n"),
        &[],
    );
    off_by_default.assert_completed();
    for row in &off_by_default.rows {
        assert_eq!(row.response_code, "302", "{row:?}");
        assert!(row.success, "a 3xx is a success, as in JMeter: {row:?}");
        assert_eq!(row.url, format!("{base}/redirect/2"));
    }
    let opted_out = run_plan(
        &format!(
            "base-url: {base}\ndefaults: {{ follow-redirects: true }}\nrequests:\n  - label: followed\n    url: /redirect/2\n  - label: not-followed\n    url: /redirect/1\n    follow-redirects: false\nload: {{ pattern: static, tps: 10, duration: 1s }}\n"
        ),
        &[],
    );
    opted_out.assert_completed();
    assert!(opted_out
        .labelled("followed")
        .all(|r| r.response_code == "200"));
    assert!(opted_out
        .labelled("not-followed")
        .all(|r| r.response_code == "302"));
    let log = nginx.access_log_of(Block::Http).unwrap();
    // 10 unfollowed /redirect/2; then per iteration /redirect/2, /redirect/1, / and /redirect/1.
    assert_eq!(log.len(), 10 + 40);
    assert_eq!(logged(&log, "GET", "/redirect/2", 302), 20);
    assert_eq!(logged(&log, "GET", "/redirect/1", 302), 20);
    assert_eq!(logged(&log, "GET", "/", 200), 10);
}

#[test]
fn see_other_turns_a_post_into_a_get_and_307_keeps_it() {
    let Some(nginx) = nginx("see_other_turns_a_post_into_a_get_and_307_keeps_it") else {
        return;
    };
    let run = run_plan(
        &format!(
            r#"base-url: {}
defaults: {{ follow-redirects: true }}
requests:
  - label: see-other
    method: POST
    url: /see-other
    body: "x=1"
    assert: {{ body-contains: ["GET"] }}
  - label: temporary
    method: POST
    url: /temporary-redirect
    body: "x=1"
    assert: {{ body-contains: ["POST"] }}
load: {{ pattern: static, tps: 10, duration: 1s }}
"#,
            nginx.url(Block::Http)
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 20);
    assert_eq!(run.successes(), 20, "{run}");
    let log = nginx.access_log_of(Block::Http).unwrap();
    assert_eq!(logged(&log, "POST", "/see-other", 303), 10);
    assert_eq!(logged(&log, "GET", "/echo-method", 200), 10);
    assert_eq!(logged(&log, "POST", "/temporary-redirect", 307), 10);
    assert_eq!(logged(&log, "POST", "/echo-method", 200), 10);
}

#[test]
fn redirects_over_h2_stay_on_h2_and_end_on_https() {
    let Some(nginx) = nginx("redirects_over_h2_stay_on_h2_and_end_on_https") else {
        return;
    };
    let base = nginx.url(Block::Https);
    let run = run_plan(
        &format!(
            "base-url: {base}\ntls: {}\nrequests:\n  - url: /redirect/2\n    follow-redirects: true\nload: {{ pattern: static, tps: 10, duration: 1s }}\n",
            trust(nginx.pki())
        ),
        &[],
    );
    run.assert_completed();
    assert!(
        run.rows
            .iter()
            .all(|r| r.success && r.url == format!("{base}/")),
        "{run}"
    );
    let log = nginx.access_log_of(Block::Https).unwrap();
    assert_eq!(log.len(), 30);
    assert!(
        log.iter().all(|l| l.protocol == "HTTP/2.0"),
        "{}",
        show(&log)
    );
}

#[test]
fn the_open_model_keeps_a_cookie_jar_per_iteration() {
    let Some(nginx) = nginx("the_open_model_keeps_a_cookie_jar_per_iteration") else {
        return;
    };
    let cookie = session_cookie();
    let run = run_plan(
        &format!(
            r#"base-url: {}
scenarios:
  - name: shop
    store-cookie: true
    requests:
      - label: before
        url: /cookie/echo
        assert: {{ body-contains: ["cookie=[]"] }}
      - label: set
        url: /cookie/set
      - label: required
        url: /cookie/required
      - label: after
        url: /cookie/echo
        assert: {{ body-contains: ["cookie=[{cookie}]"] }}
load: {{ pattern: static, tps: 20, duration: 1s }}
"#,
            nginx.url(Block::Http)
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 80);
    assert_eq!(run.successes(), 80, "{run}");
    let log = nginx.access_log_of(Block::Http).unwrap();
    assert_eq!(log.len(), 80);
    let echo_cookies = |value: &str| {
        log.iter()
            .filter(|l| l.uri == "/cookie/echo" && l.cookie == value)
            .count()
    };
    assert_eq!(
        echo_cookies(""),
        20,
        "each iteration starts with an empty jar"
    );
    assert_eq!(echo_cookies(&cookie), 20);
    assert_eq!(logged(&log, "GET", "/cookie/required", 200), 20);
}

#[test]
fn the_closed_model_keeps_a_cookie_jar_per_virtual_user() {
    let Some(nginx) = nginx("the_closed_model_keeps_a_cookie_jar_per_virtual_user") else {
        return;
    };
    let cookie = session_cookie();
    // Over https (h2 by ALPN): the Cookie header goes out as HTTP/2 allows.
    let run = run_plan(
        &format!(
            r#"base-url: {}
tls: {}
defaults: {{ store-cookie: true }}
requests:
  - label: echo
    url: /cookie/echo
  - label: set
    url: /cookie/set
  - label: required
    url: /cookie/required
load: {{ concurrency: 2, iterations: 3 }}
"#,
            nginx.url(Block::Https),
            trust(nginx.pki())
        ),
        &[],
    );
    assert_eq!(run.code, Some(0), "{run}");
    run.assert_no_panic();
    assert_eq!(run.rows.len(), 18);
    assert_eq!(run.successes(), 18, "{run}");
    let log = nginx.access_log_of(Block::Https).unwrap();
    let echoes: Vec<&str> = log
        .iter()
        .filter(|l| l.uri == "/cookie/echo")
        .map(|l| l.cookie.as_str())
        .collect();
    assert_eq!(echoes.len(), 6);
    assert_eq!(
        echoes.iter().filter(|c| c.is_empty()).count(),
        2,
        "only each user's first iteration has an empty jar: {echoes:?}"
    );
    assert_eq!(
        echoes.iter().filter(|c| **c == cookie).count(),
        4,
        "{echoes:?}"
    );
    assert_eq!(logged(&log, "GET", "/cookie/required", 200), 6);
}

#[test]
fn cookies_are_off_unless_asked_and_a_cookie_set_on_a_redirect_hop_is_kept() {
    let Some(nginx) =
        nginx("cookies_are_off_unless_asked_and_a_cookie_set_on_a_redirect_hop_is_kept")
    else {
        return;
    };
    let base = nginx.url(Block::Http);
    let off = run_plan(
        &format!("base-url: {base}\nrequests:\n  - url: /cookie/set\n  - url: /cookie/required\nload: {{ pattern: static, tps: 10, duration: 1s }}\n"),
        &[],
    );
    off.assert_completed();
    assert_eq!(off.rows.len(), 20);
    assert_eq!(
        off.rows.iter().filter(|r| r.response_code == "403").count(),
        10,
        "{off}"
    );
    let on = run_plan(
        &format!(
            "base-url: {base}\ndefaults: {{ store-cookie: true, follow-redirects: true }}\nrequests:\n  - url: /cookie/set-then-redirect\n    assert: {{ body-contains: [\"session ok\"] }}\nload: {{ pattern: static, tps: 10, duration: 1s }}\n"
        ),
        &[],
    );
    on.assert_completed();
    assert_eq!(on.rows.len(), 10);
    assert_eq!(on.successes(), 10, "{on}");
    assert!(on
        .rows
        .iter()
        .all(|r| r.url == format!("{base}/cookie/required")));
    let log = nginx.access_log_of(Block::Http).unwrap();
    assert_eq!(log.len(), 20 + 20);
    assert!(
        log[..20].iter().all(|l| l.cookie.is_empty()),
        "no jar, no cookies"
    );
    assert_eq!(logged(&log, "GET", "/cookie/required", 403), 10);
    assert_eq!(logged(&log, "GET", "/cookie/required", 200), 10);
}
