//! HTML report (in progress).
