//! The group coordinator: Kafka's classic consumer-group protocol and committed offsets,
//! stored in the internal compacted topic `__consumer_offsets`.
//!
//! Where it sits: the group handlers (`handler::join_group`, `sync_group`, `heartbeat`,
//! `leave_group`, `offset_commit`, `offset_fetch`, `list_groups`, `describe_groups`,
//! `delete_groups`, `offset_delete`, `find_coordinator`) call [`GroupCoordinator`]; it
//! keeps the groups of the offsets partitions this broker leads in memory and writes every
//! change that must survive a restart to that partition's log, as a produce would
//! (`append_as_leader`, the log's flush policy).
//!
//! - [`state`] — [`state::Group`]: the state machine of one group (Empty,
//!   PreparingRebalance, CompletingRebalance, Stable, Dead), its members, their deadlines
//!   and its committed offsets. No I/O: it is handed the time and answers waiting joins and
//!   syncs through channels.
//! - [`coordinator`] — [`GroupCoordinator`]: which groups this broker coordinates (one
//!   offsets partition per group: [`partition_for`]), the lock over the groups, persistence,
//!   the timer task (session, rebalance and sync deadlines, offset retention), loading and
//!   unloading partitions as leadership moves.
//! - [`loader`] — replaying an offsets partition from its log start into groups.
//! - [`records`] — the key/value codecs of `__consumer_offsets` (Kafka's schemas).
//! - [`error`] — [`GroupError`] and its wire codes.

pub mod coordinator;
pub mod error;
pub mod loader;
pub mod records;
pub mod state;

use std::time::Duration;

pub use coordinator::GroupCoordinator;
pub use error::GroupError;

/// The internal topic holding committed offsets and group metadata.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// The group coordinator's settings (server.properties names in the field docs), with
/// Kafka's defaults from [`GroupConfig::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    /// `group.min.session.timeout.ms`.
    pub min_session_timeout: Duration,
    /// `group.max.session.timeout.ms`.
    pub max_session_timeout: Duration,
    /// `group.initial.rebalance.delay.ms`.
    pub initial_rebalance_delay: Duration,
    /// `group.max.size`.
    pub max_size: i32,
    /// `offsets.topic.num.partitions`.
    pub offsets_topic_num_partitions: i32,
    /// `offsets.topic.replication.factor`.
    pub offsets_topic_replication_factor: i16,
    /// `offsets.topic.segment.bytes`.
    pub offsets_topic_segment_bytes: i32,
    /// `offsets.retention.minutes`.
    pub offsets_retention: Duration,
    /// `offsets.retention.check.interval.ms`.
    pub offsets_retention_check_interval: Duration,
    /// `offsets.commit.timeout.ms`.
    pub offsets_commit_timeout: Duration,
    /// `offsets.load.buffer.size`.
    pub offsets_load_buffer_size: i32,
    /// `offset.metadata.max.bytes`.
    pub offset_metadata_max_bytes: i32,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            min_session_timeout: Duration::from_millis(6_000),
            max_session_timeout: Duration::from_millis(1_800_000),
            initial_rebalance_delay: Duration::from_millis(3_000),
            max_size: i32::MAX,
            offsets_topic_num_partitions: 50,
            offsets_topic_replication_factor: 3,
            offsets_topic_segment_bytes: 104_857_600,
            offsets_retention: Duration::from_secs(10_080 * 60),
            offsets_retention_check_interval: Duration::from_millis(600_000),
            offsets_commit_timeout: Duration::from_millis(5_000),
            offsets_load_buffer_size: 5_242_880,
            offset_metadata_max_bytes: 4096,
        }
    }
}

impl GroupConfig {
    /// The group settings of a loaded `server.properties`.
    pub fn from_broker_config(config: &crate::config::BrokerConfig) -> GroupConfig {
        GroupConfig {
            min_session_timeout: config.group_min_session_timeout,
            max_session_timeout: config.group_max_session_timeout,
            initial_rebalance_delay: config.group_initial_rebalance_delay,
            max_size: config.group_max_size,
            offsets_topic_num_partitions: config.offsets_topic_num_partitions,
            offsets_topic_replication_factor: config.offsets_topic_replication_factor,
            offsets_topic_segment_bytes: config.offsets_topic_segment_bytes,
            offsets_retention: config.offsets_retention,
            offsets_retention_check_interval: config.offsets_retention_check_interval,
            offsets_commit_timeout: config.offsets_commit_timeout,
            offsets_load_buffer_size: config.offsets_load_buffer_size,
            offset_metadata_max_bytes: config.offset_metadata_max_bytes,
        }
    }
}

/// Java's `String.hashCode` of `text`: over its UTF-16 code units, `h = 31 * h + unit`
/// with 32-bit wrap-around. Kafka places groups with it, so a group lands on the same
/// offsets partition here as on a Kafka broker.
pub fn java_string_hash(text: &str) -> i32 {
    let mut hash: i32 = 0;
    for unit in text.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    hash
}

/// The offsets partition of `group` among `partitions` (Kafka's
/// `Utils.abs(groupId.hashCode) % partitions`, where `abs` masks the sign bit).
pub fn partition_for(group: &str, partitions: i32) -> i32 {
    let positive = java_string_hash(group) & 0x7fff_ffff;
    if partitions <= 0 {
        return 0;
    }
    positive % partitions
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_java_string_hash_code() {
        // Values of "…".hashCode() in Java.
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash("my-group"), -1_906_497_762);
        // Non-BMP characters hash as their two UTF-16 surrogates.
        assert_eq!(
            java_string_hash("\u{1F600}"),
            0xD83D_i32.wrapping_mul(31).wrapping_add(0xDE00)
        );
    }

    #[test]
    fn partitions_mask_the_sign_bit_like_kafka() {
        assert_eq!(partition_for("hello", 50), 99_162_322 % 50);
        let negative = java_string_hash("my-group");
        assert!(negative < 0);
        assert_eq!(partition_for("my-group", 50), (negative & 0x7fff_ffff) % 50);
        assert_eq!(partition_for("x", 0), 0);
    }
}
