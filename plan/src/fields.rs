//! The field deserialisers that the plan's serde types share: scalars read as text, durations,
//! think times, rates, counts, HTTP methods, status ranges, regexps and JSONPath queries
//! (compiled as they are read, so a bad one has its line), load steps, ordered mappings.
//!
//! They live apart from the types that use them (`raw`, `load`, `template`) so that data flows
//! one way: these helpers know no plan type beyond plain values (a think time). Each check
//! runs inside the visitor, so the YAML deserializer stamps its error with the line and column
//! of the value itself.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::duration::{parse_duration, DurationError};
use crate::limits;
use crate::pattern::Step;
use crate::scenario::ThinkTime;

/// A YAML mapping kept in document order, for headers (where order and repeats matter).
#[derive(Debug, Clone)]
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
/// The conversion runs inside the visitor so that the YAML deserializer stamps its error with the line of
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
            // `1e300` as `1e300`, not as its 301 digits, in messages.
            if v.abs() >= 1e16 {
                self.text(&format!("{v:e}"))
            } else {
                self.text(&v.to_string())
            }
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
    parse_duration(text).map_err(|err| match err {
        DurationError::Invalid { .. } => {
            format!("expected a duration like 500ms, 30s, 2m or 1m30s, found `{text}`")
        }
        DurationError::TooLong { .. } => format!(
            "`{text}` is longer than the longest duration a plan may give, 365 days (8760h): \
             give a shorter duration"
        ),
    })
}

/// The sine pattern's period: a duration of at least [`MIN_SINE_PERIOD`].
pub(crate) fn sine_period<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    scalar(deserializer, "a duration like 60s", |text| {
        let period = parse_duration_field(text)?;
        limits::check_sine_period(period)?;
        Ok(period)
    })
    .map(Some)
}

const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// An HTTP method, any case. A name one typo away from a standard method is taken for a typo;
/// other valid tokens are extension methods (like `PURGE`).
pub(crate) fn method<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<http::Method>, D::Error> {
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

/// `status: 200` or `status: [200, "201-204", 2xx]`: codes, ranges and classes, each an
/// inclusive `(low, high)` of valid HTTP status codes.
pub(crate) fn status_codes<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(u16, u16)>, D::Error> {
    struct StatusItem((u16, u16));
    impl<'de> Deserialize<'de> for StatusItem {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            scalar(deserializer, "an HTTP status code", parse_status_range).map(StatusItem)
        }
    }
    struct StatusVisitor;
    impl<'de> Visitor<'de> for StatusVisitor {
        type Value = Vec<(u16, u16)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a status code or a list of them, like [200, \"201-204\", 3xx]")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse_status_range(v).map(|r| vec![r]).map_err(E::custom)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut codes = Vec::new();
            while let Some(StatusItem(range)) = seq.next_element()? {
                codes.push(range);
            }
            Ok(codes)
        }
    }
    deserializer.deserialize_any(StatusVisitor)
}

/// `200`, `200-299` or `2xx` as an inclusive range.
pub(crate) fn parse_status_range(text: &str) -> Result<(u16, u16), String> {
    let text = text.trim();
    let bad = || {
        format!(
            "`{text}` is not a status code, range or class: give a code (100 to 599) like 200, \
             a range like 200-299, or a class like 2xx"
        )
    };
    let code = |t: &str| {
        t.trim()
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(bad)
    };
    let lower = text.to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx") {
        let digit = class.parse::<u16>().ok().filter(|d| (1..=5).contains(d));
        return digit.map(|d| (d * 100, d * 100 + 99)).ok_or_else(bad);
    }
    match text.split_once('-') {
        Some((low, high)) => {
            let (low, high) = (code(low)?, code(high)?);
            if low > high {
                return Err(format!(
                    "status range `{text}` runs backwards: write the lower code first"
                ));
            }
            Ok((low, high))
        }
        None => code(text).map(|c| (c, c)),
    }
}

/// A think time or pause: a duration (`500ms`), `uniform(MEAN, SPREAD)` (uniformly in
/// MEAN ± SPREAD), `gaussian(MEAN, DEVIATION)` or `poisson(MEAN, OFFSET)`, as Taurus writes them.
pub(crate) fn think_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ThinkTime>, D::Error> {
    scalar(
        deserializer,
        "a think time like 1s or \"uniform(1s, 200ms)\"",
        parse_think_time,
    )
    .map(Some)
}

