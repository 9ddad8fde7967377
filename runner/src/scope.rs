//! A virtual user's state, and the [`Scope`] its templates and conditions are rendered in.
//!
//! A name is looked up in three layers, first hit wins:
//! 1. what the run set: `set-variables`, extractors, `foreach` variables;
//! 2. the iteration's data row;
//! 3. the plan's and then the scenario's `variables:`, rendered in order when the user starts.
//!
//! So a data column overrides a plan variable of the same name, as a JMeter CSV data set
//! overrides user-defined variables, and what a request extracts overrides both.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cookie_store::CookieStore;
use vajra_plan::{Builtin, Extractor, Row, Scope, Template};

use crate::extract::Extracted;

/// What a virtual user carries from request to request. In the closed model it lasts the
/// user's life; in the open model it is the lane's saved state (after setup and each `once`
/// block), which each iteration starts from as a copy.
#[derive(Clone, Default)]
pub struct UserState {
    /// The plan's and scenario's `variables:`, as rendered when the user started; shared, so
    /// copying the state for an open-model arrival does not copy them.
    defaults: Arc<HashMap<String, String>>,
    /// Set while running: `set-variables`, extractors, `foreach`.
    vars: HashMap<String, String>,
    /// The `once` blocks this user has run.
    once_done: HashSet<usize>,
    /// Whether the user's last request succeeded (`${JMeterThread.last_sample_ok}`).
    pub last_sample_ok: bool,
    /// The cookie jar between iterations (the session holds it during one).
    pub jar: Option<CookieStore>,
}

/// Run-wide values the built-ins read.
#[derive(Clone, Copy)]
pub struct RunValues<'a> {
    /// `${__counter}`: shared by the whole run; each use takes the next value, from 1.
    pub counter: &'a AtomicU64,
    /// `${__threadNum}`: the lane (virtual user) number.
    pub lane: u32,
}

/// A user's variables, the iteration's data row and the built-ins, as templates see them.
pub struct UserScope<'a> {
    pub user: &'a UserState,
    pub row: &'a Row,
    pub run: RunValues<'a>,
}

impl UserState {
    /// A new user: `variables` (the plan's, then the scenario's) rendered in order, so each
    /// may use the ones before it, the data row and the built-ins.
    pub fn start<'v>(
        variables: impl IntoIterator<Item = &'v (String, Template)>,
        row: &Row,
        run: RunValues<'_>,
    ) -> UserState {
        let mut user = UserState {
            last_sample_ok: true,
            ..UserState::default()
        };
        for (name, template) in variables {
            let value = template.render(&UserScope {
                user: &user,
                row,
                run,
            });
            Arc::make_mut(&mut user.defaults).insert(name.clone(), value);
        }
        user
    }

    /// Sets variable `name` for the rest of the user's life (closed model) or iteration (open).
    pub fn set(&mut self, name: &str, value: String) {
        match self.vars.get_mut(name) {
            Some(slot) => *slot = value,
            None => {
                self.vars.insert(name.to_string(), value);
            }
        }
    }

    /// The value of `name` set while running, or among the variables the user started with.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .or_else(|| self.defaults.get(name))
            .map(String::as_str)
    }

    /// Stores what `extractor` found; false when it missed (nothing, or not the match asked
    /// for, or `match: all` with no match): then the default is set, if there is one.
    pub fn set_extracted(&mut self, extractor: &Extractor, extracted: Extracted) -> bool {
        let name = &extractor.variable;
        match extracted {
            Extracted::One(value) => {
                self.set(name, value);
                true
            }
            Extracted::Miss => {
                if let Some(default) = &extractor.default {
                    self.set(name, default.clone());
                }
                false
            }
            Extracted::All(values) => {
                let count_name = format!("{name}_matchNr");
                let before: usize = self
                    .get(&count_name)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                // Values of an earlier, longer list would otherwise look like this one's.
                for stale in values.len() + 1..=before {
                    self.vars.remove(&format!("{name}_{stale}"));
                }
                let found = !values.is_empty();
                self.set(&count_name, values.len().to_string());
                // NAME itself is the first match, as JMeter's XPath extractor sets it (and
                // Taurus's XPath default is every match), so `${NAME}` works either way.
                match values.first() {
                    Some(first) => self.set(name, first.clone()),
                    None => {
                        if let Some(default) = &extractor.default {
                            self.set(name, default.clone());
                        }
                    }
                }
                for (i, value) in values.into_iter().enumerate() {
                    self.set(&format!("{name}_{}", i + 1), value);
                }
                found
            }
        }
    }

    /// True the first time `once` block `id` is reached, false ever after.
    pub fn first_time(&mut self, id: usize) -> bool {
        self.once_done.insert(id)
    }
}

