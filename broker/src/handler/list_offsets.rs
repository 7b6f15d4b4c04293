//! ListOffsets: an offset per partition for a timestamp — earliest (-2, and -4 "earliest
//! local", the same here without tiered storage) is the log start offset, latest (-1) the
//! log end offset, max timestamp (-3) the first batch holding the log's largest timestamp,
//! any timestamp ≥ 0 the first offset whose timestamp is at least it (-1 when none is).
//! Consumers (`replica_id` -1) see only what lies below the high watermark: latest is the HW
//! and a lookup landing at or above it finds nothing; a replica's request sees the whole log.
//! Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION; a `current_leader_epoch` (v4+) other
//! than the partition's gets FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH as in Fetch. Found
//! offsets come with the partition's leader epoch (every batch is stamped with it at
//! append), -1 with offset -1.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::error_code::storage_error_code;
use super::fetch::leader_epoch_error;
use super::storage::partition_log_mut;
use super::{Context, StorageError};
use crate::log::{PartitionLog, TopicPartition};

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

/// The first ListOffsets version whose response carries `leader_epoch`.
const LEADER_EPOCH_VERSION: i16 = 4;

pub async fn handle(
    context: &Context,
    request: ListOffsetsRequest,
    version: i16,
) -> ListOffsetsResponse {
    let mut response = ListOffsetsResponse::default();
    let replica_request = request.replica_id.0 >= 0;
    for topic in request.topics {
        let name = topic.name.0.as_str().to_owned();
        let mut topic_response = ListOffsetsTopicResponse::default();
        topic_response.name = topic.name.clone();
        for partition in topic.partitions {
            let mut partition_response = ListOffsetsPartitionResponse::default();
            partition_response.partition_index = partition.partition_index;
            if let Some(code) = context.partition_error(&name, partition.partition_index) {
                partition_response.error_code = code.code();
                partition_response.offset = -1;
                partition_response.timestamp = -1;
                partition_response.leader_epoch = -1;
                topic_response.partitions.push(partition_response);
                continue;
            }
            let topic_name = name.clone();
            let index = partition.partition_index;
            let timestamp = partition.timestamp;
            let requested_epoch = partition.current_leader_epoch;
            let leader_epoch = context.leader_epoch(&name, index);
            let high_watermark = context
                .replicas
                .high_watermark(&TopicPartition::new(name.as_str(), index));
            let found = context
                .storage
                .run(move |dir| {
                    let log = partition_log_mut(dir, &topic_name, index)?;
                    if let Some(error) = leader_epoch_error(requested_epoch, leader_epoch) {
                        return Ok(Err(error));
                    }
                    let bound = if replica_request {
                        log.log_end_offset()
                    } else {
                        high_watermark.unwrap_or(0).min(log.log_end_offset())
                    };
                    lookup(log, timestamp, bound).map(Ok)
                })
                .await;
            partition_response.offset = -1;
            partition_response.timestamp = -1;
            partition_response.leader_epoch = -1;
            match found {
                Ok(Ok((offset, found_timestamp))) => {
                    partition_response.offset = offset;
                    partition_response.timestamp = found_timestamp;
                    // A field a version lacks must keep its default, or encoding fails.
                    if offset >= 0 && version >= LEADER_EPOCH_VERSION {
                        partition_response.leader_epoch = leader_epoch;
                    }
                }
                Ok(Err(code)) => partition_response.error_code = code.code(),
                Err(error) => partition_response.error_code = storage_error_code(&error).code(),
            }
            topic_response.partitions.push(partition_response);
        }
        response.topics.push(topic_response);
    }
    response
}

/// (offset, timestamp) for one partition, seeing offsets below `bound` only.
fn lookup(log: &PartitionLog, timestamp: i64, bound: i64) -> Result<(i64, i64), StorageError> {
    let visible = |found: (i64, i64)| if found.0 >= bound { (-1, -1) } else { found };
    match timestamp {
        EARLIEST | EARLIEST_LOCAL => Ok((log.log_start_offset(), -1)),
        LATEST => Ok((bound, -1)),
        MAX_TIMESTAMP => {
            let largest = log
                .segments()
                .map(|segment| segment.largest_timestamp())
                .max()
                .unwrap_or(-1);
            if largest < 0 {
                return Ok((-1, -1));
            }
            Ok(visible(
                log.find_offset_by_timestamp(largest)?.unwrap_or((-1, -1)),
            ))
        }
        wanted if wanted >= 0 => Ok(visible(
            log.find_offset_by_timestamp(wanted)?.unwrap_or((-1, -1)),
        )),
        _ => Ok((-1, -1)),
    }
}
