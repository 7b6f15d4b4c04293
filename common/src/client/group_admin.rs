//! Admin calls on consumer groups, as Kafka's Admin client makes them for
//! `kafka-consumer-groups`: ListGroups (every broker), DescribeGroups, OffsetFetch,
//! OffsetCommit from outside the group (offset resets), DeleteGroups and OffsetDelete —
//! each sent to the group's coordinator, looked up with FindCoordinator and looked up
//! again (after `retry.backoff.ms`, up to `retries` times) when the answer is
//! NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS or the
//! connection failed.
//!
//! Groups: only consumer groups are listed (protocol type `consumer`, or empty for groups
//! that only ever committed offsets), as Kafka's `listConsumerGroups` does. A group the
//! coordinator does not know is described as state `Dead` with no members, whether the
//! coordinator says so with state `Dead` or with GROUP_ID_NOT_FOUND.

use std::future::Future;
use std::sync::Arc;

use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, GroupId, ListGroupsRequest, OffsetDeleteRequest,
    TopicName,
};
use kafka_protocol::protocol::{Request, StrBytes};
use kafka_protocol::ResponseError;

use super::cluster::Client;
use super::connection::Connection;
use super::consumer_protocol::{decode_assignment, Assignment, PROTOCOL_TYPE};
use super::coordinator::{needs_new_coordinator, CoordinatorNode};
use super::error::{coordinator_moved, ClientError};
use super::offsets::{self, CommitIdentity, OffsetMap};

/// A group as ListGroups lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    pub group_id: String,
    pub protocol_type: String,
    /// The state name (`Stable`, `Empty`, ...); empty from brokers older than ListGroups v4.
    pub state: String,
}

/// One member as DescribeGroups describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    /// As the coordinator saw it (`/127.0.0.1`).
    pub client_host: String,
    pub assignment: Assignment,
}

/// A group as DescribeGroups describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    pub state: String,
    pub protocol_type: String,
    /// The assignor chosen for the current generation (empty when the group is empty).
    pub assignor: String,
    pub members: Vec<MemberDescription>,
    pub coordinator: CoordinatorNode,
}

/// What OffsetDelete answered: the group-level error, then each partition's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetDeleteOutcome {
    pub error: Option<ResponseError>,
    pub partitions: Vec<(String, i32, Option<ResponseError>)>,
}