impl Scope for UserScope<'_> {
    fn var(&self, name: &str) -> Option<&str> {
        self.user
            .vars
            .get(name)
            .map(String::as_str)
            .or_else(|| self.row.get(name))
            .or_else(|| self.user.defaults.get(name).map(String::as_str))
    }

    fn builtin(&self, builtin: &Builtin, out: &mut String) {
        render_builtin(builtin, self, out)
    }
}

/// Appends the value of `builtin` in `scope`: the plan renders the ones that need no state,
/// the user's scope the rest.
fn render_builtin(builtin: &Builtin, scope: &UserScope<'_>, out: &mut String) {
    use std::fmt::Write;
    if builtin.render_stateless(out) || builtin.render_nested(scope, out) {
        return;
    }
    match builtin {
        Builtin::Counter => {
            let value = scope.run.counter.fetch_add(1, Ordering::Relaxed) + 1;
            let _ = write!(out, "{value}");
        }
        Builtin::Property { name, default } => {
            out.push_str(scope.var(name).unwrap_or(default));
        }
        Builtin::ThreadNum => {
            let _ = write!(out, "{}", scope.run.lane);
        }
        Builtin::LastSampleOk => {
            out.push_str(if scope.user.last_sample_ok {
                "true"
            } else {
                "false"
            });
        }
        Builtin::Uuid
        | Builtin::TimeMillis
        | Builtin::RandomInt { .. }
        | Builtin::RandomString { .. }
        | Builtin::Base64Encode(_)
        | Builtin::Base64Decode(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vajra_plan::{ExtractSource, MatchNo};

    fn run(counter: &AtomicU64) -> RunValues<'_> {
        RunValues { counter, lane: 3 }
    }

    fn extractor(name: &str, default: Option<&str>) -> Extractor {
        Extractor {
            variable: name.into(),
            source: ExtractSource::Cookie("c".into()),
            matches: MatchNo::All,
            default: default.map(str::to_string),
            from_variable: None,
        }
    }

    #[test]
    fn run_values_override_the_row_which_overrides_the_plans_variables() {
        let counter = AtomicU64::new(0);
        let run = run(&counter);
        let variables = vec![
            ("host".to_string(), Template::parse("shop").unwrap()),
            (
                "greeting".to_string(),
                Template::parse("hi ${host}").unwrap(),
            ),
            ("user".to_string(), Template::parse("plan").unwrap()),
        ];
        let row = Row::from_pairs([("user", "row")]);
        let mut user = UserState::start(&variables, &Row::empty(), run);
        let scope = |user: &UserState| {
            let scope = UserScope {
                user,
                row: &row,
                run,
            };
            (
                scope.var("greeting").map(str::to_string),
                scope.var("user").map(str::to_string),
            )
        };
        assert_eq!(scope(&user), (Some("hi shop".into()), Some("row".into())));
        user.set("user", "extracted".into());
        assert_eq!(scope(&user).1.as_deref(), Some("extracted"));
    }

    #[test]
    fn all_matches_set_numbered_variables_and_clear_stale_ones() {
        let mut user = UserState::default();
        let ids = extractor("id", Some("NONE"));
        let three = Extracted::All(vec!["a".into(), "b".into(), "c".into()]);
        assert!(user.set_extracted(&ids, three));
        assert_eq!(user.get("id_matchNr"), Some("3"));
        assert_eq!(user.get("id_3"), Some("c"));
        assert_eq!(user.get("id"), Some("a"), "the first match");
        assert!(user.set_extracted(&ids, Extracted::All(vec!["z".into()])));
        assert_eq!(
            (user.get("id_matchNr"), user.get("id_1"), user.get("id_2")),
            (Some("1"), Some("z"), None)
        );
        assert!(!user.set_extracted(&ids, Extracted::All(Vec::new())));
        assert_eq!(
            (user.get("id_matchNr"), user.get("id")),
            (Some("0"), Some("NONE"))
        );
    }

    #[test]
    fn a_miss_sets_the_default_or_leaves_the_variable() {
        let mut user = UserState::default();
        user.set("token", "old".into());
        assert!(!user.set_extracted(&extractor("token", None), Extracted::Miss));
        assert_eq!(user.get("token"), Some("old"));
        assert!(!user.set_extracted(&extractor("token", Some("NONE")), Extracted::Miss));
        assert_eq!(user.get("token"), Some("NONE"));
        assert!(user.first_time(4));
        assert!(!user.first_time(4));
    }

    #[test]
    fn builtins_read_the_run_and_the_user() {
        let counter = AtomicU64::new(0);
        let run = run(&counter);
        let user = UserState::start(&[], &Row::empty(), run);
        let scope = UserScope {
            user: &user,
            row: &Row::empty(),
            run,
        };
        let render = |b: Builtin| {
            let mut out = String::new();
            scope.builtin(&b, &mut out);
            out
        };
        assert_eq!(render(Builtin::Counter), "1");
        assert_eq!(render(Builtin::Counter), "2");
        assert_eq!(render(Builtin::ThreadNum), "3");
        assert_eq!(render(Builtin::LastSampleOk), "true");
        assert_eq!(render(Builtin::Uuid).len(), 36);
        let n: i64 = render(Builtin::RandomInt { min: 5, max: 7 })
            .parse()
            .unwrap();
        assert!((5..=7).contains(&n));
        let s = render(Builtin::RandomString {
            len: 8,
            chars: Some("ab".into()),
        });
        assert!(
            s.len() == 8 && s.chars().all(|c| c == 'a' || c == 'b'),
            "{s}"
        );
        let p = render(Builtin::Property {
            name: "nope".into(),
            default: "dflt".into(),
        });
        assert_eq!(p, "dflt");
        // Nested templates go through the same scope: the counter is the run's (now 3).
        let nested = Template::parse("${__counter}:${__threadNum}").unwrap();
        assert_eq!(render(Builtin::Base64Encode(nested)), "Mzoz");
        assert!(render(Builtin::TimeMillis).parse::<u64>().unwrap() > 1_600_000_000_000);
    }

    proptest::proptest! {
        #[test]
        fn a_list_reads_back_as_set_whatever_was_there_before(
            before in proptest::collection::vec("[a-z]{0,3}", 0..6),
            after in proptest::collection::vec("[a-z]{0,3}", 0..6),
        ) {
            let mut user = UserState::default();
            let ids = extractor("id", None);
            user.set_extracted(&ids, Extracted::All(before));
            user.set_extracted(&ids, Extracted::All(after.clone()));
            let count = after.len().to_string();
            proptest::prop_assert_eq!(user.get("id_matchNr"), Some(count.as_str()));
            for (i, value) in after.iter().enumerate() {
                let name = format!("id_{}", i + 1);
                proptest::prop_assert_eq!(user.get(&name), Some(value.as_str()));
            }
            let past = format!("id_{}", after.len() + 1);
            proptest::prop_assert_eq!(user.get(&past), None);
        }
    }
}
