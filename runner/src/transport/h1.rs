//! HTTP/1.1 over one connection, one exchange at a time: a lean client for the hot path, over
//! any byte stream (plain TCP or TLS), with the request serialised once
//! ([`serialize_request`], kept in [`PreparedRequest`]) and the response parsed in place.
//! [`Http1`] is what the lane's [`super::Connection`] uses; [`H1Connection`] is the protocol
//! itself, generic over the stream so it is tested over scripted and in-memory streams.
//!
//! Why not hyper here: a load generator sends the same few requests millions of times and
//! only needs the status, the byte counts, the instants and (for assertions) the body. hyper
//! builds a `Request` and a `Response` with their header maps per exchange, runs a separate
//! connection task and reads ahead to notice a closed connection; all of it is CPU on every
//! request. Here a request is a slice of pre-serialised bytes ([`serialize_request`]), the
//! response head is parsed with `httparse` straight from a read buffer that lives as long as
//! the connection, and only the framing headers are looked at.
//!
//! Bytes: sent is the serialised request's length; received is every response byte read for
//! the exchange, as on the wire (interim responses, head, body with its chunk framing).
//!
//! Body framing follows RFC 9112 §6: no body for a `HEAD` request or a 1xx/204/304 status,
//! `Transfer-Encoding` ending in `chunked` (trailers skipped), else `Content-Length`, else
//! the body runs to the end of the connection. Interim 1xx responses are skipped. Every limit is
//! a failed exchange with a reason, never a panic or unbounded memory: the response head (and
//! each chunk-size line and trailer section) must fit in [`MAX_HEAD`], and a body kept for
//! assertions in [`Expect::max_kept_body`].

use std::io;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::error::TransportError;
use super::{Exchange, ResponseHeaders};
use crate::request::PreparedRequest;

/// The largest response head accepted (status line, headers, interim responses each), and the
/// largest chunk-size line or trailer section.
pub const MAX_HEAD: usize = 64 * 1024;

/// The default cap on a body kept in memory for assertions.
pub const DEFAULT_MAX_KEPT_BODY: usize = 16 * 1024 * 1024;

/// The read buffer a connection starts with, and shrinks back to after a large head.
const READ_BUFFER: usize = 8 * 1024;

/// Headers parsed on the stack; a response with more is parsed again with a heap array.
const STACK_HEADERS: usize = 64;

/// Serialises a request once, for sending many times: request line, `host`, the given headers,
/// `content-length` (unless given, or a `transfer-encoding` is), and the body. `keepalive:
/// false` reaches the wire as a `connection: close` header the session adds.
///
/// `origin_form` (`/path?query`) and `host` (`host[:port]`) are expected from a validated
/// `http::Uri`; header names and values are valid by construction of [`HeaderMap`]. A `host`
/// header in `headers` replaces the derived one, so a request never carries two. A `POST`,
/// `PUT` or `PATCH` without a body says `content-length: 0`, which some servers require.
pub fn serialize_request(
    method: &Method,
    origin_form: &str,
    host: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Bytes {
    let mut out = BytesMut::with_capacity(
        method.as_str().len()
            + origin_form.len()
            + host.len()
            + 64
            + headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 4)
                .sum::<usize>()
            + body.len(),
    );
    out.put_slice(method.as_str().as_bytes());
    out.put_u8(b' ');
    out.put_slice(if origin_form.is_empty() {
        b"/"
    } else {
        origin_form.as_bytes()
    });
    out.put_slice(b" HTTP/1.1\r\n");
    if !headers.contains_key(http::header::HOST) {
        put_header(&mut out, b"host", host.as_bytes());
    }
    for (name, value) in headers {
        put_header(&mut out, name.as_str().as_bytes(), value.as_bytes());
    }
    let framed = headers.contains_key(http::header::CONTENT_LENGTH)
        || headers.contains_key(http::header::TRANSFER_ENCODING);
    let body_method = matches!(*method, Method::POST | Method::PUT | Method::PATCH);
    if !framed && (!body.is_empty() || body_method) {
        put_header(
            &mut out,
            b"content-length",
            itoa::Buffer::new().format(body.len()).as_bytes(),
        );
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
    out.freeze()
}

fn put_header(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_slice(name);
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

/// What the response to a request may carry and what to do with its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// The request was `HEAD`: the response has no body, whatever its headers say.
    pub head_request: bool,
    /// Keep the body (for assertions); otherwise it is only counted.
    pub keep_body: bool,
    /// Keep every header (for assertions and extractors), not only the ones the session needs.
    pub keep_headers: bool,
    /// A kept body longer than this fails the exchange.
    pub max_kept_body: usize,
    /// The request said `connection: close`: the connection ends after this exchange.
    pub close_after: bool,
}

impl Expect {
    pub fn for_request(method: &Method, keep_body: bool, keepalive: bool) -> Self {
        Expect {
            head_request: *method == Method::HEAD,
            keep_body,
            keep_headers: false,
            max_kept_body: DEFAULT_MAX_KEPT_BODY,
            close_after: !keepalive,
        }
    }
}

/// What one exchange measured.
#[derive(Debug)]
pub struct H1Response {
    /// Just before the request's first byte was written.
    pub sent_at: Instant,
    /// When the first byte of the response was read (or found already buffered).
    pub first_byte_at: Instant,
    /// When the last byte of the response was read.
    pub done_at: Instant,
    pub status: u16,
    /// Bytes of the response as on the wire: interim responses, head, body with its framing.
    pub bytes_received: u64,
    pub body: Option<Bytes>,
    /// `Location` (on a redirect) and `Set-Cookie`, for the session.
    pub headers: ResponseHeaders,
    /// Whether the connection can carry another request.
    pub reusable: bool,
}

/// Why an exchange failed. The connection is not reusable after any of them.
#[derive(Debug, thiserror::Error)]
pub enum H1Error {
    #[error("{0}")]
    Io(#[source] io::Error),
    /// The server closed the connection before the response was complete.
    #[error("the server closed the connection {}", closed_where(*.received))]
    ConnectionClosed {
        /// Response bytes received before the close.
        received: u64,
    },
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    #[error("the response head is larger than {MAX_HEAD} bytes")]
    HeadTooLarge,
    #[error(
        "the response body is larger than {limit} bytes, the most kept in memory for assertions"
    )]
    BodyTooLarge { limit: usize },
    /// The caller sent on a connection an earlier exchange left unusable.
    #[error("the connection cannot be reused")]
    NotReusable,
}

