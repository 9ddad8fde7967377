//! A run ends on time at any accepted rate, and its arrivals add up:
//! scheduled = sent + dropped + unsent.

use std::path::Path;
use std::time::{Duration, Instant};

use vajra_plan::Plan;
use vajra_runner::embedded_target::EmbeddedTarget;
use vajra_runner::{run, RunReport, RunSettings, StopSignal, OVERRUN_GRACE};

async fn run_plan(load: &str, max_in_flight: usize) -> (RunReport, Duration) {
    let target = EmbeddedTarget::start().await.unwrap();
    let yaml = format!(
        "name: on-time\nbase-url: {}\nscenarios:\n  - name: s\n    requests:\n      - url: /fast\nload:\n{load}",
        target.base_url()
    );
    let plan = Plan::from_str(&yaml, Path::new("on-time.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = RunSettings {
        model: plan.load.build_model().unwrap(),
        worker_index: 0,
        worker_count: 1,
        max_in_flight,
        drain_timeout: Duration::from_secs(2),
        jtl_path: dir.path().join("results.jtl"),
        hdr_log: None,
        metrics: None,
    };
    let started = Instant::now();
    let report = run(&plan, settings, StopSignal::default(), Box::new(|_| {}))
        .await
        .unwrap();
    (report, started.elapsed())
}

fn assert_identity(report: &RunReport) {
    assert_eq!(
        report.arrivals.scheduled,
        report.arrivals.sent + report.arrivals.dropped + report.arrivals.unsent,
        "scheduled {} != sent {} + dropped {} + unsent {}",
        report.arrivals.scheduled,
        report.arrivals.sent,
        report.arrivals.dropped,
        report.arrivals.unsent
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_million_a_second_ends_within_duration_and_drain() {
    let (report, wall) = run_plan("  pattern: static\n  tps: 2000000\n  duration: 2s\n", 64).await;
    assert!(
        wall <= Duration::from_secs(2) + Duration::from_secs(2) + Duration::from_secs(2),
        "took {wall:?}"
    );
    assert_identity(&report);
    assert_eq!(
        report.arrivals.scheduled, 4_000_000,
        "every arrival of the plan is accounted for"
    );
    assert!(
        report.arrivals.dropped > 0,
        "the machine cannot send 2M/s: {}",
        report.arrivals.sent
    );
    assert_eq!(report.arrivals.sent, report.stats.total().samples());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_the_machine_holds_sends_every_arrival() {
    let (report, wall) = run_plan("  pattern: static\n  tps: 200\n  duration: 1s\n", 1000).await;
    assert!(
        wall < Duration::from_secs(1) + OVERRUN_GRACE,
        "took {wall:?}"
    );
    assert_identity(&report);
    assert_eq!(report.arrivals.scheduled, 200);
    assert_eq!(report.arrivals.sent, 200);
    assert_eq!((report.arrivals.dropped, report.arrivals.unsent), (0, 0));
}
