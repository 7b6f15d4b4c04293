//! Loading an offsets partition: read `__consumer_offsets-<p>` from its log start to its
//! end and replay every record into groups — the latest group metadata and the latest
//! offset per (group, topic, partition) win; a tombstone removes what its key names.
//!
//! Runs on a storage thread with the log dir locked (see [`crate::handler::Storage`]), so
//! no append to the partition interleaves with the replay. Records that do not decode (a
//! newer schema, a corrupt value) are skipped with a warning; compressed batches are
//! skipped too (this broker writes its own batches uncompressed), as are control batches.

use std::collections::BTreeMap;

use tokio::time::Instant;

use super::records::{GroupMetadataValue, OffsetValue, RecordKey};
use super::state::Group;
use super::OFFSETS_TOPIC;
use crate::log::{LogDir, LogError, TopicPartition};
use crate::record::split_batches;

/// What one partition holds once replayed.
#[derive(Debug, Default)]
pub struct Replayed {
    /// group → its latest metadata.
    pub metadata: BTreeMap<String, GroupMetadataValue>,
    /// group → (topic, partition) → committed offset.
    pub offsets: BTreeMap<String, BTreeMap<(String, i32), OffsetValue>>,
    /// Records skipped because they did not decode.
    pub skipped: usize,
}

impl Replayed {
    /// Applies one record (value `None`: tombstone).
    pub fn apply(&mut self, key: &[u8], value: Option<&[u8]>) {
        let decoded = match RecordKey::decode(key) {
            Ok(Some(decoded)) => decoded,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "skipping an undecodable key in {OFFSETS_TOPIC}");
                self.skipped += 1;
                return;
            }
        };
        match decoded {
            RecordKey::Offset {
                group,
                topic,
                partition,
            } => match value.map(OffsetValue::decode) {
                None => {
                    if let Some(offsets) = self.offsets.get_mut(&group) {
                        offsets.remove(&(topic, partition));
                    }
                }
                Some(Ok(value)) => {
                    self.offsets
                        .entry(group)
                        .or_default()
                        .insert((topic, partition), value);
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, %group, "skipping an undecodable offset commit");
                    self.skipped += 1;
                }
            },
            RecordKey::Group { group } => match value.map(GroupMetadataValue::decode) {
                None => {
                    self.metadata.remove(&group);
                    // A group tombstone follows the tombstones of all its offsets.
                    self.offsets.remove(&group);
                }
                Some(Ok(value)) => {
                    self.metadata.insert(group, value);
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, %group, "skipping undecodable group metadata");
                    self.skipped += 1;
                }
            },
        }
    }

    /// The groups replayed: those with metadata (Stable with members, or Empty) and those
    /// with offsets only (Empty, no protocol).
    pub fn into_groups(self, now: Instant, now_ms: i64) -> BTreeMap<String, Group> {
        let mut groups = BTreeMap::new();
        for (id, value) in &self.metadata {
            groups.insert(id.clone(), Group::from_stored(id, value, now, now_ms));
        }
        for (id, offsets) in self.offsets {
            if offsets.is_empty() && !groups.contains_key(&id) {
                continue;
            }
            let group = groups
                .entry(id.clone())
                .or_insert_with(|| Group::new(&id, now_ms));
            if !self.metadata.contains_key(&id) {
                // No stored state timestamp: offsets expire from their commit times.
                if let Some(latest) = offsets.values().map(|value| value.commit_timestamp).max() {
                    group.state_timestamp_ms = latest;
                }
            }
            group.offsets = offsets;
        }
        groups
    }
}

