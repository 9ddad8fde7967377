//! The real OS keyring on this machine. On a headless machine (CI, containers) there is no
//! keyring service: resolution must fall back to `~/.bzt-rc` with a note, without panicking
//! or hanging. Where a keyring exists and holds a vajra key, that key wins instead.

use bzm_client::credentials::{resolve, CredentialInputs, OsKeyring, SecretStore};
use bzm_client::CredentialSource;

#[test]
fn real_keyring_falls_back_cleanly() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".bzt-rc"),
        "modules:\n  cloud:\n    token: rc-id:rc-secret\n",
    )
    .unwrap();
    let inputs = CredentialInputs {
        home: Some(home.path().to_owned()),
        ..CredentialInputs::default()
    };
    let stored = OsKeyring.load();
    let resolved = resolve(&inputs, &OsKeyring).unwrap();
    match stored {
        Ok(Some(_)) => assert_eq!(resolved.credentials.source, CredentialSource::Keyring),
        Ok(None) => {
            assert!(matches!(
                resolved.credentials.source,
                CredentialSource::BztRc { .. }
            ));
            assert!(resolved.notes.is_empty());
        }
        Err(e) => {
            assert!(matches!(
                resolved.credentials.source,
                CredentialSource::BztRc { .. }
            ));
            assert_eq!(resolved.notes, vec![format!("skipped the OS keyring: {e}")]);
            eprintln!("keyring here: {e}");
        }
    }
}
