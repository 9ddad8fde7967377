//! The end of a cloud run: fetch BlazeMeter's final reports, write and print them with the
//! same code as `vajra report` (console, JSON, HTML), and print the verdict. The conversions
//! (`vajra_fleet::cloud::results`) and the decision (`vajra_fleet::cloud::outcome`: thresholds
//! on the cloud aggregate, session errors, BlazeMeter's own criteria) are the library's; the
//! outcome becomes Taurus's exit code here (0 ok, 1 error, 2 interrupted, 3 criteria met).
use std::path::Path;

use anyhow::Context;
use bzm_client::Client;
use vajra_fleet::cloud::outcome::{self, Assessment, Ending, Outcome};
use vajra_fleet::cloud::results;
use vajra_stats::outcome::RunVerdict;
use vajra_stats::report::html::{self, ReportInput};
use vajra_stats::report::{text, BadRows, Report};
use vajra_stats::threshold::Threshold;
use vajra_stats::TOTAL_LABEL;

use super::api::print_json;
use crate::exit::Exit;
use crate::thresholds;

/// Fetches the final reports, prints and writes them, and decides the exit code.
pub async fn finish(
    client: &Client,
    master_id: u64,
    ending: Ending,
    thresholds: &[Threshold],
    out_dir: &Path,
    json: bool,
) -> anyhow::Result<Exit> {
    if let Ending::Unreachable { after, .. } = ending {
        eprintln!(
            "error: master {master_id} could not be reached for {:.0}s; the cloud test keeps \
             running. Follow it later with `vajra cloud attach {master_id}`, or end it with \
             `vajra cloud stop {master_id}`",
            after.as_secs_f64()
        );
        return Ok(Exit::Error);
    }
    let full = client.masters().full(master_id).await?;
    let aggregate = results::aggregate_rows(&client.data().aggregate(master_id).send().await?);
    let errors = results::errors_entries(&client.data().errors(master_id).await?);
    let labels = client.data().labels(master_id).await?;
    let series = client
        .data()
        .kpis(master_id)
        .labels(labels.iter().map(|l| l.id.clone()))
        .send()
        .await?;
    let timelines = results::timelines(&series);
    let report = Report {
        timeline: timelines
            .iter()
            .find(|t| t.label == TOTAL_LABEL)
            .map(|t| t.points.clone())
            .unwrap_or_default(),
        aggregate,
        errors,
        bad_rows: BadRows::default(),
        transactions_excluded: false,
        transaction_labels: Vec::new(),
        missing_workers: None,
    };
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let json_path = out_dir.join("report.json");
    std::fs::write(&json_path, report.to_json())
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    let html_path = out_dir.join("report.html");
    let page = html::render(&ReportInput {
        title: format!("vajra cloud master {master_id}"),
        facts: None,
        aggregate: report.aggregate.clone(),
        errors: report.errors.clone(),
        timelines,
        outcome: None,
        warnings: Vec::new(),
    });
    std::fs::write(&html_path, page)
        .with_context(|| format!("cannot write {}", html_path.display()))?;

    let cloud_thresholds = if outcome::has_cloud_thresholds(&full) {
        Some(client.data().thresholds(master_id).await?)
    } else {
        None
    };
    let Assessment {
        verdicts,
        session_error,
        cloud_failure,
        outcome,
    } = outcome::assess(
        ending,
        thresholds,
        &report.aggregate,
        &full,
        cloud_thresholds.as_ref(),
    )?;
    let exit = exit_for(outcome);

    if json {
        print_json(&serde_json::json!({
            "master_id": master_id,
            "exit_code": exit as u8,
            "aggregate": report.aggregate,
            "errors": report.errors,
            "criteria": verdicts.iter().map(|v| serde_json::json!({
                "criterion": v.threshold.to_string(), "actual": v.actual, "met": v.met,
            })).collect::<Vec<_>>(),
            "session_error": session_error,
            "cloud_threshold_failure": cloud_failure,
            "note": full.note,
            "report_html": html_path,
        }))?;
    } else {
        println!();
        print!("{}", text::console(&report));
        // The cloud's outcome (and exit code) is the fleet's decision; this prints the
        // criteria and the all-failed warning the same way as a local run.
        let total = report.aggregate.iter().find(|r| r.label_id == TOTAL_LABEL);
        let verdict = RunVerdict::decide(&verdicts, None, false, total);
        print!("{}", thresholds::verdict_text(&verdict));
        println!(
            "reports: {}, {}; BlazeMeter: {}",
            json_path.display(),
            html_path.display(),
            client.report_url(master_id)
        );
    }
    if let Some(note) = full.note.as_deref().filter(|n| !n.is_empty()) {
        eprintln!("warning: the cloud test has probably failed: {note}");
    }
    if let Some(failure) = &cloud_failure {
        eprintln!("FAIL: {failure}");
    }
    if let Some(error) = &session_error {
        eprintln!("error: {error}");
    }
    if outcome == Outcome::Interrupted {
        eprintln!("interrupted: the reports above hold what was collected before the stop");
    }
    Ok(exit)
}

/// The exit code of an outcome.
fn exit_for(outcome: Outcome) -> Exit {
    match outcome {
        Outcome::Passed => Exit::Ok,
        Outcome::Error => Exit::Error,
        Outcome::Interrupted => Exit::Interrupted,
        Outcome::FailureCriteria => Exit::FailureCriteria,
    }
}
