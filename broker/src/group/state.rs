//! [`Group`]: one consumer group under Kafka's classic rebalance protocol — its state,
//! members, generation, selected protocol, leader, committed offsets and deadlines.
//!
//! States: Empty (no members; offsets may exist) → PreparingRebalance (members (re)join;
//! ends when every known member rejoined, or at the rebalance timeout, or for a group that
//! was Empty one `group.initial.rebalance.delay.ms` after the last new member came,
//! bounded by the rebalance timeout) → CompletingRebalance (join answered; the
//! leader's SyncGroup carries the assignment, written to `__consumer_offsets` before
//! anyone is answered) → Stable. Members that stop heartbeating for their session timeout,
//! that do not rejoin before the rebalance timeout, or that do not sync within it, are
//! removed, which starts a rebalance. Dead: the group was deleted or expired.
//!
//! Nothing here does I/O: callers pass the time (`tokio::time::Instant`, so paused-time
//! tests drive it, and wall-clock milliseconds for stored timestamps); JoinGroup and
//! SyncGroup calls that must wait get a channel the group answers when the rebalance moves
//! on. Writes the coordinator must make are flagged ([`Group::take_dirty`]) or returned
//! ([`SyncOutcome::Persist`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::ConsumerProtocolSubscription;
use kafka_protocol::protocol::Decodable;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::error::GroupError;
use super::records::{GroupMetadataValue, MemberMetadata, OffsetValue};
use super::GroupConfig;

/// The protocol type of Kafka consumers (their subscriptions can be parsed).
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// A group's state, named as Kafka names it on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// A JoinGroup as the group sees it.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// Empty for a first join.
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocol_type: String,
    /// (name, metadata) in the member's order of preference.
    pub protocols: Vec<(String, Bytes)>,
    /// v4+: a first join without member id is answered MEMBER_ID_REQUIRED.
    pub require_known_member_id: bool,
}

/// A member as a JoinGroup response lists it (to the leader only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub metadata: Bytes,
}

/// A successful JoinGroup answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResponse {
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub member_id: String,
    /// Every member with its metadata for the chosen protocol, for the leader; empty for
    /// the others.
    pub members: Vec<JoinedMember>,
    /// A static leader rejoining a Stable group: the assignment stays, do not compute one.
    pub skip_assignment: bool,
}

pub type JoinResult = Result<JoinResponse, GroupError>;

/// A successful SyncGroup answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncResponse {
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

pub type SyncResult = Result<SyncResponse, GroupError>;

/// An answer now, or a channel the group answers on later.
#[derive(Debug)]
pub enum Reply<T> {
    Ready(T),
    Pending(oneshot::Receiver<T>),
}

/// What a SyncGroup needs from the coordinator.
#[derive(Debug)]
pub enum SyncOutcome {
    Reply(Reply<SyncResult>),
    /// The leader's assignment for `generation`: write `value` (the group with these
    /// assignments), then call [`Group::complete_sync`] or [`Group::fail_sync`]; the
    /// leader's answer comes through `reply` like everyone else's.
    Persist {
        generation: i32,
        assignments: BTreeMap<String, Bytes>,
        value: GroupMetadataValue,
        reply: oneshot::Receiver<SyncResult>,
    },
}

/// One member of a group.
#[derive(Debug)]
pub struct Member {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    pub assignment: Bytes,
    /// Session end unless a heartbeat (or join, sync, commit) comes first.
    pub session_deadline: Instant,
    awaiting_join: Option<oneshot::Sender<JoinResult>>,
    awaiting_sync: Option<oneshot::Sender<SyncResult>>,
    /// Joined during the current rebalance.
    is_new: bool,
}

impl Member {
    fn new(id: String, request: &JoinRequest, now: Instant) -> Member {
        Member {
            member_id: id,
            group_instance_id: request.group_instance_id.clone(),
            client_id: request.client_id.clone(),
            client_host: request.client_host.clone(),
            session_timeout: request.session_timeout,
            rebalance_timeout: request.rebalance_timeout,
            protocol_type: request.protocol_type.clone(),
            protocols: request.protocols.clone(),
            assignment: Bytes::new(),
            session_deadline: now + request.session_timeout,
            awaiting_join: None,
            awaiting_sync: None,
            is_new: true,
        }
    }

    /// The member's metadata for `protocol`.
    pub fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, metadata)| metadata.clone())
            .unwrap_or_default()
    }

    fn same_protocols(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols == protocols
    }

    /// Waiting members are kept alive: their session runs again once they are answered.
    fn is_waiting(&self) -> bool {
        self.awaiting_join.is_some() || self.awaiting_sync.is_some()
    }

    fn answer_join(&mut self, result: JoinResult) {
        if let Some(sender) = self.awaiting_join.take() {
            // The connection may have gone; nobody is left to tell then.
            let _ = sender.send(result);
        }
    }

    fn answer_sync(&mut self, result: SyncResult) {
        if let Some(sender) = self.awaiting_sync.take() {
            let _ = sender.send(result);
        }
    }
}

