//! Integration tests of the runner over loopback, in one binary: against its embedded target,
//! and against real TLS, HTTP/2 and HTTP/1.1 servers started by the tests ([`support`]).

mod documents;
mod ends_on_time;
mod http2;
mod redirects_cookies;
mod scenarios;
mod support;
mod tls;
