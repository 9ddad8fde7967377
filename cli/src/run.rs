//! `vajra run`: load the plan (or every execution of a Taurus config), overlay the flags, start
//! the embedded target if asked, run, and write `results.jtl`, `summary.json`, `result.vbundle`,
//! `report.html` and the console summary into the output directory; then check the plan's thresholds and
//! `--fail-on` criteria (exit 3 when one is met).
//!
//! A plan is the one-execution case of a Taurus config's several: the executions run at once
//! on one runtime and one stop signal, each into its own directory (`executions`), and the
//! summary, the table and the verdict cover them all.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use vajra_plan::duration::parse_duration;
use vajra_plan::{LoadSpec, Plan, PlanWarning};
use vajra_runner::embedded_target::EmbeddedTarget;
use vajra_runner::{RunReport, RunSettings, StopReason, StopSignal};
use vajra_stats::bundle::{self, LoadShare, RunMeta};
use vajra_stats::outcome::RunOutcome;
use vajra_stats::report::html::{self, ReportInput};
use vajra_stats::RunFacts;

use crate::exit::{report_error, Exit};
use crate::load_flags::LoadFlags;
use crate::metrics_flags::LiveMetrics;
use crate::prepare::{prepare_all, PlanWithFlags, TaurusFlags};
use crate::{executions, progress, signals, thresholds};

/// The most `--threads` takes. Lanes are async, so one thread serves many connections and a
/// thread per CPU is the most that helps; the bound keeps a typo (`--threads 100000`) from
/// asking the OS for more threads than it gives.
const MAX_THREADS: i64 = 1024;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The test plan (YAML), or a Taurus config (a file with `execution:`), run natively.
    pub plan: PathBuf,
    /// Output directory [default: ./vajra-results/<timestamp>]. It must not exist or be
    /// empty: a run never mixes its files with an earlier run's (see --overwrite). It is
    /// created when the run starts, so a run that cannot start leaves none behind.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write into a non-empty --out directory, replacing the files of an earlier run.
    #[arg(long)]
    pub overwrite: bool,
    /// Start the embedded loopback target and send relative URLs to it.
    #[arg(long)]
    pub embedded_target: bool,
    /// This worker's index, from 0 to N − 1, when a test is split across N workers; messages
    /// name it the same way ("worker index 0 of 2").
    #[arg(long, default_value_t = 0, value_name = "I")]
    pub worker_index: u32,
    /// Number of workers the test (its iteration rate and its data) is split across.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub worker_count: u32,
    /// Time requests in flight get to finish after a stop request.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// No live progress display.
    #[arg(short, long)]
    pub quiet: bool,
    /// When stdout is not a terminal, print a plain progress line this often.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    pub progress_every: Duration,
    /// Worker threads for the HTTP lanes, 1 to 1024 [default: one per CPU].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS))]
    pub threads: Option<u16>,
    /// Also write an HdrHistogram interval log (one interval per second) to FILE.
    #[arg(long, value_name = "FILE")]
    pub hdr_log: Option<PathBuf>,
    /// A failure criterion like 'p95(login)>500ms' or 'errors>1%' (repeatable), checked with
    /// the plan's thresholds at the end; when one is met the exit code is 3.
    #[arg(long, value_name = "EXPR")]
    pub fail_on: Vec<String>,
    #[command(flatten)]
    pub load: LoadFlags,
    #[command(flatten)]
    pub taurus: TaurusFlags,
    #[command(flatten)]
    pub metrics: crate::metrics_flags::MetricsFlags,
}

pub fn execute(args: RunArgs) -> Exit {
    match run(args) {
        Ok(exit) => exit,
        Err(error) => report_error(&error),
    }
}

/// One execution of the run (the plan itself, for a vajra plan), ready to start.
struct Execution {
    plan: Plan,
    load: LoadSpec,
    settings: RunSettings,
    /// Where its files go: the output directory, or its own under it when there are several.
    dir: PathBuf,
    /// Its name in the lines of a run with several (`execution 1`); `None` when it runs alone.
    name: Option<String>,
    /// What its Taurus mapping warned of (already printed), for `summary.json`.
    warnings: Vec<PlanWarning>,
}