pub(crate) fn parse_think_time(text: &str) -> Result<ThinkTime, String> {
    let text = text.trim();
    let Some((function, rest)) = text.split_once('(') else {
        return parse_duration_field(text).map(ThinkTime::Fixed);
    };
    let args = rest.strip_suffix(')').ok_or_else(|| {
        format!("think time `{text}` is missing its closing `)`, like \"uniform(1s, 200ms)\"")
    })?;
    let (first, second) = args.split_once(',').ok_or_else(|| {
        format!("think time `{text}` needs two durations, like \"{function}(1s, 200ms)\"")
    })?;
    let (first, second) = (
        parse_duration_field(first.trim())?,
        parse_duration_field(second.trim())?,
    );
    match function.trim() {
        "uniform" => Ok(ThinkTime::Uniform {
            mean: first,
            spread: second,
        }),
        "gaussian" => Ok(ThinkTime::Gaussian {
            mean: first,
            deviation: second,
        }),
        "poisson" if second > first => Err(format!(
            "think time `{text}`: the offset {second:?} is longer than the mean {first:?}; \
             poisson(MEAN, OFFSET) pauses OFFSET plus a random part, MEAN on average"
        )),
        "poisson" => Ok(ThinkTime::Poisson {
            mean: first,
            offset: second,
        }),
        other => Err(format!(
            "unknown think-time function `{other}`: use a duration like 1s, \
             \"uniform(MEAN, SPREAD)\", \"gaussian(MEAN, DEVIATION)\" or \
             \"poisson(MEAN, OFFSET)\""
        )),
    }
}

/// A regular expression, compiled as it is read so that a bad one is refused with its line.
#[derive(Debug, Clone)]
pub(crate) struct RegexField(pub regex::Regex);

impl<'de> Deserialize<'de> for RegexField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar(deserializer, "a regular expression", |text| {
            compile_regex(text).map(RegexField)
        })
    }
}

/// Compiles `text` with the size limits of the `regex` crate; the error is one line.
pub(crate) fn compile_regex(text: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(text).map_err(|err| {
        let detail = match &err {
            regex::Error::Syntax(syntax) => syntax
                .lines()
                .last()
                .unwrap_or(syntax)
                .trim_start_matches("error: ")
                .to_string(),
            other => other.to_string(),
        };
        format!("`{text}` is not a valid regular expression: {detail}")
    })
}

/// An RFC 9535 JSONPath query, parsed as it is read; `text` keeps it as written.
#[derive(Debug, Clone)]
pub(crate) struct JsonPathField {
    pub path: serde_json_path::JsonPath,
    pub text: String,
}

impl JsonPathField {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        serde_json_path::JsonPath::parse(text)
            .map(|path| JsonPathField {
                path,
                text: text.to_string(),
            })
            .map_err(|err| format!("`{text}` is not a valid JSONPath query: {err}"))
    }
}

impl<'de> Deserialize<'de> for JsonPathField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar(
            deserializer,
            "a JSONPath query like $.token",
            JsonPathField::parse,
        )
    }
}

/// An XPath 1.0 expression, checked (parsed by sxd-xpath) as it is read.
#[derive(Debug, Clone)]
pub(crate) struct XPathField(pub String);

impl XPathField {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match sxd_xpath::Factory::new().build(text) {
            Ok(Some(_)) => Ok(XPathField(text.to_string())),
            Ok(None) => Err("the XPath expression is empty".into()),
            Err(err) => {
                // sxd-xpath's Display gives the variant's name: written out as words.
                let why = words(&err.to_string());
                Err(format!(
                    "`{text}` is not a valid XPath 1.0 expression: {why}"
                ))
            }
        }
    }
}

impl<'de> Deserialize<'de> for XPathField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar(
            deserializer,
            "an XPath expression like //title",
            XPathField::parse,
        )
    }
}

/// A CSS selector (as JMeter's CSS/jQuery extractor takes), compiled as it is read.
#[derive(Debug, Clone)]
pub(crate) struct CssField {
    pub selector: scraper::Selector,
    pub text: String,
}

impl CssField {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        scraper::Selector::parse(text)
            .map(|selector| CssField {
                selector,
                text: text.to_string(),
            })
            .map_err(|err| {
                // Some of the selectors crate's errors are only a variant's name, after a line
                // asking to report it: keep the name, as words.
                let err = err.to_string();
                let why = match err.split_once('\n') {
                    Some((_, name)) => words(name),
                    None => err,
                };
                format!("`{text}` is not a valid CSS selector: {why}")
            })
    }
}

/// `NoQualifiedName` as `no qualified name`.
fn words(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

impl<'de> Deserialize<'de> for CssField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar(
            deserializer,
            "a CSS selector like input[name=csrf]",
            CssField::parse,
        )
    }
}

