//! HTTP/2 (the `h2` crate): connections shared by the lanes of a run, per origin.
//!
//! `http-version: 2` uses HTTP/2 on every origin: ALPN `h2` on `https://`, prior-knowledge
//! h2c on `http://`. With `auto`, an `https://` origin whose server picks `h2` by ALPN goes
//! here too. A lane does not own an HTTP/2 connection: it takes a stream on the first
//! connection of the origin with a free slot, up to the server's SETTINGS_MAX_CONCURRENT_STREAMS
//! (a new connection is used once a PING round trip shows the server's SETTINGS have
//! arrived), and a new connection is opened only when
//! every one is full. One lane at a time opens a connection per origin, so a burst of lanes
//! shares the first connection instead of each opening its own.
//!
//! A connection that received GOAWAY (or whose socket closed) takes no new streams. A request
//! in flight when the server sends GOAWAY or RST_STREAM is a failed sample whose code names the
//! frame (`Http2GoAway`, `Http2StreamReset`) and whose message gives the reason. A request the
//! connection refused before sending it (it had just received GOAWAY) is retried on another
//! connection, since the server never saw it.
//!
//! Connect time: the stream that opened the connection reports TCP, TLS and the SETTINGS
//! round trip; streams on a connection already open report none.
//!
//! Bytes: a header block counts as its decoded `name: value\r\n` text, pseudo-headers
//! included (the HPACK-compressed size on the wire is smaller and h2 does not report it), the
//! body as its DATA payload; frame headers and control frames are not counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::SendRequest;
use http::{HeaderMap, Request};

use super::error::{TransportError, HTTP2_NOT_NEGOTIATED};
use super::stream::{self, Connected, Stream};
use super::tls::TlsSetup;
use super::{Exchange, ResponseHeaders};
use crate::request::{header_block_size, Origin, PreparedRequest};

/// Streams assumed allowed on a new connection before the server's SETTINGS say otherwise.
const INITIAL_MAX_STREAMS: usize = 100;
/// Flow-control windows we grant the server, so large responses are not throttled by the
/// protocol's 64 KiB default.
const STREAM_WINDOW: u32 = 4 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 16 * 1024 * 1024;
/// Connections tried for one request when each turns out to have just received GOAWAY.
const ATTEMPTS: usize = 3;

/// What an `https://` origin chose by ALPN, as far as the run knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Negotiated {
    Unknown = 0,
    Http1 = 1,
    Http2 = 2,
}

/// How a lane wants HTTP/2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `http-version: 2`: HTTP/2 or a failed sample.
    Required,
    /// `auto` on `https://`: HTTP/2 if the server picks it by ALPN.
    IfNegotiated,
}

/// What [`Http2Pool::acquire`] found.
pub enum Acquired {
    Stream(StreamSlot),
    /// The server chose HTTP/1.1 on this new connection (only with [`Mode::IfNegotiated`]).
    Http1(Connected),
    /// The origin is known to speak HTTP/1.1: the lane uses its own connection.
    UseHttp1,
}

/// The run's HTTP/2 connections, by origin.
#[derive(Default)]
pub struct Http2Pool {
    origins: Mutex<HashMap<Arc<Origin>, Arc<OriginState>>>,
    /// Connections opened, over the run (for tests and reports).
    opened: AtomicUsize,
}

#[derive(Default)]
struct OriginState {
    connections: Mutex<Vec<Arc<H2Connection>>>,
    negotiated: AtomicU8,
    /// Held by the one lane opening a connection to this origin.
    opener: tokio::sync::Mutex<()>,
}

struct H2Connection {
    send: SendRequest<Bytes>,
    in_flight: AtomicUsize,
    /// Cleared on GOAWAY, a connection error, or when the connection's driver ends.
    usable: Arc<AtomicBool>,
}

/// One stream's place on a connection; gives it back when dropped (also on timeout).
pub struct StreamSlot {
    connection: Arc<H2Connection>,
    /// Time spent opening the connection, when this stream opened it.
    connect: Duration,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.connection.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Updates are complete before a lock is released, so a poisoned lock is still consistent.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Http2Pool {
    /// What ALPN chose for `origin` so far.
    pub fn negotiated(&self, origin: &Arc<Origin>) -> Negotiated {
        match lock(&self.origins).get(origin) {
            Some(state) => match state.negotiated.load(Ordering::Acquire) {
                1 => Negotiated::Http1,
                2 => Negotiated::Http2,
                _ => Negotiated::Unknown,
            },
            None => Negotiated::Unknown,
        }
    }

    /// HTTP/2 connections opened so far.
    pub fn connections_opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }

    fn state(&self, origin: &Arc<Origin>) -> Arc<OriginState> {
        lock(&self.origins)
            .entry(origin.clone())
            .or_default()
            .clone()
    }

