//! A lane's session: its [`Connection`], redirects, cookies and keep-alive.
//!
//! # Redirects (`follow-redirects: N`)
//!
//! A 301, 302, 303, 307 or 308 response with a `Location` is followed, up to N hops. A 303,
//! and a 301 or 302 answering a POST, becomes a GET without body (as browsers and JMeter do;
//! a HEAD stays a HEAD); 307 and 308 keep the method and body. A relative `Location` is
//! resolved against the URL of the request it answers, and a hop to another origin goes over
//! a connection to that origin (dropping `Authorization`, so credentials meant for one host do
//! not reach another).
//!
//! The hops make ONE sample, as a browser's user sees one page load:
//! - elapsed: from the intended start of the first request to the last byte of the final
//!   response; latency: to the final response's first byte;
//! - connect: the sum of the hops' connect times; bytes sent and received: the sums;
//! - URL: the final request's; status: the final response's;
//! - the request timeout covers all hops;
//! - more hops than N: the N-th redirect's response is the result, and the sample fails with
//!   "more than N redirects";
//! - a hop that fails below HTTP fails the sample with its error, and the URL is that hop's.
//!
//! # Cookies (`store-cookie: true`)
//!
//! A jar (the `cookie_store` crate, RFC 6265) per virtual user: the lane swaps the user's jar
//! in and out ([`Session::set_cookies`], [`Session::take_cookies`]). In the closed model it
//! lasts the user's life; in the open model each iteration starts from the lane's saved jar
//! (empty unless setup or a `once` block filled it). `Set-Cookie` of every response, redirect hops included, is stored; each
//! request and hop sends the jar's cookies for its URL in a `Cookie` header. A plan that sets a
//! `Cookie` header keeps it, and the jar's cookies are appended after it (`plan; jar`), so for a
//! name in both the plan's value comes first, which is the one servers read.
//!
//! # Keep-alive (`keepalive: false`)
//!
//! The request says `Connection: close` and the lane drops its HTTP/1.1 connection after the
//! exchange, so the next request opens a new one (a TLS session is resumed). HTTP/2 has no
//! `Connection` header and its connections are shared by streams, so `keepalive: false` does
//! not apply to it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use cookie_store::CookieStore;
use http::{HeaderValue, Method, Uri};

use crate::request::PreparedRequest;
use crate::transport::error::INVALID_REDIRECT;
use crate::transport::{Connection, Exchange, Transport, TransportError};

/// How one request of the plan is sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct SendOptions {
    /// Redirect hops to follow; `None`: a redirect is the response.
    pub follow_redirects: Option<u32>,
    pub keepalive: bool,
    pub store_cookie: bool,
}

/// The outcome of [`Session::send`].
#[derive(Debug)]
pub struct Sent {
    /// The final response, with connect time and byte counts summed over the hops.
    pub result: Result<Exchange, TransportError>,
    /// The final URL, when a redirect was followed.
    pub url: Option<Arc<str>>,
    /// Set when the redirect limit was reached: the result is the last redirect.
    pub too_many_redirects: Option<u32>,
}

impl Sent {
    pub fn failed(error: TransportError) -> Self {
        Sent {
            result: Err(error),
            url: None,
            too_many_redirects: None,
        }
    }
}

/// A lane's connection and cookie jar.
pub struct Session {
    connection: Connection,
    jar: Option<CookieStore>,
}

impl Session {
    pub fn new(transport: Arc<Transport>) -> Self {
        Session {
            connection: Connection::new(transport),
            jar: None,
        }
    }

    /// Whether the lane has a connection open.
    pub fn is_open(&self) -> bool {
        self.connection.is_open()
    }

    /// Drops the lane's connection (after an error or a timeout).
    pub fn reset(&mut self) {
        self.connection.reset();
    }

    /// Takes the cookie jar out (to keep it with the virtual user it belongs to).
    pub fn take_cookies(&mut self) -> Option<CookieStore> {
        self.jar.take()
    }

    /// Puts a virtual user's cookie jar in (`None`: an empty one).
    pub fn set_cookies(&mut self, jar: Option<CookieStore>) {
        self.jar = jar;
    }

