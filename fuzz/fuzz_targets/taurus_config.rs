//! Any bytes as a Taurus config: reading it, mapping each execution's scenario to a native plan
//! and building that plan must give a config, a plan or a located error, never a panic, a hang
//! or memory out of proportion to the input.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

/// Executions tried per input: enough for the seeds' shapes, few enough to stay fast.
const MAX_EXECUTIONS: usize = 4;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Data files and included plans resolve against a directory that does not exist, so the
    // fuzzer exercises the mapping and the checks rather than the disk.
    let source = Path::new("/nonexistent-vajra-fuzz/bzt.yml");
    // Leading `-o KEY=VALUE` lines are overrides, as `vajra run -o` gives them; the rest is the file.
    let mut overrides = Vec::new();
    let mut text = text;
    while let Some(rest) = text.strip_prefix("-o ") {
        let (item, more) = rest.split_once('\n').unwrap_or((rest, ""));
        overrides.push(item.to_string());
        text = more;
    }
    let Ok(config) = vajra_plan::taurus::TaurusConfig::from_str(text, source, &overrides) else {
        return;
    };
    let _ = config.thresholds();
    for index in 0..config.executions().min(MAX_EXECUTIONS) {
        let _ = config.native_plan(index);
        if let Ok(execution) = config.execution(index) {
            let _ = execution.plan.load.build_model();
        }
    }
});
