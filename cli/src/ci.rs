//! `vajra ci github|gitlab PLAN --workers N`: write a CI configuration that runs the plan as N
//! workers and merges and judges their results (`vajra_fleet::ci`). The plan and the worker
//! flags are checked here as `vajra run` would check them, so a bad plan fails when the file is
//! generated, not in CI.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use vajra_fleet::ci::{self, CiSpec};

use crate::exit::{report_error, Exit};
use crate::prepare::prepare;
use crate::run::RunArgs;

#[derive(Args, Debug)]
pub struct CiArgs {
    #[command(subcommand)]
    command: CiCommand,
}

#[derive(Subcommand, Debug)]
enum CiCommand {
    /// A GitHub Actions workflow: a matrix job over worker indices and a merge job that writes
    /// the Markdown report to the job summary.
    Github(GenerateArgs),
    /// A GitLab CI pipeline: a `parallel: N` worker job and a merge job.
    Gitlab(GitlabArgs),
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// The plan (or Taurus config), by its path relative to the repository root: the jobs run
    /// it from their checkout. Run this command from the repository root.
    plan: PathBuf,
    /// Number of workers, 2 to 200: each runs its share of the load (`--worker-index I
    /// --worker-count N`).
    #[arg(long, value_name = "N")]
    workers: u32,
    /// Write the file here instead of to standard output (e.g. .github/workflows/load.yml).
    #[arg(short, long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The vajra version the jobs install (`cargo install vajra --version V --locked`) or
    /// require of $VAJRA_BIN.
    #[arg(long, value_name = "V", default_value = env!("CARGO_PKG_VERSION"))]
    vajra_version: String,
    /// Also keep each worker's JTL as an artifact.
    #[arg(long)]
    jtl: bool,
    /// `vajra run` flags for every worker, after `--` (e.g. `-- --tps 300 --duration 5m`).
    #[arg(last = true, value_name = "RUN FLAGS")]
    run_flags: Vec<String>,
}

#[derive(Args, Debug)]
struct GitlabArgs {
    #[command(flatten)]
    common: GenerateArgs,
    /// The jobs' image; it needs `cargo` to install vajra, unless $VAJRA_BIN is set.
    #[arg(long, value_name = "IMAGE", default_value = "rust:1")]
    image: String,
    /// No `image:`: the jobs use the runner's default (a shell runner, say).
    #[arg(long, conflicts_with = "image")]
    no_image: bool,
}

/// The worker flags, parsed as `vajra run` parses them.
#[derive(Parser, Debug)]
#[command(name = "vajra run")]
struct WorkerRun {
    #[command(flatten)]
    run: RunArgs,
}

pub fn execute(args: CiArgs) -> Exit {
    match generate(args) {
        Ok(()) => Exit::Ok,
        Err(error) => report_error(&error),
    }
}

fn generate(args: CiArgs) -> anyhow::Result<()> {
    let (kind, common, image) = match args.command {
        CiCommand::Github(common) => ("github", common, None),
        CiCommand::Gitlab(gitlab) => {
            let image = (!gitlab.no_image).then_some(gitlab.image);
            ("gitlab", gitlab.common, image)
        }
    };
    let spec = spec(kind, &common, image)?;
    let text = match kind {
        "github" => ci::github_workflow(&spec)?,
        _ => ci::gitlab_pipeline(&spec)?,
    };
    match &common.out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "wrote {} ({} workers, vajra {})",
                path.display(),
                spec.workers,
                spec.vajra_version
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Checks the plan with the worker flags as every worker will run it, and gathers the
/// criteria the merge job checks on the merged results.
fn spec(kind: &str, args: &GenerateArgs, image: Option<String>) -> anyhow::Result<CiSpec> {
    if args.plan.is_absolute() {
        bail!(
            "{}: give the plan's path relative to the repository root (the CI jobs run it from \
             their checkout), and run `vajra ci` from there",
            args.plan.display()
        );
    }
    let Some(plan) = args.plan.to_str() else {
        bail!("{}: the plan path is not UTF-8", args.plan.display());
    };
    let words = ["vajra run".to_owned(), plan.to_owned()]
        .into_iter()
        .chain(args.run_flags.iter().cloned());
    let worker = WorkerRun::try_parse_from(words)
        .map_err(|e| {
            let text = e.render().to_string();
            let text = text.trim_start_matches("error: ").trim_end();
            anyhow::anyhow!("the worker flags after `--`: {text}")
        })?
        .run;
    if worker.worker_index != 0 || worker.worker_count != 1 || worker.out.is_some() {
        bail!(
            "the worker flags after `--`: --worker-index, --worker-count and --out are set by \
             the generated jobs (from --workers {}); leave them out",
            args.workers
        );
    }
    let prepared = prepare(
        &worker.plan,
        &worker.load,
        &worker.fail_on,
        &worker.taurus,
        None,
    )?;
    prepared.load.build_model()?;
    let (generator, results): (Vec<_>, Vec<_>) = prepared
        .criteria
        .iter()
        .partition(|t| t.metric.is_generator());
    for criterion in &generator {
        eprintln!(
            "note: `{criterion}` is about each worker's generator: every worker checks it on \
             its own share (see its log and summary.json); the merge job checks the others on \
             the merged results"
        );
    }
    let mut command = format!("vajra ci {kind} {plan} --workers {}", args.workers);
    if args.jtl {
        command.push_str(" --jtl");
    }
    if !args.run_flags.is_empty() {
        command.push_str(" -- ");
        command.push_str(&args.run_flags.join(" "));
    }
    Ok(CiSpec {
        plan: plan.to_owned(),
        workers: args.workers,
        vajra_version: args.vajra_version.clone(),
        run_flags: args.run_flags.clone(),
        fail_on: results.iter().map(|t| t.to_string()).collect(),
        jtl: args.jtl,
        image,
        command,
    })
}
