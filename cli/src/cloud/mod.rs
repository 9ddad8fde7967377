//! `vajra cloud …` and `vajra package`: running a plan on BlazeMeter.
//!
//! How the parts fit: [`prepare`] turns a plan and the split flags into the load, locations
//! and criteria of a cloud run; `package` builds the exact files to upload; `run` finds the
//! test, uploads, starts and hands the master to `live` (the live view, Ctrl-C, lost contact),
//! which `masters` also uses for `attach`; `outcome` fetches the final reports and turns them
//! into the verdict and exit code; `state` keeps local records of started masters; `auth` and
//! `locations` are the account commands. Every API call goes through `bzm_client`.

mod auth;
pub mod glibc;
mod live;
mod locations;
mod masters;
mod outcome;
pub mod package;
mod run;
pub mod state;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use bzm_client::credentials::{resolve, CredentialInputs, OsKeyring};
use bzm_client::split::{split, Capacity, Split, SplitRequest};
use bzm_client::{Client, Credentials, RetryPolicy};
use clap::{Args, Subcommand};
use vajra_engine::plan::Plan;

use crate::exit::{report_error, Exit};
use crate::load_flags::LoadFlags;
use crate::thresholds;
use package::{CloudLoad, Package, PackageInputs, DEFAULT_ENGINE_CAPACITY_TPS};

#[derive(Args, Debug)]
pub struct CloudArgs {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: CloudCommand,
}

/// Options every cloud command takes.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// BlazeMeter API base URL (http:// only on loopback, e.g. a bzm-mock).
    #[arg(long, global = true, env = "VAJRA_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// Workspace id [default: the workspace of the user's default project].
    #[arg(long, global = true, value_name = "ID")]
    pub workspace: Option<u64>,
    /// Project id or name (created if no project has that name) [default: the user's
    /// default project].
    #[arg(long, global = true, value_name = "ID|NAME")]
    pub project: Option<String>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// First wait before retrying a failed API call (429, 5xx, network); it doubles per retry.
    #[arg(long, global = true, default_value = "1s", value_name = "DURATION")]
    pub api_retry_delay: String,
}

#[derive(Subcommand, Debug)]
pub enum CloudCommand {
    /// Check an API key with BlazeMeter and keep it in the OS keyring.
    Login(auth::LoginArgs),
    /// Remove the API key from the OS keyring.
    Logout,
    /// Show the user, default account, workspace and project, and where the key came from.
    Whoami,
    /// The workspace's locations with their limits.
    Locations,
    /// Split, package, upload and run a plan on BlazeMeter; live view, report and verdict.
    Run(Box<run::RunArgs>),
    /// A master's status and sessions.
    Status(masters::MasterArg),
    /// Resume the live view and the final verdict of a running (or ended) master.
    Attach(masters::AttachArgs),
    /// Stop a master gracefully (engines upload what they have).
    Stop(masters::MasterArg),
    /// Terminate a master at once.
    Terminate(masters::MasterArg),
    /// The final reports and verdict of a master.
    Report(masters::AttachArgs),
}

pub fn execute(args: CloudArgs) -> Exit {
    let global = args.global;
    let result = match args.command {
        CloudCommand::Login(a) => auth::login(&global, a),
        CloudCommand::Logout => auth::logout(&global),
        CloudCommand::Whoami => auth::whoami(&global),
        CloudCommand::Locations => locations::execute(&global),
        CloudCommand::Run(a) => run::execute(&global, *a),
        CloudCommand::Status(a) => masters::status(&global, a),
        CloudCommand::Attach(a) => masters::attach(&global, a),
        CloudCommand::Stop(a) => masters::stop(&global, a, false),
        CloudCommand::Terminate(a) => masters::stop(&global, a, true),
        CloudCommand::Report(a) => masters::report(&global, a),
    };
    result.unwrap_or_else(|error| report_error(&error))
}