/// The initial-rebalance delay of a group that was Empty: the join phase ends one delay
/// after the last new member joined, never past `limit` (the rebalance timeout). A burst of
/// members starting together so gets one rebalance, one delay after the burst (Kafka waits
/// in whole delays counted from the first join, which can add almost a delay more).
#[derive(Debug, Clone, Copy)]
struct InitialDelay {
    limit: Instant,
}

/// One consumer group. See the module docs.
#[derive(Debug)]
pub struct Group {
    pub id: String,
    pub state: GroupState,
    /// Wall-clock ms of the last state change (stored; offsets of an Empty group expire
    /// from it).
    pub state_timestamp_ms: i64,
    pub generation: i32,
    /// `None` for groups that only commit offsets (no member ever joined).
    pub protocol_type: Option<String>,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: BTreeMap<String, Member>,
    /// group.instance.id → member id.
    static_members: BTreeMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with their join deadline.
    pending_members: BTreeMap<String, Instant>,
    /// Members of this generation that have not sent SyncGroup yet.
    pending_sync: BTreeSet<String>,
    /// Committed offsets: (topic, partition) → value.
    pub offsets: BTreeMap<(String, i32), OffsetValue>,
    join_deadline: Option<Instant>,
    initial_delay: Option<InitialDelay>,
    sync_deadline: Option<Instant>,
    /// The stored form changed: the coordinator writes the group metadata.
    dirty: bool,
}

impl Group {
    /// A new Empty group.
    pub fn new(id: &str, now_ms: i64) -> Group {
        Group {
            id: id.to_owned(),
            state: GroupState::Empty,
            state_timestamp_ms: now_ms,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: BTreeMap::new(),
            static_members: BTreeMap::new(),
            pending_members: BTreeMap::new(),
            pending_sync: BTreeSet::new(),
            offsets: BTreeMap::new(),
            join_deadline: None,
            initial_delay: None,
            sync_deadline: None,
            dirty: false,
        }
    }

    /// A group as loaded from its stored metadata: Stable with its members (whose sessions
    /// start now) or Empty.
    pub fn from_stored(id: &str, value: &GroupMetadataValue, now: Instant, now_ms: i64) -> Group {
        let mut group = Group::new(id, now_ms);
        group.generation = value.generation;
        group.protocol_type = Some(value.protocol_type.clone()).filter(|kind| !kind.is_empty());
        group.protocol = value.protocol.clone();
        group.leader = value.leader.clone();
        if value.current_state_timestamp >= 0 {
            group.state_timestamp_ms = value.current_state_timestamp;
        }
        for stored in &value.members {
            let session_timeout =
                Duration::from_millis(u64::try_from(stored.session_timeout_ms).unwrap_or(0));
            let protocol = value.protocol.clone().unwrap_or_default();
            let member = Member {
                member_id: stored.member_id.clone(),
                group_instance_id: stored.group_instance_id.clone(),
                client_id: stored.client_id.clone(),
                client_host: stored.client_host.clone(),
                session_timeout,
                rebalance_timeout: Duration::from_millis(
                    u64::try_from(stored.rebalance_timeout_ms).unwrap_or(0),
                ),
                protocol_type: value.protocol_type.clone(),
                protocols: vec![(protocol, Bytes::from(stored.subscription.clone()))],
                assignment: Bytes::from(stored.assignment.clone()),
                session_deadline: now + session_timeout,
                awaiting_join: None,
                awaiting_sync: None,
                is_new: false,
            };
            if let Some(instance) = &member.group_instance_id {
                group
                    .static_members
                    .insert(instance.clone(), member.member_id.clone());
            }
            group.members.insert(member.member_id.clone(), member);
        }
        group.state = if group.members.is_empty() {
            GroupState::Empty
        } else {
            GroupState::Stable
        };
        group
    }

    /// The stored form of the group (members with their current assignments).
    pub fn to_stored(&self) -> GroupMetadataValue {
        self.stored_with(|member| member.assignment.clone())
    }

    fn stored_with(&self, assignment: impl Fn(&Member) -> Bytes) -> GroupMetadataValue {
        let protocol = self.protocol.clone().unwrap_or_default();
        GroupMetadataValue {
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            generation: self.generation,
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            current_state_timestamp: self.state_timestamp_ms,
            members: self
                .members
                .values()
                .map(|member| MemberMetadata {
                    member_id: member.member_id.clone(),
                    group_instance_id: member.group_instance_id.clone(),
                    client_id: member.client_id.clone(),
                    client_host: member.client_host.clone(),
                    rebalance_timeout_ms: millis_i32(member.rebalance_timeout),
                    session_timeout_ms: millis_i32(member.session_timeout),
                    subscription: member.metadata(&protocol).to_vec(),
                    assignment: assignment(member).to_vec(),
                })
                .collect(),
        }
    }

