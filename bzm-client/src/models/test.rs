use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A performance test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Test {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub project_id: Option<u64>,
    #[serde(default)]
    pub configuration: Option<TestConfiguration>,
    #[serde(default)]
    pub should_send_report_email: Option<bool>,
    #[serde(default)]
    pub override_executions: Vec<OverrideExecution>,
    /// Server-computed effective executions; read-only.
    #[serde(default)]
    pub executions: Vec<Value>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub updated: Option<i64>,
}

impl Test {
    /// `configuration.type`, e.g. `taurus`.
    pub fn test_type(&self) -> Option<&str> {
        self.configuration.as_ref()?.test_type.as_deref()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TestConfiguration {
    /// `taurus` for load tests, `functionalApi` / `functionalGui` for functional ones.
    #[serde(default, rename = "type")]
    pub test_type: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub test_mode: Option<String>,
    #[serde(default)]
    pub script_type: Option<String>,
    #[serde(default)]
    pub execution_type: Option<String>,
    #[serde(default)]
    pub plugins: Option<Value>,
}

/// One `overrideExecutions[]` item: load set through the API instead of taurus.yml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OverrideExecution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    /// e.g. `"10m"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_for: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_up: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
    /// Requests per second limit (Taurus' name; not in BlazeMeter's docs excerpts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<u64>,
    /// Users per location.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locations: BTreeMap<String, u64>,
    /// Integer percents per location, summing to 100.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locations_percents: BTreeMap<String, u32>,
}

/// Body of `PATCH /tests/{id}`: only the fields set are sent; `configuration` is merged
/// server-side, `overrideExecutions` replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TestPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A partial configuration, e.g. `{"scriptType": "taurus"}` or `{"executionType": null}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub should_send_report_email: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_executions: Option<Vec<OverrideExecution>>,
}

/// `GET /tests/{id}/files` item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestFile {
    pub name: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub last_modified: Option<i64>,
    #[serde(default)]
    pub link: Option<String>,
}

/// `POST /tests/{id}/validate` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidateOutcome {
    #[serde(default)]
    pub success: bool,
}

/// `GET /tests/{id}/validations` item; done when `status == 100`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validation {
    pub file_name: String,
    #[serde(default)]
    pub status: Option<i64>,
    #[serde(default)]
    pub warnings: Vec<Value>,
    #[serde(default)]
    pub file_warnings: Vec<Value>,
}

impl Validation {
    /// Validation status meaning "finished".
    pub const DONE: i64 = 100;

    pub fn is_done(&self) -> bool {
        self.status == Some(Self::DONE)
    }
}
