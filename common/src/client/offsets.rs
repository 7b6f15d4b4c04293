//! Committed offsets: OffsetCommit and OffsetFetch against a group's coordinator, shared by
//! the group member ([`super::group`]) and the admin calls ([`super::group_admin`]).
//!
//! Versions: OffsetCommit v2..=v9 (the connection caps it below v10, which names topics by
//! id); OffsetFetch v1..=v7 carry one group at the top level, v8 and v9 a `groups` list
//! with one entry — both are built and read here by the negotiated version. A commit made
//! outside the group (the admin's offset reset) uses generation -1 and an empty member id,
//! which the coordinator accepts only while the group has no members.

use std::collections::BTreeMap;

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    GroupId, OffsetCommitRequest, OffsetFetchRequest, OffsetFetchResponse, TopicName,
};
use kafka_protocol::protocol::{Request, StrBytes};
use kafka_protocol::ResponseError;

use super::connection::Connection;
use super::error::ClientError;

/// Offsets by `(topic, partition)`.
pub type OffsetMap = BTreeMap<(String, i32), i64>;

/// Who commits: a member of the current generation, or an outsider (the admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitIdentity {
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

impl CommitIdentity {
    /// A commit from outside the group (only accepted while the group is empty).
    pub fn outsider() -> CommitIdentity {
        CommitIdentity {
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
        }
    }
}

