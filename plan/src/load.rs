//! The `load:` section: which load pattern, at what rates, for how long.
//!
//! [`LoadSpec`] is flat and every key is optional, because each key can come from the plan or
//! from a command-line flag: [`LoadSpec::overlay`] lays the flags over the plan key by key, and
//! only then does [`LoadSpec::build`] check that the chosen pattern has what it needs and turn
//! it into the pattern module's [`LoadProfile`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::error::{closest, PlanError};
use super::fields::{
    duration, in_flight, iterations, ramp_steps, rate, scalar, sine_period, steps, users,
};
use crate::limits;
use crate::load_model::{ClosedModel, LoadModel};
use crate::pattern::{LoadPattern, LoadProfile, Step};

/// The load pattern names of the plan and of `--pattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    Static,
    Ramp,
    RampSustain,
    Step,
    Sine,
    Spike,
}

impl PatternKind {
    pub const ALL: [PatternKind; 6] = [
        PatternKind::Static,
        PatternKind::Ramp,
        PatternKind::RampSustain,
        PatternKind::Step,
        PatternKind::Sine,
        PatternKind::Spike,
    ];

    /// The name as written in a plan.
    pub fn name(self) -> &'static str {
        match self {
            PatternKind::Static => "static",
            PatternKind::Ramp => "ramp",
            PatternKind::RampSustain => "ramp-sustain",
            PatternKind::Step => "step",
            PatternKind::Sine => "sine",
            PatternKind::Spike => "spike",
        }
    }

    /// The `load:` keys this pattern needs (all of them, and no other pattern keys).
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            PatternKind::Static => &["tps", "duration"],
            PatternKind::Ramp => &["tps", "ramp-duration"],
            PatternKind::RampSustain => &["tps", "ramp-duration", "duration"],
            PatternKind::Step => &["steps"],
            PatternKind::Sine => &["mean-rate", "amplitude", "period", "duration"],
            PatternKind::Spike => &[
                "base-rate",
                "spike-rate",
                "spike-interval",
                "spike-duration",
                "duration",
            ],
        }
    }
}

impl fmt::Display for PatternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PatternKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let names = Self::ALL.map(PatternKind::name);
        if let Some(kind) = Self::ALL.into_iter().find(|k| k.name() == text.trim()) {
            return Ok(kind);
        }
        Err(match closest(text, names) {
            Some(hint) => format!("unknown load pattern `{text}`, did you mean `{hint}`?"),
            None => format!(
                "unknown load pattern `{text}`: expected one of {}",
                names.join(", ")
            ),
        })
    }
}

impl<'de> Deserialize<'de> for PatternKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar(deserializer, "a load pattern name", str::parse)
    }
}

/// The `load:` section, one optional field per key (see `docs/plan-format.md`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "the load section: a mapping like { pattern: static, tps: 10, duration: 30s }"
)]
pub struct LoadSpec {
    pub pattern: Option<PatternKind>,
    #[serde(default, deserialize_with = "rate")]
    pub tps: Option<f64>,
    #[serde(default, deserialize_with = "duration")]
    pub duration: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub ramp_duration: Option<Duration>,
    #[serde(default, deserialize_with = "steps")]
    pub steps: Option<Vec<Step>>,
    #[serde(default, deserialize_with = "rate")]
    pub mean_rate: Option<f64>,
    #[serde(default, deserialize_with = "rate")]
    pub amplitude: Option<f64>,
    #[serde(default, deserialize_with = "sine_period")]
    pub period: Option<Duration>,
    #[serde(default, deserialize_with = "rate")]
    pub base_rate: Option<f64>,
    #[serde(default, deserialize_with = "rate")]
    pub spike_rate: Option<f64>,
    #[serde(default, deserialize_with = "duration")]
    pub spike_interval: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub spike_duration: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub warmup: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub cooldown: Option<Duration>,
    pub steady_state_only: Option<bool>,
    /// The run stays valid when the generator misses more than 1 % of its arrivals (tests
    /// that overload on purpose); see `docs/plan-format.md`.
    pub allow_overload: Option<bool>,
    #[serde(default, deserialize_with = "in_flight")]
    pub max_in_flight: Option<usize>,
    /// Virtual users. Alone (no rate), it selects the closed model; with a rate, it bounds the
    /// requests in flight, as Taurus's concurrency with throughput does.
    #[serde(default, deserialize_with = "users")]
    pub concurrency: Option<usize>,
    /// Iterations per virtual user in the closed model.
    #[serde(default, deserialize_with = "iterations")]
    pub iterations: Option<usize>,
    /// Closed model: users start in this many equal steps over `ramp-duration` (Taurus's
    /// `steps` with concurrency) instead of one by one.
    #[serde(default, deserialize_with = "ramp_steps")]
    pub ramp_steps: Option<usize>,
}

