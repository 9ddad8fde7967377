//! The condition language of `if` and `while` blocks.
//!
//! ```text
//! expr    := or ;  or := and ('||' and)* ;  and := not ('&&' not)* ;  not := '!' not | cmp
//! cmp     := operand [ ('=='|'!='|'<'|'<='|'>'|'>='|'=~'|'!~') operand ]
//! operand := '(' expr ')' | "string" | 'string' | number | ${var} | true | false
//! ```
//!
//! Strings may hold `${var}` templates. A comparison is numeric when both sides read as
//! numbers, else it compares the texts (lexicographically for `<` and `>`). The right side of
//! `=~` and `!~` is a regexp literal, compiled here, at load. A lone operand holds when its
//! text is `true` in any case, as JMeter reads `${JMeterThread.last_sample_ok}`. Anything else
//! (scripting functions such as `${__javaScript(...)}`, bare words, `===`) is refused at load
//! with the column. Parsing and evaluation are pure: evaluation reads only the [`Scope`].

use super::template::{Builtin, Scope, Template};

/// A parsed condition, evaluated against a virtual user's variables.
#[derive(Debug, Clone)]
pub struct Condition {
    text: String,
    expr: Expr,
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, CompareOp, Operand),
    Regex {
        left: Operand,
        regex: regex::Regex,
        negate: bool,
    },
    /// A lone operand: true iff its text is `true`, any case.
    Truthy(Operand),
}

#[derive(Debug, Clone)]
enum Operand {
    Text(Template),
    Group(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Condition {
    /// Parses `text`; the error quotes the condition and gives the column (from 1) at fault.
    pub fn parse(text: &str) -> Result<Condition, String> {
        let fail = |column: usize, why: String| {
            format!("in condition `{text}`, at column {column}: {why}")
        };
        let tokens = lex(text).map_err(|(column, why)| fail(column, why))?;
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            end_column: text.chars().count() + 1,
        };
        let expr = parser.or().map_err(|(column, why)| fail(column, why))?;
        if let Some(token) = parser.peek() {
            return Err(fail(
                token.column,
                format!(
                    "unexpected {} after a complete condition: join conditions with `&&` or `||`",
                    token.kind.describe()
                ),
            ));
        }
        Ok(Condition {
            text: text.to_string(),
            expr,
        })
    }

    /// Whether the condition holds for the variables of `scope`.
    pub fn holds(&self, scope: &dyn Scope) -> bool {
        self.expr.holds(scope)
    }

    /// The condition as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The plain variables the condition reads (built-ins left out), for the load-time check.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        let mut templates = Vec::new();
        self.expr.templates(&mut templates);
        templates.into_iter().flat_map(Template::variables)
    }
}

impl Expr {
    fn holds(&self, scope: &dyn Scope) -> bool {
        match self {
            Expr::Or(a, b) => a.holds(scope) || b.holds(scope),
            Expr::And(a, b) => a.holds(scope) && b.holds(scope),
            Expr::Not(e) => !e.holds(scope),
            Expr::Compare(left, op, right) => compare(&left.text(scope), *op, &right.text(scope)),
            Expr::Regex {
                left,
                regex,
                negate,
            } => regex.is_match(&left.text(scope)) != *negate,
            Expr::Truthy(operand) => operand.text(scope).trim().eq_ignore_ascii_case("true"),
        }
    }

    fn templates<'a>(&'a self, out: &mut Vec<&'a Template>) {
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => {
                a.templates(out);
                b.templates(out);
            }
            Expr::Not(e) => e.templates(out),
            Expr::Compare(left, _, right) => {
                left.templates(out);
                right.templates(out);
            }
            Expr::Regex { left, .. } | Expr::Truthy(left) => left.templates(out),
        }
    }
}

impl Operand {
    fn text(&self, scope: &dyn Scope) -> String {
        match self {
            Operand::Text(template) => template.render(scope),
            Operand::Group(expr) => expr.holds(scope).to_string(),
        }
    }

    fn templates<'a>(&'a self, out: &mut Vec<&'a Template>) {
        match self {
            Operand::Text(template) => out.push(template),
            Operand::Group(expr) => expr.templates(out),
        }
    }
}

/// Numbers when both sides read as numbers, else texts.
fn compare(left: &str, op: CompareOp, right: &str) -> bool {
    use std::cmp::Ordering;
    let ordering = match (number(left), number(right)) {
        (Some(a), Some(b)) => match a.partial_cmp(&b) {
            Some(ordering) => ordering,
            None => return op == CompareOp::Ne,
        },
        _ => left.cmp(right),
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
    }
}

