//! The plan's scenarios compiled for running: the step tree as the plan has it, with each
//! request ready to send (static requests are prepared once; requests with `${var}` templates
//! are rendered per use from the virtual user's scope) and each extractor and `while` block
//! given its counter slot.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Uri};

use crate::counters::Counters;
use crate::request::PreparedRequest;
use vajra_plan::{
    CheckKind, Condition, ExtractSource, LoopCount, Plan, RequestSpec, Row, Scope, Step, Subject,
    Template, ThinkTime,
};

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
    /// The counter slot of the first extractor; the others follow in order.
    pub first_extractor: usize,
    /// Something reads the response beyond its status: build a [`crate::response::ResponseView`].
    pub inspects_response: bool,
}

pub struct CompiledScenario {
    pub name: String,
    pub weight: u32,
    /// Keep a cookie jar (per virtual user; in the open model, the lane's saved one).
    pub store_cookie: bool,
    /// The scenario's `variables:`, rendered after the plan's when a user starts.
    pub variables: Vec<(String, Template)>,
    pub setup: Vec<CompiledStep>,
    pub steps: Vec<CompiledStep>,
    pub teardown: Vec<CompiledStep>,
    pub pacing: Option<Duration>,
}

/// A step of [`vajra_plan::Step`] with its requests compiled.
pub enum CompiledStep {
    Request(Box<CompiledRequest>),
    Transaction {
        name: Arc<str>,
        include_pauses: bool,
        steps: Vec<CompiledStep>,
    },
    If {
        condition: Condition,
        then: Vec<CompiledStep>,
        otherwise: Vec<CompiledStep>,
    },
    Loop {
        count: LoopCount,
        steps: Vec<CompiledStep>,
    },
    While {
        condition: Condition,
        max_iterations: u64,
        /// Its slot in [`Counters`].
        cap_slot: usize,
        steps: Vec<CompiledStep>,
    },
    Foreach {
        variable: String,
        list: String,
        steps: Vec<CompiledStep>,
    },
    Once {
        id: usize,
        steps: Vec<CompiledStep>,
    },
    SetVariables(Vec<(String, Template)>),
    Pause(ThinkTime),
}

/// A compiled request together with the JTL `URL` text it was sent to.
pub struct Rendered {
    pub request: PreparedRequest,
    pub url: Arc<str>,
}

impl CompiledRequest {
    fn new(spec: &RequestSpec, counters: &mut Counters) -> Result<Self, RequestError> {
        // The URL as written, or as sent when it has no variables (a literal `${` as such).
        let static_url: Arc<str> = if spec.url.is_static() {
            Arc::from(spec.url.render(&Row::empty()))
        } else {
            Arc::from(spec.url.to_string())
        };
        let first_extractor = counters.misses_len();
        for extractor in &spec.extractors {
            counters.add_extractor(&spec.label, &extractor.variable);
        }
        let mut compiled = CompiledRequest {
            label: Arc::from(spec.label.as_str()),
            spec: spec.clone(),
            prepared: None,
            static_url,
            first_extractor,
            inspects_response: !spec.extractors.is_empty() || !spec.assertions.checks.is_empty(),
        };
        let is_static = spec.url.is_static()
            && spec.headers.iter().all(|(_, t)| t.is_static())
            && spec.body.as_ref().is_none_or(|b| b.is_static());
        // A static request that cannot be sent is rendered again at each send, where it fails
        // as a sample, as JMeter's does: only a Taurus text kept as written gets here
        // (`http://${HOST}/`), since the loader checks every URL's shape.
        if let (true, Ok(rendered)) = (is_static, compiled.render_from(&Row::empty())) {
            compiled.static_url = rendered.url.clone();
            compiled.prepared = Some(rendered.request);
        }
        Ok(compiled)
    }

    /// The request to send, rendered in `scope` when the request uses variables.
    pub fn render(&self, scope: &dyn Scope) -> Result<Rendered, RequestError> {
        match &self.prepared {
            Some(request) => Ok(Rendered {
                request: request.clone(),
                url: self.static_url.clone(),
            }),
            None => self.render_from(scope),
        }
    }

    /// The URL to report when rendering failed.
    pub fn url_as_written(&self) -> &Arc<str> {
        &self.static_url
    }

