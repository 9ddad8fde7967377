//! Human durations as written in plans and on the command line.
//!
//! Accepts `ms`, `s`, `m` and `h` units, combined (`1m30s`) or fractional (`1.5s`). A bare number
//! is seconds, as in VajraPulse and Taurus.

use std::time::Duration;

pub use crate::limits::MAX_DURATION;

/// A duration string that could not be read, or one beyond [`MAX_DURATION`]; the message says
/// what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("invalid duration {input:?}: expected a number with a unit, like 500ms, 30s, 2m, 1h or 1m30s (a bare number is seconds)")]
    Invalid { input: String },
    #[error("duration {input:?} is longer than the maximum of 365 days (8760h): give a shorter duration")]
    TooLong { input: String },
}

/// Parses `500ms`, `30s`, `2m`, `1h`, `1m30s`, `1.5s` or a bare number of seconds, up to
/// [`MAX_DURATION`]. Never panics: negative, NaN, infinite and huge values are errors, and the
/// parts of `1m30s` are summed in `f64`, where no sum can overflow.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid {
        input: input.to_string(),
    };
    let text = input.trim();
    // `f64` reads "inf" and "NaN"; they are not durations (an overflowing sum still is "too long").
    let lower = text.to_ascii_lowercase();
    if text.is_empty() || lower.contains("inf") || lower.contains("nan") {
        return Err(invalid());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return seconds_to_duration(seconds, input);
    }
    let mut total = 0.0_f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        if number_len == 0 {
            return Err(invalid());
        }
        let value: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    seconds_to_duration(total, input)
}

fn seconds_to_duration(seconds: f64, input: &str) -> Result<Duration, DurationError> {
    if seconds.is_nan() || seconds < 0.0 {
        return Err(DurationError::Invalid {
            input: input.to_string(),
        });
    }
    // Infinity fails this test too; below the maximum, `from_secs_f64` cannot panic.
    if seconds > MAX_DURATION.as_secs_f64() {
        return Err(DurationError::TooLong {
            input: input.to_string(),
        });
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Formats a duration the way [`parse_duration`] reads it back (`1m30s`, `250ms`).
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_string();
    }
    if !millis.is_multiple_of(1000) {
        return format!("{millis}ms");
    }
    let secs = millis / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "s", "10x", "-5", "1m-3s", "abc", "5 s"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn refuses_what_would_panic_or_overflow() {
        for bad in ["-1s", "NaN", "nan", "inf", "-inf", "-0.5"] {
            assert!(
                matches!(parse_duration(bad), Err(DurationError::Invalid { .. })),
                "{bad}"
            );
        }
        let huge = "9".repeat(400);
        for too_long in [
            "1e20",
            "5000000000000000h",
            "8784h",
            "8761h",
            "99999999999999999999999999s",
            &huge,
            &format!("{huge}h{huge}m"),
        ] {
            assert!(
                matches!(parse_duration(too_long), Err(DurationError::TooLong { .. })),
                "{too_long}: {:?}",
                parse_duration(too_long)
            );
        }
        assert_eq!(parse_duration("8760h"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("-0"), Ok(Duration::ZERO));
    }

    proptest::proptest! {
        /// No text panics the parser, and what it accepts is within the maximum.
        #[test]
        fn any_text_is_a_duration_or_an_error(text in "[0-9.eEinfa+-]{0,30}(ms|s|m|h|)([0-9.]{0,20}(ms|s|m|h))?") {
            if let Ok(d) = parse_duration(&text) {
                proptest::prop_assert!(d <= MAX_DURATION);
            }
        }
    }

    #[test]
    fn format_round_trips() {
        for text in ["250ms", "1m30s", "1h", "45s", "2h5m1s"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(format_duration(d), text);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }
}
