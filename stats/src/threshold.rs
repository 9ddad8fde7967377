//! Pass/fail thresholds: `p95(login)>500ms`, `errors>1%`, `avg-tps<900`.
//!
//! One syntax everywhere (plan `thresholds:`, `--fail-on`, cloud results), described for users
//! in `docs/thresholds.md`:
//!
//! ```text
//! metric [ "(" label ")" ] op number [ unit ]
//! ```
//!
//! A threshold is a *failure criterion*, as in Taurus's `passfail`: when its expression is true
//! for the results, it is **met** and the test fails (`avg>500ms` fails a test whose average
//! response time is over 500 ms).
//!
//! - [`Threshold::parse`] (also `FromStr`) reads one expression; a bad one is a
//!   [`ParseError`] with the 1-based column and what was expected there. [`Threshold`]'s
//!   `Display` writes the canonical form, which parses back to the same threshold.
//! - [`evaluate`] checks thresholds against BlazeMeter-style [`AggregateRow`]s, so local runs,
//!   `vajra report` and cloud results share it. Percentiles other than the four an aggregate row
//!   carries (p50, p90, p95, p99) need the exact [`Stats`].
//! - The generator's metrics (`dropped`, `late`, `unsent`) come from the run's arrival
//!   accounting ([`Arrivals`]), which only `vajra run` has: [`evaluate_run`] takes it, and
//!   without it such a criterion is an [`EvalError::GeneratorUnavailable`].

use std::fmt;
use std::str::FromStr;

use crate::outcome::Arrivals;
use crate::{AggregateRow, Stats, TOTAL_LABEL};

/// What a threshold measures. Times are response times (JTL `elapsed`) unless said otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Avg,
    Min,
    Max,
    /// A percentile in hundredths of a percent: `p99.9` is 9990, `median` is 5000.
    Percentile(u16),
    /// Failed samples: a count, or with `%` a percentage of all samples.
    Errors,
    Samples,
    /// Achieved samples per second.
    AvgTps,
    /// Mean latency (time to first byte).
    Latency,
    /// Arrivals not sent because the in-flight bound was reached: a count, or with `%` a
    /// percentage of the scheduled arrivals. Of the whole run, never of a label.
    Dropped,
    /// Arrivals sent later than intended (count or % of scheduled).
    Late,
    /// Arrivals not yet started when the run stopped (count or % of scheduled).
    Unsent,
}

/// The kind of value a metric has, which decides the units it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Time,
    /// A count, or with `%` a share of a whole.
    Count,
    Plain,
}

impl Metric {
    fn kind(self) -> Kind {
        match self {
            Metric::Avg | Metric::Min | Metric::Max | Metric::Percentile(_) | Metric::Latency => {
                Kind::Time
            }
            Metric::Errors | Metric::Dropped | Metric::Late | Metric::Unsent => Kind::Count,
            Metric::Samples | Metric::AvgTps => Kind::Plain,
        }
    }

    /// Reads a metric name (ASCII case-insensitive); Taurus's names are accepted as aliases.
    /// Whether the metric is of the generator (the run's arrivals) rather than of samples.
    pub fn is_generator(self) -> bool {
        matches!(self, Metric::Dropped | Metric::Late | Metric::Unsent)
    }

    fn from_name(name: &str) -> Option<Metric> {
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "avg" | "avg-rt" => Metric::Avg,
            "min" => Metric::Min,
            "max" => Metric::Max,
            "median" => Metric::Percentile(5000),
            "errors" | "fail" => Metric::Errors,
            "samples" | "hits" => Metric::Samples,
            "avg-tps" | "tps" => Metric::AvgTps,
            "latency" | "avg-lt" => Metric::Latency,
            "dropped" => Metric::Dropped,
            "late" => Metric::Late,
            "unsent" => Metric::Unsent,
            _ => return lower.strip_prefix('p').and_then(parse_percentile),
        })
    }
}

