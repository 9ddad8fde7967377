//! A Taurus request's `extract-jsonpath`, `extract-regexp` and `extract-boundary` as the
//! native `extract:` mapping (variable name → one extractor).
//!
//! Taurus's `match-no`: 0 takes a random match, -1 all of them (`name_1`..`name_N`,
//! `name_matchNr`), n the n-th; its default is 1 for regexp and boundary, and 0 (random) for
//! JSONPath, as JMeter's JSON extractor. A value that is not found becomes Taurus's default
//! `NOT_FOUND` unless `default` says otherwise.

use serde_json::{Map, Value};

use super::value::{is_set, short, Result, Taurus};
use crate::locate::FieldPath;

/// Taurus's value for a variable whose extractor found nothing.
pub const NOT_FOUND: &str = "NOT_FOUND";

struct Kind {
    key: &'static str,
    /// The key of a shorthand (`name: "$.token"`) and of the main setting.
    main: &'static str,
    allowed: &'static [&'static str],
    default_match: i64,
}

const KINDS: [Kind; 3] = [
    Kind {
        key: "extract-jsonpath",
        main: "jsonpath",
        allowed: &["jsonpath", "default", "match-no"],
        default_match: 0,
    },
    Kind {
        key: "extract-regexp",
        main: "regexp",
        allowed: &["regexp", "default", "match-no", "template", "subject"],
        default_match: 1,
    },
    Kind {
        key: "extract-boundary",
        main: "left",
        allowed: &["left", "right", "default", "match-no", "subject"],
        default_match: 1,
    },
];

const REJECTED: [(&str, &str); 3] = [
    ("from-variable", "vajra extracts from the response only"),
    (
        "scope",
        "vajra has no sub-samples; the extractor reads the main response",
    ),
    (
        "concat",
        "`name_ALL` is not set by vajra; use match-no: -1 and the name_N variables",
    ),
];

/// The native `extract:` mapping of `request` (empty when it extracts nothing).
pub(crate) fn extractors(
    t: &Taurus<'_>,
    at: &FieldPath,
    request: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for kind in &KINDS {
        let Some(section) = is_set(request.get(kind.key)) else {
            continue;
        };
        let at = at.key(kind.key);
        let section = t.map(&at, section, "a mapping of variable names to extractors")?;
        for (name, config) in section {
            let at = at.key(name);
            if out.contains_key(name) {
                return Err(t.error(
                    &at,
                    format!("variable `{name}` is extracted twice in this request"),
                ));
            }
            out.insert(
                name.clone(),
                Value::Object(extractor(t, &at, kind, config)?),
            );
        }
    }
    Ok(out)
}

fn extractor(
    t: &Taurus<'_>,
    at: &FieldPath,
    kind: &Kind,
    config: &Value,
) -> Result<Map<String, Value>> {
    // The field that holds the main setting: the value itself in the shorthand.
    let main_at = match config {
        Value::String(_) => at.clone(),
        _ => at.key(kind.main),
    };
    let config = match config {
        Value::String(main) if kind.main != "left" => {
            let mut map = Map::new();
            map.insert(kind.main.into(), main.clone().into());
            map
        }
        other => t
            .map(
                at,
                other,
                &format!("an extractor like {{{}: ...}}", kind.main),
            )?
            .clone(),
    };
    t.check_keys(at, &config, kind.allowed, &REJECTED)?;
    let mut out = Map::new();
    let need = |key: &str| {
        is_set(config.get(key))
            .ok_or_else(|| t.error(at, format!("`{key}` is required")))
            .and_then(|v| t.text(&at.key(key), v))
    };
    match kind.main {
        "jsonpath" => {
            let path = need("jsonpath")?;
            let path = t.jsonpath(&main_at, &path)?;
            out.insert("jsonpath".into(), path.into());
        }
        "regexp" => {
            let regexp = need("regexp")?;
            t.regexp(&main_at, &regexp)?;
            out.insert("regexp".into(), regexp.into());
            if let Some(template) = is_set(config.get("template")) {
                out.insert(
                    "group".into(),
                    group(t, &at.key("template"), template)?.into(),
                );
            } else {
                // Taurus's default template is `$1$`; a regexp without a group takes the match.
                out.insert("group".into(), Value::from(1));
            }
        }
        _ => {
            out.insert("left".into(), need("left")?.into());
            out.insert("right".into(), need("right")?.into());
        }
    }
    let match_no = match is_set(config.get("match-no")) {
        None => kind.default_match,
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|n| *n >= -1)
            .ok_or_else(|| {
                t.error(
                    &at.key("match-no"),
                    format!(
                        "expected 0 (random), -1 (all) or a match number ≥ 1, found {}",
                        short(v)
                    ),
                )
            })?,
    };
    out.insert(
        "match".into(),
        match match_no {
            0 => "random".into(),
            -1 => "all".into(),
            n => n.into(),
        },
    );
    if kind.main != "jsonpath" {
        let subject = match config.get("subject").and_then(Value::as_str).unwrap_or("body") {
            "body" => "body",
            "headers" => "headers",
            "http-code" => "status",
            "url" => "url",
            other => {
                return Err(t.error(
                    &at.key("subject"),
                    format!("extracting from `{other}` is not supported: vajra reads body, headers, http-code and url"),
                ))
            }
        };
        out.insert("from".into(), subject.into());
    }
    let default = match is_set(config.get("default")) {
        Some(v) => t.text(&at.key("default"), v)?,
        None => NOT_FOUND.into(),
    };
    out.insert("default".into(), default.into());
    Ok(out)
}

/// The group of a JMeter template: a lone `$N$` (vajra extracts one group, not a text built
/// from several).
fn group(t: &Taurus<'_>, at: &FieldPath, template: &Value) -> Result<u64> {
    // Taurus writes a number N as the template `$N$`.
    if let Some(n) = template.as_u64() {
        return Ok(n);
    }
    let text = t.text(at, template)?;
    text.strip_prefix('$')
        .and_then(|rest| rest.strip_suffix('$'))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            t.error(
                at,
                format!("template {text:?} is not supported: vajra takes one group, written `$1$`; join groups in a later template instead"),
            )
        })
}
