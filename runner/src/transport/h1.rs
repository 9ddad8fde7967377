//! HTTP/1.1 over one connection, one exchange at a time (hyper's http1 client).
//!
//! Kept behind [`Http1`] — handshake, readiness, `exchange` — so another HTTP/1.1
//! implementation can replace it without touching the lane's [`super::Connection`].
//! Bytes: sent is [`PreparedRequest::wire_size`]; received is the status line and headers as
//! HTTP/1.1 text plus the body bytes (hyper does not expose the raw count).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use super::error::TransportError;
use super::Exchange;
use crate::request::{header_block_size, PreparedRequest};

/// An HTTP/1.1 connection.
pub struct Http1 {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Http1 {
    /// Starts HTTP/1.1 over `stream`; the connection's driver runs as its own task.
    pub async fn handshake<S>(stream: S) -> Result<Self, TransportError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| TransportError::from_hyper(&e))?;
        tokio::spawn(async move {
            // The connection ends when the server closes it or the sender is dropped; either
            // way the next exchange notices through `is_ready` and reconnects.
            let _ = connection.await;
        });
        Ok(Http1 { sender })
    }

    /// Whether the connection can take a request (false once the server closed it).
    pub async fn is_ready(&mut self) -> bool {
        self.sender.ready().await.is_ok()
    }

    /// Sends `request`, waits for the whole response, and measures it. After an error the
    /// connection must not be used again.
    pub async fn exchange(
        &mut self,
        request: &PreparedRequest,
    ) -> Result<Exchange, TransportError> {
        let mut http_request = Request::new(Full::new(request.body().clone()));
        *http_request.method_mut() = request.method().clone();
        *http_request.uri_mut() = request.target().clone();
        let headers = http_request.headers_mut();
        headers.reserve(request.headers().len() + 1);
        headers.insert(http::header::HOST, request.host().clone());
        for (name, value) in request.headers() {
            headers.append(name, value.clone());
        }

        let sent_at = Instant::now();
        let response = self
            .sender
            .send_request(http_request)
            .await
            .map_err(|e| TransportError::from_hyper(&e))?;
        let first_byte_at = Instant::now();
        let status = response.status();
        let head_size = response_head_size(status, response.headers());
        let (parts, mut body) = response.into_parts();
        let mut body_size = 0u64;
        let mut kept = request.keep_body().then(Vec::new);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| TransportError::from_hyper(&e))?;
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
            connect: Duration::ZERO,
            status: status.as_u16(),
            bytes_received: head_size + body_size,
            bytes_sent: request.wire_size(),
            body: kept.map(Bytes::from),
            headers: super::ResponseHeaders::from_map(status, parts.headers),
        })
    }
}

/// Size of the status line and headers as received.
fn response_head_size(status: http::StatusCode, headers: &HeaderMap) -> u64 {
    let reason = status.canonical_reason().unwrap_or("");
    let line = "HTTP/1.1 ".len() + 3 + 1 + reason.len() + 2;
    (line + header_block_size(headers) + 2) as u64
}
