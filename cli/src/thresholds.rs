//! Pass/fail criteria on the command line: reading `--fail-on` and plan thresholds, and
//! printing the verdicts. The parsing and checking themselves are
//! [`vajra_stats::threshold`], shared with cloud results.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use vajra_stats::outcome::{Arrivals, RunVerdict, VerdictResult};
use vajra_stats::threshold::{evaluate_run, Threshold};
use vajra_stats::{AggregateRow, Stats, TOTAL_LABEL};

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

/// Checks `thresholds` against the results and prints the verdict to `out` (results without
/// arrival accounting: JTL and HDR files). Returns whether any criterion was met.
pub fn check(
    thresholds: &[Threshold],
    rows: &[AggregateRow],
    stats: &Stats,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let verdict = judge(thresholds, rows, stats, None, false)?;
    out.write_all(verdict_text(&verdict).as_bytes())
        .context("cannot print the threshold verdicts")?;
    Ok(!verdict.passed())
}

/// Checks `thresholds` against the results, the generator's metrics against `arrivals` (which
/// only a run has), and decides the verdict: see [`vajra_stats::outcome`].
pub fn judge(
    thresholds: &[Threshold],
    rows: &[AggregateRow],
    stats: &Stats,
    arrivals: Option<&Arrivals>,
    allow_overload: bool,
) -> anyhow::Result<RunVerdict> {
    let verdicts = evaluate_run(thresholds, rows, Some(stats), arrivals)?;
    let total = rows.iter().find(|row| row.label_id == TOTAL_LABEL);
    Ok(RunVerdict::decide(
        &verdicts,
        arrivals,
        allow_overload,
        total,
    ))
}

/// The verdict as printed after a run, local or cloud, and by `vajra report`: each warning
/// (`WARNING: …`), then `INVALID: …` with its reason, `FAIL: n of m …` with one line per
/// criterion met, or `pass: …`; nothing for a valid run with no criteria and no warnings.
pub fn verdict_text(verdict: &RunVerdict) -> String {
    let mut text = String::new();
    for warning in &verdict.warnings {
        text.push_str(&format!("\nWARNING: {warning}\n"));
    }
    let met: Vec<_> = verdict.criteria.iter().filter(|c| c.met).collect();
    if verdict.result == VerdictResult::Invalid {
        // The invalid-run reasons come before the criteria met in `reasons`.
        for reason in &verdict.reasons[..verdict.reasons.len() - met.len()] {
            text.push_str(&format!("\nINVALID: {reason}\n"));
        }
    }
    if verdict.criteria.is_empty() {
        return text;
    }
    if met.is_empty() {
        text.push_str(&format!(
            "\npass: no failure criterion met ({} checked)\n",
            verdict.criteria.len()
        ));
        return text;
    }
    text.push_str(&format!(
        "\nFAIL: {} of {} failure criteria met:\n",
        met.len(),
        verdict.criteria.len()
    ));
    for criterion in met {
        text.push_str(&format!(
            "  {} (actual: {})\n",
            criterion.criterion, criterion.actual
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use vajra_stats::threshold::Verdict;

    fn verdict(expression: &str, met: bool) -> Verdict {
        Verdict {
            threshold: Threshold::parse(expression).unwrap(),
            actual: 2.5,
            met,
        }
    }

    fn text(verdicts: &[Verdict], arrivals: Option<&Arrivals>) -> String {
        verdict_text(&RunVerdict::decide(verdicts, arrivals, false, None))
    }

    #[test]
    fn verdicts_print_pass_or_the_criteria_met() {
        assert_eq!(text(&[], None), "");
        assert_eq!(
            text(&[verdict("errors>1%", false)], None),
            "\npass: no failure criterion met (1 checked)\n"
        );
        assert_eq!(
            text(
                &[verdict("errors>1%", true), verdict("p95>1s", false)],
                None
            ),
            "\nFAIL: 1 of 2 failure criteria met:\n  errors>1% (actual: 2.5%)\n"
        );
    }

    #[test]
    fn an_invalid_run_prints_why_before_the_criteria() {
        let overloaded = Arrivals {
            scheduled: 100,
            sent: 90,
            dropped: 10,
            unsent: 0,
            late: 0,
        };
        let printed = text(&[verdict("p95>1s", true)], Some(&overloaded));
        assert!(
            printed.starts_with(
                "\nINVALID: the generator could not hold the rate; these results don't \
                 describe the target rate (10 of 100 arrivals (10.00 %) were dropped"
            ),
            "{printed}"
        );
        assert!(
            printed.ends_with("\nFAIL: 1 of 1 failure criteria met:\n  p95>1s (actual: 2.5s)\n"),
            "{printed}"
        );
        assert!(text(&[], Some(&overloaded)).starts_with("\nINVALID: "));
    }
}
