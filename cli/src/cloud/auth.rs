//! `vajra cloud login|logout|whoami`: the API key in the OS keyring, and who it belongs to.
//! The secret is read without echo and never printed.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use bzm_client::credentials::{
    delete_from_keyring, store_in_keyring, OsKeyring, ENV_KEY_ID, ENV_KEY_SECRET,
};
use bzm_client::ApiKey;
use clap::Args;
use serde_json::json;

use super::api::{self, Global};
use crate::exit::Exit;

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The API key id [default: $BLAZEMETER_API_KEY_ID, else asked for].
    #[arg(long, value_name = "ID")]
    pub api_key_id: Option<String>,
}

/// A line from stdin after a prompt on stderr; without echo for the secret on a terminal.
fn ask(prompt: &str, secret: bool) -> anyhow::Result<String> {
    if secret && std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).context("cannot read the secret");
    }
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read from stdin")?;
    Ok(line.trim().to_owned())
}

pub fn login(global: &Global, args: LoginArgs) -> anyhow::Result<Exit> {
    let id = match args.api_key_id.or_else(|| std::env::var(ENV_KEY_ID).ok()) {
        Some(id) => id,
        None => ask("API key id: ", false)?,
    };
    let secret = match std::env::var(ENV_KEY_SECRET).ok() {
        Some(secret) => secret,
        None => ask("API key secret: ", true)?,
    };
    let key = ApiKey::new(id, secret)?;
    let client = api::client_for(global, key.clone())?;
    let user = api::runtime()?
        .block_on(client.users().me())
        .context("BlazeMeter did not accept the key")?;
    store_in_keyring(&OsKeyring, &key)?;
    let mail = user.mail.unwrap_or_default();
    if global.json {
        api::print_json(&json!({ "user": mail, "key_id": key.id(), "stored": "OS keyring" }))?;
    } else {
        println!(
            "logged in as {mail} (key {}); the key is in the OS keyring",
            key.id()
        );
    }
    Ok(Exit::Ok)
}

pub fn logout(global: &Global) -> anyhow::Result<Exit> {
    let removed = delete_from_keyring(&OsKeyring)?;
    if global.json {
        api::print_json(&json!({ "removed": removed }))?;
    } else if removed {
        println!("the API key was removed from the OS keyring");
    } else {
        println!("no API key was stored in the OS keyring");
    }
    Ok(Exit::Ok)
}

pub fn whoami(global: &Global) -> anyhow::Result<Exit> {
    let (client, credentials) = api::connect(global)?;
    api::runtime()?.block_on(async {
        let user = client.users().me().await?;
        let Some(default) = user.default_project.clone() else {
            bail!("user {} has no default project", user.id);
        };
        let account_id = default.account_id;
        let accounts = client.accounts().list().await?;
        let account = accounts.iter().find(|a| Some(a.id) == account_id);
        let workspace_id = global.workspace.or(default.workspace_id);
        let workspace = match workspace_id {
            Some(id) => client.workspaces().get(id).await?,
            None => None,
        };
        let source = credentials.source.to_string();
        if global.json {
            api::print_json(&json!({
                "user": {"id": user.id, "mail": user.mail},
                "account": {"id": account_id, "name": account.and_then(|a| a.name.clone())},
                "workspace": {"id": workspace_id, "name": workspace.as_ref().and_then(|w| w.name.clone())},
                "project": {"id": default.id, "name": default.name},
                "key": {"id": credentials.key.id(), "source": source},
            }))?;
        } else {
            let name = |n: Option<String>| n.unwrap_or_else(|| "-".to_owned());
            println!("user:      {} (id {})", name(user.mail.clone()), user.id);
            println!(
                "account:   {} (id {})",
                name(account.and_then(|a| a.name.clone())),
                account_id.map_or_else(|| "-".to_owned(), |id| id.to_string())
            );
            println!(
                "workspace: {} (id {})",
                name(workspace.and_then(|w| w.name)),
                workspace_id.map_or_else(|| "-".to_owned(), |id| id.to_string())
            );
            println!("project:   {} (id {})", name(default.name), default.id);
            println!("API key:   {} from {source}", credentials.key.id());
        }
        Ok(Exit::Ok)
    })
}
