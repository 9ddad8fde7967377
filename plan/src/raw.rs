//! The plan as written: serde types that mirror the YAML keys one to one.
//!
//! Unknown keys are errors everywhere (`deny_unknown_fields`), and field types that need a
//! check (durations, methods, templates) check themselves while parsing, with the shared helpers
//! of `fields`, so their errors carry a line and column. Cross-field checks live in `build`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::client::{HttpVersion, TlsVersion};
use super::data::OnEof;
use super::fields::{
    delimiter, duration, http_version, method, positive_u64, redirects, status_codes, switch,
    think_time, tls_version, CssField, Entries, JsonPathField, RegexField, XPathField,
};
use super::load::LoadSpec;
use super::scenario::{Subject, ThinkTime};
use super::template::Template;

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
    #[serde(default, deserialize_with = "http_version")]
    pub http_version: Option<HttpVersion>,
    #[serde(default)]
    pub tls: RawTls,
    #[serde(default)]
    pub defaults: RawDefaults,
    #[serde(default)]
    pub variables: Entries<Template>,
    pub scenarios: Option<Vec<RawScenario>>,
    pub requests: Option<Vec<RawStep>>,
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
    expecting = "request defaults: a mapping with `headers`, `timeout`, `follow-redirects`, `keepalive` and `store-cookie`"
)]
pub(crate) struct RawDefaults {
    #[serde(default)]
    pub headers: Entries<Template>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "redirects")]
    pub follow_redirects: Option<Option<u32>>,
    #[serde(default, deserialize_with = "switch")]
    pub keepalive: Option<bool>,
    #[serde(default, deserialize_with = "switch")]
    pub store_cookie: Option<bool>,
}

/// `tls:`: how `https://` connections are made.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "TLS options: a mapping with keys like `ca-file`, `insecure`, `client-cert`, `client-key`, `server-name` and `min-version`"
)]
pub(crate) struct RawTls {
    pub ca_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "switch")]
    pub insecure: Option<bool>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub server_name: Option<String>,
    #[serde(default, deserialize_with = "tls_version")]
    pub min_version: Option<TlsVersion>,
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
    #[serde(default, deserialize_with = "switch")]
    pub store_cookie: Option<bool>,
    #[serde(default, deserialize_with = "redirects")]
    pub follow_redirects: Option<Option<u32>>,
    #[serde(default, deserialize_with = "switch")]
    pub keepalive: Option<bool>,
    #[serde(default)]
    pub variables: Entries<Template>,
    #[serde(default, deserialize_with = "think_time")]
    pub think_time: Option<ThinkTime>,
    #[serde(default, deserialize_with = "duration")]
    pub pacing: Option<Duration>,
    #[serde(default)]
    pub setup: Vec<RawStep>,
    pub requests: Vec<RawStep>,
    #[serde(default)]
    pub teardown: Vec<RawStep>,
}

/// One step as written: a request (it has `url`) or a block (it has the block's key). All the
/// keys of every kind live in one mapping type so that a misspelt key gets a "did you mean"
/// from the whole set; `build` checks that a step uses the keys of one kind only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a step: a request (a mapping with `url`) or a block such as `transaction`, `if`, `loop`, `while`, `foreach`, `once`, `include-scenario`, `set-variables` or `pause`"
)]
pub(crate) struct RawStep {
    // A request.
    pub label: Option<String>,
    #[serde(default, deserialize_with = "method")]
    pub method: Option<http::Method>,
    pub url: Option<Template>,
    #[serde(default)]
    pub headers: Entries<Template>,
    pub body: Option<Template>,
    pub body_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "think_time")]
    pub think_time: Option<ThinkTime>,
    #[serde(default)]
    pub extract: Entries<RawExtractor>,
    pub assert: Option<RawAssert>,
    #[serde(default, deserialize_with = "redirects")]
    pub follow_redirects: Option<Option<u32>>,
    #[serde(default, deserialize_with = "switch")]
    pub keepalive: Option<bool>,
    // Blocks.
    pub transaction: Option<String>,
    #[serde(default, deserialize_with = "switch")]
    pub include_pauses: Option<bool>,
    #[serde(rename = "do")]
    pub do_steps: Option<Vec<RawStep>>,
    #[serde(rename = "if")]
    pub if_condition: Option<String>,
    pub then: Option<Vec<RawStep>>,
    #[serde(rename = "else")]
    pub else_steps: Option<Vec<RawStep>>,
    #[serde(rename = "loop")]
    pub loop_count: Option<RawLoopCount>,
    #[serde(rename = "while")]
    pub while_condition: Option<String>,
    pub max_iterations: Option<u64>,
    pub foreach: Option<String>,
    pub once: Option<Vec<RawStep>>,
    pub include_scenario: Option<String>,
    pub set_variables: Option<Entries<Template>>,
    #[serde(default, deserialize_with = "think_time")]
    pub pause: Option<ThinkTime>,
}