/// `99.9` → 9990: at most two decimals, at most 100.
fn parse_percentile(text: &str) -> Option<Metric> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || whole.len() > 3 || (text.contains('.') && !digits(fraction)) {
        return None;
    }
    if fraction.len() > 2 {
        return None;
    }
    let whole: u16 = whole.parse().ok()?;
    let fraction: u16 = format!("{fraction:0<2}").parse().ok()?;
    let hundredths = whole.checked_mul(100)?.checked_add(fraction)?;
    (hundredths <= 10_000).then_some(Metric::Percentile(hundredths))
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Avg => f.write_str("avg"),
            Metric::Min => f.write_str("min"),
            Metric::Max => f.write_str("max"),
            Metric::Percentile(h) => match (h / 100, h % 100) {
                (whole, 0) => write!(f, "p{whole}"),
                (whole, fraction) if fraction % 10 == 0 => write!(f, "p{whole}.{}", fraction / 10),
                (whole, fraction) => write!(f, "p{whole}.{fraction:02}"),
            },
            Metric::Errors => f.write_str("errors"),
            Metric::Samples => f.write_str("samples"),
            Metric::AvgTps => f.write_str("avg-tps"),
            Metric::Latency => f.write_str("latency"),
            Metric::Dropped => f.write_str("dropped"),
            Metric::Late => f.write_str("late"),
            Metric::Unsent => f.write_str("unsent"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
        }
    }

    fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Op::Lt => actual < limit,
            Op::Le => actual <= limit,
            Op::Gt => actual > limit,
            Op::Ge => actual >= limit,
            Op::Eq => actual == limit,
        }
    }
}

/// The unit written after the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// No unit: ms for times, a count for errors, as is otherwise.
    Plain,
    Ms,
    S,
    Percent,
}

impl Unit {
    fn symbol(self) -> &'static str {
        match self {
            Unit::Plain => "",
            Unit::Ms => "ms",
            Unit::S => "s",
            Unit::Percent => "%",
        }
    }

    fn allowed_for(self, kind: Kind) -> bool {
        matches!(
            (kind, self),
            (Kind::Time, Unit::Plain | Unit::Ms | Unit::S)
                | (Kind::Count, Unit::Plain | Unit::Percent)
                | (Kind::Plain, Unit::Plain)
        )
    }
}

/// One failure criterion; see the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub metric: Metric,
    /// The label it applies to; `None` for all labels together ("ALL").
    pub label: Option<String>,
    pub op: Op,
    /// Non-negative and finite, in `unit`.
    pub value: f64,
    pub unit: Unit,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.metric)?;
        if let Some(label) = &self.label {
            f.write_str("(")?;
            for c in label.chars() {
                if matches!(c, '(' | ')' | '\\') {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str(")")?;
        }
        write!(
            f,
            "{}{}{}",
            self.op.symbol(),
            self.value,
            self.unit.symbol()
        )
    }
}

/// A threshold expression that does not parse: where (1-based column) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad threshold `{expression}` at column {column}: expected {expected}, found {found}")]
pub struct ParseError {
    pub expression: String,
    pub column: usize,
    pub expected: String,
    /// What is there instead, quoted, or "the end".
    pub found: String,
}

const METRICS: &str = "a metric (avg, min, max, median, p50 … p99.9, errors, samples, avg-tps, \
     latency, dropped, late, unsent)";

impl FromStr for Threshold {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Threshold::parse(s)
    }
}

impl Threshold {
    /// Parses one expression; see the module docs and `docs/thresholds.md`.
    pub fn parse(expression: &str) -> Result<Threshold, ParseError> {
        Parser {
            text: expression,
            at: 0,
        }
        .threshold()
    }

