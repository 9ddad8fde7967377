//! The HTTP core: one [`Client`] holding the connection pool, the key, the base URL and the
//! retry policy, and the send loop every endpoint goes through.
//!
//! Each endpoint module in [`crate::api`] builds a [`Request`] and calls [`Client::execute`]
//! (one call, retried per [`RetryPolicy`]), [`Client::fetch`] (decode the result),
//! [`Client::fetch_optional`] (404 and `null` → `None`) or [`Client::fetch_all`] (every page).
//!
//! Against a hostile or broken server every call is bounded: an answer's body is read up to
//! [`DEFAULT_MAX_RESPONSE_BYTES`] and refused beyond, and one call, retries and waits
//! included, ends by [`DEFAULT_DEADLINE`].

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use bytes::Bytes;
use rand::Rng;
use reqwest::{header, Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::{
    AccountsHandler, DataHandler, MastersHandler, ProjectsHandler, TestsHandler, UsersHandler,
    WorkspacesHandler,
};
use crate::base_url::{parse_base_url, DEFAULT_BASE_URL};
use crate::credentials::ApiKey;
use crate::envelope::{decode_result, parse_success, snippet, Envelope};
use crate::error::{Error, Result, Scope};
use crate::retry::{parse_retry_after, should_retry, Failure, RetryPolicy};

/// Page size for list endpoints (Taurus uses 100 too).
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// The largest answer body read (16 MiB): the largest real answers (a long run's KPI series)
/// are a few MiB, and an endless body must not exhaust memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 << 20;

/// The longest one call may take, retries and waits included: enough for a few retries of
/// slow answers, short enough that a server that never answers is reported within a minute.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// A BlazeMeter API v4 client. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    key: ApiKey,
    retry: RetryPolicy,
    page_size: u64,
    max_response_bytes: usize,
    deadline: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .field("retry", &self.retry)
            .field("deadline", &self.deadline)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    key: ApiKey,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    page_size: u64,
    max_response_bytes: usize,
    deadline: Duration,
}

impl ClientBuilder {
    /// API base URL; default `https://a.blazemeter.com`. `http://` only on loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Timeout of one attempt, from connecting to the end of the body (default 30 s, as
    /// Taurus). See [`ClientBuilder::deadline`] for the bound on a whole call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connection timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The longest one call may take, all attempts and waits between them included (default
    /// [`DEFAULT_DEADLINE`]). Past it the call fails with [`Error::TimedOut`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The largest answer body accepted (default [`DEFAULT_MAX_RESPONSE_BYTES`]); a larger one
    /// fails with [`Error::ResponseTooLarge`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Items per page when walking list endpoints (default 100).
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size.max(1);
        self
    }

    pub fn build(self) -> Result<Client> {
        let base = parse_base_url(&self.base_url)?;
        let mut headers = header::HeaderMap::new();
        headers.insert("X-Client-Id", header::HeaderValue::from_static("vajra"));
        headers.insert(
            "X-Client-Version",
            header::HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
        );
        let http = reqwest::Client::builder()
            .user_agent(concat!("vajra-bzm-client/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(Error::ClientSetup)?;
        Ok(Client {
            http,
            base,
            key: self.key,
            retry: self.retry,
            page_size: self.page_size,
            max_response_bytes: self.max_response_bytes,
            deadline: self.deadline,
        })
    }
}

/// Whether a request creates something (then it is retried only when surely not processed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Idempotent,
    Creates,
}

/// One file part of a multipart upload.
#[derive(Debug, Clone)]
pub(crate) struct FilePart {
    pub field: &'static str,
    pub file_name: String,
    pub bytes: Bytes,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Value),
    Multipart(Vec<FilePart>),
}

/// A request as the endpoint modules describe it; replayable for retries.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Body,
    scope: Scope,
    effect: Effect,
}

