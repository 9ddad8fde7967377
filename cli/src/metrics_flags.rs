//! `vajra run`'s live-metrics flags and their life around a run: serve `/metrics` from before
//! the first request, then at the end push the final snapshot and keep serving until a scrape
//! has read it (docs/metrics.md).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use url::Url;
use vajra_plan::duration::parse_duration;
use vajra_runner::metrics::server::MetricsServer;
use vajra_runner::metrics::{push, Metrics, MetricsLabels};

#[derive(Args, Debug, Clone)]
pub struct MetricsFlags {
    /// Serve live Prometheus metrics on http://ADDR/metrics during the run (e.g.
    /// 127.0.0.1:9464; port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// After the run, keep serving /metrics until a scrape has read the final values, at most
    /// this long (0s: stop at once).
    #[arg(long, default_value = "15s", value_name = "DURATION", value_parser = parse_duration)]
    pub metrics_linger: Duration,
    /// Push the final metrics to this Prometheus Pushgateway when the run ends (e.g.
    /// http://127.0.0.1:9091), for workers that end before a scrape would find them.
    #[arg(long, value_name = "URL", value_parser = push::parse_gateway)]
    pub push_gateway: Option<Url>,
}

/// The metrics of one run, while it runs.
pub struct LiveMetrics {
    metrics: Arc<Metrics>,
    server: Option<MetricsServer>,
    linger: Duration,
    push_gateway: Option<Url>,
}

impl MetricsFlags {
    /// The run's metrics and their server, or `None` when no flag asks for them. Binding fails
    /// here, before the run, with the address named.
    pub fn start(
        &self,
        plan: &str,
        worker_index: u32,
        worker_count: u32,
    ) -> anyhow::Result<Option<LiveMetrics>> {
        if self.metrics_addr.is_none() && self.push_gateway.is_none() {
            return Ok(None);
        }
        let metrics = Metrics::new(MetricsLabels {
            plan: plan.to_string(),
            worker_index,
            worker_count,
        });
        let server = match self.metrics_addr {
            Some(addr) => {
                let server = MetricsServer::start(addr, metrics.clone()).with_context(|| {
                    format!(
                        "cannot serve metrics on --metrics-addr {addr}: pass a free port (or \
                         port 0), or an address of this machine"
                    )
                })?;
                println!("metrics: http://{}/metrics", server.local_addr());
                Some(server)
            }
            None => None,
        };
        Ok(Some(LiveMetrics {
            metrics,
            server,
            linger: self.metrics_linger,
            push_gateway: self.push_gateway.clone(),
        }))
    }
}

impl LiveMetrics {
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The run has ended and every value is final: scrapes from now on read them, and they are
    /// pushed to the gateway, if one was given. A failed push is reported, not fatal: the run's
    /// own results are complete.
    pub async fn finish(&self) {
        if let Some(server) = &self.server {
            server.finish();
        }
        if let Some(gateway) = &self.push_gateway {
            match push::push(gateway, &self.metrics).await {
                Ok(()) => println!("metrics pushed to {gateway}"),
                Err(error) => eprintln!("warning: {}", crate::exit::one_line(&error)),
            }
        }
    }

    /// After the run's outputs: keep serving until a scrape has read the final values (at most
    /// `--metrics-linger`, Ctrl-C cuts it short), then stop the server.
    pub fn linger(self) {
        let Some(server) = self.server else {
            return;
        };
        if server.final_scrapes() == 0 && !self.linger.is_zero() {
            println!(
                "metrics: waiting up to {} for a scrape of the final values (Ctrl-C to skip)",
                vajra_plan::duration::format_duration(self.linger)
            );
            server.linger(self.linger);
        }
        server.stop();
    }
}
