//! The ranges a plan's values must fall in, checked when the plan (or a flag) is read, so a
//! plan that no process could run is refused with its file, line and the limit, instead of
//! hanging or panicking mid-run. `docs/plan-format.md` lists them for users.

use std::time::Duration;

use crate::pattern::Step;

/// Most redirect hops a request may follow (JMeter's own limit).
pub const MAX_REDIRECTS: u32 = 20;

/// The longest duration anywhere in a plan or a flag: 365 days. A soak test runs for days;
/// nothing a load generator does needs more, and `Duration` arithmetic stays far from overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// The highest rate (arrivals per second) of any rate key. One process's dispatcher releases
/// arrivals one at a time; ten million a second is beyond what it can ever schedule, so a
/// higher rate is a typo or needs several workers or engines.
pub const MAX_RATE: f64 = 10_000_000.0;

/// The shortest sine period. The arrival solver inverts the integral of the rate curve; a
/// period of less than a second makes the wave finer than the arrivals it shapes.
pub const MIN_SINE_PERIOD: Duration = Duration::from_secs(1);

/// The most virtual users (`concurrency`) and requests in flight (`max-in-flight`): each holds
/// a connection, and one process cannot hold many more sockets than this.
pub const MAX_USERS: usize = 100_000;

/// The most iterations per virtual user in the closed model.
pub const MAX_ITERATIONS: usize = 1_000_000_000;

/// The default cap on a `while` block's iterations, when it gives no `max-iterations`.
pub const DEFAULT_WHILE_ITERATIONS: u64 = 1000;

/// The most `max-iterations` a `while` block may give: a runaway loop is still bounded.
pub const MAX_WHILE_ITERATIONS: u64 = 1_000_000;

/// The most times a counted `loop` block may run.
pub const MAX_LOOP_COUNT: u64 = 1_000_000;

/// The deepest nesting of included scenarios (`include-scenario` inside an included scenario).
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// The largest `body-file`, read whole at load: 64 MiB.
pub const MAX_BODY_BYTES: u64 = 64 << 20;

/// The largest scenario weight; weights are summed, so they must stay far from overflow.
pub const MAX_WEIGHT: u32 = 1_000_000;

/// Refuses a rate above [`MAX_RATE`] (and infinity), saying the limit and what to do.
pub(crate) fn check_rate(rate: f64) -> Result<(), String> {
    if rate <= MAX_RATE {
        return Ok(());
    }
    let shown = if rate >= 1e16 {
        format!("{rate:e}")
    } else {
        rate.to_string()
    };
    Err(format!(
        "{shown}/s is above the highest rate one vajra process can schedule, 10000000/s: \
         lower it, or spread the load over several workers or cloud engines"
    ))
}

/// Refuses a sine period shorter than [`MIN_SINE_PERIOD`].
pub(crate) fn check_sine_period(period: Duration) -> Result<(), String> {
    if period >= MIN_SINE_PERIOD {
        return Ok(());
    }
    Err(format!(
        "a sine period of {period:?} is shorter than the minimum of 1s: give a period of 1s \
         or more (the wave cannot be finer than the arrivals it shapes)"
    ))
}

/// Refuses steps whose durations add up to more than [`MAX_DURATION`].
pub(crate) fn check_steps_total(steps: &[Step]) -> Result<(), String> {
    let total: f64 = steps.iter().map(|s| s.duration.as_secs_f64()).sum();
    if total <= MAX_DURATION.as_secs_f64() {
        return Ok(());
    }
    Err(
        "the steps add up to more than 365 days (8760h), the longest a run may last: \
         shorten them"
            .into(),
    )
}

/// The message for a count (users, iterations) above its maximum.
pub(crate) fn count_too_high(text: &str, max: usize, what: &str) -> String {
    format!("{text} {what} is more than the maximum of {max}: give a smaller number")
}
