//! `vajra run` against the real nginx over TLS (and plain HTTP for keep-alive): exact request
//! counts against nginx's access log, TLS options (CA file, SNI, client certificates, minimum
//! version, insecure), bad certificates as failed samples with their reason, session resumption
//! across reconnects, and `keepalive: false`.

use std::time::Duration;

use vajra_testkit::faults;
use vajra_testkit::nginx::{self, connections, show, AccessLine, Block, Nginx};
use vajra_testkit::pki::WRONG_HOST_NAME;

use crate::real_targets::{assert_named_failure, run_plan, trust, yaml_string, Run};

fn nginx(test: &str) -> Option<Nginx> {
    nginx::start_or_skip(test)
}

/// Every row is a 200 for `url_prefix`, and the log has exactly one line per row.
fn assert_rows_match_the_log(run: &Run, log: &[AccessLine], url_prefix: &str) {
    assert_eq!(
        run.rows.len(),
        log.len(),
        "one nginx request per row\n{run}"
    );
    assert_eq!(run.total_samples(), run.rows.len() as u64);
    assert_eq!(run.total_errors(), 0, "{run}");
    for row in &run.rows {
        assert!(row.success, "{row:?}");
        assert_eq!(row.response_code, "200", "{row:?}");
        assert!(
            row.url.starts_with(url_prefix),
            "{} vs {url_prefix}",
            row.url
        );
        assert!(row.connect <= row.elapsed, "{row:?}");
        assert!(row.bytes > 0, "{row:?}");
    }
    assert!(log.iter().all(|l| l.status == 200), "{}", show(log));
}

