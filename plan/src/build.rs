//! From the plan as written (`raw`) to a checked [`Plan`]: cross-field checks, defaults
//! merged into requests, URLs joined to the base, variables matched to data columns.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

use super::client::{ClientSpec, TlsSpec};
use super::data::{check_first_row, column_names_problem, read_columns, DataSetSpec};
use super::error::{closest, Source};
use super::expr::Condition;
use super::fields::{compile_regex, Entries, XPathField};
use super::locate::FieldPath;
use super::raw::{
    RawAssert, RawDefaults, RawExtractor, RawPlan, RawScenario, RawStep, RawTextExpect, RawTls,
    Target,
};
use super::scenario::{
    DocumentKind, ExtractSource, Extractor, JsonExpect, MatchNo, RegexText, StatusRange, Step,
    Subject, TextExpect, ThinkTime, XPathQuery,
};
use super::template::Template;
use super::yaml;
use super::{Assertions, Check, CheckKind, CloudSpec, Plan, PlanError, RequestSpec, Scenario};

/// Stands in for variables when checking the shape of a URL or header value at load time.
const PLACEHOLDER: &str = "1";

/// What the builder does with a `${name}` that nothing in the plan defines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum UnknownVariables {
    /// Refuse the plan, saying what is defined: in a vajra plan it is a typo.
    #[default]
    Refuse,
    /// Send it as written, as JMeter does (Taurus configs), and note each one.
    KeepLiteral,
}

/// A `${name}` kept as written under [`UnknownVariables::KeepLiteral`].
#[derive(Debug, Clone)]
pub(crate) struct LiteralVariable {
    /// The plan field it is in (`scenarios[0].requests[1].body`).
    pub field: FieldPath,
    pub name: String,
    /// The field's value as it runs: written out, its literal text reads `$${name}`, so the
    /// plan means the same wherever it is loaded.
    pub value: Template,
}

/// A built plan and the variables it keeps as written.
pub(crate) struct Built {
    pub plan: Plan,
    pub literals: Vec<LiteralVariable>,
}

pub(super) fn build(text: &str, source_path: &Path) -> Result<Plan, PlanError> {
    build_with(text, source_path, UnknownVariables::Refuse).map(|built| built.plan)
}

pub(crate) fn build_with(
    text: &str,
    source_path: &Path,
    unknown: UnknownVariables,
) -> Result<Built, PlanError> {
    let src = Source {
        file: source_path,
        text,
    };
    let root = FieldPath::root();
    if text.trim().is_empty() {
        return Err(src.invalid(
            &root,
            "the plan is empty: it needs at least `requests:` (see docs/plan-format.md)",
        ));
    }
    let raw: RawPlan = yaml::read(text).map_err(|err| src.deserialize_error(err))?;
    let plan_dir = source_path.parent().unwrap_or(Path::new(""));

    let embedded_target = raw.target == Some(Target::Embedded);
    let base_url = match &raw.base_url {
        Some(_) if embedded_target => {
            return Err(src.invalid(
                &root.key("base-url"),
                "`target: embedded` points the base URL at the embedded target; remove \
                 `base-url:`, or remove `target:` to test another server",
            ))
        }
        Some(url) => Some(check_base_url(url).map_err(|m| src.invalid(&root.key("base-url"), m))?),
        None => None,
    };

    let client = ClientSpec {
        http_version: raw.http_version.unwrap_or_default(),
        tls: tls(&raw.tls, &src, plan_dir)?,
    };
    let data = data_sets(&raw, &src, plan_dir)?;
    let variables = Variables::collect(&raw, &data, &src, unknown)?;
    let requests = RequestContext {
        src: &src,
        plan_dir,
        base_url: base_url.as_deref(),
        embedded_target,
        defaults: &raw.defaults,
        variables: &variables,
    };

    let name = raw.name.clone().unwrap_or_else(|| {
        source_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plan".into())
    });
    let plan_variables = variable_list(&raw.variables, &root.key("variables"), &requests)?;
    let no_scenarios = Vec::new();
    let steps = StepContext {
        requests: &requests,
        scenarios: raw.scenarios.as_ref().unwrap_or(&no_scenarios),
        next_once: Cell::new(0),
    };
    let scenarios =
        match (&raw.scenarios, &raw.requests) {
            (Some(_), Some(_)) => {
                return Err(src.invalid(
                    &root.key("requests"),
                    "use either `scenarios:` or a top-level `requests:` list, not both",
                ))
            }
            (None, None) => return Err(src.invalid(
                &root,
                "the plan has no requests: add a `scenarios:` list, or a top-level `requests:` \
                 list for a single scenario",
            )),
            (None, Some(list)) => {
                let path = root.key("requests");
                vec![Scenario {
                    name: name.clone(),
                    weight: 1,
                    store_cookie: raw.defaults.store_cookie.unwrap_or(false),
                    variables: Vec::new(),
                    setup: Vec::new(),
                    steps: steps.build_list(list, &path, &Behaviour::default(), &mut Vec::new())?,
                    teardown: Vec::new(),
                    pacing: None,
                }]
            }
            (Some(list), None) => {
                if list.is_empty() {
                    return Err(src.invalid(
                        &root.key("scenarios"),
                        "`scenarios:` is empty: add at least one scenario with `requests:`",
                    ));
                }
                let mut scenarios: Vec<Scenario> = Vec::with_capacity(list.len());
                for (i, raw) in list.iter().enumerate() {
                    let path = root.key("scenarios").index(i);
                    scenarios.push(steps.scenario(raw, &path, &scenarios)?);
                }
                // After building, so that a misspelt include is reported as such first.
                if let Some(i) = scenarios
                    .iter()
                    .position(|s| s.weight == 0 && !steps.is_included(&s.name))
                {
                    return Err(src.invalid(
                        &root.key("scenarios").index(i).key("weight"),
                        "weight 0 is only for scenarios that other scenarios include \
                         (`include-scenario`); give at least 1, or remove the scenario",
                    ));
                }
                if scenarios.iter().all(|s| s.weight == 0) {
                    return Err(src.invalid(
                        &root.key("scenarios"),
                        "every scenario has weight 0: at least one must run on its own",
                    ));
                }
                scenarios
            }
        };

    let plan = Plan {
        name,
        source: source_path.to_path_buf(),
        embedded_target,
        base_url,
        scenarios,
        load: raw.load,
        data,
        thresholds: raw.thresholds,
        cloud: CloudSpec {
            engine_capacity_tps: raw.cloud.engine_capacity_tps,
            locations: raw.cloud.locations.0,
        },
        client,
        variables: plan_variables,
    };
    Ok(Built {
        plan,
        literals: variables.literals.into_inner(),
    })
}

