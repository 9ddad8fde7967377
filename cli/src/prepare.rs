//! The plan preparation `vajra run`, `vajra validate`, `vajra package` and `vajra cloud run`
//! share: read the plan (or the executions of a Taurus config, each mapped natively by
//! `vajra_plan::taurus`), read its thresholds and `--fail-on`, refuse a threshold on a label
//! no request has, and lay the load flags over the plan's `load:`. Each command then builds
//! what it runs from the load (a local load model, or the load cloud engines carry). `vajra
//! run` and `vajra validate` take every execution of a config; the cloud commands take one.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use vajra_plan::taurus::{is_taurus_config, TaurusConfig, TaurusExecution};
use vajra_plan::{LoadSpec, Plan, PlanWarning};
use vajra_stats::threshold::Threshold;

use crate::load_flags::LoadFlags;
use crate::thresholds;

/// The flags for a Taurus config given instead of a plan.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Taurus configs")]
pub struct TaurusFlags {
    /// Run only this execution of a Taurus config, from 0 [default: `vajra run` runs every
    /// execution at once; `vajra package` and `vajra cloud run` need it when there are several].
    #[arg(long, value_name = "N")]
    pub execution: Option<usize>,
    /// A Taurus override like execution.0.concurrency=10 (repeatable), applied to a Taurus
    /// config before it is read, as `bzt -o` applies it. `-o KEY=VALUE` works too when the
    /// key is a dotted name.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// A plan with the command line laid over it.
pub struct PlanWithFlags {
    pub plan: Plan,
    /// The plan's thresholds, then `--fail-on`.
    pub criteria: Vec<Threshold>,
    /// The plan's load with the load flags over it, key by key.
    pub load: LoadSpec,
    /// The Taurus execution the plan was mapped from, when the file is a Taurus config.
    pub taurus: Option<TaurusExecution>,
}

/// Reads the plan (or the one execution of a Taurus config) at `path` and lays `load` and
/// `fail_on` over it, for the commands that take one plan (`vajra package`, `vajra cloud run`);
/// every error names the file or the flag, and a Taurus config's warnings are printed.
pub fn prepare(
    path: &Path,
    load: &LoadFlags,
    fail_on: &[String],
    taurus: &TaurusFlags,
    artifacts_dir: Option<&Path>,
) -> anyhow::Result<PlanWithFlags> {
    let mut plans = prepare_plans(path, load, fail_on, taurus, Executions::One, artifacts_dir)?;
    Ok(plans.remove(0))
}

/// What `vajra run` runs of `path`: the plan, the execution `--execution` names, or every
/// execution of a Taurus config (run at once, as bzt runs them), each with `load` and
/// `fail_on` laid over it. A threshold may name a label of any of them: the criteria are
/// judged over all of them together. A run passes its output directory, which a Taurus config
/// knows as `${TAURUS_ARTIFACTS_DIR}`.
pub fn prepare_all(
    path: &Path,
    load: &LoadFlags,
    fail_on: &[String],
    taurus: &TaurusFlags,
    artifacts_dir: Option<&Path>,
) -> anyhow::Result<Vec<PlanWithFlags>> {
    prepare_plans(path, load, fail_on, taurus, Executions::All, artifacts_dir)
}

/// Which executions of a Taurus config a command takes when `--execution` names none.
#[derive(Clone, Copy)]
enum Executions {
    /// Every one (`vajra run`, `vajra validate`).
    All,
    /// The only one; several are an error asking for `--execution` (a cloud package, or
    /// anything else that expects one plan's results, carries one).
    One,
}

fn prepare_plans(
    path: &Path,
    load: &LoadFlags,
    fail_on: &[String],
    taurus: &TaurusFlags,
    executions: Executions,
    artifacts_dir: Option<&Path>,
) -> anyhow::Result<Vec<PlanWithFlags>> {
    let plans: Vec<(Plan, Option<TaurusExecution>)> =
        match read_taurus(path, taurus, artifacts_dir)? {
            Some(config) => pick_executions(&config, taurus.execution, executions)?
                .into_iter()
                .map(|index| {
                    let execution = config.execution(index)?;
                    print_warnings(&execution.warnings);
                    Ok((execution.plan.clone(), Some(execution)))
                })
                .collect::<anyhow::Result<_>>()?,
            None => vec![(Plan::load(path)?, None)],
        };
    let mut criteria = plans
        .iter()
        .map(|(plan, _)| thresholds::from_plan(&plan.source, &plan.thresholds))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let fail_on = thresholds::from_flags(fail_on)?;
    let labels: Vec<&str> = plans
        .iter()
        .flat_map(|(plan, _)| plan.requests().map(|r| r.label.as_str()))
        .collect();
    for ((plan, _), criteria) in plans.iter().zip(&mut criteria) {
        criteria.extend(fail_on.iter().cloned());
        thresholds::require_plan_labels(&plan.source, criteria, &labels)?;
    }
    let load = load.to_spec()?;
    Ok(plans
        .into_iter()
        .zip(criteria)
        .map(|((plan, execution), criteria)| PlanWithFlags {
            load: plan.load.clone().overlay(&load),
            plan,
            criteria,
            taurus: execution,
        })
        .collect())
}

/// Each warning on its own line of stderr, as `warning: FILE:LINE:COL: field: message`.
pub fn print_warnings(warnings: &[PlanWarning]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

/// The Taurus config at `path` with its overrides (and the run's artifacts directory, if
/// any), or `None` for a vajra plan; Taurus flags on a plan are an error.
pub fn read_taurus(
    path: &Path,
    flags: &TaurusFlags,
    artifacts_dir: Option<&Path>,
) -> anyhow::Result<Option<TaurusConfig>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !is_taurus_config(&text) {
        if flags.execution.is_some() || !flags.overrides.is_empty() {
            bail!(
                "{}: --execution and -o/--option apply to a Taurus config (a file with a \
                 top-level `execution:`); this is a vajra plan",
                path.display()
            );
        }
        return Ok(None);
    }
    Ok(Some(TaurusConfig::from_str_for_run(
        &text,
        path,
        &flags.overrides,
        artifacts_dir,
    )?))
}

/// The executions to run: `--execution N`, else every one or the only one.
fn pick_executions(
    config: &TaurusConfig,
    execution: Option<usize>,
    executions: Executions,
) -> anyhow::Result<Vec<usize>> {
    let count = config.executions();
    match (execution, executions) {
        (Some(n), _) if n < count => Ok(vec![n]),
        (Some(n), _) => bail!(
            "{}: --execution {n}: the config has {count} execution{} (numbered from 0)",
            config.path().display(),
            if count == 1 { "" } else { "s" }
        ),
        (None, Executions::All) => Ok((0..count).collect()),
        (None, Executions::One) if count == 1 => Ok(vec![0]),
        (None, Executions::One) => bail!(
            "{}: the config has {count} executions and this command takes one (a cloud \
             package carries one): pick it with --execution N (0 to {}); `vajra run` runs \
             them all at once",
            config.path().display(),
            count - 1
        ),
    }
}

/// Rewrites Taurus's `-o KEY=VALUE` into `--option KEY=VALUE` for the commands that read
/// Taurus configs, so that a Taurus command line works as it is. `-o` stays `--out` (a
/// directory) for any value that is not a dotted key (letters, digits, `_`, `-` and `.`)
/// followed by `=`; a directory named like an override is given with `--out`.
pub fn taurus_override_args(args: Vec<String>) -> Vec<String> {
    let command = args.iter().skip(1).find(|a| !a.starts_with('-'));
    if !matches!(command.map(String::as_str), Some("run" | "validate")) {
        return args;
    }
    let mut out = Vec::with_capacity(args.len());
    let mut items = args.into_iter().peekable();
    while let Some(arg) = items.next() {
        if arg == "-o" && items.peek().is_some_and(|v| is_override(v)) {
            out.push("--option".to_owned());
            continue;
        }
        if let Some(value) = arg.strip_prefix("-o").filter(|v| is_override(v)) {
            out.push(format!("--option={value}"));
            continue;
        }
        out.push(arg);
    }
    out
}

fn is_override(value: &str) -> bool {
    value.split_once('=').is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    })
}

