//! Whether a set of result bundles is one whole fleet: every worker once, all of the same plan.
//!
//! [`check`] compares what the bundles record (worker index and count, plan hash, load share)
//! against each other or against an expected worker count, and names each problem with the
//! files it concerns. A missing worker may be accepted (`--allow-missing`); then
//! [`WorkerCheck::missing_workers`] says how much of the load the report lacks, from the shares
//! the bundles recorded. A duplicated worker or a different plan is never accepted: merging them
//! would count a worker twice or mix two tests.

use std::collections::BTreeMap;
use std::fmt;

use vajra_plan::schedule::{share, worker_name};
use vajra_stats::bundle::{LoadShare, RunMeta};
use vajra_stats::report::MissingWorkers;

/// One bundle: the file it came from (as messages name it) and what it recorded.
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    pub file: &'a str,
    pub run: &'a RunMeta,
}

/// What is wrong with a set of bundles.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// No bundle has this worker index.
    Missing { index: u32, count: u32 },
    /// Several bundles have the same worker index.
    Duplicate {
        index: u32,
        count: u32,
        files: Vec<String>,
    },
    /// The bundles record different plan hashes: each hash with its files.
    PlanDiffers { plans: Vec<(String, Vec<String>)> },
    /// The bundles record different worker counts (and none was given to expect).
    CountDiffers { counts: Vec<(u32, Vec<String>)> },
    /// A bundle's worker index is not below the expected worker count.
    OutOfRange {
        file: String,
        index: u32,
        count: u32,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { index, count } => write!(
                f,
                "{} is missing (no bundle with worker index {index})",
                worker_name(index, count)
            ),
            Problem::Duplicate {
                index,
                count,
                files,
            } => write!(
                f,
                "{} is there {} times: {}; the same bundle given twice, or two runs with the \
                 same --worker-index: give one of them",
                worker_name(index, count),
                files.len(),
                files.join(", ")
            ),
            Problem::PlanDiffers { plans } => {
                let plans: Vec<String> = plans
                    .iter()
                    .map(|(hash, files)| format!("{} ({hash})", files.join(", ")))
                    .collect();
                write!(
                    f,
                    "the bundles come from different plans or load settings: {}; report each \
                     test on its own",
                    plans.join(" vs ")
                )
            }
            Problem::CountDiffers { counts } => {
                let counts: Vec<String> = counts
                    .iter()
                    .map(|(count, files)| format!("{} of {count} workers", files.join(", ")))
                    .collect();
                write!(
                    f,
                    "the bundles disagree on the worker count: {}; give --expect-workers N",
                    counts.join(" vs ")
                )
            }
            Problem::OutOfRange { file, index, count } => write!(
                f,
                "{file} has worker index {index}, which is not below the expected {count} \
                 workers (--expect-workers)"
            ),
        }
    }
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerCheck {
    /// The workers the fleet had: the expected count, or the one the bundles record.
    pub worker_count: u32,
    /// Every problem found, missing workers first in index order.
    pub problems: Vec<Problem>,
    /// The missing workers and their share of the load; `None` when none is missing.
    pub missing: Option<MissingWorkers>,
}

impl WorkerCheck {
    /// The problems that fail the report: all of them, except missing workers when
    /// `allow_missing`.
    pub fn failing(&self, allow_missing: bool) -> Vec<&Problem> {
        self.problems
            .iter()
            .filter(|p| !(allow_missing && matches!(p, Problem::Missing { .. })))
            .collect()
    }

    /// The missing workers for the report (see [`MissingWorkers`]).
    pub fn missing_workers(&self) -> Option<&MissingWorkers> {
        self.missing.as_ref()
    }
}

