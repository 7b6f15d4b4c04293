//! CreateTopics through the coordinator, as Kafka's `ZkAdminManager` does it.
//!
//! Per topic, in Kafka's order: duplicate names in one request → INVALID_REQUEST; name rules
//! (`[a-zA-Z0-9._-]`, at most 249 characters, not `.` or `..`) → INVALID_TOPIC_EXCEPTION;
//! both a count/factor and a manual assignment → INVALID_REQUEST; partitions (-1 =
//! `num.partitions`, else ≥ 1) → INVALID_PARTITIONS; replication factor (-1 =
//! `default.replication.factor`, else ≥ 1, at most the live brokers) →
//! INVALID_REPLICATION_FACTOR; a manual assignment must number partitions from 0 and name
//! distinct live brokers, the same count for each → INVALID_REPLICA_ASSIGNMENT; unknown or
//! bad configs → INVALID_CONFIG; an existing topic, or one marked for deletion →
//! TOPIC_ALREADY_EXISTS. Otherwise `/config/topics/<t>` and `/brokers/topics/<t>` are
//! written ([`crate::cluster::Cluster::create_topic`]); `validate_only` checks everything
//! and writes nothing. The response waits (up to `timeout_ms`) until every new partition
//! has a leader in the metadata cache; a topic still without leaders then is answered
//! REQUEST_TIMED_OUT (it is created, its leaders follow).
//!
//! From v5 a successful topic carries its partition count, replication factor and configs;
//! from v7 its topic id.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::error_code::cluster_error_code;
use super::Context;
use crate::config::topic::{describe_topic, DescribeOptions};
use crate::cluster::NewTopic;

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

