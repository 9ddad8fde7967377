//! The `load:` section: every pattern from YAML, command-line overlay, and build errors.

use std::path::Path;
use std::time::Duration;

use vajra_plan::pattern::{LoadPattern, LoadProfile, Step};
use vajra_plan::{parse_steps, LoadSpec, PatternKind, Plan, PlanError};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The load spec of a minimal plan with `load` as its `load:` section.
fn spec(load: &str) -> LoadSpec {
    let yaml = format!("base-url: http://h\nrequests:\n  - url: /a\nload:\n{load}");
    Plan::from_str(&yaml, Path::new("plan.yaml"))
        .unwrap_or_else(|err| panic!("{err}"))
        .load
}

fn pattern(load: &str) -> LoadPattern {
    spec(load)
        .build()
        .unwrap_or_else(|err| panic!("{err}"))
        .pattern
}

fn build_error(spec: &LoadSpec) -> String {
    match spec.build() {
        Err(err @ PlanError::Load { .. }) => err.to_string(),
        other => panic!("expected a load error, got {other:?}"),
    }
}

#[test]
fn static_pattern_is_the_default() {
    assert_eq!(
        pattern("  tps: 100\n  duration: 30s\n"),
        LoadPattern::Static {
            tps: 100.0,
            duration: secs(30)
        }
    );
    assert_eq!(
        pattern("  pattern: static\n  tps: 2.5\n  duration: 1m30s\n"),
        LoadPattern::Static {
            tps: 2.5,
            duration: secs(90)
        }
    );
}

#[test]
fn ramp_and_ramp_sustain() {
    assert_eq!(
        pattern("  pattern: ramp\n  tps: 50\n  ramp-duration: 10s\n"),
        LoadPattern::Ramp {
            max_tps: 50.0,
            ramp: secs(10)
        }
    );
    // As in VajraPulse's CLI, duration is the total: sustain = duration − ramp-duration.
    assert_eq!(
        pattern("  pattern: ramp-sustain\n  tps: 50\n  ramp-duration: 10s\n  duration: 30s\n"),
        LoadPattern::RampSustain {
            max_tps: 50.0,
            ramp: secs(10),
            sustain: secs(20)
        }
    );
}

#[test]
fn step_from_string_and_from_list() {
    let expected = LoadPattern::Step {
        steps: vec![
            Step {
                tps: 50.0,
                duration: secs(10),
            },
            Step {
                tps: 100.0,
                duration: secs(20),
            },
        ],
    };
    assert_eq!(
        pattern("  pattern: step\n  steps: \"50:10s, 100:20s\"\n"),
        expected
    );
    assert_eq!(
        pattern("  pattern: step\n  steps:\n    - { tps: 50, duration: 10s }\n    - { tps: 100, duration: 20s }\n"),
        expected
    );
}

#[test]
fn sine_and_spike() {
    assert_eq!(
        pattern(
            "  pattern: sine\n  mean-rate: 100\n  amplitude: 50\n  period: 20s\n  duration: 1m\n"
        ),
        LoadPattern::Sine {
            mean: 100.0,
            amplitude: 50.0,
            period: secs(20),
            duration: secs(60)
        }
    );
    assert_eq!(
        pattern("  pattern: spike\n  base-rate: 10\n  spike-rate: 200\n  spike-interval: 30s\n  spike-duration: 5s\n  duration: 2m\n"),
        LoadPattern::Spike {
            base: 10.0,
            spike: 200.0,
            interval: secs(30),
            spike_duration: secs(5),
            duration: secs(120),
        }
    );
}

#[test]
fn warmup_cooldown_and_in_flight_bound() {
    let spec = spec("  tps: 10\n  duration: 1m\n  warmup: 5s\n  cooldown: 2s\n  steady-state-only: true\n  max-in-flight: 64\n");
    assert_eq!(spec.max_in_flight(), Some(64));
    assert_eq!(
        spec.build().unwrap(),
        LoadProfile {
            pattern: LoadPattern::Static {
                tps: 10.0,
                duration: secs(60)
            },
            warmup: secs(5),
            cooldown: secs(2),
            steady_state_only: true,
        }
    );
    let plain = self::spec("  tps: 10\n  duration: 1m\n").build().unwrap();
    assert_eq!(
        (plain.warmup, plain.cooldown, plain.steady_state_only),
        (Duration::ZERO, Duration::ZERO, false)
    );
}

#[test]
fn overlay_overrides_key_by_key() {
    let plan = spec("  tps: 100\n  duration: 30s\n  warmup: 5s\n");
    let flags = LoadSpec {
        tps: Some(20.0),
        ..LoadSpec::default()
    };
    let merged = plan.clone().overlay(&flags);
    assert_eq!(merged.tps, Some(20.0));
    assert_eq!(merged.duration, Some(secs(30)));
    assert_eq!(merged.warmup, Some(secs(5)));
    assert_eq!(plan.clone().overlay(&LoadSpec::default()), plan);
}

