//! The `vajra` command: `run` a plan (or a Taurus config) locally, `validate` one, `report` on result files, `package` a plan for
//! BlazeMeter and run it there with `cloud`, or write a CI fan-out with `ci`.
//!
//! Exit codes follow Taurus: 0 ok, 1 error (usage errors too), 2 interrupted, 3 failure
//! criteria met.

// Every module below prints through these, not std's macros, which panic when standard output
// is a closed pipe (`vajra run plan.yaml | head -1`); see output.rs. Defined before the modules
// so that they shadow std's in all of them.
macro_rules! println {
    () => { $crate::output::out(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::output::out(format_args!($($arg)*), true) };
}
macro_rules! print {
    ($($arg:tt)*) => { $crate::output::out(format_args!($($arg)*), false) };
}
macro_rules! eprintln {
    () => { $crate::output::err(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::output::err(format_args!($($arg)*), true) };
}
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::output::err(format_args!($($arg)*), false) };
}

mod ci;
mod cloud;
mod executions;
mod exit;
mod load_flags;
mod logging;
mod metrics_flags;
mod outcome;
mod output;
mod package;
mod prepare;
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

/// `mi_option_purge_delay` in mimalloc.h (the same number in v2 and v3): the crate does not
/// name it, so the test below checks the number by the option's default (1000 ms in v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vajra",
    version,
    about = "Open-model load testing with exact numbers, locally, in CI or on BlazeMeter"
)]
struct Cli {
    /// More diagnostic logs on standard error: -v info, -vv debug (API retries), -vvv trace.
    /// RUST_LOG adds directives of its own, e.g. RUST_LOG=reqwest=debug.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a test plan and write results.jtl, summary.json, result.vbundle and a console summary.
    Run(Box<run::RunArgs>),
    /// Load and check a plan or a Taurus config as `vajra run` would, without running it:
    /// exit 0 when it is fine, 1 with the error (file:line, field and what to do).
    Validate(prepare::ValidateArgs),
    /// Report on result files (JTL, HDR interval logs or result bundles), merged exactly; check
    /// that a fleet's bundles are complete and check pass/fail criteria.
    Report(report::ReportArgs),
    /// Build the exact files `vajra cloud run` would upload (no API calls): taurus.yml, the
    /// plan, its data, the plugin and the vajra binary; print the split and a manifest.
    Package(Box<package::PackageArgs>),
    /// Run on BlazeMeter: login, locations, run, status, attach, stop, terminate, report.
    Cloud(cloud::CloudArgs),
    /// Write a CI configuration (GitHub Actions or GitLab CI) that runs the plan as N parallel
    /// workers, then merges their results and checks the plan's thresholds (docs/ci.md).
    Ci(ci::CiArgs),
}

fn main() -> ExitCode {
    // Return freed memory to the OS at once: lanes come and go with the load, and mimalloc's
    // default 1 s delay let a 60 s run at 20k/s grow from 25 to 45 MB (docs/benchmarks.md).
    // SAFETY: sets a process-wide mimalloc option before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    // Taurus's `-o key=value` on `vajra run` and `vajra validate` (see prepare.rs).
    let args = prepare::taurus_override_args(std::env::args().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // clap exits 2 on a usage error, but 2 means "interrupted" to Taurus and CI: a
            // usage error is an error (1). Help and version go to standard output and are 0.
            let _ = error.print();
            let exit = if error.use_stderr() {
                exit::Exit::Error
            } else {
                exit::Exit::Ok
            };
            return exit.into();
        }
    };
    logging::install(cli.verbose);
    let code = match cli.command {
        Command::Run(args) => run::execute(*args),
        Command::Validate(args) => match prepare::validate(&args) {
            Ok(()) => exit::Exit::Ok,
            Err(error) => exit::report_error(&error),
        },
        Command::Report(args) => report::execute(args),
        Command::Package(args) => package::execute(*args),
        Command::Cloud(args) => cloud::execute(args),
        Command::Ci(args) => ci::execute(args),
    };
    code.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_number_is_mimallocs() {
        // SAFETY: reads a mimalloc option; no memory is touched.
        let default = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(
            default, 1000,
            "mimalloc v3's purge_delay defaults to 1000 ms"
        );
    }
}
