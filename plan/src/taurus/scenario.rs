//! A Taurus `requests` scenario → the native plan (a `serde_json::Value` in the plan syntax of
//! `docs/plan-format.md`), which the normal plan builder then checks and builds.
//!
//! Where Taurus and vajra default differently, the generated plan says what Taurus would do:
//! redirects followed (up to JMeter's 20 hops), connections kept alive, cookies kept. A Taurus
//! think time pauses *before* its request (JMeter's timers), so it becomes a `pause` step in
//! front of the request. Every step records where it came from ([`Mapped::trace`]), so that an
//! error the plan builder finds points at the Taurus file's line.

use regex::Regex;
use serde_json::{Map, Value};

use super::checks::assertions;
use super::extract::extractors;
use super::value::{is_set, scalar_text, short, Result, Taurus};
use crate::data::column_names_problem;
use crate::locate::FieldPath;
use crate::template::{Builtin, Scope, Template};
use crate::PlanWarning;

/// Redirect hops for Taurus's `follow-redirects: true`: JMeter's limit, also vajra's most.
pub const TAURUS_MAX_REDIRECTS: u64 = 20;

const SCENARIO_KEYS: [&str; 20] = [
    "requests",
    "headers",
    "default-address",
    "timeout",
    "think-time",
    "data-sources",
    "keepalive",
    "follow-redirects",
    "store-cookie",
    "store-cache",
    "use-dns-cache-mgr",
    "retrieve-resources",
    "concurrent-pool-size",
    "variables",
    "properties",
    "tls",
    "http-version",
    "script",
    "disable-listeners",
    "modifications",
];

const SELENIUM: &str =
    "Selenium scenarios drive a browser; vajra sends HTTP requests (use executor: selenium)";
const SCENARIO_REJECTED: [(&str, &str); 7] = [
    ("browser", SELENIUM),
    ("headless", SELENIUM),
    ("capabilities", SELENIUM),
    ("remote", SELENIUM),
    ("generate-flow-markers", SELENIUM),
    (
        "retrieve-resources-regex",
        "vajra does not fetch embedded resources; list them as requests",
    ),
    (
        "force-parent-sample",
        "vajra writes every request's own row (and transaction rows)",
    ),
];

const REQUEST_KEYS: [&str; 17] = [
    "url",
    "label",
    "method",
    "headers",
    "body",
    "body-file",
    "timeout",
    "think-time",
    "assert",
    "assert-jsonpath",
    "assert-xpath",
    "extract-jsonpath",
    "extract-regexp",
    "extract-boundary",
    "extract-xpath",
    "extract-css-jquery",
    "keepalive",
];
const REQUEST_MORE_KEYS: [&str; 1] = ["follow-redirects"];

const REQUEST_REJECTED: [(&str, &str); 5] = [
    (
        "upload-files",
        "vajra sends one body, not multipart file uploads; give the body as text or body-file",
    ),
    (
        "jsr223",
        "vajra runs no JSR223/Groovy scripts; use extract-* and set-variables",
    ),
    (
        "content-encoding",
        "vajra sends the body as written (UTF-8)",
    ),
    ("random-source-ip", "vajra does not bind source addresses"),
    (
        "record-think-time",
        "this is a recorder setting, not a request",
    ),
];

/// Block keys, in the order they are recognised.
const BLOCKS: [&str; 10] = [
    "transaction",
    "if",
    "loop",
    "while",
    "foreach",
    "once",
    "include-scenario",
    "set-variables",
    "action",
    "jsr223",
];

const DATA_SOURCE_KEYS: [&str; 8] = [
    "type",
    "path",
    "delimiter",
    "quoted",
    "loop",
    "variable-names",
    "random-order",
    "encoding",
];

/// The generated plan and, for each scenario and step, which Taurus field it came from.
pub(crate) struct Mapped {
    pub plan: Value,
    /// Native field path (as displayed) → the Taurus field it was made from.
    pub trace: Vec<(String, FieldPath)>,
    /// Keys accepted that change nothing, at their Taurus lines.
    pub warnings: Vec<PlanWarning>,
}

/// Scenario-wide settings that apply to each request.
struct Defaults {
    headers: Vec<(String, String)>,
    address: Option<String>,
    timeout: Option<String>,
    think_time: Option<Value>,
}

