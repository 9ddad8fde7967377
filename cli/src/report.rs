//! `vajra report`: read result files (JTL, HdrHistogram interval logs or result bundles), merge
//! them exactly, show the result and check pass/fail criteria.
//!
//! Result bundles record their worker and plan, so a set of them is checked as one fleet first
//! (`vajra_fleet::workers`): a missing worker fails the report unless `--allow-missing`, and then
//! every view states the missing share of the load.
//!
//! Each file is read into its own [`Stats`] on a pool of threads (one per CPU), and the results
//! are merged in the order the files were given, so the output does not depend on timing and
//! equals what one file with every row would give. What is shown is
//! [`vajra_stats::report::Report`]; this module only does the I/O around it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use clap::{Args, ValueEnum};
use vajra_fleet::workers;
use vajra_stats::bundle::{self, RunMeta};
use vajra_stats::jtl::reader::BAD_ROWS_KEPT;
use vajra_stats::jtl::JtlReader;
use vajra_stats::report::html::{self, ReportInput};
use vajra_stats::report::{text, BadRowAt, BadRows, Report};
use vajra_stats::{read_hdr_log_stats, Stats};

use crate::exit::{report_error, Exit};
use crate::thresholds;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Result files: JTL (JMeter CSV), HdrHistogram interval logs (`.hlog`) or result bundles
    /// (`.vbundle`), each also detected by its content. Several files are merged exactly.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Console)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the self-contained HTML report (charts and tables) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Stop at the first bad row (exit 1) instead of skipping and counting bad rows.
    #[arg(long)]
    pub strict: bool,
    /// Count transaction-controller rows in the total ("ALL"); by default they only get their
    /// own rows, since their time is the sum of samples already counted.
    #[arg(long)]
    pub include_transactions: bool,
    /// A failure criterion like 'p95(login)>500ms', 'errors>1%' or 'avg-tps<900' (repeatable).
    /// When one is met the exit code is 3. See docs/thresholds.md.
    #[arg(long, value_name = "EXPR")]
    pub fail_on: Vec<String>,
    /// The number of workers whose result bundles make the whole test (default: the count the
    /// bundles record). A missing or duplicated worker, or bundles of different plans, fail the
    /// report.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub expect_workers: Option<u32>,
    /// Report on the bundles given even when workers are missing; the report states the
    /// missing share of the load.
    #[arg(long)]
    pub allow_missing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned tables for a terminal.
    Console,
    /// Aggregate, errors, timeline, bad rows (see docs).
    Json,
    /// The aggregate report, one line per label.
    Csv,
    /// Tables for CI summaries and pull requests.
    Markdown,
}

pub fn execute(args: ReportArgs) -> Exit {
    match report(args) {
        Ok(exit) => exit,
        Err(error) => report_error(&error),
    }
}

fn report(args: ReportArgs) -> anyhow::Result<Exit> {
    let criteria = thresholds::from_flags(&args.fail_on)?;
    // Refused before reading: result files carry no arrival accounting.
    if let Some(t) = criteria.iter().find(|t| t.metric.is_generator()) {
        anyhow::bail!(
            "invalid --fail-on `{t}`: `{}` counts the generator's arrivals, which only \
             `vajra run` knows and result files don't carry; check it in the run itself \
             (`vajra run --fail-on '{t}'` or the plan's thresholds)",
            t.metric
        );
    }
    let inputs = read_all(&args.files, args.strict)?;
    let missing_workers = check_fleet(&args, &inputs)?;
    let mut stats = Stats::new();
    stats.include_transactions_in_total(args.include_transactions);
    let mut bad_rows = BadRows::default();
    for input in &inputs {
        stats.merge(&input.stats);
        bad_rows.count += input.bad_rows.count;
        let room = BAD_ROWS_KEPT.saturating_sub(bad_rows.first.len());
        bad_rows
            .first
            .extend(input.bad_rows.first.iter().take(room).cloned());
        warn_bad_rows(&input.bad_rows);
    }
    drop(inputs);
    let mut report = Report::new(&stats, bad_rows);
    report.missing_workers = missing_workers;
    if let Some(path) = &args.html {
        let title = format!("vajra report {}", file_names(&args.files));
        let mut input = ReportInput::from_stats(&stats, title, None);
        input
            .warnings
            .extend(report.missing_workers.iter().map(|m| m.statement.clone()));
        let page = html::render(&input);
        std::fs::write(path, page)
            .with_context(|| format!("cannot write the HTML report to {}", path.display()))?;
    }
    let rendered = match args.format {
        Format::Console => text::console(&report),
        Format::Json => report.to_json(),
        Format::Csv => text::csv(&report),
        Format::Markdown => text::markdown(&report),
    };
    // Verdicts go with a console report on standard output, else to standard error so that
    // JSON or CSV on standard output stays machine-readable.
    let verdicts_on_stdout = args.output.is_none() && args.format == Format::Console;
    match &args.output {
        Some(path) => std::fs::write(path, &rendered)
            .with_context(|| format!("cannot write the report to {}", path.display()))?,
        None => crate::output::stdout()
            .write_all(rendered.as_bytes())
            .context("cannot write the report to standard output")?,
    }
    let met = if verdicts_on_stdout {
        thresholds::check(
            &criteria,
            &report.aggregate,
            &stats,
            &mut crate::output::stdout(),
        )?
    } else {
        thresholds::check(&criteria, &report.aggregate, &stats, &mut std::io::stderr())?
    };
    Ok(if met { Exit::FailureCriteria } else { Exit::Ok })
}

