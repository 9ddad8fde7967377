//! The open-model arrival schedule: when each request is *intended* to start.
//!
//! The n-th arrival (n = 1, 2, …) is due at the smallest `t` where the profile's integral
//! [`LoadProfile::arrivals_until`] reaches n, so a whole profile starts
//! `floor(total_arrivals)` requests ([`arrival_count`]) and the started count never drifts more
//! than one request from the integral. A slow response never moves these times: the runner
//! measures latency from them.
//!
//! Workers split the one global sequence round-robin: worker `i` of `N` takes arrivals
//! `i+1, i+1+N, i+1+2N, …` ([`Arrivals`]), so the workers' counts ([`share`]) always sum to the
//! total and each worker follows the shape exactly.
//!
//! Each arrival is solved from the previous one with safeguarded Newton steps on the closed-form
//! integral (one or two evaluations per arrival on smooth or piecewise-constant stretches), and
//! bisection wherever the rate is 0, so gaps in the load cost a few dozen steps, not a hang.

use crate::pattern::LoadProfile;

/// One intended request start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// The global arrival number n, from 1, shared by all workers.
    pub index: u64,
    /// Seconds from the start of the test (warm-up included).
    pub at: f64,
    /// Whether `at` lies in the pattern part rather than in warm-up or cool-down.
    pub steady: bool,
}

/// How far the computed integral may sit from n and still count as reaching it. It absorbs
/// rounding (an integral of 6000 computed as 5999.999999999 still yields 6000 arrivals) and is
/// far below one request.
fn slack(n: f64) -> f64 {
    1e-12 * n.max(1.0)
}

/// The width at which a bracket around an arrival time counts as closed.
fn time_resolution(t: f64) -> f64 {
    1e-12 * t.max(1.0)
}

/// Bound on solver steps per arrival; bisection alone closes any realistic bracket well within.
const MAX_STEPS: u32 = 200;

/// Arrivals over the whole profile, all workers together: `floor(total_arrivals)`.
pub fn arrival_count(profile: &LoadProfile) -> u64 {
    let total = profile.total_arrivals();
    // `as` saturates and maps NaN to 0, so an invalid profile yields nothing rather than panicking.
    (total + slack(total)).floor() as u64
}

/// How every message names a worker: by its `--worker-index` (from 0) and the worker count,
/// `worker index 4 of 5`, so a message never reads as 1-based in one place and 0-based in another.
pub fn worker_name(index: impl std::fmt::Display, count: impl std::fmt::Display) -> String {
    format!("worker index {index} of {count}")
}

/// The integer share of `total` for worker `index` of `count`: round-robin, so shares differ by
/// at most one, the first workers take the remainder, and they sum to `total`. 0 for an index
/// that is not below `count`.
pub fn share(total: u64, index: u64, count: u64) -> u64 {
    if index >= count {
        return 0;
    }
    total / count + u64::from(index < total % count)
}

/// The intended arrival times of one worker, in order. Expects a validated profile.
#[derive(Debug, Clone)]
pub struct Arrivals {
    profile: LoadProfile,
    end: f64,
    /// Global arrival count; this worker stops after the last index not above it.
    count: u64,
    /// Global index of this worker's next arrival.
    next_index: u64,
    stride: u64,
    /// Time and integral of the previous arrival: the next one is solved from there.
    last_at: f64,
    last_integral: f64,
}

impl Arrivals {
    /// The arrivals of worker `worker_index` (from 0) of `worker_count`. A worker index not below
    /// the count gets no arrivals.
    pub fn new(profile: LoadProfile, worker_index: u32, worker_count: u32) -> Self {
        debug_assert!(profile.validate().is_ok(), "schedule of an invalid profile");
        let count = if worker_index < worker_count {
            arrival_count(&profile)
        } else {
            0
        };
        Self {
            end: profile.duration().as_secs_f64(),
            profile,
            count,
            next_index: u64::from(worker_index) + 1,
            stride: u64::from(worker_count.max(1)),
            last_at: 0.0,
            last_integral: 0.0,
        }
    }