/// A `variables:` or `set-variables:` mapping, each value's variables checked.
fn variable_list(
    entries: &Entries<Template>,
    path: &FieldPath,
    requests: &RequestContext,
) -> Result<Vec<(String, Template)>, PlanError> {
    entries
        .0
        .iter()
        .map(|(name, value)| {
            let field = path.key(name);
            check_variable_name(name).map_err(|m| requests.src.invalid(&field, m))?;
            let value = requests
                .variables
                .resolve(value, &field)
                .map_err(|m| requests.src.invalid(&field, m))?;
            Ok((name.clone(), value))
        })
        .collect()
}

/// A variable name a template can use: not empty, no `$`, braces or spaces.
fn check_variable_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.starts_with("__")
        || name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '$' | '{' | '}' | '(' | ')' | ','))
    {
        return Err(format!(
            "`{name}` is not a usable variable name: use letters, digits, `_`, `-` and `.`, \
             not starting with `__` (that is for built-ins)"
        ));
    }
    Ok(())
}

/// The `tls:` section: files resolved against the plan's directory and checked to exist (the
/// runner reads them, and says what is wrong with their contents).
fn tls(raw: &RawTls, src: &Source, plan_dir: &Path) -> Result<TlsSpec, PlanError> {
    let path = FieldPath::root().key("tls");
    let file = |key: &str, file: &Option<PathBuf>| -> Result<Option<PathBuf>, PlanError> {
        file.as_ref()
            .map(|file| existing_file(plan_dir, file, "file"))
            .transpose()
            .map_err(|m| src.invalid(&path.key(key), m))
    };
    let spec = TlsSpec {
        ca_file: file("ca-file", &raw.ca_file)?,
        insecure: raw.insecure.unwrap_or(false),
        client_cert: file("client-cert", &raw.client_cert)?,
        client_key: file("client-key", &raw.client_key)?,
        server_name: raw.server_name.clone(),
        min_version: raw.min_version.unwrap_or_default(),
    };
    match (&spec.client_cert, &spec.client_key) {
        (Some(_), None) => {
            return Err(src.invalid(
                &path.key("client-cert"),
                "a client certificate needs its private key: add `client-key:` (a PEM file)",
            ))
        }
        (None, Some(_)) => {
            return Err(src.invalid(
                &path.key("client-key"),
                "a client key needs its certificate: add `client-cert:` (a PEM file)",
            ))
        }
        _ => {}
    }
    if let Some(name) = &spec.server_name {
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '/' || c == ':') {
            return Err(src.invalid(
                &path.key("server-name"),
                format!("`{name}` is not a host name: give a DNS name like api.example.com"),
            ));
        }
    }
    Ok(spec)
}

/// Request behaviours a scenario sets for its requests; a request's own setting wins, then the
/// scenario's, then `defaults:`.
#[derive(Default, Clone, Copy)]
struct Behaviour {
    follow_redirects: Option<Option<u32>>,
    keepalive: Option<bool>,
    /// The scenario's `think-time`, for its requests that give none.
    think_time: Option<ThinkTime>,
}

/// Whether running `steps` sends a request or pauses somewhere (in a branch, too), so a loop
/// around them yields to time passing instead of spinning.
fn sends_or_waits(steps: &[Step]) -> bool {
    steps.iter().any(|step| {
        matches!(step, Step::Request(_) | Step::Pause(_))
            || step.children().into_iter().any(sends_or_waits)
    })
}

/// `file` resolved against the plan's directory, if it is a file; else the message saying
/// which `kind` of file is missing.
fn existing_file(plan_dir: &Path, file: &Path, kind: &str) -> Result<PathBuf, String> {
    let resolved = plan_dir.join(file);
    if resolved.is_file() {
        Ok(resolved)
    } else {
        Err(format!(
            "{kind} not found: {} (relative paths start at the plan file's directory)",
            resolved.display()
        ))
    }
}