fn str_bytes(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn group_error(group: &str, error: ResponseError) -> ClientError {
    ClientError::Group {
        group: group.to_string(),
        error,
    }
}

impl Client {
    /// The coordinator of `group` and a connection to it.
    pub async fn group_coordinator(
        &self,
        group: &str,
    ) -> Result<(CoordinatorNode, Arc<Connection>), ClientError> {
        let node = self.find_coordinator(group).await?;
        let connection = match self.connection(node.node_id).await {
            Ok(connection) => connection,
            Err(ClientError::UnknownBroker { .. }) => {
                self.metadata_request(Some(&[]), false).await?;
                self.connection(node.node_id).await?
            }
            Err(error) => return Err(error),
        };
        Ok((node, connection))
    }

    /// Runs `call` against the coordinator of `group`, again on a fresh lookup while the
    /// coordinator moved or is loading.
    async fn with_group_coordinator<T, F, Fut>(
        &self,
        group: &str,
        call: F,
    ) -> Result<T, ClientError>
    where
        F: Fn(CoordinatorNode, Arc<Connection>) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut attempt = 0;
        loop {
            let outcome = match self.group_coordinator(group).await {
                Ok((node, connection)) => call(node, connection).await,
                Err(error) => Err(error),
            };
            match outcome {
                Err(error) if needs_new_coordinator(&error) && attempt < self.config().retries => {
                    attempt += 1;
                    tokio::time::sleep(self.config().retry_backoff).await;
                }
                other => return other,
            }
        }
    }

    /// The consumer groups of every broker, in `states` when that is not empty.
    pub async fn list_groups(&self, states: &[String]) -> Result<Vec<ListedGroup>, ClientError> {
        self.metadata_request(Some(&[]), false).await?;
        let brokers: Vec<i32> = self.cached_metadata().brokers.keys().copied().collect();
        let mut groups = Vec::new();
        for broker_id in brokers {
            let mut attempt = 0;
            let response = loop {
                let connection = self.connection(broker_id).await?;
                let version = connection.version(ListGroupsRequest::KEY).unwrap_or(0);
                let mut request = ListGroupsRequest::default();
                if version >= 4 {
                    request.states_filter = states.iter().map(|state| str_bytes(state)).collect();
                }
                let response = connection.call(&request).await?;
                match ResponseError::try_from_code(response.error_code) {
                    None => break (version, response),
                    Some(error) if coordinator_moved(error) && attempt < self.config().retries => {
                        attempt += 1;
                        tokio::time::sleep(self.config().retry_backoff).await;
                    }
                    Some(error) => {
                        return Err(ClientError::Coordinator {
                            key: format!("broker {broker_id}"),
                            error,
                        })
                    }
                }
            };
            let (version, response) = response;
            for group in response.groups {
                let protocol_type = group.protocol_type.as_str().to_string();
                if !protocol_type.is_empty() && protocol_type != PROTOCOL_TYPE {
                    continue;
                }
                let state = group.group_state.as_str().to_string();
                // Brokers before v4 ignore the filter: it is applied here instead.
                if version < 4 && !states.is_empty() && !states.contains(&state) {
                    continue;
                }
                groups.push(ListedGroup {
                    group_id: group.group_id.0.as_str().to_string(),
                    protocol_type,
                    state,
                });
            }
        }
        Ok(groups)
    }

    /// Describes `group` (state `Dead` when the coordinator does not know it).
    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription, ClientError> {
        self.with_group_coordinator(group, |node, connection| async move {
            let mut request = DescribeGroupsRequest::default();
            request.groups = vec![GroupId(str_bytes(group))];
            let response = connection.call(&request).await?;
            let Some(described) = response
                .groups
                .into_iter()
                .find(|entry| entry.group_id.0.as_str() == group)
            else {
                return Err(group_error(group, ResponseError::UnknownServerError));
            };
            let mut description = GroupDescription {
                group_id: group.to_string(),
                state: "Dead".to_string(),
                protocol_type: String::new(),
                assignor: String::new(),
                members: Vec::new(),
                coordinator: node,
            };
            match ResponseError::try_from_code(described.error_code) {
                None => {}
                Some(ResponseError::GroupIdNotFound) => return Ok(description),
                Some(error) => return Err(group_error(group, error)),
            }
            description.state = described.group_state.as_str().to_string();
            description.protocol_type = described.protocol_type.as_str().to_string();
            description.assignor = described.protocol_data.as_str().to_string();
            let consumer = description.protocol_type == PROTOCOL_TYPE;
            for member in described.members {
                let assignment = if consumer {
                    decode_assignment(member.member_assignment)?
                } else {
                    Assignment::default()
                };
                description.members.push(MemberDescription {
                    member_id: member.member_id.as_str().to_string(),
                    group_instance_id: member.group_instance_id.map(|id| id.as_str().to_string()),
                    client_id: member.client_id.as_str().to_string(),
                    client_host: member.client_host.as_str().to_string(),
                    assignment,
                });
            }
            Ok(description)
        })
        .await
    }

    /// Every committed offset of `group`.
    pub async fn group_offsets(&self, group: &str) -> Result<OffsetMap, ClientError> {
        self.with_group_coordinator(group, |_, connection| async move {
            offsets::fetch(&connection, group, None).await
        })
        .await
    }

    /// Commits `offsets` for `group` from outside it (the group must have no members);
    /// the partition errors of the answer.
    pub async fn alter_group_offsets(
        &self,
        group: &str,
        offsets: &OffsetMap,
    ) -> Result<Vec<(String, i32, ResponseError)>, ClientError> {
        self.with_group_coordinator(group, |_, connection| async move {
            let errors =
                offsets::commit(&connection, group, &CommitIdentity::outsider(), offsets).await?;
            // A coordinator move shows up per partition: retry the whole commit.
            if let Some((_, _, error)) = errors
                .iter()
                .find(|(_, _, error)| coordinator_moved(*error))
            {
                return Err(group_error(group, *error));
            }
            Ok(errors)
        })
        .await
    }

    /// Deletes `group`; the coordinator's error for it, if any.
    pub async fn delete_group(&self, group: &str) -> Result<Option<ResponseError>, ClientError> {
        self.with_group_coordinator(group, |_, connection| async move {
            let mut request = DeleteGroupsRequest::default();
            request.groups_names = vec![GroupId(str_bytes(group))];
            let response = connection.call(&request).await?;
            let error = response
                .results
                .iter()
                .find(|result| result.group_id.0.as_str() == group)
                .map_or(Some(ResponseError::UnknownServerError), |result| {
                    ResponseError::try_from_code(result.error_code)
                });
            match error {
                Some(error) if coordinator_moved(error) => Err(group_error(group, error)),
                other => Ok(other),
            }
        })
        .await
    }

    /// Deletes the committed offsets of `partitions` in `group`.
    pub async fn delete_group_offsets(
        &self,
        group: &str,
        partitions: &[(String, i32)],
    ) -> Result<OffsetDeleteOutcome, ClientError> {
        self.with_group_coordinator(group, |_, connection| async move {
            let mut request = OffsetDeleteRequest::default();
            request.group_id = GroupId(str_bytes(group));
            for (topic, partition) in partitions {
                let mut entry = OffsetDeleteRequestPartition::default();
                entry.partition_index = *partition;
                match request
                    .topics
                    .iter_mut()
                    .find(|existing| existing.name.0.as_str() == topic)
                {
                    Some(existing) => existing.partitions.push(entry),
                    None => {
                        let mut new_topic = OffsetDeleteRequestTopic::default();
                        new_topic.name = TopicName(str_bytes(topic));
                        new_topic.partitions.push(entry);
                        request.topics.push(new_topic);
                    }
                }
            }
            let response = connection.call(&request).await?;
            let error = ResponseError::try_from_code(response.error_code);
            if let Some(error) = error.filter(|error| coordinator_moved(*error)) {
                return Err(group_error(group, error));
            }
            let mut outcome = OffsetDeleteOutcome {
                error,
                partitions: Vec::new(),
            };
            for (topic, partition) in partitions {
                let answer = response
                    .topics
                    .iter()
                    .filter(|entry| entry.name.0.as_str() == topic)
                    .flat_map(|entry| entry.partitions.iter())
                    .find(|entry| entry.partition_index == *partition);
                let partition_error = match (error, answer) {
                    (Some(error), _) => Some(error),
                    (None, Some(answer)) => ResponseError::try_from_code(answer.error_code),
                    (None, None) => Some(ResponseError::UnknownTopicOrPartition),
                };
                outcome
                    .partitions
                    .push((topic.clone(), *partition, partition_error));
            }
            Ok(outcome)
        })
        .await
    }
}
