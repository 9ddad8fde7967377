//! A Taurus config file: its executions, each with its load and scenario, the `-o` overrides
//! laid over it, and the passfail criteria, as plans vajra runs.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::criteria;
use super::env;
use super::load::{self, LoadKeyError, TaurusLoad, LOAD_KEYS};
use super::overrides;
use super::scenario::{plan_from_scenario, Mapped};
use super::value::{is_set, short, Taurus};
use crate::build::{build_with, LiteralVariable, UnknownVariables};
use crate::error::{closest, Source};
use crate::locate::{locate, FieldPath};
use crate::{Plan, PlanError, PlanWarning};

/// Executors whose `requests` scenarios vajra runs as they are.
pub const EXECUTORS: [&str; 2] = ["jmeter", "vajra"];

/// The keys of an execution besides its load keys ([`LOAD_KEYS`]), which come between the two
/// halves in messages, as Taurus documents them.
const EXECUTION_KEYS_BEFORE_LOAD: [&str; 2] = ["executor", "scenario"];
const EXECUTION_KEYS_AFTER_LOAD: [&str; 4] =
    ["locations", "locations-weighted", "provisioning", "files"];

const EXECUTION_REJECTED: [(&str, &str); 3] = [
    ("delay", "vajra starts an execution at once; remove delay"),
    (
        "start-at",
        "vajra starts an execution at once; remove start-at",
    ),
    (
        "env",
        "vajra reads no environment for a test; put the values in variables",
    ),
];

/// Top-level sections: the test (`execution`, `scenarios`, `reporting`) and bzt's own settings,
/// which configure bzt rather than the test (an effective config that bzt wrote has them all).
const TOP_KEYS: [&str; 12] = [
    "execution",
    "scenarios",
    "reporting",
    "modules",
    "settings",
    "provisioning",
    "locations",
    "locations-weighted",
    "services",
    "included-configs",
    "cli-aliases",
    "version",
];

/// Whether `text` is a Taurus config rather than a vajra plan: it has a top-level `execution`.
pub fn is_taurus_config(text: &str) -> bool {
    crate::yaml::read_plain::<Value>(text)
        .ok()
        .and_then(|v| v.as_object().map(|m| m.contains_key("execution")))
        .unwrap_or(false)
}

/// A Taurus config, read and with its overrides applied.
#[derive(Debug, Clone)]
pub struct TaurusConfig {
    path: PathBuf,
    text: String,
    root: Value,
    overrides: Vec<String>,
}

/// One execution of a Taurus config, ready to run.
#[derive(Debug, Clone)]
pub struct TaurusExecution {
    /// Its index in `execution:`.
    pub index: usize,
    /// The scenario's name (`execution-N` for an inline scenario).
    pub scenario: String,
    /// The plan to run: the scenario's (or the script's) requests, with `load` set from the
    /// execution and `thresholds` from the passfail criteria (after the script plan's own).
    pub plan: Plan,
    /// The execution's own load keys.
    pub taurus_load: TaurusLoad,
    /// The generated native plan, for a `requests` scenario (without `load` and `thresholds`,
    /// which `plan` carries).
    pub native: Option<Value>,
    /// The vajra plan a `scenario: {script: plan.yaml}` runs as it is.
    pub script: Option<PathBuf>,
    /// What the execution loads with but its author should know (a `${name}` sent as written,
    /// a key that has no effect), each at its line in the Taurus file.
    pub warnings: Vec<PlanWarning>,
}