fn data_sets(raw: &RawPlan, src: &Source, plan_dir: &Path) -> Result<Vec<DataSetSpec>, PlanError> {
    let mut specs: Vec<DataSetSpec> = Vec::with_capacity(raw.data.len());
    for (i, set) in raw.data.iter().enumerate() {
        let path = FieldPath::root().key("data").index(i).key("file");
        let file =
            existing_file(plan_dir, &set.file, "data file").map_err(|m| src.invalid(&path, m))?;
        let mut spec = DataSetSpec {
            file,
            delimiter: set.delimiter.unwrap_or(b','),
            on_eof: set.on_eof,
            split: set.split.unwrap_or(true),
            random_order: set.random_order.unwrap_or(false),
            columns: Vec::new(),
            header_row: set.columns.is_none(),
        };
        match &set.columns {
            None => spec.columns = read_columns(&spec)?,
            Some(names) => {
                let at = FieldPath::root().key("data").index(i).key("columns");
                spec.columns = names.iter().map(|n| n.trim().to_string()).collect();
                if spec.columns.is_empty() {
                    return Err(src.invalid(
                        &at,
                        "`columns` names no column: give at least one name, or leave it out \
                         when the file has a header row",
                    ));
                }
                if let Some(problem) = column_names_problem(&spec.columns, "`columns`") {
                    return Err(src.invalid(&at, problem));
                }
                check_first_row(&spec)?;
            }
        }
        for earlier in &specs {
            if let Some(column) = spec.columns.iter().find(|c| earlier.columns.contains(c)) {
                return Err(src.invalid(
                    &path,
                    format!(
                        "column `{column}` is also in {}: each variable must come from one data set",
                        earlier.file.display()
                    ),
                ));
            }
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// Every variable name the plan defines, anywhere (the check is plan-wide, not flow-sensitive):
/// data columns, plan and scenario `variables`, `set-variables` names, extractor variables and
/// `foreach` variables.
struct Variables {
    names: Vec<String>,
    /// Extractors with `match: all`: they also define `NAME_<digits>` and `NAME_matchNr`.
    lists: Vec<String>,
    unknown: UnknownVariables,
    /// The variables kept as written so far, each once per field.
    literals: RefCell<Vec<LiteralVariable>>,
}

impl Variables {
    fn collect(
        raw: &RawPlan,
        data: &[DataSetSpec],
        src: &Source,
        unknown: UnknownVariables,
    ) -> Result<Self, PlanError> {
        let mut out = Variables {
            names: data
                .iter()
                .flat_map(|d| d.columns.iter().cloned())
                .collect(),
            lists: Vec::new(),
            unknown,
            literals: RefCell::new(Vec::new()),
        };
        out.add_entries(&raw.variables);
        let root = FieldPath::root();
        if let Some(requests) = &raw.requests {
            out.add_steps(requests, &root.key("requests"), src)?;
        }
        for (i, scenario) in raw.scenarios.iter().flatten().enumerate() {
            let path = root.key("scenarios").index(i);
            out.add_entries(&scenario.variables);
            out.add_steps(&scenario.setup, &path.key("setup"), src)?;
            out.add_steps(&scenario.requests, &path.key("requests"), src)?;
            out.add_steps(&scenario.teardown, &path.key("teardown"), src)?;
        }
        Ok(out)
    }

    fn add(&mut self, name: &str) {
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
    }

    fn add_entries<V>(&mut self, entries: &Entries<V>) {
        for (name, _) in &entries.0 {
            self.add(name);
        }
    }

    fn add_steps(
        &mut self,
        steps: &[RawStep],
        path: &FieldPath,
        src: &Source,
    ) -> Result<(), PlanError> {
        for (i, step) in steps.iter().enumerate() {
            let path = path.index(i);
            if let Some(set) = &step.set_variables {
                self.add_entries(set);
            }
            for (name, extractor) in &step.extract.0 {
                self.add(name);
                if matches!(extractor.match_no, Some(m) if m.0 == MatchNo::All) {
                    self.lists.push(name.clone());
                }
            }
            if let Some(foreach) = &step.foreach {
                let (variable, _) =
                    parse_foreach(foreach).map_err(|m| src.invalid(&path.key("foreach"), m))?;
                self.add(variable);
            }
            for (key, children) in [
                ("do", &step.do_steps),
                ("then", &step.then),
                ("else", &step.else_steps),
                ("once", &step.once),
            ] {
                if let Some(children) = children {
                    self.add_steps(children, &path.key(key), src)?;
                }
            }
        }
        Ok(())
    }

    fn defines(&self, name: &str) -> bool {
        if self.names.iter().any(|n| n == name) {
            return true;
        }
        self.lists.iter().any(|list| {
            name.strip_prefix(list.as_str())
                .and_then(|rest| rest.strip_prefix('_'))
                .is_some_and(|suffix| {
                    suffix == "matchNr"
                        || !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
                })
        })
    }

    /// `template` (the value of `field`) as it runs: a variable nothing defines is an error
    /// saying what is defined, or, under [`UnknownVariables::KeepLiteral`], text as written,
    /// noted once per field.
    fn resolve(&self, template: &Template, field: &FieldPath) -> Result<Template, String> {
        let Some(unknown) = template.variables().find(|v| !self.defines(v)) else {
            return Ok(template.clone());
        };
        if self.unknown == UnknownVariables::Refuse {
            return Err(self.unknown(unknown));
        }
        let value = self.keep_unknown(template);
        let mut literals = self.literals.borrow_mut();
        for name in template.variables().filter(|v| !self.defines(v)) {
            if !literals.iter().any(|l| l.field == *field && l.name == name) {
                literals.push(LiteralVariable {
                    field: field.clone(),
                    name: name.to_string(),
                    value: value.clone(),
                });
            }
        }
        Ok(value)
    }

    /// `template` with the variables nothing defines written as text (none under `Refuse`,
    /// where [`Variables::resolve`] has refused them).
    fn keep_unknown(&self, template: &Template) -> Template {
        template.with_literal_variables(&|name| !self.defines(name))
    }

    fn check_condition(&self, condition: &Condition) -> Result<(), String> {
        match condition.variables().find(|v| !self.defines(v)) {
            Some(unknown) => Err(self.unknown(unknown)),
            None => Ok(()),
        }
    }

    fn unknown(&self, unknown: &str) -> String {
        if let Some((base, _)) = unknown.rsplit_once('_').filter(|(base, suffix)| {
            self.names.iter().any(|n| n == base)
                && (*suffix == "matchNr" || suffix.bytes().all(|b| b.is_ascii_digit()))
        }) {
            return format!(
                "unknown variable `${{{unknown}}}`: `{base}` is defined, but only an extractor \
                 with `match: all` also sets `{base}_1` … `{base}_N` and `{base}_matchNr`"
            );
        }
        if self.names.is_empty() {
            return format!(
                "unknown variable `${{{unknown}}}`: nothing in the plan defines it; add it under \
                 `variables:`, as a CSV column under `data:`, with `set-variables` or an \
                 `extract`, or write `$${{{unknown}}}` for a literal `${{{unknown}}}`"
            );
        }
        let available = self
            .names
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        match closest(unknown, self.names.iter().map(String::as_str)) {
            Some(hint) => format!(
                "unknown variable `${{{unknown}}}`, did you mean `${{{hint}}}`? The plan defines {available}"
            ),
            None => format!("unknown variable `${{{unknown}}}`: the plan defines {available}"),
        }
    }
}

/// `foreach: id in ids` as (`id`, `ids`).
fn parse_foreach(text: &str) -> Result<(&str, &str), String> {
    let mut words = text.split_whitespace();
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some(variable), Some("in"), Some(list), None) => {
            check_variable_name(variable)?;
            check_variable_name(list)?;
            Ok((variable, list))
        }
        _ => Err(format!(
            "expected `VARIABLE in LIST`, like `id in ids` (LIST_1 … LIST_N, as an extractor \
             with `match: all` sets them), found `{text}`"
        )),
    }
}

/// The keys of a step as written, to tell which kind it is and what does not belong.
fn present_keys(raw: &RawStep) -> Vec<&'static str> {
    let flags = [
        ("label", raw.label.is_some()),
        ("method", raw.method.is_some()),
        ("url", raw.url.is_some()),
        ("headers", !raw.headers.0.is_empty()),
        ("body", raw.body.is_some()),
        ("body-file", raw.body_file.is_some()),
        ("timeout", raw.timeout.is_some()),
        ("think-time", raw.think_time.is_some()),
        ("extract", !raw.extract.0.is_empty()),
        ("assert", raw.assert.is_some()),
        ("follow-redirects", raw.follow_redirects.is_some()),
        ("keepalive", raw.keepalive.is_some()),
        ("transaction", raw.transaction.is_some()),
        ("include-pauses", raw.include_pauses.is_some()),
        ("do", raw.do_steps.is_some()),
        ("if", raw.if_condition.is_some()),
        ("then", raw.then.is_some()),
        ("else", raw.else_steps.is_some()),
        ("loop", raw.loop_count.is_some()),
        ("while", raw.while_condition.is_some()),
        ("max-iterations", raw.max_iterations.is_some()),
        ("foreach", raw.foreach.is_some()),
        ("once", raw.once.is_some()),
        ("include-scenario", raw.include_scenario.is_some()),
        ("set-variables", raw.set_variables.is_some()),
        ("pause", raw.pause.is_some()),
    ];
    flags
        .iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| *k)
        .collect()
}

