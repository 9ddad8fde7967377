//! Which glibc a Linux x86-64 binary needs, read from its ELF headers.
//!
//! A dynamically linked binary names, in its `.gnu.version_r` section, every symbol version it
//! needs from each shared library (`GLIBC_2.2.5`, `GLIBC_2.34`, …; `objdump -T` shows them per
//! symbol). The dynamic loader refuses to start the binary on a glibc older than the newest of
//! them, so that newest version is what the binary needs. A binary without an interpreter
//! (`PT_INTERP`) is static and needs no C library at all.

use std::collections::BTreeSet;
use std::fmt;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

/// The glibc that the engine images are assumed to have at least: what
/// `scripts/build-portable.sh` targets.
pub const BASELINE: GlibcVersion = GlibcVersion(2, 17, 0);

/// A glibc release, as in `GLIBC_2.2.5` (the third part is 0 when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion(pub u32, pub u32, pub u32);

impl GlibcVersion {
    /// The version in a symbol version name: `GLIBC_2.17` → 2.17. `None` for names that are not a
    /// release (`GLIBC_PRIVATE`, or another library's `GCC_3.0`).
    pub fn from_symbol_version(name: &str) -> Option<GlibcVersion> {
        // glibc ≥ 2.36 marks binaries linked with packed relative relocations by this name; it
        // has no symbols, so it is not in `objdump -T`, but older loaders refuse such binaries.
        if name == "GLIBC_ABI_DT_RELR" {
            return Some(GlibcVersion(2, 36, 0));
        }
        let mut parts = name.strip_prefix("GLIBC_")?.split('.');
        let mut next = || parts.next().map(str::parse::<u32>).transpose().ok();
        let version = GlibcVersion(next()??, next()?.unwrap_or(0), next()?.unwrap_or(0));
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GlibcVersion(major, minor, 0) => write!(f, "{major}.{minor}"),
            GlibcVersion(major, minor, patch) => write!(f, "{major}.{minor}.{patch}"),
        }
    }
}

/// What a binary needs of the C library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibcNeed {
    /// No interpreter: runs on any Linux x86-64 kernel.
    Static,
    /// Dynamically linked against glibc, at least this version.
    Glibc(GlibcVersion),
    /// Dynamically linked without glibc symbol versions (for example against musl).
    Other { interpreter: String },
}

impl LibcNeed {
    /// Whether it runs on an engine image with the [`BASELINE`] glibc.
    pub fn within_baseline(&self) -> bool {
        match self {
            LibcNeed::Static => true,
            LibcNeed::Glibc(version) => *version <= BASELINE,
            LibcNeed::Other { .. } => false,
        }
    }
}

impl fmt::Display for LibcNeed {
    /// As the manifest states it: `2.17`, `static`, or the interpreter it needs instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LibcNeed::Static => f.write_str("static"),
            LibcNeed::Glibc(version) => version.fmt(f),
            LibcNeed::Other { interpreter } => write!(f, "none (dynamic, loader {interpreter})"),
        }
    }
}

/// What [`read`] finds in a binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfNeeds {
    /// The `PT_INTERP` path, e.g. `/lib64/ld-linux-x86-64.so.2`; `None` for a static binary.
    pub interpreter: Option<String>,
    /// Every `GLIBC_*` version name it needs, from any library.
    pub glibc_names: BTreeSet<String>,
}

impl ElfNeeds {
    pub fn libc(&self) -> LibcNeed {
        let newest = self
            .glibc_names
            .iter()
            .filter_map(|name| GlibcVersion::from_symbol_version(name))
            .max();
        match (&self.interpreter, newest) {
            (None, _) => LibcNeed::Static,
            (Some(_), Some(version)) => LibcNeed::Glibc(version),
            (Some(interpreter), None) => LibcNeed::Other {
                interpreter: interpreter.clone(),
            },
        }
    }
}

