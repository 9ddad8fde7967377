//! The cloud package: the exact files `vajra cloud run` uploads and `vajra package` writes.
//!
//! A package is flat, as BlazeMeter keeps a test's files:
//! - `taurus.yml`, one execution per location with `executor: vajra`, that location's exact TPS
//!   (and users) from our splitter, its engines given explicitly (`locations-weighted: false`),
//!   the ramp and hold from the plan, and `modules.vajra` naming the flat plugin class;
//! - the plan, rewritten so its data and body files are referenced by base name, without the
//!   sections that only the client uses (`load` comes from taurus.yml; `thresholds` are checked
//!   on the cloud aggregate; `cloud`);
//! - those data and body files, the plugin modules (compiled into this binary from `taurus/`),
//!   and the Linux x86-64 `vajra` binary ([`choose_binary`] says which), with the glibc it
//!   needs stated in the manifest.
//!
//! [`cloud_load`], [`taurus_yml`] and [`rewrite_plan`] are pure; [`build`] reads the files and
//! checks names and sizes before anything could be uploaded. Secrets never enter a package:
//! nothing here sees the API key.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use bzm_client::api::MAX_UPLOAD_BYTES;
use serde::Serialize;
use serde_json::{Map as Mapping, Value};
use sha2::{Digest, Sha256};
use vajra_fleet::split::Split;
use vajra_plan::taurus::load::to_taurus;
use vajra_plan::taurus::TaurusLoad;
use vajra_plan::LoadSpec;

use super::glibc::{self, LibcNeed};

/// The main file of a Taurus test on BlazeMeter.
pub const MAIN_FILE: &str = "taurus.yml";
/// The name the plugin looks for beside taurus.yml.
pub const BINARY_NAME: &str = "vajra";
/// The plugin's class in the flat layout (no pip on a BlazeMeter engine).
pub const PLUGIN_CLASS: &str = "vajra_executor.VajraExecutor";
/// TPS one engine is trusted with when neither the flag nor the plan says.
pub const DEFAULT_ENGINE_CAPACITY_TPS: u64 = 5000;
/// Names the binary to package when `--vajra-binary` is not given.
pub const PORTABLE_ENV: &str = "VAJRA_PORTABLE_BINARY";
/// The portable build's name beside the running executable.
pub const PORTABLE_BESIDE: &str = "vajra-portable";
/// Where `scripts/build-portable.sh` writes the portable build, relative to the directory of
/// the running executable when that is `target/release` or `target/debug`.
pub const PORTABLE_IN_TARGET: &str = "../portable/vajra";

/// The plugin modules, as in `taurus/bzt_vajra/`.
const PLUGIN_FILES: [(&str, &str); 1] = [(
    "vajra_executor.py",
    include_str!("../../../taurus/bzt_vajra/vajra_executor.py"),
)];

/// The load each location's execution carries; TPS and users are totals, split per location.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CloudLoad {
    pub tps: Option<u64>,
    pub users: Option<u64>,
    /// The other Taurus keys (ramp-up, hold-for, iterations, steps), the same at every
    /// location.
    pub keys: TaurusLoad,
}

/// What Taurus's executions can express of a plan's load (flags already laid over it): the
/// inverse of the mapping `vajra run` applies to a Taurus config, plus the whole TPS the
/// split needs.
pub fn cloud_load(spec: &LoadSpec) -> anyhow::Result<CloudLoad> {
    let keys = to_taurus(spec).map_err(|e| anyhow!("{e}"))?;
    let tps = match keys.throughput {
        Some(tps) if tps.fract() != 0.0 || tps < 1.0 => bail!(
            "load.tps is {tps}; a cloud run splits whole requests per second, give at least 1"
        ),
        Some(tps) => Some(tps as u64),
        None => None,
    };
    Ok(CloudLoad {
        tps,
        users: keys.concurrency,
        keys: TaurusLoad {
            concurrency: None,
            throughput: None,
            ..keys
        },
    })
}