    /// A stream slot on a connection to `origin`, opening a connection when all are full.
    pub async fn acquire(
        &self,
        origin: &Arc<Origin>,
        tls: &TlsSetup,
        mode: Mode,
    ) -> Result<Acquired, TransportError> {
        let state = self.state(origin);
        if let Some(slot) = state.take_slot() {
            return Ok(Acquired::Stream(slot));
        }
        let _opening = state.opener.lock().await;
        if let Some(slot) = state.take_slot() {
            return Ok(Acquired::Stream(slot));
        }
        if mode == Mode::IfNegotiated
            && state.negotiated.load(Ordering::Acquire) == Negotiated::Http1 as u8
        {
            return Ok(Acquired::UseHttp1);
        }
        let connected = stream::connect(origin, tls).await?;
        let connect = connected.connect;
        if origin.tls && !connected.h2_negotiated {
            return match mode {
                Mode::IfNegotiated => {
                    state
                        .negotiated
                        .store(Negotiated::Http1 as u8, Ordering::Release);
                    Ok(Acquired::Http1(connected))
                }
                Mode::Required => Err(TransportError {
                    connect,
                    ..TransportError::new(
                        HTTP2_NOT_NEGOTIATED,
                        format_args!(
                            "{origin} did not agree to HTTP/2 by ALPN (http-version: 2); use \
                             http-version: auto or 1.1"
                        ),
                    )
                }),
            };
        }
        state
            .negotiated
            .store(Negotiated::Http2 as u8, Ordering::Release);
        let connection = handshake(connected.stream).await.map_err(|mut e| {
            e.connect = connect;
            e
        })?;
        self.opened.fetch_add(1, Ordering::Relaxed);
        connection.in_flight.store(1, Ordering::Release);
        let connection = Arc::new(connection);
        lock(&state.connections).push(connection.clone());
        Ok(Acquired::Stream(StreamSlot {
            connection,
            connect,
        }))
    }

    /// Sends `request` over HTTP/2 to its origin and measures it; `first` is a slot already
    /// taken (by [`Http2Pool::acquire`]).
    pub async fn exchange(
        &self,
        first: StreamSlot,
        request: &PreparedRequest,
        tls: &TlsSetup,
    ) -> Result<Exchange, TransportError> {
        let mut slot = first;
        let mut connect = Duration::ZERO;
        let mut attempt = 1;
        loop {
            connect += slot.connect;
            match send_on(&slot, request).await {
                Ok(mut exchange) => {
                    exchange.connect = connect;
                    return Ok(exchange);
                }
                Err(Failure::NotSent(_)) if attempt < ATTEMPTS => {
                    slot.connection.usable.store(false, Ordering::Release);
                    attempt += 1;
                    slot = match self.acquire(request.origin(), tls, Mode::Required).await {
                        Ok(Acquired::Stream(next)) => next,
                        // Mode::Required yields streams or errors; nothing else to try.
                        Ok(Acquired::Http1(_) | Acquired::UseHttp1) => {
                            return Err(TransportError {
                                connect,
                                ..TransportError::new(
                                    super::error::HTTP2_ERROR,
                                    "no HTTP/2 connection could take the request",
                                )
                            })
                        }
                        Err(mut e) => {
                            e.connect += connect;
                            return Err(e);
                        }
                    };
                }
                Err(Failure::NotSent(mut e) | Failure::Sent(mut e)) => {
                    e.connect = connect;
                    return Err(e);
                }
            }
        }
    }
}

impl OriginState {
    fn take_slot(&self) -> Option<StreamSlot> {
        let mut connections = lock(&self.connections);
        connections.retain(|c| c.usable.load(Ordering::Acquire));
        let connection = connections.iter().find(|c| {
            c.in_flight.load(Ordering::Acquire) < c.send.current_max_send_streams().max(1)
        })?;
        connection.in_flight.fetch_add(1, Ordering::AcqRel);
        Some(StreamSlot {
            connection: connection.clone(),
            connect: Duration::ZERO,
        })
    }
}

async fn handshake(stream: Stream) -> Result<H2Connection, TransportError> {
    let (send, mut connection) = h2::client::Builder::new()
        .initial_max_send_streams(INITIAL_MAX_STREAMS)
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .handshake::<_, Bytes>(stream)
        .await
        .map_err(|e| TransportError::from_h2(&e))?;
    // The server's SETTINGS come before its answer to our PING: once it is back, the stream
    // limit is the server's, not the guess, and no stream is refused for exceeding it.
    let ping_pong = connection.ping_pong();
    let usable = Arc::new(AtomicBool::new(true));
    let driver_usable = usable.clone();
    tokio::spawn(async move {
        // Ends when the server closes the connection, on a connection error, or once every
        // sender is dropped; the streams in flight see the error themselves.
        let _ = connection.await;
        driver_usable.store(false, Ordering::Release);
    });
    if let Some(mut ping_pong) = ping_pong {
        ping_pong
            .ping(h2::Ping::opaque())
            .await
            .map_err(|e| TransportError::from_h2(&e))?;
    }
    Ok(H2Connection {
        send,
        in_flight: AtomicUsize::new(0),
        usable,
    })
}

enum Failure {
    /// The connection refused the stream before anything was sent.
    NotSent(TransportError),
    Sent(TransportError),
}

