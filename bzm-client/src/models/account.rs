use serde::{Deserialize, Serialize};

/// `GET /api/v4/accounts` item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub app_url: Option<String>,
    #[serde(default)]
    pub workspaces_count: Option<u64>,
    #[serde(default)]
    pub members_count: Option<u64>,
    /// Seconds engines may wait for each other before a delayed start.
    #[serde(default)]
    pub session_delayed_start: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    pub id: u64,
}
