//! Integration tests of the runner against its embedded target over loopback, in one binary.

mod ends_on_time;