/// `loop: 3` or `loop: forever`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawLoopCount(pub super::scenario::LoopCount);

impl<'de> Deserialize<'de> for RawLoopCount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use super::scenario::LoopCount;
        super::fields::scalar(deserializer, "a count or `forever`", |text| {
            if text == "forever" {
                return Ok(RawLoopCount(LoopCount::Forever));
            }
            match text.parse::<u64>() {
                Ok(n) if n <= crate::limits::MAX_LOOP_COUNT => {
                    Ok(RawLoopCount(LoopCount::Times(n)))
                }
                Ok(_) => Err(crate::limits::count_too_high(
                    text,
                    crate::limits::MAX_LOOP_COUNT as usize,
                    "loop iterations",
                )),
                Err(_) => Err(format!(
                    "expected a whole number of times or `forever`, found `{text}`"
                )),
            }
        })
    }
}

/// One extractor: exactly one of `jsonpath`, `regexp`, `left`+`right`, `header`, `cookie`,
/// `xpath`, `css`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "an extractor: a mapping like { jsonpath: \"$.token\" } or { regexp: 'id=(\\d+)' }"
)]
pub(crate) struct RawExtractor {
    pub jsonpath: Option<JsonPathField>,
    pub regexp: Option<RegexField>,
    pub left: Option<String>,
    pub right: Option<String>,
    pub header: Option<String>,
    pub cookie: Option<String>,
    pub default: Option<String>,
    #[serde(rename = "match")]
    pub match_no: Option<RawMatchNo>,
    pub group: Option<usize>,
    pub from: Option<Subject>,
    pub from_variable: Option<String>,
    pub xpath: Option<XPathField>,
    #[serde(default, deserialize_with = "switch")]
    pub html: Option<bool>,
    #[serde(default, deserialize_with = "switch")]
    pub ignore_whitespace: Option<bool>,
    #[serde(default)]
    pub namespaces: Entries<String>,
    pub css: Option<CssField>,
    pub attribute: Option<String>,
}

/// `match: 1`, `match: random` or `match: all`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawMatchNo(pub super::scenario::MatchNo);

impl<'de> Deserialize<'de> for RawMatchNo {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use super::scenario::MatchNo;
        super::fields::scalar(
            deserializer,
            "a match number, `random` or `all`",
            |text| match text {
                "random" => Ok(RawMatchNo(MatchNo::Random)),
                "all" => Ok(RawMatchNo(MatchNo::All)),
                _ => match text.parse::<u32>() {
                    Ok(n) if n >= 1 => Ok(RawMatchNo(MatchNo::Nth(n))),
                    _ => Err(format!(
                        "expected a match number from 1, `random` or `all`, found `{text}`"
                    )),
                },
            },
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "assertions: a mapping with keys like `status`, `body-contains` and `jsonpath`"
)]
pub(crate) struct RawAssert {
    #[serde(default, deserialize_with = "status_codes")]
    pub status: Vec<(u16, u16)>,
    #[serde(default, deserialize_with = "switch")]
    pub assume_success: Option<bool>,
    #[serde(default)]
    pub body_contains: Vec<String>,
    #[serde(default)]
    pub body_not_contains: Vec<String>,
    #[serde(default)]
    pub body_matches: Vec<RegexField>,
    #[serde(default)]
    pub body_not_matches: Vec<RegexField>,
    #[serde(default)]
    pub text: Vec<RawTextCheck>,
    #[serde(default)]
    pub jsonpath: Vec<RawJsonCheck>,
    #[serde(default)]
    pub xpath: Vec<RawXPathCheck>,
    #[serde(default)]
    pub header: Entries<RawTextExpect>,
    #[serde(default, deserialize_with = "duration")]
    pub max_time: Option<Duration>,
}

/// `{contains: TEXT, in: body, not: false}` or `{matches: REGEXP, ...}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a text check: a mapping like { contains: ok, in: body }"
)]
pub(crate) struct RawTextCheck {
    pub contains: Option<String>,
    pub matches: Option<RegexField>,
    #[serde(default, rename = "in")]
    pub subject: Subject,
    #[serde(default, rename = "not", deserialize_with = "switch")]
    pub negate: Option<bool>,
}

