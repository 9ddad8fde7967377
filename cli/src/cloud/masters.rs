//! `vajra cloud status|attach|stop|terminate|report <master-id>`: the commands on a master
//! that already exists. `attach` resumes the live view and the verdict, with the criteria
//! from the local record when vajra started the master here.

use anyhow::Context;
use clap::Args;
use serde_json::json;
use vajra_fleet::cloud::outcome::Ending;
use vajra_stats::threshold::Threshold;

use super::api::{self, Global};
use super::interrupt::Interrupts;
use super::watch::{self, WatchFlags};
use super::{outcome, state};
use crate::exit::Exit;
use crate::thresholds;

#[derive(Args, Debug)]
pub struct MasterArg {
    /// The master (run) id.
    pub master_id: u64,
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// The master (run) id.
    pub master_id: u64,
    #[command(flatten)]
    pub watch: WatchFlags,
}

pub fn status(global: &Global, args: MasterArg) -> anyhow::Result<Exit> {
    let (client, _) = api::connect(global)?;
    api::runtime()?.block_on(async {
        let status = client.masters().status(args.master_id).send().await?;
        if global.json {
            api::print_json(&status)?;
        } else {
            println!(
                "master {}: {} ({}/140)",
                args.master_id,
                status.status.as_deref().unwrap_or("UNKNOWN"),
                status.progress.unwrap_or(0)
            );
            for session in &status.sessions {
                println!(
                    "  session {} at {}: {}",
                    session.id,
                    session.location_id.as_deref().unwrap_or("?"),
                    session.status.as_deref().unwrap_or("?")
                );
            }
            println!("report: {}", client.report_url(args.master_id));
        }
        Ok(Exit::Ok)
    })
}

pub fn stop(global: &Global, args: MasterArg, terminate: bool) -> anyhow::Result<Exit> {
    let (client, _) = api::connect(global)?;
    api::runtime()?.block_on(async {
        if terminate {
            client.masters().terminate(args.master_id).await?;
        } else {
            client.masters().stop(args.master_id).await?;
        }
        let what = if terminate { "terminate" } else { "stop" };
        if global.json {
            api::print_json(&json!({ "master_id": args.master_id, "sent": what }))?;
        } else {
            println!("{what} sent to master {}", args.master_id);
        }
        Ok(Exit::Ok)
    })
}

/// The recorded criteria (when vajra started this master here) and `--fail-on`.
fn criteria(args: &AttachArgs) -> anyhow::Result<Vec<Threshold>> {
    let mut criteria = match state::load(args.master_id)? {
        Some(record) => record.criteria,
        None => {
            eprintln!(
                "note: master {} was not started from this machine's records; only --fail-on \
                 criteria are checked",
                args.master_id
            );
            Vec::new()
        }
    };
    criteria.extend(thresholds::from_flags(&args.watch.fail_on)?);
    Ok(criteria)
}

pub fn attach(global: &Global, args: AttachArgs) -> anyhow::Result<Exit> {
    follow(global, args, true)
}

pub fn report(global: &Global, args: AttachArgs) -> anyhow::Result<Exit> {
    follow(global, args, false)
}

fn follow(global: &Global, args: AttachArgs, live_view: bool) -> anyhow::Result<Exit> {
    let criteria = criteria(&args)?;
    let options = args.watch.options(global.json);
    let (client, _) = api::connect(global)?;
    let out_dir = args.watch.out_dir(args.master_id);
    api::runtime()?.block_on(async {
        let ending = if live_view {
            eprintln!(
                "attached to master {}: {}",
                args.master_id,
                client.report_url(args.master_id)
            );
            watch::watch(&client, args.master_id, &options, Interrupts::listen()).await
        } else {
            Ending::Ended
        };
        outcome::finish(
            &client,
            args.master_id,
            ending,
            &criteria,
            &out_dir,
            global.json,
        )
        .await
        .with_context(|| format!("cannot report on master {}", args.master_id))
    })
}