impl Execution {
    fn new(
        prepared: PlanWithFlags,
        position: usize,
        count: usize,
        args: &RunArgs,
        out_dir: &Path,
    ) -> anyhow::Result<Execution> {
        let index = prepared.taurus.as_ref().map_or(position, |e| e.index);
        let dir = executions::dir(out_dir, index, count);
        let settings = RunSettings {
            model: prepared.load.build_model()?,
            worker_index: args.worker_index,
            worker_count: args.worker_count,
            max_in_flight: prepared
                .load
                .max_in_flight()
                .unwrap_or(vajra_runner::DEFAULT_MAX_IN_FLIGHT),
            drain_timeout: args.drain_timeout,
            jtl_path: dir.join("results.jtl"),
            hdr_log: args
                .hdr_log
                .as_deref()
                .map(|file| executions::hdr_log(file, index, count)),
            metrics: None,
        };
        let warnings = prepared.taurus.map(|t| t.warnings).unwrap_or_default();
        Ok(Execution {
            plan: prepared.plan,
            load: prepared.load,
            settings,
            dir,
            name: (count > 1).then(|| format!("execution {index}")),
            warnings,
        })
    }

    /// `name: ` before each of its lines, or nothing when it runs alone.
    fn prefix(&self) -> String {
        self.name
            .as_ref()
            .map(|name| format!("{name}: "))
            .unwrap_or_default()
    }

