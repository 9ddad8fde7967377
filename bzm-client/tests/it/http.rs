//! The client over real HTTP on 127.0.0.1, against small axum servers that answer with the
//! shapes of docs/blazemeter-api.md: pagination, absent objects, errors, retries, uploads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bzm_client::{ApiKey, Client, Error};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{assert_no_secret, client, serve};

fn ok(result: Value) -> Json<Value> {
    Json(json!({ "api_version": 4, "error": null, "result": result }))
}

fn failure(status: StatusCode, message: &str) -> Response {
    let body = json!({ "api_version": 4, "error": { "code": status.as_u16(), "message": message }, "result": null });
    (status, Json(body)).into_response()
}

/// Counts requests; answers with `answers[n]` for the n-th one (the last one repeats).
#[derive(Clone)]
struct Script {
    hits: Arc<AtomicUsize>,
    answers: Arc<Vec<fn() -> Response>>,
}

impl Script {
    fn new(answers: Vec<fn() -> Response>) -> Script {
        Script {
            hits: Arc::new(AtomicUsize::new(0)),
            answers: Arc::new(answers),
        }
    }

    fn count(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn scripted(State(script): State<Script>) -> Response {
    let n = script.hits.fetch_add(1, Ordering::SeqCst);
    let answer = script.answers[n.min(script.answers.len() - 1)];
    answer()
}

async fn scripted_server(path: &str, script: &Script) -> String {
    let router = Router::new()
        .route(path, get(scripted).post(scripted))
        .with_state(script.clone());
    serve(router).await
}

fn accounts_ok() -> Response {
    ok(json!([{ "id": 1, "name": "Acc", "owner": { "id": 2 } }])).into_response()
}

#[tokio::test]
async fn pagination_reads_three_pages() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let router = Router::new()
        .route(
            "/api/v4/workspaces",
            get(|State(seen): State<Arc<Mutex<Vec<String>>>>, RawQuery(query): RawQuery| async move {
                let query = query.unwrap_or_default();
                seen.lock().unwrap().push(query.clone());
                let param = |key: &str| -> u64 {
                    query
                        .split('&')
                        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0)
                };
                let (limit, skip) = (param("limit"), param("skip"));
                let items: Vec<Value> = (skip + 1..=5.min(skip + limit))
                    .map(|id| json!({ "id": id, "name": format!("ws {id}"), "enabled": true, "accountId": 7 }))
                    .collect();
                Json(json!({ "api_version": 4, "error": null, "result": items,
                             "limit": limit, "skip": skip, "total": 5, "hidden": 0 }))
            }),
        )
        .with_state(seen.clone());
    let base = serve(router).await;
    let client = Client::builder(ApiKey::new("a", "b").unwrap())
        .base_url(&base)
        .page_size(2)
        .build()
        .unwrap();
    let workspaces = client.workspaces().list(7).send().await.unwrap();
    let ids: Vec<u64> = workspaces.iter().map(|w| w.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "accountId=7&enabled=true&limit=2&skip=0",
            "accountId=7&enabled=true&limit=2&skip=2",
            "accountId=7&enabled=true&limit=2&skip=4",
        ]
    );
}

#[tokio::test]
async fn not_found_and_null_result_are_absent() {
    let router = Router::new()
        .route(
            "/api/v4/tests/{id}",
            get(|| async { failure(StatusCode::NOT_FOUND, "Not Found") }),
        )
        .route("/api/v4/projects/{id}", get(|| async { ok(Value::Null) }))
        .route(
            "/api/v4/workspaces/{id}",
            get(|Path(id): Path<u64>| async move {
                ok(json!({ "id": id, "name": "W", "locations": [
                    { "id": "us-east4-a", "title": "US East", "sandbox": false,
                      "limits": { "threadsPerEngine": 1000, "engines": 50 } } ] }))
            }),
        );
    let client = client(&serve(router).await);
    assert_eq!(client.tests().get(99).await.unwrap(), None);
    assert_eq!(client.projects().get(1).await.unwrap(), None);
    let workspace = client.workspaces().get(9).await.unwrap().unwrap();
    assert_eq!(workspace.locations[0].id, "us-east4-a");
}