impl TaurusConfig {
    /// Reads the config at `path` and applies `overrides` (`key=value`, as `-o` gives them).
    pub fn load(path: &Path, overrides: &[String]) -> std::result::Result<TaurusConfig, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        TaurusConfig::from_str(&text, path, overrides)
    }

    /// The config in `text`, as if read from `path`.
    pub fn from_str(
        text: &str,
        path: &Path,
        overrides: &[String],
    ) -> std::result::Result<TaurusConfig, PlanError> {
        TaurusConfig::from_str_for_run(text, path, overrides, None)
    }

    /// The config in `text`, as if read from `path`, for a run that writes its results into
    /// `artifacts_dir`: Taurus fills `${TAURUS_ARTIFACTS_DIR}` with that directory. Without
    /// one, `${TAURUS_ARTIFACTS_DIR}` is left as any other name nothing defines.
    pub fn from_str_for_run(
        text: &str,
        path: &Path,
        overrides: &[String],
        artifacts_dir: Option<&Path>,
    ) -> std::result::Result<TaurusConfig, PlanError> {
        let src = Source { file: path, text };
        // Read as plans are, so YAML errors (a repeated key, a syntax error) read the same.
        let mut root: Value = crate::yaml::read(text).map_err(|e| src.deserialize_error(e))?;
        if !root.is_object() {
            return Err(src.invalid(
                &FieldPath::root(),
                "a Taurus config is a mapping with `execution:`",
            ));
        }
        for item in overrides {
            overrides::apply(&mut root, item).map_err(|message| PlanError::Invalid {
                file: path.to_path_buf(),
                location: None,
                field: String::new(),
                message,
            })?;
        }
        // Taurus expands `settings.env` after the overrides, before anything reads the config.
        let artifacts_dir = artifacts_dir.map(|dir| dir.display().to_string());
        env::expand_settings_env(&mut root, artifacts_dir.as_deref(), &|name| {
            std::env::var(name).ok()
        });
        let config = TaurusConfig {
            path: path.to_path_buf(),
            text: text.to_owned(),
            root,
            overrides: overrides.to_vec(),
        };
        let t = config.taurus();
        t.check_keys(&FieldPath::root(), config.map(), &TOP_KEYS, &[])?;
        if let Some(included) = non_empty(config.map().get("included-configs")) {
            return Err(t.error(
                &FieldPath::root().key("included-configs"),
                format!("included configs ({}) are not read by vajra; give it one file with them merged in", short(included)),
            ));
        }
        if let Some(services) = is_set(config.map().get("services"))
            .filter(|s| s.as_array().is_none_or(|a| !a.is_empty()))
        {
            return Err(t.error(
                &FieldPath::root().key("services"),
                format!(
                    "services ({}) are not run by vajra; remove them",
                    short(services)
                ),
            ));
        }
        if config.executions() == 0 {
            return Err(t.error(
                &FieldPath::root().key("execution"),
                "the config has no execution; add at least one",
            ));
        }
        Ok(config)
    }

    fn taurus(&self) -> Taurus<'_> {
        Taurus {
            src: Source {
                file: &self.path,
                text: &self.text,
            },
            overrides: &self.overrides,
        }
    }

    fn map(&self) -> &Map<String, Value> {
        self.root.as_object().expect("checked to be a mapping")
    }

    /// The effective config (the file with the overrides applied).
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// The config file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn execution_list(&self) -> Vec<(FieldPath, &Value)> {
        let at = FieldPath::root().key("execution");
        match self.map().get("execution") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (at.index(i), v))
                .collect(),
            Some(Value::Null) | None => Vec::new(),
            Some(single) => vec![(at, single)],
        }
    }

    /// How many executions the config has.
    pub fn executions(&self) -> usize {
        self.execution_list().len()
    }

    /// The passfail criteria of `reporting`, as vajra thresholds.
    pub fn thresholds(&self) -> std::result::Result<Vec<String>, PlanError> {
        let t = self.taurus();
        let at = FieldPath::root().key("reporting");
        let Some(reporting) = is_set(self.map().get("reporting")) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (i, item) in t.list(reporting).into_iter().enumerate() {
            let at = at.index(i);
            let Some(module) = item.as_object() else {
                continue;
            };
            if module.get("module").and_then(Value::as_str) != Some("passfail") {
                continue;
            }
            if let Some(criteria) = is_set(module.get("criteria")) {
                out.extend(criteria::thresholds(&t, &at.key("criteria"), criteria)?);
            }
        }
        Ok(out)
    }

    /// Execution `index`, mapped and checked.
    pub fn execution(&self, index: usize) -> std::result::Result<TaurusExecution, PlanError> {
        match self.resolve(index, true)? {
            Resolved::Built(execution) => Ok(*execution),
            Resolved::Native(_) => unreachable!("resolve builds when asked to"),
        }
    }

    /// The native plan execution `index`'s `requests` scenario maps to, before the plan
    /// builder checks it (`None` for a `script:` scenario, which runs a vajra plan as it is).
    /// Only the Taurus side is checked here: what `vajra run` would show as the plan.
    pub fn native_plan(&self, index: usize) -> std::result::Result<Option<Value>, PlanError> {
        match self.resolve(index, false)? {
            Resolved::Native(native) => Ok(native),
            Resolved::Built(execution) => Ok(execution.native),
        }
    }

    fn resolve(&self, index: usize, build: bool) -> std::result::Result<Resolved, PlanError> {
        let t = self.taurus();
        let list = self.execution_list();
        let Some((at, execution)) = list.get(index) else {
            return Err(t.error(
                &FieldPath::root().key("execution"),
                format!(
                    "there is no execution {index}: the config has {} (numbered from 0)",
                    list.len()
                ),
            ));
        };
        let execution = t.map(
            at,
            execution,
            "an execution: a mapping with `scenario` and load keys",
        )?;
        let allowed: Vec<&str> = EXECUTION_KEYS_BEFORE_LOAD
            .into_iter()
            .chain(LOAD_KEYS)
            .chain(EXECUTION_KEYS_AFTER_LOAD)
            .collect();
        t.check_keys(at, execution, &allowed, &EXECUTION_REJECTED)?;
        if let Some(executor) = is_set(execution.get("executor")) {
            let name = t.text(&at.key("executor"), executor)?;
            if !EXECUTORS.contains(&name.as_str()) {
                return Err(t.error(
                    &at.key("executor"),
                    format!("executor `{name}` is not run by vajra: it runs the requests scenarios of executor jmeter or vajra"),
                ));
            }
        }
        let taurus_load =
            TaurusLoad::from_execution(execution).map_err(|e| load_error(&t, at, e))?;
        let mut thresholds = self.thresholds()?;
        let scenarios = is_set(self.map().get("scenarios"))
            .map(|s| {
                t.map(
                    &FieldPath::root().key("scenarios"),
                    s,
                    "a mapping of scenario names to scenarios",
                )
            })
            .transpose()?;
        let (name, scenario_at, scenario) =
            match is_set(execution.get("scenario")) {
                None => return Err(t.error(
                    &at.key("scenario"),
                    "the execution has no scenario: name one of `scenarios:`, or give it inline",
                )),
                Some(Value::String(name)) => {
                    let scenario = scenarios.and_then(|s| s.get(name)).ok_or_else(|| {
                        let hint = scenarios
                            .and_then(|s| closest(name, s.keys().map(String::as_str)))
                            .map(|h| format!("; did you mean `{h}`?"))
                            .unwrap_or_default();
                        t.error(
                            &at.key("scenario"),
                            format!(
                            "there is no scenario `{name}` under the top-level `scenarios:`{hint}"
                        ),
                        )
                    })?;
                    (
                        name.clone(),
                        FieldPath::root().key("scenarios").key(name),
                        scenario,
                    )
                }
                Some(inline) => (format!("execution-{index}"), at.key("scenario"), inline),
            };
        let scenario_map = t.map(
            &scenario_at,
            scenario,
            "a scenario: a mapping with `requests` or `script`",
        )?;
        if let Some(script) = is_set(scenario_map.get("script")) {
            let script_at = scenario_at.key("script");
            let script = t.text(&script_at, script)?;
            if let Some(extra) = scenario_map.keys().find(|k| *k != "script") {
                return Err(t.error(
                    &scenario_at.key(extra),
                    format!("`{extra}` beside `script`: a vajra plan run as it is takes its settings from the plan; move them there"),
                ));
            }
            if !script.ends_with(".yaml") && !script.ends_with(".yml") {
                return Err(t.error(
                    &script_at,
                    format!("script {script} is not a vajra plan: JMeter's .jmx scripts are out of vajra's scope; give `requests` or a vajra plan (.yaml)"),
                ));
            }
            let path = self.path.parent().unwrap_or(Path::new("")).join(&script);
            if !build {
                return Ok(Resolved::Native(None));
            }
            let mut plan = Plan::load(&path)?;
            plan.load =
                load::over_plan(&plan.load, &taurus_load).map_err(|e| load_error(&t, at, e))?;
            plan.thresholds.append(&mut thresholds);
            return Ok(Resolved::Built(Box::new(TaurusExecution {
                index,
                scenario: name,
                plan,
                taurus_load,
                native: None,
                script: Some(path),
                warnings: Vec::new(),
            })));
        }
        let properties = self
            .map()
            .get("modules")
            .and_then(|m| m.get("jmeter"))
            .and_then(|j| j.get("properties"))
            .and_then(Value::as_object);
        let Mapped {
            plan: mut native,
            trace,
            mut warnings,
        } = plan_from_scenario(&t, scenarios, &name, &scenario_at, scenario, properties)?;
        if !build {
            return Ok(Resolved::Native(Some(native)));
        }
        let yaml = serde_saphyr::to_string(&native).map_err(|e| {
            t.error(
                &scenario_at,
                format!("cannot write the generated plan: {e}"),
            )
        })?;
        // JMeter sends a `${name}` nothing defines as written; so does the plan built here.
        let built = build_with(&yaml, &self.path, UnknownVariables::KeepLiteral)
            .map_err(|e| self.remap(&trace, e))?;
        let mut plan = built.plan;
        plan.load = load::load_spec(&taurus_load, true).map_err(|e| load_error(&t, at, e))?;
        plan.thresholds = thresholds;
        for literal in &built.literals {
            warnings.push(self.literal_warning(&trace, literal));
            write_as_run(&mut native, literal);
        }
        Ok(Resolved::Built(Box::new(TaurusExecution {
            index,
            scenario: name,
            plan,
            taurus_load,
            native: Some(native),
            script: None,
            warnings,
        })))
    }

    /// The warning for a variable kept as written, at the Taurus field it came from.
    fn literal_warning(
        &self,
        trace: &[(String, FieldPath)],
        literal: &LiteralVariable,
    ) -> PlanWarning {
        let message = format!(
            "`${{{}}}` is defined nowhere; JMeter sends it as written, and so does vajra",
            literal.name
        );
        let field = literal.field.to_string();
        let (field, location, message) = match traced(trace, &field) {
            Some((taurus, rest)) => (
                taurus.to_string(),
                locate(&self.text, taurus),
                with_key(rest, message),
            ),
            None => (field, None, message),
        };
        PlanWarning {
            file: self.path.clone(),
            location,
            field,
            message,
        }
    }

    /// An error the plan builder found in the generated plan, pointed at the Taurus field the
    /// offending step or scenario came from.
    fn remap(&self, trace: &[(String, FieldPath)], error: PlanError) -> PlanError {
        let PlanError::Invalid { field, message, .. } = error else {
            return error;
        };
        match traced(trace, &field) {
            Some((taurus, rest)) => PlanError::Invalid {
                file: self.path.clone(),
                location: locate(&self.text, taurus),
                field: taurus.to_string(),
                message: with_key(rest, message),
            },
            None => PlanError::Invalid {
                file: self.path.clone(),
                location: None,
                field,
                message,
            },
        }
    }
}