/// `text` as a number, if it is written as one (`7`, `-1.5`, `2e3`; not `inf` or `NaN`).
fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    let digits = text.bytes().any(|b| b.is_ascii_digit());
    let shape = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if digits && shape {
        text.parse().ok()
    } else {
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
    LParen,
    RParen,
    Not,
    And,
    Or,
    Compare(CompareOp),
    Match {
        negate: bool,
    },
    /// A string literal's contents (a template), or a number, `true`, `false`, `${var}`.
    Text {
        text: String,
        quoted: bool,
    },
}

impl TokenKind {
    fn describe(&self) -> String {
        match self {
            TokenKind::LParen => "`(`".into(),
            TokenKind::RParen => "`)`".into(),
            TokenKind::Not => "`!`".into(),
            TokenKind::And => "`&&`".into(),
            TokenKind::Or => "`||`".into(),
            TokenKind::Compare(_) | TokenKind::Match { .. } => "a comparison".into(),
            TokenKind::Text { text, .. } => format!("`{text}`"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    /// Where the token starts, in characters from 1.
    column: usize,
}

/// Splits `text` into tokens; the error gives the column and what is wrong.
fn lex(text: &str) -> Result<Vec<Token>, (usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let next = chars.get(i + 1).copied();
        let mut push = |kind: TokenKind, len: usize| {
            tokens.push(Token { kind, column });
            len
        };
        i += match (c, next) {
            (c, _) if c.is_whitespace() => 1,
            ('(', _) => push(TokenKind::LParen, 1),
            (')', _) => push(TokenKind::RParen, 1),
            ('&', Some('&')) => push(TokenKind::And, 2),
            ('|', Some('|')) => push(TokenKind::Or, 2),
            ('=', Some('=')) if chars.get(i + 2) == Some(&'=') => {
                return Err((column, "`===` is JavaScript; write `==`".into()))
            }
            ('!', Some('=')) if chars.get(i + 2) == Some(&'=') => {
                return Err((column, "`!==` is JavaScript; write `!=`".into()))
            }
            ('=', Some('=')) => push(TokenKind::Compare(CompareOp::Eq), 2),
            ('!', Some('=')) => push(TokenKind::Compare(CompareOp::Ne), 2),
            ('=', Some('~')) => push(TokenKind::Match { negate: false }, 2),
            ('!', Some('~')) => push(TokenKind::Match { negate: true }, 2),
            ('<', Some('=')) => push(TokenKind::Compare(CompareOp::Le), 2),
            ('>', Some('=')) => push(TokenKind::Compare(CompareOp::Ge), 2),
            ('<', _) => push(TokenKind::Compare(CompareOp::Lt), 1),
            ('>', _) => push(TokenKind::Compare(CompareOp::Gt), 1),
            ('!', _) => push(TokenKind::Not, 1),
            ('=', _) => return Err((column, "`=` alone is not an operator; write `==`".into())),
            ('&' | '|', _) => {
                return Err((
                    column,
                    format!("`{c}` alone is not an operator; write `{c}{c}`"),
                ))
            }
            ('"' | '\'', _) => {
                let (contents, len) = quoted(&chars[i..])
                    .ok_or_else(|| (column, format!("the string is never closed by `{c}`")))?;
                Template::parse(&contents)
                    .map_err(|err| (column, format!("in the string: {err}")))?;
                push(
                    TokenKind::Text {
                        text: contents,
                        quoted: true,
                    },
                    len,
                )
            }
            ('$', Some('{')) => {
                let len = placeholder_len(&chars[i..])
                    .ok_or((column, "`${` is never closed by `}`".to_string()))?;
                let placeholder: String = chars[i..i + len].iter().collect();
                // A call is checked whole, so `${__javaScript(${a} < 1)}` is named as such
                // rather than cut at its first `}`.
                if let Some(Err(why)) = Builtin::parse(&placeholder[2..placeholder.len() - 1]) {
                    return Err((column, why));
                }
                Template::parse(&placeholder).map_err(|err| (column, err.to_string()))?;
                push(
                    TokenKind::Text {
                        text: placeholder,
                        quoted: false,
                    },
                    len,
                )
            }
            (c, _) if c.is_ascii_digit() || c == '-' || c == '.' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
                    .count();
                let word: String = chars[i..i + len].iter().collect();
                if number(&word).is_none() {
                    return Err((column, format!("`{word}` is not a number")));
                }
                push(
                    TokenKind::Text {
                        text: word,
                        quoted: false,
                    },
                    len,
                )
            }
            (c, _) if c.is_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
                    .count();
                let word: String = chars[i..i + len].iter().collect();
                if word == "true" || word == "false" {
                    push(
                        TokenKind::Text {
                            text: word,
                            quoted: false,
                        },
                        len,
                    )
                } else if chars.get(i + len) == Some(&'(') {
                    return Err((
                        column,
                        format!(
                            "function calls like `{word}(...)` are not supported: compare \
                             values with ==, !=, <, >, =~ and join them with &&, ||, !"
                        ),
                    ));
                } else {
                    return Err((
                        column,
                        format!(
                            "`{word}` is a bare word: quote text (\"{word}\"), or write \
                             `${{{word}}}` for a variable"
                        ),
                    ));
                }
            }
            (c, _) => return Err((column, format!("unexpected `{c}`"))),
        };
    }
    Ok(tokens)
}