/// Each kind of step: the key that makes it, and every key it accepts.
const STEP_KINDS: [(&str, &[&str]); 10] = [
    (
        "url",
        &[
            "label",
            "method",
            "url",
            "headers",
            "body",
            "body-file",
            "timeout",
            "think-time",
            "extract",
            "assert",
            "follow-redirects",
            "keepalive",
        ],
    ),
    ("transaction", &["transaction", "include-pauses", "do"]),
    ("if", &["if", "then", "else"]),
    ("loop", &["loop", "do"]),
    ("while", &["while", "max-iterations", "do"]),
    ("foreach", &["foreach", "do"]),
    ("once", &["once"]),
    ("include-scenario", &["include-scenario"]),
    ("set-variables", &["set-variables"]),
    ("pause", &["pause"]),
];

/// Builds the steps of every scenario: blocks, included scenarios, `once` ids.
struct StepContext<'a> {
    requests: &'a RequestContext<'a>,
    /// The scenarios as written, for `include-scenario`.
    scenarios: &'a [RawScenario],
    next_once: Cell<usize>,
}

impl StepContext<'_> {
    fn scenario(
        &self,
        raw: &RawScenario,
        path: &FieldPath,
        earlier: &[Scenario],
    ) -> Result<Scenario, PlanError> {
        let src = self.requests.src;
        if earlier.iter().any(|s| s.name == raw.name) {
            return Err(src.invalid(
                &path.key("name"),
                format!(
                    "scenario name `{}` is used twice; names must be unique",
                    raw.name
                ),
            ));
        }
        let weight = raw.weight.unwrap_or(1);
        if weight > crate::limits::MAX_WEIGHT {
            return Err(src.invalid(
                &path.key("weight"),
                format!(
                    "weight {weight} is more than the maximum of {}: weights are \
                     relative, so give smaller numbers in the same proportion",
                    crate::limits::MAX_WEIGHT
                ),
            ));
        }
        let behaviour = Behaviour {
            follow_redirects: raw.follow_redirects,
            keepalive: raw.keepalive,
            think_time: raw.think_time,
        };
        let mut including = vec![raw.name.clone()];
        let mut steps = |key: &str, list: &[RawStep], required: bool| {
            if list.is_empty() && !required {
                return Ok(Vec::new());
            }
            self.build_list(list, &path.key(key), &behaviour, &mut including)
        };
        Ok(Scenario {
            name: raw.name.clone(),
            weight,
            store_cookie: raw
                .store_cookie
                .or(self.requests.defaults.store_cookie)
                .unwrap_or(false),
            variables: variable_list(&raw.variables, &path.key("variables"), self.requests)?,
            setup: steps("setup", &raw.setup, false)?,
            steps: steps("requests", &raw.requests, true)?,
            teardown: steps("teardown", &raw.teardown, false)?,
            pacing: raw.pacing,
        })
    }

    fn is_included(&self, name: &str) -> bool {
        fn includes(steps: &[RawStep], name: &str) -> bool {
            steps.iter().any(|step| {
                step.include_scenario.as_deref() == Some(name)
                    || [&step.do_steps, &step.then, &step.else_steps, &step.once]
                        .into_iter()
                        .flatten()
                        .any(|children| includes(children, name))
            })
        }
        self.scenarios.iter().any(|s| {
            s.name != name
                && [&s.setup, &s.requests, &s.teardown]
                    .into_iter()
                    .any(|steps| includes(steps, name))
        })
    }

    /// A non-empty list of steps at `path` (included scenarios spliced in).
    fn build_list(
        &self,
        raws: &[RawStep],
        path: &FieldPath,
        behaviour: &Behaviour,
        including: &mut Vec<String>,
    ) -> Result<Vec<Step>, PlanError> {
        if raws.is_empty() {
            return Err(self.requests.src.invalid(
                path,
                "no requests: add at least one request (a mapping with `url:`) or block",
            ));
        }
        let mut steps = Vec::with_capacity(raws.len());
        for (i, raw) in raws.iter().enumerate() {
            steps.extend(self.step(raw, &path.index(i), behaviour, including)?);
        }
        Ok(steps)
    }

    fn step(
        &self,
        raw: &RawStep,
        path: &FieldPath,
        behaviour: &Behaviour,
        including: &mut Vec<String>,
    ) -> Result<Vec<Step>, PlanError> {
        let src = self.requests.src;
        let keys = present_keys(raw);
        let kinds: Vec<&(&str, &[&str])> = STEP_KINDS
            .iter()
            .filter(|(key, _)| keys.contains(key))
            .collect();
        let (kind, allowed) = match kinds.as_slice() {
            [] if keys.iter().any(|k| STEP_KINDS[0].1.contains(k)) => {
                return Err(src.invalid(
                    path,
                    "missing field `url`: a request needs the URL to send to",
                ))
            }
            [] => {
                return Err(src.invalid(
                    path,
                    "a step needs `url:` (a request) or one of the block keys `transaction`, \
                     `if`, `loop`, `while`, `foreach`, `once`, `include-scenario`, \
                     `set-variables`, `pause`",
                ))
            }
            [one] => **one,
            [first, second, ..] => {
                return Err(src.invalid(
                    &path.key(second.0),
                    format!(
                        "a step is one thing: `{}` and `{}` cannot be in the same step; put \
                         them in separate steps",
                        first.0, second.0
                    ),
                ))
            }
        };
        if let Some(stray) = keys.iter().find(|k| !allowed.contains(k)) {
            let name = if kind == "url" { "request" } else { kind };
            let accepted = allowed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(src.invalid(
                &path.key(stray),
                format!("`{stray}` does not belong in a `{name}` step, which takes {accepted}"),
            ));
        }
        let mut children = |key: &str, list: &Option<Vec<RawStep>>| match list {
            Some(list) => self.build_list(list, &path.key(key), behaviour, including),
            None => Err(src.invalid(
                &path.key(key),
                format!("a `{kind}` block needs `{key}:`, the list of steps it runs"),
            )),
        };
        let condition = |key: &str, text: &str| -> Result<Condition, PlanError> {
            let condition = Condition::parse(text).map_err(|m| src.invalid(&path.key(key), m))?;
            self.requests
                .variables
                .check_condition(&condition)
                .map_err(|m| src.invalid(&path.key(key), m))?;
            Ok(condition)
        };
        Ok(vec![match kind {
            "url" => Step::Request(Box::new(self.requests.request(raw, path, behaviour)?)),
            "transaction" => Step::Transaction {
                name: raw.transaction.clone().unwrap_or_default(),
                include_pauses: raw.include_pauses.unwrap_or(true),
                steps: children("do", &raw.do_steps)?,
            },
            "if" => {
                let condition = condition("if", raw.if_condition.as_deref().unwrap_or_default())?;
                let then = children("then", &raw.then)?;
                let otherwise = match &raw.else_steps {
                    Some(_) => children("else", &raw.else_steps)?,
                    None => Vec::new(),
                };
                Step::If {
                    condition,
                    then,
                    otherwise,
                }
            }
            "loop" => {
                let count = raw
                    .loop_count
                    .map(|c| c.0)
                    .unwrap_or(super::LoopCount::Times(1));
                let steps = children("do", &raw.do_steps)?;
                if count == super::LoopCount::Forever && !sends_or_waits(&steps) {
                    return Err(src.invalid(
                        &path.key("loop"),
                        "`loop: forever` has no request or pause inside, so it would spin \
                         until the run ends; add a request or a `pause` to its `do:`",
                    ));
                }
                Step::Loop { count, steps }
            }
            "while" => {
                let condition =
                    condition("while", raw.while_condition.as_deref().unwrap_or_default())?;
                let max_iterations = raw
                    .max_iterations
                    .unwrap_or(crate::limits::DEFAULT_WHILE_ITERATIONS);
                if !(1..=crate::limits::MAX_WHILE_ITERATIONS).contains(&max_iterations) {
                    return Err(src.invalid(
                        &path.key("max-iterations"),
                        format!(
                            "max-iterations must be from 1 to {}, found {max_iterations}",
                            crate::limits::MAX_WHILE_ITERATIONS
                        ),
                    ));
                }
                Step::While {
                    condition,
                    max_iterations,
                    steps: children("do", &raw.do_steps)?,
                }
            }
            "foreach" => {
                let text = raw.foreach.as_deref().unwrap_or_default();
                let (variable, list) =
                    parse_foreach(text).map_err(|m| src.invalid(&path.key("foreach"), m))?;
                let variables = self.requests.variables;
                if !variables.lists.iter().any(|l| l == list)
                    && !variables.defines(&format!("{list}_1"))
                {
                    let hint = closest(list, variables.lists.iter().map(String::as_str))
                        .map(|h| format!(", did you mean `{h}`?"))
                        .unwrap_or_else(|| {
                            ": give the name of an extractor with `match: all`".into()
                        });
                    return Err(src.invalid(
                        &path.key("foreach"),
                        format!("no list `{list}` (`{list}_1`, `{list}_2`, …) is defined{hint}"),
                    ));
                }
                Step::Foreach {
                    variable: variable.to_string(),
                    list: list.to_string(),
                    steps: children("do", &raw.do_steps)?,
                }
            }
            "once" => {
                let id = self.next_once.get();
                self.next_once.set(id + 1);
                Step::Once {
                    id,
                    steps: children("once", &raw.once)?,
                }
            }
            "include-scenario" => {
                let name = raw.include_scenario.as_deref().unwrap_or_default();
                return self.include(name, &path.key("include-scenario"), including);
            }
            "set-variables" => Step::SetVariables(variable_list(
                raw.set_variables.as_ref().unwrap_or(&Entries::default()),
                &path.key("set-variables"),
                self.requests,
            )?),
            "pause" => Step::Pause(raw.pause.unwrap_or(ThinkTime::Fixed(Default::default()))),
            other => unreachable!("step kind {other} is in STEP_KINDS"),
        }])
    }

    /// The `requests` steps of scenario `name`, built in place of the `include-scenario` step,
    /// with that scenario's own behaviour (redirects, keep-alive, think time).
    fn include(
        &self,
        name: &str,
        path: &FieldPath,
        including: &mut Vec<String>,
    ) -> Result<Vec<Step>, PlanError> {
        let src = self.requests.src;
        let Some(index) = self.scenarios.iter().position(|s| s.name == name) else {
            let names = self.scenarios.iter().map(|s| s.name.as_str());
            let message = match closest(name, names.clone()) {
                Some(hint) => format!("no scenario is named `{name}`, did you mean `{hint}`?"),
                None if self.scenarios.is_empty() => format!(
                    "no scenario is named `{name}`: `include-scenario` needs a `scenarios:` list"
                ),
                None => format!(
                    "no scenario is named `{name}`; the scenarios are {}",
                    names
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(src.invalid(path, message));
        };
        if including.iter().any(|n| n == name) {
            return Err(src.invalid(
                path,
                format!(
                    "including `{name}` here makes a cycle: {} → {name}; a scenario cannot \
                     include itself, directly or through others",
                    including.join(" → ")
                ),
            ));
        }
        if including.len() > crate::limits::MAX_INCLUDE_DEPTH {
            return Err(src.invalid(
                path,
                format!(
                    "scenarios are included more than {} deep",
                    crate::limits::MAX_INCLUDE_DEPTH
                ),
            ));
        }
        let included = &self.scenarios[index];
        let behaviour = Behaviour {
            follow_redirects: included.follow_redirects,
            keepalive: included.keepalive,
            think_time: included.think_time,
        };
        including.push(name.to_string());
        let steps = self.build_list(
            &included.requests,
            &FieldPath::root()
                .key("scenarios")
                .index(index)
                .key("requests"),
            &behaviour,
            including,
        );
        including.pop();
        steps
    }
}

/// What every request is built against.
struct RequestContext<'a> {
    src: &'a Source<'a>,
    plan_dir: &'a Path,
    base_url: Option<&'a str>,
    embedded_target: bool,
    defaults: &'a RawDefaults,
    variables: &'a Variables,
}

