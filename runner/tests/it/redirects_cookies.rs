//! Redirects, cookies and keep-alive against real HTTP/1.1 servers on loopback.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::Response;

use crate::support::{self, redirect, text, Row, SeenRequest, ServerOptions};

/// The routes the redirect tests use; `other` is the base URL of a second server.
fn routes(other: String) -> support::Handler {
    Arc::new(move |method, uri, _| match (method.as_str(), uri.path()) {
        (_, "/chain/1") => redirect(302, "/chain/2"),
        (_, "/chain/2") => redirect(301, "3"),
        (_, "/chain/3") => text("done"),
        (_, "/loop") => redirect(302, "/loop"),
        ("POST", "/form") => redirect(303, "/result"),
        ("POST", "/keep") => redirect(307, "/kept"),
        (_, "/cross") => redirect(302, &format!("{other}/landing")),
        (_, "/bad") => redirect(302, "ftp://elsewhere/"),
        _ => text("ok"),
    })
}

fn plan(base: &str, requests: &str, load: &str) -> String {
    format!("name: r\nbase-url: {base}\nscenarios:\n  - name: s\n    requests:\n{requests}{load}")
}

const ONCE: &str = "load:\n  concurrency: 1\n  iterations: 1\n  duration: 30s\n";

async fn redirect_servers() -> (support::Server, support::Server) {
    let other = support::start(ServerOptions::default()).await;
    let main = support::start(ServerOptions {
        handler: routes(other.url("http")),
        ..ServerOptions::default()
    })
    .await;
    (main, other)
}

async fn one_row(base: &str, request: &str) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let (_, rows) = support::run_plan(&plan(base, request, ONCE), dir.path())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

