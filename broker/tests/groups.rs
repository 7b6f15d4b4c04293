#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! The group APIs at the protocol level: an in-process broker on 127.0.0.1:0 with a temp log
//! dir, registered with a real coordinator process, driven by the raw client of
//! `tests/support` (the `kafka-protocol` crate's encoders, one connection per member since
//! JoinGroup and SyncGroup block until the rebalance moves on).
//!
//! Covered: every version of FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
//! OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups and OffsetDelete
//! round-trips; the error paths with Kafka's exact codes; session expiry, the initial
//! rebalance delay and offset retention with small timeouts; `__consumer_offsets` creation
//! (and COORDINATOR_NOT_AVAILABLE with too few brokers); garbage and truncated bodies
//! closing only their own connection. Every wait has a deadline.

mod support;

use support::RawClient as Client;
use support::{coordinator_binary, Guard};

use std::time::{Duration, Instant};

use broker::group::OFFSETS_TOPIC;
use broker::server::{Broker, BrokerHandle, ListenerOptions, ServerOptions};
use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, Request, StrBytes};
use kafka_protocol::ResponseError;
use testkit::CoordinatorProcess;

/// How long any wait in these tests may take.
const PATIENCE: Duration = Duration::from_secs(30);

/// A broker (id 7) whose group settings suit fast tests (offsets replication factor 1,
/// 5 offsets partitions, no initial delay, sessions from 100 ms), changed by `adjust`.
async fn start_with(adjust: impl FnOnce(&mut ServerOptions)) -> (BrokerHandle, Guard) {
    let coordinator = CoordinatorProcess::start(&coordinator_binary(), &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut options = ServerOptions::new(dir.path().join("logs"));
    options.listeners = vec![ListenerOptions::plaintext("127.0.0.1", 0)];
    options.zookeeper_connect = coordinator.connect_string();
    options.zookeeper_session_timeout = Duration::from_secs(6);
    options.broker_id = 7;
    options.auto_create_topics_enable = false;
    options.groups.offsets_topic_replication_factor = 1;
    options.groups.offsets_topic_num_partitions = 5;
    options.groups.initial_rebalance_delay = Duration::ZERO;
    options.groups.min_session_timeout = Duration::from_millis(100);
    adjust(&mut options);
    let broker = Broker::start(options).await.unwrap();
    (
        broker,
        Guard {
            _dir: dir,
            _coordinator: coordinator,
        },
    )
}

async fn start() -> (BrokerHandle, Guard) {
    start_with(|_| {}).await
}

fn text(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_owned())
}

fn group(name: &str) -> GroupId {
    GroupId(text(name))
}

fn topic_name(name: &str) -> TopicName {
    TopicName(text(name))
}

async fn create_topic(client: &mut Client, topic: &str, partitions: i32) {
    let mut creatable = CreatableTopic::default();
    creatable.name = topic_name(topic);
    creatable.num_partitions = partitions;
    creatable.replication_factor = 1;
    let mut request = CreateTopicsRequest::default();
    request.topics = vec![creatable];
    request.timeout_ms = 5000;
    let response = client.call(&request, 7).await;
    assert_eq!(response.topics[0].error_code, 0);
}

/// FindCoordinator (v3) until the group's coordinator is ready: the first call creates the
/// offsets topic; then joins are retried through COORDINATOR_LOAD_IN_PROGRESS by callers.
async fn wait_for_coordinator(client: &mut Client, group_id: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut request = FindCoordinatorRequest::default();
        request.key = text(group_id);
        let response = client.call(&request, 3).await;
        if response.error_code == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no coordinator for {group_id}");
    }
    // Loaded once a DescribeGroups answers without LOAD_IN_PROGRESS.
    loop {
        let mut request = DescribeGroupsRequest::default();
        request.groups = vec![group(group_id)];
        let response = client.call(&request, 5).await;
        if response.groups[0].error_code == 0 {
            return;
        }
        assert_eq!(
            response.groups[0].error_code,
            ResponseError::CoordinatorLoadInProgress.code()
        );
        assert!(Instant::now() < deadline, "{group_id} never loaded");
    }
}

/// Consumer-protocol metadata subscribing to `topics` (version 0).
fn subscription(topics: &[&str]) -> Bytes {
    let mut body = ConsumerProtocolSubscription::default();
    body.topics = topics.iter().map(|topic| text(topic)).collect();
    let mut bytes = BytesMut::new();
    bytes.extend_from_slice(&0i16.to_be_bytes());
    body.encode(&mut bytes, 0).unwrap();
    bytes.freeze()
}

fn join_request(group_id: &str, member_id: &str, protocols: &[(&str, Bytes)]) -> JoinGroupRequest {
    let mut request = JoinGroupRequest::default();
    request.group_id = group(group_id);
    request.session_timeout_ms = 10_000;
    request.rebalance_timeout_ms = 10_000;
    request.member_id = text(member_id);
    request.protocol_type = text("consumer");
    request.protocols = protocols
        .iter()
        .map(|(name, metadata)| {
            let mut protocol = JoinGroupRequestProtocol::default();
            protocol.name = text(name);
            protocol.metadata = metadata.clone();
            protocol
        })
        .collect();
    request
}

/// JoinGroup at `version`, taking the MEMBER_ID_REQUIRED round trip of v4+.
async fn join(client: &mut Client, version: i16, request: &JoinGroupRequest) -> JoinGroupResponse {
    let response = client.call(request, version).await;
    if response.error_code == ResponseError::MemberIdRequired.code() {
        assert!(version >= 4);
        let mut again = request.clone();
        again.member_id = response.member_id.clone();
        return client.call(&again, version).await;
    }
    response
}