struct Mapper<'a> {
    t: &'a Taurus<'a>,
    /// The config's top-level `scenarios`, for `include-scenario`.
    all: Option<&'a Map<String, Value>>,
    trace: Vec<(String, FieldPath)>,
    /// Scenarios to map after this one (`include-scenario`), by name, in order.
    /// With each, the including scenario's default-address, for its relative URLs when it has
    /// none of its own (JMeter runs included requests under the includer's HTTP defaults).
    included: Vec<(String, Option<String>)>,
    data: Vec<Value>,
    variables: Map<String, Value>,
    warnings: Vec<PlanWarning>,
    /// Request labels switched off by `modifications` (`disable` minus `enable`).
    disabled: Disabled,
}

/// Maps the scenario `scenario` (named `name`, found at `at` in the Taurus file) and every
/// scenario it includes into a native plan. `properties` are the config's
/// `modules.jmeter.properties`, which Taurus tests read as variables.
pub(crate) fn plan_from_scenario(
    t: &Taurus<'_>,
    all: Option<&Map<String, Value>>,
    name: &str,
    at: &FieldPath,
    scenario: &Value,
    properties: Option<&Map<String, Value>>,
) -> Result<Mapped> {
    let mut mapper = Mapper {
        t,
        all,
        trace: Vec::new(),
        included: Vec::new(),
        data: Vec::new(),
        variables: Map::new(),
        warnings: Vec::new(),
        disabled: Disabled::default(),
    };
    if let Some(properties) = properties {
        for (key, value) in properties {
            let at = FieldPath::root()
                .key("modules")
                .key("jmeter")
                .key("properties")
                .key(key);
            let text = t.text(&at, value)?;
            mapper.set_variable(key, text, at);
        }
    }
    let mut plan = Map::new();
    plan.insert("name".into(), name.into());
    let scenario_map = t.map(at, scenario, "a scenario: a mapping with `requests`")?;
    for key in ["http-version", "tls"] {
        if let Some(value) = is_set(scenario_map.get(key)) {
            plan.insert(key.into(), value.clone());
        }
    }
    let mut scenarios = vec![mapper.scenario(name, at, scenario_map, 0, 1, None)?];
    let mut done = vec![name.to_owned()];
    while let Some((next, includer_address)) = mapper
        .included
        .iter()
        .find(|(n, _)| !done.contains(n))
        .cloned()
    {
        let at = FieldPath::root().key("scenarios").key(&next);
        let value = &mapper.all.expect("included scenarios are checked to exist")[&next];
        let map = t.map(&at, value, "a scenario: a mapping with `requests`")?;
        for key in ["http-version", "tls"] {
            if is_set(map.get(key)).is_some() && map.get(key) != scenario_map.get(key) {
                return Err(t.error(&at.key(key), format!("`{key}` applies to the whole run; give the same value as scenario `{name}`, which includes this one")));
            }
        }
        let index = scenarios.len();
        scenarios.push(mapper.scenario(&next, &at, map, index, 0, includer_address)?);
        done.push(next);
    }
    if !mapper.variables.is_empty() {
        plan.insert(
            "variables".into(),
            Value::Object(std::mem::take(&mut mapper.variables)),
        );
    }
    if !mapper.data.is_empty() {
        plan.insert(
            "data".into(),
            Value::Array(std::mem::take(&mut mapper.data)),
        );
    }
    plan.insert("scenarios".into(), Value::Array(scenarios));
    Ok(Mapped {
        plan: Value::Object(plan),
        trace: mapper.trace,
        warnings: mapper.warnings,
    })
}

