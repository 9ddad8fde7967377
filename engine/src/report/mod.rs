//! Reports.
pub mod html;
