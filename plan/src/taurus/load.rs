//! An execution's load keys (`concurrency`, `throughput`, `ramp-up`, `hold-for`, `iterations`,
//! `steps`) to a vajra [`LoadSpec`], and back for the taurus.yml of a cloud package.
//!
//! Taurus's models map as follows: a throughput gives vajra's open model (arrivals at that rate
//! for ramp-up + hold-for, `concurrency` bounding the requests in flight); concurrency alone
//! gives the closed model (that many users looping, started evenly over ramp-up).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::duration::{format_duration, parse_duration};
use crate::load::{LoadSpec, PatternKind};
use crate::pattern::Step;

/// The load keys, in the order Taurus documents them.
pub const LOAD_KEYS: [&str; 6] = [
    "concurrency",
    "throughput",
    "ramp-up",
    "hold-for",
    "iterations",
    "steps",
];

/// The load keys of one execution. Taurus treats 0 as "not given", and so does this type: a
/// zero never reaches a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaurusLoad {
    pub concurrency: Option<u64>,
    /// Requests (iterations) per second.
    pub throughput: Option<f64>,
    pub ramp_up: Option<Duration>,
    pub hold_for: Option<Duration>,
    pub iterations: Option<u64>,
    pub steps: Option<u64>,
}

/// The provisioning `vajra run` is.
pub const LOCAL: &str = "local";

/// The load keys Taurus lets a config give per provisioning.
const PER_PROVISIONING: [&str; 2] = ["concurrency", "throughput"];

/// A load key that is wrong: which key, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadKeyError {
    pub key: &'static str,
    pub message: String,
}

fn key_error(key: &'static str, message: impl Into<String>) -> LoadKeyError {
    LoadKeyError {
        key,
        message: message.into(),
    }
}

impl TaurusLoad {
    /// The load keys of an execution (a mapping as Taurus reads it). Other keys are ignored
    /// here; the config reader checks them.
    /// `concurrency` and `throughput` given per provisioning (`{local: 10, cloud: 1000}`) take
    /// their `local` value, what `vajra run` is; see [`TaurusLoad::from_execution_on`].
    pub fn from_execution(execution: &Map<String, Value>) -> Result<TaurusLoad, LoadKeyError> {
        TaurusLoad::from_execution_on(execution, LOCAL)
    }

    /// The load keys as Taurus reads them under `provisioning` (`local` or `cloud`): a
    /// `concurrency` or `throughput` that is a mapping takes that provisioning's value, none
    /// when it has no such key (as in Taurus, only these two keys may be given this way).
    pub fn from_execution_on(
        execution: &Map<String, Value>,
        provisioning: &str,
    ) -> Result<TaurusLoad, LoadKeyError> {
        let get = |key: &str| {
            let value = execution.get(key)?;
            let value = match value {
                Value::Object(by_provisioning) if PER_PROVISIONING.contains(&key) => {
                    by_provisioning.get(provisioning)?
                }
                other => other,
            };
            Some(value).filter(|v| !is_unset(v))
        };
        let count = |key: &'static str| get(key).map(|v| count(key, v)).transpose();
        let time = |key: &'static str| get(key).map(|v| taurus_time(key, v)).transpose();
        let throughput = get("throughput")
            .map(|v| rate("throughput", v))
            .transpose()?
            .filter(|t| *t > 0.0);
        Ok(TaurusLoad {
            concurrency: count("concurrency")?.filter(|c| *c > 0),
            throughput,
            ramp_up: time("ramp-up")?.filter(|d| !d.is_zero()),
            hold_for: time("hold-for")?.filter(|d| !d.is_zero()),
            iterations: count("iterations")?.filter(|c| *c > 0),
            steps: count("steps")?.filter(|c| *c > 0),
        })
    }