    /// The value in the unit the results use: ms for times, percent or a count for errors.
    fn limit(&self) -> f64 {
        match self.unit {
            Unit::S => self.value * 1000.0,
            _ => self.value,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next unread char.
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn error_at(&self, at: usize, expected: impl Into<String>) -> ParseError {
        let found = match self.text[at..].chars().next() {
            None => "the end".to_string(),
            Some(_) => {
                let token: String = self.text[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .take(20)
                    .collect();
                format!("`{token}`")
            }
        };
        ParseError {
            expression: self.text.to_string(),
            column: self.text[..at].chars().count() + 1,
            expected: expected.into(),
            found,
        }
    }

    /// Takes the longest prefix of chars satisfying `accept`.
    fn take_while(&mut self, accept: impl Fn(char) -> bool) -> &str {
        let rest = &self.text[self.at..];
        let len = rest.find(|c| !accept(c)).unwrap_or(rest.len());
        self.at += len;
        &rest[..len]
    }

    fn threshold(mut self) -> Result<Threshold, ParseError> {
        self.skip_spaces();
        let metric_at = self.at;
        let name = self.take_while(|c| !c.is_whitespace() && !"(<>=".contains(c));
        let metric = Metric::from_name(name).ok_or_else(|| self.error_at(metric_at, METRICS))?;
        self.skip_spaces();
        let label = if self.rest().starts_with('(') {
            if metric.is_generator() {
                return Err(self.error_at(
                    self.at,
                    format!(
                        "an operator: `{metric}` is of the whole run's arrivals, not of a label"
                    ),
                ));
            }
            self.at += 1;
            let label = self.label()?;
            self.skip_spaces();
            Some(label)
        } else {
            None
        };
        let op = self.op()?;
        self.skip_spaces();
        let value = self.number()?;
        self.skip_spaces();
        let unit_at = self.at;
        let unit = self.unit()?;
        if !unit.allowed_for(metric.kind()) {
            let expected = match metric.kind() {
                Kind::Time => "ms, s or no unit (ms) for a time".to_string(),
                Kind::Count => format!("% or no unit (a count) for {metric}"),
                Kind::Plain => "no unit".to_string(),
            };
            return Err(self.error_at(unit_at, format!("{expected} after the number")));
        }
        self.skip_spaces();
        if !self.rest().is_empty() {
            return Err(self.error_at(self.at, "the end of the threshold"));
        }
        Ok(Threshold {
            metric,
            label,
            op,
            value,
            unit,
        })
    }

    /// The label after `(`, up to the matching `)`; `\(`, `\)` and `\\` are literal.
    fn label(&mut self) -> Result<String, ParseError> {
        let start = self.at;
        let mut label = String::new();
        let mut depth = 0usize;
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped)) => label.push(escaped),
                    None => break,
                },
                '(' => {
                    depth += 1;
                    label.push(c);
                }
                ')' if depth == 0 => {
                    self.at = start + i + 1;
                    if label.is_empty() {
                        return Err(self.error_at(start, "a label inside the parentheses"));
                    }
                    return Ok(label);
                }
                ')' => {
                    depth -= 1;
                    label.push(c);
                }
                _ => label.push(c),
            }
        }
        self.at = self.text.len();
        Err(self.error_at(self.at, "`)` to close the label"))
    }

    fn op(&mut self) -> Result<Op, ParseError> {
        const OPS: [(&str, Op); 5] = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        match OPS
            .iter()
            .find(|(symbol, _)| self.rest().starts_with(symbol))
        {
            Some(&(symbol, op)) => {
                self.at += symbol.len();
                Ok(op)
            }
            None => Err(self.error_at(self.at, "an operator (<, <=, >, >= or ==)")),
        }
    }

    fn number(&mut self) -> Result<f64, ParseError> {
        let start = self.at;
        let whole = self.take_while(|c| c.is_ascii_digit()).len();
        if whole > 0 && self.rest().starts_with('.') {
            self.at += 1;
            if self.take_while(|c| c.is_ascii_digit()).is_empty() {
                return Err(self.error_at(self.at, "digits after the decimal point"));
            }
        }
        let text = &self.text[start..self.at];
        match text.parse::<f64>() {
            Ok(value) if whole > 0 && value.is_finite() => Ok(value),
            _ => Err(self.error_at(start, "a number (like 500 or 1.5)")),
        }
    }

    fn unit(&mut self) -> Result<Unit, ParseError> {
        let start = self.at;
        let word = self.take_while(|c| c.is_ascii_alphabetic() || c == '%');
        match word {
            "" => Ok(Unit::Plain),
            "ms" => Ok(Unit::Ms),
            "s" => Ok(Unit::S),
            "%" => Ok(Unit::Percent),
            _ => Err(self.error_at(start, "a unit (ms, s or %) or the end")),
        }
    }
}

