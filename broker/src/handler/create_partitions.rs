//! CreatePartitions through the coordinator: the topic's assignment in
//! `/brokers/topics/<t>` is extended ([`crate::cluster::Cluster::create_partitions`]); the
//! controller elects leaders for the new partitions and the brokers create their logs. The
//! response waits (up to `timeout_ms`) until every partition of the grown topics has a
//! leader; `validate_only` checks and writes nothing.
//!
//! Errors as Kafka gives them: a topic named twice → INVALID_REQUEST ("Duplicate topic in
//! request."); unknown topic → UNKNOWN_TOPIC_OR_PARTITION; marked for deletion →
//! INVALID_TOPIC_EXCEPTION; a count that does not grow → INVALID_PARTITIONS ("Topic
//! currently has 3 partitions, which is higher than the requested 2."); a bad manual
//! assignment → INVALID_REPLICA_ASSIGNMENT; more replicas than live brokers →
//! INVALID_REPLICATION_FACTOR.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::error_code::cluster_error_code;
use super::Context;
use crate::cluster::ClusterError;

pub async fn handle(
    context: &Context,
    request: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for topic in &request.topics {
        *counts.entry(topic.name.0.as_str().to_owned()).or_insert(0) += 1;
    }
    let mut results = Vec::with_capacity(request.topics.len());
    let mut grown: BTreeSet<String> = BTreeSet::new();
    for topic in &request.topics {
        let name = topic.name.0.as_str().to_owned();
        let mut result = CreatePartitionsTopicResult::default();
        result.name = topic.name.clone();
        let outcome = if counts.get(&name).copied().unwrap_or(0) > 1 {
            Err((
                ResponseError::InvalidRequest,
                "Duplicate topic in request.".to_owned(),
            ))
        } else {
            // Null (or an empty list, as some clients send) asks for Kafka's assignment.
            let manual = topic.assignments.as_ref().filter(|given| !given.is_empty());
            let assignments = manual.map(|assignments| {
                assignments
                    .iter()
                    .map(|assignment| assignment.broker_ids.iter().map(|id| id.0).collect())
                    .collect()
            });
            match context
                .cluster
                .create_partitions(&name, topic.count, assignments, request.validate_only)
                .await
            {
                Ok(()) => {
                    if !request.validate_only {
                        grown.insert(name);
                    }
                    Ok(())
                }
                Err(ClusterError::TopicMarkedForDeletion { .. }) => Err((
                    ResponseError::InvalidTopicException,
                    "The topic is queued for deletion.".to_owned(),
                )),
                Err(error) => Err((cluster_error_code(&error), error.to_string())),
            }
        };
        match outcome {
            Ok(()) => result.error_message = None,
            Err((code, message)) => {
                result.error_code = code.code();
                result.error_message = Some(StrBytes::from_string(message));
            }
        }
        results.push(result);
    }
    if !grown.is_empty() && request.timeout_ms > 0 {
        let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
        let counts_wanted: BTreeMap<String, i32> = request
            .topics
            .iter()
            .filter(|topic| grown.contains(topic.name.0.as_str()))
            .map(|topic| (topic.name.0.as_str().to_owned(), topic.count))
            .collect();
        let ready = |image: &crate::cluster::MetadataImage| {
            counts_wanted.iter().all(|(topic, count)| {
                image
                    .topic(topic)
                    .is_some_and(|entry| i32::try_from(entry.partitions.len()).ok() == Some(*count))
                    && image.all_leaders_elected(topic)
            })
        };
        if !context.cluster.wait_until(timeout, ready).await {
            let image = context.metadata();
            for result in &mut results {
                let name = result.name.0.as_str();
                if grown.contains(name) && !image.all_leaders_elected(name) {
                    result.error_code = ResponseError::RequestTimedOut.code();
                    result.error_message = Some(StrBytes::from_static_str(
                        "The partitions were added but have no leader yet.",
                    ));
                }
            }
        }
    }
    let mut response = CreatePartitionsResponse::default();
    response.results = results;
    response
}
