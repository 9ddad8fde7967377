//! Plan errors. Every error names the file, the field path and, where the YAML gives one, the
//! line:column, and says what to do about it.

use std::path::{Path, PathBuf};

use super::locate::{locate, FieldPath, Location};

/// Why a plan, its data sets or its load section could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The plan file itself could not be read.
    #[error("{}: cannot read the plan: {source}", .path.display())]
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

    /// Turns a deserialization error into a [`PlanError`], with a "did you mean" hint for
    /// misspelt keys and values.
    pub fn deserialize_error(
        &self,
        err: serde_path_to_error::Error<serde_yaml::Error>,
    ) -> PlanError {
        let mut field = err.path().to_string();
        if field == "." {
            field.clear();
        }
        let inner = err.inner();
        let location = inner.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        let mut message = inner.to_string();
        if let Some(l) = location {
            // The location is printed in front; drop its repeat from the message.
            message = message.replacen(&format!(" at line {} column {}", l.line, l.column), "", 1);
        }
        let message = strip_yaml_path(&message).to_string();
        let (field, message) = explain_unknown(field, message);
        PlanError::Invalid {
            file: self.file.to_path_buf(),
            location,
            field,
            message,
        }
    }
}

/// serde_yaml prefixes its messages with its own `path: `; we print the path ourselves. A path
/// token has no spaces or backticks, unlike the start of every serde message.
fn strip_yaml_path(message: &str) -> &str {
    match message.split_once(": ") {
        Some((head, rest))
            if !head.is_empty() && !head.contains(char::is_whitespace) && !head.contains('`') =>
        {
            rest
        }
        _ => message,
    }
}

/// Rewrites serde's "unknown field `methd`, expected one of …" into "unknown field `methd`, did
/// you mean `method`?", and makes sure the path ends with the unknown key.
fn explain_unknown(mut field: String, message: String) -> (String, String) {
    let kind = if message.starts_with("unknown field `") {
        "field"
    } else if message.starts_with("unknown variant `") {
        "value"
    } else {
        return (field, message);
    };
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let Some((unknown, candidates)) = quoted.split_first() else {
        return (field, message);
    };
    if kind == "field" && !field.ends_with(unknown) {
        if !field.is_empty() {
            field.push('.');
        }
        field.push_str(unknown);
    }
    let text = match closest(unknown, candidates.iter().copied()) {
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
    };
    (field, text)
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
    fn explains_unknown_fields_with_hint_and_path() {
        let (field, message) = explain_unknown(
            "scenarios[0]".into(),
            "unknown field `wieght`, expected one of `name`, `weight`, `requests`".into(),
        );
        assert_eq!(field, "scenarios[0].wieght");
        assert_eq!(message, "unknown field `wieght`, did you mean `weight`?");
        let (_, message) =
            explain_unknown(String::new(), "unknown field `zzz`, expected `name`".into());
        assert_eq!(message, "unknown field `zzz`, expected one of `name`");
    }

    #[test]
    fn strips_only_path_prefixes() {
        assert_eq!(strip_yaml_path("load.tps: invalid type"), "invalid type");
        assert_eq!(
            strip_yaml_path("invalid type: string \"x\", expected f64"),
            "invalid type: string \"x\", expected f64"
        );
    }
}
