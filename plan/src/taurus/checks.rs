//! A Taurus request's `assert`, `assert-jsonpath` and `assert-xpath` as the native `assert:`
//! section.
//!
//! Taurus (JMeter's response assertion): each item checks every `contains` value on a subject
//! (`body`, `headers`, `http-code`, `url`), as a regular expression searched in it unless
//! `regexp: false`; `not: true` inverts each check; `assume-success: true` means the status
//! alone never fails the sample. The native `text` form says exactly that.

use serde_json::{json, Map, Value};

use super::extract::xpath_document;
use super::value::{is_set, scalar_text, short, Result, Taurus};
use crate::locate::FieldPath;

const ASSERT_KEYS: [&str; 5] = ["contains", "subject", "regexp", "not", "assume-success"];
const JSONPATH_KEYS: [&str; 6] = [
    "jsonpath",
    "expected-value",
    "validate",
    "expect-null",
    "invert",
    "regexp",
];
const XPATH_KEYS: [&str; 5] = [
    "xpath",
    "invert",
    "validate-xml",
    "ignore-whitespace",
    "use-tolerant-parser",
];

/// The native `assert:` mapping (empty when the request asserts nothing).
pub(crate) fn assertions(
    t: &Taurus<'_>,
    at: &FieldPath,
    request: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let mut texts = Vec::new();
    if let Some(items) = is_set(request.get("assert")) {
        let at = at.key("assert");
        let single = !items.is_array();
        for (index, item) in t.list(items).into_iter().enumerate() {
            let at = if single { at.clone() } else { at.index(index) };
            let item = match item {
                Value::Object(map) => map.clone(),
                scalar => {
                    let mut map = Map::new();
                    map.insert("contains".into(), scalar.clone());
                    map
                }
            };
            t.check_keys(&at, &item, &ASSERT_KEYS, &[])?;
            let contains = is_set(item.get("contains"))
                .map(|c| t.list(c))
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    t.error(&at, "`contains` is required: the texts or regexps to check")
                })?;
            let flag = |key: &str, default: bool| {
                is_set(item.get(key)).map_or(Ok(default), |v| t.switch(&at.key(key), v))
            };
            let regexp = flag("regexp", true)?;
            let negate = flag("not", false)?;
            if flag("assume-success", false)? {
                out.insert("assume-success".into(), Value::Bool(true));
            }
            let subject = match item.get("subject").and_then(Value::as_str).unwrap_or("body") {
                "body" => "body",
                "headers" => "headers",
                "http-code" => "status",
                "url" => "url",
                other => {
                    return Err(t.error(
                        &at.key("subject"),
                        format!("assertions on `{other}` are not supported: vajra checks body, headers, http-code and url"),
                    ))
                }
            };
            for (i, value) in contains.into_iter().enumerate() {
                // A single `contains` value sits at the key itself, a list's at its index.
                let value_at = match item.get("contains") {
                    Some(Value::Array(_)) => at.key("contains").index(i),
                    Some(_) => at.key("contains"),
                    None => at.clone(),
                };
                let text = scalar_text(value).ok_or_else(|| {
                    t.error(
                        &value_at,
                        format!("expected a text, found {}", short(value)),
                    )
                })?;
                if regexp {
                    t.regexp(&value_at, &text)?;
                }
                let mut check = Map::new();
                check.insert(
                    if regexp { "matches" } else { "contains" }.into(),
                    text.into(),
                );
                check.insert("in".into(), subject.into());
                if negate {
                    check.insert("not".into(), Value::Bool(true));
                }
                texts.push(Value::Object(check));
            }
        }
    }
    if !texts.is_empty() {
        out.insert("text".into(), Value::Array(texts));
    }
    if let Some(items) = is_set(request.get("assert-jsonpath")) {
        let at = at.key("assert-jsonpath");
        let mut paths = Vec::new();
        for (index, item) in t.list(items).into_iter().enumerate() {
            paths.push(jsonpath_check(t, &at.index(index), item)?);
        }
        if !paths.is_empty() {
            out.insert("jsonpath".into(), Value::Array(paths));
        }
    }
    if let Some(items) = is_set(request.get("assert-xpath")) {
        let at = at.key("assert-xpath");
        let mut paths = Vec::new();
        for (index, item) in t.list(items).into_iter().enumerate() {
            paths.push(xpath_check(t, &at.index(index), item)?);
        }
        if !paths.is_empty() {
            out.insert("xpath".into(), Value::Array(paths));
        }
    }
    Ok(out)
}

/// One `assert-xpath` item: the expression must find a node (or be true); `invert: true`
/// turns it around; the document settings as for `extract-xpath`.
fn xpath_check(t: &Taurus<'_>, at: &FieldPath, item: &Value) -> Result<Value> {
    let (item, xpath_at) = match item {
        Value::String(xpath) => {
            let mut map = Map::new();
            map.insert("xpath".into(), xpath.clone().into());
            (map, at.clone())
        }
        other => (
            t.map(
                at,
                other,
                "an XPath assertion like {xpath: //status, invert: false}",
            )?
            .clone(),
            at.key("xpath"),
        ),
    };
    t.check_keys(at, &item, &XPATH_KEYS, &[])?;
    let xpath = is_set(item.get("xpath"))
        .and_then(scalar_text)
        .ok_or_else(|| t.error(&xpath_at, "`xpath` is required"))?;
    crate::fields::XPathField::parse(&xpath).map_err(|m| t.error(&xpath_at, m))?;
    let mut check = Map::new();
    check.insert("path".into(), xpath.into());
    check.extend(xpath_document(t, at, &item)?);
    if let Some(v) = is_set(item.get("invert")) {
        if t.switch(&at.key("invert"), v)? {
            check.insert("not".into(), Value::Bool(true));
        }
    }
    Ok(Value::Object(check))
}

/// One `assert-jsonpath` item: the path must exist; with `validate: true` its value must equal
/// `expected-value` (or match it, with `regexp: true`); `expect-null: true` wants null;
/// `invert: true` turns the whole check around.
fn jsonpath_check(t: &Taurus<'_>, at: &FieldPath, item: &Value) -> Result<Value> {
    let item = match item {
        Value::String(path) => return Ok(json!(t.jsonpath(at, path)?)),
        other => t.map(
            at,
            other,
            "a JSONPath assertion like {jsonpath: $.id, validate: true, expected-value: 7}",
        )?,
    };
    t.check_keys(at, item, &JSONPATH_KEYS, &[])?;
    let path = item
        .get("jsonpath")
        .and_then(scalar_text)
        .ok_or_else(|| t.error(&at.key("jsonpath"), "`jsonpath` is required"))?;
    let path = t.jsonpath(&at.key("jsonpath"), &path)?;
    let flag = |key: &str| is_set(item.get(key)).map_or(Ok(false), |v| t.switch(&at.key(key), v));
    let mut check = Map::new();
    check.insert("path".into(), path.into());
    if flag("expect-null")? {
        check.insert("null".into(), Value::Bool(true));
    } else if flag("validate")? {
        let expected = is_set(item.get("expected-value")).ok_or_else(|| {
            t.error(
                &at.key("validate"),
                "`validate: true` needs `expected-value`",
            )
        })?;
        if flag("regexp")? {
            let text = t.text(&at.key("expected-value"), expected)?;
            t.regexp(&at.key("expected-value"), &text)?;
            check.insert("matches".into(), text.into());
        } else {
            check.insert("equals".into(), expected.clone());
        }
    }
    if flag("invert")? {
        check.insert("not".into(), Value::Bool(true));
    }
    Ok(Value::Object(check))
}
