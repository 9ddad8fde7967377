//! What a scenario does, step by step: requests, the blocks that group, repeat and branch
//! them, and what each request extracts from its response and asserts about it.
//!
//! These are the checked forms `build` produces from the plan as written; the runner walks
//! them. Regular expressions, JSONPath queries and CSS selectors are compiled here, once, when
//! the plan loads, so a bad one is an error at load with its line, and running one costs no
//! parsing. XPath expressions are checked at load too (see [`XPathQuery`]).

use std::time::Duration;

use super::expr::Condition;
use super::template::Template;
use super::RequestSpec;

/// One step of a scenario.
#[derive(Debug, Clone)]
pub enum Step {
    /// Send a request (one sample).
    Request(Box<RequestSpec>),
    /// A named group whose requests also make one transaction-controller row (JMeter's
    /// "Number of samples in transaction : N, number of failing samples : M"), written after
    /// them; `vajra report` keeps such rows out of ALL. With `include_pauses` off, the row's
    /// elapsed time leaves out the time spent pausing inside it (JMeter's transaction
    /// controller without "include timers").
    Transaction {
        name: String,
        include_pauses: bool,
        steps: Vec<Step>,
    },
    /// `then` when the condition holds, else `otherwise`.
    If {
        condition: Condition,
        then: Vec<Step>,
        otherwise: Vec<Step>,
    },
    /// The steps `count` times, or until the run ends.
    Loop { count: LoopCount, steps: Vec<Step> },
    /// The steps while the condition holds, at most `max_iterations` times; reaching the cap
    /// is counted and reported, never silent.
    While {
        condition: Condition,
        max_iterations: u64,
        steps: Vec<Step>,
    },
    /// The steps once for each value of the list variable `list` (`list_1` … `list_N`, as
    /// extractors with `match: all` set them), with the value in `variable`.
    Foreach {
        variable: String,
        list: String,
        steps: Vec<Step>,
    },
    /// The steps the first time a virtual user comes here, never again. `id` is unique in the
    /// plan (0, 1, …), so the runner can remember which blocks a user has run.
    Once { id: usize, steps: Vec<Step> },
    /// Set variables (values are templates, rendered in order, so one may use another).
    SetVariables(Vec<(String, Template)>),
    /// Pause, as a think time does, without sending anything.
    Pause(ThinkTime),
}

/// How often a `loop` block runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopCount {
    Times(u64),
    /// Until the run's duration ends (or a stop).
    Forever,
}

/// A pause: fixed, or drawn at random each time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThinkTime {
    Fixed(Duration),
    /// Uniformly in `mean ± spread`.
    Uniform {
        mean: Duration,
        spread: Duration,
    },
    /// Normally around `mean` with `deviation`, never below zero.
    Gaussian {
        mean: Duration,
        deviation: Duration,
    },
    /// `offset` plus a Poisson-distributed number of milliseconds with mean `mean - offset`
    /// (JMeter's Poisson Random Timer, as Taurus's `poisson(MEAN, OFFSET)` sets it up), so the
    /// pause averages `mean` and is never shorter than `offset`. `offset <= mean`.
    Poisson {
        mean: Duration,
        offset: Duration,
    },
}

/// Takes a value from a response into a variable.
#[derive(Debug, Clone)]
pub struct Extractor {
    /// The variable set (for [`MatchNo::All`]: `name_1` … `name_N` and `name_matchNr`).
    pub variable: String,
    pub source: ExtractSource,
    pub matches: MatchNo,
    /// The value when nothing matches; `None`: the variable is left as it was. Either way the
    /// miss is counted and reported per extractor.
    pub default: Option<String>,
    /// Read this variable's value instead of the response body (JMeter's "JMeter Variable
    /// Name to use" scope). Only for extractors that read the body.
    pub from_variable: Option<String>,
}

/// Where an extractor looks and what it looks for.
#[derive(Debug, Clone)]
pub enum ExtractSource {
    /// An RFC 9535 JSONPath query on the body; strings are taken as they are, other values as
    /// compact JSON. `text` is the query as written, for messages.
    JsonPath {
        path: serde_json_path::JsonPath,
        text: String,
    },
    /// A regular expression on `subject`; the value is capture `group` (0: the whole match).
    Regex {
        regex: regex::Regex,
        group: usize,
        subject: Subject,
    },
    /// The text between `left` and `right` in `subject`.
    Boundary {
        left: String,
        right: String,
        subject: Subject,
    },
    /// A response header's value.
    Header(http::HeaderName),
    /// A cookie the response sets (`Set-Cookie`), by name.
    Cookie(String),
    /// An XPath 1.0 query on the body read as XML (or HTML); each node found gives its string
    /// value, any other result its text.
    XPath(XPathQuery),
    /// A CSS selector on the body read as HTML; each element found gives `attribute`'s value,
    /// or without one its text.
    Css {
        selector: scraper::Selector,
        text: String,
        attribute: Option<String>,
    },
}

/// An XPath 1.0 expression, checked when the plan loads, and how to read the document it
/// runs on. It is kept as text: sxd-xpath's compiled form cannot cross threads, so the runner
/// compiles it where it evaluates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XPathQuery {
    pub text: String,
    pub document: DocumentKind,
    /// Prefixes the expression uses beyond those the document declares, to namespace URIs.
    pub namespaces: Vec<(String, String)>,
}

