//! Where the BlazeMeter API key comes from, and keeping it secret.
//!
//! [`resolve`] looks, in this order, at explicit values (command-line flags), the environment
//! (`BLAZEMETER_API_KEY_ID` / `BLAZEMETER_API_KEY_SECRET`), the OS keyring (where
//! `vajra cloud login` stores the key) and the token a Taurus user already has in `~/.bzt-rc`
//! (`modules.cloud.token`, then `modules.blazemeter.token`, as `id:secret`). It reports which
//! [`CredentialSource`] won, never the secret.
//!
//! The keyring sits behind the [`SecretStore`] trait: [`OsKeyring`] is the real one, and a
//! machine without a keyring service (CI, containers, SSH boxes) just falls through to the next
//! source with a note saying so. Taurus' docs define no environment variable for the key, so
//! none of Taurus' is read here.

use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable holding the API key id.
pub const ENV_KEY_ID: &str = "BLAZEMETER_API_KEY_ID";
/// Environment variable holding the API key secret.
pub const ENV_KEY_SECRET: &str = "BLAZEMETER_API_KEY_SECRET";
/// Keyring service name under which `vajra cloud login` stores the key.
pub const KEYRING_SERVICE: &str = "vajra-blazemeter";
const KEYRING_USER: &str = "api-key";
/// Settings in `~/.bzt-rc` that may hold `id:secret`, in the order they are tried.
pub const BZT_RC_TOKEN_KEYS: [&str; 2] = ["modules.cloud.token", "modules.blazemeter.token"];

/// A BlazeMeter API key: id (Basic-auth user) and secret (password). `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    id: String,
    secret: String,
}

impl ApiKey {
    /// A key from its two halves; both must be non-empty.
    pub fn new(
        id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Result<ApiKey, CredentialError> {
        let (id, secret) = (id.into().trim().to_owned(), secret.into().trim().to_owned());
        if id.is_empty() || secret.is_empty() {
            return Err(CredentialError::Empty);
        }
        Ok(ApiKey { id, secret })
    }

    /// Parses Taurus' `id:secret` token form. `origin` names where it came from, for errors.
    pub fn from_token(token: &str, origin: &str) -> Result<ApiKey, CredentialError> {
        match token.trim().split_once(':') {
            Some((id, secret)) => ApiKey::new(id, secret),
            None => Err(CredentialError::LegacyToken {
                origin: origin.to_owned(),
            }),
        }
    }

    /// The key id (not secret; shown to identify the key).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret: only this crate's HTTP layer reads it.
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    fn token(&self) -> String {
        format!("{}:{}", self.id, self.secret)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Where the key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    Flags,
    Environment,
    Keyring,
    BztRc {
        path: PathBuf,
        setting: &'static str,
    },
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Flags => f.write_str("command-line flags"),
            CredentialSource::Environment => {
                write!(f, "environment ({ENV_KEY_ID}, {ENV_KEY_SECRET})")
            }
            CredentialSource::Keyring => write!(f, "OS keyring (service {KEYRING_SERVICE})"),
            CredentialSource::BztRc { path, setting } => {
                write!(f, "Taurus settings {} ({setting})", path.display())
            }
        }
    }
}

/// A key and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub key: ApiKey,
    pub source: CredentialSource,
}

/// The outcome of [`resolve`]: the credentials, plus notes about sources that were skipped
/// because they failed (e.g. "no keyring on this machine"), worth showing at debug level.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub credentials: Credentials,
    pub notes: Vec<String>,
}

/// What [`resolve`] looks at. Built from the process with [`CredentialInputs::from_process`],
/// or by hand in tests. `Debug` hides the secrets.
#[derive(Clone, Default)]
pub struct CredentialInputs {
    pub flag_id: Option<String>,
    pub flag_secret: Option<String>,
    pub env_id: Option<String>,
    pub env_secret: Option<String>,
    /// Home directory holding `.bzt-rc`; `None` skips it.
    pub home: Option<PathBuf>,
}

