//! Projects (rows 6–8).

use serde_json::json;

use crate::client::{Client, Request};
use crate::error::{Result, Scope};
use crate::models::Project;

pub struct ProjectsHandler<'c> {
    client: &'c Client,
}

impl<'c> ProjectsHandler<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        ProjectsHandler { client }
    }

    /// Projects of a workspace, optionally by name.
    pub fn list(&self, workspace_id: u64) -> ListProjects<'c> {
        ListProjects {
            client: self.client,
            workspace_id,
            name: None,
        }
    }

    /// One project; `None` if it does not exist.
    pub async fn get(&self, id: u64) -> Result<Option<Project>> {
        let request = Request::get(format!("/api/v4/projects/{id}"), Scope::Project(id));
        self.client.fetch_optional(request).await
    }

    /// Creates a project in a workspace.
    pub async fn create(&self, workspace_id: u64, name: &str) -> Result<Project> {
        let request = Request::post("/api/v4/projects", Scope::Workspace(workspace_id))
            .json(json!({ "name": name, "workspaceId": workspace_id }))
            .creates();
        self.client.fetch(request).await
    }
}

/// `GET /projects?workspaceId=[&name=]`.
pub struct ListProjects<'c> {
    client: &'c Client,
    workspace_id: u64,
    name: Option<String>,
}

impl ListProjects<'_> {
    /// Only projects with exactly this name (also filtered here, in case the server does not).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Every page.
    pub async fn send(self) -> Result<Vec<Project>> {
        let request = Request::get("/api/v4/projects", Scope::Workspace(self.workspace_id))
            .query("workspaceId", self.workspace_id)
            .query_opt("name", self.name.as_deref());
        let projects: Vec<Project> = self.client.fetch_all(request).await?;
        Ok(match &self.name {
            Some(name) => projects
                .into_iter()
                .filter(|p| p.name.as_deref() == Some(name))
                .collect(),
            None => projects,
        })
    }
}
