//! Load patterns: the target arrival rate as a pure function of time, with its exact integral.
//!
//! A [`LoadPattern`] is one of VajraPulse's shapes (static, ramp, ramp-sustain, step, sine,
//! spike) with the same parameters and semantics. [`LoadPattern::rate_at`] gives the target rate
//! in requests per second at `t` seconds from the start, and [`LoadPattern::arrivals_until`] the
//! number of arrivals due by `t`: the integral of the rate, in closed form for every shape
//! (including the sine clipped at 0), so the scheduler never accumulates integration error.
//!
//! A [`LoadProfile`] wraps a pattern with an optional linear warm-up before it and cool-down
//! after it. [`crate::schedule`] turns a profile into intended arrival times: the n-th arrival is
//! due when [`LoadProfile::arrivals_until`] reaches n.
//!
//! Times are `f64` seconds here because the scheduler solves for them numerically; plans hold
//! [`Duration`]s, converted once.

use std::f64::consts::{PI, TAU};
use std::time::Duration;

use crate::duration::format_duration;

/// One stage of a [`LoadPattern::Step`]: `tps` held for `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub tps: f64,
    pub duration: Duration,
}

/// A target rate curve over a fixed duration. Rates are iterations (arrivals) per second: one
/// arrival runs one pass of a scenario, so a scenario of three requests sends three times as many
/// requests per second (see docs/plan-format.md, "Rates").
#[derive(Debug, Clone, PartialEq)]
pub enum LoadPattern {
    /// A constant rate.
    Static { tps: f64, duration: Duration },
    /// Linear from 0 to `max_tps`; the pattern ends when the ramp reaches the peak.
    Ramp { max_tps: f64, ramp: Duration },
    /// Linear from 0 to `max_tps` over `ramp`, then held for `sustain`.
    RampSustain {
        max_tps: f64,
        ramp: Duration,
        sustain: Duration,
    },
    /// Discrete rates in order; the duration is the sum of the steps.
    Step { steps: Vec<Step> },
    /// `mean + amplitude·sin(2πt/period)`, clipped at 0.
    Sine {
        mean: f64,
        amplitude: f64,
        period: Duration,
        duration: Duration,
    },
    /// `spike` for the first `spike_duration` of every `interval`, `base` for the rest.
    Spike {
        base: f64,
        spike: f64,
        interval: Duration,
        spike_duration: Duration,
        duration: Duration,
    },
}

/// A pattern parameter out of range. `parameter` is the field name as in [`LoadPattern`]
/// (`steps[2].tps` for a step), so the plan reader can point at the offending line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatternError {
    #[error("{parameter} must be a number greater than 0 (requests per second), got {value}")]
    RateNotPositive { parameter: String, value: f64 },
    #[error("{parameter} must be a number of 0 or more (requests per second), got {value}")]
    RateNegative { parameter: String, value: f64 },
    #[error("{parameter} must be longer than 0, like 500ms, 30s or 2m")]
    DurationZero { parameter: String },
    #[error(
        "spike_duration ({spike_duration}) must be shorter than interval ({interval}), \
         so the base rate runs between spikes"
    )]
    SpikeNotShorterThanInterval {
        spike_duration: String,
        interval: String,
    },
    #[error("a step pattern needs at least one step (a rate and a duration)")]
    NoSteps,
}

fn require_positive_rate(parameter: &str, value: f64) -> Result<(), PatternError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(PatternError::RateNotPositive {
            parameter: parameter.to_string(),
            value,
        })
    }
}

fn require_rate(parameter: &str, value: f64) -> Result<(), PatternError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(PatternError::RateNegative {
            parameter: parameter.to_string(),
            value,
        })
    }
}

