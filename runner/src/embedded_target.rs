//! A small HTTP server on 127.0.0.1 that vajra can start itself (`target: embedded`), so the
//! quickstart plan shows a real run with no server of the user's own.
//!
//! Endpoints, chosen to show the things a load test should reveal:
//! - `/fast`: answers `ok` at once;
//! - `/slow`: answers after 20 ms (or `?ms=N`, at most 10 s);
//! - `/flaky`: every 10th request gets a 500, the rest `ok`;
//! - `/echo`: answers with the request body;
//! - `/json`: a small JSON document, `{"ok":true,"id":7,"name":"vajra","items":[…]}`;
//! - `/login` (POST): a new token as JSON, `{"token":"tok-N"}`, and a `session=sess-N` cookie;
//! - `/account`: `{"user":"demo","items":[{"id":1},{"id":2},{"id":3}]}` to a request with
//!   `Authorization: Bearer tok-…` and the session cookie, else 401: a login flow to try
//!   extractors, headers and cookies on;
//! - `/html`: a page with a form whose hidden `csrf` input holds a new token, `csrf-N`;
//! - `/xml`: a SOAP response with an order (`m:Order`, `m:Status`) and, for `?token=T`, an
//!   `m:Token` element holding T: a page and a service to try CSS and XPath on;
//! - anything else: 404.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running embedded target. The server stops when this is dropped.
pub struct EmbeddedTarget {
    addr: SocketAddr,
    accept_loop: JoinHandle<()>,
}