    /// The report title and header name: the plan's, with the execution when there are several.
    fn title(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({name})", self.plan.name),
            None => self.plan.name.clone(),
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<Exit> {
    if args.worker_count == 0 || args.worker_index >= args.worker_count {
        bail!(
            "--worker-index {} is out of range for --worker-count {}: use 0 ≤ index < count",
            args.worker_index,
            args.worker_count
        );
    }
    let (out_dir, out_existed) = output_dir(args.out.as_deref(), args.overwrite)?;
    // Taurus knows the results directory as ${TAURUS_ARTIFACTS_DIR}, an absolute path.
    let artifacts_dir = std::path::absolute(&out_dir).unwrap_or_else(|_| out_dir.clone());
    let prepared = prepare_all(
        &args.plan,
        &args.load,
        &args.fail_on,
        &args.taurus,
        Some(&artifacts_dir),
    )?;
    let loads: Vec<&LoadSpec> = prepared.iter().map(|p| &p.load).collect();
    let plan_hash = crate::prepare::plan_hash(&args.plan, &args.taurus, &loads)?;
    let criteria = executions::criteria(prepared.iter().map(|p| p.criteria.as_slice()));
    let count = prepared.len();
    let mut runs = prepared
        .into_iter()
        .enumerate()
        .map(|(position, p)| Execution::new(p, position, count, &args, &out_dir))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let runtime = lane_runtime(args.threads)?;
    // The runner creates the directories when it opens the JTLs, i.e. when the run starts.
    let reports = runtime.block_on(run_all(&mut runs, &args, &out_dir));
    let (reports, live_metrics) = reports.inspect_err(|_| {
        if !out_existed {
            // Only empty directories go: a partial JTL stays for the user to look at.
            for run in &runs {
                let _ = std::fs::remove_dir(&run.dir);
            }
            let _ = std::fs::remove_dir(&out_dir);
        }
    })?;
    // Lanes may still hold idle keep-alive connections; don't wait for them.
    runtime.shutdown_timeout(Duration::from_millis(100));

    let total = executions::combine(&reports);
    let several = runs.len() > 1;
    if several {
        for (run, report) in runs.iter().zip(&reports) {
            // Its own stop reason, arrivals and rates; the criteria are the whole run's, so
            // its verdict checks only what the generator did.
            let own = crate::outcome::judge_run(report, &[], run.load.allows_overload())?;
            let pattern = run.settings.model.describe().to_string();
            write_files(
                &run.dir,
                report,
                &pattern,
                &run.title(),
                Some(&own),
                &run.warnings,
                None,
            )?;
        }
    }
    let allow_overload = runs.iter().all(|run| run.load.allows_overload());
    let judged = crate::outcome::judge_run(&total, &criteria, allow_overload);
    let outcome = judged.as_ref().ok();
    let (pattern, title) = if several {
        let patterns: Vec<String> = runs
            .iter()
            .map(|run| format!("{}{}", run.prefix(), run.settings.model.describe()))
            .collect();
        let file = args.plan.file_name().unwrap_or_default().to_string_lossy();
        (patterns.join("; "), format!("{file} ({count} executions)"))
    } else {
        (
            runs[0].settings.model.describe().to_string(),
            runs[0].title(),
        )
    };
    let warnings: Vec<PlanWarning> = runs.iter().flat_map(|run| run.warnings.clone()).collect();
    let models: Vec<&vajra_runner::LoadModel> =
        runs.iter().map(|run| &run.settings.model).collect();
    let meta = run_meta(
        &total,
        &models,
        &title,
        plan_hash,
        (args.worker_index, args.worker_count),
    );
    let (summary_path, html_path) = write_files(
        &out_dir,
        &total,
        &pattern,
        &title,
        outcome,
        &warnings,
        Some(&meta),
    )?;
    print_results(&runs, &reports, &total, &summary_path, &html_path);
    let outcome = judged?;
    crate::output::stdout()
        .write_all(thresholds::verdict_text(&outcome.verdict).as_bytes())
        .context("cannot print the verdict")?;
    if let Some(live_metrics) = live_metrics {
        live_metrics.linger();
    }
    Ok(crate::outcome::exit_code(
        total.stop_reason,
        &outcome.verdict,
    ))
}

/// What the result bundle records about the run: the plan, this worker and its planned share of
/// the load (the open model's arrivals are split as `vajra_plan::schedule` splits them).
fn run_meta(
    report: &RunReport,
    models: &[&vajra_runner::LoadModel],
    plan_name: &str,
    plan_hash: String,
    (worker_index, worker_count): (u32, u32),
) -> RunMeta {
    let shares = models
        .iter()
        .map(|model| load_share(model, worker_index, worker_count));
    let load = shares
        .reduce(combine_shares)
        .unwrap_or(LoadShare::Closed { users: 0 });
    let duration_ms = u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX);
    RunMeta {
        vajra_version: env!("CARGO_PKG_VERSION").to_owned(),
        plan_name: plan_name.to_owned(),
        plan_hash,
        worker_index,
        worker_count,
        load,
        started_at_ms: report.started_at_ms,
        ended_at_ms: report.started_at_ms.saturating_add(duration_ms),
        stop_reason: vajra_runner::StopReason::name_of(report.stop_reason).to_owned(),
        arrivals: report.arrivals,
    }
}

/// One execution's planned part of the load on this worker.
fn load_share(model: &vajra_runner::LoadModel, worker_index: u32, worker_count: u32) -> LoadShare {
    match model {
        vajra_runner::LoadModel::Open(profile) => {
            let fleet = vajra_plan::schedule::arrival_count(profile);
            LoadShare::Open {
                target_tps: profile.mean_rate() / f64::from(worker_count.max(1)),
                planned_arrivals: vajra_plan::schedule::share(
                    fleet,
                    u64::from(worker_index),
                    u64::from(worker_count),
                ),
                fleet_arrivals: fleet,
            }
        }
        vajra_runner::LoadModel::Closed(closed) => LoadShare::Closed {
            users: u64::from(closed.users),
        },
    }
}

/// Several executions' shares as one: the same model's add up. A run that mixes the models
/// records its open part, whose share of the load is exact (docs/result-bundle.md).
fn combine_shares(a: LoadShare, b: LoadShare) -> LoadShare {
    match (a, b) {
        (
            LoadShare::Open {
                target_tps,
                planned_arrivals,
                fleet_arrivals,
            },
            LoadShare::Open {
                target_tps: tps,
                planned_arrivals: planned,
                fleet_arrivals: fleet,
            },
        ) => LoadShare::Open {
            target_tps: target_tps + tps,
            planned_arrivals: planned_arrivals + planned,
            fleet_arrivals: fleet_arrivals + fleet,
        },
        (LoadShare::Closed { users }, LoadShare::Closed { users: more }) => LoadShare::Closed {
            users: users + more,
        },
        (open @ LoadShare::Open { .. }, LoadShare::Closed { .. })
        | (LoadShare::Closed { .. }, open @ LoadShare::Open { .. }) => open,
    }
}

/// Starts the embedded target if any execution needs it, then every execution at once, each on
/// its own stop signal that follows the run's one (Ctrl-C, SIGTERM, `$GRACEFUL`); an execution
/// that fails stops the others. Returns the reports in the executions' order.
async fn run_all(
    runs: &mut [Execution],
    args: &RunArgs,
    out_dir: &Path,
) -> anyhow::Result<(Vec<RunReport>, Option<LiveMetrics>)> {
    let wants_target = |plan: &Plan| plan.embedded_target || args.embedded_target;
    // Kept alive until the runs end: dropping it stops the server.
    let _embedded = if runs.iter().any(|run| wants_target(&run.plan)) {
        let target = EmbeddedTarget::start()
            .await
            .context("cannot start the embedded target")?;
        for run in runs.iter_mut().filter(|run| wants_target(&run.plan)) {
            run.plan.set_base_url(&target.base_url())?;
        }
        Some(target)
    } else {
        None
    };
    if runs.len() > 1 {
        println!(
            "vajra run {}: {} executions at once, results in {}",
            args.plan.display(),
            runs.len(),
            out_dir.display()
        );
    }
    for run in runs.iter() {
        println!(
            "{}",
            header(
                &run.title(),
                &run.settings.model,
                args.worker_index,
                args.worker_count,
                &run.dir
            )
        );
        if run.plan.client.tls.insecure {
            println!(
                "{}TLS verification is OFF (tls.insecure): any certificate is accepted, so the \
                 responses may not come from the server you meant to test",
                run.prefix()
            );
        }
    }
    // One registry for every execution: their series add up, as one worker's should.
    let metrics_plan = match runs {
        [run] => run.plan.name.clone(),
        _ => args
            .plan
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
    };
    let live_metrics = args
        .metrics
        .start(&metrics_plan, args.worker_index, args.worker_count)?;
    for run in runs.iter_mut() {
        run.settings.metrics = live_metrics.as_ref().map(|m| m.metrics());
    }
    let stop = StopSignal::default();
    signals::watch(&stop);
    let view = progress::LiveView::new(args.quiet, args.progress_every);
    let handles: Vec<_> = runs
        .iter()
        .map(|run| {
            let (plan, settings) = (run.plan.clone(), run.settings.clone());
            let own = signals::follow(&stop);
            let reporter = view.reporter(run.name.clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                let result = vajra_runner::run(&plan, settings, own, reporter).await;
                if result.is_err() {
                    stop.stop(StopReason::Failed);
                }
                result
            })
        })
        .collect();
    let mut reports = Vec::with_capacity(runs.len());
    let mut failure = None;
    for (run, handle) in runs.iter().zip(handles) {
        match handle.await {
            Ok(Ok(report)) => reports.push(report),
            Ok(Err(error)) => {
                let error = match &run.name {
                    Some(name) => anyhow::Error::from(error)
                        .context(format!("{name} (scenario {}) cannot run", run.plan.name)),
                    None => error.into(),
                };
                failure.get_or_insert(error);
            }
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }
    if let Some(live_metrics) = &live_metrics {
        live_metrics.finish().await;
    }
    match failure {
        Some(error) => Err(error),
        None => Ok((reports, live_metrics)),
    }
}

/// Writes `summary.json` and `report.html` of `report` into `dir`; returns their paths.
fn write_files(
    dir: &Path,
    report: &RunReport,
    pattern: &str,
    title: &str,
    outcome: Option<&RunOutcome>,
    warnings: &[PlanWarning],
    meta: Option<&RunMeta>,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let facts = RunFacts {
        target_tps: report.target_tps,
        duration_s: report.duration.as_secs_f64(),
        dropped: report.arrivals.dropped,
        late: report.arrivals.late,
        unsent: report.arrivals.unsent,
        started_at_ms: report.started_at_ms,
        pattern: pattern.to_string(),
    };
    let mut summary = report.stats.summary(&facts);
    summary.outcome = outcome.cloned();
    let summary_path = dir.join("summary.json");
    let mut summary = serde_json::to_value(&summary).context("cannot encode the summary")?;
    if let Some(fields) = summary.as_object_mut() {
        fields.insert("extractor_misses".into(), extractor_misses_json(report));
        fields.insert("while_caps".into(), while_caps_json(report));
        fields.insert(
            "plan_warnings".into(),
            warnings.iter().map(|w| w.to_string()).collect(),
        );
    }
    let json = serde_json::to_string_pretty(&summary).context("cannot encode the summary")?;
    std::fs::write(&summary_path, json + "\n")
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    if let Some(meta) = meta {
        let bundle_path = dir.join(bundle::FILE_NAME);
        let bundle = bundle::encode(meta, &report.stats)?;
        std::fs::write(&bundle_path, bundle)
            .with_context(|| format!("cannot write {}", bundle_path.display()))?;
    }
    let html_path = dir.join("report.html");
    let mut input =
        ReportInput::from_stats(&report.stats, format!("vajra run {title}"), Some(&facts));
    input.outcome = outcome.cloned();
    let page = html::render(&input);
    std::fs::write(&html_path, page)
        .with_context(|| format!("cannot write {}", html_path.display()))?;
    Ok((summary_path, html_path))
}

/// The console's end of a run: the table over every execution, each one's load line and early
/// stop, what the plans' logic ran into, and where the files are.
fn print_results(
    runs: &[Execution],
    reports: &[RunReport],
    total: &RunReport,
    summary_path: &Path,
    html_path: &Path,
) {
    println!();
    println!("{}", vajra_stats::render_table(&total.stats.aggregate()));
    for (run, report) in runs.iter().zip(reports) {
        println!(
            "{}{}",
            run.prefix(),
            arrivals_line(report, &run.settings.model)
        );
    }
    for line in scenario_lines(total) {
        println!("{line}");
    }
    for (run, report) in runs.iter().zip(reports) {
        if let Some(reason) = report.stop_reason {
            println!("{}stopped early: {reason}", run.prefix());
        }
    }
    let mut files: Vec<String> = reports
        .iter()
        .map(|r| r.jtl_path.display().to_string())
        .collect();
    let bundle_path = summary_path.with_file_name(bundle::FILE_NAME);
    files.extend([summary_path, &bundle_path, html_path].map(|p| p.display().to_string()));
    println!("results: {}", files.join(", "));
    for hdr_log in runs.iter().filter_map(|run| run.settings.hdr_log.as_ref()) {
        println!("HDR interval log: {}", hdr_log.display());
    }
}

/// The end-of-run line on the load the generator gave: the open model's arrival accounting
/// (iterations per second, as the plan's rates are), or the closed model's iterations.
fn arrivals_line(report: &RunReport, model: &vajra_runner::LoadModel) -> String {
    let seconds = report.duration.as_secs_f64();
    match model {
        vajra_runner::LoadModel::Open(_) => format!(
            "target {:.1} it/s over {seconds:.1}s: {} arrivals scheduled, {} sent, {} dropped \
             (could not be sent), {} late (>{} ms), {} unsent (queued at the stop)",
            report.target_tps,
            report.arrivals.scheduled,
            report.arrivals.sent,
            report.arrivals.dropped,
            report.arrivals.late,
            vajra_runner::LATE_AFTER.as_millis(),
            report.arrivals.unsent
        ),
        vajra_runner::LoadModel::Closed(_) => {
            format!(
                "closed model: {} iterations over {seconds:.1}s",
                report.iterations
            )
        }
    }
}

/// What the plan's own logic ran into, one console line each: extractors that matched nothing
/// (their default, if any, was used) and `while` blocks stopped by their cap.
fn scenario_lines(report: &RunReport) -> Vec<String> {
    let misses = report.extractor_misses.iter().map(|m| {
        format!(
            "extractor missed {} time(s): {} in {:?} (its default, if any, was used)",
            m.count, m.variable, m.label
        )
    });
    let caps = report.while_caps.iter().map(|c| {
        format!(
            "while cap reached {} time(s): `{}` in scenario {:?} stopped after {} iterations",
            c.count, c.condition, c.scenario, c.max_iterations
        )
    });
    misses.chain(caps).collect()
}

/// `summary.json`'s `extractor_misses`: `[{label, variable, count}]`.
fn extractor_misses_json(report: &RunReport) -> serde_json::Value {
    report
        .extractor_misses
        .iter()
        .map(|m| serde_json::json!({"label": m.label, "variable": m.variable, "count": m.count}))
        .collect()
}

/// `summary.json`'s `while_caps`: `[{scenario, condition, max_iterations, count}]`.
fn while_caps_json(report: &RunReport) -> serde_json::Value {
    report
        .while_caps
        .iter()
        .map(|c| {
            serde_json::json!({
                "scenario": c.scenario,
                "condition": c.condition,
                "max_iterations": c.max_iterations,
                "count": c.count,
            })
        })
        .collect()
}

/// The runtime the lanes run on, with `threads` workers (one per CPU if `None`).
fn lane_runtime(threads: Option<u16>) -> anyhow::Result<tokio::runtime::Runtime> {
    // One lane thread needs no work stealing: the current-thread scheduler is cheaper.
    let mut builder = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(threads) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(usize::from(threads));
            builder
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    builder.enable_all();
    let asked = threads.map_or_else(|| "one per CPU".to_string(), |n| n.to_string());
    // Tokio panics when the OS refuses its first worker thread ("OS can't spawn worker
    // thread"); that is the user's limit (ulimit -u, memory), not a bug, so it becomes an error.
    // The default hook is muted meanwhile so no panic message reaches the terminal; nothing
    // else runs yet, so no other panic can be lost.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build()));
    std::panic::set_hook(hook);
    let cause = match built {
        Ok(Ok(runtime)) => return Ok(runtime),
        Ok(Err(error)) => error.to_string(),
        Err(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the OS refused a thread".to_string()),
    };
    bail!(
        "cannot start the async runtime with {asked} worker thread(s): {cause}; \
         use a smaller --threads or raise the limit on threads (ulimit -u)"
    )
}

/// `vajra run NAME: static 100/s for 5s, results in DIR`, with `worker index I of N` when the
/// test is split; the model's description says how long the run lasts, once.
fn header(
    plan_name: &str,
    model: &vajra_runner::LoadModel,
    worker_index: u32,
    worker_count: u32,
    out_dir: &Path,
) -> String {
    let worker = if worker_count > 1 {
        format!(
            ", {}",
            vajra_plan::schedule::worker_name(worker_index, worker_count)
        )
    } else {
        String::new()
    };
    format!(
        "vajra run {plan_name}: {}{worker}, results in {}",
        model.describe(),
        out_dir.display()
    )
}

/// The output directory and whether it existed before. An explicit `--out` that holds files
/// is refused unless `overwrite`, as an earlier run's results would be mixed with or replaced
/// by this one's; the default, timestamped directory gets a `-2`, `-3` … suffix instead when
/// another run took the same second.
fn output_dir(out: Option<&Path>, overwrite: bool) -> anyhow::Result<(PathBuf, bool)> {
    if let Some(dir) = out {
        let existed = dir.exists();
        if existed && !overwrite && !is_empty_dir(dir)? {
            bail!(
                "the output directory {} is not empty (an earlier run's results?): pass a new \
                 --out directory, remove it, or add --overwrite to replace the files vajra writes",
                dir.display()
            );
        }
        return Ok((dir.to_path_buf(), existed));
    }
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let base = PathBuf::from("vajra-results");
    let mut dir = base.join(&stamp);
    let mut n = 2;
    while dir.exists() {
        dir = base.join(format!("{stamp}-{n}"));
        n += 1;
    }
    Ok((dir, false))
}

/// Whether `dir` has no entries; an error names the path (a file, or unreadable).
fn is_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    let mut entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "cannot use {} as the output directory: pass a directory with --out",
            dir.display()
        )
    })?;
    Ok(entries.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vajra_plan::pattern::{LoadPattern, LoadProfile};

    fn report(scheduled: u64, sent: u64, dropped: u64, unsent: u64, iterations: u64) -> RunReport {
        RunReport {
            stats: vajra_stats::Stats::new(),
            stop_reason: None,
            started_at_ms: 0,
            duration: Duration::from_secs(2),
            target_tps: 50.0,
            arrivals: vajra_stats::outcome::Arrivals {
                scheduled,
                sent,
                dropped,
                unsent,
                late: 1,
            },
            iterations,
            jtl_path: PathBuf::from("results.jtl"),
            extractor_misses: Vec::new(),
            while_caps: Vec::new(),
            tls_insecure: false,
        }
    }

    #[test]
    fn extractor_misses_and_while_caps_get_a_line_and_a_summary_entry_each() {
        let mut report = report(0, 0, 0, 0, 1);
        assert!(scenario_lines(&report).is_empty());
        assert_eq!(extractor_misses_json(&report), serde_json::json!([]));
        report.extractor_misses = vec![vajra_runner::ExtractorMisses {
            label: "login".into(),
            variable: "token".into(),
            count: 3,
        }];
        report.while_caps = vec![vajra_runner::WhileCapsReached {
            scenario: "shop".into(),
            condition: "${more} == \"true\"".into(),
            max_iterations: 100,
            count: 2,
        }];
        assert_eq!(
            scenario_lines(&report),
            [
                "extractor missed 3 time(s): token in \"login\" (its default, if any, was used)",
                "while cap reached 2 time(s): `${more} == \"true\"` in scenario \"shop\" stopped \
                 after 100 iterations"
            ]
        );
        assert_eq!(
            extractor_misses_json(&report),
            serde_json::json!([{"label": "login", "variable": "token", "count": 3}])
        );
        assert_eq!(while_caps_json(&report)[0]["max_iterations"], 100);
    }

    #[test]
    fn the_end_line_names_the_unit_and_every_count_or_the_closed_models_iterations() {
        let open = vajra_runner::LoadModel::Open(LoadProfile::new(LoadPattern::Static {
            tps: 50.0,
            duration: Duration::from_secs(2),
        }));
        assert_eq!(
            arrivals_line(&report(100, 90, 7, 3, 90), &open),
            "target 50.0 it/s over 2.0s: 100 arrivals scheduled, 90 sent, 7 dropped (could not \
             be sent), 1 late (>10 ms), 3 unsent (queued at the stop)"
        );
        let closed = vajra_runner::LoadModel::Closed(vajra_plan::load_model::ClosedModel {
            users: 2,
            duration: Duration::from_secs(2),
            ramp_up: Duration::ZERO,
            iterations: Some(5),
            ramp_steps: None,
        });
        let line = arrivals_line(&report(0, 0, 0, 0, 10), &closed);
        assert_eq!(line, "closed model: 10 iterations over 2.0s");
    }

    #[test]
    fn the_header_says_the_duration_once_and_numbers_workers_from_0() {
        let model = vajra_runner::LoadModel::Open(LoadProfile::new(LoadPattern::Static {
            tps: 100.0,
            duration: Duration::from_secs(5),
        }));
        let one = header("p", &model, 0, 1, Path::new("out"));
        assert_eq!(one, "vajra run p: static 100/s for 5s, results in out");
        let split = header("p", &model, 4, 5, Path::new("out"));
        assert_eq!(
            split,
            "vajra run p: static 100/s for 5s, worker index 4 of 5, results in out"
        );
    }
}
