//! BlazeMeter's "tests" resource (a load-test definition; named `perf_tests` so it does not
//! read as a test module): find, create, update, files, validation and start (rows 9–18).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_json::{json, Value};

use crate::client::{Client, FilePart, Request};
use crate::error::{Error, Result, Scope};
use crate::models::{OverrideExecution, Test, TestFile, TestPatch, ValidateOutcome, Validation};

/// BlazeMeter's hard per-file upload limit ("50 MB"; read as 10^6 bytes to stay on the safe
/// side of either meaning).
pub const MAX_UPLOAD_BYTES: u64 = 50_000_000;

pub struct TestsHandler<'c> {
    client: &'c Client,
}

impl<'c> TestsHandler<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        TestsHandler { client }
    }

    /// Tests of a project, optionally by name.
    pub fn list_in_project(&self, project_id: u64) -> ListTests<'c> {
        ListTests {
            client: self.client,
            parent: ("projectId", project_id, Scope::Project(project_id)),
            name: None,
        }
    }

    /// Tests of a workspace, optionally by name.
    pub fn list_in_workspace(&self, workspace_id: u64) -> ListTests<'c> {
        ListTests {
            client: self.client,
            parent: ("workspaceId", workspace_id, Scope::Workspace(workspace_id)),
            name: None,
        }
    }

    /// One test; `None` if it does not exist.
    pub async fn get(&self, id: u64) -> Result<Option<Test>> {
        let request = Request::get(format!("/api/v4/tests/{id}"), Scope::Test(id));
        self.client.fetch_optional(request).await
    }

    /// Creates a test; by default a `taurus` test, in the shape Taurus sends.
    pub fn create(&self, project_id: u64, name: impl Into<String>) -> CreateTest<'c> {
        CreateTest {
            client: self.client,
            project_id,
            name: name.into(),
            test_type: "taurus".to_owned(),
            filename: String::new(),
            script_type: None,
        }
    }

    /// Changes a test (`PATCH`); only the fields set are sent.
    pub fn update(&self, id: u64) -> UpdateTest<'c> {
        UpdateTest {
            client: self.client,
            id,
            patch: TestPatch::default(),
        }
    }

    /// Files attached to a test.
    pub async fn files(&self, id: u64) -> Result<Vec<TestFile>> {
        let request = Request::get(format!("/api/v4/tests/{id}/files"), Scope::Test(id));
        Ok(self
            .client
            .fetch_optional(request)
            .await?
            .unwrap_or_default())
    }

    /// Deletes files by name (no request when `names` is empty).
    pub async fn delete_files(&self, id: u64, names: &[impl AsRef<str>]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let request = names.iter().fold(
            Request::post(format!("/api/v4/tests/{id}/delete-file"), Scope::Test(id)),
            |request, name| request.query("fileName", name.as_ref()),
        );
        self.client.execute(&request).await.map(drop)
    }

    /// Uploads files, one request per file in the multipart field `file`; a file of the same
    /// name is replaced. Every size is checked against [`MAX_UPLOAD_BYTES`] before anything
    /// is sent.
    pub fn upload(&self, id: u64) -> Upload<'c> {
        Upload {
            client: self.client,
            id,
            sources: Vec::new(),
        }
    }

    /// Starts validating uploaded files, e.g. `["taurus.yml"]`.
    pub async fn validate(
        &self,
        id: u64,
        file_names: &[impl AsRef<str>],
    ) -> Result<ValidateOutcome> {
        let files: Vec<Value> = file_names
            .iter()
            .map(|name| json!({ "fileName": name.as_ref() }))
            .collect();
        let request = Request::post(format!("/api/v4/tests/{id}/validate"), Scope::Test(id))
            .json(json!({ "files": files, "performDataMerge": false }));
        self.client.fetch(request).await
    }

    /// Validation results; poll until the wanted file [`Validation::is_done`].
    pub async fn validations(&self, id: u64) -> Result<Vec<Validation>> {
        let request = Request::get(format!("/api/v4/tests/{id}/validations"), Scope::Test(id));
        Ok(self
            .client
            .fetch_optional(request)
            .await?
            .unwrap_or_default())
    }

    /// Starts a run; the result is the new master. Never retried after an unclear outcome,
    /// so a test is not started twice.
    pub fn start(&self, id: u64) -> crate::api::StartOptions<'c> {
        crate::api::StartOptions::new(self.client, id)
    }
}

/// `GET /tests?projectId=|workspaceId=[&name=]`.
pub struct ListTests<'c> {
    client: &'c Client,
    parent: (&'static str, u64, Scope),
    name: Option<String>,
}

impl ListTests<'_> {
    /// Only tests with exactly this name (also filtered here, in case the server does not).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Every page.
    pub async fn send(self) -> Result<Vec<Test>> {
        let (key, id, scope) = self.parent;
        let request = Request::get("/api/v4/tests", scope)
            .query(key, id)
            .query_opt("name", self.name.as_deref());
        let tests: Vec<Test> = self.client.fetch_all(request).await?;
        Ok(match &self.name {
            Some(name) => tests
                .into_iter()
                .filter(|t| t.name.as_deref() == Some(name))
                .collect(),
            None => tests,
        })
    }
}

/// `POST /tests`.
pub struct CreateTest<'c> {
    client: &'c Client,
    project_id: u64,
    name: String,
    test_type: String,
    filename: String,
    script_type: Option<String>,
}