/// Checks `bundles` as the results of one fleet of `expect_workers` workers, or of the count
/// they record.
pub fn check(bundles: &[Recorded<'_>], expect_workers: Option<u32>) -> WorkerCheck {
    let mut problems = Vec::new();
    let recorded_counts = group(bundles, |b| b.run.worker_count);
    let worker_count = match expect_workers {
        Some(n) => n,
        None => {
            if recorded_counts.len() > 1 {
                problems.push(Problem::CountDiffers {
                    counts: recorded_counts.clone().into_iter().collect(),
                });
            }
            recorded_counts.keys().copied().max().unwrap_or(0)
        }
    };
    let by_index = group(bundles, |b| b.run.worker_index);
    let missing: Vec<u32> = (0..worker_count)
        .filter(|i| !by_index.contains_key(i))
        .collect();
    problems.extend(missing.iter().map(|&index| Problem::Missing {
        index,
        count: worker_count,
    }));
    for (&index, files) in &by_index {
        if files.len() > 1 {
            problems.push(Problem::Duplicate {
                index,
                count: worker_count,
                files: files.clone(),
            });
        }
        if index >= worker_count {
            problems.extend(files.iter().map(|file| Problem::OutOfRange {
                file: file.clone(),
                index,
                count: worker_count,
            }));
        }
    }
    let plans = group(bundles, |b| b.run.plan_hash.clone());
    if plans.len() > 1 {
        problems.push(Problem::PlanDiffers {
            plans: plans.into_iter().collect(),
        });
    }
    let missing = (!missing.is_empty()).then(|| missing_share(bundles, worker_count, missing));
    WorkerCheck {
        worker_count,
        problems,
        missing,
    }
}

/// The files of each value of `key`, in the order given.
fn group<K: Ord>(
    bundles: &[Recorded<'_>],
    key: impl Fn(&Recorded<'_>) -> K,
) -> BTreeMap<K, Vec<String>> {
    let mut groups: BTreeMap<K, Vec<String>> = BTreeMap::new();
    for b in bundles {
        groups.entry(key(b)).or_default().push(b.file.to_owned());
    }
    groups
}

/// How much of the load the missing workers had. The open model's split is known exactly from
/// any bundle (worker `i` of `N` plans `share(fleet_arrivals, i, N)` arrivals); the closed
/// model's users are per worker, so a missing one is taken to have run the present workers'
/// mean; without either, each worker counts alike.
fn missing_share(bundles: &[Recorded<'_>], worker_count: u32, missing: Vec<u32>) -> MissingWorkers {
    let first_of_each: BTreeMap<u32, &RunMeta> = bundles
        .iter()
        .rev()
        .map(|b| (b.run.worker_index, b.run))
        .collect();
    let present: Vec<&RunMeta> = first_of_each.values().copied().collect();
    let workers = if missing.len() == 1 {
        worker_name(missing[0], worker_count)
    } else {
        let list: Vec<String> = missing.iter().map(u32::to_string).collect();
        format!("worker indexes {} of {worker_count}", list.join(", "))
    };
    let verb = if missing.len() == 1 { "is" } else { "are" };
    let open_fleet = present
        .iter()
        .map(|run| match run.load {
            LoadShare::Open { fleet_arrivals, .. } => Some(fleet_arrivals),
            LoadShare::Closed { .. } => None,
        })
        .collect::<Option<Vec<u64>>>()
        .and_then(|fleets| {
            fleets
                .first()
                .copied()
                .filter(|f| fleets.iter().all(|x| x == f))
        });
    let closed_users = present
        .iter()
        .map(|run| match run.load {
            LoadShare::Closed { users } => Some(users),
            LoadShare::Open { .. } => None,
        })
        .collect::<Option<Vec<u64>>>();
    let pct = |part: f64, whole: f64| {
        if whole > 0.0 {
            100.0 * part / whole
        } else {
            0.0
        }
    };
    let (missing_pct, measured_in, detail) = match (open_fleet, closed_users) {
        (Some(fleet), _) if fleet > 0 && present.iter().all(|r| r.worker_count == worker_count) => {
            let lacking: u64 = missing
                .iter()
                .map(|&i| share(fleet, u64::from(i), u64::from(worker_count)))
                .sum();
            let p = pct(lacking as f64, fleet as f64);
            (
                p,
                "arrivals",
                format!("{lacking} of {fleet} planned arrivals, {p:.1} % of the load"),
            )
        }
        (_, Some(users)) if !users.is_empty() && users.iter().sum::<u64>() > 0 => {
            let mean = users.iter().sum::<u64>() as f64 / users.len() as f64;
            let lacking = mean * missing.len() as f64;
            let p = pct(lacking, lacking + users.iter().sum::<u64>() as f64);
            (
                p,
                "users",
                format!(
                    "about {lacking:.0} virtual users if each ran as many as the others, {p:.1} % \
                     of the load"
                ),
            )
        }
        _ => {
            let p = pct(missing.len() as f64, f64::from(worker_count));
            (p, "workers", format!("{p:.1} % of the workers"))
        }
    };
    MissingWorkers {
        worker_count,
        statement: format!("incomplete: {workers} {verb} missing ({detail})"),
        missing,
        missing_pct,
        measured_in: measured_in.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vajra_stats::outcome::Arrivals;

    fn run(index: u32, count: u32, hash: &str, load: LoadShare) -> RunMeta {
        RunMeta {
            vajra_version: "0.1.0".into(),
            plan_name: "p".into(),
            plan_hash: hash.into(),
            worker_index: index,
            worker_count: count,
            load,
            started_at_ms: 0,
            ended_at_ms: 1,
            stop_reason: "completed".into(),
            arrivals: Arrivals::default(),
        }
    }

    fn open(index: u32, count: u32) -> RunMeta {
        let fleet = 1000;
        run(
            index,
            count,
            "sha256:aa",
            LoadShare::Open {
                target_tps: 10.0,
                planned_arrivals: share(fleet, u64::from(index), u64::from(count)),
                fleet_arrivals: fleet,
            },
        )
    }

    fn recorded<'a>(runs: &'a [(&'a str, RunMeta)]) -> Vec<Recorded<'a>> {
        runs.iter()
            .map(|(file, run)| Recorded { file, run })
            .collect()
    }

    #[test]
    fn a_whole_fleet_has_no_problem() {
        let runs = [("a", open(0, 3)), ("b", open(2, 3)), ("c", open(1, 3))];
        let check = check(&recorded(&runs), None);
        assert_eq!(check.worker_count, 3);
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        assert_eq!(check.missing, None);
        assert!(check.failing(false).is_empty());
    }

    #[test]
    fn a_missing_worker_is_named_and_its_exact_share_stated() {
        let runs = [("w0.vbundle", open(0, 3)), ("w1.vbundle", open(1, 3))];
        let check = check(&recorded(&runs), None);
        assert_eq!(
            check
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["worker index 2 of 3 is missing (no bundle with worker index 2)"]
        );
        assert_eq!(check.failing(false).len(), 1);
        assert!(check.failing(true).is_empty());
        let missing = check.missing_workers().unwrap();
        // 1000 arrivals over 3: 334, 333, 333.
        assert_eq!(missing.missing, [2]);
        assert_eq!(missing.measured_in, "arrivals");
        assert!((missing.missing_pct - 33.3).abs() < 1e-9);
        assert_eq!(
            missing.statement,
            "incomplete: worker index 2 of 3 is missing (333 of 1000 planned arrivals, 33.3 % of \
             the load)"
        );
    }

    #[test]
    fn the_expected_count_overrides_the_recorded_one() {
        let runs = [("a", open(0, 2)), ("b", open(1, 2))];
        let check = check(&recorded(&runs), Some(4));
        let missing: Vec<_> = check
            .problems
            .iter()
            .filter(|p| matches!(p, Problem::Missing { .. }))
            .collect();
        assert_eq!(missing.len(), 2);
        // The recorded split no longer applies: counted by workers.
        let m = check.missing.unwrap();
        assert_eq!((m.missing, m.measured_in.as_str()), (vec![2, 3], "workers"));
        assert_eq!(
            m.statement,
            "incomplete: worker indexes 2, 3 of 4 are missing (50.0 % of the workers)"
        );
        let runs = [("a", open(0, 2)), ("b", open(1, 2))];
        let check = super::check(&recorded(&runs), Some(1));
        assert_eq!(
            check.problems[0].to_string(),
            "b has worker index 1, which is not below the expected 1 workers (--expect-workers)"
        );
    }

    #[test]
    fn a_duplicate_and_a_different_plan_name_their_files_and_always_fail() {
        let mut other = open(2, 3);
        other.plan_hash = "sha256:bb".into();
        let runs = [
            ("a", open(0, 3)),
            ("b", open(1, 3)),
            ("copy-of-b", open(1, 3)),
            ("c", other),
        ];
        let check = check(&recorded(&runs), None);
        let text: Vec<String> = check
            .failing(true)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "worker index 1 of 3 is there 2 times: b, copy-of-b; the same bundle given \
                 twice, or two runs with the same --worker-index: give one of them",
                "the bundles come from different plans or load settings: a, b, copy-of-b \
                 (sha256:aa) vs c (sha256:bb); report each test on its own"
            ]
        );
    }

    #[test]
    fn differing_recorded_counts_are_a_problem() {
        let runs = [("a", open(0, 2)), ("b", open(1, 3))];
        let check = check(&recorded(&runs), None);
        assert_eq!(
            check.problems[0].to_string(),
            "the bundles disagree on the worker count: a of 2 workers vs b of 3 workers; give \
             --expect-workers N"
        );
    }

    #[test]
    fn closed_model_users_are_estimated_from_the_present_workers() {
        let closed = |i| run(i, 4, "h", LoadShare::Closed { users: 10 });
        let runs = [("a", closed(0)), ("b", closed(1)), ("c", closed(3))];
        let m = check(&recorded(&runs), None).missing.unwrap();
        assert_eq!(m.measured_in, "users");
        assert_eq!(
            m.statement,
            "incomplete: worker index 2 of 4 is missing (about 10 virtual users if each ran as \
             many as the others, 25.0 % of the load)"
        );
    }
}
