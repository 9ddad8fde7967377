//! Integration tests of the `vajra` binary, in one test binary (one link of tokio and hyper
//! instead of one per file). Each module runs the real binary; `common` holds what they share.

mod cloud;
mod common;
mod html_report;
mod live;
mod report;
mod run;
mod verdict;
