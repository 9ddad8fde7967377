//! The one way this crate reads YAML: serde-saphyr with a budget, so that hostile input (a
//! document nested 100,000 levels deep, an alias bomb, a million nodes) fails fast with an
//! error instead of running for minutes or exhausting memory.
//!
//! serde-saphyr is a pure-Rust, fuzzed parser that streams the document into our types and
//! stops at the first breach of the budget. Its errors are typed (`SerdeUnknownField` carries
//! the field and the expected names; every error carries a location), so `error` builds its
//! messages from data rather than from the wording of another crate's messages.

use serde::de::DeserializeOwned;

/// The deepest nesting of mappings and lists a plan may have. A plan needs about eight levels
/// (`scenarios[0].requests[1].assert.status[0]`); 32 leaves room and bounds the work.
pub const MAX_DEPTH: usize = 32;

/// The most YAML nodes (mappings, lists and scalars) a plan may have.
pub const MAX_NODES: usize = 250_000;

fn options() -> serde_saphyr::Options {
    let budget = serde_saphyr::budget! {
        max_depth: MAX_DEPTH,
        flow_nesting_limit: MAX_DEPTH,
        max_nodes: MAX_NODES,
    };
    serde_saphyr::options! {
        budget: budget,
        // We print file:line:col and the field path ourselves; no snippet in the message.
        with_snippet: false,
        // `.inf` and `.nan` reach our field checks as text, which refuse them in plan terms.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
    }
}

/// A YAML error and, when serde got as far as a field, the path of that field.
pub(crate) struct ReadError {
    pub path: Option<serde_path_to_error::Path>,
    pub error: Box<serde_saphyr::Error>,
}

/// Deserializes `text` into `T`, tracking the field path with `serde_path_to_error`.
pub(crate) fn read<T: DeserializeOwned>(text: &str) -> Result<T, ReadError> {
    let mut path = None;
    serde_saphyr::with_deserializer_from_str_with_options(text, options(), |deserializer| {
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            path = Some(err.path().clone());
            err.into_inner()
        })
    })
    .map_err(|error| ReadError {
        path,
        error: Box::new(error),
    })
}

/// Deserializes `text` into `T` under the same budget, without tracking the path.
pub(crate) fn read_plain<T: DeserializeOwned>(text: &str) -> Result<T, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options(text, options())
}