impl Mapper<'_> {
    /// A plan variable from the Taurus field `at` (a later one of the same name wins, and so
    /// does its trace).
    fn set_variable(&mut self, name: &str, value: String, at: FieldPath) {
        let native = FieldPath::root().key("variables").key(name);
        self.trace.push((native.to_string(), at));
        self.variables.insert(name.to_owned(), value.into());
    }

    /// A file path read at load, with `${__P(name)}`, `${__P(name,default)}`,
    /// `${__property(name,,default)}` and `${name}` filled from the properties and variables
    /// mapped so far (an including scenario's come first), as JMeter fills them before it opens
    /// the file. A path naming anything else is left for the plan builder to report.
    fn load_time_path(&self, at: &FieldPath, path: &str) -> Result<String> {
        let Ok(template) = Template::parse(path) else {
            return Ok(path.to_owned());
        };
        if template.is_static() {
            return Ok(path.to_owned());
        }
        let known = |name: &str| self.variables.get(name).and_then(Value::as_str);
        let resolvable = template.variables().all(|name| known(name).is_some())
            && template
                .builtins()
                .all(|b| matches!(b, Builtin::Property { .. }));
        if !resolvable {
            return Ok(path.to_owned());
        }
        if let Some(name) = template.builtins().find_map(|b| match b {
            Builtin::Property { name, default } if default.is_empty() && known(name).is_none() => {
                Some(name)
            }
            _ => None,
        }) {
            return Err(self.t.error(
                at,
                format!("the path {path} reads property `{name}`, which is not set: give it under the scenario's `properties` or `modules.jmeter.properties`, or a default (`${{__P({name},file.csv)}}`)"),
            ));
        }
        Ok(template.render(&LoadTimeScope(&self.variables)))
    }

    fn scenario(
        &mut self,
        name: &str,
        at: &FieldPath,
        scenario: &Map<String, Value>,
        index: usize,
        weight: u32,
        includer_address: Option<String>,
    ) -> Result<Value> {
        let t = self.t;
        t.check_keys(at, scenario, &SCENARIO_KEYS, &SCENARIO_REJECTED)?;
        if let Some(script) = is_set(scenario.get("script")) {
            return Err(t.error(
                &at.key("script"),
                format!("script {} cannot be mixed with requests, and a scenario included by another must have requests", short(script)),
            ));
        }
        if let Some(v) = is_set(scenario.get("retrieve-resources")) {
            if t.switch(&at.key("retrieve-resources"), v)? {
                return Err(t.error(
                    &at.key("retrieve-resources"),
                    "`retrieve-resources: true` is not supported: vajra does not fetch embedded resources; list them as requests",
                ));
            }
        }
        if let Some(v) = is_set(scenario.get("concurrent-pool-size")) {
            // It only sizes JMeter's pool for embedded resources, which are off (checked above).
            let at = at.key("concurrent-pool-size");
            t.count(&at, v)?;
            self.warnings.push(t.warning(
                &at,
                "`concurrent-pool-size` has no effect: vajra does not fetch embedded resources",
            ));
        }
        if let Some(v) = is_set(scenario.get("disable-listeners")) {
            // Taurus uses it to switch off the JMX's own listeners (result writers, graphs);
            // vajra has none, and its results are written either way.
            let at = at.key("disable-listeners");
            t.switch(&at, v)?;
            self.warnings.push(t.warning(
                &at,
                "`disable-listeners` has no effect: it switches off JMeter's listeners, and vajra has none",
            ));
        }
        if let Some(v) = is_set(scenario.get("modifications")) {
            let at = at.key("modifications");
            if index == 0 {
                self.disabled = modifications(t, &at, v)?;
            } else {
                // Taurus reads only the executed scenario's modifications.
                self.warnings.push(t.warning(&at, "`modifications` of an included scenario have no effect (Taurus reads only the executed scenario's)"));
            }
        }
        if let Some(v) = is_set(scenario.get("store-cache")) {
            // Accepted either way: vajra keeps no HTTP cache (docs/taurus.md says why).
            t.switch(&at.key("store-cache"), v)?;
        }
        if let Some(v) = is_set(scenario.get("use-dns-cache-mgr")) {
            // Accepted either way: vajra resolves names when it connects (docs/taurus.md).
            t.switch(&at.key("use-dns-cache-mgr"), v)?;
        }
        for section in ["variables", "properties"] {
            if let Some(vars) = is_set(scenario.get(section)) {
                let at = at.key(section);
                for (key, value) in t.map(&at, vars, "a mapping of variable names to values")? {
                    let text = t.text(&at.key(key), value)?;
                    self.set_variable(key, text, at.key(key));
                }
            }
        }
        let defaults = Defaults {
            headers: headers(t, &at.key("headers"), scenario.get("headers"))?,
            address: is_set(scenario.get("default-address"))
                .map(|v| {
                    t.text(&at.key("default-address"), v)
                        .map(|a| with_scheme(&a))
                })
                .transpose()?
                .or(includer_address),
            timeout: is_set(scenario.get("timeout"))
                .map(|v| t.duration_text(&at.key("timeout"), v))
                .transpose()?,
            think_time: is_set(scenario.get("think-time"))
                .map(|v| think_time(t, &at.key("think-time"), v))
                .transpose()?
                .flatten(),
        };
        let out_at = FieldPath::root().key("scenarios").index(index);
        self.trace.push((out_at.to_string(), at.clone()));
        let mut out = Map::new();
        out.insert("name".into(), name.into());
        out.insert("weight".into(), weight.into());
        // Taurus's switches, or what Taurus does without them.
        for (key, default) in [
            ("store-cookie", true),
            ("keepalive", true),
            ("follow-redirects", true),
        ] {
            let on = match is_set(scenario.get(key)) {
                Some(v) => t.switch(&at.key(key), v)?,
                None => default,
            };
            out.insert(key.into(), switch_value(key, on));
        }
        let requests = is_set(scenario.get("requests"))
            .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
            .ok_or_else(|| {
                t.error(
                    &at.key("requests"),
                    format!(
                        "scenario `{name}` has no requests: give requests, or script: plan.yaml"
                    ),
                )
            })?;
        let steps = self.steps(
            &defaults,
            &at.key("requests"),
            &out_at.key("requests"),
            requests,
        )?;
        out.insert("requests".into(), Value::Array(steps));
        if let Some(sources) = is_set(scenario.get("data-sources")) {
            for (i, source) in t.list(sources).into_iter().enumerate() {
                let source_at = at.key("data-sources").index(i);
                let mut data = data_source(t, &source_at, source)?;
                let file = data["file"].as_str().unwrap_or_default().to_owned();
                data["file"] = self.load_time_path(&source_at, &file)?.into();
                let native_at = FieldPath::root().key("data").index(self.data.len());
                self.trace.push((native_at.to_string(), source_at));
                self.data.push(data);
            }
        }
        Ok(Value::Object(out))
    }

    /// A list of Taurus steps; `out` is the native list's path.
    fn steps(
        &mut self,
        defaults: &Defaults,
        at: &FieldPath,
        out: &FieldPath,
        items: &Value,
    ) -> Result<Vec<Value>> {
        let items = items.as_array().ok_or_else(|| {
            self.t.error(
                at,
                format!(
                    "expected a list of requests and blocks, found {}",
                    short(items)
                ),
            )
        })?;
        let mut steps = Vec::new();
        for (i, item) in items.iter().enumerate() {
            self.step(defaults, &at.index(i), out, &mut steps, item)?;
        }
        Ok(steps)
    }

    fn step(
        &mut self,
        defaults: &Defaults,
        at: &FieldPath,
        out: &FieldPath,
        steps: &mut Vec<Value>,
        item: &Value,
    ) -> Result<()> {
        let t = self.t;
        let request = match item {
            Value::String(url) => {
                let mut map = Map::new();
                map.insert("url".into(), url.clone().into());
                map
            }
            Value::Object(map) => map.clone(),
            other => {
                return Err(t.error(
                    at,
                    format!("expected a request or a block, found {}", short(other)),
                ))
            }
        };
        if request.contains_key("url") {
            let label = match is_set(request.get("label")) {
                Some(label) => t.text(&at.key("label"), label)?,
                None => t.text(&at.key("url"), &request["url"])?,
            };
            if self.disabled.is_disabled(&label) {
                // A disabled sampler is skipped with its timers (the think time).
                return Ok(());
            }
            let think = match is_set(request.get("think-time")) {
                Some(v) => think_time(t, &at.key("think-time"), v)?,
                None => defaults.think_time.clone(),
            };
            if let Some(pause) = think {
                self.trace
                    .push((out.index(steps.len()).to_string(), at.key("think-time")));
                steps.push(single("pause", pause));
            }
            self.trace
                .push((out.index(steps.len()).to_string(), at.clone()));
            steps.push(self.request(defaults, at, &request)?);
            return Ok(());
        }
        let Some(block) = BLOCKS.iter().find(|b| request.contains_key(**b)) else {
            return Err(t.error(at, "this step has no `url` and is not a block (transaction, if, loop, while, foreach, once, include-scenario, set-variables, action)"));
        };
        let here = out.index(steps.len());
        self.trace.push((here.to_string(), at.clone()));
        let step = self.block(defaults, at, &here, block, &request)?;
        steps.push(step);
        Ok(())
    }

    fn block(
        &mut self,
        defaults: &Defaults,
        at: &FieldPath,
        out: &FieldPath,
        block: &str,
        step: &Map<String, Value>,
    ) -> Result<Value> {
        let t = self.t;
        let head = &step[block];
        let mut native = Map::new();
        let nested = |this: &mut Self, key: &str, native: &mut Map<String, Value>| -> Result<()> {
            let items = is_set(step.get(key)).ok_or_else(|| {
                t.error(
                    &at.key(key),
                    format!("`{block}` needs `{key}:`, the steps it runs"),
                )
            })?;
            let steps = this.steps(defaults, &at.key(key), &out.key(key), items)?;
            native.insert(key.into(), Value::Array(steps));
            Ok(())
        };
        match block {
            "transaction" => {
                t.check_keys(
                    at,
                    step,
                    &["transaction", "include-timers", "do"],
                    &[(
                        "force-parent-sample",
                        "vajra writes the transaction row and every request's own row",
                    )],
                )?;
                native.insert(
                    "transaction".into(),
                    t.text(&at.key("transaction"), head)?.into(),
                );
                // Taurus writes JMeter's includeTimers as false unless the key says true.
                let include = match is_set(step.get("include-timers")) {
                    Some(v) => t.switch(&at.key("include-timers"), v)?,
                    None => false,
                };
                native.insert("include-pauses".into(), include.into());
                nested(self, "do", &mut native)?;
            }
            "if" => {
                t.check_keys(at, step, &["if", "then", "else"], &[])?;
                native.insert("if".into(), t.text(&at.key("if"), head)?.into());
                nested(self, "then", &mut native)?;
                if is_set(step.get("else")).is_some() {
                    nested(self, "else", &mut native)?;
                }
            }
            "loop" => {
                t.check_keys(at, step, &["loop", "do"], &[])?;
                let count = match head {
                    Value::String(s) if s.eq_ignore_ascii_case("forever") => Value::from("forever"),
                    Value::Number(n) if n.as_i64() == Some(-1) => Value::from("forever"),
                    Value::Number(n) if n.as_u64().is_some() => head.clone(),
                    Value::String(s) if s.trim().parse::<u64>().is_ok() => {
                        Value::from(s.trim().parse::<u64>().unwrap_or_default())
                    }
                    other => {
                        return Err(t.error(
                            &at.key("loop"),
                            format!("expected a count or `forever`, found {}", short(other)),
                        ))
                    }
                };
                native.insert("loop".into(), count);
                nested(self, "do", &mut native)?;
            }
            "while" => {
                t.check_keys(at, step, &["while", "do"], &[])?;
                native.insert("while".into(), t.text(&at.key("while"), head)?.into());
                nested(self, "do", &mut native)?;
            }
            "foreach" => {
                t.check_keys(at, step, &["foreach", "do"], &[])?;
                native.insert("foreach".into(), t.text(&at.key("foreach"), head)?.into());
                nested(self, "do", &mut native)?;
            }
            "once" => {
                t.check_keys(at, step, &["once"], &[])?;
                let steps = self.steps(defaults, &at.key("once"), &out.key("once"), head)?;
                native.insert("once".into(), Value::Array(steps));
            }
            "include-scenario" => {
                t.check_keys(at, step, &["include-scenario"], &[])?;
                let name = t.text(&at.key("include-scenario"), head)?;
                if !self.all.is_some_and(|all| all.contains_key(&name)) {
                    return Err(t.error(
                        &at.key("include-scenario"),
                        format!("there is no scenario `{name}` under the top-level `scenarios:`"),
                    ));
                }
                if !self.included.iter().any(|(n, _)| *n == name) {
                    self.included.push((name.clone(), defaults.address.clone()));
                }
                native.insert("include-scenario".into(), name.into());
            }
            "set-variables" => {
                t.check_keys(at, step, &["set-variables"], &[])?;
                let at = at.key("set-variables");
                let mut vars = Map::new();
                for (key, value) in t.map(&at, head, "a mapping of variable names to values")? {
                    vars.insert(key.clone(), t.text(&at.key(key), value)?.into());
                }
                native.insert("set-variables".into(), Value::Object(vars));
            }
            "action" => {
                t.check_keys(at, step, &["action", "target", "pause-duration"], &[])?;
                let action = t.text(&at.key("action"), head)?;
                if action != "pause" {
                    return Err(t.error(
                        &at.key("action"),
                        format!("`action: {action}` is not supported: vajra runs the load for its set time (only `action: pause` maps, to a pause)"),
                    ));
                }
                let duration = is_set(step.get("pause-duration")).ok_or_else(|| {
                    t.error(
                        &at.key("pause-duration"),
                        "`action: pause` needs `pause-duration`",
                    )
                })?;
                native.insert(
                    "pause".into(),
                    t.duration_text(&at.key("pause-duration"), duration)?.into(),
                );
            }
            _ => {
                return Err(t.error(
                    &at.key(block),
                    "a JSR223 script block: vajra runs no scripts; use extract-* and set-variables",
                ));
            }
        }
        Ok(Value::Object(native))
    }

    fn request(
        &mut self,
        defaults: &Defaults,
        at: &FieldPath,
        config: &Map<String, Value>,
    ) -> Result<Value> {
        let t = self.t;
        let allowed: Vec<&str> = REQUEST_KEYS
            .iter()
            .chain(&REQUEST_MORE_KEYS)
            .copied()
            .collect();
        t.check_keys(at, config, &allowed, &REQUEST_REJECTED)?;
        let url_text = t.text(&at.key("url"), &config["url"])?;
        let label = match is_set(config.get("label")) {
            Some(label) => t.text(&at.key("label"), label)?,
            None => url_text.clone(),
        };
        let mut url = match &defaults.address {
            _ if url_text.contains("://") || url_text.starts_with("${") => url_text.clone(),
            Some(address) => join(address, &url_text),
            None => {
                return Err(t.error(
                    &at.key("url"),
                    format!("url {url_text} is relative, and the scenario has no default-address"),
                ));
            }
        };
        let method = match is_set(config.get("method")) {
            Some(m) => t.text(&at.key("method"), m)?.to_uppercase(),
            None => "GET".into(),
        };
        let mut out = Map::new();
        out.insert("label".into(), label.into());
        out.insert("method".into(), method.clone().into());
        // Request headers override the scenario's, by name in any case.
        let own = headers(t, &at.key("headers"), config.get("headers"))?;
        let mut merged: Vec<(String, String)> = defaults
            .headers
            .iter()
            .filter(|(name, _)| !own.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
            .cloned()
            .collect();
        merged.extend(own);
        let content_type = merged
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone());
        match is_set(config.get("body")).filter(|b| b.as_str() != Some("")) {
            Some(Value::String(body)) => {
                out.insert("body".into(), body.clone().into());
            }
            Some(body) => match form(body) {
                Some(form)
                    if !content_type
                        .as_deref()
                        .is_some_and(|c| c.to_ascii_lowercase().contains("json")) =>
                {
                    match method.as_str() {
                        "GET" => {
                            url.push(if url.contains('?') { '&' } else { '?' });
                            url.push_str(&form);
                        }
                        "POST" | "PUT" | "PATCH" => {
                            out.insert("body".into(), form.into());
                            if content_type.is_none() {
                                merged.push((
                                    "Content-Type".into(),
                                    "application/x-www-form-urlencoded".into(),
                                ));
                            }
                        }
                        other => {
                            return Err(t.error(&at.key("body"), format!("form parameters in body are not supported for {other}; give the body as text")));
                        }
                    }
                }
                // A JSON content type, or a nested body: sent as JSON text.
                _ => {
                    out.insert("body".into(), body.to_string().into());
                }
            },
            None => {
                if let Some(file) = is_set(config.get("body-file")) {
                    let file = t.text(&at.key("body-file"), file)?;
                    out.insert(
                        "body-file".into(),
                        self.load_time_path(&at.key("body-file"), &file)?.into(),
                    );
                }
            }
        }
        out.insert("url".into(), url.into());
        if !merged.is_empty() {
            let headers: Map<String, Value> = merged
                .into_iter()
                .map(|(n, v)| (n, Value::String(v)))
                .collect();
            out.insert("headers".into(), Value::Object(headers));
        }
        let timeout = match is_set(config.get("timeout")) {
            Some(v) => Some(t.duration_text(&at.key("timeout"), v)?),
            None => defaults.timeout.clone(),
        };
        if let Some(timeout) = timeout {
            out.insert("timeout".into(), timeout.into());
        }
        for key in ["follow-redirects", "keepalive"] {
            if let Some(v) = is_set(config.get(key)) {
                out.insert(key.into(), switch_value(key, t.switch(&at.key(key), v)?));
            }
        }
        let extract = extractors(t, at, config)?;
        if !extract.is_empty() {
            out.insert("extract".into(), Value::Object(extract));
        }
        let checks = assertions(t, at, config)?;
        if !checks.is_empty() {
            out.insert("assert".into(), Value::Object(checks));
        }
        Ok(Value::Object(out))
    }
}

