//! Integration tests of the `vajra` binary, in one test binary (one link of tokio and hyper
//! instead of one per file). Each module runs the real binary; `common` holds what they share,
//! `real_targets` what the tests against real servers (nginx, fault servers) share.

mod bundles;
mod ci;
mod cloud;
mod common;
mod faults;
mod html_report;
mod http2;
mod https;
mod live;
mod metrics;
mod real_targets;
mod redirects_cookies;
mod report;
mod run;
mod scenarios;
mod taurus;
mod verdict;
