//! https against a real rustls server with a test CA: verification and its failures, insecure
//! mode, mutual TLS, session resumption, and a server that cuts the handshake short.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vajra_runner::transport::error::{
    CONNECTION_CLOSED, TLS_CERTIFICATE_EXPIRED, TLS_CLIENT_CERTIFICATE_REJECTED,
    TLS_HOSTNAME_MISMATCH, TLS_UNKNOWN_CA,
};
use vajra_runner::RunError;

use crate::support::{self, Pki, Row, ServerOptions};

const HTTP1: &[&[u8]] = &[b"http/1.1"];

fn plan(base: &str, tls: &str, load: &str) -> String {
    format!(
        "name: tls\nbase-url: {base}\n{tls}scenarios:\n  - name: s\n    requests:\n      - url: /x\n{load}"
    )
}

const TEN_IN_ONE_SECOND: &str = "load:\n  pattern: static\n  tps: 10\n  duration: 1s\n";

async fn https_server(pki: &Pki, names: &[&str], expired: bool) -> support::Server {
    support::start(ServerOptions {
        tls: Some(pki.server_config(pki.issue(names, expired), HTTP1, false)),
        ..ServerOptions::default()
    })
    .await
}

/// Every arrival has its row and the rows all failed with `code`, whose message says `why`.
fn assert_all_failed(report: &vajra_runner::RunReport, rows: &[Row], code: &str, why: &str) {
    assert_eq!(report.arrivals.scheduled, 10);
    assert_eq!(
        report.arrivals.sent, 10,
        "the rate held: every arrival was sent"
    );
    assert_eq!(rows.len(), 10, "every arrival has its row");
    for row in rows {
        assert!(!row.success, "{row:?}");
        assert_eq!(row.code, code, "{row:?}");
        assert!(row.message.contains(why), "{row:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_plans_ca_file_succeeds() {
    let pki = Pki::new();
    let server = https_server(&pki, &["localhost", "127.0.0.1"], false).await;
    let tls = format!("tls:\n  ca-file: {}\n", pki.ca_file.display());
    let dir = tempfile::tempdir().unwrap();
    let (report, rows) = support::run_plan(
        &plan(&server.url("https"), &tls, TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 10);
    support::assert_every(&rows, |r| r.success && r.code == "200");
    support::assert_every(&rows, |r| r.url.starts_with("https://127.0.0.1:"));
    assert!(!report.tls_insecure);
    assert_eq!(server.seen.requests().len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_unknown_ca_fails_each_sample_and_the_run_completes() {
    let pki = Pki::new();
    let stranger = Pki::new();
    let server = https_server(&stranger, &["127.0.0.1"], false).await;
    let tls = format!("tls:\n  ca-file: {}\n", pki.ca_file.display());
    let dir = tempfile::tempdir().unwrap();
    let (report, rows) = support::run_plan(
        &plan(&server.url("https"), &tls, TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_all_failed(&report, &rows, TLS_UNKNOWN_CA, "not signed by a trusted CA");
    assert_eq!(server.seen.requests().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_host_fails_with_hostname_mismatch() {
    let pki = Pki::new();
    let server = https_server(&pki, &["other.example"], false).await;
    let tls = format!("tls:\n  ca-file: {}\n", pki.ca_file.display());
    let dir = tempfile::tempdir().unwrap();
    let (report, rows) = support::run_plan(
        &plan(&server.url("https"), &tls, TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_all_failed(
        &report,
        &rows,
        TLS_HOSTNAME_MISMATCH,
        "not valid for the host name",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_name_overrides_the_host_for_sni_and_verification() {
    let pki = Pki::new();
    let server = https_server(&pki, &["api.example"], false).await;
    let tls = format!(
        "tls:\n  ca-file: {}\n  server-name: api.example\n",
        pki.ca_file.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, rows) = support::run_plan(
        &plan(&server.url("https"), &tls, TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 10);
    support::assert_every(&rows, |r| r.success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_fails_with_expired() {
    let pki = Pki::new();
    let server = https_server(&pki, &["127.0.0.1"], true).await;
    let tls = format!("tls:\n  ca-file: {}\n", pki.ca_file.display());
    let dir = tempfile::tempdir().unwrap();
    let (report, rows) = support::run_plan(
        &plan(&server.url("https"), &tls, TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_all_failed(&report, &rows, TLS_CERTIFICATE_EXPIRED, "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_accepts_an_unknown_ca_and_says_so() {
    let stranger = Pki::new();
    let server = https_server(&stranger, &["other.example"], true).await;
    let dir = tempfile::tempdir().unwrap();
    let (report, rows) = support::run_plan(
        &plan(
            &server.url("https"),
            "tls:\n  insecure: true\n",
            TEN_IN_ONE_SECOND,
        ),
        dir.path(),
    )
    .await
    .unwrap();
    assert!(report.tls_insecure);
    assert_eq!(rows.len(), 10);
    support::assert_every(&rows, |r| r.success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_works_with_a_client_certificate_and_fails_without_one() {
    let pki = Pki::new();
    let server = support::start(ServerOptions {
        tls: Some(pki.server_config(pki.issue(&["127.0.0.1"], false), HTTP1, true)),
        ..ServerOptions::default()
    })
    .await;
    let (cert, key) = pki.client_files("client");
    let with_cert = format!(
        "tls:\n  ca-file: {}\n  client-cert: {}\n  client-key: {}\n",
        pki.ca_file.display(),
        cert.display(),
        key.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, rows) = support::run_plan(
        &plan(&server.url("https"), &with_cert, TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 10);
    support::assert_every(&rows, |r| r.success);

    let without = format!("tls:\n  ca-file: {}\n", pki.ca_file.display());
    let (report, rows) = support::run_plan(
        &plan(&server.url("https"), &without, TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_all_failed(
        &report,
        &rows,
        TLS_CLIENT_CERTIFICATE_REJECTED,
        "client certificate",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_resume_the_tls_session() {
    let pki = Pki::new();
    let server = https_server(&pki, &["127.0.0.1"], false).await;
    let yaml = format!(
        "name: resume\nbase-url: {}\ntls:\n  ca-file: {}\nscenarios:\n  - name: s\n    requests:\n      - url: /x\n        keepalive: false\nload:\n  concurrency: 1\n  iterations: 5\n  duration: 30s\n",
        server.url("https"),
        pki.ca_file.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, rows) = support::run_plan(&yaml, dir.path()).await.unwrap();
    assert_eq!(rows.len(), 5);
    support::assert_every(&rows, |r| r.success);
    let handshakes = server
        .seen
        .handshakes
        .load(std::sync::atomic::Ordering::SeqCst);
    let resumed = server
        .seen
        .resumed
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        handshakes, 5,
        "keepalive: false reconnects for every request"
    );
    assert_eq!(
        resumed, 4,
        "every handshake after the first resumes the session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_truncates_its_tls_record_fails_each_sample() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut hello = [0u8; 512];
                let _ = tcp.read(&mut hello).await;
                // A handshake record header announcing 80 bytes, then 3 of them, then close.
                let _ = tcp
                    .write_all(&[0x16, 0x03, 0x03, 0x00, 0x50, 0x02, 0x00, 0x00])
                    .await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (report, rows) = support::run_plan(
        &plan(&format!("https://{addr}"), "", TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .unwrap();
    assert_all_failed(&report, &rows, CONNECTION_CLOSED, "");
}

#[tokio::test]
async fn a_ca_file_that_holds_no_certificate_stops_the_run_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("broken-ca.pem");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let tls = format!("tls:\n  ca-file: {}\n", ca.display());
    let started = std::time::Instant::now();
    let err = support::run_plan(
        &plan("https://127.0.0.1:9", &tls, TEN_IN_ONE_SECOND),
        dir.path(),
    )
    .await
    .err()
    .expect("the run must not start");
    assert!(matches!(err, RunError::Tls(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("tls.ca-file") && text.contains("broken-ca.pem"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_plan_redirected_to_https_builds_its_tls_configuration_on_the_way() {
    let stranger = Pki::new();
    let secure = https_server(&stranger, &["127.0.0.1"], false).await;
    let target = format!("{}/landing", secure.url("https"));
    let plain = support::start(ServerOptions {
        handler: std::sync::Arc::new(move |_, _, _| support::redirect(302, &target)),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "name: up\nbase-url: {}\nscenarios:\n  - name: s\n    requests:\n      - url: /x\n        follow-redirects: true\n{TEN_IN_ONE_SECOND}",
        plain.url("http")
    );
    let (report, rows) = support::run_plan(&yaml, dir.path()).await.unwrap();
    assert_all_failed(&report, &rows, TLS_UNKNOWN_CA, "trusted CA");
    support::assert_every(&rows, |r| r.url.starts_with("https://"));
}
