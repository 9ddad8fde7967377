use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Progress from which result data exists (`DATA_RECEIVED`).
pub const PROGRESS_DATA_RECEIVED: i64 = 100;
/// Progress of an ended run (`ENDED`); only exactly this value means "ended".
pub const PROGRESS_ENDED: i64 = 140;

/// A master: one run of a test. `/masters/{id}/full` adds `sessions` with their errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Master {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user_id: Option<u64>,
    #[serde(default)]
    pub test_id: Option<u64>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub ended: Option<i64>,
    #[serde(default)]
    pub passed: Option<bool>,
    /// A non-empty note usually explains a failed run.
    #[serde(default)]
    pub note: Option<String>,
    /// `pass|fail|unset|error|abort|noData`.
    #[serde(default)]
    pub report_status: Option<String>,
    #[serde(default)]
    pub public_token: Option<String>,
    #[serde(default)]
    pub has_thresholds: Option<bool>,
    #[serde(default)]
    pub is_sandbox: Option<bool>,
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub sessions: Vec<Session>,
}

impl Master {
    /// The first session error, which fails the run (as Taurus does).
    pub fn first_session_error(&self) -> Option<&SessionError> {
        self.sessions.iter().flat_map(|s| &s.errors).next()
    }
}

/// `GET /masters/{id}/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MasterStatus {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub progress: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub is_data_available: Option<bool>,
    #[serde(default)]
    pub sessions: Vec<StatusSession>,
}

impl MasterStatus {
    /// Result data exists (progress >= 100).
    pub fn has_data(&self) -> bool {
        self.progress.is_some_and(|p| p >= PROGRESS_DATA_RECEIVED)
    }

    /// The run has ended (progress == 140).
    pub fn is_ended(&self) -> bool {
        self.progress == Some(PROGRESS_ENDED)
    }
}

/// A session as listed in a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusSession {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
}

/// A session: the engines of one location in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    /// `executor/scenario/location`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub configuration: Option<SessionConfiguration>,
    #[serde(default)]
    pub errors: Vec<SessionError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionConfiguration {
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub servers_count: Option<u64>,
}

/// e.g. `{"code": 70404, "message": "Session ended without load report data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub details: Option<Value>,
}

/// `POST /masters/{id}/public-token` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicToken {
    pub public_token: String,
    #[serde(default)]
    pub new: Option<bool>,
}

/// `GET /sessions/{id}/reports/logs` item: an artifact of one session and where to download it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLink {
    pub filename: String,
    pub data_url: String,
}
