//! Arbitrary bytes as an HdrHistogram interval log, read into `Stats` the way `vajra report`
//! reads one, and rendered in every report format; the per-tag totals are added up too.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vajra_stats::report::html::{self, ReportInput};
use vajra_stats::report::{text, BadRows, Report};
use vajra_stats::{hdr_log_stats, HdrLog, HdrLogReader};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.hlog");
    let intervals: Result<Vec<_>, _> = HdrLogReader::new(data, path).collect();
    match intervals {
        Ok(intervals) => {
            let _ = HdrLog { intervals }.totals();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let stats = match hdr_log_stats(HdrLogReader::new(data, path)) {
        Ok(stats) => stats,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let report = Report::new(&stats, BadRows::default());
    let _ = text::console(&report);
    let _ = report.to_json();
    let _ = text::csv(&report);
    let _ = text::markdown(&report);
    let _ = html::render(&ReportInput::from_stats(&stats, "fuzz", None));
});
