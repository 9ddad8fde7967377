//! A Taurus request's `extract-jsonpath`, `extract-regexp`, `extract-boundary`,
//! `extract-xpath` and `extract-css-jquery` as the native `extract:` mapping (variable name →
//! one extractor).
//!
//! Taurus's `match-no`: 0 takes a random match, -1 all of them (`name_1`..`name_N`,
//! `name_matchNr`), n the n-th; its default is 1 for regexp and boundary, 0 (random) for
//! JSONPath and CSS, as JMeter's extractors, and -1 for XPath, as Taurus writes it. A value
//! that is not found becomes Taurus's default `NOT_FOUND` unless `default` says otherwise.
//! `scope: variable` with `from-variable` reads that variable instead of the response.

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

const KINDS: [Kind; 5] = [
    Kind {
        key: "extract-jsonpath",
        main: "jsonpath",
        allowed: &["jsonpath", "default", "match-no", "scope", "from-variable"],
        default_match: 0,
    },
    Kind {
        key: "extract-regexp",
        main: "regexp",
        allowed: &[
            "regexp",
            "default",
            "match-no",
            "template",
            "subject",
            "scope",
            "from-variable",
        ],
        default_match: 1,
    },
    Kind {
        key: "extract-boundary",
        main: "left",
        allowed: &[
            "left",
            "right",
            "default",
            "match-no",
            "subject",
            "scope",
            "from-variable",
        ],
        default_match: 1,
    },
    Kind {
        key: "extract-xpath",
        main: "xpath",
        allowed: &[
            "xpath",
            "default",
            "match-no",
            "scope",
            "from-variable",
            "use-tolerant-parser",
            "validate-xml",
            "ignore-whitespace",
            "use-namespaces",
        ],
        default_match: -1,
    },
    Kind {
        key: "extract-css-jquery",
        main: "expression",
        allowed: &[
            "expression",
            "attribute",
            "default",
            "match-no",
            "scope",
            "from-variable",
        ],
        default_match: 0,
    },
];

const REJECTED: [(&str, &str); 1] = [(
    "concat",
    "`name_ALL` is not set by vajra; use match-no: -1 and the name_N variables",
)];

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
            out.insert("regexp".into(), regexp.clone().into());
            if let Some(template) = is_set(config.get("template")) {
                out.insert(
                    "group".into(),
                    group(t, &at.key("template"), template)?.into(),
                );
            } else {
                // Taurus's default template is `$1$`; a regexp without a group takes the match.
                let groups = crate::fields::compile_regex(&regexp)
                    .map_or(1, |regex| regex.captures_len() - 1);
                out.insert("group".into(), Value::from(u64::from(groups > 0)));
            }
        }
        "xpath" => {
            let xpath = need("xpath")?;
            crate::fields::XPathField::parse(&xpath).map_err(|m| t.error(&main_at, m))?;
            out.insert("xpath".into(), xpath.into());
            out.extend(xpath_document(t, at, &config)?);
            // Prefixes the document declares are always usable, so this changes nothing.
            if let Some(v) = is_set(config.get("use-namespaces")) {
                t.switch(&at.key("use-namespaces"), v)?;
            }
        }
        "expression" => {
            let expression = need("expression")?;
            crate::fields::CssField::parse(&expression).map_err(|m| t.error(&main_at, m))?;
            out.insert("css".into(), expression.into());
            if let Some(v) = is_set(config.get("attribute")) {
                let attribute = t.text(&at.key("attribute"), v)?;
                if !attribute.is_empty() {
                    out.insert("attribute".into(), attribute.into());
                }
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
    if matches!(kind.main, "regexp" | "left") {
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
    if let Some(variable) = from_variable(t, at, &config)? {
        if out.get("from").is_some_and(|from| *from != "body") {
            return Err(t.error(
                &at.key("subject"),
                "`scope: variable` reads the variable instead of the body: remove `subject`",
            ));
        }
        out.remove("from");
        out.insert("from-variable".into(), variable.into());
    }
    let default = match is_set(config.get("default")) {
        Some(v) => t.text(&at.key("default"), v)?,
        None => NOT_FOUND.into(),
    };
    out.insert("default".into(), default.into());
    Ok(out)
}

/// The variable `scope: variable` reads (`from-variable`), `None` for the response. JMeter has
/// no sub-samples to read in vajra: `all` and `parent` are the response, `children` nothing.
fn from_variable(
    t: &Taurus<'_>,
    at: &FieldPath,
    config: &Map<String, Value>,
) -> Result<Option<String>> {
    let scope = is_set(config.get("scope"))
        .map(|v| t.text(&at.key("scope"), v))
        .transpose()?;
    let variable = is_set(config.get("from-variable"))
        .map(|v| t.text(&at.key("from-variable"), v))
        .transpose()?;
    match (scope.as_deref(), variable) {
        (Some("variable"), Some(variable)) => Ok(Some(variable)),
        (Some("variable"), None) => Err(t.error(
            &at.key("scope"),
            "`scope: variable` needs `from-variable`: the variable to extract from",
        )),
        (_, Some(_)) => Err(t.error(
            &at.key("from-variable"),
            "`from-variable` is read only with `scope: variable` (Taurus ignores it otherwise); \
             add `scope: variable`, or remove it",
        )),
        (None | Some("all" | "parent"), None) => Ok(None),
        (Some("children"), None) => Err(t.error(
            &at.key("scope"),
            "`scope: children` reads sub-samples, and vajra has none (redirects are one \
             sample): remove `scope` to read the response",
        )),
        (Some(other), None) => Err(t.error(
            &at.key("scope"),
            format!("unknown scope `{other}`: expected all, parent, children or variable"),
        )),
    }
}

/// The document settings of an XPath extractor or assertion: `use-tolerant-parser` reads
/// the body as HTML; `ignore-whitespace` (Taurus's default: true) drops blank text nodes;
/// `validate-xml` is refused unless the tolerant parser is on (JMeter ignores it then).
pub(super) fn xpath_document(
    t: &Taurus<'_>,
    at: &FieldPath,
    config: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    let flag = |key: &str, default: bool| {
        is_set(config.get(key)).map_or(Ok(default), |v| t.switch(&at.key(key), v))
    };
    let html = flag("use-tolerant-parser", false)?;
    if flag("validate-xml", false)? && !html {
        return Err(t.error(
            &at.key("validate-xml"),
            "vajra checks that the body is well-formed XML but does not validate it against a \
             DTD or schema: remove `validate-xml` (JMeter ignores it with \
             `use-tolerant-parser: true`)",
        ));
    }
    let mut out = Map::new();
    if html {
        out.insert("html".into(), Value::Bool(true));
    }
    out.insert(
        "ignore-whitespace".into(),
        Value::Bool(flag("ignore-whitespace", true)?),
    );
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