/// How the load is split and packaged; shared by `vajra package` and `vajra cloud run`.
#[derive(Args, Debug, Clone)]
pub struct SplitFlags {
    /// The test plan (YAML).
    pub plan: PathBuf,
    /// Locations and weights, e.g. us-east4-a=2,europe-west1-b=1 [default: the plan's
    /// cloud.locations].
    #[arg(long, value_name = "ID=WEIGHT,…")]
    pub locations: Option<String>,
    /// TPS one engine is given at most; sizes the engines per location [default: the plan's
    /// cloud.engine-capacity-tps, else 5000].
    #[arg(long, value_name = "TPS")]
    pub engine_capacity_tps: Option<u64>,
    /// The Linux x86-64 vajra binary to upload. Without it, the first found of:
    /// $VAJRA_PORTABLE_BINARY; `vajra-portable` beside this executable; `../portable/vajra`
    /// from this executable's directory (where scripts/build-portable.sh writes
    /// target/portable/vajra, which needs only glibc 2.17); this executable, which may need a
    /// newer glibc than the engines have (a warning says so).
    #[arg(long, value_name = "FILE")]
    pub vajra_binary: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadFlags,
}

/// A plan ready to be split: its load for cloud engines, locations, capacity and criteria.
pub struct Prepared {
    pub flags: SplitFlags,
    pub plan: Plan,
    pub load: CloudLoad,
    pub weights: Vec<(String, f64)>,
    pub engine_capacity_tps: u64,
    /// The plan's thresholds and `--fail-on`, as written.
    pub criteria: Vec<String>,
}

/// Reads the plan and lays the flags over it.
pub fn prepare(flags: &SplitFlags, fail_on: &[String]) -> anyhow::Result<Prepared> {
    let plan = Plan::load(&flags.plan)?;
    let mut parsed = thresholds::from_plan(&plan.source, &plan.thresholds)?;
    parsed.extend(thresholds::from_flags(fail_on)?);
    let labels: Vec<&str> = plan.requests().map(|r| r.label.as_str()).collect();
    thresholds::require_plan_labels(&plan.source, &parsed, &labels)?;
    let spec = plan.load.clone().overlay(&flags.load.to_spec()?);
    let load = package::cloud_load(&spec)
        .with_context(|| format!("{} cannot run in the cloud", flags.plan.display()))?;
    let weights = match &flags.locations {
        Some(text) => parse_locations(text)?,
        None => plan.cloud.locations.clone(),
    };
    let engine_capacity_tps = flags
        .engine_capacity_tps
        .or(plan.cloud.engine_capacity_tps)
        .unwrap_or(DEFAULT_ENGINE_CAPACITY_TPS);
    let criteria = plan.thresholds.iter().chain(fail_on).cloned().collect();
    Ok(Prepared {
        flags: flags.clone(),
        plan,
        load,
        weights,
        engine_capacity_tps,
        criteria,
    })
}

/// `id=weight,id=weight` (a bare id weighs 1).
pub fn parse_locations(text: &str) -> anyhow::Result<Vec<(String, f64)>> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((id, weight)) => {
                let weight: f64 = weight.trim().parse().map_err(|_| {
                    anyhow!(
                        "--locations: `{item}`: the weight must be a number, as in us-east4-a=2"
                    )
                })?;
                Ok((id.trim().to_owned(), weight))
            }
            None => Ok((item.to_owned(), 1.0)),
        })
        .collect()
}

impl Prepared {
    /// Splits over `available` locations (their limits enforced).
    pub fn split(&self, available: &BTreeMap<String, Capacity>) -> anyhow::Result<Split> {
        if self.weights.is_empty() {
            bail!(
                "no locations given; use --locations us-east4-a=2,europe-west1-b=1 or \
                 cloud.locations in the plan (`vajra cloud locations` lists them)"
            );
        }
        let request = SplitRequest {
            total_tps: self.load.tps,
            total_users: self.load.users,
            weights: self.weights.clone(),
            tps_per_engine: Some(self.engine_capacity_tps),
        };
        Ok(split(&request, available)?)
    }

