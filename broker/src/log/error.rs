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
    /// A follower append whose batch starts below the offset the log (or the append's
    /// previous batch) ends at: its leader's batches overlap what this log holds, so the
    /// caller truncates or fetches again from `expected`. Nothing of the append was written.
    #[error("batch {batch_index} of the follower append starts at offset {found}, below the expected {expected}")]
    UnexpectedAppendOffset {
        batch_index: usize,
        expected: i64,
        found: i64,
    },
    /// An append with no batches.
    #[error("append holds no record batch")]
    EmptyAppend,
    /// A batch of an idempotent producer refused by its partition's producer state.
    #[error("batch {batch_index} of the append: {source}")]
    Producer {
        batch_index: usize,
        #[source]
        source: super::producer_state::ProducerStateError,
    },
    /// A client sent a control batch (only transaction markers are control batches).
    #[error("batch {batch_index} of the append is a control batch")]
    ControlBatch { batch_index: usize },
    /// A record without a key sent to a compacted topic.
    #[error("batch {batch_index} of the append: record {record_index} has no key, which a compacted topic refuses")]
    KeylessRecord {
        batch_index: usize,
        record_index: i32,
    },
    /// A transactional batch: transactions are not supported (no transaction coordinator).
    #[error("batch {batch_index} of the append is transactional (producer {producer_id}); transactions are not supported")]
    TransactionalBatch {
        batch_index: usize,
        producer_id: i64,
    },
    /// A write failed and cutting the file back to its size before the append failed too:
    /// the file may hold part of a batch, so the log goes offline.
    #[error("write to {path} failed ({write}) and could not be undone: {truncate}")]
    AppendNotUndone {
        path: PathBuf,
        write: io::Error,
        truncate: io::Error,
    },
    /// The log went offline after a write it could not undo or a failed fsync.
    #[error("log {dir} is offline: {reason}")]
    Offline { dir: PathBuf, reason: String },
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
