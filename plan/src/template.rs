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
            Some(args) if !args.trim().is_empty() => args.split(',').map(str::trim).collect(),
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
                match args.first().filter(|n| !n.is_empty()) {
                    Some(property) => Ok(Builtin::Property {
                        name: property.to_string(),
                        default: default.map(|d| d.to_string()).unwrap_or_default(),
                    }),
                    None => Err(format!("`__{name}` needs a property name")),
                }
            }
            other => Err(format!(
                "`__{other}` is not a built-in vajra has (it has __uuid, __counter, __time, \
                 __random, __randomString, __threadNum and __P); JMeter's scripting functions \
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
            | Builtin::Property { .. } => return false,
        }
        true
    }
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
            let end = after.find('}').ok_or(TemplateError::Unclosed(offset))?;
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
                Part::Builtin(builtin, _) => vars.builtin(builtin, out),
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

    /// The variable names used, in order of appearance (repeats included; built-ins left out).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(name) => Some(name.as_str()),
            Part::Literal(_) | Part::Builtin(..) => None,
        })
    }

    /// The built-ins used, in order of appearance.
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

    proptest::proptest! {
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
