//! Fuzzing the response models through the path the client takes for a successful answer
//! ([`decode_response`]: envelope, `error` member, then the model): arbitrary bytes, arbitrary
//! JSON values, and mutations of the realistic bodies in `tests/fixtures/`. Whatever comes in,
//! the result is a model or a short error naming the request, never a panic.
//!
//! `cargo +nightly fuzz` needs the nightly toolchain on every machine that runs the tests;
//! proptest runs everywhere with `cargo test`. Raise the case count for a longer campaign:
//! `PROPTEST_CASES=100000 cargo test -p bzm-client --test it fuzz_models`.

use bzm_client::envelope::{decode_response, MAX_MESSAGE_CHARS};
use bzm_client::models::*;
use bzm_client::Error;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// The request label every decode here names.
pub const REQUEST: &str = "GET /api/v4/fuzz";

macro_rules! models {
    ($($name:literal => $model:ty),* $(,)?) => {
        /// Every response model, by the name `tests/corpus/expected.txt` uses.
        pub const MODELS: &[&str] = &[$($name),*];

        /// Decodes `body` as the model `name`, as the client would; `Ok(true)` when a result
        /// is present, `Ok(false)` when it is null.
        pub fn decode_as(name: &str, body: &[u8]) -> Result<bool, Error> {
            match name {
                $($name => decode_response::<$model>(REQUEST, body).map(|m| m.is_some()),)*
                other => panic!("no model {other:?}: add it to `models!` in fuzz_models.rs"),
            }
        }
    };
}

// Each model as the API handlers decode it (lists as lists).
models! {
    "User" => User,
    "Vec<Account>" => Vec<Account>,
    "Workspace" => Workspace,
    "Vec<Workspace>" => Vec<Workspace>,
    "Vec<PrivateLocation>" => Vec<PrivateLocation>,
    "Project" => Project,
    "Vec<Project>" => Vec<Project>,
    "Test" => Test,
    "Vec<Test>" => Vec<Test>,
    "Vec<TestFile>" => Vec<TestFile>,
    "ValidateOutcome" => ValidateOutcome,
    "Vec<Validation>" => Vec<Validation>,
    "Master" => Master,
    "MasterStatus" => MasterStatus,
    "Vec<Session>" => Vec<Session>,
    "PublicToken" => PublicToken,
    "Vec<ArtifactLink>" => Vec<ArtifactLink>,
    "Vec<Label>" => Vec<Label>,
    "Vec<KpiSeries>" => Vec<KpiSeries>,
    "Vec<AggregateRow>" => Vec<AggregateRow>,
    "Vec<ErrorsReportRow>" => Vec<ErrorsReportRow>,
    "ThresholdsReport" => ThresholdsReport,
}

/// The error of a bad body: a decode error or the server's own error, naming the request,
/// short whatever the body's size.
fn check_error(model: &str, error: &Error) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(error, Error::Decode { .. } | Error::Api { .. }),
        "{model}: {error:?}"
    );
    let text = error.to_string();
    prop_assert!(text.contains(REQUEST), "{model}: {text}");
    // The clipped server text plus this layer's own words.
    prop_assert!(
        text.chars().count() <= MAX_MESSAGE_CHARS + 150,
        "{model}: {} chars: {text}",
        text.chars().count()
    );
    Ok(())
}

fn check_all(body: &[u8]) -> Result<(), TestCaseError> {
    for model in MODELS {
        if let Err(error) = decode_as(model, body) {
            check_error(model, &error)?;
        }
    }
    Ok(())
}