fn require_duration(parameter: &str, value: Duration) -> Result<(), PatternError> {
    if value.is_zero() {
        Err(PatternError::DurationZero {
            parameter: parameter.to_string(),
        })
    } else {
        Ok(())
    }
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

impl LoadPattern {
    /// Checks every parameter; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), PatternError> {
        match self {
            Self::Static { tps, duration } => {
                require_positive_rate("tps", *tps)?;
                require_duration("duration", *duration)
            }
            Self::Ramp { max_tps, ramp } => {
                require_positive_rate("max_tps", *max_tps)?;
                require_duration("ramp", *ramp)
            }
            Self::RampSustain {
                max_tps,
                ramp,
                sustain,
            } => {
                require_positive_rate("max_tps", *max_tps)?;
                require_duration("ramp", *ramp)?;
                require_duration("sustain", *sustain)
            }
            Self::Step { steps } => {
                if steps.is_empty() {
                    return Err(PatternError::NoSteps);
                }
                for (i, step) in steps.iter().enumerate() {
                    require_rate(&format!("steps[{i}].tps"), step.tps)?;
                    require_duration(&format!("steps[{i}].duration"), step.duration)?;
                }
                Ok(())
            }
            Self::Sine {
                mean,
                amplitude,
                period,
                duration,
            } => {
                require_rate("mean", *mean)?;
                require_rate("amplitude", *amplitude)?;
                require_duration("period", *period)?;
                require_duration("duration", *duration)
            }
            Self::Spike {
                base,
                spike,
                interval,
                spike_duration,
                duration,
            } => {
                require_rate("base", *base)?;
                require_rate("spike", *spike)?;
                require_duration("interval", *interval)?;
                require_duration("spike_duration", *spike_duration)?;
                require_duration("duration", *duration)?;
                if spike_duration >= interval {
                    return Err(PatternError::SpikeNotShorterThanInterval {
                        spike_duration: format_duration(*spike_duration),
                        interval: format_duration(*interval),
                    });
                }
                Ok(())
            }
        }
    }

    /// The name used in plans and on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Static { .. } => "static",
            Self::Ramp { .. } => "ramp",
            Self::RampSustain { .. } => "ramp-sustain",
            Self::Step { .. } => "step",
            Self::Sine { .. } => "sine",
            Self::Spike { .. } => "spike",
        }
    }

    pub fn duration(&self) -> Duration {
        match self {
            Self::Static { duration, .. }
            | Self::Sine { duration, .. }
            | Self::Spike { duration, .. } => *duration,
            Self::Ramp { ramp, .. } => *ramp,
            Self::RampSustain { ramp, sustain, .. } => ramp.saturating_add(*sustain),
            Self::Step { steps } => steps.iter().fold(Duration::ZERO, |sum, step| {
                sum.saturating_add(step.duration)
            }),
        }
    }

    /// Target rate at `t` seconds from the start; 0 outside `[0, duration)`.
    pub fn rate_at(&self, t: f64) -> f64 {
        if t.is_nan() || t < 0.0 || t >= secs(self.duration()) {
            return 0.0;
        }
        match self {
            Self::Static { tps, .. } => *tps,
            Self::Ramp { max_tps, ramp } => max_tps * t / secs(*ramp),
            Self::RampSustain { max_tps, ramp, .. } => max_tps * (t / secs(*ramp)).min(1.0),
            Self::Step { steps } => {
                let mut end = 0.0;
                for step in steps {
                    end += secs(step.duration);
                    if t < end {
                        return step.tps;
                    }
                }
                0.0
            }
            Self::Sine {
                mean,
                amplitude,
                period,
                ..
            } => (mean + amplitude * (TAU * t / secs(*period)).sin()).max(0.0),
            Self::Spike {
                base,
                spike,
                interval,
                spike_duration,
                ..
            } => {
                if t.rem_euclid(secs(*interval)) < secs(*spike_duration) {
                    *spike
                } else {
                    *base
                }
            }
        }
    }

    /// Arrivals due by `t`: the exact integral of [`Self::rate_at`] over `[0, t]`.
    pub fn arrivals_until(&self, t: f64) -> f64 {
        let end = secs(self.duration());
        if t.is_nan() || t <= 0.0 {
            return 0.0;
        }
        let t = t.min(end);
        match self {
            Self::Static { tps, .. } => tps * t,
            Self::Ramp { max_tps, ramp } => max_tps * t * t / (2.0 * secs(*ramp)),
            Self::RampSustain { max_tps, ramp, .. } => {
                let ramp = secs(*ramp);
                if t <= ramp {
                    max_tps * t * t / (2.0 * ramp)
                } else {
                    max_tps * (ramp / 2.0 + (t - ramp))
                }
            }
            Self::Step { steps } => {
                let (mut done, mut start) = (0.0, 0.0);
                for step in steps {
                    let end = start + secs(step.duration);
                    if t < end {
                        return done + step.tps * (t - start);
                    }
                    done += step.tps * (end - start);
                    start = end;
                }
                done
            }
            Self::Sine {
                mean,
                amplitude,
                period,
                ..
            } => clipped_sine_integral(*mean, *amplitude, secs(*period), t),
            Self::Spike {
                base,
                spike,
                interval,
                spike_duration,
                ..
            } => {
                let (interval, spike_duration) = (secs(*interval), secs(*spike_duration));
                let periods = (t / interval).floor();
                let into = (t - periods * interval).clamp(0.0, interval);
                let per_period = spike * spike_duration + base * (interval - spike_duration);
                periods * per_period
                    + spike * into.min(spike_duration)
                    + base * (into - spike_duration).max(0.0)
            }
        }
    }

    /// The rate just before the pattern ends (the left limit at `duration`); the cool-down
    /// starts from it.
    fn final_rate(&self) -> f64 {
        let end = secs(self.duration());
        match self {
            Self::Static { tps, .. } => *tps,
            Self::Ramp { max_tps, .. } | Self::RampSustain { max_tps, .. } => *max_tps,
            Self::Step { steps } => steps.last().map_or(0.0, |step| step.tps),
            Self::Sine {
                mean,
                amplitude,
                period,
                ..
            } => (mean + amplitude * (TAU * end / secs(*period)).sin()).max(0.0),
            Self::Spike {
                base,
                spike,
                interval,
                spike_duration,
                ..
            } => {
                // An end exactly on an interval boundary is approached from the base part.
                let into = end.rem_euclid(secs(*interval));
                if into > 0.0 && into <= secs(*spike_duration) {
                    *spike
                } else {
                    *base
                }
            }
        }
    }

    /// One line for the console, e.g. `ramp 0→500/s over 30s`.
    pub fn describe(&self) -> String {
        let d = format_duration;
        match self {
            Self::Static { tps, duration } => format!("static {tps}/s for {}", d(*duration)),
            Self::Ramp { max_tps, ramp } => format!("ramp 0→{max_tps}/s over {}", d(*ramp)),
            Self::RampSustain {
                max_tps,
                ramp,
                sustain,
            } => format!(
                "ramp 0→{max_tps}/s over {}, then {max_tps}/s for {}",
                d(*ramp),
                d(*sustain)
            ),
            Self::Step { steps } => {
                let stages: Vec<String> = steps
                    .iter()
                    .map(|step| format!("{}/s for {}", step.tps, d(step.duration)))
                    .collect();
                format!("step {}", stages.join(" → "))
            }
            Self::Sine {
                mean,
                amplitude,
                period,
                duration,
            } => {
                let clipped = if amplitude > mean {
                    " (clipped at 0)"
                } else {
                    ""
                };
                format!(
                    "sine {mean}±{amplitude}/s{clipped}, period {}, for {}",
                    d(*period),
                    d(*duration)
                )
            }
            Self::Spike {
                base,
                spike,
                interval,
                spike_duration,
                duration,
            } => format!(
                "spike {base}/s with {spike}/s for {} every {}, for {}",
                d(*spike_duration),
                d(*interval),
                d(*duration)
            ),
        }
    }
}

