//! JMeter CSV result files ("JTL"): the format every JMeter-based tool reads and writes.
//!
//! - [`writer`] turns our own [`Sample`](crate::sample::Sample)s into rows of the JMeter default
//!   17-column layout, on the hot path of a run (formatting into one reused buffer, no per-row
//!   allocation), quoting exactly like JMeter so Taurus, `jmeter -g` and BlazeMeter read it.
//! - [`reader`] reads a JTL CSV written by *any* JMeter-based tool (JMeter, Taurus, apiritif, …),
//!   streaming in constant memory, and yields each row as a source-neutral
//!   [`Observation`](crate::sample::Observation), so `vajra report` computes statistics through
//!   the same code path as a live run.
//!
//! The column names shared by both halves live here.

pub mod reader;
pub mod writer;

pub use reader::{BadRow, BadRowReport, JtlError, JtlReader, JtlRecord};
pub use writer::{quote_field, us_to_ms, JtlWriter, MAX_FIELD_BYTES};

/// The JMeter default header (JMeter 5.x shipped `jmeter.properties`), in canonical order.
pub const JMETER_DEFAULT_HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,\
threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,\
IdleTime,Connect";

/// `responseMessage` prefix JMeter gives Transaction Controller rows.
pub const TRANSACTION_MESSAGE_PREFIX: &str = "Number of samples in transaction";
