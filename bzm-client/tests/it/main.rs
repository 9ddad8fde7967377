//! The crate's integration tests, in one binary so that tokio, hyper and axum link once.
//!
//! - `http`: the client over real HTTP on 127.0.0.1 against small axum servers;
//! - `hostile`: raw loopback servers that misbehave (endless body, huge message, silence);
//! - `models`: the models parse the realistic bodies in `tests/fixtures/`;
//! - `fuzz_models`: arbitrary bytes and JSON through the client's decode path never panic;
//! - `corpus`: the bad answers in `tests/corpus/` give the errors listed in its `expected.txt`;
//! - `os_keyring`: credential resolution with this machine's real OS keyring.

mod support;

mod corpus;
mod fuzz_models;
mod hostile;
mod http;
mod models;
mod os_keyring;
