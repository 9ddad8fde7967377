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

/// `users` virtual users started over `ramp_up` (one by one, or in `ramp_steps` equal steps),
/// running until `duration` has passed since the start (or each has done `iterations`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClosedModel {
    pub users: u32,
    pub duration: Duration,
    pub ramp_up: Duration,
    pub iterations: Option<u64>,
    /// `None`: user `i` of `n` starts at `ramp_up · i / n`; `Some(steps)`: see
    /// [`ClosedModel::start_delay`].
    pub ramp_steps: Option<u32>,
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
                    if let Some(steps) = c.ramp_steps {
                        text.push_str(&format!(" in {steps} steps"));
                    }
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

    /// When user `user` (0-based) starts, from the run's start. Evenly: `ramp_up · user /
    /// users`. In N steps: step `k` (0-based) starts at `k · ramp_up / N`, and the users are
    /// shared out so that step sizes differ by at most one, the earlier steps taking the extra.
    pub fn start_delay(&self, user: u32) -> Duration {
        match self.ramp_steps {
            None => self.share_of_ramp(user, self.users),
            Some(steps) => {
                let steps = steps.max(1);
                self.share_of_ramp(step_of_user(user, self.users, steps), steps)
            }
        }
    }

    /// How many users have started `elapsed` after the run's start (the first at once).
    /// Counted from the same start times as [`ClosedModel::start_delay`], so the two agree.
    pub fn users_started(&self, elapsed: Duration) -> u32 {
        match self.ramp_steps {
            None => count_started(self.users, |u| self.share_of_ramp(u, self.users) <= elapsed),
            Some(steps) => {
                let steps = steps.max(1);
                let begun = count_started(steps, |k| self.share_of_ramp(k, steps) <= elapsed);
                let (base, extra) = (self.users / steps, self.users % steps);
                begun * base + begun.min(extra)
            }
        }
    }

    /// `ramp_up · part / whole` (zero when `whole` is).
    fn share_of_ramp(&self, part: u32, whole: u32) -> Duration {
        if whole == 0 {
            return Duration::ZERO;
        }
        self.ramp_up.mul_f64(f64::from(part) / f64::from(whole))
    }

    /// Iterations all users run in all, when `iterations` bounds the run.
    pub fn planned_iterations(&self) -> Option<u64> {
        self.iterations
            .map(|n| n.saturating_mul(u64::from(self.users)))
    }
}

/// How many of `users` start in step `step` of `steps`: `users / steps`, one more for the first
/// `users % steps` steps.
pub fn step_size(step: u32, users: u32, steps: u32) -> u32 {
    users / steps + u32::from(step < users % steps)
}

/// How many of `0..n` pass `started`, which holds for a prefix of them.
fn count_started(n: u32, started: impl Fn(u32) -> bool) -> u32 {
    let (mut low, mut high) = (0, n);
    while low < high {
        let middle = low + (high - low) / 2;
        if started(middle) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

/// The step (0-based) user `user` starts in, users filling the steps in order.
fn step_of_user(user: u32, users: u32, steps: u32) -> u32 {
    let (base, extra) = (users / steps, users % steps);
    let in_big_steps = extra * (base + 1);
    if user < in_big_steps {
        user / (base + 1)
    } else {
        // base > 0 here: when base is 0 every user is in one of the first `extra` steps.
        extra + (user - in_big_steps) / base
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
            ramp_steps: None,
        })
    }

    fn stepped(users: u32, ramp_ms: u64, steps: u32) -> ClosedModel {
        ClosedModel {
            users,
            duration: Duration::from_secs(60),
            ramp_up: Duration::from_millis(ramp_ms),
            iterations: None,
            ramp_steps: Some(steps),
        }
    }

    #[test]
    fn ten_users_in_four_steps() {
        let model = stepped(10, 8_000, 4);
        let starts: Vec<u64> = (0..10)
            .map(|u| model.start_delay(u).as_millis() as u64)
            .collect();
        assert_eq!(starts, [0, 0, 0, 2000, 2000, 2000, 4000, 4000, 6000, 6000]);
        let s = Duration::from_millis;
        assert_eq!(model.users_started(s(0)), 3);
        assert_eq!(model.users_started(s(1999)), 3);
        assert_eq!(model.users_started(s(2000)), 6);
        assert_eq!(model.users_started(s(7000)), 10);
        assert_eq!(model.users_started(s(99_000)), 10);
        assert_eq!(
            LoadModel::Closed(model).describe(),
            "closed model, 10 users started over 8s in 4 steps for 1m"
        );
    }

    #[test]
    fn without_steps_users_start_one_by_one() {
        let LoadModel::Closed(model) = closed(Duration::from_secs(60), None) else {
            unreachable!()
        };
        assert_eq!(model.start_delay(0), Duration::ZERO);
        assert_eq!(model.start_delay(4), Duration::from_secs(2));
        assert_eq!(model.users_started(Duration::from_millis(1600)), 4);
    }

    proptest::proptest! {
        #[test]
        fn steps_start_on_time_and_share_users_evenly(
            users in 1u32..500, steps in 1u32..50, ramp_ms in 1u64..100_000,
        ) {
            let model = stepped(users, ramp_ms, steps);
            let mut per_step = vec![0u32; steps as usize];
            let mut last = Duration::ZERO;
            for user in 0..users {
                let delay = model.start_delay(user);
                proptest::prop_assert!(delay >= last, "users start in order");
                last = delay;
                let step = (0..steps)
                    .find(|k| model.ramp_up.mul_f64(f64::from(*k) / f64::from(steps)) == delay);
                let Some(step) = step else {
                    return Err(proptest::test_runner::TestCaseError::fail(format!(
                        "user {user} starts at {delay:?}, no step's start"
                    )));
                };
                per_step[step as usize] += 1;
            }
            proptest::prop_assert_eq!(per_step.iter().sum::<u32>(), users);
            let (min, max) = (per_step.iter().min().unwrap(), per_step.iter().max().unwrap());
            proptest::prop_assert!(max - min <= 1, "{per_step:?}");
            for (k, count) in per_step.iter().enumerate() {
                proptest::prop_assert_eq!(*count, step_size(k as u32, users, steps));
            }
            // Progress agrees with the start times, on a step's start too.
            for at in [model.ramp_up.mul_f64(0.6), model.start_delay(users / 2), model.ramp_up] {
                let started = (0..users).filter(|u| model.start_delay(*u) <= at).count() as u32;
                proptest::prop_assert_eq!(model.users_started(at), started);
            }
            let even = ClosedModel { ramp_steps: None, ..model.clone() };
            let at = even.start_delay(users / 3);
            let started = (0..users).filter(|u| even.start_delay(*u) <= at).count() as u32;
            proptest::prop_assert_eq!(even.users_started(at), started);
        }
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