/// taurus.yml: one execution per location with its exact share and engine count.
pub fn taurus_yml(plan_name: &str, split: &Split, load: &CloudLoad) -> String {
    let key = |k: &str| k.to_owned();
    let text = |k: &str| Value::String(k.to_owned());
    let executions: Vec<Value> = split
        .locations
        .iter()
        .map(|location| {
            let mut e = Mapping::new();
            e.insert(key("executor"), text("vajra"));
            let mut scenario = Mapping::new();
            scenario.insert(key("script"), text(plan_name));
            e.insert(key("scenario"), Value::Object(scenario));
            TaurusLoad {
                throughput: location.tps.map(|t| t as f64),
                concurrency: location.users,
                ..load.keys.clone()
            }
            .write_keys(&mut e);
            let mut locations = Mapping::new();
            locations.insert(key(&location.id), Value::Number(location.engines.into()));
            e.insert(key("locations"), Value::Object(locations));
            e.insert(key("locations-weighted"), Value::Bool(false));
            Value::Object(e)
        })
        .collect();
    let mut vajra = Mapping::new();
    vajra.insert(key("class"), text(PLUGIN_CLASS));
    let mut modules = Mapping::new();
    modules.insert(key("vajra"), Value::Object(vajra));
    let mut root = Mapping::new();
    root.insert(key("execution"), Value::Array(executions));
    root.insert(key("modules"), Value::Object(modules));
    let yaml = serde_saphyr::to_string(&Value::Object(root))
        .expect("a mapping of strings and numbers always serializes");
    format!(
        "# Written by vajra {}: one execution per location, exact shares.\n{yaml}",
        env!("CARGO_PKG_VERSION")
    )
}

/// A file the plan refers to: its name in the package and where it is on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Referenced {
    pub name: String,
    pub path: PathBuf,
}

/// The plan as packaged: data, body and TLS files by base name, without `load`, `thresholds`
/// and `cloud`; plus the files it refers to, resolved against `plan_dir`.
pub fn rewrite_plan(text: &str, plan_dir: &Path) -> anyhow::Result<(String, Vec<Referenced>)> {
    let mut root: Value = serde_saphyr::from_str(text).context("invalid YAML")?;
    let map = root
        .as_object_mut()
        .ok_or_else(|| anyhow!("the plan is not a mapping"))?;
    for section in ["load", "thresholds", "cloud"] {
        map.remove(section);
    }
    let mut referenced = Vec::new();
    let mut take = |value: &mut Value, field: &str| -> anyhow::Result<()> {
        let Some(text) = value.as_str() else {
            bail!("{field} is not a file name");
        };
        let path = plan_dir.join(text);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow!("{field}: `{text}` has no file name"))?
            .to_owned();
        *value = Value::String(name.clone());
        referenced.push(Referenced { name, path });
        Ok(())
    };
    if let Some(Value::Array(sets)) = map.get_mut("data") {
        for (i, set) in sets.iter_mut().enumerate() {
            if let Some(file) = set.get_mut("file") {
                take(file, &format!("data[{i}].file"))?;
            }
        }
    }
    // A test CA or a client certificate travels with the plan, as its data files do.
    if let Some(tls) = map.get_mut("tls").and_then(Value::as_object_mut) {
        for key in ["ca-file", "client-cert", "client-key"] {
            if let Some(file) = tls.get_mut(key) {
                take(file, &format!("tls.{key}"))?;
            }
        }
    }
    body_files(map.get_mut("requests"), "requests", &mut take)?;
    if let Some(Value::Array(scenarios)) = map.get_mut("scenarios") {
        for (s, scenario) in scenarios.iter_mut().enumerate() {
            for list in ["setup", "requests", "teardown"] {
                body_files(
                    scenario.get_mut(list),
                    &format!("scenarios[{s}].{list}"),
                    &mut take,
                )?;
            }
        }
    }
    let yaml = serde_saphyr::to_string(&root).context("cannot write the packaged plan")?;
    Ok((yaml, referenced))
}

