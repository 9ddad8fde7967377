//! A whole cloud run against the mock BlazeMeter of `fixtures/mock`, over real HTTP on
//! 127.0.0.1: the call sequence of bzm-api.md §5 as our CLI will make it.

use std::time::Duration;

use bzm_client::split::{capacities, split, SplitRequest};
use bzm_client::{ApiKey, Client, RetryPolicy};
use bzm_mock::{Fault, MasterAction, Matcher, MockConfig, MockHandle, MockServer, Timeline};
use serde_json::json;

// A plain Taurus test (not a vajra package): the mock's engines answer with synthetic samples,
// which is all the client's calls need.
const TAURUS_YML: &str = "---
execution:
- executor: jmeter
  concurrency: 300
  throughput: 1000
  hold-for: 1m
  locations: {us-east4-a: 2, europe-west1-b: 1}
  scenario: simple
  files: [users.csv]
scenarios:
  simple:
    requests: ['http://127.0.0.1:9/']
";

async fn mock() -> MockHandle {
    let mut config = MockConfig::new("mock-id", "mock-secret");
    config.timeline = Timeline {
        progress_step: Duration::from_millis(30),
        run_seconds: 4,
    };
    config.validation_polls = 2;
    MockServer::start(config).await.unwrap()
}

fn client(mock: &MockHandle) -> Client {
    Client::builder(ApiKey::new("mock-id", "mock-secret").unwrap())
        .base_url(mock.base_url())
        .retry(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            factor: 2.0,
            max_delay: Duration::from_secs(5),
            jitter: 0.25,
        })
        .build()
        .unwrap()
}

/// Polls `check` every 30 ms, at most 300 times (9 s).
async fn poll_until<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("condition not reached in time");
}

#[tokio::test]
async fn full_cloud_run() {
    let mock = mock().await;
    let client = client(&mock);

    let user = client.users().me().await.unwrap();
    let default = user.default_project.unwrap();
    let account_id = default.account_id.unwrap();
    let accounts = client.accounts().list().await.unwrap();
    assert!(accounts.iter().any(|a| a.id == account_id));
    let workspaces = client.workspaces().list(account_id).send().await.unwrap();
    let workspace_id = default.workspace_id.unwrap();
    assert!(workspaces.iter().any(|w| w.id == workspace_id));
    let workspace = client
        .workspaces()
        .get(workspace_id)
        .await
        .unwrap()
        .unwrap();

    let plan = SplitRequest {
        total_tps: Some(1000),
        total_users: Some(300),
        weights: vec![("us-east4-a".into(), 2.0), ("europe-west1-b".into(), 1.0)],
        tps_per_engine: Some(5000),
    };
    let shares = split(&plan, &capacities(&workspace.locations)).unwrap();
    let users: Vec<Option<u64>> = shares.locations.iter().map(|l| l.users).collect();
    assert_eq!(users, vec![Some(200), Some(100)]);

    let existing = client
        .projects()
        .list(workspace_id)
        .name("vajra")
        .send()
        .await
        .unwrap();
    assert!(existing.is_empty());
    let project = client
        .projects()
        .create(workspace_id, "vajra")
        .await
        .unwrap();
    assert_eq!(project.workspace_id, Some(workspace_id));
    let found = client
        .projects()
        .list(workspace_id)
        .name("vajra")
        .send()
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![project.id]
    );

    let test = client
        .tests()
        .create(project.id, "vajra cloud test")
        .send()
        .await
        .unwrap();
    assert_eq!(test.test_type(), Some("taurus"));
    let listed = client
        .tests()
        .list_in_project(project.id)
        .name("vajra cloud test")
        .send()
        .await
        .unwrap();
    assert_eq!(listed[0].id, test.id);

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, "user\nu1\nu2\n").unwrap();
    client
        .tests()
        .upload(test.id)
        .bytes("taurus.yml", TAURUS_YML)
        .file(&csv)
        .send()
        .await
        .unwrap();
    let mut files: Vec<String> = client
        .tests()
        .files(test.id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    files.sort();
    assert_eq!(files, vec!["taurus.yml", "users.csv"]);

    client
        .tests()
        .update(test.id)
        .configuration(json!({ "scriptType": "taurus" }))
        .should_send_report_email(false)
        .override_executions(vec![])
        .send()
        .await
        .unwrap();
    assert!(
        client
            .tests()
            .validate(test.id, &["taurus.yml"])
            .await
            .unwrap()
            .success
    );
    poll_until(|| async {
        let validations = client.tests().validations(test.id).await.unwrap();
        validations
            .iter()
            .any(|v| v.file_name == "taurus.yml" && v.is_done())
    })
    .await;

    let master = client.tests().start(test.id).send().await.unwrap();
    poll_until(|| async {
        client
            .masters()
            .status(master.id)
            .send()
            .await
            .unwrap()
            .is_ended()
    })
    .await;

    let sessions = client.masters().sessions(master.id).await.unwrap();
    assert!(!sessions.is_empty());
    let labels = client.data().labels(master.id).await.unwrap();
    assert!(labels.iter().any(|l| l.id == "ALL"));
    let series = client
        .data()
        .kpis(master.id)
        .labels(labels.iter().map(|l| l.id.clone()))
        .send()
        .await
        .unwrap();
    assert!(series.iter().any(|s| !s.kpis.is_empty()));
    let aggregate = client.data().aggregate(master.id).send().await.unwrap();
    let all = aggregate.iter().find(|r| r.label_name == "ALL").unwrap();
    assert!(all.samples > 0);
    let mut per_location = 0;
    for location in ["us-east4-a", "europe-west1-b"] {
        let rows = client
            .data()
            .aggregate(master.id)
            .locations([location])
            .send()
            .await
            .unwrap();
        let samples = rows.iter().find(|r| r.label_name == "ALL").unwrap().samples;
        assert!(
            samples > 0 && samples < all.samples,
            "{location}: {samples}"
        );
        per_location += samples;
    }
    assert_eq!(per_location, all.samples, "the locations add up to the run");
    let both = client
        .data()
        .aggregate(master.id)
        .locations(["us-east4-a", "europe-west1-b"])
        .send()
        .await
        .unwrap();
    assert_eq!(both, aggregate);
    client.data().errors(master.id).await.unwrap();
    let full = client.masters().full(master.id).await.unwrap();
    assert_eq!(full.first_session_error(), None);

    let state = mock.state();
    let uploads: Vec<(&str, &str)> = state
        .uploads
        .iter()
        .map(|f| (f.part.as_str(), f.name.as_str()))
        .collect();
    assert_eq!(uploads, vec![("file", "taurus.yml"), ("file", "users.csv")]);
    assert_eq!(state.calls("POST", "/start").len(), 1);
    let filtered: Vec<Option<&str>> = state
        .calls("GET", "/aggregatereport/")
        .iter()
        .map(|r| r.query.as_deref())
        .collect();
    assert_eq!(
        filtered,
        vec![
            None,
            Some("locations%5B%5D=us-east4-a"),
            Some("locations%5B%5D=europe-west1-b"),
            Some("locations%5B%5D=us-east4-a&locations%5B%5D=europe-west1-b"),
        ]
    );
}

