//! A response as extractors and assertions read it: status, headers, body and final URL, with
//! the body parsed as JSON at most once however many JSONPath queries read it.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use vajra_plan::Subject;

/// What one response offers to extractors and assertions. Only requests with extractors or
/// checks build one, so plain requests pay for none of it.
pub struct ResponseView<'a> {
    pub status: u16,
    /// Empty when the body was not kept (no check or extractor reads it).
    pub body: &'a [u8],
    /// Every response header; `None` when they were not kept.
    pub headers: Option<&'a HeaderMap>,
    /// Every `Set-Cookie` of the response (kept for every request, for the cookie jar).
    pub set_cookie: &'a [HeaderValue],
    /// The final URL (after redirects).
    pub url: &'a str,
    /// The sample's elapsed time.
    pub elapsed: Duration,
    json: OnceCell<Option<serde_json::Value>>,
}

impl<'a> ResponseView<'a> {
    pub fn new(
        status: u16,
        body: &'a [u8],
        headers: Option<&'a HeaderMap>,
        set_cookie: &'a [HeaderValue],
        url: &'a str,
        elapsed: Duration,
    ) -> Self {
        ResponseView {
            status,
            body,
            headers,
            set_cookie,
            url,
            elapsed,
            json: OnceCell::new(),
        }
    }

    /// The body as JSON, parsed on first use; `None` when it is not JSON.
    pub fn json(&self) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(self.body).ok())
            .as_ref()
    }

    /// The text of `subject`: the body (invalid UTF-8 replaced), the headers as `Name: value`
    /// lines, the URL, or the status code.
    pub fn text(&self, subject: Subject) -> Cow<'a, str> {
        match subject {
            Subject::Body => String::from_utf8_lossy(self.body),
            Subject::Headers => Cow::Owned(header_lines(self.headers)),
            Subject::Url => Cow::Borrowed(self.url),
            Subject::Status => Cow::Owned(self.status.to_string()),
        }
    }

    /// Every value of header `name`, in order (none when headers were not kept).
    pub fn header_values<'n>(
        &self,
        name: &'n http::HeaderName,
    ) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.headers
            .into_iter()
            .flat_map(move |headers| headers.get_all(name).iter())
            .filter_map(|value| value.to_str().ok())
    }
}

/// Headers as `Name: value` lines, as JMeter's header assertions and extractors see them.
fn header_lines(headers: Option<&HeaderMap>) -> String {
    let mut out = String::new();
    for (name, value) in headers.into_iter().flatten() {
        out.push_str(name.as_str());
        out.push_str(": ");
        out.push_str(&String::from_utf8_lossy(value.as_bytes()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_read_the_parts_of_the_response() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("2"));
        let view = ResponseView::new(
            201,
            br#"{"a":1}"#,
            Some(&headers),
            &[],
            "http://h/x",
            Duration::ZERO,
        );
        assert_eq!(view.text(Subject::Body), r#"{"a":1}"#);
        assert_eq!(view.text(Subject::Status), "201");
        assert_eq!(view.text(Subject::Url), "http://h/x");
        assert_eq!(
            view.text(Subject::Headers),
            "content-type: application/json\nx-a: 1\nx-a: 2\n"
        );
        let name = http::HeaderName::from_static("x-a");
        assert_eq!(view.header_values(&name).collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(view.json().unwrap()["a"], 1);
        let not_json = ResponseView::new(200, b"<html>", None, &[], "", Duration::ZERO);
        assert!(not_json.json().is_none());
        assert_eq!(not_json.text(Subject::Headers), "");
    }
}
