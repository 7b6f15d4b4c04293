//! Errors of the persistence layer: what failed, on which file, and what was found there.
//!
//! Every variant that concerns a file carries its path; I/O failures carry the `io::Error` and
//! the action that failed, corruption carries the offset and a [`LogDefect`]. The processor
//! treats any of these from a write or an fsync as fatal (a failed fsync is never retried).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// The file-system action an [`PersistError::Io`] failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    CreateDirectory,
    ReadDirectory,
    SyncDirectory,
    Inspect,
    Open,
    Create,
    Read,
    Write,
    Sync,
    Preallocate,
    Truncate,
    Rename,
    Remove,
    Lock,
}

impl fmt::Display for FileAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self {
            FileAction::CreateDirectory => "create directory",
            FileAction::ReadDirectory => "list directory",
            FileAction::SyncDirectory => "fsync directory",
            FileAction::Inspect => "inspect",
            FileAction::Open => "open",
            FileAction::Create => "create",
            FileAction::Read => "read",
            FileAction::Write => "write",
            FileAction::Sync => "fsync",
            FileAction::Preallocate => "preallocate",
            FileAction::Truncate => "truncate",
            FileAction::Rename => "rename",
            FileAction::Remove => "remove",
            FileAction::Lock => "lock",
        };
        f.write_str(verb)
    }
}

/// What was wrong at a given offset of a txn log file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogDefect {
    /// The file is shorter than the header, or the header is all zero bytes: the file was being
    /// created when the process stopped.
    #[error("no complete file header ({file_len} bytes in the file)")]
    MissingHeader { file_len: u64 },
    #[error("bad magic {found:#010x} (not a txn log of this product)")]
    BadMagic { found: u32 },
    #[error("unsupported txn log format version {found}")]
    UnsupportedVersion { found: u32 },
    /// The file ends inside an entry.
    #[error("entry needs {needed} bytes but only {available} remain in the file")]
    ShortEntry { needed: u64, available: u64 },
    /// A length too small to hold even the zxid.
    #[error("entry length {len} is below the minimum of 8")]
    BadLength { len: u32 },
    #[error("entry checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    ChecksumMismatch { stored: u32, computed: u32 },
    /// A zero length marks the end of the written part, yet non-zero bytes follow it.
    #[error("end marker followed by non-zero data at offset {nonzero_at}")]
    DataAfterEnd { nonzero_at: u64 },
}

impl LogDefect {
    /// True when the defect is what an interrupted write leaves behind (or a damaged entry), so
    /// that cutting the file at the defect is the right repair for the newest log file. A foreign
    /// magic or an unknown version is never cut away: the file may not be ours to destroy.
    pub fn is_repairable_tail(&self) -> bool {
        !matches!(
            self,
            LogDefect::BadMagic { .. } | LogDefect::UnsupportedVersion { .. }
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("{path} is not a directory")]
    NotADirectory { path: PathBuf },

    #[error("directory {path} is not writable: {source}")]
    NotWritable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "directory {path} is locked by another process (two servers cannot share a data directory)"
    )]
    Locked { path: PathBuf },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: FileAction,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("txn log {path} is corrupt at offset {offset}: {defect}")]
    CorruptLog {
        path: PathBuf,
        offset: u64,
        defect: LogDefect,
    },

    /// The log does not continue where it must: transactions are missing (or repeated).
    #[error("txn log {path} at offset {offset}: expected zxid {expected:#x} but found {found:#x}; the log is not consecutive")]
    ZxidGap {
        path: PathBuf,
        offset: u64,
        expected: i64,
        found: i64,
    },

    #[error("txn log {path} is named for zxid {named:#x} but its first entry has zxid {found:#x}")]
    LogNameMismatch {
        path: PathBuf,
        named: i64,
        found: i64,
    },

    #[error("txn log {path} already exists and holds entries")]
    LogExists { path: PathBuf },

    #[error(
        "zxid {found:#x} appended where {expected:#x} was due: a txn log takes consecutive zxids"
    )]
    ZxidOutOfOrder { expected: i64, found: i64 },

    #[error("zxid {zxid} is out of range: the smallest allowed here is {min}")]
    InvalidZxid { zxid: i64, min: i64 },

    #[error("txn payload of {len} bytes exceeds the entry limit of {max} bytes")]
    PayloadTooLarge { len: usize, max: usize },

    #[error("txn log {path} accepts no more writes after an earlier write or fsync failure")]
    LogFailed { path: PathBuf },

    /// Recovery skipped unusable snapshots and then could not recover from older state either
    /// (typically because the log that older state needs was purged).
    #[error("{count} snapshot(s) unusable (newest {newest}), and recovery from older state failed: {source}")]
    SnapshotFallbackFailed {
        newest: PathBuf,
        count: usize,
        #[source]
        source: Box<PersistError>,
    },
}

impl PersistError {
    pub(crate) fn io(action: FileAction, path: impl Into<PathBuf>, source: io::Error) -> Self {
        PersistError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