impl RequestContext<'_> {
    fn request(
        &self,
        raw: &RawStep,
        path: &FieldPath,
        scenario: &Behaviour,
    ) -> Result<RequestSpec, PlanError> {
        let invalid = |field: &str, message: String| self.src.invalid(&path.key(field), message);
        let method = raw.method.clone().unwrap_or(http::Method::GET);
        let raw_url = raw.url.clone().unwrap_or_else(|| Template::literal(""));
        let label = raw
            .label
            .clone()
            .unwrap_or_else(|| format!("{method} {}", label_path(&raw_url.to_string())));

        self.variables
            .resolve(&raw_url, &path.key("url"))
            .map_err(|m| invalid("url", m))?;
        // The shape is checked as if every variable had a value: a URL kept as written that
        // cannot be sent (`http://${HOST}/`) fails each request, as it does in JMeter.
        let url = self.resolve_url(&raw_url).map_err(|m| invalid("url", m))?;
        let url = self.variables.keep_unknown(&url);

        let mut headers = self.headers(
            &self.defaults.headers.0,
            &FieldPath::root().key("defaults").key("headers"),
        )?;
        for (name, value) in self.headers(&raw.headers.0, &path.key("headers"))? {
            headers.retain(|(existing, _)| *existing != name);
            headers.push((name, value));
        }

        let body = match (&raw.body, &raw.body_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "body-file",
                    "give either `body:` or `body-file:`, not both".into(),
                ))
            }
            (Some(body), None) => Some(
                self.variables
                    .resolve(body, &path.key("body"))
                    .map_err(|m| invalid("body", m))?,
            ),
            (None, Some(file)) => Some(
                self.body_file(file, &path.key("body-file"))
                    .map_err(|m| invalid("body-file", m))?,
            ),
            (None, None) => None,
        };

        let extractors = raw
            .extract
            .0
            .iter()
            .map(|(name, extractor)| {
                let field = path.key("extract").key(name);
                check_variable_name(name).map_err(|m| self.src.invalid(&field, m))?;
                extractor_spec(name, extractor).map_err(|(key, m)| {
                    self.src
                        .invalid(&key.map_or(field.clone(), |k| field.key(k)), m)
                })
            })
            .collect::<Result<Vec<_>, PlanError>>()?;
        let assertions = match &raw.assert {
            Some(assert) => self.assertions(assert, &path.key("assert"))?,
            None => Assertions::default(),
        };

        Ok(RequestSpec {
            label,
            method,
            url,
            headers,
            body,
            timeout: raw.timeout.or(self.defaults.timeout),
            think_time: raw.think_time.or(scenario.think_time),
            extractors,
            assertions,
            follow_redirects: raw
                .follow_redirects
                .or(scenario.follow_redirects)
                .or(self.defaults.follow_redirects)
                .flatten(),
            keepalive: raw
                .keepalive
                .or(scenario.keepalive)
                .or(self.defaults.keepalive)
                .unwrap_or(true),
        })
    }

    /// The checks of `assert:`, in the documented order: status, body-*, text, jsonpath,
    /// xpath, header, max-time.
    fn assertions(&self, raw: &RawAssert, path: &FieldPath) -> Result<Assertions, PlanError> {
        let invalid = |field: FieldPath, message: String| self.src.invalid(&field, message);
        let check = |kind: CheckKind, negate: bool| Check { kind, negate };
        let mut checks = Vec::new();
        for (texts, negate) in [(&raw.body_contains, false), (&raw.body_not_contains, true)] {
            checks.extend(texts.iter().map(|text| {
                check(
                    CheckKind::Contains {
                        subject: Default::default(),
                        text: text.clone(),
                    },
                    negate,
                )
            }));
        }
        for (regexes, negate) in [(&raw.body_matches, false), (&raw.body_not_matches, true)] {
            checks.extend(regexes.iter().map(|regex| {
                check(
                    CheckKind::Matches {
                        subject: Default::default(),
                        regex: regex.0.clone(),
                    },
                    negate,
                )
            }));
        }
        for (i, text) in raw.text.iter().enumerate() {
            let negate = text.negate.unwrap_or(false);
            let kind = match (&text.contains, &text.matches) {
                (Some(contains), None) => CheckKind::Contains {
                    subject: text.subject,
                    text: contains.clone(),
                },
                (None, Some(regex)) => CheckKind::Matches {
                    subject: text.subject,
                    regex: regex.0.clone(),
                },
                _ => {
                    return Err(invalid(
                        path.key("text").index(i),
                        "a text check needs exactly one of `contains:` and `matches:`".into(),
                    ))
                }
            };
            checks.push(check(kind, negate));
        }
        for (i, json) in raw.jsonpath.iter().enumerate() {
            let json = &json.0;
            let field = path.key("jsonpath").index(i);
            let null = json.null == Some(true);
            let expect = match (&json.equals, &json.matches, null) {
                (None, None, false) => JsonExpect::Exists,
                (Some(value), None, false) => JsonExpect::Equals(value.clone()),
                (None, Some(regex), false) => JsonExpect::Matches(RegexText(
                    whole_match(&regex.0).map_err(|m| invalid(field.key("matches"), m))?,
                )),
                (None, None, true) => JsonExpect::Null,
                _ => {
                    return Err(invalid(
                        field,
                        "a JSONPath check takes at most one of `equals:`, `matches:` and \
                         `null: true`"
                            .into(),
                    ))
                }
            };
            checks.push(check(
                CheckKind::JsonPath {
                    path: json.path.path.clone(),
                    text: json.path.text.clone(),
                    expect,
                },
                json.negate.unwrap_or(false),
            ));
        }
        for xpath in &raw.xpath {
            let xpath = &xpath.0;
            checks.push(check(
                CheckKind::XPath(xpath_query(
                    &xpath.path,
                    xpath.html,
                    xpath.ignore_whitespace,
                    &xpath.namespaces,
                )),
                xpath.negate.unwrap_or(false),
            ));
        }
        for (name, expect) in &raw.header.0 {
            let field = path.key("header").key(name);
            let header = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                invalid(
                    field.clone(),
                    format!(
                        "`{name}` is not a valid header name: use letters, digits and `-`, \
                         like X-Request-Id"
                    ),
                )
            })?;
            let expect = text_expect(expect).map_err(|m| invalid(field, m))?;
            checks.push(check(
                CheckKind::Header {
                    name: header,
                    expect,
                },
                false,
            ));
        }
        if let Some(max) = raw.max_time {
            checks.push(check(CheckKind::MaxResponseTime(max), false));
        }
        Ok(Assertions {
            status: raw
                .status
                .iter()
                .map(|&(low, high)| StatusRange { low, high })
                .collect(),
            assume_success: raw.assume_success.unwrap_or(false),
            checks,
        })
    }

    /// Joins a relative URL to the base and checks the result's shape.
    fn resolve_url(&self, url: &Template) -> Result<Template, String> {
        if !is_relative(url) {
            if !url.starts_with_variable() {
                check_url(&url.render_with(PLACEHOLDER))?;
            }
            return Ok(url.clone());
        }
        match self.base_url {
            Some(base) => {
                let joined = join(base, url);
                check_url(&joined.render_with(PLACEHOLDER))?;
                Ok(joined)
            }
            None if self.embedded_target => {
                // The embedded target's port is known only at run time; check the shape now.
                check_url(&join("http://127.0.0.1:1", url).render_with(PLACEHOLDER))?;
                Ok(url.clone())
            }
            None => Err(format!(
                "relative URL `{url}` needs a base: add `base-url: http://host:port` to the \
                 plan, or `target: embedded` to test the built-in target"
            )),
        }
    }

    fn headers(
        &self,
        raw: &[(String, Template)],
        path: &FieldPath,
    ) -> Result<Vec<(http::HeaderName, Template)>, PlanError> {
        raw.iter()
            .map(|(name, value)| {
                let field = path.key(name);
                let header = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    self.src.invalid(
                        &field,
                        format!(
                            "`{name}` is not a valid header name: use letters, digits and \
                             `-`, like X-Request-Id"
                        ),
                    )
                })?;
                let value = self
                    .variables
                    .resolve(value, &field)
                    .map_err(|m| self.src.invalid(&field, m))?;
                http::HeaderValue::from_str(&value.render_with(PLACEHOLDER)).map_err(|_| {
                    self.src.invalid(
                        &field,
                        "the header value has characters HTTP headers cannot carry (like a \
                         line break)",
                    )
                })?;
                Ok((header, value))
            })
            .collect()
    }

    fn body_file(&self, file: &Path, field: &FieldPath) -> Result<Template, String> {
        let resolved: PathBuf = self.plan_dir.join(file);
        let text = read_body_file(&resolved).map_err(|err| {
            format!(
                "cannot read body file {}: {err} (relative paths start at the plan file's \
                 directory)",
                resolved.display()
            )
        })?;
        let body = Template::parse(&text)
            .map_err(|err| format!("in body file {}: {err}", resolved.display()))?;
        self.variables
            .resolve(&body, field)
            .map_err(|m| format!("in body file {}: {m}", resolved.display()))
    }
}

