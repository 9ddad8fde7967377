//! Integration tests of results, statistics and reports, in one binary.

mod bad_corpus;
mod error_chain;
mod hdr_log;
mod jtl_edge;
mod jtl_vectors;
mod jtl_writer;
mod merge;
mod report_html;
mod reports;
mod stats_jtl_vectors;
mod vectors;
