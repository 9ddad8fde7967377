//! The run's TLS client configuration, built once from the plan's `tls:` section.
//!
//! One [`TlsClient`] (one `Arc<rustls::ClientConfig>`) serves every connection of a run, so
//! rustls' in-memory session cache resumes sessions across reconnects: a lane that reconnects
//! (after `keepalive: false`, a server close or a timeout) does an abbreviated handshake.
//!
//! Trust: the webpki roots, the system store (rustls-native-certs) and the plan's `ca-file`;
//! `insecure` replaces verification of the certificate chain and name by a verifier that
//! accepts any certificate (signatures over the handshake are still checked, so the server
//! holds the key of the certificate it showed). ALPN follows `http-version`: `auto` offers
//! `h2` then `http/1.1`, `1.1` only `http/1.1`, `2` only `h2`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_rustls::TlsConnector;
use vajra_plan::{HttpVersion, TlsSpec, TlsVersion};

use super::error::TransportError;
use crate::request::Origin;

/// ALPN protocol ids.
pub const ALPN_H2: &[u8] = b"h2";
pub const ALPN_HTTP1: &[u8] = b"http/1.1";

/// Why the plan's TLS settings cannot be used; reported when the run starts.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    #[error("tls.ca-file {}: {problem}", path.display())]
    CaFile { path: PathBuf, problem: String },
    #[error("tls.client-cert {}: {problem}", path.display())]
    ClientCert { path: PathBuf, problem: String },
    #[error("tls.client-key {}: {problem}", path.display())]
    ClientKey { path: PathBuf, problem: String },
    #[error("tls.client-cert {} with tls.client-key {}: {problem}", cert.display(), key.display())]
    ClientIdentity {
        cert: PathBuf,
        key: PathBuf,
        problem: String,
    },
    #[error("tls.server-name {name:?}: not a valid DNS name or IP address")]
    ServerName { name: String },
    #[error("tls: {0}")]
    Rustls(String),
}

/// The run's TLS configuration, built at run start when the plan uses TLS (so bad files stop
/// the run before it starts), else on the first `https://` connection (a redirect, or a URL
/// from a data row): loading the system's roots costs tens of milliseconds a plain-HTTP run
/// need not pay.
pub struct TlsSetup {
    spec: TlsSpec,
    version: HttpVersion,
    client: OnceLock<TlsClient>,
}

impl TlsSetup {
    pub fn new(spec: &TlsSpec, version: HttpVersion, eager: bool) -> Result<Self, TlsConfigError> {
        let setup = TlsSetup {
            spec: spec.clone(),
            version,
            client: OnceLock::new(),
        };
        if eager {
            let _ = setup.client.set(TlsClient::new(spec, version)?);
        }
        Ok(setup)
    }

    /// The configuration, built now if it was not yet.
    pub fn client(&self) -> Result<&TlsClient, TransportError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = TlsClient::new(&self.spec, self.version)
            .map_err(|e| TransportError::new(super::error::TLS_CONFIG, format_args!("TLS: {e}")))?;
        // Two lanes may build it at once; one wins and both use the winner's.
        let _ = self.client.set(client);
        self.client.get().ok_or_else(|| {
            TransportError::new(super::error::TLS_CONFIG, "the TLS configuration is missing")
        })
    }

    /// Whether certificate verification is off (`tls.insecure`).
    pub fn insecure(&self) -> bool {
        self.spec.insecure
    }
}

/// How this run's connections do TLS.
#[derive(Clone)]
pub struct TlsClient {
    connector: TlsConnector,
    server_name: Option<ServerName<'static>>,
    insecure: bool,
}

impl TlsClient {
    /// Builds the configuration from the plan's `tls:` section and HTTP version.
    pub fn new(spec: &TlsSpec, version: HttpVersion) -> Result<Self, TlsConfigError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = match spec.min_version {
            TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersion::Tls13 => &[&rustls::version::TLS13],
        };
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
        let builder = if spec.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate {
                    algorithms: provider.signature_verification_algorithms,
                }))
        } else {
            builder.with_root_certificates(trusted_roots(spec.ca_file.as_deref())?)
        };
        let mut config = match (&spec.client_cert, &spec.client_key) {
            (Some(cert), Some(key)) => {
                let chain =
                    read_certificates(cert).map_err(|problem| TlsConfigError::ClientCert {
                        path: cert.clone(),
                        problem,
                    })?;
                let private_key = read_private_key(key)?;
                builder
                    .with_client_auth_cert(chain, private_key)
                    .map_err(|e| TlsConfigError::ClientIdentity {
                        cert: cert.clone(),
                        key: key.clone(),
                        problem: e.to_string(),
                    })?
            }
            _ => builder.with_no_client_auth(),
        };
        config.alpn_protocols = alpn_for(version);
        let server_name = spec
            .server_name
            .as_ref()
            .map(|name| {
                ServerName::try_from(name.clone())
                    .map_err(|_| TlsConfigError::ServerName { name: name.clone() })
            })
            .transpose()?;
        Ok(TlsClient {
            connector: TlsConnector::from(Arc::new(config)),
            server_name,
            insecure: spec.insecure,
        })
    }

    /// Whether certificate verification is off (`tls.insecure`).
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    pub(crate) fn connector(&self) -> &TlsConnector {
        &self.connector
    }

    /// The name sent as SNI and checked against the certificate: `tls.server-name`, else the
    /// URL's host (an IP address is checked against the certificate's IP addresses).
    pub(crate) fn server_name(
        &self,
        origin: &Origin,
    ) -> Result<ServerName<'static>, TransportError> {
        if let Some(name) = &self.server_name {
            return Ok(name.clone());
        }
        ServerName::try_from(origin.bare_host().to_string()).map_err(|_| {
            TransportError::new(
                "Non HTTP response code: InvalidRequest",
                format_args!("{} is not a host name TLS can verify", origin.bare_host()),
            )
        })
    }
}

