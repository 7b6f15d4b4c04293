//! Group membership of one consumer in Kafka's classic (eager) rebalance protocol:
//! FindCoordinator, JoinGroup, SyncGroup, background Heartbeats and LeaveGroup.
//!
//! Join: JoinGroup with an empty member id first; from v4 the coordinator answers
//! MEMBER_ID_REQUIRED with the id to use and the join is repeated with it. The member the
//! coordinator names leader decodes every member's [`Subscription`], looks up the partition
//! counts of the subscribed topics and runs the chosen [`Assignor`]; everyone then sends
//! SyncGroup (the leader with the plan) and receives its [`Assignment`]. Errors on the way
//! restart the join: REBALANCE_IN_PROGRESS and ILLEGAL_GENERATION keep the member id,
//! UNKNOWN_MEMBER_ID drops it, NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / a lost
//! connection look the coordinator up again. Anything else is returned to the caller.
//!
//! Heartbeats: a background task sends Heartbeat every `heartbeat.interval.ms` while the
//! member is stable. REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and
//! FENCED_INSTANCE_ID mark the member as needing to rejoin ([`GroupMember::rejoin_needed`]);
//! the consumer rejoins on its next poll. Heartbeats pause during a join: the coordinator
//! holds JoinGroup up to the rebalance timeout and answers a connection's requests in order.
//!
//! Connections: the coordinator gets a connection of its own (not the broker's shared
//! one), so heartbeats never queue behind a long-polling Fetch. Locks: the member state is
//! behind a `std` mutex that is never held across an `.await`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    GroupId, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    SyncGroupRequest,
};
use kafka_protocol::protocol::{Request, StrBytes};
use kafka_protocol::ResponseError;
use tokio::task::JoinHandle;

use super::assignor::{Assignor, MemberSubscription};
use super::cluster::Client;
use super::connection::Connection;
use super::consumer_protocol::{
    decode_assignment, decode_subscription, encode_assignment, encode_subscription, Assignment,
    Subscription, PROTOCOL_TYPE,
};
use super::coordinator::{needs_new_coordinator, CoordinatorNode};
use super::error::{coordinator_moved, ClientError};
use super::offsets::{self, CommitIdentity, OffsetMap};

/// Group settings under Kafka's consumer names.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id` (static membership).
    pub group_instance_id: Option<String>,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `max.poll.interval.ms`, sent as the rebalance timeout.
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `partition.assignment.strategy`, in preference order.
    pub assignors: Vec<Assignor>,
    /// `client.rack`.
    pub client_rack: Option<String>,
}

impl GroupConfig {
    /// Kafka's consumer defaults for `group_id`.
    pub fn new(group_id: &str) -> GroupConfig {
        GroupConfig {
            group_id: group_id.to_string(),
            group_instance_id: None,
            session_timeout: Duration::from_millis(45_000),
            rebalance_timeout: Duration::from_millis(300_000),
            heartbeat_interval: Duration::from_millis(3_000),
            assignors: vec![Assignor::Range],
            client_rack: None,
        }
    }
}

/// The member's state, shared with the heartbeat task.
#[derive(Debug, Default)]
struct MemberState {
    member_id: String,
    generation_id: i32,
    /// Stable: joined and synced; heartbeats run only then.
    stable: bool,
    rejoin_needed: bool,
    coordinator: Option<(CoordinatorNode, Arc<Connection>)>,
    /// Set by close: the heartbeat task stops.
    closed: bool,
}

fn lock(state: &Mutex<MemberState>) -> MutexGuard<'_, MemberState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn str_bytes(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

/// One consumer's membership in a group.
#[derive(Debug)]
pub struct GroupMember {
    client: Arc<Client>,
    config: GroupConfig,
    state: Arc<Mutex<MemberState>>,
    heartbeat: JoinHandle<()>,
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

/// The coordinator connection recorded in `state`, or a fresh lookup and connection.
async fn coordinator_connection(
    client: &Client,
    group: &str,
    state: &Mutex<MemberState>,
) -> Result<Arc<Connection>, ClientError> {
    let known = lock(state)
        .coordinator
        .as_ref()
        .filter(|(_, connection)| !connection.is_closed())
        .map(|(_, connection)| connection.clone());
    if let Some(connection) = known {
        return Ok(connection);
    }
    let node = client.find_coordinator(group).await?;
    let connection =
        Arc::new(Connection::connect(&node.address(), &client.config().connection).await?);
    lock(state).coordinator = Some((node, connection.clone()));
    Ok(connection)
}

impl GroupMember {
    /// A member of `config.group_id` that has not joined yet; starts the heartbeat task.
    pub fn new(client: Arc<Client>, config: GroupConfig) -> GroupMember {
        let state = Arc::new(Mutex::new(MemberState {
            generation_id: -1,
            ..MemberState::default()
        }));
        let heartbeat = tokio::spawn(heartbeat_loop(
            client.clone(),
            config.clone(),
            state.clone(),
        ));
        GroupMember {
            client,
            config,
            state,
            heartbeat,
        }
    }

