//! Field paths (`scenarios[0].requests[1].url`) and where they are in the YAML text.
//!
//! serde-saphyr locates the errors it raises itself. For checks made after parsing (unknown
//! variables, bad URLs, missing load keys) we re-read the text into a tree of nodes, each with
//! the start of its span (serde-saphyr's `Spanned`, part of its documented API), and walk the
//! field path down that tree. This runs only when there is an error to report, under the same
//! budget as the plan itself.

use std::fmt;

use serde::de::{self, Deserialize, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::yaml::read_plain;

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

    /// The path `serde_path_to_error` recorded, as a field path.
    pub fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        let mut segments = Vec::new();
        for segment in path.iter() {
            match segment {
                S::Seq { index } => segments.push(Segment::Index(*index)),
                S::Map { key } => segments.push(Segment::Key(key.clone())),
                S::Enum { variant } => segments.push(Segment::Key(variant.clone())),
                S::Unknown => break,
            }
        }
        Self(segments)
    }

    /// The last segment, if it is a map key.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The path without its last segment (`None` for the root).
    pub fn parent(&self) -> Option<Self> {
        let (_, parent) = self.0.split_last()?;
        Some(Self(parent.to_vec()))
    }

    /// The value at this path in `value`, if there is one.
    pub fn find_mut<'v>(
        &self,
        mut value: &'v mut serde_json::Value,
    ) -> Option<&'v mut serde_json::Value> {
        for segment in &self.0 {
            value = match segment {
                Segment::Key(key) => value.get_mut(key.as_str())?,
                Segment::Index(i) => value.get_mut(*i)?,
            };
        }
        Some(value)
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
    let mut node = &read_plain::<Node>(text).ok()?;
    for segment in &path.0 {
        let child = match (segment, &node.kind) {
            (Segment::Key(wanted), Kind::Map(entries)) => entries
                .iter()
                .find(|(key, _)| key.as_deref() == Some(wanted.as_str()))
                .map(|(_, value)| value),
            (Segment::Index(i), Kind::Seq(items)) => items.get(*i),
            _ => None,
        };
        match child {
            Some(child) => node = child,
            None => break,
        }
    }
    Some(node.at)
}

/// A node of the document with where it starts: the spanned tree `locate` walks.
struct Node {
    at: Location,
    kind: Kind,
}

enum Kind {
    /// Keys as text (numbers and booleans as written); `None` for keys that are not scalars.
    Map(Vec<(Option<String>, Node)>),
    Seq(Vec<Node>),
    Scalar,
}

impl<'de> de::Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Kind>::deserialize(deserializer)?;
        let at = Location {
            line: usize::try_from(spanned.referenced.line()).unwrap_or(usize::MAX),
            column: usize::try_from(spanned.referenced.column()).unwrap_or(usize::MAX),
        };
        Ok(Node {
            at,
            kind: spanned.value,
        })
    }
}

impl<'de> de::Deserialize<'de> for Kind {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KindVisitor;
        impl<'de> Visitor<'de> for KindVisitor {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML node")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_i128<E: de::Error>(self, _: i128) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_u128<E: de::Error>(self, _: u128) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
                Kind::deserialize(d)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<KeyText, Node>()? {
                    entries.push((key.0, value));
                }
                Ok(Kind::Map(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(Kind::Seq(items))
            }
        }
        deserializer.deserialize_any(KindVisitor)
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
