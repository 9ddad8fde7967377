//! Request templates: text with `${name}` placeholders filled from a virtual user's variables,
//! and the built-in functions (`${__uuid}`, `${__Random(1,9)}`, ...).
//!
//! A template is parsed once, when the plan loads, into literal, variable and built-in parts,
//! so rendering on the hot path is a few `push_str` calls. `$${` writes a literal `${`.

use std::fmt;

use serde::de;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
    /// A built-in, with its text as written (for `Display`).
    Builtin(Builtin, String),
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
    /// The rendered text, base64-encoded (standard alphabet, padded).
    Base64Encode(Template),
    /// The rendered text, base64-decoded (invalid base64 renders as nothing; bytes that are
    /// not UTF-8 are replaced).
    Base64Decode(Template),
    /// The number of the virtual user (lane) rendering it.
    ThreadNum,
    /// `true` or `false`: whether the user's last request succeeded (JMeter's
    /// `${JMeterThread.last_sample_ok}`).
    LastSampleOk,
}

impl Builtin {
    /// The built-in that `${text}` calls: `None` when `text` is a plain variable name, an error
    /// for an unknown `__function` or bad arguments. Both spellings are read: vajra's
    /// (`__uuid`, `__random(1,9)`) and JMeter's (`__UUID()`, `__Random(1,9)`,
    /// `__P(name,default)`, ...), which Taurus configs use.
    pub fn parse(text: &str) -> Option<Result<Builtin, String>> {
        if text == "JMeterThread.last_sample_ok" {
            return Some(Ok(Builtin::LastSampleOk));
        }
        let call = text.strip_prefix("__")?;
        let (name, args) = match call.split_once('(') {
            Some((name, rest)) => match rest.strip_suffix(')') {
                Some(args) => (name, Some(args)),
                None => {
                    return Some(Err(format!(
                        "`${{{text}}}`: the call to `__{name}` is missing its closing `)`"
                    )))
                }
            },
            None => (call, None),
        };
        let args: Vec<&str> = match args {
            Some(args) if !args.trim().is_empty() => {
                split_arguments(args).into_iter().map(str::trim).collect()
            }
            _ => Vec::new(),
        };
        Some(Self::from_call(name, &args).map_err(|why| format!("`${{{text}}}`: {why}")))
    }