/// Reads the interpreter and the glibc version names of a 64-bit little-endian ELF file.
pub fn read(bytes: &[u8]) -> Result<ElfNeeds, object::Error> {
    let header = elf::FileHeader64::<Endianness>::parse(bytes)?;
    let endian = header.endian()?;
    let mut interpreter = None;
    for segment in header.program_headers(endian, bytes)? {
        if let Some(path) = segment.interpreter(endian, bytes)? {
            interpreter = Some(String::from_utf8_lossy(path).into_owned());
        }
    }
    let mut glibc_names = BTreeSet::new();
    let sections = header.sections(endian, bytes)?;
    if let Some((mut needs, strings_index)) = sections.gnu_verneed(endian, bytes)? {
        let strings = sections.strings(endian, bytes, strings_index)?;
        while let Some((_library, mut versions)) = needs.next()? {
            while let Some(version) = versions.next()? {
                let name = String::from_utf8_lossy(version.name(endian, strings)?);
                if name.starts_with("GLIBC_") {
                    glibc_names.insert(name.into_owned());
                }
            }
        }
    }
    Ok(ElfNeeds {
        interpreter,
        glibc_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn symbol_version_names_parse_to_releases() {
        let v = GlibcVersion::from_symbol_version;
        assert_eq!(v("GLIBC_2.17"), Some(GlibcVersion(2, 17, 0)));
        assert_eq!(v("GLIBC_2.2.5"), Some(GlibcVersion(2, 2, 5)));
        assert_eq!(v("GLIBC_ABI_DT_RELR"), Some(GlibcVersion(2, 36, 0)));
        for not in [
            "GLIBC_PRIVATE",
            "GCC_3.0",
            "GLIBC_",
            "GLIBC_2.x",
            "GLIBC_2.1.2.3",
        ] {
            assert_eq!(v(not), None, "{not}");
        }
        // Numeric, not textual, order: 2.2.5 is older than 2.17.
        assert!(v("GLIBC_2.2.5") < v("GLIBC_2.17"));
        assert_eq!(GlibcVersion(2, 2, 5).to_string(), "2.2.5");
        assert_eq!(BASELINE.to_string(), "2.17");
    }

    #[test]
    fn the_need_is_the_newest_version_or_static() {
        let needs = |interpreter: Option<&str>, names: &[&str]| ElfNeeds {
            interpreter: interpreter.map(str::to_owned),
            glibc_names: names.iter().map(|n| n.to_string()).collect(),
        };
        let ld = Some("/lib64/ld-linux-x86-64.so.2");
        let old = needs(ld, &["GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_PRIVATE"]).libc();
        assert_eq!(old, LibcNeed::Glibc(GlibcVersion(2, 17, 0)));
        assert!(old.within_baseline());
        let new = needs(ld, &["GLIBC_2.2.5", "GLIBC_2.34"]).libc();
        assert_eq!(new.to_string(), "2.34");
        assert!(!new.within_baseline());
        assert_eq!(needs(None, &[]).libc(), LibcNeed::Static);
        let musl = needs(Some("/lib/ld-musl-x86_64.so.1"), &[]).libc();
        assert!(!musl.within_baseline());
    }

    #[test]
    fn non_elf_input_is_an_error_not_a_panic() {
        assert!(read(b"#!/bin/sh\necho hi\n").is_err());
        assert!(read(b"\x7fELF\x02\x01\x01").is_err());
        assert!(read(&[]).is_err());
    }

    /// The reader against binutils on a real binary: this test executable, which links glibc.
    #[test]
    fn reads_the_same_glibc_versions_as_objdump() {
        let exe = std::env::current_exe().unwrap();
        let Ok(output) = Command::new("objdump").arg("-T").arg(&exe).output() else {
            eprintln!("skipped: objdump (binutils) is not installed");
            return;
        };
        assert!(output.status.success(), "objdump -T failed");
        let text = String::from_utf8_lossy(&output.stdout);
        // objdump -T prints a symbol's version as `GLIBC_2.2.5` or `(GLIBC_2.2.5)`.
        let from_objdump: BTreeSet<String> = text
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter(|word| GlibcVersion::from_symbol_version(word).is_some())
            .map(str::to_owned)
            .collect();
        assert!(!from_objdump.is_empty(), "no GLIBC versions in:\n{text}");

        let needs = read(&std::fs::read(&exe).unwrap()).unwrap();
        assert!(needs.interpreter.is_some());
        let ours: BTreeSet<String> = needs
            .glibc_names
            .iter()
            .filter(|name| *name != "GLIBC_ABI_DT_RELR")
            .filter(|name| GlibcVersion::from_symbol_version(name).is_some())
            .cloned()
            .collect();
        assert_eq!(ours, from_objdump);
        let newest = from_objdump
            .iter()
            .filter_map(|n| GlibcVersion::from_symbol_version(n))
            .max()
            .unwrap();
        if !needs.glibc_names.contains("GLIBC_ABI_DT_RELR") {
            assert_eq!(needs.libc(), LibcNeed::Glibc(newest));
        }
    }
}