impl CreateTest<'_> {
    /// `configuration.type` (default `taurus`).
    pub fn test_type(mut self, test_type: impl Into<String>) -> Self {
        self.test_type = test_type.into();
        self
    }

    /// Main file name, sent as `configuration.filename` (must match an uploaded file).
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = filename.into();
        self
    }

    /// `configuration.scriptType`, e.g. `taurus`; with it `testMode: script` is sent too.
    pub fn script_type(mut self, script_type: impl Into<String>) -> Self {
        self.script_type = Some(script_type.into());
        self
    }

    pub async fn send(self) -> Result<Test> {
        let mut configuration = json!({
            "type": self.test_type,
            // Taurus: "without this line it does not work".
            "plugins": { "taurus": { "filename": "" } },
        });
        if !self.filename.is_empty() {
            configuration["filename"] = json!(self.filename);
        }
        if let Some(script_type) = self.script_type {
            configuration["scriptType"] = json!(script_type);
            configuration["testMode"] = json!("script");
        }
        let body = json!({
            "name": self.name,
            "projectId": self.project_id,
            "configuration": configuration,
        });
        let request = Request::post("/api/v4/tests", Scope::Project(self.project_id))
            .json(body)
            .creates();
        self.client.fetch(request).await
    }
}

/// `PATCH /tests/{id}`.
pub struct UpdateTest<'c> {
    client: &'c Client,
    id: u64,
    patch: TestPatch,
}

impl UpdateTest<'_> {
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.patch.name = Some(name.into());
        self
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.patch.description = Some(description.into());
        self
    }

    /// A partial configuration, merged server-side, e.g. `json!({"scriptType": "taurus"})`.
    pub fn configuration(mut self, configuration: Value) -> Self {
        self.patch.configuration = Some(configuration);
        self
    }

    pub fn should_send_report_email(mut self, send: bool) -> Self {
        self.patch.should_send_report_email = Some(send);
        self
    }

    /// Replaces `overrideExecutions` (empty: let the uploaded taurus.yml govern the load).
    pub fn override_executions(mut self, executions: Vec<OverrideExecution>) -> Self {
        self.patch.override_executions = Some(executions);
        self
    }

    pub async fn send(self) -> Result<()> {
        let body = serde_json::to_value(&self.patch).map_err(|e| Error::Decode {
            request: format!("PATCH /api/v4/tests/{}", self.id),
            message: format!("cannot encode the update: {e}"),
        })?;
        let request =
            Request::patch(format!("/api/v4/tests/{}", self.id), Scope::Test(self.id)).json(body);
        self.client.execute(&request).await.map(drop)
    }
}

/// `POST /tests/{id}/files`, one file per request, in the order added.
pub struct Upload<'c> {
    client: &'c Client,
    id: u64,
    sources: Vec<Source>,
}

enum Source {
    Path(PathBuf),
    Bytes(String, Bytes),
}

impl Upload<'_> {
    /// A local file, uploaded under its base name.
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.sources.push(Source::Path(path.into()));
        self
    }

    /// Generated content (e.g. taurus.yml) under `name`.
    pub fn bytes(mut self, name: impl Into<String>, content: impl Into<Bytes>) -> Self {
        self.sources
            .push(Source::Bytes(name.into(), content.into()));
        self
    }

    /// Checks every size, then uploads each file in turn, reading one file at a time.
    pub async fn send(self) -> Result<()> {
        for source in &self.sources {
            match source {
                Source::Path(path) => check_size(path, file_size(path)?)?,
                Source::Bytes(name, content) => check_size(Path::new(name), content.len() as u64)?,
            }
        }
        for source in &self.sources {
            let (file_name, bytes) = match source {
                Source::Path(path) => {
                    let content = std::fs::read(path).map_err(|source| Error::File {
                        path: path.clone(),
                        source,
                    })?;
                    // Re-checked: the file may have grown since the size check.
                    check_size(path, content.len() as u64)?;
                    (base_name(path)?, Bytes::from(content))
                }
                Source::Bytes(name, content) => (name.clone(), content.clone()),
            };
            let part = FilePart {
                field: "file",
                file_name,
                bytes,
            };
            let request = Request::post(
                format!("/api/v4/tests/{}/files", self.id),
                Scope::Test(self.id),
            )
            .multipart(vec![part]);
            self.client.execute(&request).await?;
        }
        Ok(())
    }
}

fn file_size(path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })
}

fn check_size(path: &Path, size: u64) -> Result<()> {
    if size > MAX_UPLOAD_BYTES {
        return Err(Error::FileTooLarge {
            path: path.to_owned(),
            size,
            limit: MAX_UPLOAD_BYTES,
        });
    }
    Ok(())
}

fn base_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|name| name.to_str())
        .map(str::to_owned)
        .ok_or_else(|| Error::File {
            path: path.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the file name is missing or not UTF-8",
            ),
        })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn size_limit_is_inclusive() {
        assert!(check_size(Path::new("a"), MAX_UPLOAD_BYTES).is_ok());
        let err = check_size(Path::new("dir/a.jtl"), MAX_UPLOAD_BYTES + 1).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("dir/a.jtl: 50000001 bytes is over"),
            "{err}"
        );
    }
}
