//! Assertions: whether a response passes its request's checks, and if not, the first failure's
//! message (the JTL `failureMessage`, worded as JMeter's assertions word it). Pure functions of
//! the response.

use vajra_plan::{Assertions, Check, CheckKind, JsonExpect, StatusRange, Subject, TextExpect};

use crate::document::{self, XPathValue};
use crate::extract::json_text;
use crate::response::ResponseView;

/// Whether `response` passes `assertions`, checked in order: the status, then each check as
/// the plan lists them. The error is the first failure's message; `None` for a status at or
/// above 400 when the plan lists no statuses (JMeter writes no failure message then).
pub fn judge(assertions: &Assertions, response: &ResponseView<'_>) -> Result<(), Option<String>> {
    judge_status(assertions, response.status)?;
    match assertions
        .checks
        .iter()
        .find_map(|check| check_failure(check, response))
    {
        Some(message) => Err(Some(message)),
        None => Ok(()),
    }
}

/// The status part of [`judge`], for responses nothing else is checked on.
pub fn judge_status(assertions: &Assertions, status: u16) -> Result<(), Option<String>> {
    if assertions.status_ok(status) {
        Ok(())
    } else if assertions.status.is_empty() {
        Err(None)
    } else {
        Err(Some(status_failure(status, &assertions.status)))
    }
}

fn status_failure(status: u16, expected: &[StatusRange]) -> String {
    let ranges: Vec<String> = expected.iter().map(range_text).collect();
    format!(
        "Test failed: response code was {status}, expected one of {}",
        ranges.join(", ")
    )
}

fn range_text(range: &StatusRange) -> String {
    if range.low == range.high {
        range.low.to_string()
    } else if range.low.is_multiple_of(100) && range.high == range.low + 99 {
        format!("{}xx", range.low / 100)
    } else {
        format!("{}-{}", range.low, range.high)
    }
}

/// The failure message of one check, `None` when it passes.
pub fn check_failure(check: &Check, response: &ResponseView<'_>) -> Option<String> {
    let not = if check.negate { "not " } else { "" };
    match &check.kind {
        CheckKind::Contains { subject, text } => {
            let found = response.text(*subject).contains(text.as_str());
            (found == check.negate).then(|| {
                format!(
                    "Test failed: {} expected {not}to contain /{text}/",
                    subject_name(*subject)
                )
            })
        }
        CheckKind::Matches { subject, regex } => {
            // A regexp found anywhere is JMeter's "Contains" rule, which it words "contain"
            // ("match" is its whole-text rule), so Taurus users read the same message.
            let found = regex.is_match(&response.text(*subject));
            (found == check.negate).then(|| {
                format!(
                    "Test failed: {} expected {not}to contain /{}/",
                    subject_name(*subject),
                    regex.as_str()
                )
            })
        }
        CheckKind::JsonPath { path, text, expect } => {
            let node = response.json().and_then(|json| path.query(json).first());
            let outcome = json_outcome(node, expect, text);
            match (outcome, check.negate) {
                (Ok(()), false) | (Err(_), true) => None,
                (Err(message), false) => Some(message),
                (Ok(()), true) => Some(match expect {
                    JsonExpect::Exists => format!("Failed that JSONPath not exists: {text}"),
                    _ => format!(
                        "Value of {text} expected not to be {}, but it is: {}",
                        expect_text(expect),
                        node.map(json_text).unwrap_or_default()
                    ),
                }),
            }
        }
        CheckKind::XPath(query) => xpath_failure(query, check.negate, response),
        CheckKind::Header { name, expect } => {
            let values: Vec<&str> = response.header_values(name).collect();
            let passes = match expect {
                None => !values.is_empty(),
                Some(expect) => values.iter().any(|value| text_passes(expect, value)),
            };
            (passes == check.negate).then(|| match (expect, values.first()) {
                (None, _) => format!("Test failed: header {name} expected {not}to be present"),
                (Some(expect), Some(value)) => format!(
                    "Test failed: header {name} expected {not}to {}, but was {value:?}",
                    text_expect_text(expect)
                ),
                (Some(expect), None) => format!(
                    "Test failed: header {name} expected {not}to {}, but it is missing",
                    text_expect_text(expect)
                ),
            })
        }
        CheckKind::MaxResponseTime(limit) => {
            let within = response.elapsed <= *limit;
            let (took, limit) = (response.elapsed.as_millis(), limit.as_millis());
            match (within, check.negate) {
                (true, false) | (false, true) => None,
                (false, false) => Some(format!(
                    "The operation lasted too long: It took {took} milliseconds, but should not \
                     have lasted longer than {limit} milliseconds."
                )),
                (true, true) => Some(format!(
                    "The operation was too quick: It took {took} milliseconds, but should have \
                     lasted longer than {limit} milliseconds."
                )),
            }
        }
    }
}