fn paths(seen: &[SeenRequest]) -> Vec<String> {
    seen.iter()
        .map(|r| format!("{} {}", r.method, r.uri.path()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_chain_is_one_sample_with_the_final_url_and_summed_bytes() {
    let (server, _) = redirect_servers().await;
    let base = server.url("http");
    let row = one_row(
        &base,
        "      - url: /chain/1\n        follow-redirects: 5\n",
    )
    .await;
    assert_eq!((row.code.as_str(), row.success), ("200", true), "{row:?}");
    assert_eq!(row.url, format!("{base}/chain/3"));
    assert_eq!(
        paths(&server.seen.requests()),
        ["GET /chain/1", "GET /chain/2", "GET /chain/3"]
    );
    let single = one_row(&base, "      - url: /chain/3\n").await;
    assert!(
        row.sent_bytes > 2 * single.sent_bytes,
        "{row:?} vs {single:?}"
    );
    assert!(row.bytes > single.bytes, "{row:?} vs {single:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_follow_redirects_the_redirect_is_the_response() {
    let (server, _) = redirect_servers().await;
    let base = server.url("http");
    let row = one_row(&base, "      - url: /chain/1\n").await;
    assert_eq!((row.code.as_str(), row.success), ("302", true), "{row:?}");
    assert_eq!(row.url, format!("{base}/chain/1"));
    assert_eq!(server.seen.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_redirects_than_the_limit_fail_the_sample_with_the_last_redirect() {
    let (server, _) = redirect_servers().await;
    let row = one_row(
        &server.url("http"),
        "      - url: /loop\n        follow-redirects: 3\n",
    )
    .await;
    assert_eq!(row.code, "302", "{row:?}");
    assert!(!row.success);
    assert_eq!(row.failure, "more than 3 redirects");
    assert_eq!(
        server.seen.requests().len(),
        4,
        "the request and three hops"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_303_turns_a_post_into_a_get_and_a_307_keeps_it() {
    let (server, _) = redirect_servers().await;
    let base = server.url("http");
    let see_other = "      - url: /form\n        method: POST\n        body: a=1\n        headers:\n          Content-Type: application/x-www-form-urlencoded\n        follow-redirects: true\n";
    let row = one_row(&base, see_other).await;
    assert!(row.success, "{row:?}");
    let seen = server.seen.requests();
    assert_eq!(paths(&seen), ["POST /form", "GET /result"]);
    assert_eq!(seen[0].body, "a=1");
    assert!(seen[1].body.is_empty());

    let temporary = "      - url: /keep\n        method: POST\n        body: b=2\n        follow-redirects: true\n";
    one_row(&base, temporary).await;
    let seen = server.seen.requests();
    assert_eq!(paths(&seen[2..]), ["POST /keep", "POST /kept"]);
    assert_eq!(seen[3].body, "b=2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_origin_redirect_goes_to_the_other_server() {
    let (server, other) = redirect_servers().await;
    let row = one_row(
        &server.url("http"),
        "      - url: /cross\n        follow-redirects: true\n",
    )
    .await;
    assert!(row.success, "{row:?}");
    assert_eq!(row.url, format!("{}/landing", other.url("http")));
    assert_eq!(paths(&other.seen.requests()), ["GET /landing"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_scheme_is_a_failed_sample() {
    let (server, _) = redirect_servers().await;
    let row = one_row(
        &server.url("http"),
        "      - url: /bad\n        follow-redirects: true\n",
    )
    .await;
    assert!(!row.success);
    assert_eq!(
        row.code, "Non HTTP response code: InvalidRedirect",
        "{row:?}"
    );
}

/// `/login` sets a cookie unique to each call and redirects to `/home`.
fn cookie_routes() -> support::Handler {
    let logins = Arc::new(AtomicUsize::new(0));
    Arc::new(move |_, uri, _| match uri.path() {
        "/login" => {
            let n = logins.fetch_add(1, Ordering::SeqCst);
            Response::builder()
                .status(302)
                .header(http::header::LOCATION, "/home")
                .header(http::header::SET_COOKIE, format!("session=s{n}; Path=/"))
                .header(http::header::SET_COOKIE, "theme=dark; Path=/")
                .body(Bytes::new())
                .unwrap()
        }
        _ => text("ok"),
    })
}

const COOKIE_SCENARIO: &str = "    store-cookie: true\n    requests:\n      - url: /login\n        follow-redirects: true\n      - url: /next\n        headers:\n          Cookie: plan=1\n";

fn cookie_plan(base: &str, load: &str) -> String {
    format!("name: c\nbase-url: {base}\nscenarios:\n  - name: s\n{COOKIE_SCENARIO}{load}")
}

/// The session value a Cookie header carries.
fn session(cookie: &Option<String>) -> Option<String> {
    cookie
        .as_ref()?
        .split("; ")
        .find_map(|c| c.strip_prefix("session=").map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_virtual_users_cookies_reach_the_next_hop_and_request_and_stay_its_own() {
    let server = support::start(ServerOptions {
        handler: cookie_routes(),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let load = "load:\n  concurrency: 2\n  iterations: 3\n  duration: 30s\n";
    let (_, rows) = support::run_plan(&cookie_plan(&server.url("http"), load), dir.path())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2 * 3 * 2);
    support::assert_every(&rows, |r| r.success);
    let seen = server.seen.requests();
    // Each user keeps its connection, so a connection's requests are one user's, in order.
    let mut current: HashMap<usize, Option<String>> = HashMap::new();
    let mut sessions: HashMap<String, usize> = HashMap::new();
    for request in &seen {
        let user = request.connection;
        let mine = current.entry(user).or_default();
        let sent = session(&request.cookie);
        match request.uri.path() {
            // The jar lives for the user's life: from its second login on, the login sends
            // the cookie the previous one set.
            "/login" => assert_eq!(&sent, mine, "{request:?}"),
            "/home" => {
                assert!(
                    sent.is_some() && sent != *mine,
                    "hop 2 has the new cookie: {request:?}"
                );
                let cookie = request.cookie.as_deref().unwrap_or_default();
                assert!(cookie.contains("theme=dark"), "{cookie}");
                *mine = sent.clone();
                let owner = *sessions.entry(sent.unwrap()).or_insert(user);
                assert_eq!(owner, user, "a cookie is never shared between users");
            }
            "/next" => {
                let cookie = request.cookie.as_deref().unwrap_or_default();
                assert!(
                    cookie.starts_with("plan=1; "),
                    "the plan's cookie first: {cookie}"
                );
                assert_eq!(&sent, mine, "{request:?}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(sessions.len(), 6, "six logins, six cookies");
    assert_eq!(current.len(), 2, "two users, two connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_models_jar_lives_for_one_iteration() {
    let server = support::start(ServerOptions {
        handler: cookie_routes(),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let load = "load:\n  pattern: static\n  tps: 10\n  duration: 1s\n";
    let (_, rows) = support::run_plan(&cookie_plan(&server.url("http"), load), dir.path())
        .await
        .unwrap();
    assert_eq!(rows.len(), 20);
    let seen = server.seen.requests();
    for request in &seen {
        match request.uri.path() {
            "/login" => assert_eq!(request.cookie, None, "a new jar each iteration"),
            _ => assert!(session(&request.cookie).is_some(), "{request:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_store_cookie_no_cookie_is_sent() {
    let server = support::start(ServerOptions {
        handler: cookie_routes(),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = plan(
        &server.url("http"),
        "      - url: /login\n        follow-redirects: true\n      - url: /next\n",
        ONCE,
    );
    support::run_plan(&yaml, dir.path()).await.unwrap();
    let seen = server.seen.requests();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|r| r.cookie.is_none()), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_false_opens_a_connection_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let five = "load:\n  concurrency: 1\n  iterations: 5\n  duration: 30s\n";
    for (keepalive, connections) in [("false", 5), ("true", 1)] {
        let server = support::start(ServerOptions::default()).await;
        let request = format!("      - url: /x\n        keepalive: {keepalive}\n");
        let (_, rows) = support::run_plan(&plan(&server.url("http"), &request, five), dir.path())
            .await
            .unwrap();
        assert_eq!(rows.len(), 5);
        support::assert_every(&rows, |r| r.success);
        assert_eq!(
            server.seen.connections(),
            connections,
            "keepalive: {keepalive}"
        );
    }
}
