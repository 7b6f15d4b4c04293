//! Partition logs on disk.
//!
//! - [`config`] — [`LogConfig`] (Kafka's topic settings) and the injectable [`Clock`].
//! - [`index`] — the sparse offset and time indexes of a segment.
//! - [`segment`] — one log file and its indexes: append, read, lookup, recovery.
//! - [`partition_log`] — [`PartitionLog`]: append, read, roll, flush, retention, truncation,
//!   recovery on open.
//! - [`epoch_cache`] — [`LeaderEpochCache`]: the partition's leader epochs and their start
//!   offsets (`leader-epoch-checkpoint`), for OffsetForLeaderEpoch and follower truncation.
//! - [`producer_state`] — [`ProducerStates`]: idempotent producers' epochs and last batches
//!   per partition (duplicates, sequence checks) and their snapshot files.
//! - [`cleaner`] — log compaction: the cleaner threads, the offset map, the segment
//!   rewrite and the crash-safe swap of cleaned segments.
//! - [`log_dir`] — [`LogDir`]: partition folders, checkpoints, the clean-shutdown marker.
//! - [`checkpoint`] — the log-dir checkpoint files and [`TopicPartition`].
//! - [`meta_properties`] — `meta.properties`: the broker and cluster a log dir belongs to.
//! - [`error`] — [`LogError`].

pub mod checkpoint;
pub mod cleaner;
pub mod config;
pub mod epoch_cache;
pub mod error;
pub mod index;
pub mod log_dir;
pub mod meta_properties;
pub mod partition_log;
pub mod producer_state;
pub mod segment;

pub use checkpoint::TopicPartition;
pub use config::{Clock, LogConfig, ManualClock, SystemClock};
pub use epoch_cache::{EpochEntry, LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET};
pub use error::LogError;
pub use log_dir::LogDir;
pub use partition_log::{
    AppendInfo, LogStart, PartitionLog, ReadResult, RecoveryWarning, RetentionOutcome, Shutdown,
    SlicedRead, DEFAULT_LEADER_EPOCH,
};
pub use producer_state::{ProducerStateError, ProducerStates};
pub use segment::FileSlice;

#[cfg(test)]
mod replication_tests;
#[cfg(test)]
mod tests;
