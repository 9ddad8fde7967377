//! The end of a cloud run: BlazeMeter's aggregate and errors reports, converted into
//! vajra's own report types and rendered by the same code as `vajra report` (console, JSON,
//! HTML); the thresholds checked on the cloud aggregate; session errors and BlazeMeter's own
//! failed thresholds; and the exit code (Taurus's: 0, 1 error, 2 interrupted, 3 criteria met).

use std::path::{Path, PathBuf};

use anyhow::Context;
use bzm_client::models;
use bzm_client::Client;
use vajra_stats::report::html::{self, ReportInput};
use vajra_stats::report::{text, BadRows, Report};
use vajra_stats::threshold::{evaluate, Threshold};
use vajra_stats::{AggregateRow, ErrorsReportEntry, LabelTimeline, TimelinePoint, TOTAL_LABEL};

use super::live::Ending;
use crate::exit::Exit;

pub fn default_out_dir(master_id: u64) -> PathBuf {
    PathBuf::from("vajra-results").join(format!("cloud-{master_id}"))
}

/// BlazeMeter's aggregate rows as vajra's: both use BlazeMeter's JSON field names.
pub fn aggregate_rows(rows: &[models::AggregateRow]) -> anyhow::Result<Vec<AggregateRow>> {
    let mut converted: Vec<AggregateRow> =
        serde_json::from_value(serde_json::to_value(rows).context("cannot encode aggregate rows")?)
            .context("BlazeMeter's aggregate report does not fit vajra's")?;
    // vajra keys the total by its id; BlazeMeter's label ids may be hashes.
    for row in &mut converted {
        if row.label_name == TOTAL_LABEL {
            row.label_id = TOTAL_LABEL.to_owned();
        }
    }
    converted.sort_by_key(|row| row.label_id != TOTAL_LABEL);
    Ok(converted)
}

/// BlazeMeter's errors report as vajra's entries.
pub fn errors_entries(rows: &[models::ErrorsReportRow]) -> Vec<ErrorsReportEntry> {
    let mut entries: Vec<ErrorsReportEntry> = rows
        .iter()
        .map(|row| ErrorsReportEntry {
            id: row.id.clone(),
            name: row.name.clone().unwrap_or_else(|| row.id.clone()),
            label_id: row.label_id.clone().unwrap_or_else(|| row.id.clone()),
            errors: row
                .errors
                .iter()
                .map(|e| vajra_stats::ErrorCount {
                    m: e.m.clone().unwrap_or_default(),
                    rc: e.rc.clone().unwrap_or_default(),
                    count: e.count,
                })
                .collect(),
            assertions: row
                .assertions
                .iter()
                .map(|a| vajra_stats::AssertionCount {
                    name: a.name.clone().unwrap_or_default(),
                    failure_message: a.failure_message.clone().unwrap_or_default(),
                    failures: a.failures,
                })
                .collect(),
            other_errors_count: row.other_errors_count.unwrap_or(0),
        })
        .collect();
    entries.sort_by_key(|e| e.id != TOTAL_LABEL);
    entries
}

/// The per-second series as vajra timelines.
pub fn timelines(series: &[models::KpiSeries]) -> Vec<LabelTimeline> {
    let mut timelines: Vec<LabelTimeline> = series
        .iter()
        .map(|s| LabelTimeline {
            label: s
                .label
                .clone()
                .or_else(|| s.label_name.clone())
                .unwrap_or_default(),
            points: s
                .kpis
                .iter()
                .filter(|k| k.n > 0)
                .map(|k| TimelinePoint {
                    ts: u64::try_from(k.ts).unwrap_or(0),
                    samples: k.n,
                    errors: k.ec,
                    avg_response_time_ms: k.t_avg.unwrap_or(0.0),
                    avg_latency_ms: k.lt_avg.unwrap_or(0.0),
                    active_threads: k.na.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
                })
                .collect(),
        })
        .collect();
    timelines.sort_by_key(|t| t.label != TOTAL_LABEL);
    timelines
}