/// `regex` anchored at both ends, for checks that match a whole text.
fn whole_match(regex: &regex::Regex) -> Result<regex::Regex, String> {
    compile_regex(&format!("^(?:{})$", regex.as_str()))
}

fn text_expect(raw: &RawTextExpect) -> Result<Option<TextExpect>, String> {
    match (&raw.contains, &raw.equals, &raw.matches) {
        (None, None, None) => Ok(None),
        (Some(text), None, None) => Ok(Some(TextExpect::Contains(text.clone()))),
        (None, Some(text), None) => Ok(Some(TextExpect::Equals(text.clone()))),
        (None, None, Some(regex)) => Ok(Some(TextExpect::Matches(RegexText(regex.0.clone())))),
        _ => Err("give at most one of `contains:`, `equals:` and `matches:`".into()),
    }
}

/// An extractor from its YAML; the error names the key at fault (`None`: the extractor).
fn extractor_spec(
    variable: &str,
    raw: &RawExtractor,
) -> Result<Extractor, (Option<&'static str>, String)> {
    let sources = [
        ("jsonpath", raw.jsonpath.is_some()),
        ("regexp", raw.regexp.is_some()),
        ("left", raw.left.is_some() || raw.right.is_some()),
        ("header", raw.header.is_some()),
        ("cookie", raw.cookie.is_some()),
        ("xpath", raw.xpath.is_some()),
        ("css", raw.css.is_some()),
    ];
    let given: Vec<&str> = sources
        .iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| *k)
        .collect();
    if given.len() != 1 {
        return Err((
            None,
            "an extractor needs exactly one of `jsonpath`, `regexp`, `left`+`right` (a \
             boundary), `header`, `cookie`, `xpath` and `css`"
                .into(),
        ));
    }
    let kind = given[0];
    let takes_subject = matches!(kind, "regexp" | "left");
    if raw.from.is_some() && !takes_subject {
        return Err((
            Some("from"),
            "`from:` is for `regexp` and boundary (`left`/`right`) extractors".into(),
        ));
    }
    if raw.group.is_some() && kind != "regexp" {
        return Err((Some("group"), "`group:` is for `regexp` extractors".into()));
    }
    let xpath_only = [
        ("html", raw.html.is_some()),
        ("ignore-whitespace", raw.ignore_whitespace.is_some()),
        ("namespaces", !raw.namespaces.0.is_empty()),
    ];
    if let Some((key, _)) = xpath_only.iter().find(|(_, on)| *on && kind != "xpath") {
        return Err((Some(key), format!("`{key}:` is for `xpath` extractors")));
    }
    if raw.attribute.is_some() && kind != "css" {
        return Err((
            Some("attribute"),
            "`attribute:` is for `css` extractors".into(),
        ));
    }
    if let Some(name) = &raw.from_variable {
        check_variable_name(name).map_err(|m| (Some("from-variable"), m))?;
        if matches!(kind, "header" | "cookie") {
            return Err((
                Some("from-variable"),
                "`from-variable:` replaces the body, and header and cookie extractors do not \
                 read it"
                    .into(),
            ));
        }
        if raw.from.is_some_and(|subject| subject != Subject::Body) {
            return Err((
                Some("from-variable"),
                "`from-variable:` replaces the body: give either it or `from:`, not both".into(),
            ));
        }
    }
    let subject = raw.from.unwrap_or_default();
    let source = match kind {
        "jsonpath" => {
            let field = raw.jsonpath.clone().expect("given");
            ExtractSource::JsonPath {
                path: field.path,
                text: field.text,
            }
        }
        "regexp" => {
            let regex = raw.regexp.clone().expect("given").0;
            let groups = regex.captures_len() - 1;
            let group = raw.group.unwrap_or(usize::from(groups > 0));
            if group > groups {
                return Err((
                    Some("group"),
                    format!(
                        "group {group} does not exist: the regexp has {groups} group(s) \
                         (0 is the whole match)"
                    ),
                ));
            }
            ExtractSource::Regex {
                regex,
                group,
                subject,
            }
        }
        "left" => match (&raw.left, &raw.right) {
            (Some(left), Some(right)) => ExtractSource::Boundary {
                left: left.clone(),
                right: right.clone(),
                subject,
            },
            (None, _) => return Err((None, "a boundary extractor needs `left:` too".into())),
            (_, None) => return Err((None, "a boundary extractor needs `right:` too".into())),
        },
        "header" => {
            let name = raw.header.as_deref().unwrap_or_default();
            ExtractSource::Header(http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                (
                    Some("header"),
                    format!("`{name}` is not a valid header name"),
                )
            })?)
        }
        "xpath" => ExtractSource::XPath(xpath_query(
            raw.xpath.as_ref().expect("given"),
            raw.html,
            raw.ignore_whitespace,
            &raw.namespaces,
        )),
        "css" => {
            let field = raw.css.clone().expect("given");
            ExtractSource::Css {
                selector: field.selector,
                text: field.text,
                attribute: raw.attribute.clone().filter(|a| !a.is_empty()),
            }
        }
        _ => ExtractSource::Cookie(raw.cookie.clone().unwrap_or_default()),
    };
    Ok(Extractor {
        variable: variable.to_string(),
        source,
        matches: raw.match_no.map_or(MatchNo::Nth(1), |m| m.0),
        default: raw.default.clone(),
        from_variable: raw.from_variable.clone(),
    })
}