fn sync_request(
    group_id: &str,
    member_id: &StrBytes,
    generation: i32,
    assignments: &[(&StrBytes, &[u8])],
) -> SyncGroupRequest {
    let mut request = SyncGroupRequest::default();
    request.group_id = group(group_id);
    request.member_id = member_id.clone();
    request.generation_id = generation;
    request.assignments = assignments
        .iter()
        .map(|(member, assignment)| {
            let mut entry = SyncGroupRequestAssignment::default();
            entry.member_id = (*member).clone();
            entry.assignment = Bytes::copy_from_slice(assignment);
            entry
        })
        .collect();
    request
}

fn heartbeat_request(group_id: &str, member_id: &StrBytes, generation: i32) -> HeartbeatRequest {
    let mut request = HeartbeatRequest::default();
    request.group_id = group(group_id);
    request.member_id = member_id.clone();
    request.generation_id = generation;
    request
}

/// A one-member group made Stable (join + sync at the given versions); returns the member
/// id and generation.
async fn stable_member(
    client: &mut Client,
    group_id: &str,
    join_version: i16,
    metadata: Bytes,
) -> (StrBytes, i32) {
    let joined = join(
        client,
        join_version,
        &join_request(group_id, "", &[("range", metadata)]),
    )
    .await;
    assert_eq!(joined.error_code, 0, "join v{join_version}");
    let sync_version = join_version.min(5);
    let member = joined.member_id.clone();
    let mut sync = sync_request(
        group_id,
        &member,
        joined.generation_id,
        &[(&member, b"mine")],
    );
    if sync_version >= 5 {
        sync.protocol_type = Some(text("consumer"));
        sync.protocol_name = Some(text("range"));
    }
    let synced = client.call(&sync, sync_version).await;
    assert_eq!(synced.error_code, 0, "sync v{sync_version}");
    assert_eq!(synced.assignment.as_ref(), b"mine");
    (member, joined.generation_id)
}

fn commit_request(
    group_id: &str,
    member_id: &str,
    generation: i32,
    offsets: &[(&str, i32, i64, Option<&str>)],
) -> OffsetCommitRequest {
    let mut request = OffsetCommitRequest::default();
    request.group_id = group(group_id);
    request.member_id = text(member_id);
    request.generation_id_or_member_epoch = generation;
    for (topic, partition, offset, metadata) in offsets {
        let mut entry = OffsetCommitRequestPartition::default();
        entry.partition_index = *partition;
        entry.committed_offset = *offset;
        entry.committed_metadata = metadata.map(text);
        if let Some(existing) = request
            .topics
            .iter_mut()
            .find(|existing| existing.name.0.as_str() == *topic)
        {
            existing.partitions.push(entry);
        } else {
            let mut topic_entry = OffsetCommitRequestTopic::default();
            topic_entry.name = topic_name(topic);
            topic_entry.partitions = vec![entry];
            request.topics.push(topic_entry);
        }
    }
    request
}

fn commit_codes(response: &OffsetCommitResponse) -> Vec<i16> {
    response
        .topics
        .iter()
        .flat_map(|topic| {
            topic
                .partitions
                .iter()
                .map(|partition| partition.error_code)
        })
        .collect()
}

/// OffsetFetch (v1–v7) of one group's `topics`: (topic, partition, offset, metadata, code).
async fn fetch_offsets(
    client: &mut Client,
    version: i16,
    group_id: &str,
    topics: Option<&[(&str, &[i32])]>,
) -> (i16, Vec<(String, i32, i64, String, i16)>) {
    let mut request = OffsetFetchRequest::default();
    request.group_id = group(group_id);
    request.topics = topics.map(|topics| {
        topics
            .iter()
            .map(|(topic, partitions)| {
                let mut entry = OffsetFetchRequestTopic::default();
                entry.name = topic_name(topic);
                entry.partition_indexes = partitions.to_vec();
                entry
            })
            .collect()
    });
    let response = client.call(&request, version).await;
    let mut rows = Vec::new();
    for topic in &response.topics {
        for partition in &topic.partitions {
            rows.push((
                topic.name.0.to_string(),
                partition.partition_index,
                partition.committed_offset,
                partition
                    .metadata
                    .as_ref()
                    .map(|metadata| metadata.to_string())
                    .unwrap_or_default(),
                partition.error_code,
            ));
        }
    }
    (response.error_code, rows)
}

async fn describe(client: &mut Client, group_id: &str) -> DescribedGroup {
    let mut request = DescribeGroupsRequest::default();
    request.groups = vec![group(group_id)];
    client.call(&request, 5).await.groups.remove(0)
}

