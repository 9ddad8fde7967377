//! Arbitrary bytes as a JTL file, read the way `vajra report` reads one (lenient and strict),
//! merged into `Stats` and rendered in every report format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vajra_stats::jtl::JtlReader;
use vajra_stats::report::html::{self, ReportInput};
use vajra_stats::report::{text, BadRowAt, BadRows, Report};
use vajra_stats::Stats;

fn read(data: &[u8], strict: bool) -> Option<(Stats, BadRows)> {
    let mut reader =
        JtlReader::from_reader(std::io::Cursor::new(data.to_vec()), "fuzz.jtl", strict)
            .map_err(|e| e.to_string())
            .ok()?;
    let mut stats = Stats::new();
    loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                let _ = (record.line(), record.thread_name());
                let observation = record.observation();
                if record.is_transaction() {
                    stats.record_transaction(&observation);
                } else {
                    stats.record(&observation);
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                return None;
            }
        }
    }
    let report = reader.bad_rows();
    let bad_rows = BadRows {
        count: report.count,
        first: report
            .first
            .iter()
            .map(|row| BadRowAt {
                file: "fuzz.jtl".into(),
                line: row.line,
                reason: row.reason.clone(),
            })
            .collect(),
    };
    Some((stats, bad_rows))
}

fuzz_target!(|data: &[u8]| {
    let _ = read(data, true);
    let Some((stats, bad_rows)) = read(data, false) else {
        return;
    };
    let mut merged = Stats::new();
    merged.include_transactions_in_total(data.first().is_some_and(|b| b & 1 == 1));
    merged.merge(&stats);
    merged.merge(&stats);
    let report = Report::new(&merged, bad_rows);
    let _ = text::console(&report);
    let _ = report.to_json();
    let _ = text::csv(&report);
    let _ = text::markdown(&report);
    let _ = html::render(&ReportInput::from_stats(&merged, "fuzz", None));
});