/// One threshold checked against the results.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub threshold: Threshold,
    /// The measured value, in the threshold's unit.
    pub actual: f64,
    /// The expression holds: the criterion is met and the test fails.
    pub met: bool,
}

impl Verdict {
    /// The measured value with the threshold's unit (`2.5s`, `0.3%`, `12`), rounded for
    /// reading to 3 decimals; the comparison used the exact value.
    pub fn actual_text(&self) -> String {
        let actual = format!("{:.3}", self.actual);
        let actual = actual.trim_end_matches('0').trim_end_matches('.');
        format!("{actual}{}", self.threshold.unit.symbol())
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (actual: {})", self.threshold, self.actual_text())
    }
}

/// Why thresholds could not be checked against some results.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("threshold `{threshold}`: no label `{label}` in the results; the labels are: {}", .known.join(", "))]
    UnknownLabel {
        threshold: String,
        label: String,
        known: Vec<String>,
    },
    #[error(
        "threshold `{threshold}`: these results have only p50, p90, p95 and p99; other \
         percentiles need the raw results (a JTL or an HDR log)"
    )]
    PercentileUnavailable { threshold: String },
    #[error(
        "threshold `{threshold}`: `{metric}` counts the generator's arrivals, which only \
         `vajra run` knows; check it in the run itself (--fail-on or the plan's thresholds)"
    )]
    GeneratorUnavailable { threshold: String, metric: String },
}

/// Checks every threshold against `rows` (BlazeMeter's aggregate report: "ALL" and one row per
/// label). `exact` gives percentiles beyond those in the rows; without it they are an error.
pub fn evaluate(
    thresholds: &[Threshold],
    rows: &[AggregateRow],
    exact: Option<&Stats>,
) -> Result<Vec<Verdict>, EvalError> {
    evaluate_run(thresholds, rows, exact, None)
}

/// [`evaluate`], with the run's arrival accounting for the generator's metrics (`dropped`,
/// `late`, `unsent`); without it (`None`) they are an error.
pub fn evaluate_run(
    thresholds: &[Threshold],
    rows: &[AggregateRow],
    exact: Option<&Stats>,
    arrivals: Option<&Arrivals>,
) -> Result<Vec<Verdict>, EvalError> {
    thresholds
        .iter()
        .map(|threshold| {
            if threshold.metric.is_generator() {
                let arrivals = arrivals.ok_or_else(|| EvalError::GeneratorUnavailable {
                    threshold: threshold.to_string(),
                    metric: threshold.metric.to_string(),
                })?;
                let actual = generator_measure(threshold, arrivals);
                return Ok(Verdict {
                    threshold: threshold.clone(),
                    actual,
                    met: threshold.op.holds(actual, threshold.limit()),
                });
            }
            let label = threshold.label.as_deref().unwrap_or(TOTAL_LABEL);
            let row = rows
                .iter()
                .find(|row| match &threshold.label {
                    Some(name) => row.label_name == *name && row.label_id != TOTAL_LABEL,
                    None => row.label_id == TOTAL_LABEL,
                })
                .ok_or_else(|| EvalError::UnknownLabel {
                    threshold: threshold.to_string(),
                    label: label.to_string(),
                    known: rows
                        .iter()
                        .filter(|row| row.label_id != TOTAL_LABEL)
                        .map(|row| row.label_name.clone())
                        .collect(),
                })?;
            let measured = measure(threshold, row, exact)?;
            let actual = match threshold.unit {
                Unit::S => measured / 1000.0,
                _ => measured,
            };
            Ok(Verdict {
                threshold: threshold.clone(),
                actual,
                met: threshold.op.holds(measured, threshold.limit()),
            })
        })
        .collect()
}

