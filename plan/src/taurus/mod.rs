//! Taurus configs run natively: the one home of the Taurus → vajra mapping.
//!
//! - [`load`]: an execution's load keys ↔ [`crate::LoadSpec`] (both ways, for cloud packages);
//! - `scenario`, `checks`, `extract`: a `requests` scenario → the native plan syntax, then built
//!   by the normal plan builder so that every check applies;
//! - `criteria`: the passfail module's criteria → vajra thresholds;
//! - [`overrides`]: `-o key=value`, as Taurus applies it;
//! - [`TaurusConfig`]: a config file's executions, each a [`TaurusExecution`] ready to run.
//!
//! What vajra cannot do is rejected by name (the scenario, the request and the key, at its
//! line in the Taurus file), never dropped. What it accepts but does differently (a `${name}`
//! nothing defines, sent as written; a key without effect) is a warning of the execution, at
//! its line. `docs/taurus.md` has the key-by-key table.

mod checks;
mod config;
mod criteria;
mod env;
mod extract;
pub mod load;
pub mod overrides;
mod scenario;
mod value;

pub use config::{is_taurus_config, TaurusConfig, TaurusExecution, EXECUTORS};
pub use extract::NOT_FOUND;
pub use load::{LoadKeyError, TaurusLoad};
pub use scenario::TAURUS_MAX_REDIRECTS;

#[cfg(test)]
mod tests;