    /// Writes the keys that are set into `execution`, as Taurus reads them back.
    pub fn write_keys(&self, execution: &mut Map<String, Value>) {
        if let Some(c) = self.concurrency {
            execution.insert("concurrency".into(), c.into());
        }
        if let Some(t) = self.throughput {
            let number = if t.fract() == 0.0 && t < u64::MAX as f64 {
                Value::from(t as u64)
            } else {
                Value::from(t)
            };
            execution.insert("throughput".into(), number);
        }
        if let Some(r) = self.ramp_up {
            execution.insert("ramp-up".into(), format_duration(r).into());
        }
        if let Some(h) = self.hold_for {
            execution.insert("hold-for".into(), format_duration(h).into());
        }
        if let Some(i) = self.iterations {
            execution.insert("iterations".into(), i.into());
        }
        if let Some(s) = self.steps {
            execution.insert("steps".into(), s.into());
        }
    }
}

fn is_unset(value: &Value) -> bool {
    matches!(value, Value::Null) || value.as_str() == Some("")
}

/// A Taurus time: a number of seconds, or text like `90`, `1m30s`, `500ms`, `2h`.
pub fn parse_taurus_time(value: &Value) -> Option<Duration> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .and_then(|s| parse_duration(&format!("{s}s")).ok()),
        Value::String(text) => parse_duration(text.trim()).ok(),
        _ => None,
    }
}

fn taurus_time(key: &'static str, value: &Value) -> Result<Duration, LoadKeyError> {
    parse_taurus_time(value).ok_or_else(|| {
        key_error(
            key,
            format!("{value} is not a time like 30s, 1m30s or 500ms"),
        )
    })
}

fn count(key: &'static str, value: &Value) -> Result<u64, LoadKeyError> {
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| key_error(key, format!("{value} is not a whole number ≥ 0")))
}

fn rate(key: &'static str, value: &Value) -> Result<f64, LoadKeyError> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed
        .filter(|r| r.is_finite() && *r >= 0.0)
        .ok_or_else(|| key_error(key, format!("{value} is not a non-negative number")))
}

/// Durations in whole milliseconds, as plans write them (a third of a ramp is rounded).
fn millis(duration: Duration) -> Duration {
    Duration::from_millis(
        u64::try_from((duration.as_nanos() + 500_000) / 1_000_000).unwrap_or(u64::MAX),
    )
}

/// The vajra load for `load`. With `defaults` (a plan generated from a Taurus scenario),
/// Taurus's own defaults apply: one user, one iteration when no time is given. Without (a
/// vajra plan run as it is, `scenario: {script: plan.yaml}`), only what the execution sets is
/// returned; see [`over_plan`].
pub fn load_spec(load: &TaurusLoad, defaults: bool) -> Result<LoadSpec, LoadKeyError> {
    let ramp = load.ramp_up.unwrap_or_default();
    let hold = load.hold_for.unwrap_or_default();
    if let (Some(steps), true) = (load.steps, ramp.is_zero()) {
        return Err(key_error(
            "steps",
            format!("{steps} steps need a ramp-up to divide; add ramp-up or remove steps"),
        ));
    }
    if let Some(tps) = load.throughput {
        return open_load(tps, load, ramp, hold);
    }
    if let Some(n) = load.steps {
        return stepped_closed_load(&closed_load_keys(load, defaults, n));
    }
    let mut spec = LoadSpec::default();
    if load.concurrency.is_some() || defaults {
        spec.concurrency = Some(to_usize(load.concurrency.unwrap_or(1)));
    }
    let total = ramp + hold;
    if !total.is_zero() {
        spec.duration = Some(millis(total));
    }
    if !ramp.is_zero() {
        spec.ramp_duration = Some(millis(ramp));
    }
    match load.iterations {
        Some(n) => spec.iterations = Some(to_usize(n)),
        // Taurus runs one iteration when no time is given.
        None if defaults && total.is_zero() => spec.iterations = Some(1),
        None => {}
    }
    Ok(spec)
}