#[test]
fn overlay_with_another_pattern_drops_the_plans_pattern_keys() {
    let plan = spec("  pattern: ramp\n  tps: 100\n  ramp-duration: 10s\n  max-in-flight: 8\n");
    let flags = LoadSpec {
        pattern: Some(PatternKind::Step),
        steps: Some(parse_steps("5:1s").unwrap()),
        ..LoadSpec::default()
    };
    let merged = plan.overlay(&flags);
    assert_eq!(merged.tps, None);
    assert_eq!(merged.ramp_duration, None);
    assert_eq!(merged.max_in_flight(), Some(8));
    assert_eq!(
        merged.build().unwrap().pattern,
        LoadPattern::Step {
            steps: vec![Step {
                tps: 5.0,
                duration: secs(1)
            }]
        }
    );
}

#[test]
fn flags_alone_make_a_load() {
    let flags = LoadSpec {
        tps: Some(5.0),
        duration: Some(secs(3)),
        ..LoadSpec::default()
    };
    let merged = LoadSpec::default().overlay(&flags);
    assert_eq!(
        merged.build().unwrap().pattern,
        LoadPattern::Static {
            tps: 5.0,
            duration: secs(3)
        }
    );
}

#[test]
fn no_load_at_all() {
    let message = build_error(&LoadSpec::default());
    assert_eq!(
        message,
        "no load given: add a `load:` section to the plan or pass --tps and --duration"
    );
}

#[test]
fn missing_keys_are_named() {
    let ramp = LoadSpec {
        pattern: Some(PatternKind::Ramp),
        tps: Some(5.0),
        ..LoadSpec::default()
    };
    assert!(build_error(&ramp).starts_with("load.ramp-duration is required for pattern ramp"));
    let stat = LoadSpec {
        tps: Some(5.0),
        ..LoadSpec::default()
    };
    assert!(build_error(&stat).starts_with("load.duration is required for pattern static"));
    let spike = spec("  pattern: spike\n  base-rate: 1\n  spike-rate: 5\n  duration: 1m\n");
    assert!(build_error(&spike).starts_with("load.spike-interval is required for pattern spike"));
    let sine = spec("  pattern: sine\n  mean-rate: 1\n  amplitude: 1\n  duration: 1m\n");
    assert!(build_error(&sine).starts_with("load.period is required for pattern sine"));
    let step = spec("  pattern: step\n");
    assert!(build_error(&step).starts_with("load.steps is required for pattern step"));
}

#[test]
fn keys_of_another_pattern_are_refused() {
    let spec = spec("  tps: 5\n  duration: 10s\n  ramp-duration: 2s\n");
    assert_eq!(
        build_error(&spec),
        "load.ramp-duration does not apply to pattern static, which uses tps, duration"
    );
    let ramp = self::spec("  pattern: ramp\n  tps: 5\n  ramp-duration: 2s\n  duration: 10s\n");
    assert!(build_error(&ramp).starts_with("load.duration does not apply to pattern ramp"));
}

#[test]
fn ramp_sustain_needs_a_longer_duration() {
    let spec = spec("  pattern: ramp-sustain\n  tps: 5\n  ramp-duration: 20s\n  duration: 20s\n");
    assert!(build_error(&spec)
        .contains("load.duration (20s) must be longer than load.ramp-duration (20s)"));
}

#[test]
fn empty_steps_are_refused() {
    let spec = spec("  pattern: step\n  steps: \"\"\n");
    assert!(build_error(&spec).contains("load.steps is empty"));
}

#[test]
fn pattern_names_parse_with_hints() {
    for kind in PatternKind::ALL {
        assert_eq!(kind.name().parse::<PatternKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.name());
    }
    assert_eq!(
        "rampsustain".parse::<PatternKind>().unwrap_err(),
        "unknown load pattern `rampsustain`, did you mean `ramp-sustain`?"
    );
    assert!("adaptive"
        .parse::<PatternKind>()
        .unwrap_err()
        .contains("expected one of static, ramp"));
}

#[test]
fn steps_strings() {
    assert_eq!(
        parse_steps("1:500ms,2.5:1m").unwrap(),
        [
            Step {
                tps: 1.0,
                duration: Duration::from_millis(500)
            },
            Step {
                tps: 2.5,
                duration: secs(60)
            }
        ]
    );
    assert!(parse_steps("5").unwrap_err().contains("step 1 `5`"));
    assert!(parse_steps("5:10s,x:1s").unwrap_err().contains("step 2"));
    assert!(parse_steps("5:soon").unwrap_err().contains("found `soon`"));
}

