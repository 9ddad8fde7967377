//! The plan preparation `vajra run`, `vajra validate`, `vajra package` and `vajra cloud run`
//! share: read the plan (or one execution of a Taurus config, mapped natively by
//! `vajra_plan::taurus`), read its thresholds and `--fail-on`, refuse a threshold on a label
//! no request has, and lay the load flags over the plan's `load:`. Each command then builds
//! what it runs from the load (a local load model, or the load cloud engines carry).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use vajra_plan::taurus::{is_taurus_config, TaurusConfig, TaurusExecution};
use vajra_plan::{LoadSpec, Plan};
use vajra_stats::threshold::Threshold;

use crate::load_flags::LoadFlags;
use crate::thresholds;

/// The flags for a Taurus config given instead of a plan.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Taurus configs")]
pub struct TaurusFlags {
    /// Which execution of a Taurus config to run, from 0 (needed when it has several).
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

/// Reads the plan (or Taurus config) at `path` and lays `load` and `fail_on` over it; every
/// error names the file or the flag.
pub fn prepare(
    path: &Path,
    load: &LoadFlags,
    fail_on: &[String],
    taurus: &TaurusFlags,
) -> anyhow::Result<PlanWithFlags> {
    let (plan, execution) = match read_taurus(path, taurus)? {
        Some(config) => {
            let index = pick_execution(&config, taurus.execution)?;
            let execution = config.execution(index)?;
            (execution.plan.clone(), Some(execution))
        }
        None => (Plan::load(path)?, None),
    };
    let mut criteria = thresholds::from_plan(&plan.source, &plan.thresholds)?;
    criteria.extend(thresholds::from_flags(fail_on)?);
    let labels: Vec<&str> = plan.requests().map(|r| r.label.as_str()).collect();
    thresholds::require_plan_labels(&plan.source, &criteria, &labels)?;
    let load = plan.load.clone().overlay(&load.to_spec()?);
    Ok(PlanWithFlags {
        plan,
        criteria,
        load,
        taurus: execution,
    })
}

/// A stable hash of the effective plan, `sha256:<hex>`, which every worker of one test shares:
/// the plan file's bytes, the Taurus execution and overrides picked from it, and the load with
/// the flags laid over it (in its `Debug` form, stable for one vajra version). Worker index and
/// count, output paths, thresholds and the data files' contents are not in it
/// (docs/result-bundle.md).
pub fn plan_hash(path: &Path, taurus: &TaurusFlags, load: &LoadSpec) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    hasher.update(b"vajra plan hash 1\0");
    hasher.update(&bytes);
    hasher.update(format!(
        "\0{:?}\0{:?}\0{load:?}",
        taurus.execution, taurus.overrides
    ));
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("sha256:{hex}"))
}

/// The Taurus config at `path` with its overrides, or `None` for a vajra plan; Taurus flags
/// on a plan are an error.
pub fn read_taurus(path: &Path, flags: &TaurusFlags) -> anyhow::Result<Option<TaurusConfig>> {
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
    Ok(Some(TaurusConfig::from_str(&text, path, &flags.overrides)?))
}

/// The execution to run: `--execution N`, or the only one.
fn pick_execution(config: &TaurusConfig, execution: Option<usize>) -> anyhow::Result<usize> {
    let count = config.executions();
    match execution {
        Some(n) if n < count => Ok(n),
        Some(n) => bail!(
            "{}: --execution {n}: the config has {count} execution{} (numbered from 0)",
            config.path().display(),
            if count == 1 { "" } else { "s" }
        ),
        None if count == 1 => Ok(0),
        None => bail!(
            "{}: the config has {count} executions; vajra runs one at a time: pick one with \
             --execution N (0 to {})",
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
    let Some(config) = read_taurus(path, &args.taurus)? else {
        let plan = Plan::load(path)?;
        thresholds::from_plan(&plan.source, &plan.thresholds)?;
        println!("{}: a vajra plan, OK", path.display());
        return Ok(());
    };
    let indexes: Vec<usize> = match args.taurus.execution {
        Some(n) => vec![pick_execution(&config, Some(n))?],
        None => (0..config.executions()).collect(),
    };
    for index in indexes {
        let execution = config.execution(index)?;
        let plan = &execution.plan;
        let criteria = thresholds::from_plan(&plan.source, &plan.thresholds)?;
        let labels: Vec<&str> = plan.requests().map(|r| r.label.as_str()).collect();
        thresholds::require_plan_labels(&plan.source, &criteria, &labels)?;
        let model = plan.load.build_model()?;
        println!(
            "{}: execution {index} (scenario {}): {}, OK",
            path.display(),
            execution.scenario,
            model.describe()
        );
        if let (true, Some(native)) = (args.print_plan, &execution.native) {
            let yaml = serde_saphyr::to_string(native).context("cannot write the plan")?;
            println!("# the plan of execution {index}\n{yaml}");
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