/// Replays `__consumer_offsets-<partition>` from `dir`, reading `buffer_size` bytes at a
/// time. A partition without a log yet replays as empty.
pub fn replay_partition(
    dir: &LogDir,
    partition: i32,
    buffer_size: usize,
) -> Result<Replayed, LogError> {
    let mut replayed = Replayed::default();
    let Some(log) = dir.log(&TopicPartition::new(OFFSETS_TOPIC, partition)) else {
        return Ok(replayed);
    };
    let end = log.log_end_offset();
    let mut offset = log.log_start_offset();
    while offset < end {
        let read = log.read(offset, buffer_size.max(1))?;
        if read.records.is_empty() {
            break;
        }
        let batches = match split_batches(&read.records) {
            Ok(batches) => batches,
            Err(error) => {
                tracing::warn!(%error, partition, offset, "unreadable batch in {OFFSETS_TOPIC}; stopping the replay here");
                break;
            }
        };
        let mut next = offset;
        for batch in batches {
            next = next.max(batch.next_offset());
            if batch.last_offset() < offset || batch.header().is_control() {
                continue;
            }
            let records = match batch.records() {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!(%error, partition, "skipping a batch of {OFFSETS_TOPIC}");
                    replayed.skipped += 1;
                    continue;
                }
            };
            for record in records {
                match record {
                    Ok(record) => {
                        if let Some(key) = record.key {
                            replayed.apply(key, record.value);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, partition, "skipping the rest of a batch of {OFFSETS_TOPIC}");
                        replayed.skipped += 1;
                        break;
                    }
                }
            }
        }
        if next <= offset {
            break;
        }
        offset = next;
    }
    Ok(replayed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::group::records::MemberMetadata;
    use crate::group::state::GroupState;
    use crate::log::{LogConfig, SystemClock};
    use crate::record::{BatchBuilder, TimestampType};

    fn offset_key(group: &str, topic: &str, partition: i32) -> Vec<u8> {
        RecordKey::Offset {
            group: group.to_owned(),
            topic: topic.to_owned(),
            partition,
        }
        .encode()
    }

    fn offset_value(offset: i64) -> Vec<u8> {
        OffsetValue {
            offset,
            leader_epoch: -1,
            metadata: String::new(),
            commit_timestamp: 1000,
            expire_timestamp: -1,
        }
        .encode()
    }

    #[test]
    fn the_latest_record_per_key_wins_and_tombstones_remove() {
        let temp = tempfile::tempdir().unwrap();
        let mut dir =
            LogDir::open(temp.path(), LogConfig::default(), Arc::new(SystemClock)).unwrap();
        let log = dir
            .get_or_create(&TopicPartition::new(OFFSETS_TOPIC, 3))
            .unwrap();
        let group_value = GroupMetadataValue {
            protocol_type: "consumer".to_owned(),
            generation: 2,
            protocol: Some("range".to_owned()),
            leader: Some("m".to_owned()),
            current_state_timestamp: 5,
            members: vec![MemberMetadata {
                member_id: "m".to_owned(),
                session_timeout_ms: 10_000,
                rebalance_timeout_ms: 10_000,
                ..MemberMetadata::default()
            }],
        };
        let mut first = BatchBuilder::new(1000);
        first
            .record(
                1000,
                Some(&offset_key("g", "t", 0)),
                Some(&offset_value(5)),
                &[],
            )
            .record(
                1000,
                Some(&offset_key("g", "t", 1)),
                Some(&offset_value(6)),
                &[],
            )
            .record(
                1000,
                Some(&offset_key("gone", "t", 0)),
                Some(&offset_value(1)),
                &[],
            )
            .record(
                1000,
                Some(&RecordKey::Group { group: "g".into() }.encode()),
                Some(&group_value.encode()),
                &[],
            );
        log.append(&first.build(), TimestampType::CreateTime)
            .unwrap();
        let mut second = BatchBuilder::new(1000);
        second
            .record(
                1000,
                Some(&offset_key("g", "t", 0)),
                Some(&offset_value(9)),
                &[],
            )
            .record(1000, Some(&offset_key("g", "t", 1)), None, &[])
            .record(1000, Some(&offset_key("gone", "t", 0)), None, &[])
            .record(1000, Some(&[0, 9, 1]), Some(&[1]), &[])
            .record(1000, Some(&offset_key("g", "t", 2)), Some(&[0, 7]), &[]);
        log.append(&second.build(), TimestampType::CreateTime)
            .unwrap();

        let replayed = replay_partition(&dir, 3, 64).unwrap();
        assert_eq!(replayed.skipped, 1, "the value of an unknown version");
        let groups = replayed.into_groups(Instant::now(), 2000);
        assert_eq!(groups.keys().collect::<Vec<_>>(), vec!["g"]);
        let group = &groups["g"];
        assert_eq!(group.state, GroupState::Stable);
        assert_eq!(group.generation, 2);
        assert_eq!(group.offsets.len(), 1);
        assert_eq!(group.offsets[&("t".to_owned(), 0)].offset, 9);
        assert!(replay_partition(&dir, 4, 64).unwrap().metadata.is_empty());
    }
}
