//! `vajra run` against servers that misbehave on the wire (vajra-testkit's fault servers):
//! HTTP/2 GOAWAY, graceful and abrupt, RST_STREAM, and a truncated TLS record. Nothing panics,
//! every arrival has its row, and every failed row names its failure.

use vajra_testkit::faults::{self, FaultServer, H2Fault, Reason};
use vajra_testkit::pki::Pki;

use crate::real_targets::{assert_named_failure, run_plan, trust, Run};

/// A run of `tps` arrivals per second for one second, one request each.
fn run_against(server: &FaultServer, version: &str, tls: &str, tps: u32) -> Run {
    run_plan(
        &format!(
            "base-url: {}\nhttp-version: {version}\n{tls}defaults: {{ timeout: 5s }}\nrequests:\n  - url: /\nload: {{ pattern: static, tps: {tps}, duration: 1s }}\n",
            server.url()
        ),
        &[],
    )
}

/// Every arrival has its row, the answered ones succeed, and the others name a failure.
fn assert_every_arrival_recorded(run: &Run, arrivals: usize, words: &[&str]) {
    run.assert_completed();
    assert_eq!(run.scheduled() as usize, arrivals);
    assert_eq!(run.rows.len(), arrivals, "every arrival has its row\n{run}");
    assert_eq!(run.total_samples() as usize, arrivals);
    for row in &run.rows {
        if row.success {
            assert_eq!(row.response_code, "200", "{row:?}");
        } else {
            assert_named_failure(row, words);
        }
    }
}

const GOAWAY_WORDS: &[&str] = &[
    "goaway",
    "go away",
    "closed",
    "connection",
    "reset",
    "refused",
];

#[test]
fn a_graceful_goaway_moves_the_next_requests_to_a_new_connection() {
    let server = faults::h2c_server(H2Fault::GracefulGoawayAfter { streams: 5 }).unwrap();
    let run = run_against(&server, "2", "", 40);
    assert_every_arrival_recorded(&run, 40, GOAWAY_WORDS);
    let counts = server.counts();
    // A graceful GOAWAY loses nothing: every stream sent was answered, and the client reconnected.
    assert_eq!(run.successes() as u64, counts.answered, "{counts:?}\n{run}");
    assert_eq!(run.successes(), 40, "{counts:?}\n{run}");
    assert!(
        counts.connections >= 8,
        "40 streams at 5 a connection: {counts:?}"
    );
    assert!(counts.goaways >= 7, "{counts:?}");
}

#[test]
fn a_graceful_goaway_over_tls_is_handled_the_same() {
    let pki = Pki::generate().unwrap();
    let server =
        faults::h2_tls_server(H2Fault::GracefulGoawayAfter { streams: 4 }, &pki.server).unwrap();
    let run = run_against(&server, "auto", &format!("tls: {}\n", trust(&pki)), 20);
    assert_every_arrival_recorded(&run, 20, GOAWAY_WORDS);
    let counts = server.counts();
    assert_eq!(run.successes(), 20, "{counts:?}\n{run}");
    assert!(counts.handshakes >= 5, "{counts:?}");
}

#[test]
fn an_abrupt_goaway_fails_the_streams_it_cut_and_the_run_goes_on() {
    let server = faults::h2c_server(H2Fault::AbruptGoawayAfter {
        streams: 3,
        reason: Reason::ENHANCE_YOUR_CALM,
    })
    .unwrap();
    let run = run_against(&server, "2", "", 40);
    assert_every_arrival_recorded(&run, 40, GOAWAY_WORDS);
    let counts = server.counts();
    assert!(
        run.successes() as u64 <= counts.answered,
        "{counts:?}\n{run}"
    );
    assert!(counts.goaways >= 1, "{counts:?}");
    assert!(
        counts.connections >= 2,
        "after the GOAWAY the client opens a new connection: {counts:?}"
    );
}

#[test]
fn a_reset_stream_is_a_failed_sample_naming_the_reset() {
    let server = faults::h2c_server(H2Fault::ResetEvery {
        every: 3,
        reason: Reason::INTERNAL_ERROR,
    })
    .unwrap();
    let run = run_against(&server, "2", "", 30);
    assert_every_arrival_recorded(
        &run,
        30,
        &["reset", "rst_stream", "internal_error", "internal error"],
    );
    let counts = server.counts();
    // INTERNAL_ERROR may have had effects, so it is not retried: one failed row per reset.
    assert_eq!(counts.requests, 30, "{counts:?}");
    assert_eq!(counts.resets, 10, "{counts:?}");
    assert_eq!(run.rows.len() - run.successes(), 10, "{counts:?}\n{run}");
    assert_eq!(run.successes() as u64, counts.answered);
    assert_eq!(run.total_errors(), 10);
}

#[test]
fn a_refused_stream_is_recorded_whether_or_not_it_is_retried() {
    let server = faults::h2c_server(H2Fault::ResetEvery {
        every: 2,
        reason: Reason::REFUSED_STREAM,
    })
    .unwrap();
    let run = run_against(&server, "2", "", 20);
    assert_every_arrival_recorded(&run, 20, &["reset", "refused", "rst_stream"]);
    let counts = server.counts();
    assert!(counts.resets >= 10, "{counts:?}");
    assert_eq!(run.successes() as u64, counts.answered, "{counts:?}\n{run}");
}

#[test]
fn a_truncated_tls_record_is_a_failed_sample_and_the_run_goes_on() {
    let pki = Pki::generate().unwrap();
    let server = faults::truncated_tls_server(&pki.server).unwrap();
    let run = run_against(&server, "1.1", &format!("tls: {}\n", trust(&pki)), 20);
    assert_every_arrival_recorded(
        &run,
        20,
        &[
            "closed",
            "eof",
            "truncat",
            "incomplete",
            "close_notify",
            "reset",
            "tls",
        ],
    );
    assert_eq!(run.successes(), 0, "no answer ever arrives whole\n{run}");
    let counts = server.counts();
    assert!(
        counts.requests >= 20,
        "every sample reached the server: {counts:?}"
    );
    assert_eq!(counts.truncated, counts.requests, "{counts:?}");
}
