//! CreateTopics on one broker: every partition's leader, replica and ISR is this broker.
//!
//! Per topic, in Kafka's order: duplicate names in one request → INVALID_REQUEST; name rules
//! (`[a-zA-Z0-9._-]`, at most 249 characters, not `.` or `..`) → INVALID_TOPIC_EXCEPTION;
//! partitions (-1 = `num.partitions`, else ≥ 1) → INVALID_PARTITIONS; replication factor
//! (-1 or 1 — there is one broker) → INVALID_REPLICATION_FACTOR; manual assignments must
//! name only this broker → INVALID_REPLICA_ASSIGNMENT; an existing topic →
//! TOPIC_ALREADY_EXISTS. `validate_only` checks all of that and creates nothing.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::error_code::storage_error_code;
use super::storage::{create_topic, topics};
use super::Context;

/// Kafka's longest topic name (a folder name `<topic>-<partition>` must fit 255 bytes).
pub const MAX_TOPIC_NAME_LEN: usize = 249;

/// Why a topic name is refused (the text goes into the response's error message).
pub fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Topic name is illegal, it can't be empty".to_owned());
    }
    if name == "." || name == ".." {
        return Err("Topic name cannot be \".\" or \"..\"".to_owned());
    }
    if name.len() > MAX_TOPIC_NAME_LEN {
        return Err(format!(
            "Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME_LEN} characters, topic name: {name}"
        ));
    }
    let legal = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-';
    if !name.chars().all(legal) {
        return Err(format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    Ok(())
}

/// A topic that passed every check, to create.
struct Plan {
    index: usize,
    name: String,
    partitions: i32,
}

pub async fn handle(context: &Context, request: CreateTopicsRequest) -> CreateTopicsResponse {
    let mut results: Vec<CreatableTopicResult> = Vec::with_capacity(request.topics.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for topic in &request.topics {
        *seen.entry(topic.name.0.as_str().to_owned()).or_insert(0) += 1;
    }
    let mut plans = Vec::new();
    for (index, topic) in request.topics.iter().enumerate() {
        let name = topic.name.0.as_str().to_owned();
        let mut result = CreatableTopicResult::default();
        result.name = topic.name.clone();
        match check_topic(context, topic, &seen) {
            Ok(partitions) => {
                result.num_partitions = partitions;
                result.replication_factor = 1;
                plans.push(Plan {
                    index,
                    name,
                    partitions,
                });
            }
            Err((code, message)) => set_error(&mut result, code, message),
        }
        results.push(result);
    }
    let validate_only = request.validate_only;
    let outcome = context
        .storage
        .run(move |dir| {
            let existing = topics(dir);
            let mut outcomes = Vec::with_capacity(plans.len());
            for plan in plans {
                if existing.contains_key(&plan.name) {
                    outcomes.push((
                        plan.index,
                        Err(ResponseError::TopicAlreadyExists),
                        plan.name,
                    ));
                    continue;
                }
                let created = if validate_only {
                    Ok(())
                } else {
                    create_topic(dir, &plan.name, plan.partitions)
                        .map_err(|error| storage_error_code(&error))
                };
                outcomes.push((plan.index, created, plan.name));
            }
            Ok(outcomes)
        })
        .await;
    match outcome {
        Ok(outcomes) => {
            for (index, created, name) in outcomes {
                if let (Err(code), Some(result)) = (created, results.get_mut(index)) {
                    let message = match code {
                        ResponseError::TopicAlreadyExists => {
                            format!("Topic '{name}' already exists.")
                        }
                        other => other.to_string(),
                    };
                    set_error(result, code, message);
                } else if !validate_only {
                    tracing::info!(topic = %name, "created topic");
                }
            }
        }
        Err(error) => {
            let code = storage_error_code(&error);
            for result in results.iter_mut().filter(|result| result.error_code == 0) {
                set_error(result, code, error.to_string());
            }
        }
    }
    let mut response = CreateTopicsResponse::default();
    response.topics = results;
    response
}

fn set_error(result: &mut CreatableTopicResult, code: ResponseError, message: String) {
    result.error_code = code.code();
    result.error_message = Some(StrBytes::from_string(message));
    result.num_partitions = -1;
    result.replication_factor = -1;
}

/// The partition count of a valid topic, or its error code and message.
fn check_topic(
    context: &Context,
    topic: &kafka_protocol::messages::create_topics_request::CreatableTopic,
    seen: &BTreeMap<String, usize>,
) -> Result<i32, (ResponseError, String)> {
    let name = topic.name.0.as_str();
    if seen.get(name).copied().unwrap_or(0) > 1 {
        return Err((
            ResponseError::InvalidRequest,
            format!("Create topics request from client contains duplicate topic {name}"),
        ));
    }
    validate_topic_name(name).map_err(|message| (ResponseError::InvalidTopicException, message))?;
    if !topic.assignments.is_empty() {
        if topic.num_partitions != -1 || topic.replication_factor != -1 {
            return Err((
                ResponseError::InvalidRequest,
                "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.".to_owned(),
            ));
        }
        let broker_id = context.options.broker_id;
        for (expected, assignment) in topic.assignments.iter().enumerate() {
            let only_this_broker = assignment.broker_ids.len() == 1
                && assignment.broker_ids.iter().all(|id| id.0 == broker_id);
            let in_order = usize::try_from(assignment.partition_index).ok() == Some(expected);
            if !only_this_broker || !in_order {
                return Err((
                    ResponseError::InvalidReplicaAssignment,
                    format!(
                        "Partition {} may only be assigned to broker {broker_id}, partitions numbered from 0",
                        assignment.partition_index
                    ),
                ));
            }
        }
        return i32::try_from(topic.assignments.len()).map_err(|_| {
            (
                ResponseError::InvalidPartitions,
                "Too many partitions".to_owned(),
            )
        });
    }
    let partitions = match topic.num_partitions {
        -1 => context.options.num_partitions,
        count if count >= 1 => count,
        count => {
            return Err((
                ResponseError::InvalidPartitions,
                format!("Number of partitions was set to an invalid non-positive value: {count}"),
            ))
        }
    };
    match topic.replication_factor {
        -1 | 1 => {}
        factor if factor > 1 => {
            return Err((
                ResponseError::InvalidReplicationFactor,
                format!("Replication factor: {factor} larger than available brokers: 1."),
            ))
        }
        factor => {
            return Err((
                ResponseError::InvalidReplicationFactor,
                format!("Replication factor was set to an invalid non-positive value: {factor}"),
            ))
        }
    }
    if !topic.configs.is_empty() {
        // Per-topic configs are not stored yet; the broker defaults apply.
        tracing::warn!(
            topic = name,
            "topic configs ignored: per-topic overrides not supported yet"
        );
    }
    Ok(partitions)
}

/// The wire name of a topic.
pub fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka_rules() {
        assert!(validate_topic_name("orders.v1_eu-2").is_ok());
        assert!(validate_topic_name("").is_err());
        assert!(validate_topic_name(".").is_err());
        assert!(validate_topic_name("..").is_err());
        assert!(validate_topic_name("a b").is_err());
        assert!(validate_topic_name("tópico").is_err());
        assert!(validate_topic_name(&"x".repeat(249)).is_ok());
        assert!(validate_topic_name(&"x".repeat(250)).is_err());
    }
}
