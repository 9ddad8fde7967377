//! `/metrics` over HTTP/1.1, on a thread and runtime of its own, so a scrape never takes a
//! lane's time and the server can outlive the run's runtime for the last scrape.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Format, Metrics};

/// How long a scrape being answered when the server stops gets to finish.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The server's state that its handlers share.
struct Shared {
    metrics: Arc<Metrics>,
    /// Set once every value is final (the run has ended).
    finished: AtomicBool,
    /// Scrapes that started after `finished` was set, so carry the final values.
    final_scrapes: AtomicU64,
}

/// A running `/metrics` server; [`MetricsServer::stop`] ends it (dropping it does too, without
/// waiting for a scrape in progress).
pub struct MetricsServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    /// The server's own runtime, which [`MetricsServer::linger`] waits on.
    runtime: tokio::runtime::Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `addr` now (so a port in use is an error before the run starts) and serves
    /// `metrics` from a thread of its own.
    pub fn start(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            metrics,
            finished: AtomicBool::new(false),
            final_scrapes: AtomicU64::new(0),
        });
        let shutdown = CancellationToken::new();
        let handle = runtime.handle().clone();
        let thread = {
            let (shared, shutdown) = (shared.clone(), shutdown.clone());
            std::thread::Builder::new()
                .name("vajra-metrics".into())
                .spawn(move || runtime.block_on(serve(listener, shared, shutdown)))?
        };
        Ok(MetricsServer {
            addr,
            shared,
            shutdown,
            runtime: handle,
            thread: Some(thread),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Marks every value final: scrapes from now on count for [`MetricsServer::linger`].
    pub fn finish(&self) {
        self.shared.finished.store(true, Ordering::Release);
    }

    /// Blocks, after [`MetricsServer::finish`], until a scrape has read the final values, at
    /// most `linger`, or until Ctrl-C. It waits on the server's own runtime, so it works after
    /// the run's runtime has shut down.
    pub fn linger(&self, linger: Duration) {
        let shared = self.shared.clone();
        self.runtime.block_on(async move {
            let deadline = tokio::time::Instant::now() + linger;
            let ctrl_c = tokio::signal::ctrl_c();
            tokio::pin!(ctrl_c);
            while shared.final_scrapes.load(Ordering::Acquire) == 0 {
                let step = tokio::time::Instant::now() + Duration::from_millis(20);
                if step > deadline {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(step) => {}
                    _ = &mut ctrl_c => break,
                }
            }
        });
    }

    /// Scrapes answered with the final values so far.
    pub fn final_scrapes(&self) -> u64 {
        self.shared.final_scrapes.load(Ordering::Acquire)
    }

    /// Stops accepting, lets a scrape in progress finish (up to [`CLOSE_GRACE`]), and ends.
    pub fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn serve(listener: std::net::TcpListener, shared: Arc<Shared>, shutdown: CancellationToken) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let connections = TaskTracker::new();
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait, don't spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (shared, shutdown) = (shared.clone(), shutdown.clone());
        connections.spawn(async move {
            let service = service_fn(move |req| answer(req, shared.clone()));
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    connections.close();
    let _ = tokio::time::timeout(CLOSE_GRACE, connections.wait()).await;
}

async fn answer(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let plain = |status, text: &'static str| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from_static(text.as_bytes())))
    };
    let response = match (req.method(), req.uri().path()) {
        (&http::Method::GET | &http::Method::HEAD, "/metrics") => {
            // Read before encoding: a scrape that sees the flag reads only final values.
            let final_values = shared.finished.load(Ordering::Acquire);
            let accept = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            let format = Format::negotiate(accept);
            match shared.metrics.encode(format) {
                Ok(body) => {
                    if final_values {
                        shared.final_scrapes.fetch_add(1, Ordering::AcqRel);
                    }
                    Response::builder()
                        .header(header::CONTENT_TYPE, format.content_type())
                        .body(Full::new(Bytes::from(body)))
                }
                Err(_) => plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot encode the metrics\n",
                ),
            }
        }
        (_, "/metrics") => plain(StatusCode::METHOD_NOT_ALLOWED, "use GET /metrics\n"),
        _ => plain(StatusCode::NOT_FOUND, "vajra serves /metrics only\n"),
    };
    Ok(response.unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}
