//! The crate's error type: one variant per thing a person can do something about.
//!
//! HTTP failures carry the request (`METHOD path`) and the [`Scope`] it concerned (account,
//! workspace, test, master …) so that a 402/403 names what was refused. Credential and split
//! errors live next to their code and are wrapped here.

use std::path::PathBuf;
use std::time::Duration;

use crate::credentials::CredentialError;

/// What a request was about, so errors can name the account or workspace involved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    /// The key's own data (`/user`, `/accounts`).
    #[default]
    Key,
    Account(u64),
    Workspace(u64),
    Project(u64),
    Test(u64),
    Master(u64),
    Session(String),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Key => f.write_str("your user and accounts"),
            Scope::Account(id) => write!(f, "account {id}"),
            Scope::Workspace(id) => write!(f, "workspace {id}"),
            Scope::Project(id) => write!(f, "project {id}"),
            Scope::Test(id) => write!(f, "test {id}"),
            Scope::Master(id) => write!(f, "master (test run) {id}"),
            Scope::Session(id) => write!(f, "session {id}"),
        }
    }
}

/// Everything that can go wrong talking to BlazeMeter.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "API key rejected: check the key id and secret (`vajra cloud login`) \
         [{request}: {message}]"
    )]
    Unauthorized { request: String, message: String },

    #[error(
        "BlazeMeter refused {request} for {scope} (HTTP 402: {message}): the request was valid \
         but could not be carried out; check that {scope} has credits and a plan that allows it"
    )]
    RequestFailed {
        request: String,
        scope: Scope,
        message: String,
    },

    #[error(
        "BlazeMeter denied the API key access to {scope} (HTTP 403 on {request}: {message}): \
         ask an admin of {scope} for access, or pick an account/workspace the key belongs to"
    )]
    Forbidden {
        request: String,
        scope: Scope,
        message: String,
    },

    #[error("BlazeMeter rejected {request} as invalid (HTTP 400: {message})")]
    BadRequest { request: String, message: String },

    #[error("{request}: not found (HTTP 404) — check the id of {scope}")]
    NotFound { request: String, scope: Scope },

    #[error("{request}: conflict (HTTP 409: {message}) — the object changed; reload and retry")]
    Conflict { request: String, message: String },

    #[error(
        "BlazeMeter is rate-limiting this key ({request}, gave up after {attempts} attempt(s){}); \
         wait a minute and retry",
        retry_after.map(|d| format!(", server asked to wait {}s", d.as_secs())).unwrap_or_default()
    )]
    RateLimited {
        request: String,
        attempts: u32,
        retry_after: Option<Duration>,
    },

    #[error(
        "BlazeMeter server error HTTP {status} on {request} after {attempts} attempt(s): \
         {message}; retry later"
    )]
    Server {
        request: String,
        status: u16,
        attempts: u32,
        message: String,
    },

    #[error("HTTP {status} on {request}: {message}")]
    Http {
        request: String,
        status: u16,
        message: String,
    },

    #[error("BlazeMeter reported an error for {request}: {message}")]
    Api { request: String, message: String },

    #[error(
        "could not reach BlazeMeter for {request} after {attempts} attempt(s): {source}; \
         check the network, a proxy, or the API URL"
    )]
    Transport {
        request: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },

    #[error("unexpected response to {request}: {message}")]
    Decode { request: String, message: String },

    #[error("invalid API URL {url:?}: {reason}")]
    InvalidBaseUrl { url: String, reason: String },

    #[error(
        "{}: {size} bytes is over BlazeMeter's per-file limit of {limit} bytes; \
         make the file smaller or split it",
        path.display()
    )]
    FileTooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },

    #[error("cannot read upload file {}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot build the HTTP client: {0}")]
    ClientSetup(#[source] reqwest::Error),

    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
