//! Models parse the realistic response bodies in `tests/fixtures/` (shapes of
//! docs/blazemeter-api.md §2).

use bzm_client::envelope::Envelope;
use bzm_client::models::*;
use serde::de::DeserializeOwned;

fn load<T: DeserializeOwned>(name: &str) -> T {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let envelope = Envelope::parse(&body).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(envelope.error_message(), None, "{path}");
    envelope
        .decode()
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .unwrap_or_else(|| panic!("{path}: null result"))
}

#[test]
fn user_with_default_project_and_plan() {
    let user: User = load("user.json");
    let default = user.default_project.unwrap();
    assert_eq!(
        (default.id, default.account_id, default.workspace_id),
        (77, Some(5), Some(9))
    );
    assert_eq!(user.plan.unwrap().threads_per_engine, Some(1000));
    assert_eq!(user.locations[0].id, "us-east-1");
}

#[test]
fn accounts_list() {
    let accounts: Vec<Account> = load("accounts.json");
    assert_eq!(accounts[0].name.as_deref(), Some("Acme"));
    assert_eq!(accounts[0].session_delayed_start, Some(180));
}

#[test]
fn workspace_locations_with_limits_and_sandbox() {
    let workspace: Workspace = load("workspace.json");
    let [google, sandbox] = &workspace.locations[..] else {
        panic!("two locations expected")
    };
    assert_eq!(google.limits.as_ref().unwrap().engines, Some(50));
    assert_eq!(google.purposes.as_ref().unwrap().functional, Some(true));
    assert!(!google.sandbox && !google.is_private());
    assert!(sandbox.sandbox && sandbox.is_private());
    assert_eq!(
        google.limits.as_ref().unwrap().threads_per_engine,
        Some(1000)
    );
}

#[test]
fn test_object_with_override_executions() {
    let test: Test = load("test.json");
    assert_eq!(test.test_type(), Some("taurus"));
    assert_eq!(test.project_id, Some(3));
    let execution = &test.override_executions[0];
    assert_eq!(execution.locations["us-east4-a"], 200);
    assert_eq!(execution.locations_percents["europe-west1-b"], 33);
    assert_eq!(execution.hold_for.as_deref(), Some("10m"));
}

#[test]
fn started_master() {
    let master: Master = load("start.json");
    assert_eq!(master.id, 12345678);
    assert_eq!(master.ended, None);
    assert_eq!(master.locations, vec!["us-east4-a"]);
}

#[test]
fn status_with_data() {
    let status: MasterStatus = load("master_status.json");
    assert!(status.has_data() && !status.is_ended());
    assert_eq!(
        status.sessions[0].location_id.as_deref(),
        Some("us-east4-a")
    );
}

#[test]
fn full_master_exposes_the_first_session_error() {
    let master: Master = load("master_full.json");
    let error = master.first_session_error().unwrap();
    assert_eq!(error.code, Some(70404));
    assert_eq!(master.has_thresholds, Some(true));
    assert_eq!(master.note.as_deref(), Some("message"));
    assert_eq!(
        master.sessions[0]
            .configuration
            .as_ref()
            .unwrap()
            .servers_count,
        Some(2)
    );
}

#[test]
fn labels_and_kpis_from_api_version_2() {
    let labels: Vec<Label> = load("labels.json");
    assert_eq!(labels[0].id, "ALL");
    assert!(labels[1].sessions.is_empty());
    let series: Vec<KpiSeries> = load("kpis.json");
    let points = &series[0].kpis;
    assert_eq!(
        (points[0].ts, points[0].n, points[0].ec),
        (1464248743, 15, 0)
    );
    assert_eq!(points[1].t_avg, Some(512.5));
    assert_eq!(points[1].na, Some(2));
}

#[test]
fn aggregate_percentiles() {
    let rows: Vec<AggregateRow> = load("aggregate.json");
    let all = &rows[0];
    assert_eq!(all.label_name, "ALL");
    assert_eq!(
        (all.p90, all.p95, all.p99),
        (Some(710.0), Some(802.0), Some(990.0))
    );
    assert_eq!(all.geo_mean_response_time, None);
    assert_eq!(all.errors_count, Some(1));
}

#[test]
fn errors_report_with_string_and_numeric_codes() {
    let rows: Vec<ErrorsReportRow> = load("errors.json");
    let all = &rows[0];
    assert_eq!(all.id, "ALL");
    assert_eq!(all.errors[0].rc.as_deref(), Some("404"));
    assert_eq!(all.errors[1].rc.as_deref(), Some("0"));
    assert_eq!(all.assertions[0].failures, 3);
    assert_eq!(all.urls[0].count, 2);
}

#[test]
fn thresholds_first_failure() {
    let report: ThresholdsReport = load("thresholds.json");
    let failed = report.first_failure().unwrap();
    assert_eq!(failed.field.as_deref(), Some("responseTime.avg"));
    assert_eq!(failed.fail_value, Some(500.0));
}

#[test]
fn validations_done() {
    let validations: Vec<Validation> = load("validations.json");
    assert!(validations[0].is_done());
    assert_eq!(validations[0].file_name, "taurus.yml");
}
