//! The client side of a lane: how an exchange reaches the server.
//!
//! - [`stream`] opens TCP and, for `https://`, TLS ([`tls`] builds the run's one TLS
//!   configuration); the connect time includes the handshake.
//! - [`h1`] speaks HTTP/1.1 over a connection the lane owns: no pool lock on the hot path, the
//!   lane *is* the pool entry.
//! - [`h2`] speaks HTTP/2 over connections the run's lanes share per origin, multiplexing
//!   streams up to the server's limit.
//! - [`error`] turns everything that goes wrong below HTTP into a [`TransportError`] with a
//!   stable JTL code.
//!
//! [`Connection`] routes each exchange: HTTP/1.1 for `http-version: 1.1` and for `http://` with
//! `auto`; HTTP/2 for `http-version: 2` (h2c on `http://`); on `https://` with `auto`, what the
//! server chose by ALPN (remembered per origin for the run).

pub mod error;
pub mod h1;
pub mod h2;
pub mod stream;
pub mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use vajra_plan::{ClientSpec, HttpVersion};

pub use error::TransportError;
use h1::Http1;
use h2::{Acquired, Http2Pool, Mode, Negotiated};
use stream::{Connected, Stream};
pub use tls::{TlsClient, TlsConfigError, TlsSetup};

use crate::request::{Origin, PreparedRequest};

/// What one successful HTTP exchange measured.
#[derive(Debug)]
pub struct Exchange {
    /// When the request was handed to the connection (after any connect).
    pub sent_at: Instant,
    pub first_byte_at: Instant,
    pub done_at: Instant,
    /// Time spent opening a new connection (TCP and TLS) for this exchange; zero on reuse.
    pub connect: Duration,
    pub status: u16,
    pub bytes_received: u64,
    pub bytes_sent: u64,
    pub body: Option<Bytes>,
    pub headers: ResponseHeaders,
}

/// The response headers the session acts on.
#[derive(Debug, Default)]
pub struct ResponseHeaders {
    /// `Location`, on a redirect status only.
    pub location: Option<HeaderValue>,
    /// Every `Set-Cookie`.
    pub set_cookie: Vec<HeaderValue>,
    /// Every header, when the request keeps its response (a check or extractor reads it).
    pub all: Option<HeaderMap>,
}

impl ResponseHeaders {
    /// The headers the session needs from `headers`, and all of them when `keep_all`.
    pub fn from_map(status: StatusCode, mut headers: HeaderMap, keep_all: bool) -> Self {
        let all = keep_all.then(|| headers.clone());
        let location = if status.is_redirection() {
            headers.remove(http::header::LOCATION)
        } else {
            None
        };
        let set_cookie = match headers.entry(http::header::SET_COOKIE) {
            http::header::Entry::Occupied(entry) => entry.remove_entry_mult().1.collect(),
            http::header::Entry::Vacant(_) => Vec::new(),
        };
        ResponseHeaders {
            location,
            set_cookie,
            all,
        }
    }
}

/// What every connection of a run shares: the TLS configuration, the HTTP version asked for
/// and the HTTP/2 connections.
pub struct Transport {
    tls: TlsSetup,
    version: HttpVersion,
    h2: Http2Pool,
}

impl Transport {
    /// `uses_tls`: the plan is known to make `https://` requests (or configures TLS), so the TLS
    /// configuration is built now and its errors stop the run before it starts.
    pub fn new(client: &ClientSpec, uses_tls: bool) -> Result<Self, TlsConfigError> {
        let eager = uses_tls || client.tls != vajra_plan::TlsSpec::default();
        Ok(Transport {
            tls: TlsSetup::new(&client.tls, client.http_version, eager)?,
            version: client.http_version,
            h2: Http2Pool::default(),
        })
    }

    /// Whether TLS certificate verification is off (`tls.insecure`).
    pub fn tls_insecure(&self) -> bool {
        self.tls.insecure()
    }

    /// HTTP/2 connections opened so far.
    pub fn http2_connections_opened(&self) -> usize {
        self.h2.connections_opened()
    }
}

/// One lane's connection: its own HTTP/1.1 connection (opened lazily, reused while the server
/// keeps it alive, reopened when it closes or the request goes to another origin), or streams
/// on the run's shared HTTP/2 connections.
pub struct Connection {
    transport: Arc<Transport>,
    http1: Option<OpenHttp1>,
    used_http2: bool,
}

struct OpenHttp1 {
    origin: Arc<Origin>,
    connection: Http1<Stream>,
}

enum Route {
    Http1,
    Http2(Mode),
}

impl Connection {
    pub fn new(transport: Arc<Transport>) -> Self {
        Connection {
            transport,
            http1: None,
            used_http2: false,
        }
    }

    /// Sends `request`, waits for the whole response, and measures it. The caller applies the
    /// request timeout around this future; on timeout it must call [`Connection::reset`].
    pub async fn exchange(
        &mut self,
        request: &PreparedRequest,
    ) -> Result<Exchange, TransportError> {
        match self.route(request.origin()) {
            Route::Http1 => self.exchange_http1(request, None).await,
            Route::Http2(mode) => {
                let transport = self.transport.clone();
                let acquired = transport
                    .h2
                    .acquire(request.origin(), &transport.tls, mode)
                    .await?;
                match acquired {
                    Acquired::Stream(slot) => {
                        self.used_http2 = true;
                        transport.h2.exchange(slot, request, &transport.tls).await
                    }
                    Acquired::Http1(connected) => {
                        self.exchange_http1(request, Some(connected)).await
                    }
                    Acquired::UseHttp1 => self.exchange_http1(request, None).await,
                }
            }
        }
    }

