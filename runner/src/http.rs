//! The HTTP/1.1 client side of a lane: one kept-alive connection, one exchange at a time.
//!
//! A [`Connection`] belongs to exactly one lane (a connection slot in the open model, a virtual
//! user in the closed one), so there is no pool lock on the hot path: the lane *is* the pool
//! entry. An exchange reports the instants the runner needs (send, first byte, last byte), the
//! connect time when a new connection had to be opened, and byte counts. Anything that goes
//! wrong below HTTP becomes a [`TransportError`] with a stable JTL code, never a panic.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{HeaderMap, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A request ready to send: rendered, parsed and validated once by the caller.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub method: Method,
    /// Absolute `http://` URI.
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub timeout: Duration,
    /// Keep the response body (for `body-contains` assertions); otherwise it is only counted.
    pub keep_body: bool,
    /// Derived once, so sending does no parsing: the origin-form target (`/path?query`) and
    /// the `Host` header.
    origin: Uri,
    host: HeaderValue,
}

impl PreparedRequest {
    /// Checks that `uri` is an absolute `http://` URL and prepares the request for sending.
    pub fn new(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
        timeout: Duration,
        keep_body: bool,
    ) -> Result<Self, String> {
        Self::check_uri(&uri)?;
        let authority = uri.authority().expect("check_uri guarantees an authority");
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|_| format!("{uri}: the host is not valid in a Host header"))?;
        let origin = Uri::try_from(uri.path_and_query().map_or("/", |p| p.as_str()))
            .map_err(|e| format!("{uri}: {e}"))?;
        Ok(PreparedRequest {
            method,
            uri,
            headers,
            body,
            timeout,
            keep_body,
            origin,
            host,
        })
    }

    fn check_uri(uri: &Uri) -> Result<(), String> {
        match uri.scheme() {
            Some(s) if *s == Scheme::HTTP => {}
            Some(s) if *s == Scheme::HTTPS => {
                return Err(format!(
                    "{uri}: https targets are not supported yet; use http:// (vajra targets plain HTTP/1.1)"
                ))
            }
            _ => return Err(format!("{uri}: not an absolute http:// URL")),
        }
        if uri.authority().is_none() {
            return Err(format!("{uri}: the URL has no host"));
        }
        Ok(())
    }

    /// Bytes the request puts on the wire: request line, headers (with the Host header added
    /// by the client) and body. Computed, since hyper does not report it.
    pub fn wire_size(&self) -> u64 {
        let path = self.uri.path_and_query().map_or(1, |p| p.as_str().len());
        let host = self.uri.authority().map_or(0, |a| a.as_str().len());
        let line = self.method.as_str().len() + 1 + path + " HTTP/1.1\r\n".len();
        let host_header = "host: \r\n".len() + host;
        let mut size = line + host_header + header_block_size(&self.headers) + 2;
        if !self.body.is_empty() && !self.headers.contains_key(http::header::CONTENT_LENGTH) {
            size +=
                "content-length: \r\n".len() + itoa::Buffer::new().format(self.body.len()).len();
        }
        (size + self.body.len()) as u64
    }
}

fn header_block_size(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum()
}

/// What one successful HTTP exchange measured.
#[derive(Debug)]
pub struct Exchange {
    /// When the request was handed to the connection (after any connect).
    pub sent_at: Instant,
    pub first_byte_at: Instant,
    pub done_at: Instant,
    /// Time spent opening a new connection for this exchange; zero on reuse.
    pub connect: Duration,
    pub status: u16,
    pub bytes_received: u64,
    pub body: Option<Bytes>,
}

/// A failure below HTTP. `code` and `message` are the JTL `responseCode`/`responseMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub code: &'static str,
    pub message: String,
    /// Connect time already spent before the failure, if a connect was attempted.
    pub connect: Duration,
}

impl TransportError {
    fn new(code: &'static str, cause: impl std::fmt::Display) -> Self {
        TransportError {
            code,
            message: format!("Non HTTP response message: {cause}"),
            connect: Duration::ZERO,
        }
    }

    pub fn timeout(after: Duration) -> Self {
        Self::new(
            "Non HTTP response code: Timeout",
            format_args!("no complete response within {} ms", after.as_millis()),
        )
    }

    pub fn cancelled() -> Self {
        Self::new(
            vajra_stats::sample::CANCELLED_CODE,
            "the test stopped before the response completed",
        )
    }

    fn from_io(err: &std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        let code = match err.kind() {
            ConnectionRefused => "Non HTTP response code: ConnectionRefused",
            ConnectionReset => "Non HTTP response code: ConnectionReset",
            ConnectionAborted => "Non HTTP response code: ConnectionAborted",
            TimedOut => "Non HTTP response code: Timeout",
            AddrNotAvailable | AddrInUse => "Non HTTP response code: AddressUnavailable",
            NotFound => "Non HTTP response code: UnknownHost",
            _ => "Non HTTP response code: IoError",
        };
        Self::new(code, err)
    }

    fn from_hyper(err: &hyper::Error) -> Self {
        let code = if err.is_incomplete_message() || err.is_canceled() || err.is_closed() {
            "Non HTTP response code: ConnectionClosed"
        } else if err.is_parse() {
            "Non HTTP response code: InvalidResponse"
        } else {
            "Non HTTP response code: HttpError"
        };
        Self::new(code, err)
    }
}

