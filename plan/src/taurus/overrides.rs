//! `-o key=value` overrides, applied as Taurus applies them: a dotted path into the config
//! (`execution.0.concurrency`, `scenarios.shop.requests.1.url`), list items by index (an index
//! one past the end appends), missing mappings created, and the value read as YAML
//! (`5` a number, `true` a switch, `[a, b]` a list, anything else text).

use serde_json::{Map, Value};

/// Applies `override_text` (`key=value`) to `config`; the error names the override.
pub fn apply(config: &mut Value, override_text: &str) -> Result<(), String> {
    let (path, value) = override_text.split_once('=').ok_or_else(|| {
        format!("-o {override_text}: expected key=value, like execution.0.concurrency=10")
    })?;
    let keys: Vec<&str> = path.split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(format!("-o {override_text}: `{path}` has an empty part"));
    }
    let value = yaml_value(value);
    let mut node = config;
    for (i, key) in keys.iter().enumerate() {
        let last = i + 1 == keys.len();
        let next_is_index = keys.get(i + 1).is_some_and(|k| k.parse::<usize>().is_ok());
        let fresh = || {
            if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        if node.is_null() {
            *node = Value::Object(Map::new());
        }
        node = match node {
            Value::Array(items) => {
                let index: usize = key.parse().map_err(|_| {
                    format!(
                        "-o {override_text}: `{key}` must be a list index, as `{}` is a list",
                        keys[..i].join(".")
                    )
                })?;
                if index > items.len() {
                    return Err(format!(
                        "-o {override_text}: index {index} is past the end of `{}` ({} items)",
                        keys[..i].join("."),
                        items.len()
                    ));
                }
                if index == items.len() {
                    items.push(fresh());
                }
                &mut items[index]
            }
            Value::Object(map) => map.entry(key.to_string()).or_insert_with(fresh),
            _ => {
                return Err(format!(
                    "-o {override_text}: `{}` is a value, not a mapping or a list",
                    keys[..i].join(".")
                ));
            }
        };
        if last {
            *node = value.clone();
            break;
        }
    }
    Ok(())
}

/// An override's value read as YAML; text when it does not parse.
fn yaml_value(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::String(text.to_owned());
    }
    crate::yaml::read_plain::<Value>(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_indexes_and_yaml_scalars() {
        let mut config = json!({"execution": [{"concurrency": 1, "scenario": "a"}]});
        apply(&mut config, "execution.0.concurrency=10").unwrap();
        apply(&mut config, "execution.0.hold-for=30s").unwrap();
        apply(&mut config, "scenarios.a.requests.0=http://127.0.0.1/").unwrap();
        apply(&mut config, "scenarios.a.store-cookie=false").unwrap();
        apply(&mut config, "execution.1.scenario=b").unwrap();
        assert_eq!(
            config,
            json!({
                "execution": [{"concurrency": 10, "scenario": "a", "hold-for": "30s"}, {"scenario": "b"}],
                "scenarios": {"a": {"requests": ["http://127.0.0.1/"], "store-cookie": false}}
            })
        );
    }

    proptest::proptest! {
        /// Whatever the config holds, an override's value is then found at its path.
        #[test]
        fn an_override_is_found_at_its_path(
            keys in proptest::collection::vec("[a-z][a-z-]{0,6}", 1..4),
            number in 0u32..1000,
            existing in proptest::option::of(0u32..10),
        ) {
            let mut config = json!({});
            if let Some(old) = existing {
                apply(&mut config, &format!("{}={old}", keys.join("."))).unwrap();
            }
            apply(&mut config, &format!("{}={number}", keys.join("."))).unwrap();
            let pointer = format!("/{}", keys.join("/"));
            proptest::prop_assert_eq!(config.pointer(&pointer), Some(&json!(number)));
        }
    }

    #[test]
    fn bad_overrides_name_themselves() {
        let mut config = json!({"execution": [{"concurrency": 1}]});
        for bad in [
            "execution",
            "execution.5.concurrency=1",
            "execution.x=1",
            "execution.0.concurrency.x=1",
            "a..b=1",
        ] {
            let error = apply(&mut config, bad).unwrap_err();
            assert!(error.starts_with(&format!("-o {bad}:")), "{error}");
        }
    }
}
