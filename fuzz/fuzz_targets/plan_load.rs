//! Any bytes as a plan file: the loader must return a plan or an error, never panic, hang or
//! use memory out of proportion to the input.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A plan file is UTF-8 text; `Plan::load` refuses anything else when reading it.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Relative data and body files resolve against a directory that does not exist, so the
    // fuzzer exercises the parser and checks rather than the disk.
    let source = Path::new("/nonexistent-vajra-fuzz/plan.yaml");
    if let Ok(plan) = vajra_plan::Plan::from_str(text, source) {
        // A plan that loads must also build its load model, or say why not, without panicking.
        let _ = plan.load.build_model();
    }
});