#[tokio::test]
async fn unauthorized_is_actionable_and_not_retried() {
    let script = Script::new(vec![|| failure(StatusCode::UNAUTHORIZED, "Unauthorized")]);
    let client = client(&scripted_server("/api/v4/accounts", &script).await);
    let err = client.accounts().list().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }));
    assert!(
        err.to_string()
            .starts_with("API key rejected: check the key id and secret (`vajra cloud login`)"),
        "{err}"
    );
    assert_eq!(script.count(), 1);
}

#[tokio::test]
async fn forbidden_names_the_workspace() {
    let script = Script::new(vec![|| failure(StatusCode::FORBIDDEN, "Forbidden")]);
    let client = client(&scripted_server("/api/v4/projects", &script).await);
    let err = client.projects().list(9).send().await.unwrap_err();
    assert!(err.to_string().contains("workspace 9"), "{err}");
    assert_eq!(script.count(), 1);
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_then_succeeds() {
    let script = Script::new(vec![
        || {
            let body =
                json!({ "error": { "code": 429, "message": "Too Many Requests" }, "result": null });
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                Json(body),
            )
                .into_response()
        },
        accounts_ok,
    ]);
    let client = client(&scripted_server("/api/v4/accounts", &script).await);
    let started = Instant::now();
    let accounts = client.accounts().list().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(accounts[0].id, 1);
    assert_eq!(script.count(), 2);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_is_reported_at_once() {
    let script = Script::new(vec![|| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "3600")],
            "slow down",
        )
            .into_response()
    }]);
    let client = client(&scripted_server("/api/v4/accounts", &script).await);
    let err = client.accounts().list().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3600))
    );
    assert!(
        err.to_string().contains("server asked to wait 3600s"),
        "{err}"
    );
    assert_eq!(script.count(), 1);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let script = Script::new(vec![
        || failure(StatusCode::INTERNAL_SERVER_ERROR, "boom"),
        || (StatusCode::BAD_GATEWAY, "<html>502</html>").into_response(),
        accounts_ok,
    ]);
    let client = client(&scripted_server("/api/v4/accounts", &script).await);
    assert_eq!(client.accounts().list().await.unwrap().len(), 1);
    assert_eq!(script.count(), 3);
}

#[tokio::test]
async fn server_errors_give_up_after_max_attempts() {
    let script = Script::new(vec![|| {
        failure(StatusCode::SERVICE_UNAVAILABLE, "maintenance")
    }]);
    let client = client(&scripted_server("/api/v4/accounts", &script).await);
    let err = client.accounts().list().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Server {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(script.count(), 4);
}

#[tokio::test]
async fn bad_request_is_not_retried() {
    let script = Script::new(vec![|| {
        failure(StatusCode::BAD_REQUEST, "name is required")
    }]);
    let client = client(&scripted_server("/api/v4/projects", &script).await);
    let err = client.projects().create(9, "").await.unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }));
    assert!(err.to_string().contains("name is required"), "{err}");
    assert_eq!(script.count(), 1);
}

#[tokio::test]
async fn start_is_not_retried_after_a_server_error() {
    let script = Script::new(vec![|| failure(StatusCode::INTERNAL_SERVER_ERROR, "boom")]);
    let client = client(&scripted_server("/api/v4/tests/{id}/start", &script).await);
    let err = client.tests().start(5).send().await.unwrap_err();
    assert!(matches!(err, Error::Server { attempts: 1, .. }), "{err}");
    assert_eq!(script.count(), 1);
}