/// `∫₀ᵗ max(0, mean + amplitude·sin(2πs/period)) ds` in closed form.
fn clipped_sine_integral(mean: f64, amplitude: f64, period: f64, t: f64) -> f64 {
    let omega = TAU / period;
    if amplitude <= mean {
        return mean * t + amplitude * (1.0 - (omega * t).cos()) / omega;
    }
    // In phase u = ωt the rate is 0 where sin u < −mean/amplitude, i.e. on (π+α, 2π−α) of every
    // period with α = asin(mean/amplitude). Integrate whole periods, then the partial one, with
    // the antiderivative h(u) = mean·u − amplitude·cos u (divided by ω at the end).
    let alpha = (mean / amplitude).asin();
    let h = |u: f64| mean * u - amplitude * u.cos();
    let per_period = mean * (PI + 2.0 * alpha) + 2.0 * amplitude * alpha.cos();
    let periods = (t / period).floor();
    let u = (omega * (t - periods * period)).clamp(0.0, TAU);
    let mut partial = h(u.min(PI + alpha)) - h(0.0);
    if u > TAU - alpha {
        partial += h(u) - h(TAU - alpha);
    }
    (periods * per_period + partial) / omega
}

/// A pattern with a linear warm-up before it and a linear cool-down after it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadProfile {
    pub pattern: LoadPattern,
    /// The rate rises linearly from 0 to the pattern's starting rate over this time.
    pub warmup: Duration,
    /// The rate falls linearly from the pattern's final rate to 0 over this time.
    pub cooldown: Duration,
    /// Record results only while [`Self::is_steady`] (VajraPulse's `shouldRecordMetrics`).
    pub steady_state_only: bool,
}

impl LoadProfile {
    /// The pattern alone: no warm-up, no cool-down.
    pub fn new(pattern: LoadPattern) -> Self {
        Self {
            pattern,
            warmup: Duration::ZERO,
            cooldown: Duration::ZERO,
            steady_state_only: false,
        }
    }

    /// Warm-up and cool-down may be zero; the pattern's own parameters are checked.
    pub fn validate(&self) -> Result<(), PatternError> {
        self.pattern.validate()
    }

    /// Warm-up + pattern + cool-down.
    pub fn duration(&self) -> Duration {
        self.warmup
            .saturating_add(self.pattern.duration())
            .saturating_add(self.cooldown)
    }

    /// Warm-up, pattern and cool-down lengths in seconds.
    fn phases(&self) -> (f64, f64, f64) {
        (
            secs(self.warmup),
            secs(self.pattern.duration()),
            secs(self.cooldown),
        )
    }