/// The value `threshold` compares, in the rows' units (ms, percent, counts, per second).
fn measure(
    threshold: &Threshold,
    row: &AggregateRow,
    exact: Option<&Stats>,
) -> Result<f64, EvalError> {
    Ok(match threshold.metric {
        Metric::Avg => row.avg_response_time,
        Metric::Min => row.min_response_time,
        Metric::Max => row.max_response_time,
        Metric::Percentile(5000) => row.median_response_time,
        Metric::Percentile(9000) => row.line90,
        Metric::Percentile(9500) => row.line95,
        Metric::Percentile(9900) => row.line99,
        Metric::Percentile(hundredths) => exact
            .and_then(|stats| exact_percentile_ms(stats, threshold.label.as_deref(), hundredths))
            .ok_or_else(|| EvalError::PercentileUnavailable {
                threshold: threshold.to_string(),
            })?,
        Metric::Errors if threshold.unit == Unit::Percent => row.errors_rate,
        Metric::Errors => row.errors_count as f64,
        Metric::Samples => row.samples as f64,
        Metric::AvgTps => row.avg_throughput,
        Metric::Latency => row.avg_latency,
        Metric::Dropped | Metric::Late | Metric::Unsent => {
            unreachable!("generator metrics are measured from the arrivals, not a row")
        }
    })
}

/// A generator metric's value: a count, or with `%` its percentage of the scheduled arrivals.
fn generator_measure(threshold: &Threshold, arrivals: &Arrivals) -> f64 {
    let count = match threshold.metric {
        Metric::Dropped => arrivals.dropped,
        Metric::Late => arrivals.late,
        _ => arrivals.unsent,
    };
    match threshold.unit {
        Unit::Percent => arrivals.pct(count),
        _ => count as f64,
    }
}

