//! Arbitrary bytes as a BlazeMeter API answer, decoded the way the client decodes a successful
//! response (`envelope::decode_response`: the envelope, its `error` member, then the model) into
//! every response model. Whatever comes in: a model or a short error naming the request.
#![no_main]

use bzm_client::envelope::{decode_response, MAX_MESSAGE_CHARS};
use bzm_client::models::*;
use libfuzzer_sys::fuzz_target;

const REQUEST: &str = "GET /api/v4/fuzz";

fn check<T: serde::de::DeserializeOwned>(body: &[u8]) {
    if let Err(error) = decode_response::<T>(REQUEST, body) {
        let message = error.to_string();
        assert!(message.contains(REQUEST), "{message}");
        // Server text is clipped, so a hostile answer cannot flood the terminal.
        assert!(
            message.chars().count() < MAX_MESSAGE_CHARS + 400,
            "{} chars",
            message.len()
        );
    }
}

fuzz_target!(|body: &[u8]| {
    check::<User>(body);
    check::<Vec<Account>>(body);
    check::<Vec<Workspace>>(body);
    check::<Vec<PrivateLocation>>(body);
    check::<Vec<Project>>(body);
    check::<Test>(body);
    check::<Vec<TestFile>>(body);
    check::<ValidateOutcome>(body);
    check::<Vec<Validation>>(body);
    check::<Master>(body);
    check::<MasterStatus>(body);
    check::<Vec<Session>>(body);
    check::<PublicToken>(body);
    check::<Vec<ArtifactLink>>(body);
    check::<Vec<Label>>(body);
    check::<Vec<KpiSeries>>(body);
    check::<Vec<AggregateRow>>(body);
    check::<Vec<ErrorsReportRow>>(body);
    check::<ThresholdsReport>(body);
});