    /// Target rate at `t` seconds from the start of the warm-up; 0 outside `[0, duration)`.
    pub fn rate_at(&self, t: f64) -> f64 {
        let (warmup, main, cooldown) = self.phases();
        if t.is_nan() || t < 0.0 {
            return 0.0;
        }
        if t < warmup {
            return self.pattern.rate_at(0.0) * t / warmup;
        }
        let t = t - warmup;
        if t < main {
            return self.pattern.rate_at(t);
        }
        let t = t - main;
        if t < cooldown {
            return self.pattern.final_rate() * (1.0 - t / cooldown);
        }
        0.0
    }

    /// Arrivals due by `t`: the exact integral of [`Self::rate_at`] over `[0, t]`.
    pub fn arrivals_until(&self, t: f64) -> f64 {
        let (warmup, main, cooldown) = self.phases();
        if t.is_nan() || t <= 0.0 {
            return 0.0;
        }
        let start_rate = self.pattern.rate_at(0.0);
        if t < warmup {
            return start_rate * t * t / (2.0 * warmup);
        }
        let warmed = start_rate * warmup / 2.0;
        let t = t - warmup;
        if t < main {
            return warmed + self.pattern.arrivals_until(t);
        }
        let ran = warmed + self.pattern.arrivals_until(main);
        // Capped so that every t from the end on gives exactly the total.
        let t = (t - main).min(cooldown);
        if t > 0.0 {
            ran + self.pattern.final_rate() * (t - t * t / (2.0 * cooldown))
        } else {
            ran
        }
    }

    /// The mean target rate over `[t0, t1]` seconds: the arrivals due in it over its length,
    /// so a rate that changes inside the window (a step, a ramp) is averaged, not sampled at its
    /// end. An empty window gives the rate at `t0`.
    pub fn mean_rate_between(&self, t0: f64, t1: f64) -> f64 {
        if t1 > t0 {
            (self.arrivals_until(t1) - self.arrivals_until(t0)) / (t1 - t0)
        } else {
            self.rate_at(t0)
        }
    }

    /// Arrivals due over the whole profile (not rounded).
    pub fn total_arrivals(&self) -> f64 {
        self.arrivals_until(f64::INFINITY)
    }

    /// Whether `t` lies in the pattern part, `[warmup, warmup + pattern]`.
    pub fn is_steady(&self, t: f64) -> bool {
        let (warmup, main, _) = self.phases();
        t >= warmup && t <= warmup + main
    }

    /// The average rate over the whole profile: the "target TPS" to show.
    pub fn mean_rate(&self) -> f64 {
        let duration = secs(self.duration());
        if duration > 0.0 {
            self.total_arrivals() / duration
        } else {
            0.0
        }
    }

    /// One line for the console: the pattern, plus warm-up and cool-down when present.
    pub fn describe(&self) -> String {
        let mut text = self.pattern.describe();
        if !self.warmup.is_zero() {
            text.push_str(&format!(", {} warm-up", format_duration(self.warmup)));
        }
        if !self.cooldown.is_zero() {
            text.push_str(&format!(", {} cool-down", format_duration(self.cooldown)));
        }
        text
    }
}

