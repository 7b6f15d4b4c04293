//! DeleteTopics through the coordinator, as Kafka's `ZkAdminManager` does it: each topic
//! (by name, or from v6 by topic id) is marked for deletion under
//! `/admin/delete_topics/<t>` ([`crate::cluster::Cluster::delete_topic`]); the controller
//! deletes it and every broker drops its logs when it leaves the metadata cache. The
//! response waits (up to `timeout_ms`) until the marked topics are gone from the cache;
//! those still present then are answered REQUEST_TIMED_OUT (the deletion goes on).
//!
//! Errors: an unknown name → UNKNOWN_TOPIC_OR_PARTITION; an unknown id → UNKNOWN_TOPIC_ID;
//! both or neither of name and id in v6 → INVALID_REQUEST; a name twice in one request →
//! INVALID_REQUEST; `delete.topic.enable=false` → TOPIC_DELETION_DISABLED.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::create_topics::topic_name;
use super::error_code::cluster_error_code;
use super::Context;

/// One entry of the request: its name if known, its id as sent.
struct Wanted {
    name: Option<String>,
    topic_id: uuid::Uuid,
}

pub async fn handle(
    context: &Context,
    request: DeleteTopicsRequest,
    version: i16,
) -> DeleteTopicsResponse {
    let image = context.metadata();
    let mut wanted = Vec::new();
    if version >= 6 {
        for topic in &request.topics {
            wanted.push(Wanted {
                name: topic.name.as_ref().map(|name| name.0.as_str().to_owned()),
                topic_id: topic.topic_id,
            });
        }
    } else {
        for name in &request.topic_names {
            wanted.push(Wanted {
                name: Some(name.0.as_str().to_owned()),
                topic_id: uuid::Uuid::nil(),
            });
        }
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for entry in &wanted {
        if let Some(name) = &entry.name {
            *counts.entry(name.clone()).or_insert(0) += 1;
        }
    }
    let mut results = Vec::with_capacity(wanted.len());
    let mut marked: BTreeSet<String> = BTreeSet::new();
    for entry in wanted {
        let mut result = DeletableTopicResult::default();
        result.topic_id = entry.topic_id;
        let has_id = !entry.topic_id.is_nil();
        let resolved: Result<String, (ResponseError, String)> = match (&entry.name, has_id) {
            (Some(_), true) | (None, false) => Err((
                ResponseError::InvalidRequest,
                "Exactly one of topic name or topic id must be set.".to_owned(),
            )),
            (Some(name), false) => Ok(name.clone()),
            (None, true) => {
                let id = common::zk_layout::Uuid::from_bytes(*entry.topic_id.as_bytes());
                image.topic_name_by_id(&id).map(str::to_owned).ok_or((
                    ResponseError::UnknownTopicId,
                    "This server does not host this topic ID.".to_owned(),
                ))
            }
        };
        let outcome = match resolved {
            Ok(name) => {
                result.name = Some(topic_name(&name));
                if counts.get(&name).copied().unwrap_or(0) > 1 {
                    Err((
                        ResponseError::InvalidRequest,
                        "Duplicate topic in request.".to_owned(),
                    ))
                } else {
                    match context.cluster.delete_topic(&name).await {
                        Ok(()) => {
                            marked.insert(name);
                            Ok(())
                        }
                        Err(error) => Err((cluster_error_code(&error), error.to_string())),
                    }
                }
            }
            Err(refused) => Err(refused),
        };
        if let Err((code, message)) = outcome {
            result.error_code = code.code();
            result.error_message = Some(StrBytes::from_string(message));
        }
        results.push(result);
    }
    if !marked.is_empty() && request.timeout_ms > 0 {
        let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
        let gone = context
            .cluster
            .wait_until(timeout, |image| {
                marked.iter().all(|topic| !image.topics.contains_key(topic))
            })
            .await;
        if !gone {
            let image = context.metadata();
            for result in &mut results {
                let still_there = result.name.as_ref().is_some_and(|name| {
                    marked.contains(name.0.as_str()) && image.topics.contains_key(name.0.as_str())
                });
                if still_there {
                    result.error_code = ResponseError::RequestTimedOut.code();
                    result.error_message = Some(StrBytes::from_static_str(
                        "The topic is marked for deletion but not deleted yet.",
                    ));
                }
            }
        }
    }
    let mut response = DeleteTopicsResponse::default();
    response.responses = results;
    response
}