/// The failure of an XPath assertion, worded as JMeter's XPath assertion words it: a node-set
/// must be non-empty (empty, with `not`), a boolean true (false); other results are not
/// understood.
fn xpath_failure(
    query: &vajra_plan::XPathQuery,
    negate: bool,
    response: &ResponseView<'_>,
) -> Option<String> {
    if response.body.is_empty() {
        return Some("Response was null".into());
    }
    let text = &query.text;
    let document = match response.document(query.document) {
        Ok(document) => document,
        Err(reason) => return Some(format!("SAXException: {reason}")),
    };
    match document::evaluate(query, document) {
        Err(reason) => Some(format!("TransformerException: {reason}")),
        Ok(XPathValue::Nodes(nodes)) => match (nodes.is_empty(), negate) {
            (true, false) => Some(format!("No Nodes Matched {text}")),
            (false, true) => {
                Some("Specified XPath was found... Turn off negate if this is not desired".into())
            }
            _ => None,
        },
        Ok(XPathValue::Boolean(value)) => (value == negate).then(|| {
            if negate {
                format!("Nodes Matched for {text}")
            } else {
                format!("No Nodes Matched for {text}")
            }
        }),
        Ok(XPathValue::Text(_)) => Some(format!("Cannot understand: {text}")),
    }
}

/// Whether the first node found satisfies `expect`; the error is the failure message.
fn json_outcome(
    node: Option<&serde_json::Value>,
    expect: &JsonExpect,
    path: &str,
) -> Result<(), String> {
    let Some(node) = node else {
        return Err(format!("No results for path: {path}"));
    };
    let passes = match expect {
        JsonExpect::Exists => true,
        JsonExpect::Equals(value) => json_equals(node, value),
        JsonExpect::Matches(regex) => whole_match(&regex.0, &json_text(node)),
        JsonExpect::Null => node.is_null(),
    };
    if passes {
        Ok(())
    } else {
        Err(format!(
            "Value of {path} expected to be {}, but found {}",
            expect_text(expect),
            json_text(node)
        ))
    }
}

fn expect_text(expect: &JsonExpect) -> String {
    match expect {
        JsonExpect::Exists => "present".into(),
        JsonExpect::Equals(value) => json_text(value),
        JsonExpect::Matches(regex) => format!("matching /{}/", regex.0.as_str()),
        JsonExpect::Null => "null".into(),
    }
}

/// JSON equality, where a string also equals a number or boolean with the same text (JMeter
/// compares the texts).
pub fn json_equals(node: &serde_json::Value, expected: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (node, expected) {
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => a == b,
        },
        (Value::String(_), Value::Number(_) | Value::Bool(_))
        | (Value::Number(_) | Value::Bool(_), Value::String(_)) => {
            json_text(node) == json_text(expected)
        }
        _ => node == expected,
    }
}

/// Whether `regex` matches the whole of `text`: its leftmost match spans it (exact for the
/// `^(?:…)$` form a whole-text regexp is best compiled in).
fn whole_match(regex: &regex::Regex, text: &str) -> bool {
    regex
        .find(text)
        .is_some_and(|m| m.start() == 0 && m.end() == text.len())
}

fn text_passes(expect: &TextExpect, value: &str) -> bool {
    match expect {
        TextExpect::Equals(text) => value == text,
        TextExpect::Contains(text) => value.contains(text.as_str()),
        TextExpect::Matches(regex) => regex.0.is_match(value),
    }
}

fn text_expect_text(expect: &TextExpect) -> String {
    match expect {
        TextExpect::Equals(text) => format!("equal {text:?}"),
        TextExpect::Contains(text) => format!("contain {text:?}"),
        TextExpect::Matches(regex) => format!("match /{}/", regex.0.as_str()),
    }
}

