//! Request templates: text with `${name}` placeholders filled from the current data row.
//!
//! A template is parsed once, when the plan loads, into literal and variable parts, so rendering
//! on the hot path is a few `push_str` calls. `$${` writes a literal `${`.

use std::fmt;

use serde::de;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// Where a template's values come from when it is rendered: a virtual user's variables and
/// data row at run time, or just a [`Row`].
pub trait Scope {
    /// The value of variable `name`, if it has one.
    fn var(&self, name: &str) -> Option<&str>;
    /// Appends the value of the built-in function `builtin`.
    fn builtin(&self, builtin: &Builtin, out: &mut String);
}

/// The built-in functions a template may call, like `${__uuid}` or JMeter's `${__Random(1,9)}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Builtin {
    /// A random UUID (version 4).
    Uuid,
    /// A counter shared by the whole run, from 1.
    Counter,
    /// Milliseconds since the Unix epoch.
    TimeMillis,
    /// A random integer in `min..=max`.
    RandomInt { min: i64, max: i64 },
    /// `len` random characters from `chars` (letters and digits when `None`).
    RandomString { len: usize, chars: Option<String> },
    /// The variable `name`, or `default` when it has no value (JMeter's `__P`).
    Property { name: String, default: String },
    /// The number of the virtual user (lane) rendering it.
    ThreadNum,
    /// `true` or `false`: whether the user's last request succeeded (JMeter's
    /// `${JMeterThread.last_sample_ok}`).
    LastSampleOk,
}

/// A string with `${name}` placeholders, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// Why a template's text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("`${{` at byte {0} is never closed by `}}`; write `$${{` for a literal `${{`")]
    Unclosed(usize),
    #[error("empty variable name `${{}}` at byte {0}; write `$${{` for a literal `${{`")]
    EmptyName(usize),
}

impl Template {
    /// Parses `text`: `${name}` is a variable, `$${` a literal `${`, everything else literal.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let offset = text.len() - rest.len() + start;
            if rest[..start].ends_with('$') {
                literal.push_str(&rest[..start - 1]);
                literal.push_str("${");
                rest = &rest[start + 2..];
                continue;
            }
            literal.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or(TemplateError::Unclosed(offset))?;
            let name = after[..end].trim();
            if name.is_empty() {
                return Err(TemplateError::EmptyName(offset));
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(Part::Variable(name.to_string()));
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self { parts })
    }

    /// A template that is exactly `text`, with no variables.
    pub fn literal(text: &str) -> Self {
        let parts = if text.is_empty() {
            Vec::new()
        } else {
            vec![Part::Literal(text.to_string())]
        };
        Self { parts }
    }

    /// Appends the template to `out`, variables taken from `vars` (empty when absent: the plan
    /// loader has already checked that every variable has a data column).
    pub fn render_into(&self, vars: &dyn Scope, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(name) => out.push_str(vars.var(name).unwrap_or_default()),
            }
        }
    }

    /// The template rendered into a new string.
    pub fn render(&self, vars: &dyn Scope) -> String {
        let mut out = String::new();
        self.render_into(vars, &mut out);
        out
    }

    /// Renders with every variable replaced by `placeholder`, to check the shape of the result.
    pub(crate) fn render_with(&self, placeholder: &str) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => text.as_str(),
                Part::Variable(_) => placeholder,
            })
            .collect()
    }

    /// True when the template has no variables, so it renders the same every time.
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// The variable names used, in order of appearance (repeats included).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The literal text before the first variable.
    pub(crate) fn leading_literal(&self) -> &str {
        match self.parts.first() {
            Some(Part::Literal(text)) => text,
            _ => "",
        }
    }

    /// True when the template starts with a variable (its shape is only known at run time).
    pub(crate) fn starts_with_variable(&self) -> bool {
        matches!(self.parts.first(), Some(Part::Variable(_)))
    }

    /// This template with `prefix` (literal text) in front.
    pub(crate) fn prefixed(&self, prefix: &str) -> Self {
        let mut parts = self.parts.clone();
        match parts.first_mut() {
            Some(Part::Literal(text)) => text.insert_str(0, prefix),
            _ if !prefix.is_empty() => parts.insert(0, Part::Literal(prefix.to_string())),
            _ => {}
        }
        Self { parts }
    }
}

/// Shows the template as it would be written in a plan.
impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Literal(text) => f.write_str(&text.replace("${", "$${"))?,
                Part::Variable(name) => write!(f, "${{{name}}}")?,
            }
        }
        Ok(())
    }
}

/// Reads a template from a YAML scalar; numbers and booleans are taken as their text.
impl<'de> de::Deserialize<'de> for Template {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::fields::scalar(deserializer, "a string", |text| {
            Template::parse(text).map_err(|err| err.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Row;

    fn row() -> Row {
        Row::from_pairs([("user", "ann"), ("id", "7")])
    }

    #[test]
    fn renders_variables_and_literals() {
        let t = Template::parse("/u/${user}?id=${ id }&x=1").unwrap();
        assert_eq!(t.render(&row()), "/u/ann?id=7&x=1");
        assert!(!t.is_static());
        assert_eq!(t.variables().collect::<Vec<_>>(), ["user", "id"]);
    }

    #[test]
    fn double_dollar_escapes() {
        let t = Template::parse("cost $${user} is ${user}$").unwrap();
        assert_eq!(t.render(&row()), "cost ${user} is ann$");
        assert_eq!(t.variables().collect::<Vec<_>>(), ["user"]);
        assert_eq!(t.to_string(), "cost $${user} is ${user}$");
    }

    #[test]
    fn static_templates() {
        let t = Template::parse("plain $ text {}").unwrap();
        assert!(t.is_static());
        assert_eq!(t.render(&Row::empty()), "plain $ text {}");
        assert_eq!(Template::parse("").unwrap().render(&row()), "");
    }

    #[test]
    fn rejects_unclosed_and_empty() {
        assert_eq!(Template::parse("a ${user"), Err(TemplateError::Unclosed(2)));
        assert_eq!(Template::parse("${}"), Err(TemplateError::EmptyName(0)));
    }

    #[test]
    fn prefix_joins_literals() {
        let t = Template::parse("/x/${id}").unwrap().prefixed("http://h");
        assert_eq!(t.render(&row()), "http://h/x/7");
        assert_eq!(t.leading_literal(), "http://h/x/");
        let v = Template::parse("${id}").unwrap().prefixed("http://h/");
        assert_eq!(v.render(&row()), "http://h/7");
    }

    proptest::proptest! {
        #[test]
        fn display_parses_back_to_the_same_template(text in "[a-z$/{}]{0,24}") {
            if let Ok(t) = Template::parse(&text) {
                proptest::prop_assert_eq!(Template::parse(&t.to_string()), Ok(t.clone()));
            }
        }

        #[test]
        fn static_text_renders_to_itself(text in "[a-z /{}?=&]{0,32}") {
            let t = Template::parse(&text).unwrap();
            proptest::prop_assert_eq!(t.render(&Row::empty()), text);
        }
    }
}