/// Polls DescribeGroups until `condition` holds.
async fn wait_for_group(
    client: &mut Client,
    group_id: &str,
    what: &str,
    condition: impl Fn(&DescribedGroup) -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let described = describe(client, group_id).await;
        if condition(&described) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {described:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn code(error: ResponseError) -> i16 {
    error.code()
}

#[tokio::test]
async fn group_apis_are_advertised_with_every_crate_version() {
    let (broker, _guard) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    let response = client.call(&ApiVersionsRequest::default(), 3).await;
    let range = |key: ApiKey| {
        let entry = response
            .api_keys
            .iter()
            .find(|entry| entry.api_key == key as i16)
            .unwrap_or_else(|| panic!("{key:?} is not advertised"));
        (entry.min_version, entry.max_version)
    };
    assert_eq!(range(ApiKey::FindCoordinator), (0, 6));
    assert_eq!(range(ApiKey::JoinGroup), (0, 9));
    assert_eq!(range(ApiKey::SyncGroup), (0, 5));
    assert_eq!(range(ApiKey::Heartbeat), (0, 4));
    assert_eq!(range(ApiKey::LeaveGroup), (0, 5));
    assert_eq!(range(ApiKey::OffsetCommit), (2, 9));
    assert_eq!(range(ApiKey::OffsetFetch), (1, 9));
    assert_eq!(range(ApiKey::ListGroups), (0, 5));
    assert_eq!(range(ApiKey::DescribeGroups), (0, 6));
    assert_eq!(range(ApiKey::DeleteGroups), (0, 2));
    assert_eq!(range(ApiKey::OffsetDelete), (0, 0));
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn find_coordinator_waits_for_enough_brokers_for_the_offsets_topic() {
    let (broker, _guard) = start_with(|options| {
        options.groups.offsets_topic_replication_factor = 3;
    })
    .await;
    let mut client = Client::connect(broker.local_addr()).await;
    for version in 0..=6 {
        let mut request = FindCoordinatorRequest::default();
        if version >= 4 {
            request.coordinator_keys = vec![text("g")];
        } else {
            request.key = text("g");
        }
        let response = client.call(&request, version).await;
        let error = if version >= 4 {
            response.coordinators[0].error_code
        } else {
            response.error_code
        };
        assert_eq!(
            error,
            code(ResponseError::CoordinatorNotAvailable),
            "v{version}"
        );
    }
    assert!(broker.cluster().image().topic(OFFSETS_TOPIC).is_none());
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn find_coordinator_creates_the_compacted_offsets_topic_and_answers_every_version() {
    let (broker, _guard) = start_with(|options| {
        options.groups.offsets_topic_num_partitions = 50;
    })
    .await;
    let port = i32::from(broker.local_addr().port());
    let mut client = Client::connect(broker.local_addr()).await;
    for version in 0..=6 {
        let mut request = FindCoordinatorRequest::default();
        if version >= 4 {
            request.coordinator_keys = vec![text("first"), text("second")];
        } else {
            request.key = text("first");
        }
        let response = client.call(&request, version).await;
        if version >= 4 {
            assert_eq!(response.coordinators.len(), 2);
            for coordinator in &response.coordinators {
                assert_eq!(coordinator.error_code, 0, "v{version}");
                assert_eq!((coordinator.node_id.0, coordinator.port), (7, port));
                assert_eq!(coordinator.host.as_str(), "127.0.0.1");
            }
        } else {
            assert_eq!(response.error_code, 0, "v{version}");
            assert_eq!((response.node_id.0, response.port), (7, port));
        }
    }
    // Transactional ids have no coordinator here; unknown key types are invalid.
    let mut transactional = FindCoordinatorRequest::default();
    transactional.key = text("tx");
    transactional.key_type = 1;
    let response = client.call(&transactional, 3).await;
    assert_eq!(
        response.error_code,
        code(ResponseError::CoordinatorNotAvailable)
    );
    let mut unknown = FindCoordinatorRequest::default();
    unknown.coordinator_keys = vec![text("x")];
    unknown.key_type = 5;
    let response = client.call(&unknown, 4).await;
    assert_eq!(
        response.coordinators[0].error_code,
        code(ResponseError::InvalidRequest)
    );

    let image = broker.cluster().image();
    let topic = image.topic(OFFSETS_TOPIC).unwrap();
    assert_eq!(topic.partitions.len(), 50);
    assert_eq!(topic.config["cleanup.policy"], "compact");
    assert_eq!(topic.config["segment.bytes"], "104857600");
    assert_eq!(topic.config["compression.type"], "producer");
    let mut metadata = MetadataRequest::default();
    metadata.topics = None;
    let response = client.call(&metadata, 12).await;
    let offsets = response
        .topics
        .iter()
        .find(|topic| topic.name.as_ref().map(|name| name.0.as_str()) == Some(OFFSETS_TOPIC))
        .unwrap();
    assert!(offsets.is_internal);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn join_sync_heartbeat_describe_list_and_leave_at_every_version() {
    let (broker, _guard) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    for join_version in 0..=9i16 {
        let group_id = format!("walk-{join_version}");
        wait_for_coordinator(&mut client, &group_id).await;
        let (member, generation) =
            stable_member(&mut client, &group_id, join_version, subscription(&["t"])).await;
        assert_eq!(generation, 1);
        let heartbeat_version = join_version.min(4);
        let beat = client
            .call(
                &heartbeat_request(&group_id, &member, generation),
                heartbeat_version,
            )
            .await;
        assert_eq!(beat.error_code, 0, "heartbeat v{heartbeat_version}");

        let describe_version = join_version.min(6);
        let mut request = DescribeGroupsRequest::default();
        request.groups = vec![group(&group_id)];
        request.include_authorized_operations = describe_version >= 3;
        let described = client
            .call(&request, describe_version)
            .await
            .groups
            .remove(0);
        assert_eq!(described.error_code, 0);
        assert_eq!(described.group_state.as_str(), "Stable");
        assert_eq!(described.protocol_type.as_str(), "consumer");
        assert_eq!(described.protocol_data.as_str(), "range");
        assert_eq!(described.members.len(), 1);
        assert_eq!(described.members[0].member_id, member);
        assert_eq!(described.members[0].client_id.as_str(), "broker-test");
        assert_eq!(described.members[0].client_host.as_str(), "/127.0.0.1");
        assert_eq!(described.members[0].member_assignment.as_ref(), b"mine");
        assert_eq!(described.members[0].member_metadata, subscription(&["t"]));
        if describe_version >= 3 {
            assert_ne!(described.authorized_operations, i32::MIN);
        }

        let list_version = join_version.min(5);
        let listed = client
            .call(&ListGroupsRequest::default(), list_version)
            .await;
        let entry = listed
            .groups
            .iter()
            .find(|entry| entry.group_id.0.as_str() == group_id)
            .unwrap();
        assert_eq!(entry.protocol_type.as_str(), "consumer");
        if list_version >= 4 {
            assert_eq!(entry.group_state.as_str(), "Stable");
        }

        let leave_version = join_version.min(5);
        let mut leave = LeaveGroupRequest::default();
        leave.group_id = group(&group_id);
        if leave_version >= 3 {
            let mut identity = MemberIdentity::default();
            identity.member_id = member.clone();
            leave.members = vec![identity];
        } else {
            leave.member_id = member.clone();
        }
        let left = client.call(&leave, leave_version).await;
        assert_eq!(left.error_code, 0);
        if leave_version >= 3 {
            assert_eq!(left.members[0].error_code, 0);
        }
        let described = describe(&mut client, &group_id).await;
        assert_eq!(described.group_state.as_str(), "Empty");
    }
    // ListGroups v4 filters by state (case-insensitively), v5 by type.
    let mut filtered = ListGroupsRequest::default();
    filtered.states_filter = vec![text("stable")];
    assert!(client.call(&filtered, 4).await.groups.is_empty());
    filtered.states_filter = vec![text("EMPTY")];
    assert_eq!(client.call(&filtered, 4).await.groups.len(), 10);
    let mut typed = ListGroupsRequest::default();
    typed.types_filter = vec![text("consumer")];
    assert!(client.call(&typed, 5).await.groups.is_empty());
    typed.types_filter = vec![text("classic")];
    let classic = client.call(&typed, 5).await;
    assert!(classic
        .groups
        .iter()
        .all(|group| group.group_type.as_str() == "classic"));
    // An unknown group: Dead before v6, GROUP_ID_NOT_FOUND from v6.
    for version in 0..=6 {
        let mut request = DescribeGroupsRequest::default();
        request.groups = vec![group("walk-missing")];
        let described = client.call(&request, version).await.groups.remove(0);
        assert_eq!(described.group_state.as_str(), "Dead");
        let expected = if version >= 6 {
            code(ResponseError::GroupIdNotFound)
        } else {
            0
        };
        assert_eq!(described.error_code, expected, "v{version}");
    }
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn join_errors_have_kafkas_codes() {
    let (broker, _guard) = start_with(|options| options.groups.max_size = 2).await;
    let addr = broker.local_addr();
    let mut client = Client::connect(addr).await;
    wait_for_coordinator(&mut client, "errors").await;
    let range = [("range", subscription(&["t"]))];

    let mut bad = join_request("", "", &range);
    assert_eq!(
        client.call(&bad, 5).await.error_code,
        code(ResponseError::InvalidGroupId)
    );
    bad = join_request("errors", "", &range);
    bad.session_timeout_ms = 50;
    assert_eq!(
        client.call(&bad, 5).await.error_code,
        code(ResponseError::InvalidSessionTimeout)
    );
    bad.session_timeout_ms = 1_900_000;
    assert_eq!(
        client.call(&bad, 5).await.error_code,
        code(ResponseError::InvalidSessionTimeout)
    );
    let unknown = join_request("errors", "nobody", &range);
    assert_eq!(
        client.call(&unknown, 5).await.error_code,
        code(ResponseError::UnknownMemberId)
    );
    let no_protocols = join_request("errors", "", &[]);
    assert_eq!(
        client.call(&no_protocols, 3).await.error_code,
        code(ResponseError::InconsistentGroupProtocol)
    );
    // v4+: a first join without member id gets one back with MEMBER_ID_REQUIRED.
    let first = client.call(&join_request("errors", "", &range), 4).await;
    assert_eq!(first.error_code, code(ResponseError::MemberIdRequired));
    assert!(first.member_id.as_str().starts_with("broker-test-"));

    let (member, generation) = stable_member(&mut client, "errors", 5, range[0].1.clone()).await;
    // Another protocol type, or no common protocol, is INCONSISTENT_GROUP_PROTOCOL.
    let mut other_type = join_request("errors", "", &range);
    other_type.protocol_type = text("connect");
    assert_eq!(
        client.call(&other_type, 3).await.error_code,
        code(ResponseError::InconsistentGroupProtocol)
    );
    let other_protocol = join_request("errors", "", &[("roundrobin", Bytes::new())]);
    assert_eq!(
        client.call(&other_protocol, 3).await.error_code,
        code(ResponseError::InconsistentGroupProtocol)
    );
    // Generation and member fencing.
    let beat = |member: &StrBytes, generation| heartbeat_request("errors", member, generation);
    assert_eq!(
        client
            .call(&beat(&member, generation + 1), 4)
            .await
            .error_code,
        code(ResponseError::IllegalGeneration)
    );
    assert_eq!(
        client
            .call(&beat(&text("ghost"), generation), 4)
            .await
            .error_code,
        code(ResponseError::UnknownMemberId)
    );
    assert_eq!(
        client.call(&beat(&member, generation), 4).await.error_code,
        0
    );
    let sync = sync_request("errors", &member, generation + 5, &[]);
    assert_eq!(
        client.call(&sync, 3).await.error_code,
        code(ResponseError::IllegalGeneration)
    );
    let sync = sync_request("errors", &text("ghost"), generation, &[]);
    assert_eq!(
        client.call(&sync, 3).await.error_code,
        code(ResponseError::UnknownMemberId)
    );
    let mut sync = sync_request("errors", &member, generation, &[]);
    sync.protocol_type = Some(text("consumer"));
    sync.protocol_name = Some(text("roundrobin"));
    assert_eq!(
        client.call(&sync, 5).await.error_code,
        code(ResponseError::InconsistentGroupProtocol)
    );

    // A second member joins: the first hears REBALANCE_IN_PROGRESS on its heartbeat, and
    // the group is full for a third.
    let second = tokio::spawn(async move {
        let mut other = Client::connect(addr).await;
        let request = join_request("errors", "", &[("range", subscription(&["t"]))]);
        join(&mut other, 5, &request).await
    });
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = client.call(&beat(&member, generation), 4).await.error_code;
        if answer == code(ResponseError::RebalanceInProgress) {
            break;
        }
        assert_eq!(answer, 0);
        assert!(Instant::now() < deadline, "the rebalance never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The group has its 2 members (one waiting): a third is refused.
    let full = client.call(&join_request("errors", "", &range), 3).await;
    assert_eq!(full.error_code, code(ResponseError::GroupMaxSizeReached));
    // An OffsetCommit from an old generation is ILLEGAL_GENERATION... after the rebalance.
    let rejoined = join(
        &mut client,
        5,
        &join_request("errors", member.as_str(), &range),
    )
    .await;
    assert_eq!(rejoined.error_code, 0);
    assert_eq!(rejoined.generation_id, generation + 1);
    let other = second.await.unwrap();
    assert_eq!(other.error_code, 0);
    assert_eq!(other.generation_id, generation + 1);
    // Exactly one leader, which gets both members; the other gets none.
    let (leader, follower) = if rejoined.leader == rejoined.member_id {
        (&rejoined, &other)
    } else {
        (&other, &rejoined)
    };
    assert_eq!(leader.members.len(), 2);
    assert!(follower.members.is_empty());
    assert_eq!(follower.leader, leader.member_id);
    // A commit while the group waits for the leader's assignment: REBALANCE_IN_PROGRESS.
    let commit = commit_request("errors", member.as_str(), generation + 1, &[]);
    let mut commit_with_offset = commit.clone();
    commit_with_offset.topics = commit_request(
        "errors",
        member.as_str(),
        generation + 1,
        &[(OFFSETS_TOPIC, 0, 1, None)],
    )
    .topics;
    let answer = client.call(&commit_with_offset, 8).await;
    assert_eq!(
        commit_codes(&answer),
        vec![code(ResponseError::RebalanceInProgress)]
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn static_members_are_replaced_and_their_old_ids_fenced() {
    let (broker, _guard) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    wait_for_coordinator(&mut client, "statics").await;
    let mut request = join_request("statics", "", &[("range", subscription(&["t"]))]);
    request.group_instance_id = Some(text("instance-1"));
    // Static members get their id at once (no MEMBER_ID_REQUIRED).
    let joined = client.call(&request, 5).await;
    assert_eq!(joined.error_code, 0);
    assert!(joined.member_id.as_str().starts_with("instance-1-"));
    let old = joined.member_id.clone();
    let sync = sync_request("statics", &old, joined.generation_id, &[(&old, b"a")]);
    assert_eq!(client.call(&sync, 3).await.error_code, 0);

    // The same instance joins again without member id: new id, same generation, no
    // rebalance; the old id is fenced.
    let again = client.call(&request, 9).await;
    assert_eq!(again.error_code, 0);
    assert_ne!(again.member_id, old);
    assert_eq!(again.generation_id, joined.generation_id);
    assert!(
        again.skip_assignment,
        "a static leader keeps the assignment"
    );
    let mut beat = heartbeat_request("statics", &old, joined.generation_id);
    beat.group_instance_id = Some(text("instance-1"));
    assert_eq!(
        client.call(&beat, 4).await.error_code,
        code(ResponseError::FencedInstanceId)
    );
    beat.member_id = again.member_id.clone();
    assert_eq!(client.call(&beat, 4).await.error_code, 0);
    let described = describe(&mut client, "statics").await;
    assert_eq!(described.group_state.as_str(), "Stable");
    assert_eq!(described.members[0].member_assignment.as_ref(), b"a");
    assert_eq!(
        described.members[0]
            .group_instance_id
            .as_ref()
            .map(|id| id.as_str()),
        Some("instance-1")
    );
    // LeaveGroup v3+ by instance id with the old member id: FENCED; by instance alone: ok.
    let mut leave = LeaveGroupRequest::default();
    leave.group_id = group("statics");
    let mut identity = MemberIdentity::default();
    identity.member_id = old;
    identity.group_instance_id = Some(text("instance-1"));
    let mut by_instance = MemberIdentity::default();
    by_instance.group_instance_id = Some(text("instance-1"));
    leave.members = vec![identity, by_instance];
    let left = client.call(&leave, 4).await;
    assert_eq!(left.error_code, 0);
    assert_eq!(
        left.members[0].error_code,
        code(ResponseError::FencedInstanceId)
    );
    assert_eq!(left.members[1].error_code, 0);
    wait_for_group(&mut client, "statics", "the group to empty", |group| {
        group.group_state.as_str() == "Empty"
    })
    .await;
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn offsets_commit_and_fetch_at_every_version() {
    let (broker, _guard) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "t", 2).await;
    for version in 2..=9i16 {
        let group_id = format!("commits-{version}");
        wait_for_coordinator(&mut client, &group_id).await;
        // Standalone commits (generation -1, no member) of a group without members.
        let mut request = commit_request(
            &group_id,
            "",
            -1,
            &[
                ("t", 0, 10 + i64::from(version), Some("meta")),
                ("t", 9, 1, None),
                ("missing", 0, 1, None),
            ],
        );
        if version >= 6 {
            request.topics[0].partitions[0].committed_leader_epoch = 3;
        }
        let response = client.call(&request, version).await;
        assert_eq!(
            commit_codes(&response),
            vec![
                0,
                code(ResponseError::UnknownTopicOrPartition),
                code(ResponseError::UnknownTopicOrPartition)
            ],
            "v{version}"
        );
        let too_long = "x".repeat(4097);
        let request = commit_request(&group_id, "", -1, &[("t", 1, 5, Some(&too_long))]);
        let response = client.call(&request, version).await;
        assert_eq!(
            commit_codes(&response),
            vec![code(ResponseError::OffsetMetadataTooLarge)]
        );
    }
    for version in 1..=7i16 {
        let group_id = format!("commits-{}", (version + 2).min(9));
        let expected = 10 + i64::from((version + 2).min(9));
        let (error, rows) =
            fetch_offsets(&mut client, version, &group_id, Some(&[("t", &[0, 1])])).await;
        assert_eq!(error, 0);
        assert_eq!(
            rows,
            vec![
                ("t".to_owned(), 0, expected, "meta".to_owned(), 0),
                ("t".to_owned(), 1, -1, String::new(), 0)
            ],
            "v{version}"
        );
        if version >= 2 {
            // Null topics: every committed offset.
            let (error, rows) = fetch_offsets(&mut client, version, &group_id, None).await;
            assert_eq!(error, 0);
            assert_eq!(
                rows,
                vec![("t".to_owned(), 0, expected, "meta".to_owned(), 0)]
            );
        }
    }
    // v5+ returns the leader epoch committed with v6+.
    let mut request = OffsetFetchRequest::default();
    request.group_id = group("commits-9");
    request.topics = None;
    let response = client.call(&request, 5).await;
    assert_eq!(response.topics[0].partitions[0].committed_leader_epoch, 3);
    // v8+: several groups at once, each answered on its own.
    for version in 8..=9 {
        let mut request = OffsetFetchRequest::default();
        let mut first = OffsetFetchRequestGroup::default();
        first.group_id = group("commits-9");
        let mut topic = OffsetFetchRequestTopics::default();
        topic.name = topic_name("t");
        topic.partition_indexes = vec![0];
        first.topics = Some(vec![topic]);
        let mut second = OffsetFetchRequestGroup::default();
        second.group_id = group("commits-8");
        second.topics = None;
        let mut unknown = OffsetFetchRequestGroup::default();
        unknown.group_id = group("");
        request.groups = vec![first, second, unknown];
        let response = client.call(&request, version).await;
        assert_eq!(response.groups.len(), 3);
        assert_eq!(
            response.groups[0].topics[0].partitions[0].committed_offset,
            19
        );
        assert_eq!(
            response.groups[1].topics[0].partitions[0].committed_offset,
            18
        );
        assert_eq!(
            response.groups[2].error_code,
            code(ResponseError::InvalidGroupId)
        );
    }
    // An unknown group with a generation: ILLEGAL_GENERATION; a member group refuses
    // standalone commits (UNKNOWN_MEMBER_ID) and commits from other generations.
    let request = commit_request("commits-unknown", "m", 4, &[("t", 0, 1, None)]);
    assert_eq!(
        commit_codes(&client.call(&request, 8).await),
        vec![code(ResponseError::IllegalGeneration)]
    );
    wait_for_coordinator(&mut client, "commits-members").await;
    let (member, generation) =
        stable_member(&mut client, "commits-members", 5, subscription(&["t"])).await;
    let standalone = commit_request("commits-members", "", -1, &[("t", 0, 1, None)]);
    assert_eq!(
        commit_codes(&client.call(&standalone, 8).await),
        vec![code(ResponseError::UnknownMemberId)]
    );
    let stale = commit_request(
        "commits-members",
        member.as_str(),
        generation - 1,
        &[("t", 0, 1, None)],
    );
    assert_eq!(
        commit_codes(&client.call(&stale, 8).await),
        vec![code(ResponseError::IllegalGeneration)]
    );
    let good = commit_request(
        "commits-members",
        member.as_str(),
        generation,
        &[("t", 0, 7, None)],
    );
    assert_eq!(commit_codes(&client.call(&good, 8).await), vec![0]);
    let (_, rows) = fetch_offsets(&mut client, 7, "commits-members", Some(&[("t", &[0])])).await;
    assert_eq!(rows[0].2, 7);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn delete_groups_and_offset_delete_follow_kafkas_rules() {
    let (broker, _guard) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "t", 1).await;
    create_topic(&mut client, "u", 1).await;
    for name in ["doomed", "busy"] {
        wait_for_coordinator(&mut client, name).await;
    }
    let commit = commit_request("doomed", "", -1, &[("t", 0, 5, None), ("u", 0, 6, None)]);
    assert_eq!(commit_codes(&client.call(&commit, 8).await), vec![0, 0]);
    let (member, generation) = stable_member(&mut client, "busy", 5, subscription(&["t"])).await;
    let commit = commit_request(
        "busy",
        member.as_str(),
        generation,
        &[("t", 0, 1, None), ("u", 0, 2, None)],
    );
    assert_eq!(commit_codes(&client.call(&commit, 8).await), vec![0, 0]);

    // OffsetDelete: a topic the Stable consumer group subscribes to is protected.
    let offset_delete = |group_id: &str, topics: &[&str]| {
        let mut request = OffsetDeleteRequest::default();
        request.group_id = group(group_id);
        for topic in topics {
            let mut entry = OffsetDeleteRequestTopic::default();
            entry.name = topic_name(topic);
            let mut partition = OffsetDeleteRequestPartition::default();
            partition.partition_index = 0;
            entry.partitions = vec![partition];
            request.topics.push(entry);
        }
        request
    };
    let response = client
        .call(&offset_delete("busy", &["t", "u", "nope"]), 0)
        .await;
    assert_eq!(response.error_code, 0);
    let codes: Vec<i16> = response
        .topics
        .iter()
        .map(|topic| topic.partitions[0].error_code)
        .collect();
    assert_eq!(
        codes,
        vec![
            code(ResponseError::GroupSubscribedToTopic),
            0,
            code(ResponseError::UnknownTopicOrPartition)
        ]
    );
    let (_, rows) = fetch_offsets(&mut client, 7, "busy", None).await;
    assert_eq!(rows.len(), 1, "only t-0 is left: {rows:?}");
    let response = client.call(&offset_delete("ghost", &["t"]), 0).await;
    assert_eq!(response.error_code, code(ResponseError::GroupIdNotFound));
    let response = client.call(&offset_delete("doomed", &["u"]), 0).await;
    assert_eq!(response.topics[0].partitions[0].error_code, 0);
    let (_, rows) = fetch_offsets(&mut client, 7, "doomed", Some(&[("u", &[0])])).await;
    assert_eq!(rows[0].2, -1);

    // DeleteGroups at every version: unknown, non-empty, then deleted.
    for version in 0..=2 {
        let mut request = DeleteGroupsRequest::default();
        request.groups_names = vec![group("ghost"), group("busy")];
        let response = client.call(&request, version).await;
        let codes: Vec<i16> = response
            .results
            .iter()
            .map(|result| result.error_code)
            .collect();
        assert_eq!(
            codes,
            vec![
                code(ResponseError::GroupIdNotFound),
                code(ResponseError::NonEmptyGroup)
            ],
            "v{version}"
        );
    }
    let mut request = DeleteGroupsRequest::default();
    request.groups_names = vec![group("doomed")];
    assert_eq!(client.call(&request, 2).await.results[0].error_code, 0);
    let (_, rows) = fetch_offsets(&mut client, 7, "doomed", Some(&[("t", &[0])])).await;
    assert_eq!(rows[0].2, -1, "offsets of a deleted group are gone");
    assert_eq!(
        describe(&mut client, "doomed").await.group_state.as_str(),
        "Dead"
    );
    assert_eq!(
        client.call(&request, 2).await.results[0].error_code,
        code(ResponseError::GroupIdNotFound)
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn expired_sessions_leave_and_the_group_empties() {
    let (broker, _guard) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    wait_for_coordinator(&mut client, "expiring").await;
    let mut request = join_request("expiring", "", &[("range", subscription(&["t"]))]);
    request.session_timeout_ms = 300;
    let joined = join(&mut client, 5, &request).await;
    let member = joined.member_id.clone();
    let sync = sync_request(
        "expiring",
        &member,
        joined.generation_id,
        &[(&member, b"x")],
    );
    assert_eq!(client.call(&sync, 3).await.error_code, 0);
    let started = Instant::now();
    wait_for_group(&mut client, "expiring", "the session to expire", |group| {
        group.group_state.as_str() == "Empty"
    })
    .await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    let beat = heartbeat_request("expiring", &member, joined.generation_id);
    assert_eq!(
        client.call(&beat, 4).await.error_code,
        code(ResponseError::UnknownMemberId)
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn the_first_rebalance_of_an_empty_group_waits_for_the_initial_delay() {
    let delay = Duration::from_millis(1500);
    let (broker, _guard) =
        start_with(|options| options.groups.initial_rebalance_delay = delay).await;
    let mut client = Client::connect(broker.local_addr()).await;
    wait_for_coordinator(&mut client, "delayed").await;
    let started = Instant::now();
    let joined = join(
        &mut client,
        3,
        &join_request("delayed", "", &[("range", subscription(&["t"]))]),
    )
    .await;
    assert_eq!(joined.error_code, 0);
    let waited = started.elapsed();
    assert!(waited >= delay, "answered after {waited:?}");
    assert!(
        waited < delay + Duration::from_secs(2),
        "answered after {waited:?}"
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn offsets_of_empty_groups_expire_and_the_group_dies() {
    let (broker, _guard) = start_with(|options| {
        options.groups.offsets_retention = Duration::from_millis(500);
        options.groups.offsets_retention_check_interval = Duration::from_millis(100);
    })
    .await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "t", 1).await;
    wait_for_coordinator(&mut client, "retained").await;
    let commit = commit_request("retained", "", -1, &[("t", 0, 5, None)]);
    assert_eq!(commit_codes(&client.call(&commit, 8).await), vec![0]);
    let (_, rows) = fetch_offsets(&mut client, 7, "retained", Some(&[("t", &[0])])).await;
    assert_eq!(rows[0].2, 5);
    wait_for_group(&mut client, "retained", "the group to expire", |group| {
        group.group_state.as_str() == "Dead"
    })
    .await;
    let (_, rows) = fetch_offsets(&mut client, 7, "retained", Some(&[("t", &[0])])).await;
    assert_eq!(rows[0].2, -1);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn groups_and_offsets_reload_after_a_restart() {
    let coordinator = CoordinatorProcess::start(&coordinator_binary(), &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = || {
        let mut options = ServerOptions::new(dir.path().join("logs"));
        options.listeners = vec![ListenerOptions::plaintext("127.0.0.1", 0)];
        options.zookeeper_connect = coordinator.connect_string();
        options.zookeeper_session_timeout = Duration::from_secs(6);
        options.broker_id = 7;
        options.groups.offsets_topic_replication_factor = 1;
        options.groups.offsets_topic_num_partitions = 3;
        options.groups.initial_rebalance_delay = Duration::ZERO;
        options
    };
    let broker = Broker::start(options()).await.unwrap();
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "t", 1).await;
    wait_for_coordinator(&mut client, "survivor").await;
    let (member, generation) =
        stable_member(&mut client, "survivor", 5, subscription(&["t"])).await;
    let commit = commit_request(
        "survivor",
        member.as_str(),
        generation,
        &[("t", 0, 42, Some("m"))],
    );
    assert_eq!(commit_codes(&client.call(&commit, 8).await), vec![0]);
    broker.stop().await.unwrap();

    let broker = Broker::start(options()).await.unwrap();
    let mut client = Client::connect(broker.local_addr()).await;
    wait_for_coordinator(&mut client, "survivor").await;
    let (_, rows) = fetch_offsets(&mut client, 7, "survivor", Some(&[("t", &[0])])).await;
    assert_eq!(rows[0], ("t".to_owned(), 0, 42, "m".to_owned(), 0));
    let described = describe(&mut client, "survivor").await;
    assert_eq!(described.group_state.as_str(), "Stable");
    assert_eq!(described.members[0].member_id, member);
    assert_eq!(described.members[0].member_assignment.as_ref(), b"mine");
    let beat = heartbeat_request("survivor", &member, generation);
    assert_eq!(client.call(&beat, 4).await.error_code, 0);
    broker.stop().await.unwrap();
}

/// A request of `R` at `version` whose body is cut to `keep` bytes, or replaced by junk.
async fn send_broken<R: Request>(client: &mut Client, request: &R, version: i16, keep: usize) {
    let mut header = RequestHeader::default();
    header.request_api_key = R::KEY;
    header.request_api_version = version;
    header.correlation_id = 99;
    header.client_id = Some(text("broken"));
    let mut payload = BytesMut::new();
    header
        .encode(&mut payload, R::header_version(version))
        .unwrap();
    let mut body = BytesMut::new();
    request.encode(&mut body, version).unwrap();
    if keep < body.len() {
        body.truncate(keep);
    } else {
        body = BytesMut::from(&[0xff_u8; 7][..]);
    }
    payload.extend_from_slice(&body);
    client.write_frame(&payload).await;
}

#[tokio::test]
async fn garbage_and_truncated_bodies_close_only_their_connection() {
    let (broker, _guard) = start().await;
    let addr = broker.local_addr();
    let mut healthy = Client::connect(addr).await;
    wait_for_coordinator(&mut healthy, "sturdy").await;
    let join = join_request("sturdy", "", &[("range", subscription(&["t"]))]);
    let commit = commit_request("sturdy", "", -1, &[("t", 0, 1, Some("meta"))]);
    let mut fetch = OffsetFetchRequest::default();
    fetch.group_id = group("sturdy");
    fetch.topics = None;
    let mut describe_request = DescribeGroupsRequest::default();
    describe_request.groups = vec![group("sturdy")];
    let mut find = FindCoordinatorRequest::default();
    find.coordinator_keys = vec![text("sturdy")];
    for keep in [3usize, usize::MAX] {
        let mut broken = Client::connect(addr).await;
        send_broken(&mut broken, &join, 7, keep).await;
        assert!(broken.closed_by_broker().await, "join, keep {keep}");
        let mut broken = Client::connect(addr).await;
        send_broken(&mut broken, &commit, 8, keep).await;
        assert!(broken.closed_by_broker().await, "commit, keep {keep}");
        let mut broken = Client::connect(addr).await;
        send_broken(&mut broken, &fetch, 6, keep).await;
        assert!(broken.closed_by_broker().await, "fetch, keep {keep}");
        let mut broken = Client::connect(addr).await;
        send_broken(&mut broken, &describe_request, 5, keep).await;
        assert!(broken.closed_by_broker().await, "describe, keep {keep}");
        let mut broken = Client::connect(addr).await;
        send_broken(&mut broken, &find, 4, keep).await;
        assert!(broken.closed_by_broker().await, "find, keep {keep}");
    }
    // The other connection and the coordinator carry on.
    let described = describe(&mut healthy, "sturdy").await;
    assert_eq!(described.error_code, 0);
    broker.stop().await.unwrap();
}
