//! [`GroupCoordinator`]: the groups of the offsets partitions this broker leads, the lock
//! over them, their persistence in `__consumer_offsets`, and the two background tasks.
//!
//! Placement: group `g` lives in partition [`partition_for`]`(g, partitions)` of
//! `__consumer_offsets`; the broker leading that partition coordinates it, the others
//! answer NOT_COORDINATOR. The topic is created by the first FindCoordinator
//! (`offsets.topic.num.partitions`, `offsets.topic.replication.factor` — with fewer live
//! brokers the answer is COORDINATOR_NOT_AVAILABLE until there are enough —,
//! `cleanup.policy=compact`, `segment.bytes=offsets.topic.segment.bytes`,
//! `compression.type=producer`).
//!
//! Locking: one `std::sync::Mutex` over every group, never held across an `.await`. A
//! write to the log runs on a storage thread ([`Storage::run`]) and applies its effect to
//! the groups inside the same closure, after the append succeeded (lock order: log dir,
//! then groups; nothing takes them the other way round), so memory follows the log's order.
//!
//! Durability: offset commits and the leader's assignment are appended with
//! `append_as_leader` like a produce with acks=all (this broker is the whole ISR until
//! replication arrives) and flushed by the log's flush policy; the request is answered
//! after the append. Group metadata written after other changes (a group becoming Empty, a
//! static member replaced) and tombstones of expired offsets are written by the timer task
//! right after the change, failures logged.
//!
//! Background tasks:
//! - leadership: on every new metadata image, offsets partitions this broker now leads are
//!   loaded ([`super::loader`]; their groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile)
//!   and partitions it no longer leads are unloaded (waiting members told NOT_COORDINATOR);
//! - timers: sleeps until the earliest group deadline (sessions, join phase, sync, handed-out
//!   member ids) or the next offset-retention check, or until an operation wakes it; expires
//!   what is due and writes what changed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::error::{store_failure_code, GroupError};
use super::loader::replay_partition;
use super::records::{OffsetValue, RecordKey};
use super::state::{
    Group, GroupState, JoinRequest, JoinResponse, Reply, SyncOutcome, SyncResponse,
};
use super::{partition_for, GroupConfig, OFFSETS_TOPIC};
use crate::cluster::{now_ms, Cluster, ClusterError, Leadership, MetadataImage, NewTopic};
use crate::handler::error_code::storage_error_code;
use crate::handler::{Storage, StorageError};
use crate::log::TopicPartition;
use crate::record::BatchBuilder;
use crate::replication::{ReplicaManager, ReplicationError};
use kafka_protocol::ResponseError;

/// Pause before loading a partition again after a failed load.
const LOAD_RETRY: Duration = Duration::from_secs(1);
/// How long a FindCoordinator that created the offsets topic waits for its leader.
const TOPIC_CREATION_PATIENCE: Duration = Duration::from_secs(5);

/// Records for one partition: (key, value or `None` for a tombstone).
type Records = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// One offset of an OffsetCommit.
#[derive(Debug, Clone)]
pub struct OffsetCommit {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// A group as ListGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    pub protocol_type: String,
    pub state: GroupState,
}

/// A member as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// Only in a Stable group: the metadata for the chosen protocol, and the assignment.
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// A group as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub state: GroupState,
    pub protocol_type: String,
    /// The chosen protocol, in a Stable group only.
    pub protocol: String,
    pub members: Vec<MemberDescription>,
}

/// Where a partition this broker leads stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartitionStatus {
    /// Being replayed; the number tells one load from a later one.
    Loading(u64),
    Loaded,
}

#[derive(Debug)]
struct State {
    /// Partitions of `__consumer_offsets` (from the image once the topic exists).
    partition_count: i32,
    /// Offsets partitions this broker leads.
    partitions: BTreeMap<i32, PartitionStatus>,
    groups: BTreeMap<String, Group>,
    next_load: u64,
}

impl State {
    fn partition_of(&self, group: &str) -> i32 {
        partition_for(group, self.partition_count)
    }

    /// The partition of `group` when this broker coordinates it and has loaded it.
    fn locate(&self, group: &str) -> Result<i32, GroupError> {
        let partition = self.partition_of(group);
        match self.partitions.get(&partition) {
            None => Err(GroupError::NotCoordinator {
                group: group.to_owned(),
            }),
            Some(PartitionStatus::Loading(_)) => Err(GroupError::LoadInProgress {
                group: group.to_owned(),
                partition,
            }),
            Some(PartitionStatus::Loaded) => Ok(partition),
        }
    }
}

