//! The outcome of a run as every output records it: the verdict (passed, failed or invalid,
//! with its reasons, each criterion with its actual value, and warnings), the arrival
//! accounting and the rates. `summary.json` carries it as [`RunOutcome`] (documented field by
//! field in `docs/summary-json.md`); `report.html` shows it; the console verdict prints it.
//!
//! The rules, pure functions of the results, in [`RunVerdict::decide`]:
//!
//! - a run whose generator dropped more than [`MAX_MISSED_PCT`] % of its scheduled
//!   arrivals is **invalid**, unless the plan allows overload: its numbers describe what the
//!   generator managed to send, not the target rate;
//! - otherwise it **failed** when a failure criterion is met, and **passed** if not;
//! - a run where every sample failed gets a warning, whatever its verdict.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::threshold::Verdict;
use crate::AggregateRow;

/// The version of `summary.json`'s layout; see `docs/summary-json.md` for the policy.
pub const SCHEMA_VERSION: u32 = 2;

/// The most arrivals, in percent of those scheduled, a run may miss and still be valid.
pub const MAX_MISSED_PCT: f64 = 1.0;

/// Why an overloaded run is invalid.
pub const OVERLOAD_REASON: &str =
    "the generator could not hold the rate; these results don't describe the target rate";

/// The warning for a run whose every sample failed.
pub const ALL_FAILED_WARNING: &str = "every sample failed: these results describe errors, not \
     the target's performance (is the target up, and the base URL right?)";

/// The warning for a run that did not verify TLS certificates (`tls.insecure`).
pub const INSECURE_TLS_WARNING: &str = "TLS verification was OFF (tls.insecure): any \
     certificate was accepted, so this run says nothing about the target's certificate";

/// How a run's arrivals went, as the runner counted them. `scheduled = sent + dropped +
/// unsent`; `late` is a part of `sent`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrivals {
    pub scheduled: u64,
    pub sent: u64,
    pub dropped: u64,
    pub unsent: u64,
    pub late: u64,
}

impl Arrivals {
    /// `count` in percent of the scheduled arrivals; 0 when none were scheduled.
    pub fn pct(&self, count: u64) -> f64 {
        if self.scheduled == 0 {
            0.0
        } else {
            100.0 * count as f64 / self.scheduled as f64
        }
    }

    /// Arrivals the generator failed to send. Unsent arrivals are left out: they were queued
    /// when a stop came, which is the stop's doing, not the generator's.
    pub fn missed(&self) -> u64 {
        self.dropped
    }

    /// Whether the generator missed more than [`MAX_MISSED_PCT`] % of the arrivals.
    pub fn overloaded(&self) -> bool {
        self.pct(self.missed()) > MAX_MISSED_PCT
    }
}

/// The verdict's one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictResult {
    Passed,
    Failed,
    Invalid,
}

impl fmt::Display for VerdictResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VerdictResult::Passed => "passed",
            VerdictResult::Failed => "failed",
            VerdictResult::Invalid => "invalid",
        })
    }
}

/// One failure criterion as checked: its canonical text, the measured value with its unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub criterion: String,
    pub actual: String,
    pub met: bool,
}

/// The verdict of a run; see the module docs for the rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunVerdict {
    pub result: VerdictResult,
    /// Why it failed or is invalid: the invalid-run reason first, then each criterion met.
    pub reasons: Vec<String>,
    /// Every criterion checked, met or not, in the order given.
    pub criteria: Vec<CriterionResult>,
    pub warnings: Vec<String>,
}

impl RunVerdict {
    /// Decides the verdict from the checked criteria, the run's arrivals (`None` for results
    /// that come without them, such as JTL files) and the "ALL" row of the results.
    pub fn decide(
        verdicts: &[Verdict],
        arrivals: Option<&Arrivals>,
        allow_overload: bool,
        total: Option<&AggregateRow>,
    ) -> RunVerdict {
        let mut reasons = Vec::new();
        let mut warnings = Vec::new();
        let overloaded = arrivals.filter(|a| a.overloaded());
        if let Some(a) = overloaded {
            let missed = format!(
                "{} of {} arrivals ({:.2} %) were dropped: the in-flight bound was reached, or \
                 the run was past its end",
                a.missed(),
                a.scheduled,
                a.pct(a.missed()),
            );
            if allow_overload {
                warnings.push(format!("{missed} (allowed by allow-overload)"));
            } else {
                reasons.push(format!("{OVERLOAD_REASON} ({missed})"));
            }
        }
        let invalid = overloaded.is_some() && !allow_overload;
        reasons.extend(verdicts.iter().filter(|v| v.met).map(Verdict::to_string));
        if total.is_some_and(|t| t.samples > 0 && t.errors_count >= t.samples) {
            warnings.push(ALL_FAILED_WARNING.to_string());
        }
        let result = if invalid {
            VerdictResult::Invalid
        } else if verdicts.iter().any(|v| v.met) {
            VerdictResult::Failed
        } else {
            VerdictResult::Passed
        };
        RunVerdict {
            result,
            reasons,
            criteria: verdicts
                .iter()
                .map(|v| CriterionResult {
                    criterion: v.threshold.to_string(),
                    actual: v.actual_text(),
                    met: v.met,
                })
                .collect(),
            warnings,
        }
    }