    /// The cookie jar, to save a copy of it.
    pub fn cookies(&self) -> Option<&CookieStore> {
        self.jar.as_ref()
    }

    /// Sends `request`, following redirects as `options` say, and measures it as one sample.
    pub async fn send(&mut self, request: &PreparedRequest, options: SendOptions) -> Sent {
        let mut current = Cow::Borrowed(request);
        let mut hops = 0u32;
        let mut totals = Totals::default();
        let mut url = None;
        loop {
            let outgoing = self.decorate(&current, options);
            let result = self.connection.exchange(&outgoing).await;
            if !options.keepalive {
                self.connection.reset();
            }
            let exchange = match result {
                Ok(exchange) => exchange,
                Err(mut error) => {
                    error.connect += totals.connect;
                    return Sent {
                        result: Err(error),
                        url,
                        too_many_redirects: None,
                    };
                }
            };
            if options.store_cookie {
                self.store_cookies(current.uri(), &exchange);
            }
            let step = options
                .follow_redirects
                .and_then(|_| redirect_step(exchange.status, current.method()));
            let location = exchange.headers.location.clone();
            let (Some((method, keep_body)), Some(location)) = (step, location) else {
                return Sent {
                    result: Ok(totals.finish(exchange)),
                    url,
                    too_many_redirects: None,
                };
            };
            let limit = options.follow_redirects.unwrap_or_default();
            if hops >= limit {
                return Sent {
                    result: Ok(totals.finish(exchange)),
                    url,
                    too_many_redirects: Some(limit),
                };
            }
            totals.add(&exchange);
            let next = resolve_location(current.uri(), &location)
                .and_then(|uri| current.redirected(uri, method, keep_body));
            match next {
                Ok(next) => {
                    url = Some(Arc::from(next.uri().to_string()));
                    current = Cow::Owned(next);
                    hops += 1;
                }
                Err(problem) => {
                    let mut error = TransportError::new(
                        INVALID_REDIRECT,
                        format_args!("cannot follow the redirect: {problem}"),
                    );
                    error.connect = totals.connect;
                    return Sent {
                        result: Err(error),
                        url,
                        too_many_redirects: None,
                    };
                }
            }
        }
    }

    /// The request as sent: with the jar's cookies and `Connection: close` when asked for.
    fn decorate<'a>(
        &self,
        request: &'a PreparedRequest,
        options: SendOptions,
    ) -> Cow<'a, PreparedRequest> {
        let mut outgoing = Cow::Borrowed(request);
        if !options.keepalive {
            outgoing = Cow::Owned(
                outgoing.with_header(http::header::CONNECTION, HeaderValue::from_static("close")),
            );
        }
        if options.store_cookie {
            if let Some(cookie) = self.cookie_header(request) {
                outgoing = Cow::Owned(outgoing.with_header(http::header::COOKIE, cookie));
            }
        }
        outgoing
    }

    fn cookie_header(&self, request: &PreparedRequest) -> Option<HeaderValue> {
        let jar = self.jar.as_ref()?;
        let url = url::Url::parse(&request.uri().to_string()).ok()?;
        let from_jar = jar
            .get_request_values(&url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        if from_jar.is_empty() {
            return None;
        }
        let given = request
            .headers()
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>();
        let merged = merge_cookie_header(&given, &from_jar);
        HeaderValue::from_str(&merged).ok()
    }

    fn store_cookies(&mut self, uri: &Uri, exchange: &Exchange) {
        if exchange.headers.set_cookie.is_empty() {
            return;
        }
        let Ok(url) = url::Url::parse(&uri.to_string()) else {
            return;
        };
        let jar = self.jar.get_or_insert_with(CookieStore::default);
        for value in &exchange.headers.set_cookie {
            // A cookie the jar refuses (bad syntax, wrong domain) is ignored, as a browser
            // would.
            if let Ok(text) = value.to_str() {
                let _ = jar.parse(text, &url);
            }
        }
    }
}

/// Connect time and bytes of the hops before the final one.
#[derive(Default)]
struct Totals {
    connect: Duration,
    bytes_sent: u64,
    bytes_received: u64,
    first_sent_at: Option<std::time::Instant>,
}

