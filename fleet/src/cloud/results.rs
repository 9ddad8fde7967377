//! BlazeMeter's report models (`bzm_client::models`) as vajra's report types (`vajra_stats`):
//! one explicit conversion per pair of types, so the cloud's final reports render, and are
//! checked against thresholds, by the same code as `vajra report`.
//!
//! These are plain functions, not `From` impls, because of the orphan rule: a crate may
//! implement `From<A> for B` only if it owns `A` or `B`. `bzm-client` knows only the API and
//! must not depend on `vajra-stats`, and `vajra-stats` must not know BlazeMeter's client; this
//! crate joins the two and owns neither type. A newtype would own the impl but make every
//! caller wrap and unwrap for nothing. None of the conversions can fail: a field BlazeMeter
//! leaves out reads as 0 (or empty), as `vajra-stats` reads a missing field of its own files.

use bzm_client::models;
use vajra_stats::{
    AggregateRow, AssertionCount, ErrorCount, ErrorsReportEntry, LabelTimeline, TimelinePoint,
    TOTAL_LABEL,
};

/// One row of BlazeMeter's aggregate report. vajra keys the total by its id, and BlazeMeter's
/// label ids may be hashes, so the row named `ALL` gets the id `ALL`; a row without an id is
/// keyed by its name.
pub fn aggregate_row(row: &models::AggregateRow) -> AggregateRow {
    let label_id = if row.label_name == TOTAL_LABEL {
        TOTAL_LABEL.to_owned()
    } else {
        row.label_id
            .clone()
            .unwrap_or_else(|| row.label_name.clone())
    };
    let ms = |v: Option<f64>| v.unwrap_or(0.0);
    AggregateRow {
        label_id,
        label_name: row.label_name.clone(),
        samples: row.samples,
        avg_response_time: ms(row.avg_response_time),
        median_response_time: ms(row.median_response_time),
        line90: ms(row.p90),
        line95: ms(row.p95),
        line99: ms(row.p99),
        min_response_time: ms(row.min_response_time),
        max_response_time: ms(row.max_response_time),
        st_dev: ms(row.st_dev),
        avg_latency: ms(row.avg_latency),
        avg_bytes: ms(row.avg_bytes),
        avg_throughput: ms(row.avg_throughput),
        duration: ms(row.duration),
        errors_count: row.errors_count.unwrap_or(0),
        errors_rate: ms(row.errors_rate),
        concurrency: row.concurrency,
    }
}

/// The aggregate report, the total first and the labels in BlazeMeter's order.
pub fn aggregate_rows(rows: &[models::AggregateRow]) -> Vec<AggregateRow> {
    let mut converted: Vec<AggregateRow> = rows.iter().map(aggregate_row).collect();
    converted.sort_by_key(|row| row.label_id != TOTAL_LABEL);
    converted
}

/// One label's entry of BlazeMeter's errors report; a missing name or label id is the entry's
/// id, as in BlazeMeter's own report.
pub fn errors_entry(row: &models::ErrorsReportRow) -> ErrorsReportEntry {
    ErrorsReportEntry {
        id: row.id.clone(),
        name: row.name.clone().unwrap_or_else(|| row.id.clone()),
        label_id: row.label_id.clone().unwrap_or_else(|| row.id.clone()),
        errors: row.errors.iter().map(error_count).collect(),
        assertions: row.assertions.iter().map(assertion_count).collect(),
        other_errors_count: row.other_errors_count.unwrap_or(0),
    }
}

pub fn error_count(e: &models::ErrorCount) -> ErrorCount {
    ErrorCount {
        m: e.m.clone().unwrap_or_default(),
        rc: e.rc.clone().unwrap_or_default(),
        count: e.count,
    }
}

pub fn assertion_count(a: &models::AssertionFailure) -> AssertionCount {
    AssertionCount {
        name: a.name.clone().unwrap_or_default(),
        failure_message: a.failure_message.clone().unwrap_or_default(),
        failures: a.failures,
    }
}

/// The errors report, the total first.
pub fn errors_entries(rows: &[models::ErrorsReportRow]) -> Vec<ErrorsReportEntry> {
    let mut entries: Vec<ErrorsReportEntry> = rows.iter().map(errors_entry).collect();
    entries.sort_by_key(|e| e.id != TOTAL_LABEL);
    entries
}

/// One label's per-second series; seconds without samples are left out, as vajra's own
/// timelines have none.
pub fn timeline(series: &models::KpiSeries) -> LabelTimeline {
    LabelTimeline {
        label: series
            .label
            .clone()
            .or_else(|| series.label_name.clone())
            .unwrap_or_default(),
        points: series
            .kpis
            .iter()
            .filter(|k| k.n > 0)
            .map(timeline_point)
            .collect(),
    }
}

/// One second; a negative time (never sent by BlazeMeter) reads as 0 and a count of active
/// users beyond `u32` as `u32::MAX`.
pub fn timeline_point(k: &models::KpiPoint) -> TimelinePoint {
    TimelinePoint {
        ts: u64::try_from(k.ts).unwrap_or(0),
        samples: k.n,
        errors: k.ec,
        avg_response_time_ms: k.t_avg.unwrap_or(0.0),
        avg_latency_ms: k.lt_avg.unwrap_or(0.0),
        active_threads: k.na.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
    }
}

