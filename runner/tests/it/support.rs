//! Real servers for the transport tests, on 127.0.0.1: a test CA and certificates (rcgen), a
//! rustls server speaking HTTP/1.1 (hyper) or HTTP/2 (h2) by ALPN, h2c, and plain HTTP/1.1;
//! plus running a plan and reading its JTL back.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use vajra_plan::Plan;
use vajra_runner::{run, RunError, RunReport, RunSettings, StopSignal};
use vajra_stats::jtl::JtlReader;

/// A test CA that issues server and client certificates, with its PEM in a temp directory.
pub struct Pki {
    pub dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
    pub ca_file: PathBuf,
}

/// A certificate chain and key for a rustls server.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Pki {
    pub fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // Each CA has its own name: a verifier looks a certificate's issuer up by name.
        static CAS: AtomicUsize = AtomicUsize::new(0);
        let name = format!("vajra test CA {}", CAS.fetch_add(1, Ordering::Relaxed));
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        Pki { dir, ca, ca_file }
    }

    /// A certificate for `names` (DNS names or IP addresses), valid now unless `expired`.
    pub fn issue(&self, names: &[&str], expired: bool) -> Identity {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("x"));
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        Identity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }

    /// A client certificate and key written as PEM files: `(cert, key)`.
    pub fn client_files(&self, name: &str) -> (PathBuf, PathBuf) {
        let params = CertificateParams::new(vec![name.to_string()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        let cert_path = self.dir.path().join(format!("{name}.pem"));
        let key_path = self.dir.path().join(format!("{name}.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }

    /// A server configuration with `identity`, offering `alpn`; `client_auth`: require a
    /// client certificate signed by this CA.
    pub fn server_config(
        &self,
        identity: Identity,
        alpn: &[&[u8]],
        client_auth: bool,
    ) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_auth {
            let mut roots = RootCertStore::empty();
            roots.add(self.ca.der().clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder
            .with_single_cert(identity.chain, identity.key)
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

/// What a test server saw.
#[derive(Default)]
pub struct Seen {
    pub connections: AtomicUsize,
    pub handshakes: AtomicUsize,
    pub resumed: AtomicUsize,
    pub requests: Mutex<Vec<SeenRequest>>,
}

#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub connection: usize,
    pub method: Method,
    pub uri: Uri,
    pub cookie: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub http2: bool,
}

impl Seen {
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<SeenRequest> {
        self.requests.lock().unwrap().clone()
    }
}

/// Answers a request: `(method, uri, headers)` → response.
pub type Handler = Arc<dyn Fn(&Method, &Uri, &HeaderMap) -> Response<Bytes> + Send + Sync>;

/// `200 ok` to everything.
pub fn ok_handler() -> Handler {
    Arc::new(|_, _, _| Response::new(Bytes::from_static(b"ok")))
}

/// How the HTTP/2 side of a test server treats streams.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum H2Behaviour {
    Answer,
    /// RST_STREAM with this reason instead of a response.
    Reset(h2::Reason),
    /// GOAWAY (abruptly, before answering) on the first request of each connection.
    GoAway(h2::Reason),
}

#[derive(Clone)]
pub struct ServerOptions {
    pub tls: Option<Arc<ServerConfig>>,
    /// Plain connections speak h2c (prior knowledge) instead of HTTP/1.1.
    pub h2c: bool,
    pub h2: H2Behaviour,
    pub max_concurrent_streams: Option<u32>,
    /// A delay before each answer, so requests overlap.
    pub delay: Duration,
    pub handler: Handler,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            tls: None,
            h2c: false,
            h2: H2Behaviour::Answer,
            max_concurrent_streams: None,
            delay: Duration::ZERO,
            handler: ok_handler(),
        }
    }
}

pub struct Server {
    pub addr: SocketAddr,
    pub seen: Arc<Seen>,
}

impl Server {
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }
}

/// Starts a server on 127.0.0.1; it runs until the test's runtime ends.
pub async fn start(options: ServerOptions) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let server_seen = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let id = server_seen.connections.fetch_add(1, Ordering::SeqCst);
            let seen = server_seen.clone();
            let options = options.clone();
            tokio::spawn(async move {
                match options.tls.clone() {
                    Some(config) => {
                        let Ok(tls) = tokio_rustls::TlsAcceptor::from(config).accept(tcp).await
                        else {
                            return;
                        };
                        seen.handshakes.fetch_add(1, Ordering::SeqCst);
                        let (_, session) = tls.get_ref();
                        if session.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                            seen.resumed.fetch_add(1, Ordering::SeqCst);
                        }
                        let h2 = session.alpn_protocol() == Some(b"h2");
                        serve(tls, h2, id, seen, options).await;
                    }
                    None => serve(tcp, options.h2c, id, seen, options.clone()).await,
                }
            });
        }
    });
    Server { addr, seen }
}

async fn serve<S>(stream: S, h2: bool, id: usize, seen: Arc<Seen>, options: ServerOptions)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if h2 {
        serve_h2(stream, id, seen, options).await
    } else {
        serve_h1(stream, id, seen, options).await
    }
}