fn closed_where(received: u64) -> String {
    if received == 0 {
        "before responding".to_string()
    } else {
        format!("after {received} bytes of an incomplete response")
    }
}

impl H1Error {
    /// The JTL `responseCode`, in the same words as the rest of the transport's errors.
    pub fn code(&self) -> &'static str {
        match self {
            H1Error::Io(e) => TransportError::from_io(e).code,
            H1Error::ConnectionClosed { .. } | H1Error::NotReusable => {
                super::error::CONNECTION_CLOSED
            }
            H1Error::InvalidResponse(_) | H1Error::HeadTooLarge => {
                "Non HTTP response code: InvalidResponse"
            }
            H1Error::BodyTooLarge { .. } => "Non HTTP response code: ResponseTooLarge",
        }
    }

    /// Whether nothing at all came back: on a kept-alive connection that the server may have
    /// closed while it was idle, the request can be sent again on a new connection.
    pub fn nothing_received(&self) -> bool {
        match self {
            H1Error::ConnectionClosed { received } => *received == 0,
            H1Error::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionAborted
            ),
            H1Error::NotReusable => true,
            _ => false,
        }
    }
}

impl From<&H1Error> for TransportError {
    fn from(err: &H1Error) -> Self {
        match err {
            // Socket and TLS errors are named as everywhere else (a TLS alert by its cause).
            H1Error::Io(io) => TransportError::from_io(io),
            other => TransportError::new(other.code(), other),
        }
    }
}

fn invalid(reason: impl Into<String>) -> H1Error {
    H1Error::InvalidResponse(reason.into())
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A parsed response head: what the exchange needs of it.
#[derive(Debug)]
struct Head {
    /// Bytes of the head, blank line included.
    len: usize,
    status: u16,
    framing: Framing,
    /// The server allows another request on this connection.
    keep_alive: bool,
    headers: ResponseHeaders,
}

impl Head {
    fn is_interim(&self) -> bool {
        // 101 ends HTTP/1.1 on the connection: it is final (and the connection is not reused).
        (100..200).contains(&self.status) && self.status != 101
    }
}

/// Parses one response head from the start of `buf`; `None` if it is not complete yet.
fn parse_head(buf: &[u8], expect: &Expect) -> Result<Option<Head>, H1Error> {
    let head_request = expect.head_request;
    let keep_headers = expect.keep_headers;
    // Left uninitialised: httparse writes the slots it uses, and zeroing 64 of them per
    // response would cost as much as the parse.
    let mut headers =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut headers,
    );
    match parsed {
        Ok(httparse::Status::Complete(len)) => {
            head_from(&response, len, head_request, keep_headers).map(Some)
        }
        Ok(httparse::Status::Partial) => partial(buf),
        Err(httparse::Error::TooManyHeaders) => {
            // Every header line takes at least 3 bytes ("a:" and a line end).
            let mut headers = vec![httparse::EMPTY_HEADER; buf.len().min(MAX_HEAD) / 3 + 1];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(buf) {
                Ok(httparse::Status::Complete(len)) => {
                    head_from(&response, len, head_request, keep_headers).map(Some)
                }
                Ok(httparse::Status::Partial) => partial(buf),
                Err(e) => Err(invalid(e.to_string())),
            }
        }
        Err(e) => Err(invalid(e.to_string())),
    }
}

fn partial(buf: &[u8]) -> Result<Option<Head>, H1Error> {
    if buf.len() >= MAX_HEAD {
        Err(H1Error::HeadTooLarge)
    } else {
        Ok(None)
    }
}

