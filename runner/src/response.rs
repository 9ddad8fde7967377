//! A response as extractors and assertions read it: status, headers, body and final URL, with
//! the body parsed at most once per form however many queries read it: as JSON for JSONPath,
//! as HTML for CSS selectors, as a document tree (XML, or HTML) for XPath.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use vajra_plan::{DocumentKind, Subject};

use crate::document::{self, Document};

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
    html: OnceCell<scraper::Html>,
    /// One per [`DocumentKind`] (see [`document_slot`]).
    documents: [OnceCell<Result<Document, String>>; 4],
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
            html: OnceCell::new(),
            documents: Default::default(),
        }
    }

    /// A view whose body is `text` and nothing else (an extractor's `from-variable`).
    pub fn of_text(text: &'a str) -> Self {
        ResponseView::new(0, text.as_bytes(), None, &[], "", Duration::ZERO)
    }

    /// The body as JSON, parsed on first use; `None` when it is not JSON.
    pub fn json(&self) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(self.body).ok())
            .as_ref()
    }

    /// The body as an HTML page, parsed on first use (any text is some page).
    pub fn html(&self) -> &scraper::Html {
        self.html
            .get_or_init(|| scraper::Html::parse_document(&String::from_utf8_lossy(self.body)))
    }

    /// The body as a document tree for XPath, read as `kind` says, on first use; the error
    /// says why the body is not XML.
    pub fn document(&self, kind: DocumentKind) -> Result<&Document, &str> {
        self.documents[document_slot(kind)]
            .get_or_init(|| {
                if kind.html {
                    document::from_html(self.html(), kind.ignore_whitespace)
                } else {
                    document::parse_xml(&String::from_utf8_lossy(self.body), kind.ignore_whitespace)
                }
            })
            .as_ref()
            .map_err(String::as_str)
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

fn document_slot(kind: DocumentKind) -> usize {
    usize::from(kind.html) * 2 + usize::from(kind.ignore_whitespace)
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
