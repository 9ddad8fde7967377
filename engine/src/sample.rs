//! One sample: the record of one request, the unit every sink consumes.

use std::sync::Arc;

/// How an exchange ended: an HTTP status, or a transport error before any status arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A response with this status code was received.
    Http(u16),
    /// No response: `kind` is a short stable name (`ConnectionRefused`, `Timeout`, …) written as
    /// `Non HTTP response code: <kind>`; `message` is the human-readable cause.
    Transport { kind: &'static str, message: Box<str> },
}

/// One request's measurements. Times are microseconds; the JTL writer rounds them to ms.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Intended start, ms since the Unix epoch (JTL `timeStamp`).
    pub timestamp_ms: u64,
    /// Intended start → last body byte (JTL `elapsed`). Measured from the *intended* start, so it
    /// includes any time the request waited for the generator: coordinated-omission corrected.
    pub elapsed_us: u64,
    /// Actual send → last body byte: what the server and network alone took.
    pub service_us: u64,
    /// Intended start → first response byte (JTL `Latency`, which includes connect time).
    pub latency_us: u64,
    /// Time to open the TCP connection; 0 when a kept-alive connection was reused.
    pub connect_us: u64,
    pub label: Arc<str>,
    pub url: Arc<str>,
    pub outcome: Outcome,
    /// Status < 400 (or the request's expected statuses) and every assertion passed.
    pub success: bool,
    /// First failed assertion, if any (JTL `failureMessage`).
    pub failure_message: Option<Box<str>>,
    /// Response headers + body bytes.
    pub bytes_received: u64,
    /// Request headers + body bytes.
    pub bytes_sent: u64,
    /// Requests in flight (open model) or active virtual users (closed model) at the start
    /// (JTL `grpThreads` and `allThreads`).
    pub active_threads: u32,
    /// Number of the connection lane / virtual user that ran it (JTL `threadName` `vajra 1-<n>`).
    pub thread: u32,
}