/// Generators of valid patterns and profiles, shared with the schedule tests.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use proptest::prelude::*;

    /// Whole seconds half of the time, so that plateaus sit exactly on whole arrivals.
    fn duration_strategy(max_millis: u64) -> impl Strategy<Value = Duration> {
        prop_oneof![
            (1..=max_millis.div_ceil(1000)).prop_map(Duration::from_secs),
            (1..=max_millis).prop_map(Duration::from_millis),
        ]
    }

    /// Valid patterns with rates up to `max_rate`, phases up to `max_millis`, and few enough
    /// discontinuities or periods for a fine trapezoid to be accurate.
    fn pattern_strategy(max_rate: f64, max_millis: u64) -> impl Strategy<Value = LoadPattern> {
        // Some rates exactly 0 or whole, the rest fractional.
        let rate = prop_oneof![
            1 => Just(0.0),
            1 => (0..max_rate as u32).prop_map(f64::from),
            3 => 0.0..max_rate,
        ];
        let positive = 0.01..max_rate;
        prop_oneof![
            (positive.clone(), duration_strategy(max_millis))
                .prop_map(|(tps, duration)| LoadPattern::Static { tps, duration }),
            (positive.clone(), duration_strategy(max_millis))
                .prop_map(|(max_tps, ramp)| LoadPattern::Ramp { max_tps, ramp }),
            (
                positive,
                duration_strategy(max_millis),
                duration_strategy(max_millis)
            )
                .prop_map(|(max_tps, ramp, sustain)| LoadPattern::RampSustain {
                    max_tps,
                    ramp,
                    sustain
                }),
            prop::collection::vec(
                (rate.clone(), duration_strategy(max_millis / 4 + 1))
                    .prop_map(|(tps, duration)| Step { tps, duration }),
                1..6
            )
            .prop_map(|steps| LoadPattern::Step { steps }),
            (
                rate.clone(),
                rate.clone(),
                1u32..20,
                duration_strategy(max_millis)
            )
                .prop_map(|(mean, amplitude, periods, duration)| {
                    LoadPattern::Sine {
                        mean,
                        amplitude,
                        period: duration / periods,
                        duration,
                    }
                }),
            (
                rate.clone(),
                rate,
                1u32..20,
                0.01..0.99,
                duration_strategy(max_millis)
            )
                .prop_map(|(base, spike, intervals, fraction, duration)| {
                    let interval = (duration / intervals).max(Duration::from_millis(2));
                    LoadPattern::Spike {
                        base,
                        spike,
                        interval,
                        spike_duration: interval.mul_f64(fraction).max(Duration::from_micros(1)),
                        duration,
                    }
                }),
        ]
        .prop_filter("valid", |pattern| pattern.validate().is_ok())
    }

    pub(crate) fn profile_strategy(
        max_rate: f64,
        max_millis: u64,
    ) -> impl Strategy<Value = LoadProfile> {
        let phase = prop_oneof![Just(Duration::ZERO), duration_strategy(max_millis)];
        (pattern_strategy(max_rate, max_millis), phase.clone(), phase).prop_map(
            |(pattern, warmup, cooldown)| LoadProfile {
                pattern,
                warmup,
                cooldown,
                steady_state_only: false,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::profile_strategy;
    use super::*;
    use proptest::prelude::*;

    fn s(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds)
    }

    fn assert_close(actual: f64, expected: f64) {
        let tolerance = 1e-9 * expected.abs().max(1.0);
        assert!(
            (actual - expected).abs() <= tolerance,
            "expected {expected}, got {actual}"
        );
    }

    #[test]
    fn static_rate_and_integral() {
        let p = LoadPattern::Static {
            tps: 100.0,
            duration: s(60.0),
        };
        assert_eq!(p.rate_at(-1.0), 0.0);
        assert_eq!(p.rate_at(0.0), 100.0);
        assert_eq!(p.rate_at(59.9), 100.0);
        assert_eq!(p.rate_at(60.0), 0.0);
        assert_eq!(p.rate_at(f64::NAN), 0.0);
        assert_close(p.arrivals_until(30.0), 3000.0);
        assert_close(p.arrivals_until(60.0), 6000.0);
        assert_close(p.arrivals_until(1e9), 6000.0);
        assert_eq!(p.arrivals_until(-5.0), 0.0);
        assert_eq!(p.duration(), s(60.0));
    }

    #[test]
    fn ramp_ends_at_the_peak() {
        let p = LoadPattern::Ramp {
            max_tps: 500.0,
            ramp: s(30.0),
        };
        assert_close(p.rate_at(15.0), 250.0);
        assert_eq!(p.rate_at(30.0), 0.0);
        // 500·15²/(2·30)
        assert_close(p.arrivals_until(15.0), 1875.0);
        assert_close(p.arrivals_until(30.0), 7500.0);
        assert_close(p.arrivals_until(40.0), 7500.0);
        assert_eq!(p.final_rate(), 500.0);
    }

    #[test]
    fn ramp_sustain_holds_the_peak() {
        let p = LoadPattern::RampSustain {
            max_tps: 100.0,
            ramp: s(10.0),
            sustain: s(20.0),
        };
        assert_eq!(p.duration(), s(30.0));
        assert_close(p.rate_at(5.0), 50.0);
        assert_close(p.rate_at(25.0), 100.0);
        assert_close(p.arrivals_until(10.0), 500.0);
        assert_close(p.arrivals_until(20.0), 1500.0);
        assert_close(p.arrivals_until(30.0), 2500.0);
    }

    #[test]
    fn steps_run_in_order_including_a_zero_step() {
        let p = LoadPattern::Step {
            steps: vec![
                Step {
                    tps: 10.0,
                    duration: s(5.0),
                },
                Step {
                    tps: 0.0,
                    duration: s(5.0),
                },
                Step {
                    tps: 20.0,
                    duration: s(5.0),
                },
            ],
        };
        assert_eq!(p.duration(), s(15.0));
        assert_eq!(p.rate_at(2.0), 10.0);
        assert_eq!(p.rate_at(5.0), 0.0);
        assert_eq!(p.rate_at(7.0), 0.0);
        assert_eq!(p.rate_at(12.0), 20.0);
        assert_eq!(p.rate_at(15.0), 0.0);
        assert_close(p.arrivals_until(5.0), 50.0);
        assert_close(p.arrivals_until(8.0), 50.0);
        assert_close(p.arrivals_until(12.0), 90.0);
        assert_close(p.arrivals_until(15.0), 150.0);
        assert_eq!(p.final_rate(), 20.0);
    }

    #[test]
    fn unclipped_sine() {
        let p = LoadPattern::Sine {
            mean: 100.0,
            amplitude: 50.0,
            period: s(20.0),
            duration: s(60.0),
        };
        assert_close(p.rate_at(0.0), 100.0);
        assert_close(p.rate_at(5.0), 150.0);
        assert_close(p.rate_at(15.0), 50.0);
        // 100·5 + 50·(1 − cos(π/2))·20/(2π)
        assert_close(p.arrivals_until(5.0), 659.1549430918953);
        // 100·10 + 50·2·20/(2π)
        assert_close(p.arrivals_until(10.0), 1318.3098861837907);
        assert_close(p.arrivals_until(20.0), 2000.0);
        assert_close(p.arrivals_until(60.0), 6000.0);
    }

    #[test]
    fn sine_with_zero_mean_is_half_waves() {
        let p = LoadPattern::Sine {
            mean: 0.0,
            amplitude: 100.0,
            period: s(10.0),
            duration: s(20.0),
        };
        assert_close(p.rate_at(2.5), 100.0);
        assert_eq!(p.rate_at(7.5), 0.0);
        // One positive half-wave: 100·10/π
        assert_close(p.arrivals_until(5.0), 318.3098861837907);
        assert_close(p.arrivals_until(7.5), 318.3098861837907);
        assert_close(p.arrivals_until(10.0), 318.3098861837907);
        assert_close(p.arrivals_until(20.0), 636.6197723675814);
    }

    #[test]
    fn clipped_sine_is_zero_between_the_clip_points() {
        // 50 + 100·sin(πt/6) is below 0 for t in (7, 11) of every 12 s.
        let p = LoadPattern::Sine {
            mean: 50.0,
            amplitude: 100.0,
            period: s(12.0),
            duration: s(24.0),
        };
        assert_eq!(p.rate_at(9.0), 0.0);
        assert!(p.rate_at(6.9) > 0.0);
        assert!(p.rate_at(11.1) > 0.0);
        // 50·7 + (600/π)(1 + √3/2)
        assert_close(p.arrivals_until(7.0), 706.384600336812);
        assert_close(p.arrivals_until(9.0), 706.384600336812);
        // one period: 400 + 600√3/π
        assert_close(p.arrivals_until(12.0), 730.7973372530753);
        assert_close(p.arrivals_until(24.0), 2.0 * 730.7973372530753);
        assert_close(p.arrivals_until(19.0), 730.7973372530753 + 706.384600336812);
    }

    #[test]
    fn spike_at_the_start_of_every_interval() {
        let p = LoadPattern::Spike {
            base: 10.0,
            spike: 100.0,
            interval: s(10.0),
            spike_duration: s(2.0),
            duration: s(25.0),
        };
        assert_eq!(p.rate_at(1.0), 100.0);
        assert_eq!(p.rate_at(5.0), 10.0);
        assert_eq!(p.rate_at(11.0), 100.0);
        assert_eq!(p.rate_at(12.0), 10.0);
        assert_close(p.arrivals_until(2.0), 200.0);
        assert_close(p.arrivals_until(10.0), 280.0);
        assert_close(p.arrivals_until(21.0), 660.0);
        assert_close(p.arrivals_until(25.0), 790.0);
        assert_eq!(p.final_rate(), 10.0);
    }

    #[test]
    fn final_rate_is_the_limit_before_the_end() {
        let spike = |duration: f64| LoadPattern::Spike {
            base: 10.0,
            spike: 100.0,
            interval: s(10.0),
            spike_duration: s(2.0),
            duration: s(duration),
        };
        assert_eq!(spike(21.0).final_rate(), 100.0);
        assert_eq!(spike(22.0).final_rate(), 100.0);
        assert_eq!(spike(20.0).final_rate(), 10.0);
        let sine = LoadPattern::Sine {
            mean: 0.0,
            amplitude: 100.0,
            period: s(40.0),
            duration: s(10.0),
        };
        assert_close(sine.final_rate(), 100.0);
    }

    #[test]
    fn warmup_and_cooldown_wrap_the_pattern() {
        let profile = LoadProfile {
            pattern: LoadPattern::Static {
                tps: 100.0,
                duration: s(60.0),
            },
            warmup: s(10.0),
            cooldown: s(20.0),
            steady_state_only: true,
        };
        assert!(profile.validate().is_ok());
        assert_eq!(profile.duration(), s(90.0));
        assert_close(profile.rate_at(5.0), 50.0);
        assert_close(profile.rate_at(10.0), 100.0);
        assert_close(profile.rate_at(75.0), 75.0);
        assert_eq!(profile.rate_at(90.0), 0.0);
        assert_close(profile.arrivals_until(5.0), 125.0);
        assert_close(profile.arrivals_until(10.0), 500.0);
        assert_close(profile.arrivals_until(70.0), 6500.0);
        // + 100·(10 − 10²/40)
        assert_close(profile.arrivals_until(80.0), 7250.0);
        assert_close(profile.total_arrivals(), 7500.0);
        assert_close(profile.mean_rate(), 7500.0 / 90.0);
        assert!(!profile.is_steady(5.0));
        assert!(profile.is_steady(10.0));
        assert!(profile.is_steady(70.0));
        assert!(!profile.is_steady(70.1));
    }

    #[test]
    fn cooldown_starts_from_the_final_rate() {
        let mut profile = LoadProfile::new(LoadPattern::Sine {
            mean: 0.0,
            amplitude: 100.0,
            period: s(40.0),
            duration: s(10.0),
        });
        profile.cooldown = s(10.0);
        // quarter wave 100·40/(2π), then a triangle 100·10/2
        assert_close(profile.total_arrivals(), 4000.0 / TAU + 500.0);
        assert_close(profile.rate_at(15.0), 50.0);
    }

    #[test]
    fn validation_names_the_parameter() {
        let cases: Vec<(LoadPattern, &str)> = vec![
            (
                LoadPattern::Static {
                    tps: 0.0,
                    duration: s(1.0),
                },
                "tps must be a number greater than 0",
            ),
            (
                LoadPattern::Static {
                    tps: f64::NAN,
                    duration: s(1.0),
                },
                "tps must be a number greater than 0 (requests per second), got NaN",
            ),
            (
                LoadPattern::Ramp {
                    max_tps: 10.0,
                    ramp: Duration::ZERO,
                },
                "ramp must be longer than 0",
            ),
            (
                LoadPattern::RampSustain {
                    max_tps: f64::INFINITY,
                    ramp: s(1.0),
                    sustain: s(1.0),
                },
                "max_tps must be a number greater than 0",
            ),
            (
                LoadPattern::RampSustain {
                    max_tps: 1.0,
                    ramp: s(1.0),
                    sustain: Duration::ZERO,
                },
                "sustain must be longer than 0",
            ),
            (LoadPattern::Step { steps: vec![] }, "at least one step"),
            (
                LoadPattern::Step {
                    steps: vec![
                        Step {
                            tps: 0.0,
                            duration: s(1.0),
                        },
                        Step {
                            tps: -1.0,
                            duration: s(1.0),
                        },
                    ],
                },
                "steps[1].tps must be a number of 0 or more (requests per second), got -1",
            ),
            (
                LoadPattern::Step {
                    steps: vec![Step {
                        tps: 1.0,
                        duration: Duration::ZERO,
                    }],
                },
                "steps[0].duration must be longer than 0",
            ),
            (
                LoadPattern::Sine {
                    mean: 1.0,
                    amplitude: -2.0,
                    period: s(1.0),
                    duration: s(1.0),
                },
                "amplitude must be a number of 0 or more",
            ),
            (
                LoadPattern::Sine {
                    mean: 1.0,
                    amplitude: 2.0,
                    period: Duration::ZERO,
                    duration: s(1.0),
                },
                "period must be longer than 0",
            ),
            (
                LoadPattern::Spike {
                    base: 1.0,
                    spike: 2.0,
                    interval: s(10.0),
                    spike_duration: s(10.0),
                    duration: s(60.0),
                },
                "spike_duration (10s) must be shorter than interval (10s)",
            ),
            (
                LoadPattern::Spike {
                    base: -0.5,
                    spike: 2.0,
                    interval: s(10.0),
                    spike_duration: s(1.0),
                    duration: s(60.0),
                },
                "base must be a number of 0 or more",
            ),
        ];
        for (pattern, message) in cases {
            let error = pattern.validate().expect_err(message).to_string();
            assert!(error.contains(message), "{error:?} lacks {message:?}");
            let profile = LoadProfile::new(pattern);
            assert!(profile.validate().is_err());
        }
    }

    #[test]
    fn zero_rates_are_valid_where_allowed() {
        let zero_sine = LoadPattern::Sine {
            mean: 0.0,
            amplitude: 0.0,
            period: s(1.0),
            duration: s(1.0),
        };
        assert_eq!(zero_sine.validate(), Ok(()));
        assert_eq!(zero_sine.arrivals_until(1.0), 0.0);
    }

    #[test]
    fn names_and_descriptions() {
        let step = LoadPattern::Step {
            steps: vec![
                Step {
                    tps: 100.0,
                    duration: s(30.0),
                },
                Step {
                    tps: 0.5,
                    duration: s(90.0),
                },
            ],
        };
        let cases = [
            (
                LoadPattern::Static {
                    tps: 100.0,
                    duration: s(60.0),
                },
                "static",
                "static 100/s for 1m",
            ),
            (
                LoadPattern::Ramp {
                    max_tps: 500.0,
                    ramp: s(30.0),
                },
                "ramp",
                "ramp 0→500/s over 30s",
            ),
            (
                LoadPattern::RampSustain {
                    max_tps: 500.0,
                    ramp: s(30.0),
                    sustain: s(300.0),
                },
                "ramp-sustain",
                "ramp 0→500/s over 30s, then 500/s for 5m",
            ),
            (step, "step", "step 100/s for 30s → 0.5/s for 1m30s"),
            (
                LoadPattern::Sine {
                    mean: 50.0,
                    amplitude: 80.0,
                    period: s(10.0),
                    duration: s(60.0),
                },
                "sine",
                "sine 50±80/s (clipped at 0), period 10s, for 1m",
            ),
            (
                LoadPattern::Spike {
                    base: 10.0,
                    spike: 200.0,
                    interval: s(60.0),
                    spike_duration: s(5.0),
                    duration: s(600.0),
                },
                "spike",
                "spike 10/s with 200/s for 5s every 1m, for 10m",
            ),
        ];
        for (pattern, name, description) in cases {
            assert_eq!(pattern.name(), name);
            assert_eq!(pattern.describe(), description);
        }
        let mut profile = LoadProfile::new(LoadPattern::Static {
            tps: 1.0,
            duration: s(1.0),
        });
        profile.warmup = s(10.0);
        profile.cooldown = s(5.0);
        assert_eq!(
            profile.describe(),
            "static 1/s for 1s, 10s warm-up, 5s cool-down"
        );
    }

    #[test]
    fn mean_rate_between_averages_a_step_over_the_window() {
        let profile = LoadProfile::new(LoadPattern::Step {
            steps: vec![
                Step {
                    tps: 10.0,
                    duration: s(2.0),
                },
                Step {
                    tps: 100.0,
                    duration: s(2.0),
                },
            ],
        });
        // The window straddles the boundary at 2 s: half at 10/s, half at 100/s. The rate at the
        // window's end (100/s) is what the live line used to show against that window's count.
        assert!((profile.mean_rate_between(1.5, 2.5) - 55.0).abs() < 1e-9);
        assert_eq!(profile.rate_at(2.5), 100.0);
        assert!((profile.mean_rate_between(0.0, 1.0) - 10.0).abs() < 1e-9);
        assert!((profile.mean_rate_between(3.0, 4.0) - 100.0).abs() < 1e-9);
        // Past the end nothing is due; an empty window gives the rate at its start.
        assert_eq!(profile.mean_rate_between(4.0, 5.0), 0.0);
        assert_eq!(profile.mean_rate_between(2.5, 2.5), 100.0);
    }

    proptest! {
        #[test]
        fn integral_is_monotone(
            profile in profile_strategy(1000.0, 60_000),
            a in 0.0..1.1f64,
            b in 0.0..1.1f64,
        ) {
            let end = profile.duration().as_secs_f64();
            let (early, late) = (a.min(b) * end, a.max(b) * end);
            let (lo, hi) = (profile.arrivals_until(early), profile.arrivals_until(late));
            // Rounding in the closed forms may differ by a few ulps at piece boundaries.
            prop_assert!(lo <= hi + 1e-12 * hi.max(1.0), "A({early}) = {lo} > A({late}) = {hi}");
            prop_assert!(lo >= 0.0);
            prop_assert!(profile.rate_at(early) >= 0.0);
        }

        #[test]
        fn integral_matches_fine_trapezoid(profile in profile_strategy(1000.0, 60_000)) {
            let end = profile.duration().as_secs_f64();
            let steps = 200_000;
            let h = end / steps as f64;
            let peak = (0..=steps)
                .map(|i| profile.rate_at(i as f64 * h))
                .fold(0.0, f64::max);
            // Each discontinuity costs at most h·jump/2; a few dozen at most, plus smooth error.
            let tolerance = 1e-4 * peak.max(1e-3) * end;
            let mut sum = 0.0;
            let mut previous = profile.rate_at(0.0);
            for i in 1..=steps {
                let t = i as f64 * h;
                let checkpoint = i % 1000 == 0;
                // Left limit at the end, so the last interval sees the final rate, not 0.
                let rate = profile.rate_at(if i == steps { t - h * 1e-6 } else { t });
                sum += (previous + rate) * h / 2.0;
                previous = rate;
                if checkpoint {
                    let exact = profile.arrivals_until(t);
                    prop_assert!(
                        (sum - exact).abs() <= tolerance,
                        "at t={t}: trapezoid {sum}, closed form {exact}"
                    );
                }
            }
        }

    }
}
