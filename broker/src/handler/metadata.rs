//! Metadata from the cluster metadata cache.
//!
//! Brokers: every live broker with its endpoint for the listener the request came in on
//! (brokers without that listener are left out, as Kafka does), and its rack. Cluster id and
//! controller id (-1 when none) from the cache.
//!
//! Topics: all when `topics` is null (or, in v0, empty); else those named (by name, or from
//! v12 by topic id → UNKNOWN_TOPIC_ID when no topic has it). Per partition: leader (-1 and
//! LEADER_NOT_AVAILABLE while it has none or its leader is not live), leader epoch, replicas,
//! ISR, and the replicas on brokers that are not live (offline). Topics marked for deletion
//! are listed until the controller removed them, as Kafka does.
//!
//! Auto-creation: a requested topic that does not exist is created through the coordinator
//! with `num.partitions` and `default.replication.factor` when `auto.create.topics.enable`
//! is set and the request allows it (v4+ flag; always before v4) and its name is valid; the
//! response then says LEADER_NOT_AVAILABLE for it (its leaders follow), or
//! INVALID_REPLICATION_FACTOR when there are fewer live brokers than the factor. A missing
//! topic otherwise gets UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION for a bad name.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::create_topics::{topic_name, validate_topic_name};
use super::error_code::cluster_error_code;
use super::Context;
use crate::cluster::{ClusterError, MetadataImage, NewTopic, TopicImage};

pub async fn handle(context: &Context, request: MetadataRequest, version: i16) -> MetadataResponse {
    let all_topics = match &request.topics {
        None => true,
        Some(list) => version == 0 && list.is_empty(),
    };
    let auto_create = context.options.auto_create_topics_enable
        && (version < 4 || request.allow_auto_topic_creation);
    let image = context.metadata();
    let mut response = MetadataResponse::default();
    for broker in image.brokers.values() {
        let Some(endpoint) = broker.endpoint(&context.listener_name) else {
            continue;
        };
        let mut entry = MetadataResponseBroker::default();
        entry.node_id = BrokerId(broker.id);
        entry.host = StrBytes::from_string(endpoint.host.clone());
        entry.port = i32::from(endpoint.port);
        entry.rack = broker.rack.clone().map(StrBytes::from_string);
        response.brokers.push(entry);
    }
    response.cluster_id = Some(StrBytes::from_string(image.cluster_id.clone()));
    response.controller_id = BrokerId(image.controller_id.unwrap_or(-1));
    if all_topics {
        for (name, topic) in &image.topics {
            response.topics.push(topic_metadata(&image, name, topic));
        }
        return response;
    }
    for wanted in request.topics.unwrap_or_default() {
        let name = match &wanted.name {
            Some(name) => name.0.as_str().to_owned(),
            None => {
                let id = common::zk_layout::Uuid::from_bytes(*wanted.topic_id.as_bytes());
                match image.topic_name_by_id(&id) {
                    Some(name) => name.to_owned(),
                    None => {
                        let mut topic = MetadataResponseTopic::default();
                        topic.topic_id = wanted.topic_id;
                        topic.error_code = ResponseError::UnknownTopicId.code();
                        response.topics.push(topic);
                        continue;
                    }
                }
            }
        };
        if let Some(topic) = image.topics.get(&name) {
            response.topics.push(topic_metadata(&image, &name, topic));
            continue;
        }
        let mut topic = MetadataResponseTopic::default();
        topic.name = Some(topic_name(&name));
        topic.error_code = if validate_topic_name(&name).is_err() {
            ResponseError::InvalidTopicException.code()
        } else if auto_create {
            auto_create_topic(context, &name).await.code()
        } else {
            ResponseError::UnknownTopicOrPartition.code()
        };
        response.topics.push(topic);
    }
    response
}

/// Creates a missing topic with the broker defaults; the code to answer it with.
async fn auto_create_topic(context: &Context, name: &str) -> ResponseError {
    let assignment = context.cluster.assign_new_topic(
        context.options.num_partitions,
        i32::from(context.options.default_replication_factor),
    );
    let assignment = match assignment {
        Ok(assignment) => assignment,
        Err(error) => return cluster_error_code(&error),
    };
    let topic = NewTopic {
        name: name.to_owned(),
        assignment,
        config: Default::default(),
    };
    match context.cluster.create_topic(&topic, false).await {
        Ok(_) => {
            tracing::info!("Auto creation of topic {name} with {} partitions and replication factor {} is successful",
                context.options.num_partitions, context.options.default_replication_factor);
            ResponseError::LeaderNotAvailable
        }
        // Someone else created it first: its leaders are on their way too.
        Err(ClusterError::TopicExists { .. }) => ResponseError::LeaderNotAvailable,
        Err(ClusterError::TopicMarkedForDeletion { .. }) => ResponseError::UnknownTopicOrPartition,
        Err(error) => {
            tracing::warn!(%error, topic = name, "auto-creating topic failed");
            cluster_error_code(&error)
        }
    }
}

fn topic_metadata(image: &MetadataImage, name: &str, topic: &TopicImage) -> MetadataResponseTopic {
    let mut entry = MetadataResponseTopic::default();
    entry.name = Some(topic_name(name));
    if let Some(id) = topic.topic_id {
        entry.topic_id = uuid::Uuid::from_bytes(*id.as_bytes());
    }
    entry.is_internal = name == "__consumer_offsets" || name == "__transaction_state";
    for (index, partition) in &topic.partitions {
        let mut out = MetadataResponsePartition::default();
        out.partition_index = *index;
        out.replica_nodes = partition.replicas.iter().copied().map(BrokerId).collect();
        out.offline_replicas = partition
            .replicas
            .iter()
            .copied()
            .filter(|replica| !image.is_live(*replica))
            .map(BrokerId)
            .collect();
        match &partition.state {
            Some(state) => {
                out.leader_epoch = state.leader_epoch;
                out.isr_nodes = state.isr.iter().copied().map(BrokerId).collect();
                if state.leader >= 0 && image.is_live(state.leader) {
                    out.leader_id = BrokerId(state.leader);
                } else {
                    out.leader_id = BrokerId(-1);
                    out.error_code = ResponseError::LeaderNotAvailable.code();
                }
            }
            None => {
                out.leader_id = BrokerId(-1);
                out.leader_epoch = -1;
                out.error_code = ResponseError::LeaderNotAvailable.code();
            }
        }
        entry.partitions.push(out);
    }
    entry
}
