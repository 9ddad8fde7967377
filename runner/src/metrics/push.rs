//! A final snapshot to a Prometheus Pushgateway, for workers that end before a scrape would
//! find them (CI jobs, Kubernetes Jobs).

use std::time::Duration;

use base64::Engine as _;
use url::Url;

use super::{Format, Metrics};

/// How long one push may take, connection included.
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Checks a `--push-gateway` value: an `http://` or `https://` URL (a path prefix is allowed,
/// for a gateway behind a proxy), without query or fragment. The message says what to pass.
pub fn parse_gateway(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| {
        format!("{text:?} is not a URL ({e}): pass the Pushgateway's base URL, like http://127.0.0.1:9091")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{text:?}: the Pushgateway's URL must be http:// or https:// with a host"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text:?}: the Pushgateway's URL takes no query or fragment (the grouping key is \
             added by vajra)"
        ));
    }
    Ok(url)
}

/// Where this worker's group goes: `<base>/metrics/job/vajra/plan@base64/<plan>/worker_index/<i>`.
/// The plan is base64url-encoded, as the Pushgateway reads it, so any name (slashes included)
/// fits in one path segment. Pushing again replaces the group (PUT).
pub fn group_url(base: &Url, metrics: &Metrics) -> Url {
    let labels = metrics.labels();
    let plan = base64::engine::general_purpose::URL_SAFE.encode(labels.plan.as_bytes());
    // An empty value is written as `=` in base64 form, as the Pushgateway documents.
    let plan = if plan.is_empty() {
        "=".to_string()
    } else {
        plan
    };
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!(
        "{prefix}/metrics/job/vajra/plan@base64/{plan}/worker_index/{}",
        labels.worker_index
    ));
    url
}

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("cannot encode the metrics")]
    Encode(#[from] super::EncodeError),
    #[error("cannot reach the Pushgateway at {url}")]
    Send {
        url: Url,
        #[source]
        source: reqwest::Error,
    },
    #[error("the Pushgateway at {url} answered {status}: {body}")]
    Refused {
        url: Url,
        status: reqwest::StatusCode,
        body: String,
    },
}

/// PUTs every metric, as Prometheus text, to this worker's group on the gateway at `base`.
pub async fn push(base: &Url, metrics: &Metrics) -> Result<(), PushError> {
    let url = group_url(base, metrics);
    let body = metrics.encode(Format::Text)?;
    let send_error = |source| PushError::Send {
        url: url.clone(),
        source,
    };
    let client = reqwest::Client::builder()
        .timeout(PUSH_TIMEOUT)
        .build()
        .map_err(send_error)?;
    let response = client
        .put(url.clone())
        .header(reqwest::header::CONTENT_TYPE, Format::Text.content_type())
        .body(body)
        .send()
        .await
        .map_err(send_error)?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut body = response.text().await.unwrap_or_default();
    if body.len() > 300 {
        let mut cut = 300;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
        body.push('…');
    }
    Err(PushError::Refused {
        url,
        status,
        body: body.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsLabels;

    #[test]
    fn the_group_names_the_plan_and_worker_in_the_gateways_path() {
        let metrics = Metrics::new(MetricsLabels {
            plan: "shop/checkout".into(),
            worker_index: 2,
            worker_count: 3,
        });
        let base = parse_gateway("http://127.0.0.1:9091/gw/").unwrap();
        assert_eq!(
            group_url(&base, &metrics).as_str(),
            "http://127.0.0.1:9091/gw/metrics/job/vajra/plan@base64/c2hvcC9jaGVja291dA==/worker_index/2"
        );
    }

    #[test]
    fn bad_gateway_urls_say_what_to_pass() {
        assert!(parse_gateway("127.0.0.1:9091").is_err());
        assert!(parse_gateway("ftp://h/").unwrap_err().contains("http://"));
        assert!(parse_gateway("http://h/?a=1")
            .unwrap_err()
            .contains("query"));
        assert!(parse_gateway("https://h:9091").is_ok());
    }
}
