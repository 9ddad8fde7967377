//! Standard output and error that a closed reader cannot crash.
//!
//! `vajra run plan.yaml | head -1` closes the pipe while vajra still prints; std's `println!`
//! then panics ("failed printing to stdout: Broken pipe", exit 101) before the results are
//! written. The crate's `println!`, `print!`, `eprintln!` and `eprint!` (defined in `main.rs`)
//! come here instead and drop what cannot be written: the result files are the record of a run,
//! and the exit code must still say how it went (0–3).

use std::fmt;
use std::io::{self, Write};

/// What `println!`/`print!` do: write to standard output, ignoring failures.
pub fn out(args: fmt::Arguments<'_>, newline: bool) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_fmt(args);
    if newline {
        let _ = stdout.write_all(b"\n");
    }
}

/// What `eprintln!`/`eprint!` do: write to standard error, ignoring failures.
pub fn err(args: fmt::Arguments<'_>, newline: bool) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_fmt(args);
    if newline {
        let _ = stderr.write_all(b"\n");
    }
}

/// Standard output as a writer for functions that take one: a closed pipe (the reader has all
/// it wanted) is success; any other failure is still an error.
pub fn stdout() -> Stdout {
    Stdout(io::stdout())
}

pub struct Stdout(io::Stdout);

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}
