//! Errors of the test harness: starting and stopping server processes, and speaking raw jute
//! to them. Helpers whose contract is to fail the calling test (`wait_until`,
//! `CoordinatorProcess::four_letter`) panic instead of returning these.

use std::process::ExitStatus;
use std::time::Duration;

/// Everything the harness can fail at.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// An operating-system call failed.
    #[error("I/O error while {action}: {source}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },

    /// `COORDINATOR_TEST_SERVER` names no server kind this harness knows.
    #[error(
        "COORDINATOR_TEST_SERVER={value:?} is not one of \"coordinator\", \"apache-zookeeper\""
    )]
    UnknownServerKind { value: String },

    /// The server process ended before it answered `ruok`.
    #[error(
        "server process exited with {status} before it was ready; its log ends with:\n{log_tail}"
    )]
    ServerExited {
        status: ExitStatus,
        log_tail: String,
    },

    /// The server process runs but did not answer `ruok` with `imok` in time (it is killed).
    #[error("server on port {port} not ready after {waited:?}; its log ends with:\n{log_tail}")]
    NotReady {
        port: u16,
        waited: Duration,
        log_tail: String,
    },

    /// The server process did not exit after SIGTERM within the grace period.
    #[error("server process {pid} did not exit within {grace:?} of SIGTERM")]
    StopTimedOut { pid: u32, grace: Duration },

    /// The peer closed the connection (EOF or reset).
    #[error("connection closed by the server while {action}")]
    Closed { action: String },

    /// Nothing arrived in time.
    #[error("timed out after {timeout:?} while {action}")]
    Timeout { action: String, timeout: Duration },

    /// A frame arrived whose length prefix cannot be a jute frame.
    #[error("server sent a frame with invalid length {length}")]
    BadFrameLength { length: i32 },

    /// A record ended before one of its fields.
    #[error("record truncated reading {field}: needs {needed} bytes, {remaining} left")]
    Truncated {
        field: &'static str,
        needed: usize,
        remaining: usize,
    },

    /// A jute string was not UTF-8.
    #[error("record field {field} is not UTF-8")]
    NotUtf8 { field: &'static str },

    /// A reply arrived for another request than the one awaited.
    #[error("expected the reply to xid {expected}, got xid {got}")]
    UnexpectedXid { expected: i32, got: i32 },

    /// The server answered the handshake with the "expired" response (session id 0).
    #[error("server rejected the session handshake (session expired or bad password)")]
    SessionRejected,
}

impl TestkitError {
    /// Wraps an I/O error with what the harness was doing.
    pub fn io(action: impl Into<String>, source: std::io::Error) -> Self {
        TestkitError::Io {
            action: action.into(),
            source,
        }
    }
}
