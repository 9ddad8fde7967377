//! `vajra report`: read result files (JTL or HdrHistogram interval logs), merge them exactly,
//! show the result and check pass/fail criteria.
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
use vajra_stats::jtl::reader::BAD_ROWS_KEPT;
use vajra_stats::jtl::JtlReader;
use vajra_stats::report::html::{self, ReportInput};
use vajra_stats::report::{text, BadRowAt, BadRows, Report};
use vajra_stats::{read_hdr_log_stats, Stats};

use crate::exit::{report_error, Exit};
use crate::thresholds;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Result files: JTL (JMeter CSV) or HdrHistogram interval logs (`.hlog`, or detected by
    /// their content). Several files are merged exactly.
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
    let report = Report::new(&stats, bad_rows);
    if let Some(path) = &args.html {
        let title = format!("vajra report {}", file_names(&args.files));
        let page = html::render(&ReportInput::from_stats(&stats, title, None));
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
    stats: Stats,
    bad_rows: BadRows,
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
    if is_hdr_log(path) {
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
    let file = reader.file().to_string();
    let report = reader.bad_rows();
    Ok(Input {
        stats,
        bad_rows: BadRows {
            count: report.count,
            first: report
                .first
                .iter()
                .map(|row| BadRowAt {
                    file: file.clone(),
                    line: row.line,
                    reason: row.reason.clone(),
                })
                .collect(),
        },
    })
}

/// An HdrHistogram interval log: a `.hlog` file, or one that starts like one (a `#[…]`
/// comment, a `Tag=` interval or the CSV legend). A JTL header starts with a column name.
fn is_hdr_log(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hlog"))
    {
        return true;
    }
    let mut head = [0u8; 32];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    [b"#[".as_slice(), b"Tag=", b"\"StartTimestamp\""]
        .iter()
        .any(|start| head.starts_with(start))
}

/// Replays the log's histograms into statistics, per bucket rather than per sample (see
/// [`vajra_stats::read_hdr_log_stats`]).
fn read_hdr(path: &Path) -> anyhow::Result<Input> {
    let stats = read_hdr_log_stats(path)?;
    Ok(Input {
        stats,
        bad_rows: BadRows::default(),
    })
}
