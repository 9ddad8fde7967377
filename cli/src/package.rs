//! `vajra package`: builds the exact files `vajra cloud run` would upload, with no API calls,
//! and prints the split table and a manifest, so a user can inspect them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::cloud::api::print_json;
use crate::cloud::package;
use crate::cloud::prepare::{prepare, SplitFlags};
use crate::cloud::state::split_lines;
use crate::exit::{report_error, Exit};

#[derive(Args, Debug)]
pub struct PackageArgs {
    /// Where to write the package: a .zip file, or a directory.
    #[arg(short, long, value_name = "FILE.zip|DIR")]
    pub out: PathBuf,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
    // Last: the load flags set their own help heading.
    #[command(flatten)]
    pub split: SplitFlags,
}

pub fn execute(args: PackageArgs) -> Exit {
    match run(args) {
        Ok(()) => Exit::Ok,
        Err(error) => report_error(&error),
    }
}

fn run(args: PackageArgs) -> anyhow::Result<()> {
    let plan = prepare(&args.split, &[])?;
    let split = plan.split_offline()?;
    let package = plan.package(&split)?;
    package
        .write(&args.out)
        .with_context(|| format!("cannot write the package {}", args.out.display()))?;
    let manifest = package.manifest();
    if args.json {
        print_json(&json!({
            "out": args.out,
            "split": split_lines(&split),
            "files": manifest,
        }))
    } else {
        println!("{split}");
        println!("{}", package::render_manifest(&manifest));
        println!("package written to {}", args.out.display());
        Ok(())
    }
}
