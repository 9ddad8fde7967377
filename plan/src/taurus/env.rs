//! `settings.env`: Taurus fills `${NAME}` in every string of the config from it before anything
//! reads the config (after the `-o` overrides), and leaves any other `${...}` as it is, for
//! JMeter. Each `settings.env` value is first expanded from the OS environment (`$NAME` and
//! `${NAME}`, twice, as Python's `os.path.expandvars` does); a `null` value expands to nothing.
//! Taurus also always sets `TAURUS_ARTIFACTS_DIR`, the run's artifacts directory: vajra's is the
//! run's output directory, when there is one.

use serde_json::Value;

/// How many times Taurus expands a value, so that one env value may name another.
const EXPAND_DEPTH: usize = 2;

/// The name Taurus gives the run's artifacts directory in `settings.env`.
const ARTIFACTS_DIR: &str = "TAURUS_ARTIFACTS_DIR";

/// Expands `${NAME}` in every string of `root` from its `settings.env` (with
/// `TAURUS_ARTIFACTS_DIR` set to `artifacts_dir`, when given, as Taurus sets it), whose values
/// are first expanded from `os_env`. With neither, the config is left as it is.
pub(crate) fn expand_settings_env(
    root: &mut Value,
    artifacts_dir: Option<&str>,
    os_env: &dyn Fn(&str) -> Option<String>,
) {
    let empty = serde_json::Map::new();
    let env = root
        .get("settings")
        .and_then(|s| s.get("env"))
        .and_then(Value::as_object);
    if env.is_none() && artifacts_dir.is_none() {
        return;
    }
    let mut env: Vec<(String, Option<String>)> = env
        .unwrap_or(&empty)
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::Null => None,
                Value::String(text) => Some(expand_from_os(text, os_env)),
                other => Some(expand_from_os(&other.to_string(), os_env)),
            };
            (name.clone(), value)
        })
        .collect();
    if let Some(dir) = artifacts_dir {
        // Taurus overwrites whatever the config gave it.
        env.retain(|(name, _)| name != ARTIFACTS_DIR);
        env.push((ARTIFACTS_DIR.to_owned(), Some(dir.to_owned())));
    }
    let lookup = |name: &str| {
        env.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone().unwrap_or_default())
    };
    expand_strings(root, &lookup);
}

fn expand_strings(value: &mut Value, lookup: &dyn Fn(&str) -> Option<String>) {
    match value {
        Value::String(text) => {
            for _ in 0..EXPAND_DEPTH {
                *text = expand_braced(text, lookup);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| expand_strings(v, lookup)),
        Value::Object(map) => map.values_mut().for_each(|v| expand_strings(v, lookup)),
        _ => {}
    }
}

/// `${NAME}` → its value where `lookup` knows NAME; anything else kept. NAME runs from the
/// innermost `${` to the next `}`, so that a name inside a function call's arguments
/// (`${__base64Encode(${auth})}`) is filled too, which Taurus's own split misses.
pub(crate) fn expand_braced(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after.find('}');
        let inner = after.find("${");
        match end {
            Some(end) if inner.is_none_or(|inner| inner > end) => {
                out.push_str(&rest[..start]);
                match lookup(&after[..end]) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            // A nearer `${` opens the name, or nothing closes it: keep this `${` as text.
            _ => {
                out.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `$NAME` and `${NAME}` from the OS environment, twice; unknown names kept.
fn expand_from_os(text: &str, os_env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut text = text.to_owned();
    for _ in 0..EXPAND_DEPTH {
        text = expand_os_once(&text, os_env);
    }
    text
}

fn expand_os_once(text: &str, os_env: &dyn Fn(&str) -> Option<String>) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let (name, used) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            (&after[..end], end)
        };
        match (!name.is_empty()).then(|| os_env(name)).flatten() {
            Some(value) => {
                out.push_str(&value);
                rest = &after[used..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn os(name: &str) -> Option<String> {
        match name {
            "PATH" => Some("/usr/bin".into()),
            "HOME" => Some("/root".into()),
            _ => None,
        }
    }

    #[test]
    fn settings_env_fills_every_string_and_leaves_other_names() {
        let mut root = json!({
            "settings": {"env": {
                "BZT_ENV_TEST": "success", "UNSET": null, "P": "${PATH}:$HOME/bin",
                "default-path": "/api/v4", "N": 3
            }},
            "scenarios": {"s": {
                "default-address": "http://${BZT_ENV_TEST}/",
                "requests": ["/${BZT_ENV_TEST}/${UNSET}", "/${P}/", "/${TEMP}/",
                             {"url": "${default-path}/tests?n=${N}&u=${__UUID()}"}]
            }}
        });
        expand_settings_env(&mut root, None, &os);
        let s = &root["scenarios"]["s"];
        assert_eq!(s["default-address"], "http://success/");
        assert_eq!(s["requests"][0], "/success/");
        assert_eq!(s["requests"][1], "//usr/bin:/root/bin/");
        assert_eq!(
            s["requests"][2], "/${TEMP}/",
            "a name not in settings.env is JMeter's"
        );
        assert_eq!(s["requests"][3]["url"], "/api/v4/tests?n=3&u=${__UUID()}");
    }

    #[test]
    fn env_values_may_name_each_other_once_removed() {
        let mut root = json!({
            "settings": {"env": {"A": "${B}/a", "B": "b"}},
            "x": "${A}"
        });
        expand_settings_env(&mut root, None, &os);
        assert_eq!(root["x"], "b/a");
    }

    #[test]
    fn a_name_inside_a_function_call_is_filled() {
        let lookup = |n: &str| (n == "auth").then(|| "u:p".to_owned());
        assert_eq!(
            expand_braced("Basic ${__base64Encode(${auth})} ${x} ${auth", &lookup),
            "Basic ${__base64Encode(u:p)} ${x} ${auth"
        );
    }

    #[test]
    fn without_settings_env_nothing_changes() {
        let mut root = json!({"x": "${PATH}"});
        expand_settings_env(&mut root, None, &os);
        assert_eq!(root["x"], "${PATH}");
    }

    #[test]
    fn the_artifacts_dir_is_the_runs_output_directory() {
        let mut root = json!({"x": "/${TAURUS_ARTIFACTS_DIR}/", "y": "${OTHER}"});
        expand_settings_env(&mut root, Some("/tmp/out"), &os);
        assert_eq!(root["x"], "//tmp/out/");
        assert_eq!(root["y"], "${OTHER}");
        let mut root = json!({
            "settings": {"env": {"TAURUS_ARTIFACTS_DIR": "mine", "A": "${TAURUS_ARTIFACTS_DIR}"}},
            "x": "${TAURUS_ARTIFACTS_DIR}"
        });
        expand_settings_env(&mut root, Some("out"), &os);
        assert_eq!(root["x"], "out");
        // Without a run (validate), the name is left for the literal rule.
        let mut root = json!({"x": "${TAURUS_ARTIFACTS_DIR}"});
        expand_settings_env(&mut root, None, &os);
        assert_eq!(root["x"], "${TAURUS_ARTIFACTS_DIR}");
    }

    proptest! {
        #[test]
        fn text_without_known_names_is_kept(text in ".*") {
            prop_assert_eq!(expand_braced(&text, &|_| None), text.clone());
            prop_assert_eq!(expand_from_os(&text, &|_| None), text);
        }
    }
}