fn record(
    seen: &Seen,
    id: usize,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    http2: bool,
) {
    seen.requests.lock().unwrap().push(SeenRequest {
        connection: id,
        method: method.clone(),
        uri: uri.clone(),
        cookie: headers
            .get(http::header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        headers: headers.clone(),
        body,
        http2,
    });
}

async fn serve_h1<S>(stream: S, id: usize, seen: Arc<Seen>, options: ServerOptions)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let seen = seen.clone();
        let options = options.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            record(
                &seen,
                id,
                &parts.method,
                &parts.uri,
                &parts.headers,
                body,
                false,
            );
            tokio::time::sleep(options.delay).await;
            let response = (options.handler)(&parts.method, &parts.uri, &parts.headers);
            Ok::<_, std::convert::Infallible>(response.map(Full::new))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn serve_h2<S>(stream: S, id: usize, seen: Arc<Seen>, options: ServerOptions)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = h2::server::Builder::new();
    if let Some(max) = options.max_concurrent_streams {
        builder.max_concurrent_streams(max);
    }
    let Ok(mut connection) = builder.handshake::<_, Bytes>(stream).await else {
        return;
    };
    while let Some(accepted) = connection.accept().await {
        let Ok((request, mut respond)) = accepted else {
            return;
        };
        if let H2Behaviour::GoAway(reason) = options.h2 {
            let (parts, _) = request.into_parts();
            record(
                &seen,
                id,
                &parts.method,
                &parts.uri,
                &parts.headers,
                Bytes::new(),
                true,
            );
            connection.abrupt_shutdown(reason);
            // Keep driving the connection so the GOAWAY is written before it closes.
            while connection.accept().await.is_some() {}
            drop(respond);
            return;
        }
        let seen = seen.clone();
        let options = options.clone();
        // Each stream on its own task: the connection must keep being polled meanwhile.
        tokio::spawn(async move {
            let (parts, mut body) = request.into_parts();
            let mut received = Vec::new();
            while let Some(Ok(chunk)) = body.data().await {
                let _ = body.flow_control().release_capacity(chunk.len());
                received.extend_from_slice(&chunk);
            }
            record(
                &seen,
                id,
                &parts.method,
                &parts.uri,
                &parts.headers,
                received.into(),
                true,
            );
            if let H2Behaviour::Reset(reason) = options.h2 {
                respond.send_reset(reason);
                return;
            }
            tokio::time::sleep(options.delay).await;
            let response = (options.handler)(&parts.method, &parts.uri, &parts.headers);
            let (head, body) = response.into_parts();
            let head = Response::from_parts(head, ());
            if let Ok(mut stream) = respond.send_response(head, body.is_empty()) {
                if !body.is_empty() {
                    let _ = stream.send_data(body, true);
                }
            }
        });
    }
}

/// One JTL row, as the tests check it.
#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    pub timestamp_ms: u64,
    pub elapsed_ms: u64,
    pub thread: String,
    pub code: String,
    pub message: String,
    pub success: bool,
    pub failure: String,
    pub url: String,
    pub bytes: u64,
    pub sent_bytes: u64,
}

/// Runs the plan `yaml` (written in `dir`) and returns its report and JTL rows.
pub async fn run_plan(yaml: &str, dir: &Path) -> Result<(RunReport, Vec<Row>), RunError> {
    let plan_path = dir.join("plan.yaml");
    std::fs::write(&plan_path, yaml).unwrap();
    let plan = Plan::load(&plan_path).unwrap_or_else(|e| panic!("{e}"));
    run_loaded(&plan, dir).await
}

/// Runs `plan` (already loaded, perhaps changed since) with its JTL in `dir`.
pub async fn run_loaded(plan: &Plan, dir: &Path) -> Result<(RunReport, Vec<Row>), RunError> {
    run_stoppable(plan, dir, StopSignal::default()).await
}

/// [`run_loaded`], stopped when `stop` is signalled.
pub async fn run_stoppable(
    plan: &Plan,
    dir: &Path,
    stop: StopSignal,
) -> Result<(RunReport, Vec<Row>), RunError> {
    let jtl = dir.join("results.jtl");
    let settings = RunSettings {
        model: plan.load.build_model().unwrap(),
        worker_index: 0,
        worker_count: 1,
        max_in_flight: 1000,
        drain_timeout: Duration::from_secs(5),
        jtl_path: jtl.clone(),
        hdr_log: None,
        metrics: None,
    };
    let report = run(plan, settings, stop, Box::new(|_| {})).await?;
    Ok((report, read_rows(&jtl)))
}

pub fn read_rows(path: &Path) -> Vec<Row> {
    let mut reader = JtlReader::open(path, true).unwrap();
    let mut rows = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        let o = record.observation();
        rows.push(Row {
            label: record.label().to_string(),
            timestamp_ms: o.timestamp_ms,
            elapsed_ms: o.elapsed_us / 1000,
            thread: record.thread_name().to_string(),
            code: record.response_code().to_string(),
            message: o.response_message.to_string(),
            success: o.success,
            failure: o.failure_message.to_string(),
            url: o.url.to_string(),
            bytes: o.bytes_received,
            sent_bytes: o.bytes_sent,
        });
    }
    rows
}

/// A 200 response with `body`.
pub fn text(body: &'static str) -> Response<Bytes> {
    Response::new(Bytes::from_static(body.as_bytes()))
}

/// A redirect response.
pub fn redirect(status: u16, location: &str) -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header(http::header::LOCATION, location)
        .body(Bytes::new())
        .unwrap()
}

/// Every row satisfies `check`; otherwise the first that does not is shown.
pub fn assert_every(rows: &[Row], check: impl Fn(&Row) -> bool) {
    if let Some(row) = rows.iter().find(|r| !check(r)) {
        panic!("{} rows; this one fails the check: {row:?}", rows.len());
    }
}