#[test]
fn https_over_http1_sends_exactly_what_nginx_logs() {
    let Some(nginx) = nginx("https_over_http1_sends_exactly_what_nginx_logs") else {
        return;
    };
    let base = nginx.url(Block::Https);
    let run = run_plan(
        &format!(
            "base-url: {base}\nhttp-version: 1.1\ntls: {}\nrequests:\n  - url: /\n    assert: {{ body-contains: [\"hello from nginx\"] }}\nload: {{ pattern: static, tps: 40, duration: 1s }}\n",
            trust(nginx.pki())
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.scheduled(), 40);
    assert_eq!(run.rows.len(), 40);
    let log = nginx.access_log_of(Block::Https).unwrap();
    assert_rows_match_the_log(&run, &log, &format!("{base}/"));
    for line in &log {
        assert_eq!(line.protocol, "HTTP/1.1", "ALPN offered http/1.1 only");
        assert!(line.ssl_protocol.starts_with("TLSv1."), "{line:?}");
    }
    assert!(
        connections(&log) < log.len(),
        "keep-alive reuses connections: {} connections for {} requests",
        connections(&log),
        log.len()
    );
}

#[test]
fn a_fixed_rate_over_https_is_counted_exactly_by_nginx() {
    let Some(nginx) = nginx("a_fixed_rate_over_https_is_counted_exactly_by_nginx") else {
        return;
    };
    let run = run_plan(
        &format!(
            "base-url: {}\nhttp-version: 1.1\ntls: {}\nrequests:\n  - url: /\n",
            nginx.url(Block::Https),
            trust(nginx.pki())
        ),
        &["--pattern", "static", "--tps", "500", "--duration", "2s"],
    );
    run.assert_completed();
    assert_eq!(run.scheduled(), 1000);
    assert_eq!(run.rows.len(), 1000);
    let log = nginx.access_log_of(Block::Https).unwrap();
    assert_rows_match_the_log(&run, &log, &nginx.url(Block::Https));
}

#[test]
fn the_server_name_option_sets_sni_and_the_name_checked() {
    let Some(nginx) = nginx("the_server_name_option_sets_sni_and_the_name_checked") else {
        return;
    };
    // The wrong-host certificate is right for the name given: the request succeeds.
    let run = run_plan(
        &format!(
            "base-url: {}\ntls: {{ ca-file: {}, server-name: {WRONG_HOST_NAME} }}\nrequests:\n  - url: /\nload: {{ pattern: static, tps: 10, duration: 1s }}\n",
            nginx.url(Block::WrongHost),
            yaml_string(&nginx.pki().ca)
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 10);
    assert_eq!(run.successes(), 10, "{run}");
    let log = nginx.access_log_of(Block::WrongHost).unwrap();
    assert_eq!(log.len(), 10);
    assert!(
        log.iter().all(|l| l.ssl_server_name == WRONG_HOST_NAME),
        "{}",
        show(&log)
    );
}

#[test]
fn bad_certificates_fail_their_samples_with_the_reason_and_the_run_goes_on() {
    let Some(nginx) =
        nginx("bad_certificates_fail_their_samples_with_the_reason_and_the_run_goes_on")
    else {
        return;
    };
    let run = run_plan(
        &format!(
            r#"tls: {trust}
defaults: {{ timeout: 5s }}
requests:
  - label: good
    url: {good}/
  - label: unknown-ca
    url: {unknown}/
  - label: wrong-host
    url: {wrong}/
  - label: expired
    url: {expired}/
load: {{ pattern: static, tps: 20, duration: 1s }}
"#,
            trust = trust(nginx.pki()),
            good = nginx.url(Block::Https),
            unknown = nginx.url(Block::UnknownCa),
            wrong = nginx.url(Block::WrongHost),
            expired = nginx.url(Block::Expired),
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.scheduled(), 20);
    assert_eq!(run.rows.len(), 80, "every arrival has its four rows\n{run}");
    assert_eq!(
        run.labelled("good").filter(|r| r.success).count(),
        20,
        "{run}"
    );
    let reasons: [(&str, &[&str]); 3] = [
        (
            "unknown-ca",
            &["unknown ca", "unknownca", "unknownissuer", "unknown issuer"],
        ),
        (
            "wrong-host",
            &["hostname", "notvalidforname", "not valid for name"],
        ),
        ("expired", &["expired"]),
    ];
    for (label, words) in reasons {
        let rows: Vec<_> = run.labelled(label).collect();
        assert_eq!(rows.len(), 20, "{label}");
        for row in rows {
            assert_named_failure(row, words);
        }
    }
    assert_eq!(run.total_errors(), 60);
    assert_eq!(nginx.access_log_of(Block::Https).unwrap().len(), 20);
    for block in [Block::UnknownCa, Block::WrongHost, Block::Expired] {
        assert!(
            nginx.access_log_of(block).unwrap().is_empty(),
            "{block:?}: no request gets past a refused handshake"
        );
    }
}

#[test]
fn a_client_certificate_opens_the_mutual_tls_block_and_its_absence_is_a_400() {
    let Some(nginx) =
        nginx("a_client_certificate_opens_the_mutual_tls_block_and_its_absence_is_a_400")
    else {
        return;
    };
    let url = nginx.url(Block::Mtls);
    let client = &nginx.pki().client;
    let with = run_plan(
        &format!(
            "base-url: {url}\ntls: {{ ca-file: {}, client-cert: {}, client-key: {} }}\nrequests:\n  - url: /\nload: {{ pattern: static, tps: 10, duration: 1s }}\n",
            yaml_string(&nginx.pki().ca),
            yaml_string(&client.cert),
            yaml_string(&client.key)
        ),
        &[],
    );
    with.assert_completed();
    assert_eq!(with.rows.len(), 10);
    assert_eq!(with.successes(), 10, "{with}");
    let without = run_plan(
        &format!(
            "base-url: {url}\ntls: {}\nrequests:\n  - url: /\nload: {{ pattern: static, tps: 10, duration: 1s }}\n",
            trust(nginx.pki())
        ),
        &[],
    );
    without.assert_completed();
    assert_eq!(without.rows.len(), 10);
    for row in &without.rows {
        assert!(!row.success);
        assert_eq!(
            row.response_code, "400",
            "nginx answers 400 without a client certificate"
        );
    }
    let verified: Vec<(u16, String)> = nginx
        .access_log_of(Block::Mtls)
        .unwrap()
        .into_iter()
        .map(|l| (l.status, l.ssl_client_verify))
        .collect();
    assert_eq!(verified.len(), 20);
    assert!(
        verified[..10]
            .iter()
            .all(|(s, v)| *s == 200 && v == "SUCCESS"),
        "{verified:?}"
    );
    assert!(
        verified[10..].iter().all(|(s, v)| *s == 400 && v == "NONE"),
        "{verified:?}"
    );
}

#[test]
fn a_minimum_tls_version_the_server_lacks_is_a_protocol_failure() {
    let Some(nginx) = nginx("a_minimum_tls_version_the_server_lacks_is_a_protocol_failure") else {
        return;
    };
    let run = run_plan(
        &format!(
            "base-url: {}\ntls: {{ ca-file: {}, min-version: \"1.3\" }}\nrequests:\n  - url: /\nload: {{ pattern: static, tps: 10, duration: 1s }}\n",
            nginx.url(Block::Tls12Only),
            yaml_string(&nginx.pki().ca)
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 10);
    for row in &run.rows {
        assert_named_failure(row, &["protocol", "version"]);
    }
    assert!(nginx.access_log_of(Block::Tls12Only).unwrap().is_empty());
}

#[test]
fn insecure_accepts_any_certificate_and_says_so() {
    let Some(nginx) = nginx("insecure_accepts_any_certificate_and_says_so") else {
        return;
    };
    let run = run_plan(
        &format!(
            "tls: {{ insecure: true }}\nrequests:\n  - url: {}/\n  - url: {}/\n  - url: {}/\nload: {{ pattern: static, tps: 5, duration: 1s }}\n",
            nginx.url(Block::UnknownCa),
            nginx.url(Block::WrongHost),
            nginx.url(Block::Expired)
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 15);
    assert_eq!(run.successes(), 15, "{run}");
    let output = format!("{}{}", run.stdout, run.stderr).to_lowercase();
    assert!(
        output.contains("insecure"),
        "the run's output says so: {run}"
    );
    assert!(
        run.summary.to_string().to_lowercase().contains("insecure"),
        "the summary says so: {}",
        run.summary
    );
    for block in [Block::UnknownCa, Block::WrongHost, Block::Expired] {
        assert_eq!(nginx.access_log_of(block).unwrap().len(), 5, "{block:?}");
    }
}

#[test]
fn keepalive_off_opens_a_connection_per_request_and_resumes_the_tls_session() {
    let Some(nginx) =
        nginx("keepalive_off_opens_a_connection_per_request_and_resumes_the_tls_session")
    else {
        return;
    };
    let run = run_plan(
        &format!(
            "base-url: {}\nhttp-version: 1.1\ntls: {}\ndefaults: {{ keepalive: false }}\nrequests:\n  - url: /\nload: {{ pattern: static, tps: 40, duration: 1s }}\n",
            nginx.url(Block::Https),
            trust(nginx.pki())
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 40);
    let log = nginx.access_log_of(Block::Https).unwrap();
    assert_rows_match_the_log(&run, &log, &nginx.url(Block::Https));
    assert_eq!(connections(&log), 40, "one connection per request");
    assert!(
        log.iter().all(|l| l.connection_requests == 1),
        "{}",
        show(&log)
    );
    let resumed = log.iter().filter(|l| l.ssl_session_reused).count();
    assert!(
        !log[0].ssl_session_reused,
        "the first handshake is a full one"
    );
    assert!(
        resumed * 2 > log.len(),
        "reconnects resume the session: {resumed} of {} resumed",
        log.len()
    );
}

#[test]
fn keepalive_off_on_plain_http_sends_connection_close_per_request() {
    let Some(nginx) = nginx("keepalive_off_on_plain_http_sends_connection_close_per_request")
    else {
        return;
    };
    // Keep-alive is on for `kept` and off for `closed`.
    let run = run_plan(
        &format!(
            "base-url: {}\nrequests:\n  - label: kept\n    url: /?kept\n  - label: closed\n    url: /?closed\n    keepalive: false\nload: {{ pattern: static, tps: 20, duration: 1s }}\n",
            nginx.url(Block::Http)
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 40);
    let log = nginx.access_log_of(Block::Http).unwrap();
    assert_rows_match_the_log(&run, &log, &nginx.url(Block::Http));
    // `kept` finds no connection (the previous `closed` ended its own) and opens one; `closed`
    // rides on it and ends it: one connection per iteration, carrying both requests.
    assert_eq!(connections(&log), 20, "{}", show(&log));
    for line in &log {
        let expected = if line.uri == "/?kept" { 1 } else { 2 };
        assert_eq!(line.connection_requests, expected, "{line:?}");
    }
}

#[test]
fn the_tls_handshake_time_is_in_the_connect_column() {
    // Each handshake with this server takes at least 150 ms; requests on a kept connection
    // have none.
    let pki = vajra_testkit::pki::Pki::generate().unwrap();
    let delay = Duration::from_millis(150);
    let server = faults::slow_handshake_server(&pki.server, delay).unwrap();
    let run = run_plan(
        &format!(
            "base-url: {}\nhttp-version: 1.1\ntls: {}\nrequests:\n  - url: /\nload: {{ pattern: static, tps: 10, duration: 1s }}\n",
            server.url(),
            trust(&pki)
        ),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 10);
    assert_eq!(run.successes(), 10, "{run}");
    let counts = server.counts();
    let with_handshake = run
        .rows
        .iter()
        .filter(|r| r.connect >= delay.as_millis() as u64)
        .count() as u64;
    assert_eq!(
        with_handshake, counts.handshakes,
        "one row with the handshake's time per handshake: {counts:?}\n{:#?}",
        run.rows
    );
    assert!(counts.handshakes < 10, "connections are kept: {counts:?}");
    for row in &run.rows {
        assert!(row.connect <= row.elapsed, "{row:?}");
    }
}