/// Fetches the final reports, prints and writes them, and decides the exit code.
pub async fn finish(
    client: &Client,
    master_id: u64,
    ending: Ending,
    criteria: &[String],
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
    let thresholds: Vec<Threshold> = criteria
        .iter()
        .map(|c| Threshold::parse(c).with_context(|| format!("invalid criterion `{c}`")))
        .collect::<anyhow::Result<_>>()?;
    let full = client.masters().full(master_id).await?;
    let aggregate = aggregate_rows(&client.data().aggregate(master_id).send().await?)?;
    let errors = errors_entries(&client.data().errors(master_id).await?);
    let labels = client.data().labels(master_id).await?;
    let series = client
        .data()
        .kpis(master_id)
        .labels(labels.iter().map(|l| l.id.clone()))
        .send()
        .await?;
    let timelines = timelines(&series);
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
    });
    std::fs::write(&html_path, page)
        .with_context(|| format!("cannot write {}", html_path.display()))?;

    let verdicts = if thresholds.is_empty() || report.aggregate.is_empty() {
        Vec::new()
    } else {
        evaluate(&thresholds, &report.aggregate, None)?
    };
    let met: Vec<_> = verdicts.iter().filter(|v| v.met).collect();
    let session_error = full.first_session_error().map(|e| {
        format!(
            "session error {}: {}",
            e.code.map_or_else(|| "?".to_owned(), |c| c.to_string()),
            e.message.clone().unwrap_or_default()
        )
    });
    let cloud_failure = if full.has_thresholds == Some(true) {
        client
            .data()
            .thresholds(master_id)
            .await?
            .first_failure()
            .map(|a| {
                format!(
                    "BlazeMeter failure criterion `{}` (on label `{}`) was met",
                    a.field.clone().unwrap_or_default(),
                    a.label.clone().unwrap_or_else(|| TOTAL_LABEL.to_owned())
                )
            })
    } else {
        None
    };
    let exit = if ending == Ending::Interrupted {
        Exit::Interrupted
    } else if session_error.is_some() {
        Exit::Error
    } else if !met.is_empty() || cloud_failure.is_some() {
        Exit::FailureCriteria
    } else {
        Exit::Ok
    };

    if json {
        super::print_json(&serde_json::json!({
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
        if !verdicts.is_empty() {
            if met.is_empty() {
                println!(
                    "\npass: no failure criterion met ({} checked)",
                    verdicts.len()
                );
            } else {
                println!(
                    "\nFAIL: {} of {} failure criteria met:",
                    met.len(),
                    verdicts.len()
                );
                for verdict in &met {
                    println!("  {verdict}");
                }
            }
        }
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
    if ending == Ending::Interrupted {
        eprintln!("interrupted: the reports above hold what was collected before the stop");
    }
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bzm_rows_become_vajra_rows_total_first() {
        let rows: Vec<models::AggregateRow> = serde_json::from_str(
            r#"[{"labelId":"abc","labelName":"home","samples":4,"95line":12.5,"errorsCount":1,"errorsRate":25.0},
                {"labelId":"ALL","labelName":"ALL","samples":10,"95line":20.0,"avgThroughput":5.0}]"#,
        )
        .unwrap();
        let converted = aggregate_rows(&rows).unwrap();
        assert_eq!(converted[0].label_id, "ALL");
        assert_eq!(converted[0].samples, 10);
        assert_eq!(converted[0].line95, 20.0);
        assert_eq!(converted[1].label_name, "home");
        assert_eq!(converted[1].line95, 12.5);
        let verdicts = evaluate(
            &[
                Threshold::parse("p95(home)>10ms").unwrap(),
                Threshold::parse("p95>30ms").unwrap(),
            ],
            &converted,
            None,
        )
        .unwrap();
        assert_eq!(
            verdicts.iter().map(|v| v.met).collect::<Vec<_>>(),
            [true, false]
        );
    }

    #[test]
    fn errors_and_kpis_convert() {
        let rows: Vec<models::ErrorsReportRow> = serde_json::from_str(
            r#"[{"_id":"h1","name":"flaky","errors":[{"m":"Internal Server Error","rc":500,"count":3}]},
                {"_id":"ALL","name":"ALL","errors":[{"m":"Internal Server Error","rc":"500","count":3}]}]"#,
        )
        .unwrap();
        let entries = errors_entries(&rows);
        assert_eq!(entries[0].id, "ALL");
        assert_eq!(entries[1].errors[0].rc, "500");
        assert_eq!(entries[1].errors[0].count, 3);
        let series: Vec<models::KpiSeries> = serde_json::from_str(
            r#"[{"label":"ALL","kpis":[{"ts":10,"n":5,"ec":1,"na":2,"t_avg":3.5},{"ts":11,"n":0}]}]"#,
        )
        .unwrap();
        let t = timelines(&series);
        assert_eq!(t[0].points.len(), 1, "empty seconds are skipped");
        assert_eq!(
            (
                t[0].points[0].samples,
                t[0].points[0].errors,
                t[0].points[0].active_threads
            ),
            (5, 1, 2)
        );
    }
}
