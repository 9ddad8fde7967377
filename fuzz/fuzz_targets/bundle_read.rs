//! Arbitrary bytes as a result bundle, as they are and gzip'd (so the fuzzer reaches the JSON
//! inside): `bundle::decode` gives a bundle or an error, never a panic. A bundle that decodes
//! merges into itself, renders every report, and encodes to bytes that decode to it again.
#![no_main]

use std::io::Write;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vajra_stats::bundle;
use vajra_stats::report::html::{self, ReportInput};
use vajra_stats::report::{text, BadRows, Report};

fn check(bytes: &[u8]) {
    let path = Path::new("fuzz.vbundle");
    let decoded = match bundle::decode(bytes, path) {
        Ok(decoded) => decoded,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let mut stats = decoded.stats.clone();
    stats.merge(&decoded.stats);
    let report = Report::new(&stats, BadRows::default());
    let _ = text::console(&report);
    let _ = report.to_json();
    let _ = text::csv(&report);
    let _ = text::markdown(&report);
    let _ = html::render(&ReportInput::from_stats(&stats, "fuzz", None));
    if let Ok(again) = bundle::encode(&decoded.run, &decoded.stats) {
        let again = bundle::decode(&again, path).expect("an encoded bundle decodes");
        assert_eq!(again, decoded, "a bundle survives encoding");
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("writing to memory cannot fail");
    check(&gz.finish().expect("writing to memory cannot fail"));
});