/// The XPath query of an extractor or a check, from its keys.
fn xpath_query(
    xpath: &XPathField,
    html: Option<bool>,
    ignore_whitespace: Option<bool>,
    namespaces: &Entries<String>,
) -> XPathQuery {
    XPathQuery {
        text: xpath.0.clone(),
        document: DocumentKind {
            html: html.unwrap_or(false),
            ignore_whitespace: ignore_whitespace.unwrap_or(false),
        },
        namespaces: namespaces.0.clone(),
    }
}

/// A body file's text: a regular file of at most [`crate::limits::MAX_BODY_BYTES`], so that a
/// device or a pipe (`/dev/zero`) cannot make the loader read forever.
fn read_body_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let max = crate::limits::MAX_BODY_BYTES;
    let too_big = || {
        Error::new(
            ErrorKind::InvalidData,
            format!("it is larger than the maximum body of {} MiB", max >> 20),
        )
    };
    if !std::fs::metadata(path)?.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// The path part of a URL as written, for default labels: `/fast` for
/// `http://host/fast?user=${user}`.
fn label_path(url: &str) -> &str {
    let without_origin = match url.split_once("://") {
        Some((scheme, rest)) if is_scheme(scheme) => rest.find('/').map_or("/", |i| &rest[i..]),
        _ => url,
    };
    without_origin
        .split(['?', '#'])
        .next()
        .unwrap_or(without_origin)
}

