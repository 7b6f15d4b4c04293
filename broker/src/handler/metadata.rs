//! Metadata on one broker: the broker list is this broker; every partition of every topic
//! has it as leader (epoch 0), sole replica and sole ISR member.
//!
//! Which topics: all when `topics` is null (or, in v0, empty). A requested topic that does
//! not exist is created with `num.partitions` when `auto.create.topics.enable` is set and the
//! request allows it (v4+ flag; always before v4) and its name is valid; otherwise it is
//! answered UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION for a bad name. Creation
//! here is synchronous, so the topic comes back with its partitions in the same response.
//! Topics are not given ids yet: requests naming topics only by id get UNKNOWN_TOPIC_ID.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::create_topics::{topic_name, validate_topic_name};
use super::error_code::storage_error_code;
use super::storage::{create_topic, topics};
use super::Context;

pub async fn handle(context: &Context, request: MetadataRequest, version: i16) -> MetadataResponse {
    let all_topics = match &request.topics {
        None => true,
        Some(list) => version == 0 && list.is_empty(),
    };
    let auto_create = context.options.auto_create_topics_enable
        && (version < 4 || request.allow_auto_topic_creation);
    let num_partitions = context.options.num_partitions;
    let requested = request.topics.unwrap_or_default();
    let mut names: Vec<Option<String>> = Vec::with_capacity(requested.len());
    for topic in &requested {
        names.push(topic.name.as_ref().map(|name| name.0.as_str().to_owned()));
    }
    let lookup_names = names.clone();
    let lookup = context
        .storage
        .run(move |dir| {
            if !all_topics && auto_create {
                let existing = topics(dir);
                for name in lookup_names.iter().flatten() {
                    if !existing.contains_key(name) && validate_topic_name(name).is_ok() {
                        create_topic(dir, name, num_partitions)?;
                        tracing::info!(topic = %name, "auto-created topic");
                    }
                }
            }
            Ok(topics(dir))
        })
        .await;
    let mut response = MetadataResponse::default();
    let broker_id = context.options.broker_id;
    let mut broker = MetadataResponseBroker::default();
    broker.node_id = BrokerId(broker_id);
    broker.host = StrBytes::from_string(context.advertised_host.clone());
    broker.port = context.advertised_port;
    response.brokers = vec![broker];
    response.controller_id = BrokerId(broker_id);
    let existing = match lookup {
        Ok(existing) => existing,
        Err(error) => {
            let code = storage_error_code(&error);
            for (wanted, name) in requested.iter().zip(names) {
                let mut topic = MetadataResponseTopic::default();
                topic.name = name.as_deref().map(topic_name);
                topic.topic_id = wanted.topic_id;
                topic.error_code = code.code();
                response.topics.push(topic);
            }
            return response;
        }
    };
    if all_topics {
        for (name, partitions) in &existing {
            response
                .topics
                .push(topic_metadata(name, *partitions, broker_id));
        }
        return response;
    }
    for (wanted, name) in requested.iter().zip(names) {
        let Some(name) = name else {
            let mut topic = MetadataResponseTopic::default();
            topic.topic_id = wanted.topic_id;
            topic.error_code = ResponseError::UnknownTopicId.code();
            response.topics.push(topic);
            continue;
        };
        if let Some(partitions) = existing.get(&name) {
            response
                .topics
                .push(topic_metadata(&name, *partitions, broker_id));
            continue;
        }
        let mut topic = MetadataResponseTopic::default();
        topic.error_code = if validate_topic_name(&name).is_err() {
            ResponseError::InvalidTopicException.code()
        } else {
            ResponseError::UnknownTopicOrPartition.code()
        };
        topic.name = Some(topic_name(&name));
        response.topics.push(topic);
    }
    response
}

fn topic_metadata(name: &str, partitions: i32, broker_id: i32) -> MetadataResponseTopic {
    let mut topic = MetadataResponseTopic::default();
    topic.name = Some(topic_name(name));
    for index in 0..partitions {
        let mut partition = MetadataResponsePartition::default();
        partition.partition_index = index;
        partition.leader_id = BrokerId(broker_id);
        partition.leader_epoch = 0;
        partition.replica_nodes = vec![BrokerId(broker_id)];
        partition.isr_nodes = vec![BrokerId(broker_id)];
        topic.partitions.push(partition);
    }
    topic
}