/// One lane's connection: opened lazily, reused while the server keeps it alive, and reopened
/// when it closes or when the request goes to another host.
#[derive(Default)]
pub struct Connection {
    open: Option<OpenConnection>,
}

struct OpenConnection {
    authority: Authority,
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Connection {
    /// Sends `request`, waits for the whole response, and measures it. The caller applies the
    /// request timeout around this future; on timeout it must call [`Connection::reset`].
    pub async fn exchange(
        &mut self,
        request: &PreparedRequest,
    ) -> Result<Exchange, TransportError> {
        let authority = request
            .uri
            .authority()
            .expect("PreparedRequest::new guarantees an authority");
        let connect_started = Instant::now();
        let mut connect = Duration::ZERO;
        let reusable = match &mut self.open {
            Some(open) if open.authority == *authority => open.sender.ready().await.is_ok(),
            _ => false,
        };
        if !reusable {
            self.open = None;
            let sender = open_connection(authority).await.map_err(|mut e| {
                e.connect = connect_started.elapsed();
                e
            })?;
            connect = connect_started.elapsed();
            self.open = Some(OpenConnection {
                authority: authority.clone(),
                sender,
            });
        }
        let open = self.open.as_mut().expect("opened above");

        let mut http_request = Request::new(Full::new(request.body.clone()));
        *http_request.method_mut() = request.method.clone();
        *http_request.uri_mut() = request.origin.clone();
        let headers = http_request.headers_mut();
        headers.reserve(request.headers.len() + 1);
        headers.insert(http::header::HOST, request.host.clone());
        for (name, value) in &request.headers {
            headers.append(name, value.clone());
        }

        let sent_at = Instant::now();
        let response = match open.sender.send_request(http_request).await {
            Ok(response) => response,
            Err(e) => {
                self.open = None;
                return Err(TransportError::from_hyper(&e));
            }
        };
        let first_byte_at = Instant::now();
        let status = response.status().as_u16();
        let head_size = response_head_size(response.status(), response.headers());
        let mut body_size = 0u64;
        let mut kept = request.keep_body.then(Vec::new);
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(frame) => frame,
                Err(e) => {
                    self.open = None;
                    return Err(TransportError::from_hyper(&e));
                }
            };
            if let Some(data) = frame.data_ref() {
                body_size += data.len() as u64;
                if let Some(kept) = kept.as_mut() {
                    kept.extend_from_slice(data);
                }
            }
        }
        Ok(Exchange {
            sent_at,
            first_byte_at,
            done_at: Instant::now(),
            connect,
            status,
            bytes_received: head_size + body_size,
            body: kept.map(Bytes::from),
        })
    }

    /// Whether a connection is open (it may still turn out closed by the server).
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Drops the connection, e.g. after a timeout left it in an unknown state.
    pub fn reset(&mut self) {
        self.open = None;
    }
}

async fn open_connection(
    authority: &Authority,
) -> Result<http1::SendRequest<Full<Bytes>>, TransportError> {
    let port = authority.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((authority.host(), port))
        .await
        .map_err(|e| TransportError::from_io(&e))?;
    // Small requests must not wait for Nagle's algorithm.
    stream
        .set_nodelay(true)
        .map_err(|e| TransportError::from_io(&e))?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| TransportError::from_hyper(&e))?;
    tokio::spawn(async move {
        // The connection ends when the server closes it or the sender is dropped; either way
        // the next exchange notices through `ready()` and reconnects.
        let _ = connection.await;
    });
    Ok(sender)
}

/// Size of the status line and headers as received (hyper does not expose the raw count).
fn response_head_size(status: http::StatusCode, headers: &HeaderMap) -> u64 {
    let reason = status.canonical_reason().unwrap_or("");
    let line = "HTTP/1.1 ".len() + 3 + 1 + reason.len() + 2;
    (line + header_block_size(headers) + 2) as u64
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
    fn only_absolute_http_uris_are_accepted() {
        assert!(PreparedRequest::check_uri(&"http://127.0.0.1:8080/x".parse().unwrap()).is_ok());
        let https = PreparedRequest::check_uri(&"https://example.com/".parse().unwrap());
        assert!(https.unwrap_err().contains("https"));
        assert!(PreparedRequest::check_uri(&"/relative".parse().unwrap()).is_err());
    }

    #[test]
    fn wire_size_counts_line_host_headers_and_body() {
        let mut r = request("http://h:1/ab?c");
        // "GET /ab?c HTTP/1.1\r\n" (20) + "host: h:1\r\n" (11) + "\r\n" (2)
        assert_eq!(r.wire_size(), 33);
        r.headers.insert("x-a", HeaderValue::from_static("b"));
        r.body = Bytes::from_static(b"hello");
        // + "x-a: b\r\n" (8) + "content-length: 5\r\n" (19) + body (5)
        assert_eq!(r.wire_size(), 33 + 8 + 19 + 5);
    }

    #[tokio::test]
    async fn refused_connection_is_a_transport_error() {
        // Bind then drop a listener so the port is (almost certainly) closed.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut conn = Connection::default();
        let err = conn
            .exchange(&request(&format!("http://127.0.0.1:{port}/")))
            .await
            .unwrap_err();
        assert_eq!(err.code, "Non HTTP response code: ConnectionRefused");
        assert!(err.message.starts_with("Non HTTP response message: "));
    }
}