fn exact_percentile_ms(stats: &Stats, label: Option<&str>, hundredths: u16) -> Option<f64> {
    let quantile = f64::from(hundredths) / 10_000.0;
    let us = match label {
        None => stats.total().elapsed().quantile_us(quantile),
        Some(name) => stats
            .label(name)
            .or_else(|| stats.transaction(name))?
            .elapsed()
            .quantile_us(quantile),
    };
    Some(us as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> Threshold {
        Threshold::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn reads_every_part() {
        assert_eq!(
            parse("p95(login)>500ms"),
            Threshold {
                metric: Metric::Percentile(9500),
                label: Some("login".into()),
                op: Op::Gt,
                value: 500.0,
                unit: Unit::Ms,
            }
        );
        let t = parse("  errors >= 1.5 % ");
        assert_eq!(
            (t.metric, t.op, t.value, t.unit),
            (Metric::Errors, Op::Ge, 1.5, Unit::Percent)
        );
        assert_eq!(parse("avg-tps<900").metric, Metric::AvgTps);
        assert_eq!(parse("MEDIAN==2s").metric, Metric::Percentile(5000));
        assert_eq!(parse("p99.9<=1s").metric, Metric::Percentile(9990));
        assert_eq!(parse("p99.95>1").metric, Metric::Percentile(9995));
        assert_eq!(parse("avg-rt(x)>1").metric, Metric::Avg);
        assert_eq!(parse("fail>3").unit, Unit::Plain);
    }

    #[test]
    fn labels_may_hold_parentheses_and_escapes() {
        assert_eq!(
            parse("max(GET /a(b))>1").label.as_deref(),
            Some("GET /a(b)")
        );
        assert_eq!(parse(r"max(a\)b)>1").label.as_deref(), Some("a)b"));
        assert_eq!(parse("max( a b )>1").label.as_deref(), Some(" a b "));
    }

    fn error(s: &str) -> ParseError {
        Threshold::parse(s).expect_err(s)
    }

    #[test]
    fn errors_say_where_and_what_was_expected() {
        let e = error("p95(login)>>500ms");
        assert_eq!(e.column, 12);
        assert!(e.expected.starts_with("a number"), "{e}");
        assert_eq!(e.found, "`>500ms`");
        assert_eq!(
            e.to_string(),
            "bad threshold `p95(login)>>500ms` at column 12: expected a number (like 500 or 1.5), found `>500ms`"
        );
        assert_eq!(error("p101>1").column, 1);
        assert!(error("avg_rt>1").expected.starts_with("a metric"));
        let e = error("avg=5");
        assert_eq!(
            (e.column, e.expected.as_str()),
            (4, "an operator (<, <=, >, >= or ==)")
        );
        assert_eq!(error("avg(login>5").expected, "`)` to close the label");
        assert_eq!(error("avg()>5").column, 5);
        assert_eq!(error("avg>5 ms x").column, 10);
        assert_eq!(error("avg>5m").expected, "a unit (ms, s or %) or the end");
        assert_eq!(error("avg>5%").column, 6);
        assert!(error("avg>5%").expected.starts_with("ms, s or no unit"));
        assert!(error("samples>5s").expected.starts_with("no unit"));
        assert!(error("errors>5ms").expected.starts_with("% or no unit"));
        assert_eq!(
            error("dropped>5ms").expected,
            "% or no unit (a count) for dropped after the number"
        );
        let e = error("dropped(login)>0");
        assert_eq!(e.column, 8);
        assert!(e.expected.contains("not of a label"), "{e}");
        assert_eq!(error("avg>").found, "the end");
        assert_eq!(error("avg>5.").expected, "digits after the decimal point");
        assert_eq!(error("").column, 1);
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(
            parse(" median ( a ) >= 0.50 s").to_string(),
            "p50( a )>=0.5s"
        );
        assert_eq!(parse("p99.90>1").to_string(), "p99.9>1");
        assert_eq!(parse(r"max(a\\\(b)>1").label.as_deref(), Some(r"a\(b"));
        assert_eq!(parse(r"max(a\\\(b)>1").to_string(), r"max(a\\\(b)>1");
    }

    fn row(label: &str) -> AggregateRow {
        AggregateRow {
            label_id: label.into(),
            label_name: label.into(),
            samples: 200,
            avg_response_time: 120.0,
            median_response_time: 100.0,
            line90: 200.0,
            line95: 300.0,
            line99: 600.0,
            min_response_time: 5.0,
            max_response_time: 900.0,
            st_dev: 10.0,
            avg_latency: 50.0,
            avg_bytes: 0.0,
            avg_throughput: 950.0,
            duration: 1.0,
            errors_count: 3,
            errors_rate: 1.5,
            concurrency: None,
        }
    }

    fn verdict(expression: &str, rows: &[AggregateRow]) -> Verdict {
        evaluate(&[parse(expression)], rows, None)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn met_means_the_expression_holds() {
        let rows = [row(TOTAL_LABEL), row("login")];
        assert!(verdict("p95(login)>250ms", &rows).met);
        assert!(!verdict("p95(login)>300ms", &rows).met);
        assert!(verdict("p95(login)>=300ms", &rows).met);
        assert!(verdict("p95>0.25s", &rows).met);
        assert_eq!(verdict("p95>0.25s", &rows).actual, 0.3);
        assert!(verdict("errors>1%", &rows).met);
        assert!(!verdict("errors>3", &rows).met);
        assert!(verdict("errors==3", &rows).met);
        assert!(!verdict("avg-tps<900", &rows).met);
        assert!(verdict("samples<=200", &rows).met);
        assert!(verdict("latency<51", &rows).met);
        assert!(verdict("median==100", &rows).met);
        assert!(verdict("min<10ms", &rows).met && verdict("max>0.8s", &rows).met);
        assert!(verdict("avg>119.9", &rows).met);
        assert_eq!(
            verdict("p95(login)>250ms", &rows).to_string(),
            "p95(login)>250ms (actual: 300ms)"
        );
    }

    #[test]
    fn an_unknown_label_lists_the_labels() {
        let rows = [row(TOTAL_LABEL), row("login"), row("home")];
        let err = evaluate(&[parse("avg(logn)>1")], &rows, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "threshold `avg(logn)>1`: no label `logn` in the results; the labels are: login, home"
        );
        // "ALL" is the total, not a label a threshold can name.
        assert!(evaluate(&[parse("avg(ALL)>1")], &rows, None).is_err());
    }

    #[test]
    fn other_percentiles_come_from_the_exact_stats() {
        let mut stats = Stats::new();
        for ms in 1..=1000u64 {
            stats.record(&crate::sample::Observation {
                timestamp_ms: 1_700_000_000_000,
                label: "a",
                elapsed_us: ms * 1000,
                latency_us: 0,
                connect_us: 0,
                service_us: None,
                bytes_received: 0,
                bytes_sent: 0,
                success: true,
                response_code: crate::sample::ResponseCode::Status(200),
                response_message: "OK",
                failure_message: "",
                active_threads: 1,
                url: "",
            });
        }
        let rows = stats.aggregate();
        let t = [parse("p99.9(a)>998ms"), parse("p99.9>1000ms")];
        let verdicts = evaluate(&t, &rows, Some(&stats)).unwrap();
        assert!((verdicts[0].actual - 999.0).abs() <= 1.0, "{}", verdicts[0]);
        assert!(verdicts[0].met && !verdicts[1].met);
        assert_eq!(
            evaluate(&t, &rows, None).unwrap_err(),
            EvalError::PercentileUnavailable {
                threshold: "p99.9(a)>998ms".into()
            }
        );
    }

    #[test]
    fn generator_metrics_need_the_arrivals() {
        let rows = [row(TOTAL_LABEL)];
        let arrivals = Arrivals {
            scheduled: 400,
            sent: 300,
            dropped: 90,
            unsent: 10,
            late: 20,
        };
        let check = |expression: &str| {
            evaluate_run(&[parse(expression)], &rows, None, Some(&arrivals))
                .unwrap()
                .remove(0)
        };
        assert!(check("dropped>0").met);
        assert_eq!(check("dropped>0").actual, 90.0);
        assert!(check("dropped>22%").met && !check("dropped>22.5%").met);
        assert_eq!(
            check("dropped>1%").to_string(),
            "dropped>1% (actual: 22.5%)"
        );
        assert!(check("late>=5%").met && !check("late>5%").met);
        assert!(check("unsent==10").met && !check("unsent>2.5%").met);
        assert_eq!(
            evaluate(&[parse("dropped>0")], &rows, None).unwrap_err(),
            EvalError::GeneratorUnavailable {
                threshold: "dropped>0".into(),
                metric: "dropped".into()
            }
        );
        assert!(evaluate(&[parse("late>1%")], &rows, None)
            .unwrap_err()
            .to_string()
            .contains("only `vajra run` knows"));
    }

    fn arb_threshold() -> impl Strategy<Value = Threshold> {
        let metric = prop_oneof![
            Just(Metric::Avg),
            Just(Metric::Min),
            Just(Metric::Max),
            (0u16..=10_000).prop_map(Metric::Percentile),
            Just(Metric::Errors),
            Just(Metric::Samples),
            Just(Metric::AvgTps),
            Just(Metric::Latency),
            Just(Metric::Dropped),
            Just(Metric::Late),
            Just(Metric::Unsent),
        ];
        let op = prop_oneof![
            Just(Op::Lt),
            Just(Op::Le),
            Just(Op::Gt),
            Just(Op::Ge),
            Just(Op::Eq)
        ];
        let unit = prop_oneof![
            Just(Unit::Plain),
            Just(Unit::Ms),
            Just(Unit::S),
            Just(Unit::Percent)
        ];
        let value = prop_oneof![(0u32..100_000).prop_map(f64::from), 0.0f64..1e9];
        let label = proptest::option::of("\\PC{1,12}");
        (metric, label, op, value, unit).prop_filter_map(
            "unit fits the metric",
            |(metric, label, op, value, unit)| {
                unit.allowed_for(metric.kind()).then_some(Threshold {
                    metric,
                    label: label.filter(|_| !metric.is_generator()),
                    op,
                    value,
                    unit,
                })
            },
        )
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Threshold::parse(&s);
        }

        #[test]
        fn never_panics_near_valid(s in "[pP0-9.a-z%()\\\\<>= -]{0,24}") {
            if let Err(e) = Threshold::parse(&s) {
                prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1);
            }
        }

        #[test]
        fn display_round_trips(t in arb_threshold()) {
            prop_assert_eq!(Threshold::parse(&t.to_string()), Ok(t));
        }
    }
}