/// A one-character CSV delimiter, like `","`, `";"` or `"\t"`.
pub(crate) fn delimiter<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u8>, D::Error> {
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
pub(crate) fn positive_u64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    match Option::<u64>::deserialize(deserializer)? {
        Some(0) => Err(de::Error::custom("must be at least 1")),
        Some(n) if n as f64 > limits::MAX_RATE => Err(de::Error::custom(format!(
            "{n} is above the highest rate one vajra process can schedule, 10000000/s: give \
             what one engine can really generate"
        ))),
        other => Ok(other),
    }
}

/// Parses `"50:10s,100:20s"`: comma-separated `rate:duration` steps (also for `--steps`).
pub fn parse_steps(text: &str) -> Result<Vec<Step>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .enumerate()
        .map(|(i, item)| {
            let (rate, duration) = item.split_once(':').ok_or_else(|| {
                format!(
                    "step {} `{item}`: expected rate:duration, like \"50:10s,100:20s\"",
                    i + 1
                )
            })?;
            Ok(Step {
                tps: parse_rate(rate.trim()).map_err(|e| format!("step {}: {e}", i + 1))?,
                duration: parse_duration_field(duration.trim())
                    .map_err(|e| format!("step {}: {e}", i + 1))?,
            })
        })
        .collect::<Result<Vec<Step>, String>>()
        .and_then(|steps| limits::check_steps_total(&steps).map(|()| steps))
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate = text
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r >= 0.0)
        .ok_or_else(|| {
            format!("expected a rate in requests per second (a number ≥ 0), found `{text}`")
        })?;
    limits::check_rate(rate)?;
    Ok(rate)
}

pub(crate) fn rate_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    scalar(deserializer, "a rate in requests per second", parse_rate)
}

pub(crate) fn rate<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    rate_value(deserializer).map(Some)
}

/// A whole number from 1 to `max`; `what` names it in the error.
fn bounded_count(text: &str, max: usize, what: &str) -> Result<usize, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        match text.parse::<usize>() {
            Ok(0) => {}
            Ok(n) if n <= max => return Ok(n),
            _ => return Err(limits::count_too_high(text, max, what)),
        }
    }
    Err(format!("expected a positive whole number, found `{text}`"))
}

/// `concurrency`: virtual users, 1 to [`limits::MAX_USERS`].
pub(crate) fn users<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
    scalar(deserializer, "a positive whole number", |text| {
        bounded_count(text, limits::MAX_USERS, "virtual users")
    })
    .map(Some)
}

/// `ramp-steps`: the steps users start in, 1 to [`limits::MAX_USERS`].
pub(crate) fn ramp_steps<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    scalar(deserializer, "a positive whole number", |text| {
        bounded_count(text, limits::MAX_USERS, "ramp steps")
    })
    .map(Some)
}

/// `max-in-flight`: requests in flight, 1 to [`limits::MAX_USERS`].
pub(crate) fn in_flight<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    scalar(deserializer, "a positive whole number", |text| {
        bounded_count(text, limits::MAX_USERS, "requests in flight")
    })
    .map(Some)
}

/// `iterations`: per virtual user, 1 to [`limits::MAX_ITERATIONS`].
pub(crate) fn iterations<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    scalar(deserializer, "a positive whole number", |text| {
        bounded_count(text, limits::MAX_ITERATIONS, "iterations per user")
    })
    .map(Some)
}

/// `steps:` as a string `"50:10s,100:20s"` or a list of `{tps: 50, duration: 10s}`.
pub(crate) fn steps<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<Step>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a step: { tps: 50, duration: 10s }")]
    struct RawStep {
        #[serde(deserialize_with = "rate_value")]
        tps: f64,
        #[serde(deserialize_with = "duration_value")]
        duration: Duration,
    }
    struct StepsVisitor;
    impl<'de> Visitor<'de> for StepsVisitor {
        type Value = Vec<Step>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("steps like \"50:10s,100:20s\" or a list of {tps, duration}")
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<Step>, E> {
            parse_steps(text).map_err(E::custom)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Step>, A::Error> {
            let mut steps = Vec::new();
            while let Some(RawStep { tps, duration }) = seq.next_element()? {
                steps.push(Step { tps, duration });
            }
            limits::check_steps_total(&steps).map_err(de::Error::custom)?;
            Ok(steps)
        }
    }
    deserializer.deserialize_any(StepsVisitor).map(Some)
}

