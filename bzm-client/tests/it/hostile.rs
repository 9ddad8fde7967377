//! Servers on 127.0.0.1 that misbehave as a hostile or broken API would: an endless body, a
//! huge error message, a connection that is accepted and never answered. Every call must end
//! soon with a short, clear error.

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use bzm_client::{Error, RetryPolicy};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{assert_no_secret, builder, client, fast_retries, serve};

/// A raw server: each connection's request is read, then `answer` owns the socket.
/// Returns the base URL and a connection counter.
async fn raw_server<F, Fut>(answer: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut request = vec![0u8; 16 * 1024];
            let _ = socket.read(&mut request).await;
            tokio::spawn(answer(socket));
        }
    });
    (base, connections)
}

/// 200 OK, then a chunked JSON body that never ends (until the client hangs up).
async fn endless_body(mut socket: TcpStream) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "[".repeat(64 * 1024));
    while socket.write_all(chunk.as_bytes()).await.is_ok() {}
}

#[tokio::test]
async fn an_endless_body_stops_at_the_default_limit() {
    let (base, connections) = raw_server(endless_body).await;
    let started = Instant::now();
    let err = client(&base).accounts().list().await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit, .. } if limit == 16 << 20),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("the answer to GET /api/v4/accounts is larger than 16 MiB"),
        "{text}"
    );
    assert_no_secret(&err);
    // Refused at once: a bigger body will not come out smaller next time.
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_smaller_limit_is_configurable_and_covers_error_answers() {
    let (base, _) = raw_server(|mut socket: TcpStream| async move {
        let head = "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n";
        let _ = socket.write_all(head.as_bytes()).await;
        let chunk = format!("{:x}\r\n{}\r\n", 4096, "x".repeat(4096));
        while socket.write_all(chunk.as_bytes()).await.is_ok() {}
    })
    .await;
    let client = builder(&base).max_response_bytes(1000).build().unwrap();
    let err = client.users().me().await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the answer to GET /api/v4/user is larger than 1000 bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let (base, _) = raw_server(|mut socket: TcpStream| async move {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Content-Length: 1000000000000\r\n\r\n{";
        let _ = socket.write_all(head.as_bytes()).await;
        // Then silence: only the header can have refused it in time.
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let started = Instant::now();
    let err = client(&base).accounts().list().await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Lengths of the messages a 1 MB server text can reach the user through.
const HUGE: usize = 1 << 20;

fn assert_clipped(err: &Error, kept: &str) {
    let text = err.to_string();
    assert!(text.len() < 1500, "{} bytes: {}", text.len(), &text[..200]);
    assert!(text.contains(kept), "{text}");
    assert!(text.contains(" more bytes)"), "{text}");
    // Nor does a cause in the chain carry the whole text.
    let mut cause = err.source();
    while let Some(layer) = cause {
        assert!(layer.to_string().len() < 1500);
        cause = layer.source();
    }
}

#[tokio::test]
async fn a_one_megabyte_error_message_is_clipped() {
    let router = Router::new()
        .route(
            "/api/v4/projects",
            get(|| async {
                let message = "m".repeat(HUGE);
                let body = json!({ "error": { "code": 400, "message": message }, "result": null });
                (StatusCode::BAD_REQUEST, Json(body))
            }),
        )
        .route(
            "/api/v4/accounts",
            get(|| async {
                let body = json!({ "error": "e".repeat(HUGE), "result": null });
                Json(body)
            }),
        )
        .route(
            "/api/v4/user",
            get(|| async { (StatusCode::BAD_GATEWAY, "<html>".repeat(HUGE / 6)).into_response() }),
        )
        .route(
            "/api/v4/workspaces/{id}",
            get(|| async { Json(json!({ "result": { "id": "i".repeat(HUGE) } })) }),
        );
    let client = builder(&serve(router).await)
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let err = client.projects().list(9).send().await.unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }), "{err:?}");
    assert_clipped(
        &err,
        &format!("{}… ({} more bytes)", "m".repeat(500), HUGE - 500),
    );

    let err = client.accounts().list().await.unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
    assert_clipped(&err, &"e".repeat(500));

    let err = client.users().me().await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 502, .. }), "{err:?}");
    assert_clipped(&err, "<html><html>");

    // A wrong type quotes the value: that is server text too.
    let err = client.workspaces().get(3).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_clipped(&err, "`result.id`: invalid type: string");
}

/// Accepts, reads the request, and never answers (the socket stays open).
async fn silent(socket: TcpStream) {
    tokio::time::sleep(Duration::from_secs(60)).await;
    drop(socket);
}

#[tokio::test]
async fn a_server_that_never_answers_is_given_up_on_at_the_deadline() {
    let (base, connections) = raw_server(silent).await;
    let client = builder(&base)
        .timeout(Duration::from_millis(300))
        .deadline(Duration::from_secs(1))
        .retry(RetryPolicy {
            max_attempts: 50,
            ..fast_retries()
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.accounts().list().await.unwrap_err();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let Error::TimedOut {
        attempts,
        elapsed,
        limit,
        ref last,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(limit, Duration::from_secs(1));
    assert!(elapsed >= limit && elapsed <= took, "{elapsed:?}");
    // 300 ms per attempt plus short waits: three or four attempts fit in one second.
    // (Fewer on a loaded machine; never more.)
    assert!((2..=4).contains(&attempts), "{attempts}");
    // The last connection may not have been counted yet when the deadline cut it.
    let accepted = connections.load(Ordering::SeqCst) as u32;
    assert!(
        accepted == attempts || accepted + 1 == attempts,
        "{accepted}"
    );
    assert_no_secret(&err);
    assert!(
        matches!(last.as_deref(), Some(Error::Transport { .. })),
        "{last:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("BlazeMeter did not answer GET /api/v4/accounts in time: gave up after")
            && text.contains(&format!("{attempts} attempt(s) over 1."))
            && text.contains("the limit for one call is 1.0 s"),
        "{text}"
    );
}

#[tokio::test]
async fn the_deadline_cuts_a_slow_attempt_short() {
    let (base, connections) = raw_server(silent).await;
    let client = builder(&base)
        .timeout(Duration::from_secs(30))
        .deadline(Duration::from_millis(400))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.masters().status(5).send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(
            err,
            Error::TimedOut {
                attempts: 1,
                last: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.source().is_none());
    assert_no_secret(&err);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}
