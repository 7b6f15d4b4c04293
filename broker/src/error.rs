//! The broker's error types, one per subsystem, gathered here for callers.
//!
//! - [`RecordError`]: a record batch or record set that does not decode or validate (what the
//!   produce path answers with `CORRUPT_MESSAGE` / `INVALID_RECORD`).
//! - [`LogError`]: partition log failures — I/O on a named file, out-of-range offsets, bad
//!   configuration. A failed write or fsync is not retried: the caller takes the log dir offline.
//! - [`NetworkError`]: why a client connection was closed.
//! - [`StorageError`]: a storage call made by a request handler that failed.
//! - [`ServerError`]: the broker could not start or stop cleanly.

pub use crate::handler::StorageError;
pub use crate::log::error::LogError;
pub use crate::network::NetworkError;
pub use crate::record::error::RecordError;
pub use crate::server::ServerError;