impl fmt::Debug for CredentialInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("CredentialInputs")
            .field("flag_id", &self.flag_id)
            .field("flag_secret", &redacted(&self.flag_secret))
            .field("env_id", &self.env_id)
            .field("env_secret", &redacted(&self.env_secret))
            .field("home", &self.home)
            .finish()
    }
}

impl CredentialInputs {
    /// Reads the environment variables and the home directory of this process.
    pub fn from_process() -> CredentialInputs {
        CredentialInputs {
            env_id: std::env::var(ENV_KEY_ID).ok(),
            env_secret: std::env::var(ENV_KEY_SECRET).ok(),
            home: home::home_dir(),
            ..CredentialInputs::default()
        }
    }

    /// Adds the values given on the command line.
    pub fn with_flags(mut self, id: Option<String>, secret: Option<String>) -> CredentialInputs {
        self.flag_id = id;
        self.flag_secret = secret;
        self
    }
}

/// Why credentials could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("the API key id and secret must both be non-empty")]
    Empty,
    #[error("{given} is set but {missing} is not; give both halves of the API key")]
    Incomplete {
        given: &'static str,
        missing: &'static str,
    },
    #[error(
        "the token in {origin} has no ':' (a legacy single API key); create an API key in \
         BlazeMeter (Settings → API Keys) and use it as `id:secret`"
    )]
    LegacyToken { origin: String },
    #[error("cannot read Taurus settings {}: {message}", path.display())]
    BztRc { path: PathBuf, message: String },
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(
        "no BlazeMeter API key found; tried {}. Run `vajra cloud login`, or set {ENV_KEY_ID} \
         and {ENV_KEY_SECRET}",
        tried.join("; ")
    )]
    NotFound { tried: Vec<String> },
}

/// A failure of the OS keyring.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "no OS keyring service is available on this machine ({0}); on a headless machine set \
         {ENV_KEY_ID} and {ENV_KEY_SECRET} instead"
    )]
    Unavailable(String),
    #[error("the OS keyring failed: {0}")]
    Failed(String),
}

/// A place to keep one secret string. [`OsKeyring`] is the real one; tests use their own.
pub trait SecretStore {
    /// The stored secret, `Ok(None)` if there is none.
    fn load(&self) -> Result<Option<String>, KeyringError>;
    fn save(&self, secret: &str) -> Result<(), KeyringError>;
    /// Removes the secret; `Ok(false)` if there was none.
    fn remove(&self) -> Result<bool, KeyringError>;
}

/// The operating system's keyring (macOS Keychain, Windows Credential Manager, Secret Service).
/// Its calls block: call them from `spawn_blocking` inside async code.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(&self) -> Result<keyring::Entry, KeyringError> {
        keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER).map_err(keyring_error)
    }
}