    /// Skips this worker's arrivals intended at or before `t` seconds without solving for each
    /// one, and returns how many it skipped. A dispatcher that has fallen behind counts them in
    /// one step, so no rate can keep it busy walking arrivals past the end of the run.
    pub fn skip_through(&mut self, t: f64) -> u64 {
        if self.next_index > self.count || t.is_nan() || t <= self.last_at {
            return 0;
        }
        let t = t.min(self.end);
        let integral = self.profile.arrivals_until(t);
        // Arrival n is intended where the integral reaches n: those up to floor(integral) are due.
        let due = ((integral + slack(integral)).floor() as u64).min(self.count);
        if due < self.next_index {
            return 0;
        }
        let skipped = (due - self.next_index) / self.stride + 1;
        self.next_index = self
            .next_index
            .saturating_add(skipped.saturating_mul(self.stride));
        self.last_at = t;
        self.last_integral = integral;
        skipped
    }

    /// The smallest `t` (within rounding) at or after the previous arrival where the integral
    /// reaches `n`, with the integral there.
    fn solve(&self, n: f64) -> (f64, f64) {
        let eps = slack(n);
        // Invariant: the integral at `lo` is below n, at `hi` it reached n.
        let (mut lo, mut hi) = (self.last_at, self.end);
        let (mut t, mut integral) = (self.last_at, self.last_integral);
        for _ in 0..MAX_STEPS {
            let rate = self.profile.rate_at(t);
            let close = (integral - n).abs() <= eps;
            if close && rate > 0.0 {
                return (t, integral);
            }
            // A zero-rate stretch whose level is n (within rounding) has reached n too: the
            // arrival belongs at its start, so keep searching to the left.
            if integral >= n || close {
                hi = t;
            } else {
                lo = t;
            }
            if hi - lo <= time_resolution(hi) {
                break;
            }
            let newton = t + (n - integral) / rate;
            // Also catches the NaN and infinities of a zero rate.
            t = if newton > lo && newton < hi {
                newton
            } else {
                lo + (hi - lo) / 2.0
            };
            integral = self.profile.arrivals_until(t);
        }
        (hi, self.profile.arrivals_until(hi))
    }
}

impl Iterator for Arrivals {
    type Item = Arrival;