    /// The group id.
    pub fn group_id(&self) -> &str {
        &self.config.group_id
    }

    /// The member id the coordinator gave (empty before the first join).
    pub fn member_id(&self) -> String {
        lock(&self.state).member_id.clone()
    }

    /// The generation of the last completed join (-1 before).
    pub fn generation_id(&self) -> i32 {
        lock(&self.state).generation_id
    }

    /// True when a heartbeat or commit learnt that the group is rebalancing or forgot us.
    pub fn rejoin_needed(&self) -> bool {
        let state = lock(&self.state);
        state.rejoin_needed || !state.stable
    }

    /// How this member signs its offset commits.
    pub fn identity(&self) -> CommitIdentity {
        let state = lock(&self.state);
        CommitIdentity {
            generation_id: state.generation_id,
            member_id: state.member_id.clone(),
            group_instance_id: self.config.group_instance_id.clone(),
        }
    }

    fn forget_coordinator(&self) {
        lock(&self.state).coordinator = None;
    }

    async fn coordinator(&self) -> Result<Arc<Connection>, ClientError> {
        coordinator_connection(&self.client, &self.config.group_id, &self.state).await
    }

    fn group_error(&self, error: ResponseError) -> ClientError {
        ClientError::Group {
            group: self.config.group_id.clone(),
            error,
        }
    }

