//! Durable storage: transaction log, snapshots, recovery, purge.
//!
//! The processor encodes its transactions and its tree; this module stores those bytes and
//! gives them back after a restart. It owns the file formats, checksums, fsync discipline,
//! recovery and purge. Every call is blocking `std::fs` code, run on the processor's storage
//! threads, never on the async runtime.
//!
//! On disk (similar in spirit to ZooKeeper's layout, not byte-compatible with it):
//!
//! ```text
//! <dataDir>/version-2/coordinator.lock          exclusive lock while a server runs
//! <dataDir>/version-2/snapshot.<hex zxid>       state complete up to zxid   (snapshot.rs)
//! <dataLogDir>/version-2/coordinator.lock
//! <dataLogDir>/version-2/log.<hex first zxid>   consecutive txn entries     (logfile.rs)
//! ```
//!
//! Modules:
//! - `dirs.rs`: [`DataDirs`], directory creation, locking, file names.
//! - `logfile.rs`: the txn log byte format and the scanner that reads it back.
//! - `txnlog.rs`: [`TxnLog`], the writer (buffer, group commit, preallocation, roll).
//! - `snapshot.rs`: snapshot format, durable write, verification.
//! - `recovery.rs`: snapshot + log replay set, torn-tail repair, gap detection.
//! - `purge.rs`: retention of snapshots and the logs they need.
//! - `error.rs`: [`PersistError`].
//!
//! Durability contract: a `TxnLog::commit` that returned `Ok` (with `force_sync`) survives a
//! crash, and so does a snapshot once `write_snapshot` returned. Anything else may be lost, but
//! never half-applied: recovery cuts torn log tails and skips damaged snapshots, and refuses
//! (with an error) a log with damage or gaps where acknowledged transactions must be.

mod dirs;
mod error;
mod logfile;
mod purge;
mod recovery;
mod snapshot;
mod txnlog;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;

pub use dirs::DataDirs;
pub use error::{FileAction, LogDefect, PersistError};
pub use purge::{PurgeReport, MIN_RETAINED_SNAPSHOTS};
pub use recovery::{LoadedSnapshot, LogEntry, Recovery};
pub use txnlog::{LogOptions, TxnLog};
