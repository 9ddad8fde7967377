//! The options every cloud command takes, the API client built from them with the key found
//! the usual way, the async runtime for the calls, and the commands' JSON output.

use std::time::Duration;

use anyhow::Context;
use bzm_client::credentials::{resolve, CredentialInputs, OsKeyring};
use bzm_client::{Client, Credentials, RetryPolicy};
use clap::Args;
use vajra_plan::duration::parse_duration;

/// Options every cloud command takes.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// BlazeMeter API base URL (http:// only on loopback, e.g. a bzm-mock).
    #[arg(long, global = true, env = "VAJRA_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// Workspace id [default: the workspace of the user's default project].
    #[arg(long, global = true, value_name = "ID")]
    pub workspace: Option<u64>,
    /// Project id or name (created if no project has that name) [default: the user's
    /// default project].
    #[arg(long, global = true, value_name = "ID|NAME")]
    pub project: Option<String>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// First wait before retrying a failed API call (429, 5xx, network); it doubles per retry.
    #[arg(long, global = true, default_value = "1s", value_name = "DURATION", value_parser = parse_duration)]
    pub api_retry_delay: Duration,
}

/// A client for the API with the key found the usual way (environment, OS keyring,
/// `~/.bzt-rc`).
pub fn connect(global: &Global) -> anyhow::Result<(Client, Credentials)> {
    let resolved = resolve(&CredentialInputs::from_process(), &OsKeyring)?;
    for note in &resolved.notes {
        tracing::debug!("{note}");
    }
    let credentials = resolved.credentials;
    let client = client_for(global, credentials.key.clone())?;
    Ok((client, credentials))
}

/// A client for the API with `key`.
pub fn client_for(global: &Global, key: bzm_client::ApiKey) -> anyhow::Result<Client> {
    let retry = RetryPolicy {
        base_delay: global.api_retry_delay,
        ..RetryPolicy::default()
    };
    let mut builder = Client::builder(key)
        .timeout(Duration::from_secs(30))
        .retry(retry);
    if let Some(url) = &global.api_url {
        builder = builder.base_url(url.clone());
    }
    Ok(builder.build()?)
}

/// A runtime for the API calls of one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Prints `value` as pretty JSON.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(value).context("cannot encode JSON")?
    );
    Ok(())
}