    fn next(&mut self) -> Option<Arrival> {
        if self.next_index > self.count {
            return None;
        }
        let index = self.next_index;
        let (at, integral) = self.solve(index as f64);
        self.last_at = at;
        self.last_integral = integral;
        self.next_index = index.saturating_add(self.stride);
        Some(Arrival {
            index,
            at,
            steady: self.profile.is_steady(at),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = if self.next_index > self.count {
            0
        } else {
            (self.count - self.next_index) / self.stride + 1
        };
        let left = usize::try_from(left).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Arrivals {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::strategies::profile_strategy;
    use crate::pattern::{LoadPattern, Step};
    use proptest::prelude::*;
    use std::time::Duration;

    fn s(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds)
    }

    fn times(profile: &LoadProfile) -> Vec<f64> {
        Arrivals::new(profile.clone(), 0, 1).map(|a| a.at).collect()
    }

    fn assert_times(actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert!(
                (a - e).abs() <= 1e-9 * e.max(1.0),
                "{actual:?} vs {expected:?}"
            );
        }
    }

    fn steps(stages: &[(f64, f64)]) -> LoadProfile {
        LoadProfile::new(LoadPattern::Step {
            steps: stages
                .iter()
                .map(|&(tps, seconds)| Step {
                    tps,
                    duration: s(seconds),
                })
                .collect(),
        })
    }

    #[test]
    fn skipping_counts_the_due_arrivals_and_the_rest_follow_in_order() {
        let profile = LoadProfile::new(LoadPattern::Static {
            tps: 1000.0,
            duration: s(2.0),
        });
        let all: Vec<Arrival> = Arrivals::new(profile.clone(), 1, 3).collect();
        let mut arrivals = Arrivals::new(profile, 1, 3);
        let first = arrivals.next().unwrap();
        let skipped = arrivals.skip_through(0.5);
        let due_by_half = all.iter().filter(|a| a.at <= 0.5).count() as u64;
        assert_eq!(1 + skipped, due_by_half);
        let rest: Vec<Arrival> = arrivals.collect();
        assert_eq!(first.index, all[0].index);
        assert_eq!(rest.len() as u64 + 1 + skipped, all.len() as u64);
        assert_eq!(rest[0].index, all[due_by_half as usize].index);
        assert!((rest[0].at - all[due_by_half as usize].at).abs() < 1e-9);
    }

    #[test]
    fn skipping_a_billion_arrivals_is_one_step() {
        let profile = LoadProfile::new(LoadPattern::Static {
            tps: 1e9,
            duration: s(10.0),
        });
        let mut arrivals = Arrivals::new(profile, 0, 1);
        assert_eq!(arrivals.skip_through(5.0), 5_000_000_000);
        assert_eq!(arrivals.len(), 5_000_000_000);
        assert_eq!(arrivals.skip_through(5.0), 0, "nothing more is due by then");
        assert_eq!(
            arrivals.skip_through(99.0),
            5_000_000_000,
            "never past the end"
        );
        assert!(arrivals.next().is_none());
    }

    #[test]
    fn static_arrivals_are_evenly_spaced() {
        let profile = LoadProfile::new(LoadPattern::Static {
            tps: 2.0,
            duration: s(3.0),
        });
        assert_times(&times(&profile), &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    }

    #[test]
    fn fractional_rate_rounds_down_to_whole_requests() {
        let profile = LoadProfile::new(LoadPattern::Static {
            tps: 0.5,
            duration: s(9.0),
        });
        assert_eq!(arrival_count(&profile), 4);
        assert_times(&times(&profile), &[2.0, 4.0, 6.0, 8.0]);
        // 0.29·100 is 28.999999999999996 in floating point: still 29 requests.
        let profile = LoadProfile::new(LoadPattern::Static {
            tps: 0.29,
            duration: s(100.0),
        });
        assert!(profile.total_arrivals() < 29.0);
        assert_eq!(arrival_count(&profile), 29);
        let all = times(&profile);
        assert_eq!(all.len(), 29);
        assert!((all[28] - 100.0).abs() < 1e-9);
    }

    #[test]
    fn ramp_arrivals_follow_the_square_root() {
        // A(t) = t²/10, so the n-th arrival is at √(10n).
        let profile = LoadProfile::new(LoadPattern::Ramp {
            max_tps: 2.0,
            ramp: s(10.0),
        });
        let expected: Vec<f64> = (1..=10).map(|n| (10.0 * f64::from(n)).sqrt()).collect();
        assert_times(&times(&profile), &expected);
    }

    #[test]
    fn an_arrival_on_the_level_of_a_zero_step_comes_at_its_start() {
        // The 2nd arrival is due when the first step ends, not when the pause does.
        let profile = steps(&[(1.0, 2.0), (0.0, 10.0), (1.0, 2.0)]);
        assert_times(&times(&profile), &[1.0, 2.0, 13.0, 14.0]);
        // A level that is not whole rounds up to the next start of load.
        let profile = steps(&[(0.75, 2.0), (0.0, 10.0), (0.5, 2.0)]);
        assert_times(&times(&profile), &[4.0 / 3.0, 13.0]);
        // Also when rounding puts the level just below the whole number (28.999999999999996).
        let profile = steps(&[(0.29, 100.0), (0.0, 10.0), (1.0, 1.0)]);
        let all = times(&profile);
        assert_eq!(all.len(), 30);
        assert!((all[28] - 100.0).abs() < 1e-9, "{:?}", &all[27..]);
        assert!((all[29] - 111.0).abs() < 1e-9, "{:?}", &all[27..]);
    }

    #[test]
    fn trailing_zero_step_does_not_move_the_last_arrival() {
        let profile = steps(&[(0.0, 5.0), (10.0, 1.0), (0.0, 100.0)]);
        let all = times(&profile);
        assert_eq!(all.len(), 10);
        assert!((all[9] - 6.0).abs() < 1e-9, "{all:?}");
    }

    #[test]
    fn profile_without_load_has_no_arrivals() {
        assert!(times(&steps(&[(0.0, 5.0), (0.0, 3.0)])).is_empty());
        let below_one = LoadProfile::new(LoadPattern::Static {
            tps: 0.1,
            duration: s(9.0),
        });
        assert!(times(&below_one).is_empty());
    }

    #[test]
    fn clipped_sine_leaves_the_negative_half_empty() {
        let profile = LoadProfile::new(LoadPattern::Sine {
            mean: 0.0,
            amplitude: 100.0,
            period: s(10.0),
            duration: s(20.0),
        });
        let all = times(&profile);
        // 2·1000/π = 636.6…
        assert_eq!(all.len(), 636);
        let in_first_wave = all.iter().filter(|&&t| t <= 5.0 + 1e-9).count();
        assert_eq!(in_first_wave, 318);
        assert!(all.iter().all(|&t| !(5.0 + 1e-9..10.0).contains(&t)));
    }

    #[test]
    fn whole_periods_of_a_sine_give_the_exact_total() {
        let profile = LoadProfile::new(LoadPattern::Sine {
            mean: 100.0,
            amplitude: 50.0,
            period: s(7.0),
            duration: s(70.0),
        });
        assert_eq!(arrival_count(&profile), 7000);
        assert_eq!(times(&profile).len(), 7000);
    }

    #[test]
    fn warmup_and_cooldown_arrivals_are_not_steady() {
        let mut profile = LoadProfile::new(LoadPattern::Static {
            tps: 10.0,
            duration: s(2.0),
        });
        profile.warmup = s(2.0);
        profile.cooldown = s(2.0);
        let all: Vec<Arrival> = Arrivals::new(profile, 0, 1).collect();
        assert_eq!(all.len(), 40);
        for arrival in &all {
            if arrival.at < 2.0 - 1e-9 || arrival.at > 4.0 + 1e-9 {
                assert!(!arrival.steady, "{arrival:?}");
            } else if arrival.at > 2.0 + 1e-9 && arrival.at < 4.0 - 1e-9 {
                assert!(arrival.steady, "{arrival:?}");
            }
        }
        // The first warm-up arrival: 10·t²/4 = 1.
        assert!((all[0].at - 0.4f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn workers_take_every_nth_arrival() {
        let profile = LoadProfile::new(LoadPattern::Static {
            tps: 10.0,
            duration: s(1.0),
        });
        let worker = Arrivals::new(profile.clone(), 0, 3);
        assert_eq!(worker.len(), 4);
        let arrivals: Vec<Arrival> = worker.collect();
        assert_eq!(
            arrivals.iter().map(|a| a.index).collect::<Vec<_>>(),
            [1, 4, 7, 10]
        );
        assert_times(
            &arrivals.iter().map(|a| a.at).collect::<Vec<_>>(),
            &[0.1, 0.4, 0.7, 1.0],
        );
        assert_eq!(Arrivals::new(profile.clone(), 2, 3).count(), 3);
        assert_eq!(Arrivals::new(profile.clone(), 3, 3).count(), 0);
        assert_eq!(Arrivals::new(profile, 0, 0).count(), 0);
    }

    #[test]
    fn shares_sum_to_the_total() {
        for total in 0..60u64 {
            for count in 1..9u32 {
                let shares: Vec<u64> = (0..count)
                    .map(|i| share(total, u64::from(i), u64::from(count)))
                    .collect();
                assert_eq!(shares.iter().sum::<u64>(), total);
                let (min, max) = (shares.iter().min(), shares.iter().max());
                assert!(max.zip(min).is_some_and(|(max, min)| max - min <= 1));
            }
        }
        assert_eq!(share(10, 0, 3), 4);
        assert_eq!(share(10, 1, 3), 3);
        assert_eq!(share(10, 3, 3), 0);
        assert_eq!(share(10, 0, 0), 0);
    }

    #[test]
    fn many_arrivals_over_gaps_and_edges_count_exactly() {
        let profile = LoadProfile {
            pattern: LoadPattern::Sine {
                mean: 300.0,
                amplitude: 1000.0,
                period: s(13.0),
                duration: s(120.0),
            },
            warmup: s(7.0),
            cooldown: s(11.0),
            steady_state_only: true,
        };
        let count = arrival_count(&profile);
        assert!(count > 40_000);
        let mut last = 0.0;
        let mut seen = 0;
        for arrival in Arrivals::new(profile.clone(), 0, 1) {
            assert!(arrival.at >= last);
            last = arrival.at;
            seen += 1;
        }
        assert_eq!(seen, count);
        assert!(last <= profile.duration().as_secs_f64());
    }

    /// The whole-request count of a total, allowing for rounding just below a whole number.
    fn expected_count(total: f64) -> u64 {
        let next = total.ceil();
        if next - total <= 1e-9 * total.max(1.0) {
            next as u64
        } else {
            total.floor() as u64
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn arrivals_follow_the_integral(profile in profile_strategy(50.0, 30_000)) {
            let end = profile.duration().as_secs_f64();
            let all: Vec<Arrival> = Arrivals::new(profile.clone(), 0, 1).collect();
            prop_assert_eq!(all.len() as u64, expected_count(profile.total_arrivals()));
            let mut last = 0.0;
            for (i, arrival) in all.iter().enumerate() {
                let n = i as f64 + 1.0;
                prop_assert_eq!(arrival.index, i as u64 + 1);
                prop_assert!(arrival.at >= last && arrival.at <= end, "{:?}", arrival);
                last = arrival.at;
                let reached = profile.arrivals_until(arrival.at);
                prop_assert!((reached - n).abs() <= 1e-6 * n, "A({}) = {reached}, n = {n}", arrival.at);
                // The smallest such t: load was flowing just before it (not the end of a pause).
                let before = arrival.at - 1e-9 * arrival.at.max(1.0);
                prop_assert!(profile.rate_at(before) > 0.0, "{:?} after a pause", arrival);
                prop_assert_eq!(arrival.steady, profile.is_steady(arrival.at));
            }
        }

        #[test]
        fn workers_partition_the_global_sequence(profile in profile_strategy(50.0, 30_000)) {
            let global: Vec<Arrival> = Arrivals::new(profile.clone(), 0, 1).collect();
            for workers in 1..=7u32 {
                let mut sum = 0;
                for worker in 0..workers {
                    let mine: Vec<Arrival> = Arrivals::new(profile.clone(), worker, workers).collect();
                    prop_assert_eq!(mine.len() as u64, share(global.len() as u64, u64::from(worker), u64::from(workers)));
                    sum += mine.len();
                    for (k, arrival) in mine.iter().enumerate() {
                        let index = u64::from(worker) + 1 + k as u64 * u64::from(workers);
                        prop_assert_eq!(arrival.index, index);
                        let same = &global[index as usize - 1];
                        prop_assert!(
                            (arrival.at - same.at).abs() <= 1e-6 * same.at.max(1.0),
                            "worker {} of {}: {:?} vs global {:?}", worker, workers, arrival, same
                        );
                    }
                }
                prop_assert_eq!(sum, global.len());
            }
        }
    }
}
