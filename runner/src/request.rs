//! A request ready to send: rendered, parsed and validated once, so sending does no parsing.
//!
//! Every [`PreparedRequest`] is built by [`PreparedRequest::new`] (or derived from one by
//! [`PreparedRequest::redirected`]), which derives what the transports need from the URL once:
//! the origin the connection goes to, the origin-form target (`/path?query`), the `Host`
//! header, and the HTTP/1.1 wire form, serialised once so sending a static request is writing
//! its bytes. Fields are read through accessors, so the wire form always matches them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::uri::Scheme;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// Where a connection goes: scheme, host and port. Requests to the same origin share a
/// connection (one lane's HTTP/1.1 connection, or an HTTP/2 connection of the run's pool).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub tls: bool,
    /// Host as written in the URL (an IPv6 literal keeps its brackets).
    pub host: Box<str>,
    pub port: u16,
}

impl Origin {
    /// The host without IPv6 brackets, for DNS and TLS server names.
    pub fn bare_host(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    method: Method,
    /// Absolute `http://` or `https://` URI.
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    timeout: Duration,
    /// Keep the response body (a check or extractor reads it); otherwise it is only counted.
    keep_body: bool,
    /// Keep every response header (a check or extractor reads them); otherwise only
    /// `Location` and `Set-Cookie` are kept.
    keep_headers: bool,
    origin: Arc<Origin>,
    /// The origin-form target (`/path?query`) HTTP/1.1 sends.
    target: Uri,
    host: HeaderValue,
    /// The request as HTTP/1.1 bytes ([`crate::transport::h1::serialize_request`]).
    wire: Bytes,
    /// The request says `Connection: close`: the server ends the connection after it.
    closes_connection: bool,
}

impl PreparedRequest {
    /// Checks that `uri` is an absolute `http://` or `https://` URL and prepares the request.
    pub fn new(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
        timeout: Duration,
        keep_body: bool,
    ) -> Result<Self, String> {
        let origin = origin_of(&uri)?;
        let authority = uri
            .authority()
            .ok_or_else(|| format!("{uri}: the URL has no host"))?;
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|_| format!("{uri}: the host is not valid in a Host header"))?;
        let target = Uri::try_from(uri.path_and_query().map_or("/", |p| p.as_str()))
            .map_err(|e| format!("{uri}: {e}"))?;
        let mut request = PreparedRequest {
            method,
            uri,
            headers,
            body,
            timeout,
            keep_body,
            keep_headers: false,
            origin: Arc::new(origin),
            target,
            host,
            wire: Bytes::new(),
            closes_connection: false,
        };
        request.serialize();
        Ok(request)
    }

    /// Derives the wire form and what it implies from the fields.
    fn serialize(&mut self) {
        self.wire = crate::transport::h1::serialize_request(
            &self.method,
            self.target.path_and_query().map_or("/", |p| p.as_str()),
            // The authority was checked to be a valid header value, so it is visible ASCII.
            std::str::from_utf8(self.host.as_bytes()).unwrap_or_default(),
            &self.headers,
            &self.body,
        );
        self.closes_connection = self
            .headers
            .get_all(http::header::CONNECTION)
            .iter()
            .flat_map(|v| v.as_bytes().split(|&b| b == b','))
            .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
    }

    /// The request a redirect to `uri` makes of this one: `method`, and the body only when
    /// `keep_body` (a 303, or a 301/302 after a POST, drops it, with the headers that described
    /// it). A hop to another origin drops `Authorization`, so credentials meant for one host
    /// are not handed to another.
    pub fn redirected(&self, uri: Uri, method: Method, keep_body: bool) -> Result<Self, String> {
        let mut headers = self.headers.clone();
        if origin_of(&uri)? != *self.origin {
            headers.remove(http::header::AUTHORIZATION);
        }
        let body = if keep_body {
            self.body.clone()
        } else {
            for name in [
                http::header::CONTENT_LENGTH,
                http::header::CONTENT_TYPE,
                http::header::CONTENT_ENCODING,
                http::header::TRANSFER_ENCODING,
            ] {
                headers.remove(name);
            }
            Bytes::new()
        };
        let next = PreparedRequest::new(method, uri, headers, body, self.timeout, self.keep_body)?;
        Ok(next.keeping_headers(self.keep_headers))
    }

    /// This request, keeping every response header when `keep` is true.
    pub fn keeping_headers(mut self, keep: bool) -> Self {
        self.keep_headers = keep;
        self
    }

