//! The report of finished results (`vajra report`): what goes in it and how it is shown.
//!
//! [`Report`] is built from merged [`Stats`] by [`Report::new`]: BlazeMeter's aggregate and
//! errors reports, the per-second timeline of the total, the rows that were skipped as bad,
//! and whether transaction-controller rows were kept out of "ALL". The renderers are pure
//! functions of a `Report`: [`Report::to_json`] here, the text formats (console, CSV,
//! Markdown) in [`text`], the HTML page in [`html`]. Reading the input files is the caller's
//! part (the CLI), so cloud results can be shown through the same renderers.
//!
//! JSON layout (`vajra report --format json`):
//!
//! ```text
//! aggregate              [AggregateRow]: "ALL" first, then labels by name (BlazeMeter names)
//! errors                 [ErrorsReportEntry]: same order, causes most frequent first
//! timeline               [TimelinePoint]: one per second of the total
//! bad_rows               {count, first: [{file, line, reason}]}
//! transactions_excluded  bool: "ALL" leaves transaction-controller rows out
//! transaction_labels     [string]: the labels that are transaction controllers
//! missing_workers        null, or {worker_count, missing: [index], missing_pct, measured_in,
//!                        statement}: a fleet's bundles without some workers (--allow-missing)
//! ```

pub mod html;
pub mod text;

use serde::{Deserialize, Serialize};

use crate::{AggregateRow, ErrorsReportEntry, Stats, TimelinePoint, TOTAL_LABEL};

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub aggregate: Vec<AggregateRow>,
    pub errors: Vec<ErrorsReportEntry>,
    pub timeline: Vec<TimelinePoint>,
    pub bad_rows: BadRows,
    pub transactions_excluded: bool,
    pub transaction_labels: Vec<String>,
    /// Workers of a fleet whose results are not in the report (`vajra report --allow-missing`
    /// on result bundles); `None` when none are known to be missing.
    #[serde(default)]
    pub missing_workers: Option<MissingWorkers>,
}

/// The workers a report lacks and their share of the load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingWorkers {
    pub worker_count: u32,
    /// Their worker indexes, from 0.
    pub missing: Vec<u32>,
    /// The missing part of the load, 0–100.
    pub missing_pct: f64,
    /// What the share is counted in: `arrivals` (the open model's planned arrivals, exact),
    /// `users` (the closed model's virtual users, as if a missing worker ran as many as the
    /// others did on average) or `workers`.
    pub measured_in: String,
    /// The sentence every view shows.
    pub statement: String,
}

/// Input rows skipped as unreadable: all counted, the first few kept with where they were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRows {
    pub count: u64,
    pub first: Vec<BadRowAt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRowAt {
    pub file: String,
    /// 1-based; the header is line 1.
    pub line: u64,
    pub reason: String,
}

impl Report {
    pub fn new(stats: &Stats, bad_rows: BadRows) -> Report {
        let aggregate = stats.aggregate();
        let mut transaction_labels: Vec<String> = aggregate
            .iter()
            .filter(|row| row.label_id != TOTAL_LABEL)
            .filter(|row| stats.transaction(&row.label_name).is_some())
            .map(|row| row.label_name.clone())
            .collect();
        // A name used by both a sample and a transaction has two rows.
        transaction_labels.dedup();
        Report {
            errors: stats.errors_report(),
            timeline: stats.timeline(),
            bad_rows,
            transactions_excluded: stats.transactions_excluded(),
            transaction_labels,
            aggregate,
            missing_workers: None,
        }
    }

    /// Pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always encodes as JSON") + "\n"
    }
}