impl SecretStore for OsKeyring {
    fn load(&self) -> Result<Option<String>, KeyringError> {
        match self.entry()?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn save(&self, secret: &str) -> Result<(), KeyringError> {
        self.entry()?.set_password(secret).map_err(keyring_error)
    }

    fn remove(&self) -> Result<bool, KeyringError> {
        match self.entry()?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

fn keyring_error(error: keyring::Error) -> KeyringError {
    match error {
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            KeyringError::Unavailable(error.to_string())
        }
        other => KeyringError::Failed(other.to_string()),
    }
}

/// Stores the key where [`resolve`] finds it (used by `vajra cloud login`).
pub fn store_in_keyring(store: &dyn SecretStore, key: &ApiKey) -> Result<(), CredentialError> {
    Ok(store.save(&key.token())?)
}

/// Removes a stored key (`vajra cloud logout`); `Ok(false)` if none was stored.
pub fn delete_from_keyring(store: &dyn SecretStore) -> Result<bool, CredentialError> {
    Ok(store.remove()?)
}

/// Finds the API key: flags, environment, keyring, `~/.bzt-rc`, in that order.
pub fn resolve(
    inputs: &CredentialInputs,
    store: &dyn SecretStore,
) -> Result<Resolved, CredentialError> {
    let found = |key, source| Resolved {
        credentials: Credentials { key, source },
        notes: Vec::new(),
    };
    let mut tried = Vec::new();

    let flags = pair(
        &inputs.flag_id,
        &inputs.flag_secret,
        "--api-key-id",
        "--api-key-secret",
    )?;
    if let Some(key) = flags {
        return Ok(found(key, CredentialSource::Flags));
    }
    tried.push("flags (not given)".to_owned());

    if let Some(key) = pair(
        &inputs.env_id,
        &inputs.env_secret,
        ENV_KEY_ID,
        ENV_KEY_SECRET,
    )? {
        return Ok(found(key, CredentialSource::Environment));
    }
    tried.push("environment (not set)".to_owned());

    let mut notes = Vec::new();
    match store.load() {
        Ok(Some(token)) => {
            let key = ApiKey::from_token(&token, "the OS keyring")?;
            return Ok(found(key, CredentialSource::Keyring));
        }
        Ok(None) => tried.push("OS keyring (no key stored)".to_owned()),
        Err(e) => {
            tried.push(format!("OS keyring ({e})"));
            notes.push(format!("skipped the OS keyring: {e}"));
        }
    }

    match &inputs.home {
        Some(home) => {
            let path = home.join(".bzt-rc");
            if let Some((key, setting)) = read_bzt_rc(&path)? {
                return Ok(Resolved {
                    credentials: Credentials {
                        key,
                        source: CredentialSource::BztRc { path, setting },
                    },
                    notes,
                });
            }
            tried.push(format!("{} (no token)", path.display()));
        }
        None => tried.push("~/.bzt-rc (no home directory)".to_owned()),
    }
    Err(CredentialError::NotFound { tried })
}

/// Both halves, neither, or an error naming the missing half.
fn pair(
    id: &Option<String>,
    secret: &Option<String>,
    id_name: &'static str,
    secret_name: &'static str,
) -> Result<Option<ApiKey>, CredentialError> {
    match (present(id), present(secret)) {
        (Some(id), Some(secret)) => ApiKey::new(id, secret).map(Some),
        (None, None) => Ok(None),
        (Some(_), None) => Err(CredentialError::Incomplete {
            given: id_name,
            missing: secret_name,
        }),
        (None, Some(_)) => Err(CredentialError::Incomplete {
            given: secret_name,
            missing: id_name,
        }),
    }
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The first non-empty token of [`BZT_RC_TOKEN_KEYS`] in a Taurus settings file, if any.
fn read_bzt_rc(path: &Path) -> Result<Option<(ApiKey, &'static str)>, CredentialError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CredentialError::BztRc {
                path: path.to_owned(),
                message: e.to_string(),
            })
        }
    };
    let yaml: serde_json::Value =
        serde_saphyr::from_str(&text).map_err(|e| CredentialError::BztRc {
            path: path.to_owned(),
            message: format!("not valid YAML: {e}"),
        })?;
    for setting in BZT_RC_TOKEN_KEYS {
        let value = setting
            .split('.')
            .try_fold(&yaml, |node, part| node.get(part));
        match value {
            None | Some(serde_json::Value::Null) => continue,
            Some(serde_json::Value::String(token)) if token.trim().is_empty() => continue,
            Some(serde_json::Value::String(token)) => {
                let origin = format!("{} ({setting})", path.display());
                return ApiKey::from_token(token, &origin).map(|key| Some((key, setting)));
            }
            Some(_) => {
                return Err(CredentialError::BztRc {
                    path: path.to_owned(),
                    message: format!("{setting} must be a string \"id:secret\""),
                })
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A keyring that works, kept in memory.
    #[derive(Default)]
    struct MemoryStore(RefCell<Option<String>>);

    impl SecretStore for MemoryStore {
        fn load(&self) -> Result<Option<String>, KeyringError> {
            Ok(self.0.borrow().clone())
        }
        fn save(&self, secret: &str) -> Result<(), KeyringError> {
            *self.0.borrow_mut() = Some(secret.to_owned());
            Ok(())
        }
        fn remove(&self) -> Result<bool, KeyringError> {
            Ok(self.0.borrow_mut().take().is_some())
        }
    }

    /// A machine without a keyring service, failing the way `OsKeyring` does there.
    struct NoKeyring;

    impl SecretStore for NoKeyring {
        fn load(&self) -> Result<Option<String>, KeyringError> {
            Err(KeyringError::Unavailable("no D-Bus session bus".into()))
        }
        fn save(&self, _: &str) -> Result<(), KeyringError> {
            self.load().map(drop)
        }
        fn remove(&self) -> Result<bool, KeyringError> {
            self.load().map(|_| false)
        }
    }

    fn home_with_rc(content: &str) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(".bzt-rc"), content).unwrap();
        home
    }

    fn inputs(home: &tempfile::TempDir) -> CredentialInputs {
        CredentialInputs {
            home: Some(home.path().to_owned()),
            ..CredentialInputs::default()
        }
    }

    fn with_env(mut i: CredentialInputs) -> CredentialInputs {
        i.env_id = Some("env-id".into());
        i.env_secret = Some("env-secret".into());
        i
    }

    const RC: &str = "modules:\n  cloud:\n    token: rc-id:rc-secret\n";

    #[test]
    fn flags_beat_everything() {
        let home = home_with_rc(RC);
        let store = MemoryStore::default();
        store.save("kr-id:kr-secret").unwrap();
        let i = with_env(inputs(&home)).with_flags(Some("f-id".into()), Some("f-secret".into()));
        let got = resolve(&i, &store).unwrap().credentials;
        assert_eq!(got.source, CredentialSource::Flags);
        assert_eq!((got.key.id(), got.key.secret()), ("f-id", "f-secret"));
    }

    #[test]
    fn environment_beats_keyring_and_rc() {
        let home = home_with_rc(RC);
        let store = MemoryStore::default();
        store.save("kr-id:kr-secret").unwrap();
        let got = resolve(&with_env(inputs(&home)), &store)
            .unwrap()
            .credentials;
        assert_eq!(got.source, CredentialSource::Environment);
        assert_eq!(got.key.id(), "env-id");
    }

    #[test]
    fn keyring_beats_rc() {
        let home = home_with_rc(RC);
        let store = MemoryStore::default();
        store_in_keyring(&store, &ApiKey::new("kr-id", "kr-secret").unwrap()).unwrap();
        let got = resolve(&inputs(&home), &store).unwrap().credentials;
        assert_eq!(got.source, CredentialSource::Keyring);
        assert_eq!((got.key.id(), got.key.secret()), ("kr-id", "kr-secret"));
        assert!(delete_from_keyring(&store).unwrap());
        assert!(!delete_from_keyring(&store).unwrap());
        let got = resolve(&inputs(&home), &store).unwrap().credentials;
        assert!(matches!(got.source, CredentialSource::BztRc { .. }));
    }

    #[test]
    fn bzt_rc_cloud_token_is_used_last() {
        let home = home_with_rc(RC);
        let got = resolve(&inputs(&home), &MemoryStore::default())
            .unwrap()
            .credentials;
        let path = home.path().join(".bzt-rc");
        assert_eq!(
            got.source,
            CredentialSource::BztRc {
                path: path.clone(),
                setting: "modules.cloud.token"
            }
        );
        assert_eq!((got.key.id(), got.key.secret()), ("rc-id", "rc-secret"));
        assert_eq!(
            got.source.to_string(),
            format!("Taurus settings {} (modules.cloud.token)", path.display())
        );
    }

    #[test]
    fn bzt_rc_blazemeter_token_when_cloud_has_none() {
        let home = home_with_rc(
            "settings: {check-updates: false}\nmodules:\n  cloud: {token: ''}\n  blazemeter:\n    token: 'bz-id:bz:secret'\n",
        );
        let got = resolve(&inputs(&home), &MemoryStore::default())
            .unwrap()
            .credentials;
        assert!(matches!(
            got.source,
            CredentialSource::BztRc {
                setting: "modules.blazemeter.token",
                ..
            }
        ));
        // Only the first ':' separates id from secret.
        assert_eq!((got.key.id(), got.key.secret()), ("bz-id", "bz:secret"));
    }

    #[test]
    fn headless_machine_falls_back_to_bzt_rc_with_a_note() {
        let home = home_with_rc(RC);
        let resolved = resolve(&inputs(&home), &NoKeyring).unwrap();
        assert!(matches!(
            resolved.credentials.source,
            CredentialSource::BztRc { .. }
        ));
        assert_eq!(resolved.notes.len(), 1);
        assert!(
            resolved.notes[0].contains("no OS keyring service"),
            "{:?}",
            resolved.notes
        );
    }

    #[test]
    fn nothing_anywhere_lists_what_was_tried() {
        let home = tempfile::tempdir().unwrap();
        let err = resolve(&inputs(&home), &NoKeyring).unwrap_err().to_string();
        for part in [
            "flags (not given)",
            "environment (not set)",
            "no D-Bus session bus",
            ".bzt-rc (no token)",
            "vajra cloud login",
        ] {
            assert!(err.contains(part), "{part:?} missing in {err}");
        }
    }

    #[test]
    fn storing_without_a_keyring_is_a_clear_error() {
        let err = store_in_keyring(&NoKeyring, &ApiKey::new("a", "b").unwrap()).unwrap_err();
        assert!(err.to_string().contains(ENV_KEY_ID), "{err}");
    }

    #[test]
    fn half_a_key_is_an_error_naming_the_missing_half() {
        let i = CredentialInputs::default().with_flags(Some("id".into()), None);
        let err = resolve(&i, &MemoryStore::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--api-key-id is set but --api-key-secret is not"),
            "{err}"
        );
        let i = CredentialInputs {
            env_secret: Some("s".into()),
            ..CredentialInputs::default()
        };
        let err = resolve(&i, &MemoryStore::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("BLAZEMETER_API_KEY_SECRET is set but BLAZEMETER_API_KEY_ID is not"),
            "{err}"
        );
    }

    #[test]
    fn legacy_token_and_bad_yaml_are_reported_with_the_file() {
        let home = home_with_rc("modules:\n  cloud:\n    token: abcdef\n");
        let err = resolve(&inputs(&home), &MemoryStore::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(".bzt-rc (modules.cloud.token)") && err.contains("legacy"),
            "{err}"
        );

        let home = home_with_rc("modules:\n  cloud: [\n");
        let err = resolve(&inputs(&home), &MemoryStore::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(".bzt-rc") && err.contains("line"), "{err}");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = ApiKey::new("key-id-123", "top-secret-value").unwrap();
        let creds = Credentials {
            key,
            source: CredentialSource::Environment,
        };
        let shown = format!("{creds:?} {:#?}", creds);
        assert!(!shown.contains("top-secret-value"), "{shown}");
        assert!(
            shown.contains("key-id-123") && shown.contains("<redacted>"),
            "{shown}"
        );
        let resolved = Resolved {
            credentials: creds,
            notes: vec![],
        };
        let shown = format!("{resolved:?}");
        assert!(!shown.contains("top-secret-value"), "{shown}");
    }

    #[test]
    fn debug_of_the_inputs_never_shows_the_secrets() {
        let inputs = CredentialInputs {
            env_id: Some("env-id".into()),
            env_secret: Some("env-secret-value".into()),
            ..CredentialInputs::default()
        }
        .with_flags(Some("flag-id".into()), Some("flag-secret-value".into()));
        let shown = format!("{inputs:?} {inputs:#?}");
        assert!(
            !shown.contains("secret-value")
                && shown.contains("flag-id")
                && shown.contains("env-id"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"), "{shown}");
        let none = format!("{:?}", CredentialInputs::default());
        assert!(none.contains("flag_secret: None"), "{none}");
    }
}
