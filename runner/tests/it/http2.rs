//! HTTP/2 against a real h2 server: ALPN, h2c, multiplexing over shared connections, and a
//! server that answers GOAWAY or RST_STREAM.

use std::time::Duration;

use vajra_runner::transport::error::{
    HTTP2_GOAWAY, HTTP2_STREAM_RESET, TLS_NO_APPLICATION_PROTOCOL,
};

use crate::support::{self, H2Behaviour, Pki, ServerOptions};

fn plan(base: &str, top: &str, request: &str, load: &str) -> String {
    format!(
        "name: h2\nbase-url: {base}\n{top}scenarios:\n  - name: s\n    requests:\n      - url: /x\n{request}{load}"
    )
}

const TEN_IN_ONE_SECOND: &str = "load:\n  pattern: static\n  tps: 10\n  duration: 1s\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpn_picks_h2_when_the_server_offers_it_and_http1_when_not() {
    let pki = Pki::new();
    let tls = format!("tls:\n  ca-file: {}\n", pki.ca_file.display());
    let dir = tempfile::tempdir().unwrap();
    for (offered, http2) in [
        (&[&b"h2"[..], b"http/1.1"][..], true),
        (&[&b"http/1.1"[..]][..], false),
    ] {
        let server = support::start(ServerOptions {
            tls: Some(pki.server_config(pki.issue(&["127.0.0.1"], false), offered, false)),
            ..ServerOptions::default()
        })
        .await;
        let (_, rows) = support::run_plan(
            &plan(&server.url("https"), &tls, "", TEN_IN_ONE_SECOND),
            dir.path(),
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 10);
        support::assert_every(&rows, |r| r.success && r.code == "200");
        let seen = server.seen.requests();
        assert_eq!(seen.len(), 10);
        assert!(
            seen.iter().all(|r| r.http2 == http2),
            "offered {offered:?}: {seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_version_2_speaks_h2c_on_plain_http_with_bodies() {
    let server = support::start(ServerOptions {
        h2c: true,
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let request = "        method: POST\n        body: hello h2\n";
    let (_, rows) = support::run_plan(
        &plan(
            &server.url("http"),
            "http-version: 2\n",
            request,
            TEN_IN_ONE_SECOND,
        ),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 10);
    support::assert_every(&rows, |r| r.success);
    support::assert_every(&rows, |r| r.bytes > 2 && r.sent_bytes > 8);
    let seen = server.seen.requests();
    assert_eq!(seen.len(), 10);
    assert!(seen
        .iter()
        .all(|r| r.http2 && r.method == "POST" && r.body == "hello h2"));
    assert_eq!(server.seen.connections(), 1, "one shared connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_version_2_fails_each_sample_when_the_server_refuses_h2_by_alpn() {
    let pki = Pki::new();
    let server = support::start(ServerOptions {
        tls: Some(pki.server_config(pki.issue(&["127.0.0.1"], false), &[b"http/1.1"], false)),
        ..ServerOptions::default()
    })
    .await;
    let top = format!(
        "http-version: 2\ntls:\n  ca-file: {}\n",
        pki.ca_file.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, rows) = support::run_plan(
        &plan(&server.url("https"), &top, "", TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 10);
    support::assert_every(&rows, |r| {
        !r.success && r.code == TLS_NO_APPLICATION_PROTOCOL
    });
}

const SIX_USERS: &str = "load:\n  concurrency: 6\n  duration: 1s\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lanes_multiplex_streams_over_one_connection() {
    let server = support::start(ServerOptions {
        h2c: true,
        delay: Duration::from_millis(20),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (_, rows) = support::run_plan(
        &plan(&server.url("http"), "http-version: 2\n", "", SIX_USERS),
        dir.path(),
    )
    .await
    .unwrap();
    assert!(
        rows.len() > 6 * 10,
        "six users, 20 ms each, for 1 s: {}",
        rows.len()
    );
    support::assert_every(&rows, |r| r.success);
    assert_eq!(
        server.seen.connections(),
        1,
        "six users share one connection"
    );
    assert_eq!(server.seen.requests().len(), rows.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_connection_makes_lanes_open_another() {
    let server = support::start(ServerOptions {
        h2c: true,
        max_concurrent_streams: Some(2),
        delay: Duration::from_millis(20),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (_, rows) = support::run_plan(
        &plan(&server.url("http"), "http-version: 2\n", "", SIX_USERS),
        dir.path(),
    )
    .await
    .unwrap();
    support::assert_every(&rows, |r| r.success);
    // A connection is opened only when every open one is full (2 streams each): six users
    // need three, and never more.
    assert_eq!(server.seen.connections(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goaway_fails_the_request_in_flight_and_later_requests_use_a_new_connection() {
    let server = support::start(ServerOptions {
        h2c: true,
        h2: H2Behaviour::GoAway(h2::Reason::ENHANCE_YOUR_CALM),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (report, rows) = support::run_plan(
        &plan(
            &server.url("http"),
            "http-version: 2\n",
            "",
            TEN_IN_ONE_SECOND,
        ),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(report.arrivals.sent, 10);
    assert_eq!(rows.len(), 10, "every arrival has its row");
    for row in &rows {
        assert!(!row.success, "{row:?}");
        assert_eq!(row.code, HTTP2_GOAWAY, "{row:?}");
        assert!(row.message.contains("ENHANCE_YOUR_CALM"), "{row:?}");
    }
    assert_eq!(
        server.seen.connections(),
        10,
        "a connection after GOAWAY takes no new streams"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_stream_fails_its_sample_and_the_connection_carries_on() {
    let server = support::start(ServerOptions {
        h2c: true,
        h2: H2Behaviour::Reset(h2::Reason::REFUSED_STREAM),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (report, rows) = support::run_plan(
        &plan(
            &server.url("http"),
            "http-version: 2\n",
            "",
            TEN_IN_ONE_SECOND,
        ),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(report.arrivals.sent, 10);
    assert_eq!(rows.len(), 10, "every arrival has its row");
    for row in &rows {
        assert!(!row.success, "{row:?}");
        assert_eq!(row.code, HTTP2_STREAM_RESET, "{row:?}");
        assert!(row.message.contains("REFUSED_STREAM"), "{row:?}");
    }
    assert_eq!(server.seen.connections(), 1);
}
