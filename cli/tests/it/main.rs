//! Integration tests of the `vajra` binary, in one test binary (one link of tokio and hyper
//! instead of one per file).

mod cloud;
mod html_report;
mod report;
mod run;
