//! The crate's error type: one variant per thing a person can do something about.
//!
//! HTTP failures carry the request (`METHOD path`) and the [`Scope`] it concerned (account,
//! workspace, test, master …) so that a 402/403 names what was refused. Credential errors
//! live next to their code and are wrapped here.
//!
//! Messages follow the std convention: each describes its own layer, and a lower-level cause
//! (an I/O or network error) is returned by `source()` only, never repeated in the message, so
//! a walk of the chain prints every cause once. Text that comes from the server is clipped
//! (see [`crate::envelope`]) so that a hostile answer cannot flood the terminal.

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
        "could not reach BlazeMeter for {request} ({attempts} attempt(s) over {}); check the \
         network, a proxy, or the API URL",
        seconds(*elapsed)
    )]
    Transport {
        request: String,
        attempts: u32,
        /// From the first attempt to this failure, waits between retries included.
        elapsed: Duration,
        #[source]
        source: reqwest::Error,
    },

    /// The call's total deadline passed ([`ClientBuilder::deadline`](crate::ClientBuilder::deadline)):
    /// an attempt was cut short, or the next wait would have ended after it.
    #[error(
        "BlazeMeter did not answer {request} in time: gave up after {attempts} attempt(s) over \
         {} (the limit for one call is {}); check the network and BlazeMeter's status, then retry",
        seconds(*elapsed),
        seconds(*limit)
    )]
    TimedOut {
        request: String,
        attempts: u32,
        elapsed: Duration,
        limit: Duration,
        /// The failure of the last attempt that finished, if any did.
        #[source]
        last: Option<Box<Error>>,
    },

    #[error(
        "the answer to {request} is larger than {} (the limit for one API answer), so it was \
         refused: check that the API URL points at BlazeMeter and that no proxy is in the way",
        bytes(*limit)
    )]
    ResponseTooLarge { request: String, limit: usize },

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

    #[error("cannot read upload file {}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot build the HTTP client")]
    ClientSetup(#[source] reqwest::Error),

    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

/// `12.3 s`: enough precision for a person deciding whether to retry.
fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// `16 MiB` for whole mebibytes, else `1500 bytes`.
fn bytes(count: usize) -> String {
    const MIB: usize = 1 << 20;
    if count >= MIB && count.is_multiple_of(MIB) {
        format!("{} MiB", count / MIB)
    } else {
        format!("{count} bytes")
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::KeyringError;
    use std::error::Error as _;

    /// A real `reqwest::Error` without a network: a URL that does not parse.
    fn reqwest_error() -> reqwest::Error {
        reqwest::Client::new()
            .get("http://[::1")
            .build()
            .unwrap_err()
    }

    fn transport() -> Error {
        Error::Transport {
            request: "GET /api/v4/user".into(),
            attempts: 3,
            elapsed: Duration::from_millis(4200),
            source: reqwest_error(),
        }
    }

    /// One value of every variant, those with a cause given a real one.
    fn every_variant() -> Vec<Error> {
        let request = || "GET /api/v4/x".to_owned();
        let message = || "server text".to_owned();
        let all = vec![
            Error::Unauthorized {
                request: request(),
                message: message(),
            },
            Error::RequestFailed {
                request: request(),
                scope: Scope::Account(1),
                message: message(),
            },
            Error::Forbidden {
                request: request(),
                scope: Scope::Workspace(2),
                message: message(),
            },
            Error::BadRequest {
                request: request(),
                message: message(),
            },
            Error::NotFound {
                request: request(),
                scope: Scope::Test(3),
            },
            Error::Conflict {
                request: request(),
                message: message(),
            },
            Error::RateLimited {
                request: request(),
                attempts: 2,
                retry_after: Some(Duration::from_secs(9)),
            },
            Error::Server {
                request: request(),
                status: 503,
                attempts: 5,
                message: message(),
            },
            Error::Http {
                request: request(),
                status: 418,
                message: message(),
            },
            Error::Api {
                request: request(),
                message: message(),
            },
            transport(),
            Error::TimedOut {
                request: request(),
                attempts: 2,
                elapsed: Duration::from_secs(60),
                limit: Duration::from_secs(60),
                last: Some(Box::new(transport())),
            },
            Error::TimedOut {
                request: request(),
                attempts: 1,
                elapsed: Duration::from_secs(60),
                limit: Duration::from_secs(60),
                last: None,
            },
            Error::ResponseTooLarge {
                request: request(),
                limit: 16 << 20,
            },
            Error::Decode {
                request: request(),
                message: message(),
            },
            Error::InvalidBaseUrl {
                url: "ftp://x".into(),
                reason: "scheme".into(),
            },
            Error::FileTooLarge {
                path: "a.jtl".into(),
                size: 2,
                limit: 1,
            },
            Error::File {
                path: "users.csv".into(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            },
            Error::ClientSetup(reqwest_error()),
            Error::Credentials(CredentialError::Keyring(KeyringError::Failed(
                "locked".into(),
            ))),
        ];
        // No wildcard: a new variant does not compile until it is added above.
        for error in &all {
            match error {
                Error::Unauthorized { .. }
                | Error::RequestFailed { .. }
                | Error::Forbidden { .. }
                | Error::BadRequest { .. }
                | Error::NotFound { .. }
                | Error::Conflict { .. }
                | Error::RateLimited { .. }
                | Error::Server { .. }
                | Error::Http { .. }
                | Error::Api { .. }
                | Error::Transport { .. }
                | Error::TimedOut { .. }
                | Error::ResponseTooLarge { .. }
                | Error::Decode { .. }
                | Error::InvalidBaseUrl { .. }
                | Error::FileTooLarge { .. }
                | Error::File { .. }
                | Error::ClientSetup(_)
                | Error::Credentials(_) => {}
            }
        }
        all
    }

    /// Each message in the chain `e, e.source(), …`.
    fn chain(error: &Error) -> Vec<String> {
        let mut layers = vec![error.to_string()];
        let mut cause = error.source();
        while let Some(layer) = cause {
            layers.push(layer.to_string());
            cause = layer.source();
        }
        layers
    }

    #[test]
    fn no_message_repeats_its_cause() {
        for error in every_variant() {
            let layers = chain(&error);
            for pair in layers.windows(2) {
                assert!(
                    !pair[0].contains(&pair[1]),
                    "{error:?}: {:?} repeats its cause {:?}",
                    pair[0],
                    pair[1]
                );
            }
        }
    }

    #[test]
    fn causes_are_kept_in_the_chain() {
        let layers = chain(&transport());
        assert!(layers.len() >= 2, "{layers:?}");
        assert_eq!(
            layers[0],
            "could not reach BlazeMeter for GET /api/v4/user (3 attempt(s) over 4.2 s); check \
             the network, a proxy, or the API URL"
        );
        assert_eq!(layers[1], reqwest_error().to_string());
        let file = Error::File {
            path: "users.csv".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        };
        assert_eq!(
            chain(&file),
            ["cannot read upload file users.csv", "no such file"]
        );
        let timed_out = &every_variant()[11];
        let layers = chain(timed_out);
        assert!(
            layers[0].contains("gave up after 2 attempt(s) over 60.0 s")
                && layers[1].starts_with("could not reach BlazeMeter"),
            "{layers:?}"
        );
    }

    #[test]
    fn size_limits_read_as_people_write_them() {
        assert_eq!(bytes(16 << 20), "16 MiB");
        assert_eq!(bytes(1500), "1500 bytes");
        assert_eq!(seconds(Duration::from_millis(150)), "0.1 s");
    }
}