/// Flags are laid over the plan as a `LoadSpec`; an override out of range is refused by the
/// same limits as the plan, naming the key and the limit, whichever path built it.
#[test]
fn overrides_out_of_range_are_refused_like_the_plan() {
    let plan = spec("  tps: 100\n  duration: 30s\n");
    for (flags, needle) in [
        (
            LoadSpec {
                tps: Some(1e12),
                ..LoadSpec::default()
            },
            "load.tps: 1000000000000/s is above the highest rate one vajra process can schedule, 10000000/s",
        ),
        (
            LoadSpec {
                duration: Some(Duration::from_secs(400 * 24 * 3600)),
                ..LoadSpec::default()
            },
            "load.duration: 9600h is longer than the longest duration a plan may give, 365 days",
        ),
        (
            LoadSpec {
                pattern: Some(PatternKind::Sine),
                mean_rate: Some(10.0),
                amplitude: Some(5.0),
                period: Some(Duration::from_micros(3)),
                ..LoadSpec::default()
            },
            "load.period: a sine period of 3µs is shorter than the minimum of 1s",
        ),
        (
            LoadSpec {
                steps: Some(vec![Step {
                    tps: f64::NAN,
                    duration: secs(1),
                }]),
                pattern: Some(PatternKind::Step),
                ..LoadSpec::default()
            },
            "load.steps[0].tps: expected a rate",
        ),
    ] {
        let merged = plan.clone().overlay(&flags);
        let err = build_error(&merged);
        assert!(err.contains(needle), "{err:?} should contain {needle:?}");
        let model = merged.build_model().unwrap_err().to_string();
        assert_eq!(model, err);
    }
    let closed = LoadSpec {
        concurrency: Some(1_000_000),
        duration: Some(secs(10)),
        ..LoadSpec::default()
    };
    let err = closed.build_model().unwrap_err().to_string();
    assert!(
        err.contains("load.concurrency: 1000000 virtual users is more than the maximum of 100000"),
        "{err}"
    );
    // 2,000,000/s is a rate one process may be asked for; it must still build.
    let fast = plan.overlay(&LoadSpec {
        tps: Some(2_000_000.0),
        ..LoadSpec::default()
    });
    assert!(fast.build().is_ok());
}

/// The flags' path: a `LoadSpec` deserialized from flag values (not YAML) gets the same checks.
#[test]
fn flag_values_deserialize_through_the_same_checks() {
    let err = serde_json::from_value::<LoadSpec>(serde_json::json!({"tps": 1e12}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("10000000/s"), "{err}");
    let err = serde_json::from_value::<LoadSpec>(serde_json::json!({"duration": "1e20"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("365 days"), "{err}");
}

#[test]
fn ramp_steps_start_closed_users_in_steps_and_are_refused_elsewhere() {
    use vajra_plan::load_model::LoadModel;
    let model = spec("  concurrency: 10\n  ramp-duration: 8s\n  ramp-steps: 4\n  duration: 20s\n")
        .build_model()
        .unwrap();
    let LoadModel::Closed(closed) = &model else {
        panic!("{model:?}")
    };
    assert_eq!(closed.ramp_steps, Some(4));
    assert_eq!(closed.start_delay(2), secs(0));
    assert_eq!(closed.start_delay(3), secs(2));
    assert_eq!(closed.start_delay(9), secs(6));
    // A flag overrides the plan's key.
    let flags = LoadSpec {
        ramp_steps: Some(2),
        ..LoadSpec::default()
    };
    let merged = spec("  concurrency: 10\n  ramp-duration: 8s\n  ramp-steps: 4\n  duration: 20s\n")
        .overlay(&flags);
    assert_eq!(merged.ramp_steps, Some(2));
    let open = spec("  pattern: static\n  tps: 5\n  duration: 10s\n  ramp-steps: 3\n")
        .build_model()
        .unwrap_err()
        .to_string();
    assert!(
        open.contains("load.ramp-steps applies only to the closed model")
            && open.contains("pattern: step"),
        "{open}"
    );
    let no_ramp = spec("  concurrency: 4\n  duration: 10s\n  ramp-steps: 2\n")
        .build_model()
        .unwrap_err()
        .to_string();
    assert!(
        no_ramp.contains("ramp-steps needs load.ramp-duration"),
        "{no_ramp}"
    );
    let at_once = spec("  concurrency: 4\n  duration: 10s\n  ramp-duration: 0s\n  ramp-steps: 2\n")
        .build_model()
        .unwrap();
    let LoadModel::Closed(at_once) = at_once else {
        panic!()
    };
    assert_eq!(at_once.start_delay(3), secs(0));
    let zero = Plan::from_str(
        "base-url: http://h\nrequests:\n  - url: /a\nload:\n  concurrency: 4\n  ramp-steps: 0\n",
        Path::new("plan.yaml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        zero.contains("plan.yaml:6:15: load.ramp-steps: expected a positive whole number"),
        "{zero}"
    );
}
