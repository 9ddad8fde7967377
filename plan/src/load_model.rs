//! The two load models a run can use: open (arrivals at a rate, the default) and closed
//! (virtual users looping, as Taurus's `concurrency` and as a maximum-throughput test).

use std::time::Duration;

use crate::duration::format_duration;
use crate::pattern::LoadProfile;

/// How long a closed-model run given only `iterations` may last at most.
pub const CLOSED_MODEL_CAP: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone, Debug, PartialEq)]
pub enum LoadModel {
    /// Arrivals at the profile's rate, whatever the responses do.
    Open(LoadProfile),
    /// Virtual users, each running iterations back to back.
    Closed(ClosedModel),
}

/// `users` virtual users started evenly over `ramp_up`, running until `duration` has passed
/// since the start (or each has done `iterations`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClosedModel {
    pub users: u32,
    pub duration: Duration,
    pub ramp_up: Duration,
    pub iterations: Option<u64>,
}

impl LoadModel {
    pub fn duration(&self) -> Duration {
        match self {
            LoadModel::Open(profile) => profile.duration(),
            LoadModel::Closed(closed) => closed.duration,
        }
    }

    /// One line for the console, complete with how long the run lasts: `static 100/s for 30s`,
    /// `closed model, 10 users for 1m`, `closed model, 10 users, 5 iterations per user`.
    pub fn describe(&self) -> String {
        match self {
            LoadModel::Open(profile) => profile.describe(),
            LoadModel::Closed(c) => {
                let mut text = format!("closed model, {} users", c.users);
                if !c.ramp_up.is_zero() {
                    text.push_str(&format!(" started over {}", format_duration(c.ramp_up)));
                }
                match c.iterations {
                    // The cap is a safety net, not a length the user asked for.
                    Some(n) if c.ends_by_iterations() => {
                        text.push_str(&format!(", {n} iterations per user"))
                    }
                    Some(n) => text.push_str(&format!(
                        ", {n} iterations per user, for at most {}",
                        format_duration(c.duration)
                    )),
                    None => text.push_str(&format!(" for {}", format_duration(c.duration))),
                }
                text
            }
        }
    }
}

impl ClosedModel {
    /// Whether only `iterations` bounds the run (no duration was given; the run stops at
    /// [`CLOSED_MODEL_CAP`] at the latest).
    pub fn ends_by_iterations(&self) -> bool {
        self.iterations.is_some() && self.duration == CLOSED_MODEL_CAP
    }

    /// Iterations all users run in all, when `iterations` bounds the run.
    pub fn planned_iterations(&self) -> Option<u64> {
        self.iterations
            .map(|n| n.saturating_mul(u64::from(self.users)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::LoadPattern;

    fn closed(duration: Duration, iterations: Option<u64>) -> LoadModel {
        LoadModel::Closed(ClosedModel {
            users: 10,
            duration,
            ramp_up: Duration::from_secs(5),
            iterations,
        })
    }

    #[test]
    fn describe_says_how_long_once() {
        let open = LoadModel::Open(LoadProfile::new(LoadPattern::Static {
            tps: 100.0,
            duration: Duration::from_secs(5),
        }));
        assert_eq!(open.describe(), "static 100/s for 5s");
        assert_eq!(
            closed(Duration::from_secs(60), None).describe(),
            "closed model, 10 users started over 5s for 1m"
        );
        // Iterations without a duration: no "for 24h" (the cap is not the user's).
        assert_eq!(
            closed(CLOSED_MODEL_CAP, Some(5)).describe(),
            "closed model, 10 users started over 5s, 5 iterations per user"
        );
        assert_eq!(
            closed(Duration::from_secs(60), Some(5)).describe(),
            "closed model, 10 users started over 5s, 5 iterations per user, for at most 1m"
        );
    }
}