/// `"$.ok"` (must exist) or `{path: "$.id", equals: 7}` and the like.
#[derive(Debug, Clone)]
pub(crate) struct RawJsonCheckMap {
    pub path: JsonPathField,
    pub equals: Option<serde_json::Value>,
    pub matches: Option<RegexField>,
    pub null: Option<bool>,
    pub negate: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawJsonCheck(pub RawJsonCheckMap);

const JSON_CHECK_KEYS: &[&str] = &["path", "equals", "matches", "null", "not"];

impl<'de> Deserialize<'de> for RawJsonCheck {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess};
        /// A key as text; YAML reads a bare `null` key as null, which here is the key `null`.
        struct Key(String);
        impl<'de> Deserialize<'de> for Key {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct KeyVisitor;
                impl serde::de::Visitor<'_> for KeyVisitor {
                    type Value = Key;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a key")
                    }
                    fn visit_str<E: Error>(self, v: &str) -> Result<Key, E> {
                        Ok(Key(v.to_string()))
                    }
                    fn visit_bool<E: Error>(self, v: bool) -> Result<Key, E> {
                        Ok(Key(v.to_string()))
                    }
                    fn visit_unit<E: Error>(self) -> Result<Key, E> {
                        Ok(Key("null".into()))
                    }
                    fn visit_none<E: Error>(self) -> Result<Key, E> {
                        Ok(Key("null".into()))
                    }
                }
                d.deserialize_any(KeyVisitor)
            }
        }
        struct Switch(bool);
        impl<'de> Deserialize<'de> for Switch {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Switch(switch(d)?.unwrap_or(false)))
            }
        }
        struct CheckVisitor;
        impl<'de> serde::de::Visitor<'de> for CheckVisitor {
            type Value = RawJsonCheck;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSONPath query or a mapping like { path: \"$.id\", equals: 7 }")
            }
            fn visit_str<E: Error>(self, text: &str) -> Result<RawJsonCheck, E> {
                Ok(RawJsonCheck(RawJsonCheckMap {
                    path: JsonPathField::parse(text).map_err(E::custom)?,
                    equals: None,
                    matches: None,
                    null: None,
                    negate: None,
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawJsonCheck, A::Error> {
                let (mut path, mut equals, mut matches, mut null, mut negate) =
                    (None, None, None, None, None);
                while let Some(Key(key)) = map.next_key()? {
                    match key.as_str() {
                        "path" => path = Some(map.next_value::<JsonPathField>()?),
                        "equals" => equals = Some(map.next_value::<serde_json::Value>()?),
                        "matches" => matches = Some(map.next_value::<RegexField>()?),
                        "null" => null = Some(map.next_value::<Switch>()?.0),
                        "not" => negate = Some(map.next_value::<Switch>()?.0),
                        _ => return Err(A::Error::unknown_field(&key, JSON_CHECK_KEYS)),
                    }
                }
                Ok(RawJsonCheck(RawJsonCheckMap {
                    path: path.ok_or_else(|| A::Error::missing_field("path"))?,
                    equals,
                    matches,
                    null,
                    negate,
                }))
            }
        }
        deserializer.deserialize_any(CheckVisitor)
    }
}

/// `"//ok"` (must find a node) or `{path: "//error", not: true, html: true}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "an XPath check: an expression, or a mapping like { path: //ok, not: true }"
)]
pub(crate) struct RawXPathCheckMap {
    pub path: XPathField,
    #[serde(default, rename = "not", deserialize_with = "switch")]
    pub negate: Option<bool>,
    #[serde(default, deserialize_with = "switch")]
    pub html: Option<bool>,
    #[serde(default, deserialize_with = "switch")]
    pub ignore_whitespace: Option<bool>,
    #[serde(default)]
    pub namespaces: Entries<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawXPathCheck(pub RawXPathCheckMap);

impl<'de> Deserialize<'de> for RawXPathCheck {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess};
        struct CheckVisitor;
        impl<'de> serde::de::Visitor<'de> for CheckVisitor {
            type Value = RawXPathCheck;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an XPath expression or a mapping like { path: //ok, not: true }")
            }
            fn visit_str<E: Error>(self, text: &str) -> Result<RawXPathCheck, E> {
                Ok(RawXPathCheck(RawXPathCheckMap {
                    path: XPathField::parse(text).map_err(E::custom)?,
                    negate: None,
                    html: None,
                    ignore_whitespace: None,
                    namespaces: Entries::default(),
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawXPathCheck, A::Error> {
                RawXPathCheckMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawXPathCheck)
            }
        }
        deserializer.deserialize_any(CheckVisitor)
    }
}

/// A header check: `{}` (present), `{contains: json}`, `{equals: ...}` or `{matches: ...}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a header check: a mapping like { contains: json }, or {} for present"
)]
pub(crate) struct RawTextExpect {
    pub contains: Option<String>,
    pub equals: Option<String>,
    pub matches: Option<RegexField>,
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
    #[serde(default, deserialize_with = "switch")]
    pub split: Option<bool>,
    #[serde(default, deserialize_with = "switch")]
    pub random_order: Option<bool>,
    /// The column names of a file without a header row (its first line is then data).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}