impl Request {
    pub fn new(method: Method, path: impl Into<String>, scope: Scope) -> Request {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
            scope,
            effect: Effect::Idempotent,
        }
    }

    pub fn get(path: impl Into<String>, scope: Scope) -> Request {
        Request::new(Method::GET, path, scope)
    }

    pub fn post(path: impl Into<String>, scope: Scope) -> Request {
        Request::new(Method::POST, path, scope)
    }

    pub fn patch(path: impl Into<String>, scope: Scope) -> Request {
        Request::new(Method::PATCH, path, scope)
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Request {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    pub fn query_opt(self, key: &str, value: Option<impl ToString>) -> Request {
        match value {
            Some(value) => self.query(key, value),
            None => self,
        }
    }

    pub fn json(mut self, body: Value) -> Request {
        self.body = Body::Json(body);
        self
    }

    pub fn multipart(mut self, parts: Vec<FilePart>) -> Request {
        self.body = Body::Multipart(parts);
        self
    }

    pub fn creates(mut self) -> Request {
        self.effect = Effect::Creates;
        self
    }

    /// `METHOD /path` for messages (no query: ids are in the path, names may be private).
    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

impl Client {
    /// A builder for a client using `key`.
    pub fn builder(key: ApiKey) -> ClientBuilder {
        ClientBuilder {
            key,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            page_size: DEFAULT_PAGE_SIZE,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            deadline: DEFAULT_DEADLINE,
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The key id in use (never the secret).
    pub fn key_id(&self) -> &str {
        self.key.id()
    }

    /// Web report of a run: `{base}/app/#/masters/{id}`.
    pub fn report_url(&self, master_id: u64) -> String {
        format!("{}/app/#/masters/{master_id}", self.origin())
    }

    /// Public (shareable) report of a run, from a token of [`MastersHandler::public_token`].
    pub fn public_report_url(&self, master_id: u64, token: &str) -> String {
        format!(
            "{}/app/?public-token={token}#/masters/{master_id}/summary",
            self.origin()
        )
    }

    fn origin(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    pub fn users(&self) -> UsersHandler<'_> {
        UsersHandler::new(self)
    }
    pub fn accounts(&self) -> AccountsHandler<'_> {
        AccountsHandler::new(self)
    }
    pub fn workspaces(&self) -> WorkspacesHandler<'_> {
        WorkspacesHandler::new(self)
    }
    pub fn projects(&self) -> ProjectsHandler<'_> {
        ProjectsHandler::new(self)
    }
    pub fn tests(&self) -> TestsHandler<'_> {
        TestsHandler::new(self)
    }
    pub fn masters(&self) -> MastersHandler<'_> {
        MastersHandler::new(self)
    }
    pub fn data(&self) -> DataHandler<'_> {
        DataHandler::new(self)
    }

    /// Sends a request, retrying per policy within the call's deadline, and returns the parsed
    /// envelope of a success.
    pub(crate) async fn execute(&self, request: &Request) -> Result<Envelope> {
        let label = request.label();
        let idempotent = request.effect == Effect::Idempotent;
        let started = Instant::now();
        let deadline = started + self.deadline;
        let timed_out = |attempts, last: Option<Error>| Error::TimedOut {
            request: label.clone(),
            attempts,
            elapsed: started.elapsed(),
            limit: self.deadline,
            last: last.map(Box::new),
        };
        let mut attempt = 1;
        let mut previous = None;
        loop {
            let last = attempt >= self.retry.max_attempts;
            let Ok(outcome) = tokio::time::timeout_at(deadline, self.send_once(request)).await
            else {
                return Err(timed_out(attempt, previous));
            };
            let (failure, retry_after, error) = match outcome {
                Ok(answer) if answer.status.as_u16() < 400 => {
                    return parse_success(&label, &answer.body)
                }
                Ok(answer) => {
                    let error = status_error(
                        answer.status,
                        &label,
                        &request.scope,
                        &answer.body,
                        attempt,
                        answer.retry_after,
                    );
                    let failure = Failure::Status(answer.status.as_u16());
                    (failure, answer.retry_after, error)
                }
                Err(SendError::TooLarge) => {
                    return Err(Error::ResponseTooLarge {
                        request: label,
                        limit: self.max_response_bytes,
                    })
                }
                Err(SendError::Http(source)) => {
                    let failure = if source.is_connect() {
                        Failure::Connect
                    } else {
                        Failure::Network
                    };
                    let error = Error::Transport {
                        request: label.clone(),
                        attempts: attempt,
                        elapsed: started.elapsed(),
                        source,
                    };
                    (failure, None, error)
                }
            };
            if last || !should_retry(failure, idempotent) {
                return Err(error);
            }
            let jitter = rand::thread_rng().gen::<f64>();
            let Some(delay) = self.retry.delay(attempt - 1, jitter, retry_after) else {
                return Err(error);
            };
            if Instant::now() + delay >= deadline {
                return Err(timed_out(attempt, Some(error)));
            }
            tracing::info!(request = %label, attempt, ?delay, %error, "retrying");
            tokio::time::sleep(delay).await;
            previous = Some(error);
            attempt += 1;
        }
    }

    /// One attempt: status, parsed `Retry-After`, and the body, read up to the size limit.
    async fn send_once(&self, request: &Request) -> std::result::Result<Answer, SendError> {
        let url = format!("{}{}", self.origin(), request.path);
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .basic_auth(self.key.id(), Some(self.key.secret()))
            .header(header::ACCEPT, "application/json");
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        builder = match &request.body {
            Body::Empty => builder,
            Body::Json(value) => builder.json(value),
            Body::Multipart(parts) => builder.multipart(multipart_form(parts)),
        };
        let mut response = builder.send().await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let limit = self.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(SendError::TooLarge);
        }
        // Chunk by chunk, so an endless body stops at the limit instead of filling memory.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                return Err(SendError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// Executes and decodes the result; a `null` result is an error here.
    pub(crate) async fn fetch<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let label = request.label();
        self.fetch_optional(request)
            .await?
            .ok_or_else(|| Error::Decode {
                request: label,
                message: "the result is null".to_owned(),
            })
    }

    /// Executes and decodes the result; 404 and a `null` result are `None`.
    pub(crate) async fn fetch_optional<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Option<T>> {
        match self.execute(&request).await {
            Ok(envelope) => decode_result(&request.label(), envelope),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Walks a list endpoint with `limit`/`skip` until `total` items are read (one page when
    /// the server sends no `total`).
    pub(crate) async fn fetch_all<T: DeserializeOwned>(&self, request: Request) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut skip: u64 = 0;
        loop {
            let page = request
                .clone()
                .query("limit", self.page_size)
                .query("skip", skip);
            let envelope = self.execute(&page).await?;
            let total = envelope.total;
            let batch: Vec<T> = decode_result(&page.label(), envelope)?.unwrap_or_default();
            // Advance by what came back, not by `limit`: a server may cap the page size.
            skip += batch.len() as u64;
            let empty = batch.is_empty();
            items.extend(batch);
            match total {
                Some(total) if skip < total && !empty => continue,
                _ => return Ok(items),
            }
        }
    }
}

/// What one attempt got back.
struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// Why one attempt got no [`Answer`].
enum SendError {
    Http(reqwest::Error),
    /// The body is over the client's limit.
    TooLarge,
}

impl From<reqwest::Error> for SendError {
    fn from(error: reqwest::Error) -> Self {
        SendError::Http(error)
    }
}

fn multipart_form(parts: &[FilePart]) -> reqwest::multipart::Form {
    parts
        .iter()
        .fold(reqwest::multipart::Form::new(), |form, part| {
            let body = reqwest::Body::from(part.bytes.clone());
            let file = reqwest::multipart::Part::stream_with_length(body, part.bytes.len() as u64)
                .file_name(part.file_name.clone())
                .mime_str("application/octet-stream")
                .expect("a constant MIME type parses");
            form.part(part.field, file)
        })
}

/// Maps an HTTP error status (>= 400) to an [`Error`], with the server's message.
pub(crate) fn status_error(
    status: StatusCode,
    request: &str,
    scope: &Scope,
    body: &[u8],
    attempts: u32,
    retry_after: Option<Duration>,
) -> Error {
    let message = match Envelope::parse(body) {
        Ok(envelope) => envelope.error_message().unwrap_or_else(|| snippet(body)),
        Err(_) => snippet(body),
    };
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        message
    };
    let (request, scope) = (request.to_owned(), scope.clone());
    match status.as_u16() {
        400 => Error::BadRequest { request, message },
        401 => Error::Unauthorized { request, message },
        402 => Error::RequestFailed {
            request,
            scope,
            message,
        },
        403 => Error::Forbidden {
            request,
            scope,
            message,
        },
        404 => Error::NotFound { request, scope },
        409 => Error::Conflict { request, message },
        429 => Error::RateLimited {
            request,
            attempts,
            retry_after,
        },
        code if code >= 500 => Error::Server {
            request,
            status: code,
            attempts,
            message,
        },
        code => Error::Http {
            request,
            status: code,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_for(status: u16, body: &str, scope: Scope) -> String {
        let status = StatusCode::from_u16(status).unwrap();
        status_error(status, "GET /api/v4/x", &scope, body.as_bytes(), 3, None).to_string()
    }

    const UNAUTHORIZED: &str =
        r#"{"api_version":4,"error":{"code":401,"message":"Unauthorized"},"result":null}"#;

    #[test]
    fn unauthorized_says_what_to_do() {
        let text = error_for(401, UNAUTHORIZED, Scope::Key);
        assert!(
            text.starts_with("API key rejected: check the key id and secret (`vajra cloud login`)"),
            "{text}"
        );
        assert!(text.contains("Unauthorized (code 401)"), "{text}");
    }

    #[test]
    fn payment_and_permission_errors_name_the_scope() {
        let body = r#"{"error":{"code":402,"message":"Not enough credits"},"result":null}"#;
        let text = error_for(402, body, Scope::Account(5));
        assert!(
            text.contains("account 5") && text.contains("Not enough credits"),
            "{text}"
        );
        let body = r#"{"error":{"code":403,"message":"Forbidden"},"result":null}"#;
        let text = error_for(403, body, Scope::Workspace(9));
        assert!(
            text.contains("denied the API key access to workspace 9"),
            "{text}"
        );
    }

    #[test]
    fn server_errors_count_attempts_and_keep_non_json_bodies() {
        let text = error_for(502, "<html>Bad Gateway</html>", Scope::Key);
        assert!(
            text.contains("HTTP 502") && text.contains("3 attempt(s)"),
            "{text}"
        );
        assert!(text.contains("<html>Bad Gateway</html>"), "{text}");
        let text = error_for(503, "", Scope::Key);
        assert!(text.contains("Service Unavailable"), "{text}");
    }

    #[test]
    fn other_statuses_map_to_their_variants() {
        let status = |code| StatusCode::from_u16(code).unwrap();
        let map = |code| status_error(status(code), "GET /p", &Scope::Test(1), b"{}", 1, None);
        assert!(matches!(map(400), Error::BadRequest { .. }));
        assert!(matches!(map(404), Error::NotFound { .. }));
        assert!(matches!(map(409), Error::Conflict { .. }));
        assert!(matches!(map(410), Error::Http { status: 410, .. }));
        assert!(matches!(map(429), Error::RateLimited { .. }));
    }

    #[test]
    fn client_debug_hides_the_secret() {
        let key = ApiKey::new("id-1", "very-secret").unwrap();
        let builder = Client::builder(key);
        let shown = format!("{builder:?}");
        assert!(
            !shown.contains("very-secret") && shown.contains("id-1"),
            "{shown}"
        );
        let client = builder.build().unwrap();
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("very-secret") && shown.contains("id-1"),
            "{shown}"
        );
    }

    #[test]
    fn report_urls() {
        let key = ApiKey::new("a", "b").unwrap();
        let client = Client::builder(key).build().unwrap();
        assert_eq!(
            client.report_url(7),
            "https://a.blazemeter.com/app/#/masters/7"
        );
        assert_eq!(
            client.public_report_url(7, "tok"),
            "https://a.blazemeter.com/app/?public-token=tok#/masters/7/summary"
        );
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused_at_build() {
        let key = ApiKey::new("a", "b").unwrap();
        let err = Client::builder(key)
            .base_url("http://a.blazemeter.com")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidBaseUrl { .. }));
    }
}
