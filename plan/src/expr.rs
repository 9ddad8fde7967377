//! The condition language of `if` and `while` blocks.
//!
//! (Skeleton: the grammar and its parser are being written; see docs/plan-format.md.)

use super::template::Scope;

/// A parsed condition, evaluated against a virtual user's variables.
#[derive(Debug, Clone)]
pub struct Condition {
    text: String,
}

impl Condition {
    /// Parses `text`; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Condition, String> {
        Err(format!("conditions are not supported yet: `{text}`"))
    }

    /// Whether the condition holds for the variables of `scope`.
    pub fn holds(&self, _scope: &dyn Scope) -> bool {
        false
    }

    /// The condition as written.
    pub fn text(&self) -> &str {
        &self.text
    }
}
