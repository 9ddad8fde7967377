//! The passfail module's `criteria` as vajra thresholds (`docs/thresholds.md`).
//!
//! Taurus writes a criterion as `SUBJECT[ of LABEL] OP VALUE[ for TIMEFRAME][, ACTION as
//! STATUS]`, or as a mapping with `subject`, `label`, `condition`, `threshold`, `timeframe`,
//! `stop` and `fail`. vajra checks its thresholds once, on the whole run, at its end: so a
//! criterion with a timeframe is refused (it means "for that long at any time"), and a
//! `stop` action is accepted with the note that the run is not cut short.

use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;
use serde_json::Value;

use super::value::{is_set, short, Result, Taurus};
use crate::duration::parse_duration;
use crate::locate::FieldPath;

/// One criterion, parsed from either of Taurus's forms.
#[derive(Debug, Clone, PartialEq)]
struct Criterion {
    subject: String,
    label: Option<String>,
    condition: String,
    threshold: String,
    timeframe: Option<String>,
    /// `false`: "as non-failed".
    fail: bool,
}

fn pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(
            r"^\s*(?P<subject>[A-Za-z][\w.\-?]*)(?:\s+of\s+(?P<label>.+?))?\s*(?P<cond>>=|<=|==|=|>|<)\s*(?P<value>[0-9.]+\s*[a-z%]*)\s*(?:for\s+(?P<timeframe>\S+))?\s*(?:,\s*(?P<action>stop|continue)(?:\s+as\s+(?P<status>failed|non-failed))?)?\s*$",
        )
        .expect("a valid pattern")
    })
}

/// vajra thresholds for the `criteria` list at `at`.
pub(crate) fn thresholds(t: &Taurus<'_>, at: &FieldPath, criteria: &Value) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let items: Vec<(FieldPath, &Value)> = match criteria {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (at.index(i), v))
            .collect(),
        Value::Object(map) => map.iter().map(|(k, v)| (at.key(k), v)).collect(),
        Value::Null => Vec::new(),
        other => {
            return Err(t.error(
                at,
                format!("expected a list of criteria, found {}", short(other)),
            ))
        }
    };
    for (at, item) in items {
        let criterion = parse(t, &at, item)?;
        out.push(threshold(t, &at, &criterion)?);
    }
    Ok(out)
}

fn parse(t: &Taurus<'_>, at: &FieldPath, item: &Value) -> Result<Criterion> {
    match item {
        Value::String(text) => {
            let caps = pattern().captures(text).ok_or_else(|| {
                t.error(
                    at,
                    format!(
                        "{text:?} is not a criterion like `avg-rt of Login>150ms, stop as failed`"
                    ),
                )
            })?;
            let group = |name: &str| caps.name(name).map(|m| m.as_str().trim().to_owned());
            Ok(Criterion {
                subject: group("subject").unwrap_or_default(),
                label: group("label"),
                condition: group("cond").unwrap_or_default(),
                threshold: group("value").unwrap_or_default(),
                timeframe: group("timeframe"),
                fail: group("status").as_deref() != Some("non-failed"),
            })
        }
        Value::Object(map) => {
            t.check_keys(
                at,
                map,
                &[
                    "subject",
                    "label",
                    "condition",
                    "threshold",
                    "timeframe",
                    "stop",
                    "fail",
                    "class",
                ],
                &[],
            )?;
            let need = |key: &str| {
                is_set(map.get(key))
                    .ok_or_else(|| t.error(at, format!("`{key}` is required")))
                    .and_then(|v| t.text(&at.key(key), v))
            };
            if let Some(class) = is_set(map.get("class")) {
                return Err(t.error(
                    &at.key("class"),
                    format!(
                        "criterion class {} is not supported: vajra reads the passfail subjects",
                        short(class)
                    ),
                ));
            }
            let fail = match is_set(map.get("fail")) {
                Some(v) => t.switch(&at.key("fail"), v)?,
                None => true,
            };
            Ok(Criterion {
                subject: need("subject")?,
                label: is_set(map.get("label"))
                    .map(|v| t.text(&at.key("label"), v))
                    .transpose()?,
                condition: need("condition")?,
                threshold: need("threshold")?,
                timeframe: is_set(map.get("timeframe"))
                    .map(|v| t.text(&at.key("timeframe"), v))
                    .transpose()?,
                fail,
            })
        }
        other => Err(t.error(at, format!("expected a criterion, found {}", short(other)))),
    }
}