fn single(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.into(), value);
    Value::Object(map)
}

/// A switch as the plan writes it: `follow-redirects: true` is JMeter's limit of hops.
fn switch_value(key: &str, on: bool) -> Value {
    if key == "follow-redirects" && on {
        Value::from(TAURUS_MAX_REDIRECTS)
    } else {
        Value::Bool(on)
    }
}

/// A default-address without a scheme (`blazedemo.com`) is taken as `http://`, as Taurus's
/// Gatling executor takes it; one that is a whole `${...}` is left to its value.
fn with_scheme(address: &str) -> String {
    if address.is_empty() || address.contains("://") || address.starts_with("${") {
        address.to_owned()
    } else {
        format!("http://{address}")
    }
}

/// Taurus joins a relative URL to the scenario's default-address.
fn join(address: &str, url: &str) -> String {
    if url.is_empty() {
        return address.to_owned();
    }
    format!(
        "{}/{}",
        address.trim_end_matches('/'),
        url.trim_start_matches('/')
    )
}

/// Header values as text (a YAML `true` is sent as `True`, as Taurus sends it).
fn headers(
    t: &Taurus<'_>,
    at: &FieldPath,
    headers: Option<&Value>,
) -> Result<Vec<(String, String)>> {
    let Some(headers) = is_set(headers) else {
        return Ok(Vec::new());
    };
    t.map(at, headers, "a mapping of header names to values")?
        .iter()
        .map(|(name, value)| Ok((name.clone(), t.text(&at.key(name), value)?)))
        .collect()
}