fn subject_name(subject: Subject) -> &'static str {
    match subject {
        Subject::Body => "text",
        Subject::Headers => "headers",
        Subject::Url => "URL",
        Subject::Status => "code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};
    use std::time::Duration;
    use vajra_plan::RegexText;

    fn view<'a>(status: u16, body: &'a [u8], headers: Option<&'a HeaderMap>) -> ResponseView<'a> {
        ResponseView::new(
            status,
            body,
            headers,
            &[],
            "http://h/x",
            Duration::from_millis(120),
        )
    }

    fn check(kind: CheckKind) -> Check {
        Check {
            kind,
            negate: false,
        }
    }

    fn not(kind: CheckKind) -> Check {
        Check { kind, negate: true }
    }

    fn jsonpath(path: &str, expect: JsonExpect) -> CheckKind {
        CheckKind::JsonPath {
            path: serde_json_path::JsonPath::parse(path).unwrap(),
            text: path.into(),
            expect,
        }
    }

    fn regex(text: &str) -> regex::Regex {
        regex::Regex::new(text).unwrap()
    }

    #[test]
    fn status_comes_first_and_names_the_ranges() {
        let assertions = Assertions {
            status: vec![
                StatusRange {
                    low: 200,
                    high: 200,
                },
                StatusRange {
                    low: 201,
                    high: 204,
                },
                StatusRange {
                    low: 300,
                    high: 399,
                },
            ],
            assume_success: false,
            checks: vec![check(CheckKind::Contains {
                subject: Subject::Body,
                text: "never".into(),
            })],
        };
        assert_eq!(
            judge(&assertions, &view(500, b"", None)),
            Err(Some(
                "Test failed: response code was 500, expected one of 200, 201-204, 3xx".into()
            ))
        );
        assert_eq!(
            judge(&assertions, &view(203, b"", None)),
            Err(Some("Test failed: text expected to contain /never/".into()))
        );
        let default = Assertions::default();
        assert_eq!(judge(&default, &view(404, b"", None)), Err(None));
        assert_eq!(judge(&default, &view(302, b"", None)), Ok(()));
        let assume = Assertions {
            assume_success: true,
            ..Assertions::default()
        };
        assert_eq!(judge(&assume, &view(404, b"", None)), Ok(()));
    }

    #[test]
    fn text_checks_and_their_negations() {
        let body = view(200, b"hello world", None);
        let contains = |text: &str| CheckKind::Contains {
            subject: Subject::Body,
            text: text.into(),
        };
        assert_eq!(check_failure(&check(contains("world")), &body), None);
        assert_eq!(
            check_failure(&not(contains("world")), &body).unwrap(),
            "Test failed: text expected not to contain /world/"
        );
        let matches = CheckKind::Matches {
            subject: Subject::Url,
            regex: regex(r"/x$"),
        };
        assert_eq!(check_failure(&check(matches.clone()), &body), None);
        assert_eq!(
            check_failure(&not(matches), &body).unwrap(),
            "Test failed: URL expected not to contain //x$/"
        );
    }

    #[test]
    fn jsonpath_checks_exist_equal_match_and_null() {
        let body = view(200, br#"{"id":7,"name":"ann","gone":null,"ok":true}"#, None);
        let passes = |kind| check_failure(&check(kind), &body);
        assert_eq!(passes(jsonpath("$.id", JsonExpect::Exists)), None);
        assert_eq!(passes(jsonpath("$.id", JsonExpect::Equals(7.into()))), None);
        assert_eq!(
            passes(jsonpath("$.id", JsonExpect::Equals("7".into()))),
            None
        );
        assert_eq!(
            passes(jsonpath("$.ok", JsonExpect::Equals("true".into()))),
            None
        );
        assert_eq!(passes(jsonpath("$.gone", JsonExpect::Null)), None);
        let ann = JsonExpect::Matches(RegexText(regex("^a.*$")));
        assert_eq!(passes(jsonpath("$.name", ann)), None);
        assert_eq!(
            passes(jsonpath("$.id", JsonExpect::Equals(8.into()))).unwrap(),
            "Value of $.id expected to be 8, but found 7"
        );
        assert_eq!(
            passes(jsonpath("$.missing", JsonExpect::Exists)).unwrap(),
            "No results for path: $.missing"
        );
        let partial = JsonExpect::Matches(RegexText(regex("n")));
        assert!(
            passes(jsonpath("$.name", partial)).is_some(),
            "whole text only"
        );
        assert_eq!(
            check_failure(&not(jsonpath("$.missing", JsonExpect::Exists)), &body),
            None
        );
        assert_eq!(
            check_failure(&not(jsonpath("$.id", JsonExpect::Exists)), &body).unwrap(),
            "Failed that JSONPath not exists: $.id"
        );
        let not_json = view(200, b"<html>", None);
        assert!(check_failure(&check(jsonpath("$.id", JsonExpect::Exists)), &not_json).is_some());
    }

    fn xpath(text: &str, html: bool) -> CheckKind {
        CheckKind::XPath(vajra_plan::XPathQuery {
            text: text.into(),
            document: vajra_plan::DocumentKind {
                html,
                ignore_whitespace: false,
            },
            namespaces: Vec::new(),
        })
    }

    #[test]
    fn xpath_checks_are_worded_as_jmeter_words_them() {
        let body = view(200, b"<r><status>ok</status></r>", None);
        let failure = |check: Check| check_failure(&check, &body);
        assert_eq!(failure(check(xpath("//status", false))), None);
        assert_eq!(
            failure(check(xpath("//error", false))).unwrap(),
            "No Nodes Matched //error"
        );
        assert_eq!(failure(not(xpath("//error", false))), None);
        assert_eq!(
            failure(not(xpath("//status", false))).unwrap(),
            "Specified XPath was found... Turn off negate if this is not desired"
        );
        assert_eq!(failure(check(xpath("//status = 'ok'", false))), None);
        assert_eq!(
            failure(check(xpath("//status = 'no'", false))).unwrap(),
            "No Nodes Matched for //status = 'no'"
        );
        assert_eq!(
            failure(not(xpath("//status = 'ok'", false))).unwrap(),
            "Nodes Matched for //status = 'ok'"
        );
        assert_eq!(
            failure(check(xpath("count(//status)", false))).unwrap(),
            "Cannot understand: count(//status)"
        );
        assert_eq!(
            failure(check(xpath("//p:x", false))).unwrap(),
            "TransformerException: Prefix must resolve to a namespace: p"
        );
        let html = view(200, b"<p>unclosed<br></p>", None);
        let message = check_failure(&check(xpath("//p", false)), &html).unwrap();
        assert!(message.starts_with("SAXException: "), "{message}");
        assert_eq!(check_failure(&check(xpath("//p", true)), &html), None);
        let empty = view(200, b"", None);
        assert_eq!(
            check_failure(&not(xpath("//p", false)), &empty).unwrap(),
            "Response was null"
        );
    }

    #[test]
    fn header_and_time_checks() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let response = view(200, b"", Some(&headers));
        let header = |name: &'static str, expect| CheckKind::Header {
            name: http::HeaderName::from_static(name),
            expect,
        };
        let json = Some(TextExpect::Contains("json".into()));
        assert_eq!(
            check_failure(&check(header("content-type", json)), &response),
            None
        );
        let xml = Some(TextExpect::Equals("text/xml".into()));
        assert_eq!(
            check_failure(&check(header("content-type", xml)), &response).unwrap(),
            "Test failed: header content-type expected to equal \"text/xml\", but was \
             \"application/json\""
        );
        assert_eq!(
            check_failure(&check(header("x-id", None)), &response).unwrap(),
            "Test failed: header x-id expected to be present"
        );
        assert_eq!(check_failure(&not(header("x-id", None)), &response), None);
        let fast = CheckKind::MaxResponseTime(Duration::from_millis(100));
        assert_eq!(
            check_failure(&check(fast), &response).unwrap(),
            "The operation lasted too long: It took 120 milliseconds, but should not have \
             lasted longer than 100 milliseconds."
        );
        let slow = CheckKind::MaxResponseTime(Duration::from_millis(500));
        assert_eq!(check_failure(&check(slow), &response), None);
    }

    proptest::proptest! {
        #[test]
        fn negation_turns_every_text_check_round(body in "[a-c]{0,8}", text in "[a-c]{0,3}") {
            let response = view(200, body.as_bytes(), None);
            let kind = CheckKind::Contains { subject: Subject::Body, text };
            let plain = check_failure(&check(kind.clone()), &response).is_none();
            let negated = check_failure(&not(kind), &response).is_none();
            proptest::prop_assert_ne!(plain, negated);
        }

        #[test]
        fn a_number_equals_its_own_text(n in proptest::num::i64::ANY) {
            proptest::prop_assert!(json_equals(&n.into(), &n.to_string().into()));
            proptest::prop_assert!(json_equals(&n.to_string().into(), &n.into()));
        }
    }
}
