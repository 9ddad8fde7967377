//! Runs ("masters"): start, status, sessions, public token, rename, stop, terminate, full
//! (rows 18–22, 27–29, 31, 32).

use serde::Deserialize;
use serde_json::json;

use crate::client::{Client, Request};
use crate::error::{Result, Scope};
use crate::models::{ArtifactLink, Master, MasterStatus, PublicToken, Session};

pub struct MastersHandler<'c> {
    client: &'c Client,
}

impl<'c> MastersHandler<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        MastersHandler { client }
    }

    /// The master object; `None` if it does not exist.
    pub async fn get(&self, id: u64) -> Result<Option<Master>> {
        let request = Request::get(format!("/api/v4/masters/{id}"), Scope::Master(id));
        self.client.fetch_optional(request).await
    }

    /// Progress and status of a run (optional `events`/`level` on the builder).
    pub fn status(&self, id: u64) -> StatusQuery<'c> {
        StatusQuery {
            client: self.client,
            id,
            events: None,
            level: None,
        }
    }

    /// Sessions of a run; accepts both `{"sessions": [...]}` and a bare list.
    pub async fn sessions(&self, id: u64) -> Result<Vec<Session>> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Sessions {
            Wrapped { sessions: Vec<Session> },
            Bare(Vec<Session>),
        }
        let request = Request::get(format!("/api/v4/masters/{id}/sessions"), Scope::Master(id));
        Ok(match self.client.fetch_optional(request).await? {
            Some(Sessions::Wrapped { sessions } | Sessions::Bare(sessions)) => sessions,
            None => Vec::new(),
        })
    }

    /// The final master, with sessions and their errors.
    pub async fn full(&self, id: u64) -> Result<Master> {
        let request = Request::get(format!("/api/v4/masters/{id}/full"), Scope::Master(id));
        self.client.fetch(request).await
    }

    /// A token for the shareable report (see [`Client::public_report_url`]).
    pub async fn public_token(&self, id: u64) -> Result<PublicToken> {
        let request = Request::post(
            format!("/api/v4/masters/{id}/public-token"),
            Scope::Master(id),
        )
        .json(json!({ "publicToken": null }));
        self.client.fetch(request).await
    }

    /// Sets the report name.
    pub async fn rename(&self, id: u64, name: &str) -> Result<()> {
        let request = Request::patch(format!("/api/v4/masters/{id}"), Scope::Master(id))
            .json(json!({ "name": name }));
        self.client.execute(&request).await.map(drop)
    }

    /// Download links of a session's artifacts (logs, `artifacts.zip`).
    pub async fn session_logs(&self, session_id: &str) -> Result<Vec<ArtifactLink>> {
        #[derive(Deserialize)]
        struct Logs {
            #[serde(default)]
            data: Vec<ArtifactLink>,
        }
        let request = Request::get(
            format!("/api/v4/sessions/{session_id}/reports/logs"),
            Scope::Session(session_id.to_owned()),
        );
        let logs: Option<Logs> = self.client.fetch_optional(request).await?;
        Ok(logs.map(|l| l.data).unwrap_or_default())
    }

    /// Graceful stop: engines finish and upload their artifacts. Use once data flows.
    pub async fn stop(&self, id: u64) -> Result<()> {
        let request = Request::post(format!("/api/v4/masters/{id}/stop"), Scope::Master(id));
        self.client.execute(&request).await.map(drop)
    }

    /// Immediate stop; artifacts are lost. Use while engines are still booting.
    pub async fn terminate(&self, id: u64) -> Result<()> {
        let request = Request::post(format!("/api/v4/masters/{id}/terminate"), Scope::Master(id));
        self.client.execute(&request).await.map(drop)
    }
}

/// `POST /tests/{id}/start[?functionalExecution=true][&delayedStart=]`.
pub struct StartOptions<'c> {
    client: &'c Client,
    test_id: u64,
    functional: bool,
    delayed_start: Option<bool>,
}

impl<'c> StartOptions<'c> {
    pub(crate) fn new(client: &'c Client, test_id: u64) -> Self {
        StartOptions {
            client,
            test_id,
            functional: false,
            delayed_start: None,
        }
    }

    /// Start as a functional test.
    pub fn functional(mut self, functional: bool) -> Self {
        self.functional = functional;
        self
    }

    /// Wait until all engines are ready before load starts.
    pub fn delayed_start(mut self, delayed: bool) -> Self {
        self.delayed_start = Some(delayed);
        self
    }

    pub async fn send(self) -> Result<Master> {
        let id = self.test_id;
        let request = Request::post(format!("/api/v4/tests/{id}/start"), Scope::Test(id))
            .query_opt("functionalExecution", self.functional.then_some(true))
            .query_opt("delayedStart", self.delayed_start)
            .creates();
        self.client.fetch(request).await
    }
}

/// `GET /masters/{id}/status[?events=][&level=]`.
pub struct StatusQuery<'c> {
    client: &'c Client,
    id: u64,
    events: Option<bool>,
    level: Option<u32>,
}

impl StatusQuery<'_> {
    /// Include the event log (`false` makes the answer small).
    pub fn events(mut self, events: bool) -> Self {
        self.events = Some(events);
        self
    }

    /// Minimum event level (100 DEBUG … 600 EMERGENCY; server default 200 INFO).
    pub fn level(mut self, level: u32) -> Self {
        self.level = Some(level);
        self
    }

    pub async fn send(self) -> Result<MasterStatus> {
        let request = Request::get(
            format!("/api/v4/masters/{}/status", self.id),
            Scope::Master(self.id),
        )
        .query_opt("events", self.events)
        .query_opt("level", self.level);
        self.client.fetch(request).await
    }
}
