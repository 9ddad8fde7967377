//! Integration tests of the plan language, in one binary.

mod data;
mod errors;
mod happy;
mod load;
