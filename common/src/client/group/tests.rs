//! The group member against a scripted coordinator on a loopback socket: MEMBER_ID_REQUIRED
//! then a join as leader, the range plan sent through SyncGroup and handed back, heartbeats
//! that report a rebalance, LeaveGroup on close.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kafka_protocol::ResponseError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::client::cluster::ClientConfig;
use crate::client::consumer_protocol::decode_assignment;

/// What the scripted coordinator saw.
#[derive(Debug, Default)]
struct Seen {
    joins: Vec<String>,
    sync_assignments: BTreeMap<String, Bytes>,
    heartbeats: usize,
    left: Vec<String>,
}

fn respond<M: Encodable + HeaderVersion>(correlation_id: i32, version: i16, body: &M) -> Bytes {
    let mut header = ResponseHeader::default();
    header.correlation_id = correlation_id;
    let mut payload = BytesMut::new();
    header
        .encode(&mut payload, M::header_version(version))
        .unwrap();
    body.encode(&mut payload, version).unwrap();
    let mut frame = BytesMut::new();
    frame.put_i32(payload.len() as i32);
    frame.extend_from_slice(&payload);
    frame.freeze()
}

fn versions() -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    for (key, max) in [
        (ApiVersionsRequest::KEY, 3),
        (MetadataRequest::KEY, 12),
        (FindCoordinatorRequest::KEY, 4),
        (JoinGroupRequest::KEY, 9),
        (SyncGroupRequest::KEY, 5),
        (HeartbeatRequest::KEY, 4),
        (LeaveGroupRequest::KEY, 5),
    ] {
        let mut entry = ApiVersion::default();
        entry.api_key = key;
        entry.max_version = max;
        response.api_keys.push(entry);
    }
    response
}

async fn serve(mut socket: TcpStream, port: u16, seen: Arc<Mutex<Seen>>) {
    loop {
        let mut size = [0u8; 4];
        if socket.read_exact(&mut size).await.is_err() {
            return;
        }
        let mut payload = vec![0u8; i32::from_be_bytes(size) as usize];
        socket.read_exact(&mut payload).await.unwrap();
        let mut bytes = Bytes::from(payload);
        let api_key = ApiKey::try_from(bytes.clone().get_i16()).unwrap();
        let version = bytes.clone().slice(2..4).get_i16();
        let header =
            RequestHeader::decode(&mut bytes, api_key.request_header_version(version)).unwrap();
        let id = header.correlation_id;
        let frame = match api_key {
            ApiKey::ApiVersions => {
                // The ApiVersions response header is always v0.
                let mut header = ResponseHeader::default();
                header.correlation_id = id;
                let mut payload = BytesMut::new();
                header.encode(&mut payload, 0).unwrap();
                versions().encode(&mut payload, version).unwrap();
                let mut frame = BytesMut::new();
                frame.put_i32(payload.len() as i32);
                frame.extend_from_slice(&payload);
                frame.freeze()
            }
            ApiKey::Metadata => {
                let request = MetadataRequest::decode(&mut bytes, version).unwrap();
                let mut response = MetadataResponse::default();
                let mut broker = MetadataResponseBroker::default();
                broker.node_id = BrokerId(0);
                broker.host = StrBytes::from_static_str("127.0.0.1");
                broker.port = i32::from(port);
                response.brokers.push(broker);
                response.controller_id = BrokerId(0);
                for wanted in request.topics.unwrap_or_default() {
                    let mut topic = MetadataResponseTopic::default();
                    topic.name = wanted.name.clone();
                    for index in 0..3 {
                        let mut partition = MetadataResponsePartition::default();
                        partition.partition_index = index;
                        partition.leader_id = BrokerId(0);
                        topic.partitions.push(partition);
                    }
                    response.topics.push(topic);
                }
                respond(id, version, &response)
            }
            ApiKey::FindCoordinator => {
                let mut response = FindCoordinatorResponse::default();
                let mut coordinator =
                    kafka_protocol::messages::find_coordinator_response::Coordinator::default();
                coordinator.key = StrBytes::from_static_str("g");
                coordinator.host = StrBytes::from_static_str("127.0.0.1");
                coordinator.port = i32::from(port);
                response.coordinators.push(coordinator);
                respond(id, version, &response)
            }
            ApiKey::JoinGroup => {
                let request = JoinGroupRequest::decode(&mut bytes, version).unwrap();
                let member_id = request.member_id.as_str().to_string();
                seen.lock().unwrap().joins.push(member_id.clone());
                let mut response = JoinGroupResponse::default();
                if member_id.is_empty() {
                    response.error_code = ResponseError::MemberIdRequired.code();
                    response.member_id = StrBytes::from_static_str("member-1");
                } else {
                    response.generation_id = 1;
                    response.protocol_type = Some(StrBytes::from_static_str("consumer"));
                    response.protocol_name = Some(request.protocols[0].name.clone());
                    response.leader = request.member_id.clone();
                    response.member_id = request.member_id.clone();
                    for other in ["member-1", "member-2"] {
                        let mut member = JoinGroupResponseMember::default();
                        member.member_id = StrBytes::from_static_str(other);
                        member.metadata = request.protocols[0].metadata.clone();
                        response.members.push(member);
                    }
                }
                respond(id, version, &response)
            }
            ApiKey::SyncGroup => {
                let request = SyncGroupRequest::decode(&mut bytes, version).unwrap();
                assert_eq!(request.generation_id, 1);
                assert_eq!(request.protocol_name.as_ref().unwrap().as_str(), "range");
                let mut seen = seen.lock().unwrap();
                for entry in &request.assignments {
                    seen.sync_assignments.insert(
                        entry.member_id.as_str().to_string(),
                        entry.assignment.clone(),
                    );
                }
                let mut response = SyncGroupResponse::default();
                response.assignment = seen
                    .sync_assignments
                    .get(request.member_id.as_str())
                    .cloned()
                    .unwrap_or_default();
                respond(id, version, &response)
            }
            ApiKey::Heartbeat => {
                let request = HeartbeatRequest::decode(&mut bytes, version).unwrap();
                assert_eq!(request.member_id.as_str(), "member-1");
                let mut seen = seen.lock().unwrap();
                seen.heartbeats += 1;
                let mut response = HeartbeatResponse::default();
                if seen.heartbeats >= 2 {
                    response.error_code = ResponseError::RebalanceInProgress.code();
                }
                respond(id, version, &response)
            }
            ApiKey::LeaveGroup => {
                let request = LeaveGroupRequest::decode(&mut bytes, version).unwrap();
                let mut seen = seen.lock().unwrap();
                for member in &request.members {
                    seen.left.push(member.member_id.as_str().to_string());
                }
                respond(id, version, &LeaveGroupResponse::default())
            }
            other => panic!("unexpected request {other:?}"),
        };
        socket.write_all(&frame).await.unwrap();
    }
}

