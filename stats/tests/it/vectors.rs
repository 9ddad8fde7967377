//! Where the JTL test vectors are: the repo's own, and the shared real-tool files when present.

use std::path::{Path, PathBuf};

/// Real JMeter/Taurus files kept beside the repo by its developers; not part of a clone.
pub const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/test-vectors/jtl/"
);

/// The repo's own vectors, written by `fixtures/jtl-vectors/make.py`.
pub const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/jtl-vectors/");

/// A shared vector by name.
pub fn vector(name: &str) -> PathBuf {
    PathBuf::from(SHARED).join(name)
}

/// One of the repo's own vectors by name.
pub fn own(name: &str) -> PathBuf {
    PathBuf::from(OWN).join(name)
}

/// Whether the shared vectors are there; says why the test is skipped when they are not.
pub fn shared_present() -> bool {
    let present = Path::new(SHARED).is_dir();
    if !present {
        eprintln!(
            "skipping: ../shared/test-vectors not present (a clone of the repo alone has no \
             shared/ folder); the repo's own vectors in fixtures/jtl-vectors cover the same cases"
        );
    }
    present
}
