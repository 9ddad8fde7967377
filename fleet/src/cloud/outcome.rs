//! The end of a run, decided from its reports: the thresholds checked on the cloud aggregate,
//! the first session error, BlazeMeter's own failed criterion, and from them the
//! [`Outcome`] (Taurus's exit codes: 0 passed, 1 error, 2 interrupted, 3 criteria met).
//! Fetching the reports, writing and printing them are the caller's.

use std::time::Duration;

use bzm_client::models::{Master, ThresholdsReport};
use vajra_stats::threshold::{evaluate, EvalError, Threshold, Verdict};
use vajra_stats::{AggregateRow, TOTAL_LABEL};

/// How watching a master ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The master reached ENDED by itself.
    Ended,
    /// The user interrupted; the master was stopped or terminated.
    Interrupted,
    /// The master could not be reached for longer than the timeout (it keeps running).
    Unreachable { master_id: u64, after: Duration },
}

/// What a run came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Error,
    Interrupted,
    FailureCriteria,
}

/// Everything the end of a run decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The thresholds checked on the cloud aggregate; none when there are no thresholds or no
    /// results.
    pub verdicts: Vec<Verdict>,
    /// The first session error, described.
    pub session_error: Option<String>,
    /// BlazeMeter's own first failed criterion, described.
    pub cloud_failure: Option<String>,
    pub outcome: Outcome,
}

/// Whether BlazeMeter checked criteria of its own on this master (then its thresholds report
/// is worth fetching).
pub fn has_cloud_thresholds(master: &Master) -> bool {
    master.has_thresholds == Some(true)
}

/// `session error 500: engine crashed`, for the first session error (it fails the run, as in
/// Taurus).
pub fn session_error(master: &Master) -> Option<String> {
    master.first_session_error().map(|e| {
        format!(
            "session error {}: {}",
            e.code.map_or_else(|| "?".to_owned(), |c| c.to_string()),
            e.message.clone().unwrap_or_default()
        )
    })
}

/// BlazeMeter's first failed criterion, described.
pub fn cloud_failure(report: &ThresholdsReport) -> Option<String> {
    report.first_failure().map(|a| {
        format!(
            "BlazeMeter failure criterion `{}` (on label `{}`) was met",
            a.field.clone().unwrap_or_default(),
            a.label.clone().unwrap_or_else(|| TOTAL_LABEL.to_owned())
        )
    })
}

/// The outcome, in this order: an interruption, then contact lost or a session error (errors),
/// then a criterion met, ours or BlazeMeter's.
pub fn outcome(ending: Ending, session_error: bool, criteria_met: bool) -> Outcome {
    match ending {
        Ending::Interrupted => Outcome::Interrupted,
        Ending::Unreachable { .. } => Outcome::Error,
        Ending::Ended if session_error => Outcome::Error,
        Ending::Ended if criteria_met => Outcome::FailureCriteria,
        Ending::Ended => Outcome::Passed,
    }
}

/// Checks `thresholds` on the cloud `aggregate` and decides the run from them, the master's
/// sessions and BlazeMeter's `cloud_thresholds` report (when [`has_cloud_thresholds`]).
pub fn assess(
    ending: Ending,
    thresholds: &[Threshold],
    aggregate: &[AggregateRow],
    master: &Master,
    cloud_thresholds: Option<&ThresholdsReport>,
) -> Result<Assessment, EvalError> {
    let verdicts = if thresholds.is_empty() || aggregate.is_empty() {
        Vec::new()
    } else {
        evaluate(thresholds, aggregate, None)?
    };
    let session_error = session_error(master);
    let cloud_failure = cloud_thresholds.and_then(cloud_failure);
    let met = verdicts.iter().any(|v| v.met) || cloud_failure.is_some();
    Ok(Assessment {
        outcome: outcome(ending, session_error.is_some(), met),
        verdicts,
        session_error,
        cloud_failure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn master(json: serde_json::Value) -> Master {
        serde_json::from_value(json).unwrap()
    }

    fn aggregate(errors_rate: f64) -> Vec<AggregateRow> {
        serde_json::from_value(serde_json::json!([
            {"labelId": "ALL", "labelName": "ALL", "samples": 10, "errorsRate": errors_rate}
        ]))
        .unwrap()
    }

    #[test]
    fn thresholds_met_on_the_aggregate_fail_the_run() {
        let thresholds = [Threshold::parse("errors>1%").unwrap()];
        let ok = master(serde_json::json!({"id": 1}));
        let a = assess(Ending::Ended, &thresholds, &aggregate(5.0), &ok, None).unwrap();
        assert_eq!(a.outcome, Outcome::FailureCriteria);
        assert_eq!((a.verdicts.len(), a.verdicts[0].met), (1, true));
        let a = assess(Ending::Ended, &thresholds, &aggregate(0.5), &ok, None).unwrap();
        assert_eq!(a.outcome, Outcome::Passed);
        let a = assess(Ending::Ended, &thresholds, &[], &ok, None).unwrap();
        assert!(a.verdicts.is_empty(), "no results: nothing checked");
        let unknown = [Threshold::parse("p95(nope)>1ms").unwrap()];
        assert!(assess(Ending::Ended, &unknown, &aggregate(0.0), &ok, None).is_err());
    }

    #[test]
    fn session_errors_and_blazemeters_criteria_are_described() {
        let failed = master(serde_json::json!({
            "id": 1, "hasThresholds": true,
            "sessions": [{"id": "s", "errors": [{"code": 70404, "message": "no engines"}]}]
        }));
        assert!(has_cloud_thresholds(&failed));
        let report: ThresholdsReport = serde_json::from_value(serde_json::json!({"data": [
            {"success": false, "assertions": [{"field": "responseTime.avg", "success": false}]}
        ]}))
        .unwrap();
        let a = assess(Ending::Ended, &[], &[], &failed, Some(&report)).unwrap();
        assert_eq!(
            a.session_error.as_deref(),
            Some("session error 70404: no engines")
        );
        assert_eq!(
            a.cloud_failure.as_deref(),
            Some("BlazeMeter failure criterion `responseTime.avg` (on label `ALL`) was met")
        );
        assert_eq!(
            a.outcome,
            Outcome::Error,
            "a session error outranks criteria"
        );
        assert!(!has_cloud_thresholds(&master(serde_json::json!({"id": 2}))));
    }

    fn arb_ending() -> impl Strategy<Value = Ending> {
        prop_oneof![
            Just(Ending::Ended),
            Just(Ending::Interrupted),
            (0u64..10, 0u64..600).prop_map(|(master_id, s)| Ending::Unreachable {
                master_id,
                after: Duration::from_secs(s)
            }),
        ]
    }

    proptest! {
        /// Taurus's precedence: interrupted, then error, then criteria met, else passed.
        #[test]
        fn the_outcome_follows_taurus_precedence(
            ending in arb_ending(), session_error: bool, met: bool
        ) {
            let expected = match ending {
                Ending::Interrupted => Outcome::Interrupted,
                Ending::Unreachable { .. } => Outcome::Error,
                Ending::Ended => {
                    if session_error {
                        Outcome::Error
                    } else if met {
                        Outcome::FailureCriteria
                    } else {
                        Outcome::Passed
                    }
                }
            };
            prop_assert_eq!(outcome(ending, session_error, met), expected);
        }
    }
}
