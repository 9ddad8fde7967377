//! A run of several executions at once (every `execution:` of a Taurus config, as bzt runs
//! them): where each one's files go, the criteria they are judged by together, and their
//! reports combined into the one that the summary, the console table and the verdict describe.

use std::path::{Path, PathBuf};

use vajra_runner::{ExtractorMisses, RunReport, StopReason, WhileCapsReached};
use vajra_stats::outcome::Arrivals;
use vajra_stats::threshold::Threshold;

/// Execution `index`'s directory: the output directory itself when the run has one execution
/// (so a one-execution run writes what a plan's run writes), `OUT/execution-<index>` when it
/// has several.
pub fn dir(out: &Path, index: usize, count: usize) -> PathBuf {
    if count > 1 {
        out.join(format!("execution-{index}"))
    } else {
        out.to_path_buf()
    }
}

/// Execution `index`'s HDR interval log: `FILE` itself when the run has one execution, else
/// beside it with the execution in its name (`run.hlog` → `run.execution-1.hlog`), as one log
/// holds one run's intervals.
pub fn hdr_log(file: &Path, index: usize, count: usize) -> PathBuf {
    if count <= 1 {
        return file.to_path_buf();
    }
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    let name = match file.extension() {
        Some(ext) => format!("{stem}.execution-{index}.{}", ext.to_string_lossy()),
        None => format!("{stem}.execution-{index}"),
    };
    file.with_file_name(name)
}

/// The criteria of the whole run: every execution's, each once, in order. The executions of a
/// Taurus config share its passfail criteria and `--fail-on`, which are judged once, over all.
pub fn criteria<'a>(each: impl IntoIterator<Item = &'a [Threshold]>) -> Vec<Threshold> {
    let mut all: Vec<Threshold> = Vec::new();
    for threshold in each.into_iter().flatten() {
        if !all.contains(threshold) {
            all.push(threshold.clone());
        }
    }
    all
}

/// The reports of runs that ran at once, as one: statistics merged exactly (rows of the same
/// label merge), arrivals, iterations and target rates summed, the earliest start and the
/// longest duration, the gravest stop reason, the plan-logic counts added up per key, and TLS
/// verification off if it was off in any. `jtl_path` is the first run's: each run has its own
/// JTL, and the caller lists them. `reports` is not empty.
pub fn combine(reports: &[RunReport]) -> RunReport {
    let (first, rest) = reports
        .split_first()
        .expect("a run has at least one execution");
    let mut stats = first.stats.clone();
    for report in rest {
        stats.merge(&report.stats);
    }
    let arrivals = reports
        .iter()
        .map(|r| r.arrivals)
        .fold(Arrivals::default(), |a, b| Arrivals {
            scheduled: a.scheduled + b.scheduled,
            sent: a.sent + b.sent,
            dropped: a.dropped + b.dropped,
            unsent: a.unsent + b.unsent,
            late: a.late + b.late,
        });
    let mut extractor_misses: Vec<ExtractorMisses> = Vec::new();
    let mut while_caps: Vec<WhileCapsReached> = Vec::new();
    for report in reports {
        for miss in &report.extractor_misses {
            match extractor_misses
                .iter_mut()
                .find(|m| (&m.label, &m.variable) == (&miss.label, &miss.variable))
            {
                Some(seen) => seen.count += miss.count,
                None => extractor_misses.push(miss.clone()),
            }
        }
        for cap in &report.while_caps {
            match while_caps.iter_mut().find(|c| {
                (&c.scenario, &c.condition, c.max_iterations)
                    == (&cap.scenario, &cap.condition, cap.max_iterations)
            }) {
                Some(seen) => seen.count += cap.count,
                None => while_caps.push(cap.clone()),
            }
        }
    }
    RunReport {
        stats,
        stop_reason: gravest(reports.iter().filter_map(|r| r.stop_reason)),
        started_at_ms: reports.iter().map(|r| r.started_at_ms).min().unwrap_or(0),
        duration: reports.iter().map(|r| r.duration).max().unwrap_or_default(),
        target_tps: reports.iter().map(|r| r.target_tps).sum(),
        arrivals,
        iterations: reports.iter().map(|r| r.iterations).sum(),
        jtl_path: first.jtl_path.clone(),
        extractor_misses,
        while_caps,
        tls_insecure: reports.iter().any(|r| r.tls_insecure),
    }
}