/// The body files of a list of steps, blocks' own steps included.
fn body_files(
    steps: Option<&mut Value>,
    at: &str,
    take: &mut dyn FnMut(&mut Value, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let Some(Value::Array(list)) = steps else {
        return Ok(());
    };
    for (i, step) in list.iter_mut().enumerate() {
        if let Some(file) = step.get_mut("body-file") {
            take(file, &format!("{at}[{i}].body-file"))?;
        }
        for nested in ["do", "then", "else", "once"] {
            body_files(step.get_mut(nested), &format!("{at}[{i}].{nested}"), take)?;
        }
    }
    Ok(())
}

/// One file of the package.
#[derive(Clone)]
pub struct PackageFile {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Where it came from, for the manifest and messages.
    pub origin: String,
    /// For the vajra binary: the C library it needs.
    pub libc: Option<LibcNeed>,
}

/// The files to upload, `taurus.yml` first.
pub struct Package {
    pub files: Vec<PackageFile>,
}

/// A manifest line.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
    pub origin: String,
    /// For the vajra binary: the oldest glibc it runs on (`2.17`), or `static`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glibc: Option<String>,
}

/// What [`build`] needs.
pub struct PackageInputs<'a> {
    /// The plan file; for a Taurus config, the config (its directory resolves the files).
    pub plan_path: &'a Path,
    /// The plan a Taurus config's `requests` scenario maps to, packaged in its place.
    pub generated: Option<&'a Value>,
    pub split: &'a Split,
    pub load: &'a CloudLoad,
    pub vajra_binary: &'a ChosenBinary,
}

/// The vajra binary to package, and why it was chosen (for the manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenBinary {
    pub path: PathBuf,
    pub why: &'static str,
}

impl ChosenBinary {
    /// Whether it is older than `exe`: a portable build from before vajra was last rebuilt.
    pub fn older_than(&self, exe: &Path) -> bool {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        matches!((modified(&self.path), modified(exe)), (Some(it), Some(exe)) if it < exe)
    }
}

/// The vajra binary to package, first found of: `--vajra-binary`; `$VAJRA_PORTABLE_BINARY`;
/// `vajra-portable` beside the running executable; `../portable/vajra` from its directory
/// (where `scripts/build-portable.sh` puts it, beside `target/release`); the running
/// executable itself. The portable build needs an older glibc than a build on this machine,
/// which BlazeMeter's engine images may have.
pub fn choose_binary(
    flag: Option<&Path>,
    env: Option<OsString>,
    current_exe: &std::io::Result<PathBuf>,
) -> anyhow::Result<ChosenBinary> {
    if let Some(path) = flag {
        return Ok(ChosenBinary {
            path: path.to_owned(),
            why: "--vajra-binary",
        });
    }
    if let Some(path) = env.filter(|p| !p.is_empty()).map(PathBuf::from) {
        if !path.is_file() {
            bail!(
                "{PORTABLE_ENV} names {}, which is not a file; build it with \
                 scripts/build-portable.sh, or unset {PORTABLE_ENV}",
                path.display()
            );
        }
        return Ok(ChosenBinary {
            path,
            why: PORTABLE_ENV,
        });
    }
    let exe = match current_exe {
        Ok(exe) => exe.clone(),
        Err(e) => bail!("cannot find this executable ({e}); pass --vajra-binary"),
    };
    if let Some(dir) = exe.parent() {
        for (candidate, why) in [
            (PORTABLE_BESIDE, "the portable build beside this executable"),
            (
                PORTABLE_IN_TARGET,
                "the portable build of scripts/build-portable.sh",
            ),
        ] {
            let path = dir.join(candidate);
            if path.is_file() {
                return Ok(ChosenBinary { path, why });
            }
        }
    }
    Ok(ChosenBinary {
        path: exe,
        why: "this executable",
    })
}

