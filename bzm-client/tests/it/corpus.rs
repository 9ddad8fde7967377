//! The checked-in corpus of bad API answers (`tests/corpus/`): each file goes through the
//! client's decode path as the model `expected.txt` names, and must give exactly the error
//! listed there. A file without an expectation, or an expectation without a file, fails.

use std::collections::BTreeSet;
use std::path::Path;

use crate::fuzz_models::decode_as;

/// One line of `expected.txt`: `file | model | the error's message` (or `absent` for a null
/// result). Blank lines and `#` comments are skipped.
struct Case {
    line: usize,
    file: String,
    model: String,
    expected: String,
}

fn cases(dir: &Path) -> Vec<Case> {
    let path = dir.join("expected.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(i, line)| {
            let fields: Vec<&str> = line.splitn(3, " | ").collect();
            let [file, model, expected] = fields[..] else {
                panic!("{path:?} line {}: want `file | model | message`", i + 1)
            };
            Case {
                line: i + 1,
                file: file.to_owned(),
                model: model.to_owned(),
                expected: expected.to_owned(),
            }
        })
        .collect()
}

#[test]
fn every_bad_answer_gives_its_listed_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let cases = cases(&dir);
    let mut failures = Vec::new();
    for case in &cases {
        let body = std::fs::read(dir.join(&case.file))
            .unwrap_or_else(|e| panic!("expected.txt line {}: {}: {e}", case.line, case.file));
        let got = match decode_as(&case.model, &body) {
            Ok(true) => "a model".to_owned(),
            Ok(false) => "absent".to_owned(),
            Err(error) => error.to_string(),
        };
        if got != case.expected {
            failures.push(format!(
                "line {} ({} as {}):\n  want: {}\n  got:  {got}",
                case.line, case.file, case.model, case.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let listed: BTreeSet<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "expected.txt")
        .collect();
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|name| !listed.contains(name.as_str()))
        .collect();
    assert!(unlisted.is_empty(), "no expectation for {unlisted:?}");
    assert!(
        cases.len() >= 10,
        "the corpus shrank to {} cases",
        cases.len()
    );
}