impl LoadSpec {
    /// `overrides` (command-line flags) laid over `self` (the plan), key by key. When the
    /// override names a different pattern, the plan's pattern keys are dropped, since they
    /// belong to the plan's pattern; warm-up, cool-down and the in-flight bound are kept.
    pub fn overlay(self, overrides: &LoadSpec) -> LoadSpec {
        let base = match overrides.pattern {
            Some(kind) if self.pattern != Some(kind) => LoadSpec {
                warmup: self.warmup,
                cooldown: self.cooldown,
                steady_state_only: self.steady_state_only,
                allow_overload: self.allow_overload,
                max_in_flight: self.max_in_flight,
                concurrency: self.concurrency,
                iterations: self.iterations,
                ramp_steps: self.ramp_steps,
                ..LoadSpec::default()
            },
            _ => self,
        };
        let o = overrides.clone();
        LoadSpec {
            pattern: o.pattern.or(base.pattern),
            tps: o.tps.or(base.tps),
            duration: o.duration.or(base.duration),
            ramp_duration: o.ramp_duration.or(base.ramp_duration),
            steps: o.steps.or(base.steps),
            mean_rate: o.mean_rate.or(base.mean_rate),
            amplitude: o.amplitude.or(base.amplitude),
            period: o.period.or(base.period),
            base_rate: o.base_rate.or(base.base_rate),
            spike_rate: o.spike_rate.or(base.spike_rate),
            spike_interval: o.spike_interval.or(base.spike_interval),
            spike_duration: o.spike_duration.or(base.spike_duration),
            warmup: o.warmup.or(base.warmup),
            cooldown: o.cooldown.or(base.cooldown),
            steady_state_only: o.steady_state_only.or(base.steady_state_only),
            allow_overload: o.allow_overload.or(base.allow_overload),
            max_in_flight: o.max_in_flight.or(base.max_in_flight),
            concurrency: o.concurrency.or(base.concurrency),
            iterations: o.iterations.or(base.iterations),
            ramp_steps: o.ramp_steps.or(base.ramp_steps),
        }
    }

    /// Whether a run that misses more than 1 % of its arrivals still counts (`allow-overload`).
    pub fn allows_overload(&self) -> bool {
        self.allow_overload.unwrap_or(false)
    }

    /// The bound on requests in flight: `max-in-flight`, else `concurrency`, if either is given.
    pub fn max_in_flight(&self) -> Option<usize> {
        self.max_in_flight.or(self.concurrency)
    }