#[tokio::test]
async fn error_in_a_200_envelope_is_an_error() {
    let script = Script::new(vec![|| {
        Json(
            json!({ "api_version": 4, "error": { "code": 500, "message": "odd" }, "result": null }),
        )
        .into_response()
    }]);
    let client = client(&scripted_server("/api/v4/accounts", &script).await);
    let err = client.accounts().list().await.unwrap_err();
    assert!(
        matches!(err, Error::Api { .. }) && err.to_string().contains("odd"),
        "{err}"
    );
}

/// A raw server: the first connection is closed after reading the request, without an
/// answer; later ones get a valid response.
#[tokio::test]
async fn dropped_connection_is_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                let _ = socket.read(&mut buffer).await;
                if n == 0 {
                    return; // dropped: the client sees the connection close mid-request
                }
                let body = r#"{"api_version":4,"error":null,"result":[{"id":3}]}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    let accounts = client(&base).accounts().list().await.unwrap();
    assert_eq!(accounts[0].id, 3);
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn nothing_listening_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&base).accounts().list().await.unwrap_err();
    assert!(matches!(err, Error::Transport { attempts: 4, .. }), "{err}");
    assert!(err.to_string().contains("check the network"), "{err}");
    assert_no_secret(&err);
}

#[derive(Debug, Clone, PartialEq)]
struct Part {
    field: String,
    file_name: Option<String>,
    content: Vec<u8>,
}

type Uploads = Arc<Mutex<Vec<Vec<Part>>>>;

async fn record_upload(
    State(uploads): State<Uploads>,
    Path(id): Path<u64>,
    mut form: Multipart,
) -> Response {
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await.unwrap() {
        let field_name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content = field.bytes().await.unwrap().to_vec();
        parts.push(Part {
            field: field_name,
            file_name,
            content,
        });
    }
    uploads.lock().unwrap().push(parts);
    (StatusCode::CREATED, ok(json!({ "id": id }))).into_response()
}

async fn upload_server(uploads: &Uploads) -> String {
    let router = Router::new()
        .route("/api/v4/tests/{id}/files", post(record_upload))
        .with_state(uploads.clone());
    serve(router).await
}

#[tokio::test]
async fn upload_sends_one_file_part_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, "user,pass\nu1,p1\n").unwrap();
    let uploads = Uploads::default();
    let client = client(&upload_server(&uploads).await);
    client
        .tests()
        .upload(12)
        .file(&csv)
        .bytes("taurus.yml", "---\nexecution: []\n")
        .send()
        .await
        .unwrap();
    let uploads = uploads.lock().unwrap();
    assert_eq!(
        *uploads,
        vec![
            vec![Part {
                field: "file".into(),
                file_name: Some("users.csv".into()),
                content: b"user,pass\nu1,p1\n".to_vec()
            }],
            vec![Part {
                field: "file".into(),
                file_name: Some("taurus.yml".into()),
                content: b"---\nexecution: []\n".to_vec()
            }],
        ]
    );
}

#[tokio::test]
async fn oversized_file_fails_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("a.csv");
    std::fs::write(&small, "x").unwrap();
    let big = dir.path().join("big.jtl");
    // Sparse: takes no disk space.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(50_000_001)
        .unwrap();
    let uploads = Uploads::default();
    let client = client(&upload_server(&uploads).await);
    let err = client
        .tests()
        .upload(12)
        .file(&small)
        .file(&big)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::FileTooLarge {
                size: 50_000_001,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("big.jtl"), "{err}");
    assert!(uploads.lock().unwrap().is_empty(), "no request may be sent");

    let missing = dir.path().join("missing.csv");
    let err = client
        .tests()
        .upload(12)
        .file(&missing)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::File { .. }) && err.to_string().contains("missing.csv"),
        "{err}"
    );
}