    fn render_from(&self, row: &dyn Scope) -> Result<Rendered, RequestError> {
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
            reads_body(&self.spec),
        )
        .map_err(|e| self.error(RequestProblem::Unsendable(e)))?
        .keeping_headers(reads_headers(&self.spec));
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

/// Whether a check or extractor of `spec` reads the body, so the transport must keep it.
fn reads_body(spec: &RequestSpec) -> bool {
    reads(spec, Subject::Body)
}

/// Whether a check or extractor of `spec` reads headers beyond `Set-Cookie` (always kept).
fn reads_headers(spec: &RequestSpec) -> bool {
    reads(spec, Subject::Headers)
}

/// Whether a check or extractor of `spec` reads `part` (the body or the headers) of the
/// response.
fn reads(spec: &RequestSpec, part: Subject) -> bool {
    let header = part == Subject::Headers;
    let body = part == Subject::Body;
    // An extractor with `from-variable` reads a variable, not the response.
    spec.extractors
        .iter()
        .filter(|e| e.from_variable.is_none())
        .any(|e| match &e.source {
            ExtractSource::JsonPath { .. }
            | ExtractSource::XPath(_)
            | ExtractSource::Css { .. } => body,
            ExtractSource::Header(_) => header,
            ExtractSource::Regex { subject, .. } | ExtractSource::Boundary { subject, .. } => {
                *subject == part
            }
            ExtractSource::Cookie(_) => false,
        })
        || spec.assertions.checks.iter().any(|c| match &c.kind {
            CheckKind::Contains { subject, .. } | CheckKind::Matches { subject, .. } => {
                *subject == part
            }
            CheckKind::JsonPath { .. } | CheckKind::XPath(_) => body,
            CheckKind::Header { .. } => header,
            CheckKind::MaxResponseTime(_) => false,
        })
}

/// Every scenario of `plan` compiled (its URLs already joined to its base URL), and the
/// counter slots of its extractors and `while` blocks.
pub fn compile(plan: &Plan) -> Result<(Vec<CompiledScenario>, Counters), RequestError> {
    let mut counters = Counters::default();
    let scenarios = plan
        .scenarios
        .iter()
        .map(|scenario| {
            let mut steps = |steps: &[Step]| compile_steps(steps, &scenario.name, &mut counters);
            Ok(CompiledScenario {
                name: scenario.name.clone(),
                weight: scenario.weight,
                store_cookie: scenario.store_cookie,
                variables: scenario.variables.clone(),
                setup: steps(&scenario.setup)?,
                steps: steps(&scenario.steps)?,
                teardown: steps(&scenario.teardown)?,
                pacing: scenario.pacing,
            })
        })
        .collect::<Result<_, RequestError>>()?;
    Ok((scenarios, counters))
}

fn compile_steps(
    steps: &[Step],
    scenario: &str,
    counters: &mut Counters,
) -> Result<Vec<CompiledStep>, RequestError> {
    steps
        .iter()
        .map(|step| compile_step(step, scenario, counters))
        .collect()
}

fn compile_step(
    step: &Step,
    scenario: &str,
    counters: &mut Counters,
) -> Result<CompiledStep, RequestError> {
    let mut steps = |steps: &[Step]| compile_steps(steps, scenario, counters);
    Ok(match step {
        Step::Request(spec) => {
            CompiledStep::Request(Box::new(CompiledRequest::new(spec, counters)?))
        }
        Step::Transaction {
            name,
            include_pauses,
            steps: inner,
        } => CompiledStep::Transaction {
            name: Arc::from(name.as_str()),
            include_pauses: *include_pauses,
            steps: steps(inner)?,
        },
        Step::If {
            condition,
            then,
            otherwise,
        } => CompiledStep::If {
            condition: condition.clone(),
            then: steps(then)?,
            otherwise: steps(otherwise)?,
        },
        Step::Loop {
            count,
            steps: inner,
        } => CompiledStep::Loop {
            count: *count,
            steps: steps(inner)?,
        },
        Step::While {
            condition,
            max_iterations,
            steps: inner,
        } => {
            let inner = steps(inner)?;
            CompiledStep::While {
                cap_slot: counters.add_while(scenario, condition.text(), *max_iterations),
                condition: condition.clone(),
                max_iterations: *max_iterations,
                steps: inner,
            }
        }
        Step::Foreach {
            variable,
            list,
            steps: inner,
        } => CompiledStep::Foreach {
            variable: variable.clone(),
            list: list.clone(),
            steps: steps(inner)?,
        },
        Step::Once { id, steps: inner } => CompiledStep::Once {
            id: *id,
            steps: steps(inner)?,
        },
        Step::SetVariables(pairs) => CompiledStep::SetVariables(pairs.clone()),
        Step::Pause(think) => CompiledStep::Pause(*think),
    })
}