/// Field names the models read, so generated objects reach past the top level.
const FIELDS: &[&str] = &[
    "accountId",
    "appUrl",
    "assertions",
    "assertionsNotCounted",
    "avgBytes",
    "avgLatency",
    "avgResponseTime",
    "avgThroughput",
    "byAvg",
    "code",
    "concurrency",
    "configuration",
    "count",
    "created",
    "data",
    "dataUrl",
    "dedicatedIpsEnabled",
    "defaultProject",
    "description",
    "details",
    "duration",
    "ec",
    "enabled",
    "ended",
    "engines",
    "errors",
    "errorsCount",
    "errorsRate",
    "executionType",
    "executions",
    "executor",
    "failValue",
    "failedEmbeddedResources",
    "failureMessage",
    "failures",
    "field",
    "fileName",
    "fileWarnings",
    "filename",
    "functional",
    "geoMeanResponseTime",
    "hasLabelPassedThresholds",
    "hasThresholds",
    "holdFor",
    "id",
    "isDataAvailable",
    "isSandbox",
    "iterations",
    "kind",
    "kpis",
    "label",
    "labelId",
    "labelName",
    "lastModified",
    "limits",
    "link",
    "load",
    "location",
    "locationId",
    "locations",
    "locationsPercents",
    "ltAvg",
    "m",
    "mail",
    "maxResponseTime",
    "medianResponseTime",
    "membersCount",
    "message",
    "minResponseTime",
    "n",
    "na",
    "name",
    "new",
    "note",
    "op",
    "otherErrorsCount",
    "overrideExecutions",
    "owner",
    "p90",
    "p95",
    "p99",
    "passed",
    "plan",
    "plugins",
    "privateLocationsEnabled",
    "progress",
    "projectId",
    "provider",
    "publicToken",
    "purposes",
    "rampUp",
    "rc",
    "reportStatus",
    "rm",
    "samples",
    "samplesNotCounted",
    "sandbox",
    "scriptType",
    "serversCount",
    "sessionDelayedStart",
    "sessions",
    "shouldSendReportEmail",
    "size",
    "stDev",
    "status",
    "steps",
    "success",
    "tAvg",
    "testId",
    "testMode",
    "testType",
    "threadsPerEngine",
    "throughput",
    "title",
    "ts",
    "updated",
    "url",
    "urls",
    "userId",
    "warnings",
    "workspaceId",
    "workspacesCount",
    "_id",
    "type",
    "90line",
    "95line",
    "99line",
    "result",
    "error",
    "api_version",
    "total",
    "limit",
    "skip",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS).prop_map(str::to_owned),
        1 => "[a-zA-Z_]{0,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The realistic bodies of `tests/fixtures/`.
fn fixtures() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    bodies.sort();
    assert!(bodies.len() >= 10, "{dir}: fixtures missing");
    bodies
}

proptest! {
    #[test]
    fn arbitrary_bytes_give_a_model_or_a_clear_error(
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        check_all(&body)?;
    }

    #[test]
    fn arbitrary_json_gives_a_model_or_a_clear_error(
        value in json_value(),
        enveloped in any::<bool>(),
    ) {
        let value = if enveloped {
            serde_json::json!({ "api_version": 4, "error": null, "result": value })
        } else {
            value
        };
        check_all(&serde_json::to_vec(&value).unwrap())?;
    }

    /// Near-valid bodies reach deepest: a fixture cut short and with a few bytes replaced.
    #[test]
    fn mutated_fixtures_give_a_model_or_a_clear_error(
        pick in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
    ) {
        let fixtures = fixtures();
        let mut body = pick.get(&fixtures).clone();
        for (at, byte) in edits {
            let i = at.index(body.len());
            body[i] = byte;
        }
        body.truncate(cut.index(body.len() + 1));
        check_all(&body)?;
    }
}

#[test]
fn the_fixtures_decode_as_their_models() {
    // The fuzz targets above accept any outcome, so check here that valid bodies do parse:
    // otherwise a model broken for every input would pass them.
    for (file, model) in [
        ("user.json", "User"),
        ("accounts.json", "Vec<Account>"),
        ("workspace.json", "Workspace"),
        ("test.json", "Test"),
        ("start.json", "Master"),
        ("master_status.json", "MasterStatus"),
        ("master_full.json", "Master"),
        ("labels.json", "Vec<Label>"),
        ("kpis.json", "Vec<KpiSeries>"),
        ("aggregate.json", "Vec<AggregateRow>"),
        ("errors.json", "Vec<ErrorsReportRow>"),
        ("thresholds.json", "ThresholdsReport"),
        ("validations.json", "Vec<Validation>"),
    ] {
        let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read(&path).unwrap();
        assert_eq!(
            decode_as(model, &body).map_err(|e| e.to_string()),
            Ok(true),
            "{path}"
        );
    }
}
