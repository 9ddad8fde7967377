//! Reading a Taurus config's YAML values: each helper knows the field path of the value it
//! reads, so that every error names the key and points at its line in the Taurus file.

use std::time::Duration;

use serde_json::{Map, Value};

use super::load::parse_taurus_time;
use super::overrides;
use crate::duration::format_duration;
use crate::error::{closest, Source};
use crate::locate::FieldPath;
use crate::{PlanError, PlanWarning};

pub(crate) type Result<T> = std::result::Result<T, PlanError>;

/// The Taurus file being mapped, for errors.
pub(crate) struct Taurus<'a> {
    pub src: Source<'a>,
    /// The `-o` overrides applied to the file: an error in a value one of them set says so,
    /// since the value at the error's line is not the one that was read.
    pub overrides: &'a [String],
}

impl Taurus<'_> {
    pub fn error(&self, at: &FieldPath, message: impl Into<String>) -> PlanError {
        let mut message = message.into();
        let field = at.to_string();
        let from_override = self.overrides.iter().rev().find(|item| {
            overrides::field_path(item).is_some_and(|path| {
                field == path
                    || field
                        .strip_prefix(path.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
        });
        if let Some(item) = from_override {
            message.push_str(&format!(" (set by -o {item})"));
        }
        self.src.invalid(at, message)
    }

    /// A warning at `at`: the config loads, but this key does not do what it says.
    pub fn warning(&self, at: &FieldPath, message: impl Into<String>) -> PlanWarning {
        self.src.warning(at, message)
    }

    /// A whole number (also as text), or an error saying one was expected.
    pub fn count(&self, at: &FieldPath, value: &Value) -> Result<u64> {
        let text = scalar_text(value).unwrap_or_default();
        text.trim().parse::<u64>().map_err(|_| {
            self.error(
                at,
                format!("expected a whole number, found {}", short(value)),
            )
        })
    }

    /// `value` as a mapping, or an error saying what was expected.
    pub fn map<'v>(
        &self,
        at: &FieldPath,
        value: &'v Value,
        what: &str,
    ) -> Result<&'v Map<String, Value>> {
        value
            .as_object()
            .ok_or_else(|| self.error(at, format!("expected {what}, found {}", short(value))))
    }

    /// Checks the keys of `map`: a key of `rejected` fails with its reason, any other key not in
    /// `allowed` fails with a "did you mean" and the list of what is supported.
    pub fn check_keys(
        &self,
        at: &FieldPath,
        map: &Map<String, Value>,
        allowed: &[&str],
        rejected: &[(&str, &str)],
    ) -> Result<()> {
        for key in map.keys() {
            if let Some((_, why)) = rejected.iter().find(|(name, _)| name == key) {
                return Err(self.error(
                    &at.key(key),
                    format!("`{key}` is not supported by vajra: {why}"),
                ));
            }
            if !allowed.contains(&key.as_str()) {
                let hint = closest(key, allowed.iter().copied())
                    .map(|h| format!("did you mean `{h}`? "))
                    .unwrap_or_default();
                return Err(self.error(
                    &at.key(key),
                    format!(
                        "`{key}` is not supported by vajra; {hint}(it supports {})",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A Taurus switch: `true`/`false`, also as text in any case.
    pub fn switch(&self, at: &FieldPath, value: &Value) -> Result<bool> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            other => Err(self.error(
                at,
                format!("expected true or false, found {}", short(other)),
            )),
        }
    }

    /// A Taurus time (`90` seconds, `1m30s`, `500ms`).
    pub fn time(&self, at: &FieldPath, value: &Value) -> Result<Duration> {
        parse_taurus_time(value).ok_or_else(|| {
            self.error(
                at,
                format!("{} is not a time like 30s, 1m30s or 500ms", short(value)),
            )
        })
    }

    /// A Taurus time as a plan duration (`1500ms`, `1m30s`).
    pub fn duration_text(&self, at: &FieldPath, value: &Value) -> Result<String> {
        self.time(at, value).map(format_duration)
    }

    /// A scalar as the text Taurus would send for it.
    pub fn text(&self, at: &FieldPath, value: &Value) -> Result<String> {
        scalar_text(value)
            .ok_or_else(|| self.error(at, format!("expected a text value, found {}", short(value))))
    }

    /// Checks that `text` (at `at`) is a regexp the plan builder will accept: checked here so
    /// that the error points at the Taurus field rather than at the request it belongs to.
    pub fn regexp(&self, at: &FieldPath, text: &str) -> Result<()> {
        crate::fields::compile_regex(text)
            .map(drop)
            .map_err(|message| self.error(at, message))
    }

    /// Checks that `text` (at `at`) is a JSONPath query, as [`Taurus::regexp`] does for regexps.
    /// A JSONPath as JMeter reads it, checked and in RFC 9535 form: JMeter's (Jayway's) `$.`
    /// for the root document is `$`.
    pub fn jsonpath(&self, at: &FieldPath, text: &str) -> Result<String> {
        let text = if text.trim() == "$." { "$" } else { text };
        crate::fields::JsonPathField::parse(text)
            .map(|_| text.to_string())
            .map_err(|message| self.error(at, message))
    }

    /// A list, or a single value taken as a list of one (Taurus accepts both in many places).
    pub fn list<'v>(&self, value: &'v Value) -> Vec<&'v Value> {
        match value {
            Value::Array(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            single => vec![single],
        }
    }
}

/// The text of a scalar the way Taurus writes it into a test (Python's `str`: `True`, `1.5`).
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A value, shortened for a message.
pub(crate) fn short(value: &Value) -> String {
    let text = match value {
        Value::Null => "nothing".to_string(),
        Value::Object(_) => "a mapping".to_string(),
        Value::Array(_) => "a list".to_string(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

pub(crate) fn is_set(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}