/// The Taurus field the native `field` was made from (the longest traced prefix), and the rest
/// of the native path after it.
fn traced<'t, 'f>(
    trace: &'t [(String, FieldPath)],
    field: &'f str,
) -> Option<(&'t FieldPath, &'f str)> {
    trace
        .iter()
        .filter(|(native, _)| {
            field == *native
                || field
                    .strip_prefix(native.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
        .max_by_key(|(native, _)| native.len())
        .map(|(native, taurus)| (taurus, &field[native.len()..]))
}

/// `message` led by the plan key inside the step (`rest` of a traced path), as the user knows
/// it.
fn with_key(rest: &str, message: String) -> String {
    match rest.trim_start_matches('.') {
        "" => message,
        key => format!("{key}: {message}"),
    }
}

/// Writes the value a kept variable's field runs with into the generated plan, so that the plan
/// means the same loaded anywhere (a cloud engine loads it as a vajra plan, which refuses an
/// unknown `${name}`): its text reads `$${name}`. A body file's text is inlined as `body`, as
/// the file itself is copied unchanged.
fn write_as_run(native: &mut Value, literal: &LiteralVariable) {
    let text = Value::String(literal.value.to_string());
    if literal.field.last_key() == Some("body-file") {
        if let Some(Value::Object(request)) =
            literal.field.parent().and_then(|p| p.find_mut(native))
        {
            request.remove("body-file");
            request.insert("body".into(), text);
        }
    } else if let Some(value) = literal.field.find_mut(native) {
        *value = text;
    }
}

/// A value that is set and not an empty list or mapping.
fn non_empty(value: Option<&Value>) -> Option<&Value> {
    is_set(value).filter(|v| match v {
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => true,
    })
}

enum Resolved {
    Built(Box<TaurusExecution>),
    Native(Option<Value>),
}

fn load_error(t: &Taurus<'_>, at: &FieldPath, error: LoadKeyError) -> PlanError {
    debug_assert!(LOAD_KEYS.contains(&error.key));
    t.error(&at.key(error.key), error.message)
}