pub async fn handle(
    context: &Context,
    request: CreateTopicsRequest,
    version: i16,
) -> CreateTopicsResponse {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for topic in &request.topics {
        *seen.entry(topic.name.0.as_str().to_owned()).or_insert(0) += 1;
    }
    let live_brokers = context.metadata().live_broker_ids();
    let mut results: Vec<CreatableTopicResult> = Vec::with_capacity(request.topics.len());
    let mut created: BTreeSet<String> = BTreeSet::new();
    for topic in &request.topics {
        let mut result = CreatableTopicResult::default();
        result.name = topic.name.clone();
        result.error_message = None;
        let planned = plan_topic(context, topic, &seen, &live_brokers);
        let outcome = match planned {
            Ok(new_topic) => context
                .cluster
                .create_topic(&new_topic, request.validate_only)
                .await
                .map(|topic_id| (new_topic, topic_id))
                .map_err(|error| (cluster_error_code(&error), error.to_string())),
            Err(refused) => Err(refused),
        };
        match outcome {
            Ok((new_topic, topic_id)) => {
                let replication_factor = new_topic.assignment.values().next().map_or(0, Vec::len);
                result.num_partitions = i32::try_from(new_topic.assignment.len()).unwrap_or(-1);
                result.replication_factor = i16::try_from(replication_factor).unwrap_or(-1);
                if version >= 5 {
                    result.configs = Some(topic_configs(context, &new_topic.config));
                }
                if version >= 7 && !request.validate_only {
                    result.topic_id = uuid::Uuid::from_bytes(*topic_id.as_bytes());
                }
                if !request.validate_only {
                    created.insert(new_topic.name);
                }
            }
            Err((code, message)) => set_error(&mut result, code, message),
        }
        results.push(result);
    }
    if !created.is_empty() && request.timeout_ms > 0 {
        let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
        let ready = context
            .cluster
            .wait_until(timeout, |image| {
                created.iter().all(|topic| image.all_leaders_elected(topic))
            })
            .await;
        if !ready {
            let image = context.metadata();
            for result in &mut results {
                let name = result.name.0.as_str();
                if created.contains(name) && !image.all_leaders_elected(name) {
                    set_error(
                        result,
                        ResponseError::RequestTimedOut,
                        format!(
                            "Topic '{name}' was created but its partitions have no leader yet."
                        ),
                    );
                }
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
    result.configs = None;
}

/// The configs of a new topic (v5+): every topic config with its effective value and
/// source, as DescribeConfigs would list them.
fn topic_configs(
    context: &Context,
    overrides: &BTreeMap<String, String>,
) -> Vec<CreatableTopicConfigs> {
    let options = DescribeOptions {
        keys: None,
        include_synonyms: false,
        include_documentation: false,
    };
    describe_topic(overrides, &context.options.config, options)
        .into_iter()
        .map(|entry| {
            let mut config = CreatableTopicConfigs::default();
            config.name = StrBytes::from_string(entry.name);
            config.value = entry.value.map(StrBytes::from_string);
            config.read_only = entry.read_only;
            config.config_source = entry.source.id();
            config.is_sensitive = entry.is_sensitive;
            config
        })
        .collect()
}

/// The topic to create, or the code and message it is refused with.
fn plan_topic(
    context: &Context,
    topic: &CreatableTopic,
    seen: &BTreeMap<String, usize>,
    live_brokers: &[i32],
) -> Result<NewTopic, (ResponseError, String)> {
    let name = topic.name.0.as_str();
    if seen.get(name).copied().unwrap_or(0) > 1 {
        return Err((
            ResponseError::InvalidRequest,
            format!("Create topics request from client contains duplicate topic {name}"),
        ));
    }
    validate_topic_name(name).map_err(|message| (ResponseError::InvalidTopicException, message))?;
    let mut config = BTreeMap::new();
    for entry in &topic.configs {
        if let Some(value) = &entry.value {
            config.insert(entry.name.as_str().to_owned(), value.as_str().to_owned());
        }
    }
    let assignment = if topic.assignments.is_empty() {
        let partitions = match topic.num_partitions {
            -1 => context.options.num_partitions,
            count if count >= 1 => count,
            _ => {
                return Err((
                    ResponseError::InvalidPartitions,
                    "Number of partitions was set to an invalid non-positive value.".to_owned(),
                ))
            }
        };
        let replication_factor = match topic.replication_factor {
            -1 => context.options.default_replication_factor,
            factor if factor >= 1 => factor,
            _ => {
                return Err((
                    ResponseError::InvalidReplicationFactor,
                    "Replication factor must be larger than 0, or -1 to use the default value."
                        .to_owned(),
                ))
            }
        };
        context
            .cluster
            .assign_new_topic(partitions, i32::from(replication_factor))
            .map_err(|error| (cluster_error_code(&error), error.to_string()))?
    } else {
        if topic.num_partitions != -1 || topic.replication_factor != -1 {
            return Err((
                ResponseError::InvalidRequest,
                "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.".to_owned(),
            ));
        }
        manual_assignment(topic, live_brokers)?
    };
    Ok(NewTopic {
        name: name.to_owned(),
        assignment,
        config,
    })
}

/// Checks a request's own replica assignment (Kafka's `validateReplicaAssignment`).
fn manual_assignment(
    topic: &CreatableTopic,
    live_brokers: &[i32],
) -> Result<BTreeMap<i32, Vec<i32>>, (ResponseError, String)> {
    let invalid = |message: String| (ResponseError::InvalidReplicaAssignment, message);
    let mut assignment = BTreeMap::new();
    let mut factor: Option<usize> = None;
    for entry in &topic.assignments {
        let replicas: Vec<i32> = entry.broker_ids.iter().map(|id| id.0).collect();
        let partition = entry.partition_index;
        if replicas.is_empty() {
            return Err(invalid(format!(
                "Replication factor must be larger than 0 for partition id {partition}."
            )));
        }
        let mut unique = replicas.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() != replicas.len() {
            return Err(invalid(format!(
                "Duplicate brokers not allowed in replica assignment: {} for partition id {partition}.",
                join(&replicas)
            )));
        }
        if *factor.get_or_insert(replicas.len()) != replicas.len() {
            return Err(invalid(format!(
                "All partitions should have the same number of replicas. Partition {partition} has {} replicas.",
                replicas.len()
            )));
        }
        let unknown: Vec<i32> = replicas
            .iter()
            .copied()
            .filter(|id| !live_brokers.contains(id))
            .collect();
        if !unknown.is_empty() {
            return Err(invalid(format!(
                "Unknown broker(s) in replica assignment: {}.",
                join(&unknown)
            )));
        }
        assignment.insert(partition, replicas);
    }
    let consecutive = assignment
        .keys()
        .copied()
        .eq(0..i32::try_from(assignment.len()).unwrap_or(i32::MAX));
    if !consecutive || assignment.len() != topic.assignments.len() {
        return Err(invalid(
            "Partitions should be a consecutive 0-based integer sequence".to_owned(),
        ));
    }
    Ok(assignment)
}

fn join(ids: &[i32]) -> String {
    ids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The wire name of a topic.
pub fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use kafka_protocol::messages::create_topics_request::CreatableReplicaAssignment;
    use kafka_protocol::messages::BrokerId;

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

    fn with_assignment(entries: &[(i32, &[i32])]) -> CreatableTopic {
        let mut topic = CreatableTopic::default();
        topic.num_partitions = -1;
        topic.replication_factor = -1;
        for (partition, brokers) in entries {
            let mut entry = CreatableReplicaAssignment::default();
            entry.partition_index = *partition;
            entry.broker_ids = brokers.iter().map(|id| BrokerId(*id)).collect();
            topic.assignments.push(entry);
        }
        topic
    }

    #[test]
    fn manual_assignments_are_checked_like_kafka() {
        let ok = manual_assignment(&with_assignment(&[(0, &[1, 2]), (1, &[2, 1])]), &[1, 2]);
        assert_eq!(ok.unwrap()[&1], vec![2, 1]);
        let gap = manual_assignment(&with_assignment(&[(0, &[1]), (2, &[1])]), &[1]);
        assert_eq!(gap.unwrap_err().0, ResponseError::InvalidReplicaAssignment);
        let duplicate = manual_assignment(&with_assignment(&[(0, &[1, 1])]), &[1]);
        assert!(duplicate.unwrap_err().1.contains("Duplicate brokers"));
        let unknown = manual_assignment(&with_assignment(&[(0, &[7])]), &[1]);
        assert_eq!(
            unknown.unwrap_err().1,
            "Unknown broker(s) in replica assignment: 7."
        );
        let uneven = manual_assignment(&with_assignment(&[(0, &[1]), (1, &[1, 2])]), &[1, 2]);
        assert!(uneven.is_err());
    }
}