/// The stop reason that says most about the whole run: an interrupt (exit 2) over an error, over
/// a graceful stop, over one execution's data running out.
fn gravest(reasons: impl Iterator<Item = StopReason>) -> Option<StopReason> {
    reasons.min_by_key(|reason| match reason {
        StopReason::Interrupted => 0,
        StopReason::Failed => 1,
        StopReason::Terminated => 2,
        StopReason::DataExhausted => 3,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use vajra_stats::sample::{Observation, ResponseCode};

    use super::*;

    fn report(label: &str, samples: u64, stop_reason: Option<StopReason>) -> RunReport {
        let mut stats = vajra_stats::Stats::new();
        for i in 0..samples {
            stats.record(&Observation {
                timestamp_ms: 1_700_000_000_000 + i,
                label,
                elapsed_us: 1_000 * (i + 1),
                latency_us: 0,
                connect_us: 0,
                service_us: None,
                bytes_received: 0,
                bytes_sent: 0,
                success: true,
                response_code: ResponseCode::Status(200),
                response_message: "OK",
                failure_message: "",
                active_threads: 1,
                url: "",
            });
        }
        RunReport {
            stats,
            stop_reason,
            started_at_ms: 1_000 + samples,
            duration: Duration::from_secs(samples),
            target_tps: samples as f64,
            arrivals: Arrivals {
                scheduled: samples,
                sent: samples,
                dropped: 1,
                unsent: 2,
                late: 3,
            },
            iterations: samples,
            jtl_path: PathBuf::from(format!("{label}.jtl")),
            extractor_misses: vec![ExtractorMisses {
                label: "login".into(),
                variable: "token".into(),
                count: samples,
            }],
            while_caps: Vec::new(),
            tls_insecure: samples == 3,
        }
    }

    #[test]
    fn one_execution_keeps_its_files_where_a_plan_has_them_and_several_get_a_directory_each() {
        let out = Path::new("out");
        assert_eq!(dir(out, 1, 1), Path::new("out"));
        assert_eq!(dir(out, 1, 2), Path::new("out/execution-1"));
        assert_eq!(
            hdr_log(Path::new("logs/run.hlog"), 0, 1),
            Path::new("logs/run.hlog")
        );
        assert_eq!(
            hdr_log(Path::new("logs/run.hlog"), 1, 2),
            Path::new("logs/run.execution-1.hlog")
        );
        assert_eq!(
            hdr_log(Path::new("run"), 0, 3),
            Path::new("run.execution-0")
        );
    }

    #[test]
    fn shared_criteria_are_judged_once_and_each_executions_own_are_kept() {
        let parse = |e: &str| Threshold::parse(e).unwrap();
        let first = [parse("errors>1%"), parse("p95(a)>1s")];
        let second = [parse("errors>1%"), parse("p95(b)>1s")];
        let all = criteria([&first[..], &second[..]]);
        let texts: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["errors>1%", "p95(a)>1s", "p95(b)>1s"]);
    }

    #[test]
    fn reports_combine_exactly_and_the_gravest_stop_wins() {
        let reports = [
            report("a", 2, None),
            report("b", 3, Some(StopReason::DataExhausted)),
            report("a", 4, Some(StopReason::Terminated)),
        ];
        let all = combine(&reports);
        assert_eq!(all.stats.label("a").unwrap().samples(), 6);
        assert_eq!(all.stats.label("b").unwrap().samples(), 3);
        assert_eq!(all.stats.total().samples(), 9);
        assert_eq!(all.stop_reason, Some(StopReason::Terminated));
        assert_eq!(all.started_at_ms, 1_002);
        assert_eq!(all.duration, Duration::from_secs(4));
        assert_eq!(all.target_tps, 9.0);
        assert_eq!(all.iterations, 9);
        assert_eq!(
            all.arrivals,
            Arrivals {
                scheduled: 9,
                sent: 9,
                dropped: 3,
                unsent: 6,
                late: 9
            }
        );
        assert_eq!(all.extractor_misses.len(), 1);
        assert_eq!(all.extractor_misses[0].count, 9);
        assert!(all.tls_insecure);
        assert_eq!(all.jtl_path, Path::new("a.jtl"));

        let one = combine(&reports[..1]);
        assert_eq!(one.stop_reason, None);
        assert_eq!(one.stats.total().samples(), 2);
        assert!(!one.tls_insecure);
        assert_eq!(
            gravest(
                [
                    StopReason::DataExhausted,
                    StopReason::Interrupted,
                    StopReason::Failed
                ]
                .into_iter()
            ),
            Some(StopReason::Interrupted)
        );
    }
}
