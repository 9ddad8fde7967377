//! The v4 response envelope: `{"api_version", "error", "result", "limit", "skip", "total", ...}`.
//!
//! [`Envelope::parse`] turns any response body into an envelope of JSON values; the client then
//! checks [`Envelope::error_message`] and decodes `result` into a model. A body without envelope
//! keys is taken as a bare result (Taurus' own mock answers `/user` that way), an empty body as
//! `{}` (as Taurus does), and `"result": null` as "absent".
//!
//! [`decode_response`] is the whole path of a successful answer's body, as the client takes it:
//! parse, refuse an `error` member, decode the result. Every message built from the server's
//! text is clipped to [`MAX_MESSAGE_CHARS`], so a hostile answer gives a short error.

use crate::error::Error;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A parsed response: the result plus the list metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    /// `api_version` (4, or 2 on some data endpoints); never insisted upon.
    pub api_version: Option<u64>,
    /// The `error` member when it is not null/false/empty.
    pub error: Option<Value>,
    /// The `result` member; `Value::Null` when null or missing.
    pub result: Value,
    pub limit: Option<u64>,
    pub skip: Option<u64>,
    pub total: Option<u64>,
    pub hidden: Option<u64>,
    pub request_id: Option<String>,
}

const ENVELOPE_KEYS: [&str; 3] = ["result", "error", "api_version"];

impl Envelope {
    /// Parses a body. `Err` carries a description of why it is not JSON.
    pub fn parse(body: &[u8]) -> Result<Envelope, String> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Envelope {
                result: Value::Object(Map::new()),
                ..Envelope::default()
            });
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            clip(
                &format!("not JSON ({e}): {}", snippet(body)),
                MAX_MESSAGE_CHARS,
            )
        })?;
        Ok(Envelope::from_value(value))
    }

    /// Splits a JSON value into envelope fields, or wraps a bare value as the result.
    pub fn from_value(value: Value) -> Envelope {
        let Value::Object(mut map) = value else {
            return Envelope {
                result: value,
                ..Envelope::default()
            };
        };
        if !ENVELOPE_KEYS.iter().any(|k| map.contains_key(*k)) {
            return Envelope {
                result: Value::Object(map),
                ..Envelope::default()
            };
        }
        let number = |map: &Map<String, Value>, key: &str| map.get(key).and_then(Value::as_u64);
        Envelope {
            api_version: number(&map, "api_version"),
            limit: number(&map, "limit"),
            skip: number(&map, "skip"),
            total: number(&map, "total"),
            hidden: number(&map, "hidden"),
            request_id: map
                .get("request_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            error: map.remove("error").filter(is_truthy),
            result: map.remove("result").unwrap_or(Value::Null),
        }
    }

    /// A readable form of `error`: `"Unauthorized (code 401)"`, or the raw JSON; clipped.
    pub fn error_message(&self) -> Option<String> {
        self.error.as_ref().map(describe_error)
    }

    /// Decodes `result` into `T`; `Ok(None)` when it is null. `Err` names the field that did
    /// not fit (`` `result.sessions[0].id`: invalid type: … ``), clipped.
    pub fn decode<T: DeserializeOwned>(self) -> Result<Option<T>, String> {
        if self.result.is_null() {
            return Ok(None);
        }
        // The path says which field of a large object was wrong.
        serde_path_to_error::deserialize(self.result)
            .map(Some)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let text = match path.as_str() {
                    "." => inner.to_string(),
                    index if index.starts_with('[') => format!("`result{index}`: {inner}"),
                    field => format!("`result.{field}`: {inner}"),
                };
                clip(&text, MAX_MESSAGE_CHARS)
            })
    }
}

fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Number(_) | Value::Bool(true) => true,
    }
}

/// The server's text is clipped before the code is added, so the code stays in view.
fn describe_error(error: &Value) -> String {
    let message = error.get("message").and_then(Value::as_str);
    let code = error.get("code").filter(|c| !c.is_null());
    let clip = |text: &str| clip(text, MAX_MESSAGE_CHARS);
    match (error.as_str(), message, code) {
        (Some(text), _, _) => clip(text),
        (None, Some(message), Some(code)) => {
            format!("{} (code {})", clip(message), clip(&code.to_string()))
        }
        (None, Some(message), None) => clip(message),
        _ => clip(&error.to_string()),
    }
}

/// The most characters of server-provided text an error message carries.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// The first `max_chars` characters of `text`, cut on a char boundary, with how much was left
/// off: `"abc… (1234 more bytes)"`.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}… ({} more bytes)", &text[..cut], text.len() - cut),
        None => text.to_owned(),
    }
}

/// The start of a body for error messages (bodies can be whole HTML pages), on one line:
/// runs of whitespace, line breaks included, become one space.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let words: Vec<&str> = text.split_whitespace().collect();
    clip(&words.join(" "), 200)
}

/// A successful (status < 400) answer's body, as the client reads it: the envelope, or
/// [`Error::Api`] when it carries an `error`, or [`Error::Decode`] when it is not JSON.
/// `request` (`METHOD /path`) names the call in errors.
pub fn parse_success(request: &str, body: &[u8]) -> Result<Envelope, Error> {
    let envelope = Envelope::parse(body).map_err(|message| Error::Decode {
        request: request.to_owned(),
        message,
    })?;
    match envelope.error_message() {
        Some(message) => Err(Error::Api {
            request: request.to_owned(),
            message,
        }),
        None => Ok(envelope),
    }
}