    /// Whether the stored form changed since the last call.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    fn transition(&mut self, state: GroupState, now_ms: i64) {
        self.state = state;
        self.state_timestamp_ms = now_ms;
    }

    /// Members plus ids handed out and not yet used.
    fn size(&self) -> usize {
        self.members.len() + self.pending_members.len()
    }

    fn is_full(&self, config: &GroupConfig) -> bool {
        usize::try_from(config.max_size).is_ok_and(|max| self.size() >= max)
    }

    fn max_rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|member| member.rebalance_timeout)
            .max()
            .unwrap_or_default()
    }

    /// Kafka's `supportsProtocols`: the first member sets type and protocols; later ones
    /// need the same type and a protocol every member supports.
    fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        if self.protocol_type.as_deref() != Some(protocol_type) {
            return false;
        }
        protocols
            .iter()
            .any(|(name, _)| self.candidate_protocols().contains(name))
    }

    /// Protocols every member supports.
    fn candidate_protocols(&self) -> BTreeSet<String> {
        let mut members = self.members.values();
        let Some(first) = members.next() else {
            return BTreeSet::new();
        };
        let mut candidates: BTreeSet<String> = first
            .protocols
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        for member in members {
            candidates.retain(|name| member.protocols.iter().any(|(own, _)| own == name));
        }
        candidates
    }

    /// Each member votes for its most preferred candidate; most votes wins, ties go to the
    /// protocol the leader prefers.
    fn select_protocol(&self) -> Option<String> {
        let candidates = self.candidate_protocols();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for member in self.members.values() {
            if let Some((name, _)) = member
                .protocols
                .iter()
                .find(|(name, _)| candidates.contains(name))
            {
                *votes.entry(name.as_str()).or_default() += 1;
            }
        }
        let order: Vec<&str> = self
            .leader
            .as_ref()
            .and_then(|leader| self.members.get(leader))
            .or_else(|| self.members.values().next())
            .map(|member| {
                member
                    .protocols
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let mut best: Option<(&str, usize)> = None;
        for name in order {
            let count = votes.get(name).copied().unwrap_or(0);
            if count > 0 && best.is_none_or(|(_, most)| count > most) {
                best = Some((name, count));
            }
        }
        best.map(|(name, _)| name.to_owned())
    }

    /// FENCED_INSTANCE_ID when `instance` belongs to another member id.
    fn check_fenced(&self, instance: Option<&str>, member_id: &str) -> Result<(), GroupError> {
        if let Some(instance) = instance {
            if let Some(current) = self.static_members.get(instance) {
                if current != member_id {
                    return Err(GroupError::FencedInstanceId {
                        instance_id: instance.to_owned(),
                        given: member_id.to_owned(),
                        current: current.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn unknown_member(&self, member_id: &str) -> GroupError {
        GroupError::UnknownMemberId {
            group: self.id.clone(),
            member_id: member_id.to_owned(),
        }
    }

    fn check_member(
        &self,
        member_id: &str,
        instance: Option<&str>,
        generation: i32,
    ) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable {
                reason: format!("group {} is being removed", self.id),
            });
        }
        self.check_fenced(instance, member_id)?;
        if !self.members.contains_key(member_id) {
            return Err(self.unknown_member(member_id));
        }
        if generation != self.generation {
            return Err(GroupError::IllegalGeneration {
                given: generation,
                current: self.generation,
            });
        }
        Ok(())
    }

    /// Handles a JoinGroup (session timeout and group id already checked). `new_member_id`
    /// makes the id of a member joining without one.
    pub fn join(
        &mut self,
        request: JoinRequest,
        config: &GroupConfig,
        now: Instant,
        now_ms: i64,
        new_member_id: impl FnOnce(&str) -> String,
    ) -> Reply<JoinResult> {
        match self.join_inner(request, config, now, now_ms, new_member_id) {
            Ok(reply) => reply,
            Err(error) => Reply::Ready(Err(error)),
        }
    }

    fn join_inner(
        &mut self,
        request: JoinRequest,
        config: &GroupConfig,
        now: Instant,
        now_ms: i64,
        new_member_id: impl FnOnce(&str) -> String,
    ) -> Result<Reply<JoinResult>, GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable {
                reason: format!("group {} is being removed", self.id),
            });
        }
        if !self.supports_protocols(&request.protocol_type, &request.protocols) {
            return Err(GroupError::InconsistentGroupProtocol {
                group: self.id.clone(),
            });
        }
        if request.member_id.is_empty() {
            let prefix = request
                .group_instance_id
                .clone()
                .unwrap_or_else(|| request.client_id.clone());
            if let Some(instance) = request.group_instance_id.clone() {
                if let Some(old_id) = self.static_members.get(&instance).cloned() {
                    let id = new_member_id(&prefix);
                    return Ok(self.static_rejoin(old_id, id, request, config, now, now_ms));
                }
                if self.is_full(config) {
                    return Err(self.max_size_error(config));
                }
                let id = new_member_id(&prefix);
                return Ok(self.add_member_and_rebalance(id, request, config, now, now_ms));
            }
            if self.is_full(config) {
                return Err(self.max_size_error(config));
            }
            let id = new_member_id(&prefix);
            if request.require_known_member_id {
                self.pending_members
                    .insert(id.clone(), now + request.session_timeout);
                return Err(GroupError::MemberIdRequired { member_id: id });
            }
            return Ok(self.add_member_and_rebalance(id, request, config, now, now_ms));
        }
        let member_id = request.member_id.clone();
        if self.pending_members.remove(&member_id).is_some() {
            return Ok(self.add_member_and_rebalance(member_id, request, config, now, now_ms));
        }
        self.check_fenced(request.group_instance_id.as_deref(), &member_id)?;
        if !self.members.contains_key(&member_id) {
            return Err(self.unknown_member(&member_id));
        }
        match self.state {
            GroupState::PreparingRebalance => {
                Ok(self.update_member_and_rebalance(&member_id, request, config, now, now_ms))
            }
            GroupState::CompletingRebalance => {
                let unchanged = self
                    .members
                    .get(&member_id)
                    .is_some_and(|member| member.same_protocols(&request.protocols));
                if unchanged {
                    // A join response got lost: answer it again.
                    Ok(Reply::Ready(Ok(self.join_response(&member_id, false))))
                } else {
                    Ok(self.update_member_and_rebalance(&member_id, request, config, now, now_ms))
                }
            }
            GroupState::Stable => {
                let is_leader = self.leader.as_deref() == Some(member_id.as_str());
                let unchanged = self
                    .members
                    .get(&member_id)
                    .is_some_and(|member| member.same_protocols(&request.protocols));
                if is_leader || !unchanged {
                    Ok(self.update_member_and_rebalance(&member_id, request, config, now, now_ms))
                } else {
                    if let Some(member) = self.members.get_mut(&member_id) {
                        member.session_deadline = now + member.session_timeout;
                    }
                    Ok(Reply::Ready(Ok(self.join_response(&member_id, false))))
                }
            }
            GroupState::Empty | GroupState::Dead => Err(self.unknown_member(&member_id)),
        }
    }

    fn max_size_error(&self, config: &GroupConfig) -> GroupError {
        GroupError::GroupMaxSizeReached {
            group: self.id.clone(),
            max_size: config.max_size,
        }
    }

    /// The join answer for `member_id` in the current generation; the leader gets the
    /// members.
    fn join_response(&self, member_id: &str, skip_assignment: bool) -> JoinResponse {
        let protocol = self.protocol.clone().unwrap_or_default();
        let is_leader = self.leader.as_deref() == Some(member_id);
        let members = if is_leader {
            self.members
                .values()
                .map(|member| JoinedMember {
                    member_id: member.member_id.clone(),
                    group_instance_id: member.group_instance_id.clone(),
                    metadata: member.metadata(&protocol),
                })
                .collect()
        } else {
            Vec::new()
        };
        JoinResponse {
            generation: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol.clone(),
            leader: self.leader.clone().unwrap_or_default(),
            member_id: member_id.to_owned(),
            members,
            skip_assignment: skip_assignment && is_leader,
        }
    }

    fn add_member_and_rebalance(
        &mut self,
        member_id: String,
        request: JoinRequest,
        config: &GroupConfig,
        now: Instant,
        now_ms: i64,
    ) -> Reply<JoinResult> {
        let mut member = Member::new(member_id.clone(), &request, now);
        let (sender, receiver) = oneshot::channel();
        member.awaiting_join = Some(sender);
        if self.members.is_empty() {
            self.protocol_type = Some(request.protocol_type.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(member_id.clone());
        }
        if let Some(instance) = &request.group_instance_id {
            self.static_members
                .insert(instance.clone(), member_id.clone());
        }
        self.members.insert(member_id, member);
        if let Some(delay) = self.initial_delay {
            self.join_deadline = Some((now + config.initial_rebalance_delay).min(delay.limit));
        }
        self.rebalance_for_join(config, now, now_ms);
        Reply::Pending(receiver)
    }

    /// A (re)join counts towards the rebalance under way, or starts one.
    fn rebalance_for_join(&mut self, config: &GroupConfig, now: Instant, now_ms: i64) {
        if self.state == GroupState::PreparingRebalance {
            self.try_complete_join(now, now_ms);
        } else {
            self.prepare_rebalance(config, now, now_ms);
        }
    }

    fn update_member_and_rebalance(
        &mut self,
        member_id: &str,
        request: JoinRequest,
        config: &GroupConfig,
        now: Instant,
        now_ms: i64,
    ) -> Reply<JoinResult> {
        let (sender, receiver) = oneshot::channel();
        if let Some(member) = self.members.get_mut(member_id) {
            member.protocols = request.protocols;
            member.session_timeout = request.session_timeout;
            member.rebalance_timeout = request.rebalance_timeout;
            member.client_id = request.client_id;
            member.client_host = request.client_host;
            // A second join from the same member replaces the first one's wait.
            member.answer_join(Err(GroupError::RebalanceInProgress {
                group: self.id.clone(),
            }));
            member.awaiting_join = Some(sender);
        }
        self.rebalance_for_join(config, now, now_ms);
        Reply::Pending(receiver)
    }

    /// A static member came back without its member id: it takes over the old member's
    /// place. In a Stable group with the same protocols nothing else changes (no
    /// rebalance); the old member id is fenced.
    fn static_rejoin(
        &mut self,
        old_id: String,
        new_id: String,
        request: JoinRequest,
        config: &GroupConfig,
        now: Instant,
        now_ms: i64,
    ) -> Reply<JoinResult> {
        let Some(mut member) = self.members.remove(&old_id) else {
            self.static_members
                .remove(request.group_instance_id.as_deref().unwrap_or(""));
            return self.add_member_and_rebalance(new_id, request, config, now, now_ms);
        };
        let fenced = GroupError::FencedInstanceId {
            instance_id: request.group_instance_id.clone().unwrap_or_default(),
            given: old_id.clone(),
            current: new_id.clone(),
        };
        member.answer_join(Err(fenced.clone()));
        member.answer_sync(Err(fenced));
        let unchanged = member.same_protocols(&request.protocols);
        member.member_id = new_id.clone();
        member.client_id = request.client_id.clone();
        member.client_host = request.client_host.clone();
        member.session_timeout = request.session_timeout;
        member.rebalance_timeout = request.rebalance_timeout;
        member.session_deadline = now + request.session_timeout;
        if let Some(instance) = &request.group_instance_id {
            self.static_members.insert(instance.clone(), new_id.clone());
        }
        if self.leader.as_deref() == Some(old_id.as_str()) {
            self.leader = Some(new_id.clone());
        }
        if self.pending_sync.remove(&old_id) {
            self.pending_sync.insert(new_id.clone());
        }
        self.members.insert(new_id.clone(), member);
        let config = &GroupConfig {
            initial_rebalance_delay: Duration::ZERO,
            ..config.clone()
        };
        match self.state {
            GroupState::Stable if unchanged => {
                self.dirty = true;
                Reply::Ready(Ok(self.join_response(&new_id, true)))
            }
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.update_member_and_rebalance(&new_id, request, config, now, now_ms)
            }
            GroupState::PreparingRebalance => {
                let (sender, receiver) = oneshot::channel();
                if let Some(member) = self.members.get_mut(&new_id) {
                    member.protocols = request.protocols;
                    member.awaiting_join = Some(sender);
                }
                self.try_complete_join(now, now_ms);
                Reply::Pending(receiver)
            }
            GroupState::Empty | GroupState::Dead => {
                self.update_member_and_rebalance(&new_id, request, config, now, now_ms)
            }
        }
    }

    /// Enters PreparingRebalance: pending syncs are told to rejoin, the join phase gets its
    /// deadline (the initial delay for a group that was Empty).
    fn prepare_rebalance(&mut self, config: &GroupConfig, now: Instant, now_ms: i64) {
        if self.state == GroupState::CompletingRebalance {
            let group = self.id.clone();
            for member in self.members.values_mut() {
                member.assignment = Bytes::new();
                member.answer_sync(Err(GroupError::RebalanceInProgress {
                    group: group.clone(),
                }));
            }
        }
        let rebalance_timeout = self.max_rebalance_timeout();
        let was_empty = self.state == GroupState::Empty;
        self.pending_sync.clear();
        self.sync_deadline = None;
        self.transition(GroupState::PreparingRebalance, now_ms);
        if was_empty && !config.initial_rebalance_delay.is_zero() {
            let delay = config.initial_rebalance_delay.min(rebalance_timeout);
            self.join_deadline = Some(now + delay);
            self.initial_delay = Some(InitialDelay {
                limit: now + rebalance_timeout,
            });
        } else {
            self.join_deadline = Some(now + rebalance_timeout);
            self.initial_delay = None;
            self.try_complete_join(now, now_ms);
        }
    }

    /// Ends the join phase early when every member rejoined and no handed-out id is
    /// outstanding (not during the initial delay).
    fn try_complete_join(&mut self, now: Instant, now_ms: i64) {
        if self.state != GroupState::PreparingRebalance || self.initial_delay.is_some() {
            return;
        }
        let all_joined = self
            .members
            .values()
            .all(|member| member.awaiting_join.is_some());
        if all_joined && self.pending_members.is_empty() {
            self.complete_join(now, now_ms);
        }
    }

    /// The join phase is over: members that did not rejoin leave; a group left without
    /// members becomes Empty, else the next generation starts and every waiting member is
    /// answered.
    fn complete_join(&mut self, now: Instant, now_ms: i64) {
        let absent: Vec<String> = self
            .members
            .values()
            .filter(|member| member.awaiting_join.is_none())
            .map(|member| member.member_id.clone())
            .collect();
        for member_id in absent {
            self.drop_member(&member_id);
        }
        self.join_deadline = None;
        self.initial_delay = None;
        self.generation = self.generation.wrapping_add(1);
        if self.members.is_empty() {
            self.protocol = None;
            self.leader = None;
            self.transition(GroupState::Empty, now_ms);
            self.dirty = true;
            return;
        }
        if self
            .leader
            .as_ref()
            .is_none_or(|leader| !self.members.contains_key(leader))
        {
            self.leader = self.members.keys().next().cloned();
        }
        self.protocol = self.select_protocol();
        self.transition(GroupState::CompletingRebalance, now_ms);
        self.pending_sync = self.members.keys().cloned().collect();
        self.sync_deadline = Some(now + self.max_rebalance_timeout());
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for member_id in ids {
            let response = self.join_response(&member_id, false);
            if let Some(member) = self.members.get_mut(&member_id) {
                member.is_new = false;
                member.session_deadline = now + member.session_timeout;
                member.answer_join(Ok(response));
            }
        }
    }

    /// Removes a member without starting anything (its waits are answered
    /// UNKNOWN_MEMBER_ID).
    fn drop_member(&mut self, member_id: &str) {
        if let Some(mut member) = self.members.remove(member_id) {
            let error = self.unknown_member(member_id);
            member.answer_join(Err(error.clone()));
            member.answer_sync(Err(error));
            if let Some(instance) = &member.group_instance_id {
                if self.static_members.get(instance).map(String::as_str) == Some(member_id) {
                    self.static_members.remove(instance);
                }
            }
        }
        self.pending_sync.remove(member_id);
        if self.leader.as_deref() == Some(member_id) {
            self.leader = self.members.keys().next().cloned();
        }
    }

    /// Removes a member (left, expired, not synced) and moves the group on: a rebalance
    /// starts, or the one under way may now complete.
    fn remove_member(&mut self, member_id: &str, config: &GroupConfig, now: Instant, now_ms: i64) {
        self.drop_member(member_id);
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                let no_delay = GroupConfig {
                    initial_rebalance_delay: Duration::ZERO,
                    ..config.clone()
                };
                self.prepare_rebalance(&no_delay, now, now_ms);
            }
            GroupState::PreparingRebalance => self.try_complete_join(now, now_ms),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    /// Handles a SyncGroup.
    #[allow(clippy::too_many_arguments)]
    pub fn sync(
        &mut self,
        member_id: &str,
        generation: i32,
        instance: Option<&str>,
        protocol_type: Option<&str>,
        protocol_name: Option<&str>,
        assignments: BTreeMap<String, Bytes>,
        now: Instant,
    ) -> SyncOutcome {
        let ready = |result| SyncOutcome::Reply(Reply::Ready(result));
        if protocol_type.is_some_and(|given| self.protocol_type.as_deref() != Some(given))
            || protocol_name.is_some_and(|given| self.protocol.as_deref() != Some(given))
        {
            return ready(Err(GroupError::InconsistentGroupProtocol {
                group: self.id.clone(),
            }));
        }
        if let Err(error) = self.check_member(member_id, instance, generation) {
            return ready(Err(error));
        }
        match self.state {
            GroupState::Empty | GroupState::Dead => ready(Err(self.unknown_member(member_id))),
            GroupState::PreparingRebalance => ready(Err(GroupError::RebalanceInProgress {
                group: self.id.clone(),
            })),
            GroupState::CompletingRebalance => {
                let (sender, receiver) = oneshot::channel();
                self.pending_sync.remove(member_id);
                if let Some(member) = self.members.get_mut(member_id) {
                    member.answer_sync(Err(GroupError::RebalanceInProgress {
                        group: self.id.clone(),
                    }));
                    member.awaiting_sync = Some(sender);
                    member.session_deadline = now + member.session_timeout;
                }
                if self.leader.as_deref() != Some(member_id) {
                    return SyncOutcome::Reply(Reply::Pending(receiver));
                }
                let value = self.stored_with(|member| {
                    assignments
                        .get(&member.member_id)
                        .cloned()
                        .unwrap_or_default()
                });
                SyncOutcome::Persist {
                    generation,
                    assignments,
                    value,
                    reply: receiver,
                }
            }
            GroupState::Stable => {
                self.pending_sync.remove(member_id);
                let Some(member) = self.members.get_mut(member_id) else {
                    return ready(Err(self.unknown_member(member_id)));
                };
                member.session_deadline = now + member.session_timeout;
                let assignment = member.assignment.clone();
                ready(Ok(SyncResponse {
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: self.protocol.clone(),
                    assignment,
                }))
            }
        }
    }

    /// The leader's assignment of `generation` is stored: every member gets its share and
    /// the group is Stable. Ignored if the group moved on meanwhile.
    pub fn complete_sync(
        &mut self,
        generation: i32,
        assignments: &BTreeMap<String, Bytes>,
        now_ms: i64,
    ) {
        if self.state != GroupState::CompletingRebalance || self.generation != generation {
            return;
        }
        let protocol_type = self.protocol_type.clone();
        let protocol_name = self.protocol.clone();
        for member in self.members.values_mut() {
            member.assignment = assignments
                .get(&member.member_id)
                .cloned()
                .unwrap_or_default();
            let response = SyncResponse {
                protocol_type: protocol_type.clone(),
                protocol_name: protocol_name.clone(),
                assignment: member.assignment.clone(),
            };
            member.answer_sync(Ok(response));
        }
        self.transition(GroupState::Stable, now_ms);
    }

    /// Storing the leader's assignment failed: everyone waiting is told, and the group
    /// rebalances.
    pub fn fail_sync(
        &mut self,
        generation: i32,
        error: &GroupError,
        config: &GroupConfig,
        now: Instant,
        now_ms: i64,
    ) {
        if self.state != GroupState::CompletingRebalance || self.generation != generation {
            return;
        }
        for member in self.members.values_mut() {
            member.answer_sync(Err(error.clone()));
        }
        let no_delay = GroupConfig {
            initial_rebalance_delay: Duration::ZERO,
            ..config.clone()
        };
        self.prepare_rebalance(&no_delay, now, now_ms);
    }

    /// Handles a Heartbeat.
    pub fn heartbeat(
        &mut self,
        member_id: &str,
        generation: i32,
        instance: Option<&str>,
        now: Instant,
    ) -> Result<(), GroupError> {
        self.check_member(member_id, instance, generation)?;
        let state = self.state;
        let group = self.id.clone();
        let Some(member) = self.members.get_mut(member_id) else {
            return Err(self.unknown_member(member_id));
        };
        match state {
            GroupState::Empty | GroupState::Dead => Err(GroupError::UnknownMemberId {
                group,
                member_id: member_id.to_owned(),
            }),
            GroupState::CompletingRebalance | GroupState::Stable => {
                member.session_deadline = now + member.session_timeout;
                Ok(())
            }
            GroupState::PreparingRebalance => {
                member.session_deadline = now + member.session_timeout;
                Err(GroupError::RebalanceInProgress { group })
            }
        }
    }

    /// Handles one member of a LeaveGroup (`member_id` may be empty when `instance` names
    /// a static member).
    pub fn leave(
        &mut self,
        member_id: &str,
        instance: Option<&str>,
        config: &GroupConfig,
        now: Instant,
        now_ms: i64,
    ) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable {
                reason: format!("group {} is being removed", self.id),
            });
        }
        let member_id = match (member_id.is_empty(), instance) {
            (true, Some(instance)) => self
                .static_members
                .get(instance)
                .cloned()
                .ok_or_else(|| self.unknown_member(member_id))?,
            _ => {
                self.check_fenced(instance, member_id)?;
                member_id.to_owned()
            }
        };
        if self.pending_members.remove(&member_id).is_some() {
            self.try_complete_join(now, now_ms);
            return Ok(());
        }
        if !self.members.contains_key(&member_id) {
            return Err(self.unknown_member(&member_id));
        }
        self.remove_member(&member_id, config, now, now_ms);
        Ok(())
    }

    /// Checks an OffsetCommit against the group (Kafka's `validateOffsetCommit` and the
    /// state rules); a member's commit also counts as a heartbeat.
    pub fn validate_commit(
        &mut self,
        member_id: &str,
        instance: Option<&str>,
        generation: i32,
        now: Instant,
    ) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable {
                reason: format!("group {} is being removed", self.id),
            });
        }
        if generation >= 0 || !member_id.is_empty() || instance.is_some() {
            self.check_member(member_id, instance, generation)?;
        } else if self.state != GroupState::Empty {
            // Only members may commit for a group that has them.
            return Err(self.unknown_member(member_id));
        }
        match self.state {
            GroupState::CompletingRebalance => Err(GroupError::RebalanceInProgress {
                group: self.id.clone(),
            }),
            _ => {
                if let Some(member) = self.members.get_mut(member_id) {
                    member.session_deadline = now + member.session_timeout;
                }
                Ok(())
            }
        }
    }

    /// Topics the members subscribe to, when this is a consumer group with a protocol
    /// chosen (their subscriptions parse as Kafka's consumer protocol); `None` otherwise.
    pub fn subscribed_topics(&self) -> Option<BTreeSet<String>> {
        if self.protocol_type.as_deref() != Some(CONSUMER_PROTOCOL_TYPE) || self.members.is_empty()
        {
            return None;
        }
        let protocol = self.protocol.clone()?;
        let mut topics = BTreeSet::new();
        for member in self.members.values() {
            let subscription = parse_subscription(&member.metadata(&protocol))?;
            topics.extend(subscription.topics.iter().map(|topic| topic.to_string()));
        }
        Some(topics)
    }

    /// The earliest deadline the timer must wake for.
    pub fn next_deadline(&self) -> Option<Instant> {
        let sessions = self
            .members
            .values()
            .filter(|member| !member.is_waiting())
            .map(|member| member.session_deadline);
        let pending = self.pending_members.values().copied();
        sessions
            .chain(pending)
            .chain(self.join_deadline)
            .chain(self.sync_deadline)
            .min()
    }

    /// Applies every deadline passed at `now`: expired sessions and handed-out ids, the end
    /// of the join phase (or another initial delay), members that did not sync in time.
    pub fn expire(&mut self, config: &GroupConfig, now: Instant, now_ms: i64) {
        let expired_pending: Vec<String> = self
            .pending_members
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired_pending {
            self.pending_members.remove(&id);
            self.try_complete_join(now, now_ms);
        }
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|member| !member.is_waiting() && member.session_deadline <= now)
            .map(|member| member.member_id.clone())
            .collect();
        for member_id in expired {
            tracing::info!(
                "Member {member_id} in group {} has failed, removing it from the group",
                self.id
            );
            self.remove_member(&member_id, config, now, now_ms);
        }
        if self.join_deadline.is_some_and(|deadline| deadline <= now) {
            self.initial_delay = None;
            self.complete_join(now, now_ms);
        }
        if self.sync_deadline.is_some_and(|deadline| deadline <= now) {
            self.sync_deadline = None;
            let laggards: Vec<String> = self.pending_sync.iter().cloned().collect();
            if !laggards.is_empty()
                && matches!(
                    self.state,
                    GroupState::CompletingRebalance | GroupState::Stable
                )
            {
                for member_id in &laggards {
                    self.drop_member(member_id);
                }
                let no_delay = GroupConfig {
                    initial_rebalance_delay: Duration::ZERO,
                    ..config.clone()
                };
                self.prepare_rebalance(&no_delay, now, now_ms);
            }
        }
    }

    /// Answers every waiting member with `error` (the coordinator moved).
    pub fn abandon(&mut self, error: &GroupError) {
        for member in self.members.values_mut() {
            member.answer_join(Err(error.clone()));
            member.answer_sync(Err(error.clone()));
        }
    }

    /// Marks the group Dead (deleted or expired).
    pub fn mark_dead(&mut self, now_ms: i64) {
        let error = GroupError::CoordinatorNotAvailable {
            reason: format!("group {} was removed", self.id),
        };
        self.abandon(&error);
        self.transition(GroupState::Dead, now_ms);
    }

    /// The offsets that have expired at `now_ms` under `retention` (Kafka 2.1+ rules): all
    /// offsets of an Empty group once it has been Empty that long; for a group that never
    /// had members, each offset that long after its commit; for a Stable consumer group,
    /// offsets of topics it no longer subscribes to, that long after their commit.
    pub fn expired_offsets(&self, retention: Duration, now_ms: i64) -> Vec<(String, i32)> {
        let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        let old = |since: i64| now_ms.saturating_sub(since) >= retention_ms;
        let by_commit = |value: &OffsetValue| {
            if value.expire_timestamp >= 0 {
                now_ms >= value.expire_timestamp
            } else {
                old(value.commit_timestamp)
            }
        };
        let mut expired = Vec::new();
        match (self.state, self.protocol_type.is_some()) {
            (GroupState::Empty, true) if old(self.state_timestamp_ms) => {
                expired.extend(self.offsets.keys().cloned());
            }
            (GroupState::Empty, false) => {
                for (key, value) in &self.offsets {
                    if by_commit(value) {
                        expired.push(key.clone());
                    }
                }
            }
            (GroupState::Stable, true) => {
                if let Some(subscribed) = self.subscribed_topics() {
                    for (key, value) in &self.offsets {
                        if !subscribed.contains(&key.0) && by_commit(value) {
                            expired.push(key.clone());
                        }
                    }
                }
            }
            _ => {}
        }
        expired
    }
}

/// A consumer-protocol subscription (version prefix, then the body at that version; later
/// versions read as the newest this crate knows, as Kafka reads them).
pub fn parse_subscription(metadata: &[u8]) -> Option<ConsumerProtocolSubscription> {
    let mut bytes = Bytes::copy_from_slice(metadata);
    if bytes.len() < 2 {
        return None;
    }
    let version = i16::from_be_bytes([*metadata.first()?, *metadata.get(1)?]);
    let _ = bytes.split_to(2);
    let version = version.clamp(0, 3);
    ConsumerProtocolSubscription::decode(&mut bytes, version).ok()
}

fn millis_i32(duration: Duration) -> i32 {
    i32::try_from(duration.as_millis()).unwrap_or(i32::MAX)
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