#[tokio::test]
async fn survives_the_mock_faults_and_stops_a_running_master() {
    let mock = mock().await;
    let on = |method: &str, path: &str| Matcher {
        method: Some(method.into()),
        path_contains: Some(path.into()),
    };
    mock.inject(Fault::Status {
        on: on("GET", "/accounts"),
        status: 429,
        times: 1,
        retry_after_s: Some(1),
    })
    .unwrap();
    mock.inject(Fault::Drop {
        on: on("GET", "/user"),
        times: 1,
    })
    .unwrap();
    mock.inject(Fault::Status {
        on: on("GET", "/workspaces"),
        status: 503,
        times: 2,
        retry_after_s: None,
    })
    .unwrap();
    let client = client(&mock);
    let user = client.users().me().await.unwrap();
    assert!(!client.accounts().list().await.unwrap().is_empty());
    let workspaces = client.workspaces().list(5).send().await.unwrap();
    assert!(!workspaces.is_empty());
    assert_eq!(mock.state().calls("GET", "/api/v4/accounts").len(), 2);

    let project = user.default_project.unwrap().id;
    let test = client
        .tests()
        .create(project, "stop me")
        .send()
        .await
        .unwrap();
    client
        .tests()
        .upload(test.id)
        .bytes("taurus.yml", TAURUS_YML)
        .send()
        .await
        .unwrap();
    let master = client.tests().start(test.id).send().await.unwrap();
    poll_until(|| async {
        client
            .masters()
            .status(master.id)
            .send()
            .await
            .unwrap()
            .has_data()
    })
    .await;
    client.masters().stop(master.id).await.unwrap();
    let calls = mock.state().master_calls;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, MasterAction::Stop);
    poll_until(|| async {
        client
            .masters()
            .status(master.id)
            .send()
            .await
            .unwrap()
            .is_ended()
    })
    .await;
}