#[tokio::test]
async fn basic_auth_and_client_headers_are_sent() {
    let seen = Arc::new(Mutex::new(None::<HeaderMap>));
    let router = Router::new()
        .route(
            "/api/v4/user",
            get(|State(seen): State<Arc<Mutex<Option<HeaderMap>>>>, headers: HeaderMap| async move {
                *seen.lock().unwrap() = Some(headers);
                // Bare, as Taurus' mock answers.
                Json(json!({ "id": 1, "defaultProject": { "id": 3, "accountId": 1, "workspaceId": 2 } }))
            }),
        )
        .with_state(seen.clone());
    let user = client(&serve(router).await).users().me().await.unwrap();
    assert_eq!(user.default_project.unwrap().workspace_id, Some(2));
    let headers = seen.lock().unwrap().clone().unwrap();
    // base64("key-id:key-secret")
    assert_eq!(headers["authorization"], "Basic a2V5LWlkOmtleS1zZWNyZXQ=");
    assert_eq!(headers["x-client-id"], "vajra");
}

#[tokio::test]
async fn enveloped_user_parses_too() {
    let router = Router::new().route(
        "/api/v4/user",
        get(|| async {
            ok(json!({ "id": 63930, "mail": "u@example.com", "defaultProject": { "id": 77 } }))
        }),
    );
    let user = client(&serve(router).await).users().me().await.unwrap();
    assert_eq!((user.id, user.default_project.unwrap().id), (63930, 77));
}

#[tokio::test]
async fn sessions_accept_both_shapes() {
    let router = Router::new()
        .route(
            "/api/v4/masters/1/sessions",
            get(|| async {
                ok(json!({ "sessions": [{ "id": "r-v4-1", "name": "jmeter/s/us-east4-a" }] }))
            }),
        )
        .route(
            "/api/v4/masters/2/sessions",
            get(|| async { ok(json!([{ "id": "r-v4-2" }])) }),
        );
    let client = client(&serve(router).await);
    assert_eq!(client.masters().sessions(1).await.unwrap()[0].id, "r-v4-1");
    assert_eq!(client.masters().sessions(2).await.unwrap()[0].id, "r-v4-2");
}

#[tokio::test]
async fn session_logs_list_artifact_links() {
    let router = Router::new().route(
        "/api/v4/sessions/{id}/reports/logs",
        get(|Path(id): Path<String>| async move {
            ok(json!({ "data": [{ "filename": "artifacts.zip", "dataUrl": format!("https://x/{id}.zip") }] }))
        }),
    );
    let logs = client(&serve(router).await)
        .masters()
        .session_logs("r-v4-5")
        .await
        .unwrap();
    assert_eq!(logs[0].filename, "artifacts.zip");
    assert_eq!(logs[0].data_url, "https://x/r-v4-5.zip");
}

#[tokio::test]
async fn repeated_query_parameters_are_encoded_as_the_api_wants() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = |State(seen): State<Arc<Mutex<Vec<String>>>>, RawQuery(q): RawQuery| async move {
        seen.lock().unwrap().push(q.unwrap_or_default());
        ok(json!(true))
    };
    let router = Router::new()
        .route("/api/v4/data/kpis", get(record))
        .route("/api/v4/tests/{id}/delete-file", post(record))
        .with_state(seen.clone());
    let client = client(&serve(router).await);
    client
        .tests()
        .delete_files(4, &["a.csv", "b c.jmx"])
        .await
        .unwrap();
    let kpis = client
        .data()
        .kpis(8)
        .from(1464248743)
        .labels(["ALL", "e843"])
        .send()
        .await;
    // `true` is not a KPI list: the decode error names the request.
    let err = kpis.unwrap_err().to_string();
    assert!(err.contains("GET /api/v4/data/kpis"), "{err}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0], "fileName=a.csv&fileName=b+c.jmx");
    assert_eq!(
        seen[1],
        "interval=1&from=1464248743&master_ids%5B%5D=8&kpis%5B%5D=t&kpis%5B%5D=lt&kpis%5B%5D=by\
         &kpis%5B%5D=n&kpis%5B%5D=ec&kpis%5B%5D=ts&kpis%5B%5D=na&labels%5B%5D=ALL&labels%5B%5D=e843"
    );
}
