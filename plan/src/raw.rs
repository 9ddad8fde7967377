//! The plan as written: serde types that mirror the YAML keys one to one.
//!
//! Unknown keys are errors everywhere (`deny_unknown_fields`), and field types that need a
//! check (durations, methods, templates) check themselves while parsing, with the shared helpers
//! of `fields`, so their errors carry a line and column. Cross-field checks live in `build`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::client::{HttpVersion, TlsVersion};
use super::data::OnEof;
use super::fields::{
    delimiter, duration, http_version, method, positive_u64, redirects, status_codes, switch,
    tls_version, Entries,
};
use super::load::LoadSpec;
use super::template::Template;

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a plan: a mapping with keys like `name`, `base-url` and `requests`"
)]
pub(crate) struct RawPlan {
    pub name: Option<String>,
    pub target: Option<Target>,
    pub base_url: Option<String>,
    #[serde(default, deserialize_with = "http_version")]
    pub http_version: Option<HttpVersion>,
    #[serde(default)]
    pub tls: RawTls,
    #[serde(default)]
    pub defaults: RawDefaults,
    pub scenarios: Option<Vec<RawScenario>>,
    pub requests: Option<Vec<RawRequest>>,
    #[serde(default)]
    pub load: LoadSpec,
    #[serde(default)]
    pub data: Vec<RawDataSet>,
    #[serde(default)]
    pub thresholds: Vec<String>,
    #[serde(default)]
    pub cloud: RawCloud,
}

/// `cloud:`: how `vajra cloud run` spreads the plan over BlazeMeter engines.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "the cloud section: a mapping like { engine-capacity-tps: 5000, locations: { us-east4-a: 2 } }"
)]
pub(crate) struct RawCloud {
    #[serde(default, deserialize_with = "positive_u64")]
    pub engine_capacity_tps: Option<u64>,
    #[serde(default)]
    pub locations: Entries<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Target {
    Embedded,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "request defaults: a mapping with `headers`, `timeout`, `follow-redirects`, `keepalive` and `store-cookie`"
)]
pub(crate) struct RawDefaults {
    #[serde(default)]
    pub headers: Entries<Template>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "redirects")]
    pub follow_redirects: Option<Option<u32>>,
    #[serde(default, deserialize_with = "switch")]
    pub keepalive: Option<bool>,
    #[serde(default, deserialize_with = "switch")]
    pub store_cookie: Option<bool>,
}

/// `tls:`: how `https://` connections are made.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "TLS options: a mapping with keys like `ca-file`, `insecure`, `client-cert`, `client-key`, `server-name` and `min-version`"
)]
pub(crate) struct RawTls {
    pub ca_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "switch")]
    pub insecure: Option<bool>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub server_name: Option<String>,
    #[serde(default, deserialize_with = "tls_version")]
    pub min_version: Option<TlsVersion>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a scenario: a mapping with `name` and `requests`"
)]
pub(crate) struct RawScenario {
    pub name: String,
    pub weight: Option<u32>,
    #[serde(default, deserialize_with = "switch")]
    pub store_cookie: Option<bool>,
    #[serde(default, deserialize_with = "redirects")]
    pub follow_redirects: Option<Option<u32>>,
    #[serde(default, deserialize_with = "switch")]
    pub keepalive: Option<bool>,
    pub requests: Vec<RawRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a request: a mapping with at least `url`"
)]
pub(crate) struct RawRequest {
    pub label: Option<String>,
    #[serde(default, deserialize_with = "method")]
    pub method: Option<http::Method>,
    pub url: Template,
    #[serde(default)]
    pub headers: Entries<Template>,
    pub body: Option<Template>,
    pub body_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub think_time: Option<Duration>,
    #[serde(default)]
    pub assert: RawAssert,
    #[serde(default, deserialize_with = "redirects")]
    pub follow_redirects: Option<Option<u32>>,
    #[serde(default, deserialize_with = "switch")]
    pub keepalive: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "assertions: a mapping with `status` and `body-contains`"
)]
pub(crate) struct RawAssert {
    #[serde(default, deserialize_with = "status_codes")]
    pub status: Vec<u16>,
    #[serde(default)]
    pub body_contains: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a data set: a mapping with at least `file`"
)]
pub(crate) struct RawDataSet {
    pub file: PathBuf,
    #[serde(default, deserialize_with = "delimiter")]
    pub delimiter: Option<u8>,
    #[serde(default)]
    pub on_eof: OnEof,
    #[serde(default, deserialize_with = "switch")]
    pub split: Option<bool>,
}