/// The native `load:` keys of a closed load whose users start in `steps` equal steps over
/// ramp-up (Taurus's `steps` without a throughput): `ramp-steps`.
pub fn closed_load_keys(load: &TaurusLoad, defaults: bool, steps: u64) -> Map<String, Value> {
    let mut keys = Map::new();
    if load.concurrency.is_some() || defaults {
        keys.insert("concurrency".into(), load.concurrency.unwrap_or(1).into());
    }
    let ramp = load.ramp_up.unwrap_or_default();
    let total = ramp + load.hold_for.unwrap_or_default();
    keys.insert("duration".into(), format_duration(millis(total)).into());
    keys.insert("ramp-duration".into(), format_duration(millis(ramp)).into());
    keys.insert("ramp-steps".into(), steps.into());
    if let Some(n) = load.iterations {
        keys.insert("iterations".into(), n.into());
    }
    keys
}

/// The load the native keys describe, read as a plan's `load:` is read, so that the
/// plan's own checks of `ramp-steps` apply.
fn stepped_closed_load(keys: &Map<String, Value>) -> Result<LoadSpec, LoadKeyError> {
    serde_json::from_value(Value::Object(keys.clone())).map_err(|e| {
        key_error(
            "steps",
            format!("users started in steps (load `ramp-steps`) cannot be run: {e}"),
        )
    })
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn open_load(
    tps: f64,
    load: &TaurusLoad,
    ramp: Duration,
    hold: Duration,
) -> Result<LoadSpec, LoadKeyError> {
    if (ramp + hold).is_zero() {
        return Err(key_error(
            "throughput",
            "vajra's open model runs for a time; add hold-for and/or ramp-up",
        ));
    }
    if load.iterations.is_some() {
        return Err(key_error(
            "iterations",
            "with a throughput, vajra runs for ramp-up + hold-for, not a number of iterations; \
             remove iterations",
        ));
    }
    let mut spec = LoadSpec {
        concurrency: load.concurrency.map(to_usize),
        ..LoadSpec::default()
    };
    if let Some(n) = load.steps {
        // Taurus's stepped ramp: step i of n runs at i/n of the throughput for ramp-up/n.
        let step = millis(ramp / u32::try_from(n).unwrap_or(u32::MAX));
        let mut steps: Vec<Step> = (1..=n)
            .map(|i| Step {
                // The top step is the throughput itself, not a product rounded off it.
                tps: if i == n {
                    tps
                } else {
                    tps * i as f64 / n as f64
                },
                duration: step,
            })
            .collect();
        if !hold.is_zero() {
            steps.push(Step {
                tps,
                duration: millis(hold),
            });
        }
        spec.pattern = Some(PatternKind::Step);
        spec.steps = Some(steps);
    } else if !ramp.is_zero() && !hold.is_zero() {
        spec.pattern = Some(PatternKind::RampSustain);
        spec.tps = Some(tps);
        spec.ramp_duration = Some(millis(ramp));
        spec.duration = Some(millis(ramp + hold));
    } else if !ramp.is_zero() {
        spec.pattern = Some(PatternKind::Ramp);
        spec.tps = Some(tps);
        spec.ramp_duration = Some(millis(ramp));
    } else {
        spec.pattern = Some(PatternKind::Static);
        spec.tps = Some(tps);
        spec.duration = Some(millis(hold));
    }
    Ok(spec)
}

/// A vajra plan run as it is (`scenario: {script: plan.yaml}`): the execution's keys laid over
/// the plan's own `load:`, key by key, as `vajra run`'s load flags are. Concurrency without a
/// throughput is the closed model, which takes no rate: then only the plan's duration and
/// iterations stay (where the execution gives none).
pub fn over_plan(plan: &LoadSpec, load: &TaurusLoad) -> Result<LoadSpec, LoadKeyError> {
    let own = load_spec(load, false)?;
    if load.throughput.is_none() && load.concurrency.is_some() {
        return Ok(LoadSpec {
            duration: own.duration.or(plan.duration),
            iterations: own.iterations.or(plan.iterations),
            ..own
        });
    }
    Ok(plan.clone().overlay(&own))
}

/// The Taurus keys that give `spec` back through [`load_spec`]: the inverse, for the taurus.yml
/// of a cloud package. Loads Taurus cannot express (sine, spike, free-form steps, warm-up, ...)
/// are an error naming the `load.` key.
pub fn to_taurus(spec: &LoadSpec) -> Result<TaurusLoad, String> {
    let unsupported = [
        ("warmup", spec.warmup.is_some()),
        ("cooldown", spec.cooldown.is_some()),
        ("steady-state-only", spec.steady_state_only == Some(true)),
        ("max-in-flight", spec.max_in_flight.is_some()),
    ];
    if let Some((key, _)) = unsupported.iter().find(|(_, set)| *set) {
        return Err(format!(
            "load.{key} has no Taurus execution key; remove it (bound requests in flight with \
             concurrency instead)"
        ));
    }
    let concurrency = spec.concurrency.map(|c| c as u64);
    let rated = spec.pattern.is_some() || spec.tps.is_some() || spec.steps.is_some();
    if !rated {
        let Some(users) = concurrency else {
            return Err(
                "the plan has no load; give --tps and --duration (or load: in the plan)".into(),
            );
        };
        let ramp = spec.ramp_duration.filter(|r| !r.is_zero());
        let hold =
            match (spec.duration, ramp) {
                (Some(total), Some(ramp)) => Some(total.checked_sub(ramp).ok_or_else(|| {
                    "load.ramp-duration is longer than load.duration".to_string()
                })?),
                (total, _) => total,
            };
        let iterations = spec.iterations.map(|i| i as u64);
        // One iteration with no time is Taurus's default; writing it keeps the file explicit.
        return Ok(TaurusLoad {
            concurrency: Some(users),
            ramp_up: ramp,
            hold_for: hold.filter(|h| !h.is_zero()),
            iterations,
            ..TaurusLoad::default()
        });
    }
    let pattern = spec.pattern.unwrap_or(PatternKind::Static);
    let need = |value: Option<Duration>, key: &str| {
        value.ok_or_else(|| format!("load.{key} is missing for the {} pattern", pattern.name()))
    };
    let need_tps = || {
        spec.tps
            .ok_or_else(|| "load.tps is missing; give --tps".to_string())
    };
    let open = |throughput, ramp_up, hold_for, steps| TaurusLoad {
        concurrency,
        throughput: Some(throughput),
        ramp_up,
        hold_for,
        iterations: None,
        steps,
    };
    match pattern {
        PatternKind::Static => Ok(open(
            need_tps()?,
            None,
            Some(need(spec.duration, "duration")?),
            None,
        )),
        PatternKind::Ramp => Ok(open(
            need_tps()?,
            Some(need(spec.ramp_duration, "ramp-duration")?),
            None,
            None,
        )),
        PatternKind::RampSustain => {
            let ramp = need(spec.ramp_duration, "ramp-duration")?;
            let total = need(spec.duration, "duration")?;
            let hold = total
                .checked_sub(ramp)
                .filter(|h| !h.is_zero())
                .ok_or_else(|| {
                    "load.ramp-duration is not shorter than load.duration".to_string()
                })?;
            Ok(open(need_tps()?, Some(ramp), Some(hold), None))
        }
        PatternKind::Step => taurus_steps(spec.steps.as_deref().unwrap_or_default())
            .map(|(tps, ramp, hold, n)| open(tps, Some(ramp), hold, Some(n)))
            .ok_or_else(|| {
                "load.steps cannot be carried in Taurus keys: Taurus steps are n equal steps up \
                 to the throughput (i/n of it for ramp-up/n each), then an optional hold at the \
                 throughput"
                    .to_string()
            }),
        other => Err(format!(
            "the {} pattern has no Taurus execution keys; use static, ramp, ramp-sustain or \
             Taurus-shaped steps",
            other.name()
        )),
    }
}

/// `(throughput, ramp-up, hold-for, n)` when `steps` has Taurus's stepped shape.
fn taurus_steps(steps: &[Step]) -> Option<(f64, Duration, Option<Duration>, u64)> {
    let first = steps.first()?;
    let last = steps.last()?;
    let tps = last.tps;
    if tps.is_nan() || tps <= 0.0 {
        return None;
    }
    // The last step is a hold when it repeats the rate of the one before at its own length.
    let (ramp_steps, hold) = match steps {
        [.., before, hold] if before.tps == hold.tps => {
            (&steps[..steps.len() - 1], Some(hold.duration))
        }
        _ => (steps, None),
    };
    let n = ramp_steps.len() as u64;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    let shaped = ramp_steps.iter().enumerate().all(|(i, s)| {
        s.duration == first.duration && close(s.tps, tps * (i + 1) as f64 / n as f64)
    });
    shaped.then(|| (tps, first.duration * n as u32, hold, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(s: u64) -> Option<Duration> {
        Some(Duration::from_secs(s))
    }

    #[test]
    fn throughput_gives_the_open_model_and_concurrency_alone_the_closed_one() {
        let open = load_spec(
            &TaurusLoad {
                throughput: Some(50.0),
                ramp_up: secs(10),
                hold_for: secs(20),
                concurrency: Some(8),
                ..TaurusLoad::default()
            },
            true,
        )
        .unwrap();
        assert_eq!(open.pattern, Some(PatternKind::RampSustain));
        assert_eq!(
            (open.tps, open.ramp_duration, open.duration),
            (Some(50.0), secs(10), secs(30))
        );
        assert_eq!(open.concurrency, Some(8));

        let closed = load_spec(
            &TaurusLoad {
                concurrency: Some(4),
                ramp_up: secs(2),
                hold_for: secs(3),
                ..TaurusLoad::default()
            },
            true,
        )
        .unwrap();
        assert_eq!(
            (closed.concurrency, closed.duration, closed.ramp_duration),
            (Some(4), secs(5), secs(2))
        );
        assert!(closed.build_model().is_ok());
    }

    #[test]
    fn taurus_defaults_are_one_user_one_iteration() {
        let spec = load_spec(&TaurusLoad::default(), true).unwrap();
        assert_eq!((spec.concurrency, spec.iterations), (Some(1), Some(1)));
        assert_eq!(
            load_spec(&TaurusLoad::default(), false).unwrap(),
            LoadSpec::default()
        );
    }

    #[test]
    fn steps_ramp_the_rate_in_equal_steps_then_hold() {
        let spec = load_spec(
            &TaurusLoad {
                throughput: Some(30.0),
                ramp_up: secs(30),
                hold_for: secs(60),
                steps: Some(3),
                ..TaurusLoad::default()
            },
            true,
        )
        .unwrap();
        let steps: Vec<(f64, Duration)> = spec
            .steps
            .unwrap()
            .iter()
            .map(|s| (s.tps, s.duration))
            .collect();
        assert_eq!(
            steps,
            vec![
                (10.0, Duration::from_secs(10)),
                (20.0, Duration::from_secs(10)),
                (30.0, Duration::from_secs(10)),
                (30.0, Duration::from_secs(60))
            ]
        );
    }

    #[test]
    fn steps_without_a_throughput_start_users_in_ramp_steps() {
        let load = TaurusLoad {
            concurrency: Some(100),
            ramp_up: secs(60),
            hold_for: secs(300),
            steps: Some(5),
            ..Default::default()
        };
        let keys = closed_load_keys(&load, true, 5);
        assert_eq!(
            Value::Object(keys),
            serde_json::json!({"concurrency": 100, "duration": "6m", "ramp-duration": "1m", "ramp-steps": 5})
        );
    }

    #[test]
    fn impossible_combinations_name_the_key() {
        let cases = [
            (
                TaurusLoad {
                    steps: Some(3),
                    concurrency: Some(2),
                    ..Default::default()
                },
                "steps",
            ),
            (
                TaurusLoad {
                    throughput: Some(3.0),
                    ..Default::default()
                },
                "throughput",
            ),
            (
                TaurusLoad {
                    throughput: Some(3.0),
                    hold_for: secs(3),
                    iterations: Some(2),
                    ..Default::default()
                },
                "iterations",
            ),
        ];
        for (load, key) in cases {
            assert_eq!(load_spec(&load, true).unwrap_err().key, key, "{load:?}");
        }
    }

    #[test]
    fn execution_keys_are_read_as_taurus_reads_them() {
        let execution: Map<String, Value> = serde_json::from_str(
            r#"{"concurrency": "5", "throughput": 0, "ramp-up": 90, "hold-for": "1m30s", "iterations": null}"#,
        )
        .unwrap();
        assert_eq!(
            TaurusLoad::from_execution(&execution).unwrap(),
            TaurusLoad {
                concurrency: Some(5),
                ramp_up: secs(90),
                hold_for: secs(90),
                ..Default::default()
            }
        );
        let bad: Map<String, Value> = serde_json::from_str(r#"{"hold-for": "soon"}"#).unwrap();
        assert_eq!(
            TaurusLoad::from_execution(&bad).unwrap_err().key,
            "hold-for"
        );
    }

    #[test]
    fn concurrency_and_throughput_may_be_given_per_provisioning() {
        let execution: Map<String, Value> = serde_json::from_str(
            r#"{"concurrency": {"local": 10, "cloud": 1000}, "throughput": {"cloud": 50}}"#,
        )
        .unwrap();
        let local = TaurusLoad::from_execution(&execution).unwrap();
        assert_eq!((local.concurrency, local.throughput), (Some(10), None));
        let cloud = TaurusLoad::from_execution_on(&execution, "cloud").unwrap();
        assert_eq!(
            (cloud.concurrency, cloud.throughput),
            (Some(1000), Some(50.0))
        );
        // Only those two keys: a mapping elsewhere is still an error naming the key.
        let bad: Map<String, Value> =
            serde_json::from_str(r#"{"hold-for": {"local": "1m"}}"#).unwrap();
        assert_eq!(
            TaurusLoad::from_execution(&bad).unwrap_err().key,
            "hold-for"
        );
    }

    #[test]
    fn a_plans_own_load_is_kept_where_the_execution_is_silent() {
        let plan = LoadSpec {
            pattern: Some(PatternKind::Static),
            tps: Some(5.0),
            duration: secs(60),
            ..LoadSpec::default()
        };
        let spec = over_plan(
            &plan,
            &TaurusLoad {
                hold_for: secs(10),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((spec.tps, spec.duration), (Some(5.0), secs(10)));
    }

    fn time() -> impl Strategy<Value = Option<Duration>> {
        prop::option::of((1u64..100_000).prop_map(Duration::from_millis))
    }

    fn taurus_load() -> impl Strategy<Value = TaurusLoad> {
        let closed = (1u64..1000, time(), time(), prop::option::of(1u64..1000)).prop_map(
            |(users, ramp_up, hold_for, iterations)| TaurusLoad {
                concurrency: Some(users),
                ramp_up,
                hold_for,
                iterations,
                ..TaurusLoad::default()
            },
        );
        let open = (
            prop::option::of(1u64..1000),
            1u32..100_000,
            (1u64..100_000).prop_map(Duration::from_millis),
            time(),
            prop::option::of(1u64..20),
            any::<bool>(),
        )
            .prop_map(|(users, tps, ramp, hold_for, steps, ramps)| {
                // Steps divide the ramp into whole milliseconds, so that it reads back the same.
                let ramp =
                    steps.map_or(ramp, |n| Duration::from_millis(ramp.as_millis() as u64 * n));
                TaurusLoad {
                    concurrency: users,
                    throughput: Some(f64::from(tps) / 10.0),
                    ramp_up: (ramps || steps.is_some() || hold_for.is_none()).then_some(ramp),
                    hold_for,
                    iterations: None,
                    steps,
                }
            });
        prop_oneof![closed, open]
    }

    proptest! {
        #[test]
        fn taurus_keys_round_trip_through_the_load_spec(load in taurus_load()) {
            let spec = load_spec(&load, true).unwrap();
            prop_assert!(spec.check_limits().is_ok());
            let back = to_taurus(&spec).unwrap();
            // Taurus's default of one iteration is written out when no time is given.
            let mut expected = load.clone();
            if expected.throughput.is_none() && expected.ramp_up.is_none()
                && expected.hold_for.is_none() && expected.iterations.is_none() {
                expected.iterations = Some(1);
            }
            prop_assert_eq!(&back, &expected);
            prop_assert_eq!(load_spec(&back, true).unwrap(), spec);
        }
    }
}
