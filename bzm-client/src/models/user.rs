use serde::{Deserialize, Serialize};

use super::{Location, LocationLimits};

/// `GET /api/v4/user`: the key's owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: u64,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub default_project: Option<DefaultProject>,
    #[serde(default)]
    pub plan: Option<LocationLimits>,
    /// Deprecated location source; current clients read workspace locations.
    #[serde(default)]
    pub locations: Vec<Location>,
}

/// The user's default project, which also names the default account and workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultProject {
    pub id: u64,
    #[serde(default)]
    pub account_id: Option<u64>,
    #[serde(default)]
    pub workspace_id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
}
