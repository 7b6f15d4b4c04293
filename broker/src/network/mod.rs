//! The broker's network layer: where a request's path starts and ends.
//!
//! - [`frame`] — 4-byte big-endian size-prefixed frames; the size is checked against
//!   `socket.request.max.bytes` before any buffer is allocated.
//! - [`connection`] — one client connection: frame → request header → version check →
//!   [`crate::handler::dispatch`] → response frame with the same correlation id. Requests of a
//!   connection are served one at a time, so responses leave in request order (as Kafka, which
//!   mutes a channel while one of its requests is in flight).
//! - [`spliced`] — response frames whose records are sent from the log files with
//!   `sendfile(2)` (fetch answers), and the writer of queued frames.
//! - [`error`] — [`NetworkError`]: every reason a connection is closed.
//!
//! Crash policy: nothing a peer sends can stop the broker; a bad frame, an unknown API or an
//! unsupported version (other than ApiVersions) closes that one connection.

pub mod connection;
pub mod error;
pub mod frame;
pub mod spliced;

pub use error::NetworkError;