/// Reads and assembles the package, and checks names and sizes.
pub fn build(inputs: &PackageInputs<'_>) -> anyhow::Result<Package> {
    let plan_path = inputs.plan_path;
    let file_name = plan_path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("{} has no file name", plan_path.display()))?;
    let (plan_name, text) = match inputs.generated {
        Some(plan) => (
            format!(
                "{}.plan.yaml",
                file_name.trim_end_matches(".yml").trim_end_matches(".yaml")
            ),
            serde_saphyr::to_string(plan).context("cannot write the generated plan")?,
        ),
        None => (
            file_name.to_owned(),
            std::fs::read_to_string(plan_path)
                .with_context(|| format!("cannot read {}", plan_path.display()))?,
        ),
    };
    let plan_dir = plan_path.parent().unwrap_or(Path::new("."));
    let (plan_text, referenced) = rewrite_plan(&text, plan_dir)
        .with_context(|| format!("cannot package {}", plan_path.display()))?;

    let mut files = vec![
        PackageFile {
            name: MAIN_FILE.to_owned(),
            bytes: taurus_yml(&plan_name, inputs.split, inputs.load).into_bytes(),
            origin: "generated: one execution per location".to_owned(),
            libc: None,
        },
        PackageFile {
            name: plan_name.clone(),
            bytes: plan_text.into_bytes(),
            origin: match inputs.generated {
                Some(_) => format!("generated from the Taurus config {}", plan_path.display()),
                None => format!("{} (file paths by base name)", plan_path.display()),
            },
            libc: None,
        },
    ];
    for Referenced { name, path } in referenced {
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read {}, named in {}",
                path.display(),
                plan_path.display()
            )
        })?;
        files.push(PackageFile {
            name,
            bytes,
            origin: path.display().to_string(),
            libc: None,
        });
    }
    for (name, text) in PLUGIN_FILES {
        files.push(PackageFile {
            name: name.to_owned(),
            bytes: text.as_bytes().to_vec(),
            origin: "the Taurus plugin (taurus/bzt_vajra)".to_owned(),
            libc: None,
        });
    }
    let ChosenBinary { path: binary, why } = inputs.vajra_binary;
    let bytes = std::fs::read(binary)
        .with_context(|| format!("cannot read the vajra binary {} ({why})", binary.display()))?;
    if !is_linux_x86_64(&bytes) {
        bail!(
            "{} ({why}) is not a Linux x86-64 executable, which BlazeMeter's engines need; \
             pass one with --vajra-binary",
            binary.display()
        );
    }
    let libc = glibc::read(&bytes)
        .map_err(|e| {
            anyhow!(
                "cannot read the ELF headers of {} ({why}): {e}; pass a Linux x86-64 vajra \
                 binary with --vajra-binary",
                binary.display()
            )
        })?
        .libc();
    files.push(PackageFile {
        name: BINARY_NAME.to_owned(),
        bytes,
        origin: format!("{} ({why})", binary.display()),
        libc: Some(libc),
    });
    check(&files)?;
    Ok(Package { files })
}

/// Flat names must be unique (the same file named twice is kept once) and each file within
/// BlazeMeter's upload limit.
fn check(files: &[PackageFile]) -> anyhow::Result<()> {
    let mut seen: BTreeMap<&str, &PackageFile> = BTreeMap::new();
    for file in files {
        if let Some(first) = seen.get(file.name.as_str()) {
            if first.origin != file.origin {
                bail!(
                    "two files would both be uploaded as `{}`: {} and {}; BlazeMeter keeps a \
                     test's files in one flat directory, so rename one",
                    file.name,
                    first.origin,
                    file.origin
                );
            }
        }
        seen.insert(&file.name, file);
        if file.bytes.len() as u64 > MAX_UPLOAD_BYTES {
            bail!(
                "{} ({}) is {:.1} MB; BlazeMeter takes files up to {} MB. For the vajra binary, \
                 use a release build or a stripped copy (strip -o vajra-small {}) with \
                 --vajra-binary",
                file.name,
                file.origin,
                file.bytes.len() as f64 / 1e6,
                MAX_UPLOAD_BYTES / 1_000_000,
                file.origin
            );
        }
    }
    Ok(())
}

fn is_linux_x86_64(bytes: &[u8]) -> bool {
    // ELF magic, then e_machine (offset 18, little-endian) = 0x3E (x86-64).
    bytes.starts_with(b"\x7fELF") && bytes.get(18..20) == Some(&[0x3e, 0x00])
}

impl Package {
    /// The files without duplicates (a data file named twice by the plan is uploaded once).
    pub fn unique_files(&self) -> Vec<&PackageFile> {
        let mut seen = std::collections::BTreeSet::new();
        self.files
            .iter()
            .filter(|f| seen.insert(f.name.as_str()))
            .collect()
    }