    /// This request with `value` set as header `name` (replacing any value it had).
    pub fn with_header(&self, name: HeaderName, value: HeaderValue) -> Self {
        let mut next = self.clone();
        next.headers.insert(name, value);
        next.serialize();
        next
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn keep_body(&self) -> bool {
        self.keep_body
    }

    pub fn keep_headers(&self) -> bool {
        self.keep_headers
    }

    pub fn origin(&self) -> &Arc<Origin> {
        &self.origin
    }

    /// The origin-form target, `/path?query`.
    pub fn target(&self) -> &Uri {
        &self.target
    }

    /// The `Host` header value (the URL's authority).
    pub fn host(&self) -> &HeaderValue {
        &self.host
    }

    /// The request as HTTP/1.1 sends it: request line, headers and body.
    pub fn wire(&self) -> &Bytes {
        &self.wire
    }

    /// Whether the request asks the server to close the connection after it.
    pub fn closes_connection(&self) -> bool {
        self.closes_connection
    }

    /// Bytes the request puts on the wire over HTTP/1.1: exactly its serialised form.
    pub fn wire_size(&self) -> u64 {
        self.wire.len() as u64
    }
}

/// The origin of an absolute `http://` or `https://` URL.
fn origin_of(uri: &Uri) -> Result<Origin, String> {
    let tls = match uri.scheme() {
        Some(s) if *s == Scheme::HTTP => false,
        Some(s) if *s == Scheme::HTTPS => true,
        _ => return Err(format!("{uri}: not an absolute http:// or https:// URL")),
    };
    let authority = uri
        .authority()
        .filter(|a| !a.host().is_empty())
        .ok_or_else(|| format!("{uri}: the URL has no host"))?;
    Ok(Origin {
        tls,
        host: authority.host().into(),
        port: authority.port_u16().unwrap_or(if tls { 443 } else { 80 }),
    })
}

/// Size of a header block as HTTP/1.1 text: `name: value\r\n` per header.
pub(crate) fn header_block_size(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str) -> PreparedRequest {
        PreparedRequest::new(
            Method::GET,
            uri.parse().unwrap(),
            HeaderMap::new(),
            Bytes::new(),
            Duration::from_secs(1),
            false,
        )
        .unwrap()
    }

    #[test]
    fn absolute_http_and_https_uris_are_accepted() {
        let http = origin_of(&"http://127.0.0.1:8080/x".parse().unwrap()).unwrap();
        assert_eq!(
            (http.tls, &*http.host, http.port),
            (false, "127.0.0.1", 8080)
        );
        let https = origin_of(&"https://example.com/".parse().unwrap()).unwrap();
        assert_eq!((https.tls, https.port), (true, 443));
        let v6 = origin_of(&"http://[::1]/".parse().unwrap()).unwrap();
        assert_eq!((v6.bare_host(), v6.port), ("::1", 80));
        assert!(origin_of(&"/relative".parse().unwrap()).is_err());
        assert!(origin_of(&"ftp://h/".parse().unwrap()).is_err());
    }

    #[test]
    fn wire_size_counts_line_host_headers_and_body() {
        let r = request("http://h:1/ab?c");
        // "GET /ab?c HTTP/1.1\r\n" (20) + "host: h:1\r\n" (11) + "\r\n" (2)
        assert_eq!(r.wire_size(), 33);
        assert_eq!(&r.wire()[..], b"GET /ab?c HTTP/1.1\r\nhost: h:1\r\n\r\n");
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("b"));
        let r = PreparedRequest::new(
            Method::PUT,
            "http://h:1/ab?c".parse().unwrap(),
            headers,
            Bytes::from_static(b"hello"),
            Duration::from_secs(1),
            false,
        )
        .unwrap();
        // + "x-a: b\r\n" (8) + "content-length: 5\r\n" (19) + body (5)
        assert_eq!(r.wire_size(), 33 + 8 + 19 + 5);
        assert!(!r.closes_connection());
        let closing = r.with_header(http::header::CONNECTION, HeaderValue::from_static("close"));
        assert!(closing.closes_connection());
        let text = std::str::from_utf8(closing.wire()).unwrap();
        assert!(text.contains("\r\nconnection: close\r\n"), "{text}");
        assert_eq!(closing.wire_size(), r.wire_size() + 19);
    }

    #[test]
    fn a_redirect_without_body_drops_body_headers_and_cross_origin_drops_credentials() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain"),
        );
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer x"),
        );
        let post = PreparedRequest::new(
            Method::POST,
            "http://a/form".parse().unwrap(),
            headers,
            Bytes::from_static(b"k=v"),
            Duration::from_secs(1),
            false,
        )
        .unwrap();
        let same = post
            .redirected("http://a/done".parse().unwrap(), Method::GET, false)
            .unwrap();
        assert_eq!(same.method(), Method::GET);
        assert!(same.body().is_empty());
        assert!(!same.headers().contains_key(http::header::CONTENT_TYPE));
        assert!(same.headers().contains_key(http::header::AUTHORIZATION));
        let kept = post
            .redirected("https://b/x".parse().unwrap(), Method::POST, true)
            .unwrap();
        assert_eq!(kept.body().as_ref(), b"k=v");
        assert!(!kept.headers().contains_key(http::header::AUTHORIZATION));
        assert_eq!(kept.host(), "b");
        assert_eq!(kept.target(), "/x");
    }
}