#[tokio::test]
async fn member_joins_as_leader_assigns_by_range_and_rejoins_on_rebalance() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server_seen = seen.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::spawn(serve(socket, port, server_seen.clone()));
        }
    });
    let client = Arc::new(
        Client::connect(ClientConfig::new(&format!("127.0.0.1:{port}")))
            .await
            .unwrap(),
    );
    let mut config = GroupConfig::new("g");
    config.heartbeat_interval = Duration::from_millis(20);
    let member = GroupMember::new(client, config);
    assert!(member.rejoin_needed());
    let assignment = member.join(&["t".to_string()]).await.unwrap();

    // MEMBER_ID_REQUIRED, then the join with the handed-out id.
    assert_eq!(seen.lock().unwrap().joins, vec!["", "member-1"]);
    assert_eq!(member.member_id(), "member-1");
    assert_eq!(member.generation_id(), 1);
    // Range over 3 partitions and 2 members: member-1 gets 0 and 1, member-2 gets 2.
    assert_eq!(
        assignment.topic_partitions(),
        vec![("t".to_string(), 0), ("t".to_string(), 1)]
    );
    let other = seen.lock().unwrap().sync_assignments["member-2"].clone();
    assert_eq!(
        decode_assignment(other).unwrap().topic_partitions(),
        vec![("t".to_string(), 2)]
    );
    assert!(!member.rejoin_needed());

    // The second heartbeat answers REBALANCE_IN_PROGRESS.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !member.rejoin_needed() {
        assert!(tokio::time::Instant::now() < deadline, "no rebalance seen");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(seen.lock().unwrap().heartbeats >= 2);
    assert_eq!(member.identity().member_id, "member-1");

    member.leave().await.unwrap();
    assert_eq!(seen.lock().unwrap().left, vec!["member-1"]);
}
