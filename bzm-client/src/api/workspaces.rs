//! Workspaces and their locations (rows 3–5).

use crate::client::{Client, Request};
use crate::error::{Result, Scope};
use crate::models::{PrivateLocation, Workspace};

pub struct WorkspacesHandler<'c> {
    client: &'c Client,
}

impl<'c> WorkspacesHandler<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        WorkspacesHandler { client }
    }

    /// Workspaces of an account; only enabled ones unless [`ListWorkspaces::enabled`] says
    /// otherwise.
    pub fn list(&self, account_id: u64) -> ListWorkspaces<'c> {
        ListWorkspaces {
            client: self.client,
            account_id,
            enabled: Some(true),
        }
    }

    /// One workspace with its `locations`; `None` if it does not exist.
    pub async fn get(&self, id: u64) -> Result<Option<Workspace>> {
        let request = Request::get(format!("/api/v4/workspaces/{id}"), Scope::Workspace(id));
        self.client.fetch_optional(request).await
    }

    /// Private locations ("harbors") of a workspace (all pages).
    pub async fn private_locations(&self, workspace_id: u64) -> Result<Vec<PrivateLocation>> {
        let request = Request::get("/api/v4/private-locations", Scope::Workspace(workspace_id))
            .query("workspaceId", workspace_id);
        self.client.fetch_all(request).await
    }
}

/// `GET /workspaces?accountId=&enabled=`.
pub struct ListWorkspaces<'c> {
    client: &'c Client,
    account_id: u64,
    enabled: Option<bool>,
}

impl ListWorkspaces<'_> {
    /// `Some(true)` (default): enabled only; `Some(false)`: disabled only; `None`: all.
    pub fn enabled(mut self, enabled: Option<bool>) -> Self {
        self.enabled = enabled;
        self
    }

    /// Every page.
    pub async fn send(self) -> Result<Vec<Workspace>> {
        let request = Request::get("/api/v4/workspaces", Scope::Account(self.account_id))
            .query("accountId", self.account_id)
            .query_opt("enabled", self.enabled);
        self.client.fetch_all(request).await
    }
}
