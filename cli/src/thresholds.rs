//! Pass/fail criteria on the command line: reading `--fail-on` and plan thresholds, and
//! printing the verdicts. The parsing and checking themselves are
//! [`vajra_stats::threshold`], shared with cloud results.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use vajra_stats::threshold::{evaluate, Threshold, Verdict};
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
    out.write_all(verdict_text(&verdicts).as_bytes())
        .context("cannot print the threshold verdicts")?;
    Ok(verdicts.iter().any(|v| v.met))
}

/// The verdicts as printed after a run, local or cloud: a blank line, then `pass: …` or
/// `FAIL: n of m …` with one line per criterion met; nothing when none was checked.
pub fn verdict_text(verdicts: &[Verdict]) -> String {
    if verdicts.is_empty() {
        return String::new();
    }
    let met: Vec<_> = verdicts.iter().filter(|v| v.met).collect();
    if met.is_empty() {
        return format!(
            "\npass: no failure criterion met ({} checked)\n",
            verdicts.len()
        );
    }
    let mut text = format!(
        "\nFAIL: {} of {} failure criteria met:\n",
        met.len(),
        verdicts.len()
    );
    for verdict in met {
        text.push_str(&format!("  {verdict}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_print_pass_or_the_criteria_met() {
        let verdict = |expression: &str, met: bool| Verdict {
            threshold: Threshold::parse(expression).unwrap(),
            actual: 2.5,
            met,
        };
        assert_eq!(verdict_text(&[]), "");
        assert_eq!(
            verdict_text(&[verdict("errors>1%", false)]),
            "\npass: no failure criterion met (1 checked)\n"
        );
        assert_eq!(
            verdict_text(&[verdict("errors>1%", true), verdict("p95>1s", false)]),
            "\nFAIL: 1 of 2 failure criteria met:\n  errors>1% (actual: 2.5%)\n"
        );
    }
}