fn head_from(
    response: &httparse::Response<'_, '_>,
    len: usize,
    head_request: bool,
    keep_headers: bool,
) -> Result<Head, H1Error> {
    if len > MAX_HEAD {
        return Err(H1Error::HeadTooLarge);
    }
    let status = response.code.unwrap_or(0);
    if !(100..=999).contains(&status) {
        return Err(invalid(format!("status code {status} is out of range")));
    }
    let http11 = response.version == Some(1);
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoded = false;
    let mut close = false;
    let mut keep_alive_token = false;
    let mut headers = ResponseHeaders::default();
    let redirect = StatusCode::from_u16(status).is_ok_and(|s| s.is_redirection());
    if keep_headers {
        let mut all = HeaderMap::with_capacity(response.headers.len());
        for header in response.headers.iter() {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(header.name.as_bytes()),
                HeaderValue::from_bytes(header.value),
            ) {
                all.append(name, value);
            }
        }
        headers.all = Some(all);
    }
    for header in response.headers.iter() {
        let name = header.name.as_bytes();
        // Only five names matter; their lengths (8, 10, 14, 17) rule out most others at once.
        if !matches!(name.len(), 8 | 10 | 14 | 17) {
            continue;
        }
        if name.eq_ignore_ascii_case(b"location") {
            if redirect {
                // httparse admits only bytes a header value may hold, so this always converts.
                headers.location = HeaderValue::from_bytes(header.value).ok();
            }
        } else if name.eq_ignore_ascii_case(b"set-cookie") {
            headers
                .set_cookie
                .extend(HeaderValue::from_bytes(header.value).ok());
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let length = parse_content_length(header.value)?;
            if content_length.is_some_and(|seen| seen != length) {
                return Err(invalid("conflicting Content-Length headers"));
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encoded = true;
            // Only the last coding says how the message ends (RFC 9112 §6.3).
            chunked = tokens(header.value)
                .last()
                .is_some_and(|coding| coding.eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in tokens(header.value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let no_body = head_request || status < 200 || status == 204 || status == 304;
    let framing = if no_body {
        Framing::Empty
    } else if transfer_encoded {
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else {
        match content_length {
            Some(0) => Framing::Empty,
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    let keep_alive = !close
        && (http11 || keep_alive_token)
        && status != 101
        // A message with both is a smuggling risk: read it as chunked, then drop the connection.
        && !(transfer_encoded && content_length.is_some() && !no_body)
        && framing != Framing::UntilClose;
    Ok(Head {
        len,
        status,
        framing,
        keep_alive,
        headers,
    })
}

/// A `Content-Length` value: digits, or a list of identical digit values (RFC 9110 §8.6).
fn parse_content_length(value: &[u8]) -> Result<u64, H1Error> {
    let mut length = None;
    for item in value.split(|&b| b == b',') {
        let item = item.trim_ascii();
        let parsed = (!item.is_empty() && item.len() <= 19 && item.iter().all(u8::is_ascii_digit))
            .then(|| item.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
            .ok_or_else(|| {
                invalid(format!(
                    "Content-Length {:?} is not a number",
                    String::from_utf8_lossy(value)
                ))
            })?;
        if length.is_some_and(|seen| seen != parsed) {
            return Err(invalid("conflicting Content-Length values"));
        }
        length = Some(parsed);
    }
    length.ok_or_else(|| invalid("empty Content-Length"))
}

/// The comma-separated tokens of a header value, trimmed, empty ones left out.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// Where a chunked body's decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    /// The line end after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines up to a blank one; `u64` counts their bytes.
    Trailers(u64),
}

/// Takes a response body off the front of the buffer, piece by piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyDecoder {
    Done,
    Length(u64),
    Chunked(Chunk),
    UntilClose,
}

/// One step of decoding: `consumed` bytes off the front of the input, of which `data` is body
/// content. `consumed == 0` and not `done` means more input is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    consumed: usize,
    data: std::ops::Range<usize>,
    done: bool,
}

impl Step {
    fn framing(consumed: usize) -> Self {
        Step {
            consumed,
            data: 0..0,
            done: false,
        }
    }
}

impl BodyDecoder {
    fn new(framing: Framing) -> Self {
        match framing {
            Framing::Empty | Framing::Length(0) => BodyDecoder::Done,
            Framing::Length(n) => BodyDecoder::Length(n),
            Framing::Chunked => BodyDecoder::Chunked(Chunk::Size),
            Framing::UntilClose => BodyDecoder::UntilClose,
        }
    }

    fn step(&mut self, input: &[u8]) -> Result<Step, H1Error> {
        match self {
            BodyDecoder::Done => Ok(Step {
                consumed: 0,
                data: 0..0,
                done: true,
            }),
            BodyDecoder::Length(remaining) => {
                let take = take(*remaining, input.len());
                *remaining -= take as u64;
                let done = *remaining == 0;
                if done {
                    *self = BodyDecoder::Done;
                }
                Ok(Step {
                    consumed: take,
                    data: 0..take,
                    done,
                })
            }
            BodyDecoder::UntilClose => Ok(Step {
                consumed: input.len(),
                data: 0..input.len(),
                done: false,
            }),
            BodyDecoder::Chunked(chunk) => {
                let step = step_chunked(chunk, input)?;
                if step.done {
                    *self = BodyDecoder::Done;
                }
                Ok(step)
            }
        }
    }

    /// The connection ended: fine for a body that runs until the close, an error otherwise.
    fn at_eof(&self) -> bool {
        matches!(self, BodyDecoder::UntilClose | BodyDecoder::Done)
    }
}

fn take(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |r| r.min(available))
}

fn step_chunked(chunk: &mut Chunk, input: &[u8]) -> Result<Step, H1Error> {
    match *chunk {
        Chunk::Size => match httparse::parse_chunk_size(input) {
            Ok(httparse::Status::Complete((consumed, size))) => {
                // httparse takes an empty size line as 0; RFC 9112 wants at least one digit.
                if !input[0].is_ascii_hexdigit() {
                    return Err(invalid("chunk size line without a size"));
                }
                *chunk = if size == 0 {
                    Chunk::Trailers(0)
                } else {
                    Chunk::Data(size)
                };
                Ok(Step::framing(consumed))
            }
            Ok(httparse::Status::Partial) if input.len() >= MAX_HEAD => {
                Err(invalid("chunk size line too long"))
            }
            Ok(httparse::Status::Partial) => Ok(Step::framing(0)),
            Err(_) => Err(invalid("invalid chunk size line")),
        },
        Chunk::Data(remaining) => {
            let take = take(remaining, input.len());
            let left = remaining - take as u64;
            *chunk = if left == 0 {
                Chunk::DataEnd
            } else {
                Chunk::Data(left)
            };
            Ok(Step {
                consumed: take,
                data: 0..take,
                done: false,
            })
        }
        Chunk::DataEnd => match input {
            [b'\r', b'\n', ..] => {
                *chunk = Chunk::Size;
                Ok(Step::framing(2))
            }
            [] | [b'\r'] => Ok(Step::framing(0)),
            _ => Err(invalid("chunk data not followed by a line end")),
        },
        Chunk::Trailers(seen) => match input.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let line = &input[..end];
                let seen = seen + end as u64 + 1;
                if seen > MAX_HEAD as u64 {
                    return Err(invalid("trailer section too long"));
                }
                if line.is_empty() || line == b"\r" {
                    Ok(Step {
                        consumed: end + 1,
                        data: 0..0,
                        done: true,
                    })
                } else {
                    *chunk = Chunk::Trailers(seen);
                    Ok(Step::framing(end + 1))
                }
            }
            None if seen + input.len() as u64 >= MAX_HEAD as u64 => {
                Err(invalid("trailer section too long"))
            }
            None => Ok(Step::framing(0)),
        },
    }
}

/// One HTTP/1.1 connection: a byte stream and the read buffer that lives as long as it does.
/// Bytes read past the end of one response (a pipelining server) are kept for the next.
pub struct H1Connection<S> {
    stream: S,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    reusable: bool,
    completed: u64,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> H1Connection<S> {
    pub fn new(stream: S) -> Self {
        H1Connection {
            stream,
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
            reusable: true,
            completed: 0,
        }
    }

    /// Whether another request may be sent (the server may still have closed it meanwhile:
    /// see [`H1Error::nothing_received`]).
    pub fn is_reusable(&self) -> bool {
        self.reusable
    }

    /// Exchanges completed on this connection; more than zero means a request reuses it.
    pub fn completed(&self) -> u64 {
        self.completed
    }

    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// Sends a serialised request and reads its whole response. Cancelling the future (a
    /// timeout) leaves the connection in an unknown state: drop it.
    pub async fn exchange(
        &mut self,
        request: &[u8],
        expect: &Expect,
    ) -> Result<H1Response, H1Error> {
        if !self.reusable {
            return Err(H1Error::NotReusable);
        }
        // Set again only once the response is complete and the server allows it.
        self.reusable = false;
        let sent_at = Instant::now();
        self.stream.write_all(request).await.map_err(H1Error::Io)?;
        self.stream.flush().await.map_err(H1Error::Io)?;

        let mut received = 0u64;
        let mut first_byte_at = None;
        let head = loop {
            match parse_head(&self.buf[self.start..self.end], expect)? {
                Some(head) => {
                    self.start += head.len;
                    received += head.len as u64;
                    if !head.is_interim() {
                        break head;
                    }
                }
                None => {
                    if self.fill(MAX_HEAD).await? == 0 {
                        return Err(H1Error::ConnectionClosed {
                            received: received + (self.end - self.start) as u64,
                        });
                    }
                }
            }
            first_byte_at.get_or_insert_with(Instant::now);
        };
        let first_byte_at = first_byte_at.unwrap_or_else(Instant::now);

        let mut decoder = BodyDecoder::new(head.framing);
        let mut kept = expect.keep_body.then(Vec::new);
        loop {
            let step = decoder.step(&self.buf[self.start..self.end])?;
            if let Some(kept) = kept.as_mut() {
                let data = &self.buf[self.start..][step.data];
                if kept.len() + data.len() > expect.max_kept_body {
                    return Err(H1Error::BodyTooLarge {
                        limit: expect.max_kept_body,
                    });
                }
                kept.extend_from_slice(data);
            }
            self.start += step.consumed;
            received += step.consumed as u64;
            if step.done {
                break;
            }
            if step.consumed == 0 {
                // A partial chunk-size or trailer line stays buffered until its end arrives;
                // the decoder fails it past MAX_HEAD, so the buffer never grows beyond that.
                if self.fill(MAX_HEAD).await? == 0 {
                    if decoder.at_eof() {
                        break;
                    }
                    return Err(H1Error::ConnectionClosed {
                        received: received + (self.end - self.start) as u64,
                    });
                }
            }
        }
        let done_at = Instant::now();
        self.reusable = head.keep_alive && !expect.close_after;
        self.completed += 1;
        self.shrink_if_idle();
        Ok(H1Response {
            sent_at,
            first_byte_at,
            done_at,
            status: head.status,
            bytes_received: received,
            body: kept.map(Bytes::from),
            headers: head.headers,
            reusable: self.reusable,
        })
    }

    /// Reads more into the buffer (growing it up to `limit` only when it is full of unread
    /// bytes); returns the bytes read, 0 at the end of the stream.
    async fn fill(&mut self, limit: usize) -> Result<usize, H1Error> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                // Callers fail anything that does not fit in `limit`, so this is never reached
                // with a full buffer at the limit; guard anyway rather than read zero bytes.
                let grown = (self.buf.len() * 2).min(limit.max(READ_BUFFER));
                if grown <= self.buf.len() {
                    return Err(H1Error::HeadTooLarge);
                }
                self.buf.resize(grown, 0);
            }
        }
        let n = self
            .stream
            .read(&mut self.buf[self.end..])
            .await
            .map_err(H1Error::Io)?;
        self.end += n;
        Ok(n)
    }

    fn shrink_if_idle(&mut self) {
        if self.buf.len() > READ_BUFFER && self.end - self.start <= READ_BUFFER {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            self.buf.truncate(READ_BUFFER);
            self.buf.shrink_to_fit();
        }
    }
}

