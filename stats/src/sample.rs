//! One sample: the record of one request, the unit every sink consumes.

use std::sync::Arc;

/// How an exchange ended: an HTTP status, or a transport error before any status arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A response with this status code was received.
    Http(u16),
    /// No response. `code` is the full JTL response code, a constant such as
    /// `Non HTTP response code: ConnectionRefused`; `message` is the full JTL response message,
    /// `Non HTTP response message: <cause>`. Both are stored exactly as the JTL carries them, so
    /// a sample and its JTL row read back give the same [`Observation`].
    Transport {
        code: &'static str,
        message: Box<str>,
    },
    /// A transaction controller's row, written after its child samples: `code` is 200 when
    /// every child passed, else the first failing child's; `message` is JMeter's
    /// `Number of samples in transaction : N, number of failing samples : M`. Statistics keep
    /// such rows apart (see [`Sample::is_transaction`]).
    Transaction {
        code: ResponseCode<'static>,
        message: Box<str>,
    },
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

/// The JTL `responseCode` of a request cancelled by a hard stop (a second Ctrl-C, or the drain
/// timeout running out) before its response completed. Such a row is written like any other
/// (`success` false, so other tools count it as an error), but vajra's statistics count it
/// apart, as `cancelled`: it is a sample (it counts in `samples`, the label's window and its
/// throughput) but it has no response time, so it is kept out of the response-time, latency
/// and service-time distributions, the mean connect time, the errors and their causes, the
/// per-second timeline and the interval histograms (the live line and the HDR log). The error
/// rate is errors / (samples − cancelled). A JTL read back is recognised by this code.
pub const CANCELLED_CODE: &str = "Non HTTP response code: Cancelled";

/// A response code as the sinks see it: a number from our own runs, free text from a JTL file
/// (`Non HTTP response code: java.net.SocketTimeoutException`, `408`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseCode<'a> {
    Status(u16),
    Text(&'a str),
}

impl std::fmt::Display for ResponseCode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseCode::Status(code) => write!(f, "{code}"),
            ResponseCode::Text(text) => f.write_str(text),
        }
    }
}

/// A borrowed, source-neutral view of one sample. Our own [`Sample`]s and rows read back from
/// any JTL file both become an `Observation`, so statistics are computed by one code path
/// whatever the source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation<'a> {
    pub timestamp_ms: u64,
    pub label: &'a str,
    pub elapsed_us: u64,
    pub latency_us: u64,
    pub connect_us: u64,
    /// Only our own runs know the service time; JTL files from other tools do not.
    pub service_us: Option<u64>,
    pub bytes_received: u64,
    pub bytes_sent: u64,
    pub success: bool,
    pub response_code: ResponseCode<'a>,
    pub response_message: &'a str,
    pub failure_message: &'a str,
    pub active_threads: u32,
    pub url: &'a str,
}

impl Observation<'_> {
    /// A request cancelled by a hard stop (its response code is [`CANCELLED_CODE`]).
    pub fn is_cancelled(&self) -> bool {
        self.response_code == ResponseCode::Text(CANCELLED_CODE)
    }
}

impl Outcome {
    /// A transaction row's outcome for `samples` child requests of which `failing` failed.
    pub fn transaction(code: ResponseCode<'static>, samples: u64, failing: u64) -> Outcome {
        Outcome::Transaction {
            code,
            message: format!(
                "{} : {samples}, number of failing samples : {failing}",
                crate::jtl::TRANSACTION_MESSAGE_PREFIX
            )
            .into(),
        }
    }
}

impl Sample {
    /// The JTL `responseCode` text for a transport error, or the status number.
    pub fn response_code(&self) -> ResponseCode<'_> {
        match &self.outcome {
            Outcome::Http(status) => ResponseCode::Status(*status),
            Outcome::Transport { code, .. } => ResponseCode::Text(code),
            Outcome::Transaction { code, .. } => *code,
        }
    }

    /// A transaction controller's row: recorded with `record_transaction`, kept out of ALL.
    pub fn is_transaction(&self) -> bool {
        matches!(self.outcome, Outcome::Transaction { .. })
    }

    /// The JTL `responseMessage`: the HTTP reason phrase, or the transport error's cause.
    pub fn response_message(&self) -> &str {
        match &self.outcome {
            Outcome::Http(status) => http::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or(""),
            Outcome::Transport { message, .. } | Outcome::Transaction { message, .. } => message,
        }
    }

    pub fn observation(&self) -> Observation<'_> {
        Observation {
            timestamp_ms: self.timestamp_ms,
            label: &self.label,
            elapsed_us: self.elapsed_us,
            latency_us: self.latency_us,
            connect_us: self.connect_us,
            service_us: Some(self.service_us),
            bytes_received: self.bytes_received,
            bytes_sent: self.bytes_sent,
            success: self.success,
            response_code: self.response_code(),
            response_message: self.response_message(),
            failure_message: self.failure_message.as_deref().unwrap_or(""),
            active_threads: self.active_threads,
            url: &self.url,
        }
    }
}