#[derive(Debug)]
struct Inner {
    config: GroupConfig,
    broker_id: i32,
    storage: Storage,
    cluster: Cluster,
    replicas: ReplicaManager,
    state: Mutex<State>,
    /// Wakes the timer task (a deadline may now be earlier, or there is something to write).
    wake: Notify,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// The group coordinator; cloning shares it.
#[derive(Debug, Clone)]
pub struct GroupCoordinator {
    inner: Arc<Inner>,
}

/// A group id must be a non-empty string for every group API (Kafka's `isValidGroupId`).
fn check_group_id(group: &str) -> Result<(), GroupError> {
    if group.is_empty() {
        return Err(GroupError::InvalidGroupId {
            group: group.to_owned(),
        });
    }
    Ok(())
}

/// A new member id: `<client id or group instance id>-<uuid>`, as Kafka makes them.
fn new_member_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

impl GroupCoordinator {
    /// A coordinator that leads nothing yet; [`start`](Self::start) runs its tasks.
    pub fn new(
        config: GroupConfig,
        broker_id: i32,
        storage: Storage,
        cluster: Cluster,
        replicas: ReplicaManager,
    ) -> Self {
        let (shutdown, _) = watch::channel(false);
        let partition_count = config.offsets_topic_num_partitions;
        GroupCoordinator {
            inner: Arc::new(Inner {
                config,
                broker_id,
                storage,
                cluster,
                replicas,
                state: Mutex::new(State {
                    partition_count,
                    partitions: BTreeMap::new(),
                    groups: BTreeMap::new(),
                    next_load: 0,
                }),
                wake: Notify::new(),
                shutdown,
                tasks: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Starts the leadership and timer tasks (see the module docs).
    pub fn start(&self) {
        let leadership = tokio::spawn(watch_leadership(
            Arc::clone(&self.inner),
            self.inner.shutdown.subscribe(),
        ));
        let timers = tokio::spawn(run_timers(
            Arc::clone(&self.inner),
            self.inner.shutdown.subscribe(),
        ));
        if let Ok(mut tasks) = self.inner.tasks.lock() {
            tasks.push(leadership);
            tasks.push(timers);
        }
    }

    /// Stops the tasks; members still waiting are told NOT_COORDINATOR.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        let tasks: Vec<JoinHandle<()>> = match self.inner.tasks.lock() {
            Ok(mut tasks) => tasks.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for task in tasks {
            let _ = task.await;
        }
        let mut state = self.inner.lock_state();
        for group in state.groups.values_mut() {
            group.abandon(&GroupError::NotCoordinator {
                group: group.id.clone(),
            });
        }
        state.groups.clear();
        state.partitions.clear();
    }

    pub fn config(&self) -> &GroupConfig {
        &self.inner.config
    }

    /// The broker coordinating `key` (a group id): the leader of its offsets partition.
    /// Creates `__consumer_offsets` on first use.
    pub async fn find_coordinator(&self, key: &str) -> Result<i32, GroupError> {
        let image = self.inner.cluster.image();
        if image.topic(OFFSETS_TOPIC).is_none() {
            self.create_offsets_topic(&image).await?;
            let found = self
                .inner
                .cluster
                .wait_until(TOPIC_CREATION_PATIENCE, |image| {
                    coordinator_in(image, key).is_some()
                })
                .await;
            if !found {
                return Err(GroupError::CoordinatorNotAvailable {
                    reason: format!("{OFFSETS_TOPIC} has no leaders yet"),
                });
            }
        }
        let image = self.inner.cluster.image();
        coordinator_in(&image, key).ok_or_else(|| GroupError::CoordinatorNotAvailable {
            reason: format!("the partition of {key:?} in {OFFSETS_TOPIC} has no live leader"),
        })
    }

    async fn create_offsets_topic(&self, image: &MetadataImage) -> Result<(), GroupError> {
        let config = &self.inner.config;
        let live = image.live_broker_ids().len();
        let replication_factor = config.offsets_topic_replication_factor;
        if live < usize::try_from(replication_factor).unwrap_or(usize::MAX) {
            return Err(GroupError::CoordinatorNotAvailable {
                reason: format!(
                    "{OFFSETS_TOPIC} needs {replication_factor} live brokers \
                     (offsets.topic.replication.factor), {live} are alive"
                ),
            });
        }
        let cluster = &self.inner.cluster;
        let unavailable = |error: ClusterError| GroupError::CoordinatorNotAvailable {
            reason: format!("creating {OFFSETS_TOPIC}: {error}"),
        };
        let assignment = cluster
            .assign_new_topic(
                config.offsets_topic_num_partitions,
                i32::from(replication_factor),
            )
            .map_err(unavailable)?;
        let topic = NewTopic {
            name: OFFSETS_TOPIC.to_owned(),
            assignment,
            config: BTreeMap::from([
                ("cleanup.policy".to_owned(), "compact".to_owned()),
                (
                    "segment.bytes".to_owned(),
                    config.offsets_topic_segment_bytes.to_string(),
                ),
                ("compression.type".to_owned(), "producer".to_owned()),
            ]),
        };
        match cluster.create_topic(&topic, false).await {
            Ok(_) | Err(ClusterError::TopicExists { .. }) => Ok(()),
            Err(error) => Err(unavailable(error)),
        }
    }

    /// Handles a JoinGroup; waits while the rebalance is under way.
    pub async fn join(
        &self,
        group_id: &str,
        request: JoinRequest,
    ) -> Result<JoinResponse, GroupError> {
        check_group_id(group_id)?;
        let config = &self.inner.config;
        if request.session_timeout < config.min_session_timeout
            || request.session_timeout > config.max_session_timeout
        {
            return Err(GroupError::InvalidSessionTimeout {
                session_timeout_ms: i32::try_from(request.session_timeout.as_millis())
                    .unwrap_or(i32::MAX),
                min_ms: config.min_session_timeout.as_millis(),
                max_ms: config.max_session_timeout.as_millis(),
            });
        }
        let reply = {
            let mut state = self.inner.lock_state();
            state.locate(group_id)?;
            if !state.groups.contains_key(group_id) {
                if !request.member_id.is_empty() {
                    return Err(GroupError::UnknownMemberId {
                        group: group_id.to_owned(),
                        member_id: request.member_id.clone(),
                    });
                }
                state
                    .groups
                    .insert(group_id.to_owned(), Group::new(group_id, now_ms()));
            }
            let group = state.groups.get_mut(group_id).ok_or_else(|| {
                GroupError::CoordinatorNotAvailable {
                    reason: format!("group {group_id} vanished"),
                }
            })?;
            group.join(request, config, Instant::now(), now_ms(), new_member_id)
        };
        self.inner.wake.notify_one();
        match reply {
            Reply::Ready(result) => result,
            Reply::Pending(receiver) => receiver.await.unwrap_or_else(|_| {
                Err(GroupError::CoordinatorNotAvailable {
                    reason: "the coordinator stopped".to_owned(),
                })
            }),
        }
    }

    /// Handles a SyncGroup; the leader's assignment is written before anyone is answered.
    #[allow(clippy::too_many_arguments)]
    pub async fn sync(
        &self,
        group_id: &str,
        member_id: &str,
        generation: i32,
        instance: Option<&str>,
        protocol_type: Option<&str>,
        protocol_name: Option<&str>,
        assignments: BTreeMap<String, Bytes>,
    ) -> Result<SyncResponse, GroupError> {
        check_group_id(group_id)?;
        let (outcome, partition) = {
            let mut state = self.inner.lock_state();
            let partition = state.locate(group_id)?;
            let Some(group) = state.groups.get_mut(group_id) else {
                return Err(GroupError::UnknownMemberId {
                    group: group_id.to_owned(),
                    member_id: member_id.to_owned(),
                });
            };
            let outcome = group.sync(
                member_id,
                generation,
                instance,
                protocol_type,
                protocol_name,
                assignments,
                Instant::now(),
            );
            (outcome, partition)
        };
        self.inner.wake.notify_one();
        let receiver = match outcome {
            SyncOutcome::Reply(Reply::Ready(result)) => return result,
            SyncOutcome::Reply(Reply::Pending(receiver)) => receiver,
            SyncOutcome::Persist {
                generation,
                assignments,
                value,
                reply,
            } => {
                let key = RecordKey::Group {
                    group: group_id.to_owned(),
                }
                .encode();
                let id = group_id.to_owned();
                let applied_id = id.clone();
                let stored = self
                    .inner
                    .append(partition, vec![(key, Some(value.encode()))], move |state| {
                        if let Some(group) = state.groups.get_mut(&applied_id) {
                            group.complete_sync(generation, &assignments, now_ms());
                        }
                    })
                    .await;
                if let Err(error) = stored {
                    tracing::warn!(%error, group = %id, "storing the group assignment failed");
                    let mut state = self.inner.lock_state();
                    if let Some(group) = state.groups.get_mut(&id) {
                        group.fail_sync(
                            generation,
                            &error,
                            &self.inner.config,
                            Instant::now(),
                            now_ms(),
                        );
                    }
                    self.inner.wake.notify_one();
                }
                reply
            }
        };
        receiver.await.unwrap_or_else(|_| {
            Err(GroupError::CoordinatorNotAvailable {
                reason: "the coordinator stopped".to_owned(),
            })
        })
    }

    /// Handles a Heartbeat.
    pub fn heartbeat(
        &self,
        group_id: &str,
        member_id: &str,
        generation: i32,
        instance: Option<&str>,
    ) -> Result<(), GroupError> {
        check_group_id(group_id)?;
        let mut state = self.inner.lock_state();
        state.locate(group_id)?;
        match state.groups.get_mut(group_id) {
            None => Err(GroupError::UnknownMemberId {
                group: group_id.to_owned(),
                member_id: member_id.to_owned(),
            }),
            Some(group) => group.heartbeat(member_id, generation, instance, Instant::now()),
        }
    }

    /// Handles a LeaveGroup: one result per (member id, group instance id).
    pub fn leave(
        &self,
        group_id: &str,
        members: &[(String, Option<String>)],
    ) -> Result<Vec<Result<(), GroupError>>, GroupError> {
        check_group_id(group_id)?;
        let mut state = self.inner.lock_state();
        state.locate(group_id)?;
        let results = match state.groups.get_mut(group_id) {
            None => members
                .iter()
                .map(|(member_id, _)| {
                    Err(GroupError::UnknownMemberId {
                        group: group_id.to_owned(),
                        member_id: member_id.clone(),
                    })
                })
                .collect(),
            Some(group) => {
                let now = Instant::now();
                members
                    .iter()
                    .map(|(member_id, instance)| {
                        group.leave(
                            member_id,
                            instance.as_deref(),
                            &self.inner.config,
                            now,
                            now_ms(),
                        )
                    })
                    .collect()
            }
        };
        drop(state);
        self.inner.wake.notify_one();
        Ok(results)
    }

    /// Handles an OffsetCommit: one result per offset, in order. The accepted offsets are
    /// written in one batch and visible to OffsetFetch once it is appended.
    pub async fn commit(
        &self,
        group_id: &str,
        member_id: &str,
        instance: Option<&str>,
        generation: i32,
        offsets: Vec<OffsetCommit>,
    ) -> Result<Vec<Result<(), GroupError>>, GroupError> {
        check_group_id(group_id)?;
        let image = self.inner.cluster.image();
        let max_metadata = self.inner.config.offset_metadata_max_bytes;
        let partition = {
            let mut state = self.inner.lock_state();
            let partition = state.locate(group_id)?;
            match state.groups.get_mut(group_id) {
                Some(group) => {
                    group.validate_commit(member_id, instance, generation, Instant::now())?
                }
                None if generation < 0 => {
                    // A group that only commits (no group management): created by its commit.
                    state
                        .groups
                        .insert(group_id.to_owned(), Group::new(group_id, now_ms()));
                }
                None => {
                    return Err(GroupError::IllegalGeneration {
                        given: generation,
                        current: -1,
                    })
                }
            }
            partition
        };
        let commit_timestamp = now_ms();
        let mut results = Vec::with_capacity(offsets.len());
        let mut records = Vec::new();
        let mut accepted = Vec::new();
        for commit in offsets {
            let metadata = commit.metadata.clone().unwrap_or_default();
            let result = if image.partition(&commit.topic, commit.partition).is_none() {
                Err(GroupError::UnknownTopicOrPartition {
                    topic: commit.topic.clone(),
                    partition: commit.partition,
                })
            } else if usize::try_from(max_metadata).map_or(true, |max| metadata.len() > max) {
                Err(GroupError::OffsetMetadataTooLarge {
                    len: metadata.len(),
                    max: max_metadata,
                })
            } else {
                let value = OffsetValue {
                    offset: commit.offset,
                    leader_epoch: commit.leader_epoch,
                    metadata,
                    commit_timestamp,
                    expire_timestamp: -1,
                };
                let key = RecordKey::Offset {
                    group: group_id.to_owned(),
                    topic: commit.topic.clone(),
                    partition: commit.partition,
                };
                records.push((key.encode(), Some(value.encode())));
                accepted.push(((commit.topic.clone(), commit.partition), value));
                Ok(())
            };
            results.push(result);
        }
        if records.is_empty() {
            return Ok(results);
        }
        let id = group_id.to_owned();
        let stored = self
            .inner
            .append(partition, records, move |state| {
                if let Some(group) = state.groups.get_mut(&id) {
                    for (key, value) in accepted {
                        group.offsets.insert(key, value);
                    }
                }
            })
            .await;
        if let Err(error) = stored {
            for result in results.iter_mut().filter(|result| result.is_ok()) {
                *result = Err(error.clone());
            }
        }
        Ok(results)
    }

    /// Handles one group of an OffsetFetch: `topics` `None` asks for every committed
    /// offset; a partition without a commit answers `None`.
    #[allow(clippy::type_complexity)]
    pub fn fetch_offsets(
        &self,
        group_id: &str,
        topics: Option<Vec<(String, Vec<i32>)>>,
    ) -> Result<Vec<(String, Vec<(i32, Option<OffsetValue>)>)>, GroupError> {
        let state = self.inner.lock_state();
        state.locate(group_id)?;
        let committed = state.groups.get(group_id).map(|group| &group.offsets);
        let mut answer = Vec::new();
        match topics {
            Some(topics) => {
                for (topic, partitions) in topics {
                    let mut found = Vec::with_capacity(partitions.len());
                    for partition in partitions {
                        let value = committed
                            .and_then(|offsets| offsets.get(&(topic.clone(), partition)))
                            .cloned();
                        found.push((partition, value));
                    }
                    answer.push((topic, found));
                }
            }
            None => {
                let mut by_topic: BTreeMap<String, Vec<(i32, Option<OffsetValue>)>> =
                    BTreeMap::new();
                for ((topic, partition), value) in committed.into_iter().flatten() {
                    by_topic
                        .entry(topic.clone())
                        .or_default()
                        .push((*partition, Some(value.clone())));
                }
                answer.extend(by_topic);
            }
        }
        Ok(answer)
    }

    /// The groups this broker coordinates; LOAD_IN_PROGRESS alongside them while a
    /// partition is still loading.
    pub fn list_groups(&self) -> (Option<GroupError>, Vec<GroupListing>) {
        let state = self.inner.lock_state();
        let loading = state
            .partitions
            .iter()
            .find(|(_, status)| matches!(status, PartitionStatus::Loading(_)))
            .map(|(partition, _)| GroupError::LoadInProgress {
                group: String::new(),
                partition: *partition,
            });
        let listings = state
            .groups
            .values()
            .filter(|group| group.state != GroupState::Dead)
            .map(|group| GroupListing {
                group_id: group.id.clone(),
                protocol_type: group.protocol_type.clone().unwrap_or_default(),
                state: group.state,
            })
            .collect();
        (loading, listings)
    }

    /// Describes `group_id`; `Ok(None)` when there is no such group.
    pub fn describe(&self, group_id: &str) -> Result<Option<GroupDescription>, GroupError> {
        let state = self.inner.lock_state();
        state.locate(group_id)?;
        let Some(group) = state.groups.get(group_id) else {
            return Ok(None);
        };
        let stable = group.state == GroupState::Stable;
        let protocol = group.protocol.clone().unwrap_or_default();
        let members = group
            .members
            .values()
            .map(|member| MemberDescription {
                member_id: member.member_id.clone(),
                group_instance_id: member.group_instance_id.clone(),
                client_id: member.client_id.clone(),
                client_host: member.client_host.clone(),
                metadata: if stable {
                    member.metadata(&protocol)
                } else {
                    Bytes::new()
                },
                assignment: if stable {
                    member.assignment.clone()
                } else {
                    Bytes::new()
                },
            })
            .collect();
        Ok(Some(GroupDescription {
            state: group.state,
            protocol_type: group.protocol_type.clone().unwrap_or_default(),
            protocol: if stable { protocol } else { String::new() },
            members,
        }))
    }

    /// Deletes Empty groups: their offsets and metadata are tombstoned, then they are gone.
    pub async fn delete_groups(&self, group_ids: &[String]) -> Vec<Result<(), GroupError>> {
        let mut results = Vec::with_capacity(group_ids.len());
        for group_id in group_ids {
            results.push(self.delete_group(group_id).await);
        }
        results
    }

    async fn delete_group(&self, group_id: &str) -> Result<(), GroupError> {
        check_group_id(group_id)?;
        let (partition, records) = {
            let state = self.inner.lock_state();
            let partition = state.locate(group_id)?;
            let group = state
                .groups
                .get(group_id)
                .filter(|group| group.state != GroupState::Dead)
                .ok_or_else(|| GroupError::GroupIdNotFound {
                    group: group_id.to_owned(),
                })?;
            if group.state != GroupState::Empty {
                return Err(GroupError::NonEmptyGroup {
                    group: group_id.to_owned(),
                });
            }
            (partition, group_tombstones(group))
        };
        let id = group_id.to_owned();
        self.inner
            .append(partition, records, move |state| {
                if let Some(mut group) = state.groups.remove(&id) {
                    group.mark_dead(now_ms());
                }
            })
            .await
    }

    /// Handles an OffsetDelete: one result per partition, in order; the deleted offsets are
    /// tombstoned.
    pub async fn delete_offsets(
        &self,
        group_id: &str,
        partitions: &[(String, i32)],
    ) -> Result<Vec<Result<(), GroupError>>, GroupError> {
        check_group_id(group_id)?;
        let image = self.inner.cluster.image();
        let (partition, results, records, removed) = {
            let state = self.inner.lock_state();
            let partition = state.locate(group_id)?;
            let group = state
                .groups
                .get(group_id)
                .filter(|group| group.state != GroupState::Dead)
                .ok_or_else(|| GroupError::GroupIdNotFound {
                    group: group_id.to_owned(),
                })?;
            let consumer =
                group.protocol_type.as_deref() == Some(super::state::CONSUMER_PROTOCOL_TYPE);
            if group.state != GroupState::Empty && !consumer {
                return Err(GroupError::NonEmptyGroup {
                    group: group_id.to_owned(),
                });
            }
            let subscribed = if group.state == GroupState::Empty {
                BTreeSet::new()
            } else {
                group.subscribed_topics().unwrap_or_default()
            };
            let mut results = Vec::with_capacity(partitions.len());
            let mut records = Vec::new();
            let mut removed = Vec::new();
            for (topic, index) in partitions {
                if image.partition(topic, *index).is_none() {
                    results.push(Err(GroupError::UnknownTopicOrPartition {
                        topic: topic.clone(),
                        partition: *index,
                    }));
                } else if subscribed.contains(topic) {
                    results.push(Err(GroupError::GroupSubscribedToTopic {
                        group: group_id.to_owned(),
                        topic: topic.clone(),
                    }));
                } else {
                    let key = (topic.clone(), *index);
                    if group.offsets.contains_key(&key) {
                        records.push((
                            RecordKey::Offset {
                                group: group_id.to_owned(),
                                topic: topic.clone(),
                                partition: *index,
                            }
                            .encode(),
                            None,
                        ));
                        removed.push(key);
                    }
                    results.push(Ok(()));
                }
            }
            (partition, results, records, removed)
        };
        if records.is_empty() {
            return Ok(results);
        }
        let id = group_id.to_owned();
        self.inner
            .append(partition, records, move |state| {
                if let Some(group) = state.groups.get_mut(&id) {
                    for key in &removed {
                        group.offsets.remove(key);
                    }
                }
            })
            .await?;
        Ok(results)
    }
}

/// The live leader of `key`'s offsets partition in `image`.
fn coordinator_in(image: &MetadataImage, key: &str) -> Option<i32> {
    let topic = image.topic(OFFSETS_TOPIC)?;
    let count = i32::try_from(topic.partitions.len()).ok()?;
    let partition = partition_for(key, count);
    topic
        .partitions
        .get(&partition)?
        .leader()
        .filter(|leader| image.is_live(*leader))
}

/// Tombstones for every offset of `group` and then its metadata.
fn group_tombstones(group: &Group) -> Records {
    let mut records: Records = group
        .offsets
        .keys()
        .map(|(topic, partition)| {
            let key = RecordKey::Offset {
                group: group.id.clone(),
                topic: topic.clone(),
                partition: *partition,
            };
            (key.encode(), None)
        })
        .collect();
    records.push((
        RecordKey::Group {
            group: group.id.clone(),
        }
        .encode(),
        None,
    ));
    records
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves the groups as they were at the panic; keep
    // serving rather than failing every later request.
    match state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Inner {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Appends `records` (key, value or tombstone) to offsets partition `partition` as one
    /// batch, as its leader, then runs `apply` on the groups under the same storage lock.
    async fn append<T, F>(
        self: &Arc<Self>,
        partition: i32,
        records: Records,
        apply: F,
    ) -> Result<T, GroupError>
    where
        T: Send + 'static,
        F: FnOnce(&mut State) -> T + Send + 'static,
    {
        let target = TopicPartition::new(OFFSETS_TOPIC, partition);
        if self.replicas.leader_epoch(&target).is_none() {
            return Err(GroupError::NotCoordinator {
                group: format!("{OFFSETS_TOPIC}-{partition}"),
            });
        }
        let timestamp = now_ms();
        let mut builder = BatchBuilder::new(timestamp);
        for (key, value) in &records {
            builder.record(timestamp, Some(key), value.as_deref(), &[]);
        }
        let batch = builder.build();
        let inner = Arc::clone(self);
        let appended_to = target.clone();
        let outcome = self
            .storage
            .run_append(OFFSETS_TOPIC, partition, move |dir| {
                // Written like a produce with acks=all: min.insync.replicas applies.
                let appended = inner
                    .replicas
                    .append_as_leader(dir, &appended_to, &batch, true);
                Ok(appended.map(|appended| {
                    let mut state = lock(&inner.state);
                    (apply(&mut state), appended)
                }))
            })
            .await
            .map_err(ReplicationError::Storage)
            .and_then(|inner| inner);
        let failed = |error: ReplicationError| {
            let code = match &error {
                ReplicationError::Storage(storage) => storage_error_code(storage),
                other => other
                    .response_error()
                    .unwrap_or(ResponseError::KafkaStorageError),
            };
            GroupError::StoreFailed {
                code: store_failure_code(code),
                reason: error.to_string(),
            }
        };
        let (value, appended) = outcome.map_err(failed)?;
        self.storage.notify_append();
        // Answered once every in-sync replica has it (`offsets.commit.timeout.ms`).
        self.replicas
            .wait_for_replication(
                &target,
                appended.info.last_offset.saturating_add(1),
                appended.min_insync_replicas,
                self.config.offsets_commit_timeout,
            )
            .await
            .map_err(failed)?;
        Ok(value)
    }

    /// Brings the led partitions in line with `image`: loads new ones, unloads lost ones.
    fn reconcile_leadership(self: &Arc<Self>, image: &MetadataImage) {
        if !image.loaded {
            return;
        }
        let mut led = BTreeSet::new();
        let mut count = None;
        if let Some(topic) = image.topic(OFFSETS_TOPIC) {
            count = i32::try_from(topic.partitions.len()).ok();
            for partition in topic.partitions.keys() {
                if image.leadership(self.broker_id, OFFSETS_TOPIC, *partition) == Leadership::Local
                {
                    led.insert(*partition);
                }
            }
        }
        let mut to_load = Vec::new();
        {
            let mut state = self.lock_state();
            if let Some(count) = count.filter(|count| *count > 0) {
                state.partition_count = count;
            }
            let lost: Vec<i32> = state
                .partitions
                .keys()
                .copied()
                .filter(|partition| !led.contains(partition))
                .collect();
            for partition in lost {
                state.partitions.remove(&partition);
                let gone: Vec<String> = state
                    .groups
                    .keys()
                    .filter(|group| state.partition_of(group) == partition)
                    .cloned()
                    .collect();
                for id in gone {
                    if let Some(mut group) = state.groups.remove(&id) {
                        group.abandon(&GroupError::NotCoordinator { group: id.clone() });
                    }
                }
                tracing::info!(
                    "[GroupCoordinator {}]: Unloaded groups of {OFFSETS_TOPIC}-{partition}",
                    self.broker_id
                );
            }
            for partition in &led {
                if !state.partitions.contains_key(partition) {
                    state.next_load += 1;
                    let token = state.next_load;
                    state
                        .partitions
                        .insert(*partition, PartitionStatus::Loading(token));
                    to_load.push((*partition, token));
                }
            }
        }
        for (partition, token) in to_load {
            tokio::spawn(load_partition(Arc::clone(self), partition, token));
        }
    }

    /// Applies due deadlines and returns the groups' pending writes and the next deadline.
    fn expire_due(&self) -> (Vec<(i32, Records)>, Option<Instant>) {
        let now = Instant::now();
        let now_ms = now_ms();
        let mut state = self.lock_state();
        let mut writes = Vec::new();
        let mut next: Option<Instant> = None;
        let count = state.partition_count;
        for group in state.groups.values_mut() {
            if group
                .next_deadline()
                .is_some_and(|deadline| deadline <= now)
            {
                group.expire(&self.config, now, now_ms);
            }
            if group.take_dirty() {
                let key = RecordKey::Group {
                    group: group.id.clone(),
                }
                .encode();
                writes.push((
                    partition_for(&group.id, count),
                    vec![(key, Some(group.to_stored().encode()))],
                ));
            }
            if let Some(deadline) = group.next_deadline() {
                next = Some(next.map_or(deadline, |current| current.min(deadline)));
            }
        }
        (writes, next)
    }

    /// Offset retention: expired offsets go (tombstones), and Empty groups left without
    /// offsets become Dead (their metadata tombstoned).
    fn expire_offsets(&self) -> Vec<(i32, Records)> {
        let now_ms = now_ms();
        let mut state = self.lock_state();
        let count = state.partition_count;
        let mut writes: BTreeMap<i32, Records> = BTreeMap::new();
        let mut dead = Vec::new();
        for group in state.groups.values_mut() {
            let partition = partition_for(&group.id, count);
            let expired = group.expired_offsets(self.config.offsets_retention, now_ms);
            for key in expired {
                group.offsets.remove(&key);
                let record = RecordKey::Offset {
                    group: group.id.clone(),
                    topic: key.0.clone(),
                    partition: key.1,
                };
                writes
                    .entry(partition)
                    .or_default()
                    .push((record.encode(), None));
            }
            if group.state == GroupState::Empty && group.offsets.is_empty() {
                dead.push(group.id.clone());
                let record = RecordKey::Group {
                    group: group.id.clone(),
                };
                writes
                    .entry(partition)
                    .or_default()
                    .push((record.encode(), None));
            }
        }
        for id in dead {
            if let Some(mut group) = state.groups.remove(&id) {
                group.mark_dead(now_ms);
                tracing::info!("[GroupMetadataManager] Group {id} transitioned to Dead");
            }
        }
        writes.into_iter().collect()
    }
}

/// Loads one offsets partition (retrying while this broker still leads it).
async fn load_partition(inner: Arc<Inner>, partition: i32, token: u64) {
    let started = std::time::Instant::now();
    loop {
        let buffer = usize::try_from(inner.config.offsets_load_buffer_size).unwrap_or(1 << 20);
        let loader = Arc::clone(&inner);
        let outcome = inner
            .storage
            .run(move |dir| {
                let replayed =
                    replay_partition(dir, partition, buffer).map_err(StorageError::from)?;
                let groups = replayed.into_groups(Instant::now(), now_ms());
                let mut state = lock(&loader.state);
                if state.partitions.get(&partition) != Some(&PartitionStatus::Loading(token)) {
                    return Ok(None);
                }
                let count = groups.len();
                for (id, group) in groups {
                    state.groups.insert(id, group);
                }
                state.partitions.insert(partition, PartitionStatus::Loaded);
                Ok(Some(count))
            })
            .await;
        match outcome {
            Ok(Some(count)) => {
                tracing::info!(
                    "[GroupMetadataManager brokerId={}] Finished loading offsets and group metadata from {OFFSETS_TOPIC}-{partition} in {} milliseconds ({count} groups)",
                    inner.broker_id,
                    started.elapsed().as_millis()
                );
                inner.wake.notify_one();
                return;
            }
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, partition, "loading an offsets partition failed; retrying");
                tokio::time::sleep(LOAD_RETRY).await;
                let still = lock(&inner.state).partitions.get(&partition)
                    == Some(&PartitionStatus::Loading(token));
                if !still {
                    return;
                }
            }
        }
    }
}

/// Follows the metadata image (see the module docs).
async fn watch_leadership(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let image = inner.cluster.image();
        inner.reconcile_leadership(&image);
        let seen = Arc::as_ptr(&image) as usize;
        let changed = inner
            .cluster
            .wait_until(Duration::from_secs(3600), move |current| {
                std::ptr::from_ref(current) as usize != seen
            });
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = changed => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// The timer task (see the module docs).
async fn run_timers(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let interval = inner.config.offsets_retention_check_interval;
    let mut next_retention = Instant::now() + interval;
    loop {
        let (mut writes, next) = inner.expire_due();
        if Instant::now() >= next_retention {
            writes.extend(inner.expire_offsets());
            next_retention = Instant::now() + interval;
        }
        for (partition, records) in writes {
            if let Err(error) = inner.append(partition, records, |_| ()).await {
                tracing::warn!(%error, partition, "writing group metadata failed");
            }
        }
        let wake_at = next.map_or(next_retention, |next| next.min(next_retention));
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = inner.wake.notified() => {}
            _ = tokio::time::sleep_until(wake_at) => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
