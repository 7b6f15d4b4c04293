//! ElectLeaders (key 43, v0–v2): preferred or unclean leader elections run by the
//! controller (Kafka's `kafka-leader-election` tool and `Admin.electLeaders`).
//!
//! Only the controller serves it: elsewhere the answer is NOT_CONTROLLER, top level from v1
//! and per partition in every version. v0 has no election type and means PREFERRED; an
//! unknown type is INVALID_REQUEST. Null `topic_partitions` means every partition, and then
//! the partitions that needed no election are left out of the answer, as Kafka does.
//!
//! Flow: with the controller state locked, [`crate::controller::election::plan_elections`]
//! decides from the image (brokers in controlled shutdown are never elected) and the state
//! writes are executed; the lock is released and the handler waits, up to `timeout_ms`, for
//! the image to show every written state. A partition whose new state did not show in time
//! is answered REQUEST_TIMED_OUT; one whose state changed otherwise meanwhile gets the
//! election's "not available" error.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::error_code::{cluster_error_code, election_error_code};
use super::Context;
use crate::cluster::MetadataImage;
use crate::controller::election::{
    all_partitions, plan_elections, Elected, ElectionError, ElectionType,
};
use crate::controller::{decide_and_execute, ControllerRequestError};
use crate::log::TopicPartition;

/// One partition's answer: the error code (0 for success) and its message.
type Answer = (i16, Option<String>);

/// Kafka's text for NOT_CONTROLLER.
const NOT_CONTROLLER_MESSAGE: &str = "This is not the correct controller for this cluster.";

pub async fn handle(
    context: &Context,
    request: ElectLeadersRequest,
    version: i16,
) -> ElectLeadersResponse {
    let requested: Option<BTreeSet<TopicPartition>> =
        request.topic_partitions.as_ref().map(|topics| {
            let mut wanted = BTreeSet::new();
            for topic in topics {
                for partition in &topic.partitions {
                    wanted.insert(TopicPartition::new(topic.topic.0.as_str(), *partition));
                }
            }
            wanted
        });
    let election_type = if version == 0 {
        Some(ElectionType::Preferred)
    } else {
        ElectionType::from_wire(request.election_type)
    };
    let Some(election_type) = election_type else {
        let partitions = requested.clone().unwrap_or_default();
        let message = format!("Unknown election type {}", request.election_type);
        return whole_request_error(
            &partitions,
            ResponseError::InvalidRequest,
            &message,
            version,
        );
    };
    let decided = decide_and_execute(&context.cluster, |image, controllership| {
        let partitions = requested
            .clone()
            .unwrap_or_else(|| all_partitions(image).into_iter().collect());
        let plan = plan_elections(image, partitions, election_type, controllership.epoch);
        (plan.outcomes, plan.actions)
    })
    .await;
    let outcomes = match decided {
        Ok(outcomes) => outcomes,
        Err(ControllerRequestError::NotController) => {
            let partitions = requested
                .unwrap_or_else(|| all_partitions(&context.metadata()).into_iter().collect());
            return whole_request_error(
                &partitions,
                ResponseError::NotController,
                NOT_CONTROLLER_MESSAGE,
                version,
            );
        }
        Err(ControllerRequestError::Failed(error)) => {
            let partitions = requested
                .unwrap_or_else(|| all_partitions(&context.metadata()).into_iter().collect());
            let code = cluster_error_code(&error).code();
            let answers = partitions
                .into_iter()
                .map(|partition| (partition, (code, Some(error.to_string()))))
                .collect();
            return response(answers, false);
        }
    };
    let elected: BTreeMap<TopicPartition, Elected> = outcomes
        .iter()
        .filter_map(|(partition, outcome)| {
            outcome.as_ref().ok().map(|done| (partition.clone(), *done))
        })
        .collect();
    if !elected.is_empty() && request.timeout_ms > 0 {
        let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
        context
            .cluster
            .wait_until(timeout, |image| {
                elected
                    .iter()
                    .all(|(partition, done)| state_written(image, partition, done))
            })
            .await;
    }
    let image = context.metadata();
    let mut answers = BTreeMap::new();
    for (partition, outcome) in outcomes {
        let answer = match outcome {
            Ok(done) => settle(&image, &partition, &done, election_type),
            Err(error) => failure(&error),
        };
        answers.insert(partition, answer);
    }
    response(answers, requested.is_none())
}

/// True once the image shows the partition's state past the version the election wrote
/// over (or the partition is gone).
fn state_written(image: &MetadataImage, partition: &TopicPartition, done: &Elected) -> bool {
    match image.partition(&partition.topic, partition.partition) {
        None => true,
        Some(current) => current
            .state
            .as_ref()
            .is_some_and(|state| state.zk_version > done.expected_version),
    }
}

/// The answer for a partition whose election was written.
fn settle(
    image: &MetadataImage,
    partition: &TopicPartition,
    done: &Elected,
    election_type: ElectionType,
) -> Answer {
    let current = image
        .partition(&partition.topic, partition.partition)
        .and_then(|current| current.state.as_ref());
    match current {
        Some(state) if state.leader == done.leader && state.leader_epoch == done.leader_epoch => {
            (0, None)
        }
        Some(state) if state.zk_version <= done.expected_version => (
            ResponseError::RequestTimedOut.code(),
            Some(format!(
                "The election for partition {partition} was written but the new leader did not show in time."
            )),
        ),
        _ => {
            // Another change won the race for the state node.
            let error = match election_type {
                ElectionType::Preferred => ElectionError::PreferredLeaderNotAvailable {
                    partition: partition.clone(),
                },
                ElectionType::Unclean => ElectionError::EligibleLeadersNotAvailable {
                    partition: partition.clone(),
                },
            };
            failure(&error)
        }
    }
}

fn failure(error: &ElectionError) -> Answer {
    (election_error_code(error).code(), Some(error.to_string()))
}

/// Every partition answered with `code` (NOT_CONTROLLER, INVALID_REQUEST), top level too
/// from v1.
fn whole_request_error(
    partitions: &BTreeSet<TopicPartition>,
    code: ResponseError,
    message: &str,
    version: i16,
) -> ElectLeadersResponse {
    let answers = partitions
        .iter()
        .map(|partition| (partition.clone(), (code.code(), Some(message.to_owned()))))
        .collect();
    let mut built = response(answers, false);
    if version >= 1 {
        built.error_code = code.code();
    }
    built
}

/// The response for `answers`, grouped by topic. `unrequested`: the request named no
/// partitions, so those that needed no election are left out.
fn response(answers: BTreeMap<TopicPartition, Answer>, unrequested: bool) -> ElectLeadersResponse {
    let mut by_topic: BTreeMap<String, Vec<PartitionResult>> = BTreeMap::new();
    for (partition, (code, message)) in answers {
        if unrequested && code == ResponseError::ElectionNotNeeded.code() {
            continue;
        }
        let mut result = PartitionResult::default();
        result.partition_id = partition.partition;
        result.error_code = code;
        result.error_message = message.map(StrBytes::from_string);
        by_topic.entry(partition.topic).or_default().push(result);
    }
    let mut built = ElectLeadersResponse::default();
    for (topic, partition_result) in by_topic {
        let mut result = ReplicaElectionResult::default();
        result.topic = TopicName(StrBytes::from_string(topic));
        result.partition_result = partition_result;
        built.replica_election_results.push(result);
    }
    built
}
