//! Load flags: every key of a plan's `load:` section as a command-line flag. Flags given
//! override the plan key by key, so a plan needs no `load:` section at all.

use std::time::Duration;

use clap::Args;
use vajra_plan::duration::parse_duration;
use vajra_plan::LoadSpec;

#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Load (overrides the plan's load section)")]
pub struct LoadFlags {
    /// Load pattern: static, ramp, ramp-sustain, step, sine, spike.
    #[arg(long, value_name = "NAME")]
    pub pattern: Option<String>,
    /// Target rate (static), or peak rate (ramp, ramp-sustain), in iterations per second: each
    /// iteration runs a scenario's requests once, so a scenario of 3 requests at --tps 50 sends
    /// 150 requests/s (docs/plan-format.md, "Rates").
    #[arg(long)]
    pub tps: Option<f64>,
    /// Test duration, e.g. 30s, 5m, 1m30s: the whole test, ramp included (ramp-sustain holds
    /// its peak for duration − ramp-duration; Taurus's hold-for excludes the ramp).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Ramp time for ramp and ramp-sustain (part of --duration); with --concurrency alone, the
    /// time over which users start.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub ramp_duration: Option<Duration>,
    /// Steps for the step pattern: "rate:duration,rate:duration", e.g. "50:10s,100:20s"; rates
    /// in iterations per second.
    #[arg(long, value_name = "STEPS")]
    pub steps: Option<String>,
    /// Mean rate of the sine pattern, iterations per second.
    #[arg(long)]
    pub mean_rate: Option<f64>,
    /// Amplitude of the sine pattern, iterations per second.
    #[arg(long)]
    pub amplitude: Option<f64>,
    /// Period of the sine pattern.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub period: Option<Duration>,
    /// Base rate of the spike pattern, iterations per second.
    #[arg(long)]
    pub base_rate: Option<f64>,
    /// Rate during a spike, iterations per second.
    #[arg(long)]
    pub spike_rate: Option<f64>,
    /// Time from one spike's start to the next.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub spike_interval: Option<Duration>,
    /// Length of each spike.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub spike_duration: Option<Duration>,
    /// Linear warm-up from 0 to the pattern's first rate.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Linear cool-down from the pattern's last rate to 0.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub cooldown: Option<Duration>,
    /// Record results only between warm-up and cool-down.
    #[arg(long)]
    pub steady_state_only: bool,
    /// Keep the run valid when the generator drops more than 1 % of its arrivals (for tests
    /// that overload on purpose); otherwise such a run is invalid (exit 3).
    #[arg(long)]
    pub allow_overload: bool,
    /// Bound on iterations in flight (each has one request in flight at a time); arrivals past
    /// it are counted as dropped.
    #[arg(long, value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// Virtual users. Without a rate: the closed model (users loop as fast as responses
    /// allow). With a rate: a bound on requests in flight, as in Taurus.
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Iterations per virtual user (closed model); without --duration the run ends when every
    /// user has run them.
    #[arg(long, value_name = "N")]
    pub iterations: Option<usize>,
    /// Closed model: start the --concurrency users in N equal steps over --ramp-duration
    /// (Taurus's steps) instead of one by one.
    #[arg(long, value_name = "N")]
    pub ramp_steps: Option<usize>,
}

impl LoadFlags {
    /// The flags as a load section, to overlay on the plan's. The flags other than durations go
    /// through the same deserializer as the plan's `load:` section, so they are checked the same
    /// way; durations are read by the same parser as the plan's, as clap reads the flags.
    pub fn to_spec(&self) -> anyhow::Result<LoadSpec> {
        use serde_json::{Map, Value};
        let mut map = Map::new();
        let mut put = |key: &str, value: Value| {
            map.insert(key.to_string(), value);
        };
        let text = |v: &Option<String>| v.clone().map(Value::String);
        let number = |v: Option<f64>| v.map(Value::from);
        let entries = [
            ("pattern", text(&self.pattern)),
            ("tps", number(self.tps)),
            ("steps", text(&self.steps)),
            ("mean-rate", number(self.mean_rate)),
            ("amplitude", number(self.amplitude)),
            ("base-rate", number(self.base_rate)),
            ("spike-rate", number(self.spike_rate)),
            (
                "steady-state-only",
                self.steady_state_only.then_some(Value::Bool(true)),
            ),
            (
                "allow-overload",
                self.allow_overload.then_some(Value::Bool(true)),
            ),
            (
                "max-in-flight",
                self.max_in_flight.map(|n| Value::Number((n as u64).into())),
            ),
            (
                "concurrency",
                self.concurrency.map(|n| Value::Number((n as u64).into())),
            ),
            (
                "iterations",
                self.iterations.map(|n| Value::Number((n as u64).into())),
            ),
            (
                "ramp-steps",
                self.ramp_steps.map(|n| Value::Number((n as u64).into())),
            ),
        ];
        for (key, value) in entries {
            if let Some(value) = value {
                put(key, value);
            }
        }
        // The path of the failing key is the flag's name, so the error can say which flag.
        let spec: LoadSpec = serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
            let flag = e.path().to_string();
            anyhow::anyhow!(
                "invalid --{flag}: {} (see `vajra run --help`)",
                e.into_inner()
            )
        })?;
        // Durations were read by clap already (its error names the flag).
        Ok(LoadSpec {
            duration: self.duration,
            ramp_duration: self.ramp_duration,
            period: self.period,
            spike_interval: self.spike_interval,
            spike_duration: self.spike_duration,
            warmup: self.warmup,
            cooldown: self.cooldown,
            ..spec
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_steps_flag_reaches_the_spec_and_is_checked_as_the_key() {
        let flags = LoadFlags {
            ramp_steps: Some(3),
            ..LoadFlags::default()
        };
        assert_eq!(flags.to_spec().unwrap().ramp_steps, Some(3));
        let zero = LoadFlags {
            ramp_steps: Some(0),
            ..LoadFlags::default()
        };
        let err = zero.to_spec().unwrap_err().to_string();
        assert!(err.starts_with("invalid --ramp-steps:"), "{err}");
    }
}
