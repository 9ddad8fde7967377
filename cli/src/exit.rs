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
pub fn report_error(error: &anyhow::Error) -> Exit {
    let message = error.to_string();
    eprintln!("error: {message}");
    // Many of our errors already spell out their cause; don't repeat it.
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !message.contains(&cause) {
            eprintln!("  caused by: {cause}");
        }
    }
    Exit::Error
}