    /// Splits without knowing the workspace (no limits): for `vajra package`.
    pub fn split_offline(&self) -> anyhow::Result<Split> {
        let available = self
            .weights
            .iter()
            .map(|(id, _)| (id.clone(), Capacity::default()))
            .collect();
        self.split(&available)
    }

    pub fn package(&self, split: &Split) -> anyhow::Result<Package> {
        let exe = std::env::current_exe();
        let binary = package::choose_binary(
            self.flags.vajra_binary.as_deref(),
            std::env::var_os(package::PORTABLE_ENV),
            &exe,
        )?;
        if let Ok(exe) = &exe {
            if self.flags.vajra_binary.is_none() && binary.path != *exe && binary.older_than(exe) {
                eprintln!(
                    "warning: packaging {} ({}), which is older than this executable {}; if \
                     the source changed since, rebuild it with scripts/build-portable.sh",
                    binary.path.display(),
                    binary.why,
                    exe.display()
                );
            }
        }
        let package = package::build(&PackageInputs {
            plan_path: &self.flags.plan,
            split,
            load: &self.load,
            vajra_binary: &binary,
        })?;
        if let Some(need) = package.binary_libc().filter(|n| !n.within_baseline()) {
            let needs = match need {
                glibc::LibcNeed::Glibc(version) => format!("needs glibc {version} or newer"),
                other => format!("needs {other}"),
            };
            eprintln!(
                "warning: the packaged vajra binary {} ({}) {needs}; BlazeMeter engine images \
                 with an older glibc cannot start it. Build one that needs only glibc {} with \
                 scripts/build-portable.sh: it writes target/portable/vajra, which is packaged \
                 when --vajra-binary is not given (see --help)",
                binary.path.display(),
                binary.why,
                glibc::BASELINE
            );
        }
        Ok(package)
    }
}

/// The split as records (for JSON and the local master record).
pub fn split_lines(split: &Split) -> Vec<state::SplitLine> {
    split
        .locations
        .iter()
        .map(|l| state::SplitLine {
            location: l.id.clone(),
            tps: l.tps,
            users: l.users,
            engines: l.engines,
            engine_tps: l.engine_tps.clone(),
        })
        .collect()
}

pub fn split_json(split: &Split) -> serde_json::Value {
    serde_json::to_value(split_lines(split)).unwrap_or_default()
}

/// A client for the API with the key found the usual way (environment, OS keyring,
/// `~/.bzt-rc`).
pub fn connect(global: &Global) -> anyhow::Result<(Client, Credentials)> {
    let resolved = resolve(&CredentialInputs::from_process(), &OsKeyring)?;
    for note in &resolved.notes {
        tracing::debug!("{note}");
    }
    let credentials = resolved.credentials;
    let client = client_for(global, credentials.key.clone())?;
    Ok((client, credentials))
}

pub fn client_for(global: &Global, key: bzm_client::ApiKey) -> anyhow::Result<Client> {
    let retry = RetryPolicy {
        base_delay: crate::run::duration_flag("--api-retry-delay", &global.api_retry_delay)?,
        ..RetryPolicy::default()
    };
    let mut builder = Client::builder(key)
        .timeout(Duration::from_secs(30))
        .retry(retry);
    if let Some(url) = &global.api_url {
        builder = builder.base_url(url.clone());
    }
    Ok(builder.build()?)
}

/// A runtime for the API calls of one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Prints `value` as pretty JSON.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(value).context("cannot encode JSON")?
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_flag_reads_weights_in_order() {
        assert_eq!(
            parse_locations("us-east4-a=2, europe-west1-b=1,asia").unwrap(),
            vec![
                ("us-east4-a".to_owned(), 2.0),
                ("europe-west1-b".to_owned(), 1.0),
                ("asia".to_owned(), 1.0)
            ]
        );
        let error = parse_locations("us-east4-a=two").unwrap_err().to_string();
        assert!(error.contains("us-east4-a=two"), "{error}");
    }
}
