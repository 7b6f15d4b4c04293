//! OffsetDelete: removes committed offsets of a group (tombstones). Whole-request errors:
//! GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP for a non-consumer group with
//! members, and the coordinator codes. Per partition: GROUP_SUBSCRIBED_TO_TOPIC when the
//! group has members subscribed to the topic (their consumer-protocol subscriptions are
//! read), UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

use super::Context;

pub async fn handle(context: &Context, request: OffsetDeleteRequest) -> OffsetDeleteResponse {
    let mut partitions = Vec::new();
    for topic in &request.topics {
        for partition in &topic.partitions {
            partitions.push((topic.name.0.to_string(), partition.partition_index));
        }
    }
    let group_id = request.group_id.0.to_string();
    let mut response = OffsetDeleteResponse::default();
    let results = if group_id.is_empty() {
        Err(crate::group::GroupError::InvalidGroupId { group: group_id })
    } else {
        context.groups.delete_offsets(&group_id, &partitions).await
    };
    let results = match results {
        Ok(results) => results,
        Err(error) => {
            response.error_code = error.wire_code();
            return response;
        }
    };
    let mut results = results.into_iter();
    for topic in request.topics {
        let mut topic_response = OffsetDeleteResponseTopic::default();
        topic_response.name = topic.name;
        for partition in topic.partitions {
            let mut entry = OffsetDeleteResponsePartition::default();
            entry.partition_index = partition.partition_index;
            if let Some(Err(error)) = results.next() {
                entry.error_code = error.wire_code();
            }
            topic_response.partitions.push(entry);
        }
        response.topics.push(topic_response);
    }
    response
}