/// A flat mapping of scalars as a form (`a=1&b=x+y`), as JMeter sends its parameters; `None`
/// for anything else (sent as JSON). `${...}` is kept for the template.
fn form(body: &Value) -> Option<String> {
    let map = body.as_object()?;
    let pairs: Option<Vec<String>> = map
        .iter()
        .map(|(k, v)| match v {
            Value::String(_) | Value::Number(_) => Some(format!(
                "{}={}",
                form_escape(k),
                form_escape(&scalar_text(v)?)
            )),
            _ => None,
        })
        .collect();
    pairs.map(|p| p.join("&"))
}

/// Form encoding: unreserved characters and `${}` as they are, space as `+`, the rest `%XX`.
fn form_escape(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'$'
            | b'{'
            | b'}' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A think time as the plan writes it, `None` when zero: a fixed time, or Taurus's
/// `uniform(M, S)` / `gaussian(M, D)`.
fn think_time(t: &Taurus<'_>, at: &FieldPath, value: &Value) -> Result<Option<Value>> {
    let text = t.text(at, value)?;
    let Some((name, args)) = text
        .trim()
        .strip_suffix(')')
        .and_then(|s| s.split_once('('))
    else {
        let time = t.time(at, value)?;
        return Ok((!time.is_zero()).then(|| crate::duration::format_duration(time).into()));
    };
    let name = name.trim().to_ascii_lowercase();
    // Taurus's poisson(M, O) (JMeter's Poisson timer: O fixed plus a Poisson part of mean
    // M - O) is vajra's native poisson(M, O).
    if !["uniform", "gaussian", "poisson"].contains(&name.as_str()) {
        return Err(t.error(
            at,
            format!(
                "think-time {text}: vajra has fixed, uniform(M, S), gaussian(M, D) and poisson(M, O) think times"
            ),
        ));
    }
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    let [mean, spread] = parts[..] else {
        return Err(t.error(
            at,
            format!("think-time {text}: expected two times, like {name}(1s, 200ms)"),
        ));
    };
    let mean = t.duration_text(at, &Value::from(mean))?;
    let spread = t.duration_text(at, &Value::from(spread))?;
    Ok(Some(format!("{name}({mean}, {spread})").into()))
}

/// Which request labels `modifications` switch off: JMeter skips a disabled element, and
/// Taurus applies `disable` then `enable`, both by shell-style pattern on element names.
#[derive(Default)]
struct Disabled {
    disable: Vec<Regex>,
    enable: Vec<Regex>,
}

impl Disabled {
    fn is_disabled(&self, label: &str) -> bool {
        self.disable.iter().any(|r| r.is_match(label))
            && !self.enable.iter().any(|r| r.is_match(label))
    }
}

/// The scenario's `modifications`. Taurus applies them to the JMX it generates from
/// `requests` too, so they change what is sent: `disable`/`enable` are honoured for requests;
/// `set-prop` edits arbitrary JMX properties (protocol, timeouts, thread counts), which vajra
/// cannot reproduce faithfully, so it is refused by name.
fn modifications(t: &Taurus<'_>, at: &FieldPath, value: &Value) -> Result<Disabled> {
    let map = t.map(at, value, "a mapping with `disable`, `enable`")?;
    t.check_keys(
        at,
        map,
        &["disable", "enable"],
        &[(
            "set-prop",
            "it edits JMX element properties, which vajra's requests do not have; set the request's own fields (url, timeout, headers) instead",
        )],
    )?;
    let patterns = |key: &str| -> Result<Vec<Regex>> {
        let Some(v) = is_set(map.get(key)) else {
            return Ok(Vec::new());
        };
        let at = at.key(key);
        // Taurus takes one name or a list of them.
        let items: Vec<(FieldPath, &Value)> = match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (at.index(i), v))
                .collect(),
            other => vec![(at.clone(), other)],
        };
        items
            .into_iter()
            .map(|(at, v)| Ok(glob_regex(&t.text(&at, v)?)))
            .collect()
    };
    Ok(Disabled {
        disable: patterns("disable")?,
        enable: patterns("enable")?,
    })
}

