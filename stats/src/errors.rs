//! Failed samples counted by cause, with a bound on distinct causes, and BlazeMeter's errors
//! report shape built from them.
//!
//! A failed sample with a `failureMessage` counts as an assertion failure, any other failed
//! sample as an error keyed by (response code, response message); so errors + assertion
//! failures + the "other" overflow always add up to the label's error count.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Distinct messages kept per label and kind; further ones are counted as "other".
pub const MAX_DISTINCT_MESSAGES: usize = 100;

/// Counts by (code, message), keeping at most [`MAX_DISTINCT_MESSAGES`] distinct keys so a
/// pathological file cannot grow memory without limit. Once full, counts for new keys go to
/// `other`; which keys are kept then depends on arrival order, so merging is exact only below
/// the bound.
///
/// A key is one string, `code ++ message ++ '\0' ++ decimal(code length)`, built in a reused
/// buffer so that looking up a known pair allocates nothing. The trailing length makes the
/// encoding unambiguous (`"40" + "4x"` ≠ `"404" + "x"`); the value keeps where the code and the
/// message end so that reading a key back needs no parsing.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MessageCounts {
    counts: HashMap<Box<str>, Count>,
    other: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Count {
    code_end: usize,
    message_end: usize,
    n: u64,
}

impl MessageCounts {
    /// Counts `n` for (`code`, `message`); `scratch` is a buffer the caller reuses.
    pub(crate) fn add(
        &mut self,
        scratch: &mut String,
        code: impl std::fmt::Display,
        message: &str,
        n: u64,
    ) {
        use std::fmt::Write;
        scratch.clear();
        write!(scratch, "{code}").expect("writing to a String cannot fail");
        let code_end = scratch.len();
        scratch.push_str(message);
        let message_end = scratch.len();
        write!(scratch, "\0{code_end}").expect("writing to a String cannot fail");
        self.add_encoded(
            scratch,
            Count {
                code_end,
                message_end,
                n,
            },
        );
    }

    /// Counts `n` for a cause not counted yet (a decoded bundle's, whose causes are distinct);
    /// false when it already is, and then nothing changes.
    pub(crate) fn add_new(
        &mut self,
        scratch: &mut String,
        code: &str,
        message: &str,
        n: u64,
    ) -> bool {
        let before = self.counts.len();
        self.add(scratch, code, message, 0);
        if self.counts.len() == before {
            return false;
        }
        self.counts.get_mut(scratch.as_str()).expect("just added").n = n;
        true
    }

    /// Counts `n` failures whose cause was not kept.
    pub(crate) fn add_other(&mut self, n: u64) {
        self.other = self.other.saturating_add(n);
    }

    fn add_encoded(&mut self, key: &str, count: Count) {
        if let Some(known) = self.counts.get_mut(key) {
            known.n = known.n.saturating_add(count.n);
        } else if self.counts.len() < MAX_DISTINCT_MESSAGES {
            self.counts.insert(key.into(), count);
        } else {
            self.other = self.other.saturating_add(count.n);
        }
    }

    pub(crate) fn merge(&mut self, other: &MessageCounts) {
        for (key, &count) in &other.counts {
            self.add_encoded(key, count);
        }
        self.other = self.other.saturating_add(other.other);
    }

    pub(crate) fn other(&self) -> u64 {
        self.other
    }

    /// (code, message, count), most frequent first, ties by code and message for a stable order.
    pub(crate) fn entries(&self) -> Vec<(&str, &str, u64)> {
        let mut entries: Vec<_> = self
            .counts
            .iter()
            .map(|(key, c)| (&key[..c.code_end], &key[c.code_end..c.message_end], c.n))
            .collect();
        entries.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (a.0, a.1).cmp(&(b.0, b.1))));
        entries
    }
}

/// The `errors[]` item of BlazeMeter's errors report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorCount {
    /// Response message.
    pub m: String,
    /// Response code.
    pub rc: String,
    pub count: u64,
}

