//! Failures below HTTP, classified into the JTL's `responseCode`/`responseMessage`.
//!
//! Codes follow JMeter's "Non HTTP response code: …" rows so JMeter-minded tools group them;
//! the message says why in words. TLS failures name their cause (unknown CA, hostname
//! mismatch, expired certificate, a refused client certificate, any other handshake failure),
//! HTTP/2 ones the frame that ended the stream (GOAWAY, RST_STREAM) and its reason. Every
//! failure is a failed sample: none of them stops a run.

use std::error::Error as StdError;
use std::time::Duration;

use rustls::{AlertDescription, CertificateError};

pub const TIMEOUT: &str = "Non HTTP response code: Timeout";
pub const CONNECTION_CLOSED: &str = "Non HTTP response code: ConnectionClosed";
pub const INVALID_REDIRECT: &str = "Non HTTP response code: InvalidRedirect";
pub const TLS_UNKNOWN_CA: &str = "Non HTTP response code: TlsUnknownCa";
pub const TLS_HOSTNAME_MISMATCH: &str = "Non HTTP response code: TlsHostnameMismatch";
pub const TLS_CERTIFICATE_EXPIRED: &str = "Non HTTP response code: TlsCertificateExpired";
pub const TLS_BAD_CERTIFICATE: &str = "Non HTTP response code: TlsBadCertificate";
pub const TLS_CLIENT_CERTIFICATE_REJECTED: &str =
    "Non HTTP response code: TlsClientCertificateRejected";
pub const TLS_HANDSHAKE_FAILED: &str = "Non HTTP response code: TlsHandshakeFailed";
pub const TLS_CONFIG: &str = "Non HTTP response code: TlsConfigError";
pub const TLS_NO_APPLICATION_PROTOCOL: &str = "Non HTTP response code: TlsNoApplicationProtocol";
pub const HTTP2_GOAWAY: &str = "Non HTTP response code: Http2GoAway";
pub const HTTP2_STREAM_RESET: &str = "Non HTTP response code: Http2StreamReset";
pub const HTTP2_ERROR: &str = "Non HTTP response code: Http2Error";
pub const HTTP2_NOT_NEGOTIATED: &str = "Non HTTP response code: Http2NotNegotiated";

/// A failure below HTTP. `code` and `message` are the JTL `responseCode`/`responseMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub code: &'static str,
    pub message: String,
    /// Connect time already spent before the failure, if a connect was attempted.
    pub connect: Duration,
}

impl TransportError {
    pub fn new(code: &'static str, cause: impl std::fmt::Display) -> Self {
        TransportError {
            code,
            message: format!("Non HTTP response message: {cause}"),
            connect: Duration::ZERO,
        }
    }

    pub fn timeout(after: Duration) -> Self {
        Self::new(
            TIMEOUT,
            format_args!("no complete response within {} ms", after.as_millis()),
        )
    }

    pub fn cancelled() -> Self {
        Self::new(
            vajra_stats::sample::CANCELLED_CODE,
            "the test stopped before the response completed",
        )
    }

    /// An error of the socket or of the TLS layer above it.
    pub fn from_io(err: &std::io::Error) -> Self {
        if let Some(tls) = find_tls_error(err) {
            return Self::from_tls(tls);
        }
        use std::io::ErrorKind::*;
        let code = match err.kind() {
            ConnectionRefused => "Non HTTP response code: ConnectionRefused",
            ConnectionReset => "Non HTTP response code: ConnectionReset",
            ConnectionAborted => "Non HTTP response code: ConnectionAborted",
            // A peer that closes mid-record (a truncated TLS record) or mid-response.
            UnexpectedEof => CONNECTION_CLOSED,
            TimedOut => TIMEOUT,
            AddrNotAvailable | AddrInUse => "Non HTTP response code: AddressUnavailable",
            NotFound => "Non HTTP response code: UnknownHost",
            _ => "Non HTTP response code: IoError",
        };
        Self::new(code, err)
    }

    /// A TLS failure: during the handshake, or an alert the server sent after it (TLS 1.3
    /// servers refuse a client certificate only once the client already sent its request).
    pub fn from_tls(err: &rustls::Error) -> Self {
        let (code, why) = classify_tls(err);
        Self::new(code, format_args!("TLS: {why} ({err})"))
    }

