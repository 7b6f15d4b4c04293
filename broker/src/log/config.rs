//! [`LogConfig`]: per-topic log settings under Kafka's names and defaults, and the
//! [`Clock`] the log reads time from (injected so tests roll and expire without sleeping).
//!
//! A topic's effective settings are the broker's defaults (`BrokerConfig::log`) with the
//! topic's overrides from `/config/topics/<topic>` applied by `LogConfig::with_overrides`,
//! which lives beside the topic-config catalog in `crate::config::topic`.

use std::time::{SystemTime, UNIX_EPOCH};

use super::LogError;
use crate::record::TimestampType;

/// Kafka's `Long.MAX_VALUE` for `flush.messages` / `flush.ms`: never fsync on a count or a
/// timer, rely on the OS and on replication.
pub const NEVER: i64 = i64::MAX;

/// Log settings of one topic (Kafka's topic-level names in the field docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes`: roll the active segment before it would exceed this size.
    pub segment_bytes: i64,
    /// `segment.ms`: roll the active segment once its first batch is this old.
    pub segment_ms: i64,
    /// `retention.ms`: delete segments whose newest timestamp is older (-1 = keep forever).
    pub retention_ms: i64,
    /// `retention.bytes`: delete oldest segments while the log exceeds this size (-1 = none).
    pub retention_bytes: i64,
    /// `index.interval.bytes`: bytes of log between two index entries.
    pub index_interval_bytes: i64,
    /// `segment.index.bytes`: preallocated size of each index file.
    pub segment_index_bytes: i64,
    /// `message.timestamp.type`.
    pub message_timestamp_type: TimestampType,
    /// `flush.messages`: fsync after this many appended records ([`NEVER`] by default).
    pub flush_messages: i64,
    /// `flush.ms`: fsync when the last flush is this old at an append ([`NEVER`] by default).
    pub flush_ms: i64,
    /// `max.message.bytes` (broker-wide `message.max.bytes`): the largest record batch
    /// accepted, after compression.
    pub max_message_bytes: i32,
    /// `cleanup.policy`: delete old segments, compact by key, both or neither.
    pub cleanup_policy: CleanupPolicy,
    /// `compression.type`: the codec batches are stored with (`producer` keeps the
    /// producer's).
    pub compression_type: TopicCompression,
    /// `min.insync.replicas`: replicas that must hold a record before an `acks=all`
    /// produce succeeds.
    pub min_insync_replicas: i32,
    /// `min.compaction.lag.ms`: a record stays uncompacted at least this long.
    pub min_compaction_lag_ms: i64,
    /// `delete.retention.ms`: how long compaction keeps delete tombstones.
    pub delete_retention_ms: i64,
    /// `max.compaction.lag.ms`: a dirty record older than this makes its log eligible for
    /// cleaning whatever its dirty ratio.
    pub max_compaction_lag_ms: i64,
    /// `min.cleanable.dirty.ratio`: the share of dirty bytes that makes a log eligible.
    pub min_cleanable_dirty_ratio: DirtyRatio,
}

/// A ratio in `0.0..=1.0` (`min.cleanable.dirty.ratio`). Compared by bit pattern so
/// [`LogConfig`] stays `Eq` (the values come from parsed config text, never NaN).
#[derive(Debug, Clone, Copy)]
pub struct DirtyRatio(pub f64);

impl DirtyRatio {
    pub fn value(self) -> f64 {
        self.0
    }
}

impl PartialEq for DirtyRatio {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for DirtyRatio {}

/// `cleanup.policy`: a list of `delete` and `compact` (an empty list is valid: neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPolicy {
    /// `delete`: retention by time and size removes old segments.
    pub delete: bool,
    /// `compact`: the cleaner keeps the latest record per key.
    pub compact: bool,
}

impl CleanupPolicy {
    /// Kafka's default, `delete`.
    pub const DELETE: CleanupPolicy = CleanupPolicy {
        delete: true,
        compact: false,
    };
}

