//! Every error's layers: each message describes its own layer and leaves its cause to
//! `source()`, so a printed chain never says the same thing twice.

use std::error::Error;
use std::path::Path;

use base64::Engine as _;
use vajra_stats::jtl::JtlReader;
use vajra_stats::{read_hdr_log, HdrLogError};

/// Walks the chain of `err`: no layer's message contains its source's message.
fn assert_no_repeats(err: &(dyn Error + 'static)) -> usize {
    let mut layers = 1;
    let mut current = err;
    while let Some(source) = current.source() {
        let (message, cause) = (current.to_string(), source.to_string());
        assert!(
            !message.contains(&cause),
            "`{message}` repeats its source `{cause}`"
        );
        current = source;
        layers += 1;
    }
    layers
}

fn hdr_error(dir: &Path, text: &[u8]) -> HdrLogError {
    let path = dir.join("case.hlog");
    std::fs::write(&path, text).unwrap();
    read_hdr_log(&path).unwrap_err()
}

fn line(histogram: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(histogram);
    format!("1.000,1.000,1.0,{encoded}\n").into_bytes()
}

#[test]
fn jtl_errors_leave_their_cause_to_source() {
    let dir = tempfile::tempdir().unwrap();
    let missing = JtlReader::open(&dir.path().join("missing.jtl"), false)
        .err()
        .unwrap();
    assert_eq!(
        assert_no_repeats(&missing),
        2,
        "the io::Error is the source"
    );
    assert!(missing.to_string().contains("missing.jtl"), "{missing}");

    let not_jtl = JtlReader::from_reader(&b"a,b\n"[..], "x.jtl", false)
        .err()
        .unwrap();
    assert_no_repeats(&not_jtl);
    let mut reader = JtlReader::from_reader(
        &b"timeStamp,elapsed,label,success\nx,1,a,true\n"[..],
        "x.jtl",
        true,
    )
    .unwrap();
    let bad_row = reader.next_record().err().unwrap();
    assert_no_repeats(&bad_row);
}

#[test]
fn hdr_log_errors_leave_their_cause_to_source() {
    let dir = tempfile::tempdir().unwrap();
    let missing = read_hdr_log(&dir.path().join("missing.hlog")).unwrap_err();
    assert_eq!(assert_no_repeats(&missing), 2);

    let mut deflated_garbage = vec![0x1c, 0x84, 0x93, 0x14, 0, 0, 0, 4];
    deflated_garbage.extend_from_slice(b"\xff\xff\xff\xff");
    let cases: [(&[u8], usize); 5] = [
        (b"1.000,1.000,1.0,!!!not base64\n", 3),
        (&line(b"\x1c\x84\x93\x13\x00\x00\x00\x10"), 2),
        (&line(&deflated_garbage), 3),
        (&line(b"\x00\x00\x00\x00"), 3),
        (b"#[BaseTime: 99999999999999999.000 (s)]\n", 1),
    ];
    for (text, layers) in cases {
        let err = hdr_error(dir.path(), text);
        assert_eq!(assert_no_repeats(&err), layers, "{err:?}");
        assert!(err.to_string().contains("case.hlog, line 1"), "{err}");
    }
}
