//! AlterPartitionReassignments (key 45, v0–v1): start or cancel partition reassignments
//! (KIP-455, as Kafka runs them in ZooKeeper mode).
//!
//! Only the controller serves it: elsewhere the whole request is answered NOT_CONTROLLER
//! (top level, no partitions). Per partition a target replica list starts (or replaces) a
//! reassignment and a null one cancels it; the checks and the topic znode writes are
//! [`crate::controller::reassign::plan_alter`]'s, executed under the controller lock. The
//! answer comes once the image shows the written topic records (or `timeout_ms` passes):
//! the reassignment is then recorded and the controller completes it when the target
//! replicas are in sync. v1's `allow_replication_factor_change` false refuses targets of
//! another size (INVALID_REPLICATION_FACTOR) and is echoed back.

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_protocol::messages::alter_partition_reassignments_response::{
    ReassignablePartitionResponse, ReassignableTopicResponse,
};
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::error_code::{cluster_error_code, reassignment_error_code};
use super::Context;
use crate::controller::reassign::{plan_alter, ReassignmentRequest};
use crate::controller::{decide_and_execute, ControllerAction, ControllerRequestError};
use crate::log::TopicPartition;

pub async fn handle(
    context: &Context,
    request: AlterPartitionReassignmentsRequest,
) -> AlterPartitionReassignmentsResponse {
    let mut requests = Vec::new();
    for topic in &request.topics {
        for partition in &topic.partitions {
            requests.push(ReassignmentRequest {
                partition: TopicPartition::new(topic.name.0.as_str(), partition.partition_index),
                target: partition
                    .replicas
                    .as_ref()
                    .map(|replicas| replicas.iter().map(|id| id.0).collect()),
            });
        }
    }
    let allow = request.allow_replication_factor_change;
    let decided = decide_and_execute(&context.cluster, |image, _| {
        let plan = plan_alter(image, requests, allow);
        let written: BTreeMap<String, i32> = plan
            .actions
            .iter()
            .filter_map(|action| match action {
                ControllerAction::WriteAssignment {
                    topic,
                    expected_version,
                    ..
                } => Some((topic.clone(), *expected_version)),
                _ => None,
            })
            .collect();
        ((plan.outcomes, written), plan.actions)
    })
    .await;
    let mut response = AlterPartitionReassignmentsResponse::default();
    response.allow_replication_factor_change = allow;
    response.error_message = None;
    let (outcomes, written) = match decided {
        Ok(decided) => decided,
        Err(ControllerRequestError::NotController) => {
            response.error_code = ResponseError::NotController.code();
            response.error_message = Some(StrBytes::from_static_str(
                "This is not the correct controller for this cluster.",
            ));
            return response;
        }
        Err(ControllerRequestError::Failed(error)) => {
            response.error_code = cluster_error_code(&error).code();
            response.error_message = Some(StrBytes::from_string(error.to_string()));
            return response;
        }
    };
    if !written.is_empty() && request.timeout_ms > 0 {
        let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
        context
            .cluster
            .wait_until(timeout, |image| {
                written.iter().all(|(topic, version)| {
                    image
                        .topic(topic)
                        .is_none_or(|current| current.zk_version > *version)
                })
            })
            .await;
    }
    for topic in &request.topics {
        let mut topic_response = ReassignableTopicResponse::default();
        topic_response.name = topic.name.clone();
        for partition in &topic.partitions {
            let key = TopicPartition::new(topic.name.0.as_str(), partition.partition_index);
            let mut result = ReassignablePartitionResponse::default();
            result.partition_index = partition.partition_index;
            result.error_message = None;
            if let Some(Err(error)) = outcomes.get(&key) {
                result.error_code = reassignment_error_code(error).code();
                result.error_message = Some(StrBytes::from_string(error.to_string()));
            }
            topic_response.partitions.push(result);
        }
        response.responses.push(topic_response);
    }
    response
}