impl EmbeddedTarget {
    /// Starts the server on 127.0.0.1 with an OS-chosen port, on the current tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let accept_loop = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let counters = counters.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(req, counters.clone()));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(EmbeddedTarget { addr, accept_loop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL plans with `target: embedded` are joined to.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for EmbeddedTarget {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// Requests to the endpoints that count them.
#[derive(Default)]
struct Counters {
    flaky: AtomicU64,
    logins: AtomicU64,
    pages: AtomicU64,
}

const ACCOUNT: &str = r#"{"user":"demo","items":[{"id":1},{"id":2},{"id":3}]}"#;
const JSON: &str = r#"{"ok":true,"id":7,"name":"vajra","items":[{"id":1},{"id":2}]}"#;

/// The `/html` page around its token.
const PAGE: [&str; 2] = [
    "<!DOCTYPE html>\n<html>\n<head><title>vajra shop</title></head>\n<body>\n\
     <h1>Checkout</h1>\n<form method=\"post\" action=\"/xml\">\n\
     <input type=\"hidden\" name=\"csrf\" value=\"",
    "\">\n<input name=\"qty\" value=\"1\">\n</form>\n<ul><li>tea</li><li>milk</li></ul>\n\
     </body>\n</html>\n",
];

/// The `/xml` SOAP response around its token element.
const SOAP: [&str; 2] = [
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
     <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n\
     <soap:Body>\n<m:GetOrderResponse xmlns:m=\"urn:vajra:orders\">\n\
     <m:Order id=\"7\">\n<m:Status>shipped</m:Status>\n",
    "</m:Order>\n</m:GetOrderResponse>\n</soap:Body>\n</soap:Envelope>\n",
];

async fn handle(
    req: Request<Incoming>,
    counters: Arc<Counters>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match req.uri().path() {
        "/fast" => text(StatusCode::OK, "ok"),
        "/slow" => {
            let ms = query_param(req.uri().query(), "ms")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(20)
                .min(10_000);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            text(StatusCode::OK, "ok")
        }
        "/flaky" => {
            let n = counters.flaky.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(10) {
                text(StatusCode::INTERNAL_SERVER_ERROR, "flaky failure")
            } else {
                text(StatusCode::OK, "ok")
            }
        }
        "/echo" => {
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Response::new(Full::new(body))
        }
        "/json" => json(StatusCode::OK, Bytes::from_static(JSON.as_bytes())),
        "/login" if req.method() == http::Method::POST => {
            let n = counters.logins.fetch_add(1, Ordering::Relaxed) + 1;
            let mut response = json(StatusCode::OK, format!(r#"{{"token":"tok-{n}"}}"#).into());
            if let Ok(cookie) = http::HeaderValue::from_str(&format!("session=sess-{n}; Path=/")) {
                response
                    .headers_mut()
                    .insert(http::header::SET_COOKIE, cookie);
            }
            response
        }
        "/html" => {
            let n = counters.pages.fetch_add(1, Ordering::Relaxed) + 1;
            let page = format!("{}csrf-{n}{}", PAGE[0], PAGE[1]);
            typed(StatusCode::OK, "text/html; charset=utf-8", page.into())
        }
        "/xml" => {
            // Only characters that need no escaping in XML are echoed.
            let token = query_param(req.uri().query(), "token")
                .filter(|t| t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
                .map(|t| format!("<m:Token>{t}</m:Token>\n"))
                .unwrap_or_default();
            let body = format!("{}{token}{}", SOAP[0], SOAP[1]);
            typed(StatusCode::OK, "text/xml; charset=utf-8", body.into())
        }
        "/account" if signed_in(req.headers()) => {
            json(StatusCode::OK, Bytes::from_static(ACCOUNT.as_bytes()))
        }
        "/account" => json(
            StatusCode::UNAUTHORIZED,
            Bytes::from_static(br#"{"error":"unauthorized"}"#),
        ),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    };
    Ok(response)
}

/// A bearer token and a session cookie, as `/login` hands out.
fn signed_in(headers: &http::HeaderMap) -> bool {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer tok-"));
    let session = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(|c| c.trim().starts_with("session=sess-")));
    token && session
}

fn json(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    typed(status, "application/json", body)
}

fn typed(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::PreparedRequest;
    use crate::transport::{Connection, Transport};
    use http::{HeaderMap, Method};

    async fn get(conn: &mut Connection, url: &str) -> (u16, Bytes) {
        let request = PreparedRequest::new(
            Method::GET,
            url.parse().unwrap(),
            HeaderMap::new(),
            Bytes::new(),
            Duration::from_secs(5),
            true,
        )
        .unwrap();
        let exchange = conn.exchange(&request).await.unwrap();
        (exchange.status, exchange.body.unwrap())
    }

    #[tokio::test]
    async fn endpoints_answer_as_documented_over_one_kept_alive_connection() {
        let target = EmbeddedTarget::start().await.unwrap();
        let base = target.base_url();
        let transport = Transport::new(&vajra_plan::ClientSpec::default(), false).unwrap();
        let mut conn = Connection::new(std::sync::Arc::new(transport));
        assert_eq!(
            get(&mut conn, &format!("{base}/fast")).await,
            (200, "ok".into())
        );
        assert_eq!(get(&mut conn, &format!("{base}/nope")).await.0, 404);
        let started = std::time::Instant::now();
        assert_eq!(get(&mut conn, &format!("{base}/slow?ms=30")).await.0, 200);
        assert!(started.elapsed() >= Duration::from_millis(30));
        let flaky: Vec<u16> = {
            let mut codes = Vec::new();
            for _ in 0..20 {
                codes.push(get(&mut conn, &format!("{base}/flaky")).await.0);
            }
            codes
        };
        assert_eq!(flaky.iter().filter(|&&c| c == 500).count(), 2);
        assert!(get(&mut conn, &format!("{base}/json"))
            .await
            .1
            .starts_with(b"{\"ok\":true"));
        assert_eq!(get(&mut conn, &format!("{base}/account")).await.0, 401);
        let page = get(&mut conn, &format!("{base}/html")).await.1;
        assert!(String::from_utf8_lossy(&page).contains("name=\"csrf\" value=\"csrf-1\""));
        let soap = get(&mut conn, &format!("{base}/xml?token=csrf-1")).await.1;
        let soap = String::from_utf8_lossy(&soap);
        assert!(soap.contains("<m:Token>csrf-1</m:Token>"), "{soap}");
        let bad = get(&mut conn, &format!("{base}/xml?token=%3Cx%3E")).await.1;
        assert!(!String::from_utf8_lossy(&bad).contains("Token"));
    }

    #[test]
    fn signed_in_needs_the_token_and_the_cookie() {
        let mut headers = http::HeaderMap::new();
        headers.insert("authorization", "Bearer tok-3".parse().unwrap());
        assert!(!signed_in(&headers));
        headers.insert("cookie", "a=1; session=sess-3".parse().unwrap());
        assert!(signed_in(&headers));
        headers.insert("authorization", "Bearer other".parse().unwrap());
        assert!(!signed_in(&headers));
    }
}