/// How a body is read into a tree for XPath.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DocumentKind {
    /// Parse as HTML (html5ever, which accepts any text), as JMeter's tolerant parser tidies
    /// HTML into XML; else as strict XML.
    pub html: bool,
    /// Drop text nodes that are only whitespace.
    pub ignore_whitespace: bool,
}

/// Which part of the response an extractor or a text check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    #[default]
    Body,
    /// The response headers as `Name: value` lines.
    Headers,
    /// The final URL of the request.
    Url,
    /// The status code, as text.
    Status,
}

/// Which match an extractor keeps when there are several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchNo {
    /// The n-th match, from 1.
    Nth(u32),
    /// One match at random.
    Random,
    /// Every match: `name_1` … `name_N`, and `name_matchNr` = N.
    All,
}

/// What a response must satisfy to count as a success.
#[derive(Debug, Clone, Default)]
pub struct Assertions {
    /// Accepted status codes; empty means the default, any status below 400.
    pub status: Vec<StatusRange>,
    /// Taurus's `assume-success`: the status alone never fails the sample; only `checks` do.
    pub assume_success: bool,
    /// Checked in order; the first that fails gives the sample's failure message.
    pub checks: Vec<Check>,
}

/// An accepted range of status codes (`200`, `200-299`, `2xx`), bounds included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRange {
    pub low: u16,
    pub high: u16,
}

/// One assertion on a response. `negate` turns it round (Taurus's `not`, `invert`).
#[derive(Debug, Clone)]
pub struct Check {
    pub kind: CheckKind,
    pub negate: bool,
}

#[derive(Debug, Clone)]
pub enum CheckKind {
    /// `subject` contains the text.
    Contains { subject: Subject, text: String },
    /// `subject` has a match of the regular expression.
    Matches {
        subject: Subject,
        regex: regex::Regex,
    },
    /// A JSONPath query on the body finds a node and, if given, the node satisfies `expect`.
    JsonPath {
        path: serde_json_path::JsonPath,
        text: String,
        expect: JsonExpect,
    },
    /// An XPath query on the body finds a node (or, for a boolean expression, is true).
    XPath(XPathQuery),
    /// A response header is present and, if given, its value satisfies `expect`.
    Header {
        name: http::HeaderName,
        expect: Option<TextExpect>,
    },
    /// The response took at most this long (elapsed, as the sample records it).
    MaxResponseTime(Duration),
}

/// What a JSONPath assertion expects of the first node it finds.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonExpect {
    /// Only that a node is found.
    Exists,
    /// The node equals this JSON value (a string also equals a number or boolean with the
    /// same text, as JMeter compares).
    Equals(serde_json::Value),
    /// The node's text matches the regular expression, whole.
    Matches(RegexText),
    /// The node is JSON `null`.
    Null,
}

/// What a header assertion expects of the value.
#[derive(Debug, Clone, PartialEq)]
pub enum TextExpect {
    Equals(String),
    Contains(String),
    Matches(RegexText),
}

/// A compiled regular expression that compares by its source text.
#[derive(Debug, Clone)]
pub struct RegexText(pub regex::Regex);

impl PartialEq for RegexText {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Step {
    /// The steps nested in this one (empty for a request, `set-variables` or a pause).
    pub fn children(&self) -> Vec<&[Step]> {
        match self {
            Step::Transaction { steps, .. }
            | Step::Loop { steps, .. }
            | Step::While { steps, .. }
            | Step::Foreach { steps, .. }
            | Step::Once { steps, .. } => vec![steps],
            Step::If {
                then, otherwise, ..
            } => vec![then, otherwise],
            Step::Request(_) | Step::SetVariables(_) | Step::Pause(_) => Vec::new(),
        }
    }

    pub(crate) fn collect_requests<'a>(&'a self, out: &mut Vec<&'a RequestSpec>) {
        if let Step::Request(request) = self {
            out.push(request);
        }
        for steps in self.children() {
            for step in steps {
                step.collect_requests(out);
            }
        }
    }

    pub(crate) fn collect_requests_mut<'a>(&'a mut self, out: &mut Vec<&'a mut RequestSpec>) {
        match self {
            Step::Request(request) => out.push(request),
            Step::Transaction { steps, .. }
            | Step::Loop { steps, .. }
            | Step::While { steps, .. }
            | Step::Foreach { steps, .. }
            | Step::Once { steps, .. } => {
                for step in steps {
                    step.collect_requests_mut(out);
                }
            }
            Step::If {
                then, otherwise, ..
            } => {
                for step in then.iter_mut().chain(otherwise) {
                    step.collect_requests_mut(out);
                }
            }
            Step::SetVariables(_) | Step::Pause(_) => {}
        }
    }
}

impl StatusRange {
    pub fn contains(&self, status: u16) -> bool {
        (self.low..=self.high).contains(&status)
    }
}

impl Assertions {
    /// Whether `status` passes the status assertion.
    pub fn status_ok(&self, status: u16) -> bool {
        if self.status.is_empty() {
            self.assume_success || status < 400
        } else {
            self.status.iter().any(|r| r.contains(status))
        }
    }
}