    fn from_call(name: &str, args: &[&str]) -> Result<Builtin, String> {
        // JMeter lets trailing arguments be empty (`__counter(FALSE,)`); so do we.
        let given: Vec<&str> = {
            let mut given = args.to_vec();
            while given.last().is_some_and(|a| a.is_empty()) {
                given.pop();
            }
            given
        };
        let int = |text: &str| {
            text.parse::<i64>()
                .map_err(|_| format!("`{text}` is not a whole number"))
        };
        let no_args = |builtin: Builtin| {
            if given.is_empty() {
                Ok(builtin)
            } else {
                Err(format!("`__{name}` takes no arguments"))
            }
        };
        match name {
            "uuid" | "UUID" => no_args(Builtin::Uuid),
            "time" => no_args(Builtin::TimeMillis).map_err(|_| {
                "`__time` with a date format is not supported: `${__time}` gives milliseconds \
                 since the epoch"
                    .to_string()
            }),
            "threadNum" => no_args(Builtin::ThreadNum),
            // JMeter's first argument says whether each user counts apart; vajra's counter is
            // run-wide either way.
            "counter" => match given.as_slice() {
                [] | [_] => Ok(Builtin::Counter),
                _ => Err("`__counter` takes at most one argument (TRUE or FALSE)".into()),
            },
            "random" | "Random" => match given.as_slice() {
                [min, max] | [min, max, _] => {
                    let (min, max) = (int(min)?, int(max)?);
                    if min > max {
                        return Err(format!("the range {min} to {max} runs backwards"));
                    }
                    Ok(Builtin::RandomInt { min, max })
                }
                _ => Err("`__random` takes a minimum and a maximum, like `__random(1,100)`".into()),
            },
            "randomString" | "RandomString" => {
                let len = given
                    .first()
                    .ok_or("`__randomString` takes a length, like `__randomString(8)`")?;
                let len = len
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n <= MAX_RANDOM_STRING)
                    .ok_or_else(|| {
                        format!("the length `{len}` is not a whole number from 0 to {MAX_RANDOM_STRING}")
                    })?;
                let chars = match given.get(1) {
                    Some(chars) if !chars.is_empty() => Some(chars.to_string()),
                    _ => None,
                };
                Ok(Builtin::RandomString { len, chars })
            }
            "P" | "property" => {
                // `__P(name,default)` and `__property(name,variable,default)`.
                let default = if name == "P" {
                    args.get(1)
                } else {
                    args.get(2)
                };
                let default = default.copied().unwrap_or_default();
                if default.contains("${") {
                    return Err(format!(
                        "the default `{default}` of `__{name}` holds a template; give a plain \
                         default, or set the variable under `variables:`"
                    ));
                }
                match args.first().filter(|n| !n.is_empty()) {
                    Some(property) => Ok(Builtin::Property {
                        name: property.to_string(),
                        default: default.to_string(),
                    }),
                    None => Err(format!("`__{name}` needs a property name")),
                }
            }
            "base64Encode" | "base64Decode" => {
                let text = match args {
                    [text] => argument_template(text)?,
                    [] => Template::literal(""),
                    _ => {
                        return Err(format!(
                            "`__{name}` takes one argument, the text (JMeter's second argument, \
                             a variable to store the result in, is not supported: use \
                             set-variables)"
                        ))
                    }
                };
                if name == "base64Encode" {
                    Ok(Builtin::Base64Encode(text))
                } else {
                    // Static text is checked now rather than rendering as nothing at run time.
                    if text.is_static() {
                        let literal = text.render_with("");
                        if base64_decode(&literal).is_none() {
                            return Err(format!("`{literal}` is not valid base64"));
                        }
                    }
                    Ok(Builtin::Base64Decode(text))
                }
            }
            other => Err(format!(
                "`__{other}` is not a built-in vajra has (it has __uuid, __counter, __time, \
                 __random, __randomString, __threadNum, __P, __base64Encode and __base64Decode); JMeter's scripting functions \
                 such as __javaScript, __groovy and __jexl3 are not supported"
            )),
        }
    }

    /// Appends the value of a built-in that needs no run state (uuid, time, random int and
    /// string) and returns true; returns false, appending nothing, for the others (counter,
    /// thread number, last sample, property), whose value the runner's scope knows.
    pub fn render_stateless(&self, out: &mut String) -> bool {
        match self {
            Builtin::Uuid => push_uuid(out),
            Builtin::TimeMillis => out.push_str(&time_millis().to_string()),
            Builtin::RandomInt { min, max } => {
                out.push_str(&random_int(&mut rand::thread_rng(), *min, *max).to_string())
            }
            Builtin::RandomString { len, chars } => {
                push_random_string(&mut rand::thread_rng(), *len, chars.as_deref(), out)
            }
            Builtin::Counter
            | Builtin::ThreadNum
            | Builtin::LastSampleOk
            | Builtin::Property { .. }
            | Builtin::Base64Encode(_)
            | Builtin::Base64Decode(_) => return false,
        }
        true
    }

    /// Appends the value of the built-ins whose argument is a template (base64), rendered
    /// through `scope`, and returns true; false for the others.
    pub fn render_nested(&self, scope: &dyn Scope, out: &mut String) -> bool {
        use base64::Engine;
        match self {
            Builtin::Base64Encode(text) => {
                base64::engine::general_purpose::STANDARD.encode_string(text.render(scope), out)
            }
            Builtin::Base64Decode(text) => {
                if let Some(decoded) = base64_decode(&text.render(scope)) {
                    out.push_str(&decoded);
                }
            }
            _ => return false,
        }
        true
    }
}

/// `text` decoded from standard base64 (padding optional), as text; `None` if it is not base64.
fn base64_decode(text: &str) -> Option<String> {
    use base64::Engine;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine.decode(text.trim()).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A built-in's argument read as a template, so `${__base64Encode(${user}:${pass})}` works.
fn argument_template(text: &str) -> Result<Template, String> {
    Template::parse(text).map_err(|err| format!("in the argument `{text}`: {err}"))
}

/// Splits a built-in's arguments at the commas outside nested `${...}`.
fn split_arguments(args: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let bytes = args.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                parts.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&args[start..]);
    parts
}