fn threshold(t: &Taurus<'_>, at: &FieldPath, c: &Criterion) -> Result<String> {
    if let Some(timeframe) = &c.timeframe {
        return Err(t.error(
            at,
            format!("timeframe `for {timeframe}` is not supported: vajra checks each criterion once, over the whole run; remove the timeframe"),
        ));
    }
    if !c.fail {
        return Err(t.error(
            at,
            "`as non-failed` is not supported: a vajra criterion that is met fails the run",
        ));
    }
    let op = match c.condition.as_str() {
        "=" | "==" => "==",
        op @ (">" | "<" | ">=" | "<=") => op,
        other => {
            return Err(t.error(
                at,
                format!("condition `{other}` is not one of >, <, >=, <=, ="),
            ))
        }
    };
    let subject = c.subject.to_ascii_lowercase();
    let of = |metric: &str| match &c.label {
        Some(label) => format!("{metric}({})", escape(label)),
        None => metric.to_owned(),
    };
    let value = c.threshold.replace(' ', "");
    let time = || -> Result<String> {
        // A bare number is seconds to Taurus.
        parse_duration(&value)
            .map(|d: Duration| format!("{}ms", d.as_millis()))
            .map_err(|_| {
                t.error(
                    at,
                    format!("threshold {value:?} is not a time like 150ms or 2s"),
                )
            })
    };
    let count_or_percent = || -> Result<String> {
        let (number, unit) = value
            .strip_suffix('%')
            .map_or((value.as_str(), ""), |n| (n, "%"));
        number
            .parse::<f64>()
            .map(|_| format!("{number}{unit}"))
            .map_err(|_| {
                t.error(
                    at,
                    format!("threshold {value:?} is not a number or a percentage"),
                )
            })
    };
    let is_percentile = subject
        .strip_prefix('p')
        .is_some_and(|n| n.parse::<f64>().is_ok());
    Ok(match subject.as_str() {
        "avg-rt" => format!("{}{op}{}", of("avg"), time()?),
        "avg-lt" => format!("{}{op}{}", of("latency"), time()?),
        _ if is_percentile => format!("{}{op}{}", of(&subject), time()?),
        "hits" => format!("{}{op}{}", of("samples"), count_or_percent()?),
        "fail" => format!("{}{op}{}", of("errors"), count_or_percent()?),
        "succ" => {
            // succ > X% is errors < (100 - X)%; a count of successes has no vajra metric.
            let percent = value
                .strip_suffix('%')
                .and_then(|n| n.parse::<f64>().ok())
                .ok_or_else(|| t.error(at, "`succ` is supported as a percentage only (it maps to errors)"))?;
            let flipped = match op {
                ">" => "<",
                "<" => ">",
                ">=" => "<=",
                "<=" => ">=",
                _ => "==",
            };
            format!("{}{flipped}{}%", of("errors"), 100.0 - percent)
        }
        other => {
            return Err(t.error(
                at,
                format!("criterion subject `{other}` is not supported: vajra checks avg-rt, avg-lt, pNN, hits, fail and succ (as %)"),
            ))
        }
    })
}

/// A label as a threshold writes it: `\`, `(` and `)` escaped.
fn escape(label: &str) -> String {
    let mut out = String::new();
    for ch in label.chars() {
        if matches!(ch, '\\' | '(' | ')') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