/// ALPN offers for an HTTP version.
pub fn alpn_for(version: HttpVersion) -> Vec<Vec<u8>> {
    match version {
        HttpVersion::Auto => vec![ALPN_H2.to_vec(), ALPN_HTTP1.to_vec()],
        HttpVersion::Http1 => vec![ALPN_HTTP1.to_vec()],
        HttpVersion::Http2 => vec![ALPN_H2.to_vec()],
    }
}

/// The webpki roots, the system's roots and the certificates of `ca_file`.
fn trusted_roots(ca_file: Option<&Path>) -> Result<RootCertStore, TlsConfigError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // A system store that cannot be read (or has unparsable entries) is not the plan's fault:
    // the webpki roots and the ca-file still apply.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_file {
        let ca_error = |problem: String| TlsConfigError::CaFile {
            path: path.to_path_buf(),
            problem,
        };
        for cert in read_certificates(path).map_err(ca_error)? {
            roots
                .add(cert)
                .map_err(|e| ca_error(format!("not a usable CA certificate: {e}")))?;
        }
    }
    Ok(roots)
}

/// Every certificate of a PEM file; at least one.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    let key_error = |problem: String| TlsConfigError::ClientKey {
        path: path.to_path_buf(),
        problem,
    };
    let pem = std::fs::read(path).map_err(|e| key_error(format!("cannot read it: {e}")))?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => key_error(
            "no private key in it (expected PEM: -----BEGIN PRIVATE KEY-----, RSA or EC)".into(),
        ),
        // Never echo key material: only the kind of problem.
        other => key_error(format!("not a valid PEM private key ({other})")),
    })
}

/// `tls.insecure`: any certificate, for any name, is accepted. Handshake signatures are still
/// verified with the provider's algorithms.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_follows_the_http_version() {
        assert_eq!(
            alpn_for(HttpVersion::Auto),
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert_eq!(alpn_for(HttpVersion::Http1), vec![b"http/1.1".to_vec()]);
        assert_eq!(alpn_for(HttpVersion::Http2), vec![b"h2".to_vec()]);
    }

    #[test]
    fn a_ca_file_without_certificates_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let spec = TlsSpec {
            ca_file: Some(path.clone()),
            ..TlsSpec::default()
        };
        let err = TlsClient::new(&spec, HttpVersion::Auto).err().unwrap();
        let text = err.to_string();
        assert!(text.starts_with("tls.ca-file "), "{text}");
        assert!(
            text.contains("ca.pem") && text.contains("no certificate"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_client_key_is_named_without_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["client".into()]).unwrap();
        let cert_path = dir.path().join("client.pem");
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        let key_path = dir.path().join("client.key");
        std::fs::write(&key_path, "secret-ish garbage").unwrap();
        let spec = TlsSpec {
            client_cert: Some(cert_path),
            client_key: Some(key_path),
            ..TlsSpec::default()
        };
        let text = TlsClient::new(&spec, HttpVersion::Auto)
            .err()
            .unwrap()
            .to_string();
        assert!(
            text.starts_with("tls.client-key ") && text.contains("client.key"),
            "{text}"
        );
        assert!(!text.contains("secret-ish"), "{text}");
    }

    #[test]
    fn a_client_key_that_does_not_match_the_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let one = rcgen::generate_simple_self_signed(vec!["one".into()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["other".into()]).unwrap();
        let cert_path = dir.path().join("one.pem");
        let key_path = dir.path().join("other.key");
        std::fs::write(&cert_path, one.cert.pem()).unwrap();
        std::fs::write(&key_path, other.signing_key.serialize_pem()).unwrap();
        let spec = TlsSpec {
            client_cert: Some(cert_path),
            client_key: Some(key_path),
            ..TlsSpec::default()
        };
        let text = TlsClient::new(&spec, HttpVersion::Auto)
            .err()
            .unwrap()
            .to_string();
        assert!(
            text.contains("one.pem") && text.contains("other.key"),
            "{text}"
        );
    }
}