/// Headers that belong to an HTTP/1.1 connection and are malformed in HTTP/2.
const CONNECTION_HEADERS: [http::HeaderName; 5] = [
    http::header::CONNECTION,
    http::header::TRANSFER_ENCODING,
    http::header::UPGRADE,
    http::header::HOST,
    http::HeaderName::from_static("keep-alive"),
];

async fn send_on(slot: &StreamSlot, request: &PreparedRequest) -> Result<Exchange, Failure> {
    let connection = &slot.connection;
    let fail = |e: h2::Error| {
        if TransportError::ends_connection(&e) {
            connection.usable.store(false, Ordering::Release);
        }
        Failure::Sent(TransportError::from_h2(&e))
    };
    let mut sender = connection
        .send
        .clone()
        .ready()
        .await
        .map_err(|e| Failure::NotSent(TransportError::from_h2(&e)))?;

    let mut h2_request = Request::new(());
    *h2_request.method_mut() = request.method().clone();
    *h2_request.uri_mut() = request.uri().clone();
    let headers = h2_request.headers_mut();
    headers.reserve(request.headers().len());
    for (name, value) in request.headers() {
        if !CONNECTION_HEADERS.contains(name) {
            headers.append(name, value.clone());
        }
    }
    let bytes_sent = request_head_size(request, h2_request.headers()) + request.body().len() as u64;
    let body = request.body();
    let sent_at = Instant::now();
    let (response, mut body_sender) = sender
        .send_request(h2_request, body.is_empty())
        .map_err(|e| Failure::NotSent(TransportError::from_h2(&e)))?;
    if !body.is_empty() {
        body_sender.send_data(body.clone(), true).map_err(fail)?;
    }
    let response = match response.await {
        Ok(response) => response,
        Err(e) => return Err(fail(goaway_behind(connection, e).await)),
    };
    let first_byte_at = Instant::now();
    let (parts, mut body) = response.into_parts();
    let head_size = response_head_size(&parts.headers);
    let mut body_size = 0u64;
    let mut kept = request.keep_body().then(Vec::new);
    while let Some(chunk) = body.data().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => return Err(fail(goaway_behind(connection, e).await)),
        };
        body_size += chunk.len() as u64;
        let _ = body.flow_control().release_capacity(chunk.len());
        if let Some(kept) = kept.as_mut() {
            kept.extend_from_slice(&chunk);
        }
    }
    Ok(Exchange {
        sent_at,
        first_byte_at,
        done_at: Instant::now(),
        connect: Duration::ZERO,
        status: parts.status.as_u16(),
        bytes_received: head_size + body_size,
        bytes_sent,
        body: kept.map(Bytes::from),
        headers: ResponseHeaders::from_map(parts.status, parts.headers, request.keep_headers()),
    })
}

/// The GOAWAY behind a stream's error, if the connection received one. A GOAWAY that still
/// covers the stream (its last stream id is this one or later) does not fail it; the server
/// closing the connection next does, as a broken pipe, and the GOAWAY is the reason worth
/// reporting.
async fn goaway_behind(connection: &H2Connection, error: h2::Error) -> h2::Error {
    if error.is_go_away() || error.is_reset() {
        return error;
    }
    // A fresh handle has no pending stream, so this returns at once with the connection's
    // error, if it has one.
    match connection.send.clone().ready().await {
        Err(conn_error) if conn_error.is_go_away() => conn_error,
        _ => error,
    }
}

/// The request's header block: `:method`, `:scheme`, `:authority`, `:path` and the headers.
fn request_head_size(request: &PreparedRequest, headers: &HeaderMap) -> u64 {
    let pseudo = |name: &str, value: usize| name.len() + 2 + value + 2;
    let uri = request.uri();
    (pseudo(":method", request.method().as_str().len())
        + pseudo(":scheme", uri.scheme_str().map_or(0, str::len))
        + pseudo(
            ":authority",
            uri.authority().map_or(0, |a| a.as_str().len()),
        )
        + pseudo(
            ":path",
            request
                .target()
                .path_and_query()
                .map_or(1, |p| p.as_str().len()),
        )
        + header_block_size(headers)) as u64
}

/// The response's header block: `:status` and the headers.
fn response_head_size(headers: &HeaderMap) -> u64 {
    (":status: 200\r\n".len() + header_block_size(headers)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_blocks_count_pseudo_headers_and_headers_as_text() {
        let request = PreparedRequest::new(
            http::Method::GET,
            "http://h:1/ab".parse().unwrap(),
            HeaderMap::new(),
            Bytes::new(),
            Duration::from_secs(1),
            false,
        )
        .unwrap();
        // ":method: GET\r\n" 14 + ":scheme: http\r\n" 15 + ":authority: h:1\r\n" 17
        // + ":path: /ab\r\n" 12
        assert_eq!(request_head_size(&request, &HeaderMap::new()), 58);
        let mut headers = HeaderMap::new();
        headers.insert("x-a", http::HeaderValue::from_static("b"));
        assert_eq!(response_head_size(&headers), 14 + 8);
    }
}
