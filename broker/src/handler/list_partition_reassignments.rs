//! ListPartitionReassignments (key 46, v0): the reassignments in progress, from the
//! metadata image (each partition's replicas, adding and removing replicas as the topic
//! znode records them).
//!
//! Only the controller serves it (NOT_CONTROLLER, top level, elsewhere). Null `topics`
//! lists every reassignment; otherwise only the named partitions that are being
//! reassigned are listed (unknown or idle ones are left out, as Kafka does).

use std::collections::BTreeMap;

use kafka_protocol::messages::list_partition_reassignments_response::{
    OngoingPartitionReassignment, OngoingTopicReassignment,
};
use kafka_protocol::messages::{
    BrokerId, ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Context;
use crate::controller::reassign::ongoing;
use crate::log::TopicPartition;

pub async fn handle(
    context: &Context,
    request: ListPartitionReassignmentsRequest,
) -> ListPartitionReassignmentsResponse {
    let mut response = ListPartitionReassignmentsResponse::default();
    response.error_message = None;
    let is_controller = context.cluster.controller().await.controllership.is_some();
    if !is_controller {
        response.error_code = ResponseError::NotController.code();
        response.error_message = Some(StrBytes::from_static_str(
            "This is not the correct controller for this cluster.",
        ));
        return response;
    }
    let wanted: Option<Vec<TopicPartition>> = request.topics.as_ref().map(|topics| {
        let mut wanted = Vec::new();
        for topic in topics {
            for index in &topic.partition_indexes {
                wanted.push(TopicPartition::new(topic.name.0.as_str(), *index));
            }
        }
        wanted
    });
    let image = context.metadata();
    let mut by_topic: BTreeMap<String, Vec<OngoingPartitionReassignment>> = BTreeMap::new();
    for (partition, current) in ongoing(&image, wanted.as_deref()) {
        let ids = |list: &[i32]| list.iter().copied().map(BrokerId).collect::<Vec<_>>();
        let mut entry = OngoingPartitionReassignment::default();
        entry.partition_index = partition.partition;
        entry.replicas = ids(&current.replicas);
        entry.adding_replicas = ids(&current.adding);
        entry.removing_replicas = ids(&current.removing);
        by_topic.entry(partition.topic).or_default().push(entry);
    }
    for (name, partitions) in by_topic {
        let mut topic = OngoingTopicReassignment::default();
        topic.name = TopicName(StrBytes::from_string(name));
        topic.partitions = partitions;
        response.topics.push(topic);
    }
    response
}