/// `compression.type` of a topic: Kafka's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicCompression {
    /// `producer`: batches keep the producer's codec.
    Producer,
    /// `uncompressed`.
    Uncompressed,
    /// `gzip`.
    Gzip,
    /// `snappy`.
    Snappy,
    /// `lz4`.
    Lz4,
    /// `zstd`.
    Zstd,
}

impl TopicCompression {
    /// Kafka's name of the setting's value.
    pub fn name(self) -> &'static str {
        match self {
            TopicCompression::Producer => "producer",
            TopicCompression::Uncompressed => "uncompressed",
            TopicCompression::Gzip => "gzip",
            TopicCompression::Snappy => "snappy",
            TopicCompression::Lz4 => "lz4",
            TopicCompression::Zstd => "zstd",
        }
    }

    /// The value named `name` (exact, lower case, as Kafka accepts it).
    pub fn from_name(name: &str) -> Option<TopicCompression> {
        [
            TopicCompression::Producer,
            TopicCompression::Uncompressed,
            TopicCompression::Gzip,
            TopicCompression::Snappy,
            TopicCompression::Lz4,
            TopicCompression::Zstd,
        ]
        .into_iter()
        .find(|codec| codec.name() == name)
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            index_interval_bytes: 4096,
            segment_index_bytes: 10_485_760,
            message_timestamp_type: TimestampType::CreateTime,
            flush_messages: NEVER,
            flush_ms: NEVER,
            max_message_bytes: 1_048_588,
            cleanup_policy: CleanupPolicy::DELETE,
            compression_type: TopicCompression::Producer,
            min_insync_replicas: 1,
            min_compaction_lag_ms: 0,
            delete_retention_ms: 86_400_000,
            max_compaction_lag_ms: i64::MAX,
            min_cleanable_dirty_ratio: DirtyRatio(0.5),
        }
    }
}

impl LogConfig {
    /// Checks the ranges Kafka enforces (segment.bytes >= 14, index sizes >= one entry, …).
    pub fn validate(&self) -> Result<(), LogError> {
        let checks: [(&'static str, i64, bool, &'static str); 7] = [
            (
                "segment.bytes",
                self.segment_bytes,
                self.segment_bytes >= 14,
                "must be >= 14",
            ),
            (
                "segment.ms",
                self.segment_ms,
                self.segment_ms >= 1,
                "must be >= 1",
            ),
            (
                "retention.ms",
                self.retention_ms,
                self.retention_ms >= -1,
                "must be >= -1",
            ),
            (
                "index.interval.bytes",
                self.index_interval_bytes,
                self.index_interval_bytes >= 0,
                "must be >= 0",
            ),
            (
                "segment.index.bytes",
                self.segment_index_bytes,
                self.segment_index_bytes >= 12,
                "must be >= 12",
            ),
            (
                "flush.messages",
                self.flush_messages,
                self.flush_messages >= 1,
                "must be >= 1",
            ),
            (
                "flush.ms",
                self.flush_ms,
                self.flush_ms >= 0,
                "must be >= 0",
            ),
        ];
        for (name, value, ok, reason) in checks {
            if !ok {
                return Err(LogError::InvalidConfig {
                    name,
                    value,
                    reason,
                });
            }
        }
        Ok(())
    }
}

/// Wall-clock milliseconds since the epoch, as the log sees them.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug, Default)]
pub struct ManualClock {
    now_ms: std::sync::atomic::AtomicI64,
}

impl ManualClock {
    pub fn new(now_ms: i64) -> Self {
        ManualClock {
            now_ms: std::sync::atomic::AtomicI64::new(now_ms),
        }
    }

    pub fn set(&self, now_ms: i64) {
        self.now_ms
            .store(now_ms, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn advance(&self, by_ms: i64) {
        self.now_ms
            .fetch_add(by_ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now_ms.load(std::sync::atomic::Ordering::SeqCst)
    }
}
