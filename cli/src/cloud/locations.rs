//! `vajra cloud locations`: where the workspace can run engines, with their limits.

use serde_json::json;

use super::api::{self, Global};
use crate::exit::Exit;

pub fn execute(global: &Global) -> anyhow::Result<Exit> {
    let (client, _) = api::connect(global)?;
    api::runtime()?.block_on(async {
        let workspace_id = match global.workspace {
            Some(id) => id,
            None => client
                .users()
                .me()
                .await?
                .default_project
                .and_then(|p| p.workspace_id)
                .ok_or_else(|| anyhow::anyhow!("no default workspace; give --workspace"))?,
        };
        let workspace = client
            .workspaces()
            .get(workspace_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("workspace {workspace_id} not found"))?;
        if global.json {
            let list: Vec<_> = workspace
                .locations
                .iter()
                .map(|l| {
                    let limits = l.limits.as_ref();
                    json!({
                        "id": l.id, "title": l.title, "provider": l.provider,
                        "sandbox": l.sandbox, "private": l.is_private(),
                        "threads_per_engine": limits.and_then(|x| x.threads_per_engine),
                        "engines": limits.and_then(|x| x.engines),
                    })
                })
                .collect();
            api::print_json(&list)?;
            return Ok(Exit::Ok);
        }
        println!("locations of workspace {workspace_id}:");
        println!(
            "{:24} {:36} {:10} {:8} {:>8} {:>8}",
            "id", "title", "provider", "kind", "users/e", "engines"
        );
        for l in &workspace.locations {
            let kind = if l.sandbox {
                "sandbox"
            } else if l.is_private() {
                "private"
            } else {
                "public"
            };
            let limits = l.limits.as_ref();
            let number = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
            println!(
                "{:24} {:36} {:10} {:8} {:>8} {:>8}",
                l.id,
                l.title.as_deref().unwrap_or(""),
                l.provider.as_deref().unwrap_or(""),
                kind,
                number(limits.and_then(|x| x.threads_per_engine)),
                number(limits.and_then(|x| x.engines)),
            );
        }
        Ok(Exit::Ok)
    })
}