    pub fn from_h2(err: &h2::Error) -> Self {
        if let Some(io) = err.get_io() {
            return Self::from_io(io);
        }
        let reason = err
            .reason()
            .map_or_else(|| "no reason".to_string(), |r| format!("{r:?}"));
        if err.is_go_away() && err.is_remote() {
            Self::new(
                HTTP2_GOAWAY,
                format_args!("the server sent GOAWAY ({reason}) before the response completed"),
            )
        } else if err.is_reset() && err.is_remote() {
            Self::new(
                HTTP2_STREAM_RESET,
                format_args!("the server reset the stream (RST_STREAM {reason})"),
            )
        } else {
            Self::new(HTTP2_ERROR, format_args!("HTTP/2: {err}"))
        }
    }

    /// Whether the HTTP/2 connection this came from can take no new streams.
    pub(crate) fn ends_connection(err: &h2::Error) -> bool {
        err.is_go_away() || err.is_io() || (!err.is_reset() && err.reason().is_some())
    }
}

/// The code and the reason in words for a TLS error.
fn classify_tls(err: &rustls::Error) -> (&'static str, &'static str) {
    use rustls::Error::*;
    match err {
        InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => (
                TLS_UNKNOWN_CA,
                "the server's certificate is not signed by a trusted CA (add the CA with \
                 tls.ca-file)",
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                (
                    TLS_HOSTNAME_MISMATCH,
                    "the server's certificate is not valid for the host name (or tls.server-name)",
                )
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => (
                TLS_CERTIFICATE_EXPIRED,
                "the server's certificate is expired or not valid yet",
            ),
            _ => (TLS_BAD_CERTIFICATE, "the server's certificate was refused"),
        },
        AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA,
        ) => (
            TLS_CLIENT_CERTIFICATE_REJECTED,
            "the server refused the client certificate, or wanted one (tls.client-cert)",
        ),
        AlertReceived(AlertDescription::NoApplicationProtocol) | NoApplicationProtocol => (
            TLS_NO_APPLICATION_PROTOCOL,
            "the server speaks none of the protocols offered by ALPN (see http-version)",
        ),
        _ => (TLS_HANDSHAKE_FAILED, "the handshake failed"),
    }
}

/// The rustls error at the root of `err`, looking through io errors (which hide their inner
/// error from `source()`).
fn find_tls_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            current = Some(inner);
            continue;
        }
        current = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_are_named_by_cause() {
        let io = |e: rustls::Error| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let unknown = TransportError::from_io(&io(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        )));
        assert_eq!(unknown.code, TLS_UNKNOWN_CA);
        assert!(
            unknown.message.contains("trusted CA"),
            "{}",
            unknown.message
        );
        let name = TransportError::from_io(&io(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName,
        )));
        assert_eq!(name.code, TLS_HOSTNAME_MISMATCH);
        let expired = TransportError::from_io(&io(rustls::Error::InvalidCertificate(
            CertificateError::Expired,
        )));
        assert_eq!(expired.code, TLS_CERTIFICATE_EXPIRED);
        let refused = TransportError::from_io(&io(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired,
        )));
        assert_eq!(refused.code, TLS_CLIENT_CERTIFICATE_REJECTED);
        let other = TransportError::from_io(&io(rustls::Error::AlertReceived(
            AlertDescription::ProtocolVersion,
        )));
        assert_eq!(other.code, TLS_HANDSHAKE_FAILED);
    }

    #[test]
    fn plain_io_errors_keep_their_codes() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            TransportError::from_io(&refused).code,
            "Non HTTP response code: ConnectionRefused"
        );
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert_eq!(TransportError::from_io(&eof).code, CONNECTION_CLOSED);
    }

    #[test]
    fn a_reason_not_received_from_the_server_is_a_generic_http2_error() {
        let reset = TransportError::from_h2(&h2::Error::from(h2::Reason::REFUSED_STREAM));
        // A bare reason (not from a frame) is a generic HTTP/2 error.
        assert_eq!(reset.code, HTTP2_ERROR);
    }
}
