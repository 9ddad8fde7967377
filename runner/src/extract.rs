//! Extractors: what a response gives a variable. Pure functions of the response; the virtual
//! user's state ([`crate::scope::UserState::set_extracted`]) stores the result.

use vajra_plan::{ExtractSource, MatchNo};

use crate::document;
use crate::response::ResponseView;

/// What an extractor keeps of its matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extracted {
    /// Nothing matched (or not the match asked for).
    Miss,
    /// The one match asked for (`match: N` or `random`).
    One(String),
    /// Every match (`match: all`), possibly none.
    All(Vec<String>),
}

/// Every value `source` finds in `response`, in order.
pub fn find_all(source: &ExtractSource, response: &ResponseView<'_>) -> Vec<String> {
    match source {
        ExtractSource::JsonPath { path, .. } => match response.json() {
            Some(json) => path.query(json).iter().map(|v| json_text(v)).collect(),
            None => Vec::new(),
        },
        ExtractSource::Regex {
            regex,
            group,
            subject,
        } => regex_matches(regex, *group, &response.text(*subject)),
        ExtractSource::Boundary {
            left,
            right,
            subject,
        } => between(&response.text(*subject), left, right),
        ExtractSource::Header(name) => response.header_values(name).map(str::to_string).collect(),
        ExtractSource::Cookie(name) => response
            .set_cookie
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| cookie_value(value, name))
            .map(str::to_string)
            .collect(),
        // A body that is not XML, or an expression that fails on it, finds nothing (a miss).
        ExtractSource::XPath(query) => response
            .document(query.document)
            .ok()
            .and_then(|doc| document::evaluate(query, doc).ok())
            .map(document::XPathValue::into_values)
            .unwrap_or_default(),
        ExtractSource::Css {
            selector,
            attribute,
            ..
        } => css_values(response.html(), selector, attribute.as_deref()),
    }
}

