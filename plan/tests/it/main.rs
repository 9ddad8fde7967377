//! Integration tests of the plan language, in one binary.

mod bad_corpus;
mod client;
mod data;
mod errors;
mod happy;
mod load;
mod scenarios;