    /// Checks every value against [`crate::limits`], as reading the plan does, for a spec built
    /// or changed in code (flags laid over the plan). The error names the key.
    pub fn check_limits(&self) -> Result<(), PlanError> {
        let key_error = |key: &str, message: String| load_error(format!("load.{key}: {message}"));
        let rates = [
            ("tps", self.tps),
            ("mean-rate", self.mean_rate),
            ("amplitude", self.amplitude),
            ("base-rate", self.base_rate),
            ("spike-rate", self.spike_rate),
        ];
        let steps = self.steps.as_deref().unwrap_or_default();
        let step_rates = steps
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("steps[{i}].tps"), s.tps));
        for (key, rate) in rates
            .iter()
            .filter_map(|(k, r)| r.map(|r| (k.to_string(), r)))
            .chain(step_rates)
        {
            if rate.is_nan() || rate < 0.0 {
                return Err(key_error(
                    &key,
                    format!("expected a rate in requests per second (a number ≥ 0), got {rate}"),
                ));
            }
            limits::check_rate(rate).map_err(|m| key_error(&key, m))?;
        }
        let durations = [
            ("duration", self.duration),
            ("ramp-duration", self.ramp_duration),
            ("period", self.period),
            ("spike-interval", self.spike_interval),
            ("spike-duration", self.spike_duration),
            ("warmup", self.warmup),
            ("cooldown", self.cooldown),
        ];
        let step_durations = steps
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("steps[{i}].duration"), s.duration));
        for (key, duration) in durations
            .iter()
            .filter_map(|(k, d)| d.map(|d| (k.to_string(), d)))
            .chain(step_durations)
        {
            if duration > limits::MAX_DURATION {
                return Err(key_error(
                    &key,
                    format!(
                        "{} is longer than the longest duration a plan may give, 365 days \
                         (8760h): give a shorter duration",
                        crate::duration::format_duration(duration)
                    ),
                ));
            }
        }
        limits::check_steps_total(steps).map_err(|m| key_error("steps", m))?;
        if let Some(period) = self.period {
            limits::check_sine_period(period).map_err(|m| key_error("period", m))?;
        }
        let counts = [
            (
                "concurrency",
                self.concurrency,
                limits::MAX_USERS,
                "virtual users",
            ),
            (
                "max-in-flight",
                self.max_in_flight,
                limits::MAX_USERS,
                "requests in flight",
            ),
            (
                "iterations",
                self.iterations,
                limits::MAX_ITERATIONS,
                "iterations per user",
            ),
            (
                "ramp-steps",
                self.ramp_steps,
                limits::MAX_USERS,
                "ramp steps",
            ),
        ];
        for (key, count, max, what) in counts {
            match count {
                Some(0) => return Err(key_error(key, "must be at least 1".into())),
                Some(n) if n > max => {
                    return Err(key_error(
                        key,
                        limits::count_too_high(&n.to_string(), max, what),
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The load model: closed when only `concurrency` (with `duration` and optionally
    /// `ramp-duration` and `iterations`) is given, open otherwise.
    pub fn build_model(&self) -> Result<LoadModel, PlanError> {
        self.check_limits()?;
        let rate_given = self.pattern.is_some()
            || [
                self.tps.is_some(),
                self.steps.is_some(),
                self.mean_rate.is_some(),
                self.base_rate.is_some(),
            ]
            .contains(&true);
        let Some(users) = self.concurrency.filter(|_| !rate_given) else {
            if self.iterations.is_some() {
                return Err(load_error(
                    "load.iterations applies only to the closed model: give `concurrency` without a rate".into(),
                ));
            }
            if self.ramp_steps.is_some() {
                return Err(load_error(
                    "load.ramp-steps applies only to the closed model (`concurrency` without a \
                     rate); for a rate that rises in steps use `pattern: step` with `steps:`"
                        .into(),
                ));
            }
            return self.build().map(LoadModel::Open);
        };
        let duration = match (self.duration, self.iterations) {
            (Some(duration), _) => duration,
            (None, Some(_)) => crate::load_model::CLOSED_MODEL_CAP,
            (None, None) => {
                return Err(load_error(
                    "load.duration (or iterations) is required with concurrency: add `duration:` under `load:` or pass --duration".into(),
                ))
            }
        };
        let ramp_up = self.ramp_duration.unwrap_or(Duration::ZERO);
        if ramp_up > duration {
            return Err(load_error(format!(
                "load.ramp-duration ({}) is longer than load.duration ({})",
                crate::duration::format_duration(ramp_up),
                crate::duration::format_duration(duration)
            )));
        }
        // An explicit `ramp-duration: 0s` (Taurus's steps without a ramp-up) starts every step
        // at once; leaving it out is a mistake worth naming.
        if self.ramp_steps.is_some() && self.ramp_duration.is_none() {
            return Err(load_error(
                "load.ramp-steps needs load.ramp-duration: the time over which the steps start"
                    .into(),
            ));
        }
        Ok(LoadModel::Closed(ClosedModel {
            users: u32::try_from(users).unwrap_or(u32::MAX),
            duration,
            ramp_up,
            iterations: self.iterations.map(|n| n as u64),
            ramp_steps: self
                .ramp_steps
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        }))
    }

    /// Which pattern keys are set, by name.
    fn pattern_keys_set(&self) -> [(&'static str, bool); 11] {
        [
            ("tps", self.tps.is_some()),
            ("duration", self.duration.is_some()),
            ("ramp-duration", self.ramp_duration.is_some()),
            ("steps", self.steps.is_some()),
            ("mean-rate", self.mean_rate.is_some()),
            ("amplitude", self.amplitude.is_some()),
            ("period", self.period.is_some()),
            ("base-rate", self.base_rate.is_some()),
            ("spike-rate", self.spike_rate.is_some()),
            ("spike-interval", self.spike_interval.is_some()),
            ("spike-duration", self.spike_duration.is_some()),
        ]
    }

    /// The load profile this spec describes. Errors name the missing or misplaced key.
    pub fn build(&self) -> Result<LoadProfile, PlanError> {
        self.check_limits()?;
        let keys_set = self.pattern_keys_set();
        let kind =
            match self.pattern {
                Some(kind) => kind,
                None if keys_set.iter().all(|(_, set)| !set) => return Err(load_error(
                    "no load given: add a `load:` section to the plan or pass --tps and --duration"
                        .into(),
                )),
                None => PatternKind::Static,
            };
        let pattern = self.pattern(kind)?;
        if let Some((key, _)) = keys_set
            .iter()
            .find(|(key, set)| *set && !kind.keys().contains(key))
        {
            return Err(load_error(format!(
                "load.{key} does not apply to pattern {kind}, which uses {}",
                kind.keys().join(", ")
            )));
        }
        pattern
            .validate()
            .map_err(|err| load_error(format!("load: {err}")))?;
        Ok(LoadProfile {
            pattern,
            warmup: self.warmup.unwrap_or(Duration::ZERO),
            cooldown: self.cooldown.unwrap_or(Duration::ZERO),
            steady_state_only: self.steady_state_only.unwrap_or(false),
        })
    }

    /// The pattern of `kind`, or an error naming the first key it needs that is missing.
    fn pattern(&self, kind: PatternKind) -> Result<LoadPattern, PlanError> {
        fn need<T>(value: Option<T>, key: &str, kind: PatternKind) -> Result<T, PlanError> {
            value.ok_or_else(|| {
                load_error(format!(
                    "load.{key} is required for pattern {kind}: add `{key}:` under `load:` or pass --{key}"
                ))
            })
        }
        Ok(match kind {
            PatternKind::Static => LoadPattern::Static {
                tps: need(self.tps, "tps", kind)?,
                duration: need(self.duration, "duration", kind)?,
            },
            PatternKind::Ramp => LoadPattern::Ramp {
                max_tps: need(self.tps, "tps", kind)?,
                ramp: need(self.ramp_duration, "ramp-duration", kind)?,
            },
            PatternKind::RampSustain => {
                let max_tps = need(self.tps, "tps", kind)?;
                let ramp = need(self.ramp_duration, "ramp-duration", kind)?;
                let total = need(self.duration, "duration", kind)?;
                let sustain = total
                    .checked_sub(ramp)
                    .filter(|s| !s.is_zero())
                    .ok_or_else(|| {
                        load_error(format!(
                            "load.duration ({}) must be longer than load.ramp-duration ({}) for \
                         pattern ramp-sustain: it is the total, ramp plus sustain",
                            crate::duration::format_duration(total),
                            crate::duration::format_duration(ramp)
                        ))
                    })?;
                LoadPattern::RampSustain {
                    max_tps,
                    ramp,
                    sustain,
                }
            }
            PatternKind::Step => {
                let steps = need(self.steps.clone(), "steps", kind)?;
                if steps.is_empty() {
                    return Err(load_error(
                        "load.steps is empty: give at least one step, like \"50:10s,100:20s\""
                            .into(),
                    ));
                }
                LoadPattern::Step { steps }
            }
            PatternKind::Sine => LoadPattern::Sine {
                mean: need(self.mean_rate, "mean-rate", kind)?,
                amplitude: need(self.amplitude, "amplitude", kind)?,
                period: need(self.period, "period", kind)?,
                duration: need(self.duration, "duration", kind)?,
            },
            PatternKind::Spike => LoadPattern::Spike {
                base: need(self.base_rate, "base-rate", kind)?,
                spike: need(self.spike_rate, "spike-rate", kind)?,
                interval: need(self.spike_interval, "spike-interval", kind)?,
                spike_duration: need(self.spike_duration, "spike-duration", kind)?,
                duration: need(self.duration, "duration", kind)?,
            },
        })
    }
}

fn load_error(message: String) -> PlanError {
    PlanError::Load { message }
}
