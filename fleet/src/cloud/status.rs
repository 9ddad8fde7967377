//! What a master's status and reports say during a run: the phase of its progress, the
//! engines and sessions of each location, and the figures (TPS, p95, errors, users) of the run
//! and of each location, gathered into one [`Snapshot`] per poll. The polling itself (which
//! calls, when) and the rendering are the caller's; this is the interpretation of the answers.

use std::collections::{BTreeMap, BTreeSet};

use bzm_client::models::{
    AggregateRow, KpiSeries, MasterStatus, Session, PROGRESS_DATA_RECEIVED, PROGRESS_ENDED,
};
use vajra_stats::TOTAL_LABEL;

/// Where a master is in its life, by its progress (docs/blazemeter-api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Booting engines, before any result: a halt terminates (nothing to save).
    Starting,
    /// Results flow: the reports have figures, and a halt stops gracefully.
    DataFlowing,
    /// The master has ended; its reports are final.
    Ended,
}

impl Phase {
    pub fn of(progress: i64) -> Phase {
        if progress >= PROGRESS_ENDED {
            Phase::Ended
        } else if progress >= PROGRESS_DATA_RECEIVED {
            Phase::DataFlowing
        } else {
            Phase::Starting
        }
    }

    /// Whether the reports have figures yet.
    pub fn has_data(self) -> bool {
        self != Phase::Starting
    }
}

/// The KPIs of the run or of one location, from the `ALL` row of an aggregate report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub samples: u64,
    /// Average samples per second so far.
    pub tps: f64,
    pub p95_ms: f64,
    pub errors_pct: f64,
    pub users: Option<u64>,
}

impl Figures {
    /// From the `ALL` row, if the report has one; users are the row's concurrency.
    pub fn from_rows(rows: &[AggregateRow]) -> Option<Figures> {
        let all = rows.iter().find(|r| r.label_name == TOTAL_LABEL)?;
        Some(Figures {
            samples: all.samples,
            tps: all.avg_throughput.unwrap_or(0.0),
            p95_ms: all.p95.unwrap_or(0.0),
            errors_pct: all.errors_rate.unwrap_or(0.0),
            users: all.concurrency.map(|c| c.round() as u64),
        })
    }
}

/// One poll's worth of what the view shows.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub status: String,
    pub progress: i64,
    /// Location → its sessions' statuses.
    pub sessions: BTreeMap<String, Vec<String>>,
    /// Location → engines, once BlazeMeter lists the sessions.
    pub engines: BTreeMap<String, u64>,
    /// The whole run; users are the active users of the last second.
    pub run: Figures,
    /// Location → its figures, once data flows.
    pub locations: BTreeMap<String, Figures>,
    /// Why the per-location figures are missing this poll (the run's are still shown).
    pub locations_error: Option<String>,
}

impl Snapshot {
    /// Every location the sessions name, in order.
    pub fn location_ids(&self) -> BTreeSet<&str> {
        self.sessions
            .keys()
            .chain(self.engines.keys())
            .chain(self.locations.keys())
            .map(String::as_str)
            .collect()
    }
}

/// Shown for a session without a location.
pub const UNKNOWN_LOCATION: &str = "?";

impl Snapshot {
    /// The status part of a poll: status, progress and each location's sessions; `engines` as
    /// known so far. The figures are added once data flows.
    pub fn from_status(status: &MasterStatus, engines: &BTreeMap<String, u64>) -> Snapshot {
        let mut snapshot = Snapshot {
            status: status.status.clone().unwrap_or_else(|| "UNKNOWN".into()),
            progress: status.progress.unwrap_or(0),
            engines: engines.clone(),
            ..Snapshot::default()
        };
        for session in &status.sessions {
            snapshot
                .sessions
                .entry(
                    session
                        .location_id
                        .clone()
                        .unwrap_or_else(|| UNKNOWN_LOCATION.into()),
                )
                .or_default()
                .push(session.status.clone().unwrap_or_default());
        }
        snapshot
    }

    pub fn phase(&self) -> Phase {
        Phase::of(self.progress)
    }

    /// The run's figures from its aggregate and its `ALL` per-second series: users are the
    /// active users of the last second, else the aggregate's concurrency.
    pub fn set_run(&mut self, aggregate: &[AggregateRow], all_series: &[KpiSeries]) {
        self.run = Figures::from_rows(aggregate).unwrap_or_default();
        self.run.users = all_series
            .iter()
            .flat_map(|s| s.kpis.last())
            .filter_map(|k| k.na)
            .max()
            .or(self.run.users);
    }

    /// The locations whose own aggregate can be asked for (those with a known id).
    pub fn known_locations(&self) -> Vec<String> {
        self.location_ids()
            .into_iter()
            .filter(|l| *l != UNKNOWN_LOCATION)
            .map(str::to_owned)
            .collect()
    }
}

