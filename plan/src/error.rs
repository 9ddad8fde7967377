//! Plan errors. Every error names the file, the field path and, where the YAML gives one, the
//! line:column, and says what to do about it.

use std::path::{Path, PathBuf};

use super::locate::{locate, FieldPath, Location};
use super::yaml::{self, ReadError};

/// Why a plan, its data sets or its load section could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The plan file itself could not be read.
    #[error("{}: cannot read the plan", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A field of the plan is missing, misspelt or invalid.
    #[error("{}", invalid_message(.file, *.location, .field, .message))]
    Invalid {
        file: PathBuf,
        location: Option<Location>,
        /// Path of the field, like `scenarios[0].requests[1].headers.X-Id` (empty for the root).
        field: String,
        message: String,
    },
    /// A CSV data file is malformed or unusable for this worker.
    #[error("{}{}: {message}", .file.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Data {
        file: PathBuf,
        line: Option<u64>,
        message: String,
    },
    /// The load section (plan plus command-line overrides) does not describe a load.
    #[error("{message}")]
    Load { message: String },
}

impl PlanError {
    /// The line:column of the offending field, when known.
    pub fn location(&self) -> Option<Location> {
        match self {
            PlanError::Invalid { location, .. } => *location,
            _ => None,
        }
    }

    /// The field path of an invalid field, like `load.tps`.
    pub fn field(&self) -> Option<&str> {
        match self {
            PlanError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// Something a plan loads with that its author should know, such as a `${name}` a Taurus
/// config sends as written. Shown as `FILE:LINE:COL: field: message`, as errors are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanWarning {
    pub file: PathBuf,
    pub location: Option<Location>,
    /// Path of the field, like `scenarios.shop.requests[1].body` (empty for the root).
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&invalid_message(
            &self.file,
            self.location,
            &self.field,
            &self.message,
        ))
    }
}

fn invalid_message(file: &Path, location: Option<Location>, field: &str, message: &str) -> String {
    let mut out = file.display().to_string();
    if let Some(Location { line, column }) = location {
        out.push_str(&format!(":{line}:{column}"));
    }
    out.push_str(": ");
    if !field.is_empty() {
        out.push_str(field);
        out.push_str(": ");
    }
    out.push_str(message);
    out
}