impl Totals {
    fn add(&mut self, hop: &Exchange) {
        self.connect += hop.connect;
        self.bytes_sent += hop.bytes_sent;
        self.bytes_received += hop.bytes_received;
        self.first_sent_at.get_or_insert(hop.sent_at);
    }

    /// The final exchange, standing for all hops.
    fn finish(self, mut last: Exchange) -> Exchange {
        last.connect += self.connect;
        last.bytes_sent += self.bytes_sent;
        last.bytes_received += self.bytes_received;
        if let Some(first) = self.first_sent_at {
            last.sent_at = first;
        }
        last
    }
}

/// For a redirect status, the next request's method and whether it keeps the body.
pub fn redirect_step(status: u16, method: &Method) -> Option<(Method, bool)> {
    match status {
        301 | 302 if *method == Method::POST => Some((Method::GET, false)),
        301 | 302 | 307 | 308 => Some((method.clone(), true)),
        303 if *method == Method::HEAD => Some((Method::HEAD, false)),
        303 => Some((Method::GET, false)),
        _ => None,
    }
}

/// `location` resolved against `base`; an `http://` or `https://` URL.
pub fn resolve_location(base: &Uri, location: &HeaderValue) -> Result<Uri, String> {
    let location = location
        .to_str()
        .map_err(|_| "the Location header is not valid text".to_string())?;
    let base = url::Url::parse(&base.to_string()).map_err(|e| format!("{base}: {e}"))?;
    let next = base
        .join(location)
        .map_err(|e| format!("Location {location:?}: {e}"))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(format!(
            "Location {location:?} is not an http:// or https:// URL"
        ));
    }
    next.as_str()
        .parse()
        .map_err(|e| format!("Location {location:?}: {e}"))
}

/// The `Cookie` header from the plan's values and the jar's: the plan's first.
fn merge_cookie_header(given: &[&str], from_jar: &str) -> String {
    let mut parts: Vec<&str> = given.iter().copied().filter(|v| !v.is_empty()).collect();
    parts.push(from_jar);
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_methods_follow_browsers() {
        assert_eq!(
            redirect_step(301, &Method::POST),
            Some((Method::GET, false))
        );
        assert_eq!(
            redirect_step(302, &Method::POST),
            Some((Method::GET, false))
        );
        assert_eq!(redirect_step(302, &Method::PUT), Some((Method::PUT, true)));
        assert_eq!(
            redirect_step(303, &Method::POST),
            Some((Method::GET, false))
        );
        assert_eq!(
            redirect_step(303, &Method::HEAD),
            Some((Method::HEAD, false))
        );
        assert_eq!(
            redirect_step(307, &Method::POST),
            Some((Method::POST, true))
        );
        assert_eq!(
            redirect_step(308, &Method::DELETE),
            Some((Method::DELETE, true))
        );
        assert_eq!(redirect_step(304, &Method::GET), None);
        assert_eq!(redirect_step(200, &Method::GET), None);
    }

    #[test]
    fn locations_resolve_against_the_current_url() {
        let base: Uri = "http://a:1/x/y?q=1".parse().unwrap();
        let resolve = |l: &'static str| resolve_location(&base, &HeaderValue::from_static(l));
        assert_eq!(resolve("/z").unwrap(), "http://a:1/z");
        assert_eq!(resolve("w").unwrap(), "http://a:1/x/w");
        assert_eq!(resolve("?r=2").unwrap(), "http://a:1/x/y?r=2");
        assert_eq!(resolve("https://b/").unwrap(), "https://b/");
        assert_eq!(resolve("//c:2/p").unwrap(), "http://c:2/p");
        assert!(resolve("ftp://d/").unwrap_err().contains("not an http"));
    }

    #[test]
    fn the_plans_cookie_comes_before_the_jars() {
        assert_eq!(merge_cookie_header(&[], "a=1"), "a=1");
        assert_eq!(
            merge_cookie_header(&["s=plan"], "s=jar; a=1"),
            "s=plan; s=jar; a=1"
        );
    }
}
