//! Local records of the masters vajra started, so `vajra cloud attach` can resume a run (with
//! its plan's thresholds) after the machine that started it went away.
//!
//! One JSON file per master in `$VAJRA_STATE_DIR`, else `$XDG_STATE_HOME/vajra/masters`, else
//! `~/.local/state/vajra/masters`. A record never holds the API key.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};
use vajra_fleet::split::Split;
use vajra_stats::threshold::Threshold;

/// Overrides where records are kept (tests use it).
pub const ENV_STATE_DIR: &str = "VAJRA_STATE_DIR";

/// What is remembered about a master vajra started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterRecord {
    pub master_id: u64,
    pub test_id: u64,
    pub test_name: String,
    pub plan: PathBuf,
    pub api_url: String,
    pub report_url: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Failure criteria checked at the end: the plan's thresholds and `--fail-on`, kept in
    /// their canonical text (`p95(login)>500ms`) and parsed again on read.
    #[serde(with = "criteria_text")]
    pub criteria: Vec<Threshold>,
    /// One line per location: id, TPS, users, engines.
    pub split: Vec<SplitLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitLine {
    pub location: String,
    pub tps: Option<u64>,
    pub users: Option<u64>,
    pub engines: u64,
    /// TPS of each engine.
    #[serde(default)]
    pub engine_tps: Vec<u64>,
}

/// Thresholds as their canonical text on disk, so a record stays readable and editable; a
/// record whose text no longer parses is refused with the parse error (serde_json adds the
/// line and column, [`load`] the file).
mod criteria_text {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use vajra_stats::threshold::Threshold;

    pub fn serialize<S: Serializer>(criteria: &[Threshold], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(criteria.iter().map(ToString::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Threshold>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .enumerate()
            .map(|(i, text)| {
                Threshold::parse(text).map_err(|e| D::Error::custom(format!("criteria[{i}]: {e}")))
            })
            .collect()
    }
}

/// The split as records (for JSON and the local master record).
pub fn split_lines(split: &Split) -> Vec<SplitLine> {
    split
        .locations
        .iter()
        .map(|l| SplitLine {
            location: l.id.clone(),
            tps: l.tps,
            users: l.users,
            engines: l.engines,
            engine_tps: l.engine_tps.clone(),
        })
        .collect()
}

/// The directory records live in.
pub fn masters_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_STATE_DIR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("masters"));
    }
    let state = match std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home_dir()
            .ok_or_else(|| anyhow!("no home directory; set {ENV_STATE_DIR}"))?
            .join(".local/state"),
    };
    Ok(state.join("vajra/masters"))
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn record_path(master_id: u64) -> anyhow::Result<PathBuf> {
    Ok(masters_dir()?.join(format!("{master_id}.json")))
}

/// Saves a record; returns its path.
pub fn save(record: &MasterRecord) -> anyhow::Result<PathBuf> {
    let dir = masters_dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = record_path(record.master_id)?;
    let json = serde_json::to_string_pretty(record).context("cannot encode the master record")?;
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The record of a master, if vajra started it here.
pub fn load(master_id: u64) -> anyhow::Result<Option<MasterRecord>> {
    let path = record_path(master_id)?;
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .with_context(|| format!("{} is not a master record; delete it", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_under_the_state_dir() {
        let dir = tempfile::tempdir().unwrap();
        // Only this test sets the variable in this test binary.
        std::env::set_var(ENV_STATE_DIR, dir.path());
        let record = MasterRecord {
            master_id: 42,
            test_id: 7,
            test_name: "t".into(),
            plan: "plan.yaml".into(),
            api_url: "http://127.0.0.1:1".into(),
            report_url: "http://127.0.0.1:1/app/#/masters/42".into(),
            started_at: 1,
            criteria: vec![
                Threshold::parse("errors>1%").unwrap(),
                Threshold::parse("p95(log\\)in)>0.5s").unwrap(),
            ],
            split: vec![SplitLine {
                location: "us-east4-a".into(),
                tps: Some(3),
                users: None,
                engines: 1,
                engine_tps: vec![3],
            }],
        };
        let path = save(&record).unwrap();
        assert_eq!(path, dir.path().join("masters/42.json"));
        let on_disk: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            on_disk["criteria"],
            serde_json::json!(["errors>1%", "p95(log\\)in)>0.5s"]),
            "criteria are kept as their canonical text"
        );
        assert_eq!(load(42).unwrap(), Some(record));
        assert_eq!(load(43).unwrap(), None);
        std::fs::write(dir.path().join("masters/44.json"), "{").unwrap();
        assert!(load(44).unwrap_err().to_string().contains("44.json"));
        let mut corrupt = on_disk;
        corrupt["master_id"] = 45.into();
        corrupt["criteria"] = serde_json::json!(["errors>1%", "p95>>1ms"]);
        std::fs::write(dir.path().join("masters/45.json"), corrupt.to_string()).unwrap();
        let error = format!("{:#}", load(45).unwrap_err());
        assert!(
            error.contains("45.json")
                && error.contains("criteria[1]")
                && error.contains("p95>>1ms"),
            "{error}"
        );
    }
}
