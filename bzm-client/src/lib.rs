//! Typed client for BlazeMeter's REST API v4: the calls a cloud load test needs.
//!
//! How the parts fit:
//! - [`credentials`] finds the API key (flags, environment, OS keyring, `~/.bzt-rc`) and keeps
//!   the secret out of logs;
//! - [`Client`] (in `client`) holds the key, the checked base URL ([`base_url`]) and the
//!   [`RetryPolicy`]; every call goes through its send loop, which parses the response
//!   [`envelope`], maps HTTP failures to [`Error`], retries network errors, 429 and 5xx per
//!   [`retry`] within a total deadline per call, refuses answers over a size limit, and walks
//!   `limit`/`skip` pages;
//! - [`api`] has one handler per resource (`client.tests().create(..)`, `client.masters()
//!   .status(..)`, …), each returning [`models`];
//!
//! The reference for every endpoint and shape is `docs/blazemeter-api.md`.

pub mod api;
pub mod base_url;
mod client;
pub mod credentials;
pub mod envelope;
mod error;
pub mod models;
pub mod retry;

pub use client::{
    Client, ClientBuilder, DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_PAGE_SIZE,
};
pub use credentials::{ApiKey, CredentialSource, Credentials};
pub use error::{Error, Result, Scope};
pub use retry::RetryPolicy;