/// For each element `selector` finds, `attribute`'s value (empty when the element has none),
/// or without one the element's text with its whitespace collapsed, as JMeter's CSS/jQuery
/// extractor (JSoup) gives them.
pub fn css_values(
    html: &scraper::Html,
    selector: &scraper::Selector,
    attribute: Option<&str>,
) -> Vec<String> {
    html.select(selector)
        .map(|element| match attribute {
            Some(name) => element
                .value()
                .attr(name)
                .unwrap_or_default()
                .trim()
                .to_string(),
            None => element
                .text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect()
}

/// Keeps the match `matches` asks for; `random_index(n)` picks one of `n` (for `random`).
pub fn pick(
    mut values: Vec<String>,
    matches: MatchNo,
    random_index: impl FnOnce(usize) -> usize,
) -> Extracted {
    match matches {
        MatchNo::All => Extracted::All(values),
        _ if values.is_empty() => Extracted::Miss,
        MatchNo::Nth(n) => match (n as usize).checked_sub(1) {
            Some(index) if index < values.len() => Extracted::One(values.swap_remove(index)),
            _ => Extracted::Miss,
        },
        MatchNo::Random => {
            let index = random_index(values.len()).min(values.len() - 1);
            Extracted::One(values.swap_remove(index))
        }
    }
}

/// A JSON node as a variable's text: a string as it is, anything else as compact JSON.
pub fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Capture `group` of every match of `regex` in `text` (empty when the group took no part).
pub fn regex_matches(regex: &regex::Regex, group: usize, text: &str) -> Vec<String> {
    regex
        .captures_iter(text)
        .map(|captures| {
            captures
                .get(group)
                .map_or_else(String::new, |m| m.as_str().to_string())
        })
        .collect()
}

/// Every text between `left` and `right` in `text`, left to right, not overlapping. An empty
/// `right` means "to the end" (one match at most).
pub fn between(text: &str, left: &str, right: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(left) {
        let start = from + found + left.len();
        if right.is_empty() {
            out.push(text[start..].to_string());
            break;
        }
        let Some(length) = text[start..].find(right) else {
            break;
        };
        out.push(text[start..start + length].to_string());
        from = start + length + right.len();
    }
    out
}

/// The value of cookie `name` in one `Set-Cookie` header value.
pub fn cookie_value<'a>(set_cookie: &'a str, name: &str) -> Option<&'a str> {
    let pair = set_cookie.split(';').next()?;
    let (cookie, value) = pair.split_once('=')?;
    (cookie.trim() == name).then(|| value.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};
    use std::time::Duration;
    use vajra_plan::Subject;

    fn view<'a>(
        body: &'a [u8],
        headers: Option<&'a HeaderMap>,
        cookies: &'a [HeaderValue],
    ) -> ResponseView<'a> {
        ResponseView::new(
            200,
            body,
            headers,
            cookies,
            "http://h/p?q=1",
            Duration::ZERO,
        )
    }

    fn jsonpath(text: &str) -> ExtractSource {
        ExtractSource::JsonPath {
            path: serde_json_path::JsonPath::parse(text).unwrap(),
            text: text.into(),
        }
    }

    #[test]
    fn jsonpath_takes_strings_as_they_are_and_other_values_as_json() {
        let body = br#"{"token":"abc","items":[{"id":1},{"id":"two"},{"id":{"x":[1]}}]}"#;
        let response = view(body, None, &[]);
        assert_eq!(find_all(&jsonpath("$.token"), &response), ["abc"]);
        assert_eq!(
            find_all(&jsonpath("$.items[*].id"), &response),
            ["1", "two", r#"{"x":[1]}"#]
        );
        assert!(find_all(&jsonpath("$.nope"), &response).is_empty());
        assert!(find_all(&jsonpath("$.token"), &view(b"not json", None, &[])).is_empty());
    }

    #[test]
    fn regexp_groups_boundaries_headers_and_cookies() {
        let regex = ExtractSource::Regex {
            regex: regex::Regex::new(r"sid=(\w+)").unwrap(),
            group: 1,
            subject: Subject::Body,
        };
        let response = view(b"sid=a1 x sid=b2", None, &[]);
        assert_eq!(find_all(&regex, &response), ["a1", "b2"]);
        let url = ExtractSource::Regex {
            regex: regex::Regex::new(r"q=(\d)").unwrap(),
            group: 0,
            subject: Subject::Url,
        };
        assert_eq!(find_all(&url, &response), ["q=1"]);

        let boundary = ExtractSource::Boundary {
            left: "value=\"".into(),
            right: "\"".into(),
            subject: Subject::Body,
        };
        let form = view(br#"<input value="t1"><input value="t2">"#, None, &[]);
        assert_eq!(find_all(&boundary, &form), ["t1", "t2"]);

        let mut headers = HeaderMap::new();
        headers.insert("location", HeaderValue::from_static("/next"));
        let cookies = [
            HeaderValue::from_static("SESSION=s1; Path=/; HttpOnly"),
            HeaderValue::from_static("other=o"),
        ];
        let response = view(b"", Some(&headers), &cookies);
        let header = ExtractSource::Header(http::header::LOCATION);
        assert_eq!(find_all(&header, &response), ["/next"]);
        let cookie = ExtractSource::Cookie("SESSION".into());
        assert_eq!(find_all(&cookie, &response), ["s1"]);
        let absent = ExtractSource::Cookie("SESS".into());
        assert!(find_all(&absent, &response).is_empty());
    }

    fn xpath(text: &str, html: bool) -> ExtractSource {
        ExtractSource::XPath(vajra_plan::XPathQuery {
            text: text.into(),
            document: vajra_plan::DocumentKind {
                html,
                ignore_whitespace: true,
            },
            namespaces: Vec::new(),
        })
    }

    fn css(text: &str, attribute: Option<&str>) -> ExtractSource {
        ExtractSource::Css {
            selector: scraper::Selector::parse(text).unwrap(),
            text: text.into(),
            attribute: attribute.map(str::to_string),
        }
    }

    #[test]
    fn xpath_and_css_read_one_parse_of_the_body() {
        let page = br#"<html><head><title> Shop </title></head><body>
            <input name="csrf" value=" t1 "><input name="qty">
            <p>a <b>bold</b>
               text</p></body></html>"#;
        let response = view(page, None, &[]);
        assert_eq!(
            find_all(&css("input", Some("value")), &response),
            ["t1", ""]
        );
        assert_eq!(find_all(&css("p", None), &response), ["a bold text"]);
        assert_eq!(find_all(&css("title", None), &response), ["Shop"]);
        assert!(find_all(&css("form", None), &response).is_empty());
        assert_eq!(
            find_all(&xpath("//input/@name", true), &response),
            ["csrf", "qty"]
        );
        assert_eq!(
            find_all(&xpath("/html/head/title", true), &response),
            [" Shop "]
        );
        // Not XML (an unclosed input): strict XPath finds nothing.
        assert!(find_all(&xpath("//title", false), &response).is_empty());
        let soap = view(
            br#"<r xmlns:m="urn:m"><m:v>1</m:v><m:v>2</m:v></r>"#,
            None,
            &[],
        );
        assert_eq!(find_all(&xpath("//m:v", false), &soap), ["1", "2"]);
        assert_eq!(find_all(&xpath("count(//m:v)", false), &soap), ["2"]);
        assert!(find_all(&xpath("//q:v", false), &soap).is_empty());
    }

    #[test]
    fn pick_keeps_the_match_asked_for() {
        let values = || vec!["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(
            pick(values(), MatchNo::Nth(1), |_| 0),
            Extracted::One("a".into())
        );
        assert_eq!(
            pick(values(), MatchNo::Nth(3), |_| 0),
            Extracted::One("c".into())
        );
        assert_eq!(pick(values(), MatchNo::Nth(4), |_| 0), Extracted::Miss);
        assert_eq!(
            pick(values(), MatchNo::Random, |n| n - 1),
            Extracted::One("c".into())
        );
        assert_eq!(
            pick(values(), MatchNo::All, |_| 0),
            Extracted::All(values())
        );
        assert_eq!(pick(Vec::new(), MatchNo::Random, |_| 0), Extracted::Miss);
        assert_eq!(
            pick(Vec::new(), MatchNo::All, |_| 0),
            Extracted::All(Vec::new())
        );
    }

    #[test]
    fn between_handles_empty_and_unclosed_bounds() {
        assert_eq!(between("a[1]b[2]c[3", "[", "]"), ["1", "2"]);
        assert_eq!(between("key: rest", "key: ", ""), ["rest"]);
        assert_eq!(between("x1x2x", "", "x"), ["", "1", "2"]);
        assert!(between("abc", "[", "]").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn between_finds_each_value_put_between_bounds(
            values in proptest::collection::vec("[a-z0-9]{0,6}", 0..6),
            filler in "[a-z ]{0,4}",
        ) {
            let text: String = values.iter().map(|v| format!("{filler}<{v}>")).collect();
            proptest::prop_assert_eq!(between(&text, "<", ">"), values);
        }

        #[test]
        fn pick_nth_is_the_nth_value(values in proptest::collection::vec("[a-z]{1,3}", 0..8), n in 1u32..10) {
            let expected = values.get(n as usize - 1).cloned();
            let got = pick(values, MatchNo::Nth(n), |_| 0);
            match expected {
                Some(value) => proptest::prop_assert_eq!(got, Extracted::One(value)),
                None => proptest::prop_assert_eq!(got, Extracted::Miss),
            }
        }
    }
}
