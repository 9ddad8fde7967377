//! Arbitrary text into the threshold parser; what parses must print back to itself and
//! evaluate against a small `Stats` without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vajra_stats::sample::{Observation, ResponseCode};
use vajra_stats::threshold::{evaluate, Threshold};
use vajra_stats::Stats;

fn stats() -> Stats {
    let mut stats = Stats::new();
    for (i, label) in ["login", "a(b)", "é"].iter().enumerate() {
        for ms in 1..=20u64 {
            stats.record(&Observation {
                timestamp_ms: 1_700_000_000_000 + ms * 100,
                label,
                elapsed_us: ms * 1000 * (i as u64 + 1),
                latency_us: ms * 500,
                connect_us: 0,
                service_us: None,
                bytes_received: 10,
                bytes_sent: 0,
                success: ms % 7 != 0,
                response_code: ResponseCode::Status(if ms % 7 == 0 { 500 } else { 200 }),
                response_message: "",
                failure_message: "",
                active_threads: 1,
                url: "",
            });
        }
    }
    stats
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let threshold = match Threshold::parse(text) {
        Ok(threshold) => threshold,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let canonical = threshold.to_string();
    let again = Threshold::parse(&canonical)
        .unwrap_or_else(|e| panic!("`{canonical}` (from `{text}`) does not parse back: {e}"));
    assert_eq!(
        again, threshold,
        "`{canonical}` parses to another threshold"
    );
    let stats = stats();
    let rows = stats.aggregate();
    for exact in [None, Some(&stats)] {
        if let Ok(verdicts) = evaluate(std::slice::from_ref(&threshold), &rows, exact) {
            for verdict in verdicts {
                let _ = verdict.to_string();
            }
        }
    }
});