/// Decodes an envelope's result as the client does; `Ok(None)` for a null result.
pub fn decode_result<T: DeserializeOwned>(
    request: &str,
    envelope: Envelope,
) -> Result<Option<T>, Error> {
    envelope.decode().map_err(|e| Error::Decode {
        request: request.to_owned(),
        message: format!("the result has an unexpected shape: {e}"),
    })
}

/// The whole path of a successful answer into a model: [`parse_success`] then
/// [`decode_result`]. Exposed so that tests can feed bodies through exactly what the client
/// runs.
pub fn decode_response<T: DeserializeOwned>(
    request: &str,
    body: &[u8],
) -> Result<Option<T>, Error> {
    decode_result(request, parse_success(request, body)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: u64,
    }

    #[test]
    fn list_envelope_with_paging() {
        let body = br#"{"api_version":4,"error":null,"result":[{"id":1},{"id":2}],
                        "limit":2,"skip":0,"total":3,"hidden":0,"request_id":"5ef2"}"#;
        let env = Envelope::parse(body).unwrap();
        assert_eq!(env.api_version, Some(4));
        assert_eq!(
            (env.limit, env.skip, env.total),
            (Some(2), Some(0), Some(3))
        );
        assert_eq!(env.request_id.as_deref(), Some("5ef2"));
        assert_eq!(env.error_message(), None);
        let items: Vec<Item> = env.decode().unwrap().unwrap();
        assert_eq!(items, vec![Item { id: 1 }, Item { id: 2 }]);
    }

    #[test]
    fn api_version_two_is_fine() {
        let env = Envelope::parse(br#"{"api_version":2,"error":null,"result":[]}"#).unwrap();
        assert_eq!(env.api_version, Some(2));
        assert_eq!(env.decode::<Vec<Item>>().unwrap(), Some(vec![]));
    }

    #[test]
    fn bare_user_object_is_the_result() {
        let env = Envelope::parse(br#"{"id":1,"defaultProject":{"id":1}}"#).unwrap();
        assert_eq!(env.decode::<Item>().unwrap(), Some(Item { id: 1 }));
    }

    #[test]
    fn null_result_is_absent() {
        let env = Envelope::parse(br#"{"api_version":4,"error":null,"result":null}"#).unwrap();
        assert_eq!(env.decode::<Item>().unwrap(), None);
        let env = Envelope::parse(br#"{"error":null}"#).unwrap();
        assert_eq!(env.decode::<Item>().unwrap(), None);
    }

    #[test]
    fn error_object_is_described() {
        let body =
            br#"{"api_version":4,"error":{"code":401,"message":"Unauthorized"},"result":null}"#;
        let env = Envelope::parse(body).unwrap();
        assert_eq!(
            env.error_message().as_deref(),
            Some("Unauthorized (code 401)")
        );
        let env = Envelope::parse(br#"{"error":"quota exceeded","result":null}"#).unwrap();
        assert_eq!(env.error_message().as_deref(), Some("quota exceeded"));
    }

    #[test]
    fn falsy_errors_are_not_errors() {
        for body in [
            r#"{"error":false,"result":1}"#,
            r#"{"error":"","result":1}"#,
            r#"{"error":{},"result":1}"#,
        ] {
            assert_eq!(
                Envelope::parse(body.as_bytes()).unwrap().error,
                None,
                "{body}"
            );
        }
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        let env = Envelope::parse(b"  ").unwrap();
        assert_eq!(env.result, Value::Object(Map::new()));
    }

    #[test]
    fn html_is_reported_with_a_snippet() {
        let err = Envelope::parse(b"<html>Bad gateway</html>").unwrap_err();
        assert!(
            err.contains("not JSON") && err.contains("<html>Bad gateway"),
            "{err}"
        );
    }

    #[test]
    fn snippet_cuts_long_bodies_on_char_boundaries() {
        let long = "é".repeat(500);
        let cut = snippet(long.as_bytes());
        assert_eq!(cut, format!("{}… (600 more bytes)", "é".repeat(200)));
    }

    #[test]
    fn snippet_is_one_line() {
        assert_eq!(
            snippet(b"<html>\r\n<head>\t<title>502</title>\n</head>  </html>\n"),
            "<html> <head> <title>502</title> </head> </html>"
        );
    }

    #[test]
    fn clip_keeps_short_text_and_counts_what_it_drops() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("exactly10!", 10), "exactly10!");
        assert_eq!(clip("abcdef", 3), "abc… (3 more bytes)");
        // A 4-byte char straddling the cut is kept whole or dropped whole.
        assert_eq!(clip("ab🦀cd", 3), "ab🦀… (2 more bytes)");
    }

    #[test]
    fn a_huge_error_message_is_clipped() {
        let body = format!(
            r#"{{"error":{{"message":"{}"}},"result":null}}"#,
            "x".repeat(1 << 20)
        );
        let message = Envelope::parse(body.as_bytes())
            .unwrap()
            .error_message()
            .unwrap();
        assert_eq!(
            message,
            format!("{}… ({} more bytes)", "x".repeat(500), (1 << 20) - 500)
        );
    }

    #[test]
    fn decode_errors_name_the_field() {
        let env = Envelope::parse(br#"{"result":[{"id":1},{"id":"two"}]}"#).unwrap();
        let err = env.decode::<Vec<Item>>().unwrap_err();
        assert!(err.starts_with("`result[1].id`: invalid type"), "{err}");
    }
}