    fn route(&self, origin: &Arc<Origin>) -> Route {
        match self.transport.version {
            HttpVersion::Http1 => Route::Http1,
            HttpVersion::Http2 => Route::Http2(Mode::Required),
            HttpVersion::Auto if !origin.tls => Route::Http1,
            HttpVersion::Auto => {
                let own = self
                    .http1
                    .as_ref()
                    .is_some_and(|open| open.origin == *origin);
                if own || self.transport.h2.negotiated(origin) == Negotiated::Http1 {
                    Route::Http1
                } else {
                    Route::Http2(Mode::IfNegotiated)
                }
            }
        }
    }

    /// An HTTP/1.1 exchange on the lane's own connection; `fresh` is a connection just opened
    /// (whose server chose HTTP/1.1 by ALPN).
    async fn exchange_http1(
        &mut self,
        request: &PreparedRequest,
        mut fresh: Option<Connected>,
    ) -> Result<Exchange, TransportError> {
        let origin = request.origin();
        let mut connect = Duration::ZERO;
        loop {
            // Taken out while in use: a timeout that drops this future drops the connection
            // too, since it is left in an unknown state.
            let reused = match self.http1.take() {
                Some(open)
                    if fresh.is_none() && open.origin == *origin && open.connection.is_ready() =>
                {
                    Some(open)
                }
                _ => None,
            };
            let mut open = match reused {
                Some(open) => open,
                None => {
                    let connected = match fresh.take() {
                        Some(connected) => connected,
                        None => stream::connect(origin, &self.transport.tls).await.map_err(
                            |mut e| {
                                e.connect += connect;
                                e
                            },
                        )?,
                    };
                    connect += connected.connect;
                    OpenHttp1 {
                        origin: origin.clone(),
                        connection: Http1::new(connected.stream),
                    }
                }
            };
            let stale_if_silent = open.connection.was_used();
            match open.connection.exchange(request).await {
                Ok(mut exchange) => {
                    if open.connection.is_ready() {
                        self.http1 = Some(open);
                    }
                    exchange.connect = connect;
                    return Ok(exchange);
                }
                // The server closed the kept-alive connection while it was idle (its keep-alive
                // timeout or request limit): nothing was processed, so the request goes again
                // on a new connection, as browsers and HTTP libraries do. Only once: a new
                // connection that says nothing is a real failure.
                Err(e) if stale_if_silent && e.nothing_received() => continue,
                Err(e) => {
                    let mut error = TransportError::from(&e);
                    error.connect = connect;
                    return Err(error);
                }
            }
        }
    }

    /// Whether the lane has a connection open (it may still turn out closed by the server).
    pub fn is_open(&self) -> bool {
        self.http1.is_some() || self.used_http2
    }

    /// Drops the lane's own connection, e.g. after a timeout left it in an unknown state or
    /// after `keepalive: false`. Shared HTTP/2 connections stay: their streams are separate.
    pub fn reset(&mut self) {
        self.http1 = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refused_connection_is_a_transport_error() {
        // Bind then drop a listener so the port is (almost certainly) closed.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let transport = Arc::new(Transport::new(&ClientSpec::default(), false).unwrap());
        let mut conn = Connection::new(transport);
        let request = PreparedRequest::new(
            http::Method::GET,
            format!("http://127.0.0.1:{port}/").parse().unwrap(),
            HeaderMap::new(),
            Bytes::new(),
            Duration::from_secs(1),
            false,
        )
        .unwrap();
        let err = conn.exchange(&request).await.unwrap_err();
        assert_eq!(err.code, "Non HTTP response code: ConnectionRefused");
        assert!(err.message.starts_with("Non HTTP response message: "));
    }

    #[tokio::test]
    async fn a_kept_alive_connection_closed_by_the_server_while_idle_is_retried_once() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // Answers one request per connection, keep-alive and all, then closes it silently, as a
        // server does when its keep-alive timeout passes between two requests.
        let server = tokio::spawn(async move {
            for _ in 0..2 {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await.unwrap();
                socket
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    .await
                    .unwrap();
            }
            2u32
        });
        let transport = Arc::new(Transport::new(&ClientSpec::default(), false).unwrap());
        let mut conn = Connection::new(transport);
        let request = PreparedRequest::new(
            http::Method::GET,
            format!("http://127.0.0.1:{port}/").parse().unwrap(),
            HeaderMap::new(),
            Bytes::new(),
            Duration::from_secs(5),
            false,
        )
        .unwrap();
        let first = conn.exchange(&request).await.unwrap();
        assert!(conn.is_open(), "the response allowed reuse");
        // Let the server's close reach this side first.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = conn.exchange(&request).await.unwrap();
        assert_eq!((first.status, second.status), (200, 200));
        assert!(
            second.connect > Duration::ZERO,
            "the retry opened a new connection"
        );
        assert_eq!(
            server.await.unwrap(),
            2,
            "two connections, one request each"
        );
    }

    #[test]
    fn only_redirects_carry_a_location() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::LOCATION, HeaderValue::from_static("/next"));
        headers.append(http::header::SET_COOKIE, HeaderValue::from_static("a=1"));
        headers.append(http::header::SET_COOKIE, HeaderValue::from_static("b=2"));
        let redirect = ResponseHeaders::from_map(StatusCode::FOUND, headers.clone(), false);
        assert_eq!(redirect.location.unwrap(), "/next");
        assert_eq!(redirect.set_cookie, ["a=1", "b=2"]);
        assert!(ResponseHeaders::from_map(StatusCode::OK, headers, true)
            .location
            .is_none());
    }
}