    /// Whether the run passed.
    pub fn passed(&self) -> bool {
        self.result == VerdictResult::Passed
    }
}

/// The arrival accounting in `summary.json`: counts and their percentages of `scheduled`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrivalsSummary {
    pub scheduled: u64,
    pub sent: u64,
    pub dropped: u64,
    pub unsent: u64,
    pub late: u64,
    pub dropped_pct: f64,
    pub unsent_pct: f64,
    pub late_pct: f64,
    /// Dropped + unsent, percent of scheduled: what the invalid-run rule checks.
    pub missed_pct: f64,
}

impl From<&Arrivals> for ArrivalsSummary {
    fn from(a: &Arrivals) -> Self {
        ArrivalsSummary {
            scheduled: a.scheduled,
            sent: a.sent,
            dropped: a.dropped,
            unsent: a.unsent,
            late: a.late,
            dropped_pct: a.pct(a.dropped),
            unsent_pct: a.pct(a.unsent),
            late_pct: a.pct(a.late),
            missed_pct: a.pct(a.missed()),
        }
    }
}

/// The rates of a run, each in its unit: iterations (arrivals) or requests (samples) per
/// second. "Achieved" is a count over the measured window: first sample start to last sample
/// end, as JMeter and BlazeMeter measure throughput.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Mean target iterations/s over the time the dispatcher ran.
    pub target_its: f64,
    /// Iterations started / `window_s`.
    pub achieved_its: f64,
    /// Samples / `window_s`.
    pub achieved_reqs: f64,
    /// The measured window, s.
    pub window_s: f64,
}

impl Rates {
    /// From the target, the iterations started, the samples and the measured window.
    pub fn new(target_its: f64, iterations: u64, samples: u64, window_s: f64) -> Rates {
        let per_s = |n: u64| {
            if window_s > 0.0 {
                n as f64 / window_s
            } else {
                0.0
            }
        };
        Rates {
            target_its,
            achieved_its: per_s(iterations),
            achieved_reqs: per_s(samples),
            window_s,
        }
    }
}

