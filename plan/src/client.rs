//! How the runner's client talks to the target: the HTTP version, TLS, and the per-request
//! behaviours (redirects, keep-alive) that a plan can set. Pure data: the runner builds its
//! connections from it.

use std::path::PathBuf;

/// Redirect hops followed when a plan says `follow-redirects: true` (k6's default limit).
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;

/// The plan's client settings: one per plan, since a lane's connection serves every request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSpec {
    pub http_version: HttpVersion,
    pub tls: TlsSpec,
}

/// Which HTTP version the client speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/1.1 on `http://`; on `https://`, whatever ALPN settles (h2 or HTTP/1.1).
    #[default]
    Auto,
    /// HTTP/1.1 only (ALPN offers only `http/1.1`).
    Http1,
    /// HTTP/2 only: ALPN `h2` on `https://`, prior-knowledge h2c on `http://`.
    Http2,
}

/// TLS options for `https://` targets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSpec {
    /// Extra trusted roots (PEM), on top of the webpki roots and the system store. Resolved
    /// against the plan's directory.
    pub ca_file: Option<PathBuf>,
    /// Skip certificate verification. The run says so loudly, in its output and summary.
    pub insecure: bool,
    /// Client certificate chain (PEM) and its private key (PEM), for mutual TLS.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// The name sent as SNI and checked against the certificate, instead of the URL's host.
    pub server_name: Option<String>,
    pub min_version: TlsVersion,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    #[default]
    Tls12,
    Tls13,
}