fn str_bytes(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

/// The OffsetCommit request for `offsets`.
pub fn commit_request(
    group: &str,
    identity: &CommitIdentity,
    offsets: &OffsetMap,
) -> OffsetCommitRequest {
    let mut request = OffsetCommitRequest::default();
    request.group_id = GroupId(str_bytes(group));
    request.generation_id_or_member_epoch = identity.generation_id;
    request.member_id = str_bytes(&identity.member_id);
    request.group_instance_id = identity.group_instance_id.as_deref().map(str_bytes);
    // -1: the broker's offsets.retention.minutes applies.
    request.retention_time_ms = -1;
    for ((topic, partition), offset) in offsets {
        let mut entry = OffsetCommitRequestPartition::default();
        entry.partition_index = *partition;
        entry.committed_offset = *offset;
        entry.committed_leader_epoch = -1;
        entry.committed_metadata = Some(StrBytes::default());
        match request
            .topics
            .iter_mut()
            .find(|existing| existing.name.0.as_str() == topic)
        {
            Some(existing) => existing.partitions.push(entry),
            None => {
                let mut new_topic = OffsetCommitRequestTopic::default();
                new_topic.name = TopicName(str_bytes(topic));
                new_topic.partitions.push(entry);
                request.topics.push(new_topic);
            }
        }
    }
    request
}

/// Commits `offsets`; the per-partition errors of the answer, in request order (empty when
/// everything was committed).
pub async fn commit(
    connection: &Connection,
    group: &str,
    identity: &CommitIdentity,
    offsets: &OffsetMap,
) -> Result<Vec<(String, i32, ResponseError)>, ClientError> {
    if offsets.is_empty() {
        return Ok(Vec::new());
    }
    let request = commit_request(group, identity, offsets);
    let response = connection.call(&request).await?;
    let mut errors = Vec::new();
    for topic in &response.topics {
        for partition in &topic.partitions {
            if let Some(error) = ResponseError::try_from_code(partition.error_code) {
                errors.push((
                    topic.name.0.as_str().to_string(),
                    partition.partition_index,
                    error,
                ));
            }
        }
    }
    Ok(errors)
}

/// The OffsetFetch request for `partitions` (`None`: every partition with an offset).
pub fn fetch_request(
    group: &str,
    partitions: Option<&[(String, i32)]>,
    version: i16,
) -> OffsetFetchRequest {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (topic, partition) in partitions.unwrap_or_default() {
        by_topic.entry(topic.as_str()).or_default().push(*partition);
    }
    let mut request = OffsetFetchRequest::default();
    if version >= 8 {
        let mut entry = OffsetFetchRequestGroup::default();
        entry.group_id = GroupId(str_bytes(group));
        entry.member_epoch = -1;
        entry.topics = partitions.map(|_| {
            by_topic
                .iter()
                .map(|(topic, indexes)| {
                    let mut topics = OffsetFetchRequestTopics::default();
                    topics.name = TopicName(str_bytes(topic));
                    topics.partition_indexes = indexes.clone();
                    topics
                })
                .collect()
        });
        request.groups.push(entry);
    } else {
        request.group_id = GroupId(str_bytes(group));
        request.topics = partitions.map(|_| {
            by_topic
                .iter()
                .map(|(topic, indexes)| {
                    let mut topics = OffsetFetchRequestTopic::default();
                    topics.name = TopicName(str_bytes(topic));
                    topics.partition_indexes = indexes.clone();
                    topics
                })
                .collect()
        });
    }
    request
}

/// The committed offsets in an OffsetFetch answer (partitions without one, offset -1, are
/// left out); a group-level error, or the first partition error, fails the whole answer.
pub fn fetch_result(
    group: &str,
    version: i16,
    response: &OffsetFetchResponse,
) -> Result<OffsetMap, ClientError> {
    let group_error = |error: ResponseError| ClientError::Group {
        group: group.to_string(),
        error,
    };
    let mut offsets = OffsetMap::new();
    let mut record =
        |topic: &str, partition: i32, offset: i64, error_code: i16| -> Result<(), ClientError> {
            if let Some(error) = ResponseError::try_from_code(error_code) {
                return Err(ClientError::Partition {
                    topic: topic.to_string(),
                    partition,
                    error,
                });
            }
            if offset >= 0 {
                offsets.insert((topic.to_string(), partition), offset);
            }
            Ok(())
        };
    // v8+ answers per group, older versions at the top level: (topic, partition, offset,
    // error code) either way.
    let (error_code, partitions): (i16, Vec<(&str, i32, i64, i16)>) = if version >= 8 {
        let Some(entry) = response
            .groups
            .iter()
            .find(|entry| entry.group_id.0.as_str() == group)
        else {
            return Err(group_error(ResponseError::UnknownServerError));
        };
        let partitions = entry.topics.iter().flat_map(|topic| {
            topic.partitions.iter().map(|p| {
                (
                    topic.name.0.as_str(),
                    p.partition_index,
                    p.committed_offset,
                    p.error_code,
                )
            })
        });
        (entry.error_code, partitions.collect())
    } else {
        let partitions = response.topics.iter().flat_map(|topic| {
            topic.partitions.iter().map(|p| {
                (
                    topic.name.0.as_str(),
                    p.partition_index,
                    p.committed_offset,
                    p.error_code,
                )
            })
        });
        (response.error_code, partitions.collect())
    };
    if let Some(error) = ResponseError::try_from_code(error_code) {
        return Err(group_error(error));
    }
    for (topic, partition, offset, code) in partitions {
        record(topic, partition, offset, code)?;
    }
    Ok(offsets)
}

/// Fetches committed offsets of `group` for `partitions` (`None`: all the group has).
pub async fn fetch(
    connection: &Connection,
    group: &str,
    partitions: Option<&[(String, i32)]>,
) -> Result<OffsetMap, ClientError> {
    let version = connection.version(OffsetFetchRequest::KEY).unwrap_or(1);
    let request = fetch_request(group, partitions, version);
    let response = connection.call(&request).await?;
    fetch_result(group, version, &response)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use kafka_protocol::messages::offset_fetch_response::{
        OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
        OffsetFetchResponseTopic, OffsetFetchResponseTopics,
    };

    #[test]
    fn commit_requests_group_partitions_by_topic() {
        let mut offsets = OffsetMap::new();
        offsets.insert(("a".to_string(), 1), 10);
        offsets.insert(("a".to_string(), 0), 5);
        offsets.insert(("b".to_string(), 0), 7);
        let request = commit_request("g", &CommitIdentity::outsider(), &offsets);
        assert_eq!(request.generation_id_or_member_epoch, -1);
        assert_eq!(request.member_id.as_str(), "");
        assert_eq!(request.topics.len(), 2);
        assert_eq!(request.topics[0].partitions.len(), 2);
        assert_eq!(request.topics[0].partitions[0].committed_offset, 5);
        assert_eq!(request.topics[1].name.0.as_str(), "b");
    }

    #[test]
    fn fetch_requests_follow_the_version_shape() {
        let wanted = vec![("t".to_string(), 0), ("t".to_string(), 2)];
        let old = fetch_request("g", Some(&wanted), 7);
        assert_eq!(old.group_id.0.as_str(), "g");
        assert_eq!(
            old.topics.as_ref().unwrap()[0].partition_indexes,
            vec![0, 2]
        );
        assert!(old.groups.is_empty());
        let new = fetch_request("g", None, 8);
        assert_eq!(new.groups.len(), 1);
        assert!(new.groups[0].topics.is_none());
    }

    #[test]
    fn fetch_results_drop_missing_offsets_and_surface_errors() {
        let mut response = OffsetFetchResponse::default();
        let mut topic = OffsetFetchResponseTopic::default();
        topic.name = TopicName(StrBytes::from_static_str("t"));
        let mut present = OffsetFetchResponsePartition::default();
        present.partition_index = 0;
        present.committed_offset = 4;
        let mut absent = OffsetFetchResponsePartition::default();
        absent.partition_index = 1;
        absent.committed_offset = -1;
        topic.partitions = vec![present, absent];
        response.topics.push(topic);
        let offsets = fetch_result("g", 7, &response).unwrap();
        assert_eq!(offsets.len(), 1);
        assert_eq!(offsets[&("t".to_string(), 0)], 4);

        response.error_code = ResponseError::CoordinatorLoadInProgress.code();
        let error = fetch_result("g", 7, &response).unwrap_err();
        assert!(error.is_retriable(), "{error}");

        let mut batched = OffsetFetchResponse::default();
        let mut group = OffsetFetchResponseGroup::default();
        group.group_id = GroupId(StrBytes::from_static_str("g"));
        let mut topics = OffsetFetchResponseTopics::default();
        topics.name = TopicName(StrBytes::from_static_str("u"));
        let mut partition = OffsetFetchResponsePartitions::default();
        partition.partition_index = 3;
        partition.committed_offset = 9;
        topics.partitions.push(partition);
        group.topics.push(topics);
        batched.groups.push(group);
        let offsets = fetch_result("g", 8, &batched).unwrap();
        assert_eq!(offsets[&("u".to_string(), 3)], 9);
    }
}