/// The byte offset, in `after` (the text just past a `${`), of the `}` that closes it, nested
/// `${...}` skipped.
fn closing_brace(after: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = after.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The longest `__randomString` a plan may ask for.
pub const MAX_RANDOM_STRING: usize = 1 << 20;

/// Appends a random (version 4) UUID in its hyphenated lower-case form.
pub fn push_uuid(out: &mut String) {
    let mut buffer = uuid::Uuid::encode_buffer();
    out.push_str(uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer));
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn time_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// A uniformly random integer in `min..=max` (the bounds swapped if given backwards).
pub fn random_int(rng: &mut impl rand::Rng, min: i64, max: i64) -> i64 {
    rng.gen_range(min.min(max)..=max.max(min))
}

/// Appends `len` characters drawn uniformly from `chars` (ASCII letters and digits if `None`
/// or empty).
pub fn push_random_string(
    rng: &mut impl rand::Rng,
    len: usize,
    chars: Option<&str>,
    out: &mut String,
) {
    use rand::seq::SliceRandom;
    const ALPHANUMERIC: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let pool: Vec<char> = chars
        .filter(|c| !c.is_empty())
        .unwrap_or(ALPHANUMERIC)
        .chars()
        .collect();
    out.extend((0..len).filter_map(|_| pool.choose(rng)));
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
    /// `${__name(...)}` names a function vajra does not have, or gives it bad arguments.
    #[error("{0}")]
    Function(String),
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
            let end = closing_brace(after).ok_or(TemplateError::Unclosed(offset))?;
            let name = after[..end].trim();
            if name.is_empty() {
                return Err(TemplateError::EmptyName(offset));
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            match Builtin::parse(name) {
                Some(builtin) => parts.push(Part::Builtin(
                    builtin.map_err(TemplateError::Function)?,
                    name.to_string(),
                )),
                None => parts.push(Part::Variable(name.to_string())),
            }
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
                Part::Builtin(builtin, _) => {
                    if !builtin.render_nested(vars, out) {
                        vars.builtin(builtin, out)
                    }
                }
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
                Part::Variable(_) | Part::Builtin(..) => placeholder,
            })
            .collect()
    }

    /// True when the template has no variables, so it renders the same every time.
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// The variable names used, in order of appearance, those in built-ins' arguments included
    /// (repeats included; built-ins themselves left out).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        let mut names = Vec::new();
        self.collect_variables(&mut names);
        names.into_iter()
    }

    fn collect_variables<'a>(&'a self, names: &mut Vec<&'a str>) {
        for part in &self.parts {
            match part {
                Part::Variable(name) => names.push(name),
                Part::Builtin(builtin, _) => match builtin {
                    Builtin::Base64Encode(text) | Builtin::Base64Decode(text) => {
                        text.collect_variables(names)
                    }
                    _ => {}
                },
                Part::Literal(_) => {}
            }
        }
    }

    /// This template with each variable that `unknown` picks written as literal text
    /// (`${name}`), in built-ins' arguments too: what JMeter sends for a variable nothing sets.
    pub(crate) fn with_literal_variables(&self, unknown: &dyn Fn(&str) -> bool) -> Template {
        let mut parts: Vec<Part> = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let part = match part {
                Part::Variable(name) if unknown(name) => Part::Literal(format!("${{{name}}}")),
                Part::Builtin(Builtin::Base64Encode(text), _) => {
                    let text = text.with_literal_variables(unknown);
                    let written = format!("__base64Encode({text})");
                    Part::Builtin(Builtin::Base64Encode(text), written)
                }
                Part::Builtin(Builtin::Base64Decode(text), _) => {
                    let text = text.with_literal_variables(unknown);
                    let written = format!("__base64Decode({text})");
                    Part::Builtin(Builtin::Base64Decode(text), written)
                }
                other => other.clone(),
            };
            match (parts.last_mut(), part) {
                (Some(Part::Literal(before)), Part::Literal(text)) => before.push_str(&text),
                (_, part) => parts.push(part),
            }
        }
        Template { parts }
    }

    /// The built-ins used, in order of appearance (not those nested in their arguments).
    pub fn builtins(&self) -> impl Iterator<Item = &Builtin> {
        self.parts.iter().filter_map(|p| match p {
            Part::Builtin(builtin, _) => Some(builtin),
            _ => None,
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
        matches!(
            self.parts.first(),
            Some(Part::Variable(_) | Part::Builtin(..))
        )
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
                Part::Variable(name) | Part::Builtin(_, name) => write!(f, "${{{name}}}")?,
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

    #[test]
    fn builtins_in_both_spellings() {
        let builtin = |text: &str| Builtin::parse(text).unwrap().unwrap();
        assert_eq!(builtin("__uuid"), Builtin::Uuid);
        assert_eq!(builtin("__UUID()"), Builtin::Uuid);
        assert_eq!(builtin("__UUID"), Builtin::Uuid);
        assert_eq!(builtin("__counter"), Builtin::Counter);
        assert_eq!(builtin("__counter(FALSE,)"), Builtin::Counter);
        assert_eq!(builtin("__time"), Builtin::TimeMillis);
        assert_eq!(builtin("__time()"), Builtin::TimeMillis);
        assert_eq!(builtin("__threadNum"), Builtin::ThreadNum);
        assert_eq!(
            builtin("__random(1,100)"),
            Builtin::RandomInt { min: 1, max: 100 }
        );
        assert_eq!(
            builtin("__Random(1, 100)"),
            Builtin::RandomInt { min: 1, max: 100 }
        );
        assert_eq!(
            builtin("__randomString(8)"),
            Builtin::RandomString {
                len: 8,
                chars: None
            }
        );
        assert_eq!(
            builtin("__RandomString(8,abc)"),
            Builtin::RandomString {
                len: 8,
                chars: Some("abc".into())
            }
        );
        let property = |name: &str, default: &str| Builtin::Property {
            name: name.into(),
            default: default.into(),
        };
        assert_eq!(
            builtin("__P(host,localhost)"),
            property("host", "localhost")
        );
        assert_eq!(
            builtin("__property(host,,localhost)"),
            property("host", "localhost")
        );
        assert_eq!(
            builtin("JMeterThread.last_sample_ok"),
            Builtin::LastSampleOk
        );
        assert!(Builtin::parse("user").is_none());
    }

    #[test]
    fn unknown_functions_are_refused_by_name() {
        let err = Template::parse("/x/${__javaScript(1+1)}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`__javaScript` is not a built-in"), "{err}");
        let err = Template::parse("${__random(9,1)}").unwrap_err().to_string();
        assert!(err.contains("runs backwards"), "{err}");
        let err = Template::parse("${__uuid(1)}").unwrap_err().to_string();
        assert!(err.contains("takes no arguments"), "{err}");
        let err = Template::parse("${__time(yyyy)}").unwrap_err().to_string();
        assert!(err.contains("date format"), "{err}");
    }

    #[test]
    fn builtins_render_and_print_as_written() {
        let t = Template::parse("${__UUID()}|${__time}|${__P(user,anon)}|${__P(x,anon)}").unwrap();
        assert_eq!(
            t.to_string(),
            "${__UUID()}|${__time}|${__P(user,anon)}|${__P(x,anon)}"
        );
        assert_eq!(t.variables().count(), 0);
        let text = t.render(&row());
        let parts: Vec<&str> = text.split('|').collect();
        assert!(uuid::Uuid::parse_str(parts[0]).is_ok(), "{text}");
        assert!(
            parts[1].parse::<u128>().unwrap() > 1_600_000_000_000,
            "{text}"
        );
        assert_eq!(&parts[2..], ["ann", "anon"]);
        let mut out = String::new();
        assert!(!Builtin::Counter.render_stateless(&mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn base64_builtins_render_nested_templates() {
        let vars = Row::from_pairs([("user", "ann"), ("pass", "s3cret"), ("b", "bee")]);
        let t = Template::parse("Basic ${__base64Encode(${user}:${pass})}").unwrap();
        assert_eq!(t.render(&vars), "Basic YW5uOnMzY3JldA==");
        assert_eq!(t.variables().collect::<Vec<_>>(), ["user", "pass"]);
        assert_eq!(t.to_string(), "Basic ${__base64Encode(${user}:${pass})}");
        let t = Template::parse("${__base64Decode(YW5uOnMzY3JldA==)}").unwrap();
        assert_eq!(t.render(&vars), "ann:s3cret");
        let t = Template::parse("${__base64Decode(${__base64Encode(${b}, x)})}").unwrap_err();
        assert!(t.to_string().contains("takes one argument"), "{t}");
        let round = Template::parse("${__base64Decode(${__base64Encode(${user})})}").unwrap();
        assert_eq!(round.render(&vars), "ann");
        // Run-time text that is not base64 renders as nothing.
        let bad = Template::parse("[${__base64Decode(${user})}]").unwrap();
        assert_eq!(bad.render(&vars), "[]");
        let err = Template::parse("${__base64Decode(*not*)}").unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
    }

    #[test]
    fn nested_templates_in_any_builtin_argument() {
        let vars = Row::from_pairs([("b", "bee")]);
        let t = Template::parse("${__base64Encode(${__P(b,x)}-${__P(a,dflt)})}").unwrap();
        assert_eq!(t.render(&vars), "YmVlLWRmbHQ="); // base64("bee-dflt")
                                                     // Nested templates parse in any built-in's arguments; `__P` keeps a plain default.
        let err = Template::parse("${__P(a,${b})}").unwrap_err();
        assert!(err.to_string().contains("holds a template"), "{err}");
        let err = Template::parse("${__base64Encode(${__javaScript(1)})}").unwrap_err();
        assert!(
            err.to_string().contains("`__javaScript` is not a built-in"),
            "{err}"
        );
        let err = Template::parse("${__base64Encode(${user)}").unwrap_err();
        assert_eq!(err, TemplateError::Unclosed(0));
        // An unknown function with nested templates is named whole, not cut at the first `}`.
        let err = Template::parse("${__digest(MD5,${x})}").unwrap_err();
        assert!(
            err.to_string().contains("`__digest` is not a built-in"),
            "{err}"
        );
    }

    #[test]
    fn unknown_variables_can_be_kept_as_written() {
        let unknown = |name: &str| name != "user";
        let t = Template::parse("/${user}/${TEMP}-${%23Id}?a=${__base64Encode(${user}:${pw})}")
            .unwrap()
            .with_literal_variables(&unknown);
        assert_eq!(t.variables().collect::<Vec<_>>(), ["user", "user"]);
        let vars = Row::from_pairs([("user", "ann"), ("TEMP", "set later")]);
        assert_eq!(
            t.render(&vars),
            "/ann/${TEMP}-${%23Id}?a=YW5uOiR7cHd9" // base64("ann:${pw}")
        );
        // Written back, the literals are escaped, so the text parses to the same template.
        assert_eq!(
            t.to_string(),
            "/${user}/$${TEMP}-$${%23Id}?a=${__base64Encode(${user}:$${pw})}"
        );
        assert_eq!(Template::parse(&t.to_string()), Ok(t.clone()));
        assert_eq!(t.leading_literal(), "/");
        let all = Template::parse("${a}${b}")
            .unwrap()
            .with_literal_variables(&|_| true);
        assert!(all.is_static());
        assert_eq!(all.render(&Row::empty()), "${a}${b}");
    }

    proptest::proptest! {
        #[test]
        fn base64_encode_then_decode_is_the_text(text in "[ -~]{0,40}") {
            let vars = Row::from_pairs([("t", text.as_str())]);
            let t = Template::parse("${__base64Decode(${__base64Encode(${t})})}").unwrap();
            proptest::prop_assert_eq!(t.render(&vars), text);
        }

        #[test]
        fn random_ints_stay_in_range(min in -50i64..50, span in 0i64..50, seed in 0u64..1000) {
            use rand::SeedableRng;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let n = random_int(&mut rng, min, min + span);
            proptest::prop_assert!((min..=min + span).contains(&n));
        }

        #[test]
        fn random_strings_use_only_their_characters(len in 0usize..40, chars in "[a-c]{0,3}", seed in 0u64..1000) {
            use rand::SeedableRng;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut out = String::new();
            push_random_string(&mut rng, len, Some(&chars), &mut out);
            proptest::prop_assert_eq!(out.chars().count(), len);
            let pool = if chars.is_empty() { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".to_string() } else { chars };
            proptest::prop_assert!(out.chars().all(|c| pool.contains(c)));
        }

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