/// The contents of the string literal at the start of `chars` (`\` escapes the quote and
/// itself) and the characters it takes, quotes included.
fn quoted(chars: &[char]) -> Option<(String, usize)> {
    let quote = chars[0];
    let mut contents = String::new();
    let mut i = 1;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' if matches!(chars.get(i + 1), Some(&n) if n == quote || n == '\\') => {
                contents.push(chars[i + 1]);
                i += 2;
            }
            c if c == quote => return Some((contents, i + 1)),
            c => {
                contents.push(c);
                i += 1;
            }
        }
    }
    None
}

/// The length of the `${...}` at the start of `chars`: up to the first `}`, or, for a
/// function call (`${__name(...)}`), past its balanced parentheses, so that the whole call is
/// named in the error.
fn placeholder_len(chars: &[char]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate().skip(2) {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '}' if depth == 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

type ParseResult<T> = Result<T, (usize, String)>;

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    end_column: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.peek().is_some_and(|t| t.kind == *kind) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> ParseResult<Expr> {
        let mut left = self.and()?;
        while self.eat(&TokenKind::Or) {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> ParseResult<Expr> {
        let mut left = self.not()?;
        while self.eat(&TokenKind::And) {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> ParseResult<Expr> {
        if self.eat(&TokenKind::Not) {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> ParseResult<Expr> {
        let left = self.operand()?;
        let Some(token) = self.peek().cloned() else {
            return Ok(Expr::Truthy(left));
        };
        match token.kind {
            TokenKind::Compare(op) => {
                self.at += 1;
                Ok(Expr::Compare(left, op, self.operand()?))
            }
            TokenKind::Match { negate } => {
                self.at += 1;
                let regex = self.regex_literal()?;
                Ok(Expr::Regex {
                    left,
                    regex,
                    negate,
                })
            }
            _ => Ok(Expr::Truthy(left)),
        }
    }

    fn regex_literal(&mut self) -> ParseResult<regex::Regex> {
        let column = self.peek().map_or(self.end_column, |t| t.column);
        match self.peek().map(|t| t.kind.clone()) {
            Some(TokenKind::Text { text, quoted: true }) if !text.contains("${") => {
                self.at += 1;
                crate::fields::compile_regex(&text).map_err(|why| (column, why))
            }
            _ => Err((
                column,
                "the right side of `=~` and `!~` must be a fixed regexp in quotes, like \
                 \"^ab+c$\""
                    .into(),
            )),
        }
    }

    fn operand(&mut self) -> ParseResult<Operand> {
        let Some(token) = self.peek().cloned() else {
            return Err((
                self.end_column,
                "the condition ends where a value was expected".into(),
            ));
        };
        self.at += 1;
        match token.kind {
            TokenKind::LParen => {
                let inner = self.or()?;
                if !self.eat(&TokenKind::RParen) {
                    let column = self.peek().map_or(self.end_column, |t| t.column);
                    return Err((
                        column,
                        format!("the `(` at column {} is never closed", token.column),
                    ));
                }
                Ok(Operand::Group(Box::new(inner)))
            }
            TokenKind::Text { text, quoted } => {
                let template = if quoted || text.starts_with("${") {
                    Template::parse(&text)
                } else {
                    Ok(Template::literal(&text))
                };
                template
                    .map(Operand::Text)
                    .map_err(|err| (token.column, err.to_string()))
            }
            other => Err((
                token.column,
                format!(
                    "expected a value (a string, a number or `${{var}}`), found {}",
                    other.describe()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Row;

    fn holds(text: &str, row: &Row) -> bool {
        Condition::parse(text).unwrap().holds(row)
    }

    fn row() -> Row {
        Row::from_pairs([
            ("role", "admin"),
            ("count", "4"),
            ("more", "TRUE"),
            ("n", "10"),
        ])
    }

    #[test]
    fn compares_strings_and_numbers() {
        let row = row();
        assert!(holds(r#""${role}" == "admin" && ${count} > 3"#, &row));
        assert!(!holds(r#"'${role}' != 'admin'"#, &row));
        // 10 > 9 as numbers, though "10" < "9" as text.
        assert!(holds("${n} > 9", &row));
        assert!(holds(r#""b" > "a""#, &row));
        assert!(holds("7 == 7.0", &row));
        assert!(holds(
            "${count} <= 4 && ${count} >= 4 && ${count} < 5",
            &row
        ));
    }

    #[test]
    fn lone_operands_are_true_only_when_their_text_is_true() {
        let row = row();
        assert!(holds("${more}", &row));
        assert!(holds("true", &row));
        assert!(!holds("false", &row));
        assert!(!holds("${role}", &row));
        assert!(holds("!${role}", &row));
        assert!(holds("(${count} > 1) == true", &row));
    }

    #[test]
    fn regexps_and_precedence() {
        let row = row();
        assert!(holds(r#"${role} =~ "^ad""#, &row));
        assert!(holds(r#"${role} !~ "^x""#, &row));
        assert!(holds("false && false || true", &row));
        assert!(!holds("false && (false || true)", &row));
        assert!(holds(r#""a \"q\"" == 'a "q"'"#, &row));
    }

    #[test]
    fn errors_give_the_column() {
        let err = |text: &str| Condition::parse(text).unwrap_err();
        assert!(err("${__javaScript(1 == 1)}").contains("column 1: `${__javaScript(1 == 1)}`"));
        assert!(err("${__javaScript(1 == 1)}").contains("not a built-in"));
        let nested = err("${__groovy(${a} < 1)} && true");
        assert!(
            nested.contains("column 1: `${__groovy(${a} < 1)}`: `__groovy` is not a built-in"),
            "{nested}"
        );
        assert!(err("1 === 1").contains("column 3: `===` is JavaScript"));
        assert!(err("${x} == admin").contains("column 9: `admin` is a bare word"));
        assert!(err("len(${x}) > 1").contains("column 1: function calls"));
        assert!(err("(1 == 1").contains("never closed"));
        assert!(err("1 ==").contains("column 5: the condition ends"));
        assert!(err(r#"${x} =~ "(""#).contains("not a valid regular expression"));
        assert!(err(r#"${x} =~ ${y}"#).contains("fixed regexp"));
        assert!(err("1 == 1 2").contains("column 8: unexpected `2`"));
        assert!(err("\"open").contains("never closed"));
    }

    #[test]
    fn variables_are_listed_without_builtins() {
        let c = Condition::parse(r#""${a}-${__uuid}" == ${b} || ${JMeterThread.last_sample_ok}"#)
            .unwrap();
        assert_eq!(c.variables().collect::<Vec<_>>(), ["a", "b"]);
    }

    /// Conditions built from a small grammar, with the values they must have.
    fn condition() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("true".to_string()),
            Just("false".to_string()),
            Just("${count} > 3".to_string()),
            Just("${n} < 3".to_string()),
            Just(r#""${role}" == "admin""#.to_string()),
            Just(r#"'${role}' != 'admin'"#.to_string()),
            Just(r#"${role} =~ "^a""#.to_string()),
            Just("${more}".to_string()),
        ];
        leaf.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) || ({b})")),
                inner.clone().prop_map(|a| format!("!({a})")),
                inner.prop_map(|a| format!("({a})")),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn not_inverts(e in condition()) {
            let row = row();
            proptest::prop_assert_eq!(holds(&format!("!({e})"), &row), !holds(&e, &row));
        }

        #[test]
        fn de_morgan(a in condition(), b in condition()) {
            let row = row();
            proptest::prop_assert_eq!(
                holds(&format!("!(({a}) && ({b}))"), &row),
                holds(&format!("!({a}) || !({b})"), &row)
            );
            proptest::prop_assert_eq!(
                holds(&format!("!(({a}) || ({b}))"), &row),
                holds(&format!("!({a}) && !({b})"), &row)
            );
        }

        #[test]
        fn arbitrary_text_never_panics(text in r#"[a-z0-9 ${}()!=<>&|~"'._-]{0,40}"#) {
            if let Ok(c) = Condition::parse(&text) {
                let _ = c.holds(&row());
            }
        }

        #[test]
        fn numbers_compare_as_numbers(a in -1000i64..1000, b in -1000i64..1000) {
            let row = Row::empty();
            proptest::prop_assert_eq!(holds(&format!("{a} < {b}"), &row), a < b);
            proptest::prop_assert_eq!(holds(&format!("'{a}' == \"{b}\""), &row), a == b);
        }
    }
}
