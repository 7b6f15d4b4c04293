//! The shell's standard output and error.
//!
//! zkCli writes results and watch events to stdout and diagnostics ("Created /x", errors,
//! notices) to stderr; [`Console`] keeps that split. Write failures (a closed pipe when the
//! output goes to `head`) are ignored rather than turned into panics, and every write is
//! flushed so that prompts and partial lines (`setAcl -R` errors) appear at once.

use std::io::Write;

/// Writes to the process's stdout and stderr.
#[derive(Debug, Default, Clone, Copy)]
pub struct Console;

impl Console {
    /// `text` on stdout, as is.
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ignored = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    }

    /// `text` and a newline on stdout.
    pub fn out_line(&self, text: &str) {
        self.out(&format!("{text}\n"));
    }

    /// `text` on stderr, as is.
    pub fn err(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ignored = stderr
            .write_all(text.as_bytes())
            .and_then(|()| stderr.flush());
    }

    /// `text` and a newline on stderr.
    pub fn err_line(&self, text: &str) {
        self.err(&format!("{text}\n"));
    }
}
