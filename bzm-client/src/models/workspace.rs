use serde::{Deserialize, Serialize};

/// A workspace; `GET /workspaces/{id}` includes its `locations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub account_id: Option<u64>,
    #[serde(default)]
    pub dedicated_ips_enabled: Option<bool>,
    #[serde(default)]
    pub private_locations_enabled: Option<bool>,
    #[serde(default)]
    pub members_count: Option<u64>,
    #[serde(default)]
    pub locations: Vec<Location>,
}

/// A place engines can run: public cloud zone, private location (`harbor-…`) or sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub sandbox: bool,
    #[serde(default)]
    pub purposes: Option<Purposes>,
    #[serde(default)]
    pub limits: Option<LocationLimits>,
}

impl Location {
    /// Private locations ("harbors") have ids `harbor-<24 hex>`.
    pub fn is_private(&self) -> bool {
        self.id.starts_with("harbor-")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Purposes {
    #[serde(default)]
    pub load: Option<bool>,
    #[serde(default)]
    pub functional: Option<bool>,
}

/// Per-location (or plan) limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationLimits {
    #[serde(default)]
    pub threads_per_engine: Option<u64>,
    #[serde(default)]
    pub concurrency: Option<u64>,
    #[serde(default)]
    pub engines: Option<u64>,
    /// Minutes.
    #[serde(default)]
    pub duration: Option<u64>,
}

/// `GET /private-locations` item (a "harbor"; its location id is `harbor-<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLocation {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub threads_per_engine: Option<u64>,
    /// `small` or `large`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub account_id: Option<u64>,
}
