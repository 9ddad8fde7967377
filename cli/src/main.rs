//! The `vajra` command: `run` a plan locally, `report` on result files, `package` a plan for
//! BlazeMeter and run it there with `cloud`.
//!
//! Exit codes follow Taurus: 0 ok, 1 error, 2 interrupted, 3 failure criteria met.

mod cloud;
mod exit;
mod load_flags;
mod package;
mod progress;
mod report;
mod run;
mod signals;
mod thresholds;

use std::process::ExitCode;

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
    /// Build the exact files `vajra cloud run` would upload (no API calls): taurus.yml, the
    /// plan, its data, the plugin and the vajra binary; print the split and a manifest.
    Package(Box<package::PackageArgs>),
    /// Run on BlazeMeter: login, locations, run, status, attach, stop, terminate, report.
    Cloud(cloud::CloudArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run::execute(*args),
        Command::Report(args) => report::execute(args),
        Command::Package(args) => package::execute(*args),
        Command::Cloud(args) => cloud::execute(args),
    };
    code.into()
}
