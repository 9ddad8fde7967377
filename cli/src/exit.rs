//! Exit codes, as Taurus defines them, and how errors reach the user.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Error = 1,
    Interrupted = 2,
    FailureCriteria = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Prints an error the way every subcommand does: one `error:` line, the cause chain after it.
/// Each error type's message describes its own layer and leaves the cause to `source()`, so the
/// chain prints every cause once.
pub fn report_error(error: &anyhow::Error) -> Exit {
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    Exit::Error
}

/// An error and its causes on one line (`message: cause: cause`), for notes inside a live view.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        line.push_str(": ");
        line.push_str(&next.to_string());
        cause = next.source();
    }
    line
}
