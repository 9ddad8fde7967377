//! The plan preparation `vajra run`, `vajra package` and `vajra cloud run` share: read the plan,
//! read its thresholds and `--fail-on`, refuse a threshold on a label no request has, and lay
//! the load flags over the plan's `load:`. Each command then builds what it runs from the load
//! (a local load model, or the load cloud engines carry).

use std::path::Path;

use vajra_plan::{LoadSpec, Plan};
use vajra_stats::threshold::Threshold;

use crate::load_flags::LoadFlags;
use crate::thresholds;

/// A plan with the command line laid over it.
pub struct PlanWithFlags {
    pub plan: Plan,
    /// The plan's thresholds, then `--fail-on`.
    pub criteria: Vec<Threshold>,
    /// The plan's load with the load flags over it, key by key.
    pub load: LoadSpec,
}

/// Reads the plan at `path` and lays `load` and `fail_on` over it; every error names the file
/// or the flag.
pub fn prepare(path: &Path, load: &LoadFlags, fail_on: &[String]) -> anyhow::Result<PlanWithFlags> {
    let plan = Plan::load(path)?;
    let mut criteria = thresholds::from_plan(&plan.source, &plan.thresholds)?;
    criteria.extend(thresholds::from_flags(fail_on)?);
    let labels: Vec<&str> = plan.requests().map(|r| r.label.as_str()).collect();
    thresholds::require_plan_labels(&plan.source, &criteria, &labels)?;
    let load = plan.load.clone().overlay(&load.to_spec()?);
    Ok(PlanWithFlags {
        plan,
        criteria,
        load,
    })
}
