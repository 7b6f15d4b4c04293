//! [`LogError`]: partition log failures.
//!
//! I/O failures name the file and the action; a failed write or fsync is never retried by
//! this layer (the caller takes the log dir offline). Corruption found during recovery is not
//! an error: it is truncated and reported as a `RecoveryWarning`.

use std::io;
use std::path::PathBuf;

use crate::record::RecordError;

/// A partition log or log-dir operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A batch handed to `append` was refused; nothing of that append was written.
    #[error("invalid record batch at index {batch_index} of the append: {source}")]
    InvalidBatch {
        batch_index: usize,
        #[source]
        source: RecordError,
    },
    #[error("offset {requested} out of range [{log_start_offset}, {log_end_offset}]")]
    OffsetOutOfRange {
        requested: i64,
        log_start_offset: i64,
        log_end_offset: i64,
    },
    /// A file name in the log dir that should encode a base offset or a topic-partition.
    #[error("unrecognised name {name:?} in {dir}")]
    BadFileName { dir: PathBuf, name: String },
    /// A checkpoint file whose content is not Kafka's text format.
    #[error("malformed checkpoint {path} line {line}: {reason}")]
    MalformedCheckpoint {
        path: PathBuf,
        line: usize,
        reason: &'static str,
    },
    /// A configuration value outside its allowed range.
    #[error("invalid config {name} = {value}: {reason}")]
    InvalidConfig {
        name: &'static str,
        value: i64,
        reason: &'static str,
    },
    /// One append larger than a whole segment may hold.
    #[error("append of {size} bytes exceeds segment.bytes {segment_bytes}")]
    AppendTooLarge { size: usize, segment_bytes: i64 },
    /// An append with no batches.
    #[error("append holds no record batch")]
    EmptyAppend,
    /// The log was deleted; it accepts no further calls.
    #[error("log {dir} is deleted")]
    Deleted { dir: PathBuf },
}

impl LogError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> LogError {
        let path = path.into();
        move |source| LogError::Io {
            action,
            path,
            source,
        }
    }
}
