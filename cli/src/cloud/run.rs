//! `vajra cloud run`: split and package the plan, find or create the test, upload, configure
//! (docs/blazemeter-api.md §2.5), validate, start, record the master locally, then the live view
//! and the verdict (or, with `--detach`, the master id and report URL).

use std::time::Duration;

use anyhow::{anyhow, Context};
use bzm_client::Client;
use clap::Args;
use serde_json::json;
use vajra_fleet::split::capacities;

use super::api::{self, Global};
use super::interrupt::Interrupts;
use super::outcome;
use super::package::{self, Package, MAIN_FILE};
use super::prepare::{prepare, SplitFlags};
use super::state::{self, split_lines, MasterRecord};
use super::watch::{self, WatchFlags};
use crate::exit::Exit;

/// Taurus's default location, used when neither the flags nor the plan name one.
const DEFAULT_LOCATION: &str = "us-central1-a";

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The test to use, by id or name (created in the project if no test has that name)
    /// [default: "vajra <plan name>"].
    #[arg(long, value_name = "ID|NAME")]
    pub test: Option<String>,
    /// Split and package only; upload nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Start the run, print the master id and report URL, and exit 0.
    #[arg(long)]
    pub detach: bool,
    /// Make the report public and print its public URL.
    #[arg(long)]
    pub public_report: bool,
    /// Name of the report (the master).
    #[arg(long, value_name = "NAME")]
    pub report_name: Option<String>,
    #[command(flatten)]
    pub watch: WatchFlags,
    // Last: the load flags set their own help heading.
    #[command(flatten)]
    pub split: SplitFlags,
}

pub fn execute(global: &Global, args: RunArgs) -> anyhow::Result<Exit> {
    let cloud = prepare(&args.split, &args.watch.fail_on)?;
    let watch = args.watch.options(global.json);
    if args.dry_run {
        let split = cloud.split_offline()?;
        let package = cloud.package(&split)?;
        show_plan(&split, &package, global.json)?;
        println!("dry run: nothing uploaded");
        return Ok(Exit::Ok);
    }
    let (client, credentials) = api::connect(global)?;
    eprintln!(
        "API key {} from {}",
        credentials.key.id(),
        credentials.source
    );
    let runtime = api::runtime()?;
    runtime.block_on(async {
        let target = Target::resolve(&client, global).await?;
        let workspace = client
            .workspaces()
            .get(target.workspace_id)
            .await?
            .ok_or_else(|| anyhow!("workspace {} not found", target.workspace_id))?;
        let available = capacities(&workspace.locations);
        let mut cloud = cloud;
        if cloud.weights.is_empty() && available.contains_key(DEFAULT_LOCATION) {
            cloud.weights = vec![(DEFAULT_LOCATION.to_owned(), 1.0)];
        }
        let split = cloud.split(&available)?;
        let package = cloud.package(&split)?;
        show_plan(&split, &package, global.json)?;

        let test_name = args
            .test
            .clone()
            .unwrap_or_else(|| format!("vajra {}", cloud.plan.name));
        let test_id = find_or_create_test(&client, target.project_id, &test_name).await?;
        upload(&client, test_id, &package).await?;
        configure(&client, test_id).await?;
        validate(&client, test_id, watch.poll).await?;

        // From here on Ctrl-C must reach the master, not kill vajra.
        let interrupts = Interrupts::listen();
        let master = client.tests().start(test_id).send().await?;
        let report_url = client.report_url(master.id);
        let record = MasterRecord {
            master_id: master.id,
            test_id,
            test_name: test_name.clone(),
            plan: cloud.flags.plan.clone(),
            api_url: client.base_url().to_string(),
            report_url: report_url.clone(),
            started_at: chrono::Utc::now().timestamp(),
            criteria: cloud.criteria.clone(),
            split: split_lines(&split),
        };
        let record_path = state::save(&record)?;
        if let Some(name) = &args.report_name {
            client.masters().rename(master.id, name).await?;
        }
        let public_url = if args.public_report {
            let token = client.masters().public_token(master.id).await?;
            Some(client.public_report_url(master.id, &token.public_token))
        } else {
            None
        };
        if global.json && args.detach {
            api::print_json(&json!({
                "master_id": master.id,
                "test_id": test_id,
                "report_url": report_url,
                "public_report_url": public_url,
            }))?;
            return Ok(Exit::Ok);
        }
        // With --json, stdout carries only the final JSON document.
        let say = |line: String| {
            if global.json {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        };
        say(format!(
            "started master {} of test {test_id} ({test_name})",
            master.id
        ));
        say(format!("report: {report_url}"));
        if let Some(url) = &public_url {
            say(format!("public report: {url}"));
        }
        say(format!("recorded in {}", record_path.display()));
        if args.detach {
            say(format!(
                "detached; follow it with `vajra cloud attach {}`",
                master.id
            ));
            return Ok(Exit::Ok);
        }
        let ending = watch::watch(&client, master.id, &watch, interrupts).await;
        let out_dir = args.watch.out_dir(master.id);
        outcome::finish(
            &client,
            master.id,
            ending,
            &cloud.criteria,
            &out_dir,
            global.json,
        )
        .await
    })
}

fn show_plan(
    split: &vajra_fleet::split::Split,
    package: &Package,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        return Ok(());
    }
    println!("{split}");
    println!("{}", package::render_manifest(&package.manifest()));
    Ok(())
}

