//! Pass/fail criteria on the command line: reading `--fail-on` and plan thresholds, and
//! printing the verdicts. The parsing and checking themselves are
//! [`vajra_stats::threshold`], shared with cloud results.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use vajra_stats::threshold::{evaluate, Threshold};
use vajra_stats::{AggregateRow, Stats};

/// The `--fail-on` expressions; a bad one is an error naming the flag.
pub fn from_flags(expressions: &[String]) -> anyhow::Result<Vec<Threshold>> {
    expressions
        .iter()
        .map(|expression| Threshold::parse(expression).with_context(|| "invalid --fail-on"))
        .collect()
}

/// A plan's `thresholds:`; a bad one is an error naming the plan file and `thresholds[i]`.
pub fn from_plan(plan_file: &Path, expressions: &[String]) -> anyhow::Result<Vec<Threshold>> {
    expressions
        .iter()
        .enumerate()
        .map(|(i, expression)| {
            Threshold::parse(expression)
                .map_err(|e| anyhow!("{}: thresholds[{i}]: {e}", plan_file.display()))
        })
        .collect()
}

/// Fails when a threshold names a label that no request of the plan has, so a typo stops the
/// run before it starts rather than after.
pub fn require_plan_labels(
    plan_file: &Path,
    thresholds: &[Threshold],
    labels: &[&str],
) -> anyhow::Result<()> {
    for threshold in thresholds {
        if let Some(label) = threshold.label.as_deref().filter(|l| !labels.contains(l)) {
            bail!(
                "threshold `{threshold}`: no request of {} has the label `{label}`; the labels are: {}",
                plan_file.display(),
                labels.join(", ")
            );
        }
    }
    Ok(())
}

/// Checks `thresholds` against the results and prints each verdict to `out`. Returns whether
/// any criterion was met (the test fails).
pub fn check(
    thresholds: &[Threshold],
    rows: &[AggregateRow],
    stats: &Stats,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    if thresholds.is_empty() {
        return Ok(false);
    }
    let verdicts = evaluate(thresholds, rows, Some(stats))?;
    let met: Vec<_> = verdicts.iter().filter(|v| v.met).collect();
    let mut lines = String::new();
    if met.is_empty() {
        lines.push_str(&format!(
            "\npass: no failure criterion met ({} checked)\n",
            verdicts.len()
        ));
    } else {
        lines.push_str(&format!(
            "\nFAIL: {} of {} failure criteria met:\n",
            met.len(),
            verdicts.len()
        ));
        for verdict in &met {
            lines.push_str(&format!("  {verdict}\n"));
        }
    }
    out.write_all(lines.as_bytes())
        .context("cannot print the threshold verdicts")?;
    Ok(!met.is_empty())
}
