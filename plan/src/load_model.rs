//! The two load models a run can use: open (arrivals at a rate, the default) and closed
//! (virtual users looping, as Taurus's `concurrency` and as a maximum-throughput test).

use std::time::Duration;

use crate::duration::format_duration;
use crate::pattern::LoadProfile;

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

    /// One line for the console: `static 100/s for 30s`, `closed model, 10 users …`.
    pub fn describe(&self) -> String {
        match self {
            LoadModel::Open(profile) => profile.describe(),
            LoadModel::Closed(c) => {
                let mut text = format!("closed model, {} users", c.users);
                if !c.ramp_up.is_zero() {
                    text.push_str(&format!(" started over {}", format_duration(c.ramp_up)));
                }
                if let Some(n) = c.iterations {
                    text.push_str(&format!(", {n} iterations each"));
                }
                text
            }
        }
    }
}
