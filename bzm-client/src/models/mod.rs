//! Typed shapes of BlazeMeter's JSON objects, one file per resource.
//!
//! Only fields some client reads are typed (see docs/blazemeter-api.md §2); everything optional
//! on the wire is an `Option` or defaults to empty, and unknown fields are ignored, so a larger
//! real object still parses. Request bodies the client sends are here too.

mod account;
mod data;
mod master;
mod project;
mod test;
mod user;
mod workspace;

pub use account::{Account, Owner};
pub use data::{
    AggregateRow, AssertionFailure, EmbeddedResourceFailure, ErrorCount, ErrorsReportRow, KpiPoint,
    KpiSeries, Label, ThresholdAssertion, ThresholdResult, ThresholdsReport, UrlCount,
};
pub use master::{
    ArtifactLink, Master, MasterStatus, PublicToken, Session, SessionConfiguration, SessionError,
    StatusSession, PROGRESS_DATA_RECEIVED, PROGRESS_ENDED,
};
pub use project::Project;
pub use test::{
    OverrideExecution, Test, TestConfiguration, TestFile, TestPatch, ValidateOutcome, Validation,
};
pub use user::{DefaultProject, User};
pub use workspace::{Location, LocationLimits, PrivateLocation, Purposes, Workspace};

/// Deserializes a string or a number as a string (`"rc": "404"` or `"rc": 404`).
pub(crate) fn string_or_number<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Ok(
        match Option::<serde_json::Value>::deserialize(deserializer)? {
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        },
    )
}