/// The per-second series, the total first.
pub fn timelines(series: &[models::KpiSeries]) -> Vec<LabelTimeline> {
    let mut timelines: Vec<LabelTimeline> = series.iter().map(timeline).collect();
    timelines.sort_by_key(|t| t.label != TOTAL_LABEL);
    timelines
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use vajra_stats::threshold::{evaluate, Threshold};

    #[test]
    fn bzm_rows_become_vajra_rows_total_first() {
        let rows: Vec<models::AggregateRow> = serde_json::from_str(
            r#"[{"labelId":"abc","labelName":"home","samples":4,"95line":12.5,"errorsCount":1,"errorsRate":25.0},
                {"labelId":"h4sh","labelName":"ALL","samples":10,"95line":20.0,"avgThroughput":5.0},
                {"labelName":"nameless","samples":1}]"#,
        )
        .unwrap();
        let converted = aggregate_rows(&rows);
        assert_eq!(converted[0].label_id, "ALL", "the total is keyed ALL");
        assert_eq!(converted[0].samples, 10);
        assert_eq!(converted[0].line95, 20.0);
        assert_eq!(converted[0].avg_throughput, 5.0);
        assert_eq!(converted[1].label_name, "home");
        assert_eq!(converted[1].label_id, "abc");
        assert_eq!(converted[1].line95, 12.5);
        assert_eq!(converted[1].avg_response_time, 0.0, "absent reads as 0");
        assert_eq!(converted[2].label_id, "nameless", "no id: keyed by name");
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
            r#"[{"_id":"h1","name":"flaky","errors":[{"m":"Internal Server Error","rc":500,"count":3}],
                 "assertions":[{"name":"a","failureMessage":"no match","failures":2}],"otherErrorsCount":4},
                {"_id":"ALL","errors":[{"m":"Internal Server Error","rc":"500","count":3}]}]"#,
        )
        .unwrap();
        let entries = errors_entries(&rows);
        assert_eq!(entries[0].id, "ALL");
        assert_eq!(entries[0].name, "ALL", "a missing name is the id");
        assert_eq!(entries[0].label_id, "ALL");
        assert_eq!(entries[1].errors[0].rc, "500");
        assert_eq!(entries[1].errors[0].count, 3);
        assert_eq!(entries[1].assertions[0].failure_message, "no match");
        assert_eq!(entries[1].assertions[0].failures, 2);
        assert_eq!(entries[1].other_errors_count, 4);
        let series: Vec<models::KpiSeries> = serde_json::from_str(
            r#"[{"labelName":"home","kpis":[{"ts":9,"n":1}]},
                {"label":"ALL","kpis":[{"ts":10,"n":5,"ec":1,"na":2,"t_avg":3.5,"lt_avg":1.5},{"ts":11,"n":0}]}]"#,
        )
        .unwrap();
        let t = timelines(&series);
        assert_eq!(t[0].label, "ALL", "the total first");
        assert_eq!(t[0].points.len(), 1, "empty seconds are skipped");
        assert_eq!(
            t[0].points[0],
            TimelinePoint {
                ts: 10,
                samples: 5,
                errors: 1,
                avg_response_time_ms: 3.5,
                avg_latency_ms: 1.5,
                active_threads: 2,
            }
        );
        assert_eq!(t[1].label, "home", "labelName when there is no label");
    }

    fn arb_value() -> impl Strategy<Value = Option<f64>> {
        proptest::option::of(0.0..1e6f64)
    }

    prop_compose! {
        fn arb_row()(
            label_id in proptest::option::of("[a-z0-9]{1,8}"),
            label_name in prop_oneof!["[a-z /]{1,10}", Just(TOTAL_LABEL.to_owned())],
            samples in 0u64..1_000_000,
            times in proptest::collection::vec(arb_value(), 13),
            errors_count in proptest::option::of(0u64..1000),
        ) -> models::AggregateRow {
            models::AggregateRow {
                label_id,
                label_name,
                samples,
                avg_response_time: times[0],
                median_response_time: times[1],
                p90: times[2],
                p95: times[3],
                p99: times[4],
                min_response_time: times[5],
                max_response_time: times[6],
                st_dev: times[7],
                geo_mean_response_time: None,
                avg_latency: times[8],
                avg_bytes: times[9],
                avg_throughput: times[10],
                duration: times[11],
                errors_count,
                errors_rate: times[12],
                concurrency: times[0],
                has_label_passed_thresholds: None,
            }
        }
    }

    proptest! {
        /// The explicit conversion agrees with reading BlazeMeter's JSON straight into
        /// vajra's type (both use BlazeMeter's field names), so no field is lost or swapped.
        #[test]
        fn the_conversion_agrees_with_bzm_json_read_as_vajras(row in arb_row()) {
            let mut json = serde_json::to_value(&row).unwrap();
            if row.label_id.is_none() {
                json["labelId"] = row.label_name.clone().into();
            }
            let mut expected: AggregateRow = serde_json::from_value(json).unwrap();
            if expected.label_name == TOTAL_LABEL {
                expected.label_id = TOTAL_LABEL.to_owned();
            }
            prop_assert_eq!(aggregate_row(&row), expected);
        }

        /// The total comes first; the other rows keep BlazeMeter's order.
        #[test]
        fn rows_keep_their_order_after_the_total(rows in proptest::collection::vec(arb_row(), 0..8)) {
            let converted = aggregate_rows(&rows);
            prop_assert_eq!(converted.len(), rows.len());
            let totals = converted.iter().take_while(|r| r.label_id == TOTAL_LABEL).count();
            prop_assert!(converted[totals..].iter().all(|r| r.label_id != TOTAL_LABEL));
            let others: Vec<&str> = rows
                .iter()
                .filter(|r| r.label_name != TOTAL_LABEL)
                .map(|r| r.label_name.as_str())
                .collect();
            let converted_others: Vec<&str> =
                converted[totals..].iter().map(|r| r.label_name.as_str()).collect();
            prop_assert_eq!(others, converted_others);
        }
    }
}