/// `follow-redirects:` — `true` (up to the default limit of hops), `false`, or a number of hops.
/// `Some(None)` is `false`: written, and off.
pub(crate) fn redirects<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<u32>>, D::Error> {
    scalar(
        deserializer,
        "true, false, or the most redirect hops to follow",
        |text| match text {
            "true" => Ok(Some(crate::client::DEFAULT_MAX_REDIRECTS)),
            "false" | "0" => Ok(None),
            other => match other.parse::<u32>() {
                Ok(hops) if hops <= crate::limits::MAX_REDIRECTS => Ok(Some(hops)),
                _ => Err(format!(
                    "expected true (up to {} hops), false, or a number of hops from 1 to {}, \
                     found `{other}`",
                    crate::client::DEFAULT_MAX_REDIRECTS,
                    crate::limits::MAX_REDIRECTS
                )),
            },
        },
    )
    .map(Some)
}

/// `http-version:` — `1.1`, `2` or `auto`.
pub(crate) fn http_version<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<crate::client::HttpVersion>, D::Error> {
    use crate::client::HttpVersion;
    scalar(deserializer, "1.1, 2 or auto", |text| match text {
        "auto" => Ok(HttpVersion::Auto),
        "1.1" | "1" => Ok(HttpVersion::Http1),
        "2" | "2.0" => Ok(HttpVersion::Http2),
        other => Err(format!(
            "expected 1.1, 2 or auto, found `{other}` (auto speaks HTTP/1.1 on http://, and h2 \
             or HTTP/1.1 on https://, as the server chooses by ALPN)"
        )),
    })
    .map(Some)
}

/// `min-version:` of `tls:` — `1.2` or `1.3`.
pub(crate) fn tls_version<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<crate::client::TlsVersion>, D::Error> {
    use crate::client::TlsVersion;
    scalar(deserializer, "1.2 or 1.3", |text| match text {
        "1.2" => Ok(TlsVersion::Tls12),
        "1.3" => Ok(TlsVersion::Tls13),
        other => Err(format!(
            "expected 1.2 or 1.3, found `{other}` (TLS 1.0 and 1.1 are insecure and never offered)"
        )),
    })
    .map(Some)
}

/// An on/off switch (`keepalive:`, `store-cookie:`, `insecure:`, `split:`): `true` or `false`.
/// Read as a scalar so that a wrong value is quoted back in the error, which serde's own
/// `bool` does not do.
pub(crate) fn switch<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    scalar(deserializer, "true or false", |text| match text {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("expected true or false, found `{other}`")),
    })
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn think_times_in_every_form() {
        let ms = Duration::from_millis;
        assert_eq!(parse_think_time("500ms"), Ok(ThinkTime::Fixed(ms(500))));
        assert_eq!(
            parse_think_time("uniform(1s, 200ms)"),
            Ok(ThinkTime::Uniform {
                mean: ms(1000),
                spread: ms(200)
            })
        );
        assert_eq!(
            parse_think_time(" gaussian(1s,100ms) "),
            Ok(ThinkTime::Gaussian {
                mean: ms(1000),
                deviation: ms(100)
            })
        );
        assert_eq!(
            parse_think_time("poisson(1s, 200ms)"),
            Ok(ThinkTime::Poisson {
                mean: ms(1000),
                offset: ms(200)
            })
        );
        assert!(parse_think_time("poisson(1s, 2s)")
            .unwrap_err()
            .contains("offset 2s is longer than the mean 1s"));
        assert!(parse_think_time("exponential(1s, 2s)")
            .unwrap_err()
            .contains("unknown think-time function `exponential`"));
        assert!(parse_think_time("uniform(1s)")
            .unwrap_err()
            .contains("two durations"));
        assert!(parse_think_time("uniform(1s, 2s")
            .unwrap_err()
            .contains("closing `)`"));
        assert!(parse_think_time("uniform(1s, x)")
            .unwrap_err()
            .contains("found `x`"));
    }

    #[test]
    fn status_codes_ranges_and_classes() {
        assert_eq!(parse_status_range("200"), Ok((200, 200)));
        assert_eq!(parse_status_range("201-204"), Ok((201, 204)));
        assert_eq!(parse_status_range("2xx"), Ok((200, 299)));
        assert_eq!(parse_status_range("5XX"), Ok((500, 599)));
        assert!(parse_status_range("204-201")
            .unwrap_err()
            .contains("backwards"));
        for bad in ["6xx", "0xx", "99", "200-600", "abc", "2x"] {
            assert!(parse_status_range(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_range_holds_its_bounds(low in 100u16..600, high in 100u16..600) {
            let parsed = parse_status_range(&format!("{low}-{high}"));
            if low <= high {
                proptest::prop_assert_eq!(parsed, Ok((low, high)));
            } else {
                proptest::prop_assert!(parsed.is_err());
            }
        }
    }
}
