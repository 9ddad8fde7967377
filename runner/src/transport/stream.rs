//! Opening a connection: TCP (with Nagle off) and, for `https://`, the TLS handshake.
//!
//! The connect time reported includes the TLS handshake, as JMeter's `Connect` column does.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::error::TransportError;
use super::tls::{TlsSetup, ALPN_H2};
use crate::request::Origin;

/// A connected byte stream, plain or TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// A fresh connection and what opening it took.
pub struct Connected {
    pub stream: Stream,
    /// TCP connect plus TLS handshake.
    pub connect: Duration,
    /// The server chose `h2` by ALPN.
    pub h2_negotiated: bool,
}

/// Connects to `origin`; `tls` is used for `https://` origins.
pub async fn connect(origin: &Origin, tls: &TlsSetup) -> Result<Connected, TransportError> {
    let started = Instant::now();
    let spent = |mut e: TransportError| {
        e.connect = started.elapsed();
        e
    };
    let tcp = TcpStream::connect((origin.bare_host(), origin.port))
        .await
        .map_err(|e| spent(TransportError::from_io(&e)))?;
    // Small requests must not wait for Nagle's algorithm.
    tcp.set_nodelay(true)
        .map_err(|e| spent(TransportError::from_io(&e)))?;
    if !origin.tls {
        return Ok(Connected {
            stream: Stream::Plain(tcp),
            connect: started.elapsed(),
            h2_negotiated: false,
        });
    }
    let tls = tls.client().map_err(spent)?;
    let name = tls.server_name(origin).map_err(spent)?;
    let stream = tls
        .connector()
        .connect(name, tcp)
        .await
        .map_err(|e| spent(TransportError::from_io(&e)))?;
    let h2_negotiated = stream.get_ref().1.alpn_protocol() == Some(ALPN_H2);
    Ok(Connected {
        stream: Stream::Tls(Box::new(stream)),
        connect: started.elapsed(),
        h2_negotiated,
    })
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
