//! The broker's error types, one per subsystem, gathered here for callers.
//!
//! - [`RecordError`]: a record batch or record set that does not decode or validate (what the
//!   produce path answers with `CORRUPT_MESSAGE` / `INVALID_RECORD`).
//! - [`LogError`]: partition log failures — I/O on a named file, out-of-range offsets, bad
//!   configuration. A failed write or fsync is not retried: the caller takes the log dir offline.

pub use crate::log::error::LogError;
pub use crate::record::error::RecordError;
