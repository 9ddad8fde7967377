//! Field paths (`scenarios[0].requests[1].url`) and where they are in the YAML text.
//!
//! serde_yaml gives a line only for errors it raises itself. For checks made after parsing
//! (unknown variables, bad URLs, missing load keys) we re-read the text with a probe that walks
//! down the path and fails on purpose at the target node: serde_yaml stamps that failure with
//! the node's line and column. This only runs when there is an error to report.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A 1-based line and column in the plan file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A path to a field of the plan, displayed as `scenarios[0].requests[1].headers.X-Id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a map key.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_string()));
        Self(segments)
    }

    /// This path extended by a list index.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The line:column of `path` in `text`, or of its deepest existing parent.
pub(crate) fn locate(text: &str, path: &FieldPath) -> Option<Location> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    match (Probe { path: &path.0 }).deserialize(deserializer) {
        Err(err) => err.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        }),
        Ok(()) => None,
    }
}

const FOUND: &str = "probe reached its target";

/// Walks down `path`; always fails, at the deepest node of the path that exists.
struct Probe<'p> {
    path: &'p [Segment],
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if let Some((Segment::Key(wanted), rest)) = self.path.split_first() {
            while let Some(key) = map.next_key::<KeyText>()? {
                if key.0.as_deref() == Some(wanted.as_str()) {
                    return map.next_value_seed(Probe { path: rest });
                }
                map.next_value::<IgnoredAny>()?;
            }
        }
        Err(de::Error::custom(FOUND))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some((Segment::Index(wanted), rest)) = self.path.split_first() {
            for _ in 0..*wanted {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    return Err(de::Error::custom(FOUND));
                }
            }
            seq.next_element_seed(Probe { path: rest })?;
        }
        Err(de::Error::custom(FOUND))
    }
}

/// A map key as text (numbers and booleans as written); `None` for keys that are not scalars.
struct KeyText(Option<String>);

impl<'de> de::Deserialize<'de> for KeyText {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyText, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(KeyText(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyText, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(KeyText(None))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name: x\nscenarios:\n  - name: a\n    requests:\n      - url: /one\n      - url: /two\n        headers: { X-Id: \"1\" }\n";

    #[test]
    fn displays_paths_like_serde() {
        let path = FieldPath::root().key("scenarios").index(0).key("requests");
        assert_eq!(path.to_string(), "scenarios[0].requests");
    }

    #[test]
    fn locates_nested_values() {
        let path = FieldPath::root()
            .key("scenarios")
            .index(0)
            .key("requests")
            .index(1);
        assert_eq!(locate(TEXT, &path.key("url")).map(|l| l.line), Some(6));
        let header = locate(TEXT, &path.key("headers").key("X-Id")).unwrap();
        assert_eq!((header.line, header.column), (7, 26));
    }

    #[test]
    fn missing_fields_point_at_their_parent() {
        let request = FieldPath::root()
            .key("scenarios")
            .index(0)
            .key("requests")
            .index(0);
        assert_eq!(locate(TEXT, &request.key("body")).map(|l| l.line), Some(5));
        let missing = FieldPath::root().key("scenarios").index(7);
        assert_eq!(locate(TEXT, &missing).map(|l| l.line), Some(3));
    }
}