/// Engines per location from the master's sessions (a session without a server count is one
/// engine); empty until BlazeMeter has configured the sessions.
pub fn engines_per_location(sessions: &[Session]) -> BTreeMap<String, u64> {
    let mut engines = BTreeMap::new();
    for config in sessions.iter().filter_map(|s| s.configuration.as_ref()) {
        let location = config
            .location
            .clone()
            .unwrap_or_else(|| UNKNOWN_LOCATION.into());
        *engines.entry(location).or_default() += config.servers_count.unwrap_or(1);
    }
    engines
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn figures_come_from_the_all_row() {
        let row = |label: &str, samples: u64| AggregateRow {
            label_name: label.into(),
            samples,
            avg_throughput: Some(2.5),
            p95: Some(90.0),
            errors_rate: Some(4.0),
            concurrency: Some(3.0),
            ..serde_json::from_value(serde_json::json!({"labelName": label})).unwrap()
        };
        assert_eq!(
            Figures::from_rows(&[row("GET /", 1), row("ALL", 7)]),
            Some(Figures {
                samples: 7,
                tps: 2.5,
                p95_ms: 90.0,
                errors_pct: 4.0,
                users: Some(3),
            })
        );
        assert_eq!(Figures::from_rows(&[row("GET /", 1)]), None);
    }

    #[test]
    fn a_status_becomes_sessions_per_location() {
        let status: MasterStatus = serde_json::from_value(serde_json::json!({
            "status": "BOOT_STARTING", "progress": 25,
            "sessions": [
                {"id": "s1", "status": "BOOT", "locationId": "us-east4-a"},
                {"id": "s2", "status": "READY", "locationId": "us-east4-a"},
                {"id": "s3"}
            ]
        }))
        .unwrap();
        let engines = BTreeMap::from([("us-east4-a".to_owned(), 2)]);
        let s = Snapshot::from_status(&status, &engines);
        assert_eq!((s.status.as_str(), s.progress), ("BOOT_STARTING", 25));
        assert_eq!(s.phase(), Phase::Starting);
        assert_eq!(s.sessions["us-east4-a"], ["BOOT", "READY"]);
        assert_eq!(s.sessions[UNKNOWN_LOCATION], [""]);
        assert_eq!(s.known_locations(), ["us-east4-a"]);
        let unknown = Snapshot::from_status(
            &serde_json::from_value(serde_json::json!({})).unwrap(),
            &BTreeMap::new(),
        );
        assert_eq!((unknown.status.as_str(), unknown.progress), ("UNKNOWN", 0));
    }

    #[test]
    fn run_users_are_the_last_seconds_active_users_else_the_concurrency() {
        let rows: Vec<AggregateRow> =
            serde_json::from_str(r#"[{"labelName":"ALL","samples":9,"concurrency":4.4}]"#).unwrap();
        let series: Vec<KpiSeries> = serde_json::from_str(
            r#"[{"label":"ALL","kpis":[{"ts":1,"n":3,"na":9},{"ts":2,"n":3,"na":2}]}]"#,
        )
        .unwrap();
        let mut s = Snapshot::default();
        s.set_run(&rows, &series);
        assert_eq!((s.run.samples, s.run.users), (9, Some(2)));
        s.set_run(&rows, &[]);
        assert_eq!(s.run.users, Some(4));
        s.set_run(&[], &[]);
        assert_eq!(s.run, Figures::default());
    }

    #[test]
    fn engines_add_up_per_location() {
        let sessions: Vec<Session> = serde_json::from_value(serde_json::json!([
            {"id": "a", "configuration": {"location": "us-east4-a", "serversCount": 2}},
            {"id": "b", "configuration": {"location": "us-east4-a"}},
            {"id": "c", "configuration": {}},
            {"id": "d"}
        ]))
        .unwrap();
        assert_eq!(
            engines_per_location(&sessions),
            BTreeMap::from([("?".to_owned(), 1), ("us-east4-a".to_owned(), 3)])
        );
    }

    proptest! {
        /// Progress only moves a master forward through the phases, with the boundaries at
        /// BlazeMeter's DATA_RECEIVED and ENDED.
        #[test]
        fn phases_are_ordered_by_progress(a in -10i64..200, b in -10i64..200) {
            let rank = |p: Phase| p as u8;
            if a <= b {
                prop_assert!(rank(Phase::of(a)) <= rank(Phase::of(b)));
            }
            prop_assert_eq!(Phase::of(a).has_data(), a >= PROGRESS_DATA_RECEIVED);
            prop_assert_eq!(Phase::of(a) == Phase::Ended, a >= PROGRESS_ENDED);
        }
    }
}