/// The `assertions[]` item of BlazeMeter's errors report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssertionCount {
    /// Assertion name. JTL rows do not carry one, so ours is always [`ASSERTION_NAME`].
    #[serde(default)]
    pub name: String,
    #[serde(rename = "failureMessage")]
    pub failure_message: String,
    pub failures: u64,
}

/// The name BlazeMeter shows for assertions whose own name is unknown.
pub const ASSERTION_NAME: &str = "All Assertions";

/// One label's entry of BlazeMeter's errors report (`_id` "ALL" is the total). Fields BlazeMeter
/// adds that we do not produce (`urls`, `failedEmbeddedResources`, …) are ignored when reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorsReportEntry {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    #[serde(rename = "labelId", default)]
    pub label_id: String,
    #[serde(default)]
    pub errors: Vec<ErrorCount>,
    #[serde(default)]
    pub assertions: Vec<AssertionCount>,
    /// Failed samples whose cause was not kept because the label already had
    /// [`MAX_DISTINCT_MESSAGES`] distinct causes (BlazeMeter's own field of that name).
    #[serde(rename = "otherErrorsCount", default)]
    pub other_errors_count: u64,
}

/// The errors and assertion failures of one label (or of the total).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LabelErrors {
    pub(crate) by_response: MessageCounts,
    pub(crate) by_assertion: MessageCounts,
}

impl LabelErrors {
    pub(crate) fn merge(&mut self, other: &LabelErrors) {
        self.by_response.merge(&other.by_response);
        self.by_assertion.merge(&other.by_assertion);
    }

    pub(crate) fn report(&self, id: &str, name: &str) -> ErrorsReportEntry {
        ErrorsReportEntry {
            id: id.to_owned(),
            name: name.to_owned(),
            label_id: id.to_owned(),
            errors: self
                .by_response
                .entries()
                .into_iter()
                .map(|(rc, m, count)| ErrorCount {
                    m: m.to_owned(),
                    rc: rc.to_owned(),
                    count,
                })
                .collect(),
            assertions: self
                .by_assertion
                .entries()
                .into_iter()
                .map(|(_, message, failures)| AssertionCount {
                    name: ASSERTION_NAME.to_owned(),
                    failure_message: message.to_owned(),
                    failures,
                })
                .collect(),
            other_errors_count: self.by_response.other() + self.by_assertion.other(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_the_bound_and_counts_the_rest_as_other() {
        let mut counts = MessageCounts::default();
        let mut scratch = String::new();
        for i in 0..MAX_DISTINCT_MESSAGES + 50 {
            counts.add(&mut scratch, "", &format!("message {i}"), 2);
        }
        counts.add(&mut scratch, "", "message 0", 1);
        let entries = counts.entries();
        assert_eq!(entries.len(), MAX_DISTINCT_MESSAGES);
        assert_eq!(entries[0], ("", "message 0", 3), "most frequent first");
        assert_eq!(counts.other(), 100);
    }

    #[test]
    fn code_and_message_boundaries_are_unambiguous() {
        let mut counts = MessageCounts::default();
        let mut scratch = String::new();
        counts.add(&mut scratch, 404, "Not Found", 1);
        counts.add(&mut scratch, "404", "Not Found", 1);
        counts.add(&mut scratch, "40", "4Not Found", 1);
        assert_eq!(
            counts.entries(),
            vec![("404", "Not Found", 2), ("40", "4Not Found", 1)]
        );
    }

    #[test]
    fn merge_adds_counts_and_other() {
        let mut scratch = String::new();
        let mut a = MessageCounts::default();
        a.add(&mut scratch, 500, "Internal Server Error", 2);
        let mut b = MessageCounts::default();
        b.add(&mut scratch, 500, "Internal Server Error", 3);
        b.add(&mut scratch, "", "x", 1);
        b.other = 4;
        a.merge(&b);
        assert_eq!(
            a.entries(),
            vec![("500", "Internal Server Error", 5), ("", "x", 1)]
        );
        assert_eq!(a.other(), 4);
    }
}
