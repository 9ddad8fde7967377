//! A plan made ready for the cloud: the shared plan preparation (`crate::prepare`), then the
//! load cloud engines can carry, the locations and their weights, and the engine capacity;
//! from it the split over the workspace's locations and the package to upload.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use clap::Args;
use vajra_fleet::split::{split, Capacity, Split, SplitRequest};
use vajra_plan::Plan;
use vajra_stats::threshold::Threshold;

use super::package::{self, CloudLoad, Package, PackageInputs, DEFAULT_ENGINE_CAPACITY_TPS};
use crate::load_flags::LoadFlags;
use crate::prepare::{PlanWithFlags, TaurusFlags};

/// How the load is split and packaged; shared by `vajra package` and `vajra cloud run`.
#[derive(Args, Debug, Clone)]
pub struct SplitFlags {
    /// The test plan (YAML), or a Taurus config (a file with `execution:`).
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
    #[command(flatten)]
    pub taurus: TaurusFlags,
}

/// A plan ready to be split over locations: its load for cloud engines, locations, capacity
/// and criteria.
pub struct CloudPlan {
    pub flags: SplitFlags,
    pub plan: Plan,
    pub load: CloudLoad,
    pub weights: Vec<(String, f64)>,
    pub engine_capacity_tps: u64,
    /// The plan's thresholds and `--fail-on`.
    pub criteria: Vec<Threshold>,
    /// The file packaged as the plan: the plan, or a Taurus config's `script:` plan, or the
    /// Taurus config itself when its scenario is mapped (then `generated` is the plan).
    pub plan_path: PathBuf,
    pub generated: Option<serde_json::Value>,
}

/// Reads the plan and lays the flags over it.
pub fn prepare(flags: &SplitFlags, fail_on: &[String]) -> anyhow::Result<CloudPlan> {
    let PlanWithFlags {
        plan,
        criteria,
        load,
        taurus,
    } = crate::prepare::prepare(&flags.plan, &flags.load, fail_on, &flags.taurus, None)?;
    let (plan_path, generated) = match taurus {
        Some(execution) => (
            execution.script.unwrap_or_else(|| flags.plan.clone()),
            execution.native,
        ),
        None => (flags.plan.clone(), None),
    };
    let load = package::cloud_load(&load)
        .with_context(|| format!("{} cannot run in the cloud", flags.plan.display()))?;
    let weights = match &flags.locations {
        Some(text) => parse_locations(text)?,
        None => plan.cloud.locations.clone(),
    };
    let engine_capacity_tps = flags
        .engine_capacity_tps
        .or(plan.cloud.engine_capacity_tps)
        .unwrap_or(DEFAULT_ENGINE_CAPACITY_TPS);
    Ok(CloudPlan {
        flags: flags.clone(),
        plan,
        load,
        weights,
        engine_capacity_tps,
        criteria,
        plan_path,
        generated,
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

impl CloudPlan {
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
            plan_path: &self.plan_path,
            generated: self.generated.as_ref(),
            split,
            load: &self.load,
            vajra_binary: &binary,
        })?;
        if let Some(need) = package.binary_libc().filter(|n| !n.within_baseline()) {
            let needs = match need {
                super::glibc::LibcNeed::Glibc(version) => format!("needs glibc {version} or newer"),
                other => format!("needs {other}"),
            };
            eprintln!(
                "warning: the packaged vajra binary {} ({}) {needs}; BlazeMeter engine images \
                 with an older glibc cannot start it. Build one that needs only glibc {} with \
                 scripts/build-portable.sh: it writes target/portable/vajra, which is packaged \
                 when --vajra-binary is not given (see --help)",
                binary.path.display(),
                binary.why,
                super::glibc::BASELINE
            );
        }
        Ok(package)
    }
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
