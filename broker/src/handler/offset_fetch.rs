//! OffsetFetch: a group's committed offsets.
//!
//! v1–v7 ask for one group, v8+ for several (each answered on its own). Topics null (v2+)
//! means every committed offset of the group; a partition without a commit answers offset
//! -1, empty metadata and no error, as does an unknown group. Group-level errors
//! (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID) are the top-level code
//! from v2 and each partition's code in v1. `require_stable` (v7+) never waits: this
//! broker has no transactional commits, so no offset is ever unstable. The member id and
//! epoch of v9 are not checked (they belong to the new consumer protocol).

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::Context;
use crate::group::records::OffsetValue;
use crate::group::GroupError;

const TOP_LEVEL_ERROR_VERSION: i16 = 2;
const LEADER_EPOCH_VERSION: i16 = 5;
const MULTI_GROUP_VERSION: i16 = 8;

/// One partition's answer: (partition, offset, leader epoch, metadata, error).
type PartitionAnswer = (i32, i64, i32, String, i16);

fn fetch(
    context: &Context,
    group_id: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> Result<Vec<(String, Vec<PartitionAnswer>)>, GroupError> {
    if group_id.is_empty() {
        return Err(GroupError::InvalidGroupId {
            group: group_id.to_owned(),
        });
    }
    let found = context.groups.fetch_offsets(group_id, topics)?;
    let mut answer = Vec::with_capacity(found.len());
    for (topic, partitions) in found {
        let mut rows = Vec::with_capacity(partitions.len());
        for (partition, value) in partitions {
            rows.push(match value {
                Some(OffsetValue {
                    offset,
                    leader_epoch,
                    metadata,
                    ..
                }) => (partition, offset, leader_epoch, metadata, 0),
                None => (partition, -1, -1, String::new(), 0),
            });
        }
        answer.push((topic, rows));
    }
    Ok(answer)
}

pub fn handle(context: &Context, request: OffsetFetchRequest, version: i16) -> OffsetFetchResponse {
    let mut response = OffsetFetchResponse::default();
    if version >= MULTI_GROUP_VERSION {
        for group in request.groups {
            let topics = group.topics.map(|topics| {
                topics
                    .into_iter()
                    .map(|topic| (topic.name.0.to_string(), topic.partition_indexes))
                    .collect()
            });
            let mut group_response = OffsetFetchResponseGroup::default();
            match fetch(context, group.group_id.0.as_str(), topics) {
                Ok(answer) => {
                    for (topic, rows) in answer {
                        let mut topic_response = OffsetFetchResponseTopics::default();
                        topic_response.name = TopicName(StrBytes::from_string(topic));
                        for (partition, offset, epoch, metadata, code) in rows {
                            let mut entry = OffsetFetchResponsePartitions::default();
                            entry.partition_index = partition;
                            entry.committed_offset = offset;
                            entry.committed_leader_epoch = epoch;
                            entry.metadata = Some(StrBytes::from_string(metadata));
                            entry.error_code = code;
                            topic_response.partitions.push(entry);
                        }
                        group_response.topics.push(topic_response);
                    }
                }
                Err(error) => group_response.error_code = error.wire_code(),
            }
            group_response.group_id = group.group_id;
            response.groups.push(group_response);
        }
        return response;
    }
    let requested: Option<Vec<(String, Vec<i32>)>> = request.topics.as_ref().map(|topics| {
        topics
            .iter()
            .map(|topic| (topic.name.0.to_string(), topic.partition_indexes.clone()))
            .collect()
    });
    let answer = match fetch(context, request.group_id.0.as_str(), requested.clone()) {
        Ok(answer) => answer,
        Err(error) => {
            let code = error.wire_code();
            if version >= TOP_LEVEL_ERROR_VERSION {
                response.error_code = code;
                return response;
            }
            // v1 has no top-level code: every requested partition carries it.
            requested
                .unwrap_or_default()
                .into_iter()
                .map(|(topic, partitions)| {
                    let rows = partitions
                        .into_iter()
                        .map(|partition| (partition, -1, -1, String::new(), code))
                        .collect();
                    (topic, rows)
                })
                .collect()
        }
    };
    for (topic, rows) in answer {
        let mut topic_response = OffsetFetchResponseTopic::default();
        topic_response.name = TopicName(StrBytes::from_string(topic));
        for (partition, offset, epoch, metadata, code) in rows {
            let mut entry = OffsetFetchResponsePartition::default();
            entry.partition_index = partition;
            entry.committed_offset = offset;
            if version >= LEADER_EPOCH_VERSION {
                entry.committed_leader_epoch = epoch;
            }
            entry.metadata = Some(StrBytes::from_string(metadata));
            entry.error_code = code;
            topic_response.partitions.push(entry);
        }
        response.topics.push(topic_response);
    }
    response
}