/// What `summary.json` and `report.html` record of a run's outcome beyond the statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    pub verdict: RunVerdict,
    /// `completed`, `interrupted`, `graceful`, `data exhausted` or `error`.
    pub stop_reason: String,
    pub arrivals: ArrivalsSummary,
    pub rates: Rates,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threshold::Threshold;
    use proptest::prelude::*;

    fn arrivals(scheduled: u64, dropped: u64, unsent: u64) -> Arrivals {
        Arrivals {
            scheduled,
            sent: scheduled - dropped - unsent,
            dropped,
            unsent,
            late: 0,
        }
    }

    fn total(samples: u64, errors: u64) -> AggregateRow {
        AggregateRow {
            label_id: crate::TOTAL_LABEL.into(),
            label_name: crate::TOTAL_LABEL.into(),
            samples,
            avg_response_time: 0.0,
            median_response_time: 0.0,
            line90: 0.0,
            line95: 0.0,
            line99: 0.0,
            min_response_time: 0.0,
            max_response_time: 0.0,
            st_dev: 0.0,
            avg_latency: 0.0,
            avg_bytes: 0.0,
            avg_throughput: 0.0,
            duration: 0.0,
            errors_count: errors,
            errors_rate: 0.0,
            concurrency: None,
        }
    }

    #[test]
    fn missing_more_than_one_percent_is_invalid_unless_allowed() {
        // 1 % exactly is still valid; one more arrival is not.
        assert!(!arrivals(1000, 10, 0).overloaded());
        assert!(arrivals(1000, 11, 0).overloaded());
        // Unsent arrivals were queued when a stop came: the stop's doing, not the generator's.
        assert!(!arrivals(1000, 10, 500).overloaded());
        let v = RunVerdict::decide(&[], Some(&arrivals(1000, 11, 0)), false, None);
        assert_eq!(v.result, VerdictResult::Invalid);
        assert!(v.reasons[0].starts_with(OVERLOAD_REASON), "{v:?}");
        assert!(
            v.reasons[0].contains("11 of 1000 arrivals (1.10 %)"),
            "{v:?}"
        );
        let v = RunVerdict::decide(&[], Some(&arrivals(1000, 11, 0)), true, None);
        assert_eq!(v.result, VerdictResult::Passed);
        assert!(v.reasons.is_empty());
        assert!(v.warnings[0].contains("allow-overload"), "{v:?}");
        let v = RunVerdict::decide(&[], Some(&arrivals(1000, 10, 0)), false, None);
        assert!(v.passed() && v.warnings.is_empty(), "{v:?}");
        // No arrivals (the closed model, JTL files): nothing to judge.
        assert!(RunVerdict::decide(&[], Some(&Arrivals::default()), false, None).passed());
        assert!(RunVerdict::decide(&[], None, false, None).passed());
    }

    #[test]
    fn criteria_met_fail_and_invalid_wins() {
        let met = Verdict {
            threshold: Threshold::parse("p95>1s").unwrap(),
            actual: 2.5,
            met: true,
        };
        let not_met = Verdict {
            threshold: Threshold::parse("errors>1%").unwrap(),
            actual: 0.0,
            met: false,
        };
        let v = RunVerdict::decide(&[met.clone(), not_met.clone()], None, false, None);
        assert_eq!(v.result, VerdictResult::Failed);
        assert_eq!(v.reasons, ["p95>1s (actual: 2.5s)"]);
        assert_eq!(
            v.criteria,
            [
                CriterionResult {
                    criterion: "p95>1s".into(),
                    actual: "2.5s".into(),
                    met: true
                },
                CriterionResult {
                    criterion: "errors>1%".into(),
                    actual: "0%".into(),
                    met: false
                }
            ]
        );
        let v = RunVerdict::decide(&[met], Some(&arrivals(100, 50, 0)), false, None);
        assert_eq!(v.result, VerdictResult::Invalid);
        assert_eq!(v.reasons.len(), 2, "{v:?}");
        assert!(RunVerdict::decide(&[not_met], None, false, None).passed());
    }

    #[test]
    fn every_sample_failed_warns_but_does_not_decide() {
        let v = RunVerdict::decide(&[], None, false, Some(&total(5, 5)));
        assert!(v.passed());
        assert_eq!(v.warnings, [ALL_FAILED_WARNING]);
        assert!(RunVerdict::decide(&[], None, false, Some(&total(5, 4)))
            .warnings
            .is_empty());
        assert!(RunVerdict::decide(&[], None, false, Some(&total(0, 0)))
            .warnings
            .is_empty());
    }

    #[test]
    fn rates_divide_by_the_window() {
        let r = Rates::new(50.0, 100, 300, 2.0);
        assert_eq!((r.achieved_its, r.achieved_reqs), (50.0, 150.0));
        assert_eq!(Rates::new(5.0, 3, 3, 0.0).achieved_reqs, 0.0);
    }

    proptest! {
        #[test]
        fn percentages_are_of_scheduled(sent in 0u64..10_000, dropped in 0u64..10_000, unsent in 0u64..10_000, late_part in 0.0f64..=1.0) {
            let late = (sent as f64 * late_part) as u64;
            let a = Arrivals { scheduled: sent + dropped + unsent, sent, dropped, unsent, late };
            let s = ArrivalsSummary::from(&a);
            prop_assert_eq!(s.scheduled, s.sent + s.dropped + s.unsent);
            if a.scheduled > 0 {
                let sum = s.dropped_pct + s.unsent_pct + 100.0 * sent as f64 / a.scheduled as f64;
                prop_assert!((sum - 100.0).abs() < 1e-9);
                prop_assert!((s.missed_pct - s.dropped_pct).abs() < 1e-9);
                prop_assert!(s.late_pct <= 100.0 * sent as f64 / a.scheduled as f64 + 1e-9);
            }
            // The rule is exactly "dropped > 1 % of scheduled", in integers.
            prop_assert_eq!(a.overloaded(), dropped * 100 > a.scheduled);
        }
    }
}
