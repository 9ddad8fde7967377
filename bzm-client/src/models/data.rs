use serde::{Deserialize, Serialize};

use super::string_or_number;

/// `GET /data/labels` item; the label `ALL` is the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub sessions: Vec<String>,
}

/// `GET /data/kpis` item: the per-second series of one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KpiSeries {
    #[serde(default)]
    pub label_id: Option<String>,
    #[serde(default)]
    pub label_name: Option<String>,
    /// Matches [`AggregateRow::label_name`].
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub kpis: Vec<KpiPoint>,
}

/// One second of one label. Times in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiPoint {
    /// Unix seconds.
    pub ts: i64,
    /// Samples.
    #[serde(default)]
    pub n: u64,
    /// Active users.
    #[serde(default)]
    pub na: Option<u64>,
    /// Errors.
    #[serde(default)]
    pub ec: u64,
    #[serde(default)]
    pub t_avg: Option<f64>,
    #[serde(default)]
    pub lt_avg: Option<f64>,
    #[serde(default)]
    pub by_avg: Option<f64>,
}

/// `GET /masters/{id}/reports/aggregatereport/data` item. Times in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateRow {
    #[serde(default)]
    pub label_id: Option<String>,
    pub label_name: String,
    #[serde(default)]
    pub samples: u64,
    #[serde(default)]
    pub avg_response_time: Option<f64>,
    #[serde(default)]
    pub median_response_time: Option<f64>,
    #[serde(default, rename = "90line")]
    pub p90: Option<f64>,
    #[serde(default, rename = "95line")]
    pub p95: Option<f64>,
    #[serde(default, rename = "99line")]
    pub p99: Option<f64>,
    #[serde(default)]
    pub min_response_time: Option<f64>,
    #[serde(default)]
    pub max_response_time: Option<f64>,
    #[serde(default)]
    pub st_dev: Option<f64>,
    #[serde(default)]
    pub geo_mean_response_time: Option<f64>,
    #[serde(default)]
    pub avg_latency: Option<f64>,
    #[serde(default)]
    pub avg_bytes: Option<f64>,
    /// Hits per second.
    #[serde(default)]
    pub avg_throughput: Option<f64>,
    /// Seconds.
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub errors_count: Option<u64>,
    /// Percent.
    #[serde(default)]
    pub errors_rate: Option<f64>,
    #[serde(default)]
    pub concurrency: Option<f64>,
    #[serde(default)]
    pub has_label_passed_thresholds: Option<bool>,
}

/// `GET /masters/{id}/reports/errorsreport/data` item (cumulative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorsReportRow {
    /// `ALL` for the total.
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub label_id: Option<String>,
    #[serde(default)]
    pub errors: Vec<ErrorCount>,
    #[serde(default)]
    pub assertions: Vec<AssertionFailure>,
    #[serde(default)]
    pub failed_embedded_resources: Vec<EmbeddedResourceFailure>,
    #[serde(default)]
    pub urls: Vec<UrlCount>,
    #[serde(default)]
    pub samples_not_counted: Option<u64>,
    #[serde(default)]
    pub assertions_not_counted: Option<u64>,
    #[serde(default)]
    pub other_errors_count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorCount {
    /// Message.
    #[serde(default)]
    pub m: Option<String>,
    /// Response code (string or number on the wire).
    #[serde(default, deserialize_with = "string_or_number")]
    pub rc: Option<String>,
    #[serde(default)]
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionFailure {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub failure_message: Option<String>,
    #[serde(default)]
    pub failures: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddedResourceFailure {
    #[serde(default, deserialize_with = "string_or_number")]
    pub rc: Option<String>,
    #[serde(default)]
    pub rm: Option<String>,
    #[serde(default)]
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrlCount {
    pub url: String,
    #[serde(default)]
    pub count: u64,
}

/// `GET /masters/{id}/reports/thresholds`: failure criteria verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ThresholdsReport {
    #[serde(default)]
    pub data: Vec<ThresholdResult>,
}

impl ThresholdsReport {
    /// The first failed criterion, if any (Taurus exits 3 then).
    pub fn first_failure(&self) -> Option<&ThresholdAssertion> {
        self.data
            .iter()
            .filter(|r| !r.success)
            .flat_map(|r| &r.assertions)
            .find(|a| !a.success)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    #[serde(default = "yes")]
    pub success: bool,
    #[serde(default)]
    pub assertions: Vec<ThresholdAssertion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdAssertion {
    #[serde(default)]
    pub label: Option<String>,
    /// e.g. `responseTime.avg`.
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub op: Option<String>,
    #[serde(default)]
    pub fail_value: Option<f64>,
    #[serde(default = "yes")]
    pub success: bool,
}

fn yes() -> bool {
    true
}
