//! `vajra run` over HTTP/2 against the real nginx: ALPN on https (auto and `http-version: 2`),
//! prior-knowledge h2c, exact counts against nginx's access log at a fixed rate, and the
//! failures when the server does not speak HTTP/2.

use vajra_testkit::nginx::{self, connections, Block, Nginx};

use crate::real_targets::{assert_named_failure, run_plan, trust, Run};

fn nginx(test: &str) -> Option<Nginx> {
    nginx::start_or_skip(test)
}

fn plan(base: &str, version: &str, nginx: &Nginx, tps: u32) -> String {
    format!(
        "base-url: {base}\nhttp-version: {version}\ntls: {}\nrequests:\n  - url: /\n    assert: {{ body-contains: [\"hello from nginx\"] }}\nload: {{ pattern: static, tps: {tps}, duration: 1s }}\n",
        trust(nginx.pki())
    )
}

/// Every row a 200, one nginx line per row, every line over `protocol`; a connection serves
/// several requests.
fn assert_exact_over(run: &Run, nginx: &Nginx, block: Block, protocol: &str) {
    let log = nginx.access_log_of(block).unwrap();
    assert_eq!(
        run.rows.len(),
        log.len(),
        "one nginx request per row\n{run}"
    );
    assert_eq!(run.total_samples(), log.len() as u64);
    assert_eq!(run.successes(), run.rows.len(), "{run}");
    for row in &run.rows {
        assert_eq!(row.response_code, "200", "{row:?}");
        assert!(row.url.starts_with(&nginx.url(block)), "{row:?}");
    }
    for line in &log {
        assert_eq!(line.protocol, protocol, "{line:?}");
        assert_eq!(line.status, 200);
    }
    assert!(
        connections(&log) < log.len(),
        "streams share connections: {} connections for {} requests",
        connections(&log),
        log.len()
    );
}

#[test]
fn https_negotiates_h2_by_alpn_when_the_version_is_auto() {
    let Some(nginx) = nginx("https_negotiates_h2_by_alpn_when_the_version_is_auto") else {
        return;
    };
    let run = run_plan(&plan(&nginx.url(Block::Https), "auto", &nginx, 40), &[]);
    run.assert_completed();
    assert_eq!(run.rows.len(), 40);
    assert_exact_over(&run, &nginx, Block::Https, "HTTP/2.0");
}

#[test]
fn auto_falls_back_to_http1_where_the_server_offers_no_h2() {
    let Some(nginx) = nginx("auto_falls_back_to_http1_where_the_server_offers_no_h2") else {
        return;
    };
    let run = run_plan(
        &plan(&nginx.url(Block::HttpsHttp1Only), "auto", &nginx, 20),
        &[],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 20);
    assert_exact_over(&run, &nginx, Block::HttpsHttp1Only, "HTTP/1.1");
}

#[test]
fn http_version_2_over_https_is_h2() {
    let Some(nginx) = nginx("http_version_2_over_https_is_h2") else {
        return;
    };
    let run = run_plan(&plan(&nginx.url(Block::Https), "2", &nginx, 40), &[]);
    run.assert_completed();
    assert_exact_over(&run, &nginx, Block::Https, "HTTP/2.0");
}

#[test]
fn http_version_2_over_plain_http_is_h2c_with_prior_knowledge() {
    let Some(nginx) = nginx("http_version_2_over_plain_http_is_h2c_with_prior_knowledge") else {
        return;
    };
    let run = run_plan(&plan(&nginx.url(Block::H2c), "2", &nginx, 40), &[]);
    run.assert_completed();
    assert_eq!(run.rows.len(), 40);
    assert_exact_over(&run, &nginx, Block::H2c, "HTTP/2.0");
    let log = nginx.access_log_of(Block::H2c).unwrap();
    assert!(log.iter().all(|l| l.ssl_protocol.is_empty()), "cleartext");
}

#[test]
fn a_fixed_rate_over_h2_is_counted_exactly_by_nginx() {
    let Some(nginx) = nginx("a_fixed_rate_over_h2_is_counted_exactly_by_nginx") else {
        return;
    };
    let run = run_plan(
        &format!(
            "base-url: {}\nhttp-version: 2\ntls: {}\nrequests:\n  - url: /\n",
            nginx.url(Block::Https),
            trust(nginx.pki())
        ),
        &["--pattern", "static", "--tps", "500", "--duration", "2s"],
    );
    run.assert_completed();
    assert_eq!(run.scheduled(), 1000);
    assert_eq!(run.rows.len(), 1000);
    assert_exact_over(&run, &nginx, Block::Https, "HTTP/2.0");
}

#[test]
fn a_fixed_rate_over_h2c_is_counted_exactly_by_nginx() {
    let Some(nginx) = nginx("a_fixed_rate_over_h2c_is_counted_exactly_by_nginx") else {
        return;
    };
    let run = run_plan(
        &format!(
            "base-url: {}\nhttp-version: 2\nrequests:\n  - url: /\n",
            nginx.url(Block::H2c)
        ),
        &["--pattern", "static", "--tps", "500", "--duration", "2s"],
    );
    run.assert_completed();
    assert_eq!(run.rows.len(), 1000);
    assert_exact_over(&run, &nginx, Block::H2c, "HTTP/2.0");
}

#[test]
fn http_version_2_where_the_server_has_no_h2_fails_each_sample_by_name() {
    let Some(nginx) = nginx("http_version_2_where_the_server_has_no_h2_fails_each_sample_by_name")
    else {
        return;
    };
    // Over TLS, ALPN settles on http/1.1; over cleartext, the HTTP/1.1 server gets a preface it
    // does not understand.
    let tls = run_plan(
        &plan(&nginx.url(Block::HttpsHttp1Only), "2", &nginx, 10),
        &[],
    );
    tls.assert_completed();
    assert_eq!(tls.rows.len(), 10);
    for row in &tls.rows {
        assert_named_failure(row, &["h2", "http/2", "http2", "alpn", "negotiat"]);
    }
    let cleartext = run_plan(&plan(&nginx.url(Block::Http), "2", &nginx, 10), &[]);
    cleartext.assert_no_panic();
    assert_eq!(
        cleartext.rows.len(),
        10,
        "every arrival has its row\n{cleartext}"
    );
    for row in &cleartext.rows {
        // nginx answers the preface with a 400 and closes: what the client sees first is a
        // closed or broken connection, or a frame it cannot read.
        assert_named_failure(
            row,
            &[
                "h2",
                "http/2",
                "http2",
                "protocol",
                "frame",
                "closed",
                "reset",
                "broken pipe",
            ],
        );
    }
}
