//! Set-up shared by the test modules: loopback servers and a client with quick retries.

use std::time::Duration;

use axum::Router;
use bzm_client::{ApiKey, Client, ClientBuilder, RetryPolicy};
use tokio::net::TcpListener;

/// Serves `router` on an ephemeral loopback port; returns the base URL.
pub async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// Four attempts, 10 ms apart and doubling, without jitter: retries without slow tests.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        factor: 2.0,
        max_delay: Duration::from_secs(5),
        jitter: 0.0,
    }
}

/// A builder for `base` with [`fast_retries`] and a 5 s timeout per attempt.
pub fn builder(base: &str) -> ClientBuilder {
    Client::builder(ApiKey::new("key-id", "key-secret").unwrap())
        .base_url(base)
        .retry(fast_retries())
        .timeout(Duration::from_secs(5))
}

pub fn client(base: &str) -> Client {
    builder(base).build().unwrap()
}

/// Neither the error's `Debug` nor any message in its chain shows the key's secret.
pub fn assert_no_secret(error: &bzm_client::Error) {
    let mut shown = format!("{error:?} {error:#?}");
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(layer) = cause {
        shown.push_str(&layer.to_string());
        cause = layer.source();
    }
    assert!(!shown.contains("key-secret"), "{shown}");
    // Nor in Basic-auth form (base64 of `key-id:key-secret`).
    assert!(!shown.contains("a2V5LWlkOmtleS1zZWNyZXQ"), "{shown}");
}
