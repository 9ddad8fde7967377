//! Results of a run: labels, per-second KPIs, aggregate and errors reports, thresholds
//! (rows 23–26, 30).

use crate::client::{Client, Request};
use crate::error::{Result, Scope};
use crate::models::{AggregateRow, ErrorsReportRow, KpiSeries, Label, ThresholdsReport};

/// KPI codes asked for, as Taurus does: response time, latency, bytes, samples, errors,
/// timestamp, active users.
const KPIS: [&str; 7] = ["t", "lt", "by", "n", "ec", "ts", "na"];

pub struct DataHandler<'c> {
    client: &'c Client,
}

impl<'c> DataHandler<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        DataHandler { client }
    }

    /// Labels of a run (`ALL` is the total).
    pub async fn labels(&self, master_id: u64) -> Result<Vec<Label>> {
        let request = Request::get("/api/v4/data/labels", Scope::Master(master_id))
            .query("master_id", master_id);
        Ok(self
            .client
            .fetch_optional(request)
            .await?
            .unwrap_or_default())
    }

    /// Per-second series for some labels, from a Unix second on.
    pub fn kpis(&self, master_id: u64) -> KpisQuery<'c> {
        KpisQuery {
            client: self.client,
            master_id,
            from: 0,
            interval: 1,
            labels: Vec::new(),
        }
    }

    /// Per-label aggregates (percentiles, averages, errors) of a run, or of some of its
    /// locations (filters on the builder).
    pub fn aggregate(&self, master_id: u64) -> AggregateQuery<'c> {
        AggregateQuery {
            client: self.client,
            master_id,
            locations: Vec::new(),
        }
    }

    /// Cumulative errors and assertion failures per label.
    pub async fn errors(&self, master_id: u64) -> Result<Vec<ErrorsReportRow>> {
        let path = format!("/api/v4/masters/{master_id}/reports/errorsreport/data");
        let request = Request::get(path, Scope::Master(master_id)).query("noDataError", false);
        Ok(self
            .client
            .fetch_optional(request)
            .await?
            .unwrap_or_default())
    }

    /// Failure-criteria verdicts (call when the master `hasThresholds`).
    pub async fn thresholds(&self, master_id: u64) -> Result<ThresholdsReport> {
        let path = format!("/api/v4/masters/{master_id}/reports/thresholds");
        let request = Request::get(path, Scope::Master(master_id))
            .query("external", false)
            .query("source", "default");
        Ok(self
            .client
            .fetch_optional(request)
            .await?
            .unwrap_or_default())
    }
}

/// `GET /data/kpis?interval=&from=&master_ids[]=&kpis[]=...&labels[]=...`.
pub struct KpisQuery<'c> {
    client: &'c Client,
    master_id: u64,
    from: i64,
    interval: u32,
    labels: Vec<String>,
}

impl KpisQuery<'_> {
    /// First Unix second wanted (next poll: last second seen + 1).
    pub fn from(mut self, unix_seconds: i64) -> Self {
        self.from = unix_seconds;
        self
    }

    /// Seconds per point (default 1).
    pub fn interval(mut self, seconds: u32) -> Self {
        self.interval = seconds;
        self
    }

    /// Label ids (from [`DataHandler::labels`]).
    pub fn labels(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.labels.extend(ids.into_iter().map(Into::into));
        self
    }

    pub async fn send(self) -> Result<Vec<KpiSeries>> {
        let request = Request::get("/api/v4/data/kpis", Scope::Master(self.master_id))
            .query("interval", self.interval)
            .query("from", self.from)
            .query("master_ids[]", self.master_id);
        let request = KPIS.iter().fold(request, |r, kpi| r.query("kpis[]", kpi));
        let request = self
            .labels
            .iter()
            .fold(request, |r, id| r.query("labels[]", id));
        Ok(self
            .client
            .fetch_optional(request)
            .await?
            .unwrap_or_default())
    }
}

/// `GET /masters/{id}/reports/aggregatereport/data[?locations[]=...]`.
pub struct AggregateQuery<'c> {
    client: &'c Client,
    master_id: u64,
    locations: Vec<String>,
}

impl AggregateQuery<'_> {
    /// Only the samples of engines in these locations (ids like `us-east4-a`; repeatable).
    /// Without it, the whole run.
    pub fn locations(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.locations.extend(ids.into_iter().map(Into::into));
        self
    }

    pub async fn send(self) -> Result<Vec<AggregateRow>> {
        let path = format!(
            "/api/v4/masters/{}/reports/aggregatereport/data",
            self.master_id
        );
        let request = self.locations.iter().fold(
            Request::get(path, Scope::Master(self.master_id)),
            |r, id| r.query("locations[]", id),
        );
        Ok(self
            .client
            .fetch_optional(request)
            .await?
            .unwrap_or_default())
    }
}
