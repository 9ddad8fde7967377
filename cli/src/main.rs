//! The `vajra` command: `run` a plan locally, `report` on result files (more subcommands join
//! as they are built).
//!
//! Exit codes follow Taurus: 0 ok, 1 error, 2 interrupted, 3 failure criteria met.

mod exit;
mod load_flags;
mod progress;
mod report;
mod run;
mod signals;
mod thresholds;

use std::process::ExitCode;

// Many small allocations per request (hyper buffers, headers): mimalloc is measurably cheaper
// than glibc malloc for that pattern (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vajra",
    version,
    about = "Open-model load testing with exact numbers, locally, in CI or on BlazeMeter"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a test plan and write results.jtl, summary.json and a console summary.
    Run(Box<run::RunArgs>),
    /// Report on result files (JTL or HDR interval logs), merged exactly; check pass/fail
    /// criteria.
    Report(report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run::execute(*args),
        Command::Report(args) => report::execute(args),
    };
    code.into()
}