    pub fn manifest(&self) -> Vec<ManifestEntry> {
        self.unique_files()
            .into_iter()
            .map(|f| ManifestEntry {
                name: f.name.clone(),
                bytes: f.bytes.len() as u64,
                sha256: Sha256::digest(&f.bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
                origin: f.origin.clone(),
                glibc: f.libc.as_ref().map(LibcNeed::to_string),
            })
            .collect()
    }

    /// What the packaged vajra binary needs of the C library.
    pub fn binary_libc(&self) -> Option<&LibcNeed> {
        self.files.iter().find_map(|f| f.libc.as_ref())
    }

    /// Writes the package as a zip (`*.zip`) or into a directory (anything else).
    pub fn write(&self, out: &Path) -> anyhow::Result<()> {
        if out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            self.write_zip(out)
        } else {
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            for file in self.unique_files() {
                let path = out.join(&file.name);
                std::fs::write(&path, &file.bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                if file.name == BINARY_NAME {
                    set_executable(&path)?;
                }
            }
            Ok(())
        }
    }

    fn write_zip(&self, out: &Path) -> anyhow::Result<()> {
        let file = std::fs::File::create(out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let mut zip = zip::ZipWriter::new(file);
        for f in self.unique_files() {
            let mode = if f.name == BINARY_NAME { 0o755 } else { 0o644 };
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(mode);
            zip.start_file(f.name.as_str(), options)
                .and_then(|()| zip.write_all(&f.bytes).map_err(Into::into))
                .with_context(|| format!("cannot write {} into {}", f.name, out.display()))?;
        }
        zip.finish()
            .with_context(|| format!("cannot finish {}", out.display()))?;
        Ok(())
    }
}

#[cfg(unix)]
fn set_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// The manifest as a table.
pub fn render_manifest(entries: &[ManifestEntry]) -> String {
    let width = entries
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "{:width$}  {:>12}  {:16}  from\n",
        "file", "bytes", "sha256"
    );
    for e in entries {
        out.push_str(&format!(
            "{:width$}  {:>12}  {:16}  {}\n",
            e.name,
            e.bytes,
            &e.sha256[..16],
            e.origin
        ));
    }
    for e in entries {
        if let Some(glibc) = &e.glibc {
            out.push_str(&format!("{}: glibc: {glibc}\n", e.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use vajra_fleet::split::{split, Capacity, SplitRequest};

    fn two_locations(tps: u64) -> Split {
        let request = SplitRequest {
            total_tps: Some(tps),
            total_users: None,
            weights: vec![("us-east4-a".into(), 2.0), ("europe-west1-b".into(), 1.0)],
            tps_per_engine: Some(10),
        };
        let available = [("us-east4-a", ()), ("europe-west1-b", ())]
            .into_iter()
            .map(|(id, ())| (id.to_owned(), Capacity::default()))
            .collect();
        split(&request, &available).unwrap()
    }

    #[test]
    fn taurus_yml_has_one_execution_per_location_with_exact_shares() {
        let load = CloudLoad {
            tps: Some(30),
            keys: TaurusLoad {
                hold_for: Some(Duration::from_secs(2)),
                ..TaurusLoad::default()
            },
            ..CloudLoad::default()
        };
        let yaml = taurus_yml("plan.yaml", &two_locations(30), &load);
        let value: Value = serde_saphyr::from_str(&yaml).unwrap();
        let executions = value["execution"].as_array().unwrap();
        assert_eq!(executions.len(), 2);
        assert_eq!(executions[0]["throughput"], Value::from(20));
        assert_eq!(executions[0]["locations"]["us-east4-a"], Value::from(2));
        assert_eq!(executions[1]["throughput"], Value::from(10));
        assert_eq!(executions[1]["locations"]["europe-west1-b"], Value::from(1));
        for e in executions {
            assert_eq!(e["executor"], Value::from("vajra"));
            assert_eq!(e["scenario"]["script"], Value::from("plan.yaml"));
            assert_eq!(e["hold-for"], Value::from("2s"));
            assert_eq!(e["locations-weighted"], Value::from(false));
        }
        assert_eq!(
            value["modules"]["vajra"]["class"],
            Value::from(PLUGIN_CLASS)
        );
    }

    #[test]
    fn plan_paths_become_base_names_and_client_sections_go() {
        let text =
            "name: x\nbase-url: http://h\nrequests:\n  - {url: /a, body-file: bodies/a.json}\n\
                    data:\n  - file: ../data/users.csv\nload: {tps: 3, duration: 2s}\n\
                    thresholds: ['errors>1%']\ncloud: {engine-capacity-tps: 5}\n\
                    tls: {ca-file: certs/ca.pem, insecure: false}\n";
        let (yaml, files) = rewrite_plan(text, Path::new("/p/plans")).unwrap();
        let value: Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(value["data"][0]["file"], Value::from("users.csv"));
        assert_eq!(value["requests"][0]["body-file"], Value::from("a.json"));
        assert_eq!(value["tls"]["ca-file"], Value::from("ca.pem"));
        for gone in ["load", "thresholds", "cloud"] {
            assert!(value.get(gone).is_none(), "{gone} kept");
        }
        assert_eq!(
            files,
            vec![
                Referenced {
                    name: "users.csv".into(),
                    path: "/p/plans/../data/users.csv".into()
                },
                Referenced {
                    name: "ca.pem".into(),
                    path: "/p/plans/certs/ca.pem".into()
                },
                Referenced {
                    name: "a.json".into(),
                    path: "/p/plans/bodies/a.json".into()
                },
            ]
        );
    }

    #[test]
    fn load_patterns_map_to_taurus_keys() {
        let spec: LoadSpec = serde_saphyr::from_str(
            "{pattern: ramp-sustain, tps: 20, ramp-duration: 10s, duration: 1m}",
        )
        .unwrap();
        let load = cloud_load(&spec).unwrap();
        assert_eq!(load.tps, Some(20));
        assert_eq!(load.keys.ramp_up, Some(Duration::from_secs(10)));
        assert_eq!(load.keys.hold_for, Some(Duration::from_secs(50)));
        let closed: LoadSpec = serde_saphyr::from_str("{concurrency: 8, duration: 30s}").unwrap();
        assert_eq!(cloud_load(&closed).unwrap().users, Some(8));
        for (bad, needle) in [
            (
                "{pattern: sine, mean-rate: 5, amplitude: 1, period: 10s, duration: 1m}",
                "sine",
            ),
            ("{tps: 2.5, duration: 1m}", "whole"),
            ("{tps: 5, duration: 1m, warmup: 5s}", "warmup"),
            ("{}", "no load"),
        ] {
            let spec: LoadSpec = serde_saphyr::from_str(bad).unwrap();
            let error = cloud_load(&spec).unwrap_err().to_string();
            assert!(error.contains(needle), "{bad}: {error}");
        }
    }

    fn file(name: &str, origin: &str, len: usize) -> PackageFile {
        PackageFile {
            name: name.into(),
            bytes: vec![b'x'; len],
            origin: origin.into(),
            libc: None,
        }
    }

    #[test]
    fn collisions_and_big_files_are_caught() {
        let error = check(&[
            file("users.csv", "a/users.csv", 1),
            file("users.csv", "b/users.csv", 1),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("a/users.csv") && error.contains("b/users.csv"),
            "{error}"
        );
        assert!(check(&[file("u.csv", "a/u.csv", 1), file("u.csv", "a/u.csv", 1)]).is_ok());
        let big = MAX_UPLOAD_BYTES as usize + 1;
        let error = check(&[file("vajra", "/t/vajra", big)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("up to 50 MB"), "{error}");
    }

    #[test]
    fn only_linux_x86_64_binaries_pass() {
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[18] = 0x3e;
        assert!(is_linux_x86_64(&elf));
        elf[18] = 0xb7; // aarch64
        assert!(!is_linux_x86_64(&elf));
        assert!(!is_linux_x86_64(b"#!/bin/sh\n"));
    }

    #[test]
    fn the_binary_is_the_flag_then_the_env_then_a_portable_build_then_this_executable() {
        let root = tempfile::tempdir().unwrap();
        let release = root.path().join("target/release");
        std::fs::create_dir_all(&release).unwrap();
        let exe = release.join("vajra");
        let touch = |p: &Path| std::fs::write(p, b"x").unwrap();
        touch(&exe);
        let choose = |flag: Option<&Path>, env: Option<&Path>| {
            choose_binary(flag, env.map(OsString::from), &Ok(exe.clone()))
        };

        assert_eq!(choose(None, None).unwrap().path, exe);
        assert_eq!(choose(None, None).unwrap().why, "this executable");
        // scripts/build-portable.sh's output, beside target/release.
        let in_target = root.path().join("target/portable/vajra");
        std::fs::create_dir_all(in_target.parent().unwrap()).unwrap();
        touch(&in_target);
        assert_eq!(
            choose(None, None).unwrap().path,
            release.join(PORTABLE_IN_TARGET)
        );
        let beside = release.join(PORTABLE_BESIDE);
        touch(&beside);
        assert_eq!(choose(None, None).unwrap().path, beside);
        let named = root.path().join("named");
        touch(&named);
        let chosen = choose(None, Some(&named)).unwrap();
        assert_eq!(
            (chosen.path.as_path(), chosen.why),
            (named.as_path(), PORTABLE_ENV)
        );
        let flag = Path::new("/given/vajra");
        assert_eq!(choose(Some(flag), Some(&named)).unwrap().path, flag);
        // An empty variable is unset; a wrong one is an error, not a silent fallback.
        assert_eq!(choose(None, Some(Path::new(""))).unwrap().path, beside);
        let error = choose(None, Some(&root.path().join("missing")))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(PORTABLE_ENV) && error.contains("missing"),
            "{error}"
        );
        // The portable build of an older source than this executable's.
        let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        let set_mtime = |p: &Path, t| {
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(t)
                .unwrap()
        };
        set_mtime(&beside, hour_ago);
        assert!(choose(None, None).unwrap().older_than(&exe));
        set_mtime(&exe, hour_ago - Duration::from_secs(1));
        assert!(!choose(None, None).unwrap().older_than(&exe));

        let error = choose_binary(None, None, &Err(std::io::Error::other("gone")))
            .unwrap_err()
            .to_string();
        assert!(error.contains("--vajra-binary"), "{error}");
    }

    proptest::proptest! {
        /// Whatever the total and weights, taurus.yml carries every location once, with the
        /// split's engines, and throughputs that sum exactly to the total.
        #[test]
        fn taurus_yml_throughputs_sum_to_the_total(
            tps in 1u64..100_000,
            weights in proptest::collection::vec(0.1f64..10.0, 1..=10),
            capacity in 1u64..5_000,
        ) {
            let ids: Vec<String> = (0..weights.len()).map(|i| format!("loc-{i}")).collect();
            let request = SplitRequest {
                total_tps: Some(tps),
                total_users: None,
                weights: ids.iter().cloned().zip(weights).collect(),
                tps_per_engine: Some(capacity),
            };
            let available = ids.iter().map(|id| (id.clone(), Capacity::default())).collect();
            let split = split(&request, &available).unwrap();
            let load = CloudLoad { tps: Some(tps), keys: TaurusLoad { hold_for: Some(Duration::from_secs(60)), ..TaurusLoad::default() }, ..CloudLoad::default() };
            let value: Value = serde_saphyr::from_str(&taurus_yml("p.yaml", &split, &load)).unwrap();
            let executions = value["execution"].as_array().unwrap();
            proptest::prop_assert_eq!(executions.len(), ids.len());
            let mut sum = 0;
            for (execution, share) in executions.iter().zip(&split.locations) {
                sum += execution["throughput"].as_u64().unwrap();
                proptest::prop_assert_eq!(execution["locations"][share.id.as_str()].as_u64(), Some(share.engines));
                proptest::prop_assert!(share.engines * capacity >= share.tps.unwrap());
            }
            proptest::prop_assert_eq!(sum, tps);
        }
    }
}