/// The lane's HTTP/1.1 connection over the transport's stream (plain TCP or TLS).
pub struct Http1<S> {
    connection: H1Connection<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Http1<S> {
    pub fn new(stream: S) -> Self {
        Http1 {
            connection: H1Connection::new(stream),
        }
    }

    /// Whether the connection can take another request: the last response allowed it. The
    /// server may still have closed it while it was idle; then the exchange fails with
    /// [`H1Error::nothing_received`] and the caller sends again on a new connection.
    pub fn is_ready(&self) -> bool {
        self.connection.is_reusable()
    }

    /// Whether an exchange has completed on this connection (so a request would reuse it).
    pub fn was_used(&self) -> bool {
        self.connection.completed() > 0
    }

    /// Sends `request`, waits for the whole response, and measures it. After an error the
    /// connection must not be used again.
    pub async fn exchange(&mut self, request: &PreparedRequest) -> Result<Exchange, H1Error> {
        let expect = Expect {
            head_request: *request.method() == Method::HEAD,
            keep_body: request.keep_body(),
            keep_headers: request.keep_headers(),
            max_kept_body: DEFAULT_MAX_KEPT_BODY,
            close_after: request.closes_connection(),
        };
        let response = self.connection.exchange(request.wire(), &expect).await?;
        Ok(Exchange {
            sent_at: response.sent_at,
            first_byte_at: response.first_byte_at,
            done_at: response.done_at,
            connect: Duration::ZERO,
            status: response.status,
            bytes_received: response.bytes_received,
            bytes_sent: request.wire_size(),
            body: response.body,
            headers: response.headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use http::HeaderValue;
    use proptest::prelude::*;
    use tokio::io::ReadBuf;

    /// A stream that answers reads from a script of chunks (then EOF) and records writes.
    struct Scripted {
        reads: VecDeque<Vec<u8>>,
        written: Vec<u8>,
    }

    impl Scripted {
        fn new(chunks: Vec<Vec<u8>>) -> Self {
            Scripted {
                reads: chunks.into(),
                written: Vec::new(),
            }
        }

        fn whole(bytes: &[u8]) -> Self {
            Self::new(vec![bytes.to_vec()])
        }
    }

    impl AsyncRead for Scripted {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            while let Some(chunk) = self.reads.front_mut() {
                if chunk.is_empty() {
                    self.reads.pop_front();
                    continue;
                }
                let n = chunk.len().min(buf.remaining());
                buf.put_slice(&chunk[..n]);
                chunk.drain(..n);
                break;
            }
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Scripted {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.written.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn expect_body() -> Expect {
        Expect::for_request(&Method::GET, true, true)
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn exchange_with(stream: Scripted, expect: Expect) -> Result<H1Response, H1Error> {
        block_on(async move {
            let mut connection = H1Connection::new(stream);
            connection
                .exchange(b"GET / HTTP/1.1\r\n\r\n", &expect)
                .await
        })
    }

    fn exchange(bytes: &[u8]) -> Result<H1Response, H1Error> {
        exchange_with(Scripted::whole(bytes), expect_body())
    }

    fn body(response: &H1Response) -> &[u8] {
        response.body.as_deref().unwrap()
    }

    // --- serialisation ---

    #[test]
    fn a_get_is_the_request_line_host_headers_and_a_blank_line() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("b"));
        let bytes = serialize_request(&Method::GET, "/ab?c", "h:1", &headers, b"");
        assert_eq!(
            &bytes[..],
            b"GET /ab?c HTTP/1.1\r\nhost: h:1\r\nx-a: b\r\n\r\n"
        );
    }

    #[test]
    fn a_body_gets_its_length_and_a_close_header_is_sent_as_given() {
        let mut close = HeaderMap::new();
        close.insert("connection", HeaderValue::from_static("close"));
        let bytes = serialize_request(&Method::PUT, "/", "h", &close, b"hello");
        assert_eq!(
            &bytes[..],
            b"PUT / HTTP/1.1\r\nhost: h\r\nconnection: close\r\ncontent-length: 5\r\n\r\nhello"
        );
        let empty_post = serialize_request(&Method::POST, "", "h", &HeaderMap::new(), b"");
        assert_eq!(
            &empty_post[..],
            b"POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n"
        );
    }

    #[test]
    fn given_host_length_and_connection_headers_are_not_doubled() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("other"));
        headers.insert("content-length", HeaderValue::from_static("2"));
        headers.insert("connection", HeaderValue::from_static("upgrade"));
        let bytes = serialize_request(&Method::POST, "/", "h", &headers, b"hi");
        let text = std::str::from_utf8(&bytes).unwrap();
        assert_eq!(text.matches("host:").count(), 1);
        assert!(text.contains("host: other\r\n"));
        assert_eq!(text.matches("content-length").count(), 1);
        assert_eq!(text.matches("connection").count(), 1);
        assert!(text.ends_with("\r\n\r\nhi"));
    }

    #[test]
    fn a_serialised_request_parses_back_as_the_same_request() {
        let mut headers = HeaderMap::new();
        headers.append("x-multi", HeaderValue::from_static("1"));
        headers.append("x-multi", HeaderValue::from_static("2"));
        let bytes = serialize_request(&Method::DELETE, "/a/b?x=1", "host:8080", &headers, b"{}");
        let mut parsed_headers = [httparse::EMPTY_HEADER; 8];
        let mut request = httparse::Request::new(&mut parsed_headers);
        let httparse::Status::Complete(len) = request.parse(&bytes).unwrap() else {
            panic!("incomplete")
        };
        assert_eq!(request.method, Some("DELETE"));
        assert_eq!(request.path, Some("/a/b?x=1"));
        let values: Vec<_> = request
            .headers
            .iter()
            .map(|h| (h.name, std::str::from_utf8(h.value).unwrap()))
            .collect();
        assert_eq!(
            values,
            [
                ("host", "host:8080"),
                ("x-multi", "1"),
                ("x-multi", "2"),
                ("content-length", "2")
            ]
        );
        assert_eq!(&bytes[len..], b"{}");
    }

    // --- framing ---

    #[test]
    fn content_length_body() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        let r = exchange(wire).unwrap();
        assert_eq!(
            (r.status, body(&r), r.bytes_received),
            (200, &b"hello"[..], wire.len() as u64)
        );
        assert!(r.reusable);
        assert!(r.sent_at <= r.first_byte_at && r.first_byte_at <= r.done_at);
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
                     5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\nY: 2\r\n\r\n";
        let r = exchange(wire).unwrap();
        assert_eq!(body(&r), b"hello!");
        assert_eq!(r.bytes_received, wire.len() as u64);
        assert!(r.reusable);
    }

    #[test]
    fn a_body_until_close_is_read_to_the_end_and_ends_the_connection() {
        let wire = b"HTTP/1.1 200 OK\r\n\r\nall of it";
        let r = exchange(wire).unwrap();
        assert_eq!(body(&r), b"all of it");
        assert_eq!(r.bytes_received, wire.len() as u64);
        assert!(!r.reusable);
        let non_chunked_te =
            exchange(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz").unwrap();
        assert_eq!(
            (body(&non_chunked_te), non_chunked_te.reusable),
            (&b"zz"[..], false)
        );
    }

    #[test]
    fn head_204_and_304_have_no_body_whatever_they_say() {
        let head = Expect::for_request(&Method::HEAD, true, true);
        let r = exchange_with(
            Scripted::whole(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"),
            head,
        )
        .unwrap();
        assert_eq!((body(&r), r.reusable), (&b""[..], true));
        for status in ["204 No Content", "304 Not Modified"] {
            let wire = format!("HTTP/1.1 {status}\r\nContent-Length: 3\r\n\r\n");
            let r = exchange(wire.as_bytes()).unwrap();
            assert_eq!((body(&r), r.bytes_received), (&b""[..], wire.len() as u64));
            assert!(r.reusable);
        }
    }

    #[test]
    fn interim_responses_are_skipped_and_counted() {
        let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n\
                     HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
        let r = exchange(wire).unwrap();
        assert_eq!((r.status, body(&r)), (201, &b"ok"[..]));
        assert_eq!(r.bytes_received, wire.len() as u64);
    }

    #[test]
    fn a_101_is_final_and_ends_http_on_the_connection() {
        let r = exchange(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n").unwrap();
        assert_eq!((r.status, r.reusable), (101, false));
    }

    #[test]
    fn close_and_http10_decide_reuse() {
        let close = exchange(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        assert!(!close.unwrap().reusable);
        let http10 = exchange(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert!(!http10.unwrap().reusable);
        let http10_kept =
            exchange(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx");
        assert!(http10_kept.unwrap().reusable);
        let asked_close = exchange_with(
            Scripted::whole(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            Expect::for_request(&Method::GET, false, false),
        );
        assert!(!asked_close.unwrap().reusable);
    }

    #[test]
    fn transfer_encoding_wins_over_content_length_but_ends_the_connection() {
        let r = exchange(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n")
            .unwrap();
        assert_eq!((body(&r), r.reusable), (&b"ab"[..], false));
    }

    #[test]
    fn content_length_lists_must_agree() {
        assert_eq!(
            body(&exchange(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nab").unwrap()),
            b"ab"
        );
        for bad in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nab"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
        ] {
            let err = exchange(bad).unwrap_err();
            assert_eq!(
                err.code(),
                "Non HTTP response code: InvalidResponse",
                "{err}"
            );
        }
    }

    #[test]
    fn truncated_bodies_are_connection_closed_with_the_bytes_received() {
        let err = exchange(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").unwrap_err();
        assert!(
            matches!(err, H1Error::ConnectionClosed { received: 42 }),
            "{err:?}"
        );
        assert!(!err.nothing_received());
        let err =
            exchange(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab").unwrap_err();
        assert_eq!(err.code(), "Non HTTP response code: ConnectionClosed");
        let err = exchange(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap_err();
        assert!(err.to_string().contains("after 27 bytes"), "{err}");
    }

    #[test]
    fn nothing_at_all_is_a_close_before_responding() {
        let err = exchange(b"").unwrap_err();
        assert!(err.nothing_received());
        assert_eq!(
            err.to_string(),
            "the server closed the connection before responding"
        );
    }

    #[test]
    fn bad_chunk_framing_is_an_invalid_response() {
        for bad in [
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
        ] {
            let err = exchange(bad).unwrap_err();
            assert!(matches!(err, H1Error::InvalidResponse(_)), "{err:?}");
        }
    }

    #[test]
    fn a_head_over_the_cap_fails_without_growing_further() {
        let mut wire = b"HTTP/1.1 200 OK\r\n".to_vec();
        while wire.len() <= MAX_HEAD {
            wire.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        wire.extend_from_slice(b"\r\n");
        let err = exchange(&wire).unwrap_err();
        assert!(matches!(err, H1Error::HeadTooLarge), "{err:?}");
        // A head just under the cap, with more headers than fit on the stack, is fine.
        let mut wire = b"HTTP/1.1 200 OK\r\n".to_vec();
        while wire.len() < MAX_HEAD - 100 {
            wire.extend_from_slice(b"X-P: a\r\n");
        }
        wire.extend_from_slice(b"Content-Length: 1\r\n\r\nz");
        assert_eq!(body(&exchange(&wire).unwrap()), b"z");
    }

    #[test]
    fn long_chunk_lines_and_trailers_are_capped() {
        let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;".to_vec();
        wire.resize(wire.len() + MAX_HEAD, b'e');
        assert!(
            matches!(exchange(&wire).unwrap_err(), H1Error::InvalidResponse(m) if m.contains("too long"))
        );
        let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n".to_vec();
        while wire.len() < 2 * MAX_HEAD {
            wire.extend_from_slice(b"T: x\r\n");
        }
        assert!(
            matches!(exchange(&wire).unwrap_err(), H1Error::InvalidResponse(m) if m.contains("trailer"))
        );
    }

    #[test]
    fn a_kept_body_over_the_cap_fails_and_a_counted_one_does_not() {
        let mut wire = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
        wire.resize(wire.len() + 100_000, b'b');
        let mut expect = expect_body();
        expect.max_kept_body = 50_000;
        let err = exchange_with(Scripted::whole(&wire), expect).unwrap_err();
        assert!(matches!(err, H1Error::BodyTooLarge { limit: 50_000 }));
        assert_eq!(err.code(), "Non HTTP response code: ResponseTooLarge");
        expect.keep_body = false;
        let r = exchange_with(Scripted::whole(&wire), expect).unwrap();
        assert_eq!((r.body, r.bytes_received), (None, wire.len() as u64));
    }

    #[test]
    fn pipelined_leftovers_answer_the_next_exchange() {
        let first = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na".to_vec();
        let second =
            b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n";
        let both = [first.clone(), second.to_vec()].concat();
        block_on(async {
            let mut connection = H1Connection::new(Scripted::whole(&both));
            let a = connection
                .exchange(b"GET /1 HTTP/1.1\r\n\r\n", &expect_body())
                .await
                .unwrap();
            let b = connection
                .exchange(b"GET /2 HTTP/1.1\r\n\r\n", &expect_body())
                .await
                .unwrap();
            assert_eq!(
                (a.status, body(&a), a.bytes_received),
                (200, &b"a"[..], first.len() as u64)
            );
            assert_eq!(
                (b.status, body(&b), b.bytes_received),
                (202, &b"b"[..], second.len() as u64)
            );
            assert_eq!(connection.completed(), 2);
            assert_eq!(
                connection.get_ref().written,
                b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"
            );
            let err = connection
                .exchange(b"GET /3 HTTP/1.1\r\n\r\n", &expect_body())
                .await
                .unwrap_err();
            assert!(
                err.nothing_received(),
                "the scripted server closed: {err:?}"
            );
        });
    }

    #[test]
    fn a_connection_left_unusable_refuses_the_next_exchange() {
        block_on(async {
            let mut connection = H1Connection::new(Scripted::whole(b"HTTP/1.1 200 OK\r\n\r\nx"));
            assert!(
                !connection
                    .exchange(b"GET /\r\n\r\n", &expect_body())
                    .await
                    .unwrap()
                    .reusable
            );
            let err = connection
                .exchange(b"GET /\r\n\r\n", &expect_body())
                .await
                .unwrap_err();
            assert!(matches!(err, H1Error::NotReusable));
        });
    }

    #[test]
    fn every_split_of_each_response_parses_the_same() {
        for wire in valid_examples() {
            let whole = exchange(&wire).unwrap();
            for cut in 0..=wire.len() {
                let split = Scripted::new(vec![wire[..cut].to_vec(), wire[cut..].to_vec()]);
                let r = exchange_with(split, expect_body()).unwrap();
                assert_eq!(
                    (r.status, &r.body, r.bytes_received, r.reusable),
                    (
                        whole.status,
                        &whole.body,
                        whole.bytes_received,
                        whole.reusable
                    ),
                    "cut at {cut} of {:?}",
                    String::from_utf8_lossy(&wire)
                );
            }
        }
    }

    fn valid_examples() -> Vec<Vec<u8>> {
        [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"[..],
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\nmissing",
            b"HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n",
        ]
        .iter()
        .map(|w| w.to_vec())
        .collect()
    }

    // --- real sockets ---

    #[tokio::test]
    async fn keep_alive_over_loopback_tcp_and_a_close_at_the_end() {
        use tokio::io::AsyncBufReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = tokio::io::BufReader::new(read).lines();
            let mut requests = 0;
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.is_empty() {
                    requests += 1;
                    let response = if requests < 3 {
                        format!("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{requests:02}")
                    } else {
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nzz\r\n0\r\n\r\n".into()
                    };
                    write.write_all(response.as_bytes()).await.unwrap();
                }
            }
            requests
        });
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let mut connection = H1Connection::new(stream);
        let request = serialize_request(
            &Method::GET,
            "/",
            &address.to_string(),
            &HeaderMap::new(),
            b"",
        );
        let mut bodies = Vec::new();
        while connection.is_reusable() {
            let r = connection.exchange(&request, &expect_body()).await.unwrap();
            bodies.push(r.body.unwrap());
        }
        assert_eq!(bodies, [&b"01"[..], b"02", b"zz"]);
        drop(connection);
        assert_eq!(server.await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_duplex_stream_works_as_well() {
        let (client, mut server) = tokio::io::duplex(64);
        let serve = tokio::spawn(async move {
            let mut request = vec![0; 256];
            let n = server.read(&mut request).await.unwrap();
            request.truncate(n);
            // Larger than the duplex buffer: arrives in several reads.
            let body = vec![b'x'; 1000];
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            server.write_all(head.as_bytes()).await.unwrap();
            server.write_all(&body).await.unwrap();
            request
        });
        let mut connection = H1Connection::new(client);
        let r = connection
            .exchange(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", &expect_body())
            .await
            .unwrap();
        assert_eq!(r.body.unwrap().len(), 1000);
        assert_eq!(serve.await.unwrap(), b"GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    }

    // --- properties ---

    /// A valid response with random framing, interim responses and body, and its body.
    fn valid_response() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, u16)> {
        (
            prop::sample::select(vec![200u16, 201, 404, 500]),
            prop::collection::vec(any::<u8>(), 0..300),
            0..3usize,
            prop::collection::vec(1..50usize, 0..6),
            any::<bool>(),
            0..2usize,
        )
            .prop_map(|(status, body, framing, chunk_sizes, trailer, interim)| {
                let mut wire = Vec::new();
                for _ in 0..interim {
                    wire.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                wire.extend_from_slice(format!("HTTP/1.1 {status} X\r\nServer: t\r\n").as_bytes());
                match framing {
                    0 => {
                        wire.extend_from_slice(
                            format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes(),
                        );
                        wire.extend_from_slice(&body);
                    }
                    1 => {
                        wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                        let mut rest = &body[..];
                        let mut sizes = chunk_sizes.iter().cycle();
                        while !rest.is_empty() {
                            let n = sizes.next().copied().unwrap_or(rest.len()).min(rest.len());
                            wire.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                            wire.extend_from_slice(&rest[..n]);
                            wire.extend_from_slice(b"\r\n");
                            rest = &rest[n..];
                        }
                        wire.extend_from_slice(if trailer {
                            &b"0\r\nT: v\r\n\r\n"[..]
                        } else {
                            b"0\r\n\r\n"
                        });
                    }
                    _ => {
                        wire.extend_from_slice(b"Connection: close\r\n\r\n");
                        wire.extend_from_slice(&body);
                    }
                }
                (wire, body, status)
            })
    }

    /// Splits `bytes` at the given (sorted, deduplicated) cut points.
    fn chunks(bytes: &[u8], cuts: &[prop::sample::Index]) -> Vec<Vec<u8>> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        points.dedup();
        let mut out = Vec::new();
        let mut from = 0;
        for p in points.into_iter().chain([bytes.len()]) {
            out.push(bytes[from..p].to_vec());
            from = p;
        }
        out
    }

    proptest! {
        #[test]
        fn any_chunking_of_a_valid_response_parses_the_same(
            (wire, expected_body, status) in valid_response(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let r = exchange_with(Scripted::new(chunks(&wire, &cuts)), expect_body()).unwrap();
            prop_assert_eq!(r.status, status);
            prop_assert_eq!(r.body.as_deref(), Some(&expected_body[..]));
            prop_assert_eq!(r.bytes_received, wire.len() as u64);
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..600),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            if let Ok(r) = exchange_with(Scripted::new(chunks(&bytes, &cuts)), expect_body()) {
                prop_assert!(r.bytes_received <= bytes.len() as u64);
            }
        }

        #[test]
        fn mutated_responses_never_panic_and_never_overcount(
            head in prop::collection::vec(prop::sample::select(vec![
                "Content-Length: 3\r\n", "Content-Length: 0\r\n", "Content-Length: x\r\n",
                "Content-Length: 3, 4\r\n", "Transfer-Encoding: chunked\r\n",
                "Transfer-Encoding: gzip\r\n", "Connection: close\r\n", "Connection: keep-alive\r\n",
                "X: \x01\r\n", "Bad Header\r\n", "\r\n",
            ]), 0..6),
            status in prop::sample::select(vec!["HTTP/1.1 200 OK\r\n", "HTTP/1.0 204 N\r\n",
                "HTTP/1.1 100 C\r\n", "HTTP/1.1 99 X\r\n", "HTTP/2 200\r\n", "HTTP/1.1 304 N\r\n"]),
            tail in prop::collection::vec(prop::sample::select(vec![
                "abc".as_bytes().to_vec(), b"0\r\n\r\n".to_vec(), b"3\r\nabc\r\n".to_vec(),
                b"\r\n".to_vec(), b"ffffffff\r\n".to_vec(), b"HTTP/1.1 200 OK\r\n\r\n".to_vec(),
                vec![0xff, 0x00, b'\n'],
            ]), 0..6),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut wire = status.as_bytes().to_vec();
            for h in &head { wire.extend_from_slice(h.as_bytes()); }
            wire.extend_from_slice(b"\r\n");
            for t in &tail { wire.extend_from_slice(t); }
            match exchange_with(Scripted::new(chunks(&wire, &cuts)), expect_body()) {
                Ok(r) => {
                    prop_assert!(r.bytes_received <= wire.len() as u64);
                    prop_assert!((100..=999).contains(&r.status));
                }
                Err(e) => prop_assert!(e.code().starts_with("Non HTTP response code: ")),
            }
        }
    }
}