/// Checks the result bundles among the inputs as one fleet. Problems other than missing
/// workers always fail; missing ones fail unless `--allow-missing`, and are then returned for
/// the report to state (and warned of on standard error).
fn check_fleet(
    args: &ReportArgs,
    inputs: &[Input],
) -> anyhow::Result<Option<vajra_stats::report::MissingWorkers>> {
    let recorded: Vec<workers::Recorded<'_>> = inputs
        .iter()
        .filter_map(|input| {
            input.run.as_ref().map(|run| workers::Recorded {
                file: &input.file,
                run,
            })
        })
        .collect();
    if recorded.is_empty() {
        if args.expect_workers.is_some() {
            anyhow::bail!(
                "--expect-workers checks result bundles (result.vbundle of `vajra run`), and none                  was given: JTL files and HDR logs record no worker"
            );
        }
        return Ok(None);
    }
    let check = workers::check(&recorded, args.expect_workers);
    // JTL files and HDR logs record no worker: they may hold the workers without a bundle, so
    // those are only warned of, and the report states no missing share.
    let mixed = recorded.len() < inputs.len();
    let failing = check.failing(args.allow_missing || mixed);
    if !failing.is_empty() {
        let lines: Vec<String> = failing.iter().map(|p| format!("  {p}")).collect();
        let missing_only = failing
            .iter()
            .all(|p| matches!(p, workers::Problem::Missing { .. }));
        let what_to_do = if missing_only {
            "give every worker's bundle, or --allow-missing to report without them"
        } else {
            "give each worker's bundle once, all of one test"
        };
        anyhow::bail!(
            "the result bundles are not one whole test of {} workers:\n{}\n{what_to_do}",
            check.worker_count,
            lines.join("\n")
        );
    }
    if mixed {
        for missing in check.missing_workers().iter().flat_map(|m| &m.missing) {
            eprintln!(
                "note: {} has no bundle; the JTL or HDR inputs may hold its results",
                vajra_plan::schedule::worker_name(missing, check.worker_count)
            );
        }
        return Ok(None);
    }
    let missing = check.missing_workers().cloned();
    if let Some(missing) = &missing {
        eprintln!("warning: {}", missing.statement);
    }
    Ok(missing)
}

/// `a.jtl, b.jtl` for a title.
fn file_names(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.file_name().unwrap_or(p.as_os_str()).to_string_lossy())
        .collect::<Vec<_>>()
        .join(", ")
}

fn warn_bad_rows(bad_rows: &BadRows) {
    if let Some(first) = bad_rows.first.first() {
        eprintln!(
            "warning: {}: skipped {} bad row(s) (--strict makes them an error):",
            first.file, bad_rows.count
        );
        for row in &bad_rows.first {
            eprintln!("  line {}: {}", row.line, row.reason);
        }
    }
}

/// One file's statistics.
struct Input {
    /// As messages name it.
    file: String,
    stats: Stats,
    bad_rows: BadRows,
    /// What a result bundle records about its run; `None` for a JTL or an HDR log.
    run: Option<RunMeta>,
}

/// Reads every file, in parallel, into results in the order of `paths`. The first failing
/// file (in that order) is the error.
fn read_all(paths: &[PathBuf], strict: bool) -> anyhow::Result<Vec<Input>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(paths.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, anyhow::Result<Input>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        done.push((i, read_file(path, strict)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("reading a file does not panic"))
            .collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, input)| input).collect()
}

fn read_file(path: &Path, strict: bool) -> anyhow::Result<Input> {
    let head = file_head(path);
    if is_bundle(path, &head) {
        let bundle = bundle::read(path)?;
        return Ok(Input {
            file: path.display().to_string(),
            stats: bundle.stats,
            bad_rows: BadRows::default(),
            run: Some(bundle.run),
        });
    }
    if is_hdr_log(path, &head) {
        return read_hdr(path);
    }
    let mut reader = JtlReader::open(path, strict)?;
    let mut stats = Stats::new();
    while let Some(record) = reader.next_record()? {
        let observation = record.observation();
        if record.is_transaction() {
            stats.record_transaction(&observation);
        } else {
            stats.record(&observation);
        }
    }
    let file = path.display().to_string();
    let reader_file = reader.file().to_string();
    let report = reader.bad_rows();
    Ok(Input {
        file,
        stats,
        run: None,
        bad_rows: BadRows {
            count: report.count,
            first: report
                .first
                .iter()
                .map(|row| BadRowAt {
                    file: reader_file.clone(),
                    line: row.line,
                    reason: row.reason.clone(),
                })
                .collect(),
        },
    })
}

/// The first bytes of the file, to tell its kind by (none when it cannot be read: the reader
/// then names the error).
fn file_head(path: &Path) -> Vec<u8> {
    let mut head = vec![0u8; 32];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head.truncate(n);
    head
}

/// A result bundle: a `.vbundle` file, or gzip data (JTLs and HDR logs are text).
fn is_bundle(path: &Path, head: &[u8]) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(bundle::EXTENSION))
        || bundle::looks_like_bundle(head)
}

/// An HdrHistogram interval log: a `.hlog` file, or one that starts like one (a `#[…]`
/// comment, a `Tag=` interval or the CSV legend). A JTL header starts with a column name.
fn is_hdr_log(path: &Path, head: &[u8]) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hlog"))
    {
        return true;
    }
    [b"#[".as_slice(), b"Tag=", b"\"StartTimestamp\""]
        .iter()
        .any(|start| head.starts_with(start))
}

/// Replays the log's histograms into statistics, per bucket rather than per sample (see
/// [`vajra_stats::read_hdr_log_stats`]).
fn read_hdr(path: &Path) -> anyhow::Result<Input> {
    let stats = read_hdr_log_stats(path)?;
    Ok(Input {
        file: path.display().to_string(),
        stats,
        bad_rows: BadRows::default(),
        run: None,
    })
}
