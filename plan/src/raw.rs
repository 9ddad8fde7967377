//! The plan as written: serde types that mirror the YAML keys one to one.
//!
//! Unknown keys are errors everywhere (`deny_unknown_fields`), and field types that need a
//! check (durations, methods, templates) check themselves while parsing, so serde_yaml stamps
//! their errors with a line and column. Cross-field checks live in `build`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::data::OnEof;
use super::load::LoadSpec;
use super::template::Template;
use crate::duration::parse_duration;

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a plan: a mapping with keys like `name`, `base-url` and `requests`"
)]
pub(crate) struct RawPlan {
    pub name: Option<String>,
    pub target: Option<Target>,
    pub base_url: Option<String>,
    #[serde(default)]
    pub defaults: RawDefaults,
    pub scenarios: Option<Vec<RawScenario>>,
    pub requests: Option<Vec<RawRequest>>,
    #[serde(default)]
    pub load: LoadSpec,
    #[serde(default)]
    pub data: Vec<RawDataSet>,
    #[serde(default)]
    pub thresholds: Vec<String>,
    #[serde(default)]
    pub cloud: RawCloud,
}

/// `cloud:`: how `vajra cloud run` spreads the plan over BlazeMeter engines.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "the cloud section: a mapping like { engine-capacity-tps: 5000, locations: { us-east4-a: 2 } }"
)]
pub(crate) struct RawCloud {
    #[serde(default, deserialize_with = "positive_u64")]
    pub engine_capacity_tps: Option<u64>,
    #[serde(default)]
    pub locations: Entries<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Target {
    Embedded,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "request defaults: a mapping with `headers` and `timeout`"
)]
pub(crate) struct RawDefaults {
    #[serde(default)]
    pub headers: Entries<Template>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a scenario: a mapping with `name` and `requests`"
)]
pub(crate) struct RawScenario {
    pub name: String,
    pub weight: Option<u32>,
    pub requests: Vec<RawRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a request: a mapping with at least `url`"
)]
pub(crate) struct RawRequest {
    pub label: Option<String>,
    #[serde(default, deserialize_with = "method")]
    pub method: Option<http::Method>,
    pub url: Template,
    #[serde(default)]
    pub headers: Entries<Template>,
    pub body: Option<Template>,
    pub body_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub think_time: Option<Duration>,
    #[serde(default)]
    pub assert: RawAssert,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "assertions: a mapping with `status` and `body-contains`"
)]
pub(crate) struct RawAssert {
    #[serde(default, deserialize_with = "status_codes")]
    pub status: Vec<u16>,
    #[serde(default)]
    pub body_contains: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a data set: a mapping with at least `file`"
)]
pub(crate) struct RawDataSet {
    pub file: PathBuf,
    #[serde(default, deserialize_with = "delimiter")]
    pub delimiter: Option<u8>,
    #[serde(default)]
    pub on_eof: OnEof,
    pub split: Option<bool>,
}

/// A YAML mapping kept in document order, for headers (where order and repeats matter).
#[derive(Debug)]
pub(crate) struct Entries<V>(pub Vec<(String, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of names to values, like { Accept: text/plain }")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, V>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

/// Reads a scalar (strings as they are, numbers and booleans as written) and converts it.
/// The conversion runs inside the visitor so that serde_yaml stamps its error with the line of
/// the value itself rather than of the enclosing mapping.
pub(crate) fn scalar<'de, D, T>(
    deserializer: D,
    expected: &'static str,
    convert: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct ScalarVisitor<T> {
        expected: &'static str,
        convert: fn(&str) -> Result<T, String>,
    }
    impl<T> ScalarVisitor<T> {
        fn text<E: de::Error>(self, text: &str) -> Result<T, E> {
            (self.convert)(text).map_err(E::custom)
        }
    }
    impl<T> Visitor<'_> for ScalarVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expected)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            self.text(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            self.text(&v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            self.text(&v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            self.text(&v.to_string())
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
            self.text(&v.to_string())
        }
    }
    deserializer.deserialize_any(ScalarVisitor { expected, convert })
}

/// A duration field: `500ms`, `30s`, `1m30s`, or a bare number of seconds.
pub(crate) fn duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    duration_value(deserializer).map(Some)
}

pub(crate) fn duration_value<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    scalar(deserializer, "a duration like 30s", parse_duration_field)
}

pub(crate) fn parse_duration_field(text: &str) -> Result<Duration, String> {
    parse_duration(text)
        .map_err(|_| format!("expected a duration like 500ms, 30s, 2m or 1m30s, found `{text}`"))
}

const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// An HTTP method, any case. A name one typo away from a standard method is taken for a typo;
/// other valid tokens are extension methods (like `PURGE`).
fn method<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<http::Method>, D::Error> {
    scalar(deserializer, "an HTTP method like GET", parse_method).map(Some)
}

fn parse_method(text: &str) -> Result<http::Method, String> {
    let upper = text.trim().to_ascii_uppercase();
    if !METHODS.contains(&upper.as_str()) {
        if let Some(hint) = METHODS
            .iter()
            .find(|m| strsim::damerau_levenshtein(m, &upper) <= 1)
        {
            return Err(format!(
                "unknown HTTP method `{text}`, did you mean `{hint}`?"
            ));
        }
    }
    http::Method::from_bytes(upper.as_bytes()).map_err(|_| {
        format!("`{text}` is not an HTTP method: expected GET, POST, PUT, DELETE, PATCH, HEAD or OPTIONS")
    })
}

/// `status: 200` or `status: [200, 201]`, each a valid HTTP status code.
fn status_codes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u16>, D::Error> {
    struct StatusCode(u16);
    impl<'de> Deserialize<'de> for StatusCode {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            scalar(deserializer, "an HTTP status code", parse_status).map(StatusCode)
        }
    }
    struct StatusVisitor;
    impl<'de> Visitor<'de> for StatusVisitor {
        type Value = Vec<u16>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a status code or a list of them, like [200, 201]")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<u16>, E> {
            parse_status(&v.to_string())
                .map(|c| vec![c])
                .map_err(E::custom)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<u16>, E> {
            parse_status(&v.to_string())
                .map(|c| vec![c])
                .map_err(E::custom)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u16>, A::Error> {
            let mut codes = Vec::new();
            while let Some(StatusCode(code)) = seq.next_element()? {
                codes.push(code);
            }
            Ok(codes)
        }
    }
    deserializer.deserialize_any(StatusVisitor)
}

fn parse_status(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|c| (100..=599).contains(c))
        .ok_or_else(|| format!("`{text}` is not an HTTP status code (100 to 599)"))
}

/// A one-character CSV delimiter, like `","`, `";"` or `"\t"`.
fn delimiter<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u8>, D::Error> {
    scalar(deserializer, "one character", |text| {
        match text.as_bytes() {
            [byte] if byte.is_ascii() => Ok(*byte),
            _ => Err(format!(
                "the delimiter must be one ASCII character like \",\" or \"\\t\", found {text:?}"
            )),
        }
    })
    .map(Some)
}

/// A whole number above zero, or absent.
fn positive_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    match Option::<u64>::deserialize(deserializer)? {
        Some(0) => Err(de::Error::custom("must be at least 1")),
        other => Ok(other),
    }
}