/// `vajra validate`: the arguments.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// A vajra plan or a Taurus config.
    pub file: PathBuf,
    /// Also print the native plan each execution of a Taurus config maps to (YAML).
    #[arg(long)]
    pub print_plan: bool,
    #[command(flatten)]
    pub taurus: TaurusFlags,
}

/// Loads and checks `file` as `vajra run` would (every execution of a Taurus config, or the
/// one `--execution` names) and prints what it found.
pub fn validate(args: &ValidateArgs) -> anyhow::Result<()> {
    let path = &args.file;
    for prepared in prepare_all(path, &LoadFlags::default(), &[], &args.taurus, None)? {
        let Some(execution) = &prepared.taurus else {
            println!("{}: a vajra plan, OK", path.display());
            return Ok(());
        };
        let model = prepared.load.build_model()?;
        println!(
            "{}: execution {} (scenario {}): {}, OK",
            path.display(),
            execution.index,
            execution.scenario,
            model.describe()
        );
        if let (true, Some(native)) = (args.print_plan, &execution.native) {
            let yaml = serde_saphyr::to_string(native).context("cannot write the plan")?;
            println!("# the plan of execution {}\n{yaml}", execution.index);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn taurus_dash_o_is_an_override_and_a_directory_stays_out() {
        assert_eq!(
            taurus_override_args(args(
                "vajra run bzt.yml -o execution.0.concurrency=5 -o out"
            )),
            args("vajra run bzt.yml --option execution.0.concurrency=5 -o out")
        );
        assert_eq!(
            taurus_override_args(args("vajra -v validate bzt.yml -omodules.x=1")),
            args("vajra -v validate bzt.yml --option=modules.x=1")
        );
        // Paths are not keys; other commands keep their own -o.
        assert_eq!(
            taurus_override_args(args("vajra run p.yaml -o ./a=b")),
            args("vajra run p.yaml -o ./a=b")
        );
        assert_eq!(
            taurus_override_args(args("vajra package p.yaml -o a.b=c")),
            args("vajra package p.yaml -o a.b=c")
        );
    }
}