    /// Joins (or rejoins) the group subscribed to `topics` and returns this member's
    /// assignment once SyncGroup answered; the member is stable afterwards.
    pub async fn join(&self, topics: &[String]) -> Result<Assignment, ClientError> {
        let mut subscription = Subscription::new(topics.to_vec());
        subscription.rack_id = self.config.client_rack.clone();
        let metadata = encode_subscription(&subscription)?;
        let mut failures = 0u32;
        {
            let mut state = lock(&self.state);
            state.stable = false;
        }
        loop {
            match self.join_once(&metadata).await {
                Ok(Some(assignment)) => return Ok(assignment),
                Ok(None) => {}
                Err(error) if needs_new_coordinator(&error) => {
                    failures += 1;
                    if failures > self.client.config().retries {
                        return Err(error);
                    }
                    self.forget_coordinator();
                    tokio::time::sleep(self.client.config().retry_backoff).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// One JoinGroup + SyncGroup round: the assignment, or `None` when the round must be
    /// repeated (member id handed out, rebalance restarted).
    async fn join_once(&self, metadata: &bytes::Bytes) -> Result<Option<Assignment>, ClientError> {
        let connection = self.coordinator().await?;
        let mut request = JoinGroupRequest::default();
        request.group_id = GroupId(str_bytes(&self.config.group_id));
        request.session_timeout_ms = millis(self.config.session_timeout);
        request.rebalance_timeout_ms = millis(self.config.rebalance_timeout);
        request.member_id = str_bytes(&self.member_id());
        request.group_instance_id = self.config.group_instance_id.as_deref().map(str_bytes);
        request.protocol_type = str_bytes(PROTOCOL_TYPE);
        for assignor in &self.config.assignors {
            let mut protocol = JoinGroupRequestProtocol::default();
            protocol.name = str_bytes(assignor.name());
            protocol.metadata = metadata.clone();
            request.protocols.push(protocol);
        }
        // The coordinator holds JoinGroup until every member rejoined or the rebalance
        // timeout passed.
        let wait = self
            .config
            .rebalance_timeout
            .saturating_add(Duration::from_secs(5))
            .max(self.client.config().connection.request_timeout);
        let response = connection
            .send(&request)
            .await?
            .with_timeout(wait)
            .receive()
            .await?;
        match ResponseError::try_from_code(response.error_code) {
            None => {}
            Some(ResponseError::MemberIdRequired) => {
                lock(&self.state).member_id = response.member_id.as_str().to_string();
                return Ok(None);
            }
            Some(ResponseError::UnknownMemberId) => {
                lock(&self.state).member_id = String::new();
                return Ok(None);
            }
            Some(ResponseError::RebalanceInProgress) => {
                tokio::time::sleep(self.client.config().retry_backoff).await;
                return Ok(None);
            }
            Some(error) => return Err(self.group_error(error)),
        }
        let member_id = response.member_id.as_str().to_string();
        let generation_id = response.generation_id;
        lock(&self.state).member_id = member_id.clone();
        let protocol_name = response
            .protocol_name
            .as_ref()
            .map(|name| name.as_str().to_string())
            .unwrap_or_default();
        let assignments = if response.leader.as_str() == member_id {
            self.lead(&protocol_name, &response).await?
        } else {
            Vec::new()
        };
        let mut sync = SyncGroupRequest::default();
        sync.group_id = GroupId(str_bytes(&self.config.group_id));
        sync.generation_id = generation_id;
        sync.member_id = str_bytes(&member_id);
        sync.group_instance_id = self.config.group_instance_id.as_deref().map(str_bytes);
        sync.protocol_type = Some(str_bytes(PROTOCOL_TYPE));
        sync.protocol_name = Some(str_bytes(&protocol_name));
        sync.assignments = assignments;
        let response = connection
            .send(&sync)
            .await?
            .with_timeout(wait)
            .receive()
            .await?;
        match ResponseError::try_from_code(response.error_code) {
            None => {}
            Some(ResponseError::RebalanceInProgress | ResponseError::IllegalGeneration) => {
                return Ok(None);
            }
            Some(ResponseError::UnknownMemberId) => {
                lock(&self.state).member_id = String::new();
                return Ok(None);
            }
            Some(error) => return Err(self.group_error(error)),
        }
        let assignment = decode_assignment(response.assignment.clone())?;
        let mut state = lock(&self.state);
        state.generation_id = generation_id;
        state.stable = true;
        state.rejoin_needed = false;
        tracing::debug!(
            group = %self.config.group_id,
            member = %member_id,
            generation = generation_id,
            partitions = assignment.len(),
            "joined"
        );
        Ok(Some(assignment))
    }

    /// The leader's part: every member's assignment by the chosen assignor.
    async fn lead(
        &self,
        protocol_name: &str,
        response: &JoinGroupResponse,
    ) -> Result<Vec<SyncGroupRequestAssignment>, ClientError> {
        let assignor = Assignor::from_name(protocol_name)
            .filter(|assignor| self.config.assignors.contains(assignor))
            .ok_or_else(|| ClientError::UnknownAssignor {
                name: protocol_name.to_string(),
            })?;
        let mut members = Vec::new();
        let mut topics: Vec<String> = Vec::new();
        for member in &response.members {
            let subscription = decode_subscription(member.metadata.clone())?;
            for topic in &subscription.topics {
                if !topics.contains(topic) {
                    topics.push(topic.clone());
                }
            }
            members.push(MemberSubscription {
                member_id: member.member_id.as_str().to_string(),
                group_instance_id: member
                    .group_instance_id
                    .as_ref()
                    .map(|id| id.as_str().to_string()),
                subscription,
            });
        }
        let mut partitions = BTreeMap::new();
        if !topics.is_empty() {
            let lookup = self.client.describe_topics(&topics, false).await?;
            for topic in lookup.found {
                let count = i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX);
                partitions.insert(topic.name, count);
            }
        }
        let plan = assignor.assign(&members, &partitions);
        let mut assignments = Vec::new();
        for (member_id, assignment) in plan {
            let mut entry = SyncGroupRequestAssignment::default();
            entry.member_id = str_bytes(&member_id);
            entry.assignment = encode_assignment(&assignment)?;
            assignments.push(entry);
        }
        Ok(assignments)
    }

    /// Commits `offsets` as this member. Errors that mean "the group moved on" mark the
    /// member for a rejoin and are returned.
    pub async fn commit(&self, offsets: &OffsetMap) -> Result<(), ClientError> {
        let mut attempt = 0;
        loop {
            let outcome = match self.coordinator().await {
                Ok(connection) => {
                    offsets::commit(
                        &connection,
                        &self.config.group_id,
                        &self.identity(),
                        offsets,
                    )
                    .await
                }
                Err(error) => Err(error),
            };
            let failure = match outcome {
                Ok(errors) => match errors.into_iter().next() {
                    None => return Ok(()),
                    Some((_, _, error)) => self.group_error(error),
                },
                Err(error) => error,
            };
            if let ClientError::Group { error, .. } = &failure {
                if matches!(
                    error,
                    ResponseError::RebalanceInProgress
                        | ResponseError::IllegalGeneration
                        | ResponseError::UnknownMemberId
                        | ResponseError::FencedInstanceId
                ) {
                    let mut state = lock(&self.state);
                    state.rejoin_needed = true;
                    if *error == ResponseError::UnknownMemberId {
                        state.member_id = String::new();
                    }
                    return Err(failure);
                }
            }
            if !needs_new_coordinator(&failure) || attempt >= self.client.config().retries {
                return Err(failure);
            }
            attempt += 1;
            self.forget_coordinator();
            tokio::time::sleep(self.client.config().retry_backoff).await;
        }
    }

    /// The group's committed offsets for `partitions`.
    pub async fn committed(&self, partitions: &[(String, i32)]) -> Result<OffsetMap, ClientError> {
        let mut attempt = 0;
        loop {
            let outcome = match self.coordinator().await {
                Ok(connection) => {
                    offsets::fetch(&connection, &self.config.group_id, Some(partitions)).await
                }
                Err(error) => Err(error),
            };
            match outcome {
                Ok(offsets) => return Ok(offsets),
                Err(error) if error.is_retriable() && attempt < self.client.config().retries => {
                    attempt += 1;
                    if needs_new_coordinator(&error) {
                        self.forget_coordinator();
                    }
                    tokio::time::sleep(self.client.config().retry_backoff).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Stops heartbeating and leaves the group (static members stay: their session
    /// expires, as Kafka's consumers do on close).
    pub async fn leave(&self) -> Result<(), ClientError> {
        let (member_id, connection) = {
            let mut state = lock(&self.state);
            state.closed = true;
            state.stable = false;
            (
                state.member_id.clone(),
                state
                    .coordinator
                    .as_ref()
                    .map(|(_, connection)| connection.clone()),
            )
        };
        self.heartbeat.abort();
        if member_id.is_empty() || self.config.group_instance_id.is_some() {
            return Ok(());
        }
        let Some(connection) = connection.filter(|connection| !connection.is_closed()) else {
            return Ok(());
        };
        let version = connection.version(LeaveGroupRequest::KEY).unwrap_or(0);
        let mut request = LeaveGroupRequest::default();
        request.group_id = GroupId(str_bytes(&self.config.group_id));
        if version >= 3 {
            let mut member = MemberIdentity::default();
            member.member_id = str_bytes(&member_id);
            member.reason = Some(StrBytes::from_static_str("the consumer is being closed"));
            request.members.push(member);
        } else {
            request.member_id = str_bytes(&member_id);
        }
        let response = connection.call(&request).await?;
        let member_error = response
            .members
            .iter()
            .find_map(|member| ResponseError::try_from_code(member.error_code));
        match ResponseError::try_from_code(response.error_code).or(member_error) {
            // The coordinator already forgot the member: nothing left to leave.
            None | Some(ResponseError::UnknownMemberId) => Ok(()),
            Some(error) => Err(self.group_error(error)),
        }
    }
}

fn millis(duration: Duration) -> i32 {
    i32::try_from(duration.as_millis()).unwrap_or(i32::MAX)
}

/// Sends a Heartbeat every `heartbeat_interval` while the member is stable.
async fn heartbeat_loop(client: Arc<Client>, config: GroupConfig, state: Arc<Mutex<MemberState>>) {
    let mut ticker = tokio::time::interval(config.heartbeat_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let request = {
            let state = lock(&state);
            if state.closed {
                return;
            }
            if !state.stable || state.rejoin_needed {
                continue;
            }
            let mut request = HeartbeatRequest::default();
            request.group_id = GroupId(str_bytes(&config.group_id));
            request.generation_id = state.generation_id;
            request.member_id = str_bytes(&state.member_id);
            request.group_instance_id = config.group_instance_id.as_deref().map(str_bytes);
            request
        };
        let connection = match coordinator_connection(&client, &config.group_id, &state).await {
            Ok(connection) => connection,
            Err(error) => {
                tracing::debug!(group = %config.group_id, %error, "no coordinator for heartbeat");
                continue;
            }
        };
        let outcome = connection.call(&request).await;
        let mut state = lock(&state);
        // A join may have started while the heartbeat was in flight: its answer is stale.
        if state.generation_id != request.generation_id || !state.stable {
            continue;
        }
        match outcome {
            Ok(response) => match ResponseError::try_from_code(response.error_code) {
                None => {}
                Some(
                    ResponseError::RebalanceInProgress
                    | ResponseError::IllegalGeneration
                    | ResponseError::FencedInstanceId,
                ) => state.rejoin_needed = true,
                Some(ResponseError::UnknownMemberId) => {
                    state.rejoin_needed = true;
                    state.member_id = String::new();
                }
                Some(error) if coordinator_moved(error) => state.coordinator = None,
                Some(error) => {
                    tracing::warn!(group = %config.group_id, %error, "heartbeat failed");
                    state.rejoin_needed = true;
                }
            },
            Err(error) => {
                tracing::debug!(group = %config.group_id, %error, "heartbeat failed");
                state.coordinator = None;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