/// A Python `fnmatch` pattern (`*`, `?`, `[seq]`, `[!seq]`) as an anchored regexp.
fn glob_regex(pattern: &str) -> Regex {
    let mut out = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                let class: String = chars.clone().take_while(|&c| c != ']').collect();
                if chars.clone().nth(class.chars().count()) == Some(']') && !class.is_empty() {
                    for _ in 0..=class.chars().count() {
                        chars.next();
                    }
                    let (negate, body) = match class.strip_prefix('!') {
                        Some(rest) => (true, rest),
                        None => (false, class.as_str()),
                    };
                    out.push('[');
                    if negate {
                        out.push('^');
                    }
                    out.push_str(&body.replace('\\', "\\\\").replace('[', "\\["));
                    out.push(']');
                } else {
                    out.push_str("\\[");
                }
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    out.push('$');
    Regex::new(&out)
        .unwrap_or_else(|_| Regex::new(&format!("^{}$", regex::escape(pattern))).expect("escaped"))
}

fn data_source(t: &Taurus<'_>, at: &FieldPath, source: &Value) -> Result<Value> {
    let source = match source {
        Value::String(path) => {
            let mut map = Map::new();
            map.insert("path".into(), path.clone().into());
            map
        }
        other => t
            .map(at, other, "a data source: a path, or a mapping with `path`")?
            .clone(),
    };
    t.check_keys(at, &source, &DATA_SOURCE_KEYS, &[])?;
    if let Some(kind) = is_set(source.get("type")) {
        // CSV is the only kind Taurus writes (a CSV Data Set Config).
        let kind = t.text(&at.key("type"), kind)?;
        if !kind.eq_ignore_ascii_case("csv") {
            return Err(t.error(
                &at.key("type"),
                format!(
                    "data source type {kind} is not supported: vajra reads CSV files (type: csv)"
                ),
            ));
        }
    }
    let path = is_set(source.get("path"))
        .ok_or_else(|| t.error(at, "a data source needs a path"))
        .and_then(|p| t.text(&at.key("path"), p))?;
    let mut out = Map::new();
    out.insert("file".into(), path.into());
    if let Some(encoding) = is_set(source.get("encoding")) {
        let text = t
            .text(&at.key("encoding"), encoding)?
            .to_ascii_lowercase()
            .replace('_', "-");
        if text != "utf-8" && text != "utf8" {
            return Err(t.error(
                &at.key("encoding"),
                format!("encoding {text} is not supported: vajra reads UTF-8"),
            ));
        }
    }
    if let Some(delimiter) = is_set(source.get("delimiter")) {
        let mut text = t.text(&at.key("delimiter"), delimiter)?;
        if text.eq_ignore_ascii_case("tab") || text == "\\t" {
            text = "\t".into();
        }
        if text != "," {
            out.insert("delimiter".into(), text.into());
        }
    }
    if let Some(quoted) = is_set(source.get("quoted")) {
        // Checked only: vajra's CSV reader always honours quotes (docs/taurus.md).
        t.switch(&at.key("quoted"), quoted)?;
    }
    let recycle = match is_set(source.get("loop")) {
        Some(v) => t.switch(&at.key("loop"), v)?,
        None => true,
    };
    out.insert(
        "on-eof".into(),
        if recycle { "recycle" } else { "stop" }.into(),
    );
    if let Some(v) = is_set(source.get("random-order")) {
        if t.switch(&at.key("random-order"), v)? {
            out.insert("random-order".into(), Value::Bool(true));
        }
    }
    if let Some(names) = is_set(source.get("variable-names")) {
        // As in JMeter: with the names given, the file's first line is data, not a header.
        let at = at.key("variable-names");
        let columns: Vec<String> = t
            .text(&at, names)?
            .split(',')
            .map(|name| name.trim().to_string())
            .collect();
        if let Some(problem) = column_names_problem(&columns, "`variable-names`") {
            return Err(t.error(&at, problem));
        }
        out.insert(
            "columns".into(),
            Value::Array(columns.into_iter().map(Value::String).collect()),
        );
    }
    Ok(Value::Object(out))
}

/// The properties and variables known while mapping, for a path read at load.
struct LoadTimeScope<'a>(&'a Map<String, Value>);

impl Scope for LoadTimeScope<'_> {
    fn var(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    fn builtin(&self, builtin: &Builtin, out: &mut String) {
        if let Builtin::Property { name, default } = builtin {
            out.push_str(self.var(name).unwrap_or(default));
        }
    }
}
