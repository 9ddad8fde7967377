//! The plan's requests compiled for sending: static requests are prepared once; requests with
//! `${var}` templates are rendered per iteration from a data row.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Uri};

use crate::request::PreparedRequest;
use vajra_plan::{Plan, RequestSpec, Row};

/// Request timeout when neither the request nor the plan's defaults set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request of the plan could not be built for sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("request {label:?}: {problem}")]
pub struct RequestError {
    pub label: String,
    pub problem: RequestProblem,
}

/// What was wrong with the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestProblem {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("header {name} has a value that is not valid in HTTP: {value:?}")]
    InvalidHeaderValue { name: String, value: String },
    /// The URL parsed but cannot be sent (not `http://` or `https://`, no host, …).
    #[error("{0}")]
    Unsendable(String),
}

/// One request of a scenario, ready to send or to render.
pub struct CompiledRequest {
    pub label: Arc<str>,
    spec: RequestSpec,
    /// Set when no template uses a variable: the request is built once and cloned.
    prepared: Option<PreparedRequest>,
    /// The URL as written, for JTL rows of requests that could not even be built.
    static_url: Arc<str>,
}

pub struct CompiledScenario {
    pub name: String,
    pub weight: u32,
    /// Keep a cookie jar (per user in the closed model, per iteration in the open one).
    pub store_cookie: bool,
    pub requests: Vec<CompiledRequest>,
}

/// A compiled request together with the JTL `URL` text it was sent to.
pub struct Rendered {
    pub request: PreparedRequest,
    pub url: Arc<str>,
}

impl CompiledRequest {
    fn new(spec: &RequestSpec) -> Result<Self, RequestError> {
        let static_url: Arc<str> = Arc::from(spec.url.to_string());
        let mut compiled = CompiledRequest {
            label: Arc::from(spec.label.as_str()),
            spec: spec.clone(),
            prepared: None,
            static_url,
        };
        let is_static = spec.url.is_static()
            && spec.headers.iter().all(|(_, t)| t.is_static())
            && spec.body.as_ref().is_none_or(|b| b.is_static());
        if is_static {
            let rendered = compiled.render_from(&Row::empty())?;
            compiled.static_url = rendered.url.clone();
            compiled.prepared = Some(rendered.request);
        }
        Ok(compiled)
    }

    /// The request for one iteration, rendered with `row` when the request uses variables.
    pub fn render(&self, row: &Row) -> Result<Rendered, RequestError> {
        match &self.prepared {
            Some(request) => Ok(Rendered {
                request: request.clone(),
                url: self.static_url.clone(),
            }),
            None => self.render_from(row),
        }
    }

    /// The URL to report when rendering failed.
    pub fn url_as_written(&self) -> &Arc<str> {
        &self.static_url
    }

    fn render_from(&self, row: &Row) -> Result<Rendered, RequestError> {
        let mut url = String::new();
        self.spec.url.render_into(row, &mut url);
        let mut text = String::new();
        let uri: Uri = url.parse().map_err(|e: http::uri::InvalidUri| {
            self.error(RequestProblem::InvalidUrl {
                url: url.clone(),
                reason: e.to_string(),
            })
        })?;
        let mut headers = HeaderMap::with_capacity(self.spec.headers.len());
        for (name, template) in &self.spec.headers {
            text.clear();
            template.render_into(row, &mut text);
            let value = HeaderValue::from_str(&text).map_err(|_| {
                self.error(RequestProblem::InvalidHeaderValue {
                    name: name.to_string(),
                    value: text.clone(),
                })
            })?;
            headers.append(name.clone(), value);
        }
        let body = match &self.spec.body {
            Some(template) => {
                text.clear();
                template.render_into(row, &mut text);
                Bytes::from(text.clone().into_bytes())
            }
            None => Bytes::new(),
        };
        let request = PreparedRequest::new(
            self.spec.method.clone(),
            uri,
            headers,
            body,
            self.spec.timeout.unwrap_or(DEFAULT_TIMEOUT),
            self.spec.assertions.checks.iter().any(|c| {
                matches!(
                    c.kind,
                    vajra_plan::CheckKind::Contains { .. } | vajra_plan::CheckKind::Matches { .. }
                )
            }),
        )
        .map_err(|e| self.error(RequestProblem::Unsendable(e)))?;
        Ok(Rendered {
            request,
            url: Arc::from(url),
        })
    }

    fn error(&self, problem: RequestProblem) -> RequestError {
        RequestError {
            label: self.spec.label.clone(),
            problem,
        }
    }

    pub fn spec(&self) -> &RequestSpec {
        &self.spec
    }
}

/// Compiles every scenario of `plan` (whose URLs are already joined to its base URL).
pub fn compile(plan: &Plan) -> Result<Vec<CompiledScenario>, RequestError> {
    plan.scenarios
        .iter()
        .map(|scenario| {
            Ok(CompiledScenario {
                name: scenario.name.clone(),
                weight: scenario.weight,
                store_cookie: scenario.store_cookie,
                requests: scenario
                    .steps
                    .iter()
                    .map(|step| match step {
                        vajra_plan::Step::Request(spec) => CompiledRequest::new(spec),
                        _ => Err(RequestError {
                            label: scenario.name.clone(),
                            problem: RequestProblem::Unsendable(
                                "blocks are not supported by the runner yet".into(),
                            ),
                        }),
                    })
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect()
}