/// The workspace and project a run goes to.
struct Target {
    workspace_id: u64,
    project_id: u64,
}

impl Target {
    /// As Taurus chooses: the flags, else the user's default project and its workspace.
    async fn resolve(client: &Client, global: &Global) -> anyhow::Result<Target> {
        let user = client.users().me().await?;
        let default = user.default_project;
        let workspace_id = match (global.workspace, &default) {
            (Some(id), _) => id,
            (None, Some(project)) => project
                .workspace_id
                .ok_or_else(|| anyhow!("the default project has no workspace; give --workspace"))?,
            (None, None) => anyhow::bail!("this user has no default project; give --workspace"),
        };
        let project_id = match &global.project {
            Some(text) => match text.parse::<u64>() {
                Ok(id) => {
                    let project = client
                        .projects()
                        .get(id)
                        .await?
                        .ok_or_else(|| anyhow!("--project {id}: no such project"))?;
                    project.id
                }
                Err(_) => {
                    let found = client
                        .projects()
                        .list(workspace_id)
                        .name(text)
                        .send()
                        .await?;
                    match found
                        .into_iter()
                        .find(|p| p.name.as_deref() == Some(text.as_str()))
                    {
                        Some(project) => project.id,
                        None => client.projects().create(workspace_id, text).await?.id,
                    }
                }
            },
            None => match default {
                Some(project)
                    if global
                        .workspace
                        .is_none_or(|w| Some(w) == project.workspace_id) =>
                {
                    project.id
                }
                _ => anyhow::bail!(
                    "give --project: the default project is not in workspace {workspace_id}"
                ),
            },
        };
        Ok(Target {
            workspace_id,
            project_id,
        })
    }
}

/// A taurus test of that id or name in the project, created if there is none.
async fn find_or_create_test(client: &Client, project_id: u64, name: &str) -> anyhow::Result<u64> {
    if let Ok(id) = name.parse::<u64>() {
        let test = client
            .tests()
            .get(id)
            .await?
            .ok_or_else(|| anyhow!("--test {id}: no such test"))?;
        return Ok(test.id);
    }
    let existing = client
        .tests()
        .list_in_project(project_id)
        .name(name)
        .send()
        .await?;
    if let Some(test) = existing
        .into_iter()
        .find(|t| t.name.as_deref() == Some(name) && t.test_type() == Some("taurus"))
    {
        return Ok(test.id);
    }
    Ok(client.tests().create(project_id, name).send().await?.id)
}

/// Replaces the test's files with the package's.
async fn upload(client: &Client, test_id: u64, package: &Package) -> anyhow::Result<()> {
    let old: Vec<String> = client
        .tests()
        .files(test_id)
        .await?
        .into_iter()
        .map(|f| f.name)
        .collect();
    if !old.is_empty() {
        client.tests().delete_files(test_id, &old).await?;
    }
    let mut upload = client.tests().upload(test_id);
    for file in package.unique_files() {
        upload = upload.bytes(file.name.clone(), file.bytes.clone());
    }
    upload
        .send()
        .await
        .with_context(|| format!("cannot upload the package to test {test_id}"))
}

/// Lets taurus.yml govern the load (docs/blazemeter-api.md §2.5).
async fn configure(client: &Client, test_id: u64) -> anyhow::Result<()> {
    client
        .tests()
        .update(test_id)
        .configuration(json!({ "scriptType": "taurus", "filename": MAIN_FILE }))
        .should_send_report_email(false)
        .override_executions(vec![])
        .send()
        .await?;
    Ok(())
}

/// Asks BlazeMeter to validate taurus.yml and waits for it (at most 100 polls), printing its
/// warnings.
async fn validate(client: &Client, test_id: u64, poll: Duration) -> anyhow::Result<()> {
    let started = client.tests().validate(test_id, &[MAIN_FILE]).await?;
    if !started.success {
        eprintln!("warning: BlazeMeter did not start validating {MAIN_FILE}; starting anyway");
        return Ok(());
    }
    for _ in 0..100 {
        let validations = client.tests().validations(test_id).await?;
        if let Some(done) = validations
            .iter()
            .find(|v| v.file_name == MAIN_FILE && v.is_done())
        {
            for warning in done.warnings.iter().chain(&done.file_warnings) {
                eprintln!("validation warning: {warning}");
            }
            return Ok(());
        }
        tokio::time::sleep(poll.min(Duration::from_secs(1))).await;
    }
    eprintln!("warning: validation of {MAIN_FILE} did not finish; starting anyway");
    Ok(())
}