fn is_scheme(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// A URL is relative unless it starts with `scheme://` or with a variable (which may hold a
/// whole URL, so it is taken as absolute and checked at run time).
pub(super) fn is_relative(url: &Template) -> bool {
    if url.starts_with_variable() {
        return false;
    }
    !matches!(url.leading_literal().split_once("://"), Some((scheme, _)) if is_scheme(scheme))
}

/// `base` + `url` by concatenation, with exactly one `/` between them, so a base path is kept:
/// `http://h/api` + `/users` is `http://h/api/users`.
pub(super) fn join(base: &str, url: &Template) -> Template {
    let base = base.trim_end_matches('/');
    let literal = url.leading_literal();
    if literal.starts_with('/') || literal.starts_with('?') || literal.is_empty() && url.is_static()
    {
        url.prefixed(base)
    } else {
        url.prefixed(&format!("{base}/"))
    }
}

/// Checks a `base-url:` and returns it without a trailing `/`.
pub(super) fn check_base_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    check_url(trimmed)?;
    if trimmed.contains(['?', '#']) {
        return Err(format!(
            "base URL `{url}` has a query or fragment; give only scheme, host, port and path"
        ));
    }
    Ok(trimmed.to_string())
}

/// Checks that `url` is an absolute http or https URL with a host.
fn check_url(url: &str) -> Result<(), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|err| format!("`{url}` is not a valid URL: {err}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(format!(
                "`{url}` uses scheme `{other}`: only http and https are supported"
            ))
        }
        None => {
            return Err(format!(
                "`{url}` is not an absolute URL: it should look like http://host:port/path"
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("`{url}` has no host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    #[test]
    fn labels_use_the_path_without_query() {
        assert_eq!(label_path("/fast?user=${user}"), "/fast");
        assert_eq!(label_path("http://h:1/a/b#x"), "/a/b");
        assert_eq!(label_path("https://example.com"), "/");
    }

    #[test]
    fn relative_and_absolute_urls() {
        assert!(is_relative(&t("/fast")));
        assert!(is_relative(&t("fast/${id}")));
        assert!(!is_relative(&t("http://h/fast")));
        assert!(!is_relative(&t("${url}")));
    }

    #[test]
    fn join_keeps_one_slash_and_the_base_path() {
        let row = super::super::Row::from_pairs([("id", "7")]);
        assert_eq!(
            join("http://h/api/", &t("/u/${id}")).render(&row),
            "http://h/api/u/7"
        );
        assert_eq!(join("http://h/api", &t("u")).render(&row), "http://h/api/u");
        assert_eq!(join("http://h", &t("?q=1")).render(&row), "http://h?q=1");
        assert_eq!(join("http://h", &t("")).render(&row), "http://h");
    }

    #[test]
    fn url_checks() {
        assert!(check_url("http://127.0.0.1:8080/x?y=1").is_ok());
        assert!(check_url("ftp://h/x").unwrap_err().contains("scheme `ftp`"));
        assert!(check_url("/x").unwrap_err().contains("not an absolute URL"));
        assert!(check_url("http://h/a b")
            .unwrap_err()
            .contains("not a valid URL"));
        assert_eq!(check_base_url("http://h:1/api/").unwrap(), "http://h:1/api");
        assert!(check_base_url("http://h/?x=1").is_err());
    }
}