/// The plan being read: its name for messages and its text for finding line numbers.
pub(crate) struct Source<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at `field`, located in the YAML text (or at its nearest existing parent when the
    /// field itself is missing).
    pub fn invalid(&self, field: &FieldPath, message: impl Into<String>) -> PlanError {
        PlanError::Invalid {
            file: self.file.to_path_buf(),
            location: locate(self.text, field),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A warning at `field`, located as [`Source::invalid`] locates an error.
    pub fn warning(&self, field: &FieldPath, message: impl Into<String>) -> PlanWarning {
        PlanWarning {
            file: self.file.to_path_buf(),
            location: locate(self.text, field),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// Turns a YAML or deserialization error into a [`PlanError`], with a "did you mean" hint
    /// for misspelt keys and values.
    ///
    /// Everything here comes from data, not from parsing message text: the field path from
    /// `serde_path_to_error`, the line and column from serde-saphyr's own error location (or,
    /// when it has none, from a spanned parse of the document), the unknown key and the names
    /// it could have been from serde-saphyr's typed `SerdeUnknownField`/`SerdeUnknownVariant`
    /// errors. A new wording in either crate cannot break the location or the hint.
    pub(crate) fn deserialize_error(&self, err: ReadError) -> PlanError {
        let path = err
            .path
            .map(|p| FieldPath::from_serde(&p))
            .unwrap_or_default();
        let mut field = path.to_string();
        let error = unwrap_context(&err.error);
        let location = error
            .location()
            .filter(|l| l.line() > 0)
            .map(|l| Location {
                line: usize::try_from(l.line()).unwrap_or(usize::MAX),
                column: usize::try_from(l.column()).unwrap_or(usize::MAX),
            })
            .or_else(|| locate(self.text, &path));
        let message = match error {
            serde_saphyr::Error::SerdeUnknownField {
                field: unknown,
                expected,
                ..
            } => {
                let section = if path.last_key() == Some(unknown.as_str()) {
                    field
                        .rsplit_once('.')
                        .map_or("", |(parent, _)| parent)
                        .to_string()
                } else {
                    field.clone()
                };
                if path.last_key() != Some(unknown.as_str()) {
                    if !field.is_empty() {
                        field.push('.');
                    }
                    field.push_str(unknown);
                }
                match taurus_hint(&section, unknown) {
                    Some(hint) => format!("unknown field `{unknown}`: {hint}"),
                    None => unknown_message("field", unknown, expected),
                }
            }
            serde_saphyr::Error::SerdeUnknownVariant {
                variant, expected, ..
            } => unknown_message("value", variant, expected),
            // A struct or a list met something else: serde-saphyr checks the shape before serde's
            // visitor runs, so our `expecting` texts never show; say it in our words.
            serde_saphyr::Error::Unexpected {
                expected: "mapping start",
                ..
            } if field.is_empty() => {
                "expected a plan: a mapping with keys like `name`, `base-url` and `requests`".into()
            }
            serde_saphyr::Error::Unexpected {
                expected: "mapping start",
                ..
            } => "expected a mapping of keys to values here (like `url: /path`)".into(),
            serde_saphyr::Error::Unexpected {
                expected: "sequence start",
                ..
            } => "expected a sequence here: a list of `- item` lines or `[a, b]`".into(),
            serde_saphyr::Error::Budget { breach, .. } => budget_message(breach),
            serde_saphyr::Error::DuplicateMappingKey { key: Some(key), .. } => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
                format!("`{key}` is given twice in this mapping: keep one")
            }
            serde_saphyr::Error::DuplicateMappingKey { key: None, .. } => {
                "a key is given twice in this mapping: keep one".into()
            }
            serde_saphyr::Error::ExternalMessage { source, .. }
                if matches!(
                    &**source,
                    serde_saphyr::ExternalMessageSource::Parser(scan)
                        if matches!(scan.kind(), serde_saphyr::granit_parser::ErrorKind::RecursionLimitExceeded)
                ) =>
            {
                too_deep()
            }
            other => {
                use serde_saphyr::MessageFormatter;
                one_line(&serde_saphyr::DefaultMessageFormatter.format_message(other))
            }
        };
        PlanError::Invalid {
            file: self.file.to_path_buf(),
            location,
            field,
            message,
        }
    }
}

/// `text` on one line: control characters (a newline inside a hostile value) escaped, the rest
/// as written, so that a regexp's `\d` or a quote reads as the user typed it.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// The error itself, without the snippet or alias wrappers serde-saphyr may put around it.
fn unwrap_context(mut error: &serde_saphyr::Error) -> &serde_saphyr::Error {
    loop {
        match error {
            serde_saphyr::Error::WithSnippet { error: inner, .. } => error = inner,
            serde_saphyr::Error::AliasError { error: inner, .. } => error = inner,
            _ => return error,
        }
    }
}

fn too_deep() -> String {
    format!(
        "the plan is nested more than {} levels deep (lists and mappings): a plan needs about \
         eight; check for unbalanced brackets",
        yaml::MAX_DEPTH
    )
}

/// What to do when the document breaks the YAML budget (see `yaml`).
fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach;
    match breach {
        BudgetBreach::Depth { .. } => too_deep(),
        BudgetBreach::Nodes { .. } => format!(
            "the plan has more than {} YAML nodes: split it, or move repeated values into a data \
             set (`data:`)",
            yaml::MAX_NODES
        ),
        other => format!(
            "the plan is too large or uses too many aliases ({other:?}): write it out without \
             anchors and aliases"
        ),
    }
}

/// What a Taurus key written in a vajra plan means here, for the keys a Taurus user is likely to
/// carry over. `section` is the path of the mapping the key was found in (`""` for the top
/// level, `load`, `scenarios[0]`, ...). The rules are in docs/plan-format.md.
fn taurus_hint(section: &str, key: &str) -> Option<String> {
    let at_top = section.is_empty();
    let in_load = section == "load";
    let text = match key {
        "throughput" if at_top || in_load => {
            "`throughput` is Taurus's; in vajra the rate is `tps` under `load:`, in iterations \
             per second (one iteration = one pass of a scenario, so a scenario of 3 requests at \
             `tps: 50` sends 150 requests/s)"
        }
        "hold-for" if at_top || in_load => {
            "`hold-for` is Taurus's and excludes the ramp; in vajra `duration` under `load:` is \
             the whole test including the ramp (ramp-sustain: duration includes ramp-duration, \
             so Taurus's `ramp-up: 1m, hold-for: 5m` is `ramp-duration: 1m, duration: 6m`)"
        }
        "ramp-up" if at_top || in_load => {
            "`ramp-up` is Taurus's; in vajra it is `ramp-duration` under `load:`, part of \
             `duration` (with a rate use `pattern: ramp-sustain`; with `concurrency` alone it \
             starts the users over that time)"
        }
        "execution" if at_top => {
            "`execution` is Taurus's; a vajra plan has no execution list: the load goes under \
             `load:` (`tps`, `duration`, `concurrency`, ...) and the requests under `requests:` \
             or `scenarios:`"
        }
        "concurrency" if at_top => {
            "`concurrency` goes under `load:` in vajra, e.g. `load: { concurrency: 10, duration: \
             1m }`: alone it is the closed model (users loop), with `tps` a bound on requests \
             in flight"
        }
        "iterations" if at_top => {
            "`iterations` goes under `load:` in vajra, with `concurrency` (the closed model): \
             `load: { concurrency: 10, iterations: 5 }` runs 5 iterations per user"
        }
        "default-address" if at_top => {
            "`default-address` is Taurus's; in vajra it is `base-url`, e.g. `base-url: \
             https://api.example.com`"
        }
        "tps" | "duration" | "ramp-duration" | "pattern" | "steps" if at_top => {
            return Some(format!(
                "`{key}` goes under `load:` in vajra, e.g. `load: {{ {key}: ... }}`"
            ))
        }
        "concurrency" | "iterations" | "throughput" | "hold-for" | "ramp-up" => {
            return Some(format!(
                "`{key}` belongs under `load:`, not under `{section}`"
            ))
        }
        _ => return None,
    };
    Some(text.to_string())
}

/// "unknown field `methd`, did you mean `method`?", or the list of what is accepted.
fn unknown_message(kind: &str, unknown: &str, candidates: &[&str]) -> String {
    match closest(unknown, candidates.iter().copied()) {
        Some(hint) => format!("unknown {kind} `{unknown}`, did you mean `{hint}`?"),
        None if candidates.is_empty() => format!("unknown {kind} `{unknown}`"),
        None => format!(
            "unknown {kind} `{unknown}`, expected one of {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&input, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(distance, c)| *distance <= (input.len().max(c.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_only() {
        let keys = ["method", "url", "headers", "think-time"];
        assert_eq!(closest("methd", keys), Some("method"));
        assert_eq!(closest("think_time", keys), Some("think-time"));
        assert_eq!(closest("URL", keys), Some("url"));
        assert_eq!(closest("payload", keys), None);
    }

    #[test]
    fn taurus_keys_say_what_vajra_calls_them() {
        let hold = taurus_hint("load", "hold-for").unwrap();
        assert!(
            hold.contains("`duration`") && hold.contains("including the ramp"),
            "{hold}"
        );
        assert!(taurus_hint("load", "throughput").unwrap().contains("`tps`"));
        assert!(taurus_hint("load", "ramp-up")
            .unwrap()
            .contains("`ramp-duration`"));
        assert!(taurus_hint("", "concurrency")
            .unwrap()
            .contains("under `load:`"));
        assert!(taurus_hint("", "tps").unwrap().contains("under `load:`"));
        assert!(taurus_hint("scenarios[0]", "iterations")
            .unwrap()
            .contains("not under `scenarios[0]`"));
        assert_eq!(taurus_hint("load", "methd"), None);
        assert_eq!(taurus_hint("scenarios[0]", "tps"), None);
    }

    #[test]
    fn unknown_names_get_a_hint_or_the_list() {
        assert_eq!(
            unknown_message("field", "wieght", &["name", "weight", "requests"]),
            "unknown field `wieght`, did you mean `weight`?"
        );
        assert_eq!(
            unknown_message("field", "zzz", &["name"]),
            "unknown field `zzz`, expected one of `name`"
        );
        assert_eq!(unknown_message("value", "x", &[]), "unknown value `x`");
    }
}
