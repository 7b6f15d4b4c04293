//! OffsetCommit: a group's consumed positions, written to `__consumer_offsets` in one batch
//! per request and answered per partition once appended.
//!
//! Generation -1 with an empty member id is a standalone commit, allowed only while the
//! group has no members (else UNKNOWN_MEMBER_ID); members are checked as for a heartbeat
//! (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS while
//! the group waits for the leader's assignment). Per partition: an unknown topic or
//! partition is UNKNOWN_TOPIC_OR_PARTITION, metadata longer than
//! `offset.metadata.max.bytes` OFFSET_METADATA_TOO_LARGE; the others are written.
//!
//! Versions: v2–v4 carry a retention time, which is not used (offsets.retention.minutes
//! applies, as in Kafka since 2.1 for v5+); v6+ a leader epoch; v7+ `group.instance.id`.

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

use super::Context;
use crate::group::coordinator::OffsetCommit;

const LEADER_EPOCH_VERSION: i16 = 6;
const INSTANCE_ID_VERSION: i16 = 7;

pub async fn handle(
    context: &Context,
    request: OffsetCommitRequest,
    version: i16,
) -> OffsetCommitResponse {
    let mut offsets = Vec::new();
    for topic in &request.topics {
        for partition in &topic.partitions {
            offsets.push(OffsetCommit {
                topic: topic.name.0.to_string(),
                partition: partition.partition_index,
                offset: partition.committed_offset,
                leader_epoch: if version >= LEADER_EPOCH_VERSION {
                    partition.committed_leader_epoch
                } else {
                    -1
                },
                metadata: partition
                    .committed_metadata
                    .as_ref()
                    .map(|metadata| metadata.to_string()),
            });
        }
    }
    let instance = request
        .group_instance_id
        .as_ref()
        .filter(|_| version >= INSTANCE_ID_VERSION)
        .map(|instance| instance.to_string());
    let outcome = context
        .groups
        .commit(
            request.group_id.0.as_str(),
            request.member_id.as_str(),
            instance.as_deref(),
            request.generation_id_or_member_epoch,
            offsets,
        )
        .await;
    let mut codes = Vec::new();
    match outcome {
        Ok(results) => {
            for result in results {
                codes.push(result.err().map_or(0, |error| error.wire_code()));
            }
        }
        Err(error) => {
            let code = error.wire_code();
            for topic in &request.topics {
                codes.extend(topic.partitions.iter().map(|_| code));
            }
        }
    }
    let mut codes = codes.into_iter();
    let mut response = OffsetCommitResponse::default();
    for topic in request.topics {
        let mut topic_response = OffsetCommitResponseTopic::default();
        topic_response.name = topic.name;
        for partition in topic.partitions {
            let mut partition_response = OffsetCommitResponsePartition::default();
            partition_response.partition_index = partition.partition_index;
            partition_response.error_code = codes.next().unwrap_or(0);
            topic_response.partitions.push(partition_response);
        }
        response.topics.push(topic_response);
    }
    response
}
